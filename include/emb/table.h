/* table.h -- an aligned embedding table: n_rows x dim floats in one block.
 *
 * Rows are padded to a multiple of 16 floats (dim_padded) and the block is
 * 64-byte aligned, so SIMD kernels run on whole registers with no tail and
 * rows never share a cache line. Padding is zero and stays zero under the
 * kernels in vec.h (they only add multiples of other padded rows).
 *
 *     struct emb_table *t = NULL;
 *     if (emb_table_new(&t, n, 100, &err) == EMB_OK) {
 *         float *row = emb_table_row(t, 42);   // (dim) valid floats
 *     }
 *     emb_table_free(t);
 *
 * The struct is plain data: read its fields, but create and free it here. */
#ifndef EMB_TABLE_H
#define EMB_TABLE_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows are padded to a multiple of this many floats. */
#define EMB_TABLE_PAD 16

struct emb_table {
    int64_t n_rows;
    int32_t dim;        /* meaningful floats per row */
    int32_t dim_padded; /* stride between rows, multiple of EMB_TABLE_PAD */
    float *data;        /* (n_rows, dim_padded), 64-byte aligned, zeroed */
};

/* A zeroed table. dim must be >= 1 and n_rows >= 0. */
int emb_table_new(struct emb_table **out, int64_t n_rows, int32_t dim, struct emb_err *err);
void emb_table_free(struct emb_table *t);

static inline float *emb_table_row(const struct emb_table *t, int64_t i) {
    return t->data + i * (int64_t)t->dim_padded;
}

/* Fill every row with uniform values in [-scale, scale) (padding stays 0),
 * row i drawn from RNG stream i of `seed` so the result does not depend on
 * how many threads later use the table. word2vec uses scale = 0.5/dim. */
void emb_table_init_uniform(struct emb_table *t, float scale, uint64_t seed);

/* Index of the first non-finite value, or -1 if all are finite. */
int64_t emb_table_find_nonfinite(const struct emb_table *t);

/* Scale each row to unit L2 norm (zero rows stay zero). */
void emb_table_normalize_rows(struct emb_table *t);

#ifdef __cplusplus
}
#endif
#endif
