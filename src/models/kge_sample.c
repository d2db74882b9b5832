/* kge_sample.c -- how training draws: negatives that are true answers
 * (--filter-negatives), the subsampling weights (--subsampling) and
 * Bernoulli sides (--sampling bernoulli). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kge_internal.h"

/* ---- training: negatives that are true answers --------------------------
 *
 * The RotatE code draws a positive's negatives again until none of them is
 * a true answer in train. Here negatives are shared by a chunk, so the
 * (positive, negative) pairs that are true answers are masked out of that
 * positive's loss instead (--filter-negatives). The true answers come from
 * two sorted copies of train: rows (h, r, t) answer (h, r, ?) and rows
 * (t, r, h) answer (?, r, t) and, with reciprocal relations, (t, r^-1, ?). */


static int i3_cmp(const void *a, const void *b) {
    const int32_t *x = a, *y = b;
    for (int k = 0; k < 3; k++)
        if (x[k] != y[k]) return (x[k] > y[k]) - (x[k] < y[k]);
    return 0;
}

static int i32_cmp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void emb__kge_filter_free(struct kge_filter *f) {
    emb_free(f->by_head);
    emb_free(f->by_tail);
    emb_free(f->head_off);
    emb_free(f->tail_off);
    memset(f, 0, sizeof *f);
}

/* Offsets of each entity's rows in sorted rows (first column). */
static void filter_offsets(const int32_t *rows, int64_t n, int32_t n_ent, int64_t *off) {
    int64_t i = 0;
    for (int32_t a = 0; a <= n_ent; a++) {
        while (i < n && rows[3 * i] < a) i++;
        off[a] = i;
    }
}

int emb__kge_filter_build(struct kge_filter *f, const struct emb_triples *t, int32_t n_ent, int32_t n_rel) {
    size_t bytes = (size_t)(t->n > 0 ? t->n : 1) * 3 * sizeof(int32_t);
    f->n = t->n;
    f->n_rel = n_rel;
    f->by_head = emb_alloc(bytes);
    f->by_tail = emb_alloc(bytes);
    f->head_off = emb_alloc(((size_t)n_ent + 1) * sizeof(int64_t));
    f->tail_off = emb_alloc(((size_t)n_ent + 1) * sizeof(int64_t));
    if (!f->by_head || !f->by_tail || !f->head_off || !f->tail_off) {
        emb__kge_filter_free(f);
        return EMB_ENOMEM;
    }
    for (int64_t i = 0; i < t->n; i++) {
        int32_t *a = f->by_head + 3 * i, *b = f->by_tail + 3 * i;
        a[0] = t->h[i], a[1] = t->r[i], a[2] = t->t[i];
        b[0] = t->t[i], b[1] = t->r[i], b[2] = t->h[i];
    }
    qsort(f->by_head, (size_t)t->n, 3 * sizeof(int32_t), i3_cmp);
    qsort(f->by_tail, (size_t)t->n, 3 * sizeof(int32_t), i3_cmp);
    filter_offsets(f->by_head, t->n, n_ent, f->head_off);
    filter_offsets(f->by_tail, t->n, n_ent, f->tail_off);
    return EMB_OK;
}

/* The rows of sorted (a, r, e) rows that start with (a, r) -- searched
 * within a's rows, off[a] to off[a + 1]: *count of them; returns the first
 * one's e (the others follow at stride 3). */
static const int32_t *filter_answers(const int32_t *rows, const int64_t *off, int32_t a, int32_t r,
                                     int64_t *count) {
    int64_t lo = off[a], hi = off[a + 1], end = hi;
    while (lo < hi) { /* first row with relation >= r */
        int64_t mid = lo + (hi - lo) / 2;
        if (rows[3 * mid + 1] < r) lo = mid + 1;
        else hi = mid;
    }
    int64_t first = lo;
    hi = end;
    while (lo < hi) { /* first row with relation > r */
        int64_t mid = lo + (hi - lo) / 2;
        if (rows[3 * mid + 1] <= r) lo = mid + 1;
        else hi = mid;
    }
    *count = lo - first;
    return rows + 3 * first + 2;
}

/* One positive's row of the mask: row[j] = 1 when neg[j] (sorted
 * ascending) answers its query -- (?, r, t) when head, else (h, r, ?),
 * r >= n_rel being the inverse of r - n_rel. Both lists are sorted, so
 * one merge walk finds the common ids (repeats on either side included). */
static void filter_row(const struct kge_filter *f, int head, int32_t h, int32_t r, int32_t t, int n_neg,
                       const int32_t *neg, uint8_t *row) {
    int64_t k;
    const int32_t *e = head ? filter_answers(f->by_tail, f->tail_off, t, r, &k)
                       : r >= f->n_rel ? filter_answers(f->by_tail, f->tail_off, h, r - f->n_rel, &k)
                                       : filter_answers(f->by_head, f->head_off, h, r, &k);
    int64_t x = 0;
    for (int j = 0; x < k && j < n_neg;) {
        if (e[3 * x] < neg[j]) x++;
        else if (e[3 * x] > neg[j]) j++;
        else row[j++] = 1;
    }
}

/* Sort a chunk's negatives and fill its mask (n_pos, n_neg). */
void emb__kge_filter_chunk(const struct kge_filter *f, int n_pos, const int32_t *h, const int32_t *r, const int32_t *t,
                         const uint8_t *head, int n_neg, int32_t *neg, uint8_t *mask) {
    qsort(neg, (size_t)n_neg, sizeof *neg, i32_cmp);
    memset(mask, 0, (size_t)n_pos * (size_t)n_neg);
    for (int i = 0; i < n_pos; i++) filter_row(f, head[i], h[i], r[i], t[i], n_neg, neg, mask + (size_t)i * n_neg);
}

/* For tests: filter_chunk with the filter built from train. */
int emb__kge_filter_mask(const struct emb_triples *train, int32_t n_ent, int32_t n_rel, int n_pos, const int32_t *h,
                         const int32_t *r, const int32_t *t, const uint8_t *head, int n_neg, int32_t *neg,
                         uint8_t *mask) {
    struct kge_filter f;
    if (emb__kge_filter_build(&f, train, n_ent, n_rel) != EMB_OK) return EMB_ENOMEM;
    emb__kge_filter_chunk(&f, n_pos, h, r, t, head, n_neg, neg, mask);
    emb__kge_filter_free(&f);
    return EMB_OK;
}


static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int64_t u64_count(const uint64_t *v, int64_t n, uint64_t key) {
    int64_t lo = 0, hi = n; /* first >= key */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    int64_t a = lo;
    hi = n; /* first > key */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= key) lo = mid + 1;
        else hi = mid;
    }
    return lo - a;
}

/* The RotatE code's subsampling weights (its default, after word2vec's
 * subsampling): with c(h, r) and c(t, r^-1) counted over train from 4 at
 * their first occurrence (so 3 + occurrences), triple i weighs
 * 1 / sqrt(c(h, r) + c(t, r^-1)); a chunk's loss is the weighted mean. */
int emb__kge_subsampling_weights(const struct emb_triples *t, int32_t n_rel, float *out) {
    uint64_t *k = emb_alloc((size_t)(2 * t->n > 0 ? 2 * t->n : 1) * sizeof *k);
    if (!k) return EMB_ENOMEM;
    for (int64_t i = 0; i < t->n; i++) {
        k[2 * i] = (uint64_t)t->h[i] << 32 | (uint64_t)t->r[i];
        k[2 * i + 1] = (uint64_t)t->t[i] << 32 | (uint64_t)((int64_t)n_rel + t->r[i]);
    }
    qsort(k, (size_t)(2 * t->n), sizeof *k, u64_cmp);
    for (int64_t i = 0; i < t->n; i++) {
        int64_t a = u64_count(k, 2 * t->n, (uint64_t)t->h[i] << 32 | (uint64_t)t->r[i]);
        int64_t b = u64_count(k, 2 * t->n, (uint64_t)t->t[i] << 32 | (uint64_t)((int64_t)n_rel + t->r[i]));
        out[i] = (float)(1.0 / sqrt((double)(a + 3 + b + 3)));
    }
    emb_free(k);
    return EMB_OK;
}

/* Bernoulli sampling (Wang et al. 2014): tph = mean tails per (h, r),
 * hpt = mean heads per (r, t); corrupt the head w.p. tph / (tph + hpt). */
int emb__kge_bernoulli_probs(const struct emb_kg *kg, float *p_head) {
    const struct emb_triples *t = &kg->train;
    int32_t nr = kg->n_relations;
    struct tri_set hs = {0, NULL}, ts = {0, NULL};
    double *n_h = emb_calloc((size_t)nr, sizeof *n_h), *n_t = emb_calloc((size_t)nr, sizeof *n_t),
           *cnt = emb_calloc((size_t)nr, sizeof *cnt);
    uint64_t cap = 16;
    while (cap < (uint64_t)t->n * 2) cap *= 2;
    hs.mask = ts.mask = cap - 1;
    hs.keys = emb_alloc(cap * 3 * sizeof(int32_t));
    ts.keys = emb_alloc(cap * 3 * sizeof(int32_t));
    int rc = EMB_ENOMEM;
    if (n_h && n_t && cnt && hs.keys && ts.keys) {
        memset(hs.keys, 0xff, cap * 3 * sizeof(int32_t));
        memset(ts.keys, 0xff, cap * 3 * sizeof(int32_t));
        for (int64_t i = 0; i < t->n; i++) {
            cnt[t->r[i]]++;
            if (!emb__kge_tri_has(&hs, t->h[i], t->r[i], 0)) emb__kge_tri_add(&hs, t->h[i], t->r[i], 0), n_h[t->r[i]]++;
            if (!emb__kge_tri_has(&ts, 0, t->r[i], t->t[i])) emb__kge_tri_add(&ts, 0, t->r[i], t->t[i]), n_t[t->r[i]]++;
        }
        for (int32_t r = 0; r < nr; r++) {
            double tph = n_h[r] > 0 ? cnt[r] / n_h[r] : 1, hpt = n_t[r] > 0 ? cnt[r] / n_t[r] : 1;
            p_head[r] = (float)(tph / (tph + hpt));
        }
        rc = EMB_OK;
    }
    emb_free(n_h);
    emb_free(n_t);
    emb_free(cnt);
    emb_free(hs.keys);
    emb_free(ts.keys);
    return rc;
}
