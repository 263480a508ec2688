// One training step as one compiled graph: forward of every brick, the LEGO loss, the backward pass,
// gradient sanitising, Adam and the EMA update. Weights and optimiser state live in two buffer sets
// that swap roles every step (train/state.ts), so ONNX Runtime writes the new state in place.
import { grad } from '../graph/grad.js';
import { concat, Graph, reshape, type Value } from '../graph/ops.js';
import type { LegoConfig } from '../lego/config.js';
import { modelParams } from '../lego/stack.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { adamEmaUpdate, sanitizeGradient, type AdamHyper } from './adam.js';
import { legoLoss, type LossOptions } from './loss.js';
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
  /** ONNX Runtime profile file prefix (see Executable). */
  profilePrefix?: string;
}

export class TrainStep {
  private constructor(
    readonly config: LegoConfig,
    readonly batch: number,
    private readonly exe: Executable,
    /** Names of the trainable parameters, in graph order. */
    readonly trainable: string[],
    readonly hyper: AdamHyper,
  ) {}

  /** FLOPs of one step, counted from the graph. */
  get flops(): number {
    return this.exe.flops;
  }

  static async create(cfg: LegoConfig, batch: number, options: StepOptions = {}): Promise<TrainStep> {
    const h: AdamHyper = { beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, eps: options.eps ?? 1e-8 };
    const g = new Graph();
    const r = cfg.imgResolution;
    const imageShape = [batch, cfg.imgChannels, r, r];
    const p = modelParams(g);
    const { loss } = legoLoss(
      p,
      cfg,
      {
        images: g.input('images', imageShape),
        rndNormal: g.input('rnd_normal', [batch, 1, 1, 1]),
        noise: g.input('noise', imageShape),
        labels: cfg.labelDim > 0 ? g.input('class_labels', [batch, cfg.labelDim]) : null,
      },
      options,
    );
    const trainable = [...p.specs.values()].filter((s) => s.trainable).map((s) => s.name);
    const params = trainable.map((n) => g.inputs.get(n) as Value);
    const grads = grad(loss, params);
    const scalars = {
      stepSize: g.input('step_size', []),
      bias2Sqrt: g.input('bias2_sqrt', []),
      emaBeta: g.input('ema_beta', []),
    };
    // The optimiser runs over all parameters at once, as flat vectors: a few big elementwise ops
    // instead of a few per parameter.
    const size = params.reduce((n, w) => n + w.size, 0);
    const flatGrad = concat(grads.map((gi) => reshape(gi, [gi.size])), 0);
    const [w, m, v, ema] = (['w', 'm', 'v', 'ema'] as const).map((kind) => g.input(`${kind}_flat`, [size]));
    const next = adamEmaUpdate(w, sanitizeGradient(flatGrad), m, v, ema, scalars, h);
    const outputs: Record<string, Value> = { loss, w_next: next.w, m_next: next.m, v_next: next.v, ema_next: next.ema };
    const exe = await Executable.compile(outputs, { threads: options.threads, name: 'train-step', profilePrefix: options.profilePrefix });
    return new TrainStep(cfg, batch, exe, trainable, h);
  }

  /** Run one step: updates `state` in place (its arrays are swapped, not copied) and returns the loss. */
  /** A state laid out for this step's parameters. */
  createState(init: TrainStateInit): TrainState {
    return new TrainState(this.trainable, init);
  }

  async run(state: TrainState, batch: StepBatch, lr: number, emaBeta: number): Promise<number> {
    if (state.trainable !== this.trainable && state.trainable.join() !== this.trainable.join()) {
      throw new Error('internal: train step: the state was laid out for other parameters');
    }
    const t = state.step + 1;
    const feeds: Record<string, HostTensor> = {
      images: batch.images,
      rnd_normal: batch.rndNormal,
      noise: batch.noise,
      step_size: Float32Array.of(lr / (1 - this.hyper.beta1 ** t)),
      bias2_sqrt: Float32Array.of(Math.sqrt(1 - this.hyper.beta2 ** t)),
      ema_beta: Float32Array.of(emaBeta),
    };
    if (batch.labels) feeds.class_labels = batch.labels;
    for (const kind of ['w', 'm', 'v', 'ema'] as const) feeds[`${kind}_flat`] = state.flat(kind);
    for (const name of this.exe.inputNames) {
      if (feeds[name]) continue;
      const value = state.weights.get(name);
      if (!value) throw new Error(`internal: train step: no weights for ${name}`);
      feeds[name] = value;
    }
    const into = { w_next: state.nextFlat('w'), m_next: state.nextFlat('m'), v_next: state.nextFlat('v'), ema_next: state.nextFlat('ema') };
    const out = await this.exe.run(feeds, into);
    state.swap();
    state.step = t;
    return out.loss[0];
  }

  /** Write the profile started by `profilePrefix`. */
  endProfiling(): void {
    this.exe.endProfiling();
  }

  async release(): Promise<void> {
    await this.exe.release();
  }
}
