/* huffman_test.c -- Huffman codes for hierarchical softmax.
 *
 * Three kinds of check: codes worked out by hand for a tiny vocabulary;
 * exact agreement with a transcription of word2vec.c's CreateBinaryTree on
 * random sorted counts (ties included); and properties any Huffman code must
 * have (prefix-free, Kraft sum 1, one consistent tree with inner nodes
 * 0..n-2 and the root n-2, optimal expected length, within 1 bit of the
 * entropy). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emb/huffman.h"
#include "emb/rng.h"
#include "test.h"

/* Path of word w as printable strings, for messages. */
static void describe(const struct emb_huffman *h, int32_t w, char *codes, char *points) {
    int64_t o = h->offset[w];
    int n = 0;
    for (int j = 0; j < h->len[w]; j++) {
        codes[j] = (char)('0' + h->code[o + j]);
        n += sprintf(points + n, "%s%d", j ? "," : "", h->point[o + j]);
    }
    codes[h->len[w]] = '\0';
    points[n] = '\0';
}

/* Check word w's path: codes as a "0101" string, points as a list. */
static int expect_path(const struct emb_huffman *h, int32_t w, const char *codes, const int32_t *points) {
    int len = (int)strlen(codes), bad = h->len[w] != len;
    for (int j = 0; !bad && j < len; j++)
        bad = h->code[h->offset[w] + j] != codes[j] - '0' || h->point[h->offset[w] + j] != points[j];
    if (bad) {
        char c[EMB_HUFFMAN_MAX_LEN + 1], p[16 * EMB_HUFFMAN_MAX_LEN];
        describe(h, w, c, p);
        fprintf(stderr, "word %d: code '%s' points {%s}, want code '%s'\n", w, c, p, codes);
    }
    return bad;
}

static int test_hand_checked(void) {
    struct emb_err err = {0};
    struct emb_huffman *h = NULL;
    /* counts 5 4 3 2 1. word2vec's merges (leaves 0-4, inner nodes 5-8):
     *   node 5 = leaf 4 (1) + leaf 3 (2)        bit[3] = 1
     *   node 6 = node 5 (3) + leaf 2 (3)        tie: the inner node goes first; bit[2] = 1
     *   node 7 = leaf 1 (4) + leaf 0 (5)        bit[0] = 1
     *   node 8 = node 6 (6) + node 7 (9), root  bit[7] = 1
     * Rows are node - 5, so the root is row 3; paths are root first. */
    const int64_t counts[5] = {5, 4, 3, 2, 1};
    CHECK_OK(emb_huffman_new(&h, counts, 5, &err));
    CHECK(h->n == 5);
    CHECK(expect_path(h, 0, "11", (const int32_t[]){3, 2}) == 0);
    CHECK(expect_path(h, 1, "10", (const int32_t[]){3, 2}) == 0);
    CHECK(expect_path(h, 2, "01", (const int32_t[]){3, 1}) == 0);
    CHECK(expect_path(h, 3, "001", (const int32_t[]){3, 1, 0}) == 0);
    CHECK(expect_path(h, 4, "000", (const int32_t[]){3, 1, 0}) == 0);
    emb_huffman_free(h);

    /* Two words: the smaller is min1 (bit 0), the larger min2 (bit 1). */
    const int64_t two[2] = {7, 3};
    CHECK_OK(emb_huffman_new(&h, two, 2, &err));
    CHECK(expect_path(h, 0, "1", (const int32_t[]){0}) == 0);
    CHECK(expect_path(h, 1, "0", (const int32_t[]){0}) == 0);
    emb_huffman_free(h);

    /* Four equal counts: leaves 3+2 -> node 4, 1+0 -> node 5, 4+5 -> root 6. */
    const int64_t eq[4] = {1, 1, 1, 1};
    CHECK_OK(emb_huffman_new(&h, eq, 4, &err));
    CHECK(expect_path(h, 0, "11", (const int32_t[]){2, 1}) == 0);
    CHECK(expect_path(h, 1, "10", (const int32_t[]){2, 1}) == 0);
    CHECK(expect_path(h, 2, "01", (const int32_t[]){2, 0}) == 0);
    CHECK(expect_path(h, 3, "00", (const int32_t[]){2, 0}) == 0);
    emb_huffman_free(h);

    /* One word: an empty path. */
    const int64_t one[1] = {42};
    CHECK_OK(emb_huffman_new(&h, one, 1, &err));
    CHECK(h->n == 1 && h->len[0] == 0 && h->offset[0] == 0);
    emb_huffman_free(h);
    return 0;
}

/* ---- word2vec.c's CreateBinaryTree, transcribed ----------------------- */

/* Same algorithm and variable names as word2vec.c (count sentinel 1e15,
 * `binary`, `parent_node`, points stored root first with point[0] = n-2),
 * but without its globals and MAX_CODE_LENGTH limit. Outputs: len (n),
 * code and point (n x max_len). */
static void w2v_tree(const int64_t *cn, int64_t n, int max_len, int *len, uint8_t *code_out, int32_t *point_out) {
    int64_t a, b, i, min1i, min2i, pos1, pos2;
    int64_t *point = malloc((size_t)(2 * n) * sizeof *point);
    uint8_t *code = malloc((size_t)(2 * n));
    int64_t *count = calloc((size_t)(n * 2 + 1), sizeof *count);
    int64_t *binary = calloc((size_t)(n * 2 + 1), sizeof *binary);
    int64_t *parent_node = calloc((size_t)(n * 2 + 1), sizeof *parent_node);
    for (a = 0; a < n; a++) count[a] = cn[a];
    for (a = n; a < n * 2; a++) count[a] = (int64_t)1e15;
    pos1 = n - 1;
    pos2 = n;
    for (a = 0; a < n - 1; a++) {
        if (pos1 >= 0) {
            if (count[pos1] < count[pos2]) min1i = pos1--;
            else min1i = pos2++;
        } else {
            min1i = pos2++;
        }
        if (pos1 >= 0) {
            if (count[pos1] < count[pos2]) min2i = pos1--;
            else min2i = pos2++;
        } else {
            min2i = pos2++;
        }
        count[n + a] = count[min1i] + count[min2i];
        parent_node[min1i] = n + a;
        parent_node[min2i] = n + a;
        binary[min2i] = 1;
    }
    for (a = 0; a < n; a++) {
        b = a;
        i = 0;
        while (n > 1) {
            code[i] = (uint8_t)binary[b];
            point[i] = b;
            i++;
            b = parent_node[b];
            if (b == n * 2 - 2) break;
        }
        len[a] = (int)i;
        if (i > max_len) continue;
        if (i > 0) point_out[a * max_len] = (int32_t)(n - 2);
        for (b = 0; b < i; b++) {
            code_out[a * max_len + i - b - 1] = code[b];
            if (i - b < i) point_out[a * max_len + i - b] = (int32_t)(point[b] - n);
        }
    }
    free(point);
    free(code);
    free(count);
    free(binary);
    free(parent_node);
}

/* Build with emb_huffman_new and compare every path with word2vec's. */
static int compare_with_w2v(const int64_t *counts, int32_t n, const char *what) {
    struct emb_err err = {0};
    const int max_len = 200;
    int *len = malloc((size_t)n * sizeof *len);
    uint8_t *code = calloc((size_t)n * max_len, 1);
    int32_t *point = calloc((size_t)n * max_len, sizeof *point);
    CHECK(len && code && point);
    w2v_tree(counts, n, max_len, len, code, point);
    int deepest = 0;
    for (int32_t w = 0; w < n; w++)
        if (len[w] > deepest) deepest = len[w];
    struct emb_huffman *h = NULL;
    int rc = emb_huffman_new(&h, counts, n, &err), bad = 0;
    if (deepest > EMB_HUFFMAN_MAX_LEN) {
        /* Too deep for the library: it must say so, not truncate. */
        if (rc != EMB_EINVAL || h != NULL) {
            fprintf(stderr, "%s: depth %d > %d but rc = %d\n", what, deepest, EMB_HUFFMAN_MAX_LEN, rc);
            bad = 1;
        }
    } else if (rc != EMB_OK) {
        fprintf(stderr, "%s: rc %d (%s)\n", what, rc, err.msg);
        bad = 1;
    } else {
        for (int32_t w = 0; w < n && !bad; w++) {
            bad = h->len[w] != len[w];
            for (int j = 0; !bad && j < len[w]; j++)
                bad = h->code[h->offset[w] + j] != code[w * max_len + j] ||
                      h->point[h->offset[w] + j] != point[w * max_len + j];
            if (bad) fprintf(stderr, "%s: word %d of %d differs from word2vec.c (len %d vs %d)\n", what, w, n,
                             h->len[w], len[w]);
        }
    }
    emb_huffman_free(h);
    free(len);
    free(code);
    free(point);
    return bad;
}

static int cmp_desc(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* Random counts sorted descending; `spread` controls how many ties. */
static void random_counts(struct emb_rng *r, int64_t *c, int32_t n, uint64_t spread) {
    for (int32_t i = 0; i < n; i++) c[i] = (int64_t)emb_rng_below(r, spread) + (spread > 10 ? 0 : 1);
    qsort(c, (size_t)n, sizeof *c, cmp_desc);
}

static int test_matches_word2vec(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 31, 0);
    static int64_t c[3000];
    char what[64];
    for (int rep = 0; rep < 300; rep++) {
        int32_t n = 1 + (int32_t)emb_rng_below(&r, rep < 200 ? 40 : 3000);
        uint64_t spread = rep % 3 == 0 ? 4 : rep % 3 == 1 ? 1000 : 1000000000ULL;
        random_counts(&r, c, n, spread);
        snprintf(what, sizeof what, "random n=%d spread=%llu", n, (unsigned long long)spread);
        if (compare_with_w2v(c, n, what)) return 1;
    }
    /* Zipf counts, as in a real vocabulary. */
    for (int32_t i = 0; i < 3000; i++) c[i] = 100000000 / (i + 1);
    CHECK(compare_with_w2v(c, 3000, "zipf") == 0);
    /* Fibonacci counts give the deepest possible tree (n - 1): up to the
     * limit it must match word2vec, past it fail with EMB_EINVAL. */
    int64_t fib[80];
    for (int n = 60; n <= 70; n++) {
        fib[n - 1] = 1;
        fib[n - 2] = 1;
        for (int i = n - 3; i >= 0; i--) fib[i] = fib[i + 1] + fib[i + 2];
        snprintf(what, sizeof what, "fibonacci n=%d", n);
        if (compare_with_w2v(fib, n, what)) return 1;
    }
    return 0;
}

/* ---- properties of any Huffman code ------------------------------------ */

struct codeword {
    const uint8_t *bits;
    int len;
};

static int cmp_code(const void *a, const void *b) {
    const struct codeword *x = a, *y = b;
    int m = x->len < y->len ? x->len : y->len;
    for (int j = 0; j < m; j++)
        if (x->bits[j] != y->bits[j]) return x->bits[j] - y->bits[j];
    return x->len - y->len;
}

/* Optimal expected code length * total, by the textbook O(n^2) merge of
 * the two smallest weights (the cost is the sum of all merged weights). */
static int64_t optimal_cost(const int64_t *counts, int32_t n) {
    int64_t *w = malloc((size_t)n * sizeof *w), cost = 0;
    memcpy(w, counts, (size_t)n * sizeof *w);
    for (int32_t m = n; m > 1; m--) {
        int32_t a = 0, b = 1;
        if (w[b] < w[a]) a = 1, b = 0;
        for (int32_t i = 2; i < m; i++) {
            if (w[i] < w[a]) b = a, a = i;
            else if (w[i] < w[b]) b = i;
        }
        w[a] += w[b];
        cost += w[a];
        w[b] = w[m - 1];
    }
    free(w);
    return cost;
}

static int check_properties(const int64_t *counts, int32_t n, const char *what) {
    struct emb_err err = {0};
    struct emb_huffman *h = NULL;
    CHECK_OK(emb_huffman_new(&h, counts, n, &err));
    int bad = 0;
    struct codeword *cw = malloc((size_t)n * sizeof *cw);
    /* child[node * 2 + bit]: the next inner node (>= 0), a leaf (-2 - word),
     * or unset (INT32_MIN). */
    int32_t *child = malloc((size_t)(2 * n) * sizeof *child);
    CHECK(cw && child);
    for (int32_t i = 0; i < 2 * n; i++) child[i] = INT32_MIN;
    double kraft = 0, total = 0, entropy = 0, avg_len = 0;
    int64_t cost = 0;
    for (int32_t w = 0; w < n; w++) total += (double)counts[w];
    for (int32_t w = 0; w < n && !bad; w++) {
        int len = h->len[w];
        int64_t o = h->offset[w];
        cw[w] = (struct codeword){h->code + o, len};
        kraft += ldexp(1.0, -len);
        double p = counts[w] / total;
        if (p > 0) entropy -= p * log2(p);
        avg_len += p * len;
        cost += counts[w] * len;
        /* Paths start at the root and walk one consistent tree. */
        if (n > 1 && (len < 1 || h->point[o] != n - 2)) {
            fprintf(stderr, "%s: word %d path does not start at the root\n", what, w);
            bad = 1;
        }
        for (int j = 0; j < len && !bad; j++) {
            int32_t node = h->point[o + j];
            int bit = h->code[o + j];
            int32_t next = j + 1 < len ? h->point[o + j + 1] : -2 - w;
            if (node < 0 || node > n - 2 || bit > 1) {
                fprintf(stderr, "%s: word %d step %d: node %d bit %d\n", what, w, j, node, bit);
                bad = 1;
            } else if (child[node * 2 + bit] == INT32_MIN) {
                child[node * 2 + bit] = next;
            } else if (child[node * 2 + bit] != next) {
                fprintf(stderr, "%s: node %d bit %d leads to both %d and %d\n", what, node, bit,
                        child[node * 2 + bit], next);
                bad = 1;
            }
        }
    }
    /* A full binary tree: every inner node has both children. */
    for (int32_t i = 0; i < 2 * (n - 1) && !bad; i++)
        if (child[i] == INT32_MIN) {
            fprintf(stderr, "%s: inner node %d has no child %d\n", what, i / 2, i % 2);
            bad = 1;
        }
    if (!bad && n > 1 && fabs(kraft - 1.0) > 1e-12) {
        fprintf(stderr, "%s: Kraft sum %.15g\n", what, kraft);
        bad = 1;
    }
    if (!bad) {
        qsort(cw, (size_t)n, sizeof *cw, cmp_code);
        for (int32_t i = 0; i + 1 < n && !bad; i++)
            if (cw[i].len <= cw[i + 1].len && memcmp(cw[i].bits, cw[i + 1].bits, (size_t)cw[i].len) == 0) {
                fprintf(stderr, "%s: a code is a prefix of another\n", what);
                bad = 1;
            }
    }
    if (!bad && n > 1 && (avg_len < entropy - 1e-9 || avg_len >= entropy + 1.0)) {
        fprintf(stderr, "%s: expected length %.6f, entropy %.6f\n", what, avg_len, entropy);
        bad = 1;
    }
    if (!bad && cost != optimal_cost(counts, n)) {
        fprintf(stderr, "%s: cost %lld, optimal %lld\n", what, (long long)cost, (long long)optimal_cost(counts, n));
        bad = 1;
    }
    free(cw);
    free(child);
    emb_huffman_free(h);
    return bad;
}

static int test_properties(void) {
    struct emb_rng r;
    emb_rng_seed(&r, 32, 0);
    static int64_t c[2000];
    char what[64];
    for (int rep = 0; rep < 200; rep++) {
        int32_t n = 2 + (int32_t)emb_rng_below(&r, rep < 150 ? 50 : 1999);
        uint64_t spread = rep % 2 ? 5 : 100000;
        random_counts(&r, c, n, spread);
        snprintf(what, sizeof what, "random n=%d", n);
        if (check_properties(c, n, what)) return 1;
    }
    const int64_t five[5] = {5, 4, 3, 2, 1};
    CHECK(check_properties(five, 5, "5 4 3 2 1") == 0);
    const int64_t one[1] = {1};
    CHECK(check_properties(one, 1, "one word") == 0);
    return 0;
}

/* Unsorted counts are sorted internally: each word gets the code of its
 * place in the sorted order (distinct counts, so the order is unique). */
static int test_unsorted(void) {
    struct emb_err err = {0};
    struct emb_rng r;
    emb_rng_seed(&r, 33, 0);
    enum { N = 500 };
    int64_t sorted[N], shuffled[N];
    int32_t perm[N];
    for (int i = 0; i < N; i++) sorted[i] = 10 * (N - i) + (int64_t)emb_rng_below(&r, 10);
    for (int i = 0; i < N; i++) perm[i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)emb_rng_below(&r, (uint64_t)i + 1);
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < N; i++) shuffled[i] = sorted[perm[i]];
    struct emb_huffman *hs = NULL, *hu = NULL;
    CHECK_OK(emb_huffman_new(&hs, sorted, N, &err));
    CHECK_OK(emb_huffman_new(&hu, shuffled, N, &err));
    for (int w = 0; w < N; w++) {
        int32_t s = perm[w];
        CHECK(hu->len[w] == hs->len[s]);
        CHECK(memcmp(hu->code + hu->offset[w], hs->code + hs->offset[s], hs->len[s]) == 0);
        CHECK(memcmp(hu->point + hu->offset[w], hs->point + hs->offset[s], hs->len[s] * sizeof(int32_t)) == 0);
    }
    emb_huffman_free(hs);
    emb_huffman_free(hu);
    return 0;
}

static int test_errors(void) {
    struct emb_err err = {0};
    struct emb_huffman *h = (struct emb_huffman *)&err;
    const int64_t c[1] = {1};
    CHECK(emb_huffman_new(&h, c, 0, &err) == EMB_EINVAL);
    CHECK(h == NULL && err.code == EMB_EINVAL);
    CHECK(emb_huffman_new(&h, c, -1, NULL) == EMB_EINVAL);
    emb_huffman_free(NULL);
    return 0;
}

int main(void) {
    int failed = 0;
    RUN(test_errors);
    RUN(test_hand_checked);
    RUN(test_matches_word2vec);
    RUN(test_properties);
    RUN(test_unsorted);
    if (failed) return 1;
    printf("huffman_test: ok\n");
    return 0;
}
