/*  sw_finding - severity names, fingerprints and ownership of findings. */
#include "sw_finding.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_proto.h"

#include <sodium.h>
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
    free (self->bundle);
    free (self->references);
    free (self->compliance);
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
        s_dup (&dst->evidence, src->evidence) || s_dup (&dst->remediation, src->remediation) ||
        s_dup (&dst->bundle, src->bundle) || s_dup (&dst->references, src->references) ||
        s_dup (&dst->compliance, src->compliance)) {
        sw_finding_clear (dst);
        return -1;
    }
    return 0;
}

int sw_finding_order (const void *a, const void *b)
{
    const sw_finding_t *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    int c = strcmp (x->resource, y->resource);
    if (c)
        return c;
    c = strcmp (x->location, y->location);
    return c ? c : strcmp (x->fingerprint, y->fingerprint);
}

void sw_json_kv (FILE *out, const char *indent, const char *key, const char *value, bool comma)
{
    fprintf (out, "%s\"%s\": ", indent, key);
    sw_json_string (out, value ? value : "");
    fputs (comma ? ",\n" : "\n", out);
}

//  A newline-separated list as a JSON array member, when there is one.
static void s_json_lines (FILE *out, const char *key, const char *lines)
{
    if (!lines || !*lines)
        return;
    fprintf (out, "      \"%s\": [", key);
    for (const char *p = lines; p;) {
        const char *nl = strchr (p, '\n');
        char *item = nl ? strndup (p, (size_t)(nl - p)) : strdup (p);
        if (p != lines)
            fputs (", ", out);
        sw_json_string (out, item ? item : "");
        free (item);
        p = nl ? nl + 1 : NULL;
    }
    fputs ("],\n", out);
}

void sw_iso_time (int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf (buf, len, "%s", "");
        return;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sw_finding_json (FILE *out, const sw_finding_t *f, bool last)
{
    char seen[32];
    sw_iso_time (f->first_seen, seen, sizeof seen);
    fputs ("    {\n", out);
    sw_json_kv (out, "      ", "fingerprint", f->fingerprint, true);
    sw_json_kv (out, "      ", "scanner", f->scanner, true);
    sw_json_kv (out, "      ", "rule", f->rule, true);
    sw_json_kv (out, "      ", "severity", sw_severity_name (f->severity), true);
    sw_json_kv (out, "      ", "resource", f->resource, true);
    sw_json_kv (out, "      ", "location", f->location, true);
    sw_json_kv (out, "      ", "title", f->title, true);
    sw_json_kv (out, "      ", "evidence", f->evidence, true);
    sw_json_kv (out, "      ", "remediation", f->remediation, true);
    sw_json_kv (out, "      ", "first_seen", seen, true);
    if (f->bundle)
        sw_json_kv (out, "      ", "bundle", f->bundle, true);
    s_json_lines (out, "references", f->references);
    s_json_lines (out, "compliance", f->compliance);
    fprintf (out, "      \"shard\": %" PRIu64 "\n    }%s\n", f->shard, last ? "" : ",");
}

char *sw_finding_text (const char *s)
{
    size_t len = strlen (s);
    if (len > 2000) {
        len = 2000;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    return strndup (s, len);
}
