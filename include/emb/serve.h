/* serve.h -- the HTTP service as a library (libemb_serve): nearest
 * neighbours, similarity, analogies, raw-vector search, completion and a
 * 2-D map as a JSON API, and a small web page at /, over vectors (and an
 * optional index) the caller has loaded. `emb serve` is one user; any
 * program can embed it:
 *
 *     struct emb_vecs *v = NULL;
 *     emb_vecs_load(&v, "vectors.bin", EMB_FMT_AUTO, 0, NULL, &err);
 *     struct emb_serve_opts o = emb_serve_default_opts();
 *     o.port = 0;                                  // any free port
 *     struct emb_serve *s = NULL;
 *     if (emb_serve_new(&s, &o, v, NULL, &err) == EMB_OK) {
 *         printf("%s\n", emb_serve_url(s));        // http://127.0.0.1:PORT/
 *         emb_serve_run(s, &stop);                 // until stop != 0
 *         emb_serve_free(s);
 *     }
 *     emb_vecs_free(v);
 *
 * Requests are answered from the moment emb_serve_new returns, by
 * libmicrohttpd's threads; emb_serve_run only waits for the stop flag
 * while it enforces the request deadline. Build and link with
 * -lemb_serve -lemb -lmicrohttpd -ljson-c. The endpoints are described in
 * README ("HTTP API").
 *
 * Signals: the server's threads inherit the signal mask of the thread that
 * calls emb_serve_new. A program that stops on SIGINT/SIGTERM should block
 * them before, and take them in one thread (as `emb serve` does); a client
 * that hangs up raises SIGPIPE, which the server never does itself (it
 * sends with MSG_NOSIGNAL where it can), but ignoring SIGPIPE is wise. */
#ifndef EMB_SERVE_H
#define EMB_SERVE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "emb/err.h"
#include "emb/index.h"
#include "emb/vecs.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emb_serve_opts {
    const char *host;            /* address to bind (default "127.0.0.1"; "0.0.0.0" or "::" for all) */
    int port;                    /* default 8080; 0 = any free port (see emb_serve_port) */
    int n_threads;               /* worker threads (default: number of CPUs) */
    int max_k;                   /* largest k a request may ask (default 1000) */
    size_t max_body;             /* largest request body in bytes (default 1 MiB) */
    unsigned max_connections;    /* open connections at most (default 1024) */
    unsigned max_per_ip;         /* open connections per client address (default 64; 0 = no cap) */
    unsigned timeout_s;          /* close connections idle this long (default 10) */
    unsigned request_timeout_s;  /* a request must arrive within this, else 408 (default 10; 0 = none) */
    /* Bound to loopback, only requests whose Host header is localhost,
     * 127.0.0.1 or [::1] are answered (403 otherwise), against DNS
     * rebinding; these names (no port) are also accepted, and when bound
     * to all addresses, giving any turns the check on. */
    const char *const *allow_host;
    int n_allow_host;
    int64_t map_size;            /* rows in the 2-D map, the first ones (default 5000) */
    const char *name;            /* the model's name in /v1/info (default "vectors") */
    /* Messages while serving (libmicrohttpd's, a lowered connection
     * limit), one line without newline; NULL = none. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
};

struct emb_serve_opts emb_serve_default_opts(void);

struct emb_serve;

/* Check the options, build the read-only model over vecs (and ix, which
 * must hold the same rows in the same order), bind host:port and start
 * answering. vecs and ix are borrowed: keep them until emb_serve_free.
 * Errors: EMB_EINVAL (bad option, index of other vectors, empty vectors),
 * EMB_EIO (address unknown, port in use: the message says why),
 * EMB_ENOMEM. The server raises the process's open-file limit to fit
 * max_connections, or lowers max_connections (with a warning). */
int emb_serve_new(struct emb_serve **out, const struct emb_serve_opts *o, const struct emb_vecs *vecs,
                  const struct emb_index *ix, struct emb_err *err);

/* The port bound (the kernel's choice for port 0), and the page's URL. */
int emb_serve_port(const struct emb_serve *s);
const char *emb_serve_url(const struct emb_serve *s);

/* Serve until *stop becomes non-zero (checked four times a second, and
 * at once when a signal interrupts the wait). Returns *stop. */
int emb_serve_run(struct emb_serve *s, const volatile sig_atomic_t *stop);

/* Stop answering (open connections are finished or closed) and free. */
void emb_serve_free(struct emb_serve *s);

#ifdef __cplusplus
}
#endif

#endif
