// `lego worker`: take seed-range jobs of runs submitted with `lego generate --queue` and sample them into
// each run's output directory, until stopped; the images are those one `lego generate` would write.
import { Command } from 'commander';
import { InputError } from '../../errors.js';
import { generateProblem } from '../../diffusion/generate.js';
import { runDifferences } from '../../data/sample-run.js';
import { loadFeatureNet } from '../../eval/features.js';
import { sha256File } from '../../files/file-hash.js';
import { LegoRunner } from '../../lego/runner.js';
import type { QueuedRun } from '../../queue/runs.js';
import type { PreparedRun } from '../../queue/sample-job.js';
import { parseIntFlag, parseQueueFlag, parseThreads, threadsHelp } from '../args.js';
import { loadNetwork } from '../network.js';
import { generateCommand, imageSettings, parseGenerateFlags, type GenerateFlags } from './generate.js';

interface WorkerFlags {
  queue: string;
  batch: string;
  threads?: string;
  lockTimeout: string;
  name?: string;
}

/**
 * Load a run as this worker samples it: its recorded flags parsed as `lego generate` parses them, its
 * network loaded and checked. Throws InputError when this worker would make other images than the
 * submitter (other network bytes, or another version of lego reading the flags differently).
 */
async function prepareRun(record: QueuedRun, batch: number, threads: number | undefined): Promise<PreparedRun> {
  // Defaults first: a flag the submitter's version did not have takes its default (the check below still
  // refuses a run whose images would differ).
  const flags: GenerateFlags = Object.assign(generateCommand().opts<GenerateFlags>(), record.flags, {
    outdir: record.outdir,
    seeds: '0',
    batch: String(batch),
    ...(threads === undefined ? {} : { threads: String(threads) }),
  });
  const options = parseGenerateFlags(flags);
  const model = await loadNetwork(record.network ?? undefined);
  const run = { network: { file: model.file, sha256: await sha256File(model.file) }, settings: imageSettings(options, model.config, flags) };
  const differences = runDifferences(record.run, run);
  if (differences.length > 0) {
    throw new InputError(`run ${record.id}: this worker would make other images (${differences.slice(0, 3).join(', ')}); give it the submitter's network and version of lego`);
  }
  const problem = generateProblem(model.config, options);
  if (problem) throw new InputError(`run ${record.id}: ${problem} (${model.file})`);
  const statsNet = record.stats === null ? null : await loadFeatureNet(record.stats, { threads });
  const runner = new LegoRunner(model.config, model.weights, { threads, coords: options.coords, precision: options.precision, quantized: model.quantized });
  return {
    runner,
    options,
    subdirs: !!flags.subdirs,
    statsNet,
    release: async () => {
      await runner.release();
      await statsNet?.release();
    },
  };
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Sample the jobs of runs submitted with lego generate --queue, until stopped')
    .requiredOption('--queue <url>', 'the job queue: redis://HOST:PORT/DB, as given to lego generate --queue')
    .option('--batch <n>', 'images per network batch (results do not depend on it; a stop waits for the batch in hand)', '8')
    .option('--threads <n>', threadsHelp)
    .option('--lock-timeout <s>', 'seconds without a sign of life after which a worker\'s job goes to another worker (give every worker of a queue the same)', '30')
    .option('--name <name>', 'this worker\'s name in lego queue status (default: host:pid)')
    .addHelpText('after', `
A worker takes one job (a block of seeds of one run) at a time, from any run on the queue, and writes
its images into the run's output directory, which must therefore be a directory that all workers can
write (a shared file system: NFS, Lustre, a mounted bucket) at the same path. Each PNG is written
atomically and skipped when it is already there, so a job taken over from a dead worker redoes only
what is missing; the images are those one lego generate of the same seeds writes. The worker keeps
the run's network loaded for its next jobs, and checks that the network's bytes are the submitted ones.

SIGTERM or Ctrl-C: the batch in hand is finished and written, the job goes back to the queue, and the
worker exits. A worker killed outright loses nothing either: after --lock-timeout another worker takes
its job. A job whose input is at fault (a missing network, an unwritable directory) fails once, with
the reason in lego queue status. While Redis cannot be reached the worker says so and waits.

Examples:
  lego worker --queue redis://10.0.0.5:6379/0
  lego worker --queue redis://10.0.0.5:6379/0 --threads 4 --batch 16 --name gpu-node-3`)
    .action(async (flags: WorkerFlags) => {
      const address = parseQueueFlag(flags.queue);
      const batch = parseIntFlag('--batch', flags.batch, { min: 1, max: 4096 });
      const threads = parseThreads(flags.threads);
      const lockSeconds = parseIntFlag('--lock-timeout', flags.lockTimeout, { min: 1, max: 86_400 });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      // Loaded here, not at the top: BullMQ takes most of a second to import, and every command loads this file.
      const { startWorker } = await import('../../queue/worker.js');
      const worker = startWorker(address, { prepare: (record) => prepareRun(record, batch, threads), log, lockSeconds, name: flags.name });
      const stop = () => {
        log('stopping: finishing the batch in hand');
        worker.stop();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      log(`worker waiting for jobs on ${address.url}`);
      try {
        await worker.closed;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
      log('worker stopped');
    });
}
