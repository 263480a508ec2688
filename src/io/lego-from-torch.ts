// The authors' network read from a torch object graph: EDMPrecondLEGO (training/networks.py) around the
// LEGO stack (training/lego_models.py). The stack config comes from the modules themselves, every
// parameter and buffer gets its state_dict name, and Adam's moments are matched to parameter names.
import { InputError, printable } from '../errors.js';
import { validateConfig, type BrickConfig, type LegoConfig } from '../lego/config.js';
import { parameterSpecs } from '../lego/model.js';
import { describe, PickleObject } from './pickle.js';
import { tensorScalar, TorchTensor } from './torch-load.js';

/** A LEGO network found in one of the authors' files. */
export interface TorchLego {
  /** The entry that held it: 'ema' (network-snapshot-*.pkl), 'net' (training-state-*.pt), or '' (the file is the network). */
  entry: string;
  /** Class of the network object (EDMPrecondLEGO). */
  className: string;
  config: LegoConfig;
  /** Every parameter and buffer by official state_dict name, in parameterSpecs order. */
  tensors: Map<string, TorchTensor>;
  /** Tensors left out: `model.map_augment.*`, which EDMPrecondLEGO.forward never uses. */
  dropped: string[];
  /** Adam's state, when the file is a training state. */
  adam?: AdamMoments;
}

/** Adam's moments by parameter name; null where the optimizer holds none (never updated: zeros). */
export interface AdamMoments {
  step: number;
  expAvg: Map<string, TorchTensor | null>;
  expAvgSq: Map<string, TorchTensor | null>;
}

type Attrs = Map<unknown, unknown>;

/** A dict key as it appears in messages. */
const shown = (k: unknown) => printable(String(k));

/** Deeper module nesting than any real network; guards against cyclic graphs in corrupt files. */
const MAX_DEPTH = 64;

/**
 * Find the network in an unpickled file (`loadTorch(...).root`) and read it as a LEGO stack.
 * Throws InputError naming `source` and the attribute path of whatever does not fit.
 */
export function legoFromTorch(root: unknown, source: string): TorchLego {
  const fail = (message: string) => new InputError(`${source}: ${message}`);
  let entry = '';
  let net: unknown = root;
  if (root instanceof Map) {
    entry = root.has('ema') ? 'ema' : root.has('net') ? 'net' : '';
    if (!entry) {
      const keys = [...root.keys()].slice(0, 8).map(shown).join(', ');
      throw fail(`no network found: expected a dict with 'ema' (network-snapshot-*.pkl) or 'net' (training-state-*.pt), found keys ${keys || '(none)'}`);
    }
    net = root.get(entry);
  }
  const at = entry || 'the network';
  if (!(net instanceof PickleObject) || !net.attributes()) throw fail(`${at} is ${describe(net)}; expected a torch module (EDMPrecondLEGO)`);
  const netAttrs = net.attributes()!;
  const config = readConfig(netAttrs, at, fail);

  // Every tensor of the state_dict, checked against what the config implies.
  const found = new Map<string, TorchTensor>();
  walkModule(netAttrs, '', at, found, fail, 0);
  const tensors = new Map<string, TorchTensor>();
  for (const spec of parameterSpecs(config)) {
    const t = found.get(spec.name);
    if (!t) throw fail(`${at} has no tensor ${spec.name} (its stack needs [${spec.shape}])`);
    if (t.shape.join() !== spec.shape.join()) throw fail(`${at}: tensor ${spec.name} is [${t.shape}] but its stack needs [${spec.shape}]`);
    tensors.set(spec.name, t);
  }
  const dropped: string[] = [];
  for (const name of found.keys()) {
    if (tensors.has(name)) continue;
    if (!name.startsWith('model.map_augment.')) throw fail(`${at}: tensor ${printable(name)} is not part of a LEGO stack; an unsupported variant?`);
    dropped.push(name);
  }
  const result: TorchLego = { entry, className: net.className, config, tensors, dropped };
  if (root instanceof Map && root.has('optimizer_state')) result.adam = readAdam(root.get('optimizer_state'), netAttrs, tensors, fail);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// The module tree

/** Attributes of a module object, or an error naming its path. */
function moduleAttrs(x: unknown, path: string, fail: (m: string) => InputError): Attrs {
  const attrs = x instanceof PickleObject ? x.attributes() : undefined;
  if (!attrs || !(attrs.get('_modules') instanceof Map)) throw fail(`${path} is ${describe(x)}; expected a torch module`);
  return attrs;
}

function dictAttr(attrs: Attrs, key: string, path: string, fail: (m: string) => InputError): Attrs {
  const v = attrs.get(key) ?? new Map();
  if (!(v instanceof Map)) throw fail(`${path}.${key} is ${describe(v)}; expected a dict`);
  return v;
}

/** Submodule `name` of a module. */
function child(attrs: Attrs, name: string, path: string, fail: (m: string) => InputError): Attrs {
  return moduleAttrs(dictAttr(attrs, '_modules', path, fail).get(name), `${path}.${name}`, fail);
}

/** Ordered submodules of a ModuleList / Sequential. */
function children(attrs: Attrs, path: string, fail: (m: string) => InputError): [string, Attrs][] {
  return [...dictAttr(attrs, '_modules', path, fail)].map(([k, v]) => [shown(k), moduleAttrs(v, `${path}.${shown(k)}`, fail)]);
}

/**
 * nn.Module.state_dict order: a module's own parameters, then its persistent buffers, then each submodule.
 * (named_parameters visits parameters in the same pre-order.)
 */
function walkModule(attrs: Attrs, prefix: string, path: string, out: Map<string, TorchTensor>, fail: (m: string) => InputError, depth: number): void {
  if (depth > MAX_DEPTH) throw fail(`${path}: modules nested deeper than ${MAX_DEPTH}; cyclic or corrupt`);
  const nonPersistent = attrs.get('_non_persistent_buffers_set');
  for (const key of ['_parameters', '_buffers']) {
    for (const [name, t] of dictAttr(attrs, key, path, fail)) {
      if (t === null || (key === '_buffers' && nonPersistent instanceof Set && nonPersistent.has(name))) continue;
      if (!(t instanceof TorchTensor)) throw fail(`${path}.${shown(name)} is ${describe(t)}; expected a tensor`);
      out.set(`${prefix}${String(name)}`, t);
    }
  }
  for (const [name, sub] of dictAttr(attrs, '_modules', path, fail)) {
    if (sub === null) continue;
    walkModule(moduleAttrs(sub, `${path}.${shown(name)}`, fail), `${prefix}${String(name)}.`, `${path}.${shown(name)}`, out, fail, depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The config, read off the objects

function readConfig(net: Attrs, at: string, fail: (m: string) => InputError): LegoConfig {
  const int = (attrs: Attrs, key: string, path: string, min = 1): number => {
    const v = attrs.get(key);
    if (!Number.isSafeInteger(v) || (v as number) < min) throw fail(`${path}.${key} is ${typeof v === 'number' || typeof v === 'string' ? JSON.stringify(v) : describe(v)}; expected an integer >= ${min}`);
    return v as number;
  };
  const stackPath = `${at}.model`;
  const stack = child(net, 'model', at, fail);
  const list = children(child(stack, 'model', stackPath, fail), `${stackPath}.model`, fail);
  if (list.length === 0) throw fail(`${stackPath}.model holds no bricks; not a LEGO stack`);
  const tiles = stack.get('img_resolution');

  const hidden: number[] = [];
  const ratios: number[] = [];
  const bricks: BrickConfig[] = list.map(([k, brick], i) => {
    const path = `${stackPath}.model.${k}`;
    if (brick.get('learn_sigma') === true) throw fail(`${path}.learn_sigma is True; models that also predict sigma are not supported`);
    hidden.push(int(brick, 'hidden_size', path));
    const embedder = child(brick, 'x_embedder', path, fail);
    const imgSize = embedder.get('img_size');
    const resolution = Array.isArray(tiles) ? tiles[i] : Array.isArray(imgSize) ? imgSize[0] : undefined;
    if (!Number.isSafeInteger(resolution) || (resolution as number) < 1) throw fail(`${stackPath}.img_resolution[${i}] is not a tile size; expected the list of tile sizes`);
    const blocks = children(child(brick, 'blocks', path, fail), `${path}.blocks`, fail);
    for (const [j, block] of blocks) {
      const ratio = block.get('mlp_ratio');
      if (typeof ratio !== 'number' || !(ratio > 0)) throw fail(`${path}.blocks.${j}.mlp_ratio is ${describe(ratio)}; expected a positive number`);
      ratios.push(ratio);
    }
    return { resolution: resolution as number, patchSize: int(brick, 'patch_size', path), heads: int(brick, 'num_heads', path), depth: blocks.length };
  });
  if (new Set(hidden).size > 1) throw fail(`bricks have hidden sizes ${hidden.join(', ')}; lego-diffusion needs one hidden size for all bricks`);
  if (new Set(ratios).size > 1) throw fail(`blocks have MLP ratios ${[...new Set(ratios)].join(', ')}; lego-diffusion needs one ratio for all blocks`);
  const sigmaData = net.get('sigma_data') ?? 0.5;
  if (typeof sigmaData !== 'number' || !(sigmaData > 0)) throw fail(`${at}.sigma_data is ${describe(sigmaData)}; expected a positive number`);
  const config: LegoConfig = {
    imgResolution: int(net, 'img_resolution', at),
    imgChannels: int(net, 'img_channels', at),
    labelDim: int(net, 'label_dim', at, 0),
    hiddenSize: hidden[0],
    mlpRatio: ratios[0] ?? 4,
    sigmaData,
    bricks,
  };
  try {
    return validateConfig(config, `${at}: stack`);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Adam

/**
 * torch.optim's state_dict numbers parameters in the order they were given (EDM: `net.parameters()`), across
 * param_groups; `state[i]` holds `step`, `exp_avg` and `exp_avg_sq` for parameter i.
 */
function readAdam(optimizer: unknown, net: Attrs, tensors: Map<string, TorchTensor>, fail: (m: string) => InputError): AdamMoments {
  if (!(optimizer instanceof Map)) throw fail(`optimizer_state is ${describe(optimizer)}; expected a dict`);
  const state = optimizer.get('state');
  const groups = optimizer.get('param_groups');
  if (!(state instanceof Map) || !Array.isArray(groups)) throw fail('optimizer_state needs state and param_groups; corrupt');
  const ids: unknown[] = groups.flatMap((g, i) => {
    const params = g instanceof Map ? g.get('params') : undefined;
    if (!Array.isArray(params)) throw fail(`optimizer_state.param_groups[${i}].params is ${describe(params)}; expected a list`);
    return params;
  });
  const named = namedParameters(net);
  if (ids.length !== named.length) throw fail(`the optimizer holds ${ids.length} parameters but the network has ${named.length}; not this network's optimizer`);
  const expAvg = new Map<string, TorchTensor | null>();
  const expAvgSq = new Map<string, TorchTensor | null>();
  const steps = new Set<number>();
  named.forEach(([name, param], i) => {
    if (!tensors.has(name)) return; // dropped (map_augment)
    const s = state.get(ids[i]);
    if (s === undefined) {
      expAvg.set(name, null);
      expAvgSq.set(name, null);
      return;
    }
    if (!(s instanceof Map)) throw fail(`optimizer_state.state[${shown(ids[i])}] is ${describe(s)}; expected a dict`);
    for (const [key, out] of [['exp_avg', expAvg], ['exp_avg_sq', expAvgSq]] as const) {
      const t = s.get(key);
      if (!(t instanceof TorchTensor) || t.shape.join() !== param.shape.join()) {
        throw fail(`optimizer_state.state[${shown(ids[i])}].${key} is ${t instanceof TorchTensor ? `[${t.shape}]` : describe(t)}; expected a tensor shaped like ${name} [${param.shape}]`);
      }
      out.set(name, t);
    }
    const step = s.get('step');
    steps.add(step instanceof TorchTensor ? tensorScalar(step, `optimizer step of ${name}`) : Number(step));
  });
  const [step = 0] = steps;
  if (steps.size > 1 || !Number.isFinite(step)) throw fail(`optimizer steps differ between parameters (${[...steps].slice(0, 4).join(', ')}); corrupt`);
  return { step, expAvg, expAvgSq };
}

/** nn.Module.named_parameters(): pre-order, each parameter once (shared ones under their first name). */
function namedParameters(net: Attrs): [string, TorchTensor][] {
  const out: [string, TorchTensor][] = [];
  const seen = new Set<TorchTensor>();
  const visit = (attrs: Attrs, prefix: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    for (const [name, t] of (attrs.get('_parameters') as Attrs | undefined) ?? []) {
      if (t instanceof TorchTensor && !seen.has(t)) {
        seen.add(t);
        out.push([`${prefix}${String(name)}`, t]);
      }
    }
    for (const [name, sub] of (attrs.get('_modules') as Attrs | undefined) ?? []) {
      const a = sub instanceof PickleObject ? sub.attributes() : undefined;
      if (a) visit(a, `${prefix}${String(name)}.`, depth + 1);
    }
  };
  visit(net, '', 0);
  return out;
}
