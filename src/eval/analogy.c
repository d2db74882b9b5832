/* analogy.c -- the word-analogy benchmark (Mikolov et al. 2013), scored as
 * gensim's evaluate_word_analogies does, but fast.
 *
 * DESIGN: a naive evaluation scores every candidate against b - a + c for
 * every question: 19,544 questions x 30,000 candidates x 100 dims is 59
 * GFLOP. But the Google set has only ~900 distinct question words, and with
 * unit vectors
 *
 *     cos(d, b - a + c) ~ S[b][d] - S[a][d] + S[c][d],   S[w][d] = w . d
 *
 * (same ranking), and 3CosMul needs exactly the same S rows. So we compute
 * S once for the distinct words (a matrix product: 900 x 30,000 x 100, 2.7
 * GFLOP, on the pool with the SIMD dot kernels), and then each question is
 * one streaming pass over three S rows with a fused add-and-argmax kernel.
 *
 * Memory stays bounded by cutting the candidates into chunks: S is held for
 * all distinct words but only one chunk of candidates at a time (W x C
 * floats within params.mem_bytes); each question keeps its best candidate
 * so far across chunks. Chunks are visited in row order and a later chunk
 * must be strictly better, so ties go to the more frequent word.
 *
 * Case folding follows gensim (case_insensitive=True): the first
 * restrict_vocab words are folded to lower case, the first (most frequent)
 * word of each folded form represents it, and answers are compared by
 * folded form. Candidates whose folded form is that of a, b or c are
 * skipped. */
#include <math.h>
#include <string.h>

#include "emb/eval.h"
#include "emb/io.h"
#include "emb/pool.h"
#include "emb/vec.h"

/* Candidate rows per dot-product tile: 128 rows of 100-300 floats (50-150
 * KB) stay in L2 while every distinct word passes over them. */
#define TILE_ROWS 128
/* Chunks are multiples of this many candidates. */
#define CHUNK_ALIGN 64

struct emb_analogy_params emb_analogy_default_params(void) {
    struct emb_analogy_params p = {
        .restrict_vocab = 30000, /* word2vec compute-accuracy's and gensim's default */
        .method = EMB_ANALOGY_ADD,
        .n_threads = 1,
        .mem_bytes = 8 << 20, /* S blocks near L2/L3 size: the answer pass is bandwidth-bound */
    };
    return p;
}

void emb_analogy_result_free(struct emb_analogy_result *res) {
    if (!res) return;
    for (int64_t i = 0; i < res->n_sections; i++) emb_free(res->sections[i].name);
    emb_free(res->sections);
    memset(res, 0, sizeof *res);
}

/* ---- argmax kernels ------------------------------------------------------
 *
 * best over i < n of f(sa[i], sb[i], sc[i]), where f is
 *   add: (sb + sc) - sa
 *   mul: (sb * sc) / (sa + EMB_COSMUL_EPS)   (S holds cos' = (cos + 1) / 2)
 * Returns the index of the first maximum (-1 if n == 0) and its score in
 * *best. The SIMD versions evaluate f in the same order as the reference,
 * so both return the same index. sa, sb, sc: (n). */
typedef int64_t (*argmax_fn)(int64_t n, const float *sa, const float *sb, const float *sc, float *best);

static int64_t argmax_add_ref(int64_t n, const float *sa, const float *sb, const float *sc, float *best) {
    int64_t bi = -1;
    float bv = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float v = (sb[i] + sc[i]) - sa[i];
        if (v > bv || bi < 0) bv = v, bi = i;
    }
    *best = bv;
    return bi;
}

static int64_t argmax_mul_ref(int64_t n, const float *sa, const float *sb, const float *sc, float *best) {
    int64_t bi = -1;
    float bv = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float v = (sb[i] * sc[i]) / (sa[i] + EMB_COSMUL_EPS);
        if (v > bv || bi < 0) bv = v, bi = i;
    }
    *best = bv;
    return bi;
}

#if EMB_X86
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#define AVX2 EMB_TARGET_AVX2

/* Eight lanes each track their own first maximum and its index; then the
 * lanes are reduced (highest score, lowest index) and the tail finished in
 * scalar code, where only a strictly better score wins (higher index). */
#define ARGMAX_AVX2_BODY(VEXPR, SEXPR)                                                   \
    if (n < 8) {                                                                         \
        int64_t bi = -1;                                                                 \
        float bv = -INFINITY;                                                            \
        for (int64_t i = 0; i < n; i++) {                                                \
            float v = SEXPR;                                                             \
            if (v > bv || bi < 0) bv = v, bi = i;                                        \
        }                                                                                \
        *best = bv;                                                                      \
        return bi;                                                                       \
    }                                                                                    \
    __m256 vbest = _mm256_set1_ps(-INFINITY);                                            \
    __m256i vidx = _mm256_setzero_si256();                                               \
    __m256i cur = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                             \
    const __m256i step = _mm256_set1_epi32(8);                                           \
    int64_t i = 0;                                                                       \
    for (; i + 8 <= n; i += 8) {                                                         \
        __m256 a = _mm256_loadu_ps(sa + i), b = _mm256_loadu_ps(sb + i);                \
        __m256 c = _mm256_loadu_ps(sc + i);                                              \
        __m256 v = VEXPR;                                                                \
        __m256 gt = _mm256_cmp_ps(v, vbest, _CMP_GT_OQ);                                 \
        vbest = _mm256_blendv_ps(vbest, v, gt);                                          \
        vidx = _mm256_castps_si256(                                                      \
            _mm256_blendv_ps(_mm256_castsi256_ps(vidx), _mm256_castsi256_ps(cur), gt));  \
        cur = _mm256_add_epi32(cur, step);                                               \
    }                                                                                    \
    float lv[8];                                                                         \
    int32_t li[8];                                                                       \
    _mm256_storeu_ps(lv, vbest);                                                         \
    _mm256_storeu_si256((__m256i *)li, vidx);                                            \
    /* A lane whose scores were all -inf (or NaN) still points at its first */          \
    /* element, so the result is always a valid index. */                                \
    float bv = lv[0];                                                                    \
    int64_t bi = li[0];                                                                  \
    for (int l = 1; l < 8; l++)                                                          \
        if (lv[l] > bv || (lv[l] == bv && li[l] < bi)) bv = lv[l], bi = li[l];           \
    for (; i < n; i++) {                                                                 \
        float v = SEXPR;                                                                 \
        if (v > bv) bv = v, bi = i;                                                      \
    }                                                                                    \
    *best = bv;                                                                          \
    return bi;

AVX2 static int64_t argmax_add_avx2(int64_t n, const float *sa, const float *sb, const float *sc, float *best) {
    ARGMAX_AVX2_BODY(_mm256_sub_ps(_mm256_add_ps(b, c), a), (sb[i] + sc[i]) - sa[i])
}

AVX2 static int64_t argmax_mul_avx2(int64_t n, const float *sa, const float *sb, const float *sc, float *best) {
    ARGMAX_AVX2_BODY(_mm256_div_ps(_mm256_mul_ps(b, c), _mm256_add_ps(a, _mm256_set1_ps(EMB_COSMUL_EPS))),
                     (sb[i] * sc[i]) / (sa[i] + EMB_COSMUL_EPS))
}
#endif

/* The kernel for m, chosen once per evaluation: AVX2 unless the vector ops
 * were asked to be scalar or the CPU lacks AVX2/FMA (an AVX-512 CPU has
 * AVX2 too, but ask simd.h rather than assume it). */
static argmax_fn pick_argmax(const struct emb_vec_ops *ops, enum emb_analogy_method m) {
#ifdef HAVE_AVX2_KERNELS
    if (ops->kind != EMB_SIMD_REF && emb_simd_resolve(EMB_SIMD_AVX2) == EMB_SIMD_AVX2)
        return m == EMB_ANALOGY_MUL ? argmax_mul_avx2 : argmax_add_avx2;
#else
    (void)ops;
#endif
    return m == EMB_ANALOGY_MUL ? argmax_mul_ref : argmax_add_ref;
}

/* ---- question file ------------------------------------------------------ */

struct question {
    int32_t w[4];    /* folded ids of a, b, c, d */
    int32_t section;
};

/* Everything the evaluation builds; freed in one place. */
struct eval {
    const struct emb_analogy_params *p;
    struct emb_vec_ops ops;
    argmax_fn argmax;
    struct emb_pool *pool;
    int64_t n_cand;           /* candidate rows (restricted vocabulary) */
    struct emb_table *unit;   /* (n_cand, dim) unit rows */
    /* Folded vocabulary: the lowercased candidates. */
    struct emb_vocab *fold;
    int32_t n_fold;
    int32_t *fold_rep;        /* (n_fold) first row of each folded form */
    int32_t *fold_start;      /* (n_fold + 1) rows of folded form f are */
    int32_t *fold_rows;       /*   fold_rows[fold_start[f] .. fold_start[f+1]) */
    int32_t *row_fold;        /* (n_cand) folded form of each row */
    int32_t max_class;        /* largest number of rows sharing a folded form */
    /* Covered questions. */
    struct question *qs;
    int64_t n_qs, cap_qs;
    /* Distinct question words (a, b, c) and their cosine rows. */
    int32_t *fold_slot;       /* (n_fold) slot of a folded form in S, or -1 */
    int32_t *slot_row;        /* (n_words) representative row of each slot */
    int32_t n_words;
    float *S;                 /* (n_words, chunk) cosines, or cos' for 3CosMul */
    int64_t chunk;            /* candidates per chunk (S's row stride) */
    int64_t chunk_lo, chunk_n;/* current chunk: rows [lo, lo + n) */
    float *best_score;        /* (n_qs) best so far */
    int32_t *best_row;        /* (n_qs) its row, -1 before the first chunk */
    int32_t *ex_scratch;      /* (nth, 3 * max_class) excluded rows per thread */
};

static void eval_free(struct eval *e) {
    emb_pool_free(e->pool);
    emb_table_free(e->unit);
    emb_vocab_free(e->fold);
    emb_free(e->fold_rep);
    emb_free(e->fold_start);
    emb_free(e->fold_rows);
    emb_free(e->row_fold);
    emb_free(e->qs);
    emb_free(e->fold_slot);
    emb_free(e->slot_row);
    emb_free_aligned(e->S);
    emb_free(e->best_score);
    emb_free(e->best_row);
    emb_free(e->ex_scratch);
}

/* ASCII lower case into buf (len bytes, NUL-terminated; buf holds len+1). */
static void fold_ascii(const char *s, size_t len, char *buf) {
    for (size_t i = 0; i < len; i++) buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    buf[len] = '\0';
}

/* Unit copy of the candidate rows, and the folded vocabulary over them. */
static int build_candidates(struct eval *e, const struct emb_vecs *vecs, struct emb_err *err) {
    int rc = EMB_ENOMEM;
    int64_t n = e->n_cand;
    char *buf = NULL;
    size_t buf_cap = 0;
    if ((rc = emb_table_new(&e->unit, n, vecs->table->dim, err)) != EMB_OK) return rc;
    if (n > 0)
        memcpy(e->unit->data, vecs->table->data, (size_t)n * (size_t)vecs->table->dim_padded * sizeof(float));
    for (int64_t i = 0; i < n; i++) emb_vec_normalize(&e->ops, e->unit->dim_padded, emb_table_row(e->unit, i));

    if ((rc = emb_vocab_new(&e->fold, err)) != EMB_OK) return rc;
    rc = EMB_ENOMEM;
    e->fold_rep = emb_alloc((size_t)(n + 1) * sizeof *e->fold_rep);
    e->row_fold = emb_alloc((size_t)(n + 1) * sizeof *e->row_fold);
    e->fold_start = emb_calloc((size_t)n + 2, sizeof *e->fold_start);
    e->fold_rows = emb_alloc((size_t)(n + 1) * sizeof *e->fold_rows);
    if (!e->fold_rep || !e->row_fold || !e->fold_start || !e->fold_rows) goto nomem;
    for (int64_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(vecs->vocab, (int32_t)i);
        size_t len = strlen(w);
        if (len + 1 > buf_cap) {
            char *nb = emb_realloc(buf, len + 64);
            if (!nb) goto nomem;
            buf = nb;
            buf_cap = len + 64;
        }
        fold_ascii(w, len, buf);
        int32_t f;
        if ((rc = emb_vocab_add(e->fold, buf, len, 1, &f, err)) != EMB_OK) goto done;
        rc = EMB_ENOMEM;
        if (f == e->n_fold) e->fold_rep[e->n_fold++] = (int32_t)i; /* new form: first row wins */
        e->row_fold[i] = f;
        e->fold_start[f + 1]++;
    }
    /* Counting sort of rows by folded form; rows stay ascending in a class. */
    for (int32_t f = 0; f < e->n_fold; f++) {
        int32_t size = e->fold_start[f + 1];
        if (size > e->max_class) e->max_class = size;
        e->fold_start[f + 1] += e->fold_start[f];
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t f = e->row_fold[i];
        /* fold_start[f] is advanced as a cursor and restored below. */
        e->fold_rows[e->fold_start[f]++] = (int32_t)i;
    }
    for (int32_t f = e->n_fold; f > 0; f--) e->fold_start[f] = e->fold_start[f - 1];
    e->fold_start[0] = 0;
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory for the analogy vocabulary");
done:
    emb_free(buf);
    return rc;
}

static int add_section(struct emb_analogy_result *res, int64_t *cap, const char *name, size_t len,
                       struct emb_err *err) {
    if (res->n_sections == *cap) {
        int64_t ncap = *cap ? *cap * 2 : 16;
        struct emb_analogy_section *s = emb_realloc(res->sections, (size_t)ncap * sizeof *s);
        if (!s) return emb_err_set(err, EMB_ENOMEM, "out of memory reading questions");
        res->sections = s;
        *cap = ncap;
    }
    struct emb_analogy_section *s = &res->sections[res->n_sections];
    memset(s, 0, sizeof *s);
    s->name = emb_alloc(len + 1);
    if (!s->name) return emb_err_set(err, EMB_ENOMEM, "out of memory reading questions");
    memcpy(s->name, name, len);
    s->name[len] = '\0';
    res->n_sections++;
    return EMB_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Read the questions: sections into res, covered questions into e->qs. */
static int read_questions(struct eval *e, const char *path, struct emb_analogy_result *res, struct emb_err *err) {
    struct emb_reader *r = NULL;
    int64_t cap_sections = 0, lineno = 0, n_total = 0;
    char *line;
    size_t len;
    int rc = emb_reader_open(&r, path, err);
    if (rc != EMB_OK) return rc;
    while ((rc = emb_reader_line(r, &line, &len, err)) == 1) {
        lineno++;
        size_t i = 0;
        while (i < len && is_space(line[i])) i++;
        while (len > i && is_space(line[len - 1])) len--;
        if (i == len) continue;
        if (line[i] == ':') { /* ": section-name" */
            i++;
            while (i < len && is_space(line[i])) i++;
            if ((rc = add_section(res, &cap_sections, line + i, len - i, err)) != EMB_OK) goto done;
            continue;
        }
        /* Split into words, folding each in place. */
        char *words[4];
        size_t lens[4];
        int n_words = emb_split_fields(line + i, len - i, words, lens, 4);
        if (n_words != 4) {
            rc = emb_err_set(err, EMB_EFORMAT, "%s:%lld: expected 4 words (a b c d), found %d", path,
                             (long long)lineno, n_words);
            goto done;
        }
        if (res->n_sections == 0) {
            static const char none[] = "(none)";
            if ((rc = add_section(res, &cap_sections, none, sizeof none - 1, err)) != EMB_OK) goto done;
        }
        struct question q = {.section = (int32_t)(res->n_sections - 1)};
        int covered = 1;
        for (int k = 0; k < 4; k++) {
            fold_ascii(words[k], lens[k], words[k]); /* the line is writable; folding keeps the length */
            q.w[k] = emb_vocab_find(e->fold, words[k], lens[k]);
            if (q.w[k] < 0) covered = 0;
        }
        n_total++;
        res->sections[q.section].score.total++;
        if (!covered) continue;
        res->sections[q.section].score.covered++;
        if (e->n_qs == e->cap_qs) {
            int64_t ncap = e->cap_qs ? e->cap_qs * 2 : 1024;
            struct question *qs = emb_realloc(e->qs, (size_t)ncap * sizeof *qs);
            if (!qs) {
                rc = emb_err_set(err, EMB_ENOMEM, "out of memory reading questions");
                goto done;
            }
            e->qs = qs;
            e->cap_qs = ncap;
        }
        e->qs[e->n_qs++] = q;
    }
    if (rc < 0) goto done;
    rc = n_total == 0 ? emb_err_set(err, EMB_EEMPTY, "%s: no analogy questions", path) : EMB_OK;
done:
    emb_reader_close(r);
    return rc;
}

/* ---- the two parallel passes --------------------------------------------- */

/* S[w][j - lo] = unit[slot_row[w]] . unit[j] for the current chunk, as a
 * tiled product: each thread takes a range of TILE_ROWS-row tiles and runs
 * every distinct word over a tile while it is in cache. */
static void gemm_slice(void *ctx, int ith, int nth) {
    struct eval *e = ctx;
    const struct emb_table *u = e->unit;
    int64_t n_tiles = (e->chunk_n + TILE_ROWS - 1) / TILE_ROWS, per = (n_tiles + nth - 1) / nth;
    int64_t t_lo = per * ith, t_hi = t_lo + per < n_tiles ? t_lo + per : n_tiles;
    int mul = e->p->method == EMB_ANALOGY_MUL;
    const float *ys[TILE_ROWS];
    for (int64_t t = t_lo; t < t_hi; t++) {
        int64_t off = t * TILE_ROWS;
        int m = e->chunk_n - off < TILE_ROWS ? (int)(e->chunk_n - off) : TILE_ROWS;
        for (int i = 0; i < m; i++) ys[i] = emb_table_row(u, e->chunk_lo + off + i);
        for (int32_t w = 0; w < e->n_words; w++) {
            float *out = e->S + (int64_t)w * e->chunk + off;
            e->ops.dot_many(u->dim_padded, emb_table_row(u, e->slot_row[w]), m, ys, out);
            if (mul)
                for (int i = 0; i < m; i++) out[i] = (out[i] + 1.0f) * 0.5f; /* cos' in [0, 1] */
        }
    }
}

/* Insert v into the sorted list ex[0..n); returns the new n. */
static int insert_sorted(int32_t *ex, int n, int32_t v) {
    int i = n;
    while (i > 0 && ex[i - 1] > v) {
        ex[i] = ex[i - 1];
        i--;
    }
    ex[i] = v;
    return n + 1;
}

/* Each thread takes a contiguous range of questions (neighbouring
 * questions share words, so their S rows stay in cache) and updates their
 * best candidate with the best of this chunk. */
static void answer_slice(void *ctx, int ith, int nth) {
    struct eval *e = ctx;
    int64_t per = (e->n_qs + nth - 1) / nth;
    int64_t lo = per * ith, hi = lo + per < e->n_qs ? lo + per : e->n_qs;
    int32_t *ex = e->ex_scratch + (int64_t)ith * 3 * e->max_class;
    int64_t c_lo = e->chunk_lo, c_hi = e->chunk_lo + e->chunk_n;
    for (int64_t qi = lo; qi < hi; qi++) {
        const struct question *q = &e->qs[qi];
        const float *s[3];
        for (int k = 0; k < 3; k++) s[k] = e->S + (int64_t)e->fold_slot[q->w[k]] * e->chunk;
        /* Rows of this chunk that fold to a, b or c, sorted, local. */
        int n_ex = 0;
        for (int k = 0; k < 3; k++) {
            if ((k == 1 && q->w[1] == q->w[0]) || (k == 2 && (q->w[2] == q->w[0] || q->w[2] == q->w[1]))) continue;
            int32_t f = q->w[k];
            for (int32_t r = e->fold_start[f]; r < e->fold_start[f + 1]; r++) {
                int32_t row = e->fold_rows[r];
                if (row >= c_lo && row < c_hi) n_ex = insert_sorted(ex, n_ex, (int32_t)(row - c_lo));
            }
        }
        /* The argmax runs over the gaps between excluded rows. */
        float best = e->best_score[qi];
        int32_t best_row = e->best_row[qi];
        int64_t seg = 0;
        for (int x = 0; x <= n_ex; x++) {
            int64_t end = x < n_ex ? ex[x] : e->chunk_n;
            if (end > seg) {
                float v;
                int64_t i = e->argmax(end - seg, s[0] + seg, s[1] + seg, s[2] + seg, &v);
                if (i >= 0 && (best_row < 0 || v > best)) {
                    best = v;
                    best_row = (int32_t)(c_lo + seg + i);
                }
            }
            seg = end + 1;
        }
        e->best_score[qi] = best;
        e->best_row[qi] = best_row;
    }
}

static void finish_score(struct emb_analogy_score *s) {
    s->accuracy = s->covered > 0 ? (double)s->correct / (double)s->covered : 0.0;
    s->coverage = s->total > 0 ? (double)s->covered / (double)s->total : 0.0;
}

static void add_score(struct emb_analogy_score *to, const struct emb_analogy_score *from) {
    to->correct += from->correct;
    to->covered += from->covered;
    to->total += from->total;
}

int emb_eval_analogy(const struct emb_vecs *vecs, const char *questions_path, const struct emb_analogy_params *p,
                     struct emb_analogy_result *res, struct emb_err *err) {
    struct eval e = {0};
    struct emb_analogy_params defaults = emb_analogy_default_params();
    int rc = EMB_ENOMEM;
    memset(res, 0, sizeof *res);
    if (!p) p = &defaults;
    if (!vecs || !vecs->vocab || !vecs->table)
        return emb_err_set(err, EMB_EINVAL, "analogy evaluation needs a vocabulary and a table");
    if (p->restrict_vocab < 0 || p->n_threads < 1 || p->mem_bytes <= 0 ||
        (p->method != EMB_ANALOGY_ADD && p->method != EMB_ANALOGY_MUL))
        return emb_err_set(err, EMB_EINVAL, "bad analogy parameters (restrict %lld, threads %d)",
                           (long long)p->restrict_vocab, p->n_threads);
    int64_t n_rows = emb_vocab_size(vecs->vocab);
    if (n_rows > vecs->table->n_rows) n_rows = vecs->table->n_rows;
    e.p = p;
    e.n_cand = p->restrict_vocab > 0 && p->restrict_vocab < n_rows ? p->restrict_vocab : n_rows;
    e.ops = emb_vec_ops_get(EMB_SIMD_AUTO);
    e.argmax = pick_argmax(&e.ops, p->method);
    res->restrict_vocab = e.n_cand;

    if ((rc = build_candidates(&e, vecs, err)) != EMB_OK) goto done;
    if ((rc = read_questions(&e, questions_path, res, err)) != EMB_OK) goto done;

    /* Distinct words in positions a, b, c of covered questions. */
    rc = EMB_ENOMEM;
    e.fold_slot = emb_alloc((size_t)(e.n_fold + 1) * sizeof *e.fold_slot);
    e.slot_row = emb_alloc((size_t)(e.n_fold + 1) * sizeof *e.slot_row);
    if (!e.fold_slot || !e.slot_row) goto nomem;
    for (int32_t f = 0; f < e.n_fold; f++) e.fold_slot[f] = -1;
    for (int64_t i = 0; i < e.n_qs; i++)
        for (int k = 0; k < 3; k++) {
            int32_t f = e.qs[i].w[k];
            if (e.fold_slot[f] < 0) {
                e.fold_slot[f] = e.n_words;
                e.slot_row[e.n_words++] = e.fold_rep[f];
            }
        }

    if (e.n_qs > 0) {
        if ((rc = emb_pool_new(&e.pool, p->n_threads, err)) != EMB_OK) goto done;
        rc = EMB_ENOMEM;
        int nth = emb_pool_size(e.pool);
        /* Chunk width: as many candidates as the budget allows for W rows. */
        int64_t chunk = p->mem_bytes / ((int64_t)e.n_words * (int64_t)sizeof(float));
        chunk = chunk / CHUNK_ALIGN * CHUNK_ALIGN;
        if (chunk < CHUNK_ALIGN) chunk = CHUNK_ALIGN;
        if (chunk > e.n_cand) chunk = e.n_cand;
        e.chunk = chunk;
        e.S = emb_alloc_aligned((size_t)e.n_words * (size_t)chunk * sizeof(float));
        e.best_score = emb_alloc((size_t)e.n_qs * sizeof *e.best_score);
        e.best_row = emb_alloc((size_t)e.n_qs * sizeof *e.best_row);
        e.ex_scratch = emb_alloc((size_t)nth * 3 * (size_t)e.max_class * sizeof *e.ex_scratch);
        if (!e.S || !e.best_score || !e.best_row || !e.ex_scratch) goto nomem;
        for (int64_t i = 0; i < e.n_qs; i++) {
            e.best_score[i] = -INFINITY;
            e.best_row[i] = -1;
        }
        for (e.chunk_lo = 0; e.chunk_lo < e.n_cand; e.chunk_lo += chunk) {
            e.chunk_n = e.n_cand - e.chunk_lo < chunk ? e.n_cand - e.chunk_lo : chunk;
            emb_pool_run(e.pool, gemm_slice, &e);
            emb_pool_run(e.pool, answer_slice, &e);
        }
        for (int64_t i = 0; i < e.n_qs; i++) {
            const struct question *q = &e.qs[i];
            if (e.best_row[i] >= 0 && e.row_fold[e.best_row[i]] == q->w[3]) res->sections[q->section].score.correct++;
        }
    }

    for (int64_t s = 0; s < res->n_sections; s++) {
        struct emb_analogy_section *sec = &res->sections[s];
        finish_score(&sec->score);
        /* word2vec's compute-accuracy calls sections "gram*" syntactic. */
        add_score(strncmp(sec->name, "gram", 4) == 0 ? &res->syntactic : &res->semantic, &sec->score);
        add_score(&res->all, &sec->score);
    }
    finish_score(&res->semantic);
    finish_score(&res->syntactic);
    finish_score(&res->all);
    rc = EMB_OK;
    goto done;
nomem:
    rc = emb_err_set(err, EMB_ENOMEM, "out of memory evaluating analogies");
done:
    eval_free(&e);
    if (rc != EMB_OK) emb_analogy_result_free(res);
    return rc;
}
