/* fuzz_index.c -- libFuzzer harness for the index file reader (index.h).
 *
 *     make fuzz && build-fuzz/fuzz_index -max_total_time=300 fuzz/corpus/index
 *
 * Each input is one file's bytes, put in a memfd and loaded three ways:
 * mapped with CRC checks, mapped without them (so mutations reach the
 * structural checks behind the CRCs), and read into memory. Loads must
 * fail cleanly with a message or succeed; a loaded index is searched (every
 * link is followed, so a bad link the checks missed shows up under ASan),
 * gets one row added and one deleted, and is saved and loaded again, which
 * must succeed (abort otherwise) -- so the writer is checked too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/index.h"

static int g_fd = -1;
static char g_path[64], g_dir[64], g_out[96];

static void cleanup(void) {
    unlink(g_out);
    rmdir(g_dir);
}

static void setup(void) {
    g_fd = memfd_create("fuzz_index", 0);
    if (g_fd < 0) abort();
    snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    snprintf(g_dir, sizeof g_dir, "%s/fuzz_index_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(g_dir)) abort();
    snprintf(g_out, sizeof g_out, "%s/out.idx", g_dir);
    atexit(cleanup);
}

/* Search with a few queries made of the index's own rows and a constant. */
static void exercise(struct emb_index *ix) {
    struct emb_err err = {0};
    int32_t dim = emb_index_dim(ix);
    int64_t n = emb_index_size(ix), ids[8];
    float sc[8], *q = calloc((size_t)dim, sizeof *q);
    if (!q) abort();
    for (int32_t j = 0; j < dim; j++) q[j] = 0.5f;
    int got = emb_index_search(ix, q, 8, 16, ids, sc, &err);
    if (got < 0 && err.msg[0] == '\0') abort();
    for (int i = 0; i < got; i++)
        if (ids[i] < 0 || ids[i] >= n || emb_index_is_deleted(ix, ids[i])) abort();
    for (int64_t r = 0; r < n && r < 4; r++) {
        got = emb_index_search(ix, emb_index_vector(ix, r), 8, 0, ids, sc, &err);
        for (int i = 0; i < got; i++)
            if (ids[i] < 0 || ids[i] >= n) abort();
    }
    int has_words = emb_index_word(ix, 0) != NULL;
    if (emb_index_add(ix, q, has_words ? "\x01fuzz-new\x01" : NULL, NULL, &err) != EMB_OK && err.msg[0] == '\0') abort();
    if (!emb_index_is_deleted(ix, 0)) emb_index_delete(ix, 0, &err);
    free(q);
    if (emb_index_save(ix, g_out, &err) != EMB_OK) {
        fprintf(stderr, "save failed: %s\n", err.msg);
        abort();
    }
    struct emb_index *back = NULL;
    if (emb_index_load(&back, g_out, &err) != EMB_OK) {
        fprintf(stderr, "reload failed: %s\n", err.msg);
        abort();
    }
    if (emb_index_size(back) != emb_index_size(ix) || emb_index_n_deleted(back) != emb_index_n_deleted(ix)) abort();
    emb_index_free(back);
}

static void load(unsigned flags) {
    struct emb_err err = {0};
    struct emb_index *ix = NULL;
    int rc = emb_index_load_flags(&ix, g_path, flags, &err);
    if (rc != EMB_OK) {
        if (ix != NULL || err.code != rc || err.msg[0] == '\0') abort(); /* failures must explain themselves */
        return;
    }
    exercise(ix);
    emb_index_free(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) setup();
    if (ftruncate(g_fd, 0) != 0 || (size && pwrite(g_fd, data, size, 0) != (ssize_t)size)) abort();
    load(0);
    load(EMB_INDEX_LOAD_NO_CRC);
    load(EMB_INDEX_LOAD_NO_CRC | EMB_INDEX_LOAD_NO_MMAP);
    return 0;
}
