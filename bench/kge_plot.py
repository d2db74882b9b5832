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
fig, ax = plt.subplots(figsize=(9, 5.5))
ax.set_prop_cycle(color=plt.cm.tab20.colors)  # more runs than the default 10 colours
for path in sorted(glob.glob(os.path.join(ROOT, "bench", "out", "kge_quality_*.json"))):
    r = json.load(open(path))
    c = r.get("valid_curve") or []
    if not c:
        continue
    xs = [p["seconds"] / 60 for p in c]
    ys = [p["mrr"] for p in c]
    a = r.get("args", "").split()
    opt = lambda k: a[a.index(k) + 1] if k in a else None  # noqa: E731
    tags = [f"{int(opt('--steps')) // 1000}k" if opt("--steps") else ""]
    tags += ["recip"] if "--reciprocal" in a else []
    tags += ["subsampling"] if "--subsampling" in a else []
    tags += ["filter"] if "--filter-negatives" in a else []
    tags += [f"chunk {opt('--chunk')}"] if opt("--chunk") else []
    tags += [f"neg {opt('--negatives')}"] if opt("--negatives") not in (None, "256") else []
    tags += [f"seed {opt('--seed')}"] if opt("--seed") else []
    label = f"{r['model']} {r['data']} " + " ".join(t for t in tags if t)
    ax.plot(xs, ys, marker="o", label=label)
    if r.get("published"):
        ax.axhline(r["published"]["mrr"], linestyle=":", linewidth=0.8, color=ax.lines[-1].get_color())
ax.set_xlabel("training time, minutes (2 threads)")
ax.set_ylabel("filtered valid MRR (see docs)")
ax.set_title("emb train kge: valid MRR against time (dotted: published test MRR)")
ax.grid(alpha=0.3)
ax.legend(fontsize=6, ncol=2)
fig.tight_layout()
fig.savefig(out)
print("wrote", out)
