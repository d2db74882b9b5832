#!/usr/bin/env bash
# run_all.sh -- the word2vec benchmark set behind docs/benchmarks.md.
# Takes about an hour on 2 cores; run it on an otherwise idle machine.
# gensim is fastest with OpenBLAS (Debian libopenblas0-pthread), so the
# script installs it if missing: the peer gets its best configuration.
set -eu
cd "$(dirname "$0")/.."
dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed" ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread python3-gensim fasttext > /dev/null; }
make -j"$(nproc)" > /dev/null
mkdir -p bench/out
B="/usr/bin/python3 bench/w2v.py"
$B --corpus small --config sg --runs 3 | tee bench/out/small-sg.log
$B --corpus prefix --config sg --runs 3 | tee bench/out/prefix-sg.log
$B --corpus small --config cbow --runs 3 | tee bench/out/small-cbow.log
$B --corpus small --config sg-hs --runs 3 | tee bench/out/small-sg-hs.log
$B --corpus small --config sg-plain --runs 3 --tools emb,gensim | tee bench/out/small-sg-plain.log
