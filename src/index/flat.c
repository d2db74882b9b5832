/* flat.c -- exact search: one pass over every stored row, with the exact
 * top-k kernel of vec.h (emb_topk_scan). Deleted rows are the kernel's skip
 * list. One query runs on the calling thread; emb_index_search_batch
 * spreads blocks of up to EMB__FLAT_MAX_Q queries over a pool, and each
 * block is scored by the kernel's batch path. This is the reference the
 * HNSW recall is measured against. */
#include "index_impl.h"

/* The rows of ix as the kernel sees them. */
static struct emb_topk_rows flat_rows(const struct emb_index *ix) {
    struct emb_topk_rows r = {.data = ix->vecs, .n_rows = ix->n, .dim = ix->dim, .stride = ix->stride,
                              .sqnorms = ix->metric == EMB_METRIC_L2 ? ix->sqnorms : NULL, .skip = ix->deleted};
    return r;
}

int emb__flat_search(const struct emb_index *ix, const float *q, float qsq, int k, int64_t *ids, float *scores) {
    struct emb_topk_rows rows = flat_rows(ix);
    struct emb_topk tk;
    emb_topk_init(&tk, k, ids, scores);
    emb_topk_scan(&ix->ops, &rows, 0, ix->n, &q, 1, NULL, 0, &tk);
    int n = emb_topk_sorted(&tk);
    for (int i = 0; i < n; i++) scores[i] = ix_report(ix, scores[i], qsq);
    return n;
}

void emb__flat_search_many(const struct emb_index *ix, const float *const *qs, int n_q, struct emb_topk *tks) {
    struct emb_topk_rows rows = flat_rows(ix);
    emb_topk_scan(&ix->ops, &rows, 0, ix->n, qs, n_q, NULL, 0, tks);
}
