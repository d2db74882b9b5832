#!/usr/bin/python3
"""kge_plot.py -- filtered valid MRR against wall time for the quality runs
of bench/kge.py (bench/out/kge_quality_*.json), as an SVG.

usage: /usr/bin/python3 bench/kge_plot.py [OUT.svg]   (default docs/kge_mrr_time.svg)"""
import glob
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "kge_mrr_time.svg")
fig, ax = plt.subplots(figsize=(7, 4.2))
for path in sorted(glob.glob(os.path.join(ROOT, "bench", "out", "kge_quality_*.json"))):
    r = json.load(open(path))
    c = r.get("valid_curve") or []
    if not c:
        continue
    xs = [p["seconds"] / 60 for p in c]
    ys = [p["mrr"] for p in c]
    label = f"{r['model']} {r['data']}"
    ax.plot(xs, ys, marker="o", label=label)
    if r.get("published"):
        ax.axhline(r["published"]["mrr"], linestyle=":", linewidth=0.8, color=ax.lines[-1].get_color())
ax.set_xlabel("wall time, minutes (2 threads, shared machine)")
ax.set_ylabel("filtered MRR, first 500 valid triples")
ax.set_title("emb train kge: valid MRR against time (dotted: published test MRR)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out)
print("wrote", out)
