// Seeds split for many processes: static shards (every N-th seed, for Slurm arrays and Kubernetes indexed
// jobs), blocks aligned to a shard size (queue jobs), and the tag that names a seed list's own files.
import { createHash } from 'node:crypto';

/** Shard `k` of `n` (0 <= k < n): the seeds dealt out in order, every n-th from the k-th. */
export function dealSeeds(seeds: readonly number[], k: number, n: number): number[] {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`internal: dealSeeds: shard ${k} of ${n}`);
  return seeds.filter((_, i) => i % n === k);
}

/**
 * The seeds cut into blocks of seeds in [j * size, (j + 1) * size), each block ascending, blocks in order
 * of j: the same seed always falls in the same block, whatever else was asked for.
 */
export function cutSeeds(seeds: readonly number[], size: number): number[][] {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`internal: cutSeeds: size ${size}`);
  const blocks = new Map<number, number[]>();
  for (const seed of seeds) {
    const j = Math.floor(seed / size);
    const block = blocks.get(j);
    if (block) block.push(seed);
    else blocks.set(j, [seed]);
  }
  return [...blocks.keys()].sort((a, b) => a - b).map((j) => blocks.get(j)!.sort((a, b) => a - b));
}

/** Seeds as inclusive ranges, `[[0, 7], [9, 9]]`, in the order given: a compact form for job data. */
export function seedRanges(seeds: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seed of seeds) {
    const last = ranges.at(-1);
    if (last && seed === last[1] + 1) last[1] = seed;
    else ranges.push([seed, seed]);
  }
  return ranges;
}

/** The seeds of `seedRanges` output. */
export function rangeSeeds(ranges: readonly (readonly [number, number])[]): number[] {
  const seeds: number[] = [];
  for (const [lo, hi] of ranges) for (let s = lo; s <= hi; s++) seeds.push(s);
  return seeds;
}

/**
 * A file-name-safe tag naming a non-empty seed list: `000008-000015` for a run of consecutive seeds, and
 * `000000-000045-16-<hash>` (first, last, count, a hash of the list) for any other. Different lists give
 * different tags, so the files named by them never collide; the count is readable from the tag.
 */
export function seedsTag(seeds: readonly number[]): string {
  if (seeds.length === 0) throw new Error('internal: seedsTag: no seeds');
  const pad = (seed: number) => String(seed).padStart(6, '0');
  const first = seeds[0];
  const last = seeds[seeds.length - 1];
  const head = `${pad(first)}-${pad(last)}`;
  if (seeds.every((seed, i) => seed === first + i)) return head;
  const hash = createHash('sha256').update(seeds.join(',')).digest('hex').slice(0, 8);
  return `${head}-${seeds.length}-${hash}`;
}

/** The number of seeds a `seedsTag` names; null when `tag` is not one. */
export function tagSeedCount(tag: string): number | null {
  const m = /^(\d{6,})-(\d{6,})(?:-(\d+)-[0-9a-f]{8})?$/.exec(tag);
  if (!m) return null;
  return m[3] === undefined ? Number(m[2]) - Number(m[1]) + 1 : Number(m[3]);
}
