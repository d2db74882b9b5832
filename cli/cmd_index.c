/* cmd_index.c -- `emb index build|info|add|delete` and `emb search`: build
 * a nearest-neighbour index from a vector file, look at it, change it, and
 * query it. The index stores the words, so searching needs only the index.
 * All work is in the library (index.h); this file parses and prints. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "emb/index.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "opt.h"

#define MAX_K 100000

struct opts {
    const char *cmd;
    const char *output, *vocab, *vector, *queries;
    struct cli_list words; /* --word values */
    struct emb_index_params p;
    enum emb_vec_format fmt;
    int64_t limit;
    int k, ef, n_threads, quiet, json, keep_self, serial, no_wait;
};

static int parse_type(const char *cmd, const char *opt, const char *arg, void *dst) {
    struct emb_err err = {0};
    (void)opt;
    return emb_index_type_parse(arg, dst, &err) != EMB_OK ? cli_usage_error(cmd, "%s", err.msg) : 0;
}

static int parse_metric(const char *cmd, const char *opt, const char *arg, void *dst) {
    struct emb_err err = {0};
    (void)opt;
    return emb_index_metric_parse(arg, dst, &err) != EMB_OK ? cli_usage_error(cmd, "%s", err.msg) : 0;
}

#define T struct opts
#define OUTPUT_OPT(help_) CLI_STR_OPT("output", 'o', T, output, "INDEX", help_, NULL)
#define VECS_OPTS CLI_VECS_OPTS(T, fmt, vocab)
#define LIMIT_OPT CLI_I64_OPT("limit", T, limit, 0, INT64_MAX, "N", "read only the first N vectors", NULL)
#define QUIET_OPT CLI_QUIET_OPT(T, quiet, "no summary line on stderr")
#define NO_WAIT_OPT CLI_FLAG_OPT("no-wait", T, no_wait, "fail at once instead of waiting for the lock")
#define JSON_INFO_OPT CLI_JSON_OPT(T, json, "print the index's summary as JSON")
static const struct cli_opt build_opts[] = {
    OUTPUT_OPT("index file to write (atomically)"),
    CLI_FN_OPT("type", T, p.type, parse_type, "flat|hnsw", "exact scan or HNSW graph", "flat"),
    CLI_FN_OPT("metric", T, p.metric, parse_metric, "cosine|ip|l2", "similarity", "cosine: vectors are normalised"),
    CLI_INT_OPT("M", 0, T, p.M, 2, 256, "N", "HNSW links per node, 2N on the bottom level", "16"),
    CLI_INT_OPT("ef-construction", 0, T, p.ef_construction, 1, 1000000, "N", "HNSW candidate list while building",
                "200"),
    CLI_INT_OPT("ef", 0, T, ef, 1, 1000000, "N", "HNSW default search breadth stored in the index", "50"),
    CLI_THREADS_OPT(T, n_threads, "build threads", "all CPUs"),
    CLI_SEED_OPT(T, p.seed, "HNSW level draws; --threads 1 builds identically", "1"),
    VECS_OPTS,
    LIMIT_OPT,
    CLI_QUIET_OPT(T, quiet, "no progress line"),
    CLI_JSON_OPT(T, json, "JSON summary on stdout"),
};
static const struct cli_opt info_opts[] = {JSON_INFO_OPT};
static const struct cli_opt add_opts[] = {
    OUTPUT_OPT("index to write (default: INDEX, replaced atomically)"),
    NO_WAIT_OPT, VECS_OPTS, LIMIT_OPT, QUIET_OPT, JSON_INFO_OPT,
};
static const struct cli_opt delete_opts[] = {
    OUTPUT_OPT("index to write (default: INDEX, replaced atomically)"),
    NO_WAIT_OPT, QUIET_OPT, JSON_INFO_OPT,
};
static const struct cli_opt search_opts[] = {
    CLI_LIST_OPT("word", T, words, "W", "the stored vector of W (repeatable); W itself is left out\nunless --keep-self"),
    CLI_STR_OPT("vector", 0, T, vector, "FILE", "one vector: DIM numbers separated by whitespace", NULL),
    CLI_STR_OPT("queries", 0, T, queries, "FILE",
                "every row of a vector file (text, bin or npy), searched as\na batch over --threads threads; named by "
                "its words",
                NULL),
    CLI_FLAG_OPT("keep-self", T, keep_self, "--word: keep W itself in its results"),
    CLI_INT_OPT("top", 'k', T, k, 1, MAX_K, "N", "results per query", "10"),
    CLI_INT_OPT("ef", 0, T, ef, 1, 1000000, "N", "HNSW search breadth (>= k)", "the index's"),
    CLI_THREADS_OPT(T, n_threads, "threads for --queries", "all CPUs"),
    CLI_FLAG_OPT("serial", T, serial, "--queries one at a time on this thread (single-query timing)"),
    VECS_OPTS,
    LIMIT_OPT,
    CLI_JSON_OPT(T, json, "one JSON object per query: {\"query\", \"neighbors\": [{\"id\", \"word\", \"score\"}]}"),
    CLI_QUIET_OPT(T, quiet, "no timing line on stderr"),
};
#undef T

#define LOCK_TEXT                                                                                                  \
    "Changing INDEX in place holds an advisory lock (flock) on it from reading\n"                                  \
    "to writing, so concurrent adds and deletes on one file all take effect, one\n"                                \
    "after the other; a writer that finds the lock held names the process that\n"                                 \
    "holds it and waits.\n"

static const struct cli_spec build_spec = {
    .cmd = "index build",
    .usage = "usage: emb index build VECTORS -o INDEX [options]\n"
             "\n"
             "Build a nearest-neighbour index over a vector file (word2vec text or binary,\n"
             ".npy + vocabulary; gzip allowed). The index stores the vectors and the words,\n"
             "so `emb search INDEX` and `emb neighbors INDEX` need nothing else.\n",
    .opts = build_opts,
    .n_opts = CLI_NOPTS(build_opts),
    .tail = "example: emb index build vectors.bin -o words.idx --type hnsw --M 16\n",
    .args = "VECTORS",
    .min_args = 1,
    .max_args = 1,
};
static const struct cli_spec info_spec = {
    .cmd = "index info",
    .usage = "usage: emb index info INDEX [--json]\n"
             "\n"
             "Print what an index holds: type, metric, rows, deleted rows, dimension,\n"
             "HNSW parameters, file mapping and memory.\n",
    .opts = info_opts,
    .n_opts = CLI_NOPTS(info_opts),
    .args = "one INDEX",
    .min_args = 1,
    .max_args = 1,
};
static const struct cli_spec add_spec = {
    .cmd = "index add",
    .usage = "usage: emb index add INDEX VECTORS [-o OUT] [options]\n"
             "\n"
             "Add every row of VECTORS (any vector file, same dimension) to INDEX and\n"
             "write the result to OUT (default: INDEX, replaced atomically). A word that\n"
             "was deleted is added again with its new vector (its row is reused), so\n"
             "`emb index delete INDEX W` then `emb index add INDEX NEW` updates W. Words\n"
             "that are in the index and not deleted are an error, and nothing is written.\n"
             "\n" LOCK_TEXT,
    .opts = add_opts,
    .n_opts = CLI_NOPTS(add_opts),
    .args = "INDEX VECTORS",
    .min_args = 2,
    .max_args = 2,
};
static const struct cli_spec delete_spec = {
    .cmd = "index delete",
    .usage = "usage: emb index delete INDEX WORD... [-o OUT] [--json]\n"
             "\n"
             "Mark words deleted (searches never return them again) and write the index\n"
             "to OUT (default: INDEX, replaced atomically). Unknown words are an error.\n"
             "\n" LOCK_TEXT,
    .opts = delete_opts,
    .n_opts = CLI_NOPTS(delete_opts),
    .args = "INDEX WORD...",
    .min_args = 2,
    .max_args = -1,
};
static const struct cli_spec search_spec = {
    .cmd = "search",
    .usage = "usage: emb search INDEX (--word W | --vector FILE | --queries VECTORS) [options]\n"
             "\n"
             "Print the k nearest rows of the index for each query.\n",
    .opts = search_opts,
    .n_opts = CLI_NOPTS(search_opts),
    .tail = "output: '# QUERY', then 'RANK<TAB>WORD<TAB>SCORE' (the row id when the index has\n"
            "no words). Scores are cosine or inner product, or squared L2 distance.\n"
            "example: emb search words.idx --word king -k 5\n",
    .args = "INDEX",
    .min_args = 1,
    .max_args = 1,
};

/* Parse argv into o; the positionals end up in a. Returns -1 to go on. */
static int parse(struct opts *o, const struct cli_spec *spec, int argc, char **argv, struct cli_args *a) {
    memset(o, 0, sizeof *o);
    o->cmd = spec->cmd;
    o->p = emb_index_default_params();
    o->k = 10;
    o->n_threads = emb_cpu_count();
    return cli_parse(spec, argc, argv, o, a);
}

struct build_progress {
    struct cli_progress bar;
    double t0; /* when the build started */
};

static void on_build_progress(void *ctx, int64_t done, int64_t total) {
    struct build_progress *bp = ctx;
    double now = cli_now();
    double rate = now > bp->t0 ? (double)done / (now - bp->t0) : 0;
    cli_progress_draw(&bp->bar, total ? (double)done / (double)total : 1, rate, "rows",
                      rate > 0 ? (double)(total - done) / rate : -1, NULL);
}

/* Words of v as an array of borrowed pointers (caller frees the array). */
static const char **vecs_words(const struct emb_vecs *v) {
    int32_t n = emb_vocab_size(v->vocab);
    const char **w = emb_alloc((size_t)(n ? n : 1) * sizeof *w);
    if (w)
        for (int32_t i = 0; i < n; i++) w[i] = emb_vocab_word(v->vocab, i);
    return w;
}

static struct json_object *info_json(const struct emb_index *ix) {
    struct json_object *j = json_object_new_object();
    json_object_object_add(j, "type", json_object_new_string(emb_index_type_name(emb_index_type(ix))));
    json_object_object_add(j, "metric", json_object_new_string(emb_index_metric_name(emb_index_metric(ix))));
    json_object_object_add(j, "rows", json_object_new_int64(emb_index_size(ix)));
    json_object_object_add(j, "deleted", json_object_new_int64(emb_index_n_deleted(ix)));
    json_object_object_add(j, "dim", json_object_new_int(emb_index_dim(ix)));
    json_object_object_add(j, "words", json_object_new_boolean(emb_index_word(ix, 0) != NULL));
    if (emb_index_type(ix) == EMB_INDEX_HNSW) {
        json_object_object_add(j, "M", json_object_new_int(emb_index_M(ix)));
        json_object_object_add(j, "ef_construction", json_object_new_int(emb_index_ef_construction(ix)));
        json_object_object_add(j, "ef", json_object_new_int(emb_index_ef_search(ix)));
    }
    json_object_object_add(j, "memory_bytes", json_object_new_int64((int64_t)emb_index_memory_bytes(ix)));
    return j;
}

/* ---- emb index build ------------------------------------------------------- */

static int index_build(int argc, char **argv) {
    struct opts o;
    struct cli_args a;
    int st = parse(&o, &build_spec, argc, argv, &a);
    if (st >= 0) return st;
    if (!o.output) return cli_usage_error(o.cmd, "-o INDEX is required");
    if (o.p.type == EMB_INDEX_FLAT && (cli_given(&build_spec, &a, "M") || cli_given(&build_spec, &a, "ef-construction")))
        return cli_usage_error(o.cmd, "--M and --ef-construction need --type hnsw");
    if (o.ef) o.p.ef_search = o.ef;
    const char *input = a.v[0];
    if ((st = cli_check_paths(o.cmd, (const struct cli_path[]){{"VECTORS", input, CLI_IN, 0}, {"--vocab", o.vocab, CLI_IN, 0}, {"-o", o.output, CLI_OUT, 0}}, 3))) return st;
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    struct emb_pool *pool = NULL;
    struct emb_index *ix = NULL;
    const char **words = NULL;
    struct build_progress bp;
    cli_progress_init(&bp.bar, o.quiet);
    o.p.progress = on_build_progress;
    o.p.progress_ctx = &bp;
    o.p.stop = cli_stop_flag();
    double t0 = cli_now(), t_build = 0;
    int rc = emb_vecs_load(&v, input, o.fmt, o.limit, o.vocab, &err);
    if (rc == EMB_OK && !(words = vecs_words(v))) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory");
    if (rc == EMB_OK) rc = emb_pool_new(&pool, o.n_threads, &err);
    if (rc == EMB_OK) {
        double t1 = bp.t0 = cli_now();
        rc = emb_index_build(&ix, v->table->data, emb_vocab_size(v->vocab), v->table->dim, v->table->dim_padded,
                             words, &o.p, pool, &err);
        t_build = cli_now() - t1;
    }
    cli_progress_done(&bp.bar);
    if (rc == EMB_OK) rc = emb_index_save(ix, o.output, &err);
    if (rc == EMB_EINTR) {
        fprintf(stderr, "emb %s: interrupted, nothing written\n", o.cmd);
        st = 130;
    } else if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet)
            fprintf(stderr, "emb: %s index (%s) of %lld vectors, dim %d, built in %.2f s; wrote %s\n",
                    emb_index_type_name(o.p.type), emb_index_metric_name(o.p.metric), (long long)emb_index_size(ix),
                    emb_index_dim(ix), t_build, o.output);
        if (o.json) {
            struct json_object *j = info_json(ix);
            json_object_object_add(j, "build_seconds", json_object_new_double(t_build));
            json_object_object_add(j, "total_seconds", json_object_new_double(cli_now() - t0));
            json_object_object_add(j, "threads", json_object_new_int(o.n_threads));
            json_object_object_add(j, "output", json_object_new_string(o.output));
            cli_json_print(j);
        }
    }
    emb_index_free(ix);
    emb_pool_free(pool);
    emb_free(words);
    emb_vecs_free(v);
    return st;
}

/* ---- emb index info / add / delete ------------------------------------------ */

static int index_info(int argc, char **argv) {
    struct opts o;
    struct cli_args a;
    int st = parse(&o, &info_spec, argc, argv, &a);
    if (st >= 0) return st;
    struct emb_err err = {0};
    struct emb_index *ix = NULL;
    int rc = emb_index_load(&ix, a.v[0], &err);
    if (rc != EMB_OK) return cli_fail(o.cmd, rc, &err);
    if (o.json) {
        cli_json_print(info_json(ix));
    } else {
        printf("type\t%s\nmetric\t%s\nrows\t%lld\ndeleted\t%lld\ndim\t%d\nwords\t%s\n", emb_index_type_name(emb_index_type(ix)),
               emb_index_metric_name(emb_index_metric(ix)), (long long)emb_index_size(ix),
               (long long)emb_index_n_deleted(ix), emb_index_dim(ix), emb_index_word(ix, 0) ? "yes" : "no");
        if (emb_index_type(ix) == EMB_INDEX_HNSW)
            printf("M\t%d\nef_construction\t%d\nef\t%d\n", emb_index_M(ix), emb_index_ef_construction(ix),
                   emb_index_ef_search(ix));
        printf("mapped\t%s\nmemory_bytes\t%zu\n", emb_index_is_mapped(ix) ? "yes" : "no", emb_index_memory_bytes(ix));
    }
    emb_index_free(ix);
    return 0;
}

/* The pid holding a flock on the file of inode ino, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters are the
 * "->" lines); 0 if not found. */
static long lock_holder(ino_t ino) {
    FILE *f = fopen("/proc/locks", "r");
    if (!f) return 0;
    char line[256];
    long pid = 0;
    while (!pid && fgets(line, sizeof line, f)) {
        char kind[16], dev[64];
        long p;
        unsigned long long in;
        if (strstr(line, "->")) continue;
        if (sscanf(line, "%*s %15s %*s %*s %ld %63[^:]:%*[^:]:%llu", kind, &p, dev, &in) == 4 && !strcmp(kind, "FLOCK") &&
            in == (unsigned long long)ino)
            pid = p;
    }
    fclose(f);
    return pid;
}

/* "pid N (its command line)" for messages. */
static void describe_pid(long pid, char *buf, size_t n) {
    if (!pid) {
        snprintf(buf, n, "another process");
        return;
    }
    char path[64], cmd[200] = "";
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
    if (f) fclose(f);
    for (size_t i = 0; i + 1 < got; i++)
        if (cmd[i] == '\0') cmd[i] = ' ';
    cmd[got] = '\0';
    if (*cmd) snprintf(buf, n, "pid %ld (%s)", pid, cmd);
    else snprintf(buf, n, "pid %ld", pid);
}

/* Take the exclusive lock for changing path in place. Returns the open
 * descriptor holding it (closing it releases the lock), -1 when path is
 * not a regular file (the load that follows reports why; nothing to
 * lock), or -2 after printing an error. Writers replace the file by
 * renaming a new one over it, so a lock won on a file that has since been
 * replaced is dropped and taken again on the current one. */
static int lock_index(const struct opts *o, const char *path) {
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat a, b;
        if (fd < 0) return -1;
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            close(fd);
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK) {
                fprintf(stderr, "emb %s: cannot lock %s: %s\n", o->cmd, path, strerror(errno));
                close(fd);
                return -2;
            }
            char who[300];
            describe_pid(lock_holder(a.st_ino), who, sizeof who);
            if (o->no_wait) {
                fprintf(stderr, "emb %s: %s is locked by %s, which is changing it; nothing written\n", o->cmd, path,
                        who);
                close(fd);
                return -2;
            }
            fprintf(stderr, "emb %s: %s is locked by %s; waiting\n", o->cmd, path, who);
            int rc;
            while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {}
            if (rc != 0) {
                fprintf(stderr, "emb %s: cannot lock %s: %s\n", o->cmd, path, strerror(errno));
                close(fd);
                return -2;
            }
        }
        if (stat(path, &b) == 0 && b.st_dev == a.st_dev && b.st_ino == a.st_ino) return fd;
        close(fd); /* replaced while we waited: lock the new file */
    }
}

/* 1 if out names the same file as path (or does not exist apart from it). */
static int same_file(const char *path, const char *out) {
    if (!strcmp(path, out)) return 1;
    struct stat a, b;
    return stat(path, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int index_add(int argc, char **argv) {
    struct opts o;
    struct cli_args a;
    int st = parse(&o, &add_spec, argc, argv, &a);
    if (st >= 0) return st;
    const char *path = a.v[0], *out = o.output ? o.output : path;
    int lock = same_file(path, out) ? lock_index(&o, path) : -1;
    if (lock == -2) return CLI_EXIT_FAIL;
    struct emb_err err = {0};
    struct emb_index *ix = NULL;
    struct emb_vecs *v = NULL;
    int rc = emb_index_load(&ix, path, &err);
    if (rc == EMB_OK) rc = emb_vecs_load(&v, a.v[1], o.fmt, o.limit, o.vocab, &err);
    if (rc == EMB_OK && v->table->dim != emb_index_dim(ix))
        rc = emb_err_set(&err, EMB_EINVAL, "%s has dimension %d, the index %d", a.v[1], v->table->dim,
                         emb_index_dim(ix));
    int32_t n = rc == EMB_OK ? emb_vocab_size(v->vocab) : 0;
    int has_words = rc == EMB_OK && emb_index_word(ix, 0) != NULL;
    for (int32_t i = 0; rc == EMB_OK && i < n; i++)
        rc = emb_index_add(ix, emb_table_row(v->table, i), has_words ? emb_vocab_word(v->vocab, i) : NULL, NULL, &err);
    if (rc == EMB_OK) rc = emb_index_save(ix, out, &err);
    if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet) fprintf(stderr, "emb: added %d rows (%lld in all); wrote %s\n", n, (long long)emb_index_size(ix), out);
        if (o.json) cli_json_print(info_json(ix));
    }
    emb_vecs_free(v);
    emb_index_free(ix);
    if (lock >= 0) close(lock);
    return st;
}

static int index_delete(int argc, char **argv) {
    struct opts o;
    struct cli_args a;
    int st = parse(&o, &delete_spec, argc, argv, &a);
    if (st >= 0) return st;
    const char *path = a.v[0], *out = o.output ? o.output : path;
    int lock = same_file(path, out) ? lock_index(&o, path) : -1;
    if (lock == -2) return CLI_EXIT_FAIL;
    struct emb_err err = {0};
    struct emb_index *ix = NULL;
    int rc = emb_index_load(&ix, path, &err);
    if (rc == EMB_OK && !emb_index_word(ix, 0))
        rc = emb_err_set(&err, EMB_EINVAL, "%s stores no words to delete by", path);
    for (int i = 1; rc == EMB_OK && i < a.n; i++) {
        int64_t id = emb_index_find(ix, a.v[i], strlen(a.v[i]));
        if (id < 0) rc = emb_err_set(&err, EMB_ENOTFOUND, "'%s' is not in the index", a.v[i]);
        else if (emb_index_is_deleted(ix, id)) rc = emb_err_set(&err, EMB_ENOTFOUND, "'%s' is already deleted", a.v[i]);
        else rc = emb_index_delete(ix, id, &err);
    }
    if (rc == EMB_OK) rc = emb_index_save(ix, out, &err);
    if (rc != EMB_OK) {
        st = cli_fail(o.cmd, rc, &err);
    } else {
        st = 0;
        if (!o.quiet) fprintf(stderr, "emb: %lld of %lld rows deleted; wrote %s\n", (long long)emb_index_n_deleted(ix),
                              (long long)emb_index_size(ix), out);
        if (o.json) cli_json_print(info_json(ix));
    }
    emb_index_free(ix);
    if (lock >= 0) close(lock);
    return st;
}

static const struct cli_sub index_subs[] = {
    {"build", index_build, "build an index from a vector file"},
    {"info", index_info, "what an index holds"},
    {"add", index_add, "add the rows of a vector file"},
    {"delete", index_delete, "mark words deleted"},
};
static const struct cli_subs index_table = {
    .cmd = "index",
    .noun = "subcommand",
    .head = "usage: emb index build|info|add|delete ...   (emb index SUBCOMMAND --help for details)\n\nsubcommands:\n",
    .subs = index_subs,
    .n = sizeof index_subs / sizeof index_subs[0],
    .missing = "missing subcommand: build, info, add or delete (see emb index --help)",
};

int cmd_index(int argc, char **argv) { return cli_dispatch(&index_table, argc, argv); }

/* ---- emb search ------------------------------------------------------------- */

/* Read one vector of exactly dim numbers from a text file. */
static int read_vector(const char *path, int32_t dim, float *out, struct emb_err *err) {
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "r");
    if (!f) return emb_err_set(err, EMB_EIO, "cannot open %s", path);
    int32_t n = 0;
    int rc = EMB_OK;
    char tok[128];
    while (rc == EMB_OK && fscanf(f, "%127s", tok) == 1) {
        char *end = NULL;
        float x = strtof(tok, &end);
        if (*end || end == tok) rc = emb_err_set(err, EMB_EFORMAT, "%s: '%s' is not a number", path, tok);
        else if (!isfinite(x)) rc = emb_err_set(err, EMB_ENUMERIC, "%s: value %d is not finite", path, n + 1);
        else if (n == dim) rc = emb_err_set(err, EMB_EFORMAT, "%s: more than %d numbers (the index dimension)", path, dim);
        else out[n++] = x;
    }
    if (rc == EMB_OK && n < dim)
        rc = emb_err_set(err, n ? EMB_EFORMAT : EMB_EEMPTY, "%s: %d numbers, the index needs %d", path, n, dim);
    if (f != stdin) fclose(f);
    return rc;
}

/* Print one query's results. */
static void print_results(const struct opts *o, const struct emb_index *ix, const char *query, const int64_t *ids,
                          const float *sc, int n) {
    if (o->json) {
        struct json_object *j = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(j, "query", json_object_new_string(query));
        for (int i = 0; i < n; i++) {
            struct json_object *r = json_object_new_object();
            const char *w = emb_index_word(ix, ids[i]);
            char buf[32];
            snprintf(buf, sizeof buf, "%.9g", (double)sc[i]);
            json_object_object_add(r, "id", json_object_new_int64(ids[i]));
            if (w) json_object_object_add(r, "word", json_object_new_string(w));
            json_object_object_add(r, "score", json_object_new_double_s((double)sc[i], buf));
            json_object_array_add(arr, r);
        }
        json_object_object_add(j, "neighbors", arr);
        cli_json_print(j);
        return;
    }
    printf("# %s\n", query);
    for (int i = 0; i < n; i++) {
        const char *w = emb_index_word(ix, ids[i]);
        if (w) printf("%d\t%s\t%.4f\n", i + 1, w, sc[i]);
        else printf("%d\t%lld\t%.4f\n", i + 1, (long long)ids[i], sc[i]);
    }
}

/* --word queries: the word's stored vector, the word itself dropped. */
static int search_words(const struct opts *o, const struct emb_index *ix) {
    struct emb_err err = {0};
    int64_t *ids = emb_alloc((size_t)(o->k + 1) * sizeof *ids);
    float *sc = emb_alloc((size_t)(o->k + 1) * sizeof *sc);
    int st = 0;
    if (!ids || !sc) st = cli_fail(o->cmd, EMB_ENOMEM, NULL);
    if (!emb_index_word(ix, 0) && st == 0)
        st = cli_usage_error(o->cmd, "the index stores no words: use --vector or --queries");
    /* All words are checked before anything is printed. */
    for (int i = 0; st == 0 && i < o->words.n; i++)
        if (emb_index_find(ix, o->words.v[i], strlen(o->words.v[i])) < 0) {
            fprintf(stderr, "emb %s: '%s' is not in the index\n", o->cmd, o->words.v[i]);
            st = CLI_EXIT_FAIL;
        }
    for (int i = 0; st == 0 && i < o->words.n; i++) {
        int64_t id = emb_index_find(ix, o->words.v[i], strlen(o->words.v[i]));
        int ef = o->ef && o->ef < o->k + 1 ? o->k + 1 : o->ef;
        int n = emb_index_search(ix, emb_index_vector(ix, id), o->k + 1, ef, ids, sc, &err);
        if (n < 0) {
            st = cli_fail(o->cmd, n, &err);
            break;
        }
        int m = 0; /* drop the word itself, keep k */
        for (int r = 0; r < n; r++)
            if ((o->keep_self || ids[r] != id) && m < o->k) {
                ids[m] = ids[r];
                sc[m++] = sc[r];
            }
        print_results(o, ix, o->words.v[i], ids, sc, m);
    }
    emb_free(ids);
    emb_free(sc);
    return st;
}

/* --queries: a vector file searched as one batch. */
static int search_batch(const struct opts *o, const struct emb_index *ix) {
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    struct emb_pool *pool = NULL;
    int64_t *ids = NULL;
    float *sc = NULL;
    int *nf = NULL, st = 0;
    int rc = emb_vecs_load(&v, o->queries, o->fmt, o->limit, o->vocab, &err);
    if (rc == EMB_OK && v->table->dim != emb_index_dim(ix))
        rc = emb_err_set(&err, EMB_EINVAL, "%s has dimension %d, the index %d", o->queries, v->table->dim,
                         emb_index_dim(ix));
    int64_t nq = rc == EMB_OK ? emb_vocab_size(v->vocab) : 0;
    if (rc == EMB_OK) rc = emb_pool_new(&pool, o->n_threads, &err);
    if (rc == EMB_OK) {
        ids = emb_alloc((size_t)nq * (size_t)o->k * sizeof *ids);
        sc = emb_alloc((size_t)nq * (size_t)o->k * sizeof *sc);
        nf = emb_alloc((size_t)nq * sizeof *nf);
        if (!ids || !sc || !nf) rc = emb_err_set(&err, EMB_ENOMEM, "out of memory for %lld results", (long long)nq);
    }
    double t0 = cli_now();
    if (rc == EMB_OK && o->serial) {
        for (int64_t i = 0; i < nq && rc == EMB_OK; i++) {
            int n = emb_index_search(ix, emb_table_row(v->table, i), o->k, o->ef, ids + i * o->k, sc + i * o->k, &err);
            if (n < 0) rc = n;
            else nf[i] = n;
        }
    } else if (rc == EMB_OK) {
        rc = emb_index_search_batch(ix, v->table->data, nq, v->table->dim_padded, o->k, o->ef, pool, ids, sc, nf, &err);
    }
    double dt = cli_now() - t0;
    if (rc != EMB_OK) {
        st = cli_fail(o->cmd, rc, &err);
    } else {
        for (int64_t i = 0; i < nq; i++)
            print_results(o, ix, emb_vocab_word(v->vocab, (int32_t)i), ids + i * o->k, sc + i * o->k, nf[i]);
        if (!o->quiet)
            fprintf(stderr, "emb: %lld queries in %.6f s (%.0f queries/s, %d threads%s)\n", (long long)nq, dt,
                    dt > 0 ? (double)nq / dt : 0.0, o->serial ? 1 : emb_pool_size(pool), o->serial ? ", serial" : "");
    }
    emb_free(ids);
    emb_free(sc);
    emb_free(nf);
    emb_pool_free(pool);
    emb_vecs_free(v);
    return st;
}

int cmd_search(int argc, char **argv) {
    struct opts o;
    struct cli_args a;
    int st = parse(&o, &search_spec, argc, argv, &a);
    if (st >= 0) return st;
    if ((o.words.n > 0) + (o.vector != NULL) + (o.queries != NULL) != 1)
        return cli_usage_error(o.cmd, "give exactly one of --word, --vector, --queries");
    if (o.ef && o.ef < o.k) return cli_usage_error(o.cmd, "--ef %d is smaller than -k %d", o.ef, o.k);
    struct emb_err err = {0};
    struct emb_index *ix = NULL;
    int rc = emb_index_load(&ix, a.v[0], &err);
    if (rc != EMB_OK) return cli_fail(o.cmd, rc, &err);
    if (o.words.n) {
        st = search_words(&o, ix);
    } else if (o.queries) {
        st = search_batch(&o, ix);
    } else {
        float *q = emb_alloc((size_t)emb_index_dim(ix) * sizeof *q);
        int64_t *ids = emb_alloc((size_t)o.k * sizeof *ids);
        float *sc = emb_alloc((size_t)o.k * sizeof *sc);
        int n = !q || !ids || !sc ? emb_err_set(&err, EMB_ENOMEM, "out of memory")
                                  : read_vector(o.vector, emb_index_dim(ix), q, &err);
        if (n == EMB_OK) n = emb_index_search(ix, q, o.k, o.ef, ids, sc, &err);
        if (n < 0) st = cli_fail(o.cmd, n, &err);
        else {
            print_results(&o, ix, o.vector, ids, sc, n);
            st = 0;
        }
        emb_free(q);
        emb_free(ids);
        emb_free(sc);
    }
    emb_index_free(ix);
    return st;
}
