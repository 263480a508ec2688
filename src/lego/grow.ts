// Growing a trained brick deeper without changing what it computes. A DiT block whose adaLN modulation is
// zero has zero gates on both residual branches, so it passes its input through unchanged; training then
// opens the gates. New blocks get the usual initialisation otherwise (their attention and MLP weights are not
// zero, so the gradient reaches them as soon as a gate moves).
import type { LegoConfig } from './config.js';
import { initWeights, type Weights } from './model.js';

export interface GrowDepthOptions {
  /** The brick to deepen. */
  brick: number;
  /** Old block indices, each followed by one new block (in the grown brick). */
  after: readonly number[];
  /** Seed of the new blocks' initialisation. */
  seed?: number;
}

export interface GrownStack {
  config: LegoConfig;
  weights: Weights;
  /** Where each old block of the brick went. */
  oldBlockAt: number[];
}

export function growDepth(config: LegoConfig, weights: Weights, options: GrowDepthOptions): GrownStack {
  const { brick } = options;
  const oldDepth = config.bricks[brick]?.depth;
  if (oldDepth === undefined) throw new Error(`no brick ${brick}: the stack has ${config.bricks.length}`);
  const after = new Set(options.after);
  for (const i of after) {
    if (!Number.isInteger(i) || i < 0 || i >= oldDepth) throw new Error(`block ${i}: brick ${brick} has blocks 0-${oldDepth - 1}`);
  }
  const oldBlockAt: number[] = [];
  let depth = 0;
  for (let i = 0; i < oldDepth; i++) {
    oldBlockAt.push(depth++);
    if (after.has(i)) depth++;
  }
  const grown: LegoConfig = { ...config, bricks: config.bricks.map((b, k) => (k === brick ? { ...b, depth } : b)) };
  const result: Weights = initWeights(grown, options.seed ?? 0);
  const prefix = `model.model.${brick}.blocks.`;
  for (const [name, value] of weights) {
    let target = name;
    if (name.startsWith(prefix)) {
      const rest = name.slice(prefix.length);
      const dot = rest.indexOf('.');
      target = `${prefix}${oldBlockAt[Number(rest.slice(0, dot))]}${rest.slice(dot)}`;
    }
    const slot = result.get(target);
    if (!slot || slot.length !== value.length) throw new Error(`${name}: no parameter of its size in the grown stack`);
    result.set(target, value);
  }
  for (let j = 0; j < depth; j++) {
    if (oldBlockAt.includes(j)) continue;
    for (const part of ['weight', 'bias']) {
      // adaLN-Zero initialises the modulation to zero; the identity depends on it.
      if (result.get(`${prefix}${j}.adaLN_modulation.1.${part}`)!.some((v) => v !== 0)) throw new Error(`internal: new block ${j} has a non-zero modulation`);
    }
  }
  return { config: grown, weights: result, oldBlockAt };
}
