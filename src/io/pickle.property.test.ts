// Property tests of the pickle reader (pickle.ts), beside the fixture fuzzing of fuzz.test.ts: any value the
// test pickler writes (protocol 2 or 4) unpickles to the same value, and opcode soup or damaged pickles
// unpickle or are refused with a one-line InputError, quickly, without running or allocating what they claim.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, Float, ODict, pickle, PySet, Tuple, type Py } from '../../test/torch-files.js';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { ByteRange, memorySource } from '../files/byte-source.js';
import { isTuple, unpickle } from './pickle.js';
import { TORCH_GLOBALS } from './torch-load.js';

/** A value as compared: tuples, bytes and floats made explicit, ints as unpickle narrows them. */
type Plain = null | boolean | number | bigint | string | { bytes: number[] } | { tuple: Plain[] } | Plain[] | Map<Plain, Plain> | Set<Plain>;

const narrow = (v: bigint) => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** What unpickling `x` should give. */
function expected(x: Py): Plain {
  if (typeof x === 'bigint') return narrow(x);
  if (x === null || typeof x !== 'object') return x;
  if (x instanceof Float) return x.value;
  if (x instanceof Uint8Array) return { bytes: [...x] };
  if (Array.isArray(x)) return x.map(expected);
  if (x instanceof Tuple) return { tuple: x.items.map(expected) };
  if (x instanceof Map) return new Map([...x].map(([k, v]) => [expected(k), expected(v)]));
  if (x instanceof ODict) return new Map(x.entries.map(([k, v]) => [expected(k), expected(v)]));
  if (x instanceof PySet) return new Set(x.items.map(expected));
  throw new Error(`internal: no expectation for ${String(x)}`);
}

/** An unpickled value in the same terms. */
function plain(x: unknown): Plain {
  if (x instanceof ByteRange) return { bytes: [...x.bytes()] };
  if (isTuple(x)) return { tuple: x.map(plain) };
  if (Array.isArray(x)) return x.map(plain);
  if (x instanceof Map) return new Map([...x].map(([k, v]) => [plain(k), plain(v)]));
  if (x instanceof Set) return new Set([...x].map(plain));
  return x as Plain;
}

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: 0, max: 1000 }));
const { value: pyValue } = fc.letrec<{ value: Py }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
    fc.double().map((v) => new Float(v)),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new Tuple(items)),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => new ODict(entries)),
    fc.array(key, { maxLength: 4 }).map((items) => new PySet(items)),
  ),
}));
const protocol = fc.constantFrom(2 as const, 4 as const);

/** Every opcode the reader knows, and a few it does not. */
const OPCODES = [
  0x80, 0x95, 0x2e, 0x28, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x4b, 0x4d, 0x4a, 0x8a, 0x8b, 0x49, 0x4c, 0x47, 0x46, 0x8c,
  0x58, 0x8d, 0x56, 0x55, 0x54, 0x53, 0x43, 0x42, 0x8e, 0x96, 0x97, 0x29, 0x85, 0x86, 0x87, 0x74, 0x5d, 0x6c, 0x61, 0x65,
  0x7d, 0x64, 0x73, 0x75, 0x8f, 0x90, 0x91, 0x63, 0x93, 0x52, 0x81, 0x92, 0x6f, 0x69, 0x62, 0x82, 0x50, 0x51, 0x67, 0x68,
  0x6a, 0x70, 0x71, 0x72, 0x94, 0x00, 0xff,
];
/** Arguments: random bytes, or text a protocol 0 opcode or a global would take. */
const argument = fc.oneof(
  fc.uint8Array({ maxLength: 9 }),
  fc.constantFrom('torch._utils\n_rebuild_tensor_v2\n', 'collections\nOrderedDict\n', 'torch.storage\n_load_from_bytes\n', 'os\nsystem\n', '12\n', "'a\\x41'\n", '1.5\n', 'inf\n', '99999999999999999999L\n', '3\n')
    .map((s) => new TextEncoder().encode(s)),
);
const opcodeSoup = fc
  .array(fc.tuple(fc.constantFrom(...OPCODES), argument), { maxLength: 40 })
  .map((ops) => concat([Uint8Array.of(0x80, 4), ...ops.flatMap(([op, arg]) => [Uint8Array.of(op), arg]), Uint8Array.of(0x2e)]));

/** Unpickle as the torch reader does (torch globals, persistent ids passed through) within the limits. */
function checkUnpickle(bytes: Uint8Array): void {
  parseWithin(() => unpickle(memorySource(bytes, 'x.pkl'), { globals: TORCH_GLOBALS, persistentLoad: (pid) => pid }), bytes.length);
}

describe('pickle properties', () => {
  it('unpickles what the test pickler writes to the same value', () => {
    fc.assert(
      fc.property(pyValue, protocol, (value, p) => {
        const bytes = concat(pickle(value, p));
        const { value: out, end } = unpickle(memorySource(bytes, 'rt.pkl'));
        expect(end).toBe(bytes.length);
        expect(plain(out)).toEqual(expected(value));
      }),
      runs(400),
    );
  });

  it('random bytes unpickle or are refused with a one-line InputError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => checkUnpickle(bytes)), runs(300));
  });

  it('opcode soup unpickles or is refused with a one-line InputError', () => {
    fc.assert(fc.property(opcodeSoup, (bytes) => checkUnpickle(bytes)), runs(2000));
  });

  it('damaged pickles unpickle or are refused with a one-line InputError', () => {
    const valid = fc.tuple(pyValue, protocol).map(([value, p]) => concat(pickle(value, p)));
    fc.assert(fc.property(mutatedFrom(valid), (bytes) => checkUnpickle(bytes)), runs(1500));
  });
});
