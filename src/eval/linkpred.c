/* linkpred.c -- edge splits, edge features, ROC-AUC and their combination.
 *
 * DESIGN: the split needs three things fast on graphs with millions of
 * edges: a random spanning forest (union-find over the shuffled edges:
 * an edge that joins two components is a forest edge and is kept), edge
 * lookups in the original graph (CSR binary search), and a set of the
 * non-edges drawn so far (an open-addressing set of 64-bit pair keys) so
 * no pair is drawn twice. Everything is seeded from one RNG stream. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/linkpred.h"
#include "emb/nodeclf.h"
#include "emb/rng.h"

/* ---- union-find --------------------------------------------------------- */

static int32_t uf_find(int32_t *parent, int32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* ---- a set of node pairs -------------------------------------------------- */

struct pair_set {
    uint64_t *keys; /* 0 = empty; key = (min << 32 | max) + 1 */
    uint64_t cap;   /* power of two */
};

static uint64_t pair_key(int32_t u, int32_t v) {
    uint32_t a = (uint32_t)(u < v ? u : v), b = (uint32_t)(u < v ? v : u);
    return (((uint64_t)a << 32) | b) + 1;
}

/* Insert; returns 1 if new, 0 if present. The set never fills: capacity
 * is sized for twice the pairs it will hold. */
static int pair_insert(struct pair_set *s, uint64_t key) {
    uint64_t h = key * 0x9e3779b97f4a7c15ULL; /* Fibonacci hashing */
    for (uint64_t i = h >> 20 & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->keys[i] == key) return 0;
        if (s->keys[i] == 0) {
            s->keys[i] = key;
            return 1;
        }
    }
}

/* Draw n pairs u != v with no arc in g and not yet in seen; (u, v) into
 * out (2n). Gives up after many failures (a nearly complete graph). */
static int draw_non_edges(const struct emb_graph *g, struct emb_rng *r, struct pair_set *seen, int32_t *out, int64_t n,
                          struct emb_err *err) {
    int64_t tries = 0, limit = 100 * n + 10000;
    for (int64_t k = 0; k < n;) {
        if (++tries > limit)
            return emb_err_set(err, EMB_EEMPTY, "cannot find %lld node pairs without an edge: the graph is too dense",
                               (long long)n);
        int32_t u = (int32_t)emb_rng_below(r, (uint64_t)g->n_nodes), v = (int32_t)emb_rng_below(r, (uint64_t)g->n_nodes);
        if (u == v || emb_graph_has_edge(g, u, v)) continue;
        if (!pair_insert(seen, pair_key(u, v))) continue;
        out[2 * k] = u;
        out[2 * k + 1] = v;
        k++;
    }
    return EMB_OK;
}

/* ---- split ---------------------------------------------------------------- */

void emb_linkpred_split_free(struct emb_linkpred_split *s) {
    if (!s) return;
    emb_graph_free(s->residual);
    emb_free(s->test_pos);
    emb_free(s->test_neg);
    emb_free(s->train_pos);
    emb_free(s->train_neg);
    memset(s, 0, sizeof *s);
}

int emb_linkpred_split(const struct emb_graph *g, double remove_frac, uint64_t seed, struct emb_linkpred_split *out,
                       struct emb_err *err) {
    memset(out, 0, sizeof *out);
    if (g->directed) return emb_err_set(err, EMB_EINVAL, "link prediction needs an undirected graph");
    if (!(remove_frac > 0 && remove_frac < 1))
        return emb_err_set(err, EMB_EINVAL, "the fraction of edges to remove must be in (0, 1), got %g", remove_frac);
    if (g->n_nodes < 2) return emb_err_set(err, EMB_EEMPTY, "link prediction needs at least 2 nodes");
    int rc = EMB_ENOMEM;
    int64_t n_edges = 0;
    for (int32_t u = 0; u < g->n_nodes; u++)
        for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) n_edges += g->adj[a] > u;
    int32_t *eu = emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *eu);
    int32_t *ev = emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *ev);
    float *ew = g->weights ? emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *ew) : NULL;
    uint8_t *keep = emb_calloc((size_t)(n_edges ? n_edges : 1), 1);
    int32_t *parent = emb_alloc((size_t)g->n_nodes * sizeof *parent);
    struct pair_set seen = {NULL, 0};
    if (!eu || !ev || (g->weights && !ew) || !keep || !parent) goto nomem;
    int64_t m = 0;
    for (int32_t u = 0; u < g->n_nodes; u++)
        for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++)
            if (g->adj[a] > u) {
                eu[m] = u;
                ev[m] = g->adj[a];
                if (ew) ew[m] = g->weights[a];
                m++;
            }
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int64_t i = m - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)emb_rng_below(&r, (uint64_t)i + 1);
        int32_t t = eu[i]; eu[i] = eu[j]; eu[j] = t;
        t = ev[i]; ev[i] = ev[j]; ev[j] = t;
        if (ew) { float x = ew[i]; ew[i] = ew[j]; ew[j] = x; }
    }
    for (int32_t i = 0; i < g->n_nodes; i++) parent[i] = i;
    int64_t n_forest = 0;
    for (int64_t i = 0; i < m; i++) {
        int32_t a = uf_find(parent, eu[i]), b = uf_find(parent, ev[i]);
        if (a != b) {
            parent[a] = b;
            keep[i] = 1;
            n_forest++;
        }
    }
    int64_t want = (int64_t)llround(remove_frac * (double)m), removable = m - n_forest;
    int64_t n_removed = want < removable ? want : removable;
    if (n_removed < 2) {
        rc = emb_err_set(err, EMB_EEMPTY, "fewer than 2 edges can be removed without disconnecting the graph");
        goto done;
    }
    /* The removed edges: the first n_removed non-forest edges of the
     * shuffled order; the first half fits the classifier, the rest tests it. */
    out->n_train = n_removed / 2;
    out->n_test = n_removed - out->n_train;
    out->train_pos = emb_alloc((size_t)(2 * out->n_train) * sizeof *out->train_pos);
    out->train_neg = emb_alloc((size_t)(2 * out->n_train) * sizeof *out->train_neg);
    out->test_pos = emb_alloc((size_t)(2 * out->n_test) * sizeof *out->test_pos);
    out->test_neg = emb_alloc((size_t)(2 * out->n_test) * sizeof *out->test_neg);
    seen.cap = 1024;
    while (seen.cap < (uint64_t)n_removed * 2) seen.cap *= 2;
    seen.keys = emb_calloc(seen.cap, sizeof *seen.keys);
    if (!out->train_pos || !out->train_neg || !out->test_pos || !out->test_neg || !seen.keys) goto nomem;
    int64_t k = 0, n_res = 0;
    for (int64_t i = 0; i < m; i++) {
        if (!keep[i] && k < n_removed) {
            int32_t *dst = k < out->n_train ? out->train_pos + 2 * k : out->test_pos + 2 * (k - out->n_train);
            dst[0] = eu[i];
            dst[1] = ev[i];
            k++;
            continue;
        }
        eu[n_res] = eu[i];
        ev[n_res] = ev[i];
        if (ew) ew[n_res] = ew[i];
        n_res++;
    }
    struct emb_graph_params gp = emb_graph_default_params();
    gp.weighted = ew != NULL;
    if ((rc = emb_graph_from_edges(&out->residual, g->n_nodes, eu, ev, ew, n_res, &gp, err)) != EMB_OK) goto done;
    if ((rc = draw_non_edges(g, &r, &seen, out->train_neg, out->n_train, err)) != EMB_OK) goto done;
    if ((rc = draw_non_edges(g, &r, &seen, out->test_neg, out->n_test, err)) != EMB_OK) goto done;
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory splitting %lld edges", (long long)n_edges);
done:
    emb_free(eu);
    emb_free(ev);
    emb_free(ew);
    emb_free(keep);
    emb_free(parent);
    emb_free(seen.keys);
    if (rc != EMB_OK) emb_linkpred_split_free(out);
    return rc;
}

/* ---- features and AUC ---------------------------------------------------- */

const char *emb_edge_op_name(enum emb_edge_op op) {
    switch (op) {
    case EMB_EDGE_HADAMARD: return "hadamard";
    case EMB_EDGE_AVERAGE: return "average";
    case EMB_EDGE_L1: return "l1";
    case EMB_EDGE_L2: return "l2";
    default: return "?";
    }
}

void emb_edge_feature(enum emb_edge_op op, const float *a, const float *b, int32_t dim, float *out) {
    for (int32_t i = 0; i < dim; i++) {
        float d = a[i] - b[i];
        switch (op) {
        case EMB_EDGE_HADAMARD: out[i] = a[i] * b[i]; break;
        case EMB_EDGE_AVERAGE: out[i] = 0.5f * (a[i] + b[i]); break;
        case EMB_EDGE_L1: out[i] = fabsf(d); break;
        default: out[i] = d * d; break;
        }
    }
}

struct scored {
    double s;
    uint8_t y;
};

static int cmp_scored(const void *a, const void *b) {
    double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return (x > y) - (x < y);
}

double emb_roc_auc(const double *scores, const uint8_t *labels, int64_t n) {
    struct scored *v = emb_alloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) return NAN;
    int64_t n_pos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i].s = scores[i];
        v[i].y = labels[i] != 0;
        n_pos += v[i].y;
    }
    int64_t n_neg = n - n_pos;
    if (n_pos == 0 || n_neg == 0) {
        emb_free(v);
        return NAN;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_scored);
    /* Sum of the positives' ranks, ties sharing their average rank. */
    double rank_sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j].s == v[i].s) j++;
        double avg = 0.5 * (double)(i + 1 + j); /* ranks i+1 .. j */
        for (int64_t t = i; t < j; t++)
            if (v[t].y) rank_sum += avg;
        i = j;
    }
    emb_free(v);
    return (rank_sum - 0.5 * (double)n_pos * (double)(n_pos + 1)) / ((double)n_pos * (double)n_neg);
}

/* Fill X rows (stride dim) with op features of pairs; y with label. */
static void fill(const struct emb_table *vec, enum emb_edge_op op, const int32_t *pairs, int64_t n, uint8_t label,
                 float *X, uint8_t *y) {
    for (int64_t i = 0; i < n; i++) {
        emb_edge_feature(op, emb_table_row(vec, pairs[2 * i]), emb_table_row(vec, pairs[2 * i + 1]), vec->dim,
                         X + i * vec->dim);
        y[i] = label;
    }
}

int emb_linkpred_auc(const struct emb_table *vec, const struct emb_linkpred_split *s, enum emb_edge_op op, double C,
                     double *auc, struct emb_err *err) {
    *auc = NAN;
    if (vec->n_rows < s->residual->n_nodes)
        return emb_err_set(err, EMB_EINVAL, "%lld vectors for a graph of %d nodes", (long long)vec->n_rows,
                           s->residual->n_nodes);
    if ((int)op < 0 || op >= EMB_EDGE_N_OPS) return emb_err_set(err, EMB_EINVAL, "unknown edge operator");
    int64_t n_fit = 2 * s->n_train, n_eval = 2 * s->n_test, n_max = n_fit > n_eval ? n_fit : n_eval;
    int32_t d = vec->dim;
    float *X = emb_alloc((size_t)n_max * (size_t)d * sizeof *X);
    uint8_t *y = emb_alloc((size_t)n_max);
    double *w = emb_alloc(((size_t)d + 1) * sizeof *w), *score = emb_alloc((size_t)n_eval * sizeof *score);
    struct emb_logreg *lr = NULL;
    int rc = EMB_ENOMEM;
    if (!X || !y || !w || !score) {
        rc = emb_err_set(err, rc, "out of memory for %lld pairs", (long long)n_max);
        goto done;
    }
    struct emb_logreg_params lp = emb_logreg_default_params();
    lp.C = C;
    if ((rc = emb_logreg_new(&lr, n_max, d, &lp, err)) != EMB_OK) goto done;
    fill(vec, op, s->train_pos, s->n_train, 1, X, y);
    fill(vec, op, s->train_neg, s->n_train, 0, X + s->n_train * d, y + s->n_train);
    if ((rc = emb_logreg_fit(lr, X, n_fit, d, y, w, NULL, err)) != EMB_OK) goto done;
    fill(vec, op, s->test_pos, s->n_test, 1, X, y);
    fill(vec, op, s->test_neg, s->n_test, 0, X + s->n_test * d, y + s->n_test);
    for (int64_t i = 0; i < n_eval; i++) score[i] = emb_logreg_decision(w, d, X + i * d);
    *auc = emb_roc_auc(score, y, n_eval);
    rc = EMB_OK;
done:
    emb_logreg_free(lr);
    emb_free(X);
    emb_free(y);
    emb_free(w);
    emb_free(score);
    return rc;
}
