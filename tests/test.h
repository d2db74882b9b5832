/* test.h -- the few assertion macros our unit tests use (redis testhelp.h
 * and libuv task.h style). A test program returns non-zero on failure. */
#ifndef EMB_TEST_H
#define EMB_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
            return 1;                                                             \
        }                                                                         \
    } while (0)

#define CHECK_OK(rc)                                                                           \
    do {                                                                                       \
        int rc_ = (rc);                                                                        \
        if (rc_ != 0) {                                                                        \
            fprintf(stderr, "%s:%d: %s returned %d (%s)\n", __FILE__, __LINE__, #rc, rc_, \
                    err.msg);                                                                  \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                              \
    do {                                                                                                   \
        double a_ = (a), b_ = (b);                                                                         \
        if (!(fabs(a_ - b_) <= (tol))) {                                                                   \
            fprintf(stderr, "%s:%d: %s = %.9g, %s = %.9g, differ by more than %g\n", __FILE__, __LINE__, #a, \
                    a_, #b, b_, (double)(tol));                                                           \
            return 1;                                                                                      \
        }                                                                                                  \
    } while (0)

/* Run one test function; count failures. */
#define RUN(fn)                                                  \
    do {                                                         \
        if (fn() != 0) {                                         \
            fprintf(stderr, "FAIL %s\n", #fn);                   \
            failed++;                                            \
        }                                                        \
    } while (0)

/* ---- file helpers for tests that write fixtures -------------------- */

/* Write n bytes to path; 0 on success. */
static inline int test_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* The same, gzip-compressed. */
static inline int test_write_gz(const char *path, const void *data, size_t n) {
    gzFile g = gzopen(path, "wb");
    if (!g) return -1;
    int w = n ? gzwrite(g, data, (unsigned)n) : 0;
    return gzclose(g) == Z_OK && (size_t)w == n ? 0 : -1;
}

/* A whole file in a NUL-terminated malloc'd buffer (NULL if unreadable). */
static inline char *test_read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) len = 0;
    if (b) b[len] = '\0';
    fclose(f);
    if (n) *n = (size_t)len;
    return b;
}

static inline int test_exists(const char *path) { return access(path, F_OK) == 0; }

/* A knowledge-graph dataset folder dir (made if absent) with the given
 * train/valid/test split contents (NULL = no such file), as .tsv or,
 * with gz, .tsv.gz. */
static inline void test_write_kg(const char *dir, const char *train, const char *valid, const char *test, int gz) {
    char p[600];
    mkdir(dir, 0700);
    const char *txt[3] = {train, valid, test}, *nm[3] = {"train", "valid", "test"};
    for (int i = 0; i < 3; i++) {
        if (!txt[i]) continue;
        snprintf(p, sizeof p, "%s/%s.%s", dir, nm[i], gz ? "tsv.gz" : "tsv");
        if (gz)
            test_write_gz(p, txt[i], strlen(txt[i]));
        else
            test_write_file(p, txt[i], strlen(txt[i]));
    }
}

#endif
