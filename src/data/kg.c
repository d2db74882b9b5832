/* kg.c -- knowledge-graph datasets: train/valid/test triple files.
 *
 * A dataset directory holds train.{tsv,txt}[.gz] and, optionally, valid and
 * test files of the same shape. Each line is head<TAB>relation<TAB>tail.
 *
 * DESIGN: entity and relation ids come from the union of the three splits
 * in first-seen order, train first, so train ids are 0..k-1 for the entities
 * train knows and later ids belong to entities seen only in valid/test. The
 * standard protocol (LibKGE, the RotatE code) keeps valid/test triples with
 * such entities: they get an untrained vector and simply rank badly. We
 * count them (valid_unseen/test_unseen) so front ends can report them, and
 * refuse only a split in which no triple has both entities in train, since
 * evaluating on it measures nothing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emb/io.h"
#include "emb/kg.h"

/* Longest entity or relation name we accept (bytes). */
#define MAX_NAME_BYTES 4096

static int triples_push(struct emb_triples *t, int64_t *cap, int32_t h, int32_t r, int32_t tl) {
    if (t->n == *cap) {
        int64_t nc = *cap ? *cap * 2 : 1024;
        int32_t *nh = emb_realloc(t->h, (size_t)nc * sizeof *nh);
        if (!nh) return EMB_ENOMEM;
        t->h = nh;
        int32_t *nr = emb_realloc(t->r, (size_t)nc * sizeof *nr);
        if (!nr) return EMB_ENOMEM;
        t->r = nr;
        int32_t *nt = emb_realloc(t->t, (size_t)nc * sizeof *nt);
        if (!nt) return EMB_ENOMEM;
        t->t = nt;
        *cap = nc;
    }
    t->h[t->n] = h;
    t->r[t->n] = r;
    t->t[t->n] = tl;
    t->n++;
    return EMB_OK;
}

/* Strip spaces (and a CR) around a field in place; returns its new start. */
static char *trim(char *s, size_t *len) {
    while (*len && (*s == ' ' || *s == '\r' || *s == '\v' || *s == '\f')) s++, (*len)--;
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\r' || s[*len - 1] == '\v' || s[*len - 1] == '\f'))
        (*len)--;
    s[*len] = '\0';
    return s;
}

/* Read one split file into t, adding new names to kg's vocabularies. */
static int read_split(struct emb_kg *kg, const char *path, struct emb_triples *t, struct emb_err *err) {
    struct emb_reader *rd = NULL;
    int rc = emb_reader_open(&rd, path, err);
    if (rc != EMB_OK) return rc;
    int64_t cap = 0, lineno = 0;
    char *line;
    size_t len;
    while ((rc = emb_reader_line(rd, &line, &len, err)) == 1) {
        lineno++;
        if (memchr(line, '\0', len)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: NUL byte (not a text file?)", path, (long long)lineno);
            goto done;
        }
        size_t all = len;
        char *s = trim(line, &all);
        if (all == 0) continue; /* blank line */
        char *f[3];
        size_t fl[3];
        int nf = 0;
        char *p = s, *end = s + all;
        for (;;) {
            char *tab = memchr(p, '\t', (size_t)(end - p));
            size_t l = tab ? (size_t)(tab - p) : (size_t)(end - p);
            if (nf < 3) {
                fl[nf] = l;
                f[nf] = trim(p, &fl[nf]);
            }
            nf++;
            if (!tab) break;
            p = tab + 1;
        }
        if (nf != 3) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 3 tab-separated fields (head, relation, tail), found %d",
                             path, (long long)lineno, nf);
            goto done;
        }
        for (int i = 0; i < 3; i++) {
            if (fl[i] == 0) {
                rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: empty %s field", path, (long long)lineno,
                                 i == 0 ? "head" : i == 1 ? "relation" : "tail");
                goto done;
            }
            if (fl[i] > MAX_NAME_BYTES) {
                rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: name longer than %d bytes", path, (long long)lineno,
                                 MAX_NAME_BYTES);
                goto done;
            }
        }
        int32_t h, r, tl;
        if ((rc = emb_vocab_add(kg->entities, f[0], fl[0], 1, &h, err)) != EMB_OK ||
            (rc = emb_vocab_add(kg->relations, f[1], fl[1], 1, &r, err)) != EMB_OK ||
            (rc = emb_vocab_add(kg->entities, f[2], fl[2], 1, &tl, err)) != EMB_OK)
            goto done;
        if (triples_push(t, &cap, h, r, tl) != EMB_OK) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
            goto done;
        }
    }
    if (rc < 0) goto done;
    rc = t->n ? EMB_OK : emb_err_set(err, EMB_EEMPTY, "%s holds no triples", path);
done:
    emb_reader_close(rd);
    return rc;
}

/* DIR/NAME.{tsv,txt}[.gz] into buf; returns 1 if one exists. */
static int find_split(const char *dir, const char *name, char *buf, size_t n) {
    static const char *const ext[] = {".tsv", ".txt", ".tsv.gz", ".txt.gz"};
    for (int i = 0; i < 4; i++) {
        snprintf(buf, n, "%s/%s%s", dir, name, ext[i]);
        if (access(buf, F_OK) == 0) return 1;
    }
    return 0;
}

static int64_t count_unseen(const struct emb_kg *kg, const struct emb_triples *t) {
    int64_t n = 0;
    for (int64_t i = 0; i < t->n; i++) n += !kg->in_train[t->h[i]] || !kg->in_train[t->t[i]];
    return n;
}

int emb_kg_load(struct emb_kg **out, const char *dir, struct emb_err *err) {
    *out = NULL;
    struct emb_kg *kg = emb_calloc(1, sizeof *kg);
    if (!kg) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    size_t plen = strlen(dir) + 32;
    char *path = emb_alloc(plen);
    int rc = EMB_ENOMEM;
    if (!path) goto nomem;
    if ((rc = emb_vocab_new(&kg->entities, err)) != EMB_OK || (rc = emb_vocab_new(&kg->relations, err)) != EMB_OK)
        goto done;
    if (!find_split(dir, "train", path, plen)) {
        rc = emb_err_set(err, EMB_EIO, "%s: no train.tsv, train.txt (or .gz) in this directory", dir);
        goto done;
    }
    if ((rc = read_split(kg, path, &kg->train, err)) != EMB_OK) goto done;
    int32_t n_train_rel = emb_vocab_size(kg->relations);
    if (find_split(dir, "valid", path, plen) && (rc = read_split(kg, path, &kg->valid, err)) != EMB_OK) goto done;
    if (find_split(dir, "test", path, plen) && (rc = read_split(kg, path, &kg->test, err)) != EMB_OK) goto done;
    kg->n_entities = emb_vocab_size(kg->entities);
    kg->n_relations = emb_vocab_size(kg->relations);
    kg->in_train = emb_calloc((size_t)kg->n_entities, 1);
    if (!kg->in_train) goto nomem;
    for (int64_t i = 0; i < kg->train.n; i++) kg->in_train[kg->train.h[i]] = kg->in_train[kg->train.t[i]] = 1;
    kg->valid_unseen = count_unseen(kg, &kg->valid);
    kg->test_unseen = count_unseen(kg, &kg->test);
    kg->n_unseen_relations = kg->n_relations - n_train_rel;
    if (kg->valid.n && kg->valid_unseen == kg->valid.n) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: every valid triple has an entity that is not in train", dir);
        goto done;
    }
    if (kg->test.n && kg->test_unseen == kg->test.n) {
        rc = emb_err_set(err, EMB_EINVAL, "%s: every test triple has an entity that is not in train", dir);
        goto done;
    }
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory loading %s", dir);
done:
    emb_free(path);
    if (rc != EMB_OK) {
        emb_kg_free(kg);
        return rc;
    }
    *out = kg;
    return EMB_OK;
}

static void triples_free(struct emb_triples *t) {
    emb_free(t->h);
    emb_free(t->r);
    emb_free(t->t);
}

void emb_kg_free(struct emb_kg *kg) {
    if (!kg) return;
    emb_vocab_free(kg->entities);
    emb_vocab_free(kg->relations);
    triples_free(&kg->train);
    triples_free(&kg->valid);
    triples_free(&kg->test);
    emb_free(kg->in_train);
    emb_free(kg);
}
