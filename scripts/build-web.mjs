// Build the web app into dist/web: app.js (the page) and worker.js (model + ONNX Runtime), bundled
// for the browser, plus the static files from web/. ONNX Runtime Web itself is not bundled: `lego serve`
// serves its files under ort/ and runtime/ort-web.ts imports the build it needs by URL (its threads load
// their script by URL too). runtime/ort.ts becomes
// runtime/ort-web.ts, and any Node-only import fails the build: the core layers must stay portable.
import { build } from 'esbuild';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

const browserRuntime = {
  name: 'browser-runtime',
  setup(b) {
    b.onResolve({ filter: /^\.\/ort\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'runtime', 'executable.ts')) ? { path: join(root, 'src', 'runtime', 'ort-web.ts') } : undefined,
    );
    b.onResolve({ filter: /^onnxruntime-web$/ }, (args) => ({
      errors: [{ text: `onnxruntime-web is loaded at run time by runtime/ort-web.ts, not bundled (imported by ${args.importer})` }],
    }));
    b.onResolve({ filter: /^onnxruntime-node$|^node:/ }, (args) => ({
      errors: [{ text: `${args.path} is Node-only and cannot be in the browser build (imported by ${args.importer})` }],
    }));
  },
};

await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'src/web/app.ts'), worker: join(root, 'src/web/worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  plugins: [browserRuntime],
});
await cp(join(root, 'web'), out, { recursive: true });
