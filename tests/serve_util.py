"""serve_util.py -- helpers shared by the `emb serve` tests (serve_api.py,
serve_page.py): a vector fixture, starting and stopping a server on a free
port, HTTP requests, and PASS/FAIL bookkeeping. Standard library only."""
import http.client
import json
import os
import random
import select
import signal
import subprocess
import sys
import time


class Checks:
    """Prints one PASS/FAIL line per check; exit status from the count."""

    def __init__(self):
        self.fails = 0

    def check(self, name, cond, detail=""):
        if cond:
            print("PASS " + name)
        else:
            self.fails += 1
            print("FAIL " + name + (": " + str(detail)[:400] if detail != "" else ""))
        sys.stdout.flush()
        return cond

    def done(self):
        print("%d failure(s)" % self.fails)
        return 1 if self.fails else 0


def write_fixture(path, n_clusters=20, per_cluster=20, dim=16, seed=3):
    """Word vectors with cluster structure, so neighbours mean something:
    words c<i>w<j> lie near centre i. Also a capitalised word (lower-case
    fallback), a UTF-8 word and a word whose bytes are not UTF-8. Returns
    the list of words (bytes) in file order."""
    rng = random.Random(seed)
    centres = [[rng.gauss(0, 1) for _ in range(dim)] for _ in range(n_clusters)]
    rows = []
    for j in range(per_cluster):  # interleaved, like a frequency-sorted file
        for i in range(n_clusters):
            rows.append((("c%dw%d" % (i, j)).encode(), [c + rng.gauss(0, 0.35) for c in centres[i]]))
    extra = [b"King", "caf\u00e9".encode(), b"bad\xff\xfeword"]
    for k, w in enumerate(extra):
        rows.insert(5 + k, (w, [c + rng.gauss(0, 0.35) for c in centres[k]]))
    with open(path, "wb") as f:
        f.write(b"%d %d\n" % (len(rows), dim))
        for w, v in rows:
            f.write(w + b" " + " ".join("%.6f" % x for x in v).encode() + b"\n")
    return [w for w, _ in rows]


def start_server(emb, vectors, *args, timeout=60):
    """Start `emb serve VECTORS --port 0 --json` and wait for its start line.
    Returns (process, port)."""
    cmd = [emb, "serve", vectors, "--port", "0", "--json", "--quiet"] + list(args)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    line = b""
    while time.time() < deadline and not line.endswith(b"\n"):
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            ch = os.read(p.stdout.fileno(), 1)
            if not ch:
                break
            line += ch
        elif p.poll() is not None:
            break
    if not line.endswith(b"\n"):
        p.kill()
        err = p.stderr.read().decode(errors="replace")
        raise RuntimeError("server did not start: " + err[:2000])
    return p, json.loads(line)["port"]


def stop_server(p, sig=signal.SIGTERM, timeout=30):
    """Send sig, wait; returns (exit status, stderr text); None if it hung."""
    p.send_signal(sig)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None, p.stderr.read().decode(errors="replace")
    return p.returncode, p.stderr.read().decode(errors="replace")


def request(port, path, method="GET", body=None, headers=None, timeout=30):
    """One request on a fresh connection: (status, headers dict, body bytes).
    A body goes out as application/json unless headers name another type."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        headers = dict(headers or {})
        # The server wants POST bodies declared as JSON (415 otherwise);
        # pass a Content-Type of None to send none.
        if body is not None and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        headers = {k: v for k, v in headers.items() if v is not None}
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def get_json(port, path, method="GET", body=None, headers=None):
    """(status, parsed JSON or None)."""
    st, _, data = request(port, path, method, body, headers)
    try:
        return st, json.loads(data)
    except ValueError:
        return st, None
