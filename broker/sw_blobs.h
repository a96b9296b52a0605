/*  sw_blobs - the broker's content-addressed blob store.

    Files a job names (posture inputs) and rule bundles are uploaded by
    sweepctl as blobs: named by their BLAKE2b-256 hash, sent in chunks of
    SW_BLOB_CHUNK bytes in order, and kept only once (a blob already held
    is not sent again). A blob becomes visible when its last chunk arrives
    and its hash checks out; nodes then fetch it chunk by chunk.

    Store layout (in the broker's LevelDB):
        b/<hash>/<chunk index, 8 hex>   chunk bytes
        B/<hash>                        total size, decimal, once complete

    Uploads in progress are tracked in memory only (a broker restart makes
    the client start the blob again). */
#ifndef SW_BLOBS_H
#define SW_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_blobref.h"
#include "sw_store.h"

#define SW_BLOBS_MAX_UPLOADS 64 //  blobs being uploaded at once

typedef struct sw_blobs_t sw_blobs_t;

sw_blobs_t *sw_blobs_new (sw_store_t *store);
void sw_blobs_destroy (sw_blobs_t **self_p);

//  Stages the deletion of a complete blob (the caller commits).
void sw_blobs_forget (sw_blobs_t *self, const char *hash);

//  Returns 1 and sets *size when blob hash is complete, else 0.
int sw_blobs_have (sw_blobs_t *self, const char *hash, uint64_t *size);

//  Stages one chunk of an upload. offset must be where the upload stands
//  (0 starts or restarts it). Returns 1 when this chunk completed the blob
//  and its hash matched, 0 when more is expected, -1 with err (bad hash,
//  size, offset, or a hash mismatch, which discards the upload). The
//  caller commits the store before acknowledging.
int sw_blobs_put (sw_blobs_t *self, const char *hash, uint64_t size, uint64_t offset,
                  const void *data, size_t len, char *err, size_t errlen);

//  Reads the chunk of a complete blob that starts at offset (a multiple
//  of SW_BLOB_CHUNK). Returns a malloc'd buffer with *len and the blob's
//  *size, or NULL when there is no such blob or chunk.
void *sw_blobs_read (sw_blobs_t *self, const char *hash, uint64_t offset, size_t *len,
                     uint64_t *size);

//  Reads a whole complete blob (at most max bytes). NULL if absent.
void *sw_blobs_read_all (sw_blobs_t *self, const char *hash, size_t max, size_t *len);

#endif
