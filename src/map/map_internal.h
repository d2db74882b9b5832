/* map_internal.h -- pieces of src/map/ shared between its files and its
 * unit tests; not part of the public API. */
#ifndef EMB_MAP_INTERNAL_H
#define EMB_MAP_INTERNAL_H

#include <stdint.h>

#include "emb/map.h"

/* Cyclic Jacobi eigensolver for the symmetric a: (m, m) row-major
 * (destroyed). w: (m) eigenvalues, unsorted; v: (m, m) with the matching
 * eigenvectors as columns. */
void emb__jacobi_eig(int m, double *a, double *w, double *v);

/* ---- t-SNE internals (tsne.c) ---- */

struct emb_pool;

/* Neighbours per point for a perplexity: int(3 * perplexity + 1). */
int emb__tsne_n_neighbors(double perplexity);

/* Symmetric sparse input affinities P (CSR), summing to 1. */
struct emb__tsne_p {
    int64_t n;
    int64_t *row; /* (n + 1) */
    int32_t *col; /* (nnz) sorted within each row */
    double *val;  /* (nnz) p_ij = p_ji */
};
int emb__tsne_affinities(const struct emb_table *x, int64_t n, double perplexity, struct emb_pool *pool,
                         enum emb_simd simd, struct emb__tsne_p *P, struct emb_err *err);
void emb__tsne_p_free(struct emb__tsne_p *P);

/* Exact KL(P || Q) and its gradient for y: (n, 2), O(n^2). grad: (n, 2). */
double emb__tsne_kl_exact(const struct emb__tsne_p *P, const double *y);
void emb__tsne_grad_exact(const struct emb__tsne_p *P, const double *y, double *grad);

/* Barnes-Hut gradient (theta = 0: exact up to float32 rounding; the
 * kernels work in float32 with double sums, the scalar reference in double), P scaled by exaggeration in the
 * attractive term. kl (may be NULL): KL of the unscaled P. P and pool are
 * borrowed for the life of the context. */
struct emb__tsne_grad;
int emb__tsne_grad_new(struct emb__tsne_grad **out, const struct emb__tsne_p *P, struct emb_pool *pool,
                       enum emb_simd simd, struct emb_err *err);
void emb__tsne_grad_free(struct emb__tsne_grad *g);
int emb__tsne_grad_bh(struct emb__tsne_grad *g, const double *y, double theta, double exaggeration, double *grad,
                      double *kl, struct emb_err *err);

#endif
