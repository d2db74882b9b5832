/* loss.c -- losses with their gradients (nn.h). Sums run in double. */
#include <math.h>

#include "emb/nn.h"

/* log(1 + exp(x)) without overflow. */
static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static inline double sigm(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

double emb_nn_loss_softmax_ce(float *dlogits, const float *logits, const int32_t *target, int64_t B, int64_t V) {
    int64_t n = 0;
    for (int64_t i = 0; i < B; i++) n += target[i] >= 0 && target[i] < V;
    double loss = 0;
    for (int64_t i = 0; i < B; i++) {
        const float *z = logits + i * V;
        float *d = dlogits ? dlogits + i * V : 0;
        if (target[i] < 0 || target[i] >= V) {
            if (d)
                for (int64_t k = 0; k < V; k++) d[k] = 0;
            continue;
        }
        double mx = z[0], sum = 0;
        for (int64_t k = 1; k < V; k++) mx = z[k] > mx ? z[k] : mx;
        for (int64_t k = 0; k < V; k++) sum += exp(z[k] - mx);
        double lse = mx + log(sum);
        loss += lse - z[target[i]];
        if (d) {
            for (int64_t k = 0; k < V; k++) d[k] = (float)(exp(z[k] - lse) / (double)n);
            d[target[i]] -= (float)(1.0 / (double)n);
        }
    }
    return n ? loss / (double)n : 0.0;
}

/* -y log s(z) - (1 - y) log(1 - s(z)) = softplus(z) - y z */
double emb_nn_loss_logistic(float *dz, const float *z, const float *label, int64_t n) {
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        loss += softplus(z[i]) - (double)label[i] * z[i];
        if (dz) dz[i] = (float)((sigm(z[i]) - label[i]) / (double)n);
    }
    return n ? loss / (double)n : 0.0;
}

double emb_nn_loss_negsampling(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n, int64_t k) {
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        loss += softplus(-(double)pos[i]);
        if (dpos) dpos[i] = (float)(-sigm(-(double)pos[i]) / (double)n);
        for (int64_t j = 0; j < k; j++) {
            double s = neg[i * k + j];
            loss += softplus(s);
            if (dneg) dneg[i * k + j] = (float)(sigm(s) / (double)n);
        }
    }
    return n ? loss / (double)n : 0.0;
}

double emb_nn_loss_bpr(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n) {
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = (double)pos[i] - neg[i], g = -sigm(-x) / (double)n;
        loss += softplus(-x);
        if (dpos) dpos[i] = (float)g;
        if (dneg) dneg[i] = (float)-g;
    }
    return n ? loss / (double)n : 0.0;
}

double emb_nn_loss_margin(float *dpos, float *dneg, const float *pos, const float *neg, int64_t n, float margin) {
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        double h = (double)margin - pos[i] + neg[i];
        int on = h > 0;
        loss += on ? h : 0;
        if (dpos) dpos[i] = on ? (float)(-1.0 / (double)n) : 0.0f;
        if (dneg) dneg[i] = on ? (float)(1.0 / (double)n) : 0.0f;
    }
    return n ? loss / (double)n : 0.0;
}

double emb_nn_loss_vse(float *ds, const float *s, int64_t B, float margin, int hardest) {
    double loss = 0;
    if (ds)
        for (int64_t k = 0; k < B * B; k++) ds[k] = 0;
    for (int64_t i = 0; i < B; i++) {
        double sii = s[i * B + i];
        /* captions j for image i (row i), then images j for caption i (column i) */
        for (int dir = 0; dir < 2; dir++) {
            int64_t best = -1;
            double bh = 0;
            for (int64_t j = 0; j < B; j++) {
                if (j == i) continue;
                int64_t at = dir == 0 ? i * B + j : j * B + i;
                double h = (double)margin + s[at] - sii;
                if (h <= 0) continue;
                if (!hardest) {
                    loss += h;
                    if (ds) ds[at] += 1, ds[i * B + i] -= 1;
                } else if (best < 0 || h > bh) {
                    best = at, bh = h;
                }
            }
            if (hardest && best >= 0) {
                loss += bh;
                if (ds) ds[best] += 1, ds[i * B + i] -= 1;
            }
        }
    }
    return loss;
}

double emb_nn_loss_mse(float *dy, const float *y, const float *target, int64_t n) {
    double loss = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)y[i] - target[i];
        loss += e * e;
        if (dy) dy[i] = (float)(2.0 * e / (double)n);
    }
    return n ? loss / (double)n : 0.0;
}
