// A ZIP archive built in memory with the package's own writer, for tests of the readers.
import { ZipWriter } from '../../src/files/zip-writer.js';

export function zipOf(files: [string, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipWriter((c) => chunks.push(c.slice()));
  for (const [name, data] of files) zip.add(name, data);
  zip.finish();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}
