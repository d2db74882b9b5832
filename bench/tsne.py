#!/usr/bin/env python3
"""tsne.py -- emb's Barnes-Hut t-SNE against scikit-learn's TSNE, same settings.

Both map the N most frequent word vectors of VECTORS (word2vec format) to
2-D with perplexity 30, early exaggeration 12 for 250 iterations, 1000
iterations in all, learning rate max(N / 12 / 4, 50) (sklearn 'auto'),
PCA initialisation, Barnes-Hut angle/theta 0.5, 2 threads. Runs are
interleaved (emb, sklearn, emb, sklearn, ...); we report wall-clock medians,
the speed ratio, and the trustworthiness (sklearn.manifold.trustworthiness,
k = 10) of every map: on all N points when N <= --trust-full, else on a
fixed random subsample of --trust-sample points (the same for both tools;
neighbours are then taken within the subsample).

Run it under the shared lock, from the repository root:
    flock /tmp/emb-bench.lock /usr/bin/python3 bench/tsne.py VECTORS --sizes 10000 50000
Raw results go to bench/out/tsne.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from sklearn.manifold import TSNE, trustworthiness


def load_vectors(path, n):
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"), limit=n)
    return list(kv.index_to_key), np.asarray(kv.vectors, dtype=np.float32)


def run_emb(emb, vectors, n, args, out):
    cmd = [emb, "project", vectors, "-o", out, "--method", "tsne", "--top", str(n), "--perplexity", str(args.perplexity),
           "--theta", str(args.theta), "--iter", str(args.iter), "--threads", str(args.threads), "--quiet", "--json"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    info = json.loads(res.stdout)
    xy = np.loadtxt(out, delimiter="\t", skiprows=1, usecols=(1, 2), comments=None, dtype=np.float64)
    return secs, xy, info["kl"]


def run_sklearn(x, args, seed):
    n = x.shape[0]
    tsne = TSNE(n_components=2, perplexity=args.perplexity, early_exaggeration=12.0, learning_rate="auto",
                n_iter=args.iter, init="pca", method="barnes_hut", angle=args.theta, random_state=seed,
                n_jobs=args.threads)
    t0 = time.perf_counter()
    y = tsne.fit_transform(x)
    secs = time.perf_counter() - t0
    return secs, y, float(tsne.kl_divergence_), max(n / 12.0 / 4.0, 50.0)


def trust(x, y, idx, k):
    if idx is None:
        return float(trustworthiness(x, y, n_neighbors=k))
    return float(trustworthiness(x[idx], y[idx], n_neighbors=k))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vectors")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--repeats", type=int, nargs="+", default=None,
                    help="runs per tool for each size (default 3 for <= 10000 points, else 1)")
    ap.add_argument("--perplexity", type=float, default=30.0)
    ap.add_argument("--theta", type=float, default=0.5)
    ap.add_argument("--iter", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trust-k", type=int, default=10)
    ap.add_argument("--trust-full", type=int, default=10000)
    ap.add_argument("--trust-sample", type=int, default=5000)
    ap.add_argument("--emb", default="build/emb")
    ap.add_argument("--out", default="bench/out/tsne.json")
    args = ap.parse_args()

    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "sklearn": sklearn.__version__},
        "settings": {"perplexity": args.perplexity, "theta": args.theta, "iterations": args.iter,
                     "early_exaggeration": 12, "exaggeration_iterations": 250, "learning_rate": "max(N/12/4, 50)",
                     "init": "pca", "threads": args.threads, "trust_k": args.trust_k},
        "vectors": args.vectors,
        "sizes": [],
    }
    tmp = tempfile.mkdtemp(prefix="emb-tsne-bench-")
    for si, n in enumerate(args.sizes):
        reps = args.repeats[si] if args.repeats else (3 if n <= 10000 else 1)
        words, x = load_vectors(args.vectors, n)
        n = x.shape[0]
        idx = None
        if n > args.trust_full:
            idx = np.sort(np.random.default_rng(0).choice(n, size=args.trust_sample, replace=False))
        rows = {"emb": [], "sklearn": []}
        for r in range(reps):
            secs, y, kl = run_emb(args.emb, args.vectors, n, args, os.path.join(tmp, "emb.tsv"))
            t = trust(x, y, idx, args.trust_k)
            rows["emb"].append({"seconds": secs, "kl": kl, "trustworthiness": t})
            print(f"n={n} run {r + 1}/{reps} emb:     {secs:8.2f} s  KL {kl:.4f}  trust {t:.4f}", flush=True)
            secs, y, kl, lr = run_sklearn(x, args, seed=r)
            t = trust(x, y, idx, args.trust_k)
            rows["sklearn"].append({"seconds": secs, "kl": kl, "trustworthiness": t})
            print(f"n={n} run {r + 1}/{reps} sklearn: {secs:8.2f} s  KL {kl:.4f}  trust {t:.4f}", flush=True)
        med = {tool: {key: statistics.median(v[key] for v in rows[tool]) for key in ("seconds", "kl", "trustworthiness")}
               for tool in rows}
        entry = {"n": n, "runs": reps, "trust_on": "all points" if idx is None else f"random {len(idx)}-point subsample",
                 "raw": rows, "median": med, "speedup": med["sklearn"]["seconds"] / med["emb"]["seconds"]}
        results["sizes"].append(entry)
        print(f"n={n}: emb {med['emb']['seconds']:.2f} s vs sklearn {med['sklearn']['seconds']:.2f} s "
              f"= {entry['speedup']:.1f}x; trustworthiness {med['emb']['trustworthiness']:.4f} vs "
              f"{med['sklearn']['trustworthiness']:.4f} ({entry['trust_on']})", flush=True)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
