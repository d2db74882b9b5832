/* cmd_graph.c -- `emb train deepwalk|node2vec`: load an edge list, make
 * random walks in memory, train skip-gram on them, save one vector a node. */
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/graph.h"
#include "emb/n2v.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "emb/w2v.h"
#include "emb/walk.h"

static const char *GRAPH_USAGE =
    "usage: emb train deepwalk|node2vec --input EDGES --output VECTORS [options]\n"
    "\n"
    "Embed the nodes of a graph: random walks (DeepWalk: uniform; node2vec: biased\n"
    "by --p and --q, exact second-order probabilities), then skip-gram with negative\n"
    "sampling on the walks. EDGES is plain or gzip text (\"-\" = stdin), one edge a\n"
    "line, \"u v\" or with --weighted \"u v weight\", separated by spaces or tabs;\n"
    "node names are any strings; blank lines and '#' lines are skipped. Every node\n"
    "gets a vector, written under its name (isolated nodes too: their walks hold\n"
    "only themselves, so their vectors stay near their random start).\n"
    "\n"
    "graph:\n"
    "  --directed            edges are arcs u -> v (default: undirected)\n"
    "  --weighted            three columns; weights must be finite and > 0\n"
    "  --duplicates sum|first  repeated edges: add weights (default) or keep the first\n"
    "  --self-loops drop|keep  lines \"u u\" (default drop)\n"
    "walks:\n"
    "  --walk-length N       nodes per walk (80)\n"
    "  --walks-per-node N    walks starting at each node (10)\n"
    "  --p X                 node2vec return parameter (1); > 0\n"
    "  --q X                 node2vec in-out parameter (1); > 0\n"
    "  --save-walks FILE     also write the walks, one a line, as node names\n"
    "skip-gram:\n"
    "  --dim N               vector size (128)\n"
    "  --window N            max context distance (10)\n"
    "  --negative N          negative samples (5)\n"
    "  --epochs N            passes over the walks (3; see emb_n2v_default_w2v_params)\n"
    "  --alpha X             starting learning rate (0.025)\n"
    "  --sample X            subsampling threshold (0 = off, the default)\n"
    "  --kernel batch|plain  skip-gram kernel: negatives shared per window as small\n"
    "                        matrix products (batch, default) or word2vec.c's loop\n"
    "run:\n"
    "  --threads N           worker threads (default: number of CPUs)\n"
    "  --seed N              random seed (1); with --threads 1 output is reproducible\n"
    "                        (the walks themselves are the same for any thread count)\n"
    "  --format text|bin|npy output format (default from the extension)\n"
    "  --checkpoint FILE     save training state every --checkpoint-every seconds\n"
    "                        (600) and on SIGINT/SIGTERM\n"
    "  --resume FILE         continue from a checkpoint (same input and walk options)\n"
    "                        and keep checkpointing into it\n"
    "  --quiet               no progress or summary on stderr\n"
    "  --json                print a JSON summary on stdout\n"
    "\n"
    "example:\n"
    "  emb train node2vec --p 0.25 --q 4 --input edges.tsv --output nodes.bin --threads 2\n";

enum {
    OPT_INPUT = 256, OPT_OUTPUT, OPT_DIRECTED, OPT_WEIGHTED, OPT_DUPLICATES, OPT_SELF_LOOPS, OPT_WALK_LENGTH,
    OPT_WALKS_PER_NODE, OPT_P, OPT_Q, OPT_SAVE_WALKS, OPT_DIM, OPT_WINDOW, OPT_NEGATIVE, OPT_EPOCHS, OPT_ALPHA,
    OPT_SAMPLE, OPT_THREADS, OPT_SEED, OPT_FORMAT, OPT_CHECKPOINT, OPT_CHECKPOINT_EVERY, OPT_RESUME, OPT_QUIET,
    OPT_JSON, OPT_HELP, OPT_KERNEL
};

static const struct option graph_options[] = {
    {"input", required_argument, 0, OPT_INPUT},
    {"output", required_argument, 0, OPT_OUTPUT},
    {"directed", no_argument, 0, OPT_DIRECTED},
    {"weighted", no_argument, 0, OPT_WEIGHTED},
    {"duplicates", required_argument, 0, OPT_DUPLICATES},
    {"self-loops", required_argument, 0, OPT_SELF_LOOPS},
    {"walk-length", required_argument, 0, OPT_WALK_LENGTH},
    {"walks-per-node", required_argument, 0, OPT_WALKS_PER_NODE},
    {"p", required_argument, 0, OPT_P},
    {"q", required_argument, 0, OPT_Q},
    {"save-walks", required_argument, 0, OPT_SAVE_WALKS},
    {"dim", required_argument, 0, OPT_DIM},
    {"size", required_argument, 0, OPT_DIM},
    {"window", required_argument, 0, OPT_WINDOW},
    {"negative", required_argument, 0, OPT_NEGATIVE},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"iter", required_argument, 0, OPT_EPOCHS},
    {"alpha", required_argument, 0, OPT_ALPHA},
    {"sample", required_argument, 0, OPT_SAMPLE},
    {"threads", required_argument, 0, OPT_THREADS},
    {"seed", required_argument, 0, OPT_SEED},
    {"format", required_argument, 0, OPT_FORMAT},
    {"checkpoint", required_argument, 0, OPT_CHECKPOINT},
    {"checkpoint-every", required_argument, 0, OPT_CHECKPOINT_EVERY},
    {"resume", required_argument, 0, OPT_RESUME},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"json", no_argument, 0, OPT_JSON},
    {"help", no_argument, 0, OPT_HELP},
    {"kernel", required_argument, 0, OPT_KERNEL},
    {0, 0, 0, 0},
};

/* The summary line on stderr (unless quiet) and the --json object. */
static void graph_summary(const char *model, const struct emb_graph *g, const struct emb_graph_params *gp,
                          const struct emb_walk_params *wp, const struct emb_n2v_stats *st, int threads, double t_load,
                          double t_total, const char *output, int quiet, int json) {
    const struct emb_walk_stats *ws = &st->walks;
    const struct emb_w2v_params *mp = &st->trained;
    if (!quiet)
        fprintf(stderr, "emb: %s: %lld walks, %lld steps in %.2f s (%.0f steps/s, %d threads); trained skip-gram "
                        "dim %d x %d epochs in %.2f s, total %.2f s; wrote %s\n",
                model, (long long)ws->n_walks, (long long)ws->n_steps, ws->seconds, ws->steps_per_sec, threads,
                mp->dim, mp->epochs, st->train_seconds, t_total, output);
    if (!json) return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(model));
    json_object_object_add(o, "nodes", json_object_new_int(g->n_nodes));
    json_object_object_add(o, "arcs", json_object_new_int64(g->n_arcs));
    json_object_object_add(o, "directed", json_object_new_boolean(gp->directed));
    json_object_object_add(o, "weighted", json_object_new_boolean(gp->weighted));
    json_object_object_add(o, "p", json_object_new_double(wp->p));
    json_object_object_add(o, "q", json_object_new_double(wp->q));
    json_object_object_add(o, "walk_length", json_object_new_int(wp->walk_length));
    json_object_object_add(o, "walks_per_node", json_object_new_int(wp->walks_per_node));
    json_object_object_add(o, "walks", json_object_new_int64(ws->n_walks));
    json_object_object_add(o, "steps", json_object_new_int64(ws->n_steps));
    json_object_object_add(o, "proposals", json_object_new_int64(ws->n_proposals));
    json_object_object_add(o, "fallbacks", json_object_new_int64(ws->n_fallbacks));
    json_object_object_add(o, "load_seconds", json_object_new_double(t_load));
    json_object_object_add(o, "walk_seconds", json_object_new_double(ws->seconds));
    json_object_object_add(o, "steps_per_second", json_object_new_double(ws->steps_per_sec));
    json_object_object_add(o, "dim", json_object_new_int(mp->dim));
    json_object_object_add(o, "window", json_object_new_int(mp->window));
    json_object_object_add(o, "epochs", json_object_new_int(mp->epochs));
    json_object_object_add(o, "threads", json_object_new_int(threads));
    json_object_object_add(o, "train_seconds", json_object_new_double(st->train_seconds));
    json_object_object_add(o, "total_seconds", json_object_new_double(t_total));
    json_object_object_add(o, "output", json_object_new_string(output));
    cli_json_print(o);
}

int cmd_train_graph(const char *model, int argc, char **argv) {
    char cmd[32];
    snprintf(cmd, sizeof cmd, "train %s", model);
    const int node2vec = !strcmp(model, "node2vec");
    struct emb_graph_params gp = emb_graph_default_params();
    struct emb_walk_params wp = emb_walk_default_params();
    struct emb_w2v_params p = emb_n2v_default_w2v_params();
    struct emb_train_opts to = emb_train_default_opts();
    to.n_threads = emb_cpu_count();
    uint32_t given = 0;
    const char *input = NULL, *output = NULL, *resume = NULL;
    enum emb_vec_format fmt = EMB_FMT_AUTO;
    int quiet = 0, json = 0;
    long long v;
    double d;
    struct emb_err err = {0};
    optind = 1;
    opterr = 0;
    int c;
    int idx = 0;
    while ((c = getopt_long(argc, argv, ":", graph_options, &idx)) != -1) {
        switch (c) {
        case OPT_INPUT: input = optarg; break;
        case OPT_OUTPUT: output = optarg; break;
        case OPT_DIRECTED: gp.directed = 1; break;
        case OPT_WEIGHTED: gp.weighted = 1; break;
        case OPT_DUPLICATES:
            if (!strcmp(optarg, "sum")) gp.duplicates = EMB_GRAPH_DUP_SUM;
            else if (!strcmp(optarg, "first")) gp.duplicates = EMB_GRAPH_DUP_FIRST;
            else return cli_usage_error(cmd, "--duplicates must be sum or first, got '%s'", optarg);
            break;
        case OPT_SELF_LOOPS:
            if (!strcmp(optarg, "drop")) gp.self_loops = EMB_GRAPH_LOOPS_DROP;
            else if (!strcmp(optarg, "keep")) gp.self_loops = EMB_GRAPH_LOOPS_KEEP;
            else return cli_usage_error(cmd, "--self-loops must be drop or keep, got '%s'", optarg);
            break;
        case OPT_WALK_LENGTH:
            if (cli_parse_ll(cmd, "--walk-length", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            wp.walk_length = (int32_t)v;
            break;
        case OPT_WALKS_PER_NODE:
            if (cli_parse_ll(cmd, "--walks-per-node", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            wp.walks_per_node = (int32_t)v;
            break;
        case OPT_P:
        case OPT_Q:
            if (!node2vec) return cli_usage_error(cmd, "--p and --q apply to node2vec only");
            if (cli_parse_double(cmd, c == OPT_P ? "--p" : "--q", optarg, -1e300, 1e300, &d)) return CLI_EXIT_USAGE;
            if (c == OPT_P) wp.p = d;
            else wp.q = d;
            break;
        case OPT_SAVE_WALKS: wp.save_path = optarg; break;
        case OPT_FORMAT:
            if (emb_vec_format_parse(optarg, &fmt, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_CHECKPOINT: to.checkpoint_path = optarg; break;
        case OPT_RESUME: resume = optarg; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_DIM: case OPT_WINDOW: case OPT_NEGATIVE: case OPT_EPOCHS: case OPT_ALPHA: case OPT_SAMPLE:
        case OPT_THREADS: case OPT_SEED: case OPT_CHECKPOINT_EVERY: case OPT_KERNEL:
            if (cli_w2v_option(cmd, graph_options[idx].name, optarg, &p, &to)) return CLI_EXIT_USAGE;
            given |= cli_w2v_given_bit(graph_options[idx].name);
            break;
        case OPT_HELP: fputs(GRAPH_USAGE, stdout); return 0;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!input) return cli_usage_error(cmd, "--input EDGES is required");
    if (!output) return cli_usage_error(cmd, "--output VECTORS is required");
    wp.trainer = node2vec ? "node2vec" : "deepwalk";
    if (emb_walk_params_check(&wp, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    if (emb_w2v_params_check(&p, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    const struct cli_path paths[] = {
        {"--input", input, CLI_IN, 0},         {"--resume", resume, CLI_RESUME, 0},
        {"--output", output, CLI_VECS, (int)fmt}, {"--save-walks", wp.save_path, CLI_OUT, 0},
        {"--checkpoint", to.checkpoint_path, CLI_CKPT, 0},
    };
    int rc = cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0]);
    if (rc == 0) rc = cli_train_resume(cmd, resume, &to);
    if (rc != 0) return rc;

    struct cli_progress bar;
    cli_train_attach(&to, &bar, quiet, cmd);

    int status = CLI_EXIT_FAIL;
    struct emb_graph *g = NULL;
    struct emb_table *vec = NULL;
    struct emb_n2v_stats st;
    double t0 = cli_now();
    if (resume && (rc = cli_w2v_inherit(resume, given, &p, &to, &err)) != EMB_OK) goto fail;
    if ((rc = emb_graph_load(&g, input, &gp, &err)) != EMB_OK) goto fail;
    double t_load = cli_now() - t0;
    if (!quiet)
        fprintf(stderr, "emb: %s graph: %d nodes, %lld arcs (%lld edge lines), loaded in %.2f s\n",
                gp.directed ? "directed" : "undirected", g->n_nodes, (long long)g->n_arcs, (long long)g->n_lines,
                t_load);
    rc = emb_n2v_train(g, &wp, &p, &to, &vec, &st, &err);
    cli_progress_done(&bar);
    if (rc != EMB_OK) goto fail;
    if ((rc = emb_vecs_save(g->names, vec, output, fmt, NULL, &err)) != EMB_OK) goto fail;
    graph_summary(model, g, &gp, &wp, &st, emb_train_threads(&to), t_load, cli_now() - t0, output, quiet, json);
    status = 0;
    goto done;
fail:
    cli_progress_done(&bar);
    status = cli_train_failed(cmd, rc, &err);
done:
    emb_table_free(vec);
    emb_graph_free(g);
    return status;
}
