/* hnsw.c -- build an HNSW index over vectors in memory, search it, and
 * compare with exact search; save it and load it back, with libemb.
 *
 *     cc hnsw.c $(pkg-config --cflags --libs emb) -o hnsw
 *     ./hnsw index.idx
 *
 * The vectors are 5000 random points in 32 dimensions around 50 centres.
 * The index is built once (emb_index_build), searched with emb_index_search,
 * and its recall@10 measured against a flat (exact) index of the same rows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <emb/index.h> /* emb_index_*: flat and HNSW nearest-neighbour search */

enum { N = 5000, DIM = 32, K = 10, N_QUERIES = 200 };

static float uniform(uint64_t *s) { /* xorshift64*: a reproducible [-1, 1) */
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return (float)((*s * 0x2545F4914F6CDD1DULL) >> 40) / (float)(1 << 23) - 1.0f;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s INDEX_FILE\n", argv[0]);
        return 2;
    }
    struct emb_err err = {0};

    /* Rows of DIM floats, one after the other (stride = DIM). */
    float *vectors = malloc(sizeof(float) * N * DIM);
    float centres[50][DIM];
    if (!vectors) return 1;
    uint64_t seed = 42;
    for (int c = 0; c < 50; c++)
        for (int j = 0; j < DIM; j++) centres[c][j] = uniform(&seed);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < DIM; j++) vectors[i * DIM + j] = centres[i % 50][j] + 0.3f * uniform(&seed);

    /* Build an HNSW index (cosine) and an exact flat one, one thread each
     * (pool NULL). Words are optional: NULL here, so results are row ids. */
    struct emb_index_params p = emb_index_default_params();
    p.type = EMB_INDEX_HNSW;
    p.M = 16;
    p.ef_construction = 100;
    struct emb_index *hnsw = NULL, *flat = NULL;
    int rc = emb_index_build(&hnsw, vectors, N, DIM, DIM, NULL, &p, NULL, &err);
    if (rc == EMB_OK) {
        p.type = EMB_INDEX_FLAT;
        rc = emb_index_build(&flat, vectors, N, DIM, DIM, NULL, &p, NULL, &err);
    }
    /* Save the HNSW index and load it back (memory-mapped when possible). */
    struct emb_index *loaded = NULL;
    if (rc == EMB_OK) rc = emb_index_save(hnsw, argv[1], &err);
    if (rc == EMB_OK) rc = emb_index_load(&loaded, argv[1], &err);
    if (rc != EMB_OK) {
        fprintf(stderr, "%s\n", emb_err_msg(&err, rc));
        return 1;
    }
    printf("built: %lld rows, %d dimensions, M %d\n", (long long)emb_index_size(loaded), emb_index_dim(loaded),
           emb_index_M(loaded));

    /* Search the first N_QUERIES rows' vectors with ef = 64 and count how
     * many of the exact top 10 the HNSW index finds. */
    int found = 0;
    for (int qi = 0; qi < N_QUERIES; qi++) {
        const float *query = vectors + (size_t)qi * 25 * DIM;
        int64_t approx[K], exact[K];
        float s1[K], s2[K];
        int na = emb_index_search(loaded, query, K, 64, approx, s1, &err);
        int ne = emb_index_search(flat, query, K, 0, exact, s2, &err);
        if (na < 0 || ne < 0) {
            fprintf(stderr, "%s\n", emb_err_msg(&err, na < 0 ? na : ne));
            return 1;
        }
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < na; j++) found += exact[i] == approx[j];
        if (qi == 0) printf("nearest to row 0: row %lld (cosine %.3f)\n", (long long)approx[0], s1[0]);
    }
    printf("recall@%d: %.3f\n", K, (double)found / (N_QUERIES * K));

    emb_index_free(loaded);
    emb_index_free(hnsw);
    emb_index_free(flat);
    free(vectors);
    return 0;
}
