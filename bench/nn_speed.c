/* nn_speed.c -- times the nn kit's linear layer and LSTM, forward +
 * backward, for bench/nn.py (which runs PyTorch on the same shapes).
 *
 *   build/bench/nn_speed linear B IN OUT REPS
 *   build/bench/nn_speed lstm T B IN H REPS
 *
 * Prints one line of JSON: the seconds of each repetition (after one
 * warm-up). Threads: OpenBLAS's (OPENBLAS_NUM_THREADS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emb/nn.h"
#include "emb/rng.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *randv(struct emb_rng *r, int64_t n) {
    float *v = malloc((size_t)n * sizeof *v);
    for (int64_t i = 0; i < n; i++) v[i] = emb_rng_uniform(r) * 0.2f - 0.1f;
    return v;
}

int main(int argc, char **argv) {
    struct emb_rng r;
    emb_rng_seed(&r, 1, 0);
    if (argc == 6 && !strcmp(argv[1], "linear")) {
        int64_t B = atoll(argv[2]), in = atoll(argv[3]), out = atoll(argv[4]);
        int reps = atoi(argv[5]);
        float *x = randv(&r, B * in), *w = randv(&r, out * in), *b = randv(&r, out), *dy = randv(&r, B * out);
        float *y = calloc((size_t)(B * out), 4), *dx = calloc((size_t)(B * in), 4), *dw = calloc((size_t)(out * in), 4),
              *db = calloc((size_t)out, 4);
        printf("[");
        for (int k = 0; k <= reps; k++) {
            double t0 = now();
            emb_nn_linear_forward(y, x, w, b, B, in, out);
            memset(dx, 0, (size_t)(B * in) * 4), memset(dw, 0, (size_t)(out * in) * 4), memset(db, 0, (size_t)out * 4);
            emb_nn_linear_backward(dx, dw, db, dy, x, w, B, in, out);
            if (k) printf("%s%.6f", k > 1 ? ", " : "", now() - t0);
        }
        printf("]\n");
        return 0;
    }
    if (argc == 7 && !strcmp(argv[1], "lstm")) {
        int64_t T = atoll(argv[2]), B = atoll(argv[3]), in = atoll(argv[4]), H = atoll(argv[5]);
        int reps = atoi(argv[6]);
        struct emb_nn_rnn l = {in, H, 4, randv(&r, 4 * H * in), randv(&r, 4 * H * H), randv(&r, 4 * H),
                               randv(&r, 4 * H)};
        struct emb_nn_rnn g = {in, H, 4, calloc((size_t)(4 * H * in), 4), calloc((size_t)(4 * H * H), 4),
                               calloc((size_t)(4 * H), 4), calloc((size_t)(4 * H), 4)};
        float *x = randv(&r, T * B * in), *dy = randv(&r, T * B * H), *h = calloc((size_t)(T * B * H), 4),
              *dx = calloc((size_t)(T * B * in), 4), *cache = calloc((size_t)emb_nn_rnn_cache_floats(&l, T, B), 4);
        printf("[");
        for (int k = 0; k <= reps; k++) {
            double t0 = now();
            emb_nn_lstm_forward(h, cache, &l, x, NULL, NULL, T, B);
            memset(dx, 0, (size_t)(T * B * in) * 4);
            memset(g.w_ih, 0, (size_t)(4 * H * in) * 4), memset(g.w_hh, 0, (size_t)(4 * H * H) * 4);
            memset(g.b_ih, 0, (size_t)(4 * H) * 4), memset(g.b_hh, 0, (size_t)(4 * H) * 4);
            emb_nn_lstm_backward(dx, &g, NULL, NULL, dy, cache, &l, x, T, B);
            if (k) printf("%s%.6f", k > 1 ? ", " : "", now() - t0);
        }
        printf("]\n");
        return 0;
    }
    fprintf(stderr, "usage: nn_speed linear B IN OUT REPS | lstm T B IN H REPS\n");
    return 2;
}
