// `--network`: a checkpoint file (ours, or the authors' .pkl/.pt), or a run directory (its latest snapshot).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { LegoCheckpoint } from '../io/checkpoint.js';
import { loadAnyCheckpoint } from '../io/load-any.js';
import { resolveSnapshotFile } from '../train/run-dir.js';

/** The model shipped in the package: a class-conditional one-brick stack (lego_T_G_32) trained on MNIST 32x32 (docs/training/mnist.md). */
export const DEFAULT_MODEL = fileURLToPath(new URL('../../models/lego-mnist-32.safetensors', import.meta.url));

/** Load the network a user named; without a path, the embedded default model. */
export async function loadNetwork(path: string | undefined): Promise<LegoCheckpoint & { file: string }> {
  if (path === undefined && !existsSync(DEFAULT_MODEL)) {
    throw new UsageError(`--network: no network given, and the embedded default model (${DEFAULT_MODEL}) is missing from this install`);
  }
  const file = path === undefined ? DEFAULT_MODEL : resolveSnapshotFile(path);
  return { ...(await loadAnyCheckpoint(file)), file };
}
