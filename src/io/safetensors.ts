// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
// JSON header, then the raw little-endian tensor data. Platform-neutral: parses and builds byte buffers only.
// Typed-array views assume a little-endian host, which every platform Node and browsers ship on is.

import { InputError, printable } from '../errors.js';
import { numel } from '../graph/ops.js';

/** The element types this package reads and writes (a subset of the safetensors dtypes). */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Largest header accepted, as in the reference implementation (guards against reading garbage lengths). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as stored: raw little-endian bytes, a view into the file buffer (not a copy). */
export interface StoredTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Uint8Array;
}

/** A tensor to write: any typed array (or other view) whose bytes are already in `dtype` layout. */
export interface TensorEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data: ArrayBufferView;
}

/** A tensor to write one at a time: its header entry up front, its bytes (in `dtype` layout) made when written. */
export interface StreamedTensor {
  dtype: SafetensorsDType;
  shape: readonly number[];
  bytes: () => Uint8Array | Promise<Uint8Array>;
}

/** The parsed header of a safetensors file. */
export interface SafetensorsHeader {
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
  /** Tensors in data-section order; `begin`/`end` are byte offsets relative to the data section. */
  tensors: Map<string, { dtype: SafetensorsDType; shape: number[]; begin: number; end: number }>;
  /** Where the data section starts in the file: 8 + header length. */
  dataOffset: number;
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/**
 * Parse and validate the header. `bytes` needs only the first 8 + N bytes of the file; pass `fileSize` when
 * `bytes` is such a prefix, so offsets can be checked against the whole file. Throws InputError naming `source`.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, source: string, fileSize = bytes.length): SafetensorsHeader {
  if (isCutHeader(bytes.subarray(0, 9), fileSize)) {
    const what = fileSize < 8 ? `file is ${fileSize} bytes, too short for the 8-byte header length`
      : `header length ${new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)} exceeds the file size (${formatBytes(fileSize)})`;
    throw new InputError(`${source}: truncated header: ${what}`);
  }
  if (fileSize < 8) throw new InputError(`${source}: file is ${fileSize} bytes, too short for the 8-byte header length; not safetensors`);
  if (bytes.length < 8) throw new Error(`internal: parseSafetensorsHeader(${source}) needs at least 8 bytes, got ${bytes.length}`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const bad = `${source}: header length ${headerLength} exceeds the`;
  if (headerLength > BigInt(fileSize - 8)) throw new InputError(`${bad} file size (${formatBytes(fileSize)}); truncated or not safetensors`);
  if (headerLength > MAX_HEADER_BYTES) throw new InputError(`${bad} ${formatBytes(MAX_HEADER_BYTES)} limit; not safetensors`);
  const dataOffset = 8 + Number(headerLength);
  if (bytes.length < dataOffset) {
    throw new Error(`internal: parseSafetensorsHeader(${source}) needs the first ${dataOffset} bytes, got ${bytes.length}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataOffset)));
  } catch (e) {
    const reason = (e as Error).message.replace(/\s+/g, ' '); // keep the error on one line
    throw new InputError(`${source}: header is not valid UTF-8 JSON (${reason}); not safetensors`);
  }
  if (!isRecord(json)) throw new InputError(`${source}: header is not a JSON object; not safetensors`);

  const dataBytes = fileSize - dataOffset;
  const tensors: SafetensorsHeader['tensors'] = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') metadata = checkMetadata(info, source);
    else tensors.set(name, checkTensorInfo(info, `${source}: tensor "${printable(name)}"`, dataBytes));
  }
  // Order by position in the data section (the writing order) and reject overlaps; gaps are tolerated.
  const sorted = [...tensors].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let prev: [string, { begin: number; end: number }] | undefined; // the last non-empty tensor
  for (const [name, t] of sorted) {
    if (t.begin === t.end) continue;
    if (prev && t.begin < prev[1].end) {
      const [prevName, p] = prev;
      throw new InputError(`${source}: tensors "${printable(prevName)}" [${p.begin}, ${p.end}) and "${printable(name)}" [${t.begin}, ${t.end}) overlap`);
    }
    prev = [name, t];
  }
  return { metadata, tensors: new Map(sorted), dataOffset };
}

/**
 * Whether a file of `fileSize` bytes that starts with `head` (at least its first min(9, fileSize) bytes) is a
 * safetensors file cut short inside its header: a header length that the file does not hold yet is
 * plausible (non-zero, within MAX_HEADER_BYTES, missing bytes read as zero), and the JSON header's "{"
 * follows it where the file reaches that far.
 */
export function isCutHeader(head: Uint8Array, fileSize: number): boolean {
  if (fileSize === 0 || head.length < Math.min(9, fileSize)) return false;
  let length = 0n;
  for (let i = 0; i < Math.min(8, fileSize); i++) length |= BigInt(head[i]) << BigInt(8 * i);
  if (length === 0n || length > BigInt(MAX_HEADER_BYTES)) return false;
  return fileSize <= 8 || (8n + length > BigInt(fileSize) && head[8] === 0x7b);
}

/** Parse a whole safetensors file held in memory. Tensor data are views into `bytes`. */
export function parseSafetensors(bytes: Uint8Array, source: string): { metadata: Record<string, string>; tensors: Map<string, StoredTensor> } {
  const { metadata, tensors, dataOffset } = parseSafetensorsHeader(bytes, source);
  const out = new Map<string, StoredTensor>();
  for (const [name, { dtype, shape, begin, end }] of tensors) {
    out.set(name, { dtype, shape, data: bytes.subarray(dataOffset + begin, dataOffset + end) });
  }
  return { metadata, tensors: out };
}

function checkMetadata(value: unknown, source: string): Record<string, string> {
  if (!isRecord(value)) throw new InputError(`${source}: __metadata__ is ${describe(value)}; expected a map of strings to strings`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InputError(`${source}: __metadata__ key "${printable(key)}" is ${describe(v)}; expected a string`);
  }
  return value as Record<string, string>;
}

function checkTensorInfo(info: unknown, where: string, dataBytes: number): { dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  if (!isRecord(info)) throw new InputError(`${where} is ${describe(info)}; expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw new InputError(`${where} has dtype ${shown(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new InputError(`${where} has shape ${shown(shape)}; expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[1] < offsets[0]) {
    throw new InputError(`${where} has data_offsets ${shown(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataBytes) {
    throw new InputError(`${where} has data_offsets [${begin}, ${end}] past the end of the data section (${dataBytes} bytes); truncated?`);
  }
  const d = dtype as SafetensorsDType;
  const needed = byteLength(d, shape);
  if (end - begin !== needed) {
    throw new InputError(`${where} holds ${end - begin} bytes but ${d} ${formatShape(shape)} needs ${needed}`);
  }
  return { dtype: d, shape, begin, end };
}

// ---------------------------------------------------------------------------------------------------------
// Converting

/** Elements as float32. F32 data that is 4-byte aligned comes back as a view sharing the file buffer. */
export function toFloat32(t: StoredTensor, name: string): Float32Array {
  checkDataLength(t, name);
  const { dtype, data } = t;
  if (dtype === 'F32') return new Float32Array(...aligned(data, 4), data.byteLength / 4);
  if (dtype === 'F16' || dtype === 'BF16') {
    const halves = new Uint16Array(...aligned(data, 2), data.byteLength / 2);
    if (dtype === 'BF16') return new Float32Array(Uint32Array.from(halves, (h) => h << 16).buffer); // top half of an f32
    return Float32Array.from(halves, halfToFloat);
  }
  const values = integerOrF64View(t);
  return values instanceof BigInt64Array ? Float32Array.from(values, Number) : new Float32Array(values);
}

/** Elements as float64. F64 data that is 8-byte aligned comes back as a view sharing the file buffer. */
export function toFloat64(t: StoredTensor, name: string): Float64Array {
  checkDataLength(t, name);
  const { dtype, data } = t;
  if (dtype === 'F64') return new Float64Array(...aligned(data, 8), data.byteLength / 8);
  if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16') return new Float64Array(toFloat32(t, name)); // exact
  const values = integerOrF64View(t);
  return values instanceof BigInt64Array ? Float64Array.from(values, Number) : new Float64Array(values);
}

/** IEEE 754 binary16 bits -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

function integerOrF64View({ dtype, data }: StoredTensor): Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array {
  const n = data.byteLength / DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'F64': return new Float64Array(...aligned(data, 8), n);
    case 'I64': return new BigInt64Array(...aligned(data, 8), n);
    case 'I32': return new Int32Array(...aligned(data, 4), n);
    case 'I16': return new Int16Array(...aligned(data, 2), n);
    case 'I8': return new Int8Array(data.buffer, data.byteOffset, n);
    case 'U8': case 'BOOL': return data;
    default: throw new Error(`internal: integerOrF64View got ${dtype}`);
  }
}

/** (buffer, byteOffset) of `data`, copied into a fresh buffer when not aligned to `align` bytes. */
function aligned(data: Uint8Array, align: number): [ArrayBufferLike, number] {
  return data.byteOffset % align === 0 ? [data.buffer, data.byteOffset] : [data.slice().buffer, 0];
}

function checkDataLength({ dtype, shape, data }: StoredTensor, name: string): void {
  const needed = byteLength(dtype, shape);
  if (data.byteLength !== needed) {
    throw new InputError(`tensor "${printable(name)}" holds ${data.byteLength} bytes but ${dtype} ${formatShape(shape)} needs ${needed}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** An F32 entry for serializeSafetensors. */
export function f32(shape: number[], data: Float32Array): TensorEntry {
  return { dtype: 'F32', shape, data };
}

/** An F64 entry for serializeSafetensors. */
export function f64(shape: number[], data: Float64Array): TensorEntry {
  return { dtype: 'F64', shape, data };
}

/**
 * Build a safetensors file: tensors contiguous in the given order, the header padded with spaces so the data
 * section starts on an 8-byte boundary (as the reference implementation does).
 * @example serializeSafetensors([['w', f32([2, 2], new Float32Array(4))]], { step: '100' })
 */
export function serializeSafetensors(tensors: Iterable<[string, TensorEntry]>, metadata: Record<string, string> = {}): Uint8Array {
  const list = [...tensors];
  for (const [name, { dtype, shape, data }] of list) {
    const needed = byteLength(dtype, shape);
    if (data.byteLength !== needed) {
      throw new Error(`serializeSafetensors: tensor "${name}" has ${data.byteLength} bytes but ${dtype} ${formatShape(shape)} needs ${needed}`);
    }
  }
  const { prefix, dataBytes } = safetensorsPrefix(list, metadata);
  const out = new Uint8Array(prefix.length + dataBytes);
  out.set(prefix);
  let at = prefix.length;
  for (const [, { data }] of list) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

/**
 * Everything before the data section (the 8-byte length and the JSON header, padded to 8 bytes) for tensors
 * that will follow contiguously in the given order, and the size of that data section. Lets a writer stream
 * the tensors one by one instead of building the file in memory.
 */
export function safetensorsPrefix(tensors: Iterable<[string, { dtype: SafetensorsDType; shape: readonly number[] }]>, metadata: Record<string, string> = {}): { prefix: Uint8Array; dataBytes: number } {
  const header: [string, unknown][] = Object.keys(metadata).length ? [['__metadata__', metadata]] : [];
  const seen = new Set<string>();
  let offset = 0;
  for (const [name, { dtype, shape }] of tensors) {
    if (name === '__metadata__' || seen.has(name)) throw new Error(`serializeSafetensors: tensor name "${name}" is reserved or repeated`);
    seen.add(name);
    const needed = byteLength(dtype, shape);
    header.push([name, { dtype, shape, data_offsets: [offset, offset + needed] }]);
    offset += needed;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header))); // fromEntries: "__proto__" stays a key
  const headerLength = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + headerLength);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerLength), true);
  prefix.set(json, 8);
  prefix.fill(0x20, 8 + json.length);
  return { prefix, dataBytes: offset };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function byteLength(dtype: SafetensorsDType, shape: readonly number[]): number {
  return numel(shape) * DTYPE_BYTES[dtype];
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null || Array.isArray(x)) return x === null ? 'null' : 'an array';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/** A JSON value from the header as it may appear in a one-line message: escaped and cut short. */
function shown(x: unknown): string {
  return printable(JSON.stringify(x) ?? String(x), 60);
}

function formatShape(shape: readonly number[]): string {
  return printable(`[${shape.join(', ')}]`, 60);
}

/** 2100000 -> "2.1 MB" (decimal units). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const i = Math.min(Math.floor(Math.log10(n) / 3), 4);
  return `${(n / 1000 ** i).toFixed(1)} ${['', 'kB', 'MB', 'GB', 'TB'][i]}`;
}
