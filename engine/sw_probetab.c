/*  sw_probetab - the net scanner's probe table, loaded from data. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sw_probetab.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw_doc.h"
#include "sw_docload.h"
#include "sw_netprobe.h"
#include "sw_target.h"

typedef struct {
    const char *service, *probe, *product;
    int group; //  capture group of the version, 0 none
    pcre2_code *code;
} match_t;

struct _sw_probetab_t {
    sw_arena_t *arena; //  names and payloads
    sw_probe_t probes[SW_PROBES_MAX];
    sw_portlist_t *ports[SW_PROBES_MAX]; //  where each probe goes first (NULL: nowhere)
    size_t nprobes;
    match_t *matches;
    size_t nmatches;
};

typedef struct {
    sw_probetab_t *tab;
    const char *file;
    char *err;
    size_t errlen;
} load_t;

void sw_probetab_destroy (sw_probetab_t **self_p)
{
    sw_probetab_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nprobes; i++)
        sw_portlist_destroy (&self->ports[i]);
    for (size_t i = 0; i < self->nmatches; i++)
        pcre2_code_free (self->matches[i].code);
    free (self->matches);
    sw_arena_destroy (&self->arena);
    free (self);
    *self_p = NULL;
}

size_t sw_probetab_size (const sw_probetab_t *self)
{
    return self->nprobes;
}

size_t sw_probetab_matches (const sw_probetab_t *self)
{
    return self->nmatches;
}

const sw_probe_t *sw_probetab_probe (const sw_probetab_t *self, size_t i)
{
    return i < self->nprobes ? &self->probes[i] : NULL;
}

//  A map's keys must all be among known (NULL-terminated).
static int s_keys (load_t *ld, const sw_val_t *map, const char *what, const char *const *known)
{
    if (!map || map->type != SW_VMAP)
        return sw_val_error (ld->err, ld->errlen, ld->file, map, "%s must be a map", what);
    for (uint32_t i = 0; i < map->map.n; i++) {
        const char *const *k = known;
        while (*k && strcmp (*k, map->map.kv[i].key) != 0)
            k++;
        if (!*k)
            return sw_val_error (ld->err, ld->errlen, ld->file, map->map.kv[i].val,
                                 "%s: unknown key '%s'", what, map->map.kv[i].key);
    }
    return 0;
}

//  A string of 1..max-1 bytes, of [a-z0-9_-] when a name.
static int s_text (load_t *ld, const sw_val_t *map, const char *key, bool required, bool name,
                   size_t max, const char **out)
{
    const sw_val_t *v = sw_val_get (map, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    if (!v || v->type != SW_VSTR || v->str.len == 0 || v->str.len >= max ||
        strlen (v->str.s) != v->str.len)
        return sw_val_error (ld->err, ld->errlen, ld->file, v ? v : map,
                             "'%s' must be text of 1 to %zu characters", key, max - 1);
    for (size_t i = 0; name && i < v->str.len; i++) {
        char c = v->str.s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return sw_val_error (ld->err, ld->errlen, ld->file, v,
                                 "'%s' may hold only a-z, 0-9, '-' and '_'", key);
    }
    *out = v->str.s;
    return 0;
}

//  The payload: send (text) or send_hex (hex digits, spaces allowed).
static int s_payload (load_t *ld, const sw_val_t *p, sw_probe_t *probe)
{
    const sw_val_t *text = sw_val_get (p, "send"), *hex = sw_val_get (p, "send_hex");
    if ((text != NULL) == (hex != NULL))
        return sw_val_error (ld->err, ld->errlen, ld->file, p,
                             "probe '%s' needs one of 'send' and 'send_hex'", probe->name);
    const sw_val_t *v = text ? text : hex;
    if (v->type != SW_VSTR || v->str.len > (text ? SW_PROBE_PAYLOAD : 3 * SW_PROBE_PAYLOAD))
        return sw_val_error (ld->err, ld->errlen, ld->file, v,
                             "probe '%s': the payload must be text of at most %d bytes",
                             probe->name, SW_PROBE_PAYLOAD);
    if (text) {
        probe->payload = sw_arena_strndup (ld->tab->arena, v->str.s, v->str.len);
        probe->len = v->str.len;
        return 0;
    }
    char *bytes = sw_arena_alloc (ld->tab->arena, v->str.len / 2 + 1);
    size_t n = 0;
    int high = -1;
    for (size_t i = 0; i < v->str.len; i++) {
        char c = v->str.s[i];
        if (c == ' ' || c == '\n' || c == '\t')
            continue;
        int d = sw_hex_digit (c);
        if (d < 0)
            return sw_val_error (ld->err, ld->errlen, ld->file, v,
                                 "probe '%s': send_hex holds '%c', not a hex digit", probe->name,
                                 c >= 0x20 && c < 0x7f ? c : '?');
        if (high < 0)
            high = d;
        else {
            bytes[n++] = (char)(high << 4 | d);
            high = -1;
        }
    }
    if (high >= 0 || n > SW_PROBE_PAYLOAD)
        return sw_val_error (ld->err, ld->errlen, ld->file, v,
                             "probe '%s': send_hex must be whole bytes, at most %d", probe->name,
                             SW_PROBE_PAYLOAD);
    probe->payload = bytes;
    probe->len = n;
    return 0;
}

static int s_probe (load_t *ld, const sw_val_t *p)
{
    static const char *const known[] = {"name", "send", "send_hex", "ports", "answer", NULL};
    static const char *const answers[] = {"line", "http", "byte", "mongodb", NULL};
    sw_probetab_t *tab = ld->tab;
    if (tab->nprobes == SW_PROBES_MAX)
        return sw_val_error (ld->err, ld->errlen, ld->file, p, "more than %d probes",
                             SW_PROBES_MAX);
    sw_probe_t *probe = &tab->probes[tab->nprobes];
    const char *ports, *answer;
    if (s_keys (ld, p, "a probe", known) || s_text (ld, p, "name", true, true, 32, &probe->name))
        return -1;
    for (size_t i = 0; i < tab->nprobes; i++)
        if (strcmp (tab->probes[i].name, probe->name) == 0)
            return sw_val_error (ld->err, ld->errlen, ld->file, sw_val_get (p, "name"),
                                 "probe '%s' is defined twice", probe->name);
    if (s_payload (ld, p, probe) || s_text (ld, p, "ports", false, false, 512, &ports) ||
        s_text (ld, p, "answer", false, true, 16, &answer))
        return -1;
    if (answer) {
        int a = 0;
        while (answers[a] && strcmp (answers[a], answer) != 0)
            a++;
        if (!answers[a])
            return sw_val_error (ld->err, ld->errlen, ld->file, sw_val_get (p, "answer"),
                                 "probe '%s': answer must be line, http, byte or mongodb",
                                 probe->name);
        probe->answer = (sw_answer_t)a;
    }
    if (ports) {
        char why[256];
        tab->ports[tab->nprobes] = sw_portlist_parse (ports, why, sizeof why);
        if (!tab->ports[tab->nprobes])
            return sw_val_error (ld->err, ld->errlen, ld->file, sw_val_get (p, "ports"),
                                 "probe '%s': ports: %s", probe->name, why);
    }
    if (strcmp (probe->name, "null") == 0 && probe->len != 0)
        return sw_val_error (ld->err, ld->errlen, ld->file, p,
                             "probe 'null' waits for a banner: its payload must be empty");
    tab->nprobes++;
    return 0;
}

static bool s_has_probe (const sw_probetab_t *tab, const char *name)
{
    for (size_t i = 0; i < tab->nprobes; i++)
        if (strcmp (tab->probes[i].name, name) == 0)
            return true;
    return false;
}

//  Index of the first match of an answer to probe, or -1.
static long s_match (const sw_probetab_t *self, const char *probe, const char *reply, size_t len,
                     sw_ident_t *out)
{
    memset (out, 0, sizeof *out);
    for (size_t i = 0; i < self->nmatches; i++) {
        const match_t *m = &self->matches[i];
        if (strcmp (m->probe, probe) != 0)
            continue;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern (m->code, NULL);
        int rc = md ? pcre2_match (m->code, (PCRE2_SPTR)reply, len, 0, 0, md, NULL) : -1;
        if (rc > 0) {
            snprintf (out->service, sizeof out->service, "%s", m->service);
            snprintf (out->product, sizeof out->product, "%s", m->product ? m->product : "");
            if (m->group && m->group < rc) {
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
                size_t a = ov[2 * m->group], b = ov[2 * m->group + 1];
                if (a <= b && b <= len)
                    sw_banner_clean (reply + a, b - a, out->version, sizeof out->version);
            }
        }
        pcre2_match_data_free (md);
        if (rc > 0)
            return (long)i;
    }
    return -1;
}

bool sw_probetab_match (const sw_probetab_t *self, const char *probe, const char *reply, size_t len,
                        sw_ident_t *out)
{
    return s_match (self, probe, reply, len, out) >= 0;
}

//  Every example of match i ("ANSWER" or "ANSWER => VERSION") must be
//  identified by that very entry, with that version.
static int s_examples (load_t *ld, const sw_val_t *list, size_t i)
{
    const match_t *m = &ld->tab->matches[i];
    if (list->type != SW_VARR)
        return sw_val_error (ld->err, ld->errlen, ld->file, list, "examples must be a list");
    for (uint32_t e = 0; e < list->arr.n; e++) {
        const sw_val_t *v = list->arr.items[e];
        if (v->type != SW_VSTR || v->str.len == 0)
            return sw_val_error (ld->err, ld->errlen, ld->file, v, "an example must be text");
        size_t len = v->str.len;
        const char *want = "";
        for (size_t k = len; k >= 4; k--)
            if (memcmp (v->str.s + k - 4, " => ", 4) == 0) {
                want = v->str.s + k;
                len = k - 4;
                break;
            }
        sw_ident_t id;
        long got = s_match (ld->tab, m->probe, v->str.s, len, &id);
        if (got != (long)i || strcmp (id.version, want) != 0)
            return sw_val_error (ld->err, ld->errlen, ld->file, v,
                                 "example %u of this %s match is %s (version '%s', expected '%s')",
                                 e + 1, m->service,
                                 got < 0          ? "not identified"
                                 : got == (long)i ? "identified"
                                                  : "taken by another match",
                                 id.version, want);
    }
    return 0;
}

static int s_match_entry (load_t *ld, const sw_val_t *mv)
{
    static const char *const known[] = {"service", "probe",    "pattern", "product",
                                        "version", "examples", NULL};
    sw_probetab_t *tab = ld->tab;
    match_t *m = &tab->matches[tab->nmatches];
    const char *pattern;
    if (s_keys (ld, mv, "a match", known) ||
        s_text (ld, mv, "service", true, true, 32, &m->service) ||
        s_text (ld, mv, "probe", true, true, 32, &m->probe) ||
        s_text (ld, mv, "pattern", true, false, 1024, &pattern) ||
        s_text (ld, mv, "product", false, false, 64, &m->product))
        return -1;
    if (!s_has_probe (tab, m->probe))
        return sw_val_error (ld->err, ld->errlen, ld->file, sw_val_get (mv, "probe"),
                             "no probe '%s' in the table", m->probe);
    int code;
    PCRE2_SIZE at;
    m->code = pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &at, NULL);
    if (!m->code) {
        PCRE2_UCHAR why[128];
        pcre2_get_error_message (code, why, sizeof why);
        return sw_val_error (ld->err, ld->errlen, ld->file, sw_val_get (mv, "pattern"),
                             "pattern: %s at offset %zu", (char *)why, (size_t)at);
    }
    tab->nmatches++; //  owns the code from here
    uint32_t groups = 0;
    pcre2_pattern_info (m->code, PCRE2_INFO_CAPTURECOUNT, &groups);
    const sw_val_t *version = sw_val_get (mv, "version");
    if (version) {
        if (version->type != SW_VINT || version->i < 1 || version->i > (int64_t)groups)
            return sw_val_error (ld->err, ld->errlen, ld->file, version,
                                 "version must be a capture group of the pattern (1 to %u)",
                                 groups);
        m->group = (int)version->i;
    }
    return 0;
}

sw_probetab_t *sw_probetab_load (const char *name, const char *text, size_t len, char *err,
                                 size_t errlen)
{
    static const char *const known[] = {"probes", "matches", NULL};
    sw_probetab_t *tab = calloc (1, sizeof *tab);
    load_t ld = {tab, name, err, errlen};
    sw_doclist_t docs = {0};
    if (!tab || !(tab->arena = sw_arena_new ())) {
        snprintf (err, errlen, "%s: out of memory", name);
        goto fail;
    }
    if (len > SW_PROBETAB_MAX_SRC) {
        snprintf (err, errlen, "%s: over %d bytes", name, SW_PROBETAB_MAX_SRC);
        goto fail;
    }
    if (sw_doc_load (tab->arena, name, text, len, SW_FMT_YAML, &docs, err, errlen))
        goto fail;
    if (docs.n != 1) {
        snprintf (err, errlen, "%s: expected one YAML document, found %zu", name, docs.n);
        goto fail;
    }
    const sw_val_t *root = docs.docs[0];
    if (s_keys (&ld, root, "the probe table", known))
        goto fail;
    const sw_val_t *probes = sw_val_get (root, "probes"), *matches = sw_val_get (root, "matches");
    if (!probes || probes->type != SW_VARR || !matches || matches->type != SW_VARR ||
        matches->arr.n > SW_MATCHES_MAX) {
        sw_val_error (err, errlen, name, root,
                      "the probe table needs 'probes' and 'matches' lists (at most %d matches)",
                      SW_MATCHES_MAX);
        goto fail;
    }
    for (uint32_t i = 0; i < probes->arr.n; i++)
        if (s_probe (&ld, probes->arr.items[i]))
            goto fail;
    //  The scanner waits for banners with "null" and looks inside TLS with "http"
    if (!s_has_probe (tab, "null") || !s_has_probe (tab, "http")) {
        sw_val_error (err, errlen, name, probes, "the probes must include 'null' and 'http'");
        goto fail;
    }
    tab->matches = calloc (matches->arr.n + 1, sizeof *tab->matches);
    if (!tab->matches) {
        snprintf (err, errlen, "%s: out of memory", name);
        goto fail;
    }
    for (uint32_t i = 0; i < matches->arr.n; i++)
        if (s_match_entry (&ld, matches->arr.items[i]))
            goto fail;
    //  Examples last: an earlier entry may take an example from a later one
    for (uint32_t i = 0; i < matches->arr.n; i++) {
        const sw_val_t *ex = sw_val_get (matches->arr.items[i], "examples");
        if (ex && s_examples (&ld, ex, i))
            goto fail;
    }
    return tab;
fail:
    sw_probetab_destroy (&tab);
    return NULL;
}

sw_probetab_t *sw_probetab_load_rules (const char *rules, bool *absent, char *err, size_t errlen)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/" SW_PROBETAB_FILE, rules);
    if (absent)
        *absent = access (path, F_OK) != 0;
    size_t len;
    char *text = sw_file_read (path, SW_PROBETAB_MAX_SRC, &len, err, errlen);
    if (!text)
        return NULL;
    sw_probetab_t *tab = sw_probetab_load (path, text, len, err, errlen);
    free (text);
    return tab;
}

static bool s_contains (const sw_portlist_t *ports, uint16_t port)
{
    uint32_t n = sw_portlist_count (ports);
    for (uint32_t i = 0; i < n; i++)
        if (sw_portlist_nth (ports, i) == port)
            return true;
    return false;
}

size_t sw_probetab_order (const sw_probetab_t *self, uint16_t port, size_t order[], size_t max)
{
    size_t n = 0;
    bool taken[SW_PROBES_MAX] = {false};
    for (size_t i = 0; i < self->nprobes && n < max; i++)
        if (self->ports[i] && s_contains (self->ports[i], port)) {
            order[n++] = i;
            taken[i] = true;
        }
    for (size_t i = 0; i < self->nprobes && n < max; i++)
        if (!taken[i])
            order[n++] = i;
    return n;
}
