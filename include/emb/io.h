/* io.h -- reading plain/gzip/stdin input, tokenising corpora, and writing
 * outputs atomically.
 *
 * Readers: emb_reader reads any file through zlib, so plain and gzip files
 * (and stdin, path "-") look the same. It offers whole lines of any length,
 * exact byte counts, and delimited fields:
 *
 *     struct emb_reader *r = NULL;
 *     if (emb_reader_open(&r, "corpus.txt.gz", &err) == EMB_OK)
 *         while ((rc = emb_reader_line(r, &line, &len, &err)) == 1) use(line, len);
 *     emb_reader_close(r);
 *
 * Corpus: emb_corpus splits a reader's bytes into tokens on ASCII
 * whitespace (space, \t, \n, \v, \f, \r); every other byte, UTF-8 included,
 * is part of a token. Each line is a sentence: EMB_TOK_EOL follows the last
 * token of every line that had tokens. A NUL byte means the input is not
 * text and is reported as EMB_EFORMAT. Tokens longer than
 * EMB_MAX_TOKEN_BYTES are cut there (at a UTF-8 character boundary).
 *
 * Writers: emb_outfile writes to a temporary file ".NAME.emb-tmp.PID.XXXXXXXX"
 * in the directory of PATH and renames it over PATH on commit, so an
 * interrupted run never leaves a half-written PATH. Path "-" writes to
 * stdout directly. Beyond that:
 *  - an existing PATH that is not a regular file (a device such as
 *    /dev/null, a FIFO) is written through, never replaced; /dev/stdout,
 *    /dev/stderr, /dev/fd/N and /proc/self/fd/N write to that descriptor;
 *  - a symlink PATH is followed: the link stays, its target is replaced
 *    (the temporary goes in the target's directory);
 *  - the replaced file's mode (and, where allowed, owner) is kept; it gets
 *    a new inode, so other hard links to it keep the old content;
 *  - temporaries left by a killed process (kill -9) are removed by the
 *    next output to the same NAME once that PID is no longer running.
 * emb_output_check tells before a long run whether PATH can be written,
 * and emb_output_same_file whether two spellings name one file.
 *
 * Native binary files (checkpoints, models) share one header layout, all
 * little-endian:
 *
 *     offset  size  field
 *     0       8     magic, e.g. "EMBCKPT\0" (names the kind of file)
 *     8       4     format version (uint32)
 *     12      4     header bytes that follow (uint32), key/value text
 *     16      ...   "key=value\n" lines (params, counts, names)
 *     ...     ...   payload: arrays written with emb_write_* helpers,
 *                   each preceded by its element count (int64)
 *
 * Loaders check the magic, the version and every count against the header,
 * and report the first mismatch. */
#ifndef EMB_IO_H
#define EMB_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- readers --------------------------------------------------------- */

struct emb_reader;

/* Open path for reading ("-" = stdin). Plain or gzip, detected by content. */
int emb_reader_open(struct emb_reader **out, const char *path, struct emb_err *err);
void emb_reader_close(struct emb_reader *r);
/* Next line without its '\n' (a trailing '\r' is kept), NUL-terminated,
 * writable, valid until the next call. Returns 1 for a line, 0 at end of
 * input, or a negative status. Embedded NULs are kept (len counts them). */
int emb_reader_line(struct emb_reader *r, char **line, size_t *len, struct emb_err *err);
/* Read exactly n bytes into buf. Returns EMB_OK, or EMB_EFORMAT if the
 * input ends first (*got tells how many bytes came), or EMB_EIO. */
int emb_reader_read(struct emb_reader *r, void *buf, size_t n, size_t *got, struct emb_err *err);
/* Read bytes up to (not including) delim, consuming delim. At most max
 * bytes: longer fields are EMB_EFORMAT. Returns 1 with the field
 * (NUL-terminated, valid until the next call), 0 at end of input before
 * any byte, or a negative status. */
int emb_reader_field(struct emb_reader *r, int delim, size_t max, char **out, size_t *len, struct emb_err *err);
/* Next byte, or -1 at end of input (errors are reported by the next call
 * of another function). */
int emb_reader_getc(struct emb_reader *r);
/* Path as given to open (for messages). */
const char *emb_reader_path(const struct emb_reader *r);
/* Fraction of the file consumed (compressed bytes / file size), or -1 when
 * the size is unknown (stdin, pipes). */
double emb_reader_progress(const struct emb_reader *r);

/* Split line[0..len) into fields separated by runs of blanks (space, \t,
 * \r, \v, \f), ignoring blanks at both ends. The first max_fields fields
 * are stored as pointers into line with their lengths, each NUL-terminated
 * in place (line is modified, and line[len] must be writable, as it is
 * for lines from emb_reader_line even after trimming). Returns the number of fields found, which
 * may exceed max_fields (so callers can report "expected 3, found 5"). */
int emb_split_fields(char *line, size_t len, char **fields, size_t *lens, int max_fields);

/* ---- corpus tokens --------------------------------------------------- */

#define EMB_MAX_TOKEN_BYTES 1000

enum emb_tok { EMB_TOK_EOF = 0, EMB_TOK_WORD = 1, EMB_TOK_EOL = 2 };

struct emb_corpus;

int emb_corpus_open(struct emb_corpus **out, const char *path, struct emb_err *err);
void emb_corpus_close(struct emb_corpus *c);
/* Next token: EMB_TOK_WORD with *tok and *len set (valid until the next call),
 * EMB_TOK_EOL, EMB_TOK_EOF, or a negative status. */
int emb_corpus_next(struct emb_corpus *c, const char **tok, size_t *len, struct emb_err *err);
/* The underlying reader (for progress). */
const struct emb_reader *emb_corpus_reader(const struct emb_corpus *c);

/* ---- atomic output --------------------------------------------------- */

struct emb_outfile;

/* Start writing path (through a temporary file; "-" = stdout). */
int emb_outfile_open(struct emb_outfile **out, const char *path, struct emb_err *err);
/* The stdio stream to write to. */
FILE *emb_outfile_stream(struct emb_outfile *f);
/* Flush, check for write errors, sync and rename into place; frees f.
 * On failure the temporary file is removed and path is left untouched. */
int emb_outfile_commit(struct emb_outfile *f, struct emb_err *err);
/* Discard: remove the temporary file; frees f. NULL is a no-op. Leaves
 * errno as it was, so a caller can report the write error after it. (A
 * device or FIFO written through has received what was flushed.) */
void emb_outfile_abort(struct emb_outfile *f);
/* Can an output to path be written? Checks, without creating anything,
 * that path is not a directory and that its (symlink-resolved) directory
 * exists and is writable, or that an existing device/FIFO is writable.
 * EMB_EIO with a message naming the cause otherwise. "-" is always OK. */
int emb_output_check(const char *path, struct emb_err *err);
/* 1 when a and b name the same file: the same inode if both exist, or the
 * same target once symlinks and the directory are resolved ("./x" and "x",
 * a symlink and its target, two hard links). "-" equals only "-". */
int emb_output_same_file(const char *a, const char *b);

/* ---- native binary helpers (little-endian hosts) --------------------- */

/* Write the 16-byte header plus key/value text (kv may be NULL). */
int emb_write_header(FILE *f, const char magic[8], uint32_t version, const char *kv);
/* Read and check magic and version (<= max_version); *kv receives the
 * key/value text (owned by the caller, emb_free). */
int emb_read_header(struct emb_reader *r, const char magic[8], uint32_t max_version, uint32_t *version,
                    char **kv, struct emb_err *err);
/* Look up "key=" in kv text; copies the value into buf. Returns 1 if found. */
int emb_kv_get(const char *kv, const char *key, char *buf, size_t buf_bytes);
/* Look up key in kv and parse its value strictly (the whole value) as an
 * integer / a finite number in [lo, hi]. A missing key or a bad value is
 * EMB_EFORMAT with a message naming path and key. */
int emb_kv_ll(const char *kv, const char *key, long long lo, long long hi, long long *out, const char *path,
              struct emb_err *err);
int emb_kv_double(const char *kv, const char *key, double lo, double hi, double *out, const char *path,
                  struct emb_err *err);
/* Every "key=value" line of want must be in have with the same value:
 * else EMB_EINVAL "PATH was made with key=A, this run has key=B" (or
 * EMB_EFORMAT when have lacks the key). For resume checks. */
int emb_kv_require(const char *have, const char *want, const char *path, struct emb_err *err);
/* CRC-framed files (checkpoints, .kge models from format 2 on) add two
 * CRC-32s (zlib's) to that layout: one of the bytes from the magic to the
 * end of the key/value text, right after that text, so a loader can trust
 * the sizes in the header before allocating anything; and one of all
 * bytes before it at the very end of the file. Write through an
 * emb_crc_writer (it wraps f and counts every byte passed through its
 * stream), read with emb_read_header_crc ... emb_read_trailer_crc. */
uint32_t emb_crc32(uint32_t crc, const void *data, size_t n); /* start from crc 0 */
struct emb_crc_writer;
int emb_crc_writer_open(struct emb_crc_writer **out, FILE *inner);
/* Write the file through this stream (emb_write_array and plain fwrite). */
FILE *emb_crc_writer_stream(struct emb_crc_writer *w);
/* emb_write_header, then the header's CRC. */
int emb_write_header_crc(struct emb_crc_writer *w, const char magic[8], uint32_t version, const char *kv);
/* With write_trailer, write the CRC of everything written; then flush into
 * inner and free w (inner stays open). EMB_EIO if any write failed. */
int emb_crc_writer_close(struct emb_crc_writer *w, int write_trailer);
/* emb_read_header; for a file of version >= crc_version also read and
 * check the header's CRC, and start counting for emb_read_trailer_crc. */
int emb_read_header_crc(struct emb_reader *r, const char magic[8], uint32_t crc_version, uint32_t max_version,
                        uint32_t *version, char **kv, struct emb_err *err);
/* At the end of the payload: check the trailing CRC (when the header had
 * one) and that nothing follows. EMB_EFORMAT "... checksum mismatch ...". */
int emb_read_trailer_crc(struct emb_reader *r, struct emb_err *err);
/* 0 if a plain (not gzip) file provably has fewer than n_bytes left, so a
 * size from a header can be checked before it is allocated; 1 otherwise. */
int emb_reader_has(struct emb_reader *r, int64_t n_bytes);

/* An array: int64 element count, then the elements. */
int emb_write_array(FILE *f, const void *data, int64_t n, size_t elem_bytes);
/* Read an array whose count must equal n. */
int emb_read_array(struct emb_reader *r, void *data, int64_t n, size_t elem_bytes, const char *what,
                   struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
