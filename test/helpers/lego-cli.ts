// Run the built `lego` binary as a user would and collect its exit code and output.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const legoBin = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface LegoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `lego ...args` in `cwd`; a non-zero exit is returned, not thrown. */
export async function runLego(args: string[], cwd?: string): Promise<LegoResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [legoBin, ...args], { cwd, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as LegoResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** `lego ...args` in the current directory. */
export const lego = (...args: string[]) => runLego(args);
