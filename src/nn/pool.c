/* pool.c -- mean, max and attention pooling over a sequence (nn.h). */
#include <float.h>
#include <math.h>

#include "emb/nn.h"

static inline int64_t steps(const int32_t *len, int64_t b, int64_t T) {
    if (!len) return T;
    return len[b] < 0 ? 0 : len[b] > T ? T : len[b];
}

void emb_nn_meanpool_forward(float *y, const float *x, const int32_t *len, int64_t T, int64_t B, int64_t C) {
    for (int64_t b = 0; b < B; b++) {
        int64_t n = steps(len, b, T);
        float *yb = y + b * C;
        for (int64_t c = 0; c < C; c++) yb[c] = 0;
        for (int64_t t = 0; t < n; t++)
            for (int64_t c = 0; c < C; c++) yb[c] += x[(t * B + b) * C + c];
        if (n > 0)
            for (int64_t c = 0; c < C; c++) yb[c] /= (float)n;
    }
}

void emb_nn_meanpool_backward(float *dx, const float *dy, const int32_t *len, int64_t T, int64_t B, int64_t C) {
    for (int64_t b = 0; b < B; b++) {
        int64_t n = steps(len, b, T);
        for (int64_t t = 0; t < n; t++)
            for (int64_t c = 0; c < C; c++) dx[(t * B + b) * C + c] += dy[b * C + c] / (float)n;
    }
}

/* An empty sequence pools to zeros with arg -1 (no gradient). */
void emb_nn_maxpool_forward(float *y, int32_t *arg, const float *x, const int32_t *len, int64_t T, int64_t B,
                            int64_t C) {
    for (int64_t b = 0; b < B; b++) {
        int64_t n = steps(len, b, T);
        for (int64_t c = 0; c < C; c++) {
            float m = n > 0 ? -FLT_MAX : 0.0f;
            int32_t a = -1;
            for (int64_t t = 0; t < n; t++) {
                float v = x[(t * B + b) * C + c];
                if (a < 0 || v > m) m = v, a = (int32_t)t;
            }
            y[b * C + c] = m;
            arg[b * C + c] = a;
        }
    }
}

void emb_nn_maxpool_backward(float *dx, const float *dy, const int32_t *arg, int64_t B, int64_t C) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            int32_t t = arg[b * C + c];
            if (t >= 0) dx[((int64_t)t * B + b) * C + c] += dy[b * C + c];
        }
}

void emb_nn_attnpool_forward(float *y, float *att, const float *x, const float *v, const int32_t *len, int64_t T,
                             int64_t B, int64_t C) {
    for (int64_t b = 0; b < B; b++) {
        int64_t n = steps(len, b, T);
        float *yb = y + b * C;
        double mx = -INFINITY, sum = 0;
        for (int64_t t = 0; t < T; t++) att[t * B + b] = 0;
        for (int64_t t = 0; t < n; t++) {
            const float *xt = x + (t * B + b) * C;
            double s = 0;
            for (int64_t c = 0; c < C; c++) s += (double)xt[c] * v[c];
            att[t * B + b] = (float)s;
            if (s > mx) mx = s;
        }
        for (int64_t t = 0; t < n; t++) sum += exp(att[t * B + b] - mx);
        for (int64_t c = 0; c < C; c++) yb[c] = 0;
        for (int64_t t = 0; t < n; t++) {
            float a = (float)(exp(att[t * B + b] - mx) / sum);
            att[t * B + b] = a;
            for (int64_t c = 0; c < C; c++) yb[c] += a * x[(t * B + b) * C + c];
        }
    }
}

/* y = sum_t a_t x_t, a = softmax(s), s_t = x_t . v:
 * g_t = dy . x_t, ds_t = a_t (g_t - dy . y), dx_t += a_t dy + ds_t v,
 * dv += sum_t ds_t x_t. */
void emb_nn_attnpool_backward(float *dx, float *dv, const float *dy, const float *x, const float *v,
                              const float *y, const float *att, const int32_t *len, int64_t T, int64_t B,
                              int64_t C) {
    for (int64_t b = 0; b < B; b++) {
        int64_t n = steps(len, b, T);
        const float *gb = dy + b * C;
        double gy = 0;
        for (int64_t c = 0; c < C; c++) gy += (double)gb[c] * y[b * C + c];
        for (int64_t t = 0; t < n; t++) {
            const float *xt = x + (t * B + b) * C;
            float a = att[t * B + b];
            double g = 0;
            for (int64_t c = 0; c < C; c++) g += (double)gb[c] * xt[c];
            float ds = (float)(a * (g - gy));
            if (dx) {
                float *dxt = dx + (t * B + b) * C;
                for (int64_t c = 0; c < C; c++) dxt[c] += a * gb[c] + ds * v[c];
            }
            if (dv)
                for (int64_t c = 0; c < C; c++) dv[c] += ds * xt[c];
        }
    }
}
