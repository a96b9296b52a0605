/*  sw_netscan - the net scanner. See sw_netscan.h. */
#include "sw_netscan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libssh/libssh.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sw_netprobe.h"
#include "sw_resource.h"
#include "sw_tcpscan.h"

#define MAX_PORTS_PROBED 4096 //  open ports probed per shard; more are reported as open only

typedef struct {
    uint32_t addr;
    uint16_t port;
    char ip[16];
    const sw_netscan_opts_t *o;
    volatile int *cancel;
    int64_t deadline; //  all work on this port ends by then (monotonic ms)
} target_t;

static int s_ms (int v, int def)
{
    return v > 0 ? v : def;
}

//  A connected, blocking socket with send and receive timeouts, or -1.
static int s_connect (const target_t *t)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons (t->port), .sin_addr.s_addr = htonl (t->addr)};
    int rc = connect (fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        int err = 0;
        socklen_t el = sizeof err;
        rc = poll (&p, 1, s_ms (t->o->connect_ms, 1000)) == 1 &&
                     getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0
                 ? 0
                 : -1;
    }
    if (rc || sw_tcpscan_is_self_connect (fd) != 0) {
        close (fd);
        return -1;
    }
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    int ms = s_ms (t->o->read_ms, 800);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Reads what the peer sends within ms (until it closes, the buffer is
//  full, or done() says the answer is complete), over ssl when given (its
//  reads then end at the socket's receive timeout). Returns the bytes read.
static size_t s_read_from (int fd, SSL *ssl, char *buf, size_t cap, int ms,
                           bool (*done) (const char *, size_t))
{
    size_t n = 0;
    int64_t end = s_now_ms () + ms;
    while (n < cap) {
        int left = (int)(end - s_now_ms ());
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || (!ssl && poll (&p, 1, left) != 1))
            break;
        ssize_t got =
            ssl ? SSL_read (ssl, buf + n, (int)(cap - n > INT32_MAX ? INT32_MAX : cap - n))
                : recv (fd, buf + n, cap - n, 0);
        if (got <= 0 && ssl && SSL_get_error (ssl, (int)got) == SSL_ERROR_WANT_READ) {
            //  A record not complete yet (the socket is non-blocking): wait
            //  for more within what is left of ms
            if (poll (&p, 1, left) == 1)
                continue;
            break;
        }
        if (got <= 0)
            break;
        n += (size_t)got;
        if (done && done (buf, n))
            break;
    }
    return n;
}

static size_t s_read (int fd, char *buf, size_t cap, int ms, bool (*done) (const char *, size_t))
{
    return s_read_from (fd, NULL, buf, cap, ms, done);
}

static bool s_send (int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send (fd, data + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

//  An answer ends with a line end (a text protocol's reply).
static bool s_line_done (const char *b, size_t n)
{
    return n && b[n - 1] == '\n';
}

//  A binary answer of one byte (PostgreSQL's SSLRequest reply).
static bool s_byte_done (const char *b, size_t n)
{
    (void)b;
    return n >= 1;
}

//  A MongoDB message is complete when its little-endian length arrived.
static bool s_mongo_done (const char *b, size_t n)
{
    if (n < 4)
        return false;
    uint32_t len = (uint32_t)(uint8_t)b[0] | (uint32_t)(uint8_t)b[1] << 8 |
                   (uint32_t)(uint8_t)b[2] << 16 | (uint32_t)(uint8_t)b[3] << 24;
    return n >= len;
}

//  Memcached's stats end with END.
static bool s_end_done (const char *b, size_t n)
{
    return n >= 5 && memcmp (b + n - 5, "END\r\n", 5) == 0;
}

//  A Redis bulk reply ($N\r\n...) is complete when its N bytes arrived.
static bool s_redis_info_done (const char *b, size_t n)
{
    if (n < 4 || b[0] != '$')
        return n && b[n - 1] == '\n';
    const char *nl = memchr (b, '\n', n);
    return nl && n - (size_t)(nl + 1 - b) >= strtoul (b + 1, NULL, 10) + 2;
}

//  A PostgreSQL authentication request (R, length, code) has 9 bytes.
static bool s_auth_done (const char *b, size_t n)
{
    return n >= 9 || (n && b[0] == 'E' && n > 5 && b[n - 1] == 0);
}

static bool s_line_done (const char *b, size_t n);
static bool s_http_done (const char *b, size_t n);

//  When a probe's answer is complete, so that no answer costs a timeout.
static bool (*s_done_of (sw_answer_t answer)) (const char *, size_t)
{
    switch (answer) {
    case SW_ANSWER_HTTP:
        return s_http_done;
    case SW_ANSWER_BYTE:
        return s_byte_done;
    case SW_ANSWER_MONGODB:
        return s_mongo_done;
    case SW_ANSWER_LINE:
        break;
    }
    return s_line_done;
}

//  An HTTP answer is complete when its headers are and Content-Length of
//  body followed (or the peer closes: the caller's read ends then).
static bool s_http_done (const char *b, size_t n)
{
    sw_http_resp_t r;
    if (sw_http_parse (b, n, &r) || !r.header_len)
        return false;
    char cl[32];
    if (!sw_http_header (b, r.header_len, "Content-Length", cl, sizeof cl))
        return false;
    return n - r.header_len >= (size_t)strtoul (cl, NULL, 10);
}

// -------------------------------------------------------------------------
//  TLS

static const struct {
    const char *name;
    int version;
} s_versions[] = {
#ifndef OPENSSL_NO_SSL3
    {"SSLv3", SSL3_VERSION},
#endif
    {"TLSv1.0", TLS1_VERSION},   {"TLSv1.1", TLS1_1_VERSION},
    {"TLSv1.2", TLS1_2_VERSION}, {"TLSv1.3", TLS1_3_VERSION},
};

typedef enum {
    STARTTLS_NONE = 0,
    STARTTLS_SMTP,
    STARTTLS_IMAP,
    STARTTLS_POP3,
    STARTTLS_POSTGRES,
    STARTTLS_FTP
} starttls_t;

//  An SMTP reply is complete at its last line ("250 ...", not "250-...").
static bool s_smtp_done (const char *b, size_t n)
{
    if (!n || b[n - 1] != '\n')
        return false;
    size_t start = n - 1;
    while (start > 0 && b[start - 1] != '\n')
        start--;
    return n - start >= 4 && b[start + 3] == ' ';
}

//  Asks a plain-text protocol to switch to TLS on fd. true when it agreed.
static bool s_starttls (int fd, starttls_t how, int ms)
{
    char buf[1024];
    if (how == STARTTLS_POSTGRES) {
        if (!s_send (fd, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8))
            return false;
        return s_read (fd, buf, 1, ms, NULL) == 1 && buf[0] == 'S';
    }
    if (how == STARTTLS_IMAP || how == STARTTLS_POP3) {
        s_read (fd, buf, sizeof buf, ms, s_line_done); //  the greeting
        const char *cmd = how == STARTTLS_IMAP ? "a STARTTLS\r\n" : "STLS\r\n";
        if (!s_send (fd, cmd, strlen (cmd)))
            return false;
        size_t n = s_read (fd, buf, sizeof buf - 1, ms, s_line_done);
        return how == STARTTLS_IMAP ? n >= 4 && memcmp (buf, "a OK", 4) == 0
                                    : n >= 3 && memcmp (buf, "+OK", 3) == 0;
    }
    if (how == STARTTLS_FTP) {                         //  RFC 4217: AUTH TLS, answered 234
        s_read (fd, buf, sizeof buf, ms, s_smtp_done); //  the greeting, every line
        if (!s_send (fd, "AUTH TLS\r\n", 10))
            return false;
        size_t n = s_read (fd, buf, sizeof buf - 1, ms, s_smtp_done);
        return n >= 3 && memcmp (buf, "234", 3) == 0;
    }
    if (how == STARTTLS_SMTP) {
        s_read (fd, buf, sizeof buf, ms, s_smtp_done); //  the greeting, every line
        if (!s_send (fd, "EHLO cloudsweep\r\n", 17))
            return false;
        s_read (fd, buf, sizeof buf, ms, s_smtp_done);
        if (!s_send (fd, "STARTTLS\r\n", 10))
            return false;
        size_t n = s_read (fd, buf, sizeof buf - 1, ms, s_line_done);
        return n >= 3 && memcmp (buf, "220", 3) == 0;
    }
    return true;
}

//  Waits until fd is ready for what OpenSSL asked (rc of an SSL call),
//  within one answer's wait and the port's deadline, and not cancelled.
static bool s_tls_wait (const target_t *t, SSL *ssl, int rc, int64_t until)
{
    int want = SSL_get_error (ssl, rc);
    if (want != SSL_ERROR_WANT_READ && want != SSL_ERROR_WANT_WRITE)
        return false;
    int64_t now = s_now_ms ();
    if (until > t->deadline)
        until = t->deadline;
    if (now >= until || (t->cancel && *t->cancel))
        return false;
    int left = (int)(until - now);
    struct pollfd p = {SSL_get_fd (ssl), want == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 0};
    return poll (&p, 1, left < 100 ? left : 100) >= 0; //  slices, to see cancel
}

//  The handshake on a non-blocking socket: a server that trickles bytes
//  cannot hold it past two answers' waits or the port's deadline.
static bool s_tls_handshake (const target_t *t, SSL *ssl, int fd)
{
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
    int64_t until = s_now_ms () + 2 * s_ms (t->o->read_ms, 800);
    int rc;
    while ((rc = SSL_connect (ssl)) != 1)
        if (!s_tls_wait (t, ssl, rc, until))
            return false;
    return true;
}

//  One handshake limited to versions [lo, hi] and cipher lists (NULL: all,
//  security level 0). On success returns the connection (the caller frees
//  it and closes *fd_out), else NULL.
static SSL *s_tls_try (const target_t *t, starttls_t how, int lo, int hi, const char *ciphers,
                       const char *suites, int *fd_out)
{
    if (s_now_ms () >= t->deadline || (t->cancel && *t->cancel))
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
    if (!ctx)
        return NULL;
    SSL_CTX_set_security_level (ctx, 0);
    SSL_CTX_set_min_proto_version (ctx, lo);
    SSL_CTX_set_max_proto_version (ctx, hi);
    SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL); //  judged below, never trusted for data
    //  The chain is judged apart from dates (an expired certificate is
    //  its own finding, not also an untrusted chain)
    X509_VERIFY_PARAM_set_flags (SSL_CTX_get0_param (ctx), X509_V_FLAG_NO_CHECK_TIME);
    if (t->o->ca_file)
        SSL_CTX_load_verify_locations (ctx, t->o->ca_file, NULL);
    else
        SSL_CTX_set_default_verify_paths (ctx);
    SSL *ssl = NULL;
    bool ok =
        SSL_CTX_set_cipher_list (ctx, ciphers ? ciphers : "ALL:COMPLEMENTOFALL:@SECLEVEL=0") &&
        (!suites || SSL_CTX_set_ciphersuites (ctx, suites));
    int fd = ok ? s_connect (t) : -1;
    if (fd >= 0 && s_starttls (fd, how, s_ms (t->o->read_ms, 800)) && (ssl = SSL_new (ctx))) {
        SSL_set_fd (ssl, fd);
        const char *name = t->o->tls_name ? t->o->tls_name : NULL;
        if (name)
            SSL_set_tlsext_host_name (ssl, name);
        if (!s_tls_handshake (t, ssl, fd)) {
            SSL_free (ssl);
            ssl = NULL;
        }
    }
    if (!ssl && fd >= 0)
        close (fd);
    SSL_CTX_free (ctx);
    ERR_clear_error ();
    *fd_out = ssl ? fd : -1;
    return ssl;
}

static void s_tls_close (SSL *ssl, int fd)
{
    if (ssl) {
        //  One close_notify, not waited for (the socket is non-blocking);
        //  none after an error
        if (!(SSL_get_shutdown (ssl) & SSL_SENT_SHUTDOWN) && !ERR_peek_error ())
            SSL_shutdown (ssl);
        SSL_free (ssl);
    }
    if (fd >= 0)
        close (fd);
}

static void s_time_iso (const ASN1_TIME *at, char *out, size_t len)
{
    struct tm tm;
    if (!at || !ASN1_TIME_to_tm (at, &tm))
        *out = 0;
    else
        strftime (out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

//  The certificate facts of a connection.
sw_val_t *sw_netscan_cert_facts (sw_arena_t *a, const void *x509, const char *name, bool is_ip)
{
    X509 *cert = (X509 *)x509;
    sw_val_t *c = sw_val_map (a);
    char buf[512];
    X509_NAME_oneline (X509_get_subject_name (cert), buf, sizeof buf);
    sw_val_set (a, c, "subject", sw_val_str (a, buf));
    X509_NAME_oneline (X509_get_issuer_name (cert), buf, sizeof buf);
    sw_val_set (a, c, "issuer", sw_val_str (a, buf));
    s_time_iso (X509_get0_notBefore (cert), buf, sizeof buf);
    sw_val_set (a, c, "not_before", sw_val_str (a, buf));
    s_time_iso (X509_get0_notAfter (cert), buf, sizeof buf);
    sw_val_set (a, c, "not_after", sw_val_str (a, buf));
    sw_val_set (a, c, "expired",
                sw_val_bool (a, X509_cmp_current_time (X509_get0_notAfter (cert)) < 0));
    sw_val_set (a, c, "not_yet_valid",
                sw_val_bool (a, X509_cmp_current_time (X509_get0_notBefore (cert)) > 0));
    bool self = X509_check_issued (cert, cert) == X509_V_OK;
    sw_val_set (a, c, "self_signed", sw_val_bool (a, self));
    EVP_PKEY *key = X509_get0_pubkey (cert);
    int id = key ? EVP_PKEY_get_base_id (key) : 0;
    sw_val_set (a, c, "key_type",
                sw_val_str (a, id == EVP_PKEY_RSA       ? "RSA"
                               : id == EVP_PKEY_EC      ? "EC"
                               : id == EVP_PKEY_ED25519 ? "Ed25519"
                               : id == EVP_PKEY_DSA     ? "DSA"
                                                        : "other"));
    sw_val_set (a, c, "key_bits", sw_val_int (a, key ? EVP_PKEY_get_bits (key) : 0));
    int sig = X509_get_signature_nid (cert);
    sw_val_set (a, c, "signature", sw_val_str (a, OBJ_nid2sn (sig)));
    sw_val_set (a, c, "sha1_signature",
                sw_val_bool (a, sig == NID_sha1WithRSAEncryption || sig == NID_ecdsa_with_SHA1 ||
                                    sig == NID_dsaWithSHA1 || sig == NID_md5WithRSAEncryption));
    int match = !name   ? 0
                : is_ip ? X509_check_ip_asc (cert, name, 0)
                        : X509_check_host (cert, name, 0, 0, NULL);
    sw_val_set (a, c, "checked_name", sw_val_str (a, name ? name : ""));
    sw_val_set (a, c, "name_matches", sw_val_bool (a, match == 1));
    return c;
}

//  The certificate facts of a connection, its chain's verdict included.
static sw_val_t *s_cert_facts (sw_arena_t *a, SSL *ssl, const target_t *t)
{
    X509 *cert = SSL_get1_peer_certificate (ssl);
    if (!cert)
        return NULL;
    sw_val_t *c =
        sw_netscan_cert_facts (a, cert, t->o->tls_name ? t->o->tls_name : t->ip, !t->o->tls_name);
    long vr = SSL_get_verify_result (ssl);
    sw_val_set (a, c, "chain_trusted", sw_val_bool (a, vr == X509_V_OK));
    if (vr != X509_V_OK)
        sw_val_set (a, c, "chain_error", sw_val_str (a, X509_verify_cert_error_string (vr)));
    X509_free (cert);
    return c;
}

//  Cipher classes a server should never accept, as OpenSSL cipher strings.
static const struct {
    const char *name, *ciphers;
} s_weak[] = {
    {"NULL", "eNULL:@SECLEVEL=0"}, {"EXPORT", "EXP:@SECLEVEL=0"},      {"RC4", "RC4:@SECLEVEL=0"},
    {"3DES", "3DES:@SECLEVEL=0"},  {"anonymous", "aNULL:@SECLEVEL=0"},
};

//  TLS facts of a port, or NULL when it does not speak TLS (after the
//  STARTTLS of how).
static sw_val_t *s_tls_facts (sw_arena_t *a, const target_t *t, starttls_t how)
{
    int fd;
    SSL *ssl = s_tls_try (t, how, s_versions[0].version, TLS1_3_VERSION, NULL, NULL, &fd);
    if (!ssl)
        return NULL;
    sw_val_t *tls = sw_val_map (a);
    //  What this build's OpenSSL cannot offer is said, not silently passed
    sw_val_t *untested = sw_val_arr (a);
#ifdef OPENSSL_NO_SSL3
    sw_val_push (a, untested, sw_val_str (a, "SSLv3"));
#endif
    sw_val_set (a, tls, "versions_untested", untested);
    sw_val_set (a, tls, "negotiated", sw_val_str (a, SSL_get_version (ssl)));
    sw_val_t *cert = s_cert_facts (a, ssl, t);
    if (cert)
        sw_val_set (a, tls, "cert", cert);
    s_tls_close (ssl, fd);
    sw_val_t *versions = sw_val_arr (a);
    int lowest = 0, highest = 0;
    for (size_t i = 0; i < sizeof s_versions / sizeof s_versions[0]; i++) {
        if (t->cancel && *t->cancel)
            break;
        ssl = s_tls_try (t, how, s_versions[i].version, s_versions[i].version, NULL, NULL, &fd);
        if (ssl) {
            sw_val_push (a, versions, sw_val_str (a, s_versions[i].name));
            lowest = lowest ? lowest : s_versions[i].version;
            highest = s_versions[i].version;
        }
        s_tls_close (ssl, fd);
    }
    sw_val_set (a, tls, "versions", versions);
    sw_val_t *weak = sw_val_arr (a);
    int below13 = highest == TLS1_3_VERSION ? TLS1_2_VERSION : highest;
    for (size_t i = 0; lowest && lowest < TLS1_3_VERSION && i < sizeof s_weak / sizeof s_weak[0];
         i++) {
        ssl = s_tls_try (t, how, lowest, below13, s_weak[i].ciphers, NULL, &fd);
        if (ssl)
            sw_val_push (a, weak, sw_val_str (a, s_weak[i].name));
        s_tls_close (ssl, fd);
    }
    sw_val_set (a, tls, "weak_ciphers", weak);
    //  Forward secrecy: does a key exchange without it (static RSA) work?
    bool static_rsa = false;
    if (lowest && lowest < TLS1_3_VERSION) {
        ssl = s_tls_try (t, how, lowest, below13, "kRSA:@SECLEVEL=0", NULL, &fd);
        static_rsa = ssl != NULL;
        s_tls_close (ssl, fd);
    }
    sw_val_set (a, tls, "forward_secrecy", sw_val_bool (a, !static_rsa));
    return tls;
}

// -------------------------------------------------------------------------
//  Probes

//  Sends a probe (over ssl when given) and reads the answer.
static size_t s_exchange (const target_t *t, SSL *ssl, int fd, const char *data, size_t len,
                          char *buf, size_t cap, int ms, bool (*done) (const char *, size_t))
{
    char req[512];
    //  "%h" in a probe is the Host header's value
    const char *h = len ? memmem (data, len, "%h", 2) : NULL;
    if (h && len < sizeof req - 32) {
        size_t pre = (size_t)(h - data);
        int n = snprintf (req, sizeof req, "%.*s%s:%u%.*s", (int)pre, data, t->ip, t->port,
                          (int)(len - pre - 2), h + 2);
        data = req;
        len = n > 0 ? (size_t)n : 0;
    }
    if (ssl) {
        int64_t until = s_now_ms () + ms;
        int rc;
        while (len && (rc = SSL_write (ssl, data, (int)len)) <= 0)
            if (!s_tls_wait (t, ssl, rc, until))
                return 0;
        return s_read_from (fd, ssl, buf, cap, ms, done);
    }
    if (len && !s_send (fd, data, len))
        return 0;
    return s_read (fd, buf, cap, ms, done);
}

//  One request on a fresh connection (TLS when tls); the answer in buf.
static size_t s_request (const target_t *t, bool tls, const char *data, size_t len, char *buf,
                         size_t cap, bool (*done) (const char *, size_t))
{
    int fd = -1;
    SSL *ssl = NULL;
    if (tls)
        ssl = s_tls_try (t, STARTTLS_NONE, TLS1_VERSION, TLS1_3_VERSION, NULL, NULL, &fd);
    else
        fd = s_connect (t);
    if (fd < 0)
        return 0;
    size_t n = s_exchange (t, ssl, fd, data, len, buf, cap, s_ms (t->o->read_ms, 800), done);
    s_tls_close (ssl, fd);
    return n;
}

static size_t s_http_get (const target_t *t, bool tls, const char *method, const char *path,
                          const char *body, char *buf, size_t cap)
{
    char req[1024], entity[96] = "";
    if (body)
        snprintf (entity, sizeof entity,
                  "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen (body));
    int n = snprintf (req, sizeof req,
                      "%s %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: cloudsweep\r\nAccept: */*\r\n"
                      "Connection: close\r\n%s\r\n%s",
                      method, path, t->ip, t->port, entity, body ? body : "");
    return s_request (t, tls, req, n > 0 && (size_t)n < sizeof req ? (size_t)n : 0, buf, cap,
                      s_http_done);
}

//  Well-known paths that should not answer to anyone (a path, and text
//  the answer's body must hold, so a catch-all 200 page is not counted).
static const struct {
    const char *path, *marker;
} s_exposed[] = {
    {"/server-status", "Server Version"}, {"/nginx_status", "Active connections"},
    {"/.git/HEAD", "ref: refs/"},         {"/.env", "="},
    {"/actuator/env", "propertySources"}, {"/debug/pprof/", "profiles"},
    {"/manager/html", "Tomcat"},          {"/phpmyadmin/", "phpMyAdmin"},
};

static sw_val_t *s_http_facts (sw_arena_t *a, const target_t *t, bool tls, const char *reply,
                               size_t n)
{
    sw_http_resp_t r;
    if (sw_http_parse (reply, n, &r))
        return NULL;
    sw_val_t *h = sw_val_map (a);
    sw_val_set (a, h, "status", sw_val_int (a, r.status));
    if (*r.server)
        sw_val_set (a, h, "server", sw_val_str (a, r.server));
    if (*r.powered_by)
        sw_val_set (a, h, "powered_by", sw_val_str (a, r.powered_by));
    if (*r.title)
        sw_val_set (a, h, "title", sw_val_str (a, r.title));
    sw_val_t *missing = sw_val_arr (a);
    if (tls && !r.hsts)
        sw_val_push (a, missing, sw_val_str (a, "Strict-Transport-Security"));
    if (!r.csp)
        sw_val_push (a, missing, sw_val_str (a, "Content-Security-Policy"));
    if (!r.frame_options && !r.csp)
        sw_val_push (a, missing, sw_val_str (a, "X-Frame-Options"));
    if (!r.content_type_options)
        sw_val_push (a, missing, sw_val_str (a, "X-Content-Type-Options"));
    sw_val_set (a, h, "missing_headers", missing);
    sw_val_set (a, h, "directory_listing", sw_val_bool (a, r.directory_listing));
    sw_val_t *exposed = sw_val_arr (a);
    char *buf = malloc (SW_NET_MAX_REPLY);
    for (size_t i = 0; buf && i < sizeof s_exposed / sizeof s_exposed[0]; i++) {
        if (t->cancel && *t->cancel)
            break;
        size_t got = s_http_get (t, tls, "GET", s_exposed[i].path, NULL, buf, SW_NET_MAX_REPLY);
        sw_http_resp_t e;
        if (sw_http_parse (buf, got, &e) == 0 && e.status == 200 && e.header_len &&
            memmem (buf + e.header_len, got - e.header_len, s_exposed[i].marker,
                    strlen (s_exposed[i].marker)))
            sw_val_push (a, exposed, sw_val_str (a, s_exposed[i].path));
    }
    free (buf);
    sw_val_set (a, h, "exposed_paths", exposed);
    return h;
}

//  Splits a name-list into an array, and the names the policy fails and
//  warns about into two more.
static void s_ssh_list (sw_arena_t *a, sw_val_t *ssh, const char *list, const char *names)
{
    sw_val_t *all = sw_val_arr (a), *fail = sw_val_arr (a), *warn = sw_val_arr (a);
    char copy[SW_SSH_NAMELIST];
    snprintf (copy, sizeof copy, "%s", names);
    char *save = NULL;
    for (char *n = strtok_r (copy, ",", &save); n; n = strtok_r (NULL, ",", &save)) {
        sw_val_push (a, all, sw_val_str (a, n));
        sw_ssh_level_t level = sw_ssh_judge (list, n, NULL);
        if (level == SW_SSH_FAIL)
            sw_val_push (a, fail, sw_val_str (a, n));
        else if (level == SW_SSH_WARN)
            sw_val_push (a, warn, sw_val_str (a, n));
    }
    char key[32];
    sw_val_set (a, ssh, list, all);
    snprintf (key, sizeof key, "%s_fail", list);
    sw_val_set (a, ssh, key, fail);
    snprintf (key, sizeof key, "%s_warn", list);
    sw_val_set (a, ssh, key, warn);
}

//  Authentication methods the server offers a client that has not
//  authenticated (libssh: a full key exchange, then "none").
static void s_ssh_auth (sw_arena_t *a, sw_val_t *ssh, const target_t *t)
{
    ssh_session s = ssh_new ();
    if (!s)
        return;
    long timeout = s_ms (t->o->read_ms, 800) / 1000 + 1;
    int port = t->port, strict = 0, verbosity = SSH_LOG_NOLOG;
    ssh_options_set (s, SSH_OPTIONS_HOST, t->ip);
    ssh_options_set (s, SSH_OPTIONS_PORT, &port);
    ssh_options_set (s, SSH_OPTIONS_TIMEOUT, &timeout);
    ssh_options_set (s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict);
    ssh_options_set (s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    ssh_options_set (s, SSH_OPTIONS_USER, "cloudsweep-probe");
    ssh_options_set (s, SSH_OPTIONS_PROCESS_CONFIG, &strict);
    if (ssh_connect (s) == SSH_OK) {
        ssh_userauth_none (s, NULL);
        int methods = ssh_userauth_list (s, NULL);
        sw_val_t *m = sw_val_arr (a);
        if (methods & SSH_AUTH_METHOD_PUBLICKEY)
            sw_val_push (a, m, sw_val_str (a, "publickey"));
        if (methods & SSH_AUTH_METHOD_PASSWORD)
            sw_val_push (a, m, sw_val_str (a, "password"));
        if (methods & SSH_AUTH_METHOD_INTERACTIVE)
            sw_val_push (a, m, sw_val_str (a, "keyboard-interactive"));
        if (methods & SSH_AUTH_METHOD_GSSAPI_MIC)
            sw_val_push (a, m, sw_val_str (a, "gssapi-with-mic"));
        sw_val_set (a, ssh, "auth_methods", m);
        sw_val_set (a, ssh, "password_auth",
                    sw_val_bool (a, (methods & (SSH_AUTH_METHOD_PASSWORD |
                                                SSH_AUTH_METHOD_INTERACTIVE)) != 0));
        ssh_disconnect (s);
    }
    ssh_free (s);
}

static sw_val_t *s_ssh_facts (sw_arena_t *a, const target_t *t, int fd, const char *got, size_t n,
                              const sw_ssh_banner_t *b)
{
    sw_val_t *ssh = sw_val_map (a);
    sw_val_set (a, ssh, "protocol", sw_val_str (a, b->proto));
    sw_val_set (a, ssh, "software", sw_val_str (a, b->software));
    if (*b->version)
        sw_val_set (a, ssh, "software_version", sw_val_str (a, b->version));
    //  Our identification, then the server's KEXINIT (which it sends
    //  without waiting for ours, usually right behind its banner)
    s_send (fd, "SSH-2.0-cloudsweep_1.0\r\n", 24);
    char buf[SW_NET_MAX_REPLY];
    size_t len = n < sizeof buf ? n : sizeof buf;
    memcpy (buf, got, len);
    long skip = sw_ssh_banner_parse (buf, len, &(sw_ssh_banner_t){0});
    sw_ssh_kexinit_t k;
    char err[128];
    long rc = 0;
    for (int i = 0; i < 8 && skip > 0; i++) {
        rc = sw_ssh_kexinit_parse ((const uint8_t *)buf + skip, len - (size_t)skip, &k, err,
                                   sizeof err);
        if (rc != 0 || len == sizeof buf)
            break;
        size_t more = s_read (fd, buf + len, sizeof buf - len, s_ms (t->o->read_ms, 800), NULL);
        if (!more)
            break;
        len += more;
    }
    if (rc > 0) {
        s_ssh_list (a, ssh, "kex", k.kex);
        s_ssh_list (a, ssh, "hostkey", k.hostkey);
        s_ssh_list (a, ssh, "cipher", k.ciphers);
        s_ssh_list (a, ssh, "mac", k.macs);
    } else
        sw_val_set (a, ssh, "kexinit_error", sw_val_str (a, rc < 0 ? err : "no KEXINIT arrived"));
    s_ssh_auth (a, ssh, t);
    return ssh;
}

//  auth: {required: bool, how: "..."}
static sw_val_t *s_auth (sw_arena_t *a, bool required, const char *how)
{
    sw_val_t *m = sw_val_map (a);
    sw_val_set (a, m, "required", sw_val_bool (a, required));
    sw_val_set (a, m, "how", sw_val_str (a, how));
    return m;
}

//  PostgreSQL: a StartupMessage as user postgres; AuthenticationOk at once
//  means trust authentication. Ends with Terminate.
static sw_val_t *s_pg_auth (sw_arena_t *a, const target_t *t)
{
    static const char startup[] = "\x00\x00\x00\x29"
                                  "\x00\x03\x00\x00"
                                  "user\x00postgres\x00"
                                  "database\x00postgres\x00"
                                  "\x00";
    char buf[64];
    size_t n = s_request (t, false, startup, sizeof startup - 1, buf, sizeof buf, s_auth_done);
    if (n < 9 || buf[0] != 'R')
        return n && buf[0] == 'E' ? s_auth (a, true, "StartupMessage as postgres: error") : NULL;
    uint32_t code = (uint32_t)(uint8_t)buf[5] << 24 | (uint32_t)(uint8_t)buf[6] << 16 |
                    (uint32_t)(uint8_t)buf[7] << 8 | (uint8_t)buf[8];
    return s_auth (a, code != 0,
                   code == 0 ? "StartupMessage as postgres: AuthenticationOk without a password "
                               "(trust)"
                             : "StartupMessage as postgres: a password or other method asked");
}

//  A MySQL packet is complete when its 3-byte length arrived.
static bool s_mysql_done (const char *b, size_t n)
{
    return n >= 4 && n - 4 >= ((size_t)(uint8_t)b[0] | (size_t)(uint8_t)b[1] << 8 |
                               (size_t)(uint8_t)b[2] << 16);
}

//  MySQL/MariaDB: a login as root with an empty password (as nmap's
//  mysql-empty-password does; the server logs a failed login). An OK
//  packet means anyone can log in as root; the session is closed at once.
static sw_val_t *s_mysql_auth (sw_arena_t *a, const target_t *t)
{
    int fd = s_connect (t);
    if (fd < 0)
        return NULL;
    char buf[1024];
    int ms = s_ms (t->o->read_ms, 800);
    size_t n = s_read (fd, buf, sizeof buf, ms, s_mysql_done);
    sw_val_t *auth = NULL;
    if (n > 5 && buf[4] == 0x0a) {
        //  HandshakeResponse41: LONG_PASSWORD, PROTOCOL_41,
        //  SECURE_CONNECTION, PLUGIN_AUTH; max packet 16 MiB; utf8; user
        //  root; an empty auth response; the native password plugin
        static const char plugin[] = "mysql_native_password";
        static const char head[] = "\x01\x82\x08\x00"
                                   "\x00\x00\x00\x01"
                                   "\x21";
        char pkt[128] = {0};
        size_t p = 4;
        memcpy (pkt + p, head, sizeof head - 1);
        p += sizeof head - 1 + 23; //  and 23 reserved zero bytes
        memcpy (pkt + p, "root", 5);
        p += 5;
        pkt[p++] = 0;
        memcpy (pkt + p, plugin, sizeof plugin);
        p += sizeof plugin;
        size_t len = p - 4;
        pkt[0] = (char)(len & 0xff);
        pkt[3] = 1; //  sequence number
        n = s_send (fd, pkt, p) ? s_read (fd, buf, sizeof buf, ms, s_mysql_done) : 0;
        if (n > 4) {
            //  An AuthSwitchRequest (MySQL 8's caching_sha2_password,
            //  MariaDB's ed25519): the empty password again, its way
            if ((uint8_t)buf[4] == 0xfe) {
                char again[4] = {0, 0, 0, (char)((uint8_t)buf[3] + 1)};
                n = s_send (fd, again, 4) ? s_read (fd, buf, sizeof buf, ms, s_mysql_done) : 0;
            }
            //  caching_sha2_password's "fast auth" answer (0x01 0x03) comes
            //  before the OK packet
            size_t first = 4 + ((size_t)(uint8_t)buf[0] | (size_t)(uint8_t)buf[1] << 8 |
                                (size_t)(uint8_t)buf[2] << 16);
            if (n > 6 && buf[4] == 0x01 && buf[5] == 0x03) {
                if (n > first) { //  the OK packet came with it
                    memmove (buf, buf + first, n - first);
                    n -= first;
                } else
                    n = s_read (fd, buf, sizeof buf, ms, s_mysql_done);
            }
        }
        if (n > 4) {
            bool ok = buf[4] == 0x00;
            auth = s_auth (a, !ok,
                           ok ? "root logged in with an empty password"
                              : "root with an empty password was refused");
            if (ok)
                s_send (fd, "\x01\x00\x00\x00\x01", 5); //  COM_QUIT
        }
    }
    close (fd);
    return auth;
}

static void s_service (sw_arena_t *a, sw_val_t *doc, const sw_ident_t *id)
{
    sw_val_set (a, doc, "service", sw_val_str (a, id->service));
    if (*id->product)
        sw_val_set (a, doc, "product", sw_val_str (a, id->product));
    if (*id->version)
        sw_val_set (a, doc, "version", sw_val_str (a, id->version));
}

//  What a data store or control plane answers without credentials.
static void s_datastore_auth (sw_arena_t *a, sw_val_t *doc, const target_t *t, bool tls,
                              const char *service, const char *reply, size_t n)
{
    char *buf = malloc (SW_NET_MAX_REPLY);
    sw_http_resp_t r;
    sw_val_t *auth = NULL;
    if (!buf)
        return;
    if (strcmp (service, "redis") == 0) {
        bool open = n && reply[0] == '+';
        auth = s_auth (a, !open, open ? "PING answered PONG without AUTH" : "PING refused");
        size_t got = open ? s_request (t, false, "INFO server\r\n", 13, buf, SW_NET_MAX_REPLY - 1,
                                       s_redis_info_done)
                          : 0;
        buf[got] = 0;
        char *v = got ? strstr (buf, "redis_version:") : NULL;
        if (v && !sw_val_get (doc, "version")) {
            char version[64];
            sw_banner_clean (v + 14, strcspn (v + 14, "\r\n"), version, sizeof version);
            sw_val_set (a, doc, "version", sw_val_str (a, version));
        }
    } else if (strcmp (service, "memcached") == 0) {
        size_t got = s_request (t, false, "stats\r\n", 7, buf, SW_NET_MAX_REPLY, s_end_done);
        bool open = got >= 9 && memcmp (buf, "STAT pid ", 9) == 0;
        auth = s_auth (a, !open, open ? "stats answered without authentication" : "stats refused");
    } else if (strcmp (service, "postgresql") == 0)
        auth = s_pg_auth (a, t);
    else if (strcmp (service, "mysql") == 0)
        auth = s_mysql_auth (a, t);
    else if (strcmp (service, "elasticsearch") == 0 && sw_http_parse (reply, n, &r) == 0)
        auth = s_auth (a, r.status == 401 || r.status == 403,
                       r.status == 200 ? "GET / answered without credentials" : "GET / refused");
    else if (strcmp (service, "etcd") == 0) {
        size_t got = s_http_get (t, tls, "POST", "/v3/kv/range", "{\"key\":\"AA==\",\"limit\":1}",
                                 buf, SW_NET_MAX_REPLY);
        if (sw_http_parse (buf, got, &r) == 0)
            auth = s_auth (a, r.status != 200,
                           r.status == 200 ? "a v3 range read answered without credentials"
                                           : "a v3 range read was refused");
    } else if (strcmp (service, "docker") == 0 && sw_http_parse (reply, n, &r) == 0)
        auth = s_auth (a, r.status == 401 || r.status == 403,
                       "the Docker API answered GET / (it has no authentication of its own)");
    else if (strcmp (service, "kubelet") == 0) {
        size_t got = s_http_get (t, tls, "GET", "/pods", NULL, buf, SW_NET_MAX_REPLY);
        if (sw_http_parse (buf, got, &r) == 0)
            auth = s_auth (a, r.status != 200,
                           r.status == 200 ? "GET /pods answered without credentials"
                                           : "GET /pods refused");
    } else if (strcmp (service, "mongodb") == 0) {
        //  OP_MSG {listDatabases: 1, nameOnly: true, $db: "admin"}: 71 bytes,
        //  the document 50
        static const char list[] = "\x47\x00\x00\x00"
                                   "\x02\x00\x00\x00"
                                   "\x00\x00\x00\x00"
                                   "\xdd\x07\x00\x00"
                                   "\x00\x00\x00\x00"
                                   "\x00"
                                   "\x32\x00\x00\x00"
                                   "\x10"
                                   "listDatabases\x00"
                                   "\x01\x00\x00\x00"
                                   "\x08"
                                   "nameOnly\x00"
                                   "\x01"
                                   "\x02"
                                   "$db\x00"
                                   "\x06\x00\x00\x00"
                                   "admin\x00"
                                   "\x00";
        _Static_assert(sizeof list - 1 == 0x47, "OP_MSG length");
        size_t got =
            s_request (t, false, list, sizeof list - 1, buf, SW_NET_MAX_REPLY, s_mongo_done);
        bool open = got > 21 && memmem (buf, got, "databases", 9) != NULL;
        if (got > 21)
            auth = s_auth (a, !open,
                           open ? "listDatabases answered without credentials"
                                : "listDatabases refused");
    }
    if (auth)
        sw_val_set (a, doc, "auth", auth);
    free (buf);
}

//  Ports where TLS is the rule: the handshake is tried before any probe.
static bool s_tls_port (uint16_t port)
{
    static const uint16_t ports[] = {443,  465,  636,  853,  993,  995,  2376,
                                     3269, 4443, 5986, 6443, 8443, 9443, 10250};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (ports[i] == port)
            return true;
    return false;
}

//  The service behind a TLS handshake: an HTTP request inside it. The
//  answer replaces reply (and the banner).
static bool s_identify_in_tls (const target_t *t, char *reply, size_t *n, char *banner, size_t blen,
                               sw_ident_t *id)
{
    *n = s_request (t, true, "GET / HTTP/1.0\r\nHost: %h\r\n\r\n", 28, reply, SW_NET_MAX_REPLY,
                    s_http_done);
    *banner = 0;
    if (*n)
        sw_banner_clean (reply, *n, banner, blen);
    return *n && t->o->probes && sw_probetab_match (t->o->probes, "http", reply, *n, id);
}

sw_val_t *sw_netscan_port (sw_arena_t *a, uint32_t addr, uint16_t port,
                           const sw_netscan_opts_t *opts, volatile int *cancel)
{
    sw_netscan_opts_t none = {0};
    target_t t = {addr, port, "", opts ? opts : &none, cancel, 0};
    //  Identification has the port budget; all the port's work, TLS facts
    //  and HTTP paths included, three times that
    t.deadline = s_now_ms () + 3 * (int64_t)s_ms (t.o->port_budget_ms, 4000);
    sw_ipv4_format (addr, t.ip);
    sw_val_t *doc = sw_val_map (a);
    sw_val_set (a, doc, "address", sw_val_str (a, t.ip));
    sw_val_set (a, doc, "port", sw_val_int (a, port));
    sw_val_set (a, doc, "transport", sw_val_str (a, "tcp"));
    char *reply = malloc (SW_NET_MAX_REPLY);
    if (!reply)
        return doc;
    sw_ident_t id = {0};
    bool found = false, tls = false;
    size_t n = 0;
    char banner[256] = "";
    size_t order[16];
    const sw_probetab_t *tab = t.o->probes;
    size_t nprobes = tab ? sw_probetab_order (tab, port, order, 16) : 0;
    //  On a port that is usually TLS the handshake goes first (the probes
    //  then go inside); elsewhere when a probe's answer says TLS
    sw_val_t *tls_facts = NULL;
    bool tls_tried = s_tls_port (port);
    if (tls_tried) {
        tls_facts = s_tls_facts (a, &t, STARTTLS_NONE);
        if (tls_facts) {
            tls = true;
            found = s_identify_in_tls (&t, reply, &n, banner, sizeof banner, &id);
        }
    }
    //  A service that never answers gets two probes (and a TLS handshake)
    //  and the port a budget in all: silence costs waits, not a hang
    int64_t deadline = s_now_ms () + s_ms (t.o->port_budget_ms, 4000);
    int silent = 0;
    for (size_t i = 0; i < nprobes && !found && !tls && !(cancel && *cancel); i++) {
        const sw_probe_t *p = sw_probetab_probe (tab, order[i]);
        bool null = p->len == 0;
        //  A service that speaks first says so to any probe (its banner
        //  is matched whatever was sent): the wait for one is only worth
        //  it as the first probe
        if (null && i > 0)
            continue;
        if (silent >= 2 || s_now_ms () >= deadline)
            break;
        int fd = s_connect (&t);
        if (fd < 0)
            break;
        int wait = null ? s_ms (t.o->banner_ms, 300) : s_ms (t.o->read_ms, 800);
        n = s_exchange (&t, NULL, fd, p->payload, p->len, reply, SW_NET_MAX_REPLY, wait,
                        s_done_of (p->answer));
        if (n && !*banner)
            sw_banner_clean (reply, n, banner, sizeof banner);
        sw_ssh_banner_t sb;
        if (n && sw_ssh_banner_parse (reply, n, &sb) > 0) {
            sw_probetab_match (tab, "null", reply, n, &id);
            s_service (a, doc, &id);
            sw_val_set (a, doc, "ssh", s_ssh_facts (a, &t, fd, reply, n, &sb));
            found = true;
        } else if (n && (sw_probetab_match (tab, p->name, reply, n, &id) ||
                         (!null && sw_probetab_match (tab, "null", reply, n, &id))))
            found = true;
        close (fd);
        silent += n == 0 && !null;
        //  A TLS server answers plain text with an alert (0x15), an
        //  HTTP error that says so, or by closing
        bool says_tls = n == 0 || (uint8_t)reply[0] == 0x15 ||
                        memmem (reply, n, "sent to HTTPS port", 18) ||
                        memmem (reply, n, "speaking plain HTTP to an SSL", 29);
        if (!null && !tls_tried && says_tls && (!found || strcmp (id.service, "http") == 0)) {
            tls_tried = true; //  once: a silent port would not answer a second time
            tls_facts = s_tls_facts (a, &t, STARTTLS_NONE);
            if (tls_facts) {
                tls = true;
                found = s_identify_in_tls (&t, reply, &n, banner, sizeof banner, &id);
            }
        }
    }
    if (found && !sw_val_get (doc, "service")) {
        if (tls && strcmp (id.service, "http") == 0)
            snprintf (id.service, sizeof id.service, "https");
        s_service (a, doc, &id);
    }
    if (!found)
        sw_val_set (a, doc, "service", sw_val_str (a, tls ? "tls" : "unknown"));
    if (*banner)
        sw_val_set (a, doc, "banner", sw_val_str (a, banner));
    const char *svc = sw_val_cstr (sw_val_get (doc, "service"));
    //  STARTTLS where the protocol has it
    starttls_t how = !svc || tls                       ? STARTTLS_NONE
                     : strcmp (svc, "postgresql") == 0 ? STARTTLS_POSTGRES
                     : strcmp (svc, "smtp") == 0       ? STARTTLS_SMTP
                     : strcmp (svc, "imap") == 0       ? STARTTLS_IMAP
                     : strcmp (svc, "pop3") == 0       ? STARTTLS_POP3
                     : strcmp (svc, "ftp") == 0        ? STARTTLS_FTP
                                                       : STARTTLS_NONE;
    if (how != STARTTLS_NONE) {
        tls_facts = s_tls_facts (a, &t, how);
        if (tls_facts)
            sw_val_set (a, tls_facts, "starttls", sw_val_bool (a, true));
    }
    if (tls_facts)
        sw_val_set (a, doc, "tls", tls_facts);
    if (svc && (strcmp (svc, "http") == 0 || strcmp (svc, "https") == 0)) {
        sw_val_t *h = s_http_facts (a, &t, tls, reply, n);
        if (h)
            sw_val_set (a, doc, "http", h);
    }
    if (svc)
        s_datastore_auth (a, doc, &t, tls, svc, reply, n);
    free (reply);
    return doc;
}

// -------------------------------------------------------------------------
//  A shard: discovery, probes, rules

typedef struct {
    uint16_t *ports;
    size_t n, cap;
} open_t;

static int s_on_open (void *arg, uint32_t addr, uint16_t port)
{
    (void)addr;
    open_t *o = arg;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        uint16_t *p = realloc (o->ports, cap * sizeof *p);
        if (!p)
            return -1;
        o->ports = p;
        o->cap = cap;
    }
    o->ports[o->n++] = port;
    return 0;
}

typedef struct {
    uint32_t addr;
    const uint16_t *ports;
    size_t n;
    const sw_netscan_opts_t *opts;
    volatile int *cancel;
    sw_resset_t **sets; //  one per port, filled by whichever thread probed it
    atomic_size_t next;
} probe_pool_t;

static void *s_prober (void *arg)
{
    probe_pool_t *p = arg;
    size_t i;
    while ((i = atomic_fetch_add (&p->next, 1)) < p->n) {
        if (p->cancel && *p->cancel)
            break;
        sw_resset_t *set = sw_resset_new ();
        if (!set)
            break;
        sw_val_t *doc = sw_netscan_port (set->arena, p->addr, p->ports[i], p->opts, p->cancel);
        char id[32];
        snprintf (id, sizeof id, "%s:%u", sw_val_cstr (sw_val_get (doc, "address")), p->ports[i]);
        sw_resset_add (set, "net.service", NULL, id, id, 0, doc);
        p->sets[i] = set;
    }
    return NULL;
}

static int s_port_cmp (const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

typedef struct {
    sw_netscan_emit_fn *emit;
    void *arg;
    const char *bundle;
    int rc;
} emit_t;

static void s_on_rule (void *arg, const sw_rule_t *rule, const sw_resource_t *res,
                       const char *evidence)
{
    emit_t *e = arg;
    const sw_val_t *d = res->doc;
    char location[32], ev[1200];
    const char *svc = sw_val_cstr (sw_val_get (d, "service"));
    const char *product = sw_val_cstr (sw_val_get (d, "product"));
    const char *version = sw_val_cstr (sw_val_get (d, "version"));
    snprintf (location, sizeof location, "tcp/%" PRId64, sw_val_get (d, "port")->i);
    snprintf (ev, sizeof ev, "%s%s%s%s%s%s", svc ? svc : "?", product ? " (" : "",
              product ? product : "", version ? " " : "", version ? version : "",
              product ? ")" : "");
    if (*evidence)
        snprintf (ev + strlen (ev), sizeof ev - strlen (ev), ": %s", evidence);
    sw_finding_t f = {.severity = sw_rule_severity (rule)};
    f.scanner = (char *)"net";
    f.rule = (char *)sw_rule_id (rule);
    f.resource = (char *)sw_val_cstr (sw_val_get (d, "address"));
    f.location = location;
    f.title = (char *)sw_rule_title (rule);
    f.evidence = ev;
    f.remediation = (char *)sw_rule_remediation (rule);
    f.references = *sw_rule_references (rule) ? (char *)sw_rule_references (rule) : NULL;
    f.compliance = *sw_rule_compliance (rule) ? (char *)sw_rule_compliance (rule) : NULL;
    f.bundle = (char *)e->bundle;
    sw_finding_fingerprint (&f);
    if (e->rc == 0)
        e->rc = e->emit (e->arg, &f);
}

int sw_netscan_run (const sw_ruleset_t *rules, const char *bundle_version, uint32_t addr,
                    const sw_portlist_t *ports, const sw_netscan_opts_t *opts, volatile int *cancel,
                    sw_netscan_emit_fn *emit, sw_netscan_facts_fn *facts, void *arg,
                    sw_netscan_stats_t *stats, char *err, size_t errlen)
{
    sw_netscan_stats_t none;
    if (!stats)
        stats = &none;
    memset (stats, 0, sizeof *stats);
    if (!opts || !opts->probes) {
        snprintf (err, errlen, "no probe table: services cannot be identified");
        return -1;
    }
    sw_tcpscan_opts_t topts = {.max_inflight = opts->max_inflight, .timeout_ms = opts->connect_ms};
    sw_tcpscan_stats_t ts = {0};
    open_t open = {0};
    if (sw_tcpscan_run (addr, ports, &topts, cancel, s_on_open, &open, &ts, err, errlen)) {
        free (open.ports);
        return -1;
    }
    stats->open = ts.open;
    stats->closed = ts.closed;
    stats->filtered = ts.filtered;
    if (open.n > 1)
        qsort (open.ports, open.n, sizeof *open.ports, s_port_cmp);
    //  Ports are probed by a few threads at once (the per-target
    //  concurrency), each into a set of its own; the rules then run on
    //  each set in port order, so findings come in the same order always.
    size_t n = open.n < MAX_PORTS_PROBED ? open.n : MAX_PORTS_PROBED;
    probe_pool_t pool = {
        addr, open.ports, n, opts, cancel, calloc (n ? n : 1, sizeof (sw_resset_t *)), 0};
    int nthreads = opts->per_target > 0 ? opts->per_target : 4;
    if ((size_t)nthreads > n)
        nthreads = (int)n;
    pthread_t threads[64];
    if (nthreads > 64)
        nthreads = 64;
    int started = 0;
    for (; pool.sets && started < nthreads; started++)
        if (pthread_create (&threads[started], NULL, s_prober, &pool))
            break;
    if (pool.sets && started == 0)
        s_prober (&pool); //  no thread: probe here
    for (int i = 0; i < started; i++)
        pthread_join (threads[i], NULL);
    free (open.ports);
    emit_t e = {emit, arg, bundle_version, 0};
    if (!pool.sets) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        sw_resset_t *set = pool.sets[i];
        if (!set)
            continue;
        const sw_val_t *doc = set->items[0].doc;
        const char *svc = sw_val_cstr (sw_val_get (doc, "service"));
        stats->services += svc && strcmp (svc, "unknown") != 0;
        stats->tls += sw_val_get (doc, "tls") != NULL;
        if (facts) {
            char *json = sw_val_to_json (doc, 1 << 20);
            if (json)
                facts (arg, json);
            free (json);
        }
        if (rules && !(cancel && *cancel))
            stats->evaluations += (uint32_t)sw_ruleset_eval (rules, NULL, set, s_on_rule, &e);
        sw_resset_destroy (&pool.sets[i]);
    }
    free (pool.sets);
    if (cancel && *cancel) {
        snprintf (err, errlen, "cancelled");
        return -1;
    }
    if (e.rc)
        snprintf (err, errlen, "findings could not be kept (out of memory, or too many)");
    return e.rc ? -1 : 0;
}
