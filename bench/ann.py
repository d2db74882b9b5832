#!/usr/bin/env python3
"""ann.py -- emb's nearest-neighbour indexes against hnswlib and faiss.

For one data set (word vectors from a vector file, or a synthetic clustered
set), holds out queries, computes the exact top-10 with numpy, then:

  * HNSW: builds emb, hnswlib and faiss IndexHNSWFlat with the same M and
    ef_construction and threads (build time, index bytes), and sweeps the
    query-time ef on one thread, recording recall@10 and queries/s; the
    table reports, for each library, the queries/s at the smallest ef that
    reaches recall 0.90, 0.95 and 0.99.
  * exact: emb's flat index against faiss IndexFlatIP, batched (1 and N
    threads) and one query at a time (1 thread).

Timed runs alternate between the libraries (emb, hnswlib, faiss, emb, ...)
and the median of --runs is kept. emb runs through its CLI (`emb index
build`, `emb search --queries`), which times only the build or the search
itself. Cosine similarity everywhere (vectors normalised for the peers).

    flock /tmp/emb-bench.lock /usr/bin/python3 bench/ann.py --words vectors.bin
    flock /tmp/emb-bench.lock /usr/bin/python3 bench/ann.py --synthetic 1000000

Raw results: bench/out/ann-<name>.json. Needs python3-hnswlib, python3-faiss,
python3-numpy (Debian)."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# Query-time ef values swept; steps of about 1.25x so that each library is
# charged an ef close to the smallest one reaching a recall level.
EFS = [10, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
       640, 768, 1024, 1280, 1536, 2048]
TARGETS = [0.90, 0.95, 0.99]
K = 10


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def write_npy(path, x, names):
    np.save(path, np.ascontiguousarray(x, dtype=np.float32))
    with open(path[:-4] + ".vocab", "w") as f:
        f.write("\n".join(names) + "\n")


def load_words(emb, path, tmp, limit=0):
    npy = os.path.join(tmp, "all.npy")
    subprocess.run([emb, "convert", path, npy, "--quiet", "--limit", str(limit)], check=True)
    x = np.load(npy)
    with open(npy[:-4] + ".vocab") as f:
        words = f.read().split("\n")[: len(x)]
    return x, words


def synthetic(n, dim, seed=7, n_centres=1000, noise=1.0):
    """Gaussian mixture: n_centres centres ~ N(0, I), points centre + N(0, noise^2 I)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_centres, dim), dtype=np.float32)
    x = np.empty((n, dim), dtype=np.float32)
    step = 100000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        x[lo:hi] = centres[rng.integers(0, n_centres, hi - lo)] + noise * rng.standard_normal((hi - lo, dim), dtype=np.float32)
    return x, ["r%d" % i for i in range(n)]


def normalise(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


def exact_topk(base_n, q_n, k=K):
    out = np.empty((len(q_n), k), dtype=np.int64)
    for lo in range(0, len(q_n), 256):
        s = q_n[lo:lo + 256] @ base_n.T
        part = np.argpartition(-s, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, part, 1), axis=1)
        out[lo:lo + 256] = np.take_along_axis(part, order, 1)
    return out


def recall(found, truth):
    hits = sum(len(set(f[f >= 0].tolist()) & set(t.tolist())) for f, t in zip(found, truth))
    return hits / truth.size


# ---- emb (CLI) ----------------------------------------------------------------

def emb_build(emb, base_npy, out, typ, M, efc, threads):
    cmd = [emb, "index", "build", base_npy, "-o", out, "--type", typ, "--threads", str(threads), "--quiet", "--json"]
    if typ == "hnsw":
        cmd += ["--M", str(M), "--ef-construction", str(efc)]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    j = json.loads(r.stdout)
    return j["build_seconds"], j["memory_bytes"]


def emb_search(emb, index, q_npy, ef, threads, serial=False):
    cmd = [emb, "search", index, "--queries", q_npy, "-k", str(K), "--threads", str(threads), "--json"]
    if ef:
        cmd += ["--ef", str(ef)]
    if serial:
        cmd += ["--serial"]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    m = re.search(r"(\d+) queries in ([0-9.]+) s", r.stderr)
    nq, secs = int(m.group(1)), float(m.group(2))
    ids = np.array([[n["id"] for n in json.loads(line)["neighbors"]] + [-1] * 0 for line in r.stdout.splitlines()])
    return nq / secs, ids


# ---- peers ----------------------------------------------------------------------

def hnswlib_build(base, M, efc, threads):
    import hnswlib
    p = hnswlib.Index(space="cosine", dim=base.shape[1])
    t = time.perf_counter()
    p.init_index(max_elements=len(base), M=M, ef_construction=efc, random_seed=1)
    p.set_num_threads(threads)
    p.add_items(base, np.arange(len(base)))
    dt = time.perf_counter() - t
    with tempfile.NamedTemporaryFile(suffix=".hnswlib") as f:
        p.save_index(f.name)
        size = os.path.getsize(f.name)
    return p, dt, size


def hnswlib_search(p, q, ef):
    p.set_num_threads(1)
    p.set_ef(max(ef, K))
    t = time.perf_counter()
    ids, _ = p.knn_query(q, k=K)
    return len(q) / (time.perf_counter() - t), ids


def faiss_hnsw_build(base_n, M, efc, threads):
    import faiss
    faiss.omp_set_num_threads(threads)
    ix = faiss.IndexHNSWFlat(base_n.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    ix.hnsw.efConstruction = efc
    t = time.perf_counter()
    ix.add(base_n)
    dt = time.perf_counter() - t
    return ix, dt, len(faiss.serialize_index(ix))


def faiss_hnsw_search(ix, q_n, ef):
    import faiss
    faiss.omp_set_num_threads(1)
    ix.hnsw.efSearch = max(ef, K)
    t = time.perf_counter()
    _, ids = ix.search(q_n, K)
    return len(q_n) / (time.perf_counter() - t), ids


def faiss_flat(base_n, q_n, threads, serial):
    import faiss
    faiss.omp_set_num_threads(threads)
    ix = faiss.IndexFlatIP(base_n.shape[1])
    ix.add(base_n)
    t = time.perf_counter()
    if serial:
        ids = np.vstack([ix.search(q_n[i:i + 1], K)[1] for i in range(len(q_n))])
    else:
        _, ids = ix.search(q_n, K)
    return len(q_n) / (time.perf_counter() - t), ids


# ---- the run ----------------------------------------------------------------------

def at_target(curve, target):
    """queries/s at the smallest ef whose recall reaches target (None if none)."""
    for row in curve:
        if row["recall"] >= target:
            return row
    return None


def hnsw_part(a, emb, tmp, base, base_n, base_npy, q, q_n, q_npy, truth, res):
    """Builds the three HNSW indexes and sweeps ef; fills res."""
    idx = os.path.join(tmp, "emb.hnsw")
    builds = {"emb": [], "hnswlib": [], "faiss": []}
    mem = {}
    hp = fx = None
    for r in range(a.build_runs):
        s, mem["emb"] = emb_build(emb, base_npy, idx, "hnsw", a.M, a.efc, a.threads)
        builds["emb"].append(s)
        log("build emb %.1f s" % s)
        hp = None
        hp, s, mem["hnswlib"] = hnswlib_build(base, a.M, a.efc, a.threads)
        builds["hnswlib"].append(s)
        log("build hnswlib %.1f s" % s)
        fx = None
        fx, s, mem["faiss"] = faiss_hnsw_build(base_n, a.M, a.efc, a.threads)
        builds["faiss"].append(s)
        log("build faiss %.1f s" % s)
    res["build_seconds"] = {k: statistics.median(v) for k, v in builds.items()}
    res["build_seconds_all"] = builds
    res["index_bytes"] = mem

    # ---- query sweeps ----
    curves = {"emb": [], "hnswlib": [], "faiss": []}
    for ef in EFS:
        qps = {"emb": [], "hnswlib": [], "faiss": []}
        ids = {}
        for r in range(a.runs):
            v, ids["emb"] = emb_search(emb, idx, q_npy, ef, 1)
            qps["emb"].append(v)
            v, ids["hnswlib"] = hnswlib_search(hp, q, ef)
            qps["hnswlib"].append(v)
            v, ids["faiss"] = faiss_hnsw_search(fx, q_n, ef)
            qps["faiss"].append(v)
        line = []
        for lib in curves:
            row = {"ef": ef, "recall": recall(ids[lib], truth), "qps": statistics.median(qps[lib])}
            curves[lib].append(row)
            line.append("%s %.4f %.0f/s" % (lib, row["recall"], row["qps"]))
        log("ef %4d: " % ef + " | ".join(line))
        if all(c[-1]["recall"] >= 0.995 for c in curves.values()):
            break
    res["curves"] = curves
    res["at_recall"] = {str(t): {lib: at_target(c, t) for lib, c in curves.items()} for t in TARGETS}



def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emb", default=os.path.join(HERE, "..", "build", "emb"))
    ap.add_argument("--words", help="vector file to index (word2vec text/bin, npy)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N words (most frequent)")
    ap.add_argument("--synthetic", type=int, help="rows of a synthetic clustered set instead")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--M", type=int, default=16)
    ap.add_argument("--efc", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2, help="build threads (queries: 1)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build-runs", type=int, default=1)
    ap.add_argument("--no-flat", action="store_true")
    ap.add_argument("--no-hnsw", action="store_true", help="exact search only")
    ap.add_argument("--serial-queries", type=int, default=1000,
                    help="queries timed one at a time in the exact-search test (the first N)")
    ap.add_argument("--name")
    ap.add_argument("--tmp", default=None, help="scratch folder (default: a temporary one)")
    a = ap.parse_args()
    emb = os.path.abspath(a.emb)
    tmp = a.tmp or tempfile.mkdtemp(prefix="emb-ann-")
    os.makedirs(tmp, exist_ok=True)

    if a.words:
        x, names = load_words(emb, a.words, tmp, a.limit)
        name = a.name or "words"
    else:
        x, names = synthetic(a.synthetic, a.dim)
        name = a.name or "synth%d" % a.synthetic
    rng = np.random.default_rng(11)
    qidx = np.sort(rng.choice(len(x), a.queries, replace=False))
    mask = np.ones(len(x), bool)
    mask[qidx] = False
    base, q = x[mask], x[qidx]
    base_names = [n for n, m in zip(names, mask) if m]
    log("%s: %d base vectors, %d queries, dim %d" % (name, len(base), len(q), base.shape[1]))
    base_npy, q_npy = os.path.join(tmp, "base.npy"), os.path.join(tmp, "queries.npy")
    write_npy(base_npy, base, base_names)
    write_npy(q_npy, q, ["q%d" % i for i in range(len(q))])
    base_n, q_n = normalise(base), normalise(q)
    t = time.perf_counter()
    truth = exact_topk(base_n, q_n)
    log("exact top-%d with numpy in %.1f s" % (K, time.perf_counter() - t))

    res = {"name": name, "n_base": len(base), "n_queries": len(q), "dim": int(base.shape[1]), "M": a.M,
           "ef_construction": a.efc, "build_threads": a.threads, "runs": a.runs,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": os.uname().nodename,
           "cpus": os.cpu_count()}

    # ---- HNSW builds (alternating, median) ----
    if not a.no_hnsw:
        hnsw_part(a, emb, tmp, base, base_n, base_npy, q, q_n, q_npy, truth, res)

    # ---- exact search ----
    if not a.no_flat:
        fidx = os.path.join(tmp, "emb.flat")
        emb_build(emb, base_npy, fidx, "flat", a.M, a.efc, a.threads)
        flat = {}
        ns = min(a.serial_queries, len(q))
        qs_npy = os.path.join(tmp, "queries_serial.npy")
        write_npy(qs_npy, q[:ns], ["q%d" % i for i in range(ns)])
        for label, th, serial in [("batch_1thread", 1, False), ("batch_%dthreads" % a.threads, a.threads, False),
                                  ("single_1thread", 1, True)]:
            e, f = [], []
            qf, qn, tr = (qs_npy, q_n[:ns], truth[:ns]) if serial else (q_npy, q_n, truth)
            for r in range(a.runs):
                v, ids_e = emb_search(emb, fidx, qf, 0, th, serial)
                e.append(v)
                v, ids_f = faiss_flat(base_n, qn, th, serial)
                f.append(v)
            flat[label] = {"emb": statistics.median(e), "faiss": statistics.median(f), "queries": len(qn),
                           "emb_recall": recall(ids_e, tr), "faiss_recall": recall(ids_f, tr)}
            log("flat %s: emb %.0f/s (recall %.4f), faiss %.0f/s (recall %.4f)" % (
                label, flat[label]["emb"], flat[label]["emb_recall"], flat[label]["faiss"], flat[label]["faiss_recall"]))
        res["flat"] = flat

    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    out = os.path.join(HERE, "out", "ann-%s.json" % name)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    log("wrote " + out)
    print_tables(res)


def print_tables(res):
    if "build_seconds" in res:
        hnsw_tables(res)
    flat_table(res)


def hnsw_tables(res):
    b = res["build_seconds"]
    print("\n%s: %d vectors, dim %d, %d queries, M %d, ef_construction %d, build threads %d\n" % (
        res["name"], res["n_base"], res["dim"], res["n_queries"], res["M"], res["ef_construction"],
        res["build_threads"]))
    print("| | emb | hnswlib | faiss HNSWFlat | emb / hnswlib |")
    print("|---|---|---|---|---|")
    print("| build (s) | %.1f | %.1f | %.1f | %.2f |" % (b["emb"], b["hnswlib"], b["faiss"], b["emb"] / b["hnswlib"]))
    m = res["index_bytes"]
    print("| index size (MB) | %.1f | %.1f | %.1f | %.2f |" % (m["emb"] / 1e6, m["hnswlib"] / 1e6, m["faiss"] / 1e6,
                                                            m["emb"] / m["hnswlib"]))
    for t in TARGETS:
        row = res["at_recall"][str(t)]
        cells = []
        for lib in ("emb", "hnswlib", "faiss"):
            r = row[lib]
            cells.append("%.0f (ef %d, %.3f)" % (r["qps"], r["ef"], r["recall"]) if r else "not reached")
        ratio = "%.2f" % (row["emb"]["qps"] / row["hnswlib"]["qps"]) if row["emb"] and row["hnswlib"] else "-"
        print("| queries/s at recall@10 >= %.2f | %s | %s | %s | %s |" % (t, cells[0], cells[1], cells[2], ratio))


def flat_table(res):
    if "flat" in res:
        print("\n| exact search, queries/s | emb flat | faiss IndexFlatIP | emb / faiss |")
        print("|---|---|---|---|")
        for label, v in res["flat"].items():
            print("| %s | %.0f | %.0f | %.2f |" % (label.replace("_", ", "), v["emb"], v["faiss"], v["emb"] / v["faiss"]))


if __name__ == "__main__":
    main()
