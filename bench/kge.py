#!/usr/bin/python3
"""kge.py -- knowledge-graph embedding benchmarks for `emb train kge`.

Two parts (run each under `flock /tmp/emb-bench.lock` on a shared machine):

  speed    emb against the PyTorch reference (bench/kge_torch.py: same model,
           batch, shared negatives, loss, lazy Adam, 2 threads), runs
           interleaved, medians of positive triples per second, and the
           filtered MRR on the first 500 valid triples after the same
           number of epochs.
  quality  filtered test MRR and Hits@1/3/10 (emb's quick evaluator) for
           one model on WN18RR or FB15k-237, with the wall time, the valid
           MRR against time curve (from --valid-every lines) and the
           published numbers beside it.

  /usr/bin/python3 bench/kge.py speed --data ../shared/data/kg/WN18RR --models rotate,distmult --epochs 1
  /usr/bin/python3 bench/kge.py quality --data ../shared/data/kg/WN18RR --model rotate -- --dim 500 ...

Raw results go to bench/out/kge_*.json.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMB = os.environ.get("EMB") or os.path.join(ROOT, "build", "emb")  # EMB=path: another build
OUT = os.path.join(ROOT, "bench", "out")

# Published filtered test results (../shared/data/kg/README.md): MRR, H@10.
PUBLISHED = {
    ("WN18RR", "transe"): (0.226, 0.501, "RotatE paper Table 5"),
    ("WN18RR", "distmult"): (0.43, 0.49, "RotatE paper Table 5"),
    ("WN18RR", "complex"): (0.44, 0.51, "RotatE paper Table 5"),
    ("WN18RR", "rotate"): (0.476, 0.571, "RotatE paper Table 5"),
    ("FB15k-237", "transe"): (0.294, 0.465, "RotatE paper Table 5"),
    ("FB15k-237", "distmult"): (0.241, 0.419, "RotatE paper Table 5"),
    ("FB15k-237", "complex"): (0.247, 0.428, "RotatE paper Table 5"),
    ("FB15k-237", "rotate"): (0.338, 0.533, "RotatE paper Table 5"),
}

# The targets (filtered test MRR), for the table.
TARGETS = {
    ("WN18RR", "rotate"): 0.47, ("FB15k-237", "rotate"): 0.33,
    ("WN18RR", "complex"): 0.46, ("FB15k-237", "complex"): 0.33,
    ("WN18RR", "distmult"): 0.43, ("FB15k-237", "distmult"): 0.30,
    ("WN18RR", "transe"): 0.22, ("FB15k-237", "transe"): 0.29,
}


def run_emb(args, log=None):
    t0 = time.perf_counter()
    p = subprocess.run([EMB, "train", "kge"] + args + ["--json"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("emb failed: " + p.stderr.strip().splitlines()[-1])
    if log:
        with open(log, "w") as f:
            f.write(p.stderr)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = wall
    out["stderr"] = p.stderr
    return out


def speed(a):
    os.makedirs(OUT, exist_ok=True)
    results = []
    for model in a.models.split(","):
        common = dict(dim=a.dim, batch=a.batch, negatives=a.negatives)
        emb_args = ["--model", model, "--data", a.data, "--output", "/tmp/kge_bench.kge", "--dim", str(a.dim),
                    "--batch", str(a.batch), "--negatives", str(a.negatives), "--margin", str(a.gamma),
                    "--adv-temp", str(a.adv_temp), "--lr", str(a.lr), "--epochs", str(a.epochs),
                    "--threads", str(a.threads), "--valid-max", str(a.valid_max), "--quiet"]
        torch_args = ["/usr/bin/python3", os.path.join(ROOT, "bench", "kge_torch.py"), "--data", a.data,
                      "--model", model, "--dim", str(a.dim), "--batch", str(a.batch), "--negatives",
                      str(a.negatives), "--gamma", str(a.gamma), "--adv-temp", str(a.adv_temp), "--lr", str(a.lr),
                      "--epochs", str(a.epochs), "--threads", str(a.threads), "--valid-max", str(a.valid_max)]
        e_runs, t_runs = [], []
        for r in range(a.runs):  # interleaved: emb, torch, emb, torch, ...
            e = run_emb(emb_args + ["--seed", str(r + 1)])
            e.pop("stderr")
            e_runs.append(e)
            print(f"  {model} emb run {r + 1}: {e['triples_per_sec']:.0f} triples/s, valid MRR {e['valid_mrr']:.4f}",
                  flush=True)
            p = subprocess.run(torch_args + ["--seed", str(r + 1)], capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("torch failed: " + p.stderr[-500:])
            t = json.loads(p.stdout.strip().splitlines()[-1])
            t_runs.append(t)
            print(f"  {model} torch run {r + 1}: {t['triples_per_sec']:.0f} triples/s, valid MRR {t['valid_mrr']:.4f}",
                  flush=True)
        em = statistics.median(x["triples_per_sec"] for x in e_runs)
        tm = statistics.median(x["triples_per_sec"] for x in t_runs)
        row = dict(model=model, data=os.path.basename(a.data.rstrip("/")), epochs=a.epochs, threads=a.threads,
                   lr=a.lr, gamma=a.gamma, adv_temp=a.adv_temp, **common,
                   emb_triples_per_sec=em, torch_triples_per_sec=tm, ratio=em / tm,
                   emb_valid_mrr=statistics.median(x["valid_mrr"] for x in e_runs),
                   torch_valid_mrr=statistics.median(x["valid_mrr"] for x in t_runs), emb_runs=e_runs,
                   torch_runs=t_runs)
        results.append(row)
        print(f"{model}: emb {em:.0f} triples/s, torch {tm:.0f} triples/s, ratio {em / tm:.1f}x; valid MRR "
              f"emb {row['emb_valid_mrr']:.4f}, torch {row['torch_valid_mrr']:.4f}", flush=True)
    path = os.path.join(OUT, a.out or f"kge_speed_{os.path.basename(a.data.rstrip('/'))}.json")
    with open(path, "w") as f:
        json.dump(dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), results=results), f, indent=1)
    print("wrote", path)


def quality(a, extra):
    os.makedirs(OUT, exist_ok=True)
    ds = os.path.basename(a.data.rstrip("/"))
    args = ["--model", a.model, "--data", a.data, "--output", a.output or f"/tmp/kge_{ds}_{a.model}.kge",
            "--threads", str(a.threads), "--eval-test"] + extra
    e = run_emb(args)
    curve = e.get("valid_curve") or [dict(step=int(m.group(1)), mrr=float(m.group(2)), seconds=float(m.group(3)))
                                     for m in re.finditer(r"step (\d+): valid MRR ([0-9.]+) .*?, (\d+) s", e["stderr"])]
    pub = PUBLISHED.get((ds, a.model))
    row = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), data=ds, model=a.model,
               args=" ".join(args), threads=a.threads, train_seconds=e["seconds"], wall_seconds=e["wall_seconds"],
               steps=e["steps"], test=e.get("test"), valid_curve=curve,
               published=dict(mrr=pub[0], hits10=pub[1], source=pub[2]) if pub else None)
    t = e.get("test", {})
    print(f"{ds} {a.model}: test MRR {t.get('mrr', 0):.4f} H@1 {t.get('hits1', 0):.4f} H@3 {t.get('hits3', 0):.4f} "
          f"H@10 {t.get('hits10', 0):.4f}; {e['steps']} steps in {e['seconds']:.0f} s (wall {e['wall_seconds']:.0f} s)"
          + (f"; published MRR {pub[0]} H@10 {pub[1]}" if pub else ""))
    path = os.path.join(OUT, a.out or f"kge_quality_{ds}_{a.model}.json")
    with open(path, "w") as f:
        json.dump(row, f, indent=1)
    print("wrote", path)


def table(a):
    """The quality table of docs/benchmarks.md from bench/out/kge_quality_*.json."""
    import glob
    rows = []
    for path in sorted(glob.glob(os.path.join(OUT, "kge_quality_*.json"))):
        r = json.load(open(path))
        rows.append(r)
    order = {"WN18RR": 0, "FB15k-237": 1}
    rows.sort(key=lambda r: (order.get(r["data"], 9), ["rotate", "complex", "distmult", "transe"].index(r["model"])))
    print("| data | model | MRR | H@1 | H@3 | H@10 | target MRR | met | published MRR / H@10 | steps | train time "
          "| finished (UTC) | options |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|")
    for r in rows:
        t, tgt, pub = r["test"], TARGETS.get((r["data"], r["model"])), r.get("published") or {}
        opts = r["args"].split("--eval-test", 1)[-1].replace("--quiet", "")
        opts = " ".join(re.sub(r"--valid-(every|max) \d+", "", opts).split())
        print(f"| {r['data']} | {r['model']} | {t['mrr']:.4f} | {t['hits1']:.3f} | {t['hits3']:.3f} | "
              f"{t['hits10']:.3f} | {tgt:.2f} | {'yes' if tgt and t['mrr'] >= tgt else '**no**'} | "
              f"{pub.get('mrr', '-')} / {pub.get('hits10', '-')} | {r['steps']:,} | {r['train_seconds'] / 60:.1f} min "
              f"| {r['date'][11:16]} | `{opts}` |")


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--data", required=True)
    s.add_argument("--models", default="rotate,distmult,transe,complex")
    s.add_argument("--dim", type=int, default=200)
    s.add_argument("--batch", type=int, default=512)
    s.add_argument("--negatives", type=int, default=128)
    s.add_argument("--gamma", type=float, default=6.0)
    s.add_argument("--adv-temp", type=float, default=0.5)
    s.add_argument("--lr", type=float, default=0.001)
    s.add_argument("--epochs", type=int, default=1)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--runs", type=int, default=1)
    s.add_argument("--valid-max", type=int, default=500)
    s.add_argument("--out")
    sub.add_parser("table")
    q = sub.add_parser("quality")
    q.add_argument("--data", required=True)
    q.add_argument("--model", required=True)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--output")
    q.add_argument("--out")
    a = ap.parse_args(argv)
    if a.cmd == "speed":
        speed(a)
    elif a.cmd == "table":
        table(a)
    else:
        quality(a, extra)


if __name__ == "__main__":
    main()
