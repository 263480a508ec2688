// The configuration of a LEGO stack: one hidden size, a list of bricks, the image format.
// Stored in checkpoint metadata and validated here (LEGO-SPEC "The stack", "Presets").
import { printable } from '../errors.js';

/** One brick: a DiT over non-overlapping tiles of the canvas. */
export interface BrickConfig {
  /** Tile size r in pixels (the brick's receptive field); divides the canvas. */
  resolution: number;
  /** Patch size p; divides the tile size. */
  patchSize: number;
  /** Attention heads; divide the hidden size. */
  heads: number;
  /** Number of DiT blocks. */
  depth: number;
}

export interface LegoConfig {
  /** Training image size (square). */
  imgResolution: number;
  /** Image channels C (1 gray, 3 RGB, 4 latents). */
  imgChannels: number;
  /** Number of classes; 0 for unconditional models. */
  labelDim: number;
  /** Hidden size D shared by all bricks. */
  hiddenSize: number;
  /** MLP hidden size as a multiple of D (default 4). */
  mlpRatio: number;
  /** EDM sigma_data (default 0.5). */
  sigmaData: number;
  bricks: BrickConfig[];
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Check a config's internal consistency; throws `Error` with a message naming the field. */
export function validateConfig(cfg: LegoConfig, where = 'config'): LegoConfig {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  for (const k of ['imgResolution', 'imgChannels', 'hiddenSize'] as const) {
    if (!isPosInt(cfg[k])) fail(`${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  }
  if (!Number.isInteger(cfg.labelDim) || cfg.labelDim < 0) fail(`labelDim must be an integer >= 0, got ${cfg.labelDim}`);
  if (!(cfg.sigmaData > 0)) fail(`sigmaData must be positive, got ${cfg.sigmaData}`);
  if (!(cfg.mlpRatio > 0)) fail(`mlpRatio must be positive, got ${cfg.mlpRatio}`);
  if (!Array.isArray(cfg.bricks) || cfg.bricks.length === 0) fail('bricks must be a non-empty list');
  cfg.bricks.forEach((b, k) => {
    for (const f of ['resolution', 'patchSize', 'heads', 'depth'] as const) {
      if (!isPosInt(b[f])) fail(`brick ${k}: ${f} must be a positive integer, got ${JSON.stringify(b[f])}`);
    }
    if (b.resolution % b.patchSize !== 0) fail(`brick ${k}: patch size ${b.patchSize} does not divide tile size ${b.resolution}`);
    if (cfg.hiddenSize % b.heads !== 0) fail(`brick ${k}: ${b.heads} heads do not divide hidden size ${cfg.hiddenSize}`);
    if (cfg.hiddenSize % 4 !== 0) fail(`hidden size ${cfg.hiddenSize} must be a multiple of 4 (2-D sin-cos position table)`);
    if (cfg.imgResolution % b.resolution !== 0) fail(`brick ${k}: tile size ${b.resolution} does not divide image size ${cfg.imgResolution}`);
  });
  return cfg;
}

/** The largest tile: canvases must be multiples of it. */
export const largestTile = (cfg: LegoConfig) => Math.max(...cfg.bricks.map((b) => b.resolution));

/** Check that a canvas can be tiled by every brick; returns a reason or null. */
export function canvasProblem(cfg: LegoConfig, height: number, width: number): string | null {
  // Zero and negative sizes pass the modulo test below, and fractions or NaN would be named oddly by it.
  if (!(isPosInt(height) && isPosInt(width))) return `canvas ${width}x${height} is not a positive whole number of pixels`;
  for (const [k, b] of cfg.bricks.entries()) {
    if (height % b.resolution !== 0 || width % b.resolution !== 0) {
      return `canvas ${width}x${height} is not a multiple of brick ${k}'s tile size ${b.resolution}`;
    }
  }
  return null;
}

/**
 * A custom stack from JSON: `{ "imgResolution": 32, "imgChannels": 1, "labelDim": 10, "hiddenSize": 256,
 * "bricks": [{ "resolution": 4, "patchSize": 2, "heads": 4, "depth": 2 }, ...] }`; mlpRatio (4) and
 * sigmaData (0.5) are optional. Throws `Error` naming the source and the field.
 */
export function parseConfigJson(text: string, source: string): LegoConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${printable((e as Error).message)})`); // the message quotes the text
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const known = new Set(['imgResolution', 'imgChannels', 'labelDim', 'hiddenSize', 'mlpRatio', 'sigmaData', 'bricks']);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`${source}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
  const bricks = Array.isArray(o.bricks)
    ? o.bricks.map((b) => {
        const r = (b ?? {}) as Record<string, unknown>;
        return { resolution: r.resolution, patchSize: r.patchSize, heads: r.heads, depth: r.depth } as BrickConfig;
      })
    : (o.bricks as BrickConfig[]);
  return validateConfig(
    {
      imgResolution: o.imgResolution as number,
      imgChannels: o.imgChannels as number,
      labelDim: (o.labelDim ?? 0) as number,
      hiddenSize: o.hiddenSize as number,
      mlpRatio: (o.mlpRatio ?? 4) as number,
      sigmaData: (o.sigmaData ?? 0.5) as number,
      bricks,
    },
    source,
  );
}
