/* neighbors.c -- load a word-vector file and print the nearest neighbours
 * of a few words, with libemb.
 *
 *     cc neighbors.c $(pkg-config --cflags --libs emb) -o neighbors
 *     ./neighbors vectors.bin king queen      # word2vec text, bin or .npy
 *
 * Every libemb call that can fail returns EMB_OK (0) or a negative EMB_E*
 * code and fills a struct emb_err with a one-line message. */
#include <stdio.h>
#include <string.h>

#include <emb/eval.h> /* emb_query_*: neighbours, analogies */
#include <emb/vecs.h> /* emb_vecs_load: vector files */

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s VECTORS WORD...\n", argv[0]);
        return 2;
    }
    struct emb_err err = {0};

    /* Load the vectors; the format (text, bin, npy, gzip) is detected. */
    struct emb_vecs *vecs = NULL;
    int rc = emb_vecs_load(&vecs, argv[1], EMB_FMT_AUTO, 0, NULL, &err);
    if (rc != EMB_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], emb_err_msg(&err, rc));
        return 1;
    }
    printf("%s: %lld words, %d dimensions\n", argv[1], (long long)vecs->table->n_rows, vecs->table->dim);

    /* A query object holds unit-length rows and a thread pool (1 thread). */
    struct emb_query *q = NULL;
    rc = emb_query_new(&q, vecs, 1, &err);
    if (rc != EMB_OK) {
        fprintf(stderr, "%s\n", emb_err_msg(&err, rc));
        emb_vecs_free(vecs);
        return 1;
    }

    int status = 0;
    for (int a = 2; a < argc; a++) {
        int32_t id = emb_query_find(q, argv[a], strlen(argv[a]));
        if (id < 0) {
            printf("%s: not in the vocabulary\n", argv[a]);
            status = 1;
            continue;
        }
        /* The 5 rows most similar to the word's own row, the word excluded. */
        int64_t ids[5];
        float scores[5];
        int n = emb_query_neighbors(q, emb_query_row(q, id), 5, &id, 1, ids, scores, &err);
        if (n < 0) {
            fprintf(stderr, "%s\n", emb_err_msg(&err, n));
            status = 1;
            break;
        }
        printf("%s:", argv[a]);
        for (int i = 0; i < n; i++) printf(" %s (%.3f)", emb_query_word(q, ids[i]), scores[i]);
        printf("\n");
    }

    emb_query_free(q);
    emb_vecs_free(vecs);
    return status;
}
