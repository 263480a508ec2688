// Tests for reading the authors' networks (lego-from-torch.ts, authors-checkpoint.ts): custom stacks from the
// pickled modules, Adam's moments by name, the tensors of our files, and errors naming the attribute.
import { describe, expect, it } from 'vitest';
import {
  concat, f32Storage, legoNetwork, pickle, randomWeights, snapshotPickle, torchZip, trainingStateObject, type Py,
} from '../../test/torch-files.js';
import { memorySource } from '../files/byte-source.js';
import type { LegoConfig } from '../lego/config.js';
import { convertedTensors, readAuthorsCheckpoint, sniffFormat } from './authors-checkpoint.js';
import { CHECKPOINT_FORMAT } from './checkpoint.js';
import { serializeSafetensors, f32 } from './safetensors.js';
import { TRAINING_STATE_FORMAT } from './training-state.js';
import { inputError } from '../../test/helpers/input-error.js';

/** A PR-style custom stack: unconditional, one channel, four bricks, mixed patches and heads, MLP ratio 2. */
const custom: LegoConfig = {
  imgResolution: 16, imgChannels: 1, labelDim: 0, hiddenSize: 32, mlpRatio: 2, sigmaData: 0.25,
  bricks: [
    { resolution: 16, patchSize: 4, heads: 2, depth: 2 },
    { resolution: 8, patchSize: 2, heads: 4, depth: 1 },
    { resolution: 4, patchSize: 1, heads: 1, depth: 1 },
    { resolution: 16, patchSize: 8, heads: 8, depth: 3 },
  ],
};
const { weights, shapes } = randomWeights(custom, 3);
const read = (bytes: Uint8Array, name = 'network-snapshot-000042.pkl') => readAuthorsCheckpoint(memorySource(bytes, name));
const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
/** Byte identity (vitest's deep equality is slow on large arrays). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

describe('readAuthorsCheckpoint', () => {
  it('recovers a custom stack and every tensor from the pickled modules', async () => {
    const ck = read(concat(snapshotPickle(custom, weights, shapes)));
    expect(ck.container).toBe('pickle');
    expect(ck.lego.entry).toBe('ema');
    expect(ck.lego.className).toBe('EDMPrecondLEGO');
    expect(ck.lego.config).toEqual(custom);
    expect(ck.extra).toMatchObject({ source: 'network-snapshot-000042.pkl', source_entry: 'ema', kimg: '42' });
    const { tensors, metadata } = convertedTensors(ck);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(JSON.parse(metadata.config)).toEqual(custom);
    expect(tensors.map(([n]) => n)).toEqual([...weights.keys()]);
    for (const [name, t] of tensors) expect(same(await t.bytes(), bytesOf(weights.get(name)!)), name).toBe(true);
  });

  it('converts half-precision weights and strided (transposed) tensors exactly', async () => {
    const name = 'model.model.0.blocks.0.mlp.fc1.weight';
    const halfName = 'model.t_embedder.mlp.0.bias';
    const half = Uint16Array.from(weights.get(halfName)!, () => 0x3c00); // all 1.0
    const [rows, cols] = shapes.get(name)!;
    const w = weights.get(name)!;
    const transposed = Float32Array.from({ length: w.length }, (_, i) => w[(i % rows) * cols + Math.floor(i / rows)]);
    const ck = read(concat(snapshotPickle(custom, weights, shapes, {
      storage: (n, data) => (n === halfName ? { type: 'HalfStorage', numel: half.length, bytes: new Uint8Array(half.buffer) } : n === name ? f32Storage(transposed) : f32Storage(data)),
      layout: (n) => (n === name ? { stride: [1, rows], offset: 0 } : undefined),
    })));
    const { tensors } = convertedTensors(ck);
    const get = (n: string) => tensors.find(([k]) => k === n)![1].bytes();
    expect(await get(name)).toEqual(bytesOf(w));
    expect(await get(halfName)).toEqual(bytesOf(new Float32Array(half.length).fill(1)));
  });

  it('reads a training state: weights and Adam moments by parameter name, zeros where Adam has none', async () => {
    const rand = randomWeights(custom, 4).weights;
    const v = randomWeights(custom, 5).weights;
    const mode = { kind: 'persistent' as const, storages: [] };
    const object = trainingStateObject(custom, weights, shapes, { step: 31, m: rand, v }, mode) as Map<Py, Py>;
    // The optimizer never stepped parameter 0: torch keeps no state for it.
    ((object.get('optimizer_state') as Map<Py, Py>).get('state') as Map<Py, Py>).delete(0);
    const ck = read(torchZip(object, mode.storages), 'training-state-000031.pt');
    expect(ck.container).toBe('zip');
    expect(ck.lego.adam?.step).toBe(31);
    expect(ck.extra).toMatchObject({ kimg: '31', adam_step: '31', source_entry: 'net' });
    const { tensors, metadata } = convertedTensors(ck);
    expect(metadata.format).toBe(TRAINING_STATE_FORMAT);
    const names = [...weights.keys()];
    expect(tensors.map(([n]) => n)).toEqual([...names.map((n) => `net.${n}`), ...names.flatMap((n) => [`adam.exp_avg.${n}`, `adam.exp_avg_sq.${n}`])]);
    const byName = new Map(tensors);
    const first = names[0];
    expect(await byName.get(`adam.exp_avg.${first}`)!.bytes()).toEqual(bytesOf(new Float32Array(weights.get(first)!.length)));
    for (const n of names.slice(1)) {
      expect(same(await byName.get(`adam.exp_avg.${n}`)!.bytes(), bytesOf(rand.get(n)!))).toBe(true);
      expect(same(await byName.get(`adam.exp_avg_sq.${n}`)!.bytes(), bytesOf(v.get(n)!))).toBe(true);
    }
  });

  it('leaves out map_augment (unused by EDMPrecondLEGO) and says so', () => {
    const extra = new Map([['model.map_augment.weight', new Float32Array(32 * 9)], ['model.map_augment.bias', new Float32Array(32)]]);
    const ck = read(concat(snapshotPickle(custom, weights, shapes, { extra })));
    expect(ck.lego.dropped).toEqual(['model.map_augment.weight', 'model.map_augment.bias']);
    expect(ck.extra.dropped_tensors).toBe('model.map_augment.weight,model.map_augment.bias');
  });

  it('names what does not fit: a foreign tensor, a wrong shape, a missing entry, a module that is not a stack', () => {
    const extra = new Map([['model.model.0.extra_gate', new Float32Array(4)]]);
    inputError(() => read(concat(snapshotPickle(custom, weights, shapes, { extra }))), 'network-snapshot-000042.pkl', 'ema: tensor model.model.0.extra_gate is not part of a LEGO stack');
    const wrong = new Map(shapes).set('model.model.1.pos_embed', [1, 2, 32]);
    const w2 = new Map(weights).set('model.model.1.pos_embed', new Float32Array(64));
    inputError(() => read(concat(snapshotPickle(custom, w2, wrong))), 'tensor model.model.1.pos_embed is [1,2,32] but its stack needs [1,16,32]');
    const missing = new Map(weights);
    missing.delete('model.model.3.final_layer.linear.bias');
    inputError(() => read(concat(snapshotPickle(custom, missing, shapes))), 'ema has no tensor model.model.3.final_layer.linear.bias');
    inputError(() => read(concat(pickle(new Map<Py, Py>([['state', 1]])))), "no network found: expected a dict with 'ema'", 'found keys state');
    const net = legoNetwork(custom, new Map([['other.weight', new Float32Array(2)]]), new Map(), { mode: { kind: 'inline' } });
    inputError(() => read(concat(pickle(new Map<Py, Py>([['ema', net]])))), 'ema.model');
  });
});

describe('sniffFormat', () => {
  it('tells safetensors, pickles and ZIPs apart by their first bytes', () => {
    const safetensors = serializeSafetensors([['x', f32([1], new Float32Array(1))]]);
    expect(sniffFormat(memorySource(safetensors, 'a'))).toBe('safetensors');
    expect(sniffFormat(memorySource(concat(pickle(1)), 'b'))).toBe('torch');
    expect(sniffFormat(memorySource(torchZip(1, []), 'c'))).toBe('torch');
    expect(sniffFormat(memorySource(new TextEncoder().encode('GIF89a....'), 'd'))).toBe(null);
    expect(sniffFormat(memorySource(new Uint8Array(0), 'e'))).toBe(null);
  });
});
