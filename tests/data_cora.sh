#!/usr/bin/env bash
# data_cora.sh (make check-data) -- a quality floor on real data: DeepWalk on Cora,
# node classification on the fixed Planetoid split. emb measures 69-71%
# test accuracy (docs/benchmarks.md; published DeepWalk: 67.2%); the floor
# is set a little below the published number.
set -u
EMB=${EMB:-build/emb}
D=${EMB_DATA:-../shared/data}/graph/cora
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[[ -f "$D/edges.tsv" ]] || { echo "SKIP: benchmark data: $D/edges.tsv not found (set EMB_DATA)"; exit 77; }
"$EMB" train deepwalk --quiet --threads 2 --input "$D/edges.tsv" --output "$T/cora.bin" || exit 1
"$EMB" eval nodes "$T/cora.bin" "$D/labels.tsv" --split "$D/split.tsv" --json > "$T/e.json" || exit 1
acc=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["split"]["test"]["accuracy"])' "$T/e.json")
if /usr/bin/python3 -c "import sys; sys.exit(0 if ${acc:-0} >= 0.64 else 1)"; then
  echo "PASS DeepWalk on Cora: test accuracy $acc (floor 0.64)"
else
  echo "FAIL DeepWalk on Cora: test accuracy $acc (floor 0.64)"; exit 1
fi
