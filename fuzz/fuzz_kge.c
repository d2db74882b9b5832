/* fuzz_kge.c -- libFuzzer harness for the knowledge-graph model file
 * reader (emb_kge_load) and the scoring of whatever loads.
 *
 *     make fuzz && build-fuzz/fuzz_kge -max_total_time=300 fuzz/corpus/kge
 *
 * Each input is one model file's bytes, put in a memfd and opened through
 * /proc/self/fd. Besides "no crash, no leak", the harness checks (abort on
 * failure):
 *   - emb_kge_load succeeds or fails with a status and a message;
 *   - on success the tables have the shape of the model's kind (kgeval's
 *     check, through emb_kgeval_topk), as many rows as names, names find
 *     their ids, and the top answers of (0, 0, ?) and (?, 0, 0) come back
 *     sorted, each with the score emb_kge_score gives it (within a
 *     rounding bound that scales with the size of the terms);
 *   - the model saves, and the saved file loads back bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/kge.h"
#include "emb/kgeval.h"

static int g_fd = -1;
static char g_path[64], g_dir[64], g_out[96];

#define REQUIRE(c)                                                           \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "fuzz_kge: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                         \
        }                                                                    \
    } while (0)

static void cleanup(void) {
    unlink(g_out);
    rmdir(g_dir);
}

static void setup(void) {
    g_fd = memfd_create("fuzz_kge", 0);
    REQUIRE(g_fd >= 0);
    snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    snprintf(g_dir, sizeof g_dir, "%s/fuzz_kge_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    REQUIRE(mkdtemp(g_dir));
    snprintf(g_out, sizeof g_out, "%s/out.kge", g_dir);
    atexit(cleanup);
}

static void check_names(const struct emb_vocab *v, int64_t n) {
    REQUIRE(emb_vocab_size(v) == n);
    for (int32_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(v, i);
        REQUIRE(emb_vocab_find(v, w, strlen(w)) == i);
    }
}

static float max_abs(const struct emb_table *t, int64_t row) {
    float m = 0;
    for (int32_t i = 0; i < t->dim; i++) m = fmaxf(m, fabsf(emb_table_row(t, row)[i]));
    return m;
}

static void check_topk(const struct emb_kge *m, enum emb_kgeval_dir dir) {
    struct emb_err err = {0};
    int64_t ids[8];
    float sc[8];
    int n = 0;
    REQUIRE(emb_kgeval_topk(m, NULL, dir, 0, 0, 8, ids, sc, &n, &err) == EMB_OK);
    REQUIRE(n >= 0 && n <= 8 && n <= m->ent->n_rows);
    for (int i = 0; i < n; i++) {
        REQUIRE(ids[i] >= 0 && ids[i] < m->ent->n_rows);
        if (i) REQUIRE(sc[i] <= sc[i - 1]);
        float want = dir == EMB_KGEVAL_TAIL ? emb_kge_score(m, 0, 0, (int32_t)ids[i]) : emb_kge_score(m, (int32_t)ids[i], 0, 0);
        /* Rounding: the two scorers add the terms in different orders, so
         * the error bound scales with the terms (products of row entries),
         * not with the result, which may cancel to a small number. */
        int32_t e = (int32_t)ids[i];
        double terms = (double)m->ent->dim * (1.0 + max_abs(m->ent, 0)) * (1.0 + max_abs(m->rel, 0)) *
                       (1.0 + max_abs(m->ent, e));
        if (isfinite(want) && isfinite(sc[i]) && terms < 1e30)
            REQUIRE(fabs((double)want - sc[i]) <= 1e-4 * (1.0 + fabs(want)) + 1e-5 * terms);
    }
}

static void check_same(const struct emb_kge *a, const struct emb_kge *b) {
    REQUIRE(a->model == b->model && a->dim == b->dim && a->p_norm == b->p_norm);
    REQUIRE(memcmp(&a->gamma, &b->gamma, sizeof a->gamma) == 0);
    const struct emb_table *ta[2] = {a->ent, a->rel}, *tb[2] = {b->ent, b->rel};
    for (int k = 0; k < 2; k++) {
        REQUIRE(ta[k]->n_rows == tb[k]->n_rows && ta[k]->dim == tb[k]->dim);
        for (int64_t i = 0; i < ta[k]->n_rows; i++)
            REQUIRE(memcmp(emb_table_row(ta[k], i), emb_table_row(tb[k], i), (size_t)ta[k]->dim * 4) == 0);
    }
    for (int32_t i = 0; i < emb_vocab_size(a->ent_names); i++)
        REQUIRE(strcmp(emb_vocab_word(a->ent_names, i), emb_vocab_word(b->ent_names, i)) == 0);
    for (int32_t i = 0; i < emb_vocab_size(a->rel_names); i++)
        REQUIRE(strcmp(emb_vocab_word(a->rel_names, i), emb_vocab_word(b->rel_names, i)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) setup();
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != (ssize_t)size) abort();
    struct emb_err err = {0};
    struct emb_kge *m = NULL;
    int rc = emb_kge_load(&m, g_path, &err);
    if (rc != EMB_OK) {
        REQUIRE(rc < 0 && err.code == rc && err.msg[0] != '\0' && m == NULL);
        return 0;
    }
    REQUIRE(m->ent && m->rel && m->ent_names && m->rel_names && m->dim >= 1);
    check_names(m->ent_names, m->ent->n_rows);
    check_names(m->rel_names, m->rel->n_rows);
    if (m->ent->n_rows >= 1 && m->rel->n_rows >= 1 && (int64_t)m->ent->n_rows * m->ent->dim <= (1 << 20)) {
        check_topk(m, EMB_KGEVAL_TAIL);
        check_topk(m, EMB_KGEVAL_HEAD);
    }
    struct emb_kge *back = NULL;
    REQUIRE(emb_kge_save(m, g_out, &err) == EMB_OK);
    REQUIRE(emb_kge_load(&back, g_out, &err) == EMB_OK);
    check_same(m, back);
    emb_kge_free(back);
    emb_kge_free(m);
    return 0;
}
