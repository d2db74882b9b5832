/* stream.c -- varint sentence streams and corpus ingestion.
 *
 * DESIGN: one pass over the corpus. Words get provisional ids in order of
 * first appearance as they are counted, and the provisional ids go straight
 * into the stream. When the input ends, the vocabulary is pruned and
 * sorted, and the old->new id map is attached to the stream instead of
 * re-encoding it, so there is never a second copy of the corpus in memory
 * and stdin needs no temporary file. Early words tend to be frequent, so
 * provisional ids are small and the varints short. */
#include <string.h>

#include "emb/io.h"
#include "emb/stream.h"

struct emb_stream {
    uint8_t *buf;
    int64_t n_bytes, cap;
    int32_t *map;
    int64_t n_map;
    int64_t *chunk_off; /* (n_chunks + 1) byte offsets */
    int64_t n_chunks, n_tokens, n_sentences;
    int open_sentence; /* tokens pushed since the last sentence end */
};

int emb_stream_new(struct emb_stream **out, struct emb_err *err) {
    *out = emb_calloc(1, sizeof **out);
    return *out ? EMB_OK : emb_err_set(err, EMB_ENOMEM, "out of memory");
}

void emb_stream_free(struct emb_stream *s) {
    if (!s) return;
    emb_free(s->buf);
    emb_free(s->map);
    emb_free(s->chunk_off);
    emb_free(s);
}

static int reserve(struct emb_stream *s, int64_t more, struct emb_err *err) {
    if (s->n_bytes + more <= s->cap) return EMB_OK;
    int64_t cap = s->cap ? s->cap + s->cap / 2 : (1 << 20);
    while (cap < s->n_bytes + more) cap += cap / 2;
    uint8_t *b = emb_realloc(s->buf, (size_t)cap);
    if (!b) return emb_err_set(err, EMB_ENOMEM, "out of memory holding the corpus (%.0f MB)", cap / 1e6);
    s->buf = b;
    s->cap = cap;
    return EMB_OK;
}

int emb_stream_push(struct emb_stream *s, int32_t id, struct emb_err *err) {
    if (id < 0 || id == INT32_MAX) return emb_err_set(err, EMB_EINVAL, "token id %d out of range", id);
    if (s->n_bytes + 5 > s->cap && reserve(s, 5, err) != EMB_OK) return EMB_ENOMEM;
    uint32_t v = (uint32_t)id + 1;
    uint8_t *p = s->buf + s->n_bytes;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    s->n_bytes = p - s->buf;
    s->open_sentence = 1;
    return EMB_OK;
}

int emb_stream_end_sentence(struct emb_stream *s, struct emb_err *err) {
    if (!s->open_sentence) return EMB_OK;
    if (reserve(s, 1, err) != EMB_OK) return EMB_ENOMEM;
    s->buf[s->n_bytes++] = 0;
    s->open_sentence = 0;
    return EMB_OK;
}

int emb_stream_set_map(struct emb_stream *s, const int32_t *map, int64_t n_map, struct emb_err *err) {
    int32_t *m = emb_alloc((size_t)(n_map ? n_map : 1) * sizeof *m);
    if (!m) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    memcpy(m, map, (size_t)n_map * sizeof *m);
    emb_free(s->map);
    s->map = m;
    s->n_map = n_map;
    return EMB_OK;
}

/* Decode one varint; p must point at a non-zero byte sequence. */
static inline uint32_t get_varint(const uint8_t **pp) {
    const uint8_t *p = *pp;
    uint32_t v = *p & 0x7f;
    int shift = 7;
    while (*p++ & 0x80) {
        v |= (uint32_t)(*p & 0x7f) << shift;
        shift += 7;
    }
    *pp = p;
    return v;
}

static inline int32_t map_id(const struct emb_stream_cursor *c, uint32_t v) {
    int64_t id = (int64_t)v - 1;
    if (!c->map) return (int32_t)id;
    return id < c->n_map ? c->map[id] : -1;
}

int emb_stream_finish(struct emb_stream *s, int64_t chunk_tokens, struct emb_err *err) {
    if (emb_stream_end_sentence(s, err) != EMB_OK) return EMB_ENOMEM;
    /* An empty stream has no buffer yet: give it one, so that cursors never
     * compute NULL + 0 (undefined in C; UBSan stops on it). */
    if (!s->buf && reserve(s, 1, err) != EMB_OK) return EMB_ENOMEM;
    if (chunk_tokens < 1) chunk_tokens = 1;
    /* First count the chunks, then fill the offsets. */
    struct emb_stream_cursor c = {s->buf, s->buf + s->n_bytes, s->map, s->n_map};
    int64_t n_chunks = 0, cur = 0, n_tokens = 0, n_sent = 0;
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *p = s->buf, *end = s->buf + s->n_bytes;
        n_chunks = 0, cur = 0, n_tokens = 0, n_sent = 0;
        if (pass == 1) s->chunk_off[0] = 0;
        int64_t in_sent = 0;
        while (p < end) {
            if (*p == 0) {
                p++;
                if (in_sent) n_sent++;
                cur += in_sent;
                in_sent = 0;
                if (cur >= chunk_tokens) {
                    n_chunks++;
                    if (pass == 1) s->chunk_off[n_chunks] = p - s->buf;
                    cur = 0;
                }
                continue;
            }
            if (map_id(&c, get_varint(&p)) >= 0) {
                in_sent++;
                n_tokens++;
            }
        }
        if (cur > 0 || n_chunks == 0) {
            n_chunks++;
            if (pass == 1) s->chunk_off[n_chunks] = s->n_bytes;
        }
        if (pass == 0) {
            emb_free(s->chunk_off);
            s->chunk_off = emb_alloc((size_t)(n_chunks + 1) * sizeof *s->chunk_off);
            if (!s->chunk_off) return emb_err_set(err, EMB_ENOMEM, "out of memory");
        }
    }
    s->n_chunks = n_chunks;
    s->n_tokens = n_tokens;
    s->n_sentences = n_sent;
    return EMB_OK;
}

int64_t emb_stream_n_tokens(const struct emb_stream *s) { return s->n_tokens; }
int64_t emb_stream_n_sentences(const struct emb_stream *s) { return s->n_sentences; }
int64_t emb_stream_n_chunks(const struct emb_stream *s) { return s->n_chunks; }
int64_t emb_stream_n_bytes(const struct emb_stream *s) { return s->n_bytes; }

void emb_stream_chunk(const struct emb_stream *s, int64_t i, struct emb_stream_cursor *c) {
    c->p = s->buf + s->chunk_off[i];
    c->end = s->buf + s->chunk_off[i + 1];
    c->map = s->map;
    c->n_map = s->n_map;
}

int64_t emb_stream_next_sentence(struct emb_stream_cursor *c, int32_t *out, int64_t max) {
    int64_t n = 0;
    while (c->p < c->end) {
        if (*c->p == 0) {
            c->p++;
            if (n > 0) return n;
            continue;
        }
        if (n == max) return n; /* continue this sentence next call */
        int32_t id = map_id(c, get_varint(&c->p));
        if (id >= 0) out[n++] = id;
    }
    return n > 0 ? n : -1;
}

/* ---- corpus ingestion ------------------------------------------------- */

struct emb_corpus_params emb_corpus_default_params(void) {
    struct emb_corpus_params p = {5, 0, 1 << 16, NULL, NULL};
    return p;
}

int emb_stream_read_corpus(const char *path, const struct emb_vocab *fixed, const struct emb_corpus_params *p,
                           struct emb_vocab **vocab_out, struct emb_stream **stream_out, struct emb_err *err) {
    *stream_out = NULL;
    if (vocab_out) *vocab_out = NULL;
    struct emb_corpus *c = NULL;
    struct emb_vocab *v = NULL;
    struct emb_stream *s = NULL;
    int32_t *remap = NULL;
    int64_t n_raw = 0;
    int rc = emb_corpus_open(&c, path, err);
    if (rc != EMB_OK) return rc;
    if ((rc = emb_stream_new(&s, err)) != EMB_OK) goto done;
    if (!fixed && (rc = emb_vocab_new(&v, err)) != EMB_OK) goto done;
    const char *tok;
    size_t len;
    int t;
    while ((t = emb_corpus_next(c, &tok, &len, err)) > 0) {
        if (t == EMB_TOK_EOL) {
            if ((rc = emb_stream_end_sentence(s, err)) != EMB_OK) goto done;
            continue;
        }
        n_raw++;
        int32_t id;
        if (fixed) {
            id = emb_vocab_find(fixed, tok, len);
            if (id < 0) continue;
        } else if ((rc = emb_vocab_add(v, tok, len, 1, &id, err)) != EMB_OK) {
            goto done;
        }
        if ((rc = emb_stream_push(s, id, err)) != EMB_OK) goto done;
        if (p->progress && (n_raw & 0xFFFFF) == 0)
            p->progress(p->progress_ctx, emb_reader_progress(emb_corpus_reader(c)), n_raw);
    }
    if (t < 0) {
        rc = t;
        goto done;
    }
    if (p->progress) p->progress(p->progress_ctx, 1.0, n_raw);
    if (n_raw == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: the corpus contains no words", path);
        goto done;
    }
    if (!fixed) {
        int32_t n_old = emb_vocab_size(v);
        remap = emb_alloc((size_t)n_old * sizeof *remap);
        if (!remap) {
            rc = emb_err_set(err, EMB_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = emb_vocab_finalize(v, p->min_count, p->max_vocab, remap, err)) != EMB_OK) {
            if (rc == EMB_EEMPTY)
                emb_err_set(err, rc, "%s: no word occurs at least %lld times (%lld tokens, %d distinct); lower --min-count",
                            path, (long long)p->min_count, (long long)n_raw, n_old);
            goto done;
        }
        if ((rc = emb_stream_set_map(s, remap, n_old, err)) != EMB_OK) goto done;
    }
    if ((rc = emb_stream_finish(s, p->chunk_tokens, err)) != EMB_OK) goto done;
    if (emb_stream_n_tokens(s) == 0) {
        rc = emb_err_set(err, EMB_EEMPTY, "%s: no token of the corpus is in the vocabulary", path);
        goto done;
    }
done:
    emb_corpus_close(c);
    emb_free(remap);
    if (rc != EMB_OK) {
        emb_stream_free(s);
        emb_vocab_free(v);
        return rc;
    }
    *stream_out = s;
    if (vocab_out) *vocab_out = v;
    return EMB_OK;
}
