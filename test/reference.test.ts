// Parity with the authors' PyTorch code: every public reference file passes, and the checker is
// shown to fail when the model is wrong or the file cannot be interpreted.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { verifyReference, type ReferenceFile } from '../src/verify/reference.js';
import { readSafetensorsFile } from '../src/io/safetensors-file.js';

const goldenDir = fileURLToPath(new URL('./reference/', import.meta.url));
/** The stack's reference files, and the VAE's under vae/ (names relative to test/reference/). */
const goldenFiles = readdirSync(goldenDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.safetensors')).sort();

/** A copy of a reference file with some tensors replaced or removed. */
function edited(file: ReferenceFile, edit: (tensors: ReferenceFile['tensors']) => void, metadata = file.metadata): ReferenceFile {
  const tensors = new Map(file.tensors);
  edit(tensors);
  return { metadata, tensors };
}

describe('reference files of the official code', () => {
  it('finds the public reference files', () => {
    expect(goldenFiles).toEqual(expect.arrayContaining(['forward_pg3.safetensors', 'grad_pr3_cond.safetensors', 'sampler_pg3.safetensors', 'vae/vae_tiny.safetensors']));
  });

  for (const name of goldenFiles) {
    it(`${name}: every output within tolerance`, async () => {
      const checks = await verifyReference(await readSafetensorsFile(goldenDir + name), name, { threads: 2 });
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) expect(c.error, c.name).toBeLessThanOrEqual(c.tolerance);
    });
  }

  it('every kind of output is checked somewhere', async () => {
    const names = new Set<string>();
    for (const name of goldenFiles) for (const c of await verifyReference(await readSafetensorsFile(goldenDir + name), name)) names.add(c.name);
    for (const n of ['output.stage0', 'output.D', 'output.D_uncond', 'output.D_cfg', 'output.D_large', 'output.loss', 'output.loss_per_pixel',
      'grad.model.t_embedder.mlp.0.weight', 'grad.model.y_embedder.embedding_table.weight', 'output.t_steps', 'output.x_full', 'output.x_skip_last_brick',
      'output.decoded', 'output.decoded_wide', 'output.images_uint8', 'output.posterior_mean', 'output.posterior_std', 'output.latents_scaled']) {
      expect(names, n).toContain(n);
    }
  });
});

describe('the checker fails when it should', () => {
  it('a perturbed weight shows up as forward errors over tolerance', async () => {
    const file = await readSafetensorsFile(goldenDir + 'forward_pr3_cond.safetensors');
    const bad = edited(file, (t) => {
      const name = 'weights.model.model.1.blocks.0.mlp.fc1.weight';
      const w = t.get(name)!;
      const data = new Float32Array(new Float32Array(w.data.slice().buffer).map((v) => v * 1.01));
      t.set(name, { ...w, data: new Uint8Array(data.buffer) });
    });
    const checks = await verifyReference(bad, 'perturbed');
    expect(checks.find((c) => c.name === 'output.stage0')!.ok).toBe(true); // brick 0 does not read brick 1
    expect(checks.find((c) => c.name === 'output.stage1')!.ok).toBe(false);
    expect(checks.find((c) => c.name === 'output.D_cfg')!.ok).toBe(false);
  });

  it('a gradient off by 1% is caught', async () => {
    const file = await readSafetensorsFile(goldenDir + 'grad_pr3_cond.safetensors');
    const name = 'grad.model.model.2.blocks.0.attn.proj.weight';
    const bad = edited(file, (t) => {
      const g = t.get(name)!;
      const data = new Float32Array(g.data.slice().buffer).map((v) => v * 1.01);
      t.set(name, { ...g, data: new Uint8Array(data.buffer) });
    });
    const check = (await verifyReference(bad, 'perturbed')).find((c) => c.name === name)!;
    expect(check.ok).toBe(false);
    expect(check.error).toBeGreaterThan(5e-3);
  });

  it('an output it does not know is an error, never a silent pass', async () => {
    const file = await readSafetensorsFile(goldenDir + 'forward_pg3.safetensors');
    const bad = edited(file, (t) => t.set('output.something_new', t.get('output.D')!));
    await expect(verifyReference(bad, 'new.safetensors')).rejects.toThrow(/new\.safetensors: cannot interpret tensor output\.something_new/);
  });

  it('metadata without a stack description is an error', async () => {
    const file = await readSafetensorsFile(goldenDir + 'forward_pg3.safetensors');
    const { bricks: _, ...metadata } = file.metadata;
    await expect(verifyReference({ metadata, tensors: file.tensors }, 'x.safetensors')).rejects.toThrow(InputError);
  });

  it('a missing weight is named', async () => {
    const file = await readSafetensorsFile(goldenDir + 'forward_pg3.safetensors');
    const bad = edited(file, (t) => t.delete('weights.model.model.2.final_layer.linear.bias'));
    await expect(verifyReference(bad, 'x.safetensors')).rejects.toThrow(/no tensor weights\.model\.model\.2\.final_layer\.linear\.bias/);
  });
});
