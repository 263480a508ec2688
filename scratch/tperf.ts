import { presetConfig } from '../src/lego/presets.js';
import { initWeights, parameterSpecs } from '../src/lego/model.js';
import { TrainStep } from '../src/train/step.js';
const cfg = presetConfig((process.env.ARCH ?? 'lego_S_PG_64') as any);
const B = Number(process.env.B ?? 8);
const w = initWeights(cfg, 0);
const specs = parameterSpecs(cfg).filter((s) => s.trainable);
const zeros = () => new Map(specs.map((s) => [s.name, new Float32Array(w.get(s.name)!.length)]));
const state = { weights: w, ema: new Map(specs.map((s) => [s.name, w.get(s.name)!.slice()])), adamM: zeros(), adamV: zeros(), step: 0 };
let t = performance.now();
const step = await TrainStep.create(cfg, B, { threads: 2 });
console.log('compile ms', (performance.now() - t).toFixed(0), 'GFLOP/step', (step.flops / 1e9).toFixed(1));
const n = B * 3 * cfg.imgResolution ** 2;
const batch = { images: new Float32Array(n).map(() => Math.random() * 2 - 1), noise: new Float32Array(n).map(() => Math.random()), rndNormal: new Float32Array(B).fill(0.3) };
for (let i = 0; i < 4; i++) {
  t = performance.now();
  const loss = await step.run(state, batch, 1e-4, 0.999);
  const ms = performance.now() - t;
  console.log('step', i, 'loss', loss.toFixed(4), 'ms', ms.toFixed(0), 'GFLOP/s', (step.flops / ms / 1e6).toFixed(0), 'rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));
}
