// Fuzz test of the readers (pickle.ts, files/zip-reader.ts, torch-load.ts, lego-from-torch.ts): thousands of
// damaged copies of the fixtures (seeded, so any failure replays) must each load or fail with a one-line
// InputError, never a crash. Mutations aim mostly at the structure (opcodes, lengths, headers), found by
// locating the tensor data; a generated legacy torch.save file covers protocol 2 and the pre-ZIP container.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, legacyStream, randomWeights, trainingStateObject } from '../../test/torch-files.js';
import { memorySource } from '../files/byte-source.js';
import { InputError } from '../errors.js';
import type { LegoConfig } from '../lego/config.js';
import { Rng } from '../random.js';
import { convertedTensors, readAuthorsCheckpoint } from './authors-checkpoint.js';
import { parseSafetensors } from './safetensors.js';

const fixtures = new URL('../../test/fixtures/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, fixtures)));

/** Byte positions of a file that are not tensor data (the expected tensors, located in the file). */
function structure(file: Uint8Array, expected: Uint8Array): number[] {
  const data = new Uint8Array(file.length);
  const haystack = Buffer.from(file.buffer, file.byteOffset, file.length);
  for (const t of parseSafetensors(expected, 'expected').tensors.values()) {
    if (t.data.length < 64) continue;
    for (let at = haystack.indexOf(t.data.subarray(0, 64)); at >= 0; at = haystack.indexOf(t.data.subarray(0, 64), at + 1)) data.fill(1, at, at + t.data.length);
  }
  const positions: number[] = [];
  data.forEach((d, i) => d || positions.push(i));
  return positions;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x28, 0x2e, 0x52, 0x62, 0x71, 0x81, 0x93, 0x94, 0x95];

/** One damaged copy: bit flips, byte and length overwrites, cuts, deletions or insertions. */
function mutate(file: Uint8Array, targets: number[], rng: Rng): Uint8Array {
  const at = () => (rng.uniform() < 0.8 ? targets[rng.below(targets.length)] : rng.below(file.length));
  const kind = rng.below(6);
  const out = kind < 3 ? file.slice() : file;
  switch (kind) {
    case 0: // flip bits
      for (let k = 1 + rng.below(4); k > 0; k--) out[at()] ^= 1 << rng.below(8);
      return out;
    case 1: // interesting bytes
      for (let k = 1 + rng.below(3); k > 0; k--) out[at()] = INTERESTING[rng.below(INTERESTING.length)];
      return out;
    case 2: { // a 32-bit length or offset turned huge, negative or zero
      const p = Math.min(at(), out.length - 4);
      new DataView(out.buffer).setUint32(p, [0xffffffff, 0x7fffffff, 0x80000000, 0, 1 + rng.below(1 << 20)][rng.below(5)], true);
      return out;
    }
    case 3: // truncation
      return file.subarray(0, at());
    case 4: { // delete a few bytes
      const p = at();
      return splice(file, p, Math.min(1 + rng.below(16), file.length - p), []);
    }
    default: { // insert a few bytes
      const junk = Array.from({ length: 1 + rng.below(8) }, () => (rng.uniform() < 0.5 ? INTERESTING[rng.below(INTERESTING.length)] : rng.below(256)));
      return splice(file, at(), 0, junk);
    }
  }
}

/** `file` with `remove` bytes at `at` replaced by `insert`. */
function splice(file: Uint8Array, at: number, remove: number, insert: number[]): Uint8Array {
  const out = new Uint8Array(file.length - remove + insert.length);
  out.set(file.subarray(0, at));
  out.set(insert, at);
  out.set(file.subarray(at + remove), at + insert.length);
  return out;
}

/** Load a (damaged) file fully: the network, the config and every tensor of the converted file. */
async function loadFully(bytes: Uint8Array, name: string): Promise<void> {
  const { tensors } = convertedTensors(readAuthorsCheckpoint(memorySource(bytes, name)));
  for (const [, t] of tensors) await t.bytes();
}

/** A small legacy (pre-ZIP) torch.save training state of protocol 2 pickles, made by the test helper. */
function legacyState(): Uint8Array {
  const cfg: LegoConfig = {
    imgResolution: 4, imgChannels: 1, labelDim: 2, hiddenSize: 8, mlpRatio: 4, sigmaData: 0.5,
    bricks: [{ resolution: 2, patchSize: 1, heads: 2, depth: 1 }, { resolution: 4, patchSize: 2, heads: 1, depth: 1 }],
  };
  const { weights, shapes } = randomWeights(cfg, 2);
  const mode = { kind: 'persistent' as const, storages: [] };
  const object = trainingStateObject(cfg, weights, shapes, { step: 3, m: weights, v: weights }, mode);
  return concat(legacyStream(mode.storages, object));
}

describe('fuzz: damaged checkpoints give one-line InputErrors', () => {
  const cases: [string, string | null, number][] = [
    ['network-snapshot-000100.pkl', 'network-snapshot-000100.expected.safetensors', 1000],
    ['training-state-000100.pt', 'training-state-000100.expected.safetensors', 1000],
    ['hostile.pkl', null, 300],
    ['legacy-state.pt', null, 600],
  ];
  for (const [name, expected, runs] of cases) {
    it(`${name}: ${runs} mutations`, async () => {
      const file = name === 'legacy-state.pt' ? legacyState() : read(name);
      const targets = expected ? structure(file, read(expected)) : [...file.keys()];
      if (expected) expect(targets.length).toBeLessThan(file.length / 2); // the data was found: mutations aim at structure
      const rng = new Rng(20240611, name.length);
      const crashes: string[] = [];
      let loaded = 0;
      for (let i = 0; i < runs; i++) {
        const damaged = mutate(file, targets, rng);
        try {
          await loadFully(damaged, name);
          loaded++;
        } catch (e) {
          if (!(e instanceof InputError) || e.message.includes('\n')) crashes.push(`#${i}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
        }
      }
      expect(crashes.slice(0, 5)).toEqual([]);
      if (name === 'hostile.pkl') expect(loaded).toBe(0);
      else expect(loaded).toBeLessThan(runs); // the mutations do reach the parser
    });
  }
});
