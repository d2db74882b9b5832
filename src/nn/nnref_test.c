/* nnref_test.c -- the nn kit against PyTorch (Debian's python3-torch).
 *
 * tests/nn_torch_ref.py writes inputs, parameters, upstream gradients and
 * PyTorch's outputs and gradients (computed in double) to a temporary
 * folder; this program runs the same layers and compares each output to
 * 1e-4 relative (plus 1e-5 absolute for values near zero). Without torch the
 * script exits 77 and so does this test (a skip). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/nn.h"
#include "test.h"

static char dir[64];

static float *load(const char *name, int64_t n) {
    char path[160];
    snprintf(path, sizeof path, "%s/%s.f32", dir, name);
    size_t got = 0;
    char *raw = test_read_all(path, &got);
    if (!raw || got != (size_t)n * sizeof(float)) {
        fprintf(stderr, "%s: expected %lld floats, found %zu bytes\n", path, (long long)n, got);
        exit(1);
    }
    float *v = malloc((size_t)n * sizeof *v);
    memcpy(v, raw, (size_t)n * sizeof *v);
    free(raw);
    return v;
}

static int same(const char *what, const float *got, const char *ref_name, int64_t n) {
    float *want = load(ref_name, n);
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= 1e-5f + 1e-4f * fabsf(want[i]))) {
            if (bad++ < 3)
                fprintf(stderr, "%s[%lld] = %.7g, PyTorch %.7g\n", what, (long long)i, got[i], want[i]);
        }
    free(want);
    return bad != 0;
}

static float *zeros(int64_t n) { return calloc((size_t)n, sizeof(float)); }

static int test_linear(void) {
    float *x = load("lin_x", 24), *w = load("lin_w", 30), *b = load("lin_b", 5), *dy = load("lin_dy", 20);
    float *y = zeros(20), *dx = zeros(24), *dw = zeros(30), *db = zeros(5);
    emb_nn_linear_forward(y, x, w, b, 4, 6, 5);
    emb_nn_linear_backward(dx, dw, db, dy, x, w, 4, 6, 5);
    int bad = same("linear y", y, "lin_y", 20) + same("linear dx", dx, "lin_dx", 24) +
              same("linear dw", dw, "lin_dw", 30) + same("linear db", db, "lin_db", 5);
    free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db);
    return bad;
}

static int test_layernorm(void) {
    float *x = load("ln_x", 21), *w = load("ln_w", 7), *b = load("ln_b", 7), *dy = load("ln_dy", 21);
    float *y = zeros(21), *m = zeros(3), *r = zeros(3), *dx = zeros(21), *dw = zeros(7), *db = zeros(7);
    emb_nn_layernorm_forward(y, m, r, x, w, b, 3, 7, 1e-5f);
    emb_nn_layernorm_backward(dx, dw, db, dy, x, w, m, r, 3, 7);
    int bad = same("layernorm y", y, "ln_y", 21) + same("layernorm dx", dx, "ln_dx", 21) +
              same("layernorm dw", dw, "ln_dw", 7) + same("layernorm db", db, "ln_db", 7);
    free(x), free(w), free(b), free(dy), free(y), free(m), free(r), free(dx), free(dw), free(db);
    return bad;
}

/* load("<kind>_<name>") */
static float *loadk(const char *k, const char *name, int64_t cnt) {
    char n[64];
    snprintf(n, sizeof n, "%s_%s", k, name);
    return load(n, cnt);
}

static int test_rnn(const char *k, int gates) {
    const int64_t T = 5, B = 3, in = 4, H = 6, GH = gates * H;
    char n[64];
#define L(name, cnt) loadk(k, name, cnt)
    struct emb_nn_rnn l = {in, H, gates, L("weight_ih_l0", GH * in), L("weight_hh_l0", GH * H),
                           L("bias_ih_l0", GH), L("bias_hh_l0", GH)};
    struct emb_nn_rnn g = {in, H, gates, zeros(GH * in), zeros(GH * H), zeros(GH), zeros(GH)};
    float *x = L("x", T * B * in), *h0 = L("h0", B * H), *dy = L("dy", T * B * H);
    float *c0 = gates == 4 ? L("c0", B * H) : NULL;
    float *cache = zeros(emb_nn_rnn_cache_floats(&l, T, B)), *y = zeros(T * B * H), *dx = zeros(T * B * in),
          *dh0 = zeros(B * H), *dc0 = zeros(B * H);
    if (gates == 4) {
        emb_nn_lstm_forward(y, cache, &l, x, h0, c0, T, B);
        emb_nn_lstm_backward(dx, &g, dh0, dc0, dy, cache, &l, x, T, B);
    } else {
        emb_nn_gru_forward(y, cache, &l, x, h0, T, B);
        emb_nn_gru_backward(dx, &g, dh0, dy, cache, &l, x, T, B);
    }
    /* one comparison per statement: they share the name buffer n */
    int bad = 0;
#define S(what, arr, cnt) snprintf(n, sizeof n, "%s_%s", k, what), bad += same(n, arr, n, cnt)
    S("y", y, T * B * H);
    S("dx", dx, T * B * in);
    S("dh0", dh0, B * H);
    S("dweight_ih_l0", g.w_ih, GH * in);
    S("dweight_hh_l0", g.w_hh, GH * H);
    S("dbias_ih_l0", g.b_ih, GH);
    S("dbias_hh_l0", g.b_hh, GH);
    if (gates == 4) S("dc0", dc0, B * H);
#undef S
#undef L
    free(l.w_ih), free(l.w_hh), free(l.b_ih), free(l.b_hh), free(g.w_ih), free(g.w_hh), free(g.b_ih), free(g.b_hh);
    free(x), free(h0), free(dy), free(c0), free(cache), free(y), free(dx), free(dh0), free(dc0);
    return bad;
}
static int test_lstm(void) { return test_rnn("lstm", 4); }
static int test_gru(void) { return test_rnn("gru", 3); }

static int test_mhsa(void) {
    const int64_t B = 2, T = 5, C = 8;
    static const int32_t len[2] = {5, 3};
    float *x = load("mha_x", B * T * C), *wq = load("mha_wqkv", 3 * C * C), *bq = load("mha_bqkv", 3 * C),
          *wo = load("mha_wo", C * C), *bo = load("mha_bo", C), *y = zeros(B * T * C),
          *sc = zeros(emb_nn_mhsa_scratch_floats(B, T, C));
    emb_nn_mhsa_forward(y, sc, x, wq, bq, wo, bo, len, B, T, C, 2);
    int bad = same("attention y", y, "mha_y", B * T * C);
    free(x), free(wq), free(bq), free(wo), free(bo), free(y), free(sc);
    return bad;
}

static int test_losses(void) {
    int bad = 0;
    float l;
    {
        float *z = load("ce_z", 30), *dz = zeros(30);
        int32_t t[6] = {2, 0, 4, 1, 3, 3};
        l = (float)emb_nn_loss_softmax_ce(dz, z, t, 6, 5);
        bad += same("softmax_ce loss", &l, "ce_loss", 1) + same("softmax_ce dz", dz, "ce_dz", 30);
        free(z), free(dz);
    }
    {
        float *z = load("bce_z", 8), *lab = load("bce_label", 8), *dz = zeros(8);
        l = (float)emb_nn_loss_logistic(dz, z, lab, 8);
        bad += same("logistic loss", &l, "bce_loss", 1) + same("logistic dz", dz, "bce_dz", 8);
        free(z), free(lab), free(dz);
    }
    {
        float *p = load("bpr_pos", 6), *q = load("bpr_neg", 6), *dp = zeros(6), *dq = zeros(6);
        l = (float)emb_nn_loss_bpr(dp, dq, p, q, 6);
        bad += same("bpr loss", &l, "bpr_loss", 1) + same("bpr dpos", dp, "bpr_dpos", 6) +
               same("bpr dneg", dq, "bpr_dneg", 6);
        free(p), free(q), free(dp), free(dq);
    }
    {
        float *p = load("mr_pos", 6), *q = load("mr_neg", 6), *dp = zeros(6), *dq = zeros(6);
        l = (float)emb_nn_loss_margin(dp, dq, p, q, 6, 0.5f);
        bad += same("margin loss", &l, "mr_loss", 1) + same("margin dpos", dp, "mr_dpos", 6) +
               same("margin dneg", dq, "mr_dneg", 6);
        free(p), free(q), free(dp), free(dq);
    }
    {
        float *y = load("mse_y", 9), *t = load("mse_t", 9), *dy = zeros(9);
        l = (float)emb_nn_loss_mse(dy, y, t, 9);
        bad += same("mse loss", &l, "mse_loss", 1) + same("mse dy", dy, "mse_dy", 9);
        free(y), free(t), free(dy);
    }
    {
        float *s = load("vse_s", 25), *ds = zeros(25);
        l = (float)emb_nn_loss_vse(ds, s, 5, 0.2f, 1);
        bad += same("vse loss", &l, "vse_loss", 1) + same("vse ds", ds, "vse_ds", 25);
        free(s), free(ds);
    }
    return bad;
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/emb-nnref-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/nn_torch_ref.py %s", dir);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        int code = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd)) {}
        if (code == 77) return 77; /* the script printed the SKIP line */
        fprintf(stderr, "tests/nn_torch_ref.py failed (exit %d)\n", code);
        return 1;
    }
    int failed = 0;
    RUN(test_linear);
    RUN(test_layernorm);
    RUN(test_lstm);
    RUN(test_gru);
    RUN(test_mhsa);
    RUN(test_losses);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
