/* graph.c -- edge lists to CSR.
 *
 * DESIGN: read every line into three flat arrays (u, v, w), then build the
 * CSR with two stable counting sorts: first the arcs are bucketed by
 * target, then, walking the targets in increasing order, by source. The
 * result is sorted by (source, target) and, among repeats of one arc, in
 * input order -- which is what "keep the first duplicate" needs -- in
 * O(nodes + arcs) time with no comparison sort. Repeats and self-loops are
 * then merged or dropped in place and the arrays shrunk to size.
 *
 * Node names go through an emb_vocab, so any string works and ids are
 * handed out in order of first appearance. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/graph.h"
#include "emb/io.h"

struct emb_graph_params emb_graph_default_params(void) {
    struct emb_graph_params p;
    memset(&p, 0, sizeof p);
    p.directed = 0;
    p.weighted = 0;
    p.duplicates = EMB_GRAPH_DUP_SUM;
    p.self_loops = EMB_GRAPH_LOOPS_DROP;
    return p;
}

void emb_graph_free(struct emb_graph *g) {
    if (!g) return;
    emb_free(g->offsets);
    emb_free(g->adj);
    emb_free(g->weights);
    emb_free(g->degree);
    emb_vocab_free(g->names);
    emb_free(g);
}

/* ---- CSR construction --------------------------------------------------- */

/* Shrink p to n elements of `size` bytes (keeps p if realloc refuses). */
static void *shrink(void *p, int64_t n, size_t size) {
    void *q = emb_realloc(p, (size_t)(n > 0 ? n : 1) * size);
    return q ? q : p;
}

/* Build g's arrays from n_edges lines (u[i], v[i], w[i]); w is NULL for
 * unweighted graphs. Self-loops are already dropped by the caller when the
 * option says so (they are kept here as one arc). */
static int build_csr(struct emb_graph *g, const int32_t *u, const int32_t *v, const float *w, int64_t n_edges,
                     const struct emb_graph_params *p, struct emb_err *err) {
    const int32_t n = g->n_nodes;
    int rc = EMB_ENOMEM;
    int64_t *pos = emb_calloc((size_t)n + 1, sizeof *pos); /* (n + 1) bucket starts by target */
    int32_t *src1 = NULL;                                 /* (n_raw) sources, bucketed by target */
    float *w1 = NULL;                                     /* (n_raw) their weights */
    g->offsets = emb_calloc((size_t)n + 1, sizeof *g->offsets);
    g->degree = emb_calloc((size_t)(n > 0 ? n : 1), sizeof *g->degree);
    if (!pos || !g->offsets || !g->degree) goto done;
    /* Count arcs per target and per source. */
    int64_t n_raw = 0;
    for (int64_t i = 0; i < n_edges; i++) {
        pos[v[i] + 1]++;
        g->offsets[u[i] + 1]++;
        n_raw++;
        if (!p->directed && u[i] != v[i]) {
            pos[u[i] + 1]++;
            g->offsets[v[i] + 1]++;
            n_raw++;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        pos[i + 1] += pos[i];
        g->offsets[i + 1] += g->offsets[i];
    }
    src1 = emb_alloc((size_t)(n_raw > 0 ? n_raw : 1) * sizeof *src1);
    g->adj = emb_alloc((size_t)(n_raw > 0 ? n_raw : 1) * sizeof *g->adj);
    if (!src1 || !g->adj) goto done;
    if (w) {
        w1 = emb_alloc((size_t)(n_raw > 0 ? n_raw : 1) * sizeof *w1);
        g->weights = emb_alloc((size_t)(n_raw > 0 ? n_raw : 1) * sizeof *g->weights);
        if (!w1 || !g->weights) goto done;
    }
    /* Pass 1: bucket by target, input order kept within a bucket. */
    for (int64_t i = 0; i < n_edges; i++) {
        int64_t k = pos[v[i]]++;
        src1[k] = u[i];
        if (w) w1[k] = w[i];
        if (!p->directed && u[i] != v[i]) {
            k = pos[u[i]]++;
            src1[k] = v[i];
            if (w) w1[k] = w[i];
        }
    }
    /* Pass 2: targets in increasing order into the source rows. pos[t] is
     * now the end of bucket t, so bucket t is [pos[t-1], pos[t]); cur[s]
     * is the next free slot of row s. */
    int64_t *cur = emb_alloc((size_t)(n > 0 ? n : 1) * sizeof *cur);
    if (!cur) goto done;
    memcpy(cur, g->offsets, (size_t)n * sizeof *cur);
    for (int32_t t = 0; t < n; t++) {
        for (int64_t a = t ? pos[t - 1] : 0; a < pos[t]; a++) {
            int64_t k = cur[src1[a]]++;
            g->adj[k] = t;
            if (w) g->weights[k] = w1[a];
        }
    }
    emb_free(cur);
    emb_free(src1);
    src1 = NULL;
    emb_free(w1);
    w1 = NULL;
    /* Merge repeats in place (rows are sorted, repeats adjacent). */
    int64_t out = 0;
    for (int32_t s = 0; s < n; s++) {
        int64_t lo = g->offsets[s], hi = g->offsets[s + 1];
        g->offsets[s] = out;
        double deg = 0;
        for (int64_t a = lo; a < hi; a++) {
            if (a > lo && g->adj[a] == g->adj[a - 1]) {
                if (w && p->duplicates == EMB_GRAPH_DUP_SUM) {
                    float sum = g->weights[out - 1] + g->weights[a];
                    if (!isfinite(sum)) {
                        rc = emb_err_set(err, EMB_ENUMERIC, "the summed weight of a repeated edge overflows float32");
                        goto done;
                    }
                    deg += g->weights[a];
                    g->weights[out - 1] = sum;
                }
                continue;
            }
            g->adj[out] = g->adj[a];
            if (w) g->weights[out] = g->weights[a];
            deg += w ? g->weights[a] : 1.0;
            out++;
        }
        g->degree[s] = deg;
    }
    g->offsets[n] = out;
    g->n_arcs = out;
    g->adj = shrink(g->adj, out, sizeof *g->adj);
    if (w) g->weights = shrink(g->weights, out, sizeof *g->weights);
    rc = EMB_OK;
done:
    if (rc == EMB_ENOMEM) emb_err_set(err, rc, "out of memory building the graph");
    emb_free(pos);
    emb_free(src1);
    emb_free(w1);
    return rc;
}

int emb_graph_from_edges(struct emb_graph **out, int32_t n_nodes, const int32_t *u, const int32_t *v,
                         const float *w, int64_t n_edges, const struct emb_graph_params *p, struct emb_err *err) {
    *out = NULL;
    if (n_nodes < 1 || n_edges < 0) return emb_err_set(err, EMB_EINVAL, "a graph needs at least one node");
    int rc = EMB_ENOMEM;
    int32_t *eu = emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *eu);
    int32_t *ev = emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *ev);
    float *ew = w ? emb_alloc((size_t)(n_edges ? n_edges : 1) * sizeof *ew) : NULL;
    struct emb_graph *g = emb_calloc(1, sizeof *g);
    if (!eu || !ev || (w && !ew) || !g) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
        goto done;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n_edges; i++) {
        if (u[i] < 0 || u[i] >= n_nodes || v[i] < 0 || v[i] >= n_nodes) {
            rc = emb_err_set(err, EMB_EINVAL, "edge %lld: node id out of range 0..%d", (long long)i, n_nodes - 1);
            goto done;
        }
        if (w && !(isfinite(w[i]) && w[i] > 0)) {
            rc = emb_err_set(err, EMB_EINVAL, "edge %lld: weight must be a finite number > 0, got %g", (long long)i,
                             (double)w[i]);
            goto done;
        }
        if (u[i] == v[i] && p->self_loops == EMB_GRAPH_LOOPS_DROP) continue;
        eu[m] = u[i];
        ev[m] = v[i];
        if (w) ew[m] = w[i];
        m++;
    }
    if (m == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "the graph has no edges");
        goto done;
    }
    g->n_nodes = n_nodes;
    g->n_lines = n_edges;
    g->directed = p->directed;
    if ((rc = emb_vocab_new(&g->names, err)) != EMB_OK) goto done;
    for (int32_t i = 0; i < n_nodes; i++) {
        char name[16];
        int len = snprintf(name, sizeof name, "%d", i);
        if ((rc = emb_vocab_add(g->names, name, (size_t)len, 1, NULL, err)) != EMB_OK) goto done;
    }
    rc = build_csr(g, eu, ev, ew, m, p, err);
done:
    emb_free(eu);
    emb_free(ev);
    emb_free(ew);
    if (rc != EMB_OK) {
        emb_graph_free(g);
        return rc;
    }
    *out = g;
    return EMB_OK;
}

/* ---- edge-list reader --------------------------------------------------- */

/* Growable edge arrays while reading. */
struct edges {
    int32_t *u, *v;
    float *w;
    int64_t n, cap;
};

static int edges_push(struct edges *e, int32_t u, int32_t v, float w, int weighted, struct emb_err *err) {
    if (e->n == e->cap) {
        int64_t cap = e->cap ? e->cap * 2 : 4096;
        int32_t *nu = emb_realloc(e->u, (size_t)cap * sizeof *nu);
        if (nu) e->u = nu;
        int32_t *nv = emb_realloc(e->v, (size_t)cap * sizeof *nv);
        if (nv) e->v = nv;
        float *nw = weighted ? emb_realloc(e->w, (size_t)cap * sizeof *nw) : NULL;
        if (nw) e->w = nw;
        if (!nu || !nv || (weighted && !nw))
            return emb_err_set(err, EMB_ENOMEM, "out of memory reading edges (%lld so far)", (long long)e->n);
        e->cap = cap;
    }
    e->u[e->n] = u;
    e->v[e->n] = v;
    if (weighted) e->w[e->n] = w;
    e->n++;
    return EMB_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Split line into at most max fields on runs of spaces/tabs; returns the
 * number of fields found (max + 1 means "more than max"). */
static int split_fields(char *line, size_t len, char **f, size_t *flen, int max) {
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_blank(line[i])) i++;
        if (i == len) break;
        size_t start = i;
        while (i < len && !is_blank(line[i])) i++;
        if (n == max) return max + 1;
        f[n] = line + start;
        flen[n] = i - start;
        n++;
    }
    return n;
}

int emb_graph_load(struct emb_graph **out, const char *path, const struct emb_graph_params *p, struct emb_err *err) {
    *out = NULL;
    struct emb_reader *r = NULL;
    struct edges e;
    memset(&e, 0, sizeof e);
    struct emb_graph *g = emb_calloc(1, sizeof *g);
    if (!g) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    int rc = emb_vocab_new(&g->names, err);
    if (rc != EMB_OK) goto done;
    if ((rc = emb_reader_open(&r, path, err)) != EMB_OK) goto done;
    const int want = p->weighted ? 3 : 2;
    char *line;
    size_t len;
    int64_t lineno = 0;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (memchr(line, '\0', len)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: NUL byte (not a text edge list?)", path, (long long)lineno);
            goto done;
        }
        size_t i = 0;
        while (i < len && is_blank(line[i])) i++;
        if (i == len || line[i] == '#') continue;
        char *f[3];
        size_t fl[3];
        int nf = split_fields(line, len, f, fl, 3);
        if (nf != want) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected %d columns (%s), got %s%d%s", path, (long long)lineno,
                             want, p->weighted ? "u v weight" : "u v", nf > 3 ? "more than " : "", nf > 3 ? 3 : nf,
                             !p->weighted && nf == 3 ? " (weighted edge lists need the weighted option)" : "");
            goto done;
        }
        float wf = 1.0f;
        if (p->weighted) {
            f[2][fl[2]] = '\0';
            char *end;
            double d = strtod(f[2], &end);
            wf = (float)d;
            if (end == f[2] || *end || !isfinite(d) || !(d > 0) || !isfinite(wf) || !(wf > 0)) {
                rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: weight must be a finite number > 0 (as float32), got '%s'",
                                 path, (long long)lineno, f[2]);
                goto done;
            }
        }
        int32_t a, b;
        if ((rc = emb_vocab_add(g->names, f[0], fl[0], 1, &a, err)) != EMB_OK) goto done;
        if ((rc = emb_vocab_add(g->names, f[1], fl[1], 1, &b, err)) != EMB_OK) goto done;
        g->n_lines++;
        if (a == b && p->self_loops == EMB_GRAPH_LOOPS_DROP) continue;
        if ((rc = edges_push(&e, a, b, wf, p->weighted, err)) != EMB_OK) goto done;
    }
    if (rc < 0) goto done;
    if (e.n == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: no edges%s", path,
                         g->n_lines > 0 ? " (only self-loops, which are dropped by default)" : "");
        goto done;
    }
    g->n_nodes = emb_vocab_size(g->names);
    g->directed = p->directed;
    emb_reader_close(r);
    r = NULL;
    rc = build_csr(g, e.u, e.v, p->weighted ? e.w : NULL, e.n, p, err);
done:
    emb_reader_close(r);
    emb_free(e.u);
    emb_free(e.v);
    emb_free(e.w);
    if (rc != EMB_OK) {
        emb_graph_free(g);
        return rc;
    }
    *out = g;
    return EMB_OK;
}
