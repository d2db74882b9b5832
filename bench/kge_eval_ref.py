#!/usr/bin/env python3
"""kge_eval_ref.py -- the same filtered ranking as `emb eval kge`, in PyTorch.

    /usr/bin/python3 bench/kge_eval_ref.py MODEL.kge DATA_DIR [--split test] [--threads 2] [--batch 256] [--limit N]

Reads emb's native model file (io.h header, then entity names, relation
names, entity rows, relation rows) and the dataset's train/valid/test
files, and computes for every test triple the filtered rank of the true
tail among all entities for (h, r, ?) and of the true head for (?, r, t):
rank = 1 + #higher + #tied/2 after removing the other known answers of
train, valid and test. This is what LibKGE and the RotatE code do (one
batch of test triples at a time, scores as a dense (batch x entities)
matrix, known answers masked), with the same tie rule as emb. Prints one
JSON line: metrics and the seconds spent ranking (loading excluded).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time


def threads_from_argv(default=2):
    """--threads N, read before torch loads so OpenBLAS/OpenMP see it too."""
    a = sys.argv
    return a[a.index('--threads') + 1] if '--threads' in a[:-1] else str(default)


for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402


def read_model(path):
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[:8] != b'EMBKGE\0\0':
        sys.exit(f'{path}: not an emb model file')
    _version, kv_len = struct.unpack_from('<II', buf, 8)
    kv = dict(line.split('=', 1) for line in buf[16:16 + kv_len].decode().split('\n') if '=' in line)
    off = 16 + kv_len

    def array(elem, dtype):
        nonlocal off
        (n,) = struct.unpack_from('<q', buf, off)
        off += 8
        a = np.frombuffer(buf, dtype=dtype, count=n, offset=off)
        off += n * elem
        return a

    ent_names = bytes(array(1, np.uint8)).split(b'\0')[:-1]
    rel_names = bytes(array(1, np.uint8)).split(b'\0')[:-1]
    n_ent, n_rel = int(kv['n_entities']), int(kv['n_relations'])
    ent = array(4, np.float32).reshape(n_ent, int(kv['ent_width']))
    rel = array(4, np.float32).reshape(n_rel, int(kv['rel_width']))
    return dict(model=kv['model'], dim=int(kv['dim']), p_norm=int(kv['p_norm']), gamma=float(kv['gamma']),
                ent=torch.from_numpy(ent.copy()), rel=torch.from_numpy(rel.copy()),
                ent_ids={n.decode(): i for i, n in enumerate(ent_names)},
                rel_ids={n.decode(): i for i, n in enumerate(rel_names)})


def read_split(data, name):
    for ext in ('.tsv', '.txt', '.tsv.gz', '.txt.gz'):
        p = os.path.join(data, name + ext)
        if os.path.exists(p):
            op = gzip.open if p.endswith('.gz') else open
            with op(p, 'rt', encoding='utf-8') as f:
                return [tuple(x.strip() for x in line.rstrip('\r\n').split('\t')) for line in f if line.strip()]
    return []


def queries(m, a, r, tail):
    """Query rows q with score(q, e) as in kgeval.c (a: heads when tail)."""
    x, w, d = m['ent'][a], m['rel'][r], m['dim']
    kind = m['model']
    if kind == 'transe':
        return x + w if tail else x - w
    if kind == 'distmult':
        return x * w
    xr, xi = x[:, :d], x[:, d:]
    if kind == 'complex':
        wr, wi = w[:, :d], w[:, d:]
        if tail:
            return torch.cat([xr * wr - xi * wi, xr * wi + xi * wr], 1)
        return torch.cat([wr * xr + wi * xi, wr * xi - wi * xr], 1)
    c, s = torch.cos(w), torch.sin(w)
    if not tail:
        s = -s
    return torch.cat([xr * c - xi * s, xr * s + xi * c], 1)


def scores(m, q):
    e, kind, d = m['ent'], m['model'], m['dim']
    if kind in ('distmult', 'complex'):
        return q @ e.T
    if kind == 'transe':
        return m['gamma'] - torch.cdist(q, e, p=float(m['p_norm']))
    # RotatE: sum of complex moduli, in small chunks to bound memory
    out = torch.empty(q.shape[0], e.shape[0])
    er, ei = e[:, :d], e[:, d:]
    for i in range(0, q.shape[0], 4):
        qr, qi = q[i:i + 4, None, :d], q[i:i + 4, None, d:]
        out[i:i + 4] = m['gamma'] - torch.sqrt((qr - er) ** 2 + (qi - ei) ** 2).sum(-1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('data')
    ap.add_argument('--split', default='test')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--limit', type=int, default=0, help='only the first N triples of the split (0 = all)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    m = read_model(args.model)
    E, R = m['ent_ids'], m['rel_ids']
    known_t, known_h = {}, {}
    for name in ('train', 'valid', 'test'):
        for h, r, t in read_split(args.data, name):
            h, r, t = E[h], R[r], E[t]
            known_t.setdefault((h, r), set()).add(t)
            known_h.setdefault((r, t), set()).add(h)
    test = np.array([(E[h], R[r], E[t]) for h, r, t in read_split(args.data, args.split)], dtype=np.int64)
    if args.limit > 0:
        test = test[:args.limit]
    t0 = time.time()
    ranks = {}
    with torch.no_grad():
        for tail in (True, False):
            out = []
            for i in range(0, len(test), args.batch):
                b = torch.from_numpy(test[i:i + args.batch])
                h, r, t = b[:, 0], b[:, 1], b[:, 2]
                s = scores(m, queries(m, h if tail else t, r, tail))
                target = t if tail else h
                rows, cols = [], []
                for j in range(len(b)):
                    key = (int(h[j]), int(r[j])) if tail else (int(r[j]), int(t[j]))
                    for c in (known_t if tail else known_h)[key]:
                        if c != int(target[j]):
                            rows.append(j)
                            cols.append(c)
                st = s[torch.arange(len(b)), target].unsqueeze(1)
                s[rows, cols] = float('-inf')
                gt = (s > st).sum(1).double()
                eq = (s == st).sum(1).double() - 1
                out.append(1 + gt + eq / 2)
            ranks['tail' if tail else 'head'] = torch.cat(out).numpy()
    seconds = time.time() - t0

    def metrics(x):
        return {'n': int(len(x)), 'mrr': float(np.mean(1 / x)), 'mr': float(np.mean(x)),
                'hits@1': float(np.mean(x <= 1)), 'hits@3': float(np.mean(x <= 3)), 'hits@10': float(np.mean(x <= 10))}

    both = np.concatenate([ranks['tail'], ranks['head']])
    print(json.dumps({'model': m['model'], 'dim': m['dim'], 'triples': int(len(test)), 'threads': args.threads,
                      'seconds': seconds, 'both': metrics(both), 'head': metrics(ranks['head']),
                      'tail': metrics(ranks['tail'])}))


if __name__ == '__main__':
    main()
