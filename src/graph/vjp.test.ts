// Every VJP rule (vjp.ts) checked through grad() (grad.ts) and ONNX Runtime against central finite
// differences of loss = sum(op(x) * w). Each op needs a case in the table below, or a missing one
// does not compile (micrograd's and tinygrad's gradient tests, nuxt's Record<Name, Test | 'todo'>).

import { describe, expect, it } from 'vitest';
import { Executable } from '../runtime/executable.js';
import { grad } from './grad.js';
import { attentionOp, cast, conv2d, matmulIntegerToFloat, quantizeLinear, reduceMax, reduceMin,
  add, concat, cos, div, exp, expand, geluTanh, greater, isInf, isNaN as isNaNOp, layerNorm, log, matmul, mul, neg,
  numel, pow, reduceMean, reduceSum, reshape, sigmoid, sin, slice, softmax, sqrt, sub, tanh, transpose, where, Graph, instanceNorm, upsample,
  type Node, type OpType, type Shape, type Value,
} from './ops.js';
import { vjp } from './vjp.js';

// ---------------------------------------------------------------------------------------------
// Harness: seeded inputs, one Executable per case, directional central differences.

/** Step of the central differences; float32 evaluation, so neither tiny nor large. */
const EPS = 1e-2;
/**
 * A directional derivative fails when |fd - analytic| > TOL * max(|fd|, |analytic|, FLOOR). The
 * float32 loss (of order 1) is known to a few 1e-7, so fd carries an absolute noise of about 1e-5
 * over 2 * EPS; FLOOR keeps that noise under TOL when a random direction happens to be nearly
 * orthogonal to the gradient.
 */
const TOL = 1e-2;
const FLOOR = 1e-2;
/** Random directions per input. */
const DIRECTIONS = 3;

type Rng = () => number;

/** mulberry32: a few lines of seeded PRNG, so every run draws the same numbers. */
function mulberry32(seed: number): Rng {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a name: each case gets its own stream, so adding a case does not move the others. */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function uniform(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

/** Random directions with entries in [-1, 1]: every element moves by up to EPS, as in a per-element check. */
function randomDirections(rng: Rng, n: number): Float64Array[] {
  return Array.from({ length: DIRECTIONS }, () => Float64Array.from({ length: n }, () => 2 * rng() - 1));
}

/** The n unit vectors e_j: per-element central differences. */
function basisDirections(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i === j ? 1 : 0)));
}

interface GradCheck {
  /** Largest |fd - analytic| / max(|fd|, |analytic|, FLOOR) over all inputs and directions. */
  worst: number;
  /** One line per comparison over TOL. */
  failures: string[];
}

/**
 * Compare analytic gradients of `loss` at `xs` with central differences along the given
 * directions of each input. The analytic side uses the step actually taken after rounding
 * x ± EPS v to float32, so that rounding does not enter the comparison.
 */
async function checkGradients(
  loss: (xs: Float32Array[]) => Promise<number>,
  xs: readonly Float32Array[],
  grads: readonly Float32Array[],
  directionsFor: (n: number) => Float64Array[],
): Promise<GradCheck> {
  let worst = 0;
  const failures: string[] = [];
  for (const [i, x] of xs.entries()) {
    for (const [d, v] of directionsFor(x.length).entries()) {
      const plus = x.map((xj, j) => xj + EPS * v[j]);
      const minus = x.map((xj, j) => xj - EPS * v[j]);
      const at = (xi: Float32Array) => xs.map((other, k) => (k === i ? xi : other));
      const fd = ((await loss(at(plus))) - (await loss(at(minus)))) / (2 * EPS);
      let analytic = 0;
      for (let j = 0; j < x.length; j++) analytic += (grads[i][j] * (plus[j] - minus[j])) / (2 * EPS);
      const err = Math.abs(fd - analytic) / Math.max(Math.abs(fd), Math.abs(analytic), FLOOR);
      worst = Math.max(worst, err);
      if (!(err <= TOL)) {
        failures.push(`input ${i} direction ${d}: fd ${fd.toPrecision(6)}, analytic ${analytic.toPrecision(6)}`);
      }
    }
  }
  return { worst, failures };
}

/** One input of a case: its shape and the interval its values are drawn from. */
interface Arg {
  shape: Shape;
  lo: number;
  hi: number;
}
const signed = (...shape: number[]): Arg => ({ shape, lo: -1.5, hi: 1.5 });
const wide = (...shape: number[]): Arg => ({ shape, lo: -3, hi: 3 });
/** Away from zero: a safe domain for Log, Sqrt, a Pow base and a divisor. */
const positive = (...shape: number[]): Arg => ({ shape, lo: 0.5, hi: 2 });

/** One small graph around the op under test. */
interface Case {
  /** Shown in the test name. */
  name: string;
  /** One float input per entry (one to three). */
  args: Arg[];
  /** The op applied to the inputs; the returned value must be that op's output. */
  build: (xs: Value[], g: Graph) => Value;
}

/** An op whose outputs carry no gradient, with the reason. */
type NoGradient = `no-gradient: ${string}`;
/** An op that only runs forward: its rule throws, with the reason. */
type InferenceOnly = `inference-only: ${string}`;

/** A case compiled with its gradients: loss and analytic gradients at seeded inputs. */
interface Prepared {
  loss: (xs: Float32Array[]) => Promise<number>;
  xs: Float32Array[];
  grads: Float32Array[];
  /** The fixed weights of the loss, shaped like out. */
  w: Float32Array;
  rng: Rng;
  out: Value;
  release: () => Promise<void>;
}

/** Build loss = sum(out * w) with fixed random w, and compile it with grad(loss, inputs) as one Executable. */
async function prepare(c: Case, seedName: string): Promise<Prepared> {
  const rng = mulberry32(seedOf(seedName));
  const g = new Graph();
  const inputs = c.args.map((a, i) => g.input(`x${i}`, a.shape));
  const out = c.build(inputs, g);
  const w = uniform(rng, out.size);
  const lossValue = reduceSum(mul(out, g.constant(w, out.shape)), out.shape.map((_, i) => i));
  const dxs = grad(lossValue, inputs);
  const exe = await Executable.compile(
    { loss: lossValue, ...Object.fromEntries(dxs.map((d, i) => [`dx${i}`, d])) },
    { threads: 1, name: seedName },
  );
  const feeds = (xs: Float32Array[]) => Object.fromEntries(xs.map((x, i) => [`x${i}`, x]));
  const xs = c.args.map((a) => uniform(rng, numel(a.shape), a.lo, a.hi));
  const at = await exe.run(feeds(xs));
  return {
    loss: async (values) => (await exe.run(feeds(values))).loss[0],
    xs,
    grads: dxs.map((_, i) => at[`dx${i}`]),
    w,
    rng,
    out,
    release: () => exe.release(),
  };
}

// ---------------------------------------------------------------------------------------------
// The cases: one entry per op.

type Binary = (a: Value, b: Value) => Value;

/** Same shapes, each side broadcast, both broadcast, a scalar, and a rank difference. */
function binaryCases(f: Binary, rhs: (...shape: number[]) => Arg = signed): Case[] {
  const pairs: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[2, 3], [2, 1]],
    [[2, 1], [1, 3]],
    [[3], [2, 3]],
    [[2, 3], []],
    [[2, 1, 4], [3, 1]],
  ];
  return pairs.map(([sa, sb]) => ({
    name: `(${sa}) with (${sb})`,
    args: [signed(...sa), rhs(...sb)],
    build: ([a, b]) => f(a, b),
  }));
}

function unaryCases(f: (x: Value) => Value, arg: (...shape: number[]) => Arg = signed): Case[] {
  return [
    { name: '(2,3,4)', args: [arg(2, 3, 4)], build: ([x]) => f(x) },
    { name: 'scalar', args: [arg()], build: ([x]) => f(x) },
  ];
}

type Reduce = (x: Value, axes: number[], keepdims?: boolean) => Value;

function reduceCases(f: Reduce): Case[] {
  const variants: [number[], boolean][] = [
    [[1], false],
    [[1], true],
    [[0, 2], false],
    [[0, 2], true],
    [[-1], false],
    [[0, 1, 2], false],
    [[0, 1, 2], true],
  ];
  return variants.map(([axes, keepdims]) => ({
    name: `(2,3,4) axes [${axes}] keepdims ${keepdims}`,
    args: [signed(2, 3, 4)],
    build: ([x]) => f(x, axes, keepdims),
  }));
}

/** A fixed boolean mask with both values: greater() of a constant, so no gradient reaches it. */
const mask = (g: Graph, shape: number[]) =>
  greater(g.constant(Float32Array.from({ length: numel(shape) }, (_, i) => ((i * 5) % 3) - 0.5), shape), 0);

/** ReduceMax/ReduceMin over spread values: no two near a slice's extremum within a finite-difference step. */
function extremumCases(f: Reduce): Case[] {
  const variants: [number[], boolean][] = [[[1], false], [[0, 2], true], [[-1], false], [[0, 1, 2], false]];
  return variants.map(([axes, keepdims]) => ({
    name: `(2,3,4) axes [${axes}] keepdims ${keepdims}`,
    args: [{ shape: [2, 3, 4], lo: -30, hi: 30 }],
    build: ([x]) => f(x, axes, keepdims),
  }));
}

const cases: Record<OpType, Case[] | NoGradient | InferenceOnly> = {
  Input: 'no-gradient: a leaf; grad() starts from it, no rule pulls through it',
  Const: 'no-gradient: a fixed value',
  Add: binaryCases(add),
  Sub: binaryCases(sub),
  Mul: binaryCases(mul),
  Div: binaryCases(div, positive),
  Pow: [
    { name: 'x^3, constant exponent, signed base', args: [signed(2, 3)], build: ([x]) => pow(x, 3) },
    { name: 'x^0.5, constant exponent', args: [positive(2, 3)], build: ([x]) => pow(x, 0.5) },
    { name: '(2,3)^const (3)', args: [positive(2, 3)], build: ([x], g) => pow(x, g.constant([-1, 0.5, 2], [3])) },
    { name: 'a^b (2,3)^(2,3)', args: [positive(2, 3), signed(2, 3)], build: ([a, b]) => pow(a, b) },
    { name: 'a^b (2,3)^(3)', args: [positive(2, 3), signed(3)], build: ([a, b]) => pow(a, b) },
    { name: 'a^b (2,1)^(1,3)', args: [positive(2, 1), signed(1, 3)], build: ([a, b]) => pow(a, b) },
  ],
  Neg: unaryCases(neg),
  Sqrt: unaryCases(sqrt, positive),
  Exp: unaryCases(exp),
  Log: unaryCases(log, positive),
  Sin: unaryCases(sin, wide),
  Cos: unaryCases(cos, wide),
  Tanh: unaryCases(tanh),
  Sigmoid: unaryCases(sigmoid, wide),
  MatMul: [
    { name: '(2,3) x (3,2)', args: [signed(2, 3), signed(3, 2)], build: ([a, b]) => matmul(a, b) },
    { name: '(B,T,K) x (K,N): (2,3,4) x (4,5)', args: [signed(2, 3, 4), signed(4, 5)], build: ([a, b]) => matmul(a, b) },
    { name: 'batched (2,3,4) x (2,4,2)', args: [signed(2, 3, 4), signed(2, 4, 2)], build: ([a, b]) => matmul(a, b) },
    {
      name: 'broadcast leading (2,1,3,4) x (3,4,2)',
      args: [signed(2, 1, 3, 4), signed(3, 4, 2)],
      build: ([a, b]) => matmul(a, b),
    },
    { name: 'rank-2 left (3,4) x (2,4,5)', args: [signed(3, 4), signed(2, 4, 5)], build: ([a, b]) => matmul(a, b) },
    { name: 'broadcast both (1,3,2) x (2,2,4)', args: [signed(1, 3, 2), signed(2, 2, 4)], build: ([a, b]) => matmul(a, b) },
  ],
  Softmax: [
    { name: '(2,3,4) axis -1', args: [wide(2, 3, 4)], build: ([x]) => softmax(x, -1) },
    { name: '(2,3,4) axis 1', args: [wide(2, 3, 4)], build: ([x]) => softmax(x, 1) },
    { name: '(2,3,4) axis 0', args: [wide(2, 3, 4)], build: ([x]) => softmax(x, 0) },
    { name: '(5) axis 0', args: [wide(5)], build: ([x]) => softmax(x, 0) },
  ],
  ReduceSum: reduceCases(reduceSum),
  ReduceMean: reduceCases(reduceMean),
  Reshape: [
    { name: '(2,3,4) to (6,4)', args: [signed(2, 3, 4)], build: ([x]) => reshape(x, [6, 4]) },
    { name: '(2,3,4) to (4,-1)', args: [signed(2, 3, 4)], build: ([x]) => reshape(x, [4, -1]) },
    { name: '(6) to (2,1,3)', args: [signed(6)], build: ([x]) => reshape(x, [2, 1, 3]) },
  ],
  Transpose: [
    { name: '(2,3) perm [1,0]', args: [signed(2, 3)], build: ([x]) => transpose(x, [1, 0]) },
    { name: '(2,3,4) perm [2,0,1]', args: [signed(2, 3, 4)], build: ([x]) => transpose(x, [2, 0, 1]) },
    { name: '(2,3,2,4) perm [1,3,0,2]', args: [signed(2, 3, 2, 4)], build: ([x]) => transpose(x, [1, 3, 0, 2]) },
  ],
  Concat: [
    {
      name: '(2,1,3) (2,2,3) (2,3,3) axis 1',
      args: [signed(2, 1, 3), signed(2, 2, 3), signed(2, 3, 3)],
      build: (xs) => concat(xs, 1),
    },
    { name: '(1,3) (2,3) (3,3) axis 0', args: [signed(1, 3), signed(2, 3), signed(3, 3)], build: (xs) => concat(xs, 0) },
    { name: '(2,2) (2,1) (2,3) axis -1', args: [signed(2, 2), signed(2, 1), signed(2, 3)], build: (xs) => concat(xs, -1) },
  ],
  Slice: [
    { name: '(2,5,3) axis 1, 1:3 (middle)', args: [signed(2, 5, 3)], build: ([x]) => slice(x, 1, 1, 3) },
    { name: '(3,6) axis -1, 2:4 (middle)', args: [signed(3, 6)], build: ([x]) => slice(x, -1, 2, 4) },
    { name: '(4,3) axis 0, 0:2 (head)', args: [signed(4, 3)], build: ([x]) => slice(x, 0, 0, 2) },
    { name: '(2,5) axis 1, 2:5 (tail)', args: [signed(2, 5)], build: ([x]) => slice(x, 1, 2, 5) },
  ],
  Expand: [
    { name: '(3) to (2,3)', args: [signed(3)], build: ([x]) => expand(x, [2, 3]) },
    { name: '(2,1,3) to (2,4,3)', args: [signed(2, 1, 3)], build: ([x]) => expand(x, [2, 4, 3]) },
    { name: '(1,1) to (3,2,2)', args: [signed(1, 1)], build: ([x]) => expand(x, [3, 2, 2]) },
    { name: 'scalar to (2,3)', args: [signed()], build: ([x]) => expand(x, [2, 3]) },
  ],
  Where: [
    { name: 'cond (2,3), (2,3), (2,3)', args: [signed(2, 3), signed(2, 3)], build: ([a, b], g) => where(mask(g, [2, 3]), a, b) },
    { name: 'cond (2,3), (3), scalar', args: [signed(3), signed()], build: ([a, b], g) => where(mask(g, [2, 3]), a, b) },
    { name: 'cond (2,1), (1,3), (2,3)', args: [signed(1, 3), signed(2, 3)], build: ([a, b], g) => where(mask(g, [2, 1]), a, b) },
    { name: 'cond (2,3), x, constant 0', args: [signed(2, 3)], build: ([x], g) => where(mask(g, [2, 3]), x, 0) },
  ],
  IsNaN: 'no-gradient: boolean output',
  IsInf: 'no-gradient: boolean output',
  Greater: 'no-gradient: boolean output, piecewise constant in both inputs',
  LayerNorm: [
    { name: '(2,3,5) epsilon 1e-5', args: [wide(2, 3, 5)], build: ([x]) => layerNorm(x, 1e-5) },
    { name: '(4,8) epsilon 1e-6', args: [wide(4, 8)], build: ([x]) => layerNorm(x, 1e-6) },
  ],
  GeluTanh: unaryCases(geluTanh, wide),
  // Fused multi-head attention; its rule recomputes the probabilities.
  Attention: [
    { name: 'N=2 T=3 D=4, 2 heads', args: [signed(2, 3, 4), signed(2, 3, 4), signed(2, 3, 4)], build: ([q, k, v]) => attentionOp(q, k, v, 2, 0.7) },
    { name: 'N=1 T=5 D=6, 3 heads, q shared with k', args: [signed(1, 5, 6), signed(1, 5, 6)], build: ([q, v]) => attentionOp(q, q, v, 3, 1 / Math.sqrt(2)) },
  ],
  // A float64 detour: the rule casts the gradient back to the input's type.
  Cast: [
    { name: 'float32 -> float64 -> float32 of x^2', args: [signed(2, 3)], build: ([x]) => cast(mul(cast(x, 'float64'), cast(x, 'float64')), 'float32') },
    { name: 'float64 sum', args: [signed(3, 4)], build: ([x]) => cast(reduceSum(cast(x, 'float64'), [1], true), 'float32') },
  ],
  Conv: 'inference-only: the VAE (src/vae) runs its convolutions forward only',
  // Values far apart, so that no two near the maximum of a slice fall within a finite-difference step.
  ReduceMax: extremumCases(reduceMax),
  ReduceMin: extremumCases(reduceMin),
  QuantizeLinear: 'no-gradient: uint8 output, piecewise constant',
  MatMulIntegerToFloat: 'no-gradient: integer inputs (the scale comes from int8 weights, never trained)',
  InstanceNorm: [
    { name: '(2,3,5) epsilon 1e-5', args: [wide(2, 3, 5)], build: ([x]) => instanceNorm(x, 1e-5) },
    { name: '(1,2,12) epsilon 1e-6', args: [wide(1, 2, 12)], build: ([x]) => instanceNorm(x, 1e-6) },
  ],
  Upsample: [
    { name: '(1,2,2,3) by 2', args: [signed(1, 2, 2, 3)], build: ([x]) => upsample(x, 2) },
    { name: '(2,1,1,2) by 3', args: [signed(2, 1, 1, 2)], build: ([x]) => upsample(x, 3) },
  ],
};

// ---------------------------------------------------------------------------------------------
// Tests

describe('vjp rules against central differences', () => {
  it('has a case or a no-gradient reason for every rule, and nothing else', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(vjp).sort());
  });

  for (const op of Object.keys(vjp) as OpType[]) {
    const entry = cases[op];
    if (typeof entry === 'string') continue;
    describe(op, () => {
      for (const c of entry) {
        it(c.name, async () => {
          const p = await prepare(c, `${op} ${c.name}`);
          expect(p.out.node.op).toBe(op);
          const check = await checkGradients(p.loss, p.xs, p.grads, (n) => randomDirections(p.rng, n));
          await p.release();
          expect(check.failures).toEqual([]);
        });
      }
    });
  }

  it('gives null for every input of the ops marked no-gradient', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const c = g.constant(0);
    const q = quantizeLinear(x, g.input('s', [2]), 0, 128);
    const samples = [x, c, isNaNOp(x), isInf(x, 1), greater(x, c), q, matmulIntegerToFloat(q, g.input('w', [3, 4], 'int8'), g.input('ws', [4]), 128)];
    for (const op of Object.keys(vjp) as OpType[]) {
      const entry = cases[op];
      if (typeof entry !== 'string' || !entry.startsWith('no-gradient')) continue;
      const node = samples.find((v) => v.node.op === op)?.node;
      if (!node) throw new Error(`no sample node for ${op}, which is marked no-gradient`);
      const rule = vjp[op] as (dy: Value, node: Node) => (Value | null)[];
      const dxs = rule(g.constant(1), node);
      expect(dxs.length === 0 || dxs.length === node.inputs.length).toBe(true);
      expect(dxs.every((d) => d === null)).toBe(true);
    }
  });

  it('throws an internal error naming the op for the ops marked inference-only', () => {
    const g = new Graph();
    const samples = [conv2d(g.input('x', [1, 2, 3, 3]), g.input('w', [4, 2, 3, 3]), g.input('b', [4]))];
    for (const op of Object.keys(vjp) as OpType[]) {
      const entry = cases[op];
      if (typeof entry !== 'string' || !entry.startsWith('inference-only')) continue;
      const node = samples.find((v) => v.node.op === op)?.node;
      if (!node) throw new Error(`no sample node for ${op}, which is marked inference-only`);
      const rule = vjp[op] as (dy: Value, node: Node) => (Value | null)[];
      expect(() => rule(g.constant(1), node)).toThrow(`internal: ${op} has no gradient (inference only)`);
    }
  });

  it('agrees per element for MatMul (2,3) x (3,2), and with the closed form dA = W B^T, dB = A^T W', async () => {
    const c: Case = { name: '(2,3) x (3,2)', args: [signed(2, 3), signed(3, 2)], build: ([a, b]) => matmul(a, b) };
    const p = await prepare(c, 'MatMul per element');
    const check = await checkGradients(p.loss, p.xs, p.grads, basisDirections);
    await p.release();
    expect(check.failures).toEqual([]);
    // a (2,3), b (3,2), w (2,2), row-major: dA[i,k] = sum_j w[i,j] b[k,j], dB[k,j] = sum_i a[i,k] w[i,j].
    const [[a, b], w, [dA, dB]] = [p.xs, p.w, p.grads];
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) {
        expect(dA[3 * i + k]).toBeCloseTo(w[2 * i] * b[2 * k] + w[2 * i + 1] * b[2 * k + 1], 5);
      }
    }
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 2; j++) {
        expect(dB[2 * k + j]).toBeCloseTo(a[k] * w[j] + a[3 + k] * w[2 + j], 5);
      }
    }
  });
});

describe('grad', () => {
  it('sums the gradients of a value used more than once', async () => {
    // loss = sum(w (x x + sin x)): x reaches Mul twice and Sin once, so dloss/dx = w (2x + cos x).
    const c: Case = { name: 'x x + sin x', args: [signed(2, 3)], build: ([x]) => add(mul(x, x), sin(x)) };
    const p = await prepare(c, 'fan-in');
    const check = await checkGradients(p.loss, p.xs, p.grads, (n) => randomDirections(p.rng, n));
    await p.release();
    expect(check.failures).toEqual([]);
    const [x] = p.xs;
    x.forEach((xi, i) => expect(p.grads[0][i]).toBeCloseTo(p.w[i] * (2 * xi + Math.cos(xi)), 5));
  });

  it('gives zeros for a parameter the loss does not depend on', async () => {
    // u feeds a branch that never reaches the loss.
    const c: Case = {
      name: 'tanh x, exp u unused',
      args: [signed(2, 3), signed(4)],
      build: ([x, u]) => {
        exp(u);
        return tanh(x);
      },
    };
    const p = await prepare(c, 'unused parameter');
    await p.release();
    expect(p.grads[1]).toEqual(new Float32Array(4));
    expect(p.grads[0].some((d) => d !== 0)).toBe(true);
  });

  it('with a seed, gives the gradient of sum(y * seed)', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const y = mul(sin(x), x);
    const seed = g.constant([0.5, -1, 2, 0.25, -0.75, 1.5], [2, 3]);
    const [seeded] = grad(y, [x], seed);
    const [summed] = grad(reduceSum(mul(y, seed), [0, 1]), [x]);
    const exe = await Executable.compile({ seeded, summed }, { threads: 1 });
    const out = await exe.run({ x: uniform(mulberry32(seedOf('seed')), 6) });
    await exe.release();
    out.seeded.forEach((d, i) => expect(d).toBeCloseTo(out.summed[i], 6));
    expect(() => grad(y, [x])).toThrow(/needs a seed/);
  });
});

describe('the comparison catches wrong gradients', () => {
  it('fails perturbed gradients that the true ones pass', async () => {
    const c: Case = { name: 'a tanh(b)', args: [signed(3, 4), signed(3, 4)], build: ([a, b]) => mul(a, tanh(b)) };
    const p = await prepare(c, 'perturbed gradients');
    const directions = (n: number) => randomDirections(p.rng, n);
    expect((await checkGradients(p.loss, p.xs, p.grads, directions)).failures).toEqual([]);
    const largest = Math.max(...p.grads[0].map(Math.abs));
    const wrong: Record<string, Float32Array[]> = {
      'scaled by 1.05': p.grads.map((d) => d.map((v) => 1.05 * v)),
      'one element off by a tenth of the largest': [p.grads[0].map((v, i) => (i === 5 ? v + 0.1 * largest : v)), p.grads[1]],
      'sign flipped on one input': [p.grads[0], p.grads[1].map((v) => -v)],
      'inputs swapped': [p.grads[1], p.grads[0]],
    };
    for (const [name, grads] of Object.entries(wrong)) {
      const check = await checkGradients(p.loss, p.xs, grads, directions);
      expect(check.failures.length, name).toBeGreaterThan(0);
    }
    await p.release();
  });

  it('fails a Softmax rule that ignores its axis, on a non-last axis', async () => {
    const right = vjp.Softmax;
    vjp.Softmax = (dy, { output: y }) => [mul(y, sub(dy, reduceSum(mul(dy, y), [-1], true)))];
    try {
      for (const [axis, caught] of [[-1, false], [1, true]] as const) {
        const c: Case = { name: `axis ${axis}`, args: [wide(2, 3, 4)], build: ([x]) => softmax(x, axis) };
        const p = await prepare(c, `wrong Softmax rule, axis ${axis}`);
        const check = await checkGradients(p.loss, p.xs, p.grads, (n) => randomDirections(p.rng, n));
        await p.release();
        expect(check.failures.length > 0, `axis ${axis}`).toBe(caught);
      }
    } finally {
      vjp.Softmax = right;
    }
  });
});
