// `lego serve`: the web app on localhost (see src/server/web-server.ts and src/web/).
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { InputError, UsageError } from '../../errors.js';
import { encodeCheckpoint } from '../../io/checkpoint.js';
import { startWebServer, WEB_ROOT } from '../../server/web-server.js';
import { parseIntFlag } from '../args.js';
import { loadNetwork } from '../network.js';

interface ServeFlags {
  network?: string;
  host: string;
  port: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the web app: generate in a browser tab (WebGPU, or multi-threaded WebAssembly) with live previews and the brick dial')
    .option('--network <file|dir>', 'model the page preloads: a checkpoint (.safetensors, the authors\' .pkl/.pt) or a run directory (default: the embedded model)')
    .option('--host <address>', 'address to listen on; 127.0.0.1 keeps it to this machine', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .addHelpText('after', `
Open the printed address in a browser. Everything (page, ONNX Runtime Web, model) is served from this
machine, so it works offline. The page can also open any .safetensors snapshot from disk. Ctrl-C stops.

Examples:
  lego serve
  lego serve --network training-runs/00001-mnist32-lego_S_PG_64-batch16 --port 9000`)
    .action(async (flags: ServeFlags) => {
      const port = parseIntFlag('--port', flags.port, { min: 0, max: 65535 });
      if (!existsSync(`${WEB_ROOT}index.html`)) throw new InputError(`${WEB_ROOT}: the web app is not built (run npm run build)`);
      const network = await loadNetwork(flags.network);
      const model = encodeCheckpoint(network.config, network.weights);
      let server;
      try {
        server = await startWebServer({ host: flags.host, port, model });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`--port: ${flags.host}:${port} is already in use; pick another port or --port 0`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host: cannot listen on ${flags.host}`);
        throw e;
      }
      console.log(`lego-diffusion web app: ${server.url}  (model: ${network.file}; Ctrl-C stops)`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
