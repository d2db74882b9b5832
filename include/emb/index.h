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
 * order), so a caller holding that file maps ids to words itself.
 * emb_index_search is safe to call from many threads at once on a loaded
 * index (read-only). The rest of this header (build, add, delete, save,
 * parameters) belongs to src/index/. */
#ifndef EMB_INDEX_H
#define EMB_INDEX_H

#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_index_type { EMB_INDEX_FLAT = 0, EMB_INDEX_HNSW = 1 };
enum emb_metric { EMB_METRIC_COSINE = 0, EMB_METRIC_IP = 1, EMB_METRIC_L2 = 2 };

struct emb_index;

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

#ifdef __cplusplus
}
#endif
#endif
