// Test helper: writes files shaped like the authors' (an EDM network-snapshot pickle, a torch.save ZIP or
// legacy training state) for any LEGO config, with a small pickle writer, so tests and benchmarks can make
// custom stacks, other dtypes, strided tensors and very large files without Python.
import { zipSync } from 'fflate';
import { numel } from '../src/graph/ops.js';
import type { LegoConfig } from '../src/lego/config.js';
import { parameterSpecs, type Weights } from '../src/lego/model.js';
import { Rng } from '../src/random.js';

// ---------------------------------------------------------------------------------------------------------
// A pickle writer over a tiny Python value model

export class Tuple {
  constructor(readonly items: Py[]) {}
}
export class Float {
  constructor(readonly value: number) {}
}
export class Global {
  constructor(readonly module: string, readonly name: string) {}
}
export class Reduce {
  constructor(readonly fn: Py, readonly args: Tuple) {}
}
/** cls.__new__(cls) then BUILD(state): how modules are pickled. */
export class Obj {
  constructor(readonly cls: Global, readonly state: Py) {}
}
export class PersId {
  constructor(readonly pid: Py) {}
}
/** An OrderedDict: REDUCE then SETITEMS. */
export class ODict {
  constructor(readonly entries: [Py, Py][]) {}
}
export class PySet {
  constructor(readonly items: Py[]) {}
}
export type Py = null | boolean | number | bigint | string | Uint8Array | Py[] | Map<Py, Py> | Tuple | Float | Global | Reduce | Obj | PersId | ODict | PySet;

/** Pickle `value` (protocol 2 or 4 opcodes) into chunks; large byte strings are referenced, not copied. */
export function pickle(value: Py, protocol: 2 | 4 = 4): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let small: number[] = [];
  const flush = () => {
    if (small.length) chunks.push(Uint8Array.from(small));
    small = [];
  };
  const op = (...bytes: number[]) => small.push(...bytes);
  const u32 = (n: number) => op(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  const raw = (b: Uint8Array) => {
    if (b.length < 4096) small.push(...b);
    else {
      flush();
      chunks.push(b);
    }
  };
  const memo = new Map<object, number>();
  const remember = (x: object) => {
    const i = memo.size;
    memo.set(x, i);
    op(0x72); // LONG_BINPUT
    u32(i);
  };
  const str = (s: string) => {
    const b = new TextEncoder().encode(s);
    op(0x58); // BINUNICODE
    u32(b.length);
    raw(b);
  };
  const global = (g: Global) => {
    if (protocol === 2) raw(new TextEncoder().encode(`c${g.module}\n${g.name}\n`));
    else {
      str(g.module);
      str(g.name);
      op(0x93); // STACK_GLOBAL
    }
  };
  const write = (x: Py): void => {
    if (typeof x === 'object' && x !== null && memo.has(x)) {
      op(0x6a); // LONG_BINGET
      u32(memo.get(x)!);
      return;
    }
    if (x === null) op(0x4e);
    else if (x === true) op(0x88);
    else if (x === false) op(0x89);
    else if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 2 ** 31) {
      op(0x4a); // BININT
      u32(x);
    } else if (typeof x === 'number' || x instanceof Float) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, typeof x === 'number' ? x : x.value, false);
      op(0x47, ...b); // BINFLOAT
    } else if (typeof x === 'bigint') {
      const bytes: number[] = []; // minimal two's complement, little-endian, as Python writes it
      for (let v = x; bytes.length === 0 || !(v === 0n && !(bytes[bytes.length - 1] & 0x80)) && !(v === -1n && bytes[bytes.length - 1] & 0x80); v >>= 8n) {
        bytes.push(Number(v & 255n));
      }
      op(0x8a, bytes.length, ...bytes); // LONG1
    } else if (typeof x === 'string') str(x);
    else if (x instanceof Uint8Array) {
      if (protocol === 2) write(new Reduce(new Global('_codecs', 'encode'), new Tuple([String.fromCharCode(...x), 'latin1'])));
      else {
        op(0x42); // BINBYTES
        u32(x.length);
        raw(x);
      }
    } else if (Array.isArray(x)) {
      op(0x5d); // EMPTY_LIST
      remember(x);
      if (x.length) {
        op(0x28);
        x.forEach(write);
        op(0x65); // APPENDS
      }
    } else if (x instanceof Tuple) {
      op(0x28);
      x.items.forEach(write);
      op(0x74); // TUPLE
    } else if (x instanceof Map) {
      op(0x7d); // EMPTY_DICT
      remember(x);
      op(0x28);
      for (const [k, v] of x) {
        write(k);
        write(v);
      }
      op(0x75); // SETITEMS
    } else if (x instanceof ODict) {
      global(new Global('collections', 'OrderedDict'));
      op(0x29, 0x52); // EMPTY_TUPLE REDUCE
      remember(x);
      if (x.entries.length) {
        op(0x28);
        for (const [k, v] of x.entries) {
          write(k);
          write(v);
        }
        op(0x75);
      }
    } else if (x instanceof PySet) {
      if (protocol === 2) write(new Reduce(new Global('__builtin__', 'set'), new Tuple([x.items])));
      else {
        op(0x8f); // EMPTY_SET
        if (x.items.length) {
          op(0x28);
          x.items.forEach(write);
          op(0x90); // ADDITEMS
        }
      }
    } else if (x instanceof Global) global(x);
    else if (x instanceof Reduce) {
      write(x.fn);
      write(x.args);
      op(0x52);
      remember(x);
    } else if (x instanceof Obj) {
      global(x.cls);
      op(0x29, 0x81); // EMPTY_TUPLE NEWOBJ
      remember(x);
      write(x.state);
      op(0x62); // BUILD
    } else if (x instanceof PersId) {
      write(x.pid);
      op(0x51); // BINPERSID
    }
  };
  op(0x80, protocol);
  write(value);
  op(0x2e); // STOP
  flush();
  return chunks;
}

export const concat = (chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------------------
// torch values

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A tensor's data as a storage of a given torch type (FloatStorage, HalfStorage, ...). */
export interface StorageData {
  type: string;
  numel: number;
  bytes: Uint8Array;
}
export const f32Storage = (data: Float32Array): StorageData => ({ type: 'FloatStorage', numel: data.length, bytes: bytesOf(data) });

/** How storages are referenced: inline `_load_from_bytes` (EDM .pkl) or persistent ids (torch.save). */
export type StorageMode = { kind: 'inline' } | { kind: 'persistent'; storages: [string, StorageData][] };

function storageRef(s: StorageData, mode: StorageMode): Py {
  if (mode.kind === 'inline') return new Reduce(new Global('torch.storage', '_load_from_bytes'), new Tuple([concat(legacyStream([['0', s]], new PersId(pid('0', s))))]));
  const key = String(mode.storages.length);
  mode.storages.push([key, s]);
  return new PersId(pid(key, s));
}

const pid = (key: string, s: StorageData) => new Tuple(['storage', new Global('torch', s.type), key, 'cpu', s.numel]);

/** torch._utils._rebuild_tensor_v2 (wrapped in _rebuild_parameter when `parameter`). */
export function tensor(s: StorageData, shape: number[], mode: StorageMode, { parameter = true, stride = rowMajor(shape), offset = 0 } = {}): Py {
  const t = new Reduce(new Global('torch._utils', '_rebuild_tensor_v2'), new Tuple([storageRef(s, mode), offset, new Tuple(shape), new Tuple(stride), false, new ODict([])]));
  return parameter ? new Reduce(new Global('torch._utils', '_rebuild_parameter'), new Tuple([t, true, new ODict([])])) : t;
}

const rowMajor = (shape: number[]) => shape.map((_, i) => numel(shape.slice(i + 1)));

/** The legacy torch.save stream: magic, protocol, sys_info, the object, the storage keys, the storages. */
export function legacyStream(storages: [string, StorageData][], object: Py): Uint8Array[] {
  const sysInfo = new Map<Py, Py>([['protocol_version', 1001], ['little_endian', true], ['type_sizes', new Map<Py, Py>([['short', 2], ['int', 4], ['long', 4]])]]);
  const sorted = [...storages].sort(([a], [b]) => (a < b ? -1 : 1));
  const out = [...pickle(0x1950a86a20f9469cfc6cn, 2), ...pickle(1001, 2), ...pickle(sysInfo, 2), ...pickle(object, 2), ...pickle(sorted.map(([k]) => k), 2)];
  for (const [, s] of sorted) {
    const n = new Uint8Array(8);
    new DataView(n.buffer).setBigUint64(0, BigInt(s.numel), true);
    out.push(n, s.bytes);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// A LEGO network as the authors' code pickles it

/** Options for `legoNetwork`. */
export interface NetworkOptions {
  mode: StorageMode;
  /** Storage of each weight (default float32 of the weights). */
  storage?: (name: string, data: Float32Array) => StorageData;
  /** Per-name tensor layout overrides (strided tensors). */
  layout?: (name: string, shape: number[]) => { stride: number[]; offset: number } | undefined;
  /** Extra tensors, e.g. model.map_augment.weight. */
  extra?: Weights;
}

/** EDMPrecondLEGO around LEGO, as torch_utils.persistence pickles it; module classes as in lego_models.py. */
export function legoNetwork(cfg: LegoConfig, weights: Weights, shapes: Map<string, number[]>, options: NetworkOptions): Py {
  interface Node { params: [string, Py][]; modules: Map<string, Node> }
  const root: Node = { params: [], modules: new Map() };
  for (const [name, data] of [...weights, ...(options.extra ?? [])]) {
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      if (!node.modules.has(part)) node.modules.set(part, { params: [], modules: new Map() });
      node = node.modules.get(part)!;
    }
    const shape = shapes.get(name) ?? [data.length];
    const storage = options.storage?.(name, data) ?? f32Storage(data);
    const layout = options.layout?.(name, shape);
    node.params.push([parts[parts.length - 1], tensor(storage, shape, options.mode, layout)]);
  }
  const classOf = (path: string): [string, Record<string, Py>] => {
    const brick = /^model\.model\.(\d+)$/.exec(path);
    if (path === 'model') {
      const attrs: Record<string, Py> = { img_resolution: cfg.bricks.map((b) => b.resolution), in_channels: cfg.imgChannels, label_dim: cfg.labelDim, map_augment: null };
      if (cfg.labelDim === 0) attrs.y_embedder = null;
      return ['training.lego_models.LEGO', attrs];
    }
    if (brick) {
      const b = cfg.bricks[Number(brick[1])];
      return ['training.lego_models.LEGO_module', { patch_size: b.patchSize, num_heads: b.heads, hidden_size: cfg.hiddenSize, learn_sigma: false }];
    }
    if (/^model\.model\.\d+\.blocks\.\d+$/.test(path)) return ['training.lego_models.DiTBlock', { mlp_ratio: new Float(cfg.mlpRatio) }];
    if (/x_embedder$/.test(path)) return ['timm.layers.patch_embed.PatchEmbed', {}];
    if (/(blocks|model\.model)$/.test(path)) return ['torch.nn.modules.container.ModuleList', {}];
    return ['torch.nn.modules.linear.Linear', {}];
  };
  const module = (node: Node, attrs: Record<string, Py>, path: string): Map<Py, Py> =>
    new Map<Py, Py>([
      ['training', false],
      ['_parameters', new ODict(node.params)],
      ['_buffers', new ODict([])],
      ['_non_persistent_buffers_set', new PySet([])],
      ['_modules', new ODict([...node.modules].map(([name, child]) => {
        const p = path ? `${path}.${name}` : name;
        const [c, a] = classOf(p);
        const [mod, ...rest] = c.split('.').reverse();
        return [name, new Obj(new Global(rest.reverse().join('.'), mod), module(child, a, p))];
      }))],
      ...Object.entries(attrs),
    ]);
  const state = module(root, {
    img_resolution: cfg.imgResolution, img_channels: cfg.imgChannels, label_dim: cfg.labelDim,
    use_fp16: false, sigma_min: 0, sigma_max: new Float(Infinity), sigma_data: new Float(cfg.sigmaData),
  }, '');
  const meta = new Map<Py, Py>([['type', 'class'], ['version', 6], ['module_src', 'import os\nos.system("never run")\n'], ['class_name', 'EDMPrecondLEGO'], ['state', state]]);
  return new Reduce(new Global('torch_utils.persistence', '_reconstruct_persistent_obj'), new Tuple([meta]));
}

/** An EDM network-snapshot pickle: {ema, loss_fn, augment_pipe, dataset_kwargs}, storages inline. */
export function snapshotPickle(cfg: LegoConfig, weights: Weights, shapes: Map<string, number[]>, options: Omit<NetworkOptions, 'mode'> = {}): Uint8Array[] {
  const ema = legoNetwork(cfg, weights, shapes, { ...options, mode: { kind: 'inline' } });
  return pickle(new Map<Py, Py>([['ema', ema], ['loss_fn', null], ['augment_pipe', null], ['dataset_kwargs', new Map<Py, Py>([['path', 'data.zip']])]]));
}

/** Adam state for `torch.save(dict(net=..., optimizer_state=...))`: moments as given, step as a 0-d tensor. */
export function trainingStateObject(cfg: LegoConfig, weights: Weights, shapes: Map<string, number[]>, adam: { step: number; m: Weights; v: Weights }, mode: StorageMode & { kind: 'persistent' }): Py {
  const net = legoNetwork(cfg, weights, shapes, { mode });
  const state = new Map<Py, Py>();
  const order = namedParameterOrder([...weights.keys()]);
  order.forEach((name, i) => {
    state.set(i, new Map<Py, Py>([
      ['step', tensor(f32Storage(new Float32Array([adam.step])), [], mode, { parameter: false })],
      ['exp_avg', tensor(f32Storage(adam.m.get(name)!), shapes.get(name)!, mode, { parameter: false })],
      ['exp_avg_sq', tensor(f32Storage(adam.v.get(name)!), shapes.get(name)!, mode, { parameter: false })],
    ]));
  });
  const group = new Map<Py, Py>([['lr', new Float(1e-4)], ['betas', new Tuple([new Float(0.9), new Float(0.999)])], ['params', order.map((_, i) => i)]]);
  return new Map<Py, Py>([['net', net], ['optimizer_state', new Map<Py, Py>([['state', state], ['param_groups', [group]]])]]);
}

/** nn.Module.named_parameters() order of the module tree `legoNetwork` builds from these names. */
export function namedParameterOrder(names: string[]): string[] {
  interface Node { params: string[]; modules: Map<string, Node> }
  const root: Node = { params: [], modules: new Map() };
  for (const name of names) {
    let node = root;
    for (const part of name.split('.').slice(0, -1)) {
      if (!node.modules.has(part)) node.modules.set(part, { params: [], modules: new Map() });
      node = node.modules.get(part)!;
    }
    node.params.push(name);
  }
  const out: string[] = [];
  const visit = (node: Node) => {
    out.push(...node.params);
    node.modules.forEach(visit);
  };
  visit(root);
  return out;
}

/** torch.save's ZIP format (entries stored, as torch writes them). */
export function torchZip(object: Py, storages: [string, StorageData][], archive = 'training-state'): Uint8Array {
  const files: Record<string, Uint8Array> = { [`${archive}/data.pkl`]: concat(pickle(object, 2)), [`${archive}/byteorder`]: new TextEncoder().encode('little') };
  for (const [key, s] of storages) files[`${archive}/data/${key}`] = s.bytes;
  files[`${archive}/version`] = new TextEncoder().encode('3\n');
  return zipSync(files, { level: 0 });
}

/** Random weights (no zeros, so byte identity means something) and the shape of each, for any config. */
export function randomWeights(cfg: LegoConfig, seed = 1): { weights: Weights; shapes: Map<string, number[]> } {
  const rng = new Rng(seed, 99);
  const weights: Weights = new Map();
  const shapes = new Map<string, number[]>();
  for (const spec of parameterSpecs(cfg)) {
    weights.set(spec.name, rng.fillNormal(new Float32Array(numel(spec.shape))));
    shapes.set(spec.name, [...spec.shape]);
  }
  return { weights, shapes };
}
