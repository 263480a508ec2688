// Our own named stacks for small images trained on a CPU, beside the authors' presets (lego/presets.ts):
// chosen by the one-hour study (docs/studies/one-hour.md), where per second of a 2-core CPU they learn
// faster than the official stacks cut down.
import type { LegoConfig } from './config.js';
import { isPresetName, type PresetName, type PresetOptions } from './presets.js';

/** One brick over the whole image: a plain DiT trained with the LEGO loss. */
interface SmallPreset {
  hiddenSize: number;
  heads: number;
  patchSize: number;
  depth: number;
  /** Default image size; the brick covers whatever size the data has. */
  resolution: number;
}

export const SMALL_PRESETS = {
  /** T (tiny): hidden 128, 4 heads; G: one global brick, patch 4, depth 6 (0.51 GFLOP per 32x32 image). */
  lego_T_G_32: { hiddenSize: 128, heads: 4, patchSize: 4, depth: 6, resolution: 32 },
} satisfies Record<string, SmallPreset>;

export type SmallPresetName = keyof typeof SMALL_PRESETS;

export const isSmallPresetName = (name: string): name is SmallPresetName => Object.hasOwn(SMALL_PRESETS, name);

/** A stack given by name, official or ours (not a config file). */
export const isNamedStack = (name: string): name is PresetName | SmallPresetName => isPresetName(name) || isSmallPresetName(name);

/** The config of one of our small presets, for the data's size, channels and classes. */
export function smallPresetConfig(name: SmallPresetName, options: PresetOptions = {}): LegoConfig {
  const preset: SmallPreset = SMALL_PRESETS[name];
  const resolution = options.imgResolution ?? preset.resolution;
  if (resolution % preset.patchSize !== 0) throw new Error(`images of ${resolution} pixels do not split into patches of ${preset.patchSize}`);
  return {
    imgResolution: resolution,
    imgChannels: options.imgChannels ?? 3,
    labelDim: options.labelDim ?? 0,
    hiddenSize: preset.hiddenSize,
    mlpRatio: 4,
    sigmaData: 0.5,
    bricks: [{ resolution, patchSize: preset.patchSize, heads: preset.heads, depth: preset.depth }],
  };
}
