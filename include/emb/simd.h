/* simd.h -- the one place where emb chooses its SIMD level.
 *
 * Kernels with intrinsics live beside the code that needs them (vec.c for
 * the general ones, a model's file for its own), compiled with the
 * EMB_TARGET_* attributes below; which one runs is decided here, once, by
 * emb_simd_resolve. Nothing else asks the CPU what it supports.
 *
 *     #if EMB_X86
 *     EMB_TARGET_AVX2 static float dot_avx2(...) { ... }
 *     #endif
 *     switch (emb_simd_resolve(want)) { case EMB_SIMD_AVX2: ... } */
#ifndef EMB_SIMD_H
#define EMB_SIMD_H

#include "emb/err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum emb_simd {
    EMB_SIMD_AUTO = 0,   /* best the CPU supports */
    EMB_SIMD_REF = 1,    /* scalar reference */
    EMB_SIMD_AVX2 = 2,   /* AVX2 + FMA (falls back to REF if unsupported) */
    EMB_SIMD_AVX512 = 3, /* AVX-512F (falls back to AVX2, then REF) */
};

/* The level that runs for `want`: AUTO takes AVX-512F, else AVX2+FMA, else
 * REF; a named level falls back to the next one the CPU supports. Never
 * returns AUTO. The environment variable EMB_SIMD (ref, avx2, avx512) caps
 * AUTO, so a user can rule out a level without a rebuild. */
enum emb_simd emb_simd_resolve(enum emb_simd want);
/* "auto", "ref", "avx2", "avx512". */
const char *emb_simd_name(enum emb_simd kind);
/* The inverse of emb_simd_name; EMB_EINVAL naming the word otherwise. */
int emb_simd_parse(const char *s, enum emb_simd *out, struct emb_err *err);

/* Compile-time: can this compiler build x86 kernels with target attributes? */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMB_X86 1
#define EMB_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define EMB_TARGET_AVX512 __attribute__((target("avx512f")))
#else
#define EMB_X86 0
#define EMB_TARGET_AVX2
#define EMB_TARGET_AVX512
#endif

#ifdef __cplusplus
}
#endif

#endif
