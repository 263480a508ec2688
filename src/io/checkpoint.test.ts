// Tests for self-describing checkpoints: encode/decode (checkpoint.ts) and the Node file helpers
// (checkpoint-file.ts). A tiny two-brick stack keeps every file a few kilobytes.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { initWeights, parameterSpecs } from '../lego/model.js';
import { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-file.js';
import { f32, parseSafetensors, serializeSafetensors, type TensorEntry } from './safetensors.js';
import { inputError } from '../../test/helpers/input-error.js';
import { twoBrickConfig } from '../../test/helpers/tiny-model.js';

const cfg = twoBrickConfig;
const src = 'net.safetensors';

/** Bytes of a Float32Array, for byte-exact comparison (NaN payloads and -0 included). */
const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Re-serialise an encoded checkpoint after editing its tensor list; metadata (with the config) kept. */
function rewrite(bytes: Uint8Array, edit: (entries: [string, TensorEntry][]) => [string, TensorEntry][]): Uint8Array {
  const { metadata, tensors } = parseSafetensors(bytes, 'rewrite');
  const entries: [string, TensorEntry][] = [...tensors].map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: t.data }]);
  return serializeSafetensors(edit(entries), metadata);
}

/** The InputError `run` throws; checks it is one line and holds every fragment. */
describe('encodeCheckpoint and decodeCheckpoint', () => {
  const weights = initWeights(cfg, 7);
  // Non-zero everywhere, and some awkward float values, so byte identity means something.
  weights.get('model.model.1.final_layer.linear.bias')!.set([-0, 1e-30, 3.4e38, Math.PI]);
  const bytes = encodeCheckpoint(cfg, weights, { kimg: '12.5', note: 'ünïcode ✓' });

  it('round-trips the config, every tensor byte for byte, and the extra metadata', () => {
    const ckpt = decodeCheckpoint(bytes, src);
    expect(ckpt.config).toEqual(cfg);
    expect([...ckpt.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, data] of weights) expect(bytesOf(ckpt.weights.get(name)!), name).toEqual(bytesOf(data));
    expect(ckpt.metadata).toMatchObject({ kimg: '12.5', note: 'ünïcode ✓', format: CHECKPOINT_FORMAT });
    expect(JSON.parse(ckpt.metadata.config)).toEqual(cfg);
  });

  it('stores tensors under the official state_dict names with the config shapes', () => {
    const { tensors } = parseSafetensors(bytes, src);
    const specs = parameterSpecs(cfg);
    expect([...tensors.keys()]).toEqual(specs.map((s) => s.name));
    for (const spec of specs) expect(tensors.get(spec.name)).toMatchObject({ dtype: 'F32', shape: [...spec.shape] });
    const shapes = Object.fromEntries([...tensors].map(([name, t]) => [name, t.shape]));
    expect(shapes).toMatchObject({
      'model.model.0.x_embedder.proj.weight': [16, 3, 2, 2], // C+2 input channels
      'model.model.1.x_embedder.proj.weight': [16, 4, 4, 4], // 2C+2 input channels
      'model.model.0.pos_embed': [1, 4, 16],
      'model.model.1.pos_embed': [1, 4, 16],
      'model.model.0.blocks.0.attn.qkv.weight': [48, 16],
      'model.model.1.blocks.0.adaLN_modulation.1.weight': [96, 16],
      'model.model.1.final_layer.linear.weight': [16, 16],
      'model.t_embedder.mlp.0.weight': [16, 256],
      'model.y_embedder.embedding_table.weight': [16, 3],
    });
  });

  it('rejects safetensors without a config in the metadata', () => {
    const plain = serializeSafetensors([['w', f32([1], new Float32Array(1))]], { format: 'pt' });
    inputError(() => decodeCheckpoint(plain, src), src, 'not a lego-diffusion checkpoint');
  });

  it('rejects a tensor of the wrong shape, naming it and both shapes', () => {
    const name = 'model.model.0.blocks.0.mlp.fc1.weight'; // [64, 16]
    const bad = rewrite(bytes, (entries) =>
      entries.map(([n, t]): [string, TensorEntry] => (n === name ? [n, { ...t, shape: [16, 64] }] : [n, t])),
    );
    inputError(() => decodeCheckpoint(bad, src), src, name, '[16,64]', '[64,16]');
  });

  it('rejects a missing tensor, naming it', () => {
    const name = 'model.model.1.blocks.0.attn.proj.bias';
    const bad = rewrite(bytes, (entries) => entries.filter(([n]) => n !== name));
    inputError(() => decodeCheckpoint(bad, src), src, name, 'missing');
  });

  it('rejects a tensor the config does not have, naming it', () => {
    const name = 'model.model.2.pos_embed';
    const bad = rewrite(bytes, (entries) => [...entries, [name, f32([1, 4, 16], new Float32Array(64))]]);
    inputError(() => decodeCheckpoint(bad, src), src, name);
  });

  it('rejects a truncated file in one line naming the source', () => {
    for (const cut of [bytes.length - 4, bytes.length >> 1, 100, 5]) {
      inputError(() => decodeCheckpoint(bytes.subarray(0, cut), src), src);
    }
  });
});

describe('saveCheckpoint and loadCheckpoint', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves atomically, leaving no temp file, and loads back', async () => {
    const weights = initWeights(cfg, 3);
    const path = join(dir, 'network-snapshot.safetensors');
    await writeFile(path, 'an older snapshot');
    await saveCheckpoint(path, cfg, weights, { kimg: '1' });
    expect(await readdir(dir)).toEqual(['network-snapshot.safetensors']);
    const ckpt = await loadCheckpoint(path);
    expect(ckpt.config).toEqual(cfg);
    expect(ckpt.metadata.kimg).toBe('1');
    for (const [name, data] of weights) expect(bytesOf(ckpt.weights.get(name)!), name).toEqual(bytesOf(data));
  });

  it('names the path of a missing or truncated file', async () => {
    const missing = join(dir, 'nope.safetensors');
    await expect(loadCheckpoint(missing)).rejects.toThrow(InputError);
    await expect(loadCheckpoint(missing)).rejects.toThrow(`${missing}: cannot read: no such file or directory`);
    await expect(loadCheckpoint(missing)).rejects.toThrow('no such file');
    const truncated = join(dir, 'truncated.safetensors');
    const bytes = encodeCheckpoint(cfg, initWeights(cfg, 0));
    await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(loadCheckpoint(truncated)).rejects.toThrow(InputError);
    await expect(loadCheckpoint(truncated)).rejects.toThrow(`${truncated}: `);
  });
});
