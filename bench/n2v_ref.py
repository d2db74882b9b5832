#!/usr/bin/python3
"""bench/n2v_ref.py -- a straightforward node2vec reference in Python.

The structure of the original node2vec code (Grover & Leskovec, 2016):
networkx graph, per-node and per-EDGE alias tables precomputed for the
second-order transitions (memory grows with the sum of squared degrees),
walks simulated in Python, then gensim Word2Vec (skip-gram) on the walks.
Used by the benchmark as the speed and memory baseline for `emb train
node2vec`; it is deliberately the plain textbook implementation.

usage: /usr/bin/python3 bench/n2v_ref.py EDGES OUT.vec [--p P] [--q Q]
       [--dim 128] [--walk-length 80] [--walks-per-node 10] [--window 10]
       [--epochs 1] [--threads 2] [--seed 1]
Prints one JSON line with the time of each phase.
"""
import argparse, json, random, sys, time

import networkx as nx
import numpy as np


def alias_setup(probs):
    """Walker's alias method tables for a discrete distribution."""
    k = len(probs)
    q = np.zeros(k)
    j = np.zeros(k, dtype=np.int64)
    smaller, larger = [], []
    for i, prob in enumerate(probs):
        q[i] = k * prob
        (smaller if q[i] < 1.0 else larger).append(i)
    while smaller and larger:
        s, l = smaller.pop(), larger.pop()
        j[s] = l
        q[l] = q[l] + q[s] - 1.0
        (smaller if q[l] < 1.0 else larger).append(l)
    return j, q


def alias_draw(j, q):
    k = len(j)
    i = int(np.floor(np.random.rand() * k))
    return i if np.random.rand() < q[i] else j[i]


class Node2Vec:
    def __init__(self, g, p, q):
        self.g, self.p, self.q = g, p, q

    def edge_alias(self, src, dst):
        g, p, q = self.g, self.p, self.q
        probs = []
        for x in sorted(g.neighbors(dst)):
            w = g[dst][x].get("weight", 1.0)
            if x == src:
                probs.append(w / p)
            elif g.has_edge(x, src):
                probs.append(w)
            else:
                probs.append(w / q)
        s = sum(probs)
        return alias_setup([x / s for x in probs])

    def preprocess(self):
        g = self.g
        self.alias_nodes = {}
        for node in g.nodes():
            probs = [g[node][nbr].get("weight", 1.0) for nbr in sorted(g.neighbors(node))]
            s = sum(probs)
            self.alias_nodes[node] = alias_setup([x / s for x in probs])
        self.alias_edges = {}
        for u, v in g.edges():
            self.alias_edges[(u, v)] = self.edge_alias(u, v)
            self.alias_edges[(v, u)] = self.edge_alias(v, u)

    def walk(self, length, start):
        g = self.g
        walk = [start]
        while len(walk) < length:
            cur = walk[-1]
            nbrs = sorted(g.neighbors(cur))
            if not nbrs:
                break
            if len(walk) == 1:
                walk.append(nbrs[alias_draw(*self.alias_nodes[cur])])
            else:
                prev = walk[-2]
                walk.append(nbrs[alias_draw(*self.alias_edges[(prev, cur)])])
        return walk

    def simulate(self, num_walks, length):
        walks, nodes = [], list(self.g.nodes())
        for _ in range(num_walks):
            random.shuffle(nodes)
            for node in nodes:
                walks.append(self.walk(length, node))
        return walks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edges")
    ap.add_argument("out")
    ap.add_argument("--p", type=float, default=1.0)
    ap.add_argument("--q", type=float, default=1.0)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--walk-length", type=int, default=80)
    ap.add_argument("--walks-per-node", type=int, default=10)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    random.seed(a.seed)
    np.random.seed(a.seed)
    t0 = time.time()
    g = nx.read_edgelist(a.edges, nodetype=str, delimiter=None)
    t1 = time.time()
    n2v = Node2Vec(g, a.p, a.q)
    n2v.preprocess()
    t2 = time.time()
    walks = n2v.simulate(a.walks_per_node, a.walk_length)
    t3 = time.time()
    from gensim.models import Word2Vec
    m = Word2Vec(walks, vector_size=a.dim, window=a.window, min_count=0, sg=1, workers=a.threads, epochs=a.epochs,
                 seed=a.seed)
    m.wv.save_word2vec_format(a.out)
    t4 = time.time()
    steps = sum(len(w) for w in walks)
    print(json.dumps(dict(load=t1 - t0, preprocess=t2 - t1, walks=t3 - t2, train=t4 - t3, total=t4 - t0,
                          steps=steps, steps_per_sec=steps / (t3 - t2))))


if __name__ == "__main__":
    main()
