#!/usr/bin/env node
// The `lego` command: one sub-command per file in commands/, and the single exit point.
import { Command, CommanderError } from 'commander';
import { isUserError, UsageError } from '../errors.js';
import { escapedFileError } from '../files/fs-files.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { datasetCommand } from './commands/dataset.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { queueCommand } from './commands/queue.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { vaeCommand } from './commands/vae.js';
import { verifyReferenceCommand } from './commands/verify-reference.js';
import { workerCommand } from './commands/worker.js';

// Output piped into a reader that stops early (`lego dataset --help | head`): stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

const program = new Command('lego')
  .description('LEGO diffusion models: stackable, skippable bricks, on CPU with ONNX Runtime')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
for (const command of [generateCommand(), trainCommand(), verifyReferenceCommand(), benchCommand(), datasetCommand(), evalCommand(), convertCommand(), inspectCommand(), serveCommand(), workerCommand(), queueCommand(), vaeCommand()]) program.addCommand(command.exitOverride());

// Exit codes (README "Exit codes"): 0 success, --help and --version; 2 a usage error or invalid value; 1 an
// input or file error, or a check that failed; 70 a bug.
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // A raw file-system error that escaped its caller is still the user's to fix: one line, exit 1.
  const error = escapedFileError(e) ?? e;
  if (error instanceof CommanderError) {
    // Commander has printed help or its own message (an unknown or missing option, a bad choice).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isUserError(error)) {
    process.stderr.write(`lego: ${error.message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  } else {
    process.stderr.write(`lego: internal error (a bug; please report it)\n${(error as Error).stack ?? error}\n`);
    process.exitCode = 70;
  }
}
