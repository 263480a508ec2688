// Training of the LeNet feature networks (eval/lenet.ts) with this project's own engine: cross-entropy, Adam
// and an EMA of the weights in one compiled graph per step, random shifts of up to 2 pixels as the only
// augmentation. scripts/train-feature-net.ts runs it; docs/feature-nets.md records the shipped runs.
import { readFileSync } from 'node:fs';
import { grad } from '../graph/grad.js';
import { add, concat, Graph, log, mul, neg, reduceMean, reduceSum, reshape, softmax, type Value } from '../graph/ops.js';
import { Params } from '../nn/params.js';
import { Rng } from '../random.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { idxImages, idxLabels, parseIdx } from '../data/idx.js';
import { knownDatasetFiles, type KnownDataset, type Split } from '../data/known-datasets.js';
import { pad } from '../data/transforms.js';
import { classAccuracy, lenetExtractor } from '../eval/features.js';
import { initLenet, LENET_CLASSES, LENET_RESOLUTION, lenet } from '../eval/lenet.js';
import { inPlaceStateUpdate, type AdamHyper } from './adam.js';
import { TrainState } from './state.js';

const PIXELS = LENET_RESOLUTION * LENET_RESOLUTION;

/** Labelled 32x32 gray images, pixels (count * 32 * 32) uint8. */
export interface LabelledImages {
  count: number;
  pixels: Uint8Array;
  labels: Int32Array;
}

/** A split of installed MNIST or Fashion-MNIST, padded 28 -> 32 as `lego dataset --transform pad` does. */
export function loadKnownSplit(name: KnownDataset, split: Split): LabelledImages {
  const files = knownDatasetFiles(name, split);
  const images = idxImages(parseIdx(readFileSync(files.images), files.images), files.images);
  const labels = idxLabels(parseIdx(readFileSync(files.labels), files.labels), files.labels);
  const pixels = new Uint8Array(images.count * PIXELS);
  for (let i = 0; i < images.count; i++) pixels.set(pad(images.image(i), LENET_RESOLUTION).data, i * PIXELS);
  return { count: images.count, pixels, labels };
}

export interface FeatureNetTrainOptions {
  /** Passes over the training images (default 2). */
  epochs?: number;
  /** Images per step (default 64). */
  batch?: number;
  /** Peak Adam learning rate, reached after a 200-step warm-up and decayed to 0 by a cosine (default 2e-3). */
  lr?: number;
  /** EMA half-life in images (default 20000). */
  emaHalfLifeImages?: number;
  /** Largest random shift in pixels, each axis (default 2). */
  maxShift?: number;
  seed?: number;
  threads?: number;
  onProgress?: (info: { step: number; steps: number; loss: number }) => void;
}

/** Trained weights (the EMA) by parameter name. */
export type FeatureNetWeights = Map<string, Float32Array>;

// ---------------------------------------------------------------------------------------------
// Graphs

/** Cross-entropy of the LeNet over a batch: images (B, 32, 32, 1), one-hot (B, 10). */
function lossGraph(g: Graph, batch: number): { p: Params; loss: Value } {
  const p = new Params(g, '');
  const { logits } = lenet(p, g.input('images', [batch, LENET_RESOLUTION, LENET_RESOLUTION, 1]));
  // -log p(y): the true class's softmax probability, floored so that an underflow cannot give log(0).
  const pTrue = reduceSum(mul(softmax(logits, -1), g.input('onehot', [batch, LENET_CLASSES])), [1]);
  return { p, loss: neg(reduceMean(log(add(pTrue, 1e-30)), [0])) };
}

async function compileStep(batch: number, threads: number | undefined, h: AdamHyper) {
  const g = new Graph();
  const { p, loss } = lossGraph(g, batch);
  const names = [...p.specs.keys()];
  const grads = grad(loss, names.map((n) => g.inputs.get(n) as Value));
  const flatGrad = concat(grads.map((gi) => reshape(gi, [gi.size])), 0);
  const exe = await Executable.compile({ loss, ...inPlaceStateUpdate(g, flatGrad, h, { after: loss }) }, { threads, name: 'lenet-train' });
  return { exe, names };
}

// ---------------------------------------------------------------------------------------------
// Training

/** Copy image i of `src` shifted by (dx, dy) pixels, zero-filled, into `out` at image slot j. */
function shiftInto(src: Uint8Array, i: number, out: Float32Array, j: number, dx: number, dy: number): void {
  const r = LENET_RESOLUTION;
  out.fill(-1, j * PIXELS, (j + 1) * PIXELS);
  for (let y = Math.max(0, dy); y < Math.min(r, r + dy); y++) {
    for (let x = Math.max(0, dx); x < Math.min(r, r + dx); x++) {
      out[j * PIXELS + y * r + x] = src[i * PIXELS + (y - dy) * r + (x - dx)] / 127.5 - 1;
    }
  }
}

/** Train a LeNet on labelled images; returns the EMA weights. */
export async function trainLenet(data: LabelledImages, options: FeatureNetTrainOptions = {}): Promise<FeatureNetWeights> {
  const { epochs = 2, batch = 64, lr = 2e-3, emaHalfLifeImages = 20_000, maxShift = 2, seed = 0 } = options;
  const h: AdamHyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const { exe, names } = await compileStep(batch, options.threads, h);
  const state = new TrainState(names, { weights: initLenet(seed) });
  const stateIo = state.stateFeeds(); // the same arrays every step: the step overwrites them in place
  const rng = new Rng(seed, 1);
  const steps = Math.floor((epochs * data.count) / batch);
  const warmup = Math.min(200, steps);
  const emaBeta = 0.5 ** (batch / emaHalfLifeImages);
  const images = new Float32Array(batch * PIXELS);
  const onehot = new Float32Array(batch * LENET_CLASSES);
  let order: Uint32Array = new Uint32Array(0);
  try {
    for (let step = 0; step < steps; step++) {
      const at = (step * batch) % data.count;
      if (at < batch || order.length === 0) order = shuffled(data.count, rng);
      onehot.fill(0);
      for (let j = 0; j < batch; j++) {
        const i = order[(at + j) % data.count];
        shiftInto(data.pixels, i, images, j, rng.below(2 * maxShift + 1) - maxShift, rng.below(2 * maxShift + 1) - maxShift);
        onehot[j * LENET_CLASSES + data.labels[i]] = 1;
      }
      const t = step + 1;
      const rate = step < warmup ? (lr * t) / warmup : 0.5 * lr * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
      const feeds: Record<string, HostTensor> = {
        images,
        onehot,
        step_size: Float32Array.of(rate / (1 - h.beta1 ** t)),
        bias2_sqrt: Float32Array.of(Math.sqrt(1 - h.beta2 ** t)),
        ema_beta: Float32Array.of(step < warmup ? 0 : emaBeta),
        ...stateIo.inputs,
      };
      for (const name of names) feeds[name] = state.weights.get(name) as Float32Array;
      const out = await exe.run(feeds, stateIo.outputs);
      options.onProgress?.({ step: t, steps, loss: out.loss[0] });
    }
  } finally {
    await exe.release();
  }
  return new Map([...state.ema].map(([name, data]) => [name, data.slice()]));
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
function shuffled(n: number, rng: Rng): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Share of images whose argmax logit is their label. */
export async function lenetAccuracy(weights: FeatureNetWeights, data: LabelledImages, { threads }: { threads?: number } = {}): Promise<number> {
  const net = await lenetExtractor('lenet', weights, { threads });
  const r = LENET_RESOLUTION;
  const images = Array.from({ length: data.count }, (_, i) => ({ width: r, height: r, channels: 1, data: data.pixels.subarray(i * PIXELS, (i + 1) * PIXELS) }));
  try {
    const { logits } = await net.extract(images);
    return classAccuracy(logits as Float32Array, data.labels);
  } finally {
    await net.release();
  }
}
