/* cmd_graph.c -- `emb train deepwalk|node2vec`: load an edge list, make
 * random walks in memory, train skip-gram on them, save one vector a node. */
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
#include "train_opts.h"

struct gopts {
    struct emb_graph_params gp;
    struct emb_walk_params wp;
    struct emb_w2v_params p;
    struct emb_train_opts to;
    const char *input, *output, *resume;
    enum emb_vec_format fmt;
    int quiet, json;
};

static const char *const dup_words[] = {"sum", "first", NULL};   /* enum emb_graph_dup */
static const char *const loops_words[] = {"drop", "keep", NULL}; /* enum emb_graph_loops */

#define T struct gopts
static const struct cli_opt graph_opts[] = {
    CLI_TRAIN_FILES_OPTS(T, "EDGES", "the edge list (required)"),
    CLI_SECTION_OPT("graph"),
    CLI_FLAG_OPT("directed", T, gp.directed, "edges are arcs u -> v (default: undirected)"),
    CLI_FLAG_OPT("weighted", T, gp.weighted, "three columns; weights must be finite and > 0"),
    CLI_ENUM_OPT("duplicates", T, gp.duplicates, dup_words, "sum|first",
                 "repeated edges: add weights or keep the first", "sum"),
    CLI_ENUM_OPT("self-loops", T, gp.self_loops, loops_words, "drop|keep", "lines \"u u\"", "drop"),
    CLI_SECTION_OPT("walks"),
    CLI_INT_OPT("walk-length", 0, T, wp.walk_length, 1, 1000000, "N", "nodes per walk", "80"),
    CLI_INT_OPT("walks-per-node", 0, T, wp.walks_per_node, 1, 1000000, "N", "walks starting at each node", "10"),
    CLI_DOUBLE_OPT("p", T, wp.p, -1e300, 1e300, "X", "node2vec return parameter; > 0", "1"),
    CLI_DOUBLE_OPT("q", T, wp.q, -1e300, 1e300, "X", "node2vec in-out parameter; > 0", "1"),
    CLI_STR_OPT("save-walks", 0, T, wp.save_path, "FILE", "also write the walks, one a line, as node names", NULL),
    CLI_SECTION_OPT("skip-gram"),
    CLI_SKIPGRAM_OPTS(T, p, "128", "10", "3", "0.025", "0 = off"),
    CLI_SECTION_OPT("run"),
    CLI_W2V_RUN_OPTS(T, to, p),
    CLI_RESUME_OPT(T, resume, "continue from a checkpoint (same input and walk options)\nand keep checkpointing into "
                              "it"),
    CLI_QUIET_OPT(T, quiet, "no progress or summary on stderr"),
    CLI_JSON_OPT(T, json, "print a JSON summary on stdout"),
};
#undef T

#define GRAPH_USAGE_TEXT(model)                                                                                    \
    "usage: emb train " model " --input EDGES --output VECTORS [options]\n"                                        \
    "\n"                                                                                                           \
    "Embed the nodes of a graph: random walks (DeepWalk: uniform; node2vec: biased\n"                              \
    "by --p and --q, exact second-order probabilities), then skip-gram with negative\n"                            \
    "sampling on the walks. EDGES is plain or gzip text (\"-\" = stdin), one edge a\n"                              \
    "line, \"u v\" or with --weighted \"u v weight\", separated by spaces or tabs;\n"                               \
    "node names are any strings; blank lines and '#' lines are skipped. Every node\n"                              \
    "gets a vector, written under its name (isolated nodes too: their walks hold\n"                                \
    "only themselves, so their vectors stay near their random start). With\n"                                      \
    "--threads 1 the output is reproducible; the walks themselves are the same\n"                                  \
    "for any thread count.\n"
static const struct cli_spec deepwalk_spec = {
    .cmd = "train deepwalk",
    .usage = GRAPH_USAGE_TEXT("deepwalk"),
    .opts = graph_opts,
    .n_opts = CLI_NOPTS(graph_opts),
    .tail = "example:\n  emb train deepwalk --input edges.tsv --output nodes.bin --threads 2\n",
    .max_args = 0,
};
static const struct cli_spec node2vec_spec = {
    .cmd = "train node2vec",
    .usage = GRAPH_USAGE_TEXT("node2vec"),
    .opts = graph_opts,
    .n_opts = CLI_NOPTS(graph_opts),
    .tail = "example:\n  emb train node2vec --p 0.25 --q 4 --input edges.tsv --output nodes.bin --threads 2\n",
    .max_args = 0,
};

/* Parse and check the options; returns -1 to go on, else an exit status. */
static int parse(const struct cli_spec *spec, struct gopts *o, int argc, char **argv, uint32_t *given) {
    const char *cmd = spec->cmd;
    const int node2vec = spec == &node2vec_spec;
    struct emb_err err = {0};
    struct cli_args a;
    memset(o, 0, sizeof *o);
    o->gp = emb_graph_default_params();
    o->wp = emb_walk_default_params();
    o->p = emb_n2v_default_w2v_params();
    o->to = emb_train_default_opts();
    o->to.n_threads = emb_cpu_count();
    int st = cli_parse(spec, argc, argv, o, &a);
    if (st >= 0) return st;
    if (!node2vec && (cli_given(spec, &a, "p") || cli_given(spec, &a, "q")))
        return cli_usage_error(cmd, "--p and --q apply to node2vec only");
    *given = cli_w2v_given(spec, &a);
    if (!o->input) return cli_usage_error(cmd, "--input EDGES is required");
    if (!o->output) return cli_usage_error(cmd, "--output VECTORS is required");
    o->wp.trainer = node2vec ? "node2vec" : "deepwalk";
    if (emb_walk_params_check(&o->wp, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    if (emb_w2v_params_check(&o->p, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    const struct cli_path paths[] = {
        {"--input", o->input, CLI_IN, 0},         {"--resume", o->resume, CLI_RESUME, 0},
        {"--output", o->output, CLI_VECS, (int)o->fmt}, {"--save-walks", o->wp.save_path, CLI_OUT, 0},
        {"--checkpoint", o->to.checkpoint_path, CLI_CKPT, 0},
    };
    if ((st = cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0])) != 0) return st;
    if ((st = cli_train_resume(cmd, o->resume, &o->to)) != 0) return st;
    return -1;
}

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

static int cmd_train_graph(const struct cli_spec *spec, int argc, char **argv) {
    const char *cmd = spec->cmd, *model = spec->cmd + strlen("train ");
    struct gopts o;
    uint32_t given = 0;
    struct emb_err err = {0};
    int rc = parse(spec, &o, argc, argv, &given);
    if (rc >= 0) return rc;
    struct emb_graph_params gp = o.gp;
    struct emb_walk_params wp = o.wp;
    struct emb_w2v_params p = o.p;
    struct emb_train_opts to = o.to;
    const char *input = o.input, *output = o.output, *resume = o.resume;
    enum emb_vec_format fmt = o.fmt;
    int quiet = o.quiet, json = o.json;

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

int cmd_train_deepwalk(int argc, char **argv) { return cmd_train_graph(&deepwalk_spec, argc, argv); }
int cmd_train_node2vec(int argc, char **argv) { return cmd_train_graph(&node2vec_spec, argc, argv); }
