/* line.c -- LINE (Tang et al. 2015): first- and second-order proximity by
 * edge sampling and negative sampling.
 *
 * Layout: params -> state (tables, samplers) -> step (one arc, k negatives)
 * -> train (threads, schedule) -> the BOTH recipe. The step is the same
 * score/gradient pair as word2vec's negative sampling: f = u_i . c_t,
 * g = (label - s(f)) * rho, c_t += g u_i, and u_i += sum_t g c_t after all
 * targets, as the reference implementation does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <errno.h>
#include <string.h>

#include "emb/io.h"
#include "emb/line.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/sample.h"
#include "sigtab.h"

/* Sigmoid table, as in the LINE and word2vec reference code: s(x)
 * tabulated on [-SIGMOID_BOUND, SIGMOID_BOUND]; outside it, saturated.
 * Looked up through sigtab.h, which also catches non-finite scores. */
#define SIGMOID_BOUND EMB_SIGTAB_BOUND
#define SIGMOID_TABLE EMB_SIGTAB_SIZE
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
    return EMB_OK;
}

/* ---- state ------------------------------------------------------------- */

/* A thread's share of the samples: the next one to draw, one past its last,
 * and its RNG; all three go into checkpoints. */
struct line_thread {
    int64_t pos, hi;
    struct emb_rng rng;
};

struct line_model {
    const struct emb_graph *g;
    const struct emb_line_params *p;
    int order;                   /* 1 or 2 */
    struct emb_table *vert, *ctx; /* ctx == vert for first order */
    const struct emb_table *t1;  /* BOTH, second phase: the finished first order */
    struct emb_alias *arcs;      /* over arc weights */
    struct emb_alias *neg;       /* over weighted degree^0.75 */
    int32_t *arc_src;            /* (n_arcs) source node of each arc */
    float sigmoid[SIGMOID_TABLE];
    struct emb_vec_ops ops;
    int64_t n_samples;
    _Atomic int64_t done;
    _Atomic int stopped;         /* stop requested: threads return */
    _Atomic int pause;           /* checkpoint due: threads return */
    _Atomic int diverged;        /* a thread saw a non-finite score: threads return */
    const struct emb_train_opts *o;
    struct emb_train_clock clock;
    int64_t done_at_start;       /* for the rate after a resume */
    uint64_t seed;
    int n_threads;
    struct line_thread *th;      /* (n_threads) */
    float **grad;                /* (n_threads) scratch rows */
};

/* (label - s(f)) * rho; a non-finite score sets *diverged (sigtab.h). */
static inline float sigmoid_grad(const struct line_model *m, float f, float label, float rho, int *diverged) {
    return emb__sigtab_grad(m->sigmoid, f, label, rho, diverged);
}

/* ---- step ------------------------------------------------------------- */

/* One arc (src -> dst) and k negatives. grad: (dim_padded) scratch.
 * *diverged is set when a score is not finite. */
static void line_step(struct line_model *m, struct emb_rng *r, int32_t src, int32_t dst, float rho, float *grad,
                      int *diverged) {
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
        float g = sigmoid_grad(m, m->ops.dot(dp, u, c), label, rho, diverged);
        m->ops.axpy(dp, g, c, grad);
        m->ops.axpy(dp, g, u, c);
    }
    m->ops.axpy(dp, 1.0f, grad, u);
}

/* ---- train -------------------------------------------------------------- */

/* The learning rate after `done` samples: linear decay, floored. */
static float rate_at(const struct line_model *m, double done) {
    float rho = m->p->rho * (float)(1.0 - done / (double)m->n_samples);
    return rho < m->p->rho * 1e-4f ? m->p->rho * 1e-4f : rho;
}

/* A progress report (unit "samples"; phase "train", or for BOTH the order
 * being trained: "order 1", "order 2"). */
static void report(const struct line_model *m, float rho, enum emb_train_event event) {
    struct emb_train_progress pr = emb_train_progress_init("samples");
    pr.event = event;
    int64_t d = atomic_load(&m->done);
    pr.elapsed_sec = emb_train_clock_elapsed(&m->clock);
    pr.fraction = (double)d / (double)m->n_samples;
    pr.rate = pr.elapsed_sec > 0 ? (double)(d - m->done_at_start) / pr.elapsed_sec : 0;
    pr.eta_sec = pr.rate > 0 ? (double)(m->n_samples - d) / pr.rate : NAN;
    pr.lr = rho;
    pr.step = d;
    pr.n_steps = m->n_samples;
    if (m->p->order == EMB_LINE_BOTH) pr.phase = m->order == 1 ? "order 1" : "order 2";
    m->o->progress(m->o->progress_ctx, &pr);
}

/* Draw samples th->pos..th->hi, returning early (with pos and rng saved)
 * when a stop or a checkpoint is requested. */
static void line_worker(void *ctx, int ith, int nth) {
    (void)nth;
    struct line_model *m = ctx;
    struct line_thread *th = &m->th[ith];
    struct emb_rng r = th->rng;
    int64_t s = th->pos, pending = 0;
    int diverged = 0;
    for (; s < th->hi; s++) {
        if ((pending & 1023) == 0) {
            if (emb_train_stopped(m->o)) atomic_store(&m->stopped, 1);
            /* The divergence check, every 1024 samples. */
            if (diverged) atomic_store(&m->diverged, 1);
            if (atomic_load(&m->stopped) || atomic_load(&m->pause) || atomic_load(&m->diverged)) break;
        }
        float rho = rate_at(m, (double)(atomic_load_explicit(&m->done, memory_order_relaxed) + pending));
        int64_t a = emb_alias_sample(m->arcs, &r);
        line_step(m, &r, m->arc_src[a], m->g->adj[a], rho, m->grad[ith], &diverged);
        if (++pending == FLUSH_SAMPLES) {
            atomic_fetch_add(&m->done, pending);
            pending = 0;
            if (ith == 0) {
                if (emb_train_clock_ckpt_due(&m->clock)) atomic_store(&m->pause, 1);
                if (m->o->progress && emb_train_clock_tick_due(&m->clock)) report(m, rho, EMB_TRAIN_TICK);
            }
        }
    }
    atomic_fetch_add(&m->done, pending);
    if (diverged) atomic_store(&m->diverged, 1);
    th->pos = s;
    th->rng = r;
}

/* ---- checkpoints -------------------------------------------------------- */

static const char CKPT_MAGIC[8] = {'E', 'M', 'B', 'L', 'I', 'N', 'C', 'K'};
#define CKPT_VERSION 2 /* 2: CRC-framed (io.h), graph CRC in the settings */

/* What a checkpoint holds besides its settings. */
struct line_ckpt {
    int phase;                 /* the order being trained when it was written */
    int64_t done;
    int n_threads;
    int64_t *pos_hi;           /* (2 n_threads) */
    uint64_t *rng;             /* (4 n_threads) */
    struct emb_table *vert, *ctx, *t1;
};

static void ckpt_free(struct line_ckpt *c) {
    emb_free(c->pos_hi);
    emb_free(c->rng);
    emb_table_free(c->vert);
    emb_table_free(c->ctx);
    emb_table_free(c->t1);
    memset(c, 0, sizeof *c);
}

static int64_t effective_samples(const struct emb_graph *g, const struct emb_line_params *p) {
    if (p->n_samples) return p->n_samples;
    int64_t n = 100 * g->n_arcs;
    return n < 1000000 ? 1000000 : n;
}

/* CRC-32 of the graph's arcs and weights: the same edge list read again
 * gives the same value, an edited one almost surely not. */
static uint32_t graph_crc(const struct emb_graph *g) {
    uint32_t c = emb_crc32(0, g->offsets, (size_t)(g->n_nodes + 1) * sizeof *g->offsets);
    c = emb_crc32(c, g->adj, (size_t)g->n_arcs * sizeof *g->adj);
    if (g->weights) c = emb_crc32(c, g->weights, (size_t)g->n_arcs * sizeof *g->weights);
    return c;
}

/* The settings a checkpoint must agree with, as key=value text. */
static void settings_kv(char *kv, size_t size, const struct emb_graph *g, const struct emb_line_params *p,
                        uint64_t seed) {
    snprintf(kv, size,
             "kind=line\norder=%d\ndim=%d\nnegative=%d\nn_samples=%lld\nrho=%.9g\nseed=%llu\nn_nodes=%d\n"
             "n_arcs=%lld\ndirected=%d\nweighted=%d\ninput_crc=%08x\n",
             (int)p->order, p->dim, p->negative, (long long)effective_samples(g, p), p->rho,
             (unsigned long long)seed, g->n_nodes, (long long)g->n_arcs, g->directed, g->weights != NULL,
             (unsigned)graph_crc(g));
}

static int ckpt_save(const struct line_model *m, struct emb_err *err) {
    const char *path = m->o->checkpoint_path;
    struct emb_outfile *o = NULL;
    struct emb_crc_writer *cw = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    char kv[1024];
    settings_kv(kv, sizeof kv, m->g, m->p, m->o->seed);
    size_t len = strlen(kv);
    snprintf(kv + len, sizeof kv - len, "phase=%d\ndone=%lld\nn_threads=%d\n", m->order,
             (long long)atomic_load(&m->done), m->n_threads);
    int64_t *pos_hi = emb_alloc((size_t)m->n_threads * 2 * sizeof *pos_hi);
    uint64_t *rng = emb_alloc((size_t)m->n_threads * 4 * sizeof *rng);
    rc = EMB_ENOMEM;
    if (!pos_hi || !rng || emb_crc_writer_open(&cw, emb_outfile_stream(o)) != EMB_OK) goto done;
    FILE *f = emb_crc_writer_stream(cw);
    for (int i = 0; i < m->n_threads; i++) {
        pos_hi[2 * i] = m->th[i].pos;
        pos_hi[2 * i + 1] = m->th[i].hi;
        memcpy(rng + 4 * i, m->th[i].rng.s, sizeof m->th[i].rng.s);
    }
    rc = EMB_EIO;
    if (emb_write_header_crc(cw, CKPT_MAGIC, CKPT_VERSION, kv) != EMB_OK) goto done;
    if (emb_write_array(f, pos_hi, 2 * (int64_t)m->n_threads, sizeof *pos_hi) != EMB_OK) goto done;
    if (emb_write_array(f, rng, 4 * (int64_t)m->n_threads, sizeof *rng) != EMB_OK) goto done;
    if (emb_write_array(f, m->vert->data, m->vert->n_rows * m->vert->dim_padded, sizeof(float)) != EMB_OK) goto done;
    if (m->order == 2 &&
        emb_write_array(f, m->ctx->data, m->ctx->n_rows * m->ctx->dim_padded, sizeof(float)) != EMB_OK)
        goto done;
    if (m->t1 && emb_write_array(f, m->t1->data, m->t1->n_rows * m->t1->dim_padded, sizeof(float)) != EMB_OK)
        goto done;
    rc = emb_crc_writer_close(cw, 1);
    cw = NULL;
    if (rc != EMB_OK) goto done;
    rc = emb_outfile_commit(o, err);
    o = NULL;
done:
    emb_crc_writer_close(cw, 0);
    if (o) {
        emb_outfile_abort(o);
        rc = rc == EMB_ENOMEM ? emb_err_set(err, rc, "out of memory writing checkpoint")
                              : emb_err_set(err, rc, "cannot write checkpoint %s: %s", path, strerror(errno));
    }
    emb_free(pos_hi);
    emb_free(rng);
    return rc;
}

static int read_table(struct emb_reader *r, struct emb_table **t, int64_t rows, int32_t dim, const char *what,
                      const char *path, struct emb_err *err) {
    int rc = emb_table_new(t, rows, dim, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_read_array(r, (*t)->data, rows * (*t)->dim_padded, sizeof(float), what, err)) != EMB_OK) return rc;
    if (emb_table_find_nonfinite(*t) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "%s: checkpoint holds non-finite values", path);
    return EMB_OK;
}

/* Load o->checkpoint_path, checking that it was made with these settings
 * on a graph of this shape. */
static int ckpt_load(struct line_ckpt *c, const struct emb_graph *g, const struct emb_line_params *p,
                     const struct emb_train_opts *o, struct emb_err *err) {
    const char *path = o->checkpoint_path;
    memset(c, 0, sizeof *c);
    struct emb_reader *r = NULL;
    char *kv = NULL;
    uint32_t version;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_read_header_crc(r, CKPT_MAGIC, CKPT_VERSION, CKPT_VERSION, &version, &kv, err)) != EMB_OK) goto done;
    if (version < CKPT_VERSION) {
        rc = emb_err_set(err, EMB_EFORMAT,
                         "%s: checkpoint format %u (without checksums) is no longer read; start the run afresh", path,
                         version);
        goto done;
    }
    char want[1024];
    settings_kv(want, sizeof want, g, p, o->seed);
    /* Every settings line must appear verbatim in the checkpoint. */
    if ((rc = emb_kv_require(kv, want, path, err)) != EMB_OK) goto done;
    long long phase, done, n_threads;
    if ((rc = emb_kv_ll(kv, "phase", 1, 2, &phase, path, err)) ||
        (rc = emb_kv_ll(kv, "done", 0, effective_samples(g, p), &done, path, err)) ||
        (rc = emb_kv_ll(kv, "n_threads", 1, 1024, &n_threads, path, err)))
        goto done;
    if ((p->order == EMB_LINE_FIRST && phase != 1) || (p->order == EMB_LINE_SECOND && phase != 2)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt checkpoint (phase %lld)", path, phase);
        goto done;
    }
    c->phase = (int)phase;
    c->done = done;
    c->n_threads = (int)n_threads;
    c->pos_hi = emb_alloc((size_t)n_threads * 2 * sizeof *c->pos_hi);
    c->rng = emb_alloc((size_t)n_threads * 4 * sizeof *c->rng);
    if (!c->pos_hi || !c->rng) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    if ((rc = emb_read_array(r, c->pos_hi, 2 * n_threads, sizeof *c->pos_hi, "thread positions", err)) ||
        (rc = emb_read_array(r, c->rng, 4 * n_threads, sizeof *c->rng, "rng states", err)))
        goto done;
    for (long long i = 0; i < n_threads; i++)
        if (c->pos_hi[2 * i] < 0 || c->pos_hi[2 * i] > c->pos_hi[2 * i + 1] ||
            c->pos_hi[2 * i + 1] > effective_samples(g, p)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt thread positions", path);
            goto done;
        }
    const int32_t dim = p->order == EMB_LINE_BOTH ? p->dim / 2 : p->dim;
    if ((rc = read_table(r, &c->vert, g->n_nodes, dim, "vertex vectors", path, err))) goto done;
    if (phase == 2 && (rc = read_table(r, &c->ctx, g->n_nodes, dim, "context vectors", path, err))) goto done;
    if (p->order == EMB_LINE_BOTH && phase == 2 &&
        (rc = read_table(r, &c->t1, g->n_nodes, dim, "first-order vectors", path, err)))
        goto done;
    rc = emb_read_trailer_crc(r, err);
done:
    emb_reader_close(r);
    emb_free(kv);
    if (rc != EMB_OK) ckpt_free(c);
    return rc;
}

/* ---- one order ----------------------------------------------------------- */

/* The error of a run that diverged (`what` became non-finite): one line
 * naming how far it got and the learning rate, and what became of the
 * checkpoint, which is never overwritten with non-finite values. `saved`:
 * this run wrote a (good) checkpoint before. */
static int diverged_error(const struct line_model *m, const char *what, int saved, struct emb_err *err) {
    const char *ck = m->o->checkpoint_path;
    char phase[32] = "";
    if (m->p->order == EMB_LINE_BOTH) snprintf(phase, sizeof phase, " (order %d)", m->order);
    return emb_err_set(err, EMB_ENUMERIC,
                       "training diverged (non-finite %s) after %lld of %lld samples%s: lower --alpha (now %g)%s%s%s",
                       what, (long long)atomic_load(&m->done), (long long)m->n_samples, phase, (double)m->p->rho,
                       ck ? (saved ? "; last good checkpoint " : "; checkpoint ") : "", ck ? ck : "",
                       ck ? (saved ? " kept" : " not written") : "");
}

static int weights_nonfinite(const struct line_model *m) {
    return emb_table_find_nonfinite(m->vert) >= 0 || (m->ctx != m->vert && emb_table_find_nonfinite(m->ctx) >= 0);
}

static void model_free(struct line_model *m) {
    emb_table_free(m->vert);
    if (m->ctx != m->vert) emb_table_free(m->ctx);
    emb_alias_free(m->arcs);
    emb_alias_free(m->neg);
    emb_free(m->arc_src);
    emb_free(m->th);
    if (m->grad)
        for (int i = 0; i < m->n_threads; i++) emb_free_aligned(m->grad[i]);
    emb_free(m->grad);
}

/* The samplers: arcs by weight, negatives by degree^0.75. w: scratch of
 * max(n_arcs, n_nodes). */
static int make_samplers(struct line_model *m, double *w, struct emb_err *err) {
    const struct emb_graph *g = m->g;
    for (int32_t u = 0; u < g->n_nodes; u++)
        for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) m->arc_src[a] = u;
    /* The alias builder takes int32 outcomes; CSR arcs beyond that need a
     * two-level sampler (node by degree, then arc in row). */
    if (g->n_arcs > INT32_MAX)
        return emb_err_set(err, EMB_EINVAL, "LINE supports up to 2^31-1 arcs, the graph has %lld", (long long)g->n_arcs);
    for (int64_t a = 0; a < g->n_arcs; a++) w[a] = g->weights ? g->weights[a] : 1.0;
    int rc = emb_alias_new(&m->arcs, w, (int32_t)g->n_arcs, err);
    if (rc != EMB_OK) return rc;
    for (int32_t u = 0; u < g->n_nodes; u++) w[u] = pow(g->degree[u], 0.75);
    return emb_alias_new(&m->neg, w, g->n_nodes, err);
}

/* The tables and each thread's share of the samples and RNG: taken over
 * from the checkpoint ck, or fresh. */
static int init_state(struct line_model *m, struct line_ckpt *ck, int32_t dim, struct emb_err *err) {
    const uint64_t seed = m->seed;
    if (ck) {
        m->vert = ck->vert, ck->vert = NULL;
        m->ctx = m->order == 1 ? m->vert : ck->ctx;
        ck->ctx = NULL;
        atomic_store(&m->done, ck->done);
        m->done_at_start = ck->done;
        if (ck->n_threads == m->n_threads) {
            for (int i = 0; i < m->n_threads; i++) {
                m->th[i].pos = ck->pos_hi[2 * i];
                m->th[i].hi = ck->pos_hi[2 * i + 1];
                memcpy(m->th[i].rng.s, ck->rng + 4 * i, sizeof m->th[i].rng.s);
            }
            return EMB_OK;
        }
        /* Another thread count: split what is left afresh, with RNG
         * streams that differ from the first run's. */
        int64_t left = m->n_samples - ck->done, per = (left + m->n_threads - 1) / m->n_threads;
        for (int i = 0; i < m->n_threads; i++) {
            m->th[i].pos = ck->done + per * i < m->n_samples ? ck->done + per * i : m->n_samples;
            m->th[i].hi = m->th[i].pos + per < m->n_samples ? m->th[i].pos + per : m->n_samples;
            emb_rng_seed(&m->th[i].rng, seed ^ (uint64_t)ck->done, (uint64_t)(m->n_threads + i));
        }
        return EMB_OK;
    }
    int rc = emb_table_new(&m->vert, m->g->n_nodes, dim, err);
    if (rc != EMB_OK) return rc;
    /* LINE's initialisation: vertex vectors uniform in [-0.5/dim, 0.5/dim),
     * context vectors zero. */
    emb_table_init_uniform(m->vert, 0.5f / (float)dim, seed);
    if (m->order == 1) m->ctx = m->vert;
    else if ((rc = emb_table_new(&m->ctx, m->g->n_nodes, dim, err)) != EMB_OK) return rc;
    int64_t per = (m->n_samples + m->n_threads - 1) / m->n_threads;
    for (int i = 0; i < m->n_threads; i++) {
        m->th[i].pos = per * i < m->n_samples ? per * i : m->n_samples;
        m->th[i].hi = m->th[i].pos + per < m->n_samples ? m->th[i].pos + per : m->n_samples;
        emb_rng_seed(&m->th[i].rng, seed, (uint64_t)i);
    }
    return EMB_OK;
}

/* Run the workers to the end, pausing for checkpoints and stopping on
 * o->stop (train.h). */
static int run_workers(struct line_model *m, struct emb_pool *pool, struct emb_err *err) {
    const struct emb_train_opts *o = m->o;
    emb_train_clock_start(&m->clock, o);
    m->clock.last_tick -= m->clock.tick_every; /* the first progress report comes at the first flush */
    int saved = 0;
    for (;;) {
        emb_pool_run(pool, line_worker, m);
        if (atomic_load(&m->diverged)) return diverged_error(m, "scores", saved, err);
        int finished = 1;
        for (int i = 0; i < m->n_threads; i++) finished &= m->th[i].pos == m->th[i].hi;
        if (finished) break;
        /* A checkpoint is about to be written: never over a good one with
         * non-finite weights (the scores may not have shown it yet). */
        if (o->checkpoint_path && weights_nonfinite(m)) return diverged_error(m, "weights", saved, err);
        if (atomic_load(&m->stopped)) {
            if (!o->checkpoint_path) return emb_err_set(err, EMB_EINTR, "interrupted (no checkpoint path given, nothing saved)");
            int rc = ckpt_save(m, err);
            return rc == EMB_OK ? emb_err_set(err, EMB_EINTR, "interrupted; state saved to %s", o->checkpoint_path) : rc;
        }
        /* A checkpoint is due; should it fail, warn and go on. */
        struct emb_err ck = {0};
        int ck_rc = ckpt_save(m, &ck);
        if (ck_rc != EMB_OK && o->warn) o->warn(o->warn_ctx, emb_err_msg(&ck, ck_rc));
        if (ck_rc == EMB_OK) {
            saved = 1;
            if (o->progress) report(m, rate_at(m, (double)atomic_load(&m->done)), EMB_TRAIN_CHECKPOINT);
        }
        atomic_store(&m->pause, 0);
    }
    if (weights_nonfinite(m)) return diverged_error(m, "weights", saved, err);
    if (o->progress) report(m, rate_at(m, (double)atomic_load(&m->done)), EMB_TRAIN_TICK);
    return EMB_OK;
}

/* Train one order with `dim` columns; the vertex table goes to *out. ck
 * (may be NULL) is a checkpoint of this phase to continue from: its
 * tables are taken over. t1 is the finished first order of BOTH (saved in
 * checkpoints of the second phase), else NULL. */
static int train_order(const struct emb_graph *g, const struct emb_line_params *p, const struct emb_train_opts *o,
                       int order, int32_t dim, uint64_t seed, struct emb_pool *pool, struct line_ckpt *ck,
                       const struct emb_table *t1, struct emb_table **out, struct emb_err *err) {
    struct line_model m;
    memset(&m, 0, sizeof m);
    m.g = g;
    m.p = p;
    m.o = o;
    m.order = order;
    m.seed = seed;
    m.t1 = t1;
    m.ops = emb_vec_ops_get(p->simd);
    m.n_samples = effective_samples(g, p);
    m.n_threads = emb_pool_size(pool);
    for (int i = 0; i < SIGMOID_TABLE; i++) {
        double x = (i * 2.0 / SIGMOID_TABLE - 1.0) * SIGMOID_BOUND;
        m.sigmoid[i] = (float)(1.0 / (1.0 + exp(-x)));
    }
    int rc = EMB_ENOMEM;
    m.arc_src = emb_alloc((size_t)g->n_arcs * sizeof *m.arc_src);
    double *w = emb_alloc((size_t)(g->n_arcs > g->n_nodes ? g->n_arcs : g->n_nodes) * sizeof *w);
    m.grad = emb_calloc((size_t)m.n_threads, sizeof *m.grad);
    m.th = emb_calloc((size_t)m.n_threads, sizeof *m.th);
    if (!m.arc_src || !w || !m.grad || !m.th) goto nomem;
    if ((rc = make_samplers(&m, w, err)) != EMB_OK) goto done;
    if ((rc = init_state(&m, ck, dim, err)) != EMB_OK) goto done;
    for (int i = 0; i < m.n_threads; i++)
        if (!(m.grad[i] = emb_alloc_aligned((size_t)m.vert->dim_padded * sizeof(float)))) goto nomem;
    if ((rc = run_workers(&m, pool, err)) != EMB_OK) goto done;
    *out = m.vert;
    if (m.ctx == m.vert) m.ctx = NULL; /* first order: one table, now the caller's */
    m.vert = NULL;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory for LINE on %d nodes, %lld arcs", g->n_nodes, (long long)g->n_arcs);
done:
    model_free(&m);
    emb_free(w);
    return rc;
}

int emb_line_train(const struct emb_graph *g, const struct emb_line_params *p, const struct emb_train_opts *o,
                   struct emb_table **out, struct emb_err *err) {
    *out = NULL;
    int rc = emb_line_params_check(p, err);
    if (rc == EMB_OK) rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    if (g->n_arcs == 0 || g->n_nodes == 0) return emb_err_set(err, EMB_EEMPTY, "the graph has no arcs");
    struct line_ckpt ck, *ckp = NULL;
    memset(&ck, 0, sizeof ck);
    if (o->resume) {
        if ((rc = ckpt_load(&ck, g, p, o, err)) != EMB_OK) return rc;
        ckp = &ck;
    }
    struct emb_pool *own_pool = NULL, *pool = o->pool;
    struct emb_table *t1 = NULL, *t2 = NULL, *both = NULL;
    if (!pool && (rc = emb_pool_new(&own_pool, o->n_threads, err)) != EMB_OK) goto done;
    if (!pool) pool = own_pool;
    if (p->order != EMB_LINE_BOTH) {
        rc = train_order(g, p, o, p->order, p->dim, o->seed, pool, ckp, NULL, out, err);
        goto done;
    }
    int32_t half = p->dim / 2;
    if (ckp && ckp->phase == 2) {
        t1 = ckp->t1;
        ckp->t1 = NULL;
    } else {
        if ((rc = train_order(g, p, o, 1, half, o->seed, pool, ckp, NULL, &t1, err)) != EMB_OK) goto done;
        ckp = NULL;
    }
    if ((rc = train_order(g, p, o, 2, half, o->seed + 1, pool, ckp, t1, &t2, err)) != EMB_OK) goto done;
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
    ckpt_free(&ck);
    emb_table_free(t1);
    emb_table_free(t2);
    emb_table_free(both);
    emb_pool_free(own_pool);
    return rc;
}
