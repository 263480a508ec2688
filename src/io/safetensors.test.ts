// Tests for the safetensors reader/writer (safetensors.ts) and its Node file helpers (safetensors-file.ts).

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  f32, f64, halfToFloat, parseSafetensors, parseSafetensorsHeader, serializeSafetensors, toFloat32, toFloat64,
  type StoredTensor, type TensorEntry,
} from './safetensors.js';
import { readSafetensorsFile, readSafetensorsHeaderFile, writeSafetensorsFile } from './safetensors-file.js';
import { inputError } from '../../test/helpers/input-error.js';

const golden = fileURLToPath(new URL('../../test/reference/forward_pg3.safetensors', import.meta.url));

/** A file with the given header text (or object) followed by `dataBytes` zero bytes. */
function rawFile(header: string | object, dataBytes = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('serialize and parse', () => {
  const entries: [string, TensorEntry][] = [
    ['w.f64', f64([2], new Float64Array([1.5, -1e300]))],
    ['w.f32', f32([2, 3], new Float32Array([0, 1, -2, 3.5, 1e-30, 7]))],
    ['w.f16', { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x3555]) }],
    ['w.bf16', { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4049]) }],
    ['n.i64', { dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) }],
    ['n.i32', { dtype: 'I32', shape: [1, 2], data: new Int32Array([-7, 2 ** 30]) }],
    ['n.i16', { dtype: 'I16', shape: [2], data: new Int16Array([-300, 300]) }],
    ['n.i8', { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) }],
    ['n.u8', { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }],
    ['mask', { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['scalar', f32([], new Float32Array([42]))],
    ['empty', f32([0, 3], new Float32Array(0))],
    ['10', f32([1], new Float32Array([10]))], // integer-like names: JSON key order differs from file order
    ['2', f32([1], new Float32Array([2]))],
  ];
  const metadata = { case: 'rt', step: '100', 'ünïcode': 'ok ✓' };

  it('round-trips bytes, shapes, dtypes, order and metadata', () => {
    const parsed = parseSafetensors(serializeSafetensors(entries, metadata), 'rt.safetensors');
    expect(parsed.metadata).toEqual(metadata);
    expect([...parsed.tensors.keys()]).toEqual(entries.map(([name]) => name));
    for (const [name, { dtype, shape, data }] of entries) {
      const t = parsed.tensors.get(name)!;
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual(shape);
      expect(t.data).toEqual(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });

  it('converts every dtype to float32 and float64', () => {
    const { tensors } = parseSafetensors(serializeSafetensors(entries), 'rt.safetensors');
    const get = (name: string): StoredTensor => tensors.get(name)!;
    expect([...toFloat64(get('w.f64'), 'w.f64')]).toEqual([1.5, -1e300]);
    expect([...toFloat32(get('w.f64'), 'w.f64')]).toEqual([1.5, -Infinity]);
    expect(toFloat32(get('w.f32'), 'w.f32')).toEqual(new Float32Array([0, 1, -2, 3.5, 1e-30, 7]));
    expect([...toFloat64(get('w.f16'), 'w.f16')]).toEqual([1, -2, 0.333251953125]);
    expect([...toFloat32(get('w.bf16'), 'w.bf16')]).toEqual([1, 3.140625]);
    expect([...toFloat32(get('n.i64'), 'n.i64')]).toEqual([-5, 2 ** 40]);
    expect([...toFloat64(get('n.i32'), 'n.i32')]).toEqual([-7, 2 ** 30]);
    expect([...toFloat32(get('n.i16'), 'n.i16')]).toEqual([-300, 300]);
    expect([...toFloat32(get('n.i8'), 'n.i8')]).toEqual([-128, 0, 127]);
    expect([...toFloat64(get('n.u8'), 'n.u8')]).toEqual([0, 255]);
    expect([...toFloat32(get('mask'), 'mask')]).toEqual([1, 0, 1]);
    expect([...toFloat32(get('scalar'), 'scalar')]).toEqual([42]);
    expect(toFloat32(get('empty'), 'empty').length).toBe(0);
  });

  it('starts the data section on an 8-byte boundary, padding the header with spaces', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = serializeSafetensors([[name, f32([1], new Float32Array([1]))]]);
      const { dataOffset } = parseSafetensorsHeader(bytes, 'pad.safetensors');
      expect(dataOffset % 8).toBe(0);
      expect(bytes.length).toBe(dataOffset + 4);
      const header = new TextDecoder().decode(bytes.subarray(8, dataOffset));
      expect(header.trimEnd()).toBe(JSON.stringify({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
      expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    }
  });

  it('returns a view into the buffer for aligned F32 and a correct copy when unaligned', () => {
    const bytes = serializeSafetensors([['x', f32([2], new Float32Array([1, 2]))]]);
    const t = parseSafetensors(bytes, 'x.safetensors').tensors.get('x')!;
    expect(toFloat32(t, 'x').buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(t.data.length + 1);
    shifted.set(t.data, 1);
    const unaligned: StoredTensor = { dtype: 'F32', shape: [2], data: shifted.subarray(1) };
    expect([...toFloat32(unaligned, 'x')]).toEqual([1, 2]);
    expect([...toFloat64({ ...unaligned, dtype: 'I32' }, 'x')]).toEqual([0x3f800000, 0x40000000]);
  });

  it('omits __metadata__ when there is none, and rejects bad tensors on write', () => {
    const text = new TextDecoder().decode(serializeSafetensors([]));
    expect(text.slice(8).trim()).toBe('{}');
    expect(() => serializeSafetensors([['x', f32([2, 2], new Float32Array(3))]])).toThrow('tensor "x" has 12 bytes but F32 [2, 2] needs 16');
    expect(() => serializeSafetensors([['x', f32([1], new Float32Array(1))], ['x', f32([1], new Float32Array(1))]])).toThrow('"x"');
    expect(() => serializeSafetensors([['__metadata__', f32([1], new Float32Array(1))]])).toThrow('__metadata__');
  });
});

describe('half-precision decoding', () => {
  it('decodes F16 bit patterns', () => {
    const cases: [number, number][] = [
      [0x3c00, 1], [0xc000, -2], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7bff, 65504], [0x3555, 0.333251953125],
      [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x0000, 0],
    ];
    for (const [bits, value] of cases) expect(halfToFloat(bits)).toBe(value);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
    const t: StoredTensor = { dtype: 'F16', shape: [4], data: new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]).buffer) };
    expect([...toFloat32(t, 'h')]).toEqual([1, -2, Infinity, 2 ** -24]);
  });

  it('decodes BF16 bit patterns', () => {
    const bits = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0xff80, 0x0001, 0x8000, 0x4049]);
    const t: StoredTensor = { dtype: 'BF16', shape: [bits.length], data: new Uint8Array(bits.buffer) };
    const values = toFloat32(t, 'b');
    expect([...values]).toEqual([1, -2, Infinity, -Infinity, 2 ** -133, -0, 3.140625]);
    expect(Object.is(values[5], -0)).toBe(true);
  });
});

describe('malformed files', () => {
  const src = 'net.safetensors';
  const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes, src);
  const tensor = (info: object, dataBytes = 16) => rawFile({ x: info }, dataBytes);

  it('rejects files too short for the header length', () => {
    inputError(parse(new Uint8Array(3)), src, 'file is 3 bytes, too short');
  });

  it('rejects a header length past the end of the file', () => {
    const bytes = new Uint8Array(2_100_000);
    new DataView(bytes.buffer).setBigUint64(0, 9_000_000_000_000_000n, true);
    inputError(parse(bytes), 'net.safetensors: header length 9000000000000000 exceeds the file size (2.1 MB); truncated or not safetensors');
    inputError(parse(rawFile('{}').subarray(0, 9)), src, 'header length 2 exceeds the file size (9 bytes)');
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, 200_000_000n, true);
    inputError(() => parseSafetensorsHeader(prefix, src, 1e9), src, 'header length 200000000 exceeds the 100.0 MB limit');
  });

  it('says "truncated header" for a file cut anywhere inside its header, and nothing else there', () => {
    const whole = serializeSafetensors([['w', f32([2], new Float32Array([1, 2]))]], { step: '7' });
    const headerEnd = 8 + Number(new DataView(whole.buffer).getBigUint64(0, true));
    for (const cut of [1, 3, 7, 8, 9, 20, headerEnd - 1]) {
      const message = inputError(parse(whole.subarray(0, cut)), `${src}: truncated header: `);
      expect(message, `cut at ${cut}`).not.toContain('not safetensors');
    }
    inputError(parse(whole.subarray(0, 5)), 'truncated header: file is 5 bytes, too short for the 8-byte header length');
    inputError(parse(whole.subarray(0, 20)), `truncated header: header length ${headerEnd - 8} exceeds the file size (20 bytes)`);
    // Not a cut safetensors file: no "{" after the length, or an implausible length.
    inputError(parse(new TextEncoder().encode('this is not a safetensors file at all')), 'not safetensors');
    inputError(parse(new Uint8Array(5)), 'file is 5 bytes, too short', 'not safetensors');
  });

  it('rejects headers that are not UTF-8 JSON objects', () => {
    const bad = rawFile('{"x"}');
    bad.set([0xff, 0xfe], 9);
    inputError(parse(bad), src, 'not valid UTF-8 JSON');
    inputError(parse(rawFile('{not json')), src, 'not valid UTF-8 JSON');
    inputError(parse(rawFile('{\n  "x": \n}')), src, 'not valid UTF-8 JSON');
    inputError(parse(rawFile('[1, 2]')), src, 'not a JSON object');
    inputError(parse(rawFile({ x: 3 })), src, 'tensor "x" is a number');
  });

  it('rejects unknown dtypes, naming the tensor', () => {
    inputError(parse(tensor({ dtype: 'U32', shape: [4], data_offsets: [0, 16] })), src, 'tensor "x"', '"U32"', 'F64, F32');
  });

  it('rejects shapes that are not non-negative integers', () => {
    for (const shape of [[-1], [1.5], '4', [4, null]]) {
      inputError(parse(tensor({ dtype: 'F32', shape, data_offsets: [0, 16] })), src, 'tensor "x"', 'shape');
    }
  });

  it('rejects bad data_offsets, naming the tensor and both numbers', () => {
    inputError(parse(tensor({ dtype: 'F32', shape: [4], data_offsets: [8, 4] })), src, 'tensor "x"', '[8,4]', 'begin <= end');
    inputError(parse(tensor({ dtype: 'F32', shape: [4], data_offsets: [0] })), src, 'tensor "x"', 'data_offsets');
    inputError(parse(tensor({ dtype: 'F32', shape: [100], data_offsets: [0, 400] })), src, 'tensor "x"', '[0, 400]', '(16 bytes)');
    inputError(parse(tensor({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] })), src, 'tensor "x" holds 12 bytes but F32 [2, 2] needs 16');
  });

  it('rejects overlapping tensors but accepts gaps', () => {
    const f32At = (begin: number) => ({ dtype: 'F32', shape: [4], data_offsets: [begin, begin + 16] });
    inputError(parse(rawFile({ a: f32At(0), b: f32At(8) }, 24)), src, '"a" [0, 16)', '"b" [8, 24)', 'overlap');
    const gappy = parseSafetensors(rawFile({ b: f32At(24), a: f32At(0) }, 48), src);
    expect([...gappy.tensors.keys()]).toEqual(['a', 'b']);
    expect(gappy.tensors.get('b')!.data.length).toBe(16);
  });

  it('rejects __metadata__ that is not a string map', () => {
    inputError(parse(rawFile({ __metadata__: { step: 100 } })), src, '__metadata__ key "step" is a number');
    inputError(parse(rawFile({ __metadata__: ['a'] })), src, '__metadata__ is an array');
  });

  it('keeps messages about long or multi-line header values short and on one line', () => {
    const message = inputError(parse(tensor({ dtype: 'F64', shape: { [' '.repeat(300)]: 1 }, data_offsets: [] })), src, 'tensor "x" has shape {"');
    expect(message.length).toBeLessThan(200);
    inputError(parse(rawFile({ 'a\nb': { dtype: 'F32', shape: [4], data_offsets: [0] } })), src, 'tensor "a\\u000ab"');
  });

  it('rejects stored tensors whose byte count does not match the shape', () => {
    inputError(() => toFloat32({ dtype: 'F32', shape: [3], data: new Uint8Array(8) }, 'w'), 'tensor "w" holds 8 bytes but F32 [3] needs 12');
  });

  it('parses a header from a prefix of the file, checking offsets against the full size', () => {
    const bytes = serializeSafetensors([['x', f32([4], new Float32Array(4))]]);
    const { dataOffset } = parseSafetensorsHeader(bytes, src);
    expect(parseSafetensorsHeader(bytes.subarray(0, dataOffset), src, bytes.length).tensors.get('x')).toEqual({ dtype: 'F32', shape: [4], begin: 0, end: 16 });
    inputError(() => parseSafetensorsHeader(bytes.subarray(0, dataOffset), src, dataOffset + 8), src, 'tensor "x"', '(8 bytes)');
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetensors-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the golden forward_pg3 file', async () => {
    const { metadata, tensors } = await readSafetensorsFile(golden);
    expect(metadata.case).toBe('pg3');
    const x = tensors.get('input.x')!;
    expect(x.dtype).toBe('F32');
    expect(x.shape).toEqual([3, 3, 16, 16]);
    const values = toFloat32(x, 'input.x');
    expect(values.length).toBe(3 * 3 * 16 * 16);
    expect(values.every(Number.isFinite)).toBe(true);
    const header = await readSafetensorsHeaderFile(golden);
    expect(header.metadata).toEqual(metadata);
    expect(header.tensors.get('input.x')).toMatchObject({ dtype: 'F32', shape: [3, 3, 16, 16] });
    expect(header.tensors.size).toBe(tensors.size);
  });

  it('writes atomically, leaving no temp file, and reads back', async () => {
    const path = join(dir, 'net.safetensors');
    await writeFile(path, 'old contents');
    await writeSafetensorsFile(path, [['w', f32([2], new Float32Array([1, 2]))]], { step: '7' });
    expect(await readdir(dir)).toEqual(['net.safetensors']);
    const { metadata, tensors } = await readSafetensorsFile(path);
    expect(metadata).toEqual({ step: '7' });
    expect([...toFloat32(tensors.get('w')!, 'w')]).toEqual([1, 2]);
  });

  it('names the path when a file is missing or malformed', async () => {
    const missing = join(dir, 'nope.safetensors');
    await expect(readSafetensorsFile(missing)).rejects.toThrow(`${missing}: cannot read: no such file or directory`);
    await expect(readSafetensorsHeaderFile(missing)).rejects.toThrow(`${missing}: cannot read: no such file or directory`);
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, rawFile('{}').subarray(0, 9));
    await expect(readSafetensorsHeaderFile(truncated)).rejects.toThrow(`${truncated}: truncated header: header length 2 exceeds the file size`);
    await writeFile(truncated, new Uint8Array(5));
    await expect(readSafetensorsHeaderFile(truncated)).rejects.toThrow(`${truncated}: file is 5 bytes`);
    await writeFile(truncated, rawFile('{"__metadata__": {}}').subarray(0, 12));
    await expect(readSafetensorsHeaderFile(truncated)).rejects.toThrow(`${truncated}: truncated header: header length 20 exceeds the file size (12 bytes)`);
  });
});
