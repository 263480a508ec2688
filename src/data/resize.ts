// Image resizing with the Lanczos-3 filter, antialiased the way PIL's `Image.resize(..., LANCZOS)` is
// (the filter widens by the downscale factor), which is what EDM's dataset_tool uses. Separable:
// rows first, then columns, in float; rounded to 8 bits once at the end.
import type { Image } from './image.js';

const SUPPORT = 3;

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
const lanczos = (x: number) => (Math.abs(x) < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0);

/** For each output pixel: the first input pixel it reads and its normalised weights (PIL's precompute_coeffs). */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** outSize x width weights, row i for output pixel i. */
  weights: Float64Array;
  width: number;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * width);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = lanczos((x - center + 0.5) / filterScale);
      weights[i * width + x - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = 0; x < hi - lo; x++) weights[i * width + x] /= sum;
    first[i] = lo;
    count[i] = hi - lo;
  }
  return { first, count, weights, width };
}

/**
 * Resize to `width` x `height` with antialiased Lanczos-3 (PIL's LANCZOS). Aspect ratio is not kept:
 * crop or pad first (transforms.ts) for that.
 */
export function resizeLanczos(img: Image, width: number, height: number): Image {
  if (img.width === width && img.height === height) return img;
  const c = img.channels;
  const tx = taps(img.width, width);
  const ty = taps(img.height, height);
  // Rows: (img.height, img.width, c) -> (img.height, width, c), kept in float.
  const rows = new Float64Array(img.height * width * c);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const lo = tx.first[x];
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let j = 0; j < tx.count[x]; j++) acc += tx.weights[x * tx.width + j] * img.data[(y * img.width + lo + j) * c + k];
        rows[(y * width + x) * c + k] = acc;
      }
    }
  }
  // Columns: -> (height, width, c), rounded and clamped to 0-255.
  const out = new Uint8Array(height * width * c);
  const stride = width * c;
  for (let y = 0; y < height; y++) {
    const lo = ty.first[y];
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let j = 0; j < ty.count[y]; j++) acc += ty.weights[y * ty.width + j] * rows[(lo + j) * stride + i];
      out[y * stride + i] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return { width, height, channels: c, data: out };
}
