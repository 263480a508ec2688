#!/usr/bin/env bash
# Numbers of a class-conditional MNIST model (the embedded one by default): N generated images (seeds
# 0..N-1, classes drawn per seed, 18 Heun steps, no guidance) scored against the MNIST test set with
# lego eval (fd, kid, precision/recall in LeNet-MNIST features, and the LeNet's accuracy on the class each
# image was generated for), next to the same metrics for N real training images: the floor at this N.
# Usage: scripts/default-model-report.sh [NETWORK] [N]   (WORK=runs/default-model keeps the files)
set -euo pipefail
cd "$(dirname "$0")/.."
network=${1:-models/lego-mnist-32.safetensors}
n=${2:-2000}
work=${WORK:-runs/default-model}
lego() { node dist/cli/main.js "$@"; }
mkdir -p "$work"
test=$work/mnist32-test.zip
train=$work/mnist32-train-$n.zip
[ -e "$test" ] || lego dataset --source mnist --split test --dest "$test" --resolution 32 --transform pad >&2
[ -e "$train" ] || lego dataset --source mnist --dest "$train" --resolution 32 --transform pad --max-images "$n" >&2
samples=$work/samples-$n
lego generate --network "$network" --seeds "0-$((n - 1))" --batch 32 --npz --no-grid --outdir "$samples" --json > "$work/generate-$n.json"
lego eval --images "$samples/samples.npz" --ref "$test" --metrics fd,kid,pr,acc > "$work/eval-generated-$n.json"
lego eval --images "$train" --ref "$test" --metrics fd,kid,pr,acc > "$work/eval-train-$n.json"
node -e '
const [gen, real, g] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
const row = (name, e) => { const m = e.metrics; const v = (k) => m[k + "-lenet-mnist"]; return `| ${name} | ${v("fd").value.toFixed(2)} | ${(1000 * v("kid").value).toFixed(1)} ± ${(1000 * v("kid").std).toFixed(1)} | ${v("precision").value.toFixed(3)} | ${v("recall").value.toFixed(3)} | ${(100 * v("acc").value).toFixed(2)}% | ${v("fd").images} |`; };
console.log("| images | fd-lenet-mnist | kid x 1000 | precision | recall | class accuracy | N |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
console.log(row("generated", gen));
console.log(row("MNIST train (floor)", real));
console.log(`\ngenerating ${g.images} images took ${g.seconds.toFixed(1)} s`);
' "$work/eval-generated-$n.json" "$work/eval-train-$n.json" "$work/generate-$n.json"
