/* io_test.c -- readers (plain and gzip, lines, exact reads, fields), the
 * corpus tokenizer, atomic output files and the native header helpers.
 *
 * The tokenizer is checked twice: on small hand-written inputs whose tokens
 * are listed in the test, and on a ~1.5 MB generated corpus (every
 * whitespace class, UTF-8, tokens up to 3000 bytes, tokens straddling the
 * reader's 256 KB refills) against a few-line reference tokenizer written
 * here from io.h's description. Files live in a fresh directory under /tmp. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/io.h"
#include "emb/rng.h"
#include "test.h"

static char dir[64];

/* dir/name; four rotating buffers so a few paths can be alive at once. */
static const char *tmp(const char *name) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Files in dir whose name starts with prefix. */
static int count_prefixed(const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

/* Read every line of path and compare with the lines of `text` (n bytes):
 * a final line without '\n' counts, an empty file has no line. */
static int check_lines(const char *path, const char *text, size_t n) {
    struct emb_err err = {0};
    struct emb_reader *r = NULL;
    CHECK_OK(emb_reader_open(&r, path, &err));
    size_t at = 0;
    int64_t lineno = 0;
    char *line;
    size_t len;
    int rc;
    while ((rc = emb_reader_line(r, &line, &len, &err)) == 1) {
        lineno++;
        const char *nl = memchr(text + at, '\n', n - at);
        size_t want = nl ? (size_t)(nl - (text + at)) : n - at;
        if (at >= n || len != want || memcmp(line, text + at, len) != 0 || line[len] != '\0') {
            fprintf(stderr, "%s line %lld: got %zu bytes, want %zu\n", path, (long long)lineno, len, want);
            emb_reader_close(r);
            return 1;
        }
        at += want + (nl != NULL);
    }
    emb_reader_close(r);
    if (rc != 0 || at != n) {
        fprintf(stderr, "%s: rc %d after %lld lines, consumed %zu of %zu bytes (%s)\n", path, rc, (long long)lineno,
                at, n, err.msg);
        return 1;
    }
    /* After the end, reading again still says end. */
    return 0;
}

/* ---- readers --------------------------------------------------------- */

static int test_lines_small(void) {
    const char *cases[] = {
        "",                         /* empty file */
        "one line\n",               /* one line */
        "no newline at end",        /* last line without '\n' */
        "a\nb\n\nc\r\n\n",          /* empty lines, '\r' kept */
        "\n",                       /* one empty line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i]);
        CHECK(test_write_file(tmp("lines.txt"), cases[i], n) == 0);
        CHECK(test_write_gz(tmp("lines.txt.gz"), cases[i], n) == 0);
        if (check_lines(tmp("lines.txt"), cases[i], n) || check_lines(tmp("lines.txt.gz"), cases[i], n)) {
            fprintf(stderr, "case %zu\n", i);
            return 1;
        }
    }
    /* Embedded NUL bytes are kept and counted. */
    const char nul[] = "a\0b\nc";
    CHECK(test_write_file(tmp("nul.txt"), nul, sizeof nul - 1) == 0);
    struct emb_err err = {0};
    struct emb_reader *r = NULL;
    char *line;
    size_t len;
    CHECK_OK(emb_reader_open(&r, tmp("nul.txt"), &err));
    CHECK(emb_reader_line(r, &line, &len, &err) == 1);
    CHECK(len == 3 && memcmp(line, "a\0b", 3) == 0);
    CHECK(emb_reader_line(r, &line, &len, &err) == 1);
    CHECK(len == 1 && line[0] == 'c' && line[1] == '\0');
    CHECK(emb_reader_line(r, &line, &len, &err) == 0);
    CHECK(emb_reader_line(r, &line, &len, &err) == 0); /* stays at the end */
    CHECK(strcmp(emb_reader_path(r), tmp("nul.txt")) == 0);
    emb_reader_close(r);
    emb_reader_close(NULL);
    return 0;
}

/* Deterministic text: lines of varying length, one of them 5 MB. */
static char *make_big_text(size_t *n_out) {
    const size_t big = 5u << 20;
    size_t cap = big + (1u << 20), n = 0;
    char *t = malloc(cap);
    if (!t) return NULL;
    struct emb_rng r;
    emb_rng_seed(&r, 11, 0);
    for (int line = 0; line < 2000; line++) {
        size_t len = line == 700 ? big : emb_rng_below(&r, 300);
        for (size_t i = 0; i < len; i++) t[n++] = (char)('a' + emb_rng_below(&r, 26));
        t[n++] = '\n';
    }
    t[n - 1] = 'z'; /* no final newline */
    *n_out = n;
    return t;
}

static int test_lines_big(void) {
    size_t n;
    char *text = make_big_text(&n);
    CHECK(text);
    int bad = test_write_file(tmp("big.txt"), text, n) || test_write_gz(tmp("big.txt.gz"), text, n);
    bad = bad || check_lines(tmp("big.txt"), text, n) || check_lines(tmp("big.txt.gz"), text, n);
    /* Progress of a plain file read to the end is 1 (gzip: close to 1). */
    if (!bad) {
        struct emb_err err = {0};
        struct emb_reader *r = NULL;
        char *line;
        size_t len;
        bad = emb_reader_open(&r, tmp("big.txt"), &err) != EMB_OK;
        if (!bad) {
            double p0 = emb_reader_progress(r);
            while (emb_reader_line(r, &line, &len, &err) == 1) {}
            double p1 = emb_reader_progress(r);
            bad = !(p0 >= 0 && p0 < 0.1 && p1 > 0.99 && p1 <= 1.0);
            if (bad) fprintf(stderr, "progress %g -> %g\n", p0, p1);
        }
        emb_reader_close(r);
    }
    unlink(tmp("big.txt"));
    unlink(tmp("big.txt.gz"));
    free(text);
    return bad;
}

static int test_read_exact(void) {
    struct emb_err err = {0};
    unsigned char data[1000];
    for (int i = 0; i < 1000; i++) data[i] = (unsigned char)(i * 37 + 5);
    for (int gz = 0; gz <= 1; gz++) {
        const char *path = tmp(gz ? "bin.gz" : "bin");
        CHECK((gz ? test_write_gz(path, data, sizeof data) : test_write_file(path, data, sizeof data)) == 0);
        struct emb_reader *r = NULL;
        CHECK_OK(emb_reader_open(&r, path, &err));
        unsigned char buf[1000];
        size_t got = 12345;
        CHECK_OK(emb_reader_read(r, buf, 10, &got, &err));
        CHECK(got == 10 && memcmp(buf, data, 10) == 0);
        CHECK(emb_reader_getc(r) == data[10]);
        CHECK_OK(emb_reader_read(r, buf, 0, &got, &err));
        CHECK(got == 0);
        CHECK_OK(emb_reader_read(r, buf, 900, NULL, &err));
        CHECK(memcmp(buf, data + 11, 900) == 0);
        /* 89 bytes remain: asking for 100 is EMB_EFORMAT with got = 89. */
        err.code = 0;
        CHECK(emb_reader_read(r, buf, 100, &got, &err) == EMB_EFORMAT);
        CHECK(got == 89 && memcmp(buf, data + 911, 89) == 0);
        CHECK(err.code == EMB_EFORMAT && strstr(err.msg, "end of file"));
        CHECK(emb_reader_getc(r) == -1);
        CHECK(emb_reader_read(r, buf, 1, &got, &err) == EMB_EFORMAT && got == 0);
        emb_reader_close(r);
    }
    return 0;
}

static int test_fields(void) {
    struct emb_err err = {0};
    struct emb_reader *r = NULL;
    char *f;
    size_t len;
    /* word2vec binary style: "word " then raw bytes, mixed with fields. */
    const char text[] = "abc def  ghi\x01\x02\x03\x04\nlast";
    CHECK(test_write_file(tmp("fields"), text, sizeof text - 1) == 0);
    CHECK_OK(emb_reader_open(&r, tmp("fields"), &err));
    CHECK(emb_reader_field(r, ' ', 100, &f, &len, &err) == 1);
    CHECK(len == 3 && strcmp(f, "abc") == 0);
    CHECK(emb_reader_field(r, ' ', 3, &f, &len, &err) == 1); /* exactly max bytes */
    CHECK(len == 3 && strcmp(f, "def") == 0);
    CHECK(emb_reader_field(r, ' ', 100, &f, &len, &err) == 1); /* empty field */
    CHECK(len == 0 && f[0] == '\0');
    CHECK(emb_reader_field(r, '\x01', 100, &f, &len, &err) == 1);
    CHECK(len == 3 && strcmp(f, "ghi") == 0);
    unsigned char b[3];
    CHECK_OK(emb_reader_read(r, b, 3, NULL, &err));
    CHECK(b[0] == 2 && b[1] == 3 && b[2] == 4);
    CHECK(emb_reader_getc(r) == '\n');
    /* "last" has no delimiter before the end: EMB_EFORMAT. */
    CHECK(emb_reader_field(r, ' ', 100, &f, &len, &err) == EMB_EFORMAT);
    emb_reader_close(r);

    /* At the very end: 0. */
    CHECK(test_write_file(tmp("fields"), "x y ", 4) == 0);
    CHECK_OK(emb_reader_open(&r, tmp("fields"), &err));
    CHECK(emb_reader_field(r, ' ', 10, &f, &len, &err) == 1 && strcmp(f, "x") == 0);
    CHECK(emb_reader_field(r, ' ', 10, &f, &len, &err) == 1 && strcmp(f, "y") == 0);
    CHECK(emb_reader_field(r, ' ', 10, &f, &len, &err) == 0);
    emb_reader_close(r);

    /* Too long: max + 1 bytes before the delimiter, both inside the window
     * and when the field never ends. */
    CHECK(test_write_file(tmp("fields"), "abcd efg", 8) == 0);
    CHECK_OK(emb_reader_open(&r, tmp("fields"), &err));
    err.code = 0;
    CHECK(emb_reader_field(r, ' ', 3, &f, &len, &err) == EMB_EFORMAT);
    CHECK(err.code == EMB_EFORMAT && strstr(err.msg, "longer than 3"));
    emb_reader_close(r);
    {
        size_t n = 600000; /* longer than two refills */
        char *big = malloc(n + 1);
        CHECK(big);
        memset(big, 'q', n);
        big[n - 1] = ' ';
        int bad = test_write_file(tmp("fields"), big, n) != 0;
        free(big);
        CHECK(!bad);
        CHECK_OK(emb_reader_open(&r, tmp("fields"), &err));
        CHECK(emb_reader_field(r, ' ', 1000, &f, &len, &err) == EMB_EFORMAT);
        emb_reader_close(r);
        CHECK_OK(emb_reader_open(&r, tmp("fields"), &err));
        CHECK(emb_reader_field(r, ' ', n, &f, &len, &err) == 1);
        CHECK(len == n - 1 && f[0] == 'q' && f[n - 2] == 'q' && f[n - 1] == '\0');
        CHECK(emb_reader_field(r, ' ', n, &f, &len, &err) == 0);
        emb_reader_close(r);
    }
    unlink(tmp("fields"));
    return 0;
}

static int test_open_errors(void) {
    struct emb_err err = {0};
    struct emb_reader *r = (struct emb_reader *)&err;
    CHECK(emb_reader_open(&r, tmp("missing.txt"), &err) == EMB_EIO);
    CHECK(r == NULL && strstr(err.msg, "missing.txt"));
    CHECK(emb_reader_open(&r, dir, &err) == EMB_EIO); /* a directory */
    CHECK(r == NULL);
    struct emb_corpus *c = (struct emb_corpus *)&err;
    CHECK(emb_corpus_open(&c, tmp("missing.txt"), &err) == EMB_EIO);
    CHECK(c == NULL);
    emb_corpus_close(NULL);
    return 0;
}

/* Compressible but not trivial text of about n bytes. */
static char *make_words(size_t n, uint64_t seed) {
    char *t = malloc(n + 1);
    if (!t) return NULL;
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = emb_rng_below(&r, 40);
        t[i] = x < 26 ? (char)('a' + x) : x < 36 ? ' ' : x < 39 ? '\n' : '\t';
    }
    t[n] = '\0';
    return t;
}

/* Every way of reading a damaged gzip file ends in an error code. */
static int expect_gz_error(const char *path, const char *what) {
    struct emb_err err = {0};
    struct emb_reader *r = NULL;
    char *line;
    size_t len;
    int rc;
    CHECK_OK(emb_reader_open(&r, path, &err));
    while ((rc = emb_reader_line(r, &line, &len, &err)) == 1) {}
    emb_reader_close(r);
    if (rc >= 0) {
        fprintf(stderr, "%s: emb_reader_line ended with %d, want an error\n", what, rc);
        return 1;
    }
    CHECK(rc == EMB_EFORMAT || rc == EMB_EIO);
    CHECK(err.code == rc && err.msg[0]);

    static char buf[1 << 20];
    CHECK_OK(emb_reader_open(&r, path, &err));
    size_t got;
    rc = emb_reader_read(r, buf, sizeof buf, &got, &err);
    emb_reader_close(r);
    if (rc >= 0) {
        fprintf(stderr, "%s: emb_reader_read gave %d\n", what, rc);
        return 1;
    }

    struct emb_corpus *c = NULL;
    const char *tok;
    CHECK_OK(emb_corpus_open(&c, path, &err));
    while ((rc = emb_corpus_next(c, &tok, &len, &err)) > 0) {}
    emb_corpus_close(c);
    if (rc >= 0) {
        fprintf(stderr, "%s: emb_corpus_next ended with %d, want an error\n", what, rc);
        return 1;
    }
    return 0;
}

static int test_damaged_gzip(void) {
    size_t n = 400000;
    char *text = make_words(n, 5);
    CHECK(text);
    int bad = test_write_gz(tmp("full.gz"), text, n) != 0;
    free(text);
    CHECK(!bad);
    size_t gz_n;
    char *gz = test_read_all(tmp("full.gz"), &gz_n);
    CHECK(gz && gz_n > 1000);
    /* Cut at several places: inside the deflate data, inside the 8-byte
     * trailer, and inside the 10-byte header (after the magic). */
    const size_t cuts[] = {gz_n / 2, gz_n - 3, gz_n - 8, 200, 12, 5};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "gzip cut to %zu of %zu bytes", cuts[i], gz_n);
        if (test_write_file(tmp("cut.gz"), gz, cuts[i]) || expect_gz_error(tmp("cut.gz"), what)) {
            free(gz);
            return 1;
        }
    }
    /* Corrupt bytes in the middle: a data or CRC error. */
    for (size_t k = 0; k < 64; k++) gz[gz_n / 2 + k] ^= 0x5a;
    bad = test_write_file(tmp("cut.gz"), gz, gz_n) || expect_gz_error(tmp("cut.gz"), "corrupt gzip");
    /* A wrong CRC in the trailer. */
    for (size_t k = 0; k < 64; k++) gz[gz_n / 2 + k] ^= 0x5a;
    gz[gz_n - 6] ^= 1;
    bad = bad || test_write_file(tmp("cut.gz"), gz, gz_n) || expect_gz_error(tmp("cut.gz"), "bad gzip CRC");
    free(gz);
    unlink(tmp("full.gz"));
    unlink(tmp("cut.gz"));
    return bad;
}

/* ---- corpus tokens --------------------------------------------------- */

/* Tokenize a file; expected is a list of tokens where "\n" stands for
 * EMB_TOK_EOL, ending with NULL. */
static int expect_tokens(const char *text, size_t n, const char *const *want, const char *what) {
    struct emb_err err = {0};
    CHECK(test_write_file(tmp("tok.txt"), text, n) == 0);
    struct emb_corpus *c = NULL;
    CHECK_OK(emb_corpus_open(&c, tmp("tok.txt"), &err));
    const char *tok;
    size_t len;
    int k = 0, rc;
    for (;; k++) {
        rc = emb_corpus_next(c, &tok, &len, &err);
        const char *w = want[k];
        int ok = w == NULL ? rc == EMB_TOK_EOF
                 : strcmp(w, "\n") == 0 ? rc == EMB_TOK_EOL
                                        : rc == EMB_TOK_WORD && len == strlen(w) && memcmp(tok, w, len) == 0;
        if (!ok) {
            fprintf(stderr, "%s: token %d: got rc %d '%.*s', want '%s'\n", what, k, rc,
                    rc == EMB_TOK_WORD ? (int)len : 0, rc == EMB_TOK_WORD ? tok : "", w ? w : "(EOF)");
            emb_corpus_close(c);
            return 1;
        }
        if (!w) break;
    }
    /* EOF is sticky. */
    rc = emb_corpus_next(c, &tok, &len, &err);
    emb_corpus_close(c);
    CHECK(rc == EMB_TOK_EOF);
    return 0;
}

#define TOKS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int test_tokens_small(void) {
    const char *t1 = "a\tb\vc\fd\re f\n";
    CHECK(expect_tokens(t1, strlen(t1), TOKS("a", "b", "c", "d", "e", "f", "\n"), "whitespace classes") == 0);
    const char *t2 = "\n\n  \t\n\r\n";
    CHECK(expect_tokens(t2, strlen(t2), (const char *const[]){NULL}, "blank lines") == 0);
    CHECK(expect_tokens("", 0, (const char *const[]){NULL}, "empty file") == 0);
    const char *t3 = "x\n\n \ny z";
    CHECK(expect_tokens(t3, strlen(t3), TOKS("x", "\n", "y", "z", "\n"), "EOL only after tokens") == 0);
    const char *t4 = "  lead trail  \r\n";
    CHECK(expect_tokens(t4, strlen(t4), TOKS("lead", "trail", "\n"), "CRLF") == 0);
    const char *t5 = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e na\xc3\xafve\xc2\xa0x \xf0\x9f\x98\x80!\n";
    /* U+00A0 (no-break space) is not ASCII whitespace: it stays in the token. */
    CHECK(expect_tokens(t5, strlen(t5),
                        TOKS("caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "na\xc3\xafve\xc2\xa0x",
                             "\xf0\x9f\x98\x80!", "\n"),
                        "UTF-8") == 0);
    const char t6[] = "\x01\x7f\xff \x1b[0m\n";
    CHECK(expect_tokens(t6, sizeof t6 - 1, TOKS("\x01\x7f\xff", "\x1b[0m", "\n"), "other bytes") == 0);
    return 0;
}

/* A NUL anywhere is EMB_EFORMAT, after the tokens before it. */
static int test_tokens_nul(void) {
    struct emb_err err = {0};
    struct {
        const char *text;
        size_t n, n_ok; /* bytes, tokens (incl. EOL) before the error */
    } cases[] = {
        {"\0abc", 4, 0},       /* first byte */
        {"ab \0cd\n", 7, 1},   /* between tokens */
        {"ab\0cd\n", 6, 0},    /* inside a token */
        {"ab\ncd\0", 6, 2},    /* at the end of the file */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(test_write_file(tmp("nul.txt"), cases[i].text, cases[i].n) == 0);
        struct emb_corpus *c = NULL;
        CHECK_OK(emb_corpus_open(&c, tmp("nul.txt"), &err));
        const char *tok;
        size_t len, k = 0;
        int rc;
        while ((rc = emb_corpus_next(c, &tok, &len, &err)) > 0) k++;
        emb_corpus_close(c);
        if (rc != EMB_EFORMAT || k != cases[i].n_ok || !strstr(err.msg, "NUL")) {
            fprintf(stderr, "NUL case %zu: rc %d after %zu tokens (%s)\n", i, rc, k, err.msg);
            return 1;
        }
    }
    /* Inside a long token (the slow path), and deep into a big file. */
    size_t n = 700000;
    char *t = malloc(n);
    CHECK(t);
    for (size_t i = 0; i < n; i++) t[i] = i % 50 == 49 ? ' ' : 'k';
    memset(t + 300000, 'L', 5000);
    t[302000] = '\0';
    int bad = test_write_file(tmp("nul.txt"), t, n);
    free(t);
    CHECK(!bad);
    struct emb_corpus *c = NULL;
    CHECK_OK(emb_corpus_open(&c, tmp("nul.txt"), &err));
    const char *tok;
    size_t len;
    int rc;
    while ((rc = emb_corpus_next(c, &tok, &len, &err)) > 0) {}
    emb_corpus_close(c);
    CHECK(rc == EMB_EFORMAT);
    unlink(tmp("nul.txt"));
    return 0;
}

/* Is p[0..n) valid UTF-8 (structurally)? */
static int utf8_valid(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t need = p[i] < 0x80 ? 1 : p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : p[i] >= 0xC0 ? 2 : 0;
        if (need == 0 || i + need > n) return 0;
        for (size_t k = 1; k < need; k++)
            if ((p[i + k] & 0xC0) != 0x80) return 0;
        i += need;
    }
    return 1;
}

/* Long tokens are cut to at most EMB_MAX_TOKEN_BYTES at a character
 * boundary: the longest whole-character prefix that fits. */
static int test_tokens_long(void) {
    struct emb_err err = {0};
    const char *chars[] = {"\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "a"};
    for (size_t ci = 0; ci < sizeof chars / sizeof chars[0]; ci++)
        for (int prefix = 0; prefix < 4; prefix++) {
            /* prefix ASCII bytes, then multi-byte chars up to ~3000 bytes. */
            size_t cl = strlen(chars[ci]), n = 0;
            char text[3100];
            for (int i = 0; i < prefix; i++) text[n++] = 'p';
            while (n + cl <= 3000) {
                memcpy(text + n, chars[ci], cl);
                n += cl;
            }
            size_t tok_n = n;
            memcpy(text + n, " next\n", 6);
            n += 6;
            /* Expected: prefix + as many whole chars as fit in the limit. */
            size_t want = (size_t)prefix + (EMB_MAX_TOKEN_BYTES - (size_t)prefix) / cl * cl;
            CHECK(tok_n > EMB_MAX_TOKEN_BYTES);
            CHECK(test_write_file(tmp("long.txt"), text, n) == 0);
            struct emb_corpus *c = NULL;
            CHECK_OK(emb_corpus_open(&c, tmp("long.txt"), &err));
            const char *tok;
            size_t len;
            int rc = emb_corpus_next(c, &tok, &len, &err);
            int ok = rc == EMB_TOK_WORD && len == want && memcmp(tok, text, len) == 0 &&
                     utf8_valid((const unsigned char *)tok, len);
            if (!ok)
                fprintf(stderr, "long token of '%s' x%zu after %d ASCII: rc %d len %zu, want %zu\n", chars[ci],
                        (tok_n - (size_t)prefix) / cl, prefix, rc, len, want);
            /* The rest of the long token is skipped, not returned. */
            ok = ok && emb_corpus_next(c, &tok, &len, &err) == EMB_TOK_WORD && len == 4 &&
                 memcmp(tok, "next", 4) == 0;
            ok = ok && emb_corpus_next(c, &tok, &len, &err) == EMB_TOK_EOL;
            ok = ok && emb_corpus_next(c, &tok, &len, &err) == EMB_TOK_EOF;
            emb_corpus_close(c);
            if (!ok) {
                fprintf(stderr, "long token case '%s' prefix %d failed\n", chars[ci], prefix);
                return 1;
            }
        }
    /* Exactly EMB_MAX_TOKEN_BYTES is kept whole. */
    char text[EMB_MAX_TOKEN_BYTES + 2];
    memset(text, 'w', EMB_MAX_TOKEN_BYTES);
    text[EMB_MAX_TOKEN_BYTES] = '\n';
    struct emb_corpus *c = NULL;
    CHECK(test_write_file(tmp("long.txt"), text, EMB_MAX_TOKEN_BYTES + 1) == 0);
    CHECK_OK(emb_corpus_open(&c, tmp("long.txt"), &err));
    const char *tok;
    size_t len;
    CHECK(emb_corpus_next(c, &tok, &len, &err) == EMB_TOK_WORD);
    CHECK(len == EMB_MAX_TOKEN_BYTES);
    emb_corpus_close(c);
    unlink(tmp("long.txt"));
    return 0;
}

/* Regression: a token of exactly EMB_MAX_TOKEN_BYTES is not "longer than"
 * the limit, so it is returned whole, even when its last byte is a lone
 * UTF-8 lead byte -- at the end of the file, before a space, or across the
 * reader's 256 KB refill. (io.c's slow path used to cut it to 999 bytes
 * while the fast path kept 1000, so one token read two ways.) */
static int test_tokens_exact_limit(void) {
    struct emb_err err = {0};
    const size_t window = 1u << 18; /* io.c's READ_CHUNK */
    size_t n = window + 4096;
    char *text = malloc(n);
    CHECK(text);
    char tokbytes[EMB_MAX_TOKEN_BYTES];
    memset(tokbytes, 'a', EMB_MAX_TOKEN_BYTES - 1);
    tokbytes[EMB_MAX_TOKEN_BYTES - 1] = (char)0xc3;
    /* where: 0 = alone at EOF, 1 = followed by a space, 2 = across the refill */
    int bad = 0;
    for (int where = 0; where < 3 && !bad; where++) {
        size_t at = where == 2 ? window - 300 : 0, total;
        memset(text, ' ', n);
        memcpy(text + at, tokbytes, EMB_MAX_TOKEN_BYTES);
        total = where == 0 ? EMB_MAX_TOKEN_BYTES : where == 1 ? EMB_MAX_TOKEN_BYTES + 1 : n;
        struct emb_corpus *c = NULL;
        bad = test_write_file(tmp("exact.txt"), text, total) != 0 || emb_corpus_open(&c, tmp("exact.txt"), &err) != EMB_OK;
        const char *tok;
        size_t len = 0;
        int rc = bad ? -1 : emb_corpus_next(c, &tok, &len, &err);
        if (!bad && (rc != EMB_TOK_WORD || len != EMB_MAX_TOKEN_BYTES || memcmp(tok, tokbytes, len) != 0)) {
            fprintf(stderr, "exact-limit token (case %d): rc %d len %zu, want %d\n", where, rc, len,
                    EMB_MAX_TOKEN_BYTES);
            bad = 1;
        }
        emb_corpus_close(c);
    }
    free(text);
    unlink(tmp("exact.txt"));
    return bad;
}

/* A generated corpus against a reference tokenizer, plain and gzip. */
static int test_tokens_random(void) {
    static const char *const spaces[] = {" ", "\t", "\v", "\f", "\r", "  ", " \r"};
    static const char *const chars[] = {"a", "b", "z", "0", ".", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80"};
    struct emb_err err = {0};
    struct emb_rng r;
    emb_rng_seed(&r, 77, 0);
    size_t cap = 2u << 20, n = 0;
    char *text = malloc(cap);
    /* Expected tokens, each as (offset in text, length); length 0 = EOL. */
    size_t max_tok = cap / 2;
    size_t *off = malloc(max_tok * sizeof *off), *tlen = malloc(max_tok * sizeof *tlen), n_tok = 0;
    CHECK(text && off && tlen);
    while (n < (3u << 19)) {
        int line_tokens = 0, n_words = (int)emb_rng_below(&r, 12);
        if (emb_rng_below(&r, 2)) n += (size_t)sprintf(text + n, "%s", spaces[emb_rng_below(&r, 7)]);
        for (int w = 0; w < n_words; w++) {
            uint64_t kind = emb_rng_below(&r, 200);
            size_t len_chars = kind == 0 ? 1000 + emb_rng_below(&r, 2000) : 1 + emb_rng_below(&r, kind < 20 ? 60 : 8);
            size_t start = n;
            for (size_t k = 0; k < len_chars; k++) {
                const char *ch = chars[emb_rng_below(&r, 8)];
                size_t cl = strlen(ch);
                memcpy(text + n, ch, cl);
                n += cl;
            }
            /* Reference cut: longest whole-character prefix within the limit. */
            size_t len = n - start;
            if (len > EMB_MAX_TOKEN_BYTES) {
                size_t cut = 0;
                for (size_t k = start; k < n;) {
                    unsigned char b = (unsigned char)text[k];
                    size_t cl = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                    if (cut + cl > EMB_MAX_TOKEN_BYTES) break;
                    cut += cl;
                    k += cl;
                }
                len = cut;
            }
            off[n_tok] = start;
            tlen[n_tok++] = len;
            line_tokens++;
            n += (size_t)sprintf(text + n, "%s", spaces[emb_rng_below(&r, 7)]);
        }
        text[n++] = '\n';
        if (line_tokens) {
            off[n_tok] = 0;
            tlen[n_tok++] = 0;
        }
    }
    int bad = 0;
    for (int gz = 0; gz <= 1 && !bad; gz++) {
        const char *path = tmp(gz ? "rand.txt.gz" : "rand.txt");
        bad = gz ? test_write_gz(path, text, n) : test_write_file(path, text, n);
        struct emb_corpus *c = NULL;
        bad = bad || emb_corpus_open(&c, path, &err) != EMB_OK;
        for (size_t k = 0; !bad && k <= n_tok; k++) {
            const char *tok;
            size_t len;
            int rc = emb_corpus_next(c, &tok, &len, &err);
            if (k == n_tok) bad = rc != EMB_TOK_EOF;
            else if (tlen[k] == 0) bad = rc != EMB_TOK_EOL;
            else bad = rc != EMB_TOK_WORD || len != tlen[k] || memcmp(tok, text + off[k], len) != 0;
            if (bad)
                fprintf(stderr, "%s: token %zu of %zu (offset %zu): rc %d len %zu, want len %zu\n", path, k, n_tok,
                        off[k < n_tok ? k : 0], rc, rc == EMB_TOK_WORD ? len : 0, k < n_tok ? tlen[k] : 0);
        }
        /* Progress reaches the end of the file. */
        if (!bad && !gz) bad = emb_reader_progress(emb_corpus_reader(c)) < 0.99;
        emb_corpus_close(c);
        unlink(path);
    }
    free(text);
    free(off);
    free(tlen);
    return bad;
}

/* ---- atomic output --------------------------------------------------- */

static int test_outfile(void) {
    struct emb_err err = {0};
    const char *path = tmp("out.txt");
    struct emb_outfile *o = NULL;
    CHECK_OK(emb_outfile_open(&o, path, &err));
    fprintf(emb_outfile_stream(o), "hello %d\n", 42);
    fflush(emb_outfile_stream(o));
    /* Before commit: no PATH, one temporary beside it. */
    CHECK(!test_exists(path));
    CHECK(count_prefixed(".out.txt.emb-tmp.") == 1);
    CHECK_OK(emb_outfile_commit(o, &err));
    CHECK(test_exists(path) && count_prefixed(".out.txt.emb-tmp.") == 0);
    size_t n;
    char *s = test_read_all(path, &n);
    CHECK(s && strcmp(s, "hello 42\n") == 0);
    free(s);
    /* Permissions are the usual 0666 & ~umask, not mkstemp's 0600. */
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask));

    /* Replacing an existing file: the old content stays until commit. */
    CHECK_OK(emb_outfile_open(&o, path, &err));
    fputs("new content\n", emb_outfile_stream(o));
    fflush(emb_outfile_stream(o));
    s = test_read_all(path, &n);
    CHECK(s && strcmp(s, "hello 42\n") == 0);
    free(s);
    CHECK_OK(emb_outfile_commit(o, &err));
    s = test_read_all(path, &n);
    CHECK(s && strcmp(s, "new content\n") == 0);
    free(s);

    /* Abort: no file, no temporary, the existing file untouched. */
    CHECK_OK(emb_outfile_open(&o, tmp("aborted.txt"), &err));
    fputs("never", emb_outfile_stream(o));
    emb_outfile_abort(o);
    CHECK(!test_exists(tmp("aborted.txt")) && count_prefixed("aborted.txt") == 0);
    CHECK_OK(emb_outfile_open(&o, path, &err));
    fputs("never", emb_outfile_stream(o));
    emb_outfile_abort(o);
    s = test_read_all(path, &n);
    CHECK(s && strcmp(s, "new content\n") == 0);
    free(s);
    CHECK(count_prefixed(".out.txt.emb-tmp.") == 0);
    emb_outfile_abort(NULL);

    /* A missing directory: EMB_EIO, nothing created. */
    o = (struct emb_outfile *)&err;
    CHECK(emb_outfile_open(&o, tmp("no-such-dir/out.txt"), &err) == EMB_EIO);
    CHECK(o == NULL && strstr(err.msg, "no-such-dir"));
    /* PATH is a directory: refused at open. */
    CHECK(mkdir(tmp("isdir"), 0700) == 0);
    CHECK(test_write_file(tmp("isdir/keep"), "k", 1) == 0);
    CHECK(emb_outfile_open(&o, tmp("isdir"), &err) == EMB_EIO && strstr(err.msg, "directory"));
    CHECK(emb_output_check(tmp("isdir"), &err) == EMB_EIO);
    /* Commit that cannot rename (PATH became a non-empty directory after
     * open): EMB_EIO with the reason, the temporary removed, the directory
     * untouched. */
    CHECK_OK(emb_outfile_open(&o, tmp("later"), &err));
    fputs("data", emb_outfile_stream(o));
    CHECK(mkdir(tmp("later"), 0700) == 0);
    CHECK(test_write_file(tmp("later/keep"), "k", 1) == 0);
    err.code = 0;
    CHECK(emb_outfile_commit(o, &err) == EMB_EIO);
    CHECK(err.code == EMB_EIO && strstr(err.msg, "later") && strstr(err.msg, ": "));
    CHECK(count_prefixed(".later.emb-tmp.") == 0 && test_exists(tmp("later/keep")));
    unlink(tmp("later/keep"));
    rmdir(tmp("later"));
    unlink(tmp("isdir/keep"));
    rmdir(tmp("isdir"));
    unlink(path);
    return 0;
}

/* Write text through emb_outfile; 0 on success. */
static int put(const char *path, const char *text) {
    struct emb_outfile *o = NULL;
    struct emb_err err = {0};
    if (emb_outfile_open(&o, path, &err) != EMB_OK) return 1;
    fputs(text, emb_outfile_stream(o));
    return emb_outfile_commit(o, &err) != EMB_OK;
}

static int has(const char *path, const char *text) {
    size_t n;
    char *s = test_read_all(path, &n);
    int ok = s && strcmp(s, text) == 0;
    free(s);
    return ok;
}

/* Devices and FIFOs are written through, symlinks followed, the mode kept,
 * hard links get a new inode, stale temporaries of dead processes go. */
static int test_outfile_hostile(void) {
    struct emb_err err = {0};
    struct stat st;
    char target[512];
    /* A symlink: the link stays a link, its target gets the data. */
    CHECK(test_write_file(tmp("real"), "old\n", 4) == 0);
    CHECK(symlink("real", tmp("link")) == 0);
    CHECK(put(tmp("link"), "new\n") == 0);
    CHECK(lstat(tmp("link"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(has(tmp("real"), "new\n"));
    /* A chain of links, and a dangling one (its target is created). */
    CHECK(symlink("link", tmp("link2")) == 0);
    CHECK(put(tmp("link2"), "chain\n") == 0 && has(tmp("real"), "chain\n"));
    CHECK(mkdir(tmp("sub"), 0700) == 0);
    CHECK(symlink("sub/made", tmp("dangling")) == 0);
    CHECK(put(tmp("dangling"), "made\n") == 0 && has(tmp("sub/made"), "made\n"));
    CHECK(lstat(tmp("dangling"), &st) == 0 && S_ISLNK(st.st_mode));
    /* A link into another directory: the temporary goes there (rename
     * cannot cross filesystems), none is left in either directory. */
    snprintf(target, sizeof target, "%s", tmp("sub/made"));
    CHECK(symlink(target, tmp("abs")) == 0);
    CHECK(put(tmp("abs"), "abs\n") == 0 && has(tmp("sub/made"), "abs\n"));
    CHECK(count_prefixed(".abs.") == 0 && count_prefixed(".made.") == 0);
    /* Same-file checks, in several spellings. */
    CHECK(emb_output_same_file(tmp("link"), tmp("real")) == 1);
    CHECK(emb_output_same_file(tmp("dangling"), tmp("sub/../sub/made")) == 1);
    CHECK(emb_output_same_file(tmp("new1"), tmp("sub/../new1")) == 1); /* neither exists */
    CHECK(emb_output_same_file(tmp("new1"), tmp("new2")) == 0);
    CHECK(emb_output_same_file("-", "-") == 1 && emb_output_same_file("-", tmp("real")) == 0);
    /* The mode of a replaced file is kept (0600 stays 0600, 0640 stays 0640). */
    CHECK(chmod(tmp("real"), 0600) == 0);
    CHECK(put(tmp("real"), "private\n") == 0);
    CHECK(stat(tmp("real"), &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(chmod(tmp("real"), 0640) == 0);
    CHECK(put(tmp("link"), "via link\n") == 0);
    CHECK(stat(tmp("real"), &st) == 0 && (st.st_mode & 07777) == 0640);
    /* A hard link: the output gets a new inode; the other name keeps the
     * old content (documented in io.h). */
    CHECK(link(tmp("real"), tmp("hard")) == 0);
    CHECK(put(tmp("real"), "replaced\n") == 0);
    CHECK(has(tmp("real"), "replaced\n") && has(tmp("hard"), "via link\n"));
    CHECK(emb_output_same_file(tmp("hard"), tmp("hard")) == 1);
    /* A FIFO is written through, and stays a FIFO. */
    CHECK(mkfifo(tmp("fifo"), 0600) == 0);
    int rfd = open(tmp("fifo"), O_RDWR); /* a reader, so open does not wait */
    CHECK(rfd >= 0);
    CHECK(put(tmp("fifo"), "through\n") == 0);
    char buf[16] = {0};
    CHECK(read(rfd, buf, sizeof buf - 1) == 8 && strcmp(buf, "through\n") == 0);
    close(rfd);
    CHECK(lstat(tmp("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(count_prefixed(".fifo.") == 0);
    CHECK_OK(emb_output_check(tmp("fifo"), &err));
    /* /dev/fd/N writes to descriptor N (its O_APPEND kept), the file
     * behind it is not replaced. */
    CHECK(test_write_file(tmp("app"), "one\n", 4) == 0);
    int afd = open(tmp("app"), O_WRONLY | O_APPEND);
    CHECK(afd >= 0 && fstat(afd, &st) == 0);
    ino_t ino = st.st_ino;
    char fdp[64];
    snprintf(fdp, sizeof fdp, "/dev/fd/%d", afd);
    CHECK_OK(emb_output_check(fdp, &err));
    CHECK(put(fdp, "two\n") == 0);
    close(afd);
    CHECK(has(tmp("app"), "one\ntwo\n") && stat(tmp("app"), &st) == 0 && st.st_ino == ino);
    unlink(tmp("app"));
    /* A character device (only checked, never written: the test must not
     * touch a system file); writing one is the FIFO path above. */
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    /* emb_output_check: a missing directory, a file used as a directory. */
    CHECK(emb_output_check(tmp("no-such-dir/x"), &err) == EMB_EIO && strstr(err.msg, "no-such-dir"));
    CHECK(emb_output_check(tmp("real/x"), &err) == EMB_EIO);
    CHECK_OK(emb_output_check(tmp("fresh"), &err));
    CHECK(!test_exists(tmp("fresh")));
    CHECK_OK(emb_output_check("-", &err));
    /* Stale temporaries: a dead PID's are removed by the next output to the
     * same name; a live PID's (ours: the parent's), or another name's, stay. */
    pid_t child = fork();
    if (child == 0) _exit(0);
    CHECK(child > 0 && waitpid(child, NULL, 0) == child);
    char name[256];
    snprintf(name, sizeof name, ".real.emb-tmp.%ld.0badc0de", (long)child);
    CHECK(test_write_file(tmp(name), "stale", 5) == 0);
    snprintf(name, sizeof name, ".real.emb-tmp.%ld.00000001", (long)getppid());
    CHECK(test_write_file(tmp(name), "live", 4) == 0);
    snprintf(name, sizeof name, ".other.emb-tmp.%ld.0badc0de", (long)child);
    CHECK(test_write_file(tmp(name), "stale", 5) == 0);
    CHECK(put(tmp("real"), "again\n") == 0);
    CHECK(count_prefixed(".real.emb-tmp.") == 1 && count_prefixed(".other.emb-tmp.") == 1);
    /* tidy up */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] == '.' && e->d_name[1] && strcmp(e->d_name, "..")) unlink(tmp(e->d_name));
    if (d) closedir(d);
    const char *names[] = {"link2", "link", "real", "hard", "dangling", "abs", "sub/made", "fifo"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(tmp(names[i]));
    rmdir(tmp("sub"));
    return 0;
}

/* ---- native binary helpers ------------------------------------------- */

static const char MAGIC[8] = "EMBTEST";

static int write_native(const char *path, const char magic[8], uint32_t version, const char *kv, int64_t n_a,
                        int64_t n_b) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int32_t a[5] = {1, -2, 3, -4, 2147483647};
    static float b[1000];
    for (int i = 0; i < 1000; i++) b[i] = (float)i * 0.25f - 7.0f;
    int rc = emb_write_header(f, magic, version, kv);
    if (rc == EMB_OK) rc = emb_write_array(f, a, n_a, sizeof *a);
    if (rc == EMB_OK) rc = emb_write_array(f, b, n_b, sizeof *b);
    if (rc == EMB_OK) rc = emb_write_array(f, NULL, 0, 8);
    if (fclose(f) != 0) rc = EMB_EIO;
    return rc;
}

static int test_native_roundtrip(void) {
    struct emb_err err = {0};
    const char *kv = "dim=100\nname=skip gram\nlr=0.025\nempty=\nlast=end";
    const char *path = tmp("model.emb");
    CHECK(write_native(path, MAGIC, 2, kv, 5, 1000) == EMB_OK);
    /* The layout of io.h: magic, version, kv bytes, text, then arrays. */
    size_t n;
    unsigned char *raw = (unsigned char *)test_read_all(path, &n);
    CHECK(raw);
    uint32_t v32, kv32;
    int64_t c64;
    memcpy(&v32, raw + 8, 4);
    memcpy(&kv32, raw + 12, 4);
    memcpy(&c64, raw + 16 + strlen(kv), 8);
    int layout_ok = memcmp(raw, "EMBTEST\0", 8) == 0 && v32 == 2 && kv32 == strlen(kv) &&
                    memcmp(raw + 16, kv, strlen(kv)) == 0 && c64 == 5 &&
                    n == 16 + strlen(kv) + 8 + 5 * 4 + 8 + 1000 * 4 + 8;
    free(raw);
    CHECK(layout_ok);

    for (uint32_t max_version = 2; max_version <= 3; max_version++) {
        struct emb_reader *r = NULL;
        CHECK_OK(emb_reader_open(&r, path, &err));
        uint32_t version = 0;
        char *text = NULL;
        CHECK_OK(emb_read_header(r, MAGIC, max_version, &version, &text, &err));
        CHECK(version == 2 && text && strcmp(text, kv) == 0);
        char buf[32];
        CHECK(emb_kv_get(text, "dim", buf, sizeof buf) == 1 && strcmp(buf, "100") == 0);
        CHECK(emb_kv_get(text, "name", buf, sizeof buf) == 1 && strcmp(buf, "skip gram") == 0);
        CHECK(emb_kv_get(text, "last", buf, sizeof buf) == 1 && strcmp(buf, "end") == 0);
        CHECK(emb_kv_get(text, "empty", buf, sizeof buf) == 1 && buf[0] == '\0');
        CHECK(emb_kv_get(text, "nam", buf, sizeof buf) == 0); /* a prefix of a key */
        CHECK(emb_kv_get(text, "ame", buf, sizeof buf) == 0);
        CHECK(emb_kv_get(text, "missing", buf, sizeof buf) == 0);
        CHECK(emb_kv_get(text, "name", buf, 5) == 1 && strcmp(buf, "skip") == 0); /* truncated value */
        CHECK(emb_kv_get("", "dim", buf, sizeof buf) == 0);
        CHECK(emb_kv_get(NULL, "dim", buf, sizeof buf) == 0);
        emb_free(text);
        int32_t a[5];
        static float b[1000];
        CHECK_OK(emb_read_array(r, a, 5, sizeof *a, "a", &err));
        CHECK(a[0] == 1 && a[1] == -2 && a[4] == 2147483647);
        CHECK_OK(emb_read_array(r, b, 1000, sizeof *b, "b", &err));
        for (int i = 0; i < 1000; i++) CHECK(b[i] == (float)i * 0.25f - 7.0f);
        CHECK_OK(emb_read_array(r, NULL, 0, 8, "empty", &err));
        /* Nothing left: a further array is truncated. */
        CHECK(emb_read_array(r, a, 5, sizeof *a, "extra", &err) == EMB_EFORMAT);
        CHECK(strstr(err.msg, "extra") != NULL);
        emb_reader_close(r);
    }
    /* No key/value text. */
    CHECK(write_native(path, MAGIC, 1, NULL, 5, 1000) == EMB_OK);
    struct emb_reader *r = NULL;
    CHECK_OK(emb_reader_open(&r, path, &err));
    uint32_t version;
    char *text = NULL;
    CHECK_OK(emb_read_header(r, MAGIC, 1, &version, &text, &err));
    CHECK(version == 1 && text && text[0] == '\0');
    emb_free(text);
    emb_reader_close(r);
    unlink(path);
    return 0;
}

/* Read header + arrays (5 int32, 1000 float) of path; return the first error. */
static int read_native(const char *path, uint32_t max_version, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    uint32_t version;
    char *text = NULL;
    int32_t a[5];
    static float b[1000];
    rc = emb_read_header(r, MAGIC, max_version, &version, &text, err);
    if (rc == EMB_OK && text == NULL) rc = 99;
    if (rc == EMB_OK) rc = emb_read_array(r, a, 5, sizeof *a, "ints", err);
    if (rc == EMB_OK) rc = emb_read_array(r, b, 1000, sizeof *b, "floats", err);
    emb_free(text);
    emb_reader_close(r);
    return rc;
}

static int expect_native_error(const char *what, const char *needle, uint32_t max_version) {
    struct emb_err err = {0};
    int rc = read_native(tmp("bad.emb"), max_version, &err);
    if (rc != EMB_EFORMAT || err.code != EMB_EFORMAT || (needle && !strstr(err.msg, needle))) {
        fprintf(stderr, "%s: rc %d, message '%s' (want EMB_EFORMAT and '%s')\n", what, rc, err.msg,
                needle ? needle : "");
        return 1;
    }
    return 0;
}

static int test_native_errors(void) {
    const char *path = tmp("bad.emb");
    const char *kv = "dim=3\n";
    CHECK(write_native(path, "EMBOTHER", 1, kv, 5, 1000) == EMB_OK);
    CHECK(expect_native_error("bad magic", "magic", 1) == 0);
    CHECK(write_native(path, MAGIC, 4, kv, 5, 1000) == EMB_OK);
    CHECK(expect_native_error("newer version", "version 4", 3) == 0);
    CHECK(write_native(path, MAGIC, 0, kv, 5, 1000) == EMB_OK);
    CHECK(expect_native_error("version 0", "version 0", 3) == 0);
    CHECK(write_native(path, MAGIC, 1, kv, 4, 1000) == EMB_OK); /* 4 ints where 5 are expected */
    CHECK(expect_native_error("wrong count", "ints has 4 elements, expected 5", 1) == 0);
    CHECK(write_native(path, MAGIC, 1, kv, 5, 999) == EMB_OK);
    CHECK(expect_native_error("wrong count", "floats", 1) == 0);

    /* Truncations of a good file at every interesting point. */
    CHECK(write_native(path, MAGIC, 1, kv, 5, 1000) == EMB_OK);
    size_t n;
    char *good = test_read_all(path, &n);
    CHECK(good);
    /* Magic, version, kv size, kv text, int count, ints, float count,
     * floats (the last 8 bytes are the empty array, which is not read). */
    const size_t cuts[] = {0, 7, 8, 12, 15, 16 + 3, 16 + 6 + 4, 16 + 6 + 8 + 10, 16 + 6 + 8 + 20 + 4,
                           16 + 6 + 8 + 20 + 8 + 100, n - 9};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "file cut at %zu of %zu", cuts[i], n);
        if (test_write_file(path, good, cuts[i]) || expect_native_error(what, NULL, 1)) {
            free(good);
            return 1;
        }
    }
    /* The whole file reads fine (the cuts above were the only problem). */
    struct emb_err err = {0};
    CHECK(test_write_file(path, good, n) == 0);
    CHECK(read_native(path, 1, &err) == EMB_OK);
    /* A NUL inside the key/value text. */
    good[16 + 2] = '\0';
    CHECK(test_write_file(path, good, n) == 0);
    CHECK(expect_native_error("NUL in header", "corrupt", 1) == 0);
    /* An absurd key/value size. */
    good[16 + 2] = 'm';
    uint32_t huge = 0xFFFFFFF0u;
    memcpy(good + 12, &huge, 4);
    CHECK(test_write_file(path, good, n) == 0);
    CHECK(expect_native_error("huge header", "too large", 1) == 0);
    free(good);
    unlink(path);
    return 0;
}

static void cleanup(void) {
    const char *names[] = {"lines.txt", "lines.txt.gz", "nul.txt", "bin", "bin.gz", "tok.txt", "out.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(tmp(names[i]));
    rmdir(dir);
}

/* emb_split_fields: runs of blanks, trimming, NUL-terminated fields, the
 * count beyond max_fields, and an empty line. */
static int test_split_fields(void) {
    char line[] = " \tking  queen\r\vman woman \f";
    char *f[3];
    size_t n[3];
    int k = emb_split_fields(line, strlen(line), f, n, 3);
    CHECK(k == 4);
    CHECK(n[0] == 4 && strcmp(f[0], "king") == 0);
    CHECK(n[1] == 5 && strcmp(f[1], "queen") == 0);
    CHECK(n[2] == 3 && strcmp(f[2], "man") == 0);
    char two[] = "a\tb";
    CHECK(emb_split_fields(two, 3, f, n, 3) == 2 && strcmp(f[0], "a") == 0 && strcmp(f[1], "b") == 0);
    char blank[] = "  \t ";
    CHECK(emb_split_fields(blank, strlen(blank), f, n, 3) == 0);
    CHECK(emb_split_fields(blank, 0, f, n, 3) == 0);
    /* Trimmed by the caller: the last field still ends at len. */
    char trimmed[] = "x y   ";
    CHECK(emb_split_fields(trimmed, 3, f, n, 3) == 2 && strcmp(f[1], "y") == 0);
    return 0;
}

/* Typed header values: strict parsing, ranges, missing keys. */
static int test_kv_typed(void) {
    struct emb_err err = {0};
    const char *kv = "dim=100\nneg=-3\nbad=12x\nbig=99999999999999999999\nrate=0.025\nnan=nan\n";
    long long v = 0;
    double d = 0;
    CHECK(emb_kv_ll(kv, "dim", 1, 1000, &v, "f", &err) == EMB_OK && v == 100);
    CHECK(emb_kv_ll(kv, "neg", -5, 5, &v, "f", &err) == EMB_OK && v == -3);
    CHECK(emb_kv_ll(kv, "dim", 1, 99, &v, "f", &err) == EMB_EFORMAT && strstr(err.msg, "dim=100"));
    CHECK(emb_kv_ll(kv, "bad", 0, 100, &v, "f", &err) == EMB_EFORMAT);
    CHECK(emb_kv_ll(kv, "big", 0, INT64_MAX, &v, "f", &err) == EMB_EFORMAT);
    CHECK(emb_kv_ll(kv, "none", 0, 1, &v, "f", &err) == EMB_EFORMAT && strstr(err.msg, "'none'"));
    CHECK(emb_kv_double(kv, "rate", 0, 1, &d, "f", &err) == EMB_OK && d == 0.025);
    CHECK(emb_kv_double(kv, "nan", 0, 1, &d, "f", &err) == EMB_EFORMAT);
    CHECK(emb_kv_double(kv, "rate", 0.1, 1, &d, "f", &err) == EMB_EFORMAT);
    return 0;
}

/* CRC-framed files: header CRC after the text, trailing CRC at the end. */
static int write_crc_file(const char *path, uint32_t version, const char *kv) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct emb_crc_writer *w = NULL;
    int32_t a[5] = {1, -2, 3, -4, 2147483647};
    int rc = emb_crc_writer_open(&w, f);
    if (rc == EMB_OK) rc = emb_write_header_crc(w, MAGIC, version, kv);
    if (rc == EMB_OK) rc = emb_write_array(emb_crc_writer_stream(w), a, 5, sizeof *a);
    int crc_rc = emb_crc_writer_close(w, rc == EMB_OK);
    if (rc == EMB_OK) rc = crc_rc;
    if (fclose(f) != 0) rc = EMB_EIO;
    return rc;
}

static int read_crc_file(const char *path, uint32_t crc_version, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    uint32_t version;
    char *text = NULL;
    int32_t a[5];
    rc = emb_read_header_crc(r, MAGIC, crc_version, 3, &version, &text, err);
    if (rc == EMB_OK) rc = emb_read_array(r, a, 5, sizeof *a, "ints", err);
    if (rc == EMB_OK) rc = emb_read_trailer_crc(r, err);
    if (rc == EMB_OK && a[4] != 2147483647) rc = 99;
    emb_free(text);
    emb_reader_close(r);
    return rc;
}

static int test_native_crc(void) {
    struct emb_err err = {0};
    const char *path = tmp("crc.emb");
    CHECK_OK(write_crc_file(path, 2, "dim=4\n"));
    size_t n;
    unsigned char *b = (unsigned char *)test_read_all(path, &n);
    CHECK(b && n == 16 + 6 + 4 + 8 + 20 + 4);
    uint32_t hcrc, tcrc;
    memcpy(&hcrc, b + 22, 4);
    memcpy(&tcrc, b + n - 4, 4);
    CHECK(hcrc == (uint32_t)crc32(0, b, 22) && tcrc == (uint32_t)crc32(0, b, (uInt)n - 4));
    CHECK_OK(read_crc_file(path, 2, &err));
    /* Every single flipped bit is caught, by one CRC or the other. */
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            CHECK(test_write_file(path, b, n) == 0);
            int rc = read_crc_file(path, 2, &err);
            b[i] ^= (unsigned char)(1u << bit);
            if (rc == EMB_OK) {
                fprintf(stderr, "flipped bit %d of byte %zu went unnoticed\n", bit, i);
                return 1;
            }
            CHECK(rc < 0 && err.msg[0]);
        }
    b[n - 5] ^= 0x40; /* last payload byte */
    CHECK(test_write_file(path, b, n) == 0);
    CHECK(read_crc_file(path, 2, &err) == EMB_EFORMAT && strstr(err.msg, "checksum mismatch"));
    b[n - 5] ^= 0x40;
    b[17] ^= 1; /* in the header text */
    CHECK(test_write_file(path, b, n) == 0);
    CHECK(read_crc_file(path, 2, &err) == EMB_EFORMAT && strstr(err.msg, "checksum mismatch in the header"));
    b[17] ^= 1;
    CHECK(test_write_file(path, b, n - 4) == 0); /* no trailing CRC */
    CHECK(read_crc_file(path, 2, &err) == EMB_EFORMAT && strstr(err.msg, "truncated"));
    unsigned char *longer = malloc(n + 1);
    CHECK(longer);
    memcpy(longer, b, n);
    longer[n] = 'x';
    CHECK(test_write_file(path, longer, n + 1) == 0);
    CHECK(read_crc_file(path, 2, &err) == EMB_EFORMAT && strstr(err.msg, "trailing bytes"));
    free(longer);
    free(b);
    /* A version before crc_version has no CRCs and reads without them. */
    CHECK(write_native(path, MAGIC, 1, "dim=4\n", 5, 0) == EMB_OK);
    struct emb_reader *r = NULL;
    CHECK_OK(emb_reader_open(&r, path, &err));
    uint32_t version;
    char *text = NULL;
    int32_t a[5];
    float f0;
    CHECK_OK(emb_read_header_crc(r, MAGIC, 2, 3, &version, &text, &err));
    CHECK(version == 1);
    CHECK_OK(emb_read_array(r, a, 5, sizeof *a, "ints", &err));
    CHECK_OK(emb_read_array(r, &f0, 0, sizeof f0, "floats", &err));
    CHECK_OK(emb_read_array(r, NULL, 0, 8, "empty", &err));
    CHECK_OK(emb_read_trailer_crc(r, &err));
    CHECK(emb_reader_has(r, 0) && !emb_reader_has(r, 1));
    emb_free(text);
    emb_reader_close(r);
    unlink(path);
    return 0;
}

static int test_kv_require(void) {
    struct emb_err err = {0};
    const char *have = "dim=32\nmodel=sg\np=0.5\n";
    CHECK_OK(emb_kv_require(have, "", "ck", &err));
    CHECK_OK(emb_kv_require(have, "p=0.5\ndim=32\n", "ck", &err));
    CHECK(emb_kv_require(have, "dim=32\np=1\n", "ck", &err) == EMB_EINVAL);
    CHECK(strcmp(err.msg, "ck was made with p=0.5, this run has p=1") == 0);
    CHECK(emb_kv_require(have, "seed=3\n", "ck", &err) == EMB_EFORMAT && strstr(err.msg, "lacks 'seed'"));
    CHECK(emb_kv_require(have, "model=sg", "ck", &err) == EMB_OK); /* last line without '\n' */
    return 0;
}

int main(void) {
    int failed = 0;
    snprintf(dir, sizeof dir, "/tmp/emb_io_test_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_lines_small);
    RUN(test_lines_big);
    RUN(test_read_exact);
    RUN(test_fields);
    RUN(test_split_fields);
    RUN(test_open_errors);
    RUN(test_damaged_gzip);
    RUN(test_tokens_small);
    RUN(test_tokens_nul);
    RUN(test_tokens_long);
    RUN(test_tokens_exact_limit);
    RUN(test_tokens_random);
    RUN(test_outfile);
    RUN(test_outfile_hostile);
    RUN(test_native_roundtrip);
    RUN(test_native_errors);
    RUN(test_native_crc);
    RUN(test_kv_require);
    RUN(test_kv_typed);
    cleanup();
    if (failed) {
        fprintf(stderr, "(files left in %s if any)\n", dir);
        return 1;
    }
    printf("io_test: ok\n");
    return 0;
}
