/*  sw_netprobe - parsers of what network services say. */
#include "sw_netprobe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// -------------------------------------------------------------------------
//  SSH

//  Copies n bytes of s into out (size outlen), NUL-terminated, cut to fit.
static void s_copy (char *out, size_t outlen, const char *s, size_t n)
{
    if (!outlen)
        return;
    if (n >= outlen)
        n = outlen - 1;
    memcpy (out, s, n);
    out[n] = 0;
}

long sw_ssh_banner_parse (const char *buf, size_t len, sw_ssh_banner_t *out)
{
    memset (out, 0, sizeof *out);
    size_t at = 0;
    //  RFC 4253 4.2: other lines may come first; at most a few, bounded
    for (int line = 0; line < 32 && at < len; line++) {
        const char *nl = memchr (buf + at, '\n', len - at);
        if (!nl)
            return len - at > 255 ? -1 : 0; //  an identification line is at most 255 bytes
        size_t end = (size_t)(nl - buf);
        size_t n = end - at;
        if (n && buf[end - 1] == '\r')
            n--;
        if (n >= 4 && memcmp (buf + at, "SSH-", 4) == 0) {
            const char *l = buf + at + 4;
            size_t ln = n - 4;
            const char *dash = memchr (l, '-', ln);
            if (!dash)
                return -1;
            s_copy (out->proto, sizeof out->proto, l, (size_t)(dash - l));
            const char *sw = dash + 1;
            size_t swn = ln - (size_t)(sw - l);
            const char *space = memchr (sw, ' ', swn);
            size_t idn = space ? (size_t)(space - sw) : swn;
            if (space)
                s_copy (out->comment, sizeof out->comment, space + 1, swn - idn - 1);
            //  "OpenSSH_9.2p1": software and version split at '_'
            const char *us = memchr (sw, '_', idn);
            if (us) {
                s_copy (out->software, sizeof out->software, sw, (size_t)(us - sw));
                s_copy (out->version, sizeof out->version, us + 1, idn - (size_t)(us - sw) - 1);
            } else
                s_copy (out->software, sizeof out->software, sw, idn);
            for (char *p = out->comment; *p; p++)
                if (!isprint ((unsigned char)*p))
                    *p = '.';
            return (long)end + 1;
        }
        at = end + 1;
    }
    return -1;
}

static uint32_t s_u32 (const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

//  Reads one name-list at *at of payload (n bytes) into out.
static int s_namelist (const uint8_t *p, size_t n, size_t *at, char *out, size_t outlen)
{
    if (n - *at < 4)
        return -1;
    uint32_t l = s_u32 (p + *at);
    *at += 4;
    if (l > n - *at || l >= outlen)
        return -1;
    for (uint32_t i = 0; i < l; i++)
        if (!isprint (p[*at + i]))
            return -1;
    memcpy (out, p + *at, l);
    out[l] = 0;
    *at += l;
    return 0;
}

long sw_ssh_kexinit_parse (const uint8_t *buf, size_t len, sw_ssh_kexinit_t *out, char *err,
                           size_t errlen)
{
    memset (out, 0, sizeof *out);
    if (len < 5)
        return 0;
    uint32_t plen = s_u32 (buf);
    if (plen < 2 || plen > 35000) {
        snprintf (err, errlen, "SSH packet length %u out of range", plen);
        return -1;
    }
    if (len - 4 < plen)
        return 0;
    uint8_t pad = buf[4];
    if ((size_t)pad + 1 >= plen) {
        snprintf (err, errlen, "SSH padding %u does not fit a %u-byte packet", pad, plen);
        return -1;
    }
    const uint8_t *p = buf + 5;
    size_t n = plen - pad - 1;
    if (n < 17 || p[0] != 20) {
        snprintf (err, errlen, "not a KEXINIT (message %u)", n ? p[0] : 0);
        return -1;
    }
    size_t at = 17; //  message number and cookie
    char skip[SW_SSH_NAMELIST];
    //  kex, host key, ciphers c->s, s->c, macs c->s, s->c, compression c->s, s->c
    if (s_namelist (p, n, &at, out->kex, sizeof out->kex) ||
        s_namelist (p, n, &at, out->hostkey, sizeof out->hostkey) ||
        s_namelist (p, n, &at, skip, sizeof skip) ||
        s_namelist (p, n, &at, out->ciphers, sizeof out->ciphers) ||
        s_namelist (p, n, &at, skip, sizeof skip) ||
        s_namelist (p, n, &at, out->macs, sizeof out->macs) ||
        s_namelist (p, n, &at, skip, sizeof skip) ||
        s_namelist (p, n, &at, out->compression, sizeof out->compression)) {
        snprintf (err, errlen, "KEXINIT name-lists are truncated or malformed");
        return -1;
    }
    return (long)plen + 4;
}

typedef struct {
    const char *list;
    const char *name; //  exact, or a prefix ending in '*'
    sw_ssh_level_t level;
    const char *why;
} ssh_rule_t;

//  The SSH algorithm policy (docs/net.md): fail = broken or too weak to
//  keep; warn = acceptable today but to be retired. Anything else is ok.
static const ssh_rule_t s_ssh_policy[] = {
    {"kex", "diffie-hellman-group1-sha1", SW_SSH_FAIL, "1024-bit group and SHA-1 (Logjam)"},
    {"kex", "diffie-hellman-group-exchange-sha1", SW_SSH_FAIL, "SHA-1 with server-chosen groups"},
    {"kex", "diffie-hellman-group14-sha1", SW_SSH_WARN, "SHA-1 exchange hash"},
    {"kex", "rsa1024-sha1", SW_SSH_FAIL, "1024-bit RSA and SHA-1"},
    {"kex", "gss-*", SW_SSH_WARN, "GSSAPI key exchange, often with SHA-1"},
    {"kex", "ecdh-sha2-nistp*", SW_SSH_WARN, "NIST curves of doubtful provenance"},
    {"hostkey", "ssh-dss", SW_SSH_FAIL, "DSA, 1024 bits, removed from OpenSSH"},
    {"hostkey", "ssh-rsa", SW_SSH_WARN, "RSA signatures with SHA-1"},
    {"hostkey", "ssh-rsa-cert-v01@openssh.com", SW_SSH_WARN, "RSA signatures with SHA-1"},
    {"hostkey", "ecdsa-sha2-nistp*", SW_SSH_WARN, "NIST curves of doubtful provenance"},
    {"cipher", "3des-cbc", SW_SSH_FAIL, "64-bit block cipher (Sweet32)"},
    {"cipher", "blowfish-cbc", SW_SSH_FAIL, "64-bit block cipher"},
    {"cipher", "cast128-cbc", SW_SSH_FAIL, "64-bit block cipher"},
    {"cipher", "arcfour*", SW_SSH_FAIL, "RC4, broken"},
    {"cipher", "des*", SW_SSH_FAIL, "DES, broken"},
    {"cipher", "none", SW_SSH_FAIL, "no encryption"},
    {"cipher", "aes128-cbc", SW_SSH_WARN, "CBC mode (plaintext recovery attacks)"},
    {"cipher", "aes192-cbc", SW_SSH_WARN, "CBC mode (plaintext recovery attacks)"},
    {"cipher", "aes256-cbc", SW_SSH_WARN, "CBC mode (plaintext recovery attacks)"},
    {"cipher", "rijndael-cbc@lysator.liu.se", SW_SSH_WARN, "CBC mode"},
    {"mac", "hmac-md5*", SW_SSH_FAIL, "MD5, broken"},
    {"mac", "hmac-sha1-96*", SW_SSH_FAIL, "truncated SHA-1"},
    {"mac", "umac-64*", SW_SSH_WARN, "64-bit tag"},
    {"mac", "hmac-sha1", SW_SSH_WARN, "SHA-1, encrypt-and-MAC"},
    {"mac", "hmac-sha2-256", SW_SSH_WARN, "encrypt-and-MAC (the -etm@openssh.com form is not)"},
    {"mac", "hmac-sha2-512", SW_SSH_WARN, "encrypt-and-MAC (the -etm@openssh.com form is not)"},
    {"mac", "umac-128@openssh.com", SW_SSH_WARN, "encrypt-and-MAC (the -etm form is not)"},
    {"mac", "hmac-sha1-etm@openssh.com", SW_SSH_WARN, "SHA-1"},
    {"mac", "none", SW_SSH_FAIL, "no integrity"},
};

sw_ssh_level_t sw_ssh_judge (const char *list, const char *name, const char **why)
{
    for (size_t i = 0; i < sizeof s_ssh_policy / sizeof s_ssh_policy[0]; i++) {
        const ssh_rule_t *r = &s_ssh_policy[i];
        if (strcmp (r->list, list) != 0)
            continue;
        size_t n = strlen (r->name);
        bool prefix = n && r->name[n - 1] == '*';
        if (prefix ? strncmp (name, r->name, n - 1) == 0 : strcmp (name, r->name) == 0) {
            if (why)
                *why = r->why;
            return r->level;
        }
    }
    if (why)
        *why = NULL;
    return SW_SSH_OK;
}

// -------------------------------------------------------------------------
//  HTTP

//  Finds "\r\n\r\n" (or "\n\n"): the end of the headers. 0 when absent.
static size_t s_header_end (const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return i + 2;
        if (i + 3 < len && memcmp (buf + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    }
    return 0;
}

bool sw_http_header (const char *buf, size_t header_len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen (name);
    const char *p = memchr (buf, '\n', header_len); //  past the status line
    while (p && (size_t)(p - buf) + 1 < header_len) {
        const char *line = p + 1;
        size_t left = header_len - (size_t)(line - buf);
        const char *end = memchr (line, '\n', left);
        size_t ll = end ? (size_t)(end - line) : left;
        if (ll > nl && line[nl] == ':' && strncasecmp (line, name, nl) == 0) {
            const char *v = line + nl + 1;
            size_t vl = ll - nl - 1;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (out)
                sw_banner_clean (v, vl, out, outlen);
            return true;
        }
        p = end;
    }
    return false;
}

int sw_http_parse (const char *buf, size_t len, sw_http_resp_t *out)
{
    memset (out, 0, sizeof *out);
    if (len < 12 || memcmp (buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ' || !isdigit ((unsigned char)buf[9]) || !isdigit ((unsigned char)buf[10]) ||
        !isdigit ((unsigned char)buf[11]))
        return -1;
    out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (out->status < 100 || out->status > 599)
        return -1;
    out->header_len = s_header_end (buf, len);
    size_t hl = out->header_len ? out->header_len : len;
    sw_http_header (buf, hl, "Server", out->server, sizeof out->server);
    sw_http_header (buf, hl, "X-Powered-By", out->powered_by, sizeof out->powered_by);
    sw_http_header (buf, hl, "Content-Type", out->content_type, sizeof out->content_type);
    out->hsts = sw_http_header (buf, hl, "Strict-Transport-Security", NULL, 0);
    out->csp = sw_http_header (buf, hl, "Content-Security-Policy", NULL, 0);
    out->frame_options = sw_http_header (buf, hl, "X-Frame-Options", NULL, 0);
    out->content_type_options = sw_http_header (buf, hl, "X-Content-Type-Options", NULL, 0);
    out->www_authenticate = sw_http_header (buf, hl, "WWW-Authenticate", NULL, 0);
    if (!out->header_len)
        return 0;
    const char *body = buf + out->header_len;
    size_t bl = len - out->header_len;
    //  <title>...</title>, case-insensitive, within what arrived
    for (size_t i = 0; i + 7 <= bl; i++)
        if (strncasecmp (body + i, "<title>", 7) == 0) {
            const char *t = body + i + 7;
            size_t tl = 0;
            while (i + 7 + tl < bl && t[tl] != '<')
                tl++;
            sw_banner_clean (t, tl, out->title, sizeof out->title);
            break;
        }
    out->directory_listing =
        out->status == 200 && (strncmp (out->title, "Index of /", 10) == 0 ||
                               strncmp (out->title, "Directory listing", 17) == 0);
    return 0;
}

void sw_banner_clean (const char *buf, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\r' || c == '\n')
            break;
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    if (outlen)
        out[o] = 0;
}

// -------------------------------------------------------------------------
//  TCP segments of a SYN scan

static void s_put16 (uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void s_put32 (uint8_t *p, uint32_t v)
{
    s_put16 (p, (uint16_t)(v >> 16));
    s_put16 (p + 2, (uint16_t)v);
}

static uint16_t s_get16 (const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t s_get32 (const uint8_t *p)
{
    return (uint32_t)s_get16 (p) << 16 | s_get16 (p + 2);
}

void sw_tcp_syn_build (uint8_t out[SW_TCP_SYN_LEN], uint32_t src, uint32_t dst, uint16_t sport,
                       uint16_t dport, uint32_t seq)
{
    memset (out, 0, SW_TCP_SYN_LEN);
    s_put16 (out, sport);
    s_put16 (out + 2, dport);
    s_put32 (out + 4, seq);
    out[12] = (SW_TCP_SYN_LEN / 4) << 4; //  data offset, in 32-bit words
    out[13] = SW_TCP_SYN;
    s_put16 (out + 14, 1024); //  window
    //  MSS 1460: a SYN without options looks like a scanner to some filters
    out[20] = 2;
    out[21] = 4;
    s_put16 (out + 22, 1460);
    //  One's complement sum of the pseudo-header and the segment
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + SW_TCP_SYN_LEN;
    for (size_t i = 0; i < SW_TCP_SYN_LEN; i += 2)
        sum += s_get16 (out + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    s_put16 (out + 16, (uint16_t)~sum);
}

//  The payload of a whole IPv4 packet carrying PROTO: *left bytes from the
//  returned pointer, or NULL when the header's lengths do not fit in len
//  or it is a later fragment (which has no header of the payload's own).
static const uint8_t *s_ip_payload (const uint8_t *pkt, size_t len, uint8_t proto, size_t *left)
{
    if (!pkt || len < 20 || pkt[0] >> 4 != 4)
        return NULL;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t total = s_get16 (pkt + 2);
    if (ihl < 20 || total < ihl || total > len || pkt[9] != proto || (s_get16 (pkt + 6) & 0x1fff))
        return NULL;
    *left = total - ihl;
    return pkt + ihl;
}

int sw_tcp_reply_parse (const uint8_t *pkt, size_t len, sw_tcp_reply_t *out)
{
    size_t left;
    const uint8_t *tcp = s_ip_payload (pkt, len, 6, &left);
    if (!tcp || left < 20 || (size_t)(tcp[12] >> 4) * 4 < 20 || (size_t)(tcp[12] >> 4) * 4 > left)
        return -1;
    out->src = s_get32 (pkt + 12);
    out->dst = s_get32 (pkt + 16);
    out->sport = s_get16 (tcp);
    out->dport = s_get16 (tcp + 2);
    out->seq = s_get32 (tcp + 4);
    out->ack = s_get32 (tcp + 8);
    out->flags = tcp[13];
    return 0;
}

int sw_icmp_unreach_parse (const uint8_t *pkt, size_t len, sw_icmp_unreach_t *out)
{
    size_t left;
    const uint8_t *icmp = s_ip_payload (pkt, len, 1, &left);
    //  type 3, then the quoted IP header and 8 bytes of what it carried
    if (!icmp || left < 8 + 20 + 8 || icmp[0] != 3)
        return -1;
    const uint8_t *inner = icmp + 8;
    size_t inner_ihl = (size_t)(inner[0] & 0x0f) * 4;
    if (inner[0] >> 4 != 4 || inner_ihl < 20 || inner[9] != 6 || left < 8 + inner_ihl + 8)
        return -1;
    const uint8_t *tcp = inner + inner_ihl;
    out->from = s_get32 (pkt + 12);
    out->code = icmp[1];
    out->dst = s_get32 (inner + 16);
    out->sport = s_get16 (tcp);
    out->dport = s_get16 (tcp + 2);
    out->seq = s_get32 (tcp + 4);
    return 0;
}
