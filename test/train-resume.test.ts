// Training runs as users run them: a run killed with SIGKILL (or stopped with SIGINT) and resumed in its
// directory with its recorded options ends with the same files, bit for bit, as the same run uninterrupted.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../src/io/safetensors.js';
import { runDirs, sha256, tensorsOf, writeTinyArch } from './helpers/training-runs.js';

const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lego-train-'));
const data = join(tmp, 'mnist.zip');
const arch = writeTinyArch(tmp, 32, 32);
const common = ['train', '--data', data, '--arch', arch, '--cond', '--batch', '8', '--duration', '0.16', '--tick', '0.016',
  '--snap', '1', '--dump', '1', '--lr', '1e-3', '--lr-rampup', '0.05', '--ema', '0.05', '--xflip', '--seed', '7', '--threads', '2'];

const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args]);
const states = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('training-state-')).sort();
/** Ticks a run has reported (one stats.jsonl line each; every tick writes a state with --dump 1). */
const ticks = (dir: string) => (existsSync(join(dir, 'stats.jsonl')) ? readFileSync(join(dir, 'stats.jsonl'), 'utf8').trim().split('\n').filter(Boolean).length : 0);

function finalState(runDir: string): string {
  const s = states(runDir);
  return join(runDir, s[s.length - 1]);
}

/** A file's SHA-256: byte-identical files, compared without a million-element diff when they are not. */
function finalSnapshot(runDir: string): string {
  const s = readdirSync(runDir).filter((f) => f.startsWith('network-snapshot-')).sort();
  return join(runDir, s[s.length - 1]);
}

/**
 * Start a run in `outdir` and kill it with `signal` once it has reported `afterTicks` ticks (and written their
 * states). Returns its exit code and its run directory.
 */
async function startAndInterrupt(outdir: string, signal: NodeJS.Signals, afterTicks: number): Promise<{ code: number | null; dir: string }> {
  const before = new Set(runDirs(outdir));
  const child = spawn(process.execPath, [bin, ...common, '--outdir', outdir], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const dir = runDirs(outdir).find((d) => !before.has(d));
    if (dir && ticks(dir) >= afterTicks) {
      child.kill(signal);
      return { code: await exited, dir };
    }
  }
}

let uninterrupted: Map<string, string>;
let uninterruptedDir: string;

beforeAll(async () => {
  await run('dataset', '--source', 'mnist', '--max-images', '96', '--resolution', '32', '--transform', 'pad', '--dest', data);
  const outdir = join(tmp, 'a');
  await run(...common, '--outdir', outdir);
  uninterruptedDir = runDirs(outdir)[0];
  uninterrupted = tensorsOf(finalState(uninterruptedDir));
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

  it('killed with SIGKILL and resumed with --resume RUN_DIR alone, ends byte-identical in the same directory', async () => {
    // Beside the uninterrupted run, so that the recorded options (which the files hold) are the same too.
    const outdir = join(tmp, 'a');
    const { code, dir: killed } = await startAndInterrupt(outdir, 'SIGKILL', 3);
    expect(code).toBeNull();
    expect(ticks(killed)).toBeLessThan(10); // it really was interrupted
    const { stdout, stderr } = await run('train', '--resume', killed);
    expect(runDirs(outdir)).toEqual([uninterruptedDir, killed]); // no new run directory
    expect(stdout).toContain(`run directory: ${killed}`);
    expect(stderr).toMatch(/^resuming from training-state-000000\.safetensors at kimg 0\.\d{3}$/m);
    expect(stderr).not.toContain('changed');
    expect(sha256(finalState(killed))).toBe(sha256(finalState(uninterruptedDir)));
    expect(sha256(finalSnapshot(killed))).toBe(sha256(finalSnapshot(uninterruptedDir)));
    const stats = readFileSync(join(killed, 'stats.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stats.map((s) => s.tick)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // each tick once, whenever the kill came
    expect(readFileSync(join(killed, 'log.txt'), 'utf8')).toMatch(/resuming from training-state-000000[^]*done: 0\.160 kimg/);
  }, 180_000);

  it('SIGINT finishes the step, writes a state, exits 0; resuming with the same flags reaches the same weights', async () => {
    const outdir = join(tmp, 'c');
    const { code, dir: stopped } = await startAndInterrupt(outdir, 'SIGINT', 2);
    expect(code).toBe(0);
    expect(readFileSync(join(stopped, 'log.txt'), 'utf8')).toMatch(/stopped at kimg/);
    await run(...common, '--outdir', outdir, '--resume', stopped);
    expect(runDirs(outdir)).toEqual([stopped]);
    const final = tensorsOf(finalState(stopped));
    for (const [name, bytes] of uninterrupted) expect(final.get(name), name).toBe(bytes);
  }, 180_000);

  it('a flag given again changes its option, logged and recorded; the stack cannot change', async () => {
    const dir = runDirs(join(tmp, 'c'))[0];
    const before = ticks(dir); // 10 plus the short tick of the SIGINT
    const { stderr } = await run('train', '--resume', dir, '--duration', '0.192', '--lr', '2e-3');
    const changed = 'resuming with options changed from training_options.json: lr 0.001 -> 0.002, durationKimg 0.16 -> 0.192; ' +
      'the continuation is no longer bit-exact with the run as recorded';
    expect(stderr).toContain(changed);
    expect(readFileSync(join(dir, 'log.txt'), 'utf8')).toContain(changed);
    expect(JSON.parse(readFileSync(join(dir, 'training_options.json'), 'utf8'))).toMatchObject({ lr: 2e-3, durationKimg: 0.192, batch: 8, seed: 7, xflip: true });
    expect(ticks(dir)).toBe(before + 2);
    const otherStack = run('train', '--resume', dir, '--arch', 'lego_S_PG_64');
    await expect(otherStack).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`lego: --arch: lego_S_PG_64 is not the stack of ${dir} (${arch})`) });
    const elsewhere = run('train', '--resume', dir, '--outdir', join(tmp, 'elsewhere'));
    await expect(elsewhere).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--outdir: a resumed run continues in its own directory') });
    await expect(run('train', '--batch', '8')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--data: required, unless --resume names a run directory') });
    expect(ticks(dir)).toBe(before + 2);
  }, 180_000);

  it('a damaged newest state is named with the previous one; --resume-fallback continues from that, byte-identical', async () => {
    const outdir = join(tmp, 'damaged');
    // Long enough for states at kimg 0, 1 and 2 (one per tick of 0.5 kimg, named by whole kimg).
    await run('train', '--data', data, '--arch', arch, '--cond', '--batch', '8', '--duration', '2', '--tick', '0.5', '--dump', '1', '--seed', '3', '--threads', '2', '--outdir', outdir);
    const [dir] = runDirs(outdir);
    expect(states(dir)).toEqual(['training-state-000000.safetensors', 'training-state-000001.safetensors', 'training-state-000002.safetensors']);
    const newest = join(dir, 'training-state-000002.safetensors');
    const intact = sha256(newest);
    const half = Math.floor(readFileSync(newest).length / 2);
    truncateSync(newest, half);

    const refused = await run('train', '--resume', dir).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(refused?.code).toBe(1);
    const lines = refused!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^lego: ${newest}: .*truncated`));
    expect(lines[0]).toContain(`the previous state ${join(dir, 'training-state-000001.safetensors')} loads: add --resume-fallback to continue from it`);
    expect(readFileSync(newest).length).toBe(half); // nothing touched

    const { stderr } = await run('train', '--resume', dir, '--resume-fallback');
    expect(stderr).toContain('set aside as training-state-000002.safetensors.damaged');
    expect(stderr).toMatch(/^resuming from training-state-000001\.safetensors at kimg 1\.\d{3}$/m);
    expect(existsSync(`${newest}.damaged`)).toBe(true);
    expect(sha256(newest)).toBe(intact); // the steps after the previous state, redone bit for bit
    expect(ticks(dir)).toBe(4);
  }, 180_000);

  it('continues the authors\' training-state-*.pt (weights and Adam moments)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/training-state-000100.pt', import.meta.url));
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

  it('records the label dropout, the noise levels and, by default, one thread per core for a new run', async () => {
    const withoutThreads = common.slice(0, common.indexOf('--threads'));
    const dry = async (...extra: string[]) => JSON.parse((await run(...withoutThreads, '--outdir', join(tmp, 'dry'), '--dry-run', ...extra)).stdout);
    expect(await dry()).toMatchObject({ labelDropout: 0.1, pMean: -1.2, pStd: 1.2, threads: availableParallelism() });
    expect(await dry('--label-dropout', '0', '--p-mean', '-0.6', '--p-std', '1.4', '--threads', '1')).toMatchObject({ labelDropout: 0, pMean: -0.6, pStd: 1.4, threads: 1 });
    await expect(run(...withoutThreads, '--outdir', join(tmp, 'never-dropout'), '--label-dropout', '1')).rejects.toMatchObject({
      code: 2, stderr: expect.stringContaining('--label-dropout: expected a probability in [0, 1), got 1'),
    });
    expect(existsSync(join(tmp, 'never-dropout'))).toBe(false);
  });

  it('refuses a model that cannot tile the data before training', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ imgResolution: 32, imgChannels: 1, labelDim: 10, hiddenSize: 32, bricks: [{ resolution: 32, patchSize: 8, heads: 2, depth: 1 }, { resolution: 32, patchSize: 8, heads: 2, depth: 1 }] }));
    const small = join(tmp, 'small.zip');
    await run('dataset', '--source', 'mnist', '--max-images', '8', '--resolution', '24', '--transform', 'pad', '--dest', small);
    await expect(run('train', '--data', small, '--arch', bad, '--cond', '--outdir', join(tmp, 'never'))).rejects.toMatchObject({ code: 1 });
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});
