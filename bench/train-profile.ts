// Where one training step (the fused graph of `lego bench --train`: forward, LEGO loss, backward, Adam, EMA)
// spends its time: ONNX Runtime's kernel time per op type, the FLOPs each op type does (from the kernels' own
// shapes) and its GFLOP/s, and the split into forward, backward and optimiser. One warm-up step, then timed ones.
// Run: npx tsx bench/train-profile.ts [--arch lego_T_G_32|stack.json] [--resolution 32] [--channels 1]
//        [--label-dim 10] [--batch 32] [--threads 2] [--rounds 5 (timed steps)] [--json]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseIntFlag, parseThreads, resolveArch } from '../src/cli/args.js';
import { initWeights } from '../src/lego/model.js';
import { median } from '../src/timing.js';
import { benchTrainBatch } from '../src/train/bench.js';
import { TrainStep } from '../src/train/step.js';
import { kernelEvents, type KernelEvent } from './ort-profile.js';

const { values: flags } = parseArgs({
  options: {
    arch: { type: 'string', default: 'lego_T_G_32' },
    resolution: { type: 'string' },
    channels: { type: 'string', default: '1' },
    'label-dim': { type: 'string', default: '10' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const cfg = resolveArch(flags.arch, {
  imgChannels: parseIntFlag('--channels', flags.channels, { min: 1 }),
  labelDim: parseIntFlag('--label-dim', flags['label-dim'], { min: 0 }),
  ...(flags.resolution ? { imgResolution: parseIntFlag('--resolution', flags.resolution, { min: 1 }) } : {}),
});
const batch = parseIntFlag('--batch', flags.batch, { min: 1 });
const threads = parseThreads(flags.threads);
const rounds = parseIntFlag('--rounds', flags.rounds, { min: 1, max: 100 });

// ---------------------------------------------------------------------------------------------------------
// FLOPs of one kernel from its input and output shapes (ORT fuses our nodes, so the graph's own count per
// node does not map onto kernels). Rules follow src/graph/flops.ts. Approximate: a FusedMatMul's alpha and a
// Gemm's beta are not counted; MultiHeadAttention's softmax is left out (the profile does not give the
// heads); Gelu counts 8 per element as our GeluTanh does; an op missing here (data movement) counts 0.

interface ShapedEvent extends KernelEvent {
  args: KernelEvent['args'] & { input_type_shape?: Record<string, number[]>[]; output_type_shape?: Record<string, number[]>[] };
}

const shapesOf = (s: Record<string, number[]>[] | undefined) => (s ?? []).map((t) => Object.values(t)[0]);
const prod = (xs: readonly number[]) => xs.reduce((p, x) => p * x, 1);
const PER_ELEMENT: Record<string, number> = {
  Add: 1, Sub: 1, Mul: 1, Div: 1, Pow: 1, Neg: 1, Sqrt: 1, Exp: 1, Log: 1, Sin: 1, Cos: 1, Tanh: 1, Sigmoid: 1,
  Where: 1, IsNaN: 1, IsInf: 1, Greater: 1, Cast: 1, Softmax: 5, LayerNormalization: 8, Gelu: 8, QuantizeLinear: 3,
};
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin']);

function kernelFlops(e: ShapedEvent): number {
  const op = e.args.op_name ?? '?';
  const [a, b, c] = shapesOf(e.args.input_type_shape);
  const [y] = shapesOf(e.args.output_type_shape);
  if (op === 'MatMul' || op === 'FusedMatMul' || op === 'Gemm') {
    // y (..., M, N): K from A's last two dims, which hold M x K transposed or not; batch dims come from y.
    const m = y.length > 1 ? y[y.length - 2] : 1;
    const k = a.length > 1 ? (a[a.length - 1] * a[a.length - 2]) / m : a[0];
    return 2 * prod(y) * k + (op === 'Gemm' && c ? prod(y) : 0);
  }
  // q (B, T, D), k (B, Tk, D), v (B, Tk, Dv): Q K^T and P V.
  if (op === 'MultiHeadAttention') return 2 * a[0] * a[1] * b[1] * (a[2] + (c?.[2] ?? a[2]));
  if (REDUCE.has(op)) return prod(a);
  return (PER_ELEMENT[op] ?? 0) * prod(y ?? []);
}

// ---------------------------------------------------------------------------------------------------------
// Profile `rounds` steps after a warm-up.

const stepBatch = benchTrainBatch(cfg, batch);

/** Milliseconds of each of `rounds` steps after a warm-up one. */
async function timeSteps(step: TrainStep): Promise<number[]> {
  const state = step.createState({ weights: initWeights(cfg, 0) });
  const ms: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    await step.run(state, stepBatch, 1e-4, 0.999);
    if (i > 0) ms.push(performance.now() - start);
  }
  return ms;
}

// The wall time of a step is measured without the profiler, which adds its own time around every kernel
// (in one sitting, lego_T_G_32 at batch 32 on 2 threads: 273 ms per step profiled, 157 ms in `lego bench --train`).
const plain = await TrainStep.create(cfg, batch, { threads });
const wallMs = await timeSteps(plain);
await plain.release();
const dir = mkdtempSync(join(tmpdir(), 'lego-train-profile-'));
const step = await TrainStep.create(cfg, batch, { threads, profilePrefix: join(dir, 'step') });
const state = step.createState({ weights: initWeights(cfg, 0) });
await timeSteps(step);
step.endProfiling();
const file = readdirSync(dir).find((f) => f.startsWith('step'));
if (!file) throw new Error(`internal: no ONNX Runtime profile in ${dir}`);
const text = readFileSync(join(dir, file), 'utf8');
const all = kernelEvents(text) as ShapedEvent[];
// Time inside ONNX Runtime's run per step (kernels plus the executor's own work), to set against wall time.
const ortRunMs = (JSON.parse(text) as KernelEvent[]).filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(1).map((e) => e.dur / 1000);
await step.release();
rmSync(dir, { recursive: true, force: true });
if (all.length % (rounds + 1) !== 0) throw new Error(`internal: ${all.length} kernel events are not ${rounds + 1} equal steps`);
// The warm-up step's kernels come first: drop them (each step runs the same kernels).
const events = all.slice(all.length / (rounds + 1));

// ---------------------------------------------------------------------------------------------------------
// Per node (median over the steps), then per op type and per phase.
//
// Phases: our ONNX node names are `n<value id>` (graph/onnx.ts) and ids follow creation order, so in
// TrainStep.create the forward and loss come first, then the gradients up to the flat-gradient Concat (output
// of size state.size), then the sanitising, Adam and EMA. The loss is taken as the last scalar-output kernel
// before that Concat (the gradient's scalars are constants, folded by ORT). Fused kernels keep one original
// name (`n45/MatMulAddFusion`); nodes ORT inserts (`gemm_input_reshape_token_8`) have no id and are counted
// apart.

type Phase = 'forward' | 'backward' | 'optimiser' | 'inserted by ORT';
const idOf = (e: ShapedEvent) => {
  const m = /^n(\d+)(\/|_kernel_time$)/.exec(e.name);
  return m ? Number(m[1]) : null;
};
const gradConcat = events.find((e) => e.args.op_name === 'Concat' && prod(shapesOf(e.args.output_type_shape)[0] ?? []) === state.size);
const gradId = gradConcat ? idOf(gradConcat) : null;
const scalarIds = events.filter((e) => shapesOf(e.args.output_type_shape)[0]?.length === 0).map(idOf);
const lossId = gradId === null ? -Infinity : Math.max(...scalarIds.filter((id): id is number => id !== null && id < gradId));
const split = Number.isFinite(lossId);
const phaseOf = (e: ShapedEvent): Phase => {
  const id = idOf(e);
  if (id === null) return 'inserted by ORT';
  return id <= lossId ? 'forward' : id <= gradId! ? 'backward' : 'optimiser';
};

const byNode = new Map<string, { op: string; durs: number[]; flops: number; phase: Phase }>();
for (const e of events) {
  const entry = byNode.get(e.name) ?? { op: e.args.op_name ?? '?', durs: [], flops: kernelFlops(e), phase: phaseOf(e) };
  entry.durs.push(e.dur);
  byNode.set(e.name, entry);
}
const byOp = new Map<string, { nodes: number; ms: number; flops: number }>();
const byPhase = new Map<Phase, { ms: number; flops: number }>();
for (const { op, durs, flops, phase } of byNode.values()) {
  const ms = median(durs) / 1000;
  const o = byOp.get(op) ?? { nodes: 0, ms: 0, flops: 0 };
  byOp.set(op, { nodes: o.nodes + 1, ms: o.ms + ms, flops: o.flops + flops });
  const p = byPhase.get(phase) ?? { ms: 0, flops: 0 };
  byPhase.set(phase, { ms: p.ms + ms, flops: p.flops + flops });
}
const kernelMs = [...byOp.values()].reduce((s, o) => s + o.ms, 0);
const wall = median(wallMs);
const gflops = (flops: number, ms: number) => (ms > 0 ? flops / ms / 1e6 : 0);
const ops = [...byOp].sort((x, y) => y[1].ms - x[1].ms).map(([op, o]) => ({
  op, nodes: o.nodes, ms: o.ms, share: o.ms / kernelMs, gflop: o.flops / 1e9, gflops: gflops(o.flops, o.ms),
}));
const PHASES: Phase[] = ['forward', 'backward', 'optimiser', 'inserted by ORT'];
const phases = !split ? null : PHASES.filter((phase) => byPhase.has(phase)).map((phase) => {
  const p = byPhase.get(phase)!;
  return { phase, ms: p.ms, share: p.ms / kernelMs, gflop: p.flops / 1e9, gflops: gflops(p.flops, p.ms) };
});
const totals = {
  /** Without the profiler. */
  wall_ms_per_step: wall,
  ort_run_ms_per_step: median(ortRunMs),
  kernel_ms_per_step: kernelMs,
  gflop_per_step: step.flops / 1e9,
  gflops: gflops(step.flops, wall),
  kernel_gflop_per_step: [...byOp.values()].reduce((s, o) => s + o.flops, 0) / 1e9,
};

if (flags.json) {
  console.log(JSON.stringify({ arch: flags.arch, resolution: cfg.imgResolution, batch, threads, rounds, ...totals, ops, phases }));
} else {
  const f = (x: number, digits = 1) => x.toFixed(digits);
  console.log(`${flags.arch} at ${cfg.imgResolution}x${cfg.imgResolution}, batch ${batch}, ${threads ?? 'default'} threads: ` +
    `per step (median of ${rounds} after a warm-up)`);
  console.log(`wall ${f(wall)} ms (without the profiler), profiled: inside ORT's run ${f(totals.ort_run_ms_per_step)} ms, kernels ${f(kernelMs)} ms; ` +
    `${f(totals.gflop_per_step, 2)} GFLOP (graph count; ${f(totals.kernel_gflop_per_step, 2)} from kernel shapes), ` +
    `${f(totals.gflops)} GFLOP/s over the wall time\n`);
  console.log('Kernel time per op type (ops under 0.1% left out):\n');
  console.log('| op | nodes | ms/step | share | GFLOP/step | GFLOP/s |\n| --- | --- | --- | --- | --- | --- |');
  for (const o of ops) {
    if (o.share < 0.001) continue;
    console.log(`| ${o.op} | ${o.nodes} | ${f(o.ms)} | ${f(100 * o.share)}% | ${o.gflop ? f(o.gflop, 3) : ''} | ${o.gflop ? f(o.gflops) : ''} |`);
  }
  console.log(`| all | ${byNode.size} | ${f(kernelMs)} | 100% | ${f(totals.kernel_gflop_per_step, 3)} | ${f(gflops(totals.kernel_gflop_per_step * 1e9, kernelMs))} |`);
  if (phases) {
    console.log('\n| phase | ms/step | share | GFLOP/step | GFLOP/s |\n| --- | --- | --- | --- | --- |');
    for (const p of phases) console.log(`| ${p.phase} | ${f(p.ms)} | ${f(100 * p.share)}% | ${p.gflop ? f(p.gflop, 3) : ''} | ${p.gflop ? f(p.gflops) : ''} |`);
  } else {
    console.log('\n(no forward/backward/optimiser split: the loss or the flat-gradient Concat was not found among the kernels)');
  }
}
