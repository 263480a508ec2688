// Inference of a LEGO stack with one compiled graph per brick (and one for the conditioning), so
// stopping after brick k runs exactly bricks 0..k and a bigger canvas only changes the tile count.
// The runner denoises rows; classifier-free guidance is built on it in diffusion/guidance.ts.
import { Graph, type Value } from '../graph/ops.js';
import { countFlops } from '../graph/flops.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { canvasProblem, type LegoConfig } from './config.js';
import { coordinatePlanes, type CoordMode } from './coords.js';
import type { Precision } from '../nn/linear.js';
import { defaultMicroBatch } from './micro-batch.js';
import type { Weights } from './model.js';
import { precondition, preconditionInput, preconditionOutput } from './precond.js';
import { quantizeWeights, type QuantizedWeights } from './quantize.js';
import { roll } from './roll.js';
import { brickOutput, conditioning, modelParams, withCoordinates } from './stack.js';

export interface RunnerOptions {
  /** Intra-op threads per graph run (default: one per core). */
  threads?: number;
  /** Coordinates on canvases larger than the training size (default 'fit'). */
  coords?: CoordMode;
  /**
   * Rows (images, twice that with guidance) per brick run: bigger calls run in pieces of this size
   * (default: `defaultMicroBatch` for the rows and the canvas). The result does not depend on it.
   */
  microBatch?: number;
  /**
   * How the bricks' block Linears multiply (default float32). int8 quantises their weights once, when
   * the runner is made; each image's rows still get scales of their own, so results do not depend on the batch.
   */
  precision?: Precision;
  /**
   * The 8-bit weights an int8 run multiplies by, when the checkpoint stores them (`LegoCheckpoint.quantized`);
   * default: quantise `weights` when the runner is made. Ignored in float32.
   */
  quantized?: QuantizedWeights;
  /**
   * Bake the weights into each compiled brick graph instead of feeding them every run (default false).
   * The browser's WebAssembly runtime copies every input into its heap on every run and can only
   * pre-pack constant weights, so the web app sets it; natively inputs are not copied, and a large
   * model's weights would not fit one ONNX file (2 GB).
   */
  constantWeights?: boolean;
  /** Profile every compiled graph with ONNX Runtime's profiler (files with this prefix natively); see `endProfiling`. */
  profilePrefix?: string;
}

export interface DenoiseOptions {
  /** One-hot labels (B, labelDim); null or absent: the null label (zeros). */
  labels?: Float32Array | null;
  /** Stop after this brick (default: the last). */
  stopAfter?: number;
  /** Coordinate planes (2, H, W) for this call; default: the runner's mode over the canvas. */
  coordinates?: Float32Array;
  /**
   * Offset (dy, dx) of the tile grids for this call (shifted tiles): each brick whose tiles do not
   * span the canvas sees its grid moved by the offset modulo its tile size, wrapping at the edges.
   */
  tileOffset?: readonly [number, number];
}

/** A brick's grid offset: none along an axis its single tile already spans. */
function brickOffset(tile: number, height: number, width: number, offset?: readonly [number, number]): [number, number] {
  if (!offset) return [0, 0];
  return [tile < height ? offset[0] % tile : 0, tile < width ? offset[1] % tile : 0];
}

/** Time and work of one brick, summed over calls. */
export interface BrickStats {
  calls: number;
  ms: number;
  flops: number;
}

/** What every brick of one forward pass reads: rows (n, C, H, W) cut into micro-batches of `micro` rows. */
interface BrickInputs {
  shape: readonly [number, number, number, number];
  /** c_in x (n, C, H, W). */
  xIn: Float32Array;
  /** Conditioning vectors (n, hidden). */
  c: Float32Array;
  /** Coordinate planes (1, 2, H, W). */
  coords: Float32Array;
  micro: number;
  tileOffset?: readonly [number, number];
}

/**
 * Rows per run of the conditioning graph. Measured: ONNX Runtime computes the conditioning of some noise
 * levels a float32 ulp differently in graphs of fewer than 4 rows than in larger ones (enough to change a
 * pixel of an 8-bit image now and then), so it always runs on this many.
 */
const CONDITIONING_ROWS = 8;

export class LegoRunner {
  private readonly cache = new Map<string, Promise<Executable>>();
  readonly brickStats: BrickStats[];
  /** The 8-bit weights of int8 runs (empty in float32). */
  private readonly quantized: QuantizedWeights;

  constructor(
    readonly config: LegoConfig,
    readonly weights: Weights,
    readonly options: RunnerOptions = {},
  ) {
    this.brickStats = config.bricks.map(() => ({ calls: 0, ms: 0, flops: 0 }));
    this.quantized = options.precision === 'int8' ? (options.quantized ?? quantizeWeights(weights, config)) : new Map();
  }

  /** Denoised images D(x; sigma) = c_skip x + c_out F (B, C, H, W) from noisy x, one sigma per image. */
  async denoise(x: Float32Array, shape: readonly number[], sigma: ArrayLike<number>, options: DenoiseOptions = {}): Promise<Float32Array> {
    const f = await this.forward(x, shape, sigma, options);
    return preconditionOutput(x, f, shape, sigma, this.config.sigmaData);
  }

  /**
   * The raw network output F (B, C, H, W) of the last brick run, from noisy x (scaled by c_in here) and
   * one sigma and label row per image. Rows are independent, so a batch may stack several label sets.
   */
  async forward(x: Float32Array, shape: readonly number[], sigma: ArrayLike<number>, options: DenoiseOptions = {}): Promise<Float32Array> {
    const cfg = this.config;
    const [n, ch, height, width] = shape;
    const stopAfter = options.stopAfter ?? cfg.bricks.length - 1;
    if (ch !== cfg.imgChannels) throw new Error(`internal: denoise: ${ch} channels, model has ${cfg.imgChannels}`);
    const problem = canvasProblem(cfg, height, width);
    if (problem) throw new Error(`internal: denoise: ${problem}`);
    const coords = options.coordinates ?? this.defaultCoordinates(height, width);
    if (coords.length !== 2 * height * width) throw new Error(`internal: denoise: coordinates for another canvas`);
    const micro = this.options.microBatch ?? defaultMicroBatch(cfg, n, height, width);
    if (n % micro !== 0) throw new Error(`internal: denoise: micro-batch ${micro} does not divide ${n} rows`);
    const inputs: BrickInputs = {
      shape: [n, ch, height, width],
      xIn: preconditionInput(x, shape, sigma, cfg.sigmaData),
      c: await this.conditioningRows(n, sigma, options.labels ?? null),
      coords,
      micro,
      tileOffset: options.tileOffset,
    };
    let f: Float32Array | null = null;
    for (let k = 0; k <= stopAfter; k++) f = await this.runBrick(k, inputs, f);
    if (!f) throw new Error('internal: no brick ran');
    return f;
  }

  /** FLOPs of one call of each brick on an n-image batch and a canvas, counted from its graph (nothing is compiled). */
  brickFlops(n: number, height: number, width: number): number[] {
    return this.config.bricks.map((_, k) => countFlops(Object.values(this.brickGraph(k, n, height, width))));
  }

  /** End the profiles of every graph compiled so far (profiled runners only): files natively, the console in a browser. */
  async endProfiling(before?: (graph: string) => void): Promise<void> {
    for (const exe of await Promise.all(this.cache.values())) {
      before?.(exe.name);
      exe.endProfiling();
    }
  }

  /** Release every compiled graph. */
  async release(): Promise<void> {
    const all = await Promise.all(this.cache.values());
    this.cache.clear();
    await Promise.all(all.map((e) => e.release()));
  }

  private readonly coordinateCache = new Map<string, Float32Array>();

  /** The runner's coordinate planes for a canvas (cached). */
  defaultCoordinates(height: number, width: number): Float32Array {
    const key = `${height}x${width}`;
    let planes = this.coordinateCache.get(key);
    if (!planes) {
      planes = coordinatePlanes(height, width, this.options.coords ?? 'fit', this.config.imgResolution);
      this.coordinateCache.set(key, planes);
    }
    return planes;
  }

  /**
   * Conditioning vectors c (n, hidden) from one sigma and one label row (absent: zeros, the null label) per
   * row, computed CONDITIONING_ROWS rows at a time whatever n is, so that a row's c does not depend on the
   * batch it came in (the seed guarantee).
   */
  private async conditioningRows(n: number, sigma: ArrayLike<number>, labels: Float32Array | null): Promise<Float32Array> {
    const { labelDim, hiddenSize } = this.config;
    const cond = await this.executable('cond', () => this.conditioningGraph(CONDITIONING_ROWS));
    const out = new Float32Array(n * hiddenSize);
    for (let i = 0; i < n; i += CONDITIONING_ROWS) {
      const m = Math.min(CONDITIONING_ROWS, n - i);
      // Padding rows: sigma 1 (any finite noise level) and the null label; their c is dropped.
      const sigmas = new Float32Array(CONDITIONING_ROWS).fill(1);
      for (let k = 0; k < m; k++) sigmas[k] = sigma[i + k];
      const labelRows = new Float32Array(CONDITIONING_ROWS * labelDim);
      if (labels) labelRows.set(labels.subarray(i * labelDim, (i + m) * labelDim));
      const { c } = await cond.run(this.feeds(cond, { sigma: sigmas, class_labels: labelRows }));
      out.set(c.subarray(0, m * hiddenSize), i * hiddenSize);
    }
    return out;
  }

  /** Brick k's output F_k (n, C, H, W) given the previous brick's (null for brick 0), run micro-batch by micro-batch. */
  private async runBrick(k: number, inputs: BrickInputs, fPrev: Float32Array | null): Promise<Float32Array> {
    const cfg = this.config;
    const { shape, xIn, c, coords, micro } = inputs;
    const [n, ch, height, width] = shape;
    const pixels = ch * height * width;
    const exe = await this.executable(`brick${k}:${micro}x${height}x${width}`, () => this.brickGraph(k, micro, height, width));
    const start = performance.now();
    // Shifting brick k's tile grid = rolling its inputs (coordinates included) and unrolling its output.
    const [oy, ox] = brickOffset(cfg.bricks[k].resolution, height, width, inputs.tileOffset);
    const xRolled = roll(xIn, shape, oy, ox);
    const coordsRolled = roll(coords, [1, 2, height, width], oy, ox);
    const fRolled = fPrev && roll(fPrev, shape, oy, ox);
    const out = new Float32Array(n * pixels);
    const rows = (a: Float32Array, i: number, per: number) => a.subarray(i * per, (i + micro) * per);
    for (let i = 0; i < n; i += micro) {
      const data: Record<string, HostTensor> = { x_in: rows(xRolled, i, pixels), c: rows(c, i, cfg.hiddenSize), coords: coordsRolled };
      if (fRolled) data.f_prev = rows(fRolled, i, pixels);
      await exe.run(this.feeds(exe, data), { F: rows(out, i, pixels) });
    }
    const f = roll(out, shape, -oy, -ox);
    const stats = this.brickStats[k];
    stats.calls++;
    stats.ms += performance.now() - start;
    stats.flops += (exe.flops * n) / micro;
    return f;
  }

  private feeds(exe: Executable, data: Record<string, HostTensor>): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = {};
    for (const name of exe.inputNames) {
      const value = data[name] ?? this.weights.get(name) ?? this.quantized.get(name);
      if (!value) throw new Error(`internal: ${exe.name}: no weights for ${name}`);
      feeds[name] = value;
    }
    return feeds;
  }

  private executable(key: string, build: () => Record<string, Value>): Promise<Executable> {
    let exe = this.cache.get(key);
    if (!exe) {
      const constants = this.options.constantWeights ? new Map([...this.weights, ...this.quantized]) : undefined;
      const { threads, profilePrefix } = this.options;
      exe = Executable.compile(build(), { threads, name: key, constants, profilePrefix: profilePrefix && `${profilePrefix}-${key.replace(/[^\w-]/g, '_')}` });
      this.cache.set(key, exe);
    }
    return exe;
  }

  private conditioningGraph(n: number) {
    const cfg = this.config;
    const g = new Graph();
    const sigma = g.input('sigma', [n]);
    const labels = cfg.labelDim > 0 ? g.input('class_labels', [n, cfg.labelDim]) : null;
    return { c: conditioning(modelParams(g), precondition(sigma, cfg.sigmaData).cNoise, labels, cfg) };
  }

  private brickGraph(k: number, n: number, height: number, width: number) {
    const cfg = this.config;
    const g = new Graph();
    const xIn = g.input('x_in', [n, cfg.imgChannels, height, width]);
    const c = g.input('c', [n, cfg.hiddenSize]);
    const fPrev = k > 0 ? g.input('f_prev', [n, cfg.imgChannels, height, width]) : null;
    const X = withCoordinates(xIn, g.input('coords', [1, 2, height, width]));
    return { F: brickOutput(modelParams(g), k, X, fPrev, c, cfg, this.options.precision) };
  }
}
