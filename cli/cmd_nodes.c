/* cmd_nodes.c -- `emb eval nodes`: node classification with one-vs-rest
 * logistic regression on node vectors (the DeepWalk/node2vec protocol),
 * printed as a table or as one JSON object.
 *
 * The work is emb_node_labels_load + emb_eval_nodes (nodeclf.h); this file
 * parses options, loads the vectors and prints. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/nodeclf.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "opt.h"

#define MAX_RATIOS 99

struct ratios {
    double v[MAX_RATIOS];
    int n;
};

struct nopts {
    struct emb_nodeclf_params p;
    struct ratios ratios;
    int json;
    enum emb_vec_format format;
    const char *vocab, *split;
};

static const char *cmd = "eval nodes";

/* "0.1,0.5,0.9" -> struct ratios; a usage error for anything else. */
static int parse_ratios(const char *cmd_, const char *opt, const char *s, void *dst) {
    struct ratios *r = dst;
    char buf[1024];
    (void)cmd_;
    if (strlen(s) >= sizeof buf) return cli_usage_error(cmd, "%s: list too long", opt);
    strcpy(buf, s);
    r->n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (r->n == MAX_RATIOS) return cli_usage_error(cmd, "%s: at most %d values", opt, MAX_RATIOS);
        if (cli_parse_double(cmd, opt, tok, -INFINITY, INFINITY, &v)) return CLI_EXIT_USAGE;
        if (!(v > 0 && v < 1))
            return cli_usage_error(cmd, "%s values must be strictly between 0 and 1, got %g", opt, v);
        r->v[r->n++] = v;
    }
    if (r->n == 0) return cli_usage_error(cmd, "%s needs at least one value", opt);
    return 0;
}

#define T struct nopts
static const struct cli_opt nodes_opts[] = {
    CLI_FN_OPT("train-ratio", T, ratios, parse_ratios, "R,...",
               "fractions of the labelled nodes used for training\n(each strictly between 0 and 1)", "0.1,0.5,0.9"),
    CLI_INT_OPT("repeats", 0, T, p.repeats, 1, 100000, "N", "random splits per ratio", "10"),
    CLI_STR_OPT("split", 0, T, split, "FILE",
                "fixed split instead: 'node train|val|test' lines\n(Planetoid's split.tsv); train on train, report "
                "test\nand val",
                NULL),
    CLI_DOUBLE_OPT("C", T, p.logreg.C, 0, INFINITY, "C", "inverse regularisation strength (positive)", "1.0"),
    CLI_DOUBLE_OPT("tol", T, p.logreg.tol, 0, 1, "T", "solver tolerance (positive)", "1e-4, as sklearn"),
    CLI_INT_OPT("max-iter", 0, T, p.logreg.max_iter, 1, 100000, "N", "Newton iterations at most", "100"),
    CLI_FLAG_OPT("normalize", T, p.normalize, "scale vectors to unit length first (default: raw)"),
    CLI_THREADS_OPT(T, p.n_threads, "threads", "all CPUs"),
    CLI_SEED_OPT(T, p.seed, "seed of the random splits", "1"),
    CLI_JSON_OPT(T, json, "print one JSON object"),
    CLI_VECS_OPTS(T, format, vocab),
};
#undef T

static const struct cli_spec nodes_spec = {
    .cmd = "eval nodes",
    .usage = "usage: emb eval nodes VECTORS LABELS [options]\n"
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
             "skipped and counted.\n",
    .opts = nodes_opts,
    .n_opts = CLI_NOPTS(nodes_opts),
    .tail = "examples:\n"
            "  emb eval nodes blogcatalog.vec labels.tsv --train-ratio 0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9\n"
            "  emb eval nodes cora.vec labels.tsv --split split.tsv --json\n",
    .args = "VECTORS LABELS",
    .min_args = 2,
    .max_args = 2,
};

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

static void print_json(const struct nopts *o, const char *vec_path, const char *labels_path,
                       const struct emb_nodeclf_result *res, double seconds);
static void print_table(const struct nopts *o, const struct emb_nodeclf_result *res, double seconds);

int cmd_eval_nodes(int argc, char **argv) {
    struct nopts o = {.p = emb_nodeclf_default_params(), .format = EMB_FMT_AUTO};
    struct cli_args a;
    o.p.n_threads = emb_cpu_count();
    int rc = cli_parse(&nodes_spec, argc, argv, &o, &a);
    if (rc >= 0) return rc;
    if (!(o.p.logreg.C > 0)) return cli_usage_error(cmd, "--C must be positive, got %g", o.p.logreg.C);
    if (!(o.p.logreg.tol > 0)) return cli_usage_error(cmd, "--tol must be positive, got %g", o.p.logreg.tol);
    if (o.ratios.n > 0) {
        o.p.train_ratios = o.ratios.v;
        o.p.n_ratios = o.ratios.n;
    }
    const char *vec_path = a.v[0], *labels_path = a.v[1];
    struct emb_err err = {0};
    struct emb_vecs *vecs = NULL;
    struct emb_node_labels labels = {0};
    struct emb_nodeclf_result res = {0};
    rc = emb_vecs_load(&vecs, vec_path, o.format, 0, o.vocab, &err);
    if (rc == EMB_OK) rc = emb_node_labels_load(&labels, vecs->vocab, labels_path, &err);
    double t0 = cli_now();
    if (rc == EMB_OK) rc = emb_eval_nodes(vecs, &labels, o.split, &o.p, &res, &err);
    if (rc != EMB_OK) {
        rc = cli_fail(cmd, rc, &err);
        goto done;
    }
    double seconds = cli_now() - t0;
    if (o.json)
        print_json(&o, vec_path, labels_path, &res, seconds);
    else
        print_table(&o, &res, seconds);
    rc = 0;
done:
    emb_nodeclf_result_free(&res);
    emb_node_labels_free(&labels);
    emb_vecs_free(vecs);
    return rc;
}

static void print_json(const struct nopts *o, const char *vec_path, const char *labels_path,
                       const struct emb_nodeclf_result *res, double seconds) {
    int single = !res->multi_label;
    struct json_object *j = json_object_new_object();
    json_object_object_add(j, "vectors", json_object_new_string(vec_path));
    json_object_object_add(j, "labels_file", json_object_new_string(labels_path));
    json_object_object_add(j, "nodes", json_object_new_int64(res->n_nodes));
    json_object_object_add(j, "labels", json_object_new_int64(res->n_labels));
    json_object_object_add(j, "pairs", json_object_new_int64(res->n_pairs));
    json_object_object_add(j, "skipped", json_object_new_int64(res->n_skipped));
    json_object_object_add(j, "multi_label", json_object_new_boolean(res->multi_label));
    json_object_object_add(j, "C", jshort(o->p.logreg.C));
    json_object_object_add(j, "normalize", json_object_new_boolean(o->p.normalize));
    if (res->has_split) {
        struct json_object *s = json_object_new_object();
        json_object_object_add(s, "file", json_object_new_string(o->split));
        json_object_object_add(s, "train", json_object_new_int64(res->test.n_train));
        json_object_object_add(s, "ignored", json_object_new_int64(res->n_split_ignored));
        json_object_object_add(s, "unconverged", json_object_new_int64(res->test.n_unconverged));
        json_object_object_add(s, "test", jscore(&res->test, single));
        json_object_object_add(s, "val", res->val.n_test > 0 ? jscore(&res->val, single) : NULL);
        json_object_object_add(j, "split", s);
    } else {
        json_object_object_add(j, "repeats", json_object_new_int(o->p.repeats));
        json_object_object_add(j, "seed", json_object_new_uint64(o->p.seed));
        struct json_object *arr = json_object_new_array();
        for (int k = 0; k < res->n_ratios; k++) {
            const struct emb_nodeclf_ratio *r = &res->ratios[k];
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
        json_object_object_add(j, "ratios", arr);
    }
    json_object_object_add(j, "seconds", json_object_new_double(seconds));
    cli_json_print(j);
}

static void print_table(const struct nopts *o, const struct emb_nodeclf_result *res, double seconds) {
    int single = !res->multi_label;
    printf("%lld labelled nodes, %d labels, %lld node-label pairs (%s)", (long long)res->n_nodes, (int)res->n_labels,
           (long long)res->n_pairs, res->multi_label ? "multi-label" : "one label per node");
    if (res->n_skipped > 0)
        printf("; %lld node%s without a vector skipped", (long long)res->n_skipped, res->n_skipped == 1 ? "" : "s");
    printf("\n\n");
    int64_t unconv = 0;
    if (res->has_split) {
        printf("%-6s %7s %7s %10s %10s%s\n", "part", "train", "nodes", "Micro-F1", "Macro-F1",
               single ? "   Accuracy" : "");
        print_split_row("test", &res->test, single);
        if (res->val.n_test > 0) print_split_row("val", &res->val, single);
        unconv = res->test.n_unconverged;
        printf("\nfixed split %s", o->split);
        if (res->n_split_ignored > 0)
            printf(" (%lld line%s naming no labelled node ignored)", (long long)res->n_split_ignored,
                   res->n_split_ignored == 1 ? "" : "s");
    } else {
        printf("%-11s %7s %7s %17s %17s%s\n", "train ratio", "train", "test", "Micro-F1", "Macro-F1",
               single ? "          Accuracy" : "");
        for (int k = 0; k < res->n_ratios; k++) {
            const struct emb_nodeclf_ratio *r = &res->ratios[k];
            printf("%-11g %7lld %7lld %8.4f ± %.4f %8.4f ± %.4f", r->train_ratio, (long long)r->n_train,
                   (long long)r->n_test, r->micro_f1.mean, r->micro_f1.std, r->macro_f1.mean, r->macro_f1.std);
            if (single) printf(" %8.4f ± %.4f", r->accuracy.mean, r->accuracy.std);
            printf("\n");
            unconv += r->n_unconverged;
        }
        printf("\nmean ± std over %d random splits (seed %llu)", o->p.repeats, (unsigned long long)o->p.seed);
    }
    printf("; C = %g, %s vectors; %.2f s\n", o->p.logreg.C, o->p.normalize ? "unit-length" : "raw", seconds);
    if (unconv > 0)
        printf("note: %lld classifiers stopped at --max-iter %d before reaching --tol\n", (long long)unconv,
               o->p.logreg.max_iter);
}
