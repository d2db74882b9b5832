/* kge.h -- knowledge-graph embeddings: models, scoring (datasets: kg.h).
 *
 * A knowledge graph is a set of triples (head, relation, tail). A model
 * gives every entity and relation a vector and scores triples so that true
 * ones score higher; missing links are predicted by ranking candidates.
 *
 *     struct emb_kg *kg = NULL;
 *     emb_kg_load(&kg, "data/WN18RR", &err);          // train/valid/test
 *     struct emb_kge_params p = emb_kge_default_params();
 *     p.model = EMB_KGE_ROTATE; p.dim = 500;
 *     struct emb_train_opts o = emb_train_default_opts(); // threads, seed, checkpoints
 *     struct emb_kge *m = NULL;
 *     emb_kge_train(kg, &p, &o, &m, &err);
 *     float *s = malloc(kg->n_entities * sizeof *s);
 *     emb_kge_score_tails(m, h, r, s);                // s[t] = score(h, r, t)
 *     emb_kge_save(m, "model.kge", &err);
 *
 * Higher scores mean more plausible for every model (distance models
 * return gamma - distance). */
#ifndef EMB_KGE_H
#define EMB_KGE_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/kg.h"
#include "emb/table.h"
#include "emb/train.h"
#include "emb/vec.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- models (src/models/kge.c, one file per model: kge_<name>.c) ------- */

/* Largest --dim accepted (complex models store 2*dim floats a row). */
#define EMB_KGE_MAX_DIM 4096

enum emb_kge_model { EMB_KGE_TRANSE = 0, EMB_KGE_DISTMULT, EMB_KGE_COMPLEX, EMB_KGE_ROTATE };

/* "transe", "distmult", "complex", "rotate"; EMB_EINVAL otherwise. */
int emb_kge_model_parse(const char *name, enum emb_kge_model *out, struct emb_err *err);
const char *emb_kge_model_name(enum emb_kge_model m);

/* A trained model. Complex-valued models (ComplEx, RotatE) store an entity
 * as 2*dim floats: dim real parts then dim imaginary parts. RotatE stores
 * a relation as dim phases (radians). TransE and DistMult use dim floats. */
struct emb_kge {
    enum emb_kge_model model;
    int32_t dim;          /* the --dim the user gave */
    int32_t p_norm;       /* TransE: 1 or 2 */
    float gamma;          /* TransE/RotatE: score = gamma - distance */
    struct emb_table *ent, *rel;
    struct emb_vocab *ent_names, *rel_names; /* owned copies */
    /* Reciprocal relations (Lacroix et al. 2018; LibKGE's
     * reciprocal_relations_model): rel has 2 * n_relations rows, row
     * n_relations + r the inverse of r, and head prediction (?, r, t) is
     * asked as tail prediction (t, r^-1, ?). rel_names holds the
     * n_relations names. */
    int reciprocal;
};

/* Relations the model was trained on (names; half of rel's rows when
 * reciprocal). */
int32_t emb_kge_n_relations(const struct emb_kge *m);
/* Relation row for a head query (?, r, t): r, or its inverse's row. */
int32_t emb_kge_head_rel(const struct emb_kge *m, int32_t r);

/* Score of one triple (the tail-prediction form when reciprocal). */
float emb_kge_score(const struct emb_kge *m, int32_t h, int32_t r, int32_t t);
/* out[e] = score(h, r, e) for every entity e (n_entities floats). */
void emb_kge_score_tails(const struct emb_kge *m, int32_t h, int32_t r, float *out);
/* out[e] = score(e, r, t) for every entity e (reciprocal: score(t, r^-1, e)). */
void emb_kge_score_heads(const struct emb_kge *m, int32_t r, int32_t t, float *out);

/* The query row q (m->ent->dim floats) of (a, r, ?), or of (?, r, a) when
 * head, such that every candidate e scores F(q, e): h + r, h * r, ... (see
 * src/models/kge_model.h). Reciprocal models ask (?, r, a) as
 * (a, r^-1, ?). Used by evaluators that score many candidates at once. */
void emb_kge_query_row(const struct emb_kge *m, int head, int32_t a, int32_t r, float *q);

/* Native model file (magic "EMBKGE\0\0", versioned header with model kind,
 * dims, counts; names; tables). Written atomically, as format 2, with the
 * CRC-32s of io.h's framing: a damaged file is EMB_EFORMAT ("checksum
 * mismatch"). Format 1 files (no checksums) still load. Loading a file of
 * another kind (e.g. a word2vec checkpoint) is EMB_EFORMAT. */
int emb_kge_save(const struct emb_kge *m, const char *path, struct emb_err *err);
int emb_kge_load(struct emb_kge **out, const char *path, struct emb_err *err);
void emb_kge_free(struct emb_kge *m);

/* ---- score and gradient of raw rows ------------------------------------
 * h, t: entity rows (m->ent->dim floats), r: a relation row (m->rel->dim).
 * emb_kge_score_rows is emb_kge_score on rows; emb_kge_grad_rows adds
 * g * d score / d h (and / d r, / d t) to gh, gr, gt (same shapes; any of
 * them may be NULL). Used by tests to check gradients against finite
 * differences, and by anyone who wants to score vectors not in a table. */
float emb_kge_score_rows(const struct emb_kge *m, const float *h, const float *r, const float *t);
void emb_kge_grad_rows(const struct emb_kge *m, const float *h, const float *r, const float *t, float g, float *gh,
                       float *gr, float *gt);

/* A model with randomly initialised tables (from seed) for the entities
 * and relations of kg (names copied): entities uniform in [-s, s),
 * s = p->init_scale or (gamma + 2) / dim as in the RotatE code; RotatE
 * phases uniform in [-pi, pi). */
struct emb_kge_params;
int emb_kge_new(struct emb_kge **out, const struct emb_kg *kg, const struct emb_kge_params *p, uint64_t seed,
                struct emb_err *err);

/* Write the entity vectors in a vector format (emb_vecs_save: word2vec
 * text or binary, npy), one row per entity named as in the dataset.
 * Complex models write 2*dim values (real parts, then imaginary). */
int emb_kge_export_entities(const struct emb_kge *m, const char *path, struct emb_err *err);

/* ---- training (src/models/kge_train.c) ---------------------------------
 *
 * Mini-batches of positive triples in shuffled order; each batch is split
 * into chunks (one per thread by default) and every positive of a chunk is
 * scored against the same `negatives` corrupted entities (head or tail),
 * as PyTorch-BigGraph and DGL-KE do, so a chunk costs small dense products
 * instead of one gather per negative. Each chunk updates the rows it
 * touched (lazy Adam or Adagrad of optim.h) without locks (Hogwild between
 * threads); one thread with a fixed seed is deterministic. Threads, seed,
 * progress, stop, checkpoints and resume follow the trainer contract
 * (train.h): progress reports count steps (unit "triples" for the rate),
 * VALID reports carry the filtered valid MRR as metric. */

enum emb_kge_loss {
    EMB_KGE_LOSS_ADV = 0,  /* self-adversarial negative sampling (RotatE paper) */
    EMB_KGE_LOSS_LOGISTIC, /* softplus: -log s(pos) - mean log s(-neg) */
    EMB_KGE_LOSS_MARGIN,   /* mean max(0, gamma - pos + neg) */
};
enum emb_kge_opt { EMB_KGE_OPT_ADAM = 0, EMB_KGE_OPT_ADAGRAD };
enum emb_kge_reg { EMB_KGE_REG_NONE = 0, EMB_KGE_REG_L2, EMB_KGE_REG_N3 };
enum emb_kge_neg {
    EMB_KGE_NEG_UNIFORM = 0, /* head or tail with probability 1/2 (alternating chunks) */
    EMB_KGE_NEG_BERNOULLI,   /* per relation: corrupt the head w.p. tph / (tph + hpt) */
};

struct emb_kge_params {
    enum emb_kge_model model;    /* ROTATE */
    int32_t dim;                 /* 200 (complex models: complex dimensions) */
    int32_t p_norm;              /* TransE distance: 1 or 2 (1) */
    float gamma;                 /* 12: score offset of TransE/RotatE, margin of the margin loss */
    enum emb_kge_loss loss;      /* ADV */
    float adv_temp;              /* 1.0: self-adversarial temperature alpha */
    int32_t negatives;           /* 256 shared negatives per chunk */
    int32_t batch;               /* 512 positive triples per step */
    int32_t chunk;               /* positives sharing negatives; 0 = batch / threads */
    enum emb_kge_neg neg_sampling; /* UNIFORM */
    enum emb_kge_opt optimizer;  /* ADAM */
    float lr;                    /* 0.001 */
    float lr_drop_at;            /* 0: fraction of the steps after which lr /= 10 (RotatE code: 0.5) */
    enum emb_kge_reg reg;        /* NONE */
    float reg_weight;            /* 0 */
    float init_scale;            /* 0 = (gamma + 2) / dim */
    int reciprocal;              /* 0: inverse relations, head corruption trained as tail (see emb_kge) */
    int subsampling;             /* 0: weigh positives by 1/sqrt(#(h,r) + #(t,r^-1)) (the RotatE code's default) */
    int filter_negatives;        /* 0: leave negatives that are true answers in train out of a positive's loss
                                    (the RotatE code draws them again) */
    int32_t epochs;              /* 50 (ignored when steps > 0) */
    int64_t steps;               /* 0: epochs * ceil(n_train / batch) */
    enum emb_simd simd;          /* AUTO */
    int64_t valid_every;         /* steps between validations; 0 = none */
    int32_t valid_max;           /* valid triples used for it; 0 = all (1000) */
    int32_t patience;            /* validations without improvement before stopping; 0 = never */
};

struct emb_kge_params emb_kge_default_params(void);
int emb_kge_params_check(const struct emb_kge_params *p, struct emb_err *err);
/* "adv", "logistic", "margin" / "adam", "adagrad" / "none", "l2", "n3" /
 * "uniform", "bernoulli"; EMB_EINVAL otherwise. */
int emb_kge_loss_parse(const char *s, enum emb_kge_loss *out, struct emb_err *err);
int emb_kge_opt_parse(const char *s, enum emb_kge_opt *out, struct emb_err *err);
int emb_kge_reg_parse(const char *s, enum emb_kge_reg *out, struct emb_err *err);
int emb_kge_neg_parse(const char *s, enum emb_kge_neg *out, struct emb_err *err);

/* Train on kg->train and return the model in *out (caller frees). With
 * validation (valid_every > 0 and a valid split), the returned model is
 * the one with the best valid MRR (checked every valid_every steps and at
 * the end); patience > 0 also stops training early. A checkpoint holds
 * the settings that shape training (all of p but steps, epochs and the
 * validation intervals, and opts' seed) and a CRC of the train triples;
 * resuming with others is EMB_EINVAL naming the first that differs.
 * Errors: bad params or opts; EMB_EINTR when stopped (a checkpoint is
 * written when opts->checkpoint_path is set); EMB_ENUMERIC when the loss
 * or the tables become non-finite: the message names the step, training
 * stops, and the last checkpoint written (always a finite one) is left as
 * it was. */
int emb_kge_train(const struct emb_kg *kg, const struct emb_kge_params *p, const struct emb_train_opts *opts,
                  struct emb_kge **out, struct emb_err *err);

/* Filtered MRR of m on up to max_triples triples of `eval` (0 = all; the
 * first ones in file order), both directions, ranking against every
 * entity and removing the other true triples of train, valid and test.
 * Ties count half (the mean of optimistic and pessimistic rank). A small
 * evaluator for early stopping; `emb eval kge` has the full one. */
double emb_kge_quick_mrr(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                         int64_t max_triples, int n_threads);
/* The same ranking with Hits@k as well (a rank r counts for Hits@k when
 * r <= k, r = 1 + better + ties/2). Returns EMB_OK, or EMB_ENOMEM. */
struct emb_kge_rank_stats {
    int64_t n_queries; /* 2 per triple */
    double mrr, hits1, hits3, hits10;
};
int emb_kge_quick_eval(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                       int64_t max_triples, int n_threads, struct emb_kge_rank_stats *out, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
