// `lego generate` over many processes: its --shard, --stats and --queue flags, the files a static shard
// writes of its own, and what a run records for the queue's workers. The queue itself is loaded only
// with --queue (queue-submit.ts): BullMQ takes most of a second to import.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { SampleRun } from '../data/sample-run.js';
import { dealSeeds } from '../data/seed-split.js';
import { featureNets, loadFeatureNet } from '../eval/features.js';
import type { QueueAddress } from '../queue/address.js';
import { writeJobFiles, type JobImages } from '../queue/job-files.js';
import { parseIntFlag, parseQueueFlag, parseShard } from './args.js';

/** The flags of `lego generate` that spread a run over processes. */
export interface JobFlags {
  shard?: string;
  stats?: string;
  queue?: string;
  shardSize: string;
  detach?: boolean;
  npz?: boolean;
  json?: boolean;
  force?: boolean;
}

/** How this `lego generate` shares its run with others. */
export interface JobPlan {
  /** --shard K/N: this process samples every N-th seed from the K-th. */
  shard: { k: number; n: number } | null;
  /** --stats: the feature network of the per-job statistics (a registered name, or an absolute .safetensors path). */
  stats: string | null;
  /** --queue: submit the run there instead of sampling it. */
  queue: QueueAddress | null;
  /** --shard-size: seeds per queue job. */
  shardSize: number;
  /** --detach: submit and exit, without waiting for the workers. */
  detach: boolean;
  /** Whether the seeds' labels and statistics go to files of their own (a shard, or --stats). */
  perJob: boolean;
}

/** Flags to a plan (UsageError naming the flag). */
export function parseJobFlags(f: JobFlags): JobPlan {
  const shard = f.shard === undefined ? null : parseShard(f.shard);
  const queue = f.queue === undefined ? null : parseQueueFlag(f.queue);
  const stats = f.stats === undefined ? null : parseStatsFlag(f.stats);
  if (shard && queue) throw new UsageError('--shard: not with --queue, which cuts the seeds into jobs of --shard-size itself');
  if (f.npz && (shard || queue)) throw new UsageError('--npz: each shard or job writes only files of its own; run lego eval on the output directory instead, or generate the npz in one process');
  if (f.json && queue) throw new UsageError('--json: not with --queue (the workers generate the images; lego queue status --json reports on them)');
  if (f.force && queue) throw new UsageError('--force: not with --queue; empty the output directory or choose another');
  if (f.detach && !queue) throw new UsageError('--detach: only with --queue');
  return {
    shard,
    stats,
    queue,
    shardSize: parseIntFlag('--shard-size', f.shardSize, { min: 1, max: 1_000_000 }),
    detach: !!f.detach,
    perJob: shard !== null || stats !== null,
  };
}

/** The seeds this process samples: with --shard, its share of them. */
export function shardSeeds(plan: JobPlan, seeds: readonly number[]): readonly number[] {
  if (!plan.shard) return seeds;
  const { k, n } = plan.shard;
  const mine = dealSeeds(seeds, k, n);
  if (mine.length === 0) throw new UsageError(`--shard: ${seeds.length} seeds leave shard ${k} of ${n} none; use at most ${seeds.length} shards`);
  return mine;
}

function parseStatsFlag(value: string): string {
  if (featureNets().has(value)) return value;
  if (value.endsWith('.safetensors')) return resolve(value);
  throw new UsageError(`--stats: expected one of ${[...featureNets().keys()].join(', ')} or a LeNet .safetensors file; got "${value}"`);
}

/** Write a shard's own labels file and, with --stats, its statistics, once all its images are there. */
export async function writeShardFiles(plan: JobPlan, job: JobImages, threads: number | undefined): Promise<void> {
  const net = plan.stats === null ? null : await loadFeatureNet(plan.stats, { threads });
  try {
    await writeJobFiles(job, net);
  } finally {
    await net?.release();
  }
}

/** Flags of `lego generate` that belong to one process, not to the run its workers share. */
const PER_PROCESS_FLAGS = new Set(['network', 'outdir', 'seeds', 'batch', 'threads', 'json', 'force', 'grid', 'npz', 'shard', 'stats', 'queue', 'shardSize', 'detach']);

/** The flags a run records for its workers: every other flag, as parsed from the command line. */
export function runFlags(flags: object): Record<string, string | boolean> {
  return Object.fromEntries(Object.entries(flags).filter(([name, value]) => !PER_PROCESS_FLAGS.has(name) && (typeof value === 'string' || typeof value === 'boolean')));
}

/** What `lego generate --queue` submits. */
export interface Submission {
  run: SampleRun;
  /** The checkpoint the workers load, or null for the embedded model. */
  network: string | null;
  flags: Record<string, string | boolean>;
  outdir: string;
  seeds: readonly number[];
  force: boolean;
}

/** Submit the run to the queue of `plan`, and (without --detach) show its progress until it is done. */
export async function submitToQueue(plan: JobPlan & { queue: QueueAddress }, submission: Submission): Promise<void> {
  const { submitAndWatch } = await import('./queue-submit.js');
  await submitAndWatch(plan, submission);
}
