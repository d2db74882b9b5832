/* similarity.c -- word-similarity benchmarks (WordSim-353, MEN, SimLex...)
 * and the rank statistics they are reported with.
 *
 * DESIGN: the protocol is gensim's evaluate_word_pairs without its
 * surprises: every pair whose two words are found contributes one
 * (human score, cosine) point, and the result is Spearman's rho over those
 * points, plus how many were found. Missing pairs are not scored as zero
 * (that is a different protocol, gensim's dummy4unknown) -- compare
 * `found` when comparing models.
 *
 * Spearman's rho is the Pearson correlation of the average ranks, which is
 * what scipy.stats.spearmanr computes and stays exact with ties (the
 * 1 - 6 sum d^2 / (n^3 - n) shortcut is only right without ties).
 * Correlations are accumulated in double. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/eval.h"
#include "emb/io.h"

/* ---- rank statistics ------------------------------------------------------ */

double emb_pearson(const double *x, const double *y, int64_t n) {
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (int64_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    /* Two passes (means first) keep the sums well conditioned. */
    double sxy = 0, sxx = 0, syy = 0;
    for (int64_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0) return NAN;
    double r = sxy / sqrt(sxx * syy);
    /* Rounding can push |r| a hair past 1. */
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

struct rank_item {
    double v;
    int64_t i;
};

static int cmp_rank_item(const void *a, const void *b) {
    const struct rank_item *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int emb_rank_average(const double *x, int64_t n, double *ranks, struct emb_err *err) {
    if (n <= 0) return EMB_OK;
    struct rank_item *it = emb_alloc((size_t)n * sizeof *it);
    if (!it) return emb_err_set(err, EMB_ENOMEM, "out of memory ranking %lld values", (long long)n);
    for (int64_t i = 0; i < n; i++) it[i] = (struct rank_item){x[i], i};
    qsort(it, (size_t)n, sizeof *it, cmp_rank_item);
    /* A run of equal values at sorted positions [s, e) shares the mean of
     * ranks s+1 .. e, i.e. (s + 1 + e) / 2. */
    for (int64_t s = 0; s < n;) {
        int64_t e = s + 1;
        while (e < n && it[e].v == it[s].v) e++;
        double r = (double)(s + 1 + e) / 2.0;
        for (int64_t k = s; k < e; k++) ranks[it[k].i] = r;
        s = e;
    }
    emb_free(it);
    return EMB_OK;
}

int emb_spearman(const double *x, const double *y, int64_t n, double *rho, struct emb_err *err) {
    *rho = NAN;
    if (n < 2) return EMB_OK;
    int rc = EMB_ENOMEM;
    double *rx = emb_alloc((size_t)n * sizeof *rx), *ry = emb_alloc((size_t)n * sizeof *ry);
    if (!rx || !ry) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory ranking %lld values", (long long)n);
        goto done;
    }
    if ((rc = emb_rank_average(x, n, rx, err)) != EMB_OK) goto done;
    if ((rc = emb_rank_average(y, n, ry, err)) != EMB_OK) goto done;
    *rho = emb_pearson(rx, ry, n);
done:
    emb_free(rx);
    emb_free(ry);
    return rc;
}

/* ---- the benchmark ---------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Row of word: as written, else ASCII-lowercased (in place: the line is
 * ours to modify). -1 when neither is in the vocabulary. */
static int32_t find_word(const struct emb_vocab *v, char *w, size_t len) {
    int32_t id = emb_vocab_find(v, w, len);
    if (id >= 0) return id;
    int changed = 0;
    for (size_t i = 0; i < len; i++)
        if (w[i] >= 'A' && w[i] <= 'Z') {
            w[i] = (char)(w[i] - 'A' + 'a');
            changed = 1;
        }
    return changed ? emb_vocab_find(v, w, len) : -1;
}

/* Cosine of two raw rows, in double; 0 when either row is zero. */
static double cosine(const float *x, const float *y, int32_t dim) {
    double xy = 0, xx = 0, yy = 0;
    for (int32_t i = 0; i < dim; i++) {
        xy += (double)x[i] * y[i];
        xx += (double)x[i] * x[i];
        yy += (double)y[i] * y[i];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
}

int emb_eval_similarity(const struct emb_vecs *vecs, const char *pairs_path, struct emb_similarity_result *res,
                        struct emb_err *err) {
    struct emb_reader *r = NULL;
    double *human = NULL, *model = NULL;
    int64_t cap = 0, lineno = 0;
    char *line;
    size_t len;
    res->spearman = res->pearson = NAN;
    res->found = res->total = 0;
    if (!vecs || !vecs->vocab || !vecs->table)
        return emb_err_set(err, EMB_EINVAL, "similarity evaluation needs a vocabulary and a table");
    int rc = emb_reader_open(&r, pairs_path, err);
    if (rc != EMB_OK) return rc;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        size_t i = 0;
        while (i < len && is_space(line[i])) i++;
        while (len > i && is_space(line[len - 1])) len--;
        if (i == len || line[i] == '#') continue;
        /* Three fields separated by runs of tabs/spaces. */
        char *f[3];
        size_t flen[3];
        int n_fields = emb_split_fields(line + i, len - i, f, flen, 3);
        if (n_fields != 3) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 'word1 word2 score', found %d fields", pairs_path,
                             (long long)lineno, n_fields);
            goto done;
        }
        char *end = NULL;
        errno = 0;
        double score = strtod(f[2], &end);
        if (end == f[2] || *end != '\0' || errno == ERANGE || !isfinite(score)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: bad score '%s'", pairs_path, (long long)lineno, f[2]);
            goto done;
        }
        res->total++;
        int32_t a = find_word(vecs->vocab, f[0], flen[0]), b = find_word(vecs->vocab, f[1], flen[1]);
        if (a < 0 || b < 0 || a >= vecs->table->n_rows || b >= vecs->table->n_rows) continue;
        if (res->found == cap) {
            int64_t ncap = cap ? cap * 2 : 512;
            double *h = emb_realloc(human, (size_t)ncap * sizeof *h);
            if (h) human = h;
            double *m = h ? emb_realloc(model, (size_t)ncap * sizeof *m) : NULL;
            if (m) model = m;
            if (!h || !m) {
                rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", pairs_path);
                goto done;
            }
            cap = ncap;
        }
        human[res->found] = score;
        model[res->found] = cosine(emb_table_row(vecs->table, a), emb_table_row(vecs->table, b), vecs->table->dim);
        res->found++;
    }
    if (rc < 0) goto done;
    if (res->total == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: no word pairs", pairs_path);
        goto done;
    }
    if ((rc = emb_spearman(human, model, res->found, &res->spearman, err)) != EMB_OK) goto done;
    res->pearson = emb_pearson(human, model, res->found);
done:
    emb_reader_close(r);
    emb_free(human);
    emb_free(model);
    return rc;
}
