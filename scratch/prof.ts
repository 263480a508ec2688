import ort from 'onnxruntime-node';
import { Graph } from '../src/graph/ops.js';
import { toOnnx } from '../src/graph/onnx.js';
import { presetConfig } from '../src/lego/presets.js';
import { initWeights } from '../src/lego/model.js';
import { brickOutput, modelParams, withCoordinates } from '../src/lego/stack.js';
const cfg = presetConfig('lego_S_PG_64');
const w = initWeights(cfg, 0);
const k = Number(process.env.K ?? 2), n = 8;
const g = new Graph();
const xIn = g.input('x_in', [n, 3, 64, 64]); const c = g.input('c', [n, 384]); const f = k > 0 ? g.input('f_prev', [n, 3, 64, 64]) : null;
const F = brickOutput(modelParams(g), k, withCoordinates(xIn, 'fit', 64), f, c, cfg);
const s = await ort.InferenceSession.create(toOnnx({ F }), { graphOptimizationLevel: 'all', intraOpNumThreads: 2, enableProfiling: true, profileFilePrefix: '/tmp/prof' , optimizedModelFilePath: '/tmp/opt.onnx'});
const feeds: any = {};
for (const name of s.inputNames) { const v = g.inputs.get(name)!; const data = w.get(name) ?? new Float32Array(v.size).map(() => Math.random()); feeds[name] = new ort.Tensor('float32', data, [...v.shape]); }
for (let i = 0; i < 2; i++) { const t = performance.now(); await s.run(feeds); console.log(performance.now() - t); }
const file = s.endProfiling();
console.log(file);
