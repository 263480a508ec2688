// Wall-clock timing for the benchmarks: runs after a warm-up, and their median.

/** The middle value (the upper one of an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Seconds of each of `repeat` runs after one untimed warm-up run (which compiles graphs and grows arenas). */
export async function timeRuns(repeat: number, run: () => Promise<unknown>): Promise<number[]> {
  await run();
  const seconds: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await run();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}
