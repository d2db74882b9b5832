/* nodeclf_test.c -- tests for logistic regression, F1 scoring, label and
 * split files, and the node-classification protocol.
 *
 * The solver is checked three ways: a closed form (all-zero features with
 * an unregularised bias: b = log(n_pos / n_neg)), a 1-D symmetric problem
 * whose optimum is the root of a scalar equation (found here by
 * bisection), and an independent dense Newton method in double on random
 * data. The gradient is checked against central differences on data whose
 * products are exact in float. F1 values are computed by hand in the
 * comments. Files are written to a temporary directory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/nodeclf.h"
#include "emb/rng.h"
#include "emb/vec.h"
#include "test.h"

static char tmpdir[64];

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

/* An in-memory vector set: node names "0".."n-1", row i = data[i*dim ..]. */
static struct emb_vecs *make_vecs(const float *data, int n, int dim) {
    struct emb_vecs *v = emb_calloc(1, sizeof *v);
    char w[32];
    if (!v) return NULL;
    if (emb_vocab_new(&v->vocab, NULL) != EMB_OK || emb_table_new(&v->table, n, dim, NULL) != EMB_OK) return NULL;
    for (int i = 0; i < n; i++) {
        snprintf(w, sizeof w, "%d", i);
        if (emb_vocab_add(v->vocab, w, strlen(w), 0, NULL, NULL) != EMB_OK) return NULL;
        memcpy(emb_table_row(v->table, i), data + (size_t)i * dim, (size_t)dim * sizeof(float));
    }
    return v;
}

/* Rows of an (n, stride) matrix with stride = dim (unpadded is allowed). */
static double gnorm(int n, const double *g) {
    double s = 0;
    for (int i = 0; i < n; i++) s += g[i] * g[i];
    return sqrt(s);
}

/* ---- logistic regression ------------------------------------------------ */

/* All-zero features, unregularised bias: the optimum is b = log(n_pos/n_neg)
 * (the gradient -n_pos sigma(-b) + n_neg sigma(b) vanishes there) and w = 0. */
static int test_logreg_closed_form(void) {
    struct emb_err err = {0};
    enum { N = 40, D = 3 };
    float X[N * D] = {0};
    uint8_t y[N];
    for (int i = 0; i < N; i++) y[i] = i < 30; /* 30 positives, 10 negatives */
    struct emb_logreg_params p = emb_logreg_default_params();
    p.regularize_bias = 0;
    p.tol = 1e-8;
    struct emb_logreg *lr = NULL;
    CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
    double w[D + 1];
    struct emb_logreg_info info;
    CHECK_OK(emb_logreg_fit(lr, X, N, D, y, w, &info, &err));
    CHECK(info.converged);
    CHECK_NEAR(w[D], log(3.0), 1e-7);
    for (int j = 0; j < D; j++) CHECK(w[j] == 0.0);
    /* Regularised bias: b solves -30 sigma(-b) + 10 sigma(b) + b / C = 0,
     * so b is below log 3 but positive. */
    emb_logreg_free(lr);
    p = emb_logreg_default_params();
    CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
    CHECK_OK(emb_logreg_fit(lr, X, N, D, y, w, &info, &err));
    double b = w[D], g = -30.0 / (1 + exp(b)) + 10.0 / (1 + exp(-b)) + b;
    CHECK(b > 0 && b < log(3.0));
    CHECK(fabs(g) < 1e-4 * 10 / N * info.grad0_norm + 1e-12);
    /* No bias at all: w stays 0, the bias slot is 0. */
    emb_logreg_free(lr);
    p.fit_bias = 0;
    CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
    CHECK_OK(emb_logreg_fit(lr, X, N, D, y, w, &info, &err));
    CHECK(w[D] == 0.0 && info.converged);
    emb_logreg_free(lr);
    emb_logreg_free(NULL);
    return 0;
}

/* 1-D, symmetric: n/2 points at x = a labelled +1 and n/2 at x = -a
 * labelled -1. By symmetry b = 0, and w solves
 *     h(w) = w / C - n a sigma(-a w) = 0,
 * increasing in w, so bisection finds it to machine precision. */
static int test_logreg_symmetric(void) {
    struct emb_err err = {0};
    enum { N = 20 };
    const double a = 0.75, C = 0.5;
    float X[N];
    uint8_t y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 2 == 0;
        X[i] = y[i] ? (float)a : (float)-a;
    }
    double lo = 0, hi = C * N * a; /* h(0) < 0, h(C n a) >= 0 */
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid / C - N * a / (1 + exp(a * mid)) < 0)
            lo = mid;
        else
            hi = mid;
    }
    double w_ref = 0.5 * (lo + hi);
    struct emb_logreg_params p = emb_logreg_default_params();
    p.C = C;
    p.tol = 1e-6; /* float coefficients limit the gradient to ~1e-7 relative */
    struct emb_logreg *lr = NULL;
    CHECK_OK(emb_logreg_new(&lr, N, 1, &p, &err));
    double w[2];
    struct emb_logreg_info info;
    CHECK_OK(emb_logreg_fit(lr, X, N, 1, y, w, &info, &err));
    CHECK(info.converged);
    CHECK_NEAR(w[0], w_ref, 1e-5 * w_ref);
    CHECK_NEAR(w[1], 0.0, 1e-7);
    /* emb_logreg_objective agrees: gradient ~0 there. */
    double g[2];
    emb_logreg_objective(lr, X, N, 1, y, w, g);
    CHECK(gnorm(2, g) < 1e-5);
    emb_logreg_free(lr);
    return 0;
}

/* Data whose products are exact in float: x in multiples of 1/8 within
 * [-2, 2], w in multiples of 1/64, step h = 2^-10. Central differences
 * then carry only their O(h^2) truncation error. */
static int test_logreg_gradient_fd(void) {
    struct emb_err err = {0};
    enum { N = 60, D = 5 };
    float X[N * 8];
    uint8_t y[N];
    struct emb_rng r;
    emb_rng_seed(&r, 11, 0);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 8; j++) X[i * 8 + j] = j < D ? (float)((int)emb_rng_below(&r, 33) - 16) / 8.0f : 0.0f;
        y[i] = (uint8_t)emb_rng_below(&r, 2);
    }
    for (int variant = 0; variant < 3; variant++) {
        struct emb_logreg_params p = emb_logreg_default_params();
        p.C = 0.75;
        p.fit_bias = variant != 2;
        p.regularize_bias = variant == 0;
        struct emb_logreg *lr = NULL;
        CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
        double w[D + 1], g[D + 1];
        for (int j = 0; j <= D; j++) w[j] = (double)((int)emb_rng_below(&r, 65) - 32) / 64.0;
        if (!p.fit_bias) w[D] = 0;
        emb_logreg_objective(lr, X, N, 8, y, w, g);
        const double h = 1.0 / 1024;
        for (int j = 0; j <= D; j++) {
            double wp[D + 1], wm[D + 1];
            memcpy(wp, w, sizeof w);
            memcpy(wm, w, sizeof w);
            wp[j] += h;
            wm[j] -= h;
            double fd =
                (emb_logreg_objective(lr, X, N, 8, y, wp, NULL) - emb_logreg_objective(lr, X, N, 8, y, wm, NULL)) /
                (2 * h);
            if (j == D && !p.fit_bias) fd = 0; /* no bias: its slot is ignored */
            CHECK_NEAR(g[j], fd, 1e-5 * (1 + fabs(fd)));
        }
        emb_logreg_free(lr);
    }
    return 0;
}

/* Solve A x = b (n <= 16) by Gaussian elimination with partial pivoting. */
static void solve(int n, double *A, double *b) {
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        for (int j = 0; j < n; j++) {
            double t = A[k * n + j];
            A[k * n + j] = A[piv * n + j];
            A[piv * n + j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (int i = k + 1; i < n; i++) {
            double m = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++) A[i * n + j] -= m * A[k * n + j];
            b[i] -= m * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++) b[k] -= A[k * n + j] * b[j];
        b[k] /= A[k * n + k];
    }
}

/* TRON against a plain dense Newton method in double (our own Hessian,
 * Gaussian elimination) on noisy, non-separable random data, for several
 * C; with and without a regularised bias. */
static int test_logreg_vs_newton(void) {
    struct emb_err err = {0};
    enum { N = 400, D = 7, NV = D + 1, S = 16 };
    static float X[N * S];
    static uint8_t y[N];
    struct emb_rng r;
    emb_rng_seed(&r, 5, 0);
    const double wt[D] = {1.5, -2, 0.5, 0, 1, -0.25, 3};
    for (int i = 0; i < N; i++) {
        double z = 0.3;
        for (int j = 0; j < D; j++) {
            X[i * S + j] = (float)emb_rng_normal(&r);
            z += wt[j] * X[i * S + j];
        }
        y[i] = emb_rng_uniform_d(&r) < 1 / (1 + exp(-z)); /* labels drawn from the model: noisy */
    }
    const double Cs[] = {0.01, 1.0, 100.0};
    for (int ci = 0; ci < 3; ci++)
        for (int rb = 0; rb < 2; rb++) {
            double C = Cs[ci];
            /* Reference: Newton from 0 with full steps; converges
             * quadratically on this strongly convex problem. */
            double wr[NV] = {0};
            for (int it = 0; it < 50; it++) {
                double g[NV] = {0}, H[NV * NV] = {0};
                for (int i = 0; i < N; i++) {
                    double xi[NV], z = 0, ys = y[i] ? 1 : -1;
                    for (int j = 0; j < D; j++) xi[j] = X[i * S + j];
                    xi[D] = 1;
                    for (int j = 0; j < NV; j++) z += wr[j] * xi[j];
                    double q = 1 / (1 + exp(ys * z)), dd = q * (1 - q);
                    for (int j = 0; j < NV; j++) {
                        g[j] += -ys * q * xi[j];
                        for (int k = 0; k < NV; k++) H[j * NV + k] += dd * xi[j] * xi[k];
                    }
                }
                for (int j = 0; j < NV; j++)
                    if (j < D || rb) {
                        g[j] += wr[j] / C;
                        H[j * NV + j] += 1 / C;
                    }
                solve(NV, H, g);
                for (int j = 0; j < NV; j++) wr[j] -= g[j];
            }
            struct emb_logreg_params p = emb_logreg_default_params();
            p.C = C;
            p.regularize_bias = rb;
            struct emb_logreg *lr = NULL;
            CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
            double w[NV], g[NV];
            struct emb_logreg_info info;
            CHECK_OK(emb_logreg_fit(lr, X, N, S, y, w, &info, &err));
            CHECK(info.converged && info.n_iter >= 1 && info.n_iter <= 30);
            double f = emb_logreg_objective(lr, X, N, S, y, w, g);
            CHECK_NEAR(f, info.f, 1e-6 * f);
            /* liblinear's criterion, recomputed from scratch. */
            int64_t pos = 0;
            for (int i = 0; i < N; i++) pos += y[i];
            double mn = (double)(pos < N - pos ? pos : N - pos);
            CHECK(gnorm(NV, g) <= 1e-4 * mn / N * info.grad0_norm * 1.01);
            double scale = gnorm(NV, wr);
            for (int j = 0; j < NV; j++) CHECK_NEAR(w[j], wr[j], 1e-3 * scale);
            /* Tighter tolerance: agrees with Newton to float precision. */
            emb_logreg_free(lr);
            p.tol = 1e-9;
            CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
            CHECK_OK(emb_logreg_fit(lr, X, N, S, y, w, &info, &err));
            for (int j = 0; j < NV; j++) CHECK_NEAR(w[j], wr[j], 2e-5 * scale);
            /* The decision value helper. */
            double z = w[D];
            for (int j = 0; j < D; j++) z += w[j] * X[S + j];
            CHECK_NEAR(emb_logreg_decision(w, D, X + S), z, 1e-12);
            emb_logreg_free(lr);
        }
    return 0;
}

/* Separable data with a weak penalty (C = 1e6): the optimum is far from
 * 0, so early trust-region steps are long and margins change by a lot;
 * the fit must still succeed and separate the training points. */
static int test_logreg_separable(void) {
    struct emb_err err = {0};
    enum { N = 200, D = 3 };
    static float X[N * D];
    static uint8_t y[N];
    struct emb_rng r;
    emb_rng_seed(&r, 9, 0);
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        for (int j = 0; j < D; j++) X[i * D + j] = (float)(emb_rng_uniform_d(&r) * 4 - 2);
        X[i * D] = (float)((y[i] ? 1 : -1) * (0.1 + emb_rng_uniform_d(&r)) * 50); /* margin 5 on feature 0 */
    }
    struct emb_logreg_params p = emb_logreg_default_params();
    p.C = 1e6;
    struct emb_logreg *lr = NULL;
    CHECK_OK(emb_logreg_new(&lr, N, D, &p, &err));
    double w[D + 1];
    struct emb_logreg_info info;
    CHECK_OK(emb_logreg_fit(lr, X, N, D, y, w, &info, &err));
    CHECK(isfinite(info.f) && info.f >= 0);
    for (int i = 0; i < N; i++) CHECK((emb_logreg_decision(w, D, X + i * D) > 0) == (y[i] != 0));
    emb_logreg_free(lr);
    return 0;
}

static int test_logreg_errors(void) {
    struct emb_err err = {0};
    struct emb_logreg *lr = NULL;
    struct emb_logreg_params p = emb_logreg_default_params();
    p.C = 0;
    CHECK(emb_logreg_new(&lr, 10, 2, &p, &err) == EMB_EINVAL && lr == NULL);
    p = emb_logreg_default_params();
    p.tol = -1;
    CHECK(emb_logreg_new(&lr, 10, 2, &p, &err) == EMB_EINVAL);
    CHECK(emb_logreg_new(&lr, 0, 2, NULL, &err) == EMB_EINVAL);
    CHECK(emb_logreg_new(&lr, 10, 0, NULL, &err) == EMB_EINVAL);
    CHECK_OK(emb_logreg_new(&lr, 4, 2, NULL, &err));
    float X[10 * 2] = {0};
    uint8_t y[10] = {1, 0};
    double w[3];
    CHECK(emb_logreg_fit(lr, X, 10, 2, y, w, NULL, &err) == EMB_EINVAL); /* more rows than n_max */
    CHECK(emb_logreg_fit(lr, X, 0, 2, y, w, NULL, &err) == EMB_EINVAL);
    CHECK_OK(emb_logreg_fit(lr, X, 2, 2, y, w, NULL, &err));
    X[0] = INFINITY;
    CHECK(emb_logreg_fit(lr, X, 2, 2, y, w, NULL, &err) == EMB_ENUMERIC);
    emb_logreg_free(lr);
    return 0;
}

/* ---- F1 ---------------------------------------------------------------------- */

/* Multi-label, 4 nodes x 4 labels; each node gets its k best labels:
 *   node 0: true {0},     scores .9 .1 .5 0   -> {0}
 *   node 1: true {1,2},   scores .8 .7 .1 0   -> {0,1}
 *   node 2: true {2},     scores .2 .6 .3 0   -> {1}
 *   node 3: true {0,2},   scores .5 .5 .5 0   -> {0,1} (ties: lower id)
 * label 0: TP 2 (n0, n3) FP 1 (n1)       F1 = 4/5
 * label 1: TP 1 (n1)     FP 2 (n2, n3)   F1 = 2/4
 * label 2: FN 3 (n1, n2, n3)             F1 = 0
 * label 3: nothing true, nothing predicted -> 0 (zero_division = 0)
 * micro: TP 3, FP 3, FN 3 -> 6/12 = 0.5; macro = (0.8 + 0.5) / 4 = 0.325. */
static int test_f1_multilabel(void) {
    struct emb_err err = {0};
    const float scores[] = {.9f, .1f, .5f, 0, .8f, .7f, .1f, 0, .2f, .6f, .3f, 0, .5f, .5f, .5f, 0};
    const int64_t off[] = {0, 1, 3, 4, 6};
    const int32_t ids[] = {0, 1, 2, 2, 0, 2};
    struct emb_nodeclf_score s;
    CHECK_OK(emb_nodeclf_score_topk(4, 4, scores, off, ids, &s, &err));
    CHECK_NEAR(s.micro_f1, 0.5, 1e-12);
    CHECK_NEAR(s.macro_f1, 0.325, 1e-12);
    CHECK(isnan(s.accuracy));
    CHECK(s.n_test == 4);
    /* Infinite scores (constant classifiers) rank first / last. */
    const float sc2[] = {-INFINITY, 0, INFINITY, -INFINITY};
    const int64_t off2[] = {0, 2};
    const int32_t ids2[] = {1, 2};
    CHECK_OK(emb_nodeclf_score_topk(1, 4, sc2, off2, ids2, &s, &err));
    CHECK_NEAR(s.micro_f1, 1.0, 0);
    CHECK_NEAR(s.macro_f1, 0.5, 1e-12); /* labels 1, 2: F1 1; labels 0, 3: 0 */
    CHECK(emb_nodeclf_score_topk(0, 4, scores, off, ids, &s, &err) == EMB_EINVAL);
    return 0;
}

/* Single-label: truth 1, 0, 2; argmax 1, 2, 2.
 * accuracy = micro-F1 = 2/3; per label F1: 0, 1, 2/3 -> macro 5/9, as
 * sklearn's f1_score([1,0,2], [1,2,2], average='macro'). */
static int test_f1_single(void) {
    struct emb_err err = {0};
    const float scores[] = {0, 1, -1, 0.1f, -2, 0.3f, -5, -4, -3};
    const int64_t off[] = {0, 1, 2, 3};
    const int32_t ids[] = {1, 0, 2};
    struct emb_nodeclf_score s;
    CHECK_OK(emb_nodeclf_score_topk(3, 3, scores, off, ids, &s, &err));
    CHECK_NEAR(s.accuracy, 2.0 / 3, 1e-12);
    CHECK_NEAR(s.micro_f1, 2.0 / 3, 1e-12);
    CHECK_NEAR(s.macro_f1, 5.0 / 9, 1e-12);
    return 0;
}

/* ---- label and split files ---------------------------------------------------- */

static int test_labels_file(void) {
    struct emb_err err = {0};
    float data[6 * 2] = {0};
    struct emb_vecs *v = make_vecs(data, 6, 2);
    CHECK(v);
    struct emb_node_labels l;
    /* Nodes 7, 8 are not in the vectors (3 lines, 2 nodes); "b" occurs
     * only on node 8 so it is dropped; a repeated pair counts once; blank
     * lines and CRLF are fine; spaces separate as well as tabs. */
    const char *path =
        write_file("labels.tsv", "3\tx\n0\ty\n7\tz\n\n3\ty\r\n8\tb\n0 y\n2  x\n7\tx\n5\tlong-label-name\n");
    CHECK_OK(emb_node_labels_load(&l, v->vocab, path, &err));
    CHECK(l.n_nodes == 4 && l.n_skipped == 2 && l.n_skipped_pairs == 3);
    CHECK(l.n_labels == 3 && l.n_pairs == 5 && l.multi_label == 1);
    /* Nodes in first-appearance order: 3, 0, 2, 5; labels x, y, z, long. */
    CHECK(l.rows[0] == 3 && l.rows[1] == 0 && l.rows[2] == 2 && l.rows[3] == 5);
    CHECK(!strcmp(emb_vocab_word(l.labels, 0), "x") && !strcmp(emb_vocab_word(l.labels, 2), "long-label-name"));
    CHECK(l.label_off[1] - l.label_off[0] == 2 && l.label_ids[0] == 0 && l.label_ids[1] == 1); /* node 3: x, y */
    CHECK(l.label_off[2] - l.label_off[1] == 1 && l.label_ids[2] == 1);                        /* node 0: y */
    emb_node_labels_free(&l);
    emb_node_labels_free(&l); /* zeroed: harmless */
    emb_node_labels_free(NULL);

    /* Errors. */
    CHECK(emb_node_labels_load(&l, v->vocab, write_file("bad.tsv", "0\tx\n1\tx\n2\tx extra\n"), &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":3:") != NULL);
    CHECK(l.n_nodes == 0 && l.rows == NULL);
    CHECK(emb_node_labels_load(&l, v->vocab, write_file("bad.tsv", "0\tx\n1\n"), &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, ":2:") != NULL);
    CHECK(emb_node_labels_load(&l, v->vocab, write_file("empty.tsv", ""), &err) == EMB_EEMPTY);
    CHECK(emb_node_labels_load(&l, v->vocab, write_file("empty.tsv", "\n  \n"), &err) == EMB_EEMPTY);
    CHECK(emb_node_labels_load(&l, v->vocab, write_file("none.tsv", "17\tx\n"), &err) == EMB_EEMPTY);
    CHECK(emb_node_labels_load(&l, v->vocab, "/nonexistent/labels.tsv", &err) == EMB_EIO);

    /* Split files. */
    CHECK_OK(emb_node_labels_load(&l, v->vocab, write_file("l2.tsv", "0\ta\n1\tb\n2\ta\n3\tb\n4\ta\n"), &err));
    uint8_t part[5];
    int64_t ign = -1;
    CHECK_OK(emb_node_split_load(
        part, &l, v->vocab, write_file("s.tsv", "0\ttrain\n1 train\n2\tval\n3\ttest\n9\ttest\n5\ttest\n"), &ign, &err));
    CHECK(part[0] == EMB_SPLIT_TRAIN && part[1] == EMB_SPLIT_TRAIN && part[2] == EMB_SPLIT_VAL);
    CHECK(part[3] == EMB_SPLIT_TEST && part[4] == EMB_SPLIT_NONE && ign == 2); /* 9: no vector; 5: no label */
    CHECK(emb_node_split_load(part, &l, v->vocab, write_file("s.tsv", "0\ttrain\n1\ttest\n2\ttrian\n"), NULL, &err) ==
          EMB_EFORMAT);
    CHECK(strstr(err.msg, ":3:") && strstr(err.msg, "trian"));
    CHECK(emb_node_split_load(part, &l, v->vocab, write_file("s.tsv", "0\ttrain\n1\ttest\n0\ttest\n"), NULL, &err) ==
          EMB_EDUP);
    CHECK(emb_node_split_load(part, &l, v->vocab, write_file("s.tsv", "0\ttrain\n1\tval\n"), NULL, &err) == EMB_EEMPTY);
    CHECK(emb_node_split_load(part, &l, v->vocab, write_file("s.tsv", "0\ttrain\textra\n"), NULL, &err) == EMB_EFORMAT);
    CHECK(emb_node_split_load(part, &l, v->vocab, "/nonexistent/split.tsv", NULL, &err) == EMB_EIO);
    emb_node_labels_free(&l);
    emb_vecs_free(v);
    return 0;
}

/* ---- the protocol --------------------------------------------------------------- */

/* n nodes in k planted clusters: node i has label i % k and a vector near
 * centre (i % k) (unit vectors along axes, scaled by sep) plus N(0, noise). */
static struct emb_vecs *planted(int n, int k, int dim, double sep, double noise, uint64_t seed, char *labels_text,
                                size_t cap) {
    float *data = emb_calloc((size_t)n * dim, sizeof *data);
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < dim; j++)
            data[(size_t)i * dim + j] = (float)((j == i % k ? sep : 0) + noise * emb_rng_normal(&r));
        used += (size_t)snprintf(labels_text + used, cap - used, "%d\tc%d\n", i, i % k);
    }
    struct emb_vecs *v = make_vecs(data, n, dim);
    emb_free(data);
    return v;
}

static int test_protocol(void) {
    struct emb_err err = {0};
    static char text[1 << 16];
    struct emb_vecs *v = planted(300, 3, 6, 3.0, 0.5, 1, text, sizeof text);
    CHECK(v);
    struct emb_node_labels l;
    CHECK_OK(emb_node_labels_load(&l, v->vocab, write_file("planted.tsv", text), &err));
    CHECK(l.n_labels == 3 && !l.multi_label);
    struct emb_nodeclf_params p = emb_nodeclf_default_params();
    const double ratios[] = {0.1, 0.5, 0.9};
    p.train_ratios = ratios;
    p.n_ratios = 3;
    p.repeats = 4;
    struct emb_nodeclf_result a, b, c;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &a, &err));
    CHECK(a.n_ratios == 3 && a.n_nodes == 300 && a.n_labels == 3 && a.n_skipped == 0);
    for (int k = 0; k < 3; k++) {
        CHECK(a.ratios[k].n_train == (int64_t)(ratios[k] * 300));
        CHECK(a.ratios[k].n_train + a.ratios[k].n_test == 300);
        CHECK(a.ratios[k].micro_f1.mean > 0.97);
        CHECK(a.ratios[k].macro_f1.mean > 0.97);
        CHECK_NEAR(a.ratios[k].accuracy.mean, a.ratios[k].micro_f1.mean, 1e-12);
        CHECK(a.ratios[k].micro_f1.std >= 0 && a.ratios[k].n_unconverged == 0);
    }
    /* Determinism: same seed, other thread counts -> the same numbers. */
    p.n_threads = 3;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &b, &err));
    for (int k = 0; k < 3; k++) {
        CHECK(a.ratios[k].micro_f1.mean == b.ratios[k].micro_f1.mean);
        CHECK(a.ratios[k].macro_f1.mean == b.ratios[k].macro_f1.mean);
        CHECK(a.ratios[k].micro_f1.std == b.ratios[k].micro_f1.std);
    }
    emb_nodeclf_result_free(&b);
    /* normalize = 1 makes the scale of the vectors irrelevant. */
    p.normalize = 1;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &b, &err));
    for (int64_t i = 0; i < v->table->n_rows; i++) emb_table_row(v->table, i)[0] *= 1000.0f;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &c, &err));
    CHECK(b.ratios[0].micro_f1.mean > 0.9 && c.ratios[0].micro_f1.mean < b.ratios[0].micro_f1.mean - 0.1);
    emb_nodeclf_result_free(&c);
    for (int64_t i = 0; i < v->table->n_rows; i++) { /* undo, then scale whole rows */
        emb_table_row(v->table, i)[0] /= 1000.0f;
        emb_vec_scale_ref(v->table->dim, 1000.0f, emb_table_row(v->table, i));
    }
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &c, &err));
    for (int k = 0; k < 3; k++) CHECK_NEAR(b.ratios[k].micro_f1.mean, c.ratios[k].micro_f1.mean, 1e-9);
    p.normalize = 0;
    emb_nodeclf_result_free(&b);
    emb_nodeclf_result_free(&c);
    /* Noisier data so that splits matter: another seed changes the result. */
    emb_node_labels_free(&l);
    emb_vecs_free(v);
    v = planted(200, 4, 6, 1.0, 1.0, 2, text, sizeof text);
    CHECK_OK(emb_node_labels_load(&l, v->vocab, write_file("planted.tsv", text), &err));
    p.n_threads = 2;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &b, &err));
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &c, &err));
    CHECK(b.ratios[1].micro_f1.mean == c.ratios[1].micro_f1.mean &&
          b.ratios[1].macro_f1.std == c.ratios[1].macro_f1.std);
    CHECK(b.ratios[1].micro_f1.mean > 0.4 && b.ratios[1].micro_f1.mean < 0.95);
    emb_nodeclf_result_free(&c);
    p.seed = 99;
    CHECK_OK(emb_eval_nodes(v, &l, NULL, &p, &c, &err));
    CHECK(b.ratios[1].micro_f1.mean != c.ratios[1].micro_f1.mean);
    emb_nodeclf_result_free(&a);
    emb_nodeclf_result_free(&b);
    emb_nodeclf_result_free(&c);
    emb_nodeclf_result_free(NULL);

    /* Bad params. */
    const double bad[][1] = {{0.0}, {1.0}, {1.5}, {-0.2}, {0.001}, {NAN}};
    for (int i = 0; i < 6; i++) {
        p.train_ratios = bad[i];
        p.n_ratios = 1;
        CHECK(emb_eval_nodes(v, &l, NULL, &p, &a, &err) == EMB_EINVAL);
        CHECK(a.ratios == NULL);
    }
    p.train_ratios = ratios;
    p.repeats = 0;
    CHECK(emb_eval_nodes(v, &l, NULL, &p, &a, &err) == EMB_EINVAL);
    p.repeats = 1;
    p.logreg.C = -1;
    CHECK(emb_eval_nodes(v, &l, NULL, &p, &a, &err) == EMB_EINVAL);
    p.logreg.C = 1;
    p.n_threads = 0;
    CHECK(emb_eval_nodes(v, &l, NULL, &p, &a, &err) == EMB_EINVAL);
    emb_node_labels_free(&l);
    emb_vecs_free(v);
    return 0;
}

/* Multi-label planted set: label j is on node i when coordinate j of its
 * vector is positive (margin >= 0.5); nodes with no positive coordinate
 * get label "none". Linearly separable per label -> F1 near 1. Also a
 * fixed split, with a label present only on test nodes (a constant
 * classifier). */
static int test_multilabel_and_split(void) {
    struct emb_err err = {0};
    enum { N = 240, D = 4 };
    static float data[N * D];
    static char text[1 << 15], split[1 << 14];
    struct emb_rng r;
    emb_rng_seed(&r, 3, 0);
    size_t used = 0, su = 0;
    for (int i = 0; i < N; i++) {
        int any = 0;
        for (int j = 0; j < D; j++) {
            double u = emb_rng_uniform_d(&r) * 2 - 1;
            u += u >= 0 ? 0.5 : -0.5;
            data[i * D + j] = (float)u;
            if (u > 0) {
                used += (size_t)snprintf(text + used, sizeof text - used, "%d\tL%d\n", i, j);
                any = 1;
            }
        }
        if (!any) used += (size_t)snprintf(text + used, sizeof text - used, "%d\tnone\n", i);
        su += (size_t)snprintf(split + su, sizeof split - su, "%d\t%s\n", i,
                               i < 120   ? "train"
                               : i < 160 ? "val"
                                         : "test");
    }
    /* A rare label only on test nodes. */
    used += (size_t)snprintf(text + used, sizeof text - used, "200\trare\n201\trare\n");
    struct emb_vecs *v = make_vecs(data, N, D);
    CHECK(v);
    struct emb_node_labels l;
    CHECK_OK(emb_node_labels_load(&l, v->vocab, write_file("ml.tsv", text), &err));
    CHECK(l.multi_label && l.n_labels == D + 2);
    struct emb_nodeclf_params p = emb_nodeclf_default_params();
    p.repeats = 2;
    p.n_threads = 2;
    struct emb_nodeclf_result res;
    CHECK_OK(emb_eval_nodes(v, &l, write_file("split.tsv", split), &p, &res, &err));
    CHECK(res.has_split && res.n_ratios == 0);
    CHECK(res.test.n_train == 120 && res.test.n_test == 80 && res.val.n_test == 40);
    CHECK(isnan(res.test.accuracy));
    /* 2 of the test nodes' extra "rare" labels can never be predicted. */
    CHECK(res.test.micro_f1 > 0.9);
    CHECK(res.val.micro_f1 > 0.9);
    CHECK(res.test.macro_f1 < res.test.micro_f1);
    emb_nodeclf_result_free(&res);

    /* The low-level evaluator: explicit index lists; errors. */
    struct emb_nodeclf *c = NULL;
    CHECK_OK(emb_nodeclf_new(&c, v, &l, &p, &err));
    int64_t train[100], test[50];
    for (int i = 0; i < 100; i++) train[i] = i;
    for (int i = 0; i < 50; i++) test[i] = 100 + i;
    struct emb_nodeclf_score s;
    CHECK_OK(emb_nodeclf_run(c, train, 100, test, 50, &s, &err));
    CHECK(s.n_train == 100 && s.n_test == 50 && s.micro_f1 > 0.9);
    test[3] = N;
    CHECK(emb_nodeclf_run(c, train, 100, test, 50, &s, &err) == EMB_EINVAL);
    CHECK(emb_nodeclf_run(c, train, 0, test, 50, &s, &err) == EMB_EINVAL);
    emb_nodeclf_free(c);
    emb_nodeclf_free(NULL);
    emb_node_labels_free(&l);
    emb_vecs_free(v);
    return 0;
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/emb-nodeclf-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    int failed = 0;
    RUN(test_logreg_closed_form);
    RUN(test_logreg_symmetric);
    RUN(test_logreg_gradient_fd);
    RUN(test_logreg_vs_newton);
    RUN(test_logreg_separable);
    RUN(test_logreg_errors);
    RUN(test_f1_multilabel);
    RUN(test_f1_single);
    RUN(test_labels_file);
    RUN(test_protocol);
    RUN(test_multilabel_and_split);
    const char *names[] = {"labels.tsv", "bad.tsv",     "empty.tsv", "none.tsv", "l2.tsv",
                           "s.tsv",      "planted.tsv", "ml.tsv",    "split.tsv"};
    char path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
