/* vocab.h -- a vocabulary: words <-> dense ids, with 64-bit counts.
 *
 * An open-addressing hash map from byte strings to ids 0..n-1, in insertion
 * order, each with a count. Build one by adding tokens, then prune and sort:
 *
 *     struct emb_vocab *v = NULL;
 *     emb_vocab_new(&v, &err);
 *     emb_vocab_add(v, "cat", 3, 1, NULL, &err);       // count += 1
 *     int32_t *remap = ...;                             // (old size)
 *     emb_vocab_finalize(v, 5, 0, remap, &err);         // min-count 5, sort
 *     int32_t id = emb_vocab_find(v, "cat", 3);         // -1 if absent
 *     emb_vocab_free(v);
 *
 * Words are arbitrary bytes (UTF-8 kept intact) without NUL; they are stored
 * NUL-terminated. Ids are int32 (up to 2^31-1 words); counts and the total
 * are int64, so corpora over 2^31 tokens count correctly. */
#ifndef EMB_VOCAB_H
#define EMB_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_vocab;

int emb_vocab_new(struct emb_vocab **out, struct emb_err *err);
void emb_vocab_free(struct emb_vocab *v);

/* Add `count` (>= 0) to `word` (len bytes), inserting it if new. The id is
 * stored in *id_out when id_out is not NULL. Fails only on EMB_ENOMEM or
 * EMB_EINVAL (empty word, the int32 id space exhausted, a negative count, or
 * a total of counts past INT64_MAX); the vocabulary is then unchanged. */
int emb_vocab_add(struct emb_vocab *v, const char *word, size_t len, int64_t count, int32_t *id_out,
                  struct emb_err *err);

/* Id of word, or -1. */
int32_t emb_vocab_find(const struct emb_vocab *v, const char *word, size_t len);

int32_t emb_vocab_size(const struct emb_vocab *v);
/* NUL-terminated word for id (borrowed, valid until the vocabulary changes). */
const char *emb_vocab_word(const struct emb_vocab *v, int32_t id);
int64_t emb_vocab_count(const struct emb_vocab *v, int32_t id);
/* Sum of all counts. */
int64_t emb_vocab_total(const struct emb_vocab *v);

/* Drop words with count < min_count, sort by count (descending; ties keep
 * insertion order), then keep at most max_size words (0 = no bound).
 * If remap is not NULL it must hold the old size; remap[old_id] receives
 * the new id or -1 for dropped words. Returns EMB_EEMPTY if nothing is left. */
int emb_vocab_finalize(struct emb_vocab *v, int64_t min_count, int32_t max_size, int32_t *remap,
                       struct emb_err *err);

/* word2vec.c's vocabulary file: one "word count" line per word, in id order. */
int emb_vocab_save(const struct emb_vocab *v, const char *path, struct emb_err *err);
/* Read such a file; words keep the file's order. Duplicates, missing or bad
 * counts, and counts whose sum passes INT64_MAX are EMB_EFORMAT with the
 * line number. */
int emb_vocab_load(struct emb_vocab **out, const char *path, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
