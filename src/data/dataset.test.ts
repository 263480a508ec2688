// The dataset tool and reader together: folder sources with labels, ZIP and folder outputs read back,
// bad images skipped or failing, mixed sizes, atomic output, and the checks training runs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { presetConfig } from '../lego/presets.js';
import { checkDatasetForModel } from './dataset-checks.js';
import { openDataset } from './dataset-reader.js';
import { writeDataset } from './dataset-writer.js';
import { encodePng } from './png.js';
import { openImageSource } from './sources.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-data-'));
let folders = 0;

/** A folder of PNGs: `files` maps relative names to (width, height, channels, fill) or raw bytes. */
function folder(files: Record<string, [number, number, number, number] | Uint8Array>): string {
  const dir = join(tmp, `src${folders++}`);
  for (const [name, spec] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    const bytes = spec instanceof Uint8Array ? spec : png(...spec);
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

function png(width: number, height: number, channels: number, fill: number): Uint8Array {
  const data = new Uint8Array(width * height * channels).map((_, i) => (fill + i) % 256);
  return encodePng({ width, height, channels, data });
}

const pets = () => folder({ 'cat/a.png': [8, 8, 3, 10], 'cat/b.png': [8, 8, 3, 20], 'dog/c.png': [8, 8, 3, 30], 'emu/d.png': [8, 8, 3, 40] });

describe('dataset tool and reader', () => {
  it.each(['zip', 'folder'])('writes a labelled %s that openDataset reads back exactly', (kind) => {
    const dest = join(tmp, `pets-${kind}${kind === 'zip' ? '.zip' : ''}`);
    const summary = writeDataset(openImageSource(pets()), dest);
    expect(summary).toMatchObject({ images: 4, skipped: 0, resolution: 8, channels: 3, labelDim: 3, classNames: ['cat', 'dog', 'emu'] });
    const data = openDataset(dest);
    expect(data).toMatchObject({ count: 4, resolution: 8, channels: 3, labelDim: 3, classNames: ['cat', 'dog', 'emu'] });
    expect(data.names[0]).toBe('00000/img00000000.png');
    expect([...(data.labels ?? [])]).toEqual([0, 0, 1, 2]);
    // Planar CHW: pixel (0, 0) of the third image (fill 30) is R 30, G 31, B 32.
    const img = data.getImage(2);
    expect(img.length).toBe(3 * 8 * 8);
    expect([img[0], img[64], img[128]]).toEqual([30, 31, 32]);
    data.close();
  });

  it('takes labels from a dataset.json, resizes square images to --resolution and converts channels', () => {
    const src = folder({ 'x.png': [16, 16, 1, 0], 'y.png': [8, 8, 3, 5] });
    writeFileSync(join(src, 'dataset.json'), JSON.stringify({ labels: [['x.png', 4], ['y.png', 1]] }));
    const dest = join(tmp, 'json.zip');
    writeDataset(openImageSource(src), dest, { resolution: 8, channels: 3 });
    const data = openDataset(dest);
    expect(data).toMatchObject({ count: 2, resolution: 8, channels: 3, labelDim: 5, classNames: null });
    expect([...(data.labels ?? [])]).toEqual([4, 1]);
    data.close();
  });

  it('images not all in sub-folders are unlabelled', () => {
    const data = openDataset((writeDataset(openImageSource(folder({ 'a.png': [4, 4, 1, 0], 'more/b.png': [4, 4, 1, 9] })), join(tmp, 'u.zip'))).dest);
    expect(data).toMatchObject({ labels: null, labelDim: 0, channels: 1 });
  });

  it('--on-error: a corrupt image fails naming it, or is skipped and reported', () => {
    const src = folder({ 'a/1.png': [4, 4, 1, 0], 'a/2.png': new TextEncoder().encode('not an image'), 'b/3.png': [4, 4, 1, 1] });
    const dest = join(tmp, 'bad.zip');
    expect(() => writeDataset(openImageSource(src), dest)).toThrow(/a\/2\.png: not a PNG or JPEG image/);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const skipped: string[] = [];
    const summary = writeDataset(openImageSource(src), dest, { onError: 'skip' }, { onSkip: (m) => skipped.push(m) });
    expect(summary).toMatchObject({ images: 2, skipped: 1, labelDim: 2 });
    expect(skipped).toEqual([expect.stringMatching(/^skipped .*a\/2\.png: not a PNG or JPEG image/)]);
  });

  it('mixed sizes without a transform are an error naming the image; with --transform pad they fit', () => {
    const src = folder({ 'a.png': [8, 8, 1, 0], 'b.png': [6, 8, 1, 0] });
    expect(() => writeDataset(openImageSource(src), join(tmp, 'mixed.zip'))).toThrow(
      /b\.png: 6x8 but the first image, .*a\.png, is 8x8; images of mixed sizes need --transform/,
    );
    expect(() => writeDataset(openImageSource(src), join(tmp, 'mixed.zip'), { onError: 'skip' })).toThrow(InputError);
    expect(existsSync(join(tmp, 'mixed.zip'))).toBe(false);
    expect(writeDataset(openImageSource(src), join(tmp, 'mixed.zip'), { resolution: 8, transform: 'pad' }).images).toBe(2);
  });

  it('refuses to overwrite without force', () => {
    const dest = join(tmp, 'exists.zip');
    writeFileSync(dest, 'old');
    expect(() => writeDataset(openImageSource(pets()), dest)).toThrow(`${dest}: already exists; pass --force to overwrite it`);
    expect(writeDataset(openImageSource(pets()), dest, { force: true }).images).toBe(4);
    expect(openDataset(dest).count).toBe(4);
    const precious = folder({ 'keep.png': [4, 4, 1, 0] });
    expect(() => writeDataset(openImageSource(pets()), precious, { force: true })).toThrow(/a folder that is not a dataset \(no dataset\.json\); refusing to replace it/);
    expect(existsSync(join(precious, 'keep.png'))).toBe(true);
  });

  it('openDataset refuses a folder whose images differ in size', () => {
    const dir = folder({ '00000/img00000000.png': [8, 8, 1, 0], '00000/img00000001.png': [8, 8, 3, 0] });
    expect(() => openDataset(dir)).toThrow(/img00000001\.png is 8x8x3 but 00000\/img00000000\.png is 8x8x1; every image must have the same size and channels/);
  });

  it('openDataset refuses a ZIP with an encrypted entry, naming the file and the entry', () => {
    const dest = join(tmp, 'locked.zip');
    writeDataset(openImageSource(folder({ 'a.png': [4, 4, 1, 0] })), dest);
    const bytes = new Uint8Array(readFileSync(dest));
    const central = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes[central + 8] |= 1; // general purpose flags, bit 0: encrypted
    writeFileSync(dest, bytes);
    expect(() => openDataset(dest)).toThrow(`${dest}: 00000/img00000000.png: encrypted ZIP entries are not supported`);
  });

  it('openDataset names a missing path', () => {
    const missing = join(tmp, 'nope.zip');
    expect(() => openDataset(missing)).toThrow(`${missing}: cannot read: no such file or directory`);
  });

  it('checkDatasetForModel: untileable resolution, other channels, labels missing for cond', () => {
    const info = { where: 'mnist28.zip', count: 10, resolution: 28, channels: 1 as const, labelDim: 0, labels: null, classNames: null };
    const cfg = (r: number, c = 1) => presetConfig('lego_S_PG_64', { imgResolution: r, imgChannels: c, labelDim: 10 });
    expect(() => checkDatasetForModel(info, cfg(28))).toThrow(/^mnist28\.zip: the model cannot tile 28x28 images \(.*\); remake the dataset with --resolution 32/);
    const info32 = { ...info, resolution: 32 };
    expect(() => checkDatasetForModel(info32, cfg(32))).not.toThrow();
    expect(() => checkDatasetForModel({ ...info, resolution: 64 }, cfg(32))).toThrow('images are 64x64 but the model is configured for 32x32; remake the dataset with --resolution 32');
    expect(() => checkDatasetForModel(info32, cfg(32, 3))).toThrow('images have 1 channel but the model takes 3');
    expect(() => checkDatasetForModel(info32, cfg(32), { cond: true })).toThrow(/no labels, but --cond/);
    expect(() => checkDatasetForModel({ ...info32, labels: new Int32Array(10), labelDim: 10 }, cfg(32), { cond: true })).not.toThrow();
  });
});
