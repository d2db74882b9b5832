/* kge.c -- knowledge-graph embeddings: TransE, DistMult, ComplEx, RotatE.
 *
 * Papers: TransE (Bordes et al. 2013), DistMult (Yang et al. 2015),
 * ComplEx (Trouillon et al. 2016), RotatE (Sun et al. 2019).
 *
 * DESIGN: every model scores a triple in two stages. A "query" q combines
 * the known entity a with the relation r, and a "match" F(q, e) scores the
 * candidate entity e:
 *
 *     model     query, tail side (a = h)   query, head side (a = t)   F(q, e)
 *     TransE    h + r                      t - r                      gamma - ||q - e||_p
 *     DistMult  h * r                      t * r                      q . e
 *     ComplEx   h * r   (complex)          t * conj(r)                Re(q conj(e)) = q . e
 *     RotatE    h * r   (|r_k| = 1)        t * conj(r)                gamma - sum_k |q_k - e_k|
 *
 * (ComplEx: Re<h, r, conj t> = Re(h r conj t); with q = t conj(r) and e the
 * head, Re(e conj q) is the same number. RotatE: |e r - t| = |e - t conj r|
 * because |r| = 1.) So ranking all tails or heads is one query and n
 * matches, and training scores a chunk of queries against shared negatives
 * as small dense products. Gradients flow back the same way: dF/dq and
 * dF/de, then q -> (a, r). A RotatE relation is stored as phases; the
 * query stage uses (cos, sin) computed once per relation.
 *
 * Layout of this file: kernels -> query/match and their gradients ->
 * public scoring -> new/free/save/load -> training (later in the file). */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/vecs.h"

#define KGE_MAGIC "EMBKGE\0\0"
/* 2: CRC-framed (io.h). Model files of version 1 (no checksums) still
 * load; checkpoints must be version 2. */
#define KGE_VERSION 2u
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- kernels: L1 and complex-modulus distances ------------------------
 * F = gamma - dist(q, e). The gradient kernels add c * dF/dq to gq and
 * c * dF/de to ge. Complex rows are (d real, d imaginary). */

/* Guard for |q_k - e_k| = 0, where the modulus has no derivative. */
#define CMOD_EPS 1e-20f

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

/* Queries per tile in the distance models' pair loops: the tile kernels
 * take up to TILE queries against one entity row, so that row is loaded
 * once per tile and its gradient accumulated in registers. */
#define TILE 8

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

/* Tile forms: out[i] = dist(q[i], e), and gq[i] += c[i] dF/dq, ge += sum_i
 * c[i] dF/de, for n <= TILE queries. These generic ones loop over a
 * single-pair kernel; the AVX-512 ones below share the loads of e. */
#define TILE_GENERIC(name, one, one_grad)                                                                          \
    static void name##_tile_gen(int64_t d, int n, const float *const *q, const float *e, float *out) {             \
        for (int i = 0; i < n; i++) out[i] = one(d, q[i], e);                                                       \
    }                                                                                                               \
    static void name##_grad_tile_gen(int64_t d, int n, const float *const *q, const float *e, const float *c,      \
                                     float *const *gq, float *ge) {                                                 \
        for (int i = 0; i < n; i++)                                                                                 \
            if (c[i] != 0) one_grad(d, q[i], e, c[i], gq[i], ge);                                                   \
    }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define KGE_X86 1
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

AVX2 static float l1_avx2(int64_t n, const float *q, const float *e) {
    const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i))));
        a1 = _mm256_add_ps(a1, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(e + i + 8))));
    }
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += fabsf(q[i] - e[i]);
    return s;
}

AVX2 static void l1_grad_avx2(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
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

AVX2 static float cmod_avx2(int64_t d, const float *q, const float *e) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 b = _mm256_sub_ps(_mm256_loadu_ps(q + d + i), _mm256_loadu_ps(e + d + i));
        acc = _mm256_add_ps(acc, _mm256_sqrt_ps(_mm256_fmadd_ps(a, a, _mm256_mul_ps(b, b))));
    }
    float s = hsum8(acc);
    for (; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        s += sqrtf(a * a + b * b);
    }
    return s;
}

AVX2 static void cmod_grad_avx2(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
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

/* AVX-512: 16 lanes, masked tails, and 1/sqrt from rsqrt14 refined by one
 * Newton step (relative error about 1e-7, like sqrt itself, at a quarter
 * of the cost of sqrt + divide). The +tiny keeps rsqrt(0) finite. */
#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __m512 rsqrt_nr(__m512 x) {
    __m512 y = _mm512_rsqrt14_ps(x);
    __m512 hx = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_mul_ps(y, _mm512_fnmadd_ps(hx, _mm512_mul_ps(y, y), _mm512_set1_ps(1.5f)));
}

AVX512 static float l1_avx512(int64_t n, const float *q, const float *e) {
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

AVX512 static void l1_grad_avx512(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m512 zero = _mm512_setzero_ps(), pc = _mm512_set1_ps(c), nc = _mm512_set1_ps(-c);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i));
        __m512 sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, zero, _CMP_GT_OQ), zero, pc);
        sg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(d, zero, _CMP_LT_OQ), sg, nc);
        _mm512_mask_storeu_ps(gq + i, k, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, gq + i), sg));
        _mm512_mask_storeu_ps(ge + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, ge + i), sg));
    }
}

AVX512 static float cmod_avx512(int64_t d, const float *q, const float *e) {
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1u);
        __m512 a = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + i), _mm512_maskz_loadu_ps(k, e + i));
        __m512 b = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, q + d + i), _mm512_maskz_loadu_ps(k, e + d + i));
        __m512 x = _mm512_fmadd_ps(a, a, _mm512_fmadd_ps(b, b, tiny));
        acc = _mm512_add_ps(acc, _mm512_maskz_mov_ps(k, _mm512_mul_ps(x, rsqrt_nr(x))));
    }
    return _mm512_reduce_add_ps(acc);
}

AVX512 static void cmod_grad_avx512(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m512 pc = _mm512_set1_ps(c), tiny = _mm512_set1_ps(CMOD_EPS);
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1u);
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

/* Tiles of TILE queries against one row e: e's 16 lanes are loaded once
 * for the whole tile, and in the gradient e's share is summed in registers
 * and written once. Short tiles repeat their last query with c = 0. */
AVX512 static inline void tile_pad(int n, const float *const *q, const float **qq) {
    for (int i = 0; i < TILE; i++) qq[i] = q[i < n ? i : n - 1];
}

/* The gradient kernels' padding: queries, their gradient rows, and the
 * coefficients broadcast (0 for the repeated ones). */
AVX512 static inline void tile_pad_grad(int n, const float *const *q, float *const *gq, const float *c,
                                        const float **qq, float **gg, __m512 *cv) {
    tile_pad(n, q, qq);
    for (int t = 0; t < TILE; t++) {
        gg[t] = gq[t < n ? t : n - 1];
        cv[t] = _mm512_set1_ps(t < n ? c[t] : 0.0f);
    }
}

AVX512 static void cmod_tile_avx512(int64_t d, int n, const float *const *q, const float *e, float *out) {
    const float *qq[TILE];
    tile_pad(n, q, qq);
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    __m512 acc[TILE];
    for (int t = 0; t < TILE; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1u);
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

AVX512 static void cmod_grad_tile_avx512(int64_t d, int n, const float *const *q, const float *e, const float *c,
                                         float *const *gq, float *ge) {
    const float *qq[TILE];
    float *gg[TILE];
    __m512 cv[TILE];
    tile_pad_grad(n, q, gq, c, qq, gg, cv);
    const __m512 tiny = _mm512_set1_ps(CMOD_EPS);
    for (int64_t i = 0; i < d; i += 16) {
        __mmask16 k = d - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - i)) - 1u);
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

AVX512 static void l1_tile_avx512(int64_t n_f, int n, const float *const *q, const float *e, float *out) {
    const float *qq[TILE];
    tile_pad(n, q, qq);
    __m512 acc[TILE];
    for (int t = 0; t < TILE; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n_f; i += 16) {
        __mmask16 k = n_f - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n_f - i)) - 1u);
        __m512 ev = _mm512_maskz_loadu_ps(k, e + i);
#pragma GCC unroll 8
        for (int t = 0; t < TILE; t++)
            acc[t] = _mm512_add_ps(acc[t], _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, qq[t] + i), ev)));
    }
    for (int t = 0; t < n; t++) out[t] = _mm512_reduce_add_ps(acc[t]);
}

AVX512 static void l1_grad_tile_avx512(int64_t n_f, int n, const float *const *q, const float *e, const float *c,
                                       float *const *gq, float *ge) {
    const float *qq[TILE];
    float *gg[TILE];
    __m512 pc[TILE];
    tile_pad_grad(n, q, gq, c, qq, gg, pc);
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t i = 0; i < n_f; i += 16) {
        __mmask16 k = n_f - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n_f - i)) - 1u);
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

/* One lazy-Adam row update (see opt_row), 16 lanes at a time. */
AVX512 static void adam_avx512(int64_t n, float *w, float *m1, float *m2, const float *g, float lr, float bc1,
                               float bc2) {
    const __m512 b1 = _mm512_set1_ps(0.9f), b2 = _mm512_set1_ps(0.999f), c1 = _mm512_set1_ps(1.0f - 0.9f),
                 c2 = _mm512_set1_ps(1.0f - 0.999f), ib1 = _mm512_set1_ps(1.0f / bc1), ib2 = _mm512_set1_ps(1.0f / bc2),
                 eps = _mm512_set1_ps(1e-8f), nlr = _mm512_set1_ps(-lr);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        __m512 a = _mm512_fmadd_ps(b1, _mm512_maskz_loadu_ps(k, m1 + i), _mm512_mul_ps(c1, gv));
        __m512 b = _mm512_fmadd_ps(b2, _mm512_maskz_loadu_ps(k, m2 + i), _mm512_mul_ps(c2, _mm512_mul_ps(gv, gv)));
        _mm512_mask_storeu_ps(m1 + i, k, a);
        _mm512_mask_storeu_ps(m2 + i, k, b);
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(b, ib2)), eps);
        __m512 step = _mm512_div_ps(_mm512_mul_ps(a, ib1), den);
        _mm512_mask_storeu_ps(w + i, k, _mm512_fmadd_ps(nlr, step, _mm512_maskz_loadu_ps(k, w + i)));
    }
}
#endif

TILE_GENERIC(cmod_ref, cmod_ref, cmod_grad_ref)
TILE_GENERIC(l1_ref, l1_ref, l1_grad_ref)
#ifdef KGE_X86
TILE_GENERIC(cmod_avx2, cmod_avx2, cmod_grad_avx2)
TILE_GENERIC(l1_avx2, l1_avx2, l1_grad_avx2)
#endif

/* The kernels one model needs, chosen once per call site from a SIMD level. */
struct kge_kern {
    struct emb_vec_ops ops;
    float (*l1)(int64_t n, const float *q, const float *e);
    void (*l1_grad)(int64_t n, const float *q, const float *e, float c, float *gq, float *ge);
    float (*cmod)(int64_t d, const float *q, const float *e);
    void (*cmod_grad)(int64_t d, const float *q, const float *e, float c, float *gq, float *ge);
    /* tiles of n <= TILE queries against one row (see TILE_GENERIC) */
    void (*l1_tile)(int64_t n_f, int n, const float *const *q, const float *e, float *out);
    void (*l1_grad_tile)(int64_t n_f, int n, const float *const *q, const float *e, const float *c,
                         float *const *gq, float *ge);
    void (*cmod_tile)(int64_t d, int n, const float *const *q, const float *e, float *out);
    void (*cmod_grad_tile)(int64_t d, int n, const float *const *q, const float *e, const float *c,
                           float *const *gq, float *ge);
    /* NULL: the scalar Adam loop in opt_row */
    void (*adam)(int64_t n, float *w, float *m1, float *m2, const float *g, float lr, float bc1, float bc2);
};

static struct kge_kern kern_get(enum emb_simd want) {
    struct kge_kern k;
    k.ops = emb_vec_ops_get(want);
    k.l1 = l1_ref;
    k.l1_grad = l1_grad_ref;
    k.cmod = cmod_ref;
    k.cmod_grad = cmod_grad_ref;
    k.l1_tile = l1_ref_tile_gen;
    k.l1_grad_tile = l1_ref_grad_tile_gen;
    k.cmod_tile = cmod_ref_tile_gen;
    k.cmod_grad_tile = cmod_ref_grad_tile_gen;
    k.adam = NULL;
#ifdef KGE_X86
    if (k.ops.kind != EMB_SIMD_REF) {
        k.l1 = l1_avx2;
        k.l1_grad = l1_grad_avx2;
        k.cmod = cmod_avx2;
        k.cmod_grad = cmod_grad_avx2;
        k.l1_tile = l1_avx2_tile_gen;
        k.l1_grad_tile = l1_avx2_grad_tile_gen;
        k.cmod_tile = cmod_avx2_tile_gen;
        k.cmod_grad_tile = cmod_avx2_grad_tile_gen;
    }
    if (k.ops.kind == EMB_SIMD_AVX512) {
        k.l1 = l1_avx512;
        k.l1_grad = l1_grad_avx512;
        k.cmod = cmod_avx512;
        k.cmod_grad = cmod_grad_avx512;
        k.l1_tile = l1_tile_avx512;
        k.l1_grad_tile = l1_grad_tile_avx512;
        k.cmod_tile = cmod_tile_avx512;
        k.cmod_grad_tile = cmod_grad_tile_avx512;
        k.adam = adam_avx512;
    }
#endif
    return k;
}

/* ---- query and match ---------------------------------------------------- */

static int is_complex(enum emb_kge_model m) { return m == EMB_KGE_COMPLEX || m == EMB_KGE_ROTATE; }
static int32_t ent_width(enum emb_kge_model m, int32_t dim) { return is_complex(m) ? 2 * dim : dim; }
static int32_t rel_width(enum emb_kge_model m, int32_t dim) { return m == EMB_KGE_COMPLEX ? 2 * dim : dim; }

/* The relation in the form the query stage uses: RotatE phases become
 * (cos, sin), 2*dim floats; other models use the row as it is. rc: (2*dim). */
static const float *rel_prepare(const struct emb_kge *m, const float *r, float *rc) {
    if (m->model != EMB_KGE_ROTATE) return r;
    for (int32_t k = 0; k < m->dim; k++) {
        rc[k] = cosf(r[k]);
        rc[m->dim + k] = sinf(r[k]);
    }
    return rc;
}

/* q = query(a, r). head: a is the tail and candidates replace the head.
 * r is prepared (rel_prepare). q: (ent width). */
static void query(const struct emb_kge *m, int head, const float *a, const float *r, float *q) {
    const int32_t d = m->dim;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (head)
            for (int32_t k = 0; k < d; k++) q[k] = a[k] - r[k];
        else
            for (int32_t k = 0; k < d; k++) q[k] = a[k] + r[k];
        break;
    case EMB_KGE_DISTMULT:
        for (int32_t k = 0; k < d; k++) q[k] = a[k] * r[k];
        break;
    default: { /* complex: q = a * r, or a * conj(r) on the head side */
        const float sg = head ? -1.0f : 1.0f;
        for (int32_t k = 0; k < d; k++) {
            float ar = a[k], ai = a[d + k], rr = r[k], ri = sg * r[d + k];
            q[k] = ar * rr - ai * ri;
            q[d + k] = ar * ri + ai * rr;
        }
    }
    }
}

/* Back through query: ga += dL/da, gr += dL/dr (prepared form) given
 * gq = dL/dq. */
static void query_back(const struct emb_kge *m, int head, const float *a, const float *r, const float *gq, float *ga,
                       float *gr) {
    const int32_t d = m->dim;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        for (int32_t k = 0; k < d; k++) {
            ga[k] += gq[k];
            gr[k] += head ? -gq[k] : gq[k];
        }
        break;
    case EMB_KGE_DISTMULT:
        for (int32_t k = 0; k < d; k++) {
            ga[k] += gq[k] * r[k];
            gr[k] += gq[k] * a[k];
        }
        break;
    default: { /* q = a * s with s = r or conj(r): ga = g conj(s), gs = g conj(a) */
        const float sg = head ? -1.0f : 1.0f;
        for (int32_t k = 0; k < d; k++) {
            float gre = gq[k], gim = gq[d + k], rr = r[k], ri = sg * r[d + k], ar = a[k], ai = a[d + k];
            ga[k] += gre * rr + gim * ri;
            ga[d + k] += gim * rr - gre * ri;
            gr[k] += gre * ar + gim * ai;
            gr[d + k] += sg * (gim * ar - gre * ai);
        }
    }
    }
}

/* From the gradient on (cos, sin) to the gradient on the phases:
 * d/dtheta = -sin * g_cos + cos * g_sin. grc: (2*dim), gr: (dim). */
static void rel_back(const struct emb_kge *m, const float *rc, const float *grc, float *gr) {
    if (m->model != EMB_KGE_ROTATE) return; /* gradient already on the row */
    for (int32_t k = 0; k < m->dim; k++) gr[k] += -rc[m->dim + k] * grc[k] + rc[k] * grc[m->dim + k];
}

static float match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e) {
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (m->p_norm == 1) return m->gamma - kn->l1(m->dim, q, e);
        {
            float s = 0;
            for (int32_t k = 0; k < m->dim; k++) s += (q[k] - e[k]) * (q[k] - e[k]);
            return m->gamma - sqrtf(s);
        }
    case EMB_KGE_ROTATE:
        return m->gamma - kn->cmod(m->dim, q, e);
    default:
        return kn->ops.dot(ent_width(m->model, m->dim), q, e);
    }
}

/* gq += c dF/dq, ge += c dF/de. */
static void match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e, float c,
                       float *gq, float *ge) {
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (m->p_norm == 1) {
            kn->l1_grad(m->dim, q, e, c, gq, ge);
        } else {
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
        break;
    case EMB_KGE_ROTATE:
        kn->cmod_grad(m->dim, q, e, c, gq, ge);
        break;
    default: {
        int32_t w = ent_width(m->model, m->dim);
        kn->ops.axpy(w, c, e, gq);
        kn->ops.axpy(w, c, q, ge);
    }
    }
}

/* Distance models, a tile of n <= TILE queries against one row e:
 * out[i] = F(q[i], e); gq[i] += c[i] dF/dq[i], ge += sum_i c[i] dF/de. */
static void match_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                       const float *e, float *out) {
    if (m->model == EMB_KGE_ROTATE || m->p_norm == 1) {
        (m->model == EMB_KGE_ROTATE ? kn->cmod_tile : kn->l1_tile)(m->dim, n, q, e, out);
        for (int i = 0; i < n; i++) out[i] = m->gamma - out[i];
    } else {
        for (int i = 0; i < n; i++) out[i] = match(m, kn, q[i], e);
    }
}

static void match_grad_tile(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                            const float *e, const float *c, float *const *gq, float *ge) {
    int any = 0;
    for (int i = 0; i < n; i++) any |= c[i] != 0;
    if (!any) return; /* margin loss: pairs past the margin */
    if (m->model == EMB_KGE_ROTATE)
        kn->cmod_grad_tile(m->dim, n, q, e, c, gq, ge);
    else if (m->p_norm == 1)
        kn->l1_grad_tile(m->dim, n, q, e, c, gq, ge);
    else
        for (int i = 0; i < n; i++)
            if (c[i] != 0) match_grad(m, kn, q[i], e, c[i], gq[i], ge);
}

/* ---- public scoring ----------------------------------------------------- */

const char *emb_kge_model_name(enum emb_kge_model m) {
    switch (m) {
    case EMB_KGE_TRANSE: return "transe";
    case EMB_KGE_DISTMULT: return "distmult";
    case EMB_KGE_COMPLEX: return "complex";
    case EMB_KGE_ROTATE: return "rotate";
    }
    return "?";
}

int emb_kge_model_parse(const char *name, enum emb_kge_model *out, struct emb_err *err) {
    for (int i = 0; i <= (int)EMB_KGE_ROTATE; i++)
        if (!strcmp(name, emb_kge_model_name((enum emb_kge_model)i))) {
            *out = (enum emb_kge_model)i;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown model '%s' (transe, distmult, complex, rotate)", name);
}

float emb_kge_score_rows(const struct emb_kge *m, const float *h, const float *r, const float *t) {
    float q[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    query(m, 0, h, rel_prepare(m, r, rc), q);
    return match(m, &kn, q, t);
}

void emb_kge_grad_rows(const struct emb_kge *m, const float *h, const float *r, const float *t, float g, float *gh,
                       float *gr, float *gt) {
    float q[2 * EMB_KGE_MAX_DIM], gq[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM], grc[2 * EMB_KGE_MAX_DIM];
    float dh[2 * EMB_KGE_MAX_DIM], dt[2 * EMB_KGE_MAX_DIM], dr[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    const int32_t we = ent_width(m->model, m->dim), wr = rel_width(m->model, m->dim);
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    const float *rp = rel_prepare(m, r, rc);
    query(m, 0, h, rp, q);
    memset(gq, 0, (size_t)we * sizeof *gq);
    memset(dt, 0, (size_t)we * sizeof *dt);
    memset(dh, 0, (size_t)we * sizeof *dh);
    memset(grc, 0, sizeof grc);
    memset(dr, 0, (size_t)wr * sizeof *dr);
    match_grad(m, &kn, q, t, g, gq, dt);
    query_back(m, 0, h, rp, gq, dh, m->model == EMB_KGE_ROTATE ? grc : dr);
    rel_back(m, rp, grc, dr);
    for (int32_t k = 0; k < we; k++) {
        if (gh) gh[k] += dh[k];
        if (gt) gt[k] += dt[k];
    }
    if (gr)
        for (int32_t k = 0; k < wr; k++) gr[k] += dr[k];
}

int32_t emb_kge_n_relations(const struct emb_kge *m) {
    return (int32_t)(m->reciprocal ? m->rel->n_rows / 2 : m->rel->n_rows);
}

int32_t emb_kge_head_rel(const struct emb_kge *m, int32_t r) {
    return m->reciprocal ? r + (int32_t)(m->rel->n_rows / 2) : r;
}

float emb_kge_score(const struct emb_kge *m, int32_t h, int32_t r, int32_t t) {
    return emb_kge_score_rows(m, emb_table_row(m->ent, h), emb_table_row(m->rel, r), emb_table_row(m->ent, t));
}

static void score_all(const struct emb_kge *m, int head, int32_t a, int32_t r, float *out) {
    float q[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    query(m, head, emb_table_row(m->ent, a), rel_prepare(m, emb_table_row(m->rel, r), rc), q);
    for (int64_t e = 0; e < m->ent->n_rows; e++) out[e] = match(m, &kn, q, emb_table_row(m->ent, e));
}

void emb_kge_score_tails(const struct emb_kge *m, int32_t h, int32_t r, float *out) { score_all(m, 0, h, r, out); }
void emb_kge_score_heads(const struct emb_kge *m, int32_t r, int32_t t, float *out) {
    if (m->reciprocal)
        score_all(m, 0, t, emb_kge_head_rel(m, r), out);
    else
        score_all(m, 1, t, r, out);
}

/* ---- new / free / save / load ------------------------------------------ */

void emb_kge_free(struct emb_kge *m) {
    if (!m) return;
    emb_table_free(m->ent);
    emb_table_free(m->rel);
    emb_vocab_free(m->ent_names);
    emb_vocab_free(m->rel_names);
    emb_free(m);
}

static int vocab_copy(struct emb_vocab **out, const struct emb_vocab *src, struct emb_err *err) {
    int rc = emb_vocab_new(out, err);
    for (int32_t i = 0; rc == EMB_OK && i < emb_vocab_size(src); i++) {
        const char *w = emb_vocab_word(src, i);
        rc = emb_vocab_add(*out, w, strlen(w), 0, NULL, err);
    }
    return rc;
}

/* An empty model with tables of the right shapes (zeroed). */
static int kge_alloc(struct emb_kge **out, enum emb_kge_model model, int32_t dim, int32_t p_norm, float gamma,
                     int reciprocal, int64_t n_ent, int64_t n_rel, struct emb_err *err) {
    struct emb_kge *m = emb_calloc(1, sizeof *m);
    if (!m) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    m->model = model;
    m->dim = dim;
    m->p_norm = p_norm;
    m->gamma = gamma;
    m->reciprocal = reciprocal != 0;
    int rc = emb_table_new(&m->ent, n_ent, ent_width(model, dim), err);
    if (rc == EMB_OK) rc = emb_table_new(&m->rel, reciprocal ? 2 * n_rel : n_rel, rel_width(model, dim), err);
    if (rc != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    *out = m;
    return EMB_OK;
}

int emb_kge_new(struct emb_kge **out, const struct emb_kg *kg, const struct emb_kge_params *p, struct emb_err *err) {
    *out = NULL;
    int rc = emb_kge_params_check(p, err);
    if (rc != EMB_OK) return rc;
    struct emb_kge *m = NULL;
    if ((rc = kge_alloc(&m, p->model, p->dim, p->p_norm, p->gamma, p->reciprocal, kg->n_entities, kg->n_relations,
                        err)) != EMB_OK)
        return rc;
    if ((rc = vocab_copy(&m->ent_names, kg->entities, err)) != EMB_OK ||
        (rc = vocab_copy(&m->rel_names, kg->relations, err)) != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    float s = p->init_scale > 0 ? p->init_scale : (p->gamma + 2.0f) / (float)p->dim;
    emb_table_init_uniform(m->ent, s, p->seed);
    emb_table_init_uniform(m->rel, p->model == EMB_KGE_ROTATE ? (float)M_PI : s, p->seed + 0x9e3779b97f4a7c15ull);
    *out = m;
    return EMB_OK;
}

/* All names of v, NUL-terminated one after the other. */
static char *names_pack(const struct emb_vocab *v, int64_t *n_bytes) {
    int64_t n = 0;
    for (int32_t i = 0; i < emb_vocab_size(v); i++) n += (int64_t)strlen(emb_vocab_word(v, i)) + 1;
    char *b = emb_alloc((size_t)n + 1), *p = b;
    if (!b) return NULL;
    for (int32_t i = 0; i < emb_vocab_size(v); i++) {
        size_t l = strlen(emb_vocab_word(v, i)) + 1;
        memcpy(p, emb_vocab_word(v, i), l);
        p += l;
    }
    *n_bytes = n;
    return b;
}

/* Rows without padding: count (int64) then n_rows * dim floats. */
static int write_table(FILE *f, const struct emb_table *t) {
    int64_t n = t->n_rows * t->dim;
    if (fwrite(&n, 8, 1, f) != 1) return EMB_EIO;
    for (int64_t i = 0; i < t->n_rows; i++)
        if (fwrite(emb_table_row(t, i), sizeof(float), (size_t)t->dim, f) != (size_t)t->dim) return EMB_EIO;
    return EMB_OK;
}

int emb__kge_write(const struct emb_kge *m, struct emb_crc_writer *cw, const char magic[8], const char *extra_kv) {
    int64_t eb = 0, rb = 0;
    char *en = names_pack(m->ent_names, &eb), *rn = names_pack(m->rel_names, &rb);
    FILE *f = emb_crc_writer_stream(cw);
    char kv[4096];
    int rc = EMB_ENOMEM;
    if (!en || !rn) goto done;
    snprintf(kv, sizeof kv,
             "kind=kge\nmodel=%s\ndim=%d\np_norm=%d\ngamma=%.9g\nn_entities=%lld\nn_relations=%lld\n"
             "ent_width=%d\nrel_width=%d\nent_name_bytes=%lld\nrel_name_bytes=%lld\nreciprocal=%d\n%s",
             emb_kge_model_name(m->model), m->dim, m->p_norm, m->gamma, (long long)m->ent->n_rows,
             (long long)emb_kge_n_relations(m), m->ent->dim, m->rel->dim, (long long)eb, (long long)rb, m->reciprocal,
             extra_kv ? extra_kv : "");
    rc = EMB_EIO;
    if (emb_write_header_crc(cw, magic, KGE_VERSION, kv) != EMB_OK || emb_write_array(f, en, eb, 1) != EMB_OK ||
        emb_write_array(f, rn, rb, 1) != EMB_OK || write_table(f, m->ent) != EMB_OK || write_table(f, m->rel) != EMB_OK)
        goto done;
    rc = EMB_OK;
done:
    emb_free(en);
    emb_free(rn);
    return rc;
}

int emb_kge_save(const struct emb_kge *m, const char *path, struct emb_err *err) {
    if (emb_table_find_nonfinite(m->ent) >= 0 || emb_table_find_nonfinite(m->rel) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "the model holds non-finite values; not saved");
    struct emb_outfile *o = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    struct emb_crc_writer *cw = NULL;
    if ((rc = emb_crc_writer_open(&cw, emb_outfile_stream(o))) != EMB_OK ||
        (rc = emb__kge_write(m, cw, KGE_MAGIC, NULL)) != EMB_OK || (rc = emb_crc_writer_close(cw, 1), cw = NULL, rc)) {
        emb_crc_writer_close(cw, 0);
        emb_outfile_abort(o);
        return rc == EMB_ENOMEM ? emb_err_set(err, rc, "out of memory writing %s", path)
                                : emb_err_set(err, rc, "cannot write %s", path);
    }
    return emb_outfile_commit(o, err);
}

/* Read an array of n elements (count checked) into a buffer that grows
 * with the bytes actually read, so a corrupt count cannot make us
 * allocate more than the file holds. *out: caller frees (emb_free). */
int emb__kge_read_grow(struct emb_reader *r, int64_t n, size_t elem_bytes, void **out, const char *what,
                       struct emb_err *err) {
    *out = NULL;
    int64_t c;
    if (emb_reader_read(r, &c, 8, NULL, NULL) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated before %s", emb_reader_path(r), what);
    if (c != n)
        return emb_err_set(err, EMB_EFORMAT, "%s: %s has %lld elements, expected %lld", emb_reader_path(r), what,
                           (long long)c, (long long)n);
    size_t total = (size_t)n * elem_bytes, have = 0, cap = 0;
    char *buf = NULL;
    while (have < total || !buf) {
        size_t want = total - have < (1u << 20) ? total - have : (1u << 20);
        if (have + want > cap) {
            size_t nc = cap ? cap * 2 : (1u << 16);
            while (nc < have + want) nc *= 2;
            if (nc > total + 1) nc = total + 1;
            char *nb = emb_realloc(buf, nc);
            if (!nb) {
                emb_free(buf);
                return emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", what);
            }
            buf = nb;
            cap = nc;
        }
        if (want && emb_reader_read(r, buf + have, want, NULL, NULL) != EMB_OK) {
            emb_free(buf);
            return emb_err_set(err, EMB_EFORMAT, "%s: truncated in %s", emb_reader_path(r), what);
        }
        have += want;
    }
    *out = buf;
    return EMB_OK;
}

static int names_unpack(struct emb_vocab **out, const char *b, int64_t n_bytes, int64_t n, const char *what,
                        const char *path, struct emb_err *err) {
    int rc = emb_vocab_new(out, err);
    if (rc != EMB_OK) return rc;
    const char *p = b, *end = b + n_bytes;
    for (int64_t i = 0; i < n; i++) {
        const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
        if (!z || z == p || emb_vocab_find(*out, p, (size_t)(z - p)) >= 0)
            return emb_err_set(err, EMB_EFORMAT, "%s: corrupt %s names at %lld", path, what, (long long)i);
        if ((rc = emb_vocab_add(*out, p, (size_t)(z - p), 0, NULL, err)) != EMB_OK) return rc;
        p = z + 1;
    }
    if (p != end) return emb_err_set(err, EMB_EFORMAT, "%s: corrupt %s names (size)", path, what);
    return EMB_OK;
}

static int read_table(struct emb_reader *r, struct emb_table *t, const char *what, struct emb_err *err) {
    float *buf = NULL;
    int rc = emb__kge_read_grow(r, t->n_rows * t->dim, sizeof(float), (void **)&buf, what, err);
    if (rc != EMB_OK) return rc;
    for (int64_t i = 0; i < t->n_rows; i++)
        memcpy(emb_table_row(t, i), buf + i * t->dim, (size_t)t->dim * sizeof(float));
    emb_free(buf);
    if (emb_table_find_nonfinite(t) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "%s: %s hold non-finite values", emb_reader_path(r), what);
    return EMB_OK;
}

int emb__kge_read(struct emb_kge **out, struct emb_reader *r, const char magic[8], char **kv_out,
                  struct emb_err *err) {
    *out = NULL;
    const char *path = emb_reader_path(r);
    struct emb_kge *m = NULL;
    char *kv = NULL, *en = NULL, *rn = NULL;
    uint32_t version;
    int rc = emb_read_header_crc(r, magic, 2, KGE_VERSION, &version, &kv, err);
    if (rc != EMB_OK) return rc;
    if (version < 2 && memcmp(magic, KGE_MAGIC, 8) != 0) {
        emb_free(kv);
        return emb_err_set(err, EMB_EFORMAT,
                           "%s: checkpoint format %u (without checksums) is no longer read; start the run afresh",
                           path, version);
    }
    char name[32];
    enum emb_kge_model model;
    double dim, p_norm, gamma, n_ent, n_rel, ew, rw, eb, rb, recip = 0;
    if (!emb_kv_get(kv, "kind", name, sizeof name) || strcmp(name, "kge")) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: not a knowledge-graph model", path);
        goto done;
    }
    if (!emb_kv_get(kv, "model", name, sizeof name) || emb_kge_model_parse(name, &model, NULL) != EMB_OK) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: unknown model kind", path);
        goto done;
    }
    if ((rc = emb_kv_double(kv, "dim", 1, EMB_KGE_MAX_DIM, &dim, path, err)) ||
        (rc = emb_kv_double(kv, "p_norm", 1, 2, &p_norm, path, err)) ||
        (rc = emb_kv_double(kv, "gamma", -1e30, 1e30, &gamma, path, err)) ||
        (rc = emb_kv_double(kv, "n_entities", 1, INT32_MAX, &n_ent, path, err)) ||
        (rc = emb_kv_double(kv, "n_relations", 1, INT32_MAX, &n_rel, path, err)) ||
        (rc = emb_kv_double(kv, "ent_width", 1, 2 * EMB_KGE_MAX_DIM, &ew, path, err)) ||
        (rc = emb_kv_double(kv, "rel_width", 1, 2 * EMB_KGE_MAX_DIM, &rw, path, err)) ||
        (rc = emb_kv_double(kv, "ent_name_bytes", 2 * n_ent, 1e15, &eb, path, err)) ||
        (rc = emb_kv_double(kv, "rel_name_bytes", 2 * n_rel, 1e15, &rb, path, err)))
        goto done;
    /* absent in files from before reciprocal relations: 0 */
    if (emb_kv_get(kv, "reciprocal", name, sizeof name) &&
        (rc = emb_kv_double(kv, "reciprocal", 0, 1, &recip, path, err)) != EMB_OK)
        goto done;
    if (dim != floor(dim) || p_norm != floor(p_norm) || recip != floor(recip) || (int32_t)ew != ent_width(model, (int32_t)dim) ||
        (int32_t)rw != rel_width(model, (int32_t)dim)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: table widths do not match the model", path);
        goto done;
    }
    /* Names first: they bound the entity count by the bytes really present
     * before any table is allocated. */
    if ((rc = emb__kge_read_grow(r, (int64_t)eb, 1, (void **)&en, "entity names", err)) != EMB_OK ||
        (rc = emb__kge_read_grow(r, (int64_t)rb, 1, (void **)&rn, "relation names", err)) != EMB_OK)
        goto done;
    if ((rc = kge_alloc(&m, model, (int32_t)dim, (int32_t)p_norm, (float)gamma, recip != 0, (int64_t)n_ent,
                        (int64_t)n_rel, err)) != EMB_OK)
        goto done;
    if ((rc = names_unpack(&m->ent_names, en, (int64_t)eb, (int64_t)n_ent, "entity", path, err)) != EMB_OK ||
        (rc = names_unpack(&m->rel_names, rn, (int64_t)rb, (int64_t)n_rel, "relation", path, err)) != EMB_OK)
        goto done;
    if ((rc = read_table(r, m->ent, "entity vectors", err)) != EMB_OK ||
        (rc = read_table(r, m->rel, "relation vectors", err)) != EMB_OK)
        goto done;
done:
    emb_free(en);
    emb_free(rn);
    if (rc != EMB_OK) {
        emb_free(kv);
        emb_kge_free(m);
        return rc;
    }
    if (kv_out)
        *kv_out = kv;
    else
        emb_free(kv);
    *out = m;
    return EMB_OK;
}

int emb_kge_load(struct emb_kge **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    struct emb_kge *m = NULL;
    if ((rc = emb__kge_read(&m, r, KGE_MAGIC, NULL, err)) == EMB_OK && (rc = emb_read_trailer_crc(r, err)) != EMB_OK) {
        emb_kge_free(m);
        m = NULL;
    }
    emb_reader_close(r);
    *out = m;
    return rc;
}

int emb_kge_export_entities(const struct emb_kge *m, const char *path, struct emb_err *err) {
    return emb_vecs_save(m->ent_names, m->ent, path, EMB_FMT_AUTO, NULL, err);
}

/* ---- params ------------------------------------------------------------- */

struct emb_kge_params emb_kge_default_params(void) {
    struct emb_kge_params p;
    memset(&p, 0, sizeof p);
    p.model = EMB_KGE_ROTATE;
    p.dim = 200;
    p.p_norm = 1;
    p.gamma = 12.0f;
    p.loss = EMB_KGE_LOSS_ADV;
    p.adv_temp = 1.0f;
    p.negatives = 256;
    p.batch = 512;
    p.chunk = 0;
    p.neg_sampling = EMB_KGE_NEG_UNIFORM;
    p.optimizer = EMB_KGE_OPT_ADAM;
    p.lr = 0.001f;
    p.lr_drop_at = 0.0f;
    p.reg = EMB_KGE_REG_NONE;
    p.epochs = 50;
    p.seed = 1;
    p.n_threads = 1;
    p.simd = EMB_SIMD_AUTO;
    p.valid_max = 1000;
    p.progress_every = 100;
    return p;
}

int emb_kge_params_check(const struct emb_kge_params *p, struct emb_err *err) {
    if ((int)p->model < 0 || p->model > EMB_KGE_ROTATE) return emb_err_set(err, EMB_EINVAL, "unknown model");
    if (p->dim < 1 || p->dim > EMB_KGE_MAX_DIM)
        return emb_err_set(err, EMB_EINVAL, "dim must be in 1..%d, got %d", EMB_KGE_MAX_DIM, p->dim);
    if (p->p_norm != 1 && p->p_norm != 2) return emb_err_set(err, EMB_EINVAL, "p-norm must be 1 or 2, got %d", p->p_norm);
    if (!isfinite(p->gamma) || fabsf(p->gamma) > 1e6f) return emb_err_set(err, EMB_EINVAL, "margin (gamma) must be finite and at most 1e6");
    if ((int)p->loss < 0 || p->loss > EMB_KGE_LOSS_MARGIN) return emb_err_set(err, EMB_EINVAL, "unknown loss");
    if (!(p->adv_temp >= 0) || p->adv_temp > 100) return emb_err_set(err, EMB_EINVAL, "adversarial temperature must be in [0, 100]");
    if (p->negatives < 1 || p->negatives > 100000)
        return emb_err_set(err, EMB_EINVAL, "negatives must be in 1..100000, got %d", p->negatives);
    if (p->batch < 1 || p->batch > 1000000) return emb_err_set(err, EMB_EINVAL, "batch must be in 1..1000000, got %d", p->batch);
    if (p->chunk < 0 || p->chunk > p->batch) return emb_err_set(err, EMB_EINVAL, "chunk must be in 0..batch, got %d", p->chunk);
    if ((int)p->neg_sampling < 0 || p->neg_sampling > EMB_KGE_NEG_BERNOULLI)
        return emb_err_set(err, EMB_EINVAL, "unknown negative sampling");
    if ((int)p->optimizer < 0 || p->optimizer > EMB_KGE_OPT_ADAGRAD) return emb_err_set(err, EMB_EINVAL, "unknown optimiser");
    if (!(p->lr > 0) || !isfinite(p->lr)) return emb_err_set(err, EMB_EINVAL, "learning rate must be positive and finite");
    if (!(p->lr_drop_at >= 0 && p->lr_drop_at <= 1)) return emb_err_set(err, EMB_EINVAL, "lr drop point must be in [0, 1]");
    if ((int)p->reg < 0 || p->reg > EMB_KGE_REG_N3) return emb_err_set(err, EMB_EINVAL, "unknown regulariser");
    if (!(p->reg_weight >= 0) || !isfinite(p->reg_weight)) return emb_err_set(err, EMB_EINVAL, "regularisation weight must be >= 0");
    if (!(p->init_scale >= 0) || !isfinite(p->init_scale)) return emb_err_set(err, EMB_EINVAL, "init scale must be >= 0");
    if (p->steps < 0 || (p->steps == 0 && (p->epochs < 1 || p->epochs > 1000000)))
        return emb_err_set(err, EMB_EINVAL, "need epochs in 1..1000000 or steps > 0");
    if (p->n_threads < 1 || p->n_threads > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024");
    if (p->valid_every < 0 || p->valid_max < 0 || p->patience < 0 || p->checkpoint_every < 0 || p->progress_every < 0)
        return emb_err_set(err, EMB_EINVAL, "validation, checkpoint and progress intervals must be >= 0");
    return EMB_OK;
}

static int parse_name(const char *s, const char *const *names, int n, int *out, const char *what,
                      struct emb_err *err) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown %s '%s'", what, s);
}

int emb_kge_loss_parse(const char *s, enum emb_kge_loss *out, struct emb_err *err) {
    static const char *const n[] = {"adv", "logistic", "margin"};
    int v = 0, rc = parse_name(s, n, 3, &v, "loss (adv, logistic, margin)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_loss)v;
    return rc;
}
int emb_kge_opt_parse(const char *s, enum emb_kge_opt *out, struct emb_err *err) {
    static const char *const n[] = {"adam", "adagrad"};
    int v = 0, rc = parse_name(s, n, 2, &v, "optimiser (adam, adagrad)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_opt)v;
    return rc;
}
int emb_kge_reg_parse(const char *s, enum emb_kge_reg *out, struct emb_err *err) {
    static const char *const n[] = {"none", "l2", "n3"};
    int v = 0, rc = parse_name(s, n, 3, &v, "regulariser (none, l2, n3)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_reg)v;
    return rc;
}
int emb_kge_neg_parse(const char *s, enum emb_kge_neg *out, struct emb_err *err) {
    static const char *const n[] = {"uniform", "bernoulli"};
    int v = 0, rc = parse_name(s, n, 2, &v, "negative sampling (uniform, bernoulli)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_neg)v;
    return rc;
}

/* ---- filtered ranking for early stopping ------------------------------- */

/* A set of known triples: open addressing over (h, r, t), for filtering. */
struct tri_set {
    uint64_t mask;
    int32_t *keys; /* (mask + 1) * 3, h = -1 for empty */
};

static uint64_t tri_hash(int32_t h, int32_t r, int32_t t) {
    uint64_t x = (uint64_t)(uint32_t)h * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uint32_t)r * 0xc2b2ae3d27d4eb4full ^
                 (uint64_t)(uint32_t)t * 0x165667b19e3779f9ull;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 29);
}

static int tri_has(const struct tri_set *s, int32_t h, int32_t r, int32_t t) {
    for (uint64_t i = tri_hash(h, r, t) & s->mask;; i = (i + 1) & s->mask) {
        const int32_t *k = s->keys + 3 * i;
        if (k[0] < 0) return 0;
        if (k[0] == h && k[1] == r && k[2] == t) return 1;
    }
}

static void tri_add(struct tri_set *s, int32_t h, int32_t r, int32_t t) {
    for (uint64_t i = tri_hash(h, r, t) & s->mask;; i = (i + 1) & s->mask) {
        int32_t *k = s->keys + 3 * i;
        if (k[0] < 0) {
            k[0] = h, k[1] = r, k[2] = t;
            return;
        }
        if (k[0] == h && k[1] == r && k[2] == t) return;
    }
}

static int tri_build(struct tri_set *s, const struct emb_kg *kg) {
    int64_t n = kg->train.n + kg->valid.n + kg->test.n;
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) cap *= 2;
    s->mask = cap - 1;
    s->keys = emb_alloc(cap * 3 * sizeof *s->keys);
    if (!s->keys) return EMB_ENOMEM;
    memset(s->keys, 0xff, cap * 3 * sizeof *s->keys);
    const struct emb_triples *sp[3] = {&kg->train, &kg->valid, &kg->test};
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < sp[k]->n; i++) tri_add(s, sp[k]->h[i], sp[k]->r[i], sp[k]->t[i]);
    return EMB_OK;
}

struct mrr_job {
    const struct emb_kge *m;
    const struct tri_set *known;
    const struct emb_triples *eval;
    int64_t n;
    float **scores; /* (nth) rows of n_entities */
    double *sum;    /* (nth, 4): reciprocal ranks, hits at 1, 3, 10 */
};

static void mrr_worker(void *ctx, int ith, int nth) {
    struct mrr_job *j = ctx;
    float *sc = j->scores[ith];
    double sum = 0, h1 = 0, h3 = 0, h10 = 0;
    for (int64_t i = ith; i < j->n; i += nth) {
        int32_t h = j->eval->h[i], r = j->eval->r[i], t = j->eval->t[i];
        for (int dir = 0; dir < 2; dir++) {
            int32_t truth = dir ? h : t;
            if (dir)
                emb_kge_score_heads(j->m, r, t, sc);
            else
                emb_kge_score_tails(j->m, h, r, sc);
            float st = sc[truth];
            int64_t gt = 0, eq = 0;
            for (int64_t e = 0; e < j->m->ent->n_rows; e++) {
                if (e == truth || !(sc[e] >= st)) continue; /* NaN scores rank below */
                int known = dir ? tri_has(j->known, (int32_t)e, r, t) : tri_has(j->known, h, r, (int32_t)e);
                if (known) continue;
                if (sc[e] > st)
                    gt++;
                else
                    eq++;
            }
            double rank = 1.0 + (double)gt + 0.5 * (double)eq;
            sum += 1.0 / rank;
            h1 += rank <= 1;
            h3 += rank <= 3;
            h10 += rank <= 10;
        }
    }
    j->sum[4 * ith] = sum;
    j->sum[4 * ith + 1] = h1;
    j->sum[4 * ith + 2] = h3;
    j->sum[4 * ith + 3] = h10;
}

static void quick_stats(const struct emb_kge *m, const struct tri_set *known, const struct emb_triples *eval,
                        int64_t max_triples, struct emb_pool *pool, float **scores, struct emb_kge_rank_stats *st) {
    int nth = emb_pool_size(pool);
    double sum[4 * 1024] = {0}, tot[4] = {0};
    struct mrr_job j = {m, known, eval, max_triples > 0 && max_triples < eval->n ? max_triples : eval->n, scores, sum};
    memset(st, 0, sizeof *st);
    if (j.n == 0) return;
    emb_pool_run(pool, mrr_worker, &j);
    for (int i = 0; i < nth; i++)
        for (int k = 0; k < 4; k++) tot[k] += sum[4 * i + k];
    st->n_queries = 2 * j.n;
    st->mrr = tot[0] / (double)st->n_queries;
    st->hits1 = tot[1] / (double)st->n_queries;
    st->hits3 = tot[2] / (double)st->n_queries;
    st->hits10 = tot[3] / (double)st->n_queries;
}

static double quick_mrr(const struct emb_kge *m, const struct tri_set *known, const struct emb_triples *eval,
                        int64_t max_triples, struct emb_pool *pool, float **scores) {
    struct emb_kge_rank_stats st;
    quick_stats(m, known, eval, max_triples, pool, scores, &st);
    return st.mrr;
}

static float **score_rows_new(int nth, int64_t n) {
    float **s = emb_calloc((size_t)nth, sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < nth; i++)
        if (!(s[i] = emb_alloc((size_t)n * sizeof(float)))) {
            for (int k = 0; k < i; k++) emb_free(s[k]);
            emb_free(s);
            return NULL;
        }
    return s;
}

static void score_rows_free(float **s, int nth) {
    if (!s) return;
    for (int i = 0; i < nth; i++) emb_free(s[i]);
    emb_free(s);
}

int emb_kge_quick_eval(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                       int64_t max_triples, int n_threads, struct emb_kge_rank_stats *out, struct emb_err *err) {
    struct tri_set known = {0, NULL};
    struct emb_pool *pool = NULL;
    float **scores = NULL;
    int rc = EMB_OK;
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 1024) n_threads = 1024;
    memset(out, 0, sizeof *out);
    if (m->ent->n_rows != kg->n_entities || emb_kge_n_relations(m) != kg->n_relations)
        return emb_err_set(err, EMB_EINVAL, "the model has %lld entities and %d relations, the dataset %d and %d",
                           (long long)m->ent->n_rows, emb_kge_n_relations(m), kg->n_entities, kg->n_relations);
    if (tri_build(&known, kg) != EMB_OK || (rc = emb_pool_new(&pool, n_threads, err)) != EMB_OK ||
        !(scores = score_rows_new(n_threads, m->ent->n_rows))) {
        if (rc == EMB_OK) rc = emb_err_set(err, EMB_ENOMEM, "out of memory for evaluation");
    } else {
        quick_stats(m, &known, eval, max_triples, pool, scores, out);
    }
    score_rows_free(scores, n_threads);
    emb_pool_free(pool);
    emb_free(known.keys);
    return rc;
}

double emb_kge_quick_mrr(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                         int64_t max_triples, int n_threads) {
    struct emb_kge_rank_stats st;
    return emb_kge_quick_eval(m, kg, eval, max_triples, n_threads, &st, NULL) == EMB_OK ? st.mrr : -1;
}

/* ---- training: one chunk ------------------------------------------------
 *
 * A chunk is n_pos positive triples that share n_neg negative entities.
 * Positive i corrupts its head (head[i] = 1) or its tail; its query q_i
 * is built from the other entity and the relation, so the positive score is
 * F(q_i, e_i) (e_i the true corrupted-side entity) and the negative scores
 * are F(q_i, n_j) -- for DistMult/ComplEx a (n_pos x w) by (w x n_neg)
 * product. The loss and its gradient then flow back to the rows the chunk
 * touched, which the scratch collects by slot (one gradient row per
 * distinct entity or relation). */

#define ADAM_B1 0.9f
#define ADAM_B2 0.999f
#define ADAM_EPS 1e-8f
#define ADAGRAD_EPS 1e-10f

struct chunk_scratch {
    int cap_pos, cap_neg;
    float *q, *gq;          /* (cap_pos, we) */
    float *rc, *grc;        /* (cap_pos, 2*dim) prepared relations and their gradients */
    float *s;               /* (cap_pos, cap_neg) negative scores, then dL/dS */
    float *ct;              /* (cap_neg, cap_pos) dL/dS transposed */
    float *pos, *cpos;      /* (cap_pos) positive scores, dL/ds */
    float *w;               /* (cap_neg) softmax scratch */
    float *ge;              /* (2*cap_pos + cap_neg, we) entity gradients by slot */
    float *gr;              /* (cap_pos, wr) relation gradients by slot */
    int32_t *eslot, *rslot; /* (n_entities), (n_relations): slot or -1 */
    int32_t *euniq, *runiq; /* ids by slot */
    int32_t n_eu, n_ru;
    int32_t *pslot_a, *pslot_e, *pslot_r; /* (cap_pos) slots of anchor, answer, relation */
    int32_t *nslot;         /* (cap_neg) */
    const float **nptr, **qptr;
    int32_t *bh, *br, *bt, *bneg; /* the chunk's triples (cap_pos) and negatives (cap_neg) */
    uint8_t *bhead;               /* (cap_pos) */
    float *bw;                    /* (cap_pos) positives' subsampling weights */
    uint8_t *bmask;               /* (cap_pos, cap_neg) true answers among the negatives */
};

static void scratch_free(struct chunk_scratch *c) {
    emb_free_aligned(c->q);
    emb_free_aligned(c->gq);
    emb_free_aligned(c->rc);
    emb_free_aligned(c->grc);
    emb_free(c->s);
    emb_free(c->ct);
    emb_free(c->pos);
    emb_free(c->cpos);
    emb_free(c->w);
    emb_free_aligned(c->ge);
    emb_free_aligned(c->gr);
    emb_free(c->eslot);
    emb_free(c->rslot);
    emb_free(c->euniq);
    emb_free(c->runiq);
    emb_free(c->pslot_a);
    emb_free(c->pslot_e);
    emb_free(c->pslot_r);
    emb_free(c->nslot);
    emb_free(c->nptr);
    emb_free(c->qptr);
    emb_free(c->bh);
    emb_free(c->br);
    emb_free(c->bt);
    emb_free(c->bneg);
    emb_free(c->bhead);
    emb_free(c->bw);
    emb_free(c->bmask);
}

static int scratch_new(struct chunk_scratch *c, const struct emb_kge *m, int cap_pos, int cap_neg) {
    memset(c, 0, sizeof *c);
    c->cap_pos = cap_pos;
    c->cap_neg = cap_neg;
    size_t we = (size_t)m->ent->dim_padded, wr = (size_t)m->rel->dim_padded, w2 = 2 * (size_t)m->dim;
    size_t ne = (size_t)m->ent->n_rows, nr = (size_t)m->rel->n_rows, cp = (size_t)cap_pos, cn = (size_t)cap_neg;
    c->q = emb_alloc_aligned(cp * we * sizeof(float));
    c->gq = emb_alloc_aligned(cp * we * sizeof(float));
    c->rc = emb_alloc_aligned(cp * w2 * sizeof(float));
    c->grc = emb_alloc_aligned(cp * w2 * sizeof(float));
    c->s = emb_alloc(cp * cn * sizeof(float));
    c->ct = emb_alloc(cp * cn * sizeof(float));
    c->pos = emb_alloc(cp * sizeof(float));
    c->cpos = emb_alloc(cp * sizeof(float));
    c->w = emb_alloc(cn * sizeof(float));
    c->ge = emb_alloc_aligned((2 * cp + cn) * we * sizeof(float));
    c->gr = emb_alloc_aligned(cp * wr * sizeof(float));
    c->eslot = emb_alloc(ne * sizeof(int32_t));
    c->rslot = emb_alloc(nr * sizeof(int32_t));
    c->euniq = emb_alloc((2 * cp + cn) * sizeof(int32_t));
    c->runiq = emb_alloc(cp * sizeof(int32_t));
    c->pslot_a = emb_alloc(cp * sizeof(int32_t));
    c->pslot_e = emb_alloc(cp * sizeof(int32_t));
    c->pslot_r = emb_alloc(cp * sizeof(int32_t));
    c->nslot = emb_alloc(cn * sizeof(int32_t));
    c->nptr = emb_alloc(cn * sizeof(float *));
    c->qptr = emb_alloc(cp * sizeof(float *));
    c->bh = emb_alloc(cp * sizeof(int32_t));
    c->br = emb_alloc(cp * sizeof(int32_t));
    c->bt = emb_alloc(cp * sizeof(int32_t));
    c->bhead = emb_alloc(cp);
    c->bw = emb_alloc(cp * sizeof(float));
    c->bneg = emb_alloc(cn * sizeof(int32_t));
    c->bmask = emb_alloc(cp * cn);
    if (!c->w || !c->bmask || !c->bh || !c->br || !c->bt || !c->bhead || !c->bw || !c->bneg ||
        !c->q || !c->gq || !c->rc || !c->grc || !c->s || !c->ct || !c->pos || !c->cpos || !c->ge || !c->gr ||
        !c->eslot || !c->rslot || !c->euniq || !c->runiq || !c->pslot_a || !c->pslot_e || !c->pslot_r ||
        !c->nslot || !c->nptr || !c->qptr) {
        scratch_free(c);
        return EMB_ENOMEM;
    }
    memset(c->eslot, 0xff, ne * sizeof(int32_t));
    memset(c->rslot, 0xff, nr * sizeof(int32_t));
    return EMB_OK;
}

static int32_t ent_slot(struct chunk_scratch *c, const struct emb_kge *m, int32_t e) {
    if (c->eslot[e] < 0) {
        c->eslot[e] = c->n_eu;
        c->euniq[c->n_eu] = e;
        memset(c->ge + (size_t)c->n_eu * m->ent->dim_padded, 0, (size_t)m->ent->dim_padded * sizeof(float));
        c->n_eu++;
    }
    return c->eslot[e];
}

static int32_t rel_slot(struct chunk_scratch *c, const struct emb_kge *m, int32_t r) {
    if (c->rslot[r] < 0) {
        int32_t s = c->rslot[r] = c->n_ru;
        c->runiq[s] = r;
        memset(c->gr + (size_t)s * m->rel->dim_padded, 0, (size_t)m->rel->dim_padded * sizeof(float));
        memset(c->grc + (size_t)s * 2 * m->dim, 0, 2 * (size_t)m->dim * sizeof(float));
        rel_prepare(m, emb_table_row(m->rel, r), c->rc + (size_t)s * 2 * m->dim);
        c->n_ru++;
    }
    return c->rslot[r];
}

static void slots_clear(struct chunk_scratch *c) {
    for (int32_t i = 0; i < c->n_eu; i++) c->eslot[c->euniq[i]] = -1;
    for (int32_t i = 0; i < c->n_ru; i++) c->rslot[c->runiq[i]] = -1;
    c->n_eu = c->n_ru = 0;
}

static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Loss of positive i given its score and its negatives' scores s (n_neg),
 * which are replaced by dL/dS; *cpos gets dL/ds. */
static double pos_loss(const struct emb_kge_params *p, float sp, float *s, float *w, int n_neg, float *cpos) {
    double loss = 0;
    /* Negatives filtered out (--filter-negatives) arrive as -inf: they get
     * no weight and no gradient, and the means are over the others. */
    int n_ok = 0;
    for (int j = 0; j < n_neg; j++) n_ok += s[j] != -INFINITY;
    if (p->loss == EMB_KGE_LOSS_MARGIN) {
        int active = 0;
        for (int j = 0; j < n_neg; j++) {
            float v = p->gamma - sp + s[j];
            if (v > 0) {
                loss += v;
                active++;
                s[j] = 1.0f / (float)n_ok;
            } else {
                s[j] = 0;
            }
        }
        *cpos = n_ok ? -(float)active / (float)n_ok : 0.0f;
        return n_ok ? loss / n_ok : 0.0;
    }
    /* Self-adversarial weights softmax(alpha S), treated as constants (the
     * RotatE paper); alpha = 0 or the logistic loss: uniform 1/n_neg. The
     * weights' exponentials are kept in w (n_neg scratch). Float math: this
     * loop is a quarter of DistMult's time in double. */
    float alpha = p->loss == EMB_KGE_LOSS_ADV ? p->adv_temp : 0.0f, mx = -INFINITY, z = 0;
    loss = 0.5 * softplus(-sp);
    *cpos = -0.5f * sigmoidf(-sp);
    if (n_ok == 0) { /* every negative was a true answer */
        for (int j = 0; j < n_neg; j++) s[j] = 0;
        return loss;
    }
    for (int j = 0; j < n_neg; j++) mx = s[j] > mx ? s[j] : mx;
    for (int j = 0; j < n_neg; j++) z += (w[j] = s[j] == -INFINITY ? 0.0f : expf(alpha * (s[j] - mx)));
    const float iz = 0.5f / z;
    for (int j = 0; j < n_neg; j++) {
        /* softplus(x) = max(x, 0) + log1p(e^-|x|), sigmoid from the same e^-|x| */
        float x = s[j], t = expf(-fabsf(x)), wj = w[j] * iz;
        loss += (double)(wj * ((x > 0 ? x : 0) + log1pf(t)));
        float g = wj * (x >= 0 ? 1.0f : t) / (1.0f + t);
        /* Gradients below 1e-30 would be denormal (slow on x86, and no
         * use): they become exact zeros, which the backward skips. */
        s[j] = g < 1e-30f ? 0.0f : g;
    }
    return loss;
}

/* Regulariser on one row x (n floats): adds it to *loss (which the caller
 * scales later) and scale times its gradient to g. */
static void reg_row(const struct emb_kge_params *p, float scale, const float *x, int n, float *g, double *loss) {
    float lam = p->reg_weight, lg = lam * scale;
    if (p->reg == EMB_KGE_REG_L2) {
        for (int k = 0; k < n; k++) {
            *loss += (double)lam * x[k] * x[k];
            g[k] += 2 * lg * x[k];
        }
    } else if (p->reg == EMB_KGE_REG_N3) {
        for (int k = 0; k < n; k++) {
            float a = fabsf(x[k]);
            *loss += (double)lam * a * a * a;
            g[k] += 3 * lg * a * x[k];
        }
    }
}

/* Negatives per block in the chunk loops: about 256 KB of rows. */
static int neg_tile(int32_t width) {
    int t = (int)((256 * 1024 / sizeof(float)) / (size_t)width);
    return t < 8 ? 8 : t;
}

/* Loss (mean over the positives) and gradients of one chunk into c's slot
 * rows. h, r, t: (n_pos), head: (n_pos) 1 = corrupt the head, neg: (n_neg);
 * mask: NULL, or (n_pos, n_neg) with 1 where negative j is a true answer
 * of positive i (it is left out of i's loss). */

static double chunk_grad(const struct emb_kge *m, const struct emb_kge_params *p, const struct kge_kern *kn,
                         struct chunk_scratch *c, int n_pos, const int32_t *h, const int32_t *r, const int32_t *t,
                         const uint8_t *head, const float *wt, int n_neg, const int32_t *neg,
                         const uint8_t *mask) {
    const int32_t we = m->ent->dim, wep = m->ent->dim_padded, wr = m->rel->dim, d2 = 2 * m->dim;
    const int dot = m->model == EMB_KGE_DISTMULT || m->model == EMB_KGE_COMPLEX;
    const float inv = 1.0f / (float)n_pos;
    /* share of positive i in the chunk's loss: 1/n, or wt[i] / sum(wt) */
    double wsum = 0;
    if (wt)
        for (int i = 0; i < n_pos; i++) wsum += wt[i];
    const float wscale = wt ? (float)(1.0 / wsum) : inv;
    double loss = 0, reg_loss = 0;
    for (int j = 0; j < n_neg; j++) {
        c->nslot[j] = ent_slot(c, m, neg[j]);
        c->nptr[j] = emb_table_row(m->ent, neg[j]);
    }
    for (int i = 0; i < n_pos; i++) {
        int32_t a = head[i] ? t[i] : h[i], e = head[i] ? h[i] : t[i];
        c->pslot_a[i] = ent_slot(c, m, a);
        c->pslot_e[i] = ent_slot(c, m, e);
        c->pslot_r[i] = rel_slot(c, m, r[i]);
        const float *rp = m->model == EMB_KGE_ROTATE ? c->rc + (size_t)c->pslot_r[i] * d2 : emb_table_row(m->rel, r[i]);
        float *q = c->q + (size_t)i * wep;
        query(m, head[i], emb_table_row(m->ent, a), rp, q);
        memset(q + we, 0, (size_t)(wep - we) * sizeof(float));
        c->qptr[i] = q;
        c->pos[i] = match(m, kn, q, emb_table_row(m->ent, e));
    }
    /* Blocks of negatives small enough to stay in L2 while every query of
     * the chunk scores them (1024 negatives of dim 1000 are 4 MB). */
    const int ntile = neg_tile(wep);
    if (dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int nj = n_neg - j0 < ntile ? n_neg - j0 : ntile;
            for (int i = 0; i < n_pos; i++)
                kn->ops.dot_many(wep, c->qptr[i], nj, c->nptr + j0, c->s + (size_t)i * n_neg + j0);
        }
    /* Distance models: the same blocks of negatives (kept in L2), and within
     * a block tiles of TILE queries against each negative, so the tile stays
     * in L1 while the negative row streams past it. */
    if (!dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int j1 = n_neg - j0 < ntile ? n_neg : j0 + ntile;
            for (int i0 = 0; i0 < n_pos; i0 += TILE) {
                int nt = n_pos - i0 < TILE ? n_pos - i0 : TILE;
                float out[TILE];
                for (int j = j0; j < j1; j++) {
                    match_tile(m, kn, nt, c->qptr + i0, c->nptr[j], out);
                    for (int i = 0; i < nt; i++) c->s[(size_t)(i0 + i) * n_neg + j] = out[i];
                }
            }
        }
    if (mask)
        for (size_t k = 0; k < (size_t)n_pos * (size_t)n_neg; k++)
            if (mask[k]) c->s[k] = -INFINITY;
    for (int i = 0; i < n_pos; i++)
        loss += (wt ? wt[i] * wscale : inv) * pos_loss(p, c->pos[i], c->s + (size_t)i * n_neg, c->w, n_neg, &c->cpos[i]);
    /* Backward: dL/dq, dL/d(answer), dL/d(negatives). */
    for (int i = 0; i < n_pos; i++) {
        float *gq = c->gq + (size_t)i * wep, *s = c->s + (size_t)i * n_neg;
        const float *q = c->q + (size_t)i * wep;
        int32_t e = head[i] ? h[i] : t[i];
        const float ai = wt ? wt[i] * wscale : inv;
        memset(gq, 0, (size_t)wep * sizeof(float));
        for (int j = 0; j < n_neg; j++) s[j] *= ai;
        match_grad(m, kn, q, emb_table_row(m->ent, e), c->cpos[i] * ai, gq, c->ge + (size_t)c->pslot_e[i] * wep);
        if (dot)
            for (int j = 0; j < n_neg; j++) c->ct[(size_t)j * n_pos + i] = s[j];
    }
    if (dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int nj = n_neg - j0 < ntile ? n_neg - j0 : ntile;
            for (int i = 0; i < n_pos; i++)
                kn->ops.axpy_many(wep, nj, c->s + (size_t)i * n_neg + j0, c->nptr + j0, c->gq + (size_t)i * wep);
        }
    if (!dot) /* blocked as in the forward pass; a block's gradient rows stay in L2 too */
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int j1 = n_neg - j0 < ntile ? n_neg : j0 + ntile;
            for (int i0 = 0; i0 < n_pos; i0 += TILE) {
                int nt = n_pos - i0 < TILE ? n_pos - i0 : TILE;
                float *gq[TILE], cij[TILE];
                for (int i = 0; i < nt; i++) gq[i] = c->gq + (size_t)(i0 + i) * wep;
                for (int j = j0; j < j1; j++) {
                    for (int i = 0; i < nt; i++) cij[i] = c->s[(size_t)(i0 + i) * n_neg + j];
                    match_grad_tile(m, kn, nt, c->qptr + i0, c->nptr[j], cij, gq, c->ge + (size_t)c->nslot[j] * wep);
                }
            }
        }
    if (dot)
        for (int j = 0; j < n_neg; j++)
            kn->ops.axpy_many(wep, n_pos, c->ct + (size_t)j * n_pos, c->qptr, c->ge + (size_t)c->nslot[j] * wep);
    /* Back through the queries to anchors and relations; regulariser. */
    for (int i = 0; i < n_pos; i++) {
        int32_t a = head[i] ? t[i] : h[i];
        int32_t rs = c->pslot_r[i];
        const float *rp = m->model == EMB_KGE_ROTATE ? c->rc + (size_t)rs * d2 : emb_table_row(m->rel, r[i]);
        float *grp = m->model == EMB_KGE_ROTATE ? c->grc + (size_t)rs * d2 : c->gr + (size_t)rs * m->rel->dim_padded;
        query_back(m, head[i], emb_table_row(m->ent, a), rp, c->gq + (size_t)i * wep, c->ge + (size_t)c->pslot_a[i] * wep,
                   grp);
        if (p->reg != EMB_KGE_REG_NONE && p->reg_weight > 0) {
            reg_row(p, inv, emb_table_row(m->ent, h[i]), we, c->ge + (size_t)c->eslot[h[i]] * wep, &reg_loss);
            reg_row(p, inv, emb_table_row(m->ent, t[i]), we, c->ge + (size_t)c->eslot[t[i]] * wep, &reg_loss);
            if (m->model != EMB_KGE_ROTATE) /* phases have no size to penalise */
                reg_row(p, inv, emb_table_row(m->rel, r[i]), wr, c->gr + (size_t)rs * m->rel->dim_padded, &reg_loss);
        }
    }
    for (int32_t s = 0; s < c->n_ru; s++)
        rel_back(m, c->rc + (size_t)s * d2, c->grc + (size_t)s * d2, c->gr + (size_t)s * m->rel->dim_padded);
    return loss + reg_loss * inv; /* the regulariser stays a plain mean over the positives */
}

/* For tests: the chunk loss and its gradient as dense tables ge
 * (n_entities, ent dim) and gr (n_relations, rel dim), unpadded. */
double emb__kge_chunk_grad_dense(const struct emb_kge *m, const struct emb_kge_params *p, int n_pos,
                                 const int32_t *h, const int32_t *r, const int32_t *t, const uint8_t *head,
                                 const float *wt, int n_neg, const int32_t *neg, const uint8_t *mask, float *ge,
                                 float *gr) {
    struct chunk_scratch c;
    struct kge_kern kn = kern_get(p->simd);
    if (scratch_new(&c, m, n_pos, n_neg) != EMB_OK) return NAN;
    double loss = chunk_grad(m, p, &kn, &c, n_pos, h, r, t, head, wt, n_neg, neg, mask);
    memset(ge, 0, (size_t)(m->ent->n_rows * m->ent->dim) * sizeof(float));
    memset(gr, 0, (size_t)(m->rel->n_rows * m->rel->dim) * sizeof(float));
    for (int32_t s = 0; s < c.n_eu; s++)
        memcpy(ge + (size_t)c.euniq[s] * m->ent->dim, c.ge + (size_t)s * m->ent->dim_padded,
               (size_t)m->ent->dim * sizeof(float));
    for (int32_t s = 0; s < c.n_ru; s++)
        memcpy(gr + (size_t)c.runiq[s] * m->rel->dim, c.gr + (size_t)s * m->rel->dim_padded,
               (size_t)m->rel->dim * sizeof(float));
    scratch_free(&c);
    return loss;
}

/* ---- training: negatives that are true answers --------------------------
 *
 * The RotatE code draws a positive's negatives again until none of them is
 * a true answer in train. Here negatives are shared by a chunk, so the
 * (positive, negative) pairs that are true answers are masked out of that
 * positive's loss instead (--filter-negatives). The true answers come from
 * two sorted copies of train: rows (h, r, t) answer (h, r, ?) and rows
 * (t, r, h) answer (?, r, t) and, with reciprocal relations, (t, r^-1, ?). */

struct kge_filter {
    int64_t n;
    int32_t n_rel;                /* relations of the data (inverse rows are n_rel + r) */
    int32_t *by_head;             /* (n, 3): (h, r, t) sorted */
    int32_t *by_tail;             /* (n, 3): (t, r, h) sorted */
    int64_t *head_off, *tail_off; /* (n_ent + 1): entity a's rows start at off[a] */
};

static int i3_cmp(const void *a, const void *b) {
    const int32_t *x = a, *y = b;
    for (int k = 0; k < 3; k++)
        if (x[k] != y[k]) return (x[k] > y[k]) - (x[k] < y[k]);
    return 0;
}

static int i32_cmp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void filter_free(struct kge_filter *f) {
    emb_free(f->by_head);
    emb_free(f->by_tail);
    emb_free(f->head_off);
    emb_free(f->tail_off);
    memset(f, 0, sizeof *f);
}

/* Offsets of each entity's rows in sorted rows (first column). */
static void filter_offsets(const int32_t *rows, int64_t n, int32_t n_ent, int64_t *off) {
    int64_t i = 0;
    for (int32_t a = 0; a <= n_ent; a++) {
        while (i < n && rows[3 * i] < a) i++;
        off[a] = i;
    }
}

static int filter_build(struct kge_filter *f, const struct emb_triples *t, int32_t n_ent, int32_t n_rel) {
    size_t bytes = (size_t)(t->n > 0 ? t->n : 1) * 3 * sizeof(int32_t);
    f->n = t->n;
    f->n_rel = n_rel;
    f->by_head = emb_alloc(bytes);
    f->by_tail = emb_alloc(bytes);
    f->head_off = emb_alloc(((size_t)n_ent + 1) * sizeof(int64_t));
    f->tail_off = emb_alloc(((size_t)n_ent + 1) * sizeof(int64_t));
    if (!f->by_head || !f->by_tail || !f->head_off || !f->tail_off) {
        filter_free(f);
        return EMB_ENOMEM;
    }
    for (int64_t i = 0; i < t->n; i++) {
        int32_t *a = f->by_head + 3 * i, *b = f->by_tail + 3 * i;
        a[0] = t->h[i], a[1] = t->r[i], a[2] = t->t[i];
        b[0] = t->t[i], b[1] = t->r[i], b[2] = t->h[i];
    }
    qsort(f->by_head, (size_t)t->n, 3 * sizeof(int32_t), i3_cmp);
    qsort(f->by_tail, (size_t)t->n, 3 * sizeof(int32_t), i3_cmp);
    filter_offsets(f->by_head, t->n, n_ent, f->head_off);
    filter_offsets(f->by_tail, t->n, n_ent, f->tail_off);
    return EMB_OK;
}

/* The rows of sorted (a, r, e) rows that start with (a, r) -- searched
 * within a's rows, off[a] to off[a + 1]: *count of them; returns the first
 * one's e (the others follow at stride 3). */
static const int32_t *filter_answers(const int32_t *rows, const int64_t *off, int32_t a, int32_t r,
                                     int64_t *count) {
    int64_t lo = off[a], hi = off[a + 1], end = hi;
    while (lo < hi) { /* first row with relation >= r */
        int64_t mid = lo + (hi - lo) / 2;
        if (rows[3 * mid + 1] < r) lo = mid + 1;
        else hi = mid;
    }
    int64_t first = lo;
    hi = end;
    while (lo < hi) { /* first row with relation > r */
        int64_t mid = lo + (hi - lo) / 2;
        if (rows[3 * mid + 1] <= r) lo = mid + 1;
        else hi = mid;
    }
    *count = lo - first;
    return rows + 3 * first + 2;
}

/* One positive's row of the mask: row[j] = 1 when neg[j] (sorted
 * ascending) answers its query -- (?, r, t) when head, else (h, r, ?),
 * r >= n_rel being the inverse of r - n_rel. Both lists are sorted, so
 * one merge walk finds the common ids (repeats on either side included). */
static void filter_row(const struct kge_filter *f, int head, int32_t h, int32_t r, int32_t t, int n_neg,
                       const int32_t *neg, uint8_t *row) {
    int64_t k;
    const int32_t *e = head ? filter_answers(f->by_tail, f->tail_off, t, r, &k)
                       : r >= f->n_rel ? filter_answers(f->by_tail, f->tail_off, h, r - f->n_rel, &k)
                                       : filter_answers(f->by_head, f->head_off, h, r, &k);
    int64_t x = 0;
    for (int j = 0; x < k && j < n_neg;) {
        if (e[3 * x] < neg[j]) x++;
        else if (e[3 * x] > neg[j]) j++;
        else row[j++] = 1;
    }
}

/* Sort a chunk's negatives and fill its mask (n_pos, n_neg). */
static void filter_chunk(const struct kge_filter *f, int n_pos, const int32_t *h, const int32_t *r, const int32_t *t,
                         const uint8_t *head, int n_neg, int32_t *neg, uint8_t *mask) {
    qsort(neg, (size_t)n_neg, sizeof *neg, i32_cmp);
    memset(mask, 0, (size_t)n_pos * (size_t)n_neg);
    for (int i = 0; i < n_pos; i++) filter_row(f, head[i], h[i], r[i], t[i], n_neg, neg, mask + (size_t)i * n_neg);
}

/* For tests: filter_chunk with the filter built from train. */
int emb__kge_filter_mask(const struct emb_triples *train, int32_t n_ent, int32_t n_rel, int n_pos, const int32_t *h,
                         const int32_t *r, const int32_t *t, const uint8_t *head, int n_neg, int32_t *neg,
                         uint8_t *mask) {
    struct kge_filter f;
    if (filter_build(&f, train, n_ent, n_rel) != EMB_OK) return EMB_ENOMEM;
    filter_chunk(&f, n_pos, h, r, t, head, n_neg, neg, mask);
    filter_free(&f);
    return EMB_OK;
}

/* ---- training: state, optimiser, threads -------------------------------- */

#define CKPT_MAGIC "EMBKGEC\0"

struct trainer {
    const struct emb_kg *kg;
    const struct emb_kge_params *p;
    struct emb_kge *m;
    struct kge_kern kn;
    struct emb_table *e1, *e2, *r1, *r2; /* optimiser state: Adam moments, or Adagrad sums (e1, r1) */
    float *p_head;                       /* (n_relations) Bernoulli: probability of corrupting the head */
    float *wt;                           /* (n_train) subsampling weights, or NULL */
    struct kge_filter filter;            /* --filter-negatives (by_head NULL: off) */
    int32_t *perm;                       /* (n_train) this epoch's order */
    int64_t perm_epoch;
    int64_t n_steps, steps_per_epoch, step;
    int nth, chunk, chunks_per_step; /* chunks of a full batch */
    struct emb_rng *rng;                 /* (nth) */
    struct chunk_scratch *cs;            /* (nth) */
    double *loss;                        /* (nth) this step */
    float lr, rel_lr_scale;
    /* early stopping */
    struct tri_set known;
    float **scores;
    struct emb_table *best_ent, *best_rel;
    double best_mrr, last_mrr;
    int64_t best_step, bad_evals;
};

/* Adam's bias corrections 1 - beta^t, t the number of updates so far. */
struct adam_bc {
    float bc1, bc2;
};

/* Update the row w (n floats) with gradient g; s1, s2: optimiser state rows. */
static void opt_row(const struct trainer *tr, struct adam_bc bc, float *w, float *s1, float *s2, const float *g, int n,
                    float lr) {
    if (tr->p->optimizer == EMB_KGE_OPT_ADAGRAD) {
        for (int k = 0; k < n; k++) {
            s1[k] += g[k] * g[k];
            w[k] -= lr * g[k] / (sqrtf(s1[k]) + ADAGRAD_EPS);
        }
        return;
    }
    /* Lazy Adam: only rows the chunk touched move; bias corrections use the
     * global count of updates (as PyTorch's SparseAdam does). */
    if (tr->kn.adam) {
        tr->kn.adam(n, w, s1, s2, g, lr, bc.bc1, bc.bc2);
        return;
    }
    for (int k = 0; k < n; k++) {
        s1[k] = ADAM_B1 * s1[k] + (1 - ADAM_B1) * g[k];
        s2[k] = ADAM_B2 * s2[k] + (1 - ADAM_B2) * g[k] * g[k];
        w[k] -= lr * (s1[k] / bc.bc1) / (sqrtf(s2[k] / bc.bc2) + ADAM_EPS);
    }
}

/* Epoch e's order of the training triples: a Fisher-Yates shuffle from
 * its own stream, so resuming reproduces it. */
static void make_perm(struct trainer *tr, int64_t epoch) {
    int64_t n = tr->kg->train.n;
    for (int64_t i = 0; i < n; i++) tr->perm[i] = (int32_t)i;
    struct emb_rng r;
    emb_rng_seed(&r, tr->p->seed ^ 0x5851f42d4c957f2dull, (uint64_t)epoch);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)emb_rng_below(&r, (uint64_t)i + 1);
        int32_t x = tr->perm[i];
        tr->perm[i] = tr->perm[j];
        tr->perm[j] = x;
    }
    tr->perm_epoch = epoch;
}

static void train_worker(void *ctx, int ith, int nth) {
    struct trainer *tr = ctx;
    const struct emb_kge_params *p = tr->p;
    struct emb_kge *m = tr->m;
    struct chunk_scratch *c = &tr->cs[ith];
    struct emb_rng *rng = &tr->rng[ith];
    const struct emb_triples *tri = &tr->kg->train;
    const int64_t b = tr->step % tr->steps_per_epoch, lo = b * p->batch;
    const int64_t hi = lo + p->batch < tri->n ? lo + p->batch : tri->n;
    const int n_chunks = (int)((hi - lo + tr->chunk - 1) / tr->chunk);
    const int64_t wep = m->ent->dim_padded, wrp = m->rel->dim_padded;
    double loss = 0;
    for (int k = ith; k < n_chunks; k += nth) {
        int64_t c0 = lo + (int64_t)k * tr->chunk, c1 = c0 + tr->chunk < hi ? c0 + tr->chunk : hi;
        int n_pos = (int)(c1 - c0);
        /* Uniform: the whole chunk corrupts heads or tails, alternating by
         * chunk and step; Bernoulli: each positive draws its side. */
        uint8_t side = (uint8_t)((tr->step + k) & 1);
        for (int i = 0; i < n_pos; i++) {
            int32_t x = tr->perm[c0 + i];
            c->bh[i] = tri->h[x];
            c->br[i] = tri->r[x];
            c->bt[i] = tri->t[x];
            c->bhead[i] = p->neg_sampling == EMB_KGE_NEG_BERNOULLI ? (uint8_t)(emb_rng_uniform(rng) < tr->p_head[c->br[i]])
                                                                   : side;
            if (tr->wt) c->bw[i] = tr->wt[x];
            if (m->reciprocal && c->bhead[i]) { /* (?, r, t) is asked as (t, r^-1, ?) */
                c->bh[i] = tri->t[x];
                c->bt[i] = tri->h[x];
                c->br[i] = emb_kge_head_rel(m, tri->r[x]);
                c->bhead[i] = 0;
            }
        }
        for (int j = 0; j < p->negatives; j++) c->bneg[j] = (int32_t)emb_rng_below(rng, (uint64_t)m->ent->n_rows);
        if (tr->filter.by_head)
            filter_chunk(&tr->filter, n_pos, c->bh, c->br, c->bt, c->bhead, p->negatives, c->bneg, c->bmask);
        loss += chunk_grad(m, p, &tr->kn, c, n_pos, c->bh, c->br, c->bt, c->bhead, tr->wt ? c->bw : NULL,
                           p->negatives, c->bneg, tr->filter.by_head ? c->bmask : NULL) *
                n_pos;
        /* Each chunk is one optimiser update: the t of Adam's bias
         * corrections counts chunks (step * chunks of a full batch + k + 1),
         * as a framework stepping its optimiser once per chunk would. */
        double t = (double)tr->step * (double)tr->chunks_per_step + (double)k + 1.0;
        struct adam_bc bc = {(float)(1.0 - pow(ADAM_B1, t)), (float)(1.0 - pow(ADAM_B2, t))};
        for (int32_t s = 0; s < c->n_eu; s++) {
            int64_t e = c->euniq[s];
            opt_row(tr, bc, emb_table_row(m->ent, e), emb_table_row(tr->e1, e), tr->e2 ? emb_table_row(tr->e2, e) : NULL,
                    c->ge + s * wep, m->ent->dim, tr->lr);
        }
        for (int32_t s = 0; s < c->n_ru; s++) {
            int64_t r = c->runiq[s];
            opt_row(tr, bc, emb_table_row(m->rel, r), emb_table_row(tr->r1, r), tr->r2 ? emb_table_row(tr->r2, r) : NULL,
                    c->gr + s * wrp, m->rel->dim, tr->lr * tr->rel_lr_scale);
        }
        slots_clear(c);
    }
    tr->loss[ith] = loss;
}

/* ---- training: checkpoints ---------------------------------------------- */

/* The settings that shape training, as "key=value" lines named after the
 * CLI options: saved in checkpoints, required on resume. Not the step
 * count (a run may be continued for longer) nor the thread count. */
static void train_settings(char *kv, size_t size, const struct trainer *tr) {
    static const char *const loss[] = {"adv", "logistic", "margin"}, *const reg[] = {"none", "l2", "n3"},
                             *const sampling[] = {"uniform", "bernoulli"};
    const struct emb_kge_params *p = tr->p;
    const struct emb_triples *t = &tr->kg->train;
    uint32_t crc = emb_crc32(0, t->h, (size_t)t->n * sizeof *t->h);
    crc = emb_crc32(crc, t->r, (size_t)t->n * sizeof *t->r);
    crc = emb_crc32(crc, t->t, (size_t)t->n * sizeof *t->t);
    snprintf(kv, size,
             "loss=%s\nadv-temp=%.9g\nnegatives=%d\nbatch=%d\nchunk=%d\nsampling=%s\nlr=%.9g\nlr-drop=%.9g\nreg=%s\n"
             "reg-weight=%.9g\ninit-scale=%.9g\nsubsampling=%d\nfilter-negatives=%d\nseed=%llu\nmargin=%.9g\n"
             "train_triples=%lld\ntrain_crc=%08x\n",
             (unsigned)p->loss < 3 ? loss[p->loss] : "?", (double)p->adv_temp, p->negatives, p->batch, p->chunk,
             (unsigned)p->neg_sampling < 2 ? sampling[p->neg_sampling] : "?", (double)p->lr, (double)p->lr_drop_at,
             (unsigned)p->reg < 3 ? reg[p->reg] : "?", (double)p->reg_weight, (double)p->init_scale,
             p->subsampling != 0, p->filter_negatives != 0, (unsigned long long)p->seed, (double)p->gamma,
             (long long)t->n, (unsigned)crc);
}

static int ckpt_write(struct trainer *tr, struct emb_err *err) {
    const char *path = tr->p->checkpoint_path;
    if (emb_table_find_nonfinite(tr->m->ent) >= 0 || emb_table_find_nonfinite(tr->m->rel) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "non-finite values at step %lld; checkpoint %s not overwritten",
                           (long long)tr->step, path);
    char kv[2048];
    int n = snprintf(kv, sizeof kv,
                     "step=%lld\nn_rng=%d\noptimizer=%d\nhas_best=%d\nbest_mrr=%.17g\nbest_step=%lld\nbad_evals=%lld\n",
                     (long long)tr->step, tr->nth, (int)tr->p->optimizer, tr->best_ent != NULL, tr->best_mrr,
                     (long long)tr->best_step, (long long)tr->bad_evals);
    train_settings(kv + n, sizeof kv - (size_t)n, tr);
    struct emb_outfile *o = NULL;
    struct emb_crc_writer *cw = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_crc_writer_open(&cw, emb_outfile_stream(o))) != EMB_OK) {
        emb_outfile_abort(o);
        return emb_err_set(err, rc, "out of memory writing checkpoint %s", path);
    }
    FILE *f = emb_crc_writer_stream(cw);
    uint64_t rs[4 * 1024];
    for (int i = 0; i < tr->nth; i++) memcpy(rs + 4 * i, tr->rng[i].s, sizeof tr->rng[i].s);
    rc = emb__kge_write(tr->m, cw, CKPT_MAGIC, kv);
    if (rc == EMB_OK) rc = write_table(f, tr->e1);
    if (rc == EMB_OK && tr->e2) rc = write_table(f, tr->e2);
    if (rc == EMB_OK) rc = write_table(f, tr->r1);
    if (rc == EMB_OK && tr->r2) rc = write_table(f, tr->r2);
    if (rc == EMB_OK) rc = emb_write_array(f, rs, 4 * (int64_t)tr->nth, sizeof *rs);
    if (rc == EMB_OK && tr->best_ent) rc = write_table(f, tr->best_ent);
    if (rc == EMB_OK && tr->best_ent) rc = write_table(f, tr->best_rel);
    int crc_rc = emb_crc_writer_close(cw, rc == EMB_OK);
    if (rc == EMB_OK) rc = crc_rc;
    if (rc != EMB_OK) {
        emb_outfile_abort(o);
        return emb_err_set(err, rc, "cannot write checkpoint %s: %s", path, strerror(errno));
    }
    return emb_outfile_commit(o, err);
}

static int same_names(const struct emb_vocab *a, const struct emb_vocab *b) {
    if (emb_vocab_size(a) != emb_vocab_size(b)) return 0;
    for (int32_t i = 0; i < emb_vocab_size(a); i++)
        if (strcmp(emb_vocab_word(a, i), emb_vocab_word(b, i))) return 0;
    return 1;
}

static int table_like(struct emb_table **out, const struct emb_table *t, struct emb_err *err) {
    return emb_table_new(out, t->n_rows, t->dim, err);
}

/* Replace tr's model and state with the checkpoint's. */
static int ckpt_read(struct trainer *tr, struct emb_err *err) {
    const char *path = tr->p->checkpoint_path;
    struct emb_reader *r = NULL;
    struct emb_kge *m = NULL;
    char *kv = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb__kge_read(&m, r, CKPT_MAGIC, &kv, err)) != EMB_OK) goto done;
    if (m->reciprocal != (tr->p->reciprocal != 0)) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: checkpoint was written %s reciprocal relations; resume %s --reciprocal",
                         path, m->reciprocal ? "with" : "without", m->reciprocal ? "with" : "without");
        goto done;
    }
    if (m->model != tr->p->model) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made with --model %s, this run has --model %s", path,
                         emb_kge_model_name(m->model), emb_kge_model_name(tr->p->model));
        goto done;
    }
    if (m->dim != tr->p->dim || m->p_norm != tr->p->p_norm) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made with --dim %d --p-norm %d, this run has --dim %d --p-norm %d",
                         path, m->dim, m->p_norm, tr->p->dim, tr->p->p_norm);
        goto done;
    }
    if (!same_names(m->ent_names, tr->m->ent_names) || !same_names(m->rel_names, tr->m->rel_names)) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made on another dataset (different entities or relations)", path);
        goto done;
    }
    char want[2048];
    train_settings(want, sizeof want, tr);
    if ((rc = emb_kv_require(kv, want, path, err)) != EMB_OK) goto done;
    double step, n_rng, opt, has_best, best_step, bad;
    char buf[64];
    if ((rc = emb_kv_double(kv, "step", 0, 1e18, &step, path, err)) || (rc = emb_kv_double(kv, "n_rng", 1, 1024, &n_rng, path, err)) ||
        (rc = emb_kv_double(kv, "optimizer", 0, 1, &opt, path, err)) || (rc = emb_kv_double(kv, "has_best", 0, 1, &has_best, path, err)) ||
        (rc = emb_kv_double(kv, "best_step", -1, 1e18, &best_step, path, err)) ||
        (rc = emb_kv_double(kv, "bad_evals", 0, 1e18, &bad, path, err)))
        goto done;
    if ((int)opt != (int)tr->p->optimizer) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: checkpoint was written with another optimiser", path);
        goto done;
    }
    if (!emb_kv_get(kv, "best_mrr", buf, sizeof buf)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: header lacks best_mrr", path);
        goto done;
    }
    if ((rc = read_table(r, tr->e1, "optimiser state", err)) != EMB_OK) goto done;
    if (tr->e2 && (rc = read_table(r, tr->e2, "optimiser state", err)) != EMB_OK) goto done;
    if ((rc = read_table(r, tr->r1, "optimiser state", err)) != EMB_OK) goto done;
    if (tr->r2 && (rc = read_table(r, tr->r2, "optimiser state", err)) != EMB_OK) goto done;
    uint64_t rs[4 * 1024];
    if ((rc = emb_read_array(r, rs, 4 * (int64_t)n_rng, sizeof *rs, "random states", err)) != EMB_OK) goto done;
    if (has_best) {
        if (!tr->best_ent && ((rc = table_like(&tr->best_ent, tr->m->ent, err)) != EMB_OK ||
                              (rc = table_like(&tr->best_rel, tr->m->rel, err)) != EMB_OK))
            goto done;
        if ((rc = read_table(r, tr->best_ent, "best entity vectors", err)) != EMB_OK ||
            (rc = read_table(r, tr->best_rel, "best relation vectors", err)) != EMB_OK)
            goto done;
    }
    if ((rc = emb_read_trailer_crc(r, err)) != EMB_OK) goto done;
    if ((int)n_rng == tr->nth)
        for (int i = 0; i < tr->nth; i++) memcpy(tr->rng[i].s, rs + 4 * i, sizeof tr->rng[i].s);
    else /* another thread count: fresh streams, still a function of the step */
        for (int i = 0; i < tr->nth; i++) emb_rng_seed(&tr->rng[i], tr->p->seed + (uint64_t)step, (uint64_t)i);
    tr->step = (int64_t)step;
    tr->best_mrr = strtod(buf, NULL);
    tr->best_step = (int64_t)best_step;
    tr->bad_evals = (int64_t)bad;
    /* Swap in the checkpoint's tables. */
    struct emb_table *t = tr->m->ent;
    tr->m->ent = m->ent;
    m->ent = t;
    t = tr->m->rel;
    tr->m->rel = m->rel;
    m->rel = t;
done:
    emb_reader_close(r);
    emb_free(kv);
    emb_kge_free(m);
    return rc;
}

/* ---- training: the loop -------------------------------------------------- */

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void trainer_free(struct trainer *tr) {
    emb_table_free(tr->e1);
    emb_table_free(tr->e2);
    emb_table_free(tr->r1);
    emb_table_free(tr->r2);
    emb_table_free(tr->best_ent);
    emb_table_free(tr->best_rel);
    emb_free(tr->p_head);
    emb_free(tr->wt);
    filter_free(&tr->filter);
    emb_free(tr->perm);
    emb_free(tr->rng);
    if (tr->cs)
        for (int i = 0; i < tr->nth; i++) scratch_free(&tr->cs[i]);
    emb_free(tr->cs);
    emb_free(tr->loss);
    emb_free(tr->known.keys);
    score_rows_free(tr->scores, tr->nth);
    emb_kge_free(tr->m);
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int64_t u64_count(const uint64_t *v, int64_t n, uint64_t key) {
    int64_t lo = 0, hi = n; /* first >= key */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    int64_t a = lo;
    hi = n; /* first > key */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= key) lo = mid + 1;
        else hi = mid;
    }
    return lo - a;
}

/* The RotatE code's subsampling weights (its default, after word2vec's
 * subsampling): with c(h, r) and c(t, r^-1) counted over train from 4 at
 * their first occurrence (so 3 + occurrences), triple i weighs
 * 1 / sqrt(c(h, r) + c(t, r^-1)); a chunk's loss is the weighted mean. */
int emb__kge_subsampling_weights(const struct emb_triples *t, int32_t n_rel, float *out) {
    uint64_t *k = emb_alloc((size_t)(2 * t->n > 0 ? 2 * t->n : 1) * sizeof *k);
    if (!k) return EMB_ENOMEM;
    for (int64_t i = 0; i < t->n; i++) {
        k[2 * i] = (uint64_t)t->h[i] << 32 | (uint64_t)t->r[i];
        k[2 * i + 1] = (uint64_t)t->t[i] << 32 | (uint64_t)((int64_t)n_rel + t->r[i]);
    }
    qsort(k, (size_t)(2 * t->n), sizeof *k, u64_cmp);
    for (int64_t i = 0; i < t->n; i++) {
        int64_t a = u64_count(k, 2 * t->n, (uint64_t)t->h[i] << 32 | (uint64_t)t->r[i]);
        int64_t b = u64_count(k, 2 * t->n, (uint64_t)t->t[i] << 32 | (uint64_t)((int64_t)n_rel + t->r[i]));
        out[i] = (float)(1.0 / sqrt((double)(a + 3 + b + 3)));
    }
    emb_free(k);
    return EMB_OK;
}

/* Bernoulli sampling (Wang et al. 2014): tph = mean tails per (h, r),
 * hpt = mean heads per (r, t); corrupt the head w.p. tph / (tph + hpt). */
static int bernoulli_probs(struct trainer *tr) {
    const struct emb_triples *t = &tr->kg->train;
    int32_t nr = tr->kg->n_relations;
    struct tri_set hs = {0, NULL}, ts = {0, NULL};
    double *n_h = emb_calloc((size_t)nr, sizeof *n_h), *n_t = emb_calloc((size_t)nr, sizeof *n_t),
           *cnt = emb_calloc((size_t)nr, sizeof *cnt);
    uint64_t cap = 16;
    while (cap < (uint64_t)t->n * 2) cap *= 2;
    hs.mask = ts.mask = cap - 1;
    hs.keys = emb_alloc(cap * 3 * sizeof(int32_t));
    ts.keys = emb_alloc(cap * 3 * sizeof(int32_t));
    int rc = EMB_ENOMEM;
    if (n_h && n_t && cnt && hs.keys && ts.keys) {
        memset(hs.keys, 0xff, cap * 3 * sizeof(int32_t));
        memset(ts.keys, 0xff, cap * 3 * sizeof(int32_t));
        for (int64_t i = 0; i < t->n; i++) {
            cnt[t->r[i]]++;
            if (!tri_has(&hs, t->h[i], t->r[i], 0)) tri_add(&hs, t->h[i], t->r[i], 0), n_h[t->r[i]]++;
            if (!tri_has(&ts, 0, t->r[i], t->t[i])) tri_add(&ts, 0, t->r[i], t->t[i]), n_t[t->r[i]]++;
        }
        for (int32_t r = 0; r < nr; r++) {
            double tph = n_h[r] > 0 ? cnt[r] / n_h[r] : 1, hpt = n_t[r] > 0 ? cnt[r] / n_t[r] : 1;
            tr->p_head[r] = (float)(tph / (tph + hpt));
        }
        rc = EMB_OK;
    }
    emb_free(n_h);
    emb_free(n_t);
    emb_free(cnt);
    emb_free(hs.keys);
    emb_free(ts.keys);
    return rc;
}

static void snapshot(struct emb_table *dst, const struct emb_table *src) {
    memcpy(dst->data, src->data, (size_t)(src->n_rows * src->dim_padded) * sizeof(float));
}

/* Validate, keep the best tables; returns 1 when patience ran out. */
static int validate(struct trainer *tr, struct emb_pool *pool, struct emb_err *err, int *rc) {
    const struct emb_kge_params *p = tr->p;
    double mrr = quick_mrr(tr->m, &tr->known, &tr->kg->valid, p->valid_max ? p->valid_max : 1000, pool, tr->scores);
    tr->last_mrr = mrr;
    *rc = EMB_OK;
    if (mrr > tr->best_mrr) {
        if (!tr->best_ent && ((*rc = table_like(&tr->best_ent, tr->m->ent, err)) != EMB_OK ||
                              (*rc = table_like(&tr->best_rel, tr->m->rel, err)) != EMB_OK))
            return 1;
        snapshot(tr->best_ent, tr->m->ent);
        snapshot(tr->best_rel, tr->m->rel);
        tr->best_mrr = mrr;
        tr->best_step = tr->step;
        tr->bad_evals = 0;
    } else {
        tr->bad_evals++;
    }
    if (p->progress) {
        struct emb_kge_progress pr = {1, tr->step, tr->n_steps, 0, 0, mrr, tr->best_mrr, tr->best_step};
        p->progress(p->progress_ctx, &pr);
    }
    return p->patience > 0 && tr->bad_evals >= p->patience;
}

int emb_kge_train(const struct emb_kg *kg, const struct emb_kge_params *p, struct emb_kge **out,
                  struct emb_err *err) {
    *out = NULL;
    int rc = emb_kge_params_check(p, err);
    if (rc != EMB_OK) return rc;
    if (kg->train.n == 0) return emb_err_set(err, EMB_EEMPTY, "no training triples");
    struct trainer tr;
    memset(&tr, 0, sizeof tr);
    struct emb_pool *pool = NULL;
    tr.kg = kg;
    tr.p = p;
    tr.nth = p->n_threads;
    tr.kn = kern_get(p->simd);
    tr.best_mrr = -1;
    tr.last_mrr = -1;
    tr.best_step = -1;
    tr.steps_per_epoch = (kg->train.n + p->batch - 1) / p->batch;
    tr.n_steps = p->steps > 0 ? p->steps : (int64_t)p->epochs * tr.steps_per_epoch;
    int64_t nb = p->batch < kg->train.n ? p->batch : kg->train.n;
    tr.chunk = p->chunk > 0 ? p->chunk : (int)((nb + tr.nth - 1) / tr.nth);
    tr.chunks_per_step = (int)((nb + tr.chunk - 1) / tr.chunk);
    if ((rc = emb_kge_new(&tr.m, kg, p, err)) != EMB_OK) return rc;
    float s0 = p->init_scale > 0 ? p->init_scale : (p->gamma + 2.0f) / (float)p->dim;
    /* RotatE phases: the RotatE code keeps a relation as x in [-s0, s0]
     * and uses phase = x * pi / s0, so its optimiser steps are pi / s0
     * times larger in radians; the same scale here trains the same way. */
    tr.rel_lr_scale = p->model == EMB_KGE_ROTATE ? (float)M_PI / s0 : 1.0f;
    if ((rc = emb_pool_new(&pool, tr.nth, err)) != EMB_OK) goto done;
    rc = EMB_ENOMEM;
    tr.rng = emb_calloc((size_t)tr.nth, sizeof *tr.rng);
    tr.cs = emb_calloc((size_t)tr.nth, sizeof *tr.cs);
    tr.loss = emb_calloc((size_t)tr.nth, sizeof *tr.loss);
    tr.perm = emb_alloc((size_t)kg->train.n * sizeof *tr.perm);
    tr.p_head = emb_alloc((size_t)kg->n_relations * sizeof *tr.p_head);
    if (!tr.rng || !tr.cs || !tr.loss || !tr.perm || !tr.p_head) goto nomem;
    if (p->subsampling && (!(tr.wt = emb_alloc((size_t)kg->train.n * sizeof *tr.wt)) ||
                           emb__kge_subsampling_weights(&kg->train, kg->n_relations, tr.wt) != EMB_OK))
        goto nomem;
    if (p->filter_negatives && filter_build(&tr.filter, &kg->train, kg->n_entities, kg->n_relations) != EMB_OK)
        goto nomem;
    for (int i = 0; i < tr.nth; i++) {
        emb_rng_seed(&tr.rng[i], p->seed, (uint64_t)i);
        if (scratch_new(&tr.cs[i], tr.m, tr.chunk, p->negatives) != EMB_OK) {
            for (int k = 0; k < i; k++) scratch_free(&tr.cs[k]);
            emb_free(tr.cs);
            tr.cs = NULL;
            goto nomem;
        }
    }
    if ((rc = table_like(&tr.e1, tr.m->ent, err)) != EMB_OK || (rc = table_like(&tr.r1, tr.m->rel, err)) != EMB_OK)
        goto done;
    if (p->optimizer == EMB_KGE_OPT_ADAM &&
        ((rc = table_like(&tr.e2, tr.m->ent, err)) != EMB_OK || (rc = table_like(&tr.r2, tr.m->rel, err)) != EMB_OK))
        goto done;
    rc = EMB_ENOMEM;
    if (p->neg_sampling == EMB_KGE_NEG_BERNOULLI && bernoulli_probs(&tr) != EMB_OK) goto nomem;
    if (p->valid_every > 0 && kg->valid.n > 0) {
        if (tri_build(&tr.known, kg) != EMB_OK || !(tr.scores = score_rows_new(tr.nth, kg->n_entities))) goto nomem;
    }
    if (p->resume && !p->checkpoint_path) {
        rc = emb_err_set(err, EMB_EINVAL, "resume needs a checkpoint path");
        goto done;
    }
    if (p->resume && access(p->checkpoint_path, F_OK) != 0) {
        rc = emb_err_set(err, EMB_EIO, "cannot resume from %s: %s", p->checkpoint_path, strerror(errno));
        goto done;
    }
    if (p->resume && (rc = ckpt_read(&tr, err)) != EMB_OK) goto done;
    tr.perm_epoch = -1;
    double t0 = now_sec(), t_last = t0, loss_acc = 0;
    int64_t loss_n = 0, done_since = 0, good_step = -1;
    int stop_early = 0;
    rc = EMB_OK;
    while (tr.step < tr.n_steps && !stop_early) {
        if (p->stop && *p->stop) {
            rc = emb_err_set(err, EMB_EINTR, "interrupted at step %lld", (long long)tr.step);
            if (p->checkpoint_path) {
                int wrc = ckpt_write(&tr, err);
                if (wrc != EMB_OK) rc = wrc;
            }
            goto done;
        }
        int64_t epoch = tr.step / tr.steps_per_epoch;
        if (epoch != tr.perm_epoch) make_perm(&tr, epoch);
        tr.lr = p->lr;
        if (p->lr_drop_at > 0 && tr.step >= (int64_t)(p->lr_drop_at * (double)tr.n_steps)) tr.lr = p->lr * 0.1f;
        emb_pool_run(pool, train_worker, &tr);
        int64_t b = tr.step % tr.steps_per_epoch, lo = b * p->batch;
        int64_t n_pos = (lo + p->batch < kg->train.n ? lo + p->batch : kg->train.n) - lo;
        double l = 0;
        for (int i = 0; i < tr.nth; i++) l += tr.loss[i];
        l /= (double)n_pos;
        if (!isfinite(l)) {
            if (p->checkpoint_path && good_step >= 0)
                rc = emb_err_set(err, EMB_ENUMERIC,
                                 "training diverged (non-finite loss) at step %lld: lower --lr (now %g); last good "
                                 "checkpoint %s (step %lld) kept",
                                 (long long)tr.step + 1, (double)p->lr, p->checkpoint_path, (long long)good_step);
            else
                rc = emb_err_set(err, EMB_ENUMERIC, "training diverged (non-finite loss) at step %lld: lower --lr (now %g)%s%s%s",
                                 (long long)tr.step + 1, (double)p->lr, p->checkpoint_path ? "; checkpoint " : "",
                                 p->checkpoint_path ? p->checkpoint_path : "", p->checkpoint_path ? " not written" : "");
            goto done;
        }
        loss_acc += l;
        loss_n++;
        done_since += n_pos;
        tr.step++;
        if (p->progress && p->progress_every > 0 && (tr.step % p->progress_every == 0 || tr.step == tr.n_steps)) {
            double now = now_sec();
            struct emb_kge_progress pr = {0, tr.step, tr.n_steps, loss_acc / (double)loss_n,
                                          now > t_last ? (double)done_since / (now - t_last) : 0,
                                          tr.last_mrr, tr.best_mrr, tr.best_step};
            p->progress(p->progress_ctx, &pr);
            t_last = now;
            loss_acc = 0;
            loss_n = 0;
            done_since = 0;
        }
        if (tr.scores && tr.step % p->valid_every == 0 && tr.step < tr.n_steps) {
            stop_early = validate(&tr, pool, err, &rc);
            if (rc != EMB_OK) goto done;
        }
        if (p->checkpoint_path && p->checkpoint_every > 0 && tr.step % p->checkpoint_every == 0) {
            struct emb_err ck = {0}; /* a failed periodic checkpoint is a warning: the run goes on */
            int ck_rc = ckpt_write(&tr, &ck);
            if (ck_rc != EMB_OK) {
                if (ck_rc != EMB_EIO) {
                    rc = emb_err_set(err, ck_rc, "%s", ck.msg);
                    goto done;
                }
                if (p->warn) p->warn(p->warn_ctx, emb_err_msg(&ck, ck_rc));
            } else {
                good_step = tr.step;
            }
            if (ck_rc == EMB_OK && p->progress) {
                struct emb_kge_progress pr = {2, tr.step, tr.n_steps, 0, 0, tr.last_mrr, tr.best_mrr, tr.best_step};
                p->progress(p->progress_ctx, &pr);
            }
        }
    }
    (void)t0;
    if (emb_table_find_nonfinite(tr.m->ent) >= 0 || emb_table_find_nonfinite(tr.m->rel) >= 0) {
        rc = emb_err_set(err, EMB_ENUMERIC, "training diverged (non-finite weights) after step %lld: lower --lr (now %g)",
                         (long long)tr.step, (double)p->lr);
        goto done;
    }
    if (tr.scores) {
        if (!stop_early) validate(&tr, pool, err, &rc);
        if (rc != EMB_OK) goto done;
        if (tr.best_ent) {
            snapshot(tr.m->ent, tr.best_ent);
            snapshot(tr.m->rel, tr.best_rel);
        }
    }
    *out = tr.m;
    tr.m = NULL;
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory for training on %d entities", kg->n_entities);
done:
    trainer_free(&tr);
    emb_pool_free(pool);
    return rc;
}
