// Static sharding as a Slurm array or Kubernetes indexed job runs it, through the built binary: three
// `lego generate --shard K/3 --stats` processes into one directory write exactly the images of one
// process, each shard only files of its own, and `lego eval --merge-stats` equals `lego eval` over all.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeDatasetJson } from '../src/data/dataset-json.js';
import { encodePng } from '../src/data/png.js';
import { loadKnownSplit } from '../src/train/feature-net-training.js';
import { lego } from './helpers/lego-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-shard-'));
const ref = join(tmp, 'ref');
const pngs = (dir: string) => readdirSync(dir).filter((f) => /^\d{6}\.png$/.test(f)).sort();

beforeAll(() => {
  // 120 MNIST test digits, 32x32 as lego dataset --transform pad makes them: the reference set.
  const test = loadKnownSplit('mnist', 'test');
  mkdirSync(ref);
  const labels: [string, number][] = [];
  for (let i = 0; i < 120; i++) {
    const name = `${String(i).padStart(6, '0')}.png`;
    const data = new Uint8Array(32 * 32);
    for (let y = 0; y < 28; y++) data.set(test.pixels.subarray(i * 784 + y * 28, i * 784 + y * 28 + 28), (y + 2) * 32 + 2);
    writeFileSync(join(ref, name), encodePng({ width: 32, height: 32, channels: 1, data }));
    labels.push([name, test.labels[i]]);
  }
  writeFileSync(join(ref, 'dataset.json'), serializeDatasetJson(labels, null));
});

describe('lego generate --shard', () => {
  it('three shards write the images of one process, their own labels and statistics; merged statistics score as all images', async () => {
    const single = join(tmp, 'single');
    const sharded = join(tmp, 'sharded');
    const common = ['generate', '--seeds', '0-23', '--steps', '4'];
    expect((await lego(...common, '--outdir', single)).code).toBe(0);
    const shards = await Promise.all([0, 1, 2].map((k) => lego(...common, '--shard', `${k}/3`, '--stats', 'lenet-mnist', '--outdir', sharded)));
    for (const r of shards) expect(r.code, r.stderr).toBe(0);
    expect(shards[1].stderr).toContain('wrote 8 images');

    // Every seed's PNG exactly once, byte-identical to one process's; nothing that two shards would share.
    expect(pngs(sharded)).toEqual(pngs(single));
    for (const f of pngs(single)) expect(readFileSync(join(sharded, f)).equals(readFileSync(join(single, f))), f).toBe(true);
    expect(existsSync(join(sharded, 'grid.png')) || existsSync(join(sharded, 'labels.json'))).toBe(false);
    expect(readdirSync(join(sharded, 'labels'))).toHaveLength(3);
    expect(readdirSync(join(sharded, 'stats')).filter((f) => f.endsWith('.lenet-mnist.safetensors'))).toHaveLength(3);
    const together = Object.assign({}, ...readdirSync(join(sharded, 'labels')).map((f) => JSON.parse(readFileSync(join(sharded, 'labels', f), 'utf8'))));
    expect(together).toEqual(JSON.parse(readFileSync(join(single, 'labels.json'), 'utf8')));

    // lego eval reads the shards' labels together, and --merge-stats gives the same numbers without the images.
    const evalArgs = ['--ref', ref, '--kid-subsets', '10', '--no-cache'];
    const all = await lego('eval', '--images', sharded, ...evalArgs);
    const merged = await lego('eval', '--merge-stats', sharded, ...evalArgs);
    expect(all.code, all.stderr).toBe(0);
    expect(merged.code, merged.stderr).toBe(0);
    const [a, m] = [JSON.parse(all.stdout), JSON.parse(merged.stdout)];
    expect(m.images.count).toBe(24);
    expect(Object.keys(m.metrics).sort()).toEqual(['acc-lenet-mnist', 'fd-lenet-mnist', 'kid-lenet-mnist', 'precision-lenet-mnist', 'recall-lenet-mnist']);
    for (const name of ['fd-lenet-mnist', 'kid-lenet-mnist', 'acc-lenet-mnist', 'precision-lenet-mnist', 'recall-lenet-mnist']) {
      const relative = Math.abs(m.metrics[name].value - a.metrics[name].value) / Math.max(Math.abs(a.metrics[name].value), 1e-12);
      expect(relative, name).toBeLessThan(1e-6);
    }
  });

  it('refuses what cannot be sharded, in one line, before writing anything', async () => {
    const out = join(tmp, 'never');
    for (const [args, message] of [
      [['--shard', '3/3'], /^lego: --shard: expected K\/N with N from 1 to 1000000 and K from 0 to N-1; got 3\/3$/],
      [['--shard', '1-3'], /^lego: --shard: expected K\/N/],
      [['--shard', '0/2', '--npz'], /^lego: --npz: each shard or job writes only files of its own/],
      [['--seeds', '0-1', '--shard', '2/3'], /^lego: --shard: 2 seeds leave shard 2 of 3 none/],
      [['--stats', 'inception-v3'], /^lego: --stats: expected one of lenet-mnist, lenet-fashion or a LeNet \.safetensors file/],
      [['--detach'], /^lego: --detach: only with --queue$/],
      [['--queue', 'localhost:6379'], /^lego: --queue: expected a redis:\/\/ URL/],
    ] as const) {
      const r = await lego('generate', '--steps', '2', '--outdir', out, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
    const noSource = await lego('eval', '--ref', ref);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr.trim()).toBe('lego: --images: give either --images or --merge-stats (one of them)');
  });
});
