import { Graph } from '../src/graph/ops.js';
import { Executable } from '../src/runtime/executable.js';
import { legoForward, modelParams } from '../src/lego/stack.js';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import { toFloat32 } from '../src/io/safetensors.js';
import type { LegoConfig } from '../src/lego/config.js';

const file = process.argv[2];
const { metadata, tensors } = await readSafetensorsFile(file);
const bricks = JSON.parse(metadata.bricks);
const cfg: LegoConfig = { imgResolution: +metadata.img_resolution, imgChannels: +metadata.img_channels, labelDim: +metadata.label_dim,
  hiddenSize: bricks[0].hidden_size, mlpRatio: +metadata.mlp_ratio, sigmaData: +metadata.sigma_data,
  bricks: bricks.map((b: any) => ({ resolution: b.resolution, patchSize: b.patch_size, heads: b.num_heads, depth: b.depth })) };
const g = new Graph();
const xs = tensors.get('input.x')!;
const x = g.input('x', xs.shape);
const sigma = g.input('sigma', [xs.shape[0]]);
const labels = cfg.labelDim ? g.input('class_labels', [xs.shape[0], cfg.labelDim]) : null;
const p = modelParams(g);
const { D } = legoForward(p, cfg, { x, sigma, labels });
const outs = Object.fromEntries(D.map((d, k) => [`stage${k}`, d]));
const exe = await Executable.compile(outs);
const feeds: Record<string, Float32Array> = { x: toFloat32(xs, 'x'), sigma: toFloat32(tensors.get('input.sigma')!, 's') };
if (labels) feeds.class_labels = toFloat32(tensors.get('input.class_labels')!, 'l');
for (const n of exe.inputNames) if (!feeds[n]) { const t = tensors.get('weights.' + n); if (!t) throw new Error('missing ' + n); feeds[n] = toFloat32(t, n); }
const r = await exe.run(feeds);
for (const [k, v] of Object.entries(r)) {
  const ref = toFloat32(tensors.get('output.' + k)!, k);
  let m = 0; for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] - ref[i]));
  console.log(k, m);
}
