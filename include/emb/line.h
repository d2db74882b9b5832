/* line.h -- LINE: Large-scale Information Network Embedding (Tang et al.,
 * WWW 2015), first- and second-order proximity.
 *
 *     struct emb_line_params p = emb_line_default_params();
 *     p.order = EMB_LINE_BOTH;          // concatenation, as in the paper
 *     struct emb_table *vec = NULL;
 *     struct emb_train_opts o = emb_train_default_opts();   // threads, seed, ...
 *     int rc = emb_line_train(g, &p, &o, &vec, &err);   // (n_nodes, dim)
 *     emb_vecs_save(g->names, vec, "line.txt", EMB_FMT_AUTO, NULL, &err);
 *     emb_table_free(vec);
 *
 * First order keeps linked nodes close: for an arc (i, j) drawn with
 * probability proportional to its weight, maximise
 *     log s(u_i . u_j) + sum_{k negatives n ~ deg^0.75} log s(-u_i . u_n)
 * with one table u. Second order keeps nodes with similar neighbourhoods
 * close: the same with a separate context table, s(u_i . c_j). Each sample
 * is an SGD step at rate rho = rho0 * (1 - t/T), T = n_samples.
 *
 * DESIGN: arcs are drawn from an alias table over arc weights (8 bytes an
 * arc, O(1) a draw), which is LINE's edge sampling: weighted graphs need no
 * gradient scaling. Threads run Hogwild over their share of the samples
 * with their own RNG stream, so one thread with a fixed seed is
 * deterministic. EMB_LINE_BOTH trains a dim/2 first-order and a dim/2
 * second-order model, scales each row of each to unit length and
 * concatenates them (the paper's recipe).
 *
 * Checkpoints ("EMBLINCK") hold the tables, the finished first-order table
 * of BOTH, each thread's position and RNG state and the settings; training
 * pauses its threads to write one on train.h's clock and on stop.
 * Resuming (o->resume) needs the same graph (a CRC of its arcs
 * and weights) and settings (a mismatch is EMB_EINVAL naming it; a damaged
 * file, caught by the CRCs of io.h's framing, EMB_EFORMAT); with one thread a resumed run gives the same
 * bytes as an uninterrupted one. A different thread count splits the
 * remaining samples afresh. */
#ifndef EMB_LINE_H
#define EMB_LINE_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/graph.h"
#include "emb/table.h"
#include "emb/train.h"
#include "emb/vec.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_line_order { EMB_LINE_FIRST = 1, EMB_LINE_SECOND = 2, EMB_LINE_BOTH = 3 };

struct emb_line_params {
    enum emb_line_order order; /* SECOND */
    int32_t dim;               /* 128 (for BOTH: dim/2 each, dim must be even) */
    int32_t negative;          /* 5 */
    int64_t n_samples;         /* arcs drawn in all; 0 = 100 per arc (at least 10^6) */
    float rho;                 /* 0.025: starting learning rate */
    enum emb_simd simd;        /* AUTO */
};

struct emb_line_params emb_line_default_params(void);
int emb_line_params_check(const struct emb_line_params *p, struct emb_err *err);

/* Train on g under o (train.h: threads or pool, seed, progress in
 * "samples" with phase "order 1" / "order 2" for BOTH, stop,
 * checkpoints, resume) and return the node vectors in *out (n_nodes rows,
 * p->dim columns; caller frees with emb_table_free). Errors: bad params, a
 * graph without arcs, EMB_EINTR when stopped, EMB_ENUMERIC if training
 * diverged. */
int emb_line_train(const struct emb_graph *g, const struct emb_line_params *p, const struct emb_train_opts *o,
                   struct emb_table **out, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
