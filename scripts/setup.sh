#!/usr/bin/env bash
# setup.sh -- the first quick-start command: install what emb needs from
# Debian's packages, build it, and run a demo on data any Debian/Ubuntu
# machine can get (the WordNet 3.0 glosses in the `wordnet-base` package).
#
# The demo trains skip-gram vectors on the glosses (about 1.7M words), then
# shows neighbours, an analogy and an analogy evaluation built from
# WordNet's own lists of irregular forms (plurals, comparatives,
# superlatives, past forms). Everything goes to ./demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run-time packages, then what `make check` uses: numpy and
# scikit-learn (cross-checks), gensim (interoperability test), Chromium and
# python3-websocket (the web page test), wordnet-base and gawk (the WordNet
# quality test and this demo), pkg-config (the install test). With all of them
# `make check` skips only the PyTorch reference test (python3-torch, large;
# .ci/run installs it).
PKGS=(build-essential zlib1g-dev libopenblas-dev pkg-config libjson-c-dev libmicrohttpd-dev libcairo2-dev fonts-dejavu-core xxd wordnet-base gawk
      python3 python3-numpy python3-sklearn python3-gensim python3-websocket chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "== installing ${missing[*]}"
  SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" > /dev/null
fi

echo "== building"
make -j"$(nproc)" > /dev/null
EMB=build/emb

mkdir -p demo
if [[ ! -s demo/wordnet.txt ]]; then
  echo "== preparing the corpus: WordNet 3.0 synonyms and glosses -> demo/wordnet.txt"
  scripts/wordnet-corpus.sh corpus demo/wordnet.txt
fi
echo "   $(wc -l < demo/wordnet.txt) lines, $(wc -w < demo/wordnet.txt) words"

echo "== training skip-gram vectors (dim 100, 10 epochs) -> demo/wordnet.bin"
$EMB train word2vec --model sg --input demo/wordnet.txt --output demo/wordnet.bin \
  --dim 100 --window 5 --negative 5 --min-count 3 --epochs 10 --sample 1e-4 --threads "$(nproc)"

# Analogy questions from WordNet's irregular forms, keeping pairs whose two
# words are among the 30000 most frequent words of the trained vectors.
$EMB convert demo/wordnet.bin - --to text --limit 30000 --quiet | gawk 'NR > 1 { print $1 }' > demo/vocab30k.txt
scripts/wordnet-corpus.sh analogies demo/vocab30k.txt demo/analogies.txt

echo
echo "== nearest neighbours"
$EMB neighbors demo/wordnet.bin dog music river king -k 6
echo
echo "== analogy: man is to woman as king is to ?"
$EMB analogy demo/wordnet.bin man woman king -k 3
echo
echo "== evaluation: analogies from WordNet's irregular forms (top 30000 words)"
$EMB eval analogy demo/wordnet.bin demo/analogies.txt --restrict 30000
echo
echo "== HNSW index (M 16) and a search through it"
$EMB index build demo/wordnet.bin -o demo/wordnet.idx --type hnsw --quiet
$EMB search demo/wordnet.idx --word music -k 6
echo
echo "== 2-D map: t-SNE of the 2000 most frequent words, 150 labelled -> demo/wordnet.png"
$EMB project demo/wordnet.bin -o demo/wordnet.map.tsv --method tsne --top 2000 --quiet
$EMB plot demo/wordnet.map.tsv -o demo/wordnet.png --top 150 --quiet
echo
echo "Done. Try:"
echo "  $EMB neighbors demo/wordnet.bin                     (then type words, one per line)"
echo "  $EMB serve demo/wordnet.bin --index demo/wordnet.idx  (then open http://127.0.0.1:8080/)"
