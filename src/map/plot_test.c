/* plot_test.c -- label placement (no overlaps, order respected, page
 * bounds), a PNG with the right signature and IHDR size, an SVG document
 * with its size and drawn glyphs, and refusals (bad format, NaN). */
#include <stdint.h>
#include <string.h>

#include "emb/plot.h"
#include "emb/rng.h"
#include "test.h"

static int test_placement(void) {
    /* Three candidates with one spot each: 0 and 1 overlap, 2 is apart. */
    double boxes[] = {0, 0, 10, 5, 5, 2, 15, 7, 20, 0, 30, 5};
    int32_t chosen[3];
    CHECK(emb_plot_place_labels(3, 1, boxes, 100, 100, chosen) == 2);
    CHECK(chosen[0] == 0 && chosen[1] == -1 && chosen[2] == 0);
    /* Two spots: the second label moves to its free spot. */
    double two[] = {0, 0, 10, 5, 100, 100, 101, 101, 5, 2, 15, 7, 0, 10, 10, 15};
    CHECK(emb_plot_place_labels(2, 2, two, 50, 50, chosen) == 2);
    CHECK(chosen[0] == 0 && chosen[1] == 1);
    /* Off the page: skipped. */
    double off[] = {-1, 0, 10, 5};
    CHECK(emb_plot_place_labels(1, 1, off, 50, 50, chosen) == 0 && chosen[0] == -1);
    /* Many random boxes: whatever is placed never overlaps. */
    enum { N = 300 };
    static double many[N * 4];
    static int32_t ch[N];
    struct emb_rng r;
    emb_rng_seed(&r, 1, 0);
    for (int i = 0; i < N; i++) {
        double x = emb_rng_uniform(&r) * 200, y = emb_rng_uniform(&r) * 200;
        many[4 * i] = x, many[4 * i + 1] = y, many[4 * i + 2] = x + 20, many[4 * i + 3] = y + 6;
    }
    int32_t placed = emb_plot_place_labels(N, 1, many, 220, 220, ch);
    CHECK(placed > 20 && placed < N);
    /* The same choices as the plain quadratic greedy loop. */
    for (int i = 0, ref_placed = 0; i < N; i++) {
        const double *a = many + 4 * i;
        int ok = a[2] <= 220 && a[3] <= 220;
        for (int j = 0; j < i && ok; j++) {
            const double *b = many + 4 * j;
            if (ch[j] >= 0 && a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) ok = 0;
        }
        CHECK(ch[i] == (ok ? 0 : -1));
        ref_placed += ok;
        if (i == N - 1) CHECK(ref_placed == placed);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (ch[i] >= 0 && ch[j] >= 0) {
                const double *a = many + 4 * i, *b = many + 4 * j;
                CHECK(!(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]));
            }
    return 0;
}

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static int test_files(void) {
    struct emb_err err = {0};
    enum { N = 200 };
    float xy[2 * N];
    const char *names[N];
    char buf[N][16];
    int32_t group[N];
    struct emb_rng r;
    emb_rng_seed(&r, 2, 0);
    for (int i = 0; i < N; i++) {
        group[i] = i % 4 == 3 ? -1 : i % 3;
        xy[2 * i] = (float)(emb_rng_normal(&r) + 4 * (i % 3));
        xy[2 * i + 1] = (float)emb_rng_normal(&r);
        snprintf(buf[i], sizeof buf[i], "w%d", i);
        names[i] = buf[i];
    }
    const char *gnames[] = {"alpha", "beta", "gamma"};
    struct emb_plot_params p = emb_plot_default_params();
    p.width = 640, p.height = 480, p.n_labels = 50;
    p.title = "test map";
    char png[] = "/tmp/emb-plot-test-XXXXXX.png", svg[] = "/tmp/emb-plot-test-XXXXXX.svg";
    close(mkstemps(png, 4));
    close(mkstemps(svg, 4));
    int32_t placed = 0;
    CHECK_OK(emb_plot_scatter(png, EMB_PLOT_AUTO, xy, N, names, group, gnames, 3, &p, &placed, &err));
    CHECK(placed > 5 && placed <= 50);
    size_t len = 0;
    unsigned char *d = (unsigned char *)test_read_all(png, &len);
    CHECK(d && len > 33);
    CHECK(memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0);
    CHECK(memcmp(d + 12, "IHDR", 4) == 0);
    CHECK(be32(d + 16) == 640 && be32(d + 20) == 480);
    free(d);
    CHECK_OK(emb_plot_scatter(svg, EMB_PLOT_AUTO, xy, N, names, group, gnames, 3, &p, NULL, &err));
    char *s = test_read_all(svg, &len);
    CHECK(s && strstr(s, "<svg") && strstr(s, "width=\"640") && strstr(s, "height=\"480") && strstr(s, "</svg>"));
    CHECK(strstr(s, "<use") != NULL); /* cairo draws text as glyphs */
    free(s);
    /* Refusals leave the existing file alone. */
    xy[7] = NAN;
    CHECK(emb_plot_scatter(png, EMB_PLOT_AUTO, xy, N, names, NULL, NULL, 0, &p, NULL, &err) == EMB_ENUMERIC);
    xy[7] = 0;
    CHECK(emb_plot_scatter("/tmp/x.jpg", EMB_PLOT_AUTO, xy, N, names, NULL, NULL, 0, &p, NULL, &err) == EMB_EINVAL);
    group[0] = 3;
    CHECK(emb_plot_scatter(png, EMB_PLOT_AUTO, xy, N, names, group, gnames, 3, &p, NULL, &err) == EMB_EINVAL);
    CHECK(emb_plot_scatter("/nonexistent-dir/x.png", EMB_PLOT_AUTO, xy, N, NULL, NULL, NULL, 0, &p, NULL, &err) == EMB_EIO);
    d = (unsigned char *)test_read_all(png, &len);
    CHECK(d && memcmp(d, "\x89PNG", 4) == 0);
    free(d);
    /* One point, no names: still a picture. */
    CHECK_OK(emb_plot_scatter(png, EMB_PLOT_PNG, xy, 1, NULL, NULL, NULL, 0, &p, NULL, &err));
    unlink(png);
    unlink(svg);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_placement);
    RUN(test_files);
    if (!failed) printf("plot_test: all passed\n");
    return failed != 0;
}
