// A VAE from the files people have (Node): a diffusers folder (config.json + diffusion_pytorch_model.*, or a
// pipeline folder with vae/), one safetensors or torch file of diffusers or CompVis names, or the
// `first_stage_model` inside a Stable Diffusion checkpoint (.safetensors or .ckpt). Only the VAE's tensors
// are read; torch files go through the pickle reader, which executes nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { fileError, openFileSource, type FileSource } from '../files/fs-files.js';
import { sniffFormat, unknownFormat } from './authors-checkpoint.js';
import { readHeader } from './load-any.js';
import { toFloat32 } from './safetensors.js';
import { loadTorch, tensorToFloat32, TorchTensor } from './torch-load.js';
import { SD_VAE_CONFIG, vaeConfigFromDiffusers, type VaeConfig } from '../vae/config.js';
import { SD_CHECKPOINT_PREFIX } from '../vae/names.js';
import { Vae, type VaeOptions } from '../vae/vae.js';
import { countVaeParameters, gatherVaeWeights, hasVaeTensors, matchVaeTensors, type StoredVaeTensor, type VaeWeights } from '../vae/weights.js';

/** How loadVae finds the config and runs the graphs. */
export interface LoadVaeOptions extends VaeOptions {
  /** The config, over any config.json (needed for a single file of a VAE other than SD's without one beside it). */
  config?: VaeConfig;
}

/** Where a VAE's weights and config come from. */
export interface VaeSource {
  /** The file holding the weights. */
  weightsFile: string;
  /** The config.json read, `given` (LoadVaeOptions.config) or `sd-default`. */
  configFrom: string;
  config: VaeConfig;
}

/** Weight files of a diffusers folder, in order of preference. */
const DIFFUSERS_WEIGHTS = ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.bin', 'diffusion_pytorch_model.fp16.bin'];

/**
 * Load a VAE (diffusers AutoencoderKL) from a diffusers folder, a pipeline folder (its vae/), one
 * .safetensors / .bin / .ckpt / .pt file of diffusers or CompVis names, or a Stable Diffusion checkpoint
 * (its first_stage_model). A single file takes `options.config`, else a config.json beside it, else the SD
 * VAE's config. Throws InputError naming the file and, for a missing or mis-shaped tensor, the tensor.
 * @example
 * const vae = await loadVae('stabilityai/sd-vae-ft-ema');            // a folder as save_pretrained writes it
 * const vae2 = await loadVae('v1-5-pruned-emaonly.safetensors');      // the VAE inside an SD checkpoint
 */
export async function loadVae(path: string, options: LoadVaeOptions = {}): Promise<Vae> {
  const { config, weights } = readVae(path, options.config);
  return new Vae(config, weights, options);
}

/** The config and weights (by diffusers name) of the VAE at `path`, as loadVae finds them, and where from. */
export function readVae(path: string, config?: VaeConfig): VaeSource & { weights: VaeWeights } {
  const source = locateVae(path, config);
  const weights = withTensors(source.weightsFile, (tensors) => assumingConfig(source, () => gatherVaeWeights(tensors, source.config, source.weightsFile)));
  return { ...source, weights };
}

/** What `lego inspect` shows of a VAE. */
export interface VaeReport extends VaeSource {
  /** How the tensors are named: diffusers (current or pre-0.15 attention names), CompVis, or inside an SD checkpoint. */
  naming: 'diffusers' | 'diffusers-old-attention' | 'compvis' | 'sd-checkpoint';
  /** Parameters of the encoder and decoder. */
  parameters: number;
  /** Bytes of those parameters as float32. */
  float32Bytes: number;
}

/**
 * Describe the VAE at `path` from the config and the tensor table, reading no tensor data; null when
 * `path` is a file with no VAE tensor in it (a LEGO checkpoint, say). Throws InputError as loadVae does.
 */
export function inspectVae(path: string, config?: VaeConfig): VaeReport | null {
  const isFolder = isDirectory(path);
  if (!isFolder) {
    const names = withTensors(path, (tensors) => [...tensors.keys()], false);
    if (names === null || !hasVaeTensors(names, (config ?? configBeside(path)?.config ?? SD_VAE_CONFIG).blockOutChannels.length)) return null;
  }
  const source = locateVae(path, config);
  const names = withTensors(source.weightsFile, (tensors) => {
    assumingConfig(source, () => matchVaeTensors(tensors, source.config, source.weightsFile));
    return [...tensors.keys()];
  });
  const parameters = countVaeParameters(source.config);
  return { ...source, naming: namingOf(names), parameters, float32Bytes: 4 * parameters };
}

// ---------------------------------------------------------------------------------------------
// Finding the files

/** The weights file and config of a VAE path. */
function locateVae(path: string, config: VaeConfig | undefined): VaeSource {
  if (!isDirectory(path)) {
    if (config) return { weightsFile: path, configFrom: 'given', config };
    return { weightsFile: path, ...(configBeside(path) ?? { configFrom: 'sd-default', config: SD_VAE_CONFIG }) };
  }
  const dir = existsSync(join(path, 'vae', 'config.json')) ? join(path, 'vae') : path;
  const weights = DIFFUSERS_WEIGHTS.map((name) => join(dir, name)).find((file) => existsSync(file));
  if (!weights) throw new InputError(`${dir}: no ${DIFFUSERS_WEIGHTS[0]} (or .bin) in this folder; not a diffusers VAE folder`);
  if (config) return { weightsFile: weights, configFrom: 'given', config };
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) throw new InputError(`${dir}: no config.json beside ${DIFFUSERS_WEIGHTS[0]}; not a diffusers VAE folder`);
  return { weightsFile: weights, configFrom: configFile, config: vaeConfigFromDiffusers(readJson(configFile), configFile) };
}

/** Run `check`; when it fails on a config that was only assumed, say so in the error. */
function assumingConfig<T>(source: VaeSource, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof InputError) || source.configFrom !== 'sd-default') throw e;
    throw new InputError(`${e.message} (Stable Diffusion's VAE config was assumed: put the VAE's config.json beside the file)`);
  }
}

/** The config.json beside a weights file, when there is one and it describes an AutoencoderKL. */
function configBeside(file: string): { configFrom: string; config: VaeConfig } | null {
  const configFile = join(dirname(file), 'config.json');
  if (!existsSync(configFile)) return null;
  const json = readJson(configFile);
  const className = (json as { _class_name?: unknown } | null)?._class_name;
  if (className !== undefined && className !== 'AutoencoderKL') return null; // another model's config
  return { configFrom: configFile, config: vaeConfigFromDiffusers(json, configFile) };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fileError(file, 'read', e);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`${file}: not valid JSON`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    throw fileError(path, 'read', e);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the tensor table

/**
 * Call `use` with the tensors of a safetensors or torch file (data read only by `read()`), the file open
 * meanwhile. With `strict` false, a file that is neither gives null instead of an InputError.
 */
function withTensors<T>(file: string, use: (tensors: Map<string, StoredVaeTensor>) => T, strict?: true): T;
function withTensors<T>(file: string, use: (tensors: Map<string, StoredVaeTensor>) => T, strict: false): T | null;
function withTensors<T>(file: string, use: (tensors: Map<string, StoredVaeTensor>) => T, strict = true): T | null {
  const src = openFileSource(file);
  try {
    const format = sniffFormat(src);
    if (format === 'safetensors') return use(safetensorsTensors(src));
    if (format === 'torch') return use(torchTensors(src));
    if (!strict) return null;
    throw unknownFormat(src);
  } finally {
    src.close();
  }
}

function safetensorsTensors(src: FileSource): Map<string, StoredVaeTensor> {
  const header = readHeader(src);
  const tensors = new Map<string, StoredVaeTensor>();
  for (const [name, { dtype, shape, begin, end }] of header.tensors) {
    tensors.set(name, { shape, read: () => toFloat32({ dtype, shape, data: src.read(header.dataOffset + begin, end - begin) }, `${src.name}: ${name}`) });
  }
  return tensors;
}

/**
 * The tensors of a torch file's state_dict: the file itself, or its `state_dict` entry (Lightning / SD
 * checkpoints); none when it holds no dict (a pickled module, say).
 */
function torchTensors(src: FileSource): Map<string, StoredVaeTensor> {
  const { root } = loadTorch(src);
  const stateDict = root instanceof Map && root.get('state_dict') instanceof Map ? (root.get('state_dict') as Map<unknown, unknown>) : root;
  const tensors = new Map<string, StoredVaeTensor>();
  if (!(stateDict instanceof Map)) return tensors;
  for (const [name, t] of stateDict) {
    if (typeof name === 'string' && t instanceof TorchTensor) tensors.set(name, { shape: t.shape, read: () => tensorToFloat32(t, `${src.name}: ${name}`) });
  }
  return tensors;
}

function namingOf(names: string[]): VaeReport['naming'] {
  if (names.some((n) => n.startsWith(SD_CHECKPOINT_PREFIX))) return 'sd-checkpoint';
  if (names.some((n) => /^(encoder|decoder)\.(down|up|mid)\./.test(n))) return 'compvis';
  if (names.some((n) => /\.attentions\.0\.(query|key|value|proj_attn)\./.test(n))) return 'diffusers-old-attention';
  return 'diffusers';
}
