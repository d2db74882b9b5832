#!/usr/bin/env bash
# cli_examples.sh -- every `emb ...` example of README.md's usage sections
# ("## Using emb" up to "## Layout"), read from the README itself, runs
# with exit status 0 (and every step of a `a && b && c` chain runs). The
# examples run verbatim in a scratch folder that holds small files of the
# names they use (a generated corpus with the words king, man, cat...,
# Karate as edges.tsv, Nations as FB15k-237, tests/data/countries_S1);
# only sizes are shrunk (SIZES below) so the whole run stays short, and
# `emb serve` gets --port 0 and is stopped with SIGTERM (documented: exit 0;
# a background job of a script ignores SIGINT). Then `emb help`, `emb help
# COMMAND` and `emb COMMAND --help` for every command it lists.
set -u
. "$(dirname "$0")/lib.sh"
EMB=$(cd "$(dirname "$EMB")" && pwd)/$(basename "$EMB")
TD=${EMB_TESTDATA:-$PWD/tests/data}
README=${README:-$PWD/README.md}
fails=0 ran=0

# ---- fixtures ------------------------------------------------------------
cd "$T" || exit 1
cat > mk.awk <<'EOF'
BEGIN { srand(5); split("king queen man woman cat dog oldword prince princess boy girl", named, " ");
  for (s = 0; s < 2500; s++) { t = int(rand() * 4); n = 6 + int(rand() * 10); line = "";
    for (i = 0; i < n; i++) { r = rand();
      w = r < 0.1 ? named[1 + int(rand() * 11)] : (r < 0.85 ? "t" t "w" int(rand() * 60) : "c" int(rand() * 100));
      line = line (i ? " " : "") w }
    print line } }
EOF
awk -f mk.awk | gzip > corpus.txt.gz
printf ': capital-common\nman king woman queen\nboy prince girl princess\n: gram1\ncat dog man woman\n' > questions-words.txt
printf 'king\tqueen\t8.5\ncat\tdog\t7.0\nman\twoman\t8.3\nboy\tgirl\t7.5\nking\tcat\t1.2\n' > wordsim353.tsv
printf 'king queen 40\ncat dog 45\nprince princess 42\nman cat 5\n' > men.tsv
cp "$TD/karate/edges.tsv" edges.tsv
cp "$TD/karate/labels.tsv" labels.tsv
# A fixed split of the Karate nodes: every fourth validation, every other test.
awk '{ print $1 }' labels.tsv | sort -u | awk '{ print $1 "\t" (NR % 4 == 0 ? "val" : NR % 2 ? "train" : "test") }' > split.tsv
# Nations under FB15k-237's name, with the README's Freebase ids added.
mkdir FB15k-237
{ cat "$TD/nations/train.tsv"
  printf '/m/027rn\t/location/country/form_of_government\t/m/06cx9\n'
  printf '/m/0d05w3\t/location/country/form_of_government\t/m/06cx9\n'
  printf '/m/027rn\t/location/location/contains\t/m/0d05w3\n'; } > FB15k-237/train.tsv
cp "$TD/nations/valid.tsv" "$TD/nations/test.tsv" FB15k-237/
cp -r "$TD/countries_S1" countries_S1
cp -r "$TD/nations" DIR
echo "fixtures: $(ls | tr '\n' ' ')"

# Sizes shrunk for a test run: "pattern|replacement" for sed, in order.
SIZES=(
  's/--dim 500/--dim 8/'
  's/--steps 20000/--steps 40/'
  's/--valid-every 2000/--valid-every 20/'
  's/--repeats 10/--repeats 2/'
  's/--ef-construction 200/--ef-construction 40/'
  's/--port 9000//'
)

# ---- the examples ----------------------------------------------------------
# Lines of the ```sh blocks between "## Using emb" and "## Layout", joined
# at trailing backslashes, comments dropped, only those that start with emb.
awk '/^## Using emb/ { on = 1 } /^## Layout/ { on = 0 }
     on && /^```sh/ { code = 1; next } on && /^```/ { code = 0; next }
     on && code { print }' "$README" |
  awk '{ if (sub(/\\$/, "")) { buf = buf $0; next } print buf $0; buf = "" }' |
  sed -e 's/[[:space:]]\+#.*$//' -e 's/[[:space:]]*$//' | grep -E '^emb ' > examples.txt
n_ex=$(wc -l < examples.txt)
[[ $n_ex -ge 25 ]] || fail "found only $n_ex examples in $README (expected >= 25)"

# kge examples need models: the README's train kge line makes wn.kge; fb.kge
# and s1.kge are trained here in the same way on FB15k-237 and countries_S1.
prep_kge() {
  [[ -s fb.kge ]] || "$EMB" train kge --model distmult --data FB15k-237 --output fb.kge --dim 8 --steps 40 --quiet ||
    fail "fixture: train fb.kge"
  [[ -s s1.kge ]] || "$EMB" train kge --model distmult --data countries_S1 --output s1.kge --dim 8 --steps 40 --quiet ||
    fail "fixture: train s1.kge"
}
# vectors.bin as text, for the fixtures made from it.
prep_text() { [[ -s vectors.txt ]] || "$EMB" convert vectors.bin vectors.txt --quiet || fail "fixture: vectors.txt"; }
# new.bin for `emb index add`: one new word, the dimension of vectors.bin.
prep_add() {
  local dim
  dim=$(head -1 vectors.txt | cut -d' ' -f2)
  awk -v d="$dim" 'BEGIN { print 1, d; printf "newword"; for (j = 0; j < d; j++) printf " %.3f", sin(j); print "" }' > new.txt
  "$EMB" convert new.txt new.bin --quiet || fail "fixture: new.bin"
}

serve_example() { # the command line to run and to name; started, waited for, stopped with SIGTERM
  local run=$1 cmd=$2 out=$T/serve.out st
  : > "$out"
  eval "exec $run --port 0 --json" > "$out" 2> "$T/serve.err" &
  local pid=$!
  for _ in $(seq 100); do
    [[ -s "$out" ]] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if ! grep -q '"port"' "$out"; then
    kill -TERM "$pid" 2> /dev/null
    wait "$pid"
    fail "example: $cmd (did not start: $(head -c 300 "$T/serve.err"))"
    return
  fi
  kill -TERM "$pid"
  wait "$pid"
  st=$?
  if [[ $st -eq 0 ]]; then pass "example: $cmd (stopped by SIGTERM)"; else fail "example: $cmd (exit $st after SIGTERM)"; fi
}

while IFS= read -r line; do
  cmd=$line
  for s in "${SIZES[@]}"; do cmd=$(sed -e "$s" <<< "$cmd"); done
  case $cmd in
    *"emb eval kge"* | *"emb predict-link"*) prep_kge ;;
    *"emb index add"*) prep_text; prep_add ;;
    *"--queries more.bin"*) prep_text; { echo "5 $(head -1 vectors.txt | cut -d' ' -f2)"; sed -n 2,6p vectors.txt; } > more.txt
      "$EMB" convert more.txt more.bin --quiet || fail "fixture: more.bin" ;;
    *"--labels groups.tsv"*) prep_text; sed 1d vectors.txt | awk '{ print $1 "\t" substr($1, 1, 2) }' > groups.tsv ;;
    *"emb serve"*) "$EMB" index build vectors.bin -o words.idx --type hnsw --quiet || fail "fixture: words.idx" ;;
  esac
  ran=$((ran + 1))
  # `emb` in the example is the binary under test.
  cmd_run=$(sed -e "s#\(^\|&& \)emb #\1\"\$EMB\" #g" <<< "$cmd")
  if [[ $cmd == "emb serve"* ]]; then
    serve_example "$cmd_run" "$cmd"
    continue
  fi
  # "no words: read queries from stdin" and the like: stdin is empty.
  bash -c "EMB='$EMB'; set -o pipefail; $cmd_run" < /dev/null > "$T/ex.out" 2> "$T/ex.err"
  st=$?
  if [[ $st -eq 0 ]]; then pass "example: $cmd"
  else fail "example: $cmd (exit $st: $(tail -n 3 "$T/ex.err" | head -c 400))"; fi
  # The chain of the index section ran every step: the new word is in.
  if [[ $cmd == "emb index delete"*"&& emb index add"* ]]; then
    "$EMB" search words.idx --word newword -k 1 --keep-self > "$T/chain.out" 2> /dev/null
    if [[ $? -eq 0 && $(sed -n 2p "$T/chain.out" | cut -f2) == newword ]]; then pass "index chain added newword"
    else fail "index chain: newword not found after delete && add"; fi
  fi
done < examples.txt

# "`emb help` lists the commands and `emb COMMAND --help` their options":
# `emb help`, `emb help COMMAND` and `emb COMMAND --help` exit 0 for every
# listed command (and each subcommand of eval, index, train and export).
"$EMB" help > "$T/help.out" 2> "$T/help.err"
st=$?
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' "$T/help.out")
if [[ $st -eq 0 && $(wc -w <<< "$cmds") -ge 10 ]]; then pass "emb help lists $(wc -w <<< "$cmds") commands"
else fail "emb help (exit $st, commands: $cmds)"; fi
help_bad=0
for c in $cmds; do
  [[ $c == help ]] && continue
  "$EMB" help "$c" > "$T/h.out" 2> "$T/h.err"
  st=$?
  if [[ $st -eq 0 && -s "$T/h.out" ]]; then ran=$((ran + 1))
  else fail "emb help $c (exit $st, $(head -c 200 "$T/h.err"))"; help_bad=1; fi
  subs=("")
  case $c in
    eval) subs=(analogy similarity nodes links kge) ;;
    index) subs=("" build info add delete) ;;
    train) subs=(word2vec deepwalk node2vec line kge) ;;
    export) subs=(tensorboard) ;;
  esac
  for sub in "${subs[@]}"; do
    # shellcheck disable=SC2086
    "$EMB" $c $sub --help > "$T/h.out" 2> "$T/h.err"
    st=$?
    if [[ $st -eq 0 && -s "$T/h.out" ]]; then ran=$((ran + 1))
    else fail "emb $c $sub --help (exit $st, $(head -c 200 "$T/h.err"))"; help_bad=1; fi
  done
done
[[ $help_bad -eq 0 ]] && pass "emb help COMMAND and emb COMMAND --help exit 0 with text on stdout for every command"

echo "$ran command(s) run"
finish
