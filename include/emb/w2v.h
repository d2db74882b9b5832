/* w2v.h -- word2vec: skip-gram and CBOW, negative sampling and
 * hierarchical softmax, trained on a stream of token-id sentences.
 *
 *     struct emb_w2v_params p = emb_w2v_default_params();
 *     p.model = EMB_W2V_SG;
 *     struct emb_w2v *m = NULL;
 *     int rc = emb_w2v_new(&m, vocab, &p, &err);        // vocab: sorted counts
 *     if (rc == EMB_OK) rc = emb_w2v_train(m, stream, &err);
 *     if (rc == EMB_OK) rc = emb_vecs_save(vocab, emb_w2v_vectors(m), "v.bin", EMB_FMT_AUTO, NULL, &err);
 *     emb_w2v_free(m);
 *
 * The engine is not tied to text: any struct emb_stream of ids 0..n-1 with
 * per-id counts can be trained (random walks over a graph, item sequences).
 *
 * Threads: Hogwild SGD over chunks of the stream handed out in order from
 * an atomic counter. With n_threads == 1 and a fixed seed the output is
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

#include <signal.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/stream.h"
#include "emb/table.h"
#include "emb/vec.h"
#include "emb/vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_w2v_model { EMB_W2V_SG = 0, EMB_W2V_CBOW = 1 };
enum emb_w2v_loss { EMB_W2V_NS = 0, EMB_W2V_HS = 1 };
enum emb_w2v_kernel { EMB_W2V_KERNEL_BATCH = 0, EMB_W2V_KERNEL_PLAIN = 1 };

/* Progress report, called from the training thread 0 a few times a second. */
struct emb_w2v_progress {
    double fraction;      /* of all epochs, 0..1 */
    double words_per_sec; /* stream tokens x epochs per wall second */
    double alpha;         /* current learning rate */
    double eta_sec;
    int epoch;            /* 1-based */
};
typedef void (*emb_w2v_progress_fn)(void *ctx, const struct emb_w2v_progress *p);

struct emb_w2v_params {
    enum emb_w2v_model model;   /* default CBOW, as word2vec.c */
    enum emb_w2v_loss loss;     /* default NS */
    enum emb_w2v_kernel kernel; /* skip-gram + NS only; default BATCH */
    int32_t dim;                /* 100 */
    int32_t window;             /* 5: max distance; the actual one is drawn in 1..window */
    int32_t negative;           /* 5 */
    int32_t epochs;             /* 5 */
    int32_t n_threads;          /* 1 */
    float alpha;                /* starting learning rate; 0 = 0.025 (SG) or 0.05 (CBOW) */
    double sample;              /* 1e-3: subsampling threshold, 0 = off */
    uint64_t seed;              /* 1 */
    int32_t max_sentence;       /* 10000 tokens; longer lines are split */
    enum emb_simd simd;         /* AUTO */
    /* Optional hooks. */
    emb_w2v_progress_fn progress;
    void *progress_ctx;
    emb_warn_fn warn; /* a failed periodic checkpoint: warned, training goes on */
    void *warn_ctx;
    volatile sig_atomic_t *stop; /* when it becomes non-zero, training saves a
                                    checkpoint (if any) and returns EMB_EINTR */
    const char *checkpoint_path; /* NULL = no checkpoints */
    double checkpoint_every;     /* seconds between checkpoints (default 600) */
    uint32_t resume_check;       /* EMB_W2V_CHECK_* bits: settings of the hooks
                                    passed to emb_w2v_checkpoint_load that must
                                    equal the checkpoint's (options the user gave) */
};

/* Bits of emb_w2v_params.resume_check. */
enum {
    EMB_W2V_CHECK_MODEL = 1u << 0,
    EMB_W2V_CHECK_LOSS = 1u << 1,
    EMB_W2V_CHECK_KERNEL = 1u << 2,
    EMB_W2V_CHECK_DIM = 1u << 3,
    EMB_W2V_CHECK_WINDOW = 1u << 4,
    EMB_W2V_CHECK_NEGATIVE = 1u << 5,
    EMB_W2V_CHECK_EPOCHS = 1u << 6,
    EMB_W2V_CHECK_ALPHA = 1u << 7,
    EMB_W2V_CHECK_SAMPLE = 1u << 8,
    EMB_W2V_CHECK_SEED = 1u << 9
};

struct emb_w2v_params emb_w2v_default_params(void);
/* Check values; fills err with the first bad one. */
int emb_w2v_params_check(const struct emb_w2v_params *p, struct emb_err *err);

struct emb_w2v;

/* A model for vocab (borrowed; must outlive the model; ids are rows, counts
 * drive subsampling, negative sampling and the Huffman tree). Input vectors
 * start uniform in [-0.5/dim, 0.5/dim), output vectors at zero. */
int emb_w2v_new(struct emb_w2v **out, const struct emb_vocab *vocab, const struct emb_w2v_params *p,
                struct emb_err *err);
void emb_w2v_free(struct emb_w2v *m);

/* Train on stream (ids must be < vocab size) for the remaining epochs.
 * Returns EMB_EINTR if stopped through p.stop (after checkpointing), or
 * EMB_ENUMERIC if the vectors became non-finite. */
int emb_w2v_train(struct emb_w2v *m, const struct emb_stream *stream, struct emb_err *err);

/* The input vectors (the embedding), one row per vocabulary word. */
const struct emb_table *emb_w2v_vectors(const struct emb_w2v *m);
/* The output vectors (negative sampling or Huffman inner nodes). */
const struct emb_table *emb_w2v_output(const struct emb_w2v *m);
const struct emb_w2v_params *emb_w2v_params(const struct emb_w2v *m);

/* Train one sentence (ids in vocab) at learning rate alpha with the given
 * thread state index (0 .. n_threads-1). Lets other engines (random walks)
 * drive the model directly. Not thread-safe for the same ith. */
void emb_w2v_train_sentence(struct emb_w2v *m, int ith, const int32_t *ids, int64_t n, float alpha);

/* Checkpoints: parameters, vocabulary, both tables, the position in the
 * stream, counters and RNG states, a CRC-32 of the training stream (taken
 * when emb_w2v_train runs with checkpoint_path set) and the caller's
 * settings text (emb_w2v_set_settings), in the CRC-framed native
 * format of io.h (magic "EMBW2VCK", version 2; version 1 files, without
 * checksums, are refused). emb_w2v_train writes them itself when
 * checkpoint_path is set, and refuses to continue a loaded checkpoint on a
 * stream with another CRC. Loading creates a model with its own copy of
 * the vocabulary (emb_w2v_vocab); hooks and n_threads come from `p` (may
 * be NULL), and the settings named by p->resume_check must equal the
 * checkpoint's (EMB_EINVAL "PATH was made with dim=64, this run has
 * dim=16" otherwise). A corrupt file is EMB_EFORMAT. */
int emb_w2v_checkpoint_save(const struct emb_w2v *m, const char *path, struct emb_err *err);
int emb_w2v_checkpoint_load(struct emb_w2v **out, const char *path, const struct emb_w2v_params *hooks,
                            struct emb_err *err);
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
