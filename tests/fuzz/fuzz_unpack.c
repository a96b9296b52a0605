/*  libFuzzer harness for sw_archive_unpack: a tar from the network (a git
    repository a node is given) unpacked into a folder.

    Besides crashes, leaks and sanitizer reports, it checks the contract:
    nothing is written outside the folder (its parent holds the folder and
    nothing else afterwards), whatever the member names ("../x", "/x",
    "a/../../x") and types (links, devices). Each input is unpacked into a
    fresh folder, removed afterwards. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_archive.h"

static char s_root[64]; //  the parent: holds only "d" between runs

static int s_rm (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir (path) : unlink (path);
}

static void s_cleanup (void)
{
    rmdir (s_root);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!*s_root) {
        snprintf (s_root, sizeof s_root, "/tmp/sw-fuzz-unpack.XXXXXX");
        if (!mkdtemp (s_root))
            abort ();
        atexit (s_cleanup);
    }
    char dir[128], err[512];
    snprintf (dir, sizeof dir, "%s/d", s_root);
    if (mkdir (dir, 0700))
        abort ();
    sw_archive_unpack (data, size, dir, 1 << 20, err, sizeof err);
    DIR *d = opendir (s_root);
    struct dirent *e;
    while (d && (e = readdir (d)))
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..") && strcmp (e->d_name, "d"))
            abort (); //  a member escaped the folder
    if (d)
        closedir (d);
    nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
