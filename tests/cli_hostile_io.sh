#!/usr/bin/env bash
# cli_hostile_io.sh -- outputs under hostile conditions (issue 13, items 5-7
# and the minor ones): outputs that are FIFOs, symlinks, hard links or
# private files; two options naming one file; checkpoint paths that cannot
# be written, at start or mid-run; stale temporaries after kill -9; signals
# during the final write.
#
# Never writes to a system file: devices are stood in for by FIFOs made
# here (/dev/null is only checked to still be a character device at the
# end). Uses /proc (Linux) to see when emb has its output open.
set -u
EMB=${EMB:-build/emb}
KARATE=${EMB_TESTDATA:-tests/data}/karate/edges.tsv
T=$(mktemp -d)
trap '[[ $BASHPID == $$ ]] && rm -rf "$T"' EXIT # not in a child shell
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# expect_exit NAME CODE CMD...: run CMD, check its exit status.
expect_exit() {
  local name=$1 want=$2; shift 2
  "$@" > "$T/out.log" 2> "$T/err.log"
  local rc=$?
  if [[ $rc -eq $want ]]; then pass "$name"; else fail "$name (exit $rc, want $want)"; sed 's/^/    /' "$T/err.log" | head -5; fi
}
# Wait (up to 30 s) until process $1, once it is emb (not the shell's
# child before exec, which still holds the test's fd 3), has a file
# descriptor on path $2.
wait_open() {
  local st
  for _ in $(seq 300); do
    # gone, or a zombie (dead but not yet waited for): it will never open it
    st=$(awk '/^State:/ { print $2 }' /proc/$1/status 2>/dev/null)
    [[ -n $st && $st != Z ]] || return 1
    [[ "$(cat /proc/$1/comm 2>/dev/null)" == emb ]] && ls -l /proc/$1/fd 2>/dev/null | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  return 1
}

# A corpus of ~1900 words (a Zipf-like mix), so that a checkpoint (two
# tables) is about twice the size of the .bin vectors.
awk 'BEGIN { srand(7); for (l = 0; l < 3000; l++) { s = ""; for (i = 0; i < 12; i++) s = s " w" int(rand() * rand() * 2000); print s } }' > "$T/c.txt"
Q="--quiet --min-count 1 --dim 16 --epochs 1 --threads 1"
W() { $EMB train word2vec --input "$T/c.txt" $Q "$@"; }
$EMB train word2vec --input "$T/c.txt" $Q --output "$T/ref.txt" || fail "reference run"
n_words=$(head -1 "$T/ref.txt" | cut -d' ' -f1)

# ---- item 5: devices/FIFOs, symlinks, mode, hard links ---------------------

# A FIFO (standing in for /dev/null, /dev/full, a device) is written
# through and stays a FIFO; a reader gets the whole file.
mkfifo "$T/fifo.txt"
timeout 60 cat "$T/fifo.txt" > "$T/from_fifo.txt" & cat_pid=$!
expect_exit "output to a FIFO" 0 timeout 60 $EMB train word2vec --input "$T/c.txt" $Q --output "$T/fifo.txt"
# If emb died before opening the FIFO, the reader would wait for a writer:
# give it an empty one (a finished reader leaves nobody to open for).
kill -0 $cat_pid 2>/dev/null && timeout 2 bash -c ': > "$1"' _ "$T/fifo.txt" 2>/dev/null
wait $cat_pid
check "FIFO is still a FIFO" test -p "$T/fifo.txt"
check "FIFO reader got every vector" test "$(wc -l < "$T/from_fifo.txt")" -eq $((n_words + 1))
check "no temporary beside the FIFO" test -z "$(ls -A "$T" | grep emb-tmp)"

# /dev/fd/N, /proc/self/fd/N, /dev/stdout write to that descriptor (here
# opened for appending: the first line stays), not over the file behind it.
# (/proc/self/fd rather than /dev/stdout: old code would rename over it.)
echo "first line" > "$T/app.txt"
expect_exit "output to /proc/self/fd/3" 0 W --output /proc/self/fd/3 3>> "$T/app.txt"
check "... appended after the first line" test "$(head -1 "$T/app.txt")" = "first line"
check "... every vector written" test "$(wc -l < "$T/app.txt")" -eq $((n_words + 2))

# A symlink: the link stays, its target gets the vectors, with its mode.
echo old > "$T/real.txt"
chmod 600 "$T/real.txt"
ln -s real.txt "$T/link.txt"
expect_exit "output to a symlink" 0 W --output "$T/link.txt"
check "symlink is still a symlink" test -L "$T/link.txt"
check "symlink target has the vectors" cmp -s "$T/real.txt" "$T/ref.txt"
check "target's mode 600 kept" test "$(stat -c %a "$T/real.txt")" = 600
# A symlink into another directory: the temporary is made there.
mkdir "$T/elsewhere"
echo old > "$T/elsewhere/v.txt"
ln -s "$T/elsewhere/v.txt" "$T/far.txt"
expect_exit "output to a symlink into another directory" 0 W --output "$T/far.txt"
check "far target has the vectors" cmp -s "$T/elsewhere/v.txt" "$T/ref.txt"
check "far link is still a symlink" test -L "$T/far.txt"
# A dangling symlink: its target is created.
ln -s elsewhere/new.txt "$T/dangling.txt"
expect_exit "output to a dangling symlink" 0 W --output "$T/dangling.txt"
check "dangling link's target created" cmp -s "$T/elsewhere/new.txt" "$T/ref.txt"
# The mode of a replaced file is kept (640 stays 640, not 644).
echo old > "$T/m.txt"
chmod 640 "$T/m.txt"
expect_exit "output over a 640 file" 0 W --output "$T/m.txt"
check "mode 640 kept" test "$(stat -c %a "$T/m.txt")" = 640
# Hard links (decision, README): the output gets a new inode; the other
# name keeps the old content rather than being changed in place.
echo old > "$T/h1.txt"
ln "$T/h1.txt" "$T/h2.txt"
expect_exit "output over a hard-linked file" 0 W --output "$T/h1.txt"
check "hard link: output has the vectors" cmp -s "$T/h1.txt" "$T/ref.txt"
check "hard link: other name keeps the old content" test "$(cat "$T/h2.txt")" = old

# ---- item 6: one file named by two options ---------------------------------

expect_exit "--output X --checkpoint X refused" 2 W --output "$T/x.bin" --checkpoint "$T/x.bin"
check "... nothing written" test ! -e "$T/x.bin"
expect_exit "--output X --checkpoint ./X refused" 2 W --output "$T/x.bin" --checkpoint "$T/./x.bin"
expect_exit "--save-vocab X --output X refused" 2 W --save-vocab "$T/x.txt" --output "$T/x.txt"
grep -q "same file" "$T/err.log" && pass "... message says same file" || fail "... message says same file"
ln -s x.txt "$T/xlink.txt"
expect_exit "--output X --save-vocab symlink-to-X refused" 2 W --output "$T/x.txt" --save-vocab "$T/xlink.txt"
echo keep > "$T/hx.txt"
ln "$T/hx.txt" "$T/hy.txt"
expect_exit "--output X --save-vocab hard-link-of-X refused" 2 W --output "$T/hx.txt" --save-vocab "$T/hy.txt"
check "... hard-linked file untouched" test "$(cat "$T/hx.txt")" = keep
expect_exit ".npy output's vocabulary = --save-vocab refused" 2 W --output "$T/v.npy" --save-vocab "$T/v.vocab"
cp "$T/c.txt" "$T/corpus.txt"
expect_exit "--input X --output X refused" 2 W --input "$T/corpus.txt" --output "$T/corpus.txt"
check "... corpus untouched" cmp -s "$T/c.txt" "$T/corpus.txt"
expect_exit "--output X --resume X refused" 2 W --output "$T/ck" --resume "$T/ck"
expect_exit "different files accepted" 0 W --output "$T/ok.bin" --save-vocab "$T/ok.vocab" --checkpoint "$T/ok.ck" --epochs 20 --checkpoint-every 0.001
# Allowed: --resume and --checkpoint on one file (the usual way to go on).
expect_exit "--resume X --checkpoint X accepted" 0 W --output "$T/ok2.bin" --resume "$T/ok.ck" --checkpoint "$T/ok.ck" --epochs 20
# The other commands with several paths.
expect_exit "node2vec --output X --save-walks X refused" 2 $EMB train node2vec --input "$KARATE" --output "$T/g.txt" --save-walks "$T/g.txt" --quiet
expect_exit "node2vec --input X --output X refused" 2 $EMB train node2vec --input "$T/./c.txt" --output "$T/c.txt" --quiet
expect_exit "line --output X --checkpoint X refused" 2 $EMB train line --input "$KARATE" --output "$T/l.txt" --checkpoint "$T/l.txt" --quiet
mkdir "$T/kg"
awk 'BEGIN { for (a = 0; a < 20; a++) { print "e" a "\tnext\te" (a + 1) % 20 } }' > "$T/kg/train.tsv"
printf 'e3\tnext\te4\n' > "$T/kg/valid.tsv"
printf 'e5\tnext\te6\n' > "$T/kg/test.tsv"
expect_exit "kge --output X --checkpoint X refused" 2 $EMB train kge --model transe --data "$T/kg" --output "$T/k.kge" --checkpoint "$T/k.kge" --quiet
expect_exit "kge --output X --export-vectors X refused" 2 $EMB train kge --model transe --data "$T/kg" --output "$T/k.kge" --export-vectors "$T/k.kge" --quiet
expect_exit "kge trains" 0 $EMB train kge --model transe --data "$T/kg" --output "$T/k.kge" --steps 20 --dim 8 --threads 1 --quiet
cp "$T/k.kge" "$T/k0.kge"
expect_exit "eval kge --ranks MODEL refused" 2 $EMB eval kge "$T/k.kge" --data "$T/kg" --ranks "$T/k.kge" --quiet
check "... model untouched" cmp -s "$T/k.kge" "$T/k0.kge"
expect_exit "index build V -o V refused" 2 $EMB index build "$T/ref.txt" -o "$T/ref.txt"
expect_exit "project V -o V refused" 2 $EMB project "$T/ref.txt" -o "$T/ref.txt"
expect_exit "convert --out-vocab = OUTPUT refused" 2 $EMB convert "$T/ref.txt" "$T/o.npy" --out-vocab "$T/o.npy"
check "reference vectors untouched" test "$(wc -l < "$T/ref.txt")" -eq $((n_words + 1))
# Decision: converting a file onto itself is allowed (it is read whole
# before the output replaces it).
cp "$T/ref.txt" "$T/self.txt"
expect_exit "convert X X allowed" 0 $EMB convert "$T/self.txt" "$T/self.txt" --quiet
check "... same vectors after" cmp -s "$T/self.txt" "$T/ref.txt"

# ---- item 7: checkpoint and output paths checked at start; a failed -------
# ---- periodic checkpoint warns and training goes on ------------------------

expect_exit "--checkpoint into a missing directory fails at once" 1 W --output "$T/a.bin" --checkpoint "$T/nodir/ck"
grep -q "nodir" "$T/err.log" && pass "... message names the directory" || fail "... message names the directory"
check "... no output written" test ! -e "$T/a.bin"
expect_exit "--output into a missing directory fails at once" 1 $EMB train word2vec --input "$T/c.txt" --min-count 1 --dim 16 --epochs 1 --threads 1 --output "$T/nodir/a.bin"
grep -q "words in the vocabulary" "$T/err.log" && fail "... before reading the corpus" || pass "... before reading the corpus"
expect_exit "--output is a directory: fails at once" 1 W --output "$T/kg"
expect_exit "line --checkpoint into a missing directory fails at once" 1 $EMB train line --input "$KARATE" --output "$T/l.txt" --checkpoint "$T/nodir/l.ck" --quiet
expect_exit "kge --checkpoint into a missing directory fails at once" 1 $EMB train kge --model transe --data "$T/kg" --output "$T/k2.kge" --checkpoint "$T/nodir/k.ck" --quiet
# Every periodic checkpoint fails (files over 200 KiB cannot be written:
# the checkpoint is ~260 KB, the .bin vectors ~135 KB). SIGXFSZ is ignored
# so the write fails with EFBIG as on a full disk.
(trap '' XFSZ; ulimit -f 200; exec $EMB train word2vec --input "$T/c.txt" $Q --epochs 20 --output "$T/full.bin" \
   --checkpoint "$T/full.ck" --checkpoint-every 0.001) > "$T/out.log" 2> "$T/err.log"
rc=$?
check "failed periodic checkpoints: exit 0" test $rc -eq 0
grep -q "warning: cannot write checkpoint .*full.ck: File too large" "$T/err.log" && pass "... warned with the reason" || { fail "... warned with the reason"; head -3 "$T/err.log"; }
check "... the vectors are written" test "$(head -1 "$T/full.bin" | cut -d' ' -f1)" = "$n_words"
check "... no checkpoint file, no temporary" test -z "$(ls -A "$T" | grep -e full.ck -e emb-tmp)"
# The same for KGE (checkpoints every millisecond: ~50 KB with the optimiser
# state, the model ~17 KB) and LINE (~35 KB for two tables, .bin ~17 KB).
(trap '' XFSZ; ulimit -f 30; exec $EMB train kge --model transe --data "$T/kg" --output "$T/kfull.kge" --dim 200 --steps 500 \
   --checkpoint "$T/kfull.ck" --checkpoint-every 0.001 --threads 1 --quiet) > "$T/out.log" 2> "$T/err.log"
check "kge: failed periodic checkpoints: exit 0" test $? -eq 0
grep -q "warning: cannot write checkpoint .*kfull.ck: File too large" "$T/err.log" && pass "... warned with the reason" || fail "... warned with the reason"
check "... the model is written" test -s "$T/kfull.kge"
(trap '' XFSZ; ulimit -f 25; exec $EMB train line --input "$KARATE" --output "$T/lfull.bin" --dim 128 --threads 1 \
   --checkpoint "$T/lfull.ck" --checkpoint-every 0.001 --quiet) > "$T/out.log" 2> "$T/err.log"
check "line: failed periodic checkpoints: exit 0" test $? -eq 0
grep -q "warning: cannot write checkpoint .*lfull.ck: File too large" "$T/err.log" && pass "... warned with the reason" || fail "... warned with the reason"
check "... the vectors are written" test "$(head -1 "$T/lfull.bin" | cut -d' ' -f1)" = 34
# A directory given as --checkpoint is caught at start too.
mkdir "$T/ckdir"
W --output "$T/dir.bin" --checkpoint "$T/ckdir" > /dev/null 2> "$T/err.log"
check "a directory as --checkpoint is refused at start" test $? -eq 1

# ---- minor: stale temporaries, signals during the final write --------------

# A temporary left by a killed process (its PID is gone) is removed by the
# next output to the same file; one of a live process is kept.
sh -c 'exit 0' & dead=$!
wait $dead
echo stale > "$T/.st.bin.emb-tmp.$dead.0badc0de"
echo live > "$T/.st.bin.emb-tmp.$$.00000001"
expect_exit "output beside stale temporaries" 0 W --output "$T/st.bin"
check "... the dead process's temporary is removed" test ! -e "$T/.st.bin.emb-tmp.$dead.0badc0de"
check "... a live process's temporary is kept" test -e "$T/.st.bin.emb-tmp.$$.00000001"
rm -f "$T/.st.bin.emb-tmp.$$.00000001"

# SIGINT once training is over (emb blocked writing its output into a FIFO
# that nobody reads yet): the write completes and emb exits 0.
mkfifo "$T/sig.txt"
exec 3<> "$T/sig.txt" # hold the FIFO open so emb's open does not wait
$EMB train word2vec --input "$T/c.txt" $Q --output "$T/sig.txt" 3>&- & pid=$!
if wait_open $pid sig.txt; then
  kill -INT $pid
  exec 4< "$T/sig.txt"
  exec 3>&-
  cat <&4 > "$T/sig_got.txt"
  exec 4<&-
  wait $pid
  rc=$?
  check "SIGINT during the final write: exit 0" test $rc -eq 0
  check "... the output is complete" test "$(wc -l < "$T/sig_got.txt")" -eq $((n_words + 1))
else
  fail "SIGINT during the final write: emb never opened its FIFO output"
  exec 3>&-
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
fi
# A second SIGINT ends the process at once (exit by SIGINT: 130).
exec 3<> "$T/sig.txt"
$EMB train word2vec --input "$T/c.txt" $Q --output "$T/sig.txt" 3>&- & pid=$!
if wait_open $pid sig.txt; then
  kill -INT $pid
  # The handler has run once SIGINT is no longer caught (SigCgt bit 2).
  for _ in $(seq 300); do
    m=$(awk '/^SigCgt/ { print $2 }' /proc/$pid/status 2>/dev/null) || break
    (( (16#${m:-0} & 2) == 0 )) && break
    sleep 0.1
  done
  kill -INT $pid
  timeout 30 tail --pid=$pid -f /dev/null
  wait $pid
  rc=$?
  check "second SIGINT during the final write: killed at once (exit 130)" test $rc -eq 130
else
  fail "second SIGINT: emb never opened its FIFO output"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
fi
exec 3>&-

check "/dev/null is still a character device" test -c /dev/null
if [[ $fails -ne 0 ]]; then echo "$fails failed"; exit 1; fi
echo "all passed"
