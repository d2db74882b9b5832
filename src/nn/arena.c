/* arena.c -- parameters in one block, saved in the CRC-framed native
 * format (arena.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emb/arena.h"
#include "emb/io.h"

#define ARENA_MAGIC "EMBARENA"
#define ARENA_VERSION 1

void emb_arena_init(struct emb_arena *a) { memset(a, 0, sizeof *a); }

void emb_arena_free(struct emb_arena *a) {
    emb_free(a->p);
    emb_free_aligned(a->mem);
    memset(a, 0, sizeof *a);
}

struct emb_arena_param *emb_arena_get(struct emb_arena *a, const char *name) {
    for (int i = 0; i < a->n_params; i++)
        if (!strcmp(a->p[i].name, name)) return &a->p[i];
    return NULL;
}

int emb_arena_add(struct emb_arena *a, const char *name, int64_t rows, int64_t cols, struct emb_err *err) {
    size_t len = strlen(name);
    if (len == 0 || len >= EMB_ARENA_NAME_MAX || strchr(name, '\n'))
        return emb_err_set(err, EMB_EINVAL, "parameter name '%s' must be 1 to %d characters on one line", name,
                           EMB_ARENA_NAME_MAX - 1);
    if (a->mem) return emb_err_set(err, EMB_EINVAL, "parameter '%s' declared after the arena was allocated", name);
    if (rows < 1 || cols < 1 || rows > INT64_MAX / 4 / cols)
        return emb_err_set(err, EMB_EINVAL, "parameter '%s': bad shape %lld x %lld", name, (long long)rows,
                           (long long)cols);
    if (emb_arena_get(a, name)) return emb_err_set(err, EMB_EDUP, "parameter '%s' declared twice", name);
    if (a->n_params == a->cap) {
        int cap = a->cap ? 2 * a->cap : 16;
        struct emb_arena_param *p = emb_realloc(a->p, (size_t)cap * sizeof *p);
        if (!p) return emb_err_set(err, EMB_ENOMEM, "out of memory");
        a->p = p, a->cap = cap;
    }
    struct emb_arena_param *p = &a->p[a->n_params++];
    memset(p, 0, sizeof *p);
    memcpy(p->name, name, len + 1);
    p->rows = rows, p->cols = cols, p->n = rows * cols;
    return EMB_OK;
}

/* Each parameter starts on a 64-byte boundary (16 floats). */
static int64_t padded(int64_t n) { return (n + 15) & ~(int64_t)15; }

int emb_arena_alloc(struct emb_arena *a, int with_state, struct emb_err *err) {
    if (a->mem) return emb_err_set(err, EMB_EINVAL, "the arena is already allocated");
    int64_t total = 0;
    for (int i = 0; i < a->n_params; i++) total += padded(a->p[i].n);
    int kinds = with_state ? 4 : 2;
    a->mem = emb_alloc_aligned((size_t)(total > 0 ? total : 1) * (size_t)kinds * sizeof(float));
    if (!a->mem) return emb_err_set(err, EMB_ENOMEM, "out of memory for %lld parameters", (long long)total);
    memset(a->mem, 0, (size_t)total * (size_t)kinds * sizeof(float));
    a->n_floats = total;
    a->with_state = with_state;
    int64_t at = 0;
    for (int i = 0; i < a->n_params; i++) {
        struct emb_arena_param *p = &a->p[i];
        p->w = a->mem + at;
        p->g = a->mem + total + at;
        p->m = with_state ? a->mem + 2 * total + at : NULL;
        p->v = with_state ? a->mem + 3 * total + at : NULL;
        at += padded(p->n);
    }
    return EMB_OK;
}

void emb_arena_zero_grad(struct emb_arena *a) {
    if (a->mem) memset(a->mem + a->n_floats, 0, (size_t)a->n_floats * sizeof(float));
}

void emb_arena_step(struct emb_arena *a, struct emb_optim *o) {
    /* One contiguous range covers every parameter (padding has zero
     * gradient and state, so it never moves). */
    struct emb_optim_param t = {a->mem, a->mem + a->n_floats, a->with_state ? a->mem + 2 * a->n_floats : NULL,
                                a->with_state ? a->mem + 3 * a->n_floats : NULL, a->n_floats};
    emb_optim_step(o, &t, 1);
}

static int finite_all(const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

int emb_arena_save(const struct emb_arena *a, const struct emb_optim *o, const char *path, const char *kv,
                   struct emb_err *err) {
    if (!a->mem) return emb_err_set(err, EMB_EINVAL, "the arena is not allocated");
    int state = a->with_state && o;
    for (int i = 0; i < a->n_params; i++) {
        const struct emb_arena_param *p = &a->p[i];
        if (!finite_all(p->w, p->n) || (state && (!finite_all(p->m, p->n) || !finite_all(p->v, p->n))))
            return emb_err_set(err, EMB_ENUMERIC, "parameter '%s' holds non-finite values: not saved to %s", p->name,
                               path);
    }
    size_t klen = kv ? strlen(kv) : 0;
    char *text = emb_alloc(klen + 128);
    if (!text) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    snprintf(text, klen + 128, "n_params=%d\nstate=%d\nstep=%lld\n%s", a->n_params, state,
             (long long)(state ? o->step : 0), kv ? kv : "");
    struct emb_outfile *out = NULL;
    struct emb_crc_writer *cw = NULL;
    int rc = emb_outfile_open(&out, path, err);
    if (rc != EMB_OK) {
        emb_free(text);
        return rc;
    }
    rc = EMB_EIO;
    if (emb_crc_writer_open(&cw, emb_outfile_stream(out)) != EMB_OK) goto done;
    FILE *f = emb_crc_writer_stream(cw);
    if (emb_write_header_crc(cw, ARENA_MAGIC, ARENA_VERSION, text) != EMB_OK) goto done;
    for (int i = 0; i < a->n_params; i++) {
        const struct emb_arena_param *p = &a->p[i];
        int64_t shape[2] = {p->rows, p->cols};
        if (emb_write_array(f, p->name, (int64_t)strlen(p->name), 1) != EMB_OK ||
            emb_write_array(f, shape, 2, sizeof *shape) != EMB_OK || emb_write_array(f, p->w, p->n, 4) != EMB_OK)
            goto done;
        if (state && (emb_write_array(f, p->m, p->n, 4) != EMB_OK || emb_write_array(f, p->v, p->n, 4) != EMB_OK))
            goto done;
    }
    rc = emb_crc_writer_close(cw, 1);
    cw = NULL;
    if (rc != EMB_OK) goto done;
    rc = emb_outfile_commit(out, err);
    out = NULL;
done:
    emb_crc_writer_close(cw, 0);
    if (out) {
        emb_outfile_abort(out);
        rc = emb_err_set(err, rc, "cannot write %s", path);
    }
    emb_free(text);
    return rc;
}

int emb_arena_load(struct emb_arena *a, struct emb_optim *o, const char *path, char **kv_out, struct emb_err *err) {
    if (kv_out) *kv_out = NULL;
    if (!a->mem) return emb_err_set(err, EMB_EINVAL, "the arena is not allocated");
    struct emb_reader *r = NULL;
    char *kv = NULL;
    uint32_t version;
    long long n_params = 0, state = 0, step = 0;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_read_header_crc(r, ARENA_MAGIC, ARENA_VERSION, ARENA_VERSION, &version, &kv, err)) != EMB_OK ||
        (rc = emb_kv_ll(kv, "n_params", 0, 1 << 20, &n_params, path, err)) != EMB_OK ||
        (rc = emb_kv_ll(kv, "state", 0, 1, &state, path, err)) != EMB_OK ||
        (rc = emb_kv_ll(kv, "step", 0, INT64_MAX, &step, path, err)) != EMB_OK)
        goto done;
    if (n_params != a->n_params) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s holds %lld parameters, this model has %d", path, n_params,
                         a->n_params);
        goto done;
    }
    for (int i = 0; i < a->n_params; i++) {
        struct emb_arena_param *p = &a->p[i];
        char name[EMB_ARENA_NAME_MAX] = {0};
        int64_t len = (int64_t)strlen(p->name), shape[2];
        /* the name's length is part of the array's count: a different
         * name length is refused by emb_read_array before any copy */
        if ((rc = emb_read_array(r, name, len, 1, "a parameter name", err)) != EMB_OK) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: parameter %d is not '%s'", path, i + 1, p->name);
            goto done;
        }
        if (memcmp(name, p->name, (size_t)len) != 0) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: parameter %d is '%.*s', this model expects '%s'", path, i + 1,
                             (int)len, name, p->name);
            goto done;
        }
        if ((rc = emb_read_array(r, shape, 2, sizeof *shape, "a parameter shape", err)) != EMB_OK) goto done;
        if (shape[0] != p->rows || shape[1] != p->cols) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: parameter '%s' is %lld x %lld, this model has %lld x %lld", path,
                             p->name, (long long)shape[0], (long long)shape[1], (long long)p->rows,
                             (long long)p->cols);
            goto done;
        }
        if ((rc = emb_read_array(r, p->w, p->n, 4, p->name, err)) != EMB_OK) goto done;
        if (state) {
            float *m = a->with_state ? p->m : NULL, *v = a->with_state ? p->v : NULL, *tmp = NULL;
            if (!m) { /* state in the file, none in the arena: read past it */
                tmp = emb_alloc((size_t)p->n * 4);
                if (!tmp) {
                    rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
                    goto done;
                }
                m = v = tmp;
            }
            rc = emb_read_array(r, m, p->n, 4, p->name, err);
            if (rc == EMB_OK) rc = emb_read_array(r, v, p->n, 4, p->name, err);
            emb_free(tmp);
            if (rc != EMB_OK) goto done;
        }
        if (!finite_all(p->w, p->n) || (state && a->with_state && (!finite_all(p->m, p->n) || !finite_all(p->v, p->n)))) {
            rc = emb_err_set(err, EMB_ENUMERIC, "%s: parameter '%s' holds non-finite values", path, p->name);
            goto done;
        }
    }
    if ((rc = emb_read_trailer_crc(r, err)) != EMB_OK) goto done;
    if (a->with_state && !state) /* values only: the optimiser starts afresh */
        memset(a->mem + 2 * a->n_floats, 0, 2 * (size_t)a->n_floats * sizeof(float));
    if (a->with_state && o) o->step = state ? step : 0;
    if (kv_out) *kv_out = kv, kv = NULL;
done:
    emb_free(kv);
    emb_reader_close(r);
    return rc;
}
