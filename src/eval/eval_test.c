/* eval_test.c -- tests for queries, the analogy and similarity benchmarks,
 * and the rank statistics.
 *
 * Vector sets are built in memory (vocabulary + table) so these tests do
 * not depend on the file loaders; question and pair files are written to
 * a temporary directory. Brute-force scalar loops are the reference for
 * the SIMD/threaded paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/eval.h"
#include "emb/rng.h"
#include "test.h"

static char tmpdir[64];

/* Write text to tmpdir/name; returns the path (static buffer per call site
 * is not needed: callers copy or use it right away). */
static const char *write_file(const char *name, const char *text) {
    static char path[4][256];
    static int which = 0;
    char *p = path[which++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return p;
}

/* An in-memory vector set: words[i] gets row data[i*dim .. (i+1)*dim). */
static struct emb_vecs *make_vecs(const char *const *words, const float *data, int n, int dim) {
    struct emb_vecs *v = emb_calloc(1, sizeof *v);
    if (!v) return NULL;
    if (emb_vocab_new(&v->vocab, NULL) != EMB_OK || emb_table_new(&v->table, n, dim, NULL) != EMB_OK) return NULL;
    for (int i = 0; i < n; i++) {
        if (emb_vocab_add(v->vocab, words[i], strlen(words[i]), 0, NULL, NULL) != EMB_OK) return NULL;
        memcpy(emb_table_row(v->table, i), data + (size_t)i * dim, (size_t)dim * sizeof(float));
    }
    return v;
}

/* Random vectors named w0, w1, ... */
static struct emb_vecs *random_vecs(int n, int dim, uint64_t seed) {
    struct emb_vecs *v = emb_calloc(1, sizeof *v);
    char w[32];
    if (!v) return NULL;
    if (emb_vocab_new(&v->vocab, NULL) != EMB_OK || emb_table_new(&v->table, n, dim, NULL) != EMB_OK) return NULL;
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int i = 0; i < n; i++) {
        snprintf(w, sizeof w, "w%d", i);
        if (emb_vocab_add(v->vocab, w, strlen(w), 0, NULL, NULL) != EMB_OK) return NULL;
        float *row = emb_table_row(v->table, i);
        for (int j = 0; j < dim; j++) row[j] = emb_rng_uniform(&r) * 2.0f - 1.0f;
    }
    return v;
}

static void free_vecs(struct emb_vecs *v) {
    if (!v) return;
    emb_vocab_free(v->vocab);
    emb_table_free(v->table);
    emb_free(v);
}

static double cos_ref(const float *x, const float *y, int dim) {
    double xy = 0, xx = 0, yy = 0;
    for (int i = 0; i < dim; i++) {
        xy += (double)x[i] * y[i];
        xx += (double)x[i] * x[i];
        yy += (double)y[i] * y[i];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
}

/* ---- rank statistics ---------------------------------------------------- */

static int test_rank_average(void) {
    struct emb_err err = {0};
    double x[] = {10, 20, 20, 30, 20, 5}, r[6];
    CHECK_OK(emb_rank_average(x, 6, r, &err));
    /* sorted: 5(1) 10(2) 20,20,20(3,4,5 -> 4) 30(6) */
    double want[] = {2, 4, 4, 6, 4, 1};
    for (int i = 0; i < 6; i++) CHECK_NEAR(r[i], want[i], 0);
    return 0;
}

static int test_spearman(void) {
    struct emb_err err = {0};
    double rho;
    /* No ties: d^2 = 0+1+1+0, rho = 1 - 6*2/(4*(16-1)) = 0.8. */
    double x1[] = {1, 2, 3, 4}, y1[] = {1, 3, 2, 4};
    CHECK_OK(emb_spearman(x1, y1, 4, &rho, &err));
    CHECK_NEAR(rho, 0.8, 1e-12);
    /* Reversed: -1. Monotone but non-linear: +1. */
    double y2[] = {40, 30, 20, 10}, y3[] = {1, 8, 27, 1000};
    CHECK_OK(emb_spearman(x1, y2, 4, &rho, &err));
    CHECK_NEAR(rho, -1.0, 1e-12);
    CHECK_OK(emb_spearman(x1, y3, 4, &rho, &err));
    CHECK_NEAR(rho, 1.0, 1e-12);
    /* Ties: y ranks (1, 2, 3.5, 5, 3.5) against (1..5): centred
     * dy = (-2, -1, .5, 2, .5), sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5,
     * rho = 8 / sqrt(95) (scipy.stats.spearmanr gives 0.8207826816681233). */
    double x4[] = {1, 2, 3, 4, 5}, y4[] = {5, 6, 7, 8, 7};
    CHECK_OK(emb_spearman(x4, y4, 5, &rho, &err));
    CHECK_NEAR(rho, 8.0 / sqrt(95.0), 1e-12);
    CHECK_NEAR(rho, 0.8207826816681233, 1e-12);
    /* Ties on both sides: x ranks (1.5,1.5,3,4), y ranks (1,2.5,2.5,4):
     * dx = (-1,-1,.5,1.5), dy = (-1.5,0,0,1.5): sxy = 1.5+2.25 = 3.75,
     * sxx = 4.5, syy = 4.5, rho = 3.75/4.5 (scipy: 0.8333333333333334). */
    double x5[] = {1, 1, 2, 3}, y5[] = {0.1, 0.5, 0.5, 0.9};
    CHECK_OK(emb_spearman(x5, y5, 4, &rho, &err));
    CHECK_NEAR(rho, 3.75 / 4.5, 1e-12);
    /* Undefined: constant side, fewer than two points. */
    double c[] = {3, 3, 3, 3};
    CHECK_OK(emb_spearman(x1, c, 4, &rho, &err));
    CHECK(isnan(rho));
    CHECK_OK(emb_spearman(x1, y1, 1, &rho, &err));
    CHECK(isnan(rho));
    CHECK(isnan(emb_pearson(x1, y1, 0)));
    CHECK_NEAR(emb_pearson(x1, y2, 4), -1.0, 1e-12);
    return 0;
}

/* ---- queries ------------------------------------------------------------- */

static int test_neighbors_bruteforce(void) {
    struct emb_err err = {0};
    /* Enough rows to split over 2 threads; dim 37 exercises padding. */
    const int n = 20000, dim = 37, k = 10;
    struct emb_vecs *v = random_vecs(n, dim, 7);
    CHECK(v);
    memset(emb_table_row(v->table, 5), 0, dim * sizeof(float)); /* a zero row scores 0 */
    struct emb_query *q = NULL;
    CHECK_OK(emb_query_new(&q, v, 2, &err));
    CHECK(emb_query_size(q) == n && emb_query_dim(q) == dim);
    int64_t ids[10], bids[10];
    float scores[10];
    double bscores[10];
    for (int t = 0; t < 5; t++) {
        int32_t id = t * 3001 + 11;
        const float *x = emb_table_row(v->table, id);
        /* Exclude the word itself and its current best neighbour. */
        int32_t ex[2] = {id, -1};
        int nf = emb_query_neighbors(q, x, 1, ex, 1, ids, scores, &err);
        CHECK(nf == 1);
        ex[1] = (int32_t)ids[0];
        nf = emb_query_neighbors(q, x, k, ex, 2, ids, scores, &err);
        CHECK(nf == k);
        /* Brute force: insertion into a sorted top-k in double. */
        int nb = 0;
        for (int32_t j = 0; j < n; j++) {
            if (j == ex[0] || j == ex[1]) continue;
            double s = cos_ref(x, emb_table_row(v->table, j), dim);
            if (nb == k && s <= bscores[k - 1]) continue;
            int p = nb < k ? nb++ : k - 1;
            while (p > 0 && bscores[p - 1] < s) {
                bscores[p] = bscores[p - 1];
                bids[p] = bids[p - 1];
                p--;
            }
            bscores[p] = s;
            bids[p] = j;
        }
        for (int i = 0; i < k; i++) {
            CHECK_NEAR(scores[i], bscores[i], 1e-5);
            /* Same id unless two scores are within float rounding. */
            if (ids[i] != bids[i]) CHECK_NEAR(bscores[i], cos_ref(x, emb_table_row(v->table, ids[i]), dim), 1e-5);
            CHECK(ids[i] != ex[0] && ids[i] != ex[1]);
        }
        CHECK(ids[0] == bids[0]);
    }
    /* k larger than the table; a zero query scores 0 everywhere. */
    int64_t *all_ids = emb_alloc(sizeof(int64_t) * (n + 5));
    float *all_scores = emb_alloc(sizeof(float) * (n + 5)), zero[37] = {0};
    CHECK(all_ids && all_scores);
    CHECK(emb_query_neighbors(q, zero, n + 5, NULL, 0, all_ids, all_scores, &err) == n);
    CHECK(all_scores[0] == 0.0f && all_scores[n - 1] == 0.0f && all_ids[0] == 0 && all_ids[n - 1] == n - 1);
    emb_free(all_ids);
    emb_free(all_scores);
    CHECK(emb_query_neighbors(q, zero, 0, NULL, 0, ids, scores, &err) == 0);
    zero[3] = NAN;
    CHECK(emb_query_neighbors(q, zero, 3, NULL, 0, ids, scores, &err) == EMB_ENUMERIC);
    emb_query_free(q);
    emb_query_free(NULL);
    free_vecs(v);
    return 0;
}

/* man = m + c, woman = f + c, king = m + r, queen = f + r, so
 * king - man + woman = queen exactly (dims: male, female, royal, common,
 * and two "other" dims for distractors). */
static const char *const royal_words[] = {"man", "woman", "king", "queen", "apple", "Paris", "paris", "France",
                                          "Rome", "Italy", "Queen"};
static const float royal_data[] = {
    1, 0, 0, 1, 0, 0,   /* man */
    0, 1, 0, 1, 0, 0,   /* woman */
    1, 0, 1, 0, 0, 0,   /* king */
    0, 1, 1, 0, 0, 0,   /* queen */
    0, 0, 0, .3f, 1, 0, /* apple */
    0, 0, 0, 0, .2f, 1, /* Paris: the capital, more frequent than "paris" */
    0, 0, 0, 0, 1, .1f, /* paris: a different, rarer sense */
    .1f, 0, 0, 0, .5f, 1, /* France */
    0, 0, .1f, 0, 0, 1,  /* Rome */
    .1f, 0, .1f, 0, .3f, 1, /* Italy */
    0, 1, 1, 0, 0, .01f, /* Queen: a rare duplicate of queen */
};

static int test_query_analogy(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = make_vecs(royal_words, royal_data, 11, 6);
    CHECK(v);
    struct emb_query *q = NULL;
    CHECK_OK(emb_query_new(&q, v, 1, &err));
    CHECK(emb_query_find(q, "king", 4) == 2);
    CHECK(emb_query_find(q, "KING", 4) == 2);  /* folded */
    CHECK(emb_query_find(q, "Paris", 5) == 5); /* exact first */
    CHECK(emb_query_find(q, "nope", 4) == -1);
    CHECK(strcmp(emb_query_word(q, 3), "queen") == 0);
    CHECK_NEAR(emb_query_similarity(q, 0, 1), 0.5, 1e-6);
    int64_t ids[3];
    float scores[3];
    for (int m = 0; m < 2; m++) {
        int nf = emb_query_analogy(q, 0, 2, 1, (enum emb_analogy_method)m, 3, ids, scores, &err);
        CHECK(nf == 3);
        CHECK(ids[0] == 3); /* queen */
        for (int i = 0; i < 3; i++) CHECK(ids[i] != 0 && ids[i] != 1 && ids[i] != 2);
    }
    /* 3CosAdd's score is the cosine with b - a + c: here exactly queen. */
    emb_query_analogy(q, 0, 2, 1, EMB_ANALOGY_ADD, 1, ids, scores, &err);
    CHECK_NEAR(scores[0], 1.0, 1e-6);
    CHECK(emb_query_analogy(q, 0, 99, 1, EMB_ANALOGY_ADD, 1, ids, scores, &err) == EMB_EINVAL);
    emb_query_free(q);
    free_vecs(v);
    return 0;
}

/* ---- analogy benchmark ------------------------------------------------------ */

static int test_eval_analogy_royal(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = make_vecs(royal_words, royal_data, 11, 6);
    CHECK(v);
    const char *path = write_file("royal.txt",
                                  ": royals\n"
                                  "man king woman queen\n"
                                  "Man King Woman Queen\n"   /* case-folded: covered and right */
                                  "man woman king queen\n"
                                  "man king woman apple\n"   /* covered, wrong */
                                  "man king woman unicorn\n" /* not covered */
                                  "\n"
                                  ": gram-plural\n"
                                  "  man\tking  woman queen \r\n"
                                  "king queen man italy\n"); /* covered; wrong (answer woman... see below) */
    CHECK(path);
    struct emb_analogy_params p = emb_analogy_default_params();
    CHECK(p.restrict_vocab == 30000 && p.method == EMB_ANALOGY_ADD);
    struct emb_analogy_result r;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.n_sections == 2);
    CHECK(strcmp(r.sections[0].name, "royals") == 0 && strcmp(r.sections[1].name, "gram-plural") == 0);
    CHECK(r.sections[0].score.total == 5 && r.sections[0].score.covered == 4 && r.sections[0].score.correct == 3);
    CHECK(r.sections[1].score.total == 2 && r.sections[1].score.covered == 2 && r.sections[1].score.correct == 1);
    CHECK(r.semantic.correct == 3 && r.semantic.covered == 4 && r.semantic.total == 5);
    CHECK(r.syntactic.correct == 1 && r.syntactic.covered == 2);
    CHECK(r.all.correct == 4 && r.all.covered == 6 && r.all.total == 7);
    CHECK_NEAR(r.all.accuracy, 4.0 / 6.0, 1e-12);
    CHECK_NEAR(r.all.coverage, 6.0 / 7.0, 1e-12);
    CHECK_NEAR(r.sections[0].score.accuracy, 0.75, 1e-12);
    CHECK(r.restrict_vocab == 11);
    emb_analogy_result_free(&r);
    emb_analogy_result_free(NULL);
    /* NULL params: the defaults. */
    CHECK_OK(emb_eval_analogy(v, path, NULL, &r, &err));
    CHECK(r.all.correct == 4 && r.all.covered == 6);
    emb_analogy_result_free(&r);

    /* Restriction: with only the first 3 rows, "queen" is not a candidate:
     * nothing is covered. With 4, the first two questions are. */
    p.restrict_vocab = 3;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.all.covered == 0 && r.all.total == 7 && r.all.accuracy == 0.0 && r.restrict_vocab == 3);
    emb_analogy_result_free(&r);
    p.restrict_vocab = 4;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.all.covered == 4 && r.all.correct == 4); /* apple (row 4) and italy are out */
    emb_analogy_result_free(&r);
    free_vecs(v);
    return 0;
}

/* Case folding: "Paris" (row 5) represents "paris"; the rarer "paris"
 * (row 6) is excluded as a candidate when "paris" is in the question, and a
 * candidate "Queen" counts as the answer "queen". */
static int test_eval_analogy_folding(void) {
    struct emb_err err = {0};
    /* Rows: queen's vector is moved away so that "Queen" (row 10) is the
     * best candidate for man:king::woman:?. */
    float data[sizeof royal_data / sizeof royal_data[0]];
    memcpy(data, royal_data, sizeof data);
    float *queen = data + 3 * 6;
    queen[0] = 0, queen[1] = 0, queen[2] = 0, queen[3] = 1, queen[4] = 1, queen[5] = 1;
    struct emb_vecs *v = make_vecs(royal_words, data, 11, 6);
    CHECK(v);
    const char *path = write_file("fold.txt",
                                  ": f\n"
                                  "man king woman queen\n"
                                  "france paris italy rome\n");
    struct emb_analogy_params p = emb_analogy_default_params();
    struct emb_analogy_result r;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    /* Q1: best candidate is row 10 "Queen", folded "queen": right.
     * Q2: paris - france + italy, with Paris/paris excluded; Rome (0,0,.1,0,0,1)
     * is nearest. */
    CHECK(r.all.covered == 2);
    CHECK(r.all.correct == 2);
    emb_analogy_result_free(&r);
    free_vecs(v);
    return 0;
}

/* 3CosAdd and 3CosMul disagree: with a, b, c orthonormal, candidate d1 has
 * (cos a, cos b, cos c) = (0, .95, -.1) and d2 has (0, .4, .4):
 *   add: d1 .85 > d2 .80        mul: d1 .975*.45/.501 = .876 < d2 .7*.7/.501 = .978
 * so 3CosAdd answers d1, 3CosMul answers d2. */
static int test_add_vs_mul(void) {
    struct emb_err err = {0};
    const float s1 = sqrtf(1.0f - .95f * .95f - .1f * .1f), s2 = sqrtf(1.0f - .4f * .4f * 2);
    const char *const words[] = {"a", "b", "c", "d1", "d2"};
    const float data[] = {
        0, 0, 1, 0,       /* a */
        1, 0, 0, 0,       /* b */
        0, 1, 0, 0,       /* c */
        .95f, -.1f, 0, s1, /* d1 */
        .4f, .4f, 0, s2,   /* d2 */
    };
    struct emb_vecs *v = make_vecs(words, data, 5, 4);
    CHECK(v);
    struct emb_query *q = NULL;
    CHECK_OK(emb_query_new(&q, v, 1, &err));
    int64_t ids[2];
    float scores[2];
    CHECK(emb_query_analogy(q, 0, 1, 2, EMB_ANALOGY_ADD, 2, ids, scores, &err) == 2);
    CHECK(ids[0] == 3 && ids[1] == 4);
    /* cos(d1, b - a + c) = (.95 - .1) / sqrt(3) */
    CHECK_NEAR(scores[0], .85 / sqrt(3.0), 1e-5);
    CHECK(emb_query_analogy(q, 0, 1, 2, EMB_ANALOGY_MUL, 2, ids, scores, &err) == 2);
    CHECK(ids[0] == 4 && ids[1] == 3);
    CHECK_NEAR(scores[0], .7 * .7 / (.5 + EMB_COSMUL_EPS), 1e-5);
    CHECK_NEAR(scores[1], .975 * .45 / (.5 + EMB_COSMUL_EPS), 1e-5);
    emb_query_free(q);

    const char *path = write_file("addmul.txt", ": s\na b c d1\na b c d2\n");
    struct emb_analogy_params p = emb_analogy_default_params();
    struct emb_analogy_result r;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.all.covered == 2 && r.all.correct == 1);
    emb_analogy_result_free(&r);
    /* Only d2 is right under 3CosMul: check by dropping the d1 question. */
    path = write_file("mul.txt", ": s\na b c d2\n");
    p.method = EMB_ANALOGY_MUL;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.all.covered == 1 && r.all.correct == 1);
    emb_analogy_result_free(&r);
    p.method = EMB_ANALOGY_ADD;
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.all.covered == 1 && r.all.correct == 0);
    emb_analogy_result_free(&r);
    free_vecs(v);

    enum emb_analogy_method m;
    CHECK(emb_analogy_method_parse("mul", &m, NULL) == EMB_OK && m == EMB_ANALOGY_MUL);
    CHECK(emb_analogy_method_parse("3CosAdd", &m, NULL) == EMB_OK && m == EMB_ANALOGY_ADD);
    CHECK(emb_analogy_method_parse("sum", &m, NULL) == EMB_EINVAL);
    return 0;
}

/* Brute-force reference on random data: answers must match the fast path
 * for both methods, any chunking and any thread count. */
static int test_eval_analogy_random(void) {
    struct emb_err err = {0};
    const int n = 3000, dim = 21, n_q = 400, R = 2000;
    struct emb_vecs *v = random_vecs(n, dim, 42);
    CHECK(v);
    struct emb_rng rng;
    emb_rng_seed(&rng, 9, 0);
    size_t cap = (size_t)n_q * 64 + 64;
    char *text = emb_alloc(cap), *t = text;
    CHECK(text);
    t += sprintf(t, ": random\n");
    int64_t want[2] = {0, 0}; /* correct answers for add, mul */
    int64_t covered = 0;
    for (int i = 0; i < n_q; i++) {
        /* A few words beyond R make some questions uncovered. */
        int w[3];
        for (int k = 0; k < 3; k++) w[k] = (int)(emb_rng_uniform(&rng) * (R + 100)) % n;
        if (w[1] == w[0]) w[1] = (w[1] + 1) % R;
        if (w[2] == w[0] || w[2] == w[1]) w[2] = (w[2] + 2) % R;
        int best[2] = {-1, -1};
        double bv[2] = {-INFINITY, -INFINITY};
        const float *xa = emb_table_row(v->table, w[0]), *xb = emb_table_row(v->table, w[1]),
                    *xc = emb_table_row(v->table, w[2]);
        for (int d = 0; d < R; d++) {
            if (d == w[0] || d == w[1] || d == w[2]) continue;
            const float *x = emb_table_row(v->table, d);
            double ca = cos_ref(x, xa, dim), cb = cos_ref(x, xb, dim), cc = cos_ref(x, xc, dim);
            double s[2] = {cb + cc - ca, ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + EMB_COSMUL_EPS)};
            for (int m = 0; m < 2; m++)
                if (s[m] > bv[m]) bv[m] = s[m], best[m] = d;
        }
        /* Ask for the 3CosAdd answer, the 3CosMul one, or neither. */
        int kind = i % 3, d = kind < 2 ? best[kind] : (w[0] + 7) % R;
        int is_covered = w[0] < R && w[1] < R && w[2] < R;
        t += sprintf(t, "W%d w%d w%d w%d\n", w[0], w[1], w[2], d); /* "W": folding */
        if (!is_covered) continue;
        covered++;
        for (int m = 0; m < 2; m++) want[m] += best[m] == d;
    }
    const char *path = write_file("random.txt", text);
    emb_free(text);
    CHECK(want[0] > 100 && want[1] > 100 && covered < n_q);
    struct emb_analogy_params p = emb_analogy_default_params();
    p.restrict_vocab = R;
    for (int m = 0; m < 2; m++)
        for (int threads = 1; threads <= 2; threads++)
            for (int small = 0; small < 2; small++) {
                p.method = (enum emb_analogy_method)m;
                p.n_threads = threads;
                /* A tiny budget forces chunks of 64 candidates. */
                p.mem_bytes = small ? 1000 : 64 << 20;
                struct emb_analogy_result r;
                CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
                CHECK(r.all.total == n_q && r.all.covered == covered);
                if (r.all.correct != want[m])
                    fprintf(stderr, "method %d threads %d small %d: %lld correct, want %lld\n", m, threads, small,
                            (long long)r.all.correct, (long long)want[m]);
                CHECK(r.all.correct == want[m]);
                emb_analogy_result_free(&r);
            }
    free_vecs(v);
    return 0;
}

static int test_eval_analogy_errors(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = make_vecs(royal_words, royal_data, 11, 6);
    CHECK(v);
    struct emb_analogy_params p = emb_analogy_default_params();
    struct emb_analogy_result r;
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no-such-file.txt", tmpdir);
    CHECK(emb_eval_analogy(v, missing, &p, &r, &err) == EMB_EIO);
    CHECK(r.sections == NULL && r.n_sections == 0);
    const char *path = write_file("bad.txt", ": s\nman king woman queen\nman king woman\n");
    CHECK(emb_eval_analogy(v, path, &p, &r, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":3:") != NULL);
    path = write_file("bad5.txt", "man king woman queen x\n");
    CHECK(emb_eval_analogy(v, path, &p, &r, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":1:") != NULL);
    path = write_file("empty.txt", "");
    CHECK(emb_eval_analogy(v, path, &p, &r, &err) == EMB_EEMPTY);
    path = write_file("sections.txt", ": a\n\n: b\n");
    CHECK(emb_eval_analogy(v, path, &p, &r, &err) == EMB_EEMPTY);
    /* Questions without a section header are accepted. */
    path = write_file("nosection.txt", "man king woman queen\n");
    CHECK_OK(emb_eval_analogy(v, path, &p, &r, &err));
    CHECK(r.n_sections == 1 && strcmp(r.sections[0].name, "(none)") == 0 && r.all.correct == 1);
    emb_analogy_result_free(&r);
    p.n_threads = 0;
    CHECK(emb_eval_analogy(v, path, &p, &r, &err) == EMB_EINVAL);
    free_vecs(v);
    return 0;
}

/* ---- similarity benchmark ---------------------------------------------------- */

static int test_eval_similarity(void) {
    struct emb_err err = {0};
    /* Cosines with "x": a 1, b .8, c .6, d 0 (unit rows in 2-D). */
    const char *const words[] = {"x", "a", "b", "c", "d"};
    const float data[] = {1, 0, 2, 0, .8f, .6f, .6f, .8f, 0, 3};
    struct emb_vecs *v = make_vecs(words, data, 5, 2);
    CHECK(v);
    const char *path = write_file("pairs.tsv",
                                  "# comment\n"
                                  "x\ta\t10\n"
                                  "X\tb\t8.5\n" /* found after lowercasing */
                                  "\n"
                                  "x c 7\r\n"   /* spaces are fine too */
                                  "x\td\t1e0\n"
                                  "x\tzzz\t5\n");
    struct emb_similarity_result r;
    CHECK_OK(emb_eval_similarity(v, path, &r, &err));
    CHECK(r.found == 4 && r.total == 5);
    CHECK_NEAR(r.spearman, 1.0, 1e-12);
    /* Pearson of (10, 8.5, 7, 1) and (1, .8, .6, 0). */
    double h[] = {10, 8.5, 7, 1}, m[] = {1, .8, .6, 0};
    CHECK_NEAR(r.pearson, emb_pearson(h, m, 4), 1e-6);
    /* A reversed human order: rho = -1 */
    path = write_file("rev.tsv", "x a 1\nx b 2\nx c 3\nx d 4\n");
    CHECK_OK(emb_eval_similarity(v, path, &r, &err));
    CHECK_NEAR(r.spearman, -1.0, 1e-12);
    /* Nothing found: not an error, rho undefined. */
    path = write_file("none.tsv", "p q 1\nr s 2\n");
    CHECK_OK(emb_eval_similarity(v, path, &r, &err));
    CHECK(r.found == 0 && r.total == 2 && isnan(r.spearman));
    /* Errors. */
    path = write_file("badscore.tsv", "x a 1\nx b 2\nx c high\n");
    CHECK(emb_eval_similarity(v, path, &r, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":3:") != NULL && strstr(err.msg, "high") != NULL);
    path = write_file("twofields.tsv", "x a\n");
    CHECK(emb_eval_similarity(v, path, &r, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":1:") != NULL);
    path = write_file("nan.tsv", "x a nan\n");
    CHECK(emb_eval_similarity(v, path, &r, &err) == EMB_EFORMAT);
    path = write_file("empty.tsv", "\n\n");
    CHECK(emb_eval_similarity(v, path, &r, &err) == EMB_EEMPTY);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope.tsv", tmpdir);
    CHECK(emb_eval_similarity(v, missing, &r, &err) == EMB_EIO);
    free_vecs(v);
    return 0;
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/emb-eval-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    int failed = 0;
    RUN(test_rank_average);
    RUN(test_spearman);
    RUN(test_neighbors_bruteforce);
    RUN(test_query_analogy);
    RUN(test_eval_analogy_royal);
    RUN(test_eval_analogy_folding);
    RUN(test_add_vs_mul);
    RUN(test_eval_analogy_random);
    RUN(test_eval_analogy_errors);
    RUN(test_eval_similarity);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
