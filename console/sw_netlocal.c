/*  sw_netlocal - `sweepctl net`. See sw_netlocal.h. */
#include "sw_netlocal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_finding.h"
#include "sw_netscan.h"
#include "sw_synscan.h"
#include "sw_rule.h"
#include "sw_target.h"

typedef struct {
    sw_finding_t *items;
    size_t n, cap;
    FILE *out;
    bool json;
    size_t services;
} run_t;

static int s_keep (void *arg, const sw_finding_t *f)
{
    run_t *r = arg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        sw_finding_t *items = realloc (r->items, cap * sizeof *items);
        if (!items)
            return -1;
        r->items = items;
        r->cap = cap;
    }
    if (sw_finding_copy (&r->items[r->n], f))
        return -1;
    r->n++;
    return 0;
}

static void s_facts (void *arg, const char *json)
{
    run_t *r = arg;
    if (r->json)
        fprintf (r->out, "%s\n    %s", r->services ? "," : "", json);
    r->services++;
}

int sw_netlocal_run (char **targets, size_t n, const sw_netlocal_opts_t *opts)
{
    char err[512] = "";
    if (!opts->ports) {
        fprintf (stderr, "sweepctl: net needs --ports (e.g. --ports 1-1024,6379)\n");
        return 2;
    }
    bool json = opts->format && strcmp (opts->format, "json") == 0;
    if (opts->format && !json && strcmp (opts->format, "table") != 0) {
        fprintf (stderr, "sweepctl: --format is table or json, not '%s'\n", opts->format);
        return 2;
    }
    sw_severity_t gate = SW_SEV_COUNT;
    if (opts->fail_on && sw_severity_parse (opts->fail_on, &gate))
        return 2;
    sw_portlist_t *ports = sw_portlist_parse (opts->ports, err, sizeof err);
    sw_hostlist_t *hosts = sw_hostlist_new (), *scope = sw_hostlist_new ();
    int rc = ports ? 0 : 2;
    if (!ports)
        fprintf (stderr, "sweepctl: --ports: %s\n", err);
    if (rc == 0 &&
        sw_synscan_choose (opts->scan_method ? opts->scan_method : "auto", err, sizeof err) < 0) {
        fprintf (stderr, "sweepctl: --scan-method: %s\n", err);
        rc = 2;
    }
    char *spec = strdup (opts->scope ? opts->scope : "127.0.0.0/8");
    char *save = NULL;
    for (char *c = strtok_r (spec, ",", &save); c && rc == 0; c = strtok_r (NULL, ",", &save))
        if (sw_hostlist_add (scope, c, err, sizeof err)) {
            fprintf (stderr, "sweepctl: --scope: %s\n", err);
            rc = 2;
        }
    free (spec);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (sw_hostlist_add (hosts, targets[i], err, sizeof err)) {
            fprintf (stderr, "sweepctl: %s\n", err);
            rc = 2;
        }
    char offender[64];
    if (rc == 0 && !sw_hostlist_within (hosts, scope, offender, sizeof offender)) {
        fprintf (stderr,
                 "sweepctl: %s is outside the scope %s (widen it with --scope CIDR,... only for "
                 "hosts you are allowed to scan)\n",
                 offender, opts->scope ? opts->scope : "127.0.0.0/8");
        rc = 2;
    }
    sw_ruleset_t *rules = rc == 0 ? sw_ruleset_new () : NULL;
    if (rules && sw_ruleset_add_dir (rules, opts->rules, err, sizeof err)) {
        fprintf (stderr, "sweepctl: %s\n", err);
        rc = 2;
    }
    //  The probe table beside the rules (RULES/probes/net.yaml)
    sw_probetab_t *probes =
        rc == 0 ? sw_probetab_load_rules (opts->rules, NULL, err, sizeof err) : NULL;
    if (rc == 0 && !probes) {
        fprintf (stderr, "sweepctl: %s\n", err);
        rc = 2;
    }
    FILE *out = rc == 0 && opts->output ? fopen (opts->output, "w") : stdout;
    if (!out) {
        fprintf (stderr, "sweepctl: %s: %s\n", opts->output, strerror (errno));
        out = stdout;
        rc = 2;
    }
    run_t run = {.out = out, .json = json};
    uint64_t count = rc == 0 ? sw_hostlist_count (hosts) : 0;
    sw_netscan_opts_t nopts = {.connect_ms = opts->timeout_ms,
                               .read_ms = opts->timeout_ms,
                               .ca_file = opts->ca_file,
                               .probes = probes};
    sw_netscan_stats_t total = {0};
    if (json && rc == 0)
        fprintf (out, "{\"schema\": \"cloudsweep.net/1\", \"services\": [");
    for (uint64_t h = 0; h < count; h++) {
        sw_netscan_stats_t stats;
        if (sw_netscan_run (rules, NULL, sw_hostlist_nth (hosts, h), ports, &nopts, NULL, s_keep,
                            s_facts, &run, &stats, err, sizeof err)) {
            fprintf (stderr, "sweepctl: %s\n", err);
            rc = 2;
        }
        total.open += stats.open;
        total.closed += stats.closed;
        total.filtered += stats.filtered;
        total.services += stats.services;
    }
    if (run.n > 1)
        qsort (run.items, run.n, sizeof *run.items, sw_finding_order);
    sw_severity_t worst = SW_SEV_INFO;
    if (json && count)
        fprintf (out, "\n  ],\n  \"findings\": [\n");
    else if (count)
        fprintf (out, "%-9s %-36s %-22s %s\n", "SEVERITY", "RULE", "WHERE", "TITLE");
    for (size_t i = 0; i < run.n; i++) {
        const sw_finding_t *f = &run.items[i];
        worst = f->severity > worst ? f->severity : worst;
        if (json)
            sw_finding_json (out, f, i + 1 == run.n);
        else {
            char where[64];
            snprintf (where, sizeof where, "%s:%s", f->resource, f->location + 4);
            fprintf (out, "%-9s %-36s %-22s %s\n     %s\n", sw_severity_name (f->severity), f->rule,
                     where, f->title, f->evidence);
        }
    }
    if (json && count)
        fprintf (out, "  ]\n}\n");
    if (out != stdout)
        fclose (out);
    if (count)
        fprintf (stderr,
                 "sweepctl: %" PRIu64 " hosts: %u open, %u closed, %u filtered ports; %u "
                 "services identified; %zu findings\n",
                 count, total.open, total.closed, total.filtered, total.services, run.n);
    if (rc == 0 && run.n && worst >= gate)
        rc = 1;
    for (size_t i = 0; i < run.n; i++)
        sw_finding_clear (&run.items[i]);
    free (run.items);
    sw_ruleset_destroy (&rules);
    sw_probetab_destroy (&probes);
    sw_portlist_destroy (&ports);
    sw_hostlist_destroy (&hosts);
    sw_hostlist_destroy (&scope);
    return rc;
}
