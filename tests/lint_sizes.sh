#!/usr/bin/env bash
# lint_sizes.sh -- no library or CLI source file over 1000 lines and no
# function over 120 lines, tests excluded (issue "Foundation 2";
# scripts/check-sizes.sh prints nothing and exits 0). Then the checker is
# shown to catch, in a copy of the tree, a function of 121 lines (one-line
# and multi-line signatures) and a file of 1001 lines, and to let a
# function of exactly 120 lines and a long test function pass.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

sh scripts/check-sizes.sh > "$T/out" 2>&1
rc=$?
if [[ $rc -eq 0 && ! -s $T/out ]]; then pass "the tree keeps the size limits"
else fail "the tree breaks the size limits (exit $rc):"; cat "$T/out"; fi

fresh() { rm -rf "$T/tree"; mkdir -p "$T/tree"; cp -r src cli include scripts "$T/tree/"; }
# body N: N statement lines
body() { for ((i = 0; i < $1; i++)); do echo "    x += $i;"; done; }
check_copy() { # name, expected exit, expected text ('' = no output)
  EMB_ROOT="$T/tree" sh "$T/tree/scripts/check-sizes.sh" > "$T/out" 2>&1
  local rc=$?
  if [[ $rc -eq $2 ]] && { [[ -z $3 && ! -s $T/out ]] || { [[ -n $3 ]] && grep -qF -- "$3" "$T/out"; }; }; then
    pass "$1"
  else fail "$1 (exit $rc, output: $(head -c 300 "$T/out"))"; fi
}

fresh
check_copy "the copy passes" 0 ''
{ echo 'int long_one(int x) {'; body 121; echo '    return x;'; echo '}'; } >> "$T/tree/src/core/rng.c"
check_copy "catches a function of 122 lines" 1 "function of 122 lines (max 120): int long_one"
fresh
{ echo 'int just_fits(int x) {'; body 119; echo '    return x;'; echo '}'; } >> "$T/tree/src/core/rng.c"
check_copy "lets a function of 120 lines pass" 0 ''
fresh
{ echo 'static int wrapped(const char *name,'; echo '                   int x) {'; body 121; echo '    return x;'; echo '}'; } >> "$T/tree/cli/emb.c"
check_copy "catches a long function with a wrapped signature" 1 "static int wrapped(const char *name,"
fresh
{ echo 'int long_test(int x) {'; body 200; echo '    return x;'; echo '}'; } >> "$T/tree/src/core/rng_test.c"
check_copy "leaves tests alone" 0 ''
fresh
n=$(wc -l < "$T/tree/src/core/rng.c")
for ((i = n; i < 1001; i++)); do echo "/* pad */"; done >> "$T/tree/src/core/rng.c"
check_copy "catches a file of 1001 lines" 1 "src/core/rng.c: 1001 lines (max 1000)"

echo
if [[ $fails -gt 0 ]]; then echo "lint_sizes: $fails failed"; exit 1; fi
echo "lint_sizes: all passed"
