/* walk.h -- random walks on a graph: DeepWalk and node2vec.
 *
 *     struct emb_walk_params wp = emb_walk_default_params();
 *     wp.p = 0.25; wp.q = 4;                    // node2vec; p = q = 1 is DeepWalk
 *     struct emb_stream *walks = NULL;
 *     int64_t *visits = NULL;
 *     struct emb_walk_stats st;
 *     struct emb_train_opts o = emb_train_default_opts();   // threads, seed, progress, stop
 *     int rc = emb_walk_generate(g, &wp, &o, &walks, &visits, &st, &err);
 *     // walks: one sentence per walk, ids = graph node ids; feed to emb_w2v_train
 *     emb_stream_free(walks);
 *     emb_free(visits);
 *
 * Walks (Perozzi et al. 2014; Grover & Leskovec 2016). For each of
 * walks_per_node rounds, every node, in a shuffled order, starts one walk of
 * walk_length nodes (the start included). The first step from the start
 * node, and every step when p = q = 1 (DeepWalk), picks a neighbour with
 * probability proportional to the arc weight (uniformly when the graph is
 * unweighted). Later node2vec steps, having come from t to v, pick x with
 * probability proportional to w(v,x) * a(t,x) with
 *     a = 1/p  if x == t,   1  if x is adjacent to t,   1/q  otherwise,
 * which are node2vec's exact second-order probabilities ("adjacent" is the
 * arc x->t, as in the reference code; in undirected graphs both ways).
 *
 * DESIGN: memory is O(nodes + arcs), with no per-edge alias tables (those
 * grow with the sum of squared degrees). Steps use rejection sampling
 * (KnightKing, Yang et al., SOSP 2019): propose x from v's first-order
 * distribution (an O(1) per-node alias table over the row's weights, 8
 * bytes an arc, built only for weighted graphs) and accept it with
 * probability a(t,x) / max(1/p, 1, 1/q). Adjacency is a binary search in
 * the sorted CSR row, needed only when the coin falls between 1 and 1/q.
 * When 1/p is the largest bias, the return arc is treated apart
 * (KnightKing's "outlier"), so the acceptance rate does not drop to p.
 * Accepted proposals follow the target distribution exactly. To bound the
 * cost when the acceptance rate is tiny (extreme p or q), after
 * EMB_WALK_MAX_TRIALS rejections the step is drawn directly from the exact
 * distribution over v's row (O(degree log degree)); that is exact too,
 * since a rejection sampler's accepted value does not depend on how many
 * trials it took.
 *
 * Dead ends: an isolated node gives a walk of length 1 (the node alone), so
 * every node still appears in the walks; in directed graphs a walk stops
 * early at a node with no out-arcs.
 *
 * Threads and determinism: walks are made in batches by emb_pool threads
 * and collected in order into ONE stream (kept in memory, never written to
 * disk unless save_path is set). Each walk has its own random stream,
 * seeded from (seed, round, start node), and each round's order from
 * (seed, round), so the walks -- and the stream, byte for byte -- are the
 * same for every thread count. */
#ifndef EMB_WALK_H
#define EMB_WALK_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/graph.h"
#include "emb/stream.h"
#include "emb/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rejections in a row after which a node2vec step is drawn exactly from the
 * full row instead (see above). */
#define EMB_WALK_MAX_TRIALS 64

struct emb_walk_params {
    int32_t walk_length;    /* 80: nodes per walk, the start included (1..1000000) */
    int32_t walks_per_node; /* 10: rounds over all nodes */
    double p;               /* 1: return parameter (> 0) */
    double q;               /* 1: in-out parameter (> 0) */
    int64_t chunk_tokens;   /* 65536: stream chunk size (for parallel training) */
    const char *save_path;  /* NULL; else the walks are also written here, one
                               a line, node names separated by spaces */
    const char *trainer;    /* NULL; emb_n2v_train saves it in checkpoints and
                               requires it on resume ("deepwalk", "node2vec") */
};

struct emb_walk_params emb_walk_default_params(void);
/* Check values (p and q finite and > 0, counts in range); EMB_EINVAL with
 * the first bad one. */
int emb_walk_params_check(const struct emb_walk_params *p, struct emb_err *err);

struct emb_walk_stats {
    int64_t n_walks;
    int64_t n_steps;     /* transitions made (walk lengths minus one, summed) */
    int64_t n_proposals; /* node2vec proposals drawn (== n_steps for DeepWalk) */
    int64_t n_fallbacks; /* steps drawn exactly after EMB_WALK_MAX_TRIALS rejections */
    double seconds;      /* wall time of the walks, encoding included */
    double steps_per_sec;
};

/* Generate the walks over g with the threads (o->pool, else o->n_threads),
 * seed and stop flag of o (train.h); progress reports carry phase "walks"
 * and unit "steps". Checkpoint and resume fields of o are not used (walks
 * are made again on resume). On success *stream_out (finished, read-only;
 * emb_stream_free) holds one sentence per walk, and *visits_out (may be
 * NULL to skip; (g->n_nodes) counts, release with emb_free) how often each
 * node appears in the walks -- every node is at least a start node, so
 * counts are >= walks_per_node. stats may be NULL. Errors: EMB_EINVAL (bad
 * params), EMB_ENOMEM, EMB_EIO (save_path), EMB_EINTR (stopped). */
int emb_walk_generate(const struct emb_graph *g, const struct emb_walk_params *p, const struct emb_train_opts *o,
                      struct emb_stream **stream_out, int64_t **visits_out, struct emb_walk_stats *stats,
                      struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
