/* rng.h -- small, fast, reproducible random streams (xoshiro256**).
 *
 * A stream is a value the caller owns and passes by pointer; nothing is
 * global. Independent per-thread streams come from one seed:
 *
 *     struct emb_rng r;
 *     emb_rng_seed(&r, seed, thread_id);   // stream `thread_id` of `seed`
 *     uint64_t x = emb_rng_next(&r);
 *     float u = emb_rng_uniform(&r);        // [0, 1)
 *
 * Same (seed, stream) gives the same sequence on every platform. */
#ifndef EMB_RNG_H
#define EMB_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emb_rng {
    uint64_t s[4];
};

/* Seed stream number `stream` of `seed` (state expanded with splitmix64). */
void emb_rng_seed(struct emb_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t emb_rng_rotl_(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Next 64 random bits. */
static inline uint64_t emb_rng_next(struct emb_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = emb_rng_rotl_(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = emb_rng_rotl_(s[3], 45);
    return out;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n/2^64). */
__extension__ typedef unsigned __int128 emb_u128_;
static inline uint64_t emb_rng_below(struct emb_rng *r, uint64_t n) {
    return (uint64_t)(((emb_u128_)emb_rng_next(r) * n) >> 64);
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float emb_rng_uniform(struct emb_rng *r) {
    return (float)(emb_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double emb_rng_uniform_d(struct emb_rng *r) {
    return (double)(emb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal deviate (Box-Muller, one value per call). */
double emb_rng_normal(struct emb_rng *r);

#ifdef __cplusplus
}
#endif
#endif
