/* pool_test.c -- every thread index runs exactly once per job, results of a
 * parallel reduction match the serial one, and the error paths.
 *
 * Each job records, per index, how many times it ran and the nth it was
 * given; pools of 1..8 threads run 100 jobs in a row, so a lost wake-up, a
 * worker that runs a job twice or a job that returns before all workers are
 * done shows as a wrong count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "emb/pool.h"
#include "test.h"

#define MAX_THREADS 8

struct count_job {
    _Atomic int runs[MAX_THREADS + 1]; /* one spare slot catches ith == nth */
    _Atomic int bad_nth, bad_ith;
    _Atomic int finished; /* workers that returned from this job */
    int want_nth;
};

static void count_fn(void *ctx, int ith, int nth) {
    struct count_job *j = ctx;
    if (nth != j->want_nth) atomic_fetch_add(&j->bad_nth, 1);
    if (ith < 0 || ith >= nth || ith > MAX_THREADS) atomic_fetch_add(&j->bad_ith, 1);
    else atomic_fetch_add(&j->runs[ith], 1);
    atomic_fetch_add(&j->finished, 1);
}

static int test_each_index_once(void) {
    struct emb_err err = {0};
    for (int nth = 1; nth <= MAX_THREADS; nth++) {
        struct emb_pool *pool = NULL;
        CHECK_OK(emb_pool_new(&pool, nth, &err));
        CHECK(pool != NULL);
        CHECK(emb_pool_size(pool) == nth);
        for (int rep = 0; rep < 100; rep++) {
            struct count_job j;
            memset(&j, 0, sizeof j);
            j.want_nth = nth;
            emb_pool_run(pool, count_fn, &j);
            /* All workers are done when run returns: nothing may change later. */
            int finished = atomic_load(&j.finished);
            if (finished != nth || atomic_load(&j.bad_nth) || atomic_load(&j.bad_ith)) {
                fprintf(stderr, "pool of %d, job %d: %d calls, %d bad nth, %d bad ith\n", nth, rep, finished,
                        atomic_load(&j.bad_nth), atomic_load(&j.bad_ith));
                emb_pool_free(pool);
                return 1;
            }
            for (int i = 0; i < nth; i++)
                if (atomic_load(&j.runs[i]) != 1) {
                    fprintf(stderr, "pool of %d, job %d: index %d ran %d times\n", nth, rep, i,
                            atomic_load(&j.runs[i]));
                    emb_pool_free(pool);
                    return 1;
                }
        }
        emb_pool_free(pool);
    }
    return 0;
}

/* The calling thread is index 0 (documented in pool.h). */
struct caller_job {
    pthread_t caller;
    _Atomic int ok;
};

static void caller_fn(void *ctx, int ith, int nth) {
    struct caller_job *j = ctx;
    (void)nth;
    if (ith == 0 && pthread_equal(pthread_self(), j->caller)) atomic_fetch_add(&j->ok, 1);
    if (ith != 0 && pthread_equal(pthread_self(), j->caller)) atomic_fetch_sub(&j->ok, 100);
}

static int test_caller_is_index_zero(void) {
    struct emb_err err = {0};
    for (int nth = 1; nth <= 4; nth++) {
        struct emb_pool *pool = NULL;
        CHECK_OK(emb_pool_new(&pool, nth, &err));
        struct caller_job j = {pthread_self(), 0};
        emb_pool_run(pool, caller_fn, &j);
        emb_pool_free(pool);
        CHECK(atomic_load(&j.ok) == 1);
    }
    return 0;
}

/* Sum of f(i) for i < n, split by ith/nth as in STYLE.md section 8. */
struct sum_job {
    int64_t n;
    uint64_t partial[MAX_THREADS];
};

static uint64_t f(int64_t i) { return (uint64_t)i * 2654435761u ^ (uint64_t)(i >> 3); }

static void sum_fn(void *ctx, int ith, int nth) {
    struct sum_job *j = ctx;
    int64_t per = (j->n + nth - 1) / nth;
    int64_t lo = per * ith, hi = lo + per < j->n ? lo + per : j->n;
    uint64_t s = 0;
    for (int64_t i = lo; i < hi; i++) s += f(i);
    j->partial[ith] = s;
}

static int test_parallel_sum(void) {
    struct emb_err err = {0};
    const int64_t sizes[] = {0, 1, 7, 1000, 1000003};
    for (int nth = 1; nth <= MAX_THREADS; nth++) {
        struct emb_pool *pool = NULL;
        CHECK_OK(emb_pool_new(&pool, nth, &err));
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            struct sum_job j;
            memset(&j, 0, sizeof j);
            j.n = sizes[k];
            uint64_t serial = 0;
            for (int64_t i = 0; i < j.n; i++) serial += f(i);
            for (int rep = 0; rep < 5; rep++) {
                memset(j.partial, 0xAB, sizeof j.partial); /* stale values must be overwritten */
                emb_pool_run(pool, sum_fn, &j);
                uint64_t par = 0;
                for (int t = 0; t < nth; t++) par += j.partial[t];
                if (par != serial) {
                    fprintf(stderr, "pool of %d, n=%lld: parallel sum %llu, serial %llu\n", nth, (long long)j.n,
                            (unsigned long long)par, (unsigned long long)serial);
                    emb_pool_free(pool);
                    return 1;
                }
            }
        }
        emb_pool_free(pool);
    }
    return 0;
}

static int test_errors(void) {
    struct emb_err err = {0};
    struct emb_pool *pool = (struct emb_pool *)&err; /* must be reset to NULL */
    CHECK(emb_pool_new(&pool, 0, &err) == EMB_EINVAL);
    CHECK(pool == NULL);
    CHECK(err.code == EMB_EINVAL && err.msg[0] != '\0');
    CHECK(emb_pool_new(&pool, -3, NULL) == EMB_EINVAL);
    CHECK(pool == NULL);
    emb_pool_free(NULL); /* no-op */
    CHECK(emb_pool_size(NULL) == 1);
    CHECK(emb_cpu_count() >= 1);
    /* A pool created and freed without ever running a job. */
    CHECK_OK(emb_pool_new(&pool, 4, &err));
    emb_pool_free(pool);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_errors);
    RUN(test_each_index_once);
    RUN(test_caller_is_index_zero);
    RUN(test_parallel_sum);
    if (failed) return 1;
    printf("pool_test: ok\n");
    return 0;
}
