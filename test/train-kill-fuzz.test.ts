// Training killed with SIGKILL at seeded random moments of its run, three times over, each time resumed from
// the run directory holding the newest state: the last run ends bit-identical to the uninterrupted one, and
// every file of every run directory is whole (a kill mid-write leaves only a temporary file of the killed process).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../src/io/safetensors.js';
import { Rng } from '../src/random.js';
import { runDirs, tensorsOf, writeTinyArch } from './helpers/training-runs.js';

const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lego-kill-'));
const data = join(tmp, 'mnist16.zip');
const arch = writeTinyArch(tmp, 16, 16);
// 50 ticks of one 8-image step each, a state (and a snapshot) written at every tick: many moments to be killed in.
const common = ['train', '--data', data, '--arch', arch, '--cond', '--batch', '8', '--duration', '0.4', '--tick', '0.008',
  '--snap', '1', '--dump', '1', '--lr', '1e-3', '--lr-rampup', '0.05', '--seed', '11', '--threads', '1'];

const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args]);
const states = (dir: string) => readdirSync(dir).filter((f) => /^training-state-\d+\.safetensors$/.test(f)).map((f) => join(dir, f));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The most recently written training state under `outdir` (whether a resumed run continues in place or not), or null. */
function newestState(outdir: string): { file: string; mtimeMs: number } | null {
  const all = runDirs(outdir).flatMap(states).map((file) => ({ file, mtimeMs: statSync(file).mtimeMs }));
  return all.sort((a, b) => a.mtimeMs - b.mtimeMs).at(-1) ?? null;
}

/** Every tensor of a training state (weights, EMA, Adam moments), byte for byte. */
/**
 * Run `args`; once it has written its first training state, SIGKILL it `killAfterMs` later (never, when
 * undefined), so a kill lands anywhere in training: mid-step, mid-write of a state or snapshot, between files.
 * Returns its pid and how long it trained after that first state.
 */
async function runWatched(outdir: string, args: string[], killAfterMs?: number): Promise<{ pid: number; signal: string | null; trainingMs: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
  let exited = false;
  const done = new Promise<string | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
  void done.then(() => (exited = true));
  while (!exited && (newestState(outdir)?.mtimeMs ?? 0) < started) await sleep(5);
  const firstState = Date.now();
  if (killAfterMs !== undefined) {
    await Promise.race([sleep(killAfterMs), done]);
    child.kill('SIGKILL');
  }
  const signal = await done;
  return { pid: child.pid!, signal, trainingMs: Date.now() - firstState };
}

let uninterrupted: Map<string, string>;
let trainingMs: number;

beforeAll(async () => {
  await run('dataset', '--source', 'mnist', '--max-images', '32', '--resolution', '16', '--transform', 'center-crop', '--dest', data);
  const outdir = join(tmp, 'whole');
  ({ trainingMs } = await runWatched(outdir, [...common, '--outdir', outdir]));
  uninterrupted = tensorsOf(newestState(outdir)!.file);
}, 120_000);

describe('lego train under repeated SIGKILL', () => {
  it('three kills at random moments, each resumed: the same final state, and only whole files left', async () => {
    const outdir = join(tmp, 'killed');
    const rng = new Rng(20240611, 7);
    const killed: number[] = [];
    for (let k = 0; k < 3; k++) {
      // Resume from the run directory holding the newest state (a run killed before its first state has none).
      const resumable = newestState(outdir);
      const args = [...common, '--outdir', outdir, ...(resumable ? ['--resume', dirname(resumable.file)] : [])];
      // Within the first quarter of a whole run's training, so that three kills all land before the end.
      const { pid, signal } = await runWatched(outdir, args, (rng.uniform() * trainingMs) / 4);
      expect(signal).toBe('SIGKILL');
      killed.push(pid);
    }
    await run(...common, '--outdir', outdir, '--resume', dirname(newestState(outdir)!.file));

    const final = tensorsOf(newestState(outdir)!.file);
    expect([...final.keys()]).toEqual([...uninterrupted.keys()]);
    for (const [name, bytes] of uninterrupted) expect(final.get(name), name).toBe(bytes);

    // The resumed run's directory holds no partial files (resuming removes those of killed writes); every
    // safetensors file of every run reads whole; any other leftover is a killed process's temporary file.
    const finalDir = dirname(newestState(outdir)!.file);
    expect(readdirSync(finalDir).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);
    for (const dir of runDirs(outdir)) {
      for (const file of readdirSync(dir)) {
        const temp = /\.tmp-(\d+)$/.exec(file);
        if (temp) expect(killed, `${dir}/${file}`).toContain(Number(temp[1]));
        else if (file.endsWith('.safetensors')) expect(() => parseSafetensors(new Uint8Array(readFileSync(join(dir, file))), file), `${dir}/${file}`).not.toThrow();
      }
    }
  }, 120_000);
});
