/* plot.c -- scatter plots with labels through cairo (PNG and SVG).
 *
 * Layout: the map's bounding box is fitted into the page minus margins with
 * one scale for both axes. Points first (unlabelled ones lighter), then the
 * labels chosen by the greedy placement (each tries right, left, above,
 * below its point), then the legend and title. Cairo writes to a stream
 * callback on an emb_outfile, so the file appears complete or not at all.
 *
 * Built into libemb_plot.a, not libemb.a: only this file needs cairo. */
#include <cairo/cairo-svg.h>
#include <cairo/cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emb/io.h"
#include "emb/plot.h"

#define MARGIN 40.0
/* Tableau 10: distinct, print-friendly colours for up to 10 groups; more
 * groups cycle through them. Ungrouped points are grey-blue. */
static const double PALETTE[10][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};
static const double NO_GROUP[3] = {0.35, 0.45, 0.60};
#define MAX_LEGEND 30

struct emb_plot_params emb_plot_default_params(void) {
    struct emb_plot_params p;
    memset(&p, 0, sizeof p);
    p.width = 1600;
    p.height = 1200;
    p.n_labels = 100;
    p.font_size = 11;
    p.point_radius = 0;
    return p;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int emb_plot_format_from_path(const char *path, enum emb_plot_format *out, struct emb_err *err) {
    if (ends_with(path, ".png")) *out = EMB_PLOT_PNG;
    else if (ends_with(path, ".svg")) *out = EMB_PLOT_SVG;
    else return emb_err_set(err, EMB_EINVAL, "cannot tell the image format of '%s' (use .png or .svg)", path);
    return EMB_OK;
}

static int overlaps(const double *a, const double *b) {
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Placed boxes are filed in a coarse grid over the page (GRID_CELL units a
 * side), so a candidate is checked only against boxes in the cells it
 * touches: placement stays near-linear for thousands of labels. */
#define GRID_CELL 32.0

struct grid {
    int32_t nx, ny;
    int32_t *head;   /* (nx * ny) first entry of each cell's list, -1 = none */
    int32_t *next;   /* per entry: next entry in the same cell */
    int32_t *box;    /* per entry: candidate index */
    int64_t n, cap;
};

static int grid_range(const struct grid *g, const double *b, int32_t *x0, int32_t *y0, int32_t *x1, int32_t *y1) {
    *x0 = (int32_t)(b[0] / GRID_CELL), *y0 = (int32_t)(b[1] / GRID_CELL);
    *x1 = (int32_t)(b[2] / GRID_CELL), *y1 = (int32_t)(b[3] / GRID_CELL);
    if (*x1 >= g->nx) *x1 = g->nx - 1;
    if (*y1 >= g->ny) *y1 = g->ny - 1;
    return *x0 <= *x1 && *y0 <= *y1;
}

int32_t emb_plot_place_labels(int32_t n, int32_t n_spots, const double *boxes, double width, double height,
                              int32_t *chosen) {
    struct grid g = {0};
    g.nx = (int32_t)(width / GRID_CELL) + 1, g.ny = (int32_t)(height / GRID_CELL) + 1;
    g.head = emb_alloc((size_t)g.nx * g.ny * sizeof *g.head);
    int32_t placed = 0;
    for (int32_t i = 0; i < n; i++) chosen[i] = -1;
    if (!g.head) return 0; /* out of memory: no labels rather than a failure */
    for (int64_t c = 0; c < (int64_t)g.nx * g.ny; c++) g.head[c] = -1;
    for (int32_t i = 0; i < n; i++) {
        for (int32_t s = 0; s < n_spots && chosen[i] < 0; s++) {
            const double *b = boxes + ((int64_t)i * n_spots + s) * 4;
            int32_t x0, y0, x1, y1;
            if (!(b[0] >= 0 && b[1] >= 0 && b[2] <= width && b[3] <= height)) continue;
            if (!grid_range(&g, b, &x0, &y0, &x1, &y1)) continue;
            int free_spot = 1;
            for (int32_t cy = y0; cy <= y1 && free_spot; cy++)
                for (int32_t cx = x0; cx <= x1 && free_spot; cx++)
                    for (int32_t e = g.head[(int64_t)cy * g.nx + cx]; e >= 0 && free_spot; e = g.next[e]) {
                        int32_t j = g.box[e];
                        if (overlaps(b, boxes + ((int64_t)j * n_spots + chosen[j]) * 4)) free_spot = 0;
                    }
            if (!free_spot) continue;
            int64_t need = g.n + (int64_t)(x1 - x0 + 1) * (y1 - y0 + 1);
            if (need > g.cap) {
                int64_t cap = g.cap ? 2 * g.cap : 1024;
                while (cap < need) cap *= 2;
                int32_t *nx = emb_realloc(g.next, (size_t)cap * sizeof *nx);
                if (nx) g.next = nx;
                int32_t *bx = emb_realloc(g.box, (size_t)cap * sizeof *bx);
                if (bx) g.box = bx;
                if (!nx || !bx) break; /* out of memory: stop placing */
                g.cap = cap;
            }
            chosen[i] = s;
            placed++;
            for (int32_t cy = y0; cy <= y1; cy++)
                for (int32_t cx = x0; cx <= x1; cx++) {
                    int64_t c = (int64_t)cy * g.nx + cx;
                    g.box[g.n] = i;
                    g.next[g.n] = g.head[c];
                    g.head[c] = (int32_t)g.n++;
                }
        }
    }
    emb_free(g.head);
    emb_free(g.next);
    emb_free(g.box);
    return placed;
}

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int length) {
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void set_colour(cairo_t *cr, int32_t g, double alpha) {
    const double *c = g >= 0 ? PALETTE[g % 10] : NO_GROUP;
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

/* The legend, top right on a white box: one coloured dot and name per
 * group, MAX_LEGEND at most. */
static void draw_legend(cairo_t *cr, const char *const *group_names, int32_t n_groups, double W, double top,
                        double font_size) {
    int32_t shown = n_groups < MAX_LEGEND ? n_groups : MAX_LEGEND;
    double lw = 0, lh = font_size * 1.4;
    for (int32_t g = 0; g < shown; g++) {
        cairo_text_extents_t te;
        cairo_text_extents(cr, group_names[g] ? group_names[g] : "", &te);
        lw = fmax(lw, te.x_advance);
    }
    double bx = W - MARGIN / 2 - lw - 3 * font_size, by = top;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, lw + 2.5 * font_size, lh * shown + 0.6 * font_size);
    cairo_fill(cr);
    for (int32_t g = 0; g < shown; g++) {
        double cy = by + lh * (g + 0.5) + 0.3 * font_size;
        set_colour(cr, g, 1);
        cairo_new_sub_path(cr);
        cairo_arc(cr, bx + font_size * 0.8, cy, font_size * 0.35, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, bx + font_size * 1.6, cy + 0.35 * font_size);
        cairo_show_text(cr, group_names[g] ? group_names[g] : "");
    }
}

int emb_plot_scatter(const char *path, enum emb_plot_format fmt, const float *xy, int64_t n,
                     const char *const *names, const int32_t *group, const char *const *group_names, int32_t n_groups,
                     const struct emb_plot_params *p, int32_t *n_placed, struct emb_err *err) {
    if (n_placed) *n_placed = 0;
    if (!path || !xy || !p || n < 1) return emb_err_set(err, EMB_EINVAL, "plot: nothing to draw");
    if (p->width < 100 || p->height < 100 || p->width > 20000 || p->height > 20000)
        return emb_err_set(err, EMB_EINVAL, "plot: size must be 100..20000 on each side, got %dx%d", p->width, p->height);
    if (!(p->font_size > 0) || p->font_size > 200) return emb_err_set(err, EMB_EINVAL, "plot: bad font size");
    if (n_groups < 0 || (n_groups > 0 && !group_names)) return emb_err_set(err, EMB_EINVAL, "plot: bad groups");
    int rc = EMB_OK;
    if (fmt == EMB_PLOT_AUTO && (rc = emb_plot_format_from_path(path, &fmt, err)) != EMB_OK) return rc;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return emb_err_set(err, EMB_ENUMERIC, "plot: point %lld has a non-finite coordinate", (long long)i);
        if (group && (group[i] < -1 || group[i] >= n_groups))
            return emb_err_set(err, EMB_EINVAL, "plot: point %lld has group %d of %d", (long long)i, group[i], n_groups);
        x0 = fmin(x0, xy[2 * i]), x1 = fmax(x1, xy[2 * i]);
        y0 = fmin(y0, xy[2 * i + 1]), y1 = fmax(y1, xy[2 * i + 1]);
    }
    const double W = p->width, H = p->height, top = p->title ? MARGIN + p->font_size * 1.6 : MARGIN;
    double span = fmax(fmax(x1 - x0, y1 - y0), 1e-30);
    double scale = fmin((W - 2 * MARGIN) / fmax(x1 - x0, span * 1e-9), (H - top - MARGIN) / fmax(y1 - y0, span * 1e-9));
    if (x1 == x0 && y1 == y0) scale = 1;
    /* Centre the map; y grows upwards on the page. */
    const double ox = (W - (x1 - x0) * scale) / 2 - x0 * scale;
    const double oy = top + (H - top - MARGIN + (y1 - y0) * scale) / 2 + y0 * scale;
#define PX(i) (ox + xy[2 * (i)] * scale)
#define PY(i) (oy - xy[2 * (i) + 1] * scale)
    double radius = p->point_radius > 0 ? p->point_radius : n > 20000 ? 1.0 : n > 5000 ? 1.6 : n > 1000 ? 2.2 : 3.0;

    struct emb_outfile *of = NULL;
    if ((rc = emb_outfile_open(&of, path, err)) != EMB_OK) return rc;
    FILE *f = emb_outfile_stream(of);
    cairo_surface_t *surf = fmt == EMB_PLOT_SVG ? cairo_svg_surface_create_for_stream(write_stream, f, W, H)
                                                : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, p->width, p->height);
    cairo_t *cr = cairo_create(surf);
    int32_t n_lab = names ? (int32_t)(p->n_labels < n ? p->n_labels : n) : 0;
    if (n_lab < 0) n_lab = 0;
    double *boxes = NULL;
    int32_t *chosen = NULL;
    if (n_lab > 0) {
        boxes = emb_alloc((size_t)n_lab * 4 * 4 * sizeof *boxes);
        chosen = emb_alloc((size_t)n_lab * sizeof *chosen);
        if (!boxes || !chosen) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory for labels");
            goto done;
        }
    }
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    /* Points: unlabelled first, then labelled ones on top, darker. */
    for (int pass = 0; pass < 2; pass++)
        for (int64_t i = pass ? 0 : n_lab; i < (pass ? n_lab : n); i++) {
            set_colour(cr, group ? group[i] : -1, pass ? 0.95 : 0.55);
            cairo_new_sub_path(cr);
            cairo_arc(cr, PX(i), PY(i), pass ? radius * 1.3 : radius, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, p->font_size);
    if (n_lab > 0) {
        /* Four spots per label: right, left, above, below the point. */
        const double gap = radius + 2;
        for (int32_t i = 0; i < n_lab; i++) {
            cairo_text_extents_t te;
            cairo_text_extents(cr, names[i], &te);
            double w = te.x_advance, h = p->font_size, x = PX(i), y = PY(i);
            double spots[4][2] = {{x + gap, y - h / 2}, {x - gap - w, y - h / 2}, {x - w / 2, y - gap - h}, {x - w / 2, y + gap}};
            for (int s = 0; s < 4; s++) {
                double *b = boxes + ((int64_t)i * 4 + s) * 4;
                b[0] = spots[s][0], b[1] = spots[s][1], b[2] = spots[s][0] + w, b[3] = spots[s][1] + h;
            }
        }
        int32_t placed = emb_plot_place_labels(n_lab, 4, boxes, W, H, chosen);
        if (n_placed) *n_placed = placed;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        for (int32_t i = 0; i < n_lab; i++) {
            if (chosen[i] < 0) continue;
            const double *b = boxes + ((int64_t)i * 4 + chosen[i]) * 4;
            cairo_move_to(cr, b[0], b[3] - 0.22 * p->font_size); /* baseline a little above the box bottom */
            cairo_show_text(cr, names[i]);
        }
    }
    if (n_groups > 0) draw_legend(cr, group_names, n_groups, W, top, p->font_size);
    if (p->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, p->font_size * 1.4);
        cairo_move_to(cr, MARGIN, MARGIN / 2 + p->font_size * 1.4);
        cairo_show_text(cr, p->title);
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = emb_err_set(err, EMB_EIO, "plot: cairo: %s", cairo_status_to_string(cairo_status(cr)));
        goto done;
    }
done:
    cairo_destroy(cr);
    if (rc == EMB_OK && fmt == EMB_PLOT_PNG) {
        cairo_status_t st = cairo_surface_write_to_png_stream(surf, write_stream, f);
        if (st != CAIRO_STATUS_SUCCESS) rc = emb_err_set(err, EMB_EIO, "plot: writing PNG: %s", cairo_status_to_string(st));
    }
    cairo_surface_finish(surf); /* SVG: writes the document now */
    if (rc == EMB_OK && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        rc = emb_err_set(err, EMB_EIO, "plot: cairo: %s", cairo_status_to_string(cairo_surface_status(surf)));
    cairo_surface_destroy(surf);
    if (rc == EMB_OK) rc = emb_outfile_commit(of, err);
    else emb_outfile_abort(of);
    emb_free(boxes);
    emb_free(chosen);
    return rc;
#undef PX
#undef PY
}
