#!/usr/bin/env bash
# serve.sh -- `emb serve` under load: requests/s and p50/p99 latency of
# GET /v1/neighbors (k=10, query words rotating over the 1000 most frequent
# words) with wrk --latency, 2 wrk threads, 64 connections, server with 2
# threads; for emb with its exact scan, emb with an HNSW index (when `emb
# index build` exists), and the peer (bench/serve_peer.py: Python's
# ThreadingHTTPServer over gensim most_similar). Runs are interleaved,
# medians reported. Then a leak check: RSS of a fresh emb server after 10k
# and after 1M requests of a mix of endpoints (errors included).
#
#   bench/serve.sh [VECTORS]      (default: build/serve-bench/words.bin,
#                                  trained on ../shared/data if absent)
#   env: RUNS=3 DURATION=20 LEAK_REQUESTS=1000000 PEER=1
# Output: a table on stdout, raw numbers in bench/out/serve.json.
# Holds /tmp/emb-bench.lock for its whole run (the machine is shared).
set -eu
cd "$(dirname "$0")/.."
if [[ -z "${EMB_BENCH_LOCKED:-}" ]]; then
  export EMB_BENCH_LOCKED=1
  exec flock /tmp/emb-bench.lock "$0" "$@"
fi
RUNS=${RUNS:-3} DURATION=${DURATION:-20} LEAK_REQUESTS=${LEAK_REQUESTS:-1000000} PEER=${PEER:-1}
W=build/serve-bench
mkdir -p "$W" bench/out
make -j2 build/emb > /dev/null
V=${1:-$W/words.bin}
if [[ ! -s "$V" ]]; then
  echo "== training 100-dim word2vec vectors on ../shared/data/words/corpus.txt.gz -> $V"
  build/emb train word2vec --input ../shared/data/words/corpus.txt.gz --output "$V" --dim 100 --epochs 2 \
    --threads 2 --quiet
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; }
trap cleanup EXIT

# start_emb NAME ARGS...: start a server, set PORT_<NAME> and PID_<NAME>.
start_emb() {
  local name=$1; shift
  build/emb serve "$V" --port 0 --json --quiet --threads 2 "$@" > "$W/$name.start" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do [[ -s "$W/$name.start" ]] && break; sleep 0.1; done
  local port
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$W/$name.start")
  [[ -n "$port" ]] || { echo "server $name did not start"; exit 1; }
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

tools=(exact)
start_emb exact
INDEX=""
if build/emb index --help > /dev/null 2>&1; then
  INDEX=$W/words-hnsw.idx
  if [[ ! -s "$INDEX" || "$INDEX" -ot "$V" ]]; then
    echo "== building an HNSW index (M 16, ef_construction 200) -> $INDEX"
    build/emb index build "$V" -o "$INDEX" --type hnsw --quiet
  fi
  start_emb hnsw --index "$INDEX"
  tools+=(hnsw)
else
  echo "note: emb has no 'index' command here; HNSW runs skipped"
fi
if [[ "$PEER" == 1 ]] && /usr/bin/python3 -c 'import gensim' 2> /dev/null; then
  PORT_peer=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  /usr/bin/python3 bench/serve_peer.py "$V" "$PORT_peer" > "$W/peer.start" 2>&1 &
  PID_peer=$!
  pids+=("$PID_peer")
  for _ in $(seq 1200); do grep -q ready "$W/peer.start" 2> /dev/null && break; sleep 0.1; done
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT_peer/v1/neighbors?q=the&k=1" > /dev/null && break; sleep 0.2; done
  if curl -sf "http://127.0.0.1:$PORT_peer/v1/neighbors?q=the&k=1" > /dev/null; then
    tools+=(peer)
  else
    echo "note: the peer did not answer on port $PORT_peer (log: $(head -c 500 "$W/peer.start")); peer runs skipped"
  fi
fi

# Query words: the 1000 most frequent, from the server itself; Lua scripts.
curl -sf "http://127.0.0.1:$PORT_exact/v1/map?n=1000" | /usr/bin/python3 -c '
import json, sys, urllib.parse
words = [urllib.parse.quote(w, safe="") for w in json.load(sys.stdin)["words"]]
lua = lambda ws: "{" + ",".join("\"%s\"" % w for w in ws) + "}"
with open(sys.argv[1], "w") as f:
    f.write("local words = %s\nlocal i = 0\n" % lua(words))
    f.write("request = function()\n  i = i + 1\n"
            "  return wrk.format(\"GET\", \"/v1/neighbors?k=10&q=\" .. words[(i % #words) + 1])\nend\n")
# The leak mix: every endpoint, errors too; analogies (an exact scan) are rare.
with open(sys.argv[2], "w") as f:
    f.write("local words = %s\nlocal i = 0\n" % lua(words))
    f.write("""request = function()
  i = i + 1
  local w = words[(i % #words) + 1]
  local v = words[((i * 7) % #words) + 1]
  local r = i % 20
  if r < 9 then return wrk.format("GET", "/v1/neighbors?k=10&q=" .. w)
  elseif r < 12 then return wrk.format("GET", "/v1/similarity?a=" .. w .. "&b=" .. v)
  elseif r < 14 then return wrk.format("GET", "/v1/vector?q=" .. w)
  elseif r < 16 then return wrk.format("GET", "/v1/complete?prefix=" .. string.sub(w, 1, 2))
  elseif r == 16 then return wrk.format("GET", "/v1/neighbors?q=nosuchwordxyz")
  elseif r == 17 then return wrk.format("GET", "/v1/neighbors?q=%zz&k=0")
  elseif r == 18 then return wrk.format("POST", "/v1/analogy", {["Content-Type"] = "application/json"}, "{\\"a\\": 1")
  elseif i % 400 == 19 then
    return wrk.format("POST", "/v1/analogy", {["Content-Type"] = "application/json"},
                      "{\\"a\\":\\"" .. w .. "\\",\\"b\\":\\"" .. v .. "\\",\\"c\\":\\"" .. words[1] .. "\\"}")
  else return wrk.format("GET", "/v1/info") end
end
""")
' "$W/rotate.lua" "$W/mixed.lua"

# wrk summary -> one JSON line {rps, p50_ms, p99_ms, requests, non2xx, socket_errors}.
parse_wrk() {
  /usr/bin/python3 -c '
import json, re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s|m)", s).groups()
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[u]
p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
n = re.search(r"(\d+) requests in", t)
e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
x = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(json.dumps({"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)),
                  "p50_ms": ms(p["50"]) if p else None, "p99_ms": ms(p["99"]) if p else None,
                  "requests": int(n.group(1)),
                  "non2xx": int(x.group(1)) if x else 0,
                  "socket_errors": sum(map(int, e.groups())) if e else 0}))' "$1"
}

echo "== throughput: wrk -t2 -c64 -d${DURATION}s --latency, GET /v1/neighbors k=10, $RUNS interleaved runs"
: > "$W/runs.jsonl"
for tool in "${tools[@]}"; do # warm-up
  port_var="PORT_$tool"
  wrk -t2 -c64 -d3s -s "$W/rotate.lua" "http://127.0.0.1:${!port_var}" > /dev/null
done
for run in $(seq "$RUNS"); do
  for tool in "${tools[@]}"; do
    port_var="PORT_$tool"
    wrk -t2 -c64 -d"${DURATION}s" --latency -s "$W/rotate.lua" "http://127.0.0.1:${!port_var}" > "$W/wrk-$tool-$run.txt"
    line=$(parse_wrk "$W/wrk-$tool-$run.txt")
    echo "{\"tool\": \"$tool\", \"run\": $run, \"wrk\": $line}" >> "$W/runs.jsonl"
    echo "  run $run $tool: $line"
  done
done
for tool in "${tools[@]}"; do
  pid_var="PID_$tool"
  echo "{\"tool\": \"$tool\", \"rss_kb\": $(rss_kb "${!pid_var}")}" >> "$W/runs.jsonl"
done
# Quality: each server's top 10 for the 1000 query words against emb's exact
# scan (recall@10; 1.0 means the same words).
ports=""
for tool in "${tools[@]}"; do port_var="PORT_$tool"; ports="$ports $tool=${!port_var}"; done
/usr/bin/python3 - $ports >> "$W/runs.jsonl" << 'EOF'
import json, sys, urllib.parse, urllib.request
ports = dict(a.split("=") for a in sys.argv[1:])
def top(port, w):
    url = "http://127.0.0.1:%s/v1/neighbors?k=10&q=%s" % (port, urllib.parse.quote(w, safe=""))
    with urllib.request.urlopen(url, timeout=60) as r:
        return [n["word"] for n in json.load(r)["neighbors"]]
with urllib.request.urlopen("http://127.0.0.1:%s/v1/map?n=1000" % ports["exact"], timeout=60) as r:
    words = json.load(r)["words"]
exact = {w: top(ports["exact"], w) for w in words}
for tool, port in ports.items():
    hits = sum(len(set(top(port, w)) & set(exact[w])) for w in words)
    print(json.dumps({"tool": tool, "recall_at_10": hits / (10 * len(words))}))
EOF
for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; wait "$p" 2> /dev/null || true; done
pids=()

# ---- leak check: a fresh server, the mixed script, RSS as requests add up.
# With an index the mix runs fast enough for 1M requests in a few minutes;
# without one, the exact scan of the whole file would take an hour, so the
# server loads the first 20000 words (the code paths are the same).
leak_args=(--limit 20000)
[[ -n "$INDEX" ]] && leak_args=(--index "$INDEX")
start_emb leak "${leak_args[@]}"
echo "== leak check: RSS after 10k and after $LEAK_REQUESTS requests (mixed endpoints, ${leak_args[*]})"
total=0
: > "$W/leak.jsonl"
rss_start=$(rss_kb "$PID_leak")
while [[ $total -lt 10000 ]]; do
  wrk -t2 -c64 -d1s -s "$W/mixed.lua" "http://127.0.0.1:$PORT_leak" > "$W/wrk-leak.txt"
  total=$((total + $(parse_wrk "$W/wrk-leak.txt" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')))
done
rss_10k=$(rss_kb "$PID_leak") n_10k=$total
echo "{\"requests\": $total, \"rss_kb\": $rss_10k}" >> "$W/leak.jsonl"
echo "  after $total requests: RSS $rss_10k kB (at start $rss_start kB)"
while [[ $total -lt $LEAK_REQUESTS ]]; do
  wrk -t2 -c64 -d15s -s "$W/mixed.lua" "http://127.0.0.1:$PORT_leak" > "$W/wrk-leak.txt"
  total=$((total + $(parse_wrk "$W/wrk-leak.txt" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')))
  rss=$(rss_kb "$PID_leak")
  echo "{\"requests\": $total, \"rss_kb\": $rss}" >> "$W/leak.jsonl"
  echo "  after $total requests: RSS $rss kB"
done
kill -TERM "$PID_leak"
wait "$PID_leak"
leak_status=$?
pids=()
echo "  server exit status after SIGTERM: $leak_status"

/usr/bin/python3 - "$W/runs.jsonl" "$W/leak.jsonl" "$V" "$INDEX" "$RUNS" "$DURATION" "$rss_start" "$n_10k" \
  "$leak_status" << 'EOF'
import json, statistics, sys, time, platform
runs_p, leak_p, vec, index, n_runs, duration, rss_start, n_10k, leak_status = sys.argv[1:]
rows = [json.loads(l) for l in open(runs_p)]
leak = [json.loads(l) for l in open(leak_p)]
names = {"exact": "emb serve, exact scan", "hnsw": "emb serve --index (HNSW M16)",
         "peer": "Python http.server + gensim most_similar"}
out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "vectors": vec, "index": index or None,
       "wrk": "wrk -t2 -c64 -d%ss --latency, GET /v1/neighbors?k=10, 1000 rotating words" % duration,
       "server_threads": 2, "runs": int(n_runs), "tools": {}, "leak": {}}
print()
print("| server | requests/s | p50 ms | p99 ms | errors | RSS MB | recall@10 vs exact |")
print("|---|---:|---:|---:|---:|---:|---:|")
base = None
for tool in ("exact", "hnsw", "peer"):
    r = [x["wrk"] for x in rows if x.get("tool") == tool and "wrk" in x]
    if not r:
        continue
    rss = [x["rss_kb"] for x in rows if x.get("tool") == tool and "rss_kb" in x][0]
    med = {k: statistics.median(x[k] for x in r) for k in ("rps", "p50_ms", "p99_ms")}
    errs = sum(x["non2xx"] + x["socket_errors"] for x in r)
    rec = [x["recall_at_10"] for x in rows if x.get("tool") == tool and "recall_at_10" in x]
    out["tools"][tool] = {"median": med, "runs": r, "rss_kb": rss, "errors": errs,
                          "recall_at_10": rec[0] if rec else None}
    print("| %s | %.0f | %.2f | %.2f | %d | %.0f | %s |" % (names[tool], med["rps"], med["p50_ms"], med["p99_ms"],
                                                            errs, rss / 1024, "%.3f" % rec[0] if rec else "-"))
if "peer" in out["tools"]:
    for tool in ("exact", "hnsw"):
        if tool in out["tools"]:
            ratio = out["tools"][tool]["median"]["rps"] / out["tools"]["peer"]["median"]["rps"]
            out["tools"][tool]["rps_vs_peer"] = ratio
            print("%s: %.1fx the peer's requests/s" % (names[tool], ratio))
first, last = leak[0], leak[-1]
out["leak"] = {"rss_start_kb": int(rss_start), "samples": leak, "rss_10k_kb": first["rss_kb"],
               "requests_10k": int(n_10k), "rss_end_kb": last["rss_kb"], "requests_end": last["requests"],
               "growth_kb": last["rss_kb"] - first["rss_kb"], "exit_status_sigterm": int(leak_status)}
print("leak check: RSS %d kB after %d requests, %d kB after %d (growth %+d kB); SIGTERM exit %s"
      % (first["rss_kb"], int(n_10k), last["rss_kb"], last["requests"], last["rss_kb"] - first["rss_kb"], leak_status))
json.dump(out, open("bench/out/serve.json", "w"), indent=1)
print("raw results: bench/out/serve.json")
EOF
