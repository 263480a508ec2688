// `lego train`: train a LEGO stack with the authors' recipe into an EDM-style run directory; resumable.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { InputError, UsageError } from '../../errors.js';
import { checkDatasetForModel } from '../../data/dataset-checks.js';
import { openDataset } from '../../data/dataset-reader.js';
import { loadAnyCheckpoint, convertCheckpoint } from '../../io/load-any.js';
import { isPresetName } from '../../lego/presets.js';
import { train, type TrainingImages, type TrainStart } from '../../train/loop.js';
import { defaultMicroBatch } from '../../lego/micro-batch.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../../train/options.js';
import { decodeTrainingState } from '../../train/training-state.js';
import { parseIntFlag, parseMicroBatch, parseNumberFlag, parseThreads, resolveArch, threadsHelp } from '../args.js';

interface TrainFlags {
  data: string;
  outdir: string;
  arch: string;
  cond?: boolean;
  batch: string;
  batchGpu?: string;
  microBatch?: string;
  lr: string;
  lrRampup: string;
  ema: string;
  emaRampup: string;
  duration: string;
  xflip?: boolean;
  seed: string;
  tick: string;
  snap: string;
  dump: string;
  resume?: string;
  transfer?: string;
  threads?: string;
  dryRun?: boolean;
}

/** A run directory's newest training state, or the file itself. */
function trainingStateFile(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`--resume ${path}: no such file or directory`);
  }
  if (!isDir) return path;
  const states = readdirSync(path).filter((f) => /^training-state-\d+\.(safetensors|pt)$/.test(f)).sort();
  if (states.length === 0) throw new InputError(`--resume ${path}: no training-state-*.safetensors in this directory`);
  return join(path, states[states.length - 1]);
}

/** Our training-state file, or the authors' training-state-*.pt (converted through a temporary file). */
async function readTrainingState(file: string) {
  if (!file.endsWith('.pt') && !file.endsWith('.pkl')) return decodeTrainingState(new Uint8Array(await readFile(file)), file);
  const dir = mkdtempSync(join(tmpdir(), 'lego-resume-'));
  try {
    const converted = join(dir, 'training-state.safetensors');
    await convertCheckpoint(file, converted);
    return decodeTrainingState(new Uint8Array(await readFile(converted)), file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** outdir/NNNNN-<desc>, NNNNN one past the highest run id there. */
function newRunDir(outdir: string, desc: string): string {
  mkdirSync(outdir, { recursive: true });
  const ids = readdirSync(outdir).map((f) => /^(\d{5})-/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
  const dir = join(outdir, `${String(ids.length ? Math.max(...ids) + 1 : 0).padStart(5, '0')}-${desc}`);
  mkdirSync(dir);
  return dir;
}

/** The `<arch>` part of a run directory's name: a preset's name or a stack file's base name. */
function archLabel(arch: string): string {
  return isPresetName(arch) ? arch : basename(arch, '.json');
}

/** The --arch of the run a state file continues (its training_options.json), else "resumed". */
function resumedArch(stateFile: string): string {
  try {
    const options = JSON.parse(readFileSync(join(dirname(stateFile), 'training_options.json'), 'utf8')) as { arch?: unknown };
    if (typeof options.arch === 'string') return options.arch;
  } catch {
    // No options beside the state (a copied file, the authors' .pt): fall through.
  }
  return 'resumed';
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a LEGO diffusion model (EDM loss on every brick, Adam, EMA) into a resumable run directory')
    .requiredOption('--data <zip|dir>', 'dataset made by lego dataset (ZIP or folder of PNGs + dataset.json)')
    .option('--outdir <dir>', 'where run directories are created', 'training-runs')
    .option('--arch <name|file.json>', 'preset (e.g. lego_S_PG_64; its image size and channels follow the data) or stack config JSON', 'lego_S_PG_64')
    .option('--cond', 'class-conditional on the dataset labels (10% dropped to the null label)')
    .option('--batch <n>', 'images per optimiser step', '512')
    .option('--batch-gpu <n>', 'images per graph run; the rest accumulates over rounds (default: --batch)')
    .option('--micro-batch <n>', 'images per micro-batch inside a graph run: the same gradient up to float rounding, less memory (default: --batch-gpu, halved while its largest activation exceeds 32 MiB; keep it when resuming for bit-exact results)')
    .option('--lr <lr>', 'learning rate', String(TRAIN_DEFAULTS.lr))
    .option('--lr-rampup <kimg>', 'learning-rate ramp-up length', String(TRAIN_DEFAULTS.lrRampupKimg))
    .option('--ema <kimg>', 'EMA half-life', String(TRAIN_DEFAULTS.emaKimg))
    .option('--ema-rampup <ratio>', 'EMA ramp-up ratio ("none" to disable)', String(TRAIN_DEFAULTS.emaRampup))
    .option('--duration <kimg>', 'training length in thousands of images', '200000')
    .option('--xflip', 'random horizontal flips')
    .option('--seed <n>', 'seed of every random stream of the run', '0')
    .option('--tick <kimg>', 'progress report interval', String(TRAIN_DEFAULTS.tickKimg))
    .option('--snap <ticks>', 'network snapshot interval', String(TRAIN_DEFAULTS.snapTicks))
    .option('--dump <ticks>', 'training state interval', String(TRAIN_DEFAULTS.dumpTicks))
    .option('--resume <dir|file>', 'continue a run: its directory (newest state), a training-state file, or the authors\' training-state-*.pt')
    .option('--transfer <file>', 'start from a network snapshot\'s weights (ours or the authors\' .pkl) with a fresh optimiser')
    .option('--threads <n>', threadsHelp)
    .option('--dry-run', 'print the options and exit')
    .addHelpText('after', `
A run directory NNNNN-<data>-<arch>-batch<B> gets training_options.json, log.txt, stats.jsonl,
network-snapshot-KKKKKK.safetensors (EMA weights, self-describing) and training-state-KKKKKK.safetensors
(everything needed to continue bit for bit). Ctrl-C finishes the step, writes a state and exits 0.

Examples:
  lego train --data mnist32.zip --arch lego_S_PG_64 --cond --batch 64 --duration 200 --tick 4
  lego train --data mnist32.zip --arch my-stack.json --batch 32 --lr 2e-4 --lr-rampup 10 --duration 100
  lego train --data mnist32.zip --resume training-runs/00003-mnist32-lego_S_PG_64-batch64`)
    .action(async (flags: TrainFlags) => {
      const batch = parseIntFlag('--batch', flags.batch, { min: 1 });
      const batchGpu = flags.batchGpu === undefined ? batch : parseIntFlag('--batch-gpu', flags.batchGpu, { min: 1, max: batch });
      if (batch % batchGpu !== 0) throw new UsageError(`--batch-gpu: ${batchGpu} does not divide --batch ${batch}`);
      const microFlag = parseMicroBatch(flags.microBatch, batchGpu, `the ${batchGpu} images of a graph run`);
      const data = openDataset(flags.data);
      const start: TrainStart = {};
      let config;
      const stateFile = flags.resume ? trainingStateFile(flags.resume) : null;
      if (stateFile) {
        start.resume = await readTrainingState(stateFile);
        config = start.resume.config;
      } else {
        config = resolveArch(flags.arch, { imgResolution: data.resolution, imgChannels: data.channels, labelDim: flags.cond ? data.labelDim : 0 });
      }
      if (flags.transfer) {
        const net = await loadAnyCheckpoint(flags.transfer);
        if (JSON.stringify(net.config) !== JSON.stringify(config)) throw new InputError(`${flags.transfer}: its stack differs from --arch ${flags.arch}`);
        start.transferWeights = net.weights;
      }
      const microBatch = microFlag ?? defaultMicroBatch(config, batchGpu);
      // A resumed conditional model keeps training on labels.
      const cond = !!flags.cond || (!!start.resume && config.labelDim > 0);
      checkDatasetForModel(data, config, { cond });
      const options: TrainOptions = {
        data: flags.data,
        outdir: flags.outdir,
        // A resumed run keeps the stack (and name) of the run it continues, whatever --arch says.
        arch: stateFile ? resumedArch(stateFile) : flags.arch,
        config,
        cond,
        batch,
        batchGpu,
        microBatch,
        lr: parseNumberFlag('--lr', flags.lr, { min: 0 }),
        lrRampupKimg: parseNumberFlag('--lr-rampup', flags.lrRampup, { min: 0 }),
        emaKimg: parseNumberFlag('--ema', flags.ema, { min: 0 }),
        emaRampup: flags.emaRampup === 'none' ? null : parseNumberFlag('--ema-rampup', flags.emaRampup, { min: 0 }),
        durationKimg: parseNumberFlag('--duration', flags.duration, { min: 0 }),
        xflip: !!flags.xflip,
        seed: parseIntFlag('--seed', flags.seed, { min: 0, max: 2 ** 32 - 1 }),
        tickKimg: parseNumberFlag('--tick', flags.tick, { min: 1e-6 }),
        snapTicks: parseIntFlag('--snap', flags.snap, { min: 1 }),
        dumpTicks: parseIntFlag('--dump', flags.dump, { min: 1 }),
        labelDropout: TRAIN_DEFAULTS.labelDropout,
        resume: flags.resume ?? null,
        transfer: flags.transfer ?? null,
        threads: parseThreads(flags.threads) ?? null,
        pMean: TRAIN_DEFAULTS.pMean,
        pStd: TRAIN_DEFAULTS.pStd,
      };
      if (flags.dryRun) {
        console.log(JSON.stringify(options, null, 2));
        return;
      }
      const archName = archLabel(options.arch);
      const runDir = newRunDir(flags.outdir, `${basename(flags.data).replace(/\.zip$/, '')}-${archName}-batch${batch}`);
      writeFileSync(join(runDir, 'training_options.json'), `${JSON.stringify(options, null, 2)}\n`);
      const images: TrainingImages = {
        count: data.count,
        resolution: data.resolution,
        channels: data.channels,
        labelDim: data.labelDim,
        image: (i) => data.getImage(i),
        label: (i) => (data.labels ? data.labels[i] : null),
      };
      let stop = false;
      const onSignal = () => {
        if (stop) return;
        stop = true;
        process.stderr.write('\nstopping after this step; writing a training state...\n');
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const bar = process.stderr.isTTY
        ? new SingleBar({ format: 'train [{bar}] {value}/{total} kimg | loss {loss} | {speed} s/kimg | ETA {eta_formatted}' })
        : null;
      bar?.start(options.durationKimg, (start.resume?.progress?.nimg ?? 0) / 1000, { loss: '-', speed: '-' });
      console.log(`run directory: ${runDir}`);
      try {
        await train(options, images, runDir, start, {
          log: (line) => (bar ? bar.updateETA() : console.log(line)),
          onStep: ({ nimg, loss, secPerKimg }) => bar?.update(nimg / 1000, { loss: (loss / (config.imgChannels * config.imgResolution ** 2)).toFixed(4), speed: secPerKimg.toFixed(1) }),
          stopRequested: () => stop,
        });
      } finally {
        bar?.stop();
        data.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
