// Plot a training run's loss curve (stats.jsonl: one JSON object per tick) as an SVG line chart.
// Usage: npx tsx scripts/plot-stats.ts RUN_DIR/stats.jsonl OUT.svg [title]
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, title = 'training loss'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: tsx scripts/plot-stats.ts stats.jsonl out.svg [title]');
  process.exit(2);
}
const rows = readFileSync(input, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kimg: number; loss: number });
const [w, h, m] = [640, 360, 50];
const xs = rows.map((r) => r.kimg);
const ys = rows.map((r) => r.loss);
const [x0, x1] = [0, Math.max(...xs)];
const [y0, y1] = [0, Math.max(...ys) * 1.05];
const px = (x: number) => m + ((x - x0) / (x1 - x0)) * (w - 2 * m);
const py = (y: number) => h - m - ((y - y0) / (y1 - y0)) * (h - 2 * m);
const path = rows.map((r, i) => `${i ? 'L' : 'M'}${px(r.kimg).toFixed(1)},${py(r.loss).toFixed(1)}`).join(' ');
const ticks = (lo: number, hi: number, n: number) => Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>
<line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="black"/>
<line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="black"/>
${ticks(x0, x1, 5).map((t) => `<text x="${px(t)}" y="${h - m + 16}" text-anchor="middle">${t.toFixed(0)}</text>`).join('\n')}
${ticks(y0, y1, 4).map((t) => `<text x="${m - 6}" y="${py(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`).join('\n')}
<text x="${w / 2}" y="${h - 12}" text-anchor="middle">kimg</text>
<text x="14" y="${h / 2}" text-anchor="middle" transform="rotate(-90 14 ${h / 2})">loss (per pixel, mean over bricks)</text>
<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>
</svg>
`;
writeFileSync(output, svg);
