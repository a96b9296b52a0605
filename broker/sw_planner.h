/*  sw_planner - turns a job file's targets into a numbered space of shards.

    Shards are never materialised: shard i is computed from the job spec
    on demand, so the broker's memory does not grow with the size of a
    job. A tcp target of H hosts and P ports (cut into chunks of
    shard_ports) owns H * ceil(P / shard_ports) consecutive shard numbers,
    host-major. A posture target owns one shard per group of its files
    (sw_posture_group: an AWS account and region, or a folder of
    manifests). Targets are validated here: host and port syntax, the
    job's own scope, and the broker's allowed scope. */
#ifndef SW_PLANNER_H
#define SW_PLANNER_H

#include <stdint.h>

#include "sw_blobref.h"
#include "sw_jobfile.h"
#include "sw_target.h"

#define SW_SHARD_PORTS_MAX     4096
#define SW_SHARD_PORTS_DEFAULT 256
#define SW_PLAN_MAX_SHARDS     (1ull << 40) //  per job; keeps every sum far from overflow

typedef struct sw_plan_t sw_plan_t;

typedef struct {
    const char *scanner; //  borrowed from the plan
    char target[600];    //  tcp: IPv4 address; posture: the group's name
    char ports[SW_SHARD_PORTS_MAX * 6 + 1];
    //  posture: "aws" or "files", and the group's files (borrowed)
    const char *kind;
    const sw_blobref_t *files;
    size_t nfiles;
    char kindbuf[32]; //  where kind points for a history part ("git:K/N")
} sw_shard_spec_t;

//  Builds the plan of a parsed job file. allowed is the broker's scope.
//  Returns NULL with a message naming the target (and its line) that is
//  wrong, e.g. "targets[1] (line 9): host 10.0.0.1 is outside the
//  broker's allowed scope 127.0.0.0/8".
sw_plan_t *sw_plan_new (const sw_jobfile_t *job, const sw_hostlist_t *allowed, char *err,
                        size_t errlen);
void sw_plan_destroy (sw_plan_t **self_p);

//  Calls fn with the blob of each file of the plan's targets (only its
//  secrets targets' when secrets_only); a blob named twice comes twice.
void sw_plan_blobs (const sw_plan_t *self, bool secrets_only,
                    void (*fn) (void *arg, const char *hash), void *arg);

//  Total number of shards.
uint64_t sw_plan_total (const sw_plan_t *self);

//  Fills out with shard index's work. Returns 0, or -1 if index is out of
//  range.
int sw_plan_shard (const sw_plan_t *self, uint64_t index, sw_shard_spec_t *out);

//  Returns 1 if the named scanner is one the broker can plan, else 0.
int sw_plan_knows_scanner (const char *scanner);

#endif
