/* kge.h -- knowledge-graph embeddings: datasets, models, scoring.
 *
 * A knowledge graph is a set of triples (head, relation, tail). A model
 * gives every entity and relation a vector and scores triples so that true
 * ones score higher; missing links are predicted by ranking candidates.
 *
 *     struct emb_kg *kg = NULL;
 *     emb_kg_load(&kg, "data/WN18RR", &err);          // train/valid/test
 *     struct emb_kge_params p = emb_kge_default_params();
 *     p.model = EMB_KGE_ROTATE; p.dim = 500;
 *     struct emb_kge *m = NULL;
 *     emb_kge_train(kg, &p, &m, &err);
 *     float *s = malloc(kg->n_entities * sizeof *s);
 *     emb_kge_score_tails(m, h, r, s);                // s[t] = score(h, r, t)
 *     emb_kge_save(m, "model.kge", &err);
 *
 * Higher scores mean more plausible for every model (distance models
 * return gamma - distance). */
#ifndef EMB_KGE_H
#define EMB_KGE_H

#include <signal.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/table.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- data (src/models/kg.c) ------------------------------------------ */

/* Triples as three parallel id arrays. */
struct emb_triples {
    int64_t n;
    int32_t *h, *r, *t;
};

/* A dataset: ids from the union of the three splits, in first-seen order
 * (train first). entities/relations map names <-> ids. in_train[e] is 1
 * when entity e occurs in train (the standard protocol keeps valid/test
 * triples with unseen entities; they simply rank badly). */
struct emb_kg {
    struct emb_vocab *entities, *relations;
    int32_t n_entities, n_relations;
    struct emb_triples train, valid, test; /* valid/test may have n == 0 */
    uint8_t *in_train;                     /* (n_entities) */
};

/* Load DIR/{train,valid,test}.{tsv,txt}[.gz] (train required). Lines are
 * head<TAB>relation<TAB>tail; CRLF and surrounding spaces are stripped;
 * blank lines are skipped; any other line without exactly three non-empty
 * fields is EMB_EFORMAT with file and line number. */
int emb_kg_load(struct emb_kg **out, const char *dir, struct emb_err *err);
void emb_kg_free(struct emb_kg *kg);

/* ---- models (src/models/kge.c) ---------------------------------------- */

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
};

/* Score of one triple. */
float emb_kge_score(const struct emb_kge *m, int32_t h, int32_t r, int32_t t);
/* out[e] = score(h, r, e) for every entity e (n_entities floats). */
void emb_kge_score_tails(const struct emb_kge *m, int32_t h, int32_t r, float *out);
/* out[e] = score(e, r, t) for every entity e. */
void emb_kge_score_heads(const struct emb_kge *m, int32_t r, int32_t t, float *out);

/* Native model file (magic "EMBKGE\0\0", versioned header with model kind,
 * dims, counts; names; tables). Written atomically. Loading a file of
 * another kind (e.g. a word2vec checkpoint) is EMB_EFORMAT. */
int emb_kge_save(const struct emb_kge *m, const char *path, struct emb_err *err);
int emb_kge_load(struct emb_kge **out, const char *path, struct emb_err *err);
void emb_kge_free(struct emb_kge *m);

#ifdef __cplusplus
}
#endif
#endif
