/* graph_test.c -- edge lists to CSR: hand-made graphs (directed and not,
 * weights, repeats, self-loops, names), every error path, gzip input, and
 * arc lookup against a dense adjacency matrix. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/graph.h"
#include "emb/rng.h"
#include "test.h"

static char tmp_dir[64];

static const char *tmp_path(const char *name) {
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_dir, name);
    return buf[k];
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text), w = fwrite(text, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Load `text` as an edge list with params p. */
static int load_text(struct emb_graph **g, const char *text, const struct emb_graph_params *p, struct emb_err *err) {
    const char *path = tmp_path("g.txt");
    if (write_file(path, text) != 0) return -100;
    return emb_graph_load(g, path, p, err);
}

static int32_t id(const struct emb_graph *g, const char *name) { return emb_vocab_find(g->names, name, strlen(name)); }

/* Row u as "name:weight name:weight ..." for compact comparisons. */
static const char *row_str(const struct emb_graph *g, const char *name) {
    static char buf[512];
    int32_t u = id(g, name);
    size_t n = 0;
    buf[0] = '\0';
    for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", emb_vocab_word(g->names, g->adj[a]));
        if (g->weights) n += (size_t)snprintf(buf + n, sizeof buf - n, ":%g", (double)g->weights[a]);
    }
    return buf;
}

static int test_undirected_names(void) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    struct emb_graph *g = NULL;
    /* Arbitrary names, tabs and spaces, comments, blank lines, CRLF. */
    CHECK_OK(load_text(&g, "# a comment\nalice\tbob\n\n  bob  carol\r\n   # indented comment\ncarol \t alice\n"
                           "dave alice\n",
                       &p, &err));
    CHECK(g->n_nodes == 4 && g->n_lines == 4 && g->n_arcs == 8 && !g->directed && !g->weights);
    CHECK(id(g, "alice") == 0 && id(g, "bob") == 1 && id(g, "carol") == 2 && id(g, "dave") == 3);
    CHECK(strcmp(row_str(g, "alice"), "bob carol dave") == 0);
    CHECK(strcmp(row_str(g, "bob"), "alice carol") == 0);
    CHECK(strcmp(row_str(g, "carol"), "alice bob") == 0);
    CHECK(strcmp(row_str(g, "dave"), "alice") == 0);
    CHECK(g->degree[0] == 3 && g->degree[3] == 1);
    CHECK(emb_vocab_count(g->names, 0) == 3); /* alice named on 3 lines */
    CHECK(emb_graph_has_edge(g, 3, 0) && emb_graph_has_edge(g, 0, 3) && !emb_graph_has_edge(g, 3, 1));
    emb_graph_free(g);
    emb_graph_free(NULL);
    return 0;
}

static int test_directed(void) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    p.directed = 1;
    struct emb_graph *g = NULL;
    CHECK_OK(load_text(&g, "a b\nb c\nc a\na c\nd a\n", &p, &err));
    CHECK(g->n_nodes == 4 && g->n_arcs == 5 && g->directed);
    CHECK(strcmp(row_str(g, "a"), "b c") == 0);
    CHECK(strcmp(row_str(g, "b"), "c") == 0);
    CHECK(strcmp(row_str(g, "c"), "a") == 0);
    CHECK(strcmp(row_str(g, "d"), "a") == 0);
    CHECK(emb_graph_has_edge(g, id(g, "d"), id(g, "a")) && !emb_graph_has_edge(g, id(g, "a"), id(g, "d")));
    /* A node with only incoming arcs has an empty row. */
    emb_graph_free(g);
    CHECK_OK(load_text(&g, "a b\n", &p, &err));
    CHECK(emb_graph_degree(g, 1) == 0 && g->degree[1] == 0 && g->offsets[2] == 1);
    emb_graph_free(g);
    return 0;
}

static int test_weights_duplicates(void) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    p.weighted = 1;
    struct emb_graph *g = NULL;
    const char *text = "a b 1.5\nb a 2\na c 3\nc d 0.25\nd c 4e0\n";
    /* Sum (default): a-b merged from both directions in an undirected graph. */
    CHECK_OK(load_text(&g, text, &p, &err));
    CHECK(g->weights && g->n_arcs == 6);
    CHECK(strcmp(row_str(g, "a"), "b:3.5 c:3") == 0);
    CHECK(strcmp(row_str(g, "b"), "a:3.5") == 0);
    CHECK(strcmp(row_str(g, "c"), "a:3 d:4.25") == 0);
    CHECK(strcmp(row_str(g, "d"), "c:4.25") == 0);
    CHECK_NEAR(g->degree[id(g, "a")], 6.5, 1e-12);
    CHECK_NEAR(g->degree[id(g, "c")], 7.25, 1e-12);
    emb_graph_free(g);
    /* First: the weight of the first line naming the edge, both ways. */
    p.duplicates = EMB_GRAPH_DUP_FIRST;
    CHECK_OK(load_text(&g, text, &p, &err));
    CHECK(strcmp(row_str(g, "a"), "b:1.5 c:3") == 0);
    CHECK(strcmp(row_str(g, "b"), "a:1.5") == 0);
    CHECK(strcmp(row_str(g, "c"), "a:3 d:0.25") == 0);
    CHECK(strcmp(row_str(g, "d"), "c:0.25") == 0);
    CHECK_NEAR(g->degree[id(g, "a")], 4.5, 1e-12);
    emb_graph_free(g);
    /* Directed: u v and v u are different arcs; u v twice is a repeat. */
    p.directed = 1;
    p.duplicates = EMB_GRAPH_DUP_SUM;
    CHECK_OK(load_text(&g, "a b 1\nb a 2\na b 4\n", &p, &err));
    CHECK(strcmp(row_str(g, "a"), "b:5") == 0 && strcmp(row_str(g, "b"), "a:2") == 0);
    emb_graph_free(g);
    p.duplicates = EMB_GRAPH_DUP_FIRST;
    CHECK_OK(load_text(&g, "a b 1\nb a 2\na b 4\n", &p, &err));
    CHECK(strcmp(row_str(g, "a"), "b:1") == 0 && strcmp(row_str(g, "b"), "a:2") == 0);
    emb_graph_free(g);
    /* Unweighted repeats collapse whatever the option, and stay unweighted. */
    p = emb_graph_default_params();
    CHECK_OK(load_text(&g, "a b\nb a\na b\nb c\n", &p, &err));
    CHECK(!g->weights && g->n_arcs == 4 && g->n_lines == 4);
    CHECK(strcmp(row_str(g, "b"), "a c") == 0 && g->degree[id(g, "b")] == 2);
    emb_graph_free(g);
    return 0;
}

static int test_self_loops(void) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    struct emb_graph *g = NULL;
    const char *text = "a a\na b\nb b\nb b\n";
    CHECK_OK(load_text(&g, text, &p, &err));
    CHECK(g->n_nodes == 2 && g->n_arcs == 2); /* dropped; the nodes stay */
    CHECK(strcmp(row_str(g, "a"), "b") == 0 && strcmp(row_str(g, "b"), "a") == 0);
    emb_graph_free(g);
    p.self_loops = EMB_GRAPH_LOOPS_KEEP;
    CHECK_OK(load_text(&g, text, &p, &err));
    CHECK(g->n_arcs == 4); /* one arc per loop, repeats merged */
    CHECK(strcmp(row_str(g, "a"), "a b") == 0 && strcmp(row_str(g, "b"), "a b") == 0);
    CHECK(emb_graph_has_edge(g, 0, 0) && emb_graph_has_edge(g, 1, 1));
    emb_graph_free(g);
    p.weighted = 1;
    CHECK_OK(load_text(&g, "a a 2\na a 3\na b 1\n", &p, &err));
    CHECK(strcmp(row_str(g, "a"), "a:5 b:1") == 0 && g->degree[0] == 6);
    emb_graph_free(g);
    /* Only self-loops, dropped: nothing left. */
    p = emb_graph_default_params();
    CHECK(load_text(&g, "a a\nb b\n", &p, &err) == EMB_EEMPTY && g == NULL);
    CHECK(strstr(err.msg, "self-loops") != NULL);
    return 0;
}

/* load_text must fail with `code` and a message containing `needle`. */
static int expect_error(const char *text, int weighted, int code, const char *needle) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    p.weighted = weighted;
    struct emb_graph *g = (struct emb_graph *)&err; /* must be reset to NULL */
    int rc = load_text(&g, text, &p, &err);
    if (rc != code || g != NULL || err.code != code || !strstr(err.msg, needle)) {
        fprintf(stderr, "input %s: rc %d (want %d), message '%s' (want '%s')\n", text, rc, code, err.msg, needle);
        return 1;
    }
    return 0;
}

static int test_errors(void) {
    /* Column counts, with line numbers (comments and blanks count as lines). */
    CHECK(expect_error("a b\nc\n", 0, EMB_EFORMAT, ":2: expected 2 columns") == 0);
    CHECK(expect_error("# x\n\na b 1\n", 0, EMB_EFORMAT, ":3: expected 2 columns (u v), got 3 (weighted") == 0);
    CHECK(expect_error("a b\n", 1, EMB_EFORMAT, ":1: expected 3 columns") == 0);
    CHECK(expect_error("a b 1 2\n", 1, EMB_EFORMAT, "got more than 3") == 0);
    CHECK(expect_error("a b c d e\n", 0, EMB_EFORMAT, "got more than 3") == 0);
    /* Weights: not numbers, negative, zero, NaN, infinite, float overflow or underflow. */
    const char *bad[] = {"x", "1x", "-1", "0", "-0", "nan", "NaN", "inf", "-inf", "1e400", "1e39", "1e-50", "0x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "a b 1\nb c %s\n", bad[i]);
        CHECK(expect_error(text, 1, EMB_EFORMAT, ":2: weight must be a finite number > 0") == 0);
    }
    /* A NUL byte is reported as not text. */
    {
        struct emb_err err = {0};
        struct emb_graph_params p = emb_graph_default_params();
        struct emb_graph *g = NULL;
        FILE *f = fopen(tmp_path("nul.txt"), "wb");
        CHECK(f && fwrite("a b\nc\0d\n", 1, 8, f) == 8 && fclose(f) == 0);
        CHECK(emb_graph_load(&g, tmp_path("nul.txt"), &p, &err) == EMB_EFORMAT && g == NULL);
        CHECK(strstr(err.msg, ":2: NUL byte") != NULL);
    }
    /* Empty graphs. */
    CHECK(expect_error("", 0, EMB_EEMPTY, "no edges") == 0);
    CHECK(expect_error("# only\n\n   \n", 0, EMB_EEMPTY, "no edges") == 0);
    /* Missing file. */
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    struct emb_graph *g = NULL;
    CHECK(emb_graph_load(&g, tmp_path("missing.txt"), &p, &err) == EMB_EIO && g == NULL);
    /* from_edges checks ids and weights. */
    int32_t u[] = {0, 1}, v[] = {1, 5};
    float w[] = {1, -1};
    CHECK(emb_graph_from_edges(&g, 3, u, v, NULL, 2, &p, &err) == EMB_EINVAL && g == NULL);
    v[1] = 2;
    CHECK(emb_graph_from_edges(&g, 3, u, v, w, 2, &p, &err) == EMB_EINVAL && g == NULL);
    CHECK(emb_graph_from_edges(&g, 3, u, v, NULL, 0, &p, &err) == EMB_EEMPTY && g == NULL);
    /* Summed repeats that overflow float32. */
    p.weighted = 1;
    CHECK(load_text(&g, "a b 3e38\na b 3e38\n", &p, &err) == EMB_ENUMERIC && g == NULL);
    return 0;
}

static int test_gzip(void) {
    struct emb_err err = {0};
    struct emb_graph_params p = emb_graph_default_params();
    p.weighted = 1;
    const char *path = tmp_path("g.tsv.gz");
    gzFile z = gzopen(path, "wb");
    CHECK(z != NULL);
    const char *text = "x\ty\t2\ny\tz\t0.5\n";
    CHECK(gzputs(z, text) == (int)strlen(text));
    CHECK(gzclose(z) == Z_OK);
    struct emb_graph *g = NULL;
    CHECK_OK(emb_graph_load(&g, path, &p, &err));
    CHECK(g->n_nodes == 3 && g->n_arcs == 4);
    CHECK(strcmp(row_str(g, "y"), "x:2 z:0.5") == 0);
    emb_graph_free(g);
    return 0;
}

/* A random multigraph against a dense matrix: sorted rows, summed weights,
 * degrees, and lookups of every pair. */
static int test_random_vs_dense(void) {
    struct emb_err err = {0};
    enum { N = 60, M = 700 };
    static double dense[N][N];
    int32_t u[M], v[M];
    float w[M];
    for (int directed = 0; directed < 2; directed++) {
        struct emb_rng r;
        emb_rng_seed(&r, 11, (uint64_t)directed);
        memset(dense, 0, sizeof dense);
        for (int i = 0; i < M; i++) {
            u[i] = (int32_t)emb_rng_below(&r, N);
            v[i] = (int32_t)emb_rng_below(&r, N);
            w[i] = (float)(1 + emb_rng_below(&r, 8)) * 0.5f; /* exact in float sums */
            if (u[i] == v[i]) continue;
            dense[u[i]][v[i]] += w[i];
            if (!directed) dense[v[i]][u[i]] += w[i];
        }
        struct emb_graph_params p = emb_graph_default_params();
        p.directed = directed;
        struct emb_graph *g = NULL;
        CHECK_OK(emb_graph_from_edges(&g, N, u, v, w, M, &p, &err));
        CHECK(g->n_nodes == N && strcmp(emb_vocab_word(g->names, 7), "7") == 0);
        int64_t arcs = 0;
        for (int32_t a = 0; a < N; a++) {
            double deg = 0;
            for (int64_t k = g->offsets[a] + 1; k < g->offsets[a + 1]; k++) CHECK(g->adj[k - 1] < g->adj[k]);
            for (int32_t b = 0; b < N; b++) {
                int64_t k = emb_graph_find_arc(g, a, b);
                CHECK((k >= 0) == (dense[a][b] > 0));
                if (k >= 0) {
                    CHECK(g->adj[k] == b && g->weights[k] == (float)dense[a][b]);
                    arcs++;
                }
                deg += dense[a][b];
            }
            CHECK_NEAR(g->degree[a], deg, 1e-9);
        }
        CHECK(arcs == g->n_arcs && g->offsets[N] == g->n_arcs);
        emb_graph_free(g);
    }
    return 0;
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/emb_graph_test_XXXXXX");
    if (!mkdtemp(tmp_dir)) return 1;
    int failed = 0;
    RUN(test_undirected_names);
    RUN(test_directed);
    RUN(test_weights_duplicates);
    RUN(test_self_loops);
    RUN(test_errors);
    RUN(test_gzip);
    RUN(test_random_vs_dense);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    if (system(cmd) != 0) failed++;
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
