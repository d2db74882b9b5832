/* fuzz_kg.c -- libFuzzer harness for the triple reader (emb_kg_load) and
 * the filtered ranking over whatever loads (kgeval.h).
 *
 *     make fuzz && build-fuzz/fuzz_kg -max_total_time=300 fuzz/corpus/kg
 *
 * Each input is split into train, valid and test files of a dataset
 * folder (on tmpfs when there is one): the first two bytes place the cuts,
 * the third says which of valid/test exist and whether they are named
 * .tsv or .txt. Besides "no crash, no leak", the harness checks (abort on
 * failure):
 *   - emb_kg_load succeeds or fails with a status and a message;
 *   - on success ids are in range, names find their ids, in_train marks
 *     exactly the entities of train triples, and no name is empty or holds
 *     a tab or a newline;
 *   - the filter index lists every triple's tail under (h, r) and head
 *     under (r, t), sorted and without duplicates;
 *   - with test triples, a small random DistMult model over the dataset's
 *     names evaluates without error (or EMB_EEMPTY when every test triple
 *     has an unseen entity), with ranks in [1, n_entities] and the same
 *     metrics for 1 and 2 threads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emb/kg.h"
#include "emb/kge.h"
#include "emb/kgeval.h"

static char g_dir[64];
static const char *NAMES[] = {"train.tsv", "valid.tsv", "test.tsv", "valid.txt", "test.txt"};

#define REQUIRE(c)                                                          \
    do {                                                                    \
        if (!(c)) {                                                         \
            fprintf(stderr, "fuzz_kg: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                        \
        }                                                                   \
    } while (0)

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", g_dir, name); }

static void cleanup(void) {
    char p[128];
    for (int i = 0; i < 5; i++) {
        path_of(p, sizeof p, NAMES[i]);
        unlink(p);
    }
    rmdir(g_dir);
}

static void put(const char *name, const uint8_t *data, size_t n) {
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    REQUIRE(f);
    REQUIRE(n == 0 || fwrite(data, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static void check_split(const struct emb_kg *kg, const struct emb_triples *s) {
    REQUIRE(s->n >= 0);
    for (int64_t i = 0; i < s->n; i++) {
        REQUIRE(s->h[i] >= 0 && s->h[i] < kg->n_entities && s->t[i] >= 0 && s->t[i] < kg->n_entities);
        REQUIRE(s->r[i] >= 0 && s->r[i] < kg->n_relations);
    }
}

static void check_names(const struct emb_vocab *v, int32_t n) {
    REQUIRE(emb_vocab_size(v) == n);
    for (int32_t i = 0; i < n; i++) {
        const char *w = emb_vocab_word(v, i);
        size_t len = strlen(w);
        REQUIRE(len > 0 && !strchr(w, '\t') && !strchr(w, '\n'));
        REQUIRE(emb_vocab_find(v, w, len) == i);
    }
}

static void check_filter(const struct emb_kg *kg) {
    struct emb_err err = {0};
    struct emb_kgeval_filter *f = NULL;
    REQUIRE(emb_kgeval_filter_new(&f, NULL, kg, &err) == EMB_OK);
    const struct emb_triples *sp[3] = {&kg->train, &kg->valid, &kg->test};
    for (int s = 0; s < 3; s++)
        for (int64_t i = 0; i < sp[s]->n; i++) {
            int64_t n = 0, hit = 0;
            const int32_t *v = emb_kgeval_filter_tails(f, sp[s]->h[i], sp[s]->r[i], &n);
            for (int64_t j = 0; j < n; j++) {
                if (j) REQUIRE(v[j - 1] < v[j]);
                hit += v[j] == sp[s]->t[i];
            }
            REQUIRE(hit == 1);
            v = emb_kgeval_filter_heads(f, sp[s]->r[i], sp[s]->t[i], &n);
            hit = 0;
            for (int64_t j = 0; j < n; j++) {
                if (j) REQUIRE(v[j - 1] < v[j]);
                hit += v[j] == sp[s]->h[i];
            }
            REQUIRE(hit == 1);
        }
    emb_kgeval_filter_free(f);
}

/* A random DistMult model of dim 3 over the dataset's names (shared vocab
 * pointers: the model is freed by hand, not with emb_kge_free). */
static void check_eval(const struct emb_kg *kg) {
    struct emb_err err = {0};
    struct emb_kge m;
    memset(&m, 0, sizeof m);
    m.model = EMB_KGE_DISTMULT;
    m.dim = 3;
    m.p_norm = 1;
    REQUIRE(emb_table_new(&m.ent, kg->n_entities, 3, &err) == EMB_OK);
    REQUIRE(emb_table_new(&m.rel, kg->n_relations, 3, &err) == EMB_OK);
    emb_table_init_uniform(m.ent, 1.0f, 1);
    emb_table_init_uniform(m.rel, 1.0f, 2);
    m.ent_names = kg->entities;
    m.rel_names = kg->relations;
    struct emb_kgeval_result res[2];
    int rc[2];
    for (int v = 0; v < 2; v++) {
        struct emb_kgeval_params p = emb_kgeval_default_params();
        p.n_threads = v + 1;
        p.keep_ranks = p.per_relation = 1;
        rc[v] = emb_kgeval_run(&m, kg, &p, &res[v], &err);
    }
    REQUIRE(rc[0] == rc[1]);
    if (rc[0] == EMB_OK) {
        REQUIRE(res[0].n_triples == kg->test.n && res[0].both.n == 2 * kg->test.n);
        for (int64_t i = 0; i < kg->test.n; i++) {
            REQUIRE(res[0].rank_tail[i] >= 1 && res[0].rank_tail[i] <= kg->n_entities);
            REQUIRE(res[0].rank_head[i] >= 1 && res[0].rank_head[i] <= kg->n_entities);
            REQUIRE(res[0].rank_tail[i] == res[1].rank_tail[i] && res[0].rank_head[i] == res[1].rank_head[i]);
        }
        REQUIRE(memcmp(&res[0].both, &res[1].both, sizeof res[0].both) == 0);
        emb_kgeval_result_free(&res[0]);
        emb_kgeval_result_free(&res[1]);
    } else {
        REQUIRE(rc[0] == EMB_EEMPTY && res[0].rank_tail == NULL);
    }
    emb_table_free(m.ent);
    emb_table_free(m.rel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof g_dir, "%s/fuzz_kg_XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(g_dir)) abort();
        atexit(cleanup);
    }
    if (size < 3) return 0;
    size_t n = size - 3, a = (size_t)data[0] * n / 255, b = (size_t)data[1] * n / 255;
    uint8_t opt = data[2];
    if (a > b) {
        size_t t = a;
        a = b;
        b = t;
    }
    const uint8_t *body = data + 3;
    cleanup();
    if (mkdir(g_dir, 0700) != 0) abort();
    put("train.tsv", body, a);
    if (opt & 1) put(opt & 4 ? "valid.txt" : "valid.tsv", body + a, b - a);
    if (opt & 2) put(opt & 8 ? "test.txt" : "test.tsv", body + b, n - b);
    struct emb_err err = {0};
    struct emb_kg *kg = NULL;
    int rc = emb_kg_load(&kg, g_dir, &err);
    if (rc != EMB_OK) {
        REQUIRE(rc < 0 && err.code == rc && err.msg[0] != '\0' && kg == NULL);
        return 0;
    }
    REQUIRE(kg->n_entities >= 1 && kg->n_relations >= 1 && kg->train.n >= 1);
    check_names(kg->entities, kg->n_entities);
    check_names(kg->relations, kg->n_relations);
    check_split(kg, &kg->train);
    check_split(kg, &kg->valid);
    check_split(kg, &kg->test);
    uint8_t *seen = calloc((size_t)kg->n_entities, 1);
    REQUIRE(seen);
    for (int64_t i = 0; i < kg->train.n; i++) seen[kg->train.h[i]] = seen[kg->train.t[i]] = 1;
    for (int32_t e = 0; e < kg->n_entities; e++) REQUIRE(!!kg->in_train[e] == seen[e]);
    free(seen);
    check_filter(kg);
    if (kg->test.n > 0 && kg->n_entities <= 2000) check_eval(kg);
    emb_kg_free(kg);
    return 0;
}
