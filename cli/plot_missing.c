/* plot_missing.c -- stands in for src/map/plot.c when emb is built without
 * cairo (make HAVE_CAIRO=0, or libcairo2-dev absent). cmd_map.c's `emb plot`
 * still links, but emb.c never runs it: it reports the missing package
 * instead. These definitions only fail, with the same advice. */
#include "emb/plot.h"

struct emb_plot_params emb_plot_default_params(void) {
    struct emb_plot_params p = {0};
    return p;
}

int emb_plot_format_from_path(const char *path, enum emb_plot_format *out, struct emb_err *err) {
    (void)path;
    (void)out;
    return emb_err_set(err, EMB_EINVAL, "emb was built without cairo: apt-get install libcairo2-dev, then make");
}

int emb_plot_scatter(const char *path, enum emb_plot_format fmt, const float *xy, int64_t n,
                     const char *const *names, const int32_t *group, const char *const *group_names, int32_t n_groups,
                     const struct emb_plot_params *p, int32_t *n_placed, struct emb_err *err) {
    (void)path, (void)fmt, (void)xy, (void)n, (void)names, (void)group, (void)group_names, (void)n_groups, (void)p;
    if (n_placed) *n_placed = 0;
    return emb_err_set(err, EMB_EINVAL, "emb was built without cairo: apt-get install libcairo2-dev, then make");
}
