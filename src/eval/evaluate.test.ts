// evaluate() end to end on small synthetic sets with a randomly initialised LeNet: identical sets score
// FD 0 and full precision/recall, the reference cache is written, reused and invalidated.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeDatasetJson } from '../data/dataset-json.js';
import { encodePng } from '../data/png.js';
import { Rng } from '../random.js';
import { evaluate } from './evaluate.js';
import { encodeLenet } from './features.js';
import { initLenet } from './lenet.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-evaluate-'));
const net = join(tmp, 'lenet-random.safetensors');
writeFileSync(net, encodeLenet(initLenet(3), { dataset: 'none', test_accuracy: '0' }));

/** A folder of `count` random blobs (size x size, gray), labelled i % 10, in the dataset layout. */
function blobs(dir: string, count: number, seed: number, size = 32): string {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const labels: [string, number][] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size * size);
    const [cx, cy, r] = [8 + rng.below(size - 16), 8 + rng.below(size - 16), 3 + rng.below(5)];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * size + x] = 255;
    const name = `${String(i).padStart(6, '0')}.png`;
    writeFileSync(join(dir, name), encodePng({ width: size, height: size, channels: 1, data }));
    labels.push([name, i % 10]);
  }
  writeFileSync(join(dir, 'dataset.json'), serializeDatasetJson(labels, null));
  return dir;
}

const ref = blobs(join(tmp, 'ref'), 60, 1);

describe('evaluate', () => {
  it('a set against itself: FD 0, KID ~0, precision = recall = 1; counts of images used', async () => {
    const r = await evaluate({ images: ref, ref, features: net, kidSubsets: 4, cache: false });
    const m = r.metrics;
    expect(Object.keys(m)).toEqual(['fd-lenet-random', 'kid-lenet-random', 'precision-lenet-random', 'recall-lenet-random', 'acc-lenet-random']);
    expect(Math.abs(m['fd-lenet-random'].value)).toBeLessThan(1e-6);
    expect(m['fd-lenet-random']).toMatchObject({ images: 60, ref_images: 60 });
    expect(m['kid-lenet-random']).toMatchObject({ subsets: 4, subset_size: 60 });
    expect(Math.abs(m['kid-lenet-random'].value)).toBeLessThan(1e-4);
    expect(m['precision-lenet-random']).toMatchObject({ value: 1, images: 60, ref_images: 60, k: 3 });
    expect(m['recall-lenet-random'].value).toBe(1);
    expect(m['acc-lenet-random'].images).toBe(60); // labels from the set's dataset.json
    expect(r.ref).toMatchObject({ count: 60, cache: 'off', cache_file: null });
  });

  it('blobs like the reference score a far smaller FD than black 28x28 RGB images (made gray, padded to 32x32)', async () => {
    const near = await evaluate({ images: blobs(join(tmp, 'gen'), 40, 2), ref, features: net, metrics: ['fd'], cache: false });
    const black = join(tmp, 'black');
    mkdirSync(black);
    for (let i = 0; i < 10; i++) writeFileSync(join(black, `${i}.png`), encodePng({ width: 28, height: 28, channels: 3, data: new Uint8Array(28 * 28 * 3) }));
    const far = await evaluate({ images: black, ref, features: net, metrics: ['fd'], cache: false });
    expect(near.metrics['fd-lenet-random'].images).toBe(40);
    expect(far.metrics['fd-lenet-random']).toMatchObject({ images: 10, ref_images: 60 });
    expect(far.metrics['fd-lenet-random'].value).toBeGreaterThan(10 * near.metrics['fd-lenet-random'].value);
  });

  it('caches reference features beside the dataset, and recomputes when the dataset changes', async () => {
    const images = join(tmp, 'gen');
    const first = await evaluate({ images, ref, features: net, metrics: ['fd'] });
    expect(first.ref).toMatchObject({ cache: 'written', cache_file: `${ref}.lenet-random.stats.safetensors` });
    const second = await evaluate({ images, ref, features: net, metrics: ['fd'] });
    expect(second.ref.cache).toBe('hit');
    expect(second.metrics['fd-lenet-random'].value).toBeCloseTo(first.metrics['fd-lenet-random'].value, 9);
    utimesSync(join(ref, '000003.png'), new Date(), new Date(Date.now() + 5000));
    expect((await evaluate({ images, ref, features: net, metrics: ['fd'] })).ref.cache).toBe('written');
  });

  it('acc without labels is an error naming the images', async () => {
    const npz = join(tmp, 'x.npz');
    const { encodeNpzUint8 } = await import('../data/npz.js');
    writeFileSync(npz, encodeNpzUint8(new Uint8Array(4 * 32 * 32), [4, 32, 32, 1]));
    await expect(evaluate({ images: npz, ref, features: net, metrics: ['acc'] })).rejects.toThrow(/x\.npz: accuracy needs the class of each image/);
  });
});
