// Tests for torch containers (torch-load.ts, files/zip-reader.ts): the ZIP and legacy torch.save formats, inline
// `_load_from_bytes` storages, dtypes, strided tensors, and one-line errors for damaged storages.
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { concat, f32Storage, legacyStream, pickle, Reduce, Global, Tuple, tensor, torchZip, type Py, type StorageData, type StorageMode } from '../../test/torch-files.js';
import { memorySource } from '../files/byte-source.js';
import { readZipDirectory, zipEntryRange } from '../files/zip-reader.js';
import { loadTorch, tensorScalar, tensorToFloat32, TorchTensor } from './torch-load.js';
import { inputError } from '../../test/helpers/input-error.js';

const data = Float32Array.from({ length: 12 }, (_, i) => i * 1.5 - 3);
const source = (bytes: Uint8Array, name = 'state.pt') => memorySource(bytes, name);

/** Build a file of each container holding {w: tensor [3, 4], s: a 0-d tensor}. */
function files(storage: StorageData = f32Storage(data), layout: { stride?: number[]; offset?: number; shape?: number[] } = {}): Record<string, Uint8Array> {
  const shape = layout.shape ?? [3, 4];
  const object = (mode: StorageMode): Py => new Map<Py, Py>([
    ['w', tensor(storage, shape, mode, { stride: layout.stride, offset: layout.offset })],
    ['s', tensor(f32Storage(new Float32Array([7])), [], mode, { parameter: false })],
  ]);
  const zip: StorageMode & { kind: 'persistent' } = { kind: 'persistent', storages: [] };
  const zipObject = object(zip);
  const legacy: StorageMode & { kind: 'persistent' } = { kind: 'persistent', storages: [] };
  const legacyObject = object(legacy);
  return {
    zip: torchZip(zipObject, zip.storages),
    legacy: concat(legacyStream(legacy.storages, legacyObject)),
    pickle: concat(pickle(object({ kind: 'inline' }))),
  };
}

describe('loadTorch', () => {
  for (const [container, bytes] of Object.entries(files())) {
    it(`reads tensors from the ${container} container`, () => {
      const { format, root } = loadTorch(source(bytes));
      expect(format).toBe(container);
      const w = (root as Map<string, TorchTensor>).get('w')!;
      expect(w).toBeInstanceOf(TorchTensor);
      expect(w.isParameter).toBe(true);
      expect(w.shape).toEqual([3, 4]);
      expect(tensorToFloat32(w, 'w')).toEqual(data);
      expect(tensorScalar((root as Map<string, TorchTensor>).get('s')!, 's')).toBe(7);
    });
  }

  it('converts half, bfloat16 and integer storages to float32', () => {
    const half = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7c00]); // 1, -2, 0.5, inf
    const bf16 = Uint16Array.from([0x3f80, 0xc000, 0x3f00, 0x0000]);
    const i64 = BigInt64Array.from([1n, -2n, 3n, 4n]);
    const cases: [StorageData, number[]][] = [
      [{ type: 'HalfStorage', numel: 4, bytes: new Uint8Array(half.buffer) }, [1, -2, 0.5, Infinity]],
      [{ type: 'BFloat16Storage', numel: 4, bytes: new Uint8Array(bf16.buffer) }, [1, -2, 0.5, 0]],
      [{ type: 'LongStorage', numel: 4, bytes: new Uint8Array(i64.buffer) }, [1, -2, 3, 4]],
    ];
    for (const [storage, expected] of cases) {
      const { root } = loadTorch(source(files(storage, { shape: [2, 2] }).zip));
      const w = (root as Map<string, TorchTensor>).get('w')!;
      expect([...tensorToFloat32(w, 'w')]).toEqual(expected);
    }
  });

  it('gathers strided views (a transposed matrix at an offset)', () => {
    // storage = [x, then a 4x3 matrix]; w = its transpose, shape [3, 4], stride [1, 3], offset 1.
    const storage = Float32Array.from({ length: 13 }, (_, i) => i);
    const { root } = loadTorch(source(files(f32Storage(storage), { stride: [1, 3], offset: 1 }).legacy));
    const w = (root as Map<string, TorchTensor>).get('w')!;
    expect(w.isContiguous).toBe(false);
    expect([...tensorToFloat32(w, 'w')]).toEqual([1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
  });

  it('refuses a tensor reaching past its storage', () => {
    inputError(() => loadTorch(source(files(f32Storage(data), { shape: [4, 4] }).zip)), 'reaches past its storage of 12 elements');
    const ones = new Array<number>(30).fill(1);
    const message = inputError(() => loadTorch(source(files(f32Storage(Float32Array.of(5)), { shape: ones, stride: ones, offset: 1 }).zip)), 'tensor [1, 1, 1,');
    expect(message.length).toBeLessThan(300); // 30 dimensions and strides, cut short
  });

  it('keeps small expanded tensors (stride 0) and refuses one claiming 2^26 elements of a 1-element storage', () => {
    const { root } = loadTorch(source(files(f32Storage(Float32Array.of(5)), { shape: [2, 3], stride: [0, 0] }).zip));
    expect([...tensorToFloat32((root as Map<string, TorchTensor>).get('w')!, 'w')]).toEqual([5, 5, 5, 5, 5, 5]);
    inputError(() => loadTorch(source(files(f32Storage(Float32Array.of(5)), { shape: [2 ** 26], stride: [0] }).zip)), 'state.pt', 'repeats its storage of 1 elements to 67108864; corrupt');
  });

  it('names a storage entry missing from the archive', () => {
    const zip = readZipDirectory(source(files().zip));
    const kept: Record<string, Uint8Array> = {};
    for (const entry of zip) if (!entry.name.endsWith('data/0')) kept[entry.name] = zipEntryRange(source(files().zip), entry).bytes().slice();
    inputError(() => loadTorch(source(zipSync(kept, { level: 0 }))), 'state.pt', 'training-state/data/0 is not in the archive');
  });

  it('refuses big-endian files and unknown containers', () => {
    const bigEndian = zipSync({ 'a/data.pkl': concat(pickle(1, 2)), 'a/byteorder': new TextEncoder().encode('big') }, { level: 0 });
    inputError(() => loadTorch(source(bigEndian)), 'big-endian');
    inputError(() => loadTorch(source(new TextEncoder().encode('hello world'))), 'state.pt: not a pickle', '68 65 6c 6c');
    inputError(() => loadTorch(source(zipSync({ 'x.txt': new Uint8Array(3) }))), 'without data.pkl');
  });

  it('reads deflated entries too (fflate)', () => {
    const files0 = readZipDirectory(source(files().zip));
    const deflated: Record<string, Uint8Array> = {};
    for (const entry of files0) deflated[entry.name] = zipEntryRange(source(files().zip), entry).bytes().slice();
    const { root } = loadTorch(source(zipSync(deflated, { level: 6 })));
    expect(tensorToFloat32((root as Map<string, TorchTensor>).get('w')!, 'w')).toEqual(data);
  });

  it('refuses a storage stream nested inside a storage stream', () => {
    const fromBytes = (bytes: Uint8Array) => new Reduce(new Global('torch.storage', '_load_from_bytes'), new Tuple([bytes]));
    const innermost = concat(legacyStream([['0', f32Storage(data)]], null));
    const nested = fromBytes(concat(legacyStream([], fromBytes(innermost))));
    inputError(() => loadTorch(source(concat(pickle(nested)))), 'state.pt', 'a storage inside a storage');
  });
});
