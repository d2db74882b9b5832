/* sample_test.c -- the alias sampler draws from the distribution it was
 * built from.
 *
 * Two checks per distribution: the exact probability the table implies
 * (column acceptance plus alias mass, computed from prob/alias) must match
 * the normalised weights, and 2M draws with a fixed seed must pass a
 * chi-square test against the weights. Outcomes of weight zero must have
 * implied probability exactly zero and never be drawn. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emb/sample.h"
#include "test.h"

/* Probability of each outcome implied by the table: column i is picked with
 * 1/n, accepted with prob[i]/2^32, otherwise alias[i] is returned. */
static void implied(const struct emb_alias *a, double *p) {
    for (int32_t i = 0; i < a->n; i++) p[i] = 0;
    for (int32_t i = 0; i < a->n; i++) {
        double acc = a->prob[i] / 4294967296.0;
        p[i] += acc / a->n;
        p[a->alias[i]] += (1.0 - acc) / a->n;
    }
}

/* Chi-square of observed counts against w (expected = n_draws * w / sum),
 * over outcomes with non-zero weight; zero-weight outcomes must be 0.
 * Returns -1 if a zero-weight outcome was drawn. */
static double chi2(const int64_t *obs, const double *w, int32_t n, int64_t n_draws, int *df) {
    double sum = 0, x = 0;
    for (int32_t i = 0; i < n; i++) sum += w[i];
    *df = -1;
    for (int32_t i = 0; i < n; i++) {
        if (w[i] == 0) {
            if (obs[i] != 0) return -1;
            continue;
        }
        double e = (double)n_draws * w[i] / sum;
        x += (obs[i] - e) * (obs[i] - e) / e;
        ++*df;
    }
    return x;
}

/* Build from w, check the table, draw n_draws times, chi-square test at
 * mean + 5 sd (about p = 1e-5 for large df; a fixed per-df bound below). */
static int check_dist(const double *w, int32_t n, int64_t n_draws, uint64_t seed, const char *what) {
    struct emb_err err = {0};
    struct emb_alias *a = NULL;
    CHECK_OK(emb_alias_new(&a, w, n, &err));
    CHECK(a && a->n == n);
    int bad = 0;
    double *p = malloc((size_t)n * sizeof *p);
    int64_t *obs = calloc((size_t)n, sizeof *obs);
    CHECK(p && obs);
    double sum = 0;
    for (int32_t i = 0; i < n; i++) sum += w[i];
    implied(a, p);
    for (int32_t i = 0; i < n && !bad; i++) {
        CHECK(a->alias[i] >= 0 && a->alias[i] < n);
        double want = w[i] / sum;
        /* 32-bit thresholds: error about 2^-32 per column, relative to 1/n. */
        if (w[i] == 0 ? p[i] != 0 : !(fabs(p[i] - want) <= 1e-6 * want + 1e-9 / n)) {
            fprintf(stderr, "%s: outcome %d: table gives %.12g, weights %.12g\n", what, i, p[i], want);
            bad = 1;
        }
    }
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int64_t k = 0; k < n_draws && !bad; k++) {
        int32_t s = emb_alias_sample(a, &r);
        if (s < 0 || s >= n) {
            fprintf(stderr, "%s: draw %d out of range\n", what, s);
            bad = 1;
        } else {
            obs[s]++;
        }
    }
    if (!bad) {
        int df;
        double x = chi2(obs, w, n, n_draws, &df);
        /* df = 0 (one possible outcome): every draw is that outcome. */
        double limit = df == 0 ? 0 : df < 30 ? 60 : df + 5 * sqrt(2.0 * df);
        if (x < 0 || x > limit) {
            fprintf(stderr, "%s: chi2 = %.2f over %d df (limit %.1f)%s\n", what, x, df, limit,
                    x < 0 ? ": a zero-weight outcome was drawn" : "");
            bad = 1;
        }
    }
    free(p);
    free(obs);
    emb_alias_free(a);
    return bad;
}

static int test_zipf(void) {
    /* A Zipf vocabulary of 1000 words (count ~ 1e7 / rank), weights count^0.75
     * as in word2vec's negative sampling, through emb_alias_new_pow. */
    enum { N = 1000 };
    static int64_t counts[N];
    static double w[N];
    for (int i = 0; i < N; i++) {
        counts[i] = 10000000 / (i + 1);
        w[i] = pow((double)counts[i], 0.75);
    }
    CHECK(check_dist(w, N, 2000000, 1, "zipf^0.75") == 0);
    /* emb_alias_new_pow builds the same table as the weights it implies. */
    struct emb_err err = {0};
    struct emb_alias *a = NULL, *b = NULL;
    CHECK_OK(emb_alias_new_pow(&a, counts, N, 0.75, &err));
    CHECK_OK(emb_alias_new(&b, w, N, &err));
    CHECK(memcmp(a->prob, b->prob, N * sizeof *a->prob) == 0);
    CHECK(memcmp(a->alias, b->alias, N * sizeof *a->alias) == 0);
    /* Draws from a fixed seed are reproducible. */
    struct emb_rng r1, r2;
    emb_rng_seed(&r1, 5, 2);
    emb_rng_seed(&r2, 5, 2);
    for (int k = 0; k < 1000; k++) CHECK(emb_alias_sample(a, &r1) == emb_alias_sample(b, &r2));
    emb_alias_free(a);
    emb_alias_free(b);
    /* Power 1 (raw counts) and a very skewed distribution. */
    for (int i = 0; i < N; i++) w[i] = (double)counts[i];
    CHECK(check_dist(w, N, 2000000, 2, "zipf^1") == 0);
    return 0;
}

static int test_edge_cases(void) {
    double one[1] = {3.5};
    CHECK(check_dist(one, 1, 100000, 3, "one outcome") == 0);
    double zeros[7] = {0, 1, 0, 3, 0, 0, 2};
    CHECK(check_dist(zeros, 7, 2000000, 4, "zeros among non-zeros") == 0);
    double first_only[5] = {1e-300, 0, 0, 0, 0};
    CHECK(check_dist(first_only, 5, 100000, 5, "one non-zero weight") == 0);
    double last_only[4] = {0, 0, 0, 7};
    CHECK(check_dist(last_only, 4, 100000, 6, "last non-zero weight") == 0);
    double uniform[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(check_dist(uniform, 10, 2000000, 7, "uniform") == 0);
    double skew[3] = {1e12, 1, 1};
    CHECK(check_dist(skew, 3, 2000000, 8, "1e12 : 1 : 1") == 0);
    /* Many zero weights around a few large ones. */
    enum { M = 5000 };
    static double sparse[M];
    for (int i = 0; i < M; i++) sparse[i] = i % 100 == 17 ? (double)(i % 7 + 1) : 0.0;
    CHECK(check_dist(sparse, M, 2000000, 9, "sparse") == 0);
    /* Zero counts through the pow builder stay impossible. */
    struct emb_err err = {0};
    struct emb_alias *a = NULL;
    int64_t counts[5] = {0, 10, 0, 5, -3};
    CHECK_OK(emb_alias_new_pow(&a, counts, 5, 0.75, &err));
    struct emb_rng r;
    emb_rng_seed(&r, 10, 0);
    for (int k = 0; k < 200000; k++) {
        int32_t s = emb_alias_sample(a, &r);
        CHECK(s == 1 || s == 3);
    }
    emb_alias_free(a);
    return 0;
}

static int expect_invalid(const double *w, int32_t n, const char *what) {
    struct emb_err err = {0};
    struct emb_alias *a = (struct emb_alias *)&err; /* must be reset to NULL */
    int rc = emb_alias_new(&a, w, n, &err);
    if (rc != EMB_EINVAL || a != NULL || err.code != EMB_EINVAL || !err.msg[0]) {
        fprintf(stderr, "%s: rc %d, want EMB_EINVAL\n", what, rc);
        return 1;
    }
    return 0;
}

static int test_invalid(void) {
    double w[3] = {1, 2, 3};
    CHECK(expect_invalid(w, 0, "n = 0") == 0);
    CHECK(expect_invalid(w, -1, "n < 0") == 0);
    double neg[3] = {1, -0.5, 3};
    CHECK(expect_invalid(neg, 3, "negative weight") == 0);
    double nan_w[3] = {1, NAN, 3};
    CHECK(expect_invalid(nan_w, 3, "NaN weight") == 0);
    double inf_w[3] = {1, INFINITY, 3};
    CHECK(expect_invalid(inf_w, 3, "infinite weight") == 0);
    double zero[4] = {0, 0, 0, 0};
    CHECK(expect_invalid(zero, 4, "all zero") == 0);
    struct emb_err err = {0};
    struct emb_alias *a = NULL;
    int64_t counts[3] = {0, 0, 0};
    CHECK(emb_alias_new_pow(&a, counts, 3, 0.75, &err) == EMB_EINVAL && a == NULL);
    CHECK(emb_alias_new_pow(&a, counts, 0, 0.75, &err) == EMB_EINVAL && a == NULL);
    CHECK(emb_alias_new(&a, neg, 3, NULL) == EMB_EINVAL); /* err may be NULL */
    emb_alias_free(NULL);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_invalid);
    RUN(test_edge_cases);
    RUN(test_zipf);
    if (failed) return 1;
    printf("sample_test: ok\n");
    return 0;
}
