/* cmd_train.c -- `emb train MODEL ...`: read a corpus, train, save vectors. */
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/pool.h"
#include "emb/stream.h"
#include "emb/vecs.h"
#include "emb/train.h"
#include "emb/w2v.h"
#include "train_opts.h"

struct wopts {
    struct emb_w2v_params p;
    struct emb_train_opts to;
    struct emb_corpus_params cp;
    const char *input, *output, *save_vocab, *read_vocab, *resume;
    enum emb_vec_format fmt;
    int quiet, json;
};

static int parse_model(const char *cmd, const char *opt, const char *arg, void *dst) {
    if (!strcmp(arg, "sg") || !strcmp(arg, "skipgram")) *(enum emb_w2v_model *)dst = EMB_W2V_SG;
    else if (!strcmp(arg, "cbow")) *(enum emb_w2v_model *)dst = EMB_W2V_CBOW;
    else return cli_usage_error(cmd, "%s must be sg or cbow, got '%s'", opt, arg);
    return 0;
}

static const char *const loss_words[] = {"ns", "hs", NULL}; /* enum emb_w2v_loss */

#define T struct wopts
static const struct cli_opt w2v_opts[] = {
    CLI_TRAIN_FILES_OPTS(T, "CORPUS", "the corpus (required)"),
    CLI_SECTION_OPT("model"),
    CLI_FN_OPT("model", T, p.model, parse_model, "sg|cbow", "skip-gram or CBOW", "cbow, as word2vec.c"),
    CLI_ENUM_OPT("loss", T, p.loss, loss_words, "ns|hs", "negative sampling or hierarchical softmax", "ns"),
    CLI_SKIPGRAM_OPTS(T, p, "100", "5", "5", "0.025 sg, 0.05 cbow", "1e-3"),
    CLI_SECTION_OPT("vocabulary"),
    CLI_I64_OPT("min-count", T, cp.min_count, 1, INT64_MAX, "N", "drop words rarer than N", "5"),
    CLI_INT_OPT("max-vocab", 0, T, cp.max_vocab, 0, INT32_MAX, "N", "keep at most the N most frequent words (0 = all)",
                NULL),
    CLI_STR_OPT("save-vocab", 0, T, save_vocab, "FILE", "write \"word count\" lines", NULL),
    CLI_STR_OPT("read-vocab", 0, T, read_vocab, "FILE", "use this vocabulary instead of counting the corpus", NULL),
    CLI_SECTION_OPT("run"),
    CLI_W2V_RUN_OPTS(T, to, p),
    CLI_RESUME_OPT(T, resume, "continue from a checkpoint (give the same --input) and\nkeep checkpointing into it"),
    CLI_QUIET_OPT(T, quiet, "no progress line"),
    CLI_JSON_OPT(T, json, "print a JSON summary on stdout"),
};
#undef T

static const struct cli_spec w2v_spec = {
    .cmd = "train word2vec",
    .usage = "usage: emb train word2vec --input CORPUS --output VECTORS [options]\n"
             "\n"
             "Train word2vec vectors. CORPUS is plain or gzip text (\"-\" = stdin), one\n"
             "sentence per line, tokens separated by whitespace. The output format follows\n"
             "the extension: .bin word2vec binary, .npy NumPy (+ .vocab), else text.\n",
    .opts = w2v_opts,
    .n_opts = CLI_NOPTS(w2v_opts),
    .tail = "example:\n"
            "  emb train word2vec --model sg --input corpus.txt.gz --output vectors.bin --threads 2\n",
    .max_args = 0,
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

/* Parse and check the options; returns -1 to go on, else an exit status. */
static int parse(struct wopts *o, int argc, char **argv, uint32_t *given, int *min_count_set, int *max_vocab_set) {
    const char *cmd = w2v_spec.cmd;
    struct cli_args a;
    memset(o, 0, sizeof *o);
    o->p = emb_w2v_default_params();
    o->to = emb_train_default_opts();
    o->cp = emb_corpus_default_params();
    o->to.n_threads = emb_cpu_count();
    int rc = cli_parse(&w2v_spec, argc, argv, o, &a);
    if (rc >= 0) return rc;
    *given = cli_w2v_given(&w2v_spec, &a);
    *min_count_set = cli_given(&w2v_spec, &a, "min-count");
    *max_vocab_set = cli_given(&w2v_spec, &a, "max-vocab");
    if (!o->input) return cli_usage_error(cmd, "--input CORPUS is required");
    if (!o->output) return cli_usage_error(cmd, "--output VECTORS is required");
    if (o->resume && o->read_vocab) return cli_usage_error(cmd, "--resume and --read-vocab cannot be combined");
    if (!(*given & CLI_W2V_ALPHA)) o->p.alpha = 0; /* model default */
    const struct cli_path paths[] = {
        {"--input", o->input, CLI_IN, 0},          {"--read-vocab", o->read_vocab, CLI_IN, 0},
        {"--resume", o->resume, CLI_RESUME, 0},    {"--output", o->output, CLI_VECS, (int)o->fmt},
        {"--save-vocab", o->save_vocab, CLI_OUT, 0}, {"--checkpoint", o->to.checkpoint_path, CLI_CKPT, 0},
    };
    if ((rc = cli_check_paths(cmd, paths, sizeof paths / sizeof paths[0])) != 0) return rc;
    if ((rc = cli_train_resume(cmd, o->resume, &o->to)) != 0) return rc;
    return -1;
}

int cmd_train_word2vec(int argc, char **argv) {
    const char *cmd = w2v_spec.cmd;
    struct wopts o;
    uint32_t given = 0;
    int min_count_set = 0, max_vocab_set = 0, rc;
    struct emb_err err = {0};
    if ((rc = parse(&o, argc, argv, &given, &min_count_set, &max_vocab_set)) >= 0) return rc;
    struct emb_w2v_params p = o.p;
    struct emb_train_opts to = o.to;
    struct emb_corpus_params cp = o.cp;
    const char *input = o.input, *output = o.output, *save_vocab = o.save_vocab, *read_vocab = o.read_vocab,
               *resume = o.resume;
    enum emb_vec_format fmt = o.fmt;
    int quiet = o.quiet, json = o.json;

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
