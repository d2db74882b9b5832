#!/usr/bin/env bash
# cli_hostile_serve.sh -- `emb serve` against hostile or careless use
# (issue 13): start-up refusals of degenerate input and options, then
# tests/serve_hostile.py against running servers (index file truncated
# under the server, degenerate queries, Host and Content-Type checks,
# repeated JSON keys, slow-client floods from loopback).
set -u
EMB=${EMB:-build/emb}
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
bad() { # name, expected status, expected text in the message, args...
  local name=$1 want=$2 text=$3; shift 3
  timeout 60 "$EMB" serve "$@" > /dev/null 2> "$T/err"
  local st=$?
  if [[ $st -eq $want && $(wc -l < "$T/err") -eq 1 ]] && grep -q -- "$text" "$T/err"; then echo "PASS bad start: $name"
  else echo "FAIL bad start: $name (status $st, stderr: $(head -c 300 "$T/err"))"; fails=$((fails + 1)); fi
}
printf '0 2\n' > "$T/empty.txt"
printf '2 2\na 1 0\nb 0 1\n' > "$T/v.txt"
bad "empty vector file" 1 "0 vectors" "$T/empty.txt" --port 0
bad "--allow-host with a port" 2 "--allow-host" "$T/v.txt" --allow-host evil.example:80 --port 0
bad "--allow-host empty" 2 "--allow-host" "$T/v.txt" --allow-host "" --port 0
bad "--request-timeout negative" 2 "--request-timeout" "$T/v.txt" --request-timeout -1 --port 0
bad "--max-connections-per-ip not a number" 2 "--max-connections-per-ip" "$T/v.txt" --max-connections-per-ip x --port 0
/usr/bin/python3 tests/serve_hostile.py "$EMB" || fails=$((fails + 1))
echo "$fails failure(s)"
[[ $fails -eq 0 ]]
