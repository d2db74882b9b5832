/* query_r_test.c -- the reentrant queries (emb_query_neighbors_r,
 * emb_query_analogy_r): same answers as the pooled calls, and the same
 * answers again when many threads ask one emb_query at once. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "emb/eval.h"
#include "emb/rng.h"
#include "test.h"

#define N_ROWS 20000 /* above the pool's threshold, so the pooled scan splits */
#define DIM 24
#define K 12
#define N_QUERIES 40
#define N_THREADS 4

static struct emb_vecs *random_vecs(int n, int dim, uint64_t seed) {
    struct emb_vecs *v = emb_calloc(1, sizeof *v);
    char w[32];
    if (!v) return NULL;
    if (emb_vocab_new(&v->vocab, NULL) != EMB_OK || emb_table_new(&v->table, n, dim, NULL) != EMB_OK) return NULL;
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++) {
        snprintf(w, sizeof w, "w%d", i);
        if (emb_vocab_add(v->vocab, w, strlen(w), 0, NULL, NULL) != EMB_OK) return NULL;
        float *row = emb_table_row(v->table, i);
        for (int j = 0; j < dim; j++) row[j] = emb_rng_uniform(&r) * 2.0f - 1.0f;
    }
    return v;
}

static void free_vecs(struct emb_vecs *v) {
    if (!v) return;
    emb_vocab_free(v->vocab);
    emb_table_free(v->table);
    emb_free(v);
}

/* Expected answers, from the pooled (one caller) functions. Query i asks
 * the neighbours of row 37*i and the analogy (i, i+1, i+2), add and mul. */
struct expected {
    int64_t nb_ids[N_QUERIES][K], add_ids[N_QUERIES][K], mul_ids[N_QUERIES][K];
    float nb_scores[N_QUERIES][K], add_scores[N_QUERIES][K], mul_scores[N_QUERIES][K];
};

struct worker {
    const struct emb_query *q;
    const struct expected *want;
    int offset;     /* where this thread starts in the query list */
    int mismatches; /* answers that differ from want */
};

static int same(const int64_t *ids, const float *scores, const int64_t *want_ids, const float *want_scores, int n) {
    if (n != K) return 0;
    for (int i = 0; i < K; i++)
        if (ids[i] != want_ids[i] || scores[i] != want_scores[i]) return 0;
    return 1;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    int64_t ids[K];
    float scores[K];
    for (int rep = 0; rep < 3; rep++)
        for (int t = 0; t < N_QUERIES; t++) {
            int i = (t + w->offset) % N_QUERIES;
            int32_t self = 37 * i;
            int n = emb_query_neighbors_r(w->q, emb_query_row(w->q, self), K, &self, 1, ids, scores, NULL);
            w->mismatches += !same(ids, scores, w->want->nb_ids[i], w->want->nb_scores[i], n);
            n = emb_query_analogy_r(w->q, i, i + 1, i + 2, EMB_ANALOGY_ADD, K, ids, scores, NULL);
            w->mismatches += !same(ids, scores, w->want->add_ids[i], w->want->add_scores[i], n);
            n = emb_query_analogy_r(w->q, i, i + 1, i + 2, EMB_ANALOGY_MUL, K, ids, scores, NULL);
            w->mismatches += !same(ids, scores, w->want->mul_ids[i], w->want->mul_scores[i], n);
        }
    return NULL;
}

static int test_reentrant_matches_pooled(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = random_vecs(N_ROWS, DIM, 11);
    CHECK(v);
    struct emb_query *q = NULL;
    CHECK_OK(emb_query_new(&q, v, 2, &err));
    static struct expected want;
    for (int i = 0; i < N_QUERIES; i++) {
        int32_t self = 37 * i;
        CHECK(emb_query_neighbors(q, emb_query_row(q, self), K, &self, 1, want.nb_ids[i], want.nb_scores[i], &err) == K);
        CHECK(emb_query_analogy(q, i, i + 1, i + 2, EMB_ANALOGY_ADD, K, want.add_ids[i], want.add_scores[i], &err) == K);
        CHECK(emb_query_analogy(q, i, i + 1, i + 2, EMB_ANALOGY_MUL, K, want.mul_ids[i], want.mul_scores[i], &err) == K);
        for (int j = 0; j < K; j++) CHECK(want.nb_ids[i][j] != self);
    }
    /* Many threads at once on the same q, each starting elsewhere in the
     * list so different queries overlap. */
    pthread_t th[N_THREADS];
    struct worker w[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        w[t] = (struct worker){q, &want, t * 7, 0};
        CHECK(pthread_create(&th[t], NULL, worker_main, &w[t]) == 0);
    }
    int bad = 0;
    for (int t = 0; t < N_THREADS; t++) {
        pthread_join(th[t], NULL);
        bad += w[t].mismatches;
    }
    CHECK(bad == 0);
    /* Errors are reported as from the pooled calls. */
    int64_t ids[K];
    float scores[K], nan_vec[DIM];
    memcpy(nan_vec, emb_query_row(q, 0), sizeof nan_vec);
    nan_vec[3] = NAN;
    CHECK(emb_query_neighbors_r(q, nan_vec, K, NULL, 0, ids, scores, &err) == EMB_ENUMERIC);
    CHECK(emb_query_analogy_r(q, 0, 1, N_ROWS, EMB_ANALOGY_ADD, K, ids, scores, &err) == EMB_EINVAL);
    CHECK(emb_query_neighbors_r(q, nan_vec, K, NULL, -1, ids, scores, &err) == EMB_EINVAL);
    emb_query_free(q);
    free_vecs(v);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_reentrant_matches_pooled);
    return failed ? 1 : 0;
}
