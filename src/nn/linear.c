/* linear.c -- the dense layer and the embedding lookup (nn.h).
 *
 * The three products of a linear layer are single GEMM calls, so the
 * BLAS library's blocked, threaded kernels do the work. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "emb/nn.h"

void emb_nn_linear_forward(float *y, const float *x, const float *w, const float *b, int64_t B, int64_t in,
                           int64_t out) {
    if (b) {
        for (int64_t i = 0; i < B; i++) memcpy(y + i * out, b, (size_t)out * sizeof *y);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)out, (int)in, 1.0f, x, (int)in, w, (int)in,
                b ? 1.0f : 0.0f, y, (int)out);
}

void emb_nn_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                            int64_t B, int64_t in, int64_t out) {
    if (dx) /* dx (B x in) += dy (B x out) w (out x in) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)out, 1.0f, dy, (int)out, w,
                    (int)in, 1.0f, dx, (int)in);
    if (dw) /* dw (out x in) += dy^T x */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)B, 1.0f, dy, (int)out, x,
                    (int)in, 1.0f, dw, (int)in);
    if (db)
        for (int64_t i = 0; i < B; i++)
            for (int64_t o = 0; o < out; o++) db[o] += dy[i * out + o];
}

void emb_nn_embed_forward(float *y, const float *table, const int32_t *ids, int64_t n, int64_t dim) {
    for (int64_t i = 0; i < n; i++) memcpy(y + i * dim, table + (int64_t)ids[i] * dim, (size_t)dim * sizeof *y);
}

void emb_nn_embed_backward(float *dtable, const float *dy, const int32_t *ids, int64_t n, int64_t dim) {
    for (int64_t i = 0; i < n; i++) {
        float *g = dtable + (int64_t)ids[i] * dim;
        const float *d = dy + i * dim;
        for (int64_t k = 0; k < dim; k++) g[k] += d[k];
    }
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int64_t emb_nn_unique_rows(int32_t *rows, const int32_t *ids, int64_t n) {
    if (n <= 0) return 0;
    memcpy(rows, ids, (size_t)n * sizeof *rows);
    qsort(rows, (size_t)n, sizeof *rows, cmp_i32);
    int64_t m = 1;
    for (int64_t i = 1; i < n; i++)
        if (rows[i] != rows[m - 1]) rows[m++] = rows[i];
    return m;
}
