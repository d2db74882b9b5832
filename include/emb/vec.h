/* vec.h -- float32 vector kernels with a scalar reference and an AVX2/FMA path.
 *
 * Every kernel exists as a plain C reference (emb_vec_*_ref) and, where the
 * CPU allows, AVX2+FMA and AVX-512F versions. The choice is made once and kept in a
 * struct emb_vec_ops that the caller stores in its own object:
 *
 *     struct emb_vec_ops ops = emb_vec_ops_get(EMB_SIMD_AUTO);
 *     float d = ops.dot(n, x, y);
 *
 * Shapes are in comments: x: (n) is a vector of n floats. Pointers marked
 * restrict must not overlap. Kernels accept any n; callers that keep rows
 * padded to a multiple of 16 floats (emb_table) never hit the scalar tail.
 *
 * Below the kernels: top-k selection (emb_topk) and the one exact top-k
 * search over a block of rows (emb_topk_scan, src/core/topk.c). */
#ifndef EMB_VEC_H
#define EMB_VEC_H

#include <stdint.h>

#include "emb/simd.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_vec_ops {
    enum emb_simd kind; /* what was actually chosen */
    /* returns sum_i x[i]*y[i]. x, y: (n) */
    float (*dot)(int64_t n, const float *x, const float *y);
    /* y[i] += a*x[i]. x, y: (n) */
    void (*axpy)(int64_t n, float a, const float *x, float *y);
    /* x[i] *= a. x: (n) */
    void (*scale)(int64_t n, float a, float *x);
    /* out[j] = x . ys[j] for j < m. x: (n), ys: m pointers to (n), out: (m) */
    void (*dot_many)(int64_t n, const float *x, int m, const float *const *ys, float *out);
    /* y += sum_j a[j]*xs[j]. xs: m pointers to (n), a: (m), y: (n);
     * y must not be one of xs. */
    void (*axpy_many)(int64_t n, int m, const float *a, const float *const *xs, float *y);
};

/* The kernels for `want`: AUTO takes AVX-512F, else AVX2+FMA, else REF;
 * a named level falls back to the next one the CPU supports. */
struct emb_vec_ops emb_vec_ops_get(enum emb_simd want);


/* Scalar references (always available, used by tests). */
float emb_vec_dot_ref(int64_t n, const float *x, const float *y);
void emb_vec_axpy_ref(int64_t n, float a, const float *x, float *y);
void emb_vec_scale_ref(int64_t n, float a, float *x);
void emb_vec_dot_many_ref(int64_t n, const float *x, int m, const float *const *ys, float *out);
void emb_vec_axpy_many_ref(int64_t n, int m, const float *a, const float *const *xs, float *y);

/* Scale x to unit L2 norm; returns the original norm (x untouched if it is
 * zero or has a non-finite component; then 0, inf or NaN is returned).
 * Safe over the whole float range: when the float sum of squares would
 * overflow (components past ~1.8e19) or lose precision in the subnormal
 * range, the norm is taken in double after scaling by the largest |x_i|;
 * the returned norm is then inf if it exceeds FLT_MAX. */
float emb_vec_normalize(const struct emb_vec_ops *ops, int64_t n, float *x);

/* Top-k selection: keep the k largest scores seen. Items are pushed one at
 * a time; emb_topk_sorted() returns them best first. Ties keep the lower
 * id first, so results are deterministic. */
struct emb_topk {
    int k, n;       /* capacity, current count */
    int64_t *ids;   /* (k) min-heap on score */
    float *scores;  /* (k) */
};
/* ids and scores are caller-provided arrays of k elements. */
void emb_topk_init(struct emb_topk *t, int k, int64_t *ids, float *scores);
/* Offer (id, score); cheap rejection when the heap is full and score is lower. */
void emb_topk_push(struct emb_topk *t, int64_t id, float score);
/* Sort in place, best first; returns the count. The heap is consumed. */
int emb_topk_sorted(struct emb_topk *t);

/* ---- exact top-k search: the one kernel behind every exact scan ------------
 * (the word query, the flat index, t-SNE's neighbours). Score a block of
 * queries against a block of rows and keep each query's best k in its heap:
 *
 *     struct emb_topk_rows rows = {.data = x, .n_rows = n, .dim = dim, .stride = stride};
 *     struct emb_topk tk;
 *     emb_topk_init(&tk, k, ids, scores);
 *     emb_topk_scan(&ops, &rows, 0, n, &q, 1, NULL, 0, &tk);
 *     int got = emb_topk_sorted(&tk);
 *
 * Ties keep the lower id (as emb_topk_push); exclusions are checked only for
 * scores that would enter a heap, so they cost nothing on the common path. */
struct emb_topk_rows {
    const float *data;     /* (n_rows, stride) row i at data + i * stride */
    int64_t n_rows;
    int32_t dim;           /* floats that matter; each row is zero from dim to stride */
    int32_t stride;        /* floats per row; queries are (stride) too, zero padded */
    const float *sqnorms;  /* (n_rows) or NULL; set: score = 2 q.x - sqnorms[i]
                            * (ranks like -|q - x|^2), else score = q.x */
    const uint8_t *skip;   /* (n_rows) or NULL: rows with skip[i] != 0 are never kept */
    const int32_t *skip_ids; /* (n_skip_ids) rows never kept for any query */
    int n_skip_ids;
};

/* Flags of emb_topk_scan. ROWWISE scores every query of a batch with
 * ops->dot_many, as a single query is scored, so a batch returns the same
 * bits as one query at a time (t-SNE keeps its maps byte-identical that
 * way); without it a batch may use a blocked kernel that sums in another
 * order (scores may differ in the last bits). */
#define EMB_TOPK_ROWWISE 1u

/* Offer the rows [lo, hi) of `rows` to the queries qs[0..n_q) (each
 * (stride), prepared as the rows are: normalised for cosine, say), into the
 * heaps tks[0..n_q) (left unsorted). self: (n_q) or NULL; query c never
 * keeps row self[c] (the query is itself a row, as in a k-NN graph). */
void emb_topk_scan(const struct emb_vec_ops *ops, const struct emb_topk_rows *rows, int64_t lo, int64_t hi,
                   const float *const *qs, int n_q, const int64_t *self, unsigned flags, struct emb_topk *tks);

/* Offer scores[0..m) of rows id0 .. id0 + m - 1 to one heap, with the
 * exclusions of `rows` (may be NULL: none) and self (< 0: none): for a
 * caller whose score is not a dot product (3CosMul). */
void emb_topk_offer(struct emb_topk *t, const struct emb_topk_rows *rows, int64_t self, int64_t id0,
                    const float *scores, int m);

#ifdef __cplusplus
}
#endif
#endif
