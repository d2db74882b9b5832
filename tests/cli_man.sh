#!/usr/bin/env bash
# cli_man.sh -- the emb(1) man page (docs/emb.1) is in step with the help
# texts: it has a section for every command `emb help` lists and names every
# option that each `emb COMMAND --help` (and each sub-command page, such as
# `emb eval kge --help`) shows; it is valid roff. Fix with `make man`.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

MAN=docs/emb.1
[[ -f $MAN ]] || { echo "FAIL $MAN is missing"; exit 1; }
# The page as plain text: roff's \- and \e back to - and \.
sed -e 's/\\-/-/g' -e 's/\\e/\\/g' "$MAN" > "$T/man.txt"

$EMB help > "$T/help" || { echo "FAIL emb help exit status"; exit 1; }
commands=$(awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { f = 0 }' "$T/help")
[[ $(wc -w <<< "$commands") -ge 10 ]] && pass "emb help lists commands" || fail "emb help lists commands"

# Pages: every command, and sub-commands with their own help (found in the
# texts: "usage: emb eval nodes", "see emb index build --help"; the train
# models from the command summary).
pages=()
for c in $commands; do
  [[ $c == help ]] && continue
  grep -q "^\.SS \"emb $c\"" "$MAN" && pass "section for $c" || fail "no section for 'emb $c' in $MAN (run make man)"
  if [[ $("$EMB" --version) == *"-$c"* ]]; then echo "note: $c is not in this build; its options are not checked"; continue; fi
  pages+=("$c")
  "$EMB" "$c" --help > "$T/page" 2>&1 || { fail "emb $c --help exit status"; continue; }
  for s in $(grep -oE "(usage: +|^ +)emb $c [a-z][a-z0-9-]*|emb $c [a-z][a-z0-9-]* --help" "$T/page" |
    awk '{ print ($NF == "--help" ? $3 : $NF) }' | sort -u); do pages+=("$c $s"); done
  # The sub-command tables' lists ("models:", "kinds:", "subcommands:").
  for s in $(awk '/^(models|kinds|subcommands):$/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { f = 0 }' "$T/page"); do
    pages+=("$c $s")
  done
done
for m in $(grep -E '^  train ' "$T/help" | sed 's/.*: //; s/,//g'); do pages+=("train $m"); done
for p in "${pages[@]}"; do
  # shellcheck disable=SC2086
  if ! "$EMB" $p --help > "$T/page" 2>&1; then
    [[ $p == *" "* ]] && continue  # a word in a usage line that is not a sub-command
    fail "emb $p --help exit status"; continue
  fi
  missing=""
  for o in $(grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' "$T/page" | sed 's/^[^-]*//' | sort -u); do
    grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|$)" "$T/man.txt" || missing+=" $o"
  done
  [[ -z $missing ]] && pass "options of emb $p" || fail "options of 'emb $p' missing from $MAN:$missing (run make man)"
done
[[ ${#pages[@]} -ge 20 ]] && pass "${#pages[@]} help pages checked" || fail "only ${#pages[@]} help pages found"

# --version is documented, and the page is valid roff.
grep -q -- '--version' "$T/man.txt" && pass "--version in the man page" || fail "--version not in the man page"
if command -v groff > /dev/null; then
  groff -man -ww -z "$MAN" > "$T/groff" 2>&1 && [[ ! -s $T/groff ]] && pass "groff reads it without warnings" ||
    { fail "groff warnings"; cat "$T/groff"; }
fi

[[ $fails -eq 0 ]] || { echo "$fails failed"; exit 1; }
