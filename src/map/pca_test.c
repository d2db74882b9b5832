/* pca_test.c -- PCA against known decompositions: points placed along
 * hand-made orthonormal axes (exact answer), the Jacobi solver's residuals,
 * and the subspace-iteration path against a full Jacobi decomposition of
 * the same covariance. Bad arguments are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/map.h"
#include "emb/rng.h"
#include "map_internal.h"
#include "test.h"

/* k orthonormal random vectors of length d: u (k, d). */
static void random_basis(int d, int k, double *u, uint64_t seed) {
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int a = 0; a < k; a++) {
        double *ua = u + (int64_t)a * d;
        for (int i = 0; i < d; i++) ua[i] = emb_rng_normal(&r);
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < a; b++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += ua[i] * u[(int64_t)b * d + i];
                for (int i = 0; i < d; i++) ua[i] -= dot * u[(int64_t)b * d + i];
            }
        double nrm = 0;
        for (int i = 0; i < d; i++) nrm += ua[i] * ua[i];
        for (int i = 0; i < d; i++) ua[i] /= sqrt(nrm);
    }
}

/* Sign convention of the library: the largest-magnitude entry is positive. */
static double sign_of(const double *u, int d) {
    double big = 0;
    for (int i = 0; i < d; i++)
        if (fabs(u[i]) > fabs(big)) big = u[i];
    return big < 0 ? -1 : 1;
}

/* Points c +- s_k u_k (two per axis): the covariance is exactly
 * sum_k 2 s_k^2 / (n - 1) u_k u_k', so the principal axes are the u_k in
 * order of s_k, and point +s_k u_k projects to s_k on component k. Run for a
 * small dim (whole-matrix Jacobi) and a larger one (subspace iteration). */
static int test_known_axes(void) {
    struct emb_err err = {0};
    const int dims[] = {6, 50};
    const double s[] = {9, 6, 4, 2.5, 1.5, 1};
    for (int t = 0; t < 2; t++) {
        int d = dims[t], k = 6, n = 2 * k, out_dim = 3;
        double *u = malloc(sizeof(double) * k * d), centre[64];
        random_basis(d, k, u, 7 + t);
        for (int i = 0; i < d; i++) centre[i] = 3.0 - 0.1 * i;
        struct emb_table *x = NULL;
        CHECK_OK(emb_table_new(&x, n, d, &err));
        for (int a = 0; a < k; a++)
            for (int sg = 0; sg < 2; sg++) {
                float *row = emb_table_row(x, 2 * a + sg);
                for (int i = 0; i < d; i++) row[i] = (float)(centre[i] + (sg ? -1 : 1) * s[a] * u[(int64_t)a * d + i]);
            }
        float out[12 * 3];
        double var[3], total = 0;
        CHECK_OK(emb_map_pca_ex(x, n, out_dim, out, var, &total, &err));
        double want_total = 0;
        for (int a = 0; a < k; a++) want_total += 2 * s[a] * s[a] / (n - 1);
        CHECK_NEAR(total, want_total, 1e-4 * want_total);
        for (int c = 0; c < out_dim; c++) {
            CHECK_NEAR(var[c], 2 * s[c] * s[c] / (n - 1), 1e-4 * var[0]);
            double sg = sign_of(u + (int64_t)c * d, d);
            for (int a = 0; a < k; a++) {
                double want = a == c ? sg * s[a] : 0; /* +s_a u_a on component c */
                CHECK_NEAR(out[(2 * a) * out_dim + c], want, 1e-3);
                CHECK_NEAR(out[(2 * a + 1) * out_dim + c], -want, 1e-3);
            }
        }
        emb_table_free(x);
        free(u);
    }
    return 0;
}

/* Jacobi: A v = lambda v and V'V = I on a random symmetric matrix. */
static int test_jacobi(void) {
    const int m = 12;
    double a[12 * 12], a0[12 * 12], w[12], v[12 * 12];
    struct emb_rng r;
    emb_rng_seed(&r, 3, 0);
    for (int i = 0; i < m; i++)
        for (int j = 0; j <= i; j++) a0[i * m + j] = a0[j * m + i] = emb_rng_normal(&r);
    memcpy(a, a0, sizeof a);
    emb__jacobi_eig(m, a, w, v);
    for (int c = 0; c < m; c++) {
        for (int i = 0; i < m; i++) {
            double av = 0;
            for (int j = 0; j < m; j++) av += a0[i * m + j] * v[j * m + c];
            CHECK_NEAR(av, w[c] * v[i * m + c], 1e-10);
        }
        for (int c2 = 0; c2 < m; c2++) {
            double dot = 0;
            for (int i = 0; i < m; i++) dot += v[i * m + c] * v[i * m + c2];
            CHECK_NEAR(dot, c == c2, 1e-12);
        }
    }
    return 0;
}

/* Random anisotropic data in 40 dims (the subspace path): the projections
 * equal those on the top eigenvectors of a full Jacobi decomposition of the
 * covariance computed here in double. */
static int test_against_full_eigen(void) {
    struct emb_err err = {0};
    const int n = 400, d = 40, out_dim = 4;
    struct emb_table *x = NULL;
    CHECK_OK(emb_table_new(&x, n, d, &err));
    struct emb_rng r;
    emb_rng_seed(&r, 5, 0);
    double *mix = malloc(sizeof(double) * d * d);
    for (int i = 0; i < d * d; i++) mix[i] = emb_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        double z[40];
        for (int j = 0; j < d; j++) z[j] = emb_rng_normal(&r) * (10.0 / (1 + j)); /* decaying spectrum */
        float *row = emb_table_row(x, i);
        for (int j = 0; j < d; j++) {
            double s = 1.0;
            for (int k = 0; k < d; k++) s += mix[j * d + k] * z[k];
            row[j] = (float)s;
        }
    }
    double mean[40] = {0}, *cov = calloc((size_t)d * d, sizeof *cov), w[40], *v = malloc(sizeof(double) * d * d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mean[j] += emb_table_row(x, i)[j] / (double)n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                cov[j * d + k] += (emb_table_row(x, i)[j] - mean[j]) * (emb_table_row(x, i)[k] - mean[k]) / (n - 1);
    emb__jacobi_eig(d, cov, w, v);
    float *out = malloc(sizeof(float) * n * out_dim);
    double var[4];
    CHECK_OK(emb_map_pca_ex(x, n, out_dim, out, var, NULL, &err));
    double used[40] = {0};
    for (int c = 0; c < out_dim; c++) {
        int best = -1; /* the c-th largest reference eigenvalue */
        for (int j = 0; j < d; j++)
            if (!used[j] && (best < 0 || w[j] > w[best])) best = j;
        used[best] = 1;
        CHECK_NEAR(var[c], w[best], 1e-6 * w[best]);
        double col[40];
        for (int j = 0; j < d; j++) col[j] = v[j * d + best];
        double sg = sign_of(col, d);
        for (int i = 0; i < n; i++) {
            double p = 0;
            for (int j = 0; j < d; j++) p += (emb_table_row(x, i)[j] - mean[j]) * col[j] * sg;
            CHECK_NEAR(out[i * out_dim + c], p, 1e-3 * (1 + fabs(p)));
        }
    }
    /* Deterministic: a second run is bit-identical. */
    float *again = malloc(sizeof(float) * n * out_dim);
    CHECK_OK(emb_map_pca(x, n, out_dim, again, &err));
    CHECK(memcmp(out, again, sizeof(float) * n * out_dim) == 0);
    free(again);
    free(out);
    free(mix);
    free(cov);
    free(v);
    emb_table_free(x);
    return 0;
}

static int test_errors(void) {
    struct emb_err err = {0};
    struct emb_table *x = NULL;
    CHECK_OK(emb_table_new(&x, 5, 3, &err));
    float out[5 * 4];
    CHECK(emb_map_pca(x, 0, 2, out, &err) == EMB_EINVAL);
    CHECK(emb_map_pca(x, 6, 2, out, &err) == EMB_EINVAL);
    CHECK(emb_map_pca(x, 5, 4, out, &err) == EMB_EINVAL);
    CHECK(emb_map_pca(x, 5, 0, out, &err) == EMB_EINVAL);
    /* All-equal rows: zero variance, a zero map, no NaN. */
    CHECK_OK(emb_map_pca(x, 5, 2, out, &err));
    for (int i = 0; i < 10; i++) CHECK(out[i] == 0);
    /* One row only. */
    CHECK_OK(emb_map_pca(x, 1, 2, out, &err));
    emb_table_row(x, 2)[1] = NAN;
    CHECK(emb_map_pca(x, 5, 2, out, &err) == EMB_ENUMERIC);
    emb_table_free(x);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_jacobi);
    RUN(test_known_axes);
    RUN(test_against_full_eigen);
    RUN(test_errors);
    if (!failed) printf("pca_test: all passed\n");
    return failed != 0;
}
