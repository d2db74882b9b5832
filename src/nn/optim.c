/* optim.c -- SGD with momentum, Adagrad, Adam, AdamW and lazy Adam
 * (optim.h), with PyTorch's update rules. */
#include <math.h>

#include "emb/optim.h"

struct emb_optim emb_optim_sgd(float lr, float momentum) {
    return (struct emb_optim){.kind = EMB_OPTIM_SGD, .lr = lr, .momentum = momentum};
}

struct emb_optim emb_optim_adagrad(float lr) {
    return (struct emb_optim){.kind = EMB_OPTIM_ADAGRAD, .lr = lr, .eps = 1e-10f};
}

struct emb_optim emb_optim_adam(float lr) {
    return (struct emb_optim){.kind = EMB_OPTIM_ADAM, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
}

struct emb_optim emb_optim_adamw(float lr, float weight_decay) {
    struct emb_optim o = emb_optim_adam(lr);
    o.kind = EMB_OPTIM_ADAMW;
    o.weight_decay = weight_decay;
    return o;
}

/* Update n contiguous floats; bc1, bc2 are Adam's bias corrections. */
static void update(const struct emb_optim *o, float *w, const float *g, float *m, float *v, int64_t n, float bc1,
                   float bc2) {
    const float lr = o->lr, wd = o->weight_decay;
    switch (o->kind) {
    case EMB_OPTIM_SGD:
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i] + wd * w[i];
            if (o->momentum != 0) gi = m[i] = o->momentum * m[i] + gi;
            w[i] -= lr * gi;
        }
        break;
    case EMB_OPTIM_ADAGRAD:
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i] + wd * w[i];
            m[i] += gi * gi;
            w[i] -= lr * gi / (sqrtf(m[i]) + o->eps);
        }
        break;
    case EMB_OPTIM_ADAM:
    case EMB_OPTIM_ADAMW: {
        const float b1 = o->beta1, b2 = o->beta2, step = lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
        const int decoupled = o->kind == EMB_OPTIM_ADAMW;
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i];
            if (decoupled) w[i] *= 1.0f - lr * wd;
            else gi += wd * w[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            w[i] -= step * m[i] / (sqrtf(v[i]) * rbc2 + o->eps);
        }
        break;
    }
    }
}

static void corrections(const struct emb_optim *o, float *bc1, float *bc2) {
    *bc1 = (float)(1.0 - pow(o->beta1, (double)o->step));
    *bc2 = (float)(1.0 - pow(o->beta2, (double)o->step));
}

void emb_optim_tick(struct emb_optim *o) { o->step++; }

void emb_optim_step(struct emb_optim *o, struct emb_optim_param *p, int n_params) {
    float bc1, bc2;
    o->step++;
    corrections(o, &bc1, &bc2);
    for (int k = 0; k < n_params; k++) update(o, p[k].w, p[k].g, p[k].m, p[k].v, p[k].n, bc1, bc2);
}

void emb_optim_step_rows(const struct emb_optim *o, struct emb_optim_param *p, int64_t dim, const int32_t *rows,
                         int64_t n_rows) {
    float bc1, bc2;
    corrections(o, &bc1, &bc2);
    for (int64_t r = 0; r < n_rows; r++) {
        int64_t at = (int64_t)rows[r] * dim;
        update(o, p->w + at, p->g + at, p->m ? p->m + at : 0, p->v ? p->v + at : 0, dim, bc1, bc2);
    }
}
