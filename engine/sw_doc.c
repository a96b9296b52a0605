/*  sw_doc - the document model: arena and values. */
#include "sw_doc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (64 * 1024)

typedef struct block_t {
    struct block_t *next;
    size_t size, used;
    max_align_t data[];
} block_t;

struct sw_arena_t {
    block_t *head;
    size_t total;
};

sw_arena_t *sw_arena_new (void)
{
    return calloc (1, sizeof (sw_arena_t));
}

void sw_arena_destroy (sw_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    block_t *b = (*self_p)->head;
    while (b) {
        block_t *next = b->next;
        free (b);
        b = next;
    }
    free (*self_p);
    *self_p = NULL;
}

void *sw_arena_alloc (sw_arena_t *self, size_t size)
{
    size = (size + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
    block_t *b = self->head;
    if (!b || b->size - b->used < size) {
        //  A big request gets a block of its own behind the current one,
        //  so the current block's free space is not thrown away.
        size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        block_t *nb = malloc (sizeof (block_t) + cap);
        if (!nb)
            abort ();
        nb->size = cap;
        nb->used = 0;
        if (b && cap != ARENA_BLOCK) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            self->head = nb;
        }
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    self->total += size;
    memset (p, 0, size);
    return p;
}

char *sw_arena_strndup (sw_arena_t *self, const char *s, size_t len)
{
    char *p = sw_arena_alloc (self, len + 1);
    if (len)
        memcpy (p, s, len);
    p[len] = 0;
    return p;
}

char *sw_arena_strdup (sw_arena_t *self, const char *s)
{
    return sw_arena_strndup (self, s, strlen (s));
}

char *sw_arena_printf (sw_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (n < 0)
        n = 0;
    char *p = sw_arena_alloc (self, (size_t)n + 1);
    va_start (ap, fmt);
    vsnprintf (p, (size_t)n + 1, fmt, ap);
    va_end (ap);
    return p;
}

size_t sw_arena_used (const sw_arena_t *self)
{
    return self->total;
}

static sw_val_t *s_new (sw_arena_t *arena, sw_vtype_t type)
{
    sw_val_t *v = sw_arena_alloc (arena, sizeof (sw_val_t));
    v->type = type;
    return v;
}

sw_val_t *sw_val_null (sw_arena_t *arena)
{
    return s_new (arena, SW_VNULL);
}

sw_val_t *sw_val_bool (sw_arena_t *arena, bool b)
{
    sw_val_t *v = s_new (arena, SW_VBOOL);
    v->b = b;
    return v;
}

sw_val_t *sw_val_int (sw_arena_t *arena, int64_t i)
{
    sw_val_t *v = s_new (arena, SW_VINT);
    v->i = i;
    return v;
}

sw_val_t *sw_val_real (sw_arena_t *arena, double r)
{
    sw_val_t *v = s_new (arena, SW_VREAL);
    v->r = r;
    return v;
}

sw_val_t *sw_val_strn (sw_arena_t *arena, const char *s, size_t len)
{
    sw_val_t *v = s_new (arena, SW_VSTR);
    v->str.s = sw_arena_strndup (arena, s, len);
    v->str.len = len;
    return v;
}

sw_val_t *sw_val_str (sw_arena_t *arena, const char *s)
{
    return sw_val_strn (arena, s, strlen (s));
}

sw_val_t *sw_val_arr (sw_arena_t *arena)
{
    return s_new (arena, SW_VARR);
}

sw_val_t *sw_val_map (sw_arena_t *arena)
{
    return s_new (arena, SW_VMAP);
}

void sw_val_push (sw_arena_t *arena, sw_val_t *arr, sw_val_t *item)
{
    if (arr->arr.n == arr->arr.cap) {
        uint32_t cap = arr->arr.cap ? arr->arr.cap * 2 : 4;
        sw_val_t **items = sw_arena_alloc (arena, cap * sizeof (sw_val_t *));
        if (arr->arr.n)
            memcpy (items, arr->arr.items, arr->arr.n * sizeof (sw_val_t *));
        arr->arr.items = items;
        arr->arr.cap = cap;
    }
    arr->arr.items[arr->arr.n++] = item;
}

void sw_val_set (sw_arena_t *arena, sw_val_t *map, const char *key, sw_val_t *val)
{
    for (uint32_t i = 0; i < map->map.n; i++)
        if (strcmp (map->map.kv[i].key, key) == 0) {
            map->map.kv[i].val = val;
            return;
        }
    sw_val_append (arena, map, sw_arena_strdup (arena, key), val);
}

void sw_val_append (sw_arena_t *arena, sw_val_t *map, const char *key, sw_val_t *val)
{
    if (map->map.n == map->map.cap) {
        uint32_t cap = map->map.cap ? map->map.cap * 2 : 4;
        sw_kv_t *kv = sw_arena_alloc (arena, cap * sizeof (sw_kv_t));
        if (map->map.n)
            memcpy (kv, map->map.kv, map->map.n * sizeof (sw_kv_t));
        map->map.kv = kv;
        map->map.cap = cap;
    }
    map->map.kv[map->map.n].key = key;
    map->map.kv[map->map.n].val = val;
    map->map.n++;
}

int sw_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

sw_val_t *sw_val_get (const sw_val_t *map, const char *key)
{
    if (!map || map->type != SW_VMAP)
        return NULL;
    for (uint32_t i = 0; i < map->map.n; i++)
        if (strcmp (map->map.kv[i].key, key) == 0)
            return map->map.kv[i].val;
    return NULL;
}

sw_val_t *sw_val_dig (const sw_val_t *root, const char *dotted)
{
    const sw_val_t *v = root;
    char key[256];
    while (v && *dotted) {
        const char *dot = strchr (dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen (dotted);
        if (len >= sizeof key)
            return NULL;
        memcpy (key, dotted, len);
        key[len] = 0;
        v = sw_val_get (v, key);
        dotted += len + (dot ? 1 : 0);
    }
    return (sw_val_t *)v;
}

const char *sw_val_cstr (const sw_val_t *v)
{
    return v && v->type == SW_VSTR ? v->str.s : NULL;
}

uint32_t sw_val_count (const sw_val_t *v)
{
    if (!v)
        return 0;
    if (v->type == SW_VARR)
        return v->arr.n;
    if (v->type == SW_VMAP)
        return v->map.n;
    return 0;
}

int sw_val_error (char *err, size_t errlen, const char *file, const sw_val_t *at, const char *fmt,
                  ...)
{
    char what[512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (what, sizeof what, fmt, args);
    va_end (args);
    if (err && errlen)
        snprintf (err, errlen, "%s:%u:%u: %s", file, at ? at->line : 0, at ? at->col : 0, what);
    return -1;
}

const char *sw_vtype_name (sw_vtype_t type)
{
    static const char *names[] = {"null", "bool", "int", "real", "string", "array", "map"};
    return type <= SW_VMAP ? names[type] : "?";
}

typedef struct {
    char *buf;
    size_t len, cap, max;
    bool cut;
} jbuf_t;

static void s_put (jbuf_t *j, const char *s, size_t n)
{
    if (j->cut)
        return;
    if (j->len + n > j->max) {
        //  Units (a character, an escape, a token) go whole or not at all,
        //  so what is cut is still valid UTF-8 and valid JSON escapes.
        n = 0;
        j->cut = true;
    }
    if (j->len + n + 4 > j->cap) {
        size_t cap = (j->len + n + 4) * 2;
        char *b = realloc (j->buf, cap);
        if (!b) {
            j->cut = true;
            return;
        }
        j->buf = b;
        j->cap = cap;
    }
    memcpy (j->buf + j->len, s, n);
    j->len += n;
    if (j->cut) {
        memcpy (j->buf + j->len, "...", 3);
        j->len += 3;
    }
}

static void s_put_jstr (jbuf_t *j, const char *s, size_t len)
{
    s_put (j, "\"", 1);
    for (size_t i = 0; i < len && !j->cut; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            s_put (j, esc, 2);
        } else if (c < 0x20) {
            snprintf (esc, sizeof esc, "\\u%04x", c);
            s_put (j, esc, 6);
        } else {
            //  A UTF-8 sequence is one unit (the loaders only let valid ones in).
            size_t seq = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
            seq = seq < len - i ? seq : len - i;
            s_put (j, (const char *)&s[i], seq);
            i += seq - 1;
        }
    }
    s_put (j, "\"", 1);
}

static void s_json (jbuf_t *j, const sw_val_t *v, int depth)
{
    char num[64];
    if (j->cut)
        return;
    if (!v || depth > 64) {
        s_put (j, "null", 4);
        return;
    }
    switch (v->type) {
    case SW_VNULL:
        s_put (j, "null", 4);
        break;
    case SW_VBOOL:
        s_put (j, v->b ? "true" : "false", v->b ? 4 : 5);
        break;
    case SW_VINT:
        s_put (j, num, (size_t)snprintf (num, sizeof num, "%lld", (long long)v->i));
        break;
    case SW_VREAL:
        if (isfinite (v->r))
            s_put (j, num, (size_t)snprintf (num, sizeof num, "%.17g", v->r));
        else
            s_put (j, "null", 4);
        break;
    case SW_VSTR:
        s_put_jstr (j, v->str.s, v->str.len);
        break;
    case SW_VARR:
        s_put (j, "[", 1);
        for (uint32_t i = 0; i < v->arr.n; i++) {
            if (i)
                s_put (j, ",", 1);
            s_json (j, v->arr.items[i], depth + 1);
        }
        s_put (j, "]", 1);
        break;
    case SW_VMAP:
        s_put (j, "{", 1);
        for (uint32_t i = 0; i < v->map.n; i++) {
            if (i)
                s_put (j, ",", 1);
            s_put_jstr (j, v->map.kv[i].key, strlen (v->map.kv[i].key));
            s_put (j, ":", 1);
            s_json (j, v->map.kv[i].val, depth + 1);
        }
        s_put (j, "}", 1);
        break;
    }
}

char *sw_val_to_json (const sw_val_t *v, size_t max)
{
    jbuf_t j = {NULL, 0, 0, max, false};
    s_put (&j, "", 0);
    s_json (&j, v, 0);
    if (!j.buf)
        return NULL;
    j.buf[j.len] = 0;
    return j.buf;
}

bool sw_val_equal (const sw_val_t *a, const sw_val_t *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    if (a->type == SW_VINT && b->type == SW_VREAL)
        return (double)a->i == b->r;
    if (a->type == SW_VREAL && b->type == SW_VINT)
        return a->r == (double)b->i;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case SW_VNULL:
        return true;
    case SW_VBOOL:
        return a->b == b->b;
    case SW_VINT:
        return a->i == b->i;
    case SW_VREAL:
        return a->r == b->r;
    case SW_VSTR:
        return a->str.len == b->str.len && memcmp (a->str.s, b->str.s, a->str.len) == 0;
    case SW_VARR:
        if (a->arr.n != b->arr.n)
            return false;
        for (uint32_t i = 0; i < a->arr.n; i++)
            if (!sw_val_equal (a->arr.items[i], b->arr.items[i]))
                return false;
        return true;
    case SW_VMAP:
        if (a->map.n != b->map.n)
            return false;
        for (uint32_t i = 0; i < a->map.n; i++)
            if (!sw_val_equal (a->map.kv[i].val, sw_val_get (b, a->map.kv[i].key)))
                return false;
        return true;
    }
    return false;
}
