#!/usr/bin/env bash
# cli_map.sh -- `emb project`, `emb plot` and `emb export tensorboard` end to
# end: coordinate files, determinism, t-SNE keeping planted clusters apart,
# a valid PNG and SVG, the TensorBoard file format, and bad input.
set -u
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# 240 words in 12 dims, 4 well-separated clusters (word c<k>_<i> in cluster k).
awk 'BEGIN { srand(3); print 240, 12;
  for (i = 0; i < 240; i++) { k = i % 4; printf "c%d_%d", k, i;
    for (j = 0; j < 12; j++) printf " %.5f", (j % 4 == k ? 6 : 0) + (rand() + rand() + rand() - 1.5);
    printf "\n" } }' > "$T/v.txt"
awk 'NR > 1 { split($1, a, "_"); print $1 "\t" "group" substr(a[1], 2) }' "$T/v.txt" > "$T/labels.tsv"

e project "$T/v.txt" -o "$T/pca.tsv" --quiet
check "project pca: header and one line per word" test "$(head -1 "$T/pca.tsv")" = $'word\tx\ty' -a "$(wc -l < "$T/pca.tsv")" -eq 241
e project "$T/v.txt" -o "$T/pca2.tsv" --quiet
check "project pca is deterministic" cmp -s "$T/pca.tsv" "$T/pca2.tsv"
e project "$T/v.txt" -o "$T/top.tsv" --top 50 --quiet
check "project --top 50" test "$(wc -l < "$T/top.tsv")" -eq 51

e project "$T/v.txt" -o "$T/t1.tsv" --method tsne --perplexity 15 --iter 400 --threads 1 --init random --seed 5 --quiet
e project "$T/v.txt" -o "$T/t2.tsv" --method tsne --perplexity 15 --iter 400 --threads 1 --init random --seed 5 --quiet
check "project tsne deterministic with a seed and one thread" cmp -s "$T/t1.tsv" "$T/t2.tsv"
e project "$T/v.txt" -o "$T/t3.tsv" --method tsne --perplexity 15 --iter 400 --threads 2 --init random --seed 5 --quiet
check "project tsne: two threads give the same map" cmp -s "$T/t1.tsv" "$T/t3.tsv"
purity=$($PY - "$T/t1.tsv" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
pts = [(r[0].split("_")[0], float(r[1]), float(r[2])) for r in rows]
good = 0
for i, (ci, x, y) in enumerate(pts):
    d = sorted(((x - u) ** 2 + (y - v) ** 2, cj) for j, (cj, u, v) in enumerate(pts) if j != i)
    good += sum(c == ci for _, c in d[:10])
print(good / (10 * len(pts)))
EOF
)
check "tsne keeps clusters apart: 10-NN purity ${purity:-none} >= 0.95" $PY -c "import sys; sys.exit(0 if float('${purity:-0}') >= 0.95 else 1)"
e project "$T/v.txt" -o "$T/tj.tsv" --method tsne --perplexity 15 --iter 300 --json --quiet > "$T/tj.json"
check "project --json" $PY -c "import json; j = json.load(open('$T/tj.json')); assert j['method'] == 'tsne' and j['points'] == 240 and j['kl'] > 0"

e plot "$T/t1.tsv" -o "$T/map.png" --width 800 --height 600 --top 40 --quiet
check "plot writes a PNG (signature, IHDR 800x600)" $PY -c "
import struct; d = open('$T/map.png', 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n' and d[12:16] == b'IHDR' and struct.unpack('>II', d[16:24]) == (800, 600)"
e plot "$T/t1.tsv" -o "$T/map.svg" --labels "$T/labels.tsv" --title "four clusters" --json --quiet > "$T/plot.json"
check "plot writes an SVG that parses" $PY -c "
import xml.etree.ElementTree as ET; r = ET.parse('$T/map.svg').getroot()
assert r.tag.endswith('svg') and r.get('width').startswith('1600') and len(list(r.iter())) > 240"
check "plot --labels: 4 groups, every point grouped" $PY -c "
import json; j = json.load(open('$T/plot.json')); assert j['groups'] == 4 and j['grouped_points'] == 240 and j['labels'] > 10"
e plot "$T/v.txt" -o "$T/vec.png" --json --quiet > "$T/vec.json"
check "plot of VECTORS runs PCA itself" $PY -c "
import json; j = json.load(open('$T/vec.json')); assert j['projected'] and j['points'] == 240
assert open('$T/vec.png', 'rb').read(4) == b'\x89PNG'"

e export tensorboard "$T/v.txt" "$T/tb" --quiet
check "export: vectors.tsv is 240 lines of 12 tab-separated numbers" $PY -c "
rows = [l.rstrip('\n').split('\t') for l in open('$T/tb/vectors.tsv')]
assert len(rows) == 240 and all(len(r) == 12 for r in rows); [float(v) for r in rows for v in r]"
check "export: metadata.tsv is the words, no header" cmp -s "$T/tb/metadata.tsv" <(awk 'NR > 1 { print $1 }' "$T/v.txt")
check "export: projector config names both files" grep -q 'metadata_path: "metadata.tsv"' "$T/tb/projector_config.pbtxt"
e export tensorboard "$T/v.txt" "$T/tb2" --top 10 --quiet
check "export --top 10" test "$(wc -l < "$T/tb2/vectors.tsv")" -eq 10 -a "$(wc -l < "$T/tb2/metadata.tsv")" -eq 10

bad() { # name, expected status, args... (no output file may appear)
  local name=$1 want=$2; shift 2
  rm -f "$T/out.tsv" "$T/out.png"
  "$EMB" "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.tsv" && ! -e "$T/out.png" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
printf '3 2\na 1 2\nb 3 4\nc 5 6\n' > "$T/tiny.txt"
printf 'word\tx\ty\na\t1\tzz\n' > "$T/badcoords.tsv"
printf 'word\tx\ty\na\t1\t2\na\t3\t4\n' > "$T/dupcoords.tsv"
printf 'c0_0\n' > "$T/badlabels.tsv"
: > "$T/empty.txt"
bad "project missing file" 1 project "$T/nope.txt" -o "$T/out.tsv"
bad "project empty file" 1 project "$T/empty.txt" -o "$T/out.tsv"
bad "project unknown method" 2 project "$T/v.txt" -o "$T/out.tsv" --method umap
bad "project bad perplexity" 2 project "$T/v.txt" -o "$T/out.tsv" --method tsne --perplexity abc
bad "project perplexity below 1" 2 project "$T/v.txt" -o "$T/out.tsv" --method tsne --perplexity 0.5
bad "project perplexity too large for N" 1 project "$T/tiny.txt" -o "$T/out.tsv" --method tsne --perplexity 5
bad "project bad --top" 2 project "$T/v.txt" -o "$T/out.tsv" --top 0
bad "project bad --theta" 2 project "$T/v.txt" -o "$T/out.tsv" --theta 2
bad "project bad --iter" 2 project "$T/v.txt" -o "$T/out.tsv" --method tsne --iter 1x
bad "project no output" 2 project "$T/v.txt"
bad "project no input" 2 project -o "$T/out.tsv"
bad "project unknown option" 2 project "$T/v.txt" -o "$T/out.tsv" --frobnicate
bad "plot missing file" 1 plot "$T/nope.tsv" -o "$T/out.png"
bad "plot bad extension" 2 plot "$T/t1.tsv" -o "$T/out.jpg"
bad "plot bad coordinate" 1 plot "$T/badcoords.tsv" -o "$T/out.png"
bad "plot duplicate word" 1 plot "$T/dupcoords.tsv" -o "$T/out.png"
bad "plot labels missing" 1 plot "$T/t1.tsv" -o "$T/out.png" --labels "$T/nope.tsv"
bad "plot labels malformed" 1 plot "$T/t1.tsv" -o "$T/out.png" --labels "$T/badlabels.tsv"
bad "plot from stdin" 2 plot - -o "$T/out.png"
bad "plot bad width" 2 plot "$T/t1.tsv" -o "$T/out.png" --width 10
bad "export unknown target" 2 export projector "$T/v.txt" "$T/out.tsv"
bad "export missing DIR" 2 export tensorboard "$T/v.txt"
bad "export missing file" 1 export tensorboard "$T/nope.txt" "$T/tb3"
finish
