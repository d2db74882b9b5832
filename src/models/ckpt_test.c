/* ckpt_test.c -- a mutation test of every checkpoint format and of .kge
 * model files: write a valid file of each kind, damage it a few thousand
 * times (seeded: flipped bits, random bytes, extreme 4/8-byte values,
 * digits in the header text, truncation, junk appended; see
 * tests/ckpt_mut.h) and load each one. Every load must return cleanly: a
 * status and a message, or success; never a crash or an ASan report
 * (run it under `make asan TESTS=ckpt_test` too). A damaged file with its
 * checksums left as they were must be refused (the CRC catches it); with
 * the checksums rewritten to match, the parser behind them gets the
 * damaged bytes and must bound every read itself.
 *
 * Also: a word2vec checkpoint whose header claims one word more than its
 * word list holds (with valid checksums) is refused; it used to run
 * strlen past the end of the list. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckpt_mut.h"
#include "emb/graph.h"
#include "emb/io.h"
#include "emb/kge.h"
#include "emb/line.h"
#include "emb/rng.h"
#include "emb/stream.h"
#include "emb/w2v.h"
#include "test.h"

static char dir[64];
static char corpus_path[128], edges_path[128], kg_dir[128], mut_path[128];

static int write_fixtures(void) {
    snprintf(dir, sizeof dir, "/tmp/emb_ckpt_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(corpus_path, sizeof corpus_path, "%s/corpus.txt", dir);
    snprintf(edges_path, sizeof edges_path, "%s/edges.tsv", dir);
    snprintf(kg_dir, sizeof kg_dir, "%s/kg", dir);
    snprintf(mut_path, sizeof mut_path, "%s/mutated", dir);
    struct emb_rng g;
    emb_rng_seed(&g, 11, 0);
    FILE *f = fopen(corpus_path, "w");
    CHECK(f != NULL);
    for (int s = 0; s < 300; s++) {
        for (int i = 0; i < 12; i++) fprintf(f, "%sw%u", i ? " " : "", (unsigned)(emb_rng_next(&g) % 40));
        fputc('\n', f);
    }
    CHECK(fclose(f) == 0);
    f = fopen(edges_path, "w");
    CHECK(f != NULL);
    for (int u = 0; u < 30; u++) fprintf(f, "n%d\tn%d\nn%d\tn%d\n", u, (u + 1) % 30, u, (u + 7) % 30);
    CHECK(fclose(f) == 0);
    CHECK(mkdir(kg_dir, 0700) == 0);
    char path[160];
    snprintf(path, sizeof path, "%s/train.tsv", kg_dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    for (int a = 0; a < 20; a++) fprintf(f, "e%d\tr1\te%d\ne%d\tr2\te%d\n", a, (a + 1) % 20, a, (a + 3) % 20);
    CHECK(fclose(f) == 0);
    return 0;
}

static void remove_fixtures(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- loaders: 1 = loaded, 0 = refused cleanly, -1 = not clean -------- */

typedef int (*load_fn)(const char *path);

static int clean_error(int rc, const struct emb_err *err) { return rc < 0 && err->code == rc && err->msg[0] ? 0 : -1; }

static int load_w2v(const char *path) {
    struct emb_err err = {0};
    struct emb_w2v *m = NULL;
    int rc = emb_w2v_checkpoint_load(&m, path, NULL, &err);
    if (rc == EMB_OK) {
        int ok = m != NULL && emb_vocab_size(emb_w2v_vocab(m)) > 0;
        emb_w2v_free(m);
        return ok ? 1 : -1;
    }
    return m == NULL ? clean_error(rc, &err) : -1;
}

static struct emb_graph *graph;
static volatile sig_atomic_t stop_flag;

static void line_stop_cb(void *ctx, const struct emb_train_progress *pr) {
    (void)ctx, (void)pr;
    stop_flag = 1;
}

static struct emb_line_params line_params(void) {
    struct emb_line_params p = emb_line_default_params();
    p.order = EMB_LINE_BOTH;
    p.dim = 8;
    p.n_samples = 20000;
    return p;
}

static struct emb_train_opts line_opts(const char *path) {
    struct emb_train_opts o = emb_train_default_opts();
    o.seed = 3;
    o.checkpoint_path = path;
    o.stop = &stop_flag;
    return o;
}

/* A LINE checkpoint loads inside emb_line_train; stopped at once, a loaded
 * one ends in EMB_EINTR. */
static int load_line(const char *path) {
    struct emb_err err = {0};
    struct emb_line_params p = line_params();
    struct emb_train_opts o = line_opts(path);
    o.resume = 1;
    stop_flag = 1;
    struct emb_table *t = NULL;
    int rc = emb_line_train(graph, &p, &o, &t, &err);
    emb_table_free(t);
    if (rc == EMB_EINTR || rc == EMB_OK) return 1;
    return t == NULL ? clean_error(rc, &err) : -1;
}

static struct emb_kg *kg;

static struct emb_kge_params kge_params(void) {
    struct emb_kge_params p = emb_kge_default_params();
    p.model = EMB_KGE_ROTATE;
    p.dim = 4;
    p.negatives = 4;
    p.batch = 8;
    p.steps = 40;
    return p;
}

struct kge_stop {
    int64_t step;
};
static void kge_stop_cb(void *ctx, const struct emb_train_progress *pr) {
    struct kge_stop *s = ctx;
    if (pr->event == EMB_TRAIN_TICK && pr->step == s->step) stop_flag = 1;
}

/* A KGE checkpoint loads inside emb_kge_train (resume); stopped at once, a
 * loaded one ends in EMB_EINTR (and is written again). */
static int load_kge_ckpt(const char *path) {
    struct emb_err err = {0};
    struct emb_kge_params p = kge_params();
    struct emb_train_opts o = emb_train_default_opts();
    o.checkpoint_path = path;
    o.resume = 1;
    o.stop = &stop_flag;
    stop_flag = 1;
    struct emb_kge *m = NULL;
    int rc = emb_kge_train(kg, &p, &o, &m, &err);
    emb_kge_free(m);
    if (rc == EMB_EINTR || rc == EMB_OK) return 1;
    return m == NULL ? clean_error(rc, &err) : -1;
}

static int load_kge_model(const char *path) {
    struct emb_err err = {0};
    struct emb_kge *m = NULL;
    int rc = emb_kge_load(&m, path, &err);
    if (rc == EMB_OK) {
        int ok = m && m->ent && m->rel && emb_vocab_size(m->ent_names) == m->ent->n_rows;
        emb_kge_free(m);
        return ok ? 1 : -1;
    }
    return m == NULL ? clean_error(rc, &err) : -1;
}

/* ---- the mutation loop --------------------------------------------------- */

/* Damage the file at path n_mut times and load each copy (from mut_path).
 * checked: the format carries CRCs, so a copy whose checksums were not
 * rewritten must be refused. */
static int mutate_and_load(const char *what, const char *path, load_fn load, int n_mut, int checked, uint64_t seed) {
    size_t n = 0;
    unsigned char *orig = (unsigned char *)test_read_all(path, &n);
    CHECK(orig != NULL && n > 0);
    CHECK(test_write_file(mut_path, orig, n) == 0);
    if (load(mut_path) != 1) {
        fprintf(stderr, "%s: the undamaged file does not load\n", what);
        free(orig);
        return 1;
    }
    unsigned char *b = malloc(n + 16);
    CHECK(b != NULL);
    uint64_t s = seed;
    int loaded = 0, refused = 0, tried = 0;
    for (int i = 0; i < n_mut; i++) {
        memcpy(b, orig, n);
        size_t m = ckpt_mutate(b, n, n + 16, &s);
        int fixed = (i % 2) == 1;
        if (fixed) ckpt_fix_crcs(b, m);
        if (m == n && memcmp(b, orig, n) == 0) continue; /* unchanged */
        tried++;
        CHECK(test_write_file(mut_path, b, m) == 0);
        int r = load(mut_path);
        if (r < 0) {
            fprintf(stderr, "%s: mutation %d (seed %llu, %zu -> %zu bytes) did not fail cleanly\n", what, i,
                    (unsigned long long)seed, n, m);
            free(orig), free(b);
            return 1;
        }
        if (r == 1 && checked && !fixed) {
            fprintf(stderr, "%s: mutation %d (seed %llu, %zu -> %zu bytes) loaded despite its checksum\n", what, i,
                    (unsigned long long)seed, n, m);
            free(orig), free(b);
            return 1;
        }
        loaded += r == 1;
        refused += r == 0;
    }
    printf("%-16s %zu bytes: %d mutations, %d refused, %d loaded%s\n", what, n, tried, refused, loaded,
           checked ? " (all with checksums rewritten)" : "");
    free(orig);
    free(b);
    return 0;
}

/* ---- the files ------------------------------------------------------------ */

static int make_w2v_ckpt(const char *path) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    struct emb_stream *st = NULL;
    struct emb_corpus_params cp = emb_corpus_default_params();
    CHECK_OK(emb_stream_read_corpus(corpus_path, NULL, &cp, &v, &st, &err));
    struct emb_w2v_params p = emb_w2v_default_params();
    p.dim = 8;
    p.epochs = 1;
    p.model = EMB_W2V_SG;
    struct emb_train_opts o = emb_train_default_opts();
    o.checkpoint_path = path; /* the stream's CRC is taken */
    struct emb_w2v *m = NULL;
    CHECK_OK(emb_w2v_new(&m, v, &p, &o, &err));
    CHECK_OK(emb_w2v_set_settings(m, "trainer=word2vec\nmin_count=5\n", &err));
    CHECK_OK(emb_w2v_train(m, st, &o, &err));
    CHECK_OK(emb_w2v_checkpoint_save(m, path, &err));
    emb_w2v_free(m);
    emb_stream_free(st);
    emb_vocab_free(v);
    return 0;
}

static int make_line_ckpt(const char *path) {
    struct emb_err err = {0};
    struct emb_line_params p = line_params();
    struct emb_train_opts o = line_opts(path);
    o.progress = line_stop_cb;
    stop_flag = 0;
    struct emb_table *t = NULL;
    CHECK(emb_line_train(graph, &p, &o, &t, &err) == EMB_EINTR && t == NULL);
    CHECK(test_exists(path));
    return 0;
}

static int make_kge_ckpt(const char *path) {
    struct emb_err err = {0};
    struct emb_kge_params p = kge_params();
    struct kge_stop ks = {10};
    struct emb_train_opts o = emb_train_default_opts();
    o.checkpoint_path = path;
    o.stop = &stop_flag;
    o.progress = kge_stop_cb;
    o.progress_ctx = &ks;
    o.progress_every = 0; /* a TICK every step */
    stop_flag = 0;
    struct emb_kge *m = NULL;
    CHECK(emb_kge_train(kg, &p, &o, &m, &err) == EMB_EINTR && m == NULL);
    CHECK(test_exists(path));
    return 0;
}

static int make_kge_models(const char *path, const char *path_v1) {
    struct emb_err err = {0};
    struct emb_kge_params p = kge_params();
    p.steps = 5;
    struct emb_train_opts o = emb_train_default_opts();
    struct emb_kge *m = NULL;
    CHECK_OK(emb_kge_train(kg, &p, &o, &m, &err));
    CHECK_OK(emb_kge_save(m, path, &err));
    emb_kge_free(m);
    /* The same model as format 1 wrote it: version 1, no CRCs. */
    size_t n;
    char *b = test_read_all(path, &n);
    CHECK(b != NULL && n > 24);
    uint32_t version = 1, kv;
    memcpy(b + 8, &version, 4);
    memcpy(&kv, b + 12, 4);
    memmove(b + 16 + kv, b + 20 + kv, n - 20 - kv);
    CHECK(test_write_file(path_v1, b, n - 8) == 0);
    free(b);
    CHECK(load_kge_model(path_v1) == 1);
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

static int test_mutations(void) {
    struct emb_err err = {0};
    char w2v[160], line[160], kck[160], kge[160], kge1[160];
    snprintf(w2v, sizeof w2v, "%s/w2v.ckpt", dir);
    snprintf(line, sizeof line, "%s/line.ckpt", dir);
    snprintf(kck, sizeof kck, "%s/kge.ckpt", dir);
    snprintf(kge, sizeof kge, "%s/model.kge", dir);
    snprintf(kge1, sizeof kge1, "%s/model_v1.kge", dir);
    struct emb_graph_params gp = emb_graph_default_params();
    CHECK_OK(emb_graph_load(&graph, edges_path, &gp, &err));
    CHECK_OK(emb_kg_load(&kg, kg_dir, &err));
    if (make_w2v_ckpt(w2v) || make_line_ckpt(line) || make_kge_ckpt(kck) || make_kge_models(kge, kge1)) return 1;
    /* The KGE checkpoint is rewritten by every load that succeeds: keep
     * the original aside. */
    char kck_orig[170];
    snprintf(kck_orig, sizeof kck_orig, "%s.orig", kck);
    size_t n;
    char *b = test_read_all(kck, &n);
    CHECK(b && test_write_file(kck_orig, b, n) == 0);
    free(b);
    int bad = 0;
    bad |= mutate_and_load("w2v checkpoint", w2v, load_w2v, 1500, 1, 1);
    bad |= mutate_and_load("LINE checkpoint", line, load_line, 800, 1, 2);
    bad |= mutate_and_load("KGE checkpoint", kck_orig, load_kge_ckpt, 800, 1, 3);
    bad |= mutate_and_load(".kge model", kge, load_kge_model, 800, 1, 4);
    bad |= mutate_and_load(".kge model v1", kge1, load_kge_model, 400, 0, 5);
    emb_graph_free(graph);
    emb_kg_free(kg);
    return bad;
}

/* Parse the framing of a w2v checkpoint and rebuild it with n_words + 1
 * in the header and one more count, the word list unchanged, both CRCs
 * valid: the word list ends before the header's word count does. */
static int test_w2v_short_word_list(void) {
    char path[160], out[160];
    snprintf(path, sizeof path, "%s/w2v.ckpt", dir);
    snprintf(out, sizeof out, "%s/short.ckpt", dir);
    size_t n;
    unsigned char *b = (unsigned char *)test_read_all(path, &n);
    CHECK(b != NULL && n > 16);
    uint32_t kv_bytes;
    memcpy(&kv_bytes, b + 12, 4);
    char *kv = malloc(kv_bytes + 64);
    CHECK(kv != NULL);
    memcpy(kv, b + 16, kv_bytes);
    kv[kv_bytes] = '\0';
    char *at = strstr(kv, "\nn_words=");
    CHECK(at != NULL);
    long n_words = strtol(at + 9, NULL, 10);
    char *eol = strchr(at + 1, '\n');
    char rest[4096];
    snprintf(rest, sizeof rest, "%s", eol);
    sprintf(at, "\nn_words=%ld%s", n_words + 1, rest);
    uint32_t new_kv = (uint32_t)strlen(kv);
    /* payload after the header CRC: words array, counts array, rest */
    size_t p = 16 + kv_bytes + 4;
    int64_t wb;
    memcpy(&wb, b + p, 8);
    size_t words_end = p + 8 + (size_t)wb, counts_end = words_end + 8 + 8 * (size_t)n_words;
    CHECK(counts_end < n);
    unsigned char *o = malloc(n + 512);
    CHECK(o != NULL);
    size_t k = 0;
    memcpy(o, b, 12), k = 12;
    memcpy(o + k, &new_kv, 4), k += 4;
    memcpy(o + k, kv, new_kv), k += new_kv;
    k += 4; /* header CRC, fixed below */
    memcpy(o + k, b + p, words_end - p), k += words_end - p;
    int64_t nc = n_words + 1, one = 1;
    memcpy(o + k, &nc, 8), k += 8;
    memcpy(o + k, b + words_end + 8, 8 * (size_t)n_words), k += 8 * (size_t)n_words;
    memcpy(o + k, &one, 8), k += 8;
    memcpy(o + k, b + counts_end, n - counts_end - 4), k += n - counts_end - 4;
    memset(o + k, 0, 256), k += 256; /* room for one more row in each table */
    k += 4;                          /* trailing CRC */
    ckpt_fix_crcs(o, k);
    CHECK(test_write_file(out, o, k) == 0);
    struct emb_err err = {0};
    struct emb_w2v *m = NULL;
    int rc = emb_w2v_checkpoint_load(&m, out, NULL, &err);
    printf("short word list: %s\n", err.msg);
    CHECK(rc == EMB_EFORMAT && m == NULL && strstr(err.msg, "word list"));
    free(b), free(kv), free(o);
    return 0;
}

/* Word counts whose sum passes INT64_MAX (valid checksums) are refused:
 * they used to overflow the vocabulary's total (found by fuzz_ckpt_w2v). */
static int test_w2v_count_overflow(void) {
    char path[160], out[160];
    snprintf(path, sizeof path, "%s/w2v.ckpt", dir);
    snprintf(out, sizeof out, "%s/counts.ckpt", dir);
    size_t n;
    unsigned char *b = (unsigned char *)test_read_all(path, &n);
    CHECK(b != NULL && n > 16);
    uint32_t kv_bytes;
    memcpy(&kv_bytes, b + 12, 4);
    size_t p = 16 + kv_bytes + 4;
    int64_t wb, big = INT64_MAX - 1;
    memcpy(&wb, b + p, 8);
    size_t counts = p + 8 + (size_t)wb + 8; /* the first count */
    CHECK(counts + 16 < n);
    memcpy(b + counts, &big, 8);
    memcpy(b + counts + 8, &big, 8);
    ckpt_fix_crcs(b, n);
    CHECK(test_write_file(out, b, n) == 0);
    struct emb_err err = {0};
    struct emb_w2v *m = NULL;
    int rc = emb_w2v_checkpoint_load(&m, out, NULL, &err);
    printf("count overflow: %s\n", err.msg);
    CHECK(rc == EMB_EFORMAT && m == NULL && strstr(err.msg, "counts"));
    free(b);
    return 0;
}

int main(void) {
    int failed = 0;
    if (write_fixtures()) return 1;
    RUN(test_mutations);
    RUN(test_w2v_short_word_list);
    RUN(test_w2v_count_overflow);
    remove_fixtures();
    return failed ? 1 : 0;
}
