/* act.c -- activations, dropout, layer norm and L2 normalisation (nn.h). */
#include <math.h>

#include "emb/nn.h"

void emb_nn_relu_forward(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
}

void emb_nn_relu_backward(float *dx, const float *dy, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] > 0) dx[i] += dy[i];
}

/* GELU(x) = x Phi(x), Phi the standard normal CDF (the erf form). */
void emb_nn_gelu_forward(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = (float)(0.5 * x[i] * (1.0 + erf(x[i] * M_SQRT1_2)));
}

void emb_nn_gelu_backward(float *dx, const float *dy, const float *x, int64_t n) {
    const double k = 0.5 * M_2_SQRTPI * M_SQRT1_2; /* 1 / sqrt(2 pi) */
    for (int64_t i = 0; i < n; i++) {
        double v = x[i], cdf = 0.5 * (1.0 + erf(v * M_SQRT1_2)), pdf = k * exp(-0.5 * v * v);
        dx[i] += (float)(dy[i] * (cdf + v * pdf));
    }
}

void emb_nn_tanh_forward(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

void emb_nn_tanh_backward(float *dx, const float *dy, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

/* Written so that neither branch overflows exp for large |x|. */
static inline float sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

void emb_nn_sigmoid_forward(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = sigmoid(x[i]);
}

void emb_nn_sigmoid_backward(float *dx, const float *dy, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

void emb_nn_dropout_forward(float *y, float *mask, const float *x, int64_t n, float p, struct emb_rng *rng) {
    const float keep = p < 1 ? 1.0f / (1.0f - p) : 0.0f;
    for (int64_t i = 0; i < n; i++) {
        mask[i] = emb_rng_uniform(rng) >= p ? keep : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

void emb_nn_dropout_backward(float *dx, const float *dy, const float *mask, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * mask[i];
}

void emb_nn_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                              int64_t B, int64_t C, float eps) {
    for (int64_t i = 0; i < B; i++) {
        const float *xi = x + i * C;
        double m = 0, v = 0;
        for (int64_t c = 0; c < C; c++) m += xi[c];
        m /= (double)C;
        for (int64_t c = 0; c < C; c++) v += (xi[c] - m) * (xi[c] - m);
        v /= (double)C;
        float s = (float)(1.0 / sqrt(v + eps));
        float *yi = y + i * C;
        for (int64_t c = 0; c < C; c++) {
            float nrm = (float)(xi[c] - m) * s;
            yi[c] = nrm * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f);
        }
        mean[i] = (float)m;
        rstd[i] = s;
    }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w. */
void emb_nn_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                               const float *mean, const float *rstd, int64_t B, int64_t C) {
    for (int64_t i = 0; i < B; i++) {
        const float *xi = x + i * C, *dyi = dy + i * C;
        double sg = 0, sgx = 0;
        for (int64_t c = 0; c < C; c++) {
            float xhat = (xi[c] - mean[i]) * rstd[i], g = dyi[c] * (w ? w[c] : 1.0f);
            sg += g;
            sgx += g * xhat;
            if (dw) dw[c] += dyi[c] * xhat;
            if (db) db[c] += dyi[c];
        }
        if (!dx) continue;
        float mg = (float)(sg / (double)C), mgx = (float)(sgx / (double)C);
        for (int64_t c = 0; c < C; c++) {
            float xhat = (xi[c] - mean[i]) * rstd[i], g = dyi[c] * (w ? w[c] : 1.0f);
            dx[i * C + c] += rstd[i] * (g - mg - xhat * mgx);
        }
    }
}

void emb_nn_l2norm_forward(float *y, float *norm, const float *x, int64_t B, int64_t C, float eps) {
    for (int64_t i = 0; i < B; i++) {
        double s = 0;
        for (int64_t c = 0; c < C; c++) s += (double)x[i * C + c] * x[i * C + c];
        float nr = (float)sqrt(s), d = nr > eps ? nr : eps;
        norm[i] = nr;
        for (int64_t c = 0; c < C; c++) y[i * C + c] = x[i * C + c] / d;
    }
}

/* Past eps: dx = (dy - y (y . dy)) / ||x||; below it y = x / eps is linear. */
void emb_nn_l2norm_backward(float *dx, const float *dy, const float *y, const float *norm, int64_t B, int64_t C,
                            float eps) {
    for (int64_t i = 0; i < B; i++) {
        const float *yi = y + i * C, *gi = dy + i * C;
        if (norm[i] <= eps) {
            for (int64_t c = 0; c < C; c++) dx[i * C + c] += gi[c] / eps;
            continue;
        }
        double yg = 0;
        for (int64_t c = 0; c < C; c++) yg += (double)yi[c] * gi[c];
        for (int64_t c = 0; c < C; c++) dx[i * C + c] += (float)((gi[c] - yi[c] * yg) / norm[i]);
    }
}
