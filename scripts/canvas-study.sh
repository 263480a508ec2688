#!/usr/bin/env bash
# Bigger canvases: a 32x32 model sampled on a 2x canvas (64x64: four global tiles, 2x2) and a 3:1 canvas
# (96x32: three tiles side by side), each with the fixed tile grid and with --shift-tiles, after the same
# seeds at the training size; reads the seam measure of `lego generate --json` (mean absolute neighbour
# difference across the global brick's tile borders against inside tiles) and the sampling time, and
# copies each grid to OUT.
#
# Usage: scripts/canvas-study.sh NETWORK [SEEDS=0-15]
# Environment (defaults): OUT=docs/studies/canvases, COORDS=fit (or extend), CLASS (default: random per
# seed), THREADS (default: one per core). Prints a markdown table; OUT/results.jsonl has generate's JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
network=${1:?usage: scripts/canvas-study.sh NETWORK [SEEDS]}
seeds=${2:-0-15}
OUT=${OUT:-docs/studies/canvases}
COORDS=${COORDS:-fit}
extra=(--coords "$COORDS")
[ -z "${CLASS:-}" ] || extra+=(--class "$CLASS")
[ -z "${THREADS:-}" ] || extra+=(--threads "$THREADS")
[ -f dist/cli/main.js ] || { echo "dist/cli/main.js is missing: run npm run build first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"
: >"$OUT/results.jsonl"
echo "| canvas | flags | images | seconds | border | inside | ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for variant in 32x32 64x64 64x64-shift 96x32 96x32-shift; do
  canvas=${variant%-shift}
  flags=(--width "${canvas%x*}" --height "${canvas#*x}" "${extra[@]}")
  [ "$variant" = "$canvas" ] || flags+=(--shift-tiles)
  json=$(node dist/cli/main.js generate --network "$network" --seeds "$seeds" "${flags[@]}" --outdir "$work/$variant" --json)
  cp "$work/$variant/grid.png" "$OUT/$variant.png"
  printf '{"variant":"%s","flags":"%s","generate":%s}\n' "$variant" "${flags[*]}" "$json" >>"$OUT/results.jsonl"
  node -e '
    const [variant, flags, json] = process.argv.slice(1);
    const r = JSON.parse(json);
    const s = r.seams; // null at the training size: no border of the global tiles inside the canvas
    const cells = s ? [s.border.toFixed(2), s.inside.toFixed(2), `**${s.ratio.toFixed(2)}**`] : ["-", "-", "-"];
    console.log(`| ${variant} | \`${flags}\` | ${r.images} | ${r.seconds.toFixed(1)} | ${cells.join(" | ")} |`);
  ' "$variant" "${flags[*]}" "$json"
done
