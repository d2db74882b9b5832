/* api.c -- the JSON endpoints of the HTTP service (libemb_serve), and the
 * route table the HTTP layer (http.c) answers through.
 *
 * Each handler reads its parameters (query string or JSON body), checks
 * them, asks the library, and builds a json-c object. The answers are the
 * same numbers `emb neighbors`, `emb analogy` and `emb similarity` print for
 * the same file: words are looked up the same way (exact, else ASCII
 * lower case; a query with spaces is a phrase, the sum of its unit
 * vectors) and the exact search is the same scan (emb_query_*_r, the
 * reentrant form). With --index, neighbours and raw-vector search go
 * through emb_index_search instead.
 *
 * Statuses: 400 for bad or missing parameters and bad JSON (a repeated
 * key included), 404 for an unknown word, 500 when the library fails (out
 * of memory). A query vector of zeros has no direction: cosine and inner
 * product give every row the score 0, so the answer would be arbitrary
 * words; it is a 400 unless the index ranks by L2 distance. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "emb/eval.h"
#include "emb/index.h"
#include "emb/map.h"
#include "emb/vecs.h"
#include "serve_internal.h"

/* Deepest JSON nesting a body may have (ours are two levels deep). */
#define JSON_MAX_DEPTH 16

/* ---- JSON helpers ------------------------------------------------------------ */

static struct json_object *jword(const struct serve_model *m, int64_t id) {
    const char *w = emb_query_word(m->q, id);
    return emb__serve_jstr(w, strlen(w));
}

/* Floats with round-trip precision, as `emb neighbors --json` prints them. */
static struct json_object *jfloat(float x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", (double)x);
    return json_object_new_double_s((double)x, buf);
}

/* A list of {"word", "score"} for n results. */
static struct json_object *jresults(const struct serve_model *m, const int64_t *ids, const float *scores, int n) {
    struct json_object *a = json_object_new_array_ext(n);
    for (int i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "word", jword(m, ids[i]));
        json_object_object_add(o, "score", jfloat(scores[i]));
        json_object_array_add(a, o);
    }
    return a;
}

/* ---- parameters --------------------------------------------------------------- */

/* Integer parameter `key` in [lo, hi], *v = def when absent. Returns 0, or
 * the 400 status with *out set. */
static int param_int(const struct serve_params *p, const char *key, long long lo, long long hi, long long def,
                     long long *v, struct json_object **out) {
    const char *s = emb__serve_param(p, key, NULL);
    if (!s) {
        *v = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || errno || isspace((unsigned char)*s))
        return emb__serve_error(out, 400, "parameter '%s' must be an integer, got '%.40s'", key, s);
    if (x < lo || x > hi) return emb__serve_error(out, 400, "parameter '%s' must be between %lld and %lld", key, lo, hi);
    *v = x;
    return 0;
}

/* A required, non-empty string parameter. */
static int param_str(const struct serve_params *p, const char *key, const char **s, size_t *len,
                     struct json_object **out) {
    *s = emb__serve_param(p, key, len);
    if (!*s) return emb__serve_error(out, 400, "missing parameter '%s'", key);
    if (!*len) return emb__serve_error(out, 400, "parameter '%s' is empty", key);
    return 0;
}

/* Keys in the JSON text s (n bytes, already parsed as valid JSON): the
 * strings followed by ':'. */
static size_t count_text_keys(const char *s, size_t n) {
    size_t keys = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"') continue;
        for (i++; i < n && s[i] != '"'; i++)
            if (s[i] == '\\') i++; /* skip the escaped byte (\" and \\ included) */
        size_t j = i + 1;
        while (j < n && isspace((unsigned char)s[j])) j++;
        if (j < n && s[j] == ':') keys++;
    }
    return keys;
}

/* Keys in the parsed tree. */
static size_t count_tree_keys(struct json_object *o) {
    size_t keys = 0;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v) {
            (void)k;
            keys += 1 + count_tree_keys(v);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) keys += count_tree_keys(json_object_array_get_idx(o, i));
    }
    return keys;
}

/* Parse the request body as one JSON object. Returns 0 with *obj owned by
 * the caller, or the 400 status with *out set. */
static int parse_body(const struct serve_req *r, struct json_object **obj, struct json_object **out) {
    *obj = NULL;
    if (!r->body_len) return emb__serve_error(out, 400, "a JSON body is required");
    struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok) return emb__serve_error(out, 500, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (e == json_tokener_continue) {
        json_object_put(o);
        return emb__serve_error(out, 400, "bad JSON: the body ends early");
    }
    if (!o || e != json_tokener_success) {
        json_object_put(o);
        return emb__serve_error(out, 400, "bad JSON: %s", json_tokener_error_desc(e));
    }
    while (end < r->body_len && isspace((unsigned char)r->body[end])) end++;
    if (end != r->body_len) {
        json_object_put(o);
        return emb__serve_error(out, 400, "bad JSON: text after the value");
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return emb__serve_error(out, 400, "the body must be a JSON object");
    }
    /* json-c keeps the last of repeated keys; a key seen twice in the
     * text is missing from the tree, so the counts differ exactly when a
     * key repeats. Which one would count? Refuse, as for repeated query
     * parameters. */
    if (count_text_keys(r->body, r->body_len) != count_tree_keys(o)) {
        json_object_put(o);
        return emb__serve_error(out, 400, "bad JSON: a key appears twice in one object");
    }
    *obj = o;
    return 0;
}

/* Integer field of a body object, like param_int. */
static int field_int(struct json_object *o, const char *key, long long lo, long long hi, long long def,
                     long long *v, struct json_object **out) {
    struct json_object *f;
    if (!json_object_object_get_ex(o, key, &f) || json_object_is_type(f, json_type_null)) {
        *v = def;
        return 0;
    }
    if (!json_object_is_type(f, json_type_int)) return emb__serve_error(out, 400, "field '%s' must be an integer", key);
    long long x = (long long)json_object_get_int64(f);
    if (x < lo || x > hi) return emb__serve_error(out, 400, "field '%s' must be between %lld and %lld", key, lo, hi);
    *v = x;
    return 0;
}

/* Required non-empty string field. */
static int field_str(struct json_object *o, const char *key, const char **s, size_t *len, struct json_object **out) {
    struct json_object *f;
    if (!json_object_object_get_ex(o, key, &f)) return emb__serve_error(out, 400, "missing field '%s'", key);
    if (!json_object_is_type(f, json_type_string)) return emb__serve_error(out, 400, "field '%s' must be a string", key);
    *s = json_object_get_string(f);
    *len = (size_t)json_object_get_string_len(f);
    if (!*len) return emb__serve_error(out, 400, "field '%s' is empty", key);
    if (memchr(*s, '\0', *len)) return emb__serve_error(out, 400, "field '%s' holds a NUL", key);
    return 0;
}

/* ---- lookup and search ---------------------------------------------------------- */

/* Row of a word, or -1; the same rule as the CLI (exact, else lower case). */
static int32_t find_word(const struct serve_model *m, const char *w, size_t n) {
    return emb_query_find(m->q, w, n);
}

/* The query vector for text (n bytes): the unit row of the word, or, when
 * the text is not a word but holds spaces, the sum of the unit rows of its
 * words (a phrase, as `emb neighbors` and word2vec's distance tool do).
 * vec: (dim) output; ids/n_ids: the rows used (to exclude from answers).
 * Returns 0, or 404 (unknown word) / 400 (too many words) with *out set. */
static int query_vector(const struct serve_model *m, const char *text, size_t n, float *vec, int32_t *ids,
                        int *n_ids, struct json_object **out) {
    int32_t dim = emb_query_dim(m->q);
    int32_t id = find_word(m, text, n);
    if (id >= 0) {
        memcpy(vec, emb_query_row(m->q, id), (size_t)dim * sizeof *vec);
        ids[0] = id;
        *n_ids = 1;
        return 0;
    }
    if (!memchr(text, ' ', n)) return emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(n > 80 ? 80 : n), text);
    memset(vec, 0, (size_t)dim * sizeof *vec);
    int k = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && text[i] == ' ') i++;
        size_t j = i;
        while (j < n && text[j] != ' ') j++;
        if (j == i) break;
        if (k == SERVE_MAX_PHRASE) return emb__serve_error(out, 400, "a phrase may hold at most %d words", SERVE_MAX_PHRASE);
        int32_t w = find_word(m, text + i, j - i);
        if (w < 0) return emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(j - i > 80 ? 80 : j - i), text + i);
        const float *row = emb_query_row(m->q, w);
        for (int32_t d = 0; d < dim; d++) vec[d] += row[d];
        ids[k++] = w;
        i = j;
    }
    if (k == 0) return emb__serve_error(out, 400, "the query holds no word");
    *n_ids = k;
    return 0;
}

/* 1 when a search for vec (dim floats) ranks nothing: all zeros, and the
 * scores are cosine or inner product (L2 distance still ranks). */
static int no_direction(const struct serve_model *m, const float *vec, int32_t dim) {
    if (m->ix && emb_index_metric(m->ix) == EMB_METRIC_L2) return 0;
    for (int32_t d = 0; d < dim; d++)
        if (vec[d] != 0) return 0;
    return 1;
}

static int is_excluded(int64_t id, const int32_t *ex, int n_ex) {
    for (int i = 0; i < n_ex; i++)
        if (ex[i] == id) return 1;
    return 0;
}

/* The k best rows for vec (dim floats) other than those in ex. With an
 * index, asks it for k + n_ex and drops the excluded ones. Returns the
 * count, or a negative EMB_E* status. */
static int search(const struct serve_model *m, const float *vec, int k, const int32_t *ex, int n_ex, int64_t *ids,
                  float *scores, struct emb_err *err) {
    if (!m->ix) return emb_query_neighbors_r(m->q, vec, k, ex, n_ex, ids, scores, err);
    int want = k + n_ex;
    int64_t *tid = malloc((size_t)want * sizeof *tid);
    float *tsc = malloc((size_t)want * sizeof *tsc);
    int rc = EMB_ENOMEM;
    if (!tid || !tsc) {
        emb_err_set(err, rc, "out of memory");
        goto done;
    }
    rc = emb_index_search(m->ix, vec, want, 0, tid, tsc, err);
    if (rc < 0) goto done;
    int n = 0;
    int64_t rows = emb_query_size(m->q);
    for (int i = 0; i < rc && n < k; i++) {
        if (tid[i] < 0 || tid[i] >= rows || is_excluded(tid[i], ex, n_ex)) continue;
        ids[n] = tid[i];
        scores[n++] = tsc[i];
    }
    rc = n;
done:
    free(tid);
    free(tsc);
    return rc;
}

/* ---- endpoints ------------------------------------------------------------------ */

static int api_neighbors(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)r;
    const char *q;
    size_t qn;
    long long k;
    int st;
    if ((st = param_str(p, "q", &q, &qn, out)) || (st = param_int(p, "k", 1, m->max_k, 10, &k, out))) return st;
    int32_t ex[SERVE_MAX_PHRASE];
    int n_ex = 0;
    float *vec = malloc((size_t)emb_query_dim(m->q) * sizeof *vec);
    int64_t *ids = malloc((size_t)k * sizeof *ids);
    float *scores = malloc((size_t)k * sizeof *scores);
    if (!vec || !ids || !scores) {
        st = emb__serve_error(out, 500, "out of memory");
        goto done;
    }
    if ((st = query_vector(m, q, qn, vec, ex, &n_ex, out))) goto done;
    if (no_direction(m, vec, emb_query_dim(m->q))) {
        st = emb__serve_error(out, 400, "the query's vector is all zeros: it has no direction to rank by");
        goto done;
    }
    /* An inner-product or L2 index ranks raw vectors: ask with the word's
     * own vector rather than its unit copy. */
    if (m->ix && n_ex == 1 && emb_index_metric(m->ix) != EMB_METRIC_COSINE)
        memcpy(vec, emb_table_row(m->vecs->table, ex[0]), (size_t)emb_query_dim(m->q) * sizeof *vec);
    struct emb_err err = {0};
    int n = search(m, vec, (int)k, ex, n_ex, ids, scores, &err);
    if (n < 0) {
        st = emb__serve_error(out, 500, "%s", emb_err_msg(&err, n));
        goto done;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "query", emb__serve_jstr(q, qn));
    json_object_object_add(o, "k", json_object_new_int((int)k));
    json_object_object_add(o, "neighbors", jresults(m, ids, scores, n));
    *out = o;
    st = 200;
done:
    free(vec);
    free(ids);
    free(scores);
    return st;
}

static int api_similarity(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)r;
    const char *a, *b;
    size_t an, bn;
    int st;
    if ((st = param_str(p, "a", &a, &an, out)) || (st = param_str(p, "b", &b, &bn, out))) return st;
    int32_t ia = find_word(m, a, an), ib = find_word(m, b, bn);
    if (ia < 0) return emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(an > 80 ? 80 : an), a);
    if (ib < 0) return emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(bn > 80 ? 80 : bn), b);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "a", emb__serve_jstr(a, an));
    json_object_object_add(o, "b", emb__serve_jstr(b, bn));
    json_object_object_add(o, "similarity", jfloat(emb_query_similarity(m->q, ia, ib)));
    *out = o;
    return 200;
}

static int api_analogy(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)p;
    struct json_object *body;
    int st = parse_body(r, &body, out);
    if (st) return st;
    const char *w[3];
    size_t wn[3];
    int32_t id[3];
    long long k;
    enum emb_analogy_method method = EMB_ANALOGY_ADD;
    static const char *const names[3] = {"a", "b", "c"};
    int64_t *ids = NULL;
    float *scores = NULL;
    for (int i = 0; i < 3; i++)
        if ((st = field_str(body, names[i], &w[i], &wn[i], out))) goto done;
    if ((st = field_int(body, "k", 1, m->max_k, 10, &k, out))) goto done;
    struct json_object *f;
    if (json_object_object_get_ex(body, "method", &f) && !json_object_is_type(f, json_type_null)) {
        if (!json_object_is_type(f, json_type_string) ||
            emb_analogy_method_parse(json_object_get_string(f), &method, NULL) != EMB_OK) {
            st = emb__serve_error(out, 400, "field 'method' must be \"add\" or \"mul\"");
            goto done;
        }
    }
    for (int i = 0; i < 3; i++)
        if ((id[i] = find_word(m, w[i], wn[i])) < 0) {
            st = emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(wn[i] > 80 ? 80 : wn[i]), w[i]);
            goto done;
        }
    ids = malloc((size_t)k * sizeof *ids);
    scores = malloc((size_t)k * sizeof *scores);
    if (!ids || !scores) {
        st = emb__serve_error(out, 500, "out of memory");
        goto done;
    }
    struct emb_err err = {0};
    int n = emb_query_analogy_r(m->q, id[0], id[1], id[2], method, (int)k, ids, scores, &err);
    if (n < 0) {
        st = emb__serve_error(out, 500, "%s", emb_err_msg(&err, n));
        goto done;
    }
    struct json_object *o = json_object_new_object();
    for (int i = 0; i < 3; i++) json_object_object_add(o, names[i], emb__serve_jstr(w[i], wn[i]));
    json_object_object_add(o, "method", json_object_new_string(method == EMB_ANALOGY_MUL ? "mul" : "add"));
    json_object_object_add(o, "k", json_object_new_int((int)k));
    json_object_object_add(o, "answers", jresults(m, ids, scores, n));
    *out = o;
    st = 200;
done:
    json_object_put(body);
    free(ids);
    free(scores);
    return st;
}

static int api_vector(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)r;
    const char *q;
    size_t qn;
    int st = param_str(p, "q", &q, &qn, out);
    if (st) return st;
    int32_t id = find_word(m, q, qn);
    if (id < 0) return emb__serve_error(out, 404, "'%.*s' is not in the vocabulary", (int)(qn > 80 ? 80 : qn), q);
    const struct emb_table *t = m->vecs->table;
    const float *row = emb_table_row(t, id);
    struct json_object *v = json_object_new_array_ext(t->dim);
    for (int32_t d = 0; d < t->dim; d++) json_object_array_add(v, jfloat(row[d]));
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "word", jword(m, id));
    json_object_object_add(o, "id", json_object_new_int(id));
    json_object_object_add(o, "vector", v);
    *out = o;
    return 200;
}

static int api_search(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)p;
    struct json_object *body, *arr;
    int st = parse_body(r, &body, out);
    if (st) return st;
    int32_t dim = emb_query_dim(m->q);
    long long k;
    float *vec = NULL;
    int64_t *ids = NULL;
    float *scores = NULL;
    if ((st = field_int(body, "k", 1, m->max_k, 10, &k, out))) goto done;
    if (!json_object_object_get_ex(body, "vector", &arr)) {
        st = emb__serve_error(out, 400, "missing field 'vector'");
        goto done;
    }
    if (!json_object_is_type(arr, json_type_array) || (int64_t)json_object_array_length(arr) != dim) {
        st = emb__serve_error(out, 400, "field 'vector' must be an array of %d numbers", dim);
        goto done;
    }
    vec = malloc((size_t)dim * sizeof *vec);
    ids = malloc((size_t)k * sizeof *ids);
    scores = malloc((size_t)k * sizeof *scores);
    if (!vec || !ids || !scores) {
        st = emb__serve_error(out, 500, "out of memory");
        goto done;
    }
    for (int32_t d = 0; d < dim; d++) {
        struct json_object *x = json_object_array_get_idx(arr, (size_t)d);
        double v = json_object_get_double(x);
        if (!(json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)) ||
            !isfinite(v) || !isfinite((float)v)) {
            st = emb__serve_error(out, 400, "vector[%d] is not a finite float", d);
            goto done;
        }
        vec[d] = (float)v;
    }
    if (no_direction(m, vec, dim)) {
        st = emb__serve_error(out, 400, "field 'vector' is all zeros: it has no direction to rank by");
        goto done;
    }
    struct emb_err err = {0};
    int n = search(m, vec, (int)k, NULL, 0, ids, scores, &err);
    if (n < 0) {
        st = emb__serve_error(out, n == EMB_EINVAL || n == EMB_ENUMERIC ? 400 : 500, "%s", emb_err_msg(&err, n));
        goto done;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "k", json_object_new_int((int)k));
    json_object_object_add(o, "neighbors", jresults(m, ids, scores, n));
    *out = o;
    st = 200;
done:
    json_object_put(body);
    free(vec);
    free(ids);
    free(scores);
    return st;
}

/* Compute the map once (first caller), under the lock. */
static int map_ready(struct serve_model *m, struct emb_err *err) {
    int rc = EMB_OK;
    pthread_mutex_lock(&m->map_lock);
    if (m->map_state == 0) {
        m->map_xy = malloc((size_t)m->map_size * 2 * sizeof *m->map_xy);
        if (!m->map_xy) rc = EMB_ENOMEM;
        else if (m->vecs->table->dim >= 2) rc = emb_map_pca(m->vecs->table, m->map_size, 2, m->map_xy, err);
        else {
            /* One dimension: the map is a line, x the centred value, y 0. */
            rc = emb_map_pca(m->vecs->table, m->map_size, 1, m->map_xy, err);
            for (int64_t i = m->map_size - 1; rc == EMB_OK && i >= 0; i--) {
                m->map_xy[2 * i] = m->map_xy[i];
                m->map_xy[2 * i + 1] = 0;
            }
        }
        m->map_state = rc == EMB_OK ? 1 : -1;
        if (rc != EMB_OK) {
            free(m->map_xy);
            m->map_xy = NULL;
        }
    } else if (m->map_state < 0) {
        rc = emb_err_set(err, EMB_EINVAL, "the map could not be computed");
    }
    pthread_mutex_unlock(&m->map_lock);
    return rc;
}

static int api_map(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)r;
    long long n;
    int st = param_int(p, "n", 1, m->map_size, m->map_size < 1000 ? m->map_size : 1000, &n, out);
    if (st) return st;
    struct emb_err err = {0};
    int rc = map_ready(m, &err);
    if (rc != EMB_OK) return emb__serve_error(out, 500, "map: %s", emb_err_msg(&err, rc));
    struct json_object *words = json_object_new_array_ext((int)n), *xs = json_object_new_array_ext((int)n),
                       *ys = json_object_new_array_ext((int)n);
    for (long long i = 0; i < n; i++) {
        json_object_array_add(words, jword(m, i));
        json_object_array_add(xs, jfloat(m->map_xy[2 * i]));
        json_object_array_add(ys, jfloat(m->map_xy[2 * i + 1]));
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "n", json_object_new_int((int)n));
    json_object_object_add(o, "method", json_object_new_string("pca"));
    json_object_object_add(o, "words", words);
    json_object_object_add(o, "x", xs);
    json_object_object_add(o, "y", ys);
    *out = o;
    return 200;
}

static int api_info(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)p;
    (void)r;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "model", emb__serve_jstr(m->name, strlen(m->name)));
    json_object_object_add(o, "count", json_object_new_int64(emb_query_size(m->q)));
    json_object_object_add(o, "dim", json_object_new_int(emb_query_dim(m->q)));
    struct json_object *ix = NULL;
    if (m->ix) {
        ix = json_object_new_object();
        json_object_object_add(ix, "type", json_object_new_string(emb_index_type_name(emb_index_type(m->ix))));
        json_object_object_add(ix, "metric", json_object_new_string(emb_index_metric_name(emb_index_metric(m->ix))));
    }
    json_object_object_add(o, "index", ix);
    json_object_object_add(o, "threads", json_object_new_int(m->n_threads));
    json_object_object_add(o, "max_k", json_object_new_int(m->max_k));
    json_object_object_add(o, "max_body", json_object_new_int64((int64_t)m->max_body));
    json_object_object_add(o, "map_size", json_object_new_int64(m->map_size));
    *out = o;
    return 200;
}

/* ---- completion ------------------------------------------------------------------ */

static int cmp_words(const void *x, const void *y, void *ctx) {
    const struct serve_model *m = ctx;
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    int c = strcmp(emb_query_word(m->q, a), emb_query_word(m->q, b));
    return c ? c : (a > b) - (a < b);
}

int emb__serve_model_prepare(struct serve_model *m) {
    int64_t n = emb_query_size(m->q);
    m->by_word = malloc((size_t)(n > 0 ? n : 1) * sizeof *m->by_word);
    if (!m->by_word) return EMB_ENOMEM;
    for (int64_t i = 0; i < n; i++) m->by_word[i] = (int32_t)i;
    qsort_r(m->by_word, (size_t)n, sizeof *m->by_word, cmp_words, m);
    pthread_mutex_init(&m->map_lock, NULL);
    return EMB_OK;
}

void emb__serve_model_release(struct serve_model *m) {
    free(m->by_word);
    free(m->map_xy);
    pthread_mutex_destroy(&m->map_lock);
}

/* Words starting with prefix, most frequent (lowest row) first: a binary
 * search finds the block of words with the prefix in byte order, and a
 * small sorted list keeps the n lowest rows in it. */
static int api_complete(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    struct serve_model *m = ctx;
    (void)r;
    size_t pn;
    const char *prefix = emb__serve_param(p, "prefix", &pn);
    long long n;
    if (!prefix) return emb__serve_error(out, 400, "missing parameter 'prefix'");
    int st = param_int(p, "n", 1, SERVE_MAX_COMPLETE, 10, &n, out);
    if (st) return st;
    int64_t rows = emb_query_size(m->q), lo = 0, hi = rows;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (strncmp(emb_query_word(m->q, m->by_word[mid]), prefix, pn) < 0) lo = mid + 1;
        else hi = mid;
    }
    int32_t best[SERVE_MAX_COMPLETE];
    int nb = 0;
    for (int64_t i = lo; i < rows && !strncmp(emb_query_word(m->q, m->by_word[i]), prefix, pn); i++) {
        int32_t id = m->by_word[i];
        if (nb == n && id > best[nb - 1]) continue;
        int j = nb < n ? nb++ : nb - 1;
        while (j > 0 && best[j - 1] > id) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = id;
    }
    struct json_object *words = json_object_new_array_ext(nb);
    for (int i = 0; i < nb; i++) json_object_array_add(words, jword(m, best[i]));
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "prefix", emb__serve_jstr(prefix, pn));
    json_object_object_add(o, "words", words);
    *out = o;
    return 200;
}

static int api_health(void *ctx, const struct serve_params *p, const struct serve_req *r,
                      struct json_object **out) {
    (void)ctx;
    (void)p;
    (void)r;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    *out = o;
    return 200;
}

/* ---- the route table -------------------------------------------------------------- */

const struct serve_route emb__serve_routes[] = {
    {"/v1/neighbors", SERVE_GET, api_neighbors, NULL, NULL, NULL},
    {"/v1/similarity", SERVE_GET, api_similarity, NULL, NULL, NULL},
    {"/v1/analogy", SERVE_POST, api_analogy, NULL, NULL, NULL},
    {"/v1/vector", SERVE_GET, api_vector, NULL, NULL, NULL},
    {"/v1/search", SERVE_POST, api_search, NULL, NULL, NULL},
    {"/v1/map", SERVE_GET, api_map, NULL, NULL, NULL},
    {"/v1/info", SERVE_GET, api_info, NULL, NULL, NULL},
    {"/v1/complete", SERVE_GET, api_complete, NULL, NULL, NULL},
    {"/healthz", SERVE_GET, api_health, NULL, NULL, NULL},
    {"/", SERVE_GET, NULL, emb__serve_web_index_html, &emb__serve_web_index_html_len, "text/html; charset=utf-8"},
    {"/app.js", SERVE_GET, NULL, emb__serve_web_app_js, &emb__serve_web_app_js_len, "text/javascript; charset=utf-8"},
};
const size_t emb__serve_n_routes = sizeof emb__serve_routes / sizeof emb__serve_routes[0];
