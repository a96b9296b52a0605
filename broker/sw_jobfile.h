/*  sw_jobfile - job file parser.

    A job file is YAML (and so also JSON, which is YAML flow syntax):

        name: prod-weekly            # required, 1..128 chars [A-Za-z0-9._ -]
        scope: [127.0.0.0/8]         # optional, 1..1024 CIDR strings
        lease_ms: 10000              # optional, 1000..600000
        max_attempts: 3              # optional, 1..20
        targets:                     # required, 1..1024 entries
          - scanner: tcp             # required, [A-Za-z0-9._-]{1,64}
            hosts: [127.0.0.2, 127.0.1.0/28]   # tcp: required, 1..4096 strings
            ports: "1-1024,5432,6379"          # tcp: required; a YAML int is fine
            shard_ports: 256         # optional, 1..65535
          - scanner: posture
            paths: [snapshots/aws/, k8s/]      # posture: files and folders (sweepctl
                                               # uploads them and sends `files`)
          - scanner: packages
            host: true               # packages: the node that runs it inventories its own host
          - scanner: secrets
            paths: [src/, deploy/]   # secrets: file trees (uploaded like posture's)
          - scanner: secrets
            history: true            # secrets: the paths are git repositories; every
            paths: [repo/]           # blob of every ref is scanned (uploaded packed)
            shards: 4                # optional, 1..256: parts of each history [4]
            files:                   # posture, as the broker receives it:
              - {name: k8s/app.yaml, hash: <64 hex BLAKE2b-256>, size: 1234}

    The parser checks structure and types only; the planner checks host, port
    and scope syntax and the broker checks scanner names. */
#ifndef SW_JOBFILE_H
#define SW_JOBFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sw_blobref.h"

#define SW_JOBFILE_MAX_TEXT           (24 * 1024 * 1024) //  a posture job lists its files
#define SW_JOBFILE_MAX_DEPTH          16
#define SW_JOBFILE_MAX_ALIASES        64 //  also the limit for anchors
#define SW_JOBFILE_MAX_TARGETS        1024
#define SW_JOBFILE_MAX_HOSTS          4096 //  per target
#define SW_JOBFILE_MAX_TOTAL_HOSTS    (1024 * 1024)
#define SW_JOBFILE_MAX_SCOPE          1024
#define SW_JOBFILE_MAX_STRING         255 //  hosts and scope entries
#define SW_JOBFILE_MAX_PORTS_TEXT     4096
#define SW_JOBFILE_MAX_PATHS          1024
#define SW_JOBFILE_MAX_FILES          100000 //  per target
#define SW_JOBFILE_MAX_PATH           512    //  keeps a shard's file list within one message
#define SW_JOBFILE_MAX_FILE_SIZE      SW_BLOB_MAX_SIZE
#define SW_JOBFILE_MAX_HISTORY_SHARDS 256

#define SW_JOBFILE_DEFAULT_LEASE_MS     10000
#define SW_JOBFILE_DEFAULT_MAX_ATTEMPTS 3
#define SW_JOBFILE_DEFAULT_SHARD_PORTS  256

typedef sw_blobref_t sw_job_file_t;

typedef struct {
    char *scanner;
    char **hosts; //  NULL when absent (allowed for scanners other than tcp)
    size_t nhosts;
    char *ports; //  NULL when absent (allowed for scanners other than tcp)
    uint32_t shard_ports;
    char **paths; //  NULL when absent (posture, as written by a user)
    size_t npaths;
    sw_job_file_t *files; //  NULL when absent (posture, as uploaded)
    size_t nfiles;
    bool host;       //  packages: the node inventories its own host
    bool history;    //  secrets: the paths are git repositories, whose histories are scanned
    uint32_t shards; //  secrets history: parts each history is split into (0: the default)
    int line;        //  1-based line of the target in the job file
} sw_job_target_t;

typedef struct {
    char *name;
    char **scope; //  NULL when absent; never an empty list
    size_t nscope;
    uint32_t lease_ms;
    uint32_t max_attempts;
    sw_job_target_t *targets;
    size_t ntargets;
} sw_jobfile_t;

//  Parses a job file of len bytes (no NUL terminator needed). `source` names it
//  in messages. On error returns NULL with err like
//  "job.yaml:7:5: targets[0]: unknown key 'prots'" (1-based line:column).
sw_jobfile_t *sw_jobfile_parse (const char *text, size_t len, const char *source, char *err,
                                size_t errlen);

//  Writes job as a JSON job file that parses back to the same job.
void sw_jobfile_write_json (const sw_jobfile_t *job, FILE *out);

//  Frees a parsed job file and NULLs *self_p.
void sw_jobfile_destroy (sw_jobfile_t **self_p);

#endif
