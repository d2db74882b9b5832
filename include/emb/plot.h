/* plot.h -- scatter plots of 2-D maps with word labels, as PNG or SVG.
 *
 *     struct emb_plot_params p = emb_plot_default_params();
 *     p.n_labels = 100;                      // label the first 100 points
 *     int32_t placed = 0;
 *     int rc = emb_plot_scatter("map.png", EMB_PLOT_AUTO, xy, n, words, NULL, NULL, 0, &p, &placed, &err);
 *
 * Points are drawn with equal scales on both axes (distances in the map
 * mean something) and coloured by an optional group per point, with a
 * legend. Labels go to the first n_labels points in order (vector files
 * are sorted by frequency, so these are the most frequent words); each
 * tries four spots around its point and is skipped when all four overlap
 * a label already placed (greedy, first come first served).
 *
 * DESIGN: rendering is cairo's (PNG and SVG surfaces, toy font API with
 * fontconfig's sans-serif). This module lives in its own archive
 * (libemb_plot.a), linked with -lcairo only by the CLI, so libemb itself
 * does not depend on cairo. Output goes through emb_outfile: a file is
 * never half-written. */
#ifndef EMB_PLOT_H
#define EMB_PLOT_H

#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_plot_format { EMB_PLOT_AUTO = 0, EMB_PLOT_PNG = 1, EMB_PLOT_SVG = 2 };

struct emb_plot_params {
    int32_t width, height; /* 1600 x 1200 (pixels for PNG, points for SVG) */
    int32_t n_labels;      /* 100: points 0..n_labels-1 get a label when it fits */
    double font_size;      /* 11 */
    double point_radius;   /* 0 = by point count (3 down to 1) */
    const char *title;     /* NULL = none */
};

struct emb_plot_params emb_plot_default_params(void);

/* *.png -> PNG, *.svg -> SVG, else EMB_EINVAL. */
int emb_plot_format_from_path(const char *path, enum emb_plot_format *out, struct emb_err *err);

/* Draw xy: (n, 2) to path. names: (n) point names or NULL (no labels);
 * group: (n) group index in [0, n_groups) or -1 (none), or NULL;
 * group_names: (n_groups) legend entries. *n_placed (may be NULL) receives
 * the number of labels drawn. Errors: bad sizes or non-finite coordinates
 * (EMB_EINVAL / EMB_ENUMERIC), cairo failures and I/O (EMB_EIO). */
int emb_plot_scatter(const char *path, enum emb_plot_format fmt, const float *xy, int64_t n,
                     const char *const *names, const int32_t *group, const char *const *group_names, int32_t n_groups,
                     const struct emb_plot_params *p, int32_t *n_placed, struct emb_err *err);

/* Greedy placement, exposed for tests: candidate i has n_spots boxes
 * boxes[(i * n_spots + s) * 4 + {0,1,2,3}] = x0, y0, x1, y1 (x0 < x1,
 * y0 < y1), tried in order; a box is taken when it overlaps no box taken
 * before and lies inside [0, width] x [0, height]. chosen: (n) the spot
 * taken or -1. Returns the number placed. */
int32_t emb_plot_place_labels(int32_t n, int32_t n_spots, const double *boxes, double width, double height,
                              int32_t *chosen);

#ifdef __cplusplus
}
#endif
#endif
