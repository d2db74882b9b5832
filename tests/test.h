/* test.h -- the few assertion macros our unit tests use (redis testhelp.h
 * and libuv task.h style). A test program returns non-zero on failure. */
#ifndef EMB_TEST_H
#define EMB_TEST_H

#include <math.h>
#include <stdio.h>

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

#endif
