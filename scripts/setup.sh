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

# Build and run-time packages; the tests add python3-gensim (see .ci/run).
PKGS=(build-essential zlib1g-dev libopenblas-dev libjson-c-dev libmicrohttpd-dev libcairo2-dev fonts-dejavu-core xxd wordnet-base gawk)
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
WN=/usr/share/wordnet
if [[ ! -s demo/wordnet.txt ]]; then
  echo "== preparing the corpus: WordNet 3.0 synonyms and glosses -> demo/wordnet.txt"
  # One line per synset: its words, then its gloss; lower case, letters only
  # (the same normalisation as the text8 corpus).
  gawk '/^  / { next }  # licence header
       { n = strtonum("0x" $4); words = "";
         for (i = 0; i < n; i++) words = words " " $(5 + 2 * i);
         g = $0; sub(/^[^|]*\| ?/, "", g);
         line = tolower(words " " g); gsub(/_/, " ", line); gsub(/[^a-z]+/, " ", line);
         gsub(/^ +| +$/, "", line); if (line != "") print line }' \
    "$WN"/data.noun "$WN"/data.verb "$WN"/data.adj "$WN"/data.adv > demo/wordnet.txt
fi
echo "   $(wc -l < demo/wordnet.txt) lines, $(wc -w < demo/wordnet.txt) words"

echo "== training skip-gram vectors (dim 100, 10 epochs) -> demo/wordnet.bin"
$EMB train word2vec --model sg --input demo/wordnet.txt --output demo/wordnet.bin \
  --dim 100 --window 5 --negative 5 --min-count 3 --epochs 10 --sample 1e-4 --threads "$(nproc)"

# Analogy questions from WordNet's irregular forms, keeping pairs whose two
# words are among the 30000 most frequent words of the trained vectors:
# every two (base, form) pairs of a section make a question "b1 f1 b2 f2".
$EMB convert demo/wordnet.bin - --to text --limit 30000 --quiet | gawk 'NR > 1 { print $1 }' > demo/vocab30k.txt
gawk 'BEGIN { np = nc = ns = nv = 0 }  # numeric keys from the first line on
     function emit(sec, n, a, b,   i, j) { print ": " sec;
       for (i = 0; i < n; i++) for (j = 0; j < n; j++) if (i != j) print a[i], b[i], a[j], b[j] }
     FILENAME ~ /vocab30k/ { known[$1] = 1; next }
     NF != 2 || $1 == $2 || !($1 in known) || !($2 in known) { next }
     FILENAME ~ /noun.exc/ && np < 40 { pb[np] = $2; pf[np++] = $1 }
     FILENAME ~ /adj.exc/ && $1 ~ /er$/ && nc < 40 { cb[nc] = $2; cf[nc++] = $1 }
     FILENAME ~ /adj.exc/ && $1 ~ /est$/ && ns < 40 { sb[ns] = $2; sf[ns++] = $1 }
     FILENAME ~ /verb.exc/ && $1 !~ /s$|ing$/ && nv < 40 { vb[nv] = $2; vf[nv++] = $1 }
     END { emit("gram-irregular-plural", np, pb, pf); emit("gram-comparative", nc, cb, cf);
           emit("gram-superlative", ns, sb, sf); emit("gram-irregular-past", nv, vb, vf) }' \
  demo/vocab30k.txt "$WN"/noun.exc "$WN"/adj.exc "$WN"/verb.exc > demo/analogies.txt

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
