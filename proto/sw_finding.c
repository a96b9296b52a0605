/*  sw_finding - severity names, fingerprints and ownership of findings. */
#include "sw_finding.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *s_sev_names[SW_SEV_COUNT] = {"info", "low", "medium", "high", "critical"};

const char *sw_severity_name (sw_severity_t sev)
{
    return sev < SW_SEV_COUNT ? s_sev_names[sev] : "unknown";
}

int sw_severity_parse (const char *name, sw_severity_t *sev)
{
    for (int i = 0; i < SW_SEV_COUNT; i++)
        if (strcasecmp (name, s_sev_names[i]) == 0) {
            *sev = (sw_severity_t)i;
            return 0;
        }
    return -1;
}

void sw_finding_fingerprint (sw_finding_t *self)
{
    //  Fields are length-prefixed so that ("ab","c") and ("a","bc") differ.
    const char *parts[] = {self->scanner, self->rule, self->resource, self->location};
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, 16);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *p = parts[i] ? parts[i] : "";
        uint32_t len = (uint32_t)strlen (p);
        unsigned char prefix[4] = {len >> 24, len >> 16, len >> 8, len};
        crypto_generichash_update (&state, prefix, sizeof prefix);
        crypto_generichash_update (&state, (const unsigned char *)p, len);
    }
    unsigned char hash[16];
    crypto_generichash_final (&state, hash, sizeof hash);
    sodium_bin2hex (self->fingerprint, sizeof self->fingerprint, hash, sizeof hash);
}

void sw_finding_clear (sw_finding_t *self)
{
    free (self->job);
    free (self->scanner);
    free (self->rule);
    free (self->resource);
    free (self->location);
    free (self->title);
    free (self->evidence);
    free (self->remediation);
    memset (self, 0, sizeof *self);
}

static int s_dup (char **dst, const char *src)
{
    *dst = src ? strdup (src) : NULL;
    return src && !*dst ? -1 : 0;
}

int sw_finding_copy (sw_finding_t *dst, const sw_finding_t *src)
{
    memset (dst, 0, sizeof *dst);
    memcpy (dst->fingerprint, src->fingerprint, sizeof dst->fingerprint);
    dst->shard = src->shard;
    dst->severity = src->severity;
    dst->first_seen = src->first_seen;
    if (s_dup (&dst->job, src->job) || s_dup (&dst->scanner, src->scanner) ||
        s_dup (&dst->rule, src->rule) || s_dup (&dst->resource, src->resource) ||
        s_dup (&dst->location, src->location) || s_dup (&dst->title, src->title) ||
        s_dup (&dst->evidence, src->evidence) || s_dup (&dst->remediation, src->remediation)) {
        sw_finding_clear (dst);
        return -1;
    }
    return 0;
}
