/* paths.c -- checking a command's file options before any work is done.
 *
 * Every command that writes files lists its paths once and calls
 * cli_check_paths, so that a typo in a directory, or one file named by two
 * options, is refused at the start instead of costing a run's output. */
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "emb/io.h"
#include "emb/vecs.h"

static int is_output(enum cli_path_role r) { return r == CLI_OUT || r == CLI_VECS || r == CLI_CKPT; }

/* Two outputs into one existing device or FIFO (e.g. /dev/null) lose no
 * data: such files are written through, never replaced. */
static int is_special(const char *path) {
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* May a and b name the same file? Only a --resume file and the
 * --checkpoint that continues it, and inputs among themselves. */
static int may_share(const struct cli_path *a, const struct cli_path *b) {
    if (!is_output(a->role) && !is_output(b->role)) return 1;
    if ((a->role == CLI_RESUME && b->role == CLI_CKPT) || (a->role == CLI_CKPT && b->role == CLI_RESUME)) return 1;
    /* stdin and stdout are not one file. */
    if (!strcmp(a->path, "-") && !strcmp(b->path, "-") && (!is_output(a->role) || !is_output(b->role))) return 1;
    return 0;
}

int cli_check_paths(const char *cmd, const struct cli_path *paths, int n) {
    enum { MAX = 16 };
    struct cli_path all[2 * MAX];
    char *vocab[MAX] = {0};
    char label[MAX][96];
    int m = 0, status = 0;
    struct emb_err err = {0};
    /* An .npy vector output also writes a vocabulary file beside it. */
    for (int i = 0; i < n && i < MAX; i++) {
        if (!paths[i].path) continue;
        all[m++] = paths[i];
        const struct cli_path *p = &paths[i];
        if (p->role != CLI_VECS || !strcmp(p->path, "-")) continue;
        enum emb_vec_format f = p->fmt ? (enum emb_vec_format)p->fmt : emb_vec_format_from_path(p->path);
        if (f != EMB_FMT_NPY || !(vocab[i] = emb_vecs_npy_vocab_path(p->path))) continue;
        snprintf(label[i], sizeof label[i], "%s's vocabulary", p->opt);
        all[m++] = (struct cli_path){label[i], vocab[i], CLI_OUT, 0};
    }
    for (int i = 0; i < m && !status; i++)
        if (is_output(all[i].role) && emb_output_check(all[i].path, &err) != EMB_OK) {
            fprintf(stderr, "emb %s: %s: %s\n", cmd, all[i].opt, err.msg);
            status = CLI_EXIT_FAIL;
        }
    for (int i = 0; i < m && !status; i++)
        for (int j = i + 1; j < m && !status; j++) {
            if (may_share(&all[i], &all[j]) || !emb_output_same_file(all[i].path, all[j].path)) continue;
            if (is_special(all[i].path)) continue;
            const struct cli_path *in = !is_output(all[i].role) ? &all[i] : !is_output(all[j].role) ? &all[j] : NULL;
            const struct cli_path *out = in == &all[i] ? &all[j] : &all[i];
            if (in)
                status = cli_usage_error(cmd, "%s %s and %s %s are the same file: writing %s would destroy %s",
                                         in->opt, in->path, out->opt, out->path, out->opt, in->opt);
            else
                status = cli_usage_error(cmd, "%s %s and %s %s are the same file: one output would replace the other",
                                         all[i].opt, all[i].path, all[j].opt, all[j].path);
        }
    for (int i = 0; i < MAX; i++) emb_free(vocab[i]);
    return status;
}

void cli_warn(void *ctx, const char *msg) {
    fprintf(stderr, "emb %s: warning: %s (training goes on)\n", (const char *)ctx, msg);
}
