/* cmd_kge.c -- `emb train kge`: knowledge-graph embeddings (TransE,
 * DistMult, ComplEx, RotatE) from a train/valid/test directory. */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/kge.h"
#include "emb/pool.h"

static const char *USAGE =
    "usage: emb train kge --model transe|distmult|complex|rotate --data DIR --output MODEL [options]\n"
    "\n"
    "Knowledge-graph embeddings from DIR/train.tsv (valid/test optional; .tsv or\n"
    "  .txt, optionally .gz; lines head<TAB>relation<TAB>tail). Mini-batches of\n"
    "  positives, each chunk of a batch scored against the same uniformly drawn\n"
    "  negative heads or tails. MODEL is the native model file (emb eval kge,\n"
    "  emb predict-link read it).\n"
    "\n"
    "  --dim N             embedding size (200; complex models: complex dimensions)\n"
    "  --negatives N       negatives shared per chunk (256)\n"
    "  --batch N           positive triples per step (512)\n"
    "  --chunk N           positives sharing negatives (default batch/threads)\n"
    "  --loss adv|logistic|margin   self-adversarial (default), softplus, margin ranking\n"
    "  --margin X          gamma (12): score = gamma - distance for TransE/RotatE,\n"
    "                      the margin of --loss margin; init scale is (gamma+2)/dim\n"
    "  --adv-temp X        self-adversarial temperature (1.0)\n"
    "  --p-norm 1|2        TransE distance (1)\n"
    "  --sampling uniform|bernoulli   which side to corrupt (uniform)\n"
    "  --optimizer adam|adagrad       (adam)\n"
    "  --lr X              learning rate (0.001)\n"
    "  --lr-drop F         divide lr by 10 after fraction F of the steps (off)\n"
    "  --reg none|l2|n3    regulariser on the batch rows (none); --reg-weight X\n"
    "  --init-scale X      uniform init range (default (gamma+2)/dim; for DistMult and\n"
    "                      ComplEx a small one, e.g. 0.02 with --reg n3 --reg-weight\n"
    "                      0.005, did better on WN18RR)\n"
    "  --reciprocal        inverse relations: (?, r, t) is trained and asked as\n"
    "                      (t, r^-1, ?), so every query is a tail query\n"
    "  --subsampling       weigh each positive by 1/sqrt(#(h,r) + #(t,r^-1)) in train,\n"
    "                      as the RotatE code does by default\n"
    "  --filter-negatives  leave negatives that are true answers in train out of a\n"
    "                      positive's loss (the RotatE code redraws them)\n"
    "  --epochs N          passes over train (50), or --steps N batches\n"
    "  --valid-every N     filtered MRR on valid every N steps (0 = off); the best\n"
    "                      model is kept; --valid-max N triples (1000), --patience N\n"
    "                      validations without improvement before stopping (0 = never)\n"
    "  --checkpoint FILE   write training state there every --checkpoint-every\n"
    "                      seconds (600) and when interrupted; --resume continues from it\n"
    "  --export-vectors FILE   also write entity vectors (word2vec text/bin, npy)\n"
    "  --eval-test         after training, filtered MRR and Hits@1/3/10 on test\n"
    "                      (a quick evaluator; emb eval kge has the full one)\n"
    "  --threads N, --seed N, --quiet, --json\n"
    "\n"
    "example: emb train kge --model rotate --data WN18RR --output wn.kge --dim 500 \\\n"
    "           --margin 6 --adv-temp 0.5 --lr 0.0005 --steps 20000 --valid-every 2000\n";

enum {
    OPT_MODEL = 256, OPT_DATA, OPT_OUTPUT, OPT_DIM, OPT_NEG, OPT_BATCH, OPT_CHUNK, OPT_LOSS, OPT_MARGIN, OPT_ADV,
    OPT_PNORM, OPT_SAMPLING, OPT_OPT, OPT_LR, OPT_LR_DROP, OPT_REG, OPT_REG_W, OPT_INIT, OPT_EPOCHS, OPT_STEPS,
    OPT_VALID_EVERY, OPT_VALID_MAX, OPT_PATIENCE, OPT_CKPT, OPT_CKPT_EVERY, OPT_RESUME, OPT_EXPORT, OPT_THREADS,
    OPT_SEED, OPT_QUIET, OPT_JSON, OPT_HELP, OPT_EVAL_TEST, OPT_RECIP, OPT_SUBSAMPLING,
    OPT_FILTER_NEG
};

static const struct option options[] = {
    {"model", required_argument, 0, OPT_MODEL},
    {"data", required_argument, 0, OPT_DATA},
    {"output", required_argument, 0, OPT_OUTPUT},
    {"dim", required_argument, 0, OPT_DIM},
    {"negatives", required_argument, 0, OPT_NEG},
    {"batch", required_argument, 0, OPT_BATCH},
    {"chunk", required_argument, 0, OPT_CHUNK},
    {"loss", required_argument, 0, OPT_LOSS},
    {"margin", required_argument, 0, OPT_MARGIN},
    {"adv-temp", required_argument, 0, OPT_ADV},
    {"p-norm", required_argument, 0, OPT_PNORM},
    {"sampling", required_argument, 0, OPT_SAMPLING},
    {"optimizer", required_argument, 0, OPT_OPT},
    {"lr", required_argument, 0, OPT_LR},
    {"lr-drop", required_argument, 0, OPT_LR_DROP},
    {"reg", required_argument, 0, OPT_REG},
    {"reg-weight", required_argument, 0, OPT_REG_W},
    {"init-scale", required_argument, 0, OPT_INIT},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"steps", required_argument, 0, OPT_STEPS},
    {"valid-every", required_argument, 0, OPT_VALID_EVERY},
    {"valid-max", required_argument, 0, OPT_VALID_MAX},
    {"patience", required_argument, 0, OPT_PATIENCE},
    {"checkpoint", required_argument, 0, OPT_CKPT},
    {"checkpoint-every", required_argument, 0, OPT_CKPT_EVERY},
    {"resume", no_argument, 0, OPT_RESUME},
    {"export-vectors", required_argument, 0, OPT_EXPORT},
    {"threads", required_argument, 0, OPT_THREADS},
    {"seed", required_argument, 0, OPT_SEED},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"json", no_argument, 0, OPT_JSON},
    {"help", no_argument, 0, OPT_HELP},
    {"eval-test", no_argument, 0, OPT_EVAL_TEST},
    {"reciprocal", no_argument, 0, OPT_RECIP},
    {"subsampling", no_argument, 0, OPT_SUBSAMPLING},
    {"filter-negatives", no_argument, 0, OPT_FILTER_NEG},
    {0, 0, 0, 0},
};

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

/* One option with a value (c from getopt_long); CLI_EXIT_USAGE on a bad value. */
static int parse_value(const char *cmd, int c, struct kge_args *a) {
    long long v;
    double d;
    struct emb_err err = {0};
    switch (c) {
        case OPT_LOSS:
            if (emb_kge_loss_parse(optarg, &a->p.loss, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_SAMPLING:
            if (emb_kge_neg_parse(optarg, &a->p.neg_sampling, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_OPT:
            if (emb_kge_opt_parse(optarg, &a->p.optimizer, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_REG:
            if (emb_kge_reg_parse(optarg, &a->p.reg, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_DIM:
            if (cli_parse_ll(cmd, "--dim", optarg, 1, EMB_KGE_MAX_DIM, &v)) return CLI_EXIT_USAGE;
            a->p.dim = (int32_t)v;
            break;
        case OPT_NEG:
            if (cli_parse_ll(cmd, "--negatives", optarg, 1, 100000, &v)) return CLI_EXIT_USAGE;
            a->p.negatives = (int32_t)v;
            break;
        case OPT_BATCH:
            if (cli_parse_ll(cmd, "--batch", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            a->p.batch = (int32_t)v;
            break;
        case OPT_CHUNK:
            if (cli_parse_ll(cmd, "--chunk", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            a->p.chunk = (int32_t)v;
            break;
        case OPT_PNORM:
            if (cli_parse_ll(cmd, "--p-norm", optarg, 1, 2, &v)) return CLI_EXIT_USAGE;
            a->p.p_norm = (int32_t)v;
            break;
        case OPT_MARGIN:
            if (cli_parse_double(cmd, "--margin", optarg, -1e6, 1e6, &d)) return CLI_EXIT_USAGE;
            a->p.gamma = (float)d;
            break;
        case OPT_ADV:
            if (cli_parse_double(cmd, "--adv-temp", optarg, 0, 100, &d)) return CLI_EXIT_USAGE;
            a->p.adv_temp = (float)d;
            break;
        case OPT_LR:
            if (cli_parse_double(cmd, "--lr", optarg, 1e-12, 1e30, &d)) return CLI_EXIT_USAGE;
            a->p.lr = (float)d;
            break;
        case OPT_LR_DROP:
            if (cli_parse_double(cmd, "--lr-drop", optarg, 0, 1, &d)) return CLI_EXIT_USAGE;
            a->p.lr_drop_at = (float)d;
            break;
        case OPT_REG_W:
            if (cli_parse_double(cmd, "--reg-weight", optarg, 0, 1e6, &d)) return CLI_EXIT_USAGE;
            a->p.reg_weight = (float)d;
            break;
        case OPT_INIT:
            if (cli_parse_double(cmd, "--init-scale", optarg, 1e-9, 1e3, &d)) return CLI_EXIT_USAGE;
            a->p.init_scale = (float)d;
            break;
        case OPT_EPOCHS:
            if (cli_parse_ll(cmd, "--epochs", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            a->p.epochs = (int32_t)v;
            break;
        case OPT_STEPS:
            if (cli_parse_ll(cmd, "--steps", optarg, 1, (long long)1e15, &v)) return CLI_EXIT_USAGE;
            a->p.steps = v;
            break;
        case OPT_VALID_EVERY:
            if (cli_parse_ll(cmd, "--valid-every", optarg, 0, (long long)1e15, &v)) return CLI_EXIT_USAGE;
            a->p.valid_every = v;
            break;
        case OPT_VALID_MAX:
            if (cli_parse_ll(cmd, "--valid-max", optarg, 0, INT32_MAX, &v)) return CLI_EXIT_USAGE;
            a->p.valid_max = (int32_t)v;
            break;
        case OPT_PATIENCE:
            if (cli_parse_ll(cmd, "--patience", optarg, 0, 1000000, &v)) return CLI_EXIT_USAGE;
            a->p.patience = (int32_t)v;
            break;
        case OPT_CKPT_EVERY:
            if (cli_parse_double(cmd, "--checkpoint-every", optarg, 0.001, 1e9, &d)) return CLI_EXIT_USAGE;
            a->o.checkpoint_every = d;
            break;
        case OPT_THREADS:
            if (cli_parse_ll(cmd, "--threads", optarg, 1, 1024, &v)) return CLI_EXIT_USAGE;
            a->o.n_threads = (int32_t)v;
            break;
        case OPT_SEED:
            if (cli_parse_ll(cmd, "--seed", optarg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
            a->o.seed = (uint64_t)v;
            break;
    }
    return 0;
}

static int parse_args(const char *cmd, int argc, char **argv, struct kge_args *a) {
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: a->model = optarg; break;
        case OPT_DATA: a->data = optarg; break;
        case OPT_OUTPUT: a->output = optarg; break;
        case OPT_EXPORT: a->export_path = optarg; break;
        case OPT_CKPT: a->o.checkpoint_path = optarg; break;
        case OPT_RESUME: a->o.resume = 1; break;
        case OPT_QUIET: a->quiet = 1; break;
        case OPT_EVAL_TEST: a->eval_test = 1; break;
        case OPT_JSON: a->json = 1; break;
        case OPT_RECIP: a->p.reciprocal = 1; break;
        case OPT_SUBSAMPLING: a->p.subsampling = 1; break;
        case OPT_FILTER_NEG: a->p.filter_negatives = 1; break;
        case OPT_HELP: fputs(USAGE, stdout); return -1;
        default:
            if (c < OPT_MODEL) return cli_getopt_error(cmd, c, argv);
            if (parse_value(cmd, c, a)) return CLI_EXIT_USAGE;
        }
    }
    struct emb_err err = {0};
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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
