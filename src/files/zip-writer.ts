// A streaming writer of uncompressed ("stored") ZIP archives (PKWARE APPNOTE 6.3, sections 4.3-4.5), as
// EDM's dataset_tool writes datasets. ZIP64 records are added when there are 65535+ entries or the
// archive passes 4 GiB, as Python's zipfile does; fflate's zip writer has no ZIP64, so ImageNet-sized
// datasets (1.28 M entries) would be corrupt with it. Timestamps are fixed, so output is reproducible.
import { crc32 } from './crc32.js';

const U16 = 0xffff;
const U32 = 0xffffffff;
/** DOS date 1980-01-01, time 00:00. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_FLAG = 0x0800;

interface CentralEntry {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

/**
 * Write a stored ZIP through `write`, entry by entry: `add(name, bytes)` ..., then `finish()`.
 * Only the central directory (about 60 bytes an entry) is kept in memory.
 *
 * @example
 * const chunks: Uint8Array[] = [];
 * const zip = new ZipWriter((c) => chunks.push(c));
 * zip.add('dataset.json', new TextEncoder().encode('{"labels": null}'));
 * zip.finish();
 */
export class ZipWriter {
  private entries: CentralEntry[] = [];
  private offset = 0;
  private finished = false;

  constructor(private readonly write: (chunk: Uint8Array) => void) {}

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.offset;
  }

  /** Append one stored entry. `name` uses '/' separators. */
  add(name: string, data: Uint8Array): void {
    if (this.finished) throw new Error('internal: ZipWriter.add after finish');
    if (data.length >= U32) throw new Error(`internal: ZipWriter: entry ${name} is ${data.length} bytes; entries over 4 GiB are not supported`);
    const nameBytes = new TextEncoder().encode(name);
    const entry: CentralEntry = { name: nameBytes, crc: crc32(data), size: data.length, offset: this.offset };
    const header = new Uint8Array(30 + nameBytes.length);
    const v = new DataView(header.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true); // version needed: 2.0 (a local header never needs ZIP64 here: sizes are < 4 GiB)
    v.setUint16(6, UTF8_FLAG, true);
    v.setUint16(8, 0, true); // method: stored
    v.setUint16(10, 0, true);
    v.setUint16(12, DOS_DATE, true);
    v.setUint32(14, entry.crc, true);
    v.setUint32(18, data.length, true);
    v.setUint32(22, data.length, true);
    v.setUint16(26, nameBytes.length, true);
    v.setUint16(28, 0, true);
    header.set(nameBytes, 30);
    this.emit(header);
    this.emit(data);
    this.entries.push(entry);
  }

  /** Write the central directory and end records. */
  finish(): void {
    if (this.finished) throw new Error('internal: ZipWriter.finish called twice');
    this.finished = true;
    const cdOffset = this.offset;
    for (const e of this.entries) this.emit(centralHeader(e));
    const cdSize = this.offset - cdOffset;
    const count = this.entries.length;
    if (count >= U16 || cdOffset >= U32 || cdSize >= U32) this.emit(zip64End(count, cdSize, cdOffset, this.offset));
    const end = new Uint8Array(22);
    const v = new DataView(end.buffer);
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, Math.min(count, U16), true);
    v.setUint16(10, Math.min(count, U16), true);
    v.setUint32(12, Math.min(cdSize, U32), true);
    v.setUint32(16, Math.min(cdOffset, U32), true);
    this.emit(end);
  }

  private emit(chunk: Uint8Array): void {
    this.write(chunk);
    this.offset += chunk.length;
  }
}

function centralHeader(e: CentralEntry): Uint8Array {
  const zip64 = e.offset >= U32;
  const extra = zip64 ? 12 : 0;
  const out = new Uint8Array(46 + e.name.length + extra);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, (3 << 8) | (zip64 ? 45 : 20), true); // made by: Unix, spec version
  v.setUint16(6, zip64 ? 45 : 20, true);
  v.setUint16(8, UTF8_FLAG, true);
  v.setUint16(10, 0, true);
  v.setUint16(14, DOS_DATE, true);
  v.setUint32(16, e.crc, true);
  v.setUint32(20, e.size, true);
  v.setUint32(24, e.size, true);
  v.setUint16(28, e.name.length, true);
  v.setUint16(30, extra, true);
  v.setUint32(38, 0o100644 << 16, true); // external attributes: a regular file, rw-r--r--
  v.setUint32(42, zip64 ? U32 : e.offset, true);
  out.set(e.name, 46);
  if (zip64) {
    const at = 46 + e.name.length;
    v.setUint16(at, 0x0001, true); // ZIP64 extended information: only the offset is 0xFFFFFFFF
    v.setUint16(at + 2, 8, true);
    v.setBigUint64(at + 4, BigInt(e.offset), true);
  }
  return out;
}

/** ZIP64 end of central directory record and its locator (APPNOTE 4.3.14, 4.3.15). */
function zip64End(count: number, cdSize: number, cdOffset: number, recordOffset: number): Uint8Array {
  const out = new Uint8Array(56 + 20);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x06064b50, true);
  v.setBigUint64(4, 44n, true); // size of the rest of the record
  v.setUint16(12, (3 << 8) | 45, true);
  v.setUint16(14, 45, true);
  v.setBigUint64(24, BigInt(count), true);
  v.setBigUint64(32, BigInt(count), true);
  v.setBigUint64(40, BigInt(cdSize), true);
  v.setBigUint64(48, BigInt(cdOffset), true);
  v.setUint32(56, 0x07064b50, true);
  v.setBigUint64(64, BigInt(recordOffset), true);
  v.setUint32(72, 1, true); // total disks
  return out;
}
