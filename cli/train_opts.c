/* train_opts.c -- pieces shared by the trainer commands (cmd_train.c,
 * cmd_graph.c, cmd_links.c), so that no command file calls another. */
#include <string.h>

#include "cli.h"
#include "emb/w2v.h"

/* The skip-gram options shared by `train word2vec` and the graph trainers
 * (cmd_graph.c), parsed in one place. */
int cli_w2v_option(const char *cmd, const char *name, const char *arg, struct emb_w2v_params *p) {
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
        p->n_threads = (int32_t)v;
    } else if (!strcmp(name, "seed")) {
        if (cli_parse_ll(cmd, opt, arg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
        p->seed = (uint64_t)v;
    } else if (!strcmp(name, "kernel")) {
        if (!strcmp(arg, "batch")) p->kernel = EMB_W2V_KERNEL_BATCH;
        else if (!strcmp(arg, "plain")) p->kernel = EMB_W2V_KERNEL_PLAIN;
        else return cli_usage_error(cmd, "--kernel must be batch or plain, got '%s'", arg);
    } else if (!strcmp(name, "checkpoint-every")) {
        if (cli_parse_double(cmd, opt, arg, 0.001, 1e9, &d)) return CLI_EXIT_USAGE;
        p->checkpoint_every = d;
    } else {
        return cli_usage_error(cmd, "internal: '%s' is not a shared option", opt);
    }
    return 0;
}

/* The resume_check bit of a shared option (0 for those that may change
 * between a run and its resumption: threads, checkpoint-every). */
uint32_t cli_w2v_check_bit(const char *name) {
    static const struct { const char *name; uint32_t bit; } bits[] = {
        {"dim", EMB_W2V_CHECK_DIM},         {"size", EMB_W2V_CHECK_DIM},     {"window", EMB_W2V_CHECK_WINDOW},
        {"negative", EMB_W2V_CHECK_NEGATIVE}, {"epochs", EMB_W2V_CHECK_EPOCHS}, {"iter", EMB_W2V_CHECK_EPOCHS},
        {"alpha", EMB_W2V_CHECK_ALPHA},     {"sample", EMB_W2V_CHECK_SAMPLE}, {"seed", EMB_W2V_CHECK_SEED},
        {"kernel", EMB_W2V_CHECK_KERNEL},
    };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (!strcmp(name, bits[i].name)) return bits[i].bit;
    return 0;
}
