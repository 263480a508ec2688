// Tiny stacks for tests: a three-brick conditional one with non-trivial random weights (sampling), and a
// two-brick one (formats, training steps).
import { initWeights, type Weights } from '../../src/lego/model.js';
import type { LegoConfig } from '../../src/lego/config.js';
import { Rng } from '../../src/random.js';

export const tinyConfig: LegoConfig = {
  imgResolution: 16, imgChannels: 3, labelDim: 4, hiddenSize: 32, mlpRatio: 4, sigmaData: 0.5,
  bricks: [
    { resolution: 4, patchSize: 2, heads: 2, depth: 1 },
    { resolution: 8, patchSize: 2, heads: 2, depth: 1 },
    { resolution: 16, patchSize: 4, heads: 2, depth: 1 },
  ],
};

/** A two-brick 8x8 gray stack with 3 classes: the smallest that has every kind of parameter. */
export const twoBrickConfig: LegoConfig = {
  imgResolution: 8, imgChannels: 1, labelDim: 3, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [
    { resolution: 4, patchSize: 2, heads: 2, depth: 1 },
    { resolution: 8, patchSize: 4, heads: 2, depth: 1 },
  ],
};

/** initWeights plus small noise everywhere, so zero-initialised layers do something. */
export function tinyWeights(seed = 1): Weights {
  const w = initWeights(tinyConfig, seed);
  const rng = new Rng(seed, 99);
  for (const [name, data] of w) if (!name.endsWith('pos_embed')) for (let i = 0; i < data.length; i++) data[i] += 0.05 * rng.normal();
  return w;
}
