/* kernels.c -- our SIMD kernels against OpenBLAS at the sizes emb uses
 * (issue 15: "your own SIMD kernels stay only where a benchmark shows they
 * beat OpenBLAS for the sizes that matter"). Results: docs/benchmarks.md,
 * "Own kernels against OpenBLAS".
 *
 *   make bench-kernels
 *   for t in 1 2; do OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=$t \
 *       flock /tmp/emb-bench.lock build/bench/kernels; done
 *
 * Cases (each variant is checked against the first one before it is timed;
 * each time is the median of 5 repetitions):
 * - search: exact top-10 of 1, 16, 64, 256 queries against 100k rows of
 *   dim 100 and 300 (rows padded to 16 floats, as emb keeps them), and
 *   t-SNE's k-NN (10k rows of dim 50, blocks of 8 queries, top 91): our
 *   emb_topk_scan (dot_many AVX2 / AVX-512, the AVX-512 blocked kernel)
 *   against cblas_sgemv / cblas_sgemm over row blocks + the same top-k
 *   (emb_topk_offer);
 * - sgns: one skip-gram step, one centre row against 1+5 and 1+15 output
 *   rows at dim 100 and 300 (scores, then output rows and the centre's
 *   gradient updated): dot_many + axpy + axpy_many against cblas_sdot +
 *   cblas_saxpy, and against gather + sgemv + sger + scatter;
 * - dot: one row against one (HNSW's distance) at dim 100 and 300: ops.dot
 *   against cblas_sdot.
 * Our kernels run on one thread (emb's callers split work over their own
 * pool); OpenBLAS on OPENBLAS_NUM_THREADS. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emb/err.h"
#include "emb/rng.h"
#include "emb/vec.h"

#define REPS 5
#define K 10
/* Rows per sgemv/sgemm call: the score block stays in L2. */
#define BLAS_ROWS 1024

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return t[n / 2];
}

static float *rand_rows(struct emb_rng *r, int64_t n, int dim, int stride) {
    float *x = emb_alloc_aligned((size_t)n * (size_t)stride * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < stride; j++) x[i * stride + j] = j < dim ? (float)emb_rng_normal(r) : 0.0f;
    return x;
}

/* ---- search ----------------------------------------------------------------- */

enum search_kind { S_AVX2, S_AVX512_ROWWISE, S_AVX512_BLOCK, S_BLAS };
static const char *search_name[] = {"emb avx2 (dot_many)", "emb avx512 (dot_many)", "emb avx512 blocked",
                                    "openblas sgemv/sgemm"};

static void search_blas(const struct emb_topk_rows *r, const float *q, int n_q, const int64_t *self, float *s,
                        struct emb_topk *tks) {
    for (int64_t b = 0; b < r->n_rows; b += BLAS_ROWS) {
        int m = r->n_rows - b < BLAS_ROWS ? (int)(r->n_rows - b) : BLAS_ROWS;
        const float *rb = r->data + b * r->stride;
        if (n_q == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, m, r->stride, 1.0f, rb, r->stride, q, 1, 0.0f, s, 1);
        else /* s (n_q, m) = Q (n_q, stride) . R_b^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_q, m, r->stride, 1.0f, q, r->stride, rb,
                        r->stride, 0.0f, s, m);
        for (int c = 0; c < n_q; c++) {
            float *sc = s + (size_t)c * m;
            if (r->sqnorms)
                for (int i = 0; i < m; i++) sc[i] = 2.0f * sc[i] - r->sqnorms[b + i];
            emb_topk_offer(&tks[c], r, self ? self[c] : -1, b, sc, m);
        }
    }
}

/* Run one search variant over all queries in blocks of n_q; the ids of
 * every query's top k go to ids (n_queries, k). Returns seconds. */
static double search_run(enum search_kind kind, const struct emb_topk_rows *r, const float *qs, int n_queries,
                         int n_q, int k, int self_rows, int64_t *ids, float *scratch) {
    struct emb_vec_ops ops = emb_vec_ops_get(kind == S_AVX2 ? EMB_SIMD_AVX2 : EMB_SIMD_AVX512);
    struct emb_topk *tks = malloc((size_t)n_q * sizeof *tks);
    float *sc = malloc((size_t)n_q * (size_t)k * sizeof *sc);
    const float **qp = malloc((size_t)n_q * sizeof *qp);
    int64_t *self = malloc((size_t)n_q * sizeof *self);
    double t0 = now();
    for (int q0 = 0; q0 < n_queries; q0 += n_q) {
        int nq = n_queries - q0 < n_q ? n_queries - q0 : n_q;
        for (int c = 0; c < nq; c++) {
            emb_topk_init(&tks[c], k, ids + (int64_t)(q0 + c) * k, sc + (int64_t)c * k);
            qp[c] = qs + (int64_t)(q0 + c) * r->stride;
            self[c] = q0 + c;
        }
        if (kind == S_BLAS)
            search_blas(r, qp[0], nq, self_rows ? self : NULL, scratch, tks);
        else
            emb_topk_scan(&ops, r, 0, r->n_rows, qp, nq, self_rows ? self : NULL,
                          kind == S_AVX512_BLOCK ? 0 : EMB_TOPK_ROWWISE, tks);
        for (int c = 0; c < nq; c++) emb_topk_sorted(&tks[c]);
    }
    double t = now() - t0;
    free(tks);
    free(sc);
    free(qp);
    free(self);
    return t;
}

/* Time every variant on n_queries queries in blocks of n_q. */
static void search_case(const char *what, const struct emb_topk_rows *r, const float *qs, int n_queries, int n_q,
                        int k, int self_rows, int have512) {
    int64_t *ref = malloc((size_t)n_queries * k * sizeof *ref), *ids = malloc((size_t)n_queries * k * sizeof *ids);
    float *scratch = emb_alloc_aligned((size_t)BLAS_ROWS * (n_q > 0 ? n_q : 1) * sizeof(float));
    for (int kind = 0; kind < 4; kind++) {
        if (!have512 && (kind == S_AVX512_ROWWISE || kind == S_AVX512_BLOCK)) continue;
        if (n_q == 1 && kind == S_AVX512_BLOCK) continue; /* one query: same as dot_many */
        double t[REPS];
        for (int rep = 0; rep < REPS; rep++)
            t[rep] = search_run((enum search_kind)kind, r, qs, n_queries, n_q, k, self_rows, kind ? ids : ref, scratch);
        /* Other summation orders may swap near-ties: count the ids that differ. */
        int64_t diff = 0;
        if (kind)
            for (int64_t i = 0; i < (int64_t)n_queries * k; i++) diff += ids[i] != ref[i];
        double per_q = median(t, REPS) / n_queries;
        printf("| %s | %d | %s | %.1f | %.0f | %lld |\n", what, n_q, search_name[kind], per_q * 1e6, 1.0 / per_q,
               (long long)diff);
        fflush(stdout);
    }
    free(ref);
    free(ids);
    emb_free_aligned(scratch);
}

/* ---- skip-gram ---------------------------------------------------------------- */

enum sg_kind { G_EMB, G_BLAS1, G_BLAS2 };
static const char *sg_name[] = {"emb dot_many+axpy+axpy_many", "openblas sdot+saxpy", "openblas gather+sgemv+sger"};

/* steps skip-gram steps, each: centre h (dim) against m output rows of out
 * (n_out rows, stride) picked at random; lr-scaled logistic gradients;
 * output rows and grad updated. Returns seconds. */
static double sg_run(enum sg_kind kind, const struct emb_vec_ops *ops, float *out, int64_t n_out, int dim,
                     int stride, int m, int steps, float *h, float *grad, float *gath) {
    struct emb_rng r;
    emb_rng_seed(&r, 7, 0);
    float *ys[16];
    float s[16], g[16];
    double t0 = now();
    for (int st = 0; st < steps; st++) {
        for (int j = 0; j < m; j++) ys[j] = out + (int64_t)emb_rng_below(&r, (uint64_t)n_out) * stride;
        if (kind == G_EMB) {
            ops->dot_many(stride, h, m, (const float *const *)ys, s);
        } else if (kind == G_BLAS1) {
            for (int j = 0; j < m; j++) s[j] = cblas_sdot(dim, h, 1, ys[j], 1);
        } else {
            for (int j = 0; j < m; j++) memcpy(gath + j * stride, ys[j], (size_t)stride * sizeof(float));
            cblas_sgemv(CblasRowMajor, CblasNoTrans, m, dim, 1.0f, gath, stride, h, 1, 0.0f, s, 1);
        }
        for (int j = 0; j < m; j++) g[j] = 0.025f * ((j == 0) - 1.0f / (1.0f + expf(-s[j])));
        if (kind == G_EMB) {
            ops->axpy_many(stride, m, g, (const float *const *)ys, grad);
            for (int j = 0; j < m; j++) ops->axpy(stride, g[j], h, ys[j]);
        } else if (kind == G_BLAS1) {
            for (int j = 0; j < m; j++) cblas_saxpy(dim, g[j], ys[j], 1, grad, 1);
            for (int j = 0; j < m; j++) cblas_saxpy(dim, g[j], h, 1, ys[j], 1);
        } else {
            cblas_sgemv(CblasRowMajor, CblasTrans, m, dim, 1.0f, gath, stride, g, 1, 1.0f, grad, 1);
            cblas_sger(CblasRowMajor, m, dim, 1.0f, g, 1, h, 1, gath, stride);
            for (int j = 0; j < m; j++) memcpy(ys[j], gath + j * stride, (size_t)stride * sizeof(float));
        }
    }
    return now() - t0;
}

static void sg_case(const struct emb_vec_ops *ops, int dim, int m) {
    const int64_t n_out = 20000;
    const int steps = 200000, stride = (dim + 15) / 16 * 16;
    struct emb_rng r;
    emb_rng_seed(&r, 3, 0);
    float *out0 = rand_rows(&r, n_out, dim, stride), *out = emb_alloc_aligned((size_t)n_out * stride * sizeof(float));
    float *h = rand_rows(&r, 1, dim, stride), *grad = emb_alloc_aligned((size_t)stride * sizeof(float));
    float *gath = emb_alloc_aligned((size_t)16 * stride * sizeof(float)), *grad_ref = malloc((size_t)stride * sizeof(float));
    for (int kind = 0; kind < 3; kind++) {
        double t[REPS];
        for (int rep = 0; rep < REPS; rep++) {
            memcpy(out, out0, (size_t)n_out * stride * sizeof(float));
            memset(grad, 0, (size_t)stride * sizeof(float));
            t[rep] = sg_run((enum sg_kind)kind, ops, out, n_out, dim, stride, m, steps, h, grad, gath);
        }
        double err = 0;
        if (kind == 0)
            memcpy(grad_ref, grad, (size_t)stride * sizeof(float));
        else
            for (int j = 0; j < dim; j++) err = fmax(err, fabs(grad[j] - grad_ref[j]) / (fabs(grad_ref[j]) + 1e-3));
        printf("| sgns dim %d | 1+%d | %s | %.0f | %.2g |\n", dim, m - 1, sg_name[kind], median(t, REPS) / steps * 1e9,
               err);
        fflush(stdout);
    }
    emb_free_aligned(out0);
    emb_free_aligned(out);
    emb_free_aligned(h);
    emb_free_aligned(grad);
    emb_free_aligned(gath);
    free(grad_ref);
}

/* ---- one dot ------------------------------------------------------------------- */

static void dot_case(const struct emb_vec_ops *ops, int dim) {
    const int n = 4096, stride = (dim + 15) / 16 * 16, reps = 400;
    struct emb_rng r;
    emb_rng_seed(&r, 5, 0);
    float *x = rand_rows(&r, n, dim, stride), *q = rand_rows(&r, 1, dim, stride);
    double sums[2];
    for (int kind = 0; kind < 2; kind++) {
        double t[REPS];
        for (int rep = 0; rep < REPS; rep++) {
            double acc = 0, t0 = now();
            for (int it = 0; it < reps; it++)
                for (int i = 0; i < n; i++)
                    acc += kind ? cblas_sdot(dim, q, 1, x + (int64_t)i * stride, 1) : ops->dot(stride, q, x + (int64_t)i * stride);
            t[rep] = now() - t0;
            sums[kind] = acc;
        }
        printf("| dot dim %d | 1x1 | %s | %.1f | %.2g |\n", dim, kind ? "openblas sdot" : "emb ops.dot",
               median(t, REPS) / ((double)n * reps) * 1e9, kind ? fabs(sums[1] - sums[0]) / fabs(sums[0]) : 0.0);
        fflush(stdout);
    }
    emb_free_aligned(x);
    emb_free_aligned(q);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : "";
    struct emb_vec_ops best = emb_vec_ops_get(EMB_SIMD_AUTO);
    int have512 = best.kind == EMB_SIMD_AVX512;
    printf("# kernels: emb %s, OpenBLAS %s, %d thread(s) (core %s)\n", emb_simd_name(best.kind), openblas_get_config(),
           openblas_get_num_threads(), openblas_get_corename());
    if (!*only || !strcmp(only, "search")) {
        printf("\n| search | queries per block | kernel | us per query | queries/s | ids != first |\n|---|---:|---|---:|---:|---:|\n");
        struct emb_rng r;
        emb_rng_seed(&r, 1, 0);
        const int dims[2] = {100, 300}, blocks[4] = {1, 16, 64, 256};
        for (int di = 0; di < 2; di++) {
            int dim = dims[di], stride = (dim + 15) / 16 * 16;
            const int64_t n = 100000;
            float *x = rand_rows(&r, n, dim, stride), *qs = rand_rows(&r, 256, dim, stride);
            struct emb_topk_rows rows = {.data = x, .n_rows = n, .dim = dim, .stride = stride};
            char what[64];
            snprintf(what, sizeof what, "100k x %d", dim);
            for (int bi = 0; bi < 4; bi++) search_case(what, &rows, qs, blocks[bi] == 1 ? 64 : 256, blocks[bi], K, 0, have512);
            emb_free_aligned(x);
            emb_free_aligned(qs);
        }
        /* t-SNE's k-NN: every row is a query, L2 ranking, its own row left out. */
        const int64_t n = 10000;
        const int dim = 50, stride = 64;
        float *x = rand_rows(&r, n, dim, stride), *sq = malloc((size_t)n * sizeof *sq);
        for (int64_t i = 0; i < n; i++) sq[i] = best.dot(stride, x + i * stride, x + i * stride);
        struct emb_topk_rows rows = {.data = x, .n_rows = n, .dim = dim, .stride = stride, .sqnorms = sq};
        search_case("t-SNE kNN 10k x 50", &rows, x, 2048, 8, 91, 1, have512);
        emb_free_aligned(x);
        free(sq);
    }
    if (!*only || !strcmp(only, "sgns")) {
        printf("\n| skip-gram step | rows | kernel | ns per step | max rel. diff of grad |\n|---|---:|---|---:|---:|\n");
        const int dims[2] = {100, 300}, ms[2] = {6, 16};
        for (int di = 0; di < 2; di++)
            for (int mi = 0; mi < 2; mi++) sg_case(&best, dims[di], ms[mi]);
    }
    if (!*only || !strcmp(only, "dot")) {
        printf("\n| one dot | rows | kernel | ns per dot | rel. diff of sum |\n|---|---:|---|---:|---:|\n");
        dot_case(&best, 100);
        dot_case(&best, 300);
    }
    return 0;
}
