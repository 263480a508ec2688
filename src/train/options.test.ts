// Reading training_options.json back: every field checked, the file's key order kept.
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { applyEmaFraction, parseTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from './options.js';

const config: LegoConfig = {
  imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
};

/** A record as the CLI writes it. */
const sampleOptions: TrainOptions = {
  data: 'mnist.zip', outdir: 'runs', arch: 'tiny.json', config, cond: false, batch: 8, batchGpu: 4, microBatch: 4,
  lr: 1e-3, lrRampupKimg: 0.05, lrDecay: 0, emaKimg: 0.05, emaRampup: null, emaFraction: null, durationKimg: 0.16, minutes: null, xflip: true, seed: 7,
  tickKimg: 0.016, snapTicks: 1, dumpTicks: 1, labelDropout: TRAIN_DEFAULTS.labelDropout, resume: null, transfer: null,
  threads: 2, pMean: TRAIN_DEFAULTS.pMean, pStd: TRAIN_DEFAULTS.pStd,
};

describe('parseTrainOptions', () => {
  it('reads back what was written, in the same key order', () => {
    const text = JSON.stringify(sampleOptions, null, 2);
    const options = parseTrainOptions(text, 'run/training_options.json');
    expect(options).toEqual(sampleOptions);
    expect(JSON.stringify(options, null, 2)).toBe(text);
  });

  it('names the file and the field that is missing or of the wrong kind', () => {
    const without = (field: keyof TrainOptions) => JSON.stringify({ ...sampleOptions, [field]: undefined });
    const withValue = (field: keyof TrainOptions, value: unknown) => JSON.stringify({ ...sampleOptions, [field]: value });
    expect(() => parseTrainOptions(without('microBatch'), 'o.json')).toThrow(new InputError('o.json: "microBatch" is missing; expected a positive integer'));
    expect(() => parseTrainOptions(withValue('batch', '8'), 'o.json')).toThrow('o.json: "batch" is "8"; expected a positive integer');
    expect(() => parseTrainOptions(withValue('emaRampup', 'none'), 'o.json')).toThrow('"emaRampup" is "none"; expected a number or null');
    expect(() => parseTrainOptions(withValue('seed', -1), 'o.json')).toThrow('"seed" is -1; expected an integer in [0, 2^32)');
    expect(() => parseTrainOptions(withValue('config', { ...config, hiddenSize: 0 }), 'o.json')).toThrow(/^o\.json: config: hiddenSize must be a positive integer/);
    expect(() => parseTrainOptions('{"batch": 8', 'o.json')).toThrow(/^o\.json: not JSON/);
    expect(() => parseTrainOptions('[]', 'o.json')).toThrow('o.json: expected a JSON object of training options');
    expect(() => parseTrainOptions(withValue('lrDecay', 1), 'o.json')).toThrow('o.json: "lrDecay" is 1; expected a number in [0, 1)');
    expect(() => parseTrainOptions(withValue('minutes', 0), 'o.json')).toThrow('o.json: "minutes" is 0; expected a positive number or null');
  });

  it('loads a record written before the budget options, with the behaviour it was trained with', () => {
    const { lrDecay, emaFraction, minutes, ...older } = sampleOptions;
    expect([lrDecay, emaFraction, minutes]).toEqual([0, null, null]);
    const options = parseTrainOptions(JSON.stringify(older), 'old/training_options.json');
    expect(options).toEqual(sampleOptions);
    expect(Object.keys(options).slice(-3)).toEqual(['lrDecay', 'emaFraction', 'minutes']);
  });

  it('reads a budget run before its conversion: the duration and the EMA half-life still to be set', () => {
    const budget = { ...sampleOptions, durationKimg: null, minutes: 60, lrDecay: 0.2, emaKimg: null, emaRampup: 0.05, emaFraction: 0.05 };
    expect(parseTrainOptions(JSON.stringify(budget), 'o.json')).toEqual(budget);
    expect(() => parseTrainOptions(JSON.stringify({ ...budget, minutes: null }), 'o.json')).toThrow('o.json: "durationKimg" is null without "minutes"; expected a number');
    expect(() => parseTrainOptions(JSON.stringify({ ...budget, emaFraction: null }), 'o.json')).toThrow('o.json: "emaKimg" is null without "emaFraction"; expected a number');
    expect(() => parseTrainOptions(JSON.stringify({ ...budget, emaRampup: null }), 'o.json')).toThrow('"emaKimg" is null with "emaRampup" null');
  });
});

describe('applyEmaFraction', () => {
  const pending: TrainOptions = { ...sampleOptions, emaKimg: null, emaRampup: 0.05, emaFraction: 0.05, durationKimg: 176.384 };

  it('sets the half-life to the fraction of the duration, keeping the key order', () => {
    const options = applyEmaFraction(pending);
    expect(options.emaKimg).toBe(0.05 * 176.384);
    expect(options).toEqual({ ...pending, emaKimg: 0.05 * 176.384 });
    expect(Object.keys(options)).toEqual(Object.keys(pending));
  });

  it('leaves a half-life already set, a duration still unknown and a run without a fraction alone', () => {
    for (const options of [{ ...pending, emaKimg: 3 }, { ...pending, durationKimg: null, minutes: 60 }, sampleOptions]) {
      expect(applyEmaFraction(options)).toBe(options);
    }
  });
});
