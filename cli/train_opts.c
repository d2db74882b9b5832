/* train_opts.c -- pieces shared by the word2vec and graph trainer
 * commands (cmd_train.c, cmd_graph.c), so that no command file calls
 * another. */
#include "emb/train.h"
#include "train_opts.h"

const char *const cli_w2v_kernel_words[] = {"batch", "plain", NULL};

uint32_t cli_w2v_given(const struct cli_spec *spec, const struct cli_args *args) {
    static const struct {
        const char *name;
        uint32_t bit;
    } bits[] = {
        {"dim", CLI_W2V_DIM},           {"size", CLI_W2V_DIM},       {"window", CLI_W2V_WINDOW},
        {"negative", CLI_W2V_NEGATIVE}, {"epochs", CLI_W2V_EPOCHS}, {"iter", CLI_W2V_EPOCHS},
        {"alpha", CLI_W2V_ALPHA},       {"sample", CLI_W2V_SAMPLE}, {"seed", CLI_W2V_SEED},
        {"kernel", CLI_W2V_KERNEL},     {"model", CLI_W2V_MODEL},   {"loss", CLI_W2V_LOSS},
    };
    uint32_t given = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (cli_given(spec, args, bits[i].name)) given |= bits[i].bit;
    return given;
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
