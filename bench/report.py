#!/usr/bin/python3
"""bench/report.py -- render bench/out/w2v-*.json as the Markdown tables of
docs/benchmarks.md (medians, min-max of analogy accuracy, ratios to emb)."""
import glob, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = ["small-sg", "prefix-sg", "full-sg", "small-sg-plain", "small-cbow", "small-sg-hs"]


def key(path):
    name = os.path.basename(path)[4:-5]
    return ORDER.index(name) if name in ORDER else len(ORDER)


for path in sorted(glob.glob(os.path.join(ROOT, "bench", "out", "w2v-*.json")), key=key):
    d = json.load(open(path))
    med = d["medians"]
    print(f"### {d['corpus']} corpus ({d['tokens'] / 1e6:.1f}M tokens), {d['config']}, "
          f"{d['threads']} threads, median of {d['runs']} runs ({d['date']})\n")
    print("| tool | wall time (s) | tokens x epochs / s | peak RSS (MB) | analogy, top 30k (min-max) | WS-353 | MEN |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t, m in med.items():
        print(f"| {t} | {m['seconds']:.1f} | {m['words_per_sec'] / 1e6:.2f} M | {m['rss_mb']:.0f} | "
              f"{m['analogy']:.4f} ({m['min_analogy']:.4f}-{m['max_analogy']:.4f}) | {m['ws353']:.4f} | {m['men']:.4f} |")
    if "emb" in med:
        ratios = [f"{med['emb']['words_per_sec'] / m['words_per_sec']:.2f}x the speed of {t}, "
                  f"{med['emb']['rss_mb'] / m['rss_mb']:.2f}x its memory" for t, m in med.items() if t != "emb"]
        if ratios:
            print("\nemb: " + "; ".join(ratios) + ".")
    emb_runs = d["results"].get("emb", [])
    if emb_runs and "emb_eval" in emb_runs[0]:
        diffs = [abs(r["emb_eval"]["analogy"] - r["analogy"]) + abs(r["emb_eval"]["ws353"] - r["ws353"]) for r in emb_runs]
        print(f"\n`emb eval` on emb's vectors agrees with gensim's evaluator to {max(diffs):.1e}.")
    print()
