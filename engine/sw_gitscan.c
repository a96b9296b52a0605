/*  sw_gitscan - every blob of a git repository's history, once. */
#include "sw_gitscan.h"

#include <git2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A set of object ids (open addressing; ids are hashes, so their first
//  bytes are a good hash already).
typedef struct {
    git_oid *slots;
    bool *used;
    size_t cap, n;
} oidset_t;

static bool s_set_add (oidset_t *s, const git_oid *id)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        git_oid *slots = calloc (cap, sizeof *slots);
        bool *used = calloc (cap, sizeof *used);
        if (!slots || !used) {
            free (slots);
            free (used);
            return false; //  out of memory: treated as seen, so skipped
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i]) {
                uint64_t h;
                memcpy (&h, s->slots[i].id, sizeof h);
                size_t j = (size_t)(h & (cap - 1));
                while (used[j])
                    j = (j + 1) & (cap - 1);
                used[j] = true;
                slots[j] = s->slots[i];
            }
        free (s->slots);
        free (s->used);
        s->slots = slots;
        s->used = used;
        s->cap = cap;
    }
    uint64_t h;
    memcpy (&h, id->id, sizeof h);
    size_t j = (size_t)(h & (s->cap - 1));
    while (s->used[j]) {
        if (git_oid_equal (&s->slots[j], id))
            return false;
        j = (j + 1) & (s->cap - 1);
    }
    s->used[j] = true;
    s->slots[j] = *id;
    s->n++;
    return true;
}

typedef struct {
    git_repository *repo;
    oidset_t seen;
    size_t max_blob;
    uint32_t part, parts; //  hand over only the blobs of this part (of parts)
    sw_git_blob_fn *fn;
    void *arg;
    sw_git_stats_t *stats;
    char commit[GIT_OID_HEXSZ + 1];
    int64_t time;
    bool stopped;
    char err[512];
} walk_t;

static int s_on_entry (const char *root, const git_tree_entry *entry, void *payload)
{
    walk_t *w = payload;
    const git_oid *id = git_tree_entry_id (entry);
    git_object_t type = git_tree_entry_type (entry);
    if (type == GIT_OBJECT_TREE)
        return s_set_add (&w->seen, id) ? 0 : 1; //  a tree seen whole before: skip it
    if (type != GIT_OBJECT_BLOB) {
        w->stats->skipped++; //  a submodule's commit
        return 0;
    }
    if (!s_set_add (&w->seen, id))
        return 0;
    if (w->parts > 1 && sw_git_part_of (id->id, w->parts) != w->part)
        return 0; //  another part's: it is seen here, and scanned there
    git_blob *blob;
    if (git_blob_lookup (&blob, w->repo, id) != 0) {
        const git_error *e = git_error_last ();
        snprintf (w->err, sizeof w->err, "blob %s: %s", git_oid_tostr_s (id),
                  e ? e->message : "cannot be read");
        return -1;
    }
    size_t len = (size_t)git_blob_rawsize (blob);
    if (len > w->max_blob)
        w->stats->skipped++;
    else {
        char path[4096];
        snprintf (path, sizeof path, "%s%s", root, git_tree_entry_name (entry));
        sw_git_place_t place = {w->commit, w->time, path};
        w->stats->blobs++;
        w->stats->bytes += len;
        if (w->fn && w->fn (w->arg, &place, git_blob_rawcontent (blob), len) != 0)
            w->stopped = true;
    }
    git_blob_free (blob);
    return w->stopped ? -1 : 0;
}

//  libgit2 is set up once per process and never torn down: a shutdown
//  while another thread walks a history (node workers run several) tears
//  down state that thread still uses (OpenSSL's, among others).
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_init_once (void)
{
    git_libgit2_init ();
}

static void s_init (void)
{
    pthread_once (&s_once, s_init_once);
}

int sw_git_dir (const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    s_init ();
    git_repository *repo = NULL;
    int rc = -1;
    if (git_repository_open_ext (&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        const git_error *e = git_error_last ();
        snprintf (err, errlen, "%s: not a git repository (%s)", path,
                  e ? e->message : "cannot be opened");
    } else if (git_repository_is_worktree (repo))
        snprintf (err, errlen, "%s: a linked worktree; name its main repository", path);
    else if ((size_t)snprintf (out, outlen, "%s", git_repository_path (repo)) >= outlen)
        snprintf (err, errlen, "%s: path too long", path);
    else {
        size_t n = strlen (out);
        while (n > 1 && out[n - 1] == '/')
            out[--n] = 0;
        rc = 0;
    }
    git_repository_free (repo);
    return rc;
}

uint32_t sw_git_part_of (const unsigned char *oid, uint32_t parts)
{
    uint32_t h = ((uint32_t)oid[0] << 24) | ((uint32_t)oid[1] << 16) | ((uint32_t)oid[2] << 8) |
                 (uint32_t)oid[3];
    return parts > 1 ? h % parts : 0;
}

int sw_git_walk (const char *path, size_t max_blob, sw_git_blob_fn *fn, void *arg,
                 sw_git_stats_t *stats, char *err, size_t errlen)
{
    return sw_git_walk_part (path, max_blob, 0, 1, fn, arg, stats, err, errlen);
}

int sw_git_walk_part (const char *path, size_t max_blob, uint32_t part, uint32_t parts,
                      sw_git_blob_fn *fn, void *arg, sw_git_stats_t *stats, char *err,
                      size_t errlen)
{
    sw_git_stats_t none;
    if (!stats)
        stats = &none;
    memset (stats, 0, sizeof *stats);
    s_init ();
    walk_t w = {.max_blob = max_blob,
                .part = part,
                .parts = parts ? parts : 1,
                .fn = fn,
                .arg = arg,
                .stats = stats};
    git_revwalk *walk = NULL;
    int rc = -1;
    if (git_repository_open_ext (&w.repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0) {
        const git_error *e = git_error_last ();
        snprintf (err, errlen, "%s: not a git repository (%s)", path,
                  e ? e->message : "cannot be opened");
        goto done;
    }
    if (git_revwalk_new (&walk, w.repo) != 0 ||
        git_revwalk_sorting (walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE) != 0) {
        snprintf (err, errlen, "%s: cannot walk its history", path);
        goto done;
    }
    //  Every reference, and HEAD (which may be detached); an empty
    //  repository has neither, and nothing to scan
    git_revwalk_push_glob (walk, "*");
    git_revwalk_push_head (walk);
    git_oid id;
    while (!w.stopped && git_revwalk_next (&id, walk) == 0) {
        git_commit *commit;
        git_tree *tree;
        if (git_commit_lookup (&commit, w.repo, &id) != 0)
            continue;
        stats->commits++;
        git_oid_tostr (w.commit, sizeof w.commit, &id);
        w.time = (int64_t)git_commit_author (commit)->when.time;
        int walked = -1;
        if (git_commit_tree (&tree, commit) == 0) {
            walked = git_tree_walk (tree, GIT_TREEWALK_PRE, s_on_entry, &w);
            git_tree_free (tree);
        }
        git_commit_free (commit);
        if (walked != 0 && !w.stopped) {
            snprintf (err, errlen, "%s: commit %s: %s", path, w.commit,
                      *w.err ? w.err : "its tree cannot be read");
            goto done;
        }
    }
    rc = 0;
done:
    git_revwalk_free (walk);
    git_repository_free (w.repo);
    free (w.seen.slots);
    free (w.seen.used);
    return rc;
}
