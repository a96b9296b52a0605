/*  sw_shard - scanner dispatch and finding construction. See sw_shard.h. */
#include "sw_shard.h"

#include <czmq.h>
#include <inttypes.h>

#include "sw_bundle.h"
#include "sw_docload.h"
#include "sw_portpolicy.h"
#include "sw_packages.h"
#include "sw_posture.h"
#include "sw_proto.h"
#include "sw_target.h"
#include "sw_tcpscan.h"

const char *sw_shard_scanners[] = {"tcp", "posture", "packages", NULL};

typedef struct {
    const sw_shard_work_t *work;
    sw_shard_result_t *result;
    int64_t now;
} open_ctx_t;

//  Room for one more finding in a result: the next slot, or NULL.
static sw_finding_t *s_next_slot (sw_shard_result_t *r)
{
    if (r->nfindings == r->capacity) {
        size_t cap = r->capacity ? r->capacity * 2 : 16;
        sw_finding_t *grown = realloc (r->findings, cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->findings = grown;
        r->capacity = cap;
    }
    return &r->findings[r->nfindings];
}

static int s_on_open (void *arg, uint32_t addr, uint16_t port)
{
    open_ctx_t *ctx = arg;
    sw_shard_result_t *r = ctx->result;
    sw_finding_t *f = s_next_slot (r);
    if (!f)
        return -1;
    const sw_port_policy_t *policy = sw_port_policy_lookup (port);
    char ip[16], rule[96], location[16], title[256], evidence[256], remediation[512];
    sw_ipv4_format (addr, ip);
    snprintf (rule, sizeof rule, "tcp.exposed.%s", policy->category);
    snprintf (location, sizeof location, "tcp/%u", port);
    snprintf (title, sizeof title, "TCP port %u (%s, %s) is reachable", port, policy->service,
              policy->category);
    snprintf (evidence, sizeof evidence, "TCP connect to %s:%u completed", ip, port);
    snprintf (remediation, sizeof remediation,
              "If %s on port %u is not meant to be reachable from this vantage point, "
              "restrict it with a firewall rule or security group, or stop the service. %s",
              policy->service, port, policy->why ? policy->why : "");
    r->nfindings++;
    memset (f, 0, sizeof *f);
    f->job = strdup (ctx->work->job);
    f->shard = ctx->work->shard;
    f->scanner = strdup ("tcp");
    f->rule = strdup (rule);
    f->severity = policy->severity;
    f->resource = strdup (ip);
    f->location = strdup (location);
    f->title = strdup (title);
    f->evidence = strdup (evidence);
    f->remediation = strdup (remediation);
    f->first_seen = ctx->now;
    sw_finding_fingerprint (f);
    return 0;
}

static int s_run_tcp (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *r)
{
    uint32_t addr;
    if (sw_ipv4_parse (work->target, &addr)) {
        snprintf (r->error, sizeof r->error, "bad target '%.64s': not an IPv4 address",
                  work->target);
        return -1;
    }
    char err[256];
    sw_portlist_t *ports = sw_portlist_parse (work->ports ? work->ports : "", err, sizeof err);
    if (!ports) {
        snprintf (r->error, sizeof r->error, "bad port list: %s", err);
        return -1;
    }
    sw_tcpscan_opts_t opts = {.max_inflight = work->max_inflight,
                              .timeout_ms = (int)work->timeout_ms};
    sw_tcpscan_stats_t stats = {0};
    open_ctx_t ctx = {work, r, zclock_time ()};
    int rc = sw_tcpscan_run (addr, ports, &opts, cancel, s_on_open, &ctx, &stats, err, sizeof err);
    sw_portlist_destroy (&ports);
    if (rc) {
        snprintf (r->error, sizeof r->error, "tcp scan of %s: %s", work->target,
                  *err ? err : "cancelled");
        return -1;
    }
    r->open = stats.open;
    r->closed = stats.closed;
    r->filtered = stats.filtered;
    return 0;
}

//  Reads a cached blob and checks it is what its name says.
static char *s_blob_read (const sw_shard_work_t *work, const char *hash, size_t *len, char *err,
                          size_t errlen)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", work->blob_dir, hash);
    char *data = sw_file_read (path, SW_BLOB_MAX_SIZE, len, err, errlen);
    if (!data)
        return NULL;
    char hex[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, *len, hex);
    if (strcmp (hex, hash) != 0) {
        snprintf (err, errlen, "cached blob %.16s... does not match its hash", hash);
        free (data);
        unlink (path); //  fetched again next time
        return NULL;
    }
    return data;
}

static void s_osv_clear (sw_rules_cache_t *cache)
{
    for (size_t i = 0; i < cache->nosv; i++)
        sw_osvdb_destroy (&cache->osv[i]);
    free (cache->osv);
    free (cache->osv_key);
    cache->osv = NULL;
    cache->osv_key = NULL;
    cache->nosv = 0;
}

void sw_rules_cache_clear (sw_rules_cache_t *cache)
{
    sw_ruleset_destroy (&cache->rules);
    cache->hash[0] = 0;
    s_osv_clear (cache);
}

//  Fails a shard whose content bundle was refused, with a log line.
static void s_refused (const sw_shard_work_t *work, sw_shard_result_t *r, const char *what,
                       const char *err)
{
    snprintf (r->error, sizeof r->error, "%s %.96s refused: %.300s", what,
              work->bundle_version ? work->bundle_version : "?", err);
    zsys_error ("shard %s/%" PRIu64 ": %s", work->job, work->shard, r->error);
}

//  One part of an advisory database, verified before it is read.
static sw_osvdb_t *s_advisory_part (const sw_shard_work_t *work, const char *hash, char *err,
                                    size_t errlen)
{
    char version[SW_BUNDLE_VERSION_MAX + 1];
    size_t len, plen;
    char *data = s_blob_read (work, hash, &len, err, errlen);
    void *payload = NULL;
    sw_osvdb_t *db = NULL;
    if (data && !work->content_pk)
        snprintf (err, errlen, "this node has no content key to verify bundles with");
    else if (data)
        payload = sw_bundle_open_payload ((const uint8_t *)data, len, work->content_pk,
                                          SW_BUNDLE_ADVISORIES, version, &plen, err, errlen);
    free (data);
    if (payload && (db = sw_osvdb_load (payload, plen, err, errlen)))
        sw_osvdb_index_ids (db);
    free (payload);
    return db;
}

//  The worker's advisory database for this shard: every part of it
//  ("HASH+HASH...", a full import then updates), each verified.
static bool s_advisories (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    sw_rules_cache_t *cache = work->cache;
    if (cache->osv_key && strcmp (cache->osv_key, work->bundle) == 0)
        return true;
    s_osv_clear (cache);
    char err[400] = "";
    for (const char *p = work->bundle; p && *p;) {
        const char *plus = strchr (p, '+');
        char hash[SW_BLOB_HEX_LEN + 1];
        snprintf (hash, sizeof hash, "%.*s", plus ? (int)(plus - p) : (int)strlen (p), p);
        sw_osvdb_t *db = s_advisory_part (work, hash, err, sizeof err);
        sw_osvdb_t **grown = db ? realloc (cache->osv, (cache->nosv + 1) * sizeof (*grown)) : NULL;
        if (!grown) {
            sw_osvdb_destroy (&db);
            s_osv_clear (cache);
            s_refused (work, r, "advisory database", err);
            return false;
        }
        cache->osv = grown;
        cache->osv[cache->nosv++] = db;
        p = plus ? plus + 1 : NULL;
    }
    cache->osv_key = strdup (work->bundle);
    return true;
}

//  The worker's rules for this shard's bundle, verified before a single
//  rule is parsed.
static const sw_ruleset_t *s_rules (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    sw_rules_cache_t *cache = work->cache;
    if (cache->rules && strcmp (cache->hash, work->bundle) == 0)
        return cache->rules;
    sw_rules_cache_clear (cache);
    char err[400], version[SW_BUNDLE_VERSION_MAX + 1];
    size_t len;
    char *data = s_blob_read (work, work->bundle, &len, err, sizeof err);
    if (data && !work->content_pk)
        snprintf (err, sizeof err, "this node has no content key to verify rule bundles with");
    else if (data)
        cache->rules =
            sw_bundle_open ((const uint8_t *)data, len, work->content_pk, version, err, sizeof err);
    free (data);
    if (!cache->rules) {
        s_refused (work, r, "rule bundle", err);
        return NULL;
    }
    snprintf (cache->hash, sizeof cache->hash, "%s", work->bundle);
    return cache->rules;
}

typedef struct {
    const sw_shard_work_t *work;
    sw_shard_result_t *result;
    int64_t now;
} files_ctx_t;

static void s_on_posture_finding (void *arg, const sw_finding_t *f)
{
    files_ctx_t *ctx = arg;
    sw_shard_result_t *r = ctx->result;
    sw_finding_t *copy = s_next_slot (r);
    if (!copy || sw_finding_copy (copy, f))
        return;
    copy->job = strdup (ctx->work->job);
    copy->shard = ctx->work->shard;
    copy->first_seen = ctx->now;
    r->nfindings++;
}

//  The package databases of the node's own host (under host_root, "/"
//  unless a test says otherwise), named "NODE:/path" in findings.
static const char *s_host_files[] = {"/var/lib/dpkg/status", "/lib/apk/db/installed",
                                     "/etc/os-release", NULL};

static int s_run_host (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    sw_input_file_t files[4];
    char *data[4] = {NULL}, names[4][300];
    size_t n = 0;
    for (int i = 0; s_host_files[i]; i++) {
        char path[1200], err[400];
        snprintf (path, sizeof path, "%s%s", strcmp (work->host_root, "/") ? work->host_root : "",
                  s_host_files[i]);
        size_t len;
        if (!(data[n] = sw_file_read (path, SW_DOC_MAX_BYTES, &len, err, sizeof err)))
            continue; //  not this kind of host
        snprintf (names[n], sizeof names[n], "%s:%s", work->node_name ? work->node_name : "node",
                  s_host_files[i]);
        files[n].name = names[n];
        files[n].data = data[n];
        files[n].len = len;
        n++;
    }
    if (n == 0 || (n == 1 && strstr (files[0].name, "os-release"))) {
        snprintf (r->error, sizeof r->error,
                  "this host has no package database (dpkg or apk) under %s", work->host_root);
        for (size_t i = 0; i < n; i++)
            free (data[i]);
        return -1;
    }
    files_ctx_t ctx = {work, r, zclock_time ()};
    sw_packages_run ((const sw_osvdb_t *const *)work->cache->osv, work->cache->nosv, files, n,
                     work->bundle_version, s_on_posture_finding, &ctx, NULL);
    for (size_t i = 0; i < n; i++)
        free (data[i]);
    return 0;
}

//  A posture or packages shard: its content (rules or advisories) first,
//  then its files, all read from the verified blob cache.
static int s_run_files (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    bool packages = strcmp (work->scanner, "packages") == 0;
    bool host = packages && work->kind && strcmp (work->kind, "host") == 0;
    if (host && work->bundle && work->blob_dir && work->cache && work->host_root) {
        return s_advisories (work, r) ? s_run_host (work, r) : -1;
    }
    if (!work->bundle || !work->files || !work->blob_dir || !work->cache) {
        snprintf (r->error, sizeof r->error, "%s shard without files or content bundle",
                  work->scanner);
        return -1;
    }
    const sw_ruleset_t *rules = packages ? NULL : s_rules (work, r);
    bool osv = packages && s_advisories (work, r);
    if (!rules && !osv)
        return -1;
    sw_input_file_t *files = calloc (work->nfiles, sizeof (sw_input_file_t));
    char **data = calloc (work->nfiles, sizeof (char *));
    int rc = 0;
    for (size_t i = 0; files && data && i < work->nfiles && rc == 0; i++) {
        char err[400];
        files[i].name = work->files[i].name;
        data[i] = s_blob_read (work, work->files[i].hash, &files[i].len, err, sizeof err);
        files[i].data = data[i];
        if (!data[i]) {
            snprintf (r->error, sizeof r->error, "input %.200s: %.280s", work->files[i].name, err);
            rc = -1;
        }
    }
    if (rc == 0 && files && data) {
        files_ctx_t ctx = {work, r, zclock_time ()};
        sw_group_kind_t kind =
            work->kind && strcmp (work->kind, "aws") == 0 ? SW_GROUP_AWS : SW_GROUP_FILES;
        if (packages)
            sw_packages_run ((const sw_osvdb_t *const *)work->cache->osv, work->cache->nosv, files,
                             work->nfiles, work->bundle_version, s_on_posture_finding, &ctx, NULL);
        else
            sw_posture_run (rules, kind, files, work->nfiles, work->bundle_version,
                            s_on_posture_finding, &ctx, NULL);
        if (r->nfindings > SW_MAX_SHARD_FINDINGS) {
            //  The broker would refuse the excess: fail loudly instead.
            snprintf (r->error, sizeof r->error,
                      "%zu findings, over the %d a shard may report: split the input folder",
                      r->nfindings, SW_MAX_SHARD_FINDINGS);
            rc = -1;
        }
    }
    for (size_t i = 0; data && i < work->nfiles; i++)
        free (data[i]);
    free (data);
    free (files);
    return rc;
}

int sw_shard_run (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *result)
{
    memset (result, 0, sizeof *result);
    if (work->scanner && strcmp (work->scanner, "tcp") == 0)
        return s_run_tcp (work, cancel, result);
    if (work->scanner && sw_scanner_takes_files (work->scanner))
        return s_run_files (work, result);
    snprintf (result->error, sizeof result->error, "scanner '%.64s' is not available on this node",
              work->scanner ? work->scanner : "");
    return -1;
}

void sw_shard_result_clear (sw_shard_result_t *result)
{
    for (size_t i = 0; i < result->nfindings; i++)
        sw_finding_clear (&result->findings[i]);
    free (result->findings);
    memset (result, 0, sizeof *result);
}

void sw_shard_work_clear (sw_shard_work_t *work)
{
    free (work->job);
    free (work->scanner);
    free (work->target);
    free (work->ports);
    free (work->kind);
    for (size_t i = 0; work->files && i < work->nfiles; i++)
        free (work->files[i].name);
    free (work->files);
    free (work->bundle);
    free (work->bundle_version);
    memset (work, 0, sizeof *work);
}
