/* kge_test.c -- knowledge-graph embeddings (the dataset loader is tested in
 * src/data/kg_test.c): every model's score against its gradient (finite
 * differences on every parameter block), all-entity scoring against
 * single scores, the model file (round trip and corruption), and training:
 * the chunked loss gradient, planted rules each model must (or must not)
 * learn, determinism, NaN detection, checkpoints, lazy Adam, Adagrad,
 * Bernoulli sampling and --lr-drop against textbook updates, and a
 * Nations floor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/rng.h"
#include "emb/vecs.h"
#include "kge_ref.h"
#include "test.h"

static char tmpdir[] = "/tmp/kge_test_XXXXXX";

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

/* A dataset directory NAME with the given split contents (NULL = absent). */
static const char *make_ds(const char *name, const char *train, const char *valid, const char *test, int gz) {
    static char dir[512];
    path_in(dir, sizeof dir, name);
    test_write_kg(dir, train, valid, test, gz);
    return dir;
}

/* ---- score vs gradient ------------------------------------------------- */

/* Training options of most tests: one thread, seed 1. */
static struct emb_train_opts one_thread;

static struct emb_kge *toy_model(enum emb_kge_model model, int dim, int p_norm, uint64_t seed) {
    struct emb_err err = {0};
    const char *d = make_ds("toy", "a\tr\tb\nb\ts\tc\nc\tr\td\nd\ts\ta\n", NULL, NULL, 0);
    struct emb_kg *kg = NULL;
    if (emb_kg_load(&kg, d, &err) != EMB_OK) return NULL;
    struct emb_kge_params p = emb_kge_default_params();
    p.model = model;
    p.dim = dim;
    p.p_norm = p_norm;
    p.gamma = 3.0f;
    p.init_scale = 1.0f;
    struct emb_kge *m = NULL;
    emb_kge_new(&m, kg, &p, seed, &err);
    emb_kg_free(kg);
    return m;
}

/* d score / d x for every float of h, r, t against central differences
 * (in double around float rows: step 1e-3, tolerance 2e-3 relative). */
static int check_grad(struct emb_kge *m, const char *what) {
    float *h = emb_table_row(m->ent, 0), *t = emb_table_row(m->ent, 1), *r = emb_table_row(m->rel, 0);
    int we = m->ent->dim, wr = m->rel->dim;
    float gh[64] = {0}, gr[64] = {0}, gt[64] = {0};
    emb_kge_grad_rows(m, h, r, t, 1.0f, gh, gr, gt);
    float *blocks[3] = {h, r, t}, *grads[3] = {gh, gr, gt};
    int widths[3] = {we, wr, we};
    for (int b = 0; b < 3; b++)
        for (int k = 0; k < widths[b]; k++) {
            float keep = blocks[b][k], eps = 1e-3f;
            blocks[b][k] = keep + eps;
            double up = emb_kge_score_rows(m, h, r, t);
            blocks[b][k] = keep - eps;
            double dn = emb_kge_score_rows(m, h, r, t);
            blocks[b][k] = keep;
            double fd = (up - dn) / (2.0 * eps);
            if (fabs(fd - grads[b][k]) > 2e-3 * (1 + fabs(fd))) {
                fprintf(stderr, "%s: block %d index %d: analytic %g, finite difference %g\n", what, b, k,
                        grads[b][k], fd);
                return 1;
            }
        }
    return 0;
}

static int test_grad_rows(void) {
    const struct {
        enum emb_kge_model model;
        int p;
        const char *name;
    } cases[] = {{EMB_KGE_TRANSE, 1, "transe-l1"},
                 {EMB_KGE_TRANSE, 2, "transe-l2"},
                 {EMB_KGE_DISTMULT, 1, "distmult"},
                 {EMB_KGE_COMPLEX, 1, "complex"},
                 {EMB_KGE_ROTATE, 1, "rotate"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int dim = 5; dim <= 20; dim += 15) { /* 20: the SIMD path with a tail */
            struct emb_kge *m = toy_model(cases[i].model, dim, cases[i].p, 7 + i);
            CHECK(m != NULL);
            CHECK(m->ent->dim == (cases[i].model >= EMB_KGE_COMPLEX ? 2 * dim : dim));
            if (check_grad(m, cases[i].name)) return 1;
            emb_kge_free(m);
        }
    return 0;
}

/* Known values: DistMult and TransE on hand-set rows. */
static int test_known_scores(void) {
    struct emb_kge *m = toy_model(EMB_KGE_DISTMULT, 2, 1, 1);
    CHECK(m != NULL);
    float h[2] = {1, 2}, r[2] = {3, -1}, t[2] = {0.5f, 4};
    CHECK_NEAR(emb_kge_score_rows(m, h, r, t), 1 * 3 * 0.5 + 2 * -1 * 4, 1e-6);
    emb_kge_free(m);
    m = toy_model(EMB_KGE_TRANSE, 2, 2, 1);
    CHECK_NEAR(emb_kge_score_rows(m, h, r, t), 3.0 - sqrt(3.5 * 3.5 + 3 * 3), 1e-5);
    emb_kge_free(m);
    /* RotatE by pi/2 maps (1, 0) to (0, 1): distance 0 -> score gamma. */
    m = toy_model(EMB_KGE_ROTATE, 1, 1, 1);
    float eh[2] = {1, 0}, et[2] = {0, 1}, ph[1] = {(float)(M_PI / 2)};
    CHECK_NEAR(emb_kge_score_rows(m, eh, ph, et), 3.0, 1e-5);
    emb_kge_free(m);
    /* ComplEx: Re(h r conj(t)) with h = 1+2i, r = i, t = 3-i: (i-2)(3+i) = -7+i. */
    m = toy_model(EMB_KGE_COMPLEX, 1, 1, 1);
    float ch[2] = {1, 2}, cr[2] = {0, 1}, ct[2] = {3, -1};
    CHECK_NEAR(emb_kge_score_rows(m, ch, cr, ct), -7.0, 1e-5);
    emb_kge_free(m);
    return 0;
}

/* score_tails/score_heads agree with one-triple scores for every model. */
static int test_score_all(void) {
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        struct emb_kge *m = toy_model((enum emb_kge_model)model, 24, 1 + (model == 0), 3);
        CHECK(m != NULL);
        float out[4];
        for (int32_t r = 0; r < 2; r++)
            for (int32_t a = 0; a < 4; a++) {
                emb_kge_score_tails(m, a, r, out);
                for (int32_t e = 0; e < 4; e++) CHECK_NEAR(out[e], emb_kge_score(m, a, r, e), 1e-4);
                emb_kge_score_heads(m, r, a, out);
                for (int32_t e = 0; e < 4; e++) CHECK_NEAR(out[e], emb_kge_score(m, e, r, a), 1e-4);
            }
        emb_kge_free(m);
    }
    return 0;
}

/* ---- model file ------------------------------------------------------- */

static int test_save_load(void) {
    struct emb_err err = {0};
    char path[600], bad[600];
    path_in(path, sizeof path, "m.kge");
    path_in(bad, sizeof bad, "bad.kge");
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        struct emb_kge *m = toy_model((enum emb_kge_model)model, 7, 2, 5), *l = NULL;
        CHECK(m != NULL);
        CHECK_OK(emb_kge_save(m, path, &err));
        CHECK_OK(emb_kge_load(&l, path, &err));
        CHECK(l->model == m->model && l->dim == 7 && l->p_norm == 2 && l->gamma == m->gamma);
        CHECK(emb_vocab_size(l->ent_names) == 4 && !strcmp(emb_vocab_word(l->ent_names, 3), "d"));
        CHECK(!strcmp(emb_vocab_word(l->rel_names, 1), "s"));
        for (int64_t i = 0; i < 4; i++)
            CHECK(!memcmp(emb_table_row(l->ent, i), emb_table_row(m->ent, i), (size_t)m->ent->dim * 4));
        for (int64_t i = 0; i < 2; i++)
            CHECK(!memcmp(emb_table_row(l->rel, i), emb_table_row(m->rel, i), (size_t)m->rel->dim * 4));
        CHECK(emb_kge_score(l, 0, 1, 2) == emb_kge_score(m, 0, 1, 2));
        emb_kge_free(l);
        emb_kge_free(m);
    }
    /* Every truncation fails cleanly; so does a flipped magic, a file of
     * another kind, and trailing bytes. */
    size_t n;
    char *b = test_read_all(path, &n);
    CHECK(b != NULL);
    struct emb_kge *l = NULL;
    for (size_t cut = 0; cut < n; cut += (cut < 200 ? 1 : 37)) {
        test_write_file(bad, b, cut);
        CHECK(emb_kge_load(&l, bad, &err) == EMB_EFORMAT && l == NULL);
    }
    b[0] = 'X';
    test_write_file(bad, b, n);
    CHECK(emb_kge_load(&l, bad, &err) == EMB_EFORMAT && strstr(err.msg, "bad magic"));
    b[0] = 'E';
    char *b2 = malloc(n + 1);
    memcpy(b2, b, n);
    b2[n] = 'z';
    test_write_file(bad, b2, n + 1);
    CHECK(emb_kge_load(&l, bad, &err) == EMB_EFORMAT && strstr(err.msg, "trailing"));
    /* A header announcing a huge table with a tiny payload: refused
     * without allocating it. */
    char *p = memmem(b2, n, "n_entities=4", 12);
    CHECK(p != NULL);
    p[11] = '9';
    test_write_file(bad, b2, n);
    CHECK(emb_kge_load(&l, bad, &err) == EMB_EFORMAT);
    free(b2);
    free(b);
    test_write_file(bad, "EMBCKPT\0\1\0\0\0\0\0\0\0", 16);
    CHECK(emb_kge_load(&l, bad, &err) == EMB_EFORMAT);
    CHECK(emb_kge_load(&l, "/nonexistent/x.kge", &err) == EMB_EIO);
    emb_kge_free(NULL);
    /* Export entity vectors as word2vec text, readable by emb_vecs_load. */
    struct emb_kge *m = toy_model(EMB_KGE_COMPLEX, 3, 1, 9);
    path_in(path, sizeof path, "ent.txt");
    CHECK_OK(emb_kge_export_entities(m, path, &err));
    struct emb_vecs *v = NULL;
    CHECK_OK(emb_vecs_load(&v, path, EMB_FMT_AUTO, 0, NULL, &err));
    CHECK(v->table->n_rows == 4 && v->table->dim == 6);
    CHECK(emb_table_row(v->table, 2)[5] == emb_table_row(m->ent, 2)[5]);
    emb_vecs_free(v);
    emb_kge_free(m);
    return 0;
}

/* Reciprocal relations: twice the relation rows, names once; the flag and
 * both halves survive save/load; head scores come from the inverse rows;
 * a file without the flag (older writers) loads as not reciprocal. */
static int test_reciprocal(void) {
    struct emb_err err = {0};
    char path[600];
    path_in(path, sizeof path, "recip.kge");
    const char *d = make_ds("toyr", "a\tr\tb\nb\ts\tc\nc\tr\td\nd\ts\ta\n", NULL, NULL, 0);
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, d, &err));
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        struct emb_kge_params p = emb_kge_default_params();
        p.model = (enum emb_kge_model)model;
        p.dim = 6;
        p.reciprocal = 1;
        p.steps = 3;
        p.batch = 4;
        p.negatives = 3;
        struct emb_kge *m = NULL, *l = NULL;
        CHECK_OK(emb_kge_train(kg, &p, &one_thread, &m, &err));
        CHECK(m->reciprocal == 1 && m->rel->n_rows == 4 && emb_kge_n_relations(m) == 2);
        CHECK(emb_vocab_size(m->rel_names) == 2);
        float heads[4];
        emb_kge_score_heads(m, 1, 2, heads);
        for (int32_t e = 0; e < 4; e++) CHECK(heads[e] == emb_kge_score(m, 2, emb_kge_head_rel(m, 1), e));
        CHECK_OK(emb_kge_save(m, path, &err));
        CHECK_OK(emb_kge_load(&l, path, &err));
        CHECK(l->reciprocal == 1 && l->rel->n_rows == 4 && emb_vocab_size(l->rel_names) == 2);
        for (int64_t i = 0; i < 4; i++)
            CHECK(!memcmp(emb_table_row(l->rel, i), emb_table_row(m->rel, i), (size_t)m->rel->dim * 4));
        struct emb_kge_rank_stats a, b;
        CHECK_OK(emb_kge_quick_eval(m, kg, &kg->train, 0, 1, &a, &err));
        CHECK_OK(emb_kge_quick_eval(l, kg, &kg->train, 0, 1, &b, &err));
        CHECK(a.mrr == b.mrr);
        emb_kge_free(l);
        emb_kge_free(m);
    }
    /* the header of a plain model without the reciprocal line still loads */
    struct emb_kge *m = toy_model(EMB_KGE_DISTMULT, 5, 1, 3), *l = NULL;
    CHECK(m != NULL);
    CHECK_OK(emb_kge_save(m, path, &err));
    size_t n;
    char *b = test_read_all(path, &n), *at = b ? memmem(b, n, "reciprocal=0\n", 13) : NULL;
    CHECK(at != NULL);
    memcpy(at, "#eciprocal=0\n", 13); /* same length: the key is gone */
    test_write_file(path, b, n);
    /* format 2 has checksums: the edit is refused */
    CHECK(emb_kge_load(&l, path, &err) == EMB_EFORMAT && l == NULL && strstr(err.msg, "checksum"));
    /* as a format 1 file (no checksums, as written before them) it loads */
    uint32_t version = 1, kv_bytes;
    memcpy(b + 8, &version, 4);
    memcpy(&kv_bytes, b + 12, 4);
    memmove(b + 16 + kv_bytes, b + 20 + kv_bytes, n - 20 - kv_bytes); /* drop the header CRC */
    n -= 8;                                                           /* and the trailing one */
    test_write_file(path, b, n);
    CHECK_OK(emb_kge_load(&l, path, &err));
    CHECK(l->reciprocal == 0 && l->rel->n_rows == 2);
    free(b);
    emb_kge_free(l);
    emb_kge_free(m);
    emb_kg_free(kg);
    return 0;
}

int emb__kge_subsampling_weights(const struct emb_triples *t, int32_t n_rel, float *out);

/* The RotatE code's subsampling weights on a hand-made train set:
 * counts start at 4 for a pair's first occurrence. */
static int test_subsampling_weights(void) {
    /* (a r b) (a r c) (d r b) (b s a) */
    int32_t h[4] = {0, 0, 3, 1}, r[4] = {0, 0, 0, 1}, t[4] = {1, 2, 1, 0};
    struct emb_triples tri = {4, h, r, t};
    float w[4];
    CHECK(emb__kge_subsampling_weights(&tri, 2, w) == EMB_OK);
    /* c(a,r) = 5, c(b,r^-1) = 5, c(c,r^-1) = 4, c(d,r) = 4, c(b,s) = 4, c(a,s^-1) = 4 */
    CHECK_NEAR(w[0], 1 / sqrt(10.0), 1e-7);
    CHECK_NEAR(w[1], 1 / sqrt(9.0), 1e-7);
    CHECK_NEAR(w[2], 1 / sqrt(9.0), 1e-7);
    CHECK_NEAR(w[3], 1 / sqrt(8.0), 1e-7);
    return 0;
}

static int test_parse(void) {
    struct emb_err err = {0};
    enum emb_kge_model m;
    CHECK_OK(emb_kge_model_parse("rotate", &m, &err));
    CHECK(m == EMB_KGE_ROTATE && !strcmp(emb_kge_model_name(m), "rotate"));
    CHECK(emb_kge_model_parse("rescal", &m, &err) == EMB_EINVAL);
    struct emb_kge_params p = emb_kge_default_params();
    CHECK_OK(emb_kge_params_check(&p, &err));
    p.dim = 0;
    CHECK(emb_kge_params_check(&p, &err) == EMB_EINVAL);
    p = emb_kge_default_params();
    p.p_norm = 3;
    CHECK(emb_kge_params_check(&p, &err) == EMB_EINVAL);
    p = emb_kge_default_params();
    p.lr = NAN;
    CHECK(emb_kge_params_check(&p, &err) == EMB_EINVAL);
    enum emb_kge_loss l;
    CHECK(emb_kge_loss_parse("margin", &l, &err) == EMB_OK && l == EMB_KGE_LOSS_MARGIN);
    CHECK(emb_kge_loss_parse("hinge", &l, &err) == EMB_EINVAL);
    return 0;
}

/* ---- training: the chunk loss gradient ---------------------------------- */

double emb__kge_chunk_grad_dense(const struct emb_kge *m, const struct emb_kge_params *p, int n_pos,
                                 const int32_t *h, const int32_t *r, const int32_t *t, const uint8_t *head,
                                 const float *wt, int n_neg, const int32_t *neg, const uint8_t *mask, float *ge,
                                 float *gr);

static double softplus_d(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* The chunk loss written out with one-triple scores (score_direct), with
 * the self-adversarial weights taken from w_fixed when given (they are
 * constants in the gradient); w_out receives the weights at this point. */
static double ref_loss(const struct emb_kge *m, const struct emb_kge_params *p, int n_pos, const int32_t *h,
                       const int32_t *r, const int32_t *t, const uint8_t *head, const float *wt, int n_neg,
                       const int32_t *neg, const double *w_fixed, double *w_out) {
    enum { MAX_NEG = 256 };
    if (n_neg > MAX_NEG) return NAN;
    double total = 0, wsum = 0;
    for (int i = 0; i < n_pos; i++) wsum += wt ? wt[i] : 1.0;
    for (int i = 0; i < n_pos; i++) {
        double sp = score_direct(m, h[i], r[i], t[i]), S[MAX_NEG], l = 0;
        for (int j = 0; j < n_neg; j++)
            S[j] = head[i] ? score_direct(m, neg[j], r[i], t[i]) : score_direct(m, h[i], r[i], neg[j]);
        if (p->loss == EMB_KGE_LOSS_MARGIN) {
            for (int j = 0; j < n_neg; j++) l += fmax(0, p->gamma - sp + S[j]) / n_neg;
        } else {
            double alpha = p->loss == EMB_KGE_LOSS_ADV ? p->adv_temp : 0, z = 0, w[MAX_NEG];
            for (int j = 0; j < n_neg; j++) z += exp(alpha * S[j]);
            for (int j = 0; j < n_neg; j++) {
                w[j] = w_fixed ? w_fixed[i * n_neg + j] : exp(alpha * S[j]) / z;
                if (w_out) w_out[i * n_neg + j] = w[j];
            }
            l = 0.5 * softplus_d(-sp);
            for (int j = 0; j < n_neg; j++) l += 0.5 * w[j] * softplus_d(S[j]);
        }
        l *= (wt ? wt[i] : 1.0) / wsum * n_pos; /* the data term: weighted mean (times n, undone below) */
        if (p->reg != EMB_KGE_REG_NONE) {
            const float *rows[3] = {emb_table_row(m->ent, h[i]), emb_table_row(m->rel, r[i]), emb_table_row(m->ent, t[i])};
            int widths[3] = {m->ent->dim, m->model == EMB_KGE_ROTATE ? 0 : m->rel->dim, m->ent->dim};
            for (int b = 0; b < 3; b++)
                for (int k = 0; k < widths[b]; k++) {
                    double a = fabs(rows[b][k]);
                    l += p->reg_weight * (p->reg == EMB_KGE_REG_L2 ? a * a : a * a * a);
                }
        }
        total += l;
    }
    return total / n_pos;
}

/* Every model x loss x regulariser: the chunk's loss equals the one-triple
 * formula, and its gradient matches finite differences on every float of
 * every entity and relation row. Positives corrupt heads and tails
 * (mixed), entities repeat across positives and negatives. */
/* Central difference of the reference loss in one float of a table (the
 * self-adversarial weights held at w0) against the analytic gradient an;
 * prints and returns 1 when they disagree. */
static int fd_mismatch(struct emb_kge *m, const struct emb_kge_params *p, int n_pos, const int32_t *h,
                       const int32_t *r, const int32_t *t, const uint8_t *head, const float *wt, int n_neg,
                       const int32_t *neg,
                       const double *w0, struct emb_table *tab, int64_t row, int k, double an, float eps,
                       double rel, double abs_tol, const char *what) {
    float *x = emb_table_row(tab, row) + k, keep = *x, xu = keep + eps, xd = keep - eps;
    *x = xu;
    double up = ref_loss(m, p, n_pos, h, r, t, head, wt, n_neg, neg, w0, NULL);
    *x = xd;
    double dn = ref_loss(m, p, n_pos, h, r, t, head, wt, n_neg, neg, w0, NULL);
    *x = keep;
    double fd = (up - dn) / ((double)xu - (double)xd); /* the step the float rows really took */
    if (fabs(fd - an) <= rel * fabs(fd) + abs_tol) return 0;
    fprintf(stderr, "%s: %s row %lld [%d]: analytic %g, finite diff %g\n", what, tab == m->rel ? "relation" : "entity",
            (long long)row, k, an, fd);
    return 1;
}

/* A toy model (dim 3, gamma 1) for the chunk tests and its training
 * parameters with the given loss (adversarial temperature 0.7). */
static struct emb_kge *chunk_case(enum emb_kge_model model, int p_norm, uint64_t seed, enum emb_kge_loss loss,
                                  struct emb_kge_params *p) {
    struct emb_kge *m = toy_model(model, 3, p_norm, seed);
    if (!m) return NULL;
    m->gamma = 1.0f;
    *p = emb_kge_default_params();
    p->model = m->model;
    p->gamma = m->gamma;
    p->loss = loss;
    p->adv_temp = 0.7f;
    return m;
}

static int test_chunk_grad(void) {
    const int n_pos = 5, n_neg = 4;
    const int32_t h[5] = {0, 1, 2, 3, 0}, r[5] = {0, 1, 0, 1, 1}, t[5] = {1, 2, 3, 0, 2}, neg[4] = {2, 0, 3, 2};
    const uint8_t head[5] = {0, 1, 0, 1, 1};
    const enum emb_kge_loss losses[3] = {EMB_KGE_LOSS_ADV, EMB_KGE_LOSS_LOGISTIC, EMB_KGE_LOSS_MARGIN};
    for (int model = 0; model <= EMB_KGE_ROTATE; model++)
        for (int li = 0; li < 3; li++)
            for (int reg = 0; reg <= EMB_KGE_REG_N3; reg++) {
                struct emb_kge_params p;
                struct emb_kge *m = chunk_case((enum emb_kge_model)model, 1 + (model == 0 && li == 1), 20 + li,
                                               losses[li], &p);
                CHECK(m != NULL);
                p.reg = (enum emb_kge_reg)reg;
                p.reg_weight = 0.05f;
                float ge[4 * 6], gr[2 * 6];
                double w0[5 * 4];
                /* half the cases weigh the positives (--subsampling) */
                const float W[5] = {0.5f, 0.2f, 0.9f, 0.3f, 0.7f}, *wt = (model + li + reg) % 2 ? W : NULL;
                double loss = emb__kge_chunk_grad_dense(m, &p, n_pos, h, r, t, head, wt, n_neg, neg, NULL, ge, gr);
                double ref = ref_loss(m, &p, n_pos, h, r, t, head, wt, n_neg, neg, NULL, w0);
                if (fabs(loss - ref) > 1e-4 * (1 + fabs(ref))) fprintf(stderr, "model %d loss %d reg %d\n", model, li, reg);
                CHECK_NEAR(loss, ref, 1e-4 * (1 + fabs(ref)));
                struct emb_table *tabs[2] = {m->ent, m->rel};
                float *grads[2] = {ge, gr};
                for (int b = 0; b < 2; b++)
                    for (int64_t row = 0; row < tabs[b]->n_rows; row++)
                        for (int k = 0; k < tabs[b]->dim; k++) {
                            char what[64];
                            snprintf(what, sizeof what, "%s loss %d reg %d", emb_kge_model_name(m->model), li, reg);
                            if (fd_mismatch(m, &p, n_pos, h, r, t, head, wt, n_neg, neg, w0, tabs[b], row, k,
                                            grads[b][row * tabs[b]->dim + k], 1e-3f, 3e-3,
                                            3e-3,
                                            what))
                                return 1;
                        }
                emb_kge_free(m);
            }
    return 0;
}

/* The dot models score negatives in blocks sized to stay in L2 (about 256
 * KB of rows): with wide rows and many negatives a chunk spans several
 * blocks, the last one partial. The loss and sampled gradient coordinates
 * must still match the reference. */
static int test_chunk_grad_blocks(void) {
    enum { N_POS = 5, N_NEG = 200 };
    const int32_t h[N_POS] = {0, 1, 2, 3, 0}, r[N_POS] = {0, 1, 0, 1, 1}, t[N_POS] = {1, 2, 3, 0, 2};
    const uint8_t head[N_POS] = {0, 1, 0, 1, 1};
    int32_t neg[N_NEG];
    for (int j = 0; j < N_NEG; j++) neg[j] = (j * 7 + 3) % 4;
    const enum emb_kge_model models[4] = {EMB_KGE_DISTMULT, EMB_KGE_COMPLEX, EMB_KGE_TRANSE, EMB_KGE_ROTATE};
    for (int mi = 0; mi < 4; mi++) {
        /* 700 floats a row: blocks of 93 negatives, so 93 + 93 + 14. */
        int cplx = models[mi] == EMB_KGE_COMPLEX || models[mi] == EMB_KGE_ROTATE;
        /* TransE with L2: L1's kinks would spoil the finite differences */
        struct emb_kge *m = toy_model(models[mi], cplx ? 350 : 700, 2, 31 + mi);
        CHECK(m != NULL);
        for (int64_t i = 0; i < m->ent->n_rows * m->ent->dim_padded; i++) m->ent->data[i] *= 0.15f;
        for (int64_t i = 0; i < m->rel->n_rows * m->rel->dim_padded; i++) m->rel->data[i] *= 0.15f;
        struct emb_kge_params p = emb_kge_default_params();
        p.model = m->model;
        if (mi >= 2) {
            /* Distance models: gamma at the mean distance, so that scores sit
             * near 0 and every negative carries gradient (far from gamma the
             * sigmoid saturates and the negatives' blocks would go untested). */
            float sc[4];
            double md = 0;
            emb_kge_score_tails(m, 0, 0, sc);
            for (int e = 0; e < 4; e++) md += (m->gamma - sc[e]) / 4;
            m->gamma = (float)md;
        }
        p.gamma = m->gamma;
        p.loss = EMB_KGE_LOSS_ADV;
        p.adv_temp = 0.5f;
        p.reg = EMB_KGE_REG_N3;
        p.reg_weight = 0.01f;
        int we = m->ent->dim, wr = m->rel->dim;
        float *ge = calloc((size_t)m->ent->n_rows * (size_t)we, sizeof *ge);
        float *gr = calloc((size_t)m->rel->n_rows * (size_t)wr, sizeof *gr);
        double *w0 = malloc(sizeof(double) * N_POS * N_NEG);
        CHECK(ge && gr && w0);
        double loss = emb__kge_chunk_grad_dense(m, &p, N_POS, h, r, t, head, NULL, N_NEG, neg, NULL, ge, gr);
        double ref = ref_loss(m, &p, N_POS, h, r, t, head, NULL, N_NEG, neg, NULL, w0);
        CHECK_NEAR(loss, ref, 1e-4 * (1 + fabs(ref)));
        struct emb_rng g;
        emb_rng_seed(&g, 5, (uint64_t)mi);
        for (int s = 0; s < 60; s++) {
            int b = s & 1;
            struct emb_table *tab = b ? m->rel : m->ent;
            int64_t row = (int64_t)emb_rng_below(&g, (uint64_t)tab->n_rows);
            int k = (int)emb_rng_below(&g, (uint64_t)tab->dim);
            if (fd_mismatch(m, &p, N_POS, h, r, t, head, NULL, N_NEG, neg, w0, tab, row, k, (b ? gr : ge)[row * tab->dim + k], 1e-4f, 1e-3, 1e-6,
                            emb_kge_model_name(m->model)))
                return 1;
        }
        free(ge);
        free(gr);
        free(w0);
        emb_kge_free(m);
    }
    return 0;
}

int emb__kge_filter_mask(const struct emb_triples *train, int32_t n_ent, int32_t n_rel, int n_pos, const int32_t *h,
                         const int32_t *r, const int32_t *t, const uint8_t *head, int n_neg, int32_t *neg,
                         uint8_t *mask);

/* --filter-negatives: on a random train set (repeated triples included),
 * the mask marks exactly the negatives that complete a train triple for
 * each positive's query -- head queries, tail queries and inverse-relation
 * tail queries -- with the negatives sorted but otherwise kept. Every
 * other round draws only 3 negatives, so answer lists are longer than the
 * negatives too. */
static int test_filter_mask(void) {
    enum { E = 7, R = 2, NT = 30, NP = 12, NN = 40 };
    int32_t th[NT], tr_[NT], tt[NT];
    struct emb_rng g;
    emb_rng_seed(&g, 11, 0);
    for (int i = 0; i < NT; i++) {
        th[i] = (int32_t)emb_rng_below(&g, E), tr_[i] = (int32_t)emb_rng_below(&g, R);
        tt[i] = (int32_t)emb_rng_below(&g, 3); /* few tails: long answer lists for (?, r, t) */
    }
    struct emb_triples train = {NT, th, tr_, tt};
    int marked = 0;
    for (int round = 0; round < 40; round++) {
        int n_neg = round % 2 ? 3 : NN;
        int32_t h[NP], r[NP], t[NP], neg[NN];
        uint8_t head[NP], mask[NP * NN];
        int64_t sum = 0, sum_after = 0;
        for (int i = 0; i < NP; i++) {
            int x = (int)emb_rng_below(&g, NT);
            h[i] = th[x], r[i] = tr_[x], t[i] = tt[x];
            head[i] = (uint8_t)(i % 3 == 0);
            if (i % 3 == 1) { /* (t, r^-1, ?) as the trainer asks it with --reciprocal */
                h[i] = tt[x], t[i] = th[x], r[i] = R + tr_[x];
            }
        }
        for (int j = 0; j < n_neg; j++) sum += neg[j] = (int32_t)emb_rng_below(&g, E);
        CHECK(emb__kge_filter_mask(&train, E, R, NP, h, r, t, head, n_neg, neg, mask) == EMB_OK);
        for (int j = 0; j < n_neg; j++) {
            sum_after += neg[j];
            CHECK(j == 0 || neg[j - 1] <= neg[j]);
        }
        CHECK(sum == sum_after);
        for (int i = 0; i < NP; i++)
            for (int j = 0; j < n_neg; j++) {
                int truth = 0;
                for (int k = 0; k < NT; k++) {
                    if (head[i]) truth |= th[k] == neg[j] && tr_[k] == r[i] && tt[k] == t[i];
                    else if (r[i] >= R) truth |= th[k] == neg[j] && tr_[k] == r[i] - R && tt[k] == h[i];
                    else truth |= th[k] == h[i] && tr_[k] == r[i] && tt[k] == neg[j];
                }
                if (mask[i * n_neg + j] != truth)
                    fprintf(stderr, "round %d positive %d negative %d: mask %d, truth %d\n", round, i, neg[j],
                            mask[i * n_neg + j], truth);
                CHECK(mask[i * n_neg + j] == truth);
                marked += truth;
            }
    }
    CHECK(marked > 100); /* the test saw many true answers among the negatives */
    return 0;
}

/* A masked chunk equals its positives trained one at a time on their
 * unmasked negatives only (loss and every gradient float), for every
 * model and loss; one positive has every negative masked and keeps only
 * its positive term. */
static int test_chunk_grad_mask(void) {
    enum { NP = 4, NN = 5 };
    const int32_t h[NP] = {0, 1, 2, 3}, r[NP] = {0, 1, 0, 1}, t[NP] = {1, 2, 3, 0}, neg[NN] = {2, 0, 3, 1, 0};
    const uint8_t head[NP] = {0, 1, 0, 1};
    const uint8_t mask[NP * NN] = {0, 1, 0, 0, 1, /**/ 0, 0, 0, 0, 0, /**/ 1, 1, 1, 1, 1, /**/ 0, 0, 1, 0, 0};
    const enum emb_kge_loss losses[3] = {EMB_KGE_LOSS_ADV, EMB_KGE_LOSS_LOGISTIC, EMB_KGE_LOSS_MARGIN};
    for (int model = 0; model <= EMB_KGE_ROTATE; model++)
        for (int li = 0; li < 3; li++) {
            struct emb_kge_params p;
            struct emb_kge *m = chunk_case((enum emb_kge_model)model, 2, 40 + li, losses[li], &p);
            CHECK(m != NULL);
            enum { GE = 4 * 6, GR = 2 * 6 };
            float ge[GE], gr[GR], ge1[GE], gr1[GR];
            double ref_ge[GE] = {0}, ref_gr[GR] = {0}, ref = 0;
            double loss = emb__kge_chunk_grad_dense(m, &p, NP, h, r, t, head, NULL, NN, neg, mask, ge, gr);
            for (int i = 0; i < NP; i++) {
                int32_t keep[NN];
                int nk = 0;
                for (int j = 0; j < NN; j++)
                    if (!mask[i * NN + j]) keep[nk++] = neg[j];
                double l1;
                if (nk > 0) {
                    l1 = emb__kge_chunk_grad_dense(m, &p, 1, h + i, r + i, t + i, head + i, NULL, nk, keep, NULL, ge1,
                                                   gr1);
                } else { /* only the positive's term: 0.5 softplus(-s), none for the margin loss */
                    memset(ge1, 0, sizeof ge1);
                    memset(gr1, 0, sizeof gr1);
                    double sp = emb_kge_score(m, h[i], r[i], t[i]);
                    l1 = p.loss == EMB_KGE_LOSS_MARGIN ? 0 : 0.5 * softplus_d(-sp);
                    float c = p.loss == EMB_KGE_LOSS_MARGIN ? 0.0f : (float)(-0.5 / (1 + exp(sp)));
                    emb_kge_grad_rows(m, emb_table_row(m->ent, h[i]), emb_table_row(m->rel, r[i]),
                                      emb_table_row(m->ent, t[i]), c, ge1 + h[i] * m->ent->dim,
                                      gr1 + r[i] * m->rel->dim, ge1 + t[i] * m->ent->dim);
                }
                ref += l1 / NP;
                for (int k = 0; k < GE; k++) ref_ge[k] += ge1[k] / (double)NP;
                for (int k = 0; k < GR; k++) ref_gr[k] += gr1[k] / (double)NP;
            }
            if (fabs(loss - ref) > 1e-5 * (1 + fabs(ref)))
                fprintf(stderr, "%s loss %d: masked chunk %g, one at a time %g\n", emb_kge_model_name(m->model), li,
                        loss, ref);
            CHECK_NEAR(loss, ref, 1e-5 * (1 + fabs(ref)));
            int nonzero = 0;
            for (int k = 0; k < m->ent->n_rows * m->ent->dim; k++) {
                CHECK_NEAR(ge[k], ref_ge[k], 1e-5 * (1 + fabs(ref_ge[k])));
                nonzero += ge[k] != 0;
            }
            for (int k = 0; k < m->rel->n_rows * m->rel->dim; k++) CHECK_NEAR(gr[k], ref_gr[k], 1e-5 * (1 + fabs(ref_gr[k])));
            CHECK(nonzero > 0);
            emb_kge_free(m);
        }
    return 0;
}

/* ---- training: planted rules ------------------------------------------- */

/* 40 entities on a cycle, relations that are rotations of it:
 *   r1: a -> a+1, r3: a -> a+3, r4: a -> a+4 (= r1 then r3),
 *   inv1: a -> a-1 (inverse of r1), opp: a <-> a+20 (symmetric).
 * Train holds all of r1 and r3, and half of r4, inv1 and opp (for opp, one
 * direction of each pair); test holds the other halves. RotatE's algebra
 * has all of these; DistMult scores (a, r, b) and (b, r, a) the same, so
 * it cannot tell r1 from its reverse. */
#define CYC 40
static const char *make_cycle_ds(void) {
    static char train[16384], test[8192];
    char *tr = train, *te = test;
    struct emb_rng g;
    emb_rng_seed(&g, 3, 0);
    for (int a = 0; a < CYC; a++) {
        tr += sprintf(tr, "e%d\tr1\te%d\n", a, (a + 1) % CYC);
        tr += sprintf(tr, "e%d\tr3\te%d\n", a, (a + 3) % CYC);
        int half = emb_rng_uniform(&g) < 0.5f;
        char **dst = half ? &te : &tr;
        *dst += sprintf(*dst, "e%d\tr4\te%d\n", a, (a + 4) % CYC);
        dst = (a % 2) ? &te : &tr;
        *dst += sprintf(*dst, "e%d\tinv1\te%d\n", a, (a + CYC - 1) % CYC);
        if (a < CYC / 2) {
            int first = emb_rng_uniform(&g) < 0.5f;
            tr += sprintf(tr, "e%d\topp\te%d\n", first ? a : a + CYC / 2, first ? a + CYC / 2 : a);
            te += sprintf(te, "e%d\topp\te%d\n", first ? a + CYC / 2 : a, first ? a : a + CYC / 2);
        }
    }
    return make_ds("cycle", train, NULL, test, 0);
}

/* Filtered MRR of the test triples of relation rel (both directions). */
static double rel_mrr(const struct emb_kge *m, const struct emb_kg *kg, const char *rel) {
    int32_t r = emb_vocab_find(kg->relations, rel, strlen(rel));
    struct emb_triples sub = {0, malloc(kg->test.n * 4), malloc(kg->test.n * 4), malloc(kg->test.n * 4)};
    for (int64_t i = 0; i < kg->test.n; i++)
        if (kg->test.r[i] == r) {
            sub.h[sub.n] = kg->test.h[i], sub.r[sub.n] = r, sub.t[sub.n] = kg->test.t[i];
            sub.n++;
        }
    double mrr = emb_kge_quick_mrr(m, kg, &sub, 0, 1);
    free(sub.h), free(sub.r), free(sub.t);
    return mrr;
}

/* Fraction of r1 triples (a, r1, a+1) scored above their reverse. */
static double forward_wins(const struct emb_kge *m, const struct emb_kg *kg) {
    int32_t r = emb_vocab_find(kg->relations, "r1", 2), wins = 0, n = 0;
    for (int64_t i = 0; i < kg->train.n; i++)
        if (kg->train.r[i] == r) {
            /* "Beats" by more than float rounding: DistMult's two sums
             * differ only in the order of their terms. */
            float f = emb_kge_score(m, kg->train.h[i], r, kg->train.t[i]), b = emb_kge_score(m, kg->train.t[i], r, kg->train.h[i]);
            wins += f - b > 1e-3f * (1 + fabsf(f));
            n++;
        }
    return wins / (double)n;
}

static int test_planted(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_cycle_ds(), &err));
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        struct emb_kge_params p = emb_kge_default_params();
        p.model = (enum emb_kge_model)model;
        p.dim = 32;
        p.gamma = 6;
        p.negatives = 16;
        p.batch = 64;
        p.lr = 0.02f;
        p.steps = 1500;
        struct emb_train_opts o = emb_train_default_opts();
        o.seed = 5;
        struct emb_kge *m = NULL;
        CHECK_OK(emb_kge_train(kg, &p, &o, &m, &err));
        double comp = rel_mrr(m, kg, "r4"), inv = rel_mrr(m, kg, "inv1"), sym = rel_mrr(m, kg, "opp");
        double fw = forward_wins(m, kg);
        printf("%-8s composition MRR %.3f, inverse %.3f, symmetric %.3f; r1 forward beats reverse %.2f\n",
               emb_kge_model_name(p.model), comp, inv, sym, fw);
        if (p.model == EMB_KGE_ROTATE) { /* rotations: everything */
            CHECK(comp >= 0.9 && inv >= 0.9 && sym >= 0.9 && fw >= 0.95);
        } else if (p.model == EMB_KGE_DISTMULT) { /* symmetric by construction */
            CHECK(sym >= 0.9);
            CHECK(fw == 0); /* never better: scores of (a,r,b) and (b,r,a) are equal */
            CHECK(inv < 0.75 && comp < 0.75); /* a coin toss between a+1 and a-1 */
            for (int64_t i = 0; i < kg->train.n; i++)
                CHECK_NEAR(emb_kge_score(m, kg->train.h[i], kg->train.r[i], kg->train.t[i]),
                           emb_kge_score(m, kg->train.t[i], kg->train.r[i], kg->train.h[i]), 1e-4);
        } else if (p.model == EMB_KGE_COMPLEX) { /* asymmetric and symmetric relations */
            CHECK(fw >= 0.95 && sym >= 0.8 && inv >= 0.8);
        } else { /* TransE: antisymmetric; a symmetric relation collapses to r = 0, and
                  * translations cannot close a cycle, so no floor on the rest */
            CHECK(fw >= 0.95);
            CHECK(sym < 0.6);
        }
        emb_kge_free(m);
    }
    emb_kg_free(kg);
    return 0;
}

/* ---- training: determinism, checkpoints, divergence, Nations ----------- */

static int same_tables(const struct emb_kge *a, const struct emb_kge *b) {
    return !memcmp(a->ent->data, b->ent->data, (size_t)(a->ent->n_rows * a->ent->dim_padded) * 4) &&
           !memcmp(a->rel->data, b->rel->data, (size_t)(a->rel->n_rows * a->rel->dim_padded) * 4);
}

static struct emb_kge_params small_params(enum emb_kge_model model) {
    struct emb_kge_params p = emb_kge_default_params();
    p.model = model;
    p.dim = 16;
    p.negatives = 8;
    p.batch = 32;
    p.lr = 0.01f;
    p.steps = 60;
    p.lr_drop_at = 0.5f;
    return p;
}

struct stop_at {
    volatile sig_atomic_t *flag;
    int64_t step;
};

static void stop_cb(void *ctx, const struct emb_train_progress *pr) {
    struct stop_at *s = ctx;
    if (pr->event == EMB_TRAIN_TICK && pr->step == s->step) *s->flag = 1;
}

static int test_determinism_resume(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_cycle_ds(), &err));
    char ck[600];
    path_in(ck, sizeof ck, "train.ckpt");
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        for (int opt = 0; opt < 2; opt++) {
            struct emb_kge_params p = small_params((enum emb_kge_model)model);
            p.optimizer = (enum emb_kge_opt)opt;
            p.neg_sampling = (enum emb_kge_neg)opt; /* Bernoulli with Adagrad */
            struct emb_kge *a = NULL, *b = NULL, *c = NULL;
            CHECK_OK(emb_kge_train(kg, &p, &one_thread, &a, &err));
            CHECK_OK(emb_kge_train(kg, &p, &one_thread, &b, &err));
            CHECK(same_tables(a, b)); /* one thread, same seed: identical */
            /* Stopped at step 25 (a checkpoint is written), then resumed:
             * the same tables as 60 steps straight (lr drop, Adam bias
             * corrections, epoch order and random streams all resume). */
            unlink(ck);
            volatile sig_atomic_t stop = 0;
            struct stop_at sa = {&stop, 25};
            struct emb_train_opts q = emb_train_default_opts();
            q.checkpoint_path = ck;
            q.stop = &stop;
            q.progress = stop_cb;
            q.progress_ctx = &sa;
            q.progress_every = 0; /* a TICK after every step */
            CHECK(emb_kge_train(kg, &p, &q, &c, &err) == EMB_EINTR && c == NULL);
            stop = 0;
            sa.step = -1;
            q.resume = 1;
            CHECK_OK(emb_kge_train(kg, &p, &q, &c, &err));
            CHECK(same_tables(a, c));
            emb_kge_free(a);
            emb_kge_free(b);
            emb_kge_free(c);
        }
    }
    /* The SIMD kernels (distances, Adam) against the scalar reference:
     * a few steps of training end at nearly the same tables. */
    for (int model = 0; model <= EMB_KGE_ROTATE; model++) {
        struct emb_kge_params p = small_params((enum emb_kge_model)model);
        p.steps = 5;
        p.dim = 40; /* not a multiple of 16: masked tails */
        struct emb_kge *a = NULL, *b = NULL;
        CHECK_OK(emb_kge_train(kg, &p, &one_thread, &a, &err));
        p.simd = EMB_SIMD_REF;
        CHECK_OK(emb_kge_train(kg, &p, &one_thread, &b, &err));
        double worst = 0;
        for (int64_t i = 0; i < a->ent->n_rows * a->ent->dim_padded; i++)
            worst = fmax(worst, fabs(a->ent->data[i] - b->ent->data[i]));
        for (int64_t i = 0; i < a->rel->n_rows * a->rel->dim_padded; i++)
            worst = fmax(worst, fabs(a->rel->data[i] - b->rel->data[i]));
        printf("%s: SIMD vs scalar training, largest difference %.2g\n", emb_kge_model_name(p.model), worst);
        CHECK(worst < 1e-3);
        emb_kge_free(a);
        emb_kge_free(b);
    }
    /* Two threads train too (Hogwild) and give finite tables. */
    struct emb_kge_params p = small_params(EMB_KGE_ROTATE);
    struct emb_train_opts o = emb_train_default_opts();
    o.n_threads = 2;
    struct emb_kge *m = NULL;
    CHECK_OK(emb_kge_train(kg, &p, &o, &m, &err));
    CHECK(emb_table_find_nonfinite(m->ent) < 0);
    emb_kge_free(m);
    /* A checkpoint for another model or dimension is refused. */
    p = small_params(EMB_KGE_DISTMULT);
    o = emb_train_default_opts();
    o.checkpoint_path = ck;
    o.resume = 1;
    CHECK(emb_kge_train(kg, &p, &o, &m, &err) == EMB_EINVAL && m == NULL);
    /* Stop requested: EMB_EINTR, state saved, resumable. */
    volatile sig_atomic_t stop = 1;
    p = small_params(EMB_KGE_TRANSE);
    o = emb_train_default_opts();
    o.stop = &stop;
    o.checkpoint_path = ck;
    unlink(ck);
    CHECK(emb_kge_train(kg, &p, &o, &m, &err) == EMB_EINTR && m == NULL);
    CHECK(test_exists(ck));
    emb_kg_free(kg);
    return 0;
}

static int test_divergence(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_cycle_ds(), &err));
    char ck[600];
    path_in(ck, sizeof ck, "nan.ckpt");
    unlink(ck);
    struct emb_kge_params p = small_params(EMB_KGE_DISTMULT);
    p.optimizer = EMB_KGE_OPT_ADAGRAD;
    p.lr = 1e30f; /* scores overflow within a few steps */
    p.steps = 1000;
    struct emb_train_opts o = emb_train_default_opts();
    o.checkpoint_path = ck;
    o.checkpoint_every = 1e-9; /* seconds: a checkpoint after every step */
    struct emb_kge *m = NULL;
    int rc = emb_kge_train(kg, &p, &o, &m, &err);
    printf("divergence: %s\n", err.msg);
    CHECK(rc == EMB_ENUMERIC && m == NULL);
    CHECK(strstr(err.msg, "at step") && strstr(err.msg, "last good checkpoint"));
    CHECK(test_exists(ck)); /* the step-1 checkpoint, written while still finite */
    emb_kg_free(kg);
    return 0;
}

/* Nations (14 countries, 55 relations): filtered valid MRR floors, with
 * early stopping on. Random ranking gives about 0.25. */
static int test_nations(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    /* tests/data/nations is part of the repository: its absence is a failure. */
    CHECK_OK(emb_kg_load(&kg, "tests/data/nations", &err));
    CHECK(kg->n_entities == 14 && kg->n_relations == 55 && kg->train.n == 1592);
    /* Floors about 0.05 under what this build measures (0.45-0.47, 0.70, 0.65,
     * 0.63, and 0.75 for ComplEx with reciprocal relations), so compilers and
     * FMA contraction do not matter. */
    const double floor[5] = {0.40, 0.62, 0.58, 0.52, 0.69};
    for (int model = 0; model <= EMB_KGE_ROTATE + 1; model++) {
        struct emb_kge_params p = emb_kge_default_params();
        p.model = model > EMB_KGE_ROTATE ? EMB_KGE_COMPLEX : (enum emb_kge_model)model;
        p.reciprocal = model > EMB_KGE_ROTATE;
        p.dim = 50;
        p.negatives = 64;
        p.batch = 256;
        p.lr = 0.01f;
        p.epochs = 100;
        p.valid_every = 100;
        p.patience = 3;
        if (p.model == EMB_KGE_ROTATE) p.gamma = 6;
        struct emb_kge *m = NULL;
        CHECK_OK(emb_kge_train(kg, &p, &one_thread, &m, &err));
        double mrr = emb_kge_quick_mrr(m, kg, &kg->test, 0, 1);
        printf("nations %-8s%s filtered test MRR %.3f (floor %.2f)\n", emb_kge_model_name(p.model),
               p.reciprocal ? " reciprocal" : "", mrr, floor[model]);
        CHECK(mrr >= floor[model]);
        emb_kge_free(m);
    }
    emb_kg_free(kg);
    return 0;
}

/* ---- training: optimisers, Bernoulli sampling, --lr-drop ----------------
 *
 * A few steps of emb_kge_train against a transcription of the update from
 * the textbook formulas, in double: the trainer's own chunk gradient
 * (emb__kge_chunk_grad_dense, checked above against finite differences)
 * at the reference weights, then
 *   lazy Adam (Kingma & Ba; PyTorch's SparseAdam): for the rows a step
 *     touches only, m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 *     w -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + 1e-8), t counting
 *     all updates so far (one per step here: one chunk per step);
 *   Adagrad (Duchi et al.; PyTorch's defaults): s += g^2,
 *     w -= lr g / (sqrt(s) + 1e-10);
 *   Bernoulli sampling (Wang et al. 2014): the head is corrupted with
 *     probability tph / (tph + hpt) of the positive's relation, tph the
 *     mean number of tails per (head, relation), hpt of heads per
 *     (relation, tail), counted here from the triples;
 *   --lr-drop f: lr / 10 from step f * steps on (documented in kge.h).
 * The trainer's random stream (seed, thread 0) and epoch shuffle are
 * reproduced so both see the same positives, sides and negatives. */

/* r0 is 1-to-N (heads a, e; six tails: tph 3, hpt 1, p_head 3/4), r1 is
 * N-to-1 (p_head 1/4); x and y occur only in test, so only negatives touch
 * their rows. */
static const char *make_opt_ds(void) {
    return make_ds("opt",
                   "a\tr0\tb\na\tr0\tc\na\tr0\td\ne\tr0\tf\ne\tr0\tg\ne\tr0\th\n"
                   "b\tr1\ta\nc\tr1\ta\nd\tr1\ta\nf\tr1\te\ng\tr1\te\nh\tr1\te\n",
                   NULL, "a\tr1\tb\nx\tr0\ty\n", 0);
}

/* tph / (tph + hpt) per relation, from the definition (quadratic loops). */
static void ref_bernoulli(const struct emb_triples *t, int32_t n_rel, double *p_head) {
    for (int32_t r = 0; r < n_rel; r++) {
        double cnt = 0, heads = 0, tails = 0;
        for (int64_t i = 0; i < t->n; i++) {
            if (t->r[i] != r) continue;
            cnt++;
            int new_h = 1, new_t = 1;
            for (int64_t j = 0; j < i; j++)
                if (t->r[j] == r) {
                    if (t->h[j] == t->h[i]) new_h = 0;
                    if (t->t[j] == t->t[i]) new_t = 0;
                }
            heads += new_h;
            tails += new_t;
        }
        double tph = heads > 0 ? cnt / heads : 1, hpt = tails > 0 ? cnt / tails : 1;
        p_head[r] = tph / (tph + hpt);
    }
}

/* The trainer's order of epoch e (kge.c make_perm). */
static void ref_perm(uint64_t seed, int64_t epoch, int64_t n, int32_t *perm) {
    for (int64_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    struct emb_rng r;
    emb_rng_seed(&r, seed ^ 0x5851f42d4c957f2dull, (uint64_t)epoch);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)emb_rng_below(&r, (uint64_t)i + 1);
        int32_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
}

#define OPT_MAX_POS 16
#define OPT_MAX_STEPS 8
#define OPT_SEED 3

struct opt_ref {
    double *we, *wr;                  /* weights after the steps, unpadded */
    uint8_t side[OPT_MAX_STEPS][OPT_MAX_POS]; /* 1: the positive's head was corrupted */
    int n_lazy;                       /* entity rows with moments that a later step left alone */
    int n_untouched;                  /* entity rows no step touched */
    uint8_t *ever;                    /* (n_entities) touched by some step */
};

/* p's steps from p's initial weights; lr[s] is the learning rate of step
 * s, p_head (NULL: uniform sampling) the Bernoulli probabilities. */
static int ref_train(const struct emb_kg *kg, const struct emb_kge_params *p, const double *lr, const double *p_head,
                     struct opt_ref *o) {
    struct emb_err err = {0};
    struct emb_kge *m = NULL;
    CHECK_OK(emb_kge_new(&m, kg, p, OPT_SEED, &err));
    const int64_t ne = m->ent->n_rows, nr = m->rel->n_rows, we = m->ent->dim, wr = m->rel->dim;
    const int64_t n = kg->train.n, spe = (n + p->batch - 1) / p->batch;
    CHECK(p->batch <= OPT_MAX_POS && p->steps <= OPT_MAX_STEPS && !p->reciprocal);
    o->we = calloc((size_t)(ne * we), sizeof(double));
    o->wr = calloc((size_t)(nr * wr), sizeof(double));
    o->ever = calloc((size_t)ne, 1);
    double *s1e = calloc((size_t)(ne * we), sizeof(double)), *s2e = calloc((size_t)(ne * we), sizeof(double));
    double *s1r = calloc((size_t)(nr * wr), sizeof(double)), *s2r = calloc((size_t)(nr * wr), sizeof(double));
    float *ge = malloc((size_t)(ne * we) * sizeof(float)), *gr = malloc((size_t)(nr * wr) * sizeof(float));
    int32_t *perm = malloc((size_t)n * sizeof *perm);
    uint8_t *te = calloc((size_t)ne, 1), *tr = calloc((size_t)nr, 1), *had = calloc((size_t)ne, 1);
    CHECK(o->we && o->wr && o->ever && s1e && s2e && s1r && s2r && ge && gr && perm && te && tr && had);
    for (int64_t e = 0; e < ne; e++)
        for (int64_t k = 0; k < we; k++) o->we[e * we + k] = emb_table_row(m->ent, e)[k];
    for (int64_t r = 0; r < nr; r++)
        for (int64_t k = 0; k < wr; k++) o->wr[r * wr + k] = emb_table_row(m->rel, r)[k];
    struct emb_rng rng;
    emb_rng_seed(&rng, OPT_SEED, 0);
    int64_t perm_epoch = -1;
    o->n_lazy = 0;
    for (int64_t s = 0; s < p->steps; s++) {
        if (s / spe != perm_epoch) ref_perm(OPT_SEED, perm_epoch = s / spe, n, perm);
        int64_t lo = (s % spe) * p->batch, hi = lo + p->batch < n ? lo + p->batch : n;
        int n_pos = (int)(hi - lo);
        int32_t h[OPT_MAX_POS], r[OPT_MAX_POS], t[OPT_MAX_POS], neg[64];
        uint8_t head[OPT_MAX_POS];
        for (int i = 0; i < n_pos; i++) {
            int32_t x = perm[lo + i];
            h[i] = kg->train.h[x], r[i] = kg->train.r[x], t[i] = kg->train.t[x];
            /* uniform: a step corrupts all heads or all tails, alternating */
            head[i] = p_head ? emb_rng_uniform(&rng) < (float)p_head[r[i]] : (uint8_t)(s & 1);
            o->side[s][i] = head[i];
        }
        CHECK(p->negatives <= 64);
        for (int j = 0; j < p->negatives; j++) neg[j] = (int32_t)emb_rng_below(&rng, (uint64_t)ne);
        /* the gradient at the current weights */
        for (int64_t e = 0; e < ne; e++)
            for (int64_t k = 0; k < we; k++) emb_table_row(m->ent, e)[k] = (float)o->we[e * we + k];
        for (int64_t q = 0; q < nr; q++)
            for (int64_t k = 0; k < wr; k++) emb_table_row(m->rel, q)[k] = (float)o->wr[q * wr + k];
        double loss = emb__kge_chunk_grad_dense(m, p, n_pos, h, r, t, head, NULL, p->negatives, neg, NULL, ge, gr);
        CHECK(isfinite(loss));
        memset(te, 0, (size_t)ne);
        memset(tr, 0, (size_t)nr);
        for (int i = 0; i < n_pos; i++) te[h[i]] = te[t[i]] = tr[r[i]] = 1;
        for (int j = 0; j < p->negatives; j++) te[neg[j]] = 1;
        for (int64_t e = 0; e < ne; e++) {
            o->n_lazy += had[e] && !te[e];
            if (te[e]) had[e] = o->ever[e] = 1;
        }
        const double t_ = (double)(s + 1), bc1 = 1 - pow(0.9, t_), bc2 = 1 - pow(0.999, t_);
        for (int b = 0; b < 2; b++) {
            const int64_t rows = b ? nr : ne, w = b ? wr : we;
            const uint8_t *touched = b ? tr : te;
            double *W = b ? o->wr : o->we, *S1 = b ? s1r : s1e, *S2 = b ? s2r : s2e;
            const float *G = b ? gr : ge;
            for (int64_t q = 0; q < rows; q++) {
                if (!touched[q]) continue; /* lazy: untouched rows and their moments stay */
                for (int64_t k = 0; k < w; k++) {
                    int64_t i = q * w + k;
                    double g = G[i];
                    if (p->optimizer == EMB_KGE_OPT_ADAGRAD) {
                        S1[i] += g * g;
                        W[i] -= lr[s] * g / (sqrt(S1[i]) + 1e-10);
                    } else {
                        S1[i] = 0.9 * S1[i] + (1 - 0.9) * g;
                        S2[i] = 0.999 * S2[i] + (1 - 0.999) * g * g;
                        W[i] -= lr[s] * (S1[i] / bc1) / (sqrt(S2[i] / bc2) + 1e-8);
                    }
                }
            }
        }
    }
    o->n_untouched = 0;
    for (int64_t e = 0; e < ne; e++) o->n_untouched += !o->ever[e];
    free(s1e), free(s2e), free(s1r), free(s2r), free(ge), free(gr), free(perm), free(te), free(tr), free(had);
    emb_kge_free(m);
    return 0;
}

static void opt_ref_free(struct opt_ref *o) {
    free(o->we), free(o->wr), free(o->ever);
    memset(o, 0, sizeof *o);
}

static struct emb_kge_params opt_params(enum emb_kge_opt opt, enum emb_kge_neg neg, int64_t steps, enum emb_simd simd) {
    struct emb_kge_params p = emb_kge_default_params();
    p.model = EMB_KGE_DISTMULT;
    p.dim = 5;
    p.gamma = 1;
    p.init_scale = 0.5f;
    p.negatives = 3;
    p.batch = 6; /* two steps an epoch */
    p.optimizer = opt;
    p.neg_sampling = neg;
    p.lr = 0.05f;
    p.steps = steps;
    p.simd = simd;
    return p;
}

/* Train with p, run the reference with lr and p_head, compare every weight
 * to 1e-6 and check that rows no step touched kept their initial bytes. */
static int opt_compare(const struct emb_kg *kg, const struct emb_kge_params *p, const double *lr, const double *p_head,
                       struct opt_ref *o, const char *what) {
    struct emb_err err = {0};
    struct emb_kge *m = NULL, *m0 = NULL;
    struct emb_train_opts to = emb_train_default_opts();
    to.seed = OPT_SEED;
    CHECK_OK(emb_kge_train(kg, p, &to, &m, &err));
    CHECK_OK(emb_kge_new(&m0, kg, p, OPT_SEED, &err));
    CHECK(ref_train(kg, p, lr, p_head, o) == 0);
    double d = 0, moved = 0;
    const int64_t we = m->ent->dim, wr = m->rel->dim;
    for (int64_t e = 0; e < m->ent->n_rows; e++) {
        const float *x = emb_table_row(m->ent, e), *x0 = emb_table_row(m0->ent, e);
        for (int64_t k = 0; k < we; k++) {
            d = fmax(d, fabs(x[k] - o->we[e * we + k]));
            moved = fmax(moved, fabs(x0[k] - o->we[e * we + k]));
        }
        if (!o->ever[e]) CHECK(!memcmp(x, x0, (size_t)we * sizeof *x));
    }
    for (int64_t r = 0; r < m->rel->n_rows; r++)
        for (int64_t k = 0; k < wr; k++) d = fmax(d, fabs(emb_table_row(m->rel, r)[k] - o->wr[r * wr + k]));
    printf("%-28s max |trainer - reference| = %.3g (weights moved up to %.3g; %d rows untouched, %d left alone "
           "with moments)\n",
           what, d, moved, o->n_untouched, o->n_lazy);
    emb_kge_free(m);
    emb_kge_free(m0);
    CHECK(moved > 0.02); /* the steps are large against the tolerance */
    CHECK(d <= 1e-6);
    return 0;
}

static int test_opt_adam_lazy(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_opt_ds(), &err));
    const double lr[2] = {0.05, 0.05};
    const enum emb_simd simd[2] = {EMB_SIMD_REF, EMB_SIMD_AUTO};
    for (int s = 0; s < 2; s++) {
        struct emb_kge_params p = opt_params(EMB_KGE_OPT_ADAM, EMB_KGE_NEG_UNIFORM, 2, simd[s]);
        struct opt_ref o;
        CHECK(opt_compare(kg, &p, lr, NULL, &o, s ? "lazy adam (simd)" : "lazy adam (scalar)") == 0);
        /* the fixture has rows that Adam's moments would move if it were
         * not lazy, and rows never touched */
        CHECK(o.n_lazy >= 1 && o.n_untouched >= 1);
        opt_ref_free(&o);
    }
    emb_kg_free(kg);
    return 0;
}

static int test_opt_adagrad(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_opt_ds(), &err));
    const double lr[2] = {0.05, 0.05};
    struct emb_kge_params p = opt_params(EMB_KGE_OPT_ADAGRAD, EMB_KGE_NEG_UNIFORM, 2, EMB_SIMD_AUTO);
    struct opt_ref o;
    CHECK(opt_compare(kg, &p, lr, NULL, &o, "adagrad") == 0);
    CHECK(o.n_untouched >= 1);
    opt_ref_free(&o);
    emb_kg_free(kg);
    return 0;
}

static int test_opt_bernoulli(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_opt_ds(), &err));
    double ph[2], swapped[2];
    CHECK(kg->n_relations == 2);
    ref_bernoulli(&kg->train, 2, ph);
    /* by hand: r0 tph = 6/2, hpt = 6/6; r1 the other way round */
    int32_t r0 = emb_vocab_find(kg->relations, "r0", 2), r1 = emb_vocab_find(kg->relations, "r1", 2);
    CHECK(r0 >= 0 && r1 >= 0);
    CHECK_NEAR(ph[r0], 0.75, 1e-12);
    CHECK_NEAR(ph[r1], 0.25, 1e-12);
    swapped[0] = 1 - ph[0], swapped[1] = 1 - ph[1];
    const double lr[2] = {0.05, 0.05};
    const enum emb_kge_opt opts[2] = {EMB_KGE_OPT_ADAM, EMB_KGE_OPT_ADAGRAD};
    for (int i = 0; i < 2; i++) {
        struct emb_kge_params p = opt_params(opts[i], EMB_KGE_NEG_BERNOULLI, 2, EMB_SIMD_AUTO);
        struct opt_ref o, os, ou;
        CHECK(opt_compare(kg, &p, lr, ph, &o, i ? "bernoulli, adagrad" : "bernoulli, adam") == 0);
        /* the fixture tells the probabilities from swapped ones and from
         * uniform sampling: the sides drawn differ */
        CHECK(ref_train(kg, &p, lr, swapped, &os) == 0);
        CHECK(ref_train(kg, &p, lr, NULL, &ou) == 0);
        CHECK(memcmp(o.side, os.side, sizeof o.side) != 0);
        CHECK(memcmp(o.side, ou.side, sizeof o.side) != 0);
        opt_ref_free(&o);
        opt_ref_free(&os);
        opt_ref_free(&ou);
    }
    emb_kg_free(kg);
    return 0;
}

/* --lr-drop 0.5 over 4 steps: steps 0 and 1 at lr, 2 and 3 at lr / 10. */
static int test_opt_lr_drop(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    CHECK_OK(emb_kg_load(&kg, make_opt_ds(), &err));
    const double lr[4] = {0.05, 0.05, 0.005, 0.005};
    const enum emb_kge_opt opts[2] = {EMB_KGE_OPT_ADAGRAD, EMB_KGE_OPT_ADAM};
    for (int i = 0; i < 2; i++) {
        struct emb_kge_params p = opt_params(opts[i], EMB_KGE_NEG_UNIFORM, 4, EMB_SIMD_AUTO);
        p.lr_drop_at = 0.5f;
        struct opt_ref o;
        CHECK(opt_compare(kg, &p, lr, NULL, &o, i ? "lr drop 0.5, adam" : "lr drop 0.5, adagrad") == 0);
        opt_ref_free(&o);
    }
    emb_kg_free(kg);
    return 0;
}

int main(void) {
    if (!mkdtemp(tmpdir)) return 1;
    one_thread = emb_train_default_opts();
    int failed = 0;
    RUN(test_grad_rows);
    RUN(test_known_scores);
    RUN(test_score_all);
    RUN(test_save_load);
    RUN(test_parse);
    RUN(test_subsampling_weights);
    RUN(test_reciprocal);
    RUN(test_chunk_grad);
    RUN(test_chunk_grad_blocks);
    RUN(test_filter_mask);
    RUN(test_chunk_grad_mask);
    RUN(test_planted);
    RUN(test_determinism_resume);
    RUN(test_divergence);
    RUN(test_opt_adam_lazy);
    RUN(test_opt_adagrad);
    RUN(test_opt_bernoulli);
    RUN(test_opt_lr_drop);
    RUN(test_nations);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) failed++;
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
