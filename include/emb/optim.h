/* optim.h -- optimisers over a table of (parameters, gradients, state).
 *
 *     struct emb_optim o = emb_optim_adam(1e-3f);     // or _sgd, _adagrad, _adamw
 *     struct emb_optim_param t[2] = {{w, dw, mw, vw, n_w}, {b, db, mb, vb, n_b}};
 *     ... forward, zero dw/db, backward ...
 *     emb_optim_step(&o, t, 2);
 *
 * State arrays m and v belong to the caller (zeroed before the first step):
 * m is SGD's momentum buffer, Adagrad's sum of squares, Adam's first moment;
 * v is Adam's second moment (unused, may be NULL, for SGD and Adagrad).
 * The updates are PyTorch's (torch.optim.SGD with momentum and no dampening,
 * Adagrad with initial accumulator 0, Adam, AdamW, SparseAdam), so a model
 * trained here and there takes the same steps.
 *
 * Lazy (sparse) updates: emb_optim_step_rows updates only the given rows of
 * a (rows x dim) table -- SparseAdam for Adam, and the plain rule restricted
 * to those rows for the others -- after emb_optim_tick has advanced the step
 * count once for the batch (Adam's bias corrections use the global count).
 * Rows that are not one table (say gradients gathered by slot) are updated
 * one at a time with emb_optim_step_row and the corrections of the
 * current count (emb_optim_corrections); a caller that counts its own
 * updates sets o.step first.
 *
 * Adam's update is w -= lr * (m / bc1) / (sqrt(v / bc2) + eps), with the
 * bias corrections bc = 1 - beta^step. o.simd picks the kernel (the
 * constructors take emb_simd_resolve(EMB_SIMD_AUTO)): at EMB_SIMD_AVX512,
 * Adam without weight decay runs 16 lanes at a time (fused multiply-adds,
 * so its last bits differ from the scalar loop's). */
#ifndef EMB_OPTIM_H
#define EMB_OPTIM_H

#include <stdint.h>

#include "emb/simd.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_optim_kind { EMB_OPTIM_SGD, EMB_OPTIM_ADAGRAD, EMB_OPTIM_ADAM, EMB_OPTIM_ADAMW };

struct emb_optim {
    enum emb_optim_kind kind;
    float lr;
    float momentum;     /* SGD */
    float beta1, beta2; /* Adam, AdamW */
    float eps;          /* Adagrad, Adam, AdamW */
    float weight_decay; /* L2 in the gradient (SGD, Adagrad, Adam); decoupled (AdamW) */
    int64_t step;       /* updates so far (Adam's bias corrections) */
    enum emb_simd simd; /* kernel level, as emb_simd_resolve returns it */
};

struct emb_optim_param {
    float *w, *g; /* parameters and their gradient */
    float *m, *v; /* optimiser state, n floats each (see above) */
    int64_t n;
};

/* PyTorch's defaults for each. */
struct emb_optim emb_optim_sgd(float lr, float momentum);
struct emb_optim emb_optim_adagrad(float lr);
struct emb_optim emb_optim_adam(float lr);
struct emb_optim emb_optim_adamw(float lr, float weight_decay);

/* One step over every parameter of the table (advances o->step once). */
void emb_optim_step(struct emb_optim *o, struct emb_optim_param *p, int n_params);
/* Advance the step count for a batch of lazy row updates. */
void emb_optim_tick(struct emb_optim *o);
/* Update rows[0..n_rows) (distinct) of a table of rows of dim floats. */
void emb_optim_step_rows(const struct emb_optim *o, struct emb_optim_param *p, int64_t dim, const int32_t *rows,
                         int64_t n_rows);

/* Adam's bias corrections 1 - beta1^step, 1 - beta2^step (1 for the others). */
struct emb_optim_bc {
    float bc1, bc2;
};
struct emb_optim_bc emb_optim_corrections(const struct emb_optim *o);
/* Update one row: n floats of w with gradient g and state m, v (as in
 * struct emb_optim_param), with the corrections bc. */
void emb_optim_step_row(const struct emb_optim *o, struct emb_optim_bc bc, float *w, const float *g, float *m, float *v,
                        int64_t n);

#ifdef __cplusplus
}
#endif
#endif
