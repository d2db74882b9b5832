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
#include <getopt.h>
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
        .max_body = (long long)def.max_body,
        .max_conn = (int)def.max_connections,
        .max_per_ip = (int)def.max_per_ip,
        .timeout_s = (int)def.timeout_s,
        .request_timeout_s = (int)def.request_timeout_s,
        .map_size = def.map_size,
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
    so.allow_host = o.allow_host;
    so.n_allow_host = o.n_allow_host;
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
    free(o.allow_host);
    return st;
}
