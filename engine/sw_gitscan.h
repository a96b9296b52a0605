/*  sw_gitscan - every blob of a git repository's history, once, where it
    first appears.

    Walks the commits reachable from every reference (branches, tags,
    remotes, notes, stash) oldest first, and hands over each blob the first
    time a commit's tree holds it, with that commit, its author date and
    the path. A blob seen again (unchanged files, moves, copies) is not
    handed over again: each content is scanned once. Uses libgit2; the
    repository is opened read-only and never written. */
#ifndef SW_GITSCAN_H
#define SW_GITSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t commits; //  walked
    uint64_t blobs;   //  handed over
    uint64_t skipped; //  over max_blob, or submodules
    uint64_t bytes;   //  of the blobs handed over
} sw_git_stats_t;

typedef struct {
    const char *commit; //  40 hex digits
    int64_t time;       //  author date, Unix seconds
    const char *path;   //  within the tree
} sw_git_place_t;

//  A non-zero return stops the walk.
typedef int (sw_git_blob_fn) (void *arg, const sw_git_place_t *place, const char *data, size_t len);

//  Walks the repository at PATH (a working copy or a bare repository).
//  Blobs over MAX_BLOB bytes are skipped and counted. Returns 0, or -1 with
//  err naming the repository and the problem.
int sw_git_walk (const char *path, size_t max_blob, sw_git_blob_fn *fn, void *arg,
                 sw_git_stats_t *stats, char *err, size_t errlen);

//  The same for one part of the history (PART of PARTS, from 0): every
//  tree is walked, so that a blob's first appearance is the same in
//  every part, but only the blobs whose id falls in PART are read and
//  handed over. The parts together hand over what sw_git_walk does, each
//  blob in exactly one of them.
int sw_git_walk_part (const char *path, size_t max_blob, uint32_t part, uint32_t parts,
                      sw_git_blob_fn *fn, void *arg, sw_git_stats_t *stats, char *err,
                      size_t errlen);

//  The folder that holds the repository at PATH (its .git, or PATH for a
//  bare repository) in OUT. Returns 0, or -1 with err.
int sw_git_dir (const char *path, char *out, size_t outlen, char *err, size_t errlen);

//  The part (of PARTS) a blob id (20 bytes) belongs to.
uint32_t sw_git_part_of (const unsigned char *oid, uint32_t parts);

#endif
