/* vec_test.c -- the SIMD kernels (AVX2, AVX-512) against the scalar
 * reference, plus normalisation and top-k selection.
 *
 * Every kernel runs on random data for lengths 0..70, 100, 112 and 300, both
 * on aligned buffers and on pointers shifted by one float, and is compared
 * with the reference under an error bound that scales with the size of the
 * terms (so cancellation cannot make a correct FMA result look wrong, while
 * a dropped or doubled element still shows). Guard floats around every
 * output catch writes past either end. On a CPU without AVX2 both sides are
 * the reference and the comparison is trivially exact; a note says so. The
 * AVX-512 path masks its tails, so lengths 0..70 cover every mask. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emb/rng.h"
#include "emb/vec.h"
#include "test.h"

#define MAX_N 300
#define MAX_M 9
/* Room for one float of offset, the vector and guard floats on both sides. */
#define GUARD 8
#define BUF_N (MAX_N + 2 * GUARD + 1)
/* A value no kernel produces from our inputs: marks untouched memory. */
#define SENTINEL 12345.678f

static struct emb_vec_ops ops, ref;

static const int64_t extra_lengths[] = {100, 112, 300};

/* Lengths to test: 0..70 then a few long ones. Returns false when done. */
static int next_length(int idx, int64_t *n) {
    if (idx <= 70) {
        *n = idx;
        return 1;
    }
    idx -= 71;
    if (idx < (int)(sizeof extra_lengths / sizeof extra_lengths[0])) {
        *n = extra_lengths[idx];
        return 1;
    }
    return 0;
}

static void fill(struct emb_rng *r, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = 2.0f * emb_rng_uniform(r) - 1.0f;
}

static void fill_sentinel(float *buf, int64_t n) {
    for (int64_t i = 0; i < n; i++) buf[i] = SENTINEL;
}

/* A float sum of n terms computed in any order differs from the exact sum
 * by at most about n * eps * sum|terms|; two such sums differ by twice that. */
static double sum_bound(int64_t n, double abs_sum) { return (2.0 * (double)n + 4.0) * FLT_EPSILON * abs_sum + 1e-30; }

static int test_dot(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 1, 0);
    static float xb[BUF_N], yb[BUF_N];
    int64_t n;
    for (int li = 0; next_length(li, &n); li++)
        for (int off = 0; off <= 1; off++)
            for (int rep = 0; rep < 4; rep++) {
                float *x = xb + GUARD + off, *y = yb + GUARD + off;
                fill_sentinel(xb, BUF_N);
                fill_sentinel(yb, BUF_N);
                fill(&r, x, n);
                fill(&r, y, n);
                double abs_sum = 0, exact = 0;
                for (int64_t i = 0; i < n; i++) {
                    abs_sum += fabs((double)x[i] * y[i]);
                    exact += (double)x[i] * y[i];
                }
                float a = ops.dot(n, x, y), b = ref.dot(n, x, y);
                if (!(fabs((double)a - b) <= sum_bound(n, abs_sum)) || !(fabs(a - exact) <= sum_bound(n, abs_sum))) {
                    fprintf(stderr, "dot n=%lld off=%d: simd %.9g ref %.9g exact %.9g\n", (long long)n, off, a, b,
                            exact);
                    return 1;
                }
                if (n == 0) CHECK(a == 0.0f && b == 0.0f);
            }
    return 0;
}

static int test_axpy(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 2, 0);
    static float xb[BUF_N], ya[BUF_N], yr[BUF_N];
    int64_t n;
    for (int li = 0; next_length(li, &n); li++)
        for (int off = 0; off <= 1; off++) {
            float *x = xb + GUARD + off, *y1 = ya + GUARD + off, *y2 = yr + GUARD + off;
            fill_sentinel(xb, BUF_N);
            fill_sentinel(ya, BUF_N);
            fill(&r, x, n);
            fill(&r, y1, n);
            memcpy(yr, ya, sizeof yr);
            float a = 4.0f * emb_rng_uniform(&r) - 2.0f;
            ops.axpy(n, a, x, y1);
            ref.axpy(n, a, x, y2);
            for (int64_t i = 0; i < BUF_N; i++) {
                int64_t k = i - GUARD - off; /* index into the vector, or outside */
                if (k < 0 || k >= n) {
                    if (ya[i] != SENTINEL) {
                        fprintf(stderr, "axpy n=%lld off=%d wrote outside the vector at %lld\n", (long long)n, off,
                                (long long)k);
                        return 1;
                    }
                    continue;
                }
                /* FMA rounds once, the reference twice. */
                double y0 = yr[i] - (double)a * x[k]; /* ~ the input y */
                double tol = 4.0 * FLT_EPSILON * (fabs(y0) + fabs((double)a * x[k])) + 1e-30;
                if (!(fabs((double)ya[i] - yr[i]) <= tol)) {
                    fprintf(stderr, "axpy n=%lld off=%d i=%lld: simd %.9g ref %.9g\n", (long long)n, off,
                            (long long)k, ya[i], yr[i]);
                    return 1;
                }
            }
        }
    return 0;
}

static int test_scale(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 3, 0);
    static float xa[BUF_N], xr[BUF_N];
    int64_t n;
    for (int li = 0; next_length(li, &n); li++)
        for (int off = 0; off <= 1; off++) {
            fill_sentinel(xa, BUF_N);
            fill(&r, xa + GUARD + off, n);
            memcpy(xr, xa, sizeof xr);
            float a = 4.0f * emb_rng_uniform(&r) - 2.0f;
            ops.scale(n, a, xa + GUARD + off);
            ref.scale(n, a, xr + GUARD + off);
            /* One correctly rounded multiply per element: results are identical,
             * and the guards are untouched. */
            for (int64_t i = 0; i < BUF_N; i++) {
                int64_t k = i - GUARD - off;
                if (xa[i] != xr[i] || ((k < 0 || k >= n) && xa[i] != SENTINEL)) {
                    fprintf(stderr, "scale n=%lld off=%d at %lld: simd %.9g ref %.9g\n", (long long)n, off,
                            (long long)k, xa[i], xr[i]);
                    return 1;
                }
            }
        }
    return 0;
}

static int test_dot_many(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 4, 0);
    static float xb[BUF_N], yb[MAX_M][BUF_N];
    float out_a[MAX_M + 2], out_r[MAX_M + 2];
    const float *ys[MAX_M];
    int64_t n;
    for (int li = 0; next_length(li, &n); li++)
        for (int off = 0; off <= 1; off++)
            for (int m = 1; m <= MAX_M; m++) {
                float *x = xb + GUARD + off;
                fill(&r, x, n);
                for (int j = 0; j < m; j++) {
                    /* Rows at different offsets: shift row j by (j + off) % 2. */
                    float *y = yb[j] + GUARD + (j + off) % 2;
                    fill(&r, y, n);
                    ys[j] = y;
                }
                fill_sentinel(out_a, MAX_M + 2);
                fill_sentinel(out_r, MAX_M + 2);
                ops.dot_many(n, x, m, ys, out_a + 1);
                ref.dot_many(n, x, m, ys, out_r + 1);
                CHECK(out_a[0] == SENTINEL && out_a[m + 1] == SENTINEL);
                for (int j = 0; j < m; j++) {
                    double abs_sum = 0;
                    for (int64_t i = 0; i < n; i++) abs_sum += fabs((double)x[i] * ys[j][i]);
                    float single = ref.dot(n, x, ys[j]);
                    if (!(fabs((double)out_a[j + 1] - out_r[j + 1]) <= sum_bound(n, abs_sum)) ||
                        out_r[j + 1] != single) {
                        fprintf(stderr, "dot_many n=%lld m=%d j=%d: simd %.9g ref %.9g dot %.9g\n", (long long)n, m,
                                j, out_a[j + 1], out_r[j + 1], single);
                        return 1;
                    }
                }
            }
    return 0;
}

static int test_axpy_many(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 5, 0);
    static float xb[MAX_M][BUF_N], ya[BUF_N], yr[BUF_N], y0[BUF_N];
    float a[MAX_M];
    const float *xs[MAX_M];
    int64_t n;
    for (int li = 0; next_length(li, &n); li++)
        for (int off = 0; off <= 1; off++)
            for (int m = 1; m <= MAX_M; m++) {
                for (int j = 0; j < m; j++) {
                    float *x = xb[j] + GUARD + (j + off) % 2;
                    fill(&r, x, n);
                    xs[j] = x;
                    a[j] = 2.0f * emb_rng_uniform(&r) - 1.0f;
                }
                fill_sentinel(y0, BUF_N);
                fill(&r, y0 + GUARD + off, n);
                memcpy(ya, y0, sizeof ya);
                memcpy(yr, y0, sizeof yr);
                ops.axpy_many(n, m, a, xs, ya + GUARD + off);
                ref.axpy_many(n, m, a, xs, yr + GUARD + off);
                for (int64_t i = 0; i < BUF_N; i++) {
                    int64_t k = i - GUARD - off;
                    if (k < 0 || k >= n) {
                        if (ya[i] != SENTINEL) {
                            fprintf(stderr, "axpy_many n=%lld m=%d wrote outside at %lld\n", (long long)n, m,
                                    (long long)k);
                            return 1;
                        }
                        continue;
                    }
                    double abs_sum = fabs(y0[i]), exact = y0[i];
                    for (int j = 0; j < m; j++) {
                        abs_sum += fabs((double)a[j] * xs[j][k]);
                        exact += (double)a[j] * xs[j][k];
                    }
                    double tol = sum_bound(m + 1, abs_sum);
                    if (!(fabs((double)ya[i] - yr[i]) <= tol) || !(fabs(ya[i] - exact) <= tol)) {
                        fprintf(stderr, "axpy_many n=%lld m=%d off=%d i=%lld: simd %.9g ref %.9g exact %.9g\n",
                                (long long)n, m, off, (long long)k, ya[i], yr[i], exact);
                        return 1;
                    }
                }
            }
    return 0;
}

static int test_normalize(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 6, 0);
    float x[MAX_N + 1], orig[MAX_N + 1];
    int64_t n;
    for (int li = 1; next_length(li, &n); li++) {
        fill(&r, x, n);
        for (int64_t i = 0; i < n; i++) x[i] *= 3.0f;
        memcpy(orig, x, (size_t)n * sizeof *x);
        double nn = 0;
        for (int64_t i = 0; i < n; i++) nn += (double)x[i] * x[i];
        float norm = emb_vec_normalize(&ops, n, x);
        CHECK_NEAR(norm, sqrt(nn), 1e-5 * sqrt(nn));
        double after = 0;
        for (int64_t i = 0; i < n; i++) after += (double)x[i] * x[i];
        CHECK_NEAR(after, 1.0, 1e-5);
        /* Direction kept: x = orig / norm. */
        for (int64_t i = 0; i < n; i++) CHECK_NEAR(x[i] * norm, orig[i], 1e-5 * (fabs(orig[i]) + 1e-3));
    }
    /* A zero vector is left alone and reports norm 0. */
    float z[5] = {0, 0, 0, 0, 0};
    CHECK(emb_vec_normalize(&ops, 5, z) == 0.0f);
    for (int i = 0; i < 5; i++) CHECK(z[i] == 0.0f);
    CHECK(emb_vec_normalize(&ops, 0, z) == 0.0f);
    /* Known value: (3, 4) has norm 5. */
    float v[2] = {3, 4};
    CHECK_NEAR(emb_vec_normalize(&ref, 2, v), 5.0, 1e-6);
    CHECK_NEAR(v[0], 0.6, 1e-6);
    CHECK_NEAR(v[1], 0.8, 1e-6);
    return 0;
}

/* The whole float range: squares that overflow float (components past
 * ~1.8e19) or underflow it must still give a unit vector in the same
 * direction (1e20 used to give a zero cosine), for every length and with
 * these kernels; non-finite vectors are left alone. */
static int test_normalize_range(void) {
    const float scales[] = {1e20f, 3e38f, FLT_MAX, 1.8e19f, 1e-20f, 1e-30f, 1e-38f, 1e-43f};
    struct emb_rng r;
    emb_rng_seed(&r, 8, 0);
    float x[MAX_N + 1], unit[MAX_N + 1];
    int64_t n;
    for (int li = 1; next_length(li, &n); li++) {
        fill(&r, unit, n);
        unit[0] = 1.0f; /* never all zero */
        double nn = 0;
        for (int64_t i = 0; i < n; i++) nn += (double)unit[i] * unit[i];
        for (int64_t i = 0; i < n; i++) unit[i] = (float)(unit[i] / sqrt(nn));
        for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
            /* Components at the scale, as a float holds them (subnormals
             * keep few bits: compare with the rounded vector's own norm). */
            double want = 0;
            for (int64_t i = 0; i < n; i++) {
                x[i] = (float)((double)unit[i] * scales[k]);
                if (isinf(x[i])) x[i] = unit[i] > 0 ? FLT_MAX : -FLT_MAX;
                want += ((double)x[i] / scales[k]) * ((double)x[i] / scales[k]);
            }
            want = sqrt(want) * scales[k];
            float y[MAX_N + 1];
            memcpy(y, x, (size_t)n * sizeof *x);
            float norm = emb_vec_normalize(&ops, n, y);
            if (want <= FLT_MAX * (1 - 1e-5)) CHECK_NEAR(norm, want, 1e-5 * want + 2e-45); /* a subnormal norm rounds */
            else CHECK(isinf(norm) || norm >= FLT_MAX * (1 - 2e-5)); /* past FLT_MAX: inf */
            double after = 0;
            for (int64_t i = 0; i < n; i++) after += (double)y[i] * y[i];
            if (!(fabs(after - 1.0) <= 1e-5)) {
                fprintf(stderr, "n = %lld, scale %g: |x| after = %.9g\n", (long long)n, scales[k], sqrt(after));
                return 1;
            }
            for (int64_t i = 0; i < n; i++) CHECK_NEAR(y[i], x[i] / want, 1e-5);
        }
    }
    /* The vectors: (1e20, 1e20) and (1, 1) have cosine 1. */
    float a[2] = {1e20f, 1e20f}, b[2] = {1, 1};
    emb_vec_normalize(&ops, 2, a);
    emb_vec_normalize(&ops, 2, b);
    CHECK_NEAR(ops.dot(2, a, b), 1.0, 1e-6);
    /* Non-finite: untouched, the norm says so. */
    float c[3] = {1, NAN, 2}, d[3] = {1, INFINITY, 2}, e[3] = {-INFINITY, 1e30f, 2};
    CHECK(isnan(emb_vec_normalize(&ops, 3, c)) && c[0] == 1 && isnan(c[1]) && c[2] == 2);
    CHECK(isinf(emb_vec_normalize(&ops, 3, d)) && d[0] == 1 && isinf(d[1]) && d[2] == 2);
    CHECK(isinf(emb_vec_normalize(&ops, 3, e)) && isinf(e[0]) && e[1] == 1e30f && e[2] == 2);
    return 0;
}

/* ---- top-k against a full sort ---------------------------------------- */

struct item {
    float score;
    int64_t id;
};

/* Best first: higher score, then lower id. */
static int cmp_best(const void *a, const void *b) {
    const struct item *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Push items[0..n) in a shuffled order, compare with the sorted non-NaN
 * items. */
static int check_topk(struct item *items, int n, int k, struct emb_rng *r) {
    int64_t ids[64];
    float scores[64];
    int *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    struct item *sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    CHECK(order && sorted && k <= 64);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)emb_rng_below(r, (uint64_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    struct emb_topk t;
    emb_topk_init(&t, k, ids, scores);
    for (int i = 0; i < n; i++) emb_topk_push(&t, items[order[i]].id, items[order[i]].score);
    int n_valid = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(items[i].score)) sorted[n_valid++] = items[i];
    qsort(sorted, (size_t)n_valid, sizeof *sorted, cmp_best);
    int want = k < n_valid ? k : n_valid;
    if (want < 0) want = 0;
    int got = emb_topk_sorted(&t);
    int bad = got != want;
    for (int i = 0; !bad && i < got; i++) bad = ids[i] != sorted[i].id || scores[i] != sorted[i].score;
    if (bad) {
        fprintf(stderr, "topk n=%d k=%d: got %d items, want %d\n", n, k, got, want);
        for (int i = 0; i < want || i < got; i++)
            fprintf(stderr, "  %d: got (%lld, %g) want (%lld, %g)\n", i, i < got ? (long long)ids[i] : -1LL,
                    i < got ? scores[i] : 0.0, i < want ? (long long)sorted[i].id : -1LL,
                    i < want ? sorted[i].score : 0.0);
    }
    free(order);
    free(sorted);
    return bad;
}

static int test_topk(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 7, 0);
    struct item items[500];
    const int ks[] = {0, 1, 2, 3, 5, 10, 17, 64};
    for (int rep = 0; rep < 200; rep++) {
        int n = (int)emb_rng_below(&r, 500);
        /* Few distinct scores on some rounds, so ties are common. */
        int levels = rep % 3 == 0 ? 4 : 1000000;
        for (int i = 0; i < n; i++) {
            items[i].id = (int64_t)i * 7 + 3; /* ids not equal to positions */
            items[i].score = (float)emb_rng_below(&r, (uint64_t)levels) / (float)levels - 0.5f;
            if (rep % 4 == 1 && emb_rng_below(&r, 10) == 0) items[i].score = NAN;
        }
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
            if (check_topk(items, n, ks[ki], &r)) return 1;
    }
    /* k > n, and all-NaN input. */
    for (int i = 0; i < 5; i++) items[i] = (struct item){(float)i, i};
    if (check_topk(items, 5, 64, &r)) return 1;
    for (int i = 0; i < 5; i++) items[i].score = NAN;
    if (check_topk(items, 5, 3, &r)) return 1;
    /* Hand-checked: ties keep the lower id first. */
    int64_t ids[3];
    float scores[3];
    struct emb_topk t;
    emb_topk_init(&t, 3, ids, scores);
    emb_topk_push(&t, 9, 1.0f);
    emb_topk_push(&t, 4, 2.0f);
    emb_topk_push(&t, 5, 1.0f);
    emb_topk_push(&t, 2, 1.0f);
    emb_topk_push(&t, 7, NAN);
    emb_topk_push(&t, 1, 0.5f);
    CHECK(emb_topk_sorted(&t) == 3);
    CHECK(ids[0] == 4 && scores[0] == 2.0f);
    CHECK(ids[1] == 2 && scores[1] == 1.0f);
    CHECK(ids[2] == 5 && scores[2] == 1.0f);
    /* k = 0 keeps nothing and touches no array. */
    emb_topk_init(&t, 0, NULL, NULL);
    emb_topk_push(&t, 1, 1.0f);
    CHECK(emb_topk_sorted(&t) == 0);
    return 0;
}

static int test_dispatch(void) {
    unsetenv("EMB_SIMD"); /* the user's cap would change what AUTO picks */
    struct emb_vec_ops r = emb_vec_ops_get(EMB_SIMD_REF);
    CHECK(r.kind == EMB_SIMD_REF);
    CHECK(r.dot == emb_vec_dot_ref && r.axpy == emb_vec_axpy_ref && r.scale == emb_vec_scale_ref);
    CHECK(r.dot_many == emb_vec_dot_many_ref && r.axpy_many == emb_vec_axpy_many_ref);
    /* Requests fall back AVX-512 -> AVX2 -> REF; AUTO takes the best. */
    struct emb_vec_ops a = emb_vec_ops_get(EMB_SIMD_AUTO), a2 = emb_vec_ops_get(EMB_SIMD_AVX2),
                       a5 = emb_vec_ops_get(EMB_SIMD_AVX512);
    CHECK(a2.kind == EMB_SIMD_AVX2 || a2.kind == EMB_SIMD_REF);
    CHECK(a5.kind == EMB_SIMD_AVX512 || a5.kind == a2.kind);
    CHECK(a.kind == a5.kind);
    CHECK(a.dot == a5.dot && a.axpy_many == a5.axpy_many);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    CHECK((a2.kind == EMB_SIMD_AVX2) == (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")));
    CHECK((a5.kind == EMB_SIMD_AVX512) == (__builtin_cpu_supports("avx512f") != 0));
#endif
    /* The choice is stable from call to call. */
    for (int i = 0; i < 3; i++) CHECK(emb_vec_ops_get(EMB_SIMD_AUTO).kind == a.kind);
    CHECK(strcmp(emb_simd_name(EMB_SIMD_REF), "ref") == 0);
    CHECK(strcmp(emb_simd_name(EMB_SIMD_AVX2), "avx2") == 0);
    CHECK(strcmp(emb_simd_name(EMB_SIMD_AVX512), "avx512") == 0);
    /* Names parse back; anything else is refused. */
    struct emb_err err = {0};
    for (int k = EMB_SIMD_AUTO; k <= EMB_SIMD_AVX512; k++) {
        enum emb_simd back;
        CHECK_OK(emb_simd_parse(emb_simd_name((enum emb_simd)k), &back, NULL));
        CHECK(back == (enum emb_simd)k);
    }
    enum emb_simd junk;
    CHECK(emb_simd_parse("sse9", &junk, &err) == EMB_EINVAL && strstr(err.msg, "sse9"));
    /* EMB_SIMD caps AUTO (and never a named request); resolve never says AUTO. */
    CHECK(emb_simd_resolve(EMB_SIMD_AUTO) == a.kind);
    setenv("EMB_SIMD", "ref", 1);
    CHECK(emb_simd_resolve(EMB_SIMD_AUTO) == EMB_SIMD_REF);
    CHECK(emb_vec_ops_get(EMB_SIMD_AUTO).kind == EMB_SIMD_REF);
    CHECK(emb_simd_resolve(EMB_SIMD_AVX512) == a5.kind);
    setenv("EMB_SIMD", "avx2", 1);
    CHECK(emb_simd_resolve(EMB_SIMD_AUTO) == a2.kind);
    setenv("EMB_SIMD", "bogus", 1);
    CHECK(emb_simd_resolve(EMB_SIMD_AUTO) == a.kind);
    unsetenv("EMB_SIMD");
    return 0;
}

int main(void) {
    int failed = 0;
    ref = emb_vec_ops_get(EMB_SIMD_REF);
    RUN(test_dispatch);
    RUN(test_topk);
    /* Every SIMD path this CPU has, against the reference. */
    const enum emb_simd kinds[] = {EMB_SIMD_AVX2, EMB_SIMD_AVX512};
    int n_tested = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        ops = emb_vec_ops_get(kinds[k]);
        if (ops.kind != kinds[k]) {
            printf("vec_test: note: no %s on this CPU (got %s), comparing %s with the reference\n",
                   emb_simd_name(kinds[k]), emb_simd_name(ops.kind), emb_simd_name(ops.kind));
        } else {
            n_tested++;
        }
        int before = failed;
        RUN(test_dot);
        RUN(test_axpy);
        RUN(test_scale);
        RUN(test_dot_many);
        RUN(test_axpy_many);
        RUN(test_normalize);
        RUN(test_normalize_range);
        if (failed > before) fprintf(stderr, "  (kernels: %s)\n", emb_simd_name(ops.kind));
    }
    if (failed) return 1;
    printf("vec_test: ok (%d SIMD path%s checked)\n", n_tested, n_tested == 1 ? "" : "s");
    return 0;
}
