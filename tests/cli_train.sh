#!/usr/bin/env bash
# cli_train.sh -- `emb train word2vec` end to end: formats, determinism,
# vocabulary files, stdin and gzip input, checkpoint/resume, bad input.
set -u
. "$(dirname "$0")/lib.sh"

# A small synthetic corpus: 3000 sentences over 200 words, with topical
# structure (each sentence draws from one of 4 topics).
awk 'BEGIN { srand(42); for (s = 0; s < 3000; s++) { t = int(rand() * 4); n = 5 + int(rand() * 15); line = "";
       for (i = 0; i < n; i++) { w = (rand() < 0.8) ? t * 50 + int(rand() * 50) : int(rand() * 200);
         line = line (i ? " " : "") "w" w } print line } }' > "$T/c.txt"
gzip -c "$T/c.txt" > "$T/c.txt.gz"
Q="--quiet --dim 16 --epochs 2 --min-count 1"

# Formats follow the extension.
e train word2vec $Q --model sg --threads 1 --input "$T/c.txt" --output "$T/a.txt"
e train word2vec $Q --model sg --threads 1 --input "$T/c.txt" --output "$T/a.bin"
check "text header" test "$(head -1 "$T/a.txt")" = "200 16"
check "text rows" test "$(wc -l < "$T/a.txt")" -eq 201
check "bin header" test "$(head -1 "$T/a.bin" | head -c 6)" = "200 16"
# Determinism: same seed and one thread -> identical bytes; another seed
# differs. Each configuration writes its own files, so a failed run cannot
# leave an earlier configuration's files for the checks to read.
i=0
for cfg in "--model sg" "--model sg --kernel plain" "--model cbow" "--model sg --loss hs" "--model cbow --loss hs"; do
  i=$((i + 1)); d="$T/det$i"
  e train word2vec $Q $cfg --threads 1 --seed 7 --input "$T/c.txt" --output "$d-1.bin"
  e train word2vec $Q $cfg --threads 1 --seed 7 --input "$T/c.txt" --output "$d-2.bin"
  e train word2vec $Q $cfg --threads 1 --seed 8 --input "$T/c.txt" --output "$d-3.bin"
  check "deterministic ($cfg)" cmp -s "$d-1.bin" "$d-2.bin"
  check "seed matters ($cfg)" test -s "$d-1.bin" -a -s "$d-3.bin" -a -n "$(cmp "$d-1.bin" "$d-3.bin" 2>/dev/null | grep differ)"
done
# Same bytes from gzip input, from stdin, and with a saved/read vocabulary.
e train word2vec $Q --model sg --threads 1 --input "$T/c.txt.gz" --output "$T/g.bin"
check "gzip input = plain input" cmp -s "$T/a.bin" "$T/g.bin"
e train word2vec $Q --model sg --threads 1 --input - --output "$T/s.bin" < "$T/c.txt"
check "stdin input = file input" cmp -s "$T/a.bin" "$T/s.bin"
e train word2vec $Q --model sg --threads 1 --input "$T/c.txt" --output "$T/v1.bin" --save-vocab "$T/vocab.txt"
check "save-vocab lines" test "$(wc -l < "$T/vocab.txt")" -eq 200
e train word2vec $Q --model sg --threads 1 --input "$T/c.txt" --output "$T/v2.bin" --read-vocab "$T/vocab.txt"
check "read-vocab = counted vocab" cmp -s "$T/v1.bin" "$T/v2.bin"
# Multithreaded training runs and writes every word.
e train word2vec $Q --model sg --threads 2 --input "$T/c.txt" --output "$T/m.txt"
check "2 threads" test "$(wc -l < "$T/m.txt")" -eq 201
# --json summary.
e train word2vec $Q --json --model sg --threads 1 --input "$T/c.txt" --output "$T/j.bin" > "$T/j.json"
check "json summary" /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/j.json')); assert d['vocab']==200 and d['dim']==16, d"
# --max-vocab keeps the most frequent words.
e train word2vec $Q --max-vocab 50 --threads 1 --input "$T/c.txt" --output "$T/mv.txt"
check "max-vocab" test "$(head -1 "$T/mv.txt")" = "50 16"

# Checkpoint and resume: interrupt a one-thread run, resume it, and get the
# same bytes as an uninterrupted run (position, counters and RNG states are
# all in the checkpoint).
awk 'BEGIN { srand(7); for (s = 0; s < 25000; s++) { t = int(rand() * 4); n = 10 + int(rand() * 20); line = "";
       for (i = 0; i < n; i++) { w = (rand() < 0.8) ? t * 500 + int(rand() * 500) : int(rand() * 2000);
         line = line (i ? " " : "") "w" w } print line } }' > "$T/big.txt"
R="--quiet --model sg --dim 64 --epochs 30 --min-count 1 --threads 1 --seed 3"
e train word2vec $R --input "$T/big.txt" --output "$T/full.bin"
"$EMB" train word2vec $R --input "$T/big.txt" --output "$T/part.bin" --checkpoint "$T/ck" --checkpoint-every 0.3 &
pid=$!
# Interrupt once the first periodic checkpoint exists (so mid-training).
for _ in $(seq 2400); do [[ -s "$T/ck" ]] && break; kill -0 $pid 2> /dev/null || break; sleep 0.05; done
kill -INT $pid
wait $pid
st=$?
if [[ $st -eq 130 ]]; then
  check "interrupted run leaves no output" test ! -e "$T/part.bin"
  check "checkpoint written" test -s "$T/ck"
  e train word2vec --quiet --threads 1 --input "$T/big.txt" --output "$T/part.bin" --resume "$T/ck"
  check "resume = uninterrupted run" cmp -s "$T/full.bin" "$T/part.bin"
  ls -A "$T" | grep -q 'emb-tmp' && fail "temporary files left behind" || pass "no temporary files left"
else
  fail "interrupt (exit status $st, expected 130: run finished before the signal?)"
fi
# Resuming on another corpus is refused.
head -1000 "$T/big.txt" > "$T/other.txt"
if [[ -s "$T/ck" ]]; then
  $EMB train word2vec --quiet --input "$T/other.txt" --output "$T/x.bin" --resume "$T/ck" 2> "$T/err"
  check "resume on another corpus fails" test $? -eq 1 -a "$(wc -l < "$T/err")" -eq 1 -a ! -e "$T/x.bin"
fi

# Bad input: one line on stderr, non-zero exit, no output file.
bad() { # name, expected status (1 or 2), args...
  local name=$1 want=$2; shift 2
  rm -f "$T/out.bin"
  "$EMB" train word2vec --quiet "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.bin" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
: > "$T/empty.txt"
printf '   \n\n \t \n' > "$T/blank.txt"
head -c 4096 /dev/urandom > "$T/binary.dat"; printf '\0' >> "$T/binary.dat"
printf 'abc def' | gzip -c | head -c 10 > "$T/trunc.gz"
printf 'one two three\n' > "$T/rare.txt"
bad "missing corpus" 1 --input "$T/nope.txt" --output "$T/out.bin"
bad "empty corpus" 1 --input "$T/empty.txt" --output "$T/out.bin"
bad "blank corpus" 1 --input "$T/blank.txt" --output "$T/out.bin"
bad "binary corpus" 1 --input "$T/binary.dat" --output "$T/out.bin"
bad "truncated gzip" 1 --input "$T/trunc.gz" --output "$T/out.bin"
bad "all words rare" 1 --input "$T/rare.txt" --output "$T/out.bin"
bad "directory as corpus" 1 --input "$T" --output "$T/out.bin"
bad "missing output dir" 1 --min-count 1 --input "$T/c.txt" --output "$T/no/such/dir/out.bin"
bad "no input" 2 --output "$T/out.bin"
bad "no output" 2 --input "$T/c.txt"
bad "dim 0" 2 --dim 0 --input "$T/c.txt" --output "$T/out.bin"
bad "dim abc" 2 --dim abc --input "$T/c.txt" --output "$T/out.bin"
bad "negative -1" 2 --negative -1 --input "$T/c.txt" --output "$T/out.bin"
bad "sample 2" 2 --sample 2 --input "$T/c.txt" --output "$T/out.bin"
bad "alpha nan" 2 --alpha nan --input "$T/c.txt" --output "$T/out.bin"
bad "unknown model" 2 --model glove --input "$T/c.txt" --output "$T/out.bin"
bad "unknown option" 2 --frobnicate --input "$T/c.txt" --output "$T/out.bin"
bad "bad format" 2 --format xml --input "$T/c.txt" --output "$T/out.bin"
bad "missing vocab file" 1 --read-vocab "$T/nope" --input "$T/c.txt" --output "$T/out.bin"
bad "corrupt checkpoint" 1 --resume "$T/c.txt" --input "$T/c.txt" --output "$T/out.bin"
"$EMB" train nosuchmodel > /dev/null 2>&1; check "unknown train model exits 2" test $? -eq 2
e train word2vec --help > "$T/help"
check "train --help" grep -q -- '--negative' "$T/help"
e --version > "$T/version"
check "--version" grep -q '^emb ' "$T/version"
"$EMB" > /dev/null 2>&1; check "no arguments exits 2" test $? -eq 2

finish
