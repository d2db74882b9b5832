/* cli.h -- shared plumbing for the emb command-line front end.
 *
 * Each command lives in its own cli/cmd_*.c file as
 *     int cmd_NAME(int argc, char **argv);   // argv[0] is the command name
 * and returns the process exit status. Commands declare their options in
 * a table (cli/opt.h), parse them with cli_parse into the library's params
 * structs, call the library, and print. No math here. */
#ifndef EMB_CLI_H
#define EMB_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "emb/err.h"

/* Exit statuses: 0 ok, 1 runtime failure (bad input, I/O), 2 usage error. */
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Print "emb CMD: MESSAGE" for rc/err to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, int rc, const struct emb_err *err);
/* Print "emb CMD: MESSAGE" (printf style) to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing for option values: the whole string must be a
 * number in [lo, hi]. On failure prints a usage error and returns non-zero. */
int cli_parse_ll(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out);
int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);

/* The files a command reads and writes, checked together before any work
 * by cli_check_paths (cli/paths.c). opt names the option in messages
 * ("--output"); path NULL entries are skipped. */
enum cli_path_role {
    CLI_IN,     /* read: must not be replaced by an output */
    CLI_OUT,    /* written */
    CLI_VECS,   /* a vector file written; as .npy (fmt, else the extension)
                   it brings a vocabulary file beside it */
    CLI_CKPT,   /* a checkpoint written during the run */
    CLI_RESUME, /* a checkpoint read; may be the CLI_CKPT path */
};
struct cli_path {
    const char *opt;
    const char *path;
    enum cli_path_role role;
    int fmt; /* CLI_VECS: enum emb_vec_format, 0 = from the extension */
};
/* Refuse, before a run, outputs that cannot be written (missing or
 * read-only directory, a directory as the file: exit 1) and two options
 * naming one file, in any spelling (./x and x, symlinks, hard links) where
 * an output would replace another output or an input (exit 2). Prints the
 * error; returns 0 or the exit status. At most 16 paths. */
int cli_check_paths(const char *cmd, const struct cli_path *paths, int n);
/* An emb_warn_fn for the library's warn hooks: prints "emb CMD: warning:
 * MSG" on stderr; ctx is the command name (const char *). */
void cli_warn(void *ctx, const char *msg);

/* Install SIGINT/SIGTERM handlers and return the flag they set, for the
 * library's `stop` parameters (training saves a checkpoint and returns
 * EMB_EINTR; commands then exit with status 130). A signal that comes
 * after the work is done lets the final write finish (exit 0). A second
 * signal ends the process at once (the default action). */
volatile sig_atomic_t *cli_stop_flag(void);

/* 1 when stderr is a terminal (progress lines are shown only then). */
int cli_stderr_is_tty(void);

/* A one-line progress display on stderr, redrawn with '\r'; silent unless
 * enabled. cli_progress_done ends the line. */
struct cli_progress {
    int enabled;
    double last_draw; /* seconds */
    int drawn;
};
void cli_progress_init(struct cli_progress *p, int quiet);
/* fraction in [0,1], rate in units/s (unit e.g. "words"), extra free text. */
void cli_progress_draw(struct cli_progress *p, double fraction, double rate, const char *unit, double eta_s,
                       const char *extra);
void cli_progress_done(struct cli_progress *p);
/* The one progress printer of the trainers: an emb_train_progress_fn
 * (train.h) drawing TICK reports on the struct cli_progress in ctx. */
struct emb_train_progress;
void cli_train_progress(void *ctx, const struct emb_train_progress *p);
/* --resume FILE of the trainers, as train.h's one rule: o->resume with
 * o->checkpoint_path = FILE, so the resumed run keeps checkpointing into
 * FILE. A --checkpoint naming another file is a usage error (returned
 * after printing); resume NULL changes nothing. */
struct emb_train_opts;
int cli_train_resume(const char *cmd, const char *resume, struct emb_train_opts *o);
/* A trainer's failure: EMB_EINTR (stopped; the message says what was
 * saved) is printed as is and gives 130, anything else is cli_fail. */
int cli_train_failed(const char *cmd, int rc, const struct emb_err *err);
/* Start bar (cli_progress_init) and hook it, the stop flag (cli_stop_flag)
 * and the warnings (cli_warn, naming cmd) to o. */
void cli_train_attach(struct emb_train_opts *o, struct cli_progress *bar, int quiet, const char *cmd);

/* Monotonic clock in seconds. */
double cli_now(void);

/* --json output goes through json-c: build a json_object, then print it
 * on one line to stdout with cli_json_print (which releases obj). */
struct json_object;
void cli_json_print(struct json_object *obj);

/* Commands (cli/emb.c's tables call them; argv[0] is the command's own
 * name, e.g. "analogy" for `emb eval analogy`). No cmd_*.c file calls
 * another's functions. */
int cmd_train_word2vec(int argc, char **argv); /* cmd_train.c */
int cmd_train_deepwalk(int argc, char **argv); /* cmd_graph.c */
int cmd_train_node2vec(int argc, char **argv); /* cmd_graph.c */
int cmd_train_line(int argc, char **argv);     /* cmd_links.c */
int cmd_train_kge(int argc, char **argv);      /* cmd_kge.c */
int cmd_eval_analogy(int argc, char **argv);   /* cmd_eval.c */
int cmd_eval_similarity(int argc, char **argv);
int cmd_eval_nodes(int argc, char **argv);     /* cmd_nodes.c */
int cmd_eval_links(int argc, char **argv);     /* cmd_links.c */
int cmd_eval_kge(int argc, char **argv);       /* cmd_kgeval.c */
int cmd_neighbors(int argc, char **argv);      /* cmd_query.c */
int cmd_analogy(int argc, char **argv);
int cmd_similarity(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_predict_link(int argc, char **argv);   /* cmd_kgeval.c */
int cmd_index(int argc, char **argv);          /* cmd_index.c: `emb index build|info|add|delete` */
int cmd_search(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_project(int argc, char **argv);        /* cmd_map.c: `emb project` */
int cmd_plot(int argc, char **argv);           /* cmd_map.c: `emb plot` */
int cmd_export(int argc, char **argv);         /* cmd_map.c: `emb export tensorboard` */

#endif
