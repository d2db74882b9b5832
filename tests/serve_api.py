"""serve_api.py -- the JSON API of `emb serve` against a running server:
status codes, JSON shapes, answers equal to `emb neighbors` / `emb
analogy` / `emb similarity` on the same file, concurrent clients,
malformed requests (huge headers and bodies, invalid UTF-8, bad
percent-encoding, bad JSON, missing parameters, k out of range, raw
garbage, idle connections), and a clean shutdown afterwards.

usage: serve_api.py EMB"""
import http.client
import json
import math
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import Checks, get_json, request, start_server, stop_server, write_fixture  # noqa: E402

EMB = sys.argv[1]
t = Checks()


def cli_json(*args):
    out = subprocess.run([EMB] + list(args) + ["--json"], capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def same_results(got, want, tol=1e-6):
    return len(got) == len(want) and all(
        g["word"] == w["word"] and abs(g["score"] - w["score"]) <= tol for g, w in zip(got, want))


def raw(port, data, read_timeout=10):
    """Send bytes on a raw socket; return what comes back until close or timeout.
    The bytes go in 4 KiB pieces, and sending stops once the server has
    answered, so an early answer (413, 414, 431) is read before the server's
    close of a socket with unread data turns into a reset that loses it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        try:
            for i in range(0, len(data), 4096):
                s.sendall(data[i:i + 4096])
                # Past the server's 32 KiB of header room, give it time to answer.
                wait = 1.0 if i == 40960 else 0
                if select.select([s], [], [], wait)[0]:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out and len(out) > 4096:
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        return out
    finally:
        s.close()


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def healthy(port):
    try:
        return get_json(port, "/healthz") == (200, {"status": "ok"})
    except OSError:
        return False


def main():
    tmp = tempfile.mkdtemp(prefix="emb-serve-api-")
    vec = os.path.join(tmp, "vecs.txt")
    words = write_fixture(vec)
    texts = [w.decode("utf-8", "replace") for w in words]
    server = None
    try:
        server, port = start_server(EMB, vec, "--threads", "4", "--timeout", "2", "--max-k", "100",
                                    "--max-body", "65536", "--map-size", "300")
        run_all(port, vec, words, texts)
        rc, err = stop_server(server)
        server = None
        t.check("SIGTERM: exit status 0", rc == 0, "status %s, stderr %s" % (rc, err[-3000:]))
        # SIGINT as well, and while a client holds a connection open.
        server, port = start_server(EMB, vec, "--threads", "2")
        hold = socket.create_connection(("127.0.0.1", port))
        hold.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # unfinished request
        time.sleep(0.2)
        t0 = time.time()
        rc, err = stop_server(server, signal.SIGINT)
        server = None
        hold.close()
        t.check("SIGINT with an open connection: exit 0 within 5 s", rc == 0 and time.time() - t0 < 5,
                "status %s, %.1f s, %s" % (rc, time.time() - t0, err[-2000:]))
        server = None
        connection_limit(vec)
        index_tests(tmp, vec, words)
    finally:
        if server:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


def connection_limit(vec):
    """--max-connections: past the limit new connections are turned away;
    once the idle ones go, the server answers again."""
    # No request deadline here: it would free the held slots (tested in
    # serve_hostile.py).
    # The idle timeout (8 s) outlasts the refused request's wait (0.3 + 2 s);
    # closed half-sent connections keep their slots until it (libmicrohttpd),
    # so it also bounds the wait for "answers again".
    server, port = start_server(EMB, vec, "--threads", "2", "--max-connections", "4", "--timeout", "8",
                                "--request-timeout", "0")
    try:
        held = []
        for _ in range(8):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\n")  # unfinished
                held.append(s)
            except OSError:
                pass
        time.sleep(0.3)
        try:  # a server over its limit never answers: wait 2 s, not the default 30
            refused = request(port, "/healthz", timeout=2)[0] != 200
        except (OSError, http.client.HTTPException):
            refused = True
        t.check("--max-connections 4: a request beyond the limit is turned away", refused)
        for s in held:
            s.close()
        time.sleep(0.5)
        t.check("--max-connections 4: answers again once connections close", healthy(port))
    finally:
        rc, err = stop_server(server)
        t.check("--max-connections: clean stop", rc == 0, err[-1000:])


def build_index(vec, out, kind, metric="cosine"):
    """Build an index with `emb index build`. A failed build is a test
    failure (reported here), never a skip; returns whether it worked."""
    cmd = [EMB, "index", "build", vec, "-o", out, "--type", kind, "--metric", metric,
        "--threads", "1"]  # one thread: the same index every run
    if os.environ.get("EMB_INDEX_TOOL"):  # a stand-in builder: TOOL VECTORS OUT TYPE METRIC
        cmd = [os.environ["EMB_INDEX_TOOL"], vec, out, kind, metric]
    r = subprocess.run(cmd, capture_output=True)
    t.check("emb index build --type %s --metric %s: exit 0" % (kind, metric), r.returncode == 0,
            (r.returncode, r.stderr.decode()[:300].strip()))
    return r.returncode == 0


def read_vectors(vec):
    """{word bytes: [floats]} from the fixture's text file."""
    rows = {}
    with open(vec, "rb") as f:
        for line in f.read().split(b"\n")[1:]:
            if line.strip():
                parts = line.split(b" ")
                rows[parts[0]] = [float(x) for x in parts[1:]]
    return rows


def cosine(a, b):
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    return sum(x * y for x, y in zip(a, b)) / (na * nb)


def brute_force_scores(vec, words, idx, kind):
    """/v1/neighbors and /v1/search through a cosine index: every score equals
    the cosine computed here in double precision to 1e-5, scores come best
    first, and the best answer is the brute-force best. Queries of length
    other than 1 (a phrase, a word's vector scaled by 3, random vectors)
    show whether the index normalises the query."""
    rows = read_vectors(vec)
    by_text = {w.decode("utf-8", "replace"): v for w, v in rows.items()}
    server, port = start_server(EMB, vec, "--index", idx)
    bad = []

    def compare(name, q, got, exclude=()):
        if len(got) != 10:
            bad.append((name, "got %d answers" % len(got)))
            return
        truth = sorted(((cosine(q, v), w) for w, v in by_text.items() if w not in exclude), reverse=True)
        for n in got:
            want = cosine(q, by_text[n["word"]])
            if abs(n["score"] - want) > 1e-5:
                bad.append((name, n["word"], n["score"], want))
        scores = [n["score"] for n in got]
        if scores != sorted(scores, reverse=True):
            bad.append((name, "not best first", scores))
        if abs(got[0]["score"] - truth[0][0]) > 1e-5:
            bad.append((name, "best", got[0], truth[0]))

    try:
        for w in ("c0w0", "c7w3", "King", "c19w19"):
            st, got = get_json(port, "/v1/neighbors?q=%s&k=10" % w)
            compare("neighbors " + w, by_text[w], got["neighbors"] if st == 200 else [], exclude=(w,))
        for a, b in (("c1w1", "c2w2"), ("c3w0", "c3w5")):
            st, got = get_json(port, "/v1/neighbors?q=%s+%s&k=10" % (a, b))
            ua = [x / math.sqrt(sum(y * y for y in by_text[a])) for x in by_text[a]]
            ub = [x / math.sqrt(sum(y * y for y in by_text[b])) for x in by_text[b]]
            compare("phrase %s %s" % (a, b), [x + y for x, y in zip(ua, ub)],
                    got["neighbors"] if st == 200 else [], exclude=(a, b))
        rng = random.Random(7)
        queries = [("3 x c3w4", [3 * x for x in by_text["c3w4"]])]
        queries += [("random %d" % i, [rng.gauss(0, 5) for _ in range(16)]) for i in range(4)]
        for name, q in queries:
            st, got = get_json(port, "/v1/search", "POST", {"vector": q, "k": 10})
            compare("search " + name, q, got["neighbors"] if st == 200 else [])
        t.check("--index %s: /v1/neighbors and /v1/search scores equal brute-force cosine to 1e-5" % kind,
                not bad, bad[:4])
    finally:
        rc, err = stop_server(server)
        t.check("--index %s: clean stop after the score checks" % kind, rc == 0, err[-1000:])


def index_tests(tmp, vec, words):
    """--index: answers through emb_index_search, and a clear start-up
    error when the index does not belong to the vectors."""
    flat = os.path.join(tmp, "flat.idx")
    if not build_index(vec, flat, "flat"):
        return
    probe = ["c0w0", "c4w2", "c11w7", "King", "c19w19"]
    server, port = start_server(EMB, vec)
    exact = {w: get_json(port, "/v1/neighbors?q=%s&k=10" % w)[1]["neighbors"] for w in probe}
    stop_server(server)
    server, port = start_server(EMB, vec, "--index", flat)
    st, info = get_json(port, "/v1/info")
    t.check("--index flat: info names the index", st == 200 and info["index"] == {"type": "flat", "metric": "cosine"},
            info)
    bad = [w for w in probe if not same_results(get_json(port, "/v1/neighbors?q=%s&k=10" % w)[1]["neighbors"],
                                                exact[w], 1e-5)]
    t.check("--index flat: neighbours equal the exact search", not bad, bad)
    st, got = get_json(port, "/v1/search", "POST", {"vector": [0.3] * 16, "k": 4})
    t.check("--index flat: /v1/search answers", st == 200 and len(got["neighbors"]) == 4, got)
    rc, err = stop_server(server)
    t.check("--index flat: clean stop", rc == 0, err[-1000:])

    brute_force_scores(vec, words, flat, "flat")

    hnsw = os.path.join(tmp, "hnsw.idx")
    if build_index(vec, hnsw, "hnsw"):
        server, port = start_server(EMB, vec, "--index", hnsw)
        hits = 0
        for w in probe:
            got = {n["word"] for n in get_json(port, "/v1/neighbors?q=%s&k=10" % w)[1]["neighbors"]}
            hits += len(got & {n["word"] for n in exact[w]})
        t.check("--index hnsw: recall@10 %.2f >= 0.9" % (hits / 50), hits / 50 >= 0.9)
        rc, err = stop_server(server)
        t.check("--index hnsw: clean stop", rc == 0, err[-1000:])
        brute_force_scores(vec, words, hnsw, "hnsw")

    l2 = os.path.join(tmp, "l2.idx")
    if build_index(vec, l2, "flat", "l2"):
        server, port = start_server(EMB, vec, "--index", l2)
        st, got = get_json(port, "/v1/neighbors?q=c0w0&k=5")
        d = [n["score"] for n in got["neighbors"]] if st == 200 else []
        t.check("--index l2: squared distances, nearest first, the word itself left out",
                len(d) == 5 and d == sorted(d) and d[0] > 0 and all(n["word"] != "c0w0" for n in got["neighbors"]),
                got)
        stop_server(server)

    # An index of other vectors is refused at start-up, with the reason.
    other = os.path.join(tmp, "other.txt")
    write_fixture(other, n_clusters=5, per_cluster=4)
    oidx = os.path.join(tmp, "other.idx")
    if build_index(other, oidx, "flat"):
        r = subprocess.run([EMB, "serve", vec, "--index", oidx, "--port", "0"], capture_output=True, timeout=60)
        msg = r.stderr.decode()
        t.check("--index of other vectors: exit 1, one line naming both sizes",
                r.returncode == 1 and msg.count("\n") == 1 and "23 rows" in msg and "403" in msg, (r.returncode, msg))
    # Same size, other words.
    shuffled = os.path.join(tmp, "shuffled.txt")
    with open(vec, "rb") as f:
        lines = f.read().split(b"\n")
    lines[1], lines[2] = lines[2], lines[1]
    with open(shuffled, "wb") as f:
        f.write(b"\n".join(lines))
    sidx = os.path.join(tmp, "shuffled.idx")
    if build_index(shuffled, sidx, "flat"):
        r = subprocess.run([EMB, "serve", vec, "--index", sidx, "--port", "0"], capture_output=True, timeout=60)
        msg = r.stderr.decode()
        t.check("--index with the rows in another order: exit 1, names the row", r.returncode == 1 and "row 0" in msg,
                (r.returncode, msg))


def run_all(port, vec, words, texts):
    n_words = len(words)
    # ---- basics ------------------------------------------------------------------
    t.check("healthz", healthy(port))
    st, info = get_json(port, "/v1/info")
    t.check("info: model, count, dim", st == 200 and info["model"] == "vecs.txt" and info["count"] == n_words
            and info["dim"] == 16 and info["index"] is None, info)
    st, hdr, body = request(port, "/v1/info")
    t.check("JSON content type", hdr.get("content-type", "").startswith("application/json"), hdr)
    st, hdr, body = request(port, "/")
    t.check("page at /", st == 200 and hdr.get("content-type", "").startswith("text/html")
            and b"<canvas" in body and b"/app.js" in body, (st, hdr))
    st, hdr, body = request(port, "/app.js")
    t.check("script at /app.js", st == 200 and "javascript" in hdr.get("content-type", "") and b"fetch(" in body)
    st, hdr, body = request(port, "/v1/info", method="HEAD")
    t.check("HEAD answers without a body", st == 200 and body == b"", (st, body[:100]))

    # ---- answers agree with the CLI ----------------------------------------------------
    for w, k in (("c0w0", 10), ("c5w3", 1), ("c19w19", 25), ("King", 5), ("C0W0", 5), ("café", 3)):
        st, got = get_json(port, "/v1/neighbors?q=%s&k=%d" % (urlq(w), k))
        want = cli_json("neighbors", vec, w, "-k", str(k))[0]["neighbors"]
        t.check("neighbors %s k=%d equal emb neighbors" % (w, k),
                st == 200 and got["k"] == k and got["query"] == w and same_results(got["neighbors"], want),
                (st, got, want))
    st, got = get_json(port, "/v1/neighbors?q=c1w1+c2w2&k=7")
    want = cli_json("neighbors", vec, "c1w1 c2w2", "-k", "7")[0]["neighbors"]
    t.check("phrase query equals emb neighbors on the phrase", st == 200 and same_results(got["neighbors"], want),
            (got, want))
    st, got = get_json(port, "/v1/neighbors?q=c0w0")
    t.check("k defaults to 10", st == 200 and len(got["neighbors"]) == 10, got)
    st, got = get_json(port, "/v1/neighbors?q=c0w1&k=100")
    t.check("k = max-k allowed", st == 200 and len(got["neighbors"]) == 100)
    st, got = get_json(port, "/v1/neighbors?q=c2w1&k=30")
    t.check("word with invalid UTF-8 bytes comes out as valid JSON (U+FFFD)",
            st == 200 and any("\ufffd" in n["word"] for n in got["neighbors"]), got)
    for a, b in (("c0w0", "c0w1"), ("c0w0", "c1w0"), ("King", "café")):
        st, got = get_json(port, "/v1/similarity?a=%s&b=%s" % (urlq(a), urlq(b)))
        want = cli_json("similarity", vec, a, b)[0]["similarity"]
        t.check("similarity %s %s equals emb similarity" % (a, b),
                st == 200 and abs(got["similarity"] - want) < 1e-6 and got["a"] == a, (got, want))
    for method in ("add", "mul"):
        st, got = get_json(port, "/v1/analogy", "POST", {"a": "c1w0", "b": "c2w0", "c": "c1w1", "k": 6,
                                                         "method": method})
        want = cli_json("analogy", vec, "c1w0", "c2w0", "c1w1", "-k", "6", "--method", method)[0][method]
        t.check("analogy (%s) equals emb analogy" % method,
                st == 200 and got["method"] == method and same_results(got["answers"], want), (got, want))
    st, got = get_json(port, "/v1/vector?q=c3w4")
    with open(vec, "rb") as f:
        row = [ln for ln in f.read().split(b"\n") if ln.startswith(b"c3w4 ")][0].split()[1:]
    t.check("vector equals the file's row", st == 200 and got["word"] == "c3w4" and len(got["vector"]) == 16
            and all(abs(a - float(b)) < 1e-6 for a, b in zip(got["vector"], row)), got)
    st, got = get_json(port, "/v1/search", "POST", {"vector": [float(x) for x in row], "k": 5})
    want = cli_json("neighbors", vec, "c3w4", "-k", "4")[0]["neighbors"]
    t.check("search with a word's vector: the word first (score 1), then its neighbours",
            st == 200 and got["neighbors"][0]["word"] == "c3w4" and abs(got["neighbors"][0]["score"] - 1) < 1e-5
            and [n["word"] for n in got["neighbors"][1:]] == [n["word"] for n in want], got)
    st, got = get_json(port, "/v1/search", "POST", {"vector": [1] + [0] * 15})
    t.check("search accepts integers, k defaults to 10", st == 200 and len(got["neighbors"]) == 10, got)
    st, got = get_json(port, "/v1/complete?prefix=c1w&n=5")
    ids = [texts.index(w) for w in got["words"]] if st == 200 else []
    t.check("complete: words with the prefix, most frequent first",
            st == 200 and len(ids) == 5 and ids == sorted(ids) and all(w.startswith("c1w") for w in got["words"])
            and ids[0] == texts.index("c1w0"), got)
    st, got = get_json(port, "/v1/complete?prefix=zzz")
    t.check("complete: nothing for an unknown prefix", st == 200 and got["words"] == [], got)
    st, got = get_json(port, "/v1/complete?prefix=")
    t.check("complete: empty prefix gives the most frequent words", st == 200 and got["words"][:3] == texts[:3], got)
    st, got = get_json(port, "/v1/map?n=300")
    ok = st == 200 and got["n"] == 300 and got["words"] == texts[:300] and len(got["x"]) == 300
    if ok:
        xs, ys = got["x"], got["y"]
        mx, my = sum(xs) / 300, sum(ys) / 300
        vx = sum((x - mx) ** 2 for x in xs) / 300
        vy = sum((y - my) ** 2 for y in ys) / 300
        # PCA: centred, the first axis carries the most variance.
        ok = abs(mx) < 1e-3 and abs(my) < 1e-3 and vx >= vy > 0 and all(math.isfinite(v) for v in xs + ys)
        t.check("map: PCA coordinates (centred, var x >= var y) of the first n words", ok,
                (mx, my, vx, vy))
    else:
        t.check("map: n points", False, (st, str(got)[:300]))
    st2, got2 = get_json(port, "/v1/map?n=10")
    t.check("map: cached, the first n of the same layout",
            st2 == 200 and got2["x"] == got["x"][:10] and got2["y"] == got["y"][:10], got2)

    # ---- errors -------------------------------------------------------------------------
    def err(name, path, want, method="GET", body=None, headers=None):
        st, hdr, data = request(port, path, method, body, headers)
        try:
            j = json.loads(data)
            shape = isinstance(j.get("error"), str) and j.get("status") == st
        except ValueError:
            shape = False
        t.check("%s -> %d with a JSON error" % (name, want), st == want and shape, (st, data[:200]))
        return hdr

    err("unknown word", "/v1/neighbors?q=nosuchword", 404)
    err("unknown word in a phrase", "/v1/neighbors?q=c0w0+nosuch", 404)
    err("unknown word (similarity)", "/v1/similarity?a=c0w0&b=nosuch", 404)
    err("unknown word (vector)", "/v1/vector?q=nosuch", 404)
    err("unknown word (analogy)", "/v1/analogy", 404, "POST", {"a": "c0w0", "b": "nosuch", "c": "c0w1"})
    err("missing q", "/v1/neighbors", 400)
    err("empty q", "/v1/neighbors?q=", 400)
    err("missing b", "/v1/similarity?a=c0w0", 400)
    err("missing prefix", "/v1/complete", 400)
    for k in ("0", "-1", "101", "abc", "10x", "", "%2010", "99999999999999999999"):
        err("k=%s" % k, "/v1/neighbors?q=c0w0&k=" + k, 400)
    err("map n=0", "/v1/map?n=0", 400)
    err("map n over map-size", "/v1/map?n=301", 400)
    for q in ("%zz", "%4", "%", "abc%g1", "%%41"):
        err("bad percent-encoding q=%s" % q, "/v1/neighbors?q=" + q, 400)
    for q in ("%ff", "%c3%28", "%ed%a0%80", "%f4%90%80%80", "%c0%af"):
        err("invalid UTF-8 q=%s" % q, "/v1/neighbors?q=" + q, 400)
    err("NUL byte in a parameter", "/v1/neighbors?q=c0w0%00x", 400)
    err("parameter given twice", "/v1/neighbors?q=c0w0&q=c0w1", 400)
    err("too many parameters", "/v1/neighbors?q=c0w0" + "".join("&p%d=1" % i for i in range(20)), 400)
    for name, body in (("empty body", b""), ("truncated", b'{"a":"c0w0"'), ("not an object", b"[1,2]"),
                       ("trailing text", b'{"a":"c0w0","b":"c0w1","c":"c0w2"} x'),
                       ("bad token", b"{a:1}"), ("single quotes", b"{'a':'x'}"),
                       ("invalid UTF-8 in a string", b'{"a":"\xff","b":"c0w1","c":"c0w2"}'),
                       ("deep nesting", b"[" * 5000 + b"]" * 5000),
                       ("missing field", b'{"a":"c0w0","b":"c0w1"}'),
                       ("k as a string", b'{"a":"c0w0","b":"c0w1","c":"c0w2","k":"5"}'),
                       ("k out of range", b'{"a":"c0w0","b":"c0w1","c":"c0w2","k":1000}'),
                       ("k a float", b'{"a":"c0w0","b":"c0w1","c":"c0w2","k":2.5}'),
                       ("a not a string", b'{"a":3,"b":"c0w1","c":"c0w2"}'),
                       ("bad method", b'{"a":"c0w0","b":"c0w1","c":"c0w2","method":"sub"}'),
                       ("NUL in the body", b'{"a":"c0\x00w0","b":"c0w1","c":"c0w2"}'),
                       ("escaped NUL in a string", b'{"a":"c0\\u0000w0","b":"c0w1","c":"c0w2"}')):
        err("analogy: " + name, "/v1/analogy", 400, "POST", body)
    for name, body in (("wrong length", {"vector": [0.5] * 15}), ("not an array", {"vector": "1,2"}),
                       ("strings inside", {"vector": ["1"] * 16}), ("missing vector", {"k": 3}),
                       ("overflowing float", b'{"vector":[' + b",".join([b"1e39"] * 16) + b"]}"),
                       ("infinite number", b'{"vector":[' + b",".join([b"1e999"] * 16) + b"]}"),
                       ("NaN literal", b'{"vector":[' + b",".join([b"NaN"] * 16) + b"]}"),
                       ("null inside", {"vector": [None] * 16}), ("k=0", {"vector": [1] * 16, "k": 0})):
        err("search: " + name, "/v1/search", 400, "POST", body)
    err("body over --max-body (Content-Length)", "/v1/search", 413, "POST", b"x" * 70000)
    # A chunked body over the limit: no Content-Length to check up front.
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.putrequest("POST", "/v1/search")
    c.putheader("Content-Type", "application/json")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    try:
        for _ in range(20):
            c.send(b"1000\r\n" + b"y" * 4096 + b"\r\n")
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        st = r.status
    except (OSError, http.client.HTTPException) as e:
        st = str(e)
    c.close()
    t.check("chunked body over --max-body -> 413", st == 413, st)
    err("unknown path", "/v1/nothing", 404)
    err("unknown path under /", "/index.php", 404)
    hdr = err("GET on a POST endpoint", "/v1/analogy", 405)
    t.check("405 names the allowed method", hdr.get("allow") == "POST", hdr)
    hdr = err("POST on a GET endpoint", "/v1/neighbors?q=c0w0", 405, "POST", b"{}")
    t.check("405 names GET", "GET" in hdr.get("allow", ""), hdr)
    err("DELETE", "/v1/info", 405, "DELETE")
    err("OPTIONS", "/healthz", 405, "OPTIONS")

    # ---- abuse at the socket level ------------------------------------------------------
    huge_hdr = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
    st = status_of(raw(port, huge_hdr))
    t.check("huge header -> 431", st == 431, st)
    long_uri = b"GET /v1/neighbors?q=" + b"a" * 100000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    st = status_of(raw(port, long_uri))
    t.check("huge URI -> 414", st == 414, st)
    many = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n"
    st = status_of(raw(port, many))
    t.check("5000 headers -> 431", st == 431, st)
    for name, data in (("garbage", b"\x00\x01\x02garbage\r\n\r\n"), ("no version", b"GET /\r\n\r\n"),
                       ("bad method token", b"G(T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
                       ("bad content-length", b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n"),
                       ("invalid UTF-8 path", b"GET /\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
                       ("bad chunk size", b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked"
                                          b"\r\n\r\nzz\r\n")):
        st = status_of(raw(port, data, read_timeout=5))
        t.check("raw %s -> 4xx or closed" % name, st is None or 400 <= st < 500, st)
    t.check("still healthy after the malformed requests", healthy(port))

    # An idle connection is closed after --timeout (2 s here).
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    t0 = time.time()
    try:
        got = s.recv(100)
    except (socket.timeout, ConnectionResetError):
        got = b"timeout"
    waited = time.time() - t0
    s.close()
    t.check("idle half-sent request is closed by the server timeout (%.1f s)" % waited,
            got != b"timeout" and waited < 10, got)

    # ---- concurrency ---------------------------------------------------------------------
    queries = ["/v1/neighbors?q=c%dw%d&k=8" % (i % 20, i % 7) for i in range(40)]
    queries += ["/v1/similarity?a=c%dw0&b=c%dw1" % (i % 20, (i + 3) % 20) for i in range(20)]
    expected = {q: get_json(port, q) for q in queries}
    wrong = []
    lock = threading.Lock()

    def client(seed):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # keep-alive
        for j in range(60):
            q = queries[(seed * 13 + j) % len(queries)]
            try:
                conn.request("GET", q)
                r = conn.getresponse()
                got = (r.status, json.loads(r.read()))
            except Exception as e:  # noqa: BLE001 (report whatever went wrong)
                got = ("error", str(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if got != expected[q]:
                with lock:
                    wrong.append((q, got))
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.check("12 concurrent keep-alive clients x 60 requests: every answer as sequential", not wrong, wrong[:3])
    # POST analogies concurrently too.
    bodies = [{"a": "c%dw0" % i, "b": "c%dw0" % (i + 1), "c": "c%dw1" % i, "k": 5} for i in range(10)]
    want = [get_json(port, "/v1/analogy", "POST", b) for b in bodies]
    bad = []

    def poster(i):
        for j in range(20):
            b = (i + j) % 10
            got = get_json(port, "/v1/analogy", "POST", bodies[b])
            if got != want[b]:
                bad.append(got)

    threads = [threading.Thread(target=poster, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.check("8 concurrent analogy posters agree with sequential answers", not bad, bad[:2])
    t.check("healthy at the end", healthy(port))


def urlq(s):
    from urllib.parse import quote
    return quote(s, safe="")


if __name__ == "__main__":
    sys.exit(main())
