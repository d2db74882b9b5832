/* train_opts.c -- pieces shared by the word2vec and graph trainer
 * commands (cmd_train.c, cmd_graph.c), so that no command file calls
 * another. */
#include "train_opts.h"

const char *const cli_w2v_kernel_words[] = {"batch", "plain", NULL};

uint32_t cli_w2v_resume_check(const struct cli_spec *spec, const struct cli_args *args) {
    static const struct {
        const char *name;
        uint32_t bit;
    } bits[] = {
        {"dim", EMB_W2V_CHECK_DIM},         {"size", EMB_W2V_CHECK_DIM},         {"window", EMB_W2V_CHECK_WINDOW},
        {"negative", EMB_W2V_CHECK_NEGATIVE}, {"epochs", EMB_W2V_CHECK_EPOCHS}, {"iter", EMB_W2V_CHECK_EPOCHS},
        {"alpha", EMB_W2V_CHECK_ALPHA},     {"sample", EMB_W2V_CHECK_SAMPLE},   {"seed", EMB_W2V_CHECK_SEED},
        {"kernel", EMB_W2V_CHECK_KERNEL},   {"model", EMB_W2V_CHECK_MODEL},     {"loss", EMB_W2V_CHECK_LOSS},
    };
    uint32_t check = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (cli_given(spec, args, bits[i].name)) check |= bits[i].bit;
    return check;
}
