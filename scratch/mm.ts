import ort from 'onnxruntime-node';
import { Graph, matmul, swapLast2, add } from '../src/graph/ops.js';
import { toOnnx } from '../src/graph/onnx.js';
async function bench(label: string, build: (g: Graph) => any, M: number, K: number, N: number, threads = 2) {
  const g = new Graph();
  const out = build(g);
  const s = await ort.InferenceSession.create(toOnnx({ out }), { graphOptimizationLevel: 'all', intraOpNumThreads: threads });
  const feeds: any = {};
  for (const name of s.inputNames) { const v = g.inputs.get(name)!; feeds[name] = new ort.Tensor('float32', new Float32Array(v.size).map(() => Math.random()), [...v.shape]); }
  await s.run(feeds);
  const t = performance.now(); const R = 5;
  for (let i = 0; i < R; i++) await s.run(feeds);
  const ms = (performance.now() - t) / R;
  console.log(label, ms.toFixed(1), 'ms', (2 * M * K * N / ms / 1e6).toFixed(0), 'GFLOP/s');
}
const M = 8192, K = 384, N = 1536;
await bench('matmul x@w', (g) => matmul(g.input('x', [M, K]), g.input('w', [K, N])), M, K, N);
await bench('matmul x@wT', (g) => matmul(g.input('x', [M, K]), swapLast2(g.input('w', [N, K]))), M, K, N);
await bench('matmul x@wT+b', (g) => add(matmul(g.input('x', [M, K]), swapLast2(g.input('w', [N, K]))), g.input('b', [N])), M, K, N);
await bench('3d x@wT+b', (g) => add(matmul(g.input('x', [8, M/8, K]), swapLast2(g.input('w', [N, K]))), g.input('b', [N])), M, K, N);
await bench('matmul x@w 1 thread', (g) => matmul(g.input('x', [M, K]), g.input('w', [K, N])), M, K, N, 1);
await bench('attn qk', (g) => matmul(g.input('q', [48, 1024, 64]), swapLast2(g.input('k', [48, 1024, 64]))), 48*1024, 64, 1024);
