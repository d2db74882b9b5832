/* pca.c -- principal component analysis of a vector table.
 *
 * Centre the rows, accumulate the dim x dim covariance in double, then find
 * its top eigenvectors. For small dim (at most SUBSPACE_EXTRA + out_dim) a
 * cyclic Jacobi eigensolver takes the whole covariance; otherwise subspace
 * iteration (block power method with re-orthonormalisation) on a block of
 * out_dim + SUBSPACE_EXTRA vectors, finished by a Rayleigh-Ritz step: Jacobi
 * on the small projected matrix. The extra vectors make the top out_dim
 * converge fast even when eigenvalues are close.
 *
 * The start block comes from a fixed RNG stream, and each component's sign
 * is chosen so that its largest-magnitude loading is positive: the same
 * input always gives the same map. */
#include <math.h>
#include <string.h>

#include "emb/map.h"
#include "emb/rng.h"
#include "map_internal.h"

/* Vectors beyond out_dim in the iterated block (speeds convergence). */
#define SUBSPACE_EXTRA 10
/* Upper bound on block-power iterations; convergence usually takes far fewer. */
#define SUBSPACE_MAX_ITER 500
/* Stop when the Ritz values change by less than this (relative). */
#define SUBSPACE_TOL 1e-13
/* Seed of the fixed start block. */
#define PCA_SEED 0x5ca1ab1eULL

void emb__jacobi_eig(int m, double *a, double *w, double *v) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) v[(int64_t)i * m + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int p = 0; p < m; p++) {
            diag += a[(int64_t)p * m + p] * a[(int64_t)p * m + p];
            for (int q = p + 1; q < m; q++) off += a[(int64_t)p * m + q] * a[(int64_t)p * m + q];
        }
        if (off <= 1e-30 * diag || off == 0) break;
        for (int p = 0; p < m; p++)
            for (int q = p + 1; q < m; q++) {
                double apq = a[(int64_t)p * m + q];
                if (apq == 0) continue;
                /* The rotation that zeroes a[p][q]: t = tan(phi), smaller root of
                 * t^2 + 2 theta t - 1 = 0 (Numerical Recipes, 11.1). */
                double theta = (a[(int64_t)q * m + q] - a[(int64_t)p * m + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < m; k++) { /* columns: A J */
                    double akp = a[(int64_t)k * m + p], akq = a[(int64_t)k * m + q];
                    a[(int64_t)k * m + p] = c * akp - s * akq;
                    a[(int64_t)k * m + q] = s * akp + c * akq;
                }
                for (int k = 0; k < m; k++) { /* rows: J^T (A J) */
                    double apk = a[(int64_t)p * m + k], aqk = a[(int64_t)q * m + k];
                    a[(int64_t)p * m + k] = c * apk - s * aqk;
                    a[(int64_t)q * m + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < m; k++) { /* V J */
                    double vkp = v[(int64_t)k * m + p], vkq = v[(int64_t)k * m + q];
                    v[(int64_t)k * m + p] = c * vkp - s * vkq;
                    v[(int64_t)k * m + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < m; i++) w[i] = a[(int64_t)i * m + i];
}

/* Orthonormalise the p columns of q: (d, p) row-major, by modified
 * Gram-Schmidt, twice for stability. A column that vanishes is replaced by
 * a unit vector orthogonal to the others' span (tried along the axes). */
static void orthonormalize(int d, int p, double *q) {
    for (int c = 0; c < p; c++)
        for (int attempt = 0; attempt <= d; attempt++) {
            for (int pass = 0; pass < 2; pass++)
                for (int b = 0; b < c; b++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += q[(int64_t)i * p + c] * q[(int64_t)i * p + b];
                    for (int i = 0; i < d; i++) q[(int64_t)i * p + c] -= dot * q[(int64_t)i * p + b];
                }
            double nrm = 0;
            for (int i = 0; i < d; i++) nrm += q[(int64_t)i * p + c] * q[(int64_t)i * p + c];
            nrm = sqrt(nrm);
            if (nrm >= 1e-150) {
                for (int i = 0; i < d; i++) q[(int64_t)i * p + c] /= nrm;
                break;
            }
            /* The column vanished (rank-deficient input): restart it on an axis. */
            for (int i = 0; i < d; i++) q[(int64_t)i * p + c] = i == (c + attempt) % d;
        }
}

/* y = C x for C: (d, d) symmetric, x and y: (d, p) row-major. */
static void sym_mul(int d, int p, const double *c, const double *x, double *y) {
    memset(y, 0, (size_t)d * p * sizeof *y);
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++) {
            double cik = c[(int64_t)i * d + k];
            for (int j = 0; j < p; j++) y[(int64_t)i * p + j] += cik * x[(int64_t)k * p + j];
        }
}

/* Top m eigenpairs of the symmetric c: (d, d) (destroyed when the full
 * solver is used). w: (m) largest first, v: (d, m) columns. */
static int top_eigen(int d, int m, double *c, double *w, double *v, struct emb_err *err) {
    int rc = EMB_ENOMEM;
    int p = m + SUBSPACE_EXTRA < d ? m + SUBSPACE_EXTRA : d;
    double *q = emb_alloc((size_t)d * p * sizeof *q), *z = emb_alloc((size_t)d * p * sizeof *z);
    double *t = emb_alloc((size_t)p * p * sizeof *t), *tv = emb_alloc((size_t)p * p * sizeof *tv);
    double *tw = emb_alloc((size_t)p * sizeof *tw), *prev = emb_alloc((size_t)p * sizeof *prev);
    int *order = emb_alloc((size_t)p * sizeof *order);
    if (!q || !z || !t || !tv || !tw || !prev || !order) {
        emb_err_set(err, EMB_ENOMEM, "out of memory for PCA (dim %d)", d);
        goto done;
    }
    if (p == d) {
        /* Small: the whole matrix at once. q = I so the Ritz step below is exact. */
        for (int i = 0; i < d; i++)
            for (int j = 0; j < p; j++) q[(int64_t)i * p + j] = i == j;
    } else {
        struct emb_rng r;
        emb_rng_seed(&r, PCA_SEED, 0);
        for (int64_t i = 0; i < (int64_t)d * p; i++) q[i] = emb_rng_normal(&r);
        orthonormalize(d, p, q);
        for (int j = 0; j < p; j++) prev[j] = 0;
        for (int it = 0; it < SUBSPACE_MAX_ITER; it++) {
            sym_mul(d, p, c, q, z);
            /* Rayleigh quotients q_j' C q_j as the convergence measure. */
            double change = 0, scale = 0;
            for (int j = 0; j < p; j++) {
                double rq = 0;
                for (int i = 0; i < d; i++) rq += q[(int64_t)i * p + j] * z[(int64_t)i * p + j];
                if (j < m) change = fmax(change, fabs(rq - prev[j])), scale = fmax(scale, fabs(rq));
                prev[j] = rq;
            }
            memcpy(q, z, (size_t)d * p * sizeof *q);
            orthonormalize(d, p, q);
            if (it > 2 && change <= SUBSPACE_TOL * scale) break;
        }
    }
    /* Rayleigh-Ritz: T = Q' C Q, eigenvectors of T rotate Q. */
    sym_mul(d, p, c, q, z);
    for (int a = 0; a < p; a++)
        for (int b = 0; b < p; b++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += q[(int64_t)i * p + a] * z[(int64_t)i * p + b];
            t[(int64_t)a * p + b] = s;
        }
    for (int a = 0; a < p; a++) /* symmetrise rounding noise */
        for (int b = a + 1; b < p; b++)
            t[(int64_t)a * p + b] = t[(int64_t)b * p + a] = 0.5 * (t[(int64_t)a * p + b] + t[(int64_t)b * p + a]);
    emb__jacobi_eig(p, t, tw, tv);
    for (int j = 0; j < p; j++) order[j] = j;
    for (int a = 1; a < p; a++) /* insertion sort, largest first; stable for ties */
        for (int b = a; b > 0 && tw[order[b]] > tw[order[b - 1]]; b--) {
            int x = order[b];
            order[b] = order[b - 1];
            order[b - 1] = x;
        }
    for (int j = 0; j < m; j++) {
        int o = order[j];
        w[j] = tw[o];
        double big = 0;
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int k = 0; k < p; k++) s += q[(int64_t)i * p + k] * tv[(int64_t)k * p + o];
            v[(int64_t)i * m + j] = s;
            if (fabs(s) > fabs(big)) big = s;
        }
        if (big < 0) /* sign convention: the largest-magnitude loading is positive */
            for (int i = 0; i < d; i++) v[(int64_t)i * m + j] = -v[(int64_t)i * m + j];
    }
    rc = EMB_OK;
done:
    emb_free(q);
    emb_free(z);
    emb_free(t);
    emb_free(tv);
    emb_free(tw);
    emb_free(prev);
    emb_free(order);
    return rc;
}

int emb_map_pca_ex(const struct emb_table *x, int64_t n, int32_t out_dim, float *out, double *variance,
                   double *total_variance, struct emb_err *err) {
    if (!x || !out) return emb_err_set(err, EMB_EINVAL, "PCA: no input or output");
    if (n < 1 || n > x->n_rows)
        return emb_err_set(err, EMB_EINVAL, "PCA: n must be in 1..%lld, got %lld", (long long)x->n_rows, (long long)n);
    const int d = x->dim;
    if (out_dim < 1 || out_dim > d)
        return emb_err_set(err, EMB_EINVAL, "PCA: out_dim must be in 1..%d, got %d", d, out_dim);
    int rc = EMB_ENOMEM;
    double *mean = emb_calloc((size_t)d, sizeof *mean), *xc = emb_alloc((size_t)d * sizeof *xc);
    double *cov = emb_calloc((size_t)d * d, sizeof *cov);
    double *w = emb_alloc((size_t)out_dim * sizeof *w), *v = emb_alloc((size_t)d * out_dim * sizeof *v);
    if (!mean || !xc || !cov || !w || !v) {
        emb_err_set(err, EMB_ENOMEM, "out of memory for PCA (%d dims)", d);
        goto done;
    }
    for (int64_t r = 0; r < n; r++) {
        const float *row = emb_table_row(x, r);
        for (int j = 0; j < d; j++) {
            if (!isfinite(row[j])) {
                rc = emb_err_set(err, EMB_ENUMERIC, "PCA: row %lld has a non-finite value", (long long)r);
                goto done;
            }
            mean[j] += row[j];
        }
    }
    for (int j = 0; j < d; j++) mean[j] /= (double)n;
    /* Upper triangle of sum (x - mean)(x - mean)', then mirrored. */
    for (int64_t r = 0; r < n; r++) {
        const float *row = emb_table_row(x, r);
        for (int j = 0; j < d; j++) xc[j] = row[j] - mean[j];
        for (int j = 0; j < d; j++) {
            double a = xc[j];
            double *cj = cov + (int64_t)j * d;
            for (int k = j; k < d; k++) cj[k] += a * xc[k];
        }
    }
    double denom = n > 1 ? (double)(n - 1) : 1.0, total = 0;
    for (int j = 0; j < d; j++)
        for (int k = j; k < d; k++) {
            cov[(int64_t)j * d + k] /= denom;
            cov[(int64_t)k * d + j] = cov[(int64_t)j * d + k];
        }
    for (int j = 0; j < d; j++) total += cov[(int64_t)j * d + j];
    if ((rc = top_eigen(d, out_dim, cov, w, v, err)) != EMB_OK) goto done;
    for (int64_t r = 0; r < n; r++) {
        const float *row = emb_table_row(x, r);
        for (int j = 0; j < d; j++) xc[j] = row[j] - mean[j];
        for (int c = 0; c < out_dim; c++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += xc[j] * v[(int64_t)j * out_dim + c];
            out[r * out_dim + c] = (float)s;
        }
    }
    if (variance)
        for (int c = 0; c < out_dim; c++) variance[c] = w[c] > 0 ? w[c] : 0;
    if (total_variance) *total_variance = total;
    rc = EMB_OK;
done:
    emb_free(mean);
    emb_free(xc);
    emb_free(cov);
    emb_free(w);
    emb_free(v);
    return rc;
}

int emb_map_pca(const struct emb_table *x, int64_t n, int32_t out_dim, float *out, struct emb_err *err) {
    return emb_map_pca_ex(x, n, out_dim, out, NULL, NULL, err);
}
