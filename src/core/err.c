/* err.c -- status codes, messages and the allocation hooks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emb/err.h"

const char *emb_strerror(int rc) {
    switch (rc) {
    case EMB_OK: return "ok";
    case EMB_ENOMEM: return "out of memory";
    case EMB_EIO: return "input/output error";
    case EMB_EFORMAT: return "malformed input";
    case EMB_EINVAL: return "invalid argument";
    case EMB_ENUMERIC: return "non-finite number";
    case EMB_ENOTFOUND: return "not found";
    case EMB_EEMPTY: return "empty input";
    case EMB_EINTR: return "interrupted";
    case EMB_ETHREAD: return "cannot create thread";
    case EMB_EDUP: return "duplicate entry";
    default: return "unknown error";
    }
}

int emb_err_set(struct emb_err *err, int rc, const char *fmt, ...) {
    if (!err) return rc;
    err->code = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return rc;
}

const char *emb_err_msg(const struct emb_err *err, int rc) {
    if (err && err->code == rc && err->msg[0]) return err->msg;
    return emb_strerror(rc);
}

void *emb_alloc(size_t n_bytes) { return malloc(n_bytes ? n_bytes : 1); }
void *emb_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *emb_realloc(void *p, size_t n_bytes) { return realloc(p, n_bytes ? n_bytes : 1); }
void emb_free(void *p) { free(p); }

/* 64 bytes: one cache line, and a whole AVX-512 register. */
#define EMB_ALIGN 64

void *emb_alloc_aligned(size_t n_bytes) {
    void *p = NULL;
    size_t n = (n_bytes + EMB_ALIGN - 1) / EMB_ALIGN * EMB_ALIGN;
    if (posix_memalign(&p, EMB_ALIGN, n ? n : EMB_ALIGN) != 0) return NULL;
    return p;
}

void emb_free_aligned(void *p) { free(p); }
