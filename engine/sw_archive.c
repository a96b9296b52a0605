/*  sw_archive - the members of an archive held in memory. */
#include "sw_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 4096

bool sw_archive_is_archive (const char *name, const char *data, size_t len)
{
    (void)name; //  by content only: names lie both ways
    const unsigned char *d = (const unsigned char *)data;
    if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
        return true; //  gzip
    if (len >= 4 && memcmp (d, "PK\x03\x04", 4) == 0)
        return true; //  zip
    if (len >= 3 && memcmp (d, "BZh", 3) == 0)
        return true; //  bzip2
    if (len >= 6 && memcmp (d, "\xfd\x37\x7a\x58\x5a\x00", 6) == 0)
        return true; //  xz
    if (len >= 262 && memcmp (d + 257, "ustar", 5) == 0)
        return true; //  tar (POSIX or GNU)
    return false;
}

typedef struct {
    const sw_archive_limits_t *limits;
    sw_archive_fn *fn;
    void *arg;
    sw_archive_stats_t *stats;
    char *err;
    size_t errlen;
    bool stopped;
} walk_t;

static int s_fail (walk_t *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int s_fail (walk_t *w, const char *fmt, ...)
{
    if (w->err && w->errlen && !*w->err) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (w->err, w->errlen, fmt, args);
        va_end (args);
    }
    return -1;
}

//  The name of a raw (single compressed file) member: the outer name
//  without its compression suffix.
static void s_raw_name (const char *outer, char *out, size_t len)
{
    const char *slash = strrchr (outer, '/');
    const char *base = slash ? slash + 1 : outer;
    snprintf (out, len, "%s", base);
    size_t n = strlen (out);
    const char *suffixes[] = {".gz", ".bz2", ".xz", ".tgz"};
    for (size_t i = 0; i < 4; i++) {
        size_t s = strlen (suffixes[i]);
        if (n > s && strcmp (out + n - s, suffixes[i]) == 0) {
            out[n - s] = 0;
            break;
        }
    }
}

static int s_walk (walk_t *w, const char *name, const char *data, size_t len, int depth);

static int s_member (walk_t *w, struct archive *a, const char *path, int depth)
{
    size_t max = w->limits->max_member;
    size_t cap = 65536, n = 0;
    char *buf = malloc (cap);
    if (!buf)
        return s_fail (w, "%s: out of memory", path);
    bool too_big = false;
    while (true) {
        if (n == cap) {
            if (cap > max) {
                too_big = true;
                break;
            }
            size_t bigger = cap * 2;
            char *grown = realloc (buf, bigger);
            if (!grown) {
                free (buf);
                return s_fail (w, "%s: out of memory", path);
            }
            buf = grown;
            cap = bigger;
        }
        la_ssize_t got = archive_read_data (a, buf + n, cap - n);
        if (got < 0) {
            free (buf);
            return s_fail (w, "%s: %s", path, archive_error_string (a));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        w->stats->unpacked += (uint64_t)got;
        if (w->stats->unpacked > w->limits->max_total) {
            free (buf);
            return s_fail (w, "%s: unpacks to more than %llu bytes; stopped there", path,
                           (unsigned long long)w->limits->max_total);
        }
    }
    int rc = 0;
    if (too_big || n > max)
        w->stats->skipped++;
    else if (depth + 1 < SW_ARCHIVE_MAX_DEPTH && sw_archive_is_archive (path, buf, n))
        rc = s_walk (w, path, buf, n, depth + 1);
    else {
        w->stats->members++;
        if (w->fn && w->fn (w->arg, path, buf, n) != 0)
            w->stopped = true;
    }
    free (buf);
    return rc;
}

static int s_walk (walk_t *w, const char *name, const char *data, size_t len, int depth)
{
    struct archive *a = archive_read_new ();
    if (!a)
        return s_fail (w, "%s: out of memory", name);
    archive_read_support_filter_gzip (a);
    archive_read_support_filter_bzip2 (a);
    archive_read_support_filter_xz (a);
    archive_read_support_format_tar (a);
    archive_read_support_format_gnutar (a);
    archive_read_support_format_zip (a);
    archive_read_support_format_raw (a); //  a lone .gz: one member
    int rc = 0;
    if (archive_read_open_memory (a, data, len) != ARCHIVE_OK) {
        rc = s_fail (w, "%s: %s", name, archive_error_string (a));
        archive_read_free (a);
        return rc;
    }
    struct archive_entry *entry;
    uint64_t members = 0;
    int step;
    while (!w->stopped && (step = archive_read_next_header (a, &entry)) == ARCHIVE_OK) {
        if (++members > SW_ARCHIVE_MAX_MEMBERS) {
            rc =
                s_fail (w, "%s: more than %d members; stopped there", name, SW_ARCHIVE_MAX_MEMBERS);
            break;
        }
        if (archive_entry_filetype (entry) != AE_IFREG) {
            w->stats->skipped++;
            continue;
        }
        char inner[PATH_MAX_LEN], path[PATH_MAX_LEN];
        bool raw = archive_format (a) == ARCHIVE_FORMAT_RAW;
        if (raw)
            s_raw_name (name, inner, sizeof inner);
        else
            snprintf (inner, sizeof inner, "%s", archive_entry_pathname (entry) ?: "?");
        if ((size_t)snprintf (path, sizeof path, "%s!/%s", name, inner) >= sizeof path) {
            w->stats->skipped++;
            continue;
        }
        if (s_member (w, a, path, depth)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && !w->stopped && step != ARCHIVE_EOF && step != ARCHIVE_OK)
        rc = s_fail (w, "%s: %s", name, archive_error_string (a) ?: "damaged archive");
    archive_read_free (a);
    return rc;
}

int sw_archive_walk (const char *name, const char *data, size_t len,
                     const sw_archive_limits_t *limits, sw_archive_fn *fn, void *arg,
                     sw_archive_stats_t *stats, char *err, size_t errlen)
{
    sw_archive_stats_t none;
    if (!stats)
        stats = &none;
    memset (stats, 0, sizeof *stats);
    if (err && errlen)
        *err = 0;
    walk_t w = {limits, fn, arg, stats, err, errlen, false};
    return s_walk (&w, name ? name : "archive", data, len, 0);
}
