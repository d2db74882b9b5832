/* rank.c -- filtered ranking and rank metrics (rank.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/rank.h"

const int emb_rank_ks[EMB_RANK_N_K] = {1, 3, 10};

double emb_rank_filtered(const float *scores, int64_t n, int64_t target, const int32_t *filtered,
                         int64_t n_filtered) {
    float st = scores[target];
    if (st != st) { /* NaN answer: the worst rank among the remaining candidates */
        int64_t left = n;
        for (int64_t j = 0; j < n_filtered; j++)
            if (filtered[j] != target && filtered[j] >= 0 && filtered[j] < n) left--;
        return (double)left;
    }
    int64_t gt = 0, eq = 0;
    for (int64_t i = 0; i < n; i++) {
        gt += scores[i] > st;
        eq += scores[i] == st;
    }
    for (int64_t j = 0; j < n_filtered; j++) {
        int64_t id = filtered[j];
        if (id == target || id < 0 || id >= n) continue;
        if (scores[id] > st) gt--;
        else if (scores[id] == st) eq--;
    }
    return 1.0 + (double)gt + 0.5 * (double)(eq - 1);
}

/* Each target is ranked as emb_rank_filtered ranks one answer, with the
 * excluded candidates as the filter (the other targets stay in). */
void emb_rank_list(const float *scores, int64_t n, const int32_t *targets, int64_t n_targets, const int32_t *exclude,
                   int64_t n_exclude, double *ranks) {
    for (int64_t t = 0; t < n_targets; t++) ranks[t] = emb_rank_filtered(scores, n, targets[t], exclude, n_exclude);
}

void emb_rank_acc_init(struct emb_rank_acc *a) { memset(a, 0, sizeof *a); }

void emb_rank_acc_add(struct emb_rank_acc *a, double rank) {
    a->n++;
    a->sum_rank += rank;
    a->sum_rr += 1.0 / rank;
    for (int k = 0; k < EMB_RANK_N_K; k++) a->hits[k] += rank <= (double)emb_rank_ks[k];
}

void emb_rank_acc_add_list(struct emb_rank_acc *a, const double *ranks, int64_t n) {
    if (n <= 0) return;
    a->n_lists++;
    for (int k = 0; k < EMB_RANK_N_K; k++) {
        double K = emb_rank_ks[k], dcg = 0, idcg = 0;
        int64_t in = 0;
        for (int64_t i = 0; i < n; i++)
            if (ranks[i] <= K) {
                in++;
                dcg += 1.0 / log2(ranks[i] + 1.0);
            }
        for (int64_t i = 0; i < n && i < (int64_t)K; i++) idcg += 1.0 / log2((double)i + 2.0);
        a->sum_recall[k] += (double)in / (double)n;
        a->sum_ndcg[k] += dcg / idcg;
    }
}

void emb_rank_acc_merge(struct emb_rank_acc *a, const struct emb_rank_acc *b) {
    a->n += b->n;
    a->sum_rank += b->sum_rank;
    a->sum_rr += b->sum_rr;
    a->n_lists += b->n_lists;
    for (int k = 0; k < EMB_RANK_N_K; k++) {
        a->hits[k] += b->hits[k];
        a->sum_recall[k] += b->sum_recall[k];
        a->sum_ndcg[k] += b->sum_ndcg[k];
    }
}

struct emb_rank_metrics emb_rank_metrics(const struct emb_rank_acc *a) {
    struct emb_rank_metrics m;
    memset(&m, 0, sizeof m);
    m.n = a->n;
    m.n_lists = a->n_lists;
    if (a->n > 0) {
        double n = (double)a->n;
        m.mr = a->sum_rank / n;
        m.mrr = a->sum_rr / n;
        for (int k = 0; k < EMB_RANK_N_K; k++) m.hits[k] = (double)a->hits[k] / n;
    }
    if (a->n_lists > 0)
        for (int k = 0; k < EMB_RANK_N_K; k++) {
            m.recall[k] = a->sum_recall[k] / (double)a->n_lists;
            m.ndcg[k] = a->sum_ndcg[k] / (double)a->n_lists;
        }
    return m;
}
