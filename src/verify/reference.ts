// Parity with the authors' PyTorch code: recompute every output of a reference file (forward per
// stage, guidance, larger canvases, loss and gradients, sampler trajectories) and compare.
// Files follow test/reference (cases made by the authors' code): weights.*, input.*, output.*, grad.* and a __metadata__ map;
// VAE files (metadata kind = vae) go to vae-reference.ts.
import { InputError } from '../errors.js';
import { grad } from '../graph/grad.js';
import { Graph, type Value } from '../graph/ops.js';
import { toFloat32, toFloat64, type StoredTensor } from '../io/safetensors.js';
import type { LegoConfig } from '../lego/config.js';
import { parameterSpecs, type Weights } from '../lego/model.js';
import { LegoRunner } from '../lego/runner.js';
import { legoForward, modelParams } from '../lego/stack.js';
import { guidedDenoise } from '../diffusion/guidance.js';
import { legoLoss } from '../diffusion/loss.js';
import { edmSample } from '../diffusion/sampler.js';
import { edmSigmas } from '../diffusion/schedule.js';
import { Executable } from '../runtime/executable.js';
import { referenceConfig, type ReferenceFile } from './reference-config.js';
import { isReduction, judge, type CheckKind, type ReferenceCheck } from './tolerance.js';
import { verifyVaeReference } from './vae-reference.js';

export type { ReferenceCheck, ReferenceFile };

interface Ctx {
  file: ReferenceFile;
  source: string;
  cfg: LegoConfig;
  weights: Weights;
  threads?: number;
  checks: ReferenceCheck[];
  handled: Set<string>;
}

/** Recompute and compare every output of a reference file. Throws InputError on anything it cannot interpret. */
export async function verifyReference(file: ReferenceFile, source: string, options: { threads?: number } = {}): Promise<ReferenceCheck[]> {
  if (file.metadata.kind === 'vae') return verifyVaeReference(file, source, options);
  const cfg = referenceConfig(file.metadata, source);
  const weights: Weights = new Map();
  const specs = parameterSpecs(cfg);
  for (const spec of specs) {
    const t = file.tensors.get(`weights.${spec.name}`);
    if (!t) throw new InputError(`${source}: no tensor weights.${spec.name}`);
    if (t.shape.join() !== spec.shape.join()) {
      throw new InputError(`${source}: weights.${spec.name} is [${t.shape}] but the config needs [${spec.shape}]`);
    }
    weights.set(spec.name, toFloat32(t, spec.name));
  }
  const ctx: Ctx = { file, source, cfg, weights, threads: options.threads, checks: [], handled: new Set(specs.map((s) => `weights.${s.name}`)) };
  const has = (name: string) => file.tensors.has(name);
  if (has('input.x')) await checkForward(ctx, 'input.x', 'input.sigma', '');
  if (has('input.x_large')) await checkForward(ctx, 'input.x_large', 'input.sigma_large', '_large');
  if (has('input.images')) await checkLoss(ctx);
  if (has('input.latents')) await checkSampler(ctx);
  const unknown = [...file.tensors.keys()].filter((k) => !ctx.handled.has(k));
  if (unknown.length > 0) throw new InputError(`${source}: cannot interpret tensor${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  if (ctx.checks.length === 0) throw new InputError(`${source}: holds no outputs to check`);
  return ctx.checks;
}

// ---------------------------------------------------------------------------------------------

function tensor(ctx: Ctx, name: string): StoredTensor {
  const t = ctx.file.tensors.get(name);
  if (!t) throw new InputError(`${ctx.source}: missing tensor ${name}`);
  ctx.handled.add(name);
  return t;
}

function meta(ctx: Ctx, key: string): string {
  const v = ctx.file.metadata[key];
  if (v === undefined) throw new InputError(`${ctx.source}: metadata has no "${key}"`);
  return v;
}

/** Judge one output: scalar reductions (a single value, or a sum or mean by the notes) relative to their size. */
function compare(ctx: Ctx, name: string, kind: CheckKind, actual: ArrayLike<number>, expectedTensor: StoredTensor): void {
  const expected = toFloat64(expectedTensor, name);
  if (expected.length !== actual.length) {
    throw new InputError(`${ctx.source}: ${name} has ${expected.length} values, recomputed ${actual.length}`);
  }
  const reduction = isReduction(name, expectedTensor.shape, ctx.file.metadata.notes);
  ctx.checks.push(judge(name, kind, actual, expected, { reduction }));
}

function labelsOf(ctx: Ctx, b: number): Float32Array | null {
  if (ctx.cfg.labelDim === 0) return null;
  return toFloat32(tensor(ctx, 'input.class_labels'), 'input.class_labels').subarray(0, b * ctx.cfg.labelDim);
}

/** Stage outputs through one whole-stack graph; D, D_uncond and D_cfg through the per-brick runner. */
async function checkForward(ctx: Ctx, xName: string, sigmaName: string, suffix: string): Promise<void> {
  const { cfg, file } = ctx;
  const xT = tensor(ctx, xName);
  const x = toFloat32(xT, xName);
  const sigma = toFloat32(tensor(ctx, sigmaName), sigmaName);
  const [b, , height, width] = xT.shape;
  const labels = labelsOf(ctx, b);

  const stageNames = cfg.bricks.map((_, k) => `output.stage${k}${suffix}`).filter((n) => file.tensors.has(n));
  if (stageNames.length > 0) {
    const g = new Graph();
    const p = modelParams(g);
    const inputs = {
      x: g.input('x', xT.shape),
      sigma: g.input('sigma', [b]),
      labels: labels ? g.input('class_labels', [b, cfg.labelDim]) : null,
    };
    const { D } = legoForward(p, cfg, inputs);
    const exe = await Executable.compile(Object.fromEntries(D.map((d, k) => [`stage${k}`, d])), { threads: ctx.threads, name: 'stack' });
    const feeds: Record<string, Float32Array> = { x, sigma, ...(labels ? { class_labels: labels } : {}) };
    for (const n of exe.inputNames) feeds[n] ??= ctx.weights.get(n)!;
    const out = await exe.run(feeds);
    await exe.release();
    for (const name of stageNames) {
      const k = Number(name.slice('output.stage'.length, name.length - suffix.length));
      compare(ctx, name, 'forward', out[`stage${k}`], tensor(ctx, name));
    }
  }

  const runner = new LegoRunner(cfg, ctx.weights, { threads: ctx.threads });
  const shape = [b, cfg.imgChannels, height, width];
  if (file.tensors.has(`output.D${suffix}`)) {
    compare(ctx, `output.D${suffix}`, 'forward', await runner.denoise(x, shape, sigma, { labels }), tensor(ctx, `output.D${suffix}`));
  }
  if (file.tensors.has(`output.D_uncond${suffix}`)) {
    const name = `output.D_uncond${suffix}`;
    compare(ctx, name, 'forward', await runner.denoise(x, shape, sigma, { labels: null }), tensor(ctx, name));
  }
  if (file.tensors.has(`output.D_cfg${suffix}`)) {
    const name = `output.D_cfg${suffix}`;
    const cfgScale = Number(meta(ctx, 'cfg_scale'));
    compare(ctx, name, 'forward', await guidedDenoise(runner, x, shape, sigma, { labels, cfgScale }), tensor(ctx, name));
  }
  await runner.release();
}

/** Loss per pixel, loss, and the gradient of the loss for every weight that has a grad.* entry. */
async function checkLoss(ctx: Ctx): Promise<void> {
  const { cfg, file } = ctx;
  const imagesT = tensor(ctx, 'input.images');
  const [b] = imagesT.shape;
  const labels = labelsOf(ctx, b);
  const g = new Graph();
  const p = modelParams(g);
  const { loss, lossPerPixel } = legoLoss(
    p,
    cfg,
    {
      images: g.input('images', imagesT.shape),
      rndNormal: g.input('rnd_normal', [b, 1, 1, 1]),
      noise: g.input('noise', imagesT.shape),
      labels: labels ? g.input('class_labels', [b, cfg.labelDim]) : null,
    },
    { pMean: Number(meta(ctx, 'P_mean')), pStd: Number(meta(ctx, 'P_std')) },
  );
  const gradNames = [...file.tensors.keys()].filter((k) => k.startsWith('grad.'));
  const wrt: Value[] = gradNames.map((name) => {
    const param = g.inputs.get(name.slice('grad.'.length));
    const spec = p.specs.get(name.slice('grad.'.length));
    if (!param || !spec?.trainable) throw new InputError(`${ctx.source}: ${name} names no trainable parameter of this stack`);
    return param;
  });
  const grads = grad(loss, wrt);
  const outputs: Record<string, Value> = { loss, loss_per_pixel: lossPerPixel };
  gradNames.forEach((name, i) => (outputs[name] = grads[i]));
  const exe = await Executable.compile(outputs, { threads: ctx.threads, name: 'loss' });
  const feeds: Record<string, Float32Array> = {
    images: toFloat32(imagesT, 'input.images'),
    rnd_normal: toFloat32(tensor(ctx, 'input.rnd_normal'), 'input.rnd_normal'),
    noise: toFloat32(tensor(ctx, 'input.noise'), 'input.noise'),
    ...(labels ? { class_labels: labels } : {}),
  };
  for (const n of exe.inputNames) feeds[n] ??= ctx.weights.get(n)!;
  const out = await exe.run(feeds);
  await exe.release();
  if (file.tensors.has('output.loss_per_pixel')) compare(ctx, 'output.loss_per_pixel', 'forward', out.loss_per_pixel, tensor(ctx, 'output.loss_per_pixel'));
  if (file.tensors.has('output.loss')) compare(ctx, 'output.loss', 'forward', out.loss, tensor(ctx, 'output.loss'));
  for (const name of gradNames) compare(ctx, name, 'gradient', out[name], tensor(ctx, name));
}

/** EDM Heun trajectories from the stored latents: all bricks, and with the top bricks skipped late. */
async function checkSampler(ctx: Ctx): Promise<void> {
  const { cfg, file } = ctx;
  const latentsT = tensor(ctx, 'input.latents');
  const latents = toFloat32(latentsT, 'input.latents');
  const solver = meta(ctx, 'solver');
  if (!solver.startsWith('heun') || !/S_churn=0\b/.test(solver)) throw new InputError(`${ctx.source}: sampler "${solver}" is not supported (heun with S_churn=0 is)`);
  const schedule = { sigmaMin: Number(meta(ctx, 'sigma_min')), sigmaMax: Number(meta(ctx, 'sigma_max')), rho: Number(meta(ctx, 'rho')) };
  const steps = Number(meta(ctx, 'steps'));
  const [b] = latentsT.shape;
  const labels = labelsOf(ctx, b);
  const cfgScale = file.metadata.cfg_scale !== undefined ? Number(file.metadata.cfg_scale) : 1;
  const runner = new LegoRunner(cfg, ctx.weights, { threads: ctx.threads });
  const denoise = (x: Float32Array, sigma: number, stopAfter: number | undefined, scale: number) =>
    guidedDenoise(runner, x, latentsT.shape, new Array<number>(b).fill(sigma), { labels, stopAfter, cfgScale: scale });
  if (file.tensors.has('output.t_steps')) compare(ctx, 'output.t_steps', 'sampler', edmSigmas(steps, schedule), tensor(ctx, 'output.t_steps'));
  if (file.tensors.has('output.x_full')) {
    const x = await edmSample((x, s, { stopAfter }) => denoise(x, s, stopAfter, cfgScale), latents, { ...schedule, steps });
    compare(ctx, 'output.x_full', 'sampler', x, tensor(ctx, 'output.x_full'));
  }
  if (file.tensors.has('output.x_skip_last_brick')) {
    const from = Number(meta(ctx, 'skip_from_step'));
    const stop = Number(meta(ctx, 'skip_stop_after_brick'));
    const x = await edmSample((x, s, { stopAfter }) => denoise(x, s, stopAfter, 1), latents, { ...schedule, steps, stopAfterAt: (i) => (i >= from ? stop : undefined) });
    compare(ctx, 'output.x_skip_last_brick', 'sampler', x, tensor(ctx, 'output.x_skip_last_brick'));
  }
  await runner.release();
}
