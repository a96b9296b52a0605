/*  Helpers shared by the unit tests: scratch directories and files. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline int sw_test_remove_entry (const char *path, const struct stat *st, int flag,
                                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

//  Creates a fresh directory /tmp/NAME.XXXXXX into dir (at least 64 bytes).
//  Returns dir, or NULL.
static inline char *sw_test_mkdtemp (char *dir, size_t len, const char *name)
{
    snprintf (dir, len, "/tmp/%s.XXXXXX", name);
    return mkdtemp (dir);
}

//  Removes a directory tree (what sw_test_mkdtemp made).
static inline void sw_test_rmtree (const char *dir)
{
    nftw (dir, sw_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

//  Writes text to dir/name, making the folders name has on the way.
//  Returns 0, or -1.
static inline int sw_test_write (const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    for (char *p = path + strlen (dir) + 1; (p = strchr (p, '/')); p++) {
        *p = 0;
        mkdir (path, 0700);
        *p = '/';
    }
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    int rc = fputs (text, f) < 0 ? -1 : 0;
    return fclose (f) || rc ? -1 : 0;
}

#endif
