/* kgeval_test.c -- filtered ranking on a hand-made graph (expected ranks
 * worked out by hand, ties -> mean rank, filtering never removes the
 * answer), per-relation metrics, both directions, the SIMD kernels against
 * a direct scalar scorer for every model, the batched scorer against the
 * generic one (emb_kge_score_tails/heads), thread-count independence,
 * top-k answers, average precision and the Countries protocol, and bad
 * input. The datasets and models are built by hand, not loaded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/kgeval.h"
#include "emb/rng.h"
#include "kge_ref.h"
#include "test.h"

/* ---- building datasets and models by hand ------------------------------ */

static void triples_free(struct emb_triples *t) {
    emb_free(t->h);
    emb_free(t->r);
    emb_free(t->t);
}

static void kg_free(struct emb_kg *kg) {
    if (!kg) return;
    emb_vocab_free(kg->entities);
    emb_vocab_free(kg->relations);
    triples_free(&kg->train);
    triples_free(&kg->valid);
    triples_free(&kg->test);
    emb_free(kg->in_train);
    free(kg);
}

/* Add "h r t" triples (names separated by single spaces, one per string). */
static void add_triples(struct emb_kg *kg, struct emb_triples *dst, const char *const *lines, int n, int is_train) {
    dst->n = n;
    dst->h = emb_alloc((size_t)(n + 1) * sizeof(int32_t));
    dst->r = emb_alloc((size_t)(n + 1) * sizeof(int32_t));
    dst->t = emb_alloc((size_t)(n + 1) * sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        char h[64], r[64], t[64];
        if (sscanf(lines[i], "%63s %63s %63s", h, r, t) != 3) abort();
        emb_vocab_add(kg->entities, h, strlen(h), 1, &dst->h[i], NULL);
        emb_vocab_add(kg->relations, r, strlen(r), 1, &dst->r[i], NULL);
        emb_vocab_add(kg->entities, t, strlen(t), 1, &dst->t[i], NULL);
    }
    kg->n_entities = emb_vocab_size(kg->entities);
    kg->n_relations = emb_vocab_size(kg->relations);
    (void)is_train;
}

static struct emb_kg *kg_make(const char *const *train, int n_train, const char *const *valid, int n_valid,
                              const char *const *test, int n_test) {
    struct emb_kg *kg = calloc(1, sizeof *kg);
    emb_vocab_new(&kg->entities, NULL);
    emb_vocab_new(&kg->relations, NULL);
    add_triples(kg, &kg->train, train, n_train, 1);
    add_triples(kg, &kg->valid, valid, n_valid, 0);
    add_triples(kg, &kg->test, test, n_test, 0);
    kg->in_train = emb_calloc((size_t)kg->n_entities + 1, 1);
    for (int64_t i = 0; i < kg->train.n; i++) kg->in_train[kg->train.h[i]] = kg->in_train[kg->train.t[i]] = 1;
    return kg;
}

static void kge_free_test(struct emb_kge *m) {
    if (!m) return;
    emb_table_free(m->ent);
    emb_table_free(m->rel);
    emb_vocab_free(m->ent_names);
    emb_vocab_free(m->rel_names);
    free(m);
}

/* A model with the given names and zeroed (or random, seed != 0) tables. */
static struct emb_kge *kge_make(enum emb_kge_model kind, int32_t dim, const char *const *ents, int n_ent,
                                const char *const *rels, int n_rel, uint64_t seed) {
    struct emb_kge *m = calloc(1, sizeof *m);
    m->model = kind;
    m->dim = dim;
    m->p_norm = 1;
    m->gamma = 6.0f;
    int cplx = kind == EMB_KGE_COMPLEX || kind == EMB_KGE_ROTATE;
    emb_table_new(&m->ent, n_ent, cplx ? 2 * dim : dim, NULL);
    emb_table_new(&m->rel, n_rel, kind == EMB_KGE_COMPLEX ? 2 * dim : dim, NULL);
    emb_vocab_new(&m->ent_names, NULL);
    emb_vocab_new(&m->rel_names, NULL);
    for (int i = 0; i < n_ent; i++) emb_vocab_add(m->ent_names, ents[i], strlen(ents[i]), 1, NULL, NULL);
    for (int i = 0; i < n_rel; i++) emb_vocab_add(m->rel_names, rels[i], strlen(rels[i]), 1, NULL, NULL);
    if (seed) {
        emb_table_init_uniform(m->ent, 1.0f, seed);
        emb_table_init_uniform(m->rel, kind == EMB_KGE_ROTATE ? 3.14159f : 1.0f, seed + 1);
    }
    return m;
}

/* ---- the rank formula ---------------------------------------------------- */

static int test_rank(void) {
    const float s[6] = {0.5f, 0.9f, 0.5f, 0.1f, 0.9f, 0.5f};
    /* target 0 (0.5): higher 1 and 4, tied 2 and 5 -> 1 + 2 + 2/2 = 4 */
    CHECK(emb_kgeval_rank(s, 6, 0, NULL, 0) == 4.0);
    /* filter 1 (higher) and the target itself: 1 + 1 + 1 = 3 */
    const int32_t f1[2] = {1, 0};
    CHECK(emb_kgeval_rank(s, 6, 0, f1, 2) == 3.0);
    /* filter a tied one too: 1 + 1 + 1/2 */
    const int32_t f2[3] = {5, 1, 0};
    CHECK(emb_kgeval_rank(s, 6, 0, f2, 3) == 2.5);
    /* the best, untied */
    CHECK(emb_kgeval_rank(s, 6, 3, NULL, 0) == 6.0);
    const int32_t f3[2] = {1, 4};
    CHECK(emb_kgeval_rank(s, 6, 1, f3, 2) == 1.0); /* target 1 in the filter stays; 4 goes */
    /* NaN: candidates never beat; a NaN answer is last among the rest */
    const float sn[4] = {NAN, 0.2f, 0.1f, NAN};
    CHECK(emb_kgeval_rank(sn, 4, 1, NULL, 0) == 1.0);
    CHECK(emb_kgeval_rank(sn, 4, 0, NULL, 0) == 4.0);
    const int32_t f4[1] = {2};
    CHECK(emb_kgeval_rank(sn, 4, 3, f4, 1) == 3.0);
    double r[4] = {1, 2, 4, 20};
    struct emb_kgeval_metrics mt = emb_kgeval_metrics_of(r, 4);
    CHECK(mt.n == 4);
    CHECK_NEAR(mt.mr, 6.75, 1e-12);
    CHECK_NEAR(mt.mrr, (1 + 0.5 + 0.25 + 0.05) / 4, 1e-12);
    CHECK_NEAR(mt.hits1, 0.25, 1e-12);
    CHECK_NEAR(mt.hits3, 0.5, 1e-12);
    CHECK_NEAR(mt.hits10, 0.75, 1e-12);
    mt = emb_kgeval_metrics_of(r, 0);
    CHECK(mt.n == 0 && mt.mrr == 0);
    return 0;
}

/* ---- the hand-made graph ------------------------------------------------- */

/* DistMult, dim 1: score(h, r, t) = E[h] R[r] E[t] with
 *   E: a 1, b 2, c 3, d 2, e 2 (e exists only in the model)
 *   R: r0 1, r1 -1
 * train: (a r0 b) (a r0 c) (d r1 c); test: T1 = (a r0 d), T2 = (b r1 c).
 * T1 tail: scores [1 2 3 2 2] for a..e, answer d = 2; b, c are known
 *   tails of (a, r0) and go; a (1) is lower, e ties -> 1 + 0 + 1/2 = 1.5
 *   (d is itself a known tail, but the answer is never removed).
 * T1 head: (?, r0, d): [2 4 6 4 4], answer a = 2, known heads {a} -> 5.
 * T2 tail: (b, r1, ?): [-2 -4 -6 -4 -4], answer c = -6, known {c} -> 5.
 * T2 head: (?, r1, c): [-3 -6 -9 -6 -6], answer b = -6, known heads
 *   {b, d}: d goes; a is higher, e ties -> 1 + 1 + 1/2 = 2.5. */
static const char *HAND_TRAIN[] = {"a r0 b", "a r0 c", "d r1 c"};
static const char *HAND_TEST[] = {"a r0 d", "b r1 c"};
static const char *HAND_ENTS[] = {"a", "b", "c", "d", "e"};
static const char *HAND_RELS[] = {"r0", "r1"};

static struct emb_kge *hand_model(void) {
    struct emb_kge *m = kge_make(EMB_KGE_DISTMULT, 1, HAND_ENTS, 5, HAND_RELS, 2, 0);
    const float e[5] = {1, 2, 3, 2, 2}, r[2] = {1, -1};
    for (int i = 0; i < 5; i++) emb_table_row(m->ent, i)[0] = e[i];
    for (int i = 0; i < 2; i++) emb_table_row(m->rel, i)[0] = r[i];
    return m;
}

static int check_metrics(const struct emb_kgeval_metrics *m, int64_t n, double mr, double mrr, double h1, double h3,
                         double h10) {
    CHECK(m->n == n);
    CHECK_NEAR(m->mr, mr, 1e-9);
    CHECK_NEAR(m->mrr, mrr, 1e-9);
    CHECK_NEAR(m->hits1, h1, 1e-12);
    CHECK_NEAR(m->hits3, h3, 1e-12);
    CHECK_NEAR(m->hits10, h10, 1e-12);
    return 0;
}

static int test_hand_graph(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = kg_make(HAND_TRAIN, 3, NULL, 0, HAND_TEST, 2);
    struct emb_kge *m = hand_model();
    for (int scorer = 0; scorer < 2; scorer++)
        for (int simd = 0; simd < 2; simd++) {
            struct emb_kgeval_params p = emb_kgeval_default_params();
            p.per_relation = 1;
            p.keep_ranks = 1;
            p.scorer = scorer ? EMB_KGEVAL_GENERIC : EMB_KGEVAL_BATCHED;
            p.simd = simd ? EMB_SIMD_REF : EMB_SIMD_AUTO;
            struct emb_kgeval_result res;
            CHECK_OK(emb_kgeval_run(m, kg, &p, &res, &err));
            CHECK(res.n_triples == 2 && res.n_candidates == 5 && res.n_queries == 4 && res.n_unseen == 0);
            CHECK(res.rank_tail[0] == 1.5 && res.rank_tail[1] == 5.0);
            CHECK(res.rank_head[0] == 5.0 && res.rank_head[1] == 2.5);
            CHECK(check_metrics(&res.tail, 2, 3.25, (1 / 1.5 + 0.2) / 2, 0, 0.5, 1) == 0);
            CHECK(check_metrics(&res.head, 2, 3.75, (0.2 + 0.4) / 2, 0, 0.5, 1) == 0);
            CHECK(check_metrics(&res.both, 4, 3.5, (1 / 1.5 + 0.2 + 0.2 + 0.4) / 4, 0, 0.5, 1) == 0);
            /* per relation: dataset relation ids (r0 = 0, r1 = 1) */
            CHECK(res.n_relations == 2 && res.per_rel);
            CHECK(check_metrics(&res.per_rel[0].tail, 1, 1.5, 1 / 1.5, 0, 1, 1) == 0);
            CHECK(check_metrics(&res.per_rel[0].head, 1, 5, 0.2, 0, 0, 1) == 0);
            CHECK(check_metrics(&res.per_rel[0].both, 2, 3.25, (1 / 1.5 + 0.2) / 2, 0, 0.5, 1) == 0);
            CHECK(check_metrics(&res.per_rel[1].tail, 1, 5, 0.2, 0, 0, 1) == 0);
            CHECK(check_metrics(&res.per_rel[1].head, 1, 2.5, 0.4, 0, 1, 1) == 0);
            emb_kgeval_result_free(&res);
        }
    /* Without keep_ranks / per_relation nothing extra is returned. */
    struct emb_kgeval_params p = emb_kgeval_default_params();
    struct emb_kgeval_result res;
    CHECK_OK(emb_kgeval_run(m, kg, &p, &res, &err));
    CHECK(!res.rank_tail && !res.rank_head && !res.per_rel && res.both.n == 4);
    emb_kgeval_result_free(&res);
    emb_kgeval_result_free(&res); /* twice is harmless */

    /* The filter index: sorted known answers in model ids. */
    struct emb_kgeval_filter *f = NULL;
    CHECK_OK(emb_kgeval_filter_new(&f, m, kg, &err));
    int64_t n = 0;
    const int32_t *v = emb_kgeval_filter_tails(f, 0, 0, &n); /* (a, r0, ?) */
    CHECK(n == 3 && v[0] == 1 && v[1] == 2 && v[2] == 3);
    v = emb_kgeval_filter_heads(f, 1, 2, &n); /* (?, r1, c) */
    CHECK(n == 2 && v[0] == 1 && v[1] == 3);
    CHECK(emb_kgeval_filter_tails(f, 4, 0, &n) == NULL && n == 0);
    CHECK(emb_kgeval_filter_tails(f, 99, 0, &n) == NULL && n == 0);
    emb_kgeval_filter_free(f);
    emb_kgeval_filter_free(NULL);

    /* Top-k of (a, r0, ?): c 3, then b/d/e tied at 2 (lower id first), a 1. */
    int64_t ids[5];
    float sc[5];
    int got = 0;
    CHECK_OK(emb_kgeval_topk(m, NULL, EMB_KGEVAL_TAIL, 0, 0, 5, ids, sc, &got, &err));
    CHECK(got == 5 && ids[0] == 2 && ids[1] == 1 && ids[2] == 3 && ids[3] == 4 && ids[4] == 0);
    CHECK(sc[0] == 3.0f && sc[4] == 1.0f);
    CHECK_OK(emb_kgeval_filter_new(&f, m, kg, &err));
    CHECK_OK(emb_kgeval_topk(m, f, EMB_KGEVAL_TAIL, 0, 0, 5, ids, sc, &got, &err));
    CHECK(got == 2 && ids[0] == 4 && ids[1] == 0); /* b, c, d known */
    CHECK_OK(emb_kgeval_topk(m, f, EMB_KGEVAL_HEAD, 2, 1, 1, ids, sc, &got, &err)); /* (?, r1, c) */
    CHECK(got == 1 && ids[0] == 0 && sc[0] == -3.0f);
    CHECK(emb_kgeval_topk(m, f, EMB_KGEVAL_HEAD, 5, 1, 1, ids, sc, &got, &err) == EMB_EINVAL);
    CHECK(emb_kgeval_topk(m, f, EMB_KGEVAL_HEAD, 0, 2, 1, ids, sc, &got, &err) == EMB_EINVAL);
    CHECK(emb_kgeval_topk(m, f, EMB_KGEVAL_HEAD, 0, 0, 0, ids, sc, &got, &err) == EMB_EINVAL);
    emb_kgeval_filter_free(f);
    kge_free_test(m);
    kg_free(kg);
    return 0;
}

/* ---- kernels against the direct scorer, batched against generic -------- */

#define RN_ENT 37
#define RN_REL 5

static struct emb_kg *random_kg(uint64_t seed, int n_train, int n_test, const char **names, char (*buf)[16]) {
    for (int i = 0; i < RN_ENT; i++) {
        snprintf(buf[i], 16, "e%d", i);
        names[i] = buf[i];
    }
    char(*lines)[48] = calloc((size_t)(n_train + n_test), sizeof *lines);
    const char **ptr = calloc((size_t)(n_train + n_test), sizeof *ptr);
    struct emb_rng s;
    emb_rng_seed(&s, seed, 0);
    for (int i = 0; i < n_train + n_test; i++) {
        int h = (int)emb_rng_below(&s, RN_ENT), r = (int)emb_rng_below(&s, RN_REL);
        int t = (int)emb_rng_below(&s, RN_ENT);
        if (i < RN_ENT) h = i; /* every entity in train */
        snprintf(lines[i], 48, "e%d r%d e%d", h, r, t);
        ptr[i] = lines[i];
    }
    struct emb_kg *kg = kg_make(ptr, n_train, ptr + n_train, n_test / 2, ptr + n_train, n_test);
    free(lines);
    free(ptr);
    return kg;
}

static int test_kernels(void) {
    struct emb_err err = {0};
    const char *names[RN_ENT];
    char buf[RN_ENT][16];
    const char *rels[RN_REL] = {"r0", "r1", "r2", "r3", "r4"};
    struct emb_kg *kg = random_kg(7, 200, 60, names, buf);
    const int dims[3] = {19, 32, 5};
    for (int kind = 0; kind < 5; kind++)
        for (int di = 0; di < 3; di++) {
            enum emb_kge_model mk = kind == 4 ? EMB_KGE_TRANSE : (enum emb_kge_model)kind;
            struct emb_kge *m = kge_make(mk, dims[di], names, RN_ENT, rels, RN_REL, 11 + (uint64_t)kind);
            m->p_norm = kind == 4 ? 2 : 1;
            /* top-k scores of every query equal the direct score */
            for (int dir = 0; dir < 2; dir++)
                for (int32_t a = 0; a < RN_ENT; a += 5)
                    for (int32_t r = 0; r < RN_REL; r++) {
                        int64_t ids[RN_ENT];
                        float sc[RN_ENT];
                        int got = 0;
                        CHECK_OK(emb_kgeval_topk(m, NULL, (enum emb_kgeval_dir)dir, a, r, RN_ENT, ids, sc, &got, &err));
                        CHECK(got == RN_ENT);
                        for (int i = 0; i < got; i++) {
                            int32_t e = (int32_t)ids[i];
                            double want = dir == 0 ? score_direct(m, a, r, e) : score_direct(m, e, r, a);
                            CHECK_NEAR(sc[i], want, 2e-4 * (1 + fabs(want)));
                            if (i) CHECK(sc[i] <= sc[i - 1]);
                        }
                    }
            /* batched (AVX-512, AVX2, reference) and generic agree on every rank */
            struct emb_kgeval_result res[4];
            for (int v = 0; v < 4; v++) {
                struct emb_kgeval_params p = emb_kgeval_default_params();
                p.keep_ranks = 1;
                p.n_threads = 2;
                p.scorer = v == 2 ? EMB_KGEVAL_GENERIC : EMB_KGEVAL_BATCHED;
                p.simd = v == 1 ? EMB_SIMD_REF : v == 3 ? EMB_SIMD_AVX2 : EMB_SIMD_AVX512;
                CHECK_OK(emb_kgeval_run(m, kg, &p, &res[v], &err));
            }
            for (int v = 1; v < 4; v++) {
                int64_t differ = 0;
                for (int64_t i = 0; i < kg->test.n; i++)
                    differ += res[v].rank_tail[i] != res[0].rank_tail[i] || res[v].rank_head[i] != res[0].rank_head[i];
                if (differ) fprintf(stderr, "model %d dim %d variant %d: %lld ranks differ\n", kind, dims[di], v, (long long)differ);
                CHECK(differ == 0);
            }
            for (int v = 0; v < 4; v++) emb_kgeval_result_free(&res[v]);
            kge_free_test(m);
        }
    kg_free(kg);
    return 0;
}

/* Reciprocal models: a head query (?, r, t) scores as the tail query
 * (t, r^-1, ?) with row n_relations + r, in top-k and in every evaluator
 * (batched kernels, generic, and the trainer's quick one), and ranks, MRR
 * and the per-relation table stay indexed by the dataset's relations. */
static int test_reciprocal(void) {
    struct emb_err err = {0};
    const char *names[RN_ENT];
    char buf[RN_ENT][16];
    struct emb_kg *kg = random_kg(9, 200, 60, names, buf);
    /* names in the dataset's id order, so the trainer's quick evaluator
     * (which takes model ids for dataset ids) can be compared */
    const char *kg_ents[RN_ENT], *kg_rels[RN_REL];
    CHECK(kg->n_entities == RN_ENT && kg->n_relations == RN_REL);
    for (int i = 0; i < RN_ENT; i++) kg_ents[i] = emb_vocab_word(kg->entities, i);
    for (int i = 0; i < RN_REL; i++) kg_rels[i] = emb_vocab_word(kg->relations, i);
    for (int kind = 0; kind <= EMB_KGE_ROTATE; kind++) {
        struct emb_kge *m = kge_make((enum emb_kge_model)kind, 19, kg_ents, RN_ENT, kg_rels, RN_REL, 0);
        int32_t w = m->rel->dim;
        emb_table_free(m->rel);
        CHECK_OK(emb_table_new(&m->rel, 2 * RN_REL, w, &err));
        emb_table_init_uniform(m->ent, 1.0f, 21 + (uint64_t)kind);
        emb_table_init_uniform(m->rel, kind == EMB_KGE_ROTATE ? 3.14159f : 1.0f, 22 + (uint64_t)kind);
        m->reciprocal = 1;
        CHECK(emb_kge_n_relations(m) == RN_REL && emb_kge_head_rel(m, 2) == RN_REL + 2);
        int differs = 0;
        for (int32_t a = 0; a < RN_ENT; a += 7)
            for (int32_t r = 0; r < RN_REL; r++) {
                int64_t ids[RN_ENT];
                float sc[RN_ENT], heads[RN_ENT];
                int got = 0;
                CHECK_OK(emb_kgeval_topk(m, NULL, EMB_KGEVAL_HEAD, a, r, RN_ENT, ids, sc, &got, &err));
                CHECK(got == RN_ENT);
                emb_kge_score_heads(m, r, a, heads);
                for (int i = 0; i < got; i++) {
                    int32_t e = (int32_t)ids[i];
                    double want = score_direct(m, a, RN_REL + r, e);
                    CHECK_NEAR(sc[i], want, 2e-4 * (1 + fabs(want)));
                    CHECK_NEAR(heads[e], want, 2e-4 * (1 + fabs(want)));
                    differs += fabs(want - score_direct(m, e, r, a)) > 1e-3;
                }
            }
        CHECK(differs > 0); /* the inverse rows are really the ones used */
        struct emb_kgeval_result res[3];
        for (int v = 0; v < 3; v++) {
            struct emb_kgeval_params p = emb_kgeval_default_params();
            p.keep_ranks = p.per_relation = 1;
            p.scorer = v == 1 ? EMB_KGEVAL_GENERIC : EMB_KGEVAL_BATCHED;
            p.simd = v == 2 ? EMB_SIMD_REF : EMB_SIMD_AUTO;
            CHECK_OK(emb_kgeval_run(m, kg, &p, &res[v], &err));
            CHECK(res[v].n_relations == RN_REL);
        }
        for (int v = 1; v < 3; v++)
            for (int64_t i = 0; i < kg->test.n; i++)
                CHECK(res[v].rank_tail[i] == res[0].rank_tail[i] && res[v].rank_head[i] == res[0].rank_head[i]);
        struct emb_kge_rank_stats st;
        CHECK_OK(emb_kge_quick_eval(m, kg, &kg->test, 0, 2, &st, &err));

        CHECK_NEAR(st.mrr, res[0].both.mrr, 1e-6);
        for (int v = 0; v < 3; v++) emb_kgeval_result_free(&res[v]);
        kge_free_test(m);
    }
    kg_free(kg);
    return 0;
}

/* Ranks and metrics are identical for 1, 2 and 3 threads, and on valid. */
static int test_threads(void) {
    struct emb_err err = {0};
    const char *names[RN_ENT];
    char buf[RN_ENT][16];
    const char *rels[RN_REL] = {"r0", "r1", "r2", "r3", "r4"};
    struct emb_kg *kg = random_kg(3, 150, 120, names, buf);
    struct emb_kge *m = kge_make(EMB_KGE_ROTATE, 24, names, RN_ENT, rels, RN_REL, 5);
    struct emb_kgeval_result res[3];
    for (int v = 0; v < 3; v++) {
        struct emb_kgeval_params p = emb_kgeval_default_params();
        p.keep_ranks = p.per_relation = 1;
        p.n_threads = v + 1;
        CHECK_OK(emb_kgeval_run(m, kg, &p, &res[v], &err));
    }
    for (int v = 1; v < 3; v++) {
        CHECK(memcmp(&res[v].both, &res[0].both, sizeof res[0].both) == 0);
        CHECK(memcmp(&res[v].head, &res[0].head, sizeof res[0].head) == 0);
        CHECK(memcmp(res[v].per_rel, res[0].per_rel, (size_t)kg->n_relations * sizeof *res[0].per_rel) == 0);
        CHECK(memcmp(res[v].rank_tail, res[0].rank_tail, (size_t)kg->test.n * sizeof(double)) == 0);
    }
    CHECK(res[0].both.n == 2 * kg->test.n);
    /* the per-relation counts add up */
    int64_t sum = 0;
    for (int32_t r = 0; r < kg->n_relations; r++) sum += res[0].per_rel[r].both.n;
    CHECK(sum == res[0].both.n);
    for (int v = 0; v < 3; v++) emb_kgeval_result_free(&res[v]);
    struct emb_kgeval_params p = emb_kgeval_default_params();
    p.split = EMB_KGEVAL_VALID;
    CHECK_OK(emb_kgeval_run(m, kg, &p, &res[0], &err));
    CHECK(res[0].n_triples == kg->valid.n);
    emb_kgeval_result_free(&res[0]);
    kge_free_test(m);
    kg_free(kg);
    return 0;
}

/* ---- average precision and Countries ------------------------------------- */

static int test_average_precision(void) {
    /* values from sklearn.metrics.average_precision_score */
    const float s1[4] = {0.9f, 0.8f, 0.7f, 0.1f};
    const uint8_t y1[4] = {1, 0, 1, 0};
    CHECK_NEAR(emb_kgeval_average_precision(s1, y1, 4), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
    const float s2[3] = {0.5f, 0.5f, 0.2f};
    const uint8_t y2[3] = {1, 0, 1};
    CHECK_NEAR(emb_kgeval_average_precision(s2, y2, 3), 0.5 * 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
    const uint8_t y3[3] = {0, 0, 0};
    CHECK(isnan(emb_kgeval_average_precision(s2, y3, 3)));
    const uint8_t y4[4] = {1, 1, 0, 0};
    CHECK_NEAR(emb_kgeval_average_precision(s1, y4, 4), 1.0, 1e-12);
    return 0;
}

static int test_countries(void) {
    struct emb_err err = {0};
    /* DistMult dim 1 again: regions x (1) and y (-1); countries p (2), q (-3). */
    const char *train[] = {"p near q", "x near y"};
    const char *test[] = {"p in x", "q in x"};
    struct emb_kg *kg = kg_make(train, 2, NULL, 0, test, 2);
    const char *names[] = {"p", "q", "x", "y"}, *rels[] = {"near", "in"};
    struct emb_kge *m = kge_make(EMB_KGE_DISTMULT, 1, names, 4, rels, 2, 0);
    const float e[4] = {2, -3, 1, -1};
    for (int i = 0; i < 4; i++) emb_table_row(m->ent, i)[0] = e[i];
    emb_table_row(m->rel, 0)[0] = 1;
    emb_table_row(m->rel, 1)[0] = 1;
    /* pairs: (p,x)=2 label 1, (p,y)=-2 0, (q,x)=-3 1, (q,y)=3 0
     * sorted: 3(0) 2(1) -2(0) -3(1): AP = .5 * 1/2 + .5 * 2/4 = 0.5 */
    const char *regions[] = {"x", "y"};
    double auc = 0;
    CHECK_OK(emb_kgeval_countries(m, kg, EMB_KGEVAL_TEST, regions, 2, &auc, &err));
    CHECK_NEAR(auc, 0.5, 1e-12);
    const char *bad_regions[] = {"x", "nowhere"};
    CHECK(emb_kgeval_countries(m, kg, EMB_KGEVAL_TEST, bad_regions, 2, &auc, &err) == EMB_ENOTFOUND);
    CHECK(strstr(err.msg, "nowhere") != NULL);
    const char *one_region[] = {"y"};
    CHECK(emb_kgeval_countries(m, kg, EMB_KGEVAL_TEST, one_region, 1, &auc, &err) == EMB_EINVAL);
    CHECK(emb_kgeval_countries(m, kg, EMB_KGEVAL_VALID, regions, 2, &auc, &err) == EMB_EEMPTY);
    kge_free_test(m);
    kg_free(kg);
    return 0;
}

/* ---- bad input ----------------------------------------------------------- */

static int test_bad_input(void) {
    struct emb_err err = {0};
    struct emb_kgeval_params p = emb_kgeval_default_params();
    struct emb_kgeval_result res;
    /* a model that lacks a dataset entity */
    struct emb_kg *kg = kg_make(HAND_TRAIN, 3, NULL, 0, HAND_TEST, 2);
    const char *ents[] = {"a", "b", "c", "zz"};
    struct emb_kge *m = kge_make(EMB_KGE_DISTMULT, 4, ents, 4, HAND_RELS, 2, 1);
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_ENOTFOUND);
    CHECK(strstr(err.msg, "'d'") != NULL && res.rank_tail == NULL);
    kge_free_test(m);
    const char *rels[] = {"r0", "other"};
    m = kge_make(EMB_KGE_DISTMULT, 4, HAND_ENTS, 5, rels, 2, 1);
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_ENOTFOUND);
    CHECK(strstr(err.msg, "relation 'r1'") != NULL);
    kge_free_test(m);
    /* tables of the wrong shape for the kind */
    m = kge_make(EMB_KGE_DISTMULT, 4, HAND_ENTS, 5, HAND_RELS, 2, 1);
    m->model = EMB_KGE_COMPLEX;
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_EFORMAT);
    m->model = EMB_KGE_TRANSE;
    m->p_norm = 3;
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_EFORMAT);
    m->model = EMB_KGE_DISTMULT;
    /* an empty split */
    p.split = EMB_KGEVAL_VALID;
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_EEMPTY);
    CHECK(strstr(err.msg, "valid") != NULL);
    kg_free(kg);
    /* a test set whose entities never occur in train */
    const char *train[] = {"a r0 b"}, *test[] = {"c r0 d", "a r0 e"};
    kg = kg_make(train, 1, NULL, 0, test, 2);
    p = emb_kgeval_default_params();
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_EEMPTY);
    CHECK(strstr(err.msg, "never occurs in train") != NULL);
    kg_free(kg);
    /* some unseen: kept by default, skipped with drop_unseen */
    const char *test2[] = {"c r0 d", "a r0 b"};
    kg = kg_make(train, 1, NULL, 0, test2, 2);
    CHECK_OK(emb_kgeval_run(m, kg, &p, &res, &err));
    CHECK(res.n_triples == 2 && res.n_unseen == 1 && res.n_dropped == 0);
    emb_kgeval_result_free(&res);
    p.drop_unseen = 1;
    CHECK_OK(emb_kgeval_run(m, kg, &p, &res, &err));
    CHECK(res.n_triples == 1 && res.n_unseen == 1 && res.n_dropped == 1 && res.both.n == 2);
    emb_kgeval_result_free(&res);
    /* stop requested before the start */
    volatile sig_atomic_t stop = 1;
    p.stop = &stop;
    CHECK(emb_kgeval_run(m, kg, &p, &res, &err) == EMB_EINTR);
    kg_free(kg);
    kge_free_test(m);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_rank);
    RUN(test_hand_graph);
    RUN(test_kernels);
    RUN(test_threads);
    RUN(test_reciprocal);
    RUN(test_average_precision);
    RUN(test_countries);
    RUN(test_bad_input);
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
