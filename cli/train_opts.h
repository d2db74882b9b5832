/* train_opts.h -- the options word2vec and the graph trainers share
 * (cmd_train.c, cmd_graph.c), declared once (cli/train_opts.c). */
#ifndef EMB_CLI_TRAIN_OPTS_H
#define EMB_CLI_TRAIN_OPTS_H

#include <stdint.h>

#include "emb/w2v.h"
#include "opt.h"

extern const char *const cli_w2v_kernel_words[]; /* enum emb_w2v_kernel */

/* The files of a trainer: --input (metavar and help given), --output
 * VECTORS and its --format, into the fields input, output and fmt of T. */
#define CLI_TRAIN_FILES_OPTS(T, in_metavar, in_help)                                                               \
    CLI_SECTION_OPT("files"), CLI_STR_OPT("input", 0, T, input, in_metavar, in_help, NULL),                       \
        CLI_STR_OPT("output", 0, T, output, "VECTORS", "the vectors to write (required)", NULL),                  \
        CLI_FORMAT_OPT("format", T, fmt, "text|bin|npy", "output format", "from the extension")

/* The skip-gram options, into the struct emb_w2v_params field P of the
 * options struct T; the D* arguments are the defaults shown in --help. */
#define CLI_SKIPGRAM_OPTS(T, P, Ddim, Dwindow, Depochs, Dalpha, Dsample)                                           \
    CLI_INT_OPT("dim", 0, T, P.dim, 1, 10000, "N", "vector size", Ddim),                                           \
        CLI_INT_OPT("size", 0, T, P.dim, 1, 10000, "N", NULL, NULL),                                                \
        CLI_INT_OPT("window", 0, T, P.window, 1, 1000, "N", "max context distance", Dwindow),                      \
        CLI_INT_OPT("negative", 0, T, P.negative, 1, 1000, "N", "negative samples", "5"),                          \
        CLI_INT_OPT("epochs", 0, T, P.epochs, 1, 100000, "N", "passes over the data; --iter is a synonym", Depochs), \
        CLI_INT_OPT("iter", 0, T, P.epochs, 1, 100000, "N", NULL, NULL),                                            \
        CLI_FLOAT_OPT("alpha", T, P.alpha, 1e-9, 10, "X", "starting learning rate", Dalpha),                       \
        CLI_DOUBLE_OPT("sample", T, P.sample, 0, 0.999, "X", "subsampling threshold for frequent words (0 = off)", \
                       Dsample),                                                                                   \
        CLI_ENUM_OPT("kernel", T, P.kernel, cli_w2v_kernel_words, "batch|plain",                                   \
                     "skip-gram NS kernel: shared negatives as small\nmatrix products, or word2vec.c's per-pair loop", \
                     "batch")

/* The run options of the trainer contract (train.h), into the struct
 * emb_train_opts field TO of T: threads, seed, checkpoints; and the SIMD
 * level of the struct emb_w2v_params field P. */
#define CLI_W2V_RUN_OPTS(T, TO, P)                                                                                  \
    CLI_THREADS_OPT(T, TO.n_threads, "worker threads", "number of CPUs"), CLI_SIMD_OPT(T, P.simd),                 \
        CLI_SEED_OPT(T, TO.seed, "random seed; with --threads 1 output is reproducible", "1"),                     \
        CLI_CHECKPOINT_OPT(T, TO.checkpoint_path, "save state every --checkpoint-every seconds and\non SIGINT/SIGTERM"), \
        CLI_CHECKPOINT_EVERY_OPT(T, TO.checkpoint_every, "600")

/* Skip-gram settings a user gave (CLI_W2V_* bits, from the options given;
 * none for those that may change on resume: threads, checkpoint-every).
 * cli_w2v_inherit fills the settings not given from the checkpoint at
 * path, so a resumed run needs no options repeated; the library then
 * requires the rest to match (train.h's resume rule). */
enum {
    CLI_W2V_MODEL = 1u << 0, CLI_W2V_LOSS = 1u << 1, CLI_W2V_KERNEL = 1u << 2, CLI_W2V_DIM = 1u << 3,
    CLI_W2V_WINDOW = 1u << 4, CLI_W2V_NEGATIVE = 1u << 5, CLI_W2V_EPOCHS = 1u << 6, CLI_W2V_ALPHA = 1u << 7,
    CLI_W2V_SAMPLE = 1u << 8, CLI_W2V_SEED = 1u << 9
};
uint32_t cli_w2v_given(const struct cli_spec *spec, const struct cli_args *args);
struct emb_train_opts;
int cli_w2v_inherit(const char *path, uint32_t given, struct emb_w2v_params *p, struct emb_train_opts *o,
                    struct emb_err *err);

#endif
