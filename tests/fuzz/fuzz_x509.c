/*  libFuzzer harness for the certificate facts the net scanner takes from
    what a TLS server sends (sw_netscan_cert_facts over a DER certificate
    OpenSSL decoded): every field read is bounded, whatever the names,
    dates, keys and signature algorithms say. */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "sw_netscan.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *x = d2i_X509 (NULL, &p, (long)size);
    if (!x)
        return 0;
    sw_arena_t *a = sw_arena_new ();
    sw_val_t *c = sw_netscan_cert_facts (a, x, "127.0.0.1", true);
    if (!c || !sw_val_get (c, "subject"))
        abort ();
    sw_netscan_cert_facts (a, x, "example.org", false);
    sw_arena_destroy (&a);
    X509_free (x);
    return 0;
}
