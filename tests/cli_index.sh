#!/usr/bin/env bash
# cli_index.sh -- `emb index build|info|add|delete`, `emb search` and
# `emb neighbors` with an index, end to end: exact results equal the
# scanning `emb neighbors`, HNSW agrees with them (ranks of a one-thread
# build, recall of a two-thread one, and the scores it prints, for every
# metric), every vector format and gzip work, one-thread builds are
# identical, deletes, adds and re-adds take effect, concurrent writers are
# serialised by a lock, and bad input gives one clear line and a non-zero
# status. Every emb run's exit status is checked.
set -u
. "$(dirname "$0")/lib.sh"
# emb ARGS...: run emb; a non-zero exit status is a failure, also inside
# $(...) and pipelines (recorded in a file, counted at the end).
emb() {
  "$EMB" "$@"
  local st=$?
  [[ $st -eq 0 ]] || { echo "FAIL emb $* exited $st" >&2; echo "emb $* exited $st" >> "$T/emb_failed"; }
  return $st
}

# 400 words in 8 dimensions around 10 centres (distinct neighbours, few ties).
awk 'BEGIN { srand(3); print 400, 8;
  for (c = 0; c < 10; c++) for (j = 0; j < 8; j++) m[c, j] = rand() * 4 - 2;
  for (i = 0; i < 400; i++) { c = i % 10; printf "w%d", i;
    for (j = 0; j < 8; j++) printf " %.6f", m[c, j] + rand() - 0.5; printf "\n" } }' > "$T/v.txt"

emb index build "$T/v.txt" -o "$T/flat.idx" --quiet
check "build flat" test -s "$T/flat.idx"
# One thread: the same graph every run, so rank-by-rank checks are exact.
emb index build "$T/v.txt" -o "$T/hnsw.idx" --type hnsw --M 8 --ef-construction 100 --threads 1 --quiet
check "build hnsw" test -s "$T/hnsw.idx"
# Two threads: the graph depends on scheduling; checked by recall only.
emb index build "$T/v.txt" -o "$T/hnsw2.idx" --type hnsw --M 8 --ef-construction 100 --threads 2 --quiet
check "build hnsw on two threads" test -s "$T/hnsw2.idx"

# Exact search = the scan of emb neighbors, line for line.
emb neighbors "$T/v.txt" w1 w17 w250 -k 7 > "$T/scan.out"
emb search "$T/flat.idx" --word w1 --word w17 --word w250 -k 7 > "$T/flat.out"
check "flat search equals neighbors scan" cmp -s "$T/scan.out" "$T/flat.out"
emb neighbors "$T/flat.idx" w1 w17 w250 -k 7 > "$T/nb_idx.out"
check "neighbors with an index file as VECTORS" cmp -s "$T/scan.out" "$T/nb_idx.out"
emb neighbors --index "$T/flat.idx" w1 w17 w250 -k 7 > "$T/nb_idx2.out"
check "neighbors --index" cmp -s "$T/scan.out" "$T/nb_idx2.out"

# HNSW at a wide ef finds (nearly) the same neighbours for every word:
# rank by rank for the one-thread graph, as a set for the two-thread one.
for i in $(seq 0 7 399); do echo "w$i"; done > "$T/qwords"
emb neighbors "$T/v.txt" -k 10 < "$T/qwords" | grep -v '^#' | cut -f1,2 > "$T/exact10"
emb neighbors "$T/hnsw.idx" -k 10 --ef 100 < "$T/qwords" | grep -v '^#' | cut -f1,2 > "$T/hnsw10"
same=$(awk -F'\t' 'NR == FNR { a[FNR] = $2; next } { if (a[FNR] == $2) n++ } END { print n + 0 }' "$T/exact10" "$T/hnsw10")
total=$(wc -l < "$T/exact10")
check "hnsw agrees with exact on $same of $total ranks (>= 95%)" test $((same * 100)) -ge $((total * 95))
emb neighbors "$T/hnsw2.idx" -k 10 --ef 100 < "$T/qwords" > "$T/hnsw2_10"
emb neighbors "$T/v.txt" -k 10 < "$T/qwords" > "$T/exact10q"
# recall: the fraction of each query's exact neighbours found, over all queries.
recall() { # exact, approx (both '# QUERY' then 'RANK WORD SCORE' lines, same queries)
  awk -F'\t' '/^#/ { q = $0; next } NR == FNR { ex[q, $2] = 1; n++; next } (q, $2) in ex { h++ }
    END { printf "%d", (n ? 1000 * h / n : 0) }' "$1" "$2"
}
# (40 two-thread builds measured 974 to 998 per 1000; a broken threaded
# build falls far below.)
r2=$(recall "$T/exact10q" "$T/hnsw2_10")
check "two-thread hnsw recall@10 at ef 100 is $r2/1000 (>= 900)" test "$r2" -ge 900

# The scores HNSW prints are the exact ones: for every metric, with
# queries that are not unit length (raw rows for --queries and --vector,
# phrases for neighbors: sums of unit vectors), every word an HNSW search
# returns that the flat search of the same metric also returns carries
# the same score (4 printed decimals: within 1e-4). Without the query
# normalisation a cosine would be |q| times too large.
same_scores() { # flat output, hnsw output: 'yes' if every shared (query, word) agrees
  awk -F'\t' '/^#/ { q = $0; next } NR == FNR { s[q, $2] = $3; next }
    (q, $2) in s { n++; d = s[q, $2] - $3; if (d < 0) d = -d; if (d > 1.0001e-4) { bad++; if (bad < 4) print "  " q, $2, s[q, $2], $3 > "/dev/stderr" } }
    END { print (n >= 10 && !bad) ? "yes" : "no (" bad + 0 " of " n + 0 " differ)" }' "$1" "$2"
}
awk 'NR > 1 && (NR - 2) % 7 == 0' "$T/v.txt" > "$T/qrows"
{ echo "$(wc -l < "$T/qrows") 8"; cat "$T/qrows"; } > "$T/qall.txt"
grep '^w42 ' "$T/v.txt" | cut -d' ' -f2- > "$T/q.vec"
awk '{ for (i = 1; i <= NF; i++) $i *= 3 } 1' "$T/q.vec" > "$T/q3.vec"
printf 'w1 w17\nw3 w250 w7\nw100 w5\nw9 w21\n' > "$T/phrases"
for m in cosine ip l2; do
  emb index build "$T/v.txt" -o "$T/f_$m.idx" --metric $m --quiet
  emb index build "$T/v.txt" -o "$T/h_$m.idx" --metric $m --type hnsw --M 8 --ef-construction 100 --threads 1 --quiet
  emb search "$T/f_$m.idx" --queries "$T/qall.txt" -k 10 --quiet > "$T/fq_$m"
  emb search "$T/h_$m.idx" --queries "$T/qall.txt" -k 10 --ef 100 --quiet > "$T/hq_$m"
  check "search --queries: hnsw $m scores = flat: $(same_scores "$T/fq_$m" "$T/hq_$m")" \
    test "$(same_scores "$T/fq_$m" "$T/hq_$m" 2> /dev/null)" = yes
  r=$(recall "$T/fq_$m" "$T/hq_$m")
  check "search --queries: hnsw $m recall@10 at ef 100 is $r/1000 (>= 950)" test "$r" -ge 950
  emb search "$T/h_$m.idx" --queries "$T/qall.txt" -k 10 --ef 10 --quiet > "$T/hq10_$m"
  r=$(recall "$T/fq_$m" "$T/hq10_$m")
  check "search --queries: hnsw $m recall@10 at ef 10 is $r/1000 (>= 850)" test "$r" -ge 850
  for v in q.vec q3.vec; do
    emb search "$T/f_$m.idx" --vector "$T/$v" -k 5 > "$T/fv_$m"
    emb search "$T/h_$m.idx" --vector "$T/$v" -k 5 --ef 50 > "$T/hv_$m"
    check "search --vector $v: hnsw $m output = flat" cmp -s "$T/fv_$m" "$T/hv_$m"
  done
  emb neighbors "$T/f_$m.idx" -k 10 < "$T/phrases" > "$T/fn_$m"
  emb neighbors "$T/h_$m.idx" -k 10 --ef 100 < "$T/phrases" > "$T/hn_$m"
  check "neighbors phrases: hnsw $m scores = flat: $(same_scores "$T/fn_$m" "$T/hn_$m")" \
    test "$(same_scores "$T/fn_$m" "$T/hn_$m" 2> /dev/null)" = yes
done
top=$(emb search "$T/h_cosine.idx" --vector "$T/q3.vec" -k 1 | sed -n 2p)
check "hnsw cosine: 3 x w42 finds w42 with score 1.0000 ($top)" test "$top" = "1	w42	1.0000"

# Every vector format, and gzip, builds the same flat index.
emb convert "$T/v.txt" "$T/v.bin" --quiet
emb convert "$T/v.txt" "$T/v.npy" --quiet
gzip -c "$T/v.txt" > "$T/v.txt.gz"
for f in v.bin v.npy v.txt.gz; do
  emb index build "$T/$f" -o "$T/f.idx" --quiet
  emb search "$T/f.idx" --word w1 --word w17 --word w250 -k 7 > "$T/f.out"
  check "build from $f" cmp -s "$T/flat.out" "$T/f.out"
done
gzip -c "$T/hnsw.idx" > "$T/hnsw.idx.gz"
emb search "$T/hnsw.idx" --word w5 > "$T/a.out"
emb search "$T/hnsw.idx.gz" --word w5 > "$T/b.out"
check "gzip-compressed index" cmp -s "$T/a.out" "$T/b.out"

# One thread and a seed: the same file twice; another seed: another file.
emb index build "$T/v.txt" -o "$T/d1.idx" --type hnsw --M 6 --threads 1 --seed 9 --quiet
emb index build "$T/v.txt" -o "$T/d2.idx" --type hnsw --M 6 --threads 1 --seed 9 --quiet
emb index build "$T/v.txt" -o "$T/d3.idx" --type hnsw --M 6 --threads 1 --seed 10 --quiet
check "one-thread build is deterministic" cmp -s "$T/d1.idx" "$T/d2.idx"
check "another seed, another graph" bash -c "! cmp -s '$T/d1.idx' '$T/d3.idx'"

# info, --json.
emb index info "$T/hnsw.idx" --json > "$T/info.json"
check "info --json" /usr/bin/python3 -c "
import json; j = json.load(open('$T/info.json'))
assert j['type'] == 'hnsw' and j['rows'] == 400 and j['dim'] == 8 and j['M'] == 8 and j['deleted'] == 0, j"
emb search "$T/hnsw.idx" --word w3 -k 4 --json > "$T/s.json"
check "search --json" /usr/bin/python3 -c "
import json; j = json.loads(open('$T/s.json').readline())
assert j['query'] == 'w3' and len(j['neighbors']) == 4 and all('word' in n and 'id' in n for n in j['neighbors'])
assert all(n['word'] != 'w3' for n in j['neighbors'])"

# --vector and --queries.
grep '^w42 ' "$T/v.txt" | cut -d' ' -f2- > "$T/q.vec"
top=$(emb search "$T/flat.idx" --vector "$T/q.vec" -k 1 | sed -n 2p | cut -f2)
check "--vector finds its own row" test "$top" = w42
head -1 "$T/v.txt" | sed 's/^400/3/' > "$T/q.txt"; grep -E '^w(1|2|3) ' "$T/v.txt" >> "$T/q.txt"
emb search "$T/flat.idx" --queries "$T/q.txt" -k 1 --quiet --threads 2 > "$T/q.out"
check "--queries searches every row" test "$(grep -c '^1	w[123]	1.0000' "$T/q.out")" = 3
emb search "$T/hnsw.idx" --queries "$T/q.txt" -k 3 --quiet --serial > "$T/q1.out"
emb search "$T/hnsw.idx" --queries "$T/q.txt" -k 3 --quiet --threads 2 > "$T/q2.out"
check "--serial equals the batch" cmp -s "$T/q1.out" "$T/q2.out"

# delete and add.
cp "$T/hnsw.idx" "$T/m.idx"
emb index delete "$T/m.idx" w1 w2 --quiet
emb search "$T/m.idx" --word w11 --word w21 -k 50 > "$T/del.out"
check "deleted words are never returned" bash -c "! grep -qE '	w(1|2)	' '$T/del.out'"
check "info counts deletions" test "$(emb index info "$T/m.idx" | awk '$1 == "deleted" { print $2 }')" = 2
printf '2 8\nnew1 1 1 1 1 1 1 1 1\nnew2 -1 -1 -1 -1 -1 -1 -1 -1\n' > "$T/add.txt"
emb index add "$T/m.idx" "$T/add.txt" -o "$T/m2.idx" --quiet
check "add grows the index" test "$(emb index info "$T/m2.idx" | awk '$1 == "rows" { print $2 }')" = 402
top=$(emb search "$T/m2.idx" --word new1 -k 1 --keep-self | sed -n 2p | cut -f2)
check "an added word is found" test "$top" = new1

# A deleted word added again: the vector is updated. w3 (cluster 3) gets a
# vector of cluster 0 (w200's, scaled); searches then place it there, for
# the flat and the HNSW index alike, and the index has no deleted rows.
grep '^w200 ' "$T/v.txt" | awk '{ printf "1 8\nw3"; for (i = 2; i <= NF; i++) printf " %.6f", $i * 2; print "" }' > "$T/upd.txt"
for k in flat hnsw; do
  cp "$T/$k.idx" "$T/r_$k.idx"
  emb index delete "$T/r_$k.idx" w3 --quiet && emb index add "$T/r_$k.idx" "$T/upd.txt" --quiet
  check "re-add ($k): no deleted rows, 400 rows" test "$(emb index info "$T/r_$k.idx" | awk '$1 == "rows" || $1 == "deleted" { printf "%s ", $2 }')" = "400 0 "
  emb search "$T/r_$k.idx" --word w3 -k 5 --ef 100 > "$T/r_$k.out"
done
check "re-add: HNSW neighbours of the new w3 = flat's" cmp -s "$T/r_flat.out" "$T/r_hnsw.out"
check "re-add: w3's nearest is now w200" test "$(sed -n 2p "$T/r_hnsw.out" | cut -f2)" = w200
emb search "$T/r_hnsw.idx" --word w200 -k 1 > "$T/r200.out"
check "re-add: w200's nearest is now w3 with cosine 1" test "$(sed -n 2p "$T/r200.out")" = "1	w3	1.0000"
emb search "$T/r_hnsw.idx" --word w13 -k 30 --ef 100 > "$T/r13.out"
check "re-add: w3 left its old cluster" bash -c "! grep -q '	w3	' '$T/r13.out'"

# Concurrent writers on one file: 8 deletes and 2 adds at once. Each takes
# the lock for its read-modify-write, so every update is in the result
# (without the lock, most are lost).
cp "$T/hnsw.idx" "$T/c.idx"
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$EMB" index delete "$T/c.idx" "w$((i * 11))" --quiet 2> "$T/cw$i.err" & pids+=($!)
done
for i in 1 2; do
  printf '1 8\nnew_c%d 1 2 3 4 5 6 7 %d\n' "$i" "$i" > "$T/cadd$i.txt"
  "$EMB" index add "$T/c.idx" "$T/cadd$i.txt" --quiet 2> "$T/ca$i.err" & pids+=($!)
done
bad_st=0
for p in "${pids[@]}"; do wait "$p" || bad_st=$((bad_st + 1)); done
check "10 concurrent writers all exit 0" test $bad_st -eq 0
check "10 concurrent writers: every update kept (rows deleted)" \
  test "$(emb index info "$T/c.idx" | awk '$1 == "rows" || $1 == "deleted" { printf "%s ", $2 }')" = "402 8 "

# A held lock: --no-wait fails naming the holder's pid and writes nothing;
# without it the writer says whom it waits for, waits, then writes.
mkfifo "$T/go"
flock "$T/c.idx" -c "touch '$T/held'; read x < '$T/go'" & holder=$!
for _ in $(seq 200); do [[ -e "$T/held" ]] && break; sleep 0.05; done
cp "$T/c.idx" "$T/c_before.idx"
"$EMB" index delete "$T/c.idx" w1 --no-wait 2> "$T/nw.err"
st=$?
check "--no-wait with the lock held: exit 1, one line naming pid $holder" \
  test "$st $(wc -l < "$T/nw.err") $(grep -c "locked by pid $holder " "$T/nw.err")" = "1 1 1"
check "--no-wait with the lock held: the index is unchanged" cmp -s "$T/c.idx" "$T/c_before.idx"
"$EMB" index delete "$T/c.idx" w1 --quiet 2> "$T/w.err" & waiter=$!
for _ in $(seq 200); do grep -q waiting "$T/w.err" && break; kill -0 $waiter 2>/dev/null || break; sleep 0.05; done
check "a writer finding the lock held names pid $holder and waits" grep -q "locked by pid $holder .*waiting" "$T/w.err"
echo > "$T/go"
wait "$holder"
wait "$waiter"
check "the waiting writer then exits 0" test $? -eq 0
check "the waiting writer's delete took effect" \
  test "$(emb index info "$T/c.idx" | awk '$1 == "deleted" { print $2 }')" = 9

bad() { # name, expected status, args...
  local name=$1 want=$2; shift 2
  rm -f "$T/out.idx"
  "$EMB" "$@" 2> "$T/err" > /dev/null
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 && ! -e "$T/out.idx" ]]; then pass "bad input: $name"
  else fail "bad input: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
: > "$T/empty"
head -c 1000 "$T/hnsw.idx" > "$T/trunc.idx"
cp "$T/hnsw.idx" "$T/corrupt.idx"
printf '\x55' | dd of="$T/corrupt.idx" bs=1 seek=3000 conv=notrunc 2> /dev/null
printf '1 2 3\n' > "$T/short.vec"
printf '1 2 x 4 5 6 7 8\n' > "$T/nan.vec"
printf '2 3\na 1 2 3\nb 4 5 6\n' > "$T/dim3.txt"
bad "build missing file" 1 index build "$T/nope" -o "$T/out.idx"
bad "build empty file" 1 index build "$T/empty" -o "$T/out.idx"
bad "build no output" 2 index build "$T/v.txt"
bad "build bad type" 2 index build "$T/v.txt" -o "$T/out.idx" --type ivf
bad "build bad metric" 2 index build "$T/v.txt" -o "$T/out.idx" --metric jaccard
bad "build M for flat" 2 index build "$T/v.txt" -o "$T/out.idx" --M 8
bad "build M 1" 2 index build "$T/v.txt" -o "$T/out.idx" --type hnsw --M 1
bad "build unknown option" 2 index build "$T/v.txt" -o "$T/out.idx" --fast
bad "index no subcommand" 2 index
bad "index bad subcommand" 2 index rebuild
bad "search missing index" 1 search "$T/nope" --word w1
bad "search empty index file" 1 search "$T/empty" --word w1
bad "search a vector file" 1 search "$T/v.txt" --word w1
bad "search truncated index" 1 search "$T/trunc.idx" --word w1
bad "search corrupt index" 1 search "$T/corrupt.idx" --word w1
bad "search unknown word" 1 search "$T/flat.idx" --word nosuchword
bad "search no query" 2 search "$T/flat.idx"
bad "search two query kinds" 2 search "$T/flat.idx" --word w1 --vector "$T/q.vec"
bad "search ef below k" 2 search "$T/hnsw.idx" --word w1 -k 20 --ef 5
bad "search k 0" 2 search "$T/flat.idx" --word w1 -k 0
bad "search short vector" 1 search "$T/flat.idx" --vector "$T/short.vec"
bad "search bad number" 1 search "$T/flat.idx" --vector "$T/nan.vec"
bad "search queries wrong dim" 1 search "$T/flat.idx" --queries "$T/dim3.txt"
bad "search option of build" 2 search "$T/flat.idx" --word w1 --M 4
bad "add wrong dim" 1 index add "$T/flat.idx" "$T/dim3.txt" -o "$T/out.idx"
bad "add existing words" 1 index add "$T/flat.idx" "$T/v.txt" -o "$T/out.idx"
bad "delete unknown word" 1 index delete "$T/flat.idx" nosuchword -o "$T/out.idx"
bad "neighbors index unknown word" 1 neighbors "$T/flat.idx" nosuchword
bad "analogy --index" 2 analogy --index "$T/flat.idx" a b c
if [[ -s "$T/emb_failed" ]]; then
  fail "runs of emb that exited non-zero: $(wc -l < "$T/emb_failed")"
  sed 's/^/  /' "$T/emb_failed"
fi
finish
