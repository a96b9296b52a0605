/*  sw_pkginv - package inventories into (ecosystem, name, version, line).

    Text formats (dpkg status, apk installed, requirements.txt, go.mod,
    go.sum) are read line by line after one pass that refuses binary data
    and overlong lines. poetry.lock and Cargo.lock go through a restricted
    TOML reader (below) that knows exactly what those lock files hold. JSON
    formats go through sw_doc_load into a scratch arena that is dropped
    after the load, so a set keeps only the strings of its packages.

    Names follow what OSV advisories name: Debian and Alpine packages by
    their source (origin) package, PyPI names normalised as PEP 503 says,
    Go modules by full path, Maven artifacts as groupId:artifactId, npm
    packages with their @scope. */
#include "sw_pkginv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "sw_docload.h"

#define MAX_LINE       (64 * 1024) //  bytes per line of a text format
#define MAX_PACKAGES   1000000     //  per file
#define MAX_COMPONENTS 16          //  CycloneDX components nested in components
#define MAX_NPM_DEPTH  64          //  lockfileVersion 1 dependency trees
#define MAX_TOML_DEPTH 64          //  arrays and inline tables in one value
#define GO_MAX_WORDS   8           //  per go.mod line; replace needs 5

//  ------------------------------------------------------------------------
//  Package sets

sw_pkgset_t *sw_pkgset_new (void)
{
    sw_pkgset_t *self = calloc (1, sizeof (sw_pkgset_t));
    if (!self)
        return NULL;
    self->arena = sw_arena_new ();
    if (!self->arena) {
        free (self);
        return NULL;
    }
    return self;
}

void sw_pkgset_destroy (sw_pkgset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_pkgset_t *self = *self_p;
    sw_arena_destroy (&self->arena);
    free (self->items);
    free (self);
    *self_p = NULL;
}

//  Consecutive packages mostly share their ecosystem and file: the copy of
//  the previous package is reused then, so a big lock file does not hold
//  its own name once per package.
static const char *s_copy (sw_arena_t *arena, const char *s, const char *previous)
{
    if (!s)
        return NULL;
    if (previous && strcmp (previous, s) == 0)
        return previous;
    return sw_arena_strdup (arena, s);
}

void sw_pkgset_add (sw_pkgset_t *self, const char *ecosystem, const char *name, const char *version,
                    const char *file, uint32_t line)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof (sw_pkg_t))
            abort ();
        //  Like the arena, out of memory is fatal: inputs are bounded
        sw_pkg_t *items = realloc (self->items, cap * sizeof (sw_pkg_t));
        if (!items)
            abort ();
        self->items = items;
        self->cap = cap;
    }
    const sw_pkg_t *last = self->n ? &self->items[self->n - 1] : NULL;
    sw_pkg_t *pkg = &self->items[self->n++];
    pkg->ecosystem =
        s_copy (self->arena, ecosystem ? ecosystem : "", last ? last->ecosystem : NULL);
    pkg->name = sw_arena_strdup (self->arena, name ? name : "");
    pkg->version = s_copy (self->arena, version, NULL);
    pkg->file = s_copy (self->arena, file ? file : "", last ? last->file : NULL);
    pkg->line = line;
}

//  ------------------------------------------------------------------------
//  Purl types

const char *sw_purl_ecosystem (const char *purl_type)
{
    //  The header's list, and the other OSV ecosystems whose purl type is
    //  unambiguous; the matcher says which of them it has a scheme for.
    static const char *const map[][2] = {
        {"deb", "Debian"},         {"apk", "Alpine"},  {"npm", "npm"},
        {"pypi", "PyPI"},          {"golang", "Go"},   {"cargo", "crates.io"},
        {"maven", "Maven"},        {"nuget", "NuGet"}, {"gem", "RubyGems"},
        {"composer", "Packagist"}, {"hex", "Hex"},     {"pub", "Pub"},
        {"hackage", "Hackage"},    {"cran", "CRAN"},   {"conan", "ConanCenter"},
    };
    if (!purl_type)
        return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp (purl_type, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

//  ------------------------------------------------------------------------
//  Format detection

static const char *s_base (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash ? slash + 1 : path;
}

static bool s_ends (const char *s, const char *suffix)
{
    size_t len = strlen (s), slen = strlen (suffix);
    return len >= slen && strcmp (s + len - slen, suffix) == 0;
}

//  True when path is suffix, or ends in "/" followed by suffix.
static bool s_path_ends (const char *path, const char *suffix)
{
    size_t len = strlen (path), slen = strlen (suffix);
    if (!s_ends (path, suffix))
        return false;
    return len == slen || path[len - slen - 1] == '/';
}

static bool s_starts (const char *data, size_t len, const char *prefix)
{
    size_t plen = strlen (prefix);
    return len >= plen && memcmp (data, prefix, plen) == 0;
}

//  Distroless images keep one deb822 file per package in status.d (and
//  their md5sums beside them), without Status fields.
static bool s_in_statusd (const char *path)
{
    return (strncmp (path, "dpkg/status.d/", 14) == 0 || strstr (path, "/dpkg/status.d/")) &&
           !s_ends (path, ".md5sums");
}

//  apk's installed database: "K:value" lines, a P: and a V: among them.
static bool s_looks_apk (const char *data, size_t len)
{
    if (len < 2 || data[1] != ':')
        return false;
    bool named = s_starts (data, len, "P:") || memmem (data, len, "\nP:", 3);
    return named && memmem (data, len, "\nV:", 3);
}

static bool s_json_object (const char *data, size_t len)
{
    size_t i = 0;
    if (s_starts (data, len, "\xEF\xBB\xBF"))
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && data[i] == '{';
}

//  Whether the JSON text holds key (quoted) as a key, followed by value
//  (quoted, or NULL for any). A textual look, not a parse: detection must
//  be cheap, and the load that follows parses for real.
static bool s_json_has (const char *data, size_t len, const char *key, const char *value)
{
    size_t klen = strlen (key);
    const char *end = data + len;
    for (const char *p = data; p < end && (p = memmem (p, (size_t)(end - p), key, klen)); p++) {
        const char *q = p + klen;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q == end || *q != ':')
            continue;
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (!value || s_starts (q, (size_t)(end - q), value))
            return true;
    }
    return false;
}

const char *sw_pkginv_format (const char *name, const char *data, size_t len)
{
    if (!name)
        return NULL;
    if (!data)
        len = 0;
    const char *base = s_base (name);
    static const char *const names[][2] = {
        {"package-lock.json", "npm-lock"},
        //  The same format, published with a package instead of a lock
        {"npm-shrinkwrap.json", "npm-lock"},
        {"poetry.lock", "poetry-lock"},
        {"Pipfile.lock", "pipfile-lock"},
        {"go.mod", "go-mod"},
        {"go.sum", "go-sum"},
        {"Cargo.lock", "cargo-lock"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp (base, names[i][0]) == 0)
            return names[i][1];
    if (strncmp (base, "requirements", 12) == 0 && s_ends (base, ".txt"))
        return "requirements";
    if (s_path_ends (name, "dpkg/status"))
        return "dpkg";
    if ((strcmp (base, "status") == 0 || s_in_statusd (name)) && s_starts (data, len, "Package: "))
        return "dpkg";
    if (s_path_ends (name, "lib/apk/db/installed"))
        return "apk";
    if (strcmp (base, "installed") == 0 && s_looks_apk (data, len))
        return "apk";
    if (s_json_object (data, len)) {
        if (s_json_has (data, len, "\"bomFormat\"", "\"CycloneDX\""))
            return "cyclonedx";
        if (s_json_has (data, len, "\"spdxVersion\"", NULL))
            return "spdx";
    }
    return NULL;
}

//  ------------------------------------------------------------------------
//  Loading context, errors, adding

//  (ecosystem, name, version) seen in this file, for the formats that
//  repeat them. Open addressing with a per-load seed: names come from the
//  input, which must not be able to prepare collisions.
typedef struct {
    const char **keys; //  in the scratch arena
    size_t cap, n;
    uint64_t seed;
} s_seen_t;

typedef struct {
    sw_pkgset_t *set;
    const char *name;
    const char *data;
    size_t len;
    char *err;
    size_t errlen;
    bool failed;
    sw_arena_t *tmp; //  scratch: documents, decoded strings; dropped after the load
    size_t added;
    bool dedupe;  //  drop repeated (ecosystem, name, version)
    bool statusd; //  a dpkg status.d file: stanzas without Status are installed
    s_seen_t seen;
} s_ctx_t;

static int s_fail (s_ctx_t *ctx, uint32_t line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Records the first error only: later ones are consequences of it.
static int s_fail (s_ctx_t *ctx, uint32_t line, const char *fmt, ...)
{
    if (ctx->failed)
        return -1;
    ctx->failed = true;
    if (!ctx->err || !ctx->errlen)
        return -1;
    char message[512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    if (line)
        snprintf (ctx->err, ctx->errlen, "%s:%u: %s", ctx->name, line, message);
    else
        snprintf (ctx->err, ctx->errlen, "%s: %s", ctx->name, message);
    //  Messages quote input; hostile input must not put escape sequences
    //  on an operator's terminal
    for (unsigned char *c = (unsigned char *)ctx->err; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

//  Input quoted in a message, cut to a readable length.
static const char *s_quote (s_ctx_t *ctx, const char *s, size_t len)
{
    if (len > 60)
        return sw_arena_printf (ctx->tmp, "%.57s...", s);
    return sw_arena_strndup (ctx->tmp, s, len);
}

static uint64_t s_hash (uint64_t seed, const char *s)
{
    uint64_t h = 14695981039346656037ull ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static void s_seen_insert (s_seen_t *seen, const char *key)
{
    size_t i = s_hash (seen->seed, key) & (seen->cap - 1);
    while (seen->keys[i])
        i = (i + 1) & (seen->cap - 1);
    seen->keys[i] = key;
    seen->n++;
}

//  True when the triple is new (and remembers it).
static bool s_seen_add (s_ctx_t *ctx, const char *ecosystem, const char *name, const char *version)
{
    s_seen_t *seen = &ctx->seen;
    if ((seen->n + 1) * 2 > seen->cap) {
        s_seen_t grown = *seen;
        grown.cap = seen->cap ? seen->cap * 2 : 256;
        grown.n = 0;
        grown.keys = calloc (grown.cap, sizeof (const char *));
        if (!grown.keys)
            abort ();
        if (!seen->cap &&
            getrandom (&grown.seed, sizeof grown.seed, GRND_NONBLOCK) != sizeof grown.seed)
            grown.seed = (uint64_t)time (NULL) ^ (uint64_t)(uintptr_t)ctx;
        for (size_t i = 0; i < seen->cap; i++)
            if (seen->keys[i])
                s_seen_insert (&grown, seen->keys[i]);
        free (seen->keys);
        *seen = grown;
    }
    //  Lengths make the key unambiguous whatever the strings hold
    const char *key =
        sw_arena_printf (ctx->tmp, "%zu:%s%zu:%s%c%s", strlen (ecosystem), ecosystem, strlen (name),
                         name, version ? 'v' : '-', version ? version : "");
    size_t i = s_hash (seen->seed, key) & (seen->cap - 1);
    for (; seen->keys[i]; i = (i + 1) & (seen->cap - 1))
        if (strcmp (seen->keys[i], key) == 0)
            return false;
    seen->keys[i] = key;
    seen->n++;
    return true;
}

//  Adds a package; an empty version is no version (unpinned).
static int s_add (s_ctx_t *ctx, const char *ecosystem, const char *name, const char *version,
                  uint32_t line)
{
    if (!name || !*name)
        return s_fail (ctx, line, "a package without a name");
    if (version && !*version)
        version = NULL;
    if (ctx->dedupe && !s_seen_add (ctx, ecosystem, name, version))
        return 0;
    if (ctx->added >= MAX_PACKAGES)
        return s_fail (ctx, line, "more than %d packages", MAX_PACKAGES);
    sw_pkgset_add (ctx->set, ecosystem, name, version, ctx->name, line);
    ctx->added++;
    return 0;
}

//  A PyPI name as PEP 503 normalises it: lower case, each run of '-', '_'
//  and '.' one '-'. Advisories and inventories spell names differently
//  (Flask_Login, flask-login), the normalised form is what they share.
static const char *s_pep503 (s_ctx_t *ctx, const char *s, size_t len)
{
    char *out = sw_arena_alloc (ctx->tmp, len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '-' || c == '_' || c == '.') {
            while (i + 1 < len && (s[i + 1] == '-' || s[i + 1] == '_' || s[i + 1] == '.'))
                i++;
            *o++ = '-';
        } else
            *o++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    *o = 0;
    return out;
}

//  ------------------------------------------------------------------------
//  Lines

typedef struct {
    const char *p, *end;
    uint32_t no; //  of the line last returned
} s_lines_t;

static s_lines_t s_lines (const s_ctx_t *ctx)
{
    s_lines_t it = {ctx->data, ctx->data + ctx->len, 0};
    if (s_starts (it.p, ctx->len, "\xEF\xBB\xBF"))
        it.p += 3;
    return it;
}

//  Next line without its end (\n or \r\n). False at the end.
static bool s_line_next (s_lines_t *it, const char **s, size_t *len)
{
    if (it->p >= it->end)
        return false;
    const char *nl = memchr (it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    *s = it->p;
    *len = (size_t)(stop - it->p);
    if (*len && (*s)[*len - 1] == '\r')
        (*len)--;
    it->p = nl ? nl + 1 : it->end;
    it->no++;
    return true;
}

static void s_trim (const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

static bool s_blank (const char *s, size_t len)
{
    s_trim (&s, &len);
    return len == 0;
}

static bool s_is (const char *s, size_t len, const char *word)
{
    return strlen (word) == len && memcmp (s, word, len) == 0;
}

//  Text formats hold no NUL and no line past MAX_LINE; checking once here
//  keeps every reader below from having to.
static int s_text_check (s_ctx_t *ctx)
{
    s_lines_t it = s_lines (ctx);
    const char *s;
    size_t len;
    while (s_line_next (&it, &s, &len)) {
        if (memchr (s, 0, len))
            return s_fail (ctx, it.no, "binary data (a NUL byte), not a text file");
        if (len > MAX_LINE)
            return s_fail (ctx, it.no, "line longer than %d bytes", MAX_LINE);
    }
    return 0;
}

//  ------------------------------------------------------------------------
//  dpkg status (deb822)

typedef struct {
    const char *s;
    size_t len;
    bool set;
} s_span_t;

typedef struct {
    uint32_t first; //  line of the stanza's first field
    s_span_t package, status, version, source;
} s_stanza_t;

//  Status is "want flag status"; the package's files are on disk and
//  configured when the status word is installed, or when only a trigger
//  is outstanding (triggers-awaited, triggers-pending), so those count.
static bool s_dpkg_installed (const s_ctx_t *ctx, const s_span_t *status)
{
    if (!status->set)
        return ctx->statusd;
    const char *s = status->s;
    size_t len = status->len;
    s_trim (&s, &len);
    size_t start = len;
    while (start && s[start - 1] != ' ' && s[start - 1] != '\t')
        start--;
    if (start == 0)
        return false; //  one word is not a status field
    const char *word = s + start;
    len -= start;
    return s_is (word, len, "installed") || s_is (word, len, "triggers-awaited") ||
           s_is (word, len, "triggers-pending");
}

//  OSV's Debian advisories name source packages (openssl, not libssl3),
//  with source versions, so a binary package is recorded under its Source
//  ("openssl" or "openssl (3.0.11-1)") when it has one, else under its own
//  name and Version. Binary packages of one source then repeat the same
//  triple, which the set keeps once (at the first stanza).
static int s_dpkg_stanza (s_ctx_t *ctx, const s_stanza_t *st)
{
    if (!s_dpkg_installed (ctx, &st->status))
        return 0;
    if (!st->package.set || !st->package.len)
        return s_fail (ctx, st->first, "an installed stanza without Package");
    if (!st->version.set || !st->version.len)
        return s_fail (ctx, st->first, "package %s without Version",
                       s_quote (ctx, st->package.s, st->package.len));
    const char *name = st->package.s, *version = st->version.s;
    size_t nlen = st->package.len, vlen = st->version.len;
    if (st->source.set && st->source.len) {
        const char *s = st->source.s;
        size_t len = st->source.len, word = 0;
        while (word < len && s[word] != ' ' && s[word] != '\t')
            word++;
        name = s;
        nlen = word;
        const char *rest = s + word;
        size_t rlen = len - word;
        s_trim (&rest, &rlen);
        if (rlen >= 2 && rest[0] == '(' && rest[rlen - 1] == ')') {
            rest++;
            rlen -= 2;
            s_trim (&rest, &rlen);
            if (rlen) {
                version = rest;
                vlen = rlen;
            }
        } else if (rlen)
            return s_fail (ctx, st->first, "Source %s is not 'name (version)'",
                           s_quote (ctx, s, len));
    }
    return s_add (ctx, "Debian", sw_arena_strndup (ctx->tmp, name, nlen),
                  sw_arena_strndup (ctx->tmp, version, vlen), st->first);
}

static int s_load_dpkg (s_ctx_t *ctx)
{
    ctx->statusd = s_in_statusd (ctx->name);
    ctx->dedupe = true;
    s_lines_t it = s_lines (ctx);
    s_stanza_t st;
    bool open = false;
    const char *s;
    size_t len;
    while (s_line_next (&it, &s, &len)) {
        if (s_blank (s, len)) {
            if (open && s_dpkg_stanza (ctx, &st))
                return -1;
            open = false;
            continue;
        }
        if (s[0] == ' ' || s[0] == '\t') {
            if (!open)
                return s_fail (ctx, it.no, "a continuation line without a field");
            continue; //  Description and Conffiles go on; nothing read needs them
        }
        if (s[0] == '#')
            continue; //  deb822 comments; dpkg never writes them, editors may
        if (!open) {
            memset (&st, 0, sizeof st);
            st.first = it.no;
            open = true;
        }
        const char *colon = memchr (s, ':', len);
        if (!colon || colon == s)
            return s_fail (ctx, it.no, "expected 'Field: value'");
        size_t flen = (size_t)(colon - s);
        s_span_t value = {colon + 1, len - flen - 1, true};
        s_trim (&value.s, &value.len);
        //  Field names are case-insensitive (deb822); the first wins
        s_span_t *slot = NULL;
        if (flen == 7 && strncasecmp (s, "Package", 7) == 0)
            slot = &st.package;
        else if (flen == 6 && strncasecmp (s, "Status", 6) == 0)
            slot = &st.status;
        else if (flen == 7 && strncasecmp (s, "Version", 7) == 0)
            slot = &st.version;
        else if (flen == 6 && strncasecmp (s, "Source", 6) == 0)
            slot = &st.source;
        if (slot && !slot->set)
            *slot = value;
    }
    return open ? s_dpkg_stanza (ctx, &st) : 0;
}

//  ------------------------------------------------------------------------
//  apk installed database

//  OSV's Alpine advisories name origin (source) packages, so a package is
//  recorded under its o: when it has one (libcrypto3 under openssl).
static int s_apk_block (s_ctx_t *ctx, uint32_t first, const s_span_t *pkg, const s_span_t *ver,
                        const s_span_t *origin)
{
    if (!pkg->set || !pkg->len)
        return s_fail (ctx, first, "a package without P: (its name)");
    if (!ver->set || !ver->len)
        return s_fail (ctx, first, "package %s without V: (its version)",
                       s_quote (ctx, pkg->s, pkg->len));
    const s_span_t *name = origin->set && origin->len ? origin : pkg;
    return s_add (ctx, "Alpine", sw_arena_strndup (ctx->tmp, name->s, name->len),
                  sw_arena_strndup (ctx->tmp, ver->s, ver->len), first);
}

static int s_load_apk (s_ctx_t *ctx)
{
    ctx->dedupe = true;
    s_lines_t it = s_lines (ctx);
    s_span_t pkg = {0}, ver = {0}, origin = {0};
    uint32_t first = 0;
    const char *s;
    size_t len;
    while (s_line_next (&it, &s, &len)) {
        if (s_blank (s, len)) {
            if (first && s_apk_block (ctx, first, &pkg, &ver, &origin))
                return -1;
            first = 0;
            continue;
        }
        if (len < 2 || s[1] != ':')
            return s_fail (ctx, it.no, "expected a 'K:value' line");
        if (!first) {
            first = it.no;
            pkg = ver = origin = (s_span_t){0};
        }
        s_span_t value = {s + 2, len - 2, true};
        s_trim (&value.s, &value.len);
        s_span_t *slot = s[0] == 'P' ? &pkg : s[0] == 'V' ? &ver : s[0] == 'o' ? &origin : NULL;
        if (slot && !slot->set)
            *slot = value;
    }
    return first ? s_apk_block (ctx, first, &pkg, &ver, &origin) : 0;
}

//  ------------------------------------------------------------------------
//  JSON helpers

//  Parses the file (errors from sw_doc_load as they are: file:line:col)
//  and returns its root object.
static const sw_val_t *s_json_root (s_ctx_t *ctx)
{
    sw_doclist_t docs = {NULL, 0, 0};
    if (sw_doc_load (ctx->tmp, ctx->name, ctx->data, ctx->len, SW_FMT_JSON, &docs, ctx->err,
                     ctx->errlen)) {
        ctx->failed = true;
        return NULL;
    }
    if (docs.n == 0) {
        s_fail (ctx, 0, "empty file");
        return NULL;
    }
    if (docs.docs[0]->type != SW_VMAP) {
        s_fail (ctx, 0, "not a JSON object but a %s", sw_vtype_name (docs.docs[0]->type));
        return NULL;
    }
    return docs.docs[0];
}

//  The string of v when it is one without NUL (no name can hold one),
//  else NULL.
static const char *s_jstr (const sw_val_t *v)
{
    if (!v || v->type != SW_VSTR || strlen (v->str.s) != v->str.len)
        return NULL;
    return v->str.s;
}

//  Value of key as a string: 0 with *out (NULL when absent or null), -1
//  when it is something else.
static int s_jfield (s_ctx_t *ctx, const sw_val_t *map, const char *key, const char **out,
                     const char *where)
{
    const sw_val_t *v = sw_val_get (map, key);
    *out = NULL;
    if (!v || v->type == SW_VNULL)
        return 0;
    *out = s_jstr (v);
    if (!*out)
        return s_fail (ctx, 0, "%s.%s is not a string", where, key);
    return 0;
}

//  ------------------------------------------------------------------------
//  purl (https://github.com/package-url/purl-spec)

typedef struct {
    const char *type; //  lower case
    const char *ns;   //  segments decoded, joined by '/'; NULL when none
    const char *name;
    const char *version;  //  NULL when none
    const char *upstream; //  the upstream qualifier (deb, apk source package)
} s_purl_t;

//  Percent-decodes into the scratch arena. A '%' without two hex digits
//  stays as it is: a sloppy SBOM still names its package. NULL when the
//  text decodes to a NUL.
static const char *s_pct (s_ctx_t *ctx, const char *s, size_t len)
{
    char *out = sw_arena_alloc (ctx->tmp, len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        int hi = -1, lo = -1;
        if (s[i] == '%' && i + 2 < len) {
            hi = sw_hex_digit (s[i + 1]);
            lo = sw_hex_digit (s[i + 2]);
        }
        if (hi >= 0 && lo >= 0) {
            char c = (char)(hi * 16 + lo);
            if (!c)
                return NULL;
            *o++ = c;
            i += 2;
        } else
            *o++ = s[i];
    }
    *o = 0;
    return out;
}

//  Parses as the purl specification says: subpath off at the last '#',
//  qualifiers at the last '?', the scheme, the type up to the first '/',
//  the version after an '@' of the last segment, the name, and the
//  namespace of the segments before. NULL on success, else why not.
static const char *s_purl_parse (s_ctx_t *ctx, const char *purl, s_purl_t *out)
{
    memset (out, 0, sizeof *out);
    size_t len = strlen (purl);
    const char *hash = memrchr (purl, '#', len);
    if (hash)
        len = (size_t)(hash - purl);
    const char *quals = NULL, *qend = NULL;
    const char *question = memrchr (purl, '?', len);
    if (question) {
        quals = question + 1;
        qend = purl + len;
        len = (size_t)(question - purl);
    }
    if (len < 4 || strncasecmp (purl, "pkg:", 4) != 0)
        return "it does not start with pkg:";
    const char *s = purl + 4, *end = purl + len;
    while (s < end && *s == '/')
        s++;
    const char *slash = memchr (s, '/', (size_t)(end - s));
    if (!slash || slash == s)
        return "it has no type";
    char *type = sw_arena_strndup (ctx->tmp, s, (size_t)(slash - s));
    for (char *c = type; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
        else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '+' ||
                   *c == '-'))
            return "its type has characters a type cannot have";
    }
    out->type = type;
    s = slash + 1;
    while (end > s && end[-1] == '/')
        end--;
    const char *last = memrchr (s, '/', (size_t)(end - s));
    const char *name = last ? last + 1 : s, *name_end = end;
    //  Only an '@' in the last segment starts the version: the @ of an
    //  npm scope written unencoded stays in the namespace
    const char *at = memrchr (name, '@', (size_t)(end - name));
    if (at) {
        out->version = s_pct (ctx, at + 1, (size_t)(end - at - 1));
        if (!out->version)
            return "its version holds a NUL (%00)";
        name_end = at;
    }
    if (name_end == name)
        return "it has no name";
    out->name = s_pct (ctx, name, (size_t)(name_end - name));
    if (!out->name)
        return "its name holds a NUL (%00)";
    if (last) {
        //  Segments are decoded one by one; empty ones do not count
        char *ns = sw_arena_alloc (ctx->tmp, (size_t)(last - s) + 1);
        size_t nlen = 0;
        for (const char *seg = s; seg < last;) {
            const char *stop = memchr (seg, '/', (size_t)(last - seg));
            if (!stop)
                stop = last;
            if (stop > seg) {
                const char *decoded = s_pct (ctx, seg, (size_t)(stop - seg));
                if (!decoded)
                    return "its namespace holds a NUL (%00)";
                if (nlen)
                    ns[nlen++] = '/';
                memcpy (ns + nlen, decoded, strlen (decoded));
                nlen += strlen (decoded);
            }
            seg = stop + 1;
        }
        ns[nlen] = 0;
        out->ns = nlen ? ns : NULL;
    }
    for (const char *q = quals; q && q < qend;) {
        const char *amp = memchr (q, '&', (size_t)(qend - q));
        if (!amp)
            amp = qend;
        if ((size_t)(amp - q) > 9 && strncasecmp (q, "upstream=", 9) == 0) {
            out->upstream = s_pct (ctx, q + 9, (size_t)(amp - q - 9));
            if (!out->upstream)
                return "its upstream qualifier holds a NUL (%00)";
        }
        q = amp + 1;
    }
    return NULL;
}

//  The OSV ecosystem of a purl. For deb and apk the namespace names the
//  distribution, whose advisories differ (Ubuntu's openssl is not
//  Debian's), so a distribution OSV knows gets its own ecosystem and any
//  other one stays "type/namespace", unknown to the matcher rather than
//  matched against the wrong distribution.
static const char *s_purl_eco (s_ctx_t *ctx, const s_purl_t *p)
{
    static const char *const distros[][3] = {
        {"deb", "debian", "Debian"},         {"deb", "ubuntu", "Ubuntu"},
        {"apk", "alpine", "Alpine"},         {"apk", "wolfi", "Wolfi"},
        {"apk", "chainguard", "Chainguard"},
    };
    bool distro = strcmp (p->type, "deb") == 0 || strcmp (p->type, "apk") == 0;
    if (distro && p->ns) {
        for (size_t i = 0; i < sizeof distros / sizeof distros[0]; i++)
            if (strcmp (p->type, distros[i][0]) == 0 && strcasecmp (p->ns, distros[i][1]) == 0)
                return distros[i][2];
        return sw_arena_printf (ctx->tmp, "%s/%s", p->type, p->ns);
    }
    const char *eco = sw_purl_ecosystem (p->type);
    //  Unknown types stay as they are, so the matcher reports them unknown
    return eco ? eco : p->type;
}

//  Adds the package of a purl. where names the JSON place for messages;
//  version is the document's own version field, used when the purl has
//  none.
static int s_purl_add (s_ctx_t *ctx, const char *purl, const char *version, const char *where)
{
    s_purl_t p;
    const char *why = s_purl_parse (ctx, purl, &p);
    if (why)
        return s_fail (ctx, 0, "%s: purl '%s' does not parse: %s", where,
                       s_quote (ctx, purl, strlen (purl)), why);
    const char *name = p.name;
    if (p.version)
        version = p.version;
    if (strcmp (p.type, "pypi") == 0)
        name = s_pep503 (ctx, p.name, strlen (p.name));
    else if (strcmp (p.type, "maven") == 0 && p.ns)
        name = sw_arena_printf (ctx->tmp, "%s:%s", p.ns, p.name);
    else if (strcmp (p.type, "deb") == 0 || strcmp (p.type, "apk") == 0) {
        //  The namespace is the distribution. The upstream qualifier (as
        //  Syft writes it: "openssl" or "openssl@3.0.11-1") names the
        //  source package, which is what OSV names, as for dpkg and apk
        if (p.upstream && *p.upstream) {
            const char *at = strchr (p.upstream, '@');
            name = at ? sw_arena_strndup (ctx->tmp, p.upstream, (size_t)(at - p.upstream))
                      : p.upstream;
            if (at && at[1])
                version = at + 1;
        }
    } else if (p.ns)
        //  npm "@scope/name", golang's full module path, and any other
        //  type's namespace kept as a path
        name = sw_arena_printf (ctx->tmp, "%s/%s", p.ns, p.name);
    return s_add (ctx, s_purl_eco (ctx, &p), name, version, 0);
}

//  ------------------------------------------------------------------------
//  CycloneDX JSON

//  Components with a purl are packages; the others (files, the operating
//  system, components described by name only) say nothing OSV can match.
//  Nested components are walked too. The BOM's own subject
//  (metadata.component) is not read: it is what was scanned, not a
//  dependency of it.
static int s_cdx_components (s_ctx_t *ctx, const sw_val_t *list, const char *where, int depth)
{
    if (list->type != SW_VARR)
        return s_fail (ctx, 0, "%s is not a list", where);
    if (depth > MAX_COMPONENTS)
        return s_fail (ctx, 0, "%s: components nested deeper than %d", where, MAX_COMPONENTS);
    for (uint32_t i = 0; i < list->arr.n; i++) {
        const sw_val_t *comp = list->arr.items[i];
        if (comp->type != SW_VMAP)
            return s_fail (ctx, 0, "%s[%u] is not a map", where, i);
        const sw_val_t *purl = sw_val_get (comp, "purl");
        if (purl && purl->type != SW_VNULL) {
            const char *here = sw_arena_printf (ctx->tmp, "%s[%u]", where, i);
            const char *text = s_jstr (purl), *version;
            if (!text)
                return s_fail (ctx, 0, "%s.purl is not a string", here);
            if (s_jfield (ctx, comp, "version", &version, here))
                return -1;
            if (s_purl_add (ctx, text, version, here))
                return -1;
        }
        const sw_val_t *nested = sw_val_get (comp, "components");
        if (nested && nested->type != SW_VNULL &&
            s_cdx_components (ctx, nested,
                              sw_arena_printf (ctx->tmp, "%s[%u].components", where, i), depth + 1))
            return -1;
    }
    return 0;
}

static int s_load_cyclonedx (s_ctx_t *ctx)
{
    const sw_val_t *root = s_json_root (ctx);
    if (!root)
        return -1;
    const sw_val_t *list = sw_val_get (root, "components");
    if (!list || list->type == SW_VNULL)
        return 0;
    return s_cdx_components (ctx, list, "components", 1);
}

//  ------------------------------------------------------------------------
//  SPDX JSON

//  Packages with a purl among their external references (category
//  PACKAGE-MANAGER, type purl) are packages; versionInfo stands in for a
//  purl without a version.
static int s_load_spdx (s_ctx_t *ctx)
{
    const sw_val_t *root = s_json_root (ctx);
    if (!root)
        return -1;
    const sw_val_t *list = sw_val_get (root, "packages");
    if (!list || list->type == SW_VNULL)
        return 0;
    if (list->type != SW_VARR)
        return s_fail (ctx, 0, "packages is not a list");
    for (uint32_t i = 0; i < list->arr.n; i++) {
        const sw_val_t *pkg = list->arr.items[i];
        if (pkg->type != SW_VMAP)
            return s_fail (ctx, 0, "packages[%u] is not a map", i);
        const sw_val_t *refs = sw_val_get (pkg, "externalRefs");
        if (!refs || refs->type == SW_VNULL)
            continue;
        if (refs->type != SW_VARR)
            return s_fail (ctx, 0, "packages[%u].externalRefs is not a list", i);
        const char *where = sw_arena_printf (ctx->tmp, "packages[%u]", i), *version;
        if (s_jfield (ctx, pkg, "versionInfo", &version, where))
            return -1;
        for (uint32_t j = 0; j < refs->arr.n; j++) {
            const sw_val_t *ref = refs->arr.items[j];
            const char *here = sw_arena_printf (ctx->tmp, "%s.externalRefs[%u]", where, j);
            if (ref->type != SW_VMAP)
                return s_fail (ctx, 0, "%s is not a map", here);
            const char *type, *locator;
            if (s_jfield (ctx, ref, "referenceType", &type, here))
                return -1;
            if (!type || strcmp (type, "purl") != 0)
                continue;
            if (s_jfield (ctx, ref, "referenceLocator", &locator, here))
                return -1;
            if (!locator)
                return s_fail (ctx, 0, "%s has no referenceLocator", here);
            if (s_purl_add (ctx, locator, version, here))
                return -1;
        }
    }
    return 0;
}

//  ------------------------------------------------------------------------
//  npm package-lock.json

//  lockfileVersion 2 and 3: "packages" maps install paths to packages.
//  The root ("") is the project itself; paths outside node_modules are
//  workspace members, local code that no registry advisory is about;
//  links point at those. An entry's own "name" is the real package of an
//  alias (node_modules/foo installed from npm:bar@1.0.0).
static int s_npm_packages (s_ctx_t *ctx, const sw_val_t *packages)
{
    if (packages->type != SW_VMAP)
        return s_fail (ctx, 0, "packages is not a map");
    for (uint32_t i = 0; i < packages->map.n; i++) {
        const char *key = packages->map.kv[i].key;
        const sw_val_t *entry = packages->map.kv[i].val;
        const char *name = NULL;
        for (const char *p = key; (p = strstr (p, "node_modules/")); p++)
            name = p + 13;
        if (!name)
            continue;
        const char *where =
            sw_arena_printf (ctx->tmp, "packages[\"%s\"]", s_quote (ctx, key, strlen (key)));
        if (entry->type != SW_VMAP)
            return s_fail (ctx, 0, "%s is not a map", where);
        const sw_val_t *link = sw_val_get (entry, "link");
        if (link && link->type == SW_VBOOL && link->b)
            continue;
        const char *real, *version;
        if (s_jfield (ctx, entry, "name", &real, where) ||
            s_jfield (ctx, entry, "version", &version, where))
            return -1;
        if (s_add (ctx, "npm", real && *real ? real : name, version, 0))
            return -1;
    }
    return 0;
}

//  lockfileVersion 1: "dependencies" nests name -> {version, dependencies}.
//  A "file:" version is a link to local code; "npm:bar@1.0.0" an alias.
static int s_npm_dependencies (s_ctx_t *ctx, const sw_val_t *deps, const char *where, int depth)
{
    if (deps->type != SW_VMAP)
        return s_fail (ctx, 0, "%s is not a map", where);
    if (depth > MAX_NPM_DEPTH)
        return s_fail (ctx, 0, "%s: dependencies nested deeper than %d", where, MAX_NPM_DEPTH);
    for (uint32_t i = 0; i < deps->map.n; i++) {
        const char *name = deps->map.kv[i].key;
        const sw_val_t *entry = deps->map.kv[i].val;
        const char *here =
            sw_arena_printf (ctx->tmp, "%s[\"%s\"]", where, s_quote (ctx, name, strlen (name)));
        if (entry->type != SW_VMAP)
            return s_fail (ctx, 0, "%s is not a map", here);
        const char *version;
        if (s_jfield (ctx, entry, "version", &version, here))
            return -1;
        if (version && strncmp (version, "file:", 5) == 0)
            continue;
        if (version && strncmp (version, "npm:", 4) == 0) {
            //  The '@' of a version follows the name, whose scope has its own
            const char *alias = version + 4;
            const char *at = strrchr (alias, '@');
            if (at && at > alias) {
                name = sw_arena_strndup (ctx->tmp, alias, (size_t)(at - alias));
                version = at + 1;
            }
        }
        if (s_add (ctx, "npm", name, version, 0))
            return -1;
        const sw_val_t *nested = sw_val_get (entry, "dependencies");
        if (nested && nested->type != SW_VNULL &&
            s_npm_dependencies (ctx, nested, sw_arena_printf (ctx->tmp, "%s.dependencies", here),
                                depth + 1))
            return -1;
    }
    return 0;
}

static int s_load_npm (s_ctx_t *ctx)
{
    const sw_val_t *root = s_json_root (ctx);
    if (!root)
        return -1;
    const sw_val_t *packages = sw_val_get (root, "packages");
    if (packages && packages->type != SW_VNULL)
        return s_npm_packages (ctx, packages);
    //  Version 2 holds both; "packages" alone is complete
    const sw_val_t *deps = sw_val_get (root, "dependencies");
    if (deps && deps->type != SW_VNULL)
        return s_npm_dependencies (ctx, deps, "dependencies", 1);
    return 0;
}

//  ------------------------------------------------------------------------
//  Pipfile.lock

//  Every top-level map but _meta is a category of packages: "default" and
//  "develop", and the custom categories of recent pipenv. A version is
//  "==1.2.3"; a package without one (git, path) is unpinned. A package in
//  two categories is one package.
static int s_load_pipfile (s_ctx_t *ctx)
{
    ctx->dedupe = true;
    const sw_val_t *root = s_json_root (ctx);
    if (!root)
        return -1;
    for (uint32_t i = 0; i < root->map.n; i++) {
        const char *category = root->map.kv[i].key;
        const sw_val_t *list = root->map.kv[i].val;
        if (strcmp (category, "_meta") == 0 || list->type == SW_VNULL)
            continue;
        const char *where = s_quote (ctx, category, strlen (category));
        if (list->type != SW_VMAP)
            return s_fail (ctx, 0, "%s is not a map", where);
        for (uint32_t j = 0; j < list->map.n; j++) {
            const char *name = list->map.kv[j].key;
            const sw_val_t *entry = list->map.kv[j].val;
            const char *here =
                sw_arena_printf (ctx->tmp, "%s[\"%s\"]", where, s_quote (ctx, name, strlen (name)));
            if (entry->type != SW_VMAP)
                return s_fail (ctx, 0, "%s is not a map", here);
            const char *version;
            if (s_jfield (ctx, entry, "version", &version, here))
                return -1;
            if (version && strncmp (version, "===", 3) == 0)
                version += 3;
            else if (version && strncmp (version, "==", 2) == 0)
                version += 2;
            else
                version = NULL;
            if (s_add (ctx, "PyPI", s_pep503 (ctx, name, strlen (name)), version, 0))
                return -1;
        }
    }
    return 0;
}

//  ------------------------------------------------------------------------
//  requirements.txt

//  One requirement (a logical line, comments off). Pinned means exactly
//  one "==V" (or "===V") clause; V with a '*' matches a prefix, so it is
//  not a pin. Environment markers (after ';') do not change what is
//  installed where they hold, and are ignored; per-requirement options
//  (--hash) are dropped.
static int s_requirement (s_ctx_t *ctx, const char *s, size_t len, uint32_t line)
{
    s_trim (&s, &len);
    if (!len)
        return 0;
    //  -r, -c, -e, -i, --index-url...: includes, constraints, editable
    //  local or VCS checkouts, pip options; none is a package from PyPI
    if (s[0] == '-')
        return 0;
    //  A path names no package before it is built
    if (s[0] == '.' || s[0] == '/')
        return 0;
    for (size_t i = 1; i + 1 < len; i++)
        if ((s[i - 1] == ' ' || s[i - 1] == '\t') && s[i] == '-' && s[i + 1] == '-') {
            len = i;
            break;
        }
    const char *semi = memchr (s, ';', len);
    if (semi)
        len = (size_t)(semi - s);
    s_trim (&s, &len);
    size_t n = 0;
    while (n < len && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
                       (s[n] >= '0' && s[n] <= '9') || s[n] == '.' || s[n] == '_' || s[n] == '-'))
        n++;
    if (n == 0 || s[0] == '.' || s[0] == '_' || s[0] == '-')
        return s_fail (ctx, line, "not a requirement: %s", s_quote (ctx, s, len));
    const char *name = s_pep503 (ctx, s, n);
    const char *spec = s + n;
    size_t slen = len - n;
    s_trim (&spec, &slen);
    if (slen && spec[0] == '[') {
        const char *close = memchr (spec, ']', slen);
        if (!close)
            return s_fail (ctx, line, "extras without a closing ']'");
        slen -= (size_t)(close + 1 - spec);
        spec = close + 1;
        s_trim (&spec, &slen);
    }
    //  The old form "name (==1.0)"
    if (slen >= 2 && spec[0] == '(' && spec[slen - 1] == ')') {
        spec++;
        slen -= 2;
        s_trim (&spec, &slen);
    }
    //  "name @ URL" names its package, unpinned; a bare URL (git+https://,
    //  https://...whl) names none before it is built
    if (!slen || spec[0] == '@')
        return s_add (ctx, "PyPI", name, NULL, line);
    if (memmem (s, len, "://", 3))
        return 0;
    if (!strchr ("=<>!~", spec[0]))
        return s_fail (ctx, line, "not a requirement: %s", s_quote (ctx, s, len));
    size_t op = 0;
    if (slen >= 3 && memcmp (spec, "===", 3) == 0)
        op = 3;
    else if (slen >= 2 && memcmp (spec, "==", 2) == 0)
        op = 2;
    if (!op || memchr (spec, ',', slen))
        return s_add (ctx, "PyPI", name, NULL, line);
    const char *v = spec + op;
    size_t vlen = slen - op;
    s_trim (&v, &vlen);
    for (size_t i = 0; i < vlen; i++)
        if (v[i] == ' ' || v[i] == '\t')
            return s_fail (ctx, line, "unexpected text after version %s", s_quote (ctx, v, i));
    if (!vlen || memchr (v, '*', vlen))
        return s_add (ctx, "PyPI", name, NULL, line);
    return s_add (ctx, "PyPI", name, sw_arena_strndup (ctx->tmp, v, vlen), line);
}

//  Logical lines as pip makes them: a line ending in '\' goes on at the
//  next, unless it holds a comment ('#' at the start or after a blank),
//  which ends it. A requirement is reported at its first line.
static int s_load_requirements (s_ctx_t *ctx)
{
    s_lines_t it = s_lines (ctx);
    char *buf = malloc (MAX_LINE + 1);
    if (!buf)
        return s_fail (ctx, 0, "out of memory");
    size_t used = 0;
    uint32_t first = 0;
    bool more = false; //  the last line went on
    const char *s;
    size_t len;
    int rc = 0;
    while (rc == 0 && s_line_next (&it, &s, &len)) {
        if (!more)
            first = it.no;
        bool comment = false;
        for (size_t i = 0; i < len; i++)
            if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
                len = i;
                comment = true;
                break;
            }
        more = !comment && len && s[len - 1] == '\\';
        if (more)
            len--;
        if (used + len > MAX_LINE) {
            rc = s_fail (ctx, first, "a continued line longer than %d bytes", MAX_LINE);
            break;
        }
        memcpy (buf + used, s, len);
        used += len;
        if (more)
            continue;
        rc = s_requirement (ctx, buf, used, first);
        used = 0;
    }
    if (rc == 0 && used)
        rc = s_requirement (ctx, buf, used, first);
    free (buf);
    return rc;
}

//  ------------------------------------------------------------------------
//  Restricted TOML (poetry.lock, Cargo.lock)
//
//  Exactly what those files use: comments, table headers ([x], [[x]],
//  dotted, quoted), and key = value where only the name and version of a
//  [[package]] are read, as strings. Every other value is skipped whole:
//  strings of the four kinds, arrays and inline tables over any number of
//  lines (brackets matched, strings and comments inside them), and
//  scalars (numbers, booleans, dates) to the end of the line. A table
//  header closes the [[package]] before it: keys after [package.source]
//  or [metadata] are not the package's.

typedef struct {
    s_ctx_t *ctx;
    const char *p, *end;
    uint32_t line;
} s_toml_t;

static void s_toml_blanks (s_toml_t *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
        t->p++;
}

static bool s_toml_newline (s_toml_t *t)
{
    if (t->p < t->end && *t->p == '\n') {
        t->p++;
        t->line++;
        return true;
    }
    if (t->end - t->p >= 2 && t->p[0] == '\r' && t->p[1] == '\n') {
        t->p += 2;
        t->line++;
        return true;
    }
    return false;
}

static void s_toml_comment (s_toml_t *t)
{
    if (t->p < t->end && *t->p == '#')
        while (t->p < t->end && *t->p != '\n' && *t->p != '\r')
            t->p++;
}

//  After a statement: blanks, a comment, then a line end or the end.
static int s_toml_eol (s_toml_t *t)
{
    s_toml_blanks (t);
    s_toml_comment (t);
    if (t->p == t->end || s_toml_newline (t))
        return 0;
    return s_fail (t->ctx, t->line, "unexpected text after a value");
}

static char *s_utf8 (char *o, uint32_t cp)
{
    if (cp < 0x80)
        *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

//  Decodes the escapes of a basic string's body into the scratch arena.
//  Decoding never lengthens: \uXXXX is 6 bytes for at most 3.
static int s_toml_unescape (s_toml_t *t, const char *s, size_t len, const char **out)
{
    char *buf = sw_arena_alloc (t->ctx->tmp, len + 1), *o = buf;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            *o++ = s[i];
            continue;
        }
        i++; //  the body never ends in a lone '\': it escaped the quote
        char c = s[i];
        switch (c) {
        case '"':
        case '\\':
            *o++ = c;
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'e':
            *o++ = '\x1b';
            break;
        case 'u':
        case 'U': {
            size_t digits = c == 'u' ? 4 : 8;
            uint32_t cp = 0;
            if (len - i - 1 < digits)
                return s_fail (t->ctx, t->line, "\\%c needs %zu hex digits", c, digits);
            for (size_t d = 1; d <= digits; d++) {
                int h = sw_hex_digit (s[i + d]);
                if (h < 0)
                    return s_fail (t->ctx, t->line, "\\%c needs %zu hex digits", c, digits);
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return s_fail (t->ctx, t->line, "\\%c escape of U+%04X, which a name cannot hold",
                               c, cp);
            o = s_utf8 (o, cp);
            i += digits;
            break;
        }
        default:
            return s_fail (t->ctx, t->line, "an invalid escape in a string");
        }
    }
    *o = 0;
    *out = buf;
    return 0;
}

//  A string at t->p: basic "...", literal '...', or their multi-line
//  forms. With out, decodes it (single-line forms only: the lock files
//  never write names or versions over lines); else skips it.
static int s_toml_string (s_toml_t *t, const char **out)
{
    char q = *t->p;
    uint32_t line = t->line;
    if (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
        if (out)
            return s_fail (t->ctx, line, "expected a single-line string");
        t->p += 3;
        while (t->p < t->end) {
            if (*t->p == q && t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q) {
                t->p += 3;
                //  Up to two more quotes are part of the string
                for (int i = 0; i < 2 && t->p < t->end && *t->p == q; i++)
                    t->p++;
                return 0;
            }
            if (*t->p == '\\' && q == '"' && t->end - t->p >= 2 && t->p[1] != '\n')
                t->p++;
            if (*t->p == '\n')
                t->line++;
            t->p++;
        }
        return s_fail (t->ctx, line, "unterminated multi-line string");
    }
    const char *start = ++t->p;
    while (t->p < t->end && *t->p != q && *t->p != '\n') {
        if (*t->p == '\\' && q == '"' && t->end - t->p >= 2 && t->p[1] != '\n')
            t->p++;
        t->p++;
    }
    if (t->p >= t->end || *t->p != q)
        return s_fail (t->ctx, line, "unterminated string");
    size_t len = (size_t)(t->p - start);
    t->p++;
    if (!out)
        return 0;
    if (q == '\'') {
        *out = sw_arena_strndup (t->ctx->tmp, start, len);
        return 0;
    }
    return s_toml_unescape (t, start, len, out);
}

//  A key: dotted parts, bare or quoted, blanks around the dots. The first
//  part is copied into word when it fits (a longer one is none of the
//  few the reader looks for), *parts says how many there are.
static int s_toml_key (s_toml_t *t, char *word, size_t cap, int *parts)
{
    *parts = 0;
    word[0] = 0;
    for (;;) {
        s_toml_blanks (t);
        if (t->p >= t->end)
            return s_fail (t->ctx, t->line, "expected a key");
        const char *text;
        size_t len;
        if (*t->p == '"' || *t->p == '\'') {
            if (s_toml_string (t, &text))
                return -1;
            len = strlen (text);
        } else {
            text = t->p;
            while (t->p < t->end &&
                   ((*t->p >= 'a' && *t->p <= 'z') || (*t->p >= 'A' && *t->p <= 'Z') ||
                    (*t->p >= '0' && *t->p <= '9') || *t->p == '_' || *t->p == '-'))
                t->p++;
            len = (size_t)(t->p - text);
            if (!len)
                return s_fail (t->ctx, t->line, "expected a key");
        }
        if (*parts == 0 && len < cap) {
            memcpy (word, text, len);
            word[len] = 0;
        }
        (*parts)++;
        s_toml_blanks (t);
        if (t->p < t->end && *t->p == '.') {
            t->p++;
            continue;
        }
        return 0;
    }
}

//  An array or inline table, over as many lines as it takes.
static int s_toml_skip_container (s_toml_t *t)
{
    char closers[MAX_TOML_DEPTH];
    int depth = 0;
    uint32_t line = t->line;
    while (t->p < t->end) {
        char c = *t->p;
        if (c == '"' || c == '\'') {
            if (s_toml_string (t, NULL))
                return -1;
            continue;
        }
        if (c == '#') {
            s_toml_comment (t);
            continue;
        }
        if (c == '\n')
            t->line++;
        else if (c == '[' || c == '{') {
            if (depth == MAX_TOML_DEPTH)
                return s_fail (t->ctx, t->line, "values nested deeper than %d", MAX_TOML_DEPTH);
            closers[depth++] = c == '[' ? ']' : '}';
        } else if (c == ']' || c == '}') {
            if (closers[depth - 1] != c)
                return s_fail (t->ctx, t->line, "'%c' closes a '%c'", c,
                               closers[depth - 1] == ']' ? '[' : '{');
            if (--depth == 0) {
                t->p++;
                return 0;
            }
        }
        t->p++;
    }
    return s_fail (t->ctx, line, "unterminated %s", closers[0] == ']' ? "array" : "inline table");
}

static int s_toml_skip_value (s_toml_t *t)
{
    if (t->p >= t->end || *t->p == '\n' || *t->p == '\r' || *t->p == '#')
        return s_fail (t->ctx, t->line, "a key without a value");
    if (*t->p == '"' || *t->p == '\'')
        return s_toml_string (t, NULL);
    if (*t->p == '[' || *t->p == '{')
        return s_toml_skip_container (t);
    //  A number, boolean or date-time, which may hold a blank
    while (t->p < t->end && *t->p != '\n' && *t->p != '\r' && *t->p != '#')
        t->p++;
    return 0;
}

typedef struct {
    bool open;     //  in a [[package]], before any other header
    uint32_t line; //  of its header
    const char *name, *version;
} s_tpkg_t;

static int s_toml_package (s_ctx_t *ctx, s_tpkg_t *pkg, const char *ecosystem, bool pep503)
{
    if (!pkg->open)
        return 0;
    pkg->open = false;
    if (!pkg->name || !*pkg->name)
        return s_fail (ctx, pkg->line, "[[package]] without a name");
    if (!pkg->version || !*pkg->version)
        return s_fail (ctx, pkg->line, "[[package]] without a version");
    const char *name = pep503 ? s_pep503 (ctx, pkg->name, strlen (pkg->name)) : pkg->name;
    return s_add (ctx, ecosystem, name, pkg->version, pkg->line);
}

static int s_load_toml (s_ctx_t *ctx, const char *ecosystem, bool pep503)
{
    s_toml_t t = {ctx, ctx->data, ctx->data + ctx->len, 1};
    if (s_starts (t.p, ctx->len, "\xEF\xBB\xBF"))
        t.p += 3;
    s_tpkg_t pkg = {false, 0, NULL, NULL};
    char word[16];
    int parts;
    for (;;) {
        s_toml_blanks (&t);
        if (t.p >= t.end)
            break;
        if (s_toml_newline (&t))
            continue;
        if (*t.p == '#') {
            s_toml_comment (&t);
            continue;
        }
        uint32_t line = t.line;
        if (*t.p == '[') {
            if (s_toml_package (ctx, &pkg, ecosystem, pep503))
                return -1;
            t.p++;
            bool array = t.p < t.end && *t.p == '[';
            if (array)
                t.p++;
            if (s_toml_key (&t, word, sizeof word, &parts))
                return -1;
            if (t.p >= t.end || *t.p != ']' || (array && (t.end - t.p < 2 || t.p[1] != ']')))
                return s_fail (ctx, line, "a table header without its closing ']'");
            t.p += array ? 2 : 1;
            if (array && parts == 1 && strcmp (word, "package") == 0)
                pkg = (s_tpkg_t){true, line, NULL, NULL};
        } else {
            if (s_toml_key (&t, word, sizeof word, &parts))
                return -1;
            if (t.p >= t.end || *t.p != '=')
                return s_fail (ctx, line, "expected '=' after a key");
            t.p++;
            s_toml_blanks (&t);
            bool wanted = pkg.open && parts == 1 &&
                          (strcmp (word, "name") == 0 || strcmp (word, "version") == 0);
            if (wanted) {
                const char **slot = word[0] == 'n' ? &pkg.name : &pkg.version;
                if (*slot)
                    return s_fail (ctx, line, "[[package]] with two %ss", word);
                if (t.p >= t.end || (*t.p != '"' && *t.p != '\''))
                    return s_fail (ctx, line, "%s is not a string", word);
                if (s_toml_string (&t, slot))
                    return -1;
            } else if (s_toml_skip_value (&t))
                return -1;
        }
        if (s_toml_eol (&t))
            return -1;
    }
    return s_toml_package (ctx, &pkg, ecosystem, pep503);
}

static int s_load_poetry (s_ctx_t *ctx)
{
    return s_load_toml (ctx, "PyPI", true);
}

static int s_load_cargo (s_ctx_t *ctx)
{
    return s_load_toml (ctx, "crates.io", false);
}

//  ------------------------------------------------------------------------
//  go.mod and go.sum

typedef struct {
    const char *s;
    size_t len;
} s_word_t;

//  Splits a go.mod line as the go command's lexer does: quoted strings
//  ("..." or `...`, quotes dropped), '(' and ')' alone, runs of other
//  characters; "//" starts a comment (// indirect among them). Returns the
//  number of words, or -1.
static int s_gomod_words (s_ctx_t *ctx, const char *s, size_t len, uint32_t no, s_word_t *words)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '/' && i + 1 < len && s[i + 1] == '/')
            break;
        if (n == GO_MAX_WORDS)
            return s_fail (ctx, no, "more than %d words on a line", GO_MAX_WORDS);
        if (c == '(' || c == ')') {
            words[n++] = (s_word_t){s + i, 1};
            i++;
            continue;
        }
        size_t j = i + 1;
        if (c == '"' || c == '`') {
            while (j < len && s[j] != c && !(c == '"' && s[j] == '\\'))
                j++;
            //  Module paths and versions need no escapes; reading them
            //  would be Go's full string syntax for nothing
            if (j < len && s[j] == '\\')
                return s_fail (ctx, no, "escapes in quoted strings are not supported");
            if (j >= len)
                return s_fail (ctx, no, "unterminated string");
            words[n++] = (s_word_t){s + i + 1, j - i - 1};
            i = j + 1;
            continue;
        }
        while (j < len && !strchr (" \t\r()\"`", s[j]) &&
               !(s[j] == '/' && j + 1 < len && s[j + 1] == '/'))
            j++;
        words[n++] = (s_word_t){s + i, j - i};
        i = j;
    }
    return n;
}

typedef struct {
    const char *path, *version;
    uint32_t line;
} s_goreq_t;

typedef struct {
    const char *old, *oldver; //  oldver NULL: every version
    const char *new, *newver; //  newver NULL: new is a directory
} s_gorep_t;

//  As the go command's modfile.IsDirectoryPath: a replacement without a
//  version must be a local directory.
static bool s_go_directory (const char *path)
{
    return strcmp (path, ".") == 0 || strcmp (path, "..") == 0 || strncmp (path, "./", 2) == 0 ||
           strncmp (path, "../", 3) == 0 || strncmp (path, ".\\", 2) == 0 ||
           strncmp (path, "..\\", 3) == 0 || path[0] == '/' || path[0] == '\\' ||
           (((path[0] >= 'a' && path[0] <= 'z') || (path[0] >= 'A' && path[0] <= 'Z')) &&
            path[1] == ':');
}

static int s_gorep_cmp (const void *a, const void *b)
{
    return strcmp (((const s_gorep_t *)a)->old, ((const s_gorep_t *)b)->old);
}

//  Grows a malloc'd array of n items of size to hold one more.
static void *s_grow (void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t grown = *cap ? *cap * 2 : 64;
    void *more = realloc (items, grown * size);
    if (!more)
        abort ();
    *cap = grown;
    return more;
}

static const char *s_word (s_ctx_t *ctx, const s_word_t *w)
{
    return sw_arena_strndup (ctx->tmp, w->s, w->len);
}

typedef struct {
    s_goreq_t *reqs;
    size_t nreqs, capreqs;
    s_gorep_t *reps;
    size_t nreps, capreps;
} s_gomod_t;

static int s_gomod_require (s_ctx_t *ctx, s_gomod_t *mod, const s_word_t *args, int n, uint32_t no)
{
    if (n != 2 || !args[0].len || !args[1].len)
        return s_fail (ctx, no, "require takes a module path and a version");
    if (mod->nreqs >= MAX_PACKAGES)
        return s_fail (ctx, no, "more than %d packages", MAX_PACKAGES);
    mod->reqs = s_grow (mod->reqs, mod->nreqs, &mod->capreqs, sizeof (s_goreq_t));
    mod->reqs[mod->nreqs++] = (s_goreq_t){s_word (ctx, &args[0]), s_word (ctx, &args[1]), no};
    return 0;
}

//  "old [version] => new [version]"
static int s_gomod_replace (s_ctx_t *ctx, s_gomod_t *mod, const s_word_t *args, int n, uint32_t no)
{
    int arrow = -1;
    for (int i = 0; i < n; i++)
        if (s_is (args[i].s, args[i].len, "=>"))
            arrow = i;
    if (arrow < 1 || arrow > 2 || n - arrow - 1 < 1 || n - arrow - 1 > 2)
        return s_fail (ctx, no, "replace takes 'old [version] => new [version]'");
    if (mod->nreps >= MAX_PACKAGES)
        return s_fail (ctx, no, "more than %d replacements", MAX_PACKAGES);
    s_gorep_t rep = {s_word (ctx, &args[0]), arrow == 2 ? s_word (ctx, &args[1]) : NULL,
                     s_word (ctx, &args[arrow + 1]),
                     n - arrow - 1 == 2 ? s_word (ctx, &args[arrow + 2]) : NULL};
    if (!rep.newver && !s_go_directory (rep.new))
        return s_fail (ctx, no, "a replacement module without a version must be a directory");
    mod->reps = s_grow (mod->reps, mod->nreps, &mod->capreps, sizeof (s_gorep_t));
    mod->reps[mod->nreps++] = rep;
    return 0;
}

//  The replacement of a required module: one for its exact version
//  first, else one for all its versions.
static const s_gorep_t *s_gomod_find (const s_gomod_t *mod, const s_goreq_t *req)
{
    size_t lo = 0, hi = mod->nreps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp (mod->reps[mid].old, req->path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const s_gorep_t *any = NULL;
    for (size_t i = lo; i < mod->nreps && strcmp (mod->reps[i].old, req->path) == 0; i++) {
        if (mod->reps[i].oldver && strcmp (mod->reps[i].oldver, req->version) == 0)
            return &mod->reps[i];
        if (!mod->reps[i].oldver)
            any = &mod->reps[i];
    }
    return any;
}

//  Requirements are packages, with replace directives applied, because the
//  build uses the replacement: "x => y v1.0.0" puts y v1.0.0 in the build,
//  and advisories about y are what apply. A module replaced by a local
//  directory keeps its path, without a version: its code is local, no
//  published version of it is in the build. The module line, go,
//  toolchain, exclude, retract and the rest are not packages.
static int s_load_gomod (s_ctx_t *ctx)
{
    enum { NONE, REQUIRE, REPLACE, OTHER } block = NONE;
    uint32_t block_line = 0;
    s_gomod_t mod = {NULL, 0, 0, NULL, 0, 0};
    s_lines_t it = s_lines (ctx);
    s_word_t words[GO_MAX_WORDS];
    const char *s;
    size_t len;
    int rc = 0;
    while (rc == 0 && s_line_next (&it, &s, &len)) {
        int n = s_gomod_words (ctx, s, len, it.no, words);
        if (n <= 0) {
            rc = n;
            continue;
        }
        int verb = block;
        const s_word_t *args = words;
        if (block != NONE) {
            if (n == 1 && s_is (words[0].s, words[0].len, ")")) {
                block = NONE;
                continue;
            }
        } else {
            verb = s_is (words[0].s, words[0].len, "require")   ? REQUIRE
                   : s_is (words[0].s, words[0].len, "replace") ? REPLACE
                                                                : OTHER;
            if (s_is (words[0].s, words[0].len, ")")) {
                rc = s_fail (ctx, it.no, "')' without a block");
                continue;
            }
            if (n >= 2 && s_is (words[1].s, words[1].len, "(")) {
                if (n == 3 && s_is (words[2].s, words[2].len, ")"))
                    continue; //  an empty block on one line
                if (n != 2)
                    rc = s_fail (ctx, it.no, "expected the end of the line after '('");
                block = verb;
                block_line = it.no;
                continue;
            }
            args++;
            n--;
        }
        //  Blocks do not nest: "replace (" inside "require (" is an error,
        //  not a module named replace
        for (int i = 0; i < n && rc == 0; i++)
            if (s_is (args[i].s, args[i].len, "(") || s_is (args[i].s, args[i].len, ")"))
                rc = s_fail (ctx, it.no, "unexpected '%c'", args[i].s[0]);
        if (rc)
            continue;
        if (verb == REQUIRE)
            rc = s_gomod_require (ctx, &mod, args, n, it.no);
        else if (verb == REPLACE)
            rc = s_gomod_replace (ctx, &mod, args, n, it.no);
    }
    if (rc == 0 && block != NONE)
        rc = s_fail (ctx, block_line, "a block without its closing ')'");
    if (rc == 0 && mod.nreps)
        qsort (mod.reps, mod.nreps, sizeof (s_gorep_t), s_gorep_cmp);
    for (size_t i = 0; rc == 0 && i < mod.nreqs; i++) {
        const s_goreq_t *req = &mod.reqs[i];
        const s_gorep_t *rep = s_gomod_find (&mod, req);
        if (!rep)
            rc = s_add (ctx, "Go", req->path, req->version, req->line);
        else if (!rep->newver)
            rc = s_add (ctx, "Go", req->path, NULL, req->line);
        else
            rc = s_add (ctx, "Go", rep->new, rep->newver, req->line);
    }
    free (mod.reqs);
    free (mod.reps);
    return rc;
}

//  "module version hash" lines; "module version/go.mod hash" lines only
//  vouch for a go.mod file, not for code in the build, and are skipped.
static int s_load_gosum (s_ctx_t *ctx)
{
    ctx->dedupe = true;
    s_lines_t it = s_lines (ctx);
    const char *s;
    size_t len;
    while (s_line_next (&it, &s, &len)) {
        s_word_t words[3];
        int n = 0;
        for (size_t i = 0; i < len;) {
            if (s[i] == ' ' || s[i] == '\t') {
                i++;
                continue;
            }
            size_t j = i;
            while (j < len && s[j] != ' ' && s[j] != '\t')
                j++;
            if (n == 3) {
                n++;
                break;
            }
            words[n++] = (s_word_t){s + i, j - i};
            i = j;
        }
        if (n == 0)
            continue;
        if (n != 3)
            return s_fail (ctx, it.no, "expected 'module version hash'");
        if (words[1].len >= 7 && memcmp (words[1].s + words[1].len - 7, "/go.mod", 7) == 0)
            continue;
        if (s_add (ctx, "Go", s_word (ctx, &words[0]), s_word (ctx, &words[1]), it.no))
            return -1;
    }
    return 0;
}

//  ------------------------------------------------------------------------
//  Loading

typedef struct {
    const char *format;
    int (*load) (s_ctx_t *ctx);
    bool text; //  checked for binary data and overlong lines first
} s_loader_t;

static const s_loader_t s_loaders[] = {
    {"dpkg", s_load_dpkg, true},
    {"apk", s_load_apk, true},
    {"cyclonedx", s_load_cyclonedx, false},
    {"spdx", s_load_spdx, false},
    {"npm-lock", s_load_npm, false},
    {"requirements", s_load_requirements, true},
    {"poetry-lock", s_load_poetry, true},
    {"pipfile-lock", s_load_pipfile, false},
    {"go-mod", s_load_gomod, true},
    {"go-sum", s_load_gosum, true},
    {"cargo-lock", s_load_cargo, true},
};

long sw_pkginv_load (sw_pkgset_t *set, const char *name, const char *data, size_t len, char *err,
                     size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    s_ctx_t ctx = {0};
    ctx.set = set;
    ctx.name = name ? name : "";
    ctx.data = data ? data : "";
    ctx.len = data ? len : 0;
    ctx.err = err;
    ctx.errlen = errlen;
    if (!set)
        return s_fail (&ctx, 0, "no package set");
    if (ctx.len > SW_DOC_MAX_BYTES)
        return s_fail (&ctx, 0, "larger than %u bytes", SW_DOC_MAX_BYTES);
    const char *format = sw_pkginv_format (ctx.name, ctx.data, ctx.len);
    const s_loader_t *loader = NULL;
    for (size_t i = 0; format && i < sizeof s_loaders / sizeof s_loaders[0]; i++)
        if (strcmp (s_loaders[i].format, format) == 0)
            loader = &s_loaders[i];
    if (!loader)
        return s_fail (&ctx, 0, "not a package inventory this reader knows");
    ctx.tmp = sw_arena_new ();
    if (!ctx.tmp)
        return s_fail (&ctx, 0, "out of memory");
    int rc = loader->text ? s_text_check (&ctx) : 0;
    if (rc == 0)
        rc = loader->load (&ctx);
    free (ctx.seen.keys);
    sw_arena_destroy (&ctx.tmp);
    return rc ? -1 : (long)ctx.added;
}
