#!/usr/bin/env bash
# Quality of int8 sampling against float32: seeds 0..N-1 (classes drawn per seed, 18 Heun steps) of a
# class-conditional model (the embedded MNIST model by default) generated with --precision float32 and int8,
# each plain, with guidance (--cfg), with brick skipping (--skip top:F) and with both, and scored by lego eval
# against a test set (fd, kid, precision/recall in a LeNet's features, and class accuracy). Same seeds in every
# row, so the rows differ only by the flags.
#
# Usage: scripts/precision-study.sh [NETWORK] [N=1000]
# Environment (defaults): WORK=runs/precision-study (kept: images, JSON), CFG=2, SKIP=top:0.4, BATCH=32,
# THREADS (default: one per core); SKIP=none leaves out the skipping rows (a one-brick model has nothing to
# skip); REF (default: the MNIST test set, made in WORK) and FEATURES (lenet-mnist; lenet-fashion for a
# Fashion-MNIST model, with REF a Fashion-MNIST test set from lego dataset --source fashion-mnist --split test);
# VARIANTS (default "plain cfg skip cfg-skip"). Prints a markdown table; WORK/results.jsonl has generate's and
# eval's JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
network=${1:-models/lego-mnist-32.safetensors}
n=${2:-1000}
work=${WORK:-runs/precision-study}
cfg=${CFG:-2}
skip=${SKIP:-top:0.4}
extra=(--batch "${BATCH:-32}")
[ -z "${THREADS:-}" ] || extra+=(--threads "$THREADS")
[ -f dist/cli/main.js ] || { echo "dist/cli/main.js is missing: run npm run build first" >&2; exit 2; }
lego() { node dist/cli/main.js "$@"; }
mkdir -p "$work"
features=${FEATURES:-lenet-mnist}
test=${REF:-$work/mnist32-test.zip}
[ -n "${REF:-}" ] || [ -e "$test" ] || lego dataset --source mnist --split test --dest "$test" --resolution 32 --transform pad >&2
[ -e "$test" ] || { echo "REF=$test does not exist" >&2; exit 2; }
: >"$work/results.jsonl"
echo "| precision | flags | fd-$features | kid x 1000 | precision | recall | class accuracy | seconds | N |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for precision in float32 int8; do
  read -r -a variants <<<"${VARIANTS:-plain cfg skip cfg-skip}"
  [ "$skip" != none ] || variants=("${variants[@]/*skip*/}")
  for variant in "${variants[@]}"; do
    [ -n "$variant" ] || continue
    flags=()
    case $variant in
      cfg) flags=(--cfg "$cfg") ;;
      skip) flags=(--skip "$skip") ;;
      cfg-skip) flags=(--cfg "$cfg" --skip "$skip") ;;
    esac
    samples=$work/$precision-$variant
    # ${flags[@]+...}: an empty array under set -u.
    gen=$(lego generate --network "$network" --seeds "0-$((n - 1))" --precision "$precision" ${flags[@]+"${flags[@]}"} "${extra[@]}" \
      --npz --no-grid --outdir "$samples" --json)
    ev=$(lego eval --images "$samples/samples.npz" --ref "$test" --features "$features" --metrics fd,kid,pr,acc)
    printf '{"precision":"%s","flags":"%s","generate":%s,"eval":%s}\n' "$precision" "${flags[*]:-}" "$gen" "$ev" >>"$work/results.jsonl"
    node -e '
      const [precision, flags, gen, ev, features] = process.argv.slice(1);
      const g = JSON.parse(gen);
      const m = JSON.parse(ev).metrics;
      const v = (k) => m[k + "-" + features];
      console.log(`| ${precision} | \`${flags || "(none)"}\` | ${v("fd").value.toFixed(2)} | ${(1000 * v("kid").value).toFixed(1)} ± ${(1000 * v("kid").std).toFixed(1)} | ` +
        `${v("precision").value.toFixed(3)} | ${v("recall").value.toFixed(3)} | ${(100 * v("acc").value).toFixed(2)}% | ${g.seconds.toFixed(1)} | ${v("fd").images} |`);
    ' "$precision" "${flags[*]:-}" "$gen" "$ev" "$features"
  done
done
