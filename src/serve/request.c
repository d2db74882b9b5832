/* request.c -- the bottom of libemb_serve: strict query-string decoding
 * (a bad %-escape, invalid UTF-8 or a NUL byte is an error rather than
 * being passed on half-decoded), the Host-header check, and JSON strings
 * and error objects. Both the HTTP layer (http.c) and the endpoints
 * (api.c) use these; this file uses neither. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "serve_internal.h"

/* ---- decoding -------------------------------------------------------------- */

int emb__serve_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == 0) return 0;
        if (c < 0x80) {
            p++;
            continue;
        }
        int extra;
        unsigned min;
        if (c >= 0xc2 && c <= 0xdf) extra = 1, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef) extra = 2, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4) extra = 3, min = 0x10000;
        else return 0; /* continuation byte first, overlong 0xc0/0xc1, or > U+10FFFF */
        if (end - p <= extra) return 0;
        unsigned cp = c & (0x3f >> extra);
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        p += extra + 1;
    }
    return 1;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode s[0..n) in place of out (which has room for n bytes): %XX
 * escapes, and '+' as a space when plus is set. Returns the decoded
 * length, or -1 on a malformed escape. */
static long pct_decode(const char *s, size_t n, char *out, int plus) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) return -1; /* needs two more bytes */
            int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
            if (a < 0 || b < 0) return -1;
            out[o++] = (char)(a * 16 + b);
            i += 2;
        } else if (plus && s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    return (long)o;
}

const char *emb__serve_param(const struct serve_params *p, const char *key, size_t *len) {
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->key[i], key)) {
            if (len) *len = p->val_len[i];
            return p->val[i];
        }
    return NULL;
}

/* Documented in serve_internal.h. */
int emb__serve_parse_query(const char *q, size_t n, struct serve_params *p, char *msg, size_t msg_n) {
    memset(p, 0, sizeof *p);
    if (n == 0) return 0;
    /* Decoding never grows a string; +2 per field for the NULs. */
    p->buf = malloc(n + 2 * SERVE_MAX_PARAMS + 2);
    if (!p->buf) return snprintf(msg, msg_n, "out of memory"), -1;
    char *w = p->buf;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        if (j > i) { /* skip empty fields ("a=1&&b=2") */
            if (p->n == SERVE_MAX_PARAMS)
                return snprintf(msg, msg_n, "too many query parameters (at most %d)", SERVE_MAX_PARAMS), -1;
            size_t eq = i;
            while (eq < j && q[eq] != '=') eq++;
            long kl = pct_decode(q + i, eq - i, w, 1);
            if (kl < 0) return snprintf(msg, msg_n, "bad percent-encoding in the query string"), -1;
            if (!emb__serve_utf8_valid(w, (size_t)kl))
                return snprintf(msg, msg_n, "query parameter name is not valid UTF-8"), -1;
            w[kl] = '\0';
            const char *key = w;
            w += kl + 1;
            long vl = eq < j ? pct_decode(q + eq + 1, j - eq - 1, w, 1) : 0;
            if (vl < 0) return snprintf(msg, msg_n, "bad percent-encoding in parameter '%.40s'", key), -1;
            if (!emb__serve_utf8_valid(w, (size_t)vl))
                return snprintf(msg, msg_n, "parameter '%.40s' is not valid UTF-8 (or holds a NUL)", key), -1;
            w[vl] = '\0';
            for (int t = 0; t < p->n; t++)
                if (!strcmp(p->key[t], key)) return snprintf(msg, msg_n, "parameter '%.40s' given twice", key), -1;
            p->key[p->n] = key;
            p->val[p->n] = w;
            p->val_len[p->n] = (size_t)vl;
            p->n++;
            w += vl + 1;
        }
        i = j + 1;
    }
    return 0;
}

/* ---- Host header ------------------------------------------------------------ */

/* Compare host[0..n) with name, ignoring ASCII case. */
static int name_is(const char *host, size_t n, const char *name) {
    return strlen(name) == n && !strncasecmp(host, name, n);
}

int emb__serve_host_allowed(const char *host, const char *const *allow, int n) {
    if (!host) return 0;
    /* The name ends at the port's ':' (after the ']' of an IPv6 literal). */
    size_t name_n;
    if (host[0] == '[') {
        const char *e = strchr(host, ']');
        if (!e) return 0;
        name_n = (size_t)(e - host) + 1;
    } else {
        name_n = strcspn(host, ":");
    }
    const char *port = host + name_n;
    if (*port) {
        if (*port != ':') return 0;
        port++;
        size_t digits = strspn(port, "0123456789");
        if (port[digits] || digits > 5) return 0;
    }
    if (name_is(host, name_n, "localhost") || name_is(host, name_n, "127.0.0.1") || name_is(host, name_n, "[::1]"))
        return 1;
    for (int i = 0; i < n; i++)
        if (name_is(host, name_n, allow[i])) return 1;
    return 0;
}

/* ---- JSON ------------------------------------------------------------------- */

/* A JSON string for s (n bytes). Vocabulary words come from files and may
 * hold bytes that are not UTF-8; those become U+FFFD so the answer stays
 * valid JSON. */
struct json_object *emb__serve_jstr(const char *s, size_t n) {
    if (emb__serve_utf8_valid(s, n)) return json_object_new_string_len(s, (int)n);
    char *buf = malloc(3 * n + 1), *w = buf;
    if (!buf) return NULL;
    for (size_t i = 0; i < n;) {
        /* Take the longest valid sequence starting here (1 to 4 bytes). */
        size_t len = 0;
        for (size_t l = 1; l <= 4 && i + l <= n; l++)
            if (emb__serve_utf8_valid(s + i, l)) {
                len = l;
                break;
            }
        if (len) {
            memcpy(w, s + i, len);
            w += len;
            i += len;
        } else {
            memcpy(w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    struct json_object *o = json_object_new_string_len(buf, (int)(w - buf));
    free(buf);
    return o;
}

int emb__serve_error(struct json_object **out, int status, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The message may quote a parameter cut at any byte: keep it UTF-8. */
    struct json_object *o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "error", emb__serve_jstr(msg, strlen(msg)));
        json_object_object_add(o, "status", json_object_new_int(status));
    }
    *out = o;
    return status;
}
