#!/usr/bin/env bash
# cli_hostile_vectors.sh -- vector files at the edges of float32 (issue 13,
# items 11 and 12): cosine over the whole range, non-finite values refused
# with the line and word, and a .bin word holding a space named as such.
set -u
. "$(dirname "$0")/lib.sh"

# Cosine of (1e20, 1e20) and (1, 1) is 1: the squared norm overflowed float
# and the similarity came out 0. Same for tiny components and near FLT_MAX.
for v in 1e20 3e38 1e-30 1e-40; do
  printf '2 2\na %s %s\nb 1 1\n' "$v" "$v" > "$T/v.txt"
  out=$("$EMB" similarity "$T/v.txt" a b); rc=$?
  check "similarity at $v: exit 0" test $rc -eq 0
  check "similarity at $v is 1 (got $out)" test "$out" = "1.000000"
done
printf '3 2\na 1e20 1e20\nb 1 1\nc -1e20 -1e20\n' > "$T/v.txt"
"$EMB" neighbors "$T/v.txt" a -k 2 > "$T/nb"
check "neighbors at 1e20: exit 0" test $? -eq 0
check "neighbors at 1e20: b at 1, c at -1" \
  test "$(cut -f2,3 "$T/nb" | tail -2 | tr '\t\n' ' ')" = "b 1.0000 c -1.0000 "
"$EMB" index build "$T/v.txt" -o "$T/v.idx" --type flat --quiet
check "index build at 1e20" test $? -eq 0
"$EMB" search "$T/v.idx" --word a -k 1 > "$T/s"
check "search at 1e20 finds b with cosine 1" test "$(tail -1 "$T/s" | cut -f2,3)" = "$(printf 'b\t1.0000')"
# (HNSW on these 3 rows returns only c, also at scale 1: a separate bug.)
"$EMB" index build "$T/v.txt" -o "$T/h.idx" --type hnsw --quiet
check "hnsw index build at 1e20" test $? -eq 0
"$EMB" search "$T/h.idx" --word a -k 2 > "$T/s"
check "hnsw search at 1e20: scores are cosines of +-1" bash -c "tail -n +2 '$T/s' | cut -f3 | grep -qvx -- '-\?1.0000' && exit 1 || exit 0"

# Non-finite values are refused, naming the line and the word.
for v in nan inf -inf 1e39; do
  printf '2 2\na 1 1\nb 1 %s\n' "$v" > "$T/n.txt"
  "$EMB" similarity "$T/n.txt" a b > /dev/null 2> "$T/err"
  check "value $v: exit 1" test $? -eq 1
  check "value $v: names line 3 and word 'b'" grep -q "n.txt:3: value 2 of 'b' is not a finite float32" "$T/err"
done

# A .bin word holding a space: 'a b' splits into word 'a' and a vector that
# starts with "b "; the reader used to say only "NUL byte in a word".
one='\000\000\200\077'
printf "2 2\na b $one$one\nc $one$one\n" > "$T/sp.bin"
"$EMB" similarity "$T/sp.bin" c c > /dev/null 2> "$T/err"
check "bin word with a space: exit 1" test $? -eq 1
check "bin word with a space: one line" test "$(wc -l < "$T/err")" -eq 1
check "bin word with a space: names the word and the space" \
  grep -q "row 1's word 'a' seems to go on after a space ('b'), and words in a binary file cannot hold spaces" "$T/err"

finish
