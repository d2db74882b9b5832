/* serve.h -- the pieces of `emb serve` shared by cli/cmd_serve.c (options,
 * sockets, lifetime), cli/serve_http.c (libmicrohttpd callbacks, routing,
 * query strings) and cli/serve_api.c (the JSON endpoints).
 *
 * DESIGN: everything a request reads is built at start-up and never
 * changes (struct serve_model): the vectors, a normalised emb_query used
 * only through its read-only / reentrant calls, an optional emb_index
 * (thread-safe search), and a completion table. The one lazily built part,
 * the 2-D map, is guarded by a mutex. Each request owns a small context
 * (struct serve_req: raw URI, body) and its own result buffers, so the
 * libmicrohttpd thread pool needs no other locking. */
#ifndef EMB_CLI_SERVE_H
#define EMB_CLI_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct emb_vecs;
struct emb_query;
struct emb_index;
struct json_object;

/* Limits (the defaults; some are options). */
#define SERVE_MAX_K_DEFAULT 1000          /* largest k a request may ask */
#define SERVE_MAX_BODY_DEFAULT (1 << 20)  /* bytes of a POST body */
#define SERVE_MAP_SIZE_DEFAULT 5000       /* rows in the cached 2-D map */
#define SERVE_MAX_PARAMS 16               /* query-string parameters */
#define SERVE_MAX_COMPLETE 100            /* words per completion answer */
#define SERVE_MAX_PHRASE 64               /* words in a phrase query */

/* The read-only state every request shares. */
struct serve_model {
    const char *name;        /* file name shown by /v1/info (borrowed) */
    struct emb_vecs *vecs;   /* the vectors as loaded (raw values) */
    struct emb_query *q;     /* unit-length copy; read-only calls only */
    struct emb_index *ix;    /* NULL without --index */
    int32_t *by_word;        /* (n) row ids sorted by word bytes, for completion */
    int max_k;
    size_t max_body;
    int n_threads;

    /* The map: PCA of the first map_size rows, computed on first use. */
    int64_t map_size;
    pthread_mutex_t map_lock;
    int map_state;           /* 0 not yet, 1 ready, -1 failed */
    float *map_xy;           /* (map_size, 2) */
};

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

/* Value of key (its byte length in *len), or NULL when absent. */
const char *serve_param(const struct serve_params *p, const char *key, size_t *len);

/* Endpoint handlers: read the request, fill *out with a JSON object (the
 * answer, or {"error", "status"}), return the HTTP status. */
typedef int (*serve_handler)(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
                             struct json_object **out);
int api_neighbors(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
                  struct json_object **out);
int api_similarity(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
                   struct json_object **out);
int api_analogy(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
                struct json_object **out);
int api_vector(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
               struct json_object **out);
int api_search(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
               struct json_object **out);
int api_map(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
            struct json_object **out);
int api_info(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
             struct json_object **out);
int api_complete(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
                 struct json_object **out);
int api_health(struct serve_model *m, const struct serve_params *p, const struct serve_req *r,
               struct json_object **out);

/* {"error": message, "status": status}; returns status. */
int api_error(struct json_object **out, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* 1 when host (a Host header value) names this server: localhost,
 * 127.0.0.1 or [::1], or one of allow[0..n), each with any port or none.
 * Names compare without regard to ASCII case. */
int serve_host_allowed(const char *host, const char *const *allow, int n);

/* Build the completion table (m->by_word). Returns EMB_OK or EMB_ENOMEM. */
int serve_model_prepare(struct serve_model *m);
void serve_model_release(struct serve_model *m);

/* 1 when s (n bytes) is valid UTF-8 without NUL bytes. */
int serve_utf8_valid(const char *s, size_t n);

/* libmicrohttpd glue (serve_http.c). */
struct serve_http_opts {
    int listen_fd;              /* bound, listening socket (MHD takes it over) */
    int ipv6;                   /* listen_fd is an IPv6 socket */
    int n_threads;
    unsigned max_connections;   /* open connections at most */
    unsigned max_per_ip;        /* open connections per client address (0 = no cap) */
    unsigned timeout_s;         /* idle connection timeout */
    unsigned request_timeout_s; /* a request's headers and body must arrive within this */
    int check_host;             /* answer only Host headers naming loopback or allow_host */
    const char *const *allow_host; /* (n_allow_host) extra Host names, without port */
    int n_allow_host;
    int quiet;
};
/* The running server: the daemon plus the connections it tracks for the
 * request deadline. serve_http_sweep cuts the connections whose request
 * has been arriving for longer than request_timeout_s; call it a few
 * times a second from one thread (cmd_serve.c's main loop). */
struct serve_http;
struct serve_http *serve_http_start(struct serve_model *m, const struct serve_http_opts *o);
void serve_http_sweep(struct serve_http *h);
void serve_http_stop(struct serve_http *h);

/* The page, embedded at build time (generated from web/ by the Makefile). */
extern const unsigned char serve_web_index_html[];
extern const unsigned int serve_web_index_html_len;
extern const unsigned char serve_web_app_js[];
extern const unsigned int serve_web_app_js_len;

#endif
