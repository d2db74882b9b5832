/* nn_test.c -- every layer and loss of the nn kit against central finite
 * differences, and the optimisers against their textbook updates.
 *
 * A layer's scalar test loss is L = sum(R * out) with a fixed random R, so
 * dL/dout = R is what its backward receives; each parameter and input
 * element (all of them, or a fixed sample on big arrays) is nudged by +-h
 * and (L+ - L-) / 2h, summed in double, must match the analytic gradient to
 * 2e-3 absolute + 2e-2 relative (float forward passes). A wrong sign, a
 * missing term or a wrong scale is far outside that. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/nn.h"
#include "emb/optim.h"
#include "emb/rng.h"
#include "test.h"

static struct emb_rng rng;

static float *randv(int64_t n, float scale) {
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = (2.0f * emb_rng_uniform(&rng) - 1.0f) * scale;
    return v;
}

static float *zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

/* The layer under test: fills out from the current inputs. */
typedef void (*fwd_fn)(void *ctx, float *out);

static double dotR(const float *R, const float *out, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)R[i] * out[i];
    return s;
}

/* Compare grad (n) with finite differences of L = R . fwd() over x (n). */
static int fd_check(const char *what, fwd_fn f, void *ctx, float *x, const float *grad, int64_t n, const float *R,
                    int64_t n_out, float h) {
    float *out = zeros(n_out);
    int64_t stride = n > 97 ? n / 97 : 1, bad = 0;
    for (int64_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + h;
        f(ctx, out);
        double lp = dotR(R, out, n_out);
        x[i] = keep - h;
        f(ctx, out);
        double lm = dotR(R, out, n_out);
        x[i] = keep;
        double num = (lp - lm) / (2.0 * h), ana = grad[i];
        if (!(fabs(num - ana) <= 2e-3 + 2e-2 * fabs(num))) {
            if (bad++ < 3) fprintf(stderr, "%s[%lld]: analytic %.6g, numeric %.6g\n", what, (long long)i, ana, num);
        }
    }
    free(out);
    return bad != 0;
}

/* ---- linear ------------------------------------------------------------- */
struct lin {
    int64_t B, in, out;
    float *x, *w, *b;
};
static void lin_fwd(void *c, float *y) {
    struct lin *l = c;
    emb_nn_linear_forward(y, l->x, l->w, l->b, l->B, l->in, l->out);
}

static int test_linear(void) {
    struct lin l = {5, 7, 3, 0, 0, 0};
    l.x = randv(l.B * l.in, 1), l.w = randv(l.out * l.in, 1), l.b = randv(l.out, 1);
    float *R = randv(l.B * l.out, 1), *dx = zeros(l.B * l.in), *dw = zeros(l.out * l.in), *db = zeros(l.out);
    /* against a plain triple loop first */
    float *y = zeros(l.B * l.out);
    lin_fwd(&l, y);
    for (int64_t i = 0; i < l.B; i++)
        for (int64_t o = 0; o < l.out; o++) {
            double s = l.b[o];
            for (int64_t k = 0; k < l.in; k++) s += (double)l.x[i * l.in + k] * l.w[o * l.in + k];
            CHECK_NEAR(y[i * l.out + o], s, 1e-5);
        }
    emb_nn_linear_backward(dx, dw, db, R, l.x, l.w, l.B, l.in, l.out);
    int bad = fd_check("linear dx", lin_fwd, &l, l.x, dx, l.B * l.in, R, l.B * l.out, 1e-2f) +
              fd_check("linear dw", lin_fwd, &l, l.w, dw, l.out * l.in, R, l.B * l.out, 1e-2f) +
              fd_check("linear db", lin_fwd, &l, l.b, db, l.out, R, l.B * l.out, 1e-2f);
    /* accumulation: a second backward doubles the gradients */
    float before = dw[3];
    emb_nn_linear_backward(NULL, dw, NULL, R, l.x, l.w, l.B, l.in, l.out);
    CHECK_NEAR(dw[3], 2 * before, 1e-5);
    free(l.x), free(l.w), free(l.b), free(R), free(dx), free(dw), free(db), free(y);
    return bad;
}

/* ---- embedding ------------------------------------------------------------ */
static int test_embed(void) {
    const int64_t V = 6, D = 4, n = 5;
    const int32_t ids[5] = {3, 1, 3, 5, 0};
    float *table = randv(V * D, 1), *y = zeros(n * D), *R = randv(n * D, 1), *dt = zeros(V * D);
    emb_nn_embed_forward(y, table, ids, n, D);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < D; k++) CHECK(y[i * D + k] == table[ids[i] * D + k]);
    emb_nn_embed_backward(dt, R, ids, n, D);
    for (int64_t k = 0; k < D; k++) {
        CHECK_NEAR(dt[3 * D + k], R[0 * D + k] + R[2 * D + k], 1e-6); /* row 3 used twice */
        CHECK(dt[2 * D + k] == 0 && dt[4 * D + k] == 0);               /* untouched rows */
    }
    int32_t rows[5];
    CHECK(emb_nn_unique_rows(rows, ids, n) == 4);
    CHECK(rows[0] == 0 && rows[1] == 1 && rows[2] == 3 && rows[3] == 5);
    free(table), free(y), free(R), free(dt);
    return 0;
}

/* ---- activations -------------------------------------------------------- */
struct act {
    int kind;
    int64_t n;
    float *x;
};
static void act_fwd(void *c, float *y) {
    struct act *a = c;
    switch (a->kind) {
    case 0: emb_nn_relu_forward(y, a->x, a->n); break;
    case 1: emb_nn_gelu_forward(y, a->x, a->n); break;
    case 2: emb_nn_tanh_forward(y, a->x, a->n); break;
    default: emb_nn_sigmoid_forward(y, a->x, a->n); break;
    }
}

static int test_activations(void) {
    static const char *names[] = {"relu", "gelu", "tanh", "sigmoid"};
    int bad = 0;
    for (int kind = 0; kind < 4; kind++) {
        struct act a = {kind, 40, randv(40, 3)};
        for (int64_t i = 0; i < a.n; i++)
            if (fabsf(a.x[i]) < 0.05f) a.x[i] += 0.1f; /* away from ReLU's kink */
        float *y = zeros(a.n), *R = randv(a.n, 1), *dx = zeros(a.n);
        act_fwd(&a, y);
        switch (kind) {
        case 0: emb_nn_relu_backward(dx, R, a.x, a.n); break;
        case 1: emb_nn_gelu_backward(dx, R, a.x, a.n); break;
        case 2: emb_nn_tanh_backward(dx, R, y, a.n); break;
        default: emb_nn_sigmoid_backward(dx, R, y, a.n); break;
        }
        bad += fd_check(names[kind], act_fwd, &a, a.x, dx, a.n, R, a.n, 1e-3f);
        free(a.x), free(y), free(R), free(dx);
    }
    /* GELU's values: x Phi(x) at known points; sigmoid saturates without NaN */
    float x[3] = {1.0f, -1.0f, 0.0f}, y[3];
    emb_nn_gelu_forward(y, x, 3);
    CHECK_NEAR(y[0], 0.8413447, 1e-6);
    CHECK_NEAR(y[1], -0.1586553, 1e-6);
    CHECK(y[2] == 0);
    float big[2] = {-1000.0f, 1000.0f}, s[2];
    emb_nn_sigmoid_forward(s, big, 2);
    CHECK(s[0] == 0.0f && s[1] == 1.0f);
    return bad;
}

static int test_dropout(void) {
    const int64_t n = 100000;
    float *x = randv(n, 1), *y = zeros(n), *mask = zeros(n), *dx = zeros(n), *dy = randv(n, 1);
    emb_nn_dropout_forward(y, mask, x, n, 0.25f, &rng);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        CHECK(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / 0.75f) < 1e-6f);
        CHECK(y[i] == x[i] * mask[i]);
        kept += mask[i] != 0;
    }
    /* 75000 expected, sd about 137: 6 sd either side */
    CHECK(kept > 74170 && kept < 75830);
    emb_nn_dropout_backward(dx, dy, mask, n);
    for (int64_t i = 0; i < n; i += 97) CHECK(dx[i] == dy[i] * mask[i]);
    free(x), free(y), free(mask), free(dx), free(dy);
    return 0;
}

/* ---- layer norm, L2 norm ---------------------------------------------------- */
struct ln {
    int64_t B, C;
    float *x, *w, *b, *mean, *rstd;
};
static void ln_fwd(void *c, float *y) {
    struct ln *l = c;
    emb_nn_layernorm_forward(y, l->mean, l->rstd, l->x, l->w, l->b, l->B, l->C, 1e-5f);
}

static int test_layernorm(void) {
    struct ln l = {4, 9, randv(36, 2), randv(9, 1), randv(9, 1), zeros(4), zeros(4)};
    float *y = zeros(36), *R = randv(36, 1), *dx = zeros(36), *dw = zeros(9), *db = zeros(9);
    ln_fwd(&l, y);
    /* each row of the normalised part has mean 0 and variance 1 */
    for (int64_t i = 0; i < l.B; i++) {
        double m = 0, v = 0;
        for (int64_t c = 0; c < l.C; c++) m += (y[i * 9 + c] - l.b[c]) / l.w[c];
        for (int64_t c = 0; c < l.C; c++) v += pow((y[i * 9 + c] - l.b[c]) / l.w[c], 2);
        CHECK_NEAR(m / 9, 0, 1e-4);
        CHECK_NEAR(v / 9, 1, 1e-3);
    }
    emb_nn_layernorm_backward(dx, dw, db, R, l.x, l.w, l.mean, l.rstd, l.B, l.C);
    int bad = fd_check("layernorm dx", ln_fwd, &l, l.x, dx, 36, R, 36, 1e-2f) +
              fd_check("layernorm dw", ln_fwd, &l, l.w, dw, 9, R, 36, 1e-2f) +
              fd_check("layernorm db", ln_fwd, &l, l.b, db, 9, R, 36, 1e-2f);
    free(l.x), free(l.w), free(l.b), free(l.mean), free(l.rstd), free(y), free(R), free(dx), free(dw), free(db);
    return bad;
}

struct l2 {
    int64_t B, C;
    float *x, *norm;
};
static void l2_fwd(void *c, float *y) {
    struct l2 *l = c;
    emb_nn_l2norm_forward(y, l->norm, l->x, l->B, l->C, 1e-12f);
}

static int test_l2norm(void) {
    struct l2 l = {3, 6, randv(18, 1), zeros(3)};
    float *y = zeros(18), *R = randv(18, 1), *dx = zeros(18);
    l2_fwd(&l, y);
    for (int64_t i = 0; i < 3; i++) {
        double s = 0;
        for (int64_t c = 0; c < 6; c++) s += y[i * 6 + c] * y[i * 6 + c];
        CHECK_NEAR(s, 1, 1e-6);
    }
    emb_nn_l2norm_backward(dx, R, y, l.norm, 3, 6, 1e-12f);
    int bad = fd_check("l2norm dx", l2_fwd, &l, l.x, dx, 18, R, 18, 1e-3f);
    free(l.x), free(l.norm), free(y), free(R), free(dx);
    return bad;
}

/* ---- pooling -------------------------------------------------------------- */
struct pool {
    int kind;
    int64_t T, B, C;
    const int32_t *len;
    float *x, *v, *att;
    int32_t *arg;
};
static void pool_fwd(void *c, float *y) {
    struct pool *p = c;
    if (p->kind == 0) emb_nn_meanpool_forward(y, p->x, p->len, p->T, p->B, p->C);
    else if (p->kind == 1) emb_nn_maxpool_forward(y, p->arg, p->x, p->len, p->T, p->B, p->C);
    else emb_nn_attnpool_forward(y, p->att, p->x, p->v, p->len, p->T, p->B, p->C);
}

static int test_pooling(void) {
    static const int32_t len[3] = {5, 2, 4};
    int bad = 0;
    for (int kind = 0; kind < 3; kind++) {
        struct pool p = {kind, 5, 3, 4, len, randv(60, 1), randv(4, 1), zeros(15), calloc(12, sizeof(int32_t))};
        float *y = zeros(12), *R = randv(12, 1), *dx = zeros(60), *dv = zeros(4);
        pool_fwd(&p, y);
        if (kind == 0) emb_nn_meanpool_backward(dx, R, len, 5, 3, 4);
        else if (kind == 1) emb_nn_maxpool_backward(dx, R, p.arg, 3, 4);
        else emb_nn_attnpool_backward(dx, dv, R, p.x, p.v, y, p.att, len, 5, 3, 4);
        const char *nm = kind == 0 ? "meanpool dx" : kind == 1 ? "maxpool dx" : "attnpool dx";
        bad += fd_check(nm, pool_fwd, &p, p.x, dx, 60, R, 12, 1e-3f);
        if (kind == 2) bad += fd_check("attnpool dv", pool_fwd, &p, p.v, dv, 4, R, 12, 1e-3f);
        /* steps past a sequence's length get nothing */
        for (int64_t t = 2; t < 5; t++)
            for (int64_t c = 0; c < 4; c++) CHECK(dx[(t * 3 + 1) * 4 + c] == 0);
        free(p.x), free(p.v), free(p.att), free(p.arg), free(y), free(R), free(dx), free(dv);
    }
    return bad;
}

/* ---- LSTM and GRU ------------------------------------------------------------ */
struct rnn {
    struct emb_nn_rnn l;
    int64_t T, B;
    float *x, *h0, *c0, *cache;
};
static void rnn_fwd(void *c, float *h) {
    struct rnn *r = c;
    if (r->l.gates == 4) emb_nn_lstm_forward(h, r->cache, &r->l, r->x, r->h0, r->c0, r->T, r->B);
    else emb_nn_gru_forward(h, r->cache, &r->l, r->x, r->h0, r->T, r->B);
}

static int test_rnn(int gates) {
    const int64_t T = 6, B = 2, in = 3, H = 4, G = gates;
    struct rnn r = {{in, H, gates, randv(G * H * in, 0.5f), randv(G * H * H, 0.5f), randv(G * H, 0.5f),
                     randv(G * H, 0.5f)},
                    T, B, randv(T * B * in, 1), randv(B * H, 0.5f), randv(B * H, 0.5f), NULL};
    r.cache = zeros(emb_nn_rnn_cache_floats(&r.l, T, B));
    struct emb_nn_rnn g = {in, H, gates, zeros(G * H * in), zeros(G * H * H), zeros(G * H), zeros(G * H)};
    float *h = zeros(T * B * H), *R = randv(T * B * H, 1), *dx = zeros(T * B * in), *dh0 = zeros(B * H),
          *dc0 = zeros(B * H);
    rnn_fwd(&r, h);
    if (gates == 4) emb_nn_lstm_backward(dx, &g, dh0, dc0, R, r.cache, &r.l, r.x, T, B);
    else emb_nn_gru_backward(dx, &g, dh0, R, r.cache, &r.l, r.x, T, B);
    const char *nm = gates == 4 ? "lstm" : "gru";
    char s[64];
    int bad = 0;
#define FD(arr, grad, n)                                                    \
    snprintf(s, sizeof s, "%s %s", nm, #arr);                               \
    bad += fd_check(s, rnn_fwd, &r, arr, grad, n, R, T * B * H, 1e-2f);
    FD(r.x, dx, T * B * in)
    FD(r.l.w_ih, g.w_ih, G * H * in)
    FD(r.l.w_hh, g.w_hh, G * H * H)
    FD(r.l.b_ih, g.b_ih, G * H)
    FD(r.l.b_hh, g.b_hh, G * H)
    FD(r.h0, dh0, B * H)
    if (gates == 4) { FD(r.c0, dc0, B * H) }
#undef FD
    free(r.l.w_ih), free(r.l.w_hh), free(r.l.b_ih), free(r.l.b_hh), free(r.x), free(r.h0), free(r.c0);
    free(r.cache), free(g.w_ih), free(g.w_hh), free(g.b_ih), free(g.b_hh), free(h), free(R), free(dx), free(dh0);
    free(dc0);
    return bad;
}
static int test_lstm(void) { return test_rnn(4); }
static int test_gru(void) { return test_rnn(3); }

/* ---- attention: against a direct double-precision transcription ------------ */
static int test_mhsa(void) {
    const int64_t B = 2, T = 5, C = 8;
    const int nh = 2, hd = 4;
    static const int32_t len[2] = {5, 3};
    float *x = randv(B * T * C, 1), *wq = randv(3 * C * C, 0.5f), *bq = randv(3 * C, 0.5f), *wo = randv(C * C, 0.5f),
          *bo = randv(C, 0.5f), *y = zeros(B * T * C), *sc = zeros(emb_nn_mhsa_scratch_floats(B, T, C));
    emb_nn_mhsa_forward(y, sc, x, wq, bq, wo, bo, len, B, T, C, nh);
    double qkv[2][5][24], ctx[8], p[5];
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++)
            for (int64_t o = 0; o < 3 * C; o++) {
                double s = bq[o];
                for (int64_t k = 0; k < C; k++) s += (double)x[(b * T + t) * C + k] * wq[o * C + k];
                qkv[b][t][o] = s;
            }
        for (int64_t t = 0; t < T; t++) {
            for (int h = 0; h < nh; h++) {
                double mx = -1e300, sum = 0;
                for (int64_t j = 0; j < len[b]; j++) {
                    double s = 0;
                    for (int k = 0; k < hd; k++) s += qkv[b][t][h * hd + k] * qkv[b][j][C + h * hd + k];
                    p[j] = s / 2.0; /* sqrt(hd) */
                    mx = p[j] > mx ? p[j] : mx;
                }
                for (int64_t j = 0; j < len[b]; j++) sum += p[j] = exp(p[j] - mx);
                for (int k = 0; k < hd; k++) {
                    double s = 0;
                    for (int64_t j = 0; j < len[b]; j++) s += p[j] / sum * qkv[b][j][2 * C + h * hd + k];
                    ctx[h * hd + k] = s;
                }
            }
            for (int64_t o = 0; o < C; o++) {
                double s = bo[o];
                for (int64_t k = 0; k < C; k++) s += ctx[k] * wo[o * C + k];
                CHECK_NEAR(y[(b * T + t) * C + o], s, 1e-4);
            }
        }
    }
    free(x), free(wq), free(bq), free(wo), free(bo), free(y), free(sc);
    return 0;
}

/* ---- losses ----------------------------------------------------------------- */
struct lossc {
    int kind;
    int64_t n, k;
    float *a, *b;
    int32_t *t;
};
/* The loss value as a 1-element output, so fd_check with R = {1} applies. */
static double loss_eval(struct lossc *l, float *da, float *db) {
    switch (l->kind) {
    case 0: return emb_nn_loss_softmax_ce(da, l->a, l->t, l->n, l->k);
    case 1: return emb_nn_loss_logistic(da, l->a, l->b, l->n);
    case 2: return emb_nn_loss_negsampling(da, db, l->a, l->b, l->n, l->k);
    case 3: return emb_nn_loss_bpr(da, db, l->a, l->b, l->n);
    case 4: return emb_nn_loss_margin(da, db, l->a, l->b, l->n, 0.5f);
    case 5: return emb_nn_loss_vse(da, l->a, l->n, 0.2f, 1);
    case 6: return emb_nn_loss_vse(da, l->a, l->n, 0.2f, 0);
    default: return emb_nn_loss_mse(da, l->a, l->b, l->n);
    }
}
static void loss_fwd(void *c, float *out) { out[0] = (float)loss_eval(c, NULL, NULL); }

static int test_losses(void) {
    static const char *names[] = {"softmax_ce", "logistic", "negsampling", "bpr", "margin", "vse_max", "vse_sum", "mse"};
    int32_t t[6] = {2, 0, -1, 4, 1, 3}; /* one ignored row */
    float one = 1;
    int bad = 0;
    for (int kind = 0; kind < 8; kind++) {
        struct lossc l = {kind, 6, 5, NULL, NULL, t};
        int64_t na = kind == 0 ? 30 : kind == 5 || kind == 6 ? 36 : 6, nb = kind == 2 ? 30 : 6;
        if (kind == 5 || kind == 6) l.n = 6;
        l.a = randv(na, 2), l.b = randv(nb, 2);
        if (kind == 1)
            for (int64_t i = 0; i < 6; i++) l.b[i] = i % 2 ? 1.0f : 0.25f;
        float *da = zeros(na), *db = zeros(nb);
        loss_eval(&l, da, db);
        char s[64];
        snprintf(s, sizeof s, "%s d(scores)", names[kind]);
        bad += fd_check(s, loss_fwd, &l, l.a, da, na, &one, 1, 1e-3f);
        if (kind >= 2 && kind <= 4) {
            snprintf(s, sizeof s, "%s d(neg)", names[kind]);
            bad += fd_check(s, loss_fwd, &l, l.b, db, nb, &one, 1, 1e-3f);
        }
        free(l.a), free(l.b), free(da), free(db);
    }
    /* values at hand-computed points */
    float z[3] = {1, 2, 3};
    int32_t tg = 2;
    CHECK_NEAR(emb_nn_loss_softmax_ce(NULL, z, &tg, 1, 3), log(exp(1) + exp(2) + exp(3)) - 3, 1e-6);
    float p = 2, q = 1;
    CHECK_NEAR(emb_nn_loss_bpr(NULL, NULL, &p, &q, 1), log1p(exp(-1.0)), 1e-7);
    CHECK_NEAR(emb_nn_loss_margin(NULL, NULL, &q, &p, 1, 0.5f), 1.5, 1e-7);
    float s4[4] = {0.9f, 0.8f, 0.1f, 0.5f}; /* 2x2: s11=.9 s12=.8 s21=.1 s22=.5 */
    /* i=0: caption hinge .2+.8-.9=.1, image hinge .2+.1-.9<0; i=1: .2+.1-.5<0, .2+.8-.5=.5 */
    CHECK_NEAR(emb_nn_loss_vse(NULL, s4, 2, 0.2f, 1), 0.6, 1e-6);
    float big = 1000;
    float lab = 1;
    CHECK_NEAR(emb_nn_loss_logistic(NULL, &big, &lab, 1), 0, 1e-9); /* no overflow */
    return bad;
}

/* ---- optimisers: two steps against the textbook formulas in double --------- */
static int test_optim(void) {
    for (int kind = 0; kind < 4; kind++) {
        float w[3] = {0.5f, -1.0f, 2.0f}, m[3] = {0}, v[3] = {0};
        double rw[3] = {0.5, -1.0, 2.0}, rm[3] = {0}, rv[3] = {0};
        const double g[2][3] = {{0.1, -0.2, 0.3}, {-0.4, 0.5, 0.05}};
        struct emb_optim o = kind == 0 ? emb_optim_sgd(0.1f, 0.9f)
                           : kind == 1 ? emb_optim_adagrad(0.1f)
                           : kind == 2 ? emb_optim_adam(0.01f)
                                       : emb_optim_adamw(0.01f, 0.1f);
        if (kind < 3) o.weight_decay = 0.01f;
        for (int s = 0; s < 2; s++) {
            float gf[3] = {(float)g[s][0], (float)g[s][1], (float)g[s][2]};
            struct emb_optim_param p = {w, gf, m, v, 3};
            emb_optim_step(&o, &p, 1);
            for (int i = 0; i < 3; i++) {
                double gi = g[s][i];
                if (kind == 0) {
                    gi += 0.01 * rw[i];
                    rm[i] = 0.9 * rm[i] + gi;
                    rw[i] -= 0.1 * rm[i];
                } else if (kind == 1) {
                    gi += 0.01 * rw[i];
                    rm[i] += gi * gi;
                    rw[i] -= 0.1 * gi / (sqrt(rm[i]) + 1e-10);
                } else {
                    if (kind == 3) rw[i] *= 1 - 0.01 * 0.1;
                    else gi += 0.01 * rw[i];
                    rm[i] = 0.9 * rm[i] + 0.1 * gi;
                    rv[i] = 0.999 * rv[i] + 0.001 * gi * gi;
                    double mh = rm[i] / (1 - pow(0.9, s + 1)), vh = rv[i] / (1 - pow(0.999, s + 1));
                    rw[i] -= 0.01 * mh / (sqrt(vh) + 1e-8);
                }
                CHECK_NEAR(w[i], rw[i], 1e-6);
            }
        }
    }
    /* lazy Adam: only the listed rows move; equals dense Adam on those rows */
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, g[8] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f}, m[8] = {0}, v[8] = {0};
    float wd[8], md[8] = {0}, vd[8] = {0};
    memcpy(wd, w, sizeof w);
    struct emb_optim o = emb_optim_adam(0.05f), od = emb_optim_adam(0.05f);
    struct emb_optim_param p = {w, g, m, v, 8}, pd = {wd, g, md, vd, 8};
    const int32_t rows[2] = {0, 2}; /* rows of 2 floats: 0 and 2 */
    emb_optim_tick(&o);
    emb_optim_step_rows(&o, &p, 2, rows, 2);
    emb_optim_step(&od, &pd, 1);
    for (int i = 0; i < 8; i++) {
        int touched = i / 2 == 0 || i / 2 == 2;
        if (touched) CHECK_NEAR(w[i], wd[i], 1e-7);
        else CHECK(w[i] == (float)(i + 1) && m[i] == 0 && v[i] == 0);
    }
    return 0;
}

/* One row at a time with a caller's step count (KGE's lazy updates): the
 * same as step_rows at that count; each SIMD level agrees with the scalar
 * loop. */
static int test_optim_row(void) {
    enum { N = 37 }; /* two full AVX-512 blocks and a masked tail */
    for (int kind = 0; kind < 2; kind++) {
        float w[3][N], g[N], m[3][N] = {{0}}, v[3][N] = {{0}};
        for (int i = 0; i < N; i++) {
            w[0][i] = w[1][i] = w[2][i] = (float)i / 10 - 1;
            g[i] = (float)((i * 7) % 11) / 5 - 1;
        }
        struct emb_optim o = kind ? emb_optim_adagrad(0.1f) : emb_optim_adam(0.1f);
        CHECK(o.simd == emb_simd_resolve(EMB_SIMD_AUTO));
        o.step = 5;
        struct emb_optim_bc bc = emb_optim_corrections(&o);
        CHECK(kind || fabsf(bc.bc1 - (float)(1 - pow(0.9, 5))) < 1e-7f);
        CHECK(!kind || (bc.bc1 == 1 && bc.bc2 == 1));
        struct emb_optim r = o;
        r.simd = EMB_SIMD_REF;
        for (int s = 0; s < 3; s++) {
            emb_optim_step_row(&o, bc, w[0], g, m[0], v[0], N);
            emb_optim_step_row(&r, bc, w[1], g, m[1], v[1], N);
            struct emb_optim_param p = {w[2], g, m[2], v[2], N};
            const int32_t row = 0;
            emb_optim_step_rows(&o, &p, N, &row, 1);
        }
        for (int i = 0; i < N; i++) {
            CHECK_NEAR(w[0][i], w[1][i], 1e-6);
            CHECK(w[0][i] == w[2][i] && m[0][i] == m[2][i]);
        }
    }
    return 0;
}

int main(void) {
    int failed = 0;
    emb_rng_seed(&rng, 20261206, 0);
    RUN(test_linear);
    RUN(test_embed);
    RUN(test_activations);
    RUN(test_dropout);
    RUN(test_layernorm);
    RUN(test_l2norm);
    RUN(test_pooling);
    RUN(test_lstm);
    RUN(test_gru);
    RUN(test_mhsa);
    RUN(test_losses);
    RUN(test_optim);
    RUN(test_optim_row);
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
