/* cmd_serve.c -- `emb serve`: answer neighbour, similarity, analogy and
 * map queries over HTTP (JSON), with a small web page at /.
 *
 * This file parses options, loads the vectors (and an optional index),
 * opens the listening socket, starts libmicrohttpd's thread pool
 * (serve_http.c) and waits for SIGINT or SIGTERM to shut down cleanly. The
 * endpoints are in serve_api.c.
 *
 * DESIGN: SIGINT and SIGTERM are blocked before any thread exists, so
 * every thread inherits the mask and the main thread alone takes them with
 * sigwait(): no handler runs inside a worker, and shutdown is ordinary code
 * (stop the daemon, which finishes or closes open connections; free). The
 * main thread also runs the request-deadline sweep (serve_http.c) four
 * times a second between signals. The socket is opened here rather than
 * by libmicrohttpd so that a port in use or a bad address is reported with
 * its reason.
 *
 * The index is read into memory, not memory-mapped: a mapped file that is
 * truncated while the server runs kills it with SIGBUS on the next
 * search, and one overwritten in place changes under the searches (HNSW
 * links then point anywhere). A private copy costs the index's size in
 * RAM (the vectors are held in RAM already) and a sequential read at
 * start-up; searches run at the same speed, without page faults. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "cli.h"
#include "emb/eval.h"
#include "emb/index.h"
#include "emb/pool.h"
#include "emb/vecs.h"
#include "serve.h"

enum {
    OPT_INDEX = 256,
    OPT_PORT,
    OPT_HOST,
    OPT_THREADS,
    OPT_MAX_K,
    OPT_MAX_BODY,
    OPT_MAX_CONN,
    OPT_MAX_PER_IP,
    OPT_TIMEOUT,
    OPT_REQ_TIMEOUT,
    OPT_ALLOW_HOST,
    OPT_MAP_SIZE,
    OPT_FORMAT,
    OPT_LIMIT,
    OPT_VOCAB,
    OPT_JSON,
    OPT_QUIET,
};

static const char usage[] =
    "usage: emb serve VECTORS [options]\n"
    "\n"
    "Serve nearest-neighbour, similarity, analogy and map queries over HTTP as\n"
    "JSON, and a web page at / (search with completion, neighbours, analogies,\n"
    "a 2-D map). VECTORS is any vector file emb reads (word2vec text or binary,\n"
    ".npy + vocabulary): word, node or entity vectors. Stop with Ctrl-C or SIGTERM.\n"
    "\n"
    "endpoints (see README, \"HTTP API\"):\n"
    "  GET  /v1/neighbors?q=WORD&k=10     GET  /v1/similarity?a=W1&b=W2\n"
    "  POST /v1/analogy {\"a\",\"b\",\"c\",\"k\",\"method\"}\n"
    "  GET  /v1/vector?q=WORD             POST /v1/search {\"vector\": [...], \"k\"}\n"
    "  GET  /v1/map?n=1000                GET  /v1/complete?prefix=ki&n=10\n"
    "  GET  /v1/info                      GET  /healthz\n"
    "\n"
    "options:\n"
    "  --index PATH          answer neighbours and /v1/search with this index (built\n"
    "                        from the same vectors; default: exact search)\n"
    "  --host ADDR           address to bind (default 127.0.0.1; 0.0.0.0 or :: for all)\n"
    "  --port N              port (default 8080; 0 = any free port, printed at start)\n"
    "  --threads N           worker threads (default: number of CPUs)\n"
    "  --max-k N             largest k a request may ask (default 1000)\n"
    "  --max-body BYTES      largest request body (default 1048576)\n"
    "  --max-connections N   open connections at most (default 1024)\n"
    "  --max-connections-per-ip N\n"
    "                        open connections from one client address (default 64;\n"
    "                        0 = no cap)\n"
    "  --timeout S           close connections idle for S seconds (default 10)\n"
    "  --request-timeout S   a request's headers and body must arrive within S\n"
    "                        seconds, or it gets 408 and the connection is closed\n"
    "                        (default 10; 0 = no deadline)\n"
    "  --allow-host NAME     also answer requests whose Host header is NAME (any\n"
    "                        port; repeatable). Bound to loopback, the server\n"
    "                        answers only Host localhost, 127.0.0.1 and [::1] (403\n"
    "                        otherwise), against DNS rebinding\n"
    "  --map-size N          rows in the 2-D map, the first N of the file (default 5000)\n"
    "  --format F            text, bin or npy (default: from the file)\n"
    "  --limit N             load only the first N vectors\n"
    "  --vocab PATH          vocabulary of an .npy file (default: PATH.vocab)\n"
    "  --json                print {\"url\", \"port\", ...} on stdout once listening\n"
    "  --quiet               no messages on stderr\n"
    "  -h, --help            this text\n"
    "\n"
    "example: emb serve vectors.bin --port 8080   (then open http://127.0.0.1:8080/)\n";

struct serve_opts {
    const char *index;
    const char *host;
    int port;
    int n_threads;
    int max_k;
    long long max_body;
    int max_conn;
    int max_per_ip;
    int timeout_s;
    int request_timeout_s;
    const char **allow_host; /* (n_allow_host) pointers into argv */
    int n_allow_host;
    int64_t map_size;
    enum emb_vec_format format;
    int64_t limit;
    const char *vocab;
    int json, quiet;
};

static int parse_opts(int argc, char **argv, struct serve_opts *o, int *first) {
    static const struct option all[] = {
        {"index", required_argument, NULL, OPT_INDEX},
        {"port", required_argument, NULL, OPT_PORT},
        {"host", required_argument, NULL, OPT_HOST},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-k", required_argument, NULL, OPT_MAX_K},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"max-connections-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"request-timeout", required_argument, NULL, OPT_REQ_TIMEOUT},
        {"allow-host", required_argument, NULL, OPT_ALLOW_HOST},
        {"map-size", required_argument, NULL, OPT_MAP_SIZE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"vocab", required_argument, NULL, OPT_VOCAB},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", all, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return 0;
        case OPT_INDEX: o->index = optarg; break;
        case OPT_HOST: o->host = optarg; break;
        case OPT_PORT:
            if (cli_parse_ll("serve", "--port", optarg, 0, 65535, &v)) return CLI_EXIT_USAGE;
            o->port = (int)v;
            break;
        case OPT_THREADS:
            if (cli_parse_ll("serve", "--threads", optarg, 1, 1024, &v)) return CLI_EXIT_USAGE;
            o->n_threads = (int)v;
            break;
        case OPT_MAX_K:
            if (cli_parse_ll("serve", "--max-k", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            o->max_k = (int)v;
            break;
        case OPT_MAX_BODY:
            if (cli_parse_ll("serve", "--max-body", optarg, 16, 1LL << 30, &v)) return CLI_EXIT_USAGE;
            o->max_body = v;
            break;
        case OPT_MAX_CONN:
            if (cli_parse_ll("serve", "--max-connections", optarg, 1, 100000, &v)) return CLI_EXIT_USAGE;
            o->max_conn = (int)v;
            break;
        case OPT_MAX_PER_IP:
            if (cli_parse_ll("serve", "--max-connections-per-ip", optarg, 0, 100000, &v)) return CLI_EXIT_USAGE;
            o->max_per_ip = (int)v;
            break;
        case OPT_REQ_TIMEOUT:
            if (cli_parse_ll("serve", "--request-timeout", optarg, 0, 86400, &v)) return CLI_EXIT_USAGE;
            o->request_timeout_s = (int)v;
            break;
        case OPT_ALLOW_HOST:
            if (!*optarg || (strchr(optarg, ':') != NULL && optarg[0] != '['))
                return cli_usage_error("serve", "--allow-host: give a host name without a port, got '%s'", optarg);
            o->allow_host[o->n_allow_host++] = optarg; /* argc slots are enough */
            break;
        case OPT_TIMEOUT:
            if (cli_parse_ll("serve", "--timeout", optarg, 1, 86400, &v)) return CLI_EXIT_USAGE;
            o->timeout_s = (int)v;
            break;
        case OPT_MAP_SIZE:
            if (cli_parse_ll("serve", "--map-size", optarg, 1, 1000000, &v)) return CLI_EXIT_USAGE;
            o->map_size = v;
            break;
        case OPT_FORMAT: {
            struct emb_err err = {0};
            if (emb_vec_format_parse(optarg, &o->format, &err) != EMB_OK)
                return cli_usage_error("serve", "--format: %s", emb_err_msg(&err, EMB_EINVAL));
            break;
        }
        case OPT_LIMIT:
            if (cli_parse_ll("serve", "--limit", optarg, 0, INT64_MAX, &v)) return CLI_EXIT_USAGE;
            o->limit = v;
            break;
        case OPT_VOCAB: o->vocab = optarg; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_QUIET: o->quiet = 1; break;
        default: return cli_getopt_error("serve", c, argv);
        }
    }
    *first = optind;
    return -1;
}

/* A bound, listening TCP socket for host:port, or -1 after printing why.
 * *ipv6 tells whether it is an IPv6 socket; *bound_port is the port (the
 * kernel's choice for port 0); *loopback whether it accepts only local
 * connections (127.0.0.0/8, ::1, or an IPv4-mapped loopback address). */
static int open_listener(const char *host, int port, int *ipv6, int *bound_port, int *loopback) {
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, port_s, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "emb serve: cannot use address '%s': %s\n", host, gai_strerror(gai));
        return -1;
    }
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
    if (fd < 0) {
        fprintf(stderr, "emb serve: cannot listen on %s port %d: %s\n", host, port, strerror(saved));
        return -1;
    }
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

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cmd_serve(int argc, char **argv) {
    struct serve_opts o = {
        .host = "127.0.0.1",
        .port = 8080,
        .n_threads = emb_cpu_count(),
        .max_k = SERVE_MAX_K_DEFAULT,
        .max_body = SERVE_MAX_BODY_DEFAULT,
        .max_conn = 1024,
        .max_per_ip = 64,
        .timeout_s = 10,
        .request_timeout_s = 10,
        .map_size = SERVE_MAP_SIZE_DEFAULT,
    };
    int first = 0;
    o.allow_host = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *o.allow_host);
    if (!o.allow_host) return cli_fail("serve", EMB_ENOMEM, NULL);
    int st = parse_opts(argc, argv, &o, &first);
    if (st < 0 && argc - first != 1)
        st = cli_usage_error("serve", argc - first ? "expects one VECTORS file"
                                                   : "missing VECTORS (see emb serve --help)");
    if (st >= 0) {
        free(o.allow_host);
        return st;
    }
    const char *path = argv[first];

    /* Before any thread starts (the query index has a pool): every thread
     * inherits this mask, so the signals reach sigwait() below only. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is not fatal */

    struct emb_err err = {0};
    struct serve_model m = {.name = base_name(path), .max_k = o.max_k, .max_body = (size_t)o.max_body,
                            .n_threads = o.n_threads};
    struct serve_http *d = NULL;
    int fd = -1, rc;
    st = CLI_EXIT_FAIL;
    int prepared = 0;
    if ((rc = emb_vecs_load(&m.vecs, path, o.format, o.limit, o.vocab, &err)) != EMB_OK) {
        cli_fail("serve", rc, &err);
        goto done;
    }
    /* One thread: requests use the reentrant calls, which scan on the
     * worker that asks, so the query index's own pool would sit idle. */
    if ((rc = emb_query_new(&m.q, m.vecs, 1, &err)) != EMB_OK) {
        cli_fail("serve", rc, &err);
        goto done;
    }
    int64_t count = emb_query_size(m.q);
    int32_t dim = emb_query_dim(m.q);
    if (o.index) {
        /* Read, not mapped: see DESIGN above. */
        if ((rc = emb_index_load_flags(&m.ix, o.index, EMB_INDEX_LOAD_NO_MMAP, &err)) != EMB_OK) {
            fprintf(stderr, "emb serve: %s: %s\n", o.index, emb_err_msg(&err, rc));
            goto done;
        }
        if (emb_index_size(m.ix) != count || emb_index_dim(m.ix) != dim) {
            fprintf(stderr,
                    "emb serve: index %s holds %lld rows of dimension %d but %s has %lld of dimension %d "
                    "(build the index from the same file)\n",
                    o.index, (long long)emb_index_size(m.ix), (int)emb_index_dim(m.ix), path, (long long)count,
                    (int)dim);
            goto done;
        }
        /* An index built with words must have them in the file's order. */
        for (int64_t i = 0; emb_index_word(m.ix, 0) && i < count; i++)
            if (strcmp(emb_index_word(m.ix, i), emb_query_word(m.q, i)) != 0) {
                fprintf(stderr, "emb serve: index %s does not match %s: row %lld is '%.40s' in one, '%.40s' in the other\n",
                        o.index, path, (long long)i, emb_index_word(m.ix, i), emb_query_word(m.q, i));
                goto done;
            }
    }
    m.map_size = o.map_size < count ? o.map_size : count;
    if (serve_model_prepare(&m) != EMB_OK) {
        cli_fail("serve", EMB_ENOMEM, NULL);
        goto done;
    }
    prepared = 1;

    int ipv6 = 0, port = 0, loopback = 0;
    if ((fd = open_listener(o.host, o.port, &ipv6, &port, &loopback)) < 0) goto done;
    /* Each connection is a descriptor: make room for the limit (plus the
     * files and the daemon's own), or lower the limit to what fits. */
    struct rlimit rl;
    rlim_t need = (rlim_t)o.max_conn + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
            int fit = rl.rlim_cur > 128 ? (int)(rl.rlim_cur - 64) : 64;
            if (!o.quiet)
                fprintf(stderr, "emb serve: the open-file limit is %llu: serving %d connections at most, not %d\n",
                        (unsigned long long)rl.rlim_cur, fit, o.max_conn);
            o.max_conn = fit;
        }
    }
    struct serve_http_opts ho = {.listen_fd = fd,
                                 .ipv6 = ipv6,
                                 .n_threads = o.n_threads,
                                 .max_connections = (unsigned)o.max_conn,
                                 .max_per_ip = (unsigned)o.max_per_ip,
                                 .timeout_s = (unsigned)o.timeout_s,
                                 .request_timeout_s = (unsigned)o.request_timeout_s,
                                 /* Bound to all addresses, the Host may be any name of the
                                  * machine; --allow-host then turns the check on. */
                                 .check_host = loopback || o.n_allow_host > 0,
                                 .allow_host = o.allow_host,
                                 .n_allow_host = o.n_allow_host,
                                 .quiet = o.quiet};
    if (!(d = serve_http_start(&m, &ho))) {
        fprintf(stderr, "emb serve: could not start the HTTP server\n");
        goto done;
    }
    fd = -1; /* the daemon owns it now */
    char url[128];
    snprintf(url, sizeof url, ipv6 ? "http://[%s]:%d/" : "http://%s:%d/", o.host, port);
    if (o.json) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "url", json_object_new_string(url));
        json_object_object_add(j, "port", json_object_new_int(port));
        json_object_object_add(j, "count", json_object_new_int64(count));
        json_object_object_add(j, "dim", json_object_new_int(dim));
        json_object_object_add(j, "threads", json_object_new_int(o.n_threads));
        cli_json_print(j);
        fflush(stdout);
    }
    if (!o.quiet)
        fprintf(stderr, "emb serve: %lld vectors of dimension %d%s, %d threads, listening on %s\n", (long long)count,
                (int)dim, m.ix ? " (with index)" : "", o.n_threads, url);

    /* Wait for a signal, sweeping the request deadline meanwhile. */
    int sig = 0;
    const struct timespec tick = {0, 250 * 1000 * 1000};
    while ((sig = sigtimedwait(&stop_set, NULL, &tick)) < 0) serve_http_sweep(d);
    if (!o.quiet) fprintf(stderr, "emb serve: %s, shutting down\n", sig == SIGINT ? "interrupted" : "terminated");
    st = 0;
done:
    serve_http_stop(d);
    if (fd >= 0) close(fd);
    if (prepared) serve_model_release(&m);
    emb_index_free(m.ix);
    emb_query_free(m.q);
    emb_vecs_free(m.vecs);
    free(o.allow_host);
    return st;
}
