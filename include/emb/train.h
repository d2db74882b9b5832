/* train.h -- the contract every trainer follows (word2vec, DeepWalk/node2vec,
 * LINE, the KGE models, and every family added later).
 *
 * A trainer takes its model settings (struct emb_<model>_params) and one
 * struct emb_train_opts for everything that is not the model: threads,
 * seed, progress, stop, checkpoints and resume. The rules are the same for
 * all trainers:
 *
 *   Threads   opts.pool when set (the trainer runs on it and does not free
 *             it), else a pool of opts.n_threads made and freed inside.
 *             With one thread and a fixed seed, training is deterministic.
 *   Progress  opts.progress(ctx, &report) from one thread, at most about
 *             every opts.progress_every seconds, and once per event
 *             (validation, checkpoint). Fields a trainer has no value for
 *             are NaN (doubles) or -1 (counts).
 *   Stop      when *opts.stop becomes non-zero the trainer finishes the
 *             current unit of work, writes a checkpoint if
 *             opts.checkpoint_path is set, and returns EMB_EINTR.
 *   Clock     one checkpoint clock, in wall seconds: a checkpoint is written
 *             every opts.checkpoint_every seconds (0 = only on stop), and on
 *             stop. The file is written to a temporary name and renamed, so
 *             a crash leaves the previous checkpoint whole. A failed periodic
 *             checkpoint is passed to opts.warn and training goes on.
 *   Resume    opts.resume = 1 continues from opts.checkpoint_path, which must
 *             exist (else EMB_EIO). Settings that shape the model (dimension,
 *             loss, sampling, seed, ...) and the data (a CRC) must equal the
 *             checkpoint's, else EMB_EINVAL naming the first that differs;
 *             threads, the intervals and the amount of training may change.
 *             A run resumed with one thread gives the same bytes as the run
 *             that was not interrupted.
 *
 * Trainers use emb_train_clock to keep the rules above in one place. */
#ifndef EMB_TRAIN_H
#define EMB_TRAIN_H

#include <signal.h>
#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_pool;

/* What a progress report carries. */
enum emb_train_event {
    EMB_TRAIN_TICK = 0,       /* periodic progress */
    EMB_TRAIN_VALID = 1,      /* a validation finished: metric is set */
    EMB_TRAIN_CHECKPOINT = 2, /* a checkpoint was written */
    EMB_TRAIN_PHASE = 3,      /* a new phase began (e.g. walks -> training) */
};

struct emb_train_progress {
    enum emb_train_event event;
    const char *phase;      /* "train", "walks", ... never NULL */
    double fraction;        /* of the planned work, 0..1 */
    double rate;            /* units per wall second */
    const char *unit;       /* what rate counts: "words", "samples", "triples", "steps" */
    double eta_sec;         /* NaN when unknown */
    double elapsed_sec;
    double lr;              /* current learning rate, NaN if none */
    double loss;            /* mean loss since the last report, NaN if none */
    int64_t step, n_steps;  /* trainer's units done / planned, -1 if none */
    int32_t epoch;          /* 1-based, -1 if none */
    double metric;          /* validation metric (e.g. filtered MRR), NaN if none */
    double best_metric;     /* best so far, NaN if none */
    int64_t best_step;      /* step of the best, -1 if none */
};
typedef void (*emb_train_progress_fn)(void *ctx, const struct emb_train_progress *p);

struct emb_train_opts {
    int32_t n_threads;               /* 1; used when pool is NULL */
    struct emb_pool *pool;           /* NULL: the trainer makes its own */
    uint64_t seed;                   /* 1 */
    emb_train_progress_fn progress;  /* NULL = silent */
    void *progress_ctx;
    double progress_every;           /* seconds between TICK reports (0.5) */
    emb_warn_fn warn;                /* NULL = ignore warnings */
    void *warn_ctx;
    volatile sig_atomic_t *stop;     /* NULL = never stopped */
    const char *checkpoint_path;     /* NULL = no checkpoints */
    double checkpoint_every;         /* seconds (600); 0 = only on stop */
    int resume;                      /* continue from checkpoint_path */
};

struct emb_train_opts emb_train_default_opts(void);
/* EMB_EINVAL naming the first bad field (n_threads < 1 without a pool,
 * negative intervals, resume without a checkpoint path). */
int emb_train_opts_check(const struct emb_train_opts *o, struct emb_err *err);
/* The number of threads the trainer runs with (the pool's size if set). */
int emb_train_threads(const struct emb_train_opts *o);
/* A progress report with every field "unknown" (NaN / -1), phase "train". */
struct emb_train_progress emb_train_progress_init(const char *unit);

/* The one checkpoint and progress clock (wall time, monotonic). */
struct emb_train_clock {
    double start, last_ckpt, last_tick;
    double ckpt_every, tick_every;
};
void emb_train_clock_start(struct emb_train_clock *c, const struct emb_train_opts *o);
double emb_train_clock_elapsed(const struct emb_train_clock *c);
/* 1 when a periodic checkpoint is due (and restarts its interval). */
int emb_train_clock_ckpt_due(struct emb_train_clock *c);
/* 1 when a TICK report is due (and restarts its interval). */
int emb_train_clock_tick_due(struct emb_train_clock *c);
/* 1 when *o->stop is set. */
int emb_train_stopped(const struct emb_train_opts *o);
/* Seconds on the monotonic clock. */
double emb_train_now(void);

#ifdef __cplusplus
}
#endif

#endif
