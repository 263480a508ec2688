// Training options: one typed record with the authors' defaults (train.py / EDM training_loop),
// validated in cli/, saved as training_options.json in the run directory.
import type { LegoConfig } from '../lego/config.js';

export interface TrainOptions {
  /** Dataset path (ZIP or folder in the EDM format). */
  data: string;
  /** Where run directories are created. */
  outdir: string;
  /** The architecture as given (preset name or config file) and the resolved stack. */
  arch: string;
  config: LegoConfig;
  /** Train class-conditionally on the dataset's labels. */
  cond: boolean;
  /** Images per optimiser step. */
  batch: number;
  /** Images per graph run; batch / batchGpu rounds are accumulated (default: batch). */
  batchGpu: number;
  /** Images per micro-batch inside one graph run (default: defaultMicroBatch in lego/micro-batch.ts). */
  microBatch: number;
  /** Learning rate (default 1e-4). */
  lr: number;
  /** Learning-rate ramp-up in kimg (default 10000). */
  lrRampupKimg: number;
  /** EMA half-life in kimg (default 500). */
  emaKimg: number;
  /** EMA ramp-up ratio, null to disable (default 0.05). */
  emaRampup: number | null;
  /** Training length in kimg. */
  durationKimg: number;
  /** Random horizontal flips of training images. */
  xflip: boolean;
  /** Seed of every random stream of the run. */
  seed: number;
  /** Progress report interval in kimg (default 50). */
  tickKimg: number;
  /** Network snapshot every this many ticks (default 50). */
  snapTicks: number;
  /** Training state every this many ticks (default 500). */
  dumpTicks: number;
  /** Probability that a training label is replaced by the null label (default 0.1). */
  labelDropout: number;
  /** Continue from a training state (file). */
  resume: string | null;
  /** Start from a network's weights with a fresh optimiser (file). */
  transfer: string | null;
  /** Intra-op threads (default: one per core). */
  threads: number | null;
  /** ln(sigma) ~ N(pMean, pStd). */
  pMean: number;
  pStd: number;
}

export const TRAIN_DEFAULTS = {
  lr: 1e-4,
  lrRampupKimg: 10000,
  emaKimg: 500,
  emaRampup: 0.05,
  tickKimg: 50,
  snapTicks: 50,
  dumpTicks: 500,
  labelDropout: 0.1,
  pMean: -1.2,
  pStd: 1.2,
} as const;
