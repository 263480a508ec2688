// `lego serve`: the web app (dist/web), ONNX Runtime Web's files and one model, from localhost, with the
// cross-origin-isolation headers multi-threaded WebAssembly needs. Everything is local: the page works
// with the network unplugged.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostFilter } from './hosts.js';

/** The built page: dist/web next to dist/server. */
export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

/**
 * The only ONNX Runtime Web files the page loads: the ES module and WebAssembly of the WebGPU build (JSEP)
 * and of the plain SIMD + threads build (runtime/ort-web.ts loads one of them).
 */
const ORT_FILES = new Set([
  'ort.bundle.min.mjs', 'ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs',
  'ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs',
]);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

export interface WebServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The model the page preloads, as a lego-diffusion safetensors checkpoint. */
  model: Uint8Array;
  /** A latent model's VAE (io/vae-file.ts), served as /vae.safetensors; absent for pixel models. */
  vae?: Uint8Array;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

function ortDirectory(): string {
  // The package's Node entry lives in its dist/, beside the browser files.
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

/** The path with its percent-escapes decoded, or null where they are malformed (`/%zz`, a cut UTF-8 sequence). */
function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

/** A file under `root`, or null for paths that leave it. */
function within(root: string, path: string): string | null {
  const full = normalize(join(root, path));
  return full.startsWith(root.endsWith(sep) ? root : root + sep) ? full : null;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const ortDir = ortDirectory();
  const servesHost = hostFilter(options.host);
  const cache = new Map<string, Buffer>();
  const read = async (file: string) => {
    let bytes = cache.get(file);
    if (!bytes) cache.set(file, (bytes = await readFile(file)));
    return bytes;
  };

  async function resolve(pathname: string): Promise<{ bytes: Uint8Array; type: string } | null> {
    if (pathname === '/model.safetensors') return { bytes: options.model, type: TYPES['.safetensors'] };
    if (pathname === '/vae.safetensors') return options.vae ? { bytes: options.vae, type: TYPES['.safetensors'] } : null;
    if (pathname.startsWith('/ort/')) {
      const name = pathname.slice('/ort/'.length);
      return ORT_FILES.has(name) ? { bytes: await read(join(ortDir, name)), type: TYPES[extname(name)] } : null;
    }
    const file = within(WEB_ROOT, pathname === '/' ? 'index.html' : pathname);
    const type = file ? TYPES[extname(file)] : undefined;
    if (!file || !type) return null;
    try {
      return { bytes: await read(file), type };
    } catch {
      return null;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Cross-origin isolation (SharedArrayBuffer for WebAssembly threads).
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-cache');
    // Only this server's own names: under any other Host the page asking is not ours (DNS rebinding).
    if (!servesHost(req.headers.host, req.socket.localPort)) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' }).end('misdirected request: unknown Host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const pathname = decodePath(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (pathname === null) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad request\n');
      return;
    }
    const found = await resolve(pathname);
    if (!found) {
      // A fixed body: echoing the path back would let a crafted link put text of its choosing on this origin.
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': found.type, 'Content-Length': found.bytes.length });
    res.end(req.method === 'HEAD' ? undefined : found.bytes);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${e.message}\n`);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
