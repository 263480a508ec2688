// `--network`: a checkpoint file (ours, or the authors' .pkl/.pt), or a run directory (its latest snapshot).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import type { LegoCheckpoint } from '../io/checkpoint.js';
import { loadAnyCheckpoint } from '../io/load-any.js';

/** The file `--network` names: the path itself, or a run directory's newest network-snapshot-*. */
export function networkFile(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`${path}: no such file or directory`);
  }
  if (!isDir) return path;
  const snapshots = readdirSync(path).filter((f) => /^network-snapshot-\d+\.(safetensors|pkl)$/.test(f)).sort();
  if (snapshots.length === 0) throw new InputError(`${path}: a directory without network-snapshot-*.safetensors files; not a training run`);
  return join(path, snapshots[snapshots.length - 1]);
}

/** The model shipped in the package: a class-conditional LEGO-PG trained on MNIST 32x32 (docs/default-model.md). */
export const DEFAULT_MODEL = fileURLToPath(new URL('../../models/lego-mnist-32.safetensors', import.meta.url));

/** Load the network a user named; without a path, the embedded default model. */
export async function loadNetwork(path: string | undefined): Promise<LegoCheckpoint & { file: string }> {
  if (path === undefined && !existsSync(DEFAULT_MODEL)) {
    throw new UsageError(`--network: no network given, and the embedded default model (${DEFAULT_MODEL}) is missing from this install`);
  }
  const file = path === undefined ? DEFAULT_MODEL : networkFile(path);
  return { ...(await loadAnyCheckpoint(file)), file };
}
