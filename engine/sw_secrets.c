/*  sw_secrets - the leaked-secrets detector. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sw_secrets.h"

#include <ctype.h>
#include <dirent.h>
#include <hs.h>
#include <math.h>
#include <pcre2.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sw_doc.h"
#include "sw_docload.h"
#include "sw_finding.h"

#define MAX_RULES     4096
#define MAX_LIST      256  //  keywords, allow patterns, examples per rule
#define LINE_SCAN_MAX 4096 //  how far a keyword is looked for around a secret

typedef struct {
    const char *id, *title, *severity, *file, *pattern;
    uint32_t line;
    pcre2_code *re;
    uint32_t group;
    const char **keywords;
    size_t nkeywords;
    double entropy; //  0: no threshold
    pcre2_code **allow;
    size_t nallow;
    pcre2_code **allow_paths;
    size_t nallow_paths;
    bool generic;                   //  yields to a specific rule on the same secret
    const char **match, **no_match; //  the rule's own examples
    size_t nmatch, nno_match;
} rule_t;

struct _sw_secrets_t {
    sw_arena_t *arena; //  every string of the rules
    rule_t *rules;
    size_t n;
    hs_database_t *db;
    uint32_t max_groups;
};

struct _sw_secrets_scratch_t {
    hs_scratch_t *hs;
    pcre2_match_data *md;
    uint64_t *covered; //  per rule: nothing before this offset is looked at again
    bool *skip;        //  per rule: this file's path is allowed
    size_t nrules;
};

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_fail (char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (err, errlen, fmt, args);
        va_end (args);
    }
    return -1;
}

//  ---------------------------------------------------------------------
//  Small pieces

double sw_secrets_entropy (const char *s, size_t len)
{
    if (!len)
        return 0;
    size_t counts[256] = {0};
    for (size_t i = 0; i < len; i++)
        counts[(unsigned char)s[i]]++;
    double bits = 0;
    for (int c = 0; c < 256; c++)
        if (counts[c]) {
            double p = (double)counts[c] / (double)len;
            bits -= p * log2 (p);
        }
    return bits;
}

void sw_secrets_mask (const char *secret, size_t len, char out[SW_SECRETS_PREVIEW_MAX + 1])
{
    size_t shown = len >= 20 ? 4 : len >= 10 ? 2 : 0;
    size_t i = 0;
    for (; i < shown; i++) {
        unsigned char c = (unsigned char)secret[i];
        out[i] = isprint (c) ? (char)c : '?';
    }
    for (; i < len && i < SW_SECRETS_PREVIEW_MAX; i++)
        out[i] = '*';
    out[i] = 0;
}

bool sw_secrets_is_binary (const char *buf, size_t len)
{
    return memchr (buf, 0, len < 8192 ? len : 8192) != NULL;
}

static pcre2_code *s_regex (const char *pattern, uint32_t options, char *why, size_t whylen)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re =
        pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &code, &at, NULL);
    if (!re) {
        char text[160];
        pcre2_get_error_message (code, (PCRE2_UCHAR *)text, sizeof text);
        snprintf (why, whylen, "bad pattern at offset %zu: %s", (size_t)at, text);
        return NULL;
    }
    pcre2_jit_compile (re, PCRE2_JIT_COMPLETE); //  the interpreter is the fallback
    return re;
}

//  ---------------------------------------------------------------------
//  Loading

typedef struct {
    sw_secrets_t *set;
    const char *file;
    char *err;
    size_t errlen;
} loader_t;

//  A problem at a value of the file being loaded: "FILE:LINE:COL: ...".
#define s_err(ld, at, ...) sw_val_error ((ld)->err, (ld)->errlen, (ld)->file, (at), __VA_ARGS__)

static int s_string (loader_t *ld, const sw_val_t *v, const char *key, const char **out)
{
    if (!v || v->type != SW_VSTR || v->str.len == 0 || strlen (v->str.s) != v->str.len)
        return s_err (ld, v, "'%s' must be a non-empty string", key);
    *out = v->str.s;
    return 0;
}

static int s_strings (loader_t *ld, const sw_val_t *v, const char *key, const char ***out,
                      size_t *n)
{
    if (!v || v->type != SW_VARR || v->arr.n == 0 || v->arr.n > MAX_LIST)
        return s_err (ld, v, "'%s' must be a list of 1 to %d strings", key, MAX_LIST);
    *out = sw_arena_alloc (ld->set->arena, sizeof **out * v->arr.n);
    for (uint32_t i = 0; i < v->arr.n; i++)
        if (s_string (ld, v->arr.items[i], key, &(*out)[i]))
            return -1;
    *n = v->arr.n;
    return 0;
}

static int s_regexes (loader_t *ld, const sw_val_t *v, const char *key, pcre2_code ***out,
                      size_t *n)
{
    const char **texts;
    if (s_strings (ld, v, key, &texts, n))
        return -1;
    *out = calloc (*n, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        char why[256];
        if (!((*out)[i] = s_regex (texts[i], 0, why, sizeof why)))
            return s_err (ld, v->arr.items[i], "%s: %s", key, why);
    }
    return 0;
}

static const char *const s_keys[] = {
    "id",    "description", "severity",   "pattern", "secret_group", "keywords", "entropy",
    "allow", "allow_paths", "references", "tests",   "generic",      NULL};

static bool s_in (const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp (*list, s) == 0)
            return true;
    return false;
}

static bool s_id_valid (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > 64 || !islower ((unsigned char)id[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower ((unsigned char)id[i]) && !isdigit ((unsigned char)id[i]) &&
            !strchr ("-.", id[i]))
            return false;
    return true;
}

static int s_load_rule (loader_t *ld, const sw_val_t *doc, rule_t *r)
{
    if (doc->type != SW_VMAP)
        return s_err (ld, doc, "a rule is a mapping");
    for (uint32_t i = 0; i < doc->map.n; i++)
        if (!s_in (s_keys, doc->map.kv[i].key))
            return s_err (ld, doc->map.kv[i].val, "unknown key '%s'", doc->map.kv[i].key);
    r->file = ld->file;
    r->line = doc->line;
    if (s_string (ld, sw_val_get (doc, "id"), "id", &r->id) ||
        s_string (ld, sw_val_get (doc, "description"), "description", &r->title) ||
        s_string (ld, sw_val_get (doc, "severity"), "severity", &r->severity) ||
        s_string (ld, sw_val_get (doc, "pattern"), "pattern", &r->pattern))
        return -1;
    if (!s_id_valid (r->id))
        return s_err (ld, sw_val_get (doc, "id"),
                      "id '%s': use lower-case letters, digits, '-' and '.'", r->id);
    sw_severity_t sev;
    if (sw_severity_parse (r->severity, &sev))
        return s_err (ld, sw_val_get (doc, "severity"),
                      "severity '%s' is not one of info, low, medium, high, critical", r->severity);
    r->severity = sw_severity_name (sev); //  as reports spell it
    char why[256];
    if (!(r->re = s_regex (r->pattern, 0, why, sizeof why)))
        return s_err (ld, sw_val_get (doc, "pattern"), "%s", why);
    uint32_t groups = 0;
    pcre2_pattern_info (r->re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups > ld->set->max_groups)
        ld->set->max_groups = groups;
    r->group = groups ? 1 : 0;
    const sw_val_t *v;
    if ((v = sw_val_get (doc, "secret_group"))) {
        if (v->type != SW_VINT || v->i < 0 || (uint64_t)v->i > groups)
            return s_err (ld, v, "secret_group must be 0..%u (the pattern's groups)", groups);
        r->group = (uint32_t)v->i;
    }
    if ((v = sw_val_get (doc, "keywords"))) {
        if (s_strings (ld, v, "keywords", &r->keywords, &r->nkeywords))
            return -1;
        for (size_t i = 0; i < r->nkeywords; i++)
            for (const char *c = r->keywords[i]; *c; c++)
                if (isupper ((unsigned char)*c))
                    return s_err (ld, v->arr.items[i],
                                  "keywords are matched caselessly: write them in lower case");
    }
    if ((v = sw_val_get (doc, "entropy"))) {
        double e = v->type == SW_VINT ? (double)v->i : v->type == SW_VREAL ? v->r : -1;
        if (e <= 0 || e > 8)
            return s_err (ld, v, "entropy is a number of bits per character, above 0, at most 8");
        r->entropy = e;
    }
    if ((v = sw_val_get (doc, "generic"))) {
        if (v->type != SW_VBOOL)
            return s_err (ld, v, "generic is true or false");
        r->generic = v->b;
    }
    if ((v = sw_val_get (doc, "allow")) && s_regexes (ld, v, "allow", &r->allow, &r->nallow))
        return -1;
    if ((v = sw_val_get (doc, "allow_paths")) &&
        s_regexes (ld, v, "allow_paths", &r->allow_paths, &r->nallow_paths))
        return -1;
    if ((v = sw_val_get (doc, "references"))) {
        const char **refs;
        size_t n;
        if (s_strings (ld, v, "references", &refs, &n))
            return -1;
    }
    const sw_val_t *tests = sw_val_get (doc, "tests");
    if (!tests || tests->type != SW_VMAP)
        return s_err (ld, tests ? tests : doc,
                      "rule %s: 'tests' with 'match' and 'no_match' examples is required", r->id);
    for (uint32_t i = 0; i < tests->map.n; i++)
        if (strcmp (tests->map.kv[i].key, "match") != 0 &&
            strcmp (tests->map.kv[i].key, "no_match") != 0)
            return s_err (ld, tests->map.kv[i].val, "unknown key 'tests.%s'", tests->map.kv[i].key);
    if (s_strings (ld, sw_val_get (tests, "match"), "tests.match", &r->match, &r->nmatch) ||
        s_strings (ld, sw_val_get (tests, "no_match"), "tests.no_match", &r->no_match,
                   &r->nno_match))
        return -1;
    return 0;
}

static void s_rule_free (rule_t *r)
{
    pcre2_code_free (r->re);
    for (size_t i = 0; r->allow && i < r->nallow; i++)
        pcre2_code_free (r->allow[i]);
    for (size_t i = 0; r->allow_paths && i < r->nallow_paths; i++)
        pcre2_code_free (r->allow_paths[i]);
    free (r->allow);
    free (r->allow_paths);
}

void sw_secrets_destroy (sw_secrets_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_secrets_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_rule_free (&self->rules[i]);
    free (self->rules);
    hs_free_database (self->db);
    sw_arena_destroy (&self->arena);
    free (self);
    *self_p = NULL;
}

static int s_load_docs (sw_secrets_t *self, const char *file, const char *text, size_t len,
                        char *err, size_t errlen)
{
    sw_doclist_t docs = {0};
    if (sw_doc_load (self->arena, file, text, len, SW_FMT_YAML, &docs, err, errlen))
        return -1;
    loader_t ld = {self, sw_arena_strdup (self->arena, file), err, errlen};
    for (size_t d = 0; d < docs.n; d++) {
        if (docs.docs[d]->type == SW_VNULL)
            continue; //  an empty document (a trailing ---)
        if (self->n >= MAX_RULES)
            return s_err (&ld, docs.docs[d], "more than %d rules", MAX_RULES);
        rule_t *r = &self->rules[self->n];
        memset (r, 0, sizeof *r);
        self->n++; //  counted at once, so that a half-loaded rule is freed
        if (s_load_rule (&ld, docs.docs[d], r))
            return -1;
        for (size_t i = 0; i + 1 < self->n; i++)
            if (strcmp (self->rules[i].id, r->id) == 0)
                return s_err (&ld, docs.docs[d], "rule id '%s' already used at %s:%u", r->id,
                              self->rules[i].file, self->rules[i].line);
    }
    return 0;
}

static int s_by_name (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

static int s_compile (sw_secrets_t *self, char *err, size_t errlen)
{
    if (self->n == 0)
        return s_fail (err, errlen, "no secrets rule found");
    const char **patterns = calloc (self->n, sizeof *patterns);
    unsigned *flags = calloc (self->n, sizeof *flags);
    unsigned *ids = calloc (self->n, sizeof *ids);
    for (size_t i = 0; i < self->n; i++) {
        patterns[i] = self->rules[i].pattern;
        //  Prefilter mode accepts what Hyperscan cannot match exactly
        //  (lookarounds, back-references) as a superset; PCRE2 decides.
        flags[i] = HS_FLAG_PREFILTER;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *cerr = NULL;
    int rc = 0;
    if (hs_compile_multi (patterns, flags, ids, (unsigned)self->n, HS_MODE_BLOCK, NULL, &self->db,
                          &cerr) != HS_SUCCESS) {
        if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < self->n) {
            rule_t *r = &self->rules[cerr->expression];
            rc = s_fail (err, errlen, "%s:%u: rule %s: pattern: %s", r->file, r->line, r->id,
                         cerr->message);
        } else
            rc = s_fail (err, errlen, "secrets rules: %s", cerr ? cerr->message : "compile failed");
        hs_free_compile_error (cerr);
    }
    free (patterns);
    free (flags);
    free (ids);
    return rc;
}

static sw_secrets_t *s_new (void)
{
    sw_secrets_t *self = calloc (1, sizeof *self);
    if (self) {
        self->arena = sw_arena_new ();
        self->rules = calloc (MAX_RULES, sizeof *self->rules);
    }
    return self;
}

sw_secrets_t *sw_secrets_load_texts (size_t n, const char *const *names, const char *const *texts,
                                     const size_t *lens, char *err, size_t errlen)
{
    sw_secrets_t *self = s_new ();
    int rc = self ? 0 : s_fail (err, errlen, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_load_docs (self, names[i], texts[i], lens[i], err, errlen);
    if (rc || s_compile (self, err, errlen))
        sw_secrets_destroy (&self);
    return self;
}

sw_secrets_t *sw_secrets_load_text (const char *name, const char *text, size_t len, char *err,
                                    size_t errlen)
{
    return sw_secrets_load_texts (1, &name, &text, &len, err, errlen);
}

long sw_secrets_rule_files (const char *path, char ***names_p, char *err, size_t errlen)
{
    struct stat st;
    *names_p = NULL;
    if (!path || stat (path, &st) != 0) {
        s_fail (err, errlen, "%s: no such file or folder", path ? path : "(null)");
        return -1;
    }
    char **names = NULL;
    size_t nnames = 0;
    if (S_ISDIR (st.st_mode)) {
        DIR *dir = opendir (path);
        struct dirent *e;
        while (dir && (e = readdir (dir))) {
            size_t l = strlen (e->d_name);
            if (e->d_name[0] == '.' || l < 6 || strcmp (e->d_name + l - 5, ".yaml") != 0)
                continue;
            char **grown = realloc (names, sizeof *names * (nnames + 1));
            if (!grown)
                break;
            names = grown;
            if (asprintf (&names[nnames], "%s/%s", path, e->d_name) >= 0)
                nnames++;
        }
        if (dir)
            closedir (dir);
        if (nnames)
            qsort (names, nnames, sizeof *names, s_by_name); //  a stable order of ids
    } else if ((names = malloc (sizeof *names)))
        names[nnames++] = strdup (path);
    *names_p = names;
    return (long)nnames;
}

void sw_secrets_rule_files_free (char **names, long n)
{
    for (long i = 0; i < n; i++)
        free (names[i]);
    free (names);
}

sw_secrets_t *sw_secrets_load (const char *path, char *err, size_t errlen)
{
    char **names;
    long nnames = sw_secrets_rule_files (path, &names, err, errlen);
    if (nnames < 0)
        return NULL;
    char **texts = calloc ((size_t)nnames + 1, sizeof *texts);
    size_t *lens = calloc ((size_t)nnames + 1, sizeof *lens);
    int rc = texts && lens ? 0 : s_fail (err, errlen, "out of memory");
    for (long i = 0; i < nnames && rc == 0; i++)
        if (!(texts[i] = sw_file_read (names[i], SW_DOC_MAX_BYTES, &lens[i], err, errlen)))
            rc = -1;
    sw_secrets_t *self = rc ? NULL
                            : sw_secrets_load_texts ((size_t)nnames, (const char *const *)names,
                                                     (const char *const *)texts, lens, err, errlen);
    for (long i = 0; texts && i < nnames; i++)
        free (texts[i]);
    free (texts);
    free (lens);
    sw_secrets_rule_files_free (names, nnames);
    return self;
}

size_t sw_secrets_count (const sw_secrets_t *self)
{
    return self ? self->n : 0;
}

const char *sw_secrets_rule_id (const sw_secrets_t *self, size_t i)
{
    return self && i < self->n ? self->rules[i].id : NULL;
}

//  ---------------------------------------------------------------------
//  Scanning

sw_secrets_scratch_t *sw_secrets_scratch_new (const sw_secrets_t *self)
{
    sw_secrets_scratch_t *s = calloc (1, sizeof *s);
    if (!s)
        return NULL;
    s->nrules = self->n;
    s->covered = calloc (self->n, sizeof *s->covered);
    s->skip = calloc (self->n, sizeof *s->skip);
    s->md = pcre2_match_data_create (self->max_groups + 1, NULL);
    if (hs_alloc_scratch (self->db, &s->hs) != HS_SUCCESS || !s->covered || !s->skip || !s->md)
        sw_secrets_scratch_destroy (&s);
    return s;
}

void sw_secrets_scratch_destroy (sw_secrets_scratch_t **scratch_p)
{
    if (!scratch_p || !*scratch_p)
        return;
    sw_secrets_scratch_t *s = *scratch_p;
    hs_free_scratch (s->hs);
    pcre2_match_data_free (s->md);
    free (s->covered);
    free (s->skip);
    free (s);
    *scratch_p = NULL;
}

typedef struct {
    const sw_secrets_t *set;
    sw_secrets_scratch_t *scratch;
    const char *buf;
    size_t len;
    const uint8_t *key;
    sw_secret_fn *fn;
    void *arg;
    long hits;
    bool stopped;
    sw_secret_hit_t *found; //  this scan's hits, reported once it ends
    bool *found_generic;
    size_t nfound, capfound;
    size_t line_off; //  a known (offset, line) pair, to count lines from
    uint32_t line_no;
} scan_t;

//  The 1-based line of OFFSET, counted from the nearest known position.
static uint32_t s_line_of (scan_t *scan, size_t offset)
{
    const char *b = scan->buf;
    if (offset >= scan->line_off) {
        for (const char *p = b + scan->line_off;
             (p = memchr (p, '\n', (size_t)(b + offset - p))) != NULL; p++)
            scan->line_no++;
    } else {
        for (const char *p = b + offset;
             (p = memchr (p, '\n', (size_t)(b + scan->line_off - p))) != NULL; p++)
            scan->line_no--;
    }
    scan->line_off = offset;
    return scan->line_no;
}

//  Whether one of the rule's keywords is on the secret's line (looking at
//  most LINE_SCAN_MAX bytes either way).
static bool s_keyword_near (const scan_t *scan, const rule_t *r, size_t start, size_t end)
{
    size_t from = start, to = end;
    while (from > 0 && start - from < LINE_SCAN_MAX && scan->buf[from - 1] != '\n')
        from--;
    while (to < scan->len && to - end < LINE_SCAN_MAX && scan->buf[to] != '\n')
        to++;
    for (size_t k = 0; k < r->nkeywords; k++) {
        size_t klen = strlen (r->keywords[k]);
        for (size_t i = from; i + klen <= to; i++)
            if (strncasecmp (scan->buf + i, r->keywords[k], klen) == 0)
                return true;
    }
    return false;
}

static bool s_any_match (pcre2_code **res, size_t n, const char *s, size_t len,
                         pcre2_match_data *md)
{
    for (size_t i = 0; i < n; i++)
        if (pcre2_match (res[i], (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0)
            return true;
    return false;
}

//  A confirmed match: apply the rule's filters, then report it.
static int s_report (scan_t *scan, const rule_t *r, size_t mstart, size_t mend, size_t start,
                     size_t end)
{
    const char *secret = scan->buf + start;
    size_t len = end - start;
    if (len == 0)
        return 0;
    if (r->nkeywords && !s_keyword_near (scan, r, mstart, mend))
        return 0;
    if (r->entropy > 0 && sw_secrets_entropy (secret, len) < r->entropy)
        return 0;
    //  The allow patterns see the secret alone; they reuse the scratch's
    //  match data, which the caller has read already.
    if (s_any_match (r->allow, r->nallow, secret, len, scan->scratch->md))
        return 0;
    sw_secret_hit_t hit = {.rule = r->id, .title = r->title, .severity = r->severity};
    hit.offset = start;
    hit.length = len;
    hit.line = s_line_of (scan, start);
    size_t bol = start;
    while (bol > 0 && scan->buf[bol - 1] != '\n')
        bol--;
    hit.col = (uint32_t)(start - bol + 1);
    sw_secrets_mask (secret, len, hit.preview);
    uint8_t digest[32];
    crypto_generichash (digest, sizeof digest, (const uint8_t *)secret, len, scan->key,
                        SW_SECRETS_KEY_LEN);
    sodium_bin2hex (hit.fingerprint, sizeof hit.fingerprint, digest, sizeof digest);
    if (scan->nfound == scan->capfound) {
        size_t cap = scan->capfound ? scan->capfound * 2 : 16;
        sw_secret_hit_t *found = realloc (scan->found, cap * sizeof *found);
        if (found)
            scan->found = found;
        bool *generic = realloc (scan->found_generic, cap * sizeof *generic);
        if (generic)
            scan->found_generic = generic;
        if (!found || !generic)
            return 1; //  out of memory: the scan fails
        scan->capfound = cap;
    }
    scan->found_generic[scan->nfound] = r->generic;
    scan->found[scan->nfound++] = hit;
    return 0;
}

//  Reports the scan's hits in the order found; a generic rule's hit is
//  dropped where a specific rule found a secret that overlaps it (one
//  secret, one finding, under its most specific name).
static void s_flush (scan_t *scan)
{
    for (size_t i = 0; i < scan->nfound && !scan->stopped; i++) {
        const sw_secret_hit_t *h = &scan->found[i];
        bool shadowed = false;
        for (size_t j = 0; scan->found_generic[i] && j < scan->nfound && !shadowed; j++)
            shadowed = !scan->found_generic[j] && scan->found[j].offset < h->offset + h->length &&
                       h->offset < scan->found[j].offset + scan->found[j].length;
        if (shadowed)
            continue;
        scan->hits++;
        if (scan->fn && scan->fn (scan->arg, h) != 0)
            scan->stopped = true;
    }
}

//  Hyperscan's callback: confirm the hit of rule ID ending at TO.
static int s_on_hit (unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void *ctx)
{
    (void)from;
    (void)flags;
    scan_t *scan = ctx;
    sw_secrets_scratch_t *s = scan->scratch;
    if (s->skip[id] || to <= s->covered[id])
        return 0;
    const rule_t *r = &scan->set->rules[id];
    size_t offset = to > SW_SECRETS_WINDOW ? (size_t)to - SW_SECRETS_WINDOW : 0;
    if (offset < s->covered[id])
        offset = (size_t)s->covered[id];
    size_t limit = to + SW_SECRETS_WINDOW < scan->len ? (size_t)to + SW_SECRETS_WINDOW : scan->len;
    //  Every match that starts at or before the hit's end: left to right,
    //  without overlaps, each reported once.
    while (offset <= to) {
        int rc = pcre2_match (r->re, (PCRE2_SPTR)scan->buf, limit, offset, 0, s->md, NULL);
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer (s->md);
        size_t mstart = ov[0], mend = ov[1];
        if (mstart > to)
            break;
        size_t start = ov[2 * r->group], end = ov[2 * r->group + 1];
        if (start == PCRE2_UNSET || end < start)
            start = mstart, end = mend;
        s->covered[id] = mend > mstart ? mend : mstart + 1;
        if (s_report (scan, r, mstart, mend, start, end))
            return 1;
        offset = (size_t)s->covered[id];
    }
    if (s->covered[id] < to)
        s->covered[id] = to;
    return 0;
}

long sw_secrets_scan (const sw_secrets_t *self, sw_secrets_scratch_t *scratch, const char *path,
                      const char *buf, size_t len, const uint8_t key[SW_SECRETS_KEY_LEN],
                      sw_secret_fn *fn, void *arg, char *err, size_t errlen)
{
    if (!self || !scratch || scratch->nrules != self->n || (!buf && len))
        return s_fail (err, errlen, "secrets scan: bad arguments");
    if (len > UINT32_MAX)
        return s_fail (err, errlen, "secrets scan: %zu bytes is more than one scan takes", len);
    for (size_t i = 0; i < self->n; i++) {
        scratch->covered[i] = 0;
        const rule_t *r = &self->rules[i];
        scratch->skip[i] =
            path && s_any_match (r->allow_paths, r->nallow_paths, path, strlen (path), scratch->md);
    }
    scan_t scan = {self, scratch, buf, len, key, fn, arg, 0, false, NULL, NULL, 0, 0, 0, 1};
    hs_error_t rc =
        hs_scan (self->db, buf ? buf : "", (unsigned)len, 0, scratch->hs, s_on_hit, &scan);
    if (rc == HS_SUCCESS)
        s_flush (&scan);
    free (scan.found);
    free (scan.found_generic);
    if (rc == HS_SCAN_TERMINATED)
        return s_fail (err, errlen, "secrets scan: out of memory");
    if (rc != HS_SUCCESS)
        return s_fail (err, errlen, "secrets scan: Hyperscan error %d", (int)rc);
    return scan.hits;
}

//  ---------------------------------------------------------------------
//  The rules' own examples

typedef struct {
    const char *rule;
    bool seen;
} probe_t;

static int s_probe (void *arg, const sw_secret_hit_t *hit)
{
    probe_t *p = arg;
    if (strcmp (hit->rule, p->rule) == 0)
        p->seen = true;
    return 0;
}

int sw_secrets_selftest (const sw_secrets_t *self, FILE *out, char *err, size_t errlen)
{
    static const uint8_t key[SW_SECRETS_KEY_LEN];
    sw_secrets_scratch_t *scratch = sw_secrets_scratch_new (self);
    if (!scratch)
        return s_fail (err, errlen, "out of memory");
    int failures = 0;
    for (size_t i = 0; i < self->n; i++) {
        const rule_t *r = &self->rules[i];
        for (int kind = 0; kind < 2; kind++) {
            const char **examples = kind == 0 ? r->match : r->no_match;
            size_t n = kind == 0 ? r->nmatch : r->nno_match;
            for (size_t e = 0; e < n; e++) {
                probe_t p = {r->id, false};
                if (sw_secrets_scan (self, scratch, NULL, examples[e], strlen (examples[e]), key,
                                     s_probe, &p, err, errlen) < 0) {
                    sw_secrets_scratch_destroy (&scratch);
                    return -1;
                }
                if (p.seen != (kind == 0)) {
                    //  The example is a test secret, written for the rule:
                    //  naming its position is enough, it is not printed.
                    if (out)
                        fprintf (out, "%s:%u: rule %s: %s example %zu %s\n", r->file, r->line,
                                 r->id, kind == 0 ? "match" : "no_match", e + 1,
                                 kind == 0 ? "found nothing" : "was reported");
                    if (!failures)
                        s_fail (err, errlen, "%s:%u: rule %s: %s example %zu %s", r->file, r->line,
                                r->id, kind == 0 ? "match" : "no_match", e + 1,
                                kind == 0 ? "found nothing" : "was reported");
                    failures++;
                }
            }
        }
    }
    sw_secrets_scratch_destroy (&scratch);
    return failures;
}
