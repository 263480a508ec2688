// What the queue holds per run: jobs waiting, running, done and failed, images done (those of finished jobs
// and the progress of running ones), the workers on it and why jobs failed; and removing a run's jobs.
import type { JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { InputError } from '../errors.js';
import { openQueue, parseJobId, type SeedJob } from './jobs.js';
import { forgetRun, listRuns, loadRun, type QueuedRun } from './runs.js';

/** Job counts by state. */
export interface JobCounts {
  /** Waiting for a worker (also: delayed before a retry). */
  waiting: number;
  running: number;
  done: number;
  failed: number;
}

/** One run on the queue. */
export interface RunStatus {
  run: QueuedRun;
  jobs: JobCounts;
  images: { total: number; done: number };
  /** Names of the workers running its jobs now. */
  workers: string[];
  /** Why jobs failed: the first few. */
  failures: { job: string; reason: string }[];
}

/** BullMQ's states, as this queue shows them. */
const STATES: Record<keyof JobCounts, JobType[]> = {
  waiting: ['wait', 'prioritized', 'delayed'],
  running: ['active'],
  done: ['completed'],
  failed: ['failed'],
};

/** Failure reasons reported per run at most. */
const MAX_FAILURES = 5;

/** The status of run `id`, or of every run when `id` is undefined. Throws InputError for an unknown run. */
export async function queueStatus(client: Redis, id?: string): Promise<RunStatus[]> {
  const runs = id === undefined ? await listRuns(client) : [await knownRun(client, id)];
  const queue = openQueue(client);
  try {
    const ids = {} as Record<keyof JobCounts, string[]>;
    for (const state of Object.keys(STATES) as (keyof JobCounts)[]) ids[state] = await queue.getRanges(STATES[state], 0, -1);
    const active = (await queue.getJobs(['active'], 0, -1)).filter((job) => job.id !== undefined);
    const statuses: RunStatus[] = [];
    for (const run of runs) {
      // In seed order: the ids' tags are zero-padded seeds.
      const mine = (list: string[]) => list.filter((jobIdText) => parseJobId(jobIdText)?.run === run.id).sort();
      const seedsOf = (list: string[]) => list.reduce((n, jobIdText) => n + (parseJobId(jobIdText)?.seeds ?? 0), 0);
      const jobs = { waiting: mine(ids.waiting), running: mine(ids.running), done: mine(ids.done), failed: mine(ids.failed) };
      const running = active.filter((job) => parseJobId(job.id!)?.run === run.id);
      const progress = running.reduce((n, job) => n + (typeof job.progress === 'number' ? job.progress : 0), 0);
      statuses.push({
        run,
        jobs: { waiting: jobs.waiting.length, running: jobs.running.length, done: jobs.done.length, failed: jobs.failed.length },
        images: { total: seedsOf([...jobs.waiting, ...jobs.running, ...jobs.done, ...jobs.failed]), done: seedsOf(jobs.done) + progress },
        workers: [...new Set(running.map((job) => job.processedBy ?? '?'))].sort(),
        failures: await failures(queue, jobs.failed.slice(0, MAX_FAILURES)),
      });
    }
    return statuses;
  } finally {
    await queue.close();
  }
}

/**
 * Remove run `id`'s jobs and its record; its images stay. Throws InputError while a job of it runs (stop
 * its workers first) or when there is no such run.
 */
export async function cleanRun(client: Redis, id: string): Promise<{ removed: number }> {
  const [status] = await queueStatus(client, id);
  if (status.jobs.running > 0) throw new InputError(`run ${id}: ${status.jobs.running} jobs are running (workers ${status.workers.join(', ')}); stop those workers first`);
  const queue = openQueue(client);
  let removed = 0;
  try {
    const ids = (await queue.getRanges([...STATES.waiting, ...STATES.done, ...STATES.failed], 0, -1)).filter((jobIdText) => parseJobId(jobIdText)?.run === id);
    for (const jobIdText of ids) removed += await queue.remove(jobIdText);
  } finally {
    await queue.close();
  }
  await forgetRun(client, id);
  return { removed };
}

async function knownRun(client: Redis, id: string): Promise<QueuedRun> {
  const run = await loadRun(client, id);
  if (!run) throw new InputError(`no run ${id} on this queue (lego queue status URL lists them)`);
  return run;
}

async function failures(queue: Queue<SeedJob>, ids: string[]): Promise<RunStatus['failures']> {
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  return jobs.flatMap((job, i) => (job ? [{ job: ids[i], reason: job.failedReason ?? 'unknown' }] : []));
}
