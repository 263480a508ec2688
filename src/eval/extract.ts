// Features of many images with one feature network, in chunks that bound memory and pace progress: the
// same rows whether a whole folder is scored at once (evaluate.ts) or one job's images (job-stats.ts).
import type { Image } from '../data/image.js';
import type { FeatureExtractor } from './features.js';

/** Images per extraction call. */
const CHUNK = 1000;

/** Features (count, dim) and, for a network with a classifier head, logits (count, classes) of `count` images. */
export async function extractAll(net: FeatureExtractor, count: number, image: (i: number) => Image, onProgress?: (done: number) => void) {
  const features = new Float32Array(count * net.dim);
  const logits = net.classes > 0 ? new Float32Array(count * net.classes) : null;
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    const batch = await net.extract(Array.from({ length: end - start }, (_, j) => image(start + j)));
    features.set(batch.features, start * net.dim);
    if (logits && batch.logits) logits.set(batch.logits, start * net.classes);
    onProgress?.(end);
  }
  return { features, logits };
}
