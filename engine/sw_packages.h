/*  sw_packages - the packages scanner: inventories matched against OSV
    advisories.

    Shared by the node (a packages shard) and `sweepctl check`, so both
    give the same findings for the same files and advisory database. */
#ifndef SW_PACKAGES_H
#define SW_PACKAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "sw_inventory.h"
#include "sw_osv.h"
#include "sw_posture.h"

typedef struct {
    size_t files, packages, matches, findings, errors;
} sw_packages_stats_t;

//  Reads each inventory file of a group, matches every package against db
//  and emits one finding per (vulnerability, package, file). A package
//  whose ecosystem has no known version scheme or whose version does not
//  parse, an unpinned requirement, and a file that cannot be read are
//  findings of their own (packages.version-unknown, packages.unpinned,
//  packages.input-error), never a guess. db_version (may be NULL) is
//  recorded in each finding. An os-release file in the group names the
//  release of the dpkg and apk databases beside it (Debian:12, Alpine:v3.18),
//  so their packages meet only that release's advisories; without one they
//  meet every release's. Findings come in a stable order.
//
//  A database may come in parts (a full import, then updates): dbs[0] is
//  the oldest. What a newer part holds about a vulnerability (by id or
//  alias) replaces what older parts say, and an id a newer part holds
//  without affected packages (a withdrawal) is reported from none.
void sw_packages_run (const sw_osvdb_t *const *dbs, size_t ndbs, const sw_input_file_t *files,
                      size_t n, const char *db_version, sw_posture_emit_fn *emit, void *arg,
                      sw_packages_stats_t *stats);

//  Is this file for the packages scanner: an inventory, or the os-release
//  that names their distribution's release?
bool sw_packages_wants (const char *name, const char *data, size_t len);

//  Loads OSV advisories from a file or folder: *.json files (one advisory
//  each, or an array of them) and *.zip dumps (osv.dev's per-ecosystem
//  all.zip). Invalid advisories are reported on stderr with their name
//  and skipped; returns the number added, or -1 with err when path cannot
//  be read. Call sw_osvdb_finish after the last load.
//  With tombstones, a withdrawn advisory is added as its id with nothing
//  affected (what an update needs to supersede older parts) instead of
//  being left out.
long sw_packages_import (sw_osvdb_t *db, const char *path, bool tombstones, size_t *invalid,
                         char *err, size_t errlen);

#endif
