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
 * padded to a multiple of 16 floats (emb_table) never hit the scalar tail. */
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

#ifdef __cplusplus
}
#endif
#endif
