#!/usr/bin/env bash
# run.sh -- run the tests: unit test programs (build/tests/*), CLI test
# scripts (tests/cli_*.sh), the lint scripts (tests/lint_*.sh), the tests
# of the tests (tests/selftest_*.sh), the Python tests (gensim
# interoperability, the web page in Chromium) and, in the data mode, the
# tests on the benchmark data (tests/data_*.sh).
# Prints one PASS/FAIL/SKIP line per test and a closing
# "N passed, N failed, N skipped".
#
#   BUILD=build bash tests/run.sh            # the quick tests (make check)
#   BUILD=build bash tests/run.sh vec_test   # only tests whose name matches
#   MODE=data bash tests/run.sh              # tests/data_*.sh (make check-data)
#   MODE=slow bash tests/run.sh              # the tests marked slow
#   MODE=all bash tests/run.sh               # all of them (make check-all)
#
# Labels: tests/data_*.sh read the benchmark data in $EMB_DATA (default
# ../shared/data beside the clone) and run only in the data mode; a script
# with a line "# slow" among its first 20 lines runs only in the slow mode;
# everything else is quick (make check, which reads only tests/data/ and
# what the tests generate).
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
# The benchmark data (make check-data), an absolute path for the scripts.
EMB_DATA="${EMB_DATA:-../shared/data}"
[[ -d "$EMB_DATA" ]] && EMB_DATA=$(cd "$EMB_DATA" && pwd)
export EMB_DATA
MODE=${MODE:-check}
case "$MODE" in check|slow|data|all) ;; *) echo "run.sh: unknown MODE '$MODE' (check, slow, data or all)" >&2; exit 2 ;; esac
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

# label FILE: data, slow or check.
label() {
  case "$(basename "$1")" in data_*) echo data; return ;; esac
  if head -n 20 "$1" | grep -qx '# slow'; then echo slow; else echo check; fi
}
wanted() { [[ $MODE == all || $MODE == "$1" ]]; }

if wanted data && [[ ! -d "$EMB_DATA" ]]; then
  echo "no benchmark data in $EMB_DATA (set EMB_DATA): the data tests skip"
fi
if wanted check; then
  for t in "$BUILD"/tests/*; do
    [[ -x "$t" && -f "$t" ]] && run "$(basename "$t")" "$t"
  done
fi
for t in tests/cli_*.sh tests/lint_*.sh tests/selftest_*.sh tests/data_*.sh; do
  [[ -f "$t" ]] && wanted "$(label "$t")" && run "$(basename "$t" .sh)" bash "$t"
done
if wanted check; then
  run gensim_roundtrip /usr/bin/python3 tests/gensim_roundtrip.py "$BUILD"
  run serve_page /usr/bin/python3 tests/serve_page.py "$EMB" "$BUILD/serve-page.png"
fi

echo
[[ $failed -gt 0 ]] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
