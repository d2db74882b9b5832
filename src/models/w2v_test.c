/* w2v_test.c -- word2vec on a corpus with planted structure.
 *
 * The synthetic corpus has N_TOPICS topics of WORDS_PER_TOPIC words; each
 * sentence draws 90% of its words from one topic. Good vectors put every
 * word's nearest neighbour in its own topic. We check that for every
 * model/loss/kernel combination and for the scalar and SIMD kernels, check
 * that one-thread training is deterministic, that training moves the
 * vectors, and that a checkpoint reloads exactly and rejects corruption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/stream.h"
#include "emb/vec.h"
#include "emb/vocab.h"
#include "emb/w2v.h"
#include "sigtab.h"
#include "test.h"

#define N_TOPICS 5
#define WORDS_PER_TOPIC 20
#define N_WORDS (N_TOPICS * WORDS_PER_TOPIC)
#define N_SENT 4000

static struct emb_vocab *vocab;
static struct emb_stream *stream;

/* Words are "w<id>"; counts are the real corpus counts, sorted so that id
 * order is frequency order (the trainer expects a finalized vocabulary). */
static int make_corpus(void) {
    struct emb_err err = {0};
    int64_t counts[N_WORDS] = {0};
    struct emb_rng r;
    emb_rng_seed(&r, 99, 0);
    CHECK_OK(emb_stream_new(&stream, &err));
    for (int s = 0; s < N_SENT; s++) {
        int topic = (int)emb_rng_below(&r, N_TOPICS), len = 8 + (int)emb_rng_below(&r, 12);
        for (int i = 0; i < len; i++) {
            int w = emb_rng_uniform(&r) < 0.9f ? topic * WORDS_PER_TOPIC + (int)emb_rng_below(&r, WORDS_PER_TOPIC)
                                               : (int)emb_rng_below(&r, N_WORDS);
            counts[w]++;
            CHECK_OK(emb_stream_push(stream, w, &err));
        }
        CHECK_OK(emb_stream_end_sentence(stream, &err));
    }
    CHECK_OK(emb_stream_finish(stream, 2000, &err));
    CHECK(emb_stream_n_chunks(stream) > 4);
    CHECK_OK(emb_vocab_new(&vocab, &err));
    for (int w = 0; w < N_WORDS; w++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", w);
        CHECK_OK(emb_vocab_add(vocab, name, strlen(name), counts[w], NULL, &err));
    }
    return 0;
}

/* Share of words whose nearest neighbour (cosine) is in the same topic. */
static double topic_purity(const struct emb_table *t) {
    struct emb_vec_ops ops = emb_vec_ops_get(EMB_SIMD_REF);
    int good = 0;
    for (int a = 0; a < N_WORDS; a++) {
        const float *x = emb_table_row(t, a);
        float best = -2;
        int arg = -1;
        for (int b = 0; b < N_WORDS; b++) {
            if (b == a) continue;
            const float *y = emb_table_row(t, b);
            float c = ops.dot(t->dim, x, y) / sqrtf(ops.dot(t->dim, x, x) * ops.dot(t->dim, y, y));
            if (c > best) best = c, arg = b;
        }
        good += arg / WORDS_PER_TOPIC == a / WORDS_PER_TOPIC;
    }
    return good / (double)N_WORDS;
}

static struct emb_w2v_params small_params(void) {
    struct emb_w2v_params p = emb_w2v_default_params();
    p.dim = 24;
    p.epochs = 3;
    p.sample = 0;
    return p;
}

/* One thread, seed 5. */
static struct emb_train_opts small_opts(void) {
    struct emb_train_opts o = emb_train_default_opts();
    o.seed = 5;
    return o;
}

static int test_quality_all_variants(void) {
    struct emb_err err = {0};
    const struct {
        enum emb_w2v_model model;
        enum emb_w2v_loss loss;
        enum emb_w2v_kernel kernel;
        const char *name;
    } cfg[] = {
        {EMB_W2V_SG, EMB_W2V_NS, EMB_W2V_KERNEL_BATCH, "sg ns batch"},
        {EMB_W2V_SG, EMB_W2V_NS, EMB_W2V_KERNEL_PLAIN, "sg ns plain"},
        {EMB_W2V_SG, EMB_W2V_HS, EMB_W2V_KERNEL_BATCH, "sg hs"},
        {EMB_W2V_CBOW, EMB_W2V_NS, EMB_W2V_KERNEL_BATCH, "cbow ns"},
        {EMB_W2V_CBOW, EMB_W2V_HS, EMB_W2V_KERNEL_BATCH, "cbow hs"},
    };
    const enum emb_simd simd[] = {EMB_SIMD_REF, EMB_SIMD_AUTO};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++)
        for (int s = 0; s < 2; s++) {
            struct emb_w2v_params p = small_params();
            p.model = cfg[c].model;
            p.loss = cfg[c].loss;
            p.kernel = cfg[c].kernel;
            p.simd = simd[s];
            struct emb_train_opts o = small_opts();
            o.n_threads = 2;
            struct emb_w2v *m = NULL;
            CHECK_OK(emb_w2v_new(&m, vocab, &p, &o, &err));
            double before = topic_purity(emb_w2v_vectors(m));
            CHECK_OK(emb_w2v_train(m, stream, &o, &err));
            double after = topic_purity(emb_w2v_vectors(m));
            printf("%-12s %-4s purity %.2f -> %.2f\n", cfg[c].name, s ? "simd" : "ref", before, after);
            /* Random vectors: ~1/N_TOPICS. Trained: nearly all. */
            CHECK(before < 0.5);
            CHECK(after >= 0.9);
            CHECK(emb_w2v_words_done(m) == p.epochs * emb_stream_n_tokens(stream));
            emb_w2v_free(m);
        }
    return 0;
}

static int train_bytes(const struct emb_w2v_params *p, const struct emb_train_opts *o, float **out,
                       size_t *n_bytes) {
    struct emb_err err = {0};
    struct emb_w2v *m = NULL;
    CHECK_OK(emb_w2v_new(&m, vocab, p, o, &err));
    CHECK_OK(emb_w2v_train(m, stream, o, &err));
    const struct emb_table *t = emb_w2v_vectors(m);
    *n_bytes = (size_t)t->n_rows * t->dim_padded * sizeof(float);
    *out = malloc(*n_bytes);
    memcpy(*out, t->data, *n_bytes);
    emb_w2v_free(m);
    return 0;
}

static int test_determinism(void) {
    struct emb_w2v_params p = small_params();
    p.model = EMB_W2V_SG;
    p.sample = 1e-2; /* exercise the subsampling draws too */
    struct emb_train_opts o = small_opts();
    float *a = NULL, *b = NULL, *c = NULL;
    size_t na, nb, nc;
    CHECK(train_bytes(&p, &o, &a, &na) == 0);
    CHECK(train_bytes(&p, &o, &b, &nb) == 0);
    o.seed = 6;
    CHECK(train_bytes(&p, &o, &c, &nc) == 0);
    CHECK(na == nb && memcmp(a, b, na) == 0);
    CHECK(memcmp(a, c, na) != 0);
    free(a);
    free(b);
    free(c);
    return 0;
}

/* Stop after the first chunk through the stop flag, checkpoint, reload,
 * finish: same bytes as an uninterrupted run. */
static volatile sig_atomic_t stop_flag;
static void stop_on_progress(void *ctx, const struct emb_train_progress *pr) {
    (void)ctx;
    (void)pr;
    stop_flag = 1;
}

static int test_checkpoint_resume(void) {
    struct emb_err err = {0};
    char dir[] = "/tmp/emb-w2v-test-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/ck", dir);
    struct emb_w2v_params p = small_params();
    p.model = EMB_W2V_SG;
    p.epochs = 4;
    struct emb_train_opts o = small_opts();
    float *want = NULL;
    size_t n_want;
    CHECK(train_bytes(&p, &o, &want, &n_want) == 0);

    struct emb_train_opts q = o;
    q.checkpoint_path = path;
    q.stop = &stop_flag;
    q.progress = stop_on_progress; /* first report comes after ~10k words */
    stop_flag = 0;
    struct emb_w2v *m = NULL, *r = NULL;
    CHECK_OK(emb_w2v_new(&m, vocab, &p, &q, &err));
    int rc = emb_w2v_train(m, stream, &q, &err);
    CHECK(rc == EMB_EINTR);
    int64_t done = emb_w2v_words_done(m);
    CHECK(done > 0 && done < p.epochs * emb_stream_n_tokens(stream));
    emb_w2v_free(m);

    /* train.h's resume rule: o.resume with the checkpoint path; the
     * vocabulary may be given (it must be the checkpoint's) or not. */
    struct emb_train_opts res = o;
    res.checkpoint_path = path;
    res.resume = 1;
    for (int with_vocab = 0; with_vocab < 2; with_vocab++) {
        CHECK_OK(emb_w2v_new(&r, with_vocab ? vocab : NULL, &p, &res, &err));
        CHECK(emb_w2v_words_done(r) == done);
        CHECK(emb_vocab_size(emb_w2v_vocab(r)) == N_WORDS);
        CHECK(strcmp(emb_vocab_word(emb_w2v_vocab(r), 7), "w7") == 0);
        struct emb_train_opts go = o; /* no checkpoints written this time */
        CHECK_OK(emb_w2v_train(r, stream, &go, &err));
        const struct emb_table *t = emb_w2v_vectors(r);
        CHECK(memcmp(t->data, want, n_want) == 0);
        emb_w2v_free(r);
        r = NULL;
    }

    /* A pool passed in is the one used: same bytes with a pool of one. */
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 1, &err));
    struct emb_train_opts po = res;
    po.pool = pool;
    po.n_threads = 7; /* ignored: the pool's size counts */
    CHECK(emb_train_threads(&po) == 1);
    CHECK_OK(emb_w2v_new(&r, NULL, &p, &po, &err));
    po.resume = 0;
    po.checkpoint_path = NULL;
    CHECK_OK(emb_w2v_train(r, stream, &po, &err));
    CHECK(memcmp(emb_w2v_vectors(r)->data, want, n_want) == 0);
    emb_w2v_free(r);
    r = NULL;
    emb_pool_free(pool);

    /* Settings that differ are refused, naming the first that differs. */
    struct emb_w2v_params other_p = p;
    other_p.dim = 16;
    CHECK(emb_w2v_new(&r, NULL, &other_p, &res, &err) == EMB_EINVAL && r == NULL);
    printf("  mismatch: %s\n", err.msg);
    CHECK(strstr(err.msg, "dim=24, this run has dim=16") != NULL);
    other_p = p;
    other_p.model = EMB_W2V_CBOW;
    CHECK(emb_w2v_new(&r, NULL, &other_p, &res, &err) == EMB_EINVAL && strstr(err.msg, "model=sg, this run has model=cbow"));
    struct emb_train_opts other_o = res;
    other_o.seed = 9;
    CHECK(emb_w2v_new(&r, NULL, &p, &other_o, &err) == EMB_EINVAL && strstr(err.msg, "seed=5, this run has seed=9"));
    other_o = res;
    other_o.checkpoint_path = NULL; /* resume needs a path */
    CHECK(emb_w2v_new(&r, NULL, &p, &other_o, &err) == EMB_EINVAL && r == NULL);
    /* ... and the settings read back for a caller that defaults from them. */
    struct emb_w2v_params back;
    uint64_t back_seed = 0;
    CHECK_OK(emb_w2v_checkpoint_params(path, &back, &back_seed, &err));
    CHECK(back.dim == p.dim && back.model == p.model && back.epochs == p.epochs && back_seed == 5);

    /* A stream of another shape is refused. */
    stop_flag = 0;
    struct emb_stream *other = NULL;
    CHECK_OK(emb_stream_new(&other, &err));
    for (int i = 0; i < 50; i++) CHECK_OK(emb_stream_push(other, i % N_WORDS, &err));
    CHECK_OK(emb_stream_finish(other, 2000, &err));
    CHECK_OK(emb_w2v_checkpoint_load(&r, path, &o, &err));
    CHECK(emb_w2v_train(r, other, &o, &err) == EMB_EINVAL);
    emb_w2v_free(r);
    emb_stream_free(other);

    /* Corruption: truncated file, flipped magic. */
    FILE *f = fopen(path, "rb");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    f = fopen(bad, "wb");
    fwrite(buf, 1, (size_t)size / 2, f);
    fclose(f);
    CHECK(emb_w2v_checkpoint_load(&r, bad, &o, &err) == EMB_EFORMAT && r == NULL);
    buf[0] ^= 1;
    f = fopen(bad, "wb");
    fwrite(buf, 1, (size_t)size, f);
    fclose(f);
    CHECK(emb_w2v_checkpoint_load(&r, bad, &o, &err) == EMB_EFORMAT && r == NULL);
    CHECK(emb_w2v_checkpoint_load(&r, "/nonexistent/ck", &o, &err) == EMB_EIO);
    free(buf);
    free(want);
    unlink(bad);
    unlink(path);
    rmdir(dir);
    return 0;
}

static int test_params(void) {
    struct emb_err err = {0};
    struct emb_w2v_params p = emb_w2v_default_params();
    CHECK(p.model == EMB_W2V_CBOW && p.dim == 100 && p.window == 5 && p.negative == 5 && p.epochs == 5);
    CHECK_OK(emb_w2v_params_check(&p, &err));
    p.dim = 0;
    CHECK(emb_w2v_params_check(&p, &err) == EMB_EINVAL);
    p = emb_w2v_default_params();
    p.sample = -1;
    CHECK(emb_w2v_params_check(&p, &err) == EMB_EINVAL);
    p = emb_w2v_default_params();
    p.window = 0;
    struct emb_w2v *m = (struct emb_w2v *)&p;
    struct emb_train_opts o = emb_train_default_opts();
    CHECK(emb_w2v_new(&m, vocab, &p, &o, &err) == EMB_EINVAL && m == NULL);
    p = emb_w2v_default_params();
    o.n_threads = 0;
    CHECK(emb_w2v_new(&m, vocab, &p, &o, &err) == EMB_EINVAL && m == NULL && strstr(err.msg, "threads"));
    o = emb_train_default_opts();
    CHECK(emb_w2v_new(&m, NULL, &p, &o, &err) == EMB_EINVAL && m == NULL); /* a new model needs a vocabulary */
    emb_w2v_free(NULL);
    return 0;
}

/* The table lookup of sigtab.h on every kind of float: in range, at the
 * bounds, saturated, infinite and NaN (which used to become an index). */
static int test_sigtab(void) {
    float tab[EMB_SIGTAB_SIZE];
    for (int i = 0; i < EMB_SIGTAB_SIZE; i++) {
        double x = (i * 2.0 / EMB_SIGTAB_SIZE - 1.0) * EMB_SIGTAB_BOUND;
        tab[i] = (float)(1.0 / (1.0 + exp(-x)));
    }
    int bad = 0;
    CHECK_NEAR(emb__sigtab_grad(tab, 0.0f, 1.0f, 0.5f, &bad), 0.25, 0.01);
    CHECK_NEAR(emb__sigtab_grad(tab, 6.0f, 1.0f, 1.0f, &bad), 1 - tab[996], 0);
    CHECK_NEAR(emb__sigtab_grad(tab, -6.0f, 0.0f, 1.0f, &bad), -tab[0], 0);
    CHECK(emb__sigtab_grad(tab, 7.0f, 0.0f, 0.5f, &bad) == -0.5f);
    CHECK(emb__sigtab_grad(tab, -1e30f, 1.0f, 0.5f, &bad) == 0.5f);
    /* Infinite scores saturate (infinite weights are caught by the scans
     * of the tables and soon give NaN scores). */
    CHECK(emb__sigtab_grad(tab, INFINITY, 0.0f, 0.5f, &bad) == -0.5f);
    CHECK(emb__sigtab_grad(tab, -INFINITY, 1.0f, 0.5f, &bad) == 0.5f);
    CHECK(bad == 0);
    CHECK(emb__sigtab_grad(tab, NAN, 1.0f, 0.5f, &bad) == 0.0f && bad == 1);
    bad = 0;
    CHECK(emb__sigtab_grad(tab, -NAN, 0.0f, 0.5f, &bad) == 0.0f && bad == 1);
    /* Hierarchical softmax: only the open range is looked up. */
    float s = -1;
    bad = 0;
    CHECK(emb__sigtab_inner(tab, 0.0f, &s, &bad) == 1 && fabsf(s - 0.5f) < 0.01f);
    s = -1;
    CHECK(emb__sigtab_inner(tab, 6.0f, &s, &bad) == 0 && emb__sigtab_inner(tab, -7.0f, &s, &bad) == 0);
    CHECK(s == -1 && bad == 0);
    CHECK(emb__sigtab_inner(tab, INFINITY, &s, &bad) == 0 && emb__sigtab_inner(tab, -INFINITY, &s, &bad) == 0);
    CHECK(s == -1 && bad == 0);
    CHECK(emb__sigtab_inner(tab, NAN, &s, &bad) == 0 && s == -1 && bad == 1);
    return 0;
}

/* A learning rate far too high: every negative-sampling variant diverges
 * and must fail with EMB_ENUMERIC and a message naming alpha (it used to
 * crash on a NaN table index), leave an existing checkpoint as it was and
 * never write one. Hierarchical softmax skips saturated scores and may
 * survive; it must not crash either. */
static int test_divergence(void) {
    struct emb_err err = {0};
    char dir[] = "/tmp/emb-w2v-div-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/ck", dir);
    const char *old = "an earlier checkpoint\n";
    const struct {
        enum emb_w2v_model model;
        enum emb_w2v_loss loss;
        enum emb_w2v_kernel kernel;
        int must_diverge;
    } cfg[] = {
        {EMB_W2V_SG, EMB_W2V_NS, EMB_W2V_KERNEL_BATCH, 1}, {EMB_W2V_SG, EMB_W2V_NS, EMB_W2V_KERNEL_PLAIN, 1},
        {EMB_W2V_CBOW, EMB_W2V_NS, EMB_W2V_KERNEL_BATCH, 1}, {EMB_W2V_SG, EMB_W2V_HS, EMB_W2V_KERNEL_BATCH, 0},
        {EMB_W2V_CBOW, EMB_W2V_HS, EMB_W2V_KERNEL_BATCH, 0},
    };
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++)
        for (int ck = 0; ck < 2; ck++) {
            struct emb_w2v_params p = small_params();
            p.model = cfg[c].model;
            p.loss = cfg[c].loss;
            p.kernel = cfg[c].kernel;
            p.alpha = 10;
            struct emb_train_opts o = small_opts();
            o.n_threads = 2;
            if (ck) {
                CHECK(test_write_file(path, old, strlen(old)) == 0);
                o.checkpoint_path = path;
                o.checkpoint_every = 1e-9; /* a checkpoint would be due at every flush */
            }
            struct emb_w2v *m = NULL;
            CHECK_OK(emb_w2v_new(&m, vocab, &p, &o, &err));
            err.msg[0] = '\0';
            int rc = emb_w2v_train(m, stream, &o, &err);
            printf("  model %d loss %d kernel %d: rc %d %s\n", (int)p.model, (int)p.loss, (int)p.kernel, rc, err.msg);
            CHECK(rc == EMB_ENUMERIC || (rc == EMB_OK && !cfg[c].must_diverge));
            if (rc == EMB_ENUMERIC) {
                CHECK(strstr(err.msg, "training diverged (non-finite ") == err.msg);
                CHECK(strstr(err.msg, "lower --alpha (now 10)") != NULL);
                CHECK(!strchr(err.msg, '\n'));
            }
            if (ck && rc == EMB_ENUMERIC && strstr(err.msg, "; last good checkpoint ")) {
                /* It diverged after a checkpoint: that one must be good. */
                struct emb_w2v *r = NULL;
                CHECK_OK(emb_w2v_checkpoint_load(&r, path, NULL, &err));
                emb_w2v_free(r);
            } else if (ck && rc == EMB_ENUMERIC) {
                CHECK(strstr(err.msg, "; checkpoint ") && strstr(err.msg, " not written"));
                size_t n = 0;
                char *text = test_read_all(path, &n);
                CHECK(text && n == strlen(old) && memcmp(text, old, n) == 0);
                free(text);
            }
            emb_w2v_free(m);
        }
    unlink(path);
    rmdir(dir);
    return 0;
}

int main(void) {
    int failed = 0;
    if (make_corpus() != 0) return 1;
    RUN(test_params);
    RUN(test_sigtab);
    RUN(test_divergence);
    RUN(test_quality_all_variants);
    RUN(test_determinism);
    RUN(test_checkpoint_resume);
    emb_stream_free(stream);
    emb_vocab_free(vocab);
    printf("w2v_test: %s\n", failed ? "FAILED" : "ok");
    return failed != 0;
}
