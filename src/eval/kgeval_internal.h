/* kgeval_internal.h -- what kgeval.c shares with its kernels
 * (kgeval_kern.c): the shape of a model for scoring, and the blocked
 * scoring kernels. */
#ifndef EMB_KGEVAL_INTERNAL_H
#define EMB_KGEVAL_INTERNAL_H

#include <stdint.h>

#include "emb/simd.h"

enum kind { K_DOT, K_L1, K_L2, K_ROT };

/* What a kernel needs: the entity table and how to combine q with a row. */
struct kern {
    enum kind kind;
    const float *E; /* (n_ent, lde) entity rows */
    int64_t n_ent, lde;
    int64_t L;      /* floats compared per row: lde (padding is zero) */
    int64_t half;   /* RotatE: dim (imaginary parts start there) */
    float gamma;
};

/* out[qi * ldo + e] = score(Q row qi, entity e) for qi < nq, e_lo <= e < e_hi.
 * Q: (nq, k->L). */
typedef void (*block_fn)(const struct kern *k, const float *Q, int nq, int64_t e_lo, int64_t e_hi, float *out,
                         int64_t ldo);

/* Scalar reference score of one pair. */
float emb__kgeval_pair_ref(const struct kern *k, const float *q, const float *e);

/* The kernel for k at SIMD level `want` (the best the CPU has for AUTO). */
block_fn emb__kgeval_pick_block(const struct kern *k, enum emb_simd want);

#endif
