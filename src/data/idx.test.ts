// IDX parsing on tiny files written here, plain and gzipped.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { idxImages, idxLabels, parseIdx } from './idx.js';

/** An IDX uint8 file: magic 00 00 08 ndim, big-endian dimensions, data. */
function idxBytes(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

describe('idx', () => {
  const pixels = Array.from({ length: 2 * 3 * 2 }, (_, i) => i * 10);
  const images = idxBytes([2, 3, 2], pixels);
  const labels = idxBytes([2], [7, 3]);

  it.each([['plain', (b: Uint8Array) => b], ['gzipped', (b: Uint8Array) => new Uint8Array(gzipSync(b))]])('parses %s images and labels', (_, wrap) => {
    const parsed = parseIdx(wrap(images), 'imgs');
    expect(parsed.dims).toEqual([2, 3, 2]);
    const { count, image } = idxImages(parsed, 'imgs');
    expect(count).toBe(2);
    expect(image(1)).toMatchObject({ width: 2, height: 3, channels: 1 });
    expect([...image(1).data]).toEqual(pixels.slice(6));
    expect([...idxLabels(parseIdx(wrap(labels), 'lbl'), 'lbl')]).toEqual([7, 3]);
  });

  it('reads big-endian int32 arrays', () => {
    const b = new Uint8Array(4 + 4 + 8);
    b.set([0, 0, 0x0c, 1]);
    new DataView(b.buffer).setUint32(4, 2);
    new DataView(b.buffer).setInt32(8, -5);
    new DataView(b.buffer).setInt32(12, 70000);
    expect([...parseIdx(b, 'i32').data]).toEqual([-5, 70000]);
  });

  it('refuses truncated and foreign files in one line naming them', () => {
    expect(() => parseIdx(images.subarray(0, images.length - 1), 'short-idx3')).toThrow(/^short-idx3: truncated IDX data \(27 bytes; dimensions 2x3x2 of uint8 need 28\)$/);
    expect(() => parseIdx(new TextEncoder().encode('PK\x03\x04'), 'a.zip')).toThrow(/^a\.zip: not an IDX file \(magic 50 4b 03 04/);
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 1, 2, 3), 'bad.gz')).toThrow(/^bad\.gz: corrupt gzip data/);
    expect(() => idxImages(parseIdx(labels, 'lbl'), 'lbl')).toThrow(/^lbl: expected uint8 images/);
  });

  it('refuses a gzip trailer stating far more bytes than the data can inflate to, before allocating them', () => {
    const gz = new Uint8Array(gzipSync(labels));
    new DataView(gz.buffer, gz.byteOffset).setUint32(gz.length - 4, 67_108_864, true);
    expect(() => parseIdx(gz, 'lbl.gz')).toThrow(`lbl.gz: corrupt gzip data (states 67108864 bytes inflated from ${gz.length})`);
  });

  it('keeps the message about 200 dimensions short, and reads a zero dimension as empty', () => {
    const header = new Uint8Array(4 + 4 * 200);
    header.set([0, 0, 0x08, 200]);
    for (let i = 0; i < 100; i++) new DataView(header.buffer).setUint32(4 + 4 * i, 2 ** 31 - 1); // overflows to Infinity, then x 0
    const empty = parseIdx(header, 'wide-idx');
    expect(empty.data.length).toBe(0);
    expect(() => idxLabels(empty, 'wide-idx')).toThrow(/^wide-idx: expected a 1-D array of integer labels; got dimensions 2147483647x.{0,80}$/);
  });
});
