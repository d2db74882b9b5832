#!/usr/bin/env bash
# cli_graph.sh -- `emb train deepwalk|node2vec` end to end: bad input, the
# Karate club factions, determinism, walks independent of the thread count,
# names, weights, gzip, isolated nodes, checkpoint/resume, --json.
set -u
. "$(dirname "$0")/lib.sh"
KARATE="${EMB_TESTDATA:-tests/data}/karate"

# Bad input: one line on stderr, the expected exit status, no output file.
bad() { # name, expected status (1 or 2), model, args...
  local name=$1 want=$2 model=$3; shift 3
  rm -f "$T/out.txt"
  "$EMB" train "$model" --quiet --threads 1 "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.txt" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
printf 'a b\nb c\nc\n' > "$T/cols.txt"
printf 'a b\nb c 2\n' > "$T/cols3.txt"
printf 'a b 1\nb c -2\n' > "$T/neg.txt"
printf 'a b 1\nb c nan\n' > "$T/nan.txt"
printf 'a b 1\nb c 0\n' > "$T/zero.txt"
printf 'a b 1\nb c heavy\n' > "$T/word.txt"
: > "$T/empty.txt"
printf '# nothing here\n\n' > "$T/comments.txt"
printf 'a a\n' > "$T/loops.txt"
printf 'a b\nb c\nc a\n' > "$T/tri.txt"
bad "wrong column count" 1 deepwalk --input "$T/cols.txt" --output "$T/out.txt"
bad "weight without --weighted" 1 deepwalk --input "$T/cols3.txt" --output "$T/out.txt"
bad "negative weight" 1 node2vec --weighted --input "$T/neg.txt" --output "$T/out.txt"
bad "NaN weight" 1 node2vec --weighted --input "$T/nan.txt" --output "$T/out.txt"
bad "zero weight" 1 deepwalk --weighted --input "$T/zero.txt" --output "$T/out.txt"
bad "unknown kernel" 2 node2vec --kernel fancy --input "$T/cols.txt" --output "$T/out.txt"
bad "non-numeric weight" 1 deepwalk --weighted --input "$T/word.txt" --output "$T/out.txt"
bad "empty graph" 1 deepwalk --input "$T/empty.txt" --output "$T/out.txt"
bad "only comments" 1 node2vec --input "$T/comments.txt" --output "$T/out.txt"
bad "only self-loops" 1 node2vec --input "$T/loops.txt" --output "$T/out.txt"
bad "missing file" 1 deepwalk --input "$T/nope.txt" --output "$T/out.txt"
bad "p = 0" 2 node2vec --p 0 --input "$T/tri.txt" --output "$T/out.txt"
bad "q = -1" 2 node2vec --q -1 --input "$T/tri.txt" --output "$T/out.txt"
bad "p = nan" 2 node2vec --p nan --input "$T/tri.txt" --output "$T/out.txt"
bad "--p for deepwalk" 2 deepwalk --p 2 --input "$T/tri.txt" --output "$T/out.txt"
bad "walk length 0" 2 deepwalk --walk-length 0 --input "$T/tri.txt" --output "$T/out.txt"
bad "bad --duplicates" 2 deepwalk --duplicates max --input "$T/tri.txt" --output "$T/out.txt"
bad "bad --self-loops" 2 deepwalk --self-loops yes --input "$T/tri.txt" --output "$T/out.txt"
bad "unknown option" 2 node2vec --frobnicate --input "$T/tri.txt" --output "$T/out.txt"
bad "no input" 2 node2vec --output "$T/out.txt"
bad "no output" 2 node2vec --input "$T/tri.txt"
printf 'a b\n' | gzip -c | head -c 12 > "$T/trunc.gz"
bad "truncated gzip" 1 deepwalk --input "$T/trunc.gz" --output "$T/out.txt"
bad "directory as input" 1 deepwalk --input "$T" --output "$T/out.txt"
bad "missing output dir" 1 deepwalk --input "$T/tri.txt" --output "$T/no/such/dir/out.txt"
"$EMB" train deepwalk --quiet --input "$T/cols.txt" --output "$T/out.txt" 2> "$T/err"
check "error names the line, exit 1" test $? -eq 1 -a -n "$(grep ':3: expected 2 columns' "$T/err")"
e train node2vec --help > "$T/help"
check "node2vec --help" grep -q -- '--walks-per-node' "$T/help"

# Karate club: both factions must come out separated. Leave-one-out
# nearest-centroid and 1-NN accuracy (cosine) on the 34 nodes.
quality() { # vectors file -> "centroid 1nn"
  /usr/bin/python3 - "$1" "$KARATE/labels.tsv" <<'EOF'
import sys
import numpy as np
rows = open(sys.argv[1]).read().split("\n")
n, d = map(int, rows[0].split())
names = [r.split()[0] for r in rows[1:1 + n]]
X = np.array([[float(x) for x in r.split()[1:]] for r in rows[1:1 + n]])
X /= np.linalg.norm(X, axis=1, keepdims=True)
lab = dict(l.split("\t") for l in open(sys.argv[2]).read().split("\n") if l)
y = np.array([int(lab[s]) for s in names])
S = X @ X.T
np.fill_diagonal(S, -np.inf)
nn = (y[S.argmax(1)] == y).mean()
ok = 0
for i in range(n):
    m = np.arange(n) != i
    c = np.array([X[m & (y == k)].mean(0) for k in (0, 1)])
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    ok += int(np.argmax(c @ X[i]) == y[i])
print(f"{ok / n:.3f} {nn:.3f}")
EOF
}
i=0
for cfg in "deepwalk" "node2vec --p 0.25 --q 4" "node2vec --p 4 --q 0.25"; do
  i=$((i + 1)); k="$T/k$i.txt"
  e train $cfg --quiet --threads 1 --seed 1 --input "$KARATE/edges.tsv" --output "$k"
  check "karate $cfg: 34 vectors of dim 128" test "$(head -1 "$k" 2>/dev/null)" = "34 128"
  read -r cen nn <<< "$(quality "$k")"
  echo "     karate $cfg: nearest-centroid $cen, 1-NN $nn"
  check "karate $cfg: factions separated (centroid $cen, 1-NN $nn >= 0.85)" \
    /usr/bin/python3 -c "import sys; sys.exit(not (${cen:-0} >= 0.85 and ${nn:-0} >= 0.85))"
done

# Determinism: same seed, one thread -> identical bytes; another seed differs.
# The walks alone are identical for any thread count. Each run has its own
# output names, so a failed run cannot leave an earlier run's files behind.
Q="--quiet --dim 16 --walk-length 20 --walks-per-node 5"
i=0
for m in "deepwalk" "node2vec --p 0.5 --q 2"; do
  i=$((i + 1)); d="$T/det$i"
  e train $m $Q --threads 1 --seed 7 --input "$KARATE/edges.tsv" --output "$d-1.bin" --save-walks "$d-w1.txt"
  e train $m $Q --threads 1 --seed 7 --input "$KARATE/edges.tsv" --output "$d-2.bin"
  e train $m $Q --threads 1 --seed 8 --input "$KARATE/edges.tsv" --output "$d-3.bin"
  e train $m $Q --threads 2 --seed 7 --input "$KARATE/edges.tsv" --output "$d-4.bin" --save-walks "$d-w2.txt"
  check "deterministic ($m)" cmp -s "$d-1.bin" "$d-2.bin"
  check "seed matters ($m)" test -s "$d-1.bin" -a -s "$d-3.bin" -a -n "$(cmp "$d-1.bin" "$d-3.bin" 2>/dev/null | grep differ)"
  check "walks independent of threads ($m)" cmp -s "$d-w1.txt" "$d-w2.txt"
  check "saved walks: 170 lines of 20 nodes ($m)" \
    test "$(wc -l < "$d-w1.txt") $(awk '{ n[NF]++ } END { for (k in n) print k }' "$d-w1.txt")" = "170 20"
done

# Names, weights, gzip and an isolated node (its only line is a dropped
# self-loop): every node gets a vector under its name.
printf '# weighted\nalice bob 2\nbob carol 0.5\ncarol alice 1\ndave\talice\t3\nerin erin 1\n' > "$T/names.txt"
gzip -c "$T/names.txt" > "$T/names.txt.gz"
e train node2vec --quiet --weighted --dim 8 --threads 1 --input "$T/names.txt" --output "$T/n1.txt"
e train node2vec --quiet --weighted --dim 8 --threads 1 --input "$T/names.txt.gz" --output "$T/n2.txt"
check "named nodes" test "$(cut -d' ' -f1 "$T/n1.txt" | tr '\n' ' ')" = "5 alice bob carol dave erin "
check "gzip input = plain input" cmp -s "$T/n1.txt" "$T/n2.txt"
e train node2vec --quiet --weighted --dim 8 --threads 1 --input - --output "$T/n4.txt" < "$T/names.txt"
check "stdin input = file input" cmp -s "$T/n1.txt" "$T/n4.txt"
e train deepwalk --quiet --directed --self-loops keep --duplicates first --weighted --dim 8 \
  --input "$T/names.txt" --output "$T/n3.txt"
check "directed, keep self-loops" test "$(head -1 "$T/n3.txt")" = "5 8"

# --json summary.
e train node2vec --quiet --json --dim 8 --threads 1 --p 2 --input "$KARATE/edges.tsv" --output "$T/j.bin" > "$T/j.json"
check "json summary" /usr/bin/python3 -c "
import json; d = json.load(open('$T/j.json'))
assert d['nodes'] == 34 and d['arcs'] == 156 and d['walks'] == 340 and d['steps'] == 340 * 79, d
assert d['p'] == 2 and d['steps_per_second'] > 0 and d['dim'] == 8, d"

# Checkpoints: a run that writes checkpoints gives the same bytes as one
# that does not.
R="--quiet --dim 16 --epochs 30 --threads 1 --seed 3 --input $KARATE/edges.tsv"
e train node2vec $R --output "$T/c1.bin"
e train node2vec $R --output "$T/c2.bin" --checkpoint "$T/ck" --checkpoint-every 0.001
check "checkpointing does not change the result" cmp -s "$T/c1.bin" "$T/c2.bin"
check "checkpoint written" test -s "$T/ck"

# Interrupt mid-run: SIGINT as soon as the first periodic checkpoint exists
# (early in a run of 150 epochs, about 1.5 s here), resume from the
# checkpoint the signal leaves, and get the bytes of an uninterrupted run.
interrupt_resume() { # name, model and options...
  local name=$1; shift
  local dir="$T/int-$name" full pid st
  mkdir -p "$dir"
  e train "$@" --output "$dir/full.bin" || return
  "$EMB" train "$@" --output "$dir/part.bin" --checkpoint "$dir/ck" --checkpoint-every 0.05 &
  pid=$!
  for _ in $(seq 12000); do [[ -s "$dir/ck" ]] && break; kill -0 $pid 2> /dev/null || break; sleep 0.01; done
  kill -INT $pid
  wait $pid
  st=$?
  if [[ $st -ne 130 ]]; then fail "$name: SIGINT mid-run exits 130 (got $st: finished before the signal?)"; return; fi
  check "$name: interrupted run leaves a checkpoint and no output" test -s "$dir/ck" -a ! -e "$dir/part.bin"
  e train "$@" --output "$dir/part.bin" --resume "$dir/ck"
  check "$name: interrupted mid-run and resumed = uninterrupted run" cmp -s "$dir/full.bin" "$dir/part.bin"
}
L="--quiet --dim 16 --epochs 150 --threads 1 --seed 3 --input $KARATE/edges.tsv"
interrupt_resume deepwalk deepwalk $L
interrupt_resume node2vec node2vec --p 0.5 --q 2 $L
"$EMB" train node2vec --quiet --input "$T/tri.txt" --output "$T/out.txt" --resume "$T/ck" 2> "$T/err"
check "resume on another graph fails" test $? -eq 1 -a "$(wc -l < "$T/err")" -eq 1 -a ! -e "$T/out.txt"

finish
