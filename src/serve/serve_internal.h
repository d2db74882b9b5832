/* serve_internal.h -- the pieces of libemb_serve shared by its files:
 *
 *   request.c  query-string decoding, UTF-8 checks, JSON strings and error
 *              objects (used by both layers above it);
 *   http.c     libmicrohttpd callbacks, routing, bodies, deadlines; it
 *              answers requests through a route table of handlers (below)
 *              and knows nothing of the endpoints;
 *   api.c      the JSON endpoints and the route table (with the page);
 *   serve.c    the public emb_serve_* calls: socket, model, lifetime.
 *
 * Dependencies point one way: serve.c -> http.c, api.c -> request.c.
 *
 * DESIGN: everything a request reads is built at start-up and never
 * changes (struct serve_model): the vectors, a normalised emb_query used
 * only through its read-only / reentrant calls, an optional emb_index
 * (thread-safe search), and a completion table. The one lazily built part,
 * the 2-D map, is guarded by a mutex. Each request owns a small context
 * (struct serve_req: raw URI, body) and its own result buffers, so the
 * libmicrohttpd thread pool needs no other locking. */
#ifndef EMB_SERVE_INTERNAL_H
#define EMB_SERVE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct emb_vecs;
struct emb_query;
struct emb_index;
struct json_object;

/* Limits that are not options. */
#define SERVE_MAX_PARAMS 16   /* query-string parameters */
#define SERVE_MAX_COMPLETE 100 /* words per completion answer */
#define SERVE_MAX_PHRASE 64   /* words in a phrase query */

/* ---- request.c: decoding and JSON helpers --------------------------------- */

/* One request's own state, created when its request line arrives. */
struct serve_req {
    char *uri;          /* the request target exactly as received */
    char *body;         /* (body_len) bytes, NUL-terminated; NULL when empty */
    size_t body_len, body_cap;
    size_t body_seen;   /* bytes received, kept or not */
    int started;        /* headers seen and checked */
    int too_big;        /* body over the limit: answer 413 */
};

/* Decoded query-string parameters (pointers into one owned buffer). */
struct serve_params {
    int n;
    const char *key[SERVE_MAX_PARAMS];
    const char *val[SERVE_MAX_PARAMS];
    size_t val_len[SERVE_MAX_PARAMS];
    char *buf;
};

/* Split and decode the query string q (n bytes) into *p (free p->buf
 * afterwards, also on failure). Every key and value must decode to valid
 * UTF-8 without NUL; a repeated key is an error. On failure writes a
 * message and returns -1. */
int emb__serve_parse_query(const char *q, size_t n, struct serve_params *p, char *msg, size_t msg_n);

/* Value of key (its byte length in *len), or NULL when absent. */
const char *emb__serve_param(const struct serve_params *p, const char *key, size_t *len);

/* 1 when s (n bytes) is valid UTF-8 without NUL bytes. */
int emb__serve_utf8_valid(const char *s, size_t n);

/* A JSON string for s (n bytes); bytes that are not UTF-8 become U+FFFD. */
struct json_object *emb__serve_jstr(const char *s, size_t n);

/* {"error": message, "status": status} in *out; returns status. */
int emb__serve_error(struct json_object **out, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* 1 when host (a Host header value) names this server: localhost,
 * 127.0.0.1 or [::1], or one of allow[0..n), each with any port or none.
 * Names compare without regard to ASCII case. */
int emb__serve_host_allowed(const char *host, const char *const *allow, int n);

/* ---- http.c: the handler interface and libmicrohttpd glue ------------------ */

/* An endpoint: read the request, fill *out with a JSON object (the answer,
 * or {"error", "status"}), return the HTTP status. ctx is the routes' ctx. */
typedef int (*serve_handler)(void *ctx, const struct serve_params *p, const struct serve_req *r,
                             struct json_object **out);

enum { SERVE_GET = 1, SERVE_POST = 2 }; /* route methods; HEAD goes with GET */

/* One path: a JSON endpoint (fn), or a fixed file (fn NULL: *len bytes at
 * data, served with the given Content-Type). */
struct serve_route {
    const char *path;
    int methods;
    serve_handler fn;
    const unsigned char *data;
    const unsigned int *len;
    const char *type;
};

struct serve_http_opts {
    int listen_fd;              /* bound, listening socket (MHD takes it over) */
    int ipv6;                   /* listen_fd is an IPv6 socket */
    int n_threads;
    unsigned max_connections;   /* open connections at most */
    unsigned max_per_ip;        /* open connections per client address (0 = no cap) */
    unsigned timeout_s;         /* idle connection timeout */
    unsigned request_timeout_s; /* a request's headers and body must arrive within this */
    size_t max_body;            /* bytes of a POST body */
    int check_host;             /* answer only Host headers naming loopback or allow_host */
    const char *const *allow_host; /* (n_allow_host) extra Host names, without port */
    int n_allow_host;
    const struct serve_route *routes; /* (n_routes) */
    size_t n_routes;
    void *ctx;                  /* passed to every handler */
    void (*warn)(void *ctx, const char *msg); /* libmicrohttpd's messages; NULL = none */
    void *warn_ctx;
};

/* The running server: the daemon plus the connections it tracks for the
 * request deadline. emb__serve_http_sweep cuts the connections whose
 * request has been arriving for longer than request_timeout_s; call it a
 * few times a second from one thread (emb_serve_run). */
struct serve_http;
struct serve_http *emb__serve_http_start(const struct serve_http_opts *o);
void emb__serve_http_sweep(struct serve_http *h);
void emb__serve_http_stop(struct serve_http *h);

/* ---- api.c: the endpoints ------------------------------------------------------ */

/* The read-only state every request shares. */
struct serve_model {
    const char *name;             /* file name shown by /v1/info (borrowed) */
    const struct emb_vecs *vecs;  /* the vectors as loaded (raw values) */
    struct emb_query *q;          /* unit-length copy; read-only calls only */
    const struct emb_index *ix;   /* NULL without an index */
    int32_t *by_word;             /* (n) row ids sorted by word bytes, for completion */
    int max_k;
    size_t max_body;
    int n_threads;

    /* The map: PCA of the first map_size rows, computed on first use. */
    int64_t map_size;
    pthread_mutex_t map_lock;
    int map_state;                /* 0 not yet, 1 ready, -1 failed */
    float *map_xy;                /* (map_size, 2) */
};

/* Build the completion table (m->by_word). Returns EMB_OK or EMB_ENOMEM. */
int emb__serve_model_prepare(struct serve_model *m);
void emb__serve_model_release(struct serve_model *m);

/* Every path the server answers; handlers take a struct serve_model. */
extern const struct serve_route emb__serve_routes[];
extern const size_t emb__serve_n_routes;

/* The page, embedded at build time (generated from web/ by the Makefile). */
extern const unsigned char emb__serve_web_index_html[];
extern const unsigned int emb__serve_web_index_html_len;
extern const unsigned char emb__serve_web_app_js[];
extern const unsigned int emb__serve_web_app_js_len;

#endif
