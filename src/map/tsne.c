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
#define LEAF_SIZE 16
/* Cells are not split below this depth (coincident points share a leaf). */
#define MAX_DEPTH 48
/* Candidate rows per block of the neighbour search (fits in L2). */
#define KNN_BLOCK 256
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
    float dots[KNN_BLOCK];
    const float *ys[KNN_BLOCK];
    /* Queries in small batches so a candidate block stays in cache for all of them. */
    enum { QB = 8 };
    struct emb_topk top[QB];
    int64_t *bid = emb_alloc((size_t)QB * k * sizeof *bid);
    float *bsc = emb_alloc((size_t)QB * k * sizeof *bsc);
    if (!bid || !bsc) {
        j->failed = 1;
        goto done;
    }
    for (int64_t q0 = lo; q0 < hi; q0 += QB) {
        int nq = hi - q0 < QB ? (int)(hi - q0) : QB;
        for (int a = 0; a < nq; a++) emb_topk_init(&top[a], k, bid + (int64_t)a * k, bsc + (int64_t)a * k);
        for (int64_t c0 = 0; c0 < n; c0 += KNN_BLOCK) {
            int m = n - c0 < KNN_BLOCK ? (int)(n - c0) : KNN_BLOCK;
            for (int b = 0; b < m; b++) ys[b] = emb_table_row(j->x, c0 + b);
            for (int a = 0; a < nq; a++) {
                int64_t i = q0 + a;
                j->ops.dot_many(dp, emb_table_row(j->x, i), m, ys, dots);
                for (int b = 0; b < m; b++) {
                    if (c0 + b == i) continue;
                    emb_topk_push(&top[a], c0 + b, 2 * dots[b] - j->norms[c0 + b]);
                }
            }
        }
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
    if (!norms || !job.nn || !job.pc || !cnt) goto fail;
    for (int64_t i = 0; i < n; i++) {
        const float *row = emb_table_row(x, i);
        double s = 0;
        for (int t = 0; t < x->dim; t++) {
            if (!isfinite(row[t])) {
                rc = emb_err_set(err, EMB_ENUMERIC, "t-SNE: row %lld has a non-finite value", (long long)i);
                goto fail;
            }
            s += (double)row[t] * row[t];
        }
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

struct emb__tsne_grad {
    const struct emb__tsne_p *P;
    struct emb_pool *pool;
    int64_t n;
    int32_t *perm;        /* (n) tree position -> point */
    double *sx, *sy;      /* (n) coordinates in tree order */
    struct qnode *nodes;
    int64_t n_nodes, cap_nodes;
    struct qleaf *leaves;
    int64_t n_leaves, cap_leaves;
    double *frep;         /* (n, 2) repulsive force per point (unnormalised) */
    double *fatt;         /* (n, 2) attractive force per point */
    double *zpos;         /* (n) per tree position: sum_j w_ij including self */
    double *klpart;       /* (n) per point: sum_j p_ij log(p_ij / w_ij) */
    /* per-thread walk lists */
    int n_threads;
    struct walk_scratch *scratch;
    /* job inputs */
    const double *y;
    double theta, exaggeration;
    int want_kl;
};

/* A cell summarised by its centre of mass, and a leaf summed point by point. */
struct far_cell { double x, y, n; };
struct near_leaf { int32_t start, count; };

struct walk_scratch {
    struct far_cell *far;
    int64_t n_far, cap_far;
    struct near_leaf *near;
    int64_t n_near, cap_near;
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
            bx0 = fmin(bx0, g->sx[i]), bx1 = fmax(bx1, g->sx[i]);
            by0 = fmin(by0, g->sy[i]), by1 = fmax(by1, g->sy[i]);
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
    for (int64_t i = 0; i < n; i++) {
        g->perm[i] = (int32_t)i;
        g->sx[i] = y[2 * i];
        g->sy[i] = y[2 * i + 1];
        x0 = fmin(x0, y[2 * i]), x1 = fmax(x1, y[2 * i]);
        y0 = fmin(y0, y[2 * i + 1]), y1 = fmax(y1, y[2 * i + 1]);
    }
    double w = fmax(x1 - x0, y1 - y0);
    w = w * (1 + 1e-9) + 1e-300; /* the largest coordinate falls strictly inside */
    g->n_nodes = 1;
    g->n_leaves = 0;
    g->nodes[0] = (struct qnode){0, 0, x0, y0, w, 0, (int32_t)n, 0, 0};
    return build(g, 0, 0);
}

/* ---- gradient ------------------------------------------------------------ */

/* The walk for one group: cells far enough from the group's box (width /
 * distance < theta) are summarised; leaves that are not go to the exact
 * list. Returns -1 on ENOMEM. */
static int walk(const struct emb__tsne_grad *g, struct walk_scratch *s, const struct qleaf *lf, double theta2) {
    s->n_far = s->n_near = 0;
    int64_t top = 0;
    if (grow((void **)&s->stack, &s->cap_stack, 1, sizeof *s->stack)) return -1;
    s->stack[top++] = 0;
    while (top > 0) {
        const struct qnode *nd = &g->nodes[s->stack[--top]];
        double dx = fmax(fmax(lf->bx0 - nd->cx, nd->cx - lf->bx1), 0);
        double dy = fmax(fmax(lf->by0 - nd->cy, nd->cy - lf->by1), 0);
        if (nd->w * nd->w < theta2 * (dx * dx + dy * dy)) {
            if (grow((void **)&s->far, &s->cap_far, s->n_far + 1, sizeof *s->far)) return -1;
            s->far[s->n_far++] = (struct far_cell){nd->cx, nd->cy, nd->count};
        } else if (nd->n_child == 0) {
            if (grow((void **)&s->near, &s->cap_near, s->n_near + 1, sizeof *s->near)) return -1;
            s->near[s->n_near++] = (struct near_leaf){nd->start, nd->count};
        } else {
            if (grow((void **)&s->stack, &s->cap_stack, top + nd->n_child, sizeof *s->stack)) return -1;
            for (int c = nd->n_child - 1; c >= 0; c--) s->stack[top++] = nd->child + c;
        }
    }
    return 0;
}

/* One thread: repulsion for its share of the groups, attraction for its
 * share of the points. */
static void grad_worker(void *ctx, int ith, int nth) {
    struct emb__tsne_grad *g = ctx;
    struct walk_scratch *s = &g->scratch[ith];
    const double theta2 = g->theta * g->theta;
    int64_t per = (g->n_leaves + nth - 1) / nth, lo = per * ith, hi = lo + per < g->n_leaves ? lo + per : g->n_leaves;
    for (int64_t l = lo; l < hi; l++) {
        const struct qleaf *lf = &g->leaves[l];
        if (walk(g, s, lf, theta2)) {
            s->failed = 1;
            return;
        }
        const struct qnode *nd = &g->nodes[lf->node];
        for (int32_t pos = nd->start; pos < nd->start + nd->count; pos++) {
            const double xi = g->sx[pos], yi = g->sy[pos];
            double fx = 0, fy = 0, z = 0;
            for (int64_t a = 0; a < s->n_far; a++) {
                double dx = xi - s->far[a].x, dy = yi - s->far[a].y;
                double w = 1 / (1 + dx * dx + dy * dy), nw = s->far[a].n * w;
                z += nw;
                fx += nw * w * dx;
                fy += nw * w * dy;
            }
            for (int64_t b = 0; b < s->n_near; b++) {
                const int32_t e = s->near[b].start + s->near[b].count;
                for (int32_t j = s->near[b].start; j < e; j++) {
                    double dx = xi - g->sx[j], dy = yi - g->sy[j];
                    double w = 1 / (1 + dx * dx + dy * dy);
                    z += w;
                    fx += w * w * dx;
                    fy += w * w * dy;
                }
            }
            /* The point itself was summed once (w = 1, zero force): take it out of Z. */
            int32_t i = g->perm[pos];
            g->frep[2 * i] = fx;
            g->frep[2 * i + 1] = fy;
            g->zpos[pos] = z - 1;
        }
    }
    const struct emb__tsne_p *P = g->P;
    const double *y = g->y;
    per = (g->n + nth - 1) / nth, lo = per * ith, hi = lo + per < g->n ? lo + per : g->n;
    for (int64_t i = lo; i < hi; i++) {
        double fx = 0, fy = 0, kl = 0;
        for (int64_t a = P->row[i]; a < P->row[i + 1]; a++) {
            int64_t j = P->col[a];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double w = 1 / (1 + dx * dx + dy * dy), pw = P->val[a] * w;
            fx += pw * dx;
            fy += pw * dy;
            if (g->want_kl && P->val[a] > 0) kl += P->val[a] * log(P->val[a] / w);
        }
        g->fatt[2 * i] = fx;
        g->fatt[2 * i + 1] = fy;
        g->klpart[i] = kl;
    }
}

void emb__tsne_grad_free(struct emb__tsne_grad *g) {
    if (!g) return;
    emb_free(g->perm);
    emb_free(g->sx);
    emb_free(g->sy);
    emb_free(g->nodes);
    emb_free(g->leaves);
    emb_free(g->frep);
    emb_free(g->fatt);
    emb_free(g->zpos);
    emb_free(g->klpart);
    if (g->scratch)
        for (int t = 0; t < g->n_threads; t++) {
            emb_free(g->scratch[t].far);
            emb_free(g->scratch[t].near);
            emb_free(g->scratch[t].stack);
        }
    emb_free(g->scratch);
    emb_free(g);
}

int emb__tsne_grad_new(struct emb__tsne_grad **out, const struct emb__tsne_p *P, struct emb_pool *pool,
                       struct emb_err *err) {
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
    g->scratch = emb_calloc((size_t)g->n_threads, sizeof *g->scratch);
    if (!g->perm || !g->sx || !g->sy || !g->frep || !g->fatt || !g->zpos || !g->klpart || !g->scratch ||
        grow((void **)&g->nodes, &g->cap_nodes, n / 4 + 16, sizeof *g->nodes)) {
        emb__tsne_grad_free(g);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for t-SNE (%lld points)", (long long)n);
    }
    *out = g;
    return EMB_OK;
}

int emb__tsne_grad_bh(struct emb__tsne_grad *g, const double *y, double theta, double exaggeration, double *grad,
                      double *kl, struct emb_err *err) {
    if (tree_build(g, y)) return emb_err_set(err, EMB_ENOMEM, "out of memory for the t-SNE quadtree");
    g->y = y;
    g->theta = theta;
    g->exaggeration = exaggeration;
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
    if ((rc = emb__tsne_grad_new(&g, &P, pool, err)) != EMB_OK) goto done;
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
