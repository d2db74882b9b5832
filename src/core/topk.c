/* topk.c -- top-k selection (a bounded heap) and the exact top-k search
 * kernel (vec.h): score a block of queries against a block of rows and keep
 * each query's best k.
 *
 * DESIGN: one query scans the rows SCAN_BLOCK at a time with dot_many (four
 * rows per pass over the query). A batch takes the rows a block at a time,
 * a block that stays in L2 while every query of the batch scores it, so the
 * table is read from memory once per batch instead of once per query. With
 * AVX-512 (and no EMB_TOPK_ROWWISE) a batch is scored by a GEMM-style
 * kernel: queries transposed so one register holds one dimension of 16
 * queries, no horizontal sums, one compare against the heaps' bars per row.
 * Without AVX-512 (and with ROWWISE) a batch uses dot_many per query, a
 * row block at a time (why not cblas_sgemm: emb_topk_scan). A heap is
 * touched only when a score beats its bar, and only then are the
 * exclusions looked at. This lives in src/core beside the dot kernels
 * it is built on, so the index, the word query and t-SNE share it without
 * depending on each other. */
#include <math.h>
#include <string.h>

#include "emb/err.h"
#include "emb/vec.h"

/* ---- top-k: a min-heap of size k on (score, -id) ---------------------- */

/* a is "worse" than b: lower score, or equal score and higher id. */
static int worse(float sa, int64_t ia, float sb, int64_t ib) {
    return sa < sb || (sa == sb && ia > ib);
}

void emb_topk_init(struct emb_topk *t, int k, int64_t *ids, float *scores) {
    t->k = k;
    t->n = 0;
    t->ids = ids;
    t->scores = scores;
}

static void sift_down(struct emb_topk *t, int i, int n) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(t->scores[l], t->ids[l], t->scores[m], t->ids[m])) m = l;
        if (r < n && worse(t->scores[r], t->ids[r], t->scores[m], t->ids[m])) m = r;
        if (m == i) return;
        float s = t->scores[i]; t->scores[i] = t->scores[m]; t->scores[m] = s;
        int64_t d = t->ids[i]; t->ids[i] = t->ids[m]; t->ids[m] = d;
        i = m;
    }
}

void emb_topk_push(struct emb_topk *t, int64_t id, float score) {
    if (t->k <= 0 || score != score) return; /* NaN never enters */
    if (t->n < t->k) {
        int i = t->n++;
        t->scores[i] = score;
        t->ids[i] = id;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!worse(t->scores[i], t->ids[i], t->scores[p], t->ids[p])) break;
            float s = t->scores[i]; t->scores[i] = t->scores[p]; t->scores[p] = s;
            int64_t d = t->ids[i]; t->ids[i] = t->ids[p]; t->ids[p] = d;
            i = p;
        }
        return;
    }
    if (!worse(t->scores[0], t->ids[0], score, id)) return;
    t->scores[0] = score;
    t->ids[0] = id;
    sift_down(t, 0, t->n);
}

int emb_topk_sorted(struct emb_topk *t) {
    /* Heap sort: repeatedly move the worst to the end -> best first. */
    int n = t->n;
    for (int end = n - 1; end > 0; end--) {
        float s = t->scores[0]; t->scores[0] = t->scores[end]; t->scores[end] = s;
        int64_t d = t->ids[0]; t->ids[0] = t->ids[end]; t->ids[end] = d;
        sift_down(t, 0, end);
    }
    t->n = 0;
    return n;
}

/* ---- the search kernel ------------------------------------------------------- */

/* Rows per dot_many call: amortises the call, and the pointer and score
 * arrays stay on the stack. */
#define SCAN_BLOCK 64
/* Row blocks that stay in L2 while every query of a batch scores them
 * (a multiple of SCAN_BLOCK, so a batch scores each row exactly as a
 * single query does: same groups of four in dot_many). */
#define ROW_BLOCK 384

/* Would (id, score) enter the heap? Same order as emb_topk_push. */
static inline int topk_wants(const struct emb_topk *t, int64_t id, float score) {
    if (t->n < t->k) return 1;
    return score > t->scores[0] || (score == t->scores[0] && id < t->ids[0]);
}

static int excluded(const struct emb_topk_rows *r, int64_t self, int64_t id) {
    if (id == self) return 1;
    if (!r) return 0;
    if (r->skip && r->skip[id]) return 1;
    for (int i = 0; i < r->n_skip_ids; i++)
        if (r->skip_ids[i] == id) return 1;
    return 0;
}

void emb_topk_offer(struct emb_topk *t, const struct emb_topk_rows *rows, int64_t self, int64_t id0,
                    const float *scores, int m) {
    for (int i = 0; i < m; i++)
        if (topk_wants(t, id0 + i, scores[i]) && !excluded(rows, self, id0 + i)) emb_topk_push(t, id0 + i, scores[i]);
}

/* One query q against rows [lo, hi). */
static void scan_one(const struct emb_vec_ops *ops, const struct emb_topk_rows *r, int64_t lo, int64_t hi,
                     const float *q, int64_t self, struct emb_topk *tk) {
    const float *ys[SCAN_BLOCK];
    float out[SCAN_BLOCK];
    for (int64_t b = lo; b < hi; b += SCAN_BLOCK) {
        int m = hi - b < SCAN_BLOCK ? (int)(hi - b) : SCAN_BLOCK;
        for (int i = 0; i < m; i++) ys[i] = r->data + (b + i) * (int64_t)r->stride;
        ops->dot_many(r->stride, q, m, ys, out);
        if (r->sqnorms)
            for (int i = 0; i < m; i++) out[i] = 2.0f * out[i] - r->sqnorms[b + i];
        emb_topk_offer(tk, r, self, b, out, m);
    }
}

/* A batch, row block by row block, each query with dot_many. */
static void scan_rowwise(const struct emb_vec_ops *ops, const struct emb_topk_rows *r, int64_t lo, int64_t hi,
                         const float *const *qs, int n_q, const int64_t *self, struct emb_topk *tks) {
    for (int64_t b = lo; b < hi; b += ROW_BLOCK) {
        int64_t e = b + ROW_BLOCK < hi ? b + ROW_BLOCK : hi;
        for (int c = 0; c < n_q; c++) scan_one(ops, r, b, e, qs[c], self ? self[c] : -1, &tks[c]);
    }
}

#if EMB_X86
#include <immintrin.h>
#define AVX512 EMB_TARGET_AVX512

/* Queries per register: one AVX-512 lane per query. */
#define QLANES 16
/* Rows per kernel step: 12 rows x 2 registers of queries = 24 accumulators. */
#define TILE_ROWS 12

/* Offer the lanes of s (scores of queries c0.. for row id) that pass the
 * bars; update the bars of the heaps that changed. */
AVX512 static void offer_lanes(const struct emb_topk_rows *r, const int64_t *self, __m512 s, __m512 *bars, int64_t id,
                               int c0, int n_q, struct emb_topk *tks) {
    __mmask16 m = _mm512_cmp_ps_mask(s, *bars, _CMP_GE_OQ);
    if (!m) return;
    float sc[QLANES], bar[QLANES];
    _mm512_storeu_ps(sc, s);
    _mm512_storeu_ps(bar, *bars);
    for (; m; m &= (__mmask16)(m - 1)) {
        int l = __builtin_ctz(m), c = c0 + l;
        if (c >= n_q) break;
        struct emb_topk *tk = &tks[c];
        if (topk_wants(tk, id, sc[l]) && !excluded(r, self ? self[c] : -1, id)) {
            emb_topk_push(tk, id, sc[l]);
            bar[l] = tk->n < tk->k ? -INFINITY : tk->scores[0];
        }
    }
    *bars = _mm512_loadu_ps(bar);
}

/* Queries c0 .. c0 + 31 (transposed in qt: (dim, 2 * QLANES)) against rows
 * [lo, hi): each row's x[j] is broadcast and multiplied into both
 * registers, so scores come out 16 queries at a time. */
AVX512 static void block_avx512(const struct emb_topk_rows *r, const float *qt, int n_q, int c0, int64_t lo,
                                int64_t hi, const int64_t *self, struct emb_topk *tks) {
    int32_t dim = r->dim;
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
        const float *x[TILE_ROWS];
        for (int i = 0; i < TILE_ROWS; i++) x[i] = r->data + (b + (i < nr ? i : nr - 1)) * (int64_t)r->stride;
        __m512 a[TILE_ROWS][2];
        for (int i = 0; i < TILE_ROWS; i++) a[i][0] = a[i][1] = _mm512_setzero_ps();
        for (int32_t j = 0; j < dim; j++) {
            __m512 q0 = _mm512_load_ps(qt + (size_t)j * 2 * QLANES), q1 = _mm512_load_ps(qt + (size_t)j * 2 * QLANES + QLANES);
#pragma GCC unroll 12
            for (int i = 0; i < TILE_ROWS; i++) {
                __m512 v = _mm512_set1_ps(x[i][j]);
                a[i][0] = _mm512_fmadd_ps(q0, v, a[i][0]);
                a[i][1] = _mm512_fmadd_ps(q1, v, a[i][1]);
            }
        }
        for (int i = 0; i < nr; i++)
            for (int h = 0; h < 2; h++) {
                __m512 s = a[i][h];
                if (r->sqnorms) s = _mm512_sub_ps(_mm512_add_ps(s, s), _mm512_set1_ps(r->sqnorms[b + i]));
                offer_lanes(r, self, s, &bars[h], b + i, c0 + h * QLANES, n_q, tks);
            }
    }
}

/* The batch through block_avx512; 0 if its scratch could not be had. */
static int scan_avx512(const struct emb_topk_rows *r, int64_t lo, int64_t hi, const float *const *qs, int n_q,
                       const int64_t *self, struct emb_topk *tks) {
    int32_t dim = r->dim;
    int n_groups = (n_q + 2 * QLANES - 1) / (2 * QLANES);
    /* Transposed queries, one (dim, 32) panel per group of 32. */
    float *qt = emb_alloc_aligned((size_t)n_groups * (size_t)dim * 2 * QLANES * sizeof(float));
    if (!qt) return 0;
    for (int g = 0; g < n_groups; g++) {
        float *p = qt + (size_t)g * (size_t)dim * 2 * QLANES;
        for (int l = 0; l < 2 * QLANES; l++) {
            int c = g * 2 * QLANES + l;
            for (int32_t j = 0; j < dim; j++) p[(size_t)j * 2 * QLANES + l] = c < n_q ? qs[c][j] : 0.0f;
        }
    }
    for (int64_t b = lo; b < hi; b += ROW_BLOCK) {
        int64_t e = b + ROW_BLOCK < hi ? b + ROW_BLOCK : hi;
        for (int g = 0; g < n_groups; g++)
            block_avx512(r, qt + (size_t)g * (size_t)dim * 2 * QLANES, n_q, g * 2 * QLANES, b, e, self, tks);
    }
    emb_free_aligned(qt);
    return 1;
}
#endif

/* Which batch kernel runs follows docs/benchmarks.md, "Own kernels against
 * OpenBLAS" (bench/kernels.c): one query is fastest with dot_many (sgemv
 * is no faster at 100k x 100 and slower at x 300); with AVX-512 our
 * blocked kernel beats cblas_sgemm 1.4-2.3x for 16 to 256 queries. Without
 * AVX-512, sgemm would beat dot_many from 64 queries on (1.6-2.2x at 256,
 * 0-7% at 64), but calling it from src/core makes every emb command link
 * libopenblas, and a binary that links it trains word2vec 15-18% slower
 * on these machines although no BLAS call runs (same table): batches stay
 * on dot_many, and CBLAS stays in src/nn. */
void emb_topk_scan(const struct emb_vec_ops *ops, const struct emb_topk_rows *rows, int64_t lo, int64_t hi,
                   const float *const *qs, int n_q, const int64_t *self, unsigned flags, struct emb_topk *tks) {
    if (n_q == 1) {
        scan_one(ops, rows, lo, hi, qs[0], self ? self[0] : -1, tks);
        return;
    }
    if (!(flags & EMB_TOPK_ROWWISE)) {
#if EMB_X86
        if (ops->kind == EMB_SIMD_AVX512 && scan_avx512(rows, lo, hi, qs, n_q, self, tks)) return;
#endif
    }
    scan_rowwise(ops, rows, lo, hi, qs, n_q, self, tks);
}
