/* sample.h -- O(1) sampling from a discrete distribution (Walker's alias method).
 *
 * Negative sampling draws from the unigram distribution raised to 3/4.
 * word2vec.c fills a 10^8-entry table (400 MB) for this; an alias table
 * needs 8 bytes per word and draws exactly from the distribution:
 *
 *     struct emb_alias *a = NULL;
 *     emb_alias_new_pow(&a, counts, n, 0.75, &err);
 *     int32_t w = emb_alias_sample(a, &rng);
 *     emb_alias_free(a);
 */
#ifndef EMB_SAMPLE_H
#define EMB_SAMPLE_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_alias {
    int32_t n;
    uint32_t *prob; /* (n) acceptance threshold of column i, scaled to 2^32 */
    int32_t *alias; /* (n) the other outcome of column i */
};

/* Weights w[i] >= 0, finite, not all zero (EMB_EINVAL otherwise). */
int emb_alias_new(struct emb_alias **out, const double *w, int32_t n, struct emb_err *err);
/* Weights counts[i]^power. */
int emb_alias_new_pow(struct emb_alias **out, const int64_t *counts, int32_t n, double power, struct emb_err *err);
void emb_alias_free(struct emb_alias *a);

/* One draw: a column chosen uniformly, then the column or its alias. Uses
 * one 64-bit random number: high 32 bits pick the column, low 32 bits the
 * coin. */
static inline int32_t emb_alias_sample(const struct emb_alias *a, struct emb_rng *r) {
    uint64_t x = emb_rng_next(r);
    int32_t i = (int32_t)(((x >> 32) * (uint64_t)a->n) >> 32);
    return (uint32_t)x < a->prob[i] ? i : a->alias[i];
}

#ifdef __cplusplus
}
#endif
#endif
