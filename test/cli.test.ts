// The built `lego` binary, run as a user would: exit codes, one-line errors, JSON output.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lego, legoBin } from './helpers/lego-cli.js';

const golden = fileURLToPath(new URL('./reference/', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'lego-cli-'));
const tinyStack = join(tmp, 'tiny.json');
writeFileSync(tinyStack, JSON.stringify({
  imgResolution: 16, imgChannels: 3, labelDim: 0, hiddenSize: 32,
  bricks: [{ resolution: 4, patchSize: 2, heads: 2, depth: 1 }, { resolution: 16, patchSize: 4, heads: 4, depth: 1 }],
}));

describe('lego CLI', () => {
  it('--help names every command', async () => {
    const { code, stdout } = await lego('--help');
    expect(code).toBe(0);
    for (const c of ['verify-reference', 'bench']) expect(stdout).toContain(c);
  });

  it('stops quietly, exit 0, when its reader closes the pipe early (lego dataset --help | head -1)', async () => {
    const child = spawn(process.execPath, [legoBin, 'dataset', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the help is written: every write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('verify-reference passes on the public reference files', async () => {
    const files = ['forward_pg3', 'grad_pr3_cond', 'sampler_pg3'].map((f) => `${golden}${f}.safetensors`);
    const { code, stdout } = await lego('verify-reference', ...files);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok +.*output\.stage0 +max abs err/m);
    expect(stdout).toMatch(/^ok +.*grad\.model\.t_embedder\.mlp\.0\.weight +max rel err/m);
    expect(stdout).not.toMatch(/FAIL/);
    expect(stdout).toContain('all outputs within tolerance (3 files)');
  });

  it('verify-reference: a missing file is a one-line error naming it, exit 1', async () => {
    const { code, stderr } = await lego('verify-reference', join(tmp, 'nope.safetensors'));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^lego: .*nope\.safetensors: cannot read/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('verify-reference: a file that is not safetensors is refused in one line', async () => {
    const junk = join(tmp, 'junk.safetensors');
    writeFileSync(junk, Buffer.from('this is not a safetensors file at all'));
    const { code, stderr } = await lego('verify-reference', junk);
    expect(code).toBe(1);
    expect(stderr).toContain('junk.safetensors');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('bench: an unknown arch is a usage error, exit 2', async () => {
    const { code, stderr } = await lego('bench', '--arch', 'lego_Q_PG_64');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--arch: "lego_Q_PG_64" is neither a preset/);
  });

  it('bench: a bad --batch names the flag', async () => {
    const { code, stderr } = await lego('bench', '--arch', tinyStack, '--batch', 'eight');
    expect(code).toBe(2);
    expect(stderr).toContain('--batch: expected an integer, got "eight"');
  });

  it('bench --train --json prints one JSON object with the timings, FLOPs and memory', async () => {
    const { code, stdout } = await lego('bench', '--arch', tinyStack, '--batch', '2', '--train', '--repeat', '1', '--json', '--threads', '1');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    for (const k of ['forward_s', 'train_step_s', 'gflop_per_forward', 'gflops', 'peak_rss_mb', 'gflop_per_step', 'train_peak_rss_mb']) {
      expect(r[k], k).toBeGreaterThan(0);
    }
    // The training window's sampled peak cannot exceed the process's lifetime peak.
    expect(r.train_peak_rss_mb).toBeLessThanOrEqual(r.peak_rss_mb + 1);
    expect(r.bricks).toHaveLength(2);
    // Brick 1 is a 16x16 tile over 16 tokens; brick 0 has 4-token tiles: its attention is cheaper.
    expect(r.gflop_per_step).toBeGreaterThan(2 * r.gflop_per_forward);
  });

  it('bench --stop-after 0 runs only the first brick', async () => {
    const { stdout } = await lego('bench', '--arch', tinyStack, '--batch', '2', '--stop-after', '0', '--repeat', '1', '--json');
    const r = JSON.parse(stdout);
    expect(r.bricks).toHaveLength(1);
    expect(r.stop_after).toBe(0);
  });
});
