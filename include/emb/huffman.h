/* huffman.h -- Huffman codes over word counts, for hierarchical softmax.
 *
 * Built as word2vec.c builds it (two-queue merge over counts sorted in
 * descending order), so codes match word2vec.c for the same vocabulary:
 * word i's path has len[i] inner nodes; point[i][j] is the row of the j-th
 * inner node (0..n-2, root = n-2) and code[i][j] its branch bit.
 *
 *     struct emb_huffman *h = NULL;
 *     emb_huffman_new(&h, counts, n, &err);   // counts sorted descending
 *     for (int j = 0; j < h->len[w]; j++) use(h->point[h->offset[w] + j], h->code[h->offset[w] + j]);
 */
#ifndef EMB_HUFFMAN_H
#define EMB_HUFFMAN_H

#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest code kept; deeper words are reported as EMB_EINVAL. With 64-bit
 * counts a depth above 64 cannot happen for fewer than ~F(64) tokens. */
#define EMB_HUFFMAN_MAX_LEN 64

struct emb_huffman {
    int32_t n;        /* leaves (words) */
    int64_t *offset;  /* (n) start of word i's path in point/code */
    uint8_t *len;     /* (n) path length */
    int32_t *point;   /* (sum len) inner node ids, root first */
    uint8_t *code;    /* (sum len) 0/1 */
};

/* counts: (n), n >= 1. A single word gets an empty path. */
int emb_huffman_new(struct emb_huffman **out, const int64_t *counts, int32_t n, struct emb_err *err);
void emb_huffman_free(struct emb_huffman *h);

#ifdef __cplusplus
}
#endif
#endif
