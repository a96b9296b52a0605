/*  sw_planner - shard numbering of a job. See sw_planner.h. */
#include "sw_planner.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_posture.h"
#include "sw_proto.h"
#include "sw_secrets.h"

typedef struct {
    char *scanner;
    sw_hostlist_t *hosts;
    sw_portlist_t *ports;
    uint32_t shard_ports;
    uint64_t chunks;      //  port chunks per host
    uint64_t first_shard; //  index of this target's first shard
    uint64_t shards;
    //  posture: the files (names owned here), and per group a contiguous
    //  copy of its members' references
    sw_blobref_t *files;
    size_t nfiles;
    sw_group_t *groups;
    sw_blobref_t **group_files;
    bool host;      //  packages: inventory the host of the node that runs it
    uint32_t parts; //  secrets history: parts of each repository (groups: repo x part)
} plan_target_t;

struct sw_plan_t {
    plan_target_t *targets;
    size_t ntargets;
    uint64_t total;
};

static const char *s_scanners[] = {"tcp", "net", "posture", "packages", "secrets", NULL};

int sw_plan_knows_scanner (const char *scanner)
{
    for (const char **s = s_scanners; *s; s++)
        if (strcmp (*s, scanner) == 0)
            return 1;
    return 0;
}

void sw_plan_destroy (sw_plan_t **self_p)
{
    sw_plan_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ntargets; i++) {
        free (self->targets[i].scanner);
        sw_hostlist_destroy (&self->targets[i].hosts);
        sw_portlist_destroy (&self->targets[i].ports);
        plan_target_t *pt = &self->targets[i];
        for (size_t f = 0; f < pt->nfiles; f++)
            free (pt->files[f].name);
        free (pt->files);
        for (uint64_t g = 0; pt->group_files && g < pt->shards; g++)
            free (pt->group_files[g]);
        free (pt->group_files);
        sw_posture_groups_free (pt->groups, pt->groups ? pt->shards : 0);
    }
    free (self->targets);
    free (self);
    *self_p = NULL;
}

static sw_hostlist_t *s_hostlist (char **specs, size_t n, char *err, size_t errlen)
{
    sw_hostlist_t *list = sw_hostlist_new ();
    for (size_t i = 0; i < n; i++)
        if (sw_hostlist_add (list, specs[i], err, errlen)) {
            sw_hostlist_destroy (&list);
            return NULL;
        }
    return list;
}

static int s_blobref_cmp (const void *a, const void *b)
{
    return strcmp (((const sw_blobref_t *)a)->name, ((const sw_blobref_t *)b)->name);
}

//  A name that occurs twice in names (sorted), or NULL.
static const char *s_repeated_name (const char **names, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp (names[i - 1], names[i]) == 0)
            return names[i];
    return NULL;
}

//  A shard carries its group's file list in one SHARD message: a group
//  whose list cannot fit (an AWS region is never cut, so a huge one can
//  get there) is refused when the job is planned, not sent in vain.
static int s_group_too_big (const plan_target_t *pt, const sw_group_t *g, char *why, size_t whylen)
{
    size_t bytes = 0;
    uint64_t content = 0;
    for (size_t m = 0; m < g->n; m++) {
        bytes += strlen (pt->files[g->members[m]].name) + SW_BLOB_HEX_LEN + 24;
        content += pt->files[g->members[m]].size;
    }
    if (content > SW_POSTURE_GROUP_MAX_BYTES) {
        //  A node holds a group's files in memory while it evaluates them.
        snprintf (why, whylen,
                  "%.200s holds %" PRIu64 " bytes; a shard reads at most %llu: split that folder",
                  g->name, content, (unsigned long long)SW_POSTURE_GROUP_MAX_BYTES);
        return -1;
    }
    if (g->n <= SW_MAX_SHARD_FILES && bytes <= SW_NODE_MAX_MSG - 16384)
        return 0;
    snprintf (why, whylen,
              "%.200s has %zu files (a %zu-byte file list); a shard carries at most %d files "
              "in %d bytes: split that folder",
              g->name, g->n, bytes, SW_MAX_SHARD_FILES, SW_NODE_MAX_MSG - 16384);
    return -1;
}

//  Copies a target's uploaded files into pt, in name order, and gives
//  names their order in *names_p (borrowed from pt). A name listed twice
//  is refused.
static int s_take_files (const sw_job_target_t *t, plan_target_t *pt, const char ***names_p,
                         char *why, size_t whylen)
{
    if (!t->files || t->nfiles == 0) {
        snprintf (why, whylen,
                  "a %s target reaches the broker with 'files' (sweepctl submit uploads "
                  "the 'paths' and sends them)",
                  t->scanner);
        return -1;
    }
    pt->files = calloc (t->nfiles, sizeof (sw_blobref_t));
    const char **names = calloc (t->nfiles, sizeof (char *));
    if (!pt->files || !names) {
        free (names);
        snprintf (why, whylen, "out of memory");
        return -1;
    }
    pt->nfiles = t->nfiles;
    for (size_t i = 0; i < t->nfiles; i++) {
        pt->files[i] = t->files[i];
        pt->files[i].name = strdup (t->files[i].name);
    }
    //  Name order, whatever order the job listed them in: groups and their
    //  members index this array.
    qsort (pt->files, pt->nfiles, sizeof (sw_blobref_t), s_blobref_cmp);
    for (size_t i = 0; i < t->nfiles; i++)
        names[i] = pt->files[i].name;
    const char *twice = s_repeated_name (names, t->nfiles);
    if (twice) {
        snprintf (why, whylen, "file %.200s is listed twice", twice);
        free (names);
        return -1;
    }
    *names_p = names;
    return 0;
}

//  A copy of each group's members' references, for the SHARD messages.
static int s_group_files (plan_target_t *pt, char *why, size_t whylen)
{
    for (uint64_t g = 0; g < pt->shards; g++)
        if (s_group_too_big (pt, &pt->groups[g], why, whylen))
            return -1;
    pt->group_files = calloc (pt->shards, sizeof (sw_blobref_t *));
    if (!pt->group_files) {
        snprintf (why, whylen, "out of memory");
        return -1;
    }
    for (uint64_t g = 0; g < pt->shards; g++) {
        pt->group_files[g] = calloc (pt->groups[g].n ? pt->groups[g].n : 1, sizeof (sw_blobref_t));
        if (!pt->group_files[g]) {
            snprintf (why, whylen, "out of memory");
            return -1;
        }
        for (size_t m = 0; m < pt->groups[g].n; m++)
            pt->group_files[g][m] = pt->files[pt->groups[g].members[m]];
    }
    return 0;
}

//  Groups a posture or packages target's uploaded files into shards.
static int s_plan_posture (const sw_job_target_t *t, plan_target_t *pt, char *why, size_t whylen)
{
    const char **names = NULL;
    if (s_take_files (t, pt, &names, why, whylen))
        return -1;
    long n = sw_posture_group_inputs (
        names, t->nfiles,
        strcmp (t->scanner, "packages") == 0 ? SW_INPUTS_PACKAGES : SW_INPUTS_POSTURE, &pt->groups);
    free (names);
    if (n <= 0) {
        snprintf (why, whylen, "none of the files is a %s input", t->scanner);
        return -1;
    }
    pt->shards = (uint64_t)n;
    return s_group_files (pt, why, whylen);
}

static sw_group_t *s_group_new (plan_target_t *pt, size_t max_members, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static sw_group_t *s_group_new (plan_target_t *pt, size_t max_members, const char *fmt, ...)
{
    sw_group_t *g = &pt->groups[pt->shards++];
    va_list args;
    va_start (args, fmt);
    if (vasprintf (&g->name, fmt, args) < 0)
        abort ();
    va_end (args);
    g->kind = SW_GROUP_FILES;
    g->members = malloc ((max_members ? max_members : 1) * sizeof (size_t));
    if (!g->members)
        abort ();
    g->n = 0;
    return g;
}

//  Groups a secrets target's files into shards: runs of files in name
//  order up to SW_SECRETS_SHARD_BYTES or SW_SECRETS_SHARD_FILES; or, for
//  a history target, each repository (uploaded packed) in `parts` parts.
static int s_plan_secrets (const sw_job_target_t *t, plan_target_t *pt, char *why, size_t whylen)
{
    const char **names = NULL;
    if (s_take_files (t, pt, &names, why, whylen))
        return -1;
    free (names);
    if (t->history) {
        pt->parts = t->shards ? t->shards : SW_SECRETS_HISTORY_PARTS;
        pt->groups = calloc (pt->nfiles * pt->parts, sizeof (sw_group_t));
        if (!pt->groups) {
            snprintf (why, whylen, "out of memory");
            return -1;
        }
        for (size_t f = 0; f < pt->nfiles; f++)
            for (uint32_t part = 0; part < pt->parts; part++) {
                sw_group_t *g =
                    s_group_new (pt, 1, "git:%.400s#%u/%u", pt->files[f].name, part + 1, pt->parts);
                g->members[g->n++] = f;
            }
        return s_group_files (pt, why, whylen);
    }
    pt->groups = calloc (pt->nfiles, sizeof (sw_group_t));
    if (!pt->groups) {
        snprintf (why, whylen, "out of memory");
        return -1;
    }
    sw_group_t *g = NULL;
    uint64_t bytes = 0, list = 0;
    for (size_t f = 0; f < pt->nfiles; f++) {
        uint64_t entry = strlen (pt->files[f].name) + SW_BLOB_HEX_LEN + 24;
        if (!g || g->n == SW_SECRETS_SHARD_FILES ||
            (g->n && bytes + pt->files[f].size > SW_SECRETS_SHARD_BYTES) ||
            list + entry > SW_NODE_MAX_MSG / 2) {
            g = s_group_new (pt, SW_SECRETS_SHARD_FILES, "secrets:%.400s", pt->files[f].name);
            bytes = list = 0;
        }
        g->members[g->n++] = f;
        bytes += pt->files[f].size;
        list += entry;
    }
    return s_group_files (pt, why, whylen);
}

//  Validates one target and fills pt. Returns 0, or -1 with a message.
static int s_plan_target (const sw_job_target_t *t, const sw_hostlist_t *job_scope,
                          const sw_hostlist_t *allowed, plan_target_t *pt, char *why, size_t whylen)
{
    char msg[512], offender[128];
    if (!sw_plan_knows_scanner (t->scanner)) {
        snprintf (why, whylen,
                  "unknown scanner '%s' (this broker plans: tcp, net, posture, packages, secrets)",
                  t->scanner);
        return -1;
    }
    pt->scanner = strdup (t->scanner);
    if (t->host && strcmp (t->scanner, "packages") == 0 && !t->files) {
        pt->shards = 1; //  one node's own host, whichever node takes it
        pt->host = true;
        return 0;
    }
    if (strcmp (t->scanner, "secrets") == 0)
        return s_plan_secrets (t, pt, why, whylen);
    if (sw_scanner_takes_files (t->scanner))
        return s_plan_posture (t, pt, why, whylen);
    if (!t->nhosts || !t->ports) {
        snprintf (why, whylen, "a %s target needs 'hosts' and 'ports'", t->scanner);
        return -1;
    }
    if (!(pt->hosts = s_hostlist (t->hosts, t->nhosts, msg, sizeof msg))) {
        snprintf (why, whylen, "hosts: %s", msg);
        return -1;
    }
    if (!(pt->ports = sw_portlist_parse (t->ports, msg, sizeof msg))) {
        snprintf (why, whylen, "%s", msg);
        return -1;
    }
    if (job_scope && !sw_hostlist_within (pt->hosts, job_scope, offender, sizeof offender)) {
        snprintf (why, whylen, "host %s is outside the job's scope", offender);
        return -1;
    }
    if (!sw_hostlist_within (pt->hosts, allowed, offender, sizeof offender)) {
        snprintf (why, whylen, "host %s is outside the broker's allowed scope", offender);
        return -1;
    }
    pt->shard_ports = t->shard_ports ? t->shard_ports : SW_SHARD_PORTS_DEFAULT;
    if (pt->shard_ports > SW_SHARD_PORTS_MAX) {
        snprintf (why, whylen, "shard_ports %u is above the maximum %d", pt->shard_ports,
                  SW_SHARD_PORTS_MAX);
        return -1;
    }
    uint32_t nports = sw_portlist_count (pt->ports);
    pt->chunks = (nports + pt->shard_ports - 1) / pt->shard_ports;
    uint64_t hosts = sw_hostlist_count (pt->hosts);
    if (hosts > SW_PLAN_MAX_SHARDS / pt->chunks) {
        snprintf (why, whylen,
                  "%" PRIu64 " hosts x %" PRIu64 " port chunks is more than %" PRIu64
                  " shards; split the job",
                  hosts, pt->chunks, (uint64_t)SW_PLAN_MAX_SHARDS);
        return -1;
    }
    pt->shards = hosts * pt->chunks;
    return 0;
}

sw_plan_t *sw_plan_new (const sw_jobfile_t *job, const sw_hostlist_t *allowed, char *err,
                        size_t errlen)
{
    sw_plan_t *self = calloc (1, sizeof *self);
    sw_hostlist_t *job_scope = NULL;
    char why[600];
    if (job->nscope && !(job_scope = s_hostlist (job->scope, job->nscope, why, sizeof why))) {
        snprintf (err, errlen, "scope: %s", why);
        goto fail;
    }
    self->targets = calloc (job->ntargets ? job->ntargets : 1, sizeof (plan_target_t));
    for (size_t i = 0; i < job->ntargets; i++) {
        plan_target_t *pt = &self->targets[i];
        self->ntargets = i + 1;
        if (s_plan_target (&job->targets[i], job_scope, allowed, pt, why, sizeof why)) {
            snprintf (err, errlen, "targets[%zu] (line %d): %s", i, job->targets[i].line, why);
            goto fail;
        }
        pt->first_shard = self->total;
        self->total += pt->shards;
        if (self->total > SW_PLAN_MAX_SHARDS) {
            snprintf (err, errlen,
                      "targets[%zu] (line %d): the job would have more than %" PRIu64
                      " shards; split it",
                      i, job->targets[i].line, (uint64_t)SW_PLAN_MAX_SHARDS);
            goto fail;
        }
    }
    if (self->total == 0) {
        snprintf (err, errlen, "the job has no work: no targets");
        goto fail;
    }
    sw_hostlist_destroy (&job_scope);
    return self;
fail:
    sw_hostlist_destroy (&job_scope);
    sw_plan_destroy (&self);
    return NULL;
}

void sw_plan_blobs (const sw_plan_t *self, bool secrets_only,
                    void (*fn) (void *arg, const char *hash), void *arg)
{
    for (size_t t = 0; t < self->ntargets; t++)
        if (!secrets_only ||
            (self->targets[t].scanner && strcmp (self->targets[t].scanner, "secrets") == 0))
            for (size_t f = 0; f < self->targets[t].nfiles; f++)
                fn (arg, self->targets[t].files[f].hash);
}

uint64_t sw_plan_total (const sw_plan_t *self)
{
    return self->total;
}

int sw_plan_shard (const sw_plan_t *self, uint64_t index, sw_shard_spec_t *out)
{
    if (index >= self->total)
        return -1;
    //  Few targets per job: a linear search is cheaper than anything else.
    const plan_target_t *pt = self->targets;
    while (index >= pt->first_shard + pt->shards)
        pt++;
    uint64_t local = index - pt->first_shard;
    out->scanner = pt->scanner;
    out->kind = NULL;
    out->files = NULL;
    out->nfiles = 0;
    out->ports[0] = 0;
    if (pt->host) {
        snprintf (out->target, sizeof out->target, "host");
        out->kind = "host";
        return 0;
    }
    if (pt->groups) {
        const sw_group_t *g = &pt->groups[local];
        snprintf (out->target, sizeof out->target, "%s", g->name);
        out->kind = g->kind == SW_GROUP_AWS ? "aws" : "files";
        if (pt->parts) {
            //  "git:K/N": the node scans part K of N of the history
            snprintf (out->kindbuf, sizeof out->kindbuf, "git:%" PRIu64 "/%u",
                      local % pt->parts + 1, pt->parts);
            out->kind = out->kindbuf;
        }
        out->files = pt->group_files[local];
        out->nfiles = g->n;
        return 0;
    }
    if (strcmp (pt->scanner, "net") == 0)
        out->kind = "net"; //  it needs the rule bundle: the SHARD carries it
    uint64_t host = local / pt->chunks;
    uint64_t chunk = local % pt->chunks;
    uint32_t nports = sw_portlist_count (pt->ports);
    uint32_t first = (uint32_t)(chunk * pt->shard_ports);
    uint32_t count = nports - first < pt->shard_ports ? nports - first : pt->shard_ports;
    sw_ipv4_format (sw_hostlist_nth (pt->hosts, host), out->target);
    return sw_portlist_slice_format (pt->ports, first, count, out->ports, sizeof out->ports);
}
