/* ckpt_mut.h -- mutations of CRC-framed native files (io.h), shared by the
 * checkpoint mutation test (src/models/ckpt_test.c) and the checkpoint
 * fuzz harnesses (fuzz/fuzz_ckpt_*.c).
 *
 * ckpt_mutate damages a file as a disk, a bad copy or a hostile user might:
 * flipped bits, random bytes, extreme values in 4- and 8-byte fields,
 * truncation, junk appended. ckpt_fix_crcs then rewrites both CRCs of the
 * layout (the header's, after the key/value text, and the trailing one)
 * so a mutated file also gets past the checksums and reaches the parser
 * behind them, whose every read must be bounded on its own. */
#ifndef EMB_CKPT_MUT_H
#define EMB_CKPT_MUT_H

#include <stdint.h>
#include <string.h>
#include <zlib.h>

static inline uint64_t ckpt_mut_next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Rewrite the header CRC (at 16 + kv bytes) and the trailing CRC (last 4
 * bytes) of b[0, n) where they fit. */
static inline void ckpt_fix_crcs(unsigned char *b, size_t n) {
    if (n < 16) return;
    uint32_t kv;
    memcpy(&kv, b + 12, 4);
    size_t h = 16 + (size_t)kv;
    if (kv > n || h + 4 > n) return;
    uint32_t c = (uint32_t)crc32(0, b, (uInt)h);
    memcpy(b + h, &c, 4);
    if (n < h + 8) return;
    c = (uint32_t)crc32_z(0, b, n - 4);
    memcpy(b + n - 4, &c, 4);
}

/* Mutate b[0, n) in place (cap >= n + 16 bytes of room); returns the new
 * length. */
static inline size_t ckpt_mutate(unsigned char *b, size_t n, size_t cap, uint64_t *s) {
    if (n == 0) return 0;
    uint64_t r = ckpt_mut_next(s);
    switch (r % 6) {
    case 0: /* flip 1..4 bits */
        for (int k = 0; k < 1 + (int)((r >> 8) % 4); k++) {
            uint64_t x = ckpt_mut_next(s);
            b[x % n] ^= (unsigned char)(1u << ((x >> 32) % 8));
        }
        return n;
    case 1: /* set 1..4 bytes */
        for (int k = 0; k < 1 + (int)((r >> 8) % 4); k++) {
            uint64_t x = ckpt_mut_next(s);
            b[x % n] = (unsigned char)(x >> 40);
        }
        return n;
    case 2: { /* an extreme value in a 4- or 8-byte field */
        static const uint64_t v[] = {0, 1, 0xFFFFFFFFFFFFFFFFull, 0x7FFFFFFFull, 0x80000000ull, 0x7FFFFFFFFFFFFFFFull,
                                     0x8000000000000000ull, 0xFFFFFFFFull, 0x100000000ull, 0x7FC00000ull};
        uint64_t x = ckpt_mut_next(s), val = v[(x >> 8) % (sizeof v / sizeof v[0])];
        size_t w = (x & 1) ? 8 : 4, at = (size_t)(x >> 20) % n;
        if (at + w > n) at = n - w < n ? n - w : 0;
        if (w <= n) memcpy(b + at, &val, w);
        return n;
    }
    case 3: { /* a digit in the key/value text */
        uint32_t kv;
        if (n < 16) return n;
        memcpy(&kv, b + 12, 4);
        if (kv == 0 || 16 + (size_t)kv > n) return n;
        size_t at = 16 + (size_t)((r >> 8) % kv);
        b[at] = (unsigned char)("0123456789-=\n\0x9"[(r >> 40) % 16]);
        return n;
    }
    case 4: /* truncate */
        return (size_t)((r >> 8) % n);
    default: { /* append junk */
        size_t k = 1 + (size_t)((r >> 8) % 16);
        if (n + k > cap) k = cap - n;
        for (size_t i = 0; i < k; i++) b[n + i] = (unsigned char)(ckpt_mut_next(s) >> 56);
        return n + k;
    }
    }
}

#endif
