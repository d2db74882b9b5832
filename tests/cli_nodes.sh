#!/usr/bin/env bash
# cli_nodes.sh -- `emb eval nodes` end to end: bad input (one stderr line,
# non-zero exit), planted labels that must be recovered, --json, fixed
# splits, determinism, skipped nodes, and agreement with scikit-learn's
# LogisticRegression(solver='liblinear', C=1) one-vs-rest on a fixed split
# (python3-sklearn is a test dependency, installed by scripts/setup.sh:
# without it that check fails).
set -u
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# bad NAME COMMAND...: non-zero exit and exactly one line on stderr.
bad() { local name=$1; shift; "$@" >"$T/out" 2>"$T/err"; local st=$?
  if [[ $st -ne 0 && $(wc -l < "$T/err") -eq 1 ]]; then pass "$name"; else
    fail "$name (exit $st, $(wc -l < "$T/err") stderr lines)"; sed 's/^/    /' "$T/err"; fi; }
# json NAME FILE PYTHON-EXPR: the file is one JSON object `d` and the expression holds.
json() { if $PY -c "
import json, sys
d = json.load(open('$2'))
assert $3, d"; then pass "$1"; else fail "$1"; fi; }

# Planted single-label set: 300 nodes in 3 classes, class c centred at 3 e_c
# (dim 4) plus uniform noise in [-1.5, 1.5] per coordinate: well separated.
awk 'BEGIN { srand(3); n = 300; print n, 4; for (i = 0; i < n; i++) { c = i % 3; printf "%d", i;
       for (j = 0; j < 4; j++) printf " %.4f", (j == c ? 3 : 0) + rand() + rand() + rand() - 1.5; print "" } }' > "$T/v.txt"
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%d\tclass%d\n", i, i % 3 }' > "$T/l.tsv"
awk '{ print $1 "\t" ($1 < 100 ? "train" : $1 < 150 ? "val" : "test") }' "$T/l.tsv" > "$T/split.tsv"
# Planted multi-label set: label Lj on node i when coordinate j > 0 (|x_j| >= 0.5).
awk 'BEGIN { srand(5); n = 400; print n, 5 > "'"$T"'/mv.txt";
       for (i = 0; i < n; i++) { printf "%d", i > "'"$T"'/mv.txt"; any = 0;
         for (j = 0; j < 5; j++) { u = rand() * 2 - 1; u += (u >= 0 ? 0.5 : -0.5); printf " %.4f", u > "'"$T"'/mv.txt";
           if (u > 0) { print i "\tL" j; any = 1 } }
         print "" > "'"$T"'/mv.txt"; if (!any) print i "\tnone" } }' > "$T/ml.tsv"

# ---- bad input -------------------------------------------------------------
bad "no arguments" $EMB eval nodes
bad "one argument" $EMB eval nodes "$T/v.txt"
bad "missing vectors" $EMB eval nodes "$T/nope.txt" "$T/l.tsv"
bad "missing labels" $EMB eval nodes "$T/v.txt" "$T/nope.tsv"
printf '0\tclass0\n1\tclass1 extra\n' > "$T/bad.tsv"
bad "malformed label line" $EMB eval nodes "$T/v.txt" "$T/bad.tsv"
grep -q ':2:' "$T/err" && pass "malformed line number" || fail "malformed line number"
printf '0\n' > "$T/bad1.tsv"
bad "label line with one field" $EMB eval nodes "$T/v.txt" "$T/bad1.tsv"
: > "$T/empty.tsv"
bad "empty label file" $EMB eval nodes "$T/v.txt" "$T/empty.tsv"
printf 'x\tclass0\ny\tclass1\n' > "$T/none.tsv"
bad "no labelled node in the vectors" $EMB eval nodes "$T/v.txt" "$T/none.tsv"
bad "train ratio 0" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio 0
bad "train ratio 1" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio 1
bad "train ratio 1.5" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio 0.1,1.5
bad "train ratio abc" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio abc
bad "train ratio empty" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio ,
bad "train ratio too small for the set" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio 0.001
bad "repeats 0" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --repeats 0
bad "C 0" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --C 0
bad "unknown option" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --bogus
printf '0\ttrain\n1\ttest\n2\tvalidation\n' > "$T/badsplit.tsv"
bad "unknown split value" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --split "$T/badsplit.tsv"
grep -q ':3:' "$T/err" && pass "split error line number" || fail "split error line number"
printf '0\ttrain\n1\ttest\n0\ttest\n' > "$T/dupsplit.tsv"
bad "node twice in split" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --split "$T/dupsplit.tsv"
printf '0\ttrain\n1\tval\n' > "$T/notest.tsv"
bad "split without test nodes" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --split "$T/notest.tsv"
bad "missing split file" $EMB eval nodes "$T/v.txt" "$T/l.tsv" --split "$T/nope.tsv"

# ---- planted labels are recovered ------------------------------------------------
$EMB eval nodes "$T/v.txt" "$T/l.tsv" --train-ratio 0.1,0.5,0.9 --repeats 5 --json > "$T/a.json" || fail "run (single-label)"
json "single-label Micro-F1 near 1" "$T/a.json" \
  "len(d['ratios']) == 3 and all(r['micro_f1'] > 0.97 and r['macro_f1'] > 0.97 for r in d['ratios'])"
json "single-label reports accuracy = Micro-F1" "$T/a.json" \
  "all(abs(r['accuracy'] - r['micro_f1']) < 1e-12 for r in d['ratios']) and not d['multi_label']"
json "counts" "$T/a.json" \
  "d['nodes'] == 300 and d['labels'] == 3 and d['skipped'] == 0 and [r['train'] for r in d['ratios']] == [30, 150, 270]"
$EMB eval nodes "$T/mv.txt" "$T/ml.tsv" --train-ratio 0.5 --repeats 3 --json > "$T/m.json" || fail "run (multi-label)"
json "multi-label Micro-F1 near 1" "$T/m.json" "d['multi_label'] and d['ratios'][0]['micro_f1'] > 0.9 and 'accuracy' not in d['ratios'][0]"
$EMB eval nodes "$T/v.txt" "$T/l.tsv" --split "$T/split.tsv" --json > "$T/s.json" || fail "run (split)"
json "fixed split" "$T/s.json" \
  "d['split']['train'] == 100 and d['split']['test']['nodes'] == 150 and d['split']['val']['nodes'] == 50 and d['split']['test']['accuracy'] > 0.97"
# The table form.
$EMB eval nodes "$T/v.txt" "$T/l.tsv" --repeats 2 > "$T/table.txt" || fail "run (table)"
grep -q 'Micro-F1' "$T/table.txt" && grep -q '^0.5 ' "$T/table.txt" && pass "table" || fail "table"

# ---- determinism and skipped nodes ---------------------------------------------------
strip() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('seconds'); print(json.dumps(d, sort_keys=True))" "$1"; }
for t in 1 2; do
  $EMB eval nodes "$T/mv.txt" "$T/ml.tsv" --repeats 3 --seed 7 --threads $t --json > "$T/d$t.json" || fail "run (threads $t)"
done
$EMB eval nodes "$T/mv.txt" "$T/ml.tsv" --repeats 3 --seed 8 --json > "$T/d3.json" || fail "run (seed 8)"
[[ "$(strip "$T/d1.json")" == "$(strip "$T/d2.json")" ]] && pass "same seed, 1 or 2 threads: same result" || fail "threads change the result"
[[ "$(strip "$T/d1.json")" != "$(strip "$T/d3.json")" ]] && pass "seed matters" || fail "seed has no effect"
{ cat "$T/l.tsv"; printf 'ghost\tclass0\nghost\tclass1\nphantom\tclass2\n'; } > "$T/lx.tsv"
$EMB eval nodes "$T/v.txt" "$T/lx.tsv" --repeats 1 --json > "$T/x.json" || fail "run (skipped nodes)"
json "nodes without vectors are skipped and counted" "$T/x.json" "d['skipped'] == 2 and d['nodes'] == 300"

# ---- agreement with scikit-learn -------------------------------------------------------
if $PY -c 'import sklearn, numpy' 2>/dev/null; then
  # Overlapping classes (accuracy well below 1, so the comparison means
  # something): 600 nodes, 5 classes, dim 16, fixed split 300/100/200.
  # And a multi-label set from a noisy linear model, compared on Micro/Macro-F1.
  $PY - "$T" <<'EOF'
import sys, numpy as np
T = sys.argv[1]
rng = np.random.default_rng(0)
n, k, d = 600, 5, 16
centres = rng.normal(size=(k, d)) * 0.4
y = rng.integers(0, k, size=n)
X = centres[y] + rng.normal(size=(n, d)) + 0.5
with open(f"{T}/sk.txt", "w") as f:
    f.write(f"{n} {d}\n")
    for i in range(n): f.write(f"n{i} " + " ".join(f"{v:.6f}" for v in X[i]) + "\n")
with open(f"{T}/sk_labels.tsv", "w") as f:
    for i in range(n): f.write(f"n{i}\t{y[i]}\n")
with open(f"{T}/sk_split.tsv", "w") as f:
    for i in range(n): f.write(f"n{i}\t{'train' if i < 300 else 'val' if i < 400 else 'test'}\n")
# Multi-label: 8 labels, label j when x . u_j + noise > threshold.
n, L = 600, 8
X = rng.normal(size=(n, d)) + 0.3
U = rng.normal(size=(L, d))
Y = (X @ U.T + rng.normal(size=(n, L)) * 2.0) > 1.5
Y[~Y.any(axis=1), 0] = True
with open(f"{T}/skm.txt", "w") as f:
    f.write(f"{n} {d}\n")
    for i in range(n): f.write(f"n{i} " + " ".join(f"{v:.6f}" for v in X[i]) + "\n")
with open(f"{T}/skm_labels.tsv", "w") as f:
    for i in range(n):
        for j in np.flatnonzero(Y[i]): f.write(f"n{i}\t{j}\n")
EOF
  $EMB eval nodes "$T/sk.txt" "$T/sk_labels.tsv" --split "$T/sk_split.tsv" --json > "$T/sk.json" || fail "run (sklearn set)"
  $EMB eval nodes "$T/skm.txt" "$T/skm_labels.tsv" --split "$T/sk_split.tsv" --json > "$T/skm.json" || fail "run (sklearn multi-label set)"
  if $PY - "$T" <<'EOF'
import sys, json, warnings, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.metrics import f1_score
warnings.filterwarnings("ignore")
T = sys.argv[1]
def load(prefix):
    rows = [l.split() for l in open(f"{T}/{prefix}.txt").read().splitlines()[1:]]
    names = [r[0] for r in rows]
    X = np.array([[float(v) for v in r[1:]] for r in rows])
    lab = {}
    for l in open(f"{T}/{prefix}_labels.tsv"):
        a, b = l.split()
        lab.setdefault(a, []).append(int(b))
    part = dict(l.split() for l in open(f"{T}/sk_split.tsv"))
    tr = [i for i, nm in enumerate(names) if part[nm] == "train"]
    te = [i for i, nm in enumerate(names) if part[nm] == "test"]
    return names, X, lab, tr, te
ok = True
# Single-label: plain LogisticRegression(liblinear) is one-vs-rest.
names, X, lab, tr, te = load("sk")
y = np.array([lab[nm][0] for nm in names])
clf = LogisticRegression(solver="liblinear", C=1.0).fit(X[tr], y[tr])
acc = float((clf.predict(X[te]) == y[te]).mean())
ours = json.load(open(f"{T}/sk.json"))["split"]["test"]
print(f"accuracy: sklearn {acc:.4f}, emb {ours['accuracy']:.4f}")
ok &= abs(acc - ours["accuracy"]) <= 1e-4 and acc < 0.98
# Multi-label: OneVsRest + top-k, the DeepWalk scoring protocol.
names, X, lab, tr, te = load("skm")
L = 1 + max(max(v) for v in lab.values())
Y = np.zeros((len(names), L), dtype=int)
for i, nm in enumerate(names): Y[i, lab[nm]] = 1
clf = OneVsRestClassifier(LogisticRegression(solver="liblinear", C=1.0)).fit(X[tr], Y[tr])
P = clf.predict_proba(X[te])
pred = np.zeros_like(Y[te])
for r, i in enumerate(te): pred[r, np.argsort(-P[r], kind="stable")[: Y[i].sum()]] = 1
mi = f1_score(Y[te], pred, average="micro", zero_division=0)
ma = f1_score(Y[te], pred, average="macro", zero_division=0)
ours = json.load(open(f"{T}/skm.json"))["split"]["test"]
print(f"micro-F1: sklearn {mi:.4f}, emb {ours['micro_f1']:.4f}; macro-F1: sklearn {ma:.4f}, emb {ours['macro_f1']:.4f}")
ok &= abs(mi - ours["micro_f1"]) <= 1e-4 and abs(ma - ours["macro_f1"]) <= 1e-4
sys.exit(0 if ok else 1)
EOF
  then pass "agrees with sklearn liblinear (accuracy, Micro-F1, Macro-F1 within 1e-4)"; else fail "differs from sklearn liblinear"; fi
else
  fail "python3-sklearn is not installed: run scripts/setup.sh (or apt-get install python3-sklearn python3-numpy)"
fi

echo "$fails failed"
[[ $fails -eq 0 ]] || exit 1
