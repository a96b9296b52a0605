/*  sw_shard - scanner dispatch and finding construction. See sw_shard.h. */
#include "sw_shard.h"

#include <czmq.h>
#include <inttypes.h>

#include "sw_portpolicy.h"
#include "sw_target.h"
#include "sw_tcpscan.h"

const char *sw_shard_scanners[] = {"tcp", NULL};

typedef struct {
    const sw_shard_work_t *work;
    sw_shard_result_t *result;
    int64_t now;
} open_ctx_t;

static int s_on_open (void *arg, uint32_t addr, uint16_t port)
{
    open_ctx_t *ctx = arg;
    sw_shard_result_t *r = ctx->result;
    if (r->nfindings == r->capacity) {
        size_t cap = r->capacity ? r->capacity * 2 : 16;
        sw_finding_t *grown = realloc (r->findings, cap * sizeof *grown);
        if (!grown)
            return -1;
        r->findings = grown;
        r->capacity = cap;
    }
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
    sw_finding_t *f = &r->findings[r->nfindings++];
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

int sw_shard_run (const sw_shard_work_t *work, volatile int *cancel, sw_shard_result_t *result)
{
    memset (result, 0, sizeof *result);
    if (work->scanner && strcmp (work->scanner, "tcp") == 0)
        return s_run_tcp (work, cancel, result);
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
    memset (work, 0, sizeof *work);
}
