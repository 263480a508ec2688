// A long-running `lego` process (a worker, a submitter following its run) that a test watches, signals
// and waits for: its stderr so far, waiting for a line, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { legoBin } from './lego-cli.js';

export interface LegoProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** The first match of `pattern` in its stderr, once it appears; rejects after `timeoutMs` or at exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Start `lego ...args`. */
export function startLego(args: string[]): LegoProcess {
  const child = spawn(process.execPath, [legoBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString();
    for (const listener of listeners) listener();
  });
  child.stdout!.resume();
  let ended = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    ended = true;
    for (const listener of listeners) listener();
    resolve(code);
  }));
  return {
    child,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stderr);
          if (match || ended) {
            listeners.delete(check);
            clearTimeout(timer);
            if (match) resolve(match);
            else reject(new Error(`lego ${args[0]} exited before printing ${pattern}; stderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`lego ${args[0]} did not print ${pattern} within ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}
