#!/bin/sh
# check-sizes.sh -- no library or CLI source file over MAXF lines and no
# function over MAXFN lines (tests excluded). Prints each offender; exits 1
# if there is one. Functions are found the way this code base writes them:
# a definition line ending in ") {" (possibly after continuation lines) and
# a closing "}" in column 0.
#   scripts/check-sizes.sh [MAXF [MAXFN]]
# EMB_ROOT names another tree to check (tests/lint_sizes.sh uses a copy).
cd "${EMB_ROOT:-$(dirname "$0")/..}" || exit 2
MAXF=${1:-1000}
MAXFN=${2:-120}
find src cli include -name '*.[ch]' ! -name '*_test.c' | LC_ALL=C sort | xargs awk -v maxf="$MAXF" -v maxfn="$MAXFN" '
FNR == 1 { if (NR > 1 && lines > maxf) { printf "%s: %d lines (max %d)\n", file, lines, maxf; bad = 1 } infn = 0; sigl = -9 }
{ file = FILENAME; lines = FNR }
!infn && /^[A-Za-z_].*[)] *\{ *$/ && !/^(struct|enum|union|typedef)/ { infn = 1; start = FNR; name = $0; next }
!infn && /^[A-Za-z_]/ && !/;/ { sig = $0; sigl = FNR }
!infn && /^[ \t].*[)] *\{ *$/ && sigl >= FNR - 3 { infn = 1; start = FNR; name = sig; next }
infn && /^\}/ { n = FNR - start - 1; if (n > maxfn) { printf "%s:%d: function of %d lines (max %d): %s\n", FILENAME, start, n, maxfn, name; bad = 1 } infn = 0 }
END { if (lines > maxf) { printf "%s: %d lines (max %d)\n", file, lines, maxf; bad = 1 } exit bad }'
[ $? -eq 0 ] || exit 1
