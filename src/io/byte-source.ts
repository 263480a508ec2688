// Random access to the bytes of a file without holding it: the pickle and torch readers see a file as a
// ByteSource and its parts as ByteRanges, so a 5 GB checkpoint is read one tensor at a time.
// Platform-neutral; the Node file source is in byte-source-file.ts.
import { InputError } from '../errors.js';

/** Bytes that can be read at any offset. */
export interface ByteSource {
  /** The file name, for error messages. */
  readonly name: string;
  /** Total length in bytes. */
  readonly size: number;
  /** `length` bytes from `offset` (a view where the source is in memory). Callers check the bounds. */
  read(offset: number, length: number): Uint8Array;
}

/** A ByteSource over bytes already in memory; reads are views, never copies. */
export function memorySource(bytes: Uint8Array, name: string): ByteSource {
  return { name, size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A part of a source, read only when asked (a storage inside a pickle, an entry of a ZIP). */
export class ByteRange {
  constructor(
    readonly source: ByteSource,
    readonly offset: number,
    readonly length: number,
  ) {
    if (offset < 0 || length < 0 || offset + length > source.size) {
      throw new InputError(`${source.name}: ${length} bytes at offset ${offset} run past the end of the file (${source.size} bytes); truncated?`);
    }
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

  /** This range as a source of its own (offsets relative to its start), named `name` in errors. */
  asSource(name = this.source.name): ByteSource {
    return { name, size: this.length, read: (offset, length) => this.source.read(this.offset + offset, length) };
  }
}
