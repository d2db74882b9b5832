/* vecs.c -- word vector files: word2vec text and binary, NumPy .npy + vocab.
 *
 * These are the formats other tools speak (word2vec.c, gensim, fastText's
 * .vec, NumPy), so the readers accept exactly what those tools write and
 * the writers write what those tools read. See vecs.h for the layouts.
 *
 * DESIGN
 *
 * - Never trust a header with memory. "N D" costs nothing to write and a
 *   corrupt or hostile file can claim 2^31 rows of 10^6 floats. Rows are
 *   appended to a table that starts at a size the file can plausibly hold
 *   (its byte size divided by the smallest possible row) and doubles as
 *   rows really arrive, never past N (see struct row_sink). So memory stays
 *   within about twice the data actually present.
 * - Every reader goes through emb_reader, so gzip input is free, and every
 *   writer through emb_outfile, so an output path is replaced atomically.
 * - Errors name the file and the line (text, counted from 1 with the
 *   header as line 1) or the row (bin, npy; counted from 1), and quote the
 *   word or token at fault, cut short and with control bytes masked so the
 *   message stays on one line.
 * - Validation is strict where gensim and word2vec.c are loose: a file must
 *   hold exactly the N rows its header announces (unless limit stops the
 *   reading first), and duplicate words are errors rather than warnings,
 *   because both usually mean the file is not what the user thinks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emb/io.h"
#include "emb/vecs.h"

/* Words longer than this in a binary file mean we are not reading a word
 * (wrong format or a corrupt file). Real vocabularies stay far below it. */
#define MAX_BIN_WORD_BYTES (1 << 16)
/* The "N D" header line of text and binary files is short; anything longer
 * is not a header (e.g. a GloVe file, which has none). */
#define MAX_HEADER_BYTES 256
/* NumPy writes headers of a few dozen bytes for a plain float32 matrix;
 * numpy itself refuses headers over 10000 bytes since 1.24. */
#define MAX_NPY_HEADER_BYTES 100000
/* Bytes looked at when guessing text vs binary for an unknown extension. */
#define SNIFF_BYTES 8192
/* Float bytes after the first word that the sniffer inspects. */
#define SNIFF_FLOAT_BYTES 256
/* Initial table budget when the input size is unknown (stdin): 4 MB. */
#define UNKNOWN_SIZE_BYTES (4 << 20)

/* ---- formats and paths ------------------------------------------------ */

/* 1 if s ends with suffix (ASCII case-insensitive). */
static int ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++) {
        char a = s[n - k + i], b = suffix[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

/* Length of path without a trailing ".gz". */
static size_t strip_gz(const char *path) {
    size_t n = strlen(path);
    return ends_with(path, n, ".gz") ? n - 3 : n;
}

enum emb_vec_format emb_vec_format_from_path(const char *path) {
    size_t n = strip_gz(path);
    if (ends_with(path, n, ".bin")) return EMB_FMT_BIN;
    if (ends_with(path, n, ".npy")) return EMB_FMT_NPY;
    return EMB_FMT_TEXT;
}

/* 1 when the extension settles the format without looking inside. */
static int has_known_extension(const char *path) {
    size_t n = strip_gz(path);
    return ends_with(path, n, ".bin") || ends_with(path, n, ".npy") || ends_with(path, n, ".txt") ||
           ends_with(path, n, ".vec");
}

int emb_vec_format_parse(const char *name, enum emb_vec_format *out, struct emb_err *err) {
    static const struct {
        const char *name;
        enum emb_vec_format fmt;
    } names[] = {{"auto", EMB_FMT_AUTO}, {"text", EMB_FMT_TEXT}, {"txt", EMB_FMT_TEXT}, {"vec", EMB_FMT_TEXT},
                 {"bin", EMB_FMT_BIN},   {"binary", EMB_FMT_BIN}, {"npy", EMB_FMT_NPY}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown vector format '%s' (expected text, bin or npy)", name);
}

const char *emb_vec_format_name(enum emb_vec_format f) {
    switch (f) {
    case EMB_FMT_AUTO: return "auto";
    case EMB_FMT_TEXT: return "text";
    case EMB_FMT_BIN: return "bin";
    case EMB_FMT_NPY: return "npy";
    }
    return "unknown";
}

char *emb_vecs_npy_vocab_path(const char *npy_path) {
    /* "x.npy" and "x.npy.gz" -> "x.vocab"; any other name gets ".vocab" added. */
    size_t n = strip_gz(npy_path);
    if (ends_with(npy_path, n, ".npy"))
        n -= 4;
    else
        n = strlen(npy_path);
    char *p = emb_alloc(n + sizeof ".vocab");
    if (!p) return NULL;
    memcpy(p, npy_path, n);
    memcpy(p + n, ".vocab", sizeof ".vocab");
    return p;
}

/* ---- small helpers ----------------------------------------------------- */

/* ASCII whitespace other than '\n' (which ends lines): the separators
 * between a text row's word and its values. */
static int is_blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
static int is_ascii_space(int c) { return is_blank(c) || c == '\n'; }

/* Length of the valid UTF-8 character at s[0..n), or 0 (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_char(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (k == 0 || k > n) return 0;
    for (size_t j = 1; j < k; j++)
        if ((s[j] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] >= 0x90))
        return 0;
    return k;
}

/* A word or token for an error message: at most 40 bytes of whole UTF-8
 * characters, control bytes and invalid UTF-8 shown as '?', "..." when
 * cut, so messages stay on one line and are valid UTF-8. out: (64). */
static const char *show(char *out, const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t k = utf8_char(u + i, len - i);
        if (o + (k ? k : 1) > 40) break;
        if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
            out[o++] = '?';
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k, i += k;
        }
    }
    if (i < len) memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
    return out;
}

/* float32 files are little-endian; swap on the (rare) big-endian host. */
static int host_is_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_f32(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        unsigned char b[4], t;
        memcpy(b, &x[i], 4);
        t = b[0], b[0] = b[3], b[3] = t;
        t = b[1], b[1] = b[2], b[2] = t;
        memcpy(&x[i], b, 4);
    }
}

/* Size of a regular file in bytes, or -1 (stdin, pipes, errors). */
static int64_t file_size(const char *path) {
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return (int64_t)st.st_size;
}

/* After getc() returned -1 or a read came up short: 0 if the input really
 * ended, else the reader's pending error (recorded in err). emb_reader_getc
 * cannot tell the two apart; a line read can, as the reader retries and
 * reports a failing gzip stream again. */
static int probe_end(struct emb_reader *r, struct emb_err *err) {
    char *line;
    size_t len;
    int rc = emb_reader_line(r, &line, &len, err);
    return rc < 0 ? rc : EMB_OK;
}

/* ---- row sink: a table that grows as rows arrive ---------------------- */

struct row_sink {
    struct emb_table *t; /* t->n_rows is the capacity */
    int64_t n;           /* rows filled */
    int64_t n_max;       /* rows expected, the capacity never exceeds it */
};

/* First capacity: as many rows as file_bytes can hold at min_row_bytes
 * each (or a few MB worth when the size is unknown), within [1, n_max]. */
static int sink_init(struct row_sink *s, int64_t n_max, int32_t dim, int64_t file_bytes, int64_t min_row_bytes,
                     struct emb_err *err) {
    int64_t cap = file_bytes >= 0 ? file_bytes / min_row_bytes + 1 : UNKNOWN_SIZE_BYTES / (4 * (int64_t)dim) + 1;
    if (cap > n_max) cap = n_max;
    if (cap < 1) cap = 1;
    s->n = 0;
    s->n_max = n_max;
    return emb_table_new(&s->t, cap, dim, err);
}

/* Row s->n, growing the table if it is full. The caller fills the row's
 * dim floats and then increments s->n. */
static int sink_row(struct row_sink *s, float **row, struct emb_err *err) {
    if (s->n == s->t->n_rows) {
        int64_t cap = s->t->n_rows * 2;
        if (cap > s->n_max) cap = s->n_max;
        struct emb_table *t = NULL;
        int rc = emb_table_new(&t, cap, s->t->dim, err);
        if (rc != EMB_OK) return rc;
        memcpy(t->data, s->t->data, (size_t)s->n * (size_t)s->t->dim_padded * sizeof(float));
        emb_table_free(s->t);
        s->t = t;
    }
    *row = emb_table_row(s->t, s->n);
    return EMB_OK;
}

/* ---- loading: shared state and the "N D" header ----------------------- */

struct loader {
    const char *path;
    struct emb_reader *r;
    struct emb_vocab *vocab;
    struct row_sink rows;
    int64_t n_file;   /* N as announced by the file */
    int32_t dim;      /* D */
    int64_t n_want;   /* min(N, limit): rows to read */
    int64_t file_bytes;
};

/* Check N and D from any header against our limits and keep them. */
static int check_shape(struct loader *ld, long long n, long long d, struct emb_err *err) {
    if (n == 0) return emb_err_set(err, EMB_EEMPTY, "%s: the header announces 0 vectors", ld->path);
    if (n > INT32_MAX)
        return emb_err_set(err, EMB_EFORMAT, "%s: the header announces %lld vectors; at most %d are supported",
                           ld->path, n, INT32_MAX);
    if (d == 0) return emb_err_set(err, EMB_EFORMAT, "%s: the header announces dimension 0", ld->path);
    if (d > EMB_VECS_MAX_DIM)
        return emb_err_set(err, EMB_EFORMAT, "%s: the header announces dimension %lld; at most %d is supported",
                           ld->path, d, EMB_VECS_MAX_DIM);
    ld->n_file = n;
    ld->dim = (int32_t)d;
    return EMB_OK;
}

/* An unsigned decimal at *p (no sign), at most 18 digits so that it cannot
 * overflow; advances *p. Returns 0 if there are no digits or too many. */
static int parse_count(const char **p, long long *out) {
    long long v = 0;
    int k = 0;
    while (**p >= '0' && **p <= '9') {
        if (++k > 18) return 0;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return k > 0;
}

/* Read and check the "N D\n" header of a text or binary file, then set up
 * the row sink. The header is read byte by byte so that a file without a
 * newline near its start (a binary blob, a GloVe file) costs nothing.
 * min_row_bytes_per_dim: bytes one value takes at least in a row. */
static int read_w2v_header(struct loader *ld, int64_t limit, int64_t min_row_bytes_per_dim, struct emb_err *err) {
    char line[MAX_HEADER_BYTES + 1];
    size_t len = 0;
    int c, rc;
    while ((c = emb_reader_getc(ld->r)) >= 0 && c != '\n') {
        if (len == MAX_HEADER_BYTES || c == 0)
            return emb_err_set(err, EMB_EFORMAT,
                               "%s:1: bad header: expected 'N D' (vector count, dimension) on the first line", ld->path);
        line[len++] = (char)c;
    }
    if (c < 0 && (rc = probe_end(ld->r, err)) != EMB_OK) return rc;
    if (c < 0 && len == 0) return emb_err_set(err, EMB_EEMPTY, "%s: file is empty", ld->path);
    line[len] = '\0';
    const char *p = line, *end = line + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* a UTF-8 byte order mark */
    long long n = 0, d = 0;
    while (p < end && is_blank(*p)) p++;
    int ok = parse_count(&p, &n);
    if (ok) {
        const char *q = p;
        while (p < end && is_blank(*p)) p++;
        ok = p > q && parse_count(&p, &d);
    }
    while (ok && p < end && is_blank(*p)) p++;
    if (!ok || p != end) {
        char shown[64];
        return emb_err_set(err, EMB_EFORMAT, "%s:1: bad header '%s': expected 'N D' (vector count, dimension)",
                           ld->path, show(shown, line, len));
    }
    if ((rc = check_shape(ld, n, d, err)) != EMB_OK) return rc;
    ld->n_want = limit > 0 && limit < ld->n_file ? limit : ld->n_file;
    return sink_init(&ld->rows, ld->n_want, ld->dim, ld->file_bytes, min_row_bytes_per_dim * ld->dim + 2, err);
}

/* Add the word of row ld->rows.n; a repeat is EMB_EDUP. where: "path:line"
 * or "path: row R" for the message. */
static int add_word(struct loader *ld, const char *word, size_t len, const char *where, struct emb_err *err) {
    int32_t before = emb_vocab_size(ld->vocab), id = -1;
    int rc = emb_vocab_add(ld->vocab, word, len, 0, &id, err);
    if (rc != EMB_OK) return rc;
    if (id < before) {
        char shown[64];
        return emb_err_set(err, EMB_EDUP, "%s: duplicate word '%s' (first seen in row %d)", where,
                           show(shown, word, len), id + 1);
    }
    return EMB_OK;
}

/* After all N rows: only whitespace may follow. */
static int check_only_space(struct loader *ld, const char *what, struct emb_err *err) {
    int c;
    while ((c = emb_reader_getc(ld->r)) >= 0)
        if (!is_ascii_space(c))
            return emb_err_set(err, EMB_EFORMAT, "%s: data after the %lld %s announced by the header", ld->path,
                               (long long)ld->n_file, what);
    return probe_end(ld->r, err);
}

/* ---- text ------------------------------------------------------------- */

/* One row "word v1 ... vD" (line is writable, NUL-terminated, len bytes,
 * trailing whitespace already removed, not blank). */
static int parse_text_row(struct loader *ld, char *line, size_t len, int64_t lineno, struct emb_err *err) {
    char shown[64], shown2[64], where[64 + 256];
    const char *end = line + len;
    snprintf(where, sizeof where, "%s:%lld", ld->path, (long long)lineno);
    if (memchr(line, '\0', len))
        return emb_err_set(err, EMB_EFORMAT, "%s: NUL byte in a text row (is this a binary file?)", where);
    if (is_blank(line[0])) return emb_err_set(err, EMB_EFORMAT, "%s: row starts with whitespace (empty word)", where);
    size_t wlen = 0;
    while (wlen < len && !is_blank(line[wlen])) wlen++;
    float *row;
    int rc = sink_row(&ld->rows, &row, err);
    if (rc != EMB_OK) return rc;
    const char *p = line + wlen;
    int64_t k = 0;
    for (;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        if (k == ld->dim) { /* count the rest for the message */
            for (; p < end; k++) {
                while (p < end && !is_blank(*p)) p++;
                while (p < end && is_blank(*p)) p++;
            }
            return emb_err_set(err, EMB_EFORMAT, "%s: '%s' has %lld values, but the dimension is %d", where,
                               show(shown, line, wlen), (long long)k, ld->dim);
        }
        char *e = NULL;
        float x = strtof(p, &e);
        if (e == p || (e < end && !is_blank(*e))) {
            const char *q = p;
            while (q < end && !is_blank(*q)) q++;
            return emb_err_set(err, EMB_EFORMAT, "%s: value %lld of '%s' is not a number: '%s'", where,
                               (long long)k + 1, show(shown, line, wlen), show(shown2, p, (size_t)(q - p)));
        }
        if (!isfinite(x))
            return emb_err_set(err, EMB_ENUMERIC, "%s: value %lld of '%s' is not a finite float32: '%s'", where,
                               (long long)k + 1, show(shown, line, wlen), show(shown2, p, (size_t)(e - p)));
        row[k++] = x;
        p = e;
    }
    if (k < ld->dim)
        return emb_err_set(err, EMB_EFORMAT, "%s: '%s' has %lld values, but the dimension is %d", where,
                           show(shown, line, wlen), (long long)k, ld->dim);
    if ((rc = add_word(ld, line, wlen, where, err)) != EMB_OK) return rc;
    ld->rows.n++;
    return EMB_OK;
}

/* Strip trailing whitespace ('\r' of CRLF files, word2vec.c's last ' '). */
static size_t trim_end(char *line, size_t len) {
    while (len && is_blank(line[len - 1])) line[--len] = '\0';
    return len;
}

static int load_text(struct loader *ld, int64_t limit, struct emb_err *err) {
    /* A text row takes at least 2 bytes per value (digit + separator). */
    int rc = read_w2v_header(ld, limit, 2, err);
    if (rc != EMB_OK) return rc;
    char *line;
    size_t len;
    int64_t lineno = 1;
    while (ld->rows.n < ld->n_want) {
        rc = emb_reader_line(ld->r, &line, &len, err);
        if (rc < 0) return rc;
        if (rc == 0)
            return emb_err_set(err, EMB_EFORMAT, "%s: file ends after %lld rows, but the header announces %lld (truncated?)",
                               ld->path, (long long)ld->rows.n, (long long)ld->n_file);
        lineno++;
        if ((len = trim_end(line, len)) == 0) continue; /* blank lines are not rows */
        if ((rc = parse_text_row(ld, line, len, lineno, err)) != EMB_OK) return rc;
    }
    if (ld->n_want < ld->n_file) return EMB_OK; /* limit: the rest is not looked at */
    while ((rc = emb_reader_line(ld->r, &line, &len, err)) == 1) {
        lineno++;
        if (trim_end(line, len) != 0)
            return emb_err_set(err, EMB_EFORMAT, "%s:%lld: more rows than the %lld announced by the header", ld->path,
                               (long long)lineno, (long long)ld->n_file);
    }
    return rc < 0 ? rc : EMB_OK;
}

/* ---- binary ----------------------------------------------------------- */

/* A word with a space in it ("new york") cannot be told apart in a binary
 * file: the reader takes "new" for the word and "york ..." for the start of
 * the vector, and fails a little later on garbage (a NUL byte in the next
 * "word", a NaN). When a row's vector bytes (b: n bytes) begin with text
 * and a space, returns the text's length (else 0), so the message can name
 * the likely cause. */
static size_t text_then_space(const unsigned char *b, size_t n) {
    size_t i = 0;
    while (i < n && b[i] > ' ' && b[i] != 0x7f) i++;
    return i > 0 && i < n && b[i] == ' ' ? i : 0;
}

static int load_bin(struct loader *ld, int64_t limit, struct emb_err *err) {
    /* A binary row takes at least 4 bytes per value plus word and space. */
    int rc = read_w2v_header(ld, limit, 4, err);
    if (rc != EMB_OK) return rc;
    char *word = emb_alloc(MAX_BIN_WORD_BYTES);
    char shown[64], shown2[64], where[320];
    /* "; ..." naming a word that seems to go on after a space (see
     * text_then_space), from the row just read; else "". */
    char hint[200] = "";
    if (!word) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    while (ld->rows.n < ld->n_want) {
        long long row_no = (long long)ld->rows.n + 1;
        snprintf(where, sizeof where, "%s: row %lld", ld->path, row_no);
        /* word2vec.c ends each row with '\n', gensim does not: skip it
         * before the word, as both readers do. */
        int c;
        while ((c = emb_reader_getc(ld->r)) == '\n') {}
        if (c < 0) {
            if ((rc = probe_end(ld->r, err)) != EMB_OK) goto done;
            rc = emb_err_set(err, EMB_EFORMAT, "%s: file ends after %lld rows, but the header announces %lld (truncated?)",
                             ld->path, row_no - 1, (long long)ld->n_file);
            goto done;
        }
        size_t wlen = 0;
        for (; c != ' '; c = emb_reader_getc(ld->r)) {
            if (c < 0) {
                if ((rc = probe_end(ld->r, err)) == EMB_OK)
                    rc = emb_err_set(err, EMB_EFORMAT, "%s: file ends inside a word (truncated?)%s", where, hint);
                goto done;
            }
            if (c == 0 || c == '\n') {
                /* Rows end with '\n' (skipped above), so one inside a word
                 * means the rows are out of step, as a NUL byte does. */
                rc = emb_err_set(err, EMB_EFORMAT, "%s: %s in a word%s", where, c ? "line break" : "NUL byte",
                                 hint[0] ? hint : " (not a word2vec binary file?)");
                goto done;
            }
            if (wlen == MAX_BIN_WORD_BYTES) {
                rc = emb_err_set(err, EMB_EFORMAT, "%s: no space after %d bytes of word%s", where, MAX_BIN_WORD_BYTES,
                                 hint[0] ? hint : " (not a word2vec binary file?)");
                goto done;
            }
            word[wlen++] = (char)c;
        }
        if (wlen == 0) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: empty word%s", where, hint);
            goto done;
        }
        float *row;
        if ((rc = sink_row(&ld->rows, &row, err)) != EMB_OK) goto done;
        size_t need = (size_t)ld->dim * sizeof(float), got = 0;
        if ((rc = emb_reader_read(ld->r, row, need, &got, err)) != EMB_OK) {
            if (rc == EMB_EFORMAT && (rc = probe_end(ld->r, err)) == EMB_OK)
                rc = emb_err_set(err, EMB_EFORMAT, "%s ('%s'): file ends after %zu of the vector's %zu bytes (truncated?)",
                                 where, show(shown, word, wlen), got, need);
            goto done;
        }
        size_t tl = text_then_space((const unsigned char *)row, need);
        if (tl)
            snprintf(hint, sizeof hint,
                     ": row %lld's word '%s' seems to go on after a space ('%s'), and words in a binary file cannot "
                     "hold spaces",
                     row_no, show(shown, word, wlen), show(shown2, (const char *)row, tl));
        else
            hint[0] = '\0';
        if (!host_is_little_endian()) swap_f32(row, ld->dim);
        for (int32_t j = 0; j < ld->dim; j++)
            if (!isfinite(row[j])) {
                rc = emb_err_set(err, EMB_ENUMERIC, "%s ('%s'): value %d is %s%s", where, show(shown, word, wlen), j + 1,
                                 isnan(row[j]) ? "NaN" : "infinite", hint);
                goto done;
            }
        if ((rc = add_word(ld, word, wlen, where, err)) != EMB_OK) goto done;
        ld->rows.n++;
    }
    rc = ld->n_want < ld->n_file ? EMB_OK : check_only_space(ld, "rows", err);
done:
    emb_free(word);
    return rc;
}

/* ---- npy -------------------------------------------------------------- */

/* What the .npy header dict says. */
struct npy_info {
    char descr[16];
    int fortran_order;
    int ndim;          /* entries in shape */
    long long shape[2];
    int seen_descr, seen_order, seen_shape;
};

static void npy_skip_ws(const char **p) {
    while (is_ascii_space(**p)) (*p)++;
}

/* A Python string literal ('...' or "...", no escapes) into buf. */
static int npy_string(const char **p, char *buf, size_t cap) {
    char q = **p;
    if (q != '\'' && q != '"') return 0;
    const char *s = ++*p;
    while (**p && **p != q && **p != '\\') (*p)++;
    if (**p != q || (size_t)(*p - s) >= cap) return 0;
    memcpy(buf, s, (size_t)(*p - s));
    buf[*p - s] = '\0';
    (*p)++;
    return 1;
}

/* The dict literal numpy writes, e.g.
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * Returns NULL on success, else a short reason for the message. */
static const char *npy_parse_header(const char *h, struct npy_info *info) {
    const char *p = h;
    memset(info, 0, sizeof *info);
    npy_skip_ws(&p);
    if (*p++ != '{') return "the header is not a Python dict";
    for (;;) {
        char key[32];
        npy_skip_ws(&p);
        if (*p == '}') break;
        if (!npy_string(&p, key, sizeof key)) return "bad key in the header dict";
        npy_skip_ws(&p);
        if (*p++ != ':') return "expected ':' in the header dict";
        npy_skip_ws(&p);
        if (strcmp(key, "descr") == 0) {
            if (!npy_string(&p, info->descr, sizeof info->descr)) return "'descr' is not a simple dtype string";
            info->seen_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (strncmp(p, "True", 4) == 0)
                info->fortran_order = 1, p += 4;
            else if (strncmp(p, "False", 5) == 0)
                info->fortran_order = 0, p += 5;
            else
                return "'fortran_order' is not True or False";
            info->seen_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (*p++ != '(') return "'shape' is not a tuple";
            for (;;) {
                npy_skip_ws(&p);
                if (*p == ')') break;
                long long v;
                if (!parse_count(&p, &v)) return "bad number in 'shape'";
                if (*p == 'L') p++; /* Python 2 longs, e.g. (3L, 4L) */
                if (info->ndim < 2) info->shape[info->ndim] = v;
                info->ndim++;
                npy_skip_ws(&p);
                if (*p == ',') p++;
                else if (*p != ')') return "bad 'shape' tuple";
            }
            p++;
            info->seen_shape = 1;
        } else {
            return "unexpected key in the header dict";
        }
        npy_skip_ws(&p);
        if (*p == ',') p++;
        else if (*p != '}') return "expected ',' or '}' in the header dict";
    }
    p++;
    npy_skip_ws(&p);
    if (*p) return "bytes after the header dict";
    if (!info->seen_descr || !info->seen_order || !info->seen_shape)
        return "the header lacks one of 'descr', 'fortran_order', 'shape'";
    return NULL;
}

/* Words of an .npy file, one per line, in row order. Keeps the first
 * ld->n_want, counts the rest; the count must equal the array's rows. */
static int load_npy_vocab(struct loader *ld, const char *vocab_path, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, vocab_path, err);
    if (rc != EMB_OK) return rc;
    char *line, where[320];
    size_t len;
    int64_t lineno = 0;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        if (lineno > ld->n_want) continue; /* beyond limit: only counted */
        snprintf(where, sizeof where, "%s:%lld", vocab_path, (long long)lineno);
        if (len && line[len - 1] == '\r') len--; /* CRLF */
        if (len == 0) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: empty line (expected one word per line)", where);
            goto done;
        }
        if (memchr(line, '\0', len)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: NUL byte in a word", where);
            goto done;
        }
        if ((rc = add_word(ld, line, len, where, err)) != EMB_OK) goto done;
    }
    if (rc < 0) goto done;
    rc = EMB_OK;
    if (lineno != ld->n_file)
        rc = emb_err_set(err, EMB_EFORMAT, "%s has %lld words but %s has %lld rows", vocab_path, (long long)lineno,
                         ld->path, (long long)ld->n_file);
done:
    emb_reader_close(r);
    return rc;
}

static int load_npy(struct loader *ld, int64_t limit, const char *vocab_path, struct emb_err *err) {
    unsigned char pre[12];
    char *header = NULL, *default_vocab = NULL;
    int rc;
    size_t got = 0;
    if ((rc = emb_reader_read(ld->r, pre, 8, &got, err)) != EMB_OK || memcmp(pre, "\x93NUMPY", 6) != 0) {
        if (rc == EMB_EFORMAT && (rc = probe_end(ld->r, err)) != EMB_OK) return rc;
        if (got == 0) return emb_err_set(err, EMB_EEMPTY, "%s: file is empty", ld->path);
        return emb_err_set(err, EMB_EFORMAT, "%s: not a NumPy .npy file (bad magic)", ld->path);
    }
    uint32_t hlen;
    if (pre[6] == 1 && pre[7] == 0) {
        rc = emb_reader_read(ld->r, pre + 8, 2, NULL, err);
        hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
    } else if (pre[6] == 2 && pre[7] == 0) {
        rc = emb_reader_read(ld->r, pre + 8, 4, NULL, err);
        hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    } else {
        return emb_err_set(err, EMB_EFORMAT, "%s: .npy format version %d.%d is not supported (1.0 and 2.0 are)",
                           ld->path, pre[6], pre[7]);
    }
    if (rc != EMB_OK) return rc == EMB_EFORMAT ? emb_err_set(err, rc, "%s: truncated .npy header", ld->path) : rc;
    if (hlen > MAX_NPY_HEADER_BYTES)
        return emb_err_set(err, EMB_EFORMAT, "%s: .npy header of %u bytes is too large", ld->path, hlen);
    if (!(header = emb_alloc((size_t)hlen + 1))) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    if ((rc = emb_reader_read(ld->r, header, hlen, NULL, err)) != EMB_OK) {
        if (rc == EMB_EFORMAT) rc = emb_err_set(err, rc, "%s: truncated .npy header", ld->path);
        goto done;
    }
    header[hlen] = '\0';
    struct npy_info info;
    const char *why = memchr(header, '\0', hlen) ? "NUL byte in the header" : npy_parse_header(header, &info);
    if (why) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: bad .npy header: %s", ld->path, why);
        goto done;
    }
    if (strcmp(info.descr, "<f4") != 0) {
        char shown[64];
        rc = emb_err_set(err, EMB_EFORMAT, "%s: .npy dtype '%s' is not supported: need float32 '<f4' (arr.astype('<f4'))",
                         ld->path, show(shown, info.descr, strlen(info.descr)));
        goto done;
    }
    if (info.fortran_order) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: .npy array is in Fortran order: need C order (np.ascontiguousarray)",
                         ld->path);
        goto done;
    }
    if (info.ndim != 2) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: .npy array has %d dimensions: need a matrix of shape (N, D)", ld->path,
                         info.ndim);
        goto done;
    }
    if ((rc = check_shape(ld, info.shape[0], info.shape[1], err)) != EMB_OK) goto done;
    ld->n_want = limit > 0 && limit < ld->n_file ? limit : ld->n_file;

    /* The words come first: their count is real, unlike a header's. */
    if (!vocab_path) { /* (stdin without a vocabulary path was refused before reading) */
        if (!(vocab_path = default_vocab = emb_vecs_npy_vocab_path(ld->path))) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
            goto done;
        }
    }
    if ((rc = load_npy_vocab(ld, vocab_path, err)) != EMB_OK) goto done;

    if ((rc = sink_init(&ld->rows, ld->n_want, ld->dim, ld->file_bytes, 4 * (int64_t)ld->dim, err)) != EMB_OK)
        goto done;
    while (ld->rows.n < ld->n_want) {
        float *row;
        size_t need = (size_t)ld->dim * sizeof(float);
        if ((rc = sink_row(&ld->rows, &row, err)) != EMB_OK) goto done;
        if ((rc = emb_reader_read(ld->r, row, need, NULL, err)) != EMB_OK) {
            if (rc == EMB_EFORMAT && (rc = probe_end(ld->r, err)) == EMB_OK)
                rc = emb_err_set(err, EMB_EFORMAT, "%s: file ends in row %lld of %lld (truncated?)", ld->path,
                                 (long long)ld->rows.n + 1, (long long)ld->n_file);
            goto done;
        }
        if (!host_is_little_endian()) swap_f32(row, ld->dim);
        for (int32_t j = 0; j < ld->dim; j++)
            if (!isfinite(row[j])) {
                char shown[64];
                const char *w = emb_vocab_word(ld->vocab, (int32_t)ld->rows.n);
                rc = emb_err_set(err, EMB_ENUMERIC, "%s: row %lld ('%s'): value %d is %s", ld->path,
                                 (long long)ld->rows.n + 1, show(shown, w, strlen(w)), j + 1,
                                 isnan(row[j]) ? "NaN" : "infinite");
                goto done;
            }
        ld->rows.n++;
    }
    if (ld->n_want == ld->n_file) {
        /* .npy files end with the data: any byte more means a wrong shape. */
        if (emb_reader_getc(ld->r) >= 0)
            rc = emb_err_set(err, EMB_EFORMAT, "%s: bytes after the %lld x %d float32 values of the header's shape",
                             ld->path, (long long)ld->n_file, ld->dim);
        else
            rc = probe_end(ld->r, err);
    }
done:
    emb_free(header);
    emb_free(default_vocab);
    return rc;
}

/* ---- sniffing --------------------------------------------------------- */

/* Bytes a text row's values are made of: digits, signs, '.', exponents,
 * whitespace, and the letters of nan/inf/infinity and hex floats. */
static int is_numeric_text_byte(unsigned char c) {
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || is_ascii_space(c) ||
           (c != 0 && strchr("eEnNaAiIfFtTyYxXpP", c) != NULL); /* strchr finds the NUL terminator */
}

/* Guess from the first bytes. Binary float32 bytes are almost never all
 * drawn from the ~40 bytes text numbers use (random floats: p ~ 10^-4 per
 * value); anything unclear is TEXT so that its parser explains. */
static enum emb_vec_format sniff_bytes(const unsigned char *b, size_t n) {
    if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) return EMB_FMT_NPY;
    const unsigned char *nl = memchr(b, '\n', n < MAX_HEADER_BYTES ? n : MAX_HEADER_BYTES);
    if (!nl) return EMB_FMT_TEXT;
    /* The dimension, i.e. the second number of the header. */
    const unsigned char *p = b;
    while (p < nl && !is_blank(*p)) p++;
    while (p < nl && is_blank(*p)) p++;
    long long d = 0;
    while (p < nl && *p >= '0' && *p <= '9' && d < EMB_VECS_MAX_DIM) d = d * 10 + (*p++ - '0');
    if (d <= 0) return EMB_FMT_TEXT;
    /* The first word (after any '\n', as in binary files) and its ' '. */
    p = nl + 1;
    const unsigned char *end = b + n;
    while (p < end && *p == '\n') p++;
    const unsigned char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp) return EMB_FMT_TEXT;
    size_t k = (size_t)(end - sp - 1), want = (size_t)d * 4;
    if (k > want) k = want;
    if (k > SNIFF_FLOAT_BYTES) k = SNIFF_FLOAT_BYTES;
    for (size_t i = 0; i < k; i++)
        if (!is_numeric_text_byte(sp[1 + i])) return EMB_FMT_BIN;
    return EMB_FMT_TEXT;
}

int emb_vec_format_detect(const char *path, enum emb_vec_format *out, struct emb_err *err) {
    *out = emb_vec_format_from_path(path);
    if (strcmp(path, "-") == 0 || has_known_extension(path)) return EMB_OK;
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    unsigned char b[SNIFF_BYTES];
    size_t n = 0;
    int c;
    while (n < sizeof b && (c = emb_reader_getc(r)) >= 0) b[n++] = (unsigned char)c;
    emb_reader_close(r);
    *out = sniff_bytes(b, n);
    return EMB_OK;
}

/* ---- emb_vecs_load ------------------------------------------------------ */

int emb_vecs_load(struct emb_vecs **out, const char *path, enum emb_vec_format fmt, int64_t limit,
                  const char *vocab_path, struct emb_err *err) {
    struct loader ld = {.path = path, .file_bytes = file_size(path)};
    struct emb_vecs *v = NULL;
    int rc;
    *out = NULL;
    if (fmt == EMB_FMT_AUTO && (rc = emb_vec_format_detect(path, &fmt, err)) != EMB_OK) return rc;
    if (fmt == EMB_FMT_NPY && !vocab_path && strcmp(path, "-") == 0)
        return emb_err_set(err, EMB_EINVAL, "reading .npy from stdin needs the vocabulary path");
    if ((rc = emb_reader_open(&ld.r, path, err)) != EMB_OK) goto done;
    if ((rc = emb_vocab_new(&ld.vocab, err)) != EMB_OK) goto done;
    switch (fmt) {
    case EMB_FMT_BIN: rc = load_bin(&ld, limit, err); break;
    case EMB_FMT_NPY: rc = load_npy(&ld, limit, vocab_path, err); break;
    default: rc = load_text(&ld, limit, err); break;
    }
    if (rc != EMB_OK) goto done;
    /* The sink never grows past n_want and we read n_want rows, so the
     * table is exactly full; say so rather than trust it silently. */
    if (ld.rows.t->n_rows != ld.rows.n) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: internal error: %lld rows in a table of %lld", path,
                         (long long)ld.rows.n, (long long)ld.rows.t->n_rows);
        goto done;
    }
    if (!(v = emb_calloc(1, sizeof *v))) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
        goto done;
    }
    v->vocab = ld.vocab, ld.vocab = NULL;
    v->table = ld.rows.t, ld.rows.t = NULL;
    *out = v;
done:
    emb_reader_close(ld.r);
    emb_vocab_free(ld.vocab);
    emb_table_free(ld.rows.t);
    return rc;
}

void emb_vecs_free(struct emb_vecs *v) {
    if (!v) return;
    emb_vocab_free(v->vocab);
    emb_table_free(v->table);
    emb_free(v);
}

/* ---- saving ----------------------------------------------------------- */

/* The shortest "%.<p>g", p = 6..9, that strtof reads back to exactly x.
 * Nine significant digits always suffice for float32. out: (32).
 * Trained weights mostly need 8 or 9 digits, so the search starts at 8:
 * about two snprintf+strtof pairs per value instead of four.
 * TODO: a shortest-digits printer (Ryu) would be several times faster
 * still (text output runs near 2M values/s, binary ~100x faster), at the
 * price of a few hundred delicate lines. */
static int roundtrips(const char *s, float x) {
    float y = strtof(s, NULL);
    return memcmp(&x, &y, sizeof x) == 0; /* bitwise: keeps -0 */
}

static void format_f32(char *out, float x) {
    char shorter[32];
    snprintf(out, 32, "%.8g", (double)x);
    if (!roundtrips(out, x)) {
        snprintf(out, 32, "%.9g", (double)x);
        return;
    }
    for (int p = 7; p >= 6; p--) {
        snprintf(shorter, sizeof shorter, "%.*g", p, (double)x);
        if (!roundtrips(shorter, x)) return;
        memcpy(out, shorter, sizeof shorter);
    }
}

/* D float32 values, little-endian. */
static void write_f32(FILE *f, const float *x, int32_t n) {
    if (host_is_little_endian()) {
        fwrite(x, sizeof *x, (size_t)n, f);
        return;
    }
    for (int32_t j = 0; j < n; j++) {
        float y = x[j];
        swap_f32(&y, 1);
        fwrite(&y, sizeof y, 1, f);
    }
}

static void write_text(FILE *f, const struct emb_vocab *vocab, const struct emb_table *t, int32_t n) {
    char num[32];
    fprintf(f, "%d %d\n", n, t->dim);
    for (int32_t i = 0; i < n; i++) {
        const float *row = emb_table_row(t, i);
        fputs(emb_vocab_word(vocab, i), f);
        for (int32_t j = 0; j < t->dim; j++) {
            format_f32(num, row[j]);
            fputc(' ', f);
            fputs(num, f);
        }
        fputc('\n', f);
    }
}

static void write_bin(FILE *f, const struct emb_vocab *vocab, const struct emb_table *t, int32_t n) {
    fprintf(f, "%d %d\n", n, t->dim);
    for (int32_t i = 0; i < n; i++) {
        fputs(emb_vocab_word(vocab, i), f);
        fputc(' ', f);
        write_f32(f, emb_table_row(t, i), t->dim);
        fputc('\n', f); /* as word2vec.c does; readers skip it */
    }
}

/* .npy format 1.0: magic, version, uint16 header length, then the dict
 * padded with spaces and a final '\n' so the data starts at a multiple of
 * 64 bytes, as numpy writes it. */
static void write_npy(FILE *f, const struct emb_table *t, int32_t n) {
    char dict[128];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, t->dim);
    int total = (10 + len + 1 + 63) / 64 * 64; /* 10 = magic 6 + version 2 + length 2 */
    int hlen = total - 10;
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fputs(dict, f);
    for (int i = len; i < hlen - 1; i++) fputc(' ', f);
    fputc('\n', f);
    for (int32_t i = 0; i < n; i++) write_f32(f, emb_table_row(t, i), t->dim);
}

/* Check everything that could make the output unreadable before any file
 * is created: shape, words (whitespace, or newlines for .npy vocab files),
 * and values (NaN/inf cannot be read back). */
static int check_save(const struct emb_vocab *vocab, const struct emb_table *t, const char *path,
                      enum emb_vec_format fmt, struct emb_err *err) {
    int32_t n = emb_vocab_size(vocab);
    char shown[64];
    if (n == 0) return emb_err_set(err, EMB_EEMPTY, "%s: no vectors to save", path);
    if (n > t->n_rows)
        return emb_err_set(err, EMB_EINVAL, "%s: %d words but only %lld table rows", path, n, (long long)t->n_rows);
    if (t->dim > EMB_VECS_MAX_DIM)
        return emb_err_set(err, EMB_EINVAL, "%s: dimension %d exceeds %d", path, t->dim, EMB_VECS_MAX_DIM);
    for (int32_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(vocab, i);
        for (const char *c = w; *c; c++)
            if (fmt == EMB_FMT_NPY ? (*c == '\n' || *c == '\r') : is_ascii_space((unsigned char)*c))
                return emb_err_set(err, EMB_EINVAL, "%s: word %d '%s' contains whitespace and cannot be written as %s",
                                   path, i + 1, show(shown, w, strlen(w)), emb_vec_format_name(fmt));
        const float *row = emb_table_row(t, i);
        for (int32_t j = 0; j < t->dim; j++)
            if (!isfinite(row[j]))
                return emb_err_set(err, EMB_ENUMERIC, "%s: value %d of '%s' is %s", path, j + 1,
                                   show(shown, w, strlen(w)), isnan(row[j]) ? "NaN" : "infinite");
    }
    return EMB_OK;
}

int emb_vecs_save(const struct emb_vocab *vocab, const struct emb_table *t, const char *path,
                  enum emb_vec_format fmt, const char *vocab_path, struct emb_err *err) {
    struct emb_outfile *out = NULL, *vout = NULL;
    char *default_vocab = NULL;
    if (fmt == EMB_FMT_AUTO) fmt = emb_vec_format_from_path(path);
    int rc = check_save(vocab, t, path, fmt, err);
    if (rc != EMB_OK) return rc;
    int32_t n = emb_vocab_size(vocab);
    if (fmt == EMB_FMT_NPY) {
        if (!vocab_path) {
            if (strcmp(path, "-") == 0)
                return emb_err_set(err, EMB_EINVAL, "writing .npy to stdout needs a vocabulary path");
            if (!(vocab_path = default_vocab = emb_vecs_npy_vocab_path(path)))
                return emb_err_set(err, EMB_ENOMEM, "out of memory");
        }
        if ((rc = emb_outfile_open(&vout, vocab_path, err)) != EMB_OK) goto done;
        FILE *f = emb_outfile_stream(vout);
        for (int32_t i = 0; i < n; i++) {
            fputs(emb_vocab_word(vocab, i), f);
            fputc('\n', f);
        }
    }
    if ((rc = emb_outfile_open(&out, path, err)) != EMB_OK) goto done;
    switch (fmt) {
    case EMB_FMT_BIN: write_bin(emb_outfile_stream(out), vocab, t, n); break;
    case EMB_FMT_NPY: write_npy(emb_outfile_stream(out), t, n); break;
    default: write_text(emb_outfile_stream(out), vocab, t, n); break;
    }
    /* Two files cannot be renamed in one step. The vocabulary goes first:
     * should the .npy rename then fail, the pair is stale but a changed row
     * count is still caught on loading. (commit frees its argument.) */
    if (vout) {
        rc = emb_outfile_commit(vout, err);
        vout = NULL;
        if (rc != EMB_OK) goto done;
    }
    rc = emb_outfile_commit(out, err);
    out = NULL;
done:
    emb_outfile_abort(vout);
    emb_outfile_abort(out);
    emb_free(default_vocab);
    return rc;
}
