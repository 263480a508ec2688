// Our training-state file: safetensors with the network under `net.<state_dict name>`, Adam's moments under
// `adam.exp_avg.<name>` and `adam.exp_avg_sq.<name>`, and the model config plus `adam_step` in the metadata
// (the layout of the fixtures' training-state-*.expected.safetensors). `lego train --resume` is to read it.
import type { StoredTensor } from './safetensors.js';

/** The metadata `format` of a training-state file (a plain checkpoint has CHECKPOINT_FORMAT). */
export const TRAINING_STATE_FORMAT = 'lego-diffusion/training-state/1';

/** The tensor names of one parameter in a training-state file. */
export const trainingStateNames = (name: string) => ({
  net: `net.${name}`,
  expAvg: `adam.exp_avg.${name}`,
  expAvgSq: `adam.exp_avg_sq.${name}`,
});

/** True when safetensors metadata and tensor names are those of a training state. */
export function isTrainingState(metadata: Record<string, string>, names: Iterable<string>): boolean {
  if (metadata.format === TRAINING_STATE_FORMAT) return true;
  return metadata.format === undefined && [...names].some((n) => n.startsWith('net.'));
}

/** The network part of a training state: the `net.` tensors under their plain state_dict names. */
export function networkTensors<T extends StoredTensor>(tensors: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...tensors].filter(([name]) => name.startsWith('net.')).map(([name, t]) => [name.slice('net.'.length), t]));
}
