// Seed-range jobs on BullMQ: one queue for every run, a job per block of seeds aligned to the shard size,
// its id made of the run's id and the seeds' tag (`r<hash>-000008-000015`), so adding the same seeds again
// adds nothing; completed and failed jobs are kept, which is what keeps those ids taken.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { rangeSeeds, seedsTag, tagSeedCount } from '../data/seed-split.js';
import { isRunId } from './runs.js';

/** BullMQ's key prefix and queue name: the jobs live under lego:generate:*. */
export const PREFIX = 'lego';
export const QUEUE_NAME = 'generate';

/** A job's data: its run and its seeds as inclusive ranges. */
export interface SeedJob {
  run: string;
  seeds: [number, number][];
}

/** How a job is kept and retried. */
export const JOB_OPTIONS: JobsOptions = {
  removeOnComplete: false,
  removeOnFail: false,
  // A crash of the code is retried twice more; a reason in the input fails the job at once (worker.ts).
  attempts: 3,
  backoff: { type: 'fixed', delay: 2000 },
};

/** The id of the job of run `run` for `seeds` (not a plain integer and without ':', as BullMQ requires). */
export function jobId(run: string, seeds: readonly number[]): string {
  return `${run}-${seedsTag(seeds)}`;
}

/** The run and the number of seeds of a job id; null for an id that is not one of ours. */
export function parseJobId(id: string): { run: string; seeds: number } | null {
  const dash = id.indexOf('-');
  const run = id.slice(0, dash);
  const seeds = dash > 0 ? tagSeedCount(id.slice(dash + 1)) : null;
  return seeds !== null && isRunId(run) ? { run, seeds } : null;
}

/** The seeds of a job's data, or null when it is not a SeedJob. */
export function jobSeeds(data: unknown): { run: string; seeds: number[] } | null {
  if (typeof data !== 'object' || data === null) return null;
  const { run, seeds } = data as Partial<SeedJob>;
  const isRange = (r: unknown) => Array.isArray(r) && r.length === 2 && r.every((v) => Number.isSafeInteger(v) && v >= 0) && r[0] <= r[1];
  if (typeof run !== 'string' || !Array.isArray(seeds) || seeds.length === 0 || !seeds.every(isRange)) return null;
  return { run, seeds: rangeSeeds(seeds) };
}

/** The queue, on `client` (which the caller closes). */
export function openQueue(client: Redis): Queue<SeedJob> {
  const queue = new Queue<SeedJob>(QUEUE_NAME, { connection: client, prefix: PREFIX });
  // The client's own listener (connection.ts) reports a lost Redis, once; BullMQ would print each error.
  queue.on('error', () => {});
  return queue;
}
