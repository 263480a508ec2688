// The public API of lego-diffusion, re-exported on purpose: the engine, the LEGO network, the sampler,
// training pieces, checkpoints, reference verification, datasets and the Stable Diffusion VAE.
export { UsageError, InputError, CheckFailed, isUserError } from './errors.js';
export { Rng } from './random.js';

export * as ops from './graph/ops.js';
export { Graph, Value, type Shape, type DType, type OpType, type OpAttrs } from './graph/ops.js';
export { grad } from './graph/grad.js';
export { vjp } from './graph/vjp.js';
export { toOnnx, OPSET } from './graph/onnx.js';
export { countFlops } from './graph/flops.js';
export { Executable, type ExecutableOptions, type HostTensor } from './runtime/executable.js';

export { Params, type ParamSpec, type Init } from './nn/params.js';
export { type Precision } from './nn/linear.js';
export { quantizeWeight, quantizedNames, type QuantizedWeight } from './nn/quantize.js';

export { type LegoConfig, type BrickConfig, validateConfig, parseConfigJson, canvasProblem, largestTile } from './lego/config.js';
export { PRESETS, presetConfig, isPresetName, type PresetName, type PresetOptions } from './lego/presets.js';
export { SMALL_PRESETS, smallPresetConfig, isSmallPresetName, type SmallPresetName } from './lego/small-presets.js';
export { parameterSpecs, countParameters, initWeights, type Weights } from './lego/model.js';
export { legoForward, conditioning, modelParams, type StackInputs, type StackOptions } from './lego/stack.js';
export { LegoRunner, type RunnerOptions, type DenoiseOptions, type BrickStats } from './lego/runner.js';
export { quantizeWeights, int8Linears, type QuantizedWeights, type LinearWeight } from './lego/quantize.js';
export { coordinatePlanes, type CoordMode } from './lego/coords.js';
export { preconditionScalars } from './lego/precond.js';

export { edmSigmas, type ScheduleOptions } from './diffusion/schedule.js';
export { edmSample, DEFAULT_STEPS, type Denoiser, type SamplerOptions } from './diffusion/sampler.js';
export { guidedDenoise, type GuidanceOptions } from './diffusion/guidance.js';
export { legoLoss, LOSS_DEFAULTS, type LossInputs, type LossOptions } from './diffusion/loss.js';
export {
  benchForward, benchSkipping, type ForwardBench, type ForwardBenchOptions, type BrickBench, type SkipBench, type SkipBenchOptions,
} from './diffusion/bench.js';

export { TrainStep, type StepBatch, type StepOptions } from './train/step.js';
export { TrainState, type TrainStateInit } from './train/state.js';
export { benchTrainStep, type TrainStepBench, type TrainBenchOptions, type MemoryWindow } from './train/bench.js';

export { parseSafetensors, parseSafetensorsHeader, serializeSafetensors, toFloat32, toFloat64 } from './io/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT, type LegoCheckpoint } from './io/checkpoint.js';
export { loadCheckpoint, saveCheckpoint } from './io/checkpoint-file.js';
export { writeSafetensorsStream } from './io/safetensors-file.js';
export { loadAnyCheckpoint, convertCheckpoint, type ConvertResult } from './io/load-any.js';
export { latentInfo, latentMetadata, LATENT_KEY, VAE_KEY, type LatentInfo } from './io/latent-checkpoint.js';
export { PRECISION_KEY, INT8_LAYOUT, readInt8Tensors, int8TensorEntries, type Int8Tensors } from './io/int8-checkpoint.js';
export { inspectCheckpoint, type CheckpointReport, type TensorRow } from './io/inspect.js';
export { readAuthorsCheckpoint, convertedTensors, sniffFormat, type AuthorsCheckpoint } from './io/authors-checkpoint.js';
export { legoFromTorch, type TorchLego, type AdamMoments } from './io/lego-from-torch.js';
export { loadTorch, tensorBytes, tensorToFloat32, TorchTensor, TorchStorage, TORCH_GLOBALS, type TorchFile } from './io/torch-load.js';
export { unpickle, PickleObject, PickleClass, PickleFunction, type UnpickleOptions } from './io/pickle.js';
export { TRAINING_STATE_FORMAT, trainingStateNames } from './io/training-state.js';

export { verifyReference } from './verify/reference.js';
export { referenceConfig, type ReferenceFile } from './verify/reference-config.js';
export { TOLERANCE, REDUCTION_TOLERANCE, type ReferenceCheck, type ToleranceRule } from './verify/tolerance.js';
export { verifyVaeReference, VAE_OUTPUTS } from './verify/vae-reference.js';

export { loadVae, readVae, inspectVae, type LoadVaeOptions, type VaeSource, type VaeReport } from './io/vae-load.js';
export { Vae, type VaeOptions, type Posterior } from './vae/vae.js';
export { SD_VAE_CONFIG, vaeConfigFromDiffusers, vaeConfigToDiffusers, downscaleFactor, type VaeConfig } from './vae/config.js';
export { randomVaeWeights, countVaeParameters, type VaeWeights } from './vae/weights.js';
export { benchVae, type VaeBenchOptions, type VaeBenchResult } from './vae/bench.js';
export {
  evaluate, evaluateMerged, METRICS, type MetricName, type EvaluateOptions, type MergedEvaluateOptions, type EvaluateResult, type MetricResult,
} from './eval/evaluate.js';
export {
  registerFeatureNet, featureNets, loadFeatureNet, loadLenet, lenetExtractor, classAccuracy,
  type FeatureExtractor, type FeatureNetDefinition, type FeatureBatch,
} from './eval/features.js';
export { gaussianStats, frechetDistance, type GaussianStats } from './eval/fd.js';
export { kid, type KidOptions, type KidResult } from './eval/kid.js';
export { precisionRecall, type PrecisionRecall, type PrecisionRecallOptions } from './eval/precision-recall.js';
export { symmetricEigen, sqrtPsd, traceSqrtProduct } from './eval/linalg.js';
export { openImageSet, parseLabelsJson, type ImageSet, type Labels } from './eval/image-set.js';
export { referenceStatsPath } from './eval/reference-stats.js';
export { featureSums, addSums, sumsToGaussian, type FeatureSums } from './eval/feature-sums.js';
export { imageFeatures, writeJobStats, readJobStats, mergeJobStats, jobStatsPath, type ImageFeatures } from './eval/job-stats.js';

export { type Image, convertChannels, toChw } from './data/image.js';
export { decodePng, encodePng, readPngHeader, type PngHeader } from './data/png.js';
export { decodeJpeg } from './data/jpeg.js';
export { decodeImage } from './data/decode-image.js';
export { parseIdx, idxImages, idxLabels, type IdxArray } from './data/idx.js';
export { resizeLanczos } from './data/resize.js';
export { applyTransform, TRANSFORMS, type TransformName } from './data/transforms.js';
export { imageName, parseDatasetJson, serializeDatasetJson, type DatasetLabels } from './data/dataset-json.js';
export { filesImageSource, idxImageSource, type ImageSource, type SourceItem } from './data/image-source.js';
export { convertDataset, type ConvertOptions, type ConvertHooks, type ConvertSummary, type DatasetSink } from './data/dataset-convert.js';
export { datasetFromFiles, type Dataset, type DatasetInfo } from './data/dataset.js';
export { checkDatasetForModel, type DatasetCheckOptions, type DatasetForModel } from './data/dataset-checks.js';
export { openDataset, openTrainingData } from './data/dataset-reader.js';
export { writeDataset, writeLatentDataset, type WriteOptions, type WriteSummary } from './data/dataset-writer.js';
export { latentDatasetFromFiles, isLatentDataset, type LatentDataset } from './data/latent-dataset.js';
export { convertLatentDataset, latentName, type LatentConvertOptions, type LatentConvertSummary } from './data/latent-dataset-convert.js';
export { encodeLatents, type PosteriorDraw } from './data/latent-encode.js';
export { decodeLatentFiles, encodeImageFiles } from './data/vae-files.js';
export { encodeNpyFloat32, decodeNpyFloat32, parseNpyHeader, type NpyFloat32, type NpyHeader } from './data/npy.js';
export { openImageSource, type SourceOptions } from './data/sources.js';
export { openSampleDir, samplePath, GRID_MAX, type SampleDir, type SampleDirOptions } from './data/sample-dir.js';
export { RUN_FILE, type SampleRun } from './data/sample-run.js';
export { dealSeeds, cutSeeds, seedsTag } from './data/seed-split.js';
export { imageGrid, type GridImage } from './data/image-grid.js';
export { encodeNpzUint8, encodeNpyUint8, encodeNpyInt64 } from './data/npz.js';
export { memorySource, ByteRange, type ByteSource } from './files/byte-source.js';
export { openFileSource, type FileSource } from './files/fs-files.js';
export { KNOWN_DATASETS, knownDatasetFiles, type KnownDataset, type Split } from './data/known-datasets.js';
