/* cmd_map.c -- `emb project` (PCA / t-SNE coordinates), `emb plot` (a
 * labelled scatter plot, PNG or SVG) and `emb export tensorboard`.
 *
 * Coordinates files are TSV with a header: "word<TAB>x<TAB>y", then one
 * line per point, in the order of the vector file (most frequent first).
 * `emb plot` reads such a file, or a vector file, which it projects with
 * PCA itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/map.h"
#include "emb/plot.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "emb/vocab.h"
#include "opt.h"

#define COORDS_HEADER "word\tx\ty"

struct opts {
    const char *cmd, *output, *labels, *vocab, *title;
    enum emb_vec_format format;
    int64_t top, limit;
    int quiet, json, tsne, top_set;
    struct emb_tsne_params tp;
    struct emb_plot_params pp;
    char **pos;
    int n_pos;
};

static int parse_method(const char *cmd, const char *opt, const char *arg, void *dst) {
    if (!strcmp(arg, "tsne") || !strcmp(arg, "t-sne")) *(int *)dst = 1;
    else if (!strcmp(arg, "pca")) *(int *)dst = 0;
    else return cli_usage_error(cmd, "%s must be pca or tsne, got '%s'", opt, arg);
    return 0;
}

static const char *const init_words[] = {"pca", "random", NULL}; /* enum emb_tsne_init */

#define T struct opts
#define OUTPUT_OPT(mv, help_) CLI_STR_OPT("output", 'o', T, output, mv, help_, NULL)
#define TOP_OPT(help_, def_) CLI_I64_OPT("top", T, top, 1, INT32_MAX, "N", help_, def_)
#define READ_OPTS                                                                                                  \
    CLI_VECS_OPTS(T, format, vocab),                                                                               \
        CLI_QUIET_OPT(T, quiet, "no summary line on stderr"), CLI_JSON_OPT(T, json, "print a JSON summary on stdout")
static const struct cli_opt project_opts[] = {
    OUTPUT_OPT("COORDS.tsv", "coordinates to write"),
    CLI_FN_OPT("method", T, tsne, parse_method, "M", "pca or tsne", "pca"),
    TOP_OPT("only the first N vectors (the most frequent words)", NULL),
    CLI_SECTION_OPT("t-SNE"),
    CLI_DOUBLE_OPT("perplexity", T, tp.perplexity, 1, 10000, "P", "effective neighbours; needs N > 3P + 1", "30"),
    CLI_DOUBLE_OPT("theta", T, tp.theta, 0, 1, "T", "Barnes-Hut accuracy, cell width / distance; 0 = exact", "0.5"),
    CLI_INT_OPT("iter", 0, T, tp.n_iter, 1, 1000000, "N", "iterations in all", "1000"),
    CLI_DOUBLE_OPT("exaggeration", T, tp.exaggeration, 1, 1000, "X", "early exaggeration", "12"),
    CLI_DOUBLE_OPT("learning-rate", T, tp.learning_rate, 1e-6, 1e7, "X", "step size", "max(N / exaggeration / 4, 50)"),
    CLI_ENUM_OPT("init", T, tp.init, init_words, "pca|random", "start positions", "pca"),
    CLI_SEED_OPT(T, tp.seed, "seed for --init random", "1"),
    CLI_THREADS_OPT(T, tp.n_threads, "threads; the result does not depend on it", "all CPUs"),
    CLI_SECTION_OPT("other"),
    READ_OPTS,
};
static const struct cli_opt plot_opts[] = {
    OUTPUT_OPT("FILE", "map.png or map.svg to write"),
    TOP_OPT("words to label", "100"),
    CLI_I64_OPT("limit", T, limit, 1, INT32_MAX, "N", "draw only the first N points", "all"),
    CLI_STR_OPT("labels", 0, T, labels, "FILE",
                "colour points by group: lines \"WORD<TAB>GROUP\" (or\nblank-separated), e.g. node labels or entity "
                "types;\nwords missing from the file stay grey-blue",
                NULL),
    CLI_INT_OPT("width", 0, T, pp.width, 100, 20000, "N", "image width", "1600"),
    CLI_INT_OPT("height", 0, T, pp.height, 100, 20000, "N", "image height", "1200"),
    CLI_DOUBLE_OPT("font-size", T, pp.font_size, 1, 200, "X", "label size", "11"),
    CLI_STR_OPT("title", 0, T, title, "TEXT", "a title line", NULL),
    READ_OPTS,
};
static const struct cli_opt export_opts[] = {
    TOP_OPT("only the first N vectors (the most frequent words)", NULL),
    READ_OPTS,
};
#undef T

static const struct cli_spec project_spec = {
    .cmd = "project",
    .usage = "usage: emb project VECTORS -o COORDS.tsv [--method pca|tsne] [options]\n"
             "\n"
             "Map vectors to 2-D. pca: the top two principal components. tsne:\n"
             "Barnes-Hut t-SNE (van der Maaten 2014) with scikit-learn's schedule:\n"
             "early exaggeration for 250 iterations (momentum 0.5), then momentum 0.8.\n"
             "Output: TSV with a header, \"word<TAB>x<TAB>y\", in the file's order.\n",
    .opts = project_opts,
    .n_opts = CLI_NOPTS(project_opts),
    .tail = "example: emb project vectors.bin -o map.tsv --method tsne --top 5000\n",
    .max_args = 3,
};
static const struct cli_spec plot_spec = {
    .cmd = "plot",
    .usage = "usage: emb plot COORDS.tsv|VECTORS -o map.png|map.svg [options]\n"
             "\n"
             "Draw a scatter plot of a map from `emb project`, or of a vector file (then\n"
             "projected with PCA here). The first --top points (the most frequent words)\n"
             "are labelled where a label does not overlap one already drawn.\n",
    .opts = plot_opts,
    .n_opts = CLI_NOPTS(plot_opts),
    .tail = "example: emb plot map.tsv -o map.png --labels types.tsv --top 200\n",
    .max_args = 3,
};
static const struct cli_spec export_spec = {
    .cmd = "export",
    .usage = "usage: emb export tensorboard VECTORS DIR [options]\n"
             "\n"
             "Write DIR/vectors.tsv (one vector a line, tab-separated, no header),\n"
             "DIR/metadata.tsv (one word a line, no header) and\n"
             "DIR/projector_config.pbtxt, for the TensorBoard Embedding Projector\n"
             "(`tensorboard --logdir DIR`, or load the two TSV files at\n"
             "projector.tensorflow.org).\n",
    .opts = export_opts,
    .n_opts = CLI_NOPTS(export_opts),
    .tail = "example: emb export tensorboard vectors.bin tb/ --top 10000\n",
    .max_args = 3,
};

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse(struct opts *o, const struct cli_spec *spec, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->cmd = spec->cmd;
    o->tp = emb_tsne_default_params();
    o->tp.n_threads = emb_cpu_count();
    o->pp = emb_plot_default_params();
    struct cli_args a;
    int st = cli_parse(spec, argc, argv, o, &a);
    o->pos = a.v;
    o->n_pos = a.n;
    o->top_set = cli_given(spec, &a, "top");
    return st;
}

/* The progress line of t-SNE: iterations per second since the first one. */
struct tsne_bar {
    struct cli_progress bar;
    double t0;
    char kl[48];
};

static void on_tsne_progress(void *ctx, int32_t iter, int32_t n_iter, double kl) {
    struct tsne_bar *b = ctx;
    if (b->t0 == 0) b->t0 = cli_now();
    double el = cli_now() - b->t0, rate = el > 0 ? iter / el : 0;
    if (!isnan(kl)) snprintf(b->kl, sizeof b->kl, "KL %.4f", kl);
    cli_progress_draw(&b->bar, (double)iter / n_iter, rate, "iter", rate > 0 ? (n_iter - iter) / rate : -1, b->kl);
}

/* Write "word<TAB>x<TAB>y" lines for n points. */
static int write_coords(const char *path, const struct emb_vocab *vocab, const float *xy, int64_t n,
                        struct emb_err *err) {
    for (int64_t i = 0; i < n; i++)
        if (strpbrk(emb_vocab_word(vocab, (int32_t)i), "\t\n\r"))
            return emb_err_set(err, EMB_EINVAL, "word %lld contains a tab or line break", (long long)i);
    struct emb_outfile *f = NULL;
    int rc = emb_outfile_open(&f, path, err);
    if (rc != EMB_OK) return rc;
    FILE *s = emb_outfile_stream(f);
    fputs(COORDS_HEADER "\n", s);
    for (int64_t i = 0; i < n; i++)
        fprintf(s, "%s\t%.9g\t%.9g\n", emb_vocab_word(vocab, (int32_t)i), xy[2 * i], xy[2 * i + 1]);
    return emb_outfile_commit(f, err);
}

int cmd_project(int argc, char **argv) {
    struct opts o;
    int st = parse(&o, &project_spec, argc, argv);
    if (st >= 0) return st;
    if (o.n_pos != 1) return cli_usage_error(o.cmd, o.n_pos ? "expected one VECTORS file" : "VECTORS is required (see --help)");
    if (!o.output) return cli_usage_error(o.cmd, "-o COORDS.tsv is required");
    const struct cli_path paths[] = {{"VECTORS", o.pos[0], CLI_IN, 0}, {"--vocab", o.vocab, CLI_IN, 0}, {"-o", o.output, CLI_OUT, 0}};
    if ((st = cli_check_paths(o.cmd, paths, 3)) != 0) return st;
    struct emb_err err = {0};
    if (emb_tsne_params_check(&o.tp, INT32_MAX, &err) != EMB_OK) return cli_usage_error(o.cmd, "%s", err.msg);
    struct emb_vecs *v = NULL;
    float *xy = NULL;
    double kl = NAN, var[2] = {0}, total = 0;
    struct tsne_bar bar;
    memset(&bar, 0, sizeof bar);
    cli_progress_init(&bar.bar, o.quiet);
    o.tp.progress = on_tsne_progress;
    o.tp.progress_ctx = &bar;
    o.tp.stop = cli_stop_flag();
    double t0 = cli_now();
    int rc = emb_vecs_load(&v, o.pos[0], o.format, o.top, o.vocab, &err);
    int64_t n = rc == EMB_OK ? v->table->n_rows : 0;
    if (rc == EMB_OK && !(xy = malloc((size_t)n * 2 * sizeof *xy))) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
    if (rc == EMB_OK && !o.tsne && v->table->dim < 2)
        rc = emb_err_set(&err, EMB_EINVAL, "PCA to 2-D needs vectors of at least 2 dimensions");
    if (rc == EMB_OK) rc = o.tsne ? emb_map_tsne(v->table, n, &o.tp, xy, &kl, &err)
                                  : emb_map_pca_ex(v->table, n, 2, xy, var, &total, &err);
    cli_progress_done(&bar.bar);
    double secs = cli_now() - t0;
    if (rc == EMB_OK) rc = write_coords(o.output, v->vocab, xy, n, &err);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: interrupted, nothing written\n", o.cmd);
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet) {
            if (o.tsne)
                fprintf(stderr, "emb: t-SNE of %lld points in %.2f s (KL %.4f); wrote %s\n", (long long)n, secs, kl, o.output);
            else
                fprintf(stderr, "emb: PCA of %lld points (%.1f%% + %.1f%% of the variance); wrote %s\n", (long long)n,
                        total > 0 ? 100 * var[0] / total : 0, total > 0 ? 100 * var[1] / total : 0, o.output);
        }
        if (o.json) {
            struct json_object *j = json_object_new_object();
            json_object_object_add(j, "method", json_object_new_string(o.tsne ? "tsne" : "pca"));
            json_object_object_add(j, "points", json_object_new_int64(n));
            json_object_object_add(j, "seconds", json_object_new_double(secs));
            if (o.tsne) {
                json_object_object_add(j, "kl", json_object_new_double(kl));
                json_object_object_add(j, "perplexity", json_object_new_double(o.tp.perplexity));
                json_object_object_add(j, "theta", json_object_new_double(o.tp.theta));
                json_object_object_add(j, "iterations", json_object_new_int(o.tp.n_iter));
            } else {
                struct json_object *a = json_object_new_array();
                for (int c = 0; c < 2; c++) json_object_array_add(a, json_object_new_double(total > 0 ? var[c] / total : 0));
                json_object_object_add(j, "explained_variance_ratio", a);
            }
            json_object_object_add(j, "output", json_object_new_string(o.output));
            cli_json_print(j);
        }
    }
    free(xy);
    emb_vecs_free(v);
    return st;
}

/* ---- plot ------------------------------------------------------------------ */

/* A map loaded for plotting: names (vocab order) and coordinates. */
struct map_data {
    struct emb_vocab *words; /* owned when read from a coordinates file */
    struct emb_vecs *vecs;   /* or the vector file it came from */
    const struct emb_vocab *vocab;
    float *xy;               /* (n, 2) */
    int64_t n;
};

/* 1 if path starts with the coordinates header, 0 if not, <0 on error. */
static int is_coords_file(const char *path, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    char *line = NULL;
    size_t len = 0;
    rc = emb_reader_line(r, &line, &len, err);
    int yes = rc == 1 && len >= strlen(COORDS_HEADER) && !strncmp(line, COORDS_HEADER, strlen(COORDS_HEADER)) &&
              (len == strlen(COORDS_HEADER) || line[strlen(COORDS_HEADER)] == '\r');
    emb_reader_close(r);
    return rc < 0 ? rc : yes;
}

static int read_coords(struct map_data *m, const char *path, int64_t limit, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_vocab_new(&m->words, err);
    if (rc == EMB_OK) rc = emb_reader_open(&r, path, err);
    int64_t cap = 0, lineno = 0;
    char *line = NULL;
    size_t len = 0;
    while (rc == EMB_OK && (limit <= 0 || m->n < limit)) {
        int got = emb_reader_line(r, &line, &len, err);
        if (got < 0) rc = got;
        if (got <= 0) break;
        if (++lineno == 1) continue; /* header */
        if (len && line[len - 1] == '\r') line[--len] = '\0';
        if (!len) continue;
        char *t1 = memchr(line, '\t', len), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || !t2 || strchr(t2 + 1, '\t') || t1 == line) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected WORD<TAB>X<TAB>Y", path, (long long)lineno);
            break;
        }
        *t1 = *t2 = '\0';
        char *e1, *e2;
        double x = strtod(t1 + 1, &e1), y = strtod(t2 + 1, &e2);
        if (e1 == t1 + 1 || *e1 || e2 == t2 + 1 || *e2) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: bad coordinate", path, (long long)lineno);
            break;
        }
        if (!isfinite(x) || !isfinite(y)) {
            rc = emb_err_set(err, EMB_ENUMERIC, "%s:%lld: non-finite coordinate", path, (long long)lineno);
            break;
        }
        if (m->n == cap) {
            cap = cap ? 2 * cap : 1024;
            float *p = realloc(m->xy, (size_t)cap * 2 * sizeof *p);
            if (!p) {
                rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
                break;
            }
            m->xy = p;
        }
        if (emb_vocab_find(m->words, line, (size_t)(t1 - line)) >= 0) {
            rc = emb_err_set(err, EMB_EDUP, "%s:%lld: duplicate word '%s'", path, (long long)lineno, line);
            break;
        }
        if ((rc = emb_vocab_add(m->words, line, (size_t)(t1 - line), 1, NULL, err)) != EMB_OK) break;
        m->xy[2 * m->n] = (float)x;
        m->xy[2 * m->n + 1] = (float)y;
        m->n++;
    }
    emb_reader_close(r);
    if (rc == EMB_OK && m->n == 0) rc = emb_err_set(err, EMB_EEMPTY, "%s: no points", path);
    m->vocab = m->words;
    return rc;
}

static int load_map(struct map_data *m, const struct opts *o, struct emb_err *err) {
    memset(m, 0, sizeof *m);
    int rc = is_coords_file(o->pos[0], err);
    if (rc < 0) return rc;
    if (rc == 1) return read_coords(m, o->pos[0], o->limit, err);
    if ((rc = emb_vecs_load(&m->vecs, o->pos[0], o->format, o->limit, o->vocab, err)) != EMB_OK) return rc;
    m->vocab = m->vecs->vocab;
    m->n = m->vecs->table->n_rows;
    if (m->vecs->table->dim < 2) return emb_err_set(err, EMB_EINVAL, "%s: vectors of 1 dimension: nothing to project", o->pos[0]);
    if (!(m->xy = malloc((size_t)m->n * 2 * sizeof *m->xy))) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    return emb_map_pca(m->vecs->table, m->n, 2, m->xy, err);
}

/* Groups from a "WORD<TAB>GROUP" file: group[i] for each point (-1 when
 * the word is not in the file), group names in order of appearance. */
static int read_labels(const char *path, const struct emb_vocab *vocab, int64_t n, int32_t *group,
                       struct emb_vocab **names, int64_t *n_matched, struct emb_err *err) {
    for (int64_t i = 0; i < n; i++) group[i] = -1;
    *n_matched = 0;
    struct emb_reader *r = NULL;
    int rc = emb_vocab_new(names, err);
    if (rc == EMB_OK) rc = emb_reader_open(&r, path, err);
    char *line = NULL;
    size_t len = 0;
    int64_t lineno = 0;
    while (rc == EMB_OK) {
        int got = emb_reader_line(r, &line, &len, err);
        if (got < 0) rc = got;
        if (got <= 0) break;
        lineno++;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
        if (!len) continue;
        /* WORD<TAB>GROUP; without a tab, the first blank splits. */
        char *sep = memchr(line, '\t', len);
        if (!sep) sep = memchr(line, ' ', len);
        if (!sep || sep == line) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected WORD<TAB>GROUP", path, (long long)lineno);
            break;
        }
        *sep = '\0';
        char *g = sep + 1;
        while (*g == ' ' || *g == '\t') g++;
        if (!*g) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected WORD<TAB>GROUP", path, (long long)lineno);
            break;
        }
        int32_t id = emb_vocab_find(vocab, line, strlen(line));
        if (id < 0 || id >= n) continue;
        int32_t gid = emb_vocab_find(*names, g, strlen(g));
        if (gid < 0 && (rc = emb_vocab_add(*names, g, strlen(g), 1, &gid, err)) != EMB_OK) break;
        if (group[id] < 0) ++*n_matched;
        group[id] = gid;
    }
    emb_reader_close(r);
    if (rc == EMB_OK && lineno == 0) rc = emb_err_set(err, EMB_EEMPTY, "%s: empty label file", path);
    return rc;
}

int cmd_plot(int argc, char **argv) {
    struct opts o;
    int st = parse(&o, &plot_spec, argc, argv);
    if (st >= 0) return st;
    if (o.n_pos != 1) return cli_usage_error(o.cmd, o.n_pos ? "expected one input file" : "COORDS.tsv or VECTORS is required (see --help)");
    if (!o.output) return cli_usage_error(o.cmd, "-o map.png|map.svg is required");
    if (!strcmp(o.pos[0], "-")) /* the input is sniffed, then read: it must be a file */
        return cli_usage_error(o.cmd, "the input must be a file, not stdin");
    const struct cli_path paths[] = {
        {"INPUT", o.pos[0], CLI_IN, 0}, {"--labels", o.labels, CLI_IN, 0}, {"--vocab", o.vocab, CLI_IN, 0}, {"-o", o.output, CLI_OUT, 0}};
    if ((st = cli_check_paths(o.cmd, paths, 4)) != 0) return st;
    struct emb_err err = {0};
    enum emb_plot_format fmt;
    if (emb_plot_format_from_path(o.output, &fmt, &err) != EMB_OK) return cli_usage_error(o.cmd, "%s", err.msg);
    if (o.top_set) o.pp.n_labels = (int32_t)o.top;
    o.pp.title = o.title;
    struct map_data m;
    struct emb_vocab *gnames = NULL;
    int32_t *group = NULL, placed = 0;
    const char **names = NULL, **gn = NULL;
    int64_t matched = 0;
    int rc = load_map(&m, &o, &err);
    if (rc == EMB_OK && !(names = malloc((size_t)m.n * sizeof *names))) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
    if (rc == EMB_OK)
        for (int64_t i = 0; i < m.n; i++) names[i] = emb_vocab_word(m.vocab, (int32_t)i);
    if (rc == EMB_OK && o.labels) {
        if (!(group = malloc((size_t)m.n * sizeof *group))) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
        if (rc == EMB_OK) rc = read_labels(o.labels, m.vocab, m.n, group, &gnames, &matched, &err);
        if (rc == EMB_OK && !(gn = malloc((size_t)(emb_vocab_size(gnames) + 1) * sizeof *gn)))
            rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
        if (rc == EMB_OK)
            for (int32_t g = 0; g < emb_vocab_size(gnames); g++) gn[g] = emb_vocab_word(gnames, g);
    }
    int32_t n_groups = gnames ? emb_vocab_size(gnames) : 0;
    if (rc == EMB_OK)
        rc = emb_plot_scatter(o.output, fmt, m.xy, m.n, names, group, gn, n_groups, &o.pp, &placed, &err);
    if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet) {
            fprintf(stderr, "emb: %lld points, %d labels", (long long)m.n, placed);
            if (o.labels) fprintf(stderr, ", %lld points in %d groups", (long long)matched, n_groups);
            fprintf(stderr, "; wrote %s\n", o.output);
        }
        if (o.json) {
            struct json_object *j = json_object_new_object();
            json_object_object_add(j, "points", json_object_new_int64(m.n));
            json_object_object_add(j, "labels", json_object_new_int(placed));
            json_object_object_add(j, "groups", json_object_new_int(n_groups));
            json_object_object_add(j, "grouped_points", json_object_new_int64(matched));
            json_object_object_add(j, "projected", json_object_new_boolean(m.vecs != NULL));
            json_object_object_add(j, "output", json_object_new_string(o.output));
            cli_json_print(j);
        }
    }
    free(names);
    free(group);
    free(gn);
    free(m.xy);
    emb_vocab_free(gnames);
    emb_vocab_free(m.words);
    emb_vecs_free(m.vecs);
    return st;
}

/* ---- export ---------------------------------------------------------------- */

int cmd_export(int argc, char **argv) {
    struct opts o;
    int st = parse(&o, &export_spec, argc, argv);
    if (st >= 0) return st;
    if (o.n_pos < 1) return cli_usage_error(o.cmd, "a target is required: emb export tensorboard VECTORS DIR");
    if (strcmp(o.pos[0], "tensorboard"))
        return cli_usage_error(o.cmd, "unknown export target '%s' (known: tensorboard)", o.pos[0]);
    if (o.n_pos != 3) return cli_usage_error(o.cmd, "expected: emb export tensorboard VECTORS DIR");
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    int rc = emb_vecs_load(&v, o.pos[1], o.format, o.top, o.vocab, &err);
    if (rc == EMB_OK) rc = emb_map_export_tensorboard(v->vocab, v->table, v->table->n_rows, o.pos[2], &err);
    if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet)
            fprintf(stderr, "emb: %lld vectors of %d dims; wrote %s/vectors.tsv, metadata.tsv, projector_config.pbtxt\n",
                    (long long)v->table->n_rows, v->table->dim, o.pos[2]);
        if (o.json) {
            struct json_object *j = json_object_new_object();
            json_object_object_add(j, "vectors", json_object_new_int64(v->table->n_rows));
            json_object_object_add(j, "dim", json_object_new_int(v->table->dim));
            json_object_object_add(j, "dir", json_object_new_string(o.pos[2]));
            cli_json_print(j);
        }
    }
    emb_vecs_free(v);
    return st;
}
