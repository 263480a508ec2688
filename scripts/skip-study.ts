// Skipping study: sampling time against Fréchet distance as a PG stack drops its top (global) brick for
// the last fraction F of the sampler steps (--skip top:F), and, given a PR stack, as it drops its last
// (local) brick for the first F (--skip last:F). For each F: `lego generate` N images (seeds 0..N-1,
// random classes, --npz, --json for the seconds), then `lego eval` against a reference dataset.
// Writes NAME.json, NAME.md (the table) and NAME.svg (FD over sampling time, one point per F) to --out;
// NAME is skipping-results unless --name says otherwise.
//
// Usage: npx tsx scripts/skip-study.ts --network PG --ref mnist32-test.zip [--pr PR] [--images 1000]
//          [--out docs/studies] [--fractions 0,0.2,0.4,0.6,0.8,1] [--features lenet-mnist] [--steps 18]
//          [--batch 32] [--threads N] [--work DIR] [--name skipping-results] [--grids]
// Each point's result is kept in --work (default: a folder per network and image count under the system
// temporary directory), so an interrupted study continues where it stopped; --fresh starts over.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STEPS } from '../src/diffusion/sampler.js';
import { lego, lineChart, markdownTable, parseJsonOutput } from './study-lib.js';

const { values: a } = parseArgs({
  options: {
    network: { type: 'string' },
    pr: { type: 'string' },
    ref: { type: 'string' },
    images: { type: 'string', default: '1000' },
    out: { type: 'string', default: 'docs/studies' },
    fractions: { type: 'string', default: '0,0.2,0.4,0.6,0.8,1' },
    features: { type: 'string', default: 'lenet-mnist' },
    steps: { type: 'string', default: String(DEFAULT_STEPS) },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string' },
    work: { type: 'string' },
    name: { type: 'string', default: 'skipping-results' },
    grids: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
  },
});
if (!a.network || !a.ref) {
  console.error('usage: npx tsx scripts/skip-study.ts --network PG.safetensors --ref mnist32-test.zip [--pr PR.safetensors] [--images N] [--out DIR]');
  process.exit(2);
}
const n = Number(a.images);
const fractions = a.fractions.split(',').map(Number);
if (!(n >= 2) || fractions.some((f) => !(f >= 0 && f <= 1))) {
  console.error('--images: at least 2; --fractions: numbers in [0, 1]');
  process.exit(2);
}

interface GenerateJson {
  network: string;
  images: number;
  seconds: number;
  stop_after_per_step: number[];
  bricks: { brick: number; calls: number; s: number; gflop: number }[];
}
interface EvalJson {
  metrics: Record<string, { value: number; images: number }>;
}
interface Point {
  network: string;
  mode: 'top' | 'last';
  fraction: number;
  images: number;
  steps: number;
  /** Wall-clock seconds of the sampling loop (generate --json `seconds`: includes compiling the graphs). */
  seconds: number;
  /** Seconds inside the brick graphs only. */
  brick_seconds: number;
  gflop: number;
  brick_calls: number[];
  stop_after_per_step: number[];
  fd: number;
  acc: number | null;
}

const work = a.work ?? join(tmpdir(), `skip-study-${basename(a.network).replace(/\W+/g, '_')}-${n}`);
if (a.fresh) rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(a.out, { recursive: true });
const threads = a.threads ? ['--threads', a.threads] : [];
const fdName = `fd-${a.features.replace(/\.safetensors$/, '').replace(/^.*\//, '')}`;

function runPoint(network: string, mode: 'top' | 'last', fraction: number): Point {
  const dir = join(work, `${mode}-${fraction}`);
  const cached = join(dir, 'point.json');
  if (existsSync(cached)) {
    const p = JSON.parse(readFileSync(cached, 'utf8')) as Point;
    if (p.network === network && p.images === n && String(p.steps) === a.steps) {
      console.error(`${mode}:${fraction}: kept from ${cached}`);
      return p;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const gen = parseJsonOutput<GenerateJson>(lego([
    'generate', '--network', network, '--seeds', `0-${n - 1}`, '--steps', a.steps!, '--batch', a.batch!,
    '--skip', `${mode}:${fraction}`, '--npz', '--json', '--outdir', dir, ...(a.grids ? [] : ['--no-grid']), ...threads,
  ]));
  // Class per image in seed order (the npz order) for the accuracy metric of conditional models.
  const labelsFile = join(dir, 'labels.json');
  const evalArgs = ['eval', '--images', join(dir, 'samples.npz'), '--ref', a.ref!, '--features', a.features!, ...threads];
  if (existsSync(labelsFile)) {
    const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as Record<string, number>;
    const ordered = Object.keys(labels).sort().map((k) => labels[k]);
    writeFileSync(join(dir, 'labels-array.json'), JSON.stringify(ordered));
    evalArgs.push('--metrics', 'fd,acc', '--labels', join(dir, 'labels-array.json'));
  } else {
    evalArgs.push('--metrics', 'fd');
  }
  const ev = parseJsonOutput<EvalJson>(lego(evalArgs));
  const accKey = Object.keys(ev.metrics).find((k) => k.startsWith('acc-'));
  const point: Point = {
    network,
    mode,
    fraction,
    images: gen.images,
    steps: Number(a.steps),
    seconds: gen.seconds,
    brick_seconds: gen.bricks.reduce((t, b) => t + b.s, 0),
    gflop: gen.bricks.reduce((t, b) => t + b.gflop, 0),
    brick_calls: gen.bricks.map((b) => b.calls),
    stop_after_per_step: gen.stop_after_per_step,
    fd: ev.metrics[fdName]?.value ?? NaN,
    acc: accKey ? ev.metrics[accKey].value : null,
  };
  if (a.grids && existsSync(join(dir, 'grid.png'))) copyFileSync(join(dir, 'grid.png'), join(a.out, `${a.name}-${mode}-${fraction}.png`));
  writeFileSync(cached, `${JSON.stringify(point, null, 2)}\n`);
  console.error(`${mode}:${fraction}: ${point.seconds.toFixed(1)} s, ${fdName} ${point.fd.toFixed(2)}${point.acc !== null ? `, acc ${(point.acc * 100).toFixed(1)}%` : ''}`);
  return point;
}

const started = new Date().toISOString();
const points: Point[] = [];
const runs: { network: string; mode: 'top' | 'last'; label: string }[] = [{ network: a.network, mode: 'top', label: 'PG, --skip top:F' }];
if (a.pr) runs.push({ network: a.pr, mode: 'last', label: 'PR, --skip last:F' });
for (const run of runs) for (const f of fractions) points.push(runPoint(run.network, run.mode, f));

const rows = points.map((p) => {
  const base = points.find((q) => q.network === p.network && q.mode === p.mode && q.fraction === 0);
  return [
    `${basename(p.network)}`,
    `\`${p.mode}:${p.fraction}\``,
    p.images,
    p.seconds.toFixed(1),
    ((p.seconds / p.images) * 1000).toFixed(0),
    base ? `${(((base.seconds - p.seconds) / base.seconds) * 100).toFixed(0)}%` : '-',
    (p.gflop / p.images).toFixed(2),
    p.fd.toFixed(2),
    p.acc === null ? '-' : `${(p.acc * 100).toFixed(1)}%`,
  ];
});
const table = markdownTable(['network', 'skip', 'images', 'seconds', 'ms / image', 'time saved', 'GFLOP / image', fdName, 'class accuracy'], rows);
const meta = {
  started,
  finished: new Date().toISOString(),
  network: a.network,
  pr: a.pr ?? null,
  ref: a.ref,
  features: a.features,
  images: n,
  steps: Number(a.steps),
  batch: Number(a.batch),
  threads: a.threads ? Number(a.threads) : null,
  command: `npx tsx scripts/skip-study.ts ${process.argv.slice(2).join(' ')}`,
};
writeFileSync(join(a.out, `${a.name}.json`), `${JSON.stringify({ ...meta, points }, null, 2)}\n`);
writeFileSync(join(a.out, `${a.name}.md`), `${table}\n\n${n} images (seeds 0-${n - 1}, random classes), ${a.steps} Heun steps, ` +
  `batch ${a.batch}; ${fdName} against ${basename(a.ref)}; seconds: \`lego generate --json\` (the sampling loop, graph compilation included).\n` +
  `Command: \`${meta.command}\`\n`);
writeFileSync(join(a.out, `${a.name}.svg`), lineChart({
  title: `Brick skipping: ${fdName} against sampling time (${n} images, ${a.steps} steps)`,
  xLabel: `sampling seconds for ${n} images`,
  yLabel: `${fdName} (lower is better)`,
  series: runs.map((run) => ({
    name: run.label,
    points: points.filter((p) => p.network === run.network && p.mode === run.mode).map((p) => ({ x: p.seconds, y: p.fd, label: `F=${p.fraction}` })),
  })),
}));
console.log(table);
console.error(`wrote ${join(a.out, a.name)}.{json,md,svg}`);
