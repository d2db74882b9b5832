/* vocab.c -- hash map vocabulary with counts.
 *
 * DESIGN: entries live in an array indexed by id (word pointer, count,
 * hash); the hash table holds ids only (int32, -1 = empty slot), linear
 * probing, power-of-two capacity kept under half full. Word bytes are
 * carved out of large arena blocks, so a 400k-word vocabulary costs a
 * handful of allocations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb/io.h"
#include "emb/vocab.h"

struct entry {
    const char *word; /* NUL-terminated, in the arena */
    int64_t count;
    uint64_t hash;
    uint32_t len;
};

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct emb_vocab {
    struct entry *e;  /* (cap_e) */
    int32_t n, cap_e;
    int32_t *slots;   /* (n_slots), -1 = empty */
    uint64_t n_slots; /* power of two */
    int64_t total;
    struct arena_block *arena;
};

/* FNV-1a, 64-bit, with a final avalanche so the low bits are usable for a
 * power-of-two table. 14695981039346656037 and 1099511628211 are the
 * published FNV-64 offset basis and prime. */
static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL; /* murmur3 fmix64 constant */
    h ^= h >> 33;
    return h;
}

int emb_vocab_new(struct emb_vocab **out, struct emb_err *err) {
    *out = NULL;
    struct emb_vocab *v = emb_calloc(1, sizeof *v);
    if (!v) return emb_err_set(err, EMB_ENOMEM, "out of memory for vocabulary");
    v->n_slots = 1024;
    v->slots = emb_alloc(v->n_slots * sizeof *v->slots);
    if (!v->slots) {
        emb_free(v);
        return emb_err_set(err, EMB_ENOMEM, "out of memory for vocabulary");
    }
    memset(v->slots, 0xff, v->n_slots * sizeof *v->slots);
    *out = v;
    return EMB_OK;
}

void emb_vocab_free(struct emb_vocab *v) {
    if (!v) return;
    struct arena_block *b = v->arena;
    while (b) {
        struct arena_block *next = b->next;
        emb_free(b);
        b = next;
    }
    emb_free(v->e);
    emb_free(v->slots);
    emb_free(v);
}

static char *arena_copy(struct emb_vocab *v, const char *s, size_t len) {
    struct arena_block *b = v->arena;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = len + 1 > (1u << 20) ? len + 1 : (1u << 20);
        b = emb_alloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = v->arena;
        b->used = 0;
        b->cap = cap;
        v->arena = b;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

static int rehash(struct emb_vocab *v, uint64_t n_slots) {
    int32_t *slots = emb_alloc(n_slots * sizeof *slots);
    if (!slots) return EMB_ENOMEM;
    memset(slots, 0xff, n_slots * sizeof *slots);
    for (int32_t id = 0; id < v->n; id++) {
        uint64_t i = v->e[id].hash & (n_slots - 1);
        while (slots[i] >= 0) i = (i + 1) & (n_slots - 1);
        slots[i] = id;
    }
    emb_free(v->slots);
    v->slots = slots;
    v->n_slots = n_slots;
    return EMB_OK;
}

int32_t emb_vocab_find(const struct emb_vocab *v, const char *word, size_t len) {
    uint64_t h = hash_bytes(word, len), mask = v->n_slots - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        int32_t id = v->slots[i];
        if (id < 0) return -1;
        const struct entry *e = &v->e[id];
        if (e->hash == h && e->len == len && memcmp(e->word, word, len) == 0) return id;
    }
}

int emb_vocab_add(struct emb_vocab *v, const char *word, size_t len, int64_t count, int32_t *id_out,
                  struct emb_err *err) {
    if (len == 0) return emb_err_set(err, EMB_EINVAL, "empty word");
    if (len > UINT32_MAX) return emb_err_set(err, EMB_EINVAL, "word too long");
    /* Counts are >= 0 and the total must fit in int64 (then so does every
     * count, and every sum of counts, e.g. Huffman's inner nodes). A corpus
     * never comes near; a hand-made vocabulary file can. */
    if (count < 0) return emb_err_set(err, EMB_EINVAL, "negative count %lld", (long long)count);
    if (count > INT64_MAX - v->total)
        return emb_err_set(err, EMB_EINVAL, "the word counts add up to more than 2^63-1");
    uint64_t h = hash_bytes(word, len), mask = v->n_slots - 1, i;
    for (i = h & mask;; i = (i + 1) & mask) {
        int32_t id = v->slots[i];
        if (id < 0) break;
        struct entry *e = &v->e[id];
        if (e->hash == h && e->len == len && memcmp(e->word, word, len) == 0) {
            e->count += count;
            v->total += count;
            if (id_out) *id_out = id;
            return EMB_OK;
        }
    }
    if (v->n == INT32_MAX) return emb_err_set(err, EMB_EINVAL, "vocabulary exceeds 2^31-1 words");
    /* Grow the table before inserting, so a failed allocation leaves the
     * vocabulary unchanged. */
    if ((uint64_t)(v->n + 1) * 2 > v->n_slots) {
        if (rehash(v, v->n_slots * 2) != EMB_OK) return emb_err_set(err, EMB_ENOMEM, "out of memory growing vocabulary");
        mask = v->n_slots - 1;
        for (i = h & mask; v->slots[i] >= 0; i = (i + 1) & mask) {}
    }
    if (v->n == v->cap_e) {
        int64_t cap = v->cap_e ? (int64_t)v->cap_e * 2 : 1024;
        if (cap > INT32_MAX) cap = INT32_MAX;
        struct entry *e = emb_realloc(v->e, (size_t)cap * sizeof *e);
        if (!e) return emb_err_set(err, EMB_ENOMEM, "out of memory growing vocabulary");
        v->e = e;
        v->cap_e = (int32_t)cap;
    }
    char *copy = arena_copy(v, word, len);
    if (!copy) return emb_err_set(err, EMB_ENOMEM, "out of memory growing vocabulary");
    int32_t id = v->n++;
    v->e[id] = (struct entry){copy, count, h, (uint32_t)len};
    v->total += count;
    v->slots[i] = id;
    if (id_out) *id_out = id;
    return EMB_OK;
}

int32_t emb_vocab_size(const struct emb_vocab *v) { return v->n; }
const char *emb_vocab_word(const struct emb_vocab *v, int32_t id) { return v->e[id].word; }
int64_t emb_vocab_count(const struct emb_vocab *v, int32_t id) { return v->e[id].count; }
int64_t emb_vocab_total(const struct emb_vocab *v) { return v->total; }

/* Sort key: count descending, then old id ascending (stable). */
struct sort_item {
    int64_t count;
    int32_t old_id;
};

static int cmp_item(const void *a, const void *b) {
    const struct sort_item *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->old_id > y->old_id) - (x->old_id < y->old_id);
}

int emb_vocab_finalize(struct emb_vocab *v, int64_t min_count, int32_t max_size, int32_t *remap,
                       struct emb_err *err) {
    int32_t n_old = v->n, n_keep = 0;
    struct sort_item *items = emb_alloc((size_t)(n_old ? n_old : 1) * sizeof *items);
    struct entry *e = emb_alloc((size_t)(n_old ? n_old : 1) * sizeof *e);
    if (!items || !e) {
        emb_free(items);
        emb_free(e);
        return emb_err_set(err, EMB_ENOMEM, "out of memory sorting vocabulary");
    }
    for (int32_t id = 0; id < n_old; id++)
        if (v->e[id].count >= min_count) items[n_keep++] = (struct sort_item){v->e[id].count, id};
    qsort(items, (size_t)n_keep, sizeof *items, cmp_item);
    if (max_size > 0 && n_keep > max_size) n_keep = max_size;
    if (remap)
        for (int32_t id = 0; id < n_old; id++) remap[id] = -1;
    v->total = 0;
    for (int32_t i = 0; i < n_keep; i++) {
        e[i] = v->e[items[i].old_id];
        v->total += e[i].count;
        if (remap) remap[items[i].old_id] = i;
    }
    emb_free(items);
    emb_free(v->e);
    v->e = e;
    v->cap_e = n_old ? n_old : 1;
    v->n = n_keep;
    /* Dropped words' bytes stay in the arena until free: cheap and simple. */
    uint64_t n_slots = 1024;
    while (n_slots < (uint64_t)n_keep * 2 + 2) n_slots *= 2;
    if (rehash(v, n_slots) != EMB_OK) return emb_err_set(err, EMB_ENOMEM, "out of memory rehashing vocabulary");
    if (n_keep == 0)
        return emb_err_set(err, EMB_EEMPTY, "no word occurs at least %lld times (min-count)", (long long)min_count);
    return EMB_OK;
}

int emb_vocab_save(const struct emb_vocab *v, const char *path, struct emb_err *err) {
    struct emb_outfile *f = NULL;
    int rc = emb_outfile_open(&f, path, err);
    if (rc != EMB_OK) return rc;
    for (int32_t id = 0; id < v->n; id++)
        fprintf(emb_outfile_stream(f), "%s %lld\n", v->e[id].word, (long long)v->e[id].count);
    return emb_outfile_commit(f, err);
}

int emb_vocab_load(struct emb_vocab **out, const char *path, struct emb_err *err) {
    *out = NULL;
    struct emb_reader *in = NULL;
    struct emb_vocab *v = NULL;
    int rc = emb_reader_open(&in, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_vocab_new(&v, err)) != EMB_OK) goto done;
    char *line;
    size_t len;
    int64_t lineno = 0;
    while ((rc = emb_reader_line(in, &line, &len, err)) == 1) {
        lineno++;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = '\0';
        if (len == 0) continue;
        if (memchr(line, '\0', len)) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: NUL byte in line", path, (long long)lineno);
            goto done;
        }
        char *sp = strpbrk(line, " \t");
        if (!sp || sp == line) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 'word count'", path, (long long)lineno);
            goto done;
        }
        char *end = NULL;
        errno = 0;
        long long count = strtoll(sp + 1, &end, 10);
        if (end == sp + 1 || *end != '\0' || count < 0 || errno == ERANGE) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: bad count '%s'", path, (long long)lineno, sp + 1);
            goto done;
        }
        size_t wlen = (size_t)(sp - line);
        if (count > INT64_MAX - v->total) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: the counts add up to more than 2^63-1 (%lld before this line)",
                             path, (long long)lineno, (long long)v->total);
            goto done;
        }
        if (emb_vocab_find(v, line, wlen) >= 0) {
            *sp = '\0';
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: duplicate word '%s'", path, (long long)lineno, line);
            goto done;
        }
        if ((rc = emb_vocab_add(v, line, wlen, count, NULL, err)) != EMB_OK) goto done;
    }
    if (rc < 0) goto done;
    rc = EMB_OK;
    if (v->n == 0) rc = emb_err_set(err, EMB_EEMPTY, "%s: vocabulary file is empty", path);
done:
    emb_reader_close(in);
    if (rc != EMB_OK) {
        emb_vocab_free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}
