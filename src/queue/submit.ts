// Submitting a run: record it once, cut its seeds into jobs aligned to the shard size and add the jobs that
// are not there yet, so submitting the same run again adds nothing and more seeds add only their blocks.
import type { Redis } from 'ioredis';
import { cutSeeds, seedRanges } from '../data/seed-split.js';
import { JOB_OPTIONS, jobId, openQueue } from './jobs.js';
import { recordRun, type QueuedRun } from './runs.js';

/** What a submission did. */
export interface Submitted {
  /** The run's jobs for these seeds, new or not. */
  jobs: number;
  /** Of those, the ones this submission added. */
  added: number;
  /** Whether the run was recorded by this submission. */
  newRun: boolean;
}

/** Job states asked for this many ids at a time. */
const CHUNK = 500;

/**
 * Queue `seeds` of run `record` in jobs of at most `shardSize` seeds, each block of seeds in
 * [j * shardSize, (j + 1) * shardSize) one job. Throws InputError when the run is queued with another
 * output directory or statistics.
 */
export async function submitRun(client: Redis, record: QueuedRun, seeds: readonly number[], shardSize: number): Promise<Submitted> {
  const newRun = await recordRun(client, record);
  const blocks = cutSeeds(seeds, shardSize);
  const queue = openQueue(client);
  let added = 0;
  try {
    for (let start = 0; start < blocks.length; start += CHUNK) {
      const chunk = blocks.slice(start, start + CHUNK).map((block) => ({ block, id: jobId(record.id, block) }));
      const states = await Promise.all(chunk.map(({ id }) => queue.getJobState(id)));
      const fresh = chunk.filter((_, i) => states[i] === 'unknown');
      // A job added meanwhile by another submission keeps its id: addBulk leaves it as it is.
      await queue.addBulk(fresh.map(({ block, id }) => ({ name: 'seeds', data: { run: record.id, seeds: seedRanges(block) }, opts: { ...JOB_OPTIONS, jobId: id } })));
      added += fresh.length;
    }
  } finally {
    await queue.close();
  }
  return { jobs: blocks.length, added, newRun };
}
