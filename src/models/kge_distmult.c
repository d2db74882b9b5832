/* kge_distmult.c -- DistMult (Yang et al. 2015): q = a * r elementwise on
 * either side, F(q, e) = q . e. The dot match serves ComplEx too. */
#include "kge_model.h"

static void distmult_query(int32_t d, int head, const float *a, const float *r, float *q) {
    (void)head;
    for (int32_t k = 0; k < d; k++) q[k] = a[k] * r[k];
}

static void distmult_query_back(int32_t d, int head, const float *a, const float *r, const float *gq, float *ga,
                                float *gr) {
    (void)head;
    for (int32_t k = 0; k < d; k++) {
        ga[k] += gq[k] * r[k];
        gr[k] += gq[k] * a[k];
    }
}

float emb__kge_dot_match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e) {
    return kn->ops.dot(kge_ent_width(kn->mo, m->dim), q, e);
}

void emb__kge_dot_match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e,
                             float c, float *gq, float *ge) {
    int32_t w = kge_ent_width(kn->mo, m->dim);
    kn->ops.axpy(w, c, e, gq);
    kn->ops.axpy(w, c, q, ge);
}

const struct kge_model_ops emb__kge_distmult = {
    .name = "distmult",
    .ent_mult = 1,
    .rel_mult = 1,
    .dot = 1,
    .query = distmult_query,
    .query_back = distmult_query_back,
    .match = emb__kge_dot_match,
    .match_grad = emb__kge_dot_match_grad,
};
