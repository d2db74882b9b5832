/* http.c -- the HTTP layer of libemb_serve: libmicrohttpd callbacks,
 * routing through the route table it is given (struct serve_route: a
 * handler or a fixed file per path; it knows no endpoint), request bodies
 * and the request deadline.
 *
 * DESIGN: libmicrohttpd does the protocol (parsing, keep-alive, timeouts,
 * the thread pool); this file decides what each request gets. The raw
 * request target is captured by the URI-log callback (the first callback
 * of every request), so the query string is decoded here, strictly
 * (request.c): a bad %-escape, invalid UTF-8 or a NUL byte is a 400 rather
 * than being passed on half-decoded. A request's context lives from that callback to the
 * completion callback, which frees it whatever happened in between.
 *
 * Hostile clients. libmicrohttpd's --timeout counts idle time only, so a
 * client sending one byte a second holds its connection for ever, and
 * enough of them fill the connection table (the slow-client attack). Three
 * limits answer it: a per-address cap (MHD's PER_IP_CONNECTION_LIMIT), a
 * total cap, and a request deadline enforced here: every connection is
 * tracked (the connection-notify callback) with the time its current
 * request began to arrive (accept, or the end of the previous request on
 * a kept-alive connection); emb__serve_http_sweep, run by emb_serve_run,
 * answers 408 and shuts the socket of any connection whose request has
 * not been fully received within request_timeout_s. MHD then sees the
 * closed socket and cleans up in its own thread. The list lock is held
 * while the sweep touches a socket, and MHD reports a connection closed
 * before it closes the socket, so the sweep never touches a reused fd.
 *
 * Cross-site requests: a browser page from another site can send simple
 * requests to a local server, and a DNS-rebinding page can even read the
 * answers. So when bound to loopback only Host names that mean this
 * machine are answered (403 otherwise), POST bodies must be declared
 * application/json (which a cross-site page cannot send without a
 * preflight, which we refuse), and JSON bodies with a repeated key are
 * refused like repeated query parameters. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "emb/err.h"
#include "serve_internal.h"

/* A chunked body is read (and dropped) up to this many times the limit
 * before the connection is cut, so an endless body cannot pin a thread. */
#define DISCARD_FACTOR 8

/* ---- routes -------------------------------------------------------------- */

static int method_bit(const char *method) {
    if (!strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD)) return SERVE_GET;
    if (!strcmp(method, MHD_HTTP_METHOD_POST)) return SERVE_POST;
    return 0;
}

/* 1 when the Content-Type header says application/json (any parameters). */
static int is_json_type(const char *ct) {
    if (!ct) return 0;
    ct += strspn(ct, " \t");
    size_t n = strlen("application/json");
    return !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* ---- connections and the request deadline -------------------------------------- */

struct conn {
    struct conn *prev, *next;
    int fd;
    double t0;    /* when the current request began to arrive */
    int waiting;  /* 1 while a request is arriving (no answer queued yet) */
    int cut;      /* the sweep has shut it */
};

struct serve_http {
    struct MHD_Daemon *d;
    struct serve_http_opts o;
    pthread_mutex_t lock; /* guards the list and each conn's fields */
    struct conn head;     /* circular list sentinel */
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code) {
    struct serve_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *k = calloc(1, sizeof *k);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!k || !ci) {
            free(k);
            *socket_ctx = NULL;
            return;
        }
        k->fd = ci->connect_fd;
        k->t0 = now_s();
        k->waiting = 1;
        pthread_mutex_lock(&h->lock);
        k->next = h->head.next;
        k->prev = &h->head;
        h->head.next->prev = k;
        h->head.next = k;
        pthread_mutex_unlock(&h->lock);
        *socket_ctx = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn *k = *socket_ctx;
        if (!k) return;
        pthread_mutex_lock(&h->lock);
        k->prev->next = k->next;
        k->next->prev = k->prev;
        pthread_mutex_unlock(&h->lock);
        free(k);
        *socket_ctx = NULL;
    }
}

static struct conn *conn_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The current request is answered (waiting = 0), or done and the next
 * one may begin to arrive (waiting = 1, clock restarted). */
static void conn_mark(struct serve_http *h, struct MHD_Connection *c, int waiting) {
    struct conn *k = conn_of(c);
    if (!k) return;
    pthread_mutex_lock(&h->lock);
    k->waiting = waiting;
    if (waiting) k->t0 = now_s();
    pthread_mutex_unlock(&h->lock);
}

void emb__serve_http_sweep(struct serve_http *h) {
    static const char msg[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                              "Content-Type: application/json\r\nContent-Length: 60\r\n\r\n"
                              "{\"error\":\"the request took too long to arrive\",\"status\":408}";
    if (!h || !h->o.request_timeout_s) return;
    double limit = now_s() - (double)h->o.request_timeout_s;
    pthread_mutex_lock(&h->lock);
    for (struct conn *k = h->head.next; k != &h->head; k = k->next) {
        if (!k->waiting || k->cut || k->t0 > limit) continue;
        /* No answer is queued on it (waiting), so nothing else writes. */
        (void)!send(k->fd, msg, sizeof msg - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        shutdown(k->fd, SHUT_RDWR);
        k->cut = 1;
    }
    pthread_mutex_unlock(&h->lock);
}

/* ---- responses -------------------------------------------------------------- */

static enum MHD_Result send_bytes(struct MHD_Connection *c, int status, const void *data, size_t n,
                                  enum MHD_ResponseMemoryMode mode, const char *type, const char *allow) {
    struct MHD_Response *res = MHD_create_response_from_buffer(n, (void *)data, mode);
    if (!res) return MHD_NO;
    MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* The page loads nothing from elsewhere; say so to the browser too. */
    MHD_add_response_header(res, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    if (allow) MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, res);
    MHD_destroy_response(res);
    return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, struct json_object *obj, const char *allow) {
    size_t n = 0;
    const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                      &n);
    enum MHD_Result ok;
    if (!s) {
        static const char oom[] = "{\"error\":\"out of memory\",\"status\":500}";
        ok = send_bytes(c, 500, oom, sizeof oom - 1, MHD_RESPMEM_PERSISTENT, "application/json", NULL);
    } else {
        /* MUST_COPY: the string belongs to obj, released just below. */
        ok = send_bytes(c, status, s, n, MHD_RESPMEM_MUST_COPY, "application/json", allow);
    }
    json_object_put(obj);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *allow, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *allow, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct json_object *o = NULL;
    emb__serve_error(&o, status, "%s", msg);
    return send_json(c, status, o, allow);
}

/* ---- callbacks --------------------------------------------------------------- */

/* First callback of every request: keep the raw target. What it returns
 * becomes the request's context (*req_cls below). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    struct serve_req *r = calloc(1, sizeof *r);
    if (r && !(r->uri = strdup(uri))) {
        free(r);
        r = NULL;
    }
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode why) {
    (void)why;
    conn_mark(cls, c, 1); /* the next request's clock starts now */
    struct serve_req *r = *req_cls;
    if (!r) return;
    free(r->uri);
    free(r->body);
    free(r);
    *req_cls = NULL;
}

/* Keep up to max_body bytes of the body; note when there is more. */
static int body_append(struct serve_req *r, const char *data, size_t n, size_t max_body) {
    r->body_seen += n;
    if (r->too_big || r->body_len + n > max_body) {
        r->too_big = 1;
        return 0;
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + n + 1) cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) return -1;
        r->body = b;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return 0;
}

static const struct serve_route *find_route(const struct serve_http *h, const char *path, size_t n) {
    const struct serve_route *routes = h->o.routes;
    for (size_t i = 0; i < h->o.n_routes; i++)
        if (strlen(routes[i].path) == n && !memcmp(routes[i].path, path, n)) return &routes[i];
    return NULL;
}

/* One call of the access handler. *reading is set when the request is
 * still arriving (no answer queued). */
static enum MHD_Result handle(struct serve_http *h, struct MHD_Connection *c, const char *method,
                              const char *upload_data, size_t *upload_data_size, struct serve_req *r, int *reading) {
    if (!r) return send_error(c, 500, NULL, "out of memory");
    /* The path is the raw target up to '?' (or '#', which clients should
     * not send); percent-escapes in paths are not used by any route. */
    const char *uri = r->uri;
    size_t path_n = strcspn(uri, "?#");
    const struct serve_route *rt = find_route(h, uri, path_n);
    int mbit = method_bit(method);

    if (!r->started) {
        r->started = 1;
        if (h->o.check_host) {
            const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
            /* HTTP/1.1 requires Host (libmicrohttpd answers 400 itself);
             * an HTTP/1.0 request without one comes from no browser. */
            if (host && !emb__serve_host_allowed(host, h->o.allow_host, h->o.n_allow_host))
                return send_error(c, 403, NULL,
                                  "Host '%.80s' is not this server (use localhost, or start it with --allow-host)",
                                  host);
        }
        if (!rt) return send_error(c, 404, NULL, "no such path");
        if (!(rt->methods & mbit)) {
            const char *allow = rt->methods & SERVE_POST ? "POST" : "GET, HEAD";
            return send_error(c, 405, allow, "method %.20s not allowed here (use %s)", method, allow);
        }
        if (mbit == SERVE_POST &&
            !is_json_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
            return send_error(c, 415, NULL, "a POST body must be sent as Content-Type: application/json");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (!errno && end != cl && !*end && v > h->o.max_body)
                return send_error(c, 413, NULL, "request body over the limit of %zu bytes", h->o.max_body);
        }
        *reading = 1;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (body_append(r, upload_data, n, h->o.max_body) != 0) return MHD_NO;
        if (r->body_seen > (size_t)DISCARD_FACTOR * h->o.max_body) return MHD_NO; /* cut it off */
        *reading = 1;
        return MHD_YES;
    }
    /* The whole request is in. */
    if (r->too_big) return send_error(c, 413, NULL, "request body over the limit of %zu bytes", h->o.max_body);
    if (!rt->fn) {
        return send_bytes(c, 200, rt->data, *rt->len, MHD_RESPMEM_PERSISTENT, rt->type, NULL);
    }
    struct serve_params p;
    char msg[160];
    const char *qs = uri[path_n] == '?' ? uri + path_n + 1 : uri + path_n;
    size_t qs_n = strcspn(qs, "#");
    if (emb__serve_parse_query(qs, qs_n, &p, msg, sizeof msg) != 0) {
        free(p.buf);
        return send_error(c, 400, NULL, "%s", msg);
    }
    struct json_object *out = NULL;
    int status = rt->fn(h->o.ctx, &p, r, &out);
    free(p.buf);
    if (!out) return send_error(c, 500, NULL, "out of memory");
    return send_json(c, status, out, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    (void)url;
    (void)version;
    struct serve_http *h = cls;
    struct serve_req *r = *req_cls;
    /* The last call (the whole request is in): the deadline is met, even
     * if the answer takes a while to compute. */
    if (r && r->started && *upload_data_size == 0) conn_mark(h, c, 0);
    int reading = 0;
    enum MHD_Result res = handle(h, c, method, upload_data, upload_data_size, r, &reading);
    if (!reading) conn_mark(h, c, 0); /* answered: the deadline no longer applies */
    return res;
}

/* libmicrohttpd's own messages (bad requests it rejects itself, ...). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    const struct serve_http_opts *o = cls;
    if (!o->warn) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') msg[--n] = '\0';
    o->warn(o->warn_ctx, msg);
}

struct serve_http *emb__serve_http_start(const struct serve_http_opts *o) {
    struct serve_http *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->o = *o;
    h->head.next = h->head.prev = &h->head;
    pthread_mutex_init(&h->lock, NULL);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (o->ipv6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)o->max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)o->max_per_ip, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->timeout_s, NULL},
        /* Room for the request line and headers of one request. */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(32 * 1024), NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)o->n_threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* libmicrohttpd wants the pool option only for more than one thread. */
    if (o->n_threads <= 1) opts[4].option = MHD_OPTION_END;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &h->o,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)h, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                            (void *)h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)h,
                            MHD_OPTION_LISTEN_SOCKET, o->listen_fd, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!h->d) {
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

void emb__serve_http_stop(struct serve_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d); /* closes every connection (notifying each) */
    pthread_mutex_destroy(&h->lock);
    free(h);
}
