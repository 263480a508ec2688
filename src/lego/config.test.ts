// Tests for stack configs (config.ts), the official presets (presets.ts) and the parameter table and
// initialisation they imply (model.ts), each against numbers derived here from LEGO-SPEC and the DiT formulas.

import { describe, expect, it } from 'vitest';
import { sinCosPosTable } from '../nn/embeddings.js';
import { canvasProblem, parseConfigJson, validateConfig, type LegoConfig } from './config.js';
import { countParameters, initWeights, parameterSpecs } from './model.js';
import { PRESETS, presetConfig, type PresetName } from './presets.js';

// ---------------------------------------------------------------------------------------------
// Presets

/** LEGO-SPEC "Presets", written out: size, R, tile sizes, depths. A missing preset does not compile. */
const SPEC_TABLE: Record<PresetName, [size: 'S' | 'L' | 'XL', r: 32 | 64, tiles: number[], depths: number[]]> = {
  lego_S_PG_64: ['S', 64, [4, 16, 64], [2, 4, 6]],
  lego_S_PR_64: ['S', 64, [64, 16, 4], [6, 4, 2]],
  lego_S_U_32: ['S', 32, [32, 16, 4, 16, 32], [6, 4, 2, 4, 6]],
  lego_S_U_64: ['S', 64, [64, 16, 4, 16, 64], [6, 4, 2, 4, 6]],
  lego_L_PG_32: ['L', 32, [4, 16, 32], [4, 8, 12]],
  lego_L_PR_32: ['L', 32, [32, 16, 4], [12, 8, 4]],
  lego_L_PG_64: ['L', 64, [4, 16, 64], [6, 8, 12]],
  lego_L_PR_64: ['L', 64, [64, 16, 4], [12, 8, 6]],
  lego_L_U_32: ['L', 32, [32, 16, 4, 16, 32], [12, 8, 6, 8, 12]],
  lego_L_U_64: ['L', 64, [64, 16, 4, 16, 64], [12, 8, 6, 8, 12]],
  lego_L_PG_64_old: ['L', 64, [4, 16, 64], [6, 6, 12]],
  lego_L_PR_64_old: ['L', 64, [64, 16, 4], [12, 6, 6]],
  lego_XL_PG_32: ['XL', 32, [4, 16, 32], [4, 12, 14]],
  lego_XL_PG_64: ['XL', 64, [4, 16, 64], [4, 12, 14]],
  lego_XL_PR_32: ['XL', 32, [32, 16, 4], [14, 12, 4]],
  lego_XL_PR_64: ['XL', 64, [64, 16, 4], [14, 12, 4]],
  lego_XL_U_32: ['XL', 32, [32, 16, 4, 16, 32], [14, 10, 4, 10, 14]],
  lego_XL_U_64: ['XL', 64, [64, 16, 4, 16, 64], [14, 12, 4, 12, 14]],
};
const HIDDEN_HEADS = { S: [384, 6], L: [1024, 16], XL: [1152, 16] } as const;

describe('presets', () => {
  it('lists exactly the presets of the spec', () => {
    expect(Object.keys(PRESETS).sort()).toEqual(Object.keys(SPEC_TABLE).sort());
  });

  for (const name of Object.keys(PRESETS) as PresetName[]) {
    it(`${name} builds the spec's valid config`, () => {
      const cfg = presetConfig(name);
      expect(validateConfig(cfg)).toBe(cfg);
      const [size, r, tiles, depths] = SPEC_TABLE[name];
      const [hidden, heads] = HIDDEN_HEADS[size];
      expect(cfg).toEqual({
        imgResolution: r,
        imgChannels: 3,
        labelDim: 0,
        hiddenSize: hidden,
        mlpRatio: 4,
        sigmaData: 0.5,
        bricks: tiles.map((t, k) => ({ resolution: t, patchSize: t === 16 ? 8 : 2, heads, depth: depths[k] })),
      });
    });
  }

  it('takes channels, labels and image size as options', () => {
    const cfg = presetConfig('lego_XL_U_32', { imgChannels: 4, labelDim: 1000 });
    expect(cfg).toMatchObject({ imgChannels: 4, labelDim: 1000, imgResolution: 32 });
    const large = presetConfig('lego_S_PR_64', { imgResolution: 128 });
    expect(large.bricks.map((b) => b.resolution)).toEqual([128, 16, 4]);
    expect(validateConfig(large)).toBe(large);
  });
});

// ---------------------------------------------------------------------------------------------
// Parameter counts and names

/** Trainable parameters by the DiT formulas, counted without the graph (pos_embed is a buffer). */
function ditParameterCount(cfg: LegoConfig): number {
  const d = cfg.hiddenSize;
  const c = cfg.imgChannels;
  const linear = (inDim: number, outDim: number) => inDim * outDim + outDim;
  const block = linear(d, 3 * d) + linear(d, d) + linear(d, 4 * d) + linear(4 * d, d) + linear(d, 6 * d);
  let n = linear(256, d) + linear(d, d); // t_embedder.mlp.0, .mlp.2
  if (cfg.labelDim > 0) n += linear(cfg.labelDim, d); // y_embedder.embedding_table
  cfg.bricks.forEach(({ patchSize: p, depth }, k) => {
    const ch = k === 0 ? c + 2 : 2 * c + 2;
    n += d * ch * p * p + d; // x_embedder.proj (Conv2d)
    n += depth * block;
    n += linear(d, 2 * d) + linear(d, p * p * c); // final_layer
  });
  return n;
}

describe('parameters', () => {
  it('counts lego_S_PG_64 (unconditional RGB) as the DiT formulas do', () => {
    const cfg = presetConfig('lego_S_PG_64');
    expect(countParameters(cfg)).toBe(ditParameterCount(cfg));
  });

  it('counts a conditional lego_L_PR_32 (1000 classes) as the DiT formulas do', () => {
    const cfg = presetConfig('lego_L_PR_32', { labelDim: 1000 });
    const n = ditParameterCount(cfg);
    expect(countParameters(cfg)).toBe(n);
    expect(n - ditParameterCount({ ...cfg, labelDim: 0 })).toBe(1000 * 1024 + 1024);
  });

  it('names parameters with the official state_dict paths and shapes', () => {
    const shapes = new Map(parameterSpecs(presetConfig('lego_S_PG_64')).map((s) => [s.name, [...s.shape]]));
    expect(shapes.get('model.model.2.blocks.5.attn.qkv.weight')).toEqual([1152, 384]);
    expect(shapes.has('model.model.2.blocks.6.attn.qkv.weight')).toBe(false); // depth 6
    expect(shapes.get('model.model.0.x_embedder.proj.weight')).toEqual([384, 5, 2, 2]); // C+2 channels
    expect(shapes.get('model.model.1.x_embedder.proj.weight')).toEqual([384, 8, 8, 8]); // tile 16, patch 8, 2C+2
    expect(shapes.get('model.model.1.pos_embed')).toEqual([1, 4, 384]);
    expect(shapes.get('model.model.2.pos_embed')).toEqual([1, 1024, 384]);
    expect(shapes.get('model.model.0.blocks.1.mlp.fc2.weight')).toEqual([384, 1536]);
    expect(shapes.get('model.model.0.blocks.1.adaLN_modulation.1.bias')).toEqual([2304]);
    expect(shapes.get('model.model.1.final_layer.linear.weight')).toEqual([192, 384]); // 8*8*3
    expect(shapes.get('model.model.2.final_layer.adaLN_modulation.1.weight')).toEqual([768, 384]);
    expect(shapes.get('model.t_embedder.mlp.0.weight')).toEqual([384, 256]);
    expect(shapes.get('model.t_embedder.mlp.2.bias')).toEqual([384]);
    expect(shapes.has('model.y_embedder.embedding_table.weight')).toBe(false); // unconditional
    const specs = parameterSpecs(presetConfig('lego_S_PG_64', { labelDim: 10 }));
    expect(specs.find((s) => s.name === 'model.y_embedder.embedding_table.weight')?.shape).toEqual([384, 10]);
    expect(specs.filter((s) => !s.trainable).map((s) => s.name)).toEqual([0, 1, 2].map((k) => `model.model.${k}.pos_embed`));
  });
});

// ---------------------------------------------------------------------------------------------
// Custom configs from JSON, and canvases

describe('parseConfigJson', () => {
  const valid = {
    imgResolution: 32,
    imgChannels: 1,
    labelDim: 10,
    hiddenSize: 64,
    bricks: [
      { resolution: 4, patchSize: 2, heads: 4, depth: 2 },
      { resolution: 32, patchSize: 4, heads: 4, depth: 1 },
    ],
  };
  const parse = (o: object) => () => parseConfigJson(JSON.stringify(o), 'stack.json');
  const withBrick = (k: number, change: object) => ({ ...valid, bricks: valid.bricks.map((b, i) => (i === k ? { ...b, ...change } : b)) });

  it('accepts a valid config and fills the defaults', () => {
    expect(parse(valid)()).toEqual({ ...valid, mlpRatio: 4, sigmaData: 0.5 });
    expect(parse({ ...valid, mlpRatio: 2, sigmaData: 1 })()).toMatchObject({ mlpRatio: 2, sigmaData: 1 });
    expect(parse({ ...valid, labelDim: undefined })()).toMatchObject({ labelDim: 0 });
  });

  it('rejects invalid JSON', () => {
    expect(() => parseConfigJson('{"imgResolution": 32,', 'stack.json')).toThrow(/^stack\.json: not valid JSON/);
    expect(() => parseConfigJson('[1]', 'stack.json')).toThrow('stack.json: expected a JSON object');
  });

  it('rejects unknown fields, naming them', () => {
    expect(parse({ ...valid, hidden_size: 64 })).toThrow(/stack\.json: unknown field hidden_size;/);
  });

  it('rejects heads that do not divide the hidden size, naming the brick', () => {
    expect(parse(withBrick(1, { heads: 3 }))).toThrow('stack.json: brick 1: 3 heads do not divide hidden size 64');
  });

  it('rejects a patch that does not divide the tile', () => {
    expect(parse(withBrick(0, { patchSize: 3 }))).toThrow('stack.json: brick 0: patch size 3 does not divide tile size 4');
  });

  it('rejects a tile that does not divide the image size', () => {
    expect(parse(withBrick(1, { resolution: 24 }))).toThrow('stack.json: brick 1: tile size 24 does not divide image size 32');
  });

  it('rejects missing or non-integer fields, naming them', () => {
    expect(parse({ ...valid, hiddenSize: undefined })).toThrow('stack.json: hiddenSize must be a positive integer');
    expect(parse(withBrick(0, { depth: 1.5 }))).toThrow('stack.json: brick 0: depth must be a positive integer, got 1.5');
    expect(parse({ ...valid, bricks: [] })).toThrow('stack.json: bricks must be a non-empty list');
  });
});

describe('canvasProblem', () => {
  const cfg = presetConfig('lego_S_PG_64');

  it('accepts multiples of every tile and names the first brick that cannot tile the canvas', () => {
    expect(canvasProblem(cfg, 64, 64)).toBeNull();
    expect(canvasProblem(cfg, 128, 192)).toBeNull();
    expect(canvasProblem(cfg, 64, 96)).toBe("canvas 96x64 is not a multiple of brick 2's tile size 64");
    expect(canvasProblem(cfg, 66, 64)).toBe("canvas 64x66 is not a multiple of brick 0's tile size 4");
  });

  it('refuses sizes that are not positive whole numbers (0 and -64 pass a modulo test)', () => {
    expect(canvasProblem(cfg, 0, 0)).toBe('canvas 0x0 is not a positive whole number of pixels');
    expect(canvasProblem(cfg, -64, 64)).toBe('canvas 64x-64 is not a positive whole number of pixels');
    expect(canvasProblem(cfg, 64, NaN)).toBe('canvas NaNx64 is not a positive whole number of pixels');
  });
});

// ---------------------------------------------------------------------------------------------
// Initialisation

describe('initWeights', () => {
  // Large enough hidden size for statistics, three distinct token grids for the position tables.
  const cfg: LegoConfig = {
    imgResolution: 16,
    imgChannels: 3,
    labelDim: 10,
    hiddenSize: 64,
    mlpRatio: 4,
    sigmaData: 0.5,
    bricks: [
      { resolution: 4, patchSize: 2, heads: 4, depth: 1 },
      { resolution: 16, patchSize: 8, heads: 4, depth: 2 },
      { resolution: 16, patchSize: 2, heads: 4, depth: 1 },
    ],
  };
  const weights = initWeights(cfg, 5);
  const specs = parameterSpecs(cfg);
  const byKind = (re: RegExp) => specs.filter((s) => re.test(s.name));
  const zeroed = byKind(/adaLN_modulation|final_layer\.linear|\.bias$/);
  const xavier = byKind(/(attn\.(qkv|proj)|mlp\.fc[12]|x_embedder\.proj)\.weight$/);
  const normal = byKind(/(t_embedder\.mlp\.[02]|y_embedder\.embedding_table)\.weight$/);
  const meanSquare = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0) / a.length;
  /** Byte equality (fast on large arrays, unlike a deep toEqual). */
  const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  it('gives every parameter an initialiser the spec names', () => {
    const covered = new Set([...zeroed, ...xavier, ...normal].map((s) => s.name));
    expect(covered.size).toBe(zeroed.length + xavier.length + normal.length);
    const rest = specs.filter((s) => !covered.has(s.name)).map((s) => s.name);
    expect(rest).toEqual(cfg.bricks.map((_, k) => `model.model.${k}.pos_embed`));
    expect(xavier.length).toBe(3 + 4 * 4); // 3 patch embeddings, 4 blocks
  });

  it('zeroes adaLN, the final linear layers and every bias', () => {
    for (const { name } of zeroed) expect(weights.get(name)!.every((v) => v === 0), name).toBe(true);
  });

  it('draws xavier-uniform weights within +-sqrt(6/(fan_in+fan_out)) with the uniform variance', () => {
    for (const { name, shape } of xavier) {
      const w = weights.get(name)!;
      // Linear (out, in) and Conv2d (D, Ch, p, p) viewed as (D, Ch*p*p): fan_out = shape[0].
      const fanOut = shape[0];
      const fanIn = w.length / fanOut;
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      expect(w.every((v) => Math.abs(v) <= bound), name).toBe(true);
      // E[w^2] = bound^2/3; the sample mean of w^2 has relative std sqrt(0.8/n): allow 5 of those.
      const relErr = Math.abs(meanSquare(w) / (bound * bound / 3) - 1);
      expect(relErr, name).toBeLessThan(5 * Math.sqrt(0.8 / w.length));
      expect(Math.max(...w.map(Math.abs)), name).toBeGreaterThan(0.95 * bound);
    }
  });

  it('draws the time MLP and label table weights from normal(0, 0.02)', () => {
    for (const { name } of normal) {
      const w = weights.get(name)!;
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      // The sample std has relative std 1/sqrt(2n); the mean has std 0.02/sqrt(n): allow 5 of each.
      expect(Math.abs(Math.sqrt(meanSquare(w)) / 0.02 - 1), name).toBeLessThan(5 / Math.sqrt(2 * w.length));
      expect(Math.abs(mean), name).toBeLessThan((5 * 0.02) / Math.sqrt(w.length));
    }
  });

  it('fills pos_embed with the 2-D sin-cos table of the brick grid', () => {
    cfg.bricks.forEach((b, k) => {
      const g = b.resolution / b.patchSize;
      expect(weights.get(`model.model.${k}.pos_embed`)).toEqual(sinCosPosTable(g, cfg.hiddenSize));
    });
    // Token (0, 1) of a 2x2 grid: column 1 gives sin(1)/cos(1) in the first column block, row 0 gives 0/1.
    const table = sinCosPosTable(2, 8);
    expect([...table.subarray(8, 16)]).toEqual([Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01), 0, 0, 1, 1].map(Math.fround));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = initWeights(cfg, 5);
    const other = initWeights(cfg, 6);
    for (const { name } of specs) expect(same(again.get(name)!, weights.get(name)!), name).toBe(true);
    for (const { name } of [...xavier, ...normal]) expect(same(other.get(name)!, weights.get(name)!), name).toBe(false);
    for (const { name } of zeroed) expect(same(other.get(name)!, weights.get(name)!), name).toBe(true);
  });
});
