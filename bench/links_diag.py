#!/usr/bin/python3
"""bench/links_diag.py -- why Hadamard is the weakest edge operator for
node2vec link prediction on BlogCatalog (diagnosis, not a speed benchmark).

One random split made here (50% of the edges removed, nodes kept; equal
number of non-edges), then on the same held-out pairs:
  * classic heuristics on the residual graph: preferential attachment
    (degree product), common neighbours, Adamic-Adar;
  * node2vec (p = q = 1, 1 epoch) trained on the residual graph by emb with
    the batch kernel and the plain (word2vec.c) kernel, and by gensim's
    skip-gram on the very walks emb made (--save-walks);
  * for each: the raw cosine's AUC, and logistic regression (sklearn, C = 1,
    half of the pairs to fit, half to test) on Hadamard and average features.

usage: /usr/bin/python3 bench/links_diag.py   (writes bench/out/links_diag.json)
"""
import json, os, random, subprocess, tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.environ.get("EMB_DATA", os.path.join(ROOT, "..", "shared", "data")), "graph")
EMB = os.path.join(ROOT, "build", "emb")


def main():
    tmp = tempfile.mkdtemp(prefix="emb-lp-")
    edges = set()
    for line in open(os.path.join(DATA, "blogcatalog", "edges.tsv")):
        f = line.split()
        if len(f) >= 2 and f[0] != f[1]:
            edges.add(tuple(sorted(f[:2])))
    edges = sorted(edges)
    rng = random.Random(3)
    rng.shuffle(edges)
    nodes = sorted({x for e in edges for x in e})
    idx = {n: i for i, n in enumerate(nodes)}
    removed, residual = edges[: len(edges) // 2], edges[len(edges) // 2:]
    kept = {x for e in residual for x in e}
    removed = [e for e in removed if e[0] in kept and e[1] in kept]
    res_path = os.path.join(tmp, "residual.tsv")
    with open(res_path, "w") as f:
        f.writelines(f"{a}\t{b}\n" for a, b in residual)
    eset, kl, neg = set(edges), sorted(kept), set()
    while len(neg) < len(removed):
        a, b = rng.choice(kl), rng.choice(kl)
        if a != b and tuple(sorted((a, b))) not in eset:
            neg.add((a, b))
    pairs = removed + sorted(neg)
    y = np.r_[np.ones(len(removed)), np.zeros(len(neg))]
    u = np.array([idx[a] for a, _ in pairs])
    v = np.array([idx[b] for _, b in pairs])
    n = len(nodes)
    ri = [idx[a] for a, b in residual] + [idx[b] for a, b in residual]
    ci = [idx[b] for a, b in residual] + [idx[a] for a, b in residual]
    A = sp.csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(n, n))
    deg = np.asarray(A.sum(1)).ravel()
    common = A[u].multiply(A[v])
    res = {"pairs": len(y), "heuristics": {
        "preferential_attachment": roc_auc_score(y, deg[u] * deg[v]),
        "common_neighbours": roc_auc_score(y, np.asarray(common.sum(1)).ravel()),
        "adamic_adar": roc_auc_score(y, np.asarray(common.multiply(1 / np.log(np.maximum(deg, 2))[None, :]).sum(1)).ravel()),
    }, "embeddings": {}}
    print(res["heuristics"], flush=True)
    perm = np.random.RandomState(0).permutation(len(y))
    fit, test = perm[: len(y) // 2], perm[len(y) // 2:]

    def score(name, X):
        nrm = np.linalg.norm(X, axis=1)
        cos = (X[u] * X[v]).sum(1) / (nrm[u] * nrm[v] + 1e-12)
        out = {"cosine": roc_auc_score(y, cos), "norm_degree_corr": float(np.corrcoef(nrm, deg)[0, 1])}
        for op, F in (("hadamard", X[u] * X[v]), ("average", (X[u] + X[v]) / 2)):
            clf = LogisticRegression(C=1, max_iter=2000).fit(F[fit], y[fit])
            out[op] = roc_auc_score(y[test], clf.decision_function(F[test]))
        res["embeddings"][name] = out
        print(name, {k: round(x, 4) for k, x in out.items()}, flush=True)

    def load(path):
        X = np.zeros((n, 128), np.float32)
        with open(path) as f:
            next(f)
            for line in f:
                p = line.split()
                X[idx[p[0]]] = np.array(p[1:], np.float32)
        return X

    walks = os.path.join(tmp, "walks.txt")
    for kernel in ("batch", "plain"):
        out = os.path.join(tmp, f"{kernel}.txt")
        subprocess.run([EMB, "train", "node2vec", "--quiet", "--input", res_path, "--output", out, "--threads", "2",
                        "--epochs", "1", "--kernel", kernel, "--save-walks", walks], check=True)
        score(f"emb node2vec, {kernel} kernel", load(out))
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    m = Word2Vec(LineSentence(walks), vector_size=128, window=10, negative=5, sg=1, min_count=0, sample=0, workers=2,
                 epochs=1, seed=1)
    X = np.zeros((n, 128), np.float32)
    for name in nodes:
        if name in m.wv:
            X[idx[name]] = m.wv[name]
    score("gensim skip-gram on emb's walks", X)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "links_diag.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
