// `lego train --minutes`: a wall-clock budget converted once into a training length, ending by itself in
// time, refusing conflicting flags, and resuming bit for bit like a run given the converted length.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../src/io/safetensors.js';
import { legoBin, runLego } from './helpers/lego-cli.js';
import { newestFile as newest, runDirs, sha256, writeTinyArch } from './helpers/training-runs.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-budget-'));
const data = join(tmp, 'mnist.zip');
const arch = writeTinyArch(tmp, 32, 32);
const common = ['train', '--data', data, '--arch', arch, '--cond', '--batch', '8', '--lr', '1e-3', '--lr-rampup', '0.5', '--xflip', '--seed', '5', '--threads', '1'];
/** log.txt's line once the budget is converted. */
const BUDGET_LINE = /^budget (\S+) min: (\d+) warm-up steps at [\d.]+ s\/kimg; duration set to (\d+\.\d{3}) kimg \(ends at about [\d.]+ min\)$/m;

const logOf = (dir: string) => (existsSync(join(dir, 'log.txt')) ? readFileSync(join(dir, 'log.txt'), 'utf8') : '');
const optionsOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'training_options.json'), 'utf8'));

/** Every tensor of a training state (weights, EMA, Adam moments) and its progress, byte for byte. */
function stateOf(file: string): { tensors: Map<string, string>; progress: string } {
  const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  return { tensors: new Map([...tensors].map(([name, t]) => [name, Buffer.from(t.data).toString('base64')])), progress: metadata.progress };
}

beforeAll(async () => {
  const made = await runLego(['dataset', '--source', 'mnist', '--max-images', '96', '--resolution', '32', '--transform', 'pad', '--dest', data]);
  expect(made.code, made.stderr).toBe(0);
}, 60_000);

// The two budget runs take wall-clock time whatever the machine, so they run side by side.
describe.concurrent('lego train --minutes', () => {
  it('ends by itself within the budget, with the converted length recorded and logged', async () => {
    const outdir = join(tmp, 'a');
    const started = Date.now();
    const { code, stderr } = await runLego([...common, '--minutes', '0.5', '--outdir', outdir]);
    const seconds = (Date.now() - started) / 1000;
    expect(code, stderr).toBe(0);
    expect(seconds).toBeLessThan(30 + 20);
    const [dir] = runDirs(outdir);
    const options = optionsOf(dir);
    expect(options).toMatchObject({ minutes: 0.5, lrDecay: 0.2, emaFraction: 0.05 });
    expect(Number.isFinite(options.durationKimg)).toBe(true);
    const nimg = Math.round(options.durationKimg * 1000);
    expect(nimg / 1000).toBe(options.durationKimg);
    expect(nimg % 8).toBe(0);
    expect(nimg).toBeGreaterThan(0);
    expect(options.emaKimg).toBe(0.05 * options.durationKimg);
    const log = logOf(dir);
    expect(log).toMatch(/from kimg 0\.000 to the end of a 0\.5 min budget$/m);
    const [, budget, timedSteps, kimg] = log.match(BUDGET_LINE) ?? [];
    expect([budget, kimg]).toEqual(['0.5', options.durationKimg.toFixed(3)]);
    expect(nimg).toBeGreaterThan(2 * (Number(timedSteps) + 1) * 8); // it trains well past its warm-up
    expect(log).toContain(`done: ${options.durationKimg.toFixed(3)} kimg`);
    expect(newest(dir, 'network-snapshot-')).toBe(join(dir, `network-snapshot-${String(Math.floor(nimg / 1000)).padStart(6, '0')}.safetensors`));
  }, 90_000);

  it('killed after the conversion and resumed alone, ends byte-identical to a run given the converted length', async () => {
    const outdir = join(tmp, 'killed');
    const flags = [...common, '--tick', '0.4', '--snap', '1', '--dump', '1'];
    const child = spawn(process.execPath, [legoBin, ...flags, '--minutes', '0.2', '--outdir', outdir], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let dir: string | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      dir = runDirs(outdir)[0];
      if (dir && BUDGET_LINE.test(logOf(dir)) && newest(dir, 'training-state-')) break;
      if (child.exitCode !== null) throw new Error(`the budget run ended before converting its budget; log.txt:\n${dir ? logOf(dir) : '(none)'}`);
    }
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    expect(logOf(dir)).not.toContain('done:'); // it really was interrupted
    const { minutes, durationKimg, emaKimg, lrDecay, pMean, pStd, labelDropout } = optionsOf(dir);
    expect([minutes, lrDecay, pMean]).toEqual([0.2, 0.2, 0.6]);

    const resumed = await runLego(['train', '--resume', dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^resuming from training-state-\d{6}\.safetensors at kimg \d+\.\d{3}$/m);
    expect(resumed.stderr).not.toContain('changed');
    expect(logOf(dir).match(new RegExp(BUDGET_LINE.source, 'gm'))).toHaveLength(1); // measured once, never again
    expect(optionsOf(dir)).toMatchObject({ durationKimg, emaKimg });

    const reference = join(tmp, 'reference');
    // The budget's recipe, given as flags: the noise levels and label dropout it brought with --minutes.
    const recipe = ['--p-mean', String(pMean), '--p-std', String(pStd), '--label-dropout', String(labelDropout)];
    const plain = await runLego([...flags, '--duration', String(durationKimg), '--ema', String(emaKimg), '--lr-decay', String(lrDecay), ...recipe, '--outdir', reference]);
    expect(plain.code, plain.stderr).toBe(0);
    const [referenceDir] = runDirs(reference);
    const [snapshot, referenceSnapshot] = [newest(dir, 'network-snapshot-')!, newest(referenceDir, 'network-snapshot-')!];
    expect(snapshot.slice(dir.length)).toBe(referenceSnapshot.slice(referenceDir.length));
    expect(sha256(snapshot)).toBe(sha256(referenceSnapshot));
    const [state, referenceState] = [stateOf(newest(dir, 'training-state-')!), stateOf(newest(referenceDir, 'training-state-')!)];
    expect(state.progress).toBe(referenceState.progress);
    expect(state.tensors.size).toBeGreaterThan(0);
    for (const [name, bytes] of referenceState.tensors) expect(state.tensors.get(name), name).toBe(bytes);

    // The budget is converted once: the same value is no change, another one is refused.
    const again = await runLego(['train', '--resume', dir, '--minutes', '0.2']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('changed');
    const other = await runLego(['train', '--resume', dir, '--minutes', '1']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`lego: --minutes: ${dir} has a budget of 0.2 min; a run's budget is converted into its length once: use --duration to change its length`);
  }, 120_000);

  it('brings the one-hour recipe for the flags not given, and only with --minutes', async () => {
    const dry = async (...args: string[]) => {
      const { code, stdout, stderr } = await runLego(['train', '--data', data, '--cond', '--outdir', join(tmp, 'dry'), '--dry-run', ...args]);
      expect(code, stderr).toBe(0);
      return JSON.parse(stdout);
    };
    const recipe = await dry('--minutes', '60');
    expect(recipe).toMatchObject({
      arch: 'lego_T_G_32', batch: 32, lr: 2e-3, lrRampupKimg: 2, lrDecay: 0.2, emaFraction: 0.05, tickKimg: 4, snapTicks: 25, minutes: 60,
    });
    expect(recipe.config).toMatchObject({ imgResolution: 32, imgChannels: 1, labelDim: 10, hiddenSize: 128, bricks: [{ resolution: 32, patchSize: 4, heads: 4, depth: 6 }] });
    // A flag given wins over the recipe; without --minutes the authors' defaults stay.
    expect(await dry('--minutes', '60', '--arch', arch, '--batch', '16', '--lr', '1e-3', '--tick', '2')).toMatchObject({ arch, batch: 16, lr: 1e-3, lrRampupKimg: 2, tickKimg: 2 });
    expect(await dry()).toMatchObject({ arch: 'lego_S_PG_64', batch: 512, lr: 1e-4, lrRampupKimg: 10000, lrDecay: 0, tickKimg: 50, snapTicks: 50, minutes: null });
  });

  it('refuses conflicting length flags before creating anything', async () => {
    const outdir = join(tmp, 'never');
    const refused = async (args: string[], message: string) => {
      const { code, stderr } = await runLego([...common, ...args, '--outdir', outdir]);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(message);
    };
    await refused(['--minutes', '1', '--duration', '10'], 'lego: --minutes and --duration: give one');
    await refused(['--ema', '10', '--ema-fraction', '0.1'], 'lego: --ema and --ema-fraction: give one');
    await refused(['--minutes', '1', '--lr-decay', '0.95'], 'lego: --lr-decay: 0.95 is over 0.9 with --minutes');
    await refused(['--lr-decay', '1'], 'lego: --lr-decay: expected a fraction of the run in [0, 1), got 1');
    await refused(['--ema-fraction', '0.1', '--ema-rampup', 'none'], 'lego: --ema-rampup: none with --ema-fraction 0.1');
    expect(existsSync(outdir)).toBe(false);
  });
});
