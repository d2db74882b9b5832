/* opt.c -- the one option parser and help generator (see opt.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emb/simd.h"
#include "emb/vecs.h"
#include "opt.h"

/* The entry for "--NAME" (len characters of name): an exact name, else a
 * unique prefix (as getopt_long allows). *ambiguous set when several match. */
static const struct cli_opt *find_long(const struct cli_spec *s, const char *name, size_t len, int *ambiguous) {
    const struct cli_opt *hit = NULL;
    int n_hits = 0;
    for (size_t i = 0; i < s->n_opts; i++) {
        const struct cli_opt *o = &s->opts[i];
        if (o->kind == CLI_SECTION || strncmp(o->name, name, len) != 0) continue;
        if (o->name[len] == '\0') return o;
        /* Aliases of one field (--iter, --epochs) are one option. */
        if (!hit || hit->off != o->off || hit->kind != o->kind) n_hits++;
        if (!hit) hit = o;
    }
    *ambiguous = n_hits > 1;
    return n_hits == 1 ? hit : NULL;
}

static const struct cli_opt *find_short(const struct cli_spec *s, char c) {
    for (size_t i = 0; i < s->n_opts; i++)
        if (s->opts[i].kind != CLI_SECTION && s->opts[i].short_name == c) return &s->opts[i];
    return NULL;
}

static int parse_enum(const char *cmd, const char *opt, const struct cli_opt *o, const char *arg, int *out) {
    int n = 0;
    for (; o->words[n]; n++)
        if (!strcmp(o->words[n], arg)) {
            *out = n;
            return 0;
        }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
                                o->words[i]);
    return cli_usage_error(cmd, "%s must be %s%s, got '%s'", opt, n > 2 ? "one of " : "", list, arg);
}

/* Store one value. Returns 0 or CLI_EXIT_USAGE (printed). */
static int store(const char *cmd, const struct cli_opt *o, const char *arg, void *dst) {
    char opt[80];
    snprintf(opt, sizeof opt, "--%s", o->name);
    char *p = (char *)dst + o->off;
    long long v;
    double d;
    switch (o->kind) {
    case CLI_FLAG: *(int *)p = 1; return 0;
    case CLI_INT:
        if (cli_parse_ll(cmd, opt, arg, o->lo, o->hi, &v)) return CLI_EXIT_USAGE;
        *(int *)p = (int)v;
        return 0;
    case CLI_I64:
        if (cli_parse_ll(cmd, opt, arg, o->lo, o->hi, &v)) return CLI_EXIT_USAGE;
        *(int64_t *)p = v;
        return 0;
    case CLI_U64: {
        char *end = NULL;
        errno = 0;
        unsigned long long u = strtoull(arg, &end, 10);
        if (!*arg || *end || *arg == '-' || errno)
            return cli_usage_error(cmd, "%s expects a non-negative integer, got '%s'", opt, arg);
        *(uint64_t *)p = u;
        return 0;
    }
    case CLI_DOUBLE:
        if (cli_parse_double(cmd, opt, arg, o->dlo, o->dhi, &d)) return CLI_EXIT_USAGE;
        *(double *)p = d;
        return 0;
    case CLI_FLOAT:
        if (cli_parse_double(cmd, opt, arg, o->dlo, o->dhi, &d)) return CLI_EXIT_USAGE;
        *(float *)p = (float)d;
        return 0;
    case CLI_STR: *(const char **)p = arg; return 0;
    case CLI_ENUM: return parse_enum(cmd, opt, o, arg, (int *)p);
    case CLI_LIST: {
        struct cli_list *l = (struct cli_list *)p;
        if (l->n >= CLI_LIST_MAX) return cli_usage_error(cmd, "%s given more than %d times", opt, CLI_LIST_MAX);
        l->v[l->n++] = arg;
        return 0;
    }
    case CLI_FN: return o->fn(cmd, opt, arg, p);
    case CLI_SECTION: break;
    }
    return cli_usage_error(cmd, "internal: option %s has no kind", opt);
}

/* One option at argv[*i]; advances *i past its value. */
static int one_option(const struct cli_spec *s, int argc, char **argv, int *i, void *dst, struct cli_args *a) {
    const char *arg = argv[*i], *val = NULL;
    const struct cli_opt *o;
    int ambiguous = 0;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 4 && !strncmp(name, "help", 4) && !eq) return 0;
        if (len == 12 && !strncmp(name, "list-options", 12) && !eq) return -2;
        o = find_long(s, name, len, &ambiguous);
        if (eq) val = eq + 1;
    } else {
        if (arg[1] == 'h' && !arg[2]) return 0;
        o = find_short(s, arg[1]);
        if (o && arg[2]) val = arg + 2; /* -k5 */
    }
    if (!o) {
        char shown[80];
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(arg, "="), arg);
        if (ambiguous) return cli_usage_error(s->cmd, "option '%s' is ambiguous (see emb %s --help)", shown, s->cmd);
        return cli_usage_error(s->cmd, "unknown option '%s' (see emb %s --help)", shown, s->cmd);
    }
    if (o->kind == CLI_FLAG) {
        if (val) return cli_usage_error(s->cmd, "option '--%s' takes no value", o->name);
    } else if (!val) {
        if (*i + 1 >= argc) return cli_usage_error(s->cmd, "option '%.*s' needs a value", (int)strcspn(arg, "="), arg);
        val = argv[++*i];
    }
    size_t idx = (size_t)(o - s->opts);
    if (idx < 64) a->given |= (uint64_t)1 << idx;
    return store(s->cmd, o, val, dst) ? CLI_EXIT_USAGE : -1;
}

/* --list-options: every long option, one a line ("--iter alias" for one
 * left out of --help), for shell completion and tests. */
static void list_options(const struct cli_spec *s) {
    for (size_t i = 0; i < s->n_opts; i++)
        if (s->opts[i].kind != CLI_SECTION) printf("--%s%s\n", s->opts[i].name, s->opts[i].help ? "" : " alias");
    printf("--help\n");
}

int cli_parse(const struct cli_spec *s, int argc, char **argv, void *dst, struct cli_args *a) {
    memset(a, 0, sizeof *a);
    if (argc < 2 && s->help_if_bare) {
        cli_help(s, stderr);
        return CLI_EXIT_USAGE;
    }
    /* Positionals are gathered in order at argv[1..]: each is written at or
     * before the slot being read, whose options were parsed already. */
    char **pos = argv + 1;
    int n_pos = 0, i = 1;
    for (; i < argc; i++) {
        char *arg = argv[i];
        if (!strcmp(arg, "--")) {
            i++;
            break;
        }
        if (arg[0] != '-' || !arg[1]) {
            pos[n_pos++] = arg;
            continue;
        }
        int rc = one_option(s, argc, argv, &i, dst, a);
        if (rc == 0 || rc == -2) {
            if (rc == 0) cli_help(s, stdout);
            else list_options(s);
            return 0;
        }
        if (rc > 0) return rc;
    }
    for (; i < argc; i++) pos[n_pos++] = argv[i];
    a->v = pos;
    a->n = n_pos;
    if (n_pos < s->min_args)
        return cli_usage_error(s->cmd, "expected %s, got %d argument%s (see emb %s --help)", s->args, n_pos,
                               n_pos == 1 ? "" : "s", s->cmd);
    if (s->max_args >= 0 && n_pos > s->max_args)
        return cli_usage_error(s->cmd, "unexpected argument '%s'", a->v[s->max_args]);
    return -1;
}

int cli_given(const struct cli_spec *s, const struct cli_args *a, const char *name) {
    for (size_t i = 0; i < s->n_opts && i < 64; i++)
        if (s->opts[i].kind != CLI_SECTION && !strcmp(s->opts[i].name, name) && (a->given >> i & 1)) return 1;
    return 0;
}

/* "  -k, --top N" */
static int left_part(const struct cli_opt *o, char *buf, size_t n) {
    char sh[8] = "";
    if (o->short_name) snprintf(sh, sizeof sh, "-%c, ", o->short_name);
    return snprintf(buf, n, "  %s--%s%s%s", sh, o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

/* Help lines wider than this push their text to the next column stop. */
#define HELP_COL_MIN 20
#define HELP_COL_MAX 26

static void help_entry(FILE *f, const char *left, int col, const char *help, const char *def) {
    int len = (int)strlen(left);
    fputs(left, f);
    fprintf(f, "%*s", len + 2 <= col ? col - len : 2, "");
    for (const char *h = help;;) {
        const char *nl = strchr(h, '\n');
        if (!nl) {
            fputs(h, f);
            break;
        }
        fprintf(f, "%.*s\n%*s", (int)(nl - h), h, col, "");
        h = nl + 1;
    }
    if (def) fprintf(f, " (default: %s)", def);
    fputc('\n', f);
}

void cli_help(const struct cli_spec *s, FILE *f) {
    char left[128];
    int col = HELP_COL_MIN;
    for (size_t i = 0; i < s->n_opts; i++) {
        if (s->opts[i].kind == CLI_SECTION || !s->opts[i].help) continue;
        int len = left_part(&s->opts[i], left, sizeof left) + 2;
        if (len > col && len <= HELP_COL_MAX) col = len;
    }
    fputs(s->usage, f);
    if (s->n_opts == 0 || s->opts[0].kind != CLI_SECTION) fputs("\noptions:\n", f);
    for (size_t i = 0; i < s->n_opts; i++) {
        const struct cli_opt *o = &s->opts[i];
        if (o->kind == CLI_SECTION) {
            fprintf(f, "%s%s:\n", i == 0 ? "\n" : "", o->name);
            continue;
        }
        if (!o->help) continue;
        left_part(o, left, sizeof left);
        help_entry(f, left, col, o->help, o->def);
    }
    help_entry(f, "  -h, --help", col, "this text", NULL);
    if (s->tail) {
        fputc('\n', f);
        fputs(s->tail, f);
    }
}

int cli_dispatch(const struct cli_subs *t, int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : NULL;
    if (!name && t->missing) return cli_usage_error(t->cmd, "%s", t->missing);
    if (!name || !strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        FILE *f = name ? stdout : stderr;
        fputs(t->head, f);
        for (size_t i = 0; i < t->n; i++)
            if (t->subs[i].summary) fprintf(f, "  %-12s %s\n", t->subs[i].name, t->subs[i].summary);
        if (t->tail) {
            fputc('\n', f);
            fputs(t->tail, f);
        }
        return name ? 0 : CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(name, t->subs[i].name)) return t->subs[i].fn(argc - 1, argv + 1);
    char list[256];
    size_t len = 0, n = 0, shown = 0;
    for (size_t i = 0; i < t->n; i++) n += t->subs[i].summary != NULL;
    list[0] = '\0';
    for (size_t i = 0; i < t->n && len < sizeof list; i++) {
        if (!t->subs[i].summary) continue;
        shown++;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", shown == 1 ? "" : shown == n ? " or " : ", ",
                                t->subs[i].name);
    }
    return cli_usage_error(t->cmd, "unknown %s '%s' (expected %s)", t->noun, name, list);
}

/* ---- value parsers shared by several commands ---------------------------- */

int cli_parse_vec_format(const char *cmd, const char *opt, const char *arg, void *dst) {
    struct emb_err err = {0};
    if (emb_vec_format_parse(arg, (enum emb_vec_format *)dst, &err) != EMB_OK)
        return cli_usage_error(cmd, "%s: %s", opt, emb_err_msg(&err, EMB_EINVAL));
    return 0;
}

int cli_parse_simd(const char *cmd, const char *opt, const char *arg, void *dst) {
    struct emb_err err = {0};
    if (emb_simd_parse(arg, (enum emb_simd *)dst, &err) != EMB_OK)
        return cli_usage_error(cmd, "%s: %s", opt, emb_err_msg(&err, EMB_EINVAL));
    return 0;
}
