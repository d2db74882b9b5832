/* stream.h -- a compact in-memory stream of sentences of token ids.
 *
 * Trainers that make several passes (epochs) over a corpus, or over random
 * walks, keep the token ids here instead of re-reading and re-tokenising
 * the text every epoch. Ids are stored as LEB128 varints of id+1 and a 0
 * byte ends a sentence, so a frequency-sorted vocabulary costs 1-2 bytes a
 * token (65M tokens ~ 110 MB instead of 260 MB as int32). The stream can be
 * read in parallel by chunks that end on sentence boundaries:
 *
 *     emb_stream_new(&s, &err);
 *     emb_stream_push(s, id, &err) ... emb_stream_end_sentence(s, &err);
 *     emb_stream_finish(s, 1 << 16, &err);    // chunks of ~65k tokens
 *     struct emb_stream_cursor c;
 *     emb_stream_chunk(s, i, &c);
 *     while ((n = emb_stream_next_sentence(&c, buf, max)) >= 0) use(buf, n);
 *
 * An optional id map (set before finish) is applied while decoding:
 * map[id] is the id to report, or -1 to drop the token. Chunking counts the
 * tokens that survive the map, so two streams holding the same sentences
 * (one through a map, one written with final ids) chunk identically.
 *
 * emb_stream_read_corpus builds a vocabulary and a stream from a text
 * corpus (io.h's tokenizer) in one pass, so stdin works as input too. */
#ifndef EMB_STREAM_H
#define EMB_STREAM_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_stream;

int emb_stream_new(struct emb_stream **out, struct emb_err *err);
void emb_stream_free(struct emb_stream *s);
/* Append one token id (0 <= id < 2^31-1). */
int emb_stream_push(struct emb_stream *s, int32_t id, struct emb_err *err);
/* End the current sentence (no-op if it is empty). */
int emb_stream_end_sentence(struct emb_stream *s, struct emb_err *err);
/* Decode through map (copied; n_map entries; ids >= n_map are dropped). */
int emb_stream_set_map(struct emb_stream *s, const int32_t *map, int64_t n_map, struct emb_err *err);
/* Close the stream and cut it into chunks of about chunk_tokens kept
 * tokens. Afterwards the stream is read-only. */
int emb_stream_finish(struct emb_stream *s, int64_t chunk_tokens, struct emb_err *err);

/* After finish: kept tokens, non-empty sentences, chunks, encoded bytes. */
int64_t emb_stream_n_tokens(const struct emb_stream *s);
int64_t emb_stream_n_sentences(const struct emb_stream *s);
int64_t emb_stream_n_chunks(const struct emb_stream *s);
int64_t emb_stream_n_bytes(const struct emb_stream *s);

struct emb_stream_cursor {
    const uint8_t *p, *end;
    const int32_t *map;
    int64_t n_map;
};

/* Position c at the start of chunk i (0 <= i < n_chunks). */
void emb_stream_chunk(const struct emb_stream *s, int64_t i, struct emb_stream_cursor *c);
/* Decode the next non-empty sentence into out (at most max ids; a longer
 * sentence continues on the next call). Returns the count, or -1 when the
 * chunk is exhausted. */
int64_t emb_stream_next_sentence(struct emb_stream_cursor *c, int32_t *out, int64_t max);

/* Called now and then while reading a corpus: fraction of the input read
 * (-1 if unknown) and tokens so far. */
typedef void (*emb_read_progress_fn)(void *ctx, double fraction, int64_t n_tokens);

struct emb_corpus_params {
    int64_t min_count;       /* drop rarer words (>= 1) */
    int32_t max_vocab;       /* keep at most this many words; 0 = no bound */
    int64_t chunk_tokens;    /* chunk size for parallel reading */
    emb_read_progress_fn progress;
    void *progress_ctx;
};
struct emb_corpus_params emb_corpus_default_params(void);

/* Read the corpus at path ("-" = stdin, plain or gzip). If `fixed` is not
 * NULL its words define the ids and other tokens are skipped (*vocab_out is
 * set to NULL); otherwise a vocabulary is counted, pruned (min_count,
 * max_vocab), sorted by frequency and returned in *vocab_out. Errors: a
 * missing file, binary data, no tokens or no word left after pruning. */
int emb_stream_read_corpus(const char *path, const struct emb_vocab *fixed, const struct emb_corpus_params *p,
                           struct emb_vocab **vocab_out, struct emb_stream **stream_out, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
