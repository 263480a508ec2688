// Image sets for lego eval: .npz arrays (as generate --npz and numpy write them) and labels files.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encodeNpyInt64, encodeNpyUint8, encodeNpzUint8 } from '../data/npz.js';
import { encodePng } from '../data/png.js';
import { labelsOf, openImageSet, parseLabelsJson } from './image-set.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-image-set-'));

describe('openImageSet (.npz)', () => {
  it('reads arr_0 uint8 (N, H, W, C) as N images in HWC order', () => {
    const data = Uint8Array.from({ length: 2 * 4 * 3 * 3 }, (_, i) => i);
    const path = join(tmp, 'samples.npz');
    writeFileSync(path, encodeNpzUint8(data, [2, 4, 3, 3]));
    const set = openImageSet(path);
    expect(set).toMatchObject({ count: 2, names: ['0', '1'], labels: null });
    expect(set.image(1)).toMatchObject({ width: 3, height: 4, channels: 3 });
    expect(set.image(1).data[0]).toBe(36);
  });

  it('takes arr_1 (int64, one class per image, as guided-diffusion saves it) as the labels', () => {
    const npy = encodeNpyInt64([3, 258]);
    expect(new TextDecoder().decode(npy.subarray(10, 128))).toMatch(/^\{'descr': '<i8', 'fortran_order': False, 'shape': \(2,\), \} *\n$/);
    // 10-byte preamble + header padded to 128 bytes, then two little-endian int64s.
    expect([npy.length, npy[8], npy[128], npy[136], npy[137]]).toEqual([144, 118, 3, 2, 1]);
    const path = join(tmp, 'labelled.npz');
    writeFileSync(path, encodeNpzUint8(new Uint8Array(2 * 2 * 2), [2, 2, 2], [3, 258]));
    expect(openImageSet(path).labels).toEqual({ byIndex: [3, 258] });
    const odd = join(tmp, 'odd-arr1.npz');
    writeFileSync(odd, zipSync({ 'arr_0.npy': encodeNpyUint8(new Uint8Array(8), [2, 2, 2]), 'arr_1.npy': encodeNpyUint8(new Uint8Array(8), [2, 2, 2]) }));
    expect(openImageSet(odd).labels).toBeNull();
    // A float arr_1 (not classes) is sized by its own dtype, and ignored.
    const header = new TextEncoder().encode(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`.padEnd(117) + '\n');
    const floats = new Uint8Array(10 + header.length + 8);
    floats.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
    floats.set(header, 10);
    const floatPath = join(tmp, 'float-arr1.npz');
    writeFileSync(floatPath, zipSync({ 'arr_0.npy': encodeNpyUint8(new Uint8Array(8), [2, 2, 2]), 'arr_1.npy': floats }));
    expect(openImageSet(floatPath).labels).toBeNull();
    // Truncated data is still an error, whatever the dtype.
    const shortPath = join(tmp, 'short-arr1.npz');
    writeFileSync(shortPath, zipSync({ 'arr_0.npy': encodeNpyUint8(new Uint8Array(8), [2, 2, 2]), 'arr_1.npy': floats.subarray(0, floats.length - 1) }));
    expect(() => openImageSet(shortPath)).toThrow(/arr_1\.npy: 7 bytes of data for shape \(2\) of <f4; truncated/);
  });

  it('reads (N, H, W) gray arrays from a compressed npz', () => {
    const path = join(tmp, 'gray.npz');
    writeFileSync(path, zipSync({ 'arr_0.npy': encodeNpyUint8(new Uint8Array(3 * 2 * 2).fill(7), [3, 2, 2]) }, { level: 6 }));
    const set = openImageSet(path);
    expect(set.count).toBe(3);
    expect(set.image(2)).toEqual({ width: 2, height: 2, channels: 1, data: new Uint8Array(4).fill(7) });
  });

  it('rejects float arrays and files that are not npz, naming the file', () => {
    const npy = encodeNpyUint8(new Uint8Array(8), [2, 2, 2]);
    const at = new TextDecoder('latin1').decode(npy.subarray(0, 64)).indexOf('|u1');
    npy.set(new TextEncoder().encode('<f4'), at); // same header, another dtype
    const bad = join(tmp, 'float.npz');
    writeFileSync(bad, zipSync({ 'arr_0.npy': npy }));
    expect(() => openImageSet(bad)).toThrow(/float\.npz: arr_0\.npy: dtype <f4; expected uint8 images/);
    writeFileSync(join(tmp, 'junk.npz'), 'not a zip');
    expect(() => openImageSet(join(tmp, 'junk.npz'))).toThrow(/junk\.npz: cannot read as \.npz/);
  });

  it('refuses an entry claiming 2 GB from 100 deflated bytes without allocating it, and damaged headers in one line', () => {
    const zip = zipSync({ 'arr_0.npy': encodeNpyUint8(new Uint8Array(8), [2, 2, 2]) }, { level: 6 });
    const central = Buffer.from(zip).lastIndexOf(Uint8Array.of(0x50, 0x4b, 1, 2)); // the central directory entry
    new DataView(zip.buffer).setUint32(central + 24, 0x7fffffff, true); // the uncompressed size
    const bomb = join(tmp, 'bomb.npz');
    writeFileSync(bomb, zip);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => openImageSet(bomb)).toThrow(/bomb\.npz: arr_0\.npy: corrupt ZIP \(claims 2147483647 bytes from \d+ deflated\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1e6);
    const header = join(tmp, 'header.npz');
    writeFileSync(header, zipSync({ 'arr_0.npy': Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 3, 0, 0, 10, 0) }));
    expect(() => openImageSet(header)).toThrow(/header\.npz: arr_0\.npy: expected a C-order array with a dtype and a shape, got header \\u0000\\u000a\\u0000$/);
    const negative = encodeNpyUint8(new Uint8Array(4), [4, 1, 1]);
    const at = new TextDecoder('latin1').decode(negative.subarray(0, 128)).indexOf('(4, 1, 1)');
    negative.set(new TextEncoder().encode('(-2,-2,1)'), at); // 4 elements, as many as the data holds
    writeFileSync(join(tmp, 'negative.npz'), zipSync({ 'arr_0.npy': negative }));
    expect(() => openImageSet(join(tmp, 'negative.npz'))).toThrow(/negative\.npz: arr_0\.npy: shape \(-2,-2,1\) is not a tuple of sizes/);
  });
});

describe('labels', () => {
  it('by name (a bare name also matches in a sub-folder) or by index; -1 where missing', () => {
    const set = { count: 3, names: ['000000/000001.png', '000002.png', '000003.png'] };
    expect([...labelsOf(set, parseLabelsJson('{"000001.png": 4, "000002.png": 0}', 'l.json'))]).toEqual([4, 0, -1]);
    expect([...labelsOf(set, parseLabelsJson('[1, 2]', 'l.json'))]).toEqual([1, 2, -1]);
  });

  it('errors name the file and the entry', () => {
    expect(() => parseLabelsJson('{"a.png": 1.5}', 'l.json')).toThrow('l.json: class of a.png is 1.5; expected an integer >= 0');
    expect(() => parseLabelsJson('{', 'l.json')).toThrow(/^l\.json: not JSON/);
    expect(() => parseLabelsJson('3', 'l.json')).toThrow(/expected an object/);
  });
});

describe('openImageSet (a sharded run\'s folder)', () => {
  it('reads labels.json and the jobs\' labels/*.json together', () => {
    const dir = mkdtempSync(join(tmp, 'sharded-'));
    mkdirSync(join(dir, 'labels'));
    for (const name of ['000000.png', '000001.png', '000002.png']) writeFileSync(join(dir, name), encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }));
    writeFileSync(join(dir, 'labels', '000000-000001.json'), '{"000000.png": 3, "000001.png": 1}');
    writeFileSync(join(dir, 'labels', '000002-000002.json'), '{"000002.png": 7}');
    const set = openImageSet(dir);
    expect(set.count).toBe(3);
    expect([...labelsOf(set, set.labels!)]).toEqual([3, 1, 7]);
    writeFileSync(join(dir, 'labels.json'), '[0, 0, 0]');
    expect(() => openImageSet(dir)).toThrow(/labels\.json lists classes in image order, which cannot be read together/);
  });
});
