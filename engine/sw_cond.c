/*  sw_cond - paths and condition trees of the rule language. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sw_cond.h"

#include <arpa/inet.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATH_MAX_SEGS  32
#define COND_MAX_DEPTH 32

// -------------------------------------------------------------------------
//  Paths

typedef enum { SEG_KEY, SEG_ANY, SEG_ITEMS, SEG_INDEX } seg_kind_t;

typedef struct {
    seg_kind_t kind;
    const char *key;
    uint32_t index;
} seg_t;

struct sw_path_t {
    const char *text;
    bool absolute; //  starts at the resource root ($)
    seg_t segs[PATH_MAX_SEGS];
    size_t n;
};

static int s_path_fail (char *err, size_t errlen, const char *text, const char *why)
{
    snprintf (err, errlen, "bad path '%s': %s", text, why);
    return -1;
}

//  Reads one bracket segment at *p ("[*]" or "[N]").
static int s_path_bracket (sw_path_t *path, const char **p, char *err, size_t errlen)
{
    seg_t *seg = &path->segs[path->n];
    const char *q = *p + 1;
    if (*q == '*' && q[1] == ']') {
        seg->kind = SEG_ITEMS;
        *p = q + 2;
        return 0;
    }
    char *end;
    unsigned long idx = strtoul (q, &end, 10);
    if (end == q || *end != ']' || idx > 1000000 || *q == '-' || *q == '+')
        return s_path_fail (err, errlen, path->text, "expected [*] or [N]");
    seg->kind = SEG_INDEX;
    seg->index = (uint32_t)idx;
    *p = end + 1;
    return 0;
}

//  Reads one key segment at *p: a quoted key, `*`, or a bare key.
static int s_path_key (sw_arena_t *arena, sw_path_t *path, const char **p, char *err, size_t errlen)
{
    seg_t *seg = &path->segs[path->n];
    const char *q = *p;
    if (*q == '"') {
        const char *close = strchr (q + 1, '"');
        if (!close || close == q + 1)
            return s_path_fail (err, errlen, path->text, "unterminated or empty quoted key");
        seg->kind = SEG_KEY;
        seg->key = sw_arena_strndup (arena, q + 1, (size_t)(close - q - 1));
        *p = close + 1;
        return 0;
    }
    if (*q == '*' && (q[1] == 0 || q[1] == '.' || q[1] == '[')) {
        seg->kind = SEG_ANY;
        *p = q + 1;
        return 0;
    }
    size_t len = strcspn (q, ".[]\"* \t");
    if (len == 0)
        return s_path_fail (err, errlen, path->text, "empty key");
    seg->kind = SEG_KEY;
    seg->key = sw_arena_strndup (arena, q, len);
    *p = q + len;
    return 0;
}

sw_path_t *sw_path_compile (sw_arena_t *arena, const char *text, char *err, size_t errlen)
{
    sw_path_t *path = sw_arena_alloc (arena, sizeof (sw_path_t));
    path->text = sw_arena_strdup (arena, text);
    const char *p = text;
    if (*p == '$' || *p == '@') {
        path->absolute = *p == '$';
        p++;
        if (*p == 0)
            return path;
        if (*p == '.')
            p++;
        else if (*p != '[') {
            s_path_fail (err, errlen, text, "'$' or '@' must be followed by '.' or '['");
            return NULL;
        }
    } else if (*p == 0) {
        s_path_fail (err, errlen, text, "empty path");
        return NULL;
    }
    bool want_key = *p != '[';
    while (*p) {
        if (path->n == PATH_MAX_SEGS) {
            s_path_fail (err, errlen, text, "more than 32 segments");
            return NULL;
        }
        int rc = *p == '[' ? s_path_bracket (path, &p, err, errlen)
                           : (want_key ? s_path_key (arena, path, &p, err, errlen)
                                       : s_path_fail (err, errlen, text, "expected '.' or '['"));
        if (rc)
            return NULL;
        path->n++;
        want_key = false;
        if (*p == '.') {
            p++;
            want_key = true;
            if (*p == 0 || *p == '.' || *p == '[') {
                s_path_fail (err, errlen, text, "empty key");
                return NULL;
            }
        }
    }
    return path;
}

const char *sw_path_text (const sw_path_t *path)
{
    return path->text;
}

typedef bool (path_fn) (void *arg, const sw_val_t *value); //  returns true to stop

static bool s_walk (const sw_path_t *path, size_t i, const sw_val_t *v, path_fn *fn, void *arg)
{
    if (!v || v->type == SW_VNULL)
        return false; //  null counts as absent
    if (i == path->n)
        return fn (arg, v);
    const seg_t *seg = &path->segs[i];
    switch (seg->kind) {
    case SEG_KEY:
        return s_walk (path, i + 1, sw_val_get (v, seg->key), fn, arg);
    case SEG_INDEX:
        if (v->type == SW_VARR && seg->index < v->arr.n)
            return s_walk (path, i + 1, v->arr.items[seg->index], fn, arg);
        return false;
    case SEG_ANY:
        if (v->type == SW_VMAP) {
            for (uint32_t k = 0; k < v->map.n; k++)
                if (s_walk (path, i + 1, v->map.kv[k].val, fn, arg))
                    return true;
            return false;
        }
        //  `*` over an array is every item
        __attribute__ ((fallthrough));
    case SEG_ITEMS:
        if (v->type == SW_VARR)
            for (uint32_t k = 0; k < v->arr.n; k++)
                if (s_walk (path, i + 1, v->arr.items[k], fn, arg))
                    return true;
        return false;
    }
    return false;
}

//  Visits every value path picks, from root or scope.
static void s_path_each (const sw_path_t *path, const sw_val_t *root, const sw_val_t *scope,
                         path_fn *fn, void *arg)
{
    s_walk (path, 0, path->absolute ? root : scope, fn, arg);
}

typedef struct {
    const sw_val_t *vals[64];
    size_t n;
    size_t total;
} collect_t;

static bool s_collect (void *arg, const sw_val_t *v)
{
    collect_t *c = arg;
    if (c->n < 64)
        c->vals[c->n++] = v;
    c->total++;
    return false;
}

char *sw_path_json (const sw_path_t *path, const sw_val_t *root, size_t max)
{
    collect_t c = {.n = 0};
    s_path_each (path, root, root, s_collect, &c);
    if (c.n == 0)
        return strdup ("");
    if (c.n == 1)
        return sw_val_to_json (c.vals[0], max);
    sw_val_t arr = {.type = SW_VARR};
    arr.arr.items = (sw_val_t **)c.vals;
    arr.arr.n = (uint32_t)c.n;
    return sw_val_to_json (&arr, max);
}

// -------------------------------------------------------------------------
//  Dates and CIDRs

int sw_parse_date (const char *s, int64_t *t)
{
    struct tm tm = {0};
    int n = 0;
    if (sscanf (s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
        return -1;
    const char *p = s + 10;
    long offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (sscanf (p + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 3 || n != 8)
            return -1;
        p += 9;
        if (*p == '.')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p == 'Z' || *p == 'z')
            p++;
        else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf (p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
                return -1;
            offset = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
            p += 6;
        }
    }
    if (*p)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = (int64_t)timegm (&tm) - offset;
    return 0;
}

typedef struct {
    int family; //  4 or 6
    uint8_t addr[16];
    int prefix;
} cidr_t;

//  Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address or "x::/n".
static int s_cidr_parse (const char *s, cidr_t *c)
{
    char buf[64];
    size_t len = strlen (s);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy (buf, s, len + 1);
    char *slash = strchr (buf, '/');
    if (slash)
        *slash = 0;
    memset (c, 0, sizeof *c);
    if (inet_pton (AF_INET, buf, c->addr) == 1)
        c->family = 4;
    else if (inet_pton (AF_INET6, buf, c->addr) == 1)
        c->family = 6;
    else
        return -1;
    int max = c->family == 4 ? 32 : 128;
    c->prefix = max;
    if (slash) {
        char *end;
        long pfx = strtol (slash + 1, &end, 10);
        if (end == slash + 1 || *end || pfx < 0 || pfx > max)
            return -1;
        c->prefix = (int)pfx;
    }
    return 0;
}

//  Is inner inside outer (same family, longer or equal prefix, same bits)?
static bool s_cidr_within (const cidr_t *inner, const cidr_t *outer)
{
    if (inner->family != outer->family || inner->prefix < outer->prefix)
        return false;
    int full = outer->prefix / 8, rest = outer->prefix % 8;
    if (memcmp (inner->addr, outer->addr, (size_t)full))
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (inner->addr[full] & mask) == (outer->addr[full] & mask);
    }
    return true;
}

// -------------------------------------------------------------------------
//  Conditions

typedef enum { C_ALL, C_ANY, C_NOT, C_LEAF, C_EACH, C_JOIN } ckind_t;
typedef enum { Q_SOME, Q_EVERY, Q_NONE } quant_t;

typedef enum {
    OP_EXISTS,
    OP_EQ,
    OP_NE,
    OP_IN,
    OP_NOT_IN,
    OP_CONTAINS,
    OP_STARTS_WITH,
    OP_ENDS_WITH,
    OP_MATCHES,
    OP_GT,
    OP_GE,
    OP_LT,
    OP_LE,
    OP_EMPTY,
    OP_OLDER,
    OP_NEWER,
    OP_CIDR_IN,
    OP_CIDR_CONTAINS,
    OP_OPEN_WORLD,
    OP_TYPE,
    OP_COUNT
} op_t;

typedef enum { ARG_BOOL, ARG_ANY, ARG_LIST, ARG_STR, ARG_NUM, ARG_CIDRS, ARG_CIDR, ARG_TYPE } arg_t;

static const struct {
    const char *name;
    arg_t arg;
} s_ops[OP_COUNT] = {
    [OP_EXISTS] = {"exists", ARG_BOOL},
    [OP_EQ] = {"eq", ARG_ANY},
    [OP_NE] = {"ne", ARG_ANY},
    [OP_IN] = {"in", ARG_LIST},
    [OP_NOT_IN] = {"not_in", ARG_LIST},
    [OP_CONTAINS] = {"contains", ARG_ANY},
    [OP_STARTS_WITH] = {"starts_with", ARG_STR},
    [OP_ENDS_WITH] = {"ends_with", ARG_STR},
    [OP_MATCHES] = {"matches", ARG_STR},
    [OP_GT] = {"gt", ARG_NUM},
    [OP_GE] = {"ge", ARG_NUM},
    [OP_LT] = {"lt", ARG_NUM},
    [OP_LE] = {"le", ARG_NUM},
    [OP_EMPTY] = {"empty", ARG_BOOL},
    [OP_OLDER] = {"older_than_days", ARG_NUM},
    [OP_NEWER] = {"newer_than_days", ARG_NUM},
    [OP_CIDR_IN] = {"cidr_in", ARG_CIDRS},
    [OP_CIDR_CONTAINS] = {"cidr_contains", ARG_CIDR},
    [OP_OPEN_WORLD] = {"open_to_world", ARG_BOOL},
    [OP_TYPE] = {"type", ARG_TYPE},
};

typedef struct {
    sw_path_t *local, *remote;
} join_on_t;

struct sw_cond_t {
    ckind_t kind;
    uint32_t line, col;
    sw_cond_t **kids; //  ALL/ANY: many; NOT/EACH/JOIN: one (NULL for `true`)
    size_t nkids;
    quant_t quant;
    sw_path_t *path; //  LEAF, EACH
    //  LEAF
    op_t op;
    const sw_val_t *arg;
    bool flag;
    double num;
    pcre2_code *re;
    cidr_t *cidrs;
    size_t ncidrs;
    //  JOIN
    const char *jtype;
    join_on_t *on;
    size_t non;
    sw_path_t *sel_local, *sel_remote;
    size_t slot; //  join cache slot
};

void sw_condc_release (sw_condc_t *self)
{
    for (size_t i = 0; i < self->ncodes; i++)
        pcre2_code_free (self->codes[i]);
    free (self->codes);
    self->codes = NULL;
    self->ncodes = self->capcodes = 0;
}

static void *s_fail (sw_condc_t *cc, const sw_val_t *at, char *err, size_t errlen, const char *fmt,
                     ...) __attribute__ ((format (printf, 5, 6)));

static void *s_fail (sw_condc_t *cc, const sw_val_t *at, char *err, size_t errlen, const char *fmt,
                     ...)
{
    char msg[400];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    snprintf (err, errlen, "%s:%u:%u: %s", cc->file, at ? at->line : 0, at ? at->col : 0, msg);
    return NULL;
}

static sw_path_t *s_compile_path (sw_condc_t *cc, const sw_val_t *v, const char *what, char *err,
                                  size_t errlen)
{
    if (!v || v->type != SW_VSTR)
        return s_fail (cc, v, err, errlen, "%s must be a path string", what);
    char why[300];
    sw_path_t *path = sw_path_compile (cc->arena, v->str.s, why, sizeof why);
    if (!path)
        return s_fail (cc, v, err, errlen, "%s", why);
    return path;
}

static int s_add_code (sw_condc_t *cc, pcre2_code *re)
{
    if (cc->ncodes == cc->capcodes) {
        size_t cap = cc->capcodes ? cc->capcodes * 2 : 16;
        void **codes = realloc (cc->codes, cap * sizeof (void *));
        if (!codes)
            return -1;
        cc->codes = codes;
        cc->capcodes = cap;
    }
    cc->codes[cc->ncodes++] = re;
    return 0;
}

static int s_compile_regex (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *arg, char *err,
                            size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    c->re = pcre2_compile ((PCRE2_SPTR)arg->str.s, arg->str.len, PCRE2_UTF, &code, &off, NULL);
    if (!c->re) {
        char msg[200];
        pcre2_get_error_message (code, (PCRE2_UCHAR *)msg, sizeof msg);
        s_fail (cc, arg, err, errlen, "bad regex at offset %zu: %s", (size_t)off, msg);
        return -1;
    }
    pcre2_jit_compile (c->re, PCRE2_JIT_COMPLETE); //  falls back to the interpreter
    if (s_add_code (cc, c->re)) {
        pcre2_code_free (c->re);
        return -1;
    }
    return 0;
}

static int s_compile_cidrs (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *arg, char *err,
                            size_t errlen)
{
    const sw_val_t *one[1] = {arg};
    sw_val_t *const *items = arg->type == SW_VARR ? arg->arr.items : (sw_val_t *const *)one;
    size_t n = arg->type == SW_VARR ? arg->arr.n : 1;
    if (n == 0) {
        s_fail (cc, arg, err, errlen, "empty CIDR list");
        return -1;
    }
    c->cidrs = sw_arena_alloc (cc->arena, n * sizeof (cidr_t));
    for (size_t i = 0; i < n; i++)
        if (items[i]->type != SW_VSTR || s_cidr_parse (items[i]->str.s, &c->cidrs[i])) {
            s_fail (cc, items[i], err, errlen, "not an IPv4 or IPv6 address or CIDR");
            return -1;
        }
    c->ncidrs = n;
    return 0;
}

//  Checks and keeps a leaf's operator argument.
static int s_compile_arg (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *arg, char *err,
                          size_t errlen)
{
    c->arg = arg;
    switch (s_ops[c->op].arg) {
    case ARG_BOOL:
        if (arg->type != SW_VBOOL)
            return s_fail (cc, arg, err, errlen, "'%s' takes true or false", s_ops[c->op].name), -1;
        c->flag = arg->b;
        return 0;
    case ARG_ANY:
        if (arg->type == SW_VARR || arg->type == SW_VMAP || arg->type == SW_VNULL)
            return s_fail (cc, arg, err, errlen, "'%s' takes a scalar", s_ops[c->op].name), -1;
        return 0;
    case ARG_LIST:
        if (arg->type != SW_VARR)
            return s_fail (cc, arg, err, errlen, "'%s' takes a list", s_ops[c->op].name), -1;
        return 0;
    case ARG_STR:
        if (arg->type != SW_VSTR)
            return s_fail (cc, arg, err, errlen, "'%s' takes a string", s_ops[c->op].name), -1;
        return c->op == OP_MATCHES ? s_compile_regex (cc, c, arg, err, errlen) : 0;
    case ARG_NUM:
        if (arg->type != SW_VINT && arg->type != SW_VREAL)
            return s_fail (cc, arg, err, errlen, "'%s' takes a number", s_ops[c->op].name), -1;
        c->num = arg->type == SW_VINT ? (double)arg->i : arg->r;
        return 0;
    case ARG_CIDRS:
    case ARG_CIDR:
        if (s_ops[c->op].arg == ARG_CIDR && arg->type != SW_VSTR)
            return s_fail (cc, arg, err, errlen, "'%s' takes one address or CIDR",
                           s_ops[c->op].name),
                   -1;
        return s_compile_cidrs (cc, c, arg, err, errlen);
    case ARG_TYPE: {
        static const char *types[] = {"null",  "bool", "int",    "real", "string",
                                      "array", "map",  "number", NULL};
        for (int i = 0; types[i]; i++)
            if (arg->type == SW_VSTR && strcmp (arg->str.s, types[i]) == 0)
                return 0;
        return s_fail (cc, arg, err, errlen,
                       "'type' takes one of null, bool, int, real, number, string, array, map"),
               -1;
    }
    }
    return 0;
}

static sw_cond_t *s_compile (sw_condc_t *cc, const sw_val_t *node, int depth, char *err,
                             size_t errlen);

static int s_parse_quant (const char *key, quant_t *q)
{
    if (strcmp (key, "some") == 0)
        *q = Q_SOME;
    else if (strcmp (key, "every") == 0)
        *q = Q_EVERY;
    else if (strcmp (key, "none") == 0)
        *q = Q_NONE;
    else
        return -1;
    return 0;
}

//  The `some:|every:|none: COND` part of each and join; `true` as the
//  condition means "any related value at all".
static int s_compile_quant (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *node,
                            const char *source_key, int depth, char *err, size_t errlen)
{
    bool seen = false;
    for (uint32_t i = 0; i < node->map.n; i++) {
        const char *k = node->map.kv[i].key;
        const sw_val_t *v = node->map.kv[i].val;
        if (strcmp (k, source_key) == 0)
            continue;
        if (s_parse_quant (k, &c->quant) || seen)
            return s_fail (cc, v, err, errlen,
                           seen ? "only one of some, every, none may be given"
                                : "unknown key '%s' (expected some, every or none)",
                           k),
                   -1;
        seen = true;
        c->nkids = 1;
        c->kids = sw_arena_alloc (cc->arena, sizeof (sw_cond_t *));
        if (v->type == SW_VBOOL && v->b)
            continue; //  kids[0] NULL: always true
        if (!(c->kids[0] = s_compile (cc, v, depth + 1, err, errlen)))
            return -1;
    }
    if (!seen)
        return s_fail (cc, node, err, errlen, "'%s' needs one of some, every, none", source_key),
               -1;
    return 0;
}

static int s_compile_join_spec (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *spec, char *err,
                                size_t errlen)
{
    if (spec->type != SW_VMAP)
        return s_fail (cc, spec, err, errlen, "join takes a map"), -1;
    for (uint32_t i = 0; i < spec->map.n; i++) {
        const char *k = spec->map.kv[i].key;
        const sw_val_t *v = spec->map.kv[i].val;
        if (strcmp (k, "type") == 0 && v->type == SW_VSTR)
            c->jtype = v->str.s;
        else if (strcmp (k, "on") == 0 && v->type == SW_VARR && v->arr.n > 0 && v->arr.n <= 8) {
            c->non = v->arr.n;
            c->on = sw_arena_alloc (cc->arena, c->non * sizeof (join_on_t));
            for (uint32_t j = 0; j < v->arr.n; j++) {
                const sw_val_t *pair = v->arr.items[j];
                if (pair->type != SW_VMAP || pair->map.n != 2)
                    return s_fail (cc, pair, err, errlen, "join on: each entry is {local, remote}"),
                           -1;
                c->on[j].local =
                    s_compile_path (cc, sw_val_get (pair, "local"), "local", err, errlen);
                c->on[j].remote = c->on[j].local ? s_compile_path (cc, sw_val_get (pair, "remote"),
                                                                   "remote", err, errlen)
                                                 : NULL;
                if (!c->on[j].remote)
                    return -1;
            }
        } else if (strcmp (k, "selector") == 0 && v->type == SW_VMAP && v->map.n == 2) {
            c->sel_local = s_compile_path (cc, sw_val_get (v, "local"), "local", err, errlen);
            c->sel_remote =
                c->sel_local ? s_compile_path (cc, sw_val_get (v, "remote"), "remote", err, errlen)
                             : NULL;
            if (!c->sel_remote)
                return -1;
        } else
            return s_fail (cc, v, err, errlen,
                           "join: unknown key '%s' or wrong value (type: TYPE, on: [{local, "
                           "remote}], selector: {local, remote})",
                           k),
                   -1;
    }
    if (!c->jtype)
        return s_fail (cc, spec, err, errlen, "join needs a type"), -1;
    c->slot = cc->njoins++;
    return 0;
}

static sw_cond_t *s_compile_leaf (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *node, char *err,
                                  size_t errlen)
{
    c->kind = C_LEAF;
    bool have_op = false;
    for (uint32_t i = 0; i < node->map.n; i++) {
        const char *k = node->map.kv[i].key;
        const sw_val_t *v = node->map.kv[i].val;
        if (strcmp (k, "path") == 0) {
            if (!(c->path = s_compile_path (cc, v, "path", err, errlen)))
                return NULL;
            continue;
        }
        if (strcmp (k, "quantifier") == 0) {
            const char *q = sw_val_cstr (v);
            if (!q || (strcmp (q, "any") && strcmp (q, "all") && strcmp (q, "none")))
                return s_fail (cc, v, err, errlen, "quantifier is any, all or none");
            c->quant = q[1] == 'n' ? Q_SOME : q[1] == 'l' ? Q_EVERY : Q_NONE;
            continue;
        }
        int op = 0;
        while (op < OP_COUNT && strcmp (s_ops[op].name, k))
            op++;
        if (op == OP_COUNT)
            return s_fail (cc, v, err, errlen, "unknown operator or key '%s'", k);
        if (have_op)
            return s_fail (cc, v, err, errlen, "one operator per condition ('%s' is a second)", k);
        have_op = true;
        c->op = (op_t)op;
        if (s_compile_arg (cc, c, v, err, errlen))
            return NULL;
    }
    if (!c->path)
        return s_fail (cc, node, err, errlen, "condition without a path");
    if (!have_op)
        return s_fail (cc, node, err, errlen, "condition on '%s' without an operator",
                       sw_path_text (c->path));
    return c;
}

static sw_cond_t *s_compile_list (sw_condc_t *cc, sw_cond_t *c, const sw_val_t *list, int depth,
                                  char *err, size_t errlen)
{
    if (list->type != SW_VARR || list->arr.n == 0)
        return s_fail (cc, list, err, errlen, "all/any take a non-empty list of conditions");
    c->nkids = list->arr.n;
    c->kids = sw_arena_alloc (cc->arena, c->nkids * sizeof (sw_cond_t *));
    for (uint32_t i = 0; i < list->arr.n; i++)
        if (!(c->kids[i] = s_compile (cc, list->arr.items[i], depth + 1, err, errlen)))
            return NULL;
    return c;
}

static sw_cond_t *s_compile (sw_condc_t *cc, const sw_val_t *node, int depth, char *err,
                             size_t errlen)
{
    if (depth > COND_MAX_DEPTH)
        return s_fail (cc, node, err, errlen, "conditions nested deeper than %d", COND_MAX_DEPTH);
    if (!node || node->type != SW_VMAP || node->map.n == 0)
        return s_fail (cc, node, err, errlen, "a condition is a map");
    sw_cond_t *c = sw_arena_alloc (cc->arena, sizeof (sw_cond_t));
    c->line = node->line;
    c->col = node->col;
    const char *k0 = node->map.kv[0].key;
    const sw_val_t *v0 = node->map.kv[0].val;
    bool single = node->map.n == 1;
    if ((strcmp (k0, "all") == 0 || strcmp (k0, "any") == 0) && single) {
        c->kind = k0[1] == 'l' ? C_ALL : C_ANY;
        return s_compile_list (cc, c, v0, depth, err, errlen);
    }
    if (strcmp (k0, "not") == 0 && single) {
        c->kind = C_NOT;
        c->nkids = 1;
        c->kids = sw_arena_alloc (cc->arena, sizeof (sw_cond_t *));
        return (c->kids[0] = s_compile (cc, v0, depth + 1, err, errlen)) ? c : NULL;
    }
    if (sw_val_get (node, "each")) {
        c->kind = C_EACH;
        if (!(c->path = s_compile_path (cc, sw_val_get (node, "each"), "each", err, errlen)))
            return NULL;
        return s_compile_quant (cc, c, node, "each", depth, err, errlen) ? NULL : c;
    }
    if (sw_val_get (node, "join")) {
        c->kind = C_JOIN;
        if (s_compile_join_spec (cc, c, sw_val_get (node, "join"), err, errlen))
            return NULL;
        return s_compile_quant (cc, c, node, "join", depth, err, errlen) ? NULL : c;
    }
    if (strcmp (k0, "all") == 0 || strcmp (k0, "any") == 0 || strcmp (k0, "not") == 0)
        return s_fail (cc, node, err, errlen, "'%s' must be the only key of its map", k0);
    return s_compile_leaf (cc, c, node, err, errlen);
}

sw_cond_t *sw_cond_compile (sw_condc_t *cc, const sw_val_t *node, char *err, size_t errlen)
{
    return s_compile (cc, node, 0, err, errlen);
}

// -------------------------------------------------------------------------
//  Evaluation

typedef struct {
    const char *type;
    uint32_t *idx;
    size_t n, cap;
} typeidx_t;

typedef struct {
    const sw_val_t *val;
    uint32_t res;
    int32_t next;
} jentry_t;

typedef struct {
    bool built;
    int32_t *buckets;
    size_t nbuckets;
    jentry_t *entries;
    size_t n, cap;
} jcache_t;

struct sw_eval_t {
    const sw_resset_t *set;
    typeidx_t *types;
    size_t ntypes, captypes;
    jcache_t *caches;
    size_t ncaches;
    uint32_t *stamp;
    uint32_t stamp_now;
    pcre2_match_data *md;
    const sw_val_t *root;
};

static typeidx_t *s_typeidx (sw_eval_t *ev, const char *type, bool create)
{
    for (size_t i = 0; i < ev->ntypes; i++)
        if (strcmp (ev->types[i].type, type) == 0)
            return &ev->types[i];
    if (!create)
        return NULL;
    if (ev->ntypes == ev->captypes) {
        size_t cap = ev->captypes ? ev->captypes * 2 : 16;
        typeidx_t *t = realloc (ev->types, cap * sizeof (typeidx_t));
        if (!t)
            abort ();
        ev->types = t;
        ev->captypes = cap;
    }
    typeidx_t *t = &ev->types[ev->ntypes++];
    memset (t, 0, sizeof *t);
    t->type = type;
    return t;
}

static void s_typeidx_add (sw_eval_t *ev, const char *type, uint32_t res)
{
    typeidx_t *t = s_typeidx (ev, type, true);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        uint32_t *idx = realloc (t->idx, cap * sizeof (uint32_t));
        if (!idx)
            abort ();
        t->idx = idx;
        t->cap = cap;
    }
    t->idx[t->n++] = res;
}

sw_eval_t *sw_eval_new (const sw_resset_t *set, size_t njoins)
{
    sw_eval_t *ev = calloc (1, sizeof (sw_eval_t));
    if (!ev)
        return NULL;
    ev->set = set;
    ev->ncaches = njoins;
    ev->caches = calloc (njoins ? njoins : 1, sizeof (jcache_t));
    ev->stamp = calloc (set->n ? set->n : 1, sizeof (uint32_t));
    ev->md = pcre2_match_data_create (1, NULL);
    if (!ev->caches || !ev->stamp || !ev->md) {
        sw_eval_destroy (&ev);
        return NULL;
    }
    for (size_t i = 0; i < set->n; i++) {
        s_typeidx_add (ev, set->items[i].type, (uint32_t)i);
        if (set->items[i].type2)
            s_typeidx_add (ev, set->items[i].type2, (uint32_t)i);
    }
    return ev;
}

void sw_eval_destroy (sw_eval_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_eval_t *ev = *self_p;
    for (size_t i = 0; i < ev->ntypes; i++)
        free (ev->types[i].idx);
    free (ev->types);
    for (size_t i = 0; i < ev->ncaches; i++) {
        free (ev->caches[i].buckets);
        free (ev->caches[i].entries);
    }
    free (ev->caches);
    free (ev->stamp);
    pcre2_match_data_free (ev->md);
    free (ev);
    *self_p = NULL;
}

static bool s_number (const sw_val_t *v, double *d)
{
    if (v->type == SW_VINT)
        *d = (double)v->i;
    else if (v->type == SW_VREAL)
        *d = v->r;
    else if (v->type == SW_VSTR && v->str.len > 0 && v->str.len < 64) {
        char *end;
        *d = strtod (v->str.s, &end);
        return *end == 0 && isfinite (*d);
    } else
        return false;
    return true;
}

//  Hash of a scalar, consistent with sw_val_equal (1 and 1.0 hash alike).
static uint64_t s_scalar_hash (const sw_val_t *v)
{
    uint64_t h = 1469598103934665603ull;
    double d;
    if (v->type == SW_VSTR) {
        for (size_t i = 0; i < v->str.len; i++)
            h = (h ^ (uint8_t)v->str.s[i]) * 1099511628211ull;
        return h;
    }
    if (v->type == SW_VINT || v->type == SW_VREAL) {
        s_number (v, &d);
        uint64_t bits;
        d = d == 0 ? 0 : d; //  -0 and 0 are equal
        memcpy (&bits, &d, sizeof bits);
        return (bits ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull;
    }
    return v->type == SW_VBOOL ? (uint64_t)v->b + 7 : 3;
}

static bool s_is_scalar (const sw_val_t *v)
{
    return v->type != SW_VARR && v->type != SW_VMAP;
}

static bool s_in_list (const sw_val_t *v, const sw_val_t *list)
{
    for (uint32_t i = 0; i < list->arr.n; i++)
        if (sw_val_equal (v, list->arr.items[i]))
            return true;
    return false;
}

static bool s_empty (const sw_val_t *v)
{
    return (v->type == SW_VSTR && v->str.len == 0) || (v->type == SW_VARR && v->arr.n == 0) ||
           (v->type == SW_VMAP && v->map.n == 0);
}

static bool s_test_cidr (const sw_cond_t *c, const sw_val_t *v)
{
    cidr_t have;
    if (v->type != SW_VSTR || s_cidr_parse (v->str.s, &have))
        return false;
    switch (c->op) {
    case OP_OPEN_WORLD:
        return (have.prefix == 0) == c->flag;
    case OP_CIDR_CONTAINS:
        return s_cidr_within (&c->cidrs[0], &have);
    default:
        for (size_t i = 0; i < c->ncidrs; i++)
            if (s_cidr_within (&have, &c->cidrs[i]))
                return true;
        return false;
    }
}

static bool s_test_type (const sw_cond_t *c, const sw_val_t *v)
{
    const char *want = c->arg->str.s;
    if (strcmp (want, "number") == 0)
        return v->type == SW_VINT || v->type == SW_VREAL;
    return strcmp (want, sw_vtype_name (v->type)) == 0;
}

static bool s_test_string (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *v)
{
    if (v->type != SW_VSTR)
        return false;
    const sw_val_t *a = c->arg;
    switch (c->op) {
    case OP_STARTS_WITH:
        return v->str.len >= a->str.len && memcmp (v->str.s, a->str.s, a->str.len) == 0;
    case OP_ENDS_WITH:
        return v->str.len >= a->str.len &&
               memcmp (v->str.s + v->str.len - a->str.len, a->str.s, a->str.len) == 0;
    case OP_MATCHES:
        return pcre2_match (c->re, (PCRE2_SPTR)v->str.s, v->str.len, 0, 0, ev->md, NULL) >= 0;
    default:
        return false;
    }
}

static bool s_test_contains (const sw_cond_t *c, const sw_val_t *v)
{
    if (v->type == SW_VARR)
        for (uint32_t i = 0; i < v->arr.n; i++)
            if (sw_val_equal (v->arr.items[i], c->arg))
                return true;
    if (v->type == SW_VSTR && c->arg->type == SW_VSTR)
        return memmem (v->str.s, v->str.len, c->arg->str.s, c->arg->str.len) != NULL;
    return false;
}

static bool s_test_compare (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *v)
{
    double d;
    int64_t t;
    if (c->op == OP_OLDER || c->op == OP_NEWER) {
        if (v->type != SW_VSTR || sw_parse_date (v->str.s, &t))
            return false;
        double days = (double)(ev->set->now - t) / 86400.0;
        return c->op == OP_OLDER ? days > c->num : days < c->num;
    }
    if (!s_number (v, &d))
        return false;
    switch (c->op) {
    case OP_GT:
        return d > c->num;
    case OP_GE:
        return d >= c->num;
    case OP_LT:
        return d < c->num;
    default:
        return d <= c->num;
    }
}

//  Does one value satisfy a leaf's operator?
static bool s_test (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *v)
{
    switch (c->op) {
    case OP_EXISTS:
        return true;
    case OP_EQ:
        return sw_val_equal (v, c->arg);
    case OP_NE:
        return !sw_val_equal (v, c->arg);
    case OP_IN:
        return s_in_list (v, c->arg);
    case OP_NOT_IN:
        return !s_in_list (v, c->arg);
    case OP_CONTAINS:
        return s_test_contains (c, v);
    case OP_STARTS_WITH:
    case OP_ENDS_WITH:
    case OP_MATCHES:
        return s_test_string (ev, c, v);
    case OP_EMPTY:
        return s_empty (v) == c->flag;
    case OP_CIDR_IN:
    case OP_CIDR_CONTAINS:
    case OP_OPEN_WORLD:
        return s_test_cidr (c, v);
    case OP_TYPE:
        return s_test_type (c, v);
    default:
        return s_test_compare (ev, c, v);
    }
}

static bool s_eval (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope);

//  Folds one more member into a quantified result; true means stop.
typedef struct {
    quant_t q;
    bool result;
} fold_t;

static void s_fold_init (fold_t *f, quant_t q)
{
    f->q = q;
    f->result = q != Q_SOME;
}

static bool s_fold (fold_t *f, bool holds)
{
    if (f->q == Q_SOME && holds)
        f->result = true;
    else if (f->q == Q_EVERY && !holds)
        f->result = false;
    else if (f->q == Q_NONE && holds)
        f->result = false;
    else
        return false;
    return true;
}

typedef struct {
    sw_eval_t *ev;
    const sw_cond_t *c;
    fold_t fold;
    bool any;
} visit_t;

static bool s_visit_leaf (void *arg, const sw_val_t *v)
{
    visit_t *w = arg;
    w->any = true;
    if (w->c->op == OP_EXISTS)
        return true;
    return s_fold (&w->fold, s_test (w->ev, w->c, v));
}

static bool s_visit_each (void *arg, const sw_val_t *v)
{
    visit_t *w = arg;
    const sw_cond_t *kid = w->c->kids[0];
    return s_fold (&w->fold, kid ? s_eval (w->ev, kid, v) : true);
}

static bool s_eval_leaf (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope)
{
    visit_t w = {ev, c, {Q_SOME, false}, false};
    s_fold_init (&w.fold, c->quant);
    s_path_each (c->path, ev->root, scope, s_visit_leaf, &w);
    if (c->op == OP_EXISTS)
        return w.any == c->flag;
    return w.fold.result;
}

static bool s_eval_each (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope)
{
    visit_t w = {ev, c, {Q_SOME, false}, false};
    s_fold_init (&w.fold, c->quant);
    s_path_each (c->path, ev->root, scope, s_visit_each, &w);
    return w.fold.result;
}

// -------------------------------------------------------------------------
//  Joins

typedef struct {
    jcache_t *jc;
    uint32_t res;
} jbuild_t;

static bool s_jcache_put (void *arg, const sw_val_t *v)
{
    jbuild_t *b = arg;
    jcache_t *jc = b->jc;
    if (!s_is_scalar (v))
        return false;
    if (jc->n == jc->cap) {
        size_t cap = jc->cap ? jc->cap * 2 : 64;
        jentry_t *e = realloc (jc->entries, cap * sizeof (jentry_t));
        if (!e)
            abort ();
        jc->entries = e;
        jc->cap = cap;
    }
    jc->entries[jc->n].val = v;
    jc->entries[jc->n].res = b->res;
    jc->entries[jc->n].next = -1;
    jc->n++;
    return false;
}

//  Indexes the related resources of a join by their first `on` key, once
//  per evaluation state, so a join costs a lookup, not a scan.
static jcache_t *s_jcache (sw_eval_t *ev, const sw_cond_t *c, const typeidx_t *t)
{
    jcache_t *jc = &ev->caches[c->slot];
    if (jc->built)
        return jc;
    jc->built = true;
    jbuild_t b = {jc, 0};
    for (size_t i = 0; i < t->n; i++) {
        b.res = t->idx[i];
        const sw_val_t *doc = ev->set->items[b.res].doc;
        s_walk (c->on[0].remote, 0, doc, s_jcache_put, &b);
    }
    jc->nbuckets = 16;
    while (jc->nbuckets < jc->n * 2)
        jc->nbuckets *= 2;
    jc->buckets = malloc (jc->nbuckets * sizeof (int32_t));
    if (!jc->buckets)
        abort ();
    memset (jc->buckets, 0xff, jc->nbuckets * sizeof (int32_t));
    for (size_t i = 0; i < jc->n; i++) {
        size_t h = s_scalar_hash (jc->entries[i].val) & (jc->nbuckets - 1);
        jc->entries[i].next = jc->buckets[h];
        jc->buckets[h] = (int32_t)i;
    }
    return jc;
}

typedef struct {
    const join_on_t *on;
    const sw_val_t *doc;
    const sw_val_t *want; //  the local value being looked for
} pair_t;

static bool s_pair_remote (void *arg, const sw_val_t *v)
{
    return sw_val_equal (((pair_t *)arg)->want, v);
}

static bool s_pair_local (void *arg, const sw_val_t *v)
{
    pair_t *p = arg;
    if (!s_is_scalar (v))
        return false;
    p->want = v;
    return s_walk (p->on->remote, 0, p->doc, s_pair_remote, p);
}

//  Do the values of local (in scope) and remote (in doc) share one? Every
//  value is compared, however many the paths pick.
static bool s_join_pair (sw_eval_t *ev, const join_on_t *on, const sw_val_t *scope,
                         const sw_val_t *doc)
{
    pair_t p = {on, doc, NULL};
    return s_walk (on->local, 0, on->local->absolute ? ev->root : scope, s_pair_local, &p);
}

//  A selector matches labels holding all of its pairs; an empty selector
//  matches everything, a missing one nothing (as Kubernetes reads them).
static bool s_join_selector (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope,
                             const sw_val_t *doc)
{
    collect_t sel = {.n = 0}, labels = {.n = 0};
    s_path_each (c->sel_local, ev->root, scope, s_collect, &sel);
    if (sel.n == 0 || sel.vals[0]->type != SW_VMAP)
        return false;
    s_walk (c->sel_remote, 0, doc, s_collect, &labels);
    const sw_val_t *want = sel.vals[0];
    const sw_val_t *have = labels.n ? labels.vals[0] : NULL;
    for (uint32_t i = 0; i < want->map.n; i++)
        if (!sw_val_equal (want->map.kv[i].val, sw_val_get (have, want->map.kv[i].key)))
            return false;
    return true;
}

//  Is resource res related to the current one, and if so does the join's
//  condition hold for it? Returns true to stop.
static bool s_join_visit (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope, uint32_t res,
                          fold_t *f)
{
    const sw_val_t *doc = ev->set->items[res].doc;
    if (doc == ev->root)
        return false; //  a resource is not related to itself
    for (size_t j = 1; j < c->non; j++)
        if (!s_join_pair (ev, &c->on[j], scope, doc))
            return false;
    if (c->sel_local && !s_join_selector (ev, c, scope, doc))
        return false;
    bool holds = true;
    if (c->kids[0]) {
        const sw_val_t *saved = ev->root;
        ev->root = doc;
        holds = s_eval (ev, c->kids[0], doc);
        ev->root = saved;
    }
    return s_fold (f, holds);
}

typedef struct {
    sw_eval_t *ev;
    const sw_cond_t *c;
    const sw_val_t *scope;
    jcache_t *jc;
    uint32_t stamp;
    fold_t fold;
} jprobe_t;

static bool s_join_probe (void *arg, const sw_val_t *v)
{
    jprobe_t *p = arg;
    if (!s_is_scalar (v))
        return false;
    jcache_t *jc = p->jc;
    size_t h = s_scalar_hash (v) & (jc->nbuckets - 1);
    for (int32_t e = jc->buckets[h]; e >= 0; e = jc->entries[e].next) {
        uint32_t res = jc->entries[e].res;
        if (p->ev->stamp[res] == p->stamp || !sw_val_equal (v, jc->entries[e].val))
            continue;
        p->ev->stamp[res] = p->stamp;
        if (s_join_visit (p->ev, p->c, p->scope, res, &p->fold))
            return true;
    }
    return false;
}

static bool s_eval_join (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope)
{
    fold_t f;
    s_fold_init (&f, c->quant);
    const typeidx_t *t = s_typeidx (ev, c->jtype, false);
    if (!t)
        return f.result;
    if (c->non == 0) {
        for (size_t i = 0; i < t->n; i++)
            if (s_join_visit (ev, c, scope, t->idx[i], &f))
                break;
        return f.result;
    }
    jprobe_t p = {ev, c, scope, s_jcache (ev, c, t), ++ev->stamp_now, f};
    if (p.stamp == 0) { //  wrapped: start the stamps afresh
        memset (ev->stamp, 0, ev->set->n * sizeof (uint32_t));
        p.stamp = ev->stamp_now = 1;
    }
    s_path_each (c->on[0].local, ev->root, scope, s_join_probe, &p);
    return p.fold.result;
}

static bool s_eval (sw_eval_t *ev, const sw_cond_t *c, const sw_val_t *scope)
{
    switch (c->kind) {
    case C_ALL:
        for (size_t i = 0; i < c->nkids; i++)
            if (!s_eval (ev, c->kids[i], scope))
                return false;
        return true;
    case C_ANY:
        for (size_t i = 0; i < c->nkids; i++)
            if (s_eval (ev, c->kids[i], scope))
                return true;
        return false;
    case C_NOT:
        return !s_eval (ev, c->kids[0], scope);
    case C_LEAF:
        return s_eval_leaf (ev, c, scope);
    case C_EACH:
        return s_eval_each (ev, c, scope);
    case C_JOIN:
        return s_eval_join (ev, c, scope);
    }
    return false;
}

bool sw_cond_eval (sw_eval_t *ev, const sw_cond_t *cond, const sw_val_t *root)
{
    ev->root = root;
    return s_eval (ev, cond, root);
}
