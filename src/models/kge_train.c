/* kge_train.c -- training a KGE model: the trainer state, the optimiser
 * step per chunk, threads, validation with early stopping, checkpoints and
 * resume, and the loop (emb_kge_train). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/optim.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/train.h"
#include "kge_internal.h"
#include "kge_model.h"

/* ---- training: state, optimiser, threads -------------------------------- */

#define CKPT_MAGIC "EMBKGEC\0"

struct trainer {
    const struct emb_kg *kg;
    const struct emb_kge_params *p;
    const struct emb_train_opts *o;
    uint64_t seed;
    struct emb_pool *pool;                 /* o->pool or our own (freed with the trainer) */
    struct emb_train_clock clock;
    double loss_acc, t_rate;               /* since the last TICK: sum of step losses, its time */
    int64_t loss_n, done_since, good_step; /* ... steps and triples; step of the last good checkpoint */
    struct emb_kge *m;
    struct kge_kern kn;
    struct emb_optim opt;                /* lazy Adam or Adagrad (optim.h); lr and step set per chunk */
    struct emb_table *e1, *e2, *r1, *r2; /* optimiser state: Adam moments, or Adagrad sums (e1, r1) */
    float *p_head;                       /* (n_relations) Bernoulli: probability of corrupting the head */
    float *wt;                           /* (n_train) subsampling weights, or NULL */
    struct kge_filter filter;            /* --filter-negatives (by_head NULL: off) */
    int32_t *perm;                       /* (n_train) this epoch's order */
    int64_t perm_epoch;
    int64_t n_steps, steps_per_epoch, step;
    int nth, chunk, chunks_per_step; /* chunks of a full batch */
    struct emb_rng *rng;                 /* (nth) */
    struct chunk_scratch *cs;            /* (nth) */
    double *loss;                        /* (nth) this step */
    float lr, rel_lr_scale;
    /* early stopping */
    struct tri_set known;
    float **scores;
    struct emb_table *best_ent, *best_rel;
    double best_mrr, last_mrr;
    int64_t best_step, bad_evals;
};

/* Epoch e's order of the training triples: a Fisher-Yates shuffle from
 * its own stream, so resuming reproduces it. */
static void make_perm(struct trainer *tr, int64_t epoch) {
    int64_t n = tr->kg->train.n;
    for (int64_t i = 0; i < n; i++) tr->perm[i] = (int32_t)i;
    struct emb_rng r;
    emb_rng_seed(&r, tr->seed ^ 0x5851f42d4c957f2dull, (uint64_t)epoch);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)emb_rng_below(&r, (uint64_t)i + 1);
        int32_t x = tr->perm[i];
        tr->perm[i] = tr->perm[j];
        tr->perm[j] = x;
    }
    tr->perm_epoch = epoch;
}

static void train_worker(void *ctx, int ith, int nth) {
    struct trainer *tr = ctx;
    const struct emb_kge_params *p = tr->p;
    struct emb_kge *m = tr->m;
    struct chunk_scratch *c = &tr->cs[ith];
    struct emb_rng *rng = &tr->rng[ith];
    const struct emb_triples *tri = &tr->kg->train;
    const int64_t b = tr->step % tr->steps_per_epoch, lo = b * p->batch;
    const int64_t hi = lo + p->batch < tri->n ? lo + p->batch : tri->n;
    const int n_chunks = (int)((hi - lo + tr->chunk - 1) / tr->chunk);
    const int64_t wep = m->ent->dim_padded, wrp = m->rel->dim_padded;
    double loss = 0;
    for (int k = ith; k < n_chunks; k += nth) {
        int64_t c0 = lo + (int64_t)k * tr->chunk, c1 = c0 + tr->chunk < hi ? c0 + tr->chunk : hi;
        int n_pos = (int)(c1 - c0);
        /* Uniform: the whole chunk corrupts heads or tails, alternating by
         * chunk and step; Bernoulli: each positive draws its side. */
        uint8_t side = (uint8_t)((tr->step + k) & 1);
        for (int i = 0; i < n_pos; i++) {
            int32_t x = tr->perm[c0 + i];
            c->bh[i] = tri->h[x];
            c->br[i] = tri->r[x];
            c->bt[i] = tri->t[x];
            c->bhead[i] = p->neg_sampling == EMB_KGE_NEG_BERNOULLI ? (uint8_t)(emb_rng_uniform(rng) < tr->p_head[c->br[i]])
                                                                   : side;
            if (tr->wt) c->bw[i] = tr->wt[x];
            if (m->reciprocal && c->bhead[i]) { /* (?, r, t) is asked as (t, r^-1, ?) */
                c->bh[i] = tri->t[x];
                c->bt[i] = tri->h[x];
                c->br[i] = emb_kge_head_rel(m, tri->r[x]);
                c->bhead[i] = 0;
            }
        }
        for (int j = 0; j < p->negatives; j++) c->bneg[j] = (int32_t)emb_rng_below(rng, (uint64_t)m->ent->n_rows);
        if (tr->filter.by_head)
            emb__kge_filter_chunk(&tr->filter, n_pos, c->bh, c->br, c->bt, c->bhead, p->negatives, c->bneg, c->bmask);
        loss += emb__kge_chunk_grad(m, p, &tr->kn, c, n_pos, c->bh, c->br, c->bt, c->bhead, tr->wt ? c->bw : NULL,
                           p->negatives, c->bneg, tr->filter.by_head ? c->bmask : NULL) *
                n_pos;
        /* Each chunk is one optimiser update of the rows it touched (lazy:
         * bias corrections use the global count, as PyTorch's SparseAdam
         * does); that count is the chunk's number (step * chunks of a full
         * batch + k + 1), as a framework stepping its optimiser once per
         * chunk would. */
        struct emb_optim o = tr->opt;
        o.step = tr->step * tr->chunks_per_step + k + 1;
        const struct emb_optim_bc bc = emb_optim_corrections(&o);
        o.lr = tr->lr;
        for (int32_t s = 0; s < c->n_eu; s++) {
            int64_t e = c->euniq[s];
            emb_optim_step_row(&o, bc, emb_table_row(m->ent, e), c->ge + s * wep, emb_table_row(tr->e1, e),
                               tr->e2 ? emb_table_row(tr->e2, e) : NULL, m->ent->dim);
        }
        o.lr = tr->lr * tr->rel_lr_scale;
        for (int32_t s = 0; s < c->n_ru; s++) {
            int64_t r = c->runiq[s];
            emb_optim_step_row(&o, bc, emb_table_row(m->rel, r), c->gr + s * wrp, emb_table_row(tr->r1, r),
                               tr->r2 ? emb_table_row(tr->r2, r) : NULL, m->rel->dim);
        }
        emb__kge_slots_clear(c);
    }
    tr->loss[ith] = loss;
}

/* ---- training: checkpoints ---------------------------------------------- */

/* The settings that shape training, as "key=value" lines named after the
 * CLI options: saved in checkpoints, required on resume. Not the step
 * count (a run may be continued for longer) nor the thread count. */
static void train_settings(char *kv, size_t size, const struct trainer *tr) {
    static const char *const loss[] = {"adv", "logistic", "margin"}, *const reg[] = {"none", "l2", "n3"},
                             *const sampling[] = {"uniform", "bernoulli"};
    const struct emb_kge_params *p = tr->p;
    const struct emb_triples *t = &tr->kg->train;
    uint32_t crc = emb_crc32(0, t->h, (size_t)t->n * sizeof *t->h);
    crc = emb_crc32(crc, t->r, (size_t)t->n * sizeof *t->r);
    crc = emb_crc32(crc, t->t, (size_t)t->n * sizeof *t->t);
    snprintf(kv, size,
             "loss=%s\nadv-temp=%.9g\nnegatives=%d\nbatch=%d\nchunk=%d\nsampling=%s\nlr=%.9g\nlr-drop=%.9g\nreg=%s\n"
             "reg-weight=%.9g\ninit-scale=%.9g\nsubsampling=%d\nfilter-negatives=%d\nseed=%llu\nmargin=%.9g\n"
             "train_triples=%lld\ntrain_crc=%08x\n",
             (unsigned)p->loss < 3 ? loss[p->loss] : "?", (double)p->adv_temp, p->negatives, p->batch, p->chunk,
             (unsigned)p->neg_sampling < 2 ? sampling[p->neg_sampling] : "?", (double)p->lr, (double)p->lr_drop_at,
             (unsigned)p->reg < 3 ? reg[p->reg] : "?", (double)p->reg_weight, (double)p->init_scale,
             p->subsampling != 0, p->filter_negatives != 0, (unsigned long long)tr->seed, (double)p->gamma,
             (long long)t->n, (unsigned)crc);
}

static int ckpt_write(struct trainer *tr, struct emb_err *err) {
    const char *path = tr->o->checkpoint_path;
    if (emb_table_find_nonfinite(tr->m->ent) >= 0 || emb_table_find_nonfinite(tr->m->rel) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "non-finite values at step %lld; checkpoint %s not overwritten",
                           (long long)tr->step, path);
    char kv[2048];
    int n = snprintf(kv, sizeof kv,
                     "step=%lld\nn_rng=%d\noptimizer=%d\nhas_best=%d\nbest_mrr=%.17g\nbest_step=%lld\nbad_evals=%lld\n",
                     (long long)tr->step, tr->nth, (int)tr->p->optimizer, tr->best_ent != NULL, tr->best_mrr,
                     (long long)tr->best_step, (long long)tr->bad_evals);
    train_settings(kv + n, sizeof kv - (size_t)n, tr);
    struct emb_outfile *o = NULL;
    struct emb_crc_writer *cw = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_crc_writer_open(&cw, emb_outfile_stream(o))) != EMB_OK) {
        emb_outfile_abort(o);
        return emb_err_set(err, rc, "out of memory writing checkpoint %s", path);
    }
    FILE *f = emb_crc_writer_stream(cw);
    uint64_t rs[4 * 1024];
    for (int i = 0; i < tr->nth; i++) memcpy(rs + 4 * i, tr->rng[i].s, sizeof tr->rng[i].s);
    rc = emb__kge_write(tr->m, cw, CKPT_MAGIC, kv);
    if (rc == EMB_OK) rc = emb__kge_write_table(f, tr->e1);
    if (rc == EMB_OK && tr->e2) rc = emb__kge_write_table(f, tr->e2);
    if (rc == EMB_OK) rc = emb__kge_write_table(f, tr->r1);
    if (rc == EMB_OK && tr->r2) rc = emb__kge_write_table(f, tr->r2);
    if (rc == EMB_OK) rc = emb_write_array(f, rs, 4 * (int64_t)tr->nth, sizeof *rs);
    if (rc == EMB_OK && tr->best_ent) rc = emb__kge_write_table(f, tr->best_ent);
    if (rc == EMB_OK && tr->best_ent) rc = emb__kge_write_table(f, tr->best_rel);
    int crc_rc = emb_crc_writer_close(cw, rc == EMB_OK);
    if (rc == EMB_OK) rc = crc_rc;
    if (rc != EMB_OK) {
        emb_outfile_abort(o);
        return emb_err_set(err, rc, "cannot write checkpoint %s: %s", path, strerror(errno));
    }
    return emb_outfile_commit(o, err);
}

static int same_names(const struct emb_vocab *a, const struct emb_vocab *b) {
    if (emb_vocab_size(a) != emb_vocab_size(b)) return 0;
    for (int32_t i = 0; i < emb_vocab_size(a); i++)
        if (strcmp(emb_vocab_word(a, i), emb_vocab_word(b, i))) return 0;
    return 1;
}

static int table_like(struct emb_table **out, const struct emb_table *t, struct emb_err *err) {
    return emb_table_new(out, t->n_rows, t->dim, err);
}

/* Replace tr's model and state with the checkpoint's. */
static int ckpt_read(struct trainer *tr, struct emb_err *err) {
    const char *path = tr->o->checkpoint_path;
    struct emb_reader *r = NULL;
    struct emb_kge *m = NULL;
    char *kv = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb__kge_read(&m, r, CKPT_MAGIC, &kv, err)) != EMB_OK) goto done;
    if (m->reciprocal != (tr->p->reciprocal != 0)) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: checkpoint was written %s reciprocal relations; resume %s --reciprocal",
                         path, m->reciprocal ? "with" : "without", m->reciprocal ? "with" : "without");
        goto done;
    }
    if (m->model != tr->p->model) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made with --model %s, this run has --model %s", path,
                         emb_kge_model_name(m->model), emb_kge_model_name(tr->p->model));
        goto done;
    }
    if (m->dim != tr->p->dim || m->p_norm != tr->p->p_norm) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made with --dim %d --p-norm %d, this run has --dim %d --p-norm %d",
                         path, m->dim, m->p_norm, tr->p->dim, tr->p->p_norm);
        goto done;
    }
    if (!same_names(m->ent_names, tr->m->ent_names) || !same_names(m->rel_names, tr->m->rel_names)) {
        rc = emb_err_set(err, EMB_EINVAL, "%s was made on another dataset (different entities or relations)", path);
        goto done;
    }
    char want[2048];
    train_settings(want, sizeof want, tr);
    if ((rc = emb_kv_require(kv, want, path, err)) != EMB_OK) goto done;
    double step, n_rng, opt, has_best, best_step, bad;
    char buf[64];
    if ((rc = emb_kv_double(kv, "step", 0, 1e18, &step, path, err)) || (rc = emb_kv_double(kv, "n_rng", 1, 1024, &n_rng, path, err)) ||
        (rc = emb_kv_double(kv, "optimizer", 0, 1, &opt, path, err)) || (rc = emb_kv_double(kv, "has_best", 0, 1, &has_best, path, err)) ||
        (rc = emb_kv_double(kv, "best_step", -1, 1e18, &best_step, path, err)) ||
        (rc = emb_kv_double(kv, "bad_evals", 0, 1e18, &bad, path, err)))
        goto done;
    if ((int)opt != (int)tr->p->optimizer) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: checkpoint was written with another optimiser", path);
        goto done;
    }
    if (!emb_kv_get(kv, "best_mrr", buf, sizeof buf)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: header lacks best_mrr", path);
        goto done;
    }
    if ((rc = emb__kge_read_table(r, tr->e1, "optimiser state", err)) != EMB_OK) goto done;
    if (tr->e2 && (rc = emb__kge_read_table(r, tr->e2, "optimiser state", err)) != EMB_OK) goto done;
    if ((rc = emb__kge_read_table(r, tr->r1, "optimiser state", err)) != EMB_OK) goto done;
    if (tr->r2 && (rc = emb__kge_read_table(r, tr->r2, "optimiser state", err)) != EMB_OK) goto done;
    uint64_t rs[4 * 1024];
    if ((rc = emb_read_array(r, rs, 4 * (int64_t)n_rng, sizeof *rs, "random states", err)) != EMB_OK) goto done;
    if (has_best) {
        if (!tr->best_ent && ((rc = table_like(&tr->best_ent, tr->m->ent, err)) != EMB_OK ||
                              (rc = table_like(&tr->best_rel, tr->m->rel, err)) != EMB_OK))
            goto done;
        if ((rc = emb__kge_read_table(r, tr->best_ent, "best entity vectors", err)) != EMB_OK ||
            (rc = emb__kge_read_table(r, tr->best_rel, "best relation vectors", err)) != EMB_OK)
            goto done;
    }
    if ((rc = emb_read_trailer_crc(r, err)) != EMB_OK) goto done;
    if ((int)n_rng == tr->nth)
        for (int i = 0; i < tr->nth; i++) memcpy(tr->rng[i].s, rs + 4 * i, sizeof tr->rng[i].s);
    else /* another thread count: fresh streams, still a function of the step */
        for (int i = 0; i < tr->nth; i++) emb_rng_seed(&tr->rng[i], tr->seed + (uint64_t)step, (uint64_t)i);
    tr->step = (int64_t)step;
    tr->best_mrr = strtod(buf, NULL);
    tr->best_step = (int64_t)best_step;
    tr->bad_evals = (int64_t)bad;
    /* Swap in the checkpoint's tables. */
    struct emb_table *t = tr->m->ent;
    tr->m->ent = m->ent;
    m->ent = t;
    t = tr->m->rel;
    tr->m->rel = m->rel;
    m->rel = t;
done:
    emb_reader_close(r);
    emb_free(kv);
    emb_kge_free(m);
    return rc;
}

/* ---- training: the loop -------------------------------------------------- */

static void trainer_free(struct trainer *tr) {
    emb_table_free(tr->e1);
    emb_table_free(tr->e2);
    emb_table_free(tr->r1);
    emb_table_free(tr->r2);
    emb_table_free(tr->best_ent);
    emb_table_free(tr->best_rel);
    emb_free(tr->p_head);
    emb_free(tr->wt);
    emb__kge_filter_free(&tr->filter);
    emb_free(tr->perm);
    emb_free(tr->rng);
    if (tr->cs)
        for (int i = 0; i < tr->nth; i++) emb__kge_scratch_free(&tr->cs[i]);
    emb_free(tr->cs);
    emb_free(tr->loss);
    emb_free(tr->known.keys);
    emb__kge_score_rows_free(tr->scores, tr->nth);
    emb_kge_free(tr->m);
    if (tr->pool != tr->o->pool) emb_pool_free(tr->pool);
}


static void snapshot(struct emb_table *dst, const struct emb_table *src) {
    memcpy(dst->data, src->data, (size_t)(src->n_rows * src->dim_padded) * sizeof(float));
}

/* A progress report of the given event (train.h): TICK carries the mean
 * loss and the rate since the last one, VALID the new valid MRR. */
static void report(struct trainer *tr, enum emb_train_event ev, double metric) {
    if (!tr->o->progress) return;
    struct emb_train_progress pr = emb_train_progress_init("triples");
    double now = emb_train_now();
    pr.event = ev;
    pr.step = tr->step;
    pr.n_steps = tr->n_steps;
    pr.fraction = (double)tr->step / (double)tr->n_steps;
    pr.elapsed_sec = now - tr->clock.start;
    if (pr.fraction > 0) pr.eta_sec = pr.elapsed_sec * (1 - pr.fraction) / pr.fraction;
    pr.lr = tr->lr;
    pr.epoch = (int32_t)((tr->step > 0 ? tr->step - 1 : 0) / tr->steps_per_epoch) + 1;
    pr.metric = ev == EMB_TRAIN_VALID ? metric : tr->last_mrr >= 0 ? tr->last_mrr : NAN;
    if (tr->best_mrr >= 0) {
        pr.best_metric = tr->best_mrr;
        pr.best_step = tr->best_step;
    }
    if (ev == EMB_TRAIN_TICK) {
        pr.loss = tr->loss_n ? tr->loss_acc / (double)tr->loss_n : NAN;
        pr.rate = now > tr->t_rate ? (double)tr->done_since / (now - tr->t_rate) : NAN;
        tr->t_rate = now;
        tr->loss_acc = 0;
        tr->loss_n = 0;
        tr->done_since = 0;
    }
    tr->o->progress(tr->o->progress_ctx, &pr);
}

/* Validate, keep the best tables; returns 1 when patience ran out. */
static int validate(struct trainer *tr, struct emb_err *err, int *rc) {
    const struct emb_kge_params *p = tr->p;
    double mrr = emb__kge_quick_mrr(tr->m, &tr->known, &tr->kg->valid, p->valid_max ? p->valid_max : 1000, tr->pool,
                                    tr->scores);
    tr->last_mrr = mrr;
    *rc = EMB_OK;
    if (mrr > tr->best_mrr) {
        if (!tr->best_ent && ((*rc = table_like(&tr->best_ent, tr->m->ent, err)) != EMB_OK ||
                              (*rc = table_like(&tr->best_rel, tr->m->rel, err)) != EMB_OK))
            return 1;
        snapshot(tr->best_ent, tr->m->ent);
        snapshot(tr->best_rel, tr->m->rel);
        tr->best_mrr = mrr;
        tr->best_step = tr->step;
        tr->bad_evals = 0;
    } else {
        tr->bad_evals++;
    }
    report(tr, EMB_TRAIN_VALID, mrr);
    return p->patience > 0 && tr->bad_evals >= p->patience;
}

/* Allocate everything a run needs (tr->m is a fresh model). */
static int trainer_setup(struct trainer *tr, struct emb_err *err) {
    const struct emb_kge_params *p = tr->p;
    const struct emb_kg *kg = tr->kg;
    int rc;
    if (tr->o->pool) tr->pool = tr->o->pool;
    else if ((rc = emb_pool_new(&tr->pool, tr->nth, err)) != EMB_OK) return rc;
    tr->rng = emb_calloc((size_t)tr->nth, sizeof *tr->rng);
    tr->cs = emb_calloc((size_t)tr->nth, sizeof *tr->cs);
    tr->loss = emb_calloc((size_t)tr->nth, sizeof *tr->loss);
    tr->perm = emb_alloc((size_t)kg->train.n * sizeof *tr->perm);
    tr->p_head = emb_alloc((size_t)kg->n_relations * sizeof *tr->p_head);
    if (!tr->rng || !tr->cs || !tr->loss || !tr->perm || !tr->p_head) return EMB_ENOMEM;
    if (p->subsampling && (!(tr->wt = emb_alloc((size_t)kg->train.n * sizeof *tr->wt)) ||
                           emb__kge_subsampling_weights(&kg->train, kg->n_relations, tr->wt) != EMB_OK))
        return EMB_ENOMEM;
    if (p->filter_negatives && emb__kge_filter_build(&tr->filter, &kg->train, kg->n_entities, kg->n_relations) != EMB_OK)
        return EMB_ENOMEM;
    for (int i = 0; i < tr->nth; i++) {
        emb_rng_seed(&tr->rng[i], tr->seed, (uint64_t)i);
        if (emb__kge_scratch_new(&tr->cs[i], tr->m, tr->chunk, p->negatives) != EMB_OK) {
            for (int k = 0; k < i; k++) emb__kge_scratch_free(&tr->cs[k]);
            emb_free(tr->cs);
            tr->cs = NULL;
            return EMB_ENOMEM;
        }
    }
    if ((rc = table_like(&tr->e1, tr->m->ent, err)) != EMB_OK || (rc = table_like(&tr->r1, tr->m->rel, err)) != EMB_OK)
        return rc;
    if (p->optimizer == EMB_KGE_OPT_ADAM &&
        ((rc = table_like(&tr->e2, tr->m->ent, err)) != EMB_OK || (rc = table_like(&tr->r2, tr->m->rel, err)) != EMB_OK))
        return rc;
    if (p->neg_sampling == EMB_KGE_NEG_BERNOULLI && emb__kge_bernoulli_probs(kg, tr->p_head) != EMB_OK)
        return EMB_ENOMEM;
    if (p->valid_every > 0 && kg->valid.n > 0 &&
        (emb__kge_tri_build(&tr->known, kg) != EMB_OK || !(tr->scores = emb__kge_score_rows_new(tr->nth, kg->n_entities))))
        return EMB_ENOMEM;
    return EMB_OK;
}

/* One step (a batch, its chunks on the pool); its loss must be finite. */
static int train_step(struct trainer *tr, struct emb_err *err) {
    const struct emb_kge_params *p = tr->p;
    const char *ck = tr->o->checkpoint_path;
    int64_t epoch = tr->step / tr->steps_per_epoch;
    if (epoch != tr->perm_epoch) make_perm(tr, epoch);
    tr->lr = p->lr;
    if (p->lr_drop_at > 0 && tr->step >= (int64_t)(p->lr_drop_at * (double)tr->n_steps)) tr->lr = p->lr * 0.1f;
    emb_pool_run(tr->pool, train_worker, tr);
    int64_t lo = tr->step % tr->steps_per_epoch * p->batch;
    int64_t n_pos = (lo + p->batch < tr->kg->train.n ? lo + p->batch : tr->kg->train.n) - lo;
    double l = 0;
    for (int i = 0; i < tr->nth; i++) l += tr->loss[i];
    l /= (double)n_pos;
    if (!isfinite(l)) {
        if (ck && tr->good_step >= 0)
            return emb_err_set(err, EMB_ENUMERIC,
                               "training diverged (non-finite loss) at step %lld: lower --lr (now %g); last good "
                               "checkpoint %s (step %lld) kept",
                               (long long)tr->step + 1, (double)p->lr, ck, (long long)tr->good_step);
        return emb_err_set(err, EMB_ENUMERIC, "training diverged (non-finite loss) at step %lld: lower --lr (now %g)%s%s%s",
                           (long long)tr->step + 1, (double)p->lr, ck ? "; checkpoint " : "", ck ? ck : "",
                           ck ? " not written" : "");
    }
    tr->loss_acc += l;
    tr->loss_n++;
    tr->done_since += n_pos;
    tr->step++;
    return EMB_OK;
}

/* A periodic checkpoint: a failure to write is a warning (the run goes
 * on), non-finite tables are an error. */
static int periodic_ckpt(struct trainer *tr, struct emb_err *err) {
    struct emb_err ck = {0};
    int rc = ckpt_write(tr, &ck);
    if (rc == EMB_OK) {
        tr->good_step = tr->step;
        report(tr, EMB_TRAIN_CHECKPOINT, NAN);
        return EMB_OK;
    }
    if (rc != EMB_EIO) return emb_err_set(err, rc, "%s", ck.msg);
    if (tr->o->warn) tr->o->warn(tr->o->warn_ctx, emb_err_msg(&ck, rc));
    return EMB_OK;
}

/* The loop: steps until done, stopped, out of patience or failed. */
static int train_loop(struct trainer *tr, struct emb_err *err) {
    const struct emb_train_opts *o = tr->o;
    int rc = EMB_OK, stop_early = 0;
    emb_train_clock_start(&tr->clock, o);
    tr->t_rate = tr->clock.start;
    while (tr->step < tr->n_steps && !stop_early) {
        if (emb_train_stopped(o)) {
            rc = emb_err_set(err, EMB_EINTR, "interrupted at step %lld", (long long)tr->step);
            if (o->checkpoint_path) {
                int wrc = ckpt_write(tr, err);
                if (wrc != EMB_OK) rc = wrc;
            }
            return rc;
        }
        if ((rc = train_step(tr, err)) != EMB_OK) return rc;
        if (o->progress && (emb_train_clock_tick_due(&tr->clock) || tr->step == tr->n_steps))
            report(tr, EMB_TRAIN_TICK, NAN);
        if (tr->scores && tr->step % tr->p->valid_every == 0 && tr->step < tr->n_steps) {
            stop_early = validate(tr, err, &rc);
            if (rc != EMB_OK) return rc;
        }
        if (emb_train_clock_ckpt_due(&tr->clock) && (rc = periodic_ckpt(tr, err)) != EMB_OK) return rc;
    }
    if (emb_table_find_nonfinite(tr->m->ent) >= 0 || emb_table_find_nonfinite(tr->m->rel) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "training diverged (non-finite weights) after step %lld: lower --lr (now %g)",
                           (long long)tr->step, (double)tr->p->lr);
    if (tr->scores) {
        if (!stop_early) validate(tr, err, &rc);
        if (rc != EMB_OK) return rc;
        if (tr->best_ent) {
            snapshot(tr->m->ent, tr->best_ent);
            snapshot(tr->m->rel, tr->best_rel);
        }
    }
    return EMB_OK;
}

int emb_kge_train(const struct emb_kg *kg, const struct emb_kge_params *p, const struct emb_train_opts *o,
                  struct emb_kge **out, struct emb_err *err) {
    *out = NULL;
    int rc = emb_kge_params_check(p, err);
    if (rc == EMB_OK) rc = emb_train_opts_check(o, err);
    if (rc != EMB_OK) return rc;
    if (kg->train.n == 0) return emb_err_set(err, EMB_EEMPTY, "no training triples");
    if (emb_train_threads(o) > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024");
    struct trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.kg = kg;
    tr.p = p;
    tr.o = o;
    tr.seed = o->seed;
    tr.nth = emb_train_threads(o);
    tr.kn = emb__kge_kern_get(p->model, p->simd);
    tr.opt = p->optimizer == EMB_KGE_OPT_ADAGRAD ? emb_optim_adagrad(p->lr) : emb_optim_adam(p->lr);
    tr.opt.simd = emb_simd_resolve(p->simd);
    tr.best_mrr = tr.last_mrr = -1;
    tr.best_step = tr.good_step = -1;
    tr.perm_epoch = -1;
    tr.steps_per_epoch = (kg->train.n + p->batch - 1) / p->batch;
    tr.n_steps = p->steps > 0 ? p->steps : (int64_t)p->epochs * tr.steps_per_epoch;
    int64_t nb = p->batch < kg->train.n ? p->batch : kg->train.n;
    tr.chunk = p->chunk > 0 ? p->chunk : (int)((nb + tr.nth - 1) / tr.nth);
    tr.chunks_per_step = (int)((nb + tr.chunk - 1) / tr.chunk);
    if ((rc = emb_kge_new(&tr.m, kg, p, tr.seed, err)) != EMB_OK) return rc;
    float s0 = p->init_scale > 0 ? p->init_scale : (p->gamma + 2.0f) / (float)p->dim;
    /* RotatE phases: the RotatE code keeps a relation as x in [-s0, s0]
     * and uses phase = x * pi / s0, so its optimiser steps are pi / s0
     * times larger in radians; the same scale here trains the same way. */
    tr.rel_lr_scale = tr.kn.mo->phases ? (float)M_PI / s0 : 1.0f;
    if ((rc = trainer_setup(&tr, err)) == EMB_ENOMEM)
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for training on %d entities", kg->n_entities);
    if (rc == EMB_OK && o->resume && access(o->checkpoint_path, F_OK) != 0)
        rc = emb_err_set(err, EMB_EIO, "cannot resume from %s: %s", o->checkpoint_path, strerror(errno));
    if (rc == EMB_OK && o->resume) rc = ckpt_read(&tr, err);
    if (rc == EMB_OK) rc = train_loop(&tr, err);
    if (rc == EMB_OK) {
        *out = tr.m;
        tr.m = NULL;
    }
    trainer_free(&tr);
    return rc;
}
