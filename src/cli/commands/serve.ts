// `lego serve`: the web app on localhost (see src/server/web-server.ts and src/web/).
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors.js';
import { LATENT_KEY, VAE_KEY } from '../../io/latent-checkpoint.js';
import { encodeCheckpoint } from '../../io/checkpoint.js';
import { encodeVaeFile } from '../../io/vae-file.js';
import { isLoopbackHost } from '../../server/hosts.js';
import { startWebServer, WEB_ROOT } from '../../server/web-server.js';
import { parseIntFlag } from '../args.js';
import { readModelVae, VAE_KINDS } from '../model-vae.js';
import { loadNetwork } from '../network.js';

interface ServeFlags {
  network?: string;
  host: string;
  port: string;
  vae?: string;
}

/** The warning `lego serve` prints when `host` lets other machines in, or null when it keeps to this one. */
export function exposureWarning(host: string): string | null {
  if (isLoopbackHost(host)) return null;
  return `lego serve: warning: listening on ${host}, so the app and the model file are reachable from other machines on the network; --host 127.0.0.1 keeps them on this machine`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the web app: generate in a browser tab (WebGPU, or multi-threaded WebAssembly) with live previews and the brick dial')
    .option('--network <file|dir>', 'model the page preloads: a checkpoint (.safetensors, the authors\' .pkl/.pt) or a run directory (default: the embedded model)')
    .option('--host <address>', 'address to listen on; 127.0.0.1 keeps it to this machine', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--vae <path>', `a latent model's VAE, which the page decodes with: ${VAE_KINDS} (default: the one its checkpoint records)`)
    .addHelpText('after', `
Open the printed address in a browser. Everything (page, ONNX Runtime Web, model) is served from this
machine, so it works offline. The page can also open any .safetensors snapshot from disk. Ctrl-C stops.

Examples:
  lego serve
  lego serve --network training-runs/00001-mnist32-lego_S_PG_64-batch16 --port 9000
  lego serve --network LEGO-XL-U-256.pkl --vae sd-vae-ft-ema/`)
    .action(async (flags: ServeFlags) => {
      const port = parseIntFlag('--port', flags.port, { min: 0, max: 65535 });
      if (!existsSync(`${WEB_ROOT}index.html`)) throw new InputError(`${WEB_ROOT}: the web app is not built (run npm run build)`);
      const network = await loadNetwork(flags.network);
      // A latent model's metadata says so and where its VAE is; the page gets the VAE in a file of its own.
      const model = encodeCheckpoint(network.config, network.weights, pick(network.metadata, [LATENT_KEY, VAE_KEY]));
      const vaeSource = readModelVae(network, flags.vae);
      const vae = vaeSource ? encodeVaeFile(vaeSource.config, vaeSource.weights) : undefined;
      let server;
      try {
        server = await startWebServer({ host: flags.host, port, model, vae });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`--port: ${flags.host}:${port} is already in use; pick another port or --port 0`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on ${flags.host}`);
        throw e;
      }
      console.log(`lego-diffusion web app: ${server.url}  (model: ${network.file}${vaeSource ? `, VAE: ${vaeSource.weightsFile}` : ''}; Ctrl-C stops)`);
      const warning = exposureWarning(flags.host);
      if (warning) process.stderr.write(`${warning}\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The entries of `metadata` named in `keys` that it has. */
function pick(metadata: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => metadata[k] !== undefined).map((k) => [k, metadata[k]]));
}
