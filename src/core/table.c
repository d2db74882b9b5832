/* table.c -- aligned, padded embedding tables. */
#include <math.h>
#include <string.h>

#include "emb/table.h"
#include "emb/vec.h"

int emb_table_new(struct emb_table **out, int64_t n_rows, int32_t dim, struct emb_err *err) {
    *out = NULL;
    if (dim < 1 || dim > (1 << 24) || n_rows < 0)
        return emb_err_set(err, EMB_EINVAL, "bad table shape %lld x %d", (long long)n_rows, dim);
    struct emb_table *t = emb_calloc(1, sizeof *t);
    if (!t) return emb_err_set(err, EMB_ENOMEM, "out of memory for table");
    t->n_rows = n_rows;
    t->dim = dim;
    t->dim_padded = (dim + EMB_TABLE_PAD - 1) / EMB_TABLE_PAD * EMB_TABLE_PAD;
    size_t n_bytes = (size_t)n_rows * (size_t)t->dim_padded * sizeof(float);
    t->data = emb_alloc_aligned(n_bytes);
    if (!t->data) {
        emb_free(t);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for a %lld x %d table (%.1f MB)",
                           (long long)n_rows, dim, n_bytes / 1e6);
    }
    memset(t->data, 0, n_bytes);
    *out = t;
    return EMB_OK;
}

void emb_table_free(struct emb_table *t) {
    if (!t) return;
    emb_free_aligned(t->data);
    emb_free(t);
}

void emb_table_init_uniform(struct emb_table *t, float scale, uint64_t seed) {
    for (int64_t i = 0; i < t->n_rows; i++) {
        struct emb_rng r;
        emb_rng_seed(&r, seed, (uint64_t)i);
        float *row = emb_table_row(t, i);
        for (int32_t j = 0; j < t->dim; j++) row[j] = (emb_rng_uniform(&r) * 2.0f - 1.0f) * scale;
    }
}

int64_t emb_table_find_nonfinite(const struct emb_table *t) {
    for (int64_t i = 0; i < t->n_rows; i++) {
        const float *row = emb_table_row(t, i);
        for (int32_t j = 0; j < t->dim; j++)
            if (!isfinite(row[j])) return i * t->dim + j;
    }
    return -1;
}

void emb_table_normalize_rows(struct emb_table *t) {
    struct emb_vec_ops ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    for (int64_t i = 0; i < t->n_rows; i++) emb_vec_normalize(&ops, t->dim_padded, emb_table_row(t, i));
}
