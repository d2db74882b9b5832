/* w2v.c -- word2vec (Mikolov et al. 2013): skip-gram and CBOW with negative
 * sampling or hierarchical softmax.
 *
 * Objective (skip-gram, negative sampling): for a centre word w and each
 * context word c in a window around it, maximise
 *     log s(u_w . v_c) + sum_{n ~ P^0.75} log s(-u_n . v_c)
 * where v are the input vectors (the embedding, syn0), u the output vectors
 * (syn1neg) and s the logistic function. SGD step with g = (label - s(f))*lr:
 *     u_t += g v_c     (each target t: the centre word and k negatives)
 *     v_c += sum_t g u_t
 * This is word2vec.c's formulation: the context word's input vector
 * predicts the centre word. CBOW averages the context inputs into h and
 * predicts the centre word from h; hierarchical softmax replaces the k
 * negatives by the inner nodes on the centre word's Huffman path.
 *
 * Layout of this file: constants and state -> params -> new/free ->
 * steps (sg_batch, sg_plain, sg_hs, cbow) -> sentence -> train (threads,
 * schedule, checkpoints) -> checkpoint save/load. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "emb/huffman.h"
#include "emb/io.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/sample.h"
#include "emb/w2v.h"
#include "sigtab.h"

/* word2vec.c's sigmoid table: s(x) tabulated on [-MAX_EXP, MAX_EXP] in
 * EXP_TABLE_SIZE steps; outside it the gradient is taken as saturated.
 * Looked up through sigtab.h, which also catches non-finite scores. */
#define EXP_TABLE_SIZE EMB_SIGTAB_SIZE
#define MAX_EXP EMB_SIGTAB_BOUND

/* Tokens a thread processes between updates of the shared word counter
 * (which drives the learning rate): word2vec.c uses the same 10000. */
#define FLUSH_WORDS 10000

/* Per-thread scratch, allocated once (hot loops allocate nothing). */
struct w2v_thread {
    struct emb_rng rng;
    int32_t *raw, *sen;     /* (max_sentence) decoded and subsampled ids */
    float *neu1, *neu1e;    /* (dim_padded) CBOW hidden layer and its gradient */
    float *grad;            /* (2*window, dim_padded) input gradients (batch kernel) */
    float *corr;            /* (2*window, negative+1) scores, then coefficients */
    float *coef_t;          /* (negative+1, 2*window) transposed coefficients */
    const float **in_rows;  /* (2*window) */
    const float **out_rows; /* (negative+1) */
    float **in_rows_w;      /* (2*window) writable aliases of in_rows */
    int32_t *neg_next;      /* (negative) negatives drawn one position ahead */
    int64_t words_pending;  /* processed, not yet added to words_done */
    int diverged;           /* a non-finite score was seen (sigtab.h) */
};

struct emb_w2v {
    struct emb_w2v_params p;
    uint64_t seed;
    const struct emb_vocab *vocab;
    struct emb_vocab *own_vocab; /* set when loaded from a checkpoint */
    int32_t n_words;
    struct emb_table *syn0, *syn1; /* input (n_words) and output rows */
    struct emb_alias *neg;         /* unigram^0.75 sampler (NS) */
    struct emb_huffman *huff;      /* codes (HS) */
    uint64_t *keep;                /* (n_words) subsampling: keep if rand32 < keep[w] */
    float exp_table[EXP_TABLE_SIZE];
    struct emb_vec_ops ops;
    struct w2v_thread *ts; /* (n_ts) */
    int n_ts;
    /* Training position; saved in checkpoints. */
    _Atomic int64_t next_chunk; /* over all epochs: epoch * n_chunks_epoch + chunk */
    _Atomic int64_t words_done; /* stream tokens processed, all epochs */
    int64_t n_chunks_epoch;     /* of the stream trained on (0 before training) */
    int64_t stream_tokens;
    uint32_t stream_crc;        /* of the stream's ids (when have_stream_crc) */
    int have_stream_crc;
    char *settings;             /* emb_w2v_set_settings, or a checkpoint's */
};

/* ---- params ----------------------------------------------------------- */

struct emb_w2v_params emb_w2v_default_params(void) {
    struct emb_w2v_params p;
    memset(&p, 0, sizeof p);
    p.model = EMB_W2V_CBOW;
    p.loss = EMB_W2V_NS;
    p.kernel = EMB_W2V_KERNEL_BATCH;
    p.dim = 100;
    p.window = 5;
    p.negative = 5;
    p.epochs = 5;
    p.alpha = 0;
    p.sample = 1e-3;
    p.max_sentence = 10000;
    p.simd = EMB_SIMD_AUTO;
    return p;
}

int emb_w2v_params_check(const struct emb_w2v_params *p, struct emb_err *err) {
    if (p->model != EMB_W2V_SG && p->model != EMB_W2V_CBOW) return emb_err_set(err, EMB_EINVAL, "unknown model");
    if (p->loss != EMB_W2V_NS && p->loss != EMB_W2V_HS) return emb_err_set(err, EMB_EINVAL, "unknown loss");
    if (p->dim < 1 || p->dim > 10000) return emb_err_set(err, EMB_EINVAL, "dim must be in 1..10000, got %d", p->dim);
    if (p->window < 1 || p->window > 1000) return emb_err_set(err, EMB_EINVAL, "window must be in 1..1000, got %d", p->window);
    if (p->loss == EMB_W2V_NS && (p->negative < 1 || p->negative > 1000))
        return emb_err_set(err, EMB_EINVAL, "negative must be in 1..1000, got %d", p->negative);
    if (p->epochs < 1 || p->epochs > 100000) return emb_err_set(err, EMB_EINVAL, "epochs must be >= 1, got %d", p->epochs);
    if (!(p->alpha >= 0) || p->alpha > 10) return emb_err_set(err, EMB_EINVAL, "alpha must be in (0, 10], got %g", p->alpha);
    if (!(p->sample >= 0) || p->sample >= 1) return emb_err_set(err, EMB_EINVAL, "sample must be in [0, 1), got %g", p->sample);
    if (p->max_sentence < 1) return emb_err_set(err, EMB_EINVAL, "max_sentence must be >= 1");
    return EMB_OK;
}

/* ---- new / free ------------------------------------------------------- */

static void free_threads(struct emb_w2v *m) {
    for (int i = 0; i < m->n_ts; i++) {
        struct w2v_thread *t = &m->ts[i];
        emb_free(t->raw);
        emb_free(t->sen);
        emb_free_aligned(t->neu1);
        emb_free_aligned(t->neu1e);
        emb_free_aligned(t->grad);
        emb_free(t->corr);
        emb_free(t->coef_t);
        emb_free(t->in_rows);
        emb_free(t->out_rows);
        emb_free(t->in_rows_w);
        emb_free(t->neg_next);
    }
    emb_free(m->ts);
    m->ts = NULL;
    m->n_ts = 0;
}

/* (Re)create n thread states; RNG stream i of the seed, offset by `salt`
 * (0 for a fresh run; a resumed run with another thread count uses the
 * chunk position so its streams differ from the first run's). */
static int make_threads(struct emb_w2v *m, int n, uint64_t salt, struct emb_err *err) {
    free_threads(m);
    m->ts = emb_calloc((size_t)n, sizeof *m->ts);
    if (!m->ts) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    m->n_ts = n;
    int64_t dp = m->syn0->dim_padded, w2 = 2 * (int64_t)m->p.window, k1 = m->p.negative + 1;
    for (int i = 0; i < n; i++) {
        struct w2v_thread *t = &m->ts[i];
        emb_rng_seed(&t->rng, m->seed, (uint64_t)i + salt * 0x10000ULL);
        t->raw = emb_alloc((size_t)m->p.max_sentence * sizeof *t->raw);
        t->sen = emb_alloc((size_t)m->p.max_sentence * sizeof *t->sen);
        t->neu1 = emb_alloc_aligned((size_t)dp * sizeof(float));
        t->neu1e = emb_alloc_aligned((size_t)dp * sizeof(float));
        t->grad = emb_alloc_aligned((size_t)(w2 * dp) * sizeof(float));
        t->corr = emb_alloc((size_t)(w2 * k1) * sizeof(float));
        t->coef_t = emb_alloc((size_t)(w2 * k1) * sizeof(float));
        t->in_rows = emb_alloc((size_t)w2 * sizeof *t->in_rows);
        t->out_rows = emb_alloc((size_t)k1 * sizeof *t->out_rows);
        t->in_rows_w = emb_alloc((size_t)w2 * sizeof *t->in_rows_w);
        t->neg_next = emb_alloc((size_t)k1 * sizeof *t->neg_next);
        if (!t->neg_next || !t->raw || !t->sen || !t->neu1 || !t->neu1e || !t->grad || !t->corr || !t->coef_t || !t->in_rows ||
            !t->out_rows || !t->in_rows_w) {
            free_threads(m);
            return emb_err_set(err, EMB_ENOMEM, "out of memory for thread scratch");
        }
    }
    return EMB_OK;
}

static int resume_model(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                        const struct emb_train_opts *o, struct emb_err *err);

/* A fresh model with n thread states. */
static int new_model(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                     uint64_t seed, int n_threads, struct emb_err *err) {
    *out = NULL;
    int rc = emb_w2v_params_check(p, err);
    if (rc != EMB_OK) return rc;
    if (n_threads < 1 || n_threads > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024, got %d", n_threads);
    int32_t n = emb_vocab_size(vocab);
    if (n < 1) return emb_err_set(err, EMB_EEMPTY, "empty vocabulary");
    struct emb_w2v *m = emb_calloc(1, sizeof *m);
    int64_t *counts = emb_alloc((size_t)n * sizeof *counts);
    if (!m || !counts) {
        emb_free(m);
        emb_free(counts);
        return emb_err_set(err, EMB_ENOMEM, "out of memory");
    }
    m->p = *p;
    m->seed = seed;
    if (m->p.alpha == 0) m->p.alpha = p->model == EMB_W2V_SG ? 0.025f : 0.05f;
    m->vocab = vocab;
    m->n_words = n;
    m->ops = emb_vec_ops_get(p->simd);
    for (int i = 0; i < EXP_TABLE_SIZE; i++) {
        double e = exp((i / (double)EXP_TABLE_SIZE * 2 - 1) * MAX_EXP);
        m->exp_table[i] = (float)(e / (e + 1));
    }
    for (int32_t i = 0; i < n; i++) counts[i] = emb_vocab_count(vocab, i);
    if ((rc = emb_table_new(&m->syn0, n, p->dim, err)) != EMB_OK) goto done;
    emb_table_init_uniform(m->syn0, 0.5f / (float)p->dim, seed);
    if (p->loss == EMB_W2V_NS) {
        if ((rc = emb_table_new(&m->syn1, n, p->dim, err)) != EMB_OK) goto done;
        if ((rc = emb_alias_new_pow(&m->neg, counts, n, 0.75, err)) != EMB_OK) {
            /* all-zero counts (e.g. a vocabulary without counts): sample uniformly */
            for (int32_t i = 0; i < n; i++) counts[i] = 1;
            if ((rc = emb_alias_new_pow(&m->neg, counts, n, 0.75, err)) != EMB_OK) goto done;
        }
    } else {
        if ((rc = emb_table_new(&m->syn1, n > 1 ? n - 1 : 1, p->dim, err)) != EMB_OK) goto done;
        if ((rc = emb_huffman_new(&m->huff, counts, n, err)) != EMB_OK) goto done;
    }
    /* Subsampling (word2vec.c): keep w with probability
     * (sqrt(f/t) + 1) * t/f, where f = count/total and t = sample. */
    m->keep = emb_alloc((size_t)n * sizeof *m->keep);
    if (!m->keep) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
        goto done;
    }
    double total = (double)emb_vocab_total(vocab);
    for (int32_t i = 0; i < n; i++) {
        double c = (double)counts[i], keep = 1.0;
        if (p->sample > 0 && c > 0 && total > 0) keep = (sqrt(c / (p->sample * total)) + 1) * (p->sample * total) / c;
        m->keep[i] = keep >= 1.0 ? (1ULL << 32) : (uint64_t)(keep * 4294967296.0);
    }
    rc = make_threads(m, n_threads, 0, err);
done:
    emb_free(counts);
    if (rc != EMB_OK) {
        emb_w2v_free(m);
        return rc;
    }
    *out = m;
    return EMB_OK;
}

int emb_w2v_new(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                const struct emb_train_opts *o, struct emb_err *err) {
    *out = NULL;
    int rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    if (o->resume) return resume_model(out, vocab, p, o, err);
    if (!vocab) return emb_err_set(err, EMB_EINVAL, "a new model needs a vocabulary");
    return new_model(out, vocab, p, o->seed, emb_train_threads(o), err);
}

void emb_w2v_free(struct emb_w2v *m) {
    if (!m) return;
    free_threads(m);
    emb_table_free(m->syn0);
    emb_table_free(m->syn1);
    emb_alias_free(m->neg);
    emb_huffman_free(m->huff);
    emb_free(m->keep);
    emb_vocab_free(m->own_vocab);
    emb_free(m->settings);
    emb_free(m);
}

const struct emb_table *emb_w2v_vectors(const struct emb_w2v *m) { return m->syn0; }
const struct emb_table *emb_w2v_output(const struct emb_w2v *m) { return m->syn1; }
const struct emb_w2v_params *emb_w2v_params(const struct emb_w2v *m) { return &m->p; }
const struct emb_vocab *emb_w2v_vocab(const struct emb_w2v *m) { return m->vocab; }
int64_t emb_w2v_words_done(const struct emb_w2v *m) { return atomic_load(&m->words_done); }

/* ---- steps ------------------------------------------------------------ */

/* (label - s(f)) * alpha with word2vec.c's saturation outside +-MAX_EXP;
 * a NaN score gives 0 and sets *diverged. The callers keep the flag in a
 * local (a register) and fold it into the thread's after their loops. */
static inline float ns_grad(const struct emb_w2v *m, float f, float label, float alpha, int *diverged) {
    return emb__sigtab_grad(m->exp_table, f, label, alpha, diverged);
}

/* Rows are touched at random places of tables much larger than the
 * caches; asking for them one step ahead hides most of the miss latency. */
static inline void prefetch_row(const float *row, int64_t dp) {
    for (int64_t k = 0; k < dp; k += 16) __builtin_prefetch(row + k);
}

/* Draw the negatives for the next position and start loading their rows. */
static void draw_negatives(struct emb_w2v *m, struct w2v_thread *t) {
    const int64_t dp = m->syn1->dim_padded;
    for (int k = 0; k < m->p.negative; k++) {
        t->neg_next[k] = emb_alias_sample(m->neg, &t->rng);
        prefetch_row(emb_table_row(m->syn1, t->neg_next[k]), dp);
    }
}

/* Skip-gram, negative sampling, shared negatives (pWord2Vec). Inputs are
 * the n_in context rows, outputs the centre word's row and k negatives.
 *     C = X U^T      X: (n_in, d) context rows, U: (n_out, d) output rows
 *     G = (labels - s(C)) * alpha           (n_in, n_out)
 *     grad_X = G U,  U += G^T X,  X += grad_X
 * All scores are computed before any row changes, as in a matrix step. */
static void sg_batch(struct emb_w2v *m, struct w2v_thread *t, const int32_t *sen, int64_t n, int64_t i, int32_t b,
                     float alpha) {
    const int64_t dp = m->syn0->dim_padded;
    const int32_t w = m->p.window - b, word = sen[i];
    int n_in = 0;
    for (int64_t j = i - w; j <= i + w; j++) {
        if (j < 0 || j >= n || j == i) continue;
        float *row = emb_table_row(m->syn0, sen[j]);
        t->in_rows[n_in] = row;
        t->in_rows_w[n_in++] = row;
    }
    if (n_in == 0) return;
    int n_out = 0;
    t->out_rows[n_out++] = emb_table_row(m->syn1, word);
    for (int k = 0; k < m->p.negative; k++) {
        int32_t target = t->neg_next[k];
        if (target == word) continue; /* as word2vec.c: that negative is skipped */
        t->out_rows[n_out++] = emb_table_row(m->syn1, target);
    }
    draw_negatives(m, t);
    float *corr = t->corr, *ct = t->coef_t;
    int diverged = 0;
    for (int a = 0; a < n_in; a++) m->ops.dot_many(dp, t->in_rows[a], n_out, t->out_rows, corr + a * n_out);
    for (int a = 0; a < n_in; a++)
        for (int o = 0; o < n_out; o++) {
            float g = ns_grad(m, corr[a * n_out + o], o == 0 ? 1.0f : 0.0f, alpha, &diverged);
            corr[a * n_out + o] = g;
            ct[o * n_in + a] = g;
        }
    t->diverged |= diverged;
    for (int a = 0; a < n_in; a++) {
        float *g = t->grad + a * dp;
        memset(g, 0, (size_t)dp * sizeof *g);
        m->ops.axpy_many(dp, n_out, corr + a * n_out, t->out_rows, g);
    }
    for (int o = 0; o < n_out; o++) m->ops.axpy_many(dp, n_in, ct + o * n_in, t->in_rows, (float *)t->out_rows[o]);
    for (int a = 0; a < n_in; a++) m->ops.axpy(dp, 1.0f, t->grad + a * dp, t->in_rows_w[a]);
}

/* Output side of one example with input (hidden) vector l1: negative
 * sampling or hierarchical softmax. Accumulates the gradient for l1 in
 * neu1e and updates output rows in place. */
static void output_step(struct emb_w2v *m, struct w2v_thread *t, const float *l1, int32_t word, float alpha,
                        float *neu1e) {
    const int64_t dp = m->syn0->dim_padded;
    int diverged = 0;
    if (m->p.loss == EMB_W2V_NS) {
        for (int d = 0; d <= m->p.negative; d++) {
            int32_t target = word;
            float label = 1.0f;
            if (d > 0) {
                target = emb_alias_sample(m->neg, &t->rng);
                if (target == word) continue;
                label = 0.0f;
            }
            float *l2 = emb_table_row(m->syn1, target);
            float g = ns_grad(m, m->ops.dot(dp, l1, l2), label, alpha, &diverged);
            m->ops.axpy(dp, g, l2, neu1e);
            m->ops.axpy(dp, g, l1, l2);
        }
    } else {
        const struct emb_huffman *h = m->huff;
        const int32_t *point = h->point + h->offset[word];
        const uint8_t *code = h->code + h->offset[word];
        for (int d = 0; d < h->len[word]; d++) {
            float *l2 = emb_table_row(m->syn1, point[d]);
            float f;
            if (!emb__sigtab_inner(m->exp_table, m->ops.dot(dp, l1, l2), &f, &diverged)) continue;
            float g = (1.0f - code[d] - f) * alpha;
            m->ops.axpy(dp, g, l2, neu1e);
            m->ops.axpy(dp, g, l1, l2);
        }
    }
    t->diverged |= diverged;
}

/* Skip-gram, one context word at a time (word2vec.c's loop): the plain
 * Hogwild reference for negative sampling, and the HS path. */
static void sg_plain(struct emb_w2v *m, struct w2v_thread *t, const int32_t *sen, int64_t n, int64_t i, int32_t b,
                     float alpha) {
    const int64_t dp = m->syn0->dim_padded;
    const int32_t w = m->p.window - b;
    for (int64_t j = i - w; j <= i + w; j++) {
        if (j < 0 || j >= n || j == i) continue;
        float *l1 = emb_table_row(m->syn0, sen[j]);
        memset(t->neu1e, 0, (size_t)dp * sizeof(float));
        output_step(m, t, l1, sen[i], alpha, t->neu1e);
        m->ops.axpy(dp, 1.0f, t->neu1e, l1);
    }
}

/* CBOW: h = mean of the context inputs predicts the centre word; every
 * context input receives the whole gradient of h (as word2vec.c). */
static void cbow(struct emb_w2v *m, struct w2v_thread *t, const int32_t *sen, int64_t n, int64_t i, int32_t b,
                 float alpha) {
    const int64_t dp = m->syn0->dim_padded;
    const int32_t w = m->p.window - b;
    int cw = 0;
    for (int64_t j = i - w; j <= i + w; j++) {
        if (j < 0 || j >= n || j == i) continue;
        t->in_rows_w[cw] = emb_table_row(m->syn0, sen[j]);
        t->in_rows[cw] = t->in_rows_w[cw];
        cw++;
    }
    if (cw == 0) return;
    memset(t->neu1, 0, (size_t)dp * sizeof(float));
    memset(t->neu1e, 0, (size_t)dp * sizeof(float));
    float inv = 1.0f / (float)cw;
    for (int a = 0; a < cw; a++) m->ops.axpy(dp, inv, t->in_rows[a], t->neu1);
    output_step(m, t, t->neu1, sen[i], alpha, t->neu1e);
    for (int a = 0; a < cw; a++) m->ops.axpy(dp, 1.0f, t->neu1e, t->in_rows_w[a]);
}

static void train_sentence(struct emb_w2v *m, struct w2v_thread *t, const int32_t *sen, int64_t n, float alpha) {
    int batch = m->p.model == EMB_W2V_SG && m->p.loss == EMB_W2V_NS && m->p.kernel == EMB_W2V_KERNEL_BATCH;
    const int64_t dp = m->syn0->dim_padded;
    if (batch) draw_negatives(m, t);
    for (int64_t i = 0; i < n; i++) {
        if (i + 1 < n) prefetch_row(emb_table_row(m->syn1, sen[i + 1]), dp);
        if (i + 1 + m->p.window < n) prefetch_row(emb_table_row(m->syn0, sen[i + 1 + m->p.window]), dp);
        /* word2vec.c shrinks the window by b in [0, window) per position. */
        int32_t b = (int32_t)emb_rng_below(&t->rng, (uint64_t)m->p.window);
        if (m->p.model == EMB_W2V_CBOW) cbow(m, t, sen, n, i, b, alpha);
        else if (batch) sg_batch(m, t, sen, n, i, b, alpha);
        else sg_plain(m, t, sen, n, i, b, alpha);
    }
}

void emb_w2v_train_sentence(struct emb_w2v *m, int ith, const int32_t *ids, int64_t n, float alpha) {
    train_sentence(m, &m->ts[ith], ids, n, alpha);
}

/* ---- train -------------------------------------------------------------- */

struct train_job {
    struct emb_w2v *m;
    const struct emb_stream *stream;
    const struct emb_train_opts *o;
    int64_t total_chunks, total_words;
    _Atomic int pause;  /* set by thread 0 when a checkpoint is due */
    _Atomic int diverged; /* set by a thread that saw a non-finite score */
    struct emb_train_clock clock;
    int64_t words_at_start;
};

static float current_alpha(const struct emb_w2v *m, const struct train_job *j, int64_t pending) {
    double done = (double)(atomic_load_explicit(&m->words_done, memory_order_relaxed) + pending);
    double a = m->p.alpha * (1.0 - done / (double)(j->total_words + 1));
    double lo = m->p.alpha * 0.0001;
    return (float)(a < lo ? lo : a);
}

static void report(struct emb_w2v *m, struct train_job *j, enum emb_train_event event) {
    if (!j->o->progress) return;
    int64_t done = atomic_load(&m->words_done);
    struct emb_train_progress pr = emb_train_progress_init("words");
    pr.event = event;
    pr.elapsed_sec = emb_train_clock_elapsed(&j->clock);
    pr.fraction = (double)done / (double)(j->total_words ? j->total_words : 1);
    if (pr.fraction > 1) pr.fraction = 1;
    pr.rate = pr.elapsed_sec > 0 ? (double)(done - j->words_at_start) / pr.elapsed_sec : 0;
    pr.lr = current_alpha(m, j, 0);
    pr.eta_sec = pr.rate > 0 ? (double)(j->total_words - done) / pr.rate : NAN;
    pr.step = done;
    pr.n_steps = j->total_words;
    int64_t chunk = atomic_load(&m->next_chunk);
    pr.epoch = (int32_t)((chunk < j->total_chunks ? chunk : j->total_chunks - 1) / m->n_chunks_epoch) + 1;
    j->o->progress(j->o->progress_ctx, &pr);
}

/* Add a thread's pending words to the shared counter; thread 0 then
 * reports progress (train.h's clock) and asks for a pause when a
 * checkpoint is due. */
static void flush_words(struct train_job *j, struct w2v_thread *t, int ith) {
    struct emb_w2v *m = j->m;
    atomic_fetch_add(&m->words_done, t->words_pending);
    t->words_pending = 0;
    /* The divergence check: every FLUSH_WORDS tokens, one flag per thread. */
    if (t->diverged) atomic_store(&j->diverged, 1);
    if (ith != 0) return;
    if (emb_train_clock_tick_due(&j->clock)) report(m, j, EMB_TRAIN_TICK);
    if (emb_train_clock_ckpt_due(&j->clock)) atomic_store(&j->pause, 1);
}

static void train_worker(void *ctx, int ith, int nth) {
    (void)nth;
    struct train_job *j = ctx;
    struct emb_w2v *m = j->m;
    struct w2v_thread *t = &m->ts[ith];
    for (;;) {
        if (emb_train_stopped(j->o) || atomic_load(&j->pause) || atomic_load(&j->diverged)) break;
        int64_t c = atomic_fetch_add(&m->next_chunk, 1);
        if (c >= j->total_chunks) break;
        struct emb_stream_cursor cur;
        emb_stream_chunk(j->stream, c % m->n_chunks_epoch, &cur);
        int64_t n_raw;
        while ((n_raw = emb_stream_next_sentence(&cur, t->raw, m->p.max_sentence)) >= 0) {
            int64_t n = 0;
            for (int64_t i = 0; i < n_raw; i++) {
                int32_t w = t->raw[i];
                if (m->keep[w] <= 0xFFFFFFFFULL && (emb_rng_next(&t->rng) >> 32) >= m->keep[w]) continue;
                t->sen[n++] = w;
            }
            train_sentence(m, t, t->sen, n, current_alpha(m, j, t->words_pending));
            t->words_pending += n_raw;
            if (t->words_pending >= FLUSH_WORDS) {
                flush_words(j, t, ith);
                if (atomic_load(&j->diverged)) break;
            }
        }
        /* Chunk boundaries are the unit of resumption: flush here so the
         * saved counter covers exactly the chunks done. */
        flush_words(j, t, ith);
    }
}

static int check_stream(struct emb_w2v *m, const struct emb_stream *stream, int checkpoints, struct emb_err *err);

static int weights_nonfinite(const struct emb_w2v *m) {
    return emb_table_find_nonfinite(m->syn0) >= 0 || emb_table_find_nonfinite(m->syn1) >= 0;
}

/* The error of a run that diverged (`what` became non-finite): one line
 * naming the epoch and the learning rate, and what became of the
 * checkpoint, which is never overwritten with non-finite values. `saved`:
 * this run wrote a (good) checkpoint before. */
static int diverged_error(const struct emb_w2v *m, const struct train_job *j, const char *what, int saved,
                          struct emb_err *err) {
    int64_t chunk = atomic_load(&m->next_chunk);
    if (chunk > j->total_chunks) chunk = j->total_chunks;
    if (chunk > 0) chunk--; /* the last chunk taken */
    int epoch = (int)(chunk / m->n_chunks_epoch) + 1;
    const char *ck = j->o->checkpoint_path;
    return emb_err_set(err, EMB_ENUMERIC, "training diverged (non-finite %s) at epoch %d: lower --alpha (now %g)%s%s%s",
                       what, epoch, (double)m->p.alpha, ck ? (saved ? "; last good checkpoint " : "; checkpoint ") : "",
                       ck ? ck : "", ck ? (saved ? " kept" : " not written") : "");
}

/* After a pause of the workers: a stop (checkpoint, EMB_EINTR) or a
 * periodic checkpoint (a failure is a warning and the run goes on).
 * Returns EMB_OK to go on. */
static int after_pause(struct emb_w2v *m, struct train_job *j, int *saved, struct emb_err *err) {
    const struct emb_train_opts *o = j->o;
    /* A checkpoint is about to be written: never over a good one with
     * non-finite weights (the scores may not have shown it yet). */
    if (o->checkpoint_path && weights_nonfinite(m)) return diverged_error(m, j, "weights", *saved, err);
    if (emb_train_stopped(o)) {
        if (!o->checkpoint_path) return emb_err_set(err, EMB_EINTR, "interrupted (no --checkpoint given, nothing saved)");
        int rc = emb_w2v_checkpoint_save(m, o->checkpoint_path, err);
        if (rc != EMB_OK) return rc;
        return emb_err_set(err, EMB_EINTR, "interrupted; state saved to %s (continue with --resume)", o->checkpoint_path);
    }
    if (o->checkpoint_path) {
        struct emb_err ck = {0};
        int ck_rc = emb_w2v_checkpoint_save(m, o->checkpoint_path, &ck);
        if (ck_rc != EMB_OK && o->warn) o->warn(o->warn_ctx, emb_err_msg(&ck, ck_rc));
        if (ck_rc == EMB_OK) {
            *saved = 1;
            report(m, j, EMB_TRAIN_CHECKPOINT);
        }
    }
    return EMB_OK;
}

int emb_w2v_train(struct emb_w2v *m, const struct emb_stream *stream, const struct emb_train_opts *o,
                  struct emb_err *err) {
    int rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    int64_t n_chunks = emb_stream_n_chunks(stream), n_tok = emb_stream_n_tokens(stream);
    if (n_tok == 0) return emb_err_set(err, EMB_EEMPTY, "nothing to train on");
    if (n_tok > INT64_MAX / m->p.epochs)
        return emb_err_set(err, EMB_EINVAL, "%lld tokens x %d epochs is more than 2^63-1", (long long)n_tok, m->p.epochs);
    if ((rc = check_stream(m, stream, o->checkpoint_path != NULL, err)) != EMB_OK) return rc;
    /* Another thread count than the model was made with: fresh thread
     * states, their RNG streams salted by the position. */
    int n_threads = emb_train_threads(o);
    if (n_threads != m->n_ts && (rc = make_threads(m, n_threads, (uint64_t)atomic_load(&m->next_chunk) + 1, err)) != EMB_OK)
        return rc;
    struct emb_pool *own_pool = NULL;
    if (!o->pool && (rc = emb_pool_new(&own_pool, n_threads, err)) != EMB_OK) return rc;
    struct emb_pool *pool = o->pool ? o->pool : own_pool;
    struct train_job j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.stream = stream;
    j.o = o;
    j.total_chunks = (int64_t)m->p.epochs * n_chunks;
    j.total_words = (int64_t)m->p.epochs * n_tok;
    emb_train_clock_start(&j.clock, o);
    j.clock.last_tick -= j.clock.tick_every; /* first report at the first flush */
    j.words_at_start = atomic_load(&m->words_done);
    int saved = 0;
    for (;;) {
        atomic_store(&j.pause, 0);
        emb_pool_run(pool, train_worker, &j);
        if (atomic_load(&j.diverged)) {
            rc = diverged_error(m, &j, "scores", saved, err);
            break;
        }
        if (atomic_load(&m->next_chunk) > j.total_chunks) atomic_store(&m->next_chunk, j.total_chunks);
        if (atomic_load(&m->next_chunk) >= j.total_chunks) break;
        if ((rc = after_pause(m, &j, &saved, err)) != EMB_OK) break;
    }
    emb_pool_free(own_pool);
    if (rc == EMB_OK) {
        report(m, &j, EMB_TRAIN_TICK);
        if (weights_nonfinite(m)) rc = diverged_error(m, &j, "weights", saved, err);
    }
    return rc;
}

/* ---- checkpoints -------------------------------------------------------- */

static const char CKPT_MAGIC[8] = {'E', 'M', 'B', 'W', '2', 'V', 'C', 'K'};
/* 2: CRC-framed (io.h), stream CRC and caller settings. */
#define CKPT_VERSION 2
#define MAX_SETTINGS_BYTES (1 << 16)

/* CRC-32 of the ids the trainer sees, sentence by sentence: the same
 * corpus read again (with the checkpoint's vocabulary) gives the same
 * value, a reordered or edited one almost surely not. */
static uint32_t stream_crc(const struct emb_stream *stream) {
    int32_t buf[4096];
    const int32_t sep = -1;
    uint32_t crc = 0;
    for (int64_t c = 0; c < emb_stream_n_chunks(stream); c++) {
        struct emb_stream_cursor cur;
        emb_stream_chunk(stream, c, &cur);
        int64_t n;
        while ((n = emb_stream_next_sentence(&cur, buf, 4096)) >= 0) {
            crc = emb_crc32(crc, buf, (size_t)n * sizeof *buf);
            crc = emb_crc32(crc, &sep, sizeof sep);
        }
    }
    return crc;
}

/* The first training call fixes the stream; a resumed model must get the
 * one its checkpoint was made on. The CRC pass runs only when checkpoints
 * are written or checked. */
static int check_stream(struct emb_w2v *m, const struct emb_stream *stream, int checkpoints, struct emb_err *err) {
    int64_t n_chunks = emb_stream_n_chunks(stream), n_tok = emb_stream_n_tokens(stream);
    if (m->n_chunks_epoch == 0) {
        m->n_chunks_epoch = n_chunks;
        m->stream_tokens = n_tok;
    } else if (m->n_chunks_epoch != n_chunks || m->stream_tokens != n_tok) {
        return emb_err_set(err, EMB_EINVAL,
                           "the input differs from the one the checkpoint was made on (%lld tokens in %lld chunks, "
                           "checkpoint: %lld in %lld)",
                           (long long)n_tok, (long long)n_chunks, (long long)m->stream_tokens,
                           (long long)m->n_chunks_epoch);
    }
    if (m->have_stream_crc) {
        uint32_t crc = stream_crc(stream);
        if (crc != m->stream_crc)
            return emb_err_set(err, EMB_EINVAL,
                               "the input differs from the one the checkpoint was made on (same size, other "
                               "content: token stream CRC %08x, checkpoint: %08x)",
                               (unsigned)crc, (unsigned)m->stream_crc);
    } else if (checkpoints) {
        m->stream_crc = stream_crc(stream);
        m->have_stream_crc = 1;
    }
    return EMB_OK;
}

int emb_w2v_set_settings(struct emb_w2v *m, const char *kv, struct emb_err *err) {
    size_t n = kv ? strlen(kv) : 0;
    if (n >= MAX_SETTINGS_BYTES) return emb_err_set(err, EMB_EINVAL, "checkpoint settings text too long");
    char *s = emb_alloc(n + 1);
    if (!s) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    if (n) memcpy(s, kv, n);
    s[n] = '\0';
    emb_free(m->settings);
    m->settings = s;
    return EMB_OK;
}

const char *emb_w2v_settings(const struct emb_w2v *m) { return m->settings ? m->settings : ""; }

int emb_w2v_checkpoint_save(const struct emb_w2v *m, const char *path, struct emb_err *err) {
    struct emb_outfile *o = NULL;
    struct emb_crc_writer *cw = NULL;
    char *kv = NULL, *words = NULL;
    int64_t *counts = NULL;
    uint64_t *rng = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    const struct emb_w2v_params *p = &m->p;
    const char *settings = emb_w2v_settings(m);
    int64_t word_bytes = 0, settings_bytes = (int64_t)strlen(settings) + 1;
    for (int32_t i = 0; i < m->n_words; i++) word_bytes += (int64_t)strlen(emb_vocab_word(m->vocab, i)) + 1;
    kv = emb_alloc(2048);
    words = emb_alloc((size_t)word_bytes);
    counts = emb_alloc((size_t)m->n_words * sizeof *counts);
    rng = emb_alloc((size_t)m->n_ts * 4 * sizeof *rng);
    rc = EMB_ENOMEM;
    if (!kv || !words || !counts || !rng || emb_crc_writer_open(&cw, emb_outfile_stream(o)) != EMB_OK) goto done;
    FILE *f = emb_crc_writer_stream(cw);
    char *wp = words;
    for (int32_t i = 0; i < m->n_words; i++) {
        const char *s = emb_vocab_word(m->vocab, i);
        size_t len = strlen(s) + 1;
        memcpy(wp, s, len);
        wp += len;
        counts[i] = emb_vocab_count(m->vocab, i);
    }
    for (int i = 0; i < m->n_ts; i++) memcpy(rng + 4 * i, m->ts[i].rng.s, sizeof m->ts[i].rng.s);
    snprintf(kv, 2048,
             "kind=word2vec\nmodel=%d\nloss=%d\nkernel=%d\ndim=%d\nwindow=%d\nnegative=%d\nepochs=%d\n"
             "alpha=%.9g\nsample=%.17g\nseed=%llu\nmax_sentence=%d\nn_words=%d\nword_bytes=%lld\n"
             "syn1_rows=%lld\nn_threads=%d\nnext_chunk=%lld\nwords_done=%lld\nn_chunks_epoch=%lld\n"
             "stream_tokens=%lld\nsettings_bytes=%lld\n",
             (int)p->model, (int)p->loss, (int)p->kernel, p->dim, p->window, p->negative, p->epochs, p->alpha,
             p->sample, (unsigned long long)m->seed, p->max_sentence, m->n_words, (long long)word_bytes,
             (long long)m->syn1->n_rows, m->n_ts, (long long)atomic_load(&m->next_chunk),
             (long long)atomic_load(&m->words_done), (long long)m->n_chunks_epoch, (long long)m->stream_tokens,
             (long long)settings_bytes);
    /* The stream's CRC when it was taken (training with checkpoint_path). */
    if (m->have_stream_crc) {
        size_t len = strlen(kv);
        snprintf(kv + len, 2048 - len, "stream_crc=%lu\n", (unsigned long)m->stream_crc);
    }
    rc = EMB_EIO;
    if (emb_write_header_crc(cw, CKPT_MAGIC, CKPT_VERSION, kv) != EMB_OK) goto done;
    if (emb_write_array(f, words, word_bytes, 1) != EMB_OK) goto done;
    if (emb_write_array(f, counts, m->n_words, sizeof *counts) != EMB_OK) goto done;
    if (emb_write_array(f, m->syn0->data, m->syn0->n_rows * m->syn0->dim_padded, sizeof(float)) != EMB_OK) goto done;
    if (emb_write_array(f, m->syn1->data, m->syn1->n_rows * m->syn1->dim_padded, sizeof(float)) != EMB_OK) goto done;
    if (emb_write_array(f, rng, (int64_t)m->n_ts * 4, sizeof *rng) != EMB_OK) goto done;
    if (emb_write_array(f, settings, settings_bytes, 1) != EMB_OK) goto done;
    rc = emb_crc_writer_close(cw, 1);
    cw = NULL;
    if (rc != EMB_OK) goto done;
    rc = emb_outfile_commit(o, err);
    o = NULL;
done:
    emb_crc_writer_close(cw, 0);
    if (o) {
        emb_outfile_abort(o);
        rc = rc == EMB_ENOMEM ? emb_err_set(err, rc, "out of memory writing checkpoint")
                              : emb_err_set(err, rc, "cannot write checkpoint %s: %s", path, strerror(errno));
    }
    emb_free(kv);
    emb_free(words);
    emb_free(counts);
    emb_free(rng);
    return rc;
}

/* A checkpoint's header: the settings and the sizes of what follows. */
struct ckpt_header {
    struct emb_w2v_params p;
    uint64_t seed;
    long long n_words, word_bytes, syn1_rows, n_threads, next_chunk, words_done, n_chunks_epoch, stream_tokens,
        settings_bytes, crc;
    int have_crc;
};

static int parse_header(const char *kv, const char *path, struct ckpt_header *h, struct emb_err *err) {
    memset(h, 0, sizeof *h);
    struct emb_w2v_params p = emb_w2v_default_params();
    long long model, loss, kernel, dim, window, negative, epochs, seed, max_sentence;
    char buf[64];
    int rc;
    if ((rc = emb_kv_ll(kv, "model", 0, 1, &model, path, err)) || (rc = emb_kv_ll(kv, "loss", 0, 1, &loss, path, err)) ||
        (rc = emb_kv_ll(kv, "kernel", 0, 1, &kernel, path, err)) || (rc = emb_kv_ll(kv, "dim", 1, 10000, &dim, path, err)) ||
        (rc = emb_kv_ll(kv, "window", 1, 1000, &window, path, err)) ||
        (rc = emb_kv_ll(kv, "negative", 0, 1000, &negative, path, err)) ||
        (rc = emb_kv_ll(kv, "epochs", 1, 100000, &epochs, path, err)) ||
        (rc = emb_kv_ll(kv, "seed", 0, INT64_MAX, &seed, path, err)) ||
        (rc = emb_kv_ll(kv, "max_sentence", 1, INT32_MAX, &max_sentence, path, err)) ||
        (rc = emb_kv_ll(kv, "n_words", 1, INT32_MAX, &h->n_words, path, err)) ||
        (rc = emb_kv_ll(kv, "word_bytes", 2, INT64_MAX / 2, &h->word_bytes, path, err)) ||
        (rc = emb_kv_ll(kv, "syn1_rows", 1, INT32_MAX, &h->syn1_rows, path, err)) ||
        (rc = emb_kv_ll(kv, "n_threads", 1, 1024, &h->n_threads, path, err)) ||
        (rc = emb_kv_ll(kv, "next_chunk", 0, INT64_MAX, &h->next_chunk, path, err)) ||
        (rc = emb_kv_ll(kv, "words_done", 0, INT64_MAX, &h->words_done, path, err)) ||
        (rc = emb_kv_ll(kv, "n_chunks_epoch", 1, INT64_MAX, &h->n_chunks_epoch, path, err)) ||
        (rc = emb_kv_ll(kv, "stream_tokens", 1, INT64_MAX, &h->stream_tokens, path, err)) ||
        (rc = emb_kv_ll(kv, "settings_bytes", 1, MAX_SETTINGS_BYTES, &h->settings_bytes, path, err)))
        return rc;
    h->have_crc = emb_kv_get(kv, "stream_crc", buf, sizeof buf);
    if (h->have_crc && (rc = emb_kv_ll(kv, "stream_crc", 0, UINT32_MAX, &h->crc, path, err)) != EMB_OK) return rc;
    p.model = (enum emb_w2v_model)model;
    p.loss = (enum emb_w2v_loss)loss;
    p.kernel = (enum emb_w2v_kernel)kernel;
    p.dim = (int32_t)dim;
    p.window = (int32_t)window;
    p.negative = (int32_t)negative;
    p.epochs = (int32_t)epochs;
    p.max_sentence = (int32_t)max_sentence;
    if (!emb_kv_get(kv, "alpha", buf, sizeof buf) || !((p.alpha = strtof(buf, NULL)) > 0) || !(p.alpha <= 10))
        return emb_err_set(err, EMB_EFORMAT, "%s: bad checkpoint alpha", path);
    if (!emb_kv_get(kv, "sample", buf, sizeof buf) || !((p.sample = strtod(buf, NULL)) >= 0) || !(p.sample < 1))
        return emb_err_set(err, EMB_EFORMAT, "%s: bad checkpoint sample", path);
    h->p = p;
    h->seed = (uint64_t)seed;
    return EMB_OK;
}

/* Open path and read its header (the reader is left after it). */
static int open_checkpoint(struct emb_reader **r, const char *path, struct ckpt_header *h, struct emb_err *err) {
    char *kv = NULL;
    uint32_t version;
    int rc = emb_reader_open(r, path, err);
    if (rc != EMB_OK) return rc;
    rc = emb_read_header_crc(*r, CKPT_MAGIC, CKPT_VERSION, CKPT_VERSION, &version, &kv, err);
    if (rc == EMB_OK && version < CKPT_VERSION)
        rc = emb_err_set(err, EMB_EFORMAT,
                         "%s: checkpoint format %u (without checksums) is no longer read; start the run afresh", path,
                         version);
    if (rc == EMB_OK) rc = parse_header(kv, path, h, err);
    emb_free(kv);
    if (rc != EMB_OK) {
        emb_reader_close(*r);
        *r = NULL;
    }
    return rc;
}

int emb_w2v_checkpoint_params(const char *path, struct emb_w2v_params *p, uint64_t *seed, struct emb_err *err) {
    struct emb_reader *r = NULL;
    struct ckpt_header h;
    int rc = open_checkpoint(&r, path, &h, err);
    if (rc != EMB_OK) return rc;
    emb_reader_close(r);
    *p = h.p;
    *seed = h.seed;
    return EMB_OK;
}

/* The vocabulary: NUL-separated words, then counts. */
static int read_vocab(struct emb_reader *r, const char *path, const struct ckpt_header *h, struct emb_vocab **out,
                      struct emb_err *err) {
    struct emb_vocab *v = NULL;
    char *words = emb_alloc((size_t)h->word_bytes);
    int64_t *counts = emb_alloc((size_t)h->n_words * sizeof *counts);
    int rc = EMB_OK;
    if (!words || !counts) rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
    if (rc == EMB_OK) rc = emb_read_array(r, words, h->word_bytes, 1, "words", err);
    if (rc == EMB_OK) rc = emb_read_array(r, counts, h->n_words, sizeof *counts, "counts", err);
    if (rc == EMB_OK) rc = emb_vocab_new(&v, err);
    /* Every word is bounded by the buffer: memchr, never strlen. */
    const char *wp = words, *wend = words + h->word_bytes;
    int64_t total = 0;
    for (int32_t i = 0; rc == EMB_OK && i < h->n_words; i++) {
        if (counts[i] < 0 || counts[i] > INT64_MAX - total) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt word counts at word %d", path, i);
            break;
        }
        total += counts[i];
        const char *z = wp < wend ? memchr(wp, '\0', (size_t)(wend - wp)) : NULL;
        size_t len = z ? (size_t)(z - wp) : 0;
        if (!z || len == 0 || len > EMB_MAX_TOKEN_BYTES || emb_vocab_find(v, wp, len) >= 0) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt word list at word %d", path, i);
            break;
        }
        if ((rc = emb_vocab_add(v, wp, len, counts[i], NULL, err)) != EMB_OK) break;
        wp = z + 1;
    }
    if (rc == EMB_OK && wp != wend) rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt word list (size)", path);
    emb_free(words);
    emb_free(counts);
    if (rc != EMB_OK) {
        emb_vocab_free(v);
        return rc;
    }
    *out = v;
    return EMB_OK;
}

/* The tables, RNG states and settings text into m (made from h). */
static int read_state(struct emb_reader *r, const char *path, const struct ckpt_header *h, struct emb_w2v *m,
                      struct emb_err *err) {
    uint64_t *rng = emb_alloc((size_t)h->n_threads * 4 * sizeof *rng);
    char *settings = emb_alloc((size_t)h->settings_bytes);
    int rc = EMB_OK;
    if (!rng || !settings) rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
    if (rc == EMB_OK && m->syn1->n_rows != h->syn1_rows)
        rc = emb_err_set(err, EMB_EFORMAT, "%s: output table has %lld rows, expected %lld", path, h->syn1_rows,
                         (long long)m->syn1->n_rows);
    if (rc == EMB_OK)
        rc = emb_read_array(r, m->syn0->data, m->syn0->n_rows * m->syn0->dim_padded, sizeof(float), "input vectors", err);
    if (rc == EMB_OK)
        rc = emb_read_array(r, m->syn1->data, m->syn1->n_rows * m->syn1->dim_padded, sizeof(float), "output vectors", err);
    if (rc == EMB_OK) rc = emb_read_array(r, rng, h->n_threads * 4, sizeof *rng, "rng states", err);
    if (rc == EMB_OK) rc = emb_read_array(r, settings, h->settings_bytes, 1, "settings", err);
    if (rc == EMB_OK && memchr(settings, '\0', (size_t)h->settings_bytes) != settings + h->settings_bytes - 1)
        rc = emb_err_set(err, EMB_EFORMAT, "%s: corrupt settings", path);
    if (rc == EMB_OK) rc = emb_read_trailer_crc(r, err);
    if (rc == EMB_OK && weights_nonfinite(m))
        rc = emb_err_set(err, EMB_ENUMERIC, "%s: checkpoint holds non-finite values", path);
    if (rc == EMB_OK) {
        if (m->n_ts == h->n_threads) {
            for (int i = 0; i < m->n_ts; i++) memcpy(m->ts[i].rng.s, rng + 4 * i, sizeof m->ts[i].rng.s);
        } else {
            rc = make_threads(m, m->n_ts, (uint64_t)h->next_chunk + 1, err);
        }
    }
    if (rc == EMB_OK) {
        atomic_store(&m->next_chunk, h->next_chunk);
        atomic_store(&m->words_done, h->words_done);
        m->n_chunks_epoch = h->n_chunks_epoch;
        m->stream_tokens = h->stream_tokens;
        m->stream_crc = h->have_crc ? (uint32_t)h->crc : 0;
        m->have_stream_crc = h->have_crc;
        m->settings = settings;
        settings = NULL;
    }
    emb_free(rng);
    emb_free(settings);
    return rc;
}

int emb_w2v_checkpoint_load(struct emb_w2v **out, const char *path, const struct emb_train_opts *o,
                            struct emb_err *err) {
    *out = NULL;
    struct emb_reader *r = NULL;
    struct emb_vocab *v = NULL;
    struct emb_w2v *m = NULL;
    struct ckpt_header h;
    int rc = open_checkpoint(&r, path, &h, err);
    if (rc != EMB_OK) return rc;
    int n_threads = o ? emb_train_threads(o) : (int)h.n_threads;
    /* The sizes are checked against the file before they are allocated. */
    int64_t dp = (h.p.dim + EMB_TABLE_PAD - 1) / EMB_TABLE_PAD * EMB_TABLE_PAD;
    int64_t floats = ((int64_t)h.n_words + h.syn1_rows) * dp;
    if (!emb_reader_has(r, h.word_bytes + h.n_words * 8 + floats * 4 + h.n_threads * 32 + h.settings_bytes))
        rc = emb_err_set(err, EMB_EFORMAT, "%s: truncated checkpoint (smaller than its header says)", path);
    if (rc == EMB_OK) rc = read_vocab(r, path, &h, &v, err);
    if (rc == EMB_OK && (rc = new_model(&m, v, &h.p, h.seed, n_threads, err)) == EMB_OK) {
        m->own_vocab = v;
        v = NULL;
        rc = read_state(r, path, &h, m, err);
    }
    emb_reader_close(r);
    emb_vocab_free(v);
    if (rc != EMB_OK) {
        emb_w2v_free(m);
        return rc;
    }
    m->vocab = m->own_vocab;
    *out = m;
    return EMB_OK;
}

/* The settings that must match on resume, as "key=value" lines. */
static void resume_kv(const struct emb_w2v_params *p, uint64_t seed, char *buf, size_t n) {
    static const char *const model_name[] = {"sg", "cbow"}, *const loss_name[] = {"ns", "hs"},
                             *const kernel_name[] = {"batch", "plain"};
    snprintf(buf, n,
             "model=%s\nloss=%s\nkernel=%s\ndim=%d\nwindow=%d\nnegative=%d\nepochs=%d\nalpha=%.9g\nsample=%.17g\n"
             "seed=%llu\nmax_sentence=%d\n",
             model_name[p->model == EMB_W2V_CBOW], loss_name[p->loss == EMB_W2V_HS],
             kernel_name[p->kernel == EMB_W2V_KERNEL_PLAIN], p->dim, p->window, p->negative, p->epochs,
             (double)p->alpha, p->sample, (unsigned long long)seed, p->max_sentence);
}

static int resume_model(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                        const struct emb_train_opts *o, struct emb_err *err) {
    const char *path = o->checkpoint_path;
    int rc = emb_w2v_params_check(p, err);
    if (rc != EMB_OK) return rc;
    struct emb_w2v *m = NULL;
    if ((rc = emb_w2v_checkpoint_load(&m, path, o, err)) != EMB_OK) return rc;
    struct emb_w2v_params want = *p;
    if (want.alpha == 0) want.alpha = want.model == EMB_W2V_SG ? 0.025f : 0.05f;
    char have_kv[512], want_kv[512];
    resume_kv(&m->p, m->seed, have_kv, sizeof have_kv);
    resume_kv(&want, o->seed, want_kv, sizeof want_kv);
    rc = emb_kv_require(have_kv, want_kv, path, err);
    int same = vocab == NULL || emb_vocab_size(vocab) == m->n_words;
    for (int32_t i = 0; vocab && same && i < m->n_words; i++)
        same = !strcmp(emb_vocab_word(vocab, i), emb_vocab_word(m->vocab, i));
    if (rc == EMB_OK && !same) rc = emb_err_set(err, EMB_EINVAL, "%s was not made on this vocabulary (different words)", path);
    if (rc == EMB_OK) {
        m->p.simd = p->simd;
        m->ops = emb_vec_ops_get(p->simd);
    }
    if (rc != EMB_OK) {
        emb_w2v_free(m);
        return rc;
    }
    *out = m;
    return EMB_OK;
}
