// Where an int8 forward spends its time: every brick graph of lego_S_PG_64 at 64x64 (one micro-batch of
// `lego bench --batch 8`) run under ONNX Runtime's profiler in float32 and in int8, kernel time per op.
// Checks that the block Linears run as integer kernels (MatMulIntegerToFloat, no float fallback) and sets
// the quantised products (the integer product plus the activation quantisation and the row scale and bias
// after it) against the float32 products they replace.
// Run: npx tsx bench/int8-profile.ts [rounds, default 3] [images per graph run, default 4]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../src/graph/ops.js';
import { initWeights } from '../src/lego/model.js';
import { presetConfig } from '../src/lego/presets.js';
import { quantizeWeights } from '../src/lego/quantize.js';
import { brickOutput, modelParams, withCoordinates } from '../src/lego/stack.js';
import type { Precision } from '../src/nn/linear.js';
import { Rng } from '../src/random.js';
import { Executable, type HostTensor } from '../src/runtime/executable.js';

const rounds = Number(process.argv[2] ?? 3);
const n = Number(process.argv[3] ?? 4);
const cfg = presetConfig('lego_S_PG_64', { imgChannels: 3, imgResolution: 64 });
const r = cfg.imgResolution;
const d = cfg.hiddenSize;
const hidden = Math.trunc(d * cfg.mlpRatio);
const weights = initWeights(cfg, 0);
const quantized = quantizeWeights(weights, cfg);
const rng = new Rng(1);
const data: Record<string, HostTensor> = {
  x_in: rng.fillNormal(new Float32Array(n * cfg.imgChannels * r * r)),
  f_prev: rng.fillNormal(new Float32Array(n * cfg.imgChannels * r * r)),
  c: rng.fillNormal(new Float32Array(n * d)),
  coords: new Float32Array(2 * r * r),
};
const dir = mkdtempSync(join(tmpdir(), 'lego-int8-profile-'));

interface KernelEvent {
  cat: string;
  name: string;
  dur: number;
  args: { op_name?: string; provider?: string; input_type_shape?: Record<string, number[]>[] };
}

/** Brick k's graph compiled with profiling, and its feeds. */
async function compile(k: number, precision: Precision) {
  const g = new Graph();
  const X = withCoordinates(g.input('x_in', [n, cfg.imgChannels, r, r]), g.input('coords', [1, 2, r, r]));
  const fPrev = k > 0 ? g.input('f_prev', [n, cfg.imgChannels, r, r]) : null;
  const F = brickOutput(modelParams(g), k, X, fPrev, g.input('c', [n, d]), cfg, precision);
  const prefix = join(dir, `brick${k}-${precision}`);
  const exe = await Executable.compile({ F }, { name: `brick${k}`, profilePrefix: prefix });
  const feeds = Object.fromEntries(exe.inputNames.map((name) => [name, data[name] ?? weights.get(name) ?? quantized.get(name)!]));
  return { exe, feeds, prefix };
}

/**
 * Kernel events of `rounds` runs of brick k's graph in each precision, after one warm-up run each. The
 * runs alternate float32 and int8, so that the load of a shared machine weighs on both alike.
 */
async function profile(k: number): Promise<Record<Precision, KernelEvent[]>> {
  const both = [await compile(k, 'float32'), await compile(k, 'int8')];
  for (let i = 0; i <= rounds; i++) for (const { exe, feeds } of both) await exe.run(feeds);
  const [float, int8] = await Promise.all(both.map(async ({ exe, prefix }) => {
    exe.endProfiling();
    await exe.release();
    const file = readdirSync(dir).find((f) => join(dir, f).startsWith(prefix))!;
    const events = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as KernelEvent[])
      .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    // The warm-up run's kernels come first: drop them (each run has the same kernels).
    return events.slice(events.length / (rounds + 1));
  }));
  return { float32: float, int8 };
}

const shapes = (e: KernelEvent) => (e.args.input_type_shape ?? []).map((s) => Object.values(s)[0]);
/** A float product of a block Linear: its weight (out, in) or (in, out) made of the hidden and MLP sizes. */
const isBlockProduct = (e: KernelEvent) =>
  ['Gemm', 'MatMul', 'FusedMatMul'].includes(e.args.op_name!) &&
  shapes(e)[1]?.length === 2 && shapes(e)[1].every((s) => s === d || s === hidden) && shapes(e)[0][0] > n;
/** The int8 products' own kernels: the integer product, the row scales and quantisation, the dequantisation on (M, N). */
function int8Part(e: KernelEvent): 'matmul' | 'quantise' | 'dequantise' | null {
  const op = e.args.op_name!;
  const [a] = shapes(e);
  if (op === 'MatMulIntegerToFloat') return 'matmul';
  if (['ReduceMax', 'ReduceMin', 'QuantizeLinear'].includes(op)) return 'quantise';
  // The row scales: (M, 1) tensors; modulations and gates are 4-D and stay out.
  if (['Neg', 'Greater', 'Where', 'Div'].includes(op) && a?.length === 2 && a[1] === 1) return 'quantise';
  // After the product: the row scale and the bias on (M, N) (the conversion and column scales are inside it).
  if (['Mul', 'Add'].includes(op) && a?.length === 2 && a[0] > n) return 'dequantise';
  return null;
}

const ms = (events: KernelEvent[]) => events.reduce((s, e) => s + e.dur, 0) / 1000 / rounds;
const rows: string[] = [];
/** Kernel ms per run by op type over all bricks, in each precision. */
const byOp = new Map<string, Record<Precision, number>>();
function addByOp(events: KernelEvent[], precision: Precision): void {
  for (const e of events) {
    const entry = byOp.get(e.args.op_name!) ?? { float32: 0, int8: 0 };
    entry[precision] += e.dur / 1000 / rounds;
    byOp.set(e.args.op_name!, entry);
  }
}
const totals = { float: 0, floatProducts: 0, int8: 0, matmul: 0, quantise: 0, dequantise: 0 };
for (let k = 0; k < cfg.bricks.length; k++) {
  const { float32: float, int8 } = await profile(k);
  addByOp(float, 'float32');
  addByOp(int8, 'int8');
  const fallbacks = int8.filter(isBlockProduct);
  if (fallbacks.length > 0) throw new Error(`brick ${k}: ${fallbacks.length} block products still run as float kernels in int8`);
  const providers = new Set(int8.filter((e) => e.args.op_name === 'MatMulIntegerToFloat').map((e) => e.args.provider));
  const part = (p: string) => ms(int8.filter((e) => int8Part(e) === p));
  const row = { floatProducts: ms(float.filter(isBlockProduct)), matmul: part('matmul'), quantise: part('quantise'), dequantise: part('dequantise') };
  const int8Products = row.matmul + row.quantise + row.dequantise;
  rows.push(`| ${k} | ${ms(float).toFixed(0)} | ${ms(int8).toFixed(0)} | ${row.floatProducts.toFixed(0)} | ${int8Products.toFixed(0)} ` +
    `(${row.matmul.toFixed(0)} + ${row.quantise.toFixed(0)} + ${row.dequantise.toFixed(0)}) | ${(row.floatProducts / int8Products).toFixed(2)}x | ${[...providers].join(', ')} |`);
  totals.float += ms(float);
  totals.int8 += ms(int8);
  totals.floatProducts += row.floatProducts;
  totals.matmul += row.matmul;
  totals.quantise += row.quantise;
  totals.dequantise += row.dequantise;
}
rmSync(dir, { recursive: true, force: true });
const int8Products = totals.matmul + totals.quantise + totals.dequantise;
console.log(`lego_S_PG_64 at ${r}x${r}, ${n} images per graph run, kernel ms per run (mean of ${rounds} runs after a warm-up)`);
console.log('| brick | all kernels, float32 | all kernels, int8 | float32 block products | int8 block products (integer product + quantise + dequantise) | products ratio | integer product on |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
console.log(`| all | ${totals.float.toFixed(0)} | ${totals.int8.toFixed(0)} | ${totals.floatProducts.toFixed(0)} | ${int8Products.toFixed(0)} ` +
  `(${totals.matmul.toFixed(0)} + ${totals.quantise.toFixed(0)} + ${totals.dequantise.toFixed(0)}) | ${(totals.floatProducts / int8Products).toFixed(2)}x | |`);
console.log('\n| op | float32 ms | int8 ms |\n| --- | --- | --- |');
for (const [op, t] of [...byOp].sort((a, b) => Math.max(b[1].float32, b[1].int8) - Math.max(a[1].float32, a[1].int8))) {
  if (Math.max(t.float32, t.int8) >= 1) console.log(`| ${op} | ${t.float32.toFixed(0)} | ${t.int8.toFixed(0)} |`);
}
