/* fuzz_arena.c -- libFuzzer harness for parameter arena files
 * (emb_arena_load, arena.h).
 *
 *     make fuzz && build-fuzz/fuzz_arena -max_total_time=300 fuzz/corpus/arena
 *
 * The arena declares two parameters, "enc.w" (3 x 5) and "enc.b" (1 x 5),
 * with optimiser state; the seeds in fuzz/corpus/arena were saved from it
 * (with and without state). Each input is loaded as given and with its
 * CRCs rewritten (ckpt_fuzz.h), so the parser behind the checksums is
 * fuzzed too. A load must succeed or fail with a status and a message; on
 * success every value is finite and the arena saves and loads back bit for
 * bit. */
#include <math.h>

#include "ckpt_fuzz.h"
#include "emb/arena.h"

static struct emb_arena g_a, g_b;
static char g_in[96], g_out[96];

static void declare(struct emb_arena *a) {
    struct emb_err err = {0};
    emb_arena_init(a);
    REQUIRE(emb_arena_add(a, "enc.w", 3, 5, &err) == EMB_OK);
    REQUIRE(emb_arena_add(a, "enc.b", 1, 5, &err) == EMB_OK);
    REQUIRE(emb_arena_alloc(a, 1, &err) == EMB_OK);
}

static void load(const char *path) {
    struct emb_err err = {0};
    struct emb_optim o = emb_optim_adam(0.01f);
    char *kv = NULL;
    memset(g_a.mem, 0, 4 * (size_t)g_a.n_floats * sizeof(float)); /* a fresh arena (arena.h) */
    int rc = emb_arena_load(&g_a, &o, path, &kv, &err);
    require_clean(rc, &err, EMB_OK);
    if (rc != EMB_OK) {
        REQUIRE(kv == NULL);
        return;
    }
    for (int k = 0; k < g_a.n_params; k++)
        for (int64_t i = 0; i < g_a.p[k].n; i++) REQUIRE(isfinite(g_a.p[k].w[i]) && isfinite(g_a.p[k].m[i]));
    REQUIRE(emb_arena_save(&g_a, &o, g_out, kv, &err) == EMB_OK);
    struct emb_optim o2 = emb_optim_adam(0.01f);
    REQUIRE(emb_arena_load(&g_b, &o2, g_out, NULL, &err) == EMB_OK);
    for (int k = 0; k < g_a.n_params; k++)
        REQUIRE(memcmp(g_a.p[k].w, g_b.p[k].w, (size_t)g_a.p[k].n * 4) == 0);
    emb_free(kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        fuzz_dir("fuzz_arena");
        path_in(g_in, sizeof g_in, "in.arena");
        path_in(g_out, sizeof g_out, "out.arena");
        declare(&g_a);
        declare(&g_b);
    }
    load_both(g_in, data, size, load);
    return 0;
}
