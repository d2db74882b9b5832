/* kge_rotate.c -- RotatE (Sun et al. 2019): entities are complex vectors,
 * a relation is dim phases theta (a rotation r = cos + i sin, |r_k| = 1);
 * q = h * r (tail side) or t * conj(r) (head side), and
 * F(q, e) = gamma - sum_k |q_k - e_k|. The complex-modulus distance has SIMD
 * kernels (AVX2, AVX-512) beside its reference. */
#include <math.h>

#include "kge_model.h"

/* Guard for |q_k - e_k| = 0, where the modulus has no derivative. */
#define CMOD_EPS 1e-20f

static float cmod_ref(int64_t d, const float *q, const float *e) {
    float s = 0;
    for (int64_t i = 0; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        s += sqrtf(a * a + b * b);
    }
    return s;
}

static void cmod_grad_ref(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    for (int64_t i = 0; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        float k = c / sqrtf(a * a + b * b + CMOD_EPS);
        gq[i] -= k * a;
        gq[d + i] -= k * b;
        ge[i] += k * a;
        ge[d + i] += k * b;
    }
}

KGE_TILE_GENERIC(cmod_ref, cmod_ref, cmod_grad_ref)

#if EMB_X86
EMB_TARGET_AVX2 static float cmod_avx2(int64_t d, const float *q, const float *e) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 b = _mm256_sub_ps(_mm256_loadu_ps(q + d + i), _mm256_loadu_ps(e + d + i));
        acc = _mm256_add_ps(acc, _mm256_sqrt_ps(_mm256_fmadd_ps(a, a, _mm256_mul_ps(b, b))));
    }
    float s = kge_hsum8(acc);
    for (; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        s += sqrtf(a * a + b * b);
    }
    return s;
}

EMB_TARGET_AVX2 static void cmod_grad_avx2(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m256 pc = _mm256_set1_ps(c), eps = _mm256_set1_ps(CMOD_EPS);
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 b = _mm256_sub_ps(_mm256_loadu_ps(q + d + i), _mm256_loadu_ps(e + d + i));
        __m256 k = _mm256_div_ps(pc, _mm256_sqrt_ps(_mm256_fmadd_ps(a, a, _mm256_fmadd_ps(b, b, eps))));
        a = _mm256_mul_ps(a, k);
        b = _mm256_mul_ps(b, k);
        _mm256_storeu_ps(gq + i, _mm256_sub_ps(_mm256_loadu_ps(gq + i), a));
        _mm256_storeu_ps(gq + d + i, _mm256_sub_ps(_mm256_loadu_ps(gq + d + i), b));
        _mm256_storeu_ps(ge + i, _mm256_add_ps(_mm256_loadu_ps(ge + i), a));
        _mm256_storeu_ps(ge + d + i, _mm256_add_ps(_mm256_loadu_ps(ge + d + i), b));
    }
    for (; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        float k = c / sqrtf(a * a + b * b + CMOD_EPS);
        gq[i] -= k * a;
        gq[d + i] -= k * b;
        ge[i] += k * a;
        ge[d + i] += k * b;
    }
}

KGE_TILE_GENERIC(cmod_avx2, cmod_avx2, cmod_grad_avx2)

/* AVX-512: 16 lanes, masked tails, and 1/sqrt from rsqrt14 refined by one
 * Newton step (relative error about 1e-7, like sqrt itself, at a quarter
 * of the cost of sqrt + divide). The +tiny keeps rsqrt(0) finite. */
EMB_TARGET_AVX512 static inline __m512 rsqrt_nr(__m512 x) {
    __m512 y = _mm512_rsqrt14_ps(x);
    __m512 hx = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_mul_ps(y, _mm512_fnmadd_ps(hx, _mm512_mul_ps(y, y), _mm512_set1_ps(1.5f)));
}

EMB_TARGET_AVX512 static float cmod_avx512(int64_t d, const float *q, const float *e) {
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = kge_mask16(d, i);
        __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i));
        __m512 b = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + d + i), _mm512_maskz_loadu_ps(k, e + d + i));
        __m512 x = _mm512_fmadd_ps(a, a, _mm512_fmadd_ps(b, b, tiny));
        acc = _mm512_add_ps(acc, _mm512_maskz_mov_ps(k, _mm512_mul_ps(x, rsqrt_nr(x))));
    }
    return _mm512_reduce_add_ps(acc);
}

EMB_TARGET_AVX512 static void cmod_grad_avx512(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m512 pc = _mm512_set1_ps(c), tiny = _mm512_set1_ps(CMOD_EPS);
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = kge_mask16(d, i);
        __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i));
        __m512 b = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + d + i), _mm512_maskz_loadu_ps(k, e + d + i));
        __m512 f = _mm512_mul_ps(pc, rsqrt_nr(_mm512_fmadd_ps(a, a, _mm512_fmadd_ps(b, b, tiny))));
        a = _mm512_mul_ps(a, f);
        b = _mm512_mul_ps(b, f);
        _mm512_mask_storeu_ps(gq + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gq + i), a));
        _mm512_mask_storeu_ps(gq + d + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gq + d + i), b));
        _mm512_mask_storeu_ps(ge + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + i), a));
        _mm512_mask_storeu_ps(ge + d + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + d + i), b));
    }
}

EMB_TARGET_AVX512 static void cmod_tile_avx512(int64_t d, int n, const float *const *q, const float *e, float *out) {
    const float *qq[TILE];
    kge_tile_pad(n, q, qq);
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    __m512 acc[TILE];
    for (int t = 0; t < TILE; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = kge_mask16(d, i);
        __m512 er = _mm512_maskz_loadu_ps(k, e + i), ei = _mm512_maskz_loadu_ps(k, e + d + i);
#pragma GCC unroll 8
        for (int t = 0; t < TILE; t++) {
            __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + i), er);
            __m512 b = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + d + i), ei);
            __m512 x = _mm512_fmadd_ps(a, a, _mm512_fmadd_ps(b, b, tiny));
            acc[t] = _mm512_add_ps(acc[t], _mm512_maskz_mov_ps(k, _mm512_mul_ps(x, rsqrt_nr(x))));
        }
    }
    for (int t = 0; t < n; t++) out[t] = _mm512_reduce_add_ps(acc[t]);
}

EMB_TARGET_AVX512 static void cmod_grad_tile_avx512(int64_t d, int n, const float *const *q, const float *e, const float *c,
                                         float *const *gq, float *ge) {
    const float *qq[TILE];
    float *gg[TILE];
    __m512 cv[TILE];
    kge_tile_pad_grad(n, q, gq, c, qq, gg, cv);
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = kge_mask16(d, i);
        __m512 er = _mm512_maskz_loadu_ps(k, e + i), ei = _mm512_maskz_loadu_ps(k, e + d + i);
        __m512 sa = _mm512_setzero_ps(), sb = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int t = 0; t < TILE; t++) {
            __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + i), er);
            __m512 b = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + d + i), ei);
            __m512 f = _mm512_mul_ps(cv[t], rsqrt_nr(_mm512_fmadd_ps(a, a, _mm512_fmadd_ps(b, b, tiny))));
            a = _mm512_mul_ps(a, f);
            b = _mm512_mul_ps(b, f);
            _mm512_mask_storeu_ps(gg[t] + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gg[t] + i), a));
            _mm512_mask_storeu_ps(gg[t] + d + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gg[t] + d + i), b));
            sa = _mm512_add_ps(sa, a);
            sb = _mm512_add_ps(sb, b);
        }
        _mm512_mask_storeu_ps(ge + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + i), sa));
        _mm512_mask_storeu_ps(ge + d + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + d + i), sb));
    }
}

#endif

static void cmod_kern(enum emb_simd level, struct kge_dist_kern *k) {
    *k = (struct kge_dist_kern){cmod_ref, cmod_grad_ref, cmod_ref_tile_gen, cmod_ref_grad_tile_gen};
#if EMB_X86
    if (level == EMB_SIMD_AVX2)
        *k = (struct kge_dist_kern){cmod_avx2, cmod_grad_avx2, cmod_avx2_tile_gen, cmod_avx2_grad_tile_gen};
    if (level == EMB_SIMD_AVX512)
        *k = (struct kge_dist_kern){cmod_avx512, cmod_grad_avx512, cmod_tile_avx512, cmod_grad_tile_avx512};
#else
    (void)level;
#endif
}

/* Phases become (cos, sin): rc (2*dim). */
static void rotate_rel_prepare(int32_t dim, const float *r, float *rc) {
    for (int32_t k = 0; k < dim; k++) {
        rc[k] = cosf(r[k]);
        rc[dim + k] = sinf(r[k]);
    }
}

/* From the gradient on (cos, sin) to the gradient on the phases:
 * d/dtheta = -sin * g_cos + cos * g_sin. grc: (2*dim), gr: (dim). */
static void rotate_rel_back(int32_t dim, const float *rc, const float *grc, float *gr) {
    for (int32_t k = 0; k < dim; k++) gr[k] += -rc[dim + k] * grc[k] + rc[k] * grc[dim + k];
}

static float rotate_match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e) {
    return m->gamma - kn->dist.one(m->dim, q, e);
}

static void rotate_match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e,
                              float c, float *gq, float *ge) {
    kn->dist.grad(m->dim, q, e, c, gq, ge);
}

static void rotate_match_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                              const float *e, float *out) {
    kn->dist.tile(m->dim, n, q, e, out);
    for (int i = 0; i < n; i++) out[i] = m->gamma - out[i];
}

static void rotate_match_grad_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                                   const float *e, const float *c, float *const *gq, float *ge) {
    kn->dist.grad_tile(m->dim, n, q, e, c, gq, ge);
}

const struct kge_model_ops emb__kge_rotate = {
    .name = "rotate",
    .ent_mult = 2,
    .rel_mult = 1,
    .phases = 1,
    .dist_kern = cmod_kern,
    .rel_prepare = rotate_rel_prepare,
    .rel_back = rotate_rel_back,
    .query = emb__kge_cmul_query,
    .query_back = emb__kge_cmul_query_back,
    .match = rotate_match,
    .match_grad = rotate_match_grad,
    .match_tile = rotate_match_tile,
    .match_grad_tile = rotate_match_grad_tile,
};
