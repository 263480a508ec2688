// Runs on the queue: what a submitted `lego generate` records once for all its jobs (the network, the flags
// that decide the images, the shared output directory), kept in one Redis hash by run id. The id is a hash
// of what decides the images (sample-run.ts), not of the seeds, batch or sharding.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { InputError, printable } from '../errors.js';
import type { SampleRun } from '../data/sample-run.js';

/** The Redis hash of run records, beside BullMQ's keys (lego:generate:*). */
const RUNS_KEY = 'lego:runs';

/** A submitted run, as the workers read it. */
export interface QueuedRun {
  /** `r` and 16 hex digits: runId(run). */
  id: string;
  /** What decides the images, as run.json records it in the output directory. */
  run: SampleRun;
  /** The checkpoint file the workers load (an absolute path on the shared file system), or null for the embedded model. */
  network: string | null;
  /** `lego generate`'s flags that decide the images (not the seeds, batch, threads or output), as parsed from its command line. */
  flags: Record<string, string | boolean>;
  /** The output directory, absolute, on a file system every worker can write. */
  outdir: string;
  /** The feature network whose per-job statistics the workers write (lego generate --stats), or null. */
  stats: string | null;
}

/** The id of the run that makes `run`'s images: a hash of the network's bytes and the image settings. */
export function runId(run: SampleRun): string {
  const settings = Object.keys(run.settings).sort().map((name) => [name, run.settings[name]]);
  const hash = createHash('sha256').update(JSON.stringify({ network: run.network.sha256, settings })).digest('hex');
  return `r${hash.slice(0, 16)}`;
}

/** True for a run id (the first part of each job id). */
export function isRunId(text: string): boolean {
  return /^r[0-9a-f]{16}$/.test(text);
}

/**
 * Record `record`, or check it against the record of the same run already there: the same run submitted
 * again must write to the same place with the same statistics. Returns whether the run is new. Throws
 * InputError naming the difference.
 */
export async function recordRun(client: Redis, record: QueuedRun): Promise<boolean> {
  const added = await client.hsetnx(RUNS_KEY, record.id, JSON.stringify(record));
  if (added === 1) return true;
  const known = await loadRun(client, record.id);
  if (!known) return recordRun(client, record);
  const clean = `, or remove the run first: lego queue clean URL ${record.id}`;
  if (known.outdir !== record.outdir) throw new InputError(`run ${record.id} (the same network and settings) is already queued with --outdir ${known.outdir}; submit it there${clean}`);
  if (known.stats !== record.stats) throw new InputError(`run ${record.id} is already queued with --stats ${known.stats ?? 'none'}; submit it with that${clean}`);
  // The same network bytes at another path change nothing: the workers keep loading the recorded one.
  return false;
}

/** The record of run `id`, or null when there is none. Throws InputError for a damaged record. */
export async function loadRun(client: Redis, id: string): Promise<QueuedRun | null> {
  const text = await client.hget(RUNS_KEY, id);
  return text === null ? null : parseRun(text, id);
}

/** Every recorded run. */
export async function listRuns(client: Redis): Promise<QueuedRun[]> {
  const all = await client.hgetall(RUNS_KEY);
  return Object.entries(all).map(([id, text]) => parseRun(text, id)).sort((a, b) => a.id.localeCompare(b.id));
}

/** Forget run `id`; its images stay where they are. */
export async function forgetRun(client: Redis, id: string): Promise<void> {
  await client.hdel(RUNS_KEY, id);
}

function parseRun(text: string, id: string): QueuedRun {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (!isQueuedRun(json) || json.id !== id) throw new InputError(`${RUNS_KEY} ${printable(id, 40)}: not a run record of this version; remove it with lego queue clean`);
  return json;
}

function isQueuedRun(x: unknown): x is QueuedRun {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(x) || !isRecord(x.run) || !isRecord(x.run.network) || !isRecord(x.run.settings) || !isRecord(x.flags)) return false;
  return typeof x.id === 'string' && typeof x.outdir === 'string' && (x.network === null || typeof x.network === 'string')
    && (x.stats === null || typeof x.stats === 'string')
    && Object.values(x.flags).every((v) => typeof v === 'string' || typeof v === 'boolean');
}
