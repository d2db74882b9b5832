#!/usr/bin/env bash
# cli_eval.sh -- `emb neighbors`, `emb analogy`, `emb similarity` and
# `emb eval` on a tiny hand-made vector file whose answers are known:
# values, --json output, stdin mode, exit codes and messages.
set -u
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# o ARGS...: run emb for its output; a non-zero exit adds a line that no
# expected output has, so the comparison fails.
o() { "$EMB" "$@"; local st=$?; [[ $st -eq 0 ]] || echo "[emb exited $st]"; }
# same NAME EXPECTED ACTUAL: exact text comparison, showing both on failure.
same() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else
    fail "$1"; printf '  expected:\n%s\n  got:\n%s\n' "$2" "$3" | sed 's/^/    /'; fi
}
# status NAME EXPECTED COMMAND...: exit status of a command.
status() { local name=$1 want=$2; shift 2; "$@" >"$T/out" 2>"$T/err"; local got=$?
  if [[ $got -eq $want ]]; then pass "$name"; else fail "$name (exit $got, want $want)"; sed 's/^/    /' "$T/err"; fi; }
# json NAME PYTHON-EXPR < input: every line parses as JSON and the
# expression (over `d`, the list of parsed lines) holds.
json() { if $PY -c "
import json, sys
d = [json.loads(l) for l in sys.stdin if l.strip()]
assert $2, d"; then pass "$1"; else fail "$1"; fi; }

# Dimensions: male, female, royal, common, felid, canid. By construction
# king - man + woman = queen exactly, and cos(cat, dog) = .8,
# cos(cat, tiger) = .6, cos(dog, tiger) = .96, cos(man, woman) = .5.
cat > "$T/v.txt" <<'EOF'
7 6
man 1 0 0 1 0 0
woman 0 1 0 1 0 0
king 1 0 1 0 0 0
queen 0 1 1 0 0 0
cat 0 0 0 0 1 0
dog 0 0 0 0 0.8 0.6
tiger 0 0 0 0 0.6 0.8
EOF
V="$T/v.txt"

# ---- neighbors -------------------------------------------------------------
same "neighbors values" "$(printf '# cat\n1\tdog\t0.8000\n2\ttiger\t0.6000')" "$(o neighbors "$V" cat -k 2)"
same "neighbors several words, options after them" \
  "$(printf '# dog\n1\ttiger\t0.9600\n# Cat\n1\tdog\t0.8000')" "$(o neighbors "$V" dog Cat -k 1 --threads 1)"
# A phrase is the sum of unit vectors, its words excluded: (1.8, .6) . (.6, .8) / |(1.8, .6)| = .8222
same "neighbors phrase" "$(printf '# cat dog\n1\ttiger\t0.8222')" "$(o neighbors "$V" "cat dog" -k 1)"
e neighbors "$V" cat king -k 3 --json > "$T/n.json"
check "neighbors --json is JSON lines" $PY -m json.tool --json-lines "$T/n.json" /dev/null
json "neighbors --json values" 'len(d) == 2 and d[0]["query"] == "cat" and [n["word"] for n in d[0]["neighbors"]][:2] == ["dog", "tiger"] and abs(d[0]["neighbors"][0]["score"] - 0.8) < 1e-6 and len(d[1]["neighbors"]) == 3' < "$T/n.json"
status "neighbors unknown word exits 1" 1 "$EMB" neighbors "$V" cat xyz
same "neighbors unknown word message" "emb neighbors: 'xyz' is not in the vocabulary" "$(cat "$T/err")"
check "neighbors unknown word prints nothing" test ! -s "$T/out"
printf 'cat\nxyz\n\ndog\n' | "$EMB" neighbors "$V" -k 1 > "$T/out" 2> "$T/err"; rc=$?
same "neighbors stdin goes on after an unknown word" "$(printf '# cat\n1\tdog\t0.8000\n# dog\n1\ttiger\t0.9600')" "$(cat "$T/out")"
check "neighbors stdin unknown word: exit 1, one message" test $rc -eq 1 -a "$(wc -l < "$T/err")" -eq 1
e neighbors "$V" -k 2 --json > "$T/s.json" < <(printf 'cat\ndog\n')
json "neighbors stdin --json: one object per line" 'len(d) == 2 and d[1]["query"] == "dog"' < "$T/s.json"

# ---- analogy ---------------------------------------------------------------
e analogy "$V" man king woman -k 1 > "$T/a.txt"
# 3CosMul: cos' of queen with king and woman .75, with man .5: .5625 / .501 = 1.1228
same "analogy both methods" "$(printf '# man : king :: woman : ?\nrank\t3CosAdd\tscore\t3CosMul\tscore\n1\tqueen\t1.0000\tqueen\t1.1228')" "$(cat "$T/a.txt")"
same "analogy --method add" "$(printf '# king : man :: queen : ?\nrank\t3CosAdd\tscore\n1\twoman\t1.0000')" \
  "$(o analogy "$V" king man queen -k 1 --method add)"
e analogy "$V" man king woman --json -k 2 > "$T/a.json"
json "analogy --json" 'd[0]["a"] == "man" and d[0]["add"][0]["word"] == "queen" and d[0]["mul"][0]["word"] == "queen" and len(d[0]["add"]) == 2 and abs(d[0]["mul"][0]["score"] - 0.5625 / 0.501) < 1e-5' < "$T/a.json"
printf 'man king woman\nman king\nman king xyz\nking man queen\n' | "$EMB" analogy "$V" -k 1 --method mul > "$T/out" 2> "$T/err"; rc=$?
check "analogy stdin answers good lines" test "$(grep -c '^1	' "$T/out")" -eq 2
check "analogy stdin reports bad lines, exits 1" test $rc -eq 1 -a "$(wc -l < "$T/err")" -eq 2
status "analogy unknown word exits 1" 1 "$EMB" analogy "$V" man king xyz
same "analogy unknown word message" "emb analogy: 'xyz' is not in the vocabulary" "$(cat "$T/err")"

# ---- similarity ------------------------------------------------------------
same "similarity value" "0.800000" "$(o similarity "$V" cat dog)"
same "similarity folds case" "0.960000" "$(o similarity "$V" DOG Tiger)"
e similarity "$V" man woman --json > "$T/sim.json"
json "similarity --json" 'd[0]["w1"] == "man" and abs(d[0]["similarity"] - 0.5) < 1e-6' < "$T/sim.json"
same "similarity stdin" "$(printf 'cat\ttiger\t0.600000\ndog\ttiger\t0.960000')" "$(printf 'cat tiger\ndog\ttiger\n' | o similarity "$V")"
status "similarity unknown word exits 1" 1 "$EMB" similarity "$V" cat xyz
same "similarity unknown word message" "emb similarity: 'xyz' is not in the vocabulary" "$(cat "$T/err")"

# ---- eval analogy ----------------------------------------------------------
cat > "$T/q.txt" <<'EOF'
: family
man king woman queen
king man queen woman
man woman king queen
man king woman cat
: gram-animals
cat dog tiger unicorn
Man King Woman Queen
EOF
e eval analogy "$V" "$T/q.txt" --json > "$T/e.json"; rc=$?
check "eval analogy runs" test $rc -eq 0
check "eval analogy --json is JSON" $PY -m json.tool "$T/e.json" /dev/null
json "eval analogy values" 'd[0]["correct"] == 4 and d[0]["covered"] == 5 and d[0]["total"] == 6 and abs(d[0]["accuracy"] - 0.8) < 1e-12 and [s["name"] for s in d[0]["sections"]] == ["family", "gram-animals"] and d[0]["semantic"]["correct"] == 3 and d[0]["semantic"]["covered"] == 4 and d[0]["syntactic"]["total"] == 2 and d[0]["syntactic"]["covered"] == 1' < "$T/e.json"
e eval analogy "$V" "$T/q.txt" --method mul --threads 2 > "$T/e.txt"
check "eval analogy table: sections" grep -Eq '^family +3 +4 +4 +75.00%$' "$T/e.txt"
check "eval analogy table: total" grep -Eq '^total +4 +5 +6 +80.00%$' "$T/e.txt"
check "eval analogy table: coverage" grep -q 'coverage: 5 of 6 questions (83.33%); 3CosMul' "$T/e.txt"
json "eval analogy --restrict" 'd[0]["covered"] == 0 and d[0]["total"] == 6 and d[0]["restrict"] == 3' < <(o eval analogy "$V" "$T/q.txt" --restrict 3 --json)
printf ': s\nman king woman queen\nman king woman\n' > "$T/bad.txt"
status "eval analogy malformed line exits 1" 1 "$EMB" eval analogy "$V" "$T/bad.txt"
check "eval analogy malformed line message names the line" grep -q "bad.txt:3:" "$T/err"
: > "$T/empty.txt"
status "eval analogy empty file exits 1" 1 "$EMB" eval analogy "$V" "$T/empty.txt"
status "eval analogy missing file exits 1" 1 "$EMB" eval analogy "$V" "$T/nope.txt"

# ---- eval similarity -------------------------------------------------------
printf 'cat\tdog\t8\ncat\ttiger\t6\ndog\ttiger\t9\ncat\tcar\t1\nman woman 3\n' > "$T/p1.tsv"
printf 'cat dog 1\ncat tiger 3\ndog tiger 0\nman woman 2\n' > "$T/p2.tsv"
e eval similarity "$V" "$T/p1.tsv" --json > "$T/p.json"
check "eval similarity --json is JSON" $PY -m json.tool "$T/p.json" /dev/null
json "eval similarity values" 'abs(d[0]["spearman"] - 1.0) < 1e-12 and d[0]["found"] == 4 and d[0]["total"] == 5' < "$T/p.json"
# p2 human ranks (2, 4, 1, 3) vs cosine ranks (3, 2, 4, 1): rho = -4 / 5
json "eval similarity several files" 'len(d[0]["files"]) == 2 and abs(d[0]["files"][1]["spearman"] + 0.8) < 1e-12' \
  < <(o eval similarity "$V" "$T/p1.tsv" "$T/p2.tsv" --json)
e eval similarity "$V" "$T/p1.tsv" > "$T/p1.txt"
check "eval similarity table" grep -Eq '^[^ ]*p1.tsv +1.0000 +[0-9.]+ +4 +5$' "$T/p1.txt"
printf 'cat dog 8\ncat tiger lots\n' > "$T/p3.tsv"
status "eval similarity bad score exits 1" 1 "$EMB" eval similarity "$V" "$T/p3.tsv"
check "eval similarity bad score message names the line" grep -q "p3.tsv:2:" "$T/err"

# ---- usage -----------------------------------------------------------------
for c in neighbors analogy similarity eval; do
  status "$c --help exits 0" 0 "$EMB" $c --help
  check "$c --help prints usage on stdout" grep -q "^usage: emb $c" "$T/out"
done
status "eval analogy --help exits 0" 0 "$EMB" eval analogy --help
status "bad option exits 2" 2 "$EMB" neighbors "$V" cat --bogus
check "bad option message is one line" test "$(wc -l < "$T/err")" -eq 1
status "-k 0 exits 2" 2 "$EMB" neighbors "$V" cat -k 0
status "-k abc exits 2" 2 "$EMB" neighbors "$V" cat -k abc
status "-k without value exits 2" 2 "$EMB" neighbors "$V" cat -k
status "neighbors without VECTORS exits 2" 2 "$EMB" neighbors
status "analogy with two words exits 2" 2 "$EMB" analogy "$V" man king
status "analogy --method bad exits 2" 2 "$EMB" analogy "$V" man king woman --method sum
status "similarity with one word exits 2" 2 "$EMB" similarity "$V" cat
status "similarity -k exits 2" 2 "$EMB" similarity "$V" cat dog -k 3
status "eval unknown benchmark exits 2" 2 "$EMB" eval ranking "$V"
status "eval without benchmark exits 2" 2 "$EMB" eval
status "eval analogy --limit exits 2" 2 "$EMB" eval analogy "$V" "$T/q.txt" --limit 3
status "eval analogy --restrict -1 exits 2" 2 "$EMB" eval analogy "$V" "$T/q.txt" --restrict -1
status "eval similarity without PAIRS exits 2" 2 "$EMB" eval similarity "$V"
status "missing vectors file exits 1" 1 "$EMB" neighbors "$T/nope.txt" cat

echo
if [[ $fails -gt 0 ]]; then echo "cli_eval: $fails failed"; exit 1; fi
echo "cli_eval: all passed"
