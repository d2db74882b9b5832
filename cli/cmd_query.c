/* cmd_query.c -- `emb neighbors`, `emb analogy` and `emb similarity`: ask a
 * vector file questions, from the command line or one per line on stdin.
 *
 * All three load the vectors once into an emb_query (a normalised copy)
 * and then answer queries with the library; this file only parses
 * options, looks words up and prints. With words on the command line an
 * unknown word is an error before anything is printed; on stdin (the
 * interactive mode of word2vec's `distance` tool) it is reported and the
 * next line is read, and the exit status says whether any line failed.
 *
 * stdin is read with getline rather than emb_reader: zlib fills whole
 * buffers before returning, which would stall an interactive session. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/eval.h"
#include "emb/index.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "opt.h"

/* Words in one query line (a phrase for neighbours). */
#define MAX_QUERY_WORDS 64
#define MAX_K 1000000

/* Options shared by the three commands (each accepts a subset). */
struct qopts {
    const char *cmd;
    int k;
    int json;
    int n_threads;
    enum emb_vec_format format;
    int64_t limit;
    const char *vocab;
    int method;   /* analogy: METHOD_* */
    const char *index; /* neighbors: search this index (emb index build) */
    int ef;            /* its HNSW search breadth (0 = the index's) */
};

/* The loaded vectors and the query index over them. */
struct session {
    struct qopts *o;
    struct emb_vecs *vecs;
    struct emb_query *q;
    int64_t *ids;  /* (k) results */
    float *scores; /* (k) */
    int64_t *ids2; /* (k) second method's results (analogy) */
    float *scores2;
    float *sum;    /* (dim) phrase vector */
    struct emb_index *ix; /* neighbors --index: searched instead of q */
    int n_bad;     /* stdin lines that could not be answered */
};

/* ---- options -------------------------------------------------------------- */

enum { METHOD_BOTH, METHOD_ADD, METHOD_MUL };

/* --method: both, or a method emb_analogy_method_parse knows (add, 3CosMul...). */
static int parse_method(const char *cmd, const char *opt, const char *arg, void *dst) {
    enum emb_analogy_method m;
    if (!strcmp(arg, "both")) *(int *)dst = METHOD_BOTH;
    else if (emb_analogy_method_parse(arg, &m, NULL) == EMB_OK) *(int *)dst = m == EMB_ANALOGY_ADD ? METHOD_ADD : METHOD_MUL;
    else return cli_usage_error(cmd, "%s must be add, mul or both, got '%s'", opt, arg);
    return 0;
}

#define T struct qopts
#define Q_TOP_OPT(what) CLI_INT_OPT("top", 'k', T, k, 1, MAX_K, "N", what, "10")
#define Q_LOAD_OPTS                                                                                              \
    CLI_I64_OPT("limit", T, limit, 0, INT64_MAX, "N", "load only the first N vectors (the most frequent words)",   \
                NULL),                                                                                             \
        CLI_VECS_OPTS(T, format, vocab)
static const struct cli_opt neighbors_opts[] = {
    Q_TOP_OPT("neighbours per query"),
    CLI_JSON_OPT(T, json, "one JSON object per query: {\"query\", \"neighbors\": [{\"word\", \"score\"}]}"),
    CLI_THREADS_OPT(T, n_threads, "threads for the scan", "all CPUs"),
    Q_LOAD_OPTS,
    CLI_STR_OPT("index", 0, T, index, "INDEX",
                "search an index (emb index build) instead of scanning\nVECTORS; every argument is then a WORD. An "
                "index file\ngiven as VECTORS is used the same way.",
                NULL),
    CLI_INT_OPT("ef", 0, T, ef, 1, 1000000, "N", "HNSW search breadth with an index", "the index's"),
};
static const struct cli_opt analogy_opts[] = {
    Q_TOP_OPT("answers per method"),
    CLI_FN_OPT("method", T, method, parse_method, "M", "add, mul or both", "both"),
    CLI_JSON_OPT(T, json, "one JSON object per query: {\"a\", \"b\", \"c\", \"add\": [...], \"mul\": [...]}"),
    CLI_THREADS_OPT(T, n_threads, "threads for the scan", "all CPUs"),
    Q_LOAD_OPTS,
};
static const struct cli_opt similarity_opts[] = {
    CLI_JSON_OPT(T, json, "one JSON object per pair: {\"w1\", \"w2\", \"similarity\"}"),
    CLI_THREADS_OPT(T, n_threads, "threads for building the index", "1"),
    Q_LOAD_OPTS,
};
#undef T

static const struct cli_spec neighbors_spec = {
    .cmd = "neighbors",
    .usage = "usage: emb neighbors VECTORS [WORD...] [options]\n"
             "\n"
             "Print the k nearest words of each WORD by cosine similarity (the word itself\n"
             "excluded). A WORD with spaces, or a stdin line with several words, is a\n"
             "phrase: the sum of its unit vectors, as word2vec's distance tool does.\n"
             "With no WORD, queries are read from stdin, one per line.\n"
             "Words are matched exactly, else in lower case.\n",
    .opts = neighbors_opts,
    .n_opts = CLI_NOPTS(neighbors_opts),
    .tail = "output: a '# QUERY' line, then 'RANK<TAB>WORD<TAB>COSINE' lines (the index's\n"
            "score with an ip or l2 index).\n"
            "example: emb neighbors vectors.bin king queen -k 5\n",
    .max_args = -1,
};

static const struct cli_spec analogy_spec = {
    .cmd = "analogy",
    .usage = "usage: emb analogy VECTORS [A B C] [options]\n"
             "\n"
             "A is to B as C is to ?  The answers d are the words nearest to B - A + C\n"
             "(A, B and C excluded), by 3CosAdd  cos(d,B) - cos(d,A) + cos(d,C)  and by\n"
             "3CosMul  cos'(d,B) cos'(d,C) / (cos'(d,A) + 0.001)  with cos' = (cos+1)/2.\n"
             "With no words, 'A B C' lines are read from stdin.\n",
    .opts = analogy_opts,
    .n_opts = CLI_NOPTS(analogy_opts),
    .tail = "output: '# A : B :: C : ?', a header row, then 'RANK<TAB>WORD<TAB>SCORE' per method.\n"
            "example: emb analogy vectors.bin man king woman\n",
    .max_args = -1,
};

static const struct cli_spec similarity_spec = {
    .cmd = "similarity",
    .usage = "usage: emb similarity VECTORS [W1 W2] [options]\n"
             "\n"
             "Print the cosine similarity of W1 and W2. With no words, 'W1 W2' lines are\n"
             "read from stdin and answered as 'W1<TAB>W2<TAB>COSINE'.\n"
             "Words are matched exactly, else in lower case.\n",
    .opts = similarity_opts,
    .n_opts = CLI_NOPTS(similarity_opts),
    .tail = "example: emb similarity vectors.bin cat dog\n",
    .max_args = -1,
};

/* ---- loading and lookup --------------------------------------------------- */

static int session_open(struct session *s, struct qopts *o, const char *path) {
    struct emb_err err = {0};
    int rc;
    s->o = o;
    if ((rc = emb_vecs_load(&s->vecs, path, o->format, o->limit, o->vocab, &err)) != EMB_OK)
        return cli_fail(o->cmd, rc, &err);
    if ((rc = emb_query_new(&s->q, s->vecs, o->n_threads, &err)) != EMB_OK) return cli_fail(o->cmd, rc, &err);
    size_t k = (size_t)o->k;
    s->ids = emb_alloc(k * sizeof *s->ids);
    s->scores = emb_alloc(k * sizeof *s->scores);
    s->ids2 = emb_alloc(k * sizeof *s->ids2);
    s->scores2 = emb_alloc(k * sizeof *s->scores2);
    s->sum = emb_alloc((size_t)emb_query_dim(s->q) * sizeof *s->sum);
    if (!s->ids || !s->scores || !s->ids2 || !s->scores2 || !s->sum) return cli_fail(o->cmd, EMB_ENOMEM, NULL);
    return 0;
}

/* neighbors with an index: the index holds the words and vectors. */
static int session_open_index(struct session *s, struct qopts *o, const char *path) {
    struct emb_err err = {0};
    int rc;
    s->o = o;
    if ((rc = emb_index_load(&s->ix, path, &err)) != EMB_OK) return cli_fail(o->cmd, rc, &err);
    if (!emb_index_word(s->ix, 0))
        return cli_usage_error(o->cmd, "%s stores no words (build it from a vector file)", path);
    size_t k = (size_t)o->k + MAX_QUERY_WORDS;
    s->ids = emb_alloc(k * sizeof *s->ids);
    s->scores = emb_alloc(k * sizeof *s->scores);
    s->sum = emb_alloc((size_t)emb_index_dim(s->ix) * sizeof *s->sum);
    if (!s->ids || !s->scores || !s->sum) return cli_fail(o->cmd, EMB_ENOMEM, NULL);
    return 0;
}

/* 1 if path starts with an emb index magic (an index given as VECTORS). */
static int is_index_file(const char *path) {
    char m[8] = {0};
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
    if (!f) return 0;
    size_t got = fread(m, 1, 8, f);
    fclose(f);
    return got == 8 && (!memcmp(m, "EMBFLAT", 8) || !memcmp(m, "EMBHNSW", 8));
}

/* Index lookup: exact, else in lower case (as emb_query_find). */
static int64_t index_find(const struct emb_index *ix, const char *w) {
    size_t len = strlen(w);
    int64_t id = emb_index_find(ix, w, len);
    char buf[1024];
    if (id >= 0 || len >= sizeof buf) return id;
    for (size_t i = 0; i <= len; i++) buf[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (char)(w[i] - 'A' + 'a') : w[i];
    return emb_index_find(ix, buf, len);
}

static void session_close(struct session *s) {
    emb_index_free(s->ix);
    emb_query_free(s->q);
    emb_vecs_free(s->vecs);
    emb_free(s->ids);
    emb_free(s->scores);
    emb_free(s->ids2);
    emb_free(s->scores2);
    emb_free(s->sum);
}

/* Look up every word; on the first unknown one print the standard message
 * and return -1. */
static int lookup(struct session *s, char **words, int n, int32_t *ids) {
    for (int i = 0; i < n; i++) {
        ids[i] = s->ix ? (int32_t)index_find(s->ix, words[i]) : emb_query_find(s->q, words[i], strlen(words[i]));
        if (ids[i] < 0) {
            fprintf(stderr, "emb %s: '%s' is not in the vocabulary\n", s->o->cmd, words[i]);
            return -1;
        }
    }
    return 0;
}

/* Split line in place on ASCII whitespace into at most max words; returns
 * the count, or max + 1 when there are more. */
static int split_words(char *line, char **words, int max) {
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r\n\v\f", &save); w; w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
        if (n == max) return max + 1;
        words[n++] = w;
    }
    return n;
}

/* JSON numbers: floats with round-trip precision, NaN as null. */
static struct json_object *jfloat(float x) {
    char buf[32];
    if (x != x) return NULL;
    snprintf(buf, sizeof buf, "%.9g", (double)x);
    return json_object_new_double_s((double)x, buf);
}

static struct json_object *jresults(struct session *s, const int64_t *ids, const float *scores, int n) {
    struct json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        struct json_object *r = json_object_new_object();
        json_object_object_add(r, "word", json_object_new_string(s->ix ? emb_index_word(s->ix, ids[i])
                                                                         : emb_query_word(s->q, ids[i])));
        json_object_object_add(r, "score", jfloat(scores[i]));
        json_object_array_add(arr, r);
    }
    return arr;
}

/* Run fn on each stdin line (split into words). A line fn rejects counts
 * as bad; the result is 0 if none was bad, else CLI_EXIT_FAIL. */
static int each_stdin_line(struct session *s, int (*fn)(struct session *, char **, int, int64_t),
                           const char *prompt) {
    char *line = NULL, *words[MAX_QUERY_WORDS];
    size_t cap = 0;
    int64_t lineno = 0;
    int tty = isatty(0);
    for (;;) {
        if (tty) {
            fputs(prompt, stderr);
            fflush(stderr);
        }
        if (getline(&line, &cap, stdin) < 0) break;
        lineno++;
        int n = split_words(line, words, MAX_QUERY_WORDS);
        if (n == 0) continue;
        if (n > MAX_QUERY_WORDS) {
            fprintf(stderr, "emb %s: line %lld: more than %d words\n", s->o->cmd, (long long)lineno, MAX_QUERY_WORDS);
            s->n_bad++;
            continue;
        }
        if (fn(s, words, n, lineno) != 0) s->n_bad++;
        fflush(stdout);
    }
    free(line); /* getline allocates with malloc */
    if (ferror(stdin)) {
        fprintf(stderr, "emb %s: error reading stdin\n", s->o->cmd);
        return CLI_EXIT_FAIL;
    }
    return s->n_bad ? CLI_EXIT_FAIL : 0;
}

/* ---- neighbors ------------------------------------------------------------- */

/* Answer one query (a word or a phrase of n words). */
static int neighbors_one(struct session *s, char **words, int n, int64_t lineno) {
    (void)lineno;
    int32_t ids[MAX_QUERY_WORDS];
    struct emb_err err = {0};
    if (lookup(s, words, n, ids) != 0) return -1;
    const float *vec = s->ix ? emb_index_vector(s->ix, ids[0]) : emb_query_row(s->q, ids[0]);
    if (n > 1) { /* a phrase: the sum of unit vectors, like word2vec's distance */
        int32_t dim = s->ix ? emb_index_dim(s->ix) : emb_query_dim(s->q);
        memset(s->sum, 0, (size_t)dim * sizeof *s->sum);
        for (int i = 0; i < n; i++) {
            const float *x = s->ix ? emb_index_vector(s->ix, ids[i]) : emb_query_row(s->q, ids[i]);
            for (int32_t j = 0; j < dim; j++) s->sum[j] += x[j];
        }
        vec = s->sum;
    }
    int got;
    if (s->ix) { /* k + n results, then the query words are dropped */
        int want = s->o->k + n, ef = s->o->ef && s->o->ef < want ? want : s->o->ef;
        got = emb_index_search(s->ix, vec, want, ef, s->ids, s->scores, &err);
        int m = 0;
        for (int r = 0; r < got; r++) {
            int self = 0;
            for (int i = 0; i < n; i++) self |= s->ids[r] == ids[i];
            if (!self && m < s->o->k) {
                s->ids[m] = s->ids[r];
                s->scores[m++] = s->scores[r];
            }
        }
        if (got >= 0) got = m;
    } else {
        got = emb_query_neighbors(s->q, vec, s->o->k, ids, n, s->ids, s->scores, &err);
    }
    if (got < 0) {
        cli_fail(s->o->cmd, got, &err);
        return -1;
    }
    /* The query as typed, words joined by single spaces. */
    char query[1024];
    size_t len = 0;
    query[0] = '\0';
    for (int i = 0; i < n && len < sizeof query; i++)
        len += (size_t)snprintf(query + len, sizeof query - len, "%s%s", i ? " " : "", words[i]);
    if (s->o->json) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "query", json_object_new_string(query));
        json_object_object_add(obj, "neighbors", jresults(s, s->ids, s->scores, got));
        cli_json_print(obj);
    } else {
        printf("# %s\n", query);
        for (int i = 0; i < got; i++)
            printf("%d\t%s\t%.4f\n", i + 1, s->ix ? emb_index_word(s->ix, s->ids[i]) : emb_query_word(s->q, s->ids[i]),
                   s->scores[i]);
    }
    return 0;
}

int cmd_neighbors(int argc, char **argv) {
    struct qopts o = {.cmd = "neighbors", .k = 10, .n_threads = emb_cpu_count()};
    struct session s = {0};
    struct cli_args a;
    int rc = cli_parse(&neighbors_spec, argc, argv, &o, &a);
    if (rc >= 0) return rc;
    argc = a.n;
    argv = a.v;
    int first = 0;
    if (!o.index && first < argc && is_index_file(argv[first])) o.index = argv[first]; /* words follow */
    else if (o.index) first--; /* every positional is a word */
    if (first >= argc && !o.index) return cli_usage_error(o.cmd, "missing VECTORS (see emb neighbors --help)");
    if ((rc = o.index ? session_open_index(&s, &o, o.index) : session_open(&s, &o, argv[first])) != 0) goto done;
    if (first + 1 >= argc) {
        rc = each_stdin_line(&s, neighbors_one, "word or phrase (Ctrl-D to quit): ");
        goto done;
    }
    /* Words on the command line: check them all before printing anything. */
    for (int i = first + 1; i < argc; i++) {
        char copy[1024], *words[MAX_QUERY_WORDS];
        int32_t ids[MAX_QUERY_WORDS];
        snprintf(copy, sizeof copy, "%s", argv[i]);
        int n = split_words(copy, words, MAX_QUERY_WORDS);
        if (n == 0 || n > MAX_QUERY_WORDS) {
            rc = cli_usage_error(o.cmd, "bad query '%s'", argv[i]);
            goto done;
        }
        if (lookup(&s, words, n, ids) != 0) {
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    for (int i = first + 1; i < argc; i++) {
        char copy[1024], *words[MAX_QUERY_WORDS];
        snprintf(copy, sizeof copy, "%s", argv[i]);
        int n = split_words(copy, words, MAX_QUERY_WORDS);
        if (neighbors_one(&s, words, n, 0) != 0) {
            rc = CLI_EXIT_FAIL;
            goto done;
        }
    }
    rc = 0;
done:
    session_close(&s);
    return rc;
}

/* ---- analogy --------------------------------------------------------------- */

static int analogy_one(struct session *s, char **words, int n, int64_t lineno) {
    int32_t ids[3];
    struct emb_err err = {0};
    if (n != 3) {
        fprintf(stderr, "emb %s: line %lld: expected 3 words 'A B C', found %d\n", s->o->cmd, (long long)lineno, n);
        return -1;
    }
    if (lookup(s, words, 3, ids) != 0) return -1;
    int n_add = 0, n_mul = 0;
    if ((s->o->method != METHOD_MUL))
        n_add = emb_query_analogy(s->q, ids[0], ids[1], ids[2], EMB_ANALOGY_ADD, s->o->k, s->ids, s->scores, &err);
    if (n_add >= 0 && (s->o->method != METHOD_ADD))
        n_mul = emb_query_analogy(s->q, ids[0], ids[1], ids[2], EMB_ANALOGY_MUL, s->o->k, s->ids2, s->scores2, &err);
    if (n_add < 0 || n_mul < 0) {
        cli_fail(s->o->cmd, n_add < 0 ? n_add : n_mul, &err);
        return -1;
    }
    if (s->o->json) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "a", json_object_new_string(words[0]));
        json_object_object_add(obj, "b", json_object_new_string(words[1]));
        json_object_object_add(obj, "c", json_object_new_string(words[2]));
        if ((s->o->method != METHOD_MUL)) json_object_object_add(obj, "add", jresults(s, s->ids, s->scores, n_add));
        if ((s->o->method != METHOD_ADD)) json_object_object_add(obj, "mul", jresults(s, s->ids2, s->scores2, n_mul));
        cli_json_print(obj);
        return 0;
    }
    printf("# %s : %s :: %s : ?\n", words[0], words[1], words[2]);
    printf("rank%s%s\n", (s->o->method != METHOD_MUL) ? "\t3CosAdd\tscore" : "", (s->o->method != METHOD_ADD) ? "\t3CosMul\tscore" : "");
    int rows = n_add > n_mul ? n_add : n_mul;
    for (int i = 0; i < rows; i++) {
        printf("%d", i + 1);
        if ((s->o->method != METHOD_MUL)) {
            if (i < n_add) printf("\t%s\t%.4f", emb_query_word(s->q, s->ids[i]), s->scores[i]);
            else printf("\t\t");
        }
        if ((s->o->method != METHOD_ADD) && i < n_mul) printf("\t%s\t%.4f", emb_query_word(s->q, s->ids2[i]), s->scores2[i]);
        printf("\n");
    }
    return 0;
}

int cmd_analogy(int argc, char **argv) {
    struct qopts o = {.cmd = "analogy", .k = 10, .n_threads = emb_cpu_count(), .method = METHOD_BOTH};
    struct session s = {0};
    struct cli_args a;
    int rc = cli_parse(&analogy_spec, argc, argv, &o, &a);
    if (rc >= 0) return rc;
    argc = a.n;
    argv = a.v;
    int first = 0;
    if (first >= argc) return cli_usage_error(o.cmd, "missing VECTORS (see emb analogy --help)");
    int n_words = argc - first - 1;
    if (n_words != 0 && n_words != 3)
        return cli_usage_error(o.cmd, "expected 3 words A B C after VECTORS, got %d (see emb analogy --help)", n_words);
    if ((rc = session_open(&s, &o, argv[first])) != 0) goto done;
    if (n_words == 0)
        rc = each_stdin_line(&s, analogy_one, "A B C (Ctrl-D to quit): ");
    else
        rc = analogy_one(&s, argv + first + 1, 3, 0) != 0 ? CLI_EXIT_FAIL : 0;
done:
    session_close(&s);
    return rc;
}

/* ---- similarity ------------------------------------------------------------ */

/* stdin pairs are printed with their words; a pair from argv as the bare
 * number (lineno 0). */
static int similarity_one(struct session *s, char **words, int n, int64_t lineno) {
    int32_t ids[2];
    if (n != 2) {
        fprintf(stderr, "emb %s: line %lld: expected 2 words 'W1 W2', found %d\n", s->o->cmd, (long long)lineno, n);
        return -1;
    }
    if (lookup(s, words, 2, ids) != 0) return -1;
    float sim = emb_query_similarity(s->q, ids[0], ids[1]);
    if (s->o->json) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "w1", json_object_new_string(words[0]));
        json_object_object_add(obj, "w2", json_object_new_string(words[1]));
        json_object_object_add(obj, "similarity", jfloat(sim));
        cli_json_print(obj);
    } else if (lineno == 0) {
        printf("%.6f\n", sim);
    } else {
        printf("%s\t%s\t%.6f\n", words[0], words[1], sim);
    }
    return 0;
}

int cmd_similarity(int argc, char **argv) {
    /* One thread: building the index is the only parallel work here. */
    struct qopts o = {.cmd = "similarity", .k = 1, .n_threads = 1};
    struct session s = {0};
    struct cli_args a;
    int rc = cli_parse(&similarity_spec, argc, argv, &o, &a);
    if (rc >= 0) return rc;
    argc = a.n;
    argv = a.v;
    int first = 0;
    if (first >= argc) return cli_usage_error(o.cmd, "missing VECTORS (see emb similarity --help)");
    int n_words = argc - first - 1;
    if (n_words != 0 && n_words != 2)
        return cli_usage_error(o.cmd, "expected 2 words W1 W2 after VECTORS, got %d (see emb similarity --help)",
                               n_words);
    if ((rc = session_open(&s, &o, argv[first])) != 0) goto done;
    if (n_words == 0)
        rc = each_stdin_line(&s, similarity_one, "W1 W2 (Ctrl-D to quit): ");
    else
        rc = similarity_one(&s, argv + first + 1, 2, 0) != 0 ? CLI_EXIT_FAIL : 0;
done:
    session_close(&s);
    return rc;
}
