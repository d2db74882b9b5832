#!/usr/bin/env bash
# cli_links.sh -- `emb train line` and `emb eval links` end to end:
# outputs, determinism, link prediction well above chance on a graph with
# planted communities, and bad input.
set -u
. "$(dirname "$0")/lib.sh"

# 4 communities of 40 nodes, dense inside (p 0.25), sparse across (p 0.005).
awk 'BEGIN { srand(5); for (a = 0; a < 160; a++) for (b = a + 1; b < 160; b++) {
       p = (int(a / 40) == int(b / 40)) ? 0.25 : 0.005; if (rand() < p) print "n" a "\tn" b } }' > "$T/g.tsv"

for order in 1 2 both; do
  e train line --quiet --order $order --dim 16 --samples 0.3 --threads 1 --seed 4 --input "$T/g.tsv" --output "$T/l$order.txt"
  check "line order $order writes every node" test "$(head -1 "$T/l$order.txt")" = "160 16"
done
grep -q '^n17 ' "$T/l2.txt"; check "line keeps node names" test $? -eq 0
e train line --quiet --dim 16 --samples 0.3 --threads 1 --seed 4 --input "$T/g.tsv" --output "$T/again.txt"
check "line deterministic with one thread" cmp -s "$T/l2.txt" "$T/again.txt"

# Checkpoints: writing them changes nothing, resuming from the last one
# gives the same bytes, a SIGINT leaves a checkpoint and exit status 130,
# and a checkpoint of other settings is refused.
R="--quiet --order both --dim 16 --samples 0.3 --threads 1 --seed 4 --input $T/g.tsv"
e train line $R --output "$T/c1.txt" --checkpoint "$T/ck" --checkpoint-every 0.001
check "line: checkpointing does not change the result" cmp -s "$T/c1.txt" "$T/lboth.txt"
check "line: checkpoint written" test -s "$T/ck"
e train line $R --output "$T/c2.txt" --resume "$T/ck"
check "line: resume = uninterrupted run" cmp -s "$T/c2.txt" "$T/lboth.txt"
# Interrupt mid-run in each phase of --order both: SIGINT as soon as a
# periodic checkpoint of that phase exists (the checkpoint's header names
# the phase), resume, and get the bytes of an uninterrupted run.
L="--quiet --order both --dim 16 --samples 4 --threads 1 --seed 4 --input $T/g.tsv"
e train line $L --output "$T/full.txt"
for phase in 1 2; do
  d="$T/int$phase"; mkdir -p "$d"
  "$EMB" train line $L --output "$d/out.txt" --checkpoint "$d/ck" --checkpoint-every 0.05 2> "$d/err" &
  pid=$!
  for _ in $(seq 6000); do grep -aq "^phase=$phase\$" "$d/ck" 2>/dev/null && break; kill -0 $pid 2> /dev/null || break; sleep 0.02; done
  kill -INT $pid
  wait $pid
  st=$?
  if [[ $st -ne 130 ]]; then fail "line: SIGINT in phase $phase exits 130 (got $st: finished before the signal?)"; continue; fi
  check "line: SIGINT in phase $phase writes a checkpoint of phase $phase and no output" \
    test -n "$(grep -a "^phase=$phase\$" "$d/ck")" -a ! -e "$d/out.txt"
  e train line $L --output "$d/out.txt" --resume "$d/ck"
  check "line: interrupted in phase $phase and resumed = uninterrupted run" cmp -s "$T/full.txt" "$d/out.txt"
done
"$EMB" train line --quiet --order both --dim 32 --samples 0.3 --input "$T/g.tsv" --output "$T/out.txt" --resume "$T/ck" 2> "$T/err"
check "line: resume with another --dim fails in one line" test $? -eq 1 -a "$(wc -l < "$T/err")" -eq 1 -a ! -e "$T/out.txt"

for m in line deepwalk node2vec; do
  extra=""
  [[ $m == node2vec ]] && extra="--p 0.5 --q 2"
  [[ $m != line ]] && extra="$extra --walks-per-node 5 --walk-length 40 --dim 32"
  [[ $m == line ]] && extra="--samples 0.5 --dim 32"
  e eval links "$T/g.tsv" --method $m $extra --json --threads 1 > "$T/$m.json" 2> "$T/err"
  auc=$(/usr/bin/python3 -c "import json; print(json.load(open('$T/$m.json'))['auc']['hadamard'])" 2>/dev/null)
  # Community structure alone caps the AUC near 0.8 here; chance is 0.5.
  check "eval links $m: Hadamard AUC ${auc:-none} > 0.65" /usr/bin/python3 -c "import sys; sys.exit(0 if float('${auc:-0}') > 0.65 else 1)"
done

bad() { # name, expected status, args...
  local name=$1 want=$2; shift 2
  rm -f "$T/out.txt"
  "$EMB" "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.txt" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
printf 'a\tb\tc\td\n' > "$T/cols.tsv"
: > "$T/empty.tsv"
bad "line missing file" 1 train line --input "$T/nope" --output "$T/out.txt"
bad "line wrong columns" 1 train line --input "$T/cols.tsv" --output "$T/out.txt"
bad "line empty graph" 1 train line --input "$T/empty.tsv" --output "$T/out.txt"
bad "line odd dim for both" 2 train line --order both --dim 7 --input "$T/g.tsv" --output "$T/out.txt"
bad "line bad order" 2 train line --order 3 --input "$T/g.tsv" --output "$T/out.txt"
bad "line no output" 2 train line --input "$T/g.tsv"
bad "links no method" 2 eval links "$T/g.tsv"
bad "links bad method" 2 eval links "$T/g.tsv" --method glove
bad "links p for deepwalk" 2 eval links "$T/g.tsv" --method deepwalk --p 2
bad "links kernel for line" 2 eval links "$T/g.tsv" --method line --kernel plain
bad "links unknown kernel" 2 eval links "$T/g.tsv" --method node2vec --kernel fancy
bad "links remove 1" 2 eval links "$T/g.tsv" --method line --remove 1
bad "links directed" 1 eval links "$T/g.tsv" --method line --directed
bad "line missing checkpoint" 1 train line --input "$T/g.tsv" --output "$T/out.txt" --resume "$T/nope"
bad "line bad checkpoint-every" 2 train line --input "$T/g.tsv" --output "$T/out.txt" --checkpoint-every 0
bad "links with resume" 2 eval links "$T/g.tsv" --method line --resume "$T/ck"
bad "links missing file" 1 eval links "$T/nope" --method line
finish
