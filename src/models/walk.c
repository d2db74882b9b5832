/* walk.c -- DeepWalk and node2vec random walks (see walk.h for the model).
 *
 * Layout: params -> per-row alias tables (first-order steps on weighted
 * graphs) -> one step (first order, then node2vec by rejection) -> one
 * walk -> batches on the pool, collected in order into the stream.
 *
 * Work is cut into units of up to `batch` consecutive positions of one
 * round's shuffled order. A pool run makes a group of units, each into its
 * own slot of ids, handed out from an atomic counter. The groups are double
 * buffered: while the threads fill one buffer, thread 0 first appends the
 * previous group, in unit order, to the stream (and the optional walk
 * file), counting visits, then joins the walking -- so the serial encoding
 * overlaps with the walks. Since every walk is seeded from (seed, round,
 * start), the result does not depend on which thread made which unit. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "emb/io.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/train.h"
#include "emb/walk.h"

/* Ids a unit's slot holds at most (walks x length), so a pool run with a
 * few units per thread stays within a few MB whatever the walk length. */
#define UNIT_IDS (1 << 17)
/* Ids a whole group (one pool run) holds at most, 16 MB per buffer, so
 * many threads mean smaller units rather than more memory. */
#define GROUP_IDS (1 << 22)
/* Units per thread in one pool run: enough to balance uneven units. */
#define UNITS_PER_THREAD 8
/* Random-stream numbers: walks use (round << 32 | start); node ids are
 * below 2^31 - 1, so this low half never names a walk. */
#define SHUFFLE_STREAM 0xFFFFFFFFULL

struct emb_walk_params emb_walk_default_params(void) {
    struct emb_walk_params p;
    memset(&p, 0, sizeof p);
    p.walk_length = 80;
    p.walks_per_node = 10;
    p.p = 1;
    p.q = 1;
    p.chunk_tokens = 1 << 16;
    return p;
}

int emb_walk_params_check(const struct emb_walk_params *p, struct emb_err *err) {
    if (p->walk_length < 1 || p->walk_length > 1000000)
        return emb_err_set(err, EMB_EINVAL, "walk length must be in 1..1000000, got %d", p->walk_length);
    if (p->walks_per_node < 1 || p->walks_per_node > 1000000)
        return emb_err_set(err, EMB_EINVAL, "walks per node must be in 1..1000000, got %d", p->walks_per_node);
    if (!(p->p > 0) || !isfinite(p->p)) return emb_err_set(err, EMB_EINVAL, "p must be a finite number > 0, got %g", p->p);
    if (!(p->q > 0) || !isfinite(p->q)) return emb_err_set(err, EMB_EINVAL, "q must be a finite number > 0, got %g", p->q);
    if (p->chunk_tokens < 1) return emb_err_set(err, EMB_EINVAL, "chunk_tokens must be >= 1");
    return EMB_OK;
}

/* ---- first-order sampling ------------------------------------------------ */

/* The walker: the graph plus what steps need, shared read-only by threads. */
struct walker {
    const struct emb_graph *g;
    uint32_t *prob;  /* (n_arcs) alias thresholds per arc, scaled to 2^32; NULL if unweighted */
    int32_t *alias;  /* (n_arcs) the other outcome, as an index within the row */
    double inv_p, inv_q, max_bias;
    double lo_bias, hi_bias; /* min and max of (1, 1/q): non-return arcs' bias range */
    int second_order;        /* 0 when p == q == 1 (every bias is 1) */
};

/* Vose's alias method on every row of a weighted graph. small/large:
 * (max degree) scratch stacks of indices within the row. */
static int build_alias(struct walker *w, struct emb_err *err) {
    const struct emb_graph *g = w->g;
    int64_t max_deg = 0;
    for (int32_t v = 0; v < g->n_nodes; v++)
        if (emb_graph_degree(g, v) > max_deg) max_deg = emb_graph_degree(g, v);
    int rc = EMB_ENOMEM;
    size_t na = (size_t)(g->n_arcs > 0 ? g->n_arcs : 1);
    w->prob = emb_alloc(na * sizeof *w->prob);
    w->alias = emb_alloc(na * sizeof *w->alias);
    int64_t *small = emb_alloc((size_t)(max_deg + 1) * sizeof *small);
    int64_t *large = emb_alloc((size_t)(max_deg + 1) * sizeof *large);
    double *scaled = emb_alloc((size_t)(max_deg + 1) * sizeof *scaled);
    if (!w->prob || !w->alias || !small || !large || !scaled) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for the walk sampler");
        goto done;
    }
    for (int32_t v = 0; v < g->n_nodes; v++) {
        int64_t lo = g->offsets[v], d = emb_graph_degree(g, v);
        if (d == 0) continue;
        double sum = 0;
        for (int64_t i = 0; i < d; i++) sum += g->weights[lo + i];
        int64_t ns = 0, nl = 0;
        for (int64_t i = 0; i < d; i++) {
            scaled[i] = g->weights[lo + i] * (double)d / sum;
            if (scaled[i] < 1.0) small[ns++] = i;
            else large[nl++] = i;
        }
        while (ns > 0 && nl > 0) {
            int64_t s = small[--ns], l = large[nl - 1];
            w->prob[lo + s] = (uint32_t)(scaled[s] * 4294967296.0);
            w->alias[lo + s] = (int32_t)l;
            scaled[l] -= 1.0 - scaled[s];
            if (scaled[l] < 1.0) {
                nl--;
                small[ns++] = l;
            }
        }
        /* Leftovers are 1 up to rounding: always keep the column itself. */
        while (nl > 0) {
            int64_t l = large[--nl];
            w->prob[lo + l] = UINT32_MAX;
            w->alias[lo + l] = (int32_t)l;
        }
        while (ns > 0) {
            int64_t s = small[--ns];
            w->prob[lo + s] = UINT32_MAX;
            w->alias[lo + s] = (int32_t)s;
        }
    }
    rc = EMB_OK;
done:
    emb_free(small);
    emb_free(large);
    emb_free(scaled);
    return rc;
}

/* An arc out of v (degree d > 0), drawn proportional to its weight. */
static inline int64_t first_order(const struct walker *w, int32_t v, int64_t d, struct emb_rng *r) {
    int64_t lo = w->g->offsets[v];
    if (!w->prob) return lo + (int64_t)emb_rng_below(r, (uint64_t)d);
    int64_t i;
    uint32_t coin;
    if (d <= (int64_t)UINT32_MAX) { /* one draw: high bits pick the column, low bits the coin */
        uint64_t x = emb_rng_next(r);
        i = (int64_t)(((x >> 32) * (uint64_t)d) >> 32);
        coin = (uint32_t)x;
    } else {
        i = (int64_t)emb_rng_below(r, (uint64_t)d);
        coin = (uint32_t)(emb_rng_next(r) >> 32);
    }
    return lo + (coin < w->prob[lo + i] ? i : w->alias[lo + i]);
}

/* ---- node2vec step ------------------------------------------------------- */

/* 1 if x is adjacent to t: the arc x->t (reference node2vec's
 * G.has_edge(x, t)); in undirected graphs search the shorter row. */
static inline int adjacent(const struct emb_graph *g, int32_t x, int32_t t) {
    if (!g->directed && emb_graph_degree(g, t) < emb_graph_degree(g, x)) return emb_graph_has_edge(g, t, x);
    return emb_graph_has_edge(g, x, t);
}

static inline double bias(const struct walker *w, int32_t t, int32_t x) {
    if (x == t) return w->inv_p;
    return adjacent(w->g, x, t) ? 1.0 : w->inv_q;
}

/* The exact distribution over v's row, drawn directly: O(d log d). */
static int32_t exact_step(const struct walker *w, int32_t t, int32_t v, struct emb_rng *r) {
    const struct emb_graph *g = w->g;
    int64_t lo = g->offsets[v], hi = g->offsets[v + 1];
    double total = 0;
    for (int64_t a = lo; a < hi; a++) total += (g->weights ? g->weights[a] : 1.0) * bias(w, t, g->adj[a]);
    double u = emb_rng_uniform_d(r) * total, acc = 0;
    for (int64_t a = lo; a < hi; a++) {
        acc += (g->weights ? g->weights[a] : 1.0) * bias(w, t, g->adj[a]);
        if (u < acc) return g->adj[a];
    }
    return g->adj[hi - 1]; /* rounding: u landed on the very end */
}

struct thread_stats {
    int64_t n_steps, n_proposals, n_fallbacks;
    char pad[64 - 3 * sizeof(int64_t)]; /* one cache line per thread */
};

/* Next node after t -> v (d = degree of v > 0), by rejection.
 *
 * Envelope: the first-order distribution scaled by env = max(1/p, 1, 1/q),
 * accepted with probability a(t,x) / env. When 1/p is the largest bias
 * (p < min(1, q), e.g. p = 0.25), only the single return arc v->t needs
 * it, so -- KnightKing's "outlier" -- the envelope is max(1, 1/q) on every
 * arc plus an extra (1/p - max(1, 1/q)) w(v,t) drawn as t directly. That
 * keeps the acceptance rate near 1/max(1, 1/q) instead of p on high-degree
 * nodes, for one binary search per step. */
static inline int32_t second_order(const struct walker *w, int32_t t, int32_t v, int64_t d, struct emb_rng *r,
                                   struct thread_stats *st) {
    const struct emb_graph *g = w->g;
    if (d == 1) { /* no choice: skip the rejection loop */
        st->n_proposals++;
        return g->adj[g->offsets[v]];
    }
    double env = w->max_bias, extra = 0, total = 0;
    if (w->inv_p > w->hi_bias) {
        env = w->hi_bias;
        int64_t back = emb_graph_find_arc(g, v, t); /* may be missing in directed graphs */
        if (back >= 0) {
            extra = (w->inv_p - env) * (g->weights ? g->weights[back] : 1.0);
            total = env * g->degree[v] + extra;
        }
    }
    for (int trial = 0; trial < EMB_WALK_MAX_TRIALS; trial++) {
        st->n_proposals++;
        if (extra > 0 && emb_rng_uniform_d(r) * total < extra) return t; /* the outlier mass */
        int32_t x = g->adj[first_order(w, v, d, r)];
        double u = emb_rng_uniform_d(r) * env;
        if (x == t) {
            if (u < w->inv_p) return x; /* always, when env < 1/p */
            continue;
        }
        if (u < w->lo_bias) return x; /* below both possible biases: accept without a lookup */
        if (u >= w->hi_bias) continue;
        if (u < (adjacent(g, x, t) ? 1.0 : w->inv_q)) return x;
    }
    st->n_fallbacks++;
    return exact_step(w, t, v, r);
}

/* One walk from start into out (at most len ids); returns its length. */
static int32_t walk(const struct walker *w, int32_t start, int32_t len, struct emb_rng *r, int32_t *out,
                    struct thread_stats *st) {
    const struct emb_graph *g = w->g;
    out[0] = start;
    int32_t n = 1;
    while (n < len) {
        int32_t v = out[n - 1];
        int64_t d = emb_graph_degree(g, v);
        if (d == 0) break;
        int32_t x;
        if (n == 1 || !w->second_order) {
            x = g->adj[first_order(w, v, d, r)];
            st->n_proposals++;
        } else {
            x = second_order(w, out[n - 2], v, d, r, st);
        }
        out[n++] = x;
    }
    st->n_steps += n - 1;
    return n;
}

/* ---- batches --------------------------------------------------------------- */

/* A group: the units of one pool run, written into one of two buffers. */
struct group {
    int32_t *ids;  /* (n_slots, batch * walk_length) */
    int32_t *lens; /* (n_slots, batch) walk lengths */
    int64_t first_unit, n_units;
};

struct walk_job {
    const struct walker *w;
    const struct emb_walk_params *p;
    int32_t *order;       /* (n_nodes) this round's shuffled start nodes */
    uint64_t seed;
    uint64_t round;
    int64_t batch;        /* walks per unit */
    struct group buf[2];  /* double buffer: one is filled while the other is emitted */
    int fill;             /* buffer the walkers fill in this run */
    int pending;          /* the other buffer holds walks not yet emitted */
    _Atomic int64_t next; /* units handed out in this run */
    struct thread_stats *st; /* (n_threads) */
    /* Output, touched only by thread 0 (or the caller between runs). */
    struct emb_stream *s;
    int64_t *visits;
    FILE *f;
    int rc;
    struct emb_err *err;
};

/* Append one group, in unit order, to the stream, the visit counts and the
 * walk file. */
static int emit_group(struct walk_job *j, const struct group *gr) {
    const struct emb_graph *g = j->w->g;
    const int64_t L = j->p->walk_length;
    for (int64_t k = 0; k < gr->n_units; k++) {
        int64_t pos0 = (gr->first_unit + k) * j->batch;
        int64_t n_walks = pos0 + j->batch < g->n_nodes ? j->batch : g->n_nodes - pos0;
        for (int64_t i = 0; i < n_walks; i++) {
            const int32_t *ids = gr->ids + (k * j->batch + i) * L;
            int32_t n = gr->lens[k * j->batch + i];
            for (int32_t t = 0; t < n; t++) {
                int rc = emb_stream_push(j->s, ids[t], j->err);
                if (rc != EMB_OK) return rc;
                j->visits[ids[t]]++;
                if (j->f) {
                    if (t) putc(' ', j->f);
                    fputs(emb_vocab_word(g->names, ids[t]), j->f);
                }
            }
            if (j->f) putc('\n', j->f);
            int rc = emb_stream_end_sentence(j->s, j->err);
            if (rc != EMB_OK) return rc;
        }
    }
    return EMB_OK;
}

/* Thread 0 first emits the previous group (so encoding overlaps with the
 * other threads' walks), then everybody takes units of this group. */
static void walk_worker(void *ctx, int ith, int nth) {
    (void)nth;
    struct walk_job *j = ctx;
    if (ith == 0 && j->pending) {
        j->rc = emit_group(j, &j->buf[!j->fill]);
        j->pending = 0;
    }
    const struct group *gr = &j->buf[j->fill];
    const int32_t n_nodes = j->w->g->n_nodes, L = j->p->walk_length;
    for (;;) {
        int64_t k = atomic_fetch_add(&j->next, 1);
        if (k >= gr->n_units) break;
        int64_t pos0 = (gr->first_unit + k) * j->batch;
        int64_t pos1 = pos0 + j->batch < n_nodes ? pos0 + j->batch : n_nodes;
        int32_t *ids = gr->ids + k * j->batch * L, *lens = gr->lens + k * j->batch;
        struct thread_stats st = {0}; /* counted locally: no shared cache line in the loop */
        for (int64_t i = pos0; i < pos1; i++) {
            int32_t start = j->order[i];
            struct emb_rng r;
            emb_rng_seed(&r, j->seed, (j->round << 32) | (uint64_t)start);
            lens[i - pos0] = walk(j->w, start, L, &r, ids + (i - pos0) * L, &st);
        }
        j->st[ith].n_steps += st.n_steps;
        j->st[ith].n_proposals += st.n_proposals;
        j->st[ith].n_fallbacks += st.n_fallbacks;
    }
}

/* Round `round`'s order of start nodes: Fisher-Yates from its own stream. */
static void shuffle_round(int32_t *order, int32_t n, uint64_t seed, int32_t round) {
    struct emb_rng r;
    emb_rng_seed(&r, seed, ((uint64_t)round << 32) | SHUFFLE_STREAM);
    for (int32_t i = 0; i < n; i++) order[i] = i;
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t k = (int32_t)emb_rng_below(&r, (uint64_t)i + 1), tmp = order[i];
        order[i] = order[k];
        order[k] = tmp;
    }
}

/* The per-thread counters summed into stats (n_walks and times left to the caller). */
static void sum_stats(const struct walk_job *j, int n_threads, struct emb_walk_stats *st) {
    memset(st, 0, sizeof *st);
    for (int t = 0; t < n_threads; t++) {
        st->n_steps += j->st[t].n_steps;
        st->n_proposals += j->st[t].n_proposals;
        st->n_fallbacks += j->st[t].n_fallbacks;
    }
}

/* Every round, group by group: the walkers fill one buffer while thread 0
 * emits the other. Reports progress (phase "walks") and honours o->stop. */
static int run_rounds(struct walk_job *j, struct emb_pool *pool, int64_t n_slots, const struct emb_train_opts *o,
                      struct emb_err *err) {
    const struct emb_walk_params *p = j->p;
    const int32_t n = j->w->g->n_nodes;
    const int n_threads = emb_pool_size(pool);
    const int64_t units_per_round = (n + j->batch - 1) / j->batch;
    const int64_t total_walks = (int64_t)p->walks_per_node * n;
    int64_t walks_done = 0;
    struct emb_train_clock clock;
    emb_train_clock_start(&clock, o);
    for (int32_t round = 0; round < p->walks_per_node; round++) {
        shuffle_round(j->order, n, j->seed, round);
        j->round = (uint64_t)round;
        for (int64_t u0 = 0; u0 < units_per_round; u0 += n_slots) {
            if (emb_train_stopped(o)) return emb_err_set(err, EMB_EINTR, "interrupted while generating walks");
            struct group *gr = &j->buf[j->fill];
            gr->first_unit = u0;
            gr->n_units = units_per_round - u0 < n_slots ? units_per_round - u0 : n_slots;
            atomic_store(&j->next, 0);
            emb_pool_run(pool, walk_worker, j);
            if (j->rc != EMB_OK) return j->rc;
            j->pending = 1;
            j->fill = !j->fill;
            int64_t pos_end = (u0 + gr->n_units) * j->batch;
            walks_done += (pos_end < n ? pos_end : n) - u0 * j->batch;
            if (o->progress && (walks_done == total_walks || emb_train_clock_tick_due(&clock))) {
                struct emb_walk_stats st;
                sum_stats(j, n_threads, &st);
                struct emb_train_progress pr = emb_train_progress_init("steps");
                pr.phase = "walks";
                pr.elapsed_sec = emb_train_clock_elapsed(&clock);
                pr.fraction = (double)walks_done / (double)total_walks;
                pr.rate = pr.elapsed_sec > 0 ? st.n_steps / pr.elapsed_sec : 0;
                pr.eta_sec = pr.elapsed_sec * (double)(total_walks - walks_done) / (double)walks_done;
                pr.step = walks_done;
                pr.n_steps = total_walks;
                o->progress(o->progress_ctx, &pr);
            }
        }
    }
    if (j->pending) return emit_group(j, &j->buf[!j->fill]);
    return EMB_OK;
}

int emb_walk_generate(const struct emb_graph *g, const struct emb_walk_params *p, const struct emb_train_opts *o,
                      struct emb_stream **stream_out, int64_t **visits_out, struct emb_walk_stats *stats,
                      struct emb_err *err) {
    *stream_out = NULL;
    if (visits_out) *visits_out = NULL;
    int rc = emb_walk_params_check(p, err);
    if (rc == EMB_OK) rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    const int n_threads = emb_train_threads(o);
    const int32_t n = g->n_nodes, L = p->walk_length;
    struct walker w;
    memset(&w, 0, sizeof w);
    w.g = g;
    w.inv_p = 1.0 / p->p;
    w.inv_q = 1.0 / p->q;
    w.lo_bias = w.inv_q < 1.0 ? w.inv_q : 1.0;
    w.hi_bias = w.inv_q > 1.0 ? w.inv_q : 1.0;
    w.max_bias = w.hi_bias > w.inv_p ? w.hi_bias : w.inv_p;
    w.second_order = !(p->p == 1.0 && p->q == 1.0);
    struct emb_pool *own_pool = NULL;
    struct emb_stream *s = NULL;
    struct emb_outfile *of = NULL;
    FILE *f = NULL;
    int64_t *visits = emb_calloc((size_t)(n > 0 ? n : 1), sizeof *visits);
    int32_t *order = emb_alloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    struct walk_job j;
    memset(&j, 0, sizeof j);
    /* Unit size: at most UNIT_IDS ids, and a group at most GROUP_IDS. */
    int64_t n_slots = (int64_t)n_threads * UNITS_PER_THREAD;
    int64_t unit_ids = GROUP_IDS / n_slots < UNIT_IDS ? GROUP_IDS / n_slots : UNIT_IDS;
    j.batch = unit_ids / L > 0 ? unit_ids / L : 1;
    if (j.batch > n) j.batch = n;
    if (n_slots > (n + j.batch - 1) / j.batch) n_slots = (n + j.batch - 1) / j.batch;
    for (int b = 0; b < 2; b++) {
        j.buf[b].ids = emb_alloc((size_t)(n_slots * j.batch * L) * sizeof *j.buf[b].ids);
        j.buf[b].lens = emb_alloc((size_t)(n_slots * j.batch) * sizeof *j.buf[b].lens);
    }
    j.st = emb_calloc((size_t)n_threads, sizeof *j.st);
    if (!visits || !order || !j.buf[0].ids || !j.buf[0].lens || !j.buf[1].ids || !j.buf[1].lens || !j.st) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for the walks");
        goto done;
    }
    double t0 = emb_train_now();
    if (g->weights && (rc = build_alias(&w, err)) != EMB_OK) goto done;
    if (!o->pool && (rc = emb_pool_new(&own_pool, n_threads, err)) != EMB_OK) goto done;
    if ((rc = emb_stream_new(&s, err)) != EMB_OK) goto done;
    if (p->save_path) {
        if ((rc = emb_outfile_open(&of, p->save_path, err)) != EMB_OK) goto done;
        f = emb_outfile_stream(of);
    }
    j.w = &w;
    j.p = p;
    j.order = order;
    j.s = s;
    j.visits = visits;
    j.f = f;
    j.err = err;
    j.seed = o->seed;
    if ((rc = run_rounds(&j, o->pool ? o->pool : own_pool, n_slots, o, err)) != EMB_OK) goto done;
    if ((rc = emb_stream_finish(s, p->chunk_tokens, err)) != EMB_OK) goto done;
    if (of) {
        rc = emb_outfile_commit(of, err);
        of = NULL;
        if (rc != EMB_OK) goto done;
    }
    if (stats) {
        sum_stats(&j, n_threads, stats);
        stats->n_walks = (int64_t)p->walks_per_node * n;
        stats->seconds = emb_train_now() - t0;
        stats->steps_per_sec = stats->seconds > 0 ? stats->n_steps / stats->seconds : 0;
    }
done:
    emb_outfile_abort(of);
    emb_pool_free(own_pool);
    emb_free(order);
    for (int b = 0; b < 2; b++) {
        emb_free(j.buf[b].ids);
        emb_free(j.buf[b].lens);
    }
    emb_free(j.st);
    emb_free(w.prob);
    emb_free(w.alias);
    if (rc != EMB_OK) {
        emb_stream_free(s);
        emb_free(visits);
        return rc;
    }
    *stream_out = s;
    if (visits_out) *visits_out = visits;
    else emb_free(visits);
    return EMB_OK;
}
