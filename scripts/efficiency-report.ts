// Training-efficiency report: Fréchet distance of every network snapshot of some training runs, against
// the wall-clock time at which the run wrote it. For each snapshot: `lego generate` N images (seeds
// 0..N-1, random classes, 18 Heun steps, --npz) and `lego eval` against a reference dataset; the time
// is the run's own clock (stats.jsonl `total_s` of the tick that wrote the snapshot: training time since
// the step graph was compiled) and, when scripts/efficiency-study.sh launched the run, the time since
// launch (the snapshot file's modification time). Writes NAME.json, NAME.md (tables) and NAME.svg (FD
// over training minutes, one line per run) to --out. Results are kept per snapshot in RUN/eval-N/, so a
// rerun only evaluates new snapshots.
//
// Usage: npx tsx scripts/efficiency-report.ts --ref mnist32-test.zip [--images 1000] [--out docs/studies]
//          [--name training-efficiency-results] [--features lenet-mnist] [--threads N] [--batch 32] RUN_DIR...
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_STEPS } from '../src/diffusion/sampler.js';
import { countParameters } from '../src/lego/model.js';
import type { LegoConfig } from '../src/lego/config.js';
import { lego, lineChart, markdownTable, parseJsonOutput } from './study-lib.js';

const { values: a, positionals: runs } = parseArgs({
  allowPositionals: true,
  options: {
    ref: { type: 'string' },
    images: { type: 'string', default: '1000' },
    out: { type: 'string', default: 'docs/studies' },
    name: { type: 'string', default: 'training-efficiency-results' },
    features: { type: 'string', default: 'lenet-mnist' },
    steps: { type: 'string', default: String(DEFAULT_STEPS) },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string' },
  },
});
if (!a.ref || runs.length === 0) {
  console.error('usage: npx tsx scripts/efficiency-report.ts --ref mnist32-test.zip [--images N] [--out DIR] RUN_DIR...');
  process.exit(2);
}
const n = Number(a.images);
const threads = a.threads ? ['--threads', a.threads] : [];
const fdName = `fd-${a.features.replace(/\.safetensors$/, '').replace(/^.*\//, '')}`;

interface TickStats { tick: number; kimg: number; loss: number; sec_per_step: number; gflops: number; total_s: number }
interface Snapshot {
  kimg: number;
  /** stats.jsonl total_s of the tick that wrote it (seconds since the training loop started). */
  train_s: number | null;
  /** Seconds from the launch of `lego train` (scripts/efficiency-study.sh's launch.json) to the file's last write. */
  wall_s: number | null;
  loss: number | null;
  fd: number;
  acc: number | null;
  sample_s: number;
}

/** The `__metadata__` of a safetensors file (its header only). */
function safetensorsMetadata(file: string): Record<string, string> {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const header = Buffer.alloc(Number(len.readBigUInt64LE(0)));
    readSync(fd, header, 0, header.length, 8);
    return (JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__ ?? {};
  } finally {
    closeSync(fd);
  }
}

function evaluateSnapshot(file: string, dir: string): { fd: number; acc: number | null; sample_s: number } {
  const cached = join(dir, `${basename(file, '.safetensors')}.json`);
  const stamp = statSync(file).mtimeMs;
  if (existsSync(cached)) {
    const r = JSON.parse(readFileSync(cached, 'utf8')) as { mtime: number; fd: number; acc: number | null; sample_s: number };
    if (r.mtime === stamp) return r;
  }
  const work = join(dir, 'samples');
  rmSync(work, { recursive: true, force: true });
  const gen = parseJsonOutput<{ seconds: number }>(lego([
    'generate', '--network', file, '--seeds', `0-${n - 1}`, '--steps', a.steps!, '--batch', a.batch!, '--npz', '--no-grid', '--json', '--outdir', work, ...threads,
  ]));
  const evalArgs = ['eval', '--images', join(work, 'samples.npz'), '--ref', a.ref!, '--features', a.features!, ...threads];
  const labelsFile = join(work, 'labels.json');
  if (existsSync(labelsFile)) {
    const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as Record<string, number>;
    writeFileSync(join(work, 'labels-array.json'), JSON.stringify(Object.keys(labels).sort().map((k) => labels[k])));
    evalArgs.push('--metrics', 'fd,acc', '--labels', join(work, 'labels-array.json'));
  } else {
    evalArgs.push('--metrics', 'fd');
  }
  const ev = parseJsonOutput<{ metrics: Record<string, { value: number }> }>(lego(evalArgs));
  const accKey = Object.keys(ev.metrics).find((k) => k.startsWith('acc-'));
  const r = { mtime: stamp, fd: ev.metrics[fdName]?.value ?? NaN, acc: accKey ? ev.metrics[accKey].value : null, sample_s: gen.seconds };
  writeFileSync(cached, `${JSON.stringify(r)}\n`);
  rmSync(work, { recursive: true, force: true });
  console.error(`${file}: ${fdName} ${r.fd.toFixed(2)}`);
  return r;
}

const models = runs.map((run) => {
  const options = JSON.parse(readFileSync(join(run, 'training_options.json'), 'utf8')) as { arch: string; config: LegoConfig; batch: number; lr: number };
  const stats = existsSync(join(run, 'stats.jsonl'))
    ? readFileSync(join(run, 'stats.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as TickStats)
    : [];
  const launch = existsSync(join(run, 'launch.json')) ? (JSON.parse(readFileSync(join(run, 'launch.json'), 'utf8')) as { launched_ms: number; minutes: number }) : null;
  const evalDir = join(run, `eval-${n}`);
  mkdirSync(evalDir, { recursive: true });
  const files = readdirSync(run).filter((f) => /^network-snapshot-\d+\.safetensors$/.test(f)).sort();
  const snapshots: Snapshot[] = files.map((f) => {
    const file = join(run, f);
    const kimg = Number(safetensorsMetadata(file).kimg);
    const tick = stats.find((s) => Math.abs(s.kimg - kimg) < 1e-6);
    const r = evaluateSnapshot(file, evalDir);
    return {
      kimg,
      train_s: tick?.total_s ?? null,
      wall_s: launch ? (statSync(file).mtimeMs - launch.launched_ms) / 1000 : null,
      loss: tick?.loss ?? null,
      ...r,
    };
  }).sort((x, y) => x.kimg - y.kimg);
  // FLOPs per training image from the run's own counts (GFLOP/s x seconds per step = GFLOP per step).
  const gflopPerImage = stats.length ? (stats[stats.length - 1].gflops * stats[stats.length - 1].sec_per_step) / options.batch : null;
  const last = stats[stats.length - 1];
  return {
    run,
    arch: options.arch,
    name: basename(options.arch, '.json'),
    parameters: countParameters(options.config),
    bricks: options.config.bricks.length,
    batch: options.batch,
    gflop_per_training_image: gflopPerImage,
    budget_minutes: launch?.minutes ?? null,
    trained_kimg: last?.kimg ?? null,
    trained_s: last?.total_s ?? null,
    snapshots,
  };
});

const minutes = (s: number | null) => (s === null ? '-' : (s / 60).toFixed(1));
const summary = markdownTable(
  ['model', 'bricks', 'parameters', 'GFLOP / training image', 'trained', 'kimg', 's / kimg', `best ${fdName}`, `last ${fdName}`],
  models.map((m) => {
    const best = m.snapshots.reduce<Snapshot | null>((b, s) => (b === null || s.fd < b.fd ? s : b), null);
    const lastSnap = m.snapshots[m.snapshots.length - 1];
    return [
      `\`${m.name}\``, m.bricks, `${(m.parameters / 1e6).toFixed(2)} M`, m.gflop_per_training_image?.toFixed(3) ?? '-',
      `${minutes(m.trained_s)} min`, m.trained_kimg?.toFixed(1) ?? '-',
      m.trained_s && m.trained_kimg ? (m.trained_s / m.trained_kimg).toFixed(1) : '-',
      best ? `${best.fd.toFixed(2)} (${best.kimg.toFixed(0)} kimg)` : '-', lastSnap ? lastSnap.fd.toFixed(2) : '-',
    ];
  }),
);
const perSnapshot = markdownTable(
  ['model', 'minutes (training)', 'minutes (since launch)', 'kimg', 'loss', fdName, 'class accuracy'],
  models.flatMap((m) => m.snapshots.map((s) => [
    `\`${m.name}\``, minutes(s.train_s), minutes(s.wall_s), s.kimg.toFixed(1), s.loss?.toFixed(4) ?? '-', s.fd.toFixed(2),
    s.acc === null ? '-' : `${(s.acc * 100).toFixed(1)}%`,
  ])),
);
const command = `npx tsx scripts/efficiency-report.ts ${process.argv.slice(2).join(' ')}`;
mkdirSync(a.out, { recursive: true });
writeFileSync(join(a.out, `${a.name}.json`), `${JSON.stringify({ images: n, steps: Number(a.steps), ref: a.ref, features: a.features, command, models }, null, 2)}\n`);
writeFileSync(join(a.out, `${a.name}.md`), `${summary}\n\n${perSnapshot}\n\n${fdName}: ${n} images per snapshot (seeds 0-${n - 1}, random classes, ` +
  `${a.steps} Heun steps) against ${basename(a.ref)}. Minutes (training): stats.jsonl \`total_s\` of the tick that wrote the snapshot; ` +
  `since launch: the snapshot file's time against the start of \`lego train\` (start-up and graph compilation included).\n` +
  `Command: \`${command}\`\n`);
writeFileSync(join(a.out, `${a.name}.svg`), lineChart({
  title: `Training efficiency: ${fdName} against wall-clock training time`,
  xLabel: 'training minutes (wall clock)',
  yLabel: `${fdName}, ${n} images (lower is better)`,
  series: models.map((m) => ({
    name: `${m.name}: ${(m.parameters / 1e6).toFixed(2)} M parameters, ${m.gflop_per_training_image?.toFixed(3) ?? '?'} GFLOP per training image`,
    points: m.snapshots.filter((s) => s.train_s !== null).map((s) => ({ x: s.train_s! / 60, y: s.fd })),
  })),
}));
console.log(`${summary}\n\n${perSnapshot}`);
console.error(`wrote ${join(a.out, a.name)}.{json,md,svg}`);
