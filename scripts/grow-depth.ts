// Deepen a trained brick with new blocks that start as the identity (src/lego/grow.ts), to train further
// with `lego train --transfer OUT --arch OUT.json`. The embedded model was grown this way (docs/training/mnist.md).
//
// Usage: npx tsx scripts/grow-depth.ts --in models/lego-mnist-32.safetensors --after 1,2,3,4 --out grown.safetensors
//          [--brick 0] [--seed 0]
// Writes OUT (a network snapshot) and OUT.json (its stack, for --arch).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint-file.js';
import { growDepth } from '../src/lego/grow.js';

const { values: a } = parseArgs({
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    brick: { type: 'string', default: '0' },
    after: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
if (!a.in || !a.out || !a.after) {
  console.error('usage: npx tsx scripts/grow-depth.ts --in CKPT --out OUT --after I,J,... [--brick B] [--seed S]');
  process.exit(2);
}
const source = await loadCheckpoint(a.in);
const brick = Number(a.brick);
const grown = growDepth(source.config, source.weights, { brick, after: a.after.split(',').map(Number), seed: Number(a.seed) });
await saveCheckpoint(a.out, grown.config, grown.weights, { grown_from: a.in, grown_after: a.after });
writeFileSync(`${a.out}.json`, JSON.stringify(grown.config) + '\n');
console.log(`wrote ${a.out}: brick ${brick} depth ${source.config.bricks[brick].depth} -> ${grown.config.bricks[brick].depth} (old blocks at ${grown.oldBlockAt.join(',')})`);
