// Tests for the one-graph training step (step.ts): its Adam and EMA update against the authors' training
// loop (torch.optim.Adam, EDM's EMA) recomputed here in float64 from gradients of the separate loss graph
// (diffusion/loss.ts + grad.ts, as verify/reference.ts checks them), plus buffer swapping and gradient sanitising.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legoLoss } from '../diffusion/loss.js';
import { grad } from '../graph/grad.js';
import { Graph, numel, type Value } from '../graph/ops.js';
import { initWeights, parameterSpecs, type Weights } from '../lego/model.js';
import { defaultMicroBatch } from '../lego/micro-batch.js';
import { presetConfig } from '../lego/presets.js';
import { modelParams } from '../lego/stack.js';
import { Rng } from '../random.js';
import { Executable } from '../runtime/executable.js';
import { sanitizeGradient } from './adam.js';
import { TrainStep, type StepBatch } from './step.js';
import { TrainState } from './state.js';
import { twoBrickConfig } from '../../test/helpers/tiny-model.js';

const cfg = twoBrickConfig;
const BATCH = 2;
const THREADS = 1;
/** torch.optim.Adam defaults, as the authors train. */
const [BETA1, BETA2, EPS] = [0.9, 0.999, 1e-8];
/** Max |step - reference| over max |reference|, per tensor (float32 step vs float64 reference). */
const TOL = 1e-6;

const specs = parameterSpecs(cfg);
const trainable = specs.filter((s) => s.trainable).map((s) => s.name);
const buffers = specs.filter((s) => !s.trainable).map((s) => s.name);

// ---------------------------------------------------------------------------------------------
// Inputs: initial weights with the zero-initialised tensors made random, so every gradient is non-trivial.

function startWeights(seed: number): Weights {
  const rng = new Rng(seed, 1);
  const weights = initWeights(cfg, seed);
  for (const name of trainable) {
    const w = weights.get(name)!;
    if (w.every((v) => v === 0)) for (let i = 0; i < w.length; i++) w[i] = 0.05 * rng.normal();
  }
  return weights;
}

function randomBatch(seed: number): StepBatch {
  const rng = new Rng(seed, 2);
  const pixels = BATCH * cfg.imgChannels * cfg.imgResolution ** 2;
  const labels = new Float32Array(BATCH * cfg.labelDim);
  labels[rng.below(cfg.labelDim)] = 1; // sample 0 has a label, sample 1 the null label (dropped)
  return {
    images: Float32Array.from({ length: pixels }, () => 2 * rng.uniform() - 1),
    rndNormal: rng.fillNormal(new Float32Array(BATCH)),
    noise: rng.fillNormal(new Float32Array(pixels)),
    labels,
  };
}

const copy = (w: Weights): Weights => new Map([...w].map(([k, v]) => [k, v.slice()]));
const sizeOf = (name: string) => numel(specs.find((s) => s.name === name)!.shape);

// ---------------------------------------------------------------------------------------------
// The reference: loss and gradients from the separate loss graph, then the training loop's formulas in float64.

/** legoLoss + grad as verify/reference.ts checkLoss builds them, wrt every trainable parameter. */
async function compileLossGradients(): Promise<Executable> {
  const g = new Graph();
  const p = modelParams(g);
  const shape = [BATCH, cfg.imgChannels, cfg.imgResolution, cfg.imgResolution];
  const { loss } = legoLoss(p, cfg, {
    images: g.input('images', shape),
    rndNormal: g.input('rnd_normal', [BATCH, 1, 1, 1]),
    noise: g.input('noise', shape),
    labels: g.input('class_labels', [BATCH, cfg.labelDim]),
  });
  const grads = grad(loss, trainable.map((name) => g.inputs.get(name) as Value));
  return Executable.compile({ loss, ...Object.fromEntries(trainable.map((name, i) => [`grad.${name}`, grads[i]])) }, { threads: THREADS, name: 'loss' });
}

async function lossAndGradients(exe: Executable, weights: Weights, batch: StepBatch): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const feeds: Record<string, Float32Array> = { images: batch.images, rnd_normal: batch.rndNormal, noise: batch.noise, class_labels: batch.labels! };
  for (const name of exe.inputNames) feeds[name] ??= weights.get(name)!;
  const out = await exe.run(feeds);
  return { loss: out.loss[0], grads: new Map(trainable.map((name) => [name, out[`grad.${name}`]])) };
}

/** Training state in float64. */
interface State64 {
  w: Map<string, Float64Array>;
  m: Map<string, Float64Array>;
  v: Map<string, Float64Array>;
  ema: Map<string, Float64Array>;
  step: number;
}

/** A float64 state of trainable tensors: `init(name, size)` for each; values rounded to float32 so both sides start equal. */
const state64 = (init: (name: string, n: number) => ArrayLike<number>) =>
  new Map(trainable.map((name) => [name, Float64Array.from(init(name, sizeOf(name)), Math.fround)]));

/** Start both sides from the same state: the float64 reference and the step's float32 TrainState (buffers included). */
function startStates(weights: Weights, s: Omit<State64, 'w'>): [TrainState, State64] {
  const f32 = (m: Map<string, Float64Array>): Weights => new Map([...m].map(([k, a]) => [k, Float32Array.from(a)]));
  const f64 = (m: Map<string, Float64Array>) => new Map([...m].map(([k, a]) => [k, a.slice()]));
  const ref: State64 = { w: state64((name) => weights.get(name)!), m: f64(s.m), v: f64(s.v), ema: f64(s.ema), step: s.step };
  return [new TrainState(trainable, { weights: copy(weights), ema: f32(s.ema), adamM: f32(s.m), adamV: f32(s.v), step: s.step }), ref];
}

/** torch.nan_to_num(g, nan=0, posinf=1e5, neginf=-1e5). */
const nanToNum = (g: number) => (Number.isNaN(g) ? 0 : g === Infinity ? 1e5 : g === -Infinity ? -1e5 : g);

/** One step of the authors' loop in float64: sanitised g, torch.optim.Adam, then ema = w + beta (ema - w). */
function referenceStep(s: State64, grads: Map<string, Float32Array>, lr: number, emaBeta: number): void {
  const t = ++s.step;
  const bias1 = 1 - BETA1 ** t;
  const bias2 = 1 - BETA2 ** t;
  for (const name of trainable) {
    const [w, m, v, ema, g] = [s.w.get(name)!, s.m.get(name)!, s.v.get(name)!, s.ema.get(name)!, grads.get(name)!];
    for (let i = 0; i < w.length; i++) {
      const gi = nanToNum(g[i]);
      m[i] = BETA1 * m[i] + (1 - BETA1) * gi;
      v[i] = BETA2 * v[i] + (1 - BETA2) * gi * gi;
      const denom = Math.sqrt(v[i]) / Math.sqrt(bias2) + EPS;
      w[i] -= (lr / bias1) * (m[i] / denom);
      ema[i] = w[i] + emaBeta * (ema[i] - w[i]);
    }
  }
}

/** Worst per-tensor error of the step's state against the reference: max |a - b| / max |b|. */
function stateError(state: TrainState, ref: State64): { error: number; where: string } {
  let worst = { error: 0, where: '' };
  const pairs = [['w', state.weights, ref.w], ['m', state.adamM, ref.m], ['v', state.adamV, ref.v], ['ema', state.ema, ref.ema]] as const;
  for (const [kind, actual, expected] of pairs) {
    for (const name of trainable) {
      const [a, b] = [actual.get(name)!, expected.get(name)!];
      let [maxErr, maxRef] = [0, 0];
      for (let i = 0; i < b.length; i++) {
        maxErr = Math.max(maxErr, Number.isNaN(a[i]) ? Infinity : Math.abs(a[i] - b[i]));
        maxRef = Math.max(maxRef, Math.abs(b[i]));
      }
      const error = maxErr / Math.max(maxRef, 1e-30);
      if (error >= worst.error) worst = { error, where: `${kind}.${name}` };
    }
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------

describe('TrainStep', () => {
  let step: TrainStep;
  let lossExe: Executable;
  beforeAll(async () => {
    // One micro-batch: the step's gradient is then the reference graph's to the last bit, and these tests
    // pin the optimiser (micro-batches are checked below, against this step).
    [step, lossExe] = await Promise.all([TrainStep.create(cfg, BATCH, { threads: THREADS, microBatch: BATCH }), compileLossGradients()]);
  });
  afterAll(async () => {
    await step?.release();
    await lossExe?.release();
  });

  it('takes one Adam + EMA step from a fresh state as the authors loop does, and returns the loss', async () => {
    const weights = startWeights(1);
    const batch = randomBatch(1);
    const ref = await lossAndGradients(lossExe, weights, batch);
    const zeros = state64((_, n) => new Float64Array(n));
    const [state, s64] = startStates(weights, { m: zeros, v: zeros, ema: state64((name) => weights.get(name)!), step: 0 });

    const loss = await step.run(state, batch, 1e-3, 0.9);
    referenceStep(s64, ref.grads, 1e-3, 0.9);
    expect(state.step).toBe(1);
    expect(loss).toBeGreaterThan(0);
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(TOL);
    const { error, where } = stateError(state, s64);
    console.log(`one step from a fresh state: worst error ${error.toExponential(2)} (${where})`);
    expect(error, where).toBeLessThan(TOL);
  });

  it('takes three steps from a non-zero state (bias corrections of steps 11-13) as the authors loop does', async () => {
    const rng = new Rng(9, 3);
    const weights = startWeights(2);
    // Moments of the scale a few steps of these gradients leave, an EMA a little away from the weights.
    const [state, s64] = startStates(weights, {
      m: state64((_, n) => Array.from({ length: n }, () => 0.01 * rng.normal())),
      v: state64((_, n) => Array.from({ length: n }, () => 1e-4 * rng.uniform() ** 2)),
      ema: state64((name) => weights.get(name)!.map((w) => w + 0.01 * rng.normal())),
      step: 10,
    });
    const schedule = [[2e-4, 0.99], [5e-4, 0.95], [1e-3, 0.5]] as const;
    for (const [k, [lr, emaBeta]] of schedule.entries()) {
      const batch = randomBatch(10 + k);
      // The reference's gradient at its own weights (float64 rounded to float32): the trajectories are independent.
      const w32 = new Map([...weights, ...[...s64.w].map(([name, w]): [string, Float32Array] => [name, Float32Array.from(w)])]);
      const ref = await lossAndGradients(lossExe, w32, batch);
      const loss = await step.run(state, batch, lr, emaBeta);
      referenceStep(s64, ref.grads, lr, emaBeta);
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(TOL);
    }
    expect(state.step).toBe(13);
    const { error, where } = stateError(state, s64);
    console.log(`three steps from a non-zero state: worst error ${error.toExponential(2)} (${where})`);
    expect(error, where).toBeLessThan(TOL);
  });

  it('sanitises non-finite gradients inside the step (a NaN batch: every gradient becomes 0)', async () => {
    const weights = startWeights(3);
    const batch = { ...randomBatch(3), images: new Float32Array(BATCH * cfg.imgChannels * cfg.imgResolution ** 2).fill(NaN) };
    const ref = await lossAndGradients(lossExe, weights, batch);
    expect(ref.loss).toBeNaN();
    expect([...ref.grads.values()].every((g) => g.every(Number.isNaN))).toBe(true);
    const small = (_: string, n: number) => new Float64Array(n).fill(1e-4);
    const [state, s64] = startStates(weights, { m: state64(small), v: state64(small), ema: state64((name) => weights.get(name)!), step: 0 });
    await step.run(state, batch, 1e-3, 0.9);
    referenceStep(s64, ref.grads, 1e-3, 0.9);
    const { error, where } = stateError(state, s64);
    expect(error, where).toBeLessThan(TOL);
  });

  it('updates the state in place (the same arrays every step), and leaves pos_embed alone', async () => {
    const rng = new Rng(4, 3);
    const weights = startWeights(4);
    // Non-zero moments: from zeros, Adam's second step divides tiny gradients by tiny roots and float32
    // rounding alone moves it by 1e-3.
    const [state, s64] = startStates(weights, {
      m: state64((_, n) => Array.from({ length: n }, () => 0.01 * rng.normal())),
      v: state64((_, n) => Array.from({ length: n }, () => 1e-4 * rng.uniform() ** 2)),
      ema: state64((name) => weights.get(name)!),
      step: 10,
    });
    const arrays = () => [state.weights, state.ema, state.adamM, state.adamV].map((m) => trainable.map((name) => m.get(name)!));
    const posEmbeds = buffers.map((name) => state.weights.get(name)!);
    const a0 = arrays();
    const before = a0.map((row) => row.map((arr) => arr.slice()));

    for (let i = 0; i < 3; i++) {
      const batch = randomBatch(4 + i);
      const w32 = new Map([...weights, ...[...s64.w].map(([name, w]): [string, Float32Array] => [name, Float32Array.from(w)])]);
      referenceStep(s64, (await lossAndGradients(lossExe, w32, batch)).grads, 1e-3, 0.9);
      await step.run(state, batch, 1e-3, 0.9);
      arrays().forEach((row, k) => row.forEach((arr, j) => expect(arr).toBe(a0[k][j])));
      const { error, where } = stateError(state, s64);
      expect(error, `step ${i + 1}: ${where}`).toBeLessThan(TOL);
    }
    expect(state.step).toBe(13);
    // Weights, EMA and both moments all moved (the outputs really landed in the input arrays).
    arrays().forEach((row, k) => expect(row.some((arr, j) => arr.some((x, n) => x !== before[k][j][n])), `state kind ${k}`).toBe(true));

    expect(buffers).toEqual(['model.model.0.pos_embed', 'model.model.1.pos_embed']);
    buffers.forEach((name, i) => {
      expect(state.weights.get(name)).toBe(posEmbeds[i]);
      expect(state.weights.get(name)).toEqual(weights.get(name));
    });
    for (const m of [state.ema, state.adamM, state.adamV]) expect([...m.keys()]).toEqual(trainable);
  });
});

describe('TrainStep micro-batches', () => {
  it('takes the default micro-batch of lego/micro-batch.ts', async () => {
    const s = await TrainStep.create(cfg, 4, { threads: THREADS });
    const cut = await TrainStep.create(cfg, 4, { threads: THREADS, microBatch: 2 });
    try {
      expect(s.microBatch).toBe(defaultMicroBatch(cfg, 4));
      expect(cut.microBatch).toBe(2);
      expect(cut.flops).toBeGreaterThan(0.9 * s.flops); // the same work, in two pieces
    } finally {
      await s.release();
      await cut.release();
    }
  });

  it('gives the whole batch\'s loss and step up to rounding', async () => {
    const whole = await TrainStep.create(cfg, BATCH, { threads: THREADS, microBatch: BATCH });
    const halves = await TrainStep.create(cfg, BATCH, { threads: THREADS, microBatch: BATCH / 2 });
    try {
      expect(halves.microBatch).toBe(1);
      const rng = new Rng(5, 3);
      const weights = startWeights(5);
      // Non-zero moments, so the step is not Adam's first (where tiny gradients are divided by their own size).
      const init = {
        m: state64((_, n) => Array.from({ length: n }, () => 0.01 * rng.normal())),
        v: state64((_, n) => Array.from({ length: n }, () => 1e-4 * rng.uniform() ** 2)),
        ema: state64((name) => weights.get(name)!),
        step: 10,
      };
      const [a] = startStates(weights, init);
      const [b, expected] = startStates(weights, init);
      const batch = randomBatch(21);
      const lossWhole = await whole.run(a, batch, 1e-3, 0.9);
      const lossHalves = await halves.run(b, batch, 1e-3, 0.9);
      // A dropped or mis-weighted micro-batch would move the loss by a large fraction.
      expect(Math.abs(lossHalves - lossWhole) / lossWhole).toBeLessThan(1e-6);
      for (const [kind, m] of [['w', a.weights], ['m', a.adamM], ['v', a.adamV], ['ema', a.ema]] as const) {
        expected[kind] = new Map(trainable.map((name) => [name, Float64Array.from(m.get(name)!)]));
      }
      const { error, where } = stateError(b, expected);
      expect(error, where).toBeLessThan(1e-5);
    } finally {
      await whole.release();
      await halves.release();
    }
  });

  it('refuses a micro-batch that does not divide the batch', async () => {
    await expect(TrainStep.create(cfg, 4, { microBatch: 3 })).rejects.toThrow('micro-batch 3 does not divide batch 4');
  });
});

describe('sanitizeGradient', () => {
  it('maps NaN to 0 and +-Infinity to +-1e5, as torch.nan_to_num in the authors loop', async () => {
    const g = new Graph();
    const exe = await Executable.compile({ out: sanitizeGradient(g.input('g', [5])) }, { threads: 1, name: 'sanitize' });
    const { out } = await exe.run({ g: Float32Array.of(NaN, Infinity, -Infinity, 3, -0.5) });
    await exe.release();
    expect([...out]).toEqual([0, 1e5, -1e5, 3, -0.5]);
  });
});
