import ort from 'onnxruntime-node';
import { Graph, matmul } from '../src/graph/ops.js';
import { toOnnx } from '../src/graph/onnx.js';
for (const [M, K, N] of [[2048, 2048, 2048], [8192, 384, 1536], [4096, 1024, 1024]]) {
  for (const threads of [1, 2]) {
    const g = new Graph();
    const out = matmul(g.input('x', [M, K]), g.input('w', [K, N]));
    const s = await ort.InferenceSession.create(toOnnx({ out }), { graphOptimizationLevel: 'all', intraOpNumThreads: threads });
    const feeds: any = { x: new ort.Tensor('float32', new Float32Array(M * K).fill(0.5), [M, K]), w: new ort.Tensor('float32', new Float32Array(K * N).fill(0.25), [K, N]) };
    for (let i = 0; i < 3; i++) await s.run(feeds);
    const t = performance.now(); const R = 10;
    for (let i = 0; i < R; i++) await s.run(feeds);
    const ms = (performance.now() - t) / R;
    console.log(M, K, N, 'threads', threads, ms.toFixed(1), 'ms', (2 * M * K * N / ms / 1e6).toFixed(0), 'GFLOP/s');
  }
}
