/* kge.c -- knowledge-graph embeddings: the model table, public scoring,
 * new/free/save/load and the parameters. Each model's math is in its own
 * file behind struct kge_model_ops (kge_model.h); training is in
 * kge_train.c (the loop, optimiser, checkpoints), kge_chunk.c (one chunk's
 * loss and gradients), kge_sample.c (negatives, weights) and kge_eval.c
 * (the quick filtered ranking for early stopping). */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/vecs.h"
#include "kge_internal.h"
#include "kge_model.h"

#define KGE_MAGIC "EMBKGE\0\0"
/* 2: CRC-framed (io.h). Model files of version 1 (no checksums) still
 * load; checkpoints must be version 2. */
#define KGE_VERSION 2u

/* ---- the model table ---------------------------------------------------- */

/* By enum emb_kge_model. Adding a model: its file, its enum value, a line here. */
static const struct kge_model_ops *const models[] = {
    [EMB_KGE_TRANSE] = &emb__kge_transe,
    [EMB_KGE_DISTMULT] = &emb__kge_distmult,
    [EMB_KGE_COMPLEX] = &emb__kge_complex,
    [EMB_KGE_ROTATE] = &emb__kge_rotate,
};
#define N_MODELS ((int)(sizeof models / sizeof *models))

const struct kge_model_ops *emb__kge_model_get(enum emb_kge_model model) {
    return (int)model >= 0 && (int)model < N_MODELS ? models[model] : NULL;
}

struct kge_kern emb__kge_kern_get(enum emb_kge_model model, enum emb_simd want) {
    struct kge_kern k;
    enum emb_simd level = emb_simd_resolve(want);
    memset(&k, 0, sizeof k);
    k.mo = emb__kge_model_get(model);
    k.ops = emb_vec_ops_get(level);
    if (k.mo->dist_kern) k.mo->dist_kern(level, &k.dist);
    return k;
}

/* ---- public scoring ----------------------------------------------------- */

const char *emb_kge_model_name(enum emb_kge_model m) {
    const struct kge_model_ops *mo = emb__kge_model_get(m);
    return mo ? mo->name : "?";
}

int emb_kge_model_parse(const char *name, enum emb_kge_model *out, struct emb_err *err) {
    for (int i = 0; i < N_MODELS; i++)
        if (!strcmp(name, models[i]->name)) {
            *out = (enum emb_kge_model)i;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown model '%s' (transe, distmult, complex, rotate)", name);
}

/* The relation row in the form the query stage uses (rc: 2*dim scratch). */
static const float *rel_prepared(const struct kge_model_ops *mo, int32_t dim, const float *r, float *rc) {
    if (!mo->rel_prepare) return r;
    mo->rel_prepare(dim, r, rc);
    return rc;
}

float emb_kge_score_rows(const struct emb_kge *m, const float *h, const float *r, const float *t) {
    float q[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    struct kge_kern kn = emb__kge_kern_get(m->model, EMB_SIMD_AUTO);
    kn.mo->query(m->dim, 0, h, rel_prepared(kn.mo, m->dim, r, rc), q);
    return kn.mo->match(m, &kn, q, t);
}

void emb_kge_grad_rows(const struct emb_kge *m, const float *h, const float *r, const float *t, float g, float *gh,
                       float *gr, float *gt) {
    float q[2 * EMB_KGE_MAX_DIM], gq[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM], grc[2 * EMB_KGE_MAX_DIM];
    float dh[2 * EMB_KGE_MAX_DIM], dt[2 * EMB_KGE_MAX_DIM], dr[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    struct kge_kern kn = emb__kge_kern_get(m->model, EMB_SIMD_AUTO);
    const struct kge_model_ops *mo = kn.mo;
    const int32_t we = kge_ent_width(mo, m->dim), wr = kge_rel_width(mo, m->dim);
    const float *rp = rel_prepared(mo, m->dim, r, rc);
    mo->query(m->dim, 0, h, rp, q);
    memset(gq, 0, (size_t)we * sizeof *gq);
    memset(dt, 0, (size_t)we * sizeof *dt);
    memset(dh, 0, (size_t)we * sizeof *dh);
    memset(grc, 0, sizeof grc);
    memset(dr, 0, (size_t)wr * sizeof *dr);
    mo->match_grad(m, &kn, q, t, g, gq, dt);
    mo->query_back(m->dim, 0, h, rp, gq, dh, mo->rel_back ? grc : dr);
    if (mo->rel_back) mo->rel_back(m->dim, rp, grc, dr);
    for (int32_t k = 0; k < we; k++) {
        if (gh) gh[k] += dh[k];
        if (gt) gt[k] += dt[k];
    }
    if (gr)
        for (int32_t k = 0; k < wr; k++) gr[k] += dr[k];
}


int32_t emb_kge_n_relations(const struct emb_kge *m) {
    return (int32_t)(m->reciprocal ? m->rel->n_rows / 2 : m->rel->n_rows);
}

int32_t emb_kge_head_rel(const struct emb_kge *m, int32_t r) {
    return m->reciprocal ? r + (int32_t)(m->rel->n_rows / 2) : r;
}

float emb_kge_score(const struct emb_kge *m, int32_t h, int32_t r, int32_t t) {
    return emb_kge_score_rows(m, emb_table_row(m->ent, h), emb_table_row(m->rel, r), emb_table_row(m->ent, t));
}


void emb_kge_query_row(const struct emb_kge *m, int head, int32_t a, int32_t r, float *q) {
    float rc[2 * EMB_KGE_MAX_DIM];
    assert(m->dim >= 1 && m->dim <= EMB_KGE_MAX_DIM);
    const struct kge_model_ops *mo = emb__kge_model_get(m->model);
    if (head && m->reciprocal) {
        r = emb_kge_head_rel(m, r);
        head = 0;
    }
    mo->query(m->dim, head, emb_table_row(m->ent, a), rel_prepared(mo, m->dim, emb_table_row(m->rel, r), rc), q);
}

static void score_all(const struct emb_kge *m, int head, int32_t a, int32_t r, float *out) {
    float q[2 * EMB_KGE_MAX_DIM];
    struct kge_kern kn = emb__kge_kern_get(m->model, EMB_SIMD_AUTO);
    emb_kge_query_row(m, head, a, r, q);
    for (int64_t e = 0; e < m->ent->n_rows; e++) out[e] = kn.mo->match(m, &kn, q, emb_table_row(m->ent, e));
}

void emb_kge_score_tails(const struct emb_kge *m, int32_t h, int32_t r, float *out) { score_all(m, 0, h, r, out); }
void emb_kge_score_heads(const struct emb_kge *m, int32_t r, int32_t t, float *out) { score_all(m, 1, t, r, out); }

/* ---- new / free / save / load ------------------------------------------ */

void emb_kge_free(struct emb_kge *m) {
    if (!m) return;
    emb_table_free(m->ent);
    emb_table_free(m->rel);
    emb_vocab_free(m->ent_names);
    emb_vocab_free(m->rel_names);
    emb_free(m);
}

static int vocab_copy(struct emb_vocab **out, const struct emb_vocab *src, struct emb_err *err) {
    int rc = emb_vocab_new(out, err);
    for (int32_t i = 0; rc == EMB_OK && i < emb_vocab_size(src); i++) {
        const char *w = emb_vocab_word(src, i);
        rc = emb_vocab_add(*out, w, strlen(w), 0, NULL, err);
    }
    return rc;
}

/* An empty model with tables of the right shapes (zeroed). */
static int kge_alloc(struct emb_kge **out, enum emb_kge_model model, int32_t dim, int32_t p_norm, float gamma,
                     int reciprocal, int64_t n_ent, int64_t n_rel, struct emb_err *err) {
    struct emb_kge *m = emb_calloc(1, sizeof *m);
    if (!m) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    m->model = model;
    m->dim = dim;
    m->p_norm = p_norm;
    m->gamma = gamma;
    m->reciprocal = reciprocal != 0;
    int rc = emb_table_new(&m->ent, n_ent, kge_ent_width(emb__kge_model_get(model), dim), err);
    if (rc == EMB_OK) rc = emb_table_new(&m->rel, reciprocal ? 2 * n_rel : n_rel, kge_rel_width(emb__kge_model_get(model), dim), err);
    if (rc != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    *out = m;
    return EMB_OK;
}

int emb_kge_new(struct emb_kge **out, const struct emb_kg *kg, const struct emb_kge_params *p, uint64_t seed,
                struct emb_err *err) {
    *out = NULL;
    int rc = emb_kge_params_check(p, err);
    if (rc != EMB_OK) return rc;
    struct emb_kge *m = NULL;
    if ((rc = kge_alloc(&m, p->model, p->dim, p->p_norm, p->gamma, p->reciprocal, kg->n_entities, kg->n_relations,
                        err)) != EMB_OK)
        return rc;
    if ((rc = vocab_copy(&m->ent_names, kg->entities, err)) != EMB_OK ||
        (rc = vocab_copy(&m->rel_names, kg->relations, err)) != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    float s = p->init_scale > 0 ? p->init_scale : (p->gamma + 2.0f) / (float)p->dim;
    emb_table_init_uniform(m->ent, s, seed);
    emb_table_init_uniform(m->rel, emb__kge_model_get(p->model)->phases ? (float)M_PI : s, seed + 0x9e3779b97f4a7c15ull);
    *out = m;
    return EMB_OK;
}

/* All names of v, NUL-terminated one after the other. */
static char *names_pack(const struct emb_vocab *v, int64_t *n_bytes) {
    int64_t n = 0;
    for (int32_t i = 0; i < emb_vocab_size(v); i++) n += (int64_t)strlen(emb_vocab_word(v, i)) + 1;
    char *b = emb_alloc((size_t)n + 1), *p = b;
    if (!b) return NULL;
    for (int32_t i = 0; i < emb_vocab_size(v); i++) {
        size_t l = strlen(emb_vocab_word(v, i)) + 1;
        memcpy(p, emb_vocab_word(v, i), l);
        p += l;
    }
    *n_bytes = n;
    return b;
}

/* Rows without padding: count (int64) then n_rows * dim floats. */
int emb__kge_write_table(FILE *f, const struct emb_table *t) {
    int64_t n = t->n_rows * t->dim;
    if (fwrite(&n, 8, 1, f) != 1) return EMB_EIO;
    for (int64_t i = 0; i < t->n_rows; i++)
        if (fwrite(emb_table_row(t, i), sizeof(float), (size_t)t->dim, f) != (size_t)t->dim) return EMB_EIO;
    return EMB_OK;
}

int emb__kge_write(const struct emb_kge *m, struct emb_crc_writer *cw, const char magic[8], const char *extra_kv) {
    int64_t eb = 0, rb = 0;
    char *en = names_pack(m->ent_names, &eb), *rn = names_pack(m->rel_names, &rb);
    FILE *f = emb_crc_writer_stream(cw);
    char kv[4096];
    int rc = EMB_ENOMEM;
    if (!en || !rn) goto done;
    snprintf(kv, sizeof kv,
             "kind=kge\nmodel=%s\ndim=%d\np_norm=%d\ngamma=%.9g\nn_entities=%lld\nn_relations=%lld\n"
             "ent_width=%d\nrel_width=%d\nent_name_bytes=%lld\nrel_name_bytes=%lld\nreciprocal=%d\n%s",
             emb_kge_model_name(m->model), m->dim, m->p_norm, m->gamma, (long long)m->ent->n_rows,
             (long long)emb_kge_n_relations(m), m->ent->dim, m->rel->dim, (long long)eb, (long long)rb, m->reciprocal,
             extra_kv ? extra_kv : "");
    rc = EMB_EIO;
    if (emb_write_header_crc(cw, magic, KGE_VERSION, kv) != EMB_OK || emb_write_array(f, en, eb, 1) != EMB_OK ||
        emb_write_array(f, rn, rb, 1) != EMB_OK || emb__kge_write_table(f, m->ent) != EMB_OK || emb__kge_write_table(f, m->rel) != EMB_OK)
        goto done;
    rc = EMB_OK;
done:
    emb_free(en);
    emb_free(rn);
    return rc;
}

int emb_kge_save(const struct emb_kge *m, const char *path, struct emb_err *err) {
    if (emb_table_find_nonfinite(m->ent) >= 0 || emb_table_find_nonfinite(m->rel) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "the model holds non-finite values; not saved");
    struct emb_outfile *o = NULL;
    int rc = emb_outfile_open(&o, path, err);
    if (rc != EMB_OK) return rc;
    struct emb_crc_writer *cw = NULL;
    if ((rc = emb_crc_writer_open(&cw, emb_outfile_stream(o))) != EMB_OK ||
        (rc = emb__kge_write(m, cw, KGE_MAGIC, NULL)) != EMB_OK || (rc = emb_crc_writer_close(cw, 1), cw = NULL, rc)) {
        emb_crc_writer_close(cw, 0);
        emb_outfile_abort(o);
        return rc == EMB_ENOMEM ? emb_err_set(err, rc, "out of memory writing %s", path)
                                : emb_err_set(err, rc, "cannot write %s", path);
    }
    return emb_outfile_commit(o, err);
}

/* Read an array of n elements (count checked) into a buffer that grows
 * with the bytes actually read, so a corrupt count cannot make us
 * allocate more than the file holds. *out: caller frees (emb_free). */
int emb__kge_read_grow(struct emb_reader *r, int64_t n, size_t elem_bytes, void **out, const char *what,
                       struct emb_err *err) {
    *out = NULL;
    int64_t c;
    if (emb_reader_read(r, &c, 8, NULL, NULL) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated before %s", emb_reader_path(r), what);
    if (c != n)
        return emb_err_set(err, EMB_EFORMAT, "%s: %s has %lld elements, expected %lld", emb_reader_path(r), what,
                           (long long)c, (long long)n);
    size_t total = (size_t)n * elem_bytes, have = 0, cap = 0;
    char *buf = NULL;
    while (have < total || !buf) {
        size_t want = total - have < (1u << 20) ? total - have : (1u << 20);
        if (have + want > cap) {
            size_t nc = cap ? cap * 2 : (1u << 16);
            while (nc < have + want) nc *= 2;
            if (nc > total + 1) nc = total + 1;
            char *nb = emb_realloc(buf, nc);
            if (!nb) {
                emb_free(buf);
                return emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", what);
            }
            buf = nb;
            cap = nc;
        }
        if (want && emb_reader_read(r, buf + have, want, NULL, NULL) != EMB_OK) {
            emb_free(buf);
            return emb_err_set(err, EMB_EFORMAT, "%s: truncated in %s", emb_reader_path(r), what);
        }
        have += want;
    }
    *out = buf;
    return EMB_OK;
}

static int names_unpack(struct emb_vocab **out, const char *b, int64_t n_bytes, int64_t n, const char *what,
                        const char *path, struct emb_err *err) {
    int rc = emb_vocab_new(out, err);
    if (rc != EMB_OK) return rc;
    const char *p = b, *end = b + n_bytes;
    for (int64_t i = 0; i < n; i++) {
        const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
        if (!z || z == p || emb_vocab_find(*out, p, (size_t)(z - p)) >= 0)
            return emb_err_set(err, EMB_EFORMAT, "%s: corrupt %s names at %lld", path, what, (long long)i);
        if ((rc = emb_vocab_add(*out, p, (size_t)(z - p), 0, NULL, err)) != EMB_OK) return rc;
        p = z + 1;
    }
    if (p != end) return emb_err_set(err, EMB_EFORMAT, "%s: corrupt %s names (size)", path, what);
    return EMB_OK;
}

int emb__kge_read_table(struct emb_reader *r, struct emb_table *t, const char *what, struct emb_err *err) {
    float *buf = NULL;
    int rc = emb__kge_read_grow(r, t->n_rows * t->dim, sizeof(float), (void **)&buf, what, err);
    if (rc != EMB_OK) return rc;
    for (int64_t i = 0; i < t->n_rows; i++)
        memcpy(emb_table_row(t, i), buf + i * t->dim, (size_t)t->dim * sizeof(float));
    emb_free(buf);
    if (emb_table_find_nonfinite(t) >= 0)
        return emb_err_set(err, EMB_ENUMERIC, "%s: %s hold non-finite values", emb_reader_path(r), what);
    return EMB_OK;
}

int emb__kge_read(struct emb_kge **out, struct emb_reader *r, const char magic[8], char **kv_out,
                  struct emb_err *err) {
    *out = NULL;
    const char *path = emb_reader_path(r);
    struct emb_kge *m = NULL;
    char *kv = NULL, *en = NULL, *rn = NULL;
    uint32_t version;
    int rc = emb_read_header_crc(r, magic, 2, KGE_VERSION, &version, &kv, err);
    if (rc != EMB_OK) return rc;
    if (version < 2 && memcmp(magic, KGE_MAGIC, 8) != 0) {
        emb_free(kv);
        return emb_err_set(err, EMB_EFORMAT,
                           "%s: checkpoint format %u (without checksums) is no longer read; start the run afresh",
                           path, version);
    }
    char name[32];
    enum emb_kge_model model = EMB_KGE_TRANSE;
    double dim, p_norm, gamma, n_ent, n_rel, ew, rw, eb, rb, recip = 0;
    if (!emb_kv_get(kv, "kind", name, sizeof name) || strcmp(name, "kge")) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: not a knowledge-graph model", path);
        goto done;
    }
    if (!emb_kv_get(kv, "model", name, sizeof name) || emb_kge_model_parse(name, &model, NULL) != EMB_OK) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: unknown model kind", path);
        goto done;
    }
    if ((rc = emb_kv_double(kv, "dim", 1, EMB_KGE_MAX_DIM, &dim, path, err)) ||
        (rc = emb_kv_double(kv, "p_norm", 1, 2, &p_norm, path, err)) ||
        (rc = emb_kv_double(kv, "gamma", -1e30, 1e30, &gamma, path, err)) ||
        (rc = emb_kv_double(kv, "n_entities", 1, INT32_MAX, &n_ent, path, err)) ||
        (rc = emb_kv_double(kv, "n_relations", 1, INT32_MAX, &n_rel, path, err)) ||
        (rc = emb_kv_double(kv, "ent_width", 1, 2 * EMB_KGE_MAX_DIM, &ew, path, err)) ||
        (rc = emb_kv_double(kv, "rel_width", 1, 2 * EMB_KGE_MAX_DIM, &rw, path, err)) ||
        (rc = emb_kv_double(kv, "ent_name_bytes", 2 * n_ent, 1e15, &eb, path, err)) ||
        (rc = emb_kv_double(kv, "rel_name_bytes", 2 * n_rel, 1e15, &rb, path, err)))
        goto done;
    const struct kge_model_ops *mo = emb__kge_model_get(model);
    /* absent in files from before reciprocal relations: 0 */
    if (emb_kv_get(kv, "reciprocal", name, sizeof name) &&
        (rc = emb_kv_double(kv, "reciprocal", 0, 1, &recip, path, err)) != EMB_OK)
        goto done;
    if (dim != floor(dim) || p_norm != floor(p_norm) || recip != floor(recip) ||
        (int32_t)ew != kge_ent_width(mo, (int32_t)dim) || (int32_t)rw != kge_rel_width(mo, (int32_t)dim)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: table widths do not match the model", path);
        goto done;
    }
    /* Names first: they bound the entity count by the bytes really present
     * before any table is allocated. */
    if ((rc = emb__kge_read_grow(r, (int64_t)eb, 1, (void **)&en, "entity names", err)) != EMB_OK ||
        (rc = emb__kge_read_grow(r, (int64_t)rb, 1, (void **)&rn, "relation names", err)) != EMB_OK)
        goto done;
    if ((rc = kge_alloc(&m, model, (int32_t)dim, (int32_t)p_norm, (float)gamma, recip != 0, (int64_t)n_ent,
                        (int64_t)n_rel, err)) != EMB_OK)
        goto done;
    if ((rc = names_unpack(&m->ent_names, en, (int64_t)eb, (int64_t)n_ent, "entity", path, err)) != EMB_OK ||
        (rc = names_unpack(&m->rel_names, rn, (int64_t)rb, (int64_t)n_rel, "relation", path, err)) != EMB_OK)
        goto done;
    if ((rc = emb__kge_read_table(r, m->ent, "entity vectors", err)) != EMB_OK ||
        (rc = emb__kge_read_table(r, m->rel, "relation vectors", err)) != EMB_OK)
        goto done;
done:
    emb_free(en);
    emb_free(rn);
    if (rc != EMB_OK) {
        emb_free(kv);
        emb_kge_free(m);
        return rc;
    }
    if (kv_out)
        *kv_out = kv;
    else
        emb_free(kv);
    *out = m;
    return EMB_OK;
}

int emb_kge_load(struct emb_kge **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    struct emb_kge *m = NULL;
    if ((rc = emb__kge_read(&m, r, KGE_MAGIC, NULL, err)) == EMB_OK && (rc = emb_read_trailer_crc(r, err)) != EMB_OK) {
        emb_kge_free(m);
        m = NULL;
    }
    emb_reader_close(r);
    *out = m;
    return rc;
}

int emb_kge_export_entities(const struct emb_kge *m, const char *path, struct emb_err *err) {
    return emb_vecs_save(m->ent_names, m->ent, path, EMB_FMT_AUTO, NULL, err);
}

/* ---- params ------------------------------------------------------------- */

struct emb_kge_params emb_kge_default_params(void) {
    struct emb_kge_params p;
    memset(&p, 0, sizeof p);
    p.model = EMB_KGE_ROTATE;
    p.dim = 200;
    p.p_norm = 1;
    p.gamma = 12.0f;
    p.loss = EMB_KGE_LOSS_ADV;
    p.adv_temp = 1.0f;
    p.negatives = 256;
    p.batch = 512;
    p.chunk = 0;
    p.neg_sampling = EMB_KGE_NEG_UNIFORM;
    p.optimizer = EMB_KGE_OPT_ADAM;
    p.lr = 0.001f;
    p.lr_drop_at = 0.0f;
    p.reg = EMB_KGE_REG_NONE;
    p.epochs = 50;
    p.simd = EMB_SIMD_AUTO;
    p.valid_max = 1000;
    return p;
}

int emb_kge_params_check(const struct emb_kge_params *p, struct emb_err *err) {
    if (!emb__kge_model_get(p->model)) return emb_err_set(err, EMB_EINVAL, "unknown model");
    if (p->dim < 1 || p->dim > EMB_KGE_MAX_DIM)
        return emb_err_set(err, EMB_EINVAL, "dim must be in 1..%d, got %d", EMB_KGE_MAX_DIM, p->dim);
    if (p->p_norm != 1 && p->p_norm != 2) return emb_err_set(err, EMB_EINVAL, "p-norm must be 1 or 2, got %d", p->p_norm);
    if (!isfinite(p->gamma) || fabsf(p->gamma) > 1e6f) return emb_err_set(err, EMB_EINVAL, "margin (gamma) must be finite and at most 1e6");
    if ((int)p->loss < 0 || p->loss > EMB_KGE_LOSS_MARGIN) return emb_err_set(err, EMB_EINVAL, "unknown loss");
    if (!(p->adv_temp >= 0) || p->adv_temp > 100) return emb_err_set(err, EMB_EINVAL, "adversarial temperature must be in [0, 100]");
    if (p->negatives < 1 || p->negatives > 100000)
        return emb_err_set(err, EMB_EINVAL, "negatives must be in 1..100000, got %d", p->negatives);
    if (p->batch < 1 || p->batch > 1000000) return emb_err_set(err, EMB_EINVAL, "batch must be in 1..1000000, got %d", p->batch);
    if (p->chunk < 0 || p->chunk > p->batch) return emb_err_set(err, EMB_EINVAL, "chunk must be in 0..batch, got %d", p->chunk);
    if ((int)p->neg_sampling < 0 || p->neg_sampling > EMB_KGE_NEG_BERNOULLI)
        return emb_err_set(err, EMB_EINVAL, "unknown negative sampling");
    if ((int)p->optimizer < 0 || p->optimizer > EMB_KGE_OPT_ADAGRAD) return emb_err_set(err, EMB_EINVAL, "unknown optimiser");
    if (!(p->lr > 0) || !isfinite(p->lr)) return emb_err_set(err, EMB_EINVAL, "learning rate must be positive and finite");
    if (!(p->lr_drop_at >= 0 && p->lr_drop_at <= 1)) return emb_err_set(err, EMB_EINVAL, "lr drop point must be in [0, 1]");
    if ((int)p->reg < 0 || p->reg > EMB_KGE_REG_N3) return emb_err_set(err, EMB_EINVAL, "unknown regulariser");
    if (!(p->reg_weight >= 0) || !isfinite(p->reg_weight)) return emb_err_set(err, EMB_EINVAL, "regularisation weight must be >= 0");
    if (!(p->init_scale >= 0) || !isfinite(p->init_scale)) return emb_err_set(err, EMB_EINVAL, "init scale must be >= 0");
    if (p->steps < 0 || (p->steps == 0 && (p->epochs < 1 || p->epochs > 1000000)))
        return emb_err_set(err, EMB_EINVAL, "need epochs in 1..1000000 or steps > 0");
    if (p->valid_every < 0 || p->valid_max < 0 || p->patience < 0)
        return emb_err_set(err, EMB_EINVAL, "validation interval, size and patience must be >= 0");
    return EMB_OK;
}

static int parse_name(const char *s, const char *const *names, int n, int *out, const char *what,
                      struct emb_err *err) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown %s '%s'", what, s);
}

int emb_kge_loss_parse(const char *s, enum emb_kge_loss *out, struct emb_err *err) {
    static const char *const n[] = {"adv", "logistic", "margin"};
    int v = 0, rc = parse_name(s, n, 3, &v, "loss (adv, logistic, margin)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_loss)v;
    return rc;
}
int emb_kge_opt_parse(const char *s, enum emb_kge_opt *out, struct emb_err *err) {
    static const char *const n[] = {"adam", "adagrad"};
    int v = 0, rc = parse_name(s, n, 2, &v, "optimiser (adam, adagrad)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_opt)v;
    return rc;
}
int emb_kge_reg_parse(const char *s, enum emb_kge_reg *out, struct emb_err *err) {
    static const char *const n[] = {"none", "l2", "n3"};
    int v = 0, rc = parse_name(s, n, 3, &v, "regulariser (none, l2, n3)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_reg)v;
    return rc;
}
int emb_kge_neg_parse(const char *s, enum emb_kge_neg *out, struct emb_err *err) {
    static const char *const n[] = {"uniform", "bernoulli"};
    int v = 0, rc = parse_name(s, n, 2, &v, "negative sampling (uniform, bernoulli)", err);
    if (rc == EMB_OK) *out = (enum emb_kge_neg)v;
    return rc;
}

