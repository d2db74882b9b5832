#!/usr/bin/env bash
# check-layers.sh -- every #include of src/, cli/ and include/emb/ against
# the layer table of docs/ARCHITECTURE.md (between the "check-layers:"
# markers): which public headers belong to which folder, and which
# folders' headers each folder may include. Prints one line per violation
# and exits 1 if there is one; exits 2 if the table cannot be read.
#
# Checked:
#   - #include "emb/NAME.h": NAME must be in the table, and its folder in
#     the including folder's "may include" list (a public header counts as
#     its own folder's);
#   - any other #include "FILE": FILE (a plain name, no folder) must sit
#     beside the including file (tests, *_test.c, may also use
#     tests/FILE; cli/ may use the generated emb_version.h), so no file
#     reaches into another folder's internals.
# <system> includes are not checked.
#   scripts/check-layers.sh [ROOT]   (default: the repository of this script)
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2
DOC=docs/ARCHITECTURE.md
table=$(sed -n '/<!-- check-layers: begin/,/<!-- check-layers: end/p' "$DOC" | grep '^|' | tail -n +3)
[[ -n $table ]] || { echo "check-layers: no layer table in $DOC" >&2; exit 2; }

declare -A layer_of   # header name -> layer
declare -A allowed    # layer -> " a b c "
declare -A dir_layer  # folder -> layer
while IFS='|' read -r _ folder headers uses _; do
  folder=$(echo $folder) # trim
  layer=${folder#src/}
  dir_layer[$folder]=$layer
  allowed[$layer]=" $(echo $uses) "
  for h in $headers; do layer_of[$h]=$layer; done
done <<< "$table"

bad=0
violation() { echo "$1"; bad=1; }

# check FILE LAYER: the includes of one file.
check() {
  local f=$1 layer=$2 dir line inc name l
  dir=$(dirname "$f")
  while IFS= read -r line; do
    inc=${line#*\"}
    inc=${inc%%\"*}
    case $inc in
      emb/*.h)
        name=${inc#emb/}
        name=${name%.h}
        l=${layer_of[$name]:-}
        if [[ -z $l ]]; then
          violation "$f: includes $inc, which is in no layer of the table in $DOC"
        elif [[ ${allowed[$layer]} != *" $l "* ]]; then
          violation "$f: includes $inc ($l), but $layer may include only:${allowed[$layer]}"
        fi ;;
      *)
        if [[ $inc == */* ]]; then violation "$f: includes \"$inc\", a path into another folder"
        elif [[ -f $dir/$inc ]]; then :
        elif [[ $f == *_test.c && -f tests/$inc ]]; then :
        elif [[ $layer == cli && $inc == emb_version.h ]]; then :
        else violation "$f: includes \"$inc\", which is not a file beside it"
        fi ;;
    esac
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
}

for folder in "${!dir_layer[@]}"; do
  [[ -d $folder ]] || { violation "$DOC names $folder, which does not exist"; continue; }
  for f in "$folder"/*.[ch]; do [[ -f $f ]] && check "$f" "${dir_layer[$folder]}"; done
done
# Every source folder is in the table.
for d in src/*/; do
  d=${d%/}
  [[ -n ${dir_layer[$d]:-} ]] || violation "$d is not in the layer table of $DOC"
done
# Public headers: each in the table; it includes as its own layer may.
for h in include/emb/*.h; do
  name=$(basename "$h" .h)
  l=${layer_of[$name]:-}
  if [[ -z $l ]]; then violation "$h is in no layer of the table in $DOC"; continue; fi
  check "$h" "$l"
done
exit $bad
