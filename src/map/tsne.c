/* tsne.c -- Barnes-Hut t-SNE (van der Maaten, JMLR 2014), with the same
 * schedule and optimiser as scikit-learn's method='barnes_hut'.
 *
 * Objective: KL(P || Q) between input affinities P (Gaussian kernels with
 * a per-point bandwidth set by the perplexity, symmetrised, sparse over the
 * k = 3 * perplexity nearest neighbours) and output affinities
 * q_ij = w_ij / Z, w_ij = 1 / (1 + |y_i - y_j|^2), Z = sum_{k != l} w_kl.
 * Its gradient splits into an attractive and a repulsive part:
 *     dC/dy_i = 4 (sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z)
 * The attractive sum runs over P's entries; the repulsive one over all
 * points, approximated with a quadtree.
 *
 * Layout: affinities (kNN, bandwidth search, symmetrised CSR) -> quadtree
 * -> gradient (attractive + repulsive, on the pool) -> optimiser (momentum,
 * gains, early exaggeration) -> emb_map_tsne.
 *
 * DESIGN: the repulsion walks the tree once per leaf (a group of at most
 * LEAF_SIZE points) instead of once per point: a cell S is summarised by
 * its centre of mass when width(S) / d < theta, d being the distance from
 * S's centre of mass to the group's bounding box, so the test holds for
 * every point of the group and the approximation is at least as accurate
 * as scikit-learn's per-point test with the same theta (cell width, not
 * half-width, as scikit-learn measures it). The walk yields two lists, cells
 * to summarise and leaves to sum point by point, and each point of the
 * group then runs two tight loops over them. Forces are written per point
 * and Z is summed in tree order, so results do not depend on the number
 * of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/map.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "map_internal.h"

/* Points per quadtree leaf (one group of the walk). */
#define LEAF_SIZE 64
/* Cells are not split below this depth (coincident points share a leaf). */
#define MAX_DEPTH 48
/* scikit-learn's binary search: steps and tolerance on the entropy. */
#define BANDWIDTH_STEPS 100
#define BANDWIDTH_TOL 1e-5
/* Every this many iterations: KL divergence, progress test (as scikit-learn). */
#define CHECK_EVERY 50
/* Stop a phase after this many iterations without a lower KL (scikit-learn's
 * n_iter_without_progress), or when the gradient norm falls below MIN_GRAD_NORM. */
#define NO_PROGRESS_ITER 300
#define MIN_GRAD_NORM 1e-7
#define MIN_GAIN 0.01

struct emb_tsne_params emb_tsne_default_params(void) {
    struct emb_tsne_params p;
    memset(&p, 0, sizeof p);
    p.perplexity = 30;
    p.theta = 0.5;
    p.n_iter = 1000;
    p.exaggeration_iter = 250;
    p.exaggeration = 12;
    p.learning_rate = 0;
    p.momentum_start = 0.5;
    p.momentum_final = 0.8;
    p.init = EMB_TSNE_INIT_PCA;
    p.seed = 1;
    p.n_threads = 1;
    p.simd = EMB_SIMD_AUTO;
    return p;
}

int emb__tsne_n_neighbors(double perplexity) { return (int)(3.0 * perplexity + 1); }

int emb_tsne_params_check(const struct emb_tsne_params *p, int64_t n, struct emb_err *err) {
    if (!(p->perplexity >= 1) || p->perplexity > 10000)
        return emb_err_set(err, EMB_EINVAL, "perplexity must be in [1, 10000], got %g", p->perplexity);
    if (n < 2 || n > INT32_MAX) return emb_err_set(err, EMB_EINVAL, "t-SNE needs 2 to 2^31-1 points, got %lld", (long long)n);
    if (emb__tsne_n_neighbors(p->perplexity) > n - 1)
        return emb_err_set(err, EMB_EINVAL,
                           "perplexity %g is too large for %lld points (needs 3 * perplexity + 1 < n, i.e. "
                           "perplexity < %.1f)",
                           p->perplexity, (long long)n, (n - 2) / 3.0);
    if (!(p->theta >= 0) || p->theta > 1) return emb_err_set(err, EMB_EINVAL, "theta must be in [0, 1], got %g", p->theta);
    if (p->n_iter < 1 || p->n_iter > 1000000) return emb_err_set(err, EMB_EINVAL, "iterations must be in 1..10^6");
    if (p->exaggeration_iter < 0 || p->exaggeration_iter > p->n_iter)
        return emb_err_set(err, EMB_EINVAL, "exaggeration iterations must be in 0..%d", p->n_iter);
    if (!(p->exaggeration >= 1) || p->exaggeration > 1000)
        return emb_err_set(err, EMB_EINVAL, "exaggeration must be in [1, 1000], got %g", p->exaggeration);
    if (!(p->learning_rate >= 0) || p->learning_rate > 1e7)
        return emb_err_set(err, EMB_EINVAL, "learning rate must be in [0, 1e7] (0 = auto), got %g", p->learning_rate);
    if (!(p->momentum_start >= 0 && p->momentum_start < 1 && p->momentum_final >= 0 && p->momentum_final < 1))
        return emb_err_set(err, EMB_EINVAL, "momentum must be in [0, 1)");
    if (p->init != EMB_TSNE_INIT_PCA && p->init != EMB_TSNE_INIT_RANDOM)
        return emb_err_set(err, EMB_EINVAL, "unknown t-SNE init %d", (int)p->init);
    if (p->n_threads < 1 || p->n_threads > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024");
    return EMB_OK;
}

/* ---- affinities ---------------------------------------------------------- */

struct aff_job {
    const struct emb_table *x;
    int64_t n;
    int k;
    double perplexity;
    struct emb_vec_ops ops;
    const float *norms; /* (n) squared norms */
    int32_t *nn;        /* (n, k) neighbour ids */
    double *pc;         /* (n, k) squared distances, then p_{j|i} */
    _Atomic int failed; /* ENOMEM in a worker */
};

/* p_{j|i} for one point: scikit-learn's binary search on beta = 1 / (2 sigma^2)
 * until the entropy of the row is log(perplexity). d: (k) squared
 * distances, replaced by the probabilities. */
static void bandwidth_search(double *d, int k, double perplexity) {
    const double want = log(perplexity);
    double beta = 1, lo = -INFINITY, hi = INFINITY, sum = 0;
    for (int step = 0; step < BANDWIDTH_STEPS; step++) {
        sum = 0;
        double dsum = 0;
        for (int j = 0; j < k; j++) sum += exp(-d[j] * beta);
        if (sum == 0) sum = 1e-8; /* scikit-learn's EPSILON_DBL */
        for (int j = 0; j < k; j++) dsum += d[j] * exp(-d[j] * beta);
        double h = log(sum) + beta * dsum / sum;
        if (fabs(h - want) <= BANDWIDTH_TOL) break;
        if (h > want) {
            lo = beta;
            beta = hi == INFINITY ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = lo == -INFINITY ? beta / 2 : (beta + lo) / 2;
        }
    }
    sum = 0;
    for (int j = 0; j < k; j++) sum += d[j] = exp(-d[j] * beta);
    if (sum == 0) sum = 1e-8;
    for (int j = 0; j < k; j++) d[j] /= sum;
}

/* Exact k nearest neighbours of the rows in this thread's slice, by
 * blocks of candidates: |x - y|^2 = |x|^2 + |y|^2 - 2 x.y ranks by
 * 2 x.y - |y|^2; the winners' distances are then recomputed directly, so
 * cancellation in the ranking formula does not reach P. */
static void aff_worker(void *ctx, int ith, int nth) {
    struct aff_job *j = ctx;
    const int64_t n = j->n, dp = j->x->dim_padded;
    const int k = j->k;
    int64_t per = (n + nth - 1) / nth, lo = per * ith, hi = lo + per < n ? lo + per : n;
    if (lo >= hi) return;
    /* Queries in small batches so a block of candidates stays in cache for
     * all of them; ROWWISE keeps the scores those of one query at a time. */
    enum { QB = 8 };
    struct emb_topk top[QB];
    const float *qs[QB];
    int64_t self[QB];
    struct emb_topk_rows rows = {.data = j->x->data, .n_rows = n, .dim = j->x->dim, .stride = (int32_t)dp,
                                 .sqnorms = j->norms};
    int64_t *bid = emb_alloc((size_t)QB * k * sizeof *bid);
    float *bsc = emb_alloc((size_t)QB * k * sizeof *bsc);
    if (!bid || !bsc) {
        j->failed = 1;
        goto done;
    }
    for (int64_t q0 = lo; q0 < hi; q0 += QB) {
        int nq = hi - q0 < QB ? (int)(hi - q0) : QB;
        for (int a = 0; a < nq; a++) {
            emb_topk_init(&top[a], k, bid + (int64_t)a * k, bsc + (int64_t)a * k);
            qs[a] = emb_table_row(j->x, q0 + a);
            self[a] = q0 + a;
        }
        emb_topk_scan(&j->ops, &rows, 0, n, qs, nq, self, EMB_TOPK_ROWWISE, top);
        for (int a = 0; a < nq; a++) {
            int64_t i = q0 + a;
            int got = emb_topk_sorted(&top[a]);
            const float *xi = emb_table_row(j->x, i);
            double *d = j->pc + i * k;
            for (int b = 0; b < got; b++) {
                const float *y = emb_table_row(j->x, top[a].ids[b]);
                double s = 0;
                for (int t = 0; t < j->x->dim; t++) s += ((double)xi[t] - y[t]) * ((double)xi[t] - y[t]);
                j->nn[i * k + b] = (int32_t)top[a].ids[b];
                d[b] = s;
            }
            bandwidth_search(d, k, j->perplexity);
        }
    }
done:
    emb_free(bid);
    emb_free(bsc);
}

void emb__tsne_p_free(struct emb__tsne_p *P) {
    if (!P) return;
    emb_free(P->row);
    emb_free(P->col);
    emb_free(P->val);
    memset(P, 0, sizeof *P);
}

static int cmp_entry(const void *a, const void *b) {
    const struct { int32_t col; double val; } *x = a, *y = b;
    return (x->col > y->col) - (x->col < y->col);
}

int emb__tsne_affinities(const struct emb_table *x, int64_t n, double perplexity, struct emb_pool *pool,
                         enum emb_simd simd, struct emb__tsne_p *P, struct emb_err *err) {
    memset(P, 0, sizeof *P);
    const int k = emb__tsne_n_neighbors(perplexity);
    if (k > n - 1) return emb_err_set(err, EMB_EINVAL, "perplexity %g is too large for %lld points", perplexity, (long long)n);
    int rc = EMB_ENOMEM;
    struct aff_job job = {.x = x, .n = n, .k = k, .perplexity = perplexity, .ops = emb_vec_ops_get(simd)};
    float *norms = emb_alloc((size_t)n * sizeof *norms);
    job.nn = emb_alloc((size_t)n * k * sizeof *job.nn);
    job.pc = emb_alloc((size_t)n * k * sizeof *job.pc);
    int64_t *cnt = emb_calloc((size_t)n + 1, sizeof *cnt), *fill = NULL;
    struct entry { int32_t col; double val; } *ent = NULL;
    struct emb_table *scaled = NULL; /* x scaled by a power of two, when its range is extreme */
    if (!norms || !job.nn || !job.pc || !cnt) goto fail;
    double amax = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *row = emb_table_row(x, i);
        for (int t = 0; t < x->dim; t++) {
            if (!isfinite(row[t])) {
                rc = emb_err_set(err, EMB_ENUMERIC, "t-SNE: row %lld has a non-finite value", (long long)i);
                goto fail;
            }
            if (fabs((double)row[t]) > amax) amax = fabs((double)row[t]);
        }
    }
    /* Components past 2^40 (or all under 2^-40) would overflow the float
     * dot products of the kNN scan, or put the bandwidths out of the binary
     * search's reach (K was 3.2 instead of 0.2 at 1e20). Such data is
     * scaled by a power of two, exactly, into a copy; the affinities do not
     * depend on the scale. */
    int scale_exp = amax > 0 ? ilogb(amax) : 0;
    if (scale_exp > 40 || scale_exp < -40) {
        if ((rc = emb_table_new(&scaled, n, x->dim, err)) != EMB_OK) goto fail;
        for (int64_t i = 0; i < n; i++)
            for (int t = 0; t < x->dim; t++) emb_table_row(scaled, i)[t] = ldexpf(emb_table_row(x, i)[t], -scale_exp);
        x = job.x = scaled;
        rc = EMB_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        const float *row = emb_table_row(x, i);
        double s = 0;
        for (int t = 0; t < x->dim; t++) s += (double)row[t] * row[t];
        norms[i] = (float)s;
    }
    job.norms = norms;
    emb_pool_run(pool, aff_worker, &job);
    if (job.failed) goto fail;
    /* Symmetrise: entry (i, j) and (j, i) get p_{j|i} each; rows sorted by
     * column and duplicates merged, so p_ij = p_{j|i} + p_{i|j} exactly
     * equals p_ji. Then normalise to sum 1. */
    for (int64_t i = 0; i < n; i++) {
        cnt[i] += k;
        for (int b = 0; b < k; b++) cnt[job.nn[i * k + b]]++;
    }
    int64_t total = 0;
    for (int64_t i = 0; i <= n; i++) {
        int64_t c = cnt[i];
        cnt[i] = total;
        total += c;
    }
    ent = emb_alloc((size_t)total * sizeof *ent);
    fill = emb_alloc((size_t)n * sizeof *fill);
    if (!ent || !fill) goto fail;
    memcpy(fill, cnt, (size_t)n * sizeof *fill);
    for (int64_t i = 0; i < n; i++)
        for (int b = 0; b < k; b++) {
            int32_t jn = job.nn[i * k + b];
            double v = job.pc[i * k + b];
            ent[fill[i]++] = (struct entry){jn, v};
            ent[fill[jn]++] = (struct entry){(int32_t)i, v};
        }
    P->n = n;
    P->row = emb_alloc((size_t)(n + 1) * sizeof *P->row);
    P->col = emb_alloc((size_t)total * sizeof *P->col);
    P->val = emb_alloc((size_t)total * sizeof *P->val);
    if (!P->row || !P->col || !P->val) goto fail;
    int64_t nnz = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        P->row[i] = nnz;
        struct entry *e = ent + cnt[i];
        int64_t len = cnt[i + 1] - cnt[i];
        qsort(e, (size_t)len, sizeof *e, cmp_entry);
        for (int64_t a = 0; a < len; a++) {
            if (nnz > P->row[i] && P->col[nnz - 1] == e[a].col) {
                P->val[nnz - 1] += e[a].val;
            } else {
                P->col[nnz] = e[a].col;
                P->val[nnz++] = e[a].val;
            }
        }
    }
    P->row[n] = nnz;
    for (int64_t a = 0; a < nnz; a++) sum += P->val[a];
    if (!(sum > 0)) sum = 1;
    for (int64_t a = 0; a < nnz; a++) P->val[a] /= sum;
    rc = EMB_OK;
    goto done;
fail:
    if (rc == EMB_ENOMEM) emb_err_set(err, EMB_ENOMEM, "out of memory for t-SNE affinities (%lld points)", (long long)n);
    emb__tsne_p_free(P);
done:
    emb_table_free(scaled);
    emb_free(norms);
    emb_free(job.nn);
    emb_free(job.pc);
    emb_free(cnt);
    emb_free(fill);
    emb_free(ent);
    return rc;
}

/* ---- exact cost and gradient (tests, tiny sets) ------------------------- */

double emb__tsne_kl_exact(const struct emb__tsne_p *P, const double *y) {
    const int64_t n = P->n;
    double z = 0, kl = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            if (i == j) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            z += 1 / (1 + dx * dx + dy * dy);
        }
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = P->row[i]; a < P->row[i + 1]; a++) {
            int64_t j = P->col[a];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double q = 1 / (1 + dx * dx + dy * dy) / z;
            if (P->val[a] > 0) kl += P->val[a] * log(P->val[a] / q);
        }
    return kl;
}

void emb__tsne_grad_exact(const struct emb__tsne_p *P, const double *y, double *grad) {
    const int64_t n = P->n;
    double z = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            if (i == j) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            z += 1 / (1 + dx * dx + dy * dy);
        }
    for (int64_t i = 0; i < n; i++) {
        double gx = 0, gy = 0;
        for (int64_t j = 0; j < n; j++) { /* repulsion: all pairs */
            if (i == j) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double w = 1 / (1 + dx * dx + dy * dy);
            gx -= w * w / z * dx;
            gy -= w * w / z * dy;
        }
        for (int64_t a = P->row[i]; a < P->row[i + 1]; a++) { /* attraction: P's entries */
            int64_t j = P->col[a];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double w = 1 / (1 + dx * dx + dy * dy);
            gx += P->val[a] * w * dx;
            gy += P->val[a] * w * dy;
        }
        grad[2 * i] = 4 * gx;
        grad[2 * i + 1] = 4 * gy;
    }
}

/* ---- quadtree ------------------------------------------------------------ */

struct qnode {
    double cx, cy;        /* centre of mass */
    double x0, y0, w;     /* cell: lower corner and (full) width */
    int32_t start, count; /* points [start, start + count) in tree order */
    int32_t child, n_child; /* children child .. child + n_child - 1; 0 children = leaf */
};

/* Range of a group's points and its tight bounding box. */
struct qleaf {
    int32_t node;
    double bx0, by0, bx1, by1;
};

/* Interaction kernels. repulse: z = sum_a n_a w_a, f = sum_a n_a w_a^2 (p - c_a)
 * with w_a = 1 / (1 + |p - c_a|^2), over m cells c: (m) x, y and counts n
 * (m a multiple of 8; padding has n = 0). attract: f = sum_a p_a w_a (p - y_col[a])
 * over a row of P. Results in out[0..2] = z, fx, fy. */
typedef void (*repulse_fn)(int64_t m, const float *cx, const float *cy, const float *cn, float px, float py,
                           double *out);
typedef void (*attract_fn)(int64_t m, const int32_t *col, const float *p, const float *yx, const float *yy,
                           float px, float py, double *out);

struct emb__tsne_grad {
    const struct emb__tsne_p *P;
    struct emb_pool *pool;
    int64_t n;
    int32_t *perm;        /* (n) tree position -> point */
    double *sx, *sy;      /* (n) coordinates in tree order */
    float *fx, *fy;       /* (n) the same in float, for the kernels */
    float *yx, *yy;       /* (n) coordinates by point, float */
    float *pval;          /* (nnz) P's values in float */
    struct qnode *nodes;
    int64_t n_nodes, cap_nodes;
    struct qleaf *leaves;
    int64_t n_leaves, cap_leaves;
    double *frep;         /* (n, 2) repulsive force per point (unnormalised) */
    double *fatt;         /* (n, 2) attractive force per point */
    double *zpos;         /* (n) per tree position: sum_j w_ij, j != i */
    double *klpart;       /* (n) per point: sum_j p_ij log(p_ij / w_ij) */
    repulse_fn repulse;
    attract_fn attract;
    int n_threads;
    struct walk_scratch *scratch; /* (n_threads) */
    /* job inputs */
    const double *y;
    double theta;
    int want_kl;
};

/* Cells of one walk, structure of arrays: summarised cells (centre of mass,
 * count) followed by the points of the leaves summed exactly (count 1). */
struct walk_scratch {
    float *cx, *cy, *cn;
    int64_t n_cells, cap_cells;
    int32_t *stack;
    int64_t cap_stack;
    int failed;
};

static int grow(void **p, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = emb_realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Split points [s, e) of the tree order by side < mid along axis a (0: x). */
static int32_t partition(struct emb__tsne_grad *g, int32_t s, int32_t e, int a, double mid) {
    double *v = a ? g->sy : g->sx, *o = a ? g->sx : g->sy;
    int32_t i = s, j = e - 1;
    while (i <= j) {
        if (v[i] < mid) {
            i++;
        } else {
            double t = v[i]; v[i] = v[j]; v[j] = t;
            t = o[i]; o[i] = o[j]; o[j] = t;
            int32_t u = g->perm[i]; g->perm[i] = g->perm[j]; g->perm[j] = u;
            j--;
        }
    }
    return i;
}

/* Build the subtree of node id over its points (recursively, depth-first;
 * each node's children are consecutive). Returns 0 or -1 (ENOMEM). */
static int build(struct emb__tsne_grad *g, int64_t id, int depth) {
    struct qnode nd = g->nodes[id];
    double cx = 0, cy = 0;
    if (nd.count <= LEAF_SIZE || depth >= MAX_DEPTH || nd.w <= 0) {
        double bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY;
        for (int32_t i = nd.start; i < nd.start + nd.count; i++) {
            cx += g->sx[i];
            cy += g->sy[i];
            if (g->sx[i] < bx0) bx0 = g->sx[i];
            if (g->sx[i] > bx1) bx1 = g->sx[i];
            if (g->sy[i] < by0) by0 = g->sy[i];
            if (g->sy[i] > by1) by1 = g->sy[i];
        }
        g->nodes[id].cx = cx / nd.count;
        g->nodes[id].cy = cy / nd.count;
        g->nodes[id].n_child = 0;
        if (grow((void **)&g->leaves, &g->cap_leaves, g->n_leaves + 1, sizeof *g->leaves)) return -1;
        g->leaves[g->n_leaves++] = (struct qleaf){(int32_t)id, bx0, by0, bx1, by1};
        return 0;
    }
    double h = nd.w / 2, mx = nd.x0 + h, my = nd.y0 + h;
    int32_t e = nd.start + nd.count;
    int32_t sx = partition(g, nd.start, e, 0, mx);
    int32_t cut[5] = {nd.start, partition(g, nd.start, sx, 1, my), sx, partition(g, sx, e, 1, my), e};
    int n_child = 0;
    for (int q = 0; q < 4; q++) n_child += cut[q + 1] > cut[q];
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + n_child, sizeof *g->nodes)) return -1;
    int64_t first = g->n_nodes, c = first;
    g->n_nodes += n_child;
    for (int q = 0; q < 4; q++) { /* quadrants: x low/high (q / 2), y low/high (q % 2) */
        if (cut[q + 1] == cut[q]) continue;
        g->nodes[c++] = (struct qnode){0, 0, q < 2 ? nd.x0 : mx, q % 2 ? my : nd.y0, h, cut[q], cut[q + 1] - cut[q], 0, 0};
    }
    g->nodes[id].child = (int32_t)first;
    g->nodes[id].n_child = n_child;
    for (int64_t ch = first; ch < first + n_child; ch++) {
        if (build(g, ch, depth + 1)) return -1;
        cx += g->nodes[ch].cx * g->nodes[ch].count;
        cy += g->nodes[ch].cy * g->nodes[ch].count;
    }
    g->nodes[id].cx = cx / nd.count;
    g->nodes[id].cy = cy / nd.count;
    return 0;
}

static int tree_build(struct emb__tsne_grad *g, const double *y) {
    const int64_t n = g->n;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    /* Start from the previous iteration's order: points move little between
     * iterations, so the partitions find them nearly in place. The tree
     * itself depends only on y (the cells), and each point's forces do not
     * depend on the order within a leaf beyond rounding of the sums. */
    for (int64_t pos = 0; pos < n; pos++) {
        int32_t i = g->perm[pos];
        double a = y[2 * i], b = y[2 * i + 1];
        g->sx[pos] = a;
        g->sy[pos] = b;
        if (a < x0) x0 = a;
        if (a > x1) x1 = a;
        if (b < y0) y0 = b;
        if (b > y1) y1 = b;
    }
    double w = fmax(x1 - x0, y1 - y0);
    w = w * (1 + 1e-9) + 1e-300; /* the largest coordinate falls strictly inside */
    g->n_nodes = 1;
    g->n_leaves = 0;
    g->nodes[0] = (struct qnode){0, 0, x0, y0, w, 0, (int32_t)n, 0, 0};
    return build(g, 0, 0);
}

/* ---- gradient ------------------------------------------------------------ */

static void repulse_ref(int64_t m, const float *cx, const float *cy, const float *cn, float px, float py, double *out) {
    double z = 0, fx = 0, fy = 0;
    for (int64_t a = 0; a < m; a++) {
        double dx = (double)px - cx[a], dy = (double)py - cy[a];
        double w = 1 / (1 + dx * dx + dy * dy), nw = cn[a] * w;
        z += nw;
        fx += nw * w * dx;
        fy += nw * w * dy;
    }
    out[0] = z, out[1] = fx, out[2] = fy;
}

static void attract_ref(int64_t m, const int32_t *col, const float *p, const float *yx, const float *yy, float px,
                        float py, double *out) {
    double fx = 0, fy = 0;
    for (int64_t a = 0; a < m; a++) {
        double dx = (double)px - yx[col[a]], dy = (double)py - yy[col[a]];
        double pw = p[a] / (1 + dx * dx + dy * dy);
        fx += pw * dx;
        fy += pw * dy;
    }
    out[0] = 0, out[1] = fx, out[2] = fy;
}

/* The model's own kernels (the Barnes-Hut forces), compiled with simd.h's
 * target attributes and chosen in emb__tsne_grad_new by emb_simd_resolve. */
#if EMB_X86
#include <immintrin.h>
#define AVX2 EMB_TARGET_AVX2
#define AVX512 EMB_TARGET_AVX512

AVX2 static double hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m256d a = _mm256_add_pd(_mm256_cvtps_pd(lo), _mm256_cvtps_pd(hi));
    __m128d b = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(b, _mm_unpackhi_pd(b, b)));
}

/* 1 / d for d >= 1: the rcp estimate (12 bits) and one Newton step (about 23 bits). */
AVX2 static inline __m256 recip256(__m256 d) {
    __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

AVX2 static void repulse_avx2(int64_t m, const float *cx, const float *cy, const float *cn, float px, float py,
                              double *out) {
    const __m256 vx = _mm256_set1_ps(px), vy = _mm256_set1_ps(py), one = _mm256_set1_ps(1.0f);
    __m256 z = _mm256_setzero_ps(), fx = _mm256_setzero_ps(), fy = _mm256_setzero_ps();
    for (int64_t a = 0; a < m; a += 8) {
        __m256 dx = _mm256_sub_ps(vx, _mm256_loadu_ps(cx + a)), dy = _mm256_sub_ps(vy, _mm256_loadu_ps(cy + a));
        __m256 w = recip256(_mm256_fmadd_ps(dx, dx, _mm256_fmadd_ps(dy, dy, one)));
        __m256 nw = _mm256_mul_ps(_mm256_loadu_ps(cn + a), w), nww = _mm256_mul_ps(nw, w);
        z = _mm256_add_ps(z, nw);
        fx = _mm256_fmadd_ps(nww, dx, fx);
        fy = _mm256_fmadd_ps(nww, dy, fy);
    }
    out[0] = hsum256(z), out[1] = hsum256(fx), out[2] = hsum256(fy);
}

AVX2 static void attract_avx2(int64_t m, const int32_t *col, const float *p, const float *yx, const float *yy,
                              float px, float py, double *out) {
    const __m256 vx = _mm256_set1_ps(px), vy = _mm256_set1_ps(py), one = _mm256_set1_ps(1.0f);
    __m256 fx = _mm256_setzero_ps(), fy = _mm256_setzero_ps();
    int64_t a = 0;
    for (; a + 8 <= m; a += 8) {
        __m256i idx = _mm256_loadu_si256((const __m256i *)(col + a));
        __m256 dx = _mm256_sub_ps(vx, _mm256_i32gather_ps(yx, idx, 4));
        __m256 dy = _mm256_sub_ps(vy, _mm256_i32gather_ps(yy, idx, 4));
        __m256 pw = _mm256_mul_ps(_mm256_loadu_ps(p + a), recip256(_mm256_fmadd_ps(dx, dx, _mm256_fmadd_ps(dy, dy, one))));
        fx = _mm256_fmadd_ps(pw, dx, fx);
        fy = _mm256_fmadd_ps(pw, dy, fy);
    }
    double rest[3];
    attract_ref(m - a, col + a, p + a, yx, yy, px, py, rest);
    out[0] = 0, out[1] = hsum256(fx) + rest[1], out[2] = hsum256(fy) + rest[2];
}

AVX512 static double hsum512(__m512 v) {
    __m512d a = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
                              _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
    return _mm512_reduce_add_pd(a);
}

/* 1 / d: rcp14 (14 bits) and one Newton step. */
AVX512 static inline __m512 recip512(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

AVX512 static void repulse_avx512(int64_t m, const float *cx, const float *cy, const float *cn, float px, float py,
                                  double *out) {
    const __m512 vx = _mm512_set1_ps(px), vy = _mm512_set1_ps(py), one = _mm512_set1_ps(1.0f);
    __m512 z = _mm512_setzero_ps(), fx = _mm512_setzero_ps(), fy = _mm512_setzero_ps();
    int64_t a = 0;
    for (; a < m; a += 16) {
        __mmask16 k = m - a >= 16 ? 0xffff : (__mmask16)((1u << (m - a)) - 1);
        __m512 dx = _mm512_sub_ps(vx, _mm512_maskz_loadu_ps(k, cx + a));
        __m512 dy = _mm512_sub_ps(vy, _mm512_maskz_loadu_ps(k, cy + a));
        __m512 w = recip512(_mm512_fmadd_ps(dx, dx, _mm512_fmadd_ps(dy, dy, one)));
        __m512 nw = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, cn + a), w), nww = _mm512_mul_ps(nw, w);
        z = _mm512_add_ps(z, nw);
        fx = _mm512_fmadd_ps(nww, dx, fx);
        fy = _mm512_fmadd_ps(nww, dy, fy);
    }
    out[0] = hsum512(z), out[1] = hsum512(fx), out[2] = hsum512(fy);
}

AVX512 static void attract_avx512(int64_t m, const int32_t *col, const float *p, const float *yx, const float *yy,
                                  float px, float py, double *out) {
    const __m512 vx = _mm512_set1_ps(px), vy = _mm512_set1_ps(py), one = _mm512_set1_ps(1.0f);
    __m512 fx = _mm512_setzero_ps(), fy = _mm512_setzero_ps();
    for (int64_t a = 0; a < m; a += 16) {
        __mmask16 k = m - a >= 16 ? 0xffff : (__mmask16)((1u << (m - a)) - 1);
        __m512i idx = _mm512_maskz_loadu_epi32(k, col + a);
        __m512 dx = _mm512_sub_ps(vx, _mm512_mask_i32gather_ps(vx, k, idx, yx, 4));
        __m512 dy = _mm512_sub_ps(vy, _mm512_mask_i32gather_ps(vy, k, idx, yy, 4));
        __m512 pw = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + a), recip512(_mm512_fmadd_ps(dx, dx, _mm512_fmadd_ps(dy, dy, one))));
        fx = _mm512_fmadd_ps(pw, dx, fx);
        fy = _mm512_fmadd_ps(pw, dy, fy);
    }
    out[0] = 0, out[1] = hsum512(fx), out[2] = hsum512(fy);
}
#endif

/* The walk for one group: cells far enough from the group's box (width /
 * distance < theta) are summarised; the points of leaves that are not are
 * listed one by one. The list is padded to a multiple of 8 with count 0.
 * Returns -1 on ENOMEM. */
static int walk(const struct emb__tsne_grad *g, struct walk_scratch *s, const struct qleaf *lf, double theta2) {
    s->n_cells = 0;
    int64_t top = 0;
    if (grow((void **)&s->stack, &s->cap_stack, 1, sizeof *s->stack)) return -1;
    s->stack[top++] = 0;
    while (top > 0) {
        const struct qnode *nd = &g->nodes[s->stack[--top]];
        double dx = lf->bx0 - nd->cx > nd->cx - lf->bx1 ? lf->bx0 - nd->cx : nd->cx - lf->bx1;
        double dy = lf->by0 - nd->cy > nd->cy - lf->by1 ? lf->by0 - nd->cy : nd->cy - lf->by1;
        dx = dx > 0 ? dx : 0, dy = dy > 0 ? dy : 0;
        int far = nd->w * nd->w < theta2 * (dx * dx + dy * dy); /* width / distance < theta */
        if (far || nd->n_child == 0) {
            int64_t add = far ? 1 : nd->count;
            if (s->n_cells + add + 8 > s->cap_cells) {
                int64_t cap = s->cap_cells;
                if (grow((void **)&s->cx, &cap, s->n_cells + add + 8, sizeof *s->cx)) return -1;
                cap = s->cap_cells;
                if (grow((void **)&s->cy, &cap, s->n_cells + add + 8, sizeof *s->cy)) return -1;
                cap = s->cap_cells;
                if (grow((void **)&s->cn, &cap, s->n_cells + add + 8, sizeof *s->cn)) return -1;
                s->cap_cells = cap;
            }
            if (far) {
                s->cx[s->n_cells] = (float)nd->cx;
                s->cy[s->n_cells] = (float)nd->cy;
                s->cn[s->n_cells++] = (float)nd->count;
            } else {
                memcpy(s->cx + s->n_cells, g->fx + nd->start, (size_t)nd->count * sizeof *s->cx);
                memcpy(s->cy + s->n_cells, g->fy + nd->start, (size_t)nd->count * sizeof *s->cy);
                for (int32_t j = 0; j < nd->count; j++) s->cn[s->n_cells + j] = 1.0f;
                s->n_cells += nd->count;
            }
        } else {
            if (grow((void **)&s->stack, &s->cap_stack, top + nd->n_child, sizeof *s->stack)) return -1;
            for (int c = nd->n_child - 1; c >= 0; c--) s->stack[top++] = nd->child + c;
        }
    }
    while (s->n_cells % 8) {
        s->cx[s->n_cells] = s->cy[s->n_cells] = 0;
        s->cn[s->n_cells++] = 0;
    }
    return 0;
}

/* One thread: repulsion for its share of the groups, attraction for its
 * share of the points. */
static void grad_worker(void *ctx, int ith, int nth) {
    struct emb__tsne_grad *g = ctx;
    struct walk_scratch *s = &g->scratch[ith];
    const double theta2 = g->theta * g->theta;
    double r[3];
    int64_t per = (g->n_leaves + nth - 1) / nth, lo = per * ith, hi = lo + per < g->n_leaves ? lo + per : g->n_leaves;
    for (int64_t l = lo; l < hi; l++) {
        const struct qleaf *lf = &g->leaves[l];
        if (walk(g, s, lf, theta2)) {
            s->failed = 1;
            return;
        }
        const struct qnode *nd = &g->nodes[lf->node];
        for (int32_t pos = nd->start; pos < nd->start + nd->count; pos++) {
            g->repulse(s->n_cells, s->cx, s->cy, s->cn, g->fx[pos], g->fy[pos], r);
            int32_t i = g->perm[pos];
            g->frep[2 * i] = r[1];
            g->frep[2 * i + 1] = r[2];
            g->zpos[pos] = r[0] - 1; /* the point itself was summed once (w = 1, no force) */
        }
    }
    const struct emb__tsne_p *P = g->P;
    per = (g->n + nth - 1) / nth, lo = per * ith, hi = lo + per < g->n ? lo + per : g->n;
    for (int64_t i = lo; i < hi; i++) {
        int64_t a0 = P->row[i], m = P->row[i + 1] - a0;
        g->attract(m, P->col + a0, g->pval + a0, g->yx, g->yy, g->yx[i], g->yy[i], r);
        g->fatt[2 * i] = r[1];
        g->fatt[2 * i + 1] = r[2];
        double kl = 0;
        if (g->want_kl) {
            const double *y = g->y;
            for (int64_t a = a0; a < a0 + m; a++) {
                int64_t j = P->col[a];
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                if (P->val[a] > 0) kl += P->val[a] * log(P->val[a] * (1 + dx * dx + dy * dy));
            }
        }
        g->klpart[i] = kl;
    }
}

void emb__tsne_grad_free(struct emb__tsne_grad *g) {
    if (!g) return;
    emb_free(g->perm);
    emb_free(g->sx);
    emb_free(g->sy);
    emb_free(g->fx);
    emb_free(g->fy);
    emb_free(g->yx);
    emb_free(g->yy);
    emb_free(g->pval);
    emb_free(g->nodes);
    emb_free(g->leaves);
    emb_free(g->frep);
    emb_free(g->fatt);
    emb_free(g->zpos);
    emb_free(g->klpart);
    if (g->scratch)
        for (int t = 0; t < g->n_threads; t++) {
            emb_free(g->scratch[t].cx);
            emb_free(g->scratch[t].cy);
            emb_free(g->scratch[t].cn);
            emb_free(g->scratch[t].stack);
        }
    emb_free(g->scratch);
    emb_free(g);
}

int emb__tsne_grad_new(struct emb__tsne_grad **out, const struct emb__tsne_p *P, struct emb_pool *pool,
                       enum emb_simd simd, struct emb_err *err) {
    *out = NULL;
    const int64_t n = P->n;
    struct emb__tsne_grad *g = emb_calloc(1, sizeof *g);
    if (!g) return emb_err_set(err, EMB_ENOMEM, "out of memory for t-SNE");
    g->P = P;
    g->pool = pool;
    g->n = n;
    g->n_threads = emb_pool_size(pool);
    g->perm = emb_alloc((size_t)n * sizeof *g->perm);
    g->sx = emb_alloc((size_t)n * sizeof *g->sx);
    g->sy = emb_alloc((size_t)n * sizeof *g->sy);
    g->frep = emb_alloc((size_t)n * 2 * sizeof *g->frep);
    g->fatt = emb_alloc((size_t)n * 2 * sizeof *g->fatt);
    g->zpos = emb_alloc((size_t)n * sizeof *g->zpos);
    g->klpart = emb_alloc((size_t)n * sizeof *g->klpart);
    g->fx = emb_alloc((size_t)n * sizeof *g->fx);
    g->fy = emb_alloc((size_t)n * sizeof *g->fy);
    g->yx = emb_alloc((size_t)n * sizeof *g->yx);
    g->yy = emb_alloc((size_t)n * sizeof *g->yy);
    g->pval = emb_alloc((size_t)(P->row[n] + 1) * sizeof *g->pval);
    g->scratch = emb_calloc((size_t)g->n_threads, sizeof *g->scratch);
    if (g->perm)
        for (int64_t i = 0; i < n; i++) g->perm[i] = (int32_t)i;
    if (!g->perm || !g->sx || !g->sy || !g->frep || !g->fatt || !g->zpos || !g->klpart || !g->scratch ||
        !g->fx || !g->fy || !g->yx || !g->yy || !g->pval ||
        grow((void **)&g->nodes, &g->cap_nodes, n / 4 + 16, sizeof *g->nodes)) {
        emb__tsne_grad_free(g);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for t-SNE (%lld points)", (long long)n);
    }
    for (int64_t a = 0; a < P->row[n]; a++) g->pval[a] = (float)P->val[a];
    g->repulse = repulse_ref;
    g->attract = attract_ref;
#if EMB_X86
    enum emb_simd kind = emb_simd_resolve(simd); /* what the CPU has, within what was asked */
    if (kind == EMB_SIMD_AVX512) g->repulse = repulse_avx512, g->attract = attract_avx512;
    else if (kind == EMB_SIMD_AVX2) g->repulse = repulse_avx2, g->attract = attract_avx2;
#else
    (void)simd;
#endif
    *out = g;
    return EMB_OK;
}

int emb__tsne_grad_bh(struct emb__tsne_grad *g, const double *y, double theta, double exaggeration, double *grad,
                      double *kl, struct emb_err *err) {
    if (tree_build(g, y)) return emb_err_set(err, EMB_ENOMEM, "out of memory for the t-SNE quadtree");
    for (int64_t pos = 0; pos < g->n; pos++) g->fx[pos] = (float)g->sx[pos], g->fy[pos] = (float)g->sy[pos];
    for (int64_t i = 0; i < g->n; i++) g->yx[i] = (float)y[2 * i], g->yy[i] = (float)y[2 * i + 1];
    g->y = y;
    g->theta = theta;
    g->want_kl = kl != NULL;
    emb_pool_run(g->pool, grad_worker, g);
    for (int t = 0; t < g->n_threads; t++)
        if (g->scratch[t].failed) return emb_err_set(err, EMB_ENOMEM, "out of memory for the t-SNE walk");
    double z = 0;
    for (int64_t pos = 0; pos < g->n; pos++) z += g->zpos[pos]; /* tree order: fixed */
    if (!(z > 0)) z = 1e-300;
    for (int64_t i = 0; i < 2 * g->n; i++) grad[i] = 4 * (exaggeration * g->fatt[i] - g->frep[i] / z);
    if (kl) {
        double s = 0;
        for (int64_t i = 0; i < g->n; i++) s += g->klpart[i];
        *kl = s + log(z); /* sum p log(p / (w / Z)), with sum p = 1 */
    }
    return EMB_OK;
}

/* ---- optimiser ------------------------------------------------------------ */

/* Start positions: PCA scaled so the first coordinate has standard
 * deviation 1e-4 (scikit-learn's init='pca'), or N(0, 1e-4^2). */
static int init_positions(const struct emb_table *x, int64_t n, const struct emb_tsne_params *p, double *y,
                          struct emb_err *err) {
    if (p->init == EMB_TSNE_INIT_PCA) {
        float *pc = emb_alloc((size_t)n * 2 * sizeof *pc);
        if (!pc) return emb_err_set(err, EMB_ENOMEM, "out of memory for the PCA init");
        int rc = x->dim >= 2 ? emb_map_pca(x, n, 2, pc, err) : EMB_EINVAL;
        double mean = 0, var = 0;
        if (rc == EMB_OK) {
            for (int64_t i = 0; i < n; i++) mean += pc[2 * i];
            mean /= (double)n;
            for (int64_t i = 0; i < n; i++) var += (pc[2 * i] - mean) * (pc[2 * i] - mean);
            var /= (double)n;
        }
        if (rc == EMB_OK && var > 0) {
            double scale = 1e-4 / sqrt(var);
            for (int64_t i = 0; i < 2 * n; i++) y[i] = pc[i] * scale;
            emb_free(pc);
            return EMB_OK;
        }
        emb_free(pc);
        if (rc == EMB_ENOMEM || rc == EMB_ENUMERIC) return rc;
        /* 1-D input or no variance: fall through to the random start. */
    }
    struct emb_rng r;
    emb_rng_seed(&r, p->seed, 0);
    for (int64_t i = 0; i < 2 * n; i++) y[i] = 1e-4 * emb_rng_normal(&r);
    return EMB_OK;
}

int emb_map_tsne(const struct emb_table *x, int64_t n, const struct emb_tsne_params *p, float *out, double *kl_out,
                 struct emb_err *err) {
    if (!x || !out || !p) return emb_err_set(err, EMB_EINVAL, "t-SNE: no input or output");
    int rc = emb_tsne_params_check(p, n, err);
    if (rc != EMB_OK) return rc;
    if (n > x->n_rows) return emb_err_set(err, EMB_EINVAL, "t-SNE: n %lld > %lld rows", (long long)n, (long long)x->n_rows);
    struct emb_pool *pool = NULL;
    struct emb__tsne_p P;
    memset(&P, 0, sizeof P);
    struct emb__tsne_grad *g = NULL;
    double *y = emb_alloc((size_t)n * 2 * sizeof *y), *grad = emb_alloc((size_t)n * 2 * sizeof *grad);
    double *update = emb_alloc((size_t)n * 2 * sizeof *update), *gains = emb_alloc((size_t)n * 2 * sizeof *gains);
    double kl = NAN;
    if (!y || !grad || !update || !gains) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for t-SNE (%lld points)", (long long)n);
        goto done;
    }
    if ((rc = emb_pool_new(&pool, p->n_threads, err)) != EMB_OK) goto done;
    if ((rc = emb__tsne_affinities(x, n, p->perplexity, pool, p->simd, &P, err)) != EMB_OK) goto done;
    if ((rc = emb__tsne_grad_new(&g, &P, pool, p->simd, err)) != EMB_OK) goto done;
    if ((rc = init_positions(x, n, p, y, err)) != EMB_OK) goto done;
    const double lr = p->learning_rate > 0 ? p->learning_rate : fmax((double)n / p->exaggeration / 4, 50);
    /* Two phases, as scikit-learn: early exaggeration with low momentum,
     * then the rest. Each phase starts with fresh updates and gains. */
    for (int phase = 0; phase < 2; phase++) {
        int32_t it0 = phase ? p->exaggeration_iter : 0, it1 = phase ? p->n_iter : p->exaggeration_iter;
        double mom = phase ? p->momentum_final : p->momentum_start, exag = phase ? 1 : p->exaggeration;
        int32_t patience = phase ? NO_PROGRESS_ITER : p->exaggeration_iter;
        for (int64_t i = 0; i < 2 * n; i++) update[i] = 0, gains[i] = 1;
        double best = INFINITY;
        int32_t best_it = it0;
        for (int32_t it = it0; it < it1; it++) {
            if (p->stop && *p->stop) {
                rc = emb_err_set(err, EMB_EINTR, "t-SNE stopped at iteration %d", it);
                goto done;
            }
            int check = (it + 1) % CHECK_EVERY == 0 || it == p->n_iter - 1;
            double it_kl = NAN;
            if ((rc = emb__tsne_grad_bh(g, y, p->theta, exag, grad, check ? &it_kl : NULL, err)) != EMB_OK) goto done;
            double norm2 = 0;
            for (int64_t i = 0; i < 2 * n; i++) {
                double gi = grad[i];
                gains[i] = update[i] * gi < 0 ? gains[i] + 0.2 : gains[i] * 0.8;
                if (gains[i] < MIN_GAIN) gains[i] = MIN_GAIN;
                gi *= gains[i];
                norm2 += gi * gi;
                update[i] = mom * update[i] - lr * gi;
                y[i] += update[i];
            }
            if (p->progress && (check || it % 10 == 0)) p->progress(p->progress_ctx, it + 1, p->n_iter, it_kl);
            if (!check) continue;
            kl = it_kl;
            if (!isfinite(norm2) || !isfinite(kl)) {
                rc = emb_err_set(err, EMB_ENUMERIC, "t-SNE diverged at iteration %d (try a lower learning rate)", it + 1);
                goto done;
            }
            if (kl < best) {
                best = kl, best_it = it;
            } else if (it - best_it > patience) {
                break;
            }
            if (sqrt(norm2) <= MIN_GRAD_NORM) break;
        }
    }
    if (isnan(kl) && (rc = emb__tsne_grad_bh(g, y, p->theta, 1, grad, &kl, err)) != EMB_OK) goto done;
    for (int64_t i = 0; i < 2 * n; i++) {
        if (!isfinite(y[i])) {
            rc = emb_err_set(err, EMB_ENUMERIC, "t-SNE diverged (try a lower learning rate)");
            goto done;
        }
        out[i] = (float)y[i];
    }
    if (kl_out) *kl_out = kl;
    rc = EMB_OK;
done:
    emb__tsne_grad_free(g);
    emb__tsne_p_free(&P);
    emb_pool_free(pool);
    emb_free(y);
    emb_free(grad);
    emb_free(update);
    emb_free(gains);
    return rc;
}
