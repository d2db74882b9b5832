#!/usr/bin/python3
"""mutate.py -- mutation testing: does the suite catch deliberate bugs?

    /usr/bin/python3 scripts/mutate.py [NAME...]      (or: make mutate)

Reads tests/mutations.txt, copies the tracked tree into a temporary folder
once, and for each mutation: applies it, rebuilds (incrementally), runs the
tests it names through tests/run.sh, and restores the file. A mutant is
KILLED when at least one of its tests fails, SURVIVED when all pass, STALE
when its original text no longer occurs exactly once. Prints a table and
exits 1 if any mutant survived or is stale. Not part of `make check`.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(path):
    muts, cur = [], None
    for raw in open(path):
        line = raw.rstrip("\n")
        if line.startswith("## "):
            name, _, desc = line[3:].partition(":")
            cur = {"name": name.strip(), "desc": desc.strip(), "file": None, "tests": [], "edits": []}
            muts.append(cur)
        elif cur is None or not line.strip() or line.startswith("#"):
            continue
        elif line.startswith("file:"):
            cur["file"] = line[5:].strip()
        elif line.startswith("tests:"):
            cur["tests"] = line[6:].split()
        elif line.startswith("- "):
            cur["edits"].append([line[2:].strip(), None])
        elif line.startswith("+ "):
            cur["edits"][-1][1] = line[2:].strip()
    return muts


def sh(cmd, cwd, log):
    with open(log, "ab") as f:
        return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, shell=True).returncode


def main():
    muts = parse(os.path.join(ROOT, "tests", "mutations.txt"))
    if len(sys.argv) > 1:
        muts = [m for m in muts if m["name"] in sys.argv[1:]]
    tmp = tempfile.mkdtemp(prefix="emb-mutate-")
    tree = os.path.join(tmp, "emb")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for f in files:
        if not f:
            continue
        f = f.decode()
        src = os.path.join(ROOT, f)
        if not os.path.exists(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy2(src, os.path.join(tree, f))
    log = os.path.join(tmp, "log")
    print("building the unmutated tree in %s" % tree, flush=True)
    if sh("make -j%d tests" % os.cpu_count(), tree, log) != 0:
        print("the unmutated tree does not build; see %s" % log)
        return 2
    rows, bad = [], 0
    for m in muts:
        path = os.path.join(tree, m["file"])
        orig = open(path).read()
        text, stale = orig, False
        for old, new in m["edits"]:
            lines = text.split("\n")
            hits = [i for i, l in enumerate(lines) if l.strip() == old]
            if len(hits) != 1:
                stale = True
                break
            i = hits[0]
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = indent + new
            text = "\n".join(lines)
        t0 = time.time()
        if stale:
            verdict, by = "STALE", "-"
        else:
            open(path, "w").write(text)
            if sh("make -j%d tests" % os.cpu_count(), tree, log) != 0:
                verdict, by = "KILLED", "(does not build)"
            else:
                by = [t for t in m["tests"] if sh("bash tests/run.sh %s" % t, tree, log) != 0]
                verdict, by = ("KILLED", " ".join(by)) if by else ("SURVIVED", "-")
            open(path, "w").write(orig)
            os.utime(path)
        bad += verdict != "KILLED"
        rows.append((m["name"], verdict, by, "%.0f s" % (time.time() - t0), m["desc"]))
        print("%-24s %-8s %s" % rows[-1][:3], flush=True)
    print()
    print("| mutation | result | caught by | time | bug |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %s | %s | %s |" % r)
    killed = sum(r[1] == "KILLED" for r in rows)
    print("\n%d killed, %d survived or stale, of %d" % (killed, len(rows) - killed, len(rows)))
    shutil.rmtree(tmp, ignore_errors=True) if bad == 0 else print("log: %s" % log)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
