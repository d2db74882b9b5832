/* graph.h -- graphs from edge lists, stored as CSR for random walks.
 *
 *     struct emb_graph_params gp = emb_graph_default_params();
 *     gp.directed = 0;                        // each edge stored both ways
 *     struct emb_graph *g = NULL;
 *     int rc = emb_graph_load(&g, "edges.tsv.gz", &gp, &err);
 *     for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) use(g->adj[a]);
 *     emb_graph_free(g);
 *
 * Input: one edge a line, `u v` (unweighted) or `u v w` (weighted), fields
 * separated by runs of spaces or tabs, plain or gzip (or "-" for stdin).
 * Blank lines and lines whose first non-blank byte is '#' are skipped; a
 * trailing '\r' is ignored. Node names are arbitrary byte strings without
 * whitespace; they get dense ids 0..n-1 in order of first appearance and
 * are kept in g->names, so vector files can be written with the names.
 *
 * Options (struct emb_graph_params):
 *   directed    0: each line u v is the two arcs u->v and v->u; 1: only u->v.
 *   weighted    0: exactly 2 columns, every weight is 1 (g->weights is NULL);
 *               1: exactly 3 columns, the weight must parse as a finite
 *               number > 0 (also after rounding to float32).
 *   duplicates  how repeated arcs (u v twice, or u v and v u in an undirected
 *               graph) are merged: SUM adds their weights (default), FIRST
 *               keeps the weight of the first line. Unweighted graphs stay
 *               unweighted: a repeated edge is stored once either way.
 *   self_loops  DROP (default) ignores lines u u; KEEP stores them as one
 *               arc u->u (also in undirected graphs).
 * Errors, with the line number: wrong column count, a weight that is not a
 * finite number > 0, a NUL byte (EMB_EFORMAT). No edge left (an empty file,
 * only comments, only dropped self-loops) is EMB_EEMPTY; a missing file EMB_EIO.
 *
 * Storage (CSR): row u holds the arcs u->v in adj[offsets[u] .. offsets[u+1]),
 * sorted by v with no repeats, so emb_graph_find_arc is a binary search
 * (O(log degree)); this is what node2vec's second-order walk needs. Offsets
 * are int64, so graphs with more than 2^31 arcs fit; node ids are int32.
 * Memory: 16 bytes a node (offset, degree) and its name, plus 4 (unweighted)
 * or 8 (weighted) bytes an arc; loading peaks at 3-4x that while the edges
 * are sorted (two stable counting sorts, O(nodes + arcs) time). The struct
 * is read-only data: read its fields, but create and free it here. */
#ifndef EMB_GRAPH_H
#define EMB_GRAPH_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_graph_dup { EMB_GRAPH_DUP_SUM = 0, EMB_GRAPH_DUP_FIRST = 1 };
enum emb_graph_loops { EMB_GRAPH_LOOPS_DROP = 0, EMB_GRAPH_LOOPS_KEEP = 1 };

struct emb_graph_params {
    int directed;                    /* 0 */
    int weighted;                    /* 0 */
    enum emb_graph_dup duplicates;   /* SUM */
    enum emb_graph_loops self_loops; /* DROP */
};

struct emb_graph_params emb_graph_default_params(void);

struct emb_graph {
    int32_t n_nodes;
    int64_t n_arcs;       /* stored arcs: 2 per undirected edge, 1 per self-loop */
    int64_t n_lines;      /* edge lines read (before merging and dropping) */
    int directed;
    int64_t *offsets;     /* (n_nodes + 1) row starts into adj */
    int32_t *adj;         /* (n_arcs) neighbour ids, sorted within each row */
    float *weights;       /* (n_arcs) arc weights, or NULL when unweighted (all 1) */
    double *degree;       /* (n_nodes) weighted out-degree: sum of the row's weights */
    struct emb_vocab *names; /* node names in id order; count = endpoints naming the node */
};

/* Read an edge list (see above). On success *out is owned by the caller
 * (emb_graph_free); on error *out is NULL and err says why. */
int emb_graph_load(struct emb_graph **out, const char *path, const struct emb_graph_params *p, struct emb_err *err);

/* Build a graph from n_edges arcs (u[i], v[i], weight w[i]; w may be NULL
 * for unweighted) between nodes 0..n_nodes-1, named "0".."n_nodes-1". The
 * same rules as loading apply (direction, duplicates, self-loops; weights
 * must be finite and > 0). Handy for tests and for graphs built in memory. */
int emb_graph_from_edges(struct emb_graph **out, int32_t n_nodes, const int32_t *u, const int32_t *v,
                         const float *w, int64_t n_edges, const struct emb_graph_params *p, struct emb_err *err);

void emb_graph_free(struct emb_graph *g);

/* Out-degree (arcs) of node u. */
static inline int64_t emb_graph_degree(const struct emb_graph *g, int32_t u) {
    return g->offsets[u + 1] - g->offsets[u];
}

/* Index into adj/weights of the arc u->v, or -1 (binary search in row u). */
static inline int64_t emb_graph_find_arc(const struct emb_graph *g, int32_t u, int32_t v) {
    int64_t lo = g->offsets[u], hi = g->offsets[u + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int32_t x = g->adj[mid];
        if (x == v) return mid;
        if (x < v) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* 1 if the arc u->v exists. */
static inline int emb_graph_has_edge(const struct emb_graph *g, int32_t u, int32_t v) {
    return emb_graph_find_arc(g, u, v) >= 0;
}

#ifdef __cplusplus
}
#endif
#endif
