/* hnsw.c -- approximate search with a Hierarchical Navigable Small World
 * graph (Malkov & Yashunin, "Efficient and robust approximate nearest
 * neighbor search using HNSW graphs", TPAMI 2018).
 *
 * Each row is a node with a random level L (P(L >= l) = M^-l). Level l
 * links every node of level >= l to at most M others (2M on level 0),
 * chosen by the paper's heuristic (Algorithm 4): a candidate is kept only
 * if it is closer to the new node than to every neighbour kept so far,
 * which spreads links over directions. A search greedily descends from the
 * entry point (the top node) through the upper levels, then runs a
 * best-first search with ef candidates on level 0 (Algorithm 2).
 *
 * DESIGN, after hnswlib: a node's vector, |x|^2 and level-0 links sit in
 * one 64-byte aligned block, so a hop reads one contiguous run; a visited
 * list with epoch tags per search context makes "clear" one increment;
 * the next neighbour's vector is prefetched while the current one is
 * scored. Building runs on pool threads, each inserting the next unclaimed
 * row; link lists are guarded by one spin lock per node, taken both to
 * read (copying the list) and to write. Levels come from RNG stream i of
 * the seed for row i, so with one thread a build is the same every time. */
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "emb/rng.h"
#include "index_impl.h"

/* ---- memory ----------------------------------------------------------------- */

int emb__hnsw_reserve(struct emb_index *ix, int64_t cap, struct emb_err *err) {
    char *l0 = emb_alloc_aligned((size_t)cap * ix->node_bytes);
    uint8_t *lv = emb_calloc((size_t)cap, 1);
    uint32_t **up = emb_calloc((size_t)cap, sizeof *up);
    atomic_uchar *locks = emb_calloc((size_t)cap, sizeof *locks);
    if (!l0 || !lv || !up || !locks) {
        emb_free_aligned(l0);
        emb_free(lv);
        emb_free(up);
        emb_free((void *)locks);
        return emb_err_set(err, EMB_ENOMEM, "out of memory growing the index to %lld rows", (long long)cap);
    }
    /* Zero the new blocks: padding and unused link slots are saved as is. */
    memset(l0 + (size_t)ix->n * ix->node_bytes, 0, (size_t)(cap - ix->n) * ix->node_bytes);
    if (ix->n) {
        memcpy(l0, ix->level0, (size_t)ix->n * ix->node_bytes);
        memcpy(lv, ix->levels, (size_t)ix->n);
        memcpy(up, ix->upper, (size_t)ix->n * sizeof *up);
    }
    if (ix->own_level0) emb_free_aligned(ix->level0);
    if (ix->own_levels) emb_free(ix->levels);
    emb_free(ix->upper);
    emb_free((void *)ix->locks);
    ix->level0 = l0;
    ix->levels = lv;
    ix->upper = up;
    ix->locks = locks;
    ix->own_level0 = ix->own_levels = 1;
    return EMB_OK;
}

/* ---- small pieces ------------------------------------------------------------- */

/* Spin briefly, then yield: on a busy machine the holder may have been
 * descheduled, and spinning through its time slice would waste ours. */
static inline void lock_node(const struct emb_index *ix, int64_t i) {
    for (int spins = 0; atomic_exchange_explicit(&ix->locks[i], 1, memory_order_acquire); spins++)
        if (spins >= 64) sched_yield();
}
static inline void unlock_node(const struct emb_index *ix, int64_t i) {
    atomic_store_explicit(&ix->locks[i], 0, memory_order_release);
}

/* Similarity of stored row j to vector a (stride floats) whose |a|^2 is
 * irrelevant: x.a, or 2 x.a - |x|^2 for L2 (ranks like -|x - a|^2). */
static inline float sim_to(const struct emb_index *ix, const float *a, int64_t j) {
    float d = ix->ops.dot(ix->stride, a, ix_node_vec(ix, j));
    return ix->metric == EMB_METRIC_L2 ? 2.0f * d - *ix_node_sqnorm(ix, j) : d;
}

/* Given s = sim_to(a-row, j), the similarity seen from j's side,
 * sim_to(j-row, a): the same for dot products, shifted for L2. */
static inline float sim_flip(const struct emb_index *ix, float s, int64_t a, int64_t j) {
    return ix->metric == EMB_METRIC_L2 ? s + *ix_node_sqnorm(ix, j) - *ix_node_sqnorm(ix, a) : s;
}

/* Copy node i's list at lev into buf (count first); locks while building. */
static inline const uint32_t *read_links(const struct emb_index *ix, int64_t i, int lev, uint32_t *buf) {
    const uint32_t *l = ix_node_links(ix, i, lev);
    if (!ix->building) return l;
    lock_node(ix, i);
    memcpy(buf, l, (size_t)(l[0] + 1) * sizeof *buf);
    unlock_node(ix, i);
    return buf;
}

static inline uint16_t next_epoch(struct ix_ctx *c) {
    if (++c->epoch == 0) {
        memset(c->tags, 0, (size_t)c->cap * sizeof *c->tags);
        c->epoch = 1;
    }
    return c->epoch;
}

/* ---- heaps of (sim, id) ---------------------------------------------------------- */

/* top: min-heap (root = worst kept); cand: max-heap (root = best to expand). */
static inline void heap_push(float *s, uint32_t *id, int64_t *n, float v, uint32_t x, int max_heap) {
    int64_t i = (*n)++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (max_heap ? s[p] >= v : s[p] <= v) break;
        s[i] = s[p];
        id[i] = id[p];
        i = p;
    }
    s[i] = v;
    id[i] = x;
}

static inline void heap_pop(float *s, uint32_t *id, int64_t *n, int max_heap) {
    int64_t m = --(*n);
    if (m == 0) return;
    float v = s[m];
    uint32_t x = id[m];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && (max_heap ? s[c + 1] > s[c] : s[c + 1] < s[c])) c++;
        if (max_heap ? s[c] <= v : s[c] >= v) break;
        s[i] = s[c];
        id[i] = id[c];
        i = c;
    }
    s[i] = v;
    id[i] = x;
}

/* Make room for one more candidate. */
static int cand_room(struct ix_ctx *c, int64_t n) {
    if (n < c->heap_cap) return EMB_OK;
    int64_t cap = c->heap_cap * 2;
    float *s = emb_realloc(c->cand_s, (size_t)cap * sizeof *s);
    if (s) c->cand_s = s;
    uint32_t *i = emb_realloc(c->cand_i, (size_t)cap * sizeof *i);
    if (i) c->cand_i = i;
    float *t = emb_realloc(c->top_s, (size_t)cap * sizeof *t);
    if (t) c->top_s = t;
    uint32_t *ti = emb_realloc(c->top_i, (size_t)cap * sizeof *ti);
    if (ti) c->top_i = ti;
    if (!s || !i || !t || !ti) return EMB_ENOMEM;
    c->heap_cap = cap;
    return EMB_OK;
}

/* ---- search contexts ---------------------------------------------------------- */

static void ctx_release(const struct emb_index *cix, struct ix_ctx *c) {
    struct emb_index *ix = (struct emb_index *)cix;
    if (!c) return;
    pthread_mutex_lock(&ix->global);
    c->next = ix->free_ctx;
    ix->free_ctx = c;
    pthread_mutex_unlock(&ix->global);
}

/* A search context with room for heap_need heap entries, from the index's
 * free list or new; NULL on ENOMEM. */
static struct ix_ctx *ctx_acquire(const struct emb_index *cix, int64_t heap_need) {
    /* The free list is the one mutable part of a loaded index, guarded by
     * its mutex, as hnswlib guards its VisitedListPool. */
    struct emb_index *ix = (struct emb_index *)cix;
    pthread_mutex_lock(&ix->global);
    struct ix_ctx *c = ix->free_ctx;
    if (c) ix->free_ctx = c->next;
    pthread_mutex_unlock(&ix->global);
    if (!c) {
        c = emb_calloc(1, sizeof *c);
        if (!c) return NULL;
    }
    {
        if (c->cap < ix->n) {
            int64_t cap = ix->cap > ix->n ? ix->cap : ix->n;
            emb_free(c->tags);
            c->tags = emb_calloc((size_t)cap, sizeof *c->tags);
            c->cap = c->tags ? cap : 0;
            c->epoch = 0;
            if (!c->tags) goto fail;
        }
        if (!c->links) {
            c->links = emb_alloc((size_t)(ix->M0 + 1) * sizeof *c->links);
            if (!c->links) goto fail;
        }
        if (c->heap_cap < heap_need) {
            emb_free(c->cand_s);
            emb_free(c->top_s);
            emb_free(c->cand_i);
            emb_free(c->top_i);
            /* cand can hold every neighbour of every expanded node; it is
             * grown on demand (cand_room), top needs ef + 1. */
            c->cand_s = emb_alloc((size_t)heap_need * sizeof(float));
            c->top_s = emb_alloc((size_t)heap_need * sizeof(float));
            c->cand_i = emb_alloc((size_t)heap_need * sizeof(uint32_t));
            c->top_i = emb_alloc((size_t)heap_need * sizeof(uint32_t));
            c->heap_cap = heap_need;
            if (!c->cand_s || !c->top_s || !c->cand_i || !c->top_i) {
                c->heap_cap = 0;
                goto fail;
            }
        }
    }
    return c;
fail:
    ctx_release(ix, c);
    return NULL;
}

void emb__hnsw_ctx_free_all(struct emb_index *ix) {
    while (ix->free_ctx) {
        struct ix_ctx *c = ix->free_ctx;
        ix->free_ctx = c->next;
        emb_free(c->tags);
        emb_free(c->cand_s);
        emb_free(c->top_s);
        emb_free(c->cand_i);
        emb_free(c->top_i);
        emb_free(c->links);
        emb_free(c);
    }
}

/* ---- search on one level: hnsw_level.h, compiled twice ------------------------- */

#define HL_NAME(x) x##_any
#define HL_ATTR
#define HL_SIM(ix, a, j) sim_to(ix, a, j)
#include "hnsw_level.h"
#undef HL_NAME
#undef HL_ATTR
#undef HL_SIM

#if EMB_X86
#include <immintrin.h>

/* x . y for n a multiple of 16 (the stride), two accumulators: the sum
 * order of vec.c's dot_avx512 on padded rows, so the scores are the ones
 * ix->ops.dot gives. Written here, not called through ops, so that it
 * inlines into the innermost loop of the search. */
EMB_TARGET_AVX512 static inline float dot512(const float *x, const float *y, int32_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    if (i < n) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

EMB_TARGET_AVX512 static inline float sim_to_512(const struct emb_index *ix, const float *a, int64_t j) {
    float d = dot512(a, ix_node_vec(ix, j), ix->stride);
    return ix->metric == EMB_METRIC_L2 ? 2.0f * d - *ix_node_sqnorm(ix, j) : d;
}

#define HL_NAME(x) x##_512
#define HL_ATTR EMB_TARGET_AVX512
#define HL_SIM(ix, a, j) sim_to_512(ix, a, j)
#include "hnsw_level.h"
#undef HL_NAME
#undef HL_ATTR
#undef HL_SIM
#endif

/* The AVX-512 loops when the index's kernels are AVX-512 (the CPU has it). */
static int search_level(const struct emb_index *ix, struct ix_ctx *c, const float *q, int64_t ep, int ef, int lev,
                        int64_t *n_top) {
#if EMB_X86
    if (ix->ops.kind == EMB_SIMD_AVX512) return search_level_512(ix, c, q, ep, ef, lev, n_top);
#endif
    return search_level_any(ix, c, q, ep, ef, lev, n_top);
}

static int64_t greedy(const struct emb_index *ix, struct ix_ctx *c, const float *q, int64_t cur, float *cur_s, int lev) {
#if EMB_X86
    if (ix->ops.kind == EMB_SIMD_AVX512) return greedy_512(ix, c, q, cur, cur_s, lev);
#endif
    return greedy_any(ix, c, q, cur, cur_s, lev);
}

/* ---- searching ------------------------------------------------------------------- */

int emb__hnsw_search(const struct emb_index *ix, const float *q, float qsq, int k, int ef, int64_t *ids,
                     float *scores, struct emb_err *err) {
    if (ef <= 0) ef = ix->ef_search;
    if (ef < k) ef = k;
    struct ix_ctx *c = ctx_acquire(ix, (int64_t)ef + 2 * ix->M0 + 2);
    if (!c) return emb_err_set(err, EMB_ENOMEM, "out of memory for a search");
    int rc;
    int64_t cur = ix->entry;
    float cur_s = sim_to(ix, q, cur);
    for (int lev = ix->max_level; lev > 0; lev--) cur = greedy(ix, c, q, cur, &cur_s, lev);
    int64_t nt = 0;
    if (search_level(ix, c, q, cur, ef, 0, &nt) != EMB_OK) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for a search");
        goto done;
    }
    /* Drop the worst until k remain, then pop the rest worst first. */
    while (nt > k) heap_pop(c->top_s, c->top_i, &nt, 0);
    int got = (int)nt;
    for (int64_t r = nt - 1; r >= 0; r--) {
        ids[r] = c->top_i[0];
        scores[r] = ix_report(ix, c->top_s[0], qsq);
        heap_pop(c->top_s, c->top_i, &nt, 0);
    }
    rc = got;
done:
    ctx_release(ix, c);
    return rc;
}

/* ---- building -------------------------------------------------------------------- */

/* Algorithm 4 (hnswlib's getNeighborsByHeuristic2): from candidates
 * (ids, sims to the anchor a), keep at most m, best first, each one closer
 * to a than to any kept before it. Writes the kept ids to out; returns
 * the count. Sorts the candidates in place. */
static int select_heuristic(const struct emb_index *ix, int64_t a, uint32_t *ids, float *sims, int n, int m,
                            uint32_t *out) {
    /* Insertion sort by similarity, best first: n is at most ef or 2M + 1. */
    for (int i = 1; i < n; i++) {
        float s = sims[i];
        uint32_t x = ids[i];
        int j = i - 1;
        while (j >= 0 && (sims[j] < s || (sims[j] == s && ids[j] > x))) {
            sims[j + 1] = sims[j];
            ids[j + 1] = ids[j];
            j--;
        }
        sims[j + 1] = s;
        ids[j + 1] = x;
    }
    if (n <= m) {
        memcpy(out, ids, (size_t)n * sizeof *out);
        return n;
    }
    int kept = 0;
    for (int i = 0; i < n && kept < m; i++) {
        uint32_t cnd = ids[i];
        const float *cv = ix_node_vec(ix, cnd);
        float to_a = sim_flip(ix, sims[i], a, cnd); /* sim_to(cnd, a) */
        int good = 1;
        for (int r = 0; r < kept && good; r++)
            if (sim_to(ix, cv, out[r]) > to_a) good = 0;
        if (good) out[kept++] = cnd;
    }
    return kept;
}

/* Per-thread build scratch: a search context plus candidate arrays. */
struct build_scratch {
    struct ix_ctx *c;
    uint32_t *ids, *sel; /* (max(ef_construction, M0 + M)) */
    uint32_t *mine;      /* (M) the new node's chosen neighbours */
    float *sims;
};

/* Add q to neighbour e's list at lev, shrinking it with the heuristic
 * when full. sim_eq = sim_to(e-row, q). */
static void link_back(struct emb_index *ix, struct build_scratch *b, int64_t e, int64_t q, float sim_eq, int lev) {
    int mmax = lev == 0 ? ix->M0 : ix->M;
    lock_node(ix, e);
    uint32_t *l = ix_node_links(ix, e, lev);
    uint32_t cnt = l[0];
    int dup = 0;
    for (uint32_t t = 1; t <= cnt; t++) dup |= l[t] == q;
    if (!dup) {
        if ((int)cnt < mmax) {
            l[cnt + 1] = (uint32_t)q;
            l[0] = cnt + 1;
        } else {
            const float *ev = ix_node_vec(ix, e);
            for (uint32_t t = 0; t < cnt; t++) {
                b->ids[t] = l[t + 1];
                b->sims[t] = sim_to(ix, ev, l[t + 1]);
            }
            b->ids[cnt] = (uint32_t)q;
            b->sims[cnt] = sim_eq;
            int kept = select_heuristic(ix, e, b->ids, b->sims, (int)cnt + 1, mmax, b->sel);
            memcpy(l + 1, b->sel, (size_t)kept * sizeof *l);
            l[0] = (uint32_t)kept;
        }
    }
    unlock_node(ix, e);
}

/* Write q's list at lev: its kept neighbours b->mine[0..kept). A new node
 * (merge) can be reached by other inserting threads through its upper
 * levels before this list is written, and they may already have linked
 * themselves into it (link_back); overwriting would drop those back-links
 * and leave such a node reachable from nowhere. So the links found in the
 * list are merged with ours under the node's lock, and pruned by the same
 * heuristic as link_back when there are too many. A re-link (not merge)
 * replaces the old list; it runs with no other writer. */
static void set_links(struct emb_index *ix, struct build_scratch *b, int64_t q, int lev, int kept, int merge) {
    int mmax = lev == 0 ? ix->M0 : ix->M;
    lock_node(ix, q);
    uint32_t *l = ix_node_links(ix, q, lev);
    uint32_t cnt = merge ? l[0] : 0;
    if (cnt == 0) {
        memcpy(l + 1, b->mine, (size_t)kept * sizeof *l);
        l[0] = (uint32_t)kept;
    } else {
        int n = kept;
        memcpy(b->ids, b->mine, (size_t)kept * sizeof *b->ids);
        for (uint32_t t = 1; t <= cnt; t++) {
            int dup = 0;
            for (int i = 0; i < kept && !dup; i++) dup = b->mine[i] == l[t];
            if (!dup) b->ids[n++] = l[t];
        }
        if (n <= mmax) {
            memcpy(l + 1, b->ids, (size_t)n * sizeof *l);
            l[0] = (uint32_t)n;
        } else {
            const float *qv = ix_node_vec(ix, q);
            for (int i = 0; i < n; i++) b->sims[i] = sim_to(ix, qv, b->ids[i]);
            int k = select_heuristic(ix, q, b->ids, b->sims, n, mmax, b->sel);
            memcpy(l + 1, b->sel, (size_t)k * sizeof *l);
            l[0] = (uint32_t)k;
        }
    }
    unlock_node(ix, q);
}

/* Insert row q (vector stored, level set, lists empty) into the graph
 * (merge = 1). Also re-links a row already in the graph whose vector
 * changed (emb__hnsw_relink, merge = 0): q itself is never its own
 * neighbour, and its lists are replaced level by level. */
static int insert_one(struct emb_index *ix, struct build_scratch *b, int64_t q, int merge) {
    struct ix_ctx *c = b->c;
    int L = ix->levels[q];
    pthread_mutex_lock(&ix->global);
    int64_t ep = ix->entry;
    int top = ix->max_level;
    int hold = L > top; /* a new top level: keep the entry point to ourselves */
    if (!hold) pthread_mutex_unlock(&ix->global);
    int rc = EMB_OK;
    if (ep < 0) { /* first node */
        ix->entry = q;
        ix->max_level = L;
        goto out;
    }
    const float *qv = ix_node_vec(ix, q);
    float cur_s = sim_to(ix, qv, ep);
    int64_t cur = ep;
    for (int lev = top; lev > L; lev--) cur = greedy(ix, c, qv, cur, &cur_s, lev);
    for (int lev = L < top ? L : top; lev >= 0; lev--) {
        int64_t nt = 0;
        if ((rc = search_level(ix, c, qv, cur, ix->ef_construction, lev, &nt)) != EMB_OK) goto out;
        /* The kept set, by similarity; the best is the next level's start. */
        int n = 0;
        for (int64_t i = 0; i < nt; i++)
            if (c->top_i[i] != (uint32_t)q) {
                b->ids[n] = c->top_i[i];
                b->sims[n++] = c->top_s[i];
            }
        int kept = select_heuristic(ix, q, b->ids, b->sims, n, ix->M, b->mine);
        if (n > 0) cur = b->ids[0];
        set_links(ix, b, q, lev, kept, merge);
        for (int i = 0; i < kept; i++) {
            int64_t e = b->mine[i];
            /* b->ids/sims are reused by link_back: recompute the sim. */
            float s = sim_to(ix, ix_node_vec(ix, e), q);
            link_back(ix, b, e, q, s, lev);
        }
    }
    if (hold) {
        ix->entry = q;
        ix->max_level = L;
    }
out:
    if (hold) pthread_mutex_unlock(&ix->global);
    return rc;
}

struct build_job {
    struct emb_index *ix;
    int64_t lo, hi;
    _Atomic int64_t next, done;
    _Atomic int rc;
    const struct emb_index_params *p;
};

/* Allocate b for inserting into ix; EMB_ENOMEM (b freed by scratch_free). */
static int scratch_alloc(struct emb_index *ix, struct build_scratch *b) {
    /* Room for a search's kept set, a full list plus one (link_back), and
     * a full list plus a new node's own M (set_links). */
    int64_t need = ix->ef_construction > ix->M0 + ix->M ? ix->ef_construction : ix->M0 + ix->M;
    memset(b, 0, sizeof *b);
    b->c = ctx_acquire(ix, (int64_t)ix->ef_construction + 2 * ix->M0 + 2);
    b->ids = emb_alloc((size_t)need * sizeof *b->ids);
    b->sel = emb_alloc((size_t)need * sizeof *b->sel);
    b->sims = emb_alloc((size_t)need * sizeof *b->sims);
    b->mine = emb_alloc((size_t)ix->M0 * sizeof *b->mine);
    return b->c && b->ids && b->sel && b->sims && b->mine ? EMB_OK : EMB_ENOMEM;
}

static void scratch_free(struct emb_index *ix, struct build_scratch *b) {
    ctx_release(ix, b->c);
    emb_free(b->ids);
    emb_free(b->sel);
    emb_free(b->sims);
    emb_free(b->mine);
}

static void build_slice(void *ctx, int ith, int nth) {
    (void)nth;
    struct build_job *j = ctx;
    struct emb_index *ix = j->ix;
    struct build_scratch b;
    if (scratch_alloc(ix, &b) != EMB_OK) {
        atomic_store(&j->rc, EMB_ENOMEM);
        goto done;
    }
    for (;;) {
        if (atomic_load(&j->rc) != EMB_OK) break;
        if (j->p->stop && *j->p->stop) {
            atomic_store(&j->rc, EMB_EINTR);
            break;
        }
        int64_t q = atomic_fetch_add(&j->next, 1);
        if (q >= j->hi) break;
        int rc = insert_one(ix, &b, q, 1);
        if (rc != EMB_OK) {
            atomic_store(&j->rc, rc);
            break;
        }
        int64_t d = atomic_fetch_add(&j->done, 1) + 1;
        if (ith == 0 && j->p->progress && (d & 1023) == 0) j->p->progress(j->p->progress_ctx, d, j->hi - j->lo);
    }
done:
    scratch_free(ix, &b);
}

int emb__hnsw_relink(struct emb_index *ix, int64_t q, struct emb_err *err) {
    if (ix->n < 2) return EMB_OK; /* alone: no links to make */
    struct build_scratch b;
    int rc = scratch_alloc(ix, &b);
    if (rc == EMB_OK) rc = insert_one(ix, &b, q, 0);
    scratch_free(ix, &b);
    return rc == EMB_OK ? EMB_OK : emb_err_set(err, rc, "out of memory re-linking row %lld", (long long)q);
}

/* Level for row i: floor(-ln(U) / ln(M)), from stream i of the seed. */
static int draw_level(const struct emb_index *ix, int64_t i) {
    struct emb_rng r;
    emb_rng_seed(&r, ix->seed, (uint64_t)i);
    double u = emb_rng_uniform_d(&r);
    if (u <= 0) u = 1e-300;
    double l = -log(u) * ix->level_mult;
    return l >= IX_MAX_LEVEL ? IX_MAX_LEVEL : (int)l;
}

int emb__hnsw_insert_range(struct emb_index *ix, int64_t lo, int64_t hi, struct emb_pool *pool,
                           const struct emb_index_params *p, struct emb_err *err) {
    /* Levels and empty lists first, so inserting threads only link. */
    for (int64_t i = lo; i < hi; i++) {
        int L = draw_level(ix, i);
        ix->levels[i] = (uint8_t)L;
        ix_node_links0(ix, i)[0] = 0;
        if (L > 0) {
            ix->upper[i] = emb_calloc((size_t)L * (size_t)(ix->M + 1), sizeof(uint32_t));
            if (!ix->upper[i]) return emb_err_set(err, EMB_ENOMEM, "out of memory building the index");
        }
    }
    struct build_job j = {.ix = ix, .lo = lo, .hi = hi, .p = p};
    atomic_init(&j.next, lo);
    atomic_init(&j.done, 0);
    atomic_init(&j.rc, EMB_OK);
    int nth = pool ? emb_pool_size(pool) : 1;
    if (ix->entry < 0 && nth > 1) { /* the first node alone: it becomes the entry point */
        j.hi = lo + 1;
        build_slice(&j, 0, 1);
        j.hi = hi;
        /* build_slice took one ticket past its end (lo + 1) before it saw
         * the end: hand it out again, or that row is never inserted. */
        atomic_store(&j.next, lo + 1);
    }
    if (nth == 1 || hi - lo < 2 * nth) {
        build_slice(&j, 0, 1);
    } else if (atomic_load(&j.rc) == EMB_OK) {
        ix->building = 1;
        emb_pool_run(pool, build_slice, &j);
        ix->building = 0;
    }
    int rc = atomic_load(&j.rc);
    if (rc == EMB_ENOMEM) return emb_err_set(err, rc, "out of memory building the index");
    if (rc == EMB_EINTR) return emb_err_set(err, rc, "index build stopped after %lld of %lld rows",
                                            (long long)atomic_load(&j.done), (long long)(hi - lo));
    if (rc != EMB_OK) return emb_err_set(err, rc, "index build failed");
    if (p->progress) p->progress(p->progress_ctx, hi - lo, hi - lo);
    return EMB_OK;
}

/* ---- checking a loaded graph -------------------------------------------------- */

int emb__hnsw_validate(const struct emb_index *ix, const char *path, struct emb_err *err) {
    for (int64_t i = 0; i < ix->n; i++) {
        for (int lev = 0; lev <= ix->levels[i]; lev++) {
            const uint32_t *l = ix_node_links(ix, i, lev);
            uint32_t cap = lev == 0 ? (uint32_t)ix->M0 : (uint32_t)ix->M;
            if (l[0] > cap)
                return emb_err_set(err, EMB_EFORMAT, "%s: node %lld has %u links on level %d (at most %u)", path,
                                   (long long)i, l[0], lev, cap);
            for (uint32_t t = 1; t <= l[0]; t++)
                if (l[t] >= (uint64_t)ix->n || ix->levels[l[t]] < lev)
                    return emb_err_set(err, EMB_EFORMAT, "%s: node %lld links to a bad node %u on level %d", path,
                                       (long long)i, l[t], lev);
        }
    }
    return EMB_OK;
}
