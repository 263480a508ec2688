// Our small presets: each is the stack its study measured (training/one-hour/*.json), for any data size.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigJson, validateConfig } from './config.js';
import { isPresetName } from './presets.js';
import { isSmallPresetName, SMALL_PRESETS, smallPresetConfig } from './small-presets.js';

const studied = (file: string) => parseConfigJson(readFileSync(new URL(`../../training/one-hour/${file}`, import.meta.url), 'utf8'), file);

describe('small presets', () => {
  it('lego_T_G_32 is the one-hour study\'s dit6 stack, with the data\'s channels and classes', () => {
    const cfg = smallPresetConfig('lego_T_G_32', { imgChannels: 1, labelDim: 10 });
    expect(validateConfig(cfg)).toBe(cfg);
    expect(cfg).toEqual(studied('dit6.json'));
  });

  it('follows the image size, in whole patches', () => {
    const rgb28 = smallPresetConfig('lego_T_G_32', { imgResolution: 28 });
    expect(rgb28).toMatchObject({ imgResolution: 28, imgChannels: 3, labelDim: 0, bricks: [{ resolution: 28, patchSize: 4, heads: 4, depth: 6 }] });
    expect(() => smallPresetConfig('lego_T_G_32', { imgResolution: 30 })).toThrow('images of 30 pixels do not split into patches of 4');
  });

  it('names no official preset', () => {
    for (const name of Object.keys(SMALL_PRESETS)) {
      expect(isSmallPresetName(name)).toBe(true);
      expect(isPresetName(name)).toBe(false);
    }
    expect(isSmallPresetName('lego_S_PG_64')).toBe(false);
  });
});
