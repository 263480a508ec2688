// The ZIP container of torch.save (`archive/data.pkl`, `archive/data/N`, ...), read by random access:
// the central directory at the end (APPNOTE 4.3.12, with ZIP64), then each entry only when asked, as a
// range of the file. Stored entries (what torch writes) are never copied; deflated ones go through fflate.
import { inflateSync } from 'fflate';
import { InputError } from '../errors.js';
import { ByteRange, memorySource, type ByteSource } from './byte-source.js';
import { printable } from './printable.js';

/** One file in the archive. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** True when the source starts like a ZIP archive. */
export function isZip(src: ByteSource): boolean {
  return src.size >= 4 && new DataView(src.read(0, 4).slice().buffer).getUint32(0, true) === LOCAL;
}

/** Read the central directory: every entry by name. Throws InputError naming the file when it is malformed. */
export function readZipDirectory(src: ByteSource): Map<string, ZipEntry> {
  const bad = (what: string) => new InputError(`${src.name}: ${what}; truncated or not a ZIP archive`);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes, at the very end.
  const tailLength = Math.min(src.size, 22 + 65535);
  const tail = view(src.read(src.size - tailLength, tailLength));
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let count = tail.getUint16(eocd + 10, true);
  let dirSize = tail.getUint32(eocd + 12, true);
  let dirOffset = tail.getUint32(eocd + 16, true);
  if (eocd >= 20 && tail.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = safe(tail.getBigUint64(eocd - 20 + 8, true), bad);
    if (at + 56 > src.size) throw bad('ZIP64 directory record past the end of the file');
    const z = view(src.read(at, 56));
    if (z.getUint32(0, true) !== ZIP64_EOCD) throw bad('bad ZIP64 directory record');
    count = safe(z.getBigUint64(32, true), bad);
    dirSize = safe(z.getBigUint64(40, true), bad);
    dirOffset = safe(z.getBigUint64(48, true), bad);
  }
  if (dirOffset + dirSize > src.size) throw bad(`central directory (${dirSize} bytes at ${dirOffset}) past the end of the file`);
  const dir = view(src.read(dirOffset, dirSize));
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dirSize || dir.getUint32(p, true) !== CENTRAL) throw bad(`central directory entry ${i} is damaged`);
    const flags = dir.getUint16(p + 8, true);
    const method = dir.getUint16(p + 10, true);
    let compressedSize = dir.getUint32(p + 20, true);
    let size = dir.getUint32(p + 24, true);
    const nameLength = dir.getUint16(p + 28, true);
    const extraLength = dir.getUint16(p + 30, true);
    const commentLength = dir.getUint16(p + 32, true);
    let headerOffset = dir.getUint32(p + 42, true);
    if (p + 46 + nameLength + extraLength > dirSize) throw bad(`central directory entry ${i} is damaged`);
    const name = new TextDecoder().decode(new Uint8Array(dir.buffer, dir.byteOffset + p + 46, nameLength));
    // ZIP64 extra field: the 64-bit values of whichever fields are 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength;) {
      const id = dir.getUint16(e, true);
      const length = dir.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const next = () => {
          if (q + 8 > e + 4 + length) throw bad(`ZIP64 field of entry ${printable(name)} is damaged`);
          const v = safe(dir.getBigUint64(q, true), bad);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (headerOffset === 0xffffffff) headerOffset = next();
      }
      e += 4 + length;
    }
    if (flags & 1) throw new InputError(`${src.name}: entry ${printable(name)} is encrypted; not a torch.save file`);
    entries.set(name, { name, method, compressedSize, size, headerOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes: a range of the file when stored, inflated into memory when deflated. */
export function zipEntryRange(src: ByteSource, entry: ZipEntry): ByteRange {
  const where = `${src.name}: ZIP entry ${printable(entry.name)}`;
  if (entry.headerOffset + 30 > src.size) throw new InputError(`${where}: local header past the end of the file; truncated`);
  const local = view(src.read(entry.headerOffset, 30));
  if (local.getUint32(0, true) !== LOCAL) throw new InputError(`${where}: bad local header; corrupt`);
  const dataOffset = entry.headerOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  if (dataOffset + entry.compressedSize > src.size) throw new InputError(`${where}: data runs past the end of the file; truncated`);
  const data = new ByteRange(src, dataOffset, entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw new InputError(`${where}: stored entry with two sizes; corrupt`);
    return data;
  }
  if (entry.method !== 8) throw new InputError(`${where}: compression method ${entry.method}; expected stored (0) or deflate (8)`);
  if (entry.size > entry.compressedSize * 1032 + 1024) throw new InputError(`${where}: claims ${entry.size} bytes from ${entry.compressedSize} deflated; corrupt`);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data.bytes(), { out: new Uint8Array(entry.size) });
  } catch (e) {
    throw new InputError(`${where}: cannot inflate (${(e as Error).message}); corrupt`);
  }
  if (inflated.length !== entry.size) throw new InputError(`${where}: inflates to ${inflated.length} bytes, expected ${entry.size}; corrupt`);
  return new ByteRange(memorySource(inflated, src.name), 0, inflated.length);
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function safe(v: bigint, bad: (what: string) => InputError): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`a ZIP64 size of ${v}`);
  return Number(v);
}
