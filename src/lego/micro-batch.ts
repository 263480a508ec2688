// How many images one graph run takes at a time. Training steps and brick runs cut big batches into
// micro-batches: smaller tensors stay closer to the cache and fragment ONNX Runtime's arena less.
import type { LegoConfig } from './config.js';

/** Largest activation of one micro-batch the default aims under: about a server CPU's L3 cache. */
const MICRO_BATCH_BYTES = 32 * 2 ** 20;

/**
 * The batch halved while it is even and its largest activation (a brick's MLP hidden layer: tokens x
 * hidden x mlpRatio floats per image, on a height x width canvas) exceeds 32 MiB. Measured: lego_S_PG_64
 * at batch 8 (50 MB -> micro-batches of 4) trains in 1.0 GiB less memory and 5-9% faster, and its forward
 * is 5% faster; the MNIST stack at batch 64 (34 MB -> 32) trains in 0.15 GiB less, 2-7% faster, while at
 * batch 16 (8 MB) cutting was 0-8% slower.
 */
export function defaultMicroBatch(cfg: LegoConfig, batch: number, height = cfg.imgResolution, width = height): number {
  const tokens = Math.max(...cfg.bricks.map((b) => (height / b.patchSize) * (width / b.patchSize)));
  const bytesPerImage = tokens * cfg.hiddenSize * cfg.mlpRatio * 4;
  let micro = batch;
  while (micro % 2 === 0 && micro * bytesPerImage > MICRO_BATCH_BYTES) micro /= 2;
  return micro;
}
