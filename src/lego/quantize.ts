// The 8-bit form of a LEGO network for int8 sampling: every block's qkv, attention output and MLP
// Linears, quantised once when the model loads (nn/quantize.ts), under the names the int8 graphs read.
import { quantizedNames, quantizeWeight } from '../nn/quantize.js';
import type { LegoConfig } from './config.js';
import type { Weights } from './model.js';

/** A Linear weight of the network: its state_dict name and (out, in) shape. */
export interface LinearWeight {
  name: string;
  outDim: number;
  inDim: number;
}

/**
 * The Linears that run in 8 bits: qkv, attn.proj, mlp.fc1 and mlp.fc2 of every block of every brick.
 * The adaLN modulations, embeddings and final layers stay float32: together they are under 1% of a
 * forward's FLOPs (a modulation runs once per image, not per token), so 8 bits would buy nothing there.
 */
export function int8Linears(cfg: LegoConfig): LinearWeight[] {
  const d = cfg.hiddenSize;
  const hidden = Math.trunc(d * cfg.mlpRatio);
  return cfg.bricks.flatMap((b, k) =>
    Array.from({ length: b.depth }, (_, j) => `model.model.${k}.blocks.${j}`).flatMap((block) => [
      { name: `${block}.attn.qkv.weight`, outDim: 3 * d, inDim: d },
      { name: `${block}.attn.proj.weight`, outDim: d, inDim: d },
      { name: `${block}.mlp.fc1.weight`, outDim: hidden, inDim: d },
      { name: `${block}.mlp.fc2.weight`, outDim: d, inDim: hidden },
    ]),
  );
}

/** 8-bit weights (int8, (in, out)) and their per-channel scales (float32), by derived name. */
export type QuantizedWeights = Map<string, Int8Array | Float32Array>;

/**
 * Quantise the network's block Linears: `<name>.q` (int8, transposed to (in, out)) and `<name>.scale`
 * (float32, one per output channel) for each weight of `int8Linears`.
 */
export function quantizeWeights(weights: Weights, cfg: LegoConfig): QuantizedWeights {
  const out: QuantizedWeights = new Map();
  for (const { name, outDim, inDim } of int8Linears(cfg)) {
    const w = weights.get(name);
    if (!w) throw new Error(`internal: quantizeWeights: no weight ${name}`);
    const { q, scale } = quantizeWeight(w, outDim, inDim);
    const names = quantizedNames(name);
    out.set(names.q, q);
    out.set(names.scale, scale);
  }
  return out;
}
