// Tests for the pickle reader (pickle.ts): every value kind and protocol, the allow-list (refusals name the
// global, classes are never called), and one-line errors for damaged input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, Float, Global, ODict, Obj, pickle, PySet, Reduce, Tuple, type Py } from '../../test/torch-files.js';
import { ByteRange, memorySource } from '../files/byte-source.js';
import { InputError } from '../errors.js';
import { isTuple, PickleObject, unpickle, type UnpickleOptions } from './pickle.js';
import { inputError } from '../../test/helpers/input-error.js';

const load = (bytes: Uint8Array, options?: UnpickleOptions) => unpickle(memorySource(bytes, 'test.pkl'), options).value;
const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The InputError `run` throws, checked to be one line holding every fragment. */
describe('unpickle: values', () => {
  for (const protocol of [2, 4] as const) {
    it(`reads scalars, strings, containers and shared references (protocol ${protocol})`, () => {
      const shared: Py[] = [1, 2];
      const value = new Map<Py, Py>([
        ['ints', [0, 255, 65536, 2 ** 31 - 1, 2n ** 70n, -5n]],
        ['floats', [new Float(1.5), new Float(-Infinity), new Float(4)]],
        ['text', 'héllo ✓'],
        ['tuple', new Tuple([1, 'a', null, true, false])],
        [7, shared],
        ['again', shared],
        ['od', new ODict([['b', 1], ['a', 2]])],
        ['set', new PySet([3, 4])],
        ['bytes', new Uint8Array([0, 1, 255])],
      ]);
      const out = load(concat(pickle(value, protocol))) as Map<unknown, unknown>;
      expect(out.get('ints')).toEqual([0, 255, 65536, 2 ** 31 - 1, 2n ** 70n, -5]);
      expect(out.get('floats')).toEqual([1.5, -Infinity, 4]);
      expect(out.get('text')).toBe('héllo ✓');
      expect(out.get('tuple')).toEqual([1, 'a', null, true, false]);
      expect(isTuple(out.get('tuple'))).toBe(true);
      expect(out.get(7)).toBe(out.get('again')); // the memo keeps identity
      expect([...(out.get('od') as Map<unknown, unknown>)]).toEqual([['b', 1], ['a', 2]]);
      expect(out.get('set')).toEqual(new Set([3, 4]));
      const bytes = out.get('bytes') as ByteRange;
      expect(bytes).toBeInstanceOf(ByteRange);
      expect([...bytes.bytes()]).toEqual([0, 1, 255]);
    });
  }

  it('reads protocol 0 text opcodes', () => {
    // [1, True, 2**70, 1.5, 'a\'b', 'é', (None,)] as protocol 0 writes them, plus PUT/GET and DICT.
    const p0 = "(lp0\nI1\naI01\naL1180591620717411303424L\naF1.5\naS'a\\'b'\na" + 'V\\u00e9\na(Ntp1\nag1\na(dp2\nS\'k\'\nI3\nsa.';
    expect(load(text(p0))).toEqual([1, true, 2n ** 70n, 1.5, "a'b", 'é', [null], [null], new Map([['k', 3]])]);
  });

  it('makes inert objects of classes (NEWOBJ + BUILD, protocol 0 INST and OBJ without arguments)', () => {
    const state = new Map<Py, Py>([['_modules', new ODict([])], ['hidden_size', 64]]);
    const obj = load(concat(pickle(new Obj(new Global('training.lego_models', 'LEGO_module'), state)))) as PickleObject;
    expect(obj).toBeInstanceOf(PickleObject);
    expect(obj.className).toBe('training.lego_models.LEGO_module');
    expect(obj.attributes()?.get('hidden_size')).toBe(64);
    const inst = load(text('(itraining.lego_models\nFinalLayer\n(dp0\nS\'x\'\nI1\nsb.')) as PickleObject;
    expect(inst.className).toBe('training.lego_models.FinalLayer');
    expect(inst.attributes()?.get('x')).toBe(1);
  });

  it('keeps EDM persistent objects as state and ignores their embedded source code', () => {
    const meta = new Map<Py, Py>([['type', 'class'], ['version', 6], ['module_src', 'import os; os.system("x")'], ['class_name', 'EDMPrecondLEGO'], ['state', new Map<Py, Py>([['sigma_data', new Float(0.5)]])]]);
    const obj = load(concat(pickle(new Reduce(new Global('torch_utils.persistence', '_reconstruct_persistent_obj'), new Tuple([meta]))))) as PickleObject;
    expect(obj.className).toBe('EDMPrecondLEGO');
    expect(obj.attributes()?.get('sigma_data')).toBe(0.5);
  });

  it('reads several pickles in a row from offsets', () => {
    const bytes = concat([...pickle(1, 2), ...pickle('two', 2)]);
    const first = unpickle(memorySource(bytes, 'two.pkl'));
    expect(first.value).toBe(1);
    expect(unpickle(memorySource(bytes, 'two.pkl'), { offset: first.end }).value).toBe('two');
  });
});

describe('unpickle: the allow-list', () => {
  it("refuses the fixture hostile.pkl, naming posix.system, and runs nothing", () => {
    const hostile = new Uint8Array(readFileSync(new URL('../../test/fixtures/hostile.pkl', import.meta.url)));
    inputError(() => load(hostile), 'test.pkl: global posix.system is not allowed (only torch tensor rebuilding, OrderedDict and module state are read)');
  });

  const refusals: [string, Py | string][] = [
    ['os.system', new Reduce(new Global('os', 'system'), new Tuple(['echo hi']))],
    ['builtins.eval', new Reduce(new Global('__builtin__', 'eval'), new Tuple(['1']))],
    ['builtins.getattr', new Reduce(new Global('builtins', 'getattr'), new Tuple([null, 'x']))],
    ['subprocess.Popen', new Reduce(new Global('subprocess', 'Popen'), new Tuple(['ls']))],
    ['training.lego_models.LEGO', new Reduce(new Global('training.lego_models', 'LEGO'), new Tuple([]))], // calling a class runs its __init__
    ['torch.load', new Reduce(new Global('torch', 'load'), new Tuple(['x.pt']))],
    ['numpy.core.multiarray._reconstruct', new Global('numpy.core.multiarray', '_reconstruct')],
    ['training.lego_models.FinalLayer', "(ctraining.lego_models\nFinalLayer\nI1\no."], // OBJ with arguments calls __init__
  ];
  for (const [name, value] of refusals) {
    it(`refuses ${name}`, () => {
      const bytes = typeof value === 'string' ? text(value) : concat(pickle(value, 2));
      inputError(() => load(bytes), `global ${name} is not allowed`);
    });
  }

  it('refuses extension codes, out-of-band buffers and persistent ids in plain pickles', () => {
    inputError(() => load(Uint8Array.from([0x80, 2, 0x82, 1, 0x2e])), 'EXT');
    inputError(() => load(Uint8Array.from([0x80, 5, 0x97, 0x2e])), 'out-of-band buffers');
    inputError(() => load(text('Pfoo\n.')), 'persistent id in a plain pickle');
  });
});

describe('unpickle: damaged input', () => {
  const good = concat(pickle(new Map<Py, Py>([['a', [1, 2, new Tuple(['x', new Float(2.5)])]], ['b', new ODict([['c', new Uint8Array(40)]])]])));

  it('reports every truncation in one line naming the file', () => {
    for (let n = 0; n < good.length; n++) inputError(() => load(good.subarray(0, n)), 'test.pkl');
  });

  it('reports unknown opcodes, stack underflow and missing memo entries with the byte', () => {
    inputError(() => load(Uint8Array.from([0x80, 2, 0xff])), 'pickle byte 2', 'unknown opcode 0xff');
    inputError(() => load(Uint8Array.from([0x80, 2, 0x61, 0x2e])), 'pickle byte 2', 'stack is empty');
    inputError(() => load(Uint8Array.from([0x80, 2, 0x68, 9, 0x2e])), 'memo key 9 was never stored');
    inputError(() => load(Uint8Array.from([0x80, 9, 0x2e])), 'protocol 9');
    inputError(() => load(Uint8Array.from([0x80, 2, 0x42, 0xff, 0xff, 0xff, 0x7f])), 'truncated');
  });
});
