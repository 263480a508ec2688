// Property tests of the torch containers (torch-load.ts, authors-checkpoint.ts), beside the fixture fuzzing of
// fuzz.test.ts: random strided tensors of every storage type written as a torch.save ZIP, a legacy stream or
// an EDM pickle read back byte for byte; damaged copies, and arbitrary bytes, load or are refused with a
// one-line InputError, quickly, without allocating what a damaged shape or length claims.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, legacyStream, pickle, tensor, torchZip, type Py, type StorageData, type StorageMode } from '../../test/torch-files.js';
import { mutatedFrom, parseWithin, runs } from '../../test/helpers/parse-property.js';
import { memorySource } from '../files/byte-source.js';
import { numel } from '../graph/ops.js';
import { convertedTensors, readAuthorsCheckpoint, sniffFormat } from './authors-checkpoint.js';
import { PickleObject } from './pickle.js';
import { loadTorch, tensorBytes, tensorToFloat32, TorchTensor } from './torch-load.js';

const ITEM_BYTES: Record<string, number> = {
  FloatStorage: 4, DoubleStorage: 8, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8,
  IntStorage: 4, ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1,
};

/** A strided view (strides 0-5, broadcasting included) of a storage just big enough for it, and its elements. */
interface TensorCase {
  storage: StorageData;
  shape: number[];
  stride: number[];
  offset: number;
  /** The elements in row-major order, as bytes. */
  expected: Uint8Array;
}

const tensorCase: fc.Arbitrary<TensorCase> = fc
  .record({
    type: fc.constantFrom(...Object.keys(ITEM_BYTES)),
    dims: fc.array(fc.record({ size: fc.integer({ min: 0, max: 4 }), stride: fc.integer({ min: 0, max: 5 }) }), { maxLength: 3 }),
    offset: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ type, dims, offset }) => {
    const shape = dims.map((d) => d.size);
    const stride = dims.map((d) => d.stride);
    const count = numel(shape) === 0 ? 0 : offset + shape.reduce((at, d, i) => at + (d - 1) * stride[i], 0) + 1;
    const item = ITEM_BYTES[type];
    return fc.uint8Array({ minLength: count * item, maxLength: count * item }).map((bytes): TensorCase => {
      const expected = new Uint8Array(numel(shape) * item);
      const index = shape.map(() => 0);
      for (let i = 0; i < numel(shape); i++) {
        const at = index.reduce((a, k, d) => a + k * stride[d], offset);
        expected.set(bytes.subarray(at * item, (at + 1) * item), i * item);
        for (let d = index.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
      }
      return { storage: { type, numel: count, bytes }, shape, stride, offset, expected };
    });
  });

const container = fc.constantFrom('zip' as const, 'legacy' as const, 'pickle' as const);

/** A file of `format` holding {name: tensor} for the cases. */
function torchFile(format: 'zip' | 'legacy' | 'pickle', cases: [string, TensorCase][]): Uint8Array {
  const mode: StorageMode = format === 'pickle' ? { kind: 'inline' } : { kind: 'persistent', storages: [] };
  const object = new Map<Py, Py>(cases.map(([name, c]) => [name, tensor(c.storage, c.shape, mode, { stride: c.stride, offset: c.offset })]));
  if (mode.kind === 'inline') return concat(pickle(object));
  return format === 'zip' ? torchZip(object, mode.storages) : concat(legacyStream(mode.storages, object));
}

const tensorCases = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), tensorCase), { maxLength: 4, selector: ([name]) => name });
const validFile = fc.tuple(container, tensorCases).map(([format, cases]) => torchFile(format, cases));

/** Every tensor reachable from an unpickled value (cycles allowed: damaged memos make them). */
function tensorsIn(root: unknown): TorchTensor[] {
  const found: TorchTensor[] = [];
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    if (x instanceof TorchTensor) found.push(x);
    else if (Array.isArray(x)) stack.push(...x);
    else if (x instanceof Map) stack.push(...x.keys(), ...x.values());
    else if (x instanceof Set) stack.push(...x);
    else if (x instanceof PickleObject) stack.push(x.state, ...x.args, ...x.items.keys(), ...x.items.values(), ...x.list);
  }
  return found;
}

/** Load a (damaged) torch file fully, every tensor's bytes included, within the limits. */
function checkLoad(bytes: Uint8Array): void {
  const src = memorySource(bytes, 'x.pt');
  const outcome = parseWithin(() => loadTorch(src), bytes.length);
  if (!outcome.ok) return;
  for (const t of tensorsIn(outcome.value.root)) {
    parseWithin(() => tensorBytes(t), bytes.length);
    parseWithin(() => tensorToFloat32(t, 'x'), bytes.length);
  }
}

describe('torch container properties', () => {
  it('strided tensors of every storage type read back byte for byte from each container', () => {
    fc.assert(
      fc.property(container, tensorCases, (format, cases) => {
        const { format: read, root } = loadTorch(memorySource(torchFile(format, cases), 'rt.pt'));
        expect(read).toBe(format);
        const tensors = root as Map<string, TorchTensor>;
        expect([...tensors.keys()]).toEqual(cases.map(([name]) => name));
        for (const [name, c] of cases) {
          const t = tensors.get(name)!;
          expect(t.shape).toEqual(c.shape);
          expect(tensorBytes(t)).toEqual(c.expected);
        }
      }),
      runs(200),
    );
  });

  it('damaged torch files load or are refused with a one-line InputError', () => {
    fc.assert(fc.property(mutatedFrom(validFile), (bytes) => checkLoad(bytes)), runs(1500));
  });

  it('any size, stride and offset over a small storage loads or is refused with a one-line InputError', () => {
    const big = fc.constantFrom(2 ** 15, 2 ** 26, 2 ** 31 - 1, 2 ** 53 - 1);
    const size = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }, big);
    const step = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 4 }), big);
    const layout = fc.record({
      dims: fc.oneof(fc.array(fc.tuple(size, step), { maxLength: 4 }), fc.array(fc.tuple(fc.constant<number>(1), step), { minLength: 30, maxLength: 33 })),
      offset: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, size),
      count: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(container, layout, (format, { dims, offset, count }) => {
        const [shape, stride] = [dims.map(([size]) => size), dims.map(([, step]) => step)];
        const storage: StorageData = { type: 'FloatStorage', numel: count, bytes: new Uint8Array(4 * count) };
        const mode: StorageMode = format === 'pickle' ? { kind: 'inline' } : { kind: 'persistent', storages: [] };
        const object = tensor(storage, shape, mode, { stride, offset });
        const bytes = mode.kind === 'inline' ? concat(pickle(object)) : format === 'zip' ? torchZip(object, mode.storages) : concat(legacyStream(mode.storages, object));
        checkLoad(bytes);
      }),
      runs(500),
    );
  });

  it('arbitrary bytes after a ZIP, pickle or legacy-stream start load or are refused with a one-line InputError', () => {
    const start = fc.constantFrom(Uint8Array.of(), Uint8Array.of(0x50, 0x4b, 0x03, 0x04), Uint8Array.of(0x50, 0x4b, 0x05, 0x06), Uint8Array.of(0x80, 0x02, 0x8a, 0x0a), Uint8Array.of(0x80, 0x04));
    const bytes = fc.tuple(start, fc.uint8Array({ maxLength: 200 })).map(([head, rest]) => concat([head, rest]));
    fc.assert(
      fc.property(bytes, (b) => {
        checkLoad(b);
        const src = memorySource(b, 'x.pkl');
        if (sniffFormat(src) === 'torch') {
          const outcome = parseWithin(() => convertedTensors(readAuthorsCheckpoint(src)), b.length);
          if (outcome.ok) for (const [, t] of outcome.value.tensors) parseWithin(() => t.bytes(), b.length);
        }
      }),
      runs(800),
    );
  });
});
