/* fuzz_graph.c -- libFuzzer harness for edge lists (graph.h) and the walks
 * over whatever loads (walk.h).
 *
 *     make fuzz && build-fuzz/fuzz_graph -max_total_time=300 fuzz/corpus/graph
 *
 * Each input is one edge-list file's bytes (plain or gzip), put in a memfd
 * and opened through /proc/self/fd. The first byte picks the options
 * (directed, weighted, duplicates, self-loops). Besides "no crash, no
 * leak", the harness checks (abort on failure):
 *   - emb_graph_load succeeds or fails with a status and a message;
 *   - on success the CSR is well formed: offsets non-decreasing from 0 to
 *     n_arcs, every row strictly increasing with ids in range, weights
 *     finite and > 0, degree = the row's weight sum, no self-loop unless
 *     kept, every name found at its id, and undirected graphs symmetric
 *     with equal weights both ways;
 *   - a short node2vec walk set exists, follows arcs, and has one walk per
 *     node and round. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/graph.h"
#include "emb/walk.h"

static int g_fd = -1;
static char g_path[64];

#define REQUIRE(c)                                                             \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_graph: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void check_graph(const struct emb_graph *g, const struct emb_graph_params *p) {
    REQUIRE(g->n_nodes >= 1 && g->n_arcs >= 1 && g->offsets[0] == 0 && g->offsets[g->n_nodes] == g->n_arcs);
    REQUIRE(emb_vocab_size(g->names) == g->n_nodes && (g->weights != NULL) == (p->weighted != 0));
    for (int32_t u = 0; u < g->n_nodes; u++) {
        const char *name = emb_vocab_word(g->names, u);
        REQUIRE(emb_vocab_find(g->names, name, strlen(name)) == u);
        REQUIRE(g->offsets[u] <= g->offsets[u + 1]);
        double deg = 0;
        for (int64_t a = g->offsets[u]; a < g->offsets[u + 1]; a++) {
            int32_t v = g->adj[a];
            REQUIRE(v >= 0 && v < g->n_nodes);
            if (a > g->offsets[u]) REQUIRE(g->adj[a - 1] < v);
            if (p->self_loops == EMB_GRAPH_LOOPS_DROP) REQUIRE(v != u);
            float w = g->weights ? g->weights[a] : 1.0f;
            REQUIRE(isfinite(w) && w > 0);
            deg += w;
            REQUIRE(emb_graph_find_arc(g, u, v) == a);
            if (!p->directed) {
                int64_t b = emb_graph_find_arc(g, v, u);
                REQUIRE(b >= 0 && (!g->weights || g->weights[b] == w));
            }
        }
        REQUIRE(fabs(deg - g->degree[u]) <= 1e-6 * (deg > 1 ? deg : 1));
    }
}

static void check_walks(const struct emb_graph *g) {
    struct emb_err err = {0};
    struct emb_walk_params wp = emb_walk_default_params();
    wp.walk_length = 6;
    wp.walks_per_node = 2;
    wp.p = 0.5;
    wp.q = 2;
    wp.chunk_tokens = 7;
    struct emb_stream *s = NULL;
    int64_t *visits = NULL;
    struct emb_train_opts o = emb_train_default_opts();
    int rc = emb_walk_generate(g, &wp, &o, &s, &visits, NULL, &err);
    REQUIRE(rc == EMB_OK);
    REQUIRE(emb_stream_n_sentences(s) == 2 * (int64_t)g->n_nodes);
    int64_t n = 0, *seen = calloc((size_t)g->n_nodes, sizeof *seen);
    REQUIRE(seen);
    for (int64_t c = 0; c < emb_stream_n_chunks(s); c++) {
        struct emb_stream_cursor cur;
        emb_stream_chunk(s, c, &cur);
        int32_t buf[6];
        int64_t k;
        while ((k = emb_stream_next_sentence(&cur, buf, 6)) >= 0) {
            for (int64_t i = 0; i < k; i++) {
                seen[buf[i]]++;
                if (i) REQUIRE(emb_graph_has_edge(g, buf[i - 1], buf[i]));
            }
            n += k;
        }
    }
    REQUIRE(n == emb_stream_n_tokens(s));
    for (int32_t v = 0; v < g->n_nodes; v++) REQUIRE(seen[v] == visits[v] && visits[v] >= 2);
    free(seen);
    emb_free(visits);
    emb_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) {
        g_fd = memfd_create("fuzz_graph", 0);
        if (g_fd < 0) abort();
        snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    }
    if (size < 1) return 0;
    uint8_t opt = data[0];
    data++, size--;
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != (ssize_t)size) abort();
    struct emb_graph_params p = emb_graph_default_params();
    p.directed = opt & 1;
    p.weighted = (opt >> 1) & 1;
    p.duplicates = (opt >> 2) & 1 ? EMB_GRAPH_DUP_FIRST : EMB_GRAPH_DUP_SUM;
    p.self_loops = (opt >> 3) & 1 ? EMB_GRAPH_LOOPS_KEEP : EMB_GRAPH_LOOPS_DROP;
    struct emb_err err = {0};
    struct emb_graph *g = NULL;
    int rc = emb_graph_load(&g, g_path, &p, &err);
    if (rc != EMB_OK) {
        REQUIRE(rc < 0 && err.code == rc && err.msg[0] != '\0' && g == NULL);
        return 0;
    }
    check_graph(g, &p);
    if (g->n_nodes <= 1000) check_walks(g);
    emb_graph_free(g);
    return 0;
}
