/*  sw_target - port lists, host lists and scopes.

    Port lists are kept as sorted, merged ranges with a prefix sum so that
    the planner can index and slice them in O(log ranges) without ever
    expanding 65535 ports into memory. Host lists keep each spec as given,
    in order, because the planner indexes addresses by position and error
    messages must quote what the user wrote. */
#include "sw_target.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  How much of an offending item we quote back: enough to recognise it,
//  not enough to echo a 64 KiB payload into a log line.
#define QUOTE_MAX 40

typedef struct {
    uint16_t lo, hi;
} port_range_t;

struct sw_portlist_t {
    port_range_t *ranges;
    uint32_t *before; //  ports in ranges [0, i), for O(log n) indexing
    size_t nranges;
    uint32_t count;
};

typedef struct {
    char *spec;
    uint32_t lo, hi;
    uint64_t before; //  addresses in items [0, i)
} host_item_t;

struct sw_hostlist_t {
    host_item_t *items;
    size_t size, cap;
    uint64_t count;
};

static void s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

//  Copies untrusted text for use in a message: bounded, and with control
//  and non-ASCII bytes replaced so the message cannot forge log lines.
static void s_quote (const char *text, size_t len, char *out, size_t outlen)
{
    size_t limit = len > QUOTE_MAX ? QUOTE_MAX : len;
    size_t o = 0;
    for (size_t i = 0; i < limit && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)text[i];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    if (limit < len)
        for (int i = 0; i < 3 && o + 1 < outlen; i++)
            out[o++] = '.';
    out[o] = '\0';
}

static int s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

//  Reads a decimal number from [*p, end). Saturates at 65536 so that huge
//  inputs are reported as out of range rather than overflowing.
static int s_read_number (const char **p, const char *end, uint32_t *value)
{
    const char *s = *p;
    if (s >= end || !s_is_digit (*s))
        return -1;
    uint32_t v = 0;
    while (s < end && s_is_digit (*s)) {
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > 65536)
            v = 65536;
        s++;
    }
    *p = s;
    *value = v;
    return 0;
}

//  Parses one trimmed item [start, end) into a range; 0 or -1 with err set.
static int s_parse_port_item (const char *start, const char *end, size_t index, port_range_t *range,
                              char *err, size_t errlen)
{
    char quoted[QUOTE_MAX + 4];
    s_quote (start, (size_t)(end - start), quoted, sizeof quoted);
    if (start == end) {
        s_err (err, errlen, "ports: item %zu '': empty item", index);
        return -1;
    }
    const char *p = start;
    uint32_t lo, hi;
    if (s_read_number (&p, end, &lo) != 0)
        goto syntax;
    hi = lo;
    if (p < end && *p == '-') {
        p++;
        if (s_read_number (&p, end, &hi) != 0)
            goto syntax;
    }
    if (p != end)
        goto syntax;
    if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
        s_err (err, errlen, "ports: item %zu '%s': port out of range 1-65535", index, quoted);
        return -1;
    }
    if (lo > hi) {
        s_err (err, errlen, "ports: item %zu '%s': range start %u is above its end %u", index,
               quoted, lo, hi);
        return -1;
    }
    range->lo = (uint16_t)lo;
    range->hi = (uint16_t)hi;
    return 0;

syntax:
    s_err (err, errlen, "ports: item %zu '%s': expected a port or a range like 8000-8100", index,
           quoted);
    return -1;
}

static int s_port_range_cmp (const void *a, const void *b)
{
    const port_range_t *x = a, *y = b;
    return (int)x->lo - (int)y->lo;
}

sw_portlist_t *sw_portlist_parse (const char *spec, char *err, size_t errlen)
{
    if (!spec) {
        s_err (err, errlen, "ports: no spec");
        return NULL;
    }
    size_t len = strnlen (spec, SW_PORTLIST_MAX_SPEC + 1);
    if (len > SW_PORTLIST_MAX_SPEC) {
        s_err (err, errlen, "ports: spec longer than %d bytes", SW_PORTLIST_MAX_SPEC);
        return NULL;
    }
    size_t items = 1;
    int blank = 1;
    for (size_t i = 0; i < len; i++) {
        if (spec[i] == ',')
            items++;
        if (!s_is_space (spec[i]))
            blank = 0;
    }
    if (blank) {
        s_err (err, errlen, "ports: empty spec");
        return NULL;
    }
    if (items > SW_PORTLIST_MAX_ITEMS) {
        s_err (err, errlen, "ports: %zu items, at most %d allowed", items, SW_PORTLIST_MAX_ITEMS);
        return NULL;
    }
    sw_portlist_t *self = calloc (1, sizeof *self);
    port_range_t *ranges = calloc (items, sizeof *ranges);
    uint32_t *before = calloc (items, sizeof *before);
    if (!self || !ranges || !before) {
        s_err (err, errlen, "ports: out of memory");
        goto fail;
    }
    const char *cursor = spec;
    for (size_t i = 0; i < items; i++) {
        const char *end = strchr (cursor, ',');
        if (!end)
            end = spec + len;
        const char *next = *end ? end + 1 : end;
        while (cursor < end && s_is_space (*cursor))
            cursor++;
        while (end > cursor && s_is_space (end[-1]))
            end--;
        if (s_parse_port_item (cursor, end, i + 1, &ranges[i], err, errlen) != 0)
            goto fail;
        cursor = next;
    }
    qsort (ranges, items, sizeof *ranges, s_port_range_cmp);

    //  Merge overlapping and adjacent ranges so the canonical form is unique
    size_t n = 0;
    for (size_t i = 0; i < items; i++) {
        if (n > 0 && (uint32_t)ranges[i].lo <= (uint32_t)ranges[n - 1].hi + 1) {
            if (ranges[i].hi > ranges[n - 1].hi)
                ranges[n - 1].hi = ranges[i].hi;
        } else
            ranges[n++] = ranges[i];
    }
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++) {
        before[i] = total;
        total += (uint32_t)ranges[i].hi - ranges[i].lo + 1;
    }
    self->ranges = ranges;
    self->before = before;
    self->nranges = n;
    self->count = total;
    return self;

fail:
    free (before);
    free (ranges);
    free (self);
    return NULL;
}

void sw_portlist_destroy (sw_portlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_portlist_t *self = *self_p;
    free (self->ranges);
    free (self->before);
    free (self);
    *self_p = NULL;
}

uint32_t sw_portlist_count (const sw_portlist_t *self)
{
    return self ? self->count : 0;
}

//  Index of the range holding the n-th port; n must be < count.
static size_t s_portlist_find (const sw_portlist_t *self, uint32_t n)
{
    size_t lo = 0, hi = self->nranges - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (self->before[mid] <= n)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

uint16_t sw_portlist_nth (const sw_portlist_t *self, uint32_t n)
{
    if (!self || n >= self->count)
        return 0;
    size_t i = s_portlist_find (self, n);
    return (uint16_t)(self->ranges[i].lo + (n - self->before[i]));
}

int sw_portlist_slice_format (const sw_portlist_t *self, uint32_t first, uint32_t count, char *buf,
                              size_t buflen)
{
    if (!buf || buflen == 0)
        return -1;
    buf[0] = '\0';
    if (!self || count == 0 || first >= self->count || count > self->count - first)
        return -1;
    size_t i = s_portlist_find (self, first);
    uint32_t lo = self->ranges[i].lo + (first - self->before[i]);
    uint32_t remaining = count;
    size_t used = 0;
    while (remaining > 0) {
        uint32_t hi = self->ranges[i].hi;
        if (hi - lo + 1 > remaining)
            hi = lo + remaining - 1;
        int written =
            lo == hi ? snprintf (buf + used, buflen - used, "%s%u", used ? "," : "", lo)
                     : snprintf (buf + used, buflen - used, "%s%u-%u", used ? "," : "", lo, hi);
        if (written < 0 || (size_t)written >= buflen - used) {
            buf[0] = '\0';
            return -1;
        }
        used += (size_t)written;
        remaining -= hi - lo + 1;
        if (++i < self->nranges)
            lo = self->ranges[i].lo;
    }
    return 0;
}

void sw_ipv4_format (uint32_t addr, char *buf)
{
    snprintf (buf, SW_IPV4_STRLEN, "%u.%u.%u.%u", (addr >> 24) & 0xff, (addr >> 16) & 0xff,
              (addr >> 8) & 0xff, addr & 0xff);
}

int sw_ipv4_parse (const char *text, uint32_t *addr)
{
    if (!text || !addr)
        return -1;
    uint32_t result = 0;
    const char *p = text;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0 && *p++ != '.')
            return -1;
        if (!s_is_digit (*p))
            return -1;
        //  A leading zero is how inet_aton spells octal; refuse the ambiguity
        if (*p == '0' && s_is_digit (p[1]))
            return -1;
        uint32_t value = 0;
        int digits = 0;
        while (s_is_digit (*p) && digits < 4) {
            value = value * 10 + (uint32_t)(*p++ - '0');
            digits++;
        }
        if (value > 255)
            return -1;
        result = (result << 8) | value;
    }
    if (*p != '\0')
        return -1;
    *addr = result;
    return 0;
}

sw_hostlist_t *sw_hostlist_new (void)
{
    return calloc (1, sizeof (sw_hostlist_t));
}

void sw_hostlist_destroy (sw_hostlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_hostlist_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++)
        free (self->items[i].spec);
    free (self->items);
    free (self);
    *self_p = NULL;
}

//  Parses a trimmed, NUL-terminated host spec into [*lo, *hi].
static int s_parse_host (const char *spec, uint32_t *lo, uint32_t *hi, char *err, size_t errlen)
{
    char quoted[QUOTE_MAX + 4];
    s_quote (spec, strlen (spec), quoted, sizeof quoted);
    if (strchr (spec, ':')) {
        s_err (err, errlen, "hosts: %s: IPv6 targets are not supported yet", quoted);
        return -1;
    }
    char address[SW_HOSTLIST_MAX_SPEC + 1];
    const char *slash = strchr (spec, '/');
    size_t addrlen = slash ? (size_t)(slash - spec) : strlen (spec);
    memcpy (address, spec, addrlen);
    address[addrlen] = '\0';
    uint32_t addr;
    if (sw_ipv4_parse (address, &addr) != 0) {
        s_err (err, errlen,
               "hosts: %s: not an IPv4 address or CIDR (expected e.g. 10.0.0.1 or 10.0.0.0/24)",
               quoted);
        return -1;
    }
    unsigned prefix = 32;
    if (slash) {
        const char *p = slash + 1;
        //  One or two digits, no leading zero: "/024" is more likely a typo than a prefix
        if (!s_is_digit (p[0]) || (p[1] && !s_is_digit (p[1])) || (p[1] && p[2]) ||
            (p[0] == '0' && p[1])) {
            s_err (err, errlen, "hosts: %s: prefix length must be a number 0-32", quoted);
            return -1;
        }
        prefix = (unsigned)(p[0] - '0');
        if (p[1])
            prefix = prefix * 10 + (unsigned)(p[1] - '0');
        if (prefix > 32) {
            s_err (err, errlen, "hosts: %s: prefix length must be a number 0-32", quoted);
            return -1;
        }
    }
    uint32_t mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
    if (addr & ~mask) {
        char network[SW_IPV4_STRLEN];
        sw_ipv4_format (addr & mask, network);
        s_err (err, errlen, "hosts: %s: host bits set, did you mean %s/%u", quoted, network,
               prefix);
        return -1;
    }
    *lo = addr;
    *hi = addr | ~mask;
    return 0;
}

int sw_hostlist_add (sw_hostlist_t *self, const char *spec, char *err, size_t errlen)
{
    if (!self || !spec) {
        s_err (err, errlen, "hosts: no spec");
        return -1;
    }
    size_t len = strnlen (spec, SW_HOSTLIST_MAX_SPEC + 1);
    if (len > SW_HOSTLIST_MAX_SPEC) {
        char quoted[QUOTE_MAX + 4];
        s_quote (spec, len, quoted, sizeof quoted);
        s_err (err, errlen, "hosts: %s: spec longer than %d bytes", quoted, SW_HOSTLIST_MAX_SPEC);
        return -1;
    }
    const char *start = spec, *end = spec + len;
    while (start < end && s_is_space (*start))
        start++;
    while (end > start && s_is_space (end[-1]))
        end--;
    if (start == end) {
        s_err (err, errlen, "hosts: empty spec");
        return -1;
    }
    if (self->size >= SW_HOSTLIST_MAX_SPECS) {
        s_err (err, errlen, "hosts: more than %d specs", SW_HOSTLIST_MAX_SPECS);
        return -1;
    }
    char *copy = strndup (start, (size_t)(end - start));
    if (!copy) {
        s_err (err, errlen, "hosts: out of memory");
        return -1;
    }
    uint32_t lo, hi;
    if (s_parse_host (copy, &lo, &hi, err, errlen) != 0) {
        free (copy);
        return -1;
    }
    if (self->size == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        host_item_t *items = realloc (self->items, cap * sizeof *items);
        if (!items) {
            free (copy);
            s_err (err, errlen, "hosts: out of memory");
            return -1;
        }
        self->items = items;
        self->cap = cap;
    }
    host_item_t *item = &self->items[self->size++];
    item->spec = copy;
    item->lo = lo;
    item->hi = hi;
    item->before = self->count;
    self->count += (uint64_t)hi - lo + 1;
    return 0;
}

uint64_t sw_hostlist_count (const sw_hostlist_t *self)
{
    return self ? self->count : 0;
}

uint32_t sw_hostlist_nth (const sw_hostlist_t *self, uint64_t n)
{
    if (!self || n >= self->count)
        return 0;
    size_t lo = 0, hi = self->size - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (self->items[mid].before <= n)
            lo = mid;
        else
            hi = mid - 1;
    }
    return self->items[lo].lo + (uint32_t)(n - self->items[lo].before);
}

size_t sw_hostlist_size (const sw_hostlist_t *self)
{
    return self ? self->size : 0;
}

const char *sw_hostlist_spec (const sw_hostlist_t *self, size_t i)
{
    return self && i < self->size ? self->items[i].spec : NULL;
}

typedef struct {
    uint32_t lo, hi;
} addr_range_t;

static int s_addr_range_cmp (const void *a, const void *b)
{
    const addr_range_t *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

static void s_offender (char *offender, size_t len, const char *text)
{
    if (offender && len > 0)
        snprintf (offender, len, "%s", text);
}

int sw_hostlist_within (const sw_hostlist_t *self, const sw_hostlist_t *scope, char *offender,
                        size_t len)
{
    if (offender && len > 0)
        offender[0] = '\0';
    if (!self || self->size == 0)
        return 1;
    if (!scope || scope->size == 0) {
        s_offender (offender, len, self->items[0].spec);
        return 0;
    }
    //  Merge the scope first: a target may straddle two adjacent scope
    //  ranges (two /25s covering a /24) and is still within scope.
    addr_range_t *merged = malloc (scope->size * sizeof *merged);
    if (!merged) {
        s_offender (offender, len, "(out of memory)");
        return 0;
    }
    for (size_t i = 0; i < scope->size; i++) {
        merged[i].lo = scope->items[i].lo;
        merged[i].hi = scope->items[i].hi;
    }
    qsort (merged, scope->size, sizeof *merged, s_addr_range_cmp);
    size_t n = 0;
    for (size_t i = 0; i < scope->size; i++) {
        if (n > 0 && (uint64_t)merged[i].lo <= (uint64_t)merged[n - 1].hi + 1) {
            if (merged[i].hi > merged[n - 1].hi)
                merged[n - 1].hi = merged[i].hi;
        } else
            merged[n++] = merged[i];
    }
    int result = 1;
    for (size_t i = 0; i < self->size && result; i++) {
        const host_item_t *item = &self->items[i];
        //  Last merged range starting at or below item->lo is the only candidate
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (merged[mid].lo <= item->lo)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || merged[lo - 1].hi < item->hi) {
            s_offender (offender, len, item->spec);
            result = 0;
        }
    }
    free (merged);
    return result;
}
