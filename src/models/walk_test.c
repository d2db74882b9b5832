/* walk_test.c -- random walks: parameters, walks only follow arcs, dead
 * ends, visit counts, determinism across runs and thread counts, and the
 * statistics: chi-square tests of the empirical transition frequencies
 * against the exact DeepWalk and node2vec probabilities (computed here
 * from a dense matrix, independently of the library), including extreme
 * p and q where the rejection sampler falls back to exact draws. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/graph.h"
#include "emb/rng.h"
#include "emb/walk.h"
#include "test.h"

/* Decode the whole stream into one array of ids and an array of sentence
 * lengths (both emb_alloc'ed). */
static int decode(const struct emb_stream *s, int32_t **ids, int64_t **lens, int64_t *n_sent) {
    int64_t n_tok = emb_stream_n_tokens(s), n_s = emb_stream_n_sentences(s);
    *ids = emb_alloc((size_t)(n_tok + 1) * sizeof **ids);
    *lens = emb_alloc((size_t)(n_s + 1) * sizeof **lens);
    if (!*ids || !*lens) return 1;
    int64_t t = 0, k = 0;
    for (int64_t c = 0; c < emb_stream_n_chunks(s); c++) {
        struct emb_stream_cursor cur;
        emb_stream_chunk(s, c, &cur);
        int64_t n;
        while ((n = emb_stream_next_sentence(&cur, *ids + t, n_tok - t + 1)) >= 0) {
            (*lens)[k++] = n;
            t += n;
        }
    }
    *n_sent = k;
    return t == n_tok && k == n_s ? 0 : 1;
}

/* A small graph with triangles, a square and a pendant path:
 * 0-1-2 triangle, 2-3, 3-4-5-3 triangle, 5-6, 6-7, 7-0, 1-7, 2-5, 6-8. */
#define N_NODES 9
static const int32_t EU[] = {0, 1, 0, 2, 3, 4, 3, 5, 6, 7, 1, 2, 6};
static const int32_t EV[] = {1, 2, 2, 3, 4, 5, 5, 6, 7, 0, 7, 5, 8};
static const float EW[] = {1, 2, 3, 1, 4, 1, 2, 3, 1, 2, 4, 1, 2};
#define N_EDGES ((int64_t)(sizeof EU / sizeof EU[0]))

static int make_graph(struct emb_graph **g, int weighted, int directed) {
    struct emb_err err = {0};
    struct emb_graph_params gp = emb_graph_default_params();
    gp.directed = directed;
    CHECK_OK(emb_graph_from_edges(g, N_NODES, EU, EV, weighted ? EW : NULL, N_EDGES, &gp, &err));
    return 0;
}

static int test_params(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_walk_params p = emb_walk_default_params();
    CHECK(p.walk_length == 80 && p.walks_per_node == 10 && p.p == 1 && p.q == 1);
    CHECK_OK(emb_walk_params_check(&p, &err));
    struct emb_graph *g = NULL;
    CHECK(make_graph(&g, 0, 0) == 0);
    double bad[] = {0, -1, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        struct emb_walk_params b = p;
        b.p = bad[i];
        struct emb_stream *s = (struct emb_stream *)&err;
        int64_t *visits = (int64_t *)&err;
        CHECK(emb_walk_generate(g, &b, &o, &s, &visits, NULL, &err) == EMB_EINVAL && s == NULL && visits == NULL);
        CHECK(strstr(err.msg, "p must be") != NULL);
        b = p;
        b.q = bad[i];
        CHECK(emb_walk_generate(g, &b, &o, &s, &visits, NULL, &err) == EMB_EINVAL && strstr(err.msg, "q must be"));
    }
    struct emb_walk_params b = p;
    b.walk_length = 0;
    CHECK(emb_walk_params_check(&b, &err) == EMB_EINVAL);
    b = p;
    b.walks_per_node = 0;
    CHECK(emb_walk_params_check(&b, &err) == EMB_EINVAL);
    struct emb_train_opts bad_o = o;
    bad_o.n_threads = 0;
    struct emb_stream *s = NULL;
    CHECK(emb_walk_generate(g, &p, &bad_o, &s, NULL, NULL, &err) == EMB_EINVAL && s == NULL);
    emb_graph_free(g);
    return 0;
}

/* Walks follow arcs, have the requested length, every node starts exactly
 * walks_per_node walks, and visit counts match the stream. */
static int test_structure(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    for (int cfg = 0; cfg < 4; cfg++) {
        struct emb_graph *g = NULL;
        CHECK(make_graph(&g, cfg & 1, 0) == 0);
        struct emb_walk_params p = emb_walk_default_params();
        p.walk_length = 20;
        p.walks_per_node = 7;
        if (cfg & 2) {
            p.p = 0.5;
            p.q = 3;
        }
        struct emb_stream *s = NULL;
        int64_t *visits = NULL, *lens = NULL;
        int32_t *ids = NULL;
        int64_t n_sent;
        struct emb_walk_stats st;
        CHECK_OK(emb_walk_generate(g, &p, &o, &s, &visits, &st, &err));
        CHECK(decode(s, &ids, &lens, &n_sent) == 0);
        CHECK(n_sent == N_NODES * 7 && st.n_walks == n_sent);
        CHECK(st.n_steps == n_sent * 19 && st.n_proposals >= st.n_steps && st.seconds >= 0);
        int64_t starts[N_NODES] = {0}, seen[N_NODES] = {0}, t = 0;
        for (int64_t k = 0; k < n_sent; k++) {
            CHECK(lens[k] == 20);
            starts[ids[t]]++;
            for (int64_t i = 0; i < lens[k]; i++) {
                seen[ids[t + i]]++;
                if (i > 0) CHECK(emb_graph_has_edge(g, ids[t + i - 1], ids[t + i]));
            }
            t += lens[k];
        }
        for (int v = 0; v < N_NODES; v++) CHECK(starts[v] == 7 && seen[v] == visits[v]);
        /* Every round visits the nodes in a shuffled order, not 0..n-1
         * (the walks have equal lengths, so walk k starts at ids[20 k]). */
        int sorted = 1;
        for (int k = 1; k < N_NODES; k++) sorted &= ids[20 * k] > ids[20 * (k - 1)];
        CHECK(!sorted);
        emb_free(ids);
        emb_free(lens);
        emb_free(visits);
        emb_stream_free(s);
        emb_graph_free(g);
    }
    return 0;
}

/* Isolated nodes give walks of length 1; directed walks stop at dead ends. */
static int test_dead_ends(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_graph_params gp = emb_graph_default_params();
    gp.directed = 1;
    /* 0 -> 1 -> 2 (2 has no out-arcs), node 3 isolated. */
    int32_t u[] = {0, 1}, v[] = {1, 2};
    struct emb_graph *g = NULL;
    CHECK_OK(emb_graph_from_edges(&g, 4, u, v, NULL, 2, &gp, &err));
    for (int n2v = 0; n2v < 2; n2v++) {
        struct emb_walk_params p = emb_walk_default_params();
        p.walk_length = 10;
        p.walks_per_node = 3;
        p.p = n2v ? 2 : 1;
        struct emb_stream *s = NULL;
        int64_t *visits = NULL, *lens = NULL, n_sent;
        int32_t *ids = NULL;
        CHECK_OK(emb_walk_generate(g, &p, &o, &s, &visits, NULL, &err));
        CHECK(decode(s, &ids, &lens, &n_sent) == 0 && n_sent == 12);
        int64_t t = 0;
        for (int64_t k = 0; k < n_sent; k++) {
            int32_t start = ids[t];
            CHECK(lens[k] == 3 - (start == 3 ? 2 : start)); /* 0:3 nodes, 1:2, 2:1, 3:1 */
            t += lens[k];
        }
        CHECK(visits[0] == 3 && visits[1] == 6 && visits[2] == 9 && visits[3] == 3);
        emb_free(ids);
        emb_free(lens);
        emb_free(visits);
        emb_stream_free(s);
    }
    emb_graph_free(g);
    return 0;
}

/* Same seed: identical walks for 1, 2 and 3 threads; another seed differs. */
static int test_determinism(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_graph *g = NULL;
    CHECK(make_graph(&g, 1, 0) == 0);
    int32_t *ref = NULL;
    int64_t n_ref = 0;
    for (int run = 0; run < 5; run++) {
        struct emb_walk_params p = emb_walk_default_params();
        p.walk_length = 30;
        p.walks_per_node = 50;
        p.p = 0.25;
        p.q = 4;
        o = emb_train_default_opts();
        o.n_threads = run < 3 ? run + 1 : 2;
        if (run == 3) o.seed = 2;
        if (run == 4) { /* one walk per unit: many small units */
            p.walk_length = 70000;
            p.walks_per_node = 5;
        }
        struct emb_stream *s = NULL;
        int64_t *lens = NULL, n_sent;
        int32_t *ids = NULL;
        CHECK_OK(emb_walk_generate(g, &p, &o, &s, NULL, NULL, &err));
        CHECK(decode(s, &ids, &lens, &n_sent) == 0);
        int64_t n = emb_stream_n_tokens(s);
        if (run == 0) {
            ref = ids;
            n_ref = n;
            ids = NULL;
        } else if (run < 3) {
            CHECK(n == n_ref && memcmp(ids, ref, (size_t)n * sizeof *ids) == 0);
        } else if (run == 3) {
            CHECK(n == n_ref && memcmp(ids, ref, (size_t)n * sizeof *ids) != 0);
        } else {
            /* The first 30 nodes of each long walk are the short walk of the
             * same (round, start): walks depend only on their own seed. */
            int64_t t = 0, r = 0;
            for (int64_t k = 0; k < n_sent; k++) {
                CHECK(lens[k] == 70000 && memcmp(ids + t, ref + r, 30 * sizeof *ids) == 0);
                t += lens[k];
                r += 30;
            }
        }
        emb_free(ids);
        emb_free(lens);
        emb_stream_free(s);
    }
    emb_free(ref);
    emb_graph_free(g);
    return 0;
}

static void count_progress(void *ctx, const struct emb_train_progress *pr) {
    double *last = ctx;
    if (pr->fraction >= last[0] && pr->rate >= 0 && !strcmp(pr->phase, "walks") && !strcmp(pr->unit, "steps"))
        last[0] = pr->fraction;
    last[1]++;
}

/* save_path writes the walks as names; progress ends at 1; a stop request
 * returns EMB_EINTR and leaves no file. */
static int test_save_progress_stop(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_graph *g = NULL;
    CHECK(make_graph(&g, 0, 0) == 0);
    char path[] = "/tmp/emb_walk_test_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct emb_walk_params p = emb_walk_default_params();
    p.walk_length = 5;
    p.walks_per_node = 2;
    p.save_path = path;
    double last[2] = {0, 0};
    o.progress = count_progress;
    o.progress_ctx = last;
    struct emb_stream *s = NULL;
    int64_t *lens = NULL, n_sent;
    int32_t *ids = NULL;
    CHECK_OK(emb_walk_generate(g, &p, &o, &s, NULL, NULL, &err));
    CHECK(last[0] == 1.0 && last[1] >= 1);
    CHECK(decode(s, &ids, &lens, &n_sent) == 0 && n_sent == 2 * N_NODES);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[256], want[256];
    int64_t t = 0, k = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = 0;
        for (int64_t i = 0; i < lens[k]; i++)
            n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", i ? " " : "", emb_vocab_word(g->names, ids[t + i]));
        snprintf(want + n, sizeof want - n, "\n");
        CHECK(strcmp(line, want) == 0);
        t += lens[k++];
    }
    fclose(f);
    CHECK(k == n_sent);
    emb_free(ids);
    emb_free(lens);
    emb_stream_free(s);
    /* Stop before the first batch: EMB_EINTR, the file is not replaced. */
    CHECK(unlink(path) == 0);
    volatile sig_atomic_t stop = 1;
    o.stop = &stop;
    s = (struct emb_stream *)&err;
    CHECK(emb_walk_generate(g, &p, &o, &s, NULL, NULL, &err) == EMB_EINTR && s == NULL);
    CHECK(access(path, F_OK) != 0);
    emb_graph_free(g);
    return 0;
}

/* ---- transition statistics ------------------------------------------------ */

/* Wilson-Hilferty: a chi-square value with df degrees of freedom as an
 * approximately standard normal z score. */
static double chi2_z(double chi2, double df) {
    double k = 2.0 / (9.0 * df);
    return (cbrt(chi2 / df) - (1 - k)) / sqrt(k);
}

/* Exact probability of x after t -> v in node2vec (dense weights W, arcs
 * W[a][b] > 0; t < 0 means the first step: first order). */
static double exact_prob(double W[N_NODES][N_NODES], int t, int v, int x, double p, double q) {
    double total = 0, px = 0;
    for (int y = 0; y < N_NODES; y++) {
        if (W[v][y] <= 0) continue;
        double a = t < 0 ? 1 : y == t ? 1 / p : W[y][t] > 0 ? 1 : 1 / q;
        total += W[v][y] * a;
        if (y == x) px = W[v][y] * a;
    }
    return px / total;
}

/* Chi-square over all states (t, v) of the observed x counts in the walks
 * against node2vec(p_model, q_model). Returns the z score; *fallbacks gets
 * the walker's exact-draw count. The walks use (p, q). */
static int chi2_walks(int weighted, int directed, double p, double q, double p_model, double q_model, double *z,
                      int64_t *fallbacks) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    /* Directed: every edge one way, and two thirds of them the other way
     * too, so some return arcs exist and some do not. */
    int32_t u[2 * N_EDGES], v[2 * N_EDGES];
    float wt[2 * N_EDGES];
    int64_t m = 0;
    for (int64_t i = 0; i < N_EDGES; i++) {
        u[m] = EU[i], v[m] = EV[i], wt[m++] = EW[i];
        if (directed && i % 3 != 0) u[m] = EV[i], v[m] = EU[i], wt[m++] = EW[i] + 1;
    }
    struct emb_graph_params gp = emb_graph_default_params();
    gp.directed = directed;
    struct emb_graph *g = NULL;
    CHECK_OK(emb_graph_from_edges(&g, N_NODES, u, v, weighted ? wt : NULL, m, &gp, &err));
    static double W[N_NODES][N_NODES];
    memset(W, 0, sizeof W);
    for (int64_t i = 0; i < m; i++) {
        double w = weighted ? wt[i] : 1;
        W[u[i]][v[i]] += w;
        if (!directed) W[v[i]][u[i]] += w;
    }
    struct emb_walk_params wp = emb_walk_default_params();
    wp.walk_length = 40;
    wp.walks_per_node = 3000;
    wp.p = p;
    wp.q = q;
    o.seed = 12345;
    o.n_threads = 2;
    struct emb_stream *s = NULL;
    int64_t *lens = NULL, n_sent;
    int32_t *ids = NULL;
    struct emb_walk_stats st;
    CHECK_OK(emb_walk_generate(g, &wp, &o, &s, NULL, &st, &err));
    CHECK(decode(s, &ids, &lens, &n_sent) == 0);
    /* counts[t + 1][v][x]: t = -1 for the first step of a walk. */
    static int64_t counts[N_NODES + 1][N_NODES][N_NODES];
    memset(counts, 0, sizeof counts);
    int64_t off = 0;
    for (int64_t k = 0; k < n_sent; k++) {
        const int32_t *w = ids + off;
        for (int64_t i = 1; i < lens[k]; i++) counts[i == 1 ? 0 : w[i - 2] + 1][w[i - 1]][w[i]]++;
        off += lens[k];
    }
    double chi2 = 0, df = 0;
    for (int t = -1; t < N_NODES; t++)
        for (int v = 0; v < N_NODES; v++) {
            int64_t total = 0;
            for (int x = 0; x < N_NODES; x++) total += counts[t + 1][v][x];
            if (total == 0) continue;
            int cells = 0;
            double part = 0;
            for (int x = 0; x < N_NODES; x++) {
                if (W[v][x] <= 0) {
                    CHECK(counts[t + 1][v][x] == 0); /* never off an arc */
                    continue;
                }
                double e = total * exact_prob(W, t, v, x, p_model, q_model);
                if (e < 5) continue; /* too few for the chi-square approximation */
                double d = counts[t + 1][v][x] - e;
                part += d * d / e;
                cells++;
            }
            if (cells < 2) continue;
            chi2 += part;
            df += cells - 1;
        }
    CHECK(df >= 20);
    *z = chi2_z(chi2, df);
    if (getenv("WALK_TEST_VERBOSE")) fprintf(stderr, "p=%g q=%g w%d d%d: chi2 %.1f df %.0f z %.2f fallbacks %lld\n", p, q, weighted, directed, chi2, df, *z, (long long)st.n_fallbacks);
    *fallbacks = st.n_fallbacks;
    emb_free(ids);
    emb_free(lens);
    emb_stream_free(s);
    emb_graph_free(g);
    return 0;
}

static int test_transitions(void) {
    struct {
        int weighted, directed;
        double p, q;
    } cfg[] = {
        {0, 0, 1, 1},      {1, 0, 1, 1},    /* DeepWalk: uniform, then weight-proportional */
        {0, 0, 4, 0.25},   {1, 0, 4, 0.25}, /* outward (DFS-like) */
        {0, 0, 0.25, 4},   {1, 0, 0.25, 4}, /* local (BFS-like) */
        {1, 0, 2, 0.5},    {1, 1, 0.5, 2},  /* directed: adjacency is the arc x -> t */
        {1, 1, 0.25, 1},   {0, 1, 0.1, 2},  /* directed, the return arc may not exist */
        {0, 0, 1, 0.001},  {1, 0, 0.002, 1}, /* tiny acceptance: exact fallback draws */
        {0, 0, 1000, 1},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        double z;
        int64_t fb;
        CHECK(chi2_walks(cfg[i].weighted, cfg[i].directed, cfg[i].p, cfg[i].q, cfg[i].p, cfg[i].q, &z, &fb) == 0);
        if (!(z < 4.0))
            fprintf(stderr, "config %zu (w%d d%d p=%g q=%g): z = %.2f\n", i, cfg[i].weighted, cfg[i].directed,
                    cfg[i].p, cfg[i].q, z);
        CHECK(z < 4.0);
        if (cfg[i].q == 0.001) CHECK(fb > 0);
        if (cfg[i].p == 1 && cfg[i].q == 1) CHECK(fb == 0);
    }
    /* The test has power: node2vec walks are far from first-order ones. */
    double z;
    int64_t fb;
    CHECK(chi2_walks(0, 0, 4, 0.25, 1, 1, &z, &fb) == 0);
    CHECK(z > 20);
    CHECK(chi2_walks(1, 0, 1, 1, 0.5, 1, &z, &fb) == 0);
    CHECK(z > 20);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_params);
    RUN(test_structure);
    RUN(test_dead_ends);
    RUN(test_determinism);
    RUN(test_save_progress_stop);
    RUN(test_transitions);
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
