// `lego eval`: Fréchet distance, KID, precision/recall and conditional accuracy of generated images
// against a reference dataset, in the feature space of a named network; one JSON object on stdout.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { fileError } from '../../files/fs-files.js';
import { UsageError } from '../../errors.js';
import { evaluate, evaluateMerged, METRICS, type EvaluateOptions, type MetricName } from '../../eval/evaluate.js';
import { featureNets } from '../../eval/features.js';
import { parseLabelsJson } from '../../eval/image-set.js';
import { parseIntFlag, parseThreads, threadsHelp } from '../args.js';
import { progressBar, type Progress } from '../progress.js';

interface EvalFlags {
  images?: string;
  mergeStats?: string;
  ref: string;
  metrics?: string;
  features: string;
  labels?: string;
  kidSubsets: string;
  kidSubsetSize?: string;
  prK: string;
  prMax: string;
  seed: string;
  cache: boolean;
  threads?: string;
}

function parseMetrics(value: string): MetricName[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = names.find((n) => !(METRICS as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0) throw new UsageError(`--metrics: expected a list of ${METRICS.join(', ')}; got "${value}"`);
  return names as MetricName[];
}

/** What to score: a set of images, or the statistics a sharded run's jobs wrote (exactly one). */
function parseSource(f: EvalFlags): { images: string } | { stats: string } {
  if ((f.images === undefined) === (f.mergeStats === undefined)) throw new UsageError('--images: give either --images or --merge-stats (one of them)');
  if (f.mergeStats !== undefined && f.labels !== undefined) throw new UsageError('--labels: not with --merge-stats, whose statistics hold each image\'s class');
  return f.images !== undefined ? { images: f.images } : { stats: f.mergeStats! };
}

/** Flags to validated options (UsageError naming the flag; InputError for an unreadable labels file). */
function parseEvalFlags(f: EvalFlags): Omit<EvaluateOptions, 'images'> {
  if (!featureNets().has(f.features) && !f.features.endsWith('.safetensors')) {
    throw new UsageError(`--features: expected one of ${[...featureNets().keys()].join(', ')} or a LeNet .safetensors file; got "${f.features}"`);
  }
  let labels;
  if (f.labels !== undefined) {
    let text: string;
    try {
      text = readFileSync(f.labels, 'utf8');
    } catch (e) {
      throw fileError(f.labels, 'read', e);
    }
    labels = parseLabelsJson(text, f.labels);
  }
  return {
    ref: f.ref,
    features: f.features,
    ...(f.metrics !== undefined ? { metrics: parseMetrics(f.metrics) } : {}),
    ...(labels ? { labels } : {}),
    kidSubsets: parseIntFlag('--kid-subsets', f.kidSubsets, { min: 1, max: 100_000 }),
    ...(f.kidSubsetSize !== undefined ? { kidSubsetSize: parseIntFlag('--kid-subset-size', f.kidSubsetSize, { min: 2 }) } : {}),
    prK: parseIntFlag('--pr-k', f.prK, { min: 1, max: 1000 }),
    prMaxImages: parseIntFlag('--pr-max', f.prMax, { min: 2 }),
    seed: parseIntFlag('--seed', f.seed, { min: 0, max: 2 ** 32 - 1 }),
    cache: f.cache,
    threads: parseThreads(f.threads),
  };
}

export function evalCommand(): Command {
  const nets = [...featureNets()].map(([name, net]) => `  ${name.padEnd(16)} ${net.description}`).join('\n');
  return new Command('eval')
    .description('Score generated images against a reference dataset: FD, KID, precision/recall, class accuracy (JSON)')
    .option('--images <dir|zip|npz>', 'generated images: a folder (lego generate --outdir), a ZIP, or an .npz (arr_0 uint8 N x H x W x C)')
    .option('--merge-stats <dir>', 'instead of --images: the output directory of a run sharded with --stats (or its stats/ folder); scores its jobs\' statistics, equal to --images over all its images')
    .requiredOption('--ref <dataset>', 'reference dataset (.zip or folder, as lego dataset writes); its features are cached beside it')
    .option('--metrics <list>', `any of ${METRICS.join(',')} (default: fd,kid,pr, and acc when the images have labels)`)
    .option('--features <name|file>', 'feature network: a name below, or a LeNet .safetensors from scripts/train-feature-net.ts', 'lenet-mnist')
    .option('--labels <file.json>', 'class per image for acc: { "000123.png": 3, ... } or [3, ...] in image order (default: labels.json in --images)')
    .option('--kid-subsets <n>', 'KID: random subsets averaged', '100')
    .option('--kid-subset-size <n>', 'KID: rows per subset (default: min(1000, images, reference images))')
    .option('--pr-k <k>', 'precision/recall: neighbourhood size', '3')
    .option('--pr-max <n>', 'precision/recall: at most this many images of each set (a seeded random subset)', '10000')
    .option('--seed <n>', 'seed of the random subsets', '0')
    .option('--no-cache', 'neither read nor write the reference statistics cache')
    .option('--threads <n>', threadsHelp)
    .addHelpText('after', `
Feature networks:
${nets}

Metrics are named after the network (fd-lenet-mnist, kid-…, precision-…, recall-…, acc-…); FID proper
is fd with Inception-v3 features, which a program can add with registerFeatureNet. The LeNets take
images of any size (padded or scaled to 32x32) and colour (made gray). Every metric reports the images
it used. docs/feature-nets.md has the networks' accuracies and reference values.

A run sampled by many processes (lego generate --shard or --queue) with --stats NET is scored from the
statistics its jobs wrote, with --merge-stats and --features NET, without reading its images again:
the same numbers as --images over all of them, with the classes the statistics hold.

Examples:
  lego eval --images out/ --ref mnist32.zip
  lego eval --images out/samples.npz --ref mnist32-test.zip --metrics fd,kid
  lego eval --images fashion-out/ --ref fashion32.zip --features lenet-fashion --labels fashion-out/labels.json
  lego eval --merge-stats /shared/fid50k --ref mnist32.zip --features lenet-mnist`)
    .action(async (flags: EvalFlags) => {
      const source = parseSource(flags);
      const options = parseEvalFlags(flags);
      // One progress display per stage: the generated images, then (unless cached) the reference.
      const shown: { stage?: string; progress?: Progress } = {};
      const onProgress = (stage: string, done: number, total: number) => {
        if (shown.stage !== stage) {
          shown.progress?.stop();
          Object.assign(shown, { stage, progress: progressBar(stage === 'images' ? 'images' : 'reference images', total) });
        }
        shown.progress?.update(done);
      };
      let result;
      try {
        result = 'images' in source ? await evaluate({ ...options, ...source, onProgress }) : await evaluateMerged({ ...options, ...source, onProgress });
      } finally {
        shown.progress?.stop();
      }
      console.log(JSON.stringify(result, null, 2));
    });
}
