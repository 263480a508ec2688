// A budget run on a machine that slows down after its warm-up: the steps would run past the budget, so the
// run stops before its end, as Ctrl-C would, with its snapshot and state written. The slowdown is a pause
// in the per-step hook once the budget has been converted.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { twoBrickConfig } from '../../test/helpers/tiny-model.js';
import { BUDGET_RULES } from './budget.js';
import { train, type TrainingImages } from './loop.js';
import { TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { LOG_FILE, writeRunOptions } from './run-dir.js';

const cfg = twoBrickConfig;
const images: TrainingImages = {
  count: 64,
  resolution: cfg.imgResolution,
  channels: cfg.imgChannels,
  labelDim: cfg.labelDim,
  image: (i) => new Uint8Array(cfg.imgChannels * cfg.imgResolution ** 2).map((_, p) => (i * 37 + p * 11) % 256),
  label: (i) => i % cfg.labelDim,
};

describe('a budget run that the machine slows down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lego-budget-loop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops before the budget ends, writing a snapshot and a state, short of the converted length', async () => {
    const minutes = 0.25;
    const options: TrainOptions = {
      ...TRAIN_DEFAULTS, data: 'tiny', outdir: dir, arch: 'two-brick', config: cfg, cond: true, batch: 8, batchGpu: 8, microBatch: 8,
      lr: 1e-3, lrRampupKimg: 0, lrDecay: 0.2, emaKimg: null, emaRampup: 0.05, emaFraction: 0.05, durationKimg: null, minutes,
      xflip: false, seed: 0, tickKimg: 0.4, snapTicks: 1000, dumpTicks: 1000, resume: null, transfer: null, threads: 1,
    };
    await writeRunOptions(dir, options);
    let converted = false;
    const start = performance.now();
    const { stopped, nimg } = await train(options, images, dir, { budgetStartMs: start }, {
      onDuration: () => {
        converted = true;
      },
      // After the conversion every step takes 50 ms longer than in the warm-up.
      onStep: () => {
        if (converted) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const recorded = JSON.parse(readFileSync(join(dir, 'training_options.json'), 'utf8')) as TrainOptions;
    expect(converted).toBe(true);
    expect(stopped).toBe(true);
    expect(nimg).toBeLessThan(recorded.durationKimg! * 1000);
    expect(seconds).toBeLessThan(minutes * 60);
    expect(seconds).toBeGreaterThan(minutes * 60 - BUDGET_RULES.finalWriteSeconds - 1);
    const log = readFileSync(join(dir, LOG_FILE), 'utf8');
    expect(log).toMatch(/the 0\.25 min budget ran out at kimg [\d.]+ of [\d.]+ \(the machine ran slower than in its warm-up\)/);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith('network-snapshot-'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('training-state-'))).toHaveLength(1);
  }, 60_000);
});
