#!/usr/bin/python3
"""bench/karate_plot.py -- a 2-D DeepWalk embedding of Zachary's karate club,
drawn as an SVG scatter coloured by faction (docs/karate.svg).

usage: /usr/bin/python3 bench/karate_plot.py [OUT.svg]
Trains `emb train deepwalk --dim 2` (one thread, seed 1), reports how well a
straight line separates the factions (emb eval nodes, 2-D logistic
regression, leave-half-out) and draws the points with their node ids."""
import json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.environ.get("EMB_DATA", os.path.join(ROOT, "..", "shared", "data")), "graph", "karate")
EMB = os.path.join(ROOT, "build", "emb")
out_svg = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "karate.svg")
tmp = tempfile.mkdtemp()
vec = os.path.join(tmp, "k.txt")
subprocess.run([EMB, "train", "deepwalk", "--input", os.path.join(DATA, "edges.tsv"), "--output", vec, "--dim", "2",
                "--threads", "1", "--seed", "1", "--epochs", "10", "--quiet"], check=True)
r = json.loads(subprocess.run([EMB, "eval", "nodes", vec, os.path.join(DATA, "labels.tsv"), "--train-ratio", "0.5",
                               "--repeats", "20", "--json"], capture_output=True, text=True, check=True).stdout)
acc = r["ratios"][0]["accuracy"]
pts = {}
with open(vec) as f:
    next(f)
    for line in f:
        w, x, y = line.split()
        pts[w] = (float(x), float(y))
faction = dict(line.split() for line in open(os.path.join(DATA, "labels.tsv")))
xs, ys = [p[0] for p in pts.values()], [p[1] for p in pts.values()]
W, H, M = 480, 500, 48
sx = lambda x: M + (x - min(xs)) / (max(xs) - min(xs) + 1e-12) * (W - 2 * M)
sy = lambda y: H - M - (y - min(ys)) / (max(ys) - min(ys) + 1e-12) * (H - 2 * M)
colour = {"0": "#1f77b4", "1": "#d62728"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="10">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{M}" y="18" font-size="13">Karate club, DeepWalk in 2-D (blue: Mr. Hi, red: Officer)</text>',
       f'<text x="{M}" y="34" font-size="11">faction from a line in this plane: accuracy {acc:.2f} '
       f'(50% train, 20 splits)</text>']
edges = [l.split() for l in open(os.path.join(DATA, "edges.tsv"))]
for u, v in edges:
    svg.append(f'<line x1="{sx(pts[u][0]):.1f}" y1="{sy(pts[u][1]):.1f}" x2="{sx(pts[v][0]):.1f}" '
               f'y2="{sy(pts[v][1]):.1f}" stroke="#ccc" stroke-width="0.7"/>')
for w, (x, y) in pts.items():
    svg.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="7" fill="{colour[faction[w]]}"/>')
    svg.append(f'<text x="{sx(x):.1f}" y="{sy(y) + 3:.1f}" fill="white" text-anchor="middle">{w}</text>')
svg.append("</svg>")
os.makedirs(os.path.dirname(out_svg), exist_ok=True)
open(out_svg, "w").write("\n".join(svg) + "\n")
print(json.dumps(dict(svg=out_svg, linear_accuracy_2d=acc)))
