/* cmd_train.c -- `emb train MODEL ...`: read a corpus, train, save vectors. */
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/pool.h"
#include "emb/simd.h"
#include "emb/stream.h"
#include "emb/vecs.h"
#include "emb/w2v.h"

static const char *W2V_USAGE =
    "usage: emb train word2vec --input CORPUS --output VECTORS [options]\n"
    "\n"
    "Train word2vec vectors. CORPUS is plain or gzip text (\"-\" = stdin), one\n"
    "sentence per line, tokens separated by whitespace. The output format follows\n"
    "the extension: .bin word2vec binary, .npy NumPy (+ .vocab), else text.\n"
    "\n"
    "model:\n"
    "  --model sg|cbow       skip-gram or CBOW (default cbow, as word2vec.c)\n"
    "  --loss ns|hs          negative sampling or hierarchical softmax (default ns)\n"
    "  --kernel batch|plain  skip-gram NS kernel: shared negatives as small matrix\n"
    "                        products (default), or word2vec.c's per-pair loop\n"
    "  --dim N               vector size (100)\n"
    "  --window N            max context distance (5)\n"
    "  --negative N          negative samples (5)\n"
    "  --epochs N            passes over the corpus (5); --iter is a synonym\n"
    "  --alpha X             starting learning rate (0.025 sg, 0.05 cbow)\n"
    "  --sample X            subsampling threshold for frequent words (1e-3; 0 = off)\n"
    "vocabulary:\n"
    "  --min-count N         drop words rarer than N (5)\n"
    "  --max-vocab N         keep at most the N most frequent words (0 = all)\n"
    "  --save-vocab FILE     write \"word count\" lines\n"
    "  --read-vocab FILE     use this vocabulary instead of counting the corpus\n"
    "run:\n"
    "  --threads N           worker threads (default: number of CPUs)\n"
    "  --simd auto|ref|avx2|avx512  vector kernels (default: best the CPU has)\n"
    "  --seed N              random seed (1); with --threads 1 output is reproducible\n"
    "  --format text|bin|npy output format (default from the extension)\n"
    "  --checkpoint FILE     save state every --checkpoint-every seconds (600) and\n"
    "                        on SIGINT/SIGTERM\n"
    "  --resume FILE         continue from a checkpoint (give the same --input) and\n"
    "                        keep checkpointing into it\n"
    "  --quiet               no progress line\n"
    "  --json                print a JSON summary on stdout\n"
    "\n"
    "example:\n"
    "  emb train word2vec --model sg --input corpus.txt.gz --output vectors.bin --threads 2\n";

enum {
    OPT_INPUT = 256, OPT_OUTPUT, OPT_MODEL, OPT_LOSS, OPT_KERNEL, OPT_DIM, OPT_WINDOW, OPT_NEGATIVE, OPT_EPOCHS,
    OPT_ALPHA, OPT_SAMPLE, OPT_MIN_COUNT, OPT_MAX_VOCAB, OPT_SAVE_VOCAB, OPT_READ_VOCAB, OPT_THREADS, OPT_SEED,
    OPT_FORMAT, OPT_CHECKPOINT, OPT_CHECKPOINT_EVERY, OPT_RESUME, OPT_QUIET, OPT_JSON, OPT_SIMD, OPT_HELP
};

static const struct option w2v_options[] = {
    {"input", required_argument, 0, OPT_INPUT},
    {"output", required_argument, 0, OPT_OUTPUT},
    {"model", required_argument, 0, OPT_MODEL},
    {"loss", required_argument, 0, OPT_LOSS},
    {"kernel", required_argument, 0, OPT_KERNEL},
    {"dim", required_argument, 0, OPT_DIM},
    {"size", required_argument, 0, OPT_DIM},
    {"window", required_argument, 0, OPT_WINDOW},
    {"negative", required_argument, 0, OPT_NEGATIVE},
    {"epochs", required_argument, 0, OPT_EPOCHS},
    {"iter", required_argument, 0, OPT_EPOCHS},
    {"alpha", required_argument, 0, OPT_ALPHA},
    {"sample", required_argument, 0, OPT_SAMPLE},
    {"min-count", required_argument, 0, OPT_MIN_COUNT},
    {"max-vocab", required_argument, 0, OPT_MAX_VOCAB},
    {"save-vocab", required_argument, 0, OPT_SAVE_VOCAB},
    {"read-vocab", required_argument, 0, OPT_READ_VOCAB},
    {"threads", required_argument, 0, OPT_THREADS},
    {"seed", required_argument, 0, OPT_SEED},
    {"format", required_argument, 0, OPT_FORMAT},
    {"checkpoint", required_argument, 0, OPT_CHECKPOINT},
    {"checkpoint-every", required_argument, 0, OPT_CHECKPOINT_EVERY},
    {"resume", required_argument, 0, OPT_RESUME},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"json", no_argument, 0, OPT_JSON},
    {"simd", required_argument, 0, OPT_SIMD},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0},
};

static void on_read_progress(void *ctx, double fraction, int64_t n_tokens) {
    char extra[64];
    snprintf(extra, sizeof extra, "reading, %lld tokens", (long long)n_tokens);
    cli_progress_draw(ctx, fraction < 0 ? 0 : fraction, 0, "words", -1, extra);
}

/* The model: new, on the vocabulary of the corpus (or of --read-vocab), or
 * the checkpoint of --resume, with the corpus read through its vocabulary
 * (options that shape the vocabulary must then match when given). */
static int w2v_model(const char *input, const char *read_vocab, const char *resume, uint32_t given, int min_count_set,
                     int max_vocab_set, struct emb_w2v_params *p, struct emb_train_opts *to,
                     const struct emb_corpus_params *cp, struct emb_vocab **vocab, struct emb_stream **stream,
                     struct emb_w2v **m, struct emb_err *err) {
    int rc;
    if (resume) {
        char want[128];
        int nw = snprintf(want, sizeof want, "trainer=word2vec\n");
        if (min_count_set) nw += snprintf(want + nw, sizeof want - (size_t)nw, "min_count=%lld\n", (long long)cp->min_count);
        if (max_vocab_set) snprintf(want + nw, sizeof want - (size_t)nw, "max_vocab=%d\n", (int)cp->max_vocab);
        if ((rc = cli_w2v_inherit(resume, given, p, to, err)) != EMB_OK) return rc;
        if ((rc = emb_w2v_new(m, NULL, p, to, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_require(emb_w2v_settings(*m), want, resume, err)) != EMB_OK) return rc;
        return emb_stream_read_corpus(input, emb_w2v_vocab(*m), cp, NULL, stream, err);
    }
    if (read_vocab) {
        if ((rc = emb_vocab_load(vocab, read_vocab, err)) != EMB_OK) return rc;
        if ((rc = emb_vocab_finalize(*vocab, cp->min_count, cp->max_vocab, NULL, err)) != EMB_OK) return rc;
        if ((rc = emb_stream_read_corpus(input, *vocab, cp, NULL, stream, err)) != EMB_OK) return rc;
    } else if ((rc = emb_stream_read_corpus(input, NULL, cp, vocab, stream, err)) != EMB_OK) {
        return rc;
    }
    if ((rc = emb_w2v_new(m, *vocab, p, to, err)) != EMB_OK) return rc;
    char settings[128];
    snprintf(settings, sizeof settings, "trainer=word2vec\nmin_count=%lld\nmax_vocab=%d\n", (long long)cp->min_count,
             (int)cp->max_vocab);
    return emb_w2v_set_settings(*m, settings, err);
}

static void read_summary(const struct emb_w2v *m, const struct emb_stream *stream, double t_read) {
    fprintf(stderr, "emb: %d words in the vocabulary, %lld training tokens, read in %.1f s\n",
            emb_vocab_size(emb_w2v_vocab(m)), (long long)emb_stream_n_tokens(stream), t_read);
}

/* The summary line on stderr (unless quiet) and the --json object. */
static void w2v_summary(const struct emb_w2v *m, const struct emb_stream *stream, const struct emb_train_opts *to,
                        double t_read, double t_train, int64_t words, const char *output, int quiet, int json) {
    const struct emb_w2v_params *mp = emb_w2v_params(m);
    double rate = t_train > 0 ? words / t_train : 0;
    if (!quiet)
        fprintf(stderr, "emb: trained %s/%s dim %d on %lld tokens x %d epochs in %.1f s (%.0f words/s, %d threads); wrote %s\n",
                mp->model == EMB_W2V_SG ? "sg" : "cbow", mp->loss == EMB_W2V_NS ? "ns" : "hs", mp->dim,
                (long long)emb_stream_n_tokens(stream), mp->epochs, t_train, rate, emb_train_threads(to), output);
    if (!json) return;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(mp->model == EMB_W2V_SG ? "sg" : "cbow"));
    json_object_object_add(o, "loss", json_object_new_string(mp->loss == EMB_W2V_NS ? "ns" : "hs"));
    json_object_object_add(o, "dim", json_object_new_int(mp->dim));
    json_object_object_add(o, "vocab", json_object_new_int(emb_vocab_size(emb_w2v_vocab(m))));
    json_object_object_add(o, "tokens", json_object_new_int64(emb_stream_n_tokens(stream)));
    json_object_object_add(o, "epochs", json_object_new_int(mp->epochs));
    json_object_object_add(o, "threads", json_object_new_int(emb_train_threads(to)));
    json_object_object_add(o, "read_seconds", json_object_new_double(t_read));
    json_object_object_add(o, "train_seconds", json_object_new_double(t_train));
    json_object_object_add(o, "words_per_second", json_object_new_double(rate));
    json_object_object_add(o, "output", json_object_new_string(output));
    cli_json_print(o);
}

static int train_word2vec(int argc, char **argv) {
    const char *cmd = "train word2vec";
    struct emb_w2v_params p = emb_w2v_default_params();
    struct emb_train_opts to = emb_train_default_opts();
    struct emb_corpus_params cp = emb_corpus_default_params();
    const char *input = NULL, *output = NULL, *save_vocab = NULL, *read_vocab = NULL, *resume = NULL;
    enum emb_vec_format fmt = EMB_FMT_AUTO;
    int quiet = 0, json = 0, alpha_set = 0, min_count_set = 0, max_vocab_set = 0, rc;
    uint32_t given = 0;
    long long v;
    struct emb_err err = {0};
    to.n_threads = emb_cpu_count();
    optind = 1;
    opterr = 0;
    int c;
    int idx = 0;
    while ((c = getopt_long(argc, argv, ":", w2v_options, &idx)) != -1) {
        switch (c) {
        case OPT_INPUT: input = optarg; break;
        case OPT_OUTPUT: output = optarg; break;
        case OPT_MODEL:
            if (!strcmp(optarg, "sg") || !strcmp(optarg, "skipgram")) p.model = EMB_W2V_SG;
            else if (!strcmp(optarg, "cbow")) p.model = EMB_W2V_CBOW;
            else return cli_usage_error(cmd, "--model must be sg or cbow, got '%s'", optarg);
            given |= CLI_W2V_MODEL;
            break;
        case OPT_LOSS:
            if (!strcmp(optarg, "ns")) p.loss = EMB_W2V_NS;
            else if (!strcmp(optarg, "hs")) p.loss = EMB_W2V_HS;
            else return cli_usage_error(cmd, "--loss must be ns or hs, got '%s'", optarg);
            given |= CLI_W2V_LOSS;
            break;
        case OPT_KERNEL:
            if (!strcmp(optarg, "batch")) p.kernel = EMB_W2V_KERNEL_BATCH;
            else if (!strcmp(optarg, "plain")) p.kernel = EMB_W2V_KERNEL_PLAIN;
            else return cli_usage_error(cmd, "--kernel must be batch or plain, got '%s'", optarg);
            given |= CLI_W2V_KERNEL;
            break;
        case OPT_SIMD:
            if (emb_simd_parse(optarg, &p.simd, &err) != EMB_OK) return cli_usage_error(cmd, "--simd: %s", err.msg);
            break;
        case OPT_MIN_COUNT:
            if (cli_parse_ll(cmd, "--min-count", optarg, 1, INT64_MAX, &v)) return CLI_EXIT_USAGE;
            cp.min_count = v;
            min_count_set = 1;
            break;
        case OPT_MAX_VOCAB:
            if (cli_parse_ll(cmd, "--max-vocab", optarg, 0, INT32_MAX, &v)) return CLI_EXIT_USAGE;
            cp.max_vocab = (int32_t)v;
            max_vocab_set = 1;
            break;
        case OPT_SAVE_VOCAB: save_vocab = optarg; break;
        case OPT_READ_VOCAB: read_vocab = optarg; break;
        case OPT_FORMAT:
            if (emb_vec_format_parse(optarg, &fmt, &err) != EMB_OK) return cli_usage_error(cmd, "%s", err.msg);
            break;
        case OPT_CHECKPOINT: to.checkpoint_path = optarg; break;
        case OPT_RESUME: resume = optarg; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_DIM: case OPT_WINDOW: case OPT_NEGATIVE: case OPT_EPOCHS: case OPT_ALPHA: case OPT_SAMPLE:
        case OPT_THREADS: case OPT_SEED: case OPT_CHECKPOINT_EVERY:
            if (cli_w2v_option(cmd, w2v_options[idx].name, optarg, &p, &to)) return CLI_EXIT_USAGE;
            given |= cli_w2v_given_bit(w2v_options[idx].name);
            if (c == OPT_ALPHA) alpha_set = 1;
            break;
        case OPT_HELP: fputs(W2V_USAGE, stdout); return 0;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!input) return cli_usage_error(cmd, "--input CORPUS is required");
    if (!output) return cli_usage_error(cmd, "--output VECTORS is required");
    if (resume && read_vocab) return cli_usage_error(cmd, "--resume and --read-vocab cannot be combined");
    if (!alpha_set) p.alpha = 0; /* model default */
    const struct cli_path paths[] = {
        {"--input", input, CLI_IN, 0},          {"--read-vocab", read_vocab, CLI_IN, 0},
        {"--resume", resume, CLI_RESUME, 0},    {"--output", output, CLI_VECS, (int)fmt},
        {"--save-vocab", save_vocab, CLI_OUT, 0}, {"--checkpoint", to.checkpoint_path, CLI_CKPT, 0},
    };
    if ((rc = cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0])) != 0) return rc;
    if ((rc = cli_train_resume(cmd, resume, &to)) != 0) return rc;

    struct cli_progress bar;
    cli_train_attach(&to, &bar, quiet, cmd);
    cp.progress = on_read_progress;
    cp.progress_ctx = &bar;

    int status = CLI_EXIT_FAIL;
    struct emb_vocab *vocab = NULL;
    struct emb_stream *stream = NULL;
    struct emb_w2v *m = NULL;
    double t0 = cli_now(), t_read = 0;
    if ((rc = w2v_model(input, read_vocab, resume, given, min_count_set, max_vocab_set, &p, &to, &cp, &vocab, &stream,
                        &m, &err)) != EMB_OK)
        goto fail;
    t_read = cli_now() - t0;
    const struct emb_vocab *mv = emb_w2v_vocab(m);
    cli_progress_done(&bar);
    if (!quiet) read_summary(m, stream, t_read);
    if (save_vocab && (rc = emb_vocab_save(mv, save_vocab, &err)) != EMB_OK) goto fail;
    int64_t words_before = emb_w2v_words_done(m);
    double t1 = cli_now();
    if ((rc = emb_w2v_train(m, stream, &to, &err)) != EMB_OK) goto fail;
    cli_progress_done(&bar);
    double t_train = cli_now() - t1;
    if ((rc = emb_vecs_save(mv, emb_w2v_vectors(m), output, fmt, NULL, &err)) != EMB_OK) goto fail;
    w2v_summary(m, stream, &to, t_read, t_train, emb_w2v_words_done(m) - words_before, output, quiet, json);
    status = 0;
    goto done;
fail:
    cli_progress_done(&bar);
    status = cli_train_failed(cmd, rc, &err);
done:
    emb_w2v_free(m);
    emb_stream_free(stream);
    emb_vocab_free(vocab);
    return status;
}

/* The skip-gram options shared by `train word2vec` and the graph trainers
 * (cmd_graph.c), parsed in one place. */
int cli_w2v_option(const char *cmd, const char *name, const char *arg, struct emb_w2v_params *p,
                   struct emb_train_opts *o) {
    long long v;
    double d;
    char opt[64];
    snprintf(opt, sizeof opt, "--%s", name);
    if (!strcmp(name, "dim") || !strcmp(name, "size")) {
        if (cli_parse_ll(cmd, opt, arg, 1, 10000, &v)) return CLI_EXIT_USAGE;
        p->dim = (int32_t)v;
    } else if (!strcmp(name, "window")) {
        if (cli_parse_ll(cmd, opt, arg, 1, 1000, &v)) return CLI_EXIT_USAGE;
        p->window = (int32_t)v;
    } else if (!strcmp(name, "negative")) {
        if (cli_parse_ll(cmd, opt, arg, 1, 1000, &v)) return CLI_EXIT_USAGE;
        p->negative = (int32_t)v;
    } else if (!strcmp(name, "epochs") || !strcmp(name, "iter")) {
        if (cli_parse_ll(cmd, opt, arg, 1, 100000, &v)) return CLI_EXIT_USAGE;
        p->epochs = (int32_t)v;
    } else if (!strcmp(name, "alpha")) {
        if (cli_parse_double(cmd, opt, arg, 1e-9, 10, &d)) return CLI_EXIT_USAGE;
        p->alpha = (float)d;
    } else if (!strcmp(name, "sample")) {
        if (cli_parse_double(cmd, opt, arg, 0, 0.999, &d)) return CLI_EXIT_USAGE;
        p->sample = d;
    } else if (!strcmp(name, "threads")) {
        if (cli_parse_ll(cmd, opt, arg, 1, 1024, &v)) return CLI_EXIT_USAGE;
        o->n_threads = (int32_t)v;
    } else if (!strcmp(name, "seed")) {
        if (cli_parse_ll(cmd, opt, arg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
        o->seed = (uint64_t)v;
    } else if (!strcmp(name, "kernel")) {
        if (!strcmp(arg, "batch")) p->kernel = EMB_W2V_KERNEL_BATCH;
        else if (!strcmp(arg, "plain")) p->kernel = EMB_W2V_KERNEL_PLAIN;
        else return cli_usage_error(cmd, "--kernel must be batch or plain, got '%s'", arg);
    } else if (!strcmp(name, "checkpoint-every")) {
        if (cli_parse_double(cmd, opt, arg, 0.001, 1e9, &d)) return CLI_EXIT_USAGE;
        o->checkpoint_every = d;
    } else {
        return cli_usage_error(cmd, "internal: '%s' is not a shared option", opt);
    }
    return 0;
}

/* The CLI_W2V_* bit of a shared option (0 for those that may change
 * between a run and its resumption: threads, checkpoint-every). */
uint32_t cli_w2v_given_bit(const char *name) {
    static const struct { const char *name; uint32_t bit; } bits[] = {
        {"dim", CLI_W2V_DIM},           {"size", CLI_W2V_DIM},       {"window", CLI_W2V_WINDOW},
        {"negative", CLI_W2V_NEGATIVE}, {"epochs", CLI_W2V_EPOCHS}, {"iter", CLI_W2V_EPOCHS},
        {"alpha", CLI_W2V_ALPHA},       {"sample", CLI_W2V_SAMPLE}, {"seed", CLI_W2V_SEED},
        {"kernel", CLI_W2V_KERNEL},
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (!strcmp(name, bits[i].name)) return bits[i].bit;
    return 0;
}

int cli_w2v_inherit(const char *path, uint32_t given, struct emb_w2v_params *p, struct emb_train_opts *o,
                    struct emb_err *err) {
    struct emb_w2v_params ck;
    uint64_t seed;
    int rc = emb_w2v_checkpoint_params(path, &ck, &seed, err);
    if (rc != EMB_OK) return rc;
    if (!(given & CLI_W2V_MODEL)) p->model = ck.model;
    if (!(given & CLI_W2V_LOSS)) p->loss = ck.loss;
    if (!(given & CLI_W2V_KERNEL)) p->kernel = ck.kernel;
    if (!(given & CLI_W2V_DIM)) p->dim = ck.dim;
    if (!(given & CLI_W2V_WINDOW)) p->window = ck.window;
    if (!(given & CLI_W2V_NEGATIVE)) p->negative = ck.negative;
    if (!(given & CLI_W2V_EPOCHS)) p->epochs = ck.epochs;
    if (!(given & CLI_W2V_ALPHA)) p->alpha = ck.alpha;
    if (!(given & CLI_W2V_SAMPLE)) p->sample = ck.sample;
    if (!(given & CLI_W2V_SEED)) o->seed = seed;
    p->max_sentence = ck.max_sentence;
    return EMB_OK;
}

int cmd_train(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: emb train MODEL [options]\n\nmodels:\n  word2vec   skip-gram / CBOW word vectors\n\n%s",
                W2V_USAGE);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "word2vec") || !strcmp(argv[1], "w2v")) return train_word2vec(argc - 1, argv + 1);
    if (!strcmp(argv[1], "deepwalk") || !strcmp(argv[1], "node2vec")) return cmd_train_graph(argv[1], argc - 1, argv + 1);
    if (!strcmp(argv[1], "line")) return cmd_train_line(argc - 1, argv + 1);
    if (!strcmp(argv[1], "kge")) return cmd_train_kge(argc - 1, argv + 1);
    return cli_usage_error("train", "unknown model '%s' (available: word2vec, deepwalk, node2vec, line, kge)", argv[1]);
}
