/* vec.c -- scalar reference kernels and their AVX2/FMA twins.
 *
 * The AVX2 functions are compiled with a target attribute, so the library
 * builds without -mavx2 and picks the path at run time (emb_vec_ops_get).
 * Each SIMD kernel processes 8 floats per step with a scalar tail, and is
 * checked against its reference in vec_test.c.
 *
 * Why our own and not CBLAS: these are products of one row with a few
 * (skip-gram's 1+5 or 1+15 output rows, HNSW's one distance), where
 * OpenBLAS's per-call cost dominates. docs/benchmarks.md, "Own kernels
 * against OpenBLAS": a skip-gram step with dot_many + axpy + axpy_many is
 * 1.5-2x faster than cblas_sdot + cblas_saxpy and 1.4-1.7x faster than
 * gather + sgemv + sger at dim 100 and 300; one dot is 14 ns against 21 ns
 * (dim 100) and a tie at dim 300. Dense products (src/nn) use CBLAS. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "emb/vec.h"

/* ---- scalar reference ------------------------------------------------ */

float emb_vec_dot_ref(int64_t n, const float *x, const float *y) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

void emb_vec_axpy_ref(int64_t n, float a, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void emb_vec_scale_ref(int64_t n, float a, float *x) {
    for (int64_t i = 0; i < n; i++) x[i] *= a;
}

void emb_vec_dot_many_ref(int64_t n, const float *x, int m, const float *const *ys, float *out) {
    for (int j = 0; j < m; j++) out[j] = emb_vec_dot_ref(n, x, ys[j]);
}

void emb_vec_axpy_many_ref(int64_t n, int m, const float *a, const float *const *xs, float *y) {
    for (int j = 0; j < m; j++) emb_vec_axpy_ref(n, a[j], xs[j], y);
}

/* ---- AVX2 + FMA ------------------------------------------------------- */
#if EMB_X86
#include <immintrin.h>
#define AVX2 EMB_TARGET_AVX2

AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

AVX2 static float dot_avx2(int64_t n, const float *x, const float *y) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += x[i] * y[i];
    return s;
}

AVX2 static void axpy_avx2(int64_t n, float a, const float *x, float *y) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

AVX2 static void scale_avx2(int64_t n, float a, float *x) {
    __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] *= a;
}

/* Dot products of x with up to 4 rows at a time. Each row gets two
 * accumulators (even and odd 8-float steps), so 8 independent FMA chains
 * hide the FMA latency, and each load of x feeds 4 FMAs. */
AVX2 static void dot_many_avx2(int64_t n, const float *x, int m, const float *const *ys, float *out) {
    int j = 0;
    for (; j + 4 <= m; j += 4) {
        const float *y0 = ys[j], *y1 = ys[j + 1], *y2 = ys[j + 2], *y3 = ys[j + 3];
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
        __m256 t2 = _mm256_setzero_ps(), t3 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m256 vx = _mm256_loadu_ps(x + i), wx = _mm256_loadu_ps(x + i + 8);
            s0 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y0 + i), s0);
            s1 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y1 + i), s1);
            s2 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y2 + i), s2);
            s3 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y3 + i), s3);
            t0 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y0 + i + 8), t0);
            t1 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y1 + i + 8), t1);
            t2 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y2 + i + 8), t2);
            t3 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y3 + i + 8), t3);
        }
        for (; i + 8 <= n; i += 8) {
            __m256 vx = _mm256_loadu_ps(x + i);
            s0 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y0 + i), s0);
            s1 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y1 + i), s1);
            s2 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y2 + i), s2);
            s3 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y3 + i), s3);
        }
        float r0 = hsum256(_mm256_add_ps(s0, t0)), r1 = hsum256(_mm256_add_ps(s1, t1));
        float r2 = hsum256(_mm256_add_ps(s2, t2)), r3 = hsum256(_mm256_add_ps(s3, t3));
        for (; i < n; i++) {
            r0 += x[i] * y0[i]; r1 += x[i] * y1[i];
            r2 += x[i] * y2[i]; r3 += x[i] * y3[i];
        }
        out[j] = r0; out[j + 1] = r1; out[j + 2] = r2; out[j + 3] = r3;
    }
    for (; j + 2 <= m; j += 2) {
        const float *y0 = ys[j], *y1 = ys[j + 1];
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m256 vx = _mm256_loadu_ps(x + i), wx = _mm256_loadu_ps(x + i + 8);
            s0 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y0 + i), s0);
            s1 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y1 + i), s1);
            t0 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y0 + i + 8), t0);
            t1 = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y1 + i + 8), t1);
        }
        for (; i + 8 <= n; i += 8) {
            __m256 vx = _mm256_loadu_ps(x + i);
            s0 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y0 + i), s0);
            s1 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y1 + i), s1);
        }
        float r0 = hsum256(_mm256_add_ps(s0, t0)), r1 = hsum256(_mm256_add_ps(s1, t1));
        for (; i < n; i++) {
            r0 += x[i] * y0[i];
            r1 += x[i] * y1[i];
        }
        out[j] = r0;
        out[j + 1] = r1;
    }
    if (j < m) out[j] = dot_avx2(n, x, ys[j]);
}

/* y += sum_j a[j] xs[j]. Four 8-float steps of y are in flight at once
 * (32 floats), each with its own FMA chain over j, so the FMA latency is
 * hidden; y is loaded and stored once whatever m is. */
AVX2 static void axpy_many_avx2(int64_t n, int m, const float *a, const float *const *xs, float *y) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 c0 = _mm256_loadu_ps(y + i), c1 = _mm256_loadu_ps(y + i + 8);
        __m256 c2 = _mm256_loadu_ps(y + i + 16), c3 = _mm256_loadu_ps(y + i + 24);
        for (int j = 0; j < m; j++) {
            __m256 va = _mm256_broadcast_ss(a + j);
            const float *x = xs[j] + i;
            c0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x), c0);
            c1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + 8), c1);
            c2 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + 16), c2);
            c3 = _mm256_fmadd_ps(va, _mm256_loadu_ps(x + 24), c3);
        }
        _mm256_storeu_ps(y + i, c0);
        _mm256_storeu_ps(y + i + 8, c1);
        _mm256_storeu_ps(y + i + 16, c2);
        _mm256_storeu_ps(y + i + 24, c3);
    }
    for (; i + 16 <= n; i += 16) {
        __m256 c0 = _mm256_loadu_ps(y + i), c1 = _mm256_loadu_ps(y + i + 8);
        for (int j = 0; j < m; j++) {
            __m256 va = _mm256_broadcast_ss(a + j);
            c0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(xs[j] + i), c0);
            c1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(xs[j] + i + 8), c1);
        }
        _mm256_storeu_ps(y + i, c0);
        _mm256_storeu_ps(y + i + 8, c1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 c0 = _mm256_loadu_ps(y + i);
        for (int j = 0; j < m; j++) c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + j), _mm256_loadu_ps(xs[j] + i), c0);
        _mm256_storeu_ps(y + i, c0);
    }
    for (; i < n; i++) {
        float acc = y[i];
        for (int j = 0; j < m; j++) acc += a[j] * xs[j][i];
        y[i] = acc;
    }
}

/* ---- AVX-512F ---------------------------------------------------------
 * The same kernels on 16-float registers; tails use masked loads/stores,
 * so there is no scalar loop. Rows padded to 16 floats (emb_table) never
 * need the mask. */
#define AVX512 EMB_TARGET_AVX512

AVX512 static inline __mmask16 tail_mask(int64_t rem) { return (__mmask16)((1u << rem) - 1u); }

AVX512 static float dot_avx512(int64_t n, const float *x, const float *y) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    if (i < n) {
        __mmask16 k = tail_mask(n - i);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

AVX512 static void axpy_avx512(int64_t n, float a, const float *x, float *y) {
    __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 k = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i)));
    }
}

AVX512 static void scale_avx512(int64_t n, float a, float *x) {
    __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(va, _mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 k = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(k, x + i)));
    }
}

/* 4 rows at a time, one accumulator each; the tail step is masked. With
 * 16-float steps a 112-float row is 7 steps, so 4 chains of 7 FMAs. */
AVX512 static void dot_many_avx512(int64_t n, const float *x, int m, const float *const *ys, float *out) {
    int j = 0;
    for (; j + 4 <= m; j += 4) {
        const float *y0 = ys[j], *y1 = ys[j + 1], *y2 = ys[j + 2], *y3 = ys[j + 3];
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m512 vx = _mm512_loadu_ps(x + i);
            s0 = _mm512_fmadd_ps(vx, _mm512_loadu_ps(y0 + i), s0);
            s1 = _mm512_fmadd_ps(vx, _mm512_loadu_ps(y1 + i), s1);
            s2 = _mm512_fmadd_ps(vx, _mm512_loadu_ps(y2 + i), s2);
            s3 = _mm512_fmadd_ps(vx, _mm512_loadu_ps(y3 + i), s3);
        }
        if (i < n) {
            __mmask16 k = tail_mask(n - i);
            __m512 vx = _mm512_maskz_loadu_ps(k, x + i);
            s0 = _mm512_fmadd_ps(vx, _mm512_maskz_loadu_ps(k, y0 + i), s0);
            s1 = _mm512_fmadd_ps(vx, _mm512_maskz_loadu_ps(k, y1 + i), s1);
            s2 = _mm512_fmadd_ps(vx, _mm512_maskz_loadu_ps(k, y2 + i), s2);
            s3 = _mm512_fmadd_ps(vx, _mm512_maskz_loadu_ps(k, y3 + i), s3);
        }
        out[j] = _mm512_reduce_add_ps(s0);
        out[j + 1] = _mm512_reduce_add_ps(s1);
        out[j + 2] = _mm512_reduce_add_ps(s2);
        out[j + 3] = _mm512_reduce_add_ps(s3);
    }
    for (; j < m; j++) out[j] = dot_avx512(n, x, ys[j]);
}

/* y += sum_j a[j] xs[j], two 16-float steps in flight. */
AVX512 static void axpy_many_avx512(int64_t n, int m, const float *a, const float *const *xs, float *y) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 c0 = _mm512_loadu_ps(y + i), c1 = _mm512_loadu_ps(y + i + 16);
        for (int j = 0; j < m; j++) {
            __m512 va = _mm512_set1_ps(a[j]);
            c0 = _mm512_fmadd_ps(va, _mm512_loadu_ps(xs[j] + i), c0);
            c1 = _mm512_fmadd_ps(va, _mm512_loadu_ps(xs[j] + i + 16), c1);
        }
        _mm512_storeu_ps(y + i, c0);
        _mm512_storeu_ps(y + i + 16, c1);
    }
    for (; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : tail_mask(n - i);
        __m512 c0 = _mm512_maskz_loadu_ps(k, y + i);
        for (int j = 0; j < m; j++)
            c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[j]), _mm512_maskz_loadu_ps(k, xs[j] + i), c0);
        _mm512_mask_storeu_ps(y + i, k, c0);
    }
}
#endif

/* ---- dispatch -------------------------------------------------------- */

struct emb_vec_ops emb_vec_ops_get(enum emb_simd want) {
    struct emb_vec_ops ops = {EMB_SIMD_REF, emb_vec_dot_ref, emb_vec_axpy_ref, emb_vec_scale_ref,
                              emb_vec_dot_many_ref, emb_vec_axpy_many_ref};
#if EMB_X86
    enum emb_simd level = emb_simd_resolve(want);
    if (level == EMB_SIMD_AVX512) {
        ops.kind = EMB_SIMD_AVX512;
        ops.dot = dot_avx512;
        ops.axpy = axpy_avx512;
        ops.scale = scale_avx512;
        ops.dot_many = dot_many_avx512;
        ops.axpy_many = axpy_many_avx512;
    } else if (level == EMB_SIMD_AVX2) {
        ops.kind = EMB_SIMD_AVX2;
        ops.dot = dot_avx2;
        ops.axpy = axpy_avx2;
        ops.scale = scale_avx2;
        ops.dot_many = dot_many_avx2;
        ops.axpy_many = axpy_many_avx2;
    }
#else
    (void)want;
#endif
    return ops;
}

/* Squared norms in [NORM_SQ_MIN, FLT_MAX] take the fast path: no square
 * overflowed (the float sum is finite), and squares lost to underflow
 * (each below 2^-149) are far below float precision of the sum. */
#define NORM_SQ_MIN 0x1p-100f

float emb_vec_normalize(const struct emb_vec_ops *ops, int64_t n, float *x) {
    float sq = ops->dot(n, x, x);
    if (sq >= NORM_SQ_MIN && sq <= FLT_MAX) {
        float norm = sqrtf(sq);
        ops->scale(n, 1.0f / norm, x);
        return norm;
    }
    if (sq != sq) return sq; /* a NaN component: x is left as it is */
    /* Components past ~1.8e19 (their squares overflow) or all below
     * ~1e-15: scale by the largest |x_i| and work in double. */
    double amax = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs((double)x[i]) > amax) amax = fabs((double)x[i]);
    if (amax == 0 || !isfinite(amax)) return (float)amax; /* zero or infinite: untouched */
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double t = x[i] / amax;
        s += t * t;
    }
    double norm = amax * sqrt(s);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(x[i] / norm);
    return (float)norm;
}
