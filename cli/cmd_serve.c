/* cmd_serve.c -- `emb serve`: answer neighbour, similarity, analogy and
 * map queries over HTTP (JSON), with a small web page at /.
 *
 * This file parses options, loads the vectors (and an optional index) and
 * runs the service of libemb_serve (include/emb/serve.h, src/serve/) until
 * SIGINT or SIGTERM.
 *
 * DESIGN: SIGINT and SIGTERM are blocked before any thread exists, so
 * every thread (the server's too) inherits the mask; only the main thread
 * unblocks them, with a handler that just records the signal, so no
 * handler runs inside a worker and shutdown is ordinary code (the stop
 * flag ends emb_serve_run; emb_serve_free finishes or closes open
 * connections).
 *
 * The index is read into memory, not memory-mapped: a mapped file that is
 * truncated while the server runs kills it with SIGBUS on the next
 * search, and one overwritten in place changes under the searches (HNSW
 * links then point anywhere). A private copy costs the index's size in
 * RAM (the vectors are held in RAM already) and a sequential read at
 * start-up; searches run at the same speed, without page faults. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "emb/index.h"
#include "emb/pool.h"
#include "emb/serve.h"
#include "emb/vecs.h"
#include "opt.h"

struct serve_opts {
    const char *index;
    const char *host;
    int port;
    int n_threads;
    int max_k;
    int64_t max_body;
    int max_conn;
    int max_per_ip;
    int timeout_s;
    int request_timeout_s;
    struct cli_list allow_host;
    int64_t map_size;
    enum emb_vec_format format;
    int64_t limit;
    const char *vocab;
    int json, quiet;
};

/* --allow-host NAME (repeatable): a host name without a port. */
static int parse_allow_host(const char *cmd, const char *opt, const char *arg, void *dst) {
    struct cli_list *l = dst;
    if (!*arg || (strchr(arg, ':') != NULL && arg[0] != '['))
        return cli_usage_error(cmd, "%s: give a host name without a port, got '%s'", opt, arg);
    if (l->n >= CLI_LIST_MAX) return cli_usage_error(cmd, "%s given more than %d times", opt, CLI_LIST_MAX);
    l->v[l->n++] = arg;
    return 0;
}

#define T struct serve_opts
static const struct cli_opt serve_opts[] = {
    CLI_STR_OPT("index", 0, T, index, "PATH",
                "answer neighbours and /v1/search with this index (built\nfrom the same vectors; default: exact "
                "search)",
                NULL),
    CLI_STR_OPT("host", 0, T, host, "ADDR", "address to bind (0.0.0.0 or :: for all)", "127.0.0.1"),
    CLI_INT_OPT("port", 0, T, port, 0, 65535, "N", "port (0 = any free port, printed at start)", "8080"),
    CLI_THREADS_OPT(T, n_threads, "worker threads", "number of CPUs"),
    CLI_INT_OPT("max-k", 0, T, max_k, 1, 1000000, "N", "largest k a request may ask", "1000"),
    CLI_I64_OPT("max-body", T, max_body, 16, 1LL << 30, "BYTES", "largest request body", "1048576"),
    CLI_INT_OPT("max-connections", 0, T, max_conn, 1, 100000, "N", "open connections at most", "1024"),
    CLI_INT_OPT("max-connections-per-ip", 0, T, max_per_ip, 0, 100000, "N",
                "open connections from one client address\n(0 = no cap)", "64"),
    CLI_INT_OPT("timeout", 0, T, timeout_s, 1, 86400, "S", "close connections idle for S seconds", "10"),
    CLI_INT_OPT("request-timeout", 0, T, request_timeout_s, 0, 86400, "S",
                "a request's headers and body must arrive within S\nseconds, or it gets 408 and the connection is "
                "closed\n(0 = no deadline)",
                "10"),
    CLI_FN_OPT("allow-host", T, allow_host, parse_allow_host, "NAME",
               "also answer requests whose Host header is NAME (any\nport; repeatable). Bound to loopback, the "
               "server\nanswers only Host localhost, 127.0.0.1 and [::1] (403\notherwise), against DNS rebinding",
               NULL),
    CLI_I64_OPT("map-size", T, map_size, 1, 1000000, "N", "rows in the 2-D map, the first N of the file", "5000"),
    CLI_VECS_OPTS(T, format, vocab),
    CLI_I64_OPT("limit", T, limit, 0, INT64_MAX, "N", "load only the first N vectors", NULL),
    CLI_JSON_OPT(T, json, "print {\"url\", \"port\", ...} on stdout once listening"),
    CLI_QUIET_OPT(T, quiet, "no messages on stderr"),
};
#undef T

static const struct cli_spec serve_spec = {
    .cmd = "serve",
    .usage = "usage: emb serve VECTORS [options]\n"
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
             "  GET  /v1/info                      GET  /healthz\n",
    .opts = serve_opts,
    .n_opts = CLI_NOPTS(serve_opts),
    .tail = "example: emb serve vectors.bin --port 8080   (then open http://127.0.0.1:8080/)\n",
    .max_args = -1,
};

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void print_warning(void *ctx, const char *msg) {
    (void)ctx;
    fprintf(stderr, "emb serve: %s\n", msg);
}

/* The signal that asked to stop (set by the main thread's handler only). */
static volatile sig_atomic_t stop_signal;
static void on_stop_signal(int sig) { stop_signal = sig; }

int cmd_serve(int argc, char **argv) {
    struct emb_serve_opts def = emb_serve_default_opts();
    struct serve_opts o = {
        .host = def.host,
        .port = def.port,
        .n_threads = def.n_threads,
        .max_k = def.max_k,
        .max_body = (int64_t)def.max_body,
        .max_conn = (int)def.max_connections,
        .max_per_ip = (int)def.max_per_ip,
        .timeout_s = (int)def.timeout_s,
        .request_timeout_s = (int)def.request_timeout_s,
        .map_size = def.map_size,
    };
    struct cli_args a;
    int st = cli_parse(&serve_spec, argc, argv, &o, &a);
    if (st >= 0) return st;
    if (a.n != 1) return cli_usage_error("serve", a.n ? "expects one VECTORS file" : "missing VECTORS (see emb serve --help)");
    const char *path = a.v[0];

    /* Before any thread starts (the server's, and the query's pool): every
     * thread inherits this mask; the main thread unblocks it below. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is not fatal */

    struct emb_err err = {0};
    struct emb_vecs *vecs = NULL;
    struct emb_index *ix = NULL;
    struct emb_serve *s = NULL;
    int rc;
    st = CLI_EXIT_FAIL;
    if ((rc = emb_vecs_load(&vecs, path, o.format, o.limit, o.vocab, &err)) != EMB_OK) {
        cli_fail("serve", rc, &err);
        goto done;
    }
    /* Read, not mapped: see DESIGN above. */
    if (o.index && (rc = emb_index_load_flags(&ix, o.index, EMB_INDEX_LOAD_NO_MMAP, &err)) != EMB_OK) {
        fprintf(stderr, "emb serve: %s: %s\n", o.index, emb_err_msg(&err, rc));
        goto done;
    }
    struct emb_serve_opts so = def;
    so.host = o.host;
    so.port = o.port;
    so.n_threads = o.n_threads;
    so.max_k = o.max_k;
    so.max_body = (size_t)o.max_body;
    so.max_connections = (unsigned)o.max_conn;
    so.max_per_ip = (unsigned)o.max_per_ip;
    so.timeout_s = (unsigned)o.timeout_s;
    so.request_timeout_s = (unsigned)o.request_timeout_s;
    so.allow_host = o.allow_host.v;
    so.n_allow_host = o.allow_host.n;
    so.map_size = o.map_size;
    so.name = base_name(path);
    so.warn = o.quiet ? NULL : print_warning;
    if ((rc = emb_serve_new(&s, &so, vecs, ix, &err)) != EMB_OK) {
        if (ix && rc == EMB_EINVAL)
            fprintf(stderr, "emb serve: %s and %s: %s\n", o.index, path, emb_err_msg(&err, rc));
        else
            cli_fail("serve", rc, &err);
        goto done;
    }
    const char *url = emb_serve_url(s);
    if (o.json) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "url", json_object_new_string(url));
        json_object_object_add(j, "port", json_object_new_int(emb_serve_port(s)));
        json_object_object_add(j, "count", json_object_new_int64(vecs->table->n_rows));
        json_object_object_add(j, "dim", json_object_new_int(vecs->table->dim));
        json_object_object_add(j, "threads", json_object_new_int(o.n_threads));
        cli_json_print(j);
        fflush(stdout);
    }
    if (!o.quiet)
        fprintf(stderr, "emb serve: %lld vectors of dimension %d%s, %d threads, listening on %s\n",
                (long long)vecs->table->n_rows, (int)vecs->table->dim, ix ? " (with index)" : "", o.n_threads, url);

    /* Only this thread takes the signals: its handler sets the flag and
     * cuts short emb_serve_run's wait. */
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
    int sig = emb_serve_run(s, &stop_signal);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    if (!o.quiet) fprintf(stderr, "emb serve: %s, shutting down\n", sig == SIGINT ? "interrupted" : "terminated");
    st = 0;
done:
    emb_serve_free(s);
    emb_index_free(ix);
    emb_vecs_free(vecs);
    return st;
}
