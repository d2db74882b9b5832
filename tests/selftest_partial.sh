#!/usr/bin/env bash
# selftest_partial.sh -- a test of the tests, run by make check-all: an
# `emb` that crashes (SIGSEGV) only on the calls whose arguments contain a
# given word, and runs the real emb otherwise, must make the CLI script
# that exercises those calls fail. This is the failure a loop that ignores
# exit codes and reuses output names would hide (issue 12: "an emb that
# crashed on every node2vec run with 0.25, or on every --loss hs run,
# still passed"). Each line below is one script and one word.
# slow
set -u
cd "$(dirname "$0")/.."
REAL=$(cd "$(dirname "${EMB:-build/emb}")" && pwd)/$(basename "${EMB:-build/emb}")
[[ -x "$REAL" ]] || { echo "FAIL no emb at $REAL"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
while read -r script word; do
  [[ -z "$script" || $script == \#* ]] && continue
  cat > "$T/emb" <<WRAP
#!/bin/sh
for a in "\$@"; do [ "\$a" = "$word" ] && kill -SEGV \$\$; done
exec "$REAL" "\$@"
WRAP
  chmod +x "$T/emb"
  EMB="$T/emb" timeout 600 bash "tests/$script.sh" > "$T/log" 2>&1
  st=$?
  if [[ $st -eq 0 || $st -eq 77 ]]; then
    echo "FAIL $script exits $st when emb crashes on '$word'"; fails=$((fails + 1))
  else echo "PASS $script fails (exit $st) when emb crashes on '$word': $(grep -c '^FAIL' "$T/log") checks failed"; fi
done <<'LIST'
cli_graph 0.25
cli_graph --resume
cli_graph --save-walks
cli_train hs
cli_train cbow
cli_train --resume
cli_links both
cli_links --resume
cli_kge --resume
cli_kge rotate
cli_kge_eval predict-link
cli_map tsne
cli_eval analogy
cli_wordnet cbow
cli_graph_quality node2vec
LIST
echo "$fails failure(s)"
[[ $fails -eq 0 ]]
