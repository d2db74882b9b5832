/* fuzz_vocab.c -- libFuzzer harness for word2vec.c vocabulary files
 * (emb_vocab_load, read by `emb train word2vec --read-vocab`).
 *
 *     make fuzz && build-fuzz/fuzz_vocab -max_total_time=300 fuzz/corpus/vocab
 *
 * Each input is a file's bytes, put in a memfd and opened through
 * /proc/self/fd. A load must succeed or fail with a status and a message.
 * On success: every word is found at its id, counts are non-negative and
 * sum to the total without overflow, and the vocabulary saves and loads
 * back with the same words, order and counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/vocab.h"

#define REQUIRE(c)                                                              \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "fuzz_vocab: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                            \
        }                                                                       \
    } while (0)

static int g_fd = -1;
static char g_path[64], g_dir[64], g_out[96];

static void cleanup(void) {
    unlink(g_out);
    rmdir(g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) {
        g_fd = memfd_create("fuzz_vocab", 0);
        REQUIRE(g_fd >= 0);
        snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
        snprintf(g_dir, sizeof g_dir, "/tmp/fuzz_vocab_XXXXXX");
        REQUIRE(mkdtemp(g_dir));
        snprintf(g_out, sizeof g_out, "%s/out.vocab", g_dir);
        atexit(cleanup);
    }
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != (ssize_t)size) abort();
    struct emb_err err = {0};
    struct emb_vocab *v = NULL;
    int rc = emb_vocab_load(&v, g_path, &err);
    if (rc != EMB_OK) {
        REQUIRE(rc < 0 && err.code == rc && err.msg[0] != '\0' && v == NULL);
        return 0;
    }
    int64_t sum = 0;
    for (int32_t i = 0; i < emb_vocab_size(v); i++) {
        const char *w = emb_vocab_word(v, i);
        REQUIRE(emb_vocab_find(v, w, strlen(w)) == i);
        int64_t c = emb_vocab_count(v, i);
        REQUIRE(c >= 0 && sum <= INT64_MAX - c);
        sum += c;
    }
    REQUIRE(sum == emb_vocab_total(v));
    REQUIRE(emb_vocab_save(v, g_out, &err) == EMB_OK);
    struct emb_vocab *b = NULL;
    REQUIRE(emb_vocab_load(&b, g_out, &err) == EMB_OK);
    REQUIRE(emb_vocab_size(b) == emb_vocab_size(v));
    for (int32_t i = 0; i < emb_vocab_size(v); i++)
        REQUIRE(!strcmp(emb_vocab_word(v, i), emb_vocab_word(b, i)) && emb_vocab_count(v, i) == emb_vocab_count(b, i));
    emb_vocab_free(b);
    emb_vocab_free(v);
    return 0;
}
