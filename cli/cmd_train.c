/* cmd_train.c -- `emb train MODEL ...`: read a corpus, train, save vectors. */
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/pool.h"
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
    "  --resume FILE         continue from a checkpoint (give the same --input)\n"
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

struct progress_ctx {
    struct cli_progress bar;
};

static void on_read_progress(void *ctx, double fraction, int64_t n_tokens) {
    struct progress_ctx *pc = ctx;
    char extra[64];
    snprintf(extra, sizeof extra, "reading, %lld tokens", (long long)n_tokens);
    cli_progress_draw(&pc->bar, fraction < 0 ? 0 : fraction, 0, "words", -1, extra);
}

static void on_train_progress(void *ctx, const struct emb_w2v_progress *p) {
    struct progress_ctx *pc = ctx;
    char extra[64];
    snprintf(extra, sizeof extra, "alpha %.6f  epoch %d", p->alpha, p->epoch);
    cli_progress_draw(&pc->bar, p->fraction, p->words_per_sec, "words", p->eta_sec, extra);
}

int cmd_train_word2vec(int argc, char **argv) {
    const char *cmd = "train word2vec";
    struct emb_w2v_params p = emb_w2v_default_params();
    struct emb_corpus_params cp = emb_corpus_default_params();
    const char *input = NULL, *output = NULL, *save_vocab = NULL, *read_vocab = NULL, *resume = NULL;
    enum emb_vec_format fmt = EMB_FMT_AUTO;
    int quiet = 0, json = 0, alpha_set = 0, min_count_set = 0, max_vocab_set = 0, rc;
    long long v;
    struct emb_err err = {0};
    p.n_threads = emb_cpu_count();
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
            p.resume_check |= EMB_W2V_CHECK_MODEL;
            break;
        case OPT_LOSS:
            if (!strcmp(optarg, "ns")) p.loss = EMB_W2V_NS;
            else if (!strcmp(optarg, "hs")) p.loss = EMB_W2V_HS;
            else return cli_usage_error(cmd, "--loss must be ns or hs, got '%s'", optarg);
            p.resume_check |= EMB_W2V_CHECK_LOSS;
            break;
        case OPT_KERNEL:
            if (!strcmp(optarg, "batch")) p.kernel = EMB_W2V_KERNEL_BATCH;
            else if (!strcmp(optarg, "plain")) p.kernel = EMB_W2V_KERNEL_PLAIN;
            else return cli_usage_error(cmd, "--kernel must be batch or plain, got '%s'", optarg);
            p.resume_check |= EMB_W2V_CHECK_KERNEL;
            break;
        case OPT_SIMD:
            if (!strcmp(optarg, "auto")) p.simd = EMB_SIMD_AUTO;
            else if (!strcmp(optarg, "ref")) p.simd = EMB_SIMD_REF;
            else if (!strcmp(optarg, "avx2")) p.simd = EMB_SIMD_AVX2;
            else if (!strcmp(optarg, "avx512")) p.simd = EMB_SIMD_AVX512;
            else return cli_usage_error(cmd, "--simd must be auto, ref, avx2 or avx512, got '%s'", optarg);
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
        case OPT_CHECKPOINT: p.checkpoint_path = optarg; break;
        case OPT_RESUME: resume = optarg; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_DIM: case OPT_WINDOW: case OPT_NEGATIVE: case OPT_EPOCHS: case OPT_ALPHA: case OPT_SAMPLE:
        case OPT_THREADS: case OPT_SEED: case OPT_CHECKPOINT_EVERY:
            if (cli_w2v_option(cmd, w2v_options[idx].name, optarg, &p)) return CLI_EXIT_USAGE;
            p.resume_check |= cli_w2v_check_bit(w2v_options[idx].name);
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
        {"--save-vocab", save_vocab, CLI_OUT, 0}, {"--checkpoint", p.checkpoint_path, CLI_CKPT, 0},
    };
    if ((rc = cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0])) != 0) return rc;

    struct progress_ctx pc;
    cli_progress_init(&pc.bar, quiet);
    cp.progress = on_read_progress;
    cp.progress_ctx = &pc;
    p.progress = on_train_progress;
    p.progress_ctx = &pc;
    p.stop = cli_stop_flag();
    p.warn = cli_warn;
    p.warn_ctx = (void *)cmd;

    int status = CLI_EXIT_FAIL;
    struct emb_vocab *vocab = NULL;
    struct emb_stream *stream = NULL;
    struct emb_w2v *m = NULL;
    double t0 = cli_now(), t_read = 0;
    if (resume) {
        /* Options that shape the vocabulary must match too when given
         * (the checkpoint's vocabulary is used). */
        char want[128];
        int nw = snprintf(want, sizeof want, "trainer=word2vec\n");
        if (min_count_set) nw += snprintf(want + nw, sizeof want - (size_t)nw, "min_count=%lld\n", (long long)cp.min_count);
        if (max_vocab_set) snprintf(want + nw, sizeof want - (size_t)nw, "max_vocab=%d\n", (int)cp.max_vocab);
        if ((rc = emb_w2v_checkpoint_load(&m, resume, &p, &err)) != EMB_OK) goto fail;
        if ((rc = emb_kv_require(emb_w2v_settings(m), want, resume, &err)) != EMB_OK) goto fail;
        if ((rc = emb_stream_read_corpus(input, emb_w2v_vocab(m), &cp, NULL, &stream, &err)) != EMB_OK) goto fail;
    } else {
        if (read_vocab) {
            if ((rc = emb_vocab_load(&vocab, read_vocab, &err)) != EMB_OK) goto fail;
            if ((rc = emb_vocab_finalize(vocab, cp.min_count, cp.max_vocab, NULL, &err)) != EMB_OK) goto fail;
            if ((rc = emb_stream_read_corpus(input, vocab, &cp, NULL, &stream, &err)) != EMB_OK) goto fail;
        } else if ((rc = emb_stream_read_corpus(input, NULL, &cp, &vocab, &stream, &err)) != EMB_OK) {
            goto fail;
        }
        if ((rc = emb_w2v_new(&m, vocab, &p, &err)) != EMB_OK) goto fail;
        char settings[128];
        snprintf(settings, sizeof settings, "trainer=word2vec\nmin_count=%lld\nmax_vocab=%d\n", (long long)cp.min_count,
                 (int)cp.max_vocab);
        if ((rc = emb_w2v_set_settings(m, settings, &err)) != EMB_OK) goto fail;
    }
    t_read = cli_now() - t0;
    const struct emb_vocab *mv = emb_w2v_vocab(m);
    cli_progress_done(&pc.bar);
    if (!quiet)
        fprintf(stderr, "emb: %d words in the vocabulary, %lld training tokens, read in %.1f s\n", emb_vocab_size(mv),
                (long long)emb_stream_n_tokens(stream), t_read);
    if (save_vocab && (rc = emb_vocab_save(mv, save_vocab, &err)) != EMB_OK) goto fail;
    int64_t words_before = emb_w2v_words_done(m);
    double t1 = cli_now();
    rc = emb_w2v_train(m, stream, &err);
    cli_progress_done(&pc.bar);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: %s\n", cmd, emb_err_msg(&err, rc));
        status = 130;
        goto done;
    }
    if (rc != EMB_OK) goto fail;
    double t_train = cli_now() - t1;
    if ((rc = emb_vecs_save(mv, emb_w2v_vectors(m), output, fmt, NULL, &err)) != EMB_OK) goto fail;
    const struct emb_w2v_params *mp = emb_w2v_params(m);
    int64_t words = emb_w2v_words_done(m) - words_before;
    double rate = t_train > 0 ? words / t_train : 0;
    if (!quiet)
        fprintf(stderr, "emb: trained %s/%s dim %d on %lld tokens x %d epochs in %.1f s (%.0f words/s, %d threads); wrote %s\n",
                mp->model == EMB_W2V_SG ? "sg" : "cbow", mp->loss == EMB_W2V_NS ? "ns" : "hs", mp->dim,
                (long long)emb_stream_n_tokens(stream), mp->epochs, t_train, rate, mp->n_threads, output);
    if (json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "model", json_object_new_string(mp->model == EMB_W2V_SG ? "sg" : "cbow"));
        json_object_object_add(o, "loss", json_object_new_string(mp->loss == EMB_W2V_NS ? "ns" : "hs"));
        json_object_object_add(o, "dim", json_object_new_int(mp->dim));
        json_object_object_add(o, "vocab", json_object_new_int(emb_vocab_size(mv)));
        json_object_object_add(o, "tokens", json_object_new_int64(emb_stream_n_tokens(stream)));
        json_object_object_add(o, "epochs", json_object_new_int(mp->epochs));
        json_object_object_add(o, "threads", json_object_new_int(mp->n_threads));
        json_object_object_add(o, "read_seconds", json_object_new_double(t_read));
        json_object_object_add(o, "train_seconds", json_object_new_double(t_train));
        json_object_object_add(o, "words_per_second", json_object_new_double(rate));
        json_object_object_add(o, "output", json_object_new_string(output));
        cli_json_print(o);
    }
    status = 0;
    goto done;
fail:
    cli_progress_done(&pc.bar);
    status = cli_fail(cmd, rc, &err);
done:
    emb_w2v_free(m);
    emb_stream_free(stream);
    emb_vocab_free(vocab);
    return status;
}
