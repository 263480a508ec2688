#!/usr/bin/env node
// The `lego` command: one sub-command per file in commands/, and the single exit point.
import { Command, CommanderError } from 'commander';
import { isUserError, UsageError } from '../errors.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { datasetCommand } from './commands/dataset.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { verifyReferenceCommand } from './commands/verify-reference.js';

const program = new Command('lego')
  .description('LEGO diffusion models: stackable, skippable bricks, on CPU with ONNX Runtime')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
for (const command of [generateCommand(), trainCommand(), verifyReferenceCommand(), benchCommand(), datasetCommand(), evalCommand(), convertCommand(), inspectCommand(), serveCommand()]) program.addCommand(command.exitOverride());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander has printed help or its own message; --help and --version exit 0.
    process.exitCode = e.exitCode;
  } else if (isUserError(e)) {
    process.stderr.write(`lego: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  } else {
    process.stderr.write(`lego: internal error (a bug; please report it)\n${(e as Error).stack ?? e}\n`);
    process.exitCode = 70;
  }
}
