/* stream_test.c -- varint sentence streams and corpus ingestion.
 *
 * Streams: random sentences (ids across the whole int32 range) go in, and
 * reading every chunk in order must give them back exactly, with chunks
 * cut at sentence ends after chunk_tokens kept tokens. Id maps drop and
 * renumber tokens, and a mapped stream chunks like one written with the
 * final ids. Corpora: a generated text file is read with
 * emb_stream_read_corpus and compared with counts and token lists the test
 * computes itself; the fixed-vocabulary mode must give the same stream. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "emb/rng.h"
#include "emb/stream.h"
#include "test.h"

static char dir[64];

static const char *tmp(const char *name) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* ---- a list of sentences, the test's own model of a stream ------------ */

struct sents {
    int64_t n, cap;        /* sentences */
    int64_t *start;        /* (n + 1) offsets into ids */
    int32_t *ids;
    int64_t n_ids, cap_ids;
};

static void sents_free(struct sents *s) {
    free(s->start);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

static int sents_push(struct sents *s, int32_t id) {
    if (s->n_ids == s->cap_ids) {
        s->cap_ids = s->cap_ids ? 2 * s->cap_ids : 1024;
        int32_t *p = realloc(s->ids, (size_t)s->cap_ids * sizeof *p);
        if (!p) return -1;
        s->ids = p;
    }
    s->ids[s->n_ids++] = id;
    return 0;
}

/* Close the current sentence (empty ones are not kept). */
static int sents_end(struct sents *s) {
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        int64_t *p = realloc(s->start, (size_t)s->cap * sizeof *p);
        if (!p) return -1;
        s->start = p;
        if (s->n == 0) s->start[0] = 0;
    }
    if (s->n_ids > s->start[s->n]) s->start[++s->n] = s->n_ids;
    return 0;
}

static int64_t sent_len(const struct sents *s, int64_t i) { return s->start[i + 1] - s->start[i]; }

/* Read every chunk of st with a buffer of max ids; sentences split by the
 * buffer are joined again. Chunk boundaries go to chunk_first (sentence
 * index where chunk c starts, n_chunks + 1 entries) when not NULL. */
static int decode_all(const struct emb_stream *st, int64_t max, struct sents *out, int64_t *chunk_first) {
    int32_t *buf = malloc((size_t)(max > 0 ? max : 1) * sizeof *buf);
    if (!buf) return -1;
    memset(out, 0, sizeof *out);
    for (int64_t c = 0; c < emb_stream_n_chunks(st); c++) {
        if (chunk_first) chunk_first[c] = out->n;
        struct emb_stream_cursor cur;
        emb_stream_chunk(st, c, &cur);
        int64_t k;
        /* A piece shorter than max ends its sentence (or the sentence ended
         * exactly at max and the next call starts a new one -- ambiguous, so
         * use max larger than any sentence when exact boundaries matter). */
        while ((k = emb_stream_next_sentence(&cur, buf, max)) >= 0) {
            if (k == 0 || k > max) {
                free(buf);
                return -2;
            }
            for (int64_t i = 0; i < k; i++) sents_push(out, buf[i]);
            if (k < max) sents_end(out);
        }
        sents_end(out);
    }
    if (chunk_first) chunk_first[emb_stream_n_chunks(st)] = out->n;
    free(buf);
    return 0;
}

static int sents_equal(const struct sents *a, const struct sents *b, const char *what) {
    if (a->n != b->n || a->n_ids != b->n_ids) {
        fprintf(stderr, "%s: %lld sentences / %lld ids, want %lld / %lld\n", what, (long long)a->n,
                (long long)a->n_ids, (long long)b->n, (long long)b->n_ids);
        return 0;
    }
    for (int64_t i = 0; i < a->n; i++)
        if (sent_len(a, i) != sent_len(b, i) ||
            memcmp(a->ids + a->start[i], b->ids + b->start[i], (size_t)sent_len(a, i) * sizeof(int32_t)) != 0) {
            fprintf(stderr, "%s: sentence %lld differs\n", what, (long long)i);
            return 0;
        }
    return 1;
}

/* Random id: mostly small (1-2 byte varints), sometimes anywhere up to the
 * largest allowed id, 2^31 - 2. */
static int32_t random_id(struct emb_rng *r) {
    uint64_t k = emb_rng_below(r, 10);
    if (k < 6) return (int32_t)emb_rng_below(r, 128);
    if (k < 8) return (int32_t)emb_rng_below(r, 20000);
    if (k < 9) return (int32_t)emb_rng_below(r, (uint64_t)INT32_MAX);
    return INT32_MAX - 1 - (int32_t)emb_rng_below(r, 3);
}

/* Check the chunking rule: chunks hold whole sentences, and a chunk is cut
 * at the first sentence end where it holds >= chunk_tokens tokens. */
static int check_chunks(const struct sents *s, const int64_t *first, int64_t n_chunks, int64_t chunk_tokens,
                        const char *what) {
    CHECK(n_chunks >= 1 && first[0] == 0 && first[n_chunks] == s->n);
    for (int64_t c = 0; c < n_chunks; c++) {
        int64_t tokens = 0, before_last = 0;
        for (int64_t i = first[c]; i < first[c + 1]; i++) {
            before_last = tokens;
            tokens += sent_len(s, i);
        }
        int last = c == n_chunks - 1;
        /* Not last: full, and was not yet full before its last sentence.
         * Last: possibly short, but never empty unless it is the only one. */
        int ok = last ? (tokens > 0 || n_chunks == 1) && before_last < chunk_tokens
                      : tokens >= chunk_tokens && before_last < chunk_tokens;
        if (!ok) {
            fprintf(stderr,
                    "%s: chunk %lld of %lld holds %lld tokens (%lld before its last sentence), chunk size %lld\n", what,
                    (long long)c, (long long)n_chunks, (long long)tokens, (long long)before_last,
                    (long long)chunk_tokens);
            return 1;
        }
    }
    return 0;
}

static int test_roundtrip(void) {
    struct emb_err err = {0};
    struct emb_rng r;
    emb_rng_seed(&r, 41, 0);
    const int64_t chunk_sizes[] = {1, 7, 100, 1000, 1 << 20};
    for (size_t ci = 0; ci < sizeof chunk_sizes / sizeof chunk_sizes[0]; ci++) {
        struct emb_stream *st = NULL;
        CHECK_OK(emb_stream_new(&st, &err));
        struct sents want = {0}, got = {0};
        int64_t n_sent = 2000 + (int64_t)emb_rng_below(&r, 1000);
        for (int64_t i = 0; i < n_sent; i++) {
            int64_t len = (int64_t)emb_rng_below(&r, i % 50 == 0 ? 300 : 20);
            for (int64_t k = 0; k < len; k++) {
                int32_t id = random_id(&r);
                CHECK_OK(emb_stream_push(st, id, &err));
                sents_push(&want, id);
            }
            CHECK_OK(emb_stream_end_sentence(st, &err));
            /* Extra sentence ends are no-ops. */
            if (emb_rng_below(&r, 5) == 0) CHECK_OK(emb_stream_end_sentence(st, &err));
            sents_end(&want);
        }
        /* An unterminated last sentence is closed by finish. */
        for (int k = 0; k < 5; k++) {
            CHECK_OK(emb_stream_push(st, k, &err));
            sents_push(&want, k);
        }
        sents_end(&want);
        CHECK_OK(emb_stream_finish(st, chunk_sizes[ci], &err));
        CHECK(emb_stream_n_tokens(st) == want.n_ids);
        CHECK(emb_stream_n_sentences(st) == want.n);
        /* Each id takes 1-5 bytes, each sentence one more. */
        CHECK(emb_stream_n_bytes(st) >= want.n_ids + want.n && emb_stream_n_bytes(st) <= 5 * want.n_ids + want.n);
        int64_t *first = malloc((size_t)(emb_stream_n_chunks(st) + 1) * sizeof *first);
        CHECK(first);
        CHECK(decode_all(st, 1000, &got, first) == 0);
        int bad = !sents_equal(&got, &want, "round trip");
        bad = bad || check_chunks(&got, first, emb_stream_n_chunks(st), chunk_sizes[ci], "round trip");
        if (chunk_sizes[ci] == 1) bad = bad || emb_stream_n_chunks(st) != want.n; /* one sentence a chunk */
        if (chunk_sizes[ci] == 1 << 20) bad = bad || emb_stream_n_chunks(st) != 1;
        free(first);
        sents_free(&got);

        /* Small buffers: long sentences come in pieces of at most max. */
        for (int64_t max = 1; max <= 4 && !bad; max++) {
            int64_t pieces = 0, at = 0;
            int32_t buf[4];
            for (int64_t c = 0; c < emb_stream_n_chunks(st) && !bad; c++) {
                struct emb_stream_cursor cur;
                emb_stream_chunk(st, c, &cur);
                int64_t k;
                while ((k = emb_stream_next_sentence(&cur, buf, max)) >= 0) {
                    pieces++;
                    if (k < 1 || k > max || at + k > want.n_ids ||
                        memcmp(buf, want.ids + at, (size_t)k * sizeof *buf) != 0) {
                        fprintf(stderr, "max %lld: piece %lld wrong\n", (long long)max, (long long)pieces);
                        bad = 1;
                        break;
                    }
                    at += k;
                }
            }
            /* Pieces: ceil(len / max) per sentence. */
            int64_t want_pieces = 0;
            for (int64_t i = 0; i < want.n; i++) want_pieces += (sent_len(&want, i) + max - 1) / max;
            bad = bad || at != want.n_ids || pieces != want_pieces;
        }
        sents_free(&want);
        emb_stream_free(st);
        CHECK(!bad);
    }
    emb_stream_free(NULL);
    return 0;
}

static int test_push_errors_and_empty(void) {
    struct emb_err err = {0};
    struct emb_stream *st = NULL;
    CHECK_OK(emb_stream_new(&st, &err));
    CHECK(emb_stream_push(st, -1, &err) == EMB_EINVAL);
    CHECK(emb_stream_push(st, INT32_MAX, &err) == EMB_EINVAL);
    CHECK(emb_stream_push(st, INT32_MIN, NULL) == EMB_EINVAL);
    CHECK_OK(emb_stream_end_sentence(st, &err)); /* nothing open: no-op */
    CHECK_OK(emb_stream_finish(st, 10, &err));
    CHECK(emb_stream_n_tokens(st) == 0 && emb_stream_n_sentences(st) == 0);
    CHECK(emb_stream_n_bytes(st) == 0);
    /* An empty stream still has one (empty) chunk to read. */
    CHECK(emb_stream_n_chunks(st) == 1);
    struct emb_stream_cursor c;
    int32_t buf[4];
    emb_stream_chunk(st, 0, &c);
    CHECK(emb_stream_next_sentence(&c, buf, 4) == -1);
    emb_stream_free(st);

    /* The largest id survives the varint round trip. */
    CHECK_OK(emb_stream_new(&st, &err));
    CHECK_OK(emb_stream_push(st, INT32_MAX - 1, &err));
    CHECK_OK(emb_stream_push(st, 0, &err));
    CHECK_OK(emb_stream_push(st, 127, &err));
    CHECK_OK(emb_stream_push(st, 128, &err));
    CHECK_OK(emb_stream_finish(st, 0, &err)); /* chunk size < 1 acts as 1 */
    CHECK(emb_stream_n_chunks(st) == 1);
    emb_stream_chunk(st, 0, &c);
    CHECK(emb_stream_next_sentence(&c, buf, 4) == 4);
    CHECK(buf[0] == INT32_MAX - 1 && buf[1] == 0 && buf[2] == 127 && buf[3] == 128);
    CHECK(emb_stream_next_sentence(&c, buf, 4) == -1);
    emb_stream_free(st);
    return 0;
}

/* A map drops and renumbers ids; ids at or beyond n_map are dropped. The
 * mapped stream chunks exactly like a stream written with the final ids. */
static int test_map(void) {
    struct emb_err err = {0};
    struct emb_rng r;
    emb_rng_seed(&r, 42, 0);
    enum { N_MAP = 500 };
    int32_t map[N_MAP];
    for (int i = 0; i < N_MAP; i++) map[i] = emb_rng_below(&r, 3) == 0 ? -1 : (int32_t)emb_rng_below(&r, 1000);
    struct emb_stream *raw = NULL, *fin = NULL;
    CHECK_OK(emb_stream_new(&raw, &err));
    CHECK_OK(emb_stream_new(&fin, &err));
    struct sents want = {0};
    for (int i = 0; i < 3000; i++) {
        int64_t len = (int64_t)emb_rng_below(&r, 15);
        for (int64_t k = 0; k < len; k++) {
            /* Some ids beyond the map (dropped), some far beyond. */
            int32_t id = emb_rng_below(&r, 10) == 0 ? N_MAP + (int32_t)emb_rng_below(&r, 100000)
                                                     : (int32_t)emb_rng_below(&r, N_MAP);
            CHECK_OK(emb_stream_push(raw, id, &err));
            int32_t m = id < N_MAP ? map[id] : -1;
            if (m >= 0) {
                CHECK_OK(emb_stream_push(fin, m, &err));
                sents_push(&want, m);
            }
        }
        CHECK_OK(emb_stream_end_sentence(raw, &err));
        CHECK_OK(emb_stream_end_sentence(fin, &err));
        sents_end(&want);
    }
    CHECK_OK(emb_stream_set_map(raw, map, N_MAP, &err));
    map[0] = 12345; /* the map was copied: later changes do not matter */
    const int64_t chunk = 64;
    CHECK_OK(emb_stream_finish(raw, chunk, &err));
    CHECK_OK(emb_stream_finish(fin, chunk, &err));
    CHECK(emb_stream_n_tokens(raw) == want.n_ids && emb_stream_n_tokens(fin) == want.n_ids);
    CHECK(emb_stream_n_sentences(raw) == want.n && emb_stream_n_sentences(fin) == want.n);
    CHECK(emb_stream_n_chunks(raw) == emb_stream_n_chunks(fin));
    int64_t n_chunks = emb_stream_n_chunks(raw);
    int64_t *first_raw = malloc((size_t)(n_chunks + 1) * sizeof *first_raw);
    int64_t *first_fin = malloc((size_t)(n_chunks + 1) * sizeof *first_fin);
    struct sents got_raw, got_fin;
    CHECK(first_raw && first_fin);
    CHECK(decode_all(raw, 100, &got_raw, first_raw) == 0);
    CHECK(decode_all(fin, 100, &got_fin, first_fin) == 0);
    int bad = !sents_equal(&got_raw, &want, "mapped stream") || !sents_equal(&got_fin, &want, "final ids");
    bad = bad || memcmp(first_raw, first_fin, (size_t)(n_chunks + 1) * sizeof *first_raw) != 0;
    bad = bad || check_chunks(&got_raw, first_raw, n_chunks, chunk, "mapped stream");
    free(first_raw);
    free(first_fin);
    sents_free(&got_raw);
    sents_free(&got_fin);
    sents_free(&want);
    emb_stream_free(raw);
    emb_stream_free(fin);
    CHECK(!bad);

    /* An empty map drops everything. */
    struct emb_stream *st = NULL;
    CHECK_OK(emb_stream_new(&st, &err));
    for (int i = 0; i < 10; i++) CHECK_OK(emb_stream_push(st, i, &err));
    CHECK_OK(emb_stream_set_map(st, map, 0, &err));
    CHECK_OK(emb_stream_finish(st, 4, &err));
    CHECK(emb_stream_n_tokens(st) == 0 && emb_stream_n_sentences(st) == 0);
    struct emb_stream_cursor c;
    int32_t buf[4];
    for (int64_t k = 0; k < emb_stream_n_chunks(st); k++) {
        emb_stream_chunk(st, k, &c);
        CHECK(emb_stream_next_sentence(&c, buf, 4) == -1);
    }
    emb_stream_free(st);
    return 0;
}

/* ---- corpus ingestion -------------------------------------------------- */

enum { N_WORDS = 400 };

/* Word k of the generated corpus: ASCII for most, UTF-8 for some. */
static void corpus_word(int k, char *buf) {
    if (k % 10 == 3) sprintf(buf, "\xc3\xa9t\xc3\xa9%d", k);
    else if (k % 10 == 7) sprintf(buf, "\xe6\x97\xa5%d\xe6\x9c\xac", k);
    else sprintf(buf, "w%d", k);
}

struct corpus_model {
    struct sents lines;       /* word indices per line (empty lines not kept) */
    int64_t count[N_WORDS];
    int64_t first[N_WORDS];   /* token position of the first occurrence */
    char *text;
    size_t n_text;
};

/* Generate a corpus: Zipf-like word choice (so several words fall below a
 * min-count of 3), all whitespace classes, blank lines, CRLF ends. */
static int make_corpus(struct corpus_model *m, uint64_t seed, int n_lines) {
    static const char *const gaps[] = {" ", "\t", "  ", " \v ", "\f", "\r "};
    struct emb_rng r;
    emb_rng_seed(&r, seed, 0);
    memset(m, 0, sizeof *m);
    size_t cap = (size_t)n_lines * 300 + 1024;
    m->text = malloc(cap);
    if (!m->text) return -1;
    for (int k = 0; k < N_WORDS; k++) m->first[k] = -1;
    int64_t pos = 0;
    for (int line = 0; line < n_lines; line++) {
        int n = (int)emb_rng_below(&r, 16);
        if (emb_rng_below(&r, 3) == 0)
            m->n_text += (size_t)sprintf(m->text + m->n_text, "%s", gaps[emb_rng_below(&r, 6)]);
        for (int i = 0; i < n; i++) {
            /* 1/u-like skew: word ~ N_WORDS^u - 1. */
            double u = emb_rng_uniform_d(&r);
            int k = (int)(pow(N_WORDS, u)) - 1;
            if (k < 0) k = 0;
            if (k >= N_WORDS) k = N_WORDS - 1;
            char w[64];
            corpus_word(k, w);
            m->n_text += (size_t)sprintf(m->text + m->n_text, "%s%s", w, gaps[emb_rng_below(&r, 6)]);
            sents_push(&m->lines, k);
            if (m->first[k] < 0) m->first[k] = pos;
            m->count[k]++;
            pos++;
        }
        m->n_text += (size_t)sprintf(m->text + m->n_text, "%s", emb_rng_below(&r, 4) ? "\n" : "\r\n");
        sents_end(&m->lines);
    }
    return 0;
}

static void corpus_free(struct corpus_model *m) {
    sents_free(&m->lines);
    free(m->text);
}

/* Expected vocabulary order: count descending, then first appearance.
 * new_id[k] = rank or -1 (below min_count or beyond max_vocab). */
static int32_t expected_vocab(const struct corpus_model *m, int64_t min_count, int32_t max_vocab, int32_t *new_id,
                              int32_t *order) {
    int32_t n = 0;
    for (int k = 0; k < N_WORDS; k++) {
        new_id[k] = -1;
        if (m->count[k] >= min_count && m->count[k] > 0) order[n++] = k;
    }
    /* Insertion sort: small n. */
    for (int32_t i = 1; i < n; i++)
        for (int32_t j = i; j > 0; j--) {
            int a = order[j - 1], b = order[j];
            if (m->count[a] > m->count[b] || (m->count[a] == m->count[b] && m->first[a] < m->first[b])) break;
            order[j - 1] = b;
            order[j] = a;
        }
    if (max_vocab > 0 && n > max_vocab) n = max_vocab;
    for (int32_t i = 0; i < n; i++) new_id[order[i]] = i;
    return n;
}

/* The sentences emb_stream_read_corpus should produce under new_id. */
static void expected_stream(const struct corpus_model *m, const int32_t *new_id, struct sents *out) {
    memset(out, 0, sizeof *out);
    for (int64_t i = 0; i < m->lines.n; i++) {
        for (int64_t k = m->lines.start[i]; k < m->lines.start[i + 1]; k++)
            if (new_id[m->lines.ids[k]] >= 0) sents_push(out, new_id[m->lines.ids[k]]);
        sents_end(out);
    }
}

struct progress_log {
    int calls;
    double last_fraction;
    int64_t last_tokens;
};

static void on_progress(void *ctx, double fraction, int64_t n_tokens) {
    struct progress_log *p = ctx;
    p->calls++;
    p->last_fraction = fraction;
    p->last_tokens = n_tokens;
}

static int test_read_corpus(void) {
    struct emb_err err = {0};
    struct corpus_model m;
    CHECK(make_corpus(&m, 43, 3000) == 0);
    CHECK(test_write_file(tmp("corpus.txt"), m.text, m.n_text) == 0);
    gzFile g = gzopen(tmp("corpus.txt.gz"), "wb");
    CHECK(g && gzwrite(g, m.text, (unsigned)m.n_text) == (int)m.n_text && gzclose(g) == Z_OK);
    int bad = 0;
    const struct {
        int64_t min_count;
        int32_t max_vocab;
        int64_t chunk;
    } cases[] = {{1, 0, 1 << 16}, {3, 0, 50}, {5, 0, 1000}, {3, 20, 7}, {50, 0, 100}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0] && !bad; ci++)
        for (int gz = 0; gz <= 1 && !bad; gz++) {
            int32_t new_id[N_WORDS], order[N_WORDS];
            int32_t n_vocab = expected_vocab(&m, cases[ci].min_count, cases[ci].max_vocab, new_id, order);
            struct sents want, got, got_fixed;
            expected_stream(&m, new_id, &want);
            struct emb_corpus_params p = emb_corpus_default_params();
            p.min_count = cases[ci].min_count;
            p.max_vocab = cases[ci].max_vocab;
            p.chunk_tokens = cases[ci].chunk;
            struct progress_log log = {0, -1, -1};
            p.progress = on_progress;
            p.progress_ctx = &log;
            struct emb_vocab *v = NULL;
            struct emb_stream *st = NULL, *st_fixed = NULL;
            CHECK_OK(emb_stream_read_corpus(tmp(gz ? "corpus.txt.gz" : "corpus.txt"), NULL, &p, &v, &st, &err));
            /* Vocabulary: words, counts and order as computed here. */
            CHECK(emb_vocab_size(v) == n_vocab);
            for (int32_t i = 0; i < n_vocab && !bad; i++) {
                char w[64];
                corpus_word(order[i], w);
                if (strcmp(emb_vocab_word(v, i), w) != 0 || emb_vocab_count(v, i) != m.count[order[i]]) {
                    fprintf(stderr, "case %zu: vocab id %d is '%s' x%lld, want '%s' x%lld\n", ci, i,
                            emb_vocab_word(v, i), (long long)emb_vocab_count(v, i), w, (long long)m.count[order[i]]);
                    bad = 1;
                }
            }
            /* Progress: ends with fraction 1 and the number of raw tokens. */
            bad = bad || log.calls < 1 || log.last_fraction != 1.0 || log.last_tokens != m.lines.n_ids;
            /* Stream: the kept tokens, line by line, chunked by kept tokens. */
            int64_t *first = malloc((size_t)(emb_stream_n_chunks(st) + 1) * sizeof *first);
            CHECK(first);
            CHECK(decode_all(st, 100, &got, first) == 0);
            bad = bad || !sents_equal(&got, &want, "corpus stream");
            bad = bad || emb_stream_n_tokens(st) != want.n_ids;
            bad = bad || emb_stream_n_sentences(st) != want.n;
            bad = bad || check_chunks(&got, first, emb_stream_n_chunks(st), p.chunk_tokens, "corpus stream");

            /* Fixed vocabulary: the same ids, the same chunks. */
            struct emb_vocab *none = (struct emb_vocab *)&err;
            p.progress = NULL;
            CHECK_OK(emb_stream_read_corpus(tmp(gz ? "corpus.txt.gz" : "corpus.txt"), v, &p, &none, &st_fixed, &err));
            CHECK(none == NULL);
            int64_t *first_fixed = malloc((size_t)(emb_stream_n_chunks(st_fixed) + 1) * sizeof *first_fixed);
            CHECK(first_fixed);
            CHECK(decode_all(st_fixed, 100, &got_fixed, first_fixed) == 0);
            bad = bad || !sents_equal(&got_fixed, &want, "fixed-vocabulary stream");
            bad = bad || emb_stream_n_chunks(st_fixed) != emb_stream_n_chunks(st) ||
                  memcmp(first, first_fixed, (size_t)(emb_stream_n_chunks(st) + 1) * sizeof *first) != 0;
            if (bad) fprintf(stderr, "read_corpus case %zu (%s) failed\n", ci, gz ? "gzip" : "plain");
            free(first);
            free(first_fixed);
            sents_free(&want);
            sents_free(&got);
            sents_free(&got_fixed);
            emb_vocab_free(v);
            emb_stream_free(st);
            emb_stream_free(st_fixed);
        }
    /* The vocabulary out-parameter may be NULL in fixed mode. */
    if (!bad) {
        struct emb_vocab *v = NULL;
        struct emb_stream *st = NULL;
        struct emb_corpus_params p = emb_corpus_default_params();
        CHECK_OK(emb_vocab_new(&v, &err));
        CHECK_OK(emb_vocab_add(v, "w0", 2, 1, NULL, &err));
        CHECK_OK(emb_stream_read_corpus(tmp("corpus.txt"), v, &p, NULL, &st, &err));
        CHECK(emb_stream_n_tokens(st) == m.count[0]);
        emb_stream_free(st);
        emb_vocab_free(v);
    }
    corpus_free(&m);
    unlink(tmp("corpus.txt"));
    unlink(tmp("corpus.txt.gz"));
    return bad;
}

/* Expect emb_stream_read_corpus on text to fail with rc and a message
 * containing needle; outputs must be NULL. */
static int expect_corpus_error(const char *text, size_t n, const struct emb_vocab *fixed, int64_t min_count, int rc,
                               const char *needle) {
    struct emb_err err = {0};
    CHECK(test_write_file(tmp("bad.txt"), text, n) == 0);
    struct emb_corpus_params p = emb_corpus_default_params();
    p.min_count = min_count;
    struct emb_vocab *v = (struct emb_vocab *)&err;
    struct emb_stream *st = (struct emb_stream *)&err;
    int got = emb_stream_read_corpus(tmp("bad.txt"), fixed, &p, &v, &st, &err);
    if (got != rc || v != NULL || st != NULL || err.code != rc || (needle && !strstr(err.msg, needle))) {
        fprintf(stderr, "corpus '%.20s': rc %d, message '%s' (want %d, '%s')\n", text, got, err.msg, rc,
                needle ? needle : "");
        return 1;
    }
    return 0;
}

static int test_corpus_errors(void) {
    struct emb_err err = {0};
    CHECK(expect_corpus_error("", 0, NULL, 1, EMB_EEMPTY, NULL) == 0);
    CHECK(expect_corpus_error(" \n\t\n\r\n", 6, NULL, 1, EMB_EEMPTY, NULL) == 0);
    const char *rare = "a b c\nd a e\n";
    CHECK(expect_corpus_error(rare, strlen(rare), NULL, 3, EMB_EEMPTY, "min-count") == 0);
    CHECK(expect_corpus_error("ok\0no", 5, NULL, 1, EMB_EFORMAT, "NUL") == 0);
    /* Fixed vocabulary with none of the corpus words. */
    struct emb_vocab *v = NULL;
    CHECK_OK(emb_vocab_new(&v, &err));
    CHECK_OK(emb_vocab_add(v, "zzz", 3, 1, NULL, &err));
    int bad = expect_corpus_error(rare, strlen(rare), v, 1, EMB_EEMPTY, NULL);
    emb_vocab_free(v);
    CHECK(!bad);
    /* Missing file. */
    struct emb_vocab *vo = NULL;
    struct emb_stream *st = NULL;
    struct emb_corpus_params p = emb_corpus_default_params();
    CHECK(emb_stream_read_corpus(tmp("missing.txt"), NULL, &p, &vo, &st, &err) == EMB_EIO);
    CHECK(vo == NULL && st == NULL);
    unlink(tmp("bad.txt"));
    return 0;
}

int main(void) {
    int failed = 0;
    snprintf(dir, sizeof dir, "/tmp/emb_stream_test_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_push_errors_and_empty);
    RUN(test_roundtrip);
    RUN(test_map);
    RUN(test_read_corpus);
    RUN(test_corpus_errors);
    rmdir(dir);
    if (failed) return 1;
    printf("stream_test: ok\n");
    return 0;
}
