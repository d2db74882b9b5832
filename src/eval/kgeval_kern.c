/* kgeval_kern.c -- the blocked scoring kernels of kgeval.c: all
 * candidates of a block of queries, scalar reference and AVX2 / AVX-512
 * (chosen by emb_simd_resolve). */
#include <math.h>

#include "kgeval_internal.h"

/* ---- kernels ------------------------------------------------------------ */

/* Scalar reference for one pair. */
float emb__kgeval_pair_ref(const struct kern *k, const float *q, const float *e) {
    float s = 0.0f;
    switch (k->kind) {
    case K_DOT:
        for (int64_t i = 0; i < k->L; i++) s += q[i] * e[i];
        return s;
    case K_L1:
        for (int64_t i = 0; i < k->L; i++) s += fabsf(q[i] - e[i]);
        return k->gamma - s;
    case K_L2:
        for (int64_t i = 0; i < k->L; i++) s += (q[i] - e[i]) * (q[i] - e[i]);
        return k->gamma - sqrtf(s);
    case K_ROT:
        for (int64_t i = 0; i < k->half; i++) {
            float dr = q[i] - e[i], di = q[k->half + i] - e[k->half + i];
            s += sqrtf(dr * dr + di * di);
        }
        return k->gamma - s;
    }
    return s;
}

static void block_ref(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi, float *out,
                      int64_t ldo) {
    for (int64_t e = e_lo; e < e_hi; e++)
        for (int qi = 0; qi < nq; qi++) out[qi * ldo + e] = emb__kgeval_pair_ref(k, Q + qi * k->L, k->E + e * k->lde);
}

#if EMB_X86
#include <immintrin.h>
#define AVX512 EMB_TARGET_AVX512

/* The per-16-float accumulate steps of the three real kernels. */
#define ACC_DOT(a, x, y) a = _mm512_fmadd_ps(x, y, a)
#define ACC_L1(a, x, y) a = _mm512_add_ps(a, _mm512_abs_ps(_mm512_sub_ps(x, y)))
#define ACC_L2(a, x, y)                     \
    do {                                    \
        __m512 d_ = _mm512_sub_ps(x, y);    \
        a = _mm512_fmadd_ps(d_, d_, a);     \
    } while (0)
#define FIN_DOT(s) (s)
#define FIN_L1(s) (gamma - (s))
#define FIN_L2(s) (gamma - sqrtf(s))

/* A 4 queries x 4 entities register block over whole padded rows (L is a
 * multiple of 16), with 1 x 1 loops for the edges. */
#define DEF_BLOCK512(NAME, ACC, FIN)                                                                          \
    AVX512 static void NAME(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi,         \
                            float *out, int64_t ldo) {                                                        \
        const int64_t L = k->L, lde = k->lde;                                                                 \
        const float gamma = k->gamma;                                                                         \
        (void)gamma;                                                                                          \
        int64_t e = e_lo;                                                                                     \
        for (; e + 4 <= e_hi; e += 4) {                                                                       \
            const float *y0 = k->E + e * lde, *y1 = y0 + lde, *y2 = y1 + lde, *y3 = y2 + lde;                 \
            int qi = 0;                                                                                       \
            for (; qi + 4 <= nq; qi += 4) {                                                                   \
                const float *x0 = Q + qi * L, *x1 = x0 + L, *x2 = x1 + L, *x3 = x2 + L;                       \
                __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00,      \
                       a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, \
                       a32 = a00, a33 = a00;                                                                  \
                for (int64_t i = 0; i < L; i += 16) {                                                         \
                    __m512 v0 = _mm512_load_ps(x0 + i), v1 = _mm512_load_ps(x1 + i);                          \
                    __m512 v2 = _mm512_load_ps(x2 + i), v3 = _mm512_load_ps(x3 + i), w;                       \
                    w = _mm512_load_ps(y0 + i);                                                               \
                    ACC(a00, v0, w); ACC(a10, v1, w); ACC(a20, v2, w); ACC(a30, v3, w);                       \
                    w = _mm512_load_ps(y1 + i);                                                               \
                    ACC(a01, v0, w); ACC(a11, v1, w); ACC(a21, v2, w); ACC(a31, v3, w);                       \
                    w = _mm512_load_ps(y2 + i);                                                               \
                    ACC(a02, v0, w); ACC(a12, v1, w); ACC(a22, v2, w); ACC(a32, v3, w);                       \
                    w = _mm512_load_ps(y3 + i);                                                               \
                    ACC(a03, v0, w); ACC(a13, v1, w); ACC(a23, v2, w); ACC(a33, v3, w);                       \
                }                                                                                             \
                float *o = out + qi * ldo + e;                                                                \
                o[0] = FIN(_mm512_reduce_add_ps(a00)); o[1] = FIN(_mm512_reduce_add_ps(a01));                 \
                o[2] = FIN(_mm512_reduce_add_ps(a02)); o[3] = FIN(_mm512_reduce_add_ps(a03));                 \
                o += ldo;                                                                                     \
                o[0] = FIN(_mm512_reduce_add_ps(a10)); o[1] = FIN(_mm512_reduce_add_ps(a11));                 \
                o[2] = FIN(_mm512_reduce_add_ps(a12)); o[3] = FIN(_mm512_reduce_add_ps(a13));                 \
                o += ldo;                                                                                     \
                o[0] = FIN(_mm512_reduce_add_ps(a20)); o[1] = FIN(_mm512_reduce_add_ps(a21));                 \
                o[2] = FIN(_mm512_reduce_add_ps(a22)); o[3] = FIN(_mm512_reduce_add_ps(a23));                 \
                o += ldo;                                                                                     \
                o[0] = FIN(_mm512_reduce_add_ps(a30)); o[1] = FIN(_mm512_reduce_add_ps(a31));                 \
                o[2] = FIN(_mm512_reduce_add_ps(a32)); o[3] = FIN(_mm512_reduce_add_ps(a33));                 \
            }                                                                                                 \
            for (; qi < nq; qi++)                                                                             \
                for (int j = 0; j < 4; j++) {                                                                 \
                    const float *x = Q + qi * L, *y = k->E + (e + j) * lde;                                   \
                    __m512 a = _mm512_setzero_ps();                                                           \
                    for (int64_t i = 0; i < L; i += 16) ACC(a, _mm512_load_ps(x + i), _mm512_load_ps(y + i)); \
                    out[qi * ldo + e + j] = FIN(_mm512_reduce_add_ps(a));                                     \
                }                                                                                             \
        }                                                                                                     \
        for (; e < e_hi; e++)                                                                                 \
            for (int qi = 0; qi < nq; qi++) {                                                                 \
                const float *x = Q + qi * L, *y = k->E + e * lde;                                             \
                __m512 a = _mm512_setzero_ps();                                                               \
                for (int64_t i = 0; i < L; i += 16) ACC(a, _mm512_load_ps(x + i), _mm512_load_ps(y + i));     \
                out[qi * ldo + e] = FIN(_mm512_reduce_add_ps(a));                                             \
            }                                                                                                 \
    }

DEF_BLOCK512(block_dot512, ACC_DOT, FIN_DOT)
DEF_BLOCK512(block_l1512, ACC_L1, FIN_L1)
DEF_BLOCK512(block_l2512, ACC_L2, FIN_L2)

/* sqrt(s) for s >= 0 from the 14-bit reciprocal square root and one
 * Newton step (about 1 ulp; vsqrtps is several times slower and RotatE
 * takes one square root per complex coordinate). Zero stays zero. */
AVX512 static inline __m512 sqrt_fast512(__m512 s) {
    __mmask16 pos = _mm512_cmp_ps_mask(s, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 y = _mm512_maskz_rsqrt14_ps(pos, s);
    __m512 r = _mm512_mul_ps(s, y);
    __m512 h = _mm512_fnmadd_ps(y, r, _mm512_set1_ps(3.0f)); /* 3 - y r */
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), r), h);
}

/* One complex chunk of RotatE: a += |q - e| over 16 coordinates. */
#define ACC_ROT(a, qr, qi, er, ei)                                                                  \
    do {                                                                                            \
        __m512 dr_ = _mm512_sub_ps(qr, er), di_ = _mm512_sub_ps(qi, ei);                            \
        a = _mm512_add_ps(a, sqrt_fast512(_mm512_fmadd_ps(di_, di_, _mm512_mul_ps(dr_, dr_))));   \
    } while (0)

/* RotatE: 4 queries x 2 entities; coordinates i < half, real parts at i,
 * imaginary at half + i, the last chunk masked. */
AVX512 static void block_rot512(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi,
                                float *out, int64_t ldo) {
    const int64_t L = k->L, lde = k->lde, D = k->half;
    const float gamma = k->gamma;
    const int64_t D16 = D & ~(int64_t)15;
    const __mmask16 tail = (__mmask16)((1u << (D - D16)) - 1u);
    int64_t e = e_lo;
    for (; e + 2 <= e_hi; e += 2) {
        const float *y0 = k->E + e * lde, *y1 = y0 + lde;
        int qi = 0;
        for (; qi + 4 <= nq; qi += 4) {
            const float *x0 = Q + qi * L, *x1 = x0 + L, *x2 = x1 + L, *x3 = x2 + L;
            __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                   a31 = a00;
            int64_t i = 0;
            for (; i <= D; i += 16) {
                __mmask16 mk = i + 16 <= D ? (__mmask16)0xFFFF : tail;
                if (!mk) break;
                __m512 r0 = _mm512_maskz_loadu_ps(mk, x0 + i), j0 = _mm512_maskz_loadu_ps(mk, x0 + D + i);
                __m512 r1 = _mm512_maskz_loadu_ps(mk, x1 + i), j1 = _mm512_maskz_loadu_ps(mk, x1 + D + i);
                __m512 r2 = _mm512_maskz_loadu_ps(mk, x2 + i), j2 = _mm512_maskz_loadu_ps(mk, x2 + D + i);
                __m512 r3 = _mm512_maskz_loadu_ps(mk, x3 + i), j3 = _mm512_maskz_loadu_ps(mk, x3 + D + i);
                __m512 er = _mm512_maskz_loadu_ps(mk, y0 + i), ei = _mm512_maskz_loadu_ps(mk, y0 + D + i);
                ACC_ROT(a00, r0, j0, er, ei); ACC_ROT(a10, r1, j1, er, ei);
                ACC_ROT(a20, r2, j2, er, ei); ACC_ROT(a30, r3, j3, er, ei);
                er = _mm512_maskz_loadu_ps(mk, y1 + i), ei = _mm512_maskz_loadu_ps(mk, y1 + D + i);
                ACC_ROT(a01, r0, j0, er, ei); ACC_ROT(a11, r1, j1, er, ei);
                ACC_ROT(a21, r2, j2, er, ei); ACC_ROT(a31, r3, j3, er, ei);
            }
            float *o = out + qi * ldo + e;
            o[0] = gamma - _mm512_reduce_add_ps(a00); o[1] = gamma - _mm512_reduce_add_ps(a01); o += ldo;
            o[0] = gamma - _mm512_reduce_add_ps(a10); o[1] = gamma - _mm512_reduce_add_ps(a11); o += ldo;
            o[0] = gamma - _mm512_reduce_add_ps(a20); o[1] = gamma - _mm512_reduce_add_ps(a21); o += ldo;
            o[0] = gamma - _mm512_reduce_add_ps(a30); o[1] = gamma - _mm512_reduce_add_ps(a31);
        }
        for (; qi < nq; qi++)
            for (int j = 0; j < 2; j++) {
                const float *x = Q + qi * L, *y = k->E + (e + j) * lde;
                __m512 a = _mm512_setzero_ps();
                for (int64_t i = 0; i < D; i += 16) {
                    __mmask16 mk = i + 16 <= D ? (__mmask16)0xFFFF : tail;
                    ACC_ROT(a, _mm512_maskz_loadu_ps(mk, x + i), _mm512_maskz_loadu_ps(mk, x + D + i),
                            _mm512_maskz_loadu_ps(mk, y + i), _mm512_maskz_loadu_ps(mk, y + D + i));
                }
                out[qi * ldo + e + j] = gamma - _mm512_reduce_add_ps(a);
            }
    }
    for (; e < e_hi; e++)
        for (int qi = 0; qi < nq; qi++) {
            const float *x = Q + qi * L, *y = k->E + e * lde;
            __m512 a = _mm512_setzero_ps();
            for (int64_t i = 0; i < D; i += 16) {
                __mmask16 mk = i + 16 <= D ? (__mmask16)0xFFFF : tail;
                ACC_ROT(a, _mm512_maskz_loadu_ps(mk, x + i), _mm512_maskz_loadu_ps(mk, x + D + i),
                        _mm512_maskz_loadu_ps(mk, y + i), _mm512_maskz_loadu_ps(mk, y + D + i));
            }
            out[qi * ldo + e] = gamma - _mm512_reduce_add_ps(a);
        }
}

/* AVX2 + FMA twins of the kernels above: 8 floats a step, the same 4 x 4
 * (RotatE 4 x 2) blocks; RotatE's last D % 8 coordinates go scalar. */
#define AVX2 EMB_TARGET_AVX2

AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

#define ACC2_DOT(a, x, y) a = _mm256_fmadd_ps(x, y, a)
#define ACC2_L1(a, x, y) a = _mm256_add_ps(a, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(x, y)))
#define ACC2_L2(a, x, y)                    \
    do {                                    \
        __m256 d_ = _mm256_sub_ps(x, y);    \
        a = _mm256_fmadd_ps(d_, d_, a);     \
    } while (0)

#define DEF_BLOCK256(NAME, ACC, FIN)                                                                          \
    AVX2 static void NAME(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi,           \
                          float *out, int64_t ldo) {                                                          \
        const int64_t L = k->L, lde = k->lde;                                                                 \
        const float gamma = k->gamma;                                                                         \
        (void)gamma;                                                                                          \
        int64_t e = e_lo;                                                                                     \
        for (; e + 4 <= e_hi; e += 4) {                                                                       \
            const float *y0 = k->E + e * lde, *y1 = y0 + lde, *y2 = y1 + lde, *y3 = y2 + lde;                 \
            int qi = 0;                                                                                       \
            for (; qi + 4 <= nq; qi += 4) {                                                                   \
                const float *x0 = Q + qi * L, *x1 = x0 + L, *x2 = x1 + L, *x3 = x2 + L;                       \
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00,      \
                       a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, \
                       a32 = a00, a33 = a00;                                                                  \
                for (int64_t i = 0; i < L; i += 8) {                                                          \
                    __m256 v0 = _mm256_load_ps(x0 + i), v1 = _mm256_load_ps(x1 + i);                          \
                    __m256 v2 = _mm256_load_ps(x2 + i), v3 = _mm256_load_ps(x3 + i), w;                       \
                    w = _mm256_load_ps(y0 + i);                                                               \
                    ACC(a00, v0, w); ACC(a10, v1, w); ACC(a20, v2, w); ACC(a30, v3, w);                       \
                    w = _mm256_load_ps(y1 + i);                                                               \
                    ACC(a01, v0, w); ACC(a11, v1, w); ACC(a21, v2, w); ACC(a31, v3, w);                       \
                    w = _mm256_load_ps(y2 + i);                                                               \
                    ACC(a02, v0, w); ACC(a12, v1, w); ACC(a22, v2, w); ACC(a32, v3, w);                       \
                    w = _mm256_load_ps(y3 + i);                                                               \
                    ACC(a03, v0, w); ACC(a13, v1, w); ACC(a23, v2, w); ACC(a33, v3, w);                       \
                }                                                                                             \
                float *o = out + qi * ldo + e;                                                                \
                o[0] = FIN(hsum256(a00)); o[1] = FIN(hsum256(a01)); o[2] = FIN(hsum256(a02));                 \
                o[3] = FIN(hsum256(a03)); o += ldo;                                                           \
                o[0] = FIN(hsum256(a10)); o[1] = FIN(hsum256(a11)); o[2] = FIN(hsum256(a12));                 \
                o[3] = FIN(hsum256(a13)); o += ldo;                                                           \
                o[0] = FIN(hsum256(a20)); o[1] = FIN(hsum256(a21)); o[2] = FIN(hsum256(a22));                 \
                o[3] = FIN(hsum256(a23)); o += ldo;                                                           \
                o[0] = FIN(hsum256(a30)); o[1] = FIN(hsum256(a31)); o[2] = FIN(hsum256(a32));                 \
                o[3] = FIN(hsum256(a33));                                                                     \
            }                                                                                                 \
            for (; qi < nq; qi++)                                                                             \
                for (int j = 0; j < 4; j++) {                                                                 \
                    const float *x = Q + qi * L, *y = k->E + (e + j) * lde;                                   \
                    __m256 a = _mm256_setzero_ps();                                                           \
                    for (int64_t i = 0; i < L; i += 8) ACC(a, _mm256_load_ps(x + i), _mm256_load_ps(y + i));  \
                    out[qi * ldo + e + j] = FIN(hsum256(a));                                                  \
                }                                                                                             \
        }                                                                                                     \
        for (; e < e_hi; e++)                                                                                 \
            for (int qi = 0; qi < nq; qi++) {                                                                 \
                const float *x = Q + qi * L, *y = k->E + e * lde;                                             \
                __m256 a = _mm256_setzero_ps();                                                               \
                for (int64_t i = 0; i < L; i += 8) ACC(a, _mm256_load_ps(x + i), _mm256_load_ps(y + i));      \
                out[qi * ldo + e] = FIN(hsum256(a));                                                          \
            }                                                                                                 \
    }

DEF_BLOCK256(block_dot256, ACC2_DOT, FIN_DOT)
DEF_BLOCK256(block_l1256, ACC2_L1, FIN_L1)
DEF_BLOCK256(block_l2256, ACC2_L2, FIN_L2)

/* sqrt(s), s >= 0: 12-bit rsqrt and one Newton step; zero stays zero. */
AVX2 static inline __m256 sqrt_fast256(__m256 s) {
    __m256 pos = _mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_GT_OQ);
    __m256 y = _mm256_and_ps(_mm256_rsqrt_ps(s), pos);
    __m256 r = _mm256_mul_ps(s, y);
    __m256 h = _mm256_fnmadd_ps(y, r, _mm256_set1_ps(3.0f));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), r), h);
}

#define ACC2_ROT(a, qr, qi, er, ei)                                                                 \
    do {                                                                                            \
        __m256 dr_ = _mm256_sub_ps(qr, er), di_ = _mm256_sub_ps(qi, ei);                            \
        a = _mm256_add_ps(a, sqrt_fast256(_mm256_fmadd_ps(di_, di_, _mm256_mul_ps(dr_, dr_))));   \
    } while (0)

/* The scalar part of one RotatE pair: coordinates [from, D). */
static float rot_tail(const float *x, const float *y, int64_t from, int64_t D) {
    float s = 0.0f;
    for (int64_t i = from; i < D; i++) {
        float dr = x[i] - y[i], di = x[D + i] - y[D + i];
        s += sqrtf(dr * dr + di * di);
    }
    return s;
}

AVX2 static void block_rot256(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi,
                              float *out, int64_t ldo) {
    const int64_t L = k->L, lde = k->lde, D = k->half, D8 = D & ~(int64_t)7;
    const float gamma = k->gamma;
    int64_t e = e_lo;
    for (; e + 2 <= e_hi; e += 2) {
        const float *y0 = k->E + e * lde, *y1 = y0 + lde;
        int qi = 0;
        for (; qi + 4 <= nq; qi += 4) {
            const float *x0 = Q + qi * L, *x1 = x0 + L, *x2 = x1 + L, *x3 = x2 + L;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                   a31 = a00;
            for (int64_t i = 0; i < D8; i += 8) {
                __m256 r0 = _mm256_loadu_ps(x0 + i), j0 = _mm256_loadu_ps(x0 + D + i);
                __m256 r1 = _mm256_loadu_ps(x1 + i), j1 = _mm256_loadu_ps(x1 + D + i);
                __m256 r2 = _mm256_loadu_ps(x2 + i), j2 = _mm256_loadu_ps(x2 + D + i);
                __m256 r3 = _mm256_loadu_ps(x3 + i), j3 = _mm256_loadu_ps(x3 + D + i);
                __m256 er = _mm256_loadu_ps(y0 + i), ei = _mm256_loadu_ps(y0 + D + i);
                ACC2_ROT(a00, r0, j0, er, ei); ACC2_ROT(a10, r1, j1, er, ei);
                ACC2_ROT(a20, r2, j2, er, ei); ACC2_ROT(a30, r3, j3, er, ei);
                er = _mm256_loadu_ps(y1 + i), ei = _mm256_loadu_ps(y1 + D + i);
                ACC2_ROT(a01, r0, j0, er, ei); ACC2_ROT(a11, r1, j1, er, ei);
                ACC2_ROT(a21, r2, j2, er, ei); ACC2_ROT(a31, r3, j3, er, ei);
            }
            const float *xs[4] = {x0, x1, x2, x3};
            __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
            for (int u = 0; u < 4; u++) {
                out[(qi + u) * ldo + e] = gamma - (hsum256(acc[u][0]) + rot_tail(xs[u], y0, D8, D));
                out[(qi + u) * ldo + e + 1] = gamma - (hsum256(acc[u][1]) + rot_tail(xs[u], y1, D8, D));
            }
        }
        for (; qi < nq; qi++)
            for (int j = 0; j < 2; j++) {
                const float *x = Q + qi * L, *y = k->E + (e + j) * lde;
                __m256 a = _mm256_setzero_ps();
                for (int64_t i = 0; i < D8; i += 8)
                    ACC2_ROT(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(x + D + i), _mm256_loadu_ps(y + i),
                             _mm256_loadu_ps(y + D + i));
                out[qi * ldo + e + j] = gamma - (hsum256(a) + rot_tail(x, y, D8, D));
            }
    }
    for (; e < e_hi; e++)
        for (int qi = 0; qi < nq; qi++) {
            const float *x = Q + qi * L, *y = k->E + e * lde;
            __m256 a = _mm256_setzero_ps();
            for (int64_t i = 0; i < D8; i += 8)
                ACC2_ROT(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(x + D + i), _mm256_loadu_ps(y + i),
                         _mm256_loadu_ps(y + D + i));
            out[qi * ldo + e] = gamma - (hsum256(a) + rot_tail(x, y, D8, D));
        }
}
#endif

block_fn emb__kgeval_pick_block(const struct kern *k, enum emb_simd want) {
#if EMB_X86
    enum emb_simd got = emb_simd_resolve(want);
    if (got == EMB_SIMD_AVX512) switch (k->kind) {
        case K_DOT: return block_dot512;
        case K_L1: return block_l1512;
        case K_L2: return block_l2512;
        case K_ROT: return block_rot512;
        }
    if (got == EMB_SIMD_AVX2) switch (k->kind) {
        case K_DOT: return block_dot256;
        case K_L1: return block_l1256;
        case K_L2: return block_l2256;
        case K_ROT: return block_rot256;
        }
#else
    (void)k;
    (void)want;
#endif
    return block_ref;
}

