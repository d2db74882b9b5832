/* cmd_kge.c -- `emb train kge`: knowledge-graph embeddings (TransE,
 * DistMult, ComplEx, RotatE) from a train/valid/test directory. */
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/kge.h"
#include "emb/pool.h"
#include "opt.h"

struct progress_ctx {
    struct cli_progress bar;
    int quiet;
    double t0;
    int64_t last_step;
    struct json_object *curve; /* validations for --json: [{step, mrr, seconds}] */
};

static void on_progress(void *ctx, const struct emb_train_progress *pr) {
    struct progress_ctx *pc = ctx;
    char extra[96];
    if (pr->step > pc->last_step) pc->last_step = pr->step;
    if (pr->event == EMB_TRAIN_VALID) {
        if (pc->curve) {
            struct json_object *v = json_object_new_object();
            json_object_object_add(v, "step", json_object_new_int64(pr->step));
            json_object_object_add(v, "mrr", json_object_new_double(pr->metric));
            json_object_object_add(v, "seconds", json_object_new_double(cli_now() - pc->t0));
            json_object_array_add(pc->curve, v);
        }
        /* Validations are worth a line of their own in logs. */
        if (!pc->quiet) {
            cli_progress_done(&pc->bar);
            fprintf(stderr, "emb: step %lld: valid MRR %.4f (best %.4f at step %lld), %.0f s\n", (long long)pr->step,
                    pr->metric, pr->best_metric, (long long)pr->best_step, cli_now() - pc->t0);
        }
        return;
    }
    if (pr->event != EMB_TRAIN_TICK) return;
    double f = (double)pr->step / (double)pr->n_steps, el = cli_now() - pc->t0;
    snprintf(extra, sizeof extra, "step %lld loss %.4f", (long long)pr->step, pr->loss);
    cli_progress_draw(&pc->bar, f, pr->rate, "triples", f > 0 ? el * (1 - f) / f : -1, extra);
}

/* What the command line asked for. */
struct kge_args {
    struct emb_kge_params p;
    struct emb_train_opts o;
    const char *data, *output, *export_path, *model;
    int quiet, json, eval_test;
};

/* The library's word parsers as option parsers. */
#define KGE_WORD_PARSER(name, parse_fn, type)                                                                      \
    static int name(const char *cmd, const char *opt, const char *arg, void *dst) {                                \
        struct emb_err err = {0};                                                                                  \
        (void)opt;                                                                                                 \
        return parse_fn(arg, (type *)dst, &err) != EMB_OK ? cli_usage_error(cmd, "%s", err.msg) : 0;               \
    }
KGE_WORD_PARSER(parse_loss, emb_kge_loss_parse, enum emb_kge_loss)
KGE_WORD_PARSER(parse_neg, emb_kge_neg_parse, enum emb_kge_neg)
KGE_WORD_PARSER(parse_opt, emb_kge_opt_parse, enum emb_kge_opt)
KGE_WORD_PARSER(parse_reg, emb_kge_reg_parse, enum emb_kge_reg)

#define T struct kge_args
static const struct cli_opt kge_opts[] = {
    CLI_STR_OPT("model", 0, T, model, "M", "transe, distmult, complex or rotate (required)", NULL),
    CLI_STR_OPT("data", 0, T, data, "DIR", "dataset folder (required)", NULL),
    CLI_STR_OPT("output", 0, T, output, "MODEL", "model file to write (required)", NULL),
    CLI_INT_OPT("dim", 0, T, p.dim, 1, EMB_KGE_MAX_DIM, "N", "embedding size (complex models: complex dimensions)",
                "200"),
    CLI_INT_OPT("negatives", 0, T, p.negatives, 1, 100000, "N", "negatives shared per chunk", "256"),
    CLI_INT_OPT("batch", 0, T, p.batch, 1, 1000000, "N", "positive triples per step", "512"),
    CLI_INT_OPT("chunk", 0, T, p.chunk, 1, 1000000, "N", "positives sharing negatives", "batch/threads"),
    CLI_FN_OPT("loss", T, p.loss, parse_loss, "adv|logistic|margin", "self-adversarial, softplus, margin ranking",
               "adv"),
    CLI_FLOAT_OPT("margin", T, p.gamma, -1e6, 1e6, "X",
                  "gamma: score = gamma - distance for TransE/RotatE,\nthe margin of --loss margin; init scale is "
                  "(gamma+2)/dim",
                  "12"),
    CLI_FLOAT_OPT("adv-temp", T, p.adv_temp, 0, 100, "X", "self-adversarial temperature", "1.0"),
    CLI_INT_OPT("p-norm", 0, T, p.p_norm, 1, 2, "1|2", "TransE distance", "1"),
    CLI_FN_OPT("sampling", T, p.neg_sampling, parse_neg, "uniform|bernoulli", "which side to corrupt", "uniform"),
    CLI_FN_OPT("optimizer", T, p.optimizer, parse_opt, "adam|adagrad", "optimiser", "adam"),
    CLI_FLOAT_OPT("lr", T, p.lr, 1e-12, 1e30, "X", "learning rate", "0.001"),
    CLI_FLOAT_OPT("lr-drop", T, p.lr_drop_at, 0, 1, "F", "divide lr by 10 after fraction F of the steps", "off"),
    CLI_FN_OPT("reg", T, p.reg, parse_reg, "none|l2|n3", "regulariser on the batch rows", "none"),
    CLI_FLOAT_OPT("reg-weight", T, p.reg_weight, 0, 1e6, "X", "its weight", NULL),
    CLI_FLOAT_OPT("init-scale", T, p.init_scale, 1e-9, 1e3, "X",
                  "uniform init range (default (gamma+2)/dim; for DistMult and\nComplEx a small one, e.g. 0.02 with "
                  "--reg n3 --reg-weight\n0.005, did better on WN18RR)",
                  NULL),
    CLI_FLAG_OPT("reciprocal", T, p.reciprocal,
                 "inverse relations: (?, r, t) is trained and asked as\n(t, r^-1, ?), so every query is a tail query"),
    CLI_FLAG_OPT("subsampling", T, p.subsampling,
                 "weigh each positive by 1/sqrt(#(h,r) + #(t,r^-1)) in train,\nas the RotatE code does by default"),
    CLI_FLAG_OPT("filter-negatives", T, p.filter_negatives,
                 "leave negatives that are true answers in train out of a\npositive's loss (the RotatE code redraws "
                 "them)"),
    CLI_INT_OPT("epochs", 0, T, p.epochs, 1, 1000000, "N", "passes over train", "50"),
    CLI_I64_OPT("steps", T, p.steps, 1, (long long)1e15, "N", "batches in all, instead of --epochs", NULL),
    CLI_I64_OPT("valid-every", T, p.valid_every, 0, (long long)1e15, "N",
                "filtered MRR on valid every N steps (0 = off); the best\nmodel is kept", "0"),
    CLI_INT_OPT("valid-max", 0, T, p.valid_max, 0, INT32_MAX, "N", "valid triples used", "1000"),
    CLI_INT_OPT("patience", 0, T, p.patience, 0, 1000000, "N",
                "validations without improvement before stopping (0 = never)", "0"),
    CLI_CHECKPOINT_OPT(T, o.checkpoint_path, "write training state there every --checkpoint-every\nseconds and when "
                                             "interrupted; --resume continues from it"),
    CLI_CHECKPOINT_EVERY_OPT(T, o.checkpoint_every, "600"),
    CLI_FLAG_OPT("resume", T, o.resume, "continue from --checkpoint FILE"),
    CLI_STR_OPT("export-vectors", 0, T, export_path, "FILE", "also write entity vectors (word2vec text/bin, npy)",
                NULL),
    CLI_FLAG_OPT("eval-test", T, eval_test,
                 "after training, filtered MRR and Hits@1/3/10 on test\n(a quick evaluator; emb eval kge has the full "
                 "one)"),
    CLI_THREADS_OPT(T, o.n_threads, "threads", "all CPUs"),
    CLI_SEED_OPT(T, o.seed, "random seed", "1"),
    CLI_QUIET_OPT(T, quiet, "no progress line"),
    CLI_JSON_OPT(T, json, "print a JSON summary on stdout"),
};
#undef T

static const struct cli_spec kge_spec = {
    .cmd = "train kge",
    .usage = "usage: emb train kge --model transe|distmult|complex|rotate --data DIR --output MODEL [options]\n"
             "\n"
             "Knowledge-graph embeddings from DIR/train.tsv (valid/test optional; .tsv or\n"
             "  .txt, optionally .gz; lines head<TAB>relation<TAB>tail). Mini-batches of\n"
             "  positives, each chunk of a batch scored against the same uniformly drawn\n"
             "  negative heads or tails. MODEL is the native model file (emb eval kge,\n"
             "  emb predict-link read it).\n",
    .opts = kge_opts,
    .n_opts = CLI_NOPTS(kge_opts),
    .tail = "example: emb train kge --model rotate --data WN18RR --output wn.kge --dim 500 \\\n"
            "           --margin 6 --adv-temp 0.5 --lr 0.0005 --steps 20000 --valid-every 2000\n",
    .max_args = 0,
};

/* Parse and check the options: 0 to go on, -1 after --help, else an exit status. */
static int parse_args(const char *cmd, int argc, char **argv, struct kge_args *a) {
    struct cli_args ca;
    int st = cli_parse(&kge_spec, argc, argv, a, &ca);
    if (st >= 0) return st == 0 ? -1 : st;
    struct emb_err err = {0};
    if (!a->model) return cli_usage_error(cmd, "--model transe|distmult|complex|rotate is required");
    if (emb_kge_model_parse(a->model, &a->p.model, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    if (!a->data) return cli_usage_error(cmd, "--data DIR is required");
    if (!a->output) return cli_usage_error(cmd, "--output MODEL is required");
    if (a->o.resume && !a->o.checkpoint_path) return cli_usage_error(cmd, "--resume needs --checkpoint FILE");
    if (a->p.chunk > a->p.batch) return cli_usage_error(cmd, "--chunk must not exceed --batch");
    if (emb_kge_params_check(&a->p, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
    const struct cli_path paths[] = {
        {"--data", a->data, CLI_IN, 0},
        {"--output", a->output, CLI_OUT, 0},
        {"--export-vectors", a->export_path, CLI_VECS, 0},
        {"--checkpoint", a->o.checkpoint_path, CLI_CKPT, 0},
    };
    return cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0]);
}

/* After training: quick valid/test metrics, the summary line, --json. */
static int report_result(const char *cmd, const struct kge_args *a, const struct emb_kg *kg, const struct emb_kge *m,
                         struct progress_ctx *pc, double secs) {
    struct emb_err err = {0};
    int rc, st = 0;
    double mrr = -1;
    if (kg->valid.n > 0) mrr = emb_kge_quick_mrr(m, kg, &kg->valid, a->p.valid_max ? a->p.valid_max : 1000, a->o.n_threads);
    /* Positive triples seen: whole epochs, then the batches of the last. */
    int64_t spe = (kg->train.n + a->p.batch - 1) / a->p.batch, rem = pc->last_step % spe;
    int64_t seen = pc->last_step / spe * kg->train.n + (rem * a->p.batch < kg->train.n ? rem * a->p.batch : kg->train.n);
    struct emb_kge_rank_stats ts;
    memset(&ts, 0, sizeof ts);
    if (a->eval_test && kg->test.n > 0 && (rc = emb_kge_quick_eval(m, kg, &kg->test, 0, a->o.n_threads, &ts, &err)) != EMB_OK)
        st = cli_fail(cmd, rc, &err);
    if (!a->quiet) {
        fprintf(stderr, "emb: %s dim %d trained in %.1f s (%lld steps, %.0f triples/s)", emb_kge_model_name(a->p.model),
                a->p.dim, secs, (long long)pc->last_step, secs > 0 ? (double)seen / secs : 0);
        if (mrr >= 0) fprintf(stderr, "; filtered valid MRR %.4f", mrr);
        fprintf(stderr, "; wrote %s\n", a->output);
        if (ts.n_queries)
            fprintf(stderr, "emb: filtered test: MRR %.4f, Hits@1 %.4f, Hits@3 %.4f, Hits@10 %.4f (%lld queries)\n",
                    ts.mrr, ts.hits1, ts.hits3, ts.hits10, (long long)ts.n_queries);
    }
    if (a->json) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "model", json_object_new_string(emb_kge_model_name(a->p.model)));
        json_object_object_add(j, "entities", json_object_new_int(kg->n_entities));
        json_object_object_add(j, "relations", json_object_new_int(kg->n_relations));
        json_object_object_add(j, "train_triples", json_object_new_int64(kg->train.n));
        json_object_object_add(j, "dim", json_object_new_int(a->p.dim));
        json_object_object_add(j, "reciprocal", json_object_new_boolean(a->p.reciprocal));
        json_object_object_add(j, "subsampling", json_object_new_boolean(a->p.subsampling));
        json_object_object_add(j, "filter_negatives", json_object_new_boolean(a->p.filter_negatives));
        json_object_object_add(j, "seconds", json_object_new_double(secs));
        if (mrr >= 0) json_object_object_add(j, "valid_mrr", json_object_new_double(mrr));
        json_object_object_add(j, "steps", json_object_new_int64(pc->last_step));
        json_object_object_add(j, "valid_curve", pc->curve);
        pc->curve = NULL;
        json_object_object_add(j, "triples_per_sec", json_object_new_double(secs > 0 ? (double)seen / secs : 0));
        if (ts.n_queries) {
            struct json_object *t = json_object_new_object();
            json_object_object_add(t, "mrr", json_object_new_double(ts.mrr));
            json_object_object_add(t, "hits1", json_object_new_double(ts.hits1));
            json_object_object_add(t, "hits3", json_object_new_double(ts.hits3));
            json_object_object_add(t, "hits10", json_object_new_double(ts.hits10));
            json_object_object_add(j, "test", t);
        }
        json_object_object_add(j, "output", json_object_new_string(a->output));
        cli_json_print(j);
    }
    return st;
}

int cmd_train_kge(int argc, char **argv) {
    const char *cmd = "train kge";
    struct kge_args a;
    memset(&a, 0, sizeof a);
    a.p = emb_kge_default_params();
    a.o = emb_train_default_opts();
    a.o.n_threads = emb_cpu_count();
    int st = parse_args(cmd, argc, argv, &a);
    if (st != 0) return st < 0 ? 0 : st;
    struct emb_err err = {0};
    struct progress_ctx pc;
    cli_progress_init(&pc.bar, a.quiet);
    pc.quiet = a.quiet;
    pc.last_step = 0;
    pc.curve = a.json ? json_object_new_array() : NULL;
    a.o.progress = on_progress;
    a.o.progress_ctx = &pc;
    a.o.stop = cli_stop_flag();
    a.o.warn = cli_warn;
    a.o.warn_ctx = (void *)cmd;
    struct emb_kg *kg = NULL;
    struct emb_kge *m = NULL;
    int rc = emb_kg_load(&kg, a.data, &err);
    if (rc != EMB_OK) return cli_fail(cmd, rc, &err);
    if (!a.quiet) {
        fprintf(stderr, "emb: %s: %d entities, %d relations; %lld train, %lld valid, %lld test triples\n", a.data,
                kg->n_entities, kg->n_relations, (long long)kg->train.n, (long long)kg->valid.n,
                (long long)kg->test.n);
        if (kg->valid_unseen || kg->test_unseen || kg->n_unseen_relations)
            fprintf(stderr,
                    "emb: note: %lld valid and %lld test triples have an entity not in train, %d relations occur "
                    "only in valid/test; they are kept (standard protocol) and rank with untrained vectors\n",
                    (long long)kg->valid_unseen, (long long)kg->test_unseen, kg->n_unseen_relations);
    }
    if (a.p.valid_every > 0 && kg->valid.n == 0) {
        emb_kg_free(kg);
        return cli_usage_error(cmd, "--valid-every needs a valid split in %s", a.data);
    }
    pc.t0 = cli_now();
    rc = emb_kge_train(kg, &a.p, &a.o, &m, &err);
    cli_progress_done(&pc.bar);
    double secs = cli_now() - pc.t0;
    if (rc == EMB_OK) rc = emb_kge_save(m, a.output, &err);
    if (rc == EMB_OK && a.export_path) rc = emb_kge_export_entities(m, a.export_path, &err);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: interrupted%s%s, no model written\n", cmd,
                a.o.checkpoint_path ? "; state saved in " : "", a.o.checkpoint_path ? a.o.checkpoint_path : "");
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(cmd, rc, &err);
    } else {
        st = report_result(cmd, &a, kg, m, &pc, secs);
    }
    if (pc.curve) json_object_put(pc.curve);
    emb_kge_free(m);
    emb_kg_free(kg);
    return st;
}
