/* kge_ref.h -- one triple's knowledge-graph score written out from the
 * definitions, in double from the float rows, independent of the library's
 * kernels and query rewriting: the reference the KGE unit tests compare
 * against (gradients by finite differences, evaluator scores). */
#ifndef EMB_KGE_REF_H
#define EMB_KGE_REF_H

#include <math.h>
#include "emb/kge.h"

static inline double score_direct(const struct emb_kge *m, int32_t h, int32_t r, int32_t t) {
    const float *x = emb_table_row(m->ent, h), *w = emb_table_row(m->rel, r), *y = emb_table_row(m->ent, t);
    int d = m->dim;
    double s = 0;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        for (int i = 0; i < d; i++) {
            double v = (double)x[i] + w[i] - y[i];
            s += m->p_norm == 1 ? fabs(v) : v * v;
        }
        return m->gamma - (m->p_norm == 1 ? s : sqrt(s));
    case EMB_KGE_DISTMULT:
        for (int i = 0; i < d; i++) s += (double)x[i] * w[i] * y[i];
        return s;
    case EMB_KGE_COMPLEX: /* Re(sum h r conj(t)) */
        for (int i = 0; i < d; i++) {
            double hr = x[i], hi = x[d + i], rr = w[i], ri = w[d + i], tr = y[i], ti = y[d + i];
            double ar = hr * rr - hi * ri, ai = hr * ri + hi * rr;
            s += ar * tr + ai * ti;
        }
        return s;
    case EMB_KGE_ROTATE:
        for (int i = 0; i < d; i++) {
            double c = cos(w[i]), sn = sin(w[i]);
            double re = x[i] * c - x[d + i] * sn - y[i], im = x[i] * sn + x[d + i] * c - y[d + i];
            s += sqrt(re * re + im * im);
        }
        return m->gamma - s;
    }
    return 0;
}

#endif
