/* index_impl.h -- the inside of struct emb_index, shared by index.c (the
 * dispatcher), index_io.c (files), flat.c (exact scan) and hnsw.c (graph).
 * Not installed. Calls go one way: index.c and index_io.c call flat.c and
 * hnsw.c; those two call nothing of index.c or of each other.
 *
 * Every metric is searched as a similarity, higher is better:
 *   cosine  rows and queries unit length, sim = x.q
 *   ip      sim = x.q
 *   l2      sim = 2 x.q - |x|^2  (= |q|^2 - |x - q|^2, so ranking is the
 *           same as by distance); results report |q|^2 - sim. */
#ifndef EMB_INDEX_IMPL_H
#define EMB_INDEX_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "emb/index.h"
#include "emb/pool.h"
#include "emb/vec.h"
#include "emb/vocab.h"

/* Rows are padded to this many floats (zeros), like emb_table. */
#define IX_PAD 16
/* Ids are uint32 in HNSW links and int32 in the vocabulary. */
#define IX_MAX_ROWS INT32_MAX
#define IX_MAX_M 256
#define IX_MAX_LEVEL 30
/* File sections and HNSW level-0 nodes start on this boundary (bytes). */
#define IX_ALIGN 64

/* Per-search scratch for HNSW: a visited list with epoch tags (a row is
 * visited when tag[row] == epoch, so clearing is one increment), the
 * padded query and the two heaps. Kept in a free list on the index and
 * reused, as hnswlib's VisitedListPool. */
struct ix_ctx {
    struct ix_ctx *next;
    uint16_t *tags; /* (cap) */
    uint16_t epoch;
    int64_t cap;
    /* Heaps of (sim, id). cand: max-heap, top: min-heap. */
    float *cand_s, *top_s;
    uint32_t *cand_i, *top_i;
    int64_t heap_cap;
    uint32_t *links; /* (2M + 1) copy of one link list during builds */
};

struct emb_index {
    enum emb_index_type type;
    enum emb_metric metric;
    int32_t dim, stride; /* stride = dim rounded up to IX_PAD */
    int64_t n, cap;      /* rows in use, rows allocated */
    struct emb_vec_ops ops;

    uint8_t *deleted; /* (cap) 1 = deleted */
    int64_t n_deleted;
    struct emb_vocab *words; /* NULL: no words */

    /* flat: vectors (cap, stride); sqnorms (cap) for L2 only */
    float *vecs;
    float *sqnorms;

    /* hnsw: node i's block at level0 + i * node_bytes holds
     *   vector (stride floats) | sqnorm (float) | count (uint32) | links (M0 uint32)
     * padded to 64 bytes. Level >= 1 lists of node i: upper[i], levels[i]
     * runs of (count, M links) uint32. */
    int M, M0, ef_construction, ef_search;
    uint64_t seed;
    double level_mult;
    size_t node_bytes;
    char *level0;
    uint8_t *levels;
    uint32_t **upper;
    int64_t entry;
    int max_level;
    atomic_uchar *locks;      /* (cap) spin locks on link lists, during builds */
    pthread_mutex_t global;   /* entry point and free list of contexts */
    struct ix_ctx *free_ctx;
    int building;             /* 1 while threads insert: readers lock lists */

    /* Storage: arrays may point into a file mapping or a read buffer,
     * otherwise each is its own allocation. */
    void *map;
    size_t map_bytes;
    char *buf; /* read buffer (gzip or unmappable files) */
    size_t buf_bytes;
    char *upper_blob; /* loaded upper links (inside map/buf or not) */
    size_t upper_blob_bytes;
    int own_vecs, own_level0, own_deleted, own_levels;
};

static inline float *ix_node_vec(const struct emb_index *ix, int64_t i) {
    return (float *)(ix->level0 + (size_t)i * ix->node_bytes);
}
static inline float *ix_node_sqnorm(const struct emb_index *ix, int64_t i) {
    return (float *)(ix->level0 + (size_t)i * ix->node_bytes + (size_t)ix->stride * sizeof(float));
}
/* Level-0 list of node i: [count, link0, link1, ...]. */
static inline uint32_t *ix_node_links0(const struct emb_index *ix, int64_t i) {
    return (uint32_t *)(ix->level0 + (size_t)i * ix->node_bytes + (size_t)ix->stride * sizeof(float) + sizeof(float));
}
/* List of node i at level lev (>= 1). */
static inline uint32_t *ix_node_links(const struct emb_index *ix, int64_t i, int lev) {
    if (lev == 0) return ix_node_links0(ix, i);
    return ix->upper[i] + (size_t)(lev - 1) * (size_t)(ix->M + 1);
}
/* Stored vector of row i (either kind). */
static inline const float *ix_row(const struct emb_index *ix, int64_t i) {
    return ix->type == EMB_INDEX_FLAT ? ix->vecs + i * (int64_t)ix->stride : ix_node_vec(ix, i);
}

/* index.c: bytes of one HNSW level-0 block for the index's stride and M0;
 * a zeroed index with its parameters set and no rows. */
size_t emb__ix_node_bytes(int32_t stride, int M0);
int emb__ix_alloc(struct emb_index **out, int32_t dim, const struct emb_index_params *p, struct emb_err *err);

/* Convert a similarity into the reported score. qsq = |q|^2. */
static inline float ix_report(const struct emb_index *ix, float sim, float qsq) {
    if (ix->metric != EMB_METRIC_L2) return sim;
    float d = qsq - sim;
    return d > 0 ? d : 0;
}

/* flat.c */
int emb__flat_search(const struct emb_index *ix, const float *q, float qsq, int k, int64_t *ids, float *scores);
/* Prepared queries qs[j] (stride) into heaps tks[j] (sims, unsorted),
 * n_q <= EMB__FLAT_MAX_Q. */
#define EMB__FLAT_MAX_Q 256
void emb__flat_search_many(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks);

/* hnsw.c: grow arrays to cap rows; insert rows [lo, hi) already stored
 * (vector, sqnorm) with pool threads; search. */
int emb__hnsw_reserve(struct emb_index *ix, int64_t cap, struct emb_err *err);
int emb__hnsw_insert_range(struct emb_index *ix, int64_t lo, int64_t hi, struct emb_pool *pool,
                           const struct emb_index_params *p, struct emb_err *err);
/* q: (stride) prepared query (padded, normalised for cosine), qsq = |q|^2. */
int emb__hnsw_search(const struct emb_index *ix, const float *q, float qsq, int k, int ef, int64_t *ids,
                     float *scores, struct emb_err *err);
/* Free the index's pool of search contexts (emb_index_free). */
void emb__hnsw_ctx_free_all(struct emb_index *ix);
/* Row q, already in the graph, has a new vector (stored, with |x|^2):
 * choose its links again on each of its levels and link back to them, as
 * an insertion does. Links other rows hold to q are kept. */
int emb__hnsw_relink(struct emb_index *ix, int64_t q, struct emb_err *err);
/* Check links of a loaded graph; EMB_EFORMAT with a message if broken. */
int emb__hnsw_validate(const struct emb_index *ix, const char *path, struct emb_err *err);

#endif
