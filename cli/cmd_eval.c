/* cmd_eval.c -- `emb eval analogy` and `emb eval similarity`: standard
 * benchmarks for word vectors, printed as a table or as one JSON object.
 *
 * The work is emb_eval_analogy / emb_eval_similarity; this file parses
 * options, loads the vectors and prints. For analogies only the first
 * --restrict rows can be candidates or question words, so only those are
 * loaded: a 3-million-word file evaluates as fast as a 30,000-word one. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/eval.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "opt.h"

struct eopts {
    const char *cmd; /* "eval analogy" / "eval similarity", for messages */
    int json;
    int n_threads;
    int64_t restrict_vocab, limit;
    enum emb_analogy_method method;
    enum emb_vec_format format;
    const char *vocab;
};

static int parse_method(const char *cmd, const char *opt, const char *arg, void *dst) {
    if (emb_analogy_method_parse(arg, dst, NULL) != EMB_OK)
        return cli_usage_error(cmd, "%s must be add or mul, got '%s'", opt, arg);
    return 0;
}

#define T struct eopts
#define EVAL_COMMON_OPTS                                                                                        \
    CLI_JSON_OPT(T, json, "print one JSON object"),                                                               \
        CLI_VECS_OPTS(T, format, vocab)
static const struct cli_opt analogy_opts[] = {
    CLI_I64_OPT("restrict", T, restrict_vocab, 0, INT32_MAX, "N", "candidates: the first N vectors (0 = all)",
                "30000"),
    CLI_FN_OPT("method", T, method, parse_method, "M", "add (3CosAdd) or mul (3CosMul)", "add"),
    CLI_THREADS_OPT(T, n_threads, "threads", "all CPUs"),
    EVAL_COMMON_OPTS,
};
static const struct cli_opt similarity_opts[] = {
    CLI_I64_OPT("limit", T, limit, 0, INT64_MAX, "N", "load only the first N vectors", "all"),
    EVAL_COMMON_OPTS,
};
#undef T

static const struct cli_spec analogy_spec = {
    .cmd = "eval analogy",
    .usage = "usage: emb eval analogy VECTORS QUESTIONS [options]\n"
             "\n"
             "Accuracy on word2vec's questions-words.txt format (': section' lines, then\n"
             "'a b c d' lines: a is to b as c is to d). As in gensim and word2vec's\n"
             "compute-accuracy, words are compared in lower case, only the first N words\n"
             "(the most frequent) are candidates, and a question counts (is covered) only\n"
             "when its four words are among them. Sections named 'gram*' are syntactic,\n"
             "the others semantic.\n",
    .opts = analogy_opts,
    .n_opts = CLI_NOPTS(analogy_opts),
    .tail = "--json prints accuracy, correct, covered, total, coverage, semantic,\n"
            "syntactic and sections.\n"
            "example: emb eval analogy vectors.bin questions-words.txt\n",
    .args = "VECTORS QUESTIONS",
    .min_args = 2,
    .max_args = 2,
};

static const struct cli_spec similarity_spec = {
    .cmd = "eval similarity",
    .usage = "usage: emb eval similarity VECTORS PAIRS... [options]\n"
             "\n"
             "Spearman's rank correlation between human scores and cosine similarities on\n"
             "'w1 w2 score' files (tab- or space-separated: WordSim-353, MEN, SimLex-999...),\n"
             "over the pairs whose two words are found (as written, else in lower case).\n",
    .opts = similarity_opts,
    .n_opts = CLI_NOPTS(similarity_opts),
    .tail = "--json prints spearman, pearson, found, total, or {\"files\": [...]} for\n"
            "several files.\n"
            "example: emb eval similarity vectors.bin wordsim353.tsv men.tsv --json\n",
    .args = "VECTORS PAIRS...",
    .min_args = 2,
    .max_args = -1,
};

/* JSON numbers: NaN (an undefined correlation) as null. */
static struct json_object *jnum(double x) { return isfinite(x) ? json_object_new_double(x) : NULL; }

static struct json_object *jscore(const struct emb_analogy_score *s) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "accuracy", jnum(s->accuracy));
    json_object_object_add(o, "correct", json_object_new_int64(s->correct));
    json_object_object_add(o, "covered", json_object_new_int64(s->covered));
    json_object_object_add(o, "total", json_object_new_int64(s->total));
    json_object_object_add(o, "coverage", jnum(s->coverage));
    return o;
}

static void print_score_row(const char *name, const struct emb_analogy_score *s) {
    printf("%-28s %8lld %8lld %8lld %8.2f%%\n", name, (long long)s->correct, (long long)s->covered,
           (long long)s->total, 100.0 * s->accuracy);
}

static int eval_analogy(struct eopts *o, char **pos) {
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    struct emb_analogy_result r = {0};
    int rc = emb_vecs_load(&v, pos[0], o->format, o->restrict_vocab, o->vocab, &err);
    if (rc != EMB_OK) {
        rc = cli_fail(o->cmd, rc, &err);
        goto done;
    }
    struct emb_analogy_params p = emb_analogy_default_params();
    p.restrict_vocab = o->restrict_vocab;
    p.method = o->method;
    p.n_threads = o->n_threads;
    double t0 = cli_now();
    if ((rc = emb_eval_analogy(v, pos[1], &p, &r, &err)) != EMB_OK) {
        rc = cli_fail(o->cmd, rc, &err);
        goto done;
    }
    double seconds = cli_now() - t0;
    if (o->json) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "vectors", json_object_new_string(pos[0]));
        json_object_object_add(obj, "questions", json_object_new_string(pos[1]));
        json_object_object_add(obj, "method", json_object_new_string(emb_analogy_method_name(o->method)));
        json_object_object_add(obj, "restrict", json_object_new_int64(r.restrict_vocab));
        json_object_object_add(obj, "accuracy", jnum(r.all.accuracy));
        json_object_object_add(obj, "correct", json_object_new_int64(r.all.correct));
        json_object_object_add(obj, "covered", json_object_new_int64(r.all.covered));
        json_object_object_add(obj, "total", json_object_new_int64(r.all.total));
        json_object_object_add(obj, "coverage", jnum(r.all.coverage));
        json_object_object_add(obj, "semantic", jscore(&r.semantic));
        json_object_object_add(obj, "syntactic", jscore(&r.syntactic));
        struct json_object *secs = json_object_new_array();
        for (int64_t i = 0; i < r.n_sections; i++) {
            struct json_object *s = jscore(&r.sections[i].score);
            json_object_object_add(s, "name", json_object_new_string(r.sections[i].name));
            json_object_array_add(secs, s);
        }
        json_object_object_add(obj, "sections", secs);
        json_object_object_add(obj, "seconds", json_object_new_double(seconds));
        cli_json_print(obj);
    } else {
        printf("%-28s %8s %8s %8s %9s\n", "section", "correct", "covered", "total", "accuracy");
        for (int64_t i = 0; i < r.n_sections; i++) print_score_row(r.sections[i].name, &r.sections[i].score);
        printf("\n");
        print_score_row("semantic", &r.semantic);
        print_score_row("syntactic", &r.syntactic);
        print_score_row("total", &r.all);
        printf("\ncoverage: %lld of %lld questions (%.2f%%); %s over the first %lld words; %.2f s\n",
               (long long)r.all.covered, (long long)r.all.total, 100.0 * r.all.coverage,
               emb_analogy_method_name(o->method), (long long)r.restrict_vocab, seconds);
    }
    rc = 0;
done:
    emb_analogy_result_free(&r);
    emb_vecs_free(v);
    return rc;
}

static struct json_object *jsimilarity(const char *file, const struct emb_similarity_result *r) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "file", json_object_new_string(file));
    json_object_object_add(o, "spearman", jnum(r->spearman));
    json_object_object_add(o, "pearson", jnum(r->pearson));
    json_object_object_add(o, "found", json_object_new_int64(r->found));
    json_object_object_add(o, "total", json_object_new_int64(r->total));
    return o;
}

static int eval_similarity(struct eopts *o, char **pos, int n_pos) {
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    struct json_object *files = NULL;
    int rc = emb_vecs_load(&v, pos[0], o->format, o->limit, o->vocab, &err);
    if (rc != EMB_OK) {
        rc = cli_fail(o->cmd, rc, &err);
        goto done;
    }
    int n_files = n_pos - 1;
    if (o->json) files = json_object_new_array();
    for (int i = 0; i < n_files; i++) {
        const char *path = pos[1 + i];
        struct emb_similarity_result r;
        if ((rc = emb_eval_similarity(v, path, &r, &err)) != EMB_OK) {
            rc = cli_fail(o->cmd, rc, &err);
            goto done;
        }
        if (o->json) {
            json_object_array_add(files, jsimilarity(path, &r));
            continue;
        }
        if (i == 0) printf("%-32s %9s %9s %7s %7s\n", "file", "spearman", "pearson", "found", "total");
        /* A long path is shown by its file name, which names the benchmark. */
        const char *name = path, *slash = strrchr(path, '/');
        if (strlen(path) > 32 && slash) name = slash + 1;
        printf("%-32s %9.4f %9.4f %7lld %7lld\n", name, r.spearman, r.pearson, (long long)r.found,
               (long long)r.total);
    }
    if (o->json) {
        if (n_files == 1) { /* a single file: its object, not a list */
            struct json_object *one = json_object_get(json_object_array_get_idx(files, 0));
            cli_json_print(one);
        } else {
            struct json_object *obj = json_object_new_object();
            json_object_object_add(obj, "files", json_object_get(files));
            cli_json_print(obj);
        }
    }
    rc = 0;
done:
    json_object_put(files);
    emb_vecs_free(v);
    return rc;
}

static int run(const struct cli_spec *spec, int argc, char **argv) {
    struct eopts o = {.cmd = spec->cmd, .n_threads = emb_cpu_count(), .restrict_vocab = 30000};
    struct cli_args a;
    int rc = cli_parse(spec, argc, argv, &o, &a);
    if (rc >= 0) return rc;
    return spec == &analogy_spec ? eval_analogy(&o, a.v) : eval_similarity(&o, a.v, a.n);
}

int cmd_eval_analogy(int argc, char **argv) { return run(&analogy_spec, argc, argv); }
int cmd_eval_similarity(int argc, char **argv) { return run(&similarity_spec, argc, argv); }
