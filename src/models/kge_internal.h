/* kge_internal.h -- what the KGE files share besides the model interface
 * (kge_model.h): the file format pieces, the known-triples set, the
 * quick ranking, one chunk's loss and gradient, and the samplers. */
#ifndef EMB_KGE_INTERNAL_H
#define EMB_KGE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/pool.h"
#include "kge_model.h"

/* ---- kge.c: file format ---------------------------------------------------- */

int emb__kge_write(const struct emb_kge *m, struct emb_crc_writer *cw, const char magic[8], const char *extra_kv);
int emb__kge_read(struct emb_kge **out, struct emb_reader *r, const char magic[8], char **kv_out,
                  struct emb_err *err);
int emb__kge_read_grow(struct emb_reader *r, int64_t n, size_t elem_bytes, void **out, const char *what,
                       struct emb_err *err);
/* Rows without padding: count (int64) then n_rows * dim floats. */
int emb__kge_write_table(FILE *f, const struct emb_table *t);
int emb__kge_read_table(struct emb_reader *r, struct emb_table *t, const char *what, struct emb_err *err);

/* ---- kge_eval.c: known triples and the quick filtered ranking --------------- */

/* A set of known triples: open addressing over (h, r, t), for filtering. */
struct tri_set {
    uint64_t mask;
    int32_t *keys; /* (mask + 1) * 3, h = -1 for empty */
};
int emb__kge_tri_has(const struct tri_set *s, int32_t h, int32_t r, int32_t t);
void emb__kge_tri_add(struct tri_set *s, int32_t h, int32_t r, int32_t t);
/* Every triple of train, valid and test. */
int emb__kge_tri_build(struct tri_set *s, const struct emb_kg *kg);
/* Filtered MRR of up to max_triples of eval on pool; scores: one row per
 * thread of the pool from emb__kge_score_rows_new (n floats, then n int32
 * of scratch). */
double emb__kge_quick_mrr(const struct emb_kge *m, const struct tri_set *known, const struct emb_triples *eval,
                          int64_t max_triples, struct emb_pool *pool, float **scores);
float **emb__kge_score_rows_new(int nth, int64_t n);
void emb__kge_score_rows_free(float **s, int nth);

/* ---- kge_chunk.c: one chunk's loss and gradient ----------------------------- */

struct chunk_scratch {
    int cap_pos, cap_neg;
    float *q, *gq;          /* (cap_pos, we) */
    float *rc, *grc;        /* (cap_pos, 2*dim) prepared relations and their gradients */
    float *s;               /* (cap_pos, cap_neg) negative scores, then dL/dS */
    float *ct;              /* (cap_neg, cap_pos) dL/dS transposed */
    float *pos, *cpos;      /* (cap_pos) positive scores, dL/ds */
    float *w;               /* (cap_neg) softmax scratch */
    float *ge;              /* (2*cap_pos + cap_neg, we) entity gradients by slot */
    float *gr;              /* (cap_pos, wr) relation gradients by slot */
    int32_t *eslot, *rslot; /* (n_entities), (n_relations): slot or -1 */
    int32_t *euniq, *runiq; /* ids by slot */
    int32_t n_eu, n_ru;
    int32_t *pslot_a, *pslot_e, *pslot_r; /* (cap_pos) slots of anchor, answer, relation */
    int32_t *nslot;         /* (cap_neg) */
    const float **nptr, **qptr;
    int32_t *bh, *br, *bt, *bneg; /* the chunk's triples (cap_pos) and negatives (cap_neg) */
    uint8_t *bhead;               /* (cap_pos) */
    float *bw;                    /* (cap_pos) positives' subsampling weights */
    uint8_t *bmask;               /* (cap_pos, cap_neg) true answers among the negatives */
};
int emb__kge_scratch_new(struct chunk_scratch *c, const struct emb_kge *m, int cap_pos, int cap_neg);
void emb__kge_scratch_free(struct chunk_scratch *c);
/* Forget the slots of the last chunk. */
void emb__kge_slots_clear(struct chunk_scratch *c);
/* Loss (mean over the positives) and gradients of one chunk into c's slot
 * rows. h, r, t: (n_pos), head: (n_pos) 1 = corrupt the head, wt: NULL or
 * (n_pos) subsampling weights, neg: (n_neg); mask: NULL, or (n_pos, n_neg)
 * with 1 where negative j is a true answer of positive i (it is left out
 * of i's loss). */
double emb__kge_chunk_grad(const struct emb_kge *m, const struct emb_kge_params *p, const struct kge_kern *kn,
                           struct chunk_scratch *c, int n_pos, const int32_t *h, const int32_t *r, const int32_t *t,
                           const uint8_t *head, const float *wt, int n_neg, const int32_t *neg, const uint8_t *mask);

/* ---- kge_sample.c: negatives that are true answers, weights, sides --------- */

struct kge_filter {
    int64_t n;
    int32_t n_rel;                /* relations of the data (inverse rows are n_rel + r) */
    int32_t *by_head;             /* (n, 3): (h, r, t) sorted */
    int32_t *by_tail;             /* (n, 3): (t, r, h) sorted */
    int64_t *head_off, *tail_off; /* (n_ent + 1): entity a's rows start at off[a] */
};
int emb__kge_filter_build(struct kge_filter *f, const struct emb_triples *t, int32_t n_ent, int32_t n_rel);
void emb__kge_filter_free(struct kge_filter *f);
void emb__kge_filter_chunk(const struct kge_filter *f, int n_pos, const int32_t *h, const int32_t *r,
                           const int32_t *t, const uint8_t *head, int n_neg, int32_t *neg, uint8_t *mask);
int emb__kge_subsampling_weights(const struct emb_triples *t, int32_t n_rel, float *out);
/* Bernoulli sampling: p_head[r] (n_relations of kg) = P(corrupt the head). */
int emb__kge_bernoulli_probs(const struct emb_kg *kg, float *p_head);

#endif
