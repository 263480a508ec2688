// ZIP writer and reader: round trip, archives from another writer (fflate, deflated), ZIP64 counts, damage.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { bytesSource, readZipDirectory, readZipEntry, zipFileTable } from './zip-reader.js';
import { ZipWriter } from './zip-writer.js';

function zipOf(files: [string, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipWriter((c) => chunks.push(c.slice()));
  for (const [name, data] of files) zip.add(name, data);
  zip.finish();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

describe('zip', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
  });

  it('reads back what it writes, stored, in sorted order, with partial reads', () => {
    const bytes = zipOf([['b/é.txt', text('héllo')], ['a.bin', Uint8Array.of(1, 2, 3)], ['empty', new Uint8Array(0)]]);
    const entries = readZipDirectory(bytesSource(bytes), 't.zip');
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([['b/é.txt', 0, 6], ['a.bin', 0, 3], ['empty', 0, 0]]);
    const table = zipFileTable(bytesSource(bytes), 't.zip');
    expect(table.names).toEqual(['a.bin', 'b/é.txt', 'empty']);
    expect(new TextDecoder().decode(table.read('b/é.txt'))).toBe('héllo');
    expect([...table.readHead('a.bin', 2)]).toEqual([1, 2]);
  });

  it('reads deflated archives written by another tool', () => {
    const bytes = zipSync({ 'x/data.txt': text('abc'.repeat(100)), 'dir/': new Uint8Array(0) }, { level: 6 });
    const table = zipFileTable(bytesSource(bytes), 'f.zip');
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
    const entries = readZipDirectory(bytesSource(bytes), 'big.zip');
    expect(entries.length).toBe(n + 1);
    expect(new TextDecoder().decode(readZipEntry(bytesSource(bytes), entries[n], 'big.zip'))).toBe('!');
  });

  it('names the archive and entry when damaged', () => {
    const bytes = zipOf([['a.txt', text('hello')]]);
    expect(() => readZipDirectory(bytesSource(text('not a zip at all, no records here')), 'n.zip')).toThrow(/^n\.zip: not a ZIP archive/);
    const flipped = bytes.slice();
    flipped[30 + 5] ^= 0xff; // a byte of a.txt's data
    expect(() => zipFileTable(bytesSource(flipped), 'd.zip').read('a.txt')).toThrow('d.zip: a.txt: corrupt ZIP entry (CRC-32 or size mismatch)');
  });
});
