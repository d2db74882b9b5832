/* logreg.c -- binary L2-regularised logistic regression (logreg.h), the
 * linear classifier of node classification and link prediction.
 *
 * DESIGN: the solver is liblinear's trust-region Newton method (TRON) for
 * the primal L2-regularised logistic loss, the one sklearn's
 * LogisticRegression(solver='liblinear') runs, so that our scores can be
 * compared with the published ones (see logreg.h for the objective and
 * the stopping rule). Features stay float32 and every product with the
 * data goes through the vec.h kernels (dot_many for X v, axpy_many for
 * X^T c); everything else (weights, gradients, the objective) is double.
 *
 * Two choices keep float32 data from limiting the accuracy near the
 * optimum:
 *   - X^T c is summed in float over blocks of XT_BLOCK rows, and the block
 *     sums are added in double;
 *   - the margins z = X w + b are kept in double and updated with each
 *     step (z += X s), and the decrease f(w) - f(w + s) is computed term by
 *     term as log1p(sigma(-m) * expm1(-dm)), which stays exact when the
 *     steps become tiny (a difference of two large sums would not). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/logreg.h"
#include "emb/vec.h"

/* Rows summed in float before the block sum is added in double: small
 * enough to keep float rounding well below the stopping tolerance, large
 * enough that the double adds (dim per block) cost a few percent. */
#define XT_BLOCK 32

/* TRON's constants (liblinear tron.cpp): a step is accepted when the
 * actual decrease is above ETA0 times the predicted one; ETA1/ETA2 and
 * SIGMA1..3 steer the trust-region radius. CG stops at EPS_CG times the
 * gradient norm. */
#define TRON_ETA0 1e-4
#define TRON_ETA1 0.25
#define TRON_ETA2 0.75
#define TRON_SIGMA1 0.25
#define TRON_SIGMA2 0.5
#define TRON_SIGMA3 4.0
#define TRON_EPS_CG 0.1

/* ---- binary logistic regression ------------------------------------------- */

struct emb_logreg_params emb_logreg_default_params(void) {
    return (struct emb_logreg_params){.C = 1.0, .fit_bias = 1, .regularize_bias = 1, .tol = 1e-4, .max_iter = 100};
}

struct emb_logreg {
    struct emb_vec_ops ops;
    struct emb_logreg_params p;
    int64_t n_max;
    int32_t dim;
    /* The current problem (set by fit/objective). */
    int64_t n;
    const uint8_t *y;   /* (n) */
    const float **rows; /* (n_max) row pointers into X */
    /* Scratch, all sized up front. */
    double *z;                  /* (n_max) margins X w + b at the current w */
    double *t;                  /* (n_max) X s for a step; gradient coefficients */
    double *D;                  /* (n_max) sigma(m)(1 - sigma(m)) at the current w */
    float *zf;                  /* (n_max) float results of dot_many */
    float *c;                   /* (n_max) float copy of the coefficients of X^T c */
    float *vf;                  /* (dim) float copy of a weight vector */
    float *acc;                 /* (dim) float block sum */
    double *g, *s, *r, *d, *Hd; /* (dim + 1) TRON vectors */
};

int emb_logreg_params_check(const struct emb_logreg_params *p, struct emb_err *err) {
    if (!(p->C > 0) || !isfinite(p->C)) return emb_err_set(err, EMB_EINVAL, "C must be positive, got %g", p->C);
    if (!(p->tol > 0) || !isfinite(p->tol))
        return emb_err_set(err, EMB_EINVAL, "tolerance must be positive, got %g", p->tol);
    if (p->max_iter < 1) return emb_err_set(err, EMB_EINVAL, "max_iter must be at least 1, got %d", p->max_iter);
    return EMB_OK;
}

int emb_logreg_new(struct emb_logreg **out, int64_t n_max, int32_t dim, const struct emb_logreg_params *p,
                   struct emb_err *err) {
    *out = NULL;
    struct emb_logreg_params dp = emb_logreg_default_params();
    if (!p) p = &dp;
    if (n_max < 1 || n_max > INT32_MAX || dim < 1)
        return emb_err_set(err, EMB_EINVAL, "logistic regression needs 1..2^31-1 rows and dim >= 1 (got %lld, %d)",
                           (long long)n_max, (int)dim);
    int rc = emb_logreg_params_check(p, err);
    if (rc != EMB_OK) return rc;
    struct emb_logreg *lr = emb_calloc(1, sizeof *lr);
    if (!lr) return emb_err_set(err, EMB_ENOMEM, "out of memory for logistic regression");
    lr->ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    lr->p = *p;
    lr->n_max = n_max;
    lr->dim = dim;
    size_t n = (size_t)n_max, nv = (size_t)dim + 1;
    lr->rows = emb_alloc(n * sizeof *lr->rows);
    lr->z = emb_alloc(n * sizeof *lr->z);
    lr->t = emb_alloc(n * sizeof *lr->t);
    lr->D = emb_alloc(n * sizeof *lr->D);
    lr->zf = emb_alloc(n * sizeof *lr->zf);
    lr->c = emb_alloc(n * sizeof *lr->c);
    lr->vf = emb_alloc_aligned((size_t)dim * sizeof *lr->vf);
    lr->acc = emb_alloc_aligned((size_t)dim * sizeof *lr->acc);
    lr->g = emb_alloc(5 * nv * sizeof *lr->g);
    if (!lr->rows || !lr->z || !lr->t || !lr->D || !lr->zf || !lr->c || !lr->vf || !lr->acc || !lr->g) {
        emb_logreg_free(lr);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for logistic regression (%lld rows)", (long long)n_max);
    }
    lr->s = lr->g + nv;
    lr->r = lr->s + nv;
    lr->d = lr->r + nv;
    lr->Hd = lr->d + nv;
    *out = lr;
    return EMB_OK;
}

void emb_logreg_free(struct emb_logreg *lr) {
    if (!lr) return;
    emb_free(lr->rows);
    emb_free(lr->z);
    emb_free(lr->t);
    emb_free(lr->D);
    emb_free(lr->zf);
    emb_free(lr->c);
    emb_free_aligned(lr->vf);
    emb_free_aligned(lr->acc);
    emb_free(lr->g);
    emb_free(lr);
}

static void set_problem(struct emb_logreg *lr, const float *X, int64_t n, int64_t stride, const uint8_t *y) {
    lr->n = n;
    lr->y = y;
    for (int64_t i = 0; i < n; i++) lr->rows[i] = X + i * stride;
}

static double dotd(int n, const double *a, const double *b) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* out[i] = x_i . v + v_bias for every row. v: (dim + 1), out: (n). */
static void xmul(struct emb_logreg *lr, const double *v, double *out) {
    int32_t dim = lr->dim;
    for (int32_t j = 0; j < dim; j++) lr->vf[j] = (float)v[j];
    lr->ops.dot_many(dim, lr->vf, (int)lr->n, (const float *const *)lr->rows, lr->zf);
    double b = lr->p.fit_bias ? v[dim] : 0.0;
    for (int64_t i = 0; i < lr->n; i++) out[i] = (double)lr->zf[i] + b;
}

/* out = X^T c, and out[dim] = sum c (the bias column) or 0. c: (n). */
static void xtmul(struct emb_logreg *lr, const double *cd, double *out) {
    int32_t dim = lr->dim;
    float *c = lr->c;
    for (int64_t i = 0; i < lr->n; i++) c[i] = (float)cd[i];
    memset(out, 0, ((size_t)dim + 1) * sizeof *out);
    for (int64_t i = 0; i < lr->n; i += XT_BLOCK) {
        int m = lr->n - i < XT_BLOCK ? (int)(lr->n - i) : XT_BLOCK;
        memset(lr->acc, 0, (size_t)dim * sizeof *lr->acc);
        lr->ops.axpy_many(dim, m, c + i, (const float *const *)lr->rows + i, lr->acc);
        for (int32_t j = 0; j < dim; j++) out[j] += lr->acc[j];
    }
    if (lr->p.fit_bias) {
        double sb = 0;
        for (int64_t i = 0; i < lr->n; i++) sb += cd[i];
        out[dim] = sb;
    }
}

/* log(1 + exp(-m)), without overflow. */
static double logloss(double m) { return m >= 0 ? log1p(exp(-m)) : -m + log1p(exp(m)); }

/* sigma(-m) = 1 / (1 + exp(m)), without overflow. */
static double sigm_neg(double m) {
    if (m >= 0) {
        double e = exp(-m);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + exp(m));
}

/* logloss(m + dm) - logloss(m). For small steps as
 * log1p(sigma(-m) * expm1(-dm)), exact however small dm is; for large ones
 * (where that product could overflow) as the plain difference. */
static double dlogloss(double m, double dm) {
    if (fabs(dm) < 1.0) return log1p(sigm_neg(m) * expm1(-dm));
    return logloss(m + dm) - logloss(m);
}

/* The penalty ||w||^2 / (2C) (bias included when regularised). */
static double penalty(const struct emb_logreg *lr, const double *w) {
    double s = dotd(lr->dim, w, w);
    if (lr->p.fit_bias && lr->p.regularize_bias) s += w[lr->dim] * w[lr->dim];
    return s / (2.0 * lr->p.C);
}

/* Add the penalty's gradient (or Hessian product) v / C to out. */
static void add_reg(const struct emb_logreg *lr, const double *v, double *out) {
    for (int32_t j = 0; j < lr->dim; j++) out[j] += v[j] / lr->p.C;
    if (!lr->p.fit_bias)
        out[lr->dim] = 0;
    else if (lr->p.regularize_bias)
        out[lr->dim] += v[lr->dim] / lr->p.C;
}

/* Loss at margins z (no penalty). */
static double loss_at(const struct emb_logreg *lr, const double *z) {
    double f = 0;
    for (int64_t i = 0; i < lr->n; i++) f += logloss(lr->y[i] ? z[i] : -z[i]);
    return f;
}

/* Gradient at w from the margins lr->z (which must be those of w); also
 * stores the Hessian weights D. g: (dim + 1). Uses lr->t as scratch. */
static void gradient(struct emb_logreg *lr, const double *w, double *g) {
    for (int64_t i = 0; i < lr->n; i++) {
        double ys = lr->y[i] ? 1.0 : -1.0;
        double q = sigm_neg(ys * lr->z[i]); /* 1 - sigma(y z) */
        lr->t[i] = -ys * q;
        lr->D[i] = q * (1.0 - q);
    }
    xtmul(lr, lr->t, g);
    add_reg(lr, w, g);
}

/* Hv = (X^T D X + I / C) v with D from the last gradient. The products
 * X v and X^T (D X v) are fused block by block, so each block of rows is
 * read from memory once and reused from cache: the CG loop, where most of
 * the time goes, makes one pass over X per iteration instead of two. */
static void hess_vec(struct emb_logreg *lr, const double *v, double *Hv) {
    int32_t dim = lr->dim;
    const float *const *rows = (const float *const *)lr->rows;
    double vb = lr->p.fit_bias ? v[dim] : 0.0, sb = 0;
    for (int32_t j = 0; j < dim; j++) lr->vf[j] = (float)v[j];
    memset(Hv, 0, ((size_t)dim + 1) * sizeof *Hv);
    for (int64_t i = 0; i < lr->n; i += XT_BLOCK) {
        int m = lr->n - i < XT_BLOCK ? (int)(lr->n - i) : XT_BLOCK;
        lr->ops.dot_many(dim, lr->vf, m, rows + i, lr->zf + i);
        for (int k = 0; k < m; k++) {
            double cd = lr->D[i + k] * ((double)lr->zf[i + k] + vb);
            lr->c[i + k] = (float)cd;
            sb += cd;
        }
        memset(lr->acc, 0, (size_t)dim * sizeof *lr->acc);
        lr->ops.axpy_many(dim, m, lr->c + i, rows + i, lr->acc);
        for (int32_t j = 0; j < dim; j++) Hv[j] += lr->acc[j];
    }
    if (lr->p.fit_bias) Hv[dim] = sb;
    add_reg(lr, v, Hv);
}

/* Truncated conjugate gradient for H s = -g inside ||s|| <= delta
 * (Steihaug). On return r = -g - H s. Returns the CG iterations. */
static int trcg(struct emb_logreg *lr, double delta, const double *g, double *s, double *r, int *reach_boundary) {
    int nv = lr->dim + 1, it = 0;
    double *d = lr->d, *Hd = lr->Hd;
    for (int i = 0; i < nv; i++) {
        s[i] = 0;
        r[i] = -g[i];
        d[i] = r[i];
    }
    double rTr = dotd(nv, r, r), cgtol = TRON_EPS_CG * sqrt(rTr);
    *reach_boundary = 0;
    /* In exact arithmetic CG ends within nv steps; the cap guards against
     * rounding keeping the residual just above cgtol. */
    while (sqrt(rTr) > cgtol && it < 2 * nv) {
        it++;
        hess_vec(lr, d, Hd);
        double dHd = dotd(nv, d, Hd);
        if (!(dHd > 0)) break; /* H is positive definite; rounding only */
        double alpha = rTr / dHd;
        for (int i = 0; i < nv; i++) s[i] += alpha * d[i];
        if (sqrt(dotd(nv, s, s)) > delta) {
            /* Step back and go to the boundary along d. */
            *reach_boundary = 1;
            for (int i = 0; i < nv; i++) s[i] -= alpha * d[i];
            double std = dotd(nv, s, d), sts = dotd(nv, s, s), dtd = dotd(nv, d, d), dsq = delta * delta;
            double rad = sqrt(std * std + dtd * (dsq - sts));
            alpha = std >= 0 ? (dsq - sts) / (std + rad) : (rad - std) / dtd;
            for (int i = 0; i < nv; i++) {
                s[i] += alpha * d[i];
                r[i] -= alpha * Hd[i];
            }
            break;
        }
        for (int i = 0; i < nv; i++) r[i] -= alpha * Hd[i];
        double rnew = dotd(nv, r, r), beta = rnew / rTr;
        for (int i = 0; i < nv; i++) d[i] = beta * d[i] + r[i];
        rTr = rnew;
    }
    return it;
}

double emb_logreg_objective(struct emb_logreg *lr, const float *X, int64_t n, int64_t stride, const uint8_t *y,
                            const double *w, double *grad) {
    if (n < 1 || n > lr->n_max) return NAN;
    set_problem(lr, X, n, stride, y);
    xmul(lr, w, lr->z);
    double f = loss_at(lr, lr->z) + penalty(lr, w);
    if (grad) gradient(lr, w, grad);
    return f;
}

double emb_logreg_decision(const double *w, int32_t dim, const float *x) {
    double s = w[dim];
    for (int32_t j = 0; j < dim; j++) s += w[j] * x[j];
    return s;
}

int emb_logreg_fit(struct emb_logreg *lr, const float *X, int64_t n, int64_t stride, const uint8_t *y, double *w,
                   struct emb_logreg_info *info, struct emb_err *err) {
    struct emb_logreg_info in = {0};
    int nv = lr->dim + 1;
    memset(w, 0, (size_t)nv * sizeof *w);
    if (info) *info = in;
    if (n < 1 || n > lr->n_max)
        return emb_err_set(err, EMB_EINVAL, "logistic regression: %lld rows for a workspace of %lld", (long long)n,
                           (long long)lr->n_max);
    set_problem(lr, X, n, stride, y);
    int64_t n_pos = 0;
    for (int64_t i = 0; i < n; i++) n_pos += y[i] != 0;
    int64_t n_min = n_pos < n - n_pos ? n_pos : n - n_pos;
    double *g = lr->g, *s = lr->s, *r = lr->r;

    /* w = 0: every margin is 0 and f = n log 2. */
    memset(lr->z, 0, (size_t)n * sizeof *lr->z);
    double f = (double)n * log(2.0);
    gradient(lr, w, g);
    double gnorm = sqrt(dotd(nv, g, g)), gnorm0 = gnorm;
    double gtol = lr->p.tol * (double)(n_min > 1 ? n_min : 1) / (double)n * gnorm0;
    if (!isfinite(gnorm)) return emb_err_set(err, EMB_ENUMERIC, "logistic regression: non-finite gradient");
    double delta = gnorm;
    int converged = gnorm <= gtol, trials = 0;
    /* A rejected step only shrinks the radius; the trial cap ends a run
     * that rounding has stalled (as do liblinear's two tests below). */
    while (!converged && in.n_iter < lr->p.max_iter && trials < 10 * lr->p.max_iter) {
        trials++;
        int boundary;
        in.n_cg += trcg(lr, delta, g, s, r, &boundary);
        double gs = dotd(nv, g, s), prered = -0.5 * (gs - dotd(nv, s, r));
        /* Actual decrease f(w) - f(w + s), term by term (see DESIGN). */
        xmul(lr, s, lr->t);
        double dloss = 0;
        for (int64_t i = 0; i < n; i++) {
            double ys = y[i] ? 1.0 : -1.0;
            dloss += dlogloss(ys * lr->z[i], ys * lr->t[i]);
        }
        double dreg = 0;
        for (int32_t j = 0; j < lr->dim; j++) dreg += (2.0 * w[j] + s[j]) * s[j];
        if (lr->p.fit_bias && lr->p.regularize_bias) dreg += (2.0 * w[lr->dim] + s[lr->dim]) * s[lr->dim];
        double actred = -(dloss + dreg / (2.0 * lr->p.C));
        if (!isfinite(actred)) return emb_err_set(err, EMB_ENUMERIC, "logistic regression: non-finite objective");
        double fnew = f - actred, snorm = sqrt(dotd(nv, s, s));

        /* Update the trust region (liblinear's rules). */
        if (trials == 1) delta = fmin(delta, snorm);
        double alpha = fnew - f - gs <= 0 ? TRON_SIGMA3 : fmax(TRON_SIGMA1, -0.5 * (gs / (fnew - f - gs)));
        if (actred < TRON_ETA0 * prered)
            delta = fmin(alpha * snorm, TRON_SIGMA2 * delta);
        else if (actred < TRON_ETA1 * prered)
            delta = fmax(TRON_SIGMA1 * delta, fmin(alpha * snorm, TRON_SIGMA2 * delta));
        else if (actred < TRON_ETA2 * prered)
            delta = fmax(TRON_SIGMA1 * delta, fmin(alpha * snorm, TRON_SIGMA3 * delta));
        else if (boundary)
            delta = TRON_SIGMA3 * delta;
        else
            delta = fmax(delta, fmin(alpha * snorm, TRON_SIGMA3 * delta));

        if (actred > TRON_ETA0 * prered) { /* accept */
            in.n_iter++;
            for (int i = 0; i < nv; i++) w[i] += s[i];
            for (int64_t i = 0; i < n; i++) lr->z[i] += lr->t[i];
            f = fnew;
            gradient(lr, w, g);
            gnorm = sqrt(dotd(nv, g, g));
            converged = gnorm <= gtol;
        }
        if (fabs(actred) <= 0 && prered <= 0) break;
        if (fabs(actred) <= 1e-12 * fabs(f) && fabs(prered) <= 1e-12 * fabs(f)) break;
    }
    if (!lr->p.fit_bias) w[lr->dim] = 0;
    in.converged = converged;
    in.f = f;
    in.grad_norm = gnorm;
    in.grad0_norm = gnorm0;
    if (info) *info = in;
    return EMB_OK;
}
