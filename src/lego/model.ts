// A LEGO network's parameters: the table of names, shapes and initialisers (read off the graph the
// layers declare), and the authors' initialisation of new models (LEGO-SPEC "Initialisation").
import { Graph, numel } from '../graph/ops.js';
import type { ParamSpec } from '../nn/params.js';
import { Rng } from '../random.js';
import { validateConfig, type LegoConfig } from './config.js';
import { legoForward, modelParams } from './stack.js';

/** Weights by official state_dict name. */
export type Weights = Map<string, Float32Array>;

/** Every parameter and buffer of the network, in declaration order. */
export function parameterSpecs(cfg: LegoConfig): ParamSpec[] {
  validateConfig(cfg);
  const g = new Graph();
  const r = cfg.imgResolution;
  const x = g.input('x', [1, cfg.imgChannels, r, r]);
  const sigma = g.input('sigma', [1]);
  const labels = cfg.labelDim > 0 ? g.input('class_labels', [1, cfg.labelDim]) : null;
  const p = modelParams(g);
  legoForward(p, cfg, { x, sigma, labels });
  return [...p.specs.values()];
}

/** Number of trainable parameters. */
export const countParameters = (cfg: LegoConfig) =>
  parameterSpecs(cfg).filter((s) => s.trainable).reduce((n, s) => n + numel(s.shape), 0);

/** New weights as the authors initialise them: xavier uniform, zeroed adaLN/output, normal(0.02) embeddings. */
export function initWeights(cfg: LegoConfig, seed = 0): Weights {
  const rng = new Rng(seed, 0x1417);
  const weights: Weights = new Map();
  for (const spec of parameterSpecs(cfg)) {
    const n = numel(spec.shape);
    const init = spec.init;
    let data: Float32Array;
    switch (init.kind) {
      case 'zeros':
        data = new Float32Array(n);
        break;
      case 'normal':
        data = rng.fillNormal(new Float32Array(n)).map((v) => v * init.std);
        break;
      case 'xavier': {
        const bound = Math.sqrt(6 / (init.fanIn + init.fanOut));
        data = Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
        break;
      }
      case 'fixed':
        data = init.values();
        break;
    }
    weights.set(spec.name, data);
  }
  return weights;
}
