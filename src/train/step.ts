// One training step as one compiled graph: forward of every brick, the LEGO loss, the backward pass,
// gradient sanitising, Adam and the EMA update. Weights and optimiser state live in two buffer sets
// that swap roles every step, so ONNX Runtime writes the new state in place with no copies.
import { grad } from '../graph/grad.js';
import { Graph, type Value } from '../graph/ops.js';
import type { LegoConfig } from '../lego/config.js';
import type { Weights } from '../lego/model.js';
import { modelParams } from '../lego/stack.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { adamEmaUpdate, sanitizeGradient, type AdamHyper } from './adam.js';
import { legoLoss, type LossOptions } from './loss.js';

/** Everything a step reads and writes, by official parameter name. */
export interface TrainState {
  /** Trainable parameters and buffers (pos_embed). */
  weights: Weights;
  /** EMA of the trainable parameters. */
  ema: Weights;
  /** Adam first and second moments. */
  adamM: Weights;
  adamV: Weights;
  /** Adam steps taken so far. */
  step: number;
}

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
}

const STATE_OUT = ['w', 'm', 'v', 'ema'] as const;
type StateMaps = Record<(typeof STATE_OUT)[number], Weights>;

/** The array behind a graph input: `m.<name>`, `v.<name>`, `ema.<name>` or a weight's own name. */
function stateValue(maps: StateMaps, input: string): Float32Array | undefined {
  const dot = input.indexOf('.');
  const prefix = input.slice(0, dot);
  if (prefix === 'm' || prefix === 'v' || prefix === 'ema') return maps[prefix].get(input.slice(dot + 1));
  return maps.w.get(input);
}

export class TrainStep {
  private spare = new Map<string, Float32Array>();

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
    const outputs: Record<string, Value> = { loss };
    trainable.forEach((name, i) => {
      const w = params[i];
      const m = g.input(`m.${name}`, w.shape);
      const v = g.input(`v.${name}`, w.shape);
      const ema = g.input(`ema.${name}`, w.shape);
      const next = adamEmaUpdate(w, sanitizeGradient(grads[i]), m, v, ema, scalars, h);
      for (const k of STATE_OUT) outputs[`${k}_next.${name}`] = next[k];
    });
    const exe = await Executable.compile(outputs, { threads: options.threads, name: 'train-step' });
    return new TrainStep(cfg, batch, exe, trainable, h);
  }

  /** Run one step: updates `state` in place (its arrays are swapped, not copied) and returns the loss. */
  async run(state: TrainState, batch: StepBatch, lr: number, emaBeta: number): Promise<number> {
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
    const sources = { w: state.weights, m: state.adamM, v: state.adamV, ema: state.ema };
    for (const name of this.exe.inputNames) {
      if (feeds[name]) continue;
      const value = stateValue(sources, name);
      if (!value) throw new Error(`internal: train step: no state for ${name}`);
      feeds[name] = value;
    }
    const into: Record<string, Float32Array> = {};
    for (const name of this.trainable) {
      for (const k of STATE_OUT) {
        const key = `${k}_next.${name}`;
        let buf = this.spare.get(key);
        if (!buf) this.spare.set(key, (buf = new Float32Array(sources.w.get(name)!.length)));
        into[key] = buf;
      }
    }
    const out = await this.exe.run(feeds, into);
    for (const name of this.trainable) {
      for (const k of STATE_OUT) {
        const key = `${k}_next.${name}`;
        const map = sources[k];
        this.spare.set(key, map.get(name)!); // the old array becomes next step's output buffer
        map.set(name, out[key]);
      }
    }
    state.step = t;
    return out.loss[0];
  }

  async release(): Promise<void> {
    await this.exe.release();
  }
}
