import ort from 'onnxruntime-node';
import { Graph, matmul, mul, reshape, slice, softmax, swapLast2, transpose } from '../src/graph/ops.js';
import { toOnnx } from '../src/graph/onnx.js';
async function bench(label: string, N: number, T: number, D: number, H: number, variant: number) {
  const g = new Graph();
  const qkv = g.input('qkv', [N, T, 3 * D]);
  const hd = D / H;
  const head = (i: number, perm: number[]) => transpose(reshape(slice(qkv, -1, i * D, (i + 1) * D), [N, T, H, hd]), perm);
  let out;
  if (variant === 0) {
    const [q, k, v] = [head(0, [0, 2, 1, 3]), head(1, [0, 2, 1, 3]), head(2, [0, 2, 1, 3])];
    out = reshape(transpose(matmul(softmax(mul(matmul(q, swapLast2(k)), 1 / Math.sqrt(hd)), -1), v), [0, 2, 1, 3]), [N, T, D]);
  } else {
    const q = mul(head(0, [0, 2, 1, 3]), 1 / Math.sqrt(hd));
    const kT = head(1, [0, 2, 3, 1]);
    const v = head(2, [0, 2, 1, 3]);
    out = reshape(transpose(matmul(softmax(matmul(q, kT), -1), v), [0, 2, 1, 3]), [N, T, D]);
  }
  const s = await ort.InferenceSession.create(toOnnx({ out }), { graphOptimizationLevel: 'all', intraOpNumThreads: 2 });
  const feeds = { qkv: new ort.Tensor('float32', new Float32Array(N * T * 3 * D).map(() => Math.random() - 0.5), [N, T, 3 * D]) };
  await s.run(feeds);
  const t = performance.now();
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const ms = (performance.now() - t) / 3;
  console.log(label, `N=${N} T=${T}`, ms.toFixed(1), 'ms');
}
await bench('composite v0', 8, 1024, 384, 6, 0);
await bench('composite v1 (q scaled, kT direct)', 8, 1024, 384, 6, 1);
await bench('composite v0', 2048, 4, 384, 6, 0);
await bench('composite v1', 2048, 4, 384, 6, 1);
await bench('composite v0', 128, 4, 384, 6, 0);
