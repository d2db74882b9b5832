/* kge_transe.c -- TransE (Bordes et al. 2013): q = h + r (tail side) or
 * t - r (head side), F(q, e) = gamma - ||q - e||_p with p = 1 or 2. The L1
 * distance has SIMD kernels (AVX2, AVX-512) beside its reference. */
#include <math.h>

#include "kge_model.h"

static float l1_ref(int64_t n, const float *q, const float *e) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += fabsf(q[i] - e[i]);
    return s;
}

static void l1_grad_ref(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    for (int64_t i = 0; i < n; i++) {
        float d = q[i] - e[i], sg = c * (float)((d > 0) - (d < 0)); /* branch-free: signs are random */
        gq[i] -= sg;
        ge[i] += sg;
    }
}

KGE_TILE_GENERIC(l1_ref, l1_ref, l1_grad_ref)

#if EMB_X86
EMB_TARGET_AVX2 static float l1_avx2(int64_t n, const float *q, const float *e) {
    const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i))));
        a1 = _mm256_add_ps(a1, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(e + i + 8))));
    }
    float s = kge_hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += fabsf(q[i] - e[i]);
    return s;
}

EMB_TARGET_AVX2 static void l1_grad_avx2(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m256 zero = _mm256_setzero_ps(), pc = _mm256_set1_ps(c), nc = _mm256_set1_ps(-c);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 sg = _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_GT_OQ), pc),
                                 _mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_LT_OQ), nc));
        _mm256_storeu_ps(gq + i, _mm256_sub_ps(_mm256_loadu_ps(gq + i), sg));
        _mm256_storeu_ps(ge + i, _mm256_add_ps(_mm256_loadu_ps(ge + i), sg));
    }
    /* The tail is written out here: a tail call into the SSE reference
     * skips the vzeroupper and leaves every later SSE instruction paying
     * the AVX transition penalty (measured: 3.5x slower training). */
    for (; i < n; i++) {
        float d = q[i] - e[i], sg = c * (float)((d > 0) - (d < 0));
        gq[i] -= sg;
        ge[i] += sg;
    }
}

KGE_TILE_GENERIC(l1_avx2, l1_avx2, l1_grad_avx2)

EMB_TARGET_AVX512 static float l1_avx512(int64_t n, const float *q, const float *e) {
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(e + i))));
    if (i < n) {
        __mmask16 k = (__mmask16)((1u << (n - i)) - 1u);
        acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i))));
    }
    return _mm512_reduce_add_ps(acc);
}

EMB_TARGET_AVX512 static void l1_grad_avx512(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m512 zero = _mm512_setzero_ps(), pc = _mm512_set1_ps(c), nc = _mm512_set1_ps(-c);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = kge_mask16(n, i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i));
        __m512 sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, zero, _CMP_GT_OQ), zero, pc);
        sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, zero, _CMP_LT_OQ), sg, nc);
        _mm512_mask_storeu_ps(gq + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gq + i), sg));
        _mm512_mask_storeu_ps(ge + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + i), sg));
    }
}

EMB_TARGET_AVX512 static void l1_tile_avx512(int64_t n_f, int n, const float *const *q, const float *e, float *out) {
    const float *qq[TILE];
    kge_tile_pad(n, q, qq);
    __m512 acc[TILE];
    for (int t = 0; t < TILE; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n_f; i += 16) {
        __mmask16 k = kge_mask16(n_f, i);
        __m512 ev = _mm512_maskz_loadu_ps(k, e + i);
#pragma GCC unroll 8
        for (int t = 0; t < TILE; t++)
            acc[t] = _mm512_add_ps(acc[t], _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + i), ev)));
    }
    for (int t = 0; t < n; t++) out[t] = _mm512_reduce_add_ps(acc[t]);
}

EMB_TARGET_AVX512 static void l1_grad_tile_avx512(int64_t n_f, int n, const float *const *q, const float *e, const float *c,
                                       float *const *gq, float *ge) {
    const float *qq[TILE];
    float *gg[TILE];
    __m512 pc[TILE];
    kge_tile_pad_grad(n, q, gq, c, qq, gg, pc);
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t i = 0; i < n_f; i += 16) {
        __mmask16 k = kge_mask16(n_f, i);
        __m512 ev = _mm512_maskz_loadu_ps(k, e + i), s = zero;
#pragma GCC unroll 8
        for (int t = 0; t < TILE; t++) {
            __m512 dv = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + i), ev);
            /* c * sign(d), 0 where d = 0 */
            __m512 sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(dv, zero, _CMP_GT_OQ), zero, pc[t]);
            sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(dv, zero, _CMP_LT_OQ), sg, _mm512_sub_ps(zero, pc[t]));
            _mm512_mask_storeu_ps(gg[t] + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gg[t] + i), sg));
            s = _mm512_add_ps(s, sg);
        }
        _mm512_mask_storeu_ps(ge + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + i), s));
    }
}

#endif

static void l1_kern(enum emb_simd level, struct kge_dist_kern *k) {
    *k = (struct kge_dist_kern){l1_ref, l1_grad_ref, l1_ref_tile_gen, l1_ref_grad_tile_gen};
#if EMB_X86
    if (level == EMB_SIMD_AVX2)
        *k = (struct kge_dist_kern){l1_avx2, l1_grad_avx2, l1_avx2_tile_gen, l1_avx2_grad_tile_gen};
    if (level == EMB_SIMD_AVX512)
        *k = (struct kge_dist_kern){l1_avx512, l1_grad_avx512, l1_tile_avx512, l1_grad_tile_avx512};
#else
    (void)level;
#endif
}

static void transe_query(int32_t d, int head, const float *a, const float *r, float *q) {
    if (head)
        for (int32_t k = 0; k < d; k++) q[k] = a[k] - r[k];
    else
        for (int32_t k = 0; k < d; k++) q[k] = a[k] + r[k];
}

static void transe_query_back(int32_t d, int head, const float *a, const float *r, const float *gq, float *ga,
                              float *gr) {
    (void)a;
    (void)r;
    for (int32_t k = 0; k < d; k++) {
        ga[k] += gq[k];
        gr[k] += head ? -gq[k] : gq[k];
    }
}

static float transe_match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e) {
    if (m->p_norm == 1) return m->gamma - kn->dist.one(m->dim, q, e);
    float s = 0;
    for (int32_t k = 0; k < m->dim; k++) s += (q[k] - e[k]) * (q[k] - e[k]);
    return m->gamma - sqrtf(s);
}

static void transe_match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e,
                              float c, float *gq, float *ge) {
    if (m->p_norm == 1) {
        kn->dist.grad(m->dim, q, e, c, gq, ge);
        return;
    }
    float s = 0;
    for (int32_t k = 0; k < m->dim; k++) s += (q[k] - e[k]) * (q[k] - e[k]);
    if (s <= 0) return;
    float f = c / sqrtf(s);
    for (int32_t k = 0; k < m->dim; k++) {
        float g = f * (q[k] - e[k]);
        gq[k] -= g;
        ge[k] += g;
    }
}

static void transe_match_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                              const float *e, float *out) {
    if (m->p_norm != 1) {
        for (int i = 0; i < n; i++) out[i] = transe_match(m, kn, q[i], e);
        return;
    }
    kn->dist.tile(m->dim, n, q, e, out);
    for (int i = 0; i < n; i++) out[i] = m->gamma - out[i];
}

static void transe_match_grad_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                                   const float *e, const float *c, float *const *gq, float *ge) {
    if (m->p_norm == 1)
        kn->dist.grad_tile(m->dim, n, q, e, c, gq, ge);
    else
        for (int i = 0; i < n; i++)
            if (c[i] != 0) transe_match_grad(m, kn, q[i], e, c[i], gq[i], ge);
}

const struct kge_model_ops emb__kge_transe = {
    .name = "transe",
    .ent_mult = 1,
    .rel_mult = 1,
    .dist_kern = l1_kern,
    .query = transe_query,
    .query_back = transe_query_back,
    .match = transe_match,
    .match_grad = transe_match_grad,
    .match_tile = transe_match_tile,
    .match_grad_tile = transe_match_grad_tile,
};
