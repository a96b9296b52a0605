/*  sw_files - lists of files found under paths.

    One walker for every place that takes "files and folders" from a user:
    posture inputs (sweepctl check and submit) and rule folders. Folders
    are walked recursively; hidden entries are skipped (unless asked for)
    and symbolic links never followed, so a walk stays inside what was named. */
#ifndef SW_FILES_H
#define SW_FILES_H

#include <stdbool.h>
#include <stddef.h>

#define SW_FILES_MAX_DEPTH 32

typedef struct {
    char **names; //  '/'-separated, as the user named them
    size_t n, cap;
    size_t skipped; //  not regular files, over the size limit, or too deep
    bool hidden;    //  set before adding: walk hidden entries too (not .git)
} sw_filelist_t;

//  Which file names a walk keeps (NULL keeps all).
typedef bool (sw_file_filter_fn) (const char *name);

//  Adds the regular files at or under path (cleaned of "./" and repeated
//  or trailing slashes) that want accepts and that are at most max_size
//  bytes. Stops with -1 and err once the list would exceed max_files, or
//  when path does not exist or cannot be read.
int sw_filelist_add (sw_filelist_t *self, const char *path, sw_file_filter_fn *want,
                     size_t max_size, size_t max_files, char *err, size_t errlen);

//  Sorts the names and drops repeats (overlapping paths).
void sw_filelist_finish (sw_filelist_t *self);

void sw_filelist_clear (sw_filelist_t *self);

#endif
