// Resuming in place: recorded options with explicit flags laid over them, and the newest state that loads.
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { encodeTrainingState } from '../io/training-state.js';
import type { LegoConfig } from '../lego/config.js';
import { initWeights, parameterSpecs } from '../lego/model.js';
import { TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { describeChanges, loadRunState, newestRunState, restoreOptions } from './resume.js';
import { trainingStateFile } from './run-dir.js';

const config: LegoConfig = {
  imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
};

const recorded: TrainOptions = {
  data: 'mnist.zip', outdir: 'runs', arch: 'tiny.json', config, cond: false, batch: 8, batchGpu: 4, microBatch: 4,
  lr: 1e-3, lrRampupKimg: 0.05, lrDecay: 0, emaKimg: 0.05, emaRampup: 0.05, emaFraction: null, durationKimg: 0.16, minutes: null, xflip: true, seed: 7,
  tickKimg: 0.016, snapTicks: 1, dumpTicks: 1, labelDropout: TRAIN_DEFAULTS.labelDropout, resume: null, transfer: null,
  threads: 2, pMean: TRAIN_DEFAULTS.pMean, pStd: TRAIN_DEFAULTS.pStd,
};

describe('restoreOptions', () => {
  it('keeps every recorded option when no flag is given again', () => {
    const { options, changes } = restoreOptions(recorded, {});
    expect(options).toEqual(recorded);
    expect(options).not.toBe(recorded);
    expect(changes).toEqual([]);
  });

  it('a flag given again with the recorded value changes nothing', () => {
    expect(restoreOptions(recorded, { batch: 8, xflip: true, threads: 2, data: 'mnist.zip' }).changes).toEqual([]);
  });

  it('lays explicit values over the record, lists the changes, and keeps the key order', () => {
    const { options, changes } = restoreOptions(recorded, { lr: 2e-3, durationKimg: 0.32, emaRampup: null, threads: null, batch: 8 });
    expect(options).toEqual({ ...recorded, lr: 2e-3, durationKimg: 0.32, emaRampup: null, threads: null });
    expect(Object.keys(options)).toEqual(Object.keys(recorded));
    expect(changes).toEqual([
      { option: 'lr', from: 1e-3, to: 2e-3 },
      { option: 'emaRampup', from: 0.05, to: null },
      { option: 'durationKimg', from: 0.16, to: 0.32 },
      { option: 'threads', from: 2, to: null },
    ]);
  });

  it('says whether the continuation stays bit-exact', () => {
    const longer = restoreOptions(recorded, { durationKimg: 0.32, tickKimg: 0.032 }).changes;
    expect(describeChanges(longer)).toBe('resuming with options changed from training_options.json: durationKimg 0.16 -> 0.32, tickKimg 0.016 -> 0.032; ' +
      'these change only the length and reporting, so training stays bit-exact');
    const other = restoreOptions(recorded, { durationKimg: 0.32, data: 'moved/mnist.zip' }).changes;
    const recipe = restoreOptions(recorded, { labelDropout: 0, pMean: -0.6 }).changes;
    expect(describeChanges(recipe)).toBe('resuming with options changed from training_options.json: labelDropout 0.1 -> 0, pMean -1.2 -> -0.6; ' +
      'the continuation is no longer bit-exact with the run as recorded');
    expect(describeChanges(other)).toBe('resuming with options changed from training_options.json: data "mnist.zip" -> "moved/mnist.zip", durationKimg 0.16 -> 0.32; ' +
      'the continuation is no longer bit-exact with the run as recorded');
    // A decay at the end ties the learning rate to the length.
    expect(describeChanges(longer, { lrDecay: 0.2 })).toMatch(/durationKimg 0\.16 -> 0\.32, tickKimg 0\.016 -> 0\.032; the continuation is no longer bit-exact/);
    expect(describeChanges(restoreOptions(recorded, { tickKimg: 0.032 }).changes, { lrDecay: 0.2 })).toMatch(/training stays bit-exact$/);
    expect(describeChanges(restoreOptions(recorded, { lrDecay: 0.2 }).changes)).toBe('resuming with options changed from training_options.json: lrDecay 0 -> 0.2; ' +
      'the continuation is no longer bit-exact with the run as recorded');
  });
});

describe('training states of a run', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lego-resume-'));
  /** The trainable parameters of `stack` in `weights`, or zeros of their sizes. */
  const trainableOf = (stack: LegoConfig, weights: Map<string, Float32Array>, zero = false) => new Map(parameterSpecs(stack)
    .filter((s) => s.trainable)
    .map((s) => [s.name, zero ? new Float32Array(weights.get(s.name)!.length) : weights.get(s.name)!]));
  /** A run directory with a state after each of `kimgs` thousand images. */
  function runWithStates(name: string, kimgs: number[], stack = config): string {
    const dir = join(tmp, name);
    mkdirSync(dir);
    for (const kimg of kimgs) {
      const progress = { nimg: kimg * 1000, tick: kimg, rng: [], dataOrder: { epoch: 0, position: 0 } };
      const w = initWeights(stack, kimg);
      const tensors = { weights: w, ema: trainableOf(stack, w), adamM: trainableOf(stack, w, true), adamV: trainableOf(stack, w, true), step: kimg };
      writeFileSync(trainingStateFile(dir, kimg * 1000), encodeTrainingState(stack, tensors, progress));
    }
    return dir;
  }
  const truncate = (file: string) => truncateSync(file, Math.floor(readFileSync(file).length / 2));

  it('takes the newest state', async () => {
    const dir = runWithStates('good', [1, 2]);
    const point = await newestRunState(dir, config, { fallback: false });
    expect(basename(point.file)).toBe('training-state-000002.safetensors');
    expect(point.state.progress?.nimg).toBe(2000);
    expect(point.damaged).toEqual([]);
  });

  it('a damaged newest state is named with its problem and the previous state that loads', async () => {
    const dir = runWithStates('truncated', [1, 2]);
    truncate(trainingStateFile(dir, 2000));
    const error = await newestRunState(dir, config, { fallback: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(new RegExp(`^${trainingStateFile(dir, 2000)}: .*truncated`));
    expect(message).toContain(`the previous state ${trainingStateFile(dir, 1000)} loads: add --resume-fallback to continue from it`);
  });

  it('with fallback, takes the previous state and lists the damaged ones', async () => {
    const dir = runWithStates('fallback', [1, 2, 3]);
    truncate(trainingStateFile(dir, 3000));
    writeFileSync(trainingStateFile(dir, 2000), 'not a state');
    const point = await newestRunState(dir, config, { fallback: true });
    expect(point.file).toBe(trainingStateFile(dir, 1000));
    expect(point.damaged.map((d) => basename(d.file))).toEqual(['training-state-000003.safetensors', 'training-state-000002.safetensors']);
    expect(point.damaged[1].problem).toMatch(new RegExp(`^${trainingStateFile(dir, 2000)}: `));
  });

  it('a state with another stack does not belong to the run; none loading is an error', async () => {
    const other = { ...config, hiddenSize: 32 };
    const dir = runWithStates('other-stack', [1], other);
    await expect(loadRunState(trainingStateFile(dir, 1000), config)).rejects.toThrow(`${trainingStateFile(dir, 1000)}: its stack differs from the run's`);
    await expect(newestRunState(dir, config, { fallback: true })).rejects.toThrow(/; no earlier training state of this run loads$/);
    await expect(newestRunState(runWithStates('empty', []), config, { fallback: true })).rejects.toThrow('no training-state-*.safetensors in this run directory');
  });
});
