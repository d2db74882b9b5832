/* io.c -- buffered gzip-transparent reading, corpus tokens, atomic output.
 *
 * DESIGN: one reader type serves every input format. zlib's gzread passes
 * plain files through unchanged, so gzip support costs nothing for plain
 * text. The reader keeps a window buf[pos, end) over the stream; functions
 * that need a contiguous run of bytes (a line, a field) compact the window
 * to the front and grow the buffer when the run is longer than it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/io.h"

#define READ_CHUNK (1u << 18) /* 256 KB per gzread */

struct emb_reader {
    gzFile gz;
    char *path;
    char *buf;
    size_t cap, pos, end;
    int eof, error;
    int64_t file_bytes; /* -1 when unknown */
    int crc_on;         /* emb_reader_read adds what it returns to crc */
    uLong crc;
};

int emb_reader_open(struct emb_reader **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_reader *r = emb_calloc(1, sizeof *r);
    if (!r) return emb_err_set(err, EMB_ENOMEM, "out of memory opening %s", path);
    size_t path_len = strlen(path);
    r->path = emb_alloc(path_len + 1);
    if (r->path) memcpy(r->path, path, path_len + 1);
    r->cap = READ_CHUNK + 1;
    r->buf = emb_alloc(r->cap);
    r->file_bytes = -1;
    if (!r->path || !r->buf) {
        emb_reader_close(r);
        return emb_err_set(err, EMB_ENOMEM, "out of memory opening %s", path);
    }
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        emb_reader_close(r);
        return emb_err_set(err, EMB_EIO, "cannot open %s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            emb_reader_close(r);
            return emb_err_set(err, EMB_EIO, "cannot read %s: is a directory", path);
        }
        if (S_ISREG(st.st_mode)) r->file_bytes = st.st_size;
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        close(fd);
        emb_reader_close(r);
        return emb_err_set(err, EMB_ENOMEM, "cannot open %s: out of memory", path);
    }
    gzbuffer(r->gz, READ_CHUNK);
    *out = r;
    return EMB_OK;
}

void emb_reader_close(struct emb_reader *r) {
    if (!r) return;
    if (r->gz) gzclose(r->gz);
    emb_free(r->path);
    emb_free(r->buf);
    emb_free(r);
}

const char *emb_reader_path(const struct emb_reader *r) { return r->path; }

double emb_reader_progress(const struct emb_reader *r) {
    if (r->file_bytes <= 0) return -1.0;
    z_off_t off = gzoffset(r->gz);
    double f = (double)off / (double)r->file_bytes;
    return f > 1.0 ? 1.0 : f;
}

/* Read more bytes after buf[end). Keeps [pos, end) but may move it to the
 * front. Returns bytes added (0 at EOF) or -1 on error. */
static long refill(struct emb_reader *r, struct emb_err *err) {
    if (r->eof) return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->end < READ_CHUNK + 1) {
        size_t cap = r->cap * 2;
        char *b = emb_realloc(r->buf, cap);
        if (!b) {
            r->error = EMB_ENOMEM;
            emb_err_set(err, EMB_ENOMEM, "out of memory reading %s (a line longer than %zu MB?)", r->path,
                        r->cap >> 20);
            return -1;
        }
        r->buf = b;
        r->cap = cap;
    }
    int n = gzread(r->gz, r->buf + r->end, READ_CHUNK);
    if (n < 0) {
        int zerr = 0;
        const char *msg = gzerror(r->gz, &zerr);
        r->error = EMB_EIO;
        emb_err_set(err, zerr == Z_DATA_ERROR ? EMB_EFORMAT : EMB_EIO, "cannot read %s: %s", r->path,
                    zerr == Z_ERRNO ? strerror(errno) : msg);
        if (zerr == Z_DATA_ERROR) r->error = EMB_EFORMAT;
        return -1;
    }
    if (n == 0) {
        /* A gzip stream cut short reads as EOF with Z_BUF_ERROR pending. */
        int zerr = 0;
        gzerror(r->gz, &zerr);
        if (zerr == Z_BUF_ERROR) {
            r->error = EMB_EFORMAT;
            emb_err_set(err, EMB_EFORMAT, "cannot read %s: truncated gzip file", r->path);
            return -1;
        }
        r->eof = 1;
    }
    r->end += (size_t)n;
    return n;
}

int emb_reader_line(struct emb_reader *r, char **line, size_t *len, struct emb_err *err) {
    size_t scanned = 0; /* bytes after pos already known to hold no '\n' */
    for (;;) {
        char *nl = memchr(r->buf + r->pos + scanned, '\n', r->end - r->pos - scanned);
        if (nl) {
            *line = r->buf + r->pos;
            *len = (size_t)(nl - *line);
            *nl = '\0';
            r->pos += *len + 1;
            return 1;
        }
        scanned = r->end - r->pos;
        long n = refill(r, err);
        if (n < 0) return r->error;
        if (n == 0) {
            if (r->end == r->pos) return 0;
            /* Last line without '\n': there is always room for the NUL. */
            *line = r->buf + r->pos;
            *len = r->end - r->pos;
            r->buf[r->end] = '\0';
            r->pos = r->end;
            return 1;
        }
    }
}

int emb_reader_read(struct emb_reader *r, void *buf, size_t n, size_t *got, struct emb_err *err) {
    char *dst = buf;
    size_t done = 0;
    while (done < n) {
        if (r->pos == r->end) {
            r->pos = r->end = 0;
            long k = refill(r, err);
            if (k < 0) {
                if (got) *got = done;
                return r->error;
            }
            if (k == 0) {
                if (got) *got = done;
                return emb_err_set(err, EMB_EFORMAT, "%s: unexpected end of file", r->path);
            }
        }
        size_t take = r->end - r->pos < n - done ? r->end - r->pos : n - done;
        memcpy(dst + done, r->buf + r->pos, take);
        if (r->crc_on) r->crc = crc32_z(r->crc, (const Bytef *)r->buf + r->pos, take);
        r->pos += take;
        done += take;
    }
    if (got) *got = done;
    return EMB_OK;
}

int emb_reader_field(struct emb_reader *r, int delim, size_t max, char **out, size_t *len, struct emb_err *err) {
    size_t scanned = 0;
    for (;;) {
        size_t avail = r->end - r->pos;
        char *d = memchr(r->buf + r->pos + scanned, delim, avail - scanned);
        if (d) {
            size_t n = (size_t)(d - (r->buf + r->pos));
            if (n > max) return emb_err_set(err, EMB_EFORMAT, "%s: field longer than %zu bytes", r->path, max);
            *out = r->buf + r->pos;
            *len = n;
            *d = '\0';
            r->pos += n + 1;
            return 1;
        }
        if (avail > max) return emb_err_set(err, EMB_EFORMAT, "%s: field longer than %zu bytes", r->path, max);
        scanned = avail;
        long k = refill(r, err);
        if (k < 0) return r->error;
        if (k == 0) {
            if (r->end == r->pos) return 0;
            return emb_err_set(err, EMB_EFORMAT, "%s: unexpected end of file", r->path);
        }
    }
}

int emb_reader_getc(struct emb_reader *r) {
    if (r->pos == r->end) {
        r->pos = r->end = 0;
        if (refill(r, NULL) <= 0) return -1;
    }
    return (unsigned char)r->buf[r->pos++];
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int emb_split_fields(char *line, size_t len, char **fields, size_t *lens, int max_fields) {
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_blank(line[i])) i++;
        if (i == len) break;
        size_t start = i;
        while (i < len && !is_blank(line[i])) i++;
        if (n < max_fields) {
            fields[n] = line + start;
            lens[n] = i - start;
        }
        n++;
        /* Terminate in place: line[i] is a blank, or line[len] (writable by
         * the contract), so no field byte is lost. */
        line[i] = '\0';
        if (i < len) i++;
    }
    return n;
}

/* ---- corpus tokens --------------------------------------------------- */

enum { C_TOKEN = 0, C_SPACE = 1, C_NEWLINE = 2, C_NUL = 3 };

struct emb_corpus {
    struct emb_reader *r;
    unsigned char cls[256];
    int line_has_tokens;
    int64_t offset; /* bytes consumed before buf[0] (for messages) */
    char tok[EMB_MAX_TOKEN_BYTES + 8];
};

int emb_corpus_open(struct emb_corpus **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_corpus *c = emb_calloc(1, sizeof *c);
    if (!c) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    int rc = emb_reader_open(&c->r, path, err);
    if (rc != EMB_OK) {
        emb_free(c);
        return rc;
    }
    c->cls[' '] = c->cls['\t'] = c->cls['\v'] = c->cls['\f'] = c->cls['\r'] = C_SPACE;
    c->cls['\n'] = C_NEWLINE;
    c->cls[0] = C_NUL;
    *out = c;
    return EMB_OK;
}

void emb_corpus_close(struct emb_corpus *c) {
    if (!c) return;
    emb_reader_close(c->r);
    emb_free(c);
}

const struct emb_reader *emb_corpus_reader(const struct emb_corpus *c) { return c->r; }

/* Cut a token at a UTF-8 character boundary at or before n bytes. */
static size_t utf8_cut(const char *s, size_t n) {
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--; /* continuation bytes */
    if (i == 0) return n;                                           /* not UTF-8: plain cut */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return (n - (i - 1) >= need) ? n : i - 1;
}

static int nul_error(struct emb_corpus *c, struct emb_err *err) {
    return emb_err_set(err, EMB_EFORMAT, "%s: NUL byte near offset %lld: the corpus looks like binary data, not text",
                       c->r->path, (long long)(c->offset + (int64_t)c->r->pos));
}

int emb_corpus_next(struct emb_corpus *c, const char **tok, size_t *len, struct emb_err *err) {
    struct emb_reader *r = c->r;
    const unsigned char *cls = c->cls;
    /* Skip separators, reporting end of line after a line with tokens. */
    for (;;) {
        while (r->pos < r->end) {
            unsigned char k = cls[(unsigned char)r->buf[r->pos]];
            if (k == C_TOKEN) goto token;
            if (k == C_NUL) return nul_error(c, err);
            r->pos++;
            if (k == C_NEWLINE && c->line_has_tokens) {
                c->line_has_tokens = 0;
                return EMB_TOK_EOL;
            }
        }
        c->offset += (int64_t)r->end;
        r->pos = r->end = 0;
        long n = refill(r, err);
        if (n < 0) return r->error;
        if (n == 0) {
            if (c->line_has_tokens) {
                c->line_has_tokens = 0;
                return EMB_TOK_EOL;
            }
            return EMB_TOK_EOF;
        }
    }
token:;
    /* Fast path: the whole token is inside the window. */
    size_t start = r->pos, i = start;
    while (i < r->end && cls[(unsigned char)r->buf[i]] == C_TOKEN) i++;
    if (i < r->end && i - start <= EMB_MAX_TOKEN_BYTES) {
        if (cls[(unsigned char)r->buf[i]] == C_NUL) {
            r->pos = i;
            return nul_error(c, err);
        }
        *tok = r->buf + start;
        *len = i - start;
        r->pos = i;
        c->line_has_tokens = 1;
        return EMB_TOK_WORD;
    }
    /* Slow path: the token crosses the window's end or is too long. */
    size_t n_tok = 0;
    int too_long = 0; /* bytes were dropped: cut at a character boundary */
    for (;;) {
        while (r->pos < r->end) {
            unsigned char k = cls[(unsigned char)r->buf[r->pos]];
            if (k != C_TOKEN) {
                if (k == C_NUL) return nul_error(c, err);
                goto done;
            }
            if (n_tok < EMB_MAX_TOKEN_BYTES) c->tok[n_tok++] = r->buf[r->pos];
            else too_long = 1;
            r->pos++;
        }
        c->offset += (int64_t)r->end;
        r->pos = r->end = 0;
        long n = refill(r, err);
        if (n < 0) return r->error;
        if (n == 0) break;
    }
done:
    if (too_long) n_tok = utf8_cut(c->tok, n_tok);
    c->tok[n_tok] = '\0';
    *tok = c->tok;
    *len = n_tok;
    c->line_has_tokens = 1;
    return EMB_TOK_WORD;
}

/* ---- atomic output --------------------------------------------------- */

/* How outputs are written (io.h has the user's view):
 *  - "-" is stdout;
 *  - an existing file that is not a regular file (a device such as
 *    /dev/null, a FIFO) is opened and written through: renaming over it
 *    would replace the device for everyone;
 *  - anything else is written to a temporary file in the directory of the
 *    final target (a symlink is followed, so the link stays and its target
 *    gets the data) and renamed over the target on commit. The temporary
 *    takes the mode and (where allowed) the owner of the file it replaces.
 * Temporaries are named ".NAME.emb-tmp.PID.XXXXXXXX"; opening an output
 * removes the ones for the same NAME left by dead processes (kill -9). */

#define TMP_TAG ".emb-tmp."
#define TMP_BASE_MAX 100  /* bytes of NAME kept in a temporary's name */
#define MAX_SYMLINKS 40   /* as Linux's MAXSYMLINKS */

struct emb_outfile {
    FILE *f;
    char *path;   /* as given, for messages; NULL for stdout */
    char *target; /* the file renamed over (symlinks resolved) */
    char *tmp;    /* NULL for stdout and when writing through */
};

static char *str_dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = emb_alloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* dir + "/" + name; dir "" means the current directory. */
static char *path_join(const char *dir, size_t dir_len, const char *name) {
    size_t n = strlen(name);
    char *d = emb_alloc(dir_len + n + 2);
    if (!d) return NULL;
    memcpy(d, dir, dir_len);
    size_t k = dir_len;
    if (k && d[k - 1] != '/') d[k++] = '/';
    memcpy(d + k, name, n + 1);
    return d;
}

/* Length of the directory part of path ("" -> 0, "a/b" -> 1, "/a" -> 1). */
static size_t dir_len(const char *path) {
    const char *s = strrchr(path, '/');
    if (!s) return 0;
    return s == path ? 1 : (size_t)(s - path);
}

/* The file that writing path replaces: path itself, or, for a symlink
 * (also a dangling one, or a chain), the file it finally points to.
 * Caller frees. NULL only when out of memory. */
static char *output_target(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return str_dup(path);
    if (stat(path, &st) == 0) { /* the link resolves: let realpath follow it */
        char *r = realpath(path, NULL);
        if (r) {
            char *d = str_dup(r);
            free(r);
            return d;
        }
        return str_dup(path);
    }
    /* A dangling link: follow it by hand to the name that does not exist. */
    char *cur = str_dup(path);
    char link[4096];
    for (int i = 0; cur && i < MAX_SYMLINKS; i++) {
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n <= 0) return cur;
        link[n] = '\0';
        char *next = link[0] == '/' ? str_dup(link) : path_join(cur, dir_len(cur), link);
        emb_free(cur);
        cur = next;
    }
    return cur;
}

/* The target as an absolute name with its directory's symlinks resolved,
 * for comparing two paths; NULL if the directory does not exist. */
static char *output_canonical(const char *path) {
    char *t = output_target(path);
    if (!t) return NULL;
    size_t dn = dir_len(t);
    char *dir = emb_alloc(dn + 2);
    char *res = NULL;
    if (dir) {
        if (dn) memcpy(dir, t, dn);
        else dir[dn++] = '.';
        dir[dn] = '\0';
        char *real = realpath(dir, NULL);
        const char *base = t + dir_len(t) + (t[dir_len(t)] == '/');
        if (real) res = path_join(real, strlen(real), base);
        free(real);
        emb_free(dir);
    }
    emb_free(t);
    return res;
}

/* The descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or
 * /proc/self/fd/N names, else -1. Writing to such a path means writing to
 * that descriptor (its offset, its O_APPEND), not replacing the file
 * behind it. */
static int fd_path(const char *path) {
    if (!strcmp(path, "/dev/stdout")) return 1;
    if (!strcmp(path, "/dev/stderr")) return 2;
    const char *num = !strncmp(path, "/dev/fd/", 8) ? path + 8 : !strncmp(path, "/proc/self/fd/", 14) ? path + 14 : NULL;
    if (!num || *num < '0' || *num > '9') return -1;
    char *end = NULL;
    long fd = strtol(num, &end, 10);
    return *end || fd > 1 << 20 ? -1 : (int)fd;
}

/* Remove ".BASE.emb-tmp.PID.*" files in dir whose PID is not running. */
static void remove_stale_temps(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return;
    size_t n = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, n) != 0) continue;
        char *end = NULL;
        errno = 0;
        long pid = strtol(e->d_name + n, &end, 10);
        if (errno || end == e->d_name + n || *end != '.' || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to know */
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

int emb_output_check(const char *path, struct emb_err *err) {
    if (strcmp(path, "-") == 0) return EMB_OK;
    struct stat st;
    int fd = fd_path(path);
    if (fd >= 0) {
        if (fstat(fd, &st) != 0) return emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(errno));
        return EMB_OK;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(EISDIR));
        if (!S_ISREG(st.st_mode)) {
            if (access(path, W_OK) != 0)
                return emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(errno));
            return EMB_OK;
        }
    }
    char *t = output_target(path);
    if (!t) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    size_t dn = dir_len(t);
    char *dir = emb_alloc(dn + 2);
    int rc = EMB_OK;
    if (!dir) {
        rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
    } else {
        if (dn) memcpy(dir, t, dn);
        else dir[dn++] = '.';
        dir[dn] = '\0';
        if (stat(dir, &st) != 0)
            rc = emb_err_set(err, EMB_EIO, "cannot write %s: directory %s: %s", path, dir, strerror(errno));
        else if (!S_ISDIR(st.st_mode))
            rc = emb_err_set(err, EMB_EIO, "cannot write %s: %s is not a directory", path, dir);
        else if (access(dir, W_OK | X_OK) != 0)
            rc = emb_err_set(err, EMB_EIO, "cannot write %s: directory %s: %s", path, dir, strerror(errno));
    }
    emb_free(dir);
    emb_free(t);
    return rc;
}

int emb_output_same_file(const char *a, const char *b) {
    if (!strcmp(a, "-") || !strcmp(b, "-")) return strcmp(a, b) == 0;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) return 1;
    char *ca = output_canonical(a), *cb = output_canonical(b);
    int same = ca && cb && strcmp(ca, cb) == 0;
    emb_free(ca);
    emb_free(cb);
    return same;
}

int emb_outfile_open(struct emb_outfile **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_outfile *o = emb_calloc(1, sizeof *o);
    if (!o) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        *out = o;
        return EMB_OK;
    }
    int fd = -1, e = 0;
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!(o->path = str_dup(path))) goto nomem;
    if (exists && S_ISDIR(st.st_mode)) {
        emb_outfile_abort(o);
        return emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(EISDIR));
    }
    int std_fd = fd_path(path);
    if (std_fd >= 0) { /* one of our descriptors: write to it */
        if (fflush(std_fd == 1 ? stdout : std_fd == 2 ? stderr : NULL) != 0 ||
            (fd = fcntl(std_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
            e = errno;
            emb_outfile_abort(o);
            return emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(e));
        }
    } else if (exists && !S_ISREG(st.st_mode)) { /* a device or FIFO: write through */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            e = errno;
            emb_outfile_abort(o);
            return emb_err_set(err, EMB_EIO, "cannot open %s: %s", path, strerror(e));
        }
    } else {
        if (!(o->target = output_target(path))) goto nomem;
        size_t dn = dir_len(o->target);
        const char *base = o->target + dn + (o->target[dn] == '/');
        size_t bn = strlen(base);
        if (bn > TMP_BASE_MAX) bn = TMP_BASE_MAX;
        /* dir/.BASE.emb-tmp.PID.XXXXXXXX */
        size_t cap = dn + bn + 64;
        char *dir = emb_alloc(dn + 2), *prefix = emb_alloc(bn + 32);
        o->tmp = emb_alloc(cap);
        if (!dir || !prefix || !o->tmp) {
            emb_free(dir);
            emb_free(prefix);
            goto nomem;
        }
        if (dn) memcpy(dir, o->target, dn);
        else dir[dn++] = '.';
        dir[dn] = '\0';
        snprintf(prefix, bn + 32, ".%.*s" TMP_TAG, (int)bn, base);
        remove_stale_temps(dir, prefix);
        /* A fresh name, created with O_EXCL. A new file gets mode 0666 so the
         * umask applies as for any new file (mkstemp would make it 0600, and
         * reading the umask means changing it, which is not thread-safe); a
         * replaced file's mode is copied below, so start private. */
        static _Atomic unsigned counter = 0;
        for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
            unsigned salt = (unsigned)time(NULL) * 2654435761u + ++counter * 40503u + (unsigned)attempt * 69069u;
            snprintf(o->tmp, cap, "%s/%s%ld.%08x", dir, prefix, (long)getpid(), salt);
            fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? 0600 : 0666);
            e = errno;
            if (fd < 0 && e != EEXIST) break;
        }
        emb_free(dir);
        emb_free(prefix);
        if (fd < 0) {
            emb_free(o->tmp);
            o->tmp = NULL;
            emb_outfile_abort(o);
            return emb_err_set(err, EMB_EIO, "cannot create %s: %s", path, strerror(e));
        }
        if (exists) { /* keep the replaced file's owner (if allowed) and mode */
            if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) != 0) {
                /* not allowed: the new file is ours, as any new file would be */
            }
            if (fchmod(fd, st.st_mode & 07777) != 0) {
                e = errno;
                close(fd);
                unlink(o->tmp);
                emb_outfile_abort(o);
                return emb_err_set(err, EMB_EIO, "cannot set the mode of %s: %s", path, strerror(e));
            }
        }
    }
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        if (o->tmp) unlink(o->tmp);
        emb_outfile_abort(o);
        return emb_err_set(err, EMB_ENOMEM, "cannot create %s", path);
    }
    setvbuf(o->f, NULL, _IOFBF, 1 << 20);
    *out = o;
    return EMB_OK;
nomem:
    emb_outfile_abort(o);
    return emb_err_set(err, EMB_ENOMEM, "out of memory");
}

FILE *emb_outfile_stream(struct emb_outfile *f) { return f->f; }

int emb_outfile_commit(struct emb_outfile *o, struct emb_err *err) {
    int rc = EMB_OK;
    if (!o->path) { /* stdout */
        if (fflush(o->f) != 0 || ferror(o->f)) rc = emb_err_set(err, EMB_EIO, "write to stdout failed: %s", strerror(errno));
        emb_free(o);
        return rc;
    }
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    if (o->tmp && !bad && fsync(fileno(o->f)) != 0 && errno != EINVAL) bad = 1, e = errno;
    if (fclose(o->f) != 0 && !bad) bad = 1, e = errno;
    o->f = NULL;
    if (o->tmp && !bad && rename(o->tmp, o->target) != 0) bad = 1, e = errno;
    if (bad) {
        if (o->tmp) unlink(o->tmp);
        rc = emb_err_set(err, EMB_EIO, "cannot write %s: %s", o->path, strerror(e));
    }
    emb_free(o->path);
    emb_free(o->target);
    emb_free(o->tmp);
    emb_free(o);
    return rc;
}

void emb_outfile_abort(struct emb_outfile *o) {
    if (!o) return;
    int e = errno; /* callers report the write error after aborting */
    if (o->f && o->f != stdout) fclose(o->f);
    if (o->tmp && o->f) unlink(o->tmp);
    emb_free(o->path);
    emb_free(o->target);
    emb_free(o->tmp);
    emb_free(o);
    errno = e;
}

/* ---- native binary helpers ------------------------------------------- */

int emb_write_header(FILE *f, const char magic[8], uint32_t version, const char *kv) {
    uint32_t kv_bytes = kv ? (uint32_t)strlen(kv) : 0;
    if (fwrite(magic, 1, 8, f) != 8 || fwrite(&version, 4, 1, f) != 1 || fwrite(&kv_bytes, 4, 1, f) != 1)
        return EMB_EIO;
    if (kv_bytes && fwrite(kv, 1, kv_bytes, f) != kv_bytes) return EMB_EIO;
    return EMB_OK;
}

/* Header text larger than this is not one of ours. */
#define MAX_KV_BYTES (1u << 24)

int emb_read_header(struct emb_reader *r, const char magic[8], uint32_t max_version, uint32_t *version,
                    char **kv, struct emb_err *err) {
    char m[8];
    uint32_t v, n;
    *kv = NULL;
    if (emb_reader_read(r, m, 8, NULL, NULL) != EMB_OK || memcmp(m, magic, 8) != 0)
        return emb_err_set(err, EMB_EFORMAT, "%s: not an emb %.7s file (bad magic)", r->path, magic);
    if (emb_reader_read(r, &v, 4, NULL, NULL) != EMB_OK || emb_reader_read(r, &n, 4, NULL, NULL) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated header", r->path);
    if (v == 0 || v > max_version)
        return emb_err_set(err, EMB_EFORMAT, "%s: format version %u, this emb reads up to %u", r->path, v, max_version);
    if (n > MAX_KV_BYTES) return emb_err_set(err, EMB_EFORMAT, "%s: header of %u bytes is too large", r->path, n);
    char *text = emb_alloc((size_t)n + 1);
    if (!text) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    if (emb_reader_read(r, text, n, NULL, NULL) != EMB_OK) {
        emb_free(text);
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated header", r->path);
    }
    text[n] = '\0';
    if (memchr(text, '\0', n)) {
        emb_free(text);
        return emb_err_set(err, EMB_EFORMAT, "%s: corrupt header", r->path);
    }
    *version = v;
    *kv = text;
    return EMB_OK;
}

int emb_kv_get(const char *kv, const char *key, char *buf, size_t buf_bytes) {
    if (buf_bytes == 0) return 0;
    size_t klen = strlen(key);
    for (const char *p = kv; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t llen = eol ? (size_t)(eol - p) : strlen(p);
        if (llen > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = llen - klen - 1;
            if (vlen >= buf_bytes) vlen = buf_bytes - 1;
            memcpy(buf, p + klen + 1, vlen);
            buf[vlen] = '\0';
            return 1;
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

int emb_kv_ll(const char *kv, const char *key, long long lo, long long hi, long long *out, const char *path,
              struct emb_err *err) {
    char buf[64], *end = NULL;
    if (!emb_kv_get(kv, key, buf, sizeof buf)) return emb_err_set(err, EMB_EFORMAT, "%s: header lacks '%s'", path, key);
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || *end || errno || v < lo || v > hi)
        return emb_err_set(err, EMB_EFORMAT, "%s: header value %s=%s is out of range [%lld, %lld]", path, key, buf, lo,
                           hi);
    *out = v;
    return EMB_OK;
}

int emb_kv_double(const char *kv, const char *key, double lo, double hi, double *out, const char *path,
                  struct emb_err *err) {
    char buf[64], *end = NULL;
    if (!emb_kv_get(kv, key, buf, sizeof buf)) return emb_err_set(err, EMB_EFORMAT, "%s: header lacks '%s'", path, key);
    double v = strtod(buf, &end);
    if (end == buf || *end || !(v >= lo && v <= hi))
        return emb_err_set(err, EMB_EFORMAT, "%s: header value %s=%s is out of range [%g, %g]", path, key, buf, lo, hi);
    *out = v;
    return EMB_OK;
}

int emb_kv_require(const char *have, const char *want, const char *path, struct emb_err *err) {
    for (const char *line = want; line && *line;) {
        const char *nl = strchr(line, '\n'), *eq = strchr(line, '=');
        size_t llen = nl ? (size_t)(nl - line) : strlen(line);
        if (eq && (size_t)(eq - line) < llen && eq > line) {
            char key[64], val[256], got[256];
            size_t klen = (size_t)(eq - line), vlen = llen - klen - 1;
            if (klen >= sizeof key) klen = sizeof key - 1;
            if (vlen >= sizeof val) vlen = sizeof val - 1;
            memcpy(key, line, klen);
            key[klen] = '\0';
            memcpy(val, eq + 1, vlen);
            val[vlen] = '\0';
            if (!emb_kv_get(have, key, got, sizeof got))
                return emb_err_set(err, EMB_EFORMAT, "%s: checkpoint lacks '%s' (made by another trainer or emb version?)",
                                   path, key);
            if (strcmp(got, val))
                return emb_err_set(err, EMB_EINVAL, "%s was made with %s=%s, this run has %s=%s", path, key, got, key,
                                   val);
        }
        line = nl ? nl + 1 : NULL;
    }
    return EMB_OK;
}

int emb_write_array(FILE *f, const void *data, int64_t n, size_t elem_bytes) {
    if (fwrite(&n, 8, 1, f) != 1) return EMB_EIO;
    if (n > 0 && fwrite(data, elem_bytes, (size_t)n, f) != (size_t)n) return EMB_EIO;
    return EMB_OK;
}

int emb_read_array(struct emb_reader *r, void *data, int64_t n, size_t elem_bytes, const char *what,
                   struct emb_err *err) {
    int64_t m;
    if (emb_reader_read(r, &m, 8, NULL, NULL) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated before %s", r->path, what);
    if (m != n)
        return emb_err_set(err, EMB_EFORMAT, "%s: %s has %lld elements, expected %lld", r->path, what, (long long)m,
                           (long long)n);
    if (n > 0 && emb_reader_read(r, data, (size_t)n * elem_bytes, NULL, NULL) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated in %s", r->path, what);
    return EMB_OK;
}

/* ---- CRC-framed native files ------------------------------------------ */

uint32_t emb_crc32(uint32_t crc, const void *data, size_t n) {
    return (uint32_t)crc32_z(crc, (const Bytef *)data, n);
}

struct emb_crc_writer {
    FILE *f;     /* the stream callers write to (passes bytes to inner) */
    FILE *inner;
    uLong crc;   /* of every byte passed to inner */
    int failed;
};

static ssize_t crc_cookie_write(void *cookie, const char *buf, size_t n) {
    struct emb_crc_writer *w = cookie;
    if (fwrite(buf, 1, n, w->inner) != n) {
        w->failed = 1;
        return -1;
    }
    w->crc = crc32_z(w->crc, (const Bytef *)buf, n);
    return (ssize_t)n;
}

int emb_crc_writer_open(struct emb_crc_writer **out, FILE *inner) {
    *out = NULL;
    struct emb_crc_writer *w = emb_calloc(1, sizeof *w);
    if (!w) return EMB_ENOMEM;
    w->inner = inner;
    w->crc = crc32(0L, Z_NULL, 0);
    cookie_io_functions_t io = {NULL, crc_cookie_write, NULL, NULL};
    w->f = fopencookie(w, "wb", io);
    if (!w->f) {
        emb_free(w);
        return EMB_ENOMEM;
    }
    setvbuf(w->f, NULL, _IOFBF, 1 << 16);
    *out = w;
    return EMB_OK;
}

FILE *emb_crc_writer_stream(struct emb_crc_writer *w) { return w->f; }

/* The CRC of everything written so far, itself written (and counted). */
static int crc_mark(struct emb_crc_writer *w) {
    if (fflush(w->f) != 0 || w->failed) return EMB_EIO;
    uint32_t c = (uint32_t)w->crc;
    return fwrite(&c, 4, 1, w->f) == 1 ? EMB_OK : EMB_EIO;
}

int emb_write_header_crc(struct emb_crc_writer *w, const char magic[8], uint32_t version, const char *kv) {
    int rc = emb_write_header(w->f, magic, version, kv);
    return rc == EMB_OK ? crc_mark(w) : rc;
}

int emb_crc_writer_close(struct emb_crc_writer *w, int write_trailer) {
    if (!w) return EMB_OK;
    int rc = write_trailer ? crc_mark(w) : EMB_OK;
    if (fclose(w->f) != 0 || w->failed) rc = EMB_EIO;
    emb_free(w);
    return rc;
}

int emb_read_header_crc(struct emb_reader *r, const char magic[8], uint32_t crc_version, uint32_t max_version,
                        uint32_t *version, char **kv, struct emb_err *err) {
    r->crc_on = 1;
    r->crc = crc32(0L, Z_NULL, 0);
    int rc = emb_read_header(r, magic, max_version, version, kv, err);
    if (rc != EMB_OK) return rc;
    if (*version < crc_version) {
        r->crc_on = 0;
        return EMB_OK;
    }
    uint32_t want = (uint32_t)r->crc, have;
    if (emb_reader_read(r, &have, 4, NULL, NULL) != EMB_OK || have != want) {
        emb_free(*kv);
        *kv = NULL;
        return emb_err_set(err, EMB_EFORMAT, "%s: checksum mismatch in the header: the file is corrupt", r->path);
    }
    return EMB_OK;
}

int emb_read_trailer_crc(struct emb_reader *r, struct emb_err *err) {
    if (r->crc_on) {
        uint32_t want = (uint32_t)r->crc, have;
        if (emb_reader_read(r, &have, 4, NULL, NULL) != EMB_OK)
            return emb_err_set(err, EMB_EFORMAT, "%s: truncated (no checksum at the end): the file is corrupt",
                               r->path);
        if (have != want)
            return emb_err_set(err, EMB_EFORMAT, "%s: checksum mismatch: the file is corrupt (changed or damaged bytes)",
                               r->path);
    }
    if (emb_reader_getc(r) != -1) return emb_err_set(err, EMB_EFORMAT, "%s: trailing bytes after the data", r->path);
    if (r->error) return emb_err_set(err, r->error, "%s: read error at the end of the file", r->path);
    return EMB_OK;
}

int emb_reader_has(struct emb_reader *r, int64_t n_bytes) {
    if (n_bytes < 0) return 0;
    if (r->file_bytes < 0 || !gzdirect(r->gz)) return 1; /* unknown: the reads will tell */
    int64_t consumed = (int64_t)gztell(r->gz) - (int64_t)(r->end - r->pos);
    return n_bytes <= r->file_bytes - consumed;
}
