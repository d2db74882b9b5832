/* huffman.c -- word2vec.c's CreateBinaryTree without its global arrays.
 *
 * Leaves 0..n-1 hold the counts (in the caller's order, which word2vec
 * keeps sorted descending); inner nodes n..2n-2 are created in merge order.
 * Two cursors walk the leaves from the smallest (pos1, moving left) and the
 * inner nodes from the oldest (pos2, moving right): both sequences are
 * sorted, so each merge takes the two smallest in O(1). This needs counts
 * sorted descending; we sort an index if they are not. */
#include <stdlib.h>
#include <string.h>

#include "emb/huffman.h"

struct idx_count {
    int64_t count;
    int32_t id;
};

static int cmp_desc(const void *a, const void *b) {
    const struct idx_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

int emb_huffman_new(struct emb_huffman **out, const int64_t *counts, int32_t n, struct emb_err *err) {
    *out = NULL;
    if (n < 1) return emb_err_set(err, EMB_EINVAL, "Huffman tree needs at least one word");
    int rc = EMB_ENOMEM;
    int64_t m = 2 * (int64_t)n - 1;
    int64_t *cnt = emb_alloc((size_t)m * sizeof *cnt);
    int64_t *parent = emb_alloc((size_t)m * sizeof *parent);
    uint8_t *bit = emb_calloc((size_t)m, 1);
    struct idx_count *order = emb_alloc((size_t)n * sizeof *order);
    struct emb_huffman *h = emb_calloc(1, sizeof *h);
    if (!cnt || !parent || !bit || !order || !h) goto done;
    for (int32_t i = 0; i < n; i++) order[i] = (struct idx_count){counts[i], i};
    qsort(order, (size_t)n, sizeof *order, cmp_desc); /* a no-op order for sorted input */
    for (int32_t i = 0; i < n; i++) cnt[i] = order[i].count;
    int64_t pos1 = n - 1, pos2 = n;
    for (int64_t a = 0; a < n - 1; a++) {
        int64_t min[2];
        for (int k = 0; k < 2; k++) {
            if (pos1 >= 0 && (pos2 >= n + a || cnt[pos1] < cnt[pos2])) min[k] = pos1--;
            else min[k] = pos2++;
        }
        cnt[n + a] = cnt[min[0]] + cnt[min[1]];
        parent[min[0]] = n + a;
        parent[min[1]] = n + a;
        bit[min[1]] = 1;
    }
    h->n = n;
    h->offset = emb_alloc((size_t)n * sizeof *h->offset);
    h->len = emb_alloc((size_t)n);
    if (!h->offset || !h->len) goto done;
    /* First pass: lengths (leaf i of the sorted order is word order[i].id). */
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        int len = 0;
        for (int64_t b = i; b != m - 1; b = parent[b]) len++;
        if (len > EMB_HUFFMAN_MAX_LEN) {
            rc = emb_err_set(err, EMB_EINVAL, "Huffman code longer than %d bits", EMB_HUFFMAN_MAX_LEN);
            goto done;
        }
        h->len[order[i].id] = (uint8_t)len;
        h->offset[order[i].id] = total;
        total += len;
    }
    h->point = emb_alloc((size_t)(total ? total : 1) * sizeof *h->point);
    h->code = emb_alloc((size_t)(total ? total : 1));
    if (!h->point || !h->code) goto done;
    /* Second pass: walk leaf -> root, store root-first. Inner node n+a is
     * row a of the output table; the root is row n-2. */
    for (int32_t i = 0; i < n; i++) {
        int32_t w = order[i].id;
        int len = h->len[w], j = len - 1;
        for (int64_t b = i; b != m - 1; b = parent[b], j--) {
            h->code[h->offset[w] + j] = bit[b];
            h->point[h->offset[w] + j] = (int32_t)(parent[b] - n);
        }
    }
    rc = EMB_OK;
done:
    emb_free(cnt);
    emb_free(parent);
    emb_free(bit);
    emb_free(order);
    if (rc != EMB_OK) {
        emb_huffman_free(h);
        return rc == EMB_ENOMEM ? emb_err_set(err, rc, "out of memory building Huffman tree") : rc;
    }
    *out = h;
    return EMB_OK;
}

void emb_huffman_free(struct emb_huffman *h) {
    if (!h) return;
    emb_free(h->offset);
    emb_free(h->len);
    emb_free(h->point);
    emb_free(h->code);
    emb_free(h);
}
