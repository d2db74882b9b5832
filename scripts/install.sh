#!/usr/bin/env bash
# install.sh -- the work of `make install` and `make uninstall`.
#
#   bash scripts/install.sh install   ENTRY...
#   bash scripts/install.sh uninstall ENTRY...
#
# ENTRY is one of (each word a separate argument; paths already carry
# DESTDIR and PREFIX):
#   f MODE SRC DEST     a file, installed with permissions MODE
#   l TARGET DEST       a symbolic link DEST -> TARGET
#   d DIR               a folder of emb's own, removed by uninstall when empty
#
# Installing never leaves a half-installed emb behind. First every target
# folder is checked: the nearest existing ancestor must be a writable
# folder, else nothing is touched and the message names the folder. Then
# every file is copied next to its destination under a temporary name;
# if any copy fails, the copies and the folders made for them are removed.
# Only when all copies are in place are they renamed over the old files
# (a rename within a folder) and the links made.
set -u
action=${1:-}
shift || true
die() { echo "emb $action: $*" >&2; exit 1; }
[[ $action == install || $action == uninstall ]] || die "usage: install.sh install|uninstall ENTRY..."

files=() modes=() dests=() ltargets=() ldests=() owndirs=()
while [[ $# -gt 0 ]]; do
  case $1 in
    f) [[ $# -ge 4 ]] || die "bad entry: $*"; modes+=("$2"); files+=("$3"); dests+=("$4"); shift 4 ;;
    l) [[ $# -ge 3 ]] || die "bad entry: $*"; ltargets+=("$2"); ldests+=("$3"); shift 3 ;;
    d) [[ $# -ge 2 ]] || die "bad entry: $*"; owndirs+=("$2"); shift 2 ;;
    *) die "bad entry: $*" ;;
  esac
done

if [[ $action == uninstall ]]; then
  n=0
  for p in "${dests[@]}" "${ldests[@]}"; do
    if [[ -e $p || -L $p ]]; then
      rm -f "$p" || die "cannot remove $p"
      echo "removed $p"; n=$((n + 1))
    fi
  done
  for d in "${owndirs[@]}"; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
  echo "emb uninstall: removed $n files"
  exit 0
fi

for f in "${files[@]}"; do [[ -f $f ]] || die "$f is missing: run make first"; done

# 1. Every destination folder must exist as a writable folder or be
#    creatable under its nearest existing ancestor.
dirs=()
for p in "${dests[@]}" "${ldests[@]}"; do dirs+=("$(dirname -- "$p")"); done
mapfile -t dirs < <(printf '%s\n' "${dirs[@]}" | sort -u)
for d in "${dirs[@]}"; do
  a=$d
  while [[ ! -e $a && ! -L $a ]]; do a=$(dirname -- "$a"); done
  [[ -d $a ]] || die "cannot install into $d: $a is not a folder (check PREFIX and DESTDIR); nothing was installed"
  [[ -w $a ]] || die "cannot write to $a (needed for $d): run as a user who can, or pick another PREFIX (e.g. make install PREFIX=\$HOME/.local); nothing was installed"
done

for p in "${dests[@]}" "${ldests[@]}"; do
  [[ -d $p && ! -L $p ]] && die "cannot install $p: a folder is in the way; nothing was installed"
done

# 2. Copy every file beside its destination under a temporary name.
made=() tmps=()
rollback() {
  local i
  for t in "${tmps[@]}"; do rm -f "$t"; done
  for ((i = ${#made[@]} - 1; i >= 0; i--)); do rmdir "${made[i]}" 2>/dev/null; done
  die "$1; nothing was installed"
}
for d in "${dirs[@]}"; do
  # remember each folder this run creates (shallowest first)
  new=() a=$d
  while [[ ! -d $a ]]; do new=("$a" "${new[@]}"); a=$(dirname -- "$a"); done
  for n in "${new[@]}"; do mkdir "$n" 2>/dev/null || rollback "cannot create $n"; made+=("$n"); done
done
for i in "${!files[@]}"; do
  t="${dests[i]}.emb-new.$$"
  tmps+=("$t")
  cp -- "${files[i]}" "$t" 2>/dev/null && chmod "${modes[i]}" "$t" || rollback "cannot write ${dests[i]}"
done

# 3. Rename them into place and make the links.
for i in "${!files[@]}"; do
  mv -fT -- "${tmps[i]}" "${dests[i]}" || die "cannot rename ${tmps[i]} to ${dests[i]}"
  echo "installed ${dests[i]}"
done
for i in "${!ldests[@]}"; do
  ln -sfn -- "${ltargets[i]}" "${ldests[i]}" || die "cannot link ${ldests[i]}"
  echo "installed ${ldests[i]} -> ${ltargets[i]}"
done
echo "emb install: ${#files[@]} files and ${#ldests[@]} links"
