/* index.h -- nearest-neighbour search over a vector set: exact (flat) and
 * approximate (HNSW, Malkov & Yashunin 2018).
 *
 *     struct emb_index *ix = NULL;
 *     emb_index_load(&ix, "words.idx", &err);       // built by `emb index build`
 *     int64_t ids[10]; float scores[10];
 *     int n = emb_index_search(ix, query, 10, 0, ids, scores, &err);
 *     emb_index_free(ix);
 *
 * Row ids are the rows of the vector file the index was built from (same
 * order), so a caller holding that file maps ids to words itself; an index
 * built with words also stores them (emb_index_word, emb_index_find).
 * emb_index_search is safe to call from many threads at once on a loaded
 * index (read-only). The rest of this header (build, add, delete, save,
 * parameters) belongs to src/index/.
 *
 * Building and saving:
 *
 *     struct emb_index_params p = emb_index_default_params();
 *     p.type = EMB_INDEX_HNSW;  p.M = 16;  p.ef_construction = 200;
 *     rc = emb_index_build(&ix, vecs->table, vecs->vocab, &p, pool, &err);
 *     rc = emb_index_save(ix, "words.idx", &err);
 *
 * DESIGN: one opaque object serves both kinds. Every metric is searched as
 * a similarity (higher is better): cosine indexes store unit vectors, so
 * cosine = dot; L2 ranks by 2 x.q - |x|^2 and reports |x - q|^2. Vectors
 * are stored padded to 16 floats for the vec.h kernels. HNSW keeps each
 * node's vector and level-0 links in one 64-byte aligned block (hnswlib's
 * layout) so a hop touches one contiguous run of memory. Files are emb's
 * native format (io.h: magic "EMBFLAT\0" or "EMBHNSW\0", version, key=value
 * text) followed by 64-byte aligned sections with CRC-32s, so an
 * uncompressed file is memory-mapped (copy-on-write) instead of read.
 * Mutation (add, delete) must not run concurrently with searches. */
#ifndef EMB_INDEX_H
#define EMB_INDEX_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_index_type { EMB_INDEX_FLAT = 0, EMB_INDEX_HNSW = 1 };
enum emb_metric { EMB_METRIC_COSINE = 0, EMB_METRIC_IP = 1, EMB_METRIC_L2 = 2 };

struct emb_index;
struct emb_pool;

int emb_index_load(struct emb_index **out, const char *path, struct emb_err *err);
void emb_index_free(struct emb_index *ix);

enum emb_index_type emb_index_type(const struct emb_index *ix);
enum emb_metric emb_index_metric(const struct emb_index *ix);
int64_t emb_index_size(const struct emb_index *ix); /* rows, deleted ones included */
int32_t emb_index_dim(const struct emb_index *ix);

/* The k best rows for query (dim floats), best first. Scores are cosine
 * or inner product (higher is better) or squared L2 distance (lower is
 * better). ef is HNSW's search breadth (0 = the index default; ignored for
 * flat). Deleted rows are never returned. Returns the number of results
 * written (<= k) or a negative EMB_E* status. Thread-safe. */
int emb_index_search(const struct emb_index *ix, const float *query, int k, int ef, int64_t *ids, float *scores,
                     struct emb_err *err);

/* ---- building (src/index/) --------------------------------------------- */

struct emb_index_params {
    enum emb_index_type type; /* EMB_INDEX_FLAT (default) or EMB_INDEX_HNSW */
    enum emb_metric metric;   /* EMB_METRIC_COSINE (default) */
    int M;                    /* HNSW links per node on levels >= 1; level 0 keeps 2M (16) */
    int ef_construction;      /* HNSW candidate list while building (200) */
    int ef_search;            /* HNSW default query-time ef, stored in the file (50) */
    uint64_t seed;            /* HNSW level draws (1); one thread + seed = identical index */
    /* Called now and then during a build with rows inserted so far. */
    void (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
    volatile sig_atomic_t *stop; /* non-zero: stop building, return EMB_EINTR */
};

struct emb_index_params emb_index_default_params(void);

/* "flat"/"hnsw" and "cosine"/"ip"/"l2" (also "dot", "euclidean"). */
int emb_index_type_parse(const char *name, enum emb_index_type *out, struct emb_err *err);
int emb_index_metric_parse(const char *name, enum emb_metric *out, struct emb_err *err);
const char *emb_index_type_name(enum emb_index_type t);
const char *emb_index_metric_name(enum emb_metric m);

/* An empty index for dim-dimensional vectors (rows come with emb_index_add). */
int emb_index_new(struct emb_index **out, int32_t dim, const struct emb_index_params *p, struct emb_err *err);

/* Index the first n rows of vectors: vectors (n, stride) floats, rows
 * stride floats apart (stride >= dim; an emb_table passes its data and
 * dim_padded). words (n NUL-terminated strings) may be NULL; when given
 * they must be distinct and non-empty (EMB_EDUP, EMB_EINVAL). Non-finite
 * values are EMB_ENUMERIC. pool (may be NULL = one thread) spreads the
 * HNSW build over its threads. On success *out is owned by the caller. */
int emb_index_build(struct emb_index **out, const float *vectors, int64_t n, int32_t dim, int64_t stride,
                    const char *const *words, const struct emb_index_params *p, struct emb_pool *pool,
                    struct emb_err *err);

/* Append one row (dim floats) with an optional word (NULL only for an
 * index without words; an index with words needs one that is not present,
 * EMB_EDUP otherwise). A word that was deleted is added again: its row is
 * reused with the new vector (HNSW links chosen again), so a delete and an
 * add update a vector. *id_out (may be NULL) receives the id. Not
 * thread-safe. */
int emb_index_add(struct emb_index *ix, const float *vec, const char *word, int64_t *id_out, struct emb_err *err);

/* Mark row id deleted: searches never return it again (HNSW still routes
 * through it). Deleting twice is EMB_ENOTFOUND. Not thread-safe. */
int emb_index_delete(struct emb_index *ix, int64_t id, struct emb_err *err);
int emb_index_is_deleted(const struct emb_index *ix, int64_t id);
int64_t emb_index_n_deleted(const struct emb_index *ix);

/* Write the index atomically (temp file + rename). */
int emb_index_save(const struct emb_index *ix, const char *path, struct emb_err *err);

/* Row id of word (len bytes), or -1 (also when the index has no words). */
int64_t emb_index_find(const struct emb_index *ix, const char *word, size_t len);
/* Word of row id (borrowed), or NULL for an index without words. */
const char *emb_index_word(const struct emb_index *ix, int64_t id);
/* The stored vector of row id (dim floats; unit length for cosine). */
const float *emb_index_vector(const struct emb_index *ix, int64_t id);
/* HNSW parameters as built (0 for flat). */
int emb_index_M(const struct emb_index *ix);
int emb_index_ef_construction(const struct emb_index *ix);
int emb_index_ef_search(const struct emb_index *ix);
/* 1 if the arrays are mapped from the file rather than copied. */
int emb_index_is_mapped(const struct emb_index *ix);
/* Bytes of memory held (vectors, links, words; a mapping counts whole). */
size_t emb_index_memory_bytes(const struct emb_index *ix);

/* Batched search: n_q queries (n_q, dim), rows q_stride floats apart.
 * Results go to ids/scores (n_q, k) and n_found (n_q); rows beyond
 * n_found[i] are filled with -1 / NaN. pool (may be NULL) spreads the
 * queries over its threads. */
int emb_index_search_batch(const struct emb_index *ix, const float *queries, int64_t n_q, int64_t q_stride, int k,
                           int ef, struct emb_pool *pool, int64_t *ids, float *scores, int *n_found,
                           struct emb_err *err);

/* Load without verifying CRC-32s (structure is still checked in full, so
 * a corrupt file cannot crash a search). For fuzzing the checks behind
 * the CRCs, and for very large trusted files. */
#define EMB_INDEX_LOAD_NO_CRC 1u
/* Always read into memory, never map. */
#define EMB_INDEX_LOAD_NO_MMAP 2u
int emb_index_load_flags(struct emb_index **out, const char *path, unsigned flags, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
