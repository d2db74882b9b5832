#!/usr/bin/env bash
# wordnet-corpus.sh -- text built from Debian's wordnet-base (WordNet 3.0),
# used by scripts/setup.sh's demo and by the WordNet quality test.
#
#   scripts/wordnet-corpus.sh corpus OUT             the corpus
#   scripts/wordnet-corpus.sh analogies VOCAB OUT    analogy questions
#   scripts/wordnet-corpus.sh synonyms VOCAB OUT     synonym/random pairs
#
# corpus: one line per synset, its words then its gloss; lower case,
# letters only (the same normalisation as the text8 corpus). About 117,000
# lines and 1.7M words.
#
# analogies: questions from WordNet's lists of irregular forms (plurals,
# comparatives, superlatives, past forms), keeping pairs whose two words
# are in VOCAB (one word a line, e.g. the most frequent words of trained
# vectors): every two (base, form) pairs of a section make a question
# "b1 f1 b2 f2"; at most 40 pairs a section.
#
# synonyms: word pairs for `emb eval similarity`, 'w1<TAB>w2<TAB>score':
# the first two one-word lemmas of every other synset whose two words are
# in VOCAB (score 1), each followed by its first word and the second word
# of a synset far away in the list (score 0). Spearman's rho then measures
# how well cosine tells synonyms from unrelated pairs (at most about 0.87,
# random vectors about 0).
#
# WN (default /usr/share/wordnet) is where the data files are. Exits 1 with
# one line on stderr when they are missing. Needs gawk.
set -euo pipefail
WN=${WN:-/usr/share/wordnet}
usage() { echo "usage: wordnet-corpus.sh corpus OUT | analogies VOCAB OUT | synonyms VOCAB OUT" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
if [[ ! -f "$WN/data.noun" ]]; then
  echo "wordnet-corpus.sh: $WN/data.noun not found (apt-get install wordnet-base)" >&2; exit 1
fi
case "$1" in
corpus)
  [[ $# -eq 2 ]] || usage
  gawk '/^  / { next }  # licence header
       { n = strtonum("0x" $4); words = "";
         for (i = 0; i < n; i++) words = words " " $(5 + 2 * i);
         g = $0; sub(/^[^|]*\| ?/, "", g);
         line = tolower(words " " g); gsub(/_/, " ", line); gsub(/[^a-z]+/, " ", line);
         gsub(/^ +| +$/, "", line); if (line != "") print line }' \
    "$WN"/data.noun "$WN"/data.verb "$WN"/data.adj "$WN"/data.adv > "$2.tmp"
  mv "$2.tmp" "$2" ;;
analogies)
  [[ $# -eq 3 ]] || usage
  gawk 'BEGIN { np = nc = ns = nv = 0 }  # numeric keys from the first line on
       function emit(sec, n, a, b,   i, j) { print ": " sec;
         for (i = 0; i < n; i++) for (j = 0; j < n; j++) if (i != j) print a[i], b[i], a[j], b[j] }
       FILENAME == vocab { known[$1] = 1; next }
       NF != 2 || $1 == $2 || !($1 in known) || !($2 in known) { next }
       FILENAME ~ /noun.exc/ && np < 40 { pb[np] = $2; pf[np++] = $1 }
       FILENAME ~ /adj.exc/ && $1 ~ /er$/ && nc < 40 { cb[nc] = $2; cf[nc++] = $1 }
       FILENAME ~ /adj.exc/ && $1 ~ /est$/ && ns < 40 { sb[ns] = $2; sf[ns++] = $1 }
       FILENAME ~ /verb.exc/ && $1 !~ /s$|ing$/ && nv < 40 { vb[nv] = $2; vf[nv++] = $1 }
       END { emit("gram-irregular-plural", np, pb, pf); emit("gram-comparative", nc, cb, cf);
             emit("gram-superlative", ns, sb, sf); emit("gram-irregular-past", nv, vb, vf) }' \
    vocab="$2" "$2" "$WN"/noun.exc "$WN"/adj.exc "$WN"/verb.exc > "$3.tmp"
  mv "$3.tmp" "$3" ;;
synonyms)
  [[ $# -eq 3 ]] || usage
  gawk 'BEGIN { m = 0 }
       FILENAME == vocab { known[$1] = 1; next }
       /^  / { next }  # licence header
       { n = strtonum("0x" $4); if (n < 2) next; a = tolower($5); b = tolower($7);
         if (a == b || a !~ /^[a-z]+$/ || b !~ /^[a-z]+$/ || !(a in known) || !(b in known)) next;
         A[m] = a; B[m++] = b }
       END { for (i = 0; i < m; i += 2) { print A[i] "\t" B[i] "\t1"; print A[i] "\t" B[(i * 7919 + 104729) % m] "\t0" } }' \
    vocab="$2" "$2" "$WN"/data.noun "$WN"/data.verb "$WN"/data.adj "$WN"/data.adv > "$3.tmp"
  mv "$3.tmp" "$3" ;;
*) usage ;;
esac
