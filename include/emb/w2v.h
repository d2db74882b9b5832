/* w2v.h -- word2vec: skip-gram and CBOW, negative sampling and
 * hierarchical softmax, trained on a stream of token-id sentences.
 *
 *     struct emb_w2v_params p = emb_w2v_default_params();
 *     p.model = EMB_W2V_SG;
 *     struct emb_w2v *m = NULL;
 *     struct emb_train_opts o = emb_train_default_opts(); // threads, seed, progress, ...
 *     int rc = emb_w2v_new(&m, vocab, &p, &o, &err);    // vocab: sorted counts
 *     if (rc == EMB_OK) rc = emb_w2v_train(m, stream, &o, &err);
 *     if (rc == EMB_OK) rc = emb_vecs_save(vocab, emb_w2v_vectors(m), "v.bin", EMB_FMT_AUTO, NULL, &err);
 *     emb_w2v_free(m);
 *
 * The engine is not tied to text: any struct emb_stream of ids 0..n-1 with
 * per-id counts can be trained (random walks over a graph, item sequences).
 *
 * Threads, seed, progress, stop, checkpoints and resume follow train.h.
 * Threads: Hogwild SGD over chunks of the stream handed out in order from
 * an atomic counter. With one thread and a fixed seed the output is
 * byte-identical from run to run, and a run that is interrupted and
 * resumed from its checkpoint gives the same bytes as one that was not.
 *
 * Skip-gram with negative sampling has two kernels. EMB_W2V_KERNEL_PLAIN is
 * word2vec.c's loop (one context word against its own negatives: a dot and
 * two axpys per pair). EMB_W2V_KERNEL_BATCH (default) follows pWord2Vec
 * (Ji et al. 2016): the negatives drawn for a centre word are shared by all
 * its context words, so the window becomes a small matrix product,
 * (2w x d) x (d x (k+1)), computed with SIMD kernels that load each row
 * once. Quality is the same (measured in docs/benchmarks.md). */
#ifndef EMB_W2V_H
#define EMB_W2V_H

#include <stdint.h>

#include "emb/err.h"
#include "emb/stream.h"
#include "emb/table.h"
#include "emb/train.h"
#include "emb/vec.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_w2v_model { EMB_W2V_SG = 0, EMB_W2V_CBOW = 1 };
enum emb_w2v_loss { EMB_W2V_NS = 0, EMB_W2V_HS = 1 };
enum emb_w2v_kernel { EMB_W2V_KERNEL_BATCH = 0, EMB_W2V_KERNEL_PLAIN = 1 };

struct emb_w2v_params {
    enum emb_w2v_model model;   /* default CBOW, as word2vec.c */
    enum emb_w2v_loss loss;     /* default NS */
    enum emb_w2v_kernel kernel; /* skip-gram + NS only; default BATCH */
    int32_t dim;                /* 100 */
    int32_t window;             /* 5: max distance; the actual one is drawn in 1..window */
    int32_t negative;           /* 5 */
    int32_t epochs;             /* 5 */
    float alpha;                /* starting learning rate; 0 = 0.025 (SG) or 0.05 (CBOW) */
    double sample;              /* 1e-3: subsampling threshold, 0 = off */
    int32_t max_sentence;       /* 10000 tokens; longer lines are split */
    enum emb_simd simd;         /* AUTO */
};

struct emb_w2v_params emb_w2v_default_params(void);
/* Check values; fills err with the first bad one. */
int emb_w2v_params_check(const struct emb_w2v_params *p, struct emb_err *err);

struct emb_w2v;

/* A model for vocab (borrowed; must outlive the model; ids are rows, counts
 * drive subsampling, negative sampling and the Huffman tree), with o's seed
 * and thread count (train.h). Input vectors start uniform in
 * [-0.5/dim, 0.5/dim), output vectors at zero.
 * Resume (train.h's rule): with o->resume the model is the checkpoint at
 * o->checkpoint_path instead; p's settings and o->seed must equal the
 * checkpoint's (EMB_EINVAL "PATH was made with dim=64, this run has
 * dim=16", naming the first that differs), and vocab, when not NULL, must
 * hold the checkpoint's words (NULL: the checkpoint's vocabulary is used,
 * see emb_w2v_vocab). */
int emb_w2v_new(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                const struct emb_train_opts *o, struct emb_err *err);
void emb_w2v_free(struct emb_w2v *m);

/* Train on stream (ids must be < vocab size) for the remaining epochs,
 * under o (train.h: threads or pool, progress in "words", stop, the
 * checkpoint clock). Returns EMB_EINTR if stopped through o->stop (after
 * checkpointing), or EMB_ENUMERIC if the vectors became non-finite. */
int emb_w2v_train(struct emb_w2v *m, const struct emb_stream *stream, const struct emb_train_opts *o,
                  struct emb_err *err);

/* The input vectors (the embedding), one row per vocabulary word. */
const struct emb_table *emb_w2v_vectors(const struct emb_w2v *m);
/* The output vectors (negative sampling or Huffman inner nodes). */
const struct emb_table *emb_w2v_output(const struct emb_w2v *m);
const struct emb_w2v_params *emb_w2v_params(const struct emb_w2v *m);

/* Train one sentence (ids in vocab) at learning rate alpha with the given
 * thread state index (0 .. threads-1). Lets other engines (random walks)
 * drive the model directly. Not thread-safe for the same ith. */
void emb_w2v_train_sentence(struct emb_w2v *m, int ith, const int32_t *ids, int64_t n, float alpha);

/* Checkpoints: parameters, vocabulary, both tables, the position in the
 * stream, counters and RNG states, a CRC-32 of the training stream (taken
 * when emb_w2v_train runs with a checkpoint path) and the caller's
 * settings text (emb_w2v_set_settings), in the CRC-framed native
 * format of io.h (magic "EMBW2VCK", version 2; version 1 files, without
 * checksums, are refused). emb_w2v_train writes them itself when
 * o->checkpoint_path is set, and refuses to continue a loaded checkpoint
 * on a stream with another CRC. emb_w2v_checkpoint_load makes a model with
 * the checkpoint's settings and its own copy of the vocabulary
 * (emb_w2v_vocab), with o's thread count (o may be NULL: the checkpoint's);
 * resuming a run goes through emb_w2v_new with o->resume. A corrupt file is
 * EMB_EFORMAT. emb_w2v_checkpoint_params reads only the settings and seed
 * (e.g. to default the options a resumed run does not give). */
int emb_w2v_checkpoint_save(const struct emb_w2v *m, const char *path, struct emb_err *err);
int emb_w2v_checkpoint_load(struct emb_w2v **out, const char *path, const struct emb_train_opts *o,
                            struct emb_err *err);
int emb_w2v_checkpoint_params(const char *path, struct emb_w2v_params *p, uint64_t *seed, struct emb_err *err);
const struct emb_vocab *emb_w2v_vocab(const struct emb_w2v *m);
/* Extra "key=value\n" lines saved in checkpoints (e.g. the walk settings of
 * node2vec), at most 64 KB; a loaded model returns its checkpoint's ("" if
 * none) until set again. */
int emb_w2v_set_settings(struct emb_w2v *m, const char *kv, struct emb_err *err);
const char *emb_w2v_settings(const struct emb_w2v *m);
/* Epochs finished and words processed so far (for reports). */
int64_t emb_w2v_words_done(const struct emb_w2v *m);

#ifdef __cplusplus
}
#endif
#endif
