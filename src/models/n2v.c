/* n2v.c -- DeepWalk/node2vec = walks (walk.c) + skip-gram (w2v.c). */
#include <stdio.h>
#include <string.h>

#include "emb/io.h"
#include "emb/n2v.h"
#include "emb/pool.h"

struct emb_w2v_params emb_n2v_default_w2v_params(void) {
    struct emb_w2v_params p = emb_w2v_default_params();
    p.model = EMB_W2V_SG;
    p.dim = 128;
    p.window = 10;
    p.negative = 5;
    /* node2vec's reference code trains 1 epoch, DeepWalk's (gensim) 5; on
     * BlogCatalog 1 epoch stays just under the published Macro-F1 (0.209
     * vs 0.211 for DeepWalk) and 3 epochs clear it (0.256), in about 14 s
     * at 2 threads. */
    p.epochs = 3;
    p.sample = 0;
    p.alpha = 0.025f;
    return p;
}

/* The settings that shape the walks, saved in checkpoints and required
 * on resume (the walks are made again); the walks' CRC, checked by
 * emb_w2v_train, covers the graph's content. */
static void walk_settings(const struct emb_graph *g, const struct emb_walk_params *wp, uint64_t seed, char *buf,
                          size_t n) {
    snprintf(buf, n,
             "trainer=%s\nwalk_length=%d\nwalks_per_node=%d\np=%.17g\nq=%.17g\nseed=%llu\ndirected=%d\n"
             "weighted=%d\nn_nodes=%d\nn_arcs=%lld\n",
             wp->trainer ? wp->trainer : "node2vec", wp->walk_length, wp->walks_per_node, wp->p, wp->q,
             (unsigned long long)seed, g->directed, g->weights != NULL, g->n_nodes, (long long)g->n_arcs);
}

/* The skip-gram model for the walks: new, or o's checkpoint (which must
 * have been made with these walk settings on the same nodes). */
static int make_model(struct emb_w2v **m, const struct emb_graph *g, const struct emb_walk_params *wp,
                      const struct emb_w2v_params *sp, const struct emb_vocab *vocab, const struct emb_train_opts *o,
                      struct emb_err *err) {
    char settings[512];
    walk_settings(g, wp, o->seed, settings, sizeof settings);
    int rc = emb_w2v_new(m, vocab, sp, o, err);
    if (rc != EMB_OK) return rc;
    if (o->resume) return emb_kv_require(emb_w2v_settings(*m), settings, o->checkpoint_path, err);
    return emb_w2v_set_settings(*m, settings, err);
}

int emb_n2v_train(const struct emb_graph *g, const struct emb_walk_params *wp, const struct emb_w2v_params *sp,
                  const struct emb_train_opts *o, struct emb_table **out, struct emb_n2v_stats *stats,
                  struct emb_err *err) {
    *out = NULL;
    struct emb_n2v_stats st;
    memset(&st, 0, sizeof st);
    struct emb_stream *walks = NULL;
    int64_t *visits = NULL;
    struct emb_vocab *vocab = NULL;
    struct emb_w2v *m = NULL;
    struct emb_table *t = NULL;
    struct emb_pool *own_pool = NULL;
    int rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    /* One pool for the walks and the training: o's, else one made here. */
    struct emb_train_opts run = *o;
    if (!run.pool && (rc = emb_pool_new(&own_pool, run.n_threads, err)) != EMB_OK) return rc;
    if (!run.pool) run.pool = own_pool;
    if ((rc = emb_walk_generate(g, wp, &run, &walks, &visits, &st.walks, err)) != EMB_OK) goto done;
    /* The vocabulary: node names in id order, counted by visits (every node
     * starts walks, so every count is >= 1 and every node gets a vector). */
    if ((rc = emb_vocab_new(&vocab, err)) != EMB_OK) goto done;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const char *name = emb_vocab_word(g->names, i);
        if ((rc = emb_vocab_add(vocab, name, strlen(name), visits[i], NULL, err)) != EMB_OK) goto done;
    }
    if ((rc = make_model(&m, g, wp, sp, vocab, &run, err)) != EMB_OK) goto done;
    double t0 = emb_train_now();
    if ((rc = emb_w2v_train(m, walks, &run, err)) != EMB_OK) goto done;
    st.train_seconds = emb_train_now() - t0;
    st.trained = *emb_w2v_params(m);
    const struct emb_table *v = emb_w2v_vectors(m);
    if ((rc = emb_table_new(&t, v->n_rows, v->dim, err)) != EMB_OK) goto done;
    memcpy(t->data, v->data, (size_t)v->n_rows * (size_t)v->dim_padded * sizeof(float));
    *out = t;
done:
    if (stats) *stats = st;
    emb_w2v_free(m);
    emb_vocab_free(vocab);
    emb_free(visits);
    emb_stream_free(walks);
    emb_pool_free(own_pool);
    return rc;
}
