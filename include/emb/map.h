/* map.h -- 2-D (or low-dimensional) maps of a vector set: PCA and
 * Barnes-Hut t-SNE (van der Maaten 2014).
 *
 *     float *xy = malloc(n * 2 * sizeof *xy);
 *     emb_map_pca(vecs->table, n, 2, xy, &err);      // first n rows
 *     struct emb_tsne_params p = emb_tsne_default_params();
 *     p.n_threads = 2;
 *     emb_map_tsne(vecs->table, n, &p, xy, &err);
 *
 * Output is row-major (n, out_dim); t-SNE always maps to 2-D.
 *
 * DESIGN: PCA centres the rows, accumulates the dim x dim covariance in
 * double and finds its top eigenvectors by subspace iteration with a
 * Rayleigh-Ritz step (cyclic Jacobi on the small projected matrix), or by
 * Jacobi on the whole covariance when dim is small. t-SNE follows
 * van der Maaten's bhtsne and scikit-learn's 'barnes_hut' method so the
 * two can be compared setting for setting: exact k nearest neighbours
 * (k = 3 * perplexity, blocked SIMD dot products on the thread pool), a
 * binary search for each point's Gaussian bandwidth, a symmetrised sparse
 * P, an attractive force over P's entries and a repulsive force from a
 * quadtree (a cell far enough away, size / distance < theta, counts as one
 * point at its centre of mass), gradient descent with momentum and
 * per-coordinate gains, early exaggeration. theta = 0 makes the repulsion
 * exact (O(N^2), for tests and tiny sets). Forces are computed per point
 * on the thread pool into separate slots, and summed in a fixed order,
 * so the result does not depend on the thread count. */
#ifndef EMB_MAP_H
#define EMB_MAP_H

#include <signal.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/table.h"
#include "emb/vec.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Project the first n rows of x onto their top out_dim principal
 * components (centred; component signs fixed so the largest-magnitude
 * loading is positive, which makes the result deterministic).
 * out: (n, out_dim). Errors: n < 1 or > x->n_rows, out_dim < 1 or
 * > x->dim (EMB_EINVAL), non-finite input (EMB_ENUMERIC), EMB_ENOMEM. */
int emb_map_pca(const struct emb_table *x, int64_t n, int32_t out_dim, float *out, struct emb_err *err);

/* The same, also returning the variance along each component, largest
 * first (variance: (out_dim), may be NULL), and the total variance (sum
 * over all dims; may be NULL), so callers can report explained ratios. */
int emb_map_pca_ex(const struct emb_table *x, int64_t n, int32_t out_dim, float *out, double *variance,
                   double *total_variance, struct emb_err *err);

/* ---- t-SNE --------------------------------------------------------------- */

enum emb_tsne_init {
    EMB_TSNE_INIT_PCA = 0,    /* first two principal components, scaled so PC1 has std 1e-4 */
    EMB_TSNE_INIT_RANDOM = 1, /* N(0, 1e-4^2) from the seed */
};

/* Progress: iterations done of n_iter, and the KL divergence (computed
 * every 50 iterations; NaN in between). */
typedef void (*emb_tsne_progress_fn)(void *ctx, int32_t iter, int32_t n_iter, double kl);

struct emb_tsne_params {
    double perplexity;         /* 30; needs n > 3 * perplexity + 1 */
    double theta;              /* 0.5: Barnes-Hut accuracy; 0 = exact repulsion */
    int32_t n_iter;            /* 1000 iterations in all */
    int32_t exaggeration_iter; /* 250 first iterations: P scaled up, momentum 0.5 */
    double exaggeration;       /* 12 */
    double learning_rate;      /* 0 = auto: max(n / exaggeration / 4, 50), as scikit-learn */
    double momentum_start;     /* 0.5 during exaggeration, */
    double momentum_final;     /* 0.8 after */
    enum emb_tsne_init init;   /* PCA */
    uint64_t seed;             /* 1 (random init only; everything else is deterministic) */
    int32_t n_threads;         /* 1; the result does not depend on it */
    enum emb_simd simd;        /* AUTO, for the neighbour search */
    emb_tsne_progress_fn progress;
    void *progress_ctx;
    volatile sig_atomic_t *stop; /* non-zero: stop early, return EMB_EINTR */
};

struct emb_tsne_params emb_tsne_default_params(void);
/* Check p for a set of n points (perplexity must leave enough
 * neighbours: 3 * perplexity + 1 < n). */
int emb_tsne_params_check(const struct emb_tsne_params *p, int64_t n, struct emb_err *err);

/* Map the first n rows of x to 2-D. out: (n, 2). On success *kl (may be
 * NULL) is the final KL divergence (Barnes-Hut estimate when theta > 0).
 * Errors: bad params (EMB_EINVAL), non-finite input or a diverging run
 * (EMB_ENUMERIC), EMB_EINTR when stopped, EMB_ENOMEM, EMB_ETHREAD. */
int emb_map_tsne(const struct emb_table *x, int64_t n, const struct emb_tsne_params *p, float *out, double *kl,
                 struct emb_err *err);

/* Trustworthiness (Venna & Kaski 2001; scikit-learn's definition) of a
 * map low: (n, low_dim) of the first n rows of x, with k neighbours:
 * 1 - 2/(n k (2n - 3k - 1)) * sum_i sum_{j in N_k^low(i) \ N_k^high(i)}
 * (rank_high(i, j) - k). Exact, O(n^2 dim); 1 is perfect. k < n / 2. */
int emb_map_trustworthiness(const struct emb_table *x, int64_t n, const float *low, int32_t low_dim, int32_t k,
                            double *out, struct emb_err *err);

/* ---- export ---------------------------------------------------------------- */

/* Write the first n vectors of t and their words for the TensorBoard
 * Embedding Projector into dir (created if missing, one level):
 * vectors.tsv (tab-separated values, one vector a line, no header),
 * metadata.tsv (one word a line, no header: a single column has none) and
 * projector_config.pbtxt (points TensorBoard's projector at both).
 * Errors: words with a tab or line break, or empty (EMB_EINVAL), non-finite
 * values (EMB_ENUMERIC), I/O (EMB_EIO). */
int emb_map_export_tensorboard(const struct emb_vocab *vocab, const struct emb_table *t, int64_t n, const char *dir,
                               struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
