/*  Tests for the net scanner's parsers (sw_netprobe) on captured and
    hand-built bytes, truncated and hostile ones included, and for the
    certificate facts (sw_netscan_cert_facts) on certificates made here. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "sw_netprobe.h"
#include "sw_netscan.h"

// -------------------------------------------------------------------------
//  TCP segments of a SYN scan

Test (netprobe, syn_segment_matches_an_independent_encoding)
{
    //  Encoded and checksummed by hand (Python struct) for 127.0.0.1:40000
    //  -> 127.0.1.1:22, sequence 0x12345678, MSS 1460
    static const uint8_t want[SW_TCP_SYN_LEN] = {0x9c, 0x40, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78,
                                                 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0x04, 0x00,
                                                 0x90, 0x21, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4};
    uint8_t got[SW_TCP_SYN_LEN];
    sw_tcp_syn_build (got, 0x7f000001, 0x7f000101, 40000, 22, 0x12345678);
    cr_assert_arr_eq (got, want, sizeof want);
}

//  A Linux RST|ACK to that SYN, as a raw socket reads it
static const uint8_t s_rst[] = {0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06,
                                0x00, 0x00, 0x7f, 0x00, 0x01, 0x01, 0x7f, 0x00, 0x00, 0x01,
                                0x00, 0x16, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,
                                0x56, 0x79, 0x50, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

Test (netprobe, tcp_reply_fields_are_read)
{
    sw_tcp_reply_t r;
    cr_assert_eq (sw_tcp_reply_parse (s_rst, sizeof s_rst, &r), 0);
    cr_assert_eq (r.src, 0x7f000101);
    cr_assert_eq (r.dst, 0x7f000001);
    cr_assert_eq (r.sport, 22);
    cr_assert_eq (r.dport, 40000);
    cr_assert_eq (r.ack, 0x12345679);
    cr_assert_eq (r.flags, SW_TCP_RST | SW_TCP_ACK);
    //  IP options move the TCP header
    uint8_t opt[sizeof s_rst + 4];
    memcpy (opt, s_rst, 20);
    memset (opt + 20, 1, 4); //  four NOPs
    memcpy (opt + 24, s_rst + 20, 20);
    opt[0] = 0x46;
    opt[3] = 44;
    cr_assert_eq (sw_tcp_reply_parse (opt, sizeof opt, &r), 0);
    cr_assert_eq (r.sport, 22);
    cr_assert_eq (r.ack, 0x12345679);
}

Test (netprobe, tcp_reply_truncated_and_hostile_are_refused)
{
    sw_tcp_reply_t r;
    for (size_t n = 0; n < sizeof s_rst; n++)
        cr_assert_eq (sw_tcp_reply_parse (s_rst, n, &r), -1, "prefix of %zu bytes", n);
    cr_assert_eq (sw_tcp_reply_parse (NULL, 40, &r), -1);
    struct {
        size_t at;
        uint8_t value;
        const char *what;
    } bad[] = {{0, 0x65, "IPv6 version"},
               {0, 0x44, "header of 16 bytes"},
               {0, 0x4f, "header past the end"},
               {3, 0x50, "total length past the end"},
               {3, 0x10, "total under the header"},
               {9, 17, "UDP"},
               {7, 0x01, "later fragment"},
               {32, 0x40, "TCP header of 16 bytes"},
               {32, 0xf0, "TCP header past the end"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[sizeof s_rst];
        memcpy (p, s_rst, sizeof p);
        p[bad[i].at] = bad[i].value;
        cr_assert_eq (sw_tcp_reply_parse (p, sizeof p, &r), -1, "%s", bad[i].what);
    }
}

//  A router's "administratively filtered" (type 3, code 13) about our SYN
//  from 10.98.1.1:40000 to 10.98.0.2:22
static const uint8_t s_unreach[] = {
    0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x0a, 0x62,
    0x01, 0x02, 0x0a, 0x62, 0x01, 0x01, 0x03, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x3f, 0x06, 0x00, 0x00, 0x0a, 0x62,
    0x01, 0x01, 0x0a, 0x62, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78};

Test (netprobe, icmp_unreachable_quoting_our_syn_is_read)
{
    sw_icmp_unreach_t u;
    cr_assert_eq (sw_icmp_unreach_parse (s_unreach, sizeof s_unreach, &u), 0);
    cr_assert_eq (u.from, 0x0a620102);
    cr_assert_eq (u.code, 13);
    cr_assert_eq (u.dst, 0x0a620002);
    cr_assert_eq (u.sport, 40000);
    cr_assert_eq (u.dport, 22);
    cr_assert_eq (u.seq, 0x12345678);
    for (size_t n = 0; n < sizeof s_unreach; n++)
        cr_assert_eq (sw_icmp_unreach_parse (s_unreach, n, &u), -1, "prefix of %zu bytes", n);
    struct {
        size_t at;
        uint8_t value;
        const char *what;
    } bad[] = {{9, 6, "not ICMP"},
               {20, 0, "an echo reply"},
               {20, 11, "time exceeded"},
               {28, 0x65, "quoted IPv6"},
               {28, 0x4f, "quoted header past the end"},
               {37, 17, "quotes UDP"},
               {3, 0x30, "total cuts the quote"},
               {7, 0x01, "later fragment"},
               {0, 0x44, "outer header of 16 bytes"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[sizeof s_unreach];
        memcpy (p, s_unreach, sizeof p);
        p[bad[i].at] = bad[i].value;
        cr_assert_eq (sw_icmp_unreach_parse (p, sizeof p, &u), -1, "%s", bad[i].what);
    }
}

// -------------------------------------------------------------------------
//  SSH

Test (netprobe, ssh_banner_after_other_lines_is_read)
{
    const char *b = "welcome to the box\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\nrest";
    sw_ssh_banner_t s;
    long n = sw_ssh_banner_parse (b, strlen (b), &s);
    cr_assert_eq (n, (long)(strstr (b, "rest") - b));
    cr_assert_str_eq (s.proto, "2.0");
    cr_assert_str_eq (s.software, "OpenSSH");
    cr_assert_str_eq (s.version, "9.2p1");
    cr_assert_str_eq (s.comment, "Debian-2+deb12u3");
}

Test (netprobe, ssh_banner_truncated_hostile_and_foreign)
{
    sw_ssh_banner_t s;
    cr_assert_eq (sw_ssh_banner_parse ("SSH-2.0-Open", 12, &s), 0, "needs more");
    cr_assert_eq (sw_ssh_banner_parse ("HTTP/1.1 400 Bad\r\n\r\n", 20, &s), -1);
    char longline[400];
    memset (longline, 'a', sizeof longline);
    cr_assert_eq (sw_ssh_banner_parse (longline, sizeof longline, &s), -1, "no end in 255");
    cr_assert_eq (sw_ssh_banner_parse ("SSH-2.0\n", 8, &s), -1, "no software part");
    const char *ctrl = "SSH-2.0-x_1 a\x01\x7f"
                       "b\n";
    cr_assert_gt (sw_ssh_banner_parse (ctrl, strlen (ctrl), &s), 0);
    cr_assert_str_eq (s.comment, "a..b");
}

//  Appends an SSH string to p.
static size_t s_put_str (uint8_t *p, const char *s)
{
    uint32_t n = (uint32_t)strlen (s);
    p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8),
    p[3] = (uint8_t)n;
    memcpy (p + 4, s, n);
    return 4 + n;
}

//  A KEXINIT packet with these lists (the same both ways), padding 4.
static size_t s_kexinit (uint8_t *buf, const char *kex, const char *hk, const char *ciph,
                         const char *mac)
{
    uint8_t *p = buf + 5;
    size_t n = 0;
    p[n++] = 20;
    memset (p + n, 0xab, 16);
    n += 16;
    const char *lists[] = {kex, hk, ciph, ciph, mac, mac, "none", "none", "", ""};
    for (int i = 0; i < 10; i++)
        n += s_put_str (p + n, lists[i]);
    p[n++] = 0;
    memset (p + n, 0, 4); //  reserved
    n += 4;
    memset (p + n, 0, 4); //  padding
    uint32_t plen = (uint32_t)(n + 4 + 1);
    buf[0] = (uint8_t)(plen >> 24), buf[1] = (uint8_t)(plen >> 16), buf[2] = (uint8_t)(plen >> 8);
    buf[3] = (uint8_t)plen;
    buf[4] = 4;
    return plen + 4;
}

Test (netprobe, ssh_kexinit_lists_are_read)
{
    uint8_t buf[2048];
    size_t len = s_kexinit (buf, "curve25519-sha256,diffie-hellman-group1-sha1", "ssh-ed25519",
                            "aes256-gcm@openssh.com,3des-cbc", "hmac-sha2-256,hmac-md5");
    sw_ssh_kexinit_t k;
    char err[128];
    cr_assert_eq (sw_ssh_kexinit_parse (buf, len, &k, err, sizeof err), (long)len, "%s", err);
    cr_assert_str_eq (k.kex, "curve25519-sha256,diffie-hellman-group1-sha1");
    cr_assert_str_eq (k.hostkey, "ssh-ed25519");
    cr_assert_str_eq (k.ciphers, "aes256-gcm@openssh.com,3des-cbc");
    cr_assert_str_eq (k.macs, "hmac-sha2-256,hmac-md5");
    //  Every prefix is "more, please", never a wrong answer
    for (size_t cut = 0; cut < len; cut++)
        cr_assert_eq (sw_ssh_kexinit_parse (buf, cut, &k, err, sizeof err), 0, "cut %zu", cut);
}

Test (netprobe, ssh_kexinit_hostile_lengths_are_refused)
{
    uint8_t buf[2048];
    size_t len = s_kexinit (buf, "a", "b", "c", "d");
    sw_ssh_kexinit_t k;
    char err[128];
    uint8_t bad[2048];
    //  a name-list claiming more bytes than the packet has
    memcpy (bad, buf, len);
    bad[5 + 17] = 0x7f;
    cr_assert_eq (sw_ssh_kexinit_parse (bad, len, &k, err, sizeof err), -1);
    //  padding longer than the packet
    memcpy (bad, buf, len);
    bad[4] = 250;
    cr_assert_eq (sw_ssh_kexinit_parse (bad, len, &k, err, sizeof err), -1);
    //  a packet length out of range, and another message
    memcpy (bad, buf, len);
    bad[0] = 0x40;
    cr_assert_eq (sw_ssh_kexinit_parse (bad, len, &k, err, sizeof err), -1);
    memcpy (bad, buf, len);
    bad[5] = 21;
    cr_assert_eq (sw_ssh_kexinit_parse (bad, len, &k, err, sizeof err), -1);
    cr_assert (strstr (err, "not a KEXINIT"), "%s", err);
    //  a control byte in a name
    memcpy (bad, buf, len);
    bad[5 + 17 + 4] = 0x01;
    cr_assert_eq (sw_ssh_kexinit_parse (bad, len, &k, err, sizeof err), -1);
}

Test (netprobe, ssh_policy_fails_warns_and_passes)
{
    const char *why;
    cr_assert_eq (sw_ssh_judge ("kex", "diffie-hellman-group1-sha1", &why), SW_SSH_FAIL);
    cr_assert_not_null (why);
    cr_assert_eq (sw_ssh_judge ("kex", "diffie-hellman-group14-sha1", NULL), SW_SSH_WARN);
    cr_assert_eq (sw_ssh_judge ("kex", "curve25519-sha256", NULL), SW_SSH_OK);
    cr_assert_eq (sw_ssh_judge ("cipher", "arcfour256", NULL), SW_SSH_FAIL);
    cr_assert_eq (sw_ssh_judge ("cipher", "aes128-cbc", NULL), SW_SSH_WARN);
    cr_assert_eq (sw_ssh_judge ("cipher", "chacha20-poly1305@openssh.com", NULL), SW_SSH_OK);
    cr_assert_eq (sw_ssh_judge ("mac", "hmac-md5-etm@openssh.com", NULL), SW_SSH_FAIL);
    cr_assert_eq (sw_ssh_judge ("hostkey", "ssh-dss", NULL), SW_SSH_FAIL);
    cr_assert_eq (sw_ssh_judge ("hostkey", "ssh-ed25519", NULL), SW_SSH_OK);
}

// -------------------------------------------------------------------------
//  HTTP

Test (netprobe, http_response_facts)
{
    const char *r = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\ncontent-type: text/html\r\n"
                    "X-Frame-Options: DENY\r\nx-content-type-options: nosniff\r\n\r\n"
                    "<html><head><title>Index of /files/</title></head>";
    sw_http_resp_t h;
    cr_assert_eq (sw_http_parse (r, strlen (r), &h), 0);
    cr_assert_eq (h.status, 200);
    cr_assert_str_eq (h.server, "nginx/1.22.1");
    cr_assert_str_eq (h.content_type, "text/html");
    cr_assert (h.frame_options && h.content_type_options && !h.csp && !h.hsts);
    cr_assert_str_eq (h.title, "Index of /files/");
    cr_assert (h.directory_listing);
    char v[32];
    cr_assert (sw_http_header (r, h.header_len, "SERVER", v, sizeof v));
    cr_assert_str_eq (v, "nginx/1.22.1");
    cr_assert (!sw_http_header (r, h.header_len, "Serv", v, sizeof v), "a prefix is not a name");
}

Test (netprobe, http_not_http_truncated_and_hostile)
{
    sw_http_resp_t h;
    cr_assert_eq (sw_http_parse ("SSH-2.0-x\r\n", 11, &h), -1);
    cr_assert_eq (sw_http_parse ("HTTP/1.1 99", 11, &h), -1);
    cr_assert_eq (sw_http_parse ("HTTP/1.1 999 x\r\n", 16, &h), -1);
    cr_assert_eq (sw_http_parse ("HTTP/1.1 404 Not Found\r\nServer: a", 33, &h), 0);
    cr_assert_eq (h.header_len, 0, "headers not complete");
    cr_assert_str_eq (h.server, "a");
    const char *r = "HTTP/1.0 200 OK\r\nServer: \x1b[31mevil\x07\r\n\r\n<title>x";
    cr_assert_eq (sw_http_parse (r, strlen (r), &h), 0);
    cr_assert_str_eq (h.server, ".[31mevil.", "control bytes are not passed on");
    cr_assert_str_eq (h.title, "x", "an unterminated title is cut at the end");
}

Test (netprobe, banner_clean_is_bounded_and_printable)
{
    char out[8];
    sw_banner_clean ("abc\x01\xff"
                     "defghijk",
                     13, out, sizeof out);
    cr_assert_str_eq (out, "abc..de");
    sw_banner_clean ("line\r\nnext", 10, out, sizeof out);
    cr_assert_str_eq (out, "line");
}

// -------------------------------------------------------------------------
//  Certificates

//  A self-signed certificate made here: RSA of bits, signed with md,
//  valid from now + from_s to now + to_s, for the address 127.0.0.9.
static X509 *s_cert (int bits, const EVP_MD *md, long from_s, long to_s)
{
    EVP_PKEY *key = EVP_RSA_gen ((unsigned)bits);
    X509 *x = X509_new ();
    X509_set_version (x, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (x), 7);
    X509_gmtime_adj (X509_getm_notBefore (x), from_s);
    X509_gmtime_adj (X509_getm_notAfter (x), to_s);
    X509_set_pubkey (x, key);
    X509_NAME *name = X509_get_subject_name (x);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.9", -1,
                                -1, 0);
    X509_set_issuer_name (x, name);
    cr_assert_gt (X509_sign (x, key, md), 0);
    EVP_PKEY_free (key);
    return x;
}

Test (netprobe, certificate_facts)
{
    sw_arena_t *a = sw_arena_new ();
    X509 *weak = s_cert (1024, EVP_sha1 (), -86400 * 400, -86400);
    sw_val_t *c = sw_netscan_cert_facts (a, weak, "127.0.0.9", true);
    cr_assert (sw_val_get (c, "expired")->b);
    cr_assert (!sw_val_get (c, "not_yet_valid")->b);
    cr_assert (sw_val_get (c, "self_signed")->b);
    cr_assert (sw_val_get (c, "sha1_signature")->b);
    cr_assert_str_eq (sw_val_cstr (sw_val_get (c, "key_type")), "RSA");
    cr_assert_eq (sw_val_get (c, "key_bits")->i, 1024);
    cr_assert (!sw_val_get (c, "name_matches")->b, "a CN is not a SAN for an address");
    X509_free (weak);
    X509 *later = s_cert (2048, EVP_sha256 (), 86400, 86400 * 30);
    c = sw_netscan_cert_facts (a, later, "example.org", false);
    cr_assert (!sw_val_get (c, "expired")->b);
    cr_assert (sw_val_get (c, "not_yet_valid")->b);
    cr_assert (!sw_val_get (c, "sha1_signature")->b);
    cr_assert_eq (sw_val_get (c, "key_bits")->i, 2048);
    X509_free (later);
    sw_arena_destroy (&a);
}
