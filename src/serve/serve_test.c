/* serve_test.c -- the HTTP service embedded in a program, as another
 * program would use it: linked against libemb_serve and libemb only (no
 * CLI code). Starts a server on a port the kernel picks, asks one
 * question through a plain socket, stops it with the stop flag from
 * another thread, and checks the start-up errors (bad options, an unknown
 * address, a port in use). The whole API is tested through the
 * CLI by tests/serve_api.py. */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emb/serve.h"
#include "test.h"

static char tmpdir[] = "/tmp/serve_test_XXXXXX";

/* One HTTP/1.1 request to 127.0.0.1:port; the whole answer in buf. */
static int http_get(int port, const char *target, const char *host, char *buf, size_t n) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char req[512];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host);
    if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = recv(fd, buf + got, n - 1 - got, 0)) > 0) got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    return 0;
}

struct runner {
    struct emb_serve *s;
    volatile sig_atomic_t stop;
    int rc;
};

static void *run_thread(void *arg) {
    struct runner *r = arg;
    r->rc = emb_serve_run(r->s, &r->stop);
    return NULL;
}

static struct emb_vecs *load(const char *name, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    if (test_write_file(path, text, strlen(text)) != 0) return NULL;
    struct emb_err err = {0};
    struct emb_vecs *v = NULL;
    if (emb_vecs_load(&v, path, EMB_FMT_TEXT, 0, NULL, &err) != EMB_OK) fprintf(stderr, "load: %s\n", err.msg);
    return v;
}

static int test_embedded(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = load("v.txt", "3 2\nalpha 1 0\nbeta 0.9 0.1\ngamma 0 1\n");
    CHECK(v != NULL);
    struct emb_serve_opts o = emb_serve_default_opts();
    o.port = 0;
    o.n_threads = 2;
    o.name = "v.txt";
    struct runner r = {0};
    CHECK_OK(emb_serve_new(&r.s, &o, v, NULL, &err));
    int port = emb_serve_port(r.s);
    CHECK(port > 0 && port < 65536);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/", port);
    CHECK(!strcmp(emb_serve_url(r.s), want));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, run_thread, &r) == 0);

    static char buf[1 << 16];
    CHECK(http_get(port, "/v1/neighbors?q=alpha&k=1", "localhost", buf, sizeof buf) == 0);
    CHECK(!strncmp(buf, "HTTP/1.1 200", 12));
    CHECK(strstr(buf, "\"neighbors\":[{\"word\":\"beta\",\"score\":") != NULL);
    /* A Host that is not this machine is refused (loopback binding). */
    CHECK(http_get(port, "/healthz", "evil.example", buf, sizeof buf) == 0);
    CHECK(!strncmp(buf, "HTTP/1.1 403", 12));

    /* The port is taken now: a second server on it says so. */
    struct emb_serve *s2 = NULL;
    o.port = port;
    CHECK(emb_serve_new(&s2, &o, v, NULL, &err) == EMB_EIO);
    CHECK(s2 == NULL && strstr(err.msg, "in use") != NULL);

    r.stop = 1;
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(r.rc == 1);
    emb_serve_free(r.s);
    /* After free the port no longer answers. */
    CHECK(http_get(port, "/healthz", "localhost", buf, sizeof buf) != 0);
    emb_vecs_free(v);
    return 0;
}

static int test_bad_start(void) {
    struct emb_err err = {0};
    struct emb_vecs *v = load("w.txt", "2 2\na 1 0\nb 0 1\n");
    CHECK(v != NULL);
    struct emb_serve *s = NULL;
    struct emb_serve_opts o = emb_serve_default_opts();
    o.port = 0;
    o.n_threads = 0;
    CHECK(emb_serve_new(&s, &o, v, NULL, &err) == EMB_EINVAL && s == NULL && strstr(err.msg, "threads"));
    o = emb_serve_default_opts();
    o.port = 0;
    o.host = "no.such.host.invalid";
    CHECK(emb_serve_new(&s, &o, v, NULL, &err) == EMB_EIO && s == NULL && strstr(err.msg, "cannot use address"));
    CHECK(emb_serve_new(&s, &o, NULL, NULL, &err) == EMB_EINVAL && s == NULL);
    emb_serve_free(NULL);
    emb_vecs_free(v);
    return 0;
}

int main(void) {
    if (!mkdtemp(tmpdir)) return 1;
    signal(SIGPIPE, SIG_IGN);
    int failed = 0;
    RUN(test_embedded);
    RUN(test_bad_start);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) failed++;
    printf("serve_test: %s\n", failed ? "FAILED" : "ok");
    return failed != 0;
}
