/*  sw_docload - JSON (jansson) and YAML (libyaml events) into sw_doc values.

    JSON is parsed by jansson into its own tree, which is copied into the
    arena and released subtree by subtree as the copy goes.

    YAML is built straight from libyaml's event stream with an explicit
    stack of open containers, so nothing of libyaml's own node tree is
    kept. Every value carries two numbers while it is built: its size (values
    in its subtree with aliases expanded) and its height (container levels).
    Anchors keep both, so an alias is charged in full against the node
    budget and checked in full against the depth limit, though the subtree
    is shared. Anchors are registered when their node ends, so an alias
    can never point into an unfinished node, and the value graph stays
    acyclic. */
#include "sw_docload.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_ANCHORS 10000 //  per YAML document
#define INDEX_MIN   16    //  maps up to this many keys are searched linearly

typedef struct {
    sw_val_t *val;  //  the sequence or map being filled
    char *anchor;   //  malloc'd; registered when the node ends
    const char *fn; //  CloudFormation long-form key to wrap the node in
    uint32_t line, col;
    int level;   //  container level of val in the document, root is 1
    int child_h; //  height of the tallest child
    size_t size; //  values in the subtree, aliases expanded
    //  Maps only
    const char *key;  //  key waiting for its value; NULL when a key is due
    bool merging;     //  the waiting key is <<
    sw_val_t **merge; //  merge sources, first wins
    size_t nmerge, capmerge;
    uint32_t *index; //  key hash -> kv position + 1, once the map is big
    uint32_t index_cap;
} s_frame_t;

typedef struct {
    char *name; //  malloc'd
    sw_val_t *val;
    size_t size;
    int height;
} s_anchor_t;

typedef struct {
    sw_arena_t *arena;
    const char *name;
    const char *data;
    size_t len;
    sw_doclist_t *out;
    char *err;
    size_t errlen;
    bool failed;
    bool yaml;
    size_t nodes; //  values so far in this file, aliases expanded
    uint64_t seed;
    bool seeded;
    //  YAML
    s_frame_t frames[SW_DOC_MAX_DEPTH];
    int depth;
    s_anchor_t *anchors; //  open-addressed by name
    size_t anchor_cap, anchor_used, anchor_defs;
    size_t ndocs;
    sw_val_t *root;
} s_ctx_t;

static int s_fail (s_ctx_t *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Records the first error only: later ones are consequences of it.
static int s_fail (s_ctx_t *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (ctx->failed)
        return -1;
    ctx->failed = true;
    char message[256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (message, sizeof message, fmt, args);
    va_end (args);
    if (line)
        snprintf (ctx->err, ctx->errlen, "%s:%u:%u: %s", ctx->name, line, col, message);
    else
        snprintf (ctx->err, ctx->errlen, "%s: %s", ctx->name, message);
    return -1;
}

//  Messages quote input (jansson's "near '...'", scalars); hostile input
//  must not put escape sequences on an operator's terminal.
static void s_sanitise (char *text)
{
    for (unsigned char *c = (unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
}

static int s_charge (s_ctx_t *ctx, size_t n, uint32_t line, uint32_t col)
{
    ctx->nodes += n;
    if (ctx->nodes > SW_DOC_MAX_NODES)
        return s_fail (ctx, line, col, "more than %u values%s", SW_DOC_MAX_NODES,
                       ctx->yaml ? " (aliases counted in full)" : "");
    return 0;
}

static uint64_t s_hash (const s_ctx_t *ctx, const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull ^ ctx->seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

//  Keys and anchors come from the input; a per-load seed keeps anyone from
//  preparing colliding names in advance.
static void s_seed (s_ctx_t *ctx)
{
    if (ctx->seeded)
        return;
    if (getrandom (&ctx->seed, sizeof ctx->seed, GRND_NONBLOCK) != sizeof ctx->seed)
        ctx->seed = (uint64_t)time (NULL) ^ (uint64_t)(uintptr_t)ctx;
    ctx->seeded = true;
}

void sw_doclist_push (sw_arena_t *arena, sw_doclist_t *list, sw_val_t *doc)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 4;
        sw_val_t **docs = sw_arena_alloc (arena, cap * sizeof (sw_val_t *));
        if (list->n)
            memcpy (docs, list->docs, list->n * sizeof (sw_val_t *));
        list->docs = docs;
        list->cap = cap;
    }
    list->docs[list->n++] = doc;
}

//  ------------------------------------------------------------------------
//  JSON

//  jansson gives no positions for values; the input is scanned again, on
//  this error path only, to find the bracket that went too deep.
static void s_json_too_deep (s_ctx_t *ctx)
{
    uint32_t line = 1, col = 0;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < ctx->len; i++) {
        unsigned char c = (unsigned char)ctx->data[i];
        if (c == '\n') {
            line++;
            col = 0;
            continue;
        }
        if ((c & 0xC0) != 0x80)
            col++;
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"')
            in_string = true;
        else if ((c == '[' || c == '{') && ++depth > SW_DOC_MAX_DEPTH)
            break;
        else if (c == ']' || c == '}')
            depth--;
    }
    s_fail (ctx, depth > SW_DOC_MAX_DEPTH ? line : 0, col, "nesting deeper than %d",
            SW_DOC_MAX_DEPTH);
}

//  level is that of the container holding json (0 for the root)
static sw_val_t *s_from_json (s_ctx_t *ctx, json_t *json, int level);

//  Containers charge their children before allocating room for them, so
//  a huge container is refused before the arena grows for it.
static sw_val_t *s_json_container (s_ctx_t *ctx, json_t *json, int level)
{
    if (level > SW_DOC_MAX_DEPTH) {
        s_json_too_deep (ctx);
        return NULL;
    }
    bool is_map = json_is_object (json);
    size_t n = is_map ? json_object_size (json) : json_array_size (json);
    if (s_charge (ctx, n, 0, 0))
        return NULL;
    sw_val_t *v = is_map ? sw_val_map (ctx->arena) : sw_val_arr (ctx->arena);
    if (is_map && n) {
        v->map.kv = sw_arena_alloc (ctx->arena, n * sizeof (sw_kv_t));
        v->map.cap = (uint32_t)n;
        for (void *it = json_object_iter (json); it; it = json_object_iter_next (json, it)) {
            sw_val_t *child = s_from_json (ctx, json_object_iter_value (it), level);
            if (!child)
                return NULL;
            //  jansson refuses NUL in keys itself and has already dropped
            //  duplicates (last one wins), so appending is safe
            const char *key = sw_arena_strndup (ctx->arena, json_object_iter_key (it),
                                                json_object_iter_key_len (it));
            v->map.kv[v->map.n].key = key;
            v->map.kv[v->map.n++].val = child;
        }
        json_object_clear (json);
    } else if (n) {
        v->arr.items = sw_arena_alloc (ctx->arena, n * sizeof (sw_val_t *));
        v->arr.cap = (uint32_t)n;
        for (size_t i = 0; i < n; i++) {
            sw_val_t *child = s_from_json (ctx, json_array_get (json, i), level);
            if (!child)
                return NULL;
            v->arr.items[v->arr.n++] = child;
        }
        //  Gives the copied subtree's memory back now rather than at the end
        json_array_clear (json);
    }
    return v;
}

static sw_val_t *s_from_json (s_ctx_t *ctx, json_t *json, int level)
{
    switch (json_typeof (json)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return s_json_container (ctx, json, level + 1);
    case JSON_STRING:
        return sw_val_strn (ctx->arena, json_string_value (json), json_string_length (json));
    case JSON_INTEGER:
        return sw_val_int (ctx->arena, json_integer_value (json));
    case JSON_REAL:
        return sw_val_real (ctx->arena, json_real_value (json));
    case JSON_TRUE:
        return sw_val_bool (ctx->arena, true);
    case JSON_FALSE:
        return sw_val_bool (ctx->arena, false);
    case JSON_NULL:
        break;
    }
    return sw_val_null (ctx->arena);
}

static bool s_blank (const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i == len;
}

static int s_load_json (s_ctx_t *ctx)
{
    const char *data = ctx->data;
    size_t len = ctx->len;
    //  Editors on Windows write a BOM, which jansson does not take
    if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (s_blank (data, len))
        return 0;

    //  Scalars at the top are documents too; NUL is allowed in strings,
    //  which sw_val_t holds with their length (jansson refuses it in keys)
    json_error_t error;
    json_t *root = json_loadb (data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!root) {
        if (error.line > 0)
            return s_fail (ctx, (uint32_t)error.line, error.column > 0 ? (uint32_t)error.column : 1,
                           "%s", error.text);
        return s_fail (ctx, 0, 0, "%s", error.text);
    }
    int rc = -1;
    if (s_charge (ctx, 1, 0, 0))
        goto cleanup;
    sw_val_t *doc = s_from_json (ctx, root, 0);
    if (!doc)
        goto cleanup;
    sw_doclist_push (ctx->arena, ctx->out, doc);
    rc = 0;
cleanup:
    json_decref (root);
    return rc;
}

//  ------------------------------------------------------------------------
//  YAML scalars (core schema)

static bool s_is (const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen (*words) == len && memcmp (s, *words, len) == 0)
            return true;
    return false;
}

static const char *const s_nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const s_trues[] = {"true", "True", "TRUE", NULL};
static const char *const s_falses[] = {"false", "False", "FALSE", NULL};
static const char *const s_infs[] = {".inf", ".Inf", ".INF", NULL};
static const char *const s_nans[] = {".nan", ".NaN", ".NAN", NULL};

//  [-+]?[0-9]+, 0x[0-9a-fA-F]+ or 0o[0-7]+. Returns 1 with *i, 2 with *r
//  when the value does not fit 64 bits, 0 when s is no integer.
static int s_integer (const char *s, size_t len, int64_t *i, double *r)
{
    size_t p = 0;
    int base = 10;
    bool negative = false;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        base = s[1] == 'x' ? 16 : 8;
        p = 2;
    } else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        p = 1;
    }
    if (p == len)
        return 0;
    uint64_t u = 0;
    double d = 0;
    bool over = false;
    for (; p < len; p++) {
        int digit = sw_hex_digit (s[p]);
        digit = digit < 0 ? 99 : digit;
        if (digit >= base)
            return 0;
        if (u > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base)
            over = true;
        else
            u = u * (uint64_t)base + (uint64_t)digit;
        d = d * base + digit;
    }
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (over || u > limit) {
        //  strtod rounds a decimal exactly; hex and octal are rare this big
        *r = base == 10 ? strtod (s, NULL) : d;
        return 2;
    }
    if (negative)
        *i = u == limit ? INT64_MIN : -(int64_t)u;
    else
        *i = (int64_t)u;
    return 1;
}

//  [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
static bool s_is_real (const char *s, size_t len)
{
    size_t p = 0, whole = 0, fraction = 0;
    if (p < len && (s[p] == '-' || s[p] == '+'))
        p++;
    for (; p < len && s[p] >= '0' && s[p] <= '9'; p++)
        whole++;
    if (p < len && s[p] == '.')
        for (p++; p < len && s[p] >= '0' && s[p] <= '9'; p++)
            fraction++;
    if (whole == 0 && fraction == 0)
        return false;
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < len && (s[p] == '-' || s[p] == '+'))
            p++;
        size_t digits = 0;
        for (; p < len && s[p] >= '0' && s[p] <= '9'; p++)
            digits++;
        if (digits == 0)
            return false;
    }
    return p == len;
}

//  The value of a plain scalar. s is NUL-terminated at len (libyaml's
//  buffers are), which strtod relies on.
static sw_val_t *s_resolve (sw_arena_t *arena, const char *s, size_t len)
{
    //  Most scalars are words: skip the tables for them
    if (len > 0 && !strchr ("-+.0123456789nNtTfF~", s[0]))
        return sw_val_strn (arena, s, len);
    if (s_is (s, len, s_nulls))
        return sw_val_null (arena);
    if (s_is (s, len, s_trues))
        return sw_val_bool (arena, true);
    if (s_is (s, len, s_falses))
        return sw_val_bool (arena, false);
    int64_t i;
    double r;
    switch (s_integer (s, len, &i, &r)) {
    case 1:
        return sw_val_int (arena, i);
    case 2:
        return sw_val_real (arena, r);
    default:
        break;
    }
    if (s_is_real (s, len))
        return sw_val_real (arena, strtod (s, NULL));
    bool sign = len > 0 && (s[0] == '-' || s[0] == '+');
    if (s_is (s + sign, len - sign, s_infs))
        return sw_val_real (arena, s[0] == '-' ? -INFINITY : INFINITY);
    if (s_is (s, len, s_nans))
        return sw_val_real (arena, NAN);
    return sw_val_strn (arena, s, len);
}

//  ------------------------------------------------------------------------
//  YAML tags

typedef enum { T_NONE, T_STR, T_INT, T_FLOAT, T_BOOL, T_NULL, T_MAP, T_SEQ, T_BANG, T_FN } s_tag_t;

static const char *const s_core_tags[] = {"str", "int", "float", "bool", "null", "map", "seq"};

//  CloudFormation's short forms and the keys of their long forms
static const char *const s_fn_tags[][2] = {
    {"!Ref", "Ref"},
    {"!Condition", "Condition"},
    {"!GetAtt", "Fn::GetAtt"},
    {"!Sub", "Fn::Sub"},
    {"!Join", "Fn::Join"},
    {"!Select", "Fn::Select"},
    {"!Split", "Fn::Split"},
    {"!FindInMap", "Fn::FindInMap"},
    {"!Base64", "Fn::Base64"},
    {"!Cidr", "Fn::Cidr"},
    {"!ImportValue", "Fn::ImportValue"},
    {"!GetAZs", "Fn::GetAZs"},
    {"!If", "Fn::If"},
    {"!Equals", "Fn::Equals"},
    {"!Not", "Fn::Not"},
    {"!And", "Fn::And"},
    {"!Or", "Fn::Or"},
    {"!Transform", "Fn::Transform"},
    {"!ToJsonString", "Fn::ToJsonString"},
    {"!Length", "Fn::Length"},
    //  Rule conditions of template Rules sections
    {"!Contains", "Fn::Contains"},
    {"!EachMemberEquals", "Fn::EachMemberEquals"},
    {"!EachMemberIn", "Fn::EachMemberIn"},
    {"!RefAll", "Fn::RefAll"},
    {"!ValueOf", "Fn::ValueOf"},
    {"!ValueOfAll", "Fn::ValueOfAll"},
};

//  Unknown tags (local ones such as !Foo, and other yaml.org types such as
//  !!binary) come back as T_NONE: the node reads as if untagged.
static s_tag_t s_tag (const yaml_char_t *tag, const char **fn)
{
    static const char core[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    if (!t)
        return T_NONE;
    if (strcmp (t, "!") == 0)
        return T_BANG;
    if (strncmp (t, core, sizeof core - 1) == 0) {
        for (size_t i = 0; i < sizeof s_core_tags / sizeof s_core_tags[0]; i++)
            if (strcmp (t + sizeof core - 1, s_core_tags[i]) == 0)
                return (s_tag_t)(T_STR + i);
        return T_NONE;
    }
    for (size_t i = 0; i < sizeof s_fn_tags / sizeof s_fn_tags[0]; i++)
        if (strcmp (t, s_fn_tags[i][0]) == 0) {
            *fn = s_fn_tags[i][1];
            return T_FN;
        }
    return T_NONE;
}

//  Up to 40 printable ASCII characters of a scalar, for messages.
static const char *s_show (const char *s, size_t len, char *buf, size_t size)
{
    size_t out = 0;
    for (size_t i = 0; i < len && out + 4 < size; i++) {
        if (out >= 40) {
            memcpy (buf + out, "...", 3);
            out += 3;
            break;
        }
        buf[out++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }
    buf[out] = 0;
    return buf;
}

static sw_val_t *s_at (sw_val_t *v, uint32_t line, uint32_t col)
{
    v->line = line;
    v->col = col;
    return v;
}

static sw_val_t *s_wrap (s_ctx_t *ctx, const char *fn, sw_val_t *v)
{
    sw_val_t *map = s_at (sw_val_map (ctx->arena), v->line, v->col);
    sw_val_append (ctx->arena, map, fn, v);
    return map;
}

//  !GetAtt Res.Attr is ["Res", "Attr"]; attribute names may hold dots
//  themselves (Outputs.Name), so only the first one splits.
static sw_val_t *s_getatt (s_ctx_t *ctx, const char *s, size_t len, uint32_t line, uint32_t col)
{
    sw_val_t *arr = s_at (sw_val_arr (ctx->arena), line, col);
    const char *dot = memchr (s, '.', len);
    size_t head = dot ? (size_t)(dot - s) : len;
    sw_val_push (ctx->arena, arr, s_at (sw_val_strn (ctx->arena, s, head), line, col));
    if (dot)
        sw_val_push (ctx->arena, arr,
                     s_at (sw_val_strn (ctx->arena, dot + 1, len - head - 1), line, col));
    return arr;
}

//  A scalar under one of the core tags: resolved, then held to the tag.
static sw_val_t *s_tagged (s_ctx_t *ctx, s_tag_t kind, const char *s, size_t len, uint32_t line,
                           uint32_t col)
{
    sw_val_t *v = memchr (s, 0, len) ? NULL : s_resolve (ctx->arena, s, len);
    if (v && kind == T_FLOAT && v->type == SW_VINT)
        v = sw_val_real (ctx->arena, (double)v->i);
    static const sw_vtype_t wanted[] = {
        [T_INT] = SW_VINT, [T_FLOAT] = SW_VREAL, [T_BOOL] = SW_VBOOL, [T_NULL] = SW_VNULL};
    if (!v || v->type != wanted[kind]) {
        //  The value itself stays out: it could be anything from the file,
        //  a secret included, and messages reach findings and logs.
        s_fail (ctx, line, col, "value tagged !!%s is not one", s_core_tags[kind - T_STR]);
        return NULL;
    }
    return v;
}

//  Builds a scalar event's value; a short-form tag makes it a container,
//  hence the size (values made) and height (levels).
static sw_val_t *s_scalar (s_ctx_t *ctx, const yaml_event_t *event, size_t *size, int *height)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t len = event->data.scalar.length;
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    const char *fn = NULL;
    s_tag_t kind = s_tag (event->data.scalar.tag, &fn);
    sw_val_t *v = NULL;
    *size = 1;
    *height = 0;
    if (kind == T_FN && strcmp (fn, "Fn::GetAtt") == 0) {
        *size = 4;
        *height = 2;
        return s_wrap (ctx, fn, s_getatt (ctx, s, len, line, col));
    }
    if (kind == T_MAP || kind == T_SEQ) {
        s_fail (ctx, line, col, "tag !!%s does not apply to a scalar", s_core_tags[kind - T_STR]);
        return NULL;
    }
    if (kind >= T_INT && kind <= T_NULL)
        v = s_tagged (ctx, kind, s, len, line, col);
    else if (kind == T_NONE && event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        v = s_resolve (ctx->arena, s, len);
    else
        v = sw_val_strn (ctx->arena, s, len);
    if (!v)
        return NULL;
    s_at (v, line, col);
    if (kind == T_FN) {
        v = s_wrap (ctx, fn, v);
        *size = 2;
        *height = 1;
    }
    return v;
}

//  ------------------------------------------------------------------------
//  YAML anchors: open addressing by name, per document

static s_anchor_t *s_anchor_slot (s_ctx_t *ctx, const char *name)
{
    size_t mask = ctx->anchor_cap - 1;
    for (size_t i = s_hash (ctx, name, strlen (name)) & mask;; i = (i + 1) & mask)
        if (!ctx->anchors[i].name || strcmp (ctx->anchors[i].name, name) == 0)
            return &ctx->anchors[i];
}

static s_anchor_t *s_anchor_find (s_ctx_t *ctx, const char *name)
{
    if (!ctx->anchor_cap)
        return NULL;
    s_anchor_t *a = s_anchor_slot (ctx, name);
    return a->name ? a : NULL;
}

static void s_anchors_clear (s_ctx_t *ctx)
{
    for (size_t i = 0; i < ctx->anchor_cap; i++)
        free (ctx->anchors[i].name);
    free (ctx->anchors);
    ctx->anchors = NULL;
    ctx->anchor_cap = ctx->anchor_used = ctx->anchor_defs = 0;
}

//  Grows the table to keep it at most half full.
static int s_anchors_grow (s_ctx_t *ctx)
{
    if ((ctx->anchor_used + 1) * 2 <= ctx->anchor_cap)
        return 0;
    s_anchor_t *old = ctx->anchors;
    size_t old_cap = ctx->anchor_cap;
    size_t cap = old_cap ? old_cap * 2 : 64;
    s_anchor_t *anchors = calloc (cap, sizeof (s_anchor_t));
    if (!anchors)
        return -1;
    s_seed (ctx);
    ctx->anchors = anchors;
    ctx->anchor_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name)
            *s_anchor_slot (ctx, old[i].name) = old[i];
    free (old);
    return 0;
}

//  Takes name (malloc'd) in every case.
static int s_anchor_define (s_ctx_t *ctx, char *name, sw_val_t *v, size_t size, int height,
                            uint32_t line, uint32_t col)
{
    if (++ctx->anchor_defs > MAX_ANCHORS) {
        free (name);
        return s_fail (ctx, line, col, "more than %d anchors in one document", MAX_ANCHORS);
    }
    if (s_anchors_grow (ctx)) {
        free (name);
        return s_fail (ctx, line, col, "out of memory");
    }
    //  A redefined anchor names its latest node from here on (YAML 1.2)
    s_anchor_t *a = s_anchor_slot (ctx, name);
    if (a->name)
        free (name);
    else {
        a->name = name;
        ctx->anchor_used++;
    }
    a->val = v;
    a->size = size;
    a->height = height;
    return 0;
}

//  ------------------------------------------------------------------------
//  YAML maps: keys, duplicates and merges

static int64_t s_map_find (s_ctx_t *ctx, const s_frame_t *f, const char *key)
{
    const sw_val_t *map = f->val;
    if (!f->index) {
        for (uint32_t i = 0; i < map->map.n; i++)
            if (strcmp (map->map.kv[i].key, key) == 0)
                return i;
        return -1;
    }
    uint32_t mask = f->index_cap - 1;
    for (uint32_t i = (uint32_t)s_hash (ctx, key, strlen (key)) & mask;; i = (i + 1) & mask) {
        uint32_t at = f->index[i];
        if (!at)
            return -1;
        if (strcmp (map->map.kv[at - 1].key, key) == 0)
            return at - 1;
    }
}

static void s_index_insert (s_ctx_t *ctx, s_frame_t *f, uint32_t at)
{
    uint32_t mask = f->index_cap - 1;
    const char *key = f->val->map.kv[at].key;
    uint32_t i = (uint32_t)s_hash (ctx, key, strlen (key)) & mask;
    while (f->index[i])
        i = (i + 1) & mask;
    f->index[i] = at + 1;
}

//  Keeps the index in step with the entry just appended. Short maps do
//  without one; without memory for one, lookups fall back to a scan.
static void s_index_update (s_ctx_t *ctx, s_frame_t *f)
{
    uint32_t n = f->val->map.n;
    if (n <= INDEX_MIN)
        return;
    if (f->index && n * 2 <= f->index_cap) {
        s_index_insert (ctx, f, n - 1);
        return;
    }
    free (f->index);
    f->index_cap = 64;
    while (f->index_cap < n * 2)
        f->index_cap *= 2;
    f->index = calloc (f->index_cap, sizeof (uint32_t));
    if (!f->index) {
        f->index_cap = 0;
        return;
    }
    s_seed (ctx);
    for (uint32_t i = 0; i < n; i++)
        s_index_insert (ctx, f, i);
}

//  Duplicate keys: the last one wins, silently, as with most YAML tools
//  (a duplicate is not what this loader is there to judge).
static void s_map_put (s_ctx_t *ctx, s_frame_t *f, const char *key, sw_val_t *val)
{
    int64_t at = s_map_find (ctx, f, key);
    if (at >= 0) {
        f->val->map.kv[at].val = val;
        return;
    }
    sw_val_append (ctx->arena, f->val, key, val);
    s_index_update (ctx, f);
}

static int s_merge_source (s_ctx_t *ctx, s_frame_t *f, sw_val_t *src, uint32_t line, uint32_t col)
{
    if (src->type != SW_VMAP)
        return s_fail (ctx, line, col, "a merge (<<) takes a map or a list of maps, found %s",
                       sw_vtype_name (src->type));
    if (f->nmerge == f->capmerge) {
        size_t cap = f->capmerge ? f->capmerge * 2 : 4;
        sw_val_t **merge = realloc (f->merge, cap * sizeof (sw_val_t *));
        if (!merge)
            return s_fail (ctx, line, col, "out of memory");
        f->merge = merge;
        f->capmerge = cap;
    }
    f->merge[f->nmerge++] = src;
    return 0;
}

static int s_merge_value (s_ctx_t *ctx, s_frame_t *f, sw_val_t *v, uint32_t line, uint32_t col)
{
    if (v->type != SW_VARR)
        return s_merge_source (ctx, f, v, line, col);
    for (uint32_t i = 0; i < v->arr.n; i++)
        if (s_merge_source (ctx, f, v->arr.items[i], line, col))
            return -1;
    return 0;
}

//  Merged at the end of the map, so keys set in the map itself win
//  wherever they stand, and earlier sources win over later ones.
static void s_merge_apply (s_ctx_t *ctx, s_frame_t *f)
{
    for (size_t m = 0; m < f->nmerge; m++) {
        const sw_val_t *src = f->merge[m];
        for (uint32_t i = 0; i < src->map.n; i++)
            if (s_map_find (ctx, f, src->map.kv[i].key) < 0) {
                sw_val_append (ctx->arena, f->val, src->map.kv[i].key, src->map.kv[i].val);
                s_index_update (ctx, f);
            }
    }
}

//  ------------------------------------------------------------------------
//  YAML events

static s_frame_t *s_top (s_ctx_t *ctx)
{
    return ctx->depth ? &ctx->frames[ctx->depth - 1] : NULL;
}

static bool s_key_due (const s_frame_t *f)
{
    return f && f->val->type == SW_VMAP && !f->key;
}

static void s_frame_free (s_frame_t *f)
{
    free (f->anchor);
    free (f->merge);
    free (f->index);
    memset (f, 0, sizeof *f);
}

//  Adds a finished value (size values, height levels, `fresh` of them new
//  to the budget) to the open container, or makes it the document's root.
static int s_value (s_ctx_t *ctx, sw_val_t *v, size_t size, int height, size_t fresh, uint32_t line,
                    uint32_t col)
{
    if (s_charge (ctx, fresh, line, col))
        return -1;
    s_frame_t *f = s_top (ctx);
    //  A merge source's entries land one level up (a list of sources, two)
    int lands = height;
    if (f && f->merging)
        lands -= v->type == SW_VARR ? 2 : 1;
    if ((f ? f->level : 0) + lands > SW_DOC_MAX_DEPTH)
        return s_fail (ctx, line, col, "nesting deeper than %d", SW_DOC_MAX_DEPTH);
    if (!f) {
        ctx->root = v;
        return 0;
    }
    f->size += size;
    if (lands > f->child_h)
        f->child_h = lands;
    if (f->val->type == SW_VARR)
        sw_val_push (ctx->arena, f->val, v);
    else if (f->merging) {
        if (s_merge_value (ctx, f, v, line, col))
            return -1;
    } else
        s_map_put (ctx, f, f->key, v);
    f->key = NULL;
    f->merging = false;
    return 0;
}

//  A map key is the text of a scalar, whatever its tag or resolved type.
static int s_on_key (s_ctx_t *ctx, s_frame_t *f, const yaml_event_t *event)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t len = event->data.scalar.length;
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    const char *tag = (const char *)event->data.scalar.tag;
    if (memchr (s, 0, len))
        return s_fail (ctx, line, col, "a map key holds a NUL character");
    if (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len == 2 &&
        memcmp (s, "<<", 2) == 0 && (!tag || strcmp (tag, "tag:yaml.org,2002:merge") == 0)) {
        f->key = "<<";
        f->merging = true;
        return 0;
    }
    f->key = sw_arena_strndup (ctx->arena, s, len);
    if (!event->data.scalar.anchor)
        return 0;
    //  An anchored key can be aliased as a value later
    size_t size;
    int height;
    sw_val_t *v = s_scalar (ctx, event, &size, &height);
    if (!v || s_charge (ctx, size, line, col))
        return -1;
    char *name = strdup ((const char *)event->data.scalar.anchor);
    if (!name)
        return s_fail (ctx, line, col, "out of memory");
    return s_anchor_define (ctx, name, v, size, height, line, col);
}

static int s_on_scalar (s_ctx_t *ctx, const yaml_event_t *event)
{
    s_frame_t *f = s_top (ctx);
    if (s_key_due (f))
        return s_on_key (ctx, f, event);
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    //  "---" followed by nothing: an empty document, which is skipped
    if (!f && event->data.scalar.length == 0 && !event->data.scalar.tag &&
        !event->data.scalar.anchor && event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return 0;
    size_t size;
    int height;
    sw_val_t *v = s_scalar (ctx, event, &size, &height);
    if (!v)
        return -1;
    if (event->data.scalar.anchor) {
        char *name = strdup ((const char *)event->data.scalar.anchor);
        if (!name)
            return s_fail (ctx, line, col, "out of memory");
        if (s_anchor_define (ctx, name, v, size, height, line, col))
            return -1;
    }
    return s_value (ctx, v, size, height, size, line, col);
}

static int s_on_alias (s_ctx_t *ctx, const yaml_event_t *event)
{
    const char *name = (const char *)event->data.alias.anchor;
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    s_anchor_t *a = s_anchor_find (ctx, name);
    if (!a) {
        char shown[48];
        return s_fail (ctx, line, col, "alias *%s has no anchor before it",
                       s_show (name, strlen (name), shown, sizeof shown));
    }
    s_frame_t *f = s_top (ctx);
    if (!s_key_due (f))
        return s_value (ctx, a->val, a->size, a->height, a->size, line, col);
    //  An aliased key: the text of the scalar it names
    const sw_val_t *v = a->val;
    switch (v->type) {
    case SW_VSTR:
        if (memchr (v->str.s, 0, v->str.len))
            return s_fail (ctx, line, col, "a map key holds a NUL character");
        f->key = v->str.s;
        break;
    case SW_VINT:
        f->key = sw_arena_printf (ctx->arena, "%lld", (long long)v->i);
        break;
    case SW_VREAL:
        f->key = sw_arena_printf (ctx->arena, "%.17g", v->r);
        break;
    case SW_VBOOL:
        f->key = v->b ? "true" : "false";
        break;
    case SW_VNULL:
        f->key = "null";
        break;
    default:
        return s_fail (ctx, line, col, "a map key must be a scalar, not a %s",
                       sw_vtype_name (v->type));
    }
    return 0;
}

static int s_on_start (s_ctx_t *ctx, const yaml_event_t *event, bool is_map)
{
    s_frame_t *parent = s_top (ctx);
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    const yaml_char_t *tag =
        is_map ? event->data.mapping_start.tag : event->data.sequence_start.tag;
    const yaml_char_t *anchor =
        is_map ? event->data.mapping_start.anchor : event->data.sequence_start.anchor;
    if (s_key_due (parent))
        return s_fail (ctx, line, col, "a map key must be a scalar, not a %s",
                       is_map ? "map" : "list");
    const char *fn = NULL;
    s_tag_t kind = s_tag (tag, &fn);
    if ((kind >= T_STR && kind <= T_NULL) || (kind == T_MAP && !is_map) ||
        (kind == T_SEQ && is_map))
        return s_fail (ctx, line, col, "tag !!%s does not apply to a %s", s_core_tags[kind - T_STR],
                       is_map ? "map" : "list");
    //  A merge source's own level vanishes: its entries land in the parent
    int level = (parent ? parent->level : 0) + 1 + (fn ? 1 : 0);
    if (parent && parent->merging)
        level -= is_map ? 1 : 2;
    if (ctx->depth == SW_DOC_MAX_DEPTH || level > SW_DOC_MAX_DEPTH)
        return s_fail (ctx, line, col, "nesting deeper than %d", SW_DOC_MAX_DEPTH);

    s_frame_t *f = &ctx->frames[ctx->depth++];
    memset (f, 0, sizeof *f);
    f->val = s_at (is_map ? sw_val_map (ctx->arena) : sw_val_arr (ctx->arena), line, col);
    f->fn = fn;
    f->line = line;
    f->col = col;
    f->level = level;
    f->size = 1;
    if (anchor && !(f->anchor = strdup ((const char *)anchor)))
        return s_fail (ctx, line, col, "out of memory");
    return 0;
}

static int s_on_end (s_ctx_t *ctx)
{
    s_frame_t *f = s_top (ctx);
    if (f->val->type == SW_VMAP)
        s_merge_apply (ctx, f);
    sw_val_t *v = f->val;
    int height = 1 + f->child_h;
    size_t size = f->size, fresh = 1;
    if (f->fn) {
        v = s_wrap (ctx, f->fn, v);
        height++;
        size++;
        fresh++;
    }
    uint32_t line = f->line, col = f->col;
    char *anchor = f->anchor;
    f->anchor = NULL;
    s_frame_free (f);
    ctx->depth--;
    if (anchor && s_anchor_define (ctx, anchor, v, size, height, line, col))
        return -1;
    return s_value (ctx, v, size, height, fresh, line, col);
}

static int s_on_event (s_ctx_t *ctx, const yaml_event_t *event)
{
    uint32_t line = (uint32_t)event->start_mark.line + 1;
    uint32_t col = (uint32_t)event->start_mark.column + 1;
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++ctx->ndocs > SW_DOC_MAX_DOCS)
            return s_fail (ctx, line, col, "more than %d documents", SW_DOC_MAX_DOCS);
        ctx->root = NULL;
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        if (ctx->root)
            sw_doclist_push (ctx->arena, ctx->out, ctx->root);
        ctx->root = NULL;
        s_anchors_clear (ctx); //  anchors do not reach across documents
        return 0;
    case YAML_SCALAR_EVENT:
        return s_on_scalar (ctx, event);
    case YAML_ALIAS_EVENT:
        return s_on_alias (ctx, event);
    case YAML_SEQUENCE_START_EVENT:
        return s_on_start (ctx, event, false);
    case YAML_MAPPING_START_EVENT:
        return s_on_start (ctx, event, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return s_on_end (ctx);
    default:
        return 0;
    }
}

static void s_yaml_error (s_ctx_t *ctx, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        s_fail (ctx, 0, 0, "out of memory");
        return;
    }
    uint32_t line = (uint32_t)parser->problem_mark.line + 1;
    uint32_t col = (uint32_t)parser->problem_mark.column + 1;
    if (parser->error == YAML_READER_ERROR) {
        //  Reader errors carry a byte offset, not a mark
        line = 1;
        col = 1;
        for (size_t i = 0; i < parser->problem_offset && i < ctx->len; i++) {
            if (ctx->data[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)ctx->data[i] & 0xC0) != 0x80)
                col++;
        }
    }
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    if (parser->context)
        s_fail (ctx, line, col, "%s (%s)", problem, parser->context);
    else
        s_fail (ctx, line, col, "%s", problem);
}

static int s_load_yaml (s_ctx_t *ctx)
{
    //  libyaml refuses a tab on an otherwise blank line; blank is empty
    if (s_blank (ctx->data, ctx->len))
        return 0;
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser))
        return s_fail (ctx, 0, 0, "out of memory");
    yaml_parser_set_input_string (&parser, (const unsigned char *)ctx->data, ctx->len);
    int rc = -1;
    bool done = false;
    while (!done) {
        yaml_event_t event;
        if (!yaml_parser_parse (&parser, &event)) {
            s_yaml_error (ctx, &parser);
            goto cleanup;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        int event_rc = s_on_event (ctx, &event);
        yaml_event_delete (&event);
        if (event_rc)
            goto cleanup;
    }
    rc = 0;
cleanup:
    while (ctx->depth)
        s_frame_free (&ctx->frames[--ctx->depth]);
    s_anchors_clear (ctx);
    yaml_parser_delete (&parser);
    return rc;
}

//  ------------------------------------------------------------------------

static bool s_is_json (const char *name, const char *data, size_t len)
{
    size_t name_len = strlen (name);
    if (name_len >= 5 && strcasecmp (name + name_len - 5, ".json") == 0)
        return true;
    size_t i = 0;
    if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && (data[i] == '{' || data[i] == '[');
}

int sw_doc_load (sw_arena_t *arena, const char *name, const char *data, size_t len, sw_docfmt_t fmt,
                 sw_doclist_t *out, char *err, size_t errlen)
{
    char dummy[1];
    //  The context holds the YAML stack (a few KB); static storage would
    //  not be thread-safe, so it goes on the heap.
    s_ctx_t *ctx = calloc (1, sizeof *ctx);
    if (!ctx) {
        if (err && errlen)
            snprintf (err, errlen, "%s: out of memory", name ? name : "<doc>");
        return -1;
    }
    ctx->arena = arena;
    ctx->name = name ? name : "<doc>";
    ctx->data = data ? data : "";
    ctx->len = len;
    ctx->out = out;
    ctx->err = err && errlen ? err : dummy;
    ctx->errlen = err && errlen ? errlen : sizeof dummy;
    ctx->err[0] = 0;

    int rc = -1;
    if (!arena || !out || (!data && len))
        s_fail (ctx, 0, 0, "no arena, output list or data");
    else if (len > SW_DOC_MAX_BYTES)
        s_fail (ctx, 0, 0, "file is %zu bytes, over the limit of %u bytes", len, SW_DOC_MAX_BYTES);
    else if (fmt == SW_FMT_JSON || (fmt == SW_FMT_AUTO && s_is_json (ctx->name, ctx->data, len)))
        rc = s_load_json (ctx);
    else {
        ctx->yaml = true;
        rc = s_load_yaml (ctx);
    }
    if (rc)
        s_sanitise (ctx->err);
    free (ctx);
    return rc;
}

char *sw_file_read (const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    char *buf = NULL;
    //  O_NONBLOCK: opening a FIFO must not hang before fstat refuses it
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        goto cleanup;
    }
    if (!S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "%s: not a regular file", path);
        goto cleanup;
    }
    if ((uintmax_t)st.st_size > max) {
        snprintf (err, errlen, "%s: file is %jd bytes, over the limit of %zu bytes", path,
                  (intmax_t)st.st_size, max);
        goto cleanup;
    }
    size_t size = (size_t)st.st_size, got = 0;
    buf = malloc (size + 1);
    if (!buf) {
        snprintf (err, errlen, "%s: out of memory", path);
        goto cleanup;
    }
    //  A file that grows meanwhile is read up to the size fstat saw
    while (got < size) {
        ssize_t n = read (fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf (err, errlen, "%s: %s", path, strerror (errno));
            free (buf);
            buf = NULL;
            goto cleanup;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    *len = got;
cleanup:
    if (fd >= 0)
        close (fd);
    return buf;
}

int sw_doc_load_file (sw_arena_t *arena, const char *path, sw_docfmt_t fmt, sw_doclist_t *out,
                      char *err, size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    size_t len = 0;
    char *buf = sw_file_read (path, SW_DOC_MAX_BYTES, &len, err, errlen);
    int rc = buf ? sw_doc_load (arena, path, buf, len, fmt, out, err, errlen) : -1;
    if (rc)
        s_sanitise (err);
    free (buf);
    return rc;
}
