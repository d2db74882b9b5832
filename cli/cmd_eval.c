/* cmd_eval.c -- `emb eval analogy` and `emb eval similarity`: standard
 * benchmarks for word vectors, printed as a table or as one JSON object.
 *
 * The work is emb_eval_analogy / emb_eval_similarity; this file parses
 * options, loads the vectors and prints. For analogies only the first
 * --restrict rows can be candidates or question words, so only those are
 * loaded: a 3-million-word file evaluates as fast as a 30,000-word one. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/eval.h"
#include "emb/pool.h"
#include "emb/vecs.h"

static const char eval_usage[] =
    "usage: emb eval analogy VECTORS QUESTIONS [options]\n"
    "       emb eval similarity VECTORS PAIRS... [options]\n"
    "       emb eval nodes VECTORS LABELS [options]   (node classification; see emb eval nodes --help)\n"
    "       emb eval links EDGES --method M [options] (link prediction; see emb eval links --help)\n"
    "       emb eval kge MODEL --data DIR [options]   (knowledge-graph ranking; see emb eval kge --help)\n"
    "\n"
    "analogy: accuracy on word2vec's questions-words.txt format (': section'\n"
    "  lines, then 'a b c d' lines: a is to b as c is to d). As in gensim and\n"
    "  word2vec's compute-accuracy, words are compared in lower case, only the\n"
    "  first N words (the most frequent) are candidates, and a question counts\n"
    "  (is covered) only when its four words are among them. Sections named\n"
    "  'gram*' are syntactic, the others semantic.\n"
    "  --restrict N      candidates: the first N vectors (default 30000, 0 = all)\n"
    "  --method M        add (3CosAdd, default) or mul (3CosMul)\n"
    "  --threads N       threads (default: all CPUs)\n"
    "\n"
    "similarity: Spearman's rank correlation between human scores and cosine\n"
    "  similarities on 'w1 w2 score' files (tab- or space-separated: WordSim-353,\n"
    "  MEN, SimLex-999...), over the pairs whose two words are found (as written,\n"
    "  else in lower case).\n"
    "  --limit N         load only the first N vectors (default: all)\n"
    "\n"
    "common options:\n"
    "  --json            print one JSON object (analogy: accuracy, correct, covered,\n"
    "                    total, coverage, semantic, syntactic, sections; similarity:\n"
    "                    spearman, pearson, found, total, or {\"files\": [...]} for\n"
    "                    several files)\n"
    "  --format F        text, bin or npy (default: from the file)\n"
    "  --vocab PATH      vocabulary of an .npy file (default: PATH.vocab)\n"
    "  -h, --help        this text\n"
    "\n"
    "examples:\n"
    "  emb eval analogy vectors.bin questions-words.txt\n"
    "  emb eval similarity vectors.bin wordsim353.tsv men.tsv --json\n";

enum { OPT_JSON = 256, OPT_THREADS, OPT_FORMAT, OPT_LIMIT, OPT_VOCAB, OPT_METHOD, OPT_RESTRICT };

struct eopts {
    const char *cmd; /* "eval analogy" / "eval similarity", for messages */
    int analogy;
    int json;
    int n_threads;
    int64_t restrict_vocab, limit;
    enum emb_analogy_method method;
    enum emb_vec_format format;
    const char *vocab;
};

/* Returns -1 to go on, or an exit status (0 after --help). Positionals
 * end up in argv[*first..argc). */
static int parse_opts(int argc, char **argv, struct eopts *o, int *first) {
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"vocab", required_argument, NULL, OPT_VOCAB},
        {"method", required_argument, NULL, OPT_METHOD},
        {"restrict", required_argument, NULL, OPT_RESTRICT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long v;
    int c, li = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, &li)) != -1) {
        switch (c) {
        case 'h': fputs(eval_usage, stdout); return 0;
        case OPT_JSON: o->json = 1; break;
        case OPT_THREADS:
            if (cli_parse_ll(o->cmd, "--threads", optarg, 1, 1024, &v)) return CLI_EXIT_USAGE;
            o->n_threads = (int)v;
            break;
        case OPT_FORMAT: {
            struct emb_err err = {0};
            if (emb_vec_format_parse(optarg, &o->format, &err) != EMB_OK)
                return cli_usage_error(o->cmd, "--format: %s", emb_err_msg(&err, EMB_EINVAL));
            break;
        }
        case OPT_LIMIT:
            if (o->analogy) goto unknown; /* --restrict is the analogy's limit */
            if (cli_parse_ll(o->cmd, "--limit", optarg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
            o->limit = v;
            break;
        case OPT_VOCAB: o->vocab = optarg; break;
        case OPT_METHOD:
            if (!o->analogy) goto unknown;
            if (emb_analogy_method_parse(optarg, &o->method, NULL) != EMB_OK)
                return cli_usage_error(o->cmd, "--method must be add or mul, got '%s'", optarg);
            break;
        case OPT_RESTRICT:
            if (!o->analogy) goto unknown;
            if (cli_parse_ll(o->cmd, "--restrict", optarg, 0, INT32_MAX, &v)) return CLI_EXIT_USAGE;
            o->restrict_vocab = v;
            break;
        case ':': return cli_usage_error(o->cmd, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(o->cmd, "unknown option '%s' (see emb eval --help)", argv[optind - 1]);
        unknown:
            /* An option of the other benchmark: its value was consumed, so
             * name the option itself. */
            return cli_usage_error(o->cmd, "option --%s does not apply to %s (see emb eval --help)",
                                   li >= 0 ? opts[li].name : "?", o->cmd);
        }
        li = -1;
    }
    *first = optind;
    return -1;
}

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

static int eval_analogy(struct eopts *o, char **pos, int n_pos) {
    if (n_pos != 2)
        return cli_usage_error(o->cmd, "expected VECTORS QUESTIONS, got %d argument%s (see emb eval --help)", n_pos,
                               n_pos == 1 ? "" : "s");
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
    if (n_pos < 2)
        return cli_usage_error(o->cmd, "expected VECTORS PAIRS..., got %d argument%s (see emb eval --help)", n_pos,
                               n_pos == 1 ? "" : "s");
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

int cmd_eval(int argc, char **argv) {
    struct eopts o = {.cmd = "eval", .n_threads = emb_cpu_count(), .restrict_vocab = 30000};
    if (argc < 2) {
        fputs(eval_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *what = argv[1];
    if (!strcmp(what, "--help") || !strcmp(what, "-h") || !strcmp(what, "help")) {
        fputs(eval_usage, stdout);
        return 0;
    }
    if (!strcmp(what, "nodes")) return cmd_eval_nodes(argc - 1, argv + 1);
    if (!strcmp(what, "links")) return cmd_eval_links(argc - 1, argv + 1);
    if (!strcmp(what, "kge")) return cmd_eval_kge(argc - 1, argv + 1);
    if (!strcmp(what, "analogy")) {
        o.cmd = "eval analogy";
        o.analogy = 1;
    } else if (!strcmp(what, "similarity")) {
        o.cmd = "eval similarity";
    } else {
        return cli_usage_error("eval", "unknown benchmark '%s' (expected analogy, similarity, nodes, links or kge)", what);
    }
    /* Parse what follows the benchmark name; argv[1] plays argv[0]. */
    int first = 0, rc = parse_opts(argc - 1, argv + 1, &o, &first);
    if (rc >= 0) return rc;
    char **pos = argv + 1 + first;
    int n_pos = argc - 1 - first;
    return o.analogy ? eval_analogy(&o, pos, n_pos) : eval_similarity(&o, pos, n_pos);
}
