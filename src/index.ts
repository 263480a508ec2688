// The public API of lego-diffusion, re-exported on purpose: the engine, the LEGO network, the sampler,
// training pieces, checkpoints, reference verification and datasets.
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

export { type LegoConfig, type BrickConfig, validateConfig, parseConfigJson, canvasProblem, largestTile } from './lego/config.js';
export { PRESETS, presetConfig, isPresetName, type PresetName, type PresetOptions } from './lego/presets.js';
export { parameterSpecs, countParameters, initWeights, type Weights } from './lego/model.js';
export { legoForward, conditioning, modelParams, type StackInputs, type StackOptions } from './lego/stack.js';
export { LegoRunner, type RunnerOptions, type DenoiseOptions, type BrickStats } from './lego/runner.js';
export { coordinatePlanes, type CoordMode } from './lego/coords.js';
export { preconditionScalars } from './lego/precond.js';

export { edmSigmas, type ScheduleOptions } from './diffusion/schedule.js';
export { edmSample, type Denoiser, type SamplerOptions } from './diffusion/sampler.js';

export { legoLoss, type LossInputs, type LossOptions } from './train/loss.js';
export { TrainStep, type StepBatch, type StepOptions } from './train/step.js';
export { TrainState, type TrainStateInit } from './train/state.js';

export { parseSafetensors, parseSafetensorsHeader, serializeSafetensors, toFloat32, toFloat64 } from './io/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT, type LegoCheckpoint } from './io/checkpoint.js';
export { loadCheckpoint, saveCheckpoint } from './io/checkpoint-file.js';
export { writeSafetensorsStream } from './io/safetensors-file.js';
export { loadAnyCheckpoint, convertCheckpoint, type ConvertResult } from './io/load-any.js';
export { inspectCheckpoint, type CheckpointReport, type TensorRow } from './io/inspect.js';
export { readAuthorsCheckpoint, convertedTensors, sniffFormat, type AuthorsCheckpoint } from './io/authors-checkpoint.js';
export { legoFromTorch, type TorchLego, type AdamMoments } from './io/lego-from-torch.js';
export { loadTorch, tensorBytes, tensorToFloat32, TorchTensor, TorchStorage, TORCH_GLOBALS, type TorchFile } from './io/torch-load.js';
export { unpickle, PickleObject, PickleClass, PickleFunction, type UnpickleOptions } from './io/pickle.js';
export { TRAINING_STATE_FORMAT, trainingStateNames } from './io/training-state.js';

export { verifyReference, referenceConfig, TOLERANCE, type ReferenceCheck } from './eval/reference.js';
export { evaluate, METRICS, type MetricName, type EvaluateOptions, type EvaluateResult, type MetricResult } from './eval/evaluate.js';
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
export { checkDatasetForModel, type DatasetCheckOptions } from './data/dataset-checks.js';
export { openDataset } from './data/dataset-reader.js';
export { writeDataset, type WriteOptions, type WriteSummary } from './data/dataset-writer.js';
export { openImageSource, type SourceOptions } from './data/sources.js';
export { memorySource, ByteRange, type ByteSource } from './data/byte-source.js';
export { openFileSource, type FileSource } from './data/fs-files.js';
export { KNOWN_DATASETS, knownDatasetFiles, type KnownDataset, type Split } from './data/known-datasets.js';
