#!/usr/bin/env python3
"""kge_eval.py -- speed of filtered KGE evaluation: `emb eval kge` against
the same ranking in PyTorch (bench/kge_eval_ref.py), same model, same data.

    flock /tmp/emb-bench.lock /usr/bin/python3 bench/kge_eval.py [--runs 3] [--threads 2]

Models of the standard sizes on FB15k-237 (14,541 entities, 20,466 test
triples, both directions): ComplEx dim 1000 (2000 floats an entity),
RotatE dim 1000 and TransE dim 200 (L1), each trained briefly by `emb
train kge` (--steps 100, seed 1) so that scores are not random; the
evaluation cost does not depend on training. Runs are interleaved (emb,
torch, emb, torch, ...); medians and the ratio are reported, together with
both tools' metrics (they rank identically up to float rounding). PyTorch's
RotatE needs a (queries x entities x dim) tensor and its TransE uses
torch.cdist(p=1); both are slow, so by default they run on the first 100
and 5,000 test triples (--torch-limit) and their time is scaled to the full
set (marked in the table; their metrics are then over those triples only).
Raw results: bench/out/kge_eval.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = '/usr/bin/python3'


def run_json(cmd):
    t0 = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    d['wall_seconds'] = time.time() - t0
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data', 'kg', 'FB15k-237'))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--models', default='complex:1000,rotate:1000,transe:200')
    ap.add_argument('--torch-limit', default='rotate:100,transe:5000',
                    help='model:N pairs: PyTorch ranks only the first N test triples of that model, time scaled up')
    ap.add_argument('--tmp', default='/tmp/emb-kge-eval-bench')
    ap.add_argument('--emb', default=os.path.join(ROOT, 'build', 'emb'), help='the emb binary to time')
    args = ap.parse_args()
    emb = args.emb
    os.makedirs(args.tmp, exist_ok=True)
    n_test = sum(1 for line in open(os.path.join(args.data, 'test.tsv')) if line.strip())
    results = []
    for spec in args.models.split(','):
        kind, dim = spec.split(':')
        path = os.path.join(args.tmp, f'{kind}{dim}.kge')
        if not os.path.exists(path):
            subprocess.run([emb, 'train', 'kge', '--model', kind, '--dim', dim, '--data', args.data, '--output', path,
                            '--steps', '100', '--threads', str(args.threads), '--seed', '1', '--quiet'], check=True)
        limits = dict((k, int(v)) for k, v in (x.split(':') for x in args.torch_limit.split(',') if x))
        limit = limits.get(kind, 0)
        runs = {'emb': [], 'torch': []}
        ranks_path = os.path.join(args.tmp, f'{kind}{dim}.ranks.tsv')
        for r in range(args.runs):
            runs['emb'].append(run_json([emb, 'eval', 'kge', path, '--data', args.data, '--threads',
                                         str(args.threads), '--json', '--quiet', '--ranks', ranks_path]))
            ref = [PY, os.path.join(ROOT, 'bench', 'kge_eval_ref.py'), path, args.data, '--threads', str(args.threads)]
            if limit:
                ref += ['--limit', str(limit)]
            runs['torch'].append(run_json(ref))
            print(f"{kind} {dim} run {r + 1}: emb {runs['emb'][-1]['seconds']:.2f} s, "
                  f"torch {runs['torch'][-1]['seconds']:.2f} s{' (first %d triples)' % limit if limit else ''}",
                  file=sys.stderr)
        # emb's metrics over the triples PyTorch ranked (all, or the first `limit`)
        rk = [float(x) for line in list(open(ranks_path))[:limit or None] for x in line.rstrip('\n').split('\t')[3:5]]
        emb_same = {'n': len(rk), 'mrr': sum(1 / x for x in rk) / len(rk), 'mr': sum(rk) / len(rk),
                    'hits@10': sum(x <= 10 for x in rk) / len(rk)}
        e = statistics.median(x['seconds'] for x in runs['emb'])
        t = statistics.median(x['seconds'] for x in runs['torch'])
        t_full = t * n_test / limit if limit else t
        results.append({'model': kind, 'dim': int(dim), 'emb_seconds': e, 'torch_seconds': t_full,
                        'torch_extrapolated_from': limit or None, 'ratio': t_full / e,
                        'emb_both': runs['emb'][0]['both'], 'torch_both': runs['torch'][0]['both'],
                        'emb_on_torch_triples': emb_same,
                        'queries': runs['emb'][0]['queries'], 'runs': runs})
    out = {'data': os.path.abspath(args.data), 'threads': args.threads, 'test_triples': n_test,
           'date': time.strftime('%Y-%m-%d'), 'results': results}
    os.makedirs(os.path.join(ROOT, 'bench', 'out'), exist_ok=True)
    with open(os.path.join(ROOT, 'bench', 'out', 'kge_eval.json'), 'w') as f:
        json.dump(out, f, indent=1)
    print(f'| model | emb eval kge (s) | PyTorch (s) | PyTorch / emb | MRR emb (all) | MRR emb / PyTorch (same triples) |')
    print('| --- | ---: | ---: | ---: | ---: | ---: |')
    for r in results:
        star = f' (from {r["torch_extrapolated_from"]} triples)' if r['torch_extrapolated_from'] else ''
        print(f"| {r['model']} dim {r['dim']} | {r['emb_seconds']:.1f} | {r['torch_seconds']:.1f}{star} | "
              f"{r['ratio']:.1f} | {r['emb_both']['mrr']:.5f} | {r['emb_on_torch_triples']['mrr']:.6f} / "
              f"{r['torch_both']['mrr']:.6f} |")


if __name__ == '__main__':
    main()
