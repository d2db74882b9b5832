/* cmd_kgeval.c -- `emb eval kge` (filtered link-prediction ranking, and
 * Countries AUC-PR) and `emb predict-link` (top-k answers to (h, r, ?) or
 * (?, r, t)) for knowledge-graph embedding models (kgeval.h). */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/kge.h"
#include "emb/kgeval.h"
#include "emb/pool.h"
#include "opt.h"

struct kopts {
    const char *cmd, *model, *data, *countries, *ranks;
    struct emb_kgeval_params p;
    int quiet, json, is_predict, keep_known, k, split, scorer;
    char **pos;
    int n_pos;
};

static const char *const split_words[] = {"test", "valid", NULL};      /* enum emb_kgeval_split */
static const char *const scorer_words[] = {"batched", "generic", NULL}; /* enum emb_kgeval_scorer */

#define T struct kopts
#define KGE_DATA_OPT(help_) CLI_STR_OPT("data", 0, T, data, "DIR", help_, NULL)
#define KGE_OUT_OPTS CLI_QUIET_OPT(T, quiet, "no progress line"), CLI_JSON_OPT(T, json, "print one JSON object")
static const struct cli_opt eval_opts[] = {
    KGE_DATA_OPT("dataset folder (required)"),
    CLI_ENUM_OPT("split", T, split, split_words, "S", "test or valid", "test"),
    CLI_FLAG_OPT("per-relation", T, p.per_relation, "also print (or add to the JSON) metrics per relation"),
    CLI_FLAG_OPT("drop-unseen", T, p.drop_unseen,
                 "skip triples with an entity that is not in train\n(default: keep them, as LibKGE does)"),
    CLI_STR_OPT("countries", 0, T, countries, "FILE",
                "also report AUC-PR of ranking the regions listed in\nFILE (one entity name a line) as tails of each "
                "triple\nof the split: the Countries S1-S3 protocol",
                NULL),
    CLI_STR_OPT("ranks", 0, T, ranks, "FILE",
                "write the filtered rank of every triple of the split:\nhead<TAB>relation<TAB>tail<TAB>tail "
                "rank<TAB>head rank\n(split order; skipped triples get rank 0)",
                NULL),
    CLI_ENUM_OPT("scorer", T, scorer, scorer_words, "S",
                 "batched (SIMD kernels over query blocks) or\ngeneric (the model's own scorer, one query at a time)",
                 "batched"),
    CLI_THREADS_OPT(T, p.n_threads, "threads", "all CPUs"),
    KGE_OUT_OPTS,
};
static const struct cli_opt predict_opts[] = {
    CLI_INT_OPT("top", 'k', T, k, 1, 1000000, "N", "answers to print", "10"),
    KGE_DATA_OPT("the dataset: answers that are known triples of its\ntrain, valid or test are left out"),
    CLI_FLAG_OPT("keep-known", T, keep_known, "with --data, list known answers too, marked 'known'"),
    KGE_OUT_OPTS,
};
#undef T

static const struct cli_spec eval_spec = {
    .cmd = "eval kge",
    .usage = "usage: emb eval kge MODEL --data DIR [options]\n"
             "\n"
             "Filtered link prediction: for every triple (h, r, t) of the split, rank\n"
             "the true tail among all entities as answers to (h, r, ?) and the true head\n"
             "for (?, r, t), after removing the other answers that are known triples of\n"
             "train, valid or test (the answer itself is never removed). Tied scores\n"
             "count half (mean rank). Reports MR, MRR and Hits@1/3/10 over both\n"
             "directions and each direction, and optionally per relation. MODEL is a\n"
             "model file of `emb train kge`; its entity and relation names must cover\n"
             "the dataset's (DIR/{train,valid,test}.{tsv,txt}[.gz]).\n",
    .opts = eval_opts,
    .n_opts = CLI_NOPTS(eval_opts),
    .tail = "examples:\n"
            "  emb eval kge fb.kge --data data/FB15k-237 --threads 2\n"
            "  emb eval kge s1.kge --data data/countries_S1 --countries data/countries_S1/regions.txt\n",
    .args = "MODEL",
    .min_args = 1,
    .max_args = 1,
};
static const struct cli_spec predict_spec = {
    .cmd = "predict-link",
    .usage = "usage: emb predict-link MODEL HEAD RELATION ?   (best tails)\n"
             "       emb predict-link MODEL ? RELATION TAIL   (best heads)\n"
             "\n"
             "The k most plausible answers by the model's score, best first, with\n"
             "their scores. Names are the entity and relation names of the training\n"
             "data. Quote the '?' so that the shell does not expand it.\n",
    .opts = predict_opts,
    .n_opts = CLI_NOPTS(predict_opts),
    .tail = "example: emb predict-link fb.kge /m/027rn /location/country/form_of_government '?'\n",
    .args = "MODEL",
    .min_args = 1,
    .max_args = 4,
};

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse(struct kopts *o, int argc, char **argv) {
    struct cli_args a;
    int st = cli_parse(o->is_predict ? &predict_spec : &eval_spec, argc, argv, o, &a);
    if (st >= 0) return st;
    o->p.split = (enum emb_kgeval_split)o->split;
    o->p.scorer = (enum emb_kgeval_scorer)o->scorer;
    o->pos = a.v;
    o->n_pos = a.n;
    o->model = o->pos[0];
    if (o->is_predict) {
        if (o->n_pos != 4) return cli_usage_error(o->cmd, "expected MODEL HEAD RELATION TAIL with HEAD or TAIL '?'");
        int qh = !strcmp(o->pos[1], "?"), qt = !strcmp(o->pos[3], "?");
        if (qh == qt) return cli_usage_error(o->cmd, "exactly one of HEAD and TAIL must be '?'");
        if (!strcmp(o->pos[2], "?")) return cli_usage_error(o->cmd, "RELATION cannot be '?'");
        if (o->keep_known && !o->data) return cli_usage_error(o->cmd, "--keep-known needs --data");
    } else if (!o->data) {
        return cli_usage_error(o->cmd, "--data DIR is required");
    }
    const struct cli_path paths[] = {
        {"MODEL", o->model, CLI_IN, 0},
        {"--data", o->data, CLI_IN, 0},
        {"--countries", o->countries, CLI_IN, 0},
        {"--ranks", o->ranks, CLI_OUT, 0},
    };
    if ((st = cli_check_paths(o->cmd, paths, sizeof paths / sizeof paths[0])) != 0) return st;
    return -1;
}

/* ---- eval kge ----------------------------------------------------------- */

struct progress_ctx {
    struct cli_progress bar;
    double t0;
};

static void on_progress(void *ctx, double fraction) {
    struct progress_ctx *pc = ctx;
    double dt = cli_now() - pc->t0;
    cli_progress_draw(&pc->bar, fraction, dt > 0 ? fraction * 100 / dt : 0, "%", fraction > 0 ? dt * (1 - fraction) / fraction : -1,
                      "ranking");
}

/* The region names of a Countries regions file; *out (n) owned by the
 * caller: free each string and the array with free(). */
static int read_regions(const char *path, char ***out, int *n, struct emb_err *err) {
    *out = NULL;
    *n = 0;
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    char *line;
    size_t len;
    long long lineno = 0;
    while (rc == EMB_OK && (rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        char *f[2];
        size_t fl[2];
        int nf = emb_split_fields(line, len, f, fl, 2);
        if (nf == 0) {
            rc = EMB_OK;
            continue;
        }
        if (nf != 1 || strlen(f[0]) != fl[0]) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected one region name", path, lineno);
            break;
        }
        char **grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        char *name = strdup(f[0]);
        if (!grown || !name) {
            free(name);
            if (grown) *out = grown;
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
            break;
        }
        *out = grown;
        (*out)[(*n)++] = name;
        rc = EMB_OK;
    }
    emb_reader_close(r);
    if (rc == 0 && *n == 0) rc = emb_err_set(err, EMB_EEMPTY, "%s lists no regions", path);
    return rc < 0 ? rc : EMB_OK;
}

static struct json_object *metrics_json(const struct emb_kgeval_metrics *m) {
    struct json_object *j = json_object_new_object();
    json_object_object_add(j, "n", json_object_new_int64(m->n));
    json_object_object_add(j, "mrr", json_object_new_double(m->mrr));
    json_object_object_add(j, "mr", json_object_new_double(m->mr));
    json_object_object_add(j, "hits@1", json_object_new_double(m->hits1));
    json_object_object_add(j, "hits@3", json_object_new_double(m->hits3));
    json_object_object_add(j, "hits@10", json_object_new_double(m->hits10));
    return j;
}

static void print_row(const char *name, const struct emb_kgeval_metrics *m) {
    printf("%-10s %8lld  %7.4f  %9.2f  %7.4f  %7.4f  %7.4f\n", name, (long long)m->n, m->mrr, m->mr, m->hits1,
           m->hits3, m->hits10);
}

/* The per-triple ranks as TSV, written atomically. */
static int write_ranks(const char *path, const struct emb_kg *kg, enum emb_kgeval_split split,
                       const struct emb_kgeval_result *res, struct emb_err *err) {
    const struct emb_triples *sp = split == EMB_KGEVAL_VALID ? &kg->valid : &kg->test;
    struct emb_outfile *f = NULL;
    int rc = emb_outfile_open(&f, path, err);
    if (rc != EMB_OK) return rc;
    FILE *o = emb_outfile_stream(f);
    for (int64_t i = 0; i < sp->n; i++)
        fprintf(o, "%s\t%s\t%s\t%.17g\t%.17g\n", emb_vocab_word(kg->entities, sp->h[i]),
                emb_vocab_word(kg->relations, sp->r[i]), emb_vocab_word(kg->entities, sp->t[i]), res->rank_tail[i],
                res->rank_head[i]);
    return emb_outfile_commit(f, err);
}

int cmd_eval_kge(int argc, char **argv) {
    struct kopts o;
    memset(&o, 0, sizeof o);
    o.cmd = "eval kge";
    o.p = emb_kgeval_default_params();
    o.p.n_threads = emb_cpu_count();
    int st = parse(&o, argc, argv);
    if (st >= 0) return st;
    struct progress_ctx pc;
    cli_progress_init(&pc.bar, o.quiet);
    pc.t0 = cli_now();
    o.p.progress = on_progress;
    o.p.progress_ctx = &pc;
    o.p.stop = cli_stop_flag();
    o.p.keep_ranks = o.ranks != NULL;
    struct emb_err err = {0};
    struct emb_kge *m = NULL;
    struct emb_kg *kg = NULL;
    struct emb_kgeval_result res;
    memset(&res, 0, sizeof res);
    char **regions = NULL;
    int n_regions = 0;
    double auc_pr = NAN, t_eval = 0;
    int rc = emb_kge_load(&m, o.model, &err);
    if (rc == EMB_OK) rc = emb_kg_load(&kg, o.data, &err);
    if (rc == EMB_OK && o.countries) rc = read_regions(o.countries, &regions, &n_regions, &err);
    if (rc == EMB_OK) {
        double t0 = pc.t0 = cli_now();
        rc = emb_kgeval_run(m, kg, &o.p, &res, &err);
        t_eval = cli_now() - t0;
    }
    cli_progress_done(&pc.bar);
    if (rc == EMB_OK && o.ranks) rc = write_ranks(o.ranks, kg, o.p.split, &res, &err);
    if (rc == EMB_OK && o.countries)
        rc = emb_kgeval_countries(m, kg, o.p.split, (const char *const *)regions, n_regions, &auc_pr, &err);
    const char *split = o.p.split == EMB_KGEVAL_VALID ? "valid" : "test";
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: interrupted\n", o.cmd);
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else if (o.json) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "model", json_object_new_string(emb_kge_model_name(m->model)));
        json_object_object_add(j, "dim", json_object_new_int(m->dim));
        json_object_object_add(j, "data", json_object_new_string(o.data));
        json_object_object_add(j, "split", json_object_new_string(split));
        json_object_object_add(j, "triples", json_object_new_int64(res.n_triples));
        json_object_object_add(j, "unseen", json_object_new_int64(res.n_unseen));
        json_object_object_add(j, "dropped", json_object_new_int64(res.n_dropped));
        json_object_object_add(j, "candidates", json_object_new_int64(res.n_candidates));
        json_object_object_add(j, "queries", json_object_new_int64(res.n_queries));
        json_object_object_add(j, "threads", json_object_new_int(o.p.n_threads));
        json_object_object_add(j, "scorer", json_object_new_string(o.p.scorer == EMB_KGEVAL_GENERIC ? "generic" : "batched"));
        json_object_object_add(j, "seconds", json_object_new_double(t_eval));
        json_object_object_add(j, "both", metrics_json(&res.both));
        json_object_object_add(j, "head", metrics_json(&res.head));
        json_object_object_add(j, "tail", metrics_json(&res.tail));
        if (res.per_rel) {
            struct json_object *pr = json_object_new_object();
            for (int32_t r = 0; r < res.n_relations; r++) {
                if (res.per_rel[r].both.n == 0) continue;
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "both", metrics_json(&res.per_rel[r].both));
                json_object_object_add(x, "head", metrics_json(&res.per_rel[r].head));
                json_object_object_add(x, "tail", metrics_json(&res.per_rel[r].tail));
                json_object_object_add(pr, emb_vocab_word(kg->relations, r), x);
            }
            json_object_object_add(j, "per_relation", pr);
        }
        if (o.countries) {
            struct json_object *c = json_object_new_object();
            json_object_object_add(c, "auc_pr", json_object_new_double(auc_pr));
            json_object_object_add(c, "regions", json_object_new_int(n_regions));
            json_object_object_add(j, "countries", c);
        }
        cli_json_print(j);
        st = 0;
    } else {
        printf("filtered link prediction, %s model (dim %d) on %s %s: %lld triples", emb_kge_model_name(m->model),
               m->dim, o.data, split, (long long)res.n_triples);
        if (res.n_dropped) printf(" (%lld with an entity unseen in train skipped)", (long long)res.n_dropped);
        else if (res.n_unseen) printf(" (%lld with an entity unseen in train)", (long long)res.n_unseen);
        printf(", %lld candidates, %d threads, %.2f s\n", (long long)res.n_candidates, o.p.n_threads, t_eval);
        printf("%-10s %8s  %7s  %9s  %7s  %7s  %7s\n", "direction", "n", "MRR", "MR", "Hits@1", "Hits@3", "Hits@10");
        print_row("both", &res.both);
        print_row("head", &res.head);
        print_row("tail", &res.tail);
        if (res.per_rel) {
            printf("\nper relation (both directions; head MRR, tail MRR)\n");
            printf("%8s  %7s  %9s  %7s  %7s  %7s  %7s  relation\n", "n", "MRR", "MR", "Hits@1", "Hits@10", "headMRR",
                   "tailMRR");
            for (int32_t r = 0; r < res.n_relations; r++) {
                const struct emb_kgeval_triple_metrics *x = &res.per_rel[r];
                if (x->both.n == 0) continue;
                printf("%8lld  %7.4f  %9.2f  %7.4f  %7.4f  %7.4f  %7.4f  %s\n", (long long)x->both.n, x->both.mrr,
                       x->both.mr, x->both.hits1, x->both.hits10, x->head.mrr, x->tail.mrr,
                       emb_vocab_word(kg->relations, r));
            }
        }
        if (o.countries) printf("\nCountries AUC-PR over %d regions: %.4f\n", n_regions, auc_pr);
        st = 0;
    }
    for (int i = 0; i < n_regions; i++) free(regions[i]);
    free(regions);
    emb_kgeval_result_free(&res);
    emb_kg_free(kg);
    emb_kge_free(m);
    return st;
}

/* ---- predict-link ---------------------------------------------------------- */

int cmd_predict_link(int argc, char **argv) {
    struct kopts o;
    memset(&o, 0, sizeof o);
    o.cmd = "predict-link";
    o.is_predict = 1;
    o.k = 10;
    o.p = emb_kgeval_default_params();
    int st = parse(&o, argc, argv);
    if (st >= 0) return st;
    struct emb_err err = {0};
    struct emb_kge *m = NULL;
    struct emb_kg *kg = NULL;
    struct emb_kgeval_filter *filter = NULL;
    int64_t *ids = NULL;
    float *scores = NULL;
    uint8_t *known = NULL;
    enum emb_kgeval_dir dir = strcmp(o.pos[1], "?") ? EMB_KGEVAL_TAIL : EMB_KGEVAL_HEAD;
    const char *anchor_name = dir == EMB_KGEVAL_TAIL ? o.pos[1] : o.pos[3], *rel_name = o.pos[2];
    int32_t anchor = -1, r = -1;
    int n = 0;
    int rc = emb_kge_load(&m, o.model, &err);
    if (rc == EMB_OK) {
        anchor = emb_vocab_find(m->ent_names, anchor_name, strlen(anchor_name));
        r = emb_vocab_find(m->rel_names, rel_name, strlen(rel_name));
        if (anchor < 0) rc = emb_err_set(&err, EMB_ENOTFOUND, "unknown entity '%.100s' (not in the model)", anchor_name);
        else if (r < 0) rc = emb_err_set(&err, EMB_ENOTFOUND, "unknown relation '%.100s' (not in the model)", rel_name);
    }
    if (rc == EMB_OK && o.data) rc = emb_kg_load(&kg, o.data, &err);
    if (rc == EMB_OK && o.data) rc = emb_kgeval_filter_new(&filter, m, kg, &err);
    int64_t k = o.k;
    if (rc == EMB_OK && k > m->ent->n_rows) k = m->ent->n_rows;
    if (rc == EMB_OK) {
        ids = malloc((size_t)k * sizeof *ids);
        scores = malloc((size_t)k * sizeof *scores);
        known = calloc((size_t)k, 1);
        if (!ids || !scores || !known) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
    }
    if (rc == EMB_OK)
        rc = emb_kgeval_topk(m, o.keep_known ? NULL : filter, dir, anchor, r, (int)k, ids, scores, &n, &err);
    if (rc == EMB_OK && filter) { /* mark known answers (only present with --keep-known) */
        int64_t nf = 0;
        const int32_t *f = dir == EMB_KGEVAL_TAIL ? emb_kgeval_filter_tails(filter, anchor, r, &nf)
                                                  : emb_kgeval_filter_heads(filter, r, anchor, &nf);
        for (int i = 0; i < n; i++)
            for (int64_t j = 0; j < nf; j++) known[i] |= f[j] == ids[i];
    }
    if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else if (o.json) {
        struct json_object *j = json_object_new_object(), *a = json_object_new_array();
        json_object_object_add(j, "head", dir == EMB_KGEVAL_TAIL ? json_object_new_string(anchor_name) : NULL);
        json_object_object_add(j, "relation", json_object_new_string(rel_name));
        json_object_object_add(j, "tail", dir == EMB_KGEVAL_HEAD ? json_object_new_string(anchor_name) : NULL);
        json_object_object_add(j, "predict", json_object_new_string(dir == EMB_KGEVAL_TAIL ? "tail" : "head"));
        json_object_object_add(j, "filtered", json_object_new_boolean(filter && !o.keep_known));
        for (int i = 0; i < n; i++) {
            struct json_object *x = json_object_new_object();
            json_object_object_add(x, "entity", json_object_new_string(emb_vocab_word(m->ent_names, (int32_t)ids[i])));
            json_object_object_add(x, "score", json_object_new_double(scores[i]));
            if (filter) json_object_object_add(x, "known", json_object_new_boolean(known[i]));
            json_object_array_add(a, x);
        }
        json_object_object_add(j, "answers", a);
        cli_json_print(j);
        st = 0;
    } else {
        if (!o.quiet)
            fprintf(stderr, "emb: best %s of (%s, %s, %s)%s\n", dir == EMB_KGEVAL_TAIL ? "tails" : "heads", o.pos[1],
                    o.pos[2], o.pos[3], filter && !o.keep_known ? ", known triples left out" : "");
        for (int i = 0; i < n; i++)
            printf("%d\t%s\t%.6g%s\n", i + 1, emb_vocab_word(m->ent_names, (int32_t)ids[i]), scores[i],
                   known[i] ? "\tknown" : "");
        st = 0;
    }
    free(ids);
    free(scores);
    free(known);
    emb_kgeval_filter_free(filter);
    emb_kg_free(kg);
    emb_kge_free(m);
    return st;
}
