#!/usr/bin/python3
"""bench/w2v.py -- word2vec training: emb against gensim and fastText.

Every tool trains on the same plain-text file with the same settings
(dim 100, window 5, negative 5, min-count 5, sample 1e-3, 5 epochs,
alpha 0.025, 2 threads unless changed), runs are interleaved
(emb, gensim, fastText, emb, gensim, ...), and each run is timed as a
whole process (wall time and peak RSS from /usr/bin/time). All vectors are
scored by one neutral evaluator, gensim's KeyedVectors:
evaluate_word_analogies(restrict_vocab=30000) on the Google analogy set, and
evaluate_word_pairs on WordSim-353 and MEN (Spearman). emb's own `emb eval`
numbers for emb's vectors are reported beside them as a cross-check.

usage:
  /usr/bin/python3 bench/w2v.py [--corpus small|prefix|full] [--runs 3]
        [--config sg|cbow|sg-hs|sg-plain ...] [--tools emb,gensim,fasttext]

Writes bench/out/w2v-<corpus>-<config>.json and prints a Markdown table with
medians and emb's ratios. The `prefix` corpus is the first 300,000 lines
of corpus.txt.gz (18.3M tokens); `full` is all 65.5M tokens.
"""
import argparse, gzip, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("EMB_DATA", os.path.join(ROOT, "..", "shared", "data"))
WORDS = os.path.join(DATA, "words")
EVAL = os.path.join(WORDS, "eval")
EMB = os.path.join(ROOT, "build", "emb")

# Each config: emb options, gensim kwargs, fastText options (None = n/a).
CONFIGS = {
    "sg": (["--model", "sg"], dict(sg=1, hs=0, negative=5), ["skipgram", "-loss", "ns"]),
    "sg-plain": (["--model", "sg", "--kernel", "plain"], dict(sg=1, hs=0, negative=5), None),
    "cbow": (["--model", "cbow", "--alpha", "0.025"], dict(sg=0, hs=0, negative=5), ["cbow", "-loss", "ns"]),
    "sg-hs": (["--model", "sg", "--loss", "hs"], dict(sg=1, hs=1, negative=0), ["skipgram", "-loss", "hs"]),
}


def prepare(corpus, tmp):
    """Plain-text copy of the corpus (gensim's corpus_file and fastText read
    plain text); returns (path, token count)."""
    path = os.path.join(tmp, f"{corpus}.txt")
    src = {"small": "corpus-small.txt.gz", "prefix": "corpus.txt.gz", "full": "corpus.txt.gz"}[corpus]
    limit = 300000 if corpus == "prefix" else None
    n_tok = 0
    with gzip.open(os.path.join(WORDS, src), "rt") as f, open(path, "w") as out:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            out.write(line)
            n_tok += len(line.split())
    return path, n_tok


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stdout)."""
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return secs, rss, r.stdout


GENSIM_TRAIN = r"""
import sys, json
from gensim.models import Word2Vec
kw = json.loads(sys.argv[3])
m = Word2Vec(corpus_file=sys.argv[1], **kw)
m.wv.save_word2vec_format(sys.argv[2], binary=True)
"""

EVALUATE = r"""
import sys, json, logging
logging.disable(logging.WARNING)
from gensim.models import KeyedVectors
path, ev = sys.argv[1], sys.argv[2]
kv = KeyedVectors.load_word2vec_format(path, binary=path.endswith('.bin'))
acc, _ = kv.evaluate_word_analogies(ev + '/questions-words.txt', restrict_vocab=30000)
ws = kv.evaluate_word_pairs(ev + '/wordsim353.tsv', delimiter='\t')[1][0]
men = kv.evaluate_word_pairs(ev + '/men.tsv', delimiter='\t')[1][0]
print(json.dumps(dict(analogy=acc, ws353=ws, men=men)))
"""


def run_tool(tool, cfg, corpus_path, args, tmp):
    emb_opts, gensim_kw, ft_opts = CONFIGS[cfg]
    out = os.path.join(tmp, f"{tool}.bin")
    common = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5, threads=args.threads, alpha=0.025)
    if tool == "emb":
        cmd = [EMB, "train", "word2vec", "--input", corpus_path, "--output", out, "--quiet",
               "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--sample", "1e-3",
               "--epochs", "5", "--alpha", "0.025", "--threads", str(args.threads)] + emb_opts
    elif tool == "gensim":
        kw = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=5, workers=args.threads, alpha=0.025)
        kw.update(gensim_kw)
        cmd = ["/usr/bin/python3", "-c", GENSIM_TRAIN, corpus_path, out, json.dumps(kw)]
    else:
        if ft_opts is None:
            return None
        base = os.path.join(tmp, "ft")
        cmd = ["fasttext"] + ft_opts[:1] + ["-input", corpus_path, "-output", base, "-minn", "0", "-maxn", "0",
               "-dim", "100", "-ws", "5", "-neg", "5", "-minCount", "5", "-t", "1e-3", "-epoch", "5", "-lr", "0.025",
               "-thread", str(args.threads), "-verbose", "0"] + ft_opts[1:]
        out = base + ".vec"
    secs, rss, _ = timed(cmd)
    q = json.loads(subprocess.run(["/usr/bin/python3", "-c", EVALUATE, out, EVAL], capture_output=True, text=True,
                                  check=True).stdout)
    res = dict(tool=tool, seconds=secs, rss_mb=rss, **q)
    if tool == "emb":  # emb's own evaluator on the same vectors, as a cross-check
        a = json.loads(subprocess.run([EMB, "eval", "analogy", out, EVAL + "/questions-words.txt", "--restrict", "30000",
                                       "--json"], capture_output=True, text=True, check=True).stdout)
        s = json.loads(subprocess.run([EMB, "eval", "similarity", out, EVAL + "/wordsim353.tsv", "--json"],
                                      capture_output=True, text=True, check=True).stdout)
        res["emb_eval"] = dict(analogy=a["accuracy"], ws353=s["spearman"])
    return res


def blas_in_use():
    """The BLAS that gensim's numpy/scipy load (Debian's alternatives)."""
    try:
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="small", choices=["small", "prefix", "full"])
    ap.add_argument("--config", default="sg", choices=sorted(CONFIGS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default="emb,gensim,fasttext")
    args = ap.parse_args()
    tools = args.tools.split(",")
    tmp = tempfile.mkdtemp(prefix="emb-bench-")
    try:
        corpus_path, n_tok = prepare(args.corpus, tmp)
        print(f"corpus {args.corpus}: {n_tok} tokens; config {args.config}; {args.runs} runs; threads {args.threads}; "
              f"BLAS for gensim: {blas_in_use()}", flush=True)
        results = {t: [] for t in tools}
        for r in range(args.runs):
            for t in tools:
                res = run_tool(t, args.config, corpus_path, args, tmp)
                if res is None:
                    continue
                res["words_per_sec"] = n_tok * 5 / res["seconds"]
                results[t].append(res)
                print(f"run {r + 1} {t}: {res['seconds']:.1f} s, {res['words_per_sec'] / 1e6:.2f} M words/s, "
                      f"{res['rss_mb']:.0f} MB, analogy {res['analogy']:.4f}, ws353 {res['ws353']:.4f}, "
                      f"men {res['men']:.4f}" + (f", emb eval {res['emb_eval']}" if 'emb_eval' in res else ""),
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {}
    for t, rs in results.items():
        if rs:
            med[t] = {k: statistics.median(r[k] for r in rs) for k in
                      ("seconds", "words_per_sec", "rss_mb", "analogy", "ws353", "men")}
            med[t]["min_analogy"], med[t]["max_analogy"] = min(r["analogy"] for r in rs), max(r["analogy"] for r in rs)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    info = dict(date=time.strftime("%Y-%m-%d %H:%M"), machine=platform.processor() or platform.machine(),
                cpus=os.cpu_count(), blas=blas_in_use(), corpus=args.corpus, tokens=n_tok, config=args.config, runs=args.runs,
                threads=args.threads, medians=med, results=results)
    with open(os.path.join(ROOT, "bench", "out", f"w2v-{args.corpus}-{args.config}.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"\n| tool | wall s | M tokens x epochs / s | peak RSS MB | analogy (30k) | WS-353 | MEN |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t, m in med.items():
        print(f"| {t} | {m['seconds']:.1f} | {m['words_per_sec'] / 1e6:.2f} | {m['rss_mb']:.0f} | "
              f"{m['analogy']:.4f} ({m['min_analogy']:.4f}-{m['max_analogy']:.4f}) | {m['ws353']:.4f} | {m['men']:.4f} |")
    if "emb" in med:
        for t in med:
            if t != "emb":
                print(f"emb / {t}: speed x{med['emb']['words_per_sec'] / med[t]['words_per_sec']:.2f}, "
                      f"memory x{med['emb']['rss_mb'] / med[t]['rss_mb']:.2f}")


if __name__ == "__main__":
    main()
