/*  sw_blobcache - the node's cache of blobs fetched from the broker.

    Posture inputs and rule bundles reach a node as content-addressed
    blobs: the node asks for each chunk (FETCH), the broker answers with
    it (BLOB). This module keeps the fetches in progress, writes chunks to
    DIR/<hash>.part, and renames the file to DIR/<hash> once its BLAKE2b
    hash matches its name; a blob is never used unverified. Sockets are
    the caller's: functions say which chunk to ask for next. */
#ifndef SW_BLOBCACHE_H
#define SW_BLOBCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_blobcache_t sw_blobcache_t;

typedef enum { SW_BLOB_MORE = 0, SW_BLOB_DONE, SW_BLOB_FAILED, SW_BLOB_IGNORED } sw_blob_step_t;

//  Opens (creating, 0700) the cache directory. NULL with err on failure.
sw_blobcache_t *sw_blobcache_new (const char *dir, char *err, size_t errlen);
void sw_blobcache_destroy (sw_blobcache_t **self_p);

const char *sw_blobcache_dir (const sw_blobcache_t *self);

//  Removes a blob from the cache (and a partial fetch of it).
void sw_blobcache_remove (sw_blobcache_t *self, const char *hash);

//  Is the blob in the cache?
bool sw_blobcache_has (sw_blobcache_t *self, const char *hash);

//  Notes that hash is needed. Returns true when the caller must send
//  FETCH {hash, offset 0} (a new fetch), false when it is cached or
//  already being fetched.
bool sw_blobcache_want (sw_blobcache_t *self, const char *hash, int64_t now);

//  Takes one BLOB answer. MORE: send FETCH at *next; DONE: the blob is in
//  the cache; FAILED: the fetch is over, err says why; IGNORED: not a
//  chunk this cache waits for (late, duplicate).
sw_blob_step_t sw_blobcache_chunk (sw_blobcache_t *self, const char *hash, uint64_t offset,
                                   uint64_t size, const void *data, size_t len, const char *reason,
                                   int64_t now, uint64_t *next, char *err, size_t errlen);

//  Calls fn for every fetch without progress since now - after_ms (the
//  request or its answer was lost), so that the caller asks again.
typedef void (sw_blobcache_fn) (void *arg, const char *hash, uint64_t offset);
void sw_blobcache_stalled (sw_blobcache_t *self, int64_t now, int64_t after_ms, sw_blobcache_fn *fn,
                           void *arg);

#endif
