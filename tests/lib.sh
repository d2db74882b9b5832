# lib.sh -- what every shell test shares, sourced first:
#     . "$(dirname "$0")/lib.sh"
# EMB (the binary under test), T (a scratch folder removed on exit), the
# failure count and the helpers that print PASS/FAIL lines, and `finish`,
# which prints the count and gives the script's exit status. A test that
# needs its own EXIT trap must also remove "$T" there.
set -u
EMB=${EMB:-build/emb}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
# check NAME COMMAND...: PASS when the command succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# e ARGS...: run emb; a non-zero exit status is a failure of its own.
e() { "$EMB" "$@"; local st=$?; [[ $st -eq 0 ]] || fail "emb $* exited $st"; return $st; }
# finish: the last line of a test; exit status 0 only when nothing failed.
finish() { echo "$fails failure(s)"; [[ $fails -eq 0 ]]; }
