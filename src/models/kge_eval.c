/* kge_eval.c -- the quick filtered ranking for early stopping
 * (emb_kge_quick_mrr / emb_kge_quick_eval) and the set of known triples it
 * filters with. `emb eval kge` (src/eval/kgeval.c) has the full evaluator. */
#include <string.h>

#include "emb/rank.h"
#include "kge_internal.h"


static uint64_t tri_hash(int32_t h, int32_t r, int32_t t) {
    uint64_t x = (uint64_t)(uint32_t)h * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uint32_t)r * 0xc2b2ae3d27d4eb4full ^
                 (uint64_t)(uint32_t)t * 0x165667b19e3779f9ull;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 29);
}

int emb__kge_tri_has(const struct tri_set *s, int32_t h, int32_t r, int32_t t) {
    for (uint64_t i = tri_hash(h, r, t) & s->mask;; i = (i + 1) & s->mask) {
        const int32_t *k = s->keys + 3 * i;
        if (k[0] < 0) return 0;
        if (k[0] == h && k[1] == r && k[2] == t) return 1;
    }
}

void emb__kge_tri_add(struct tri_set *s, int32_t h, int32_t r, int32_t t) {
    for (uint64_t i = tri_hash(h, r, t) & s->mask;; i = (i + 1) & s->mask) {
        int32_t *k = s->keys + 3 * i;
        if (k[0] < 0) {
            k[0] = h, k[1] = r, k[2] = t;
            return;
        }
        if (k[0] == h && k[1] == r && k[2] == t) return;
    }
}

int emb__kge_tri_build(struct tri_set *s, const struct emb_kg *kg) {
    int64_t n = kg->train.n + kg->valid.n + kg->test.n;
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2) cap *= 2;
    s->mask = cap - 1;
    s->keys = emb_alloc(cap * 3 * sizeof *s->keys);
    if (!s->keys) return EMB_ENOMEM;
    memset(s->keys, 0xff, cap * 3 * sizeof *s->keys);
    const struct emb_triples *sp[3] = {&kg->train, &kg->valid, &kg->test};
    for (int k = 0; k < 3; k++)
        for (int64_t i = 0; i < sp[k]->n; i++) emb__kge_tri_add(s, sp[k]->h[i], sp[k]->r[i], sp[k]->t[i]);
    return EMB_OK;
}

struct mrr_job {
    const struct emb_kge *m;
    const struct tri_set *known;
    const struct emb_triples *eval;
    int64_t n;
    float **scores; /* (nth) rows of n_entities */
    double *sum;    /* (nth, 4): reciprocal ranks, hits at 1, 3, 10 */
};

/* Filtered rank (rank.h) of the answer of (h, r, ?) (dir 0) or (?, r, t)
 * (dir 1) given all scores sc; f: scratch for the known answers, of which
 * only those scoring at or above the answer can change its rank. */
static double filtered_rank(const struct mrr_job *j, const float *sc, int32_t *f, int dir, int32_t h, int32_t r,
                            int32_t t) {
    const int64_t n = j->m->ent->n_rows;
    const int32_t truth = dir ? h : t;
    const float st = sc[truth];
    int64_t nf = 0;
    for (int64_t e = 0; e < n; e++) {
        if (e == truth || !(st != st || sc[e] >= st)) continue;
        if (dir ? emb__kge_tri_has(j->known, (int32_t)e, r, t) : emb__kge_tri_has(j->known, h, r, (int32_t)e))
            f[nf++] = (int32_t)e;
    }
    return emb_rank_filtered(sc, n, truth, f, nf);
}

static void mrr_worker(void *ctx, int ith, int nth) {
    struct mrr_job *j = ctx;
    float *sc = j->scores[ith];
    int32_t *f = (int32_t *)(sc + j->m->ent->n_rows);
    double sum = 0, h1 = 0, h3 = 0, h10 = 0;
    for (int64_t i = ith; i < j->n; i += nth) {
        int32_t h = j->eval->h[i], r = j->eval->r[i], t = j->eval->t[i];
        for (int dir = 0; dir < 2; dir++) {
            if (dir)
                emb_kge_score_heads(j->m, r, t, sc);
            else
                emb_kge_score_tails(j->m, h, r, sc);
            double rank = filtered_rank(j, sc, f, dir, h, r, t);
            sum += 1.0 / rank;
            h1 += rank <= 1;
            h3 += rank <= 3;
            h10 += rank <= 10;
        }
    }
    j->sum[4 * ith] = sum;
    j->sum[4 * ith + 1] = h1;
    j->sum[4 * ith + 2] = h3;
    j->sum[4 * ith + 3] = h10;
}

static void quick_stats(const struct emb_kge *m, const struct tri_set *known, const struct emb_triples *eval,
                        int64_t max_triples, struct emb_pool *pool, float **scores, struct emb_kge_rank_stats *st) {
    int nth = emb_pool_size(pool);
    double sum[4 * 1024] = {0}, tot[4] = {0};
    struct mrr_job j = {m, known, eval, max_triples > 0 && max_triples < eval->n ? max_triples : eval->n, scores, sum};
    memset(st, 0, sizeof *st);
    if (j.n == 0) return;
    emb_pool_run(pool, mrr_worker, &j);
    for (int i = 0; i < nth; i++)
        for (int k = 0; k < 4; k++) tot[k] += sum[4 * i + k];
    st->n_queries = 2 * j.n;
    st->mrr = tot[0] / (double)st->n_queries;
    st->hits1 = tot[1] / (double)st->n_queries;
    st->hits3 = tot[2] / (double)st->n_queries;
    st->hits10 = tot[3] / (double)st->n_queries;
}

double emb__kge_quick_mrr(const struct emb_kge *m, const struct tri_set *known, const struct emb_triples *eval,
                        int64_t max_triples, struct emb_pool *pool, float **scores) {
    struct emb_kge_rank_stats st;
    quick_stats(m, known, eval, max_triples, pool, scores, &st);
    return st.mrr;
}

float **emb__kge_score_rows_new(int nth, int64_t n) {
    float **s = emb_calloc((size_t)nth, sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < nth; i++)
        if (!(s[i] = emb_alloc((size_t)n * (sizeof(float) + sizeof(int32_t))))) {
            for (int k = 0; k < i; k++) emb_free(s[k]);
            emb_free(s);
            return NULL;
        }
    return s;
}

void emb__kge_score_rows_free(float **s, int nth) {
    if (!s) return;
    for (int i = 0; i < nth; i++) emb_free(s[i]);
    emb_free(s);
}

int emb_kge_quick_eval(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                       int64_t max_triples, int n_threads, struct emb_kge_rank_stats *out, struct emb_err *err) {
    struct tri_set known = {0, NULL};
    struct emb_pool *pool = NULL;
    float **scores = NULL;
    int rc = EMB_OK;
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 1024) n_threads = 1024;
    memset(out, 0, sizeof *out);
    if (m->ent->n_rows != kg->n_entities || emb_kge_n_relations(m) != kg->n_relations)
        return emb_err_set(err, EMB_EINVAL, "the model has %lld entities and %d relations, the dataset %d and %d",
                           (long long)m->ent->n_rows, emb_kge_n_relations(m), kg->n_entities, kg->n_relations);
    if (emb__kge_tri_build(&known, kg) != EMB_OK || (rc = emb_pool_new(&pool, n_threads, err)) != EMB_OK ||
        !(scores = emb__kge_score_rows_new(n_threads, m->ent->n_rows))) {
        if (rc == EMB_OK) rc = emb_err_set(err, EMB_ENOMEM, "out of memory for evaluation");
    } else {
        quick_stats(m, &known, eval, max_triples, pool, scores, out);
    }
    emb__kge_score_rows_free(scores, n_threads);
    emb_pool_free(pool);
    emb_free(known.keys);
    return rc;
}

double emb_kge_quick_mrr(const struct emb_kge *m, const struct emb_kg *kg, const struct emb_triples *eval,
                         int64_t max_triples, int n_threads) {
    struct emb_kge_rank_stats st;
    return emb_kge_quick_eval(m, kg, eval, max_triples, n_threads, &st, NULL) == EMB_OK ? st.mrr : -1;
}

