// Per-job statistics (job-stats.ts): files written by jobs over parts of a folder merge into exactly what
// evaluate() computes over the whole folder: FD from added sums, KID, precision/recall and accuracy from
// the rows in the same order; overlapping jobs count each image once; mixed networks are refused.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeDatasetJson } from '../data/dataset-json.js';
import { decodeImage } from '../data/decode-image.js';
import { encodePng } from '../data/png.js';
import { Rng } from '../random.js';
import { evaluate, evaluateMerged } from './evaluate.js';
import { encodeLenet, loadLenet } from './features.js';
import { JOB_LABELS_DIR } from './image-set.js';
import { imageFeatures, jobStatsPath, mergeJobStats, readJobStats, STATS_DIR, writeJobStats } from './job-stats.js';
import { initLenet } from './lenet.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-job-stats-'));
const netFile = join(tmp, 'lenet-random.safetensors');
writeFileSync(netFile, encodeLenet(initLenet(5), { dataset: 'none', test_accuracy: '0' }));

/** `count` random gray discs as PNGs in `dir`, named as lego generate names seeds. */
function discs(dir: string, count: number, seed: number): string[] {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(32 * 32);
    const [cx, cy, r] = [8 + rng.below(16), 8 + rng.below(16), 3 + rng.below(6)];
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * 32 + x] = 128 + rng.below(128);
    const name = `${String(i).padStart(6, '0')}.png`;
    writeFileSync(join(dir, name), encodePng({ width: 32, height: 32, channels: 1, data }));
    names.push(name);
  }
  return names;
}

const ref = join(tmp, 'ref');
const refNames = discs(ref, 40, 1);
writeFileSync(join(ref, 'dataset.json'), serializeDatasetJson(refNames.map((n, i) => [n, i % 10]), null));

const out = join(tmp, 'out');
const names = discs(out, 30, 2);
const classOf = (name: string) => Number(name.slice(0, 6)) % 10;

/** Write one job's labels and statistics over `jobNames`, as lego generate --shard does. */
async function writeJob(tag: string, jobNames: string[]): Promise<void> {
  const net = await loadLenet('lenet-random', netFile);
  try {
    mkdirSync(join(out, JOB_LABELS_DIR), { recursive: true });
    writeFileSync(join(out, JOB_LABELS_DIR, `${tag}.json`), JSON.stringify(Object.fromEntries(jobNames.map((n) => [n, classOf(n)]))));
    mkdirSync(join(out, STATS_DIR), { recursive: true });
    const stats = await imageFeatures(net, jobNames, (n) => decodeImage(readFileSync(join(out, n)), n), classOf);
    await writeJobStats(jobStatsPath(out, tag, net.name), stats);
  } finally {
    await net.release();
  }
}

describe('job statistics', () => {
  it('merged from three shards, score what evaluate scores over all images at once', async () => {
    // Three shards dealt every third image, in job order unlike the folder's.
    for (const k of [2, 0, 1]) await writeJob(`shard-${k}`, names.filter((_, i) => i % 3 === k));
    const options = { ref, features: netFile, kidSubsets: 5, prK: 3, cache: false };
    const whole = await evaluate({ ...options, images: out });
    const merged = await evaluateMerged({ ...options, stats: out });
    expect(merged.images.count).toBe(30);
    expect(Object.keys(merged.metrics).sort()).toEqual(Object.keys(whole.metrics).sort());
    expect(Object.keys(whole.metrics)).toContain('acc-lenet-random'); // evaluate read the jobs' labels files together
    for (const [name, m] of Object.entries(whole.metrics)) {
      const relative = Math.abs(merged.metrics[name].value - m.value) / Math.max(Math.abs(m.value), 1e-12);
      expect(relative, name).toBeLessThan(1e-6);
      expect(merged.metrics[name].images, name).toBe(m.images);
    }
  });

  it('count an image in two overlapping jobs once, and round-trip through their files', async () => {
    await writeJob('overlap', names.slice(0, 5));
    const merged = await mergeJobStats(out, 'lenet-random');
    expect(merged.files).toBe(4);
    expect(merged.names).toEqual(names);
    expect(merged.sums.count).toBe(30);
    const part = await readJobStats(jobStatsPath(out, 'overlap', 'lenet-random'));
    expect(part.names).toEqual(names.slice(0, 5));
    expect([...part.classes]).toEqual([0, 1, 2, 3, 4]);
    expect(part.features).toEqual(merged.features.subarray(0, 5 * merged.dim));
  });

  it('refuses statistics of another feature network, and a folder without any', async () => {
    const other = join(tmp, 'other.safetensors');
    writeFileSync(other, encodeLenet(initLenet(6), { dataset: 'none', test_accuracy: '0' }));
    const net = await loadLenet('lenet-random', other);
    const stats = await imageFeatures(net, names.slice(0, 2), (n) => decodeImage(readFileSync(join(out, n)), n), classOf);
    await net.release();
    await writeJobStats(jobStatsPath(out, 'zz-other', 'lenet-random'), stats);
    await expect(mergeJobStats(out, 'lenet-random')).rejects.toThrow(/zz-other.lenet-random.safetensors: made with feature network .*; remove the stale files/);
    await expect(mergeJobStats(ref, 'lenet-random')).rejects.toThrow(/no \*\.lenet-random\.safetensors statistics files/);
  });
});
