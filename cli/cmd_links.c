/* cmd_links.c -- `emb train line` and `emb eval links` (link prediction). */
#include <getopt.h>
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

/* Options shared by both commands; each command accepts the ones that
 * apply to it. */
enum {
    OPT_INPUT = 256, OPT_OUTPUT, OPT_WEIGHTED, OPT_DIRECTED, OPT_ORDER, OPT_DIM, OPT_NEGATIVE, OPT_SAMPLES, OPT_RHO,
    OPT_THREADS, OPT_SEED, OPT_FORMAT, OPT_QUIET, OPT_JSON, OPT_HELP, OPT_METHOD, OPT_REMOVE, OPT_C, OPT_P, OPT_Q,
    OPT_WALK_LENGTH, OPT_WALKS_PER_NODE, OPT_WINDOW, OPT_EPOCHS, OPT_CHECKPOINT, OPT_CHECKPOINT_EVERY, OPT_RESUME, OPT_KERNEL
};

static const struct option options[] = {
    {"input", required_argument, 0, OPT_INPUT},       {"output", required_argument, 0, OPT_OUTPUT},
    {"weighted", no_argument, 0, OPT_WEIGHTED},       {"directed", no_argument, 0, OPT_DIRECTED},
    {"order", required_argument, 0, OPT_ORDER},       {"dim", required_argument, 0, OPT_DIM},
    {"negative", required_argument, 0, OPT_NEGATIVE}, {"samples", required_argument, 0, OPT_SAMPLES},
    {"alpha", required_argument, 0, OPT_RHO},         {"threads", required_argument, 0, OPT_THREADS},
    {"seed", required_argument, 0, OPT_SEED},         {"format", required_argument, 0, OPT_FORMAT},
    {"quiet", no_argument, 0, OPT_QUIET},             {"json", no_argument, 0, OPT_JSON},
    {"help", no_argument, 0, OPT_HELP},               {"method", required_argument, 0, OPT_METHOD},
    {"remove", required_argument, 0, OPT_REMOVE},     {"C", required_argument, 0, OPT_C},
    {"p", required_argument, 0, OPT_P},               {"q", required_argument, 0, OPT_Q},
    {"walk-length", required_argument, 0, OPT_WALK_LENGTH},
    {"walks-per-node", required_argument, 0, OPT_WALKS_PER_NODE},
    {"window", required_argument, 0, OPT_WINDOW},     {"epochs", required_argument, 0, OPT_EPOCHS},
    {"checkpoint", required_argument, 0, OPT_CHECKPOINT},
    {"checkpoint-every", required_argument, 0, OPT_CHECKPOINT_EVERY},
    {"resume", required_argument, 0, OPT_RESUME},
    {"kernel", required_argument, 0, OPT_KERNEL},
    {0, 0, 0, 0},
};

struct opts {
    const char *cmd, *input, *output, *method, *resume;
    struct emb_train_opts to;
    struct emb_graph_params gp;
    struct emb_line_params lp;
    struct emb_walk_params wp;
    struct emb_w2v_params sp;
    enum emb_vec_format fmt;
    double remove, C;
    int quiet, json, is_eval, kernel_set;
};

static const char *LINE_USAGE =
    "usage: emb train line --input EDGES --output VECTORS [options]\n"
    "\n"
    "LINE (Tang et al. 2015): first-order (linked nodes close) and second-order\n"
    "(nodes with similar neighbourhoods close) proximity, by sampling edges in\n"
    "proportion to their weight, with negative sampling.\n"
    "\n"
    "  --order 1|2|both   proximity (default 2); both = dim/2 of each, each part\n"
    "                     scaled to unit length and concatenated, as in the paper\n"
    "  --dim N            vector size (128)\n"
    "  --negative N       negative samples per edge (5)\n"
    "  --samples N        edges drawn in all, in millions (default: 100 per arc,\n"
    "                     at least 1 million)\n"
    "  --alpha X          starting learning rate (0.025), decays linearly\n"
    "  --weighted         third column is the edge weight (> 0)\n"
    "  --directed         edges are arcs u->v (default: undirected)\n"
    "  --threads N, --seed N, --format text|bin|npy, --quiet, --json\n"
    "  --checkpoint FILE  save training state every --checkpoint-every seconds\n"
    "                     (600) and on SIGINT/SIGTERM\n"
    "  --resume FILE      continue from a checkpoint and keep checkpointing into it\n"
    "                     (same input and options; with --threads 1 the result\n"
    "                     equals an uninterrupted run)\n"
    "\n"
    "example: emb train line --input edges.tsv --output line.txt --order both\n";

static const char *LINKS_USAGE =
    "usage: emb eval links EDGES --method node2vec|deepwalk|line [options]\n"
    "\n"
    "Link prediction with the node2vec paper's protocol: remove a fraction of\n"
    "the edges at random keeping the rest connected, train node vectors on the\n"
    "rest, fit a logistic regression on half of the removed edges and as many\n"
    "non-edges, and report the ROC-AUC on the other half (with other non-edges)\n"
    "for the Hadamard, average, L1 and L2 edge features. Undirected graphs.\n"
    "\n"
    "  --remove F         fraction of edges removed (0.5)\n"
    "  --C X              inverse L2 strength of the classifier (1.0)\n"
    "  --seed N           seeds the split and the training (1)\n"
    "  --weighted         third column is the edge weight\n"
    "method options: node2vec/deepwalk: --p, --q (node2vec), --walk-length (80),\n"
    "  --walks-per-node (10), --window (10), --epochs (3), --dim (128),\n"
    "  --negative (5), --kernel batch|plain (batch); line: --order (2), --dim,\n"
    "  --negative, --samples, --alpha\n"
    "  --threads N, --quiet, --json\n"
    "\n"
    "example: emb eval links edges.tsv --method node2vec --p 1 --q 1\n";

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse(struct opts *o, int argc, char **argv) {
    long long v;
    double d;
    struct emb_err err = {0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case OPT_INPUT: o->input = optarg; break;
        case OPT_OUTPUT: o->output = optarg; break;
        case OPT_WEIGHTED: o->gp.weighted = 1; break;
        case OPT_DIRECTED: o->gp.directed = 1; break;
        case OPT_ORDER:
            if (!strcmp(optarg, "1")) o->lp.order = EMB_LINE_FIRST;
            else if (!strcmp(optarg, "2")) o->lp.order = EMB_LINE_SECOND;
            else if (!strcmp(optarg, "both")) o->lp.order = EMB_LINE_BOTH;
            else return cli_usage_error(o->cmd, "--order must be 1, 2 or both, got '%s'", optarg);
            break;
        case OPT_DIM:
            if (cli_parse_ll(o->cmd, "--dim", optarg, 1, 10000, &v)) return CLI_EXIT_USAGE;
            o->lp.dim = o->sp.dim = (int32_t)v;
            break;
        case OPT_NEGATIVE:
            if (cli_parse_ll(o->cmd, "--negative", optarg, 1, 1000, &v)) return CLI_EXIT_USAGE;
            o->lp.negative = o->sp.negative = (int32_t)v;
            break;
        case OPT_SAMPLES:
            if (cli_parse_double(o->cmd, "--samples", optarg, 1e-6, 1e7, &d)) return CLI_EXIT_USAGE;
            o->lp.n_samples = (int64_t)(d * 1e6);
            break;
        case OPT_RHO:
            if (cli_parse_double(o->cmd, "--alpha", optarg, 1e-9, 10, &d)) return CLI_EXIT_USAGE;
            o->lp.rho = o->sp.alpha = (float)d;
            break;
        case OPT_THREADS:
            if (cli_parse_ll(o->cmd, "--threads", optarg, 1, 1024, &v)) return CLI_EXIT_USAGE;
            o->to.n_threads = (int32_t)v;
            break;
        case OPT_SEED:
            if (cli_parse_ll(o->cmd, "--seed", optarg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
            o->to.seed = (uint64_t)v;
            break;
        case OPT_FORMAT:
            if (emb_vec_format_parse(optarg, &o->fmt, &err) != EMB_OK) return cli_usage_error(o->cmd, "%s", err.msg);
            break;
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_HELP: fputs(o->is_eval ? LINKS_USAGE : LINE_USAGE, stdout); return 0;
        case OPT_METHOD: o->method = optarg; break;
        case OPT_REMOVE:
            if (cli_parse_double(o->cmd, "--remove", optarg, 1e-9, 1 - 1e-9, &o->remove)) return CLI_EXIT_USAGE;
            break;
        case OPT_C:
            if (cli_parse_double(o->cmd, "--C", optarg, 1e-9, 1e9, &o->C)) return CLI_EXIT_USAGE;
            break;
        case OPT_P:
        case OPT_Q:
            if (cli_parse_double(o->cmd, c == OPT_P ? "--p" : "--q", optarg, 1e-9, 1e9, &d)) return CLI_EXIT_USAGE;
            if (c == OPT_P) o->wp.p = d;
            else o->wp.q = d;
            break;
        case OPT_WALK_LENGTH:
            if (cli_parse_ll(o->cmd, "--walk-length", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            o->wp.walk_length = (int32_t)v;
            break;
        case OPT_WALKS_PER_NODE:
            if (cli_parse_ll(o->cmd, "--walks-per-node", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            o->wp.walks_per_node = (int32_t)v;
            break;
        case OPT_WINDOW:
        case OPT_EPOCHS:
            if (cli_w2v_option(o->cmd, c == OPT_WINDOW ? "window" : "epochs", optarg, &o->sp, &o->to)) return CLI_EXIT_USAGE;
            break;
        case OPT_KERNEL:
            if (!o->is_eval) return cli_usage_error(o->cmd, "--kernel applies to skip-gram (deepwalk, node2vec)");
            if (cli_w2v_option(o->cmd, "kernel", optarg, &o->sp, &o->to)) return CLI_EXIT_USAGE;
            o->kernel_set = 1;
            break;
        case OPT_CHECKPOINT:
        case OPT_CHECKPOINT_EVERY:
        case OPT_RESUME:
            if (o->is_eval) return cli_usage_error(o->cmd, "%s applies to emb train line only", argv[optind - 1]);
            if (c == OPT_CHECKPOINT) o->to.checkpoint_path = optarg;
            else if (c == OPT_RESUME) o->resume = optarg;
            else if (cli_parse_double(o->cmd, "--checkpoint-every", optarg, 1e-3, 1e9, &o->to.checkpoint_every))
                return CLI_EXIT_USAGE;
            break;
        default: return cli_getopt_error(o->cmd, c, argv);
        }
    }
    if (o->is_eval) {
        if (optind < argc && !o->input) o->input = argv[optind++];
        if (!o->input) return cli_usage_error(o->cmd, "EDGES is required (see --help)");
        if (!o->method) return cli_usage_error(o->cmd, "--method node2vec|deepwalk|line is required");
        if (strcmp(o->method, "node2vec") && strcmp(o->method, "deepwalk") && strcmp(o->method, "line"))
            return cli_usage_error(o->cmd, "--method must be node2vec, deepwalk or line, got '%s'", o->method);
        if (!strcmp(o->method, "line") && o->kernel_set)
            return cli_usage_error(o->cmd, "--kernel is for deepwalk and node2vec (skip-gram)");
        if (!strcmp(o->method, "deepwalk") && (o->wp.p != 1 || o->wp.q != 1))
            return cli_usage_error(o->cmd, "--p and --q are for node2vec (deepwalk is p = q = 1)");
    } else {
        if (!o->input) return cli_usage_error(o->cmd, "--input EDGES is required");
        if (!o->output) return cli_usage_error(o->cmd, "--output VECTORS is required");
    }
    if (optind < argc) return cli_usage_error(o->cmd, "unexpected argument '%s'", argv[optind]);
    if (emb_line_params_check(&o->lp, &err) != EMB_OK) return cli_usage_error(o->cmd, "%s", err.msg);
    const struct cli_path paths[] = {
        {"--input", o->input, CLI_IN, 0},
        {"--resume", o->resume, CLI_RESUME, 0},
        {"--output", o->output, CLI_VECS, (int)o->fmt},
        {"--checkpoint", o->to.checkpoint_path, CLI_CKPT, 0},
    };
    int st = cli_check_paths(o->cmd, paths, sizeof paths / sizeof paths[0]);
    if (st == 0) st = cli_train_resume(o->cmd, o->resume, &o->to);
    if (st != 0) return st;
    return -1;
}

static void init_opts(struct opts *o, const char *cmd, int is_eval) {
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->is_eval = is_eval;
    o->gp = emb_graph_default_params();
    o->lp = emb_line_default_params();
    o->wp = emb_walk_default_params();
    o->sp = emb_n2v_default_w2v_params();
    o->to = emb_train_default_opts();
    o->to.n_threads = emb_cpu_count();
    o->remove = 0.5;
    o->C = 1.0;
}

int cmd_train_line(int argc, char **argv) {
    struct opts o;
    init_opts(&o, "train line", 0);
    int st = parse(&o, argc, argv);
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
    init_opts(&o, "eval links", 1);
    int st = parse(&o, argc, argv);
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
