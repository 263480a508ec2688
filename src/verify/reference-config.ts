// What a reference file is: its tensors and metadata (the layout of test/reference), and the LEGO stack its
// metadata describes (img_resolution, img_channels, label_dim and the `bricks` list of the authors' code).
import { InputError } from '../errors.js';
import type { StoredTensor } from '../io/safetensors.js';
import { validateConfig, type LegoConfig } from '../lego/config.js';

/** A reference file: weights.*, input.*, output.*, grad.* tensors and a __metadata__ map. */
export interface ReferenceFile {
  metadata: Record<string, string>;
  tensors: Map<string, StoredTensor>;
}

/** The stack config a reference file describes. Throws InputError naming `source` and the key. */
export function referenceConfig(metadata: Record<string, string>, source: string): LegoConfig {
  const need = (key: string) => {
    const v = metadata[key];
    if (v === undefined) throw new InputError(`${source}: metadata has no "${key}"; not a LEGO reference file`);
    return v;
  };
  let bricks: { resolution: number; hidden_size: number; patch_size: number; num_heads: number; depth: number }[];
  try {
    bricks = JSON.parse(need('bricks'));
  } catch {
    throw new InputError(`${source}: metadata "bricks" is not JSON`);
  }
  if (!Array.isArray(bricks) || bricks.length === 0) throw new InputError(`${source}: metadata "bricks" is not a non-empty list`);
  const hidden = new Set(bricks.map((b) => b.hidden_size));
  if (hidden.size !== 1) throw new InputError(`${source}: bricks have hidden sizes ${[...hidden].join(', ')}; a LEGO stack has one`);
  const cfg: LegoConfig = {
    imgResolution: Number(need('img_resolution')),
    imgChannels: Number(need('img_channels')),
    labelDim: Number(need('label_dim')),
    hiddenSize: bricks[0].hidden_size,
    mlpRatio: Number(metadata.mlp_ratio ?? 4),
    sigmaData: Number(metadata.sigma_data ?? 0.5),
    bricks: bricks.map((b) => ({ resolution: b.resolution, patchSize: b.patch_size, heads: b.num_heads, depth: b.depth })),
  };
  try {
    return validateConfig(cfg, `${source}: metadata`);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}
