#!/usr/bin/python3
"""regress.py -- before/after regression check of two emb builds (issue 15).

Runs the same five workloads with two emb binaries, interleaved (before,
after, after, before, ...), and prints a markdown table of medians and the
after/before ratio:

  w2v       word2vec skip-gram on the 18.3M-token prefix of corpus.txt.gz
            (5 epochs, dim 100, 2 threads): tokens x epochs / s, analogy@30k
  node2vec  BlogCatalog, p = q = 1, 2 threads: end-to-end seconds,
            Macro-F1 at 50% (3 splits)
  rotate    WN18RR RotatE, 2000 steps (dim 200, batch 512, 128 negatives),
            2 threads: triples / s, valid MRR (500 triples)
  hnsw      the w2v vectors (the first run's, same file for both builds):
            1000 held-out rows queried against the rest, k = 10, 1 thread:
            queries / s at the smallest ef whose recall@10 >= 0.95
  tsne      the 10,000 most frequent of those vectors, 1000 iterations,
            2 threads: seconds, KL

Every quality number is computed by the "after" build's evaluator, so only
training differs. Hold the benchmark lock:

  flock /tmp/emb-bench.lock /usr/bin/python3 bench/regress.py --before OLD/build/emb --after build/emb
"""
import argparse
import gzip
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
DATA = os.environ.get("EMB_DATA") or os.path.join(HERE, "..", "..", "shared", "data")
WORDS = os.path.join(DATA, "words")


def run(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-1500:]}")
    return r, secs


def last_json(s):
    return json.loads(s.strip().splitlines()[-1])


def prefix_corpus(tmp):
    path = os.path.join(tmp, "prefix.txt")
    n = 0
    with gzip.open(os.path.join(WORDS, "corpus.txt.gz"), "rt") as f, open(path, "w") as out:
        for i, line in enumerate(f):
            if i >= 300000:
                break
            out.write(line)
            n += len(line.split())
    return path, n


def w2v(emb, after, ctx, tmp, tag):
    out = os.path.join(tmp, f"w2v-{tag}.bin")
    _, secs = run([emb, "train", "word2vec", "--input", ctx["corpus"], "--output", out, "--quiet", "--dim", "100",
                   "--window", "5", "--negative", "5", "--min-count", "5", "--sample", "1e-3", "--epochs", "5",
                   "--alpha", "0.025", "--threads", "2", "--model", "sg"])
    r, _ = run([after, "eval", "analogy", out, os.path.join(WORDS, "eval", "questions-words.txt"), "--restrict",
                "30000", "--json"])
    if "vectors" not in ctx:
        ctx["vectors"] = out
    return {"tokens_per_s": ctx["tokens"] * 5 / secs, "seconds": secs, "analogy": last_json(r.stdout)["accuracy"]}


def node2vec(emb, after, ctx, tmp, tag):
    bc = os.path.join(DATA, "graph", "blogcatalog")
    out = os.path.join(tmp, f"n2v-{tag}.bin")
    _, secs = run([emb, "train", "node2vec", "--input", os.path.join(bc, "edges.tsv"), "--output", out,
                   "--threads", "2", "--quiet", "--p", "1", "--q", "1"])
    r, _ = run([after, "eval", "nodes", out, os.path.join(bc, "labels.tsv"), "--json", "--threads", "2",
                "--train-ratio", "0.5", "--repeats", "3"])
    return {"seconds": secs, "macro_f1": last_json(r.stdout)["ratios"][0]["macro_f1"]}


def rotate(emb, after, ctx, tmp, tag):
    out = os.path.join(tmp, f"rotate-{tag}.kge")
    r, secs = run([emb, "train", "kge", "--model", "rotate", "--data", os.path.join(DATA, "kg", "WN18RR"),
                   "--output", out, "--dim", "200", "--batch", "512", "--negatives", "128", "--margin", "6",
                   "--adv-temp", "0.5", "--lr", "0.001", "--steps", "2000", "--valid-every", "2000",
                   "--valid-max", "500", "--threads", "2", "--quiet", "--json", "--seed", "1"])
    j = last_json(r.stdout)
    return {"triples_per_s": j["triples_per_sec"], "seconds": secs, "valid_mrr": j["valid_mrr"]}


def hnsw_setup(after, ctx, tmp):
    npy = os.path.join(tmp, "words.npy")
    run([after, "convert", ctx["vectors"], npy])
    x = np.load(npy).astype(np.float32)
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(x))
    q, base = x[perm[:1000]], x[perm[1000:]]
    ctx["base"], ctx["queries"] = os.path.join(tmp, "base.npy"), os.path.join(tmp, "queries.npy")
    np.save(ctx["base"], base)
    words = open(os.path.splitext(npy)[0] + ".vocab").read().split("\n")
    for path, rows in ((ctx["base"], perm[1000:]), (ctx["queries"], perm[:1000])):
        with open(os.path.splitext(path)[0] + ".vocab", "w") as f:
            f.write("".join(words[i] + "\n" for i in rows))
    np.save(ctx["queries"], q)
    bn = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-30)
    qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
    ctx["truth"] = np.argsort(-(qn @ bn.T), axis=1)[:, :10]


def search(emb, index, queries, ef):
    r, _ = run([emb, "search", index, "--queries", queries, "-k", "10", "--threads", "1", "--json", "--ef", str(ef)])
    m = re.search(r"(\d+) queries in ([0-9.]+) s", r.stderr)
    ids = np.array([[n["id"] for n in json.loads(line)["neighbors"]] for line in r.stdout.splitlines()])
    return int(m.group(1)) / float(m.group(2)), ids


def hnsw(emb, after, ctx, tmp, tag):
    if "truth" not in ctx:
        hnsw_setup(after, ctx, tmp)
    idx = os.path.join(tmp, f"hnsw-{tag}.idx")
    r, _ = run([emb, "index", "build", ctx["base"], "-o", idx, "--type", "hnsw", "--threads", "2", "--quiet",
                "--json", "--M", "16", "--ef-construction", "200"])
    build = json.loads(r.stdout)["build_seconds"]
    for ef in (10, 16, 24, 32, 48, 64, 96, 128, 192, 256):
        qps, ids = search(emb, idx, ctx["queries"], ef)
        rec = np.mean([len(set(a) & set(b)) / 10.0 for a, b in zip(ids, ctx["truth"])])
        if rec >= 0.95:
            break
    return {"qps_at_0.95": qps, "ef": ef, "recall": rec, "build_s": build}


def tsne(emb, after, ctx, tmp, tag):
    out = os.path.join(tmp, f"tsne-{tag}.tsv")
    r, secs = run([emb, "project", ctx["vectors"], "-o", out, "--method", "tsne", "--top", "10000", "--threads", "2",
                   "--quiet", "--json"])
    return {"seconds": secs, "kl": last_json(r.stdout)["kl"]}


WORKLOADS = {"w2v": w2v, "node2vec": node2vec, "rotate": rotate, "hnsw": hnsw, "tsne": tsne}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "regress.json"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="emb-regress-")
    ctx = {}
    ctx["corpus"], ctx["tokens"] = prefix_corpus(tmp)
    names = a.only.split(",")
    if ("hnsw" in names or "tsne" in names) and "w2v" not in names:
        names.insert(0, "w2v")
    res = {n: {"before": [], "after": []} for n in names}
    for r in range(a.runs):
        order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
        for n in names:
            for side in order:
                emb = a.before if side == "before" else a.after
                try:
                    row = WORKLOADS[n](emb, a.after, ctx, tmp, f"{side}{r}")
                except SystemExit as e:  # one workload failing leaves the others their numbers
                    print(f"run {r + 1} {n} {side}: FAILED: {e}", flush=True)
                    res[n][side].append(None)
                    continue
                res[n][side].append(row)
                print(f"run {r + 1} {n} {side}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()), flush=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "before": a.before, "after": a.after,
                   "results": res}, f, indent=1)
    print("\n| workload | metric | before | after | after / before |\n|---|---|---:|---:|---:|")
    for n in names:
        ok_b = [x for x in res[n]["before"] if x]
        ok_f = [x for x in res[n]["after"] if x]
        if not ok_b or not ok_f:
            print(f"| {n} | failed | | | |")
            continue
        for k in ok_b[0]:
            b = statistics.median(x[k] for x in ok_b)
            f = statistics.median(x[k] for x in ok_f)
            ratio = f / b if b else float("nan")
            if k in ("seconds", "build_s"):
                ratio = b / f if f else float("nan")  # a speed ratio: > 1 is faster
                k += " (ratio: speed)"
            print(f"| {n} | {k} | {b:.4g} | {f:.4g} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
