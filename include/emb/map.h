/* map.h -- 2-D (or low-dimensional) maps of a vector set: PCA and
 * Barnes-Hut t-SNE (van der Maaten 2014).
 *
 *     float *xy = malloc(n * 2 * sizeof *xy);
 *     emb_map_pca(vecs->table, n, 2, xy, &err);      // first n rows
 *     struct emb_tsne_params p = emb_tsne_default_params();
 *     emb_map_tsne(vecs->table, n, &p, xy, &err);
 *
 * Output is row-major (n, out_dim). The rest of this header (t-SNE
 * parameters, progress) belongs to src/map/. */
#ifndef EMB_MAP_H
#define EMB_MAP_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Project the first n rows of x onto their top out_dim principal
 * components (centred; component signs fixed so the largest-magnitude
 * loading is positive, which makes the result deterministic). */
int emb_map_pca(const struct emb_table *x, int64_t n, int32_t out_dim, float *out, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
