// The official LEGO presets by name (LEGO-SPEC "Presets"; the authors' lego_models.py registry).
// Patch size 2, or 8 on 16-pixel tiles; hidden/heads: S 384/6, L 1024/16, XL 1152/16.
import type { BrickConfig, LegoConfig } from './config.js';

type Size = 'S' | 'L' | 'XL';
interface Preset {
  size: Size;
  /** 'R' is the full image size (32 or 64). */
  tiles: (number | 'R')[];
  depths: number[];
  resolution: 32 | 64;
}

const SIZES: Record<Size, { hidden: number; heads: number }> = {
  S: { hidden: 384, heads: 6 },
  L: { hidden: 1024, heads: 16 },
  XL: { hidden: 1152, heads: 16 },
};

const PG = [4, 16, 'R'] as (number | 'R')[];
const PR = ['R', 16, 4] as (number | 'R')[];
const U = ['R', 16, 4, 16, 'R'] as (number | 'R')[];

export const PRESETS = {
  lego_S_PG_64: { size: 'S', tiles: PG, depths: [2, 4, 6], resolution: 64 },
  lego_S_PR_64: { size: 'S', tiles: PR, depths: [6, 4, 2], resolution: 64 },
  lego_S_U_32: { size: 'S', tiles: U, depths: [6, 4, 2, 4, 6], resolution: 32 },
  lego_S_U_64: { size: 'S', tiles: U, depths: [6, 4, 2, 4, 6], resolution: 64 },
  lego_L_PG_32: { size: 'L', tiles: PG, depths: [4, 8, 12], resolution: 32 },
  lego_L_PR_32: { size: 'L', tiles: PR, depths: [12, 8, 4], resolution: 32 },
  lego_L_PG_64: { size: 'L', tiles: PG, depths: [6, 8, 12], resolution: 64 },
  lego_L_PR_64: { size: 'L', tiles: PR, depths: [12, 8, 6], resolution: 64 },
  lego_L_U_32: { size: 'L', tiles: U, depths: [12, 8, 6, 8, 12], resolution: 32 },
  lego_L_U_64: { size: 'L', tiles: U, depths: [12, 8, 6, 8, 12], resolution: 64 },
  lego_L_PG_64_old: { size: 'L', tiles: PG, depths: [6, 6, 12], resolution: 64 },
  lego_L_PR_64_old: { size: 'L', tiles: PR, depths: [12, 6, 6], resolution: 64 },
  lego_XL_PG_32: { size: 'XL', tiles: PG, depths: [4, 12, 14], resolution: 32 },
  lego_XL_PG_64: { size: 'XL', tiles: PG, depths: [4, 12, 14], resolution: 64 },
  lego_XL_PR_32: { size: 'XL', tiles: PR, depths: [14, 12, 4], resolution: 32 },
  lego_XL_PR_64: { size: 'XL', tiles: PR, depths: [14, 12, 4], resolution: 64 },
  lego_XL_U_32: { size: 'XL', tiles: U, depths: [14, 10, 4, 10, 14], resolution: 32 },
  lego_XL_U_64: { size: 'XL', tiles: U, depths: [14, 12, 4, 12, 14], resolution: 64 },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;

export const isPresetName = (name: string): name is PresetName => Object.hasOwn(PRESETS, name);

export interface PresetOptions {
  /** Image channels (default 3). */
  imgChannels?: number;
  /** Number of classes (default 0: unconditional). */
  labelDim?: number;
  /** Image size; defaults to the preset's R. Full-image bricks use this size as their tile. */
  imgResolution?: number;
}

/** The config of an official preset. */
export function presetConfig(name: PresetName, options: PresetOptions = {}): LegoConfig {
  const preset: Preset = PRESETS[name];
  const { hidden, heads } = SIZES[preset.size];
  const r = options.imgResolution ?? preset.resolution;
  const bricks: BrickConfig[] = preset.tiles.map((tile, k) => {
    const resolution = tile === 'R' ? r : tile;
    return { resolution, patchSize: resolution === 16 ? 8 : 2, heads, depth: preset.depths[k] };
  });
  return {
    imgResolution: r,
    imgChannels: options.imgChannels ?? 3,
    labelDim: options.labelDim ?? 0,
    hiddenSize: hidden,
    mlpRatio: 4,
    sigmaData: 0.5,
    bricks,
  };
}
