/* kg_test.c -- the knowledge-graph dataset loader (emb_kg_load): ids in
 * first-seen order with train first, gzip and .txt splits, optional
 * valid/test, unseen entities and relations counted, and bad input (wrong
 * field counts, empty fields and splits, NULs, a split with no usable
 * triple, a missing folder) as one-line errors. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emb/kg.h"
#include "test.h"

static char tmpdir[] = "/tmp/kg_test_XXXXXX";

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

/* A dataset directory NAME with the given split contents (NULL = absent). */
static const char *make_ds(const char *name, const char *train, const char *valid, const char *test, int gz) {
    static char dir[512];
    path_in(dir, sizeof dir, name);
    test_write_kg(dir, train, valid, test, gz);
    return dir;
}

static int test_load(void) {
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    for (int gz = 0; gz < 2; gz++) {
        const char *d = make_ds(gz ? "ok_gz" : "ok", "a\tlikes\tb\r\n  b \tlikes\t c\n\nc\thates\ta\n",
                                "a\tlikes\tc\n", "d\tnew_rel\ta\nb\thates\tc\n", gz);
        CHECK_OK(emb_kg_load(&kg, d, &err));
        CHECK(kg->n_entities == 4 && kg->n_relations == 3);
        CHECK(kg->train.n == 3 && kg->valid.n == 1 && kg->test.n == 2);
        CHECK(emb_vocab_find(kg->entities, "b", 1) == 1); /* spaces stripped, train first */
        CHECK(kg->train.h[1] == 1 && kg->train.r[1] == 0 && kg->train.t[1] == 2);
        CHECK(kg->in_train[0] && !kg->in_train[3]);
        CHECK(kg->test_unseen == 1 && kg->valid_unseen == 0 && kg->n_unseen_relations == 1);
        emb_kg_free(kg);
    }
    /* valid and test are optional; .txt is accepted. */
    char p[600], d[512];
    path_in(d, sizeof d, "txt");
    mkdir(d, 0700);
    snprintf(p, sizeof p, "%s/train.txt", d);
    test_write_file(p, "x\tr\ty\n", 6);
    CHECK_OK(emb_kg_load(&kg, d, &err));
    CHECK(kg->train.n == 1 && kg->valid.n == 0 && kg->test.n == 0);
    emb_kg_free(kg);
    emb_kg_free(NULL);
    /* Bad input. */
    struct {
        const char *train, *test;
        int rc;
        const char *msg;
    } bad[] = {
        {"a\tr\tb\na\tr\n", NULL, EMB_EFORMAT, "train.tsv:2: expected 3"},
        {"a\tr\tb\tc\n", NULL, EMB_EFORMAT, "found 4"},
        {"a\t\tb\n", NULL, EMB_EFORMAT, "empty relation"},
        {"a r b\n", NULL, EMB_EFORMAT, "found 1"},
        {"", NULL, EMB_EEMPTY, "no triples"},
        {"\n\n", NULL, EMB_EEMPTY, "no triples"},
        {"a\tr\tb\n", "", EMB_EEMPTY, "test.tsv holds no triples"},
        {"a\tr\tb\n", "x\tr\ty\nz\tr\ta\n", EMB_EINVAL, "every test triple"},
        {"a\tr\tb\0\n", NULL, EMB_EFORMAT, "NUL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu", i);
        const char *dd = make_ds(name, bad[i].train, NULL, bad[i].test, 0);
        if (i == 8) { /* embedded NUL: write with its length */
            snprintf(p, sizeof p, "%s/train.tsv", dd);
            test_write_file(p, "a\tr\tb\0\n", 7);
        }
        memset(&err, 0, sizeof err);
        int rc = emb_kg_load(&kg, dd, &err);
        if (rc != bad[i].rc || !strstr(err.msg, bad[i].msg)) {
            fprintf(stderr, "bad case %zu: rc %d, message '%s'\n", i, rc, err.msg);
            return 1;
        }
        CHECK(kg == NULL);
    }
    path_in(d, sizeof d, "missing");
    CHECK(emb_kg_load(&kg, d, &err) == EMB_EIO);
    return 0;
}

int main(void) {
    if (!mkdtemp(tmpdir)) return 1;
    int failed = 0;
    RUN(test_load);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) failed++;
    printf("kg_test: %s\n", failed ? "FAILED" : "ok");
    return failed != 0;
}
