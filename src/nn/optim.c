/* optim.c -- SGD with momentum, Adagrad, Adam, AdamW and lazy Adam
 * (optim.h), with PyTorch's update rules. */
#include <math.h>

#include "emb/optim.h"

#if EMB_X86
#include <immintrin.h>
#endif

struct emb_optim emb_optim_sgd(float lr, float momentum) {
    return (struct emb_optim){
        .kind = EMB_OPTIM_SGD, .lr = lr, .momentum = momentum, .simd = emb_simd_resolve(EMB_SIMD_AUTO)};
}

struct emb_optim emb_optim_adagrad(float lr) {
    return (struct emb_optim){
        .kind = EMB_OPTIM_ADAGRAD, .lr = lr, .eps = 1e-10f, .simd = emb_simd_resolve(EMB_SIMD_AUTO)};
}

struct emb_optim emb_optim_adam(float lr) {
    return (struct emb_optim){.kind = EMB_OPTIM_ADAM,
                              .lr = lr,
                              .beta1 = 0.9f,
                              .beta2 = 0.999f,
                              .eps = 1e-8f,
                              .simd = emb_simd_resolve(EMB_SIMD_AUTO)};
}

struct emb_optim emb_optim_adamw(float lr, float weight_decay) {
    struct emb_optim o = emb_optim_adam(lr);
    o.kind = EMB_OPTIM_ADAMW;
    o.weight_decay = weight_decay;
    return o;
}

#if EMB_X86
/* Adam without weight decay, 16 lanes at a time with masked tails. */
EMB_TARGET_AVX512 static void adam_avx512(const struct emb_optim *o, int64_t n, float *w, float *m1, float *m2,
                                          const float *g, float bc1, float bc2) {
    const __m512 b1 = _mm512_set1_ps(o->beta1), b2 = _mm512_set1_ps(o->beta2), c1 = _mm512_set1_ps(1.0f - o->beta1),
                 c2 = _mm512_set1_ps(1.0f - o->beta2), ib1 = _mm512_set1_ps(1.0f / bc1),
                 ib2 = _mm512_set1_ps(1.0f / bc2), eps = _mm512_set1_ps(o->eps), nlr = _mm512_set1_ps(-o->lr);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        __m512 a = _mm512_fmadd_ps(b1, _mm512_maskz_loadu_ps(k, m1 + i), _mm512_mul_ps(c1, gv));
        __m512 b = _mm512_fmadd_ps(b2, _mm512_maskz_loadu_ps(k, m2 + i), _mm512_mul_ps(c2, _mm512_mul_ps(gv, gv)));
        _mm512_mask_storeu_ps(m1 + i, k, a);
        _mm512_mask_storeu_ps(m2 + i, k, b);
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(b, ib2)), eps);
        __m512 step = _mm512_div_ps(_mm512_mul_ps(a, ib1), den);
        _mm512_mask_storeu_ps(w + i, k, _mm512_fmadd_ps(nlr, step, _mm512_maskz_loadu_ps(k, w + i)));
    }
}
#endif

/* Update n contiguous floats; bc1, bc2 are Adam's bias corrections. A zero
 * weight decay adds no term at all (0 * w would be NaN for an infinite w). */
static void update(const struct emb_optim *o, float *w, const float *g, float *m, float *v, int64_t n, float bc1,
                   float bc2) {
    const float lr = o->lr, wd = o->weight_decay;
    switch (o->kind) {
    case EMB_OPTIM_SGD:
        for (int64_t i = 0; i < n; i++) {
            float gi = wd != 0 ? g[i] + wd * w[i] : g[i];
            if (o->momentum != 0) gi = m[i] = o->momentum * m[i] + gi;
            w[i] -= lr * gi;
        }
        break;
    case EMB_OPTIM_ADAGRAD:
        for (int64_t i = 0; i < n; i++) {
            float gi = wd != 0 ? g[i] + wd * w[i] : g[i];
            m[i] += gi * gi;
            w[i] -= lr * gi / (sqrtf(m[i]) + o->eps);
        }
        break;
    case EMB_OPTIM_ADAM:
    case EMB_OPTIM_ADAMW: {
#if EMB_X86
        if (wd == 0 && o->simd == EMB_SIMD_AVX512) {
            adam_avx512(o, n, w, m, v, g, bc1, bc2);
            break;
        }
#endif
        const float b1 = o->beta1, b2 = o->beta2;
        const int decoupled = o->kind == EMB_OPTIM_ADAMW;
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i];
            if (wd != 0 && decoupled) w[i] *= 1.0f - lr * wd;
            else if (wd != 0) gi += wd * w[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            w[i] -= lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + o->eps);
        }
        break;
    }
    }
}

struct emb_optim_bc emb_optim_corrections(const struct emb_optim *o) {
    struct emb_optim_bc bc = {1.0f, 1.0f};
    if (o->kind == EMB_OPTIM_ADAM || o->kind == EMB_OPTIM_ADAMW) {
        bc.bc1 = (float)(1.0 - pow(o->beta1, (double)o->step));
        bc.bc2 = (float)(1.0 - pow(o->beta2, (double)o->step));
    }
    return bc;
}

void emb_optim_tick(struct emb_optim *o) { o->step++; }

void emb_optim_step(struct emb_optim *o, struct emb_optim_param *p, int n_params) {
    o->step++;
    struct emb_optim_bc bc = emb_optim_corrections(o);
    for (int k = 0; k < n_params; k++) update(o, p[k].w, p[k].g, p[k].m, p[k].v, p[k].n, bc.bc1, bc.bc2);
}

void emb_optim_step_row(const struct emb_optim *o, struct emb_optim_bc bc, float *w, const float *g, float *m, float *v,
                        int64_t n) {
    update(o, w, g, m, v, n, bc.bc1, bc.bc2);
}

void emb_optim_step_rows(const struct emb_optim *o, struct emb_optim_param *p, int64_t dim, const int32_t *rows,
                         int64_t n_rows) {
    struct emb_optim_bc bc = emb_optim_corrections(o);
    for (int64_t r = 0; r < n_rows; r++) {
        int64_t at = (int64_t)rows[r] * dim;
        update(o, p->w + at, p->g + at, p->m ? p->m + at : 0, p->v ? p->v + at : 0, dim, bc.bc1, bc.bc2);
    }
}
