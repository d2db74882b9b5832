/* kge_chunk.c -- one training chunk: scores of its positives and shared
 * negatives, the loss (self-adversarial, logistic or margin), the
 * regulariser, and the gradients back to the rows the chunk touched. */
#include <math.h>
#include <string.h>

#include "kge_internal.h"

/* ---- training: one chunk ------------------------------------------------
 *
 * A chunk is n_pos positive triples that share n_neg negative entities.
 * Positive i corrupts its head (head[i] = 1) or its tail; its query q_i
 * is built from the other entity and the relation, so the positive score is
 * F(q_i, e_i) (e_i the true corrupted-side entity) and the negative scores
 * are F(q_i, n_j) -- for DistMult/ComplEx a (n_pos x w) by (w x n_neg)
 * product. The loss and its gradient then flow back to the rows the chunk
 * touched, which the scratch collects by slot (one gradient row per
 * distinct entity or relation). */



void emb__kge_scratch_free(struct chunk_scratch *c) {
    emb_free_aligned(c->q);
    emb_free_aligned(c->gq);
    emb_free_aligned(c->rc);
    emb_free_aligned(c->grc);
    emb_free(c->s);
    emb_free(c->ct);
    emb_free(c->pos);
    emb_free(c->cpos);
    emb_free(c->w);
    emb_free_aligned(c->ge);
    emb_free_aligned(c->gr);
    emb_free(c->eslot);
    emb_free(c->rslot);
    emb_free(c->euniq);
    emb_free(c->runiq);
    emb_free(c->pslot_a);
    emb_free(c->pslot_e);
    emb_free(c->pslot_r);
    emb_free(c->nslot);
    emb_free(c->nptr);
    emb_free(c->qptr);
    emb_free(c->bh);
    emb_free(c->br);
    emb_free(c->bt);
    emb_free(c->bneg);
    emb_free(c->bhead);
    emb_free(c->bw);
    emb_free(c->bmask);
}

int emb__kge_scratch_new(struct chunk_scratch *c, const struct emb_kge *m, int cap_pos, int cap_neg) {
    memset(c, 0, sizeof *c);
    c->cap_pos = cap_pos;
    c->cap_neg = cap_neg;
    size_t we = (size_t)m->ent->dim_padded, wr = (size_t)m->rel->dim_padded, w2 = 2 * (size_t)m->dim;
    size_t ne = (size_t)m->ent->n_rows, nr = (size_t)m->rel->n_rows, cp = (size_t)cap_pos, cn = (size_t)cap_neg;
    c->q = emb_alloc_aligned(cp * we * sizeof(float));
    c->gq = emb_alloc_aligned(cp * we * sizeof(float));
    c->rc = emb_alloc_aligned(cp * w2 * sizeof(float));
    c->grc = emb_alloc_aligned(cp * w2 * sizeof(float));
    c->s = emb_alloc(cp * cn * sizeof(float));
    c->ct = emb_alloc(cp * cn * sizeof(float));
    c->pos = emb_alloc(cp * sizeof(float));
    c->cpos = emb_alloc(cp * sizeof(float));
    c->w = emb_alloc(cn * sizeof(float));
    c->ge = emb_alloc_aligned((2 * cp + cn) * we * sizeof(float));
    c->gr = emb_alloc_aligned(cp * wr * sizeof(float));
    c->eslot = emb_alloc(ne * sizeof(int32_t));
    c->rslot = emb_alloc(nr * sizeof(int32_t));
    c->euniq = emb_alloc((2 * cp + cn) * sizeof(int32_t));
    c->runiq = emb_alloc(cp * sizeof(int32_t));
    c->pslot_a = emb_alloc(cp * sizeof(int32_t));
    c->pslot_e = emb_alloc(cp * sizeof(int32_t));
    c->pslot_r = emb_alloc(cp * sizeof(int32_t));
    c->nslot = emb_alloc(cn * sizeof(int32_t));
    c->nptr = emb_alloc(cn * sizeof(float *));
    c->qptr = emb_alloc(cp * sizeof(float *));
    c->bh = emb_alloc(cp * sizeof(int32_t));
    c->br = emb_alloc(cp * sizeof(int32_t));
    c->bt = emb_alloc(cp * sizeof(int32_t));
    c->bhead = emb_alloc(cp);
    c->bw = emb_alloc(cp * sizeof(float));
    c->bneg = emb_alloc(cn * sizeof(int32_t));
    c->bmask = emb_alloc(cp * cn);
    if (!c->w || !c->bmask || !c->bh || !c->br || !c->bt || !c->bhead || !c->bw || !c->bneg ||
        !c->q || !c->gq || !c->rc || !c->grc || !c->s || !c->ct || !c->pos || !c->cpos || !c->ge || !c->gr ||
        !c->eslot || !c->rslot || !c->euniq || !c->runiq || !c->pslot_a || !c->pslot_e || !c->pslot_r ||
        !c->nslot || !c->nptr || !c->qptr) {
        emb__kge_scratch_free(c);
        return EMB_ENOMEM;
    }
    memset(c->eslot, 0xff, ne * sizeof(int32_t));
    memset(c->rslot, 0xff, nr * sizeof(int32_t));
    return EMB_OK;
}

static int32_t ent_slot(struct chunk_scratch *c, const struct emb_kge *m, int32_t e) {
    if (c->eslot[e] < 0) {
        c->eslot[e] = c->n_eu;
        c->euniq[c->n_eu] = e;
        memset(c->ge + (size_t)c->n_eu * m->ent->dim_padded, 0, (size_t)m->ent->dim_padded * sizeof(float));
        c->n_eu++;
    }
    return c->eslot[e];
}

static int32_t rel_slot(struct chunk_scratch *c, const struct emb_kge *m, int32_t r) {
    if (c->rslot[r] < 0) {
        int32_t s = c->rslot[r] = c->n_ru;
        c->runiq[s] = r;
        memset(c->gr + (size_t)s * m->rel->dim_padded, 0, (size_t)m->rel->dim_padded * sizeof(float));
        memset(c->grc + (size_t)s * 2 * m->dim, 0, 2 * (size_t)m->dim * sizeof(float));
        const struct kge_model_ops *mo = emb__kge_model_get(m->model);
        if (mo->rel_prepare) mo->rel_prepare(m->dim, emb_table_row(m->rel, r), c->rc + (size_t)s * 2 * m->dim);
        c->n_ru++;
    }
    return c->rslot[r];
}

void emb__kge_slots_clear(struct chunk_scratch *c) {
    for (int32_t i = 0; i < c->n_eu; i++) c->eslot[c->euniq[i]] = -1;
    for (int32_t i = 0; i < c->n_ru; i++) c->rslot[c->runiq[i]] = -1;
    c->n_eu = c->n_ru = 0;
}

static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Loss of positive i given its score and its negatives' scores s (n_neg),
 * which are replaced by dL/dS; *cpos gets dL/ds. */
static double pos_loss(const struct emb_kge_params *p, float sp, float *s, float *w, int n_neg, float *cpos) {
    double loss = 0;
    /* Negatives filtered out (--filter-negatives) arrive as -inf: they get
     * no weight and no gradient, and the means are over the others. */
    int n_ok = 0;
    for (int j = 0; j < n_neg; j++) n_ok += s[j] != -INFINITY;
    if (p->loss == EMB_KGE_LOSS_MARGIN) {
        int active = 0;
        for (int j = 0; j < n_neg; j++) {
            float v = p->gamma - sp + s[j];
            if (v > 0) {
                loss += v;
                active++;
                s[j] = 1.0f / (float)n_ok;
            } else {
                s[j] = 0;
            }
        }
        *cpos = n_ok ? -(float)active / (float)n_ok : 0.0f;
        return n_ok ? loss / n_ok : 0.0;
    }
    /* Self-adversarial weights softmax(alpha S), treated as constants (the
     * RotatE paper); alpha = 0 or the logistic loss: uniform 1/n_neg. The
     * weights' exponentials are kept in w (n_neg scratch). Float math: this
     * loop is a quarter of DistMult's time in double. */
    float alpha = p->loss == EMB_KGE_LOSS_ADV ? p->adv_temp : 0.0f, mx = -INFINITY, z = 0;
    loss = 0.5 * softplus(-sp);
    *cpos = -0.5f * sigmoidf(-sp);
    if (n_ok == 0) { /* every negative was a true answer */
        for (int j = 0; j < n_neg; j++) s[j] = 0;
        return loss;
    }
    for (int j = 0; j < n_neg; j++) mx = s[j] > mx ? s[j] : mx;
    for (int j = 0; j < n_neg; j++) z += (w[j] = s[j] == -INFINITY ? 0.0f : expf(alpha * (s[j] - mx)));
    const float iz = 0.5f / z;
    for (int j = 0; j < n_neg; j++) {
        /* softplus(x) = max(x, 0) + log1p(e^-|x|), sigmoid from the same e^-|x| */
        float x = s[j], t = expf(-fabsf(x)), wj = w[j] * iz;
        loss += (double)(wj * ((x > 0 ? x : 0) + log1pf(t)));
        float g = wj * (x >= 0 ? 1.0f : t) / (1.0f + t);
        /* Gradients below 1e-30 would be denormal (slow on x86, and no
         * use): they become exact zeros, which the backward skips. */
        s[j] = g < 1e-30f ? 0.0f : g;
    }
    return loss;
}

/* Regulariser on one row x (n floats): adds it to *loss (which the caller
 * scales later) and scale times its gradient to g. */
static void reg_row(const struct emb_kge_params *p, float scale, const float *x, int n, float *g, double *loss) {
    float lam = p->reg_weight, lg = lam * scale;
    if (p->reg == EMB_KGE_REG_L2) {
        for (int k = 0; k < n; k++) {
            *loss += (double)lam * x[k] * x[k];
            g[k] += 2 * lg * x[k];
        }
    } else if (p->reg == EMB_KGE_REG_N3) {
        for (int k = 0; k < n; k++) {
            float a = fabsf(x[k]);
            *loss += (double)lam * a * a * a;
            g[k] += 3 * lg * a * x[k];
        }
    }
}

/* Negatives per block in the chunk loops: about 256 KB of rows. */
static int neg_tile(int32_t width) {
    int t = (int)((256 * 1024 / sizeof(float)) / (size_t)width);
    return t < 8 ? 8 : t;
}

/* Loss (mean over the positives) and gradients of one chunk into c's slot
 * rows. h, r, t: (n_pos), head: (n_pos) 1 = corrupt the head, neg: (n_neg);
 * mask: NULL, or (n_pos, n_neg) with 1 where negative j is a true answer
 * of positive i (it is left out of i's loss). */

double emb__kge_chunk_grad(const struct emb_kge *m, const struct emb_kge_params *p, const struct kge_kern *kn,
                         struct chunk_scratch *c, int n_pos, const int32_t *h, const int32_t *r, const int32_t *t,
                         const uint8_t *head, const float *wt, int n_neg, const int32_t *neg,
                         const uint8_t *mask) {
    const int32_t we = m->ent->dim, wep = m->ent->dim_padded, wr = m->rel->dim, d2 = 2 * m->dim;
    const struct kge_model_ops *mo = kn->mo;
    const int dot = mo->dot;
    const float inv = 1.0f / (float)n_pos;
    /* share of positive i in the chunk's loss: 1/n, or wt[i] / sum(wt) */
    double wsum = 0;
    if (wt)
        for (int i = 0; i < n_pos; i++) wsum += wt[i];
    const float wscale = wt ? (float)(1.0 / wsum) : inv;
    double loss = 0, reg_loss = 0;
    for (int j = 0; j < n_neg; j++) {
        c->nslot[j] = ent_slot(c, m, neg[j]);
        c->nptr[j] = emb_table_row(m->ent, neg[j]);
    }
    for (int i = 0; i < n_pos; i++) {
        int32_t a = head[i] ? t[i] : h[i], e = head[i] ? h[i] : t[i];
        c->pslot_a[i] = ent_slot(c, m, a);
        c->pslot_e[i] = ent_slot(c, m, e);
        c->pslot_r[i] = rel_slot(c, m, r[i]);
        const float *rp = mo->rel_prepare ? c->rc + (size_t)c->pslot_r[i] * d2 : emb_table_row(m->rel, r[i]);
        float *q = c->q + (size_t)i * wep;
        mo->query(m->dim, head[i], emb_table_row(m->ent, a), rp, q);
        memset(q + we, 0, (size_t)(wep - we) * sizeof(float));
        c->qptr[i] = q;
        c->pos[i] = mo->match(m, kn, q, emb_table_row(m->ent, e));
    }
    /* Blocks of negatives small enough to stay in L2 while every query of
     * the chunk scores them (1024 negatives of dim 1000 are 4 MB). */
    const int ntile = neg_tile(wep);
    if (dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int nj = n_neg - j0 < ntile ? n_neg - j0 : ntile;
            for (int i = 0; i < n_pos; i++)
                kn->ops.dot_many(wep, c->qptr[i], nj, c->nptr + j0, c->s + (size_t)i * n_neg + j0);
        }
    /* Distance models: the same blocks of negatives (kept in L2), and within
     * a block tiles of TILE queries against each negative, so the tile stays
     * in L1 while the negative row streams past it. */
    if (!dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int j1 = n_neg - j0 < ntile ? n_neg : j0 + ntile;
            for (int i0 = 0; i0 < n_pos; i0 += TILE) {
                int nt = n_pos - i0 < TILE ? n_pos - i0 : TILE;
                float out[TILE];
                for (int j = j0; j < j1; j++) {
                    mo->match_tile(m, kn, nt, c->qptr + i0, c->nptr[j], out);
                    for (int i = 0; i < nt; i++) c->s[(size_t)(i0 + i) * n_neg + j] = out[i];
                }
            }
        }
    if (mask)
        for (size_t k = 0; k < (size_t)n_pos * (size_t)n_neg; k++)
            if (mask[k]) c->s[k] = -INFINITY;
    for (int i = 0; i < n_pos; i++)
        loss += (wt ? wt[i] * wscale : inv) * pos_loss(p, c->pos[i], c->s + (size_t)i * n_neg, c->w, n_neg, &c->cpos[i]);
    /* Backward: dL/dq, dL/d(answer), dL/d(negatives). */
    for (int i = 0; i < n_pos; i++) {
        float *gq = c->gq + (size_t)i * wep, *s = c->s + (size_t)i * n_neg;
        const float *q = c->q + (size_t)i * wep;
        int32_t e = head[i] ? h[i] : t[i];
        const float ai = wt ? wt[i] * wscale : inv;
        memset(gq, 0, (size_t)wep * sizeof(float));
        for (int j = 0; j < n_neg; j++) s[j] *= ai;
        mo->match_grad(m, kn, q, emb_table_row(m->ent, e), c->cpos[i] * ai, gq, c->ge + (size_t)c->pslot_e[i] * wep);
        if (dot)
            for (int j = 0; j < n_neg; j++) c->ct[(size_t)j * n_pos + i] = s[j];
    }
    if (dot)
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int nj = n_neg - j0 < ntile ? n_neg - j0 : ntile;
            for (int i = 0; i < n_pos; i++)
                kn->ops.axpy_many(wep, nj, c->s + (size_t)i * n_neg + j0, c->nptr + j0, c->gq + (size_t)i * wep);
        }
    if (!dot) /* blocked as in the forward pass; a block's gradient rows stay in L2 too */
        for (int j0 = 0; j0 < n_neg; j0 += ntile) {
            int j1 = n_neg - j0 < ntile ? n_neg : j0 + ntile;
            for (int i0 = 0; i0 < n_pos; i0 += TILE) {
                int nt = n_pos - i0 < TILE ? n_pos - i0 : TILE;
                float *gq[TILE], cij[TILE];
                for (int i = 0; i < nt; i++) gq[i] = c->gq + (size_t)(i0 + i) * wep;
                for (int j = j0; j < j1; j++) {
                    for (int i = 0; i < nt; i++) cij[i] = c->s[(size_t)(i0 + i) * n_neg + j];
                    int any = 0; /* margin loss: pairs past the margin have no gradient */
                    for (int i = 0; i < nt; i++) any |= cij[i] != 0;
                    if (any) mo->match_grad_tile(m, kn, nt, c->qptr + i0, c->nptr[j], cij, gq, c->ge + (size_t)c->nslot[j] * wep);
                }
            }
        }
    if (dot)
        for (int j = 0; j < n_neg; j++)
            kn->ops.axpy_many(wep, n_pos, c->ct + (size_t)j * n_pos, c->qptr, c->ge + (size_t)c->nslot[j] * wep);
    /* Back through the queries to anchors and relations; regulariser. */
    for (int i = 0; i < n_pos; i++) {
        int32_t a = head[i] ? t[i] : h[i];
        int32_t rs = c->pslot_r[i];
        const float *rp = mo->rel_prepare ? c->rc + (size_t)rs * d2 : emb_table_row(m->rel, r[i]);
        float *grp = mo->rel_back ? c->grc + (size_t)rs * d2 : c->gr + (size_t)rs * m->rel->dim_padded;
        mo->query_back(m->dim, head[i], emb_table_row(m->ent, a), rp, c->gq + (size_t)i * wep, c->ge + (size_t)c->pslot_a[i] * wep,
                   grp);
        if (p->reg != EMB_KGE_REG_NONE && p->reg_weight > 0) {
            reg_row(p, inv, emb_table_row(m->ent, h[i]), we, c->ge + (size_t)c->eslot[h[i]] * wep, &reg_loss);
            reg_row(p, inv, emb_table_row(m->ent, t[i]), we, c->ge + (size_t)c->eslot[t[i]] * wep, &reg_loss);
            if (!mo->phases) /* phases have no size to penalise */
                reg_row(p, inv, emb_table_row(m->rel, r[i]), wr, c->gr + (size_t)rs * m->rel->dim_padded, &reg_loss);
        }
    }
    for (int32_t s = 0; mo->rel_back && s < c->n_ru; s++)
        mo->rel_back(m->dim, c->rc + (size_t)s * d2, c->grc + (size_t)s * d2, c->gr + (size_t)s * m->rel->dim_padded);
    return loss + reg_loss * inv; /* the regulariser stays a plain mean over the positives */
}

/* For tests: the chunk loss and its gradient as dense tables ge
 * (n_entities, ent dim) and gr (n_relations, rel dim), unpadded. */
double emb__kge_chunk_grad_dense(const struct emb_kge *m, const struct emb_kge_params *p, int n_pos,
                                 const int32_t *h, const int32_t *r, const int32_t *t, const uint8_t *head,
                                 const float *wt, int n_neg, const int32_t *neg, const uint8_t *mask, float *ge,
                                 float *gr) {
    struct chunk_scratch c;
    struct kge_kern kn = emb__kge_kern_get(m->model, p->simd);
    if (emb__kge_scratch_new(&c, m, n_pos, n_neg) != EMB_OK) return NAN;
    double loss = emb__kge_chunk_grad(m, p, &kn, &c, n_pos, h, r, t, head, wt, n_neg, neg, mask);
    memset(ge, 0, (size_t)(m->ent->n_rows * m->ent->dim) * sizeof(float));
    memset(gr, 0, (size_t)(m->rel->n_rows * m->rel->dim) * sizeof(float));
    for (int32_t s = 0; s < c.n_eu; s++)
        memcpy(ge + (size_t)c.euniq[s] * m->ent->dim, c.ge + (size_t)s * m->ent->dim_padded,
               (size_t)m->ent->dim * sizeof(float));
    for (int32_t s = 0; s < c.n_ru; s++)
        memcpy(gr + (size_t)c.runiq[s] * m->rel->dim, c.gr + (size_t)s * m->rel->dim_padded,
               (size_t)m->rel->dim * sizeof(float));
    emb__kge_scratch_free(&c);
    return loss;
}

