// Feature networks for `lego eval`: a registry by name (the extension point for Inception-v3 and
// standard FID), and the shipped LeNets trained by this project on MNIST and Fashion-MNIST
// (models/lenet-*.safetensors; docs/feature-nets.md says how they were made and how well they classify).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { Graph } from '../graph/ops.js';
import { convertChannels, type Image } from '../data/image.js';
import { pad } from '../data/transforms.js';
import { f32, parseSafetensors, serializeSafetensors, toFloat32, type TensorEntry } from '../io/safetensors.js';
import { Params } from '../nn/params.js';
import { Executable, type HostTensor } from '../runtime/executable.js';
import { LENET_CLASSES, LENET_FEATURES, LENET_RESOLUTION, lenet, lenetInput, lenetSpecs } from './lenet.js';

/** Features of a batch of images, row-major. */
export interface FeatureBatch {
  /** (n, dim). */
  features: Float32Array;
  /** (n, classes) class logits, or null for a network without a classifier head. */
  logits: Float32Array | null;
}

/** A loaded feature network. */
export interface FeatureExtractor {
  /** Registry name, used in metric names: `fd-<name>`. */
  readonly name: string;
  /** Feature size. */
  readonly dim: number;
  /** Classes of its classifier head; 0 when it has none (then there is no conditional accuracy). */
  readonly classes: number;
  /** Changes whenever the weights or the preprocessing do: cached reference statistics are keyed by it. */
  readonly fingerprint: string;
  /** Features of any number of images of any size and channel count (the network converts them). */
  extract(images: readonly Image[]): Promise<FeatureBatch>;
  release(): Promise<void>;
}

/** How to load a feature network. */
export interface FeatureNetDefinition {
  /** One line for `lego eval --help`. */
  description: string;
  load(options: { threads?: number }): Promise<FeatureExtractor>;
}

// ---------------------------------------------------------------------------------------------
// Registry

const registry = new Map<string, FeatureNetDefinition>();

/**
 * Make a feature network available to `evaluate` and `lego eval --features <name>`. This is where
 * standard FID plugs in: an extractor whose `extract` resizes to 299x299 RGB and returns Inception-v3's
 * 2048 pool features, registered as 'inception-v3', gives metrics named fd-inception-v3 (= FID).
 *
 * @example
 * registerFeatureNet('inception-v3', { description: 'Inception-v3 pool3, 2048 features (FID)', load: loadMyInception });
 */
export function registerFeatureNet(name: string, definition: FeatureNetDefinition): void {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`internal: feature network name "${name}" must be lower-case letters, digits, . and -`);
  registry.set(name, definition);
}

/** Registered feature networks by name. */
export function featureNets(): ReadonlyMap<string, FeatureNetDefinition> {
  return registry;
}

/**
 * Load a registered feature network by name, or a LeNet weights file (`*.safetensors` written by
 * scripts/train-feature-net.ts), named after the file. Throws InputError naming what is unknown.
 */
export async function loadFeatureNet(nameOrFile: string, options: { threads?: number } = {}): Promise<FeatureExtractor> {
  const definition = registry.get(nameOrFile);
  if (definition) return definition.load(options);
  if (nameOrFile.endsWith('.safetensors')) return loadLenet(basename(nameOrFile, '.safetensors'), nameOrFile, options);
  throw new InputError(`feature network "${nameOrFile}" is not registered (known: ${[...registry.keys()].join(', ')}) and is not a .safetensors file`);
}

// ---------------------------------------------------------------------------------------------
// The shipped LeNets

/** The `format` metadata value of a LeNet weights file. */
export const LENET_FORMAT = 'lego-feature-net/lenet';

/** What a LeNet weights file says about itself (all strings, as safetensors metadata). */
export interface LenetMetadata {
  /** The data it was trained on, e.g. 'mnist'. */
  dataset: string;
  /** Accuracy on that dataset's test split, e.g. '0.9921'. */
  test_accuracy: string;
  [key: string]: string;
}

/** Serialise LeNet weights with their metadata. */
export function encodeLenet(weights: ReadonlyMap<string, Float32Array>, metadata: LenetMetadata): Uint8Array {
  const tensors = lenetSpecs().map(({ name, shape }) => {
    const data = weights.get(name);
    if (!data) throw new Error(`internal: encodeLenet: no weights for ${name}`);
    return [name, f32([...shape], data)] as [string, TensorEntry];
  });
  return serializeSafetensors(tensors, { ...metadata, format: LENET_FORMAT, features: String(LENET_FEATURES), classes: String(LENET_CLASSES) });
}

/** Where the package keeps its feature-network weights. */
const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

/** A LeNet image input: gray, 32x32 (smaller images are centred on a black canvas, larger ones scaled down first). */
export function lenetImage(img: Image): Image {
  const gray = convertChannels(img, 1);
  return gray.width === LENET_RESOLUTION && gray.height === LENET_RESOLUTION ? gray : pad(gray, LENET_RESOLUTION);
}

/** Images per graph run. */
const BATCH = 200;

/** Load LeNet weights from `file` as the extractor `name`. Throws InputError naming the file. */
export async function loadLenet(name: string, file: string, { threads }: { threads?: number } = {}): Promise<FeatureExtractor> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read feature network weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { metadata, tensors } = parseSafetensors(bytes, file);
  if (metadata.format !== LENET_FORMAT) throw new InputError(`${file}: format "${metadata.format ?? ''}", expected ${LENET_FORMAT} (written by scripts/train-feature-net.ts)`);
  const weights = new Map<string, Float32Array>();
  for (const spec of lenetSpecs()) {
    const t = tensors.get(spec.name);
    if (!t) throw new InputError(`${file}: no tensor ${spec.name}; not LeNet weights of this version`);
    if (t.shape.join() !== spec.shape.join()) throw new InputError(`${file}: ${spec.name} is (${t.shape.join(', ')}), expected (${spec.shape.join(', ')})`);
    weights.set(spec.name, toFloat32(t, spec.name));
  }
  const fingerprint = `${name}:lenet:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  return lenetExtractor(name, weights, { threads, fingerprint });
}

/** A LeNet extractor over weights in memory (every parameter of `lenetSpecs()`). */
export async function lenetExtractor(
  name: string,
  weights: ReadonlyMap<string, Float32Array>,
  { threads, fingerprint = name }: { threads?: number; fingerprint?: string } = {},
): Promise<FeatureExtractor> {
  const g = new Graph();
  const r = LENET_RESOLUTION;
  const { features, logits } = lenet(new Params(g, ''), g.input('images', [BATCH, r, r, 1]));
  const exe = await Executable.compile({ features, logits }, { threads, name: `features-${name}` });
  const feeds: Record<string, HostTensor> = {};
  for (const input of exe.inputNames) {
    if (input === 'images') continue;
    const w = weights.get(input);
    if (!w) throw new Error(`internal: lenetExtractor ${name}: no weights for ${input}`);
    feeds[input] = w;
  }
  return {
    name,
    dim: LENET_FEATURES,
    classes: LENET_CLASSES,
    fingerprint,
    async extract(images) {
      const n = images.length;
      const out = { features: new Float32Array(n * LENET_FEATURES), logits: new Float32Array(n * LENET_CLASSES) };
      const pixels = new Uint8Array(BATCH * r * r);
      for (let start = 0; start < n; start += BATCH) {
        const count = Math.min(BATCH, n - start);
        pixels.fill(0);
        for (let j = 0; j < count; j++) pixels.set(lenetImage(images[start + j]).data, j * r * r);
        const res = await exe.run({ ...feeds, images: lenetInput(pixels) });
        out.features.set(res.features.subarray(0, count * LENET_FEATURES), start * LENET_FEATURES);
        out.logits.set(res.logits.subarray(0, count * LENET_CLASSES), start * LENET_CLASSES);
      }
      return out;
    },
    release: () => exe.release(),
  };
}

for (const [name, dataset] of [['lenet-mnist', 'MNIST'], ['lenet-fashion', 'Fashion-MNIST']] as const) {
  registerFeatureNet(name, {
    description: `LeNet-style CNN trained on ${dataset} 32x32 (padded), ${LENET_FEATURES} features, 10-class head`,
    load: (options) => loadLenet(name, `${MODELS}${name}.safetensors`, options),
  });
}

/** Share of rows of `logits` (n, classes) whose largest entry is at the row's label. */
export function classAccuracy(logits: Float32Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  const classes = logits.length / n;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}
