#!/usr/bin/python3
"""nn.py -- the nn kit's linear layer and LSTM against PyTorch on the same
shapes and threads, forward + backward (input and parameter gradients).

    flock /tmp/emb-bench.lock /usr/bin/python3 bench/nn.py [--threads 2] [--rounds 5]

Builds build/bench/nn_speed, then runs rounds interleaved (emb, torch, emb,
torch, ...); each round times REPS repetitions after a warm-up and keeps
their median. Reports the median over rounds, GFLOP/s (2 flops per
multiply-add of the GEMMs; the LSTM's elementwise work is not counted)
and the ratio. Raw results go to bench/out/nn.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [("linear", (256, 1024, 1024)), ("linear", (64, 512, 512)), ("linear", (1024, 768, 3072)),
         ("lstm", (100, 64, 128, 128))]


def flops(kind, s):
    if kind == "linear":
        B, i, o = s
        return 3 * 2 * B * i * o  # y, dx, dw
    T, B, i, H = s
    fwd = 2 * T * B * 4 * H * (i + H)
    return 3 * fwd  # forward, data gradients, weight gradients


def run_emb(kind, s, reps, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([os.path.join(ROOT, "build/bench/nn_speed"), kind] + [str(v) for v in s] + [str(reps)],
                         capture_output=True, text=True, env=env, check=True).stdout
    return statistics.median(json.loads(out))


def run_torch(kind, s, reps):
    times = []
    if kind == "linear":
        B, i, o = s
        lin = torch.nn.Linear(i, o)
        x = torch.randn(B, i, requires_grad=True)
        dy = torch.randn(B, o)
        step = lambda: lin(x).backward(dy)
        params = [x] + list(lin.parameters())
    else:
        T, B, i, H = s
        lstm = torch.nn.LSTM(i, H)
        x = torch.randn(T, B, i, requires_grad=True)
        dy = torch.randn(T, B, H)
        step = lambda: lstm(x)[0].backward(dy)
        params = [x] + list(lstm.parameters())
    for k in range(reps + 1):
        for p in params:
            p.grad = None
        t0 = time.perf_counter()
        step()
        if k:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    subprocess.run(["make", "-s", "-C", ROOT, "build/libemb.a"], check=True)
    os.makedirs(os.path.join(ROOT, "build/bench"), exist_ok=True)
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "include"), "-o",
                    os.path.join(ROOT, "build/bench/nn_speed"), os.path.join(ROOT, "bench/nn_speed.c"),
                    os.path.join(ROOT, "build/libemb.a"), "-lopenblas", "-lz", "-lm", "-lpthread"], check=True)
    torch.set_num_threads(a.threads)
    rows = []
    for kind, s in CASES:
        te, tt = [], []
        for _ in range(a.rounds):
            te.append(run_emb(kind, s, a.reps, a.threads))
            tt.append(run_torch(kind, s, a.reps))
        me, mt = statistics.median(te), statistics.median(tt)
        f = flops(kind, s)
        rows.append({"case": kind, "shape": s, "emb_s": me, "torch_s": mt, "emb_gflops": f / me / 1e9,
                     "torch_gflops": f / mt / 1e9, "speedup": mt / me, "emb_runs": te, "torch_runs": tt})
        print("%-6s %-22s emb %8.3f ms %6.1f GFLOP/s | torch %8.3f ms %6.1f GFLOP/s | emb %.2fx" %
              (kind, s, me * 1e3, f / me / 1e9, mt * 1e3, f / mt / 1e9, mt / me), flush=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine(),
            "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": "),
            "threads": a.threads, "torch": torch.__version__,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"), "rows": rows}
    with open(os.path.join(ROOT, "bench/out/nn.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
