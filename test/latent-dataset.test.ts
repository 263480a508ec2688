// Latent datasets: the authors' latent ZIP read for training, and `lego dataset --vae`'s conversion (seeded
// posterior samples, reproducible whatever the batching) written in their format and read back.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryFileTable } from '../src/files/file-table.js';
import { Rng } from '../src/random.js';
import { loadVae } from '../src/io/vae-load.js';
import { checkDatasetForModel } from '../src/data/dataset-checks.js';
import { openTrainingData } from '../src/data/dataset-reader.js';
import { filesImageSource } from '../src/data/image-source.js';
import { convertLatentDataset } from '../src/data/latent-dataset-convert.js';
import { isLatentDataset, latentDatasetFromFiles } from '../src/data/latent-dataset.js';
import { decodeNpyFloat32, encodeNpyFloat32 } from '../src/data/npy.js';
import { encodePng } from '../src/data/png.js';

const fixtures = fileURLToPath(new URL('./fixtures/latent/', import.meta.url));
const vae = await loadVae(`${fixtures}sd-vae-tiny`, { threads: 1 });
afterAll(() => vae.release());

/** Three labelled 16x16 images (two RGB, one gray) in class folders. */
function images() {
  const png = (channels: number, fill: number) =>
    encodePng({ width: 16, height: 16, channels, data: Uint8Array.from({ length: 16 * 16 * channels }, (_, i) => (fill + 7 * i) % 256) });
  return filesImageSource(memoryFileTable({ 'cat/a.png': png(3, 10), 'cat/b.png': png(1, 90), 'dog/c.png': png(3, 200) }, 'pets'));
}

async function convert(batch: number, seed = 5): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  await convertLatentDataset(images(), vae, { seed, batch }, { add: (name, bytes) => files.set(name, bytes) });
  return files;
}

describe('latent datasets', () => {
  it("reads the authors' latent ZIP: float32 (4, 8, 8) members, labels from dataset.json", () => {
    const data = openTrainingData(`${fixtures}latents-authors.zip`);
    if (!isLatentDataset(data)) throw new Error('expected a latent dataset');
    expect(data).toMatchObject({ count: 4, resolution: 8, channels: 4, labelDim: 4 });
    expect([...data.labels!]).toEqual([0, 1, 2, 3]);
    const latents = data.getLatents(3);
    expect(latents).toHaveLength(4 * 8 * 8);
    expect([...latents.subarray(0, 3)]).toEqual([-0.0725896880030632, -0.18688954412937164, 0.1989526003599167].map(Math.fround));
    expect(latents[4 * 64 - 1]).toBeCloseTo(-0.010970047, 8);
    data.close();
  });

  it('encodes images into (mean + std * noise) * scaling_factor with image k drawing stream k, the same in any batching', async () => {
    const files = await convert(2);
    expect([...files.keys()]).toEqual(['00000/img00000000.npy', '00000/img00000001.npy', '00000/img00000002.npy', 'dataset.json']);
    expect(JSON.parse(new TextDecoder().decode(files.get('dataset.json')))).toEqual({
      labels: [['00000/img00000000.npy', 0], ['00000/img00000001.npy', 0], ['00000/img00000002.npy', 1]],
      class_names: ['cat', 'dog'],
    });
    expect(await convert(1)).toEqual(files);
    expect((await convert(2, 6)).get('00000/img00000002.npy')).not.toEqual(files.get('00000/img00000002.npy'));

    // Image 2 by hand: its pixels in [-1, 1], its posterior, and stream 2 of the seed.
    const [item] = [...images().items()].slice(2);
    const hwc = item.load().data;
    const chw = new Float32Array(3 * 256);
    for (let p = 0; p < 256; p++) for (let c = 0; c < 3; c++) chw[c * 256 + p] = hwc[p * 3 + c] / 127.5 - 1;
    const posterior = await vae.encode(chw, [1, 3, 16, 16]);
    const expected = vae.sampleLatents(posterior, new Rng(5, 2).fillNormal(new Float32Array(4 * 64)));
    const stored = decodeNpyFloat32(files.get('00000/img00000002.npy')!, 'img2');
    expect(stored.shape).toEqual([4, 8, 8]);
    expect(stored.data).toEqual(expected);
  });

  it('reads its own output back for training, and the model checks speak of latents', async () => {
    const data = latentDatasetFromFiles(memoryFileTable(Object.fromEntries(await convert(3)), 'pets-sd.zip'));
    expect(data).toMatchObject({ latent: true, count: 3, resolution: 8, channels: 4, labelDim: 2, classNames: ['cat', 'dog'] });
    const config = { imgResolution: 8, imgChannels: 4, labelDim: 2, hiddenSize: 32, mlpRatio: 4, sigmaData: 0.5, bricks: [{ resolution: 8, patchSize: 2, heads: 2, depth: 1 }] };
    expect(() => checkDatasetForModel(data, config, { cond: true })).not.toThrow();
    expect(() => checkDatasetForModel(data, { ...config, imgChannels: 3 })).toThrow('pets-sd.zip: latents have 4 channels but the model takes 3; give an --arch with 4 channels');
    expect(() => checkDatasetForModel(data, { ...config, imgResolution: 16, bricks: [{ ...config.bricks[0], resolution: 16 }] })).toThrow(/^pets-sd\.zip: the model cannot tile 8x8 latents .*; remake the dataset with lego dataset --vae and a --resolution giving 16x16 latents$/);
  });

  it('refuses members of different shapes, naming both', () => {
    const files = { '00000/img00000000.npy': encodeNpyFloat32(new Float32Array(4 * 64), [4, 8, 8]), '00000/img00000001.npy': encodeNpyFloat32(new Float32Array(4 * 16), [4, 4, 4]) };
    expect(() => latentDatasetFromFiles(memoryFileTable(files, 'mixed.zip'))).toThrow('mixed.zip: 00000/img00000001.npy has shape (4, 4, 4) but 00000/img00000000.npy has (4, 8, 8); every latent must have the same shape');
  });
});
