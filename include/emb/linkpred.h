/* linkpred.h -- link prediction: the node2vec paper's protocol.
 *
 *     struct emb_linkpred_split s;
 *     emb_linkpred_split(g, 0.5, seed, &s, &err);     // g: undirected
 *     ... train node vectors on s.residual ...
 *     double auc;
 *     emb_linkpred_auc(vectors, &s, EMB_EDGE_HADAMARD, 1.0, &auc, &err);
 *     emb_linkpred_split_free(&s);
 *
 * Split (Grover & Leskovec 2016, section 4.4): remove a fraction of the
 * edges at random while keeping the residual graph connected (a random
 * spanning forest is never removed, so every component stays in one
 * piece; if fewer edges than asked are removable, fewer are removed). The
 * embedding is trained on the residual graph only. Half of the removed
 * edges, with as many node pairs that have no edge in the original graph,
 * fit the classifier; the other half, with as many other non-edges, test
 * it. No pair used for fitting or testing is an edge the embedding saw,
 * so fitting and testing see the same kind of pairs (fitting on residual
 * edges instead would teach the classifier what trained-on edges look
 * like, which held-out edges do not).
 *
 * Scoring: an edge feature of the two node vectors (Hadamard a*b, average
 * (a+b)/2, L1 |a-b|, L2 (a-b)^2, element-wise), an L2-regularised logistic
 * regression (nodeclf.h's solver) fitted on the training pairs, and the
 * ROC-AUC of its decision values on the test pairs. */
#ifndef EMB_LINKPRED_H
#define EMB_LINKPRED_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/graph.h"
#include "emb/table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_linkpred_split {
    struct emb_graph *residual; /* the graph to train embeddings on (same node ids) */
    int64_t n_test, n_train;    /* pairs in each of the four lists below */
    int32_t *test_pos;          /* (2 n_test) removed edges for testing, (u, v) interleaved */
    int32_t *test_neg;          /* (2 n_test) non-edges */
    int32_t *train_pos;         /* (2 n_train) removed edges for fitting */
    int32_t *train_neg;         /* (2 n_train) non-edges, disjoint from test_neg */
};

/* Split g (undirected, at least 2 nodes) removing remove_frac (0 < f < 1)
 * of its edges. Deterministic for a seed. EMB_EINVAL for a directed graph
 * or a bad fraction, EMB_EEMPTY if no edge can be removed or the graph is
 * too dense to find non-edges. */
int emb_linkpred_split(const struct emb_graph *g, double remove_frac, uint64_t seed, struct emb_linkpred_split *out,
                       struct emb_err *err);
void emb_linkpred_split_free(struct emb_linkpred_split *s);

enum emb_edge_op { EMB_EDGE_HADAMARD = 0, EMB_EDGE_AVERAGE, EMB_EDGE_L1, EMB_EDGE_L2, EMB_EDGE_N_OPS };
const char *emb_edge_op_name(enum emb_edge_op op);

/* out[i] = op(a[i], b[i]) for i < dim. a, b, out: (dim). */
void emb_edge_feature(enum emb_edge_op op, const float *a, const float *b, int32_t dim, float *out);

/* ROC-AUC of scores against binary labels (the Mann-Whitney statistic,
 * tied scores counted as one half). NaN when one class is missing. */
double emb_roc_auc(const double *scores, const uint8_t *labels, int64_t n);

/* Fit the classifier on the split's training pairs with op features of
 * vec's rows (C: inverse L2 strength) and return the test ROC-AUC. */
int emb_linkpred_auc(const struct emb_table *vec, const struct emb_linkpred_split *s, enum emb_edge_op op, double C,
                     double *auc, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
