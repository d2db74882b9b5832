/* attn.c -- multi-head self-attention, forward (nn.h), as in BERT's
 * encoder: scaled dot products, keys past a sequence's length masked. */
#include <cblas.h>
#include <math.h>

#include "emb/nn.h"

int64_t emb_nn_mhsa_scratch_floats(int64_t B, int64_t T, int64_t C) { return B * T * 4 * C + T * T; }

void emb_nn_mhsa_forward(float *y, float *scratch, const float *x, const float *w_qkv, const float *b_qkv,
                         const float *w_o, const float *b_o, const int32_t *len, int64_t B, int64_t T, int64_t C,
                         int n_heads) {
    const int64_t hd = C / n_heads, C3 = 3 * C;
    float *qkv = scratch, *ctx = qkv + B * T * C3, *s = ctx + B * T * C;
    const float scale = 1.0f / sqrtf((float)hd);
    emb_nn_linear_forward(qkv, x, w_qkv, b_qkv, B * T, C, C3);
    for (int64_t b = 0; b < B; b++) {
        int64_t n = len ? (len[b] < 0 ? 0 : len[b] > T ? T : len[b]) : T;
        for (int h = 0; h < n_heads; h++) {
            const float *q = qkv + b * T * C3 + h * hd, *k = q + C, *v = q + 2 * C;
            float *o = ctx + b * T * C + h * hd;
            if (n == 0) { /* nothing to attend to: zeros */
                for (int64_t t = 0; t < T; t++)
                    for (int64_t j = 0; j < hd; j++) o[t * C + j] = 0;
                continue;
            }
            /* s (T x n) = q k^T * scale */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)n, (int)hd, scale, q, (int)C3, k,
                        (int)C3, 0.0f, s, (int)n);
            for (int64_t t = 0; t < T; t++) {
                float *r = s + t * n, mx = r[0];
                for (int64_t j = 1; j < n; j++) mx = r[j] > mx ? r[j] : mx;
                double sum = 0;
                for (int64_t j = 0; j < n; j++) sum += r[j] = expf(r[j] - mx);
                float inv = (float)(1.0 / sum);
                for (int64_t j = 0; j < n; j++) r[j] *= inv;
            }
            /* o (T x hd) = s v */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)hd, (int)n, 1.0f, s, (int)n, v,
                        (int)C3, 0.0f, o, (int)C);
        }
    }
    emb_nn_linear_forward(y, ctx, w_o, b_o, B * T, C, C);
}
