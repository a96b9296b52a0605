/*  sw_upload - what sweepctl sends to the broker besides requests: the
    files a job names (posture inputs) and rule bundles, as
    content-addressed blobs.

    A blob is named by the BLAKE2b-256 of its bytes, sent in chunks of
    SW_BLOB_CHUNK, and only when the broker does not have it already, so a
    job re-run on unchanged inputs uploads nothing. */
#ifndef SW_UPLOAD_H
#define SW_UPLOAD_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_blobref.h"
#include "sw_jobfile.h"
#include "sw_mpv.h"

//  How this module reaches the broker: sweepctl's request function.
//  Returns 0 with doc filled, or an exit code after printing why.
typedef int (sw_call_fn) (void *ctx, const char *command, msgpack_sbuffer *body, sw_mpdoc_t *doc);

//  Uploads data as a blob unless the broker has it. Returns 0 or an exit
//  code.
int sw_upload_blob (sw_call_fn *call, void *ctx, const void *data, size_t len, const char *hash);

//  For every posture target of job: collects the files under its paths
//  (relative to base_dir, named as the job wrote them), uploads those the
//  broker lacks, and fills the target's files. Returns 0 or an exit code.
int sw_upload_job_inputs (sw_call_fn *call, void *ctx, sw_jobfile_t *job, const char *base_dir);

#endif
