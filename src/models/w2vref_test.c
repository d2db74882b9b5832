/* w2vref_test.c -- the word2vec trainer against a transcription of
 * word2vec.c (Mikolov's original TrainModelThread).
 *
 * A tiny vocabulary, fixed initial weights (input and output tables, not
 * the trainer's own initialisation) and one short sentence trained with
 * emb_w2v_train_sentence at a fixed learning rate. The reference below
 * redoes the same sentence in float, loop for loop as word2vec.c does it:
 * the window shrink b drawn per position, CBOW's neu1 = sum / cw and neu1e
 * added unscaled to every context input, skip-gram's neu1e per context
 * word, the exp table with its MAX_EXP clipping (NS saturates, HS skips),
 * HS's (1 - code - f), NS's label 1 for the centre word and 0 for the
 * negatives, a negative equal to the centre word skipped.
 *
 * The random stream is the trainer's: the reference seeds its own copy of
 * thread 0's generator and draws b (emb_rng_below) and the negatives
 * (emb_alias_sample on a unigram^0.75 table built from the same counts) in
 * word2vec.c's order, so both see the same b and the same negatives. The
 * Huffman codes are emb_huffman's (checked against word2vec.c's tree in
 * huffman_test). Everything else is written out here, independently of
 * w2v.c.
 *
 * Cases: SG+NS, SG+HS, CBOW+NS, CBOW+HS with --kernel plain, to 1e-6 on
 * every weight of both tables (relative to the weight where it exceeds 1;
 * measured: at most 2.1e-7); the same four with the default kernel (which
 * runs the same code except for SG+NS); and SG+NS with the batch kernel
 * against a double transcription of its documented matrix step
 * (pWord2Vec: scores of all context words against the centre word and the
 * shared negatives before any row changes), also to 1e-6. Each case runs
 * with the scalar and the SIMD vector kernels.
 *
 * The exp table is a step function: a score within rounding of a step
 * would make float-level differences (summation order of a SIMD dot) jump
 * a whole step. The test checks that every score of the fixture is at
 * least 1e-3 of a step away from one, so a pass or a failure does not
 * depend on the machine's vector width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb/huffman.h"
#include "emb/rng.h"
#include "emb/sample.h"
#include "emb/vec.h"
#include "emb/vocab.h"
#include "emb/w2v.h"
#include "test.h"

#define EXP_TABLE_SIZE 1000
#define MAX_EXP 6

#define N_WORDS 7
#define DIM 19 /* not a multiple of any vector width: the SIMD tails run */
#define WINDOW 3
#define NEGATIVE 4
#define SEED 11
/* Seed of the initial weights: of 1..30, those whose scores all stay
 * more than 1e-3 of a step from the exp table's steps (see above) and
 * that reach both clipping branches of NS and of HS are 13, 17 and 25;
 * 25 keeps the widest margin. */
#define INIT_SALT 25

static const int64_t counts[N_WORDS] = {60, 35, 20, 12, 8, 5, 3};
static const int32_t sentence[] = {0, 3, 1, 5, 2, 0, 4, 6, 1, 0};
#define SEN_LEN ((int64_t)(sizeof sentence / sizeof sentence[0]))

/* ---- the reference ------------------------------------------------------ */

struct ref {
    int cbow, hs;
    float alpha;
    int32_t n_out;                    /* rows of syn1: N_WORDS (NS) or N_WORDS-1 (HS) */
    float syn0[N_WORDS][DIM];         /* input vectors */
    float syn1[N_WORDS][DIM];         /* syn1neg (NS) or syn1 (HS inner nodes) */
    float expTable[EXP_TABLE_SIZE + 1];
    const struct emb_huffman *huff;
    const struct emb_alias *neg;
    struct emb_rng rng;
    /* fixture checks */
    int n_table, n_clip_hi, n_clip_lo; /* scores inside the table, above, below */
    double min_margin;                 /* closest approach of an index to a step, in steps */
};

static void ref_exp_table(float *t) {
    /* word2vec.c, main(): computed in real (float). */
    for (int i = 0; i < EXP_TABLE_SIZE; i++) {
        t[i] = (float)exp((i / (float)EXP_TABLE_SIZE * 2 - 1) * MAX_EXP);
        t[i] = t[i] / (t[i] + 1);
    }
}

/* Record how close f is to a step of the table or to +-MAX_EXP. */
static void ref_note(struct ref *r, float f) {
    double d;
    if (f > MAX_EXP || f < -MAX_EXP) {
        d = fabs(fabs((double)f) - MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2);
        if (f > MAX_EXP) r->n_clip_hi++;
        else r->n_clip_lo++;
    } else {
        double x = ((double)f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2);
        d = fabs(x - floor(x + 0.5));
        double e = fabs(fabs((double)f) - MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2);
        if (e < d) d = e;
        r->n_table++;
    }
    if (d < r->min_margin) r->min_margin = d;
}

/* word2vec.c's output layer for hidden vector neu1 (CBOW) or syn0[l1]
 * (skip-gram) and centre word `word`: accumulates neu1e, updates syn1. */
static void ref_output(struct ref *r, const float *h, int32_t word, float *neu1e) {
    float f, g;
    if (r->hs) {
        const int32_t *point = r->huff->point + r->huff->offset[word];
        const uint8_t *code = r->huff->code + r->huff->offset[word];
        for (int d = 0; d < r->huff->len[word]; d++) {
            f = 0;
            float *l2 = r->syn1[point[d]];
            for (int c = 0; c < DIM; c++) f += h[c] * l2[c];
            ref_note(r, f);
            if (f <= -MAX_EXP) continue;
            else if (f >= MAX_EXP) continue;
            else f = r->expTable[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))];
            g = (1 - code[d] - f) * r->alpha;
            for (int c = 0; c < DIM; c++) neu1e[c] += g * l2[c];
            for (int c = 0; c < DIM; c++) l2[c] += g * h[c];
        }
    } else {
        for (int d = 0; d < NEGATIVE + 1; d++) {
            int32_t target;
            float label;
            if (d == 0) {
                target = word;
                label = 1;
            } else {
                target = emb_alias_sample(r->neg, &r->rng);
                if (target == word) continue;
                label = 0;
            }
            float *l2 = r->syn1[target];
            f = 0;
            for (int c = 0; c < DIM; c++) f += h[c] * l2[c];
            ref_note(r, f);
            if (f > MAX_EXP) g = (label - 1) * r->alpha;
            else if (f < -MAX_EXP) g = (label - 0) * r->alpha;
            else g = (label - r->expTable[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]) * r->alpha;
            for (int c = 0; c < DIM; c++) neu1e[c] += g * l2[c];
            for (int c = 0; c < DIM; c++) l2[c] += g * h[c];
        }
    }
}

/* word2vec.c's TrainModelThread body for one sentence (no subsampling). */
static void ref_sentence(struct ref *r, const int32_t *sen, int64_t sentence_length) {
    float neu1[DIM], neu1e[DIM];
    const int64_t window = WINDOW;
    for (int64_t sentence_position = 0; sentence_position < sentence_length; sentence_position++) {
        int32_t word = sen[sentence_position];
        for (int c = 0; c < DIM; c++) neu1[c] = 0;
        for (int c = 0; c < DIM; c++) neu1e[c] = 0;
        int64_t b = (int64_t)emb_rng_below(&r->rng, (uint64_t)window); /* next_random % window */
        if (r->cbow) {
            int64_t cw = 0;
            for (int64_t a = b; a < window * 2 + 1 - b; a++)
                if (a != window) {
                    int64_t c = sentence_position - window + a;
                    if (c < 0) continue;
                    if (c >= sentence_length) continue;
                    int32_t last_word = sen[c];
                    for (int k = 0; k < DIM; k++) neu1[k] += r->syn0[last_word][k];
                    cw++;
                }
            if (cw) {
                for (int k = 0; k < DIM; k++) neu1[k] /= cw;
                ref_output(r, neu1, word, neu1e);
                for (int64_t a = b; a < window * 2 + 1 - b; a++)
                    if (a != window) {
                        int64_t c = sentence_position - window + a;
                        if (c < 0) continue;
                        if (c >= sentence_length) continue;
                        int32_t last_word = sen[c];
                        for (int k = 0; k < DIM; k++) r->syn0[last_word][k] += neu1e[k];
                    }
            }
        } else {
            for (int64_t a = b; a < window * 2 + 1 - b; a++)
                if (a != window) {
                    int64_t c = sentence_position - window + a;
                    if (c < 0) continue;
                    if (c >= sentence_length) continue;
                    int32_t last_word = sen[c];
                    for (int k = 0; k < DIM; k++) neu1e[k] = 0;
                    ref_output(r, r->syn0[last_word], word, neu1e);
                    for (int k = 0; k < DIM; k++) r->syn0[last_word][k] += neu1e[k];
                }
        }
    }
}

/* The batch kernel's documented step (w2v.h, w2v.c sg_batch), in double:
 * negatives drawn k at a time, one draw ahead (first set at the start of
 * the sentence, the next set right after a position with any context
 * uses the current one); for each position with inputs X (context rows)
 * and outputs U (centre word, then the negatives that differ from it):
 *     C = X U^T,  G = (labels - s(C)) * alpha  (exp table, NS clipping),
 *     X' = X + G U,  U' = U + G^T X   (all from the rows before the step). */
static void ref_batch_sentence(struct ref *r, double syn0[N_WORDS][DIM], double syn1[N_WORDS][DIM],
                               const int32_t *sen, int64_t n) {
    int32_t neg[NEGATIVE];
    for (int k = 0; k < NEGATIVE; k++) neg[k] = emb_alias_sample(r->neg, &r->rng);
    for (int64_t i = 0; i < n; i++) {
        int64_t w = WINDOW - (int64_t)emb_rng_below(&r->rng, WINDOW);
        int32_t in[2 * WINDOW], out[NEGATIVE + 1];
        int n_in = 0, n_out = 0;
        for (int64_t j = i - w; j <= i + w; j++)
            if (j >= 0 && j < n && j != i) in[n_in++] = sen[j];
        if (n_in == 0) continue;
        out[n_out++] = sen[i];
        for (int k = 0; k < NEGATIVE; k++)
            if (neg[k] != sen[i]) out[n_out++] = neg[k];
        for (int k = 0; k < NEGATIVE; k++) neg[k] = emb_alias_sample(r->neg, &r->rng);
        double X[2 * WINDOW][DIM], U[NEGATIVE + 1][DIM], G[2 * WINDOW][NEGATIVE + 1];
        for (int a = 0; a < n_in; a++) memcpy(X[a], syn0[in[a]], sizeof X[a]);
        for (int o = 0; o < n_out; o++) memcpy(U[o], syn1[out[o]], sizeof U[o]);
        for (int a = 0; a < n_in; a++)
            for (int o = 0; o < n_out; o++) {
                double f = 0, label = o == 0 ? 1 : 0;
                for (int c = 0; c < DIM; c++) f += X[a][c] * U[o][c];
                ref_note(r, (float)f);
                if (f > MAX_EXP) G[a][o] = (label - 1) * r->alpha;
                else if (f < -MAX_EXP) G[a][o] = label * r->alpha;
                else G[a][o] = (label - r->expTable[(int)((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]) * r->alpha;
            }
        for (int a = 0; a < n_in; a++)
            for (int o = 0; o < n_out; o++)
                for (int c = 0; c < DIM; c++) syn0[in[a]][c] += G[a][o] * U[o][c];
        for (int o = 0; o < n_out; o++)
            for (int a = 0; a < n_in; a++)
                for (int c = 0; c < DIM; c++) syn1[out[o]][c] += G[a][o] * X[a][c];
    }
}

/* ---- fixture ------------------------------------------------------------ */

static struct emb_vocab *vocab;
static struct emb_alias *alias;
static struct emb_huffman *huff;

/* Fixed initial weights, the same for the trainer and the reference:
 * inputs in [-0.6, 0.6), outputs in [-0.6, 0.6) with two rows scaled up so
 * that some scores leave [-MAX_EXP, MAX_EXP] and the clipping is taken. */
static float init0(int32_t w, int c) {
    struct emb_rng r;
    emb_rng_seed(&r, 1000 * INIT_SALT + (uint64_t)w, (uint64_t)c);
    return (emb_rng_uniform(&r) - 0.5f) * 1.2f;
}
static float init1(int32_t w, int c) {
    struct emb_rng r;
    emb_rng_seed(&r, 1000 * INIT_SALT + 500 + (uint64_t)w, (uint64_t)c);
    float x = (emb_rng_uniform(&r) - 0.5f) * 1.2f;
    return w == 1 || w == 3 ? 6 * x : x;
}

static int setup(void) {
    struct emb_err err = {0};
    CHECK_OK(emb_vocab_new(&vocab, &err));
    for (int w = 0; w < N_WORDS; w++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", w);
        CHECK_OK(emb_vocab_add(vocab, name, strlen(name), counts[w], NULL, &err));
    }
    CHECK_OK(emb_alias_new_pow(&alias, counts, N_WORDS, 0.75, &err));
    CHECK_OK(emb_huffman_new(&huff, counts, N_WORDS, &err));
    return 0;
}

static void ref_init(struct ref *r, int cbow, int hs, float alpha) {
    memset(r, 0, sizeof *r);
    r->cbow = cbow;
    r->hs = hs;
    r->alpha = alpha;
    r->n_out = hs ? N_WORDS - 1 : N_WORDS;
    for (int w = 0; w < N_WORDS; w++)
        for (int c = 0; c < DIM; c++) r->syn0[w][c] = init0(w, c);
    for (int w = 0; w < r->n_out; w++)
        for (int c = 0; c < DIM; c++) r->syn1[w][c] = init1(w, c);
    ref_exp_table(r->expTable);
    r->huff = huff;
    r->neg = alias;
    emb_rng_seed(&r->rng, SEED, 0); /* the trainer's thread 0 stream */
    r->min_margin = 1e9;
}

/* A trainer with the fixed weights written into its tables. */
static int new_model(struct emb_w2v **m, enum emb_w2v_model model, enum emb_w2v_loss loss,
                     enum emb_w2v_kernel kernel, enum emb_simd simd, float alpha) {
    struct emb_err err = {0};
    struct emb_w2v_params p = emb_w2v_default_params();
    p.model = model;
    p.loss = loss;
    p.kernel = kernel;
    p.simd = simd;
    p.dim = DIM;
    p.window = WINDOW;
    p.negative = NEGATIVE;
    p.alpha = alpha;
    p.sample = 0;
    struct emb_train_opts o = emb_train_default_opts();
    o.seed = SEED;
    CHECK_OK(emb_w2v_new(m, vocab, &p, &o, &err));
    struct emb_table *t0 = (struct emb_table *)emb_w2v_vectors(*m), *t1 = (struct emb_table *)emb_w2v_output(*m);
    CHECK(t0->n_rows == N_WORDS && t0->dim == DIM);
    CHECK(t1->n_rows == (loss == EMB_W2V_HS ? N_WORDS - 1 : N_WORDS) && t1->dim == DIM);
    for (int w = 0; w < t0->n_rows; w++)
        for (int c = 0; c < DIM; c++) emb_table_row(t0, w)[c] = init0(w, c);
    for (int w = 0; w < t1->n_rows; w++)
        for (int c = 0; c < DIM; c++) emb_table_row(t1, w)[c] = init1(w, c);
    return 0;
}

/* Largest |trainer - reference| / max(1, |reference|) over both tables
 * (a few weights are near 4, where a float's spacing is 5e-7); also
 * checks that the rows' padding stayed zero. */
static double max_diff(const struct emb_w2v *m, float ref0[][DIM], float ref1[][DIM], int n1, double *moved) {
    const struct emb_table *t0 = emb_w2v_vectors(m), *t1 = emb_w2v_output(m);
    double d = 0, mv = 0;
    for (int w = 0; w < N_WORDS; w++) {
        const float *row = emb_table_row(t0, w);
        for (int c = 0; c < t0->dim_padded; c++) {
            double x = c < DIM ? fabs((double)row[c] - ref0[w][c]) / fmax(1, fabs(ref0[w][c])) : fabs(row[c]);
            if (!(x <= d)) d = x;
            if (c < DIM && fabs((double)ref0[w][c] - init0(w, c)) > mv) mv = fabs((double)ref0[w][c] - init0(w, c));
        }
    }
    for (int w = 0; w < n1; w++) {
        const float *row = emb_table_row(t1, w);
        for (int c = 0; c < t1->dim_padded; c++) {
            double x = c < DIM ? fabs((double)row[c] - ref1[w][c]) / fmax(1, fabs(ref1[w][c])) : fabs(row[c]);
            if (!(x <= d)) d = x;
            if (c < DIM && fabs((double)ref1[w][c] - init1(w, c)) > mv) mv = fabs((double)ref1[w][c] - init1(w, c));
        }
    }
    *moved = mv;
    return d;
}

static const char *simd_name(enum emb_simd s) { return s == EMB_SIMD_REF ? "scalar" : "simd"; }

/* The trainer against word2vec.c: SG/CBOW x NS/HS, with the kernel given. */
static int test_word2vec_c(enum emb_w2v_kernel kernel) {
    const enum emb_simd simds[] = {EMB_SIMD_REF, EMB_SIMD_AUTO};
    const float alpha = 0.1f;
    int hit_clip_ns = 0, hit_clip_hs = 0;
    for (int cbow = 0; cbow < 2; cbow++)
        for (int hs = 0; hs < 2; hs++)
            for (int s = 0; s < 2; s++) {
                if (!cbow && !hs && kernel == EMB_W2V_KERNEL_BATCH) continue; /* test_batch */
                struct emb_w2v *m = NULL;
                CHECK(new_model(&m, cbow ? EMB_W2V_CBOW : EMB_W2V_SG, hs ? EMB_W2V_HS : EMB_W2V_NS, kernel, simds[s],
                                alpha) == 0);
                emb_w2v_train_sentence(m, 0, sentence, SEN_LEN, alpha);
                static struct ref r;
                ref_init(&r, cbow, hs, alpha);
                ref_sentence(&r, sentence, SEN_LEN);
                double moved, d = max_diff(m, r.syn0, r.syn1, r.n_out, &moved);
                printf("%s %s %s %-6s: max |emb - word2vec.c| = %.3g (weights moved up to %.3g; %d scores in the "
                       "table, %d above, %d below; closest to a table step %.3g)\n",
                       kernel == EMB_W2V_KERNEL_PLAIN ? "plain" : "batch", cbow ? "cbow" : "sg  ", hs ? "hs" : "ns",
                       simd_name(simds[s]), d, moved, r.n_table, r.n_clip_hi, r.n_clip_lo, r.min_margin);
                emb_w2v_free(m);
                CHECK(r.min_margin > 1e-3); /* the fixture is robust to summation order */
                CHECK(r.n_table > 10);
                CHECK(moved > 0.05); /* the updates are large against the tolerance */
                if (hs) hit_clip_hs |= r.n_clip_hi > 0 && r.n_clip_lo > 0;
                else hit_clip_ns |= r.n_clip_hi > 0 && r.n_clip_lo > 0;
                CHECK(d <= 1e-6);
            }
    CHECK(hit_clip_hs);
    CHECK(kernel == EMB_W2V_KERNEL_BATCH || hit_clip_ns);
    return 0;
}

static int test_plain(void) { return test_word2vec_c(EMB_W2V_KERNEL_PLAIN); }
static int test_default_kernel(void) { return test_word2vec_c(EMB_W2V_KERNEL_BATCH); }

/* SG+NS with the batch kernel against its matrix step in double. */
static int test_batch(void) {
    const enum emb_simd simds[] = {EMB_SIMD_REF, EMB_SIMD_AUTO};
    const float alpha = 0.1f;
    for (int s = 0; s < 2; s++) {
        struct emb_w2v *m = NULL;
        CHECK(new_model(&m, EMB_W2V_SG, EMB_W2V_NS, EMB_W2V_KERNEL_BATCH, simds[s], alpha) == 0);
        emb_w2v_train_sentence(m, 0, sentence, SEN_LEN, alpha);
        static struct ref r;
        ref_init(&r, 0, 0, alpha);
        static double s0[N_WORDS][DIM], s1[N_WORDS][DIM];
        static float f0[N_WORDS][DIM], f1[N_WORDS][DIM];
        for (int w = 0; w < N_WORDS; w++)
            for (int c = 0; c < DIM; c++) s0[w][c] = r.syn0[w][c], s1[w][c] = r.syn1[w][c];
        ref_batch_sentence(&r, s0, s1, sentence, SEN_LEN);
        for (int w = 0; w < N_WORDS; w++)
            for (int c = 0; c < DIM; c++) f0[w][c] = (float)s0[w][c], f1[w][c] = (float)s1[w][c];
        double moved, d = max_diff(m, f0, f1, N_WORDS, &moved);
        printf("batch sg   ns %-6s: max |emb - matrix step| = %.3g (weights moved up to %.3g; %d scores in the "
               "table, %d above, %d below; closest to a table step %.3g)\n",
               simd_name(simds[s]), d, moved, r.n_table, r.n_clip_hi, r.n_clip_lo, r.min_margin);
        emb_w2v_free(m);
        CHECK(r.min_margin > 1e-3);
        CHECK(r.n_table > 10);
        CHECK(r.n_clip_hi > 0 && r.n_clip_lo > 0);
        CHECK(moved > 0.05);
        CHECK(d <= 1e-6);
    }
    return 0;
}

int main(void) {
    int failed = 0;
    if (setup() != 0) return 1;
    RUN(test_plain);
    RUN(test_default_kernel);
    RUN(test_batch);
    emb_alias_free(alias);
    emb_huffman_free(huff);
    emb_vocab_free(vocab);
    return failed ? 1 : 0;
}
