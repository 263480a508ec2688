// Random access to the bytes of a file without holding it: the ZIP, pickle and torch readers see a file as a
// ByteSource and its parts as ByteRanges, so a 5 GB checkpoint is read one tensor at a time.
// Platform-neutral; the Node file source is openFileSource in fs-files.ts.
import { InputError } from '../errors.js';

/** Bytes that can be read at any offset. */
export interface ByteSource {
  /** The file name, for error messages. */
  readonly name: string;
  /** Total length in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes from `offset` (a view where the source is in memory). A read that does not fit
   * in `size` throws InputError naming the file: callers that want "up to" clamp with `size` themselves.
   */
  read(offset: number, length: number): Uint8Array;
}

/**
 * Throw InputError naming `name` unless `length` bytes at `offset` lie inside `size` bytes: the check every
 * ByteSource makes before it reads.
 */
export function checkRead(name: string, size: number, offset: number, length: number): void {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new InputError(`${name}: ${length} bytes at offset ${offset} run past the end of the file (${size} bytes); truncated?`);
  }
}

/** A ByteSource over bytes already in memory; reads are views, never copies. */
export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    read: (offset, length) => {
      checkRead(name, bytes.length, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** A part of a source, read only when asked (a storage inside a pickle, an entry of a ZIP). */
export class ByteRange {
  constructor(
    readonly source: ByteSource,
    readonly offset: number,
    readonly length: number,
  ) {
    checkRead(source.name, source.size, offset, length);
  }

  /** The range [begin, begin + length) of this range. */
  slice(begin: number, length: number): ByteRange {
    if (begin < 0 || length < 0 || begin + length > this.length) {
      throw new InputError(`${this.source.name}: ${length} bytes at ${begin} run past the end of a ${this.length}-byte block at offset ${this.offset}; corrupt?`);
    }
    return new ByteRange(this.source, this.offset + begin, length);
  }

  /** The bytes themselves. */
  bytes(): Uint8Array {
    return this.source.read(this.offset, this.length);
  }

  /** This range as a source of its own (offsets relative to its start, reads kept inside it), named `name` in errors. */
  asSource(name = this.source.name): ByteSource {
    return { name, size: this.length, read: (offset, length) => this.slice(offset, length).bytes() };
  }
}
