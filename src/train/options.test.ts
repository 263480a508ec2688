// Reading training_options.json back: every field checked, the file's key order kept.
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { parseTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from './options.js';

const config: LegoConfig = {
  imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
};

/** A record as the CLI writes it. */
const sampleOptions: TrainOptions = {
  data: 'mnist.zip', outdir: 'runs', arch: 'tiny.json', config, cond: false, batch: 8, batchGpu: 4, microBatch: 4,
  lr: 1e-3, lrRampupKimg: 0.05, emaKimg: 0.05, emaRampup: null, durationKimg: 0.16, xflip: true, seed: 7,
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
  });
});
