/* index_io.c -- the emb_index file format: save, load (mapped, read or
 * gzip) and the checks that refuse a damaged file.
 *
 * DESIGN: the file is emb's native header (io.h) followed by sections,
 * each a 64-byte section header (tag, byte count, CRC-32) and its bytes
 * padded to 64:
 *
 *     "EMBFLAT\0" | "EMBHNSW\0", version 1, key=value text (type, metric,
 *     dim, stride, count, words, M, ...)      padded to 64 bytes
 *     flat:  VECTORS (count, stride) f32 | DELETED (count) u8 | WORDS
 *     hnsw:  LEVEL0 (count, node_bytes)  | LEVELS (count) u8 |
 *            UPPER u32 lists | DELETED | WORDS
 *     WORDS: count NUL-terminated words (0 bytes when the index has none)
 *
 * Because every section starts on a 64-byte boundary, a plain file is
 * mapped (MAP_PRIVATE: deletes and adds after loading copy pages, never
 * write the file) and the arrays point straight into the mapping; gzip or
 * stdin input is read into one aligned buffer and used the same way.
 * Loading checks the magic, version, every key, every section's tag, size
 * and CRC, and then the contents (finite values, link ids in range), so a
 * damaged file is refused with a message instead of crashing a search. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/io.h"
#include "index_impl.h"

#define FILE_VERSION 1u
static const char MAGIC_FLAT[8] = "EMBFLAT";
static const char MAGIC_HNSW[8] = "EMBHNSW";
/* Sections (and the HNSW level-0 nodes) start on 64-byte boundaries. */
#define SECTION_ALIGN IX_ALIGN

/* ---- saving ------------------------------------------------------------------------- */

struct section_head {
    char tag[8];
    uint64_t n_bytes;
    uint32_t crc;
    uint32_t reserved;
    char pad[SECTION_ALIGN - 24];
};

static uint32_t crc_of(const void *data, uint64_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, step);
        p += step;
        n -= step;
    }
    return (uint32_t)c;
}

static int write_pad(FILE *f, uint64_t written) {
    static const char zeros[SECTION_ALIGN] = {0};
    size_t pad = (size_t)((SECTION_ALIGN - written % SECTION_ALIGN) % SECTION_ALIGN);
    return pad && fwrite(zeros, 1, pad, f) != pad ? EMB_EIO : EMB_OK;
}

/* One section from several pieces (so words need no joined copy). */
static int write_section(FILE *f, const char *tag, const void *data, uint64_t n_bytes) {
    struct section_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.tag, tag, strlen(tag) < sizeof h.tag ? strlen(tag) : sizeof h.tag);
    h.n_bytes = n_bytes;
    h.crc = crc_of(data, n_bytes);
    if (fwrite(&h, sizeof h, 1, f) != 1) return EMB_EIO;
    if (n_bytes && fwrite(data, 1, (size_t)n_bytes, f) != (size_t)n_bytes) return EMB_EIO;
    return write_pad(f, n_bytes);
}

/* The words joined with NULs (caller frees), or NULL with *n_bytes 0. */
static char *join_words(const struct emb_index *ix, uint64_t *n_bytes) {
    *n_bytes = 0;
    if (!ix->words) return NULL;
    uint64_t total = 0;
    for (int64_t i = 0; i < ix->n; i++) total += strlen(emb_vocab_word(ix->words, (int32_t)i)) + 1;
    char *b = emb_alloc(total ? (size_t)total : 1);
    if (!b) return NULL;
    char *p = b;
    for (int64_t i = 0; i < ix->n; i++) {
        const char *w = emb_vocab_word(ix->words, (int32_t)i);
        size_t l = strlen(w) + 1;
        memcpy(p, w, l);
        p += l;
    }
    *n_bytes = total;
    return b;
}

int emb_index_save(const struct emb_index *ix, const char *path, struct emb_err *err) {
    if (ix->n == 0) return emb_err_set(err, EMB_EEMPTY, "the index is empty; nothing to save");
    uint64_t words_bytes = 0, upper_bytes = 0;
    char *words = join_words(ix, &words_bytes);
    if (ix->words && !words) return emb_err_set(err, EMB_ENOMEM, "out of memory saving %s", path);
    uint32_t *upper = NULL;
    int rc = EMB_ENOMEM;
    if (ix->type == EMB_INDEX_HNSW) {
        /* Upper lists are per-node allocations in memory; on disk they are
         * one array in node order. */
        uint64_t slots = 0, per = (uint64_t)ix->M + 1;
        for (int64_t i = 0; i < ix->n; i++) slots += ix->levels[i] * per;
        upper_bytes = slots * sizeof(uint32_t);
        upper = emb_alloc(slots ? (size_t)upper_bytes : 1);
        if (!upper) goto nomem;
        uint64_t at = 0;
        for (int64_t i = 0; i < ix->n; i++)
            if (ix->levels[i]) {
                memcpy(upper + at, ix->upper[i], (size_t)(ix->levels[i] * per) * sizeof(uint32_t));
                at += ix->levels[i] * per;
            }
    }
    char kv[1024];
    int kl = snprintf(kv, sizeof kv, "type=%s\nmetric=%s\ndim=%d\nstride=%d\ncount=%lld\nwords=%d\n",
                      emb_index_type_name(ix->type), emb_index_metric_name(ix->metric), ix->dim, ix->stride,
                      (long long)ix->n, ix->words ? 1 : 0);
    if (ix->type == EMB_INDEX_HNSW)
        snprintf(kv + kl, sizeof kv - (size_t)kl,
                 "M=%d\nM0=%d\nef_construction=%d\nef_search=%d\nseed=%llu\nentry=%lld\nmax_level=%d\nnode_bytes=%zu\n",
                 ix->M, ix->M0, ix->ef_construction, ix->ef_search, (unsigned long long)ix->seed, (long long)ix->entry,
                 ix->max_level, ix->node_bytes);
    struct emb_outfile *of = NULL;
    if ((rc = emb_outfile_open(&of, path, err)) != EMB_OK) goto done;
    FILE *f = emb_outfile_stream(of);
    rc = emb_write_header(f, ix->type == EMB_INDEX_HNSW ? MAGIC_HNSW : MAGIC_FLAT, FILE_VERSION, kv);
    if (rc == EMB_OK) rc = write_pad(f, 16 + strlen(kv));
    if (ix->type == EMB_INDEX_FLAT) {
        if (rc == EMB_OK) rc = write_section(f, "VECTORS", ix->vecs, (uint64_t)ix->n * (uint64_t)ix->stride * 4);
    } else {
        if (rc == EMB_OK) rc = write_section(f, "LEVEL0", ix->level0, (uint64_t)ix->n * ix->node_bytes);
        if (rc == EMB_OK) rc = write_section(f, "LEVELS", ix->levels, (uint64_t)ix->n);
        if (rc == EMB_OK) rc = write_section(f, "UPPER", upper, upper_bytes);
    }
    if (rc == EMB_OK) rc = write_section(f, "DELETED", ix->deleted, (uint64_t)ix->n);
    if (rc == EMB_OK) rc = write_section(f, "WORDS", words, words_bytes);
    if (rc != EMB_OK) {
        emb_outfile_abort(of);
        rc = emb_err_set(err, EMB_EIO, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    rc = emb_outfile_commit(of, err);
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory saving %s", path);
done:
    emb_free(words);
    emb_free(upper);
    return rc;
}

/* ---- loading ---------------------------------------------------------------------- */

/* A cursor over the file's bytes. */
struct cursor {
    const char *path;
    char *base;
    uint64_t len, off;
    int check_crc;
};

/* The next section: its tag must be `tag` and its size n_bytes. */
static int next_section(struct cursor *c, const char *tag, uint64_t n_bytes, char **data, struct emb_err *err) {
    struct section_head h;
    if (c->off > c->len || c->len - c->off < sizeof h)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated before section %s", c->path, tag);
    memcpy(&h, c->base + c->off, sizeof h);
    if (strncmp(h.tag, tag, sizeof h.tag) != 0)
        return emb_err_set(err, EMB_EFORMAT, "%s: expected section %s at byte %llu, found '%.8s'", c->path, tag,
                           (unsigned long long)c->off, h.tag);
    if (h.n_bytes != n_bytes)
        return emb_err_set(err, EMB_EFORMAT, "%s: section %s holds %llu bytes, the header implies %llu", c->path, tag,
                           (unsigned long long)h.n_bytes, (unsigned long long)n_bytes);
    c->off += sizeof h;
    uint64_t padded = (n_bytes + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;
    if (c->len - c->off < n_bytes)
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated in section %s (file is %llu bytes)", c->path, tag,
                           (unsigned long long)c->len);
    *data = c->base + c->off;
    if (c->check_crc && crc_of(*data, n_bytes) != h.crc)
        return emb_err_set(err, EMB_EFORMAT, "%s: section %s is corrupt (CRC mismatch)", c->path, tag);
    c->off += padded < c->len - c->off ? padded : c->len - c->off;
    return EMB_OK;
}

/* Read all of path into one 64-byte aligned buffer (gzip, stdin, pipes). */
static int read_all(const char *path, char **out, uint64_t *len, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    size_t cap = 1 << 20, n = 0;
    char *b = emb_alloc(cap), *nb;
    while (b) {
        size_t got = 0;
        rc = emb_reader_read(r, b + n, cap - n, &got, NULL);
        n += got;
        if (rc != EMB_OK) break; /* end of input (EFORMAT) or error */
        if (n == cap) {
            cap *= 2;
            if (!(nb = emb_realloc(b, cap))) emb_free(b);
            b = nb;
        }
    }
    if (rc == EMB_EIO) {
        emb_free(b);
        emb_reader_close(r);
        return emb_err_set(err, EMB_EIO, "cannot read %s", path);
    }
    emb_reader_close(r);
    char *a = b ? emb_alloc_aligned(n ? n : 1) : NULL;
    if (!a) {
        emb_free(b);
        return emb_err_set(err, EMB_ENOMEM, "out of memory reading %s", path);
    }
    memcpy(a, b, n);
    emb_free(b);
    *out = a;
    *len = n;
    return EMB_OK;
}

/* Map path when it is a regular, uncompressed file; *out NULL otherwise. */
static int map_file(const char *path, void **out, uint64_t *len, struct emb_err *err) {
    *out = NULL;
    if (!strcmp(path, "-")) return EMB_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return emb_err_set(err, EMB_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    unsigned char head[2] = {0, 0};
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return emb_err_set(err, EMB_EIO, "cannot read %s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 16 || pread(fd, head, 2, 0) != 2 || (head[0] == 0x1f && head[1] == 0x8b)) {
        close(fd);
        return EMB_OK; /* read it instead */
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return EMB_OK;
    *out = m;
    *len = (uint64_t)st.st_size;
    return EMB_OK;
}

static int load_words(struct emb_index *ix, const struct cursor *c, const char *w, uint64_t n_bytes,
                      struct emb_err *err) {
    int rc = emb_vocab_new(&ix->words, err);
    if (rc != EMB_OK) return rc;
    const char *end = w + n_bytes;
    for (int64_t i = 0; i < ix->n; i++) {
        const char *z = memchr(w, '\0', (size_t)(end - w));
        if (!z) return emb_err_set(err, EMB_EFORMAT, "%s: word list ends early (%lld words)", c->path, (long long)i);
        if (z == w) return emb_err_set(err, EMB_EFORMAT, "%s: word %lld is empty", c->path, (long long)i);
        int32_t got = -1;
        if ((rc = emb_vocab_add(ix->words, w, (size_t)(z - w), 0, &got, err)) != EMB_OK) return rc;
        if (got != i) return emb_err_set(err, EMB_EFORMAT, "%s: word '%s' appears twice", c->path, w);
        w = z + 1;
    }
    if (w != end) return emb_err_set(err, EMB_EFORMAT, "%s: word list has bytes after the last word", c->path);
    return EMB_OK;
}

/* Every stored vector (and |x|^2 for HNSW) must be finite. */
static int check_vectors(const struct emb_index *ix, const struct cursor *c, struct emb_err *err) {
    for (int64_t i = 0; i < ix->n; i++) {
        const float *x = ix_row(ix, i);
        float s = 0;
        for (int32_t j = 0; j < ix->dim; j++) s += x[j] * 0.0f; /* NaN/inf propagate, finite values give 0 */
        if (ix->type == EMB_INDEX_HNSW) s += *ix_node_sqnorm(ix, i) * 0.0f;
        if (s != 0) return emb_err_set(err, EMB_EFORMAT, "%s: row %lld has a non-finite value", c->path, (long long)i);
    }
    return EMB_OK;
}

/* The HNSW sections LEVEL0, LEVELS and UPPER of an index whose header
 * (ix->n, ix->M, node_bytes, entry, max_level) was read: the arrays point
 * into the file's bytes. */
static int load_graph(struct emb_index *ix, struct cursor *c, long long node_bytes, long long entry,
                      long long max_level, struct emb_err *err) {
    char *data = NULL;
    int rc;
    if ((rc = next_section(c, "LEVEL0", (uint64_t)ix->n * (uint64_t)node_bytes, &data, err)) != EMB_OK) return rc;
    ix->level0 = data;
    if ((rc = next_section(c, "LEVELS", (uint64_t)ix->n, &data, err)) != EMB_OK) return rc;
    ix->levels = (uint8_t *)data;
    uint64_t slots = 0;
    for (int64_t i = 0; i < ix->n; i++) {
        if (ix->levels[i] > max_level)
            return emb_err_set(err, EMB_EFORMAT, "%s: node %lld has level %d above the top level %lld", c->path,
                               (long long)i, ix->levels[i], max_level);
        slots += (uint64_t)ix->levels[i] * (uint64_t)(ix->M + 1);
    }
    if (ix->levels[entry] != max_level)
        return emb_err_set(err, EMB_EFORMAT, "%s: entry point %lld is not on the top level", c->path, entry);
    if ((rc = next_section(c, "UPPER", slots * 4, &data, err)) != EMB_OK) return rc;
    ix->upper_blob = data;
    ix->upper_blob_bytes = slots * 4;
    ix->upper = emb_calloc((size_t)ix->n, sizeof *ix->upper);
    ix->locks = emb_calloc((size_t)ix->n, 1);
    if (!ix->upper || !ix->locks)
        return emb_err_set(err, EMB_ENOMEM, "out of memory loading %s", c->path);
    uint64_t at = 0;
    for (int64_t i = 0; i < ix->n; i++)
        if (ix->levels[i]) {
            ix->upper[i] = (uint32_t *)data + at;
            at += (uint64_t)ix->levels[i] * (uint64_t)(ix->M + 1);
        }
    ix->entry = entry;
    ix->max_level = (int)max_level;
    return EMB_OK;
}

static int parse_index(struct emb_index **out, struct cursor *c, struct emb_err *err) {
    *out = NULL;
    struct emb_index_params p = emb_index_default_params();
    if (c->len < 16) return emb_err_set(err, EMB_EFORMAT, "%s: too short to be an emb index file", c->path);
    if (!memcmp(c->base, MAGIC_FLAT, 8)) p.type = EMB_INDEX_FLAT;
    else if (!memcmp(c->base, MAGIC_HNSW, 8)) p.type = EMB_INDEX_HNSW;
    else if (!memcmp(c->base, "EMB", 3) && memchr(c->base, '\0', 8))
        return emb_err_set(err, EMB_EFORMAT, "%s: an emb %s file, not an index", c->path, c->base);
    else return emb_err_set(err, EMB_EFORMAT, "%s: not an emb index file (bad magic)", c->path);
    uint32_t version, kv_bytes;
    memcpy(&version, c->base + 8, 4);
    memcpy(&kv_bytes, c->base + 12, 4);
    if (version == 0 || version > FILE_VERSION)
        return emb_err_set(err, EMB_EFORMAT, "%s: index format version %u, this emb reads up to %u", c->path, version,
                           FILE_VERSION);
    if (kv_bytes > c->len - 16 || kv_bytes > (1u << 16))
        return emb_err_set(err, EMB_EFORMAT, "%s: truncated header", c->path);
    char kv[(1 << 16) + 1];
    memcpy(kv, c->base + 16, kv_bytes);
    kv[kv_bytes] = '\0';
    if (memchr(kv, '\0', kv_bytes)) return emb_err_set(err, EMB_EFORMAT, "%s: corrupt header", c->path);
    c->off = (16 + (uint64_t)kv_bytes + SECTION_ALIGN - 1) / SECTION_ALIGN * SECTION_ALIGN;

    char name[32];
    struct emb_err e2 = {0};
    if (!emb_kv_get(kv, "type", name, sizeof name) || strcmp(name, emb_index_type_name(p.type)) != 0)
        return emb_err_set(err, EMB_EFORMAT, "%s: header type does not match the magic", c->path);
    if (!emb_kv_get(kv, "metric", name, sizeof name) || emb_index_metric_parse(name, &p.metric, &e2) != EMB_OK)
        return emb_err_set(err, EMB_EFORMAT, "%s: header has no valid metric", c->path);
    long long dim, stride, count, has_words, v;
    int rc;
    if ((rc = emb_kv_ll(kv, "dim", 1, 1000000, &dim, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "stride", 1, 1000000 + IX_PAD, &stride, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "count", 1, IX_MAX_ROWS, &count, c->path, err)) != EMB_OK) return rc;
    if ((rc = emb_kv_ll(kv, "words", 0, 1, &has_words, c->path, err)) != EMB_OK) return rc;
    if (stride != (dim + IX_PAD - 1) / IX_PAD * IX_PAD)
        return emb_err_set(err, EMB_EFORMAT, "%s: stride %lld does not fit dim %lld", c->path, stride, dim);
    long long entry = -1, max_level = -1, node_bytes = 0, M0 = 0;
    if (p.type == EMB_INDEX_HNSW) {
        if ((rc = emb_kv_ll(kv, "M", 2, IX_MAX_M, &v, c->path, err)) != EMB_OK) return rc;
        p.M = (int)v;
        if ((rc = emb_kv_ll(kv, "M0", 2 * v, 2 * v, &M0, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "ef_construction", 1, 1000000, &v, c->path, err)) != EMB_OK) return rc;
        p.ef_construction = (int)v;
        if ((rc = emb_kv_ll(kv, "ef_search", 1, 1000000, &v, c->path, err)) != EMB_OK) return rc;
        p.ef_search = (int)v;
        if (emb_kv_get(kv, "seed", name, sizeof name)) p.seed = strtoull(name, NULL, 10);
        if ((rc = emb_kv_ll(kv, "entry", 0, count - 1, &entry, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "max_level", 0, IX_MAX_LEVEL, &max_level, c->path, err)) != EMB_OK) return rc;
        if ((rc = emb_kv_ll(kv, "node_bytes", 1, 1LL << 32, &node_bytes, c->path, err)) != EMB_OK) return rc;
        if ((size_t)node_bytes != emb__ix_node_bytes((int32_t)stride, (int)M0))
            return emb_err_set(err, EMB_EFORMAT, "%s: node_bytes %lld does not fit dim and M", c->path, node_bytes);
    }
    struct emb_index *ix = NULL;
    if ((rc = emb__ix_alloc(&ix, (int32_t)dim, &p, err)) != EMB_OK) return rc;
    ix->n = ix->cap = count;
    char *data = NULL;
    if (p.type == EMB_INDEX_FLAT) {
        if ((rc = next_section(c, "VECTORS", (uint64_t)count * (uint64_t)stride * 4, &data, err)) != EMB_OK) goto fail;
        ix->vecs = (float *)data;
    } else {
        if ((rc = load_graph(ix, c, node_bytes, entry, max_level, err)) != EMB_OK) goto fail;
    }
    if ((rc = next_section(c, "DELETED", (uint64_t)count, &data, err)) != EMB_OK) goto fail;
    ix->deleted = (uint8_t *)data;
    for (int64_t i = 0; i < count; i++) {
        if (ix->deleted[i] > 1) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s: bad deletion mark for row %lld", c->path, (long long)i);
            goto fail;
        }
        ix->n_deleted += ix->deleted[i];
    }
    /* WORDS: its size is only known from its own header, bounded by the file. */
    if (c->off > c->len || c->len - c->off < sizeof(struct section_head)) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: truncated before section WORDS", c->path);
        goto fail;
    }
    uint64_t words_bytes;
    memcpy(&words_bytes, c->base + c->off + 8, 8);
    if (!has_words && words_bytes != 0) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: words present but the header says none", c->path);
        goto fail;
    }
    if ((rc = next_section(c, "WORDS", words_bytes, &data, err)) != EMB_OK) goto fail;
    if (has_words && (rc = load_words(ix, c, data, words_bytes, err)) != EMB_OK) goto fail;
    if (c->off != c->len) {
        rc = emb_err_set(err, EMB_EFORMAT, "%s: %llu unexpected bytes after the last section", c->path,
                         (unsigned long long)(c->len - c->off));
        goto fail;
    }
    if ((rc = check_vectors(ix, c, err)) != EMB_OK) goto fail;
    if (p.type == EMB_INDEX_HNSW && (rc = emb__hnsw_validate(ix, c->path, err)) != EMB_OK) goto fail;
    if (ix->metric == EMB_METRIC_L2 && p.type == EMB_INDEX_FLAT) {
        /* Flat files do not store |x|^2: one pass computes them. */
        ix->sqnorms = emb_alloc((size_t)count * sizeof(float));
        if (!ix->sqnorms) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory loading %s", c->path);
            goto fail;
        }
        for (int64_t i = 0; i < count; i++) ix->sqnorms[i] = ix->ops.dot(ix->stride, ix_row(ix, i), ix_row(ix, i));
    }
    *out = ix;
    return EMB_OK;
fail:
    emb_index_free(ix);
    return rc;
}

int emb_index_load_flags(struct emb_index **out, const char *path, unsigned flags, struct emb_err *err) {
    *out = NULL;
    void *map = NULL;
    uint64_t len = 0;
    char *buf = NULL;
    int rc = EMB_OK;
    if (!(flags & EMB_INDEX_LOAD_NO_MMAP) && (rc = map_file(path, &map, &len, err)) != EMB_OK) return rc;
    if (!map && (rc = read_all(path, &buf, &len, err)) != EMB_OK) return rc;
    struct cursor c = {.path = path, .base = map ? map : buf, .len = len, .check_crc = !(flags & EMB_INDEX_LOAD_NO_CRC)};
    struct emb_index *ix = NULL;
    if ((rc = parse_index(&ix, &c, err)) != EMB_OK) {
        if (map) munmap(map, (size_t)len);
        emb_free_aligned(buf);
        return rc;
    }
    ix->map = map;
    ix->map_bytes = map ? (size_t)len : 0;
    ix->buf = buf;
    ix->buf_bytes = buf ? (size_t)len : 0;
    *out = ix;
    return EMB_OK;
}

int emb_index_load(struct emb_index **out, const char *path, struct emb_err *err) {
    return emb_index_load_flags(out, path, 0, err);
}
