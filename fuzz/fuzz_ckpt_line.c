/* fuzz_ckpt_line.c -- libFuzzer harness for LINE checkpoints (loaded by
 * emb_line_train with o.resume).
 *
 *     make fuzz && build-fuzz/fuzz_ckpt_line -max_total_time=300 fuzz/corpus/ckpt_line
 *
 * A LINE checkpoint is checked against the graph and settings of the run
 * that resumes it, so the harness has fixed ones: the 12-node graph below
 * and `--order both --dim 8 --samples 2 --seed 4` (the seeds in
 * fuzz/corpus/ckpt_line were written by
 *     emb train line --order both --dim 8 --samples 2 --seed 4 --threads 1
 *         --input EDGES --output o.txt --checkpoint ck --checkpoint-every 0.0001
 * on that graph). The run is stopped at once, so a checkpoint that loads
 * ends in EMB_EINTR. See ckpt_fuzz.h. */
#include <signal.h>

#include "ckpt_fuzz.h"
#include "emb/graph.h"
#include "emb/line.h"

static char g_in[96];
static struct emb_graph *g_graph;
static volatile sig_atomic_t g_stop = 1;

/* A ring of 12 nodes with chords (also in fuzz/corpus/ckpt_line/EDGES). */
static const char EDGES[] =
    "a\tb\nb\tc\nc\td\nd\te\ne\tf\nf\tg\ng\th\nh\ti\ni\tj\nj\tk\nk\tl\nl\ta\na\tg\nc\ti\ne\tk\n";

static void load(const char *path) {
    struct emb_err err = {0};
    struct emb_line_params p = emb_line_default_params();
    p.order = EMB_LINE_BOTH;
    p.dim = 8;
    p.n_samples = 2000000;
    struct emb_train_opts o = emb_train_default_opts();
    o.seed = 4;
    o.checkpoint_path = path;
    o.resume = 1;
    o.stop = &g_stop;
    struct emb_table *t = NULL;
    int rc = emb_line_train(g_graph, &p, &o, &t, &err);
    require_clean(rc, &err, EMB_EINTR);
    if (rc == EMB_OK) REQUIRE(t && t->n_rows == g_graph->n_nodes);
    else REQUIRE(t == NULL);
    emb_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        fuzz_dir("fuzz_ckpt_line");
        char edges[96];
        path_in(edges, sizeof edges, "edges.tsv");
        write_bytes(edges, EDGES, sizeof EDGES - 1);
        struct emb_err err = {0};
        struct emb_graph_params gp = emb_graph_default_params();
        REQUIRE(emb_graph_load(&g_graph, edges, &gp, &err) == EMB_OK);
        path_in(g_in, sizeof g_in, "in.ckpt");
    }
    load_both(g_in, data, size, load);
    return 0;
}
