// The record of what made a sample directory's images (run.json): the network's bytes (and a latent model's
// VAE's) and every setting
// that decides the images (not the seeds or the batch), so a later run into the same directory continues
// it, or is told that the directory holds another run's images.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, printable } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { fileError } from '../files/fs-files.js';

/** The record's file name inside the sample directory. */
export const RUN_FILE = 'run.json';

/** What decides a sample directory's images. */
export interface SampleRun {
  /** The network: the SHA-256 of its file's bytes decides; the path is for messages. */
  network: { file: string; sha256: string };
  /** A latent model's VAE: the SHA-256 of its weights file decides (absent for pixel models). */
  vae?: { file: string; sha256: string };
  /** Every other setting by name, as text: `{ '--steps': '18', '--cfg': '2', ... }`. */
  settings: Record<string, string>;
}

/**
 * How `wanted` differs from `recorded`, one `name old vs new` per difference (the network first); empty when
 * both make the same images.
 */
export function runDifferences(recorded: SampleRun, wanted: SampleRun): string[] {
  const differences: string[] = [];
  if (recorded.network.sha256 !== wanted.network.sha256) {
    differences.push(recorded.network.file === wanted.network.file
      ? `--network ${wanted.network.file}, whose bytes changed`
      : `--network ${recorded.network.file} vs ${wanted.network.file}`);
  }
  if (recorded.vae?.sha256 !== wanted.vae?.sha256) {
    differences.push(recorded.vae?.file === wanted.vae?.file
      ? `--vae ${wanted.vae?.file}, whose bytes changed`
      : `--vae ${recorded.vae?.file ?? 'none'} vs ${wanted.vae?.file ?? 'none'}`);
  }
  const names = new Set([...Object.keys(recorded.settings), ...Object.keys(wanted.settings)]);
  for (const name of names) {
    const was = recorded.settings[name] ?? 'unset';
    const is = wanted.settings[name] ?? 'unset';
    if (was !== is) differences.push(`${name} ${was} vs ${is}`);
  }
  // The record was read from a file: keep each difference to one line.
  return differences.map((d) => printable(d));
}

/**
 * Make `outdir` (which exists) the directory of `run`, recording it. Returns true when the directory already
 * was (its images are this run's and count), false when it starts afresh. Throws InputError when it holds
 * images of another run, or images without a record, unless `force`: then they no longer count.
 */
export async function claimSampleDir(outdir: string, run: SampleRun, force: boolean): Promise<boolean> {
  const recorded = readSampleRun(outdir);
  if (recorded) {
    const differences = runDifferences(recorded, run);
    if (differences.length === 0) return true;
    const shown = differences.length > 3 ? [...differences.slice(0, 3), `${differences.length - 3} more`] : differences;
    if (!force) throw new InputError(`${outdir}: holds images of another run (${shown.join(', ')}); use another --outdir or --force`);
  } else if (!force) {
    const image = listing(outdir).find((name) => /^\d{6,}(\.png)?$/.test(name));
    if (image !== undefined) throw new InputError(`${outdir}: holds images (${image}) but no ${RUN_FILE} saying which run made them; use another --outdir or --force`);
  }
  await writeSampleRun(outdir, run);
  return false;
}

/** The run recorded in `outdir`, or null when there is no record. Throws InputError naming a damaged one. */
export function readSampleRun(outdir: string): SampleRun | null {
  const file = join(outdir, RUN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError(file, 'read', e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${printable((e as Error).message)}); delete it, or use another output directory`);
  }
  if (!isSampleRun(json)) throw new InputError(`${file}: not a sample run record ({ network: { file, sha256 }, settings }); delete it, or use another output directory`);
  return json;
}

/** Record `run` in `outdir` (atomically). */
export async function writeSampleRun(outdir: string, run: SampleRun): Promise<void> {
  await writeFileAtomic(join(outdir, RUN_FILE), new TextEncoder().encode(`${JSON.stringify(run, null, 2)}\n`));
}

function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw fileError(dir, 'list', e);
  }
}

function isSampleRun(x: unknown): x is SampleRun {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isFile = (v: unknown) => isRecord(v) && typeof v.file === 'string' && typeof v.sha256 === 'string';
  return isRecord(x) && isFile(x.network) && (x.vae === undefined || isFile(x.vae))
    && isRecord(x.settings) && Object.values(x.settings).every((v) => typeof v === 'string');
}
