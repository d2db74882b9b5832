/* query.c -- exact nearest-neighbour and analogy queries over word vectors.
 *
 * DESIGN: emb_query_new copies the table once with every row scaled to unit
 * length, so a cosine is a plain dot product and a query is one pass over
 * the rows with the exact top-k kernel (emb_topk_scan, vec.h). The pass is
 * split into contiguous slices, one per pool thread; each slice keeps its
 * own top-k heap and the caller merges the heaps. Excluded words are the
 * kernel's skip list, checked only for scores that would enter a heap.
 *
 * This is the flat (exact) search: fine up to a few million rows, and the
 * reference that approximate indexes are measured against. */
#include <math.h>
#include <string.h>

#include "emb/eval.h"
#include "emb/pool.h"
#include "emb/vec.h"

struct emb_query {
    const struct emb_vecs *vecs; /* borrowed: words */
    struct emb_table *unit;      /* (n, dim) unit-length copy of vecs->table */
    struct emb_vec_ops ops;      /* kernels chosen once */
    struct emb_pool *pool;
    float *target;               /* (dim_padded) scratch: the normalised query */
};

/* Below this many rows per thread a scan is not worth waking the pool. */
#define MIN_ROWS_PER_THREAD 8192
/* Rows scored per block of 3CosMul scores (on the stack). */
#define SCAN_BLOCK 64

int emb_analogy_method_parse(const char *name, enum emb_analogy_method *out, struct emb_err *err) {
    if (!strcmp(name, "add") || !strcmp(name, "3cosadd") || !strcmp(name, "3CosAdd")) {
        *out = EMB_ANALOGY_ADD;
        return EMB_OK;
    }
    if (!strcmp(name, "mul") || !strcmp(name, "3cosmul") || !strcmp(name, "3CosMul")) {
        *out = EMB_ANALOGY_MUL;
        return EMB_OK;
    }
    return emb_err_set(err, EMB_EINVAL, "unknown analogy method '%s' (expected add or mul)", name);
}

const char *emb_analogy_method_name(enum emb_analogy_method m) { return m == EMB_ANALOGY_MUL ? "3CosMul" : "3CosAdd"; }

/* ---- building --------------------------------------------------------- */

struct norm_job {
    struct emb_table *t;
    const struct emb_vec_ops *ops;
};

static void norm_slice(void *ctx, int ith, int nth) {
    struct norm_job *j = ctx;
    int64_t n = j->t->n_rows, per = (n + nth - 1) / nth;
    int64_t lo = per * ith, hi = lo + per < n ? lo + per : n;
    /* Padding is zero, so normalising the padded row is the same as the
     * (dim) row and keeps the SIMD kernels on whole registers. */
    for (int64_t i = lo; i < hi; i++) emb_vec_normalize(j->ops, j->t->dim_padded, emb_table_row(j->t, i));
}

int emb_query_new(struct emb_query **out, const struct emb_vecs *vecs, int n_threads, struct emb_err *err) {
    *out = NULL;
    if (!vecs || !vecs->vocab || !vecs->table)
        return emb_err_set(err, EMB_EINVAL, "query index needs a vocabulary and a table");
    if (n_threads < 1) return emb_err_set(err, EMB_EINVAL, "thread count must be at least 1, got %d", n_threads);
    const struct emb_table *src = vecs->table;
    if (emb_vocab_size(vecs->vocab) > src->n_rows)
        return emb_err_set(err, EMB_EINVAL, "vocabulary has %d words but the table only %lld rows",
                           emb_vocab_size(vecs->vocab), (long long)src->n_rows);
    int rc = EMB_ENOMEM;
    struct emb_query *q = emb_calloc(1, sizeof *q);
    if (!q) goto nomem;
    q->vecs = vecs;
    q->ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    /* Only rows that have a word are searchable. */
    int64_t n = emb_vocab_size(vecs->vocab);
    if ((rc = emb_table_new(&q->unit, n, src->dim, err)) != EMB_OK) goto done;
    if (n > 0) memcpy(q->unit->data, src->data, (size_t)n * (size_t)src->dim_padded * sizeof(float));
    q->target = emb_alloc_aligned((size_t)src->dim_padded * sizeof(float));
    if (!q->target) goto nomem;
    if ((rc = emb_pool_new(&q->pool, n_threads, err)) != EMB_OK) goto done;
    struct norm_job job = {q->unit, &q->ops};
    emb_pool_run(q->pool, norm_slice, &job);
    *out = q;
    return EMB_OK;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory building the query index");
done:
    emb_query_free(q);
    return rc;
}

void emb_query_free(struct emb_query *q) {
    if (!q) return;
    emb_pool_free(q->pool);
    emb_table_free(q->unit);
    emb_free_aligned(q->target);
    emb_free(q);
}

int64_t emb_query_size(const struct emb_query *q) { return q->unit->n_rows; }
int32_t emb_query_dim(const struct emb_query *q) { return q->unit->dim; }
const float *emb_query_row(const struct emb_query *q, int64_t id) { return emb_table_row(q->unit, id); }
const char *emb_query_word(const struct emb_query *q, int64_t id) { return emb_vocab_word(q->vecs->vocab, (int32_t)id); }

int32_t emb_query_find(const struct emb_query *q, const char *word, size_t len) {
    int32_t id = emb_vocab_find(q->vecs->vocab, word, len);
    if (id >= 0 || len == 0) return id;
    size_t i = 0;
    while (i < len && !(word[i] >= 'A' && word[i] <= 'Z')) i++;
    if (i == len) return -1; /* nothing to fold */
    /* Fold into a stack buffer; longer words are not worth an allocation
     * (vocabularies cut tokens at EMB_MAX_TOKEN_BYTES anyway). */
    char buf[1024];
    if (len > sizeof buf) return -1;
    for (i = 0; i < len; i++) buf[i] = (word[i] >= 'A' && word[i] <= 'Z') ? (char)(word[i] - 'A' + 'a') : word[i];
    return emb_vocab_find(q->vecs->vocab, buf, len);
}

float emb_query_similarity(const struct emb_query *q, int32_t a, int32_t b) {
    return q->ops.dot(q->unit->dim_padded, emb_table_row(q->unit, a), emb_table_row(q->unit, b));
}

/* ---- the scan ----------------------------------------------------------- */

enum scan_mode {
    SCAN_COS,    /* score = row . t[0] (t[0] unit length) */
    SCAN_COSMUL, /* score = 3CosMul with t = {a, b, c} */
};

struct scan_job {
    const struct emb_query *q;
    enum scan_mode mode;
    const float *t[3];        /* (dim_padded) each */
    const int32_t *exclude;   /* (n_exclude) */
    int n_exclude;
    int k;                    /* heap capacity per thread */
    int64_t *ids;             /* (nth, k) */
    float *scores;            /* (nth, k) */
    int *n_found;             /* (nth) */
};

/* cos' = (cos + 1) / 2 maps cosines into [0, 1] so products stay monotone. */
static float cosmul(float ca, float cb, float cc) {
    float a = (ca + 1.0f) * 0.5f, b = (cb + 1.0f) * 0.5f, c = (cc + 1.0f) * 0.5f;
    return (b * c) / (a + EMB_COSMUL_EPS);
}

static void scan_slice(void *ctx, int ith, int nth) {
    struct scan_job *j = ctx;
    const struct emb_table *u = j->q->unit;
    const struct emb_vec_ops *ops = &j->q->ops;
    int64_t n = u->n_rows, per = (n + nth - 1) / nth;
    int64_t lo = per * ith, hi = lo + per < n ? lo + per : n;
    struct emb_topk tk;
    emb_topk_init(&tk, j->k, j->ids + (int64_t)ith * j->k, j->scores + (int64_t)ith * j->k);
    struct emb_topk_rows rows = {.data = u->data, .n_rows = n, .dim = u->dim, .stride = u->dim_padded,
                                 .skip_ids = j->exclude, .n_skip_ids = j->n_exclude};
    if (j->mode == SCAN_COS) {
        emb_topk_scan(ops, &rows, lo, hi, &j->t[0], 1, NULL, 0, &tk);
    } else {
        /* 3CosMul: each row is loaded once for its three cosines. */
        float out[SCAN_BLOCK], three[3];
        for (int64_t b = lo; b < hi; b += SCAN_BLOCK) {
            int m = hi - b < SCAN_BLOCK ? (int)(hi - b) : SCAN_BLOCK;
            for (int i = 0; i < m; i++) {
                ops->dot_many(u->dim_padded, emb_table_row(u, b + i), 3, j->t, three);
                out[i] = cosmul(three[0], three[1], three[2]);
            }
            emb_topk_offer(&tk, &rows, -1, b, out, m);
        }
    }
    j->n_found[ith] = tk.n;
}

/* Run the scan and merge the per-thread heaps into ids/scores (k, best
 * first). pool NULL scans on the calling thread. Returns the count or a
 * negative status. */
static int scan_run(const struct emb_query *q, struct emb_pool *pool, struct scan_job *j, int k, int64_t *ids,
                    float *scores, struct emb_err *err) {
    int64_t n = q->unit->n_rows;
    if (k <= 0 || n == 0) return 0;
    if (k > n) k = (int)n;
    int nth = pool ? emb_pool_size(pool) : 1;
    if (n < (int64_t)MIN_ROWS_PER_THREAD * 2) nth = 1;
    j->q = q;
    j->k = k;
    j->ids = emb_alloc((size_t)nth * (size_t)k * sizeof *j->ids);
    j->scores = emb_alloc((size_t)nth * (size_t)k * sizeof *j->scores);
    j->n_found = emb_alloc((size_t)nth * sizeof *j->n_found);
    int rc;
    if (!j->ids || !j->scores || !j->n_found) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for a top-%d query", k);
        goto done;
    }
    if (nth == 1)
        scan_slice(j, 0, 1);
    else
        emb_pool_run(pool, scan_slice, j);
    /* Merge: each thread's heap holds its slice's best k, so the best k
     * overall are among them. */
    struct emb_topk all;
    emb_topk_init(&all, k, ids, scores);
    for (int t = 0; t < nth; t++)
        for (int i = 0; i < j->n_found[t]; i++)
            emb_topk_push(&all, j->ids[(int64_t)t * k + i], j->scores[(int64_t)t * k + i]);
    rc = emb_topk_sorted(&all);
done:
    emb_free(j->ids);
    emb_free(j->scores);
    emb_free(j->n_found);
    return rc;
}

/* Normalise vec into target: (dim_padded), padding zeroed. */
static int set_target(const struct emb_query *q, const float *vec, float *target, struct emb_err *err) {
    int32_t dim = q->unit->dim;
    memset(target, 0, (size_t)q->unit->dim_padded * sizeof(float));
    memcpy(target, vec, (size_t)dim * sizeof(float));
    for (int32_t i = 0; i < dim; i++)
        if (!isfinite(target[i])) return emb_err_set(err, EMB_ENUMERIC, "query vector has a non-finite value");
    emb_vec_normalize(&q->ops, q->unit->dim_padded, target);
    return EMB_OK;
}

static int neighbors(const struct emb_query *q, struct emb_pool *pool, float *target, const float *vec, int k,
                     const int32_t *exclude, int n_exclude, int64_t *ids, float *scores, struct emb_err *err) {
    if (n_exclude < 0 || (n_exclude > 0 && !exclude))
        return emb_err_set(err, EMB_EINVAL, "bad exclusion list");
    int rc = set_target(q, vec, target, err);
    if (rc != EMB_OK) return rc;
    struct scan_job j = {.mode = SCAN_COS, .t = {target}, .exclude = exclude, .n_exclude = n_exclude};
    return scan_run(q, pool, &j, k, ids, scores, err);
}

static int analogy(const struct emb_query *q, struct emb_pool *pool, float *target, int32_t a, int32_t b, int32_t c,
                   enum emb_analogy_method method, int k, int64_t *ids, float *scores, struct emb_err *err) {
    int64_t n = q->unit->n_rows;
    if (a < 0 || a >= n || b < 0 || b >= n || c < 0 || c >= n)
        return emb_err_set(err, EMB_EINVAL, "analogy word id out of range");
    int32_t ex[3] = {a, b, c};
    const float *ua = emb_table_row(q->unit, a), *ub = emb_table_row(q->unit, b), *uc = emb_table_row(q->unit, c);
    struct scan_job j = {.exclude = ex, .n_exclude = 3};
    if (method == EMB_ANALOGY_MUL) {
        j.mode = SCAN_COSMUL;
        j.t[0] = ua;
        j.t[1] = ub;
        j.t[2] = uc;
    } else {
        /* 3CosAdd: cos(d, b - a + c) ranks like cos(d,b) - cos(d,a) + cos(d,c)
         * because the rows are unit length. */
        int32_t dp = q->unit->dim_padded;
        for (int32_t i = 0; i < dp; i++) target[i] = ub[i] - ua[i] + uc[i];
        emb_vec_normalize(&q->ops, dp, target);
        j.mode = SCAN_COS;
        j.t[0] = target;
    }
    return scan_run(q, pool, &j, k, ids, scores, err);
}

int emb_query_neighbors(struct emb_query *q, const float *vec, int k, const int32_t *exclude, int n_exclude,
                        int64_t *ids, float *scores, struct emb_err *err) {
    return neighbors(q, q->pool, q->target, vec, k, exclude, n_exclude, ids, scores, err);
}

int emb_query_analogy(struct emb_query *q, int32_t a, int32_t b, int32_t c, enum emb_analogy_method method,
                      int k, int64_t *ids, float *scores, struct emb_err *err) {
    return analogy(q, q->pool, q->target, a, b, c, method, k, ids, scores, err);
}

/* ---- reentrant variants ----------------------------------------------- */

/* The query vector gets its own aligned scratch per call, and the scan runs
 * on the calling thread, so q is only read. */
int emb_query_neighbors_r(const struct emb_query *q, const float *vec, int k, const int32_t *exclude,
                          int n_exclude, int64_t *ids, float *scores, struct emb_err *err) {
    float *target = emb_alloc_aligned((size_t)q->unit->dim_padded * sizeof(float));
    if (!target) return emb_err_set(err, EMB_ENOMEM, "out of memory for a query vector");
    int rc = neighbors(q, NULL, target, vec, k, exclude, n_exclude, ids, scores, err);
    emb_free_aligned(target);
    return rc;
}

int emb_query_analogy_r(const struct emb_query *q, int32_t a, int32_t b, int32_t c, enum emb_analogy_method method,
                        int k, int64_t *ids, float *scores, struct emb_err *err) {
    float *target = emb_alloc_aligned((size_t)q->unit->dim_padded * sizeof(float));
    if (!target) return emb_err_set(err, EMB_ENOMEM, "out of memory for a query vector");
    int rc = analogy(q, NULL, target, a, b, c, method, k, ids, scores, err);
    emb_free_aligned(target);
    return rc;
}
