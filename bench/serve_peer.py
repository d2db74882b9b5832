"""serve_peer.py -- the peer for bench/serve.sh: the same /v1/neighbors
endpoint served by Python's standard library (ThreadingHTTPServer) over
gensim's KeyedVectors.most_similar (an exact numpy/BLAS scan), the usual
way a word-vector service is put together in Python.

usage: serve_peer.py VECTORS PORT   (prints "ready" when listening)"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from gensim.models import KeyedVectors


def main():
    path, port = sys.argv[1], int(sys.argv[2])
    kv = KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"))
    kv.fill_norms()
    lock = threading.Lock()  # gensim's lazy state is not meant for concurrent first use

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urlparse(self.path)
            if u.path != "/v1/neighbors":
                return self.reply(404, {"error": "no such path"})
            qs = parse_qs(u.query)
            q = qs.get("q", [""])[0]
            k = int(qs.get("k", ["10"])[0])
            if q not in kv.key_to_index:
                return self.reply(404, {"error": "not in the vocabulary"})
            res = kv.most_similar(q, topn=k)
            self.reply(200, {"query": q, "k": k, "neighbors": [{"word": w, "score": float(s)} for w, s in res]})

    with lock:
        kv.most_similar(kv.index_to_key[0], topn=1)  # warm up
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
