/*  libFuzzer harness for what network services say: the SSH banner and
    KEXINIT parsers, the HTTP response parser and header lookup, the probe
    table's matching of every probe's answers, banner cleaning, and the
    TCP segments a SYN scan reads.

    Besides crashes and sanitizer reports it checks the contract: a parsed
    length never exceeds the input, cleaned text is printable and bounded,
    an identified service has a name. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_netprobe.h"
#include "sw_probetab.h"

static void s_printable (const char *s, size_t cap)
{
    size_t n = strnlen (s, cap);
    if (n == cap)
        abort ();
    for (size_t i = 0; i < n; i++)
        if (!isprint ((unsigned char)s[i]))
            abort ();
}

//  The table the repository ships (the harness runs from its root)
static sw_probetab_t *s_tab;

int LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    s_tab = sw_probetab_load_rules ("rules", NULL, err, sizeof err);
    if (!s_tab) {
        fprintf (stderr, "fuzz_netprobe: %s\n", err);
        abort ();
    }
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    sw_ssh_banner_t b;
    long n = sw_ssh_banner_parse (text, size, &b);
    if (n > (long)size)
        abort ();
    if (n > 0)
        s_printable (b.comment, sizeof b.comment);
    sw_ssh_kexinit_t k;
    char err[128];
    n = sw_ssh_kexinit_parse (data, size, &k, err, sizeof err);
    if (n > (long)size)
        abort ();
    if (n > 0) {
        s_printable (k.kex, sizeof k.kex);
        s_printable (k.macs, sizeof k.macs);
    }
    sw_http_resp_t h;
    if (sw_http_parse (text, size, &h) == 0) {
        if (h.header_len > size || h.status < 100 || h.status > 599)
            abort ();
        s_printable (h.server, sizeof h.server);
        s_printable (h.title, sizeof h.title);
        char v[64];
        sw_http_header (text, h.header_len ? h.header_len : size, "Content-Length", v, sizeof v);
    }
    for (size_t i = 0; i < sw_probetab_size (s_tab); i++) {
        sw_ident_t id;
        if (sw_probetab_match (s_tab, sw_probetab_probe (s_tab, i)->name, text, size, &id)) {
            if (!*id.service)
                abort ();
            s_printable (id.version, sizeof id.version);
        }
    }
    //  What a raw socket reads during a SYN scan: a parsed packet's headers
    //  lie inside it
    sw_tcp_reply_t t;
    if (sw_tcp_reply_parse (data, size, &t) == 0 &&
        (size < 40 || (size_t)(data[0] & 15) * 4 + 20 > size))
        abort ();
    sw_icmp_unreach_t u;
    if (sw_icmp_unreach_parse (data, size, &u) == 0 && size < 56)
        abort ();
    char clean[32];
    sw_banner_clean (text, size, clean, sizeof clean);
    s_printable (clean, sizeof clean);
    return 0;
}
