/* kge_complex.c -- ComplEx (Trouillon et al. 2016): entities and relations
 * are complex vectors (dim real parts, then dim imaginary parts);
 * q = h * r (tail side) or t * conj(r) (head side), F(q, e) = Re(q conj(e))
 * = q . e over the 2*dim floats. The complex product is RotatE's query too. */
#include "kge_model.h"

/* q = a * r, or a * conj(r) on the head side. */
void emb__kge_cmul_query(int32_t d, int head, const float *a, const float *r, float *q) {
    const float sg = head ? -1.0f : 1.0f;
    for (int32_t k = 0; k < d; k++) {
        float ar = a[k], ai = a[d + k], rr = r[k], ri = sg * r[d + k];
        q[k] = ar * rr - ai * ri;
        q[d + k] = ar * ri + ai * rr;
    }
}

/* q = a * s with s = r or conj(r): ga = g conj(s), gs = g conj(a). */
void emb__kge_cmul_query_back(int32_t d, int head, const float *a, const float *r, const float *gq, float *ga,
                              float *gr) {
    const float sg = head ? -1.0f : 1.0f;
    for (int32_t k = 0; k < d; k++) {
        float gre = gq[k], gim = gq[d + k], rr = r[k], ri = sg * r[d + k], ar = a[k], ai = a[d + k];
        ga[k] += gre * rr + gim * ri;
        ga[d + k] += gim * rr - gre * ri;
        gr[k] += gre * ar + gim * ai;
        gr[d + k] += sg * (gim * ar - gre * ai);
    }
}

const struct kge_model_ops emb__kge_complex = {
    .name = "complex",
    .ent_mult = 2,
    .rel_mult = 2,
    .dot = 1,
    .query = emb__kge_cmul_query,
    .query_back = emb__kge_cmul_query_back,
    .match = emb__kge_dot_match,
    .match_grad = emb__kge_dot_match_grad,
};
