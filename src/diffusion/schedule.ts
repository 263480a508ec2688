// EDM's noise levels (Karras et al. 2022, eq. 5): t_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho
// for i < N, and t_N = 0. Float64, as the authors' sampler.

export interface ScheduleOptions {
  /** Lowest noise level (default 0.002). */
  sigmaMin?: number;
  /** Highest noise level (default 80). */
  sigmaMax?: number;
  /** Schedule curvature (default 7). */
  rho?: number;
}

/** N+1 noise levels, decreasing, ending at 0. */
export function edmSigmas(steps: number, { sigmaMin = 0.002, sigmaMax = 80, rho = 7 }: ScheduleOptions = {}): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`internal: edmSigmas: steps must be a positive integer, got ${steps}`);
  const t = new Float64Array(steps + 1);
  const hi = sigmaMax ** (1 / rho);
  const lo = sigmaMin ** (1 / rho);
  for (let i = 0; i < steps; i++) t[i] = (hi + (steps === 1 ? 0 : i / (steps - 1)) * (lo - hi)) ** rho;
  t[steps] = 0;
  return t;
}
