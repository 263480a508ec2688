// The LEGO stack (LEGO-SPEC "The stack", "Conditioning vector"): conditioning, coordinate channels,
// bricks fed [previous output, input], EDM preconditioning of every brick's output.
import { add, concat, expand, mul, Graph, type Value } from '../graph/ops.js';
import { linear, type Precision } from '../nn/linear.js';
import { timestepEmbedder } from '../nn/embeddings.js';
import { Params } from '../nn/params.js';
import { brick } from './brick.js';
import type { LegoConfig } from './config.js';
import { coordinatePlanes, type CoordMode } from './coords.js';
import { precondition } from './precond.js';

/** The root scope of a LEGO network's parameters (official names start with `model.`). */
export const modelParams = (graph: Graph) => new Params(graph, 'model');

/** c = t_embedder(c_noise) + y_embedder(labels): (B,) and (B, labelDim) -> (B, D). */
export function conditioning(p: Params, cNoise: Value, labels: Value | null, cfg: LegoConfig): Value {
  const t = timestepEmbedder(p.at('t_embedder'), cNoise, cfg.hiddenSize);
  if (cfg.labelDim === 0 || !labels) return t;
  return add(t, linear(p.at('y_embedder').at('embedding_table'), labels, cfg.labelDim, cfg.hiddenSize, { normal: 0.02 }));
}

/** X = [xIn, row, col] (B, C+2, H, W), from coordinate planes (1, 2, H, W) or a mode. */
export function withCoordinates(xIn: Value, planes: Value | { mode: CoordMode; trainResolution: number }): Value {
  const [b, , height, width] = xIn.shape;
  const p = 'graph' in planes ? planes
    : xIn.graph.constant(coordinatePlanes(height, width, planes.mode, planes.trainResolution), [1, 2, height, width]);
  return concat([xIn, expand(p, [b, 2, height, width])], 1);
}

/** Brick k's output F_k from X and the previous brick's output; `precision` is that of its blocks' Linears. */
export function brickOutput(
  p: Params, k: number, X: Value, fPrev: Value | null, c: Value, cfg: LegoConfig, precision: Precision = 'float32',
): Value {
  const input = k === 0 || !fPrev ? X : concat([fPrev, X], 1);
  return brick(p.at('model').at(k), input, c, cfg.bricks[k], cfg, precision);
}

export interface StackInputs {
  /** Noisy images (B, C, H, W). */
  x: Value;
  /** Noise levels (B,). */
  sigma: Value;
  /** One-hot labels (B, labelDim), zero rows for the null label; null when unconditional. */
  labels: Value | null;
}

export interface StackOptions {
  /** Stop after this brick (0-based); default: the last. */
  stopAfter?: number;
  coords?: CoordMode;
}

/** Raw outputs F_k and denoised D_k = c_skip x + c_out F_k of bricks 0..stopAfter. */
export function legoForward(p: Params, cfg: LegoConfig, { x, sigma, labels }: StackInputs, options: StackOptions = {}) {
  const stopAfter = options.stopAfter ?? cfg.bricks.length - 1;
  const { cSkip, cOut, cIn, cNoise } = precondition(sigma, cfg.sigmaData);
  const c = conditioning(p, cNoise, labels, cfg);
  const X = withCoordinates(mul(x, cIn), { mode: options.coords ?? 'fit', trainResolution: cfg.imgResolution });
  const F: Value[] = [];
  for (let k = 0; k <= stopAfter; k++) F.push(brickOutput(p, k, X, F[k - 1] ?? null, c, cfg));
  const D = F.map((f) => add(mul(x, cSkip), mul(f, cOut)));
  return { F, D, c };
}
