/* flat.c -- exact search: one pass over every stored row.
 *
 * DESIGN: rows are scored SCAN_BLOCK at a time with the vec.h dot_many
 * kernel (four rows per pass over the query), and a top-k min-heap
 * (emb_topk) keeps the best. Deleted rows are checked only for scores that
 * would enter the heap, so deletion costs nothing on the common path. One
 * query runs on the calling thread; emb_index_search_batch spreads
 * blocks of up to 128 queries over a pool, and emb__flat_search_many
 * scores each block of rows against all of them while the rows are in
 * cache, with a GEMM-style AVX-512 kernel (many_avx512) where the CPU has
 * it and dot_many otherwise. This is the reference the HNSW recall is
 * measured against. */
#include <math.h>
#include <string.h>

#include "index_impl.h"

/* Rows per dot_many call: amortises the call, and the pointer and score
 * arrays stay on the stack. */
#define SCAN_BLOCK 64

/* Would (id, score) enter the heap? Same order as emb_topk_push. */
static int topk_wants(const struct emb_topk *t, int64_t id, float score) {
    if (t->n < t->k) return 1;
    return score > t->scores[0] || (score == t->scores[0] && id < t->ids[0]);
}

/* Score rows [lo, hi) against one prepared query into tk. */
static void scan_rows(const struct emb_index *ix, const float *q, int64_t lo, int64_t hi, struct emb_topk *tk) {
    const float *ys[SCAN_BLOCK];
    float out[SCAN_BLOCK];
    int l2 = ix->metric == EMB_METRIC_L2;
    for (int64_t b = lo; b < hi; b += SCAN_BLOCK) {
        int m = hi - b < SCAN_BLOCK ? (int)(hi - b) : SCAN_BLOCK;
        for (int i = 0; i < m; i++) ys[i] = ix->vecs + (b + i) * (int64_t)ix->stride;
        ix->ops.dot_many(ix->stride, q, m, ys, out);
        if (l2)
            for (int i = 0; i < m; i++) out[i] = 2.0f * out[i] - ix->sqnorms[b + i];
        for (int i = 0; i < m; i++)
            if (topk_wants(tk, b + i, out[i]) && !ix->deleted[b + i]) emb_topk_push(tk, b + i, out[i]);
    }
}

int emb__flat_search(const struct emb_index *ix, const float *q, float qsq, int k, int64_t *ids, float *scores) {
    struct emb_topk tk;
    emb_topk_init(&tk, k, ids, scores);
    scan_rows(ix, q, 0, ix->n, &tk);
    int n = emb_topk_sorted(&tk);
    for (int i = 0; i < n; i++) scores[i] = ix_report(ix, scores[i], qsq);
    return n;
}

/* ---- batches ---------------------------------------------------------------- */

/* Row blocks that stay in L2 while every query of a batch scores them. */
#define ROW_BLOCK 384

/* Portable path: each query against a block of rows with dot_many. */
static void many_ref(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks) {
    for (int64_t lo = 0; lo < ix->n; lo += ROW_BLOCK) {
        int64_t hi = lo + ROW_BLOCK < ix->n ? lo + ROW_BLOCK : ix->n;
        for (int c = 0; c < n_q; c++) scan_rows(ix, qs[c], lo, hi, &tks[c]);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

/* Queries per register: one AVX-512 lane per query. */
#define QLANES 16
/* Rows per kernel step: 12 rows x 2 registers of queries = 24 accumulators. */
#define TILE_ROWS 12

/* Offer the lanes of s (scores of queries c0.. for row id) that pass the
 * bars; update the bars of the heaps that changed. */
AVX512 static void offer(const struct emb_index *ix, __m512 s, __m512 *bars, int64_t id, int c0, int n_q,
                         struct emb_topk *tks) {
    __mmask16 m = _mm512_cmp_ps_mask(s, *bars, _CMP_GE_OQ);
    if (!m || ix->deleted[id]) return;
    float sc[QLANES], bar[QLANES];
    _mm512_storeu_ps(sc, s);
    _mm512_storeu_ps(bar, *bars);
    for (; m; m &= (__mmask16)(m - 1)) {
        int l = __builtin_ctz(m);
        if (c0 + l >= n_q) break;
        struct emb_topk *tk = &tks[c0 + l];
        if (topk_wants(tk, id, sc[l])) {
            emb_topk_push(tk, id, sc[l]);
            bar[l] = tk->n < tk->k ? -INFINITY : tk->scores[0];
        }
    }
    *bars = _mm512_loadu_ps(bar);
}

/* The batch kernel, GEMM style: queries are transposed so that one
 * register holds dimension j of 16 queries; each row's x[j] is broadcast
 * and multiplied into both registers. Scores then come out 16 queries at a
 * time with no horizontal sums, and one compare against the heaps' bars
 * tells whether any of them matters (rarely, once the heaps fill).
 * qt: (dim, 2 * QLANES) scratch. Handles queries c0 .. c0 + 31. */
AVX512 static void block_avx512(const struct emb_index *ix, const float *qt, int n_q, int c0,
                                int64_t lo, int64_t hi, struct emb_topk *tks) {
    int32_t dim = ix->dim;
    int l2 = ix->metric == EMB_METRIC_L2;
    __m512 bars[2];
    for (int h = 0; h < 2; h++) {
        float bar[QLANES];
        for (int l = 0; l < QLANES; l++) {
            int c = c0 + h * QLANES + l;
            bar[l] = c >= n_q ? INFINITY : tks[c].n < tks[c].k ? -INFINITY : tks[c].scores[0];
        }
        bars[h] = _mm512_loadu_ps(bar);
    }
    for (int64_t b = lo; b < hi; b += TILE_ROWS) {
        int nr = hi - b < TILE_ROWS ? (int)(hi - b) : TILE_ROWS;
        const float *r[TILE_ROWS];
        for (int i = 0; i < TILE_ROWS; i++) r[i] = ix->vecs + (b + (i < nr ? i : nr - 1)) * (int64_t)ix->stride;
        __m512 a[TILE_ROWS][2];
        for (int i = 0; i < TILE_ROWS; i++) a[i][0] = a[i][1] = _mm512_setzero_ps();
        for (int32_t j = 0; j < dim; j++) {
            __m512 q0 = _mm512_load_ps(qt + (size_t)j * 2 * QLANES), q1 = _mm512_load_ps(qt + (size_t)j * 2 * QLANES + QLANES);
#pragma GCC unroll 12
            for (int i = 0; i < TILE_ROWS; i++) {
                __m512 x = _mm512_set1_ps(r[i][j]);
                a[i][0] = _mm512_fmadd_ps(q0, x, a[i][0]);
                a[i][1] = _mm512_fmadd_ps(q1, x, a[i][1]);
            }
        }
        for (int i = 0; i < nr; i++)
            for (int h = 0; h < 2; h++) {
                __m512 s = a[i][h];
                if (l2) s = _mm512_sub_ps(_mm512_add_ps(s, s), _mm512_set1_ps(ix->sqnorms[b + i]));
                offer(ix, s, &bars[h], b + i, c0 + h * QLANES, n_q, tks);
            }
    }
}

static void many_avx512(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks) {
    int32_t dim = ix->dim;
    int n_groups = (n_q + 2 * QLANES - 1) / (2 * QLANES);
    /* Transposed queries, one (dim, 32) panel per group of 32. */
    float *qt = emb_alloc_aligned((size_t)n_groups * (size_t)dim * 2 * QLANES * sizeof(float));
    if (!qt) { /* no scratch: the slower path needs none */
        many_ref(ix, qs, n_q, tks);
        return;
    }
    for (int g = 0; g < n_groups; g++) {
        float *p = qt + (size_t)g * (size_t)dim * 2 * QLANES;
        for (int l = 0; l < 2 * QLANES; l++) {
            int c = g * 2 * QLANES + l;
            for (int32_t j = 0; j < dim; j++) p[(size_t)j * 2 * QLANES + l] = c < n_q ? qs[c][j] : 0.0f;
        }
    }
    for (int64_t lo = 0; lo < ix->n; lo += ROW_BLOCK) {
        int64_t hi = lo + ROW_BLOCK < ix->n ? lo + ROW_BLOCK : ix->n;
        for (int g = 0; g < n_groups; g++)
            block_avx512(ix, qt + (size_t)g * (size_t)dim * 2 * QLANES, n_q, g * 2 * QLANES, lo, hi, tks);
    }
    emb_free_aligned(qt);
}
#endif

/* Several prepared queries at once: qs[j] (stride) for j < n_q, heaps
 * tks[j]. Rows are taken in blocks that stay in cache while every query
 * scores them, so a batch reads the table from memory once per n_q
 * queries instead of once per query. */
void emb__flat_search_many(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (ix->ops.kind == EMB_SIMD_AVX512) {
        many_avx512(ix, qs, n_q, tks);
        return;
    }
#endif
    many_ref(ix, qs, n_q, tks);
}
