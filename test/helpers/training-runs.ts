// What the training tests share: a tiny two-brick stack file to train, and reading run directories and
// their files back (run directories in order, a file's tensors and hash, the newest file of a kind).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors } from '../../src/io/safetensors.js';

/**
 * Write `dir`/tiny.json: a class-conditional gray stack of two one-block bricks (a local one with a quarter
 * of the tile, then the global one) at `resolution`, hidden `hidden`. Returns its path.
 */
export function writeTinyArch(dir: string, resolution: 16 | 32, hidden: number): string {
  const file = join(dir, 'tiny.json');
  const local = resolution === 16 ? { resolution: 4, patchSize: 2 } : { resolution: 8, patchSize: 4 };
  const global = { resolution, patchSize: resolution / 4 };
  writeFileSync(file, JSON.stringify({
    imgResolution: resolution, imgChannels: 1, labelDim: 10, hiddenSize: hidden,
    bricks: [{ ...local, heads: 2, depth: 1 }, { ...global, heads: 2, depth: 1 }],
  }));
  return file;
}

/** The run directories (NNNNN-...) in `outdir`, oldest first; none when it does not exist. */
export const runDirs = (outdir: string): string[] =>
  existsSync(outdir) ? readdirSync(outdir).filter((d) => /^\d{5}-/.test(d)).sort().map((d) => join(outdir, d)) : [];

/** Every tensor of a safetensors file (a training state: weights, EMA, Adam moments), byte for byte. */
export function tensorsOf(file: string): Map<string, string> {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  return new Map([...tensors].map(([name, t]) => [name, Buffer.from(t.data).toString('base64')]));
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The name-wise last `prefix`*.safetensors in `dir` (the newest by kimg), or null. */
export function newestFile(dir: string, prefix: string): string | null {
  const files = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.safetensors')).sort();
  return files.length === 0 ? null : join(dir, files[files.length - 1]);
}
