/* opt.h -- the one option parser of the emb command line.
 *
 * A command declares what it accepts as data: a static table of options
 * (struct cli_opt, built with the CLI_* macros below) and a struct
 * cli_spec with its usage line, description, positional arguments and
 * examples. cli_parse reads argv into the command's own options struct
 * (each entry names a field by offsetof), prints the usage errors, and
 * prints the --help text, which is generated from the same table.
 *
 * Errors are one line on stderr, exit status 2:
 *   emb CMD: unknown option '--x' (see emb CMD --help)
 *   emb CMD: option '--x' needs a value
 *   emb CMD: --x expects an integer, got 'y'      (expects a number: doubles)
 *   emb CMD: --x must be between LO and HI, got V
 *   emb CMD: --x must be one of a, b or c, got 'y'
 *   emb CMD: option '--x' takes no value
 *   emb CMD: expected ARGS, got N arguments (see emb CMD --help)
 *   emb CMD: unexpected argument 'y'
 * Options may come before, between or after the positional arguments;
 * "--" ends the options. "--opt=value" and "--opt value" are the same; "-k5"
 * and "-k 5" for a short option. An option given twice keeps the last value
 * (CLI_LIST entries collect every value). */
#ifndef EMB_CLI_OPT_H
#define EMB_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_opt_kind {
    CLI_FLAG,    /* no value: sets an int to 1 */
    CLI_INT,     /* int in [lo, hi] */
    CLI_I64,     /* int64_t in [lo, hi] */
    CLI_U64,     /* uint64_t, any non-negative value (seeds) */
    CLI_DOUBLE,  /* double in [dlo, dhi] */
    CLI_FLOAT,   /* float in [dlo, dhi] */
    CLI_STR,     /* const char *: the argument itself (paths, names) */
    CLI_ENUM,    /* int: the index of the word in `words` */
    CLI_LIST,    /* struct cli_list: every value of a repeated option */
    CLI_FN,      /* a parse function (formats, SIMD levels, ...) */
    CLI_SECTION, /* not an option: a heading line in --help ("run:") */
};

/* Parse `arg` into dst; print the error and return CLI_EXIT_USAGE, or 0. */
typedef int (*cli_opt_fn)(const char *cmd, const char *opt, const char *arg, void *dst);

struct cli_opt {
    const char *name; /* long name without "--" (CLI_SECTION: the heading) */
    char short_name;  /* 0: none */
    enum cli_opt_kind kind;
    size_t off;       /* offsetof the destination in the options struct */
    long long lo, hi;
    double dlo, dhi;
    const char *const *words; /* CLI_ENUM: NULL-terminated */
    cli_opt_fn fn;            /* CLI_FN */
    const char *metavar;      /* "N", "FILE", ...; NULL for flags */
    const char *help;         /* one line ('\n' continues it); NULL: an alias left out of --help */
    const char *def;          /* default shown in --help, NULL: none shown */
};

/* Repeated values of a CLI_LIST option, in order. */
#define CLI_LIST_MAX 1024
struct cli_list {
    const char *v[CLI_LIST_MAX];
    int n;
};

/* A command: its options and the text around them in --help. */
struct cli_spec {
    const char *cmd;         /* "eval analogy": messages say "emb eval analogy: ..." */
    const char *usage;       /* "usage: ..." lines, then a blank line and the description */
    const struct cli_opt *opts;
    size_t n_opts;
    const char *tail;        /* after the options: output format, examples */
    const char *args;        /* positionals for messages: "VECTORS QUESTIONS" */
    int min_args, max_args;  /* max -1: any number */
    int help_if_bare;        /* no arguments at all: print --help to stderr, exit 2 */
};

/* What cli_parse found besides the options struct. */
struct cli_args {
    char **v; /* the positional arguments, in order (points into argv) */
    int n;
    uint64_t given; /* bit i: table entry i was given */
};

/* Parse argv[1..argc) (argv[0] is the command name) into `dst`. Returns -1
 * to go on, 0 after printing --help (or --list-options: every long option,
 * one a line, aliases marked "alias") to stdout, or CLI_EXIT_USAGE after
 * printing the error (or the help, to stderr, for a bare command with
 * help_if_bare). argv is reordered: the positionals end up at argv[1..]. */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, void *dst, struct cli_args *args);
/* Print the generated help text. */
void cli_help(const struct cli_spec *spec, FILE *f);
/* 1 when the option named `name` (no dashes) was given. */
int cli_given(const struct cli_spec *spec, const struct cli_args *args, const char *name);

/* A subcommand table (`emb train MODEL`, `emb eval KIND`): name, function
 * (argv[0] = the name), one-line summary for the parent's --help (NULL:
 * an alias left out of it). */
struct cli_sub {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};
struct cli_subs {
    const char *cmd;  /* "train" */
    const char *noun; /* "model": "unknown model 'x' (expected a, b or c)" */
    const char *head; /* "usage: ..." and the list's heading ("models:") */
    const struct cli_sub *subs;
    size_t n;
    const char *tail; /* after the list */
    const char *missing; /* no name given: this one-line error (NULL: the help on stderr) */
};
/* Dispatch argv[1] through the table (argc, argv as the parent command
 * got them). `--help`, `-h` and `help` print head, the list and tail to
 * stdout (exit 0); no name prints them to stderr, or the `missing` line
 * (exit 2); an unknown name is a usage error. */
int cli_dispatch(const struct cli_subs *t, int argc, char **argv);

/* ---- declaring options ------------------------------------------------
 * T is the options struct type, F its field. */
#define CLI_O_(n, s, k, T, F) .name = (n), .short_name = (s), .kind = (k), .off = offsetof(T, F)
#define CLI_FLAG_OPT(n, T, F, help_) {CLI_O_(n, 0, CLI_FLAG, T, F), .help = (help_)}
#define CLI_INT_OPT(n, s, T, F, lo_, hi_, mv, help_, def_) \
    {CLI_O_(n, s, CLI_INT, T, F), .lo = (lo_), .hi = (hi_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_I64_OPT(n, T, F, lo_, hi_, mv, help_, def_) \
    {CLI_O_(n, 0, CLI_I64, T, F), .lo = (lo_), .hi = (hi_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_DOUBLE_OPT(n, T, F, lo_, hi_, mv, help_, def_) \
    {CLI_O_(n, 0, CLI_DOUBLE, T, F), .dlo = (lo_), .dhi = (hi_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_FLOAT_OPT(n, T, F, lo_, hi_, mv, help_, def_) \
    {CLI_O_(n, 0, CLI_FLOAT, T, F), .dlo = (lo_), .dhi = (hi_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_STR_OPT(n, s, T, F, mv, help_, def_) \
    {CLI_O_(n, s, CLI_STR, T, F), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_ENUM_OPT(n, T, F, words_, mv, help_, def_) \
    {CLI_O_(n, 0, CLI_ENUM, T, F), .words = (words_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_LIST_OPT(n, T, F, mv, help_) {CLI_O_(n, 0, CLI_LIST, T, F), .metavar = (mv), .help = (help_)}
#define CLI_FN_OPT(n, T, F, fn_, mv, help_, def_) \
    {CLI_O_(n, 0, CLI_FN, T, F), .fn = (fn_), .metavar = (mv), .help = (help_), .def = (def_)}
#define CLI_SECTION_OPT(title) {.name = (title), .kind = CLI_SECTION}

/* ---- the shared options, declared once ------------------------------- */
#define CLI_THREADS_OPT(T, F, help_, def_) CLI_INT_OPT("threads", 0, T, F, 1, 1024, "N", help_, def_)
#define CLI_SEED_OPT(T, F, help_, def_) \
    {CLI_O_("seed", 0, CLI_U64, T, F), .metavar = "N", .help = (help_), .def = (def_)}
#define CLI_QUIET_OPT(T, F, help_) CLI_FLAG_OPT("quiet", T, F, help_)
#define CLI_JSON_OPT(T, F, help_) CLI_FLAG_OPT("json", T, F, help_)
#define CLI_PROGRESS_OPT(T, F, help_) CLI_FLAG_OPT("progress", T, F, help_)
/* --format text|bin|npy into an enum emb_vec_format. */
int cli_parse_vec_format(const char *cmd, const char *opt, const char *arg, void *dst);
#define CLI_FORMAT_OPT(n, T, F, mv, help_, def_) CLI_FN_OPT(n, T, F, cli_parse_vec_format, mv, help_, def_)
/* How to read a vector file: --format F and --vocab PATH (an .npy's words). */
#define CLI_VECS_OPTS(T, format_field, vocab_field)                                                                \
    CLI_FORMAT_OPT("format", T, format_field, "F", "text, bin or npy", "from the file"),                           \
        CLI_STR_OPT("vocab", 0, T, vocab_field, "PATH", "vocabulary of an .npy file", "PATH.vocab")
/* --simd auto|ref|avx2|avx512 into an enum emb_simd (emb_simd_parse). */
int cli_parse_simd(const char *cmd, const char *opt, const char *arg, void *dst);
#define CLI_SIMD_OPT(T, F) \
    CLI_FN_OPT("simd", T, F, cli_parse_simd, "auto|ref|avx2|avx512", "vector kernels", "best the CPU has")
/* Checkpoints: a file written every --checkpoint-every seconds and on
 * SIGINT/SIGTERM, and a file to resume from. */
#define CLI_CHECKPOINT_OPT(T, F, help_) CLI_STR_OPT("checkpoint", 0, T, F, "FILE", help_, NULL)
#define CLI_CHECKPOINT_EVERY_OPT(T, F, def_) \
    CLI_DOUBLE_OPT("checkpoint-every", T, F, 1e-3, 1e9, "SEC", "seconds between checkpoints", def_)
#define CLI_RESUME_OPT(T, F, help_) CLI_STR_OPT("resume", 0, T, F, "FILE", help_, NULL)

#define CLI_NOPTS(tab) (sizeof(tab) / sizeof((tab)[0]))

#endif
