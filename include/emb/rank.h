/* rank.h -- ranking candidates by score, with known answers filtered out,
 * and the metrics of the ranks: MR, MRR, Hits@k, Recall@k, NDCG@k.
 *
 * One module for every "score all candidates, where does the answer land"
 * protocol: knowledge-graph link prediction (filtered ranking), link
 * prediction on graphs, recommendation and cross-modal retrieval.
 *
 * Ranks are 1-based; higher scores rank first; ties share the mean of the
 * ranks they span (a target tied with 3 others right after 2 better
 * candidates gets rank 3 + 1.5 = 4.5), so a constant scorer gets the
 * expected rank of a random order and can never look good. A NaN target
 * score ranks last among the candidates left; NaN candidates never rank
 * above anything.
 *
 *     double r = emb_rank_filtered(scores, n, answer, known, n_known);
 *     struct emb_rank_acc a;
 *     emb_rank_acc_init(&a);
 *     emb_rank_acc_add(&a, r);
 *     struct emb_rank_metrics m = emb_rank_metrics(&a);    // m.mrr, m.hits[2] (Hits@10)
 *
 * For queries with several relevant candidates (a user's held-out items),
 * emb_rank_list ranks each of them against the candidates that are not
 * excluded (items already seen), without filtering the other relevant ones,
 * and emb_rank_acc_add_list turns those ranks into Recall@k and NDCG@k. */
#ifndef EMB_RANK_H
#define EMB_RANK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The k of Hits@k, Recall@k and NDCG@k, in this order in the arrays below. */
#define EMB_RANK_N_K 3
extern const int emb_rank_ks[EMB_RANK_N_K]; /* 1, 3, 10 */

/* Rank of scores[target] among scores[0..n), leaving out the candidates
 * listed in filtered[0..n_filtered) other than the target itself (ids out
 * of range are ignored; duplicates must not occur). */
double emb_rank_filtered(const float *scores, int64_t n, int64_t target, const int32_t *filtered,
                         int64_t n_filtered);

/* Ranks of targets[0..n_targets) among scores[0..n) with the excluded
 * candidates removed (a target that is also excluded is still ranked);
 * other targets are not removed. ranks receives n_targets values. */
void emb_rank_list(const float *scores, int64_t n, const int32_t *targets, int64_t n_targets, const int32_t *exclude,
                   int64_t n_exclude, double *ranks);

/* Running sums, added in the caller's order (so results do not depend on
 * threads when the caller adds in a fixed order). */
struct emb_rank_acc {
    int64_t n;              /* ranks added (emb_rank_acc_add) */
    double sum_rank, sum_rr;
    int64_t hits[EMB_RANK_N_K];
    int64_t n_lists;        /* queries added with emb_rank_acc_add_list */
    double sum_recall[EMB_RANK_N_K], sum_ndcg[EMB_RANK_N_K];
};

struct emb_rank_metrics {
    int64_t n, n_lists;
    double mr, mrr;
    double hits[EMB_RANK_N_K];            /* fraction of ranks <= k */
    double recall[EMB_RANK_N_K];          /* mean over lists of |relevant in top k| / |relevant| */
    double ndcg[EMB_RANK_N_K];            /* mean over lists, binary relevance */
};

void emb_rank_acc_init(struct emb_rank_acc *a);
/* One rank (MR, MRR, Hits@k). */
void emb_rank_acc_add(struct emb_rank_acc *a, double rank);
/* One query's relevant items' ranks (Recall@k, NDCG@k); n = 0 is ignored.
 * A tied rank r counts as inside the top k when r <= k. */
void emb_rank_acc_add_list(struct emb_rank_acc *a, const double *ranks, int64_t n);
/* Add b into a. */
void emb_rank_acc_merge(struct emb_rank_acc *a, const struct emb_rank_acc *b);
struct emb_rank_metrics emb_rank_metrics(const struct emb_rank_acc *a);

#ifdef __cplusplus
}
#endif
#endif
