// A queue worker: takes seed-range jobs of any run, one at a time, and samples them (sample-job.ts) with the
// run loaded once for all its jobs. A dead worker's job is taken over by another once its lock lapses; a
// job whose input is at fault fails at once with the reason; `stop()` hands the job in hand back.
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { isUserError } from '../errors.js';
import type { QueueAddress } from './address.js';
import { connect, disconnect, Reachability } from './connection.js';
import { jobSeeds, PREFIX, QUEUE_NAME, type SeedJob } from './jobs.js';
import { loadRun, type QueuedRun } from './runs.js';
import { JobStopped, sampleJob, type JobResult, type PreparedRun } from './sample-job.js';

export interface WorkerOptions {
  /** Load a run for sampling: parse its flags, load and check its network (the caller's: it knows flags). */
  prepare: (record: QueuedRun) => Promise<PreparedRun>;
  /** One line of progress or trouble. */
  log: (line: string) => void;
  /**
   * Seconds without a sign of life after which a worker's job goes to another worker (default 30): the
   * lock on a job lasts this long, is renewed at half of it, and workers look for lapsed locks this often.
   */
  lockSeconds?: number;
  /** Shown as the job's worker in `lego queue status` (default host:pid). */
  name?: string;
}

/** A started worker. */
export interface RunningWorker {
  /** Finish the batch in hand, hand its job back to the queue, and close. */
  stop(): void;
  /** Resolves once the worker has closed (after `stop`). */
  closed: Promise<void>;
}

/** How often a job may be taken over from a dead worker before it fails: two deaths must not fail it. */
const MAX_STALLED = 5;

/** How long a stopping worker waits for Redis to take a job back, and for BullMQ to close. */
const HAND_BACK_MS = 5000;
const CLOSE_MS = 5000;

/** Whether `promise` settles within `ms` (its failure counts as settled); the wait keeps no process alive. */
async function within(ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Start taking jobs from the queue at `address`. Runs until `stop()`; meanwhile a lost Redis is reported
 * and waited for.
 *
 * @example
 * const worker = startWorker(address, { prepare, log: (line) => console.error(line) });
 * process.once('SIGTERM', () => worker.stop());
 * await worker.closed;
 */
export function startWorker(address: QueueAddress, options: WorkerOptions): RunningWorker {
  const { prepare, log, lockSeconds = 30, name = `${hostname()}:${process.pid}` } = options;
  const reachability = new Reachability(address, log);
  // Set when a stopping worker gives up on a Redis that is away: its connections stop reconnecting.
  let givenUp = false;
  const client = connect(address, reachability, () => !givenUp);
  const blocking = connect(address, reachability, () => !givenUp);
  let stopping = false;
  // The sampling of the job in hand, which a stop lets finish its batch.
  let inHand: Promise<void> | null = null;
  // The run of the last job, loaded: the next job is most likely the same run's.
  let cached: { id: string; prepared: Promise<PreparedRun> } | null = null;

  const preparedRun = async (record: QueuedRun): Promise<PreparedRun> => {
    if (cached?.id !== record.id) {
      const previous = cached;
      cached = { id: record.id, prepared: prepare(record) };
      cached.prepared.catch(() => {
        if (cached?.id === record.id) cached = null;
      });
      await previous?.prepared.then((p) => p.release(), () => {});
    }
    return cached.prepared;
  };

  const processJob = async (job: Job<SeedJob, JobResult>, token?: string): Promise<JobResult> => {
    const data = jobSeeds(job.data);
    if (!data) throw new UnrecoverableError(`job ${job.id}: its data is not { run, seeds: [[first, last], ...] }`);
    try {
      const record = await loadRun(client, data.run);
      if (!record) throw new UnrecoverableError(`run ${data.run} is no longer recorded on the queue (cleaned?)`);
      const prepared = await preparedRun(record);
      log(`job ${job.id}: ${data.seeds.length} images into ${record.outdir}`);
      const sampling = sampleJob(prepared, record, data.seeds, {
        onProgress: (done, total) => {
          // Progress is a courtesy: never wait on Redis for it, nor fail the job when it is away.
          job.updateProgress(done).catch(() => {});
          log(`job ${job.id}: ${done}/${total} images`);
        },
        stopRequested: () => stopping,
      });
      inHand = sampling.then(() => {}, () => {});
      const result = await sampling;
      log(`job ${job.id}: done (${result.generated} generated, ${result.already} already there)`);
      return result;
    } catch (e) {
      if (e instanceof JobStopped) {
        // Without Redis the job cannot be handed back: its lock lapses instead, and another worker takes it.
        const handedBack = await within(HAND_BACK_MS, job.moveToWait(token));
        log(`job ${job.id}: ${e.message}; ${handedBack ? 'handed back to the queue' : 'left to lapse to another worker (Redis unreachable)'}`);
        throw new WaitingError();
      }
      if (isUserError(e)) {
        log(`job ${job.id}: failed: ${e.message}`);
        throw new UnrecoverableError(e.message);
      }
      throw e;
    }
  };

  const worker = new Worker<SeedJob, JobResult>(QUEUE_NAME, processJob, {
    connection: blocking,
    prefix: PREFIX,
    name,
    concurrency: 1,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    maxStalledCount: MAX_STALLED,
    // After Redis comes back, look for jobs again within a second (BullMQ's default waits 15 s).
    runRetryDelay: 1000,
  });
  worker.on('error', (e) => {
    if (isConnectionError(e)) reachability.lost(e);
    else log(`worker: ${e.message}`);
  });
  worker.on('failed', (job, e) => {
    if (job && !(e instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1)) log(`job ${job.id}: attempt ${job.attemptsMade} failed (${e.message}); it will be retried`);
  });

  let closing: Promise<void> | null = null;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  return {
    stop() {
      if (closing) return;
      stopping = true;
      closing = (async () => {
        await inHand;
        if (client.status === 'ready') {
          await within(CLOSE_MS, worker.close());
        } else {
          // BullMQ's orderly close would wait for Redis forever: stop reconnecting and close at once.
          givenUp = true;
          await within(CLOSE_MS, worker.close(true));
        }
        await cached?.prepared.then((p) => p.release(), () => {});
        await Promise.all([disconnect(client), disconnect(blocking)]);
      })();
      closing.then(resolveClosed, resolveClosed);
    },
    closed,
  };
}

/** Errors of a lost connection, as ioredis and BullMQ report them (others are worth a line of their own). */
function isConnectionError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return (typeof code === 'string' && code.startsWith('E')) || /connection is closed|ECONN|ETIMEDOUT|EPIPE|EHOSTUNREACH/i.test(e.message);
}
