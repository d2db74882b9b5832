#!/usr/bin/env bash
# cli_optional.sh -- optional packages: a build that cannot find cairo or
# libmicrohttpd says so by name and still makes a CLI, whose `emb plot` /
# `emb serve` name the Debian package to install; without json-c the CLI
# build stops with a clear line. The packages are hidden from the build's
# header probe by headers that #error (CC="cc -I$T/hide"), so nothing is
# uninstalled; the library objects are reused from $BUILD.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/lib.sh

[[ -f $BUILD/libemb.a ]] || { echo "FAIL $BUILD/libemb.a missing (make first)"; exit 1; }
mkdir -p "$T/hide/cairo" "$T/hide/json-c" "$T/b/obj"
for h in cairo/cairo.h microhttpd.h; do echo "#error hidden by cli_optional.sh" > "$T/hide/$h"; done
cp -a "$BUILD/obj/src" "$T/b/obj/" && cp -a "$BUILD/libemb.a" "$T/b/"
CC_HIDE="${CC:-cc} -I$T/hide"

# 1. cairo and libmicrohttpd hidden: the CLI builds without plot and serve.
make --no-print-directory -C . BUILD="$T/b" CC="$CC_HIDE" "$T/b/emb" > "$T/build.log" 2>&1
rc=$?
check "build without cairo and libmicrohttpd succeeds" test $rc -eq 0 || tail -20 "$T/build.log"
check "build names cairo and its package" grep -q "cairo not found (Debian: apt-get install libcairo2-dev)" "$T/build.log"
check "build names libmicrohttpd and its package" \
  grep -q "libmicrohttpd not found (Debian: apt-get install libmicrohttpd-dev)" "$T/build.log"
E=$T/b/emb
if [[ -x $E ]]; then
  check "emb does not link cairo or libmicrohttpd" bash -c "! ldd '$E' | grep -qE 'libcairo|libmicrohttpd'"
  "$E" --version > "$T/version"
  check "emb --version exit status" test $? -eq 0
  check "emb --version lists the missing features" grep -qx "features: -serve -plot" "$T/version"
  "$E" plot "$T/map.tsv" -o "$T/x.png" 2> "$T/plot.err"
  check "emb plot fails" test $? -eq 1
  check "emb plot names libcairo2-dev" grep -qx "emb plot: this emb was built without cairo: apt-get install libcairo2-dev, then rebuild emb (make)" "$T/plot.err"
  check "no PNG written" test ! -e "$T/x.png"
  "$E" serve "$T/v.txt" --port 0 2> "$T/serve.err"
  check "emb serve fails" test $? -eq 1
  check "emb serve names libmicrohttpd-dev" grep -q "apt-get install libmicrohttpd-dev" "$T/serve.err"
  "$E" help serve > /dev/null 2> "$T/hs.err"
  check "emb help serve says the same" grep -q "libmicrohttpd-dev" "$T/hs.err"
  "$E" help > "$T/help"
  check "emb help marks plot and serve" test "$(grep -c '(not in this build)' "$T/help")" -eq 2
  # The rest of the CLI works.
  printf '3 2\na 1 0\nb 0.9 0.1\nc 0 1\n' > "$T/v.txt"
  "$E" neighbors "$T/v.txt" a -k 1 > "$T/nb.out"
  check "emb neighbors still works" grep -qP '^1\tb\t' "$T/nb.out"
  "$E" project "$T/v.txt" -o "$T/map.tsv" --method pca > /dev/null 2>&1
  check "emb project (no cairo needed) still works" test -s "$T/map.tsv"
fi

# 2. json-c hidden as well: the library is fine, the CLI cannot be built.
echo "#error hidden by cli_optional.sh" > "$T/hide/json-c/json.h"
rm -f "$T/b/emb"
make --no-print-directory -C . BUILD="$T/b" CC="$CC_HIDE" "$T/b/emb" > "$T/build2.log" 2>&1
check "build without json-c fails" test $? -ne 0
check "build without json-c names libjson-c-dev" \
  grep -q "emb: the CLI needs json-c: apt-get install libjson-c-dev" "$T/build2.log"

[[ $fails -eq 0 ]] || { echo "$fails failed"; exit 1; }
