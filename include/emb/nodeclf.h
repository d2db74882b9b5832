/* nodeclf.h -- node classification: how well do node embeddings predict
 * node labels? One-vs-rest L2 logistic regression on the vectors, scored
 * with the DeepWalk / node2vec multi-label protocol.
 *
 *     struct emb_node_labels labels;
 *     int rc = emb_node_labels_load(&labels, vecs->vocab, "labels.tsv", &err);
 *     struct emb_nodeclf_params p = emb_nodeclf_default_params();   // 0.1, 0.5, 0.9 x 10
 *     struct emb_nodeclf_result res;
 *     if (rc == EMB_OK) rc = emb_eval_nodes(vecs, &labels, NULL, &p, &res, &err);
 *     printf("Micro-F1 %.4f\n", res.ratios[0].micro_f1.mean);
 *     emb_nodeclf_result_free(&res);
 *     emb_node_labels_free(&labels);
 *
 * Protocol (DeepWalk's example_graphs/scoring.py, also used by node2vec):
 *   - the labelled nodes are shuffled `repeats` times (shuffle r is stream r
 *     of `seed`, the same shuffles for every ratio); for train ratio t the
 *     first floor(t * N) shuffled nodes train, the rest are tested;
 *   - one binary classifier per label (one-vs-rest) is trained on the raw
 *     embeddings (no scaling unless params.normalize is set);
 *   - each test node is given as many labels as it truly has: the k labels
 *     with the highest decision values (ties: lower label id first);
 *   - Micro-F1 = 2 TP / (2 TP + FP + FN) summed over all labels; Macro-F1 is
 *     the unweighted mean over all labels of the file (that are on kept
 *     nodes) of each label's F1, where a label with TP + FP + FN = 0 on
 *     the test nodes scores 0 -- sklearn's f1_score(average='macro',
 *     zero_division=0) over the full label set;
 *   - accuracy (top-1 label = the true one) is computed when every tested
 *     node has exactly one label; then it equals Micro-F1;
 *   - mean and standard deviation over repeats (population std, ddof = 0,
 *     numpy's default).
 * A fixed split (Planetoid's split.tsv for Cora/Citeseer) trains on the
 * "train" nodes and scores the "test" and the "val" nodes separately.
 *
 * Classifier: one binary L2 logistic regression per label (logreg.h,
 * liblinear's TRON solver, sklearn's defaults). A label with no positive
 * (or no negative) training node gets a constant classifier (score -inf
 * or +inf), as sklearn's OneVsRestClassifier does.
 *
 * Everything is deterministic: results depend on the seed, never on the
 * thread count (labels are trained independently, in parallel). */
#ifndef EMB_NODECLF_H
#define EMB_NODECLF_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/logreg.h"
#include "emb/vecs.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- labels and splits ------------------------------------------------------ */

/* Node labels, matched to the rows of a vector set. Plain data; free with
 * emb_node_labels_free. Node i (0 <= i < n_nodes) is the i-th distinct
 * node of the label file that is in the vectors. */
struct emb_node_labels {
    int64_t n_nodes;          /* labelled nodes found in the vectors */
    int32_t n_labels;         /* distinct labels on those nodes */
    int32_t *rows;            /* (n_nodes) vector row of each node */
    int64_t *label_off;       /* (n_nodes + 1) node i's labels: label_ids[label_off[i] .. label_off[i+1]) */
    int32_t *label_ids;       /* (n_pairs) ascending per node */
    struct emb_vocab *labels; /* label id -> name, in order of first appearance */
    int64_t n_pairs;          /* distinct (node, label) pairs kept */
    int64_t n_skipped;        /* distinct nodes of the file not in the vectors (skipped) */
    int64_t n_skipped_pairs;  /* their (node, label) lines */
    int multi_label;          /* 1 if some node has more than one label */
};

/* Read a label file: one "node label" pair per line, the two fields
 * separated by tabs or spaces (labels are arbitrary strings without
 * whitespace; blank lines are skipped; a node with several labels has
 * several lines; a repeated pair counts once). Nodes are looked up by name
 * in `nodes` (a vector file's vocabulary); nodes that are not there are
 * skipped and counted in n_skipped, and labels found only on such nodes
 * are dropped. Errors: EMB_EIO, EMB_EFORMAT (a line without exactly two
 * fields, with its line number), EMB_EEMPTY (no pair at all, or no node in
 * the vectors). On failure *out is zeroed (freeing it is harmless). */
int emb_node_labels_load(struct emb_node_labels *out, const struct emb_vocab *nodes, const char *path,
                         struct emb_err *err);
/* Release and zero; NULL is a no-op. */
void emb_node_labels_free(struct emb_node_labels *l);

enum emb_split_part { EMB_SPLIT_NONE = 0, EMB_SPLIT_TRAIN = 1, EMB_SPLIT_VAL = 2, EMB_SPLIT_TEST = 3 };

/* Read a fixed split: "node part" lines with part train, val or test
 * (tab- or space-separated; blank lines skipped). part: (labels->n_nodes)
 * receives each labelled node's part (EMB_SPLIT_NONE if not listed). Nodes
 * of the file that are not labelled nodes (not in the vectors, or without
 * a label, like Citeseer's 15 isolated test ids) are ignored and counted
 * in *n_ignored (may be NULL). Errors: EMB_EIO, EMB_EFORMAT (wrong field
 * count or an unknown part, with the line number), EMB_EDUP (a node listed
 * twice), EMB_EEMPTY (no train node or no test node). */
int emb_node_split_load(uint8_t *part, const struct emb_node_labels *labels, const struct emb_vocab *nodes,
                        const char *path, int64_t *n_ignored, struct emb_err *err);

/* ---- scoring ------------------------------------------------------------------ */

/* Scores of one evaluation. */
struct emb_nodeclf_score {
    double micro_f1, macro_f1;
    double accuracy; /* NaN unless every evaluated node has exactly one label */
    int64_t n_train, n_test;
    int32_t n_unconverged; /* classifiers that hit max_iter */
};

/* Top-k prediction and F1. scores: (n, n_labels) decision values, row i
 * for evaluated node i; truth as CSR: node i's true labels are
 * true_ids[true_off[i] .. true_off[i+1]) (distinct ids < n_labels). Each
 * node is predicted its k = (number of true labels) best-scored labels,
 * ties going to the lower label id. Fills micro_f1, macro_f1 (over all
 * n_labels, zero_division = 0), accuracy and n_test. EMB_ENOMEM or
 * EMB_EINVAL (n < 1, n_labels < 1). */
int emb_nodeclf_score_topk(int64_t n, int32_t n_labels, const float *scores, const int64_t *true_off,
                           const int32_t *true_ids, struct emb_nodeclf_score *out, struct emb_err *err);

/* ---- the evaluation --------------------------------------------------------- */

struct emb_nodeclf_params {
    struct emb_logreg_params logreg;
    const double *train_ratios; /* (n_ratios), each in (0, 1); borrowed (default 0.1, 0.5, 0.9) */
    int n_ratios;
    int repeats;   /* shuffles per ratio (default 10) */
    uint64_t seed; /* default 1 */
    int n_threads; /* default 1 */
    int normalize; /* 1: scale every vector to unit length first (default 0: raw) */
};

struct emb_nodeclf_params emb_nodeclf_default_params(void);

struct emb_nodeclf_stat {
    double mean, std; /* over repeats; std with ddof = 0; NaN when undefined */
};

struct emb_nodeclf_ratio {
    double train_ratio;
    int64_t n_train, n_test;                              /* per repeat */
    struct emb_nodeclf_stat micro_f1, macro_f1, accuracy; /* accuracy NaN for multi-label sets */
    int64_t n_unconverged;                                /* over all repeats and labels */
};

struct emb_nodeclf_result {
    int64_t n_nodes, n_pairs, n_skipped;
    int32_t n_labels;
    int multi_label;
    int n_ratios;                     /* random splits (0 with a fixed split) */
    struct emb_nodeclf_ratio *ratios; /* (n_ratios), owned */
    int has_split;                    /* 1 for a fixed split: */
    struct emb_nodeclf_score test;    /*   trained on train, scored on test */
    struct emb_nodeclf_score val;     /*   ... and on val (n_test 0: no val node) */
    int64_t n_split_ignored;          /*   split lines not naming a labelled node */
};

/* Evaluate vecs against labels (from emb_node_labels_load on vecs->vocab).
 * split_path NULL: random splits per p->train_ratios; else the fixed split
 * of that file (train ratios and repeats are then unused). p may be NULL
 * for the defaults. Errors: EMB_EINVAL (a ratio outside (0, 1) or leaving
 * no training or no test node, repeats < 1, C <= 0, n_threads < 1),
 * the split file's errors, EMB_ENUMERIC, EMB_ENOMEM, EMB_ETHREAD. On
 * success *res owns memory: emb_nodeclf_result_free. */
int emb_eval_nodes(const struct emb_vecs *vecs, const struct emb_node_labels *labels, const char *split_path,
                   const struct emb_nodeclf_params *p, struct emb_nodeclf_result *res, struct emb_err *err);
/* Release and zero; NULL is a no-op. */
void emb_nodeclf_result_free(struct emb_nodeclf_result *res);

/* The lower-level evaluator behind emb_eval_nodes, to run custom splits:
 * it owns a copy of the labelled nodes' vectors, the thread pool and one
 * solver workspace per thread. vecs and labels are borrowed and must
 * outlive it. */
struct emb_nodeclf;

int emb_nodeclf_new(struct emb_nodeclf **out, const struct emb_vecs *vecs, const struct emb_node_labels *labels,
                    const struct emb_nodeclf_params *p, struct emb_err *err);
/* NULL is a no-op. */
void emb_nodeclf_free(struct emb_nodeclf *c);
/* Train on labelled nodes train: (n_train) and score nodes test: (n_test)
 * (indices into labels, 0 <= i < n_nodes). EMB_EINVAL for empty sets or
 * bad indices. */
int emb_nodeclf_run(struct emb_nodeclf *c, const int64_t *train, int64_t n_train, const int64_t *test, int64_t n_test,
                    struct emb_nodeclf_score *out, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
