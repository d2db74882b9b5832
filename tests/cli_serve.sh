#!/usr/bin/env bash
# cli_serve.sh -- `emb serve`: start-up errors (one line, right status),
# then the JSON API against a running server (tests/serve_api.py). The web
# page in headless Chromium (tests/serve_page.py) is its own test in
# tests/run.sh, so that its skip without Chromium counts as a skip.
set -u
EMB=${EMB:-build/emb}
cd "$(dirname "$0")/.."
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

printf '3 2\nalpha 1 0\nbeta 0 1\ngamma 1 1\n' > "$T/v.txt"

bad() { # name, expected status, expected text in the message, args...
  local name=$1 want=$2 text=$3; shift 3
  timeout 60 "$EMB" serve "$@" > /dev/null 2> "$T/err"
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 ]] && grep -q -- "$text" "$T/err"; then pass "bad start: $name"
  else fail "bad start: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fi
}
bad "no vectors" 2 "missing VECTORS"
bad "two files" 2 "one VECTORS" "$T/v.txt" "$T/v.txt"
bad "port out of range" 2 "--port" "$T/v.txt" --port 70000
bad "port not a number" 2 "--port" "$T/v.txt" --port 80x
bad "zero threads" 2 "--threads" "$T/v.txt" --threads 0
bad "unknown option" 2 "unknown option" "$T/v.txt" --bogus
bad "missing value" 2 "needs a value" "$T/v.txt" --port
bad "missing file" 1 "nope" "$T/nope.txt" --port 0
bad "bad host" 1 "cannot use address" "$T/v.txt" --host no.such.host.invalid --port 0
bad "missing index" 1 "idx" "$T/v.txt" --index "$T/nope.idx" --port 0
"$EMB" serve --help > "$T/help" 2>&1
check "--help prints usage and exits 0" grep -q "usage: emb serve VECTORS" "$T/help"

# A port already in use is reported with its reason.
"$EMB" serve "$T/v.txt" --port 0 --json --quiet > "$T/first.json" 2> /dev/null &
pids+=($!)
for _ in $(seq 100); do [[ -s "$T/first.json" ]] && break; kill -0 "${pids[0]}" 2> /dev/null || break; sleep 0.1; done
port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$T/first.json")
check "server prints its port" test -n "$port"
bad "port in use" 1 "in use" "$T/v.txt" --port "${port:-1}"
kill -TERM "${pids[0]}"
wait "${pids[0]}"
check "SIGTERM exits 0" test $? -eq 0
pids=()

# Every vector format emb reads is served: binary, .npy + vocabulary, gzip text.
"$EMB" convert "$T/v.txt" "$T/v.bin" > /dev/null 2>&1
"$EMB" convert "$T/v.txt" "$T/v.npy" > /dev/null 2>&1
gzip -c "$T/v.txt" > "$T/v.txt.gz"
for f in v.bin v.npy v.txt.gz; do
  "$EMB" serve "$T/$f" --port 0 --json --quiet > "$T/start.json" 2> /dev/null &
  pid=$!
  for _ in $(seq 100); do [[ -s "$T/start.json" ]] && break; kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$T/start.json")
  "$EMB" neighbors "$T/$f" alpha -k 2 --json > "$T/cli.json"
  check "serves $f: neighbours equal emb neighbors" /usr/bin/python3 -c '
import json, sys, urllib.request
got = json.load(urllib.request.urlopen("http://127.0.0.1:%s/v1/neighbors?q=alpha&k=2" % sys.argv[1], timeout=30))
want = json.load(open(sys.argv[2]))
sys.exit(0 if got["neighbors"] == want["neighbors"] else 1)' "${port:-1}" "$T/cli.json"
  kill -TERM "$pid"
  wait "$pid"
  check "serves $f: SIGTERM exits 0" test $? -eq 0
  rm -f "$T/start.json"
done

/usr/bin/python3 tests/serve_api.py "$EMB" || fails=$((fails + 1))

echo "$fails failure(s)"
[[ $fails -eq 0 ]]
