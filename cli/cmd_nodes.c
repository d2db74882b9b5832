/* cmd_nodes.c -- `emb eval nodes`: node classification with one-vs-rest
 * logistic regression on node vectors (the DeepWalk/node2vec protocol),
 * printed as a table or as one JSON object.
 *
 * The work is emb_node_labels_load + emb_eval_nodes (nodeclf.h); this file
 * parses options, loads the vectors and prints. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/nodeclf.h"
#include "emb/pool.h"
#include "emb/vecs.h"

static const char nodes_usage[] =
    "usage: emb eval nodes VECTORS LABELS [options]\n"
    "\n"
    "Node classification: one binary L2 logistic regression per label\n"
    "(one-vs-rest, liblinear's objective and solver, bias regularised) on the\n"
    "node vectors. Each test node is given as many labels as it really has,\n"
    "the best-scored ones (the DeepWalk/node2vec protocol); Micro-F1 and\n"
    "Macro-F1 (the mean over all labels, 0 for a label never true nor\n"
    "predicted) are averaged over random splits; sets with one label per node\n"
    "report accuracy too.\n"
    "\n"
    "LABELS has one 'node label' line per pair (tab- or space-separated); nodes\n"
    "are matched by name to the vectors' words, and nodes without a vector are\n"
    "skipped and counted.\n"
    "\n"
    "options:\n"
    "  --train-ratio R,...  fractions of the labelled nodes used for training\n"
    "                       (default 0.1,0.5,0.9; each strictly between 0 and 1)\n"
    "  --repeats N          random splits per ratio (default 10)\n"
    "  --split FILE         fixed split instead: 'node train|val|test' lines\n"
    "                       (Planetoid's split.tsv); train on train, report test\n"
    "                       and val\n"
    "  --C C                inverse regularisation strength (default 1.0)\n"
    "  --tol T              solver tolerance (default 1e-4, as sklearn)\n"
    "  --max-iter N         Newton iterations at most (default 100)\n"
    "  --normalize          scale vectors to unit length first (default: raw)\n"
    "  --threads N          threads (default: all CPUs)\n"
    "  --seed S             seed of the random splits (default 1)\n"
    "  --json               print one JSON object\n"
    "  --format F           text, bin or npy (default: from the file)\n"
    "  --vocab PATH         vocabulary of an .npy file (default: PATH.vocab)\n"
    "  -h, --help           this text\n"
    "\n"
    "examples:\n"
    "  emb eval nodes blogcatalog.vec labels.tsv --train-ratio 0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9\n"
    "  emb eval nodes cora.vec labels.tsv --split split.tsv --json\n";

#define MAX_RATIOS 99

enum {
    OPT_JSON = 256,
    OPT_THREADS,
    OPT_FORMAT,
    OPT_VOCAB,
    OPT_RATIO,
    OPT_REPEATS,
    OPT_SPLIT,
    OPT_C,
    OPT_TOL,
    OPT_MAX_ITER,
    OPT_NORMALIZE,
    OPT_SEED,
};

static const char *cmd = "eval nodes";

/* "0.1,0.5,0.9" -> ratios; a usage error for anything else. */
static int parse_ratios(const char *s, double *ratios, int *n) {
    char buf[1024];
    if (strlen(s) >= sizeof buf) return cli_usage_error(cmd, "--train-ratio: list too long");
    strcpy(buf, s);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (*n == MAX_RATIOS) return cli_usage_error(cmd, "--train-ratio: at most %d values", MAX_RATIOS);
        if (cli_parse_double(cmd, "--train-ratio", tok, -INFINITY, INFINITY, &v)) return CLI_EXIT_USAGE;
        if (!(v > 0 && v < 1))
            return cli_usage_error(cmd, "--train-ratio values must be strictly between 0 and 1, got %g", v);
        ratios[(*n)++] = v;
    }
    if (*n == 0) return cli_usage_error(cmd, "--train-ratio needs at least one value");
    return 0;
}

/* JSON numbers: NaN as null. */
static struct json_object *jnum(double x) { return isfinite(x) ? json_object_new_double(x) : NULL; }

/* An option value as written (0.1, not 0.10000000000000001). */
static struct json_object *jshort(double x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.12g", x);
    return json_object_new_double_s(x, buf);
}

static struct json_object *jscore(const struct emb_nodeclf_score *s, int single) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "nodes", json_object_new_int64(s->n_test));
    json_object_object_add(o, "micro_f1", jnum(s->micro_f1));
    json_object_object_add(o, "macro_f1", jnum(s->macro_f1));
    if (single) json_object_object_add(o, "accuracy", jnum(s->accuracy));
    return o;
}

static void print_split_row(const char *name, const struct emb_nodeclf_score *s, int single) {
    printf("%-6s %7lld %7lld %10.4f %10.4f", name, (long long)s->n_train, (long long)s->n_test, s->micro_f1,
           s->macro_f1);
    if (single) printf(" %10.4f", s->accuracy);
    printf("\n");
}

int cmd_eval_nodes(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"vocab", required_argument, NULL, OPT_VOCAB},
        {"train-ratio", required_argument, NULL, OPT_RATIO},
        {"repeats", required_argument, NULL, OPT_REPEATS},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"C", required_argument, NULL, OPT_C},
        {"tol", required_argument, NULL, OPT_TOL},
        {"max-iter", required_argument, NULL, OPT_MAX_ITER},
        {"normalize", no_argument, NULL, OPT_NORMALIZE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct emb_nodeclf_params p = emb_nodeclf_default_params();
    double ratios[MAX_RATIOS];
    int json = 0;
    enum emb_vec_format format = EMB_FMT_AUTO;
    const char *vocab = NULL, *split = NULL;
    long long v;
    double d;
    int c;
    p.n_threads = emb_cpu_count();
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(nodes_usage, stdout); return 0;
        case OPT_JSON: json = 1; break;
        case OPT_THREADS:
            if (cli_parse_ll(cmd, "--threads", optarg, 1, 1024, &v)) return CLI_EXIT_USAGE;
            p.n_threads = (int)v;
            break;
        case OPT_FORMAT: {
            struct emb_err err = {0};
            if (emb_vec_format_parse(optarg, &format, &err) != EMB_OK)
                return cli_usage_error(cmd, "--format: %s", emb_err_msg(&err, EMB_EINVAL));
            break;
        }
        case OPT_VOCAB: vocab = optarg; break;
        case OPT_RATIO:
            if (parse_ratios(optarg, ratios, &p.n_ratios)) return CLI_EXIT_USAGE;
            p.train_ratios = ratios;
            break;
        case OPT_REPEATS:
            if (cli_parse_ll(cmd, "--repeats", optarg, 1, 100000, &v)) return CLI_EXIT_USAGE;
            p.repeats = (int)v;
            break;
        case OPT_SPLIT: split = optarg; break;
        case OPT_C:
            if (cli_parse_double(cmd, "--C", optarg, 0, INFINITY, &d)) return CLI_EXIT_USAGE;
            if (!(d > 0)) return cli_usage_error(cmd, "--C must be positive, got %g", d);
            p.logreg.C = d;
            break;
        case OPT_TOL:
            if (cli_parse_double(cmd, "--tol", optarg, 0, 1, &d)) return CLI_EXIT_USAGE;
            if (!(d > 0)) return cli_usage_error(cmd, "--tol must be positive, got %g", d);
            p.logreg.tol = d;
            break;
        case OPT_MAX_ITER:
            if (cli_parse_ll(cmd, "--max-iter", optarg, 1, 100000, &v)) return CLI_EXIT_USAGE;
            p.logreg.max_iter = (int)v;
            break;
        case OPT_NORMALIZE: p.normalize = 1; break;
        case OPT_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (!*optarg || *end || *optarg == '-' || errno)
                return cli_usage_error(cmd, "--seed expects a non-negative integer, got '%s'", optarg);
            p.seed = s;
            break;
        }
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    int n_pos = argc - optind;
    if (n_pos != 2)
        return cli_usage_error(cmd, "expected VECTORS LABELS, got %d argument%s (see emb eval nodes --help)", n_pos,
                               n_pos == 1 ? "" : "s");
    const char *vec_path = argv[optind], *labels_path = argv[optind + 1];

    struct emb_err err = {0};
    struct emb_vecs *vecs = NULL;
    struct emb_node_labels labels = {0};
    struct emb_nodeclf_result res = {0};
    int rc = emb_vecs_load(&vecs, vec_path, format, 0, vocab, &err);
    if (rc == EMB_OK) rc = emb_node_labels_load(&labels, vecs->vocab, labels_path, &err);
    double t0 = cli_now();
    if (rc == EMB_OK) rc = emb_eval_nodes(vecs, &labels, split, &p, &res, &err);
    if (rc != EMB_OK) {
        rc = cli_fail(cmd, rc, &err);
        goto done;
    }
    double seconds = cli_now() - t0;
    int single = !res.multi_label;

    if (json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "vectors", json_object_new_string(vec_path));
        json_object_object_add(o, "labels_file", json_object_new_string(labels_path));
        json_object_object_add(o, "nodes", json_object_new_int64(res.n_nodes));
        json_object_object_add(o, "labels", json_object_new_int64(res.n_labels));
        json_object_object_add(o, "pairs", json_object_new_int64(res.n_pairs));
        json_object_object_add(o, "skipped", json_object_new_int64(res.n_skipped));
        json_object_object_add(o, "multi_label", json_object_new_boolean(res.multi_label));
        json_object_object_add(o, "C", jshort(p.logreg.C));
        json_object_object_add(o, "normalize", json_object_new_boolean(p.normalize));
        if (res.has_split) {
            struct json_object *s = json_object_new_object();
            json_object_object_add(s, "file", json_object_new_string(split));
            json_object_object_add(s, "train", json_object_new_int64(res.test.n_train));
            json_object_object_add(s, "ignored", json_object_new_int64(res.n_split_ignored));
            json_object_object_add(s, "unconverged", json_object_new_int64(res.test.n_unconverged));
            json_object_object_add(s, "test", jscore(&res.test, single));
            json_object_object_add(s, "val", res.val.n_test > 0 ? jscore(&res.val, single) : NULL);
            json_object_object_add(o, "split", s);
        } else {
            json_object_object_add(o, "repeats", json_object_new_int(p.repeats));
            json_object_object_add(o, "seed", json_object_new_uint64(p.seed));
            struct json_object *arr = json_object_new_array();
            for (int k = 0; k < res.n_ratios; k++) {
                const struct emb_nodeclf_ratio *r = &res.ratios[k];
                struct json_object *e = json_object_new_object();
                json_object_object_add(e, "train_ratio", jshort(r->train_ratio));
                json_object_object_add(e, "train", json_object_new_int64(r->n_train));
                json_object_object_add(e, "test", json_object_new_int64(r->n_test));
                json_object_object_add(e, "micro_f1", jnum(r->micro_f1.mean));
                json_object_object_add(e, "micro_f1_std", jnum(r->micro_f1.std));
                json_object_object_add(e, "macro_f1", jnum(r->macro_f1.mean));
                json_object_object_add(e, "macro_f1_std", jnum(r->macro_f1.std));
                if (single) {
                    json_object_object_add(e, "accuracy", jnum(r->accuracy.mean));
                    json_object_object_add(e, "accuracy_std", jnum(r->accuracy.std));
                }
                json_object_object_add(e, "unconverged", json_object_new_int64(r->n_unconverged));
                json_object_array_add(arr, e);
            }
            json_object_object_add(o, "ratios", arr);
        }
        json_object_object_add(o, "seconds", json_object_new_double(seconds));
        cli_json_print(o);
    } else {
        printf("%lld labelled nodes, %d labels, %lld node-label pairs (%s)", (long long)res.n_nodes, (int)res.n_labels,
               (long long)res.n_pairs, res.multi_label ? "multi-label" : "one label per node");
        if (res.n_skipped > 0)
            printf("; %lld node%s without a vector skipped", (long long)res.n_skipped, res.n_skipped == 1 ? "" : "s");
        printf("\n\n");
        int64_t unconv = 0;
        if (res.has_split) {
            printf("%-6s %7s %7s %10s %10s%s\n", "part", "train", "nodes", "Micro-F1", "Macro-F1",
                   single ? "   Accuracy" : "");
            print_split_row("test", &res.test, single);
            if (res.val.n_test > 0) print_split_row("val", &res.val, single);
            unconv = res.test.n_unconverged;
            printf("\nfixed split %s", split);
            if (res.n_split_ignored > 0)
                printf(" (%lld line%s naming no labelled node ignored)", (long long)res.n_split_ignored,
                       res.n_split_ignored == 1 ? "" : "s");
        } else {
            printf("%-11s %7s %7s %17s %17s%s\n", "train ratio", "train", "test", "Micro-F1", "Macro-F1",
                   single ? "          Accuracy" : "");
            for (int k = 0; k < res.n_ratios; k++) {
                const struct emb_nodeclf_ratio *r = &res.ratios[k];
                printf("%-11g %7lld %7lld %8.4f ± %.4f %8.4f ± %.4f", r->train_ratio, (long long)r->n_train,
                       (long long)r->n_test, r->micro_f1.mean, r->micro_f1.std, r->macro_f1.mean, r->macro_f1.std);
                if (single) printf(" %8.4f ± %.4f", r->accuracy.mean, r->accuracy.std);
                printf("\n");
                unconv += r->n_unconverged;
            }
            printf("\nmean ± std over %d random splits (seed %llu)", p.repeats, (unsigned long long)p.seed);
        }
        printf("; C = %g, %s vectors; %.2f s\n", p.logreg.C, p.normalize ? "unit-length" : "raw", seconds);
        if (unconv > 0)
            printf("note: %lld classifiers stopped at --max-iter %d before reaching --tol\n", (long long)unconv,
                   p.logreg.max_iter);
    }
    rc = 0;
done:
    emb_nodeclf_result_free(&res);
    emb_node_labels_free(&labels);
    emb_vecs_free(vecs);
    return rc;
}
