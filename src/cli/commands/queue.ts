// `lego queue status|clean`: what the job queue holds per run (jobs waiting, running, done and failed,
// images done, workers, failure reasons), and removing a run's jobs from it.
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { QueueClient } from '../../queue/connection.js';
import type { RunStatus } from '../../queue/status.js';
import { parseQueueFlag } from '../args.js';

/** A run id as `lego generate --queue` prints it. */
function checkRunId(id: string): string {
  if (!/^r[0-9a-f]{16}$/.test(id)) throw new UsageError(`RUN: expected a run id like r0123456789abcdef (lego queue status URL lists them); got "${id}"`);
  return id;
}

/** Open the queue at `url`, failing at once when Redis is not there, and run `use` on it. */
async function withQueue<T>(url: string, use: (queue: typeof import('../../queue/status.js'), client: QueueClient) => Promise<T>): Promise<T> {
  const address = parseQueueFlag(url, 'URL');
  // Loaded here, not at the top: BullMQ takes most of a second to import, and every command loads this file.
  const [{ connect, disconnect, Reachability, watch, whenReachable }, status] = await Promise.all([import('../../queue/connection.js'), import('../../queue/status.js')]);
  const client = connect(address);
  try {
    await whenReachable(client, address);
    watch(client, new Reachability(address, (line) => process.stderr.write(`${line}\n`)));
    return await use(status, client);
  } finally {
    await disconnect(client);
  }
}

function describe(s: RunStatus): string {
  const { jobs, images, run } = s;
  const lines = [
    `run ${run.id} -> ${run.outdir}${run.stats ? ` (statistics: ${run.stats})` : ''}`,
    `  images ${images.done}/${images.total}; jobs ${jobs.waiting} waiting, ${jobs.running} running, ${jobs.done} done, ${jobs.failed} failed`,
  ];
  if (s.workers.length > 0) lines.push(`  workers: ${s.workers.join(', ')}`);
  for (const f of s.failures) lines.push(`  failed ${f.job}: ${f.reason}`);
  return lines.join('\n');
}

function statusCommand(): Command {
  return new Command('status')
    .description('Jobs waiting, running, done and failed, and images done, per run')
    .argument('<url>', 'the job queue: redis://HOST:PORT/DB')
    .argument('[run]', 'only this run (its id, as lego generate --queue prints it)')
    .option('--json', 'print the status as JSON on stdout: one object per run')
    .action(async (url: string, id: string | undefined, flags: { json?: boolean }) => {
      const run = id === undefined ? undefined : checkRunId(id);
      const statuses = await withQueue(url, (queue, client) => queue.queueStatus(client, run));
      if (flags.json) {
        console.log(JSON.stringify(statuses.map(({ run: r, ...rest }) => ({ id: r.id, outdir: r.outdir, network: r.network ?? 'embedded', stats: r.stats, ...rest })), null, 2));
      } else {
        console.log(statuses.length === 0 ? 'no runs on this queue' : statuses.map(describe).join('\n'));
      }
    })
    .exitOverride();
}

function cleanCommand(): Command {
  return new Command('clean')
    .description('Remove a run and its jobs from the queue (its images stay where they are)')
    .argument('<url>', 'the job queue: redis://HOST:PORT/DB')
    .argument('<run>', 'the run id, as lego generate --queue prints it')
    .action(async (url: string, id: string) => {
      const run = checkRunId(id);
      const { removed } = await withQueue(url, (queue, client) => queue.cleanRun(client, run));
      process.stderr.write(`run ${run}: removed with its ${removed} jobs\n`);
    })
    .exitOverride();
}

export function queueCommand(): Command {
  return new Command('queue')
    .description('The job queue of lego generate --queue and lego worker: status of runs, removing them')
    .addCommand(statusCommand())
    .addCommand(cleanCommand())
    .addHelpText('after', `
A run stays on the queue when it is done (its finished jobs are kept, so submitting it again adds no
jobs); lego queue clean removes it, after which a submission queues its seeds anew (workers skip the
images already written). A run cannot be cleaned while its jobs run: stop those workers first.

Examples:
  lego queue status redis://10.0.0.5:6379/0
  lego queue status redis://10.0.0.5:6379/0 r0123456789abcdef --json
  lego queue clean redis://10.0.0.5:6379/0 r0123456789abcdef`);
}
