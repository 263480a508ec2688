// The profile summary of npm run bench:web: both forms ONNX Runtime writes a profile in (a native JSON
// file, the WebAssembly build's console lines) give the same per-op milliseconds.
import { describe, expect, it } from 'vitest';
import { kernelEvents, msPerOp } from '../bench/ort-profile.js';

const event = (name: string, op: string, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, ph: 'X', args: { op_name: op } });
// Two runs of a three-node graph; node a's first run is slow (allocation), b has an outlier, c runs once.
const events = [
  { cat: 'Session', name: 'session_initialization', dur: 99_000, ph: 'X', args: {} },
  event('a', 'Gemm', 900), event('a', 'Gemm', 100), event('a', 'Gemm', 120),
  event('b', 'Gemm', 50), event('b', 'Gemm', 5000), event('b', 'Gemm', 60),
  event('c', 'Add', 10),
  { cat: 'Node', name: 'c_fence_before', dur: 1, ph: 'X', args: { op_name: 'Add' } },
];

describe('kernelEvents and msPerOp', () => {
  it('reads a native profile file and a console dump alike', () => {
    const file = JSON.stringify(events);
    const consoleLines = ['[', ...events.map((e) => `${JSON.stringify(e)},`), ']'].join('\n');
    expect(kernelEvents(file)).toHaveLength(7);
    expect(kernelEvents(consoleLines)).toEqual(kernelEvents(file));
  });

  it('sums each op type over its nodes, each node at its median run', () => {
    const ops = msPerOp(kernelEvents(JSON.stringify(events)));
    expect([...ops.keys()]).toEqual(['Gemm', 'Add']);
    expect(ops.get('Gemm')!.ms).toBeCloseTo(0.12 + 0.06, 9);
    expect(ops.get('Gemm')!.nodes).toBe(2);
    expect(ops.get('Add')).toEqual({ ms: 0.01, nodes: 1 });
  });
});
