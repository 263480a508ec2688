// Seeded random numbers: xoshiro128** (Blackman & Vigna) seeded through splitmix32, normals by
// Box-Muller in float64. Deterministic across platforms; the state is four uint32 words, so a run
// can save and restore it exactly.

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** A xoshiro128** stream. `new Rng(seed, stream)`: distinct (seed, stream) pairs give independent streams. */
export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  constructor(seed: number, stream = 0) {
    this.s = new Uint32Array(4);
    let st = (seed >>> 0) ^ Math.imul(stream >>> 0, 0x632be5ab);
    // Mix the high part of large seeds in as well (seeds up to 2^53).
    st ^= Math.floor(seed / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++) [st, this.s[i]] = splitmix32(st);
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Fill an array with standard normals. */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    this.s.set(state.slice(0, 4));
    this.spare = Number.isNaN(state[4]) ? null : state[4];
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
