/* logreg.h -- binary L2-regularised logistic regression: the linear
 * classifier of node classification (nodeclf.h) and link prediction
 * (linkpred.h).
 *
 *     struct emb_logreg *lr = NULL;
 *     emb_logreg_new(&lr, n, dim, NULL, &err);        // defaults: C = 1, bias
 *     double *w = malloc((dim + 1) * sizeof *w);
 *     emb_logreg_fit(lr, X, n, dim, y, w, NULL, &err);
 *     double s = emb_logreg_decision(w, dim, x);      // > 0: positive
 *     emb_logreg_free(lr);
 *
 * For labels y_i in {-1, +1} and features x_i (with a constant 1 appended
 * for the bias b, liblinear's intercept_scaling = 1) minimise
 *
 *     f(w, b) = sum_i log(1 + exp(-y_i (w . x_i + b))) + (||w||^2 + b^2) / (2 C)
 *
 * i.e. the bias is regularised like every weight, as liblinear and so
 * sklearn's LogisticRegression(solver='liblinear') do (regularize_bias = 0
 * drops b^2 from the penalty). Solved with a trust-region Newton method
 * (TRON, Lin, Weng & Keerthi 2008, liblinear's primal solver) using
 * conjugate-gradient steps with Hessian-vector products; it stops when
 * ||grad f|| <= tol * max(min(n_pos, n_neg), 1) / n * ||grad f(0)||,
 * liblinear's criterion, with sklearn's default tol = 1e-4. */
#ifndef EMB_LOGREG_H
#define EMB_LOGREG_H

#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_logreg_params {
    double C;            /* inverse regularisation strength, > 0 (default 1.0) */
    int fit_bias;        /* append a constant-1 feature (default 1) */
    int regularize_bias; /* penalise the bias like a weight (default 1, liblinear) */
    double tol;          /* relative gradient tolerance, see above (default 1e-4) */
    int max_iter;        /* Newton iterations at most (default 100, liblinear's) */
};

struct emb_logreg_params emb_logreg_default_params(void);
/* EMB_EINVAL naming the field when C or tol is not positive and finite, or
 * max_iter < 1. */
int emb_logreg_params_check(const struct emb_logreg_params *p, struct emb_err *err);

/* What one fit did. */
struct emb_logreg_info {
    int n_iter;        /* accepted Newton steps */
    int n_cg;          /* conjugate-gradient iterations (Hessian products) */
    int converged;     /* 1 if the gradient criterion was met */
    double f;          /* objective at the solution */
    double grad_norm;  /* ||grad f|| at the solution */
    double grad0_norm; /* ||grad f|| at w = 0 */
};

/* A solver workspace for problems of up to n_max rows of dim features.
 * It holds the vector kernels (chosen once, at creation) and all scratch,
 * so fits allocate nothing. One fit at a time per workspace. */
struct emb_logreg;

/* p may be NULL for the defaults. EMB_EINVAL for bad sizes or params. */
int emb_logreg_new(struct emb_logreg **out, int64_t n_max, int32_t dim, const struct emb_logreg_params *p,
                   struct emb_err *err);
/* NULL is a no-op. */
void emb_logreg_free(struct emb_logreg *lr);

/* Fit one binary problem. X: (n, stride) floats, row i = x_i (dim valid
 * floats; stride >= dim); y: (n), nonzero = positive class. On return
 * w: (dim + 1) holds the weights and, last, the bias (0 without fit_bias).
 * info may be NULL. Not converging within max_iter is not an error (see
 * info->converged). Errors: EMB_EINVAL (n < 1 or n > n_max), EMB_ENUMERIC
 * (a non-finite objective, e.g. from non-finite features). */
int emb_logreg_fit(struct emb_logreg *lr, const float *X, int64_t n, int64_t stride, const uint8_t *y, double *w,
                   struct emb_logreg_info *info, struct emb_err *err);

/* The objective f(w) and its gradient grad: (dim + 1) at w: (dim + 1), for
 * the same X, n, stride, y as emb_logreg_fit (grad may be NULL). Exposed
 * for tests (finite differences, optimality). */
double emb_logreg_objective(struct emb_logreg *lr, const float *X, int64_t n, int64_t stride, const uint8_t *y,
                            const double *w, double *grad);

/* Decision value w . x + b for x: (dim). */
double emb_logreg_decision(const double *w, int32_t dim, const float *x);

#ifdef __cplusplus
}
#endif

#endif
