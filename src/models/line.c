/* line.c -- LINE (Tang et al. 2015): first- and second-order proximity by
 * edge sampling and negative sampling.
 *
 * Layout: params -> state (tables, samplers) -> step (one arc, k negatives)
 * -> train (threads, schedule) -> the BOTH recipe. The step is the same
 * score/gradient pair as word2vec's negative sampling: f = u_i . c_t,
 * g = (label - s(f)) * rho, c_t += g u_i, and u_i += sum_t g c_t after all
 * targets, as the reference implementation does. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "emb/line.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/sample.h"

/* Sigmoid table, as in the LINE and word2vec reference code: s(x)
 * tabulated on [-SIGMOID_BOUND, SIGMOID_BOUND]; outside it, saturated. */
#define SIGMOID_BOUND 6
#define SIGMOID_TABLE 1000
/* Samples between updates of the shared counter that drives rho. */
#define FLUSH_SAMPLES 10000

struct emb_line_params emb_line_default_params(void) {
    struct emb_line_params p;
    memset(&p, 0, sizeof p);
    p.order = EMB_LINE_SECOND;
    p.dim = 128;
    p.negative = 5;
    p.n_samples = 0;
    p.rho = 0.025f;
    p.seed = 1;
    p.n_threads = 1;
    p.simd = EMB_SIMD_AUTO;
    return p;
}

int emb_line_params_check(const struct emb_line_params *p, struct emb_err *err) {
    if (p->order != EMB_LINE_FIRST && p->order != EMB_LINE_SECOND && p->order != EMB_LINE_BOTH)
        return emb_err_set(err, EMB_EINVAL, "order must be 1, 2 or both");
    if (p->dim < 1 || p->dim > 10000) return emb_err_set(err, EMB_EINVAL, "dim must be in 1..10000, got %d", p->dim);
    if (p->order == EMB_LINE_BOTH && (p->dim < 2 || p->dim % 2))
        return emb_err_set(err, EMB_EINVAL, "order both needs an even dim (half for each order), got %d", p->dim);
    if (p->negative < 1 || p->negative > 1000)
        return emb_err_set(err, EMB_EINVAL, "negative must be in 1..1000, got %d", p->negative);
    if (p->n_samples < 0) return emb_err_set(err, EMB_EINVAL, "samples must be >= 0");
    if (!(p->rho > 0) || p->rho > 10) return emb_err_set(err, EMB_EINVAL, "learning rate must be in (0, 10], got %g", p->rho);
    if (p->n_threads < 1 || p->n_threads > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024");
    return EMB_OK;
}

/* ---- state ------------------------------------------------------------- */

struct line_model {
    const struct emb_graph *g;
    const struct emb_line_params *p;
    int order;                   /* 1 or 2 */
    struct emb_table *vert, *ctx; /* ctx == vert for first order */
    struct emb_alias *arcs;      /* over arc weights */
    struct emb_alias *neg;       /* over weighted degree^0.75 */
    int32_t *arc_src;            /* (n_arcs) source node of each arc */
    float sigmoid[SIGMOID_TABLE];
    struct emb_vec_ops ops;
    int64_t n_samples;
    _Atomic int64_t done;
    _Atomic int stopped;
    double t_start, t_last;
    uint64_t seed;
    float **grad;                /* (n_threads) scratch rows */
};

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline float sigmoid_grad(const struct line_model *m, float f, float label, float rho) {
    if (f > SIGMOID_BOUND) return (label - 1) * rho;
    if (f < -SIGMOID_BOUND) return label * rho;
    return (label - m->sigmoid[(int)((f + SIGMOID_BOUND) * (SIGMOID_TABLE / SIGMOID_BOUND / 2))]) * rho;
}

/* ---- step ------------------------------------------------------------- */

/* One arc (src -> dst) and k negatives. grad: (dim_padded) scratch. */
static void line_step(struct line_model *m, struct emb_rng *r, int32_t src, int32_t dst, float rho, float *grad) {
    const int64_t dp = m->vert->dim_padded;
    float *u = emb_table_row(m->vert, src);
    memset(grad, 0, (size_t)dp * sizeof *grad);
    for (int d = 0; d <= m->p->negative; d++) {
        int32_t t = dst;
        float label = 1.0f;
        if (d > 0) {
            t = emb_alias_sample(m->neg, r);
            if (t == dst) continue; /* skip a negative that is the positive */
            label = 0.0f;
        }
        float *c = emb_table_row(m->ctx, t);
        float g = sigmoid_grad(m, m->ops.dot(dp, u, c), label, rho);
        m->ops.axpy(dp, g, c, grad);
        m->ops.axpy(dp, g, u, c);
    }
    m->ops.axpy(dp, 1.0f, grad, u);
}

/* ---- train -------------------------------------------------------------- */

static void line_worker(void *ctx, int ith, int nth) {
    struct line_model *m = ctx;
    const struct emb_line_params *p = m->p;
    struct emb_rng r;
    emb_rng_seed(&r, m->seed, (uint64_t)ith);
    int64_t per = (m->n_samples + nth - 1) / nth;
    int64_t lo = per * ith, hi = lo + per < m->n_samples ? lo + per : m->n_samples, pending = 0;
    for (int64_t s = lo; s < hi; s++) {
        if ((pending & 1023) == 0 && ((p->stop && *p->stop) || atomic_load(&m->stopped))) {
            atomic_store(&m->stopped, 1);
            break;
        }
        double done = (double)(atomic_load_explicit(&m->done, memory_order_relaxed) + pending);
        float rho = p->rho * (float)(1.0 - done / (double)m->n_samples);
        if (rho < p->rho * 1e-4f) rho = p->rho * 1e-4f;
        int64_t a = emb_alias_sample(m->arcs, &r);
        line_step(m, &r, m->arc_src[a], m->g->adj[a], rho, m->grad[ith]);
        if (++pending == FLUSH_SAMPLES) {
            atomic_fetch_add(&m->done, pending);
            pending = 0;
            if (ith == 0 && p->progress) {
                double now = now_sec();
                if (now - m->t_last >= 0.2) {
                    m->t_last = now;
                    double d = (double)atomic_load(&m->done), el = now - m->t_start;
                    p->progress(p->progress_ctx, d / (double)m->n_samples, el > 0 ? d / el : 0, rho);
                }
            }
        }
    }
    atomic_fetch_add(&m->done, pending);
}

static void model_free(struct line_model *m) {
    emb_table_free(m->vert);
    if (m->ctx != m->vert) emb_table_free(m->ctx);
    emb_alias_free(m->arcs);
    emb_alias_free(m->neg);
    emb_free(m->arc_src);
    if (m->grad)
        for (int i = 0; i < m->p->n_threads; i++) emb_free_aligned(m->grad[i]);
    emb_free(m->grad);
}

/* Train one order with `dim` columns; the vertex table goes to *out. */
static int train_order(const struct emb_graph *g, const struct emb_line_params *p, int order, int32_t dim,
                       uint64_t seed, struct emb_pool *pool, struct emb_table **out, struct emb_err *err) {
    struct line_model m;
    memset(&m, 0, sizeof m);
    m.g = g;
    m.p = p;
    m.order = order;
    m.seed = seed;
    m.ops = emb_vec_ops_get(p->simd);
    m.n_samples = p->n_samples;
    if (m.n_samples == 0) {
        m.n_samples = 100 * g->n_arcs;
        if (m.n_samples < 1000000) m.n_samples = 1000000;
    }
    for (int i = 0; i < SIGMOID_TABLE; i++) {
        double x = (i * 2.0 / SIGMOID_TABLE - 1.0) * SIGMOID_BOUND;
        m.sigmoid[i] = (float)(1.0 / (1.0 + exp(-x)));
    }
    int rc = EMB_ENOMEM;
    double *w = NULL;
    m.arc_src = emb_alloc((size_t)g->n_arcs * sizeof *m.arc_src);
    w = emb_alloc((size_t)(g->n_arcs > g->n_nodes ? g->n_arcs : g->n_nodes) * sizeof *w);
    m.grad = emb_calloc((size_t)p->n_threads, sizeof *m.grad);
    if (!m.arc_src || !w || !m.grad) goto nomem;
    for (int32_t u = 0; u < g->n_nodes; u++)
        for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) m.arc_src[a] = u;
    /* The alias builder takes int32 outcomes; CSR arcs beyond that need a
     * two-level sampler (node by degree, then arc in row). */
    if (g->n_arcs > INT32_MAX) {
        rc = emb_err_set(err, EMB_EINVAL, "LINE supports up to 2^31-1 arcs, the graph has %lld", (long long)g->n_arcs);
        goto done;
    }
    for (int64_t a = 0; a < g->n_arcs; a++) w[a] = g->weights ? g->weights[a] : 1.0;
    if ((rc = emb_alias_new(&m.arcs, w, (int32_t)g->n_arcs, err)) != EMB_OK) goto done;
    for (int32_t u = 0; u < g->n_nodes; u++) w[u] = pow(g->degree[u], 0.75);
    if ((rc = emb_alias_new(&m.neg, w, g->n_nodes, err)) != EMB_OK) goto done;
    if ((rc = emb_table_new(&m.vert, g->n_nodes, dim, err)) != EMB_OK) goto done;
    /* LINE's initialisation: vertex vectors uniform in [-0.5/dim, 0.5/dim),
     * context vectors zero. */
    emb_table_init_uniform(m.vert, 0.5f / (float)dim, seed);
    if (order == 1) {
        m.ctx = m.vert;
    } else if ((rc = emb_table_new(&m.ctx, g->n_nodes, dim, err)) != EMB_OK) {
        goto done;
    }
    for (int i = 0; i < p->n_threads; i++)
        if (!(m.grad[i] = emb_alloc_aligned((size_t)m.vert->dim_padded * sizeof(float)))) goto nomem;
    m.t_start = m.t_last = now_sec();
    emb_pool_run(pool, line_worker, &m);
    if (atomic_load(&m.stopped)) {
        rc = emb_err_set(err, EMB_EINTR, "interrupted");
        goto done;
    }
    if (emb_table_find_nonfinite(m.vert) >= 0) {
        rc = emb_err_set(err, EMB_ENUMERIC, "training diverged: non-finite values (try a lower learning rate)");
        goto done;
    }
    *out = m.vert;
    if (m.ctx == m.vert) m.ctx = NULL; /* first order: one table, now the caller's */
    m.vert = NULL;
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory for LINE on %d nodes, %lld arcs", g->n_nodes, (long long)g->n_arcs);
done:
    model_free(&m);
    emb_free(w);
    return rc;
}

int emb_line_train(const struct emb_graph *g, const struct emb_line_params *p, struct emb_table **out,
                   struct emb_err *err) {
    *out = NULL;
    int rc = emb_line_params_check(p, err);
    if (rc != EMB_OK) return rc;
    if (g->n_arcs == 0 || g->n_nodes == 0) return emb_err_set(err, EMB_EEMPTY, "the graph has no arcs");
    struct emb_pool *pool = NULL;
    if ((rc = emb_pool_new(&pool, p->n_threads, err)) != EMB_OK) return rc;
    if (p->order != EMB_LINE_BOTH) {
        rc = train_order(g, p, p->order, p->dim, p->seed, pool, out, err);
        emb_pool_free(pool);
        return rc;
    }
    struct emb_table *t1 = NULL, *t2 = NULL, *both = NULL;
    int32_t half = p->dim / 2;
    if ((rc = train_order(g, p, 1, half, p->seed, pool, &t1, err)) != EMB_OK) goto done;
    if ((rc = train_order(g, p, 2, half, p->seed + 1, pool, &t2, err)) != EMB_OK) goto done;
    if ((rc = emb_table_new(&both, g->n_nodes, p->dim, err)) != EMB_OK) goto done;
    emb_table_normalize_rows(t1);
    emb_table_normalize_rows(t2);
    for (int32_t u = 0; u < g->n_nodes; u++) {
        memcpy(emb_table_row(both, u), emb_table_row(t1, u), (size_t)half * sizeof(float));
        memcpy(emb_table_row(both, u) + half, emb_table_row(t2, u), (size_t)half * sizeof(float));
    }
    *out = both;
    both = NULL;
done:
    emb_table_free(t1);
    emb_table_free(t2);
    emb_table_free(both);
    emb_pool_free(pool);
    return rc;
}
