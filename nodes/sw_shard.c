/*  sw_shard - scanner dispatch and finding construction. See sw_shard.h. */
#include "sw_shard.h"

#include <czmq.h>
#include <ftw.h>
#include <inttypes.h>

#include "sw_archive.h"
#include "sw_bundle.h"
#include "sw_docload.h"
#include "sw_portpolicy.h"
#include "sw_packages.h"
#include "sw_posture.h"
#include "sw_proto.h"
#include "sw_secretinput.h"
#include "sw_secrets.h"
#include "sw_gitscan.h"
#include "sw_target.h"
#include "sw_netscan.h"
#include "sw_tcpscan.h"

const char *sw_shard_scanners[] = {"tcp", "net", "posture", "packages", "secrets", NULL};

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
    //  Evidence says what was seen, which depends on the scan method
    if (sw_tcpscan_method () == SW_TCPSCAN_SYN)
        snprintf (evidence, sizeof evidence, "%s:%u answered a SYN with SYN+ACK", ip, port);
    else
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

static void s_secrets_clear (sw_rules_cache_t *cache)
{
    sw_secrets_scratch_destroy (&cache->scratch);
    sw_secrets_destroy (&cache->secrets);
    cache->secrets_hash[0] = 0;
}

void sw_rules_cache_clear (sw_rules_cache_t *cache)
{
    sw_ruleset_destroy (&cache->rules);
    cache->hash[0] = 0;
    s_osv_clear (cache);
    s_secrets_clear (cache);
    sw_probetab_destroy (&cache->probes);
    cache->probes_hash[0] = 0;
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

//  The bytes of the shard's rule bundle, for an opener that verifies
//  them; NULL with err when it is not cached or there is no key to check.
static char *s_rule_bundle (const sw_shard_work_t *work, size_t *len, char *err, size_t errlen)
{
    char *data = s_blob_read (work, work->bundle, len, err, errlen);
    if (data && !work->content_pk) {
        snprintf (err, errlen, "this node has no content key to verify rule bundles with");
        free (data);
        return NULL;
    }
    return data;
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
    char *data = s_rule_bundle (work, &len, err, sizeof err);
    if (data)
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

// -------------------------------------------------------------------------
//  net

static int s_on_net_finding (void *arg, const sw_finding_t *f)
{
    files_ctx_t *ctx = arg;
    s_on_posture_finding (ctx, f);
    return ctx->result->nfindings > SW_MAX_SHARD_FINDINGS ? -1 : 0;
}

//  The worker's probe table: that of the shard's rule bundle, verified,
//  loaded once per bundle.
static const sw_probetab_t *s_probe_table (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    sw_rules_cache_t *cache = work->cache;
    if (cache->probes && strcmp (cache->probes_hash, work->bundle) == 0)
        return cache->probes;
    sw_probetab_destroy (&cache->probes);
    char err[400], version[SW_BUNDLE_VERSION_MAX + 1];
    size_t len;
    char *data = s_rule_bundle (work, &len, err, sizeof err);
    if (data)
        cache->probes = sw_bundle_open_probes ((const uint8_t *)data, len, work->content_pk,
                                               version, err, sizeof err);
    free (data);
    if (!cache->probes) {
        s_refused (work, r, "rule bundle", err);
        return NULL;
    }
    snprintf (cache->probes_hash, sizeof cache->probes_hash, "%s", work->bundle);
    return cache->probes;
}

static int s_run_net (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *r)
{
    uint32_t addr;
    char err[256];
    if (sw_ipv4_parse (work->target, &addr)) {
        snprintf (r->error, sizeof r->error, "bad target '%.64s': not an IPv4 address",
                  work->target);
        return -1;
    }
    if (!work->bundle || !work->cache || !work->blob_dir) {
        snprintf (r->error, sizeof r->error, "net shard without a rule bundle");
        return -1;
    }
    const sw_ruleset_t *rules = s_rules (work, r);
    const sw_probetab_t *probes = rules ? s_probe_table (work, r) : NULL;
    if (!probes)
        return -1;
    sw_portlist_t *ports = sw_portlist_parse (work->ports ? work->ports : "", err, sizeof err);
    if (!ports) {
        snprintf (r->error, sizeof r->error, "bad port list: %s", err);
        return -1;
    }
    sw_netscan_opts_t opts = {.probes = probes,
                              .connect_ms = (int)work->timeout_ms,
                              .max_inflight = work->max_inflight,
                              .read_ms = work->net ? work->net->read_ms : 0,
                              .banner_ms = work->net ? work->net->banner_ms : 0,
                              .port_budget_ms = work->net ? work->net->port_budget_ms : 0,
                              .per_target = work->net ? work->net->per_target : 0,
                              .ca_file = work->net ? work->net->ca_file : NULL};
    sw_netscan_stats_t stats;
    files_ctx_t ctx = {work, r, zclock_time ()};
    int rc = sw_netscan_run (rules, work->bundle_version, addr, ports, &opts, cancel,
                             s_on_net_finding, NULL, &ctx, &stats, err, sizeof err);
    sw_portlist_destroy (&ports);
    if (rc) {
        snprintf (r->error, sizeof r->error, "net scan of %s: %s", work->target,
                  r->nfindings > SW_MAX_SHARD_FINDINGS ? "too many findings" : err);
        return -1;
    }
    r->open = stats.open;
    r->closed = stats.closed;
    r->filtered = stats.filtered;
    return 0;
}

// -------------------------------------------------------------------------
//  secrets

//  The worker's secrets rules: those of the shard's rule bundle, verified,
//  compiled once per bundle.
static const sw_secrets_t *s_secret_rules (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    sw_rules_cache_t *cache = work->cache;
    if (cache->secrets && strcmp (cache->secrets_hash, work->bundle) == 0)
        return cache->secrets;
    s_secrets_clear (cache);
    char err[400], version[SW_BUNDLE_VERSION_MAX + 1];
    size_t len;
    char *data = s_rule_bundle (work, &len, err, sizeof err);
    if (data)
        cache->secrets = sw_bundle_open_secrets ((const uint8_t *)data, len, work->content_pk,
                                                 version, err, sizeof err);
    free (data);
    if (cache->secrets && !(cache->scratch = sw_secrets_scratch_new (cache->secrets))) {
        snprintf (err, sizeof err, "out of memory for the secrets scanner");
        sw_secrets_destroy (&cache->secrets);
    }
    if (!cache->secrets) {
        s_refused (work, r, "rule bundle", err);
        return NULL;
    }
    snprintf (cache->secrets_hash, sizeof cache->secrets_hash, "%s", work->bundle);
    return cache->secrets;
}

typedef struct {
    const sw_shard_work_t *work;
    sw_shard_result_t *result;
    int64_t now;
    uint64_t hits;
} secrets_ctx_t;

static const char s_secret_fix[] =
    "Treat the secret as compromised: revoke or rotate it at its issuer first, then remove it "
    "from the file (removing it from git history or an image does not un-leak a copy that was "
    "pushed or pulled), and have the service read it at run time from a secret manager or the "
    "environment.";

static int s_on_secret (void *arg, const sw_secret_where_t *where, const sw_secret_hit_t *hit)
{
    secrets_ctx_t *ctx = arg;
    sw_shard_result_t *r = ctx->result;
    sw_finding_t *f = s_next_slot (r);
    if (!f)
        return -1;
    memset (f, 0, sizeof *f);
    char location[64], evidence[512];
    snprintf (location, sizeof location, "line %" PRIu32 ", column %" PRIu32, hit->line, hit->col);
    int n = snprintf (evidence, sizeof evidence,
                      "%zu-character secret, shown masked: %s; keyed fingerprint %s", hit->length,
                      hit->preview, hit->fingerprint);
    if (where->place && n > 0 && (size_t)n < sizeof evidence) {
        char when[32];
        time_t t = (time_t)where->place->time;
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf (evidence + n, sizeof evidence - (size_t)n,
                  "; first in commit %s (author date %s)", where->place->commit, when);
    }
    f->job = strdup (ctx->work->job);
    f->shard = ctx->work->shard;
    f->scanner = strdup ("secrets");
    f->rule = strdup (hit->rule);
    if (sw_severity_parse (hit->severity, &f->severity))
        f->severity = SW_SEV_HIGH;
    f->resource = sw_finding_text (where->resource);
    f->location = strdup (location);
    f->title = sw_finding_text (hit->title);
    f->evidence = strdup (evidence);
    f->remediation = strdup (s_secret_fix);
    f->first_seen = ctx->now;
    f->bundle = ctx->work->bundle_version ? strdup (ctx->work->bundle_version) : NULL;
    sw_finding_fingerprint (f);
    r->nfindings++;
    ctx->hits++;
    return r->nfindings > SW_MAX_SHARD_FINDINGS ? 1 : 0;
}

static int s_rm_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir (path) : unlink (path);
}

//  One part of a git history: the packed repository is unpacked into a
//  private folder beside the blob cache, walked, and removed. Returns 1
//  when the findings callback stopped it, else 0 (problems in the tally).
static int s_scan_history (const sw_secret_input_t *in, const sw_shard_work_t *work,
                           const char *data, size_t len)
{
    sw_secret_tally_t *tally = in->tally;
    unsigned part = 0, parts = 0;
    if (sscanf (work->kind, "git:%u/%u", &part, &parts) != 2 || part < 1 || part > parts) {
        snprintf (tally->err, sizeof tally->err, "bad history part '%.40s'", work->kind);
        return 0;
    }
    char dir[1200];
    snprintf (dir, sizeof dir, "%s/history-XXXXXX", work->blob_dir);
    if (!mkdtemp (dir)) {
        snprintf (tally->err, sizeof tally->err, "cannot make a folder under %.300s: %s",
                  work->blob_dir, strerror (errno));
        return 0;
    }
    char err[600];
    int stopped = 0;
    if (sw_archive_unpack (data, len, dir, (uint64_t)SW_BLOB_MAX_SIZE * 4, err, sizeof err))
        snprintf (tally->err, sizeof tally->err, "repository %.100s: %.240s", work->files[0].name,
                  err);
    else
        stopped = sw_secret_input_history (in, work->files[0].name, dir, part - 1, parts) == 1;
    nftw (dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return stopped;
}

static int s_run_secrets (const sw_shard_work_t *work, sw_shard_result_t *r)
{
    if (!work->has_fp_key) {
        snprintf (r->error, sizeof r->error, "secrets shard without a fingerprint key");
        return -1;
    }
    const sw_secrets_t *set = s_secret_rules (work, r);
    if (!set)
        return -1;
    if (!work->nfiles) {
        snprintf (r->error, sizeof r->error, "secrets shard without files");
        return -1;
    }
    secrets_ctx_t ctx = {.work = work, .result = r, .now = zclock_time ()};
    sw_secret_tally_t tally = {0};
    sw_secret_input_t in = {
        set, work->cache->scratch, work->fp_key, SW_SECRETS_MAX_FILE, s_on_secret, &ctx, &tally};
    bool history = work->kind && strncmp (work->kind, "git:", 4) == 0;
    for (size_t i = 0; i < work->nfiles && !*tally.err; i++) {
        size_t len;
        char err[400];
        char *data = s_blob_read (work, work->files[i].hash, &len, err, sizeof err);
        if (!data) {
            snprintf (tally.err, sizeof tally.err, "input %.150s: %.240s", work->files[i].name,
                      err);
            break;
        }
        int stopped = history ? s_scan_history (&in, work, data, len)
                              : sw_secret_input_scan (&in, work->files[i].name, data, len);
        sodium_memzero (data, len); //  the bytes held the secrets in clear
        free (data);
        if (stopped || r->nfindings > SW_MAX_SHARD_FINDINGS)
            break;
    }
    //  A damaged archive is reported with the members read before the damage
    if (*tally.warning)
        zsys_warning ("shard %s/%" PRIu64 ": %s", work->job, work->shard, tally.warning);
    if (r->nfindings > SW_MAX_SHARD_FINDINGS)
        snprintf (tally.err, sizeof tally.err,
                  "over %d findings in one shard: the files are full of secrets-like text",
                  SW_MAX_SHARD_FINDINGS);
    if (*tally.err) {
        snprintf (r->error, sizeof r->error, "%s", tally.err);
        return -1;
    }
    char commits[48] = "";
    if (history)
        snprintf (commits, sizeof commits, " (part %s of a history of %" PRIu64 " commits)",
                  work->kind + 4, tally.commits);
    zsys_info ("shard %s/%" PRIu64 ": secrets: %" PRIu64 " texts%s, %" PRIu64 " bytes, %" PRIu64
               " skipped (binary or over the size limit), %" PRIu64 " found",
               work->job, work->shard, tally.texts, commits, tally.bytes,
               tally.binary + tally.oversized, ctx.hits);
    return 0;
}

int sw_shard_run (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *result)
{
    memset (result, 0, sizeof *result);
    if (work->scanner && strcmp (work->scanner, "tcp") == 0)
        return s_run_tcp (work, cancel, result);
    if (work->scanner && strcmp (work->scanner, "secrets") == 0)
        return s_run_secrets (work, result);
    if (work->scanner && strcmp (work->scanner, "net") == 0)
        return s_run_net (work, cancel, result);
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
    sodium_memzero (work, sizeof *work);
}
