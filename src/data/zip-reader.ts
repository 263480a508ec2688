// Random access to the entries of a ZIP archive (PKWARE APPNOTE 6.3, sections 4.3-4.5) through any byte
// source: a file (file-bytes.ts) or an in-memory buffer. Stored and deflated entries (fflate inflates),
// ZIP64 included, so archives from EDM's dataset_tool, Python's zipfile or `zip -r` all open.
import { inflateSync } from 'fflate';
import { InputError } from '../errors.js';
import { crc32 } from './crc32.js';
import { sortNames, type FileTable } from './file-table.js';

/** Bytes readable at any offset: a file or a buffer. */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes from `offset`; fewer only past the end. */
  read(offset: number, length: number): Uint8Array;
}

/** A byte source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive, '/' separated; folders end in '/'. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

const U16 = 0xffff;
const U32 = 0xffffffff;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

/** Read the central directory. Throws InputError naming `where` when the archive is not a ZIP or is truncated. */
export function readZipDirectory(src: ByteSource, where: string): ZipEntry[] {
  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  const tailStart = Math.max(0, src.size - 22 - U16);
  const tail = src.read(tailStart, src.size - tailStart);
  const t = view(tail);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (t.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new InputError(`${where}: not a ZIP archive (no end of central directory record)`);
  let count = t.getUint16(end + 10, true);
  let cdSize = t.getUint32(end + 12, true);
  let cdOffset = t.getUint32(end + 16, true);
  if (count === U16 || cdSize === U32 || cdOffset === U32) {
    const locator = end - 20;
    if (locator < 0 || t.getUint32(locator, true) !== 0x07064b50) throw new InputError(`${where}: corrupt ZIP (ZIP64 locator missing)`);
    const record = view(src.read(u64(t, locator + 8), 56));
    if (record.byteLength < 56 || record.getUint32(0, true) !== 0x06064b50) throw new InputError(`${where}: corrupt ZIP (bad ZIP64 end record)`);
    count = u64(record, 32);
    cdSize = u64(record, 40);
    cdOffset = u64(record, 48);
  }
  if (cdOffset + cdSize > src.size) throw new InputError(`${where}: truncated ZIP (central directory ends at ${cdOffset + cdSize}, file is ${src.size} bytes)`);
  const cd = src.read(cdOffset, cdSize);
  const v = view(cd);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== 0x02014b50) throw new InputError(`${where}: corrupt ZIP (central directory entry ${k} of ${count} is bad)`);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
    const entry: ZipEntry = {
      name: (v.getUint16(p + 8, true) & 0x0800 ? utf8 : latin1).decode(nameBytes),
      method: v.getUint16(p + 10, true),
      crc: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      headerOffset: v.getUint32(p + 42, true),
    };
    readZip64Extra(v, p + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Replace 0xFFFFFFFF fields by their 64-bit values from the ZIP64 extra field (APPNOTE 4.5.3). */
function readZip64Extra(v: DataView, at: number, length: number, e: ZipEntry): void {
  for (let p = at; p + 4 <= at + length; p += 4 + v.getUint16(p + 2, true)) {
    if (v.getUint16(p, true) !== 0x0001) continue;
    let q = p + 4;
    for (const field of ['size', 'compressedSize', 'headerOffset'] as const) {
      if (e[field] === U32) {
        e[field] = u64(v, q);
        q += 8;
      }
    }
    return;
  }
}

/** The contents of one entry, inflated and CRC-checked. Throws InputError naming `where` and the entry. */
export function readZipEntry(src: ByteSource, entry: ZipEntry, where: string): Uint8Array {
  const at = `${where}: ${entry.name}`;
  const header = src.read(entry.headerOffset, 30);
  const h = view(header);
  if (header.length < 30 || h.getUint32(0, true) !== 0x04034b50) throw new InputError(`${at}: corrupt ZIP (bad local header)`);
  const dataOffset = entry.headerOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  const raw = src.read(dataOffset, entry.compressedSize);
  if (raw.length < entry.compressedSize) throw new InputError(`${at}: truncated ZIP (entry data ends past the end of the file)`);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = raw;
  } else if (entry.method === 8) {
    try {
      data = inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch (e) {
      throw new InputError(`${at}: corrupt deflate data (${(e as Error).message})`);
    }
  } else {
    throw new InputError(`${at}: compression method ${entry.method} is not supported (expected 0 stored or 8 deflate)`);
  }
  if (data.length !== entry.size || crc32(data) !== entry.crc) throw new InputError(`${at}: corrupt ZIP entry (CRC-32 or size mismatch)`);
  return data;
}

/** The files of a ZIP as a file table (folders and `__MACOSX/` resource forks left out). */
export function zipFileTable(src: ByteSource & { close?(): void }, where: string): FileTable {
  const byName = new Map<string, ZipEntry>();
  for (const e of readZipDirectory(src, where)) {
    if (!e.name.endsWith('/') && !e.name.startsWith('__MACOSX/')) byName.set(e.name.replaceAll('\\', '/'), e);
  }
  const entry = (name: string) => {
    const e = byName.get(name);
    if (!e) throw new InputError(`${where}: no entry ${name}`);
    return e;
  };
  return {
    names: sortNames([...byName.keys()]),
    where,
    read: (name) => readZipEntry(src, entry(name), where),
    // Stored entries can be read in part; deflated ones are inflated whole.
    readHead: (name, length) => {
      const e = entry(name);
      if (e.method !== 0) return readZipEntry(src, e, where).subarray(0, length);
      const h = view(src.read(e.headerOffset, 30));
      if (h.byteLength < 30 || h.getUint32(0, true) !== 0x04034b50) throw new InputError(`${where}: ${name}: corrupt ZIP (bad local header)`);
      return src.read(e.headerOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true), Math.min(length, e.size));
    },
    close: () => src.close?.(),
  };
}
