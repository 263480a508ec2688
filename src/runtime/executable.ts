// A compiled graph: an ONNX Runtime session over a serialised graph. runtime/ is the only layer that
// imports onnxruntime (ort.ts natively, ort-web.ts in the browser); everything above it speaks
// Float32Array and shapes.
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { onnxLowering, ort, preallocatedOutputs, sessionOptions } from './ort.js';
import { countFlops } from '../graph/flops.js';
import { toOnnx, type ConstantData, type OnnxLowering } from '../graph/onnx.js';
import { numel, type Shape, type Value } from '../graph/ops.js';

/** How a graph is executed. */
export interface ExecutableOptions {
  /** Intra-op threads (default: ONNX Runtime's choice, one per core). */
  threads?: number;
  /**
   * Keep idle pool threads spinning between ops and runs (default: they sleep). Worth it only when runs
   * follow each other with no JavaScript work in between.
   */
  spinWhenIdle?: boolean;
  /** Name shown in errors and profiles. */
  name?: string;
  /** Write an ONNX Runtime profile (Chrome trace JSON) with this file prefix; see `endProfiling`. */
  profilePrefix?: string;
  /**
   * Inputs baked into the model with these values, so they are not fed at run time: the weights of an
   * inference-only graph, which ONNX Runtime then prepares once (convolution filters in its blocked layout).
   */
  constants?: ReadonlyMap<string, ConstantData>;
  /** How ops with several ONNX forms are written (default: the form this runtime build runs fastest). */
  lowering?: OnnxLowering;
}

/** An input's data: float32, int64 (indices) or int8 (8-bit weights). */
export type HostTensor = Float32Array | BigInt64Array | Int8Array;

const elementType = (data: HostTensor) => (data instanceof BigInt64Array ? 'int64' : data instanceof Int8Array ? 'int8' : 'float32');

/** A graph compiled for one set of input shapes; run it with named arrays. */
export class Executable {
  private constructor(
    private readonly session: InferenceSession,
    readonly inputShapes: ReadonlyMap<string, Shape>,
    readonly outputShapes: ReadonlyMap<string, Shape>,
    readonly name: string,
    /** FLOPs of one run, counted from the graph. */
    readonly flops: number,
  ) {}

  static async compile(outputs: Record<string, Value>, options: ExecutableOptions = {}): Promise<Executable> {
    const name = options.name ?? 'graph';
    const bytes = toOnnx(outputs, name, options.constants, options.lowering ?? onnxLowering);
    const session = await ort.InferenceSession.create(bytes, sessionOptions(options));
    const graph = Object.values(outputs)[0].graph;
    const inputShapes = new Map<string, Shape>();
    for (const n of session.inputNames) {
      const v = graph.inputs.get(n);
      if (!v) throw new Error(`internal: ${name}: session input ${n} is not a graph input`);
      inputShapes.set(n, v.shape);
    }
    const outputShapes = new Map(Object.entries(outputs).map(([k, v]) => [k, v.shape] as const));
    return new Executable(session, inputShapes, outputShapes, name, countFlops(Object.values(outputs)));
  }

  /** The inputs this graph needs (inputs the outputs do not depend on are pruned). */
  get inputNames(): string[] {
    return [...this.inputShapes.keys()];
  }

  /**
   * Run with one array per input. `into` may give preallocated arrays for some outputs, which
   * ONNX Runtime then writes in place (no allocation per step).
   */
  async run(feeds: Record<string, HostTensor>, into: Record<string, Float32Array> = {}): Promise<Record<string, Float32Array>> {
    const ortFeeds: Record<string, Tensor> = {};
    for (const [n, shape] of this.inputShapes) {
      const data = feeds[n];
      if (!data) throw new Error(`internal: ${this.name}: missing input ${n}`);
      const size = numel(shape);
      if (data.length !== size) throw new Error(`internal: ${this.name}: input ${n} has ${data.length} values, shape [${shape}] needs ${size}`);
      ortFeeds[n] = new ort.Tensor(elementType(data), data, [...shape]);
    }
    const fetches: Record<string, Tensor | null> = {};
    for (const [n, shape] of this.outputShapes) {
      fetches[n] = preallocatedOutputs && into[n] ? new ort.Tensor('float32', into[n], [...shape]) : null;
    }
    const result = await this.session.run(ortFeeds, fetches);
    const out: Record<string, Float32Array> = {};
    for (const n of this.outputShapes.keys()) {
      const data = result[n].data as Float32Array;
      const target = into[n];
      if (target && !(target.buffer === data.buffer && target.byteOffset === data.byteOffset)) target.set(data);
      out[n] = target ?? data;
    }
    return out;
  }

  /** Stop profiling and write the profile file. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
