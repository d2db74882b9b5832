/* export.c -- write vectors for the TensorBoard Embedding Projector.
 *
 * The projector (projector.tensorflow.org "Load", or TensorBoard's
 * projector plugin) reads a tensor as TSV, one vector per line, values
 * separated by tabs, no header; and metadata as TSV with one line per
 * vector, where a single column has no header line. We also write a
 * projector_config.pbtxt naming both files, so `tensorboard --logdir DIR`
 * finds them. Every file goes through emb_outfile (temp + rename). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "emb/io.h"
#include "emb/map.h"

static int write_file(const char *dir, const char *name, int (*body)(FILE *, const void *), const void *ctx,
                      struct emb_err *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return emb_err_set(err, EMB_EINVAL, "export: directory name too long");
    struct emb_outfile *f = NULL;
    int rc = emb_outfile_open(&f, path, err);
    if (rc != EMB_OK) return rc;
    if (body(emb_outfile_stream(f), ctx) != 0) {
        emb_outfile_abort(f);
        return emb_err_set(err, EMB_EIO, "export: writing %s failed", path);
    }
    return emb_outfile_commit(f, err);
}

struct export_job {
    const struct emb_vocab *vocab;
    const struct emb_table *t;
    int64_t n;
};

static int write_vectors(FILE *f, const void *ctx) {
    const struct export_job *j = ctx;
    for (int64_t i = 0; i < j->n; i++) {
        const float *row = emb_table_row(j->t, i);
        for (int32_t c = 0; c < j->t->dim; c++)
            if (fprintf(f, c ? "\t%.9g" : "%.9g", row[c]) < 0) return -1;
        if (fputc('\n', f) == EOF) return -1;
    }
    return 0;
}

static int write_metadata(FILE *f, const void *ctx) {
    const struct export_job *j = ctx;
    for (int64_t i = 0; i < j->n; i++)
        if (fprintf(f, "%s\n", emb_vocab_word(j->vocab, (int32_t)i)) < 0) return -1;
    return 0;
}

static int write_config(FILE *f, const void *ctx) {
    (void)ctx;
    return fputs("embeddings {\n  tensor_name: \"emb\"\n  tensor_path: \"vectors.tsv\"\n"
                 "  metadata_path: \"metadata.tsv\"\n}\n",
                 f) < 0;
}

int emb_map_export_tensorboard(const struct emb_vocab *vocab, const struct emb_table *t, int64_t n, const char *dir,
                               struct emb_err *err) {
    if (!vocab || !t || !dir || n < 1 || n > t->n_rows || n > emb_vocab_size(vocab))
        return emb_err_set(err, EMB_EINVAL, "export: nothing to write");
    for (int64_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(vocab, (int32_t)i);
        if (strpbrk(w, "\t\n\r"))
            return emb_err_set(err, EMB_EINVAL, "export: word %lld contains a tab or line break", (long long)i);
        if (!*w) return emb_err_set(err, EMB_EINVAL, "export: word %lld is empty", (long long)i);
    }
    if (emb_table_find_nonfinite(t) >= 0 && emb_table_find_nonfinite(t) < n * t->dim)
        return emb_err_set(err, EMB_ENUMERIC, "export: non-finite vector value");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return emb_err_set(err, EMB_EIO, "export: cannot create %s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return emb_err_set(err, EMB_EIO, "export: %s is not a directory", dir);
    struct export_job j = {vocab, t, n};
    int rc = write_file(dir, "vectors.tsv", write_vectors, &j, err);
    if (rc == EMB_OK) rc = write_file(dir, "metadata.tsv", write_metadata, &j, err);
    if (rc == EMB_OK) rc = write_file(dir, "projector_config.pbtxt", write_config, &j, err);
    return rc;
}
