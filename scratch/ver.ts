import { readSafetensorsFile } from '../src/io/safetensors-file.js';
import { verifyReference } from '../src/eval/reference.js';
for (const f of process.argv.slice(2)) {
  const t0 = performance.now();
  const checks = await verifyReference(await readSafetensorsFile(f), f);
  for (const c of checks) console.log(f.split('/').pop(), c.name, c.kind, c.error.toExponential(2), c.ok ? 'ok' : 'FAIL');
  console.log('time', ((performance.now() - t0) / 1000).toFixed(2));
}
