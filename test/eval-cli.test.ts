// `lego eval` run as a user would, through the built binary: real MNIST digits scored with the shipped
// lenet-mnist (the one test that uses the shipped weights), generate's labels.json, the cache, errors.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeDatasetJson } from '../src/data/dataset-json.js';
import { encodePng } from '../src/data/png.js';
import { encodeLenet } from '../src/eval/features.js';
import { initLenet } from '../src/eval/lenet.js';
import { loadKnownSplit } from '../src/train/feature-net-training.js';
import { saveCheckpoint } from '../src/io/checkpoint-file.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';
import { lego } from './helpers/lego-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-eval-'));

/** MNIST test digits [from, to) as 32x32 PNGs (padded as lego dataset --transform pad) and their labels. */
function digits(dir: string, from: number, to: number, labelsFile: 'labels.json' | 'dataset.json'): void {
  const test = loadKnownSplit('mnist', 'test');
  mkdirSync(dir, { recursive: true });
  const labels: [string, number][] = [];
  for (let i = from; i < to; i++) {
    const name = `${String(i).padStart(6, '0')}.png`;
    writeFileSync(join(dir, name), encodePng({ width: 32, height: 32, channels: 1, data: test.pixels.subarray(i * 1024, (i + 1) * 1024) }));
    labels.push([name, test.labels[i]]);
  }
  const json = labelsFile === 'labels.json' ? JSON.stringify(Object.fromEntries(labels)) : serializeDatasetJson(labels, null);
  writeFileSync(join(dir, labelsFile), json);
}

const images = join(tmp, 'gen');
const ref = join(tmp, 'ref');

beforeAll(() => {
  digits(images, 0, 100, 'labels.json');
  digits(ref, 100, 300, 'dataset.json');
});

describe('lego eval', () => {
  it('scores real MNIST digits with the shipped lenet-mnist: high accuracy, JSON with counts; cache reused', async () => {
    const { code, stdout, stderr } = await lego('eval', '--images', images, '--ref', ref, '--kid-subsets', '10');
    expect(stderr).toContain('100/100 images (100%)'); // plain progress lines: stderr is not a TTY
    expect(stderr).toContain('200/200 reference images (100%)');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ features: 'lenet-mnist', feature_dim: 128, images: { count: 100 }, ref: { count: 200, cache: 'written' } });
    const m = r.metrics;
    expect(m['acc-lenet-mnist'].images).toBe(100);
    expect(m['acc-lenet-mnist'].value).toBeGreaterThanOrEqual(0.95);
    expect(m['fd-lenet-mnist']).toMatchObject({ images: 100, ref_images: 200 });
    expect(m['kid-lenet-mnist']).toMatchObject({ subsets: 10, subset_size: 100 });
    expect(m['precision-lenet-mnist'].value).toBeGreaterThan(0.5);
    expect(m['recall-lenet-mnist'].value).toBeGreaterThan(0.5);
    const again = await lego('eval', '--images', images, '--ref', ref, '--metrics', 'fd');
    expect(JSON.parse(again.stdout).ref.cache).toBe('hit');
    expect(again.stderr).not.toContain('reference images');
    expect(JSON.parse(again.stdout).metrics['fd-lenet-mnist'].value).toBeCloseTo(m['fd-lenet-mnist'].value, 6);
  });

  it('lego generate writes labels.json for a conditional model, which eval reads for acc', async () => {
    const network = join(tmp, 'tiny.safetensors');
    await saveCheckpoint(network, tinyConfig, tinyWeights());
    const out = join(tmp, 'generated');
    expect((await lego('generate', '--network', network, '--seeds', '0-5', '--steps', '2', '--outdir', out, '--class', '2')).code).toBe(0);
    const labels = JSON.parse(readFileSync(join(out, 'labels.json'), 'utf8'));
    expect(labels).toEqual({ '000000.png': 2, '000001.png': 2, '000002.png': 2, '000003.png': 2, '000004.png': 2, '000005.png': 2 });
    const features = join(tmp, 'lenet-random.safetensors');
    writeFileSync(features, encodeLenet(initLenet(0), { dataset: 'none', test_accuracy: '0' }));
    const r = await lego('eval', '--images', out, '--ref', ref, '--features', features, '--metrics', 'acc,fd', '--no-cache');
    expect(r.code).toBe(0);
    // 16x16 RGB images are converted to gray and centred on 32x32; generate's grid.png is not one of them.
    expect(JSON.parse(r.stdout).metrics).toMatchObject({ 'acc-lenet-random': { images: 6 }, 'fd-lenet-random': { images: 6 } });
    expect(JSON.parse(r.stdout).ref.cache).toBe('off');
  });

  it('errors are one line: usage errors exit 2 naming the flag, input errors 1 naming the file', async () => {
    const badMetric = await lego('eval', '--images', images, '--ref', ref, '--metrics', 'fid');
    expect(badMetric.code).toBe(2);
    expect(badMetric.stderr.trim()).toBe('lego: --metrics: expected a list of fd, kid, pr, acc; got "fid"');
    const badNet = await lego('eval', '--images', images, '--ref', ref, '--features', 'inception-v3');
    expect(badNet.code).toBe(2);
    expect(badNet.stderr.trim()).toMatch(/^lego: --features: expected one of lenet-mnist, lenet-fashion or a LeNet \.safetensors file; got "inception-v3"$/);
    const missing = await lego('eval', '--images', join(tmp, 'nope'), '--ref', ref);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`lego: ${join(tmp, 'nope')}: cannot read: no such file or directory`);
    const noLabels = await lego('eval', '--images', ref, '--ref', ref, '--labels', join(tmp, 'nope.json'));
    expect(noLabels.code).toBe(1);
    expect(noLabels.stderr.trim()).toBe(`lego: ${join(tmp, 'nope.json')}: cannot read: no such file or directory`);
  });
});
