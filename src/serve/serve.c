/* serve.c -- the public calls of libemb_serve (serve.h): check the options,
 * build the read-only model (struct serve_model) over the caller's
 * vectors and index, open the listening socket, start the HTTP layer
 * (http.c) with the endpoints' route table (api.c), wait for the stop
 * flag, free.
 *
 * The socket is opened here rather than by libmicrohttpd so that a port in
 * use or a bad address is reported with its reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emb/eval.h"
#include "emb/pool.h"
#include "emb/serve.h"
#include "serve_internal.h"

struct emb_serve {
    struct serve_model m;
    int prepared;            /* m's completion table and map lock exist */
    struct serve_http *http;
    int port;
    char url[128];
};

struct emb_serve_opts emb_serve_default_opts(void) {
    struct emb_serve_opts o = {
        .host = "127.0.0.1",
        .port = 8080,
        .n_threads = emb_cpu_count(),
        .max_k = 1000,
        .max_body = 1 << 20,
        .max_connections = 1024,
        .max_per_ip = 64,
        .timeout_s = 10,
        .request_timeout_s = 10,
        .map_size = 5000,
        .name = "vectors",
    };
    return o;
}

static int check_opts(const struct emb_serve_opts *o, struct emb_err *err) {
    if (!o->host || !*o->host) return emb_err_set(err, EMB_EINVAL, "no address to bind");
    if (o->port < 0 || o->port > 65535) return emb_err_set(err, EMB_EINVAL, "port %d is out of range", o->port);
    if (o->n_threads < 1) return emb_err_set(err, EMB_EINVAL, "threads must be at least 1");
    if (o->max_k < 1) return emb_err_set(err, EMB_EINVAL, "max_k must be at least 1");
    if (o->max_body < 16) return emb_err_set(err, EMB_EINVAL, "max_body must be at least 16 bytes");
    if (o->max_connections < 1) return emb_err_set(err, EMB_EINVAL, "max_connections must be at least 1");
    if (o->map_size < 1) return emb_err_set(err, EMB_EINVAL, "map_size must be at least 1");
    if (o->n_allow_host < 0 || (o->n_allow_host > 0 && !o->allow_host))
        return emb_err_set(err, EMB_EINVAL, "allow_host: %d names but no array", o->n_allow_host);
    return EMB_OK;
}

/* A bound, listening TCP socket for host:port, or -1 with *err set. *ipv6
 * tells whether it is an IPv6 socket; *bound_port is the port (the
 * kernel's choice for port 0); *loopback whether it accepts only local
 * connections (127.0.0.0/8, ::1, or an IPv4-mapped loopback address). */
static int open_listener(const char *host, int port, int *ipv6, int *bound_port, int *loopback, struct emb_err *err) {
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, port_s, &hints, &res);
    if (gai != 0) return emb_err_set(err, EMB_EIO, "cannot use address '%s': %s", host, gai_strerror(gai)), -1;
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 511) == 0) {
            *ipv6 = a->ai_family == AF_INET6;
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return emb_err_set(err, EMB_EIO, "cannot listen on %s port %d: %s", host, port, strerror(saved)), -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    *bound_port = port;
    *loopback = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
            *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            *loopback = IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        } else {
            const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
            *bound_port = ntohs(a->sin_port);
            *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
        }
    }
    return fd;
}

static void warnf(const struct emb_serve_opts *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void warnf(const struct emb_serve_opts *o, const char *fmt, ...) {
    if (!o->warn) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

/* Each connection is a descriptor: make room for max_conn (plus the files
 * and the daemon's own), or return how many fit. */
static unsigned fit_connections(const struct emb_serve_opts *o) {
    struct rlimit rl;
    unsigned max_conn = o->max_connections;
    rlim_t need = (rlim_t)max_conn + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
            unsigned fit = rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - 64) : 64;
            warnf(o, "the open-file limit is %llu: serving %u connections at most, not %u",
                  (unsigned long long)rl.rlim_cur, fit, max_conn);
            max_conn = fit;
        }
    }
    return max_conn;
}

/* The model every request reads: a unit-length query copy of vecs (one
 * thread: requests use the reentrant calls, which scan on the worker that
 * asks, so the query's own pool would sit idle) and the index, checked to
 * hold the same rows. */
static int model_init(struct emb_serve *s, const struct emb_serve_opts *o, const struct emb_vecs *vecs,
                      const struct emb_index *ix, struct emb_err *err) {
    struct serve_model *m = &s->m;
    *m = (struct serve_model){.name = o->name ? o->name : "vectors", .vecs = vecs, .ix = ix, .max_k = o->max_k,
                              .max_body = o->max_body, .n_threads = o->n_threads};
    int rc = emb_query_new(&m->q, vecs, 1, err);
    if (rc != EMB_OK) return rc;
    int64_t count = emb_query_size(m->q);
    int32_t dim = emb_query_dim(m->q);
    if (ix) {
        if (emb_index_size(ix) != count || emb_index_dim(ix) != dim)
            return emb_err_set(err, EMB_EINVAL,
                               "the index holds %lld rows of dimension %d but the vectors have %lld of dimension %d "
                               "(build the index from the same file)",
                               (long long)emb_index_size(ix), (int)emb_index_dim(ix), (long long)count, (int)dim);
        /* An index built with words must have them in the file's order. */
        for (int64_t i = 0; emb_index_word(ix, 0) && i < count; i++)
            if (strcmp(emb_index_word(ix, i), emb_query_word(m->q, i)) != 0)
                return emb_err_set(err, EMB_EINVAL,
                                   "the index does not match the vectors: row %lld is '%.40s' in one, '%.40s' in the other",
                                   (long long)i, emb_index_word(ix, i), emb_query_word(m->q, i));
    }
    m->map_size = o->map_size < count ? o->map_size : count;
    if (emb__serve_model_prepare(m) != EMB_OK) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    s->prepared = 1;
    return EMB_OK;
}

int emb_serve_new(struct emb_serve **out, const struct emb_serve_opts *o, const struct emb_vecs *vecs,
                  const struct emb_index *ix, struct emb_err *err) {
    *out = NULL;
    if (!vecs) return emb_err_set(err, EMB_EINVAL, "no vectors to serve");
    int rc = check_opts(o, err);
    if (rc != EMB_OK) return rc;
    struct emb_serve *s = calloc(1, sizeof *s);
    if (!s) return emb_err_set(err, EMB_ENOMEM, "out of memory");
    if ((rc = model_init(s, o, vecs, ix, err)) != EMB_OK) goto fail;
    int ipv6 = 0, loopback = 0;
    int fd = open_listener(o->host, o->port, &ipv6, &s->port, &loopback, err);
    if (fd < 0) {
        rc = EMB_EIO;
        goto fail;
    }
    struct serve_http_opts ho = {.listen_fd = fd,
                                 .ipv6 = ipv6,
                                 .n_threads = o->n_threads,
                                 .max_connections = fit_connections(o),
                                 .max_per_ip = o->max_per_ip,
                                 .timeout_s = o->timeout_s,
                                 .request_timeout_s = o->request_timeout_s,
                                 .max_body = o->max_body,
                                 /* Bound to all addresses, the Host may be any name of the
                                  * machine; allow_host then turns the check on. */
                                 .check_host = loopback || o->n_allow_host > 0,
                                 .allow_host = o->allow_host,
                                 .n_allow_host = o->n_allow_host,
                                 .routes = emb__serve_routes,
                                 .n_routes = emb__serve_n_routes,
                                 .ctx = &s->m,
                                 .warn = o->warn,
                                 .warn_ctx = o->warn_ctx};
    if (!(s->http = emb__serve_http_start(&ho))) {
        close(fd);
        rc = emb_err_set(err, EMB_EIO, "could not start the HTTP server");
        goto fail;
    }
    snprintf(s->url, sizeof s->url, ipv6 ? "http://[%s]:%d/" : "http://%s:%d/", o->host, s->port);
    *out = s;
    return EMB_OK;
fail:
    emb_serve_free(s);
    return rc;
}

int emb_serve_port(const struct emb_serve *s) { return s->port; }

const char *emb_serve_url(const struct emb_serve *s) { return s->url; }

int emb_serve_run(struct emb_serve *s, const volatile sig_atomic_t *stop) {
    const struct timespec tick = {0, 250 * 1000 * 1000};
    while (!*stop) {
        emb__serve_http_sweep(s->http);
        nanosleep(&tick, NULL); /* a signal cuts it short */
    }
    return *stop;
}

void emb_serve_free(struct emb_serve *s) {
    if (!s) return;
    emb__serve_http_stop(s->http); /* first: no request runs after this */
    if (s->prepared) emb__serve_model_release(&s->m);
    emb_query_free(s->m.q);
    free(s);
}
