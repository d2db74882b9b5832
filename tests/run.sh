#!/usr/bin/env bash
# run.sh -- run every test: unit test programs (build/tests/*), CLI test
# scripts (tests/cli_*.sh) and the gensim interoperability test.
# Prints one PASS/FAIL line per test and a closing "N passed, N failed".
#
#   BUILD=build bash tests/run.sh            # everything
#   BUILD=build bash tests/run.sh vec_test   # only tests whose name matches
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export EMB="$PWD/$BUILD/emb"
export EMB_DATA="${EMB_DATA:-$PWD/../shared/data}"
# Leaks inside system libraries that free only at exit (see the file).
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
filter="${1:-}"
passed=0 failed=0 failures=()
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run() { # name, command...
  local name=$1; shift
  [[ -n "$filter" && "$name" != *"$filter"* ]] && return
  local t0=$SECONDS
  if "$@" >"$logdir/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name ($((SECONDS - t0)) s)"
    tail -n 30 "$logdir/$name.log" | sed 's/^/    /'
  fi
}

for t in "$BUILD"/tests/*; do
  [[ -x "$t" && -f "$t" ]] && run "$(basename "$t")" "$t"
done
for t in tests/cli_*.sh; do
  run "$(basename "$t" .sh)" bash "$t"
done
if /usr/bin/python3 -c 'import gensim' 2>/dev/null; then
  run gensim_roundtrip /usr/bin/python3 tests/gensim_roundtrip.py "$BUILD"
else
  failed=$((failed + 1)); failures+=(gensim_roundtrip)
  echo "FAIL gensim_roundtrip (python3-gensim is not installed: run .ci/run or scripts/setup.sh)"
fi

echo
[[ $failed -gt 0 ]] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
