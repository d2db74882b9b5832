/* ckpt_fuzz.h -- what the checkpoint harnesses (fuzz_ckpt_*.c) share.
 *
 * Each input is one checkpoint file's bytes. It is loaded twice: as given
 * (mostly refused by the CRCs of io.h's framing), and with both CRCs
 * rewritten to match (tests/ckpt_mut.h), so that the fuzzer also reaches
 * the parser behind the checksums, whose every read must be bounded on
 * its own. Either load must succeed or fail with a status and a message;
 * the harness aborts otherwise. Files live in a fresh directory under
 * /dev/shm (or /tmp), removed at exit. */
#ifndef EMB_CKPT_FUZZ_H
#define EMB_CKPT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/ckpt_mut.h"
#include "emb/err.h"

#define REQUIRE(c)                                                           \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);          \
            abort();                                                         \
        }                                                                    \
    } while (0)

static char g_dir[64];

static void fuzz_cleanup(void) {
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
}

/* Make the directory; path_in(name) names a file in it. */
static void fuzz_dir(const char *tag) {
    snprintf(g_dir, sizeof g_dir, "%s/%s_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", tag);
    REQUIRE(mkdtemp(g_dir));
    atexit(fuzz_cleanup);
}

static void path_in(char *buf, size_t size, const char *name) { snprintf(buf, size, "%s/%s", g_dir, name); }

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(n == 0 || fwrite(data, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

/* A load's outcome: success, or a status with a message. */
static void require_clean(int rc, const struct emb_err *err, int ok_rc) {
    if (rc == EMB_OK || rc == ok_rc) return;
    REQUIRE(rc < 0 && err->code == rc && err->msg[0] != '\0');
}

/* Run load(path) on data as given, then with its CRCs rewritten (if that
 * changes anything). */
static void load_both(const char *path, const uint8_t *data, size_t size, void (*load)(const char *path)) {
    write_bytes(path, data, size);
    load(path);
    unsigned char *b = malloc(size ? size : 1);
    REQUIRE(b);
    memcpy(b, data, size);
    ckpt_fix_crcs(b, size);
    if (size && memcmp(b, data, size) != 0) {
        write_bytes(path, b, size);
        load(path);
    }
    free(b);
}

#endif
