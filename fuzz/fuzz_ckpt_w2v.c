/* fuzz_ckpt_w2v.c -- libFuzzer harness for word2vec / DeepWalk / node2vec
 * checkpoints (emb_w2v_checkpoint_load).
 *
 *     make fuzz && build-fuzz/fuzz_ckpt_w2v -max_total_time=300 fuzz/corpus/ckpt_w2v
 *
 * See ckpt_fuzz.h: each input is loaded as given and with its CRCs
 * rewritten. On success the model must be consistent (one input and one
 * output row per word, names found at their ids, the settings text
 * NUL-terminated) and must save and load back with the same vocabulary. */
#include "ckpt_fuzz.h"
#include "emb/w2v.h"

static char g_in[96], g_out[96];

static void load(const char *path) {
    struct emb_err err = {0};
    struct emb_w2v *m = NULL;
    int rc = emb_w2v_checkpoint_load(&m, path, NULL, &err);
    require_clean(rc, &err, EMB_OK);
    if (rc != EMB_OK) {
        REQUIRE(m == NULL);
        return;
    }
    const struct emb_vocab *v = emb_w2v_vocab(m);
    int32_t n = emb_vocab_size(v);
    REQUIRE(n >= 1 && emb_w2v_vectors(m)->n_rows == n);
    for (int32_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(v, i);
        REQUIRE(emb_vocab_find(v, w, strlen(w)) == i);
    }
    REQUIRE(strlen(emb_w2v_settings(m)) < (1 << 16));
    struct emb_w2v *back = NULL;
    REQUIRE(emb_w2v_checkpoint_save(m, g_out, &err) == EMB_OK);
    REQUIRE(emb_w2v_checkpoint_load(&back, g_out, NULL, &err) == EMB_OK);
    REQUIRE(emb_vocab_size(emb_w2v_vocab(back)) == n);
    REQUIRE(strcmp(emb_w2v_settings(back), emb_w2v_settings(m)) == 0);
    emb_w2v_free(back);
    emb_w2v_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        fuzz_dir("fuzz_ckpt_w2v");
        path_in(g_in, sizeof g_in, "in.ckpt");
        path_in(g_out, sizeof g_out, "out.ckpt");
    }
    load_both(g_in, data, size, load);
    return 0;
}
