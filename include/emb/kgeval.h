/* kgeval.h -- evaluating and using knowledge-graph embeddings: filtered
 * link-prediction ranking (MR, MRR, Hits@k), Countries AUC-PR, top-k
 * answers to (h, r, ?) and (?, r, t).
 *
 *     struct emb_kgeval_params p = emb_kgeval_default_params();
 *     p.split = EMB_KGEVAL_TEST; p.n_threads = 2;
 *     struct emb_kgeval_result res;
 *     if (emb_kgeval_run(model, kg, &p, &res, &err) == EMB_OK)
 *         printf("MRR %.3f  Hits@10 %.3f\n", res.both.mrr, res.both.hits10);
 *     emb_kgeval_result_free(&res);
 *
 * Protocol (Bordes et al. 2013, "filtered"): for every triple (h, r, t) of
 * the split, score all entities as tails of (h, r, ?) and, separately, as
 * heads of (?, r, t). The rank of the true answer counts the candidates
 * that score higher, after removing every other candidate that forms a
 * known triple in train, valid or test (the true answer itself is never
 * removed). Ties count half (the mean of the best and worst rank):
 *     rank = 1 + #{higher} + #{equal, other than the answer} / 2
 * MR is the mean rank, MRR the mean of 1/rank, Hits@k the fraction with
 * rank <= k; "both" averages over the 2n (triple, direction) pairs. Triples
 * with an entity that never occurs in train are kept (as in LibKGE) unless
 * drop_unseen is set. A candidate whose score is NaN never ranks above the
 * answer; an answer whose score is NaN gets the worst rank.
 *
 * DESIGN: test triples are grouped into queries (the same (h, r) or
 * (r, t) appears many times in a test set; FB15k-237's 2 x 20,466 pairs
 * are 22,850 distinct queries). Each query becomes one vector q (h + r for
 * TransE, h o r for DistMult/ComplEx/RotatE, and the mirrored form for
 * heads) and the scores of all entities for a block of queries are one
 * blocked "matrix product" with SIMD kernels (AVX-512 or AVX2, chosen at
 * run time, with a scalar reference): dot products (DistMult, ComplEx),
 * L1/L2 distances (TransE) or sums of complex moduli (RotatE).
 * The filter index holds, for every (h, r), the sorted true tails and for
 * every (r, t) the sorted true heads (CSR over sorted keys). Ranks are
 * kept per pair and summed in a fixed order at the end, so the result
 * does not depend on the thread count. The generic scorer
 * (emb_kge_score_tails/heads one query at a time) is kept as a reference
 * and for checking the batched kernels.
 *
 * Models and datasets are matched by name: every entity and relation of
 * the dataset must exist in the model (EMB_ENOTFOUND otherwise, naming the
 * first missing one), ids are mapped through the names, and every model
 * entity is a candidate. */
#ifndef EMB_KGEVAL_H
#define EMB_KGEVAL_H

#include <signal.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/kge.h"
#include "emb/vec.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_kgeval_split { EMB_KGEVAL_TEST = 0, EMB_KGEVAL_VALID = 1 };

/* How candidate scores are computed. */
enum emb_kgeval_scorer {
    EMB_KGEVAL_BATCHED = 0, /* blocked SIMD kernels over query blocks (fast) */
    EMB_KGEVAL_GENERIC = 1, /* emb_kge_score_tails/heads per query (reference) */
};

/* Progress: fraction of the queries done. */
typedef void (*emb_kgeval_progress_fn)(void *ctx, double fraction);

struct emb_kgeval_params {
    enum emb_kgeval_split split;     /* TEST */
    int32_t n_threads;               /* 1 */
    int per_relation;                /* 0; 1 fills result.per_rel */
    int drop_unseen;                 /* 0; 1 skips triples with an entity not in train */
    int keep_ranks;                  /* 0; 1 fills result.rank_tail/rank_head */
    enum emb_kgeval_scorer scorer;   /* BATCHED */
    enum emb_simd simd;              /* AUTO */
    emb_kgeval_progress_fn progress; /* NULL; called from the calling thread */
    void *progress_ctx;
    volatile sig_atomic_t *stop;     /* non-zero: stop early, return EMB_EINTR */
};

struct emb_kgeval_params emb_kgeval_default_params(void);

/* Metrics over n ranks. */
struct emb_kgeval_metrics {
    int64_t n;
    double mr, mrr, hits1, hits3, hits10;
};

/* Both directions, head prediction (?, r, t), tail prediction (h, r, ?). */
struct emb_kgeval_triple_metrics {
    struct emb_kgeval_metrics both, head, tail;
};

struct emb_kgeval_result {
    struct emb_kgeval_metrics both, head, tail;
    int64_t n_triples;       /* triples of the split evaluated */
    int64_t n_unseen;        /* of those, with an entity not in train */
    int64_t n_dropped;       /* skipped by drop_unseen */
    int64_t n_candidates;    /* entities ranked per query (model entities) */
    int64_t n_queries;       /* distinct (h, r) plus distinct (r, t) */
    int32_t n_relations;     /* dataset relations (per_rel rows) */
    /* per_relation: (n_relations), dataset relation ids; relations without
     * evaluated triples have n == 0. NULL otherwise. */
    struct emb_kgeval_triple_metrics *per_rel;
    /* keep_ranks: (n_triples) ranks in split order (dropped triples: 0). */
    double *rank_tail, *rank_head;
};

/* Evaluate m on a split of kg. On success fills *out (release with
 * emb_kgeval_result_free). Errors: names that do not match (EMB_ENOTFOUND),
 * an empty split or one where every triple has an entity unseen in train
 * (EMB_EEMPTY), a model whose tables do not have its kind's shape
 * (EMB_EFORMAT), EMB_ENOMEM, EMB_ETHREAD, EMB_EINTR. */
int emb_kgeval_run(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_kgeval_params *p,
                   struct emb_kgeval_result *out, struct emb_err *err);
/* Release what emb_kgeval_run allocated; safe on a zeroed result. */
void emb_kgeval_result_free(struct emb_kgeval_result *r);

/* The filtered rank of candidate `target` among scores[0..n): filtered
 * (n_filtered ids, any order, may contain target, which is ignored) are
 * removed. Ties count half. */
double emb_kgeval_rank(const float *scores, int64_t n, int64_t target, const int32_t *filtered, int64_t n_filtered);

/* Metrics of n ranks (n may be 0: all zeros). */
struct emb_kgeval_metrics emb_kgeval_metrics_of(const double *ranks, int64_t n);

/* ---- filter index --------------------------------------------------- */

/* The true triples of train, valid and test of kg, in model ids. */
struct emb_kgeval_filter;

/* Build the index for model m (names matched as described above). m may
 * be NULL: dataset ids are used as they are. */
int emb_kgeval_filter_new(struct emb_kgeval_filter **out, const struct emb_kge *m, const struct emb_kg *kg,
                          struct emb_err *err);
void emb_kgeval_filter_free(struct emb_kgeval_filter *f);
/* Sorted ids of the known tails of (h, r, ?) / heads of (?, r, t);
 * *n receives the count (0 and NULL when there are none). Borrowed. */
const int32_t *emb_kgeval_filter_tails(const struct emb_kgeval_filter *f, int32_t h, int32_t r, int64_t *n);
const int32_t *emb_kgeval_filter_heads(const struct emb_kgeval_filter *f, int32_t r, int32_t t, int64_t *n);

/* ---- top-k answers --------------------------------------------------- */

enum emb_kgeval_dir { EMB_KGEVAL_TAIL = 0, EMB_KGEVAL_HEAD = 1 };

/* The k best answers of (anchor, r, ?) (dir TAIL: anchor is the head) or
 * (?, r, anchor) (HEAD), best first, in model ids. With a filter, known
 * answers are left out. ids, scores: (k). *n_out receives the count
 * (< k when fewer entities remain). Errors: ids out of range, k < 1
 * (EMB_EINVAL), EMB_ENOMEM. */
int emb_kgeval_topk(const struct emb_kge *m, const struct emb_kgeval_filter *filter, enum emb_kgeval_dir dir,
                    int32_t anchor, int32_t r, int k, int64_t *ids, float *scores, int *n_out,
                    struct emb_err *err);

/* ---- Countries AUC-PR ------------------------------------------------ */

/* Average precision (scikit-learn's average_precision_score, which the
 * RotatE code calls AUC-PR): sort by score, descending, with tied scores
 * as one threshold; AP = sum over thresholds of (R_i - R_{i-1}) P_i.
 * labels: (n) 0/1. Returns NaN when there is no positive label. */
double emb_kgeval_average_precision(const float *scores, const uint8_t *labels, int64_t n);

/* Countries protocol (Bouchard et al. 2015; ConvE and RotatE code): for
 * each triple (country, locatedin, region) of the split, score the
 * candidate regions as tails (unfiltered); AUC-PR is the average
 * precision over all (triple, region) pairs pooled. regions: n_regions
 * entity names. Errors: a region or a dataset name unknown to the model,
 * a triple whose tail is not a region (EMB_ENOTFOUND / EMB_EINVAL), an
 * empty split (EMB_EEMPTY). */
int emb_kgeval_countries(const struct emb_kge *m, const struct emb_kg *kg, enum emb_kgeval_split split,
                         const char *const *regions, int n_regions, double *auc_pr, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
