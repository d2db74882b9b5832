#!/usr/bin/env bash
# cli_hostile_train.sh -- training that diverges (issue 13, item 1). Learning
# rates inside the accepted range blow up the weights; NaN scores used to
# become (int)NaN sigmoid-table indices and crash word2vec, node2vec and LINE
# with SIGSEGV. Each run below must instead exit 1 with one line that says
# the run diverged and names the learning rate, write no output file, and
# leave the file at --checkpoint as it was.
set -u
. "$(dirname "$0")/lib.sh"
D=${EMB_TESTDATA:-tests/data}

# A corpus without structure: 20000 sentences of 20 words drawn uniformly
# from 100. Skip-gram at --alpha 0.5 diverges on it within the epoch (0.4
# does too, 0.3 does not, for several seeds).
awk 'BEGIN { srand(1); for (s = 0; s < 20000; s++) { line = "";
       for (i = 0; i < 20; i++) line = line (i ? " " : "") "w" int(rand() * 100); print line } }' > "$T/corpus.txt"

# diverges NAME WANT CMD...: CMD must exit 1 with exactly one line on
# stderr that starts with the command's prefix, says "training diverged
# (non-finite" and contains WANT (the learning rate); no $T/o.* written;
# the placeholder at $T/ck unchanged.
diverges() {
  local name=$1 want=$2; shift 2
  rm -f "$T"/o.*
  printf 'a previous checkpoint\n' > "$T/ck"
  cp "$T/ck" "$T/ck.before"
  "$@" > "$T/out" 2> "$T/err"
  local rc=$?
  echo "  $name: exit $rc: $(head -c 300 "$T/err")"
  check "$name: exit 1 (not a signal)" test $rc -eq 1
  check "$name: one line on stderr" test "$(wc -l < "$T/err")" -eq 1
  check "$name: says it diverged" grep -q 'training diverged (non-finite' "$T/err"
  check "$name: names the learning rate" grep -qF -- "$want" "$T/err"
  check "$name: no output written" bash -c "! ls '$T'/o.* > /dev/null 2>&1"
  check "$name: checkpoint kept" cmp -s "$T/ck" "$T/ck.before"
}

diverges "node2vec --alpha 0.2" "lower --alpha (now 0.2)" \
  "$EMB" train node2vec --quiet --input "$D/karate/edges.tsv" --output "$T/o.bin" --threads 1 --alpha 0.2 \
  --checkpoint "$T/ck"
diverges "deepwalk --alpha 1" "lower --alpha (now 1)" \
  "$EMB" train deepwalk --quiet --input "$D/karate/edges.tsv" --output "$T/o.bin" --threads 2 --alpha 1 \
  --checkpoint "$T/ck"
diverges "word2vec sg --alpha 0.5" "lower --alpha (now 0.5)" \
  "$EMB" train word2vec --quiet --input "$T/corpus.txt" --output "$T/o.bin" --model sg --alpha 0.5 --epochs 1 \
  --threads 1 --checkpoint "$T/ck"
diverges "word2vec cbow --alpha 10" "lower --alpha (now 10)" \
  "$EMB" train word2vec --quiet --input "$T/corpus.txt" --output "$T/o.txt" --model cbow --alpha 10 --epochs 1 \
  --threads 2 --checkpoint "$T/ck"
diverges "line --alpha 1" "lower --alpha (now 1)" \
  "$EMB" train line --quiet --input "$D/karate/edges.tsv" --output "$T/o.bin" --alpha 1 --checkpoint "$T/ck"
diverges "line both --alpha 1" "lower --alpha (now 1)" \
  "$EMB" train line --quiet --input "$D/karate/edges.tsv" --output "$T/o.bin" --order both --alpha 1 \
  --checkpoint "$T/ck"
diverges "kge distmult --lr 1e30" "lower --lr (now 1e+30)" \
  "$EMB" train kge --quiet --model distmult --data "$D/nations" --output "$T/o.kge" --lr 1e30 --epochs 5 \
  --threads 1 --checkpoint "$T/ck" --checkpoint-every 1000

# Item 4: --read-vocab counts that each fit in int64 but sum past it used
# to wrap the total (signed overflow) and train on it with exit 0.
printf 'w1 9223372036854775807\nw2 1\n' > "$T/vocab.txt"
rm -f "$T"/o.*
"$EMB" train word2vec --quiet --input "$T/corpus.txt" --read-vocab "$T/vocab.txt" --output "$T/o.bin" 2> "$T/err"
check "--read-vocab counts summing past 2^63-1: exit 1" test $? -eq 1
check "--read-vocab overflow: one line naming the file and line" \
  grep -q "vocab.txt:2: the counts add up to more than 2^63-1" "$T/err"
check "--read-vocab overflow: one line" test "$(wc -l < "$T/err")" -eq 1
check "--read-vocab overflow: no output written" test ! -e "$T/o.bin"

# Healthy runs at the usual rates still train.
"$EMB" train node2vec --quiet --input "$D/karate/edges.tsv" --output "$T/ok.bin" --threads 1
check "node2vec at the default rate trains" test $? -eq 0 -a -s "$T/ok.bin"
"$EMB" train line --quiet --input "$D/karate/edges.tsv" --output "$T/ok2.bin"
check "line at the default rate trains" test $? -eq 0 -a -s "$T/ok2.bin"

finish
