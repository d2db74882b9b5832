#!/usr/bin/env bash
# cli_graph_quality.sh -- a quality floor on a small real graph carried by
# the repository: DeepWalk and node2vec on 644 Cora nodes (the 140 Planetoid
# training nodes and their neighbours, tests/data/cora_small), node
# classification on the Planetoid split restricted to them (140 train, 211
# test). Measured test accuracy over 5 seeds, 2 threads: DeepWalk
# 0.763-0.820, node2vec (p 1, q 0.5) 0.777-0.806; the most frequent class
# is 18%. The floor is 0.70. Full Cora is tests/data_cora.sh (make check-data).
set -u
EMB=${EMB:-build/emb}
D=${EMB_TESTDATA:-tests/data}/cora_small
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[[ -f "$D/edges.tsv" ]] || { echo "FAIL $D/edges.tsv is missing"; exit 1; }
fails=0
i=0
for m in "deepwalk" "node2vec --p 1 --q 0.5"; do
  i=$((i + 1))
  if ! "$EMB" train $m --quiet --threads 2 --seed 1 --input "$D/edges.tsv" --output "$T/v$i.bin"; then
    echo "FAIL emb train $m exited non-zero"; fails=$((fails + 1)); continue
  fi
  if ! "$EMB" eval nodes "$T/v$i.bin" "$D/labels.tsv" --split "$D/split.tsv" --json > "$T/e$i.json"; then
    echo "FAIL emb eval nodes ($m) exited non-zero"; fails=$((fails + 1)); continue
  fi
  acc=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["split"]["test"]["accuracy"])' "$T/e$i.json")
  if /usr/bin/python3 -c "import sys; sys.exit(0 if ${acc:-0} >= 0.70 else 1)"; then
    echo "PASS $m on cora_small: test accuracy $acc (floor 0.70)"
  else
    echo "FAIL $m on cora_small: test accuracy ${acc:-none} (floor 0.70)"; fails=$((fails + 1))
  fi
done
[[ $fails -eq 0 ]]
