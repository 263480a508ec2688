// Reading a training state from disk: our training-state-*.safetensors, or the authors' training-state-*.pt
// (or a .pkl), which is converted to ours through a temporary file first.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from './load-any.js';
import { decodeTrainingState, type LoadedTrainingState } from './training-state.js';

/** Load a training-state file of either kind. Throws InputError naming the file. */
export async function readTrainingState(file: string): Promise<LoadedTrainingState> {
  if (!file.endsWith('.pt') && !file.endsWith('.pkl')) return decodeTrainingState(new Uint8Array(await readFile(file)), file);
  const dir = mkdtempSync(join(tmpdir(), 'lego-resume-'));
  try {
    const converted = join(dir, 'training-state.safetensors');
    await convertCheckpoint(file, converted);
    return decodeTrainingState(new Uint8Array(await readFile(converted)), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
