/*  sw_archive - the members of an archive held in memory. */
#include "sw_archive.h"

#define _XOPEN_SOURCE 700 //  nftw
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_docload.h"

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

//  ---------------------------------------------------------------------
//  A folder as a tar, and back (a git repository on its way to a node)

//  Is NAME a relative path without ".." or empty components?
static bool s_safe_name (const char *name)
{
    if (!*name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        size_t n = strcspn (p, "/");
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

//  Creates the folders above DIR/NAME (0700).
static int s_make_parents (const char *dir, const char *name)
{
    char path[PATH_MAX_LEN];
    size_t dl = strlen (dir);
    if ((size_t)snprintf (path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return -1;
    for (char *p = path + dl + 1; (p = strchr (p, '/')); p++) {
        *p = 0;
        if (mkdir (path, 0700) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

int sw_archive_unpack (const void *data, size_t len, const char *dir, uint64_t max_total, char *err,
                       size_t errlen)
{
    struct archive *a = archive_read_new ();
    if (!a) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    archive_read_support_filter_gzip (a);
    archive_read_support_format_tar (a);
    archive_read_support_format_gnutar (a);
    int rc = 0, step;
    uint64_t total = 0, members = 0;
    struct archive_entry *entry;
    char *buf = malloc (65536);
    if (!buf || archive_read_open_memory (a, data, len) != ARCHIVE_OK) {
        snprintf (err, errlen, "%s", buf ? archive_error_string (a) : "out of memory");
        free (buf);
        archive_read_free (a);
        return -1;
    }
    while (rc == 0 && (step = archive_read_next_header (a, &entry)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname (entry);
        mode_t type = archive_entry_filetype (entry);
        if (type != AE_IFREG && type != AE_IFDIR)
            continue; //  links are not followed, nor devices made
        char trimmed[PATH_MAX_LEN];
        if (name && type == AE_IFDIR) {
            //  "a/b/" as "a/b"
            snprintf (trimmed, sizeof trimmed, "%s", name);
            size_t n = strlen (trimmed);
            while (n > 1 && trimmed[n - 1] == '/')
                trimmed[--n] = 0;
            name = trimmed;
        }
        if (++members > SW_ARCHIVE_MAX_MEMBERS || !name || !s_safe_name (name)) {
            snprintf (err, errlen, "member %.300s: %s", name ? name : "?",
                      members > SW_ARCHIVE_MAX_MEMBERS ? "too many members"
                                                       : "not a plain relative path");
            rc = -1;
            break;
        }
        char path[PATH_MAX_LEN * 2];
        snprintf (path, sizeof path, "%s/%s", dir, name);
        if (type == AE_IFDIR) {
            if (s_make_parents (dir, name) || (mkdir (path, 0700) && errno != EEXIST)) {
                snprintf (err, errlen, "member %.300s: %s", name, strerror (errno));
                rc = -1;
            }
            continue;
        }
        int fd = s_make_parents (dir, name)
                     ? -1
                     : open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf (err, errlen, "member %.300s: %s", name, strerror (errno));
            rc = -1;
            break;
        }
        la_ssize_t got;
        while ((got = archive_read_data (a, buf, 65536)) > 0) {
            total += (uint64_t)got;
            if (total > max_total) {
                snprintf (err, errlen, "unpacks to more than %llu bytes",
                          (unsigned long long)max_total);
                rc = -1;
                break;
            }
            if (write (fd, buf, (size_t)got) != got) {
                snprintf (err, errlen, "member %.300s: %s", name, strerror (errno));
                rc = -1;
                break;
            }
        }
        if (got < 0 && rc == 0) {
            snprintf (err, errlen, "member %.300s: %s", name, archive_error_string (a));
            rc = -1;
        }
        close (fd);
    }
    if (rc == 0 && step != ARCHIVE_EOF) {
        snprintf (err, errlen, "%s", archive_error_string (a) ?: "damaged archive");
        rc = -1;
    }
    free (buf);
    archive_read_free (a);
    return rc;
}

typedef struct {
    struct archive *a;
    size_t root;   //  length of the folder's path, with its '/'
    uint64_t left; //  bytes the tar may still take
    char *err;
    size_t errlen;
} pack_t;

static __thread pack_t *s_pack; //  nftw passes no argument

static int s_pack_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    pack_t *p = s_pack;
    if (strlen (path) <= p->root)
        return 0; //  the folder itself
    if (type == FTW_D) {
        //  Folders go too: an empty one can matter (git wants refs/)
        struct archive_entry *e = archive_entry_new ();
        archive_entry_set_pathname (e, path + p->root);
        archive_entry_set_filetype (e, AE_IFDIR);
        archive_entry_set_perm (e, 0700);
        int rc = archive_write_header (p->a, e) != ARCHIVE_OK;
        if (rc)
            snprintf (p->err, p->errlen, "%s: %s", path, archive_error_string (p->a));
        archive_entry_free (e);
        return rc;
    }
    if (type != FTW_F || !S_ISREG (st->st_mode))
        return 0; //  links and sockets are left out
    if ((uint64_t)st->st_size > p->left) {
        snprintf (p->err, p->errlen, "%s: the folder is over the size limit", path);
        return 1;
    }
    size_t len;
    char *data = sw_file_read (path, (size_t)st->st_size, &len, p->err, p->errlen);
    if (!data)
        return 1;
    struct archive_entry *e = archive_entry_new ();
    archive_entry_set_pathname (e, path + p->root);
    archive_entry_set_filetype (e, AE_IFREG);
    archive_entry_set_perm (e, 0600);
    archive_entry_set_size (e, (la_int64_t)len);
    int rc = archive_write_header (p->a, e) != ARCHIVE_OK ||
             (len && archive_write_data (p->a, data, len) != (la_ssize_t)len);
    if (rc)
        snprintf (p->err, p->errlen, "%s: %s", path, archive_error_string (p->a));
    archive_entry_free (e);
    free (data);
    p->left -= len;
    return rc;
}

int sw_archive_pack (const char *dir, uint64_t max, char **out, size_t *len, char *err,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    FILE *mem = open_memstream (out, len);
    struct archive *a = mem ? archive_write_new () : NULL;
    //  Names go as they are (a ref may be named in any bytes): no
    //  conversion through the locale, which would refuse non-ASCII ones
    if (!a || archive_write_set_format_pax_restricted (a) != ARCHIVE_OK ||
        archive_write_set_format_option (a, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
        archive_write_open_FILE (a, mem) != ARCHIVE_OK) {
        snprintf (err, errlen, "%s: cannot start a tar", dir);
        if (a)
            archive_write_free (a);
        if (mem)
            fclose (mem);
        free (*out);
        *out = NULL;
        return -1;
    }
    pack_t p = {a, strlen (dir) + 1, max, err, errlen};
    s_pack = &p;
    int rc = nftw (dir, s_pack_one, 32, FTW_PHYS);
    s_pack = NULL;
    if (rc < 0)
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
    if (archive_write_close (a) != ARCHIVE_OK && rc == 0) {
        snprintf (err, errlen, "%s: %s", dir, archive_error_string (a));
        rc = -1;
    }
    archive_write_free (a);
    fclose (mem);
    if (rc) {
        free (*out);
        *out = NULL;
        return -1;
    }
    return 0;
}
