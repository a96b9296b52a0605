/*  sw_secretinput - one input of a secrets scan.

    An input is a file's bytes, scanned as one text, or as an archive whose
    members are scanned (archives inside it too); or a git repository whose
    blobs are scanned where each first appears. `sweepctl secrets` and a
    node's secrets shards both scan through here, so that an input yields
    the same findings at the same places either way. Binary texts are
    skipped and counted; nothing here keeps a secret. */
#ifndef SW_SECRETINPUT_H
#define SW_SECRETINPUT_H

#include <stddef.h>
#include <stdint.h>

#include "sw_gitscan.h"
#include "sw_secrets.h"

typedef struct {
    uint64_t texts;     //  texts scanned (files, members, blobs)
    uint64_t bytes;     //  ... their bytes
    uint64_t binary;    //  texts skipped as binary
    uint64_t archives;  //  archives opened
    uint64_t members;   //  archive members and history blobs scanned
    uint64_t oversized; //  members and blobs over the size limit (or special), skipped
    uint64_t commits;   //  commits walked
    char err[512];      //  the first error: a text the detector could not scan, a bad history
    char warning[512];  //  the first damaged archive (its members read before the damage stand)
} sw_secret_tally_t;

//  Where a secret was found: the input's name, "ARCHIVE!/member" (nested:
//  "A!/b.tar!/c"), or "REPO@COMMIT12:path" in a history, whose blob's first
//  appearance is place.
typedef struct {
    const char *resource;
    const sw_git_place_t *place; //  NULL outside histories
} sw_secret_where_t;

//  Called for every secret found; a non-zero return stops the scan.
typedef int (sw_secret_found_fn) (void *arg, const sw_secret_where_t *where,
                                  const sw_secret_hit_t *hit);

typedef struct {
    const sw_secrets_t *set;
    sw_secrets_scratch_t *scratch; //  the calling thread's
    const uint8_t *key;            //  keys the fingerprints (SW_SECRETS_KEY_LEN bytes)
    size_t max_size;               //  members and blobs over this are skipped
    sw_secret_found_fn *found;
    void *arg;
    sw_secret_tally_t *tally;
} sw_secret_input_t;

//  Scans the bytes of input NAME: member by member when it is an archive
//  (by its magic or name), else as one text. Returns 0, or 1 when FOUND
//  stopped it; problems go to the tally.
int sw_secret_input_scan (const sw_secret_input_t *in, const char *name, const char *data,
                          size_t len);

//  Scans part PART of PARTS (from 0) of the history of the repository at
//  DIR, whose findings are named after NAME. Returns 0, 1 when FOUND
//  stopped it, or -1 (the reason in the tally's err).
int sw_secret_input_history (const sw_secret_input_t *in, const char *name, const char *dir,
                             uint32_t part, uint32_t parts);

#endif
