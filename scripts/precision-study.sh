#!/usr/bin/env bash
# Quality of int8 sampling against float32: seeds 0..N-1 (classes drawn per seed, 18 Heun steps) of the
# embedded MNIST model generated with --precision float32 and int8, each plain, with guidance (--cfg), with
# brick skipping (--skip top:F) and with both, and scored by lego eval against the MNIST test set (fd, kid,
# precision/recall in LeNet-MNIST features, and class accuracy). Same seeds in every row, so the rows differ
# only by the flags.
#
# Usage: scripts/precision-study.sh [NETWORK] [N=1000]
# Environment (defaults): WORK=runs/precision-study (kept: images, JSON), CFG=2, SKIP=top:0.4, BATCH=32,
# THREADS (default: one per core); SKIP=none leaves out the skipping rows (a one-brick model has nothing to
# skip). Prints a markdown table; WORK/results.jsonl has generate's and eval's JSON.
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
test=$work/mnist32-test.zip
[ -e "$test" ] || lego dataset --source mnist --split test --dest "$test" --resolution 32 --transform pad >&2
: >"$work/results.jsonl"
echo "| precision | flags | fd-lenet-mnist | kid x 1000 | precision | recall | class accuracy | seconds | N |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for precision in float32 int8; do
  variants=(plain cfg skip cfg-skip)
  [ "$skip" != none ] || variants=(plain cfg)
  for variant in "${variants[@]}"; do
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
    ev=$(lego eval --images "$samples/samples.npz" --ref "$test" --metrics fd,kid,pr,acc)
    printf '{"precision":"%s","flags":"%s","generate":%s,"eval":%s}\n' "$precision" "${flags[*]:-}" "$gen" "$ev" >>"$work/results.jsonl"
    node -e '
      const [precision, flags, gen, ev] = process.argv.slice(1);
      const g = JSON.parse(gen);
      const m = JSON.parse(ev).metrics;
      const v = (k) => m[k + "-lenet-mnist"];
      console.log(`| ${precision} | \`${flags || "(none)"}\` | ${v("fd").value.toFixed(2)} | ${(1000 * v("kid").value).toFixed(1)} ± ${(1000 * v("kid").std).toFixed(1)} | ` +
        `${v("precision").value.toFixed(3)} | ${v("recall").value.toFixed(3)} | ${(100 * v("acc").value).toFixed(2)}% | ${g.seconds.toFixed(1)} | ${v("fd").images} |`);
    ' "$precision" "${flags[*]:-}" "$gen" "$ev"
  done
done
