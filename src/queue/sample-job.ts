// One seed-range job, sampled: the seeds whose PNG is not there yet are generated (each image is the one
// a single `lego generate` of the seed writes: per-seed random streams) and written atomically, batch by
// batch, then the job's labels and statistics. A stop request ends it after the batch in hand.
import { classFor, generate, type GenerateOptions } from '../diffusion/generate.js';
import { openSampleDir } from '../data/sample-dir.js';
import type { FeatureExtractor } from '../eval/features.js';
import type { LegoRunner } from '../lego/runner.js';
import { writeJobFiles } from './job-files.js';
import type { QueuedRun } from './runs.js';

/** A run loaded for sampling: cached by the worker for the run's next jobs. */
export interface PreparedRun {
  runner: LegoRunner;
  /** The run's generate options (its seeds are each job's). */
  options: GenerateOptions;
  /** Images in subdirectories of 1000 (lego generate --subdirs). */
  subdirs: boolean;
  /** The feature network of the run's statistics, or null. */
  statsNet: FeatureExtractor | null;
  release(): Promise<void>;
}

/** What a job did. */
export interface JobResult {
  /** Images this job generated. */
  generated: number;
  /** Images that were already there (an earlier attempt, or an overlapping job). */
  already: number;
}

/** Thrown when a stop was requested: the images so far are written, the rest of the job is not. */
export class JobStopped extends Error {
  override name = 'JobStopped';
}

export interface SampleJobHooks {
  /** After each written batch: images of the job there so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
  /** Asked after each written batch: true ends the job there (JobStopped). */
  stopRequested?: () => boolean;
}

/** Sample `seeds` of `record`'s run into its output directory, skipping seeds whose PNG exists. */
export async function sampleJob(prepared: PreparedRun, record: QueuedRun, seeds: readonly number[], hooks: SampleJobHooks = {}): Promise<JobResult> {
  const { runner, options, subdirs, statsNet } = prepared;
  // Each job records its own classes (labels/<tag>.json): no shared labels.json, grid or npz.
  const samples = await openSampleDir(record.outdir, { subdirs, grid: false, npz: false, labels: false, run: record.run });
  const pending = samples.pending(seeds);
  const already = seeds.length - pending.length;
  hooks.onProgress?.(already, seeds.length);
  if (pending.length > 0) {
    await generate(runner, { ...options, seeds: pending }, {
      onImages: async (images) => {
        await samples.write(images);
        hooks.onProgress?.(already + samples.count, seeds.length);
        if (samples.count < pending.length && hooks.stopRequested?.()) throw new JobStopped(`stopped after ${already + samples.count} of ${seeds.length} images`);
      },
    });
  }
  await samples.finish();
  const classOf = (seed: number) => classFor(runner.config, seed, options.classLabel);
  await writeJobFiles({ outdir: record.outdir, seeds, subdirs, classOf }, statsNet);
  return { generated: pending.length, already };
}
