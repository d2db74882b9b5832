/* simd.c -- SIMD level detection and choice (simd.h). */
#include <stdlib.h>
#include <string.h>

#include "emb/simd.h"

static int cpu_has(enum emb_simd level) {
#if EMB_X86
    __builtin_cpu_init();
    if (level == EMB_SIMD_AVX512) return __builtin_cpu_supports("avx512f");
    if (level == EMB_SIMD_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return level == EMB_SIMD_REF;
#else
    return level == EMB_SIMD_REF;
#endif
}

/* EMB_SIMD in the environment caps AUTO; unknown words are ignored. */
static enum emb_simd env_cap(void) {
    const char *s = getenv("EMB_SIMD");
    enum emb_simd v;
    if (s && *s && emb_simd_parse(s, &v, NULL) == EMB_OK && v != EMB_SIMD_AUTO) return v;
    return EMB_SIMD_AVX512;
}

enum emb_simd emb_simd_resolve(enum emb_simd want) {
    enum emb_simd top = want == EMB_SIMD_AUTO ? env_cap() : want;
    if (top >= EMB_SIMD_AVX512 && cpu_has(EMB_SIMD_AVX512)) return EMB_SIMD_AVX512;
    if (top >= EMB_SIMD_AVX2 && cpu_has(EMB_SIMD_AVX2)) return EMB_SIMD_AVX2;
    return EMB_SIMD_REF;
}

const char *emb_simd_name(enum emb_simd kind) {
    switch (kind) {
    case EMB_SIMD_AVX2: return "avx2";
    case EMB_SIMD_AVX512: return "avx512";
    case EMB_SIMD_REF: return "ref";
    default: return "auto";
    }
}

int emb_simd_parse(const char *s, enum emb_simd *out, struct emb_err *err) {
    static const enum emb_simd all[] = {EMB_SIMD_AUTO, EMB_SIMD_REF, EMB_SIMD_AVX2, EMB_SIMD_AVX512};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, emb_simd_name(all[i])) == 0) {
            *out = all[i];
            return EMB_OK;
        }
    return emb_err_set(err, EMB_EINVAL, "unknown SIMD level '%s' (auto, ref, avx2, avx512)", s);
}
