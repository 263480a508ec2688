// Parity with diffusers' own AutoencoderKL: recompute every output of a VAE reference file (metadata `kind`
// = `vae`, `vae_config` = the diffusers config JSON, weights under `weights.<diffusers name>`): decoding as
// the authors' generate.py, encoding and latents as their latent dataset tool (LEGO-SPEC "Latent models").
import { InputError, printable } from '../errors.js';
import { toFloat32, toFloat64, type StoredTensor } from '../io/safetensors.js';
import { vaeConfigFromDiffusers } from '../vae/config.js';
import { diffusersName } from '../vae/names.js';
import { Vae } from '../vae/vae.js';
import { gatherVaeWeights, type StoredVaeTensor } from '../vae/weights.js';
import type { ReferenceFile } from './reference-config.js';
import { judge, type ReferenceCheck } from './tolerance.js';

/** The absolute tolerance of each output a VAE reference file may hold, and the input it is computed from. */
export const VAE_OUTPUTS = {
  'output.decoded': { from: 'input.latents', abs: 2e-4 },
  'output.decoded_wide': { from: 'input.latents_wide', abs: 2e-4 },
  /** 8-bit pixels: truncation near an integer may flip one level. */
  'output.images_uint8': { from: 'input.latents', abs: 1 },
  'output.posterior_mean': { from: 'input.images', abs: 2e-4 },
  'output.posterior_std': { from: 'input.images', abs: 2e-4 },
  'output.latents_scaled': { from: 'input.noise', abs: 1e-4 },
} as const;

type VaeOutput = keyof typeof VAE_OUTPUTS;

/** Recompute and compare every output of a VAE reference file. Throws InputError on anything it cannot interpret. */
export async function verifyVaeReference(file: ReferenceFile, source: string, options: { threads?: number } = {}): Promise<ReferenceCheck[]> {
  const configText = file.metadata.vae_config;
  if (configText === undefined) throw new InputError(`${source}: metadata has no "vae_config"; not a VAE reference file`);
  let json: unknown;
  try {
    json = JSON.parse(configText);
  } catch {
    throw new InputError(`${source}: metadata "vae_config" is not JSON`);
  }
  const cfg = vaeConfigFromDiffusers(json, `${source}: vae_config`);
  const handled = new Set<string>();
  const stored = new Map<string, StoredVaeTensor>();
  for (const [name, t] of file.tensors) {
    if (!name.startsWith('weights.')) continue;
    const bare = name.slice('weights.'.length);
    if (diffusersName(bare, cfg.blockOutChannels.length) === null) continue;
    stored.set(bare, { shape: t.shape, read: () => toFloat32(t, name) });
    handled.add(name);
  }
  const vae = new Vae(cfg, gatherVaeWeights(stored, cfg, `${source}: weights.*`), { threads: options.threads });
  const checks: ReferenceCheck[] = [];
  const tensor = (name: string): StoredTensor => {
    const t = file.tensors.get(name);
    if (!t) throw new InputError(`${source}: missing tensor ${name}`);
    handled.add(name);
    return t;
  };
  const input = (name: string) => ({ data: toFloat32(tensor(name), name), shape: tensor(name).shape });
  const compare = (name: VaeOutput, actual: ArrayLike<number>) => {
    const expected = toFloat64(tensor(name), name);
    if (expected.length !== actual.length) throw new InputError(`${source}: ${name} has ${expected.length} values, recomputed ${actual.length}`);
    checks.push(judge(name, 'forward', actual, expected, { abs: VAE_OUTPUTS[name].abs }));
  };
  const has = (name: string) => file.tensors.has(name);
  try {
    if (has('input.latents')) {
      const { data, shape } = input('input.latents');
      const decoded = await vae.decode(data, shape);
      if (has('output.decoded')) compare('output.decoded', decoded);
      if (has('output.images_uint8')) compare('output.images_uint8', vae.toUint8(decoded));
    }
    if (has('input.latents_wide') && has('output.decoded_wide')) {
      const { data, shape } = input('input.latents_wide');
      compare('output.decoded_wide', await vae.decode(data, shape));
    }
    if (has('input.images')) {
      const { data, shape } = input('input.images');
      const posterior = await vae.encode(data, shape);
      if (has('output.posterior_mean')) compare('output.posterior_mean', posterior.mean);
      if (has('output.posterior_std')) compare('output.posterior_std', posterior.std);
      if (has('output.latents_scaled')) compare('output.latents_scaled', vae.sampleLatents(posterior, input('input.noise').data));
    }
  } finally {
    await vae.release();
  }
  const unknown = [...file.tensors.keys()].filter((k) => !handled.has(k));
  if (unknown.length > 0) throw new InputError(`${source}: cannot interpret tensor${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => printable(k)).join(', ')}`);
  if (checks.length === 0) throw new InputError(`${source}: holds no outputs to check`);
  return checks;
}
