// The training-state format: a file whose progress metadata is damaged is refused as damaged, in one line.
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { initWeights, parameterSpecs } from '../lego/model.js';
import { parseSafetensors, serializeSafetensors, type TensorEntry } from './safetensors.js';
import { decodeTrainingState, encodeTrainingState } from './training-state.js';

const config: LegoConfig = {
  imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }],
};

function stateBytes(): Uint8Array {
  const weights = initWeights(config, 1);
  const trainable = new Map(parameterSpecs(config).filter((s) => s.trainable).map((s) => [s.name, weights.get(s.name)!]));
  const progress = { nimg: 2000, tick: 2, rng: [1, 2, null], dataOrder: { epoch: 0, position: 5 } };
  return encodeTrainingState(config, { weights, ema: trainable, adamM: trainable, adamV: trainable, step: 3 }, progress);
}

/** The same file with its `progress` metadata replaced. */
function withProgress(bytes: Uint8Array, progress: string): Uint8Array {
  const { metadata, tensors } = parseSafetensors(bytes, 'state');
  const entries = [...tensors].map(([name, t]): [string, TensorEntry] => [name, { dtype: t.dtype, shape: [...t.shape], data: t.data }]);
  return serializeSafetensors(entries, { ...metadata, progress });
}

describe('decodeTrainingState', () => {
  it('reads back the progress it wrote', () => {
    expect(decodeTrainingState(stateBytes(), 'state').progress).toEqual({ nimg: 2000, tick: 2, rng: [1, 2, null], dataOrder: { epoch: 0, position: 5 } });
  });

  it.each([
    ['{"nimg": 2000, "tick"', 'is not JSON'],
    ['[1, 2]', 'has no image count or tick'],
    ['{"nimg": -1, "tick": 2, "rng": [], "dataOrder": {"epoch": 0, "position": 0}}', 'has no image count or tick'],
    ['{"nimg": 2000, "tick": 2, "rng": "x", "dataOrder": {"epoch": 0, "position": 0}}', 'has no random-stream state'],
    ['{"nimg": 2000, "tick": 2, "rng": []}', 'has no data-order position'],
  ])('refuses damaged progress %s as damaged, naming the file', (progress, problem) => {
    const bytes = withProgress(stateBytes(), progress);
    expect(() => decodeTrainingState(bytes, 'state.safetensors')).toThrow(InputError);
    expect(() => decodeTrainingState(bytes, 'state.safetensors')).toThrow(`state.safetensors: metadata progress ${problem}; the training state is damaged`);
  });
});
