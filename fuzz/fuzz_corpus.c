/* fuzz_corpus.c -- libFuzzer harness for corpus input: the reader (io.h),
 * the tokenizer and emb_stream_read_corpus (stream.h).
 *
 *     make fuzz && build-fuzz/fuzz_corpus -max_total_time=300 fuzz/corpus/corpus
 *
 * Each input is one corpus file's bytes (plain or gzip), put in a memfd and
 * opened through /proc/self/fd so no disk is touched. Besides "no crash, no
 * leak", the harness checks what it can cheaply (abort on failure):
 *   - emb_stream_read_corpus succeeds or fails with a status and a message;
 *     on success every decoded id is inside the vocabulary, the decoded
 *     token count matches n_tokens and the vocabulary counts, and reading
 *     again with that vocabulary fixed gives the same stream;
 *   - for input that is not gzip, emb_reader_line's lines joined with '\n'
 *     are the input again;
 *   - emb_corpus_next's tokens are 1..EMB_MAX_TOKEN_BYTES bytes without
 *     ASCII whitespace or NUL, and for plain input they are exactly the
 *     tokens and line ends io.h describes (see check_tokens). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emb/io.h"
#include "emb/stream.h"

static int g_fd = -1;
static char g_path[64];

static void setup(void) {
    g_fd = memfd_create("fuzz_corpus", 0);
    if (g_fd < 0) abort();
    snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
}

#define REQUIRE(c)                                                              \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "fuzz_corpus: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* A failed call must say why: a negative status and a message. */
static void require_error(int rc, const struct emb_err *err) {
    REQUIRE(rc < 0);
    REQUIRE(err->code == rc && err->msg[0] != '\0');
}

/* Decode every chunk of s; returns the token count, and a hash of the ids
 * in order (so two streams can be compared). Ids must be < n_vocab. */
static int64_t decode(const struct emb_stream *s, int32_t n_vocab, uint64_t *hash) {
    int32_t buf[64];
    int64_t n = 0;
    uint64_t h = 1469598103934665603ULL;
    for (int64_t c = 0; c < emb_stream_n_chunks(s); c++) {
        struct emb_stream_cursor cur;
        emb_stream_chunk(s, c, &cur);
        int64_t k;
        while ((k = emb_stream_next_sentence(&cur, buf, 64)) >= 0) {
            REQUIRE(k >= 1 && k <= 64);
            for (int64_t i = 0; i < k; i++) {
                REQUIRE(buf[i] >= 0 && buf[i] < n_vocab);
                h = (h ^ (uint64_t)buf[i]) * 1099511628211ULL;
            }
            h = (h ^ 0xFFFFu) * 1099511628211ULL; /* piece boundary */
            n += k;
        }
    }
    *hash = h;
    return n;
}

static void check_stream(void) {
    struct emb_err err = {0};
    struct emb_corpus_params p = emb_corpus_default_params();
    p.min_count = 1;
    p.chunk_tokens = 16; /* many chunks even for small inputs */
    struct emb_vocab *v = NULL;
    struct emb_stream *s = NULL;
    int rc = emb_stream_read_corpus(g_path, NULL, &p, &v, &s, &err);
    if (rc != EMB_OK) {
        require_error(rc, &err);
        REQUIRE(v == NULL && s == NULL);
        return;
    }
    int32_t n_vocab = emb_vocab_size(v);
    REQUIRE(n_vocab >= 1);
    int64_t total = 0;
    for (int32_t i = 0; i < n_vocab; i++) {
        REQUIRE(emb_vocab_count(v, i) >= 1);
        if (i > 0) REQUIRE(emb_vocab_count(v, i - 1) >= emb_vocab_count(v, i));
        const char *w = emb_vocab_word(v, i);
        REQUIRE(emb_vocab_find(v, w, strlen(w)) == i);
        total += emb_vocab_count(v, i);
    }
    REQUIRE(total == emb_vocab_total(v));
    uint64_t h1, h2;
    int64_t n1 = decode(s, n_vocab, &h1);
    /* min_count 1 keeps every token. */
    REQUIRE(n1 == emb_stream_n_tokens(s) && n1 == total);

    /* The same corpus through the vocabulary as a fixed one. */
    struct emb_stream *s2 = NULL;
    struct emb_vocab *none = NULL;
    rc = emb_stream_read_corpus(g_path, v, &p, &none, &s2, &err);
    REQUIRE(rc == EMB_OK && none == NULL);
    int64_t n2 = decode(s2, n_vocab, &h2);
    REQUIRE(n2 == n1 && h2 == h1);
    REQUIRE(emb_stream_n_chunks(s2) == emb_stream_n_chunks(s));
    REQUIRE(emb_stream_n_sentences(s2) == emb_stream_n_sentences(s));
    emb_stream_free(s2);
    emb_stream_free(s);
    emb_vocab_free(v);
}

static void check_lines(const uint8_t *data, size_t size) {
    struct emb_err err = {0};
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, g_path, &err);
    REQUIRE(rc == EMB_OK);
    /* zlib passes non-gzip input through unchanged. */
    int plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b);
    size_t at = 0;
    char *line;
    size_t len;
    while ((rc = emb_reader_line(r, &line, &len, &err)) == 1) {
        REQUIRE(line[len] == '\0');
        if (plain) {
            REQUIRE(at + len <= size && memcmp(line, data + at, len) == 0);
            at += len;
            REQUIRE(at == size || data[at] == '\n');
            at += at < size;
        }
    }
    if (plain) REQUIRE(rc == 0 && at == size);
    else if (rc < 0) require_error(rc, &err);
    REQUIRE(emb_reader_line(r, &line, &len, &err) <= 0);
    emb_reader_close(r);
}

static int is_space(uint8_t b) { return b == ' ' || b == '\t' || b == '\v' || b == '\f' || b == '\r'; }

/* Tokens against io.h's contract. For plain input the expected sequence
 * is computed here: tokens split on ASCII whitespace, EOL after each line
 * that had tokens, tokens over EMB_MAX_TOKEN_BYTES cut to a prefix of
 * 997..1000 bytes (a character boundary), EMB_EFORMAT at the first NUL,
 * before the token that touches it. */
static void check_tokens(const uint8_t *data, size_t size) {
    struct emb_err err = {0};
    struct emb_corpus *c = NULL;
    int rc = emb_corpus_open(&c, g_path, &err);
    REQUIRE(rc == EMB_OK);
    int plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b);
    const uint8_t *nul = memchr(data, 0, size);
    size_t stop = nul ? (size_t)(nul - data) : size, at = 0;
    int line_has_tokens = 0;
    const char *tok;
    size_t len;
    while ((rc = emb_corpus_next(c, &tok, &len, &err)) > 0) {
        if (rc == EMB_TOK_WORD) {
            REQUIRE(len >= 1 && len <= EMB_MAX_TOKEN_BYTES);
            for (size_t i = 0; i < len; i++) REQUIRE(!memchr(" \t\n\v\f\r", tok[i], 7)); /* 7: NUL too */
        }
        if (!plain) continue;
        /* The next expected item in data[at, stop). */
        while (at < stop && (is_space(data[at]) || (data[at] == '\n' && !line_has_tokens))) at++;
        if (at < stop && data[at] == '\n') {
            REQUIRE(rc == EMB_TOK_EOL);
            line_has_tokens = 0;
            at++;
        } else if (at < stop) {
            size_t end = at;
            while (end < size && data[end] && data[end] != '\n' && !is_space(data[end])) end++;
            REQUIRE(end < stop || end == size); /* else the NUL error comes first */
            size_t n = end - at;
            REQUIRE(rc == EMB_TOK_WORD && len <= n && memcmp(tok, data + at, len) == 0);
            if (n <= EMB_MAX_TOKEN_BYTES) REQUIRE(len == n);
            else REQUIRE(len + 3 >= EMB_MAX_TOKEN_BYTES);
            line_has_tokens = 1;
            at = end;
        } else {
            /* End of the text (no NUL): the last line's EOL. */
            REQUIRE(!nul && rc == EMB_TOK_EOL && line_has_tokens);
            line_has_tokens = 0;
        }
    }
    if (rc < 0) require_error(rc, &err);
    if (plain) {
        if (nul) {
            REQUIRE(rc == EMB_EFORMAT);
        } else {
            REQUIRE(rc == EMB_TOK_EOF && !line_has_tokens);
            while (at < size && (is_space(data[at]) || data[at] == '\n')) at++;
            REQUIRE(at == size);
        }
    }
    emb_corpus_close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_fd < 0) setup();
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != (ssize_t)size) abort();
    check_stream();
    check_lines(data, size);
    check_tokens(data, size);
    return 0;
}
