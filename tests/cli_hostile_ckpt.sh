#!/usr/bin/env bash
# cli_hostile_ckpt.sh -- resume checks (issue 13, items 2 and 8): a
# checkpoint continues only the run it was made by. Another corpus with the
# same tokens (reversed), other walk settings (--p, --q, --seed), another
# trainer (node2vec resumed as deepwalk), explicit options that differ
# (--dim, --model, --window), another graph of the same size, other KGE
# settings, a damaged checkpoint and a missing resume file are each
# refused: exit 1, one line naming the option or the cause, no output. A
# correct resume still gives the bytes of an uninterrupted run (one thread).
set -u
. "$(dirname "$0")/lib.sh"
TD=${EMB_TESTDATA:-tests/data}

# refused NAME PATTERN CMD...: exit 1, one line on stderr matching PATTERN
# (grep -E), no $T/out.* written.
refused() {
  local name=$1 pat=$2; shift 2
  rm -f "$T"/out.*
  "$@" > /dev/null 2> "$T/err"
  local st=$?
  if [[ $st -eq 1 && "$(wc -l < "$T/err")" -eq 1 ]] && grep -qE -- "$pat" "$T/err" && ! ls "$T"/out.* > /dev/null 2>&1; then
    pass "$name"
  else
    fail "$name (exit $st: $(head -c 300 "$T/err"))"
  fi
}

# Flip one byte in the middle of a file (a copy of it).
damage() { # src dst
  cp "$1" "$2"
  local n=$(stat -c %s "$2")
  local b=$(od -An -tu1 -j $((n / 2)) -N1 "$2" | tr -d ' ')
  printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$2" bs=1 seek=$((n / 2)) conv=notrunc status=none
}

# ---- word2vec -----------------------------------------------------------
awk 'BEGIN { srand(5); for (s = 0; s < 3000; s++) { t = int(rand() * 4); n = 8 + int(rand() * 12); line = "";
       for (i = 0; i < n; i++) { w = (rand() < 0.8) ? t * 100 + int(rand() * 100) : int(rand() * 400);
         line = line (i ? " " : "") "w" w } print line } }' > "$T/c.txt"
tac "$T/c.txt" > "$T/rev.txt" # the same tokens, in another order
R="--quiet --model sg --dim 32 --window 4 --epochs 20 --min-count 1 --threads 1 --seed 3"
$EMB train word2vec $R --input "$T/c.txt" --output "$T/full.bin"
check "word2vec: uninterrupted run" test $? -eq 0 -a -s "$T/full.bin"
$EMB train word2vec $R --input "$T/c.txt" --output "$T/ckrun.bin" --checkpoint "$T/w.ck" --checkpoint-every 0.001
check "word2vec: a run with checkpoints writes one and the same vectors" test $? -eq 0 -a -s "$T/w.ck"
check "word2vec: ... the same bytes" cmp -s "$T/full.bin" "$T/ckrun.bin"
$EMB train word2vec $R --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
check "word2vec: resume = uninterrupted run" cmp -s "$T/full.bin" "$T/out.bin"
$EMB train word2vec --quiet --threads 1 --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
check "word2vec: resume without repeating the options (they come from the checkpoint)" cmp -s "$T/full.bin" "$T/out.bin"
refused "word2vec: reversed corpus refused" "input differs" \
  $EMB train word2vec $R --input "$T/rev.txt" --output "$T/out.bin" --resume "$T/w.ck"
refused "word2vec: --dim 16 refused" "dim=32, this run has dim=16" \
  $EMB train word2vec --quiet --dim 16 --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
refused "word2vec: --model cbow refused" "model=sg, this run has model=cbow" \
  $EMB train word2vec --quiet --model cbow --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
refused "word2vec: --window 2 refused" "window=4, this run has window=2" \
  $EMB train word2vec --quiet --window 2 --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
refused "word2vec: --seed 9 refused" "seed=3, this run has seed=9" \
  $EMB train word2vec --quiet --seed 9 --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
refused "word2vec: --min-count 2 refused" "min_count=1.*min_count=2" \
  $EMB train word2vec --quiet --min-count 2 --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck"
$EMB train word2vec --quiet --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w.ck" --checkpoint "$T/other.ck" 2> "$T/err"
check "word2vec: --resume with --checkpoint naming another file is a usage error" \
  test $? -eq 2 -a ! -e "$T/out.bin" -a ! -e "$T/other.ck" -a "$(wc -l < "$T/err")" -eq 1
refused "word2vec: missing resume file refused" "cannot open.*nope" \
  $EMB train word2vec --quiet --input "$T/c.txt" --output "$T/out.bin" --resume "$T/nope"
damage "$T/w.ck" "$T/w_bad.ck"
refused "word2vec: a damaged checkpoint is refused by its checksum" "checksum" \
  $EMB train word2vec --quiet --input "$T/c.txt" --output "$T/out.bin" --resume "$T/w_bad.ck"

# ---- node2vec / deepwalk ------------------------------------------------
K="$TD/karate/edges.tsv"
N="--quiet --dim 16 --epochs 30 --threads 1 --input $K"
$EMB train node2vec $N --seed 3 --p 0.5 --q 2 --output "$T/n_full.bin"
$EMB train node2vec $N --seed 3 --p 0.5 --q 2 --output "$T/n_ck.bin" --checkpoint "$T/n.ck" --checkpoint-every 0.001
check "node2vec: a run with checkpoints writes one" test $? -eq 0 -a -s "$T/n.ck"
$EMB train node2vec $N --seed 3 --p 0.5 --q 2 --output "$T/out.bin" --resume "$T/n.ck"
check "node2vec: resume = uninterrupted run" cmp -s "$T/n_full.bin" "$T/out.bin"
refused "node2vec: another --p refused" "p=0.5.*p=1" \
  $EMB train node2vec $N --seed 3 --p 1 --q 2 --output "$T/out.bin" --resume "$T/n.ck"
refused "node2vec: another --q refused" "q=2.*q=0.5" \
  $EMB train node2vec $N --seed 3 --p 0.5 --q 0.5 --output "$T/out.bin" --resume "$T/n.ck"
refused "node2vec: another --seed refused" "seed" \
  $EMB train node2vec $N --seed 4 --p 0.5 --q 2 --output "$T/out.bin" --resume "$T/n.ck"
refused "node2vec: another --walk-length refused" "walk_length=80.*walk_length=40" \
  $EMB train node2vec $N --seed 3 --p 0.5 --q 2 --walk-length 40 --output "$T/out.bin" --resume "$T/n.ck"
refused "node2vec: --dim 8 refused" "dim=16, this run has dim=8" \
  $EMB train node2vec --quiet --dim 8 --threads 1 --input "$K" --seed 3 --p 0.5 --q 2 --output "$T/out.bin" --resume "$T/n.ck"
refused "node2vec resumed as deepwalk refused" "trainer=node2vec.*trainer=deepwalk" \
  $EMB train deepwalk $N --seed 3 --output "$T/out.bin" --resume "$T/n.ck"
$EMB train deepwalk $N --seed 3 --output "$T/d_full.bin" --checkpoint "$T/d.ck" --checkpoint-every 0.001
refused "deepwalk resumed as node2vec refused" "trainer=deepwalk.*trainer=node2vec" \
  $EMB train node2vec $N --seed 3 --output "$T/out.bin" --resume "$T/d.ck"
$EMB train deepwalk $N --seed 3 --output "$T/out.bin" --resume "$T/d.ck"
check "deepwalk: resume = uninterrupted run" cmp -s "$T/d_full.bin" "$T/out.bin"
# Another graph of the same size: one edge moved (same nodes and arcs).
sed '$s/^32	33$/0	33/' "$K" > "$T/k2.tsv" # the last edge 32-33 becomes 0-33
refused "deepwalk: another graph of the same size refused" "input differs|n_arcs" \
  $EMB train deepwalk --quiet --dim 16 --epochs 30 --threads 1 --input "$T/k2.tsv" --seed 3 --output "$T/out.bin" --resume "$T/d.ck"
refused "node2vec: missing resume file refused" "cannot open.*nope" \
  $EMB train node2vec $N --output "$T/out.bin" --resume "$T/nope"

# ---- LINE ---------------------------------------------------------------
L="--quiet --order both --dim 16 --samples 0.3 --threads 1 --seed 4"
$EMB train line $L --input "$K" --output "$T/l_full.txt" --checkpoint "$T/l.ck" --checkpoint-every 0.001
check "line: a run with checkpoints writes one" test $? -eq 0 -a -s "$T/l.ck"
$EMB train line $L --input "$K" --output "$T/out.txt" --resume "$T/l.ck"
check "line: resume = uninterrupted run" cmp -s "$T/l_full.txt" "$T/out.txt"
refused "line: another graph of the same size refused" "input_crc" \
  $EMB train line $L --input "$T/k2.tsv" --output "$T/out.txt" --resume "$T/l.ck"
damage "$T/l.ck" "$T/l_bad.ck"
refused "line: a damaged checkpoint is refused by its checksum" "checksum" \
  $EMB train line $L --input "$K" --output "$T/out.txt" --resume "$T/l_bad.ck"

# ---- KGE ----------------------------------------------------------------
G="--model transe --data $TD/nations --dim 8 --negatives 8 --batch 32 --threads 1 --quiet"
$EMB train kge $G --steps 6000 --output "$T/k_full.kge"
check "kge: uninterrupted run" test $? -eq 0 -a -s "$T/k_full.kge"
# Checkpoints every millisecond in the first half: the last one is at some
# step of 1..3000 (its header names it); resumed to 6000 = uninterrupted.
$EMB train kge $G --steps 3000 --output "$T/k_half.kge" --checkpoint "$T/k.ck" --checkpoint-every 0.001
step=$(head -c 2000 "$T/k.ck" 2>/dev/null | grep -a -m1 '^step=' | cut -d= -f2)
check "kge: a checkpoint in the first half (step ${step:-none})" test -s "$T/k.ck" -a "${step:-0}" -gt 0 -a "${step:-0}" -le 3000
cp "$T/k.ck" "$T/k30.ck"
$EMB train kge $G --steps 6000 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
check "kge: resume from that step = uninterrupted run" cmp -s "$T/k_full.kge" "$T/out.kge"
cp "$T/k30.ck" "$T/k.ck"
refused "kge: missing resume file refused" "cannot resume from .*nope" \
  $EMB train kge $G --steps 60 --output "$T/out.kge" --checkpoint "$T/nope" --resume
refused "kge: another --lr refused" "lr=" \
  $EMB train kge $G --steps 60 --lr 0.05 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
refused "kge: another --negatives refused" "negatives=8.*negatives=16" \
  $EMB train kge $G --steps 60 --negatives 16 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
refused "kge: another --seed refused" "seed=1.*seed=5" \
  $EMB train kge $G --steps 60 --seed 5 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
refused "kge: another --dim refused" "--dim 8.*--dim 12" \
  $EMB train kge $G --steps 60 --dim 12 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
refused "kge: another --model refused" "--model transe.*--model distmult" \
  $EMB train kge --model distmult --data "$TD/nations" --dim 8 --negatives 8 --batch 32 --threads 1 --quiet \
  --steps 60 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
# The same training triples in another order (lines 100 and 101 swapped):
# the same entities and relations in the same order, another training run.
mkdir -p "$T/nations2"
awk 'NR == 100 { held = $0; next } { print } NR == 101 { print held }' "$TD/nations/train.tsv" > "$T/nations2/train.tsv"
cp "$TD/nations/valid.tsv" "$TD/nations/test.tsv" "$T/nations2/"
refused "kge: reordered training triples refused" "train_crc=" \
  $EMB train kge --model transe --data "$T/nations2" --dim 8 --negatives 8 --batch 32 --threads 1 --quiet \
  --steps 60 --output "$T/out.kge" --checkpoint "$T/k.ck" --resume
damage "$T/k.ck" "$T/k_bad.ck"
refused "kge: a damaged checkpoint is refused by its checksum" "checksum" \
  $EMB train kge $G --steps 60 --output "$T/out.kge" --checkpoint "$T/k_bad.ck" --resume
damage "$T/k_full.kge" "$T/out_bad.kge"
$EMB eval kge "$T/out_bad.kge" --data "$TD/nations" > /dev/null 2> "$T/err"
check "kge: a damaged model file is refused by its checksum" test $? -eq 1 -a "$(wc -l < "$T/err")" -eq 1
check "... saying so" grep -q checksum "$T/err"

finish
