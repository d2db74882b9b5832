/* nodeclf.c -- node classification on embeddings: one-vs-rest L2 logistic
 * regression (the binary classifier is in logreg.c), the DeepWalk/node2vec
 * multi-label protocol, Micro/Macro-F1.
 *
 * One-vs-rest trains its labels in parallel on the thread pool, one label
 * per task taken from an atomic counter; each label's fit is the same
 * computation whichever thread runs it, so results do not depend on the
 * thread count. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "emb/io.h"
#include "emb/nodeclf.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/vec.h"

/* ---- labels and splits ------------------------------------------------------ */

struct pair {
    int32_t node, label;
};

static int cmp_pair(const void *a, const void *b) {
    const struct pair *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return (x->label > y->label) - (x->label < y->label);
}

/* Split a line into fields; 0 for a blank line, else the field count, or
 * -1 if a field holds a NUL byte. */
static int line_fields(char *line, size_t len, char **f, size_t *flen) {
    int n = emb_split_fields(line, len, f, flen, 2);
    for (int i = 0; i < n && i < 2; i++)
        if (strlen(f[i]) != flen[i]) return -1;
    return n;
}

void emb_node_labels_free(struct emb_node_labels *l) {
    if (!l) return;
    emb_free(l->rows);
    emb_free(l->label_off);
    emb_free(l->label_ids);
    emb_vocab_free(l->labels);
    memset(l, 0, sizeof *l);
}

int emb_node_labels_load(struct emb_node_labels *out, const struct emb_vocab *nodes, const char *path,
                         struct emb_err *err) {
    memset(out, 0, sizeof *out);
    struct emb_reader *r = NULL;
    struct emb_vocab *skipped = NULL;
    int32_t *node_of_row = NULL; /* (vocab size) labelled-node index of each row, or -1 */
    struct pair *pairs = NULL;
    int64_t n_pairs = 0, cap = 0, lineno = 0, n_lines = 0;
    int32_t n_rows = emb_vocab_size(nodes);
    char *line, *f[2];
    size_t len, flen[2];
    int rc = EMB_ENOMEM;
    if ((rc = emb_vocab_new(&out->labels, err)) != EMB_OK) goto done;
    if ((rc = emb_vocab_new(&skipped, err)) != EMB_OK) goto done;
    rc = EMB_ENOMEM;
    node_of_row = emb_alloc(((size_t)n_rows + 1) * sizeof *node_of_row);
    out->rows = emb_alloc(((size_t)n_rows + 1) * sizeof *out->rows);
    if (!node_of_row || !out->rows) goto oom;
    for (int32_t i = 0; i < n_rows; i++) node_of_row[i] = -1;
    if ((rc = emb_reader_open(&r, path, err)) != EMB_OK) goto done;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        int nf = line_fields(line, len, f, flen);
        if (nf == 0) continue;
        if (nf != 2) {
            if (nf < 0)
                rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: NUL byte in a label line", path, (long long)lineno);
            else
                rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 'node label', found %d field%s", path,
                                 (long long)lineno, nf, nf == 1 ? "" : "s");
            goto done;
        }
        n_lines++;
        int32_t row = emb_vocab_find(nodes, f[0], flen[0]);
        if (row < 0) {
            if ((rc = emb_vocab_add(skipped, f[0], flen[0], 1, NULL, err)) != EMB_OK) goto done;
            out->n_skipped_pairs++;
            continue;
        }
        int32_t node = node_of_row[row], label;
        if (node < 0) {
            node = node_of_row[row] = (int32_t)out->n_nodes;
            out->rows[out->n_nodes++] = row;
        }
        if ((rc = emb_vocab_add(out->labels, f[1], flen[1], 1, &label, err)) != EMB_OK) goto done;
        if (n_pairs == cap) {
            int64_t ncap = cap ? cap * 2 : 1024;
            struct pair *np = emb_realloc(pairs, (size_t)ncap * sizeof *np);
            if (!np) goto oom;
            pairs = np;
            cap = ncap;
        }
        pairs[n_pairs++] = (struct pair){node, label};
    }
    if (rc < 0) goto done;
    out->n_skipped = emb_vocab_size(skipped);
    if (n_lines == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: no 'node label' line", path);
        goto done;
    }
    if (out->n_nodes == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: none of its %lld nodes is in the vectors", path,
                         (long long)out->n_skipped);
        goto done;
    }
    /* Sort by (node, label), drop repeated pairs, build the CSR lists. */
    qsort(pairs, (size_t)n_pairs, sizeof *pairs, cmp_pair);
    int64_t k = 0;
    for (int64_t i = 0; i < n_pairs; i++)
        if (k == 0 || pairs[i].node != pairs[k - 1].node || pairs[i].label != pairs[k - 1].label) pairs[k++] = pairs[i];
    out->n_pairs = k;
    out->n_labels = emb_vocab_size(out->labels);
    out->label_off = emb_calloc((size_t)out->n_nodes + 1, sizeof *out->label_off);
    out->label_ids = emb_alloc((size_t)k * sizeof *out->label_ids);
    if (!out->label_off || !out->label_ids) goto oom;
    for (int64_t i = 0; i < k; i++) {
        out->label_off[pairs[i].node + 1]++;
        out->label_ids[i] = pairs[i].label;
    }
    for (int64_t i = 0; i < out->n_nodes; i++) {
        if (out->label_off[i + 1] > 1) out->multi_label = 1;
        out->label_off[i + 1] += out->label_off[i];
    }
    rc = EMB_OK;
    goto done;
oom:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
done:
    emb_reader_close(r);
    emb_vocab_free(skipped);
    emb_free(node_of_row);
    emb_free(pairs);
    if (rc != EMB_OK) emb_node_labels_free(out);
    return rc;
}

int emb_node_split_load(uint8_t *part, const struct emb_node_labels *labels, const struct emb_vocab *nodes,
                        const char *path, int64_t *n_ignored, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int32_t n_rows = emb_vocab_size(nodes);
    int32_t *node_of_row = emb_alloc(((size_t)n_rows + 1) * sizeof *node_of_row);
    int64_t lineno = 0, ignored = 0, n_train = 0, n_test = 0;
    char *line, *f[2];
    size_t len, flen[2];
    int rc;
    if (n_ignored) *n_ignored = 0;
    if (!node_of_row) return emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
    for (int32_t i = 0; i < n_rows; i++) node_of_row[i] = -1;
    for (int64_t i = 0; i < labels->n_nodes; i++) node_of_row[labels->rows[i]] = (int32_t)i;
    memset(part, EMB_SPLIT_NONE, (size_t)labels->n_nodes);
    if ((rc = emb_reader_open(&r, path, err)) != EMB_OK) goto done;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        int nf = line_fields(line, len, f, flen);
        if (nf == 0) continue;
        if (nf != 2) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 'node train|val|test', found %d field%s", path,
                             (long long)lineno, nf < 0 ? 0 : nf, nf == 1 ? "" : "s");
            goto done;
        }
        uint8_t p;
        if (!strcmp(f[1], "train"))
            p = EMB_SPLIT_TRAIN;
        else if (!strcmp(f[1], "val"))
            p = EMB_SPLIT_VAL;
        else if (!strcmp(f[1], "test"))
            p = EMB_SPLIT_TEST;
        else {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: unknown part '%.40s' (expected train, val or test)", path,
                             (long long)lineno, f[1]);
            goto done;
        }
        int32_t row = emb_vocab_find(nodes, f[0], flen[0]);
        int32_t node = row >= 0 ? node_of_row[row] : -1;
        if (node < 0) {
            ignored++;
            continue;
        }
        if (part[node] != EMB_SPLIT_NONE) {
            rc = emb_err_set(err, EMB_EDUP, "%s:%lld: node '%.60s' is listed twice", path, (long long)lineno, f[0]);
            goto done;
        }
        part[node] = p;
        n_train += p == EMB_SPLIT_TRAIN;
        n_test += p == EMB_SPLIT_TEST;
    }
    if (rc < 0) goto done;
    if (n_train == 0 || n_test == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: no labelled %s node", path, n_train == 0 ? "train" : "test");
        goto done;
    }
    if (n_ignored) *n_ignored = ignored;
    rc = EMB_OK;
done:
    emb_reader_close(r);
    emb_free(node_of_row);
    return rc;
}

/* ---- scoring ------------------------------------------------------------------ */

int emb_nodeclf_score_topk(int64_t n, int32_t n_labels, const float *scores, const int64_t *true_off,
                           const int32_t *true_ids, struct emb_nodeclf_score *out, struct emb_err *err) {
    out->micro_f1 = out->macro_f1 = out->accuracy = NAN;
    out->n_test = n;
    if (n < 1 || n_labels < 1)
        return emb_err_set(err, EMB_EINVAL, "scoring needs nodes and labels (got %lld, %d)", (long long)n,
                           (int)n_labels);
    /* Per label: true positives, false positives, false negatives. */
    int64_t *cnt = emb_calloc(3 * (size_t)n_labels, sizeof *cnt);
    uint8_t *mark = emb_calloc((size_t)n_labels, 1);
    if (!cnt || !mark) {
        emb_free(cnt);
        emb_free(mark);
        return emb_err_set(err, EMB_ENOMEM, "out of memory scoring %d labels", (int)n_labels);
    }
    int64_t *tp = cnt, *fp = cnt + n_labels, *fn = cnt + 2 * (size_t)n_labels;
    int64_t n_correct = 0;
    int single = 1;
    for (int64_t i = 0; i < n; i++) {
        const float *row = scores + i * (int64_t)n_labels;
        int64_t k = true_off[i + 1] - true_off[i];
        if (k != 1) single = 0;
        if (k > n_labels) k = n_labels;
        /* mark: 1 = true label, 2 = predicted, 3 = both. */
        for (int64_t j = true_off[i]; j < true_off[i + 1]; j++) mark[true_ids[j]] |= 1;
        /* The k best labels, by selection (k and n_labels are small);
         * scanning in id order with a strict '>' keeps ties at the lower id. */
        for (int64_t t = 0; t < k; t++) {
            int32_t best = -1;
            for (int32_t l = 0; l < n_labels; l++)
                if (!(mark[l] & 2) && (best < 0 || row[l] > row[best])) best = l;
            mark[best] |= 2;
            if (t == 0 && k == 1 && (mark[best] & 1)) n_correct++;
        }
        for (int32_t l = 0; l < n_labels; l++) {
            tp[l] += mark[l] == 3;
            fp[l] += mark[l] == 2;
            fn[l] += mark[l] == 1;
            mark[l] = 0;
        }
    }
    int64_t TP = 0, FP = 0, FN = 0;
    double macro = 0;
    for (int32_t l = 0; l < n_labels; l++) {
        TP += tp[l];
        FP += fp[l];
        FN += fn[l];
        int64_t den = 2 * tp[l] + fp[l] + fn[l];
        macro += den > 0 ? 2.0 * (double)tp[l] / (double)den : 0.0; /* zero_division = 0 */
    }
    out->micro_f1 = 2 * TP + FP + FN > 0 ? 2.0 * (double)TP / (double)(2 * TP + FP + FN) : 0.0;
    out->macro_f1 = macro / n_labels;
    if (single) out->accuracy = (double)n_correct / (double)n;
    emb_free(cnt);
    emb_free(mark);
    return EMB_OK;
}

/* ---- the evaluator ---------------------------------------------------------- */

struct emb_nodeclf_params emb_nodeclf_default_params(void) {
    static const double ratios[] = {0.1, 0.5, 0.9};
    return (struct emb_nodeclf_params){
        .logreg = emb_logreg_default_params(),
        .train_ratios = ratios,
        .n_ratios = 3,
        .repeats = 10,
        .seed = 1,
        .n_threads = 1,
        .normalize = 0,
    };
}

struct emb_nodeclf {
    const struct emb_node_labels *labels;
    struct emb_vec_ops ops;
    int64_t n_nodes;
    int32_t n_labels, dim, stride;
    float *feat;       /* (n_nodes, stride) vectors of the labelled nodes */
    float *xtr;        /* (n_nodes, stride) training rows of the current run */
    uint8_t *y;        /* (n_labels, n_nodes) y[l * n_train + i]: train node i has label l */
    int64_t *n_pos;    /* (n_labels) positives per label in the current run */
    float *scores;     /* (n_nodes, n_labels) decision values of the evaluated nodes */
    int64_t *true_off; /* (n_nodes + 1) their true labels, CSR */
    int32_t *true_ids; /* (n_pairs) */
    struct emb_pool *pool;
    int n_threads;
    struct emb_logreg **ws; /* (n_threads) solver workspaces */
    double *w;              /* (n_threads, dim + 1) weights */
    float *wf;              /* (n_threads, stride) float weights for scoring */
    struct emb_err *errs;   /* (n_threads) */
    int *rcs;               /* (n_threads) */
};

void emb_nodeclf_free(struct emb_nodeclf *c) {
    if (!c) return;
    if (c->ws)
        for (int i = 0; i < c->n_threads; i++) emb_logreg_free(c->ws[i]);
    emb_free(c->ws);
    emb_pool_free(c->pool);
    emb_free_aligned(c->feat);
    emb_free_aligned(c->xtr);
    emb_free_aligned(c->wf);
    emb_free(c->y);
    emb_free(c->n_pos);
    emb_free(c->scores);
    emb_free(c->true_off);
    emb_free(c->true_ids);
    emb_free(c->w);
    emb_free(c->errs);
    emb_free(c->rcs);
    emb_free(c);
}

int emb_nodeclf_new(struct emb_nodeclf **out, const struct emb_vecs *vecs, const struct emb_node_labels *labels,
                    const struct emb_nodeclf_params *p, struct emb_err *err) {
    *out = NULL;
    struct emb_nodeclf_params dp = emb_nodeclf_default_params();
    if (!p) p = &dp;
    if (!vecs || !vecs->table || !labels || labels->n_nodes < 1 || labels->n_labels < 1)
        return emb_err_set(err, EMB_EINVAL, "node classification needs vectors and labelled nodes");
    if (p->n_threads < 1) return emb_err_set(err, EMB_EINVAL, "thread count must be at least 1, got %d", p->n_threads);
    int rc = emb_logreg_params_check(&p->logreg, err);
    if (rc != EMB_OK) return rc;
    struct emb_nodeclf *c = emb_calloc(1, sizeof *c);
    if (!c) return emb_err_set(err, EMB_ENOMEM, "out of memory for node classification");
    c->labels = labels;
    c->ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    c->n_nodes = labels->n_nodes;
    c->n_labels = labels->n_labels;
    c->dim = vecs->table->dim;
    c->stride = vecs->table->dim_padded;
    c->n_threads = p->n_threads;
    size_t n = (size_t)c->n_nodes, L = (size_t)c->n_labels, T = (size_t)c->n_threads,
           row_bytes = (size_t)c->stride * sizeof(float);
    c->feat = emb_alloc_aligned(n * row_bytes);
    c->xtr = emb_alloc_aligned(n * row_bytes);
    c->wf = emb_alloc_aligned(T * row_bytes);
    c->y = emb_alloc(L * n);
    c->n_pos = emb_alloc(L * sizeof *c->n_pos);
    c->scores = emb_alloc(n * L * sizeof *c->scores);
    c->true_off = emb_alloc((n + 1) * sizeof *c->true_off);
    c->true_ids = emb_alloc(((size_t)labels->n_pairs + 1) * sizeof *c->true_ids);
    c->w = emb_alloc(T * ((size_t)c->dim + 1) * sizeof *c->w);
    c->errs = emb_calloc(T, sizeof *c->errs);
    c->rcs = emb_calloc(T, sizeof *c->rcs);
    c->ws = emb_calloc(T, sizeof *c->ws);
    if (!c->feat || !c->xtr || !c->wf || !c->y || !c->n_pos || !c->scores || !c->true_off || !c->true_ids || !c->w ||
        !c->errs || !c->rcs || !c->ws) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for node classification (%lld nodes)", (long long)n);
        goto fail;
    }
    memset(c->wf, 0, T * row_bytes);
    /* Copy the labelled nodes' rows (padding included, so it stays zero). */
    for (int64_t i = 0; i < c->n_nodes; i++) {
        int32_t row = labels->rows[i];
        if (row < 0 || row >= vecs->table->n_rows) {
            rc = emb_err_set(err, EMB_EINVAL, "labelled node %lld has no vector row", (long long)i);
            goto fail;
        }
        float *dst = c->feat + i * c->stride;
        memcpy(dst, emb_table_row(vecs->table, row), row_bytes);
        for (int32_t j = 0; j < c->dim; j++)
            if (!isfinite(dst[j])) {
                rc = emb_err_set(err, EMB_ENUMERIC, "vector of '%s' is not finite", emb_vocab_word(vecs->vocab, row));
                goto fail;
            }
        if (p->normalize) emb_vec_normalize(&c->ops, c->dim, dst);
    }
    if ((rc = emb_pool_new(&c->pool, c->n_threads, err)) != EMB_OK) goto fail;
    for (int i = 0; i < c->n_threads; i++)
        if ((rc = emb_logreg_new(&c->ws[i], c->n_nodes, c->dim, &p->logreg, err)) != EMB_OK) goto fail;
    *out = c;
    return EMB_OK;
fail:
    emb_nodeclf_free(c);
    return rc;
}

struct ovr_job {
    struct emb_nodeclf *c;
    int64_t n_train;
    const int64_t *eval; /* (n_eval) labelled-node indices to score */
    int64_t n_eval;
    atomic_int next;
    atomic_int n_unconverged;
};

/* Worker: take labels one at a time, fit, and score the evaluated nodes. */
static void ovr_worker(void *ctx, int ith, int nth) {
    (void)nth;
    struct ovr_job *j = ctx;
    struct emb_nodeclf *c = j->c;
    int32_t L = c->n_labels, dim = c->dim;
    double *w = c->w + (size_t)ith * ((size_t)dim + 1);
    float *wf = c->wf + (size_t)ith * c->stride;
    for (;;) {
        int l = atomic_fetch_add(&j->next, 1);
        if (l >= L || c->rcs[ith] != EMB_OK) break;
        int64_t pos = c->n_pos[l];
        if (pos == 0 || pos == j->n_train) {
            /* One class only: a constant classifier (sklearn's
             * _ConstantPredictor), never / always ranked first. */
            float v = pos ? INFINITY : -INFINITY;
            for (int64_t e = 0; e < j->n_eval; e++) c->scores[e * L + l] = v;
            continue;
        }
        struct emb_logreg_info info;
        int rc = emb_logreg_fit(c->ws[ith], c->xtr, j->n_train, c->stride, c->y + (size_t)l * j->n_train, w, &info,
                                &c->errs[ith]);
        if (rc != EMB_OK) {
            c->rcs[ith] = rc;
            break;
        }
        if (!info.converged) atomic_fetch_add(&j->n_unconverged, 1);
        for (int32_t k = 0; k < dim; k++) wf[k] = (float)w[k];
        for (int64_t e = 0; e < j->n_eval; e++)
            c->scores[e * L + l] = c->ops.dot(dim, wf, c->feat + j->eval[e] * c->stride) + (float)w[dim];
    }
}

/* Train one classifier per label on `train`, score the nodes of `eval`
 * into c->scores and their truth into c->true_off/true_ids. */
static int train_and_score(struct emb_nodeclf *c, const int64_t *train, int64_t n_train, const int64_t *eval,
                           int64_t n_eval, int32_t *n_unconverged, struct emb_err *err) {
    const struct emb_node_labels *lab = c->labels;
    if (n_train < 1 || n_eval < 1 || n_train > c->n_nodes || n_eval > c->n_nodes)
        return emb_err_set(err, EMB_EINVAL, "node classification needs training and test nodes (got %lld, %lld)",
                           (long long)n_train, (long long)n_eval);
    for (int64_t i = 0; i < n_train; i++)
        if (train[i] < 0 || train[i] >= c->n_nodes)
            return emb_err_set(err, EMB_EINVAL, "training node index %lld out of range", (long long)train[i]);
    for (int64_t i = 0; i < n_eval; i++)
        if (eval[i] < 0 || eval[i] >= c->n_nodes)
            return emb_err_set(err, EMB_EINVAL, "test node index %lld out of range", (long long)eval[i]);
    /* Gather the training rows and the per-label targets. */
    memset(c->y, 0, (size_t)c->n_labels * (size_t)n_train);
    memset(c->n_pos, 0, (size_t)c->n_labels * sizeof *c->n_pos);
    for (int64_t i = 0; i < n_train; i++) {
        int64_t v = train[i];
        memcpy(c->xtr + i * c->stride, c->feat + v * c->stride, (size_t)c->stride * sizeof(float));
        for (int64_t k = lab->label_off[v]; k < lab->label_off[v + 1]; k++) {
            int32_t l = lab->label_ids[k];
            c->y[(size_t)l * n_train + i] = 1;
            c->n_pos[l]++;
        }
    }
    /* Truth of the evaluated nodes; they hold at most n_pairs labels when
     * no node is listed twice. */
    c->true_off[0] = 0;
    for (int64_t e = 0; e < n_eval; e++) {
        int64_t v = eval[e], o = c->true_off[e], k0 = lab->label_off[v], k1 = lab->label_off[v + 1];
        if (o + (k1 - k0) > lab->n_pairs) return emb_err_set(err, EMB_EINVAL, "test nodes listed more than once");
        for (int64_t k = k0; k < k1; k++) c->true_ids[o++] = lab->label_ids[k];
        c->true_off[e + 1] = o;
    }
    struct ovr_job job = {.c = c, .n_train = n_train, .eval = eval, .n_eval = n_eval};
    atomic_init(&job.next, 0);
    atomic_init(&job.n_unconverged, 0);
    for (int i = 0; i < c->n_threads; i++) c->rcs[i] = EMB_OK;
    emb_pool_run(c->pool, ovr_worker, &job);
    for (int i = 0; i < c->n_threads; i++)
        if (c->rcs[i] != EMB_OK) {
            if (err) *err = c->errs[i];
            return c->rcs[i];
        }
    *n_unconverged = atomic_load(&job.n_unconverged);
    return EMB_OK;
}

int emb_nodeclf_run(struct emb_nodeclf *c, const int64_t *train, int64_t n_train, const int64_t *test, int64_t n_test,
                    struct emb_nodeclf_score *out, struct emb_err *err) {
    int32_t n_unconv = 0;
    memset(out, 0, sizeof *out);
    int rc = train_and_score(c, train, n_train, test, n_test, &n_unconv, err);
    if (rc != EMB_OK) return rc;
    rc = emb_nodeclf_score_topk(n_test, c->n_labels, c->scores, c->true_off, c->true_ids, out, err);
    out->n_train = n_train;
    out->n_unconverged = n_unconv;
    return rc;
}

void emb_nodeclf_result_free(struct emb_nodeclf_result *res) {
    if (!res) return;
    emb_free(res->ratios);
    memset(res, 0, sizeof *res);
}

/* Mean and population std of x: (n); NaN if any value is NaN. */
static struct emb_nodeclf_stat stat_of(const double *x, int n) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i];
    m /= n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    return (struct emb_nodeclf_stat){m, sqrt(v / n)};
}

/* The fixed split: train on train, score test and val (one training). */
static int eval_split(struct emb_nodeclf *c, const struct emb_vecs *vecs, const char *split_path,
                      struct emb_nodeclf_result *res, struct emb_err *err) {
    int64_t n = c->n_nodes, n_train = 0, n_test = 0, n_val = 0;
    uint8_t *part = emb_alloc((size_t)n);
    int64_t *idx = emb_alloc(2 * (size_t)n * sizeof *idx);
    int rc = EMB_ENOMEM;
    if (!part || !idx) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", split_path);
        goto done;
    }
    if ((rc = emb_node_split_load(part, c->labels, vecs->vocab, split_path, &res->n_split_ignored, err)) != EMB_OK)
        goto done;
    /* idx: train nodes, then (from n) test nodes followed by val nodes. */
    int64_t *train = idx, *eval = idx + n;
    for (int64_t i = 0; i < n; i++) {
        if (part[i] == EMB_SPLIT_TRAIN) train[n_train++] = i;
        if (part[i] == EMB_SPLIT_TEST) eval[n_test++] = i;
    }
    for (int64_t i = 0; i < n; i++)
        if (part[i] == EMB_SPLIT_VAL) eval[n_test + n_val++] = i;
    int32_t n_unconv = 0;
    if ((rc = train_and_score(c, train, n_train, eval, n_test + n_val, &n_unconv, err)) != EMB_OK) goto done;
    rc = emb_nodeclf_score_topk(n_test, c->n_labels, c->scores, c->true_off, c->true_ids, &res->test, err);
    if (rc == EMB_OK && n_val > 0)
        rc = emb_nodeclf_score_topk(n_val, c->n_labels, c->scores + n_test * c->n_labels, c->true_off + n_test,
                                    c->true_ids, &res->val, err);
    res->test.n_train = res->val.n_train = n_train;
    res->test.n_unconverged = res->val.n_unconverged = n_unconv;
    res->val.n_test = n_val;
    if (n_val == 0) res->val.micro_f1 = res->val.macro_f1 = res->val.accuracy = NAN;
    res->has_split = 1;
done:
    emb_free(part);
    emb_free(idx);
    return rc;
}

/* Random splits: `repeats` shuffles, the same ones for every ratio. */
static int eval_random(struct emb_nodeclf *c, const struct emb_nodeclf_params *p, struct emb_nodeclf_result *res,
                       struct emb_err *err) {
    int64_t n = c->n_nodes;
    int R = p->repeats;
    int64_t *perm = emb_alloc((size_t)n * sizeof *perm);
    double *runs = emb_alloc(3 * (size_t)R * sizeof *runs); /* micro, macro, accuracy per repeat */
    res->ratios = emb_calloc((size_t)p->n_ratios, sizeof *res->ratios);
    int rc = EMB_OK;
    if (!perm || !runs || !res->ratios) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory for %lld nodes", (long long)n);
        goto done;
    }
    res->n_ratios = p->n_ratios;
    for (int k = 0; k < p->n_ratios; k++) {
        struct emb_nodeclf_ratio *out = &res->ratios[k];
        /* floor(ratio * n) as Python's int() in DeepWalk's scoring.py. */
        int64_t n_train = (int64_t)(p->train_ratios[k] * (double)n);
        out->train_ratio = p->train_ratios[k];
        out->n_train = n_train;
        out->n_test = n - n_train;
        for (int r = 0; r < R; r++) {
            struct emb_rng rng;
            emb_rng_seed(&rng, p->seed, (uint64_t)r);
            for (int64_t i = 0; i < n; i++) perm[i] = i;
            for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
                int64_t j = (int64_t)emb_rng_below(&rng, (uint64_t)i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            struct emb_nodeclf_score s;
            if ((rc = emb_nodeclf_run(c, perm, n_train, perm + n_train, n - n_train, &s, err)) != EMB_OK) goto done;
            runs[r] = s.micro_f1;
            runs[R + r] = s.macro_f1;
            runs[2 * R + r] = s.accuracy;
            out->n_unconverged += s.n_unconverged;
        }
        out->micro_f1 = stat_of(runs, R);
        out->macro_f1 = stat_of(runs + R, R);
        out->accuracy = stat_of(runs + 2 * R, R);
    }
done:
    emb_free(perm);
    emb_free(runs);
    return rc;
}

int emb_eval_nodes(const struct emb_vecs *vecs, const struct emb_node_labels *labels, const char *split_path,
                   const struct emb_nodeclf_params *p, struct emb_nodeclf_result *res, struct emb_err *err) {
    memset(res, 0, sizeof *res);
    struct emb_nodeclf_params dp = emb_nodeclf_default_params();
    if (!p) p = &dp;
    if (!labels || labels->n_nodes < 1) return emb_err_set(err, EMB_EINVAL, "node classification needs labelled nodes");
    int64_t n = labels->n_nodes;
    if (!split_path) {
        if (p->repeats < 1) return emb_err_set(err, EMB_EINVAL, "repeats must be at least 1, got %d", p->repeats);
        if (p->n_ratios < 1 || !p->train_ratios) return emb_err_set(err, EMB_EINVAL, "no train ratio given");
        for (int k = 0; k < p->n_ratios; k++) {
            double t = p->train_ratios[k];
            if (!(t > 0 && t < 1))
                return emb_err_set(err, EMB_EINVAL, "train ratio must be strictly between 0 and 1, got %g", t);
            int64_t n_train = (int64_t)(t * (double)n);
            if (n_train < 1 || n_train >= n)
                return emb_err_set(err, EMB_EINVAL, "train ratio %g leaves no %s node (%lld labelled nodes)", t,
                                   n_train < 1 ? "training" : "test", (long long)n);
        }
    }
    struct emb_nodeclf *c = NULL;
    int rc = emb_nodeclf_new(&c, vecs, labels, p, err);
    if (rc != EMB_OK) return rc;
    res->n_nodes = n;
    res->n_pairs = labels->n_pairs;
    res->n_skipped = labels->n_skipped;
    res->n_labels = labels->n_labels;
    res->multi_label = labels->multi_label;
    rc = split_path ? eval_split(c, vecs, split_path, res, err) : eval_random(c, p, res, err);
    emb_nodeclf_free(c);
    if (rc != EMB_OK) emb_nodeclf_result_free(res);
    return rc;
}
