import onnxPkg from 'onnx-proto';
const { onnx } = onnxPkg;
import ort from 'onnxruntime-node';
const vi = (name, shape) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map(d => ({ dimValue: d })) } } } });
async function run(N, S, D, H) {
  const g = onnx.GraphProto.create({ name: 'g', node: [
    { opType: 'MultiHeadAttention', domain: 'com.microsoft', input: ['q', 'k', 'v'], output: ['y'], attribute: [{ name: 'num_heads', type: 2, i: H }] },
  ], input: [vi('q', [N, S, D]), vi('k', [N, S, D]), vi('v', [N, S, D])], output: [vi('y', [N, S, D])] });
  const m = onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 20 }, { domain: 'com.microsoft', version: 1 }], graph: g });
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(m).finish(), { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const mk = () => new ort.Tensor('float32', new Float32Array(N * S * D).map(() => Math.random() - 0.5), [N, S, D]);
  const feeds = { q: mk(), k: mk(), v: mk() };
  await s.run(feeds);
  const t = performance.now();
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const ms = (performance.now() - t) / 3;
  const flops = 4 * N * S * S * D;
  console.log(`MHA N=${N} S=${S} D=${D} H=${H}: ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(0)} GFLOP/s`);
}
await run(8, 1024, 384, 6);
await run(2048, 4, 384, 6);
