/* flat.c -- exact search: one pass over every stored row.
 *
 * DESIGN: rows are scored SCAN_BLOCK at a time with the vec.h dot_many
 * kernel (four rows per pass over the query), and a top-k min-heap
 * (emb_topk) keeps the best. Deleted rows are checked only for scores that
 * would enter the heap, so deletion costs nothing on the common path. One
 * query runs on the calling thread; emb_index_search_batch spreads
 * queries over a pool, and for batches flat_search_block scores a block
 * of rows against several queries while the rows are still in cache.
 * This is the reference the HNSW recall is measured against. */
#include <math.h>
#include <string.h>

#include "index_impl.h"

/* Rows per dot_many call: amortises the call, and the pointer and score
 * arrays stay on the stack. */
#define SCAN_BLOCK 64

/* Would (id, score) enter the heap? Same order as emb_topk_push. */
static int topk_wants(const struct emb_topk *t, int64_t id, float score) {
    if (t->n < t->k) return 1;
    return score > t->scores[0] || (score == t->scores[0] && id < t->ids[0]);
}

/* Score rows [lo, hi) against one prepared query into tk. */
static void scan_rows(const struct emb_index *ix, const float *q, int64_t lo, int64_t hi, struct emb_topk *tk) {
    const float *ys[SCAN_BLOCK];
    float out[SCAN_BLOCK];
    int l2 = ix->metric == EMB_METRIC_L2;
    for (int64_t b = lo; b < hi; b += SCAN_BLOCK) {
        int m = hi - b < SCAN_BLOCK ? (int)(hi - b) : SCAN_BLOCK;
        for (int i = 0; i < m; i++) ys[i] = ix->vecs + (b + i) * (int64_t)ix->stride;
        ix->ops.dot_many(ix->stride, q, m, ys, out);
        if (l2)
            for (int i = 0; i < m; i++) out[i] = 2.0f * out[i] - ix->sqnorms[b + i];
        for (int i = 0; i < m; i++)
            if (topk_wants(tk, b + i, out[i]) && !ix->deleted[b + i]) emb_topk_push(tk, b + i, out[i]);
    }
}

int emb__flat_search(const struct emb_index *ix, const float *q, float qsq, int k, int64_t *ids, float *scores) {
    struct emb_topk tk;
    emb_topk_init(&tk, k, ids, scores);
    scan_rows(ix, q, 0, ix->n, &tk);
    int n = emb_topk_sorted(&tk);
    for (int i = 0; i < n; i++) scores[i] = ix_report(ix, scores[i], qsq);
    return n;
}

/* Several prepared queries at once: qs[j] (stride) for j < n_q, heaps
 * tks[j]. Rows are taken in blocks that stay in L1/L2 while every query
 * scores them, so a batch reads the table once per FLAT_QBLOCK queries
 * instead of once per query. */
void emb__flat_search_many(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks) {
    enum { ROWS = 256 };
    for (int64_t lo = 0; lo < ix->n; lo += ROWS) {
        int64_t hi = lo + ROWS < ix->n ? lo + ROWS : ix->n;
        for (int j = 0; j < n_q; j++) scan_rows(ix, qs[j], lo, hi, &tks[j]);
    }
}
