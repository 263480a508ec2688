// Property tests of the ZIP reader (zip-reader.ts): what ZipWriter or fflate writes (stored or deflated) reads
// back entry for entry; damaged archives and arbitrary bytes are read or refused with a one-line InputError,
// quickly, without allocating the sizes a damaged directory claims.
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { memorySource } from './byte-source.js';
import { readZipDirectory, readZipEntry, zipFileTable } from './zip-reader.js';
import { zipOf } from '../../test/helpers/zip.js';

/** Entry names as archives hold them: '/' separated, no empty parts (fflate would make folders of them). */
const entryName = fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((p) => !p.includes('/')), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
/** Compressible data (runs of a byte) as well as noise, so deflate has something to do. */
const entryData = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 4000 })).map(([b, n]) => new Uint8Array(n).fill(b)));
const entries = fc.uniqueArray(fc.tuple(entryName, entryData), { maxLength: 5, selector: ([name]) => name });

const archive = fc.oneof(
  entries.map(zipOf),
  entries.map((files) => zipSync(Object.fromEntries(files), { level: 6 })),
);

/** Read a (damaged) archive fully: the directory, then every entry, inflated and CRC-checked. */
function checkRead(bytes: Uint8Array): void {
  const src = memorySource(bytes, 'x.zip');
  const outcome = parseWithin(() => readZipDirectory(src), bytes.length);
  if (!outcome.ok) return;
  for (const entry of outcome.value) parseWithin(() => readZipEntry(src, entry), bytes.length);
}

describe('zip reader properties', () => {
  it('reads back what ZipWriter (stored) and fflate (deflated) write', () => {
    fc.assert(
      fc.property(entries, fc.boolean(), (files, deflate) => {
        const bytes = deflate ? zipSync(Object.fromEntries(files), { level: 6 }) : zipOf(files);
        const src = memorySource(bytes, 'rt.zip');
        const read = readZipDirectory(src);
        expect(read.map((e) => e.name)).toEqual(files.map(([name]) => name));
        for (const [i, entry] of read.entries()) expect(Buffer.compare(readZipEntry(src, entry), files[i][1])).toBe(0); // toEqual is slow on long arrays
        const table = zipFileTable(src);
        expect(table.names).toEqual(files.map(([name]) => name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
      runs(300),
    );
  });

  it('damaged archives are read or refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(archive), (bytes) => checkRead(bytes)), runs(2000));
  });

  it('arbitrary bytes ending in an end record are read or refused with a one-line InputError', () => {
    const endRecord = fc.uint8Array({ minLength: 18, maxLength: 18 }).map((rest) => Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...rest));
    const bytes = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.option(endRecord)).map(([body, end]) => (end ? Uint8Array.of(...body, ...end) : body));
    fc.assert(fc.property(bytes, (b) => checkRead(b)), runs(800));
  });
});
