/* kg.h -- knowledge-graph datasets: train/valid/test triple files.
 *
 *     struct emb_kg *kg = NULL;
 *     emb_kg_load(&kg, "data/WN18RR", &err);          // train/valid/test
 *     ... kg->train.h[i], kg->train.r[i], kg->train.t[i] ...
 *     emb_kg_free(kg);
 *
 * The models that train on them are in kge.h. */
#ifndef EMB_KG_H
#define EMB_KG_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    /* Valid/test triples with an entity not in train, and relations seen
     * only in valid/test (kept, as the standard protocol does). */
    int64_t valid_unseen, test_unseen;
    int32_t n_unseen_relations;
};

/* Load DIR/{train,valid,test}.{tsv,txt}[.gz] (train required). Lines are
 * head<TAB>relation<TAB>tail; CRLF and surrounding spaces are stripped;
 * blank lines are skipped; any other line without exactly three non-empty
 * fields is EMB_EFORMAT with file and line number. A split file that holds
 * no triples is EMB_EEMPTY; a valid or test split in which every triple has
 * an entity unseen in train is EMB_EINVAL. */
int emb_kg_load(struct emb_kg **out, const char *dir, struct emb_err *err);
void emb_kg_free(struct emb_kg *kg);

#ifdef __cplusplus
}
#endif

#endif
