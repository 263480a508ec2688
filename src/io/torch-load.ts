// torch.save files and EDM pickles as inert data, without torch: storages, tensors and the object graph.
// Three containers (torch/serialization.py): the ZIP format (`archive/data.pkl` + `archive/data/N`), the
// legacy stream (magic, protocol, sys_info, object, storage keys, raw storages), and plain pickles whose
// storages are `torch.storage._load_from_bytes(legacy stream)` (EDM's network-snapshot-*.pkl).
import { ByteRange, type ByteSource } from '../files/byte-source.js';
import { isZip, readZipDirectory, zipEntryRange } from '../files/zip-reader.js';
import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';
import { describe, PickleCallError, PickleClass, PickleFunction, unpickle } from './pickle.js';
import { DTYPE_BYTES, toFloat32, toFloat64, type SafetensorsDType } from './safetensors.js';

// ---------------------------------------------------------------------------------------------------------
// Storages and tensors

/** torch storage classes and the element type of each. */
const STORAGE_DTYPES: Record<string, SafetensorsDType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

/** A storage: a flat run of `numel` elements; its bytes are a range of the file, read only when needed. */
export class TorchStorage {
  /** Set once the container says where the bytes are (legacy streams place them after the pickle). */
  data: ByteRange | undefined = undefined;

  constructor(
    readonly dtype: SafetensorsDType,
    readonly numel: number,
    readonly key: string,
  ) {}
}

/** A tensor: a strided view of a storage, as `torch._utils._rebuild_tensor_v2` describes it. */
export class TorchTensor {
  /** Rebuilt by `_rebuild_parameter` (an nn.Parameter) rather than as a plain tensor. */
  isParameter = false;

  constructor(
    readonly storage: TorchStorage,
    /** Offset of element [0, ..., 0] in the storage, in elements. */
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}

  get dtype(): SafetensorsDType {
    return this.storage.dtype;
  }

  get numel(): number {
    return numel(this.shape);
  }

  /** Row-major with no gaps (dimensions of size 1 may have any stride). */
  get isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.stride[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }
}

/** The tensor's elements in row-major order, as raw little-endian bytes of its dtype (read from the file now). */
export function tensorBytes(t: TorchTensor): Uint8Array {
  const { storage } = t;
  if (!storage.data) throw new InputError(`storage ${printable(storage.key)} is referenced but its data is not in the file; truncated or corrupt`);
  const item = DTYPE_BYTES[t.dtype];
  const n = t.numel;
  if (n === 0) return new Uint8Array(0);
  if (t.isContiguous) return storage.data.slice(t.offset * item, n * item).bytes();
  const span = lastIndex(t) - t.offset + 1;
  const src = storage.data.slice(t.offset * item, span * item).bytes();
  const out = new Uint8Array(n * item);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (let d = 0; d < index.length; d++) at += index[d] * t.stride[d];
    out.set(src.subarray(at * item, at * item + item), i * item);
    for (let d = index.length - 1; d >= 0 && ++index[d] === t.shape[d]; d--) index[d] = 0;
  }
  return out;
}

/** The tensor as float32 (F16, BF16 and integers converted). `name` is for error messages. */
export function tensorToFloat32(t: TorchTensor, name: string): Float32Array {
  return toFloat32({ dtype: t.dtype, shape: [...t.shape], data: tensorBytes(t) }, name);
}

/** The value of a one-element tensor (an optimizer step count, say). */
export function tensorScalar(t: TorchTensor, name: string): number {
  if (t.numel !== 1) throw new InputError(`${name} is a tensor of shape ${dims(t.shape)}; expected a single number`);
  return toFloat64({ dtype: t.dtype, shape: [...t.shape], data: tensorBytes(t) }, name)[0];
}

/** A size or stride for a message: up to 32 numbers of up to 16 digits each, so cut short. */
const dims = (values: readonly number[]) => printable(`[${values.join(', ')}]`, 60);

/** Storage index of the last element a tensor reaches. */
function lastIndex(t: { offset: number; shape: readonly number[]; stride: readonly number[] }): number {
  return t.shape.reduce((at, d, i) => at + (d - 1) * t.stride[i], t.offset);
}

// ---------------------------------------------------------------------------------------------------------
// The torch part of the allow-list

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Most elements a tensor may have beyond those of its storage (by zero strides): 2^24, 64 MB of float32. */
const MAX_EXPANDED = 2 ** 24;

function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
  if (!(storage instanceof TorchStorage)) throw new PickleCallError(`storage is ${describe(storage)}; expected a torch storage`);
  if (!isCount(offset)) throw new PickleCallError(`storage offset ${String(offset)} is not a count`);
  if (!Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length || size.length > 32 || !size.every(isCount) || !stride.every(isCount)) {
    throw new PickleCallError('size and stride must be tuples of counts of equal length');
  }
  const count = numel(size);
  if (!Number.isSafeInteger(count)) throw new PickleCallError(`size ${dims(size)} is impossibly large`);
  const t = new TorchTensor(storage, offset, size, stride);
  if (count > 0 && lastIndex(t) >= storage.numel) {
    throw new PickleCallError(`tensor ${dims(size)} with stride ${dims(stride)} at offset ${offset} reaches past its storage of ${storage.numel} elements`);
  }
  // Zero strides repeat elements (torch's expand), so a tiny storage could claim any number of them; reading
  // the tensor makes them all. Real expanded tensors are small; a huge one is a damaged size or stride.
  if (count > storage.numel && count > MAX_EXPANDED) {
    throw new PickleCallError(`tensor ${dims(size)} with stride ${dims(stride)} repeats its storage of ${storage.numel} elements to ${count}; corrupt`);
  }
  return t;
}

function asParameter(data: unknown): TorchTensor {
  if (!(data instanceof TorchTensor)) throw new PickleCallError(`data is ${describe(data)}; expected a tensor`);
  data.isParameter = true;
  return data;
}

/** Nesting of `_load_from_bytes` (a storage stream inside a storage stream is refused). */
let legacyDepth = 0;

const fn = (qualname: string, call: (args: readonly unknown[]) => unknown): [string, PickleFunction] => [qualname, new PickleFunction(qualname, call)];

/** The torch globals a checkpoint may use: tensor and parameter rebuilding, storages and a few plain values. */
export const TORCH_GLOBALS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  fn('torch._utils._rebuild_tensor_v2', ([storage, offset, size, stride]) => rebuildTensor(storage, offset, size, stride)),
  fn('torch._utils._rebuild_tensor', ([storage, offset, size, stride]) => rebuildTensor(storage, offset, size, stride)),
  fn('torch._utils._rebuild_parameter', ([data]) => asParameter(data)),
  fn('torch._utils._rebuild_parameter_with_state', ([data]) => asParameter(data)),
  fn('torch._tensor._rebuild_from_type_v2', ([func, , args]) => {
    if (!(func instanceof PickleFunction) || !Array.isArray(args)) throw new PickleCallError('expected (function, type, args, state)');
    return func.call(args);
  }),
  fn('torch.storage._load_from_bytes', ([bytes]) => {
    if (!(bytes instanceof ByteRange)) throw new PickleCallError(`argument is ${describe(bytes)}; expected bytes`);
    if (legacyDepth > 0) throw new PickleCallError('a storage inside a storage; corrupt');
    legacyDepth++;
    try {
      return loadLegacy(bytes.asSource(`${bytes.source.name} (storage at byte ${bytes.offset})`));
    } finally {
      legacyDepth--;
    }
  }),
  fn('torch.device', (args) => args.join(':')),
  fn('torch.Size', ([dims]) => (Array.isArray(dims) ? Object.freeze([...dims]) : Object.freeze([]))),
  ...Object.keys(STORAGE_DTYPES).map((name): [string, PickleClass] => [`torch.${name}`, new PickleClass('torch', name)]),
  ...['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].map((name): [string, string] => [`torch.${name}`, `torch.${name}`]),
]);

/** A storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel[, view]). */
function storageFromPid(pid: unknown, storages: Map<string, TorchStorage>): TorchStorage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new PickleCallError(`persistent id ${describe(pid)} is not a torch storage`);
  const [, type, key, , numel, view] = pid;
  const dtype = type instanceof PickleClass && type.module === 'torch' ? STORAGE_DTYPES[type.name] : undefined;
  if (!dtype) throw new PickleCallError(`storage type ${describe(type)}; expected one of torch.${Object.keys(STORAGE_DTYPES).join(', torch.')}`);
  if (typeof key !== 'string' || !isCount(numel)) throw new PickleCallError('storage key or size is malformed');
  if (view != null) throw new PickleCallError('storage views (files from torch before 1.0) are not supported');
  let storage = storages.get(key);
  if (!storage) {
    storage = new TorchStorage(dtype, numel, key);
    storages.set(key, storage);
  } else if (storage.dtype !== dtype || storage.numel !== numel) {
    throw new PickleCallError(`storage ${printable(key)} is described twice, differently`);
  }
  return storage;
}

// ---------------------------------------------------------------------------------------------------------
// Containers

/** What a torch file holds: the unpickled root object (tensors are TorchTensor) and which container it was. */
export interface TorchFile {
  format: 'zip' | 'legacy' | 'pickle';
  root: unknown;
}

/** The magic number that opens a legacy torch.save stream. */
const MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * Read a torch checkpoint of any of the three containers. Tensor data stays in the file until
 * `tensorBytes` asks for it. Throws InputError naming the file for anything malformed or not allowed.
 */
export function loadTorch(src: ByteSource): TorchFile {
  if (isZip(src)) return { format: 'zip', root: loadZip(src) };
  const head = src.read(0, Math.min(src.size, 4));
  // A legacy stream starts with a pickle of just the magic number (PROTO 2, LONG1 ..., STOP).
  if (head[0] === 0x80 && head[2] === 0x8a && head[3] <= 16 && unpickle(src).value === MAGIC) return { format: 'legacy', root: loadLegacy(src) };
  if (head[0] === 0x80) return { format: 'pickle', root: unpickle(src, { globals: TORCH_GLOBALS }).value };
  const hex = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new InputError(`${src.name}: not a pickle, torch.save ZIP or legacy torch.save file (starts with ${hex || 'nothing'})`);
}

/** torch.save's ZIP format: one pickle whose persistent ids name the entries `data/<key>`. */
function loadZip(src: ByteSource): unknown {
  const entries = new Map(readZipDirectory(src).map((e) => [e.name, e]));
  const pkl = [...entries.keys()].find((name) => /^([^/]+\/)?data\.pkl$/.test(name));
  if (!pkl) throw new InputError(`${src.name}: ZIP archive without data.pkl; not a torch.save file`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(zipEntryRange(src, byteorder).bytes()).trim() !== 'little') {
    throw new InputError(`${src.name}: saved on a big-endian machine; only little-endian files are read`);
  }
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown) => {
    const known = Array.isArray(pid) && typeof pid[2] === 'string' && storages.has(pid[2]);
    const storage = storageFromPid(pid, storages);
    if (!known) {
      const entry = entries.get(`${prefix}data/${storage.key}`);
      if (!entry) throw new InputError(`${src.name}: storage ${printable(storage.key)} is used but ${printable(`${prefix}data/${storage.key}`)} is not in the archive; truncated?`);
      const range = zipEntryRange(src, entry);
      const needed = storage.numel * DTYPE_BYTES[storage.dtype];
      if (range.length < needed) throw new InputError(`${src.name}: ${printable(entry.name)} holds ${range.length} bytes but ${storage.numel} ${storage.dtype} elements need ${needed}; truncated`);
      storage.data = range.slice(0, needed);
    }
    return storage;
  };
  return unpickle(zipEntryRange(src, entries.get(pkl)!).asSource(), { globals: TORCH_GLOBALS, persistentLoad }).value;
}

/** The legacy torch.save stream: five pickles, then each storage as an int64 element count and its bytes. */
function loadLegacy(src: ByteSource): unknown {
  let at = 0;
  const next = (options: Parameters<typeof unpickle>[1] = {}) => {
    const r = unpickle(src, { ...options, offset: at });
    at = r.end;
    return r.value;
  };
  const bad = (message: string) => new InputError(`${src.name}: ${message}`);
  if (next() !== MAGIC) throw bad('bad magic number; not a torch.save stream');
  const protocol = next();
  if (protocol !== 1001) throw bad(`torch.save protocol ${String(protocol)}; expected 1001`);
  const sysInfo = next();
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) throw bad('saved on a big-endian machine; only little-endian files are read');
  const storages = new Map<string, TorchStorage>();
  const root = next({ globals: TORCH_GLOBALS, persistentLoad: (pid) => storageFromPid(pid, storages) });
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw bad('the storage key list is malformed; corrupt');
  for (const key of keys as string[]) {
    const storage = storages.get(key);
    if (!storage) throw bad(`storage ${printable(key)} is listed but never used; corrupt`);
    if (at + 8 > src.size) throw bad('the file ends inside the storage data; truncated');
    const header = src.read(at, 8);
    const numel = new DataView(header.buffer, header.byteOffset, 8).getBigUint64(0, true);
    if (numel !== BigInt(storage.numel)) throw bad(`storage ${printable(key)} holds ${numel} elements but the pickle says ${storage.numel}; corrupt`);
    const length = storage.numel * DTYPE_BYTES[storage.dtype];
    if (at + 8 + length > src.size) throw bad(`storage ${printable(key)} (${length} bytes) runs past the end; truncated`);
    storage.data = new ByteRange(src, at + 8, length);
    at += 8 + length;
  }
  return root;
}
