// Shared by the study scripts: run the `lego` command (the built CLI, dist/cli/main.js) and draw
// simple SVG charts (points with labels, joined per series), in the style of scripts/plot-stats.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Run `lego ARGS...` and return its stdout; exits the study with lego's message if it fails. */
export function lego(args: string[], options: { quiet?: boolean } = {}): string {
  if (!existsSync(CLI)) {
    console.error(`${CLI} is missing: run npm run build first`);
    process.exit(2);
  }
  if (!options.quiet) console.error(`$ lego ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    console.error(r.stderr.trim());
    console.error(`lego ${args[0]} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  return r.stdout;
}

/** The last line of `lego ... --json` output that parses as a JSON object (eval pretty-prints: whole stdout). */
export function parseJsonOutput<T>(stdout: string): T {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    const last = text.split('\n').filter((l) => l.startsWith('{')).pop();
    if (!last) throw new Error(`no JSON in output: ${text.slice(0, 200)}`);
    return JSON.parse(last) as T;
  }
}

export interface Series {
  name: string;
  color?: string;
  /** Points in drawing order; `label` is written beside the point. */
  points: { x: number; y: number; label?: string }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Ticks at a nice step (1, 2, 2.5 or 5 times a power of ten), about n of them over [lo, hi]. */
function niceTicks(lo: number, hi: number, n: number): { ticks: number[]; digits: number } {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + 1e-9 * step; i++) ticks.push(Number((i * step).toPrecision(12)));
  let digits = 0;
  while (digits < 12 && Math.abs(Number(step.toFixed(digits)) - step) > 1e-9 * step) digits++;
  return { ticks, digits };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG line chart of the series (axes from 0 unless the data go below), with a legend. */
export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const [w, m] = [opts.width ?? 640, 64];
  const mt = 40 + 18 * opts.series.length; // top margin: title, then one legend row per series
  const h = (opts.height ?? 400) + mt - m;
  const all = opts.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const x0 = Math.min(0, ...xs);
  const y0 = Math.min(0, ...ys);
  const x1 = Math.max(...xs, x0 + 1e-9) * 1.05;
  const y1 = Math.max(...ys, y0 + 1e-9) * 1.08;
  const px = (x: number) => m + ((x - x0) / (x1 - x0)) * (w - 2 * m);
  const py = (y: number) => h - m - ((y - y0) / (y1 - y0)) * (h - m - mt);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`,
    `<line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="black"/>`,
    `<line x1="${m}" y1="${mt}" x2="${m}" y2="${h - m}" stroke="black"/>`,
  ];
  const xt = niceTicks(x0, x1, 6);
  for (const t of xt.ticks) {
    parts.push(`<line x1="${px(t).toFixed(1)}" y1="${h - m}" x2="${px(t).toFixed(1)}" y2="${h - m + 4}" stroke="black"/>`);
    parts.push(`<text x="${px(t).toFixed(1)}" y="${h - m + 17}" text-anchor="middle">${t.toFixed(xt.digits)}</text>`);
  }
  const yt = niceTicks(y0, y1, 5);
  for (const t of yt.ticks) {
    parts.push(`<line x1="${m}" y1="${py(t).toFixed(1)}" x2="${w - m}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${t.toFixed(yt.digits)}</text>`);
  }
  parts.push(`<text x="${w / 2}" y="${h - 16}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text x="16" y="${h / 2}" text-anchor="middle" transform="rotate(-90 16 ${h / 2})">${esc(opts.yLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of pts) {
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
      if (p.label) parts.push(`<text x="${(px(p.x) + 6).toFixed(1)}" y="${(py(p.y) - 6).toFixed(1)}" fill="${color}" font-size="11">${esc(p.label)}</text>`);
    }
    // Legend: one row per series above the plot area.
    const ly = 40 + 18 * i;
    parts.push(`<line x1="${m}" y1="${ly}" x2="${m + 20}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${m + 26}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** A markdown table. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
