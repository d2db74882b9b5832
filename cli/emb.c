/* emb.c -- the `emb` command: a table of subcommands and shared helpers. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"

#define EMB_VERSION "0.1.0"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"train", cmd_train, "train embeddings: word2vec, deepwalk, node2vec, line, kge"},
    {"neighbors", cmd_neighbors, "nearest neighbours of words by cosine similarity"},
    {"analogy", cmd_analogy, "a is to b as c is to ? (3CosAdd and 3CosMul)"},
    {"similarity", cmd_similarity, "cosine similarity of two words"},
    {"eval", cmd_eval, "evaluate: analogy, similarity, nodes, links, kge"},
    {"convert", cmd_convert, "convert between vector formats (text, bin, npy)"},
    {"index", cmd_index, "build, inspect and change a nearest-neighbour index (flat, HNSW)"},
    {"search", cmd_search, "query a nearest-neighbour index"},
    {"serve", cmd_serve, "HTTP/JSON query service and web page over a vector file"},
    {"project", cmd_project, "2-D coordinates of vectors: PCA or Barnes-Hut t-SNE"},
    {"plot", cmd_plot, "scatter plot of a map or of vectors, PNG or SVG, with labels"},
    {"export", cmd_export, "export vectors (tensorboard: Embedding Projector TSV files)"},
    {"predict-link", cmd_predict_link, "best heads or tails of a triple by a knowledge-graph model"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f,
            "emb " EMB_VERSION " -- train, evaluate and use embeddings\n\n"
            "usage: emb <command> [options]   (emb <command> --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-13s %s\n", "help", "this text, or `emb help COMMAND`");
    fprintf(f,
            "\nexample:\n"
            "  emb train word2vec --input corpus.txt.gz --output vectors.bin && emb neighbors vectors.bin king\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("emb %s\n", EMB_VERSION);
        return 0;
    }
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2) {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(argv[2], commands[i].name)) {
                    char *args[] = {argv[2], "--help", NULL};
                    return commands[i].fn(2, args);
                }
            fprintf(stderr, "emb: unknown command '%s'\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "emb: unknown command '%s' (try `emb help`)\n", name);
    return CLI_EXIT_USAGE;
}

/* ---- shared helpers --------------------------------------------------- */

/* Set by SIGINT/SIGTERM; the library polls it between chunks of work. The
 * one piece of global state in the program: a signal handler has no other
 * way to reach the code it interrupts. */
static volatile sig_atomic_t stop_requested = 0;

/* The first SIGINT/SIGTERM asks for a clean stop (a checkpoint, exit 130;
 * once training is over it lets the final write finish, exit 0). It also
 * restores the default action, so a second signal ends the process at once:
 * outputs are written atomically, so that leaves the old file in place. */
static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
}

volatile sig_atomic_t *cli_stop_flag(void) {
    if (!stop_requested) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop_signal;
        sa.sa_flags = SA_RESTART; /* blocked reads and writes carry on */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    return &stop_requested;
}

int cli_fail(const char *cmd, int rc, const struct emb_err *err) {
    fprintf(stderr, "emb %s: %s\n", cmd, emb_err_msg(err, rc));
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "emb %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_getopt_error(const char *cmd, int c, char **argv) {
    const char *opt = argv[optind - 1];
    if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", opt);
    return cli_usage_error(cmd, "unknown option '%s' (see emb %s --help)", opt, cmd);
}

int cli_parse_ll(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno) {
        cli_usage_error(cmd, "%s expects an integer, got '%s'", opt, s);
        return 1;
    }
    if (v < lo || v > hi) {
        cli_usage_error(cmd, "%s must be between %lld and %lld, got %lld", opt, lo, hi, v);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v)) {
        cli_usage_error(cmd, "%s expects a number, got '%s'", opt, s);
        return 1;
    }
    if (v < lo || v > hi) {
        cli_usage_error(cmd, "%s must be between %g and %g, got %g", opt, lo, hi, v);
        return 1;
    }
    *out = v;
    return 0;
}

int cli_stderr_is_tty(void) { return isatty(2); }

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress_init(struct cli_progress *p, int quiet) {
    p->enabled = !quiet && cli_stderr_is_tty();
    p->last_draw = 0;
    p->drawn = 0;
}

static void fmt_eta(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

void cli_progress_draw(struct cli_progress *p, double fraction, double rate, const char *unit, double eta_s,
                       const char *extra) {
    if (!p->enabled) return;
    double now = cli_now();
    if (p->drawn && now - p->last_draw < 0.2 && fraction < 1.0) return; /* at most 5 redraws a second */
    p->last_draw = now;
    p->drawn = 1;
    char eta[32];
    fmt_eta(eta, sizeof eta, eta_s);
    const char *scale = "";
    if (rate >= 1e6) {
        rate /= 1e6;
        scale = "M";
    } else if (rate >= 1e3) {
        rate /= 1e3;
        scale = "k";
    }
    fprintf(stderr, "\r%5.1f%%  %.2f%s %s/s  %s  ETA %s \033[K", 100.0 * fraction, rate, scale, unit,
            extra ? extra : "", eta);
    fflush(stderr);
}

void cli_progress_done(struct cli_progress *p) {
    if (p->enabled && p->drawn) fprintf(stderr, "\n");
    p->drawn = 0;
}

void cli_json_print(struct json_object *obj) {
    fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
    fputc('\n', stdout);
    json_object_put(obj);
}
