#!/usr/bin/env bash
# Bigger canvases: 3:1 panoramas (96x32) from a 32x32 model with each coordinate mode, with and without
# shifted tile grids, and a wrapped 360-degree panorama; prints generate's JSON (seam measure included)
# and copies the grids to docs/panorama/. Usage: scripts/panorama-study.sh NETWORK [SEEDS]
set -euo pipefail
network=$1
seeds=${2:-0-15}
out=$(mktemp -d)
mkdir -p docs/panorama
for variant in "fit" "extend" "fit-shift" "extend-shift" "wrap"; do
  case $variant in
    fit) flags=(--coords fit) ;;
    extend) flags=(--coords extend) ;;
    fit-shift) flags=(--coords fit --shift-tiles) ;;
    extend-shift) flags=(--coords extend --shift-tiles) ;;
    wrap) flags=(--coords fit --wrap) ;;
  esac
  json=$(node dist/cli/main.js generate --network "$network" --seeds "$seeds" --width 96 --height 32 --class 3 \
    "${flags[@]}" --outdir "$out/$variant" --json)
  echo "$variant $json"
  cp "$out/$variant/grid.png" "docs/panorama/$variant.png"
done
