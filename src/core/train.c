/* train.c -- the trainer contract (train.h): options, checks, clock. */
#include <math.h>
#include <time.h>

#include "emb/pool.h"
#include "emb/train.h"

struct emb_train_opts emb_train_default_opts(void) {
    struct emb_train_opts o = {0};
    o.n_threads = 1;
    o.seed = 1;
    o.progress_every = 0.5;
    o.checkpoint_every = 600.0;
    return o;
}

int emb_train_opts_check(const struct emb_train_opts *o, struct emb_err *err) {
    if (!o->pool && o->n_threads < 1)
        return emb_err_set(err, EMB_EINVAL, "threads must be at least 1 (got %d)", (int)o->n_threads);
    if (!(o->progress_every >= 0.0) || !isfinite(o->progress_every))
        return emb_err_set(err, EMB_EINVAL, "progress interval must be a finite number >= 0 (got %g)",
                           o->progress_every);
    if (!(o->checkpoint_every >= 0.0) || !isfinite(o->checkpoint_every))
        return emb_err_set(err, EMB_EINVAL, "checkpoint interval must be a finite number of seconds >= 0 (got %g)",
                           o->checkpoint_every);
    if (o->resume && !o->checkpoint_path)
        return emb_err_set(err, EMB_EINVAL, "resume needs a checkpoint path");
    return EMB_OK;
}

int emb_train_threads(const struct emb_train_opts *o) {
    return o->pool ? emb_pool_size(o->pool) : (int)o->n_threads;
}

struct emb_train_progress emb_train_progress_init(const char *unit) {
    struct emb_train_progress p = {0};
    p.event = EMB_TRAIN_TICK;
    p.phase = "train";
    p.unit = unit ? unit : "steps";
    p.fraction = 0.0;
    p.rate = NAN;
    p.eta_sec = NAN;
    p.elapsed_sec = 0.0;
    p.lr = NAN;
    p.loss = NAN;
    p.step = -1;
    p.n_steps = -1;
    p.epoch = -1;
    p.metric = NAN;
    p.best_metric = NAN;
    p.best_step = -1;
    return p;
}

double emb_train_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void emb_train_clock_start(struct emb_train_clock *c, const struct emb_train_opts *o) {
    c->start = c->last_ckpt = c->last_tick = emb_train_now();
    c->ckpt_every = o->checkpoint_path ? o->checkpoint_every : 0.0;
    c->tick_every = o->progress_every;
}

double emb_train_clock_elapsed(const struct emb_train_clock *c) { return emb_train_now() - c->start; }

int emb_train_clock_ckpt_due(struct emb_train_clock *c) {
    if (!(c->ckpt_every > 0.0)) return 0;
    double now = emb_train_now();
    if (now - c->last_ckpt < c->ckpt_every) return 0;
    c->last_ckpt = now;
    return 1;
}

int emb_train_clock_tick_due(struct emb_train_clock *c) {
    double now = emb_train_now();
    if (now - c->last_tick < c->tick_every) return 0;
    c->last_tick = now;
    return 1;
}

int emb_train_stopped(const struct emb_train_opts *o) { return o->stop && *o->stop; }
