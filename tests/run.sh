#!/usr/bin/env bash
# run.sh -- run the tests: unit test programs (build/tests/*), CLI test
# scripts (tests/cli_*.sh) and the gensim interoperability test.
# Prints one PASS/FAIL/SKIP line per test and a closing
# "N passed, N failed, N skipped".
#
#   BUILD=build bash tests/run.sh            # everything
#   BUILD=build bash tests/run.sh vec_test   # only tests whose name matches
#
# The skip rule: a test skips only when an optional dependency (a Debian
# package, or the benchmark data for `make check-data`) is absent. It then
# prints one line "SKIP: <what is missing>" and exits 77 (automake's code).
# Any other non-zero exit is a failure; a failing step of emb is never a skip.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export EMB="${EMB:-$PWD/$BUILD/emb}"
# Small data carried by the repository (tests/data/README.md).
export EMB_TESTDATA="$PWD/tests/data"
# Leaks inside system libraries that free only at exit (see the file).
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
filter="${1:-}"
passed=0 failed=0 skipped=0 failures=()
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run() { # name, command...
  local name=$1; shift
  [[ -n "$filter" && "$name" != *"$filter"* ]] && return
  local t0=$SECONDS rc=0
  "$@" >"$logdir/$name.log" 2>&1 || rc=$?
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1)); echo "PASS $name ($((SECONDS - t0)) s)"
  elif [[ $rc -eq 77 ]]; then
    skipped=$((skipped + 1))
    echo "SKIP $name: $(grep -m1 '^SKIP' "$logdir/$name.log" | sed 's/^SKIP:\? *//')"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name ($((SECONDS - t0)) s, exit $rc)"
    tail -n 30 "$logdir/$name.log" | sed 's/^/    /'
  fi
}

for t in "$BUILD"/tests/*; do
  [[ -x "$t" && -f "$t" ]] && run "$(basename "$t")" "$t"
done
for t in tests/cli_*.sh; do
  run "$(basename "$t" .sh)" bash "$t"
done
run gensim_roundtrip /usr/bin/python3 tests/gensim_roundtrip.py "$BUILD"

echo
[[ $failed -gt 0 ]] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
