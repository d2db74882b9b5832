#!/usr/bin/env bash
# selftest_crash.sh -- a test of the tests: with EMB pointing at an `emb`
# that crashes (SIGSEGV) on every call, every CLI test script
# (tests/cli_*.sh, and tests/data_*.sh when the benchmark data is there)
# must fail: exit neither 0 (pass) nor 77 (skip). A script that passes
# with a crashing emb has a check that reads stale files or ignores an
# exit status. cli_install and cli_optional are left out: they test the
# build and the installation, building and running their own emb from the
# tree, and never run $EMB.
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '#!/bin/sh\nkill -SEGV $$\n' > "$T/emb"
chmod +x "$T/emb"
"$T/emb" --version > /dev/null 2>&1
st=$?
[[ $st -eq 139 ]] || { echo "FAIL the crashing wrapper exits $st, not 139"; exit 1; }
fails=0
for t in tests/cli_*.sh tests/data_*.sh; do
  [[ -f "$t" ]] || continue
  name=$(basename "$t" .sh)
  [[ $name == cli_install || $name == cli_optional ]] && continue
  EMB="$T/emb" timeout 300 bash "$t" > "$T/$name.log" 2>&1
  st=$?
  if [[ $st -eq 77 && $name == data_* ]]; then echo "SKIP $name: $(grep -m1 '^SKIP' "$T/$name.log")"
  elif [[ $st -eq 0 || $st -eq 77 ]]; then
    echo "FAIL $name exits $st with a crashing emb"; fails=$((fails + 1))
    grep '^PASS' "$T/$name.log" | head -5 | sed 's/^/    /'
  else echo "PASS $name fails with a crashing emb (exit $st)"; fi
done
echo "$fails failure(s)"
[[ $fails -eq 0 ]]
