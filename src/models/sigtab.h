/* sigtab.h -- the gradient of the logistic loss read from a sigmoid table,
 * as word2vec.c and the LINE reference code do it, made safe for any float.
 *
 * Internal to src/models (w2v.c, line.c and their tests). The table itself
 * belongs to each model: tab[i] = s(x_i) with x_i = (2 i / SIZE - 1) * BOUND
 * for i < SIZE. A score f in [-BOUND, BOUND] reads tab[(f + BOUND) * STEP],
 * where STEP = SIZE / BOUND / 2 in integer arithmetic (83, word2vec.c's
 * expression; the largest index is 996). Outside the range the gradient is
 * saturated.
 *
 * Why this exists: a diverging run produces NaN scores, and (int)NaN used as
 * an index read far outside the table (a segfault). Here a NaN score gives a
 * zero gradient and raises *diverged. The callers look at the flag every few
 * thousand updates and stop the run with an error. The comparisons are
 * those of word2vec.c in the same order (NaN fails `f <= BOUND` and is told
 * apart on that rare branch), so healthy training pays little for it
 * (cachegrind, 300k tokens: +0.4% instructions for skip-gram, +0.7% for
 * CBOW; no change in time beyond noise). An infinite score takes
 * the saturated gradient: infinite weights soon give NaN scores (inf - inf,
 * 0 * inf), and the trainers also scan the weights before every checkpoint
 * and at the end. */
#ifndef EMB_MODELS_SIGTAB_H
#define EMB_MODELS_SIGTAB_H

#define EMB_SIGTAB_SIZE 1000
#define EMB_SIGTAB_BOUND 6

/* (label - s(f)) * lr. tab: (EMB_SIGTAB_SIZE) floats. */
static inline float emb__sigtab_grad(const float *tab, float f, float label, float lr, int *diverged) {
    if (!(f <= EMB_SIGTAB_BOUND)) { /* above the table, or NaN */
        if (f != f) {
            *diverged = 1;
            return 0;
        }
        return (label - 1) * lr;
    }
    if (f < -EMB_SIGTAB_BOUND) return label * lr;
    return (label - tab[(int)((f + EMB_SIGTAB_BOUND) * (EMB_SIGTAB_SIZE / EMB_SIGTAB_BOUND / 2))]) * lr;
}

/* s(f) from the table for hierarchical softmax, which skips scores outside
 * the open range (-BOUND, BOUND): returns 0 and leaves *s alone for those,
 * raising *diverged when f is NaN; else 1. */
static inline int emb__sigtab_inner(const float *tab, float f, float *s, int *diverged) {
    if (!(f < EMB_SIGTAB_BOUND)) { /* above the table, or NaN */
        if (f != f) *diverged = 1;
        return 0;
    }
    if (f <= -EMB_SIGTAB_BOUND) return 0;
    *s = tab[(int)((f + EMB_SIGTAB_BOUND) * (EMB_SIGTAB_SIZE / EMB_SIGTAB_BOUND / 2))];
    return 1;
}

#endif
