// The files one job (a static shard, or a queue job) writes beside its images once they are all there:
// labels/<tag>.json, the class of each of its images, and with a feature network stats/<tag>.<net>.safetensors.
// No two jobs write the same file, so jobs never wait on each other; `lego eval` reads them together.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../data/decode-image.js';
import { samplePath } from '../data/sample-dir.js';
import { seedsTag } from '../data/seed-split.js';
import type { FeatureExtractor } from '../eval/features.js';
import { JOB_LABELS_DIR } from '../eval/image-set.js';
import { imageFeatures, jobStatsPath, STATS_DIR, writeJobStats } from '../eval/job-stats.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { ensureDir } from '../files/ensure-dir.js';
import { fileError } from '../files/fs-files.js';

/** One job's images in a sample directory. */
export interface JobImages {
  outdir: string;
  /** All of the job's seeds: their PNGs exist, whether this process wrote them or an earlier one. */
  seeds: readonly number[];
  subdirs: boolean;
  /** The class each seed's image was generated for; null for an unconditional model. */
  classOf: (seed: number) => number | null;
}

/**
 * Write the job's labels file (conditional models) and, with `statsNet`, its feature statistics, reading
 * its PNGs back. Returns the files written. Throws InputError naming a file that cannot be read or written.
 */
export async function writeJobFiles(job: JobImages, statsNet: FeatureExtractor | null): Promise<string[]> {
  const tag = seedsTag(job.seeds);
  const classes = new Map(job.seeds.map((seed) => [samplePath(seed, job.subdirs), job.classOf(seed)]));
  const written: string[] = [];
  const labelled = [...classes].filter((entry): entry is [string, number] => entry[1] !== null);
  if (labelled.length > 0) {
    const file = join(job.outdir, JOB_LABELS_DIR, `${tag}.json`);
    ensureDir(join(job.outdir, JOB_LABELS_DIR));
    await writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(Object.fromEntries(labelled))));
    written.push(file);
  }
  if (statsNet) {
    const read = (name: string) => {
      const file = join(job.outdir, name);
      try {
        return decodeImage(readFileSync(file), file);
      } catch (e) {
        throw (e as NodeJS.ErrnoException).code ? fileError(file, 'read', e) : e;
      }
    };
    const stats = await imageFeatures(statsNet, [...classes.keys()], read, (name) => classes.get(name) ?? null);
    const file = jobStatsPath(job.outdir, tag, statsNet.name);
    ensureDir(join(job.outdir, STATS_DIR));
    await writeJobStats(file, stats);
    written.push(file);
  }
  return written;
}
