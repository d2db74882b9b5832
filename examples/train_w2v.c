/* train_w2v.c -- train word2vec (skip-gram) on tokens held in a C array,
 * with libemb, and save the vectors.
 *
 *     cc train_w2v.c $(pkg-config --cflags --libs emb) -o train_w2v
 *     ./train_w2v vectors.txt
 *
 * The corpus is made up here: sentences of words from one of two topics,
 * animals and numbers. Words of the same topic share contexts, so after
 * training each word's nearest neighbour is a word of its own topic.
 *
 * Training from memory takes three steps: count the tokens into a
 * vocabulary (emb_vocab_add), append their ids to a stream of sentences
 * (emb_stream_push / emb_stream_end_sentence), then sort the vocabulary by
 * count (emb_vocab_finalize) and tell the stream the new ids. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emb/eval.h>   /* emb_query_*: to look at the result */
#include <emb/stream.h> /* emb_stream_*: sentences of token ids */
#include <emb/vecs.h>   /* emb_vecs_save */
#include <emb/vocab.h>  /* emb_vocab_*: words <-> ids, with counts */
#include <emb/w2v.h>    /* emb_w2v_*: the trainer */

static const char *const topics[2][8] = {
    {"cat", "dog", "horse", "cow", "sheep", "goat", "mouse", "rabbit"},
    {"one", "two", "three", "four", "five", "six", "seven", "eight"},
};

#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        int rc_ = (call);                                                                                          \
        if (rc_ != EMB_OK) {                                                                                       \
            fprintf(stderr, "%s: %s\n", #call, emb_err_msg(&err, rc_));                                            \
            return 1;                                                                                              \
        }                                                                                                          \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT (.txt, .bin or .npy)\n", argv[0]);
        return 2;
    }
    struct emb_err err = {0};

    /* 1. The corpus: 2000 sentences of 8 tokens, each from one topic, as a
     *    flat C array of token pointers (a real program would tokenize
     *    text into such an array). A small LCG keeps it reproducible. */
    enum { N_SENT = 2000, LEN = 8 };
    static const char *tokens[N_SENT * LEN];
    uint32_t r = 12345;
    for (int s = 0; s < N_SENT; s++)
        for (int t = 0; t < LEN; t++) {
            r = r * 1664525u + 1013904223u;
            tokens[s * LEN + t] = topics[s % 2][(r >> 16) % 8];
        }

    /* 2. Vocabulary and stream in one pass. */
    struct emb_vocab *vocab = NULL;
    struct emb_stream *stream = NULL;
    CHECK(emb_vocab_new(&vocab, &err));
    CHECK(emb_stream_new(&stream, &err));
    for (int i = 0; i < N_SENT * LEN; i++) {
        int32_t id;
        CHECK(emb_vocab_add(vocab, tokens[i], strlen(tokens[i]), 1, &id, &err));
        CHECK(emb_stream_push(stream, id, &err));
        if (i % LEN == LEN - 1) CHECK(emb_stream_end_sentence(stream, &err));
    }

    /* 3. Sort the vocabulary by count (min-count 1, no size bound); remap
     *    receives old id -> new id, and the stream decodes through it. */
    int32_t n_words = emb_vocab_size(vocab);
    int32_t *remap = malloc(sizeof *remap * (size_t)n_words);
    if (!remap) return 1;
    CHECK(emb_vocab_finalize(vocab, 1, 0, remap, &err));
    CHECK(emb_stream_set_map(stream, remap, n_words, &err));
    free(remap);
    CHECK(emb_stream_finish(stream, 1 << 16, &err));

    /* 4. Train: skip-gram, 16 dimensions, one thread and a fixed seed
     *    (so the output is the same on every run). */
    struct emb_w2v_params p = emb_w2v_default_params();
    p.model = EMB_W2V_SG;
    p.dim = 16;
    p.window = 3;
    p.epochs = 10;
    p.sample = 0; /* no subsampling: every word is frequent here */
    struct emb_train_opts o = emb_train_default_opts(); /* train.h: threads, seed, progress, ... */
    o.n_threads = 1;
    o.seed = 7;
    struct emb_w2v *model = NULL;
    CHECK(emb_w2v_new(&model, vocab, &p, &o, &err));
    CHECK(emb_w2v_train(model, stream, &o, &err));
    printf("trained on %lld tokens, %d words\n", (long long)emb_stream_n_tokens(stream), emb_vocab_size(vocab));

    /* 5. Save (the format follows the extension), then look at "cat" and
     *    "three": load the file back and ask for their neighbours. */
    CHECK(emb_vecs_save(vocab, emb_w2v_vectors(model), argv[1], EMB_FMT_AUTO, NULL, &err));
    emb_w2v_free(model);
    emb_stream_free(stream);
    emb_vocab_free(vocab);

    struct emb_vecs *vecs = NULL;
    struct emb_query *q = NULL;
    CHECK(emb_vecs_load(&vecs, argv[1], EMB_FMT_AUTO, 0, NULL, &err));
    CHECK(emb_query_new(&q, vecs, 1, &err));
    const char *probe[] = {"cat", "three"};
    for (int i = 0; i < 2; i++) {
        int32_t id = emb_query_find(q, probe[i], strlen(probe[i]));
        int64_t ids[3];
        float scores[3];
        int n = emb_query_neighbors(q, emb_query_row(q, id), 3, &id, 1, ids, scores, &err);
        if (n < 0) return 1;
        printf("%s:", probe[i]);
        for (int j = 0; j < n; j++) printf(" %s", emb_query_word(q, ids[j]));
        printf("\n");
    }
    emb_query_free(q);
    emb_vecs_free(vecs);
    return 0;
}
