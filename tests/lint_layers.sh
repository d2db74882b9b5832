#!/usr/bin/env bash
# lint_layers.sh -- the layer rules of docs/ARCHITECTURE.md hold: every
# #include of src/, cli/ and include/emb/ is allowed by the layer table
# (scripts/check-layers.sh prints nothing and exits 0). Then the checker is
# shown to catch each kind of violation, in a copy of the tree: a core file
# including a data header, a data file including a model header, a public
# header including a layer above it, a file reaching into another folder,
# a header or a folder missing from the table, and a missing table.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

bash scripts/check-layers.sh > "$T/out" 2>&1
rc=$?
if [[ $rc -eq 0 && ! -s $T/out ]]; then pass "the tree keeps the layer rules"
else fail "the tree breaks the layer rules (exit $rc):"; cat "$T/out"; fi

# violation NAME EXPECTED-TEXT: run the checker on the copy in $T/tree,
# expect exit 1 and EXPECTED-TEXT in its output, then restore the copy.
fresh() {
  rm -rf "$T/tree"
  mkdir -p "$T/tree/tests"
  cp -r docs src cli include scripts "$T/tree/"
  cp tests/*.h "$T/tree/tests/"
}
expect() {
  local name=$1 want=$2 code=${3:-1}
  bash "$T/tree/scripts/check-layers.sh" "$T/tree" > "$T/out" 2>&1
  local rc=$?
  if [[ $rc -eq $code ]] && grep -qF -- "$want" "$T/out"; then pass "catches: $name"
  else fail "catches: $name (exit $rc, output: $(head -c 400 "$T/out"))"; fi
}

fresh
bash "$T/tree/scripts/check-layers.sh" "$T/tree" > "$T/out" 2>&1
if [[ $? -eq 0 ]]; then pass "the copy passes"; else fail "the copy fails: $(head -c 400 "$T/out")"; fi

printf '#include "emb/err.h"\n#include "emb/vocab.h"\n' > "$T/tree/src/core/bad.c"
expect "core includes a data header" "src/core/bad.c: includes emb/vocab.h (data)"
fresh
printf '#include "emb/kge.h"\n' >> "$T/tree/src/data/vocab.c"
expect "data includes a model header" "src/data/vocab.c: includes emb/kge.h (models)"
fresh
printf '#include "emb/serve.h"\n' >> "$T/tree/src/index/flat.c"
expect "index includes the service" "src/index/flat.c: includes emb/serve.h (serve)"
fresh
sed -i 's|#include "emb/err.h"|#include "emb/err.h"\n#include "emb/eval.h"|' "$T/tree/include/emb/vocab.h"
expect "a public header includes a layer above it" "include/emb/vocab.h: includes emb/eval.h (eval)"
fresh
printf '#include "../../cli/cli.h"\n' >> "$T/tree/src/eval/rank.c"
expect "a file reaches into another folder" "src/eval/rank.c: includes \"../../cli/cli.h\""
fresh
printf '#include "serve_internal.h"\n' >> "$T/tree/cli/cmd_serve.c"
expect "the CLI uses the service's internals" "cli/cmd_serve.c: includes \"serve_internal.h\""
fresh
printf '#ifndef X\n#define X\n#endif\n' > "$T/tree/include/emb/newthing.h"
expect "a public header missing from the table" "include/emb/newthing.h is in no layer"
fresh
mkdir "$T/tree/src/extra" && printf 'int x;\n' > "$T/tree/src/extra/x.c"
expect "a folder missing from the table" "src/extra is not in the layer table"
fresh
sed -i '/check-layers: begin/,/check-layers: end/d' "$T/tree/docs/ARCHITECTURE.md"
expect "no table" "no layer table" 2

finish
