// Property tests of the safetensors reader (safetensors.ts): what serializeSafetensors writes reads back
// unchanged, and any other bytes (random, a damaged file, a hostile JSON header) load or are refused with a
// one-line InputError, quickly and without allocating what a header merely claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { DTYPE_BYTES, parseSafetensors, serializeSafetensors, toFloat32, toFloat64, type SafetensorsDType, type TensorEntry } from './safetensors.js';

const DTYPES = Object.keys(DTYPE_BYTES) as SafetensorsDType[];

/** A tensor entry of any dtype and a small shape, its bytes random. */
const tensorEntry: fc.Arbitrary<TensorEntry> = fc
  .record({ dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) })
  .chain(({ dtype, shape }) => {
    const length = shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[dtype];
    return fc.uint8Array({ minLength: length, maxLength: length }).map((data) => ({ dtype, shape, data }));
  });

const tensorList = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 12 }).filter((n) => n !== '__metadata__'), tensorEntry), {
  maxLength: 5,
  selector: ([name]) => name,
});
const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 });
const validFile = fc.tuple(tensorList, metadata).map(([tensors, meta]) => serializeSafetensors(tensors, meta));

/** A parse that succeeded must describe tensors that lie in the file and convert without a crash. */
function checkParsed(bytes: Uint8Array): void {
  const outcome = parseWithin(() => parseSafetensors(bytes, 'x.safetensors'), bytes.length);
  if (!outcome.ok) return;
  for (const [name, t] of outcome.value.tensors) {
    expect(t.data.buffer).toBe(bytes.buffer);
    expect(t.data.byteLength).toBe(t.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[t.dtype]);
    parseWithin(() => toFloat32(t, name), bytes.length);
    parseWithin(() => toFloat64(t, name), bytes.length);
  }
}

describe('safetensors properties', () => {
  it('serialize then parse returns the tensors, their order and the metadata', () => {
    fc.assert(
      fc.property(tensorList, metadata, (tensors, meta) => {
        const parsed = parseSafetensors(serializeSafetensors(tensors, meta), 'rt.safetensors');
        expect(parsed.metadata).toEqual(meta);
        // The data section orders the tensors; empty ones share an offset, and JSON objects put integer-like
        // keys first, so only the order of the non-empty ones is kept.
        const nonEmpty = (names: string[]) => names.filter((name) => parsed.tensors.get(name)!.data.length > 0);
        expect(nonEmpty([...parsed.tensors.keys()])).toEqual(nonEmpty(tensors.map(([name]) => name)));
        expect(parsed.tensors.size).toBe(tensors.length);
        for (const [name, { dtype, shape, data }] of tensors) {
          expect(parsed.tensors.get(name)).toEqual({ dtype, shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
        }
      }),
      runs(300),
    );
  });

  it('random bytes load or are refused with a one-line InputError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => checkParsed(bytes)), runs(500));
  });

  it('damaged files load or are refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(validFile), (bytes) => checkParsed(bytes)), runs(1500));
  });

  it('any JSON header loads or is refused with a one-line InputError', () => {
    const header = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__metadata__', '__proto__', 'constructor')),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record({
          dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.jsonValue({ maxDepth: 1 })),
          shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 2 ** 31 }), fc.double()), { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
          data_offsets: fc.oneof(fc.array(fc.oneof(fc.integer({ min: -2, max: 64 }), fc.constantFrom(1e15, 2 ** 53, 2 ** 64, 0.5)), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
        }),
      ),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(header, fc.integer({ min: 0, max: 64 }), (json, dataBytes) => {
        const text = new TextEncoder().encode(JSON.stringify(json));
        const bytes = new Uint8Array(8 + text.length + dataBytes);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
        bytes.set(text, 8);
        checkParsed(bytes);
      }),
      runs(1000),
    );
  });

  it('a header length of 1e15 is refused before anything is allocated', () => {
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setBigUint64(0, 10n ** 15n, true);
    const outcome = parseWithin(() => parseSafetensors(bytes, 'huge.safetensors'), bytes.length, { maxAllocBytes: 1e6 });
    expect(outcome.ok || outcome.error).toBeInstanceOf(InputError);
  });
});
