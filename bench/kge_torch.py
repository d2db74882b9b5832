#!/usr/bin/python3
"""kge_torch.py -- a PyTorch (CPU) reference for `emb train kge`: the same
models, batches, shared negatives, losses and optimiser, for the speed
comparison in bench/kge.py.

What it does, step for step like src/models/kge.c:
  * epochs over a shuffled train set in batches of --batch; a batch is cut
    into chunks of --batch/--threads positives; each chunk draws --negatives
    uniform entities and corrupts heads or tails (alternating by chunk and
    step), every positive of the chunk scored against the same negatives;
  * scores: TransE gamma - ||h + r - t||_1, DistMult <h, r, t>, ComplEx
    Re<h, r, conj t>, RotatE gamma - sum |h o r - t| with r = exp(i theta),
    theta = x * pi / s0 (the RotatE code's parameterisation);
  * loss: self-adversarial negative sampling (--adv-temp; weights detached),
    averaged over the chunk's positives;
  * optimiser: SparseAdam on sparse embedding gradients (lazy Adam: only rows
    in the batch move), as emb does;
  * initialisation uniform in [-s0, s0], s0 = (gamma + 2) / dim.
Reports positive triples per second and, at the end, filtered MRR on the
first --valid-max valid triples (ties count half, as emb_kge_quick_mrr).

  /usr/bin/python3 bench/kge_torch.py --data ../shared/data/kg/WN18RR --model rotate \
      --dim 200 --batch 512 --negatives 128 --epochs 1 --threads 2 --json out.json
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch


def load(d):
    ents, rels = {}, {}
    splits = {}
    for name in ("train", "valid", "test"):
        path = None
        for ext in (".tsv", ".txt", ".tsv.gz", ".txt.gz"):
            if os.path.exists(os.path.join(d, name + ext)):
                path = os.path.join(d, name + ext)
                break
        rows = []
        if path:
            import gzip
            op = gzip.open if path.endswith(".gz") else open
            with op(path, "rt", encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    h, r, t = [x.strip() for x in line.split("\t")]
                    rows.append((ents.setdefault(h, len(ents)), rels.setdefault(r, len(rels)),
                                 ents.setdefault(t, len(ents))))
        splits[name] = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return ents, rels, splits


class Model(torch.nn.Module):
    def __init__(self, kind, n_ent, n_rel, dim, gamma):
        super().__init__()
        self.kind, self.dim, self.gamma = kind, dim, gamma
        self.s0 = (gamma + 2.0) / dim
        cplx = kind in ("complex", "rotate")
        self.ent = torch.nn.Embedding(n_ent, 2 * dim if cplx else dim, sparse=True)
        self.rel = torch.nn.Embedding(n_rel, 2 * dim if kind == "complex" else dim, sparse=True)
        torch.nn.init.uniform_(self.ent.weight, -self.s0, self.s0)
        torch.nn.init.uniform_(self.rel.weight, -self.s0, self.s0)

    def query(self, a, r, head):
        """(B, w) queries: candidates e then score F(q, e)."""
        d = self.dim
        if self.kind == "transe":
            return a - r if head else a + r
        if self.kind == "distmult":
            return a * r
        if self.kind == "rotate":
            th = r * (math.pi / self.s0)
            rr, ri = torch.cos(th), torch.sin(th)
        else:
            rr, ri = r[:, :d], r[:, d:]
        if head:
            ri = -ri
        ar, ai = a[:, :d], a[:, d:]
        return torch.cat([ar * rr - ai * ri, ar * ri + ai * rr], dim=1)

    def match(self, q, e):
        """q: (B, w), e: (N, w) -> (B, N) scores."""
        d = self.dim
        if self.kind in ("distmult", "complex"):
            return q @ e.t()
        if self.kind == "transe":
            return self.gamma - (q[:, None, :] - e[None, :, :]).abs().sum(-1)
        dr = q[:, None, :d] - e[None, :, :d]
        di = q[:, None, d:] - e[None, :, d:]
        return self.gamma - torch.sqrt(dr * dr + di * di).sum(-1)

    def match_pos(self, q, e):
        d = self.dim
        if self.kind in ("distmult", "complex"):
            return (q * e).sum(-1)
        if self.kind == "transe":
            return self.gamma - (q - e).abs().sum(-1)
        dr, di = q[:, :d] - e[:, :d], q[:, d:] - e[:, d:]
        return self.gamma - torch.sqrt(dr * dr + di * di).sum(-1)


def chunk_loss(m, tri, neg, head, alpha):
    h, r, t = tri[:, 0], tri[:, 1], tri[:, 2]
    a, e = (t, h) if head else (h, t)
    q = m.query(m.ent(a), m.rel(r), head)
    pos = m.match_pos(q, m.ent(e))
    negs = m.match(q, m.ent(neg))
    w = torch.softmax(alpha * negs, dim=1).detach()
    lp = torch.nn.functional.softplus(-pos)
    ln = (w * torch.nn.functional.softplus(negs)).sum(1)
    return (0.5 * (lp + ln)).mean()


@torch.no_grad()
def filtered_mrr(m, splits, n_ent, max_triples):
    known = set(map(tuple, np.concatenate([splits[k] for k in ("train", "valid", "test")]).tolist()))
    ev = splits["valid"][:max_triples]
    allent = m.ent.weight
    total = 0.0
    for h, r, t in ev.tolist():
        for head in (False, True):
            a = torch.tensor([t if head else h])
            q = m.query(m.ent(a), m.rel(torch.tensor([r])), head)
            s = m.match(q, allent)[0].numpy()
            truth = h if head else t
            st = s[truth]
            mask = s >= st
            mask[truth] = False
            gt = eq = 0
            for e in np.nonzero(mask)[0].tolist():
                if ((e, r, t) if head else (h, r, e)) in known:
                    continue
                if s[e] > st:
                    gt += 1
                else:
                    eq += 1
            total += 1.0 / (1 + gt + 0.5 * eq)
    return total / (2 * len(ev))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default="rotate")
    ap.add_argument("--dim", type=int, default=200)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--negatives", type=int, default=128)
    ap.add_argument("--gamma", type=float, default=6.0)
    ap.add_argument("--adv-temp", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = all epochs)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--valid-max", type=int, default=500)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    ents, rels, splits = load(a.data)
    train = torch.from_numpy(splits["train"])
    m = Model(a.model, len(ents), len(rels), a.dim, a.gamma)
    params = [m.ent.weight, m.rel.weight]
    # RotatE phases move pi/s0 times faster in radians (see emb's kge.c);
    # with theta = x * pi / s0 the same lr on x does exactly that.
    opt = torch.optim.SparseAdam(params, lr=a.lr)
    n = len(train)
    spe = (n + a.batch - 1) // a.batch
    chunk = (min(a.batch, n) + a.threads - 1) // a.threads
    step, done, t_train = 0, 0, 0.0
    losses = []
    for ep in range(a.epochs):
        perm = torch.from_numpy(rng.permutation(n))
        t0 = time.perf_counter()
        for b in range(spe):
            if a.max_steps and step >= a.max_steps:
                break
            idx = perm[b * a.batch:(b + 1) * a.batch]
            loss = 0.0
            # One optimiser step per chunk, as emb's threads do.
            for k, c0 in enumerate(range(0, len(idx), chunk)):
                tri = train[idx[c0:c0 + chunk]]
                neg = torch.from_numpy(rng.integers(0, len(ents), a.negatives))
                head = bool((step + k) & 1)
                opt.zero_grad()
                lk = chunk_loss(m, tri, neg, head, a.adv_temp)
                lk.backward()
                opt.step()
                loss += float(lk)
            losses.append(loss)
            step += 1
            done += len(idx)
        t_train += time.perf_counter() - t0
    mrr = filtered_mrr(m, splits, len(ents), a.valid_max) if a.valid_max > 0 else None
    out = {"impl": "torch", "model": a.model, "dim": a.dim, "batch": a.batch, "negatives": a.negatives,
           "threads": a.threads, "epochs": a.epochs, "steps": step, "train_seconds": t_train,
           "triples_per_sec": done / t_train if t_train > 0 else 0, "valid_mrr": mrr,
           "final_loss": float(np.mean(losses[-20:])) if losses else None, "torch": torch.__version__}
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
