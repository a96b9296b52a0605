/*  Helpers shared by the unit tests: scratch directories. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
