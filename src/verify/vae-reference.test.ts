// The VAE reference file under other names and broken: the older diffusers attention names (4-D weights)
// give the same outputs, and a wrong weight or an unknown tensor is caught.
import { describe, expect, it } from 'vitest';
import type { StoredTensor } from '../io/safetensors.js';
import { readSafetensorsFile } from '../io/safetensors-file.js';
import { verifyVaeReference, VAE_OUTPUTS } from './vae-reference.js';

const path = new URL('../../test/reference/vae/vae_tiny.safetensors', import.meta.url).pathname;
const file = await readSafetensorsFile(path);

const OLD_NAMES: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };

/** The file with its attention weights under diffusers' pre-0.15 names, projections stored as [C, C, 1, 1]. */
function withOldAttentionNames(): Map<string, StoredTensor> {
  const tensors = new Map<string, StoredTensor>();
  for (const [name, t] of file.tensors) {
    const m = /^(weights\.(?:en|de)coder\.mid_block\.attentions\.0)\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(name);
    if (!m) {
      tensors.set(name, t);
      continue;
    }
    const [, prefix, layer, leaf] = m;
    tensors.set(`${prefix}.${OLD_NAMES[layer]}.${leaf}`, leaf === 'weight' ? { ...t, shape: [...t.shape, 1, 1] } : t);
  }
  return tensors;
}

describe('VAE reference file', () => {
  it('holds every output the checker knows, each within its tolerance', async () => {
    const checks = await verifyVaeReference(file, path, { threads: 2 });
    expect(checks.map((c) => c.name).sort()).toEqual(Object.keys(VAE_OUTPUTS).sort());
    for (const c of checks) expect(c.ok, `${c.name} ${c.error}`).toBe(true);
  });

  it('gives the same outputs with the older attention names query/key/value/proj_attn and 4-D weights', async () => {
    const renamed = withOldAttentionNames();
    expect([...renamed.keys()].filter((k) => k.includes('.query.weight')).map((k) => renamed.get(k)!.shape)).toEqual([[64, 64, 1, 1], [64, 64, 1, 1]]);
    const current = await verifyVaeReference(file, path, { threads: 2 });
    const old = await verifyVaeReference({ metadata: file.metadata, tensors: renamed }, 'renamed', { threads: 2 });
    expect(old).toEqual(current);
  });

  it('fails a perturbed decoder weight and leaves the encoder outputs alone', async () => {
    const tensors = new Map(file.tensors);
    const name = 'weights.decoder.up_blocks.1.resnets.0.conv1.weight';
    const w = tensors.get(name)!;
    const data = new Float32Array(w.data.slice().buffer).map((v) => v * 1.01);
    tensors.set(name, { ...w, data: new Uint8Array(data.buffer) });
    const checks = await verifyVaeReference({ metadata: file.metadata, tensors }, 'perturbed');
    expect(checks.find((c) => c.name === 'output.decoded')!.ok).toBe(false);
    expect(checks.find((c) => c.name === 'output.posterior_mean')!.ok).toBe(true);
  });

  it('refuses a tensor it cannot interpret and a file without vae_config', async () => {
    const tensors = new Map(file.tensors).set('output.something_new', file.tensors.get('output.decoded')!);
    await expect(verifyVaeReference({ metadata: file.metadata, tensors }, 'x.safetensors')).rejects.toThrow(/x\.safetensors: cannot interpret tensor output\.something_new/);
    const { vae_config: _, ...metadata } = file.metadata;
    await expect(verifyVaeReference({ metadata, tensors: file.tensors }, 'x.safetensors')).rejects.toThrow(/metadata has no "vae_config"/);
  });
});
