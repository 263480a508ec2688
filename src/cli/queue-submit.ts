// `lego generate --queue`: claim the output directory, record the run and add its jobs, then follow it with
// a progress bar over all its images (images/s, ETA, workers seen) until every job is done.
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { InputError } from '../errors.js';
import { openSampleDir } from '../data/sample-dir.js';
import type { QueueAddress } from '../queue/address.js';
import { connect, disconnect, Reachability, watch, whenReachable, type QueueClient } from '../queue/connection.js';
import { runId } from '../queue/runs.js';
import { queueStatus, type RunStatus } from '../queue/status.js';
import { submitRun } from '../queue/submit.js';
import type { JobPlan, Submission } from './generate-jobs.js';

/** Seconds between looks at the queue while following a run. */
const POLL_SECONDS = 1;

/** Submit, then follow the run until its jobs are all done (or at once with --detach). */
export async function submitAndWatch(plan: JobPlan & { queue: QueueAddress }, submission: Submission): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const client = connect(plan.queue);
  try {
    await whenReachable(client, plan.queue);
    // From here on an outage is waited for, and said once.
    watch(client, new Reachability(plan.queue, log));
    const outdir = resolve(submission.outdir);
    // Refuses a directory of another run's images, and records this run in it, as a single process would.
    await openSampleDir(outdir, { run: submission.run, force: submission.force, grid: false, labels: false });
    const id = runId(submission.run);
    const record = { id, run: submission.run, network: submission.network === null ? null : resolve(submission.network), flags: submission.flags, outdir, stats: plan.stats };
    const { jobs, added } = await submitRun(client, record, submission.seeds, plan.shardSize);
    log(`run ${id}: ${added} jobs added, ${jobs - added} already queued (${submission.seeds.length} seeds in jobs of up to ${plan.shardSize}) -> ${outdir}`);
    if (plan.detach) {
      log(`follow it with: lego queue status ${plan.queue.url} ${id}`);
      return;
    }
    const status = await follow(client, id);
    if (status.jobs.failed > 0) {
      const [first] = status.failures;
      throw new InputError(`run ${id}: ${status.jobs.failed} jobs failed${first ? `, ${first.job}: ${first.reason}` : ''}; see lego queue status ${plan.queue.url} ${id}`);
    }
    log(`run ${id}: all ${status.images.total} images are in ${outdir}`);
  } finally {
    await disconnect(client);
  }
}

/** Show the run's progress until no job of it waits or runs; returns its last status. */
async function follow(client: QueueClient, id: string): Promise<RunStatus> {
  const seen = new Set<string>();
  const start = performance.now();
  let [status] = await queueStatus(client, id);
  const first = status.images.done;
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'queue [{bar}] {value}/{total} images | {speed} img/s | ETA {left} | {workers} workers seen' })
    : null;
  bar?.start(status.images.total, first, { speed: '0', left: '?', workers: 0 });
  let shown = -1;
  for (;;) {
    for (const worker of status.workers) seen.add(worker);
    const { done, total } = status.images;
    const speed = (done - first) / ((performance.now() - start) / 1000);
    const eta = speed > 0 ? `${Math.ceil((total - done) / speed)} s` : '?';
    if (bar) bar.update(done, { speed: speed.toFixed(2), left: eta, workers: seen.size });
    else if (Math.floor((done * 10) / Math.max(total, 1)) > shown) {
      shown = Math.floor((done * 10) / Math.max(total, 1));
      process.stderr.write(`${done}/${total} images, ${speed.toFixed(2)} img/s, ETA ${eta}, ${seen.size} workers seen\n`);
    }
    if (status.jobs.waiting + status.jobs.running === 0) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, POLL_SECONDS * 1000));
    [status] = await queueStatus(client, id);
  }
  bar?.stop();
  return status;
}
