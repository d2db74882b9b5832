#!/usr/bin/env bash
# cli_kge.sh -- `emb train kge` end to end: every model and option trains
# and writes a model file, determinism with one thread, --export-vectors,
# interrupt + resume, early stopping, a Nations quality floor (when
# tests/data/nations), and bad input (one-line errors).
set -u
. "$(dirname "$0")/lib.sh"
D=${EMB_TESTDATA:-tests/data}/nations

# A small KG: 30 entities on a cycle with a successor relation, its
# inverse and a symmetric "opposite" relation; valid/test are held out.
mkdir -p "$T/kg"
awk 'BEGIN { srand(2); for (a = 0; a < 30; a++) { b = (a + 1) % 30; o = (a + 15) % 30;
       s = (rand() < 0.8) ? "train" : (rand() < 0.5 ? "valid" : "test");
       print "e" a "\tnext\te" b > "'$T'/kg/train.tsv";
       print "e" b "\tprev\te" a > "'$T'/kg/" s ".tsv";
       print "e" a "\topp\te" o > "'$T'/kg/train.tsv" } }'
[[ -s "$T/kg/valid.tsv" ]] || printf 'e3\tprev\te2\n' > "$T/kg/valid.tsv"
[[ -s "$T/kg/test.tsv" ]] || printf 'e5\tprev\te4\n' > "$T/kg/test.tsv"
gzip -k "$T/kg/train.tsv" && mkdir -p "$T/kgz" && mv "$T/kg/train.tsv.gz" "$T/kgz/" && cp "$T/kg/valid.tsv" "$T/kg/test.tsv" "$T/kgz/"

common="--dim 16 --negatives 8 --batch 32 --steps 150 --lr 0.02 --threads 1 --quiet"
for m in transe distmult complex rotate; do
  e train kge --model $m --data "$T/kg" --output "$T/$m.kge" $common --json > "$T/$m.json"
  check "$m trains and writes a model" test -s "$T/$m.kge"
  check "$m --json has valid_mrr" grep -q '"valid_mrr"' "$T/$m.json"
done
e train kge --model rotate --data "$T/kg" --output "$T/again.kge" $common
check "one thread is deterministic" cmp -s "$T/rotate.kge" "$T/again.kge"
e train kge --model rotate --data "$T/kgz" --output "$T/gz.kge" $common
check "gzipped train gives the same model" cmp -s "$T/rotate.kge" "$T/gz.kge"
for opt in "--loss margin --margin 2" "--loss logistic" "--optimizer adagrad --lr 0.1" "--sampling bernoulli" \
           "--reg n3 --reg-weight 0.001" "--reg l2 --reg-weight 0.001" "--p-norm 2" "--chunk 8" "--lr-drop 0.5" \
           "--threads 2" "--subsampling" "--reciprocal" "--filter-negatives" "--filter-negatives --reciprocal"; do
  rm -f "$T/o.kge"
  $EMB train kge --model transe --data "$T/kg" --output "$T/o.kge" $common $opt 2> "$T/err"
  check "option $opt" test $? -eq 0 -a -s "$T/o.kge"
done
# Reciprocal relations: reported, evaluated, asked for heads; a checkpoint
# written with them does not resume without them.
e train kge --model complex --data "$T/kg" --output "$T/rc.kge" $common --reciprocal --json \
  --checkpoint "$T/rck" --checkpoint-every 0.001 > "$T/rc.json"
check "--reciprocal trains and is reported" grep -q '"reciprocal": *true' "$T/rc.json"
$EMB eval kge "$T/rc.kge" --data "$T/kg" --json > "$T/rce.json"
check "eval kge reads a reciprocal model" test $? -eq 0 -a -s "$T/rce.json"
e predict-link "$T/rc.kge" '?' next e5 --data "$T/kg" > "$T/rcp.txt"
check "predict-link asks a reciprocal model for heads" grep -q '^1' "$T/rcp.txt"
$EMB train kge --model complex --data "$T/kg" --output "$T/rc2.kge" $common --steps 300 --checkpoint "$T/rck" \
  --resume 2> "$T/err"
check "resume without --reciprocal is refused in one line" test $? -eq 1 -a "$(wc -l < "$T/err")" -eq 1 -a ! -e "$T/rc2.kge"
check "... saying why" grep -q 'reciprocal' "$T/err"

rm -f "$T/o.kge"
$EMB train kge --model transe --data "$T/kg" --output "$T/o.kge" --dim 8 --epochs 3 --quiet 2> "$T/err"
check "option --epochs" test $? -eq 0 -a -s "$T/o.kge"

e train kge --model complex --data "$T/kg" --output "$T/c.kge" $common --export-vectors "$T/ent.txt"
check "--export-vectors writes word2vec text (30 entities, 2*dim values)" test "$(head -1 "$T/ent.txt")" = "30 32"
check "exported vectors are named" grep -q '^e7 ' "$T/ent.txt"

# Interrupt with SIGINT in the first half of a run (as soon as the first
# periodic checkpoint exists; the checkpoint's header names its step),
# resume, and get the bytes of an uninterrupted run (one thread).
K="--model rotate --data $D --dim 32 --negatives 64 --batch 64 --steps 6000 --threads 1 --quiet"
e train kge $K --output "$T/full.kge"
"$EMB" train kge $K --output "$T/int.kge" --checkpoint "$T/ck" --checkpoint-every 0.05 > /dev/null 2> "$T/err" &
pid=$!
for _ in $(seq 12000); do [[ -s "$T/ck" ]] && break; kill -0 $pid 2> /dev/null || break; sleep 0.01; done
kill -INT $pid
wait $pid
st=$?
step=$(head -c 2000 "$T/ck" 2>/dev/null | grep -a -m1 '^step=' | cut -d= -f2)
check "interrupt exits 130 with a checkpoint and no model (exit $st)" test $st -eq 130 -a -s "$T/ck" -a ! -e "$T/int.kge"
check "... in the first half (step ${step:-none} of 6000)" test "${step:-0}" -gt 0 -a "${step:-6000}" -lt 3000
e train kge $K --output "$T/int.kge" --checkpoint "$T/ck" --resume
check "interrupted and resumed = uninterrupted run" cmp -s "$T/full.kge" "$T/int.kge"
e train kge $K --output "$T/int3.kge" --steps 3 --checkpoint "$T/ck" --resume
check "resume past the target step finishes at once and writes the model" test -s "$T/int3.kge"

# Early stopping: patience 1 stops well before 100000 steps.
timeout 60 $EMB train kge --model distmult --data "$T/kg" --output "$T/es.kge" --dim 8 --negatives 4 --batch 16 \
  --steps 100000 --lr 0.05 --valid-every 20 --patience 1 --threads 1 2> "$T/err"
check "early stopping ends the run" test $? -eq 0 -a -s "$T/es.kge"
check "validation lines are printed" grep -q 'valid MRR' "$T/err"

if [[ -f "$D/train.tsv" ]]; then
  e train kge --model distmult --data "$D" --output "$T/n.kge" --dim 50 --negatives 64 --batch 256 --epochs 100 \
    --lr 0.01 --threads 1 --quiet --json > "$T/n.json"
  mrr=$(/usr/bin/python3 -c "import json; print(json.load(open('$T/n.json'))['valid_mrr'])")
  check "nations distmult filtered valid MRR $mrr >= 0.65" /usr/bin/python3 -c "import sys; sys.exit(0 if $mrr >= 0.65 else 1)"
else
  fail "tests/data/nations is missing"
fi

bad() { # name, expected status, args...
  local name=$1 want=$2; shift 2
  rm -f "$T/out.kge"
  "$EMB" "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.kge" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
mk() { mkdir -p "$T/$1"; printf "$2" > "$T/$1/train.tsv"; [[ -n "${3:-}" ]] && printf "$3" > "$T/$1/test.tsv"; true; }
mk two 'a\tr\tb\na\tr\n'
mk four 'a\tr\tb\tc\n'
mk empty ''
mk unseen 'a\tr\tb\n' 'x\tr\ty\n'
q="--quiet --dim 4 --steps 2"
bad "two fields" 1 train kge --model rotate --data "$T/two" --output "$T/out.kge" $q
bad "four fields" 1 train kge --model rotate --data "$T/four" --output "$T/out.kge" $q
bad "empty train" 1 train kge --model rotate --data "$T/empty" --output "$T/out.kge" $q
bad "all test entities unseen" 1 train kge --model rotate --data "$T/unseen" --output "$T/out.kge" $q
bad "missing directory" 1 train kge --model rotate --data "$T/nope" --output "$T/out.kge" $q
bad "NaN during training" 1 train kge --model distmult --data "$T/kg" --output "$T/out.kge" --quiet --lr 1e30 $common \
  --optimizer adagrad --steps 500 --checkpoint "$T/nan.ck" --checkpoint-every 0.001 --lr 1e30
# (it diverges at step 2, before a checkpoint is due; kge_test checks the
# "last good checkpoint kept" case with a checkpoint after every step)
check "NaN message names the step and the checkpoint not written" grep -q 'step 2: .*nan.ck not written' "$T/err"
bad "unknown model" 2 train kge --model rescal --data "$T/kg" --output "$T/out.kge"
bad "no model" 2 train kge --data "$T/kg" --output "$T/out.kge"
bad "no data" 2 train kge --model rotate --output "$T/out.kge"
bad "no output" 2 train kge --model rotate --data "$T/kg"
bad "bad dim" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --dim 0
bad "bad lr" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --lr abc
bad "bad loss" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --loss hinge
bad "resume without checkpoint" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --resume
bad "chunk above batch" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --batch 8 --chunk 9
bad "unknown option" 2 train kge --model rotate --data "$T/kg" --output "$T/out.kge" --frobnicate
finish
