/* vocab_test.c -- the word <-> id map: counting, growth, pruning and sorting,
 * and the word2vec vocabulary file format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emb/vocab.h"
#include "test.h"

static char tmp_dir[64];

/* Path of a file inside the test's temporary directory. */
static const char *tmp_path(const char *name) {
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_dir, name);
    return buf[k];
}

static int write_file(const char *path, const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(text, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int test_add_find_counts(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    CHECK(emb_vocab_size(v) == 0 && emb_vocab_total(v) == 0);
    CHECK(emb_vocab_find(v, "cat", 3) == -1);
    int32_t id = -5;
    CHECK_OK(emb_vocab_add(v, "cat", 3, 1, &id, &err));
    CHECK(id == 0);
    CHECK_OK(emb_vocab_add(v, "dog", 3, 2, &id, &err));
    CHECK(id == 1);
    CHECK_OK(emb_vocab_add(v, "cat", 3, 4, &id, &err));
    CHECK(id == 0);
    /* 64-bit counts: 3e9 on one word, and a total above 2^32. */
    CHECK_OK(emb_vocab_add(v, "big", 3, 3000000000LL, &id, &err));
    CHECK(id == 2);
    CHECK_OK(emb_vocab_add(v, "big", 3, 3000000000LL, NULL, &err));
    CHECK(emb_vocab_count(v, 2) == 6000000000LL);
    CHECK(emb_vocab_count(v, 0) == 5 && emb_vocab_count(v, 1) == 2);
    CHECK(emb_vocab_total(v) == 6000000007LL);
    CHECK(emb_vocab_size(v) == 3);
    /* Lookup uses the given length, not a NUL: "catalog" with len 3 is "cat". */
    CHECK(emb_vocab_find(v, "catalog", 3) == 0);
    CHECK(emb_vocab_find(v, "catalog", 7) == -1);
    CHECK(emb_vocab_find(v, "ca", 2) == -1);
    CHECK(strcmp(emb_vocab_word(v, 1), "dog") == 0);
    /* The stored word is NUL-terminated even if the input was not. */
    CHECK_OK(emb_vocab_add(v, "birdXYZ", 4, 1, &id, &err));
    CHECK(strcmp(emb_vocab_word(v, id), "bird") == 0);
    /* Empty word is rejected, and nothing changes. */
    CHECK(emb_vocab_add(v, "", 0, 1, NULL, &err) == EMB_EINVAL);
    CHECK(err.code == EMB_EINVAL);
    CHECK(emb_vocab_size(v) == 4);
    emb_vocab_free(v);
    emb_vocab_free(NULL);
    return 0;
}

static int test_bytes_and_utf8(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    const char *words[] = {"caf\xc3\xa9", "cafe", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80",
                           "\xff\xfe\x80", "\x01\x02", "a b", "\x7f"};
    const int n = (int)(sizeof words / sizeof words[0]);
    for (int i = 0; i < n; i++) {
        int32_t id;
        CHECK_OK(emb_vocab_add(v, words[i], strlen(words[i]), i + 1, &id, &err));
        CHECK(id == i);
    }
    /* All 255 single non-NUL bytes are distinct words. */
    for (int b = 1; b < 256; b++) {
        char c = (char)b;
        CHECK_OK(emb_vocab_add(v, &c, 1, 1, NULL, &err));
    }
    for (int i = 0; i < n; i++) {
        CHECK(emb_vocab_find(v, words[i], strlen(words[i])) == i);
        CHECK(strcmp(emb_vocab_word(v, i), words[i]) == 0);
        CHECK(emb_vocab_count(v, i) == i + 1 + (strlen(words[i]) == 1));
    }
    CHECK(emb_vocab_size(v) == n + 255 - 1); /* "\x7f" was already there */
    /* Prefixes of a multi-byte word are different words. */
    CHECK(emb_vocab_find(v, "caf\xc3", 4) == -1);
    emb_vocab_free(v);
    return 0;
}

/* Word i of the growth test: decimal digits plus a varying suffix. */
static size_t growth_word(int i, char *buf) { return (size_t)sprintf(buf, "w%d_%x", i, (unsigned)(i * 2654435761u)); }

static int test_growth(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    enum { N = 200000 };
    CHECK_OK(emb_vocab_new(&v, &err));
    char buf[64];
    for (int i = 0; i < N; i++) {
        int32_t id;
        size_t len = growth_word(i, buf);
        CHECK_OK(emb_vocab_add(v, buf, len, (i % 7) + 1, &id, &err));
        if (id != i) {
            fprintf(stderr, "word %d got id %d\n", i, id);
            return 1;
        }
    }
    CHECK(emb_vocab_size(v) == N);
    int64_t total = 0;
    for (int i = 0; i < N; i++) {
        size_t len = growth_word(i, buf);
        if (emb_vocab_find(v, buf, len) != i || emb_vocab_count(v, i) != (i % 7) + 1 ||
            strcmp(emb_vocab_word(v, i), buf) != 0) {
            fprintf(stderr, "after growth: word %d (%s) not found correctly\n", i, buf);
            return 1;
        }
        total += (i % 7) + 1;
    }
    CHECK(emb_vocab_total(v) == total);
    /* Absent words stay absent. */
    for (int i = N; i < N + 1000; i++) {
        size_t len = growth_word(i, buf);
        CHECK(emb_vocab_find(v, buf, len) == -1);
    }
    /* Adding again only counts. */
    for (int i = 0; i < N; i += 1000) {
        int32_t id;
        size_t len = growth_word(i, buf);
        CHECK_OK(emb_vocab_add(v, buf, len, 1, &id, &err));
        CHECK(id == i);
    }
    CHECK(emb_vocab_size(v) == N);
    CHECK(emb_vocab_total(v) == total + N / 1000);
    emb_vocab_free(v);
    return 0;
}

static int test_finalize(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    /* id: word count */
    static const struct {
        const char *w;
        int64_t c;
    } in[] = {{"a", 3}, {"b", 1}, {"c", 7}, {"d", 3}, {"e", 2}, {"f", 7}, {"g", 3}, {"h", 5000000000LL}};
    const int n = (int)(sizeof in / sizeof in[0]);
    for (int i = 0; i < n; i++) CHECK_OK(emb_vocab_add(v, in[i].w, 1, in[i].c, NULL, &err));
    int32_t remap[8];
    memset(remap, 0x55, sizeof remap);
    CHECK_OK(emb_vocab_finalize(v, 3, 0, remap, &err));
    /* Kept (count >= 3), descending, ties in insertion order: h c f a d g. */
    const char *want[] = {"h", "c", "f", "a", "d", "g"};
    CHECK(emb_vocab_size(v) == 6);
    for (int i = 0; i < 6; i++) {
        if (strcmp(emb_vocab_word(v, i), want[i]) != 0) {
            fprintf(stderr, "finalize: id %d is '%s', want '%s'\n", i, emb_vocab_word(v, i), want[i]);
            return 1;
        }
        CHECK(emb_vocab_find(v, want[i], 1) == i);
    }
    CHECK(emb_vocab_count(v, 0) == 5000000000LL && emb_vocab_count(v, 5) == 3);
    CHECK(emb_vocab_find(v, "b", 1) == -1 && emb_vocab_find(v, "e", 1) == -1);
    /* The total is over the kept words. */
    CHECK(emb_vocab_total(v) == 5000000000LL + 7 + 7 + 3 + 3 + 3);
    /* remap[old] = new or -1. */
    const int32_t want_remap[8] = {3, -1, 1, 4, -1, 2, 5, 0};
    for (int i = 0; i < n; i++) {
        if (remap[i] != want_remap[i]) {
            fprintf(stderr, "remap[%d] = %d, want %d\n", i, remap[i], want_remap[i]);
            return 1;
        }
    }
    /* Still usable after finalize: new words get the next id. */
    int32_t id;
    CHECK_OK(emb_vocab_add(v, "z", 1, 1, &id, &err));
    CHECK(id == 6 && emb_vocab_find(v, "z", 1) == 6 && emb_vocab_find(v, "h", 1) == 0);

    /* max_size cuts after sorting; dropped words map to -1. Ids are now
     * h c f a d g z; finalize again with min_count 1 and max 4. */
    int32_t remap2[7];
    CHECK_OK(emb_vocab_finalize(v, 1, 4, remap2, &err));
    CHECK(emb_vocab_size(v) == 4);
    const int32_t want2[7] = {0, 1, 2, 3, -1, -1, -1};
    for (int i = 0; i < 7; i++) CHECK(remap2[i] == want2[i]);
    CHECK(strcmp(emb_vocab_word(v, 3), "a") == 0);
    CHECK(emb_vocab_find(v, "d", 1) == -1 && emb_vocab_find(v, "z", 1) == -1);
    CHECK(emb_vocab_total(v) == 5000000000LL + 7 + 7 + 3);
    /* NULL remap is allowed. */
    CHECK_OK(emb_vocab_finalize(v, 1, 0, NULL, &err));
    CHECK(emb_vocab_size(v) == 4);

    /* Everything pruned: EMB_EEMPTY, empty vocabulary, all -1. */
    int32_t remap3[4];
    err.code = 0;
    CHECK(emb_vocab_finalize(v, 6000000000LL, 0, remap3, &err) == EMB_EEMPTY);
    CHECK(err.code == EMB_EEMPTY && strstr(err.msg, "min-count") != NULL);
    CHECK(emb_vocab_size(v) == 0 && emb_vocab_total(v) == 0);
    for (int i = 0; i < 4; i++) CHECK(remap3[i] == -1);
    CHECK(emb_vocab_find(v, "h", 1) == -1);
    emb_vocab_free(v);

    /* An empty vocabulary is empty after finalize as well. */
    CHECK_OK(emb_vocab_new(&v, &err));
    CHECK(emb_vocab_finalize(v, 1, 0, NULL, &err) == EMB_EEMPTY);
    emb_vocab_free(v);
    return 0;
}

/* Sorting a large vocabulary: counts descending, ties by old id, remap a
 * bijection onto 0..kept-1. */
static int test_finalize_large(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    enum { N = 50000 };
    CHECK_OK(emb_vocab_new(&v, &err));
    char buf[64];
    static int64_t count[N];
    static int32_t remap[N];
    static char seen[N];
    for (int i = 0; i < N; i++) {
        count[i] = (int64_t)((i * 7919u) % 97) + 1;
        size_t len = growth_word(i, buf);
        CHECK_OK(emb_vocab_add(v, buf, len, count[i], NULL, &err));
    }
    CHECK_OK(emb_vocab_finalize(v, 10, 0, remap, &err));
    int32_t n_new = emb_vocab_size(v);
    for (int i = 0; i < N; i++) {
        if (count[i] < 10) {
            CHECK(remap[i] == -1);
            continue;
        }
        CHECK(remap[i] >= 0 && remap[i] < n_new && !seen[remap[i]]);
        seen[remap[i]] = 1;
        size_t len = growth_word(i, buf);
        CHECK(strcmp(emb_vocab_word(v, remap[i]), buf) == 0);
        CHECK(emb_vocab_count(v, remap[i]) == count[i]);
        CHECK(emb_vocab_find(v, buf, len) == remap[i]);
    }
    for (int32_t i = 1; i < n_new; i++) CHECK(emb_vocab_count(v, i - 1) >= emb_vocab_count(v, i));
    /* Ties keep insertion order: within equal counts, old ids increase. */
    int32_t *old_of = malloc((size_t)n_new * sizeof *old_of);
    CHECK(old_of);
    for (int i = 0; i < N; i++)
        if (remap[i] >= 0) old_of[remap[i]] = i;
    for (int32_t i = 1; i < n_new; i++)
        if (emb_vocab_count(v, i - 1) == emb_vocab_count(v, i) && old_of[i - 1] > old_of[i]) {
            fprintf(stderr, "tie order broken at new ids %d, %d\n", i - 1, i);
            free(old_of);
            return 1;
        }
    free(old_of);
    emb_vocab_free(v);
    return 0;
}

static int test_save_load(void) {
    struct emb_err err = {0};
    struct emb_vocab *v = NULL, *w = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    const char *words[] = {"the", "caf\xc3\xa9", "\xe6\x97\xa5", "x\x01y", "big"};
    const int64_t counts[] = {10, 9, 9, 1, 3000000000LL};
    for (int i = 0; i < 5; i++) CHECK_OK(emb_vocab_add(v, words[i], strlen(words[i]), counts[i], NULL, &err));
    const char *path = tmp_path("vocab.txt");
    CHECK_OK(emb_vocab_save(v, path, &err));
    CHECK_OK(emb_vocab_load(&w, path, &err));
    CHECK(emb_vocab_size(w) == 5);
    for (int i = 0; i < 5; i++) {
        CHECK(strcmp(emb_vocab_word(w, i), words[i]) == 0);
        CHECK(emb_vocab_count(w, i) == counts[i]);
        CHECK(emb_vocab_find(w, words[i], strlen(words[i])) == i);
    }
    CHECK(emb_vocab_total(w) == emb_vocab_total(v));
    emb_vocab_free(w);
    w = NULL;
    /* The file is word2vec's format exactly. */
    FILE *f = fopen(path, "rb");
    CHECK(f);
    char text[256];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CHECK(strcmp(text, "the 10\ncaf\xc3\xa9 9\n\xe6\x97\xa5 9\nx\x01y 1\nbig 3000000000\n") == 0);
    emb_vocab_free(v);

    /* CRLF line ends and blank lines are accepted. */
    const char *crlf = "a 5\r\n\r\nb 2\r\n";
    CHECK(write_file(path, crlf, strlen(crlf)) == 0);
    CHECK_OK(emb_vocab_load(&w, path, &err));
    CHECK(emb_vocab_size(w) == 2 && emb_vocab_count(w, 0) == 5 && emb_vocab_count(w, 1) == 2);
    CHECK(emb_vocab_find(w, "a", 1) == 0 && emb_vocab_find(w, "b", 1) == 1);
    emb_vocab_free(w);
    return 0;
}

/* Expect load to fail with rc, and the message to contain `needle`. */
static int expect_load_error(const char *text, int rc, const char *needle) {
    struct emb_err err = {0};
    const char *path = tmp_path("bad.txt");
    CHECK(write_file(path, text, strlen(text)) == 0);
    struct emb_vocab *w = (struct emb_vocab *)&err; /* must be reset */
    int got = emb_vocab_load(&w, path, &err);
    if (got != rc || w != NULL || (needle && !strstr(err.msg, needle))) {
        fprintf(stderr, "load of \"%s\": rc %d (want %d), message \"%s\" (want \"%s\")\n", text, got, rc, err.msg,
                needle ? needle : "");
        return 1;
    }
    return 0;
}

static int test_load_errors(void) {
    CHECK(expect_load_error("a 1\nb 2\na 3\n", EMB_EFORMAT, ":3:") == 0);     /* duplicate, line 3 */
    CHECK(expect_load_error("a 1\nb 2\na 3\n", EMB_EFORMAT, "duplicate") == 0);
    CHECK(expect_load_error("a 1\nb x\n", EMB_EFORMAT, ":2:") == 0);          /* bad count */
    CHECK(expect_load_error("a 1\nb 12x\n", EMB_EFORMAT, "bad count") == 0);  /* trailing junk */
    CHECK(expect_load_error("a -4\n", EMB_EFORMAT, "bad count") == 0);        /* negative */
    CHECK(expect_load_error("a 99999999999999999999\n", EMB_EFORMAT, "bad count") == 0); /* overflow */
    CHECK(expect_load_error("a 1\nlonely\n", EMB_EFORMAT, ":2:") == 0);       /* no count */
    CHECK(expect_load_error("a 1\n 7\n", EMB_EFORMAT, ":2:") == 0);           /* no word */
    /* Each count fits in int64, their sum does not (signed overflow, then
     * training on the wrapped total). */
    CHECK(expect_load_error("a 9223372036854775807\nb 1\n", EMB_EFORMAT, ":2: the counts add up to more than 2^63-1") == 0);
    CHECK(expect_load_error("a 5000000000000000000\nb 5000000000000000000\n", EMB_EFORMAT, ":2:") == 0);
    CHECK(expect_load_error("", EMB_EEMPTY, NULL) == 0);
    CHECK(expect_load_error("\n\n", EMB_EEMPTY, NULL) == 0);

    struct emb_err err = {0};
    struct emb_vocab *w = NULL;
    CHECK(emb_vocab_load(&w, tmp_path("does-not-exist.txt"), &err) == EMB_EIO);
    CHECK(w == NULL && strstr(err.msg, "does-not-exist") != NULL);
    /* Saving into a missing directory fails cleanly. */
    struct emb_vocab *v = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    CHECK_OK(emb_vocab_add(v, "a", 1, 1, NULL, &err));
    CHECK(emb_vocab_save(v, tmp_path("no-such-dir/vocab.txt"), &err) == EMB_EIO);
    /* emb_vocab_add refuses negative counts and a total past INT64_MAX,
     * for a new word and for one already there, and changes nothing. */
    CHECK(emb_vocab_add(v, "b", 1, -1, NULL, &err) == EMB_EINVAL);
    CHECK_OK(emb_vocab_add(v, "b", 1, INT64_MAX - 1, NULL, &err));
    CHECK(emb_vocab_total(v) == INT64_MAX);
    CHECK(emb_vocab_add(v, "c", 1, 1, NULL, &err) == EMB_EINVAL && strstr(err.msg, "2^63-1"));
    CHECK(emb_vocab_add(v, "a", 1, 1, NULL, &err) == EMB_EINVAL);
    CHECK(emb_vocab_size(v) == 2 && emb_vocab_count(v, 0) == 1 && emb_vocab_total(v) == INT64_MAX);
    CHECK_OK(emb_vocab_add(v, "a", 1, 0, NULL, &err));
    emb_vocab_free(v);
    return 0;
}

static void cleanup(void) {
    const char *names[] = {"vocab.txt", "bad.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(tmp_path(names[i]));
    rmdir(tmp_dir);
}

int main(void) {
    int failed = 0;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/emb_vocab_test_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_add_find_counts);
    RUN(test_bytes_and_utf8);
    RUN(test_growth);
    RUN(test_finalize);
    RUN(test_finalize_large);
    RUN(test_save_load);
    RUN(test_load_errors);
    cleanup();
    if (failed) return 1;
    printf("vocab_test: ok\n");
    return 0;
}
