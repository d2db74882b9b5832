/* index.c -- the parts of emb_index both kinds share: parameters, building
 * from a table, words, add/delete, query preparation, batched search,
 * scratch contexts, and the file format.
 *
 * DESIGN: the file is emb's native header (io.h) followed by sections,
 * each a 64-byte section header (tag, byte count, CRC-32) and its bytes
 * padded to 64:
 *
 *     "EMBFLAT\0" | "EMBHNSW\0", version 1, key=value text (type, metric,
 *     dim, stride, count, words, M, ...)      padded to 64 bytes
 *     flat:  VECTORS (count, stride) f32 | DELETED (count) u8 | WORDS
 *     hnsw:  LEVEL0 (count, node_bytes)  | LEVELS (count) u8 |
 *            UPPER u32 lists | DELETED | WORDS
 *     WORDS: count NUL-terminated words (0 bytes when the index has none)
 *
 * Because every section starts on a 64-byte boundary, a plain file is
 * mapped (MAP_PRIVATE: deletes and adds after loading copy pages, never
 * write the file) and the arrays point straight into the mapping; gzip or
 * stdin input is read into one aligned buffer and used the same way.
 * Loading checks the magic, version, every key, every section's tag, size
 * and CRC, and then the contents (finite values, link ids in range), so a
 * damaged file is refused with a message instead of crashing a search. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/io.h"
#include "index_impl.h"

#define FILE_VERSION 1u
static const char MAGIC_FLAT[8] = "EMBFLAT";
static const char MAGIC_HNSW[8] = "EMBHNSW";
#define SECTION_ALIGN 64

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
    return (b + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;
}

static int is_upper_owned(const struct emb_index *ix, const uint32_t *p) {
    const char *c = (const char *)p;
    return !(ix->upper_blob && c >= ix->upper_blob && c < ix->upper_blob + ix->upper_blob_bytes);
}

void emb_index_free(struct emb_index *ix) {
    if (!ix) return;
    emb__ix_ctx_free_all(ix);
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

/* A zeroed index with its parameters set and no rows. */
static int index_alloc(struct emb_index **out, int32_t dim, const struct emb_index_params *p, struct emb_err *err) {
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
    return index_alloc(out, dim, p, err);
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

int emb__ix_prepare_query(const struct emb_index *ix, const float *q, float *out, struct emb_err *err) {
    for (int32_t j = 0; j < ix->dim; j++)
        if (!isfinite(q[j])) return emb_err_set(err, EMB_ENUMERIC, "query vector has a non-finite value");
    memcpy(out, q, (size_t)ix->dim * sizeof(float));
    memset(out + ix->dim, 0, (size_t)(ix->stride - ix->dim) * sizeof(float));
    if (ix->metric == EMB_METRIC_COSINE) emb_vec_normalize(&ix->ops, ix->stride, out);
    return EMB_OK;
}

struct ix_ctx *emb__ix_ctx_acquire(const struct emb_index *cix, int64_t heap_need) {
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
        c->query = emb_alloc_aligned((size_t)ix->stride * sizeof(float));
        if (!c->query) goto fail;
    }
    if (ix->type == EMB_INDEX_HNSW) {
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
             * grown on demand in hnsw.c, top needs ef + 1. */
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
    emb__ix_ctx_release(ix, c);
    return NULL;
}

void emb__ix_ctx_release(const struct emb_index *cix, struct ix_ctx *c) {
    struct emb_index *ix = (struct emb_index *)cix;
    if (!c) return;
    pthread_mutex_lock(&ix->global);
    c->next = ix->free_ctx;
    ix->free_ctx = c;
    pthread_mutex_unlock(&ix->global);
}

void emb__ix_ctx_free_all(struct emb_index *ix) {
    while (ix->free_ctx) {
        struct ix_ctx *c = ix->free_ctx;
        ix->free_ctx = c->next;
        emb_free(c->tags);
        emb_free_aligned(c->query);
        emb_free(c->cand_s);
        emb_free(c->top_s);
        emb_free(c->cand_i);
        emb_free(c->top_i);
        emb_free(c->links);
        emb_free(c);
    }
}

int emb_index_search(const struct emb_index *ix, const float *query, int k, int ef, int64_t *ids, float *scores,
                     struct emb_err *err) {
    if (!ix || !query || (k > 0 && (!ids || !scores))) return emb_err_set(err, EMB_EINVAL, "bad search arguments");
    if (k < 0 || ef < 0) return emb_err_set(err, EMB_EINVAL, "k and ef must not be negative (k %d, ef %d)", k, ef);
    if (k == 0 || ix->n == 0) return 0;
    if (ix->type == EMB_INDEX_HNSW) {
        /* hnsw.c prepares the query in its own context. */
        return emb__hnsw_search(ix, query, 0, k, ef, ids, scores, err);
    }
    struct ix_ctx *c = emb__ix_ctx_acquire(ix, 0);
    if (!c) return emb_err_set(err, EMB_ENOMEM, "out of memory for a search");
    int rc = emb__ix_prepare_query(ix, query, c->query, err);
    if (rc == EMB_OK) {
        float qsq = ix->metric == EMB_METRIC_L2 ? ix->ops.dot(ix->stride, c->query, c->query) : 0;
        rc = emb__flat_search(ix, c->query, qsq, k, ids, scores);
    }
    emb__ix_ctx_release(ix, c);
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
        int rc = emb__ix_prepare_query(ix, j->queries + (lo + t) * j->q_stride, q, &e);
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

/* ---- saving ------------------------------------------------------------------------- */

struct section_head {
    char tag[8];
    uint64_t n_bytes;
    uint32_t crc;
    uint32_t reserved;
    char pad[SECTION_ALIGN - 24];
};

static uint32_t crc_of(const void *data, uint64_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, step);
        p += step;
        n -= step;
    }
    return (uint32_t)c;
}

static int write_pad(FILE *f, uint64_t written) {
    static const char zeros[SECTION_ALIGN] = {0};
    size_t pad = (size_t)((SECTION_ALIGN - written % SECTION_ALIGN) % SECTION_ALIGN);
    return pad && fwrite(zeros, 1, pad, f) != pad ? EMB_EIO : EMB_OK;
}

/* One section from several pieces (so words need no joined copy). */
static int write_section(FILE *f, const char *tag, const void *data, uint64_t n_bytes) {
    struct section_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.tag, tag, strlen(tag) < sizeof h.tag ? strlen(tag) : sizeof h.tag);
    h.n_bytes = n_bytes;
    h.crc = crc_of(data, n_bytes);
    if (fwrite(&h, sizeof h, 1, f) != 1) return EMB_EIO;
    if (n_bytes && fwrite(data, 1, (size_t)n_bytes, f) != (size_t)n_bytes) return EMB_EIO;
    return write_pad(f, n_bytes);
}

/* The words joined with NULs (caller frees), or NULL with *n_bytes 0. */
static char *join_words(const struct emb_index *ix, uint64_t *n_bytes) {
    *n_bytes = 0;
    if (!ix->words) return NULL;
    uint64_t total = 0;
    for (int64_t i = 0; i < ix->n; i++) total += strlen(emb_vocab_word(ix->words, (int32_t)i)) + 1;
    char *b = emb_alloc(total ? (size_t)total : 1);
    if (!b) return NULL;
    char *p = b;
    for (int64_t i = 0; i < ix->n; i++) {
        const char *w = emb_vocab_word(ix->words, (int32_t)i);
        size_t l = strlen(w) + 1;
        memcpy(p, w, l);
        p += l;
    }
    *n_bytes = total;
    return b;
}

int emb_index_save(const struct emb_index *ix, const char *path, struct emb_err *err) {
    if (ix->n == 0) return emb_err_set(err, EMB_EEMPTY, "the index is empty; nothing to save");
    uint64_t words_bytes = 0, upper_bytes = 0;
    char *words = join_words(ix, &words_bytes);
    if (ix->words && !words) return emb_err_set(err, EMB_ENOMEM, "out of memory saving %s", path);
    uint32_t *upper = NULL;
    int rc = EMB_ENOMEM;
    if (ix->type == EMB_INDEX_HNSW) {
        /* Upper lists are per-node allocations in memory; on disk they are
         * one array in node order. */
        uint64_t slots = 0, per = (uint64_t)ix->M + 1;
        for (int64_t i = 0; i < ix->n; i++) slots += ix->levels[i] * per;
        upper_bytes = slots * sizeof(uint32_t);
        upper = emb_alloc(slots ? (size_t)upper_bytes : 1);
        if (!upper) goto nomem;
        uint64_t at = 0;
        for (int64_t i = 0; i < ix->n; i++)
            if (ix->levels[i]) {
                memcpy(upper + at, ix->upper[i], (size_t)(ix->levels[i] * per) * sizeof(uint32_t));
                at += ix->levels[i] * per;
            }
    }
    char kv[1024];
    int kl = snprintf(kv, sizeof kv, "type=%s\nmetric=%s\ndim=%d\nstride=%d\ncount=%lld\nwords=%d\n",
                      emb_index_type_name(ix->type), emb_index_metric_name(ix->metric), ix->dim, ix->stride,
                      (long long)ix->n, ix->words ? 1 : 0);
    if (ix->type == EMB_INDEX_HNSW)
        snprintf(kv + kl, sizeof kv - (size_t)kl,
                 "M=%d\nM0=%d\nef_construction=%d\nef_search=%d\nseed=%llu\nentry=%lld\nmax_level=%d\nnode_bytes=%zu\n",
                 ix->M, ix->M0, ix->ef_construction, ix->ef_search, (unsigned long long)ix->seed, (long long)ix->entry,
                 ix->max_level, ix->node_bytes);
    struct emb_outfile *of = NULL;
    if ((rc = emb_outfile_open(&of, path, err)) != EMB_OK) goto done;
    FILE *f = emb_outfile_stream(of);
    rc = emb_write_header(f, ix->type == EMB_INDEX_HNSW ? MAGIC_HNSW : MAGIC_FLAT, FILE_VERSION, kv);
    if (rc == EMB_OK) rc = write_pad(f, 16 + strlen(kv));
    if (ix->type == EMB_INDEX_FLAT) {
        if (rc == EMB_OK) rc = write_section(f, "VECTORS", ix->vecs, (uint64_t)ix->n * (uint64_t)ix->stride * 4);
    } else {
        if (rc == EMB_OK) rc = write_section(f, "LEVEL0", ix->level0, (uint64_t)ix->n * ix->node_bytes);
        if (rc == EMB_OK) rc = write_section(f, "LEVELS", ix->levels, (uint64_t)ix->n);
        if (rc == EMB_OK) rc = write_section(f, "UPPER", upper, upper_bytes);
    }
    if (rc == EMB_OK) rc = write_section(f, "DELETED", ix->deleted, (uint64_t)ix->n);
    if (rc == EMB_OK) rc = write_section(f, "WORDS", words, words_bytes);
    if (rc != EMB_OK) {
        emb_outfile_abort(of);
        rc = emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    rc = emb_outfile_commit(of, err);
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory saving %s", path);
done:
    emb_free(words);
    emb_free(upper);
    return rc;
}

/* ---- loading ---------------------------------------------------------------------- */

/* A cursor over the file's bytes. */
struct cursor {
    const char *path;
    char *base;
    uint64_t len, off;
    int check_crc;
};

/* The next section: its tag must be `tag` and its size n_bytes. */
static int next_section(struct cursor *c, const char *tag, uint64_t n_bytes, char **data, struct emb_err *err) {
    struct section_head h;
    if (c->off > c->len || c->len - c->off < sizeof h)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated before section %s", c->path, tag);
    memcpy(&h, c->base + c->off, sizeof h);
    if (strncmp(h.tag, tag, sizeof h.tag) != 0)
        return emb_err_set(err, EMB_EFORMAT, "%s: expected section %s at byte %llu, found '%.8s'", c->path, tag,
                           (unsigned long long)c->off, h.tag);
    if (h.n_bytes != n_bytes)
        return emb_err_set(err, EMB_EFORMAT, "%s: section %s holds %llu bytes, the header implies %llu", c->path, tag,
                           (unsigned long long)h.n_bytes, (unsigned long long)n_bytes);
    c->off += sizeof h;
    uint64_t padded = (n_bytes + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;
    if (c->len - c->off < n_bytes)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated in section %s (file is %llu bytes)", c->path, tag,
                           (unsigned long long)c->len);
    *data = c->base + c->off;
    if (c->check_crc && crc_of(*data, n_bytes) != h.crc)
        return emb_err_set(err, EMB_EFORMAT, "%s: section %s is corrupt (CRC mismatch)", c->path, tag);
    c->off += padded < c->len - c->off ? padded : c->len - c->off;
    return EMB_OK;
}

/* Read all of path into one 64-byte aligned buffer (gzip, stdin, pipes). */
static int read_all(const char *path, char **out, uint64_t *len, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    size_t cap = 1 << 20, n = 0;
    char *b = emb_alloc(cap), *nb;
    while (b) {
        size_t got = 0;
        rc = emb_reader_read(r, b + n, cap - n, &got, NULL);
        n += got;
        if (rc != EMB_OK) break; /* end of input (EFORMAT) or error */
        if (n == cap) {
            cap *= 2;
            if (!(nb = emb_realloc(b, cap))) emb_free(b);
            b = nb;
        }
    }
    if (rc == EMB_EIO) {
        emb_free(b);
        emb_reader_close(r);
        return emb_err_set(err, EMB_EIO, "cannot read %s", path);
    }
    emb_reader_close(r);
    char *a = b ? emb_alloc_aligned(n ? n : 1) : NULL;
    if (!a) {
        emb_free(b);
        return emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
    }
    memcpy(a, b, n);
    emb_free(b);
    *out = a;
    *len = n;
    return EMB_OK;
}

/* Map path when it is a regular, uncompressed file; *out NULL otherwise. */
static int map_file(const char *path, void **out, uint64_t *len, struct emb_err *err) {
    *out = NULL;
    if (!strcmp(path, "-")) return EMB_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return emb_err_set(err, EMB_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    unsigned char head[2] = {0, 0};
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return emb_err_set(err, EMB_EIO, "cannot read %s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 16 || pread(fd, head, 2, 0) != 2 || (head[0] == 0x1f && head[1] == 0x8b)) {
        close(fd);
        return EMB_OK; /* read it instead */
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return EMB_OK;
    *out = m;
    *len = (uint64_t)st.st_size;
    return EMB_OK;
}

static int load_words(struct emb_index *ix, const struct cursor *c, const char *w, uint64_t n_bytes,
                      struct emb_err *err) {
    int rc = emb_vocab_new(&ix->words, err);
    if (rc != EMB_OK) return rc;
    const char *end = w + n_bytes;
    for (int64_t i = 0; i < ix->n; i++) {
        const char *z = memchr(w, '\0', (size_t)(end - w));
        if (!z) return emb_err_set(err, EMB_EFORMAT, "%s: word list ends early (%lld words)", c->path, (long long)i);
        if (z == w) return emb_err_set(err, EMB_EFORMAT, "%s: word %lld is empty", c->path, (long long)i);
        int32_t got = -1;
        if ((rc = emb_vocab_add(ix->words, w, (size_t)(z - w), 0, &got, err)) != EMB_OK) return rc;
        if (got != i) return emb_err_set(err, EMB_EFORMAT, "%s: word '%s' appears twice", c->path, w);
        w = z + 1;
    }
    if (w != end) return emb_err_set(err, EMB_EFORMAT, "%s: word list has bytes after the last word", c->path);
    return EMB_OK;
}

/* Every stored vector (and |x|^2 for HNSW) must be finite. */
static int check_vectors(const struct emb_index *ix, const struct cursor *c, struct emb_err *err) {
    for (int64_t i = 0; i < ix->n; i++) {
        const float *x = ix_row(ix, i);
        float s = 0;
        for (int32_t j = 0; j < ix->dim; j++) s += x[j] * 0.0f; /* NaN/inf propagate, finite values give 0 */
        if (ix->type == EMB_INDEX_HNSW) s += *ix_node_sqnorm(ix, i) * 0.0f;
        if (s != 0) return emb_err_set(err, EMB_EFORMAT, "%s: row %lld has a non-finite value", c->path, (long long)i);
    }
    return EMB_OK;
}

static int parse_index(struct emb_index **out, struct cursor *c, struct emb_err *err) {
    *out = NULL;
    struct emb_index_params p = emb_index_default_params();
    if (c->len < 16) return emb_err_set(err, EMB_EFORMAT, "%s: too short to be an emb index file", c->path);
    if (!memcmp(c->base, MAGIC_FLAT, 8)) p.type = EMB_INDEX_FLAT;
    else if (!memcmp(c->base, MAGIC_HNSW, 8)) p.type = EMB_INDEX_HNSW;
    else if (!memcmp(c->base, "EMB", 3) && memchr(c->base, '\0', 8))
        return emb_err_set(err, EMB_EFORMAT, "%s: an emb %s file, not an index", c->path, c->base);
    else return emb_err_set(err, EMB_EFORMAT, "%s: not an emb index file (bad magic)", c->path);
    uint32_t version, kv_bytes;
    memcpy(&version, c->base + 8, 4);
    memcpy(&kv_bytes, c->base + 12, 4);
    if (version == 0 || version > FILE_VERSION)
        return emb_err_set(err, EMB_EFORMAT, "%s: index format version %u, this emb reads up to %u", c->path, version,
                           FILE_VERSION);
    if (kv_bytes > c->len - 16 || kv_bytes > (1u << 16))
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated header", c->path);
    char kv[(1 << 16) + 1];
    memcpy(kv, c->base + 16, kv_bytes);
    kv[kv_bytes] = '\0';
    if (memchr(kv, '\0', kv_bytes)) return emb_err_set(err, EMB_EFORMAT, "%s: corrupt header", c->path);
    c->off = (16 + (uint64_t)kv_bytes + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;

    char name[32];
    struct emb_err e2 = {0};
    if (!emb_kv_get(kv, "type", name, sizeof name) || strcmp(name, emb_index_type_name(p.type)) != 0)
        return emb_err_set(err, EMB_EFORMAT, "%s: header type does not match the magic", c->path);
    if (!emb_kv_get(kv, "metric", name, sizeof name) || emb_index_metric_parse(name, &p.metric, &e2) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: header has no valid metric", c->path);
    long long dim, stride, count, has_words, v;
    int rc;
    if ((rc = emb_kv_ll(kv, "dim", 1, 1000000, &dim, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "stride", 1, 1000000 + IX_PAD, &stride, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "count", 1, IX_MAX_ROWS, &count, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "words", 0, 1, &has_words, c->path, err)) != EMB_OK) return rc;
    if (stride != (dim + IX_PAD - 1) / IX_PAD * IX_PAD)
        return emb_err_set(err, EMB_EFORMAT, "%s: stride %lld does not fit dim %lld", c->path, stride, dim);
    long long entry = -1, max_level = -1, node_bytes = 0, M0 = 0;
    if (p.type == EMB_INDEX_HNSW) {
        if ((rc = emb_kv_ll(kv, "M", 2, IX_MAX_M, &v, c->path, err)) != EMB_OK) return rc;
        p.M = (int)v;
        if ((rc = emb_kv_ll(kv, "M0", 2 * v, 2 * v, &M0, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "ef_construction", 1, 1000000, &v, c->path, err)) != EMB_OK) return rc;
        p.ef_construction = (int)v;
        if ((rc = emb_kv_ll(kv, "ef_search", 1, 1000000, &v, c->path, err)) != EMB_OK) return rc;
        p.ef_search = (int)v;
        if (emb_kv_get(kv, "seed", name, sizeof name)) p.seed = strtoull(name, NULL, 10);
        if ((rc = emb_kv_ll(kv, "entry", 0, count - 1, &entry, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "max_level", 0, IX_MAX_LEVEL, &max_level, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "node_bytes", 1, 1LL << 32, &node_bytes, c->path, err)) != EMB_OK) return rc;
        if ((size_t)node_bytes != emb__ix_node_bytes((int32_t)stride, (int)M0))
            return emb_err_set(err, EMB_EFORMAT, "%s: node_bytes %lld does not fit dim and M", c->path, node_bytes);
    }
    struct emb_index *ix = NULL;
    if ((rc = index_alloc(&ix, (int32_t)dim, &p, err)) != EMB_OK) return rc;
    ix->n = ix->cap = count;
    char *data = NULL;
    if (p.type == EMB_INDEX_FLAT) {
        if ((rc = next_section(c, "VECTORS", (uint64_t)count * (uint64_t)stride * 4, &data, err)) != EMB_OK) goto fail;
        ix->vecs = (float *)data;
    } else {
        if ((rc = next_section(c, "LEVEL0", (uint64_t)count * (uint64_t)node_bytes, &data, err)) != EMB_OK) goto fail;
        ix->level0 = data;
        if ((rc = next_section(c, "LEVELS", (uint64_t)count, &data, err)) != EMB_OK) goto fail;
        ix->levels = (uint8_t *)data;
        uint64_t slots = 0;
        for (int64_t i = 0; i < count; i++) {
            if (ix->levels[i] > max_level) {
                rc = emb_err_set(err, EMB_EFORMAT, "%s: node %lld has level %d above the top level %lld", c->path,
                                 (long long)i, ix->levels[i], max_level);
                goto fail;
            }
            slots += (uint64_t)ix->levels[i] * (uint64_t)(p.M + 1);
        }
        if (ix->levels[entry] != max_level) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: entry point %lld is not on the top level", c->path, entry);
            goto fail;
        }
        if ((rc = next_section(c, "UPPER", slots * 4, &data, err)) != EMB_OK) goto fail;
        ix->upper_blob = data;
        ix->upper_blob_bytes = slots * 4;
        ix->upper = emb_calloc((size_t)count, sizeof *ix->upper);
        ix->locks = emb_calloc((size_t)count, 1);
        if (!ix->upper || !ix->locks) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory loading %s", c->path);
            goto fail;
        }
        uint64_t at = 0;
        for (int64_t i = 0; i < count; i++)
            if (ix->levels[i]) {
                ix->upper[i] = (uint32_t *)data + at;
                at += (uint64_t)ix->levels[i] * (uint64_t)(p.M + 1);
            }
        ix->entry = entry;
        ix->max_level = (int)max_level;
    }
    if ((rc = next_section(c, "DELETED", (uint64_t)count, &data, err)) != EMB_OK) goto fail;
    ix->deleted = (uint8_t *)data;
    for (int64_t i = 0; i < count; i++) {
        if (ix->deleted[i] > 1) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: bad deletion mark for row %lld", c->path, (long long)i);
            goto fail;
        }
        ix->n_deleted += ix->deleted[i];
    }
    /* WORDS: its size is only known from its own header, bounded by the file. */
    if (c->off > c->len || c->len - c->off < sizeof(struct section_head)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: truncated before section WORDS", c->path);
        goto fail;
    }
    uint64_t words_bytes;
    memcpy(&words_bytes, c->base + c->off + 8, 8);
    if (!has_words && words_bytes != 0) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: words present but the header says none", c->path);
        goto fail;
    }
    if ((rc = next_section(c, "WORDS", words_bytes, &data, err)) != EMB_OK) goto fail;
    if (has_words && (rc = load_words(ix, c, data, words_bytes, err)) != EMB_OK) goto fail;
    if (c->off != c->len) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: %llu unexpected bytes after the last section", c->path,
                         (unsigned long long)(c->len - c->off));
        goto fail;
    }
    if ((rc = check_vectors(ix, c, err)) != EMB_OK) goto fail;
    if (p.type == EMB_INDEX_HNSW && (rc = emb__hnsw_validate(ix, c->path, err)) != EMB_OK) goto fail;
    if (ix->metric == EMB_METRIC_L2 && p.type == EMB_INDEX_FLAT) {
        /* Flat files do not store |x|^2: one pass computes them. */
        ix->sqnorms = emb_alloc((size_t)count * sizeof(float));
        if (!ix->sqnorms) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory loading %s", c->path);
            goto fail;
        }
        for (int64_t i = 0; i < count; i++) ix->sqnorms[i] = ix->ops.dot(ix->stride, ix_row(ix, i), ix_row(ix, i));
    }
    *out = ix;
    return EMB_OK;
fail:
    emb_index_free(ix);
    return rc;
}

int emb_index_load_flags(struct emb_index **out, const char *path, unsigned flags, struct emb_err *err) {
    *out = NULL;
    void *map = NULL;
    uint64_t len = 0;
    char *buf = NULL;
    int rc = EMB_OK;
    if (!(flags & EMB_INDEX_LOAD_NO_MMAP) && (rc = map_file(path, &map, &len, err)) != EMB_OK) return rc;
    if (!map && (rc = read_all(path, &buf, &len, err)) != EMB_OK) return rc;
    struct cursor c = {.path = path, .base = map ? map : buf, .len = len, .check_crc = !(flags & EMB_INDEX_LOAD_NO_CRC)};
    struct emb_index *ix = NULL;
    if ((rc = parse_index(&ix, &c, err)) != EMB_OK) {
        if (map) munmap(map, (size_t)len);
        emb_free_aligned(buf);
        return rc;
    }
    ix->map = map;
    ix->map_bytes = map ? (size_t)len : 0;
    ix->buf = buf;
    ix->buf_bytes = buf ? (size_t)len : 0;
    *out = ix;
    return EMB_OK;
}

int emb_index_load(struct emb_index **out, const char *path, struct emb_err *err) {
    return emb_index_load_flags(out, path, 0, err);
}
