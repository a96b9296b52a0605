/*  sw_mpv - bounded MessagePack decoder. See sw_mpv.h for the contract.

    Two passes over the bytes: the first validates the structure and counts
    values and string bytes without allocating; the second fills a single
    allocation sized from those counts. Both passes share one walker, so
    they cannot disagree about what is valid. */
#include "sw_mpv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    size_t values;    //  values seen (pass 1) or placed (pass 2)
    size_t str_bytes; //  string bytes including NULs
    sw_mpv_t *slots;  //  pass 2: value slots
    size_t next_slot; //  pass 2: next free slot for container items
    char *strings;    //  pass 2: string arena
    size_t next_str;
    char *err;
    size_t errlen;
} walker_t;

static int s_fail (walker_t *w, const char *fmt, ...)
{
    if (w->err && w->errlen) {
        char msg[160];
        va_list args;
        va_start (args, fmt);
        vsnprintf (msg, sizeof msg, fmt, args);
        va_end (args);
        snprintf (w->err, w->errlen, "msgpack at byte %zu: %s", w->pos, msg);
    }
    return -1;
}

static int s_need (walker_t *w, size_t n)
{
    if (w->size - w->pos < n)
        return s_fail (w, "truncated: need %zu bytes, %zu left", n, w->size - w->pos);
    return 0;
}

static uint64_t s_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

//  Reads an n-byte big-endian length or count that follows the type byte.
static int s_read_len (walker_t *w, int n, uint64_t *len)
{
    if (s_need (w, (size_t)n))
        return -1;
    *len = s_be (w->data + w->pos, n);
    w->pos += (size_t)n;
    return 0;
}

static int s_walk (walker_t *w, sw_mpv_t *out, int depth);

static int s_string (walker_t *w, sw_mpv_t *out, sw_mpv_type_t type, uint64_t len)
{
    if (s_need (w, len))
        return -1;
    if (out) {
        char *copy = w->strings + w->next_str;
        memcpy (copy, w->data + w->pos, len);
        copy[len] = 0;
        out->type = type;
        out->len = (uint32_t)len;
        out->v.s = copy;
        w->next_str += len + 1;
    } else
        w->str_bytes += len + 1;
    w->pos += len;
    return 0;
}

static int s_container (walker_t *w, sw_mpv_t *out, sw_mpv_type_t type, uint64_t count, int depth)
{
    if (depth >= SW_MPV_MAX_DEPTH)
        return s_fail (w, "nesting deeper than %d", SW_MPV_MAX_DEPTH);
    uint64_t items = type == SW_MPV_MAP ? count * 2 : count;
    //  Every item takes at least one byte, so a count larger than the bytes
    //  left is a lie and is rejected before anything is sized from it.
    if (items > w->size - w->pos)
        return s_fail (w, "container declares %llu items but only %zu bytes remain",
                       (unsigned long long)items, w->size - w->pos);
    sw_mpv_t *children = NULL;
    if (out) {
        children = w->slots + w->next_slot;
        w->next_slot += items;
        out->type = type;
        out->len = (uint32_t)count;
        out->v.items = children;
    }
    for (uint64_t i = 0; i < items; i++)
        if (s_walk (w, children ? children + i : NULL, depth + 1))
            return -1;
    return 0;
}

static int s_scalar (walker_t *w, sw_mpv_t *out, sw_mpv_type_t type, uint64_t bits)
{
    (void)w;
    if (out) {
        out->type = type;
        out->len = 0;
        if (type == SW_MPV_UINT)
            out->v.u = bits;
        else if (type == SW_MPV_INT)
            out->v.i = (int64_t)bits;
        else if (type == SW_MPV_BOOL)
            out->v.b = bits != 0;
        else
            out->v.u = 0;
    }
    return 0;
}

static int s_signed (walker_t *w, sw_mpv_t *out, int n)
{
    uint64_t raw;
    if (s_read_len (w, n, &raw))
        return -1;
    int64_t value;
    if (n == 1)
        value = (int8_t)raw;
    else if (n == 2)
        value = (int16_t)raw;
    else if (n == 4)
        value = (int32_t)raw;
    else
        value = (int64_t)raw;
    if (value >= 0)
        return s_scalar (w, out, SW_MPV_UINT, (uint64_t)value);
    return s_scalar (w, out, SW_MPV_INT, (uint64_t)value);
}

static int s_float (walker_t *w, sw_mpv_t *out, int n)
{
    uint64_t raw;
    if (s_read_len (w, n, &raw))
        return -1;
    if (out) {
        out->type = SW_MPV_FLOAT;
        out->len = 0;
        if (n == 4) {
            uint32_t r32 = (uint32_t)raw;
            float f;
            memcpy (&f, &r32, sizeof f);
            out->v.f = f;
        } else
            memcpy (&out->v.f, &raw, sizeof out->v.f);
    }
    return 0;
}

static int s_walk (walker_t *w, sw_mpv_t *out, int depth)
{
    if (++w->values > SW_MPV_MAX_VALUES)
        return s_fail (w, "more than %u values", SW_MPV_MAX_VALUES);
    if (s_need (w, 1))
        return -1;
    uint8_t tag = w->data[w->pos++];
    uint64_t len;

    if (tag <= 0x7f)
        return s_scalar (w, out, SW_MPV_UINT, tag);
    if (tag >= 0xe0)
        return s_scalar (w, out, SW_MPV_INT, (uint64_t)(int64_t)(int8_t)tag);
    if ((tag & 0xf0) == 0x80)
        return s_container (w, out, SW_MPV_MAP, tag & 0x0f, depth);
    if ((tag & 0xf0) == 0x90)
        return s_container (w, out, SW_MPV_ARRAY, tag & 0x0f, depth);
    if ((tag & 0xe0) == 0xa0)
        return s_string (w, out, SW_MPV_STR, tag & 0x1f);

    switch (tag) {
    case 0xc0:
        return s_scalar (w, out, SW_MPV_NIL, 0);
    case 0xc2:
    case 0xc3:
        return s_scalar (w, out, SW_MPV_BOOL, tag == 0xc3);
    case 0xc4:
    case 0xc5:
    case 0xc6:
        if (s_read_len (w, 1 << (tag - 0xc4), &len))
            return -1;
        return s_string (w, out, SW_MPV_BIN, len);
    case 0xca:
        return s_float (w, out, 4);
    case 0xcb:
        return s_float (w, out, 8);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (s_read_len (w, 1 << (tag - 0xcc), &len))
            return -1;
        return s_scalar (w, out, SW_MPV_UINT, len);
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return s_signed (w, out, 1 << (tag - 0xd0));
    case 0xd9:
    case 0xda:
    case 0xdb:
        if (s_read_len (w, 1 << (tag - 0xd9), &len))
            return -1;
        return s_string (w, out, SW_MPV_STR, len);
    case 0xdc:
    case 0xdd:
        if (s_read_len (w, tag == 0xdc ? 2 : 4, &len))
            return -1;
        return s_container (w, out, SW_MPV_ARRAY, len, depth);
    case 0xde:
    case 0xdf:
        if (s_read_len (w, tag == 0xde ? 2 : 4, &len))
            return -1;
        return s_container (w, out, SW_MPV_MAP, len, depth);
    default:
        //  ext types (0xc7-0xc9, 0xd4-0xd8) and the never-used 0xc1
        w->pos--;
        return s_fail (w, "unsupported type byte 0x%02x", tag);
    }
}

int sw_mpdoc_decode (const void *data, size_t size, sw_mpdoc_t *doc, char *err, size_t errlen)
{
    doc->root = NULL;
    doc->mem = NULL;
    walker_t w = {.data = data, .size = size, .err = err, .errlen = errlen};
    if (size == 0) {
        snprintf (err, errlen, "msgpack: empty body");
        return -1;
    }
    if (s_walk (&w, NULL, 0))
        return -1;
    if (w.pos != size)
        return s_fail (&w, "%zu trailing bytes after the value", size - w.pos);
    size_t nvalues = w.values;
    size_t slot_bytes = nvalues * sizeof (sw_mpv_t);
    char *mem = malloc (slot_bytes + w.str_bytes + 1);
    if (!mem) {
        snprintf (err, errlen, "msgpack: out of memory for %zu values", nvalues);
        return -1;
    }
    walker_t fill = {.data = data,
                     .size = size,
                     .slots = (sw_mpv_t *)mem,
                     .next_slot = 1,
                     .strings = mem + slot_bytes,
                     .err = err,
                     .errlen = errlen};
    if (s_walk (&fill, fill.slots, 0)) {
        free (mem); //  unreachable unless the walker is inconsistent
        return -1;
    }
    doc->root = fill.slots;
    doc->mem = mem;
    return 0;
}

void sw_mpdoc_free (sw_mpdoc_t *doc)
{
    if (doc) {
        free (doc->mem);
        doc->mem = NULL;
        doc->root = NULL;
    }
}

const sw_mpv_t *sw_mpv_get (const sw_mpv_t *map, const char *key)
{
    if (!map || map->type != SW_MPV_MAP)
        return NULL;
    size_t keylen = strlen (key);
    for (uint32_t i = 0; i < map->len; i++) {
        const sw_mpv_t *k = &map->v.items[2 * i];
        if (k->type == SW_MPV_STR && k->len == keylen && memcmp (k->v.s, key, keylen) == 0)
            return &map->v.items[2 * i + 1];
    }
    return NULL;
}

//  True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
//  surrogates, nothing above U+10FFFF).
static bool s_utf8_ok (const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else
            return false;
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

const char *sw_mpv_str (const sw_mpv_t *value)
{
    if (!value || value->type != SW_MPV_STR || strlen (value->v.s) != value->len ||
        !s_utf8_ok ((const unsigned char *)value->v.s, value->len))
        return NULL;
    return value->v.s;
}

int sw_mpv_uint (const sw_mpv_t *value, uint64_t max, uint64_t *out)
{
    if (!value || value->type != SW_MPV_UINT || value->v.u > max)
        return -1;
    *out = value->v.u;
    return 0;
}
