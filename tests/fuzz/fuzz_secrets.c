/*  libFuzzer harness for sw_secrets_scan with every shipped rule.

    Besides crashes and sanitizer reports, it checks the contract: every
    hit lies inside the input, has a position, and its preview shows at
    most four characters of the secret, the rest masked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_secrets.h"

static sw_secrets_t *s_set;
static sw_secrets_scratch_t *s_scratch;

int LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    s_set = sw_secrets_load ("rules/secrets", err, sizeof err);
    if (!s_set || !(s_scratch = sw_secrets_scratch_new (s_set))) {
        fprintf (stderr, "fuzz_secrets: %s (run from the repository root)\n", err);
        abort ();
    }
    return 0;
}

typedef struct {
    size_t len;
} input_t;

static int s_check (void *arg, const sw_secret_hit_t *hit)
{
    const input_t *in = arg;
    if (hit->length == 0 || hit->offset + hit->length > in->len || hit->line == 0 || hit->col == 0)
        abort ();
    size_t plen = strlen (hit->preview);
    if (plen > SW_SECRETS_PREVIEW_MAX || strlen (hit->fingerprint) != 64)
        abort ();
    for (size_t i = 4; i < plen; i++)
        if (hit->preview[i] != '*')
            abort ();
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static const uint8_t key[SW_SECRETS_KEY_LEN] = {7};
    input_t in = {size};
    char err[256];
    if (sw_secrets_scan (s_set, s_scratch, "fuzz/input.txt", (const char *)data, size, key, s_check,
                         &in, err, sizeof err) < 0)
        abort ();
    return 0;
}
