// Property tests of the IDX reader (idx.ts): arrays of every element type written here read back exactly,
// plain and gzipped; damaged files and arbitrary headers read or are refused with a one-line InputError,
// quickly, without allocating what damaged dimensions or a damaged gzip size claim.
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { numel } from '../graph/ops.js';
import { idxImages, idxLabels, parseIdx } from './idx.js';

/** Element types: IDX type byte, bytes per element, the big-endian writer and values to draw. */
const TYPES = [
  { type: 0x08, bytes: 1, write: (v: DataView, at: number, x: number) => v.setUint8(at, x), value: fc.integer({ min: 0, max: 255 }) },
  { type: 0x09, bytes: 1, write: (v: DataView, at: number, x: number) => v.setInt8(at, x), value: fc.integer({ min: -128, max: 127 }) },
  { type: 0x0b, bytes: 2, write: (v: DataView, at: number, x: number) => v.setInt16(at, x), value: fc.integer({ min: -32768, max: 32767 }) },
  { type: 0x0c, bytes: 4, write: (v: DataView, at: number, x: number) => v.setInt32(at, x), value: fc.integer() },
  { type: 0x0d, bytes: 4, write: (v: DataView, at: number, x: number) => v.setFloat32(at, x), value: fc.float({ noNaN: true }) },
  { type: 0x0e, bytes: 8, write: (v: DataView, at: number, x: number) => v.setFloat64(at, x), value: fc.double({ noNaN: true }) },
];

interface IdxCase {
  type: (typeof TYPES)[number];
  dims: number[];
  values: number[];
}

const idxCase: fc.Arbitrary<IdxCase> = fc
  .record({ type: fc.constantFrom(...TYPES), dims: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }) })
  .chain(({ type, dims }) => fc.array(type.value, { minLength: numel(dims), maxLength: numel(dims) }).map((values) => ({ type, dims, values })));

function idxFile({ type, dims, values }: IdxCase): Uint8Array {
  const start = 4 + 4 * dims.length;
  const out = new Uint8Array(start + values.length * type.bytes);
  const view = new DataView(out.buffer);
  out.set([0, 0, type.type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  values.forEach((x, i) => type.write(view, start + i * type.bytes, x));
  return out;
}

const validFile = fc.tuple(idxCase, fc.boolean()).map(([c, gzip]) => (gzip ? gzipSync(idxFile(c)) : idxFile(c)));

/** Elements of an array of `dims`: zero when any dimension is, even if the others overflow. */
const elements = (dims: readonly number[]) => (dims.includes(0) ? 0 : numel(dims));

/** Parse a (damaged) IDX file and take it as images and as labels, within the limits. */
function checkParse(bytes: Uint8Array): void {
  const outcome = parseWithin(() => parseIdx(bytes, 'x-idx3-ubyte'), bytes.length);
  if (!outcome.ok) return;
  const array = outcome.value;
  expect(array.data.length).toBe(elements(array.dims));
  const images = parseWithin(() => idxImages(array, 'x'), bytes.length);
  if (images.ok) for (let i = 0; i < Math.min(images.value.count, 4); i++) expect(images.value.image(i).data.length).toBe(elements(array.dims.slice(1)));
  parseWithin(() => idxLabels(array, 'x'), bytes.length);
}

describe('IDX properties', () => {
  it('reads back dimensions and values of every element type, plain and gzipped', () => {
    fc.assert(
      fc.property(idxCase, fc.boolean(), (c, gzip) => {
        const file = idxFile(c);
        const { dims, data } = parseIdx(gzip ? gzipSync(file) : file, 'rt-idx');
        expect(dims).toEqual(c.dims);
        expect([...data]).toEqual(c.type.type === 0x0d ? c.values.map(Math.fround) : c.values);
      }),
      runs(300),
    );
  });

  it('damaged files, plain and gzipped, parse or are refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(validFile), (bytes) => checkParse(bytes)), runs(1500));
  });

  it('any header (type, up to 255 dimensions of any size) parses or is refused with a one-line InputError', () => {
    const header = fc.record({
      type: fc.integer({ min: 0, max: 255 }),
      dims: fc.oneof(fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.nat()), { maxLength: 4 }), fc.array(fc.nat(), { minLength: 200, maxLength: 255 })),
      rest: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(header, ({ type, dims, rest }) => {
        const bytes = new Uint8Array(4 + 4 * dims.length + rest.length);
        bytes.set([0, 0, type, dims.length]);
        dims.forEach((d, i) => new DataView(bytes.buffer).setUint32(4 + 4 * i, d));
        bytes.set(rest, 4 + 4 * dims.length);
        checkParse(bytes);
      }),
      runs(500),
    );
  });
});
