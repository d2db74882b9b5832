/* arena.h -- a model's parameters in one allocation, found by name, with
 * their gradients and optimiser state, saved and loaded through the native
 * CRC-checked file format: every model gets checkpoints the same way.
 *
 *     struct emb_arena a;
 *     emb_arena_init(&a);
 *     emb_arena_add(&a, "lstm.w_ih", 4 * H, IN, &err);   // declare (rows x cols)
 *     emb_arena_add(&a, "lstm.b_ih", 1, 4 * H, &err);
 *     emb_arena_alloc(&a, 1, &err);                       // one zeroed block, with m and v
 *     struct emb_arena_param *w = emb_arena_get(&a, "lstm.w_ih");
 *     ... forward, emb_arena_zero_grad(&a), backward into w->g ...
 *     emb_arena_step(&a, &opt);
 *     emb_arena_save(&a, &opt, "model.ckpt", "hidden=128\n", &err);
 *     emb_arena_load(&a, &opt, "model.ckpt", &kv, &err);   // same declarations first
 *
 * A file holds the key/value text the caller passes, then each parameter's
 * name, shape and values, and (when the arena has optimiser state) the
 * optimiser's step count and each m and v. Loading checks that names and
 * shapes equal the declared ones, in order, and refuses non-finite values.
 * Writes are atomic (temporary file, then rename). */
#ifndef EMB_ARENA_H
#define EMB_ARENA_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMB_ARENA_NAME_MAX 64

struct emb_arena_param {
    char name[EMB_ARENA_NAME_MAX];
    int64_t rows, cols, n; /* n = rows * cols floats */
    float *w, *g;          /* values, gradient */
    float *m, *v;          /* optimiser state (NULL without state) */
};

struct emb_arena {
    int n_params, cap;
    struct emb_arena_param *p;
    float *mem;       /* one block: every w, then every g, m, v */
    int64_t n_floats; /* floats per kind (sum of n) */
    int with_state;
};

void emb_arena_init(struct emb_arena *a);
/* Declare a parameter (before emb_arena_alloc); names are unique. */
int emb_arena_add(struct emb_arena *a, const char *name, int64_t rows, int64_t cols, struct emb_err *err);
/* Allocate every declared parameter in one zeroed, 64-byte aligned block;
 * with_state also allocates the optimiser's m and v. */
int emb_arena_alloc(struct emb_arena *a, int with_state, struct emb_err *err);
/* The parameter of this name, or NULL. */
struct emb_arena_param *emb_arena_get(struct emb_arena *a, const char *name);
void emb_arena_zero_grad(struct emb_arena *a);
/* One optimiser step over every parameter (needs state for Adam/Adagrad/momentum). */
void emb_arena_step(struct emb_arena *a, struct emb_optim *o);
/* Save values (and, with state, o's step count and m, v; o may be NULL
 * without state) with the caller's key/value text kv (may be NULL).
 * Non-finite values are refused (EMB_ENUMERIC), never written. */
int emb_arena_save(const struct emb_arena *a, const struct emb_optim *o, const char *path, const char *kv,
                   struct emb_err *err);
/* Load into an allocated arena with the same declarations; *kv (may be
 * NULL) receives the key/value text (emb_free). A file saved with state
 * restores m, v and o->step when the arena has state; a file without
 * state leaves the arena's m and v zero and o->step 0. On failure the
 * arena's values are partly overwritten: load into a fresh arena. */
int emb_arena_load(struct emb_arena *a, struct emb_optim *o, const char *path, char **kv, struct emb_err *err);
void emb_arena_free(struct emb_arena *a);

#ifdef __cplusplus
}
#endif
#endif
