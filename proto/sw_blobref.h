/*  sw_blobref - a file of a job as the cluster knows it: the name the job
    gave it, and the content-addressed blob (BLAKE2b-256, hex) that holds
    its bytes in the broker's store. Shared by job files, the planner, the
    node channel's SHARD message and the node's blob cache. */
#ifndef SW_BLOBREF_H
#define SW_BLOBREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SW_BLOB_HEX_LEN  64 //  BLAKE2b-256 in hex
#define SW_BLOB_CHUNK    (256 * 1024)
#define SW_BLOB_MAX_SIZE (256u * 1024 * 1024)

typedef struct {
    char *name;
    char hash[SW_BLOB_HEX_LEN + 1];
    uint64_t size;
} sw_blobref_t;

//  Do targets of this scanner name files (uploaded as blobs) rather than
//  hosts? posture, packages and secrets do.
static inline bool sw_scanner_takes_files (const char *scanner)
{
    return scanner && (strcmp (scanner, "posture") == 0 || strcmp (scanner, "packages") == 0 ||
                       strcmp (scanner, "secrets") == 0);
}

//  The name of a blob: the BLAKE2b-256 of data, in lower-case hex.
void sw_blob_hash (const void *data, size_t len, char hash[SW_BLOB_HEX_LEN + 1]);

//  Is text a blob name: 64 lower-case hex digits?
static inline bool sw_blob_hash_valid (const char *text)
{
    return text && strlen (text) == SW_BLOB_HEX_LEN &&
           strspn (text, "0123456789abcdef") == SW_BLOB_HEX_LEN;
}

#endif
