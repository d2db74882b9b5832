/* train_test.c -- the trainer contract's options, checks and clock. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "emb/pool.h"
#include "emb/train.h"
#include "test.h"

static void sleep_sec(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int test_defaults_and_check(void) {
    struct emb_err err = {0};
    struct emb_train_opts o = emb_train_default_opts();
    CHECK(o.n_threads == 1 && o.seed == 1 && o.checkpoint_every == 600.0);
    CHECK_OK(emb_train_opts_check(&o, &err));
    CHECK(emb_train_threads(&o) == 1);
    o.n_threads = 0;
    CHECK(emb_train_opts_check(&o, &err) == EMB_EINVAL && strstr(err.msg, "threads"));
    o.n_threads = 2;
    o.checkpoint_every = -1;
    CHECK(emb_train_opts_check(&o, &err) == EMB_EINVAL && strstr(err.msg, "checkpoint"));
    o.checkpoint_every = NAN;
    CHECK(emb_train_opts_check(&o, &err) == EMB_EINVAL);
    o.checkpoint_every = 1;
    o.progress_every = INFINITY;
    CHECK(emb_train_opts_check(&o, &err) == EMB_EINVAL && strstr(err.msg, "progress"));
    o.progress_every = 0.5;
    o.resume = 1;
    CHECK(emb_train_opts_check(&o, &err) == EMB_EINVAL && strstr(err.msg, "resume"));
    o.checkpoint_path = "x.ckpt";
    CHECK_OK(emb_train_opts_check(&o, &err));
    /* A pool overrides n_threads. */
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 3, &err));
    o.pool = pool;
    o.n_threads = 0;
    CHECK_OK(emb_train_opts_check(&o, &err));
    CHECK(emb_train_threads(&o) == 3);
    emb_pool_free(pool);
    return 0;
}

static int test_progress_init(void) {
    struct emb_train_progress p = emb_train_progress_init("words");
    CHECK(strcmp(p.unit, "words") == 0 && strcmp(p.phase, "train") == 0);
    CHECK(isnan(p.loss) && isnan(p.lr) && isnan(p.metric) && isnan(p.rate));
    CHECK(p.step == -1 && p.n_steps == -1 && p.epoch == -1 && p.best_step == -1);
    return 0;
}

static int test_clock(void) {
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_train_clock c;
    /* No checkpoint path: never due, whatever the interval. */
    o.checkpoint_every = 0.01;
    emb_train_clock_start(&c, &o);
    sleep_sec(0.03);
    CHECK(!emb_train_clock_ckpt_due(&c));
    /* With a path: due after the interval, then not again at once. */
    o.checkpoint_path = "x.ckpt";
    o.progress_every = 0.02;
    emb_train_clock_start(&c, &o);
    CHECK(!emb_train_clock_ckpt_due(&c));
    CHECK(!emb_train_clock_tick_due(&c));
    sleep_sec(0.03);
    CHECK(emb_train_clock_ckpt_due(&c));
    CHECK(!emb_train_clock_ckpt_due(&c));
    CHECK(emb_train_clock_tick_due(&c));
    CHECK(!emb_train_clock_tick_due(&c));
    CHECK(emb_train_clock_elapsed(&c) >= 0.03);
    /* 0 = only on stop. */
    o.checkpoint_every = 0;
    emb_train_clock_start(&c, &o);
    sleep_sec(0.01);
    CHECK(!emb_train_clock_ckpt_due(&c));
    /* Stop flag. */
    volatile sig_atomic_t stop = 0;
    CHECK(!emb_train_stopped(&o));
    o.stop = &stop;
    CHECK(!emb_train_stopped(&o));
    stop = 1;
    CHECK(emb_train_stopped(&o));
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_defaults_and_check);
    RUN(test_progress_init);
    RUN(test_clock);
    if (failed) return 1;
    printf("train_test: ok\n");
    return 0;
}
