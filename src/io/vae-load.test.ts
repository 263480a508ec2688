// A VAE from every form of file: the diffusers folder, the same VAE under CompVis names (safetensors, and a
// Stable Diffusion .ckpt written here as torch.save writes one), and the errors for broken files.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32Storage, Global, Obj, ODict, tensor, torchZip, type Py, type StorageData } from '../../test/torch-files.js';
import { InputError } from '../errors.js';
import { serializeSafetensors, type TensorEntry } from './safetensors.js';
import { readSafetensorsFile } from './safetensors-file.js';
import { toFloat32 } from './safetensors.js';
import { inspectVae, readVae } from './vae-load.js';
import { countVaeParameters } from '../vae/weights.js';

const fixtures = new URL('../../test/fixtures/latent/', import.meta.url).pathname;
const folder = join(fixtures, 'sd-vae-tiny');
const compvis = join(fixtures, 'sd-vae-tiny-compvis.safetensors');
const tmp = mkdtempSync(join(tmpdir(), 'vae-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const diffusers = readVae(folder);

/** Exact equality of float32 data, bit for bit (quick on large arrays). */
const sameBits = (a: Float32Array | undefined, b: Float32Array) =>
  a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Every weight of `read` is bit for bit the diffusers folder's. */
function expectSameWeights(read: Map<string, Float32Array>): void {
  expect([...read.keys()].sort()).toEqual([...diffusers.weights.keys()].sort());
  for (const [name, w] of diffusers.weights) expect(sameBits(read.get(name), w), name).toBe(true);
}

/** The CompVis file's tensors, as (name, float32, shape). */
async function compvisTensors(): Promise<[string, Float32Array, number[]][]> {
  const { tensors } = await readSafetensorsFile(compvis);
  return [...tensors].map(([name, t]) => [name, toFloat32(t, name).slice(), t.shape]);
}

function writeSafetensors(file: string, tensors: [string, Float32Array, number[]][]): string {
  const entries: [string, TensorEntry][] = tensors.map(([name, data, shape]) => [name, { dtype: 'F32', shape, data }]);
  writeFileSync(file, serializeSafetensors(entries));
  return file;
}

describe('readVae', () => {
  it('reads a diffusers folder with its config.json', () => {
    expect(diffusers.configFrom).toBe(join(folder, 'config.json'));
    expect(diffusers.config.blockOutChannels).toEqual([32, 64]);
    expect(diffusers.weights.size).toBe(124); // every tensor of the file
  });

  it('reads the CompVis file (first_stage_model.*) to exactly the tensors of the diffusers folder', () => {
    expectSameWeights(readVae(compvis, diffusers.config).weights);
  });

  it('reads a pipeline folder through its vae/ and a single file with a config.json beside it', () => {
    const pipeline = join(tmp, 'pipeline');
    mkdirSync(join(pipeline, 'vae'), { recursive: true });
    for (const f of ['config.json', 'diffusion_pytorch_model.safetensors']) copyFileSync(join(folder, f), join(pipeline, 'vae', f));
    expectSameWeights(readVae(pipeline).weights);
    expect(readVae(join(pipeline, 'vae', 'diffusion_pytorch_model.safetensors')).configFrom).toBe(join(pipeline, 'vae', 'config.json'));
  });

  it('reads the VAE of a Stable Diffusion .ckpt (torch.save ZIP, state_dict among inert records)', async () => {
    const storages: [string, StorageData][] = [];
    const mode = { kind: 'persistent' as const, storages };
    const entries: [Py, Py][] = (await compvisTensors()).map(([name, data, shape]) => [name, tensor(f32Storage(data), shape, mode, { parameter: false })]);
    entries.push(['model.diffusion_model.out.2.weight', tensor(f32Storage(Float32Array.of(1, 2)), [2], mode, { parameter: false })]);
    const callback = new Obj(new Global('pytorch_lightning.callbacks.model_checkpoint', 'ModelCheckpoint'), new Map<Py, Py>([['best_model_path', 'last.ckpt']]));
    const root = new Map<Py, Py>([['epoch', 6], ['global_step', 470000], ['state_dict', new ODict(entries)], ['callbacks', new Map<Py, Py>([['ModelCheckpoint', callback]])]]);
    const file = join(tmp, 'sd.ckpt');
    writeFileSync(file, torchZip(root, storages, 'archive'));
    expectSameWeights(readVae(file, diffusers.config).weights);
    expect(inspectVae(file, diffusers.config)?.naming).toBe('sd-checkpoint');
  });

  it('names the tensor and the file when a tensor is missing or of the wrong shape', async () => {
    const tensors = await compvisTensors();
    const missing = writeSafetensors(join(tmp, 'missing.safetensors'), tensors.filter(([n]) => n !== 'first_stage_model.decoder.up.0.block.1.conv2.weight'));
    expect(() => readVae(missing, diffusers.config)).toThrow(InputError);
    expect(() => readVae(missing, diffusers.config)).toThrow(/missing\.safetensors: no tensor decoder\.up_blocks\.1\.resnets\.1\.conv2\.weight under first_stage_model\./);
    const reshaped = tensors.map(([n, d, s]): [string, Float32Array, number[]] => (n.endsWith('encoder.conv_in.weight') ? [n, d, [16, 6, 3, 3]] : [n, d, s]));
    const bad = writeSafetensors(join(tmp, 'bad.safetensors'), reshaped);
    expect(() => readVae(bad, diffusers.config)).toThrow(/bad\.safetensors: tensor first_stage_model\.encoder\.conv_in\.weight \(encoder\.conv_in\.weight\) is \[16, 6, 3, 3\] but the VAE config needs \[32, 3, 3, 3\]/);
  });

  it('takes the SD config for a single file without one, so a small VAE is then mis-shaped', () => {
    expect(() => readVae(compvis)).toThrow(/sd-vae-tiny-compvis\.safetensors: .* needs \[128, 3, 3, 3\] \(Stable Diffusion.s VAE config was assumed/);
  });
});

describe('inspectVae', () => {
  it('describes a folder and a CompVis file from headers alone', () => {
    const report = inspectVae(folder)!;
    expect(report).toMatchObject({ naming: 'diffusers', parameters: countVaeParameters(diffusers.config) });
    expect(report.float32Bytes).toBe(4 * report.parameters);
    expect(inspectVae(compvis, diffusers.config)?.naming).toBe('sd-checkpoint');
  });

  it('gives null for a file without VAE tensors', () => {
    const file = writeSafetensors(join(tmp, 'other.safetensors'), [['model.x.weight', new Float32Array(2), [2]]]);
    expect(inspectVae(file)).toBeNull();
  });
});
