/* trust.c -- trustworthiness of a low-dimensional map (Venna & Kaski
 * 2001), as scikit-learn's sklearn.manifold.trustworthiness computes it:
 * how many of each point's k nearest neighbours in the map are intruders,
 * weighted by how far down the input-space ranking they are. Exact and
 * O(n^2 log n): for tests and small samples. */
#include <math.h>
#include <stdlib.h>

#include "emb/map.h"

struct dist_id {
    double d;
    int32_t id;
};

/* By distance, ties by id (so ranks are deterministic). */
static int cmp_dist(const void *a, const void *b) {
    const struct dist_id *x = a, *y = b;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

int emb_map_trustworthiness(const struct emb_table *x, int64_t n, const float *low, int32_t low_dim, int32_t k,
                            double *out, struct emb_err *err) {
    if (!x || !low || !out || n < 3 || n > x->n_rows || n > INT32_MAX || low_dim < 1)
        return emb_err_set(err, EMB_EINVAL, "trustworthiness: bad arguments");
    if (k < 1 || 2 * (int64_t)k >= n)
        return emb_err_set(err, EMB_EINVAL, "trustworthiness: k must be in 1..%lld, got %d", (long long)(n - 1) / 2, k);
    struct dist_id *hi = emb_alloc((size_t)n * sizeof *hi), *lo = emb_alloc((size_t)n * sizeof *lo);
    int32_t *rank = emb_alloc((size_t)n * sizeof *rank);
    if (!hi || !lo || !rank) {
        emb_free(hi);
        emb_free(lo);
        emb_free(rank);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for trustworthiness");
    }
    double t = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *xi = emb_table_row(x, i), *li = low + i * low_dim;
        int64_t m = 0;
        for (int64_t j = 0; j < n; j++) {
            if (j == i) continue;
            const float *xj = emb_table_row(x, j), *lj = low + j * low_dim;
            double dh = 0, dl = 0;
            for (int32_t c = 0; c < x->dim; c++) dh += ((double)xi[c] - xj[c]) * ((double)xi[c] - xj[c]);
            for (int32_t c = 0; c < low_dim; c++) dl += ((double)li[c] - lj[c]) * ((double)li[c] - lj[c]);
            hi[m] = (struct dist_id){dh, (int32_t)j};
            lo[m++] = (struct dist_id){dl, (int32_t)j};
        }
        qsort(hi, (size_t)m, sizeof *hi, cmp_dist);
        qsort(lo, (size_t)m, sizeof *lo, cmp_dist);
        for (int64_t r = 0; r < m; r++) rank[hi[r].id] = (int32_t)(r + 1); /* 1 = nearest */
        for (int32_t r = 0; r < k; r++)
            if (rank[lo[r].id] > k) t += rank[lo[r].id] - k;
    }
    *out = 1 - t * 2.0 / ((double)n * k * (2.0 * n - 3.0 * k - 1.0));
    emb_free(hi);
    emb_free(lo);
    emb_free(rank);
    return EMB_OK;
}
