/* arena_test.c -- parameter arena: layout, optimiser steps over the whole
 * arena, save/load round trips (with and without optimiser state), and
 * refusal of files that do not fit the declared model or are damaged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emb/arena.h"
#include "emb/io.h"
#include "test.h"

static char dir[64];

static int make(struct emb_arena *a, int state, int64_t cols_b) {
    struct emb_err err = {0};
    emb_arena_init(a);
    CHECK_OK(emb_arena_add(a, "enc.w", 3, 5, &err));
    CHECK_OK(emb_arena_add(a, "enc.b", 1, cols_b, &err));
    CHECK_OK(emb_arena_alloc(a, state, &err));
    return 0;
}

static int test_layout_and_step(void) {
    struct emb_arena a;
    struct emb_err err = {0};
    CHECK(make(&a, 1, 5) == 0);
    struct emb_arena_param *w = emb_arena_get(&a, "enc.w"), *b = emb_arena_get(&a, "enc.b");
    CHECK(w && b && !emb_arena_get(&a, "nope"));
    CHECK(w->n == 15 && b->n == 5);
    CHECK(((uintptr_t)w->w % 64) == 0 && ((uintptr_t)b->w % 64) == 0 && ((uintptr_t)b->g % 64) == 0);
    for (int i = 0; i < 15; i++) CHECK(w->w[i] == 0 && w->g[i] == 0 && w->m[i] == 0 && w->v[i] == 0);
    CHECK(emb_arena_add(&a, "late", 1, 1, &err) == EMB_EINVAL);
    /* Adam over the arena equals Adam per parameter */
    for (int i = 0; i < 15; i++) w->w[i] = (float)i / 7, w->g[i] = (float)(i % 4) - 1.5f;
    for (int i = 0; i < 5; i++) b->w[i] = -(float)i, b->g[i] = 0.25f * (float)i;
    float rw[15], rg[15], rm[15] = {0}, rv[15] = {0};
    memcpy(rw, w->w, sizeof rw), memcpy(rg, w->g, sizeof rg);
    struct emb_optim o = emb_optim_adam(0.01f), ro = emb_optim_adam(0.01f);
    emb_arena_step(&a, &o);
    struct emb_optim_param t = {rw, rg, rm, rv, 15};
    emb_optim_step(&ro, &t, 1);
    for (int i = 0; i < 15; i++) CHECK(w->w[i] == rw[i]);
    CHECK(b->w[0] == 0.0f); /* zero gradient, zero moments: no move */
    emb_arena_zero_grad(&a);
    for (int i = 0; i < 15; i++) CHECK(w->g[i] == 0);
    emb_arena_free(&a);
    /* bad declarations */
    emb_arena_init(&a);
    CHECK(emb_arena_add(&a, "x", 0, 3, &err) == EMB_EINVAL);
    CHECK(emb_arena_add(&a, "", 1, 3, &err) == EMB_EINVAL);
    CHECK_OK(emb_arena_add(&a, "x", 1, 3, &err));
    CHECK(emb_arena_add(&a, "x", 2, 3, &err) == EMB_EDUP);
    emb_arena_free(&a);
    return 0;
}

static int test_roundtrip(void) {
    struct emb_err err = {0};
    char path[128];
    snprintf(path, sizeof path, "%s/m.arena", dir);
    struct emb_arena a, b;
    CHECK(make(&a, 1, 5) == 0);
    for (int i = 0; i < 15; i++) a.p[0].w[i] = (float)i * 0.5f - 3, a.p[0].g[i] = 0.1f * (float)i;
    for (int i = 0; i < 5; i++) a.p[1].w[i] = (float)i, a.p[1].g[i] = -0.2f;
    struct emb_optim o = emb_optim_adam(0.05f);
    emb_arena_step(&a, &o);
    emb_arena_step(&a, &o);
    CHECK_OK(emb_arena_save(&a, &o, path, "hidden=5\n", &err));
    CHECK(make(&b, 1, 5) == 0);
    struct emb_optim ob = emb_optim_adam(0.05f);
    char *kv = NULL;
    CHECK_OK(emb_arena_load(&b, &ob, path, &kv, &err));
    char buf[16];
    CHECK(emb_kv_get(kv, "hidden", buf, sizeof buf) == 1 && !strcmp(buf, "5"));
    emb_free(kv);
    CHECK(ob.step == 2);
    for (int k = 0; k < 2; k++)
        for (int64_t i = 0; i < a.p[k].n; i++)
            CHECK(a.p[k].w[i] == b.p[k].w[i] && a.p[k].m[i] == b.p[k].m[i] && a.p[k].v[i] == b.p[k].v[i]);
    /* resumed training takes the same next step */
    memcpy(b.p[0].g, a.p[0].g, 15 * sizeof(float)), memcpy(b.p[1].g, a.p[1].g, 5 * sizeof(float));
    emb_arena_step(&a, &o);
    emb_arena_step(&b, &ob);
    for (int i = 0; i < 15; i++) CHECK(a.p[0].w[i] == b.p[0].w[i]);
    /* a stateless arena loads the values of a file with state */
    struct emb_arena c;
    CHECK(make(&c, 0, 5) == 0);
    CHECK_OK(emb_arena_load(&c, NULL, path, NULL, &err));
    CHECK(c.p[0].m == NULL);
    /* a file without state zeroes a stateful arena's m, v and step */
    char plain[128];
    snprintf(plain, sizeof plain, "%s/plain.arena", dir);
    CHECK_OK(emb_arena_save(&c, NULL, plain, NULL, &err));
    CHECK(b.p[0].m[3] != 0);
    CHECK_OK(emb_arena_load(&b, &ob, plain, NULL, &err));
    CHECK(b.p[0].m[3] == 0 && b.p[1].v[2] == 0 && ob.step == 0 && b.p[0].w[3] == c.p[0].w[3]);
    /* non-finite values are never saved */
    b.p[1].w[4] = NAN;
    CHECK(emb_arena_save(&b, &ob, plain, NULL, &err) == EMB_ENUMERIC && strstr(err.msg, "enc.b"));
    b.p[1].w[4] = 0;
    /* another shape or another parameter list is refused, naming it */
    struct emb_arena d;
    CHECK(make(&d, 1, 6) == 0);
    CHECK(emb_arena_load(&d, NULL, path, NULL, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, "enc.b") && strstr(err.msg, "1 x 5"));
    struct emb_arena e;
    emb_arena_init(&e);
    CHECK_OK(emb_arena_add(&e, "enc.w", 3, 5, &err));
    CHECK_OK(emb_arena_add(&e, "dec.b", 1, 5, &err));
    CHECK_OK(emb_arena_alloc(&e, 0, &err));
    CHECK(emb_arena_load(&e, NULL, path, NULL, &err) == EMB_EFORMAT);
    CHECK(strstr(err.msg, "dec.b"));
    /* every single-bit flip and every truncation is refused, never loaded */
    size_t n = 0;
    char *raw = test_read_all(path, &n);
    CHECK(raw && n > 100);
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad.arena", dir);
    for (size_t at = 0; at < n; at++) {
        for (int bit = 0; bit < 8; bit += 3) {
            raw[at] ^= (char)(1 << bit);
            CHECK(test_write_file(bad, raw, n) == 0);
            struct emb_err e2 = {0};
            int rc = emb_arena_load(&c, NULL, bad, NULL, &e2);
            raw[at] ^= (char)(1 << bit);
            if (rc == EMB_OK) {
                fprintf(stderr, "a flipped bit %d at byte %zu loaded\n", bit, at);
                return 1;
            }
            CHECK(e2.msg[0] != '\0');
        }
        CHECK(test_write_file(bad, raw, at) == 0);
        struct emb_err e3 = {0};
        CHECK(emb_arena_load(&c, NULL, bad, NULL, &e3) != EMB_OK);
    }
    free(raw);
    emb_arena_free(&a), emb_arena_free(&b), emb_arena_free(&c), emb_arena_free(&d), emb_arena_free(&e);
    return 0;
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/emb-arena-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    int failed = 0;
    RUN(test_layout_and_step);
    RUN(test_roundtrip);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    return failed != 0;
}
