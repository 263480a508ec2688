// Flag parsers and checks between flags (args.ts): nonsense is refused with a UsageError naming the flag.
import { describe, expect, it } from 'vitest';
import { usageError } from '../../test/helpers/input-error.js';
import type { LegoConfig } from '../lego/config.js';
import { checkCondForArch, checkGuidance, parseSeeds, parseSigmaRange } from './args.js';

const stack = (labelDim: number): LegoConfig => ({
  imgResolution: 8, imgChannels: 1, labelDim, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
});

describe('parseSeeds', () => {
  it('reads numbers and ranges in the order given', () => {
    expect(parseSeeds('5,0-2,100')).toEqual([5, 0, 1, 2, 100]);
  });

  it('refuses a seed given twice, naming it', () => {
    usageError(() => parseSeeds('0-3,2'), '--seeds: seed 2 is given twice in "0-3,2"');
    usageError(() => parseSeeds('7,7'), 'seed 7 is given twice');
    usageError(() => parseSeeds('10-20,0-4,3-12'), 'seed 3 is given twice');
    expect(parseSeeds('0-3,4-5')).toHaveLength(6);
  });

  it('quotes what it cannot read on one short line', () => {
    usageError(() => parseSeeds('\n'), '--seeds: expected numbers or ranges like 0-63,100; got "\\u000a"');
    usageError(() => parseSeeds(`${'9'.repeat(200)}x`), '999...');
  });
});

describe('parseSigmaRange', () => {
  it('refuses --sigma-min at or above --sigma-max', () => {
    expect(parseSigmaRange('0.002', '80')).toEqual({ sigmaMin: 0.002, sigmaMax: 80 });
    usageError(() => parseSigmaRange('80', '80'), '--sigma-min: 80 is not below --sigma-max 80');
    usageError(() => parseSigmaRange('100', '80'), '--sigma-min: 100 is not below --sigma-max 80');
  });
});

describe('checkGuidance', () => {
  it('refuses --cfg other than 1 for an unconditional model', () => {
    checkGuidance(1, stack(0), 'net.safetensors');
    checkGuidance(2, stack(10), 'net.safetensors');
    usageError(() => checkGuidance(2, stack(0), 'net.safetensors'), '--cfg 2: net.safetensors is unconditional');
  });
});

describe('checkCondForArch', () => {
  it('a JSON stack with classes needs --cond, and one without refuses it; presets follow --cond', () => {
    usageError(() => checkCondForArch('my.json', stack(10), false), '--arch my.json has labelDim 10: pass --cond');
    usageError(() => checkCondForArch('my.json', stack(0), true), '--cond: --arch my.json has labelDim 0');
    checkCondForArch('my.json', stack(10), true);
    checkCondForArch('my.json', stack(0), false);
    checkCondForArch('lego_S_PG_64', stack(0), true);
  });
});
