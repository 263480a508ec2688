// Random access to the entries of a ZIP archive (PKWARE APPNOTE 6.3, sections 4.3-4.5) through any ByteSource:
// the central directory at the end (ZIP64 included), then each entry only when asked, as a range of the file.
// Stored entries are never copied; deflated ones go through fflate. Datasets and torch.save files both read here.
import { inflateSync } from 'fflate';
import { InputError, printable } from '../errors.js';
import { ByteRange, memorySource, type ByteSource } from './byte-source.js';
import { crc32 } from './crc32.js';
import { sortNames, type FileTable } from './file-table.js';

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive as written (UTF-8 when flagged, else Latin-1); folders end in '/'. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** CRC-32 of the uncompressed contents, checked by readZipEntry. */
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32 = 0xffffffff;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** True when the source starts like a ZIP archive: a local header, or the end record of an empty archive. */
export function isZip(src: ByteSource): boolean {
  if (src.size < 4) return false;
  const magic = view(src.read(0, 4)).getUint32(0, true);
  return magic === LOCAL || magic === EOCD;
}

/**
 * Read the central directory: every entry, in archive order. Throws InputError naming the file when it is not
 * a ZIP, is truncated or damaged, has sizes past 2^53 or holds an encrypted entry.
 */
export function readZipDirectory(src: ByteSource): ZipEntry[] {
  const corrupt = (what: string) => new InputError(`${src.name}: corrupt ZIP (${what})`);
  const truncated = (what: string) => new InputError(`${src.name}: truncated ZIP (${what})`);
  const safe = (v: bigint) => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`a ZIP64 size or offset of ${v}`);
    return Number(v);
  };
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes, at the very end.
  const tailLength = Math.min(src.size, 22 + 0xffff);
  const tail = view(src.read(src.size - tailLength, tailLength));
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InputError(`${src.name}: not a ZIP archive (no end-of-central-directory record; truncated?)`);
  let count = tail.getUint16(eocd + 10, true);
  let dirSize = tail.getUint32(eocd + 12, true);
  let dirOffset = tail.getUint32(eocd + 16, true);
  // ZIP64: a locator just before the end record points at the 64-bit end record.
  if (eocd >= 20 && tail.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = safe(tail.getBigUint64(eocd - 20 + 8, true));
    if (at + 56 > src.size) throw truncated(`ZIP64 end record at ${at} is past the end of the file, ${src.size} bytes`);
    const z = view(src.read(at, 56));
    if (z.getUint32(0, true) !== ZIP64_EOCD) throw corrupt('bad ZIP64 end record');
    count = safe(z.getBigUint64(32, true));
    dirSize = safe(z.getBigUint64(40, true));
    dirOffset = safe(z.getBigUint64(48, true));
  }
  if (dirOffset + dirSize > src.size) throw truncated(`central directory ends at ${dirOffset + dirSize}, the file is ${src.size} bytes`);
  const bytes = src.read(dirOffset, dirSize);
  const dir = view(bytes);
  const utf8 = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    const damaged = () => corrupt(`central directory entry ${k} of ${count} is damaged`);
    if (p + 46 > dirSize || dir.getUint32(p, true) !== CENTRAL) throw damaged();
    const flags = dir.getUint16(p + 8, true);
    const nameLength = dir.getUint16(p + 28, true);
    const extraLength = dir.getUint16(p + 30, true);
    const commentLength = dir.getUint16(p + 32, true);
    const extraStart = p + 46 + nameLength;
    const extraEnd = extraStart + extraLength;
    if (extraEnd > dirSize) throw damaged();
    // Bit 11: the name is UTF-8; otherwise CP437, read as Latin-1 (the same for ASCII names).
    const name = (flags & 0x0800 ? utf8 : latin1).decode(bytes.subarray(p + 46, extraStart));
    const entry: ZipEntry = {
      name,
      method: dir.getUint16(p + 10, true),
      crc: dir.getUint32(p + 16, true),
      compressedSize: dir.getUint32(p + 20, true),
      size: dir.getUint32(p + 24, true),
      headerOffset: dir.getUint32(p + 42, true),
    };
    // ZIP64 extra field (APPNOTE 4.5.3): the 64-bit values of whichever fields are 0xFFFFFFFF, in this order.
    for (let e = extraStart; e + 4 <= extraEnd; e += 4 + dir.getUint16(e + 2, true)) {
      if (dir.getUint16(e, true) !== 0x0001) continue;
      const fieldEnd = Math.min(e + 4 + dir.getUint16(e + 2, true), extraEnd);
      let q = e + 4;
      for (const field of ['size', 'compressedSize', 'headerOffset'] as const) {
        if (entry[field] !== U32) continue;
        if (q + 8 > fieldEnd) throw corrupt(`ZIP64 field of entry ${printable(name)} is damaged`);
        entry[field] = safe(dir.getBigUint64(q, true));
        q += 8;
      }
      break;
    }
    if (flags & 1) throw new InputError(`${src.name}: ${printable(name)}: encrypted ZIP entries are not supported`);
    entries.push(entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * An entry's contents: a range of the file when stored (nothing copied), inflated into memory when deflated.
 * The CRC is not checked (that would read the whole entry); readZipEntry does. Throws InputError naming the
 * file and the entry when it is damaged or uses another compression method.
 */
export function zipEntryRange(src: ByteSource, entry: ZipEntry): ByteRange {
  const at = `${src.name}: ${printable(entry.name)}`;
  if (entry.headerOffset + 30 > src.size) throw new InputError(`${at}: truncated ZIP (local header past the end of the file)`);
  const local = view(src.read(entry.headerOffset, 30));
  if (local.getUint32(0, true) !== LOCAL) throw new InputError(`${at}: corrupt ZIP (bad local header)`);
  const dataOffset = entry.headerOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  if (dataOffset + entry.compressedSize > src.size) throw new InputError(`${at}: truncated ZIP (entry data ends past the end of the file)`);
  const data = new ByteRange(src, dataOffset, entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw new InputError(`${at}: corrupt ZIP (stored entry of ${entry.compressedSize} bytes claims ${entry.size})`);
    return data;
  }
  if (entry.method !== 8) throw new InputError(`${at}: compression method ${entry.method} is not supported (expected 0 stored or 8 deflate)`);
  // Deflate expands at most about 1032:1; a larger claim would only allocate a huge buffer.
  if (entry.size > entry.compressedSize * 1032 + 1024) throw new InputError(`${at}: corrupt ZIP (claims ${entry.size} bytes from ${entry.compressedSize} deflated)`);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data.bytes(), { out: new Uint8Array(entry.size) });
  } catch (e) {
    throw new InputError(`${at}: corrupt deflate data (${(e as Error).message})`);
  }
  if (inflated.length !== entry.size) throw new InputError(`${at}: corrupt ZIP (inflates to ${inflated.length} bytes, expected ${entry.size})`);
  return new ByteRange(memorySource(inflated, src.name), 0, inflated.length);
}

/** The contents of one entry, inflated and CRC-checked. Throws InputError naming the file and the entry. */
export function readZipEntry(src: ByteSource, entry: ZipEntry): Uint8Array {
  const data = zipEntryRange(src, entry).bytes();
  if (crc32(data) !== entry.crc) throw new InputError(`${src.name}: ${printable(entry.name)}: corrupt ZIP entry (CRC-32 mismatch)`);
  return data;
}

/**
 * The files of a ZIP as a file table named after the source (folders and `__MACOSX/` resource forks left
 * out; '\' separators read as '/'). `close()` closes the source when it has a close.
 */
export function zipFileTable(src: ByteSource & { close?(): void }): FileTable {
  const byName = new Map<string, ZipEntry>();
  for (const e of readZipDirectory(src)) {
    if (!e.name.endsWith('/') && !e.name.startsWith('__MACOSX/')) byName.set(e.name.replaceAll('\\', '/'), e);
  }
  const entry = (name: string) => {
    const e = byName.get(name);
    if (!e) throw new InputError(`${src.name}: no entry ${printable(name)}`);
    return e;
  };
  return {
    names: sortNames([...byName.keys()]),
    where: src.name,
    read: (name) => readZipEntry(src, entry(name)),
    // Stored entries can be read in part; deflated ones are inflated (and checked) whole.
    readHead: (name, length) => {
      const e = entry(name);
      if (e.method !== 0) return readZipEntry(src, e).subarray(0, length);
      const range = zipEntryRange(src, e);
      return range.slice(0, Math.min(length, range.length)).bytes();
    },
    close: () => src.close?.(),
  };
}
