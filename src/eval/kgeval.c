/* kgeval.c -- filtered link-prediction ranking, Countries AUC-PR and
 * top-k answers for knowledge-graph embeddings (kgeval.h).
 *
 * DESIGN: every model's score of (h, r, t) is written as a function of a
 * query vector q and a candidate entity row e, so that all candidates of
 * many queries are scored by one blocked kernel:
 *
 *   model     tails of (h, r, ?)          heads of (?, r, t)          score(q, e)
 *   TransE    q = h + r                   q = t - r                   gamma - ||q - e||_p
 *   DistMult  q = h o r                   q = r o t                   q . e
 *   ComplEx   q = h o r                   q = conj(r o conj t)        Re(q) . Re(e) + Im(q) . Im(e)
 *   RotatE    q = h o exp(i theta)        q = t o exp(-i theta)       gamma - sum_i |q_i - e_i|
 *
 * (ComplEx: Re(<h, r, conj t>) = Re(sum q conj e); RotatE: |h o r - t| =
 * |h - t o conj r| since |r_i| = 1.) Rows keep the table layout: complex
 * rows are dim real parts then dim imaginary parts, zero padded to
 * dim_padded, so dot products and L1/L2 distances run over whole padded
 * rows without a tail.
 *
 * A worker takes a block of up to 64 queries, builds their q rows, scores
 * every entity into a (queries x entities) buffer with a 4 x 4 register
 * block (4 entity rows stay in L1 while the query block streams from L2),
 * then ranks each triple of each query against the filter lists. Ranks
 * land in per-triple arrays and are summed in split order at the end, so
 * results do not depend on the thread count or the block schedule. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "emb/kgeval.h"
#include "emb/pool.h"
#include "emb/rank.h"
#include "kgeval_internal.h"

/* Queries scored together; the score buffer is (QB x n_entities) floats
 * per thread, capped at SCORE_BUF_BYTES for very large graphs. */
#define QB_MAX 64
#define SCORE_BUF_BYTES ((int64_t)64 << 20)

struct emb_kgeval_params emb_kgeval_default_params(void) {
    struct emb_kgeval_params p;
    memset(&p, 0, sizeof p);
    p.split = EMB_KGEVAL_TEST;
    p.n_threads = 1;
    p.scorer = EMB_KGEVAL_BATCHED;
    p.simd = EMB_SIMD_AUTO;
    return p;
}

/* ---- ranks and metrics ------------------------------------------------ */

double emb_kgeval_rank(const float *scores, int64_t n, int64_t target, const int32_t *filtered, int64_t n_filtered) {
    return emb_rank_filtered(scores, n, target, filtered, n_filtered);
}

/* Running sums for metrics (rank.h), added in a fixed order. */
struct acc {
    struct emb_rank_acc r;
};

static void acc_add(struct acc *a, double rank) { emb_rank_acc_add(&a->r, rank); }

static struct emb_kgeval_metrics acc_metrics(const struct acc *a) {
    struct emb_rank_metrics r = emb_rank_metrics(&a->r);
    struct emb_kgeval_metrics m = {r.n, r.mr, r.mrr, r.hits[0], r.hits[1], r.hits[2]};
    return m;
}

struct emb_kgeval_metrics emb_kgeval_metrics_of(const double *ranks, int64_t n) {
    struct acc a;
    memset(&a, 0, sizeof a);
    for (int64_t i = 0; i < n; i++) acc_add(&a, ranks[i]);
    return acc_metrics(&a);
}

/* ---- model shape and query vectors -------------------------------------- */


/* Check the tables have the shape of the model's kind; fill k. */
static int model_kern(const struct emb_kge *m, struct kern *k, struct emb_err *err) {
    if (!m || !m->ent || !m->rel || !m->ent_names || !m->rel_names)
        return emb_err_set(err, EMB_EINVAL, "the model is incomplete");
    int32_t d = m->dim, ed = m->ent->dim, rd = m->rel->dim;
    int complex_ent = m->model == EMB_KGE_COMPLEX || m->model == EMB_KGE_ROTATE;
    int32_t want_ed = complex_ent ? 2 * d : d, want_rd = m->model == EMB_KGE_COMPLEX ? 2 * d : d;
    if (d < 1 || ed != want_ed || rd != want_rd)
        return emb_err_set(err, EMB_EFORMAT, "%s model of dim %d has entity rows of %d and relation rows of %d floats",
                           emb_kge_model_name(m->model), d, ed, rd);
    if (m->ent->n_rows != emb_vocab_size(m->ent_names) || emb_kge_n_relations(m) != emb_vocab_size(m->rel_names) ||
        m->rel->n_rows != (m->reciprocal ? 2 : 1) * (int64_t)emb_kge_n_relations(m))
        return emb_err_set(err, EMB_EFORMAT, "model tables and name lists differ in size");
    if (m->ent->n_rows < 1) return emb_err_set(err, EMB_EEMPTY, "the model has no entities");
    memset(k, 0, sizeof *k);
    k->E = m->ent->data;
    k->n_ent = m->ent->n_rows;
    k->lde = k->L = m->ent->dim_padded;
    k->half = d;
    k->gamma = m->gamma;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (m->p_norm != 1 && m->p_norm != 2) return emb_err_set(err, EMB_EFORMAT, "TransE p_norm %d", m->p_norm);
        k->kind = m->p_norm == 1 ? K_L1 : K_L2;
        break;
    case EMB_KGE_DISTMULT:
    case EMB_KGE_COMPLEX: k->kind = K_DOT; break;
    case EMB_KGE_ROTATE: k->kind = K_ROT; break;
    default: return emb_err_set(err, EMB_EFORMAT, "unknown model kind %d", (int)m->model);
    }
    return EMB_OK;
}

/* q: (lde) zero-padded query row for (a, r, ?) when dir is TAIL (a = h)
 * or (?, r, a) when HEAD (a = t). See the table at the top. */
static void make_query(const struct emb_kge *m, enum emb_kgeval_dir dir, int32_t a, int32_t r, float *q) {
    memset(q, 0, (size_t)m->ent->dim_padded * sizeof *q);
    emb_kge_query_row(m, dir == EMB_KGEVAL_HEAD, a, r, q);
}

/* ---- name mapping and filter index ------------------------------------- */

/* map[dataset id] = model id for entities (ents) and relations (rels).
 * NULL model: identity. */
static int map_names(const struct emb_kge *m, const struct emb_kg *kg, int32_t **ents, int32_t **rels,
                     struct emb_err *err) {
    *ents = emb_alloc(((size_t)kg->n_entities + 1) * sizeof **ents);
    *rels = emb_alloc(((size_t)kg->n_relations + 1) * sizeof **rels);
    if (!*ents || !*rels) return emb_err_set(err, EMB_ENOMEM, "out of memory for the name maps");
    for (int32_t i = 0; i < kg->n_entities; i++) {
        const char *w = emb_vocab_word(kg->entities, i);
        int32_t id = m ? emb_vocab_find(m->ent_names, w, strlen(w)) : i;
        if (id < 0)
            return emb_err_set(err, EMB_ENOTFOUND,
                               "entity '%.100s' of the dataset is not in the model (trained on another dataset?)", w);
        (*ents)[i] = id;
    }
    for (int32_t i = 0; i < kg->n_relations; i++) {
        const char *w = emb_vocab_word(kg->relations, i);
        int32_t id = m ? emb_vocab_find(m->rel_names, w, strlen(w)) : i;
        if (id < 0)
            return emb_err_set(err, EMB_ENOTFOUND,
                               "relation '%.100s' of the dataset is not in the model (trained on another dataset?)", w);
        (*rels)[i] = id;
    }
    return EMB_OK;
}

/* One direction: sorted unique keys, CSR offsets into sorted unique values. */
struct csr {
    int64_t n_keys;
    int64_t *keys;    /* (n_keys) r * n_ent + anchor, ascending */
    int64_t *offsets; /* (n_keys + 1) */
    int32_t *vals;    /* (offsets[n_keys]) ascending within a key */
};

struct emb_kgeval_filter {
    int64_t n_ent, n_rel;
    struct csr tails, heads; /* tails: key (h, r); heads: key (t, r) */
};

struct kv {
    int64_t key;
    int32_t val;
};

static int kv_cmp(const void *a, const void *b) {
    const struct kv *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->val > y->val) - (x->val < y->val);
}

static int csr_build(struct csr *c, struct kv *kv, int64_t n) {
    qsort(kv, (size_t)n, sizeof *kv, kv_cmp);
    int64_t u = 0, nk = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && kv[i].key == kv[u - 1].key && kv[i].val == kv[u - 1].val) continue;
        if (u == 0 || kv[i].key != kv[u - 1].key) nk++;
        kv[u++] = kv[i];
    }
    c->n_keys = nk;
    c->keys = emb_alloc(((size_t)nk + 1) * sizeof *c->keys);
    c->offsets = emb_alloc(((size_t)nk + 1) * sizeof *c->offsets);
    c->vals = emb_alloc(((size_t)u + 1) * sizeof *c->vals);
    if (!c->keys || !c->offsets || !c->vals) return EMB_ENOMEM;
    int64_t k = -1;
    for (int64_t i = 0; i < u; i++) {
        if (k < 0 || kv[i].key != c->keys[k]) {
            c->keys[++k] = kv[i].key;
            c->offsets[k] = i;
        }
        c->vals[i] = kv[i].val;
    }
    c->offsets[nk] = u;
    return EMB_OK;
}

static const int32_t *csr_find(const struct csr *c, int64_t key, int64_t *n) {
    int64_t lo = 0, hi = c->n_keys;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->keys[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    if (lo < c->n_keys && c->keys[lo] == key) {
        *n = c->offsets[lo + 1] - c->offsets[lo];
        return c->vals + c->offsets[lo];
    }
    *n = 0;
    return NULL;
}

static void csr_free(struct csr *c) {
    emb_free(c->keys);
    emb_free(c->offsets);
    emb_free(c->vals);
}

void emb_kgeval_filter_free(struct emb_kgeval_filter *f) {
    if (!f) return;
    csr_free(&f->tails);
    csr_free(&f->heads);
    emb_free(f);
}

static int filter_build(struct emb_kgeval_filter **out, const struct emb_kg *kg, const int32_t *ents,
                        const int32_t *rels, int64_t n_ent, int64_t n_rel, struct emb_err *err) {
    *out = NULL;
    const struct emb_triples *sp[3] = {&kg->train, &kg->valid, &kg->test};
    int64_t n = kg->train.n + kg->valid.n + kg->test.n;
    struct emb_kgeval_filter *f = emb_calloc(1, sizeof *f);
    struct kv *kt = emb_alloc(((size_t)n + 1) * sizeof *kt), *kh = emb_alloc(((size_t)n + 1) * sizeof *kh);
    int rc = EMB_ENOMEM;
    if (!f || !kt || !kh) goto done;
    f->n_ent = n_ent;
    f->n_rel = n_rel;
    int64_t j = 0;
    for (int s = 0; s < 3; s++)
        for (int64_t i = 0; i < sp[s]->n; i++, j++) {
            int64_t h = ents[sp[s]->h[i]], r = rels[sp[s]->r[i]], t = ents[sp[s]->t[i]];
            kt[j].key = r * n_ent + h;
            kt[j].val = (int32_t)t;
            kh[j].key = r * n_ent + t;
            kh[j].val = (int32_t)h;
        }
    if ((rc = csr_build(&f->tails, kt, n)) != EMB_OK) goto done;
    rc = csr_build(&f->heads, kh, n);
done:
    emb_free(kt);
    emb_free(kh);
    if (rc != EMB_OK) {
        emb_kgeval_filter_free(f);
        return emb_err_set(err, rc, "out of memory for the filter index");
    }
    *out = f;
    return EMB_OK;
}

int emb_kgeval_filter_new(struct emb_kgeval_filter **out, const struct emb_kge *m, const struct emb_kg *kg,
                          struct emb_err *err) {
    *out = NULL;
    int32_t *ents = NULL, *rels = NULL;
    int rc = map_names(m, kg, &ents, &rels, err);
    if (rc == EMB_OK)
        rc = filter_build(out, kg, ents, rels, m ? m->ent->n_rows : kg->n_entities,
                          m ? emb_kge_n_relations(m) : kg->n_relations, err);
    emb_free(ents);
    emb_free(rels);
    return rc;
}

const int32_t *emb_kgeval_filter_tails(const struct emb_kgeval_filter *f, int32_t h, int32_t r, int64_t *n) {
    *n = 0;
    if (h < 0 || h >= f->n_ent || r < 0 || r >= f->n_rel) return NULL;
    return csr_find(&f->tails, (int64_t)r * f->n_ent + h, n);
}

const int32_t *emb_kgeval_filter_heads(const struct emb_kgeval_filter *f, int32_t r, int32_t t, int64_t *n) {
    *n = 0;
    if (t < 0 || t >= f->n_ent || r < 0 || r >= f->n_rel) return NULL;
    return csr_find(&f->heads, (int64_t)r * f->n_ent + t, n);
}

/* ---- the ranking run ------------------------------------------------------ */

/* A distinct query and the evaluated triples that ask it. */
struct query {
    int32_t dir, a, r; /* model ids; a = h (TAIL) or t (HEAD) */
    int64_t first, count; /* range of job.members */
};

struct qkey {
    int32_t r, a;
    int64_t idx; /* triple index in the split */
};

static int qkey_cmp(const void *x, const void *y) {
    const struct qkey *a = x, *b = y;
    if (a->r != b->r) return a->r < b->r ? -1 : 1;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

struct job {
    const struct emb_kge *m;
    struct kern kern;
    block_fn block;
    int generic;
    struct emb_kgeval_filter *filter;
    const int32_t *h, *r, *t; /* (n) split triples in model ids */
    struct query *queries;
    int64_t n_queries, *members; /* members: triple indices grouped by query */
    int qb;                      /* queries per block */
    int64_t n_blocks;
    _Atomic int64_t next, done;
    _Atomic int stopped;
    float **qbuf, **sbuf; /* per thread: (qb, L) query rows, (qb, n_ent) scores */
    double *rank_tail, *rank_head;
    const struct emb_kgeval_params *p;
};

static void eval_block(struct job *j, int ith, int64_t b) {
    const struct kern *k = &j->kern;
    int64_t q0 = b * j->qb, q1 = q0 + j->qb < j->n_queries ? q0 + j->qb : j->n_queries;
    int nq = (int)(q1 - q0);
    float *Q = j->qbuf[ith], *S = j->sbuf[ith];
    for (int i = 0; i < nq; i++) {
        const struct query *q = &j->queries[q0 + i];
        if (j->generic) {
            if (q->dir == EMB_KGEVAL_TAIL) emb_kge_score_tails(j->m, q->a, q->r, S + i * k->n_ent);
            else emb_kge_score_heads(j->m, q->r, q->a, S + i * k->n_ent);
        } else {
            make_query(j->m, (enum emb_kgeval_dir)q->dir, q->a, q->r, Q + i * k->L);
        }
    }
    if (!j->generic) j->block(k, Q, nq, 0, k->n_ent, S, k->n_ent);
    for (int i = 0; i < nq; i++) {
        const struct query *q = &j->queries[q0 + i];
        const float *s = S + i * k->n_ent;
        int64_t nf = 0;
        const int32_t *f = q->dir == EMB_KGEVAL_TAIL ? emb_kgeval_filter_tails(j->filter, q->a, q->r, &nf)
                                                     : emb_kgeval_filter_heads(j->filter, q->r, q->a, &nf);
        for (int64_t u = q->first; u < q->first + q->count; u++) {
            int64_t ti = j->members[u];
            if (q->dir == EMB_KGEVAL_TAIL) j->rank_tail[ti] = emb_kgeval_rank(s, k->n_ent, j->t[ti], f, nf);
            else j->rank_head[ti] = emb_kgeval_rank(s, k->n_ent, j->h[ti], f, nf);
        }
    }
}

static void eval_worker(void *ctx, int ith, int nth) {
    (void)nth;
    struct job *j = ctx;
    for (;;) {
        if (j->p->stop && *j->p->stop) {
            atomic_store(&j->stopped, 1);
            return;
        }
        int64_t b = atomic_fetch_add(&j->next, 1);
        if (b >= j->n_blocks) return;
        eval_block(j, ith, b);
        int64_t d = atomic_fetch_add(&j->done, 1) + 1;
        if (ith == 0 && j->p->progress) j->p->progress(j->p->progress_ctx, (double)d / (double)j->n_blocks);
    }
}

void emb_kgeval_result_free(struct emb_kgeval_result *r) {
    if (!r) return;
    emb_free(r->per_rel);
    emb_free(r->rank_tail);
    emb_free(r->rank_head);
    memset(r, 0, sizeof *r);
}

/* Group the evaluated triples (keep[i]) into distinct queries of one
 * direction, appended to j->queries / j->members. */
static int group_queries(struct job *j, const uint8_t *keep, int64_t n, int dir, int64_t *n_q, int64_t *n_m) {
    struct qkey *k = emb_alloc(((size_t)n + 1) * sizeof *k);
    if (!k) return EMB_ENOMEM;
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++)
        if (keep[i]) {
            k[c].r = j->r[i];
            k[c].a = dir == EMB_KGEVAL_TAIL ? j->h[i] : j->t[i];
            k[c].idx = i;
            c++;
        }
    qsort(k, (size_t)c, sizeof *k, qkey_cmp);
    for (int64_t i = 0; i < c; i++) {
        if (i == 0 || k[i].r != k[i - 1].r || k[i].a != k[i - 1].a) {
            struct query *q = &j->queries[(*n_q)++];
            q->dir = dir;
            q->a = k[i].a;
            q->r = k[i].r;
            q->first = *n_m;
            q->count = 0;
        }
        j->queries[*n_q - 1].count++;
        j->members[(*n_m)++] = k[i].idx;
    }
    emb_free(k);
    return EMB_OK;
}

/* The split's triples in model ids (j->h, r, t), which of them are
 * evaluated (keep), and the unseen/dropped counts of out. */
static int map_split(struct job *j, const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *sp,
                     const struct emb_kgeval_params *p, int32_t **ids, uint8_t **keep, int64_t *n_eval,
                     struct emb_kgeval_result *out, struct emb_err *err) {
    const char *split_name = p->split == EMB_KGEVAL_VALID ? "valid" : "test";
    int32_t *ents = NULL, *rels = NULL;
    int64_t n = sp->n;
    int rc = map_names(m, kg, &ents, &rels, err); /* frees nothing on failure */
    if (rc != EMB_OK) goto done;
    *ids = emb_alloc((size_t)n * 3 * sizeof **ids);
    *keep = emb_alloc((size_t)n);
    if (!*ids || !*keep) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for the evaluation buffers");
        goto done;
    }
    j->h = *ids;
    j->r = *ids + n;
    j->t = *ids + 2 * n;
    *n_eval = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t h = sp->h[i], r = sp->r[i], t = sp->t[i];
        (*ids)[i] = ents[h];
        (*ids)[n + i] = rels[r];
        (*ids)[2 * n + i] = ents[t];
        int unseen = !kg->in_train[h] || !kg->in_train[t];
        out->n_unseen += unseen;
        (*keep)[i] = !(unseen && p->drop_unseen);
        out->n_dropped += !(*keep)[i];
        *n_eval += (*keep)[i];
    }
    if (out->n_unseen == n) {
        rc = emb_err_set(err, EMB_EEMPTY,
                         "every one of the %lld %s triples has an entity that never occurs in train "
                         "(wrong dataset, or train/test swapped?)",
                         (long long)n, split_name);
        goto done;
    }
    rc = filter_build(&j->filter, kg, ents, rels, j->kern.n_ent, emb_kge_n_relations(m), err);
done:
    emb_free(ents);
    emb_free(rels);
    return rc;
}

/* Queries grouped, block size chosen, per-thread buffers allocated. */
static int job_prepare(struct job *j, const uint8_t *keep, int64_t n, int64_t n_eval, int nth) {
    j->queries = emb_alloc(((size_t)2 * n_eval + 1) * sizeof *j->queries);
    j->members = emb_alloc(((size_t)2 * n_eval + 1) * sizeof *j->members);
    if (!j->queries || !j->members) return EMB_ENOMEM;
    int64_t n_m = 0;
    if (group_queries(j, keep, n, EMB_KGEVAL_TAIL, &j->n_queries, &n_m) != EMB_OK ||
        group_queries(j, keep, n, EMB_KGEVAL_HEAD, &j->n_queries, &n_m) != EMB_OK)
        return EMB_ENOMEM;
    int64_t qb = SCORE_BUF_BYTES / ((int64_t)sizeof(float) * j->kern.n_ent);
    j->qb = (int)(qb < 1 ? 1 : qb > QB_MAX ? QB_MAX : qb);
    /* Small query sets: smaller blocks so every thread gets work. */
    while (j->qb > 4 && (j->n_queries + j->qb - 1) / j->qb < 4 * nth) j->qb /= 2;
    j->n_blocks = (j->n_queries + j->qb - 1) / j->qb;
    j->qbuf = emb_calloc((size_t)nth, sizeof *j->qbuf);
    j->sbuf = emb_calloc((size_t)nth, sizeof *j->sbuf);
    if (!j->qbuf || !j->sbuf) return EMB_ENOMEM;
    for (int i = 0; i < nth; i++) {
        j->qbuf[i] = emb_alloc_aligned((size_t)j->qb * (size_t)j->kern.L * sizeof(float));
        j->sbuf[i] = emb_alloc_aligned((size_t)j->qb * (size_t)j->kern.n_ent * sizeof(float));
        if (!j->qbuf[i] || !j->sbuf[i]) return EMB_ENOMEM;
    }
    return EMB_OK;
}

static void job_free(struct job *j, int nth) {
    for (int i = 0; j->qbuf && i < nth; i++) emb_free_aligned(j->qbuf[i]);
    for (int i = 0; j->sbuf && i < nth; i++) emb_free_aligned(j->sbuf[i]);
    emb_free(j->qbuf);
    emb_free(j->sbuf);
    emb_free(j->queries);
    emb_free(j->members);
    emb_kgeval_filter_free(j->filter);
}

/* Metrics from the ranks, summed in split order: the same numbers for any
 * thread count. */
static int sum_ranks(struct emb_kgeval_result *out, const struct emb_kg *kg, const struct emb_triples *sp,
                     const uint8_t *keep, int per_relation) {
    struct acc both, head, tail, *rel_acc = NULL;
    memset(&both, 0, sizeof both);
    head = tail = both;
    if (per_relation) {
        rel_acc = emb_calloc((size_t)kg->n_relations * 3 + 1, sizeof *rel_acc);
        out->per_rel = emb_calloc((size_t)kg->n_relations + 1, sizeof *out->per_rel);
        if (!rel_acc || !out->per_rel) {
            emb_free(rel_acc);
            return EMB_ENOMEM;
        }
    }
    for (int64_t i = 0; i < sp->n; i++) {
        if (!keep[i]) continue;
        double rt = out->rank_tail[i], rh = out->rank_head[i];
        acc_add(&tail, rt);
        acc_add(&head, rh);
        acc_add(&both, rt);
        acc_add(&both, rh);
        if (rel_acc) {
            struct acc *a = rel_acc + (size_t)sp->r[i] * 3;
            acc_add(&a[0], rt);
            acc_add(&a[0], rh);
            acc_add(&a[1], rh);
            acc_add(&a[2], rt);
        }
    }
    out->both = acc_metrics(&both);
    out->head = acc_metrics(&head);
    out->tail = acc_metrics(&tail);
    for (int32_t r = 0; rel_acc && r < kg->n_relations; r++) {
        out->per_rel[r].both = acc_metrics(&rel_acc[(size_t)r * 3]);
        out->per_rel[r].head = acc_metrics(&rel_acc[(size_t)r * 3 + 1]);
        out->per_rel[r].tail = acc_metrics(&rel_acc[(size_t)r * 3 + 2]);
    }
    emb_free(rel_acc);
    return EMB_OK;
}

int emb_kgeval_run(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_kgeval_params *p,
                   struct emb_kgeval_result *out, struct emb_err *err) {
    memset(out, 0, sizeof *out);
    struct job j;
    memset(&j, 0, sizeof j);
    struct emb_pool *pool = NULL;
    int32_t *ids = NULL;
    uint8_t *keep = NULL;
    int nth = p->n_threads < 1 ? 1 : p->n_threads;
    const struct emb_triples *sp = p->split == EMB_KGEVAL_VALID ? &kg->valid : &kg->test;
    int64_t n = sp->n, n_eval = 0;
    int rc = model_kern(m, &j.kern, err);
    if (rc != EMB_OK) goto done;
    if (n <= 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "the dataset has no %s triples", p->split == EMB_KGEVAL_VALID ? "valid" : "test");
        goto done;
    }
    if ((rc = map_split(&j, m, kg, sp, p, &ids, &keep, &n_eval, out, err)) != EMB_OK) goto done;
    j.m = m;
    j.p = p;
    j.generic = p->scorer == EMB_KGEVAL_GENERIC;
    j.block = emb__kgeval_pick_block(&j.kern, p->simd);
    out->rank_tail = emb_calloc((size_t)n, sizeof *out->rank_tail);
    out->rank_head = emb_calloc((size_t)n, sizeof *out->rank_head);
    j.rank_tail = out->rank_tail;
    j.rank_head = out->rank_head;
    if (!out->rank_tail || !out->rank_head || job_prepare(&j, keep, n, n_eval, nth) != EMB_OK) goto oom;
    if ((rc = emb_pool_new(&pool, nth, err)) != EMB_OK) goto done;
    emb_pool_run(pool, eval_worker, &j);
    if (atomic_load(&j.stopped)) {
        rc = emb_err_set(err, EMB_EINTR, "evaluation interrupted");
        goto done;
    }
    if (sum_ranks(out, kg, sp, keep, p->per_relation) != EMB_OK) goto oom;
    out->n_triples = n_eval;
    out->n_candidates = j.kern.n_ent;
    out->n_queries = j.n_queries;
    out->n_relations = kg->n_relations;
    rc = EMB_OK;
    goto done;
oom:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory for the evaluation buffers");
done:
    emb_pool_free(pool);
    job_free(&j, nth);
    emb_free(ids);
    emb_free(keep);
    if (rc == EMB_OK && !p->keep_ranks) {
        emb_free(out->rank_tail);
        emb_free(out->rank_head);
        out->rank_tail = out->rank_head = NULL;
    }
    if (rc != EMB_OK) emb_kgeval_result_free(out);
    return rc;
}

/* ---- top-k ---------------------------------------------------------------- */

int emb_kgeval_topk(const struct emb_kge *m, const struct emb_kgeval_filter *filter, enum emb_kgeval_dir dir,
                    int32_t anchor, int32_t r, int k, int64_t *ids, float *scores, int *n_out, struct emb_err *err) {
    *n_out = 0;
    struct kern kn;
    int rc = model_kern(m, &kn, err);
    if (rc != EMB_OK) return rc;
    if (k < 1) return emb_err_set(err, EMB_EINVAL, "k must be at least 1");
    if (anchor < 0 || anchor >= kn.n_ent || r < 0 || r >= emb_kge_n_relations(m))
        return emb_err_set(err, EMB_EINVAL, "entity or relation id out of range");
    float *q = emb_alloc_aligned((size_t)kn.L * sizeof *q), *s = emb_alloc_aligned((size_t)kn.n_ent * sizeof *s);
    if (!q || !s) {
        emb_free_aligned(q);
        emb_free_aligned(s);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for %lld scores", (long long)kn.n_ent);
    }
    make_query(m, dir, anchor, r, q);
    emb__kgeval_pick_block(&kn, EMB_SIMD_AUTO)(&kn, q, 1, 0, kn.n_ent, s, kn.n_ent);
    int64_t nf = 0;
    const int32_t *f = NULL;
    if (filter)
        f = dir == EMB_KGEVAL_TAIL ? emb_kgeval_filter_tails(filter, anchor, r, &nf)
                                   : emb_kgeval_filter_heads(filter, r, anchor, &nf);
    /* The known answers are excluded the way every exact top-k excludes rows. */
    struct emb_topk top;
    struct emb_topk_rows known = {.n_rows = kn.n_ent, .skip_ids = f, .n_skip_ids = (int)nf};
    emb_topk_init(&top, k, ids, scores);
    emb_topk_offer(&top, &known, -1, 0, s, (int)kn.n_ent);
    *n_out = emb_topk_sorted(&top);
    emb_free_aligned(q);
    emb_free_aligned(s);
    return EMB_OK;
}

/* ---- Countries ------------------------------------------------------------- */

struct scored {
    float s;
    uint8_t label;
};

static int scored_desc(const void *a, const void *b) {
    float x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return (x < y) - (x > y);
}

double emb_kgeval_average_precision(const float *scores, const uint8_t *labels, int64_t n) {
    struct scored *v = emb_alloc(((size_t)n + 1) * sizeof *v);
    if (!v) return NAN;
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i].s = scores[i];
        v[i].label = labels[i] != 0;
        pos += v[i].label;
    }
    if (pos == 0) {
        emb_free(v);
        return NAN;
    }
    qsort(v, (size_t)n, sizeof *v, scored_desc);
    double ap = 0, prev_recall = 0;
    int64_t tp = 0;
    for (int64_t i = 0; i < n;) {
        int64_t end = i;
        while (end < n && v[end].s == v[i].s) tp += v[end++].label; /* one threshold per distinct score */
        double recall = (double)tp / (double)pos, precision = (double)tp / (double)end;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        i = end;
    }
    emb_free(v);
    return ap;
}

int emb_kgeval_countries(const struct emb_kge *m, const struct emb_kg *kg, enum emb_kgeval_split split,
                         const char *const *regions, int n_regions, double *auc_pr, struct emb_err *err) {
    *auc_pr = NAN;
    struct kern kn;
    int rc = model_kern(m, &kn, err);
    if (rc != EMB_OK) return rc;
    const struct emb_triples *sp = split == EMB_KGEVAL_VALID ? &kg->valid : &kg->test;
    if (sp->n <= 0) return emb_err_set(err, EMB_EEMPTY, "the dataset has no %s triples", split == EMB_KGEVAL_VALID ? "valid" : "test");
    if (n_regions < 1) return emb_err_set(err, EMB_EINVAL, "no regions given");
    int32_t *ents = NULL, *rels = NULL, *reg = emb_alloc((size_t)n_regions * sizeof *reg);
    float *q = emb_alloc_aligned((size_t)kn.L * sizeof *q);
    float *s = emb_alloc(((size_t)sp->n * n_regions) * sizeof *s);
    uint8_t *y = emb_alloc((size_t)sp->n * n_regions);
    if (!reg || !q || !s || !y) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = map_names(m, kg, &ents, &rels, err)) != EMB_OK) goto done;
    for (int i = 0; i < n_regions; i++) {
        reg[i] = emb_vocab_find(m->ent_names, regions[i], strlen(regions[i]));
        if (reg[i] < 0) {
            rc = emb_err_set(err, EMB_ENOTFOUND, "region '%.100s' is not an entity of the model", regions[i]);
            goto done;
        }
    }
    for (int64_t i = 0; i < sp->n; i++) {
        int32_t t = ents[sp->t[i]], hit = 0;
        make_query(m, EMB_KGEVAL_TAIL, ents[sp->h[i]], rels[sp->r[i]], q);
        for (int c = 0; c < n_regions; c++) {
            s[i * n_regions + c] = emb__kgeval_pair_ref(&kn, q, emb_table_row(m->ent, reg[c]));
            y[i * n_regions + c] = reg[c] == t;
            hit += reg[c] == t;
        }
        if (!hit) {
            rc = emb_err_set(err, EMB_EINVAL, "triple %lld of the split has tail '%.100s', which is not a region",
                             (long long)i + 1, emb_vocab_word(kg->entities, sp->t[i]));
            goto done;
        }
    }
    *auc_pr = emb_kgeval_average_precision(s, y, sp->n * n_regions);
    rc = EMB_OK;
done:
    emb_free(ents);
    emb_free(rels);
    emb_free(reg);
    emb_free_aligned(q);
    emb_free(s);
    emb_free(y);
    return rc;
}
