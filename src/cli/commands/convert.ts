// `lego convert IN OUT.safetensors`: the authors' network-snapshot-*.pkl or training-state-*.pt as our
// self-describing safetensors, without Python and without running anything from the file.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { convertCheckpoint } from '../../io/load-any.js';
import { formatBytes } from '../../io/safetensors.js';
import { describeConfig } from './inspect.js';

export function convertCommand(): Command {
  return new Command('convert')
    .description("Convert the authors' .pkl / .pt checkpoints to lego-diffusion safetensors (no Python, nothing executed)")
    .argument('<in>', 'network-snapshot-*.pkl (its ema network) or training-state-*.pt (its net and Adam state)')
    .argument('<out>', 'the .safetensors file to write (atomically)')
    .option('--json', 'print one JSON object describing what was written')
    .addHelpText('after', `
A snapshot becomes a checkpoint: every parameter under its official state_dict name, the stack config
(read from the pickled modules, so custom stacks convert too) in the metadata. A training state becomes a
training-state file: net.<name>, adam.exp_avg.<name>, adam.exp_avg_sq.<name> and adam_step. The pickle is
read by an allow-list: anything but tensors, OrderedDict and module state is refused, never run. Tensors are
streamed, so converting the 5 GB LEGO-XL-U-256 needs far less memory than the file.

Examples:
  lego convert LEGO-L-PG-64.pkl LEGO-L-PG-64.safetensors
  lego convert runs/00000/training-state-000100.pt state-000100.safetensors --json
  lego inspect LEGO-L-PG-64.safetensors`)
    .action(async (input: string, out: string, opts: { json?: boolean }) => {
      if (!out.endsWith('.safetensors')) throw new UsageError(`<out>: expected a path ending in .safetensors, got "${out}"`);
      if (resolve(input) === resolve(out)) throw new UsageError(`<out>: "${out}" is the input file; choose another path`);
      const { checkpoint, tensors, bytes } = await convertCheckpoint(input, out);
      const { lego, container, extra } = checkpoint;
      if (opts.json) {
        console.log(JSON.stringify({ input, output: out, container, entry: lego.entry, class: lego.className, config: lego.config, tensors, bytes, metadata: extra }));
        return;
      }
      for (const name of lego.dropped) process.stderr.write(`lego convert: warning: left out ${name} (EDMPrecondLEGO never uses augmentation labels)\n`);
      const what = lego.adam ? `training state (weights and Adam moments at step ${lego.adam.step})` : 'checkpoint';
      console.log(`${input} (${container === 'zip' ? 'torch.save ZIP' : container === 'legacy' ? 'legacy torch.save' : 'pickle'}, ${lego.entry || 'root'}: ${lego.className})`);
      console.log(`  -> ${out}: ${what}, ${tensors} tensors, ${formatBytes(bytes)}`);
      console.log(`  ${describeConfig(lego.config)}`);
    });
}
