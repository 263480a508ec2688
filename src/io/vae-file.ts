// A VAE in one self-describing safetensors file, as `lego serve` hands it to the web app: the weights under
// their diffusers names and the diffusers config.json as `vae_config` metadata; and the same inside a
// checkpoint that embeds its VAE (names prefixed). Platform-neutral.
import { InputError } from '../errors.js';
import { vaeParamSpecs } from '../vae/autoencoder.js';
import { vaeConfigFromDiffusers, vaeConfigToDiffusers, type VaeConfig } from '../vae/config.js';
import { gatherVaeWeights, type StoredVaeTensor, type VaeWeights } from '../vae/weights.js';
import { VAE_CONFIG_KEY } from './latent-checkpoint.js';
import { f32, parseSafetensors, serializeSafetensors, toFloat32, type TensorEntry } from './safetensors.js';

/** Encode a VAE's config and weights (every parameter of the config) as safetensors. */
export function encodeVaeFile(config: VaeConfig, weights: VaeWeights): Uint8Array {
  const entries = vaeParamSpecs(config).map((spec): [string, TensorEntry] => {
    const data = weights.get(spec.name);
    if (!data) throw new Error(`internal: encodeVaeFile: no weights for ${spec.name}`);
    return [spec.name, f32([...spec.shape], data)];
  });
  return serializeSafetensors(entries, { [VAE_CONFIG_KEY]: JSON.stringify(vaeConfigToDiffusers(config)) });
}

/** Decode what encodeVaeFile wrote. Throws InputError naming `source` and the tensor or field at fault. */
export function decodeVaeFile(bytes: Uint8Array, source: string): { config: VaeConfig; weights: VaeWeights } {
  const { metadata, tensors } = parseSafetensors(bytes, source);
  const stored = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, read: () => toFloat32(t, `${source}: ${name}`) }]));
  return vaeFromTensors(metadata, stored, source);
}

/**
 * A VAE from safetensors contents: its config from the VAE_CONFIG_KEY metadata, its weights from the tensors
 * named `prefix` + a diffusers name (the others are left alone). Throws InputError naming `source`.
 */
export function vaeFromTensors(metadata: Readonly<Record<string, string>>, tensors: ReadonlyMap<string, StoredVaeTensor>, source: string, prefix = ''): { config: VaeConfig; weights: VaeWeights } {
  const text = metadata[VAE_CONFIG_KEY];
  if (text === undefined) throw new InputError(`${source}: no ${VAE_CONFIG_KEY} in the safetensors metadata; no VAE in this file`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(`${source}: ${VAE_CONFIG_KEY} is not JSON`);
  }
  const config = vaeConfigFromDiffusers(json, `${source}: ${VAE_CONFIG_KEY}`);
  const own = new Map([...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
  return { config, weights: gatherVaeWeights(own, config, source) };
}
