/* cmd_links.c -- `emb train line` and `emb eval links` (link prediction). */
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/graph.h"
#include "emb/line.h"
#include "emb/linkpred.h"
#include "emb/n2v.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "opt.h"

struct opts {
    const char *cmd, *input, *output, *method, *resume;
    struct emb_train_opts to;
    struct emb_graph_params gp;
    struct emb_line_params lp;
    struct emb_walk_params wp;
    struct emb_w2v_params sp;
    enum emb_vec_format fmt;
    double remove, C, samples;
    int order, kernel, dim, negative;
    float alpha;
    int quiet, json;
};

static const char *const order_words[] = {"1", "2", "both", NULL};
static const char *const kernel_words[] = {"batch", "plain", NULL}; /* enum emb_w2v_kernel */

#define T struct opts
/* Options both commands take (LINE's; eval links passes the shared ones on
 * to skip-gram too). */
#define LINE_OPTS                                                                                                  \
    CLI_ENUM_OPT("order", T, order, order_words, "1|2|both",                                                         \
                 "proximity; both = dim/2 of each, each part\nscaled to unit length and concatenated, as in the "   \
                 "paper",                                                                                           \
                 "2"),                                                                                              \
        CLI_INT_OPT("dim", 0, T, dim, 1, 10000, "N", "vector size", "128"),                                        \
        CLI_INT_OPT("negative", 0, T, negative, 1, 1000, "N", "negative samples per edge", "5"),                    \
        CLI_DOUBLE_OPT("samples", T, samples, 1e-6, 1e7, "N",                                                      \
                       "edges drawn in all, in millions\n(default: 100 per arc, at least 1 million)", NULL),       \
        CLI_FLOAT_OPT("alpha", T, alpha, 1e-9, 10, "X", "starting learning rate, decays linearly", "0.025"),       \
        CLI_FLAG_OPT("weighted", T, gp.weighted, "third column is the edge weight (> 0)"),                         \
        CLI_FLAG_OPT("directed", T, gp.directed, "edges are arcs u->v (default: undirected)")
#define RUN_OPTS(seed_help)                                                                                         \
    CLI_THREADS_OPT(T, to.n_threads, "threads", "all CPUs"), CLI_SEED_OPT(T, to.seed, seed_help, "1"),                     \
        CLI_QUIET_OPT(T, quiet, "no progress line"), CLI_JSON_OPT(T, json, "print a JSON summary on stdout")

static const struct cli_opt line_opts[] = {
    CLI_STR_OPT("input", 0, T, input, "EDGES", "edge list: 'u v [weight]' lines", NULL),
    CLI_STR_OPT("output", 0, T, output, "VECTORS", "vectors to write", NULL),
    LINE_OPTS,
    RUN_OPTS("random seed"),
    CLI_FORMAT_OPT("format", T, fmt, "text|bin|npy", "output format", "from the extension"),
    CLI_CHECKPOINT_OPT(T, to.checkpoint_path, "save training state every --checkpoint-every seconds\nand on "
                                              "SIGINT/SIGTERM"),
    CLI_CHECKPOINT_EVERY_OPT(T, to.checkpoint_every, "600"),
    CLI_RESUME_OPT(T, resume, "continue from a checkpoint and keep checkpointing into it\n(same input and options; "
                              "with --threads 1 the result\nequals an uninterrupted run)"),
};

static const struct cli_opt links_opts[] = {
    CLI_STR_OPT("method", 0, T, method, "M", "node2vec, deepwalk or line (required)", NULL),
    CLI_DOUBLE_OPT("remove", T, remove, 1e-9, 1 - 1e-9, "F", "fraction of edges removed", "0.5"),
    CLI_DOUBLE_OPT("C", T, C, 1e-9, 1e9, "X", "inverse L2 strength of the classifier", "1.0"),
    RUN_OPTS("seeds the split and the training"),
    CLI_SECTION_OPT("node2vec and deepwalk"),
    CLI_DOUBLE_OPT("p", T, wp.p, 1e-9, 1e9, "X", "return parameter (node2vec)", "1"),
    CLI_DOUBLE_OPT("q", T, wp.q, 1e-9, 1e9, "X", "in-out parameter (node2vec)", "1"),
    CLI_INT_OPT("walk-length", 0, T, wp.walk_length, 1, 1000000, "N", "steps per walk", "80"),
    CLI_INT_OPT("walks-per-node", 0, T, wp.walks_per_node, 1, 1000000, "N", "walks from each node", "10"),
    CLI_INT_OPT("window", 0, T, sp.window, 1, 1000, "N", "skip-gram context distance", "10"),
    CLI_INT_OPT("epochs", 0, T, sp.epochs, 1, 100000, "N", "skip-gram passes over the walks", "3"),
    CLI_ENUM_OPT("kernel", T, kernel, kernel_words, "batch|plain", "skip-gram NS kernel", "batch"),
    CLI_SECTION_OPT("line (--dim, --negative and --alpha apply to all methods)"),
    LINE_OPTS,
    CLI_STR_OPT("input", 0, T, input, "EDGES", NULL, NULL),
};
#undef T

static const struct cli_spec line_spec = {
    .cmd = "train line",
    .usage = "usage: emb train line --input EDGES --output VECTORS [options]\n"
             "\n"
             "LINE (Tang et al. 2015): first-order (linked nodes close) and second-order\n"
             "(nodes with similar neighbourhoods close) proximity, by sampling edges in\n"
             "proportion to their weight, with negative sampling.\n",
    .opts = line_opts,
    .n_opts = CLI_NOPTS(line_opts),
    .tail = "example: emb train line --input edges.tsv --output line.txt --order both\n",
    .max_args = 0,
};

static const struct cli_spec links_spec = {
    .cmd = "eval links",
    .usage = "usage: emb eval links EDGES --method node2vec|deepwalk|line [options]\n"
             "\n"
             "Link prediction with the node2vec paper's protocol: remove a fraction of\n"
             "the edges at random keeping the rest connected, train node vectors on the\n"
             "rest, fit a logistic regression on half of the removed edges and as many\n"
             "non-edges, and report the ROC-AUC on the other half (with other non-edges)\n"
             "for the Hadamard, average, L1 and L2 edge features. Undirected graphs.\n",
    .opts = links_opts,
    .n_opts = CLI_NOPTS(links_opts),
    .tail = "example: emb eval links edges.tsv --method node2vec --p 1 --q 1\n",
    .max_args = 1,
};

/* Copy the options both trainers share into their params, where given. */
static void apply_shared(struct opts *o, const struct cli_spec *spec, const struct cli_args *a) {
    o->lp.order = (enum emb_line_order)(o->order + 1);
    o->sp.kernel = (enum emb_w2v_kernel)o->kernel;
    if (cli_given(spec, a, "dim")) o->lp.dim = o->sp.dim = o->dim;
    if (cli_given(spec, a, "negative")) o->lp.negative = o->sp.negative = o->negative;
    if (cli_given(spec, a, "alpha")) o->lp.rho = o->sp.alpha = o->alpha;
    if (cli_given(spec, a, "samples")) o->lp.n_samples = (int64_t)(o->samples * 1e6);
}

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse(struct opts *o, const struct cli_spec *spec, int argc, char **argv) {
    struct emb_err err = {0};
    struct cli_args a;
    int st = cli_parse(spec, argc, argv, o, &a);
    if (st >= 0) return st;
    apply_shared(o, spec, &a);
    if (spec == &links_spec) {
        if (a.n > 0 && !o->input) o->input = a.v[0];
        else if (a.n > 0) return cli_usage_error(o->cmd, "unexpected argument '%s'", a.v[0]);
        if (!o->input) return cli_usage_error(o->cmd, "EDGES is required (see --help)");
        if (!o->method) return cli_usage_error(o->cmd, "--method node2vec|deepwalk|line is required");
        if (strcmp(o->method, "node2vec") && strcmp(o->method, "deepwalk") && strcmp(o->method, "line"))
            return cli_usage_error(o->cmd, "--method must be node2vec, deepwalk or line, got '%s'", o->method);
        if (!strcmp(o->method, "line") && cli_given(spec, &a, "kernel"))
            return cli_usage_error(o->cmd, "--kernel is for deepwalk and node2vec (skip-gram)");
        if (!strcmp(o->method, "deepwalk") && (o->wp.p != 1 || o->wp.q != 1))
            return cli_usage_error(o->cmd, "--p and --q are for node2vec (deepwalk is p = q = 1)");
    } else {
        if (!o->input) return cli_usage_error(o->cmd, "--input EDGES is required");
        if (!o->output) return cli_usage_error(o->cmd, "--output VECTORS is required");
    }
    if (emb_line_params_check(&o->lp, &err) != EMB_OK) return cli_usage_error(o->cmd, "%s", err.msg);
    const struct cli_path paths[] = {
        {"--input", o->input, CLI_IN, 0},
        {"--resume", o->resume, CLI_RESUME, 0},
        {"--output", o->output, CLI_VECS, (int)o->fmt},
        {"--checkpoint", o->to.checkpoint_path, CLI_CKPT, 0},
    };
    if ((st = cli_check_paths(o->cmd, paths, sizeof paths / sizeof paths[0])) != 0) return st;
    if ((st = cli_train_resume(o->cmd, o->resume, &o->to)) != 0) return st;
    return -1;
}

static void init_opts(struct opts *o, const char *cmd) {
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->gp = emb_graph_default_params();
    o->lp = emb_line_default_params();
    o->wp = emb_walk_default_params();
    o->sp = emb_n2v_default_w2v_params();
    o->to = emb_train_default_opts();
    o->to.n_threads = emb_cpu_count();
    o->order = (int)o->lp.order - 1;
    o->kernel = (int)o->sp.kernel;
    o->remove = 0.5;
    o->C = 1.0;
}

int cmd_train_line(int argc, char **argv) {
    struct opts o;
    init_opts(&o, "train line");
    int st = parse(&o, &line_spec, argc, argv);
    if (st >= 0) return st;
    struct cli_progress bar;
    cli_train_attach(&o.to, &bar, o.quiet, o.cmd);
    struct emb_err err = {0};
    struct emb_graph *g = NULL;
    struct emb_table *vec = NULL;
    double t0 = cli_now();
    int rc = emb_graph_load(&g, o.input, &o.gp, &err);
    if (rc == EMB_OK) rc = emb_line_train(g, &o.lp, &o.to, &vec, &err);
    cli_progress_done(&bar);
    double t_train = cli_now() - t0;
    if (rc == EMB_OK) rc = emb_vecs_save(g->names, vec, o.output, o.fmt, NULL, &err);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: %s; %s not written\n", o.cmd, emb_err_msg(&err, rc), o.output);
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet)
            fprintf(stderr, "emb: LINE order %s, dim %d on %d nodes, %lld arcs in %.2f s; wrote %s\n",
                    o.lp.order == EMB_LINE_BOTH ? "both" : o.lp.order == EMB_LINE_FIRST ? "1" : "2", o.lp.dim,
                    g->n_nodes, (long long)g->n_arcs, t_train, o.output);
        if (o.json) {
            struct json_object *j = json_object_new_object();
            json_object_object_add(j, "model", json_object_new_string("line"));
            json_object_object_add(j, "nodes", json_object_new_int(g->n_nodes));
            json_object_object_add(j, "arcs", json_object_new_int64(g->n_arcs));
            json_object_object_add(j, "dim", json_object_new_int(o.lp.dim));
            json_object_object_add(j, "seconds", json_object_new_double(t_train));
            json_object_object_add(j, "output", json_object_new_string(o.output));
            cli_json_print(j);
        }
    }
    emb_table_free(vec);
    emb_graph_free(g);
    return st;
}

int cmd_eval_links(int argc, char **argv) {
    struct opts o;
    init_opts(&o, "eval links");
    int st = parse(&o, &links_spec, argc, argv);
    if (st >= 0) return st;
    struct cli_progress bar;
    cli_train_attach(&o.to, &bar, o.quiet, o.cmd);
    struct emb_err err = {0};
    struct emb_graph *g = NULL;
    struct emb_table *vec = NULL;
    struct emb_linkpred_split s;
    memset(&s, 0, sizeof s);
    double auc[EMB_EDGE_N_OPS];
    double t0 = cli_now(), t_train = 0;
    int rc = emb_graph_load(&g, o.input, &o.gp, &err);
    if (rc == EMB_OK) rc = emb_linkpred_split(g, o.remove, o.to.seed, &s, &err);
    if (rc == EMB_OK) {
        double t1 = cli_now();
        if (!strcmp(o.method, "line")) rc = emb_line_train(s.residual, &o.lp, &o.to, &vec, &err);
        else rc = emb_n2v_train(s.residual, &o.wp, &o.sp, &o.to, &vec, NULL, &err);
        t_train = cli_now() - t1;
    }
    cli_progress_done(&bar);
    for (int op = 0; rc == EMB_OK && op < EMB_EDGE_N_OPS; op++)
        rc = emb_linkpred_auc(vec, &s, (enum emb_edge_op)op, o.C, &auc[op], &err);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: interrupted\n", o.cmd);
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else if (o.json) {
        struct json_object *j = json_object_new_object(), *a = json_object_new_object();
        json_object_object_add(j, "method", json_object_new_string(o.method));
        json_object_object_add(j, "nodes", json_object_new_int(g->n_nodes));
        json_object_object_add(j, "edges", json_object_new_int64(g->n_arcs / 2));
        json_object_object_add(j, "removed", json_object_new_int64(s.n_test + s.n_train));
        json_object_object_add(j, "test_pairs", json_object_new_int64(2 * s.n_test));
        for (int op = 0; op < EMB_EDGE_N_OPS; op++)
            json_object_object_add(a, emb_edge_op_name((enum emb_edge_op)op), json_object_new_double(auc[op]));
        json_object_object_add(j, "auc", a);
        json_object_object_add(j, "train_seconds", json_object_new_double(t_train));
        json_object_object_add(j, "total_seconds", json_object_new_double(cli_now() - t0));
        cli_json_print(j);
        st = 0;
    } else {
        printf("link prediction, %s: %d nodes, %lld edges, %lld removed (%lld fit the classifier, %lld test), "
               "embedding trained in %.1f s\n",
               o.method, g->n_nodes, (long long)(g->n_arcs / 2), (long long)(s.n_test + s.n_train),
               (long long)s.n_train, (long long)s.n_test, t_train);
        printf("operator    ROC-AUC\n");
        for (int op = 0; op < EMB_EDGE_N_OPS; op++) printf("%-10s  %.4f\n", emb_edge_op_name((enum emb_edge_op)op), auc[op]);
        st = 0;
    }
    emb_linkpred_split_free(&s);
    emb_table_free(vec);
    emb_graph_free(g);
    return st;
}
