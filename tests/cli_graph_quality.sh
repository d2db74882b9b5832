#!/usr/bin/env bash
# cli_graph_quality.sh -- a quality floor on real data: DeepWalk on Cora,
# node classification on the fixed Planetoid split. emb measures 69-71%
# test accuracy (docs/benchmarks.md; published DeepWalk: 67.2%); the floor
# is set a little below the published number.
set -u
EMB=${EMB:-build/emb}
D=${EMB_DATA:-../shared/data}/graph/cora
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[[ -f "$D/edges.tsv" ]] || { echo "FAIL Cora not found in $D (set EMB_DATA)"; exit 1; }
"$EMB" train deepwalk --quiet --threads 2 --input "$D/edges.tsv" --output "$T/cora.bin" || exit 1
acc=$("$EMB" eval nodes "$T/cora.bin" "$D/labels.tsv" --split "$D/split.tsv" --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["split"]["test"]["accuracy"])')
if /usr/bin/python3 -c "import sys; sys.exit(0 if $acc >= 0.64 else 1)"; then
  echo "PASS DeepWalk on Cora: test accuracy $acc (floor 0.64)"
else
  echo "FAIL DeepWalk on Cora: test accuracy $acc (floor 0.64)"; exit 1
fi
