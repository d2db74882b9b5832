/* vec.c -- scalar reference kernels and their AVX2/FMA twins.
 *
 * The AVX2 functions are compiled with a target attribute, so the library
 * builds without -mavx2 and picks the path at run time (emb_vec_ops_get).
 * Each SIMD kernel processes 8 floats per step with a scalar tail, and is
 * checked against its reference in vec_test.c. */
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
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EMB_HAVE_X86 1
#define AVX2 __attribute__((target("avx2,fma")))

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

/* Up to 4 dot products share each load of x: 4 independent FMA chains. */
AVX2 static void dot_many_avx2(int64_t n, const float *x, int m, const float *const *ys, float *out) {
    int j = 0;
    for (; j + 4 <= m; j += 4) {
        const float *y0 = ys[j], *y1 = ys[j + 1], *y2 = ys[j + 2], *y3 = ys[j + 3];
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 vx = _mm256_loadu_ps(x + i);
            s0 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y0 + i), s0);
            s1 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y1 + i), s1);
            s2 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y2 + i), s2);
            s3 = _mm256_fmadd_ps(vx, _mm256_loadu_ps(y3 + i), s3);
        }
        float r0 = hsum256(s0), r1 = hsum256(s1), r2 = hsum256(s2), r3 = hsum256(s3);
        for (; i < n; i++) {
            r0 += x[i] * y0[i]; r1 += x[i] * y1[i];
            r2 += x[i] * y2[i]; r3 += x[i] * y3[i];
        }
        out[j] = r0; out[j + 1] = r1; out[j + 2] = r2; out[j + 3] = r3;
    }
    for (; j < m; j++) out[j] = dot_avx2(n, x, ys[j]);
}

/* y is loaded and stored once per 8 floats whatever m is. */
AVX2 static void axpy_many_avx2(int64_t n, int m, const float *a, const float *const *xs, float *y) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 acc = _mm256_loadu_ps(y + i);
        for (int j = 0; j < m; j++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(a[j]), _mm256_loadu_ps(xs[j] + i), acc);
        _mm256_storeu_ps(y + i, acc);
    }
    for (; i < n; i++) {
        float acc = y[i];
        for (int j = 0; j < m; j++) acc += a[j] * xs[j][i];
        y[i] = acc;
    }
}
#endif

/* ---- dispatch -------------------------------------------------------- */

static int cpu_has_avx2(void) {
#ifdef EMB_HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

struct emb_vec_ops emb_vec_ops_get(enum emb_simd want) {
    struct emb_vec_ops ops = {EMB_SIMD_REF, emb_vec_dot_ref, emb_vec_axpy_ref, emb_vec_scale_ref,
                              emb_vec_dot_many_ref, emb_vec_axpy_many_ref};
#ifdef EMB_HAVE_X86
    if (want != EMB_SIMD_REF && cpu_has_avx2()) {
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

const char *emb_simd_name(enum emb_simd kind) {
    switch (kind) {
    case EMB_SIMD_AVX2: return "avx2";
    case EMB_SIMD_REF: return "ref";
    default: return "auto";
    }
}

float emb_vec_normalize(const struct emb_vec_ops *ops, int64_t n, float *x) {
    float norm = sqrtf(ops->dot(n, x, x));
    if (norm > 0.0f) ops->scale(n, 1.0f / norm, x);
    return norm;
}

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
