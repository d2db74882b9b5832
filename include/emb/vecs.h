/* vecs.h -- word vector files: word2vec text and binary, and .npy + vocab.
 *
 * A struct emb_vecs is a list of words with one vector each: row i of
 * `table` belongs to word i of `vocab` (file order; vector files written
 * by trainers are sorted by frequency, most frequent first).
 *
 *     struct emb_vecs *v = NULL;
 *     int rc = emb_vecs_load(&v, "vectors.bin", EMB_FMT_AUTO, 0, NULL, &err);
 *     int32_t id = emb_vocab_find(v->vocab, "king", 4);
 *     float *x = emb_table_row(v->table, id);
 *     emb_vecs_save(v->vocab, v->table, "vectors.txt", EMB_FMT_AUTO, &err);
 *     emb_vecs_free(v);
 *
 * Formats (exactly what word2vec.c and gensim's save/load_word2vec_format
 * read and write):
 *   text  "N D\n" then per word "word v1 v2 ... vD\n" (written with single
 *         spaces; on reading, runs of spaces/tabs, a trailing space as
 *         word2vec.c writes, CRLF and blank lines are accepted).
 *   bin   "N D\n" then per word "word " + D little-endian float32 + "\n"
 *         (the '\n' after a row is optional on reading, as in word2vec.c).
 *   npy   NumPy .npy, float32 (little-endian, C order, shape (N, D)); the
 *         words are in a separate vocabulary file, one word per line
 *         (default: the .npy path with ".vocab" in place of ".npy").
 * Any of them may be gzip-compressed when reading.
 *
 * Loading rejects, with the line or row number: a bad header (not two
 * positive integers, N > INT32_MAX, D > EMB_VECS_MAX_DIM), rows with too
 * few or too many values, numbers that do not parse, words with a NUL
 * byte, and files that end early or hold more rows than announced
 * (EMB_EFORMAT); NaN or infinite values (EMB_ENUMERIC); duplicate words
 * (EMB_EDUP); an empty file or N = 0 (EMB_EEMPTY); a missing file
 * (EMB_EIO). Memory grows with the rows actually read, never with what a
 * header claims. Saving writes a
 * temporary file and renames it, so PATH is never half-written. Words that
 * contain ASCII whitespace cannot be written to text/bin (EMB_EINVAL). */
#ifndef EMB_VECS_H
#define EMB_VECS_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/table.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_vec_format { EMB_FMT_AUTO = 0, EMB_FMT_TEXT, EMB_FMT_BIN, EMB_FMT_NPY };

/* Headers announcing more than this many dimensions (or more than
 * INT32_MAX vectors) are rejected as corrupt rather than allocated. */
#define EMB_VECS_MAX_DIM 1000000

struct emb_vecs {
    struct emb_vocab *vocab; /* row order; counts are 0 */
    struct emb_table *table; /* (n, dim) */
};

/* Format implied by a path: *.bin -> BIN, *.npy -> NPY, anything else
 * (*.txt, *.vec, ...) -> TEXT. A trailing ".gz" is ignored. */
enum emb_vec_format emb_vec_format_from_path(const char *path);
/* "text"/"txt"/"vec", "bin"/"binary", "npy" (and "auto"); EMB_EINVAL otherwise. */
int emb_vec_format_parse(const char *name, enum emb_vec_format *out, struct emb_err *err);
const char *emb_vec_format_name(enum emb_vec_format f);
/* The format emb_vecs_load(path, EMB_FMT_AUTO) reads: the extension, or for
 * names other than .txt, .vec, .bin, .npy (.gz ignored) a look at the
 * first bytes (NumPy magic -> NPY, float bytes after the first word -> BIN,
 * else TEXT). Stdin ("-") is TEXT. EMB_EIO if the file cannot be opened. */
int emb_vec_format_detect(const char *path, enum emb_vec_format *out, struct emb_err *err);

/* Load vectors. fmt EMB_FMT_AUTO picks by extension, except that a file
 * named otherwise is sniffed (see emb_vec_format_detect). limit > 0 keeps
 * only the first `limit` rows (like gensim's limit=) and reads no further;
 * limit <= 0 reads all. vocab_path is for NPY only (NULL = default name;
 * required when path is "-"). On success *out is owned by the caller
 * (emb_vecs_free); on error *out is NULL and err says why. */
int emb_vecs_load(struct emb_vecs **out, const char *path, enum emb_vec_format fmt, int64_t limit,
                  const char *vocab_path, struct emb_err *err);
void emb_vecs_free(struct emb_vecs *v);

/* Save rows 0..n-1 of t, named by words 0..n-1 of vocab (n = vocab size,
 * which must not exceed t->n_rows). fmt EMB_FMT_AUTO picks by extension.
 * For NPY the vocabulary file is written too (vocab_path or the default).
 * Text values are printed with the fewest digits that read back to the
 * same float32, so text round trips are exact too. Nothing is created
 * when the input is refused: n = 0 (EMB_EEMPTY), more words than rows,
 * words with whitespace (for NPY: with '\n' or '\r') (EMB_EINVAL), NaN or
 * infinite values (EMB_ENUMERIC). For NPY the vocabulary file is renamed
 * into place first, then the .npy. */
int emb_vecs_save(const struct emb_vocab *vocab, const struct emb_table *t, const char *path,
                  enum emb_vec_format fmt, const char *vocab_path, struct emb_err *err);

/* The default vocabulary path for an .npy path (caller frees with emb_free). */
char *emb_vecs_npy_vocab_path(const char *npy_path);

#ifdef __cplusplus
}
#endif
#endif
