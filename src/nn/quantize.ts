// 8-bit quantisation of Linear weights, done once in JS when a model loads: symmetric int8 with one
// scale per output channel, scale_j = max_i |W_ji| / 127, q = round(W / scale_j) in [-127, 127].

/** Largest magnitude of a symmetric 8-bit value (-128 is left out, so that the range is symmetric). */
export const QMAX = 127;

/** Zero point of the uint8 activations: q = round(x / s) + 128. */
export const ACTIVATION_ZERO_POINT = 128;

/** Round to the nearest integer, ties to even: ONNX QuantizeLinear's rounding, used for weights too. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Names of the graph inputs that hold the 8-bit form of the weight `weightName`. */
export function quantizedNames(weightName: string): { q: string; scale: string } {
  return { q: `${weightName}.q`, scale: `${weightName}.scale` };
}

/** A Linear weight in 8 bits: q (in, out), transposed for the integer product, and one scale per output channel. */
export interface QuantizedWeight {
  /** round(W^T / scale) (in, out), row-major. */
  q: Int8Array;
  /** scale_j = max_i |W_ji| / 127 (out), rounded to float32; 0 for an all-zero channel. */
  scale: Float32Array;
}

/**
 * Quantise a Linear weight W (out, in), row-major as PyTorch stores it, per output channel. The
 * result is transposed to (in, out) so that the graph multiplies by it with no Transpose per call.
 */
export function quantizeWeight(w: Float32Array, outDim: number, inDim: number): QuantizedWeight {
  if (w.length !== outDim * inDim) throw new Error(`internal: quantizeWeight: ${w.length} values for (${outDim}, ${inDim})`);
  const q = new Int8Array(inDim * outDim);
  const scale = new Float32Array(outDim);
  for (let j = 0; j < outDim; j++) {
    const row = w.subarray(j * inDim, (j + 1) * inDim);
    let max = 0;
    for (let i = 0; i < inDim; i++) max = Math.max(max, Math.abs(row[i]));
    scale[j] = Math.fround(max / QMAX);
    if (scale[j] === 0) continue;
    for (let i = 0; i < inDim; i++) {
      q[i * outDim + j] = Math.max(-QMAX, Math.min(QMAX, roundHalfEven(Math.fround(row[i] / scale[j]))));
    }
  }
  return { q, scale };
}
