/* kge.c -- knowledge-graph embeddings: TransE, DistMult, ComplEx, RotatE.
 *
 * Papers: TransE (Bordes et al. 2013), DistMult (Yang et al. 2015),
 * ComplEx (Trouillon et al. 2016), RotatE (Sun et al. 2019).
 *
 * DESIGN: every model scores a triple in two stages. A "query" q combines
 * the known entity a with the relation r, and a "match" F(q, e) scores the
 * candidate entity e:
 *
 *     model     query, tail side (a = h)   query, head side (a = t)   F(q, e)
 *     TransE    h + r                      t - r                      gamma - ||q - e||_p
 *     DistMult  h * r                      t * r                      q . e
 *     ComplEx   h * r   (complex)          t * conj(r)                Re(q conj(e)) = q . e
 *     RotatE    h * r   (|r_k| = 1)        t * conj(r)                gamma - sum_k |q_k - e_k|
 *
 * (ComplEx: Re<h, r, conj t> = Re(h r conj t); with q = t conj(r) and e the
 * head, Re(e conj q) is the same number. RotatE: |e r - t| = |e - t conj r|
 * because |r| = 1.) So ranking all tails or heads is one query and n
 * matches, and training scores a chunk of queries against shared negatives
 * as small dense products. Gradients flow back the same way: dF/dq and
 * dF/de, then q -> (a, r). A RotatE relation is stored as phases; the
 * query stage uses (cos, sin) computed once per relation.
 *
 * Layout of this file: kernels -> query/match and their gradients ->
 * public scoring -> new/free/save/load -> training (later in the file). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "emb/vecs.h"

#define KGE_MAGIC "EMBKGE\0\0"
#define KGE_VERSION 1u
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- kernels: L1 and complex-modulus distances ------------------------
 * F = gamma - dist(q, e). The gradient kernels add c * dF/dq to gq and
 * c * dF/de to ge. Complex rows are (d real, d imaginary). */

/* Guard for |q_k - e_k| = 0, where the modulus has no derivative. */
#define CMOD_EPS 1e-20f

static float l1_ref(int64_t n, const float *q, const float *e) {
    float s = 0;
    for (int64_t i = 0; i < n; i++) s += fabsf(q[i] - e[i]);
    return s;
}

static void l1_grad_ref(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    for (int64_t i = 0; i < n; i++) {
        float d = q[i] - e[i], sg = d > 0 ? c : d < 0 ? -c : 0.0f;
        gq[i] -= sg;
        ge[i] += sg;
    }
}

static float cmod_ref(int64_t d, const float *q, const float *e) {
    float s = 0;
    for (int64_t i = 0; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        s += sqrtf(a * a + b * b);
    }
    return s;
}

static void cmod_grad_ref(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    for (int64_t i = 0; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        float k = c / sqrtf(a * a + b * b + CMOD_EPS);
        gq[i] -= k * a;
        gq[d + i] -= k * b;
        ge[i] += k * a;
        ge[d + i] += k * b;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define KGE_X86 1
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

AVX2 static float l1_avx2(int64_t n, const float *q, const float *e) {
    const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i))));
        a1 = _mm256_add_ps(a1, _mm256_and_ps(mask, _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(e + i + 8))));
    }
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += fabsf(q[i] - e[i]);
    return s;
}

AVX2 static void l1_grad_avx2(int64_t n, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m256 zero = _mm256_setzero_ps(), pc = _mm256_set1_ps(c), nc = _mm256_set1_ps(-c);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 sg = _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_GT_OQ), pc),
                                 _mm256_and_ps(_mm256_cmp_ps(d, zero, _CMP_LT_OQ), nc));
        _mm256_storeu_ps(gq + i, _mm256_sub_ps(_mm256_loadu_ps(gq + i), sg));
        _mm256_storeu_ps(ge + i, _mm256_add_ps(_mm256_loadu_ps(ge + i), sg));
    }
    if (i < n) l1_grad_ref(n - i, q + i, e + i, c, gq + i, ge + i);
}

AVX2 static float cmod_avx2(int64_t d, const float *q, const float *e) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 b = _mm256_sub_ps(_mm256_loadu_ps(q + d + i), _mm256_loadu_ps(e + d + i));
        acc = _mm256_add_ps(acc, _mm256_sqrt_ps(_mm256_fmadd_ps(a, a, _mm256_mul_ps(b, b))));
    }
    float s = hsum8(acc);
    for (; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        s += sqrtf(a * a + b * b);
    }
    return s;
}

AVX2 static void cmod_grad_avx2(int64_t d, const float *q, const float *e, float c, float *gq, float *ge) {
    const __m256 pc = _mm256_set1_ps(c), eps = _mm256_set1_ps(CMOD_EPS);
    int64_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 a = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(e + i));
        __m256 b = _mm256_sub_ps(_mm256_loadu_ps(q + d + i), _mm256_loadu_ps(e + d + i));
        __m256 k = _mm256_div_ps(pc, _mm256_sqrt_ps(_mm256_fmadd_ps(a, a, _mm256_fmadd_ps(b, b, eps))));
        a = _mm256_mul_ps(a, k);
        b = _mm256_mul_ps(b, k);
        _mm256_storeu_ps(gq + i, _mm256_sub_ps(_mm256_loadu_ps(gq + i), a));
        _mm256_storeu_ps(gq + d + i, _mm256_sub_ps(_mm256_loadu_ps(gq + d + i), b));
        _mm256_storeu_ps(ge + i, _mm256_add_ps(_mm256_loadu_ps(ge + i), a));
        _mm256_storeu_ps(ge + d + i, _mm256_add_ps(_mm256_loadu_ps(ge + d + i), b));
    }
    for (; i < d; i++) {
        float a = q[i] - e[i], b = q[d + i] - e[d + i];
        float k = c / sqrtf(a * a + b * b + CMOD_EPS);
        gq[i] -= k * a;
        gq[d + i] -= k * b;
        ge[i] += k * a;
        ge[d + i] += k * b;
    }
}
#endif

/* The kernels one model needs, chosen once per call site from a SIMD level. */
struct kge_kern {
    struct emb_vec_ops ops;
    float (*l1)(int64_t n, const float *q, const float *e);
    void (*l1_grad)(int64_t n, const float *q, const float *e, float c, float *gq, float *ge);
    float (*cmod)(int64_t d, const float *q, const float *e);
    void (*cmod_grad)(int64_t d, const float *q, const float *e, float c, float *gq, float *ge);
};

static struct kge_kern kern_get(enum emb_simd want) {
    struct kge_kern k;
    k.ops = emb_vec_ops_get(want);
    k.l1 = l1_ref;
    k.l1_grad = l1_grad_ref;
    k.cmod = cmod_ref;
    k.cmod_grad = cmod_grad_ref;
#ifdef KGE_X86
    if (k.ops.kind != EMB_SIMD_REF) {
        k.l1 = l1_avx2;
        k.l1_grad = l1_grad_avx2;
        k.cmod = cmod_avx2;
        k.cmod_grad = cmod_grad_avx2;
    }
#endif
    return k;
}

/* ---- query and match ---------------------------------------------------- */

static int is_complex(enum emb_kge_model m) { return m == EMB_KGE_COMPLEX || m == EMB_KGE_ROTATE; }
static int32_t ent_width(enum emb_kge_model m, int32_t dim) { return is_complex(m) ? 2 * dim : dim; }
static int32_t rel_width(enum emb_kge_model m, int32_t dim) { return m == EMB_KGE_COMPLEX ? 2 * dim : dim; }

/* The relation in the form the query stage uses: RotatE phases become
 * (cos, sin), 2*dim floats; other models use the row as it is. rc: (2*dim). */
static const float *rel_prepare(const struct emb_kge *m, const float *r, float *rc) {
    if (m->model != EMB_KGE_ROTATE) return r;
    for (int32_t k = 0; k < m->dim; k++) {
        rc[k] = cosf(r[k]);
        rc[m->dim + k] = sinf(r[k]);
    }
    return rc;
}

/* q = query(a, r). head: a is the tail and candidates replace the head.
 * r is prepared (rel_prepare). q: (ent width). */
static void query(const struct emb_kge *m, int head, const float *a, const float *r, float *q) {
    const int32_t d = m->dim;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (head)
            for (int32_t k = 0; k < d; k++) q[k] = a[k] - r[k];
        else
            for (int32_t k = 0; k < d; k++) q[k] = a[k] + r[k];
        break;
    case EMB_KGE_DISTMULT:
        for (int32_t k = 0; k < d; k++) q[k] = a[k] * r[k];
        break;
    default: { /* complex: q = a * r, or a * conj(r) on the head side */
        const float sg = head ? -1.0f : 1.0f;
        for (int32_t k = 0; k < d; k++) {
            float ar = a[k], ai = a[d + k], rr = r[k], ri = sg * r[d + k];
            q[k] = ar * rr - ai * ri;
            q[d + k] = ar * ri + ai * rr;
        }
    }
    }
}

/* Back through query: ga += dL/da, gr += dL/dr (prepared form) given
 * gq = dL/dq. */
static void query_back(const struct emb_kge *m, int head, const float *a, const float *r, const float *gq, float *ga,
                       float *gr) {
    const int32_t d = m->dim;
    switch (m->model) {
    case EMB_KGE_TRANSE:
        for (int32_t k = 0; k < d; k++) {
            ga[k] += gq[k];
            gr[k] += head ? -gq[k] : gq[k];
        }
        break;
    case EMB_KGE_DISTMULT:
        for (int32_t k = 0; k < d; k++) {
            ga[k] += gq[k] * r[k];
            gr[k] += gq[k] * a[k];
        }
        break;
    default: { /* q = a * s with s = r or conj(r): ga = g conj(s), gs = g conj(a) */
        const float sg = head ? -1.0f : 1.0f;
        for (int32_t k = 0; k < d; k++) {
            float gre = gq[k], gim = gq[d + k], rr = r[k], ri = sg * r[d + k], ar = a[k], ai = a[d + k];
            ga[k] += gre * rr + gim * ri;
            ga[d + k] += gim * rr - gre * ri;
            gr[k] += gre * ar + gim * ai;
            gr[d + k] += sg * (gim * ar - gre * ai);
        }
    }
    }
}

/* From the gradient on (cos, sin) to the gradient on the phases:
 * d/dtheta = -sin * g_cos + cos * g_sin. grc: (2*dim), gr: (dim). */
static void rel_back(const struct emb_kge *m, const float *rc, const float *grc, float *gr) {
    if (m->model != EMB_KGE_ROTATE) return; /* gradient already on the row */
    for (int32_t k = 0; k < m->dim; k++) gr[k] += -rc[m->dim + k] * grc[k] + rc[k] * grc[m->dim + k];
}

static float match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e) {
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (m->p_norm == 1) return m->gamma - kn->l1(m->dim, q, e);
        {
            float s = 0;
            for (int32_t k = 0; k < m->dim; k++) s += (q[k] - e[k]) * (q[k] - e[k]);
            return m->gamma - sqrtf(s);
        }
    case EMB_KGE_ROTATE:
        return m->gamma - kn->cmod(m->dim, q, e);
    default:
        return kn->ops.dot(ent_width(m->model, m->dim), q, e);
    }
}

/* gq += c dF/dq, ge += c dF/de. */
static void match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e, float c,
                       float *gq, float *ge) {
    switch (m->model) {
    case EMB_KGE_TRANSE:
        if (m->p_norm == 1) {
            kn->l1_grad(m->dim, q, e, c, gq, ge);
        } else {
            float s = 0;
            for (int32_t k = 0; k < m->dim; k++) s += (q[k] - e[k]) * (q[k] - e[k]);
            if (s <= 0) return;
            float f = c / sqrtf(s);
            for (int32_t k = 0; k < m->dim; k++) {
                float g = f * (q[k] - e[k]);
                gq[k] -= g;
                ge[k] += g;
            }
        }
        break;
    case EMB_KGE_ROTATE:
        kn->cmod_grad(m->dim, q, e, c, gq, ge);
        break;
    default: {
        int32_t w = ent_width(m->model, m->dim);
        kn->ops.axpy(w, c, e, gq);
        kn->ops.axpy(w, c, q, ge);
    }
    }
}

/* ---- public scoring ----------------------------------------------------- */

const char *emb_kge_model_name(enum emb_kge_model m) {
    switch (m) {
    case EMB_KGE_TRANSE: return "transe";
    case EMB_KGE_DISTMULT: return "distmult";
    case EMB_KGE_COMPLEX: return "complex";
    case EMB_KGE_ROTATE: return "rotate";
    }
    return "?";
}

int emb_kge_model_parse(const char *name, enum emb_kge_model *out, struct emb_err *err) {
    for (int i = 0; i <= (int)EMB_KGE_ROTATE; i++)
        if (!strcmp(name, emb_kge_model_name((enum emb_kge_model)i))) {
            *out = (enum emb_kge_model)i;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown model '%s' (transe, distmult, complex, rotate)", name);
}

float emb_kge_score_rows(const struct emb_kge *m, const float *h, const float *r, const float *t) {
    float q[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM];
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    query(m, 0, h, rel_prepare(m, r, rc), q);
    return match(m, &kn, q, t);
}

void emb_kge_grad_rows(const struct emb_kge *m, const float *h, const float *r, const float *t, float g, float *gh,
                       float *gr, float *gt) {
    float q[2 * EMB_KGE_MAX_DIM], gq[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM], grc[2 * EMB_KGE_MAX_DIM];
    float dh[2 * EMB_KGE_MAX_DIM], dt[2 * EMB_KGE_MAX_DIM], dr[2 * EMB_KGE_MAX_DIM];
    const int32_t we = ent_width(m->model, m->dim), wr = rel_width(m->model, m->dim);
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    const float *rp = rel_prepare(m, r, rc);
    query(m, 0, h, rp, q);
    memset(gq, 0, (size_t)we * sizeof *gq);
    memset(dt, 0, (size_t)we * sizeof *dt);
    memset(dh, 0, (size_t)we * sizeof *dh);
    memset(grc, 0, sizeof grc);
    memset(dr, 0, (size_t)wr * sizeof *dr);
    match_grad(m, &kn, q, t, g, gq, dt);
    query_back(m, 0, h, rp, gq, dh, m->model == EMB_KGE_ROTATE ? grc : dr);
    rel_back(m, rp, grc, dr);
    for (int32_t k = 0; k < we; k++) {
        if (gh) gh[k] += dh[k];
        if (gt) gt[k] += dt[k];
    }
    if (gr)
        for (int32_t k = 0; k < wr; k++) gr[k] += dr[k];
}

float emb_kge_score(const struct emb_kge *m, int32_t h, int32_t r, int32_t t) {
    return emb_kge_score_rows(m, emb_table_row(m->ent, h), emb_table_row(m->rel, r), emb_table_row(m->ent, t));
}

static void score_all(const struct emb_kge *m, int head, int32_t a, int32_t r, float *out) {
    float q[2 * EMB_KGE_MAX_DIM], rc[2 * EMB_KGE_MAX_DIM];
    struct kge_kern kn = kern_get(EMB_SIMD_AUTO);
    query(m, head, emb_table_row(m->ent, a), rel_prepare(m, emb_table_row(m->rel, r), rc), q);
    for (int64_t e = 0; e < m->ent->n_rows; e++) out[e] = match(m, &kn, q, emb_table_row(m->ent, e));
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
                     int64_t n_ent, int64_t n_rel, struct emb_err *err) {
    struct emb_kge *m = emb_calloc(1, sizeof *m);
    if (!m) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    m->model = model;
    m->dim = dim;
    m->p_norm = p_norm;
    m->gamma = gamma;
    int rc = emb_table_new(&m->ent, n_ent, ent_width(model, dim), err);
    if (rc == EMB_OK) rc = emb_table_new(&m->rel, n_rel, rel_width(model, dim), err);
    if (rc != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    *out = m;
    return EMB_OK;
}

int emb_kge_new(struct emb_kge **out, const struct emb_kg *kg, const struct emb_kge_params *p, struct emb_err *err) {
    *out = NULL;
    int rc = emb_kge_params_check(p, err);
    if (rc != EMB_OK) return rc;
    struct emb_kge *m = NULL;
    if ((rc = kge_alloc(&m, p->model, p->dim, p->p_norm, p->gamma, kg->n_entities, kg->n_relations, err)) != EMB_OK)
        return rc;
    if ((rc = vocab_copy(&m->ent_names, kg->entities, err)) != EMB_OK ||
        (rc = vocab_copy(&m->rel_names, kg->relations, err)) != EMB_OK) {
        emb_kge_free(m);
        return rc;
    }
    float s = p->init_scale > 0 ? p->init_scale : (p->gamma + 2.0f) / (float)p->dim;
    emb_table_init_uniform(m->ent, s, p->seed);
    emb_table_init_uniform(m->rel, p->model == EMB_KGE_ROTATE ? (float)M_PI : s, p->seed + 0x9e3779b97f4a7c15ull);
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
static int write_table(FILE *f, const struct emb_table *t) {
    int64_t n = t->n_rows * t->dim;
    if (fwrite(&n, 8, 1, f) != 1) return EMB_EIO;
    for (int64_t i = 0; i < t->n_rows; i++)
        if (fwrite(emb_table_row(t, i), sizeof(float), (size_t)t->dim, f) != (size_t)t->dim) return EMB_EIO;
    return EMB_OK;
}

int emb__kge_write(const struct emb_kge *m, FILE *f, const char magic[8], const char *extra_kv) {
    int64_t eb = 0, rb = 0;
    char *en = names_pack(m->ent_names, &eb), *rn = names_pack(m->rel_names, &rb);
    char kv[1024];
    int rc = EMB_ENOMEM;
    if (!en || !rn) goto done;
    snprintf(kv, sizeof kv,
             "kind=kge\nmodel=%s\ndim=%d\np_norm=%d\ngamma=%.9g\nn_entities=%lld\nn_relations=%lld\n"
             "ent_width=%d\nrel_width=%d\nent_name_bytes=%lld\nrel_name_bytes=%lld\n%s",
             emb_kge_model_name(m->model), m->dim, m->p_norm, m->gamma, (long long)m->ent->n_rows,
             (long long)m->rel->n_rows, m->ent->dim, m->rel->dim, (long long)eb, (long long)rb,
             extra_kv ? extra_kv : "");
    rc = EMB_EIO;
    if (emb_write_header(f, magic, KGE_VERSION, kv) != EMB_OK || emb_write_array(f, en, eb, 1) != EMB_OK ||
        emb_write_array(f, rn, rb, 1) != EMB_OK || write_table(f, m->ent) != EMB_OK || write_table(f, m->rel) != EMB_OK)
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
    if ((rc = emb__kge_write(m, emb_outfile_stream(o), KGE_MAGIC, NULL)) != EMB_OK) {
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

static int kv_num(const char *kv, const char *key, double lo, double hi, double *out, const char *path,
                  struct emb_err *err) {
    char buf[64], *end;
    if (!emb_kv_get(kv, key, buf, sizeof buf)) return emb_err_set(err, EMB_EFORMAT, "%s: header lacks '%s'", path, key);
    double v = strtod(buf, &end);
    if (end == buf || *end || !(v >= lo && v <= hi))
        return emb_err_set(err, EMB_EFORMAT, "%s: bad header value %s=%s", path, key, buf);
    *out = v;
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

static int read_table(struct emb_reader *r, struct emb_table *t, const char *what, struct emb_err *err) {
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
    int rc = emb_read_header(r, magic, KGE_VERSION, &version, &kv, err);
    if (rc != EMB_OK) return rc;
    char name[32];
    enum emb_kge_model model;
    double dim, p_norm, gamma, n_ent, n_rel, ew, rw, eb, rb;
    if (!emb_kv_get(kv, "kind", name, sizeof name) || strcmp(name, "kge")) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: not a knowledge-graph model", path);
        goto done;
    }
    if (!emb_kv_get(kv, "model", name, sizeof name) || emb_kge_model_parse(name, &model, NULL) != EMB_OK) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: unknown model kind", path);
        goto done;
    }
    if ((rc = kv_num(kv, "dim", 1, EMB_KGE_MAX_DIM, &dim, path, err)) ||
        (rc = kv_num(kv, "p_norm", 1, 2, &p_norm, path, err)) ||
        (rc = kv_num(kv, "gamma", -1e30, 1e30, &gamma, path, err)) ||
        (rc = kv_num(kv, "n_entities", 1, INT32_MAX, &n_ent, path, err)) ||
        (rc = kv_num(kv, "n_relations", 1, INT32_MAX, &n_rel, path, err)) ||
        (rc = kv_num(kv, "ent_width", 1, 2 * EMB_KGE_MAX_DIM, &ew, path, err)) ||
        (rc = kv_num(kv, "rel_width", 1, 2 * EMB_KGE_MAX_DIM, &rw, path, err)) ||
        (rc = kv_num(kv, "ent_name_bytes", 2 * n_ent, 1e15, &eb, path, err)) ||
        (rc = kv_num(kv, "rel_name_bytes", 2 * n_rel, 1e15, &rb, path, err)))
        goto done;
    if (dim != floor(dim) || p_norm != floor(p_norm) || (int32_t)ew != ent_width(model, (int32_t)dim) ||
        (int32_t)rw != rel_width(model, (int32_t)dim)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: table widths do not match the model", path);
        goto done;
    }
    /* Names first: they bound the entity count by the bytes really present
     * before any table is allocated. */
    if ((rc = emb__kge_read_grow(r, (int64_t)eb, 1, (void **)&en, "entity names", err)) != EMB_OK ||
        (rc = emb__kge_read_grow(r, (int64_t)rb, 1, (void **)&rn, "relation names", err)) != EMB_OK)
        goto done;
    if ((rc = kge_alloc(&m, model, (int32_t)dim, (int32_t)p_norm, (float)gamma, (int64_t)n_ent, (int64_t)n_rel, err)) !=
        EMB_OK)
        goto done;
    if ((rc = names_unpack(&m->ent_names, en, (int64_t)eb, (int64_t)n_ent, "entity", path, err)) != EMB_OK ||
        (rc = names_unpack(&m->rel_names, rn, (int64_t)rb, (int64_t)n_rel, "relation", path, err)) != EMB_OK)
        goto done;
    if ((rc = read_table(r, m->ent, "entity vectors", err)) != EMB_OK ||
        (rc = read_table(r, m->rel, "relation vectors", err)) != EMB_OK)
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
    if ((rc = emb__kge_read(&m, r, KGE_MAGIC, NULL, err)) == EMB_OK && emb_reader_getc(r) != -1) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: trailing bytes after the model", path);
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
    p.seed = 1;
    p.n_threads = 1;
    p.simd = EMB_SIMD_AUTO;
    p.valid_max = 1000;
    p.progress_every = 100;
    return p;
}

int emb_kge_params_check(const struct emb_kge_params *p, struct emb_err *err) {
    if ((int)p->model < 0 || p->model > EMB_KGE_ROTATE) return emb_err_set(err, EMB_EINVAL, "unknown model");
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
    if (p->n_threads < 1 || p->n_threads > 1024) return emb_err_set(err, EMB_EINVAL, "threads must be in 1..1024");
    if (p->valid_every < 0 || p->valid_max < 0 || p->patience < 0 || p->checkpoint_every < 0 || p->progress_every < 0)
        return emb_err_set(err, EMB_EINVAL, "validation, checkpoint and progress intervals must be >= 0");
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
