#!/usr/bin/python3
"""gensim_roundtrip.py -- `emb convert` against gensim 4.2 and NumPy.

    /usr/bin/python3 tests/gensim_roundtrip.py BUILD_DIR      (BUILD_DIR/emb)

Both directions, all exact (float32 bit patterns, word order, UTF-8 words):
  (a) gensim's save_word2vec_format (binary and text) -> emb convert ->
      bin/text/npy -> loaded back by gensim's load_word2vec_format and by
      numpy (np.load + the vocabulary file);
  (b) files emb writes (from an np.save matrix) load in gensim as the
      matrix, and emb's own conversions are stable byte for byte.
For gensim's text files the reference is what gensim itself loads from
them (its writer prints repr() of each float32, which is exact too).
Prints one line per check; exits 1 if any fails.
"""
import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from gensim.models import KeyedVectors
except ImportError as e:  # optional: python3-gensim and python3-numpy
    print("SKIP: %s (apt-get install python3-gensim python3-numpy)" % e)
    sys.exit(77)

logging.disable(logging.WARNING)  # gensim warns about missing 'count' attributes

failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok    " if ok else "FAIL  ") + name + ("" if ok or not detail else "  -- " + detail))
    if not ok:
        failures += 1


def emb(*args, expect=0):
    """Run BUILD_DIR/emb convert ARGS; return the completed process."""
    p = subprocess.run([EMB, "convert", *args], capture_output=True, text=True)
    if p.returncode != expect:
        print(f"      emb convert {' '.join(args)} -> {p.returncode}: {p.stderr.strip()}")
    return p


def same_bits(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def same_kv(kv, keys, vectors):
    """kv holds exactly `keys` in order with bit-identical `vectors`."""
    if list(kv.index_to_key) != list(keys):
        return False, f"keys differ: {kv.index_to_key[:5]} vs {list(keys)[:5]}"
    if not same_bits(kv.vectors, vectors):
        bad = np.argwhere(np.asarray(kv.vectors).view(np.uint32) != np.asarray(vectors, np.float32).view(np.uint32))
        return False, f"{len(bad)} values differ, first at {bad[0].tolist() if len(bad) else '?'}"
    return True, ""


def load_npy_pair(npy, vocab):
    with open(vocab, encoding="utf-8") as f:
        words = f.read().split("\n")
    assert words[-1] == ""
    return words[:-1], np.load(npy)


def check_outputs(label, stem, keys, vectors):
    """stem.bin / stem.txt / stem.npy(+.vocab) written by emb hold keys/vectors."""
    ok, why = same_kv(KeyedVectors.load_word2vec_format(stem + ".bin", binary=True), keys, vectors)
    check(f"{label} -> emb bin -> gensim binary load", ok, why)
    ok, why = same_kv(KeyedVectors.load_word2vec_format(stem + ".txt", binary=False), keys, vectors)
    check(f"{label} -> emb text -> gensim text load", ok, why)
    words, m = load_npy_pair(stem + ".npy", stem + ".vocab")
    check(f"{label} -> emb npy -> numpy load", words == list(keys) and m.dtype == np.float32 and same_bits(m, vectors),
          f"{len(words)} words, dtype {m.dtype}, shape {m.shape}")


def convert_all(src, stem, *extra):
    for ext in ("bin", "txt", "npy"):
        emb(src, f"{stem}.{ext}", "--quiet", *extra)


def main():
    tmp = tempfile.mkdtemp(prefix="emb_gensim_")
    t = lambda name: os.path.join(tmp, name)
    rng = np.random.default_rng(42)

    # Words gensim and emb must agree on, UTF-8 included; values including
    # +-0, a subnormal, extremes and 1/3 next to ordinary random ones.
    keys = ["the", "café", "日本", "naïve", "Ωmega", "</s>", "a-b_c", "Straße", "😀"] + [f"w{i}" for i in range(51)]
    dim = 23
    vectors = (rng.standard_normal((len(keys), dim)) * 0.1).astype(np.float32)
    vectors[0, :6] = np.array([0.0, -0.0, 1e-45, 3.4e38, -3.4e38, 1 / 3], dtype=np.float32)
    vectors[1, :3] = np.array([1e-38, 123456789.0, 0.1], dtype=np.float32)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys, vectors)

    # ---- (a) gensim writes, emb converts, gensim and numpy read ------------
    kv.save_word2vec_format(t("g.bin"), binary=True)
    kv.save_word2vec_format(t("g.txt"), binary=False)

    convert_all(t("g.bin"), t("from_gbin"))
    check_outputs("gensim bin", t("from_gbin"), keys, vectors)

    ref = KeyedVectors.load_word2vec_format(t("g.txt"), binary=False)
    ok, why = same_kv(ref, keys, vectors)
    check("gensim text -> gensim text load is exact (reference)", ok, why)
    convert_all(t("g.txt"), t("from_gtxt"))
    check_outputs("gensim text", t("from_gtxt"), ref.index_to_key, ref.vectors)

    # gzip-compressed inputs.
    for name in ("g.bin", "g.txt"):
        with open(t(name), "rb") as f, gzip.open(t(name + ".gz"), "wb") as g:
            g.write(f.read())
        emb(t(name + ".gz"), t("gz.npy"), "--quiet")
        words, m = load_npy_pair(t("gz.npy"), t("gz.vocab"))
        check(f"gensim {name}.gz -> emb npy", words == keys and same_bits(m, vectors))

    # An unknown extension is sniffed (binary content in "g.w2v").
    with open(t("g.bin"), "rb") as f, open(t("g.w2v"), "wb") as g:
        g.write(f.read())
    p = emb(t("g.w2v"), t("sniff.txt"))
    ok, why = same_kv(KeyedVectors.load_word2vec_format(t("sniff.txt")), keys, vectors)
    check("gensim bin named .w2v -> sniffed as bin -> emb text", ok and "(bin)" in p.stderr, why or p.stderr)

    # word2vec.c's text writer: "%lf " per value, trailing space.
    with open(t("w2vc.txt"), "w", encoding="utf-8") as f:
        f.write(f"{len(keys)} {dim}\n")
        for k, row in zip(keys, vectors[:, :]):
            f.write(k + " " + "".join("%lf " % float(x) for x in row) + "\n")
    ref = KeyedVectors.load_word2vec_format(t("w2vc.txt"), binary=False)
    emb(t("w2vc.txt"), t("w2vc_out.bin"), "--quiet")
    ok, why = same_kv(KeyedVectors.load_word2vec_format(t("w2vc_out.bin"), binary=True), ref.index_to_key, ref.vectors)
    check("word2vec.c-style text (trailing space) -> emb bin -> gensim", ok, why)

    # --limit matches gensim's limit=.
    emb(t("g.bin"), t("lim.txt"), "--limit", "7", "--quiet")
    lim = KeyedVectors.load_word2vec_format(t("g.bin"), binary=True, limit=7)
    ok, why = same_kv(KeyedVectors.load_word2vec_format(t("lim.txt")), lim.index_to_key, lim.vectors)
    check("--limit 7 equals gensim limit=7", ok, why)

    # --json summary.
    p = emb(t("g.bin"), t("json.npy"), "--out-vocab", t("json_words.txt"), "--json", "--quiet")
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {}
    check("--json summary", j == {"input": t("g.bin"), "output": t("json.npy"), "count": len(keys), "dim": dim},
          p.stdout.strip())
    words, m = load_npy_pair(t("json.npy"), t("json_words.txt"))
    check("--out-vocab names the vocabulary file", words == keys and same_bits(m, vectors))

    # ---- (b) emb writes, gensim reads -------------------------------------
    mat = (rng.standard_normal((40, 17)) * 3).astype(np.float32)
    words = [f"mot{i}" for i in range(38)] + ["ça", "東京"]
    np.save(t("np.npy"), mat)
    with open(t("np_words.txt"), "w", encoding="utf-8") as f:
        f.write("".join(w + "\n" for w in words))
    for ext, binary in (("bin", True), ("txt", False)):
        emb(t("np.npy"), t("np_out." + ext), "--vocab", t("np_words.txt"), "--quiet")
        ok, why = same_kv(KeyedVectors.load_word2vec_format(t("np_out." + ext), binary=binary), words, mat)
        check(f"numpy npy -> emb {ext} -> gensim", ok, why)

    # A gensim KeyedVectors object saved by emb's text, reloaded by gensim,
    # saved by gensim, converted again by emb: same bytes as emb's first text.
    emb(t("np_out.txt"), t("np_again.bin"), "--quiet")
    emb(t("np_again.bin"), t("np_again.txt"), "--quiet")
    KeyedVectors.load_word2vec_format(t("np_out.txt")).save_word2vec_format(t("np_gensim.txt"))
    emb(t("np_gensim.txt"), t("np_gensim_emb.txt"), "--quiet")
    read = lambda n: open(t(n), "rb").read()
    check("emb text -> bin -> text is byte-identical", read("np_out.txt") == read("np_again.txt"))
    check("emb text -> gensim text -> emb text is byte-identical", read("np_out.txt") == read("np_gensim_emb.txt"))

    # --normalize: unit rows, as numpy computes them (float32 rounding).
    emb(t("np.npy"), t("norm.npy"), "--vocab", t("np_words.txt"), "--normalize", "--quiet")
    _, m = load_npy_pair(t("norm.npy"), t("norm.vocab"))
    want = mat / np.linalg.norm(mat.astype(np.float64), axis=1, keepdims=True)
    check("--normalize gives unit rows", np.allclose(m, want, rtol=0, atol=2e-7),
          f"max diff {np.abs(m - want).max():.3g}")

    # ---- failures: exit status and message -------------------------------
    data = open(t("g.bin"), "rb").read()
    open(t("cut.bin"), "wb").write(data[: len(data) // 2])
    p = emb(t("cut.bin"), t("cut.txt"), expect=1)
    check("truncated bin: exit 1, message names the file",
          p.returncode == 1 and "cut.bin" in p.stderr and "truncated" in p.stderr and not os.path.exists(t("cut.txt")),
          p.stderr.strip())
    p = emb(t("missing.bin"), t("x.txt"), expect=1)
    check("missing input: exit 1", p.returncode == 1, p.stderr.strip())
    p = emb(t("g.bin"), expect=2)
    check("missing OUTPUT: exit 2", p.returncode == 2, p.stderr.strip())
    p = emb(t("g.bin"), t("x.txt"), "--to", "csv", expect=2)
    check("bad --to: exit 2", p.returncode == 2, p.stderr.strip())

    if failures == 0:
        for n in os.listdir(tmp):
            os.unlink(t(n))
        os.rmdir(tmp)
    else:
        print(f"files kept in {tmp}")
    print(f"gensim_roundtrip: {failures} failure(s)" if failures else "gensim_roundtrip: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gensim_roundtrip.py BUILD_DIR")
    EMB = os.path.join(sys.argv[1], "emb")
    if not os.access(EMB, os.X_OK):
        sys.exit(f"gensim_roundtrip.py: {EMB} not found (build it first)")
    sys.exit(main())
