/* fuzz_vecs.c -- libFuzzer harness for the vector file readers (vecs.h).
 *
 *     make fuzz && build-fuzz/fuzz_vecs -max_total_time=300 fuzz/corpus/vecs
 *
 * Each input is one file's bytes. It is put in a memfd and loaded as text,
 * binary, .npy (with a fixed 3-word vocabulary, so seeds declare 3 rows)
 * and auto-detected, also with a small limit. Loads must fail cleanly or
 * succeed; a successful load is saved in its format and loaded again, and
 * must come back bit for bit (abort otherwise) -- so the fuzzer checks the
 * writers too. Outputs go to a directory on tmpfs when there is one, as
 * every save fsyncs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/vecs.h"

/* Harness state, set up once: libFuzzer calls us millions of times. */
static int g_fd = -1;
static char g_path[64], g_vocab[64], g_dir[64], g_out_txt[96], g_out_bin[96], g_out_npy[96];

/* Remove the output files and their directory when libFuzzer exits. */
static void cleanup(void) {
    const char *files[] = {g_out_txt, g_out_bin, g_out_npy, NULL};
    char vocab[96];
    snprintf(vocab, sizeof vocab, "%s/out.vocab", g_dir);
    for (int i = 0; files[i]; i++) unlink(files[i]);
    unlink(vocab);
    rmdir(g_dir);
}

static void setup(void) {
    g_fd = memfd_create("fuzz_vecs", 0);
    int vfd = memfd_create("fuzz_vecs_vocab", 0);
    if (g_fd < 0 || vfd < 0 || write(vfd, "a\nb\nc\n", 6) != 6) abort();
    snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    snprintf(g_vocab, sizeof g_vocab, "/proc/self/fd/%d", vfd);
    snprintf(g_dir, sizeof g_dir, "%s/fuzz_vecs_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(g_dir)) abort();
    snprintf(g_out_txt, sizeof g_out_txt, "%s/out.txt", g_dir);
    snprintf(g_out_bin, sizeof g_out_bin, "%s/out.bin", g_dir);
    snprintf(g_out_npy, sizeof g_out_npy, "%s/out.npy", g_dir);
    atexit(cleanup);
}

/* Save v in fmt, load it back, compare words and float bits. Saving may
 * refuse words with whitespace (read from binary or .npy vocabularies). */
static void roundtrip(const struct emb_vecs *v, enum emb_vec_format fmt, const char *out) {
    struct emb_err err = {0};
    struct emb_vecs *w = NULL;
    int rc = emb_vecs_save(v->vocab, v->table, out, fmt, NULL, &err);
    if (rc == EMB_EINVAL) return;
    if (rc != EMB_OK) {
        fprintf(stderr, "save failed: %s\n", err.msg);
        abort();
    }
    if ((rc = emb_vecs_load(&w, out, fmt, 0, NULL, &err)) != EMB_OK) {
        fprintf(stderr, "reload of %s failed: %s\n", out, err.msg);
        abort();
    }
    int32_t n = emb_vocab_size(v->vocab);
    if (emb_vocab_size(w->vocab) != n || w->table->dim != v->table->dim) abort();
    for (int32_t i = 0; i < n; i++) {
        if (strcmp(emb_vocab_word(v->vocab, i), emb_vocab_word(w->vocab, i)) != 0) abort();
        if (memcmp(emb_table_row(v->table, i), emb_table_row(w->table, i), (size_t)v->table->dim * 4) != 0) abort();
    }
    emb_vecs_free(w);
}

static void load(enum emb_vec_format fmt, int64_t limit) {
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    int rc = emb_vecs_load(&v, g_path, fmt, limit, fmt == EMB_FMT_TEXT ? NULL : g_vocab, &err);
    if (rc != EMB_OK) {
        if (v != NULL || err.code != rc || err.msg[0] == '\0') abort(); /* failures must explain themselves */
        return;
    }
    if (emb_vocab_size(v->vocab) < 1 || v->table->n_rows != emb_vocab_size(v->vocab)) abort();
    if (limit == 0) {
        roundtrip(v, EMB_FMT_TEXT, g_out_txt);
        roundtrip(v, EMB_FMT_BIN, g_out_bin);
        roundtrip(v, EMB_FMT_NPY, g_out_npy);
    }
    emb_vecs_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) setup();
    if (ftruncate(g_fd, 0) != 0 || (size && pwrite(g_fd, data, size, 0) != (ssize_t)size)) abort();
    load(EMB_FMT_TEXT, 0);
    load(EMB_FMT_BIN, 0);
    load(EMB_FMT_NPY, 0);
    load(EMB_FMT_AUTO, 0);
    load(EMB_FMT_TEXT, 2);
    load(EMB_FMT_BIN, 2);
    load(EMB_FMT_NPY, 2);
    return 0;
}
