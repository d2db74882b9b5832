/* sample.c -- building alias tables (Vose's numerically stable variant). */
#include <math.h>

#include "emb/sample.h"

int emb_alias_new(struct emb_alias **out, const double *w, int32_t n, struct emb_err *err) {
    *out = NULL;
    if (n < 1) return emb_err_set(err, EMB_EINVAL, "alias table needs at least one outcome");
    double sum = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!(w[i] >= 0) || !isfinite(w[i])) return emb_err_set(err, EMB_EINVAL, "bad sampling weight %g at %d", w[i], i);
        sum += w[i];
    }
    if (!(sum > 0)) return emb_err_set(err, EMB_EINVAL, "all sampling weights are zero");
    int rc = EMB_ENOMEM;
    struct emb_alias *a = emb_calloc(1, sizeof *a);
    double *p = emb_alloc((size_t)n * sizeof *p);
    int32_t *small = emb_alloc((size_t)n * sizeof *small), *large = emb_alloc((size_t)n * sizeof *large);
    if (!a || !p || !small || !large) goto done;
    a->n = n;
    a->prob = emb_alloc((size_t)n * sizeof *a->prob);
    a->alias = emb_alloc((size_t)n * sizeof *a->alias);
    if (!a->prob || !a->alias) goto done;
    int32_t ns = 0, nl = 0;
    for (int32_t i = 0; i < n; i++) {
        p[i] = w[i] * n / sum; /* mean 1 */
        if (p[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        int32_t s = small[--ns], l = large[--nl];
        a->prob[s] = (uint32_t)fmin(p[s] * 4294967296.0, 4294967295.0);
        a->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1.0;
        if (p[l] < 1.0) small[ns++] = l;
        else large[nl++] = l;
    }
    /* Leftovers are 1 up to rounding: always accept. 0xFFFFFFFF accepts all
     * but one value in 2^32, whose alias is the column itself. */
    while (nl > 0) {
        int32_t l = large[--nl];
        a->prob[l] = 0xFFFFFFFFu;
        a->alias[l] = l;
    }
    while (ns > 0) {
        int32_t s = small[--ns];
        a->prob[s] = 0xFFFFFFFFu;
        a->alias[s] = s;
    }
    rc = EMB_OK;
done:
    emb_free(p);
    emb_free(small);
    emb_free(large);
    if (rc != EMB_OK) {
        emb_alias_free(a);
        return emb_err_set(err, rc, "out of memory for a sampling table of %d entries", n);
    }
    *out = a;
    return EMB_OK;
}

int emb_alias_new_pow(struct emb_alias **out, const int64_t *counts, int32_t n, double power, struct emb_err *err) {
    *out = NULL;
    if (n < 1) return emb_err_set(err, EMB_EINVAL, "alias table needs at least one outcome");
    double *w = emb_alloc((size_t)n * sizeof *w);
    if (!w) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++) w[i] = pow((double)(counts[i] > 0 ? counts[i] : 0), power);
    int rc = emb_alias_new(out, w, n, err);
    emb_free(w);
    return rc;
}

void emb_alias_free(struct emb_alias *a) {
    if (!a) return;
    emb_free(a->prob);
    emb_free(a->alias);
    emb_free(a);
}
