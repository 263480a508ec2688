#!/usr/bin/env bash
# Training-efficiency study: train each stack from scratch on MNIST 32x32 for the same wall-clock minutes,
# one after the other (same batch, learning rate and EMA), with a network snapshot every SNAP x TICK kimg,
# then score every snapshot (scripts/efficiency-report.ts: FD in LeNet-MNIST features against the MNIST
# test set, N generated images) and write the table and the plot of FD over wall-clock time.
#
# Usage: scripts/efficiency-study.sh MINUTES [IMAGES=1000] [ARCH.json...]
#   default stacks: training/mnist-pg/mnist-pg.json (LEGO-PG, 3 bricks) and training/dit-mnist.json (DiT)
# Environment (defaults): DATA=runs/mnist32.zip TEST=runs/mnist32-test.zip (both made here if missing),
#   RUNS=runs/efficiency (run directories), OUT=docs/studies, NAME=training-efficiency-results,
#   TICK=4 (kimg per tick), SNAP=5 (ticks per snapshot: one every 20 kimg), THREADS (default: one per core),
#   SKIP_TRAIN=1 (only evaluate and report the runs already in RUNS).
# Each run is stopped with SIGINT (timeout -s INT) after MINUTES: lego train finishes the step, writes a
# last snapshot and a training state, and exits. Run it on an otherwise idle machine: the comparison is in
# wall-clock time.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/efficiency-study.sh MINUTES [IMAGES] [ARCH.json...]}
images=${2:-1000}
shift $(( $# < 2 ? $# : 2 ))
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(training/mnist-pg/mnist-pg.json training/dit-mnist.json)
DATA=${DATA:-runs/mnist32.zip}
TEST=${TEST:-runs/mnist32-test.zip}
RUNS=${RUNS:-runs/efficiency}
OUT=${OUT:-docs/studies}
NAME=${NAME:-training-efficiency-results}
TICK=${TICK:-4}
SNAP=${SNAP:-5}
threads=()
[ -z "${THREADS:-}" ] || threads=(--threads "$THREADS")
lego() { node dist/cli/main.js "$@"; }

[ -f dist/cli/main.js ] || { echo "dist/cli/main.js is missing: run npm run build first" >&2; exit 2; }
mkdir -p "$(dirname "$DATA")" "$(dirname "$TEST")"
[ -e "$DATA" ] || lego dataset --source mnist --dest "$DATA" --resolution 32 --transform pad
[ -e "$TEST" ] || lego dataset --source mnist --split test --dest "$TEST" --resolution 32 --transform pad
mkdir -p "$RUNS"

run_dirs=()
if [ -n "${SKIP_TRAIN:-}" ]; then
  for arch in "${archs[@]}"; do
    name=$(basename "$arch" .json)
    dir=$(ls -d "$RUNS"/*-"$(basename "$DATA" .zip)-$name-batch16" 2>/dev/null | tail -n 1)
    [ -n "$dir" ] || { echo "no run of $arch in $RUNS" >&2; exit 1; }
    run_dirs+=("$dir")
  done
else
  for arch in "${archs[@]}"; do
    log="$RUNS/$(basename "$arch" .json).log"
    echo "training $arch for $minutes minutes (log: $log)" >&2
    launched_ms=$(date +%s%3N)
    rc=0
    timeout -s INT -k 300 "${minutes}m" node dist/cli/main.js train --data "$DATA" --arch "$arch" --cond \
      --batch 16 --lr 1e-3 --lr-rampup 2 --ema 5 --duration 1000000 --tick "$TICK" --snap "$SNAP" --dump 1000000 \
      --outdir "$RUNS" "${threads[@]}" >"$log" 2>&1 || rc=$?
    # 124: timeout stopped it (the expected end); lego train exits 0 after SIGINT.
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then echo "lego train failed (exit $rc); see $log" >&2; exit 1; fi
    dir=$(sed -n 's/^run directory: //p' "$log" | head -n 1)
    [ -d "$dir" ] || { echo "no run directory in $log" >&2; exit 1; }
    mv "$log" "$dir/train.log"
    printf '{"launched_ms": %s, "minutes": %s, "arch": "%s"}\n' "$launched_ms" "$minutes" "$arch" >"$dir/launch.json"
    tail -n 2 "$dir/log.txt" >&2
    run_dirs+=("$dir")
  done
fi

npx tsx scripts/efficiency-report.ts --ref "$TEST" --images "$images" --out "$OUT" --name "$NAME" "${threads[@]}" "${run_dirs[@]}"
