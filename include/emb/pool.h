/* pool.h -- a tiny thread pool with an explicit thread count.
 *
 * A job is a function called once per thread with its index and the count,
 * like every ggml op (ith/nth); the calling thread runs index 0:
 *
 *     static void work(void *ctx, int ith, int nth) { ... split by ith/nth ... }
 *     struct emb_pool *pool = NULL;
 *     if (emb_pool_new(&pool, 4, &err) == EMB_OK) emb_pool_run(pool, work, ctx);
 *     emb_pool_free(pool);
 *
 * emb_pool_run returns when all threads have finished the job. One job runs
 * at a time; the pool itself is not meant to be shared between callers. */
#ifndef EMB_POOL_H
#define EMB_POOL_H

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_pool;

typedef void (*emb_pool_fn)(void *ctx, int ith, int nth);

/* Create a pool of n_threads (>= 1; 1 means no extra threads). */
int emb_pool_new(struct emb_pool **out, int n_threads, struct emb_err *err);
/* Stop and join the threads. NULL is a no-op. */
void emb_pool_free(struct emb_pool *pool);
/* Number of threads, including the caller. */
int emb_pool_size(const struct emb_pool *pool);
/* Run fn(ctx, ith, nth) on every thread and wait for all of them. */
void emb_pool_run(struct emb_pool *pool, emb_pool_fn fn, void *ctx);

/* Number of online CPUs (at least 1). */
int emb_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
