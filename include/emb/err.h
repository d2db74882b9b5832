/* err.h -- error codes and messages for every emb module.
 *
 * Every fallible function returns an int: EMB_OK (0) or a negative EMB_E*
 * code. Details go into an optional caller-provided struct emb_err (may be
 * NULL), so no global state is needed and messages are thread-safe:
 *
 *     struct emb_err err = {0};
 *     int rc = emb_vecs_load(&v, path, EMB_FMT_AUTO, &err);
 *     if (rc != EMB_OK) fprintf(stderr, "emb: %s\n", emb_err_msg(&err, rc));
 *
 * The library never prints and never exits; front ends decide what to do. */
#ifndef EMB_ERR_H
#define EMB_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum emb_status {
    EMB_OK = 0,
    EMB_ENOMEM = -1,     /* allocation failed */
    EMB_EIO = -2,        /* read/write/open failed (errno in the message) */
    EMB_EFORMAT = -3,    /* malformed input file */
    EMB_EINVAL = -4,     /* invalid argument or option value */
    EMB_ENUMERIC = -5,   /* NaN or infinity where a finite number is needed */
    EMB_ENOTFOUND = -6,  /* unknown word / id / key */
    EMB_EEMPTY = -7,     /* input holds nothing usable */
    EMB_EINTR = -8,      /* stopped on request (signal); state was saved */
    EMB_ETHREAD = -9,    /* thread creation failed */
    EMB_EDUP = -10,      /* duplicate key */
};

/* Caller-provided error detail. code mirrors the returned status. */
struct emb_err {
    int code;
    char msg[256];
};

/* Static text for a status code ("out of memory", ...). Never NULL. */
const char *emb_strerror(int rc);

/* Record rc and a printf-style message in err (if err is not NULL).
 * Returns rc so callers can write `return emb_err_set(err, EMB_EIO, ...)`. */
int emb_err_set(struct emb_err *err, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The best message for rc: err->msg when it was filled for this code,
 * else emb_strerror(rc). err may be NULL. */
const char *emb_err_msg(const struct emb_err *err, int rc);

/* Warnings: a run that goes on despite a problem (a periodic checkpoint
 * that could not be written) reports it through this callback, when the
 * caller set one, as a one-line message. */
typedef void (*emb_warn_fn)(void *ctx, const char *msg);

/* Allocation hooks: all emb memory goes through these. emb_alloc_aligned
 * returns 64-byte aligned memory, released with emb_free as well. */
void *emb_alloc(size_t n_bytes);
void *emb_calloc(size_t n, size_t size);
void *emb_realloc(void *p, size_t n_bytes);
void *emb_alloc_aligned(size_t n_bytes);
void emb_free(void *p);
void emb_free_aligned(void *p);

#ifdef __cplusplus
}
#endif
#endif
