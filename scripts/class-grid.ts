// One row per class, one column per seed: a class-conditional model's samples as one PNG.
// Usage: npx tsx scripts/class-grid.ts NETWORK OUT.png [SEEDS_PER_CLASS=10] [STEPS=18] [CFG=1]
import { writeFileSync } from 'node:fs';
import { encodePng } from '../src/data/png.js';
import { generate, type GeneratedImage } from '../src/diffusion/generate.js';
import { DEFAULT_STEPS } from '../src/diffusion/sampler.js';
import { loadCheckpoint } from '../src/io/checkpoint-file.js';
import { imageGrid } from '../src/data/image-grid.js';
import { LegoRunner } from '../src/lego/runner.js';

const [network, out, perClass = '10', steps = String(DEFAULT_STEPS), cfg = '1'] = process.argv.slice(2);
if (!network || !out) {
  console.error('usage: tsx scripts/class-grid.ts NETWORK OUT.png [SEEDS_PER_CLASS] [STEPS] [CFG]');
  process.exit(2);
}
const model = await loadCheckpoint(network);
const runner = new LegoRunner(model.config, model.weights);
const seeds = Array.from({ length: Number(perClass) }, (_, i) => i);
const rows: GeneratedImage[] = [];
const start = performance.now();
for (let k = 0; k < model.config.labelDim; k++) {
  const { images } = await generate(runner, { seeds, classLabel: k, steps: Number(steps), cfgScale: Number(cfg), batch: seeds.length });
  rows.push(...images);
}
const grid = imageGrid(rows, seeds.length, 1);
writeFileSync(out, encodePng({ width: grid.width, height: grid.height, channels: grid.channels, data: grid.pixels }));
console.log(`${rows.length} images in ${((performance.now() - start) / 1000).toFixed(1)} s -> ${out}`);
await runner.release();
