/* eval.h -- querying and evaluating word vectors: nearest neighbours,
 * analogies (3CosAdd, 3CosMul), analogy accuracy and word-similarity
 * correlation.
 *
 * Queries go through a struct emb_query, a unit-normalised copy of the
 * vectors plus a thread pool, built once and asked many times:
 *
 *     struct emb_query *q = NULL;
 *     int rc = emb_query_new(&q, vecs, 2, &err);
 *     int32_t id = emb_query_find(q, "king", 4);          // -1 if unknown
 *     int64_t ids[10]; float scores[10];
 *     int n = emb_query_neighbors(q, emb_query_row(q, id), 10, &id, 1, ids, scores, &err);
 *     emb_query_free(q);
 *
 * Benchmarks follow the usual protocols so that numbers compare with
 * published ones:
 *
 *   analogy     word2vec's questions-words.txt format, scored like gensim's
 *               evaluate_word_analogies(case_insensitive=True): only the
 *               first restrict_vocab rows (the most frequent words) are
 *               candidates, words are compared case-folded, a question is
 *               covered when its four words are all there, and the answer is
 *               the best candidate other than a, b and c.
 *   similarity  "w1 w2 score" pairs (WordSim-353, MEN, SimLex...); Spearman's
 *               rank correlation between human scores and cosines, over the
 *               pairs whose two words are found.
 *
 *     struct emb_analogy_params p = emb_analogy_default_params();
 *     struct emb_analogy_result r;
 *     rc = emb_eval_analogy(vecs, "questions-words.txt", &p, &r, &err);
 *     printf("%.4f of %lld\n", r.all.accuracy, (long long)r.all.covered);
 *     emb_analogy_result_free(&r);
 *
 * Analogy notation: "a is to b as c is to d", a question line reads
 * "a b c d" and the answer is near b - a + c (for the line
 * "Athens Greece Baghdad Iraq", Greece - Athens + Baghdad ~ Iraq).
 *
 * 3CosAdd  argmax_d cos(d, b) - cos(d, a) + cos(d, c); with unit vectors the
 *          same ranking as cos(d, b - a + c) (Mikolov et al. 2013).
 * 3CosMul  argmax_d cos'(d, b) * cos'(d, c) / (cos'(d, a) + 0.001) with
 *          cos' = (cos + 1) / 2 shifted into [0, 1] (Levy & Goldberg 2014;
 *          gensim's most_similar_cosmul uses 1e-6 instead of 0.001). */
#ifndef EMB_EVAL_H
#define EMB_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/vecs.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_analogy_method {
    EMB_ANALOGY_ADD = 0, /* 3CosAdd */
    EMB_ANALOGY_MUL = 1, /* 3CosMul */
};

/* The epsilon of 3CosMul's denominator (Levy & Goldberg 2014). */
#define EMB_COSMUL_EPS 0.001f

/* "add" / "mul" (also "3cosadd", "3cosmul"); EMB_EINVAL otherwise. */
int emb_analogy_method_parse(const char *name, enum emb_analogy_method *out, struct emb_err *err);
const char *emb_analogy_method_name(enum emb_analogy_method m);

/* ---- queries --------------------------------------------------------- */

/* An immutable, normalised copy of a vector set with its own thread pool.
 * emb_query_neighbors and emb_query_analogy take one caller at a time
 * (the pool runs one job at a time); the _r variants below may be called
 * from many threads at once. */
struct emb_query;

/* Build a query index over vecs: every row scaled to unit length (zero
 * rows stay zero and score 0 against everything). vecs is borrowed and
 * must outlive q (words are looked up in vecs->vocab). n_threads >= 1. */
int emb_query_new(struct emb_query **out, const struct emb_vecs *vecs, int n_threads, struct emb_err *err);
/* NULL is a no-op. */
void emb_query_free(struct emb_query *q);

/* Number of rows (words) and meaningful floats per row. */
int64_t emb_query_size(const struct emb_query *q);
int32_t emb_query_dim(const struct emb_query *q);
/* Unit-length row of word id: (dim) floats, borrowed. */
const float *emb_query_row(const struct emb_query *q, int64_t id);
/* The word of row id (borrowed from vecs->vocab). */
const char *emb_query_word(const struct emb_query *q, int64_t id);
/* Row of word (len bytes): an exact match, else the ASCII-lowercased word
 * matched exactly. -1 when neither is present. */
int32_t emb_query_find(const struct emb_query *q, const char *word, size_t len);

/* The k rows most cosine-similar to vec, best first, exact (a full scan).
 * vec: (dim) floats, any length (it is normalised internally; a zero
 * vector scores 0 everywhere). Rows listed in exclude (n_exclude ids, may
 * be NULL when n_exclude is 0) are skipped. ids, scores: (k) outputs.
 * Ties keep the lower id first. Returns the number of results written
 * (min(k, rows not excluded)) or a negative EMB_E* status. */
int emb_query_neighbors(struct emb_query *q, const float *vec, int k, const int32_t *exclude, int n_exclude,
                        int64_t *ids, float *scores, struct emb_err *err);

/* "a is to b as c is to ?": the best k rows d other than a, b and c, by
 * `method` (see the top of this file). Scores are cos(d, b - a + c) for
 * 3CosAdd (what gensim's most_similar reports) and the 3CosMul ratio for
 * 3CosMul. Returns the count written or a negative status (EMB_EINVAL for
 * an id out of range). */
int emb_query_analogy(struct emb_query *q, int32_t a, int32_t b, int32_t c, enum emb_analogy_method method,
                      int k, int64_t *ids, float *scores, struct emb_err *err);

/* Cosine similarity of two rows. */
float emb_query_similarity(const struct emb_query *q, int32_t a, int32_t b);

/* Reentrant versions of emb_query_neighbors and emb_query_analogy, for
 * servers: same arguments and results, but q is only read (the scan runs
 * on the calling thread, with its own scratch), so any number of threads
 * may call them at once on one q. emb_query_find, _row, _word, _size,
 * _dim and _similarity only read q as well. */
int emb_query_neighbors_r(const struct emb_query *q, const float *vec, int k, const int32_t *exclude,
                          int n_exclude, int64_t *ids, float *scores, struct emb_err *err);
int emb_query_analogy_r(const struct emb_query *q, int32_t a, int32_t b, int32_t c, enum emb_analogy_method method,
                        int k, int64_t *ids, float *scores, struct emb_err *err);

/* ---- analogy benchmark ----------------------------------------------- */

struct emb_analogy_params {
    int64_t restrict_vocab;         /* candidates: first N rows; 0 = all (default 30000) */
    enum emb_analogy_method method; /* default EMB_ANALOGY_ADD */
    int n_threads;                  /* default 1 */
    int64_t mem_bytes;              /* scratch budget for similarity blocks (default 8 MB) */
};

struct emb_analogy_params emb_analogy_default_params(void);

/* Counts for one section or a group of sections. */
struct emb_analogy_score {
    int64_t correct; /* answered right */
    int64_t covered; /* all four words in the restricted vocabulary */
    int64_t total;   /* questions in the file */
    double accuracy; /* correct / covered (0 when nothing is covered) */
    double coverage; /* covered / total (0 when total is 0) */
};

struct emb_analogy_section {
    char *name; /* text after ": " in the file (owned by the result) */
    struct emb_analogy_score score;
};

struct emb_analogy_result {
    int64_t n_sections;
    struct emb_analogy_section *sections; /* (n_sections), file order */
    struct emb_analogy_score semantic;    /* sections not named "gram*" */
    struct emb_analogy_score syntactic;   /* sections named "gram*" */
    struct emb_analogy_score all;
    int64_t restrict_vocab; /* candidates actually used */
};

/* Answer every question of a questions-words.txt file (": name" section
 * lines, then "a b c d" lines; blank lines ignored; questions before the
 * first section go to a section named "(none)").
 *
 * The question words are ASCII-lowercased and looked up among the
 * lowercased first restrict_vocab words; when several of those fold to the
 * same form, the first (most frequent) one stands for it. The answer is
 * the best candidate row whose folded form is not that of a, b or c; it is
 * right when its folded form is that of d.
 *
 * Speed: the cosines of each distinct question word against all
 * candidates are computed once (a blocked matrix product on the pool),
 * then each question combines three of those rows.
 *
 * p may be NULL for the defaults.
 *
 * Errors: EMB_EIO (cannot read), EMB_EFORMAT (a line without exactly four
 * words, with its line number), EMB_EEMPTY (no question), EMB_EINVAL
 * (bad params). On success *res owns memory: emb_analogy_result_free. On
 * failure *res is empty (freeing it is harmless). */
int emb_eval_analogy(const struct emb_vecs *vecs, const char *questions_path, const struct emb_analogy_params *p,
                     struct emb_analogy_result *res, struct emb_err *err);
/* Release what a result owns and zero it; NULL is a no-op. */
void emb_analogy_result_free(struct emb_analogy_result *res);

/* ---- similarity benchmark -------------------------------------------- */

struct emb_similarity_result {
    double spearman; /* rank correlation over found pairs (NaN if undefined) */
    double pearson;  /* linear correlation over found pairs (NaN if undefined) */
    int64_t found;   /* pairs with both words in the vectors */
    int64_t total;   /* pairs in the file */
};

/* Score a word-pair file: lines "w1 w2 score" separated by tabs or spaces
 * (blank lines and lines starting with '#' are skipped). A word is looked
 * up as written, then ASCII-lowercased. Errors: EMB_EIO, EMB_EFORMAT (a
 * line without three fields or with a bad score, with its line number),
 * EMB_EEMPTY (no pair). Finding no pair is not an error: found is 0 and
 * the correlations are NaN. */
int emb_eval_similarity(const struct emb_vecs *vecs, const char *pairs_path, struct emb_similarity_result *res,
                        struct emb_err *err);

/* Spearman's rho of x and y: (n) each. Tied values get the average of
 * their ranks and rho is the Pearson correlation of the ranks (as
 * scipy.stats.spearmanr). *rho is NaN when n < 2 or either side is
 * constant. Returns EMB_OK or EMB_ENOMEM. */
int emb_spearman(const double *x, const double *y, int64_t n, double *rho, struct emb_err *err);
/* Pearson's r of x and y: (n) each; NaN when n < 2 or a side is constant. */
double emb_pearson(const double *x, const double *y, int64_t n);
/* Average ranks (1-based) of x: (n) into ranks: (n). Returns EMB_OK or
 * EMB_ENOMEM. */
int emb_rank_average(const double *x, int64_t n, double *ranks, struct emb_err *err);

#ifdef __cplusplus
}
#endif
#endif
