// ONNX Runtime profiles (Chrome trace events, native files or the browser's console dump) summed per
// op type: each node's median kernel time over its runs (so a first run's allocations do not count),
// added up over the nodes of one op type. One run of the graph, in steady state.
import { median } from '../src/timing.js';

export interface KernelEvent {
  cat: string;
  name: string;
  dur: number;
  args: { op_name?: string; provider?: string };
}

/** Kernel events of a profile given as JSON text (a native file) or as the lines of a console dump. */
export function kernelEvents(text: string): KernelEvent[] {
  let events: KernelEvent[];
  try {
    events = JSON.parse(text) as KernelEvent[];
  } catch {
    // The console form: one event per line, each with a trailing comma, between '[' and ']' lines.
    events = text.split('\n').map((l) => l.trim().replace(/,$/, '')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as KernelEvent);
  }
  return events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
}

/** Milliseconds per run by op type (sum over its nodes of each node's median), and node counts. */
export function msPerOp(events: readonly KernelEvent[]): Map<string, { ms: number; nodes: number }> {
  const byNode = new Map<string, { op: string; durs: number[] }>();
  for (const e of events) {
    const entry = byNode.get(e.name) ?? { op: e.args.op_name ?? '?', durs: [] };
    entry.durs.push(e.dur);
    byNode.set(e.name, entry);
  }
  const byOp = new Map<string, { ms: number; nodes: number }>();
  for (const { op, durs } of byNode.values()) {
    const entry = byOp.get(op) ?? { ms: 0, nodes: 0 };
    entry.ms += median(durs) / 1000;
    entry.nodes++;
    byOp.set(op, entry);
  }
  return new Map([...byOp].sort((a, b) => b[1].ms - a[1].ms));
}
