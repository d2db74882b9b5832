/* kge_test.c -- knowledge-graph embeddings: the dataset loader (formats and
 * bad input), every model's score against its gradient (finite
 * differences on every parameter block), all-entity scoring against
 * single scores, the model file (round trip and corruption), and training:
 * the chunked loss gradient, planted rules each model must (or must not)
 * learn, determinism, NaN detection, checkpoints, and a Nations floor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emb/io.h"
#include "emb/kge.h"
#include "emb/rng.h"
#include "emb/vecs.h"
#include "test.h"

static char tmpdir[] = "/tmp/kge_test_XXXXXX";

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

/* A dataset directory NAME with the given split contents (NULL = absent). */
static const char *make_ds(const char *name, const char *train, const char *valid, const char *test, int gz) {
    static char dir[512];
    char p[600];
    path_in(dir, sizeof dir, name);
    mkdir(dir, 0700);
    const char *txt[3] = {train, valid, test}, *nm[3] = {"train", "valid", "test"};
    for (int i = 0; i < 3; i++) {
        if (!txt[i]) continue;
        snprintf(p, sizeof p, "%s/%s.%s", dir, nm[i], gz ? "tsv.gz" : "tsv");
        if (gz)
            test_write_gz(p, txt[i], strlen(txt[i]));
        else
            test_write_file(p, txt[i], strlen(txt[i]));
    }
    return dir;
}

/* ---- loader ------------------------------------------------------------- */

static int test_load(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    for (int gz = 0; gz < 2; gz++) {
        const char *d = make_ds(gz ? "ok_gz" : "ok", "a\tlikes\tb\r\n  b \tlikes\t c\n\nc\thates\ta\n",
                                "a\tlikes\tc\n", "d\tnew_rel\ta\nb\thates\tc\n", gz);
        CHECK_OK(emb_kg_load(&kg, d, &err));
        CHECK(kg->n_entities == 4 && kg->n_relations == 3);
        CHECK(kg->train.n == 3 && kg->valid.n == 1 && kg->test.n == 2);
        CHECK(emb_vocab_find(kg->entities, "b", 1) == 1); /* spaces stripped, train first */
        CHECK(kg->train.h[1] == 1 && kg->train.r[1] == 0 && kg->train.t[1] == 2);
        CHECK(kg->in_train[0] && !kg->in_train[3]);
        CHECK(kg->test_unseen == 1 && kg->valid_unseen == 0 && kg->n_unseen_relations == 1);
        emb_kg_free(kg);
    }
    /* valid and test are optional; .txt is accepted. */
    char p[600], d[512];
    path_in(d, sizeof d, "txt");
    mkdir(d, 0700);
    snprintf(p, sizeof p, "%s/train.txt", d);
    test_write_file(p, "x\tr\ty\n", 6);
    CHECK_OK(emb_kg_load(&kg, d, &err));
    CHECK(kg->train.n == 1 && kg->valid.n == 0 && kg->test.n == 0);
    emb_kg_free(kg);
    emb_kg_free(NULL);
    /* Bad input. */
    struct {
        const char *train, *test;
        int rc;
        const char *msg;
    } bad[] = {
        {"a\tr\tb\na\tr\n", NULL, EMB_EFORMAT, "train.tsv:2: expected 3"},
        {"a\tr\tb\tc\n", NULL, EMB_EFORMAT, "found 4"},
        {"a\t\tb\n", NULL, EMB_EFORMAT, "empty relation"},
        {"a r b\n", NULL, EMB_EFORMAT, "found 1"},
        {"", NULL, EMB_EEMPTY, "no triples"},
        {"\n\n", NULL, EMB_EEMPTY, "no triples"},
        {"a\tr\tb\n", "", EMB_EEMPTY, "test.tsv holds no triples"},
        {"a\tr\tb\n", "x\tr\ty\nz\tr\ta\n", EMB_EINVAL, "every test triple"},
        {"a\tr\tb\0\n", NULL, EMB_EFORMAT, "NUL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        const char *dd = make_ds(name, bad[i].train, NULL, bad[i].test, 0);
        if (i == 8) { /* embedded NUL: write with its length */
            snprintf(p, sizeof p, "%s/train.tsv", dd);
            test_write_file(p, "a\tr\tb\0\n", 7);
        }
        memset(&err, 0, sizeof err);
        int rc = emb_kg_load(&kg, dd, &err);
        if (rc != bad[i].rc || !strstr(err.msg, bad[i].msg)) {
            fprintf(stderr, "bad case %zu: rc %d, message '%s'\n", i, rc, err.msg);
            return 1;
        }
        CHECK(kg == NULL);
    }
    path_in(d, sizeof d, "missing");
    CHECK(emb_kg_load(&kg, d, &err) == EMB_EIO);
    return 0;
}

/* ---- score vs gradient ------------------------------------------------- */

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
    p.seed = seed;
    struct emb_kge *m = NULL;
    emb_kge_new(&m, kg, &p, &err);
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

int main(void) {
    if (!mkdtemp(tmpdir)) return 1;
    int failed = 0;
    RUN(test_load);
    RUN(test_grad_rows);
    RUN(test_known_scores);
    RUN(test_score_all);
    RUN(test_save_load);
    RUN(test_parse);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) failed++;
    if (failed) fprintf(stderr, "%d test(s) failed\n", failed);
    return failed != 0;
}
