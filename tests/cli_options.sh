#!/usr/bin/env bash
# cli_options.sh -- the contract of the one option parser (cli/opt.c) that
# every command uses: usage errors are one line "emb CMD: ..." and exit 2
# (unknown option, missing value, out-of-range number, bad enum word, value
# given to a flag, wrong positionals); --opt=value equals --opt value; an
# option given twice keeps the last value, a repeatable one keeps all; and
# every command's --help is generated from its table: it lists every option
# the command takes (--list-options prints the table).
set -u
. "$(dirname "$0")/lib.sh"

# usage NAME TEXT ARGS...: exit 2, one line on stderr starting "emb ", containing TEXT.
usage() {
  local name=$1 text=$2; shift 2
  "$EMB" "$@" > "$T/out" 2> "$T/err"
  local st=$?
  if [[ $st -eq 2 && $(wc -l < "$T/err") -eq 1 ]] && grep -q '^emb ' "$T/err" && grep -qF -- "$text" "$T/err"; then
    pass "$name"
  else
    fail "$name (exit $st, stderr: $(head -c 300 "$T/err"))"
  fi
}
# ok NAME ARGS...: exit 0.
ok() { local name=$1; shift; if "$EMB" "$@" > "$T/out" 2> "$T/err"; then pass "$name"; else
  fail "$name (exit $?, stderr: $(head -c 300 "$T/err"))"; fi; }

cat > "$T/v.txt" <<'EOF'
4 2
a 1 0
b 0.9 0.1
c 0 1
d 0.1 0.9
EOF

# ---- errors -----------------------------------------------------------------
usage "unknown option" "unknown option '--bogus' (see emb convert --help)" convert "$T/v.txt" "$T/o.txt" --bogus
usage "unknown option=value names the option" "unknown option '--bogus'" convert "$T/v.txt" "$T/o.txt" --bogus=1
usage "unknown short option" "unknown option '-z'" neighbors "$T/v.txt" a -z
usage "missing value" "option '--limit' needs a value" convert "$T/v.txt" "$T/o.txt" --limit
usage "missing value (short)" "option '-k' needs a value" neighbors "$T/v.txt" a -k
usage "value for a flag" "option '--normalize' takes no value" convert "$T/v.txt" "$T/o.txt" --normalize=yes
usage "int out of range" "--top must be between 1 and" neighbors "$T/v.txt" a -k 0
usage "int not a number" "--limit expects an integer, got '3x'" convert "$T/v.txt" "$T/o.txt" --limit 3x
usage "double out of range" "--theta must be between 0 and 1, got 2" project "$T/v.txt" -o "$T/m.tsv" --theta 2
usage "double not a number" "--perplexity expects a number, got 'abc'" project "$T/v.txt" -o "$T/m.tsv" --perplexity abc
usage "bad enum word" "--duplicates must be sum or first, got 'max'" train deepwalk --input "$T/v.txt" --output "$T/o.txt" --duplicates max
usage "bad three-word enum" "--order must be one of 1, 2 or both, got '3'" train line --input "$T/v.txt" --output "$T/o.txt" --order 3
usage "bad two-word enum" "--init must be pca or random, got 'zero'" project "$T/v.txt" -o "$T/m.tsv" --init zero
usage "bad seed" "--seed expects a non-negative integer, got '-1'" eval nodes "$T/v.txt" "$T/l.tsv" --seed -1
usage "too few arguments" "expected INPUT and OUTPUT, got 1 argument" convert "$T/v.txt" --limit 2
usage "too many arguments" "unexpected argument 'x'" convert "$T/v.txt" "$T/o.txt" x
usage "unknown sub-command" "unknown model 'glove'" train glove
usage "unknown kind" "unknown benchmark 'ranking'" eval ranking
[[ ! -e $T/o.txt && ! -e $T/m.tsv ]] && pass "no output after a usage error" || fail "a usage error wrote a file"

# ---- values -----------------------------------------------------------------
ok "--opt value" convert "$T/v.txt" "$T/o1.txt" --limit 2 --quiet
ok "--opt=value" convert "$T/v.txt" "$T/o2.txt" --limit=2 --quiet
ok "options before the positionals" convert --limit 2 --quiet "$T/v.txt" "$T/o3.txt"
cmp -s "$T/o1.txt" "$T/o2.txt" && cmp -s "$T/o1.txt" "$T/o3.txt" && [[ $(head -1 "$T/o1.txt") == "2 2" ]] &&
  pass "same result, 2 rows" || fail "--opt=value, --opt value and option order differ: $(head -1 "$T/o1.txt") $(head -1 "$T/o2.txt")"
ok "repeated option" convert "$T/v.txt" "$T/o4.txt" --limit 3 --limit 1 --quiet
[[ $(head -1 "$T/o4.txt") == "1 2" ]] && pass "repeated option: the last value wins" || fail "repeated option: $(head -1 "$T/o4.txt")"
ok "short option glued to its value" neighbors "$T/v.txt" a -k1
[[ $(grep -c $'^1\t' "$T/out") -eq 1 && $(wc -l < "$T/out") -eq 2 ]] && pass "-k1 = -k 1" || fail "-k1: $(cat "$T/out")"
ok "unique prefix of a long option" neighbors "$T/v.txt" a --to 1
ok "-- ends the options" convert --quiet -- "$T/v.txt" "$T/o5.txt"
"$EMB" index build "$T/v.txt" -o "$T/v.idx" --quiet || fail "index build exited $?"
ok "repeatable option" search "$T/v.idx" --word a --word c -k 1 --quiet
[[ $(grep -c '^# ' "$T/out") -eq 2 ]] && pass "repeatable option: every value kept" || fail "--word twice: $(cat "$T/out")"

# ---- help -------------------------------------------------------------------
ok "emb help --help" help --help
grep -q '^commands:' "$T/out" && pass "emb help --help prints the command list" || fail "emb help --help output"
ok "emb train --help" train --help
for m in word2vec deepwalk node2vec line kge; do
  grep -qE "^  $m " "$T/out" && pass "train --help lists $m" || fail "train --help does not list $m"
done
ok "emb eval --help" eval --help
for k in analogy similarity nodes links kge; do
  grep -qE "^  $k " "$T/out" && pass "eval --help lists $k" || fail "eval --help does not list $k"
done
"$EMB" train > /dev/null 2>&1; [[ $? -eq 2 ]] && pass "bare emb train exits 2" || fail "bare emb train exit status"

# Every page: --help exits 0 and shows every option of --list-options
# (aliases, marked so, are named in another option's line instead).
subs() { awk '/^(models|kinds|subcommands):$/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { f = 0 }'; }
pages=()
for c in $("$EMB" help | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { f = 0 }'); do
  [[ $c == help ]] && continue
  if [[ $("$EMB" --version) == *"-$c"* ]]; then echo "note: $c is not in this build"; continue; fi
  "$EMB" "$c" --help > "$T/page" 2>&1 || { fail "emb $c --help exit status"; continue; }
  s=$(subs < "$T/page")
  if [[ -n $s ]]; then for x in $s; do pages+=("$c $x"); done; else pages+=("$c"); fi
done
for p in "${pages[@]}"; do
  # shellcheck disable=SC2086
  "$EMB" $p --help > "$T/page" 2>&1 || { fail "emb $p --help exit status"; continue; }
  # shellcheck disable=SC2086
  "$EMB" $p --list-options > "$T/list" 2>&1 || { fail "emb $p --list-options exit status"; continue; }
  missing=""
  while read -r o kind; do
    [[ $kind == alias ]] && continue
    grep -qE -- "(^|[ ,])$o([ ,=]|$)" "$T/page" || missing+=" $o"
  done < "$T/list"
  [[ -s $T/list && -z $missing ]] && pass "emb $p --help lists its $(wc -l < "$T/list") options" ||
    fail "emb $p --help misses:$missing"
done
[[ ${#pages[@]} -ge 20 ]] && pass "${#pages[@]} pages checked" || fail "only ${#pages[@]} pages found"

finish
