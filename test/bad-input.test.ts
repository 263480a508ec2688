// Bad input to the built `lego` binary, as a user gives it: every refusal is one line `lego: ...` with exit 2
// (usage) or 1 (input and files), never a stack trace, an endless loop or a half-made output.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../src/data/png.js';
import { saveCheckpoint } from '../src/io/checkpoint-file.js';
import { initWeights } from '../src/lego/model.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';
import { lego, type LegoResult } from './helpers/lego-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-bad-input-'));
const network = join(tmp, 'tiny.safetensors');
const unconditional = join(tmp, 'tiny-uncond.safetensors');
const data = join(tmp, 'data.zip');
const condArch = join(tmp, 'cond.json');
const uncondArch = join(tmp, 'uncond.json');
const onProc = process.platform === 'linux' && existsSync('/proc/self');
const fixture = fileURLToPath(new URL('./fixtures/network-snapshot-000100.pkl', import.meta.url));

/** A file, and a symbolic link to a path that does not exist. */
const aFile = join(tmp, 'a-file');
const dangling = join(tmp, 'dangling');

beforeAll(async () => {
  await saveCheckpoint(network, tinyConfig, tinyWeights());
  const uncondConfig = { ...tinyConfig, labelDim: 0 };
  await saveCheckpoint(unconditional, uncondConfig, initWeights(uncondConfig, 1));
  // Eight 8x8 gray images in two classes, as lego dataset makes them.
  const pics = join(tmp, 'pics');
  for (const [k, cls] of ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'].entries()) {
    mkdirSync(join(pics, cls), { recursive: true });
    writeFileSync(join(pics, cls, `${k}.png`), encodePng({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(k * 30) }));
  }
  expect((await lego('dataset', '--source', pics, '--dest', data)).code).toBe(0);
  const bricks = [{ resolution: 4, patchSize: 2, heads: 2, depth: 1 }, { resolution: 8, patchSize: 4, heads: 2, depth: 1 }];
  writeFileSync(condArch, JSON.stringify({ imgResolution: 8, imgChannels: 1, labelDim: 2, hiddenSize: 16, bricks }));
  writeFileSync(uncondArch, JSON.stringify({ imgResolution: 8, imgChannels: 1, labelDim: 0, hiddenSize: 16, bricks }));
  writeFileSync(aFile, 'x');
  symlinkSync(join(tmp, 'nowhere', 'target'), dangling);
}, 60_000);

/** One line `lego: ...` naming each fragment, with exit `code` and no stack trace. */
function expectOneLine({ code, stderr }: LegoResult, expected: number, ...fragments: string[]): string {
  expect(code, stderr).toBe(expected);
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^lego: /);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  return lines[0];
}

const generate = (...args: string[]) => lego('generate', '--network', network, '--seeds', '0-1', '--steps', '2', ...args);
const train = (...args: string[]) => lego('train', '--data', data, '--batch', '4', '--duration', '0.004', '--tick', '0.004', '--threads', '1', ...args);

describe('output directories that cannot be made', () => {
  it.runIf(onProc)('generate and train --outdir /proc/foo: the real reason at once, not an endless loop', async () => {
    for (const run of [generate, (...a: string[]) => train('--arch', uncondArch, ...a)]) {
      const start = performance.now();
      const line = expectOneLine(await run('--outdir', '/proc/lego-foo'), 1, '/proc/lego-foo: cannot create directory: /proc does not accept new entries');
      expect(line).not.toContain('does not exist');
      expect(performance.now() - start).toBeLessThan(30_000);
    }
  }, 90_000);

  it('generate and train --outdir naming a file, or under a dangling symbolic link, name the path', async () => {
    for (const run of [generate, (...a: string[]) => train('--arch', uncondArch, ...a)]) {
      expectOneLine(await run('--outdir', aFile), 1, `${aFile}: cannot create directory: a file of that name exists`);
      expectOneLine(await run('--outdir', join(dangling, 'out')), 1, `${join(dangling, 'out')}: cannot create directory: ${dangling} is a symbolic link`);
    }
    expect(existsSync(join(tmp, 'nowhere'))).toBe(false);
  }, 90_000);
});

describe('train: the stack\'s classes and --cond', () => {
  it('a JSON stack with labelDim > 0 without --cond is refused before any run directory is made', async () => {
    const outdir = join(tmp, 'runs-cond');
    expectOneLine(await train('--arch', condArch, '--outdir', outdir), 2, `--arch ${condArch} has labelDim 2: pass --cond to train on the dataset's labels, or set labelDim 0`);
    expect(existsSync(outdir)).toBe(false);
  });

  it('--cond with a labelDim 0 JSON stack is refused', async () => {
    const outdir = join(tmp, 'runs-uncond');
    expectOneLine(await train('--arch', uncondArch, '--cond', '--outdir', outdir), 2, `--cond: --arch ${uncondArch} has labelDim 0`);
    expect(existsSync(outdir)).toBe(false);
  });
});

describe('damaged and unwritable files', () => {
  it('a safetensors file cut inside its header says "truncated header"', async () => {
    const bytes = readFileSync(network);
    for (const cut of [6, 30]) {
      const cutFile = join(tmp, `cut-${cut}.safetensors`);
      writeFileSync(cutFile, bytes.subarray(0, cut));
      const line = expectOneLine(await lego('generate', '--network', cutFile, '--outdir', join(tmp, 'never')), 1, `${cutFile}: truncated header`);
      expect(line).not.toContain('not safetensors');
    }
  });

  it.runIf(onProc)('convert to a /proc destination gives the real reason', async () => {
    const line = expectOneLine(await lego('convert', fixture, '/proc/lego-out.safetensors'), 1, '/proc/lego-out.safetensors: cannot write: /proc does not accept new entries');
    expect(line).not.toContain('does not exist');
  });
});

describe('nonsense refused', () => {
  it('duplicate seeds, --sigma-min not below --sigma-max, and --cfg on an unconditional model', async () => {
    const outdir = join(tmp, 'nonsense');
    expectOneLine(await generate('--seeds', '0-3,2', '--outdir', outdir), 2, '--seeds: seed 2 is given twice in "0-3,2"');
    expectOneLine(await generate('--sigma-min', '80', '--outdir', outdir), 2, '--sigma-min: 80 is not below --sigma-max 80');
    expectOneLine(await generate('--sigma-min', '5', '--sigma-max', '1', '--outdir', outdir), 2, '--sigma-min: 5 is not below --sigma-max 1');
    expectOneLine(await lego('generate', '--network', unconditional, '--cfg', '2', '--outdir', outdir), 2, `--cfg 2: ${unconditional} is unconditional`);
    expect(existsSync(outdir)).toBe(false);
  });

  it('an --outdir holding another run\'s images is refused without --force; the same run continues there, skipping written seeds', async () => {
    const outdir = join(tmp, 'run');
    expect((await generate('--outdir', outdir)).code).toBe(0);
    const seed0 = statSync(join(outdir, '000000.png')).mtimeMs;
    expectOneLine(await generate('--outdir', outdir, '--cfg', '2'), 1, `${outdir}: holds images of another run (--cfg 1 vs 2); use another --outdir or --force`);
    expectOneLine(await generate('--outdir', outdir, '--steps', '3'), 1, '(--steps 2 vs 3)');
    const more = await generate('--outdir', outdir, '--seeds', '0-3', '--json');
    expect(more.code).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ images: 2, already_there: 2 });
    expect(statSync(join(outdir, '000000.png')).mtimeMs).toBe(seed0); // not regenerated
    expect(readdirSync(outdir).filter((f) => /^\d{6}\.png$/.test(f))).toHaveLength(4);
    expect(Object.keys(JSON.parse(readFileSync(join(outdir, 'labels.json'), 'utf8')))).toHaveLength(4);
    expect((await generate('--outdir', outdir, '--cfg', '2', '--force')).code).toBe(0);
  }, 60_000);
});

describe('one exit-code convention', () => {
  it('commander\'s own errors exit 2; --help and --version exit 0', async () => {
    expect((await lego('generate', '--no-such-flag')).code).toBe(2);
    expect((await lego('generate', '--seeds')).code).toBe(2);
    expect((await lego('dataset', '--source', 'mnist')).code).toBe(2); // a required option missing
    expect((await lego('no-such-command')).code).toBe(2);
    expect((await lego('--help')).code).toBe(0);
    expect((await lego('generate', '--help')).code).toBe(0);
    expect((await lego('--version')).code).toBe(0);
  });
});

describe('one overwrite rule', () => {
  it('convert refuses an existing destination without --force, in the words of lego dataset', async () => {
    const out = join(tmp, 'converted.safetensors');
    writeFileSync(out, 'precious');
    expectOneLine(await lego('convert', fixture, out), 1, `${out}: already exists; pass --force to overwrite it`);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect((await lego('convert', fixture, out, '--force')).code).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(1000);
  });
});
