/* fuzz_ckpt_kge.c -- libFuzzer harness for knowledge-graph training
 * checkpoints (loaded by emb_kge_train with resume).
 *
 *     make fuzz && build-fuzz/fuzz_ckpt_kge -max_total_time=300 fuzz/corpus/ckpt_kge
 *
 * A checkpoint is checked against the dataset and settings of the run that
 * resumes it, so the harness has fixed ones: the 10-entity dataset below
 * (also fuzz/corpus/ckpt_kge/DATA.tsv) and `--model rotate --dim 4
 * --negatives 4 --batch 8 --steps 40 --threads 1` (the seeds were written
 * by `emb train kge` with those options and --checkpoint-every 10; one
 * with --valid-every so that it holds best tables, after copying the
 * triples to valid.tsv). The run is stopped at once, so a checkpoint that
 * loads ends in EMB_EINTR (and is written again). See ckpt_fuzz.h. */
#include <signal.h>
#include <sys/stat.h>

#include "ckpt_fuzz.h"
#include "emb/kge.h"

static char g_in[96];
static struct emb_kg *g_kg;
static volatile sig_atomic_t g_stop = 1;

static const char TRIPLES[] = "e0\tr1\te1\ne1\tr1\te2\ne2\tr1\te3\ne3\tr1\te4\ne4\tr1\te5\ne5\tr1\te6\n"
                              "e6\tr1\te7\ne7\tr1\te8\ne8\tr1\te9\ne9\tr1\te0\ne0\tr2\te5\ne1\tr2\te6\n"
                              "e2\tr2\te7\ne3\tr2\te8\ne4\tr2\te9\n";

static void load(const char *path) {
    struct emb_err err = {0};
    struct emb_kge_params p = emb_kge_default_params();
    p.model = EMB_KGE_ROTATE;
    p.dim = 4;
    p.negatives = 4;
    p.batch = 8;
    p.steps = 40;
    struct emb_train_opts o = emb_train_default_opts();
    o.checkpoint_path = path;
    o.resume = 1;
    o.stop = &g_stop;
    struct emb_kge *m = NULL;
    int rc = emb_kge_train(g_kg, &p, &o, &m, &err);
    require_clean(rc, &err, EMB_EINTR);
    if (rc != EMB_OK) REQUIRE(m == NULL);
    emb_kge_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        fuzz_dir("fuzz_ckpt_kge");
        char kgdir[96], train[128];
        path_in(kgdir, sizeof kgdir, "kg");
        REQUIRE(mkdir(kgdir, 0700) == 0);
        snprintf(train, sizeof train, "%s/train.tsv", kgdir);
        write_bytes(train, TRIPLES, sizeof TRIPLES - 1);
        struct emb_err err = {0};
        REQUIRE(emb_kg_load(&g_kg, kgdir, &err) == EMB_OK);
        path_in(g_in, sizeof g_in, "in.ckpt");
    }
    load_both(g_in, data, size, load);
    return 0;
}
