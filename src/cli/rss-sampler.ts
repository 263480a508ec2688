// Peak resident memory over a window of work. process.resourceUsage().maxRSS only grows over the
// process's life, and ONNX Runtime blocks the main thread while it runs, so a worker thread samples
// the (process-wide) RSS and keeps the maximum.
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const peak = new Float64Array(workerData.shared);
const control = new Int32Array(workerData.control);
const sample = () => { const rss = process.memoryUsage.rss(); if (rss > peak[0]) peak[0] = rss; };
sample();
while (Atomics.wait(control, 0, 0, workerData.intervalMs) === 'timed-out') sample();
sample();
`;

export interface RssWindow {
  /** Stop sampling; resolves to the highest RSS seen since `sampleRss` was called, in MiB. */
  stop(): Promise<number>;
}

/** Start sampling the process's resident memory every `intervalMs`. */
export function sampleRss(intervalMs = 5): RssWindow {
  const shared = new SharedArrayBuffer(8);
  const control = new SharedArrayBuffer(4);
  new Float64Array(shared)[0] = process.memoryUsage.rss();
  const worker = new Worker(SAMPLER, { eval: true, workerData: { shared, control, intervalMs } });
  worker.unref();
  return {
    async stop() {
      worker.ref(); // keep the process alive until the last sample is in
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      Atomics.store(new Int32Array(control), 0, 1);
      Atomics.notify(new Int32Array(control), 0);
      await exited;
      return new Float64Array(shared)[0] / 2 ** 20;
    },
  };
}
