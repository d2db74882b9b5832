/* index.c -- the dispatcher of emb_index: parameters, building from a
 * table, words, add/delete, query preparation, single and batched search.
 * It knows both kinds (flat.c, hnsw.c); they never call back into it. The
 * file format is in index_io.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "index_impl.h"

/* ---- parameters and names ------------------------------------------------ */

struct emb_index_params emb_index_default_params(void) {
    struct emb_index_params p = {0};
    p.type = EMB_INDEX_FLAT;
    p.metric = EMB_METRIC_COSINE;
    p.M = 16;
    p.ef_construction = 200;
    p.ef_search = 50;
    p.seed = 1;
    return p;
}

int emb_index_type_parse(const char *name, enum emb_index_type *out, struct emb_err *err) {
    if (!strcmp(name, "flat")) *out = EMB_INDEX_FLAT;
    else if (!strcmp(name, "hnsw")) *out = EMB_INDEX_HNSW;
    else return emb_err_set(err, EMB_EINVAL, "unknown index type '%s' (expected flat or hnsw)", name);
    return EMB_OK;
}

int emb_index_metric_parse(const char *name, enum emb_metric *out, struct emb_err *err) {
    if (!strcmp(name, "cosine") || !strcmp(name, "cos")) *out = EMB_METRIC_COSINE;
    else if (!strcmp(name, "ip") || !strcmp(name, "dot")) *out = EMB_METRIC_IP;
    else if (!strcmp(name, "l2") || !strcmp(name, "euclidean")) *out = EMB_METRIC_L2;
    else return emb_err_set(err, EMB_EINVAL, "unknown metric '%s' (expected cosine, ip or l2)", name);
    return EMB_OK;
}

const char *emb_index_type_name(enum emb_index_type t) { return t == EMB_INDEX_HNSW ? "hnsw" : "flat"; }

const char *emb_index_metric_name(enum emb_metric m) {
    return m == EMB_METRIC_IP ? "ip" : m == EMB_METRIC_L2 ? "l2" : "cosine";
}

static int check_params(const struct emb_index_params *p, struct emb_err *err) {
    if (p->type != EMB_INDEX_FLAT && p->type != EMB_INDEX_HNSW)
        return emb_err_set(err, EMB_EINVAL, "unknown index type %d", (int)p->type);
    if (p->metric != EMB_METRIC_COSINE && p->metric != EMB_METRIC_IP && p->metric != EMB_METRIC_L2)
        return emb_err_set(err, EMB_EINVAL, "unknown metric %d", (int)p->metric);
    if (p->type == EMB_INDEX_HNSW) {
        if (p->M < 2 || p->M > IX_MAX_M) return emb_err_set(err, EMB_EINVAL, "M must be in [2, %d], got %d", IX_MAX_M, p->M);
        if (p->ef_construction < 1 || p->ef_construction > 1000000)
            return emb_err_set(err, EMB_EINVAL, "ef_construction must be in [1, 1000000], got %d", p->ef_construction);
        if (p->ef_search < 1 || p->ef_search > 1000000)
            return emb_err_set(err, EMB_EINVAL, "ef_search must be in [1, 1000000], got %d", p->ef_search);
    }
    return EMB_OK;
}

/* ---- accessors ------------------------------------------------------------ */

enum emb_index_type emb_index_type(const struct emb_index *ix) { return ix->type; }
enum emb_metric emb_index_metric(const struct emb_index *ix) { return ix->metric; }
int64_t emb_index_size(const struct emb_index *ix) { return ix->n; }
int32_t emb_index_dim(const struct emb_index *ix) { return ix->dim; }
int64_t emb_index_n_deleted(const struct emb_index *ix) { return ix->n_deleted; }
int emb_index_M(const struct emb_index *ix) { return ix->type == EMB_INDEX_HNSW ? ix->M : 0; }
int emb_index_ef_construction(const struct emb_index *ix) { return ix->type == EMB_INDEX_HNSW ? ix->ef_construction : 0; }
int emb_index_ef_search(const struct emb_index *ix) { return ix->type == EMB_INDEX_HNSW ? ix->ef_search : 0; }
int emb_index_is_mapped(const struct emb_index *ix) { return ix->map != NULL; }

int emb_index_is_deleted(const struct emb_index *ix, int64_t id) {
    return id >= 0 && id < ix->n && ix->deleted[id];
}

const float *emb_index_vector(const struct emb_index *ix, int64_t id) {
    if (id < 0 || id >= ix->n) return NULL;
    return ix_row(ix, id);
}

int64_t emb_index_find(const struct emb_index *ix, const char *word, size_t len) {
    if (!ix->words || len == 0) return -1;
    return emb_vocab_find(ix->words, word, len);
}

const char *emb_index_word(const struct emb_index *ix, int64_t id) {
    if (!ix->words || id < 0 || id >= ix->n) return NULL;
    return emb_vocab_word(ix->words, (int32_t)id);
}

size_t emb_index_memory_bytes(const struct emb_index *ix) {
    size_t b = ix->map_bytes + ix->buf_bytes;
    if (ix->own_vecs) b += (size_t)ix->cap * (size_t)ix->stride * sizeof(float);
    if (ix->sqnorms) b += (size_t)ix->cap * sizeof(float);
    if (ix->own_level0) b += (size_t)ix->cap * ix->node_bytes;
    if (ix->own_deleted) b += (size_t)ix->cap;
    if (ix->type == EMB_INDEX_HNSW) {
        b += (size_t)ix->cap * (sizeof *ix->upper + 1 + (ix->own_levels ? 1 : 0));
        for (int64_t i = 0; i < ix->n; i++)
            if (ix->levels[i]) b += (size_t)ix->levels[i] * (size_t)(ix->M + 1) * sizeof(uint32_t);
    }
    if (ix->words)
        for (int32_t i = 0; i < emb_vocab_size(ix->words); i++) b += strlen(emb_vocab_word(ix->words, i)) + 1 + 32;
    return b;
}

/* ---- life cycle ------------------------------------------------------------ */

size_t emb__ix_node_bytes(int32_t stride, int M0) {
    size_t b = (size_t)stride * sizeof(float) + sizeof(float) + sizeof(uint32_t) * (size_t)(1 + M0);
    return (b + IX_ALIGN - 1) / IX_ALIGN * IX_ALIGN;
}

static int is_upper_owned(const struct emb_index *ix, const uint32_t *p) {
    const char *c = (const char *)p;
    return !(ix->upper_blob && c >= ix->upper_blob && c < ix->upper_blob + ix->upper_blob_bytes);
}

void emb_index_free(struct emb_index *ix) {
    if (!ix) return;
    emb__hnsw_ctx_free_all(ix);
    if (ix->upper) {
        for (int64_t i = 0; i < ix->n; i++)
            if (ix->upper[i] && is_upper_owned(ix, ix->upper[i])) emb_free(ix->upper[i]);
        emb_free(ix->upper);
    }
    if (ix->own_vecs) emb_free_aligned(ix->vecs);
    if (ix->own_level0) emb_free_aligned(ix->level0);
    if (ix->own_deleted) emb_free(ix->deleted);
    if (ix->own_levels) emb_free(ix->levels);
    emb_free(ix->sqnorms);
    emb_free((void *)ix->locks);
    emb_vocab_free(ix->words);
    if (ix->map) munmap(ix->map, ix->map_bytes);
    emb_free_aligned(ix->buf);
    pthread_mutex_destroy(&ix->global);
    emb_free(ix);
}

int emb__ix_alloc(struct emb_index **out, int32_t dim, const struct emb_index_params *p, struct emb_err *err) {
    *out = NULL;
    struct emb_index *ix = emb_calloc(1, sizeof *ix);
    if (!ix) return emb_err_set(err, EMB_ENOMEM, "out of memory for an index");
    pthread_mutex_init(&ix->global, NULL);
    ix->type = p->type;
    ix->metric = p->metric;
    ix->dim = dim;
    ix->stride = (dim + IX_PAD - 1) / IX_PAD * IX_PAD;
    ix->ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    ix->entry = -1;
    ix->max_level = -1;
    if (p->type == EMB_INDEX_HNSW) {
        ix->M = p->M;
        ix->M0 = 2 * p->M;
        ix->ef_construction = p->ef_construction;
        ix->ef_search = p->ef_search;
        ix->seed = p->seed;
        ix->level_mult = 1.0 / log((double)p->M);
        ix->node_bytes = emb__ix_node_bytes(ix->stride, ix->M0);
    }
    *out = ix;
    return EMB_OK;
}

/* Make room for cap rows (keeps the contents; arrays that point into a
 * file become owned copies). */
static int reserve(struct emb_index *ix, int64_t cap, struct emb_err *err) {
    if (cap <= ix->cap) return EMB_OK;
    if (cap > IX_MAX_ROWS) return emb_err_set(err, EMB_EINVAL, "an index holds at most %d rows", IX_MAX_ROWS);
    uint8_t *del = emb_calloc((size_t)cap, 1);
    if (!del) return emb_err_set(err, EMB_ENOMEM, "out of memory growing the index to %lld rows", (long long)cap);
    if (ix->n) memcpy(del, ix->deleted, (size_t)ix->n);
    if (ix->type == EMB_INDEX_FLAT) {
        float *v = emb_alloc_aligned((size_t)cap * (size_t)ix->stride * sizeof(float));
        float *sq = ix->metric == EMB_METRIC_L2 ? emb_calloc((size_t)cap, sizeof(float)) : NULL;
        if (!v || (ix->metric == EMB_METRIC_L2 && !sq)) {
            emb_free(del);
            emb_free_aligned(v);
            emb_free(sq);
            return emb_err_set(err, EMB_ENOMEM, "out of memory growing the index to %lld rows", (long long)cap);
        }
        if (ix->n) memcpy(v, ix->vecs, (size_t)ix->n * (size_t)ix->stride * sizeof(float));
        if (sq && ix->n) memcpy(sq, ix->sqnorms, (size_t)ix->n * sizeof(float));
        if (ix->own_vecs) emb_free_aligned(ix->vecs);
        emb_free(ix->sqnorms);
        ix->vecs = v;
        ix->sqnorms = sq;
        ix->own_vecs = 1;
    } else {
        int rc = emb__hnsw_reserve(ix, cap, err);
        if (rc != EMB_OK) {
            emb_free(del);
            return rc;
        }
    }
    if (ix->own_deleted) emb_free(ix->deleted);
    ix->deleted = del;
    ix->own_deleted = 1;
    ix->cap = cap;
    return EMB_OK;
}

int emb_index_new(struct emb_index **out, int32_t dim, const struct emb_index_params *p, struct emb_err *err) {
    *out = NULL;
    if (!p) return emb_err_set(err, EMB_EINVAL, "no index parameters");
    if (dim < 1 || dim > 1000000) return emb_err_set(err, EMB_EINVAL, "dimension must be in [1, 1000000], got %d", dim);
    int rc = check_params(p, err);
    if (rc != EMB_OK) return rc;
    return emb__ix_alloc(out, dim, p, err);
}

/* Store row id's vector (dim floats) in its slot: padded with zeros,
 * normalised for cosine, with |x|^2 for L2. */
static int store_row(struct emb_index *ix, int64_t id, const float *x, struct emb_err *err) {
    for (int32_t j = 0; j < ix->dim; j++)
        if (!isfinite(x[j])) return emb_err_set(err, EMB_ENUMERIC, "row %lld has a non-finite value", (long long)id);
    float *dst = (float *)ix_row(ix, id);
    memcpy(dst, x, (size_t)ix->dim * sizeof(float));
    memset(dst + ix->dim, 0, (size_t)(ix->stride - ix->dim) * sizeof(float));
    if (ix->metric == EMB_METRIC_COSINE) emb_vec_normalize(&ix->ops, ix->stride, dst);
    float sq = ix->ops.dot(ix->stride, dst, dst);
    if (!isfinite(sq)) return emb_err_set(err, EMB_ENUMERIC, "row %lld overflows float", (long long)id);
    if (ix->type == EMB_INDEX_HNSW) *ix_node_sqnorm(ix, id) = sq;
    else if (ix->sqnorms) ix->sqnorms[id] = sq;
    return EMB_OK;
}

/* Register word for row id (the vocabulary assigns ids in order). */
static int add_word(struct emb_index *ix, int64_t id, const char *w, struct emb_err *err) {
    if (!w || !*w) return emb_err_set(err, EMB_EINVAL, "row %lld has no word", (long long)id);
    int32_t got = -1;
    int rc = emb_vocab_add(ix->words, w, strlen(w), 0, &got, err);
    if (rc != EMB_OK) return rc;
    if (got != id) return emb_err_set(err, EMB_EDUP, "duplicate word '%s' (rows %d and %lld)", w, got, (long long)id);
    return EMB_OK;
}

int emb_index_build(struct emb_index **out, const float *vectors, int64_t n, int32_t dim, int64_t stride,
                    const char *const *words, const struct emb_index_params *p, struct emb_pool *pool,
                    struct emb_err *err) {
    *out = NULL;
    if (n < 1) return emb_err_set(err, EMB_EEMPTY, "no vectors to index");
    if (n > IX_MAX_ROWS) return emb_err_set(err, EMB_EINVAL, "an index holds at most %d rows", IX_MAX_ROWS);
    if (!vectors || stride < dim) return emb_err_set(err, EMB_EINVAL, "bad vector array (stride %lld < dim %d)",
                                                     (long long)stride, dim);
    struct emb_index *ix = NULL;
    int rc = emb_index_new(&ix, dim, p, err);
    if (rc != EMB_OK) return rc;
    if ((rc = reserve(ix, n, err)) != EMB_OK) goto done;
    if (words && (rc = emb_vocab_new(&ix->words, err)) != EMB_OK) goto done;
    for (int64_t i = 0; i < n; i++) {
        if ((rc = store_row(ix, i, vectors + i * stride, err)) != EMB_OK) goto done;
        if (words && (rc = add_word(ix, i, words[i], err)) != EMB_OK) goto done;
    }
    ix->n = n;
    if (ix->type == EMB_INDEX_HNSW && (rc = emb__hnsw_insert_range(ix, 0, n, pool, p, err)) != EMB_OK) goto done;
    *out = ix;
    return EMB_OK;
done:
    emb_index_free(ix);
    return rc;
}

/* Give deleted row id the vector vec and bring it back: the row is
 * reused (its word keeps its id); HNSW links are chosen again. On failure
 * the row keeps its old vector and stays deleted. */
static int readd(struct emb_index *ix, int64_t id, const float *vec, struct emb_err *err) {
    size_t bytes = (size_t)ix->stride * sizeof(float);
    float *dst = (float *)ix_row(ix, id), *save = emb_alloc(bytes);
    if (!save) return emb_err_set(err, EMB_ENOMEM, "out of memory re-adding row %lld", (long long)id);
    memcpy(save, dst, bytes);
    float sq_save = ix->type == EMB_INDEX_HNSW ? *ix_node_sqnorm(ix, id) : ix->sqnorms ? ix->sqnorms[id] : 0;
    int rc = store_row(ix, id, vec, err);
    if (rc == EMB_OK) {
        ix->deleted[id] = 0;
        ix->n_deleted--;
        if (ix->type == EMB_INDEX_HNSW && (rc = emb__hnsw_relink(ix, id, err)) != EMB_OK) {
            ix->deleted[id] = 1;
            ix->n_deleted++;
        }
    }
    if (rc != EMB_OK) {
        memcpy(dst, save, bytes);
        if (ix->type == EMB_INDEX_HNSW) *ix_node_sqnorm(ix, id) = sq_save;
        else if (ix->sqnorms) ix->sqnorms[id] = sq_save;
    }
    emb_free(save);
    return rc;
}

int emb_index_add(struct emb_index *ix, const float *vec, const char *word, int64_t *id_out, struct emb_err *err) {
    int64_t id = ix->n;
    int rc;
    if (ix->words) {
        if (!word || !*word) return emb_err_set(err, EMB_EINVAL, "this index stores words: the new row needs one");
        int64_t old = emb_vocab_find(ix->words, word, strlen(word));
        if (old >= 0 && !ix->deleted[old]) return emb_err_set(err, EMB_EDUP, "'%s' is already in the index", word);
        if (old >= 0) {
            if ((rc = readd(ix, old, vec, err)) != EMB_OK) return rc;
            if (id_out) *id_out = old;
            return EMB_OK;
        }
    } else if (word && id > 0) {
        return emb_err_set(err, EMB_EINVAL, "this index has no words; add the row without one");
    }
    if (id == ix->cap && (rc = reserve(ix, ix->cap < 16 ? 16 : ix->cap * 2, err)) != EMB_OK) return rc;
    if ((rc = store_row(ix, id, vec, err)) != EMB_OK) return rc;
    if (word && !ix->words && (rc = emb_vocab_new(&ix->words, err)) != EMB_OK) return rc;
    if (word && (rc = add_word(ix, id, word, err)) != EMB_OK) return rc;
    ix->deleted[id] = 0;
    ix->n = id + 1;
    if (ix->type == EMB_INDEX_HNSW) {
        struct emb_index_params p = emb_index_default_params();
        if ((rc = emb__hnsw_insert_range(ix, id, id + 1, NULL, &p, err)) != EMB_OK) {
            ix->n = id; /* the word stays behind; the row is unreachable */
            return rc;
        }
    }
    if (id_out) *id_out = id;
    return EMB_OK;
}

int emb_index_delete(struct emb_index *ix, int64_t id, struct emb_err *err) {
    if (id < 0 || id >= ix->n) return emb_err_set(err, EMB_ENOTFOUND, "no row %lld in the index", (long long)id);
    if (ix->deleted[id]) return emb_err_set(err, EMB_ENOTFOUND, "row %lld is already deleted", (long long)id);
    ix->deleted[id] = 1;
    ix->n_deleted++;
    return EMB_OK;
}

/* ---- searching ----------------------------------------------------------------- */

/* Longest query (floats) prepared on the stack by emb_index_search. */
#define STACK_QUERY 1024

/* Turn a caller's query (dim floats) into the padded form searched
 * (stride floats, normalised for cosine). EMB_ENUMERIC for NaN/inf. */
static int prepare_query(const struct emb_index *ix, const float *q, float *out, struct emb_err *err) {
    for (int32_t j = 0; j < ix->dim; j++)
        if (!isfinite(q[j])) return emb_err_set(err, EMB_ENUMERIC, "query vector has a non-finite value");
    memcpy(out, q, (size_t)ix->dim * sizeof(float));
    memset(out + ix->dim, 0, (size_t)(ix->stride - ix->dim) * sizeof(float));
    if (ix->metric == EMB_METRIC_COSINE) emb_vec_normalize(&ix->ops, ix->stride, out);
    return EMB_OK;
}

int emb_index_search(const struct emb_index *ix, const float *query, int k, int ef, int64_t *ids, float *scores,
                     struct emb_err *err) {
    if (!ix || !query || (k > 0 && (!ids || !scores))) return emb_err_set(err, EMB_EINVAL, "bad search arguments");
    if (k < 0 || ef < 0) return emb_err_set(err, EMB_EINVAL, "k and ef must not be negative (k %d, ef %d)", k, ef);
    if (k == 0 || ix->n == 0) return 0;
    /* The prepared query: on the stack when it fits, as it nearly always does. */
    _Alignas(64) float on_stack[STACK_QUERY];
    float *q = ix->stride <= STACK_QUERY ? on_stack : emb_alloc_aligned((size_t)ix->stride * sizeof(float));
    if (!q) return emb_err_set(err, EMB_ENOMEM, "out of memory for a search");
    int rc = prepare_query(ix, query, q, err);
    if (rc == EMB_OK) {
        float qsq = ix->metric == EMB_METRIC_L2 ? ix->ops.dot(ix->stride, q, q) : 0;
        rc = ix->type == EMB_INDEX_HNSW ? emb__hnsw_search(ix, q, qsq, k, ef, ids, scores, err)
                                        : emb__flat_search(ix, q, qsq, k, ids, scores);
    }
    if (q != on_stack) emb_free_aligned(q);
    return rc;
}

/* ---- batched search ------------------------------------------------------------- */

/* Queries scored together by the flat index (see emb__flat_search_many):
 * a batch streams the rows from memory once per FLAT_QBLOCK queries. */
#define FLAT_QBLOCK EMB__FLAT_MAX_Q

struct batch_job {
    const struct emb_index *ix;
    const float *queries;
    int64_t n_q, q_stride;
    int k, ef;
    int64_t *ids;
    float *scores;
    int *n_found;
    _Atomic int64_t next; /* next block of queries to claim */
    _Atomic int rc;
    struct emb_err *err;
    pthread_mutex_t err_lock;
};

static void batch_fail(struct batch_job *j, int rc, const struct emb_err *e) {
    int expect = EMB_OK;
    if (atomic_compare_exchange_strong(&j->rc, &expect, rc) && j->err) {
        pthread_mutex_lock(&j->err_lock);
        *j->err = *e;
        pthread_mutex_unlock(&j->err_lock);
    }
}

/* Fill the unused tail of one result row. */
static void pad_results(struct batch_job *j, int64_t qi, int got) {
    for (int r = got; r < j->k; r++) {
        j->ids[qi * j->k + r] = -1;
        j->scores[qi * j->k + r] = NAN;
    }
    j->n_found[qi] = got;
}

/* Queries [lo, hi) of a flat index. qbuf: (FLAT_QBLOCK, stride) scratch. */
static void batch_flat_block(struct batch_job *j, int64_t lo, int64_t hi, float *qbuf) {
    const struct emb_index *ix = j->ix;
    const float *qs[FLAT_QBLOCK] = {0};
    float qsq[FLAT_QBLOCK];
    struct emb_topk tks[FLAT_QBLOCK];
    int m = (int)(hi - lo);
    struct emb_err e = {0};
    for (int t = 0; t < m; t++) {
        float *q = qbuf + (size_t)t * (size_t)ix->stride;
        int rc = prepare_query(ix, j->queries + (lo + t) * j->q_stride, q, &e);
        if (rc != EMB_OK) {
            batch_fail(j, rc, &e);
            return;
        }
        qs[t] = q;
        qsq[t] = ix->metric == EMB_METRIC_L2 ? ix->ops.dot(ix->stride, q, q) : 0;
        emb_topk_init(&tks[t], j->k, j->ids + (lo + t) * j->k, j->scores + (lo + t) * j->k);
    }
    emb__flat_search_many(ix, qs, m, tks);
    for (int t = 0; t < m; t++) {
        int got = emb_topk_sorted(&tks[t]);
        float *sc = j->scores + (lo + t) * j->k;
        for (int r = 0; r < got; r++) sc[r] = ix_report(ix, sc[r], qsq[t]);
        pad_results(j, lo + t, got);
    }
}

static void batch_slice(void *ctx, int ith, int nth) {
    (void)ith;
    (void)nth;
    struct batch_job *j = ctx;
    const struct emb_index *ix = j->ix;
    int flat = ix->type == EMB_INDEX_FLAT, block = flat ? FLAT_QBLOCK : 1;
    struct emb_err e = {0};
    float *qbuf = NULL;
    if (flat) {
        /* Small batches: blocks shrink so that every thread gets work. */
        int64_t per = (j->n_q + nth - 1) / nth;
        if (per < block) block = per < 1 ? 1 : (int)per;
        qbuf = emb_alloc_aligned((size_t)block * (size_t)ix->stride * sizeof(float));
        if (!qbuf) {
            batch_fail(j, emb_err_set(&e, EMB_ENOMEM, "out of memory for a search"), &e);
            return;
        }
    }
    for (;;) {
        if (atomic_load(&j->rc) != EMB_OK) break;
        int64_t lo = atomic_fetch_add(&j->next, block);
        if (lo >= j->n_q) break;
        int64_t hi = lo + block < j->n_q ? lo + block : j->n_q;
        if (flat) {
            batch_flat_block(j, lo, hi, qbuf);
            continue;
        }
        int got = emb_index_search(ix, j->queries + lo * j->q_stride, j->k, j->ef, j->ids + lo * j->k,
                                   j->scores + lo * j->k, &e);
        if (got < 0) {
            batch_fail(j, got, &e);
            break;
        }
        pad_results(j, lo, got);
    }
    emb_free_aligned(qbuf);
}

int emb_index_search_batch(const struct emb_index *ix, const float *queries, int64_t n_q, int64_t q_stride, int k,
                           int ef, struct emb_pool *pool, int64_t *ids, float *scores, int *n_found,
                           struct emb_err *err) {
    if (!ix || n_q < 0 || (n_q > 0 && (!queries || !ids || !scores || !n_found)) || q_stride < ix->dim)
        return emb_err_set(err, EMB_EINVAL, "bad batch search arguments");
    if (k < 1 || ef < 0) return emb_err_set(err, EMB_EINVAL, "k must be positive and ef not negative (k %d, ef %d)", k, ef);
    struct batch_job j = {.ix = ix, .queries = queries, .n_q = n_q, .q_stride = q_stride, .k = k, .ef = ef,
                          .ids = ids, .scores = scores, .n_found = n_found, .err = err};
    atomic_init(&j.next, 0);
    atomic_init(&j.rc, EMB_OK);
    pthread_mutex_init(&j.err_lock, NULL);
    if (!pool || emb_pool_size(pool) == 1 || n_q < 2)
        batch_slice(&j, 0, 1);
    else
        emb_pool_run(pool, batch_slice, &j);
    pthread_mutex_destroy(&j.err_lock);
    return atomic_load(&j.rc);
}
