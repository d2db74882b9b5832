#!/usr/bin/python3
"""bench/graph_pq.py -- node2vec (p, q) chosen on a held-out validation split
of BlogCatalog, and scored on nodes the search never looked at.

The labelled nodes are shuffled once (seed 7) into three fixed parts:
  train 25% | val 25% | test 50%.
Search: for each (p, q) in {0.25, 1, 4}^2, train node2vec on the whole graph
(unsupervised, as the protocol does), fit the classifier on `train` and
score Macro-F1 on `val` only. Report: the chosen (p, q) and p = q = 1,
classifier fit on train+val (50% of the nodes), Macro/Micro-F1 on `test`,
which played no part in the choice.

usage: /usr/bin/python3 bench/graph_pq.py   (writes bench/out/graph_pq.json)
"""
import json, os, random, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from graph import DATA, ROOT, nodes, train  # noqa: E402


def write_split(path, parts):
    with open(path, "w") as f:
        for name, part in parts:
            for n in part:
                f.write(f"{n}\t{name}\n")


def main():
    bc = os.path.join(DATA, "blogcatalog")
    edges, labels = os.path.join(bc, "edges.tsv"), os.path.join(bc, "labels.tsv")
    with open(labels) as f:
        labelled = sorted({line.split()[0] for line in f if line.strip()}, key=lambda s: int(s) if s.isdigit() else s)
    random.Random(7).shuffle(labelled)
    n = len(labelled)
    tr, va, te = labelled[: n // 4], labelled[n // 4: n // 2], labelled[n // 2:]
    tmp = tempfile.mkdtemp(prefix="emb-pq-")
    search_split, final_split = os.path.join(tmp, "search.tsv"), os.path.join(tmp, "final.tsv")
    # The search never sees `te`: the split file gives it no part ('val' is
    # what eval nodes reports next to 'test'; here 'test' is the val part).
    write_split(search_split, [("train", tr), ("test", va)])
    write_split(final_split, [("train", tr + va), ("test", te)])
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "nodes": dict(train=len(tr), val=len(va), test=len(te)),
           "search": []}
    for p in (0.25, 1, 4):
        for q in (0.25, 1, 4):
            vec, _, secs, _ = train(tmp, "node2vec", edges, ["--p", str(p), "--q", str(q)])
            r = nodes(vec, labels, ["--split", search_split])
            res["search"].append(dict(p=p, q=q, val_macro_f1=r["split"]["test"]["macro_f1"],
                                      val_micro_f1=r["split"]["test"]["micro_f1"], train_seconds=secs))
            print(f"search p={p} q={q}: val Macro-F1 {res['search'][-1]['val_macro_f1']:.4f}", flush=True)
    best = max(res["search"], key=lambda s: s["val_macro_f1"])
    res["chosen"] = dict(p=best["p"], q=best["q"])
    res["test"] = {}
    for p, q in sorted({(best["p"], best["q"]), (1, 1)}):
        vec, _, _, _ = train(tmp, "node2vec", edges, ["--p", str(p), "--q", str(q)])
        r = nodes(vec, labels, ["--split", final_split])
        res["test"][f"p={p} q={q}"] = r["split"]["test"]
        print(f"held-out test, p={p} q={q}: Macro-F1 {r['split']['test']['macro_f1']:.4f} "
              f"Micro-F1 {r['split']['test']['micro_f1']:.4f}", flush=True)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "graph_pq.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
