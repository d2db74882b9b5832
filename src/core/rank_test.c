/* rank_test.c -- the ranking module against hand-computed ranks and
 * metrics, and against a brute-force pairwise count on random scores with
 * many ties. */
#include <math.h>
#include <string.h>

#include "emb/rank.h"
#include "emb/rng.h"
#include "test.h"

static int test_filtered_ties(void) {
    const float s[6] = {0.5f, 0.9f, 0.5f, 0.1f, 0.5f, 0.7f};
    /* 2 better (0.9, 0.7), tied with 2 others: 3 + (1 + 2) / 2 ... = 4 */
    CHECK(emb_rank_filtered(s, 6, 0, NULL, 0) == 4.0);
    const int32_t f1[2] = {1, 2}; /* drop one better and one tie */
    CHECK(emb_rank_filtered(s, 6, 0, f1, 2) == 2.5);
    const int32_t f2[3] = {0, 99, -1}; /* the target itself and out-of-range ids are ignored */
    CHECK(emb_rank_filtered(s, 6, 0, f2, 3) == 4.0);
    CHECK(emb_rank_filtered(s, 6, 3, NULL, 0) == 6.0);
    CHECK(emb_rank_filtered(s, 6, 1, NULL, 0) == 1.0);
    const float c[4] = {1, 1, 1, 1}; /* a constant scorer gets the mean rank */
    CHECK(emb_rank_filtered(c, 4, 2, NULL, 0) == 2.5);
    const float nan[3] = {NAN, 0.2f, 0.1f};
    CHECK(emb_rank_filtered(nan, 3, 0, NULL, 0) == 3.0);
    const float withnan[3] = {0.2f, NAN, 0.1f}; /* NaN candidates never rank above */
    CHECK(emb_rank_filtered(withnan, 3, 0, NULL, 0) == 1.0);
    return 0;
}

/* Brute force: 1 + #better + (#tied - 1) / 2 over the unfiltered. */
static int test_random_against_pairs(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 99, 0);
    float s[200];
    int32_t filt[40];
    for (int trial = 0; trial < 200; trial++) {
        for (int i = 0; i < 200; i++) s[i] = (float)emb_rng_below(&r, 20); /* many ties */
        int nf = (int)emb_rng_below(&r, 40);
        for (int j = 0; j < nf; j++) filt[j] = (int32_t)emb_rng_below(&r, 200);
        /* distinct filter ids */
        int m = 0;
        for (int j = 0; j < nf; j++) {
            int dup = 0;
            for (int k = 0; k < m; k++) dup |= filt[k] == filt[j];
            if (!dup) filt[m++] = filt[j];
        }
        int target = (int)emb_rng_below(&r, 200);
        int better = 0, tied = 0;
        for (int i = 0; i < 200; i++) {
            int gone = 0;
            for (int k = 0; k < m; k++) gone |= filt[k] == i && i != target;
            if (gone) continue;
            better += s[i] > s[target];
            tied += s[i] == s[target];
        }
        CHECK(emb_rank_filtered(s, 200, target, filt, m) == 1.0 + better + 0.5 * (tied - 1));
        double rl;
        emb_rank_list(s, 200, (int32_t[]){target}, 1, filt, m, &rl);
        CHECK(rl == 1.0 + better + 0.5 * (tied - 1));
    }
    return 0;
}

static int test_list_and_metrics(void) {
    /* scores of 6 items; relevant: 4 and 0; seen (excluded): 1 */
    const float s[6] = {0.8f, 0.95f, 0.1f, 0.3f, 0.9f, 0.2f};
    const int32_t rel[2] = {4, 0}, seen[1] = {1};
    double ranks[2];
    emb_rank_list(s, 6, rel, 2, seen, 1, ranks);
    CHECK(ranks[0] == 1.0 && ranks[1] == 2.0); /* the other relevant item is not filtered */
    struct emb_rank_acc a;
    emb_rank_acc_init(&a);
    emb_rank_acc_add_list(&a, ranks, 2);
    const double r2[3] = {2, 5, 30}; /* a second user: 3 relevant items */
    emb_rank_acc_add_list(&a, r2, 3);
    struct emb_rank_metrics m = emb_rank_metrics(&a);
    CHECK(m.n_lists == 2);
    /* Recall@1: (1/2 + 0/3) / 2; @3: (2/2 + 1/3) / 2; @10: (1 + 2/3) / 2 */
    CHECK_NEAR(m.recall[0], 0.25, 1e-12);
    CHECK_NEAR(m.recall[1], (1 + 1.0 / 3) / 2, 1e-12);
    CHECK_NEAR(m.recall[2], (1 + 2.0 / 3) / 2, 1e-12);
    /* NDCG@3: user 1 perfect (1); user 2: (1/log2 3) / (1 + 1/log2 3 + 1/2) */
    double u2 = (1 / log2(3.0)) / (1 + 1 / log2(3.0) + 0.5);
    CHECK_NEAR(m.ndcg[1], (1 + u2) / 2, 1e-12);
    /* NDCG@1: user 1: 1; user 2: 0 */
    CHECK_NEAR(m.ndcg[0], 0.5, 1e-12);

    struct emb_rank_acc b, c;
    emb_rank_acc_init(&b);
    emb_rank_acc_init(&c);
    const double rr[5] = {1, 2.5, 4, 11, 3};
    for (int i = 0; i < 3; i++) emb_rank_acc_add(&b, rr[i]);
    for (int i = 3; i < 5; i++) emb_rank_acc_add(&c, rr[i]);
    emb_rank_acc_merge(&b, &c);
    struct emb_rank_metrics q = emb_rank_metrics(&b);
    CHECK(q.n == 5);
    CHECK_NEAR(q.mr, (1 + 2.5 + 4 + 11 + 3) / 5.0, 1e-12);
    CHECK_NEAR(q.mrr, (1 + 1 / 2.5 + 0.25 + 1 / 11.0 + 1 / 3.0) / 5, 1e-12);
    CHECK_NEAR(q.hits[0], 0.2, 1e-12);
    CHECK_NEAR(q.hits[1], 0.6, 1e-12); /* 1, 2.5, 3 */
    CHECK_NEAR(q.hits[2], 0.8, 1e-12);
    CHECK(emb_rank_ks[0] == 1 && emb_rank_ks[1] == 3 && emb_rank_ks[2] == 10);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_filtered_ties);
    RUN(test_random_against_pairs);
    RUN(test_list_and_metrics);
    return failed != 0;
}
