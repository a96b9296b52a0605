/*  Tests for sw_archive: tar, gzip'd tar, zip and lone gzip members, nested
    archives, the member, total and depth limits, damaged archives. The
    archives are made here with libarchive's writer. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <string.h>

#include "sw_archive.h"

typedef struct {
    const char *name;
    const char *data;
    size_t len; //  0: strlen (data)
} member_t;

//  Writes an archive of FORMAT ("pax", "zip", "raw") with FILTER ("gzip" or
//  NULL) into a malloc'd buffer.
static char *s_make (const char *format, const char *filter, const member_t *m, size_t n,
                     size_t *len)
{
    size_t cap = 1 << 22;
    char *buf = malloc (cap);
    struct archive *a = archive_write_new ();
    cr_assert_eq (archive_write_set_format_by_name (a, format), ARCHIVE_OK);
    if (filter)
        cr_assert_eq (archive_write_add_filter_by_name (a, filter), ARCHIVE_OK);
    size_t used = 0;
    cr_assert_eq (archive_write_open_memory (a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        size_t size = m[i].len ? m[i].len : strlen (m[i].data);
        struct archive_entry *e = archive_entry_new ();
        archive_entry_set_pathname (e, m[i].name);
        archive_entry_set_size (e, (la_int64_t)size);
        archive_entry_set_filetype (e, AE_IFREG);
        archive_entry_set_perm (e, 0644);
        cr_assert_eq (archive_write_header (a, e), ARCHIVE_OK, "%s", archive_error_string (a));
        cr_assert_eq (archive_write_data (a, m[i].data, size), (la_ssize_t)size);
        archive_entry_free (e);
    }
    archive_write_close (a);
    archive_write_free (a);
    *len = used;
    return buf;
}

typedef struct {
    char paths[16][256];
    char data[16][128];
    int n;
} seen_t;

static int s_seen (void *arg, const char *path, const char *data, size_t len)
{
    seen_t *s = arg;
    if (s->n < 16) {
        snprintf (s->paths[s->n], 256, "%s", path);
        snprintf (s->data[s->n], 128, "%.*s", (int)(len < 127 ? len : 127), data);
        s->n++;
    }
    return 0;
}

static const sw_archive_limits_t s_limits = {1 << 20, 1 << 24};

Test (archive, tar_gz_members_come_with_their_inner_paths)
{
    member_t m[] = {{"src/a.py", "token = 1\n", 0}, {"etc/b.conf", "x = 2\n", 0}};
    size_t len;
    char *tgz = s_make ("pax", "gzip", m, 2, &len);
    cr_assert (sw_archive_is_archive ("whatever.bin", tgz, len));
    seen_t seen = {0};
    sw_archive_stats_t stats;
    char err[256];
    cr_assert_eq (
        sw_archive_walk ("repo.tgz", tgz, len, &s_limits, s_seen, &seen, &stats, err, sizeof err),
        0, "%s", err);
    cr_assert_eq (seen.n, 2);
    cr_assert_str_eq (seen.paths[0], "repo.tgz!/src/a.py");
    cr_assert_str_eq (seen.data[0], "token = 1\n");
    cr_assert_str_eq (seen.paths[1], "repo.tgz!/etc/b.conf");
    cr_assert_eq (stats.members, 2);
    cr_assert_eq (stats.unpacked, 16);
    free (tgz);
}

Test (archive, nested_zip_in_tar_and_a_lone_gzip)
{
    member_t inner[] = {{"deep/f.txt", "secret here\n", 0}};
    size_t zlen, tlen;
    char *zip = s_make ("zip", NULL, inner, 1, &zlen);
    member_t outer[] = {{"in.zip", zip, zlen}, {"readme", "plain\n", 0}};
    char *tar = s_make ("pax", NULL, outer, 2, &tlen);
    seen_t seen = {0};
    char err[256];
    cr_assert_eq (
        sw_archive_walk ("o.tar", tar, tlen, &s_limits, s_seen, &seen, NULL, err, sizeof err), 0,
        "%s", err);
    cr_assert_eq (seen.n, 2);
    cr_assert_str_eq (seen.paths[0], "o.tar!/in.zip!/deep/f.txt");
    cr_assert_str_eq (seen.data[0], "secret here\n");
    cr_assert_str_eq (seen.paths[1], "o.tar!/readme");
    size_t glen;
    member_t lone[] = {{"data", "gz body\n", 0}};
    char *gz = s_make ("raw", "gzip", lone, 1, &glen);
    memset (&seen, 0, sizeof seen);
    cr_assert_eq (sw_archive_walk ("dir/notes.txt.gz", gz, glen, &s_limits, s_seen, &seen, NULL,
                                   err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (seen.n, 1);
    cr_assert_str_eq (seen.paths[0], "dir/notes.txt.gz!/notes.txt");
    cr_assert_str_eq (seen.data[0], "gz body\n");
    free (zip);
    free (tar);
    free (gz);
}

Test (archive, limits_skip_big_members_and_stop_a_bomb)
{
    size_t big = 200000;
    char *zeros = calloc (1, big);
    member_t m[] = {{"small", "ok\n", 0}, {"big", zeros, big}, {"after", "more\n", 0}};
    size_t len;
    char *tgz = s_make ("pax", "gzip", m, 3, &len);
    cr_assert_lt (len, 4096, "compresses well: %zu", len);
    //  A member over max_member is skipped and counted, the rest read
    sw_archive_limits_t small = {100000, 1 << 24};
    seen_t seen = {0};
    sw_archive_stats_t stats;
    char err[256];
    cr_assert_eq (
        sw_archive_walk ("a.tgz", tgz, len, &small, s_seen, &seen, &stats, err, sizeof err), 0,
        "%s", err);
    cr_assert_eq (seen.n, 2);
    cr_assert_eq (stats.skipped, 1);
    //  More unpacked in all than max_total: an error, what came before stands
    sw_archive_limits_t tight = {1 << 20, 150000};
    memset (&seen, 0, sizeof seen);
    cr_assert_eq (
        sw_archive_walk ("a.tgz", tgz, len, &tight, s_seen, &seen, &stats, err, sizeof err), -1);
    cr_assert (strstr (err, "a.tgz!/big: unpacks to more than 150000 bytes"), "%s", err);
    cr_assert_eq (seen.n, 1);
    cr_assert_str_eq (seen.paths[0], "a.tgz!/small");
    free (zeros);
    free (tgz);
}

Test (archive, nesting_stops_at_the_depth_limit)
{
    //  Four levels of tar: the innermost tar is handed over as a member
    member_t leaf[] = {{"leaf.txt", "x\n", 0}};
    size_t len;
    char *cur = s_make ("pax", NULL, leaf, 1, &len);
    for (int level = 0; level < 3; level++) {
        member_t wrap[] = {{"next.tar", cur, len}};
        size_t wlen;
        char *wrapped = s_make ("pax", NULL, wrap, 1, &wlen);
        free (cur);
        cur = wrapped;
        len = wlen;
    }
    seen_t seen = {0};
    char err[256];
    cr_assert_eq (
        sw_archive_walk ("l0.tar", cur, len, &s_limits, s_seen, &seen, NULL, err, sizeof err), 0,
        "%s", err);
    cr_assert_eq (seen.n, 1);
    cr_assert_str_eq (seen.paths[0], "l0.tar!/next.tar!/next.tar!/next.tar");
    free (cur);
}

Test (archive, damaged_archives_are_named_and_plain_text_is_not_one)
{
    member_t m[] = {{"a.txt", "first\n", 0}, {"b.txt", "second member, long enough\n", 0}};
    size_t len;
    char *tgz = s_make ("pax", "gzip", m, 2, &len);
    seen_t seen = {0};
    char err[256];
    cr_assert_eq (
        sw_archive_walk ("cut.tgz", tgz, len / 2, &s_limits, s_seen, &seen, NULL, err, sizeof err),
        -1);
    cr_assert (strncmp (err, "cut.tgz", 7) == 0, "%s", err);
    free (tgz);
    cr_assert_not (sw_archive_is_archive ("x.tar.gz", "just text\n", 10));
    cr_assert_not (sw_archive_is_archive ("x", "", 0));
    cr_assert (sw_archive_is_archive ("x", "PK\x03\x04rest", 8));
}
