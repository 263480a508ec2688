// `lego verify-reference FILE...`: recompute every output of reference files made by the authors' code.
import { Command } from 'commander';
import { CheckFailed } from '../../errors.js';
import { verifyReference } from '../../eval/reference.js';
import { readSafetensorsFile } from '../../io/safetensors-file.js';
import { parseThreads, threadsHelp } from '../args.js';

export function verifyReferenceCommand(): Command {
  return new Command('verify-reference')
    .description('Check this implementation against reference files produced by the official PyTorch code')
    .argument('<file...>', 'reference .safetensors files (weights.*, input.*, output.*, grad.*, __metadata__)')
    .option('--threads <n>', threadsHelp)
    .option('--json', 'print one JSON object per file instead of text lines')
    .addHelpText('after', `
Each output is recomputed and compared: forward outputs to 1e-4 absolute, gradients to 1e-3 relative to
the tensor's largest magnitude, sampler trajectories to 1e-3 absolute. Exits 1 if any is over.

Examples:
  lego verify-reference ../shared/golden/*.safetensors
  lego verify-reference --json forward_pg3.safetensors`)
    .action(async (files: string[], opts: { threads?: string; json?: boolean }) => {
      const threads = parseThreads(opts.threads);
      let failed = 0;
      for (const file of files) {
        const checks = await verifyReference(await readSafetensorsFile(file), file, { threads });
        failed += checks.filter((c) => !c.ok).length;
        if (opts.json) {
          console.log(JSON.stringify({ file, ok: checks.every((c) => c.ok), checks }));
          continue;
        }
        for (const c of checks) {
          const measure = c.kind === 'gradient' ? 'max rel err' : 'max abs err';
          console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${file}  ${c.name.padEnd(48)} ${measure} ${c.error.toExponential(2)}  (tol ${c.tolerance.toExponential(0)})`);
        }
      }
      if (!opts.json) console.log(failed === 0 ? `all outputs within tolerance (${files.length} file${files.length > 1 ? 's' : ''})` : `${failed} output(s) over tolerance`);
      if (failed > 0) throw new CheckFailed(`${failed} reference output(s) over tolerance`);
    });
}
