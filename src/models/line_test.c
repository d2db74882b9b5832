/* line_test.c -- LINE on a graph with planted communities: every order must
 * put each node's nearest neighbour in its own community; one thread is
 * deterministic; bad parameters and empty graphs are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/graph.h"
#include "emb/line.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "test.h"

#define N_COMM 4
#define PER_COMM 25
#define N_NODES (N_COMM * PER_COMM)

static struct emb_graph *g;

/* Dense inside communities (p = 0.3), sparse across (p = 0.01). */
static int make_graph(void) {
    struct emb_err err = {0};
    int32_t *u = malloc(sizeof(int32_t) * N_NODES * N_NODES), *v = malloc(sizeof(int32_t) * N_NODES * N_NODES);
    int64_t n = 0;
    struct emb_rng r;
    emb_rng_seed(&r, 11, 0);
    for (int a = 0; a < N_NODES; a++)
        for (int b = a + 1; b < N_NODES; b++) {
            float prob = a / PER_COMM == b / PER_COMM ? 0.3f : 0.01f;
            if (emb_rng_uniform(&r) < prob) u[n] = a, v[n] = b, n++;
        }
    struct emb_graph_params gp = emb_graph_default_params();
    CHECK_OK(emb_graph_from_edges(&g, N_NODES, u, v, NULL, n, &gp, &err));
    free(u);
    free(v);
    return 0;
}

static double purity(const struct emb_table *t) {
    int good = 0;
    for (int a = 0; a < N_NODES; a++) {
        const float *x = emb_table_row(t, a);
        double best = -2;
        int arg = -1;
        for (int b = 0; b < N_NODES; b++) {
            if (b == a) continue;
            const float *y = emb_table_row(t, b);
            double xy = 0, xx = 0, yy = 0;
            for (int j = 0; j < t->dim; j++) xy += x[j] * y[j], xx += x[j] * x[j], yy += y[j] * y[j];
            double c = xy / sqrt(xx * yy + 1e-30);
            if (c > best) best = c, arg = b;
        }
        good += arg / PER_COMM == a / PER_COMM;
    }
    return good / (double)N_NODES;
}

static int test_orders(void) {
    struct emb_err err = {0};
    const enum emb_line_order orders[] = {EMB_LINE_FIRST, EMB_LINE_SECOND, EMB_LINE_BOTH};
    for (int i = 0; i < 3; i++) {
        struct emb_line_params p = emb_line_default_params();
        p.order = orders[i];
        p.dim = 16;
        p.n_samples = 300000;
        struct emb_train_opts o = emb_train_default_opts();
        o.n_threads = 2;
        struct emb_table *t = NULL;
        CHECK_OK(emb_line_train(g, &p, &o, &t, &err));
        CHECK(t->n_rows == N_NODES && t->dim == 16);
        double pu = purity(t);
        printf("order %d: nearest-neighbour community purity %.2f\n", (int)orders[i], pu);
        CHECK(pu >= 0.9); /* random vectors: about 0.25 */
        emb_table_free(t);
    }
    return 0;
}

static int test_determinism(void) {
    struct emb_err err = {0};
    struct emb_line_params p = emb_line_default_params();
    p.dim = 8;
    p.n_samples = 50000;
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_table *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(emb_line_train(g, &p, &o, &a, &err));
    CHECK_OK(emb_line_train(g, &p, &o, &b, &err));
    o.seed = 2;
    CHECK_OK(emb_line_train(g, &p, &o, &c, &err));
    size_t n = (size_t)a->n_rows * a->dim_padded * sizeof(float);
    CHECK(memcmp(a->data, b->data, n) == 0);
    CHECK(memcmp(a->data, c->data, n) != 0);
    emb_table_free(a);
    emb_table_free(b);
    emb_table_free(c);
    return 0;
}

static int test_errors(void) {
    struct emb_err err = {0};
    struct emb_line_params p = emb_line_default_params();
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_table *t = NULL;
    p.order = EMB_LINE_BOTH;
    p.dim = 7;
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINVAL && t == NULL);
    p = emb_line_default_params();
    p.negative = 0;
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINVAL);
    p = emb_line_default_params();
    p.rho = -1;
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINVAL);
    p = emb_line_default_params();
    o.n_threads = 0;
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINVAL && strstr(err.msg, "threads"));
    o = emb_train_default_opts();
    o.resume = 1; /* without a checkpoint path */
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINVAL && t == NULL);
    /* An interrupted run reports EMB_EINTR and returns no table. */
    volatile sig_atomic_t stop = 1;
    o = emb_train_default_opts();
    o.stop = &stop;
    CHECK(emb_line_train(g, &p, &o, &t, &err) == EMB_EINTR && t == NULL);
    return 0;
}


/* Checkpoint and resume: a one-thread BOTH run stopped in its first phase,
 * resumed and stopped again in its second, then resumed to the end, gives
 * the same bytes as a run never stopped; so does a run that pauses for a
 * checkpoint at every flush. Mismatched settings and damaged files are
 * refused. */
static volatile sig_atomic_t stop_flag;
static int stop_mode; /* 0 never, 1 at the first report, 2 when the second phase reports */
static int n_ckpt_reports;
static void on_progress(void *ctx, const struct emb_train_progress *pr) {
    (void)ctx;
    if (pr->event == EMB_TRAIN_CHECKPOINT) n_ckpt_reports++;
    if (stop_mode == 1 || (stop_mode == 2 && !strcmp(pr->phase, "order 2"))) stop_flag = 1;
}

static int test_checkpoint_resume(void) {
    struct emb_err err = {0};
    char path[] = "/tmp/emb_line_ckXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct emb_line_params p = emb_line_default_params();
    p.order = EMB_LINE_BOTH;
    p.dim = 16;
    p.n_samples = 200000;
    struct emb_train_opts o = emb_train_default_opts();
    o.seed = 5;
    struct emb_table *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(emb_line_train(g, &p, &o, &a, &err));
    size_t n = (size_t)a->n_rows * a->dim_padded * sizeof(float);

    o.checkpoint_path = path;
    o.stop = &stop_flag;
    o.progress = on_progress;
    o.progress_every = 0; /* a report at every flush */
    stop_flag = 0, stop_mode = 1;
    CHECK(emb_line_train(g, &p, &o, &b, &err) == EMB_EINTR && b == NULL);
    o.resume = 1;
    stop_flag = 0, stop_mode = 2;
    CHECK(emb_line_train(g, &p, &o, &b, &err) == EMB_EINTR && b == NULL);
    stop_flag = 0, stop_mode = 0;
    CHECK_OK(emb_line_train(g, &p, &o, &b, &err));
    CHECK(memcmp(a->data, b->data, n) == 0);

    /* Pausing for a checkpoint at every flush changes nothing. */
    o.resume = 0;
    o.checkpoint_every = 1e-9;
    n_ckpt_reports = 0;
    CHECK_OK(emb_line_train(g, &p, &o, &c, &err));
    CHECK(memcmp(a->data, c->data, n) == 0);
    CHECK(n_ckpt_reports > 0); /* each checkpoint is reported */

    /* The last checkpoint of that run resumes with two threads too, and
     * on a pool passed in. */
    emb_table_free(c);
    c = NULL;
    o.resume = 1;
    o.checkpoint_every = 600;
    o.n_threads = 2;
    CHECK_OK(emb_line_train(g, &p, &o, &c, &err));
    CHECK(c->n_rows == N_NODES);
    emb_table_free(c);
    c = NULL;
    o.n_threads = 1;
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 1, &err));
    o.pool = pool;
    CHECK_OK(emb_line_train(g, &p, &o, &c, &err));
    CHECK(memcmp(a->data, c->data, n) == 0);
    emb_table_free(c);
    c = NULL;
    o.pool = NULL;
    emb_pool_free(pool);

    /* Other settings, a damaged file, a missing file. */
    p.dim = 32;
    CHECK(emb_line_train(g, &p, &o, &c, &err) == EMB_EINVAL);
    printf("  mismatch: %s\n", err.msg);
    CHECK(strstr(err.msg, "dim=16") != NULL);
    p.dim = 16;
    o.seed = 6;
    CHECK(emb_line_train(g, &p, &o, &c, &err) == EMB_EINVAL);
    CHECK(strstr(err.msg, "seed=5") != NULL);
    o.seed = 5;
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    CHECK(truncate(path, size - 7) == 0);
    CHECK(emb_line_train(g, &p, &o, &c, &err) == EMB_EFORMAT);
    printf("  truncated: %s\n", err.msg);
    CHECK(test_write_file(path, "not a checkpoint at all\n", 24) == 0);
    CHECK(emb_line_train(g, &p, &o, &c, &err) == EMB_EFORMAT);
    unlink(path);
    CHECK(emb_line_train(g, &p, &o, &c, &err) == EMB_EIO);
    emb_table_free(a);
    emb_table_free(b);
    emb_table_free(c);
    return 0;
}

/* The largest learning rate diverges within the first samples: every
 * order fails with EMB_ENUMERIC and a message naming the rate (a NaN score
 * used to index the sigmoid table), and an existing checkpoint is kept. */
static int test_divergence(void) {
    struct emb_err err = {0};
    char path[] = "/tmp/emb_line_divXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    const char *old = "an earlier checkpoint\n";
    const enum emb_line_order orders[] = {EMB_LINE_FIRST, EMB_LINE_SECOND, EMB_LINE_BOTH};
    for (int o = 0; o < 3; o++)
        for (int ck = 0; ck < 2; ck++) {
            struct emb_line_params p = emb_line_default_params();
            p.order = orders[o];
            p.dim = 32;
            p.rho = 10;
            struct emb_train_opts to = emb_train_default_opts();
            to.n_threads = 2;
            if (ck) {
                CHECK(test_write_file(path, old, strlen(old)) == 0);
                to.checkpoint_path = path;
            }
            struct emb_table *t = NULL;
            int rc = emb_line_train(g, &p, &to, &t, &err);
            printf("  order %d: rc %d %s\n", (int)p.order, rc, err.msg);
            CHECK(rc == EMB_ENUMERIC && t == NULL);
            CHECK(strstr(err.msg, "training diverged (non-finite ") == err.msg);
            CHECK(strstr(err.msg, "lower --alpha (now 10)") != NULL);
            if (ck) {
                size_t n = 0;
                char *text = test_read_all(path, &n);
                CHECK(text && n == strlen(old) && memcmp(text, old, n) == 0);
                free(text);
            }
        }
    unlink(path);
    return 0;
}

int main(void) {
    int failed = 0;
    if (make_graph() != 0) return 1;
    RUN(test_orders);
    RUN(test_determinism);
    RUN(test_errors);
    RUN(test_checkpoint_resume);
    RUN(test_divergence);
    emb_graph_free(g);
    printf("line_test: %s\n", failed ? "FAILED" : "ok");
    return failed != 0;
}
