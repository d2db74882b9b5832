/* tsne_test.c -- t-SNE: input affinities (symmetric, normalised, the
 * perplexity reached), the exact gradient against finite differences of
 * the exact KL, Barnes-Hut with theta = 0 against the exact gradient (and
 * theta = 0.5 close to it), well-separated Gaussian clusters kept apart in
 * 2-D, bit-identical results for a seed (and across thread counts),
 * trustworthiness against scikit-learn's value, bad parameters refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/map.h"
#include "emb/pool.h"
#include "emb/rng.h"
#include "map_internal.h"
#include "test.h"

/* n points in dim dims: n_clusters Gaussian blobs (std 1) whose centres
 * are `spread` apart along random directions; cluster of point i = i % n_clusters. */
static struct emb_table *blobs(int64_t n, int dim, int n_clusters, double spread, uint64_t seed) {
    struct emb_err err = {0};
    struct emb_table *t = NULL;
    if (emb_table_new(&t, n, dim, &err) != EMB_OK) return NULL;
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    double centre[16][64];
    for (int c = 0; c < n_clusters; c++)
        for (int j = 0; j < dim; j++) centre[c][j] = spread * emb_rng_normal(&r);
    for (int64_t i = 0; i < n; i++) {
        float *row = emb_table_row(t, i);
        for (int j = 0; j < dim; j++) row[j] = (float)(centre[i % n_clusters][j] + emb_rng_normal(&r));
    }
    return t;
}

static int test_affinities(void) {
    struct emb_err err = {0};
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 2, &err));
    struct emb_table *x = blobs(200, 10, 3, 3, 1);
    struct emb__tsne_p P;
    const double perp = 10;
    CHECK_OK(emb__tsne_affinities(x, 200, perp, pool, EMB_SIMD_AUTO, &P, &err));
    double sum = 0;
    for (int64_t i = 0; i < 200; i++)
        for (int64_t a = P.row[i]; a < P.row[i + 1]; a++) {
            sum += P.val[a];
            CHECK(P.col[a] != i);
            if (a > P.row[i]) CHECK(P.col[a] > P.col[a - 1]);
            /* p_ij == p_ji, exactly */
            int64_t j = P.col[a], b = P.row[j];
            while (b < P.row[j + 1] && P.col[b] != i) b++;
            CHECK(b < P.row[j + 1]);
            CHECK(P.val[b] == P.val[a]);
        }
    CHECK_NEAR(sum, 1, 1e-12);
    /* Every row has at least k = 3 * perplexity + 1 entries (its own neighbours). */
    for (int64_t i = 0; i < 200; i++) CHECK(P.row[i + 1] - P.row[i] >= emb__tsne_n_neighbors(perp));
    emb__tsne_p_free(&P);
    emb_table_free(x);
    emb_pool_free(pool);
    return 0;
}

/* Exact gradient == central finite differences of the exact KL. */
/* Affinities do not depend on the scale of the data, even where squared
 * distances overflow float (components ~1e21) or sit far below it (~1e-21):
 * the same neighbours and the same p_ij as the unscaled points. */
static int test_affinities_scale(void) {
    struct emb_err err = {0};
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 2, &err));
    struct emb_table *x = blobs(200, 10, 3, 3, 1), *y = blobs(200, 10, 3, 3, 1);
    struct emb__tsne_p P, Q;
    CHECK_OK(emb__tsne_affinities(x, 200, 10, pool, EMB_SIMD_AUTO, &P, &err));
    const int exps[] = {70, -70};
    for (int e = 0; e < 2; e++) {
        for (int64_t i = 0; i < 200; i++)
            for (int j = 0; j < 10; j++) emb_table_row(y, i)[j] = ldexpf(emb_table_row(x, i)[j], exps[e]);
        CHECK_OK(emb__tsne_affinities(y, 200, 10, pool, EMB_SIMD_AUTO, &Q, &err));
        CHECK(Q.row[200] == P.row[200]);
        double worst = 0;
        for (int64_t a = 0; a < P.row[200]; a++) {
            CHECK(Q.col[a] == P.col[a]);
            double d = fabs(Q.val[a] - P.val[a]) / P.val[a];
            if (d > worst) worst = d;
        }
        printf("  scale 2^%d: largest relative change of p_ij %.2g\n", exps[e], worst);
        CHECK(worst < 1e-3);
        emb__tsne_p_free(&Q);
    }
    emb__tsne_p_free(&P);
    emb_table_free(x);
    emb_table_free(y);
    emb_pool_free(pool);
    return 0;
}

static int test_gradient_fd(void) {
    struct emb_err err = {0};
    struct emb_pool *pool = NULL;
    CHECK_OK(emb_pool_new(&pool, 1, &err));
    const int n = 14;
    struct emb_table *x = blobs(n, 5, 2, 2, 2);
    struct emb__tsne_p P;
    CHECK_OK(emb__tsne_affinities(x, n, 3, pool, EMB_SIMD_AUTO, &P, &err));
    double y[2 * 14], g[2 * 14];
    struct emb_rng r;
    emb_rng_seed(&r, 9, 0);
    for (int i = 0; i < 2 * n; i++) y[i] = emb_rng_normal(&r);
    emb__tsne_grad_exact(&P, y, g);
    const double h = 1e-6;
    for (int i = 0; i < 2 * n; i++) {
        double keep = y[i];
        y[i] = keep + h;
        double up = emb__tsne_kl_exact(&P, y);
        y[i] = keep - h;
        double down = emb__tsne_kl_exact(&P, y);
        y[i] = keep;
        CHECK_NEAR(g[i], (up - down) / (2 * h), 1e-6 + 1e-5 * fabs(g[i]));
    }
    emb__tsne_p_free(&P);
    emb_table_free(x);
    emb_pool_free(pool);
    return 0;
}

/* Barnes-Hut: theta = 0 is the exact gradient and KL (up to float32
 * positions and kernels); theta = 0.5 stays within a few percent; the SIMD
 * kernels agree with the scalar reference. 300 points make a real tree. */
static int test_barnes_hut(void) {
    struct emb_err err = {0};
    const int n = 300;
    struct emb_table *x = blobs(n, 8, 4, 3, 3);
    double *y = malloc(sizeof(double) * 2 * n), *ge = malloc(sizeof(double) * 2 * n);
    double *gb = malloc(sizeof(double) * 2 * n), *gr = malloc(sizeof(double) * 2 * n);
    struct emb_rng r;
    emb_rng_seed(&r, 4, 0);
    for (int i = 0; i < 2 * n; i++) y[i] = 5 * emb_rng_normal(&r);
    y[2] = y[0], y[3] = y[1]; /* two coincident points */
    for (int threads = 1; threads <= 2; threads++) {
        struct emb_pool *pool = NULL;
        CHECK_OK(emb_pool_new(&pool, threads, &err));
        struct emb__tsne_p P;
        CHECK_OK(emb__tsne_affinities(x, n, 8, pool, EMB_SIMD_AUTO, &P, &err));
        emb__tsne_grad_exact(&P, y, ge);
        double scale = 0, kl_exact = emb__tsne_kl_exact(&P, y);
        for (int i = 0; i < 2 * n; i++) scale = fmax(scale, fabs(ge[i]));
        const enum emb_simd kinds[] = {EMB_SIMD_REF, EMB_SIMD_AVX2, EMB_SIMD_AUTO};
        for (int kind = 0; kind < 3; kind++) {
            struct emb__tsne_grad *g = NULL;
            CHECK_OK(emb__tsne_grad_new(&g, &P, pool, kinds[kind], &err));
            double kl = 0;
            CHECK_OK(emb__tsne_grad_bh(g, y, 0, 1, gb, &kl, &err));
            for (int i = 0; i < 2 * n; i++) CHECK_NEAR(gb[i], ge[i], (kind ? 1e-4 : 1e-5) * scale);
            CHECK_NEAR(kl, kl_exact, 1e-5);
            CHECK_OK(emb__tsne_grad_bh(g, y, 0.5, 1, gb, NULL, &err));
            double diff = 0, norm = 0;
            for (int i = 0; i < 2 * n; i++) diff += (gb[i] - ge[i]) * (gb[i] - ge[i]), norm += ge[i] * ge[i];
            printf("simd %d: theta 0.5: relative gradient error %.4f\n", (int)kinds[kind], sqrt(diff / norm));
            CHECK(sqrt(diff / norm) < 0.05);
            if (kind == 0) memcpy(gr, gb, sizeof(double) * 2 * n);
            else
                for (int i = 0; i < 2 * n; i++) CHECK_NEAR(gb[i], gr[i], 1e-4 * scale);
            emb__tsne_grad_free(g);
        }
        emb__tsne_p_free(&P);
        emb_pool_free(pool);
    }
    free(y);
    free(ge);
    free(gb);
    free(gr);
    emb_table_free(x);
    return 0;
}

/* Share of each point's 10 nearest map neighbours from its own cluster. */
static double knn_purity(const float *xy, int n, int n_clusters) {
    int good = 0;
    for (int i = 0; i < n; i++) {
        double best[10];
        int arg[10], m = 0;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double dx = xy[2 * i] - xy[2 * j], dy = xy[2 * i + 1] - xy[2 * j + 1], d = dx * dx + dy * dy;
            if (m < 10) best[m] = d, arg[m++] = j;
            else {
                int w = 0;
                for (int a = 1; a < 10; a++)
                    if (best[a] > best[w]) w = a;
                if (d < best[w]) best[w] = d, arg[w] = j;
            }
        }
        for (int a = 0; a < 10; a++) good += arg[a] % n_clusters == i % n_clusters;
    }
    return good / (10.0 * n);
}

/* Ratio of the smallest distance between cluster centres in the map to
 * the largest mean distance of a point to its own centre. */
static double separation(const float *xy, int n, int n_clusters) {
    double cx[16] = {0}, cy[16] = {0}, spread[16] = {0};
    for (int i = 0; i < n; i++) cx[i % n_clusters] += xy[2 * i], cy[i % n_clusters] += xy[2 * i + 1];
    for (int c = 0; c < n_clusters; c++) cx[c] /= n / n_clusters, cy[c] /= n / n_clusters;
    for (int i = 0; i < n; i++)
        spread[i % n_clusters] += hypot(xy[2 * i] - cx[i % n_clusters], xy[2 * i + 1] - cy[i % n_clusters]) / (n / n_clusters);
    double gap = INFINITY, worst = 0;
    for (int a = 0; a < n_clusters; a++) {
        worst = fmax(worst, spread[a]);
        for (int b = a + 1; b < n_clusters; b++) gap = fmin(gap, hypot(cx[a] - cx[b], cy[a] - cy[b]));
    }
    return gap / worst;
}

static int test_clusters(void) {
    struct emb_err err = {0};
    const int n = 600, nc = 12;
    struct emb_table *x = blobs(n, 40, nc, 1.2, 5);
    float *xy = malloc(sizeof(float) * 2 * n), *pca = malloc(sizeof(float) * 2 * n);
    struct emb_tsne_params p = emb_tsne_default_params();
    p.perplexity = 20;
    p.n_iter = 500;
    p.n_threads = 2;
    double kl = 0;
    CHECK_OK(emb_map_tsne(x, n, &p, xy, &kl, &err));
    double pur = knn_purity(xy, n, nc), sep = separation(xy, n, nc);
    CHECK_OK(emb_map_pca(x, n, 2, pca, &err));
    printf("clusters: t-SNE purity %.3f separation %.2f KL %.3f; PCA purity %.3f separation %.2f\n", pur, sep, kl,
           knn_purity(pca, n, nc), separation(pca, n, nc));
    CHECK(pur >= 0.98);
    CHECK(sep >= 2.0);
    CHECK(kl > 0 && kl < 2);
    double tw = 0;
    CHECK_OK(emb_map_trustworthiness(x, n, xy, 2, 10, &tw, &err));
    printf("clusters: trustworthiness(10) %.4f\n", tw);
    CHECK(tw > 0.85);
    free(xy);
    free(pca);
    emb_table_free(x);
    return 0;
}

/* Same seed: identical bytes, with one thread and with two; a different
 * seed with a random start gives a different map. */
static int test_determinism(void) {
    struct emb_err err = {0};
    const int n = 150;
    struct emb_table *x = blobs(n, 6, 3, 3, 6);
    float *a = malloc(sizeof(float) * 2 * n), *b = malloc(sizeof(float) * 2 * n);
    struct emb_tsne_params p = emb_tsne_default_params();
    p.perplexity = 10;
    p.n_iter = 300;
    p.init = EMB_TSNE_INIT_RANDOM;
    p.seed = 7;
    CHECK_OK(emb_map_tsne(x, n, &p, a, NULL, &err));
    CHECK_OK(emb_map_tsne(x, n, &p, b, NULL, &err));
    CHECK(memcmp(a, b, sizeof(float) * 2 * n) == 0);
    p.n_threads = 2;
    CHECK_OK(emb_map_tsne(x, n, &p, b, NULL, &err));
    CHECK(memcmp(a, b, sizeof(float) * 2 * n) == 0);
    p.seed = 8;
    CHECK_OK(emb_map_tsne(x, n, &p, b, NULL, &err));
    CHECK(memcmp(a, b, sizeof(float) * 2 * n) != 0);
    free(a);
    free(b);
    emb_table_free(x);
    return 0;
}

/* scikit-learn 1.2: trustworthiness(X, L, n_neighbors=3) = 0.50666... for
 * X_i = (sin 1.3i, cos 0.7i, (i mod 3) / 2), L_i = (cos 2.1i, 0.3 (i^2 mod 7)). */
static int test_trustworthiness(void) {
    struct emb_err err = {0};
    struct emb_table *x = NULL;
    CHECK_OK(emb_table_new(&x, 10, 3, &err));
    float low[20];
    for (int i = 0; i < 10; i++) {
        float *row = emb_table_row(x, i);
        row[0] = (float)sin(i * 1.3), row[1] = (float)cos(i * 0.7), row[2] = (float)((i % 3) * 0.5);
        low[2 * i] = (float)cos(i * 2.1), low[2 * i + 1] = (float)((i * i % 7) * 0.3);
    }
    double t = 0;
    CHECK_OK(emb_map_trustworthiness(x, 10, low, 2, 3, &t, &err));
    CHECK_NEAR(t, 0.5066666666666666, 1e-9);
    /* The identity map is perfectly trustworthy. */
    float same[30];
    for (int i = 0; i < 10; i++)
        for (int c = 0; c < 3; c++) same[3 * i + c] = emb_table_row(x, i)[c];
    CHECK_OK(emb_map_trustworthiness(x, 10, same, 3, 3, &t, &err));
    CHECK_NEAR(t, 1, 1e-12);
    CHECK(emb_map_trustworthiness(x, 10, low, 2, 5, &t, &err) == EMB_EINVAL);
    emb_table_free(x);
    return 0;
}

static int test_errors(void) {
    struct emb_err err = {0};
    struct emb_table *x = blobs(40, 4, 2, 3, 8);
    float xy[80];
    struct emb_tsne_params p = emb_tsne_default_params();
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_EINVAL); /* perplexity 30 needs n > 91 */
    CHECK(strstr(err.msg, "too large") != NULL);
    p.perplexity = 5;
    p.theta = 1.5;
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_EINVAL);
    p.theta = 0.5;
    p.n_iter = 0;
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_EINVAL);
    p.n_iter = 100;
    CHECK(emb_map_tsne(x, 41, &p, xy, NULL, &err) == EMB_EINVAL);
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_EINVAL); /* 250 exaggeration iterations > 100 */
    p.exaggeration_iter = 50;
    CHECK_OK(emb_map_tsne(x, 40, &p, xy, NULL, &err));
    emb_table_row(x, 3)[2] = NAN;
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_ENUMERIC);
    volatile sig_atomic_t stop = 1;
    emb_table_row(x, 3)[2] = 0;
    p.stop = &stop;
    CHECK(emb_map_tsne(x, 40, &p, xy, NULL, &err) == EMB_EINTR);
    emb_table_free(x);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_affinities);
    RUN(test_affinities_scale);
    RUN(test_gradient_fd);
    RUN(test_barnes_hut);
    RUN(test_clusters);
    RUN(test_determinism);
    RUN(test_trustworthiness);
    RUN(test_errors);
    if (!failed) printf("tsne_test: all passed\n");
    return failed != 0;
}
