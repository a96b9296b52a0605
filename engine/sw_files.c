/*  sw_files - lists of files found under paths. */
#include "sw_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void s_push (sw_filelist_t *self, const char *name)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        char **names = realloc (self->names, self->cap * sizeof (char *));
        if (!names)
            abort ();
        self->names = names;
    }
    self->names[self->n++] = strdup (name);
}

//  The path as the user meant it: no "./" prefix, no repeated or
//  trailing slashes.
static void s_clean (const char *path, char *out, size_t len)
{
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t o = 0;
    for (const char *p = path; *p && o + 1 < len; p++)
        if (!(*p == '/' && (o > 0 && out[o - 1] == '/')))
            out[o++] = *p;
    while (o > 1 && out[o - 1] == '/')
        o--;
    if (o == 0 && len > 1)
        out[o++] = '.'; //  "./" names the current folder
    out[o] = 0;
}

typedef struct {
    sw_file_filter_fn *want;
    size_t max_size, max_files;
    char *err;
    size_t errlen;
} walk_t;

static int s_walk (sw_filelist_t *self, const walk_t *w, const char *path, int depth)
{
    struct stat st;
    if (lstat (path, &st)) {
        snprintf (w->err, w->errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    if (S_ISREG (st.st_mode)) {
        const char *base = strrchr (path, '/');
        if (w->want && !w->want (base ? base + 1 : path))
            return 0;
        if ((uint64_t)st.st_size > w->max_size)
            self->skipped++;
        else if (self->n == w->max_files) {
            snprintf (w->err, w->errlen, "more than %zu files", w->max_files);
            return -1;
        } else
            s_push (self, path);
        return 0;
    }
    if (!S_ISDIR (st.st_mode) || depth > SW_FILES_MAX_DEPTH) {
        self->skipped++; //  symlinks, devices: never followed
        return 0;
    }
    DIR *d = opendir (path);
    if (!d) {
        snprintf (w->err, w->errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir (d))) {
        //  Hidden entries are skipped unless asked for; "." and "..", and
        //  .git (git history is read by other means), always are
        if (e->d_name[0] == '.' &&
            (!self->hidden || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0 ||
             strcmp (e->d_name, ".git") == 0))
            continue;
        char child[4096];
        if ((size_t)snprintf (child, sizeof child, "%s/%s", path, e->d_name) >= sizeof child) {
            self->skipped++;
            continue;
        }
        rc = s_walk (self, w, child, depth + 1);
    }
    closedir (d);
    return rc;
}

int sw_filelist_add (sw_filelist_t *self, const char *path, sw_file_filter_fn *want,
                     size_t max_size, size_t max_files, char *err, size_t errlen)
{
    char clean[4096];
    s_clean (path, clean, sizeof clean);
    walk_t w = {want, max_size, max_files, err, errlen};
    return s_walk (self, &w, clean, 0);
}

static int s_cmpstr (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

void sw_filelist_finish (sw_filelist_t *self)
{
    if (self->n)
        qsort (self->names, self->n, sizeof (char *), s_cmpstr);
    size_t o = 0;
    for (size_t i = 0; i < self->n; i++) {
        if (o && strcmp (self->names[o - 1], self->names[i]) == 0)
            free (self->names[i]);
        else
            self->names[o++] = self->names[i];
    }
    self->n = o;
}

void sw_filelist_clear (sw_filelist_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        free (self->names[i]);
    free (self->names);
    memset (self, 0, sizeof *self);
}
