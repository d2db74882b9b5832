/* topk_test.c -- the exact top-k search kernel (emb_topk_scan, topk.c)
 * against a brute-force reference, on every SIMD path the CPU has.
 *
 * Rows and queries hold small integers, so every dot product is exact in
 * float whatever order a kernel sums in: ids and scores must then match the
 * reference exactly, ties included (many: lower id first). Covered: one
 * query and batches (5 and 70 queries: dot_many per query, the blocked
 * AVX-512 kernel, and ROWWISE), L2-style scores (2 q.x - |x|^2), skipped rows, an id list,
 * each query's own row, and a sub-range of rows. On random floats a
 * ROWWISE batch must give the bits of one query at a time. */
#include <stdlib.h>
#include <string.h>

#include "emb/rng.h"
#include "emb/vec.h"
#include "test.h"

#define N_ROWS 1000
#define DIM 37
#define STRIDE 48
#define MAX_Q 70
#define K 25

static float rows_buf[N_ROWS * STRIDE], sq[N_ROWS], qbuf[MAX_Q * STRIDE];
static uint8_t skip[N_ROWS];

/* Best k of rows [lo, hi) for query q by a plain double loop. */
static int reference(const struct emb_topk_rows *r, int64_t lo, int64_t hi, const float *q, int64_t self, int k,
                     int64_t *ids, float *scores) {
    int got = 0;
    for (int64_t i = lo; i < hi; i++) {
        if (i == self || (r->skip && r->skip[i])) continue;
        int out = 0;
        for (int t = 0; t < r->n_skip_ids; t++) out |= r->skip_ids[t] == i;
        if (out) continue;
        double d = 0;
        for (int j = 0; j < r->dim; j++) d += (double)q[j] * r->data[i * r->stride + j];
        float s = r->sqnorms ? (float)(2 * d - r->sqnorms[i]) : (float)d;
        /* insert into the sorted list, best first, lower id first on ties */
        int at = got < k ? got : k;
        while (at > 0 && (scores[at - 1] < s)) at--;
        if (at >= k) continue;
        int end = got < k ? got : k - 1;
        memmove(ids + at + 1, ids + at, (size_t)(end - at) * sizeof *ids);
        memmove(scores + at + 1, scores + at, (size_t)(end - at) * sizeof *scores);
        ids[at] = i;
        scores[at] = s;
        if (got < k) got++;
    }
    return got;
}

static int check(const struct emb_vec_ops *ops, const struct emb_topk_rows *r, int64_t lo, int64_t hi, int n_q,
                 int use_self, unsigned flags) {
    static int64_t ids[MAX_Q][K], rid[K], self[MAX_Q];
    static float sc[MAX_Q][K], rsc[K];
    struct emb_topk tks[MAX_Q];
    const float *qs[MAX_Q] = {0};
    for (int c = 0; c < n_q; c++) {
        emb_topk_init(&tks[c], K, ids[c], sc[c]);
        qs[c] = qbuf + c * STRIDE;
        self[c] = lo + 3 * c; /* inside the range */
    }
    emb_topk_scan(ops, r, lo, hi, qs, n_q, use_self ? self : NULL, flags, tks);
    for (int c = 0; c < n_q; c++) {
        int got = emb_topk_sorted(&tks[c]);
        int want = reference(r, lo, hi, qs[c], use_self ? self[c] : -1, K, rid, rsc);
        if (got != want) {
            fprintf(stderr, "%s: query %d of %d: %d results, want %d\n", emb_simd_name(ops->kind), c, n_q, got, want);
            return 1;
        }
        for (int i = 0; i < got; i++)
            if (ids[c][i] != rid[i] || sc[c][i] != rsc[i]) {
                fprintf(stderr, "%s: query %d of %d (flags %u, self %d, l2 %d), rank %d: id %lld score %g, want %lld %g\n",
                        emb_simd_name(ops->kind), c, n_q, flags, use_self, r->sqnorms != NULL, i, (long long)ids[c][i],
                        sc[c][i], (long long)rid[i], rsc[i]);
                return 1;
            }
    }
    return 0;
}

static int test_exact(const struct emb_vec_ops *ops) {
    struct emb_rng g;
    emb_rng_seed(&g, 5, 0);
    memset(rows_buf, 0, sizeof rows_buf);
    memset(qbuf, 0, sizeof qbuf);
    for (int i = 0; i < N_ROWS; i++) {
        double s = 0;
        for (int j = 0; j < DIM; j++) {
            float v = (float)((int)emb_rng_below(&g, 7) - 3);
            rows_buf[i * STRIDE + j] = v;
            s += v * v;
        }
        sq[i] = (float)s;
        skip[i] = emb_rng_below(&g, 10) == 0;
    }
    for (int c = 0; c < MAX_Q; c++)
        for (int j = 0; j < DIM; j++) qbuf[c * STRIDE + j] = (float)((int)emb_rng_below(&g, 5) - 2);
    static const int32_t some[4] = {7, 100, 999, 3};
    const int n_qs[3] = {1, 5, MAX_Q};
    for (int l2 = 0; l2 < 2; l2++)
        for (int ex = 0; ex < 3; ex++)
            for (int qi = 0; qi < 3; qi++)
                for (unsigned flags = 0; flags < 2; flags++) {
                    struct emb_topk_rows r = {.data = rows_buf, .n_rows = N_ROWS, .dim = DIM, .stride = STRIDE,
                                              .sqnorms = l2 ? sq : NULL, .skip = ex == 1 ? skip : NULL,
                                              .skip_ids = ex == 2 ? some : NULL, .n_skip_ids = ex == 2 ? 4 : 0};
                    if (check(ops, &r, 0, N_ROWS, n_qs[qi], ex == 1, flags)) return 1;
                    if (check(ops, &r, 97, 611, n_qs[qi], ex == 2, flags)) return 1;
                }
    return 0;
}

/* Random floats: a ROWWISE batch gives bit for bit what one query at a time
 * gives (t-SNE relies on it). */
static int test_rowwise_bits(const struct emb_vec_ops *ops) {
    struct emb_rng g;
    emb_rng_seed(&g, 9, 0);
    for (int i = 0; i < N_ROWS; i++)
        for (int j = 0; j < DIM; j++) rows_buf[i * STRIDE + j] = (float)emb_rng_normal(&g);
    for (int c = 0; c < MAX_Q; c++)
        for (int j = 0; j < DIM; j++) qbuf[c * STRIDE + j] = (float)emb_rng_normal(&g);
    struct emb_topk_rows r = {.data = rows_buf, .n_rows = N_ROWS, .dim = DIM, .stride = STRIDE};
    static int64_t ids[MAX_Q][K], one_id[K];
    static float sc[MAX_Q][K], one_sc[K];
    struct emb_topk tks[MAX_Q], one;
    const float *qs[MAX_Q];
    for (int c = 0; c < MAX_Q; c++) {
        emb_topk_init(&tks[c], K, ids[c], sc[c]);
        qs[c] = qbuf + c * STRIDE;
    }
    emb_topk_scan(ops, &r, 0, N_ROWS, qs, MAX_Q, NULL, EMB_TOPK_ROWWISE, tks);
    for (int c = 0; c < MAX_Q; c++) {
        emb_topk_init(&one, K, one_id, one_sc);
        emb_topk_scan(ops, &r, 0, N_ROWS, &qs[c], 1, NULL, 0, &one);
        int got = emb_topk_sorted(&tks[c]);
        CHECK(emb_topk_sorted(&one) == got && got == K);
        CHECK(memcmp(ids[c], one_id, sizeof one_id) == 0);
        CHECK(memcmp(sc[c], one_sc, sizeof one_sc) == 0);
    }
    return 0;
}

int main(void) {
    const enum emb_simd kinds[] = {EMB_SIMD_REF, EMB_SIMD_AVX2, EMB_SIMD_AVX512};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct emb_vec_ops ops = emb_vec_ops_get(kinds[i]);
        if (ops.kind != kinds[i]) {
            printf("topk_test: note: no %s on this CPU\n", emb_simd_name(kinds[i]));
            continue;
        }
        if (test_exact(&ops) || test_rowwise_bits(&ops)) {
            fprintf(stderr, "FAIL (kernels: %s)\n", emb_simd_name(ops.kind));
            return 1;
        }
    }
    printf("topk_test: ok\n");
    return 0;
}
