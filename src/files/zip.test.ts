// ZIP writer and reader: round trip, archives from another writer (fflate, deflated), ZIP64 counts and sizes,
// entries as ranges of the file, and damage (truncation, bad CRC, encryption) named by file and entry.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.js';
import { crc32 } from './crc32.js';
import { isZip, readZipDirectory, readZipEntry, zipEntryRange, zipFileTable } from './zip-reader.js';
import { ZipWriter } from './zip-writer.js';
import { zipOf } from '../../test/helpers/zip.js';

const text = (s: string) => new TextEncoder().encode(s);

/** Offset of the first record with signature `sig` (searched from the end when `last`). */
function find(bytes: Uint8Array, sig: number, last = false): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k + 4 <= bytes.length; k++) {
    const i = last ? bytes.length - 4 - k : k;
    if (v.getUint32(i, true) === sig) return i;
  }
  throw new Error(`test: no record ${sig.toString(16)}`);
}

/** A copy of `bytes` with the first central directory entry changed by `edit` (a view at its start). */
function editCentral(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  edit(new DataView(out.buffer, find(out, 0x02014b50)));
  return out;
}

describe('zip', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
  });

  it('reads back what it writes, stored, in sorted order, with partial reads', () => {
    const bytes = zipOf([['b/é.txt', text('héllo')], ['a.bin', Uint8Array.of(1, 2, 3)], ['empty', new Uint8Array(0)]]);
    const entries = readZipDirectory(memorySource(bytes, 't.zip'));
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([['b/é.txt', 0, 6], ['a.bin', 0, 3], ['empty', 0, 0]]);
    const table = zipFileTable(memorySource(bytes, 't.zip'));
    expect(table.names).toEqual(['a.bin', 'b/é.txt', 'empty']);
    expect(new TextDecoder().decode(table.read('b/é.txt'))).toBe('héllo');
    expect([...table.readHead('a.bin', 2)]).toEqual([1, 2]);
  });

  it('reads deflated archives written by another tool', () => {
    const bytes = zipSync({ 'x/data.txt': text('abc'.repeat(100)), 'dir/': new Uint8Array(0) }, { level: 6 });
    const table = zipFileTable(memorySource(bytes, 'f.zip'));
    expect(table.names).toEqual(['x/data.txt']);
    expect(new TextDecoder().decode(table.read('x/data.txt'))).toBe('abc'.repeat(100));
  });

  it('writes ZIP64 end records past 65535 entries, and reads them', () => {
    const n = 65_540;
    const chunks: Uint8Array[] = [];
    const zip = new ZipWriter((c) => chunks.push(c.slice()));
    const empty = new Uint8Array(0);
    for (let i = 0; i < n; i++) zip.add(`${i}`, empty);
    zip.add('last', text('!'));
    zip.finish();
    const bytes = new Uint8Array(zip.bytesWritten);
    chunks.reduce((at, c) => (bytes.set(c, at), at + c.length), 0);
    const entries = readZipDirectory(memorySource(bytes, 'big.zip'));
    expect(entries.length).toBe(n + 1);
    expect(new TextDecoder().decode(readZipEntry(memorySource(bytes, 'big.zip'), entries[n]))).toBe('!');
  });

  it('tells ZIPs by their first bytes, an empty archive included', () => {
    expect(isZip(memorySource(zipOf([['a', text('x')]]), 'a.zip'))).toBe(true);
    expect(isZip(memorySource(zipOf([]), 'empty.zip'))).toBe(true);
    expect(readZipDirectory(memorySource(zipOf([]), 'empty.zip'))).toEqual([]);
    expect(isZip(memorySource(text('PK'), 'short'))).toBe(false);
    expect(isZip(memorySource(text('GIF89a'), 'gif'))).toBe(false);
  });

  it('gives a stored entry as a range of the file, not a copy; a deflated one inflated', () => {
    const stored = zipOf([['a.bin', Uint8Array.of(1, 2, 3)]]);
    const src = memorySource(stored, 's.zip');
    const range = zipEntryRange(src, readZipDirectory(src)[0]);
    expect(range.source).toBe(src);
    expect(range.bytes().buffer).toBe(stored.buffer);
    expect([...range.bytes()]).toEqual([1, 2, 3]);
    const deflated = memorySource(zipSync({ 'x.txt': text('abc'.repeat(100)) }, { level: 6 }), 'd.zip');
    const [entry] = readZipDirectory(deflated);
    expect(entry.method).toBe(8);
    expect(new TextDecoder().decode(zipEntryRange(deflated, entry).bytes())).toBe('abc'.repeat(100));
  });

  it('reads names without the UTF-8 flag as Latin-1', () => {
    const bytes = editCentral(zipOf([['é', text('x')]]), (v) => v.setUint16(8, v.getUint16(8, true) & ~0x0800, true));
    expect(readZipDirectory(memorySource(bytes, 'l.zip'))[0].name).toBe('\u00c3\u00a9');
  });

  it('refuses encrypted entries, naming the archive and the entry', () => {
    const bytes = editCentral(zipOf([['a.txt', text('hello')]]), (v) => v.setUint16(8, v.getUint16(8, true) | 1, true));
    expect(() => zipFileTable(memorySource(bytes, 'e.zip'))).toThrow('e.zip: a.txt: encrypted ZIP entries are not supported');
  });

  it('refuses truncated archives, impossible sizes and other methods, naming the archive and entry', () => {
    const bytes = zipOf([['a.txt', text('hello')]]);
    const table = (b: Uint8Array) => zipFileTable(memorySource(b, 'd.zip'));
    expect(() => table(bytes.subarray(0, bytes.length - 5))).toThrow('d.zip: not a ZIP archive (no end-of-central-directory record; truncated?)');
    const farDirectory = bytes.slice();
    new DataView(farDirectory.buffer).setUint32(find(farDirectory, 0x06054b50, true) + 16, 1000, true); // the 51-byte directory said to start at 1000
    expect(() => table(farDirectory)).toThrow(`d.zip: truncated ZIP (central directory ends at 1051, the file is ${bytes.length} bytes)`);
    const longer = editCentral(bytes, (v) => (v.setUint32(20, 500, true), v.setUint32(24, 500, true)));
    expect(() => table(longer).read('a.txt')).toThrow('d.zip: a.txt: truncated ZIP (entry data ends past the end of the file)');
    expect(() => table(longer).readHead('a.txt', 2)).toThrow('d.zip: a.txt: truncated ZIP (entry data ends past the end of the file)');
    const twoSizes = editCentral(bytes, (v) => v.setUint32(24, 6, true));
    expect(() => table(twoSizes).read('a.txt')).toThrow('d.zip: a.txt: corrupt ZIP (stored entry of 5 bytes claims 6)');
    const bzip2 = editCentral(bytes, (v) => v.setUint16(10, 12, true));
    expect(() => table(bzip2).read('a.txt')).toThrow('d.zip: a.txt: compression method 12 is not supported (expected 0 stored or 8 deflate)');
    expect(() => table(bytes).read('b.txt')).toThrow('d.zip: no entry b.txt');
  });

  it('refuses ZIP64 values past 2^53 instead of rounding them', () => {
    const chunks: Uint8Array[] = [];
    const zip = new ZipWriter((c) => chunks.push(c.slice()));
    for (let i = 0; i < 65_536; i++) zip.add(`${i}`, new Uint8Array(0));
    zip.finish();
    const bytes = new Uint8Array(zip.bytesWritten);
    chunks.reduce((at, c) => (bytes.set(c, at), at + c.length), 0);
    expect(readZipDirectory(memorySource(bytes, 'big.zip')).length).toBe(65_536);
    const record = find(bytes, 0x06064b50, true);
    new DataView(bytes.buffer).setBigUint64(record + 48, 1n << 60n, true);
    expect(() => readZipDirectory(memorySource(bytes, 'big.zip'))).toThrow(`big.zip: corrupt ZIP (a ZIP64 size or offset of ${1n << 60n})`);
  });

  it('names the archive and entry when damaged', () => {
    const bytes = zipOf([['a.txt', text('hello')]]);
    expect(() => readZipDirectory(memorySource(text('not a zip at all, no records here'), 'n.zip'))).toThrow(/^n\.zip: not a ZIP archive/);
    const flipped = bytes.slice();
    flipped[30 + 5] ^= 0xff; // a byte of a.txt's data
    expect(() => zipFileTable(memorySource(flipped, 'd.zip')).read('a.txt')).toThrow('d.zip: a.txt: corrupt ZIP entry (CRC-32 mismatch)');
  });
});
