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
 * count once for the batch (Adam's bias corrections use the global count). */
#ifndef EMB_OPTIM_H
#define EMB_OPTIM_H

#include <stdint.h>

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

#ifdef __cplusplus
}
#endif
#endif
