/*  sw_check - sweepctl's commands that run without a cluster: `check`
    (the posture scanner in-process, the CI-gate use) and `rules lint|test`.

    Input files are named as the user wrote their paths (a folder's files
    get the folder's name and their relative path), which is also how
    `submit` names the blobs it uploads, so a check and a cluster job of
    the same paths report the same resources. */
#ifndef SW_CHECK_H
#define SW_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "sw_files.h"

//  Collects the files under each path (a file, or a folder walked
//  recursively; see sw_files), sorted, each once. Returns 0, or -1 with err
//  naming a path that does not exist or cannot be read.
int sw_inputs_collect (sw_filelist_t *self, char *const *paths, size_t npaths, char *err,
                       size_t errlen);

typedef struct {
    const char *rules_dir;  //  posture rules
    bool rules_given;       //  rules_dir was named by the user (else it is the default)
    const char *advisories; //  OSV files, folder or zip dumps; NULL: no packages scanning
    const char *format;     //  "table" or "json"
    const char *fail_on;    //  severity, or NULL
    const char *output;     //  file, or NULL for stdout
} sw_check_opts_t;

//  `sweepctl check`. Returns the exit code: 0, 1 when findings reach
//  fail_on, 2 on a usage, rules or advisories error.
int sw_check_run (char *const *paths, size_t npaths, const sw_check_opts_t *opts);

//  `sweepctl rules lint DIR` and `sweepctl rules test DIR`. Returns 0 when
//  clean, 1 when problems were found, 2 when the rules do not load.
int sw_check_rules (const char *sub, const char *dir, bool json);

#endif
