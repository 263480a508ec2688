// Peak memory of `lego convert` on large synthetic files shaped like the authors' (an EDM snapshot pickle
// and a torch.save ZIP training state), against the file size; the bar is peak RSS < 1.5x the file.
// Run: npm run build && npx tsx bench/convert-memory.ts [millions of parameters, default 250] [dir]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomWeights, snapshotPickle, torchZip, trainingStateObject } from '../test/torch-files.js';
import type { LegoConfig } from '../src/lego/config.js';

const millions = Number(process.argv[2] ?? 250);
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'lego-convert-memory-'));
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

// A stack of 1024-wide bricks; each DiT block holds about 18 D^2 = 18.9 M parameters.
const depth = Math.max(1, Math.round(millions / 18.9));
const cfg: LegoConfig = {
  imgResolution: 32, imgChannels: 4, labelDim: 1000, hiddenSize: 1024, mlpRatio: 4, sigmaData: 0.5,
  bricks: [
    { resolution: 32, patchSize: 2, heads: 16, depth: Math.ceil(depth / 2) },
    { resolution: 16, patchSize: 8, heads: 16, depth: Math.floor(depth / 2) || 1 },
  ],
};

function writeChunks(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  for (const c of chunks) for (let at = 0; at < c.length; at += 1 << 30) writeSync(fd, c.subarray(at, at + (1 << 30)));
  closeSync(fd);
}

/**
 * Peak resident memory of one `lego convert` run, in bytes, reported by the process itself at exit: VmHWM
 * from /proc (getrusage's maxRSS would include this generator's memory, inherited across fork and exec).
 */
function convertPeak(input: string, out: string): number {
  const report = 'data:text/javascript,import{readFileSync}from"node:fs";process.on("exit",()=>process.stderr.write("maxrss "+/VmHWM:\\s*(\\d+)/.exec(readFileSync("/proc/self/status","utf8"))[1]+"\\n"))';
  const run = spawnSync(process.execPath, ['--import', report, bin, 'convert', input, out], { encoding: 'utf8' });
  const peak = /maxrss (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !peak) throw new Error(`lego convert failed: ${run.stderr}`);
  return Number(peak[1]) * 1024;
}

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;
const pkl = join(dir, 'network-snapshot-000100.pkl');
const pt = join(dir, 'training-state-000100.pt');
if (!existsSync(pkl) || !existsSync(pt)) { // a directory given twice keeps its files
  console.error(`generating a ${millions} M parameter stack (${depth} blocks) in ${dir}`);
  const { weights, shapes } = randomWeights(cfg, 1);
  writeChunks(pkl, snapshotPickle(cfg, weights, shapes));
  const mode = { kind: 'persistent' as const, storages: [] };
  const state = trainingStateObject(cfg, weights, shapes, { step: 10, m: weights, v: weights }, mode);
  writeChunks(pt, [torchZip(state, mode.storages)]);
}

for (const input of [pkl, pt]) {
  const size = statSync(input).size;
  const peak = convertPeak(input, join(dir, 'out.safetensors'));
  console.log(JSON.stringify({ file: input.split('/').pop(), file_bytes: size, peak_rss_bytes: peak, ratio: +(peak / size).toFixed(3) }));
  console.error(`${input.split('/').pop()}: ${gb(size)}, peak RSS ${gb(peak)} (${(peak / size).toFixed(2)}x the file)`);
}
if (!process.argv[3]) rmSync(dir, { recursive: true, force: true });
