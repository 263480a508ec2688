// The feature network of `lego eval` for 32x32 gray images: a LeNet-style CNN (three 3x3 conv + GELU +
// 2x2 average-pool stages, then two linear layers). Its 128 penultimate activations are the features;
// the last layer gives 10 class logits. Parameter names are those of the equivalent PyTorch module.
import { geluTanh, Graph, numel, reshape, type Value } from '../graph/ops.js';
import { avgPool2, conv2d } from '../nn/conv.js';
import { linear } from '../nn/linear.js';
import { Params, type ParamSpec } from '../nn/params.js';
import { Rng } from '../random.js';

/** Width and height of the input. */
export const LENET_RESOLUTION = 32;
/** Size of the feature vector (the penultimate layer, after its GELU). */
export const LENET_FEATURES = 128;

/** Channels after each conv stage, and the class count of the head. */
const CHANNELS = [32, 64, 64] as const;
export const LENET_CLASSES = 10;

/**
 * x (N, 32, 32, 1) in [-1, 1] -> features (N, 128) and logits (N, 10).
 * Stages: 32x32x32 -> pool 16x16 -> 64 -> pool 8x8 -> 64 -> pool 4x4 -> flatten 1024 -> fc1 128 -> fc2 10.
 */
export function lenet(p: Params, x: Value): { features: Value; logits: Value } {
  const [n, h, w, c] = x.shape;
  if (h !== LENET_RESOLUTION || w !== LENET_RESOLUTION || c !== 1) throw new Error(`internal: lenet: x is (${x.shape}), expected (N, 32, 32, 1)`);
  let y = x;
  let inCh = 1;
  CHANNELS.forEach((outCh, i) => {
    y = avgPool2(geluTanh(conv2d(p.at(`conv${i + 1}`), y, inCh, outCh)));
    inCh = outCh;
  });
  const flat = reshape(y, [n, -1]); // (N, 4*4*64), flattened (H, W, C)
  const features = geluTanh(linear(p.at('fc1'), flat, flat.shape[1], LENET_FEATURES));
  return { features, logits: linear(p.at('fc2'), features, LENET_FEATURES, LENET_CLASSES) };
}

/** uint8 gray pixels (N*32*32) to the network's input scale [-1, 1]. */
export function lenetInput(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 127.5 - 1;
  return out;
}

/** Parameter names, shapes and initialisers of the LeNet, in declaration order. */
export function lenetSpecs(): ParamSpec[] {
  const g = new Graph();
  const p = new Params(g, '');
  lenet(p, g.input('images', [1, LENET_RESOLUTION, LENET_RESOLUTION, 1]));
  return [...p.specs.values()];
}

/** Xavier-uniform weights and zero biases, as the initialisers of `lenetSpecs()` declare them. */
export function initLenet(seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed, 0x1e7);
  const weights = new Map<string, Float32Array>();
  for (const { name, shape, init } of lenetSpecs()) {
    const n = numel(shape);
    if (init.kind === 'zeros') weights.set(name, new Float32Array(n));
    else if (init.kind === 'xavier') {
      const bound = Math.sqrt(6 / (init.fanIn + init.fanOut));
      weights.set(name, Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound));
    } else throw new Error(`internal: initLenet: ${name} has init ${init.kind}`);
  }
  return weights;
}
