// One training step as one compiled graph: forward of every brick, the LEGO loss, the backward pass,
// gradient sanitising, Adam and the EMA update. With gradient accumulation, a gradient graph runs per
// round and an update graph once. Weights and optimiser state live in one set of flat buffers that
// ONNX Runtime overwrites in place (train/state.ts, adam.ts `inPlaceStateUpdate`).
import { legoLoss, type LossOptions } from '../diffusion/loss.js';
import { grad } from '../graph/grad.js';
import { add, concat, Graph, mul, reshape, slice, type Value } from '../graph/ops.js';
import type { LegoConfig } from '../lego/config.js';
import { defaultMicroBatch } from '../lego/micro-batch.js';
import { modelParams } from '../lego/stack.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { inPlaceStateUpdate, type AdamHyper } from './adam.js';
import { TrainState, type TrainStateInit } from './state.js';

/** One batch of step inputs, all drawn by the caller (so the loop owns every random number). */
export interface StepBatch {
  images: Float32Array;
  /** (B,) standard normals choosing ln(sigma). */
  rndNormal: Float32Array;
  noise: Float32Array;
  /** One-hot labels after dropout, (B, labelDim); omitted for unconditional models. */
  labels?: Float32Array;
}

export interface StepOptions extends LossOptions, Partial<AdamHyper> {
  threads?: number;
  /** Gradient accumulation: batches per optimiser step (default 1: one fused graph). */
  rounds?: number;
  /**
   * Images per micro-batch: the graph cuts each batch into micro-batches and sums their losses, weighted
   * by their share of the batch, which is the same loss and gradient up to float rounding (default:
   * `defaultMicroBatch(cfg, batch)` of lego/micro-batch.ts). Must divide the batch.
   */
  microBatch?: number;
  /** ONNX Runtime profile file prefix (see Executable). */
  profilePrefix?: string;
}

export class TrainStep {
  private accumulated: Float32Array | null = null;

  private constructor(
    readonly config: LegoConfig,
    /** Images per round. */
    readonly batch: number,
    /** Images per micro-batch inside a round's graph. */
    readonly microBatch: number,
    readonly rounds: number,
    /** The fused step (rounds = 1), or the per-round gradient graph. */
    private readonly main: Executable,
    /** The optimiser update over an accumulated gradient (rounds > 1). */
    private readonly update: Executable | null,
    /** Names of the trainable parameters, in graph order. */
    readonly trainable: string[],
    readonly hyper: AdamHyper,
  ) {}

  /** FLOPs of one optimiser step, counted from the graphs. */
  get flops(): number {
    return this.main.flops * this.rounds + (this.update?.flops ?? 0);
  }

  static async create(cfg: LegoConfig, batch: number, options: StepOptions = {}): Promise<TrainStep> {
    const h: AdamHyper = { beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, eps: options.eps ?? 1e-8 };
    const rounds = options.rounds ?? 1;
    const g = new Graph();
    const r = cfg.imgResolution;
    const imageShape = [batch, cfg.imgChannels, r, r];
    const p = modelParams(g);
    const images = g.input('images', imageShape);
    const rndNormal = g.input('rnd_normal', [batch, 1, 1, 1]);
    const noise = g.input('noise', imageShape);
    const labels = cfg.labelDim > 0 ? g.input('class_labels', [batch, cfg.labelDim]) : null;
    const micro = options.microBatch ?? defaultMicroBatch(cfg, batch);
    if (!Number.isInteger(micro) || micro < 1 || batch % micro !== 0) throw new Error(`internal: micro-batch ${micro} does not divide batch ${batch}`);
    let loss: Value | null = null;
    for (let at = 0; at < batch; at += micro) {
      const part = (v: Value) => (micro === batch ? v : slice(v, 0, at, at + micro));
      const partLoss = legoLoss(p, cfg, { images: part(images), rndNormal: part(rndNormal), noise: part(noise), labels: labels && part(labels) }, options).loss;
      // legoLoss is a mean over its images: weight each micro-batch by its share of the batch.
      const share = micro === batch ? partLoss : mul(partLoss, micro / batch);
      loss = loss ? add(loss, share) : share;
    }
    if (!loss) throw new Error('internal: empty batch');
    const trainable = [...p.specs.values()].filter((s) => s.trainable).map((s) => s.name);
    const params = trainable.map((n) => g.inputs.get(n) as Value);
    // The loss of a round is its share of the step's mean: scale by 1/rounds before accumulating.
    const grads = grad(rounds === 1 ? loss : mul(loss, 1 / rounds), params);
    // The optimiser runs over all parameters at once, as flat vectors: a few big elementwise ops
    // instead of a few per parameter.
    const flatGrad = concat(grads.map((gi) => reshape(gi, [gi.size])), 0);
    const compile = (outputs: Record<string, Value>, name: string) =>
      // Training steps run back to back and were measured with spinning threads (no gain seen without).
      Executable.compile(outputs, { threads: options.threads, name, profilePrefix: options.profilePrefix, spinWhenIdle: true });
    if (rounds === 1) {
      const main = await compile({ loss, ...inPlaceStateUpdate(g, flatGrad, h, { sanitize: true, after: loss }) }, 'train-step');
      return new TrainStep(cfg, batch, micro, 1, main, null, trainable, h);
    }
    const main = await compile({ loss, grad_flat: flatGrad }, 'train-gradient');
    const u = new Graph();
    const update = await compile(inPlaceStateUpdate(u, u.input('grad_flat', [flatGrad.size]), h, { sanitize: true }), 'train-update');
    return new TrainStep(cfg, batch, micro, rounds, main, update, trainable, h);
  }

  /** A state laid out for this step's parameters. */
  createState(init: TrainStateInit): TrainState {
    return new TrainState(this.trainable, init);
  }

  /**
   * One optimiser step over `rounds` batches: updates `state` in place (nothing is copied) and returns
   * the mean loss.
   */
  async run(state: TrainState, batches: StepBatch | StepBatch[], lr: number, emaBeta: number): Promise<number> {
    const list = Array.isArray(batches) ? batches : [batches];
    if (list.length !== this.rounds) throw new Error(`internal: train step takes ${this.rounds} batches, got ${list.length}`);
    if (state.trainable !== this.trainable && state.trainable.join() !== this.trainable.join()) {
      throw new Error('internal: train step: the state was laid out for other parameters');
    }
    const t = state.step + 1;
    const { inputs, outputs: into } = state.stateFeeds();
    const scalars: Record<string, HostTensor> = {
      step_size: Float32Array.of(lr / (1 - this.hyper.beta1 ** t)),
      bias2_sqrt: Float32Array.of(Math.sqrt(1 - this.hyper.beta2 ** t)),
      ema_beta: Float32Array.of(emaBeta),
      ...inputs,
    };
    let lossSum = 0;
    if (!this.update) {
      lossSum = (await this.main.run(this.feeds(this.main, state, list[0], scalars), into)).loss[0];
    } else {
      const acc = (this.accumulated ??= new Float32Array(state.size));
      acc.fill(0);
      for (const batch of list) {
        const out = await this.main.run(this.feeds(this.main, state, batch, {}));
        lossSum += out.loss[0];
        const g = out.grad_flat;
        for (let i = 0; i < acc.length; i++) acc[i] += g[i];
      }
      await this.update.run({ ...scalars, grad_flat: acc } as Record<string, HostTensor>, into);
    }
    state.step = t;
    return lossSum / this.rounds;
  }

  /** Feeds for one graph run: the batch, scalars, and every weight the graph reads. */
  private feeds(exe: Executable, state: TrainState, batch: StepBatch, extra: Record<string, HostTensor>): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = { images: batch.images, rnd_normal: batch.rndNormal, noise: batch.noise, ...extra };
    if (batch.labels) feeds.class_labels = batch.labels;
    for (const name of exe.inputNames) {
      if (feeds[name]) continue;
      const value = state.weights.get(name);
      if (!value) throw new Error(`internal: train step: no weights for ${name}`);
      feeds[name] = value;
    }
    return feeds;
  }

  /** Write the profile started by `profilePrefix`. */
  endProfiling(): void {
    this.main.endProfiling();
  }

  async release(): Promise<void> {
    await this.main.release();
    await this.update?.release();
  }
}
