/* n2v.h -- DeepWalk and node2vec node vectors in one call: random walks
 * (walk.h) fed to the skip-gram engine (w2v.h), all in memory.
 *
 *     struct emb_walk_params wp = emb_walk_default_params();   // p = q = 1: DeepWalk
 *     struct emb_w2v_params sp = emb_n2v_default_w2v_params();
 *     struct emb_table *vec = NULL;
 *     struct emb_train_opts o = emb_train_default_opts();
 *     int rc = emb_n2v_train(g, &wp, &sp, &o, &vec, NULL, &err);  // (n_nodes, dim)
 *     emb_table_free(vec);
 *
 * The skip-gram vocabulary is the graph's nodes in id order, counted by how
 * often the walks visit them (negative sampling draws by visits^0.75), so
 * row i of the result is node i. */
#ifndef EMB_N2V_H
#define EMB_N2V_H

#include "emb/graph.h"
#include "emb/table.h"
#include "emb/w2v.h"
#include "emb/walk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Skip-gram settings of the node2vec paper (dim 128, window 10, negative
 * 5, no subsampling, negative sampling with the batch kernel), but 3
 * epochs instead of its 1 (see n2v.c). */
struct emb_w2v_params emb_n2v_default_w2v_params(void);

/* What a run did. */
struct emb_n2v_stats {
    struct emb_walk_stats walks;
    double train_seconds;
    struct emb_w2v_params trained; /* the settings used (a checkpoint's when resumed) */
};

/* Walk g with wp, train sp (its model must be skip-gram or CBOW, any loss)
 * on the walks, and return the input vectors in *out (caller frees). o is
 * train.h's contract: one pool (o->pool, else one of o->n_threads made
 * here) runs the walks (progress phase "walks") and the training (phase
 * "train"); o->checkpoint_path makes training write checkpoints (and one on
 * stop); o->resume continues from one: the walks are made again (they
 * depend only on the graph, wp and the seed, not on the thread count) and
 * the checkpoint must have been made with the same walk settings
 * (wp->trainer included) and skip-gram settings on the same nodes
 * (EMB_EINVAL otherwise). stats may be NULL. */
int emb_n2v_train(const struct emb_graph *g, const struct emb_walk_params *wp, const struct emb_w2v_params *sp,
                  const struct emb_train_opts *o, struct emb_table **out, struct emb_n2v_stats *stats,
                  struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
