/*  sw_shard - runs one shard's scanner and turns what it saw into findings.

    The node's worker threads call this; it knows scanners, not sockets or
    the broker. Each open TCP port becomes one finding whose rule and
    severity come from the port policy (docs/port-policy.md). */
#ifndef SW_SHARD_H
#define SW_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "sw_blobref.h"
#include "sw_finding.h"
#include "sw_osv.h"
#include "sw_rule.h"

//  A worker's loaded rule bundle and advisory database, kept between
//  shards so that each is verified and parsed once per worker, not once
//  per shard.
typedef struct {
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_ruleset_t *rules;
    char *osv_key;    //  the database's parts, "HASH+HASH+..."
    sw_osvdb_t **osv; //  one index per part, oldest first
    size_t nosv;
    char secrets_hash[SW_BLOB_HEX_LEN + 1]; //  the bundle the secrets rules came from
    struct _sw_secrets_t *secrets;
    struct _sw_secrets_scratch_t *scratch;
    char probes_hash[SW_BLOB_HEX_LEN + 1]; //  the bundle the probe table came from
    struct _sw_probetab_t *probes;
} sw_rules_cache_t;

void sw_rules_cache_clear (sw_rules_cache_t *cache);

//  The node's settings for the net scanner's probes.
typedef struct {
    int read_ms, banner_ms, port_budget_ms, per_target;
    const char *ca_file;
} sw_net_settings_t;

typedef struct {
    char *job;
    uint64_t shard;
    uint32_t attempt;
    char *scanner;
    char *target;
    char *ports;
    uint32_t timeout_ms;
    int max_inflight;
    //  posture: group kind, files, rule bundle; blobs are read from
    //  blob_dir/<hash>, the bundle is verified with content_pk
    char *kind;
    sw_blobref_t *files;
    size_t nfiles;
    char *bundle;
    char *bundle_version;
    const char *blob_dir;
    const uint8_t *content_pk;    //  NULL: this node has no content key
    sw_rules_cache_t *cache;      //  the worker's
    size_t blobs_missing;         //  the node's count while the shard waits for blobs
    const char *host_root;        //  packages "host" shards: where the host's files are
    const char *node_name;        //  ... and whose host it is, in findings' locations
    uint64_t epoch;               //  the node's contact epoch when the shard came (node's own)
    const sw_net_settings_t *net; //  net: the node's probe settings (NULL: defaults)
    uint8_t fp_key[32];           //  secrets: the fingerprint key (wiped when cleared)
    bool has_fp_key;
} sw_shard_work_t;

typedef struct {
    sw_finding_t *findings;
    size_t nfindings;
    size_t capacity;
    uint64_t open, closed, filtered;
    char error[512]; //  non-empty when the shard could not be run
} sw_shard_result_t;

//  Scanners this node can run, as a NULL-terminated list.
extern const char *sw_shard_scanners[];

//  Runs work and fills result (zeroed first). Returns 0 when the shard
//  ran to the end, -1 when it failed (result->error says why) or was
//  cancelled through *cancel.
int sw_shard_run (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *result);

//  Frees what a result owns.
void sw_shard_result_clear (sw_shard_result_t *result);

//  Frees what a work item owns.
void sw_shard_work_clear (sw_shard_work_t *work);

#endif
