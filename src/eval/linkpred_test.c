/* linkpred_test.c -- ROC-AUC against hand-computed values, the split's
 * invariants (connected residual graph, removed edges really removed,
 * non-edges really absent, no pair drawn twice), and an end-to-end check
 * on a graph with planted communities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/graph.h"
#include "emb/line.h"
#include "emb/linkpred.h"
#include "emb/rng.h"
#include "test.h"

#define N_COMM 4
#define PER_COMM 30
#define N_NODES (N_COMM * PER_COMM)

static int test_auc(void) {
    /* sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75 */
    double s1[] = {0.1, 0.4, 0.35, 0.8};
    uint8_t y1[] = {0, 0, 1, 1};
    CHECK_NEAR(emb_roc_auc(s1, y1, 4), 0.75, 1e-12);
    /* Ties count one half: every positive ties a negative -> 0.5. */
    double s2[] = {1, 1, 0, 0};
    uint8_t y2[] = {1, 0, 1, 0};
    CHECK_NEAR(emb_roc_auc(s2, y2, 4), 0.5, 1e-12);
    /* Perfect and reversed rankings. */
    double s3[] = {3, 2, 1, 0};
    uint8_t y3[] = {1, 1, 0, 0}, y4[] = {0, 0, 1, 1};
    CHECK_NEAR(emb_roc_auc(s3, y3, 4), 1.0, 1e-12);
    CHECK_NEAR(emb_roc_auc(s3, y4, 4), 0.0, 1e-12);
    /* One class only: undefined. */
    CHECK(isnan(emb_roc_auc(s3, y3, 2)));
    return 0;
}

static int test_features(void) {
    float a[] = {1, -2, 3}, b[] = {4, 5, -6}, out[3];
    emb_edge_feature(EMB_EDGE_HADAMARD, a, b, 3, out);
    CHECK(out[0] == 4 && out[1] == -10 && out[2] == -18);
    emb_edge_feature(EMB_EDGE_AVERAGE, a, b, 3, out);
    CHECK(out[0] == 2.5f && out[1] == 1.5f && out[2] == -1.5f);
    emb_edge_feature(EMB_EDGE_L1, a, b, 3, out);
    CHECK(out[0] == 3 && out[1] == 7 && out[2] == 9);
    emb_edge_feature(EMB_EDGE_L2, a, b, 3, out);
    CHECK(out[0] == 9 && out[1] == 49 && out[2] == 81);
    CHECK(strcmp(emb_edge_op_name(EMB_EDGE_L2), "l2") == 0);
    return 0;
}

static struct emb_graph *planted(uint64_t seed) {
    struct emb_err err = {0};
    int32_t *u = malloc(sizeof(int32_t) * N_NODES * N_NODES), *v = malloc(sizeof(int32_t) * N_NODES * N_NODES);
    int64_t n = 0;
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (int a = 0; a < N_NODES; a++)
        for (int b = a + 1; b < N_NODES; b++)
            if (emb_rng_uniform(&r) < (a / PER_COMM == b / PER_COMM ? 0.3f : 0.01f)) u[n] = a, v[n] = b, n++;
    struct emb_graph_params gp = emb_graph_default_params();
    struct emb_graph *g = NULL;
    if (emb_graph_from_edges(&g, N_NODES, u, v, NULL, n, &gp, &err) != EMB_OK) g = NULL;
    free(u);
    free(v);
    return g;
}

static int n_components(const struct emb_graph *g) {
    int32_t *stack = malloc(sizeof(int32_t) * (size_t)g->n_nodes);
    uint8_t *seen = calloc((size_t)g->n_nodes, 1);
    int comps = 0;
    for (int32_t s = 0; s < g->n_nodes; s++) {
        if (seen[s]) continue;
        comps++;
        int top = 0;
        stack[top++] = s;
        seen[s] = 1;
        while (top) {
            int32_t x = stack[--top];
            for (int64_t a = g->offsets[x]; a < g->offsets[x + 1]; a++)
                if (!seen[g->adj[a]]) seen[g->adj[a]] = 1, stack[top++] = g->adj[a];
        }
    }
    free(stack);
    free(seen);
    return comps;
}

static int test_split(void) {
    struct emb_err err = {0};
    struct emb_graph *g = planted(3);
    CHECK(g);
    int64_t n_edges = g->n_arcs / 2;
    struct emb_linkpred_split s, s2;
    CHECK_OK(emb_linkpred_split(g, 0.5, 9, &s, &err));
    CHECK(s.n_test + s.n_train == (int64_t)llround(0.5 * (double)n_edges));
    CHECK(s.n_test - s.n_train <= 1 && s.n_test >= s.n_train);
    CHECK(s.residual->n_arcs / 2 == n_edges - s.n_test - s.n_train);
    CHECK(n_components(s.residual) == n_components(g));
    for (int64_t i = 0; i < s.n_test; i++) {
        int32_t u = s.test_pos[2 * i], v = s.test_pos[2 * i + 1];
        CHECK(emb_graph_has_edge(g, u, v) && !emb_graph_has_edge(s.residual, u, v));
        int32_t a = s.test_neg[2 * i], b = s.test_neg[2 * i + 1];
        CHECK(a != b && !emb_graph_has_edge(g, a, b));
    }
    for (int64_t i = 0; i < s.n_train; i++) {
        CHECK(emb_graph_has_edge(g, s.train_pos[2 * i], s.train_pos[2 * i + 1]));
        CHECK(!emb_graph_has_edge(s.residual, s.train_pos[2 * i], s.train_pos[2 * i + 1]));
        int32_t a = s.train_neg[2 * i], b = s.train_neg[2 * i + 1];
        CHECK(a != b && !emb_graph_has_edge(g, a, b));
        for (int64_t j = 0; j < s.n_test; j++) { /* train and test non-edges are disjoint */
            int32_t c = s.test_neg[2 * j], d = s.test_neg[2 * j + 1];
            CHECK(!((a == c && b == d) || (a == d && b == c)));
        }
    }
    /* Deterministic for a seed. */
    CHECK_OK(emb_linkpred_split(g, 0.5, 9, &s2, &err));
    CHECK(memcmp(s.test_pos, s2.test_pos, (size_t)s.n_test * 2 * sizeof(int32_t)) == 0);
    CHECK(memcmp(s.test_neg, s2.test_neg, (size_t)s.n_test * 2 * sizeof(int32_t)) == 0);
    emb_linkpred_split_free(&s2);
    /* Asking for almost everything removes only non-forest edges. */
    CHECK_OK(emb_linkpred_split(g, 0.99, 9, &s2, &err));
    CHECK(n_components(s2.residual) == n_components(g));
    CHECK(s2.residual->n_arcs / 2 == g->n_nodes - n_components(g));
    emb_linkpred_split_free(&s2);
    /* Errors. */
    CHECK(emb_linkpred_split(g, 0, 9, &s2, &err) == EMB_EINVAL);
    CHECK(emb_linkpred_split(g, 1, 9, &s2, &err) == EMB_EINVAL);

    /* End to end: LINE on the residual graph predicts the removed edges. */
    struct emb_line_params lp = emb_line_default_params();
    lp.dim = 16;
    lp.n_samples = 400000;
    struct emb_train_opts to = emb_train_default_opts(); /* one thread: deterministic, the AUC floor
                                                            below is checked on fixed numbers */
    struct emb_table *vec = NULL;
    CHECK_OK(emb_line_train(s.residual, &lp, &to, &vec, &err));
    { /* The embedding itself ranks held-out edges above non-edges. */
        double *sc = malloc(sizeof(double) * 2 * s.n_test);
        uint8_t *yy = malloc(2 * s.n_test);
        for (int64_t i = 0; i < 2 * s.n_test; i++) {
            const int32_t *pr = i < s.n_test ? s.test_pos + 2 * i : s.test_neg + 2 * (i - s.n_test);
            const float *x = emb_table_row(vec, pr[0]), *z = emb_table_row(vec, pr[1]);
            double xy = 0, xx = 0, zz = 0;
            for (int j = 0; j < vec->dim; j++) xy += x[j] * z[j], xx += x[j] * x[j], zz += z[j] * z[j];
            sc[i] = xy / sqrt(xx * zz);
            yy[i] = i < s.n_test;
        }
        double cos_auc = emb_roc_auc(sc, yy, 2 * s.n_test);
        printf("LINE-2 on planted communities, plain cosine: AUC %.3f\n", cos_auc);
        CHECK(cos_auc > 0.7);
        free(sc);
        free(yy);
    }
    for (int op = 0; op < EMB_EDGE_N_OPS; op++) {
        double auc;
        CHECK_OK(emb_linkpred_auc(vec, &s, (enum emb_edge_op)op, 1.0, &auc, &err));
        printf("LINE-2 on planted communities, %s: AUC %.3f\n", emb_edge_op_name((enum emb_edge_op)op), auc);
        /* Chance is 0.5; community structure alone caps it near 0.83 here
         * (a quarter of the random non-edges fall inside a community). */
        if (op == EMB_EDGE_HADAMARD) CHECK(auc > 0.7);
    }
    emb_table_free(vec);
    emb_linkpred_split_free(&s);
    emb_graph_free(g);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_auc);
    RUN(test_features);
    RUN(test_split);
    printf("linkpred_test: %s\n", failed ? "FAILED" : "ok");
    return failed != 0;
}
