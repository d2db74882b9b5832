/* kge_model.h -- the model interface behind the KGE files (internal).
 *
 * Every model scores a triple in two stages. A "query" q combines the
 * known entity a with the relation r, and a "match" F(q, e) scores the
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
 * One file per model (kge_transe.c, kge_distmult.c, kge_complex.c,
 * kge_rotate.c) fills a struct kge_model_ops; kge_model_get looks it up
 * by enum in the table in kge.c. Adding a model = one file, one enum value
 * in kge.h, one line in that table. */
#ifndef EMB_KGE_MODEL_H
#define EMB_KGE_MODEL_H

#include <stdint.h>

#include "emb/kge.h"
#include "emb/simd.h"
#include "emb/vec.h"

#if EMB_X86
#include <immintrin.h>
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Queries per tile in the distance models' pair loops: the tile kernels
 * take up to TILE queries against one entity row, so that row is loaded
 * once per tile and its gradient accumulated in registers. */
#define TILE 8

/* A distance d(q, e) with F = gamma - d, and its kernels for one SIMD
 * level. grad adds c * dF/dq to gq and c * dF/de to ge. Tile forms:
 * out[i] = d(q[i], e), and gq[i] += c[i] dF/dq, ge += sum_i c[i] dF/de,
 * for n <= TILE queries. */
struct kge_dist_kern {
    float (*one)(int64_t n, const float *q, const float *e);
    void (*grad)(int64_t n, const float *q, const float *e, float c, float *gq, float *ge);
    void (*tile)(int64_t n, int nq, const float *const *q, const float *e, float *out);
    void (*grad_tile)(int64_t n, int nq, const float *const *q, const float *e, const float *c, float *const *gq,
                      float *ge);
};

/* The kernels one model needs, chosen once per call site (kge_kern_get). */
struct kge_kern {
    const struct kge_model_ops *mo;
    struct emb_vec_ops ops;    /* dot products (DistMult, ComplEx) */
    struct kge_dist_kern dist; /* distance models' kernels */
};

struct kge_model_ops {
    const char *name; /* as in --model */
    int ent_mult;     /* entity rows hold ent_mult * dim floats (2: complex) */
    int rel_mult;     /* relation rows hold rel_mult * dim floats */
    int phases;       /* relation rows are phases: uniform in [-pi, pi) at init,
                         prepared as (cos, sin), not regularised, lr scaled */
    int dot;          /* F is a dot product: chunks use dense products */
    /* The distance kernels at a resolved SIMD level (NULL for dot models). */
    void (*dist_kern)(enum emb_simd level, struct kge_dist_kern *k);
    /* Relation in the form the query stage uses, rc (2*dim), and back from
     * its gradient grc to the row's gr. NULL: the row as it is. */
    void (*rel_prepare)(int32_t dim, const float *r, float *rc);
    void (*rel_back)(int32_t dim, const float *rc, const float *grc, float *gr);
    /* q = query(a, r); head: a is the tail and candidates replace the head. */
    void (*query)(int32_t dim, int head, const float *a, const float *r, float *q);
    /* ga += dL/da, gr += dL/dr (prepared form) given gq = dL/dq. */
    void (*query_back)(int32_t dim, int head, const float *a, const float *r, const float *gq, float *ga, float *gr);
    float (*match)(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e);
    /* gq += c dF/dq, ge += c dF/de. */
    void (*match_grad)(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e, float c,
                       float *gq, float *ge);
    /* Distance models (NULL for dot models), a tile of n <= TILE queries
     * against one row e: out[i] = F(q[i], e); gq[i] += c[i] dF/dq[i],
     * ge += sum_i c[i] dF/de. */
    void (*match_tile)(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                       const float *e, float *out);
    void (*match_grad_tile)(const struct emb_kge *m, const struct kge_kern *kn, int n, const float *const *q,
                            const float *e, const float *c, float *const *gq, float *ge);
};

extern const struct kge_model_ops emb__kge_transe, emb__kge_distmult, emb__kge_complex, emb__kge_rotate;

/* The model's operations (kge.c's table); NULL for an unknown enum. */
const struct kge_model_ops *emb__kge_model_get(enum emb_kge_model model);
struct kge_kern emb__kge_kern_get(enum emb_kge_model model, enum emb_simd want);
static inline int32_t kge_ent_width(const struct kge_model_ops *mo, int32_t dim) { return mo->ent_mult * dim; }
static inline int32_t kge_rel_width(const struct kge_model_ops *mo, int32_t dim) { return mo->rel_mult * dim; }

/* Shared by the models: complex products (kge_complex.c) and dot matches
 * (kge_distmult.c). */
void emb__kge_cmul_query(int32_t dim, int head, const float *a, const float *r, float *q);
void emb__kge_cmul_query_back(int32_t dim, int head, const float *a, const float *r, const float *gq, float *ga,
                              float *gr);
float emb__kge_dot_match(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e);
void emb__kge_dot_match_grad(const struct emb_kge *m, const struct kge_kern *kn, const float *q, const float *e,
                             float c, float *gq, float *ge);

/* Tile kernels from a single-pair kernel (the generic ones); the AVX-512
 * ones in the model files share the loads of e. */
#define KGE_TILE_GENERIC(name, one, one_grad)                                                                      \
    static void name##_tile_gen(int64_t d, int n, const float *const *q, const float *e, float *out) {             \
        for (int i = 0; i < n; i++) out[i] = one(d, q[i], e);                                                       \
    }                                                                                                               \
    static void name##_grad_tile_gen(int64_t d, int n, const float *const *q, const float *e, const float *c,      \
                                     float *const *gq, float *ge) {                                                 \
        for (int i = 0; i < n; i++)                                                                                 \
            if (c[i] != 0) one_grad(d, q[i], e, c[i], gq[i], ge);                                                   \
    }

#if EMB_X86
EMB_TARGET_AVX2 static inline float kge_hsum8(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

/* The mask of the first n - i of 16 lanes (all when n - i >= 16). */
static inline __mmask16 kge_mask16(int64_t n, int64_t i) {
    return n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
}

/* Tiles of TILE queries against one row e: short tiles repeat their last
 * query with c = 0. */
EMB_TARGET_AVX512 static inline void kge_tile_pad(int n, const float *const *q, const float **qq) {
    for (int i = 0; i < TILE; i++) qq[i] = q[i < n ? i : n - 1];
}

/* The gradient kernels' padding: queries, their gradient rows, and the
 * coefficients broadcast (0 for the repeated ones). */
EMB_TARGET_AVX512 static inline void kge_tile_pad_grad(int n, const float *const *q, float *const *gq,
                                                       const float *c, const float **qq, float **gg, __m512 *cv) {
    kge_tile_pad(n, q, qq);
    for (int t = 0; t < TILE; t++) {
        gg[t] = gq[t < n ? t : n - 1];
        cv[t] = _mm512_set1_ps(t < n ? c[t] : 0.0f);
    }
}
#endif

#endif
