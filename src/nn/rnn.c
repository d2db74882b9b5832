/* rnn.c -- LSTM and GRU layers unrolled over a sequence, forward and
 * backpropagation through time (nn.h).
 *
 * The input projections of all T steps are one GEMM (T*B rows) before the
 * recurrence, and their gradients one GEMM after it; only the H-wide
 * recurrent product is done step by step. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "emb/nn.h"

static inline float sigm(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* Cache layout (floats), G = gates, N = T*B:
 *   LSTM: act (N*G*H) | c ((T+1)*B*H) | h ((T+1)*B*H) | tanh c (N*H) |
 *         dgates (N*G*H) | dh, dc (2*B*H)
 *   GRU:  gi (N*G*H) | gh (N*G*H) | act (N*G*H) | h ((T+1)*B*H) |
 *         dgi (N*G*H) | dgh (N*G*H) | dh (B*H) */
int64_t emb_nn_rnn_cache_floats(const struct emb_nn_rnn *l, int64_t T, int64_t B) {
    int64_t N = T * B, H = l->H, GH = (int64_t)l->gates * H;
    if (l->gates == 4) return 2 * N * GH + 2 * (T + 1) * B * H + N * H + 2 * B * H;
    return 5 * N * GH + (T + 1) * B * H + B * H;
}

/* y (n x G*H) = (b1 + b2 per row) + x (n x in) w^T */
static void proj(float *y, const float *x, const float *w, const float *b1, const float *b2, int64_t n, int64_t in,
                 int64_t gh) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < gh; k++) y[i * gh + k] = (b1 ? b1[k] : 0.0f) + (b2 ? b2[k] : 0.0f);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)gh, (int)in, 1.0f, x, (int)in, w, (int)in,
                1.0f, y, (int)gh);
}

/* Parameter gradients from the gates' gradients dg (n x G*H) and inputs
 * x (n x in): dw += dg^T x, db += column sums. */
static void wgrad(float *dw, float *db, const float *dg, const float *x, int64_t n, int64_t in, int64_t gh) {
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)gh, (int)in, (int)n, 1.0f, dg, (int)gh, x,
                    (int)in, 1.0f, dw, (int)in);
    if (db)
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < gh; k++) db[k] += dg[i * gh + k];
}

void emb_nn_lstm_forward(float *h, float *cache, const struct emb_nn_rnn *l, const float *x, const float *h0,
                         const float *c0, int64_t T, int64_t B) {
    const int64_t H = l->H, GH = 4 * H, N = T * B;
    float *act = cache, *c = act + N * GH, *hs = c + (T + 1) * B * H, *tc = hs + (T + 1) * B * H;
    proj(act, x, l->w_ih, l->b_ih, l->b_hh, N, l->in, GH);
    if (h0) memcpy(hs, h0, (size_t)(B * H) * sizeof *hs);
    else memset(hs, 0, (size_t)(B * H) * sizeof *hs);
    if (c0) memcpy(c, c0, (size_t)(B * H) * sizeof *c);
    else memset(c, 0, (size_t)(B * H) * sizeof *c);
    for (int64_t t = 0; t < T; t++) {
        float *a = act + t * B * GH;
        const float *hp = hs + t * B * H, *cp = c + t * B * H;
        float *ht = hs + (t + 1) * B * H, *ct = c + (t + 1) * B * H, *tct = tc + t * B * H;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)GH, (int)H, 1.0f, hp, (int)H, l->w_hh,
                    (int)H, 1.0f, a, (int)GH);
        for (int64_t b = 0; b < B; b++) {
            float *ab = a + b * GH;
            for (int64_t k = 0; k < H; k++) {
                float i = sigm(ab[k]), f = sigm(ab[H + k]), g = tanhf(ab[2 * H + k]), o = sigm(ab[3 * H + k]);
                ab[k] = i, ab[H + k] = f, ab[2 * H + k] = g, ab[3 * H + k] = o;
                float cv = f * cp[b * H + k] + i * g, tv = tanhf(cv);
                ct[b * H + k] = cv;
                tct[b * H + k] = tv;
                ht[b * H + k] = o * tv;
            }
        }
    }
    memcpy(h, hs + B * H, (size_t)(N * H) * sizeof *h);
}

void emb_nn_lstm_backward(float *dx, struct emb_nn_rnn *grad, float *dh0, float *dc0, const float *dh,
                          float *cache, const struct emb_nn_rnn *l, const float *x, int64_t T, int64_t B) {
    const int64_t H = l->H, GH = 4 * H, N = T * B;
    float *act = cache, *c = act + N * GH, *hs = c + (T + 1) * B * H, *tc = hs + (T + 1) * B * H;
    float *dg = tc + N * H, *dhn = dg + N * GH, *dcn = dhn + B * H;
    memset(dhn, 0, (size_t)(2 * B * H) * sizeof *dhn);
    for (int64_t t = T - 1; t >= 0; t--) {
        const float *a = act + t * B * GH, *cp = c + t * B * H, *tct = tc + t * B * H;
        float *d = dg + t * B * GH;
        for (int64_t b = 0; b < B; b++) {
            const float *ab = a + b * GH;
            float *db = d + b * GH;
            for (int64_t k = 0; k < H; k++) {
                float i = ab[k], f = ab[H + k], g = ab[2 * H + k], o = ab[3 * H + k], tv = tct[b * H + k];
                float dhv = dh[(t * B + b) * H + k] + dhn[b * H + k];
                float dcv = dhv * o * (1.0f - tv * tv) + dcn[b * H + k];
                db[k] = dcv * g * i * (1.0f - i);
                db[H + k] = dcv * cp[b * H + k] * f * (1.0f - f);
                db[2 * H + k] = dcv * i * (1.0f - g * g);
                db[3 * H + k] = dhv * tv * o * (1.0f - o);
                dcn[b * H + k] = dcv * f;
            }
        }
        /* dh_{t-1} = dgates_t w_hh */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)H, (int)GH, 1.0f, d, (int)GH, l->w_hh,
                    (int)H, 0.0f, dhn, (int)H);
    }
    if (grad) {
        wgrad(grad->w_ih, grad->b_ih, dg, x, N, l->in, GH);
        wgrad(grad->w_hh, grad->b_hh, dg, hs, N, H, GH);
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)l->in, (int)GH, 1.0f, dg, (int)GH,
                    l->w_ih, (int)l->in, 1.0f, dx, (int)l->in);
    if (dh0)
        for (int64_t k = 0; k < B * H; k++) dh0[k] += dhn[k];
    if (dc0)
        for (int64_t k = 0; k < B * H; k++) dc0[k] += dcn[k];
}

void emb_nn_gru_forward(float *h, float *cache, const struct emb_nn_rnn *l, const float *x, const float *h0,
                        int64_t T, int64_t B) {
    const int64_t H = l->H, GH = 3 * H, N = T * B;
    float *gi = cache, *gh = gi + N * GH, *act = gh + N * GH, *hs = act + N * GH;
    proj(gi, x, l->w_ih, l->b_ih, NULL, N, l->in, GH);
    if (h0) memcpy(hs, h0, (size_t)(B * H) * sizeof *hs);
    else memset(hs, 0, (size_t)(B * H) * sizeof *hs);
    for (int64_t t = 0; t < T; t++) {
        const float *hp = hs + t * B * H;
        float *ght = gh + t * B * GH, *git = gi + t * B * GH, *at = act + t * B * GH, *ht = hs + (t + 1) * B * H;
        proj(ght, hp, l->w_hh, l->b_hh, NULL, B, H, GH);
        for (int64_t b = 0; b < B; b++) {
            const float *gib = git + b * GH, *ghb = ght + b * GH;
            float *ab = at + b * GH;
            for (int64_t k = 0; k < H; k++) {
                float r = sigm(gib[k] + ghb[k]), z = sigm(gib[H + k] + ghb[H + k]);
                float n = tanhf(gib[2 * H + k] + r * ghb[2 * H + k]);
                ab[k] = r, ab[H + k] = z, ab[2 * H + k] = n;
                ht[b * H + k] = (1.0f - z) * n + z * hp[b * H + k];
            }
        }
    }
    memcpy(h, hs + B * H, (size_t)(N * H) * sizeof *h);
}

void emb_nn_gru_backward(float *dx, struct emb_nn_rnn *grad, float *dh0, const float *dh, float *cache,
                         const struct emb_nn_rnn *l, const float *x, int64_t T, int64_t B) {
    const int64_t H = l->H, GH = 3 * H, N = T * B;
    float *gi = cache, *gh = gi + N * GH, *act = gh + N * GH, *hs = act + N * GH;
    float *dgi = hs + (T + 1) * B * H, *dgh = dgi + N * GH, *dhn = dgh + N * GH;
    memset(dhn, 0, (size_t)(B * H) * sizeof *dhn);
    for (int64_t t = T - 1; t >= 0; t--) {
        const float *at = act + t * B * GH, *ght = gh + t * B * GH, *hp = hs + t * B * H;
        float *dit = dgi + t * B * GH, *dht = dgh + t * B * GH;
        for (int64_t b = 0; b < B; b++) {
            const float *ab = at + b * GH, *ghb = ght + b * GH;
            float *di = dit + b * GH, *dhh = dht + b * GH;
            for (int64_t k = 0; k < H; k++) {
                float r = ab[k], z = ab[H + k], n = ab[2 * H + k];
                float dhv = dh[(t * B + b) * H + k] + dhn[b * H + k];
                float dn = dhv * (1.0f - z), dz = dhv * (hp[b * H + k] - n);
                float dan = dn * (1.0f - n * n), dr = dan * ghb[2 * H + k];
                float dar = dr * r * (1.0f - r), daz = dz * z * (1.0f - z);
                di[k] = dar, di[H + k] = daz, di[2 * H + k] = dan;
                dhh[k] = dar, dhh[H + k] = daz, dhh[2 * H + k] = dan * r;
                dhn[b * H + k] = dhv * z; /* the direct path; the matrix path is added below */
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)H, (int)GH, 1.0f, dht, (int)GH,
                    l->w_hh, (int)H, 1.0f, dhn, (int)H);
    }
    if (grad) {
        wgrad(grad->w_ih, grad->b_ih, dgi, x, N, l->in, GH);
        wgrad(grad->w_hh, grad->b_hh, dgh, hs, N, H, GH);
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)l->in, (int)GH, 1.0f, dgi, (int)GH,
                    l->w_ih, (int)l->in, 1.0f, dx, (int)l->in);
    if (dh0)
        for (int64_t k = 0; k < B * H; k++) dh0[k] += dhn[k];
}
