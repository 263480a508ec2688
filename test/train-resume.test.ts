// Training runs as users run them: a run killed with SIGKILL (or stopped with SIGINT) and resumed
// ends with the same weights, bit for bit, as the same run uninterrupted.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../src/io/safetensors.js';

const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lego-train-'));
const data = join(tmp, 'mnist.zip');
const arch = join(tmp, 'tiny.json');
writeFileSync(arch, JSON.stringify({
  imgResolution: 32, imgChannels: 1, labelDim: 10, hiddenSize: 32,
  bricks: [{ resolution: 8, patchSize: 4, heads: 2, depth: 1 }, { resolution: 32, patchSize: 8, heads: 2, depth: 1 }],
}));
const common = ['train', '--data', data, '--arch', arch, '--cond', '--batch', '8', '--duration', '0.16', '--tick', '0.016',
  '--snap', '1', '--dump', '1', '--lr', '1e-3', '--lr-rampup', '0.05', '--ema', '0.05', '--xflip', '--seed', '7', '--threads', '2'];

const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args]);
const runDirs = (outdir: string) => (existsSync(outdir) ? readdirSync(outdir).sort().map((d) => join(outdir, d)) : []);
const states = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('training-state-')).sort();
/** Ticks a run has reported (one stats.jsonl line each; every tick writes a state with --dump 1). */
const ticks = (dir: string) => (existsSync(join(dir, 'stats.jsonl')) ? readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length : 0);

/** Every tensor of a training state (weights, EMA, Adam moments), byte for byte. */
function tensorsOf(file: string): Map<string, string> {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  return new Map([...tensors].map(([name, t]) => [name, Buffer.from(t.data).toString('base64')]));
}

function finalState(runDir: string): string {
  const s = states(runDir);
  return join(runDir, s[s.length - 1]);
}

/** Start a run and kill it with `signal` once it has reported `afterTicks` ticks (and written their states). */
async function startAndInterrupt(outdir: string, signal: NodeJS.Signals, afterTicks: number): Promise<number | null> {
  const child = spawn(process.execPath, [bin, ...common, '--outdir', outdir], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const [dir] = runDirs(outdir);
    if (dir && ticks(dir) >= afterTicks) break;
  }
  child.kill(signal);
  return exited;
}

let uninterrupted: Map<string, string>;

beforeAll(async () => {
  await run('dataset', '--source', 'mnist', '--max-images', '96', '--resolution', '32', '--transform', 'pad', '--dest', data);
  const outdir = join(tmp, 'a');
  await run(...common, '--outdir', outdir);
  uninterrupted = tensorsOf(finalState(runDirs(outdir)[0]));
}, 180_000);

describe('lego train', () => {
  it('writes an EDM-style run directory', () => {
    const dir = runDirs(join(tmp, 'a'))[0];
    expect(dir).toMatch(/00000-mnist-tiny-batch8$/);
    const files = readdirSync(dir);
    for (const f of ['training_options.json', 'log.txt', 'stats.jsonl']) expect(files).toContain(f);
    expect(files.some((f) => /^network-snapshot-\d{6}\.safetensors$/.test(f))).toBe(true);
    const stats = readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stats).toHaveLength(10);
    expect(stats[9].kimg).toBeCloseTo(0.16);
    for (const s of stats) for (const k of ['loss', 'sec_per_kimg', 'gflops', 'peak_rss_mb']) expect(s[k], k).toBeGreaterThan(0);
    expect(uninterrupted.size).toBeGreaterThan(0);
  });

  it('killed with SIGKILL and resumed, ends bit-identical to the uninterrupted run', async () => {
    const outdir = join(tmp, 'b');
    expect(await startAndInterrupt(outdir, 'SIGKILL', 3)).toBeNull();
    const [killed] = runDirs(outdir);
    expect(ticks(killed)).toBeLessThan(10); // it really was interrupted
    await run(...common, '--outdir', outdir, '--resume', killed);
    const resumed = runDirs(outdir)[1];
    const final = tensorsOf(finalState(resumed));
    expect([...final.keys()]).toEqual([...uninterrupted.keys()]);
    for (const [name, bytes] of uninterrupted) expect(final.get(name), name).toBe(bytes);
  }, 180_000);

  it('SIGINT finishes the step, writes a state, exits 0; resuming reaches the same weights', async () => {
    const outdir = join(tmp, 'c');
    expect(await startAndInterrupt(outdir, 'SIGINT', 2)).toBe(0);
    const [stopped] = runDirs(outdir);
    expect(readFileSync(join(stopped, 'log.txt'), 'utf8')).toMatch(/stopped at kimg/);
    await run(...common, '--outdir', outdir, '--resume', stopped);
    const final = tensorsOf(finalState(runDirs(outdir)[1]));
    for (const [name, bytes] of uninterrupted) expect(final.get(name), name).toBe(bytes);
  }, 180_000);

  it('continues the authors\' training-state-*.pt (weights and Adam moments)', async () => {
    const fixture = fileURLToPath(new URL('../../shared/fixtures/training-state-000100.pt', import.meta.url));
    const rgb16 = join(tmp, 'rgb16.zip');
    await run('dataset', '--source', 'mnist', '--max-images', '16', '--resolution', '16', '--channels', '3', '--transform', 'center-crop', '--dest', rgb16);
    const outdir = join(tmp, 'pt');
    await run('train', '--data', rgb16, '--resume', fixture, '--batch', '4', '--duration', '0.008', '--tick', '0.008', '--outdir', outdir);
    const [dir] = runDirs(outdir);
    expect(dir).toMatch(/00000-rgb16-resumed-batch4$/); // not named after the default --arch
    const { metadata } = parseSafetensors(new Uint8Array(readFileSync(finalState(dir))), 'state');
    expect(metadata.adam_step).toBe('4'); // the authors' 2 steps, then ours
    expect(JSON.parse(metadata.config).bricks.map((b: { resolution: number }) => b.resolution)).toEqual([4, 8, 16]);
  });

  it('records the micro-batch and refuses one that does not divide a graph run', async () => {
    const { stdout } = await run(...common, '--outdir', join(tmp, 'dry'), '--dry-run', '--micro-batch', '2');
    expect(JSON.parse(stdout)).toMatchObject({ batch: 8, batchGpu: 8, microBatch: 2 });
    expect(JSON.parse((await run(...common, '--outdir', join(tmp, 'dry'), '--dry-run')).stdout).microBatch).toBe(8); // a small stack: one piece
    const bad = run(...common, '--outdir', join(tmp, 'never-micro'), '--micro-batch', '3');
    await expect(bad).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--micro-batch: 3 does not divide the 8 images of a graph run') });
    expect(existsSync(join(tmp, 'never-micro'))).toBe(false);
  });

  it('refuses a model that cannot tile the data before training', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ imgResolution: 32, imgChannels: 1, labelDim: 10, hiddenSize: 32, bricks: [{ resolution: 32, patchSize: 8, heads: 2, depth: 1 }, { resolution: 32, patchSize: 8, heads: 2, depth: 1 }] }));
    const small = join(tmp, 'small.zip');
    await run('dataset', '--source', 'mnist', '--max-images', '8', '--resolution', '24', '--transform', 'pad', '--dest', small);
    await expect(run('train', '--data', small, '--arch', bad, '--outdir', join(tmp, 'never'))).rejects.toMatchObject({ code: 1 });
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});
