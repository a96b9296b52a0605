/*  sw_archive - the members of an archive held in memory, for scanners
    that read what is inside (the secrets detector).

    Reads tar (plain, gzip, bzip2, xz), zip and single gzip files with
    libarchive. Archives are untrusted: every member is bounded, the total
    of what is unpacked is bounded (a zip bomb stops at the limit with an
    error, the members read so far stand), and so are the member count and
    the nesting of archives inside archives. */
#ifndef SW_ARCHIVE_H
#define SW_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_ARCHIVE_MAX_DEPTH   3       //  archives inside archives
#define SW_ARCHIVE_MAX_MEMBERS 1000000 //  per archive

typedef struct {
    size_t max_member;  //  members larger than this are skipped (counted)
    uint64_t max_total; //  bytes unpacked from one outermost archive, at most
} sw_archive_limits_t;

typedef struct {
    uint64_t members;  //  regular members handed to the callback
    uint64_t skipped;  //  over max_member, not regular files, or too deep
    uint64_t unpacked; //  bytes unpacked
} sw_archive_stats_t;

//  Called for each regular member: its path as "OUTER!/inner/path" (and
//  "OUTER!/a.tar!/b" inside nested archives), its bytes. A non-zero return
//  stops the walk.
typedef int (sw_archive_fn) (void *arg, const char *path, const char *data, size_t len);

//  True when NAME or the first bytes of DATA say it is an archive this
//  module reads (by magic number first: a renamed archive is still read).
bool sw_archive_is_archive (const char *name, const char *data, size_t len);

//  Walks the archive DATA named NAME, calling FN for every regular member
//  (members that are themselves archives are walked in turn, up to
//  SW_ARCHIVE_MAX_DEPTH). Returns 0, or -1 with err naming the archive and
//  the problem (a damaged or truncated archive, a limit reached); the
//  members handed over before the problem stand. STATS is filled either way.
int sw_archive_walk (const char *name, const char *data, size_t len,
                     const sw_archive_limits_t *limits, sw_archive_fn *fn, void *arg,
                     sw_archive_stats_t *stats, char *err, size_t errlen);

//  Packs the folders and regular files under DIR (links and special files
//  are left out) into a tar in memory (*OUT, malloc'd, *LEN bytes), at most MAX
//  bytes of content. Returns 0, or -1 with err.
int sw_archive_pack (const char *dir, uint64_t max, char **out, size_t *len, char *err,
                     size_t errlen);

//  Unpacks a tar (or tar.gz) held in memory into the existing folder DIR:
//  folders (0700) and regular files (0600) only. A member whose name
//  is absolute or holds "..", more than SW_ARCHIVE_MAX_MEMBERS members, or
//  more than MAX_TOTAL bytes in all stop it with err. Returns 0 or -1.
int sw_archive_unpack (const void *data, size_t len, const char *dir, uint64_t max_total, char *err,
                       size_t errlen);

#endif
