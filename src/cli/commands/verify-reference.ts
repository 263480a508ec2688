// `lego verify-reference FILE...`: recompute every output of reference files made by the authors' code.
import { Command } from 'commander';
import { CheckFailed } from '../../errors.js';
import { verifyReference } from '../../verify/reference.js';
import { ruleLabel } from '../../verify/tolerance.js';
import { readSafetensorsFile } from '../../io/safetensors-file.js';
import { parseThreads, threadsHelp } from '../args.js';

export function verifyReferenceCommand(): Command {
  return new Command('verify-reference')
    .description('Check this implementation against reference files produced by the official PyTorch code')
    .argument('<file...>', 'reference .safetensors files (weights.*, input.*, output.*, grad.*, __metadata__)')
    .option('--threads <n>', threadsHelp)
    .option('--json', 'print one JSON object per file instead of text lines')
    .addHelpText('after', `
Each output is recomputed and compared: forward outputs to 1e-4 absolute (abs), gradients to 1e-3 relative
to the tensor's largest magnitude (rel-max), sampler trajectories to 1e-3 absolute, and scalar reductions
such as the loss to 1e-6 relative to their own magnitude (rel). VAE files (metadata kind = vae, made with
diffusers' AutoencoderKL) hold decoded images and the posterior to 2e-4, scaled latents to 1e-4 and 8-bit
pixels to 1 (abs). Each line names its rule; exits 1 if any is over.

Examples:
  lego verify-reference test/reference/*.safetensors
  lego verify-reference test/reference/vae/vae_tiny.safetensors
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
          const measure = c.rule === 'abs' ? 'max abs err' : 'max rel err';
          console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${file}  ${c.name.padEnd(48)} ${measure} ${c.error.toExponential(2)}  (tol ${ruleLabel(c)})`);
        }
      }
      if (!opts.json) console.log(failed === 0 ? `all outputs within tolerance (${files.length} file${files.length > 1 ? 's' : ''})` : `${failed} output(s) over tolerance`);
      if (failed > 0) throw new CheckFailed(`${failed} reference output(s) over tolerance`);
    });
}
