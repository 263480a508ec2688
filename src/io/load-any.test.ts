// Tests for checkpoints on disk (load-any.ts, inspect.ts, the streamed safetensors writer): every format
// loads to the same network, conversion is atomic, and bad files are one-line errors naming them.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, legacyStream, randomWeights, snapshotPickle, torchZip, trainingStateObject } from '../../test/torch-files.js';
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { saveCheckpoint } from './checkpoint-file.js';
import { inspectCheckpoint } from './inspect.js';
import { convertCheckpoint, loadAnyCheckpoint } from './load-any.js';
import { parseSafetensors } from './safetensors.js';
import { writeSafetensorsStream } from './safetensors-file.js';

const cfg: LegoConfig = {
  imgResolution: 8, imgChannels: 3, labelDim: 4, hiddenSize: 16, mlpRatio: 4, sigmaData: 0.5,
  bricks: [{ resolution: 4, patchSize: 2, heads: 2, depth: 1 }, { resolution: 8, patchSize: 4, heads: 4, depth: 2 }],
};
const { weights, shapes } = randomWeights(cfg, 9);
let dir: string;
const path = (name: string) => join(dir, name);

async function rejects(run: () => Promise<unknown>, ...fragments: string[]): Promise<void> {
  const error = await run().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).not.toContain('\n');
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lego-load-any-'));
  await writeFile(path('network-snapshot-000012.pkl'), concat(snapshotPickle(cfg, weights, shapes)));
  const mode = { kind: 'persistent' as const, storages: [] };
  const state = trainingStateObject(cfg, weights, shapes, { step: 5, m: weights, v: weights }, mode);
  await writeFile(path('training-state-000012.pt'), torchZip(state, mode.storages));
  const legacy = { kind: 'persistent' as const, storages: [] };
  const legacyState = trainingStateObject(cfg, weights, shapes, { step: 5, m: weights, v: weights }, legacy);
  await writeFile(path('legacy.pt'), concat(legacyStream(legacy.storages, legacyState)));
  await saveCheckpoint(path('ours.safetensors'), cfg, weights, { kimg: '12' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadAnyCheckpoint', () => {
  for (const file of ['network-snapshot-000012.pkl', 'training-state-000012.pt', 'legacy.pt', 'ours.safetensors', 'converted-state.safetensors']) {
    it(`loads ${file} to the same config and weights`, async () => {
      if (file === 'converted-state.safetensors') await convertCheckpoint(path('training-state-000012.pt'), path(file));
      const ck = await loadAnyCheckpoint(path(file));
      expect(ck.config).toEqual(cfg);
      expect([...ck.weights.keys()]).toEqual([...weights.keys()]);
      for (const [name, w] of weights) expect(Buffer.from(ck.weights.get(name)!.buffer, ck.weights.get(name)!.byteOffset, w.byteLength).equals(Buffer.from(w.buffer)), name).toBe(true);
      expect(ck.metadata.kimg).toBe(file === 'legacy.pt' ? undefined : '12'); // progress comes from EDM's file names
    });
  }

  it('names the file when it is missing, empty, or not a checkpoint', async () => {
    await rejects(() => loadAnyCheckpoint(path('nope.pkl')), 'nope.pkl: cannot read: no such file or directory');
    await writeFile(path('empty.pt'), new Uint8Array(0));
    await rejects(() => loadAnyCheckpoint(path('empty.pt')), 'empty.pt: not safetensors, a pickle or a torch.save file');
    const ours = await readFile(path('ours.safetensors'));
    for (const cut of [5, 40]) {
      await writeFile(path('short.safetensors'), ours.subarray(0, cut));
      await rejects(() => loadAnyCheckpoint(path('short.safetensors')), 'short.safetensors: truncated header');
    }
    await writeFile(path('image.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0]));
    await rejects(() => loadAnyCheckpoint(path('image.png')), 'image.png', '89 50 4e 47');
    await rejects(() => loadAnyCheckpoint(dir), 'is a directory');
  });
});

describe('convertCheckpoint', () => {
  it('writes atomically (no temp file left) and refuses safetensors input', async () => {
    const r = await convertCheckpoint(path('network-snapshot-000012.pkl'), path('snap.safetensors'));
    expect(r.tensors).toBe(weights.size);
    const { metadata, tensors } = parseSafetensors(new Uint8Array(await readFile(path('snap.safetensors'))), 'snap');
    expect(r.bytes).toBe([...tensors.values()].reduce((n, t) => n + t.data.byteLength, 0));
    expect(metadata).toMatchObject({ source: 'network-snapshot-000012.pkl', kimg: '12', source_entry: 'ema' });
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await rejects(() => convertCheckpoint(path('ours.safetensors'), path('x.safetensors')), 'already safetensors');
  });

  it('leaves nothing behind when the input turns out damaged halfway', async () => {
    const bytes = await readFile(path('training-state-000012.pt'));
    await writeFile(path('cut.pt'), bytes.subarray(0, bytes.length - 200));
    await rejects(() => convertCheckpoint(path('cut.pt'), path('cut.safetensors')), 'cut.pt');
    expect((await readdir(dir)).filter((f) => f.startsWith('cut.safetensors'))).toEqual([]);
  });
});

describe('inspectCheckpoint', () => {
  it('reports config, tensors and progress of every format without loading tensors', async () => {
    const snap = await inspectCheckpoint(path('network-snapshot-000012.pkl'));
    expect(snap).toMatchObject({ container: 'pickle', kind: 'network-snapshot', config: cfg, progress: { kimg: '12' } });
    expect(snap.tensors).toHaveLength(weights.size);
    expect(snap.other).toMatchObject({ loss_fn: 'None', dataset_kwargs: 'a dict' });
    const state = await inspectCheckpoint(path('training-state-000012.pt'));
    expect(state).toMatchObject({ container: 'zip', kind: 'torch-training-state', progress: { kimg: '12', adam_step: '5' } });
    const ours = await inspectCheckpoint(path('ours.safetensors'));
    expect(ours).toMatchObject({ container: 'safetensors', kind: 'checkpoint', config: cfg, progress: { kimg: '12' } });
    expect(ours.elements).toBe([...weights.values()].reduce((n, w) => n + w.length, 0));
  });
});

describe('writeSafetensorsStream', () => {
  it('writes the same bytes as serializeSafetensors, one tensor at a time', async () => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float64Array([4]);
    let made = 0;
    await writeSafetensorsStream(path('stream.safetensors'), [
      ['a', { dtype: 'F32', shape: [3], bytes: () => (made++, new Uint8Array(a.buffer)) }],
      ['b', { dtype: 'F64', shape: [1], bytes: async () => (made++, new Uint8Array(b.buffer)) }],
    ], { note: 'x' });
    expect(made).toBe(2);
    const { metadata, tensors } = parseSafetensors(new Uint8Array(await readFile(path('stream.safetensors'))), 's');
    expect(metadata).toEqual({ note: 'x' });
    expect([...new Float32Array(tensors.get('a')!.data.slice().buffer)]).toEqual([1, 2, 3]);
  });
});
