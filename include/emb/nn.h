/* nn.h -- a small neural-network layer kit: plain float arrays and explicit
 * forward/backward pairs, in the style of llm.c. No autograd, no tensors.
 *
 * Conventions, for every layer:
 *   - arrays are row-major and contiguous; a batch of B rows of C floats is
 *     B*C floats; sequences are time-major (T, B, C) as in PyTorch's RNNs;
 *   - forward writes its outputs (and any cache the backward needs);
 *   - backward ADDS into the gradients it is given (dx, dw, db...), so the
 *     caller zeroes them once per step and layers that share an input sum
 *     their contributions; any gradient pointer may be NULL to skip it;
 *   - weights have PyTorch's shapes (linear: out x in), so weights load from
 *     PyTorch state dicts without transposes.
 *
 *     float y[B * OUT];
 *     emb_nn_linear_forward(y, x, w, b, B, IN, OUT);
 *     ... loss, dy ...
 *     emb_nn_linear_backward(dx, dw, db, dy, x, w, B, IN, OUT);
 *
 * Dense products go through CBLAS (OpenBLAS by default; BLIS or MKL can be
 * linked instead). Every layer and loss is checked against central finite
 * differences (nn_test.c) and against PyTorch where it is installed
 * (nnref_test.c with tests/nn_torch_ref.py). */
#ifndef EMB_NN_H
#define EMB_NN_H

#include <stdint.h>

#include "emb/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear ---------------------------------------------------------------
 * y (B x out) = x (B x in) w^T + b; w is (out x in), b (out) may be NULL. */
void emb_nn_linear_forward(float *y, const float *x, const float *w, const float *b, int64_t B, int64_t in,
                           int64_t out);
void emb_nn_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                            int64_t B, int64_t in, int64_t out);

/* ---- embedding lookup -----------------------------------------------------
 * y (n x dim) = rows ids[0..n) of table. The backward adds dy's rows into
 * the rows ids of dtable (a dense gradient touched only on those rows);
 * emb_nn_unique_rows lists the distinct rows for sparse/lazy optimisers. */
void emb_nn_embed_forward(float *y, const float *table, const int32_t *ids, int64_t n, int64_t dim);
void emb_nn_embed_backward(float *dtable, const float *dy, const int32_t *ids, int64_t n, int64_t dim);
/* Sorted distinct values of ids[0..n) into rows (room for n); returns the count. */
int64_t emb_nn_unique_rows(int32_t *rows, const int32_t *ids, int64_t n);

/* ---- elementwise activations ----------------------------------------------
 * ReLU and GELU (the exact erf form, PyTorch's default) differentiate from
 * their input x; tanh and sigmoid from their output y. */
void emb_nn_relu_forward(float *y, const float *x, int64_t n);
void emb_nn_relu_backward(float *dx, const float *dy, const float *x, int64_t n);
void emb_nn_gelu_forward(float *y, const float *x, int64_t n);
void emb_nn_gelu_backward(float *dx, const float *dy, const float *x, int64_t n);
void emb_nn_tanh_forward(float *y, const float *x, int64_t n);
void emb_nn_tanh_backward(float *dx, const float *dy, const float *y, int64_t n);
void emb_nn_sigmoid_forward(float *y, const float *x, int64_t n);
void emb_nn_sigmoid_backward(float *dx, const float *dy, const float *y, int64_t n);

/* ---- dropout (training only) ----------------------------------------------
 * Inverted dropout: each element is kept with probability 1 - p and scaled
 * by 1 / (1 - p); mask (n) receives that factor (0 or 1 / (1 - p)) for the
 * backward. At inference call nothing (the layer is the identity). */
void emb_nn_dropout_forward(float *y, float *mask, const float *x, int64_t n, float p, struct emb_rng *rng);
void emb_nn_dropout_backward(float *dx, const float *dy, const float *mask, int64_t n);

/* ---- layer norm -------------------------------------------------------------
 * Over the last dimension C of B rows: y = (x - mean) * rstd * w + b, with
 * rstd = 1 / sqrt(var + eps) (biased variance, as PyTorch). mean, rstd (B)
 * are the cache for the backward; w, b (C) may be NULL (no affine). */
void emb_nn_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                              int64_t B, int64_t C, float eps);
void emb_nn_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                               const float *mean, const float *rstd, int64_t B, int64_t C);

/* ---- L2 normalisation -------------------------------------------------------
 * y = x / max(||x||, eps) per row; norm (B) is the cache. */
void emb_nn_l2norm_forward(float *y, float *norm, const float *x, int64_t B, int64_t C, float eps);
void emb_nn_l2norm_backward(float *dx, const float *dy, const float *y, const float *norm, int64_t B, int64_t C,
                            float eps);

/* ---- pooling over a sequence ------------------------------------------------
 * x is (T, B, C), time-major; len (B) gives each sequence's length (<= T), or
 * NULL for all T. Steps at or past a sequence's length are ignored and get no
 * gradient. y is (B, C).
 *   mean:      y = mean over the steps;
 *   max:       y = max over the steps; arg (B x C) caches the winning step;
 *   attention: a = softmax_t(x_t . v), y = sum_t a_t x_t, with v (C) learned;
 *              att (T x B) caches a. */
void emb_nn_meanpool_forward(float *y, const float *x, const int32_t *len, int64_t T, int64_t B, int64_t C);
void emb_nn_meanpool_backward(float *dx, const float *dy, const int32_t *len, int64_t T, int64_t B, int64_t C);
void emb_nn_maxpool_forward(float *y, int32_t *arg, const float *x, const int32_t *len, int64_t T, int64_t B,
                            int64_t C);
void emb_nn_maxpool_backward(float *dx, const float *dy, const int32_t *arg, int64_t B, int64_t C);
void emb_nn_attnpool_forward(float *y, float *att, const float *x, const float *v, const int32_t *len, int64_t T,
                             int64_t B, int64_t C);
void emb_nn_attnpool_backward(float *dx, float *dv, const float *dy, const float *x, const float *v,
                              const float *y, const float *att, const int32_t *len, int64_t T, int64_t B,
                              int64_t C);

/* ---- recurrent layers -----------------------------------------------------
 * One layer, unrolled over a (T, B, in) time-major sequence, with PyTorch's
 * parameter shapes and gate order (LSTM: i, f, g, o; GRU: r, z, n):
 *   w_ih (G*H x in), w_hh (G*H x H), b_ih, b_hh (G*H), G = 4 (LSTM) or 3 (GRU).
 * The initial state is zero, or h0/c0 (B x H) when given. The cache holds
 * what backpropagation through time needs; emb_nn_rnn_cache_floats says how
 * many floats it takes, and the caller provides it. Outputs: h (T, B, H),
 * every step's hidden state (the last one is h + (T-1)*B*H).
 * The backward takes dh (T, B, H), the loss gradient on every output step
 * (zero where unused), and adds into the parameter gradients and dx
 * (T, B, in), dh0/dc0 (B x H) where not NULL. */
struct emb_nn_rnn {
    int64_t in, H;
    int gates;            /* 4 LSTM, 3 GRU */
    float *w_ih, *w_hh;   /* parameters */
    float *b_ih, *b_hh;
};
int64_t emb_nn_rnn_cache_floats(const struct emb_nn_rnn *l, int64_t T, int64_t B);
void emb_nn_lstm_forward(float *h, float *cache, const struct emb_nn_rnn *l, const float *x, const float *h0,
                         const float *c0, int64_t T, int64_t B);
void emb_nn_lstm_backward(float *dx, struct emb_nn_rnn *grad, float *dh0, float *dc0, const float *dh,
                          float *cache, const struct emb_nn_rnn *l, const float *x, int64_t T, int64_t B);
void emb_nn_gru_forward(float *h, float *cache, const struct emb_nn_rnn *l, const float *x, const float *h0,
                        int64_t T, int64_t B);
void emb_nn_gru_backward(float *dx, struct emb_nn_rnn *grad, float *dh0, const float *dh, float *cache,
                         const struct emb_nn_rnn *l, const float *x, int64_t T, int64_t B);

/* ---- multi-head self-attention (forward) -----------------------------------
 * x (B, T, C), batch-major as in BERT; w_qkv (3C x C) and b_qkv (3C) give the
 * query, key and value projections (PyTorch's in_proj layout), w_o (C x C)
 * and b_o (C) the output projection. len (B) masks keys past each sequence's
 * length (NULL: none). scratch needs emb_nn_mhsa_scratch_floats floats. */
int64_t emb_nn_mhsa_scratch_floats(int64_t B, int64_t T, int64_t C);
void emb_nn_mhsa_forward(float *y, float *scratch, const float *x, const float *w_qkv, const float *b_qkv,
                         const float *w_o, const float *b_o, const int32_t *len, int64_t B, int64_t T, int64_t C,
                         int n_heads);

/* ---- losses -----------------------------------------------------------------
 * Each returns the loss and writes its gradient with respect to the scores
 * (overwriting, not adding; NULL to skip), reduced as stated. */

/* Softmax cross-entropy over V classes, mean over B rows. A row whose target
 * is negative is ignored (weight 0; the mean is over the others). */
double emb_nn_loss_softmax_ce(float *dlogits, const float *logits, const int32_t *target, int64_t B, int64_t V);
/* Binary logistic (sigmoid cross-entropy), labels in [0, 1], mean over n. */
double emb_nn_loss_logistic(float *dz, const float *z, const float *label, int64_t n);
/* Negative sampling: for each of n rows, -log s(pos) - sum_k log s(-neg_k),
 * with neg (n x k); mean over rows. Sampled softmax is softmax_ce over the
 * (n x (1+k)) scores with target 0. */
double emb_nn_loss_negsampling(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n, int64_t k);
/* BPR: -log s(pos - neg), mean over n. */
double emb_nn_loss_bpr(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n);
/* Margin ranking: max(0, margin - pos + neg), mean over n. */
double emb_nn_loss_margin(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n, float margin);
/* VSE++'s max of hinges over a (B x B) similarity matrix s whose diagonal
 * holds the matching pairs (rows: images, columns: captions): for each i,
 * max_j!=i [m + s_ij - s_ii]_+  +  max_j!=i [m + s_ji - s_ii]_+, summed
 * over i (the paper's sum). With hardest = 0 the hinges are summed over all
 * j instead (VSE0). */
double emb_nn_loss_vse(float *ds, const float *s, int64_t B, float margin, int hardest);
/* Mean squared error, mean over n. */
double emb_nn_loss_mse(float *dy, const float *y, const float *target, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
