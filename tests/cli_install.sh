#!/usr/bin/env bash
# cli_install.sh -- emb installs like a C library: `make install` into a
# temporary DESTDIR puts emb, libemb.a, libemb.so (with soname and links),
# the public headers, emb.pc and emb(1) in place, and libemb_serve.a/.so
# with serve.h when the service library is built; the shared libraries
# export only public emb_* names; the examples/ programs build through pkg-config
# (shared and static) and run; `make uninstall` removes every file; and an
# install into a prefix it cannot write fails with one clear line and leaves
# nothing behind.
set -u
if ! command -v pkg-config > /dev/null; then
  echo "SKIP: pkg-config is not installed (apt-get install pkg-config)"
  exit 77
fi
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
T=$(mktemp -d)
cleanup() { chattr -R -i "$T" 2>/dev/null; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# make in this tree, quietly; the caller's make variables (BUILD, CFLAGS
# for `make asan`) come through MAKEFLAGS.
mk() { make --no-print-directory -s -C "$ROOT" BUILD="$BUILD" "$@"; }

D=$T/dest
mk install DESTDIR="$D" PREFIX=/usr > "$T/install.log" 2>&1
rc=$?
check "make install exit status" test $rc -eq 0
[[ $rc -eq 0 ]] || { cat "$T/install.log"; exit 1; }
version=$(sed -n 's/^VERSION *= *//p' Makefile)
major=${version%%.*}
for f in bin/emb lib/libemb.a "lib/libemb.so.$version" lib/pkgconfig/emb.pc share/man/man1/emb.1; do
  check "installed $f" test -f "$D/usr/$f" -a -s "$D/usr/$f"
done
check "bin/emb is executable" test -x "$D/usr/bin/emb"
check "libemb.so.$major -> libemb.so.$version" test "$(readlink "$D/usr/lib/libemb.so.$major")" = "libemb.so.$version"
check "libemb.so -> libemb.so.$major" test "$(readlink "$D/usr/lib/libemb.so")" = "libemb.so.$major"
check "soname libemb.so.$major" grep -q "SONAME.*\[libemb.so.$major\]" <(readelf -d "$D/usr/lib/libemb.so.$version")
# libemb_serve (the HTTP service) is built only with libmicrohttpd.
serve=0
[[ -f $BUILD/libemb_serve.a ]] && serve=1
n_pub=$(ls include/emb/*.h | grep -v '/plot.h$' | { if [[ $serve == 1 ]]; then cat; else grep -v '/serve.h$'; fi; } | wc -l)
check "$n_pub public headers in include/emb" test "$(ls "$D"/usr/include/emb/*.h | wc -l)" -eq "$n_pub"
check "plot.h (not in libemb) is not installed" test ! -e "$D/usr/include/emb/plot.h"
check "installed files are not under the build folder" test ! -e "$D/$ROOT"
if [[ $serve == 1 ]]; then
  for f in lib/libemb_serve.a "lib/libemb_serve.so.$version" include/emb/serve.h lib/pkgconfig/emb_serve.pc; do
    check "installed $f" test -f "$D/usr/$f" -a -s "$D/usr/$f"
  done
  check "libemb_serve.so.$major -> libemb_serve.so.$version" \
    test "$(readlink "$D/usr/lib/libemb_serve.so.$major")" = "libemb_serve.so.$version"
  check "libemb_serve.so -> libemb_serve.so.$major" test "$(readlink "$D/usr/lib/libemb_serve.so")" = "libemb_serve.so.$major"
  check "libemb_serve.so needs libemb.so.$major" grep -q "NEEDED.*\[libemb.so.$major\]" <(readelf -d "$D/usr/lib/libemb_serve.so.$version")
  nm -D --defined-only "$D/usr/lib/libemb_serve.so.$version" | awk 'NF == 3 { print $3 }' > "$T/serve_syms"
  bad=$(grep -v '^emb_serve_[a-zA-Z0-9]' "$T/serve_syms" | tr '\n' ' ')
  check "libemb_serve.so exports only emb_serve_ names${bad:+ (not: $bad)}" test -z "$bad" -a -s "$T/serve_syms"
  undeclared=$(for s in $(cat "$T/serve_syms"); do grep -qw "$s" "$D/usr/include/emb/serve.h" || printf '%s ' "$s"; done)
  check "every symbol of libemb_serve.so is declared in serve.h${undeclared:+ (not: $undeclared)}" test -z "$undeclared"
else
  check "no serve.h without libemb_serve" test ! -e "$D/usr/include/emb/serve.h"
fi

# Exported symbols: public emb_* names only, each declared in a header.
nm -D --defined-only "$D/usr/lib/libemb.so.$version" | awk 'NF == 3 { print $3 }' > "$T/syms"
check "libemb.so exports over 100 symbols" test "$(wc -l < "$T/syms")" -gt 100
bad=$(grep -v '^emb_[a-zA-Z0-9]' "$T/syms" | tr '\n' ' ')
check "only public emb_ symbols exported${bad:+ (not: $bad)}" test -z "$bad"
undeclared=$(for s in $(cat "$T/syms"); do grep -qw "$s" "$D"/usr/include/emb/*.h || printf '%s ' "$s"; done)
check "every exported symbol is declared in a header${undeclared:+ (not: $undeclared)}" test -z "$undeclared"
nm --defined-only -g "$BUILD/libemb.a" | awk 'NF == 3 && $3 ~ /^emb__/ { print $3 }' | sort -u > "$T/internal"
check "internal emb__ helpers exist in libemb.a" test -s "$T/internal"
check "internal emb__ helpers are not exported" test -z "$(grep -xFf "$T/internal" "$T/syms")"

# The installed CLI: --version shows version, commit and SIMD level.
"$D/usr/bin/emb" --version > "$T/version"
check "emb --version exit status" test $? -eq 0
check "emb --version: version" grep -qx "emb $version" "$T/version"
check "emb --version: commit" grep -qE '^commit: ([0-9a-f]{7,}|unknown)$' "$T/version"
check "emb --version: simd level" grep -qE '^simd: (ref|avx2|avx512)$' "$T/version"
if commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
  check "emb --version: commit is HEAD's" grep -qx "commit: $commit" "$T/version"
fi

# pkg-config, pointed into DESTDIR.
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
check "pkg-config --modversion emb" test "$(pkg-config --modversion emb)" = "$version"
check "pkg-config --cflags emb" test "$(pkg-config --cflags emb | xargs)" = "-I$D/usr/include"
check "pkg-config --static --libs emb has zlib, m, pthread" \
  bash -c "pkg-config --static --libs emb | grep -q -- -lz && pkg-config --static --libs emb | grep -q -- -lm && pkg-config --static --libs emb | grep -q -- -lpthread"

# The examples, built with examples/Makefile (pkg-config) against the
# installed library. An ASan build's libemb.so needs sanitized programs.
cp -r examples "$T/ex"
rm -f "$T"/ex/{neighbors,train_w2v,hnsw}
XCFLAGS="-O2 -g -Wall -Wextra -Werror"
readelf -d "$D/usr/lib/libemb.so.$version" | grep -q 'libasan' && XCFLAGS="-O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined"
make --no-print-directory -s -C "$T/ex" CFLAGS="$XCFLAGS" > "$T/ex.log" 2>&1
check "examples build with pkg-config" test $? -eq 0 || cat "$T/ex.log"
export LD_LIBRARY_PATH=$D/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
check "examples use the installed libemb.so" grep -q "libemb.so.$major => $D/usr/lib/libemb.so.$major" <(ldd "$T/ex/hnsw")
(cd "$T/ex" && ./train_w2v vectors.txt) > "$T/train.out" 2>&1
check "train_w2v exit status" test $? -eq 0
cat "$T/train.out"
check "train_w2v: cat's neighbours are animals" \
  grep -qE '^cat:( (dog|horse|cow|sheep|goat|mouse|rabbit)){3}$' "$T/train.out"
check "train_w2v: three's neighbours are numbers" \
  grep -qE '^three:( (one|two|four|five|six|seven|eight)){3}$' "$T/train.out"
check "train_w2v wrote 16 vectors" test "$(head -1 "$T/ex/vectors.txt")" = "16 16"
(cd "$T/ex" && ./neighbors vectors.txt dog seven) > "$T/nb.out" 2>&1
check "neighbors exit status" test $? -eq 0
check "neighbors prints 5 neighbours of each word" test "$(grep -cE '^(dog|seven):( [a-z]+ \([0-9.]+\)){5}$' "$T/nb.out")" -eq 2
(cd "$T/ex" && ./neighbors vectors.txt nosuchword) > "$T/nb2.out" 2>&1
check "neighbors: unknown word is a failure" test $? -eq 1
(cd "$T/ex" && ./neighbors missing.txt dog) > "$T/nb3.out" 2>&1
check "neighbors: missing file is a failure with a message" test $? -eq 1 -a -s "$T/nb3.out"
(cd "$T/ex" && ./hnsw index.idx) > "$T/hnsw.out" 2>&1
check "hnsw exit status" test $? -eq 0
cat "$T/hnsw.out"
check "hnsw: recall@10 >= 0.9" awk '/^recall@10:/ { ok = $2 >= 0.9 } END { exit !ok }' "$T/hnsw.out"
"$D/usr/bin/emb" index info "$T/ex/index.idx" > /dev/null
check "hnsw: the saved index is readable by the installed emb" test $? -eq 0
# Static linking with pkg-config --static: no libemb.so needed at run time.
cc $XCFLAGS $(pkg-config --cflags emb) -o "$T/ex/hnsw_static" examples/hnsw.c \
  "$D/usr/lib/libemb.a" $(pkg-config --static --libs emb | sed 's/-lemb//') > "$T/static.log" 2>&1
check "hnsw links statically (libemb.a + pkg-config --static)" test $? -eq 0 || cat "$T/static.log"
check "static hnsw needs no libemb.so" bash -c "! ldd '$T/ex/hnsw_static' | grep -q libemb"
(cd "$T/ex" && env -u LD_LIBRARY_PATH ./hnsw_static index2.idx) > "$T/hnsw2.out" 2>&1
check "static hnsw runs and gives the same output" cmp -s "$T/hnsw.out" "$T/hnsw2.out"
# Another program embeds the service: src/serve/serve_test.c built with
# pkg-config against the installed libemb_serve.so (and libemb.so), run.
if [[ $serve == 1 ]]; then
  check "pkg-config --libs emb_serve" test "$(pkg-config --libs emb_serve | xargs)" = "-L$D/usr/lib -lemb_serve -lemb"
  cc $XCFLAGS -Itests $(pkg-config --cflags emb_serve) -o "$T/serve_test" src/serve/serve_test.c \
    $(pkg-config --libs emb_serve) -lpthread > "$T/serve_build.log" 2>&1
  check "a program embedding the service builds with pkg-config" test $? -eq 0 || cat "$T/serve_build.log"
  check "it uses the installed libemb_serve.so" \
    grep -q "libemb_serve.so.$major => $D/usr/lib/libemb_serve.so.$major" <(ldd "$T/serve_test")
  "$T/serve_test" > "$T/serve_test.out" 2>&1
  check "it serves a request and stops (serve_test)" test $? -eq 0 || cat "$T/serve_test.out"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# Installing again over an install works; uninstall then removes every file.
mk install DESTDIR="$D" PREFIX=/usr > "$T/install2.log" 2>&1
check "make install over an existing install" test $? -eq 0
mk uninstall DESTDIR="$D" PREFIX=/usr > "$T/uninstall.log" 2>&1
check "make uninstall exit status" test $? -eq 0
left=$(find "$D" ! -type d)
check "make uninstall leaves no files${left:+ (left: $left)}" test -z "$left"
check "make uninstall removes include/emb" test ! -e "$D/usr/include/emb"

# A prefix that cannot be written: one clear line, non-zero exit, nothing installed.
mk install PREFIX=/dev/null/emb > "$T/bad1.log" 2>&1
check "install under a file fails" test $? -ne 0
check "install under a file: clear message" grep -q "emb install: cannot install into /dev/null/emb/.*: /dev/null is not a folder" "$T/bad1.log"
# A DESTDIR whose usr/lib cannot be written while usr/bin can: nothing at all
# may land in usr/bin. Root ignores permissions, so as root the folder is
# made immutable (chattr +i), else read-only (chmod).
P=$T/part
mkdir -p "$P/usr/bin" "$P/usr/lib"
if [[ $(id -u) -eq 0 ]]; then chattr +i "$P/usr/lib" 2>/dev/null; else chmod 555 "$P/usr/lib"; fi
if touch "$P/usr/lib/probe" 2>/dev/null; then
  rm -f "$P/usr/lib/probe"
  echo "note: cannot make a folder unwritable here (chattr/chmod); partial-prefix check not run"
else
  mk install DESTDIR="$P" PREFIX=/usr > "$T/bad2.log" 2>&1
  check "install into an unwritable lib folder fails" test $? -ne 0
  check "unwritable lib folder: clear message" grep -q "emb install: cannot write to $P/usr/lib" "$T/bad2.log"
  left=$(find "$P" ! -type d)
  check "unwritable lib folder: nothing installed${left:+ (left: $left)}" test -z "$left"
  chattr -i "$P/usr/lib" 2>/dev/null; chmod 755 "$P/usr/lib"
fi
# A folder where a file should go: refused before anything is copied.
mkdir -p "$T/dir/usr/share/man/man1/emb.1"
mk install DESTDIR="$T/dir" PREFIX=/usr > "$T/bad3.log" 2>&1
check "a folder in the way fails" test $? -ne 0
check "a folder in the way: clear message" grep -q "a folder is in the way" "$T/bad3.log"
left=$(find "$T/dir" ! -type d)
check "a folder in the way: nothing installed${left:+ (left: $left)}" test -z "$left"

[[ $fails -eq 0 ]] || { echo "$fails failed"; exit 1; }
