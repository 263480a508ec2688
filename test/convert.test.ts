// The authors' checkpoints end to end: the fixtures convert to exactly the expected tensors, the converted
// network computes what the expected weights compute, and `lego convert` / `lego inspect` run as a user runs
// them (hostile pickles refused with nothing executed, damaged files as one-line errors).
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guidedDenoise } from '../src/diffusion/guidance.js';
import { numel } from '../src/graph/ops.js';
import { saveCheckpoint } from '../src/io/checkpoint-file.js';
import { loadAnyCheckpoint } from '../src/io/load-any.js';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import { toFloat32 } from '../src/io/safetensors.js';
import { LegoRunner } from '../src/lego/runner.js';
import { Rng } from '../src/random.js';
import { runLego } from './helpers/lego-cli.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';

const lego = (args: string[], cwd = tmp) => runLego(args, cwd);

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string) => join(fixtures, name);
const tmp = mkdtempSync(join(tmpdir(), 'lego-convert-'));

/** Every tensor of `expected` is in `actual` with the same shape and bytes, and nothing else is. */
async function expectSameTensors(actualPath: string, expectedPath: string, extraAllowed = 0): Promise<void> {
  const actual = await readSafetensorsFile(actualPath);
  const expected = await readSafetensorsFile(expectedPath);
  for (const [name, t] of expected.tensors) {
    const a = actual.tensors.get(name);
    expect(a, name).toBeDefined();
    expect(a!.dtype, name).toBe(t.dtype);
    expect(a!.shape, name).toEqual(t.shape);
    expect(Buffer.from(a!.data).equals(Buffer.from(t.data)), name).toBe(true);
  }
  expect(actual.tensors.size).toBe(expected.tensors.size + extraAllowed);
}

describe('the fixtures convert exactly', () => {
  it('network-snapshot-000100.pkl: the tensors of the expected file, and a self-describing checkpoint', async () => {
    const out = join(tmp, 'snapshot.safetensors');
    const { code, stdout } = await lego(['convert', fixture('network-snapshot-000100.pkl'), out]);
    expect(code).toBe(0);
    expect(stdout).toContain('67 tensors');
    await expectSameTensors(out, fixture('network-snapshot-000100.expected.safetensors'));
    const { metadata } = await readSafetensorsFile(out);
    expect(JSON.parse(metadata.config).bricks.map((b: { resolution: number }) => b.resolution)).toEqual([4, 8, 16]);
    expect(metadata).toMatchObject({ kimg: '100', source_entry: 'ema', label_dim: '10' });
  });

  it('training-state-000100.pt: the weights and Adam moments of the expected file, with adam_step and the config', async () => {
    const out = join(tmp, 'state.safetensors');
    const { code, stdout } = await lego(['convert', fixture('training-state-000100.pt'), out, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ container: 'zip', entry: 'net', tensors: 201 });
    await expectSameTensors(out, fixture('training-state-000100.expected.safetensors'));
    const { metadata } = await readSafetensorsFile(out);
    expect(metadata.adam_step).toBe('2');
    expect(JSON.parse(metadata.config).hiddenSize).toBe(64);
  });

  it('the converted network denoises exactly as the network built from the expected file', async () => {
    const converted = await loadAnyCheckpoint(fixture('network-snapshot-000100.pkl'));
    const expected = await readSafetensorsFile(fixture('network-snapshot-000100.expected.safetensors'));
    const expectedWeights = new Map([...expected.tensors].map(([name, t]) => [name, toFloat32(t, name)]));
    const cfg = converted.config;
    const shape = [2, cfg.imgChannels, cfg.imgResolution, cfg.imgResolution];
    const x = new Rng(5).fillNormal(new Float32Array(numel(shape)));
    const labels = new Float32Array(2 * cfg.labelDim).fill(0);
    labels[3] = 1;
    labels[cfg.labelDim + 7] = 1;
    const outputs: Float32Array[] = [];
    for (const weights of [converted.weights, expectedWeights]) {
      const runner = new LegoRunner(cfg, weights, { threads: 1 });
      outputs.push(await runner.denoise(x, shape, [0.7, 12], { labels }));
      outputs.push(await guidedDenoise(runner, x, shape, [0.7, 12], { labels, stopAfter: 1, cfgScale: 2 }));
      await runner.release();
    }
    expect(outputs[0].some((v) => v !== 0)).toBe(true);
    expect(Buffer.from(outputs[0].buffer).equals(Buffer.from(outputs[2].buffer))).toBe(true);
    expect(Buffer.from(outputs[1].buffer).equals(Buffer.from(outputs[3].buffer))).toBe(true);
  });
});

describe('lego convert and lego inspect', () => {
  it('refuses hostile.pkl naming posix.system, and nothing runs (no file appears in the working directory)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lego-hostile-'));
    for (const args of [['convert', fixture('hostile.pkl'), 'out.safetensors'], ['inspect', fixture('hostile.pkl')]]) {
      const { code, stdout, stderr } = await lego(args, cwd);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain('global posix.system is not allowed');
    }
    expect(readdirSync(cwd)).toEqual([]); // neither lego-pickle-ran-code nor a half-written output
  });

  it('inspect shows the config, progress and tensor table of the authors\' files and ours', async () => {
    const pkl = await lego(['inspect', fixture('network-snapshot-000100.pkl')]);
    expect(pkl.code).toBe(0);
    expect(pkl.stdout).toContain('16x16x3, 10 classes, hidden 64');
    expect(pkl.stdout).toContain('progress: kimg 100');
    expect(pkl.stdout).toMatch(/model\.model\.2\.final_layer\.linear\.weight +F32 +\[12, 64\]/);
    const pt = JSON.parse((await lego(['inspect', fixture('training-state-000100.pt'), '--json'])).stdout);
    expect(pt).toMatchObject({ kind: 'torch-training-state', container: 'zip', progress: { kimg: '100', adam_step: '2' } });
    const golden = JSON.parse((await lego(['inspect', fixture('training-state-000100.expected.safetensors'), '--json'])).stdout);
    expect(golden).toMatchObject({ container: 'safetensors', kind: 'training-state', progress: { adam_step: '2' } });
    expect(golden.tensors).toHaveLength(201);
  });

  it('damaged and wrong-format inputs are one-line errors without a stack trace', async () => {
    const pt = readFileSync(fixture('training-state-000100.pt'));
    const cases: [string, Uint8Array][] = [
      ['cut.pt', pt.subarray(0, 30000)],
      ['flipped.pkl', (() => { const b = Buffer.from(readFileSync(fixture('network-snapshot-000100.pkl'))); b[700] ^= 0x40; return b; })()],
      ['notes.txt', Buffer.from('just some text\n')],
    ];
    for (const [name, bytes] of cases) {
      writeFileSync(join(tmp, name), bytes);
      for (const args of [['convert', join(tmp, name), join(tmp, `${name}.safetensors`)], ['inspect', join(tmp, name)]]) {
        const { code, stderr } = await lego(args);
        expect(code, `${args[0]} ${name}`).toBe(1);
        expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
        expect(stderr).toContain(name);
      }
      expect(existsSync(join(tmp, `${name}.safetensors`))).toBe(false);
    }
  });

  it('usage errors name the argument; --help ends with examples', async () => {
    const bad = await lego(['convert', fixture('network-snapshot-000100.pkl'), join(tmp, 'out.pkl')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('<out>: expected a path ending in .safetensors');
    for (const command of ['convert', 'inspect']) {
      const { code, stdout } = await lego([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/Examples:\n {2}lego /);
    }
  });
});

describe('lego convert --precision int8', () => {
  it('smaller, the same int8 images, and float32 sampling of the stored weights', async () => {
    const float = join(tmp, 'tiny-float.safetensors');
    const int8 = join(tmp, 'int8 model.safetensors');
    await saveCheckpoint(float, tinyConfig, tinyWeights());
    const converted = await lego(['convert', float, int8, '--precision', 'int8', '--json']);
    expect(converted.code, converted.stderr).toBe(0);
    const report = JSON.parse(converted.stdout);
    expect(report.precision).toBe('int8');
    expect(report.int8_weights).toBe(12); // 3 bricks x 1 block x (qkv, proj, fc1, fc2)
    expect(report.bytes).toBe(statSync(int8).size);
    expect(report.bytes).toBeLessThan(report.float32_bytes); // the exact sizes: src/io/int8-checkpoint.test.ts
    const inspected = await lego(['inspect', int8]);
    expect(inspected.stdout).toContain('precision: int8');

    const sample = (network: string, dir: string, ...args: string[]) =>
      lego(['generate', '--network', network, '--seeds', '0-3', '--steps', '4', '--outdir', join(tmp, dir), ...args]);
    for (const r of await Promise.all([
      sample(float, 'from-float', '--precision', 'int8'),
      sample(int8, 'from-int8', '--precision', 'int8', '--batch', '1'),
      sample(int8, 'from-int8-f32'),
      sample(float, 'f32'),
    ])) expect(r.code, r.stderr).toBe(0);
    const pngs = readdirSync(join(tmp, 'from-float')).filter((f) => /^\d{6}\.png$/.test(f));
    expect(pngs).toHaveLength(4);
    for (const f of pngs) expect(readFileSync(join(tmp, 'from-int8', f)).equals(readFileSync(join(tmp, 'from-float', f))), f).toBe(true);
    // float32 sampling runs on the weights the 8 bits stand for: close to, not equal to, the float32 model's.
    expect(pngs.some((f) => !readFileSync(join(tmp, 'from-int8-f32', f)).equals(readFileSync(join(tmp, 'f32', f))))).toBe(true);
  });

  it('converts the authors\' files too, and refuses what it cannot do without writing anything', async () => {
    const fromPkl = join(tmp, 'pkl-int8.safetensors');
    const ok = await lego(['convert', fixture('network-snapshot-000100.pkl'), fromPkl, '--precision', 'int8']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/int8 checkpoint, \d+ block Linears in 8 bits/);
    const again = await lego(['convert', fromPkl, join(tmp, 'twice.safetensors'), '--precision', 'int8']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${fromPkl}: already an int8 checkpoint`);
    const embed = await lego(['convert', fromPkl, join(tmp, 'embed.safetensors'), '--precision', 'int8', '--vae', 'x', '--embed-vae']);
    expect(embed.code).toBe(2);
    expect(embed.stderr).toContain('--embed-vae: not with --precision int8');
    const bad = await lego(['convert', fromPkl, join(tmp, 'bad.safetensors'), '--precision', 'int4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--precision: expected float32 or int8, got "int4"');
    for (const name of ['twice', 'embed', 'bad']) expect(existsSync(join(tmp, `${name}.safetensors`))).toBe(false);
  });
});
