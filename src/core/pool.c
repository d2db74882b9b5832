/* pool.c -- persistent worker threads woken per job with a generation count.
 *
 * DESIGN: the caller is worker 0, so a pool of 1 creates no thread and a
 * single-threaded run is exactly the serial program. Workers sleep on a
 * condition variable and wake when `gen` changes; the last one to finish
 * signals `done`. Jobs are coarse (a training epoch, a block of queries), so
 * a mutex per job costs nothing measurable. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "emb/pool.h"

struct emb_pool {
    int n_threads;
    pthread_t *threads;  /* (n_threads - 1) */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t gen;         /* incremented for every job */
    int pending;          /* workers still running the current job */
    int quit;
    emb_pool_fn fn;
    void *ctx;
};

struct worker_arg {
    struct emb_pool *pool;
    int ith;
};

static void *worker_main(void *p) {
    struct worker_arg *a = p;
    struct emb_pool *pool = a->pool;
    int ith = a->ith;
    emb_free(a);
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (pool->gen == seen && !pool->quit) pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->quit) break;
        seen = pool->gen;
        emb_pool_fn fn = pool->fn;
        void *ctx = pool->ctx;
        pthread_mutex_unlock(&pool->mu);
        fn(ctx, ith, pool->n_threads);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

int emb_pool_new(struct emb_pool **out, int n_threads, struct emb_err *err) {
    *out = NULL;
    if (n_threads < 1) return emb_err_set(err, EMB_EINVAL, "thread count must be at least 1, got %d", n_threads);
    struct emb_pool *pool = emb_calloc(1, sizeof *pool);
    if (!pool) return emb_err_set(err, EMB_ENOMEM, "out of memory creating thread pool");
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (n_threads > 1) {
        pool->threads = emb_calloc((size_t)n_threads - 1, sizeof *pool->threads);
        if (!pool->threads) {
            emb_pool_free(pool);
            return emb_err_set(err, EMB_ENOMEM, "out of memory creating thread pool");
        }
    }
    for (int i = 1; i < n_threads; i++) {
        struct worker_arg *a = emb_alloc(sizeof *a);
        if (a) {
            a->pool = pool;
            a->ith = i;
        }
        if (!a || pthread_create(&pool->threads[i - 1], NULL, worker_main, a) != 0) {
            emb_free(a);
            pool->n_threads = i; /* join only those started */
            emb_pool_free(pool);
            return emb_err_set(err, EMB_ETHREAD, "cannot start thread %d of %d", i + 1, n_threads);
        }
    }
    *out = pool;
    return EMB_OK;
}

void emb_pool_free(struct emb_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mu);
    pool->quit = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 1; i < pool->n_threads; i++) pthread_join(pool->threads[i - 1], NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    emb_free(pool->threads);
    emb_free(pool);
}

int emb_pool_size(const struct emb_pool *pool) { return pool ? pool->n_threads : 1; }

void emb_pool_run(struct emb_pool *pool, emb_pool_fn fn, void *ctx) {
    if (pool->n_threads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->pending = pool->n_threads - 1;
    pool->gen++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    fn(ctx, 0, pool->n_threads);
    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}

int emb_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
