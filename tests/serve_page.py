"""serve_page.py -- end-to-end test of the `emb serve` web page in headless
Chromium, driven over the DevTools protocol (python3-websocket).

Loads the page, types a word into the search box (completion must
appear), submits, checks the neighbour list against the API, checks the
map canvas has been drawn (non-white pixels), hovers and clicks a point
of the map, solves an analogy, checks that every request went to the
server itself (no CDN), and saves a screenshot.

usage: serve_page.py EMB SCREENSHOT.png
Skips (exit 77 with one line "SKIP: ...") when Chromium or python3-websocket
is absent; run by tests/run.sh as its own test."""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_util import Checks, get_json, start_server, stop_server, write_fixture  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class CDP:
    """A minimal DevTools protocol client: send a command, wait for its
    reply; events are kept in a list."""

    def __init__(self, ws_url):
        import websocket
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("JS error in %r: %s" % (expr[:80], r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, timeout=20):
        """Poll a JS expression until it is truthy; returns its value or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(0.1)
        return None

    def key(self, key, code, vk):
        for t in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=t, key=key, code=code, windowsVirtualKeyCode=vk,
                      nativeVirtualKeyCode=vk)
        if key == "Enter":  # the char event submits the form
            self.call("Input.dispatchKeyEvent", type="char", key="Enter", text="\r")

    def mouse(self, kind, x, y, **kw):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **kw)


def launch_chromium(profile):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
           "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
           "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profile,
           "--window-size=1280,800", "about:blank"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                lines = f.read().split("\n")
            if lines and lines[0].strip().isdigit():
                return p, int(lines[0])
        if p.poll() is not None:
            break
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGKILL)
    raise RuntimeError("chromium did not open its DevTools port")


def page_ws_url(devtools_port):
    deadline = time.time() + 20
    while time.time() < deadline:
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % devtools_port, timeout=10) as r:
            targets = json.load(r)
        for t in targets:
            if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                return t["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise RuntimeError("no page target")


def main():
    emb, shot = sys.argv[1], sys.argv[2]
    if not os.path.exists(CHROMIUM):
        print("SKIP: %s is not installed (apt-get install chromium)" % CHROMIUM)
        return 77
    try:
        import websocket  # noqa: F401
    except ImportError:
        print("SKIP: python3-websocket is not installed (apt-get install python3-websocket)")
        return 77
    t = Checks()
    tmp = tempfile.mkdtemp(prefix="emb-serve-page-")
    server = chrome = None
    try:
        vec = os.path.join(tmp, "vecs.txt")
        write_fixture(vec)
        server, port = start_server(emb, vec, "--threads", "2")
        base = "http://127.0.0.1:%d" % port
        chrome, dport = launch_chromium(os.path.join(tmp, "profile"))
        cdp = CDP(page_ws_url(dport))
        cdp.call("Network.enable")
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Page.navigate", url=base + "/")

        pts = cdp.wait_for("document.body && document.body.dataset.mapPoints")
        t.check("page loads and the map gets its points", pts and int(pts) > 100, pts)
        info = cdp.eval("document.getElementById('info').textContent")
        t.check("header shows the model", info and "vecs.txt" in info and "dimension 16" in info, info)

        # Map canvas drawn: count pixels that are not white.
        ink = cdp.eval("""(() => { const c = document.getElementById('map');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i+1] < 240 || d[i+2] < 240) n++;
            return [n, c.width, c.height]; })()""")
        t.check("map canvas is drawn (non-blank pixels)", ink and ink[0] > 200 and ink[1] > 100, ink)

        # Type a prefix: completion appears.
        cdp.eval("document.getElementById('q').focus()")
        cdp.call("Input.insertText", text="c3w")
        comp = cdp.wait_for("[...document.querySelectorAll('#complete li')].map(e => e.textContent).join(' ')")
        t.check("completion lists words with the prefix",
                comp and all(w.startswith("c3w") for w in comp.split()), comp)
        # Finish the word and press Enter: neighbours appear, as the API says.
        cdp.call("Input.insertText", text="1")
        cdp.key("Enter", "Enter", 13)
        shown = cdp.wait_for("""(() => { const l = [...document.querySelectorAll('#neighbors li .word')];
            return l.length === 10 ? l.map(e => e.textContent) : null; })()""")
        st, want = get_json(port, "/v1/neighbors?q=c3w1&k=10")
        t.check("neighbours appear after typing a word",
                shown is not None and st == 200 and shown == [n["word"] for n in want["neighbors"]], shown)
        scores = cdp.eval("[...document.querySelectorAll('#neighbors li .score')].map(e => e.textContent)")
        t.check("neighbour scores are shown", scores and all(s.replace(".", "").replace("-", "").isdigit()
                                                             for s in scores), scores)

        # Hover a point of the map: the tooltip names it. Click it: its neighbours.
        xy = cdp.eval("window.embMap.screenOf('c7w2')")
        if t.check("word c7w2 is on the map", xy is not None, xy):
            x, y = xy
            cdp.mouse("mouseMoved", x, y)
            tip = cdp.wait_for("(() => { const e = document.getElementById('tip');"
                               " return e.hidden ? null : e.textContent; })()", timeout=5)
            # Points may overlap: the tooltip names the nearest one, in the same cluster.
            t.check("hovering a point shows its word", tip is not None and tip.startswith("c7w"), tip)
            cdp.mouse("mousePressed", x, y, button="left", clickCount=1)
            cdp.mouse("mouseReleased", x, y, button="left", clickCount=1)
            title = cdp.wait_for("(() => { const s = document.getElementById('nb-title').textContent;"
                                 " return s.includes('c7w') ? s : null; })()", timeout=10)
            n_nb = cdp.eval("document.querySelectorAll('#neighbors li').length")
            t.check("clicking a point shows its neighbours", title is not None and n_nb == 10, (title, n_nb))
            # Zoom in with the wheel and drag: the view changes, nothing breaks.
            gap = ("(() => { const a = window.embMap.screenOf('c7w2'), b = window.embMap.screenOf('c0w0');"
                   " return [a[0], a[1], Math.hypot(a[0] - b[0], a[1] - b[1])]; })()")
            before = cdp.eval(gap)
            cdp.mouse("mouseWheel", x, y, deltaX=0, deltaY=-400)
            after = cdp.eval(gap)
            # Zooming in about the cursor: the point under it stays, others move apart.
            t.check("wheel zooms in about the cursor", abs(after[0] - x) < 1 and abs(after[1] - y) < 1
                    and after[2] > 1.5 * before[2], (before, after))
            cdp.mouse("mousePressed", x, y, button="left", clickCount=1)
            cdp.mouse("mouseMoved", x + 50, y + 30, button="left")
            cdp.mouse("mouseReleased", x + 50, y + 30, button="left", clickCount=1)
            moved = cdp.eval(gap)
            t.check("dragging pans the map", abs(moved[0] - x - 50) < 1 and abs(moved[1] - y - 30) < 1, moved)

        # Analogy form.
        cdp.eval("""(() => { const s = (id, v) => document.getElementById(id).value = v;
            s('an-a', 'c1w0'); s('an-b', 'c2w0'); s('an-c', 'c1w1');
            document.querySelector('#analogy-form button').click(); })()""")
        ans = cdp.wait_for("(() => { const l = [...document.querySelectorAll('#analogy li .word')];"
                           " return l.length ? l.map(e => e.textContent) : null; })()")
        t.check("analogy answers appear", ans is not None and len(ans) == 10, ans)

        png = base64.b64decode(cdp.call("Page.captureScreenshot", format="png")["data"])
        os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
        with open(shot, "wb") as f:
            f.write(png)
        t.check("screenshot saved to %s" % shot, png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, len(png))
        # An unknown word shows the server's error, no crash.
        cdp.eval("document.getElementById('q').value = 'nosuchword'; "
                 "document.querySelector('#search-form button').click()")
        err = cdp.wait_for("document.getElementById('status').textContent")
        t.check("unknown word shows an error message", err and "not in the vocabulary" in err, err)

        urls = [e["params"]["request"]["url"] for e in cdp.events if e["method"] == "Network.requestWillBeSent"]
        foreign = [u for u in urls if not (u.startswith(base + "/") or u.startswith("data:"))]
        t.check("every request goes to the server itself (%d requests)" % len(urls),
                len(urls) >= 4 and not foreign, foreign or urls)
        errors = [e for e in cdp.events if e["method"] == "Runtime.exceptionThrown"]
        t.check("no JavaScript exceptions", not errors, errors)

        cdp.ws.close()
    finally:
        if chrome:
            try:
                os.killpg(chrome.pid, signal.SIGTERM)
                chrome.wait(10)
            except Exception:
                os.killpg(chrome.pid, signal.SIGKILL)
        if server:
            rc, err = stop_server(server)
            t.check("server stops cleanly on SIGTERM", rc == 0, err[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
