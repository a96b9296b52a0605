/*  sw_jobs - the broker's job state: jobs, shards, leases and the reducer.

    Owns everything the broker must not lose. Shards are numbered by the
    planner and handed out under leases; a lease that is not renewed in
    time, or whose node is lost, puts the shard back in its job's queue
    with its attempt count, and a shard that runs out of attempts is
    failed with the reason. Findings are merged by fingerprint, so a shard
    that ran twice counts once. Memory holds only jobs and the shards in
    flight; finished shards and findings live in the store.

    Durability: every change is staged in the store's batch; the caller
    makes a round of changes durable with sw_jobs_commit (one fsync) and
    only then acknowledges the messages that caused them. Sockets are not
    this module's business, which keeps it testable on its own. */
#ifndef SW_JOBS_H
#define SW_JOBS_H

#include <msgpack.h>
#include <stdint.h>

#include "sw_blobs.h"
#include "sw_finding.h"
#include "sw_planner.h"
#include "sw_proto.h"
#include "sw_store.h"

#define SW_JOB_ID_MAX         32
#define SW_LEASE_MAX_RENEWALS 10 //  a lease lives at most this many lease_ms
#define SW_SHARD_FINDINGS_MAX SW_MAX_SHARD_FINDINGS

typedef struct sw_jobs_t sw_jobs_t;

//  The signed content a broker holds now, each as "HASH VERSION" or NULL:
//  rule bundle (posture) and advisory database (packages).
typedef struct {
    const char *rules;
    const char *advisories;
    bool fingerprint_key; //  the broker holds the fingerprint key that secrets shards need
} sw_content_t;

typedef struct {
    char job[SW_JOB_ID_MAX];
    const char *bundle; //  posture or packages: the bundle's blob hash (borrowed), else NULL
    const char *bundle_version; //  and its version
    uint64_t shard;
    uint32_t attempt; //  1 on the first run
    uint32_t lease_ms;
    sw_shard_spec_t spec;
} sw_grant_t;

//  Opens the job state kept in store and resumes every unfinished job:
//  shards that were in flight when the broker stopped are queued again.
//  allowed is the broker's network scope (borrowed). Returns NULL on error.
sw_jobs_t *sw_jobs_new (sw_store_t *store, const sw_hostlist_t *allowed, char *err, size_t errlen);
void sw_jobs_destroy (sw_jobs_t **self_p);

//  Gives the job state the broker's blob store, so that submits of jobs
//  with posture targets can check their files were uploaded.
void sw_jobs_set_blobs (sw_jobs_t *self, sw_blobs_t *blobs);

//  Validates and plans a job file and stores it. A job with posture
//  targets records content->rules, one with packages targets
//  content->advisories (content may be NULL: then such jobs are refused).
//  On success returns 0,
//  the new id in id and the number of shards in *total. token, when not
//  NULL, makes the call idempotent: a submit that repeats a token already
//  seen returns the job it created (a client's retry after a lost reply).
int sw_jobs_submit (sw_jobs_t *self, const char *text, size_t len, const char *source,
                    const char *token, const sw_content_t *content, char id[SW_JOB_ID_MAX],
                    uint64_t *total, char *err, size_t errlen);

//  Takes the next shard for node (queued retries first, oldest job first)
//  and leases it to that node until now + lease. Returns 1 with out filled,
//  or 0 when there is no work.
int sw_jobs_next (sw_jobs_t *self, const char *node, int64_t now, sw_grant_t *out);

//  Node ids are "NAME/SESSION": NAME comes from the node's key, SESSION
//  from its connection. Renews the lease of a shard held by node; a node
//  that reconnected (same NAME, new SESSION) takes its leases over, no
//  other node can. Unknown shards are ignored.
void sw_jobs_renew (sw_jobs_t *self, const char *job, uint64_t shard, const char *node,
                    int64_t now);

//  Records a finished shard reported by node (which must hold the lease, or
//  have held it last). Returns 1 if it was counted, 0 if it was already
//  finished, unknown, its job is over, or node may not report on it.
int sw_jobs_done (sw_jobs_t *self, const char *job, uint64_t shard, const char *node, uint64_t open,
                  uint64_t closed, uint64_t filtered);

//  Records a shard the node could not run in the given attempt: it is
//  retried while attempts remain, else failed with the reason. A report
//  about another attempt, or from a node that does not hold the lease, is
//  ignored. Returns 1 if it changed state.
int sw_jobs_failed (sw_jobs_t *self, const char *job, uint64_t shard, uint32_t attempt,
                    const char *node, const char *reason);

//  Merges a finding reported by node into its job by fingerprint. Returns
//  1 if new, 0 if already known or its job is over, -1 if refused: no such
//  job, node does not hold (or last held) the shard, or the shard already
//  has SW_SHARD_FINDINGS_MAX findings.
int sw_jobs_finding (sw_jobs_t *self, const sw_finding_t *f, const char *node);

//  Puts a shard just granted back at the head of its queue without
//  counting the attempt (the SHARD message could not be sent).
void sw_jobs_release (sw_jobs_t *self, const char *job, uint64_t shard);

//  Moves to node every lease held by another session of the same node
//  NAME (a node that reconnected). Returns how many moved.
size_t sw_jobs_adopt (sw_jobs_t *self, const char *node);

//  Requeues every shard leased to node (the node died, left or was revoked).
void sw_jobs_node_lost (sw_jobs_t *self, const char *node, const char *why);

//  Requeues or fails every shard whose lease has expired by now.
void sw_jobs_expire (sw_jobs_t *self, int64_t now);

//  Cancels a running job; cancelling a cancelled job is not an error.
//  Returns 0, -1 if there is no such job, -2 if it already ended (err).
int sw_jobs_cancel (sw_jobs_t *self, const char *id, char *err, size_t errlen);

//  Makes staged changes durable. Returns 0, or -1 with err.
int sw_jobs_commit (sw_jobs_t *self, char *err, size_t errlen);

//  Number of shards currently leased to node.
size_t sw_jobs_leases_of (sw_jobs_t *self, const char *node);

//  Number of running jobs and of all jobs.
void sw_jobs_counts (sw_jobs_t *self, size_t *running, size_t *total);

//  Packs the list of jobs (admin JOBS reply body).
void sw_jobs_pack_list (sw_jobs_t *self, msgpack_packer *pk);

//  1 if job id exists and is running, 0 if it exists and has ended, -1 if unknown.
int sw_jobs_running (sw_jobs_t *self, const char *id);

//  Packs one job's progress (admin JOB reply body). Returns -1 if unknown.
int sw_jobs_pack_progress (sw_jobs_t *self, const char *id, msgpack_packer *pk);

//  Packs up to limit of a job's findings, most severe first (admin
//  FINDINGS reply body). Returns -1 if the job is unknown.
int sw_jobs_pack_findings (sw_jobs_t *self, const char *id, size_t limit, msgpack_packer *pk);

//  Renders a job's report as JSON (schema in README). Returns a malloc'd
//  text, or NULL if the job is unknown.
char *sw_jobs_report_json (sw_jobs_t *self, const char *id, size_t *len);

#endif
