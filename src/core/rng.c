/* rng.c -- seeding for xoshiro256** streams and a normal deviate. */
#include <math.h>

#include "emb/rng.h"

/* splitmix64: the recommended way to expand a 64-bit seed into xoshiro
 * state. 0x9e3779b97f4a7c15 is 2^64 divided by the golden ratio, which
 * spreads consecutive inputs over the whole 64-bit range. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void emb_rng_seed(struct emb_rng *r, uint64_t seed, uint64_t stream) {
    /* Mix the stream number through splitmix first so streams 0,1,2...
     * of one seed start far apart in the splitmix sequence. */
    uint64_t x = stream;
    uint64_t base = seed ^ splitmix64(&x);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&base);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* never all zero */
}

double emb_rng_normal(struct emb_rng *r) {
    double u1 = emb_rng_uniform_d(r), u2 = emb_rng_uniform_d(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
