/*  Unit tests for sw_planner: shard numbering, port chunks and scope checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_planner.h"

//  Broker scope used unless a test says otherwise.
#define ALLOWED "127.0.0.0/8"

static sw_hostlist_t *s_hosts (const char *spec)
{
    char err[256] = "";
    sw_hostlist_t *list = sw_hostlist_new ();
    cr_assert_not_null (list);
    cr_assert_eq (sw_hostlist_add (list, spec, err, sizeof err), 0, "%s: %s", spec, err);
    return list;
}

static sw_jobfile_t *s_job (const char *text)
{
    char err[512] = "";
    sw_jobfile_t *job = sw_jobfile_parse (text, strlen (text), "job.yaml", err, sizeof err);
    cr_assert_not_null (job, "job file rejected: %s\n%s", err, text);
    return job;
}

//  Plans text within allowed; asserts success.
static sw_plan_t *s_plan_ok (const char *text, const char *allowed)
{
    sw_jobfile_t *job = s_job (text);
    sw_hostlist_t *scope = s_hosts (allowed);
    char err[1024] = "";
    sw_plan_t *plan = sw_plan_new (job, scope, err, sizeof err);
    cr_assert_not_null (plan, "plan failed: %s", err);
    sw_hostlist_destroy (&scope);
    sw_jobfile_destroy (&job);
    return plan;
}

//  Plans text within allowed expecting refusal; returns the message.
static void s_plan_fails (const char *text, const char *allowed, char *err, size_t errlen)
{
    sw_jobfile_t *job = s_job (text);
    sw_hostlist_t *scope = s_hosts (allowed);
    err[0] = 0;
    sw_plan_t *plan = sw_plan_new (job, scope, err, errlen);
    cr_assert_null (plan, "plan should have been refused:\n%s", text);
    cr_assert_neq (err[0], 0, "a refusal must say why");
    sw_hostlist_destroy (&scope);
    sw_jobfile_destroy (&job);
}

static void s_assert_contains (const char *text, const char *want)
{
    cr_assert (strstr (text, want), "message '%s' lacks '%s'", text, want);
}

static void s_shard_eq (const sw_plan_t *plan, uint64_t index, const char *target,
                        const char *ports)
{
    sw_shard_spec_t spec;
    memset (&spec, 0x55, sizeof spec);
    cr_assert_eq (sw_plan_shard (plan, index, &spec), 0, "shard %lu", (unsigned long)index);
    cr_assert_not_null (spec.scanner);
    cr_assert_str_eq (spec.scanner, "tcp");
    cr_assert_str_eq (spec.target, target, "shard %lu target", (unsigned long)index);
    cr_assert_str_eq (spec.ports, ports, "shard %lu ports", (unsigned long)index);
}

//  Three targets:
//   [0] 5 hosts (127.0.0.1 + 127.0.1.0/30) x 1000 ports / 256 = 4 chunks -> 20 shards (0..19)
//   [1] 1 host x 3 ports / 2 = 2 chunks                                     ->  2 shards (20..21)
//   [2] 2 hosts (127.0.2.0/31) x 512 ports / 256 = 2 chunks (exact)         ->  4 shards (22..25)
static const char *s_three_targets = "name: three\n"
                                     "targets:\n"
                                     "  - scanner: tcp\n"
                                     "    hosts: [127.0.0.1, 127.0.1.0/30]\n"
                                     "    ports: \"1-1000\"\n"
                                     "    shard_ports: 256\n"
                                     "  - scanner: tcp\n"
                                     "    hosts: [127.0.0.9]\n"
                                     "    ports: \"443,22,80\"\n"
                                     "    shard_ports: 2\n"
                                     "  - scanner: tcp\n"
                                     "    hosts: [127.0.2.0/31]\n"
                                     "    ports: \"1-512\"\n"
                                     "    shard_ports: 256\n";

Test (planner, total_is_hosts_times_port_chunks_summed_over_targets)
{
    sw_plan_t *plan = s_plan_ok (s_three_targets, ALLOWED);
    cr_assert_eq (sw_plan_total (plan), 5 * 4 + 1 * 2 + 2 * 2);
    sw_plan_destroy (&plan);
    cr_assert_null (plan);
}

Test (planner, shards_are_host_major_with_port_chunks)
{
    sw_plan_t *plan = s_plan_ok (s_three_targets, ALLOWED);
    //  Target 0: first host, its chunks in order, the last one partial.
    s_shard_eq (plan, 0, "127.0.0.1", "1-256");
    s_shard_eq (plan, 1, "127.0.0.1", "257-512");
    s_shard_eq (plan, 2, "127.0.0.1", "513-768");
    s_shard_eq (plan, 3, "127.0.0.1", "769-1000");
    //  Then the next host (from the CIDR) starts again at the first chunk.
    s_shard_eq (plan, 4, "127.0.1.0", "1-256");
    s_shard_eq (plan, 6, "127.0.1.0", "513-768");
    s_shard_eq (plan, 9, "127.0.1.1", "257-512");
    s_shard_eq (plan, 19, "127.0.1.3", "769-1000");
    //  Target 1 starts right after target 0; ports are sorted.
    s_shard_eq (plan, 20, "127.0.0.9", "22,80");
    s_shard_eq (plan, 21, "127.0.0.9", "443");
    //  Target 2: chunks divide the ports exactly.
    s_shard_eq (plan, 22, "127.0.2.0", "1-256");
    s_shard_eq (plan, 23, "127.0.2.0", "257-512");
    s_shard_eq (plan, 24, "127.0.2.1", "1-256");
    s_shard_eq (plan, 25, "127.0.2.1", "257-512");
    sw_plan_destroy (&plan);
}

Test (planner, out_of_range_index_returns_minus_one)
{
    sw_plan_t *plan = s_plan_ok (s_three_targets, ALLOWED);
    sw_shard_spec_t spec;
    cr_assert_eq (sw_plan_shard (plan, 26, &spec), -1);
    cr_assert_eq (sw_plan_shard (plan, 27, &spec), -1);
    cr_assert_eq (sw_plan_shard (plan, UINT64_MAX, &spec), -1);
    cr_assert_eq (sw_plan_shard (plan, 25, &spec), 0, "the last shard is in range");
    sw_plan_destroy (&plan);
}

//  Every (host, port) pair of a target is in exactly one shard, and each
//  shard holds at most shard_ports ports.
Test (planner, shards_cover_every_host_port_pair_exactly_once)
{
    const char *text = "name: cover\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.0.4/30, 127.0.0.200]\n"
                       "    ports: \"7,20-29,100,1000-1010,65535\"\n"
                       "    shard_ports: 6\n";
    sw_plan_t *plan = s_plan_ok (text, ALLOWED);
    const uint32_t nports = 1 + 10 + 1 + 11 + 1; //  24 ports -> 4 chunks of 6
    cr_assert_eq (sw_plan_total (plan), 5 * 4);
    static unsigned char seen[5][65536];
    memset (seen, 0, sizeof seen);
    uint64_t pairs = 0;
    for (uint64_t i = 0; i < sw_plan_total (plan); i++) {
        sw_shard_spec_t spec;
        cr_assert_eq (sw_plan_shard (plan, i, &spec), 0);
        uint32_t addr;
        cr_assert_eq (sw_ipv4_parse (spec.target, &addr), 0, "target '%s'", spec.target);
        int host = addr == 0x7f0000c8 ? 4 : (int)(addr - 0x7f000004);
        cr_assert (host >= 0 && host < 5, "unexpected host %s", spec.target);
        cr_assert_eq ((uint64_t)host, i / 4, "host-major: shard %lu", (unsigned long)i);
        char err[256];
        sw_portlist_t *ports = sw_portlist_parse (spec.ports, err, sizeof err);
        cr_assert_not_null (ports, "shard ports '%s': %s", spec.ports, err);
        cr_assert_leq (sw_portlist_count (ports), 6);
        for (uint32_t n = 0; n < sw_portlist_count (ports); n++) {
            uint16_t port = sw_portlist_nth (ports, n);
            cr_assert_eq (seen[host][port], 0, "%s:%u in two shards", spec.target, port);
            seen[host][port] = 1;
            pairs++;
        }
        sw_portlist_destroy (&ports);
    }
    cr_assert_eq (pairs, 5 * nports);
    sw_plan_destroy (&plan);
}

Test (planner, default_shard_ports_is_256)
{
    sw_job_target_t target = {
        .scanner = "tcp", .hosts = (char *[]){"127.0.0.1"}, .nhosts = 1, .ports = "1-600"};
    sw_jobfile_t job = {.name = "d", .targets = &target, .ntargets = 1};
    sw_hostlist_t *scope = s_hosts (ALLOWED);
    char err[256] = "";
    sw_plan_t *plan = sw_plan_new (&job, scope, err, sizeof err);
    cr_assert_not_null (plan, "%s", err);
    cr_assert_eq (sw_plan_total (plan), 3);
    s_shard_eq (plan, 0, "127.0.0.1", "1-256");
    s_shard_eq (plan, 2, "127.0.0.1", "513-600");
    sw_plan_destroy (&plan);
    sw_hostlist_destroy (&scope);
}

//  Plans one hand-built target (the job file parser caps the ports text at
//  4 KiB, the planner itself does not). Returns NULL with err on refusal.
static sw_plan_t *s_plan_target (const char *host, char *ports, uint32_t shard_ports, char *err,
                                 size_t errlen)
{
    char *hosts[] = {(char *)host};
    sw_job_target_t target = {.scanner = "tcp",
                              .hosts = hosts,
                              .nhosts = 1,
                              .ports = ports,
                              .shard_ports = shard_ports,
                              .line = 3};
    sw_jobfile_t job = {.name = "t", .targets = &target, .ntargets = 1};
    sw_hostlist_t *scope = s_hosts (ALLOWED);
    err[0] = 0;
    sw_plan_t *plan = sw_plan_new (&job, scope, err, errlen);
    sw_hostlist_destroy (&scope);
    return plan;
}

Test (planner, max_shard_ports_is_accepted_and_fits_the_spec_buffer)
{
    //  4096 distinct, non-adjacent ports: the longest possible ports text.
    size_t cap = 4096 * 7 + 64;
    char *ports = malloc (cap);
    size_t used = 0;
    for (int p = 2; p <= 8192; p += 2)
        used += (size_t)snprintf (ports + used, cap - used, "%s%d", used ? "," : "", p);
    char err[1024];
    sw_plan_t *plan = s_plan_target ("127.0.0.1", ports, 4096, err, sizeof err);
    cr_assert_not_null (plan, "%s", err);
    cr_assert_eq (sw_plan_total (plan), 1);
    sw_shard_spec_t spec;
    cr_assert_eq (sw_plan_shard (plan, 0, &spec), 0);
    cr_assert_str_eq (spec.ports, ports);
    sw_plan_destroy (&plan);
    free (ports);
}

Test (planner, shard_ports_above_4096_is_refused)
{
    const char *text = "name: big\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.0.1]\n"
                       "    ports: \"1-65535\"\n"
                       "    shard_ports: 4097\n";
    char err[1024];
    s_plan_fails (text, ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[0]");
    s_assert_contains (err, "shard_ports 4097");
    s_assert_contains (err, "4096");
}

Test (planner, target_outside_broker_scope_is_refused_naming_host_and_target)
{
    const char *text = "name: escape\n"           //  line 1
                       "targets:\n"               //  line 2
                       "  - scanner: tcp\n"       //  line 3
                       "    hosts: [127.0.0.1]\n" //  line 4
                       "    ports: \"22\"\n"      //  line 5
                       "  - scanner: tcp\n"       //  line 6
                       "    hosts: [127.0.0.2, 10.0.0.1]\n"
                       "    ports: \"22\"\n";
    char err[1024];
    s_plan_fails (text, ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[1]");
    s_assert_contains (err, "line 6");
    s_assert_contains (err, "10.0.0.1");
    s_assert_contains (err, "allowed scope");
    cr_assert_null (strstr (err, "127.0.0.2"), "'%s' blames an allowed host", err);
}

Test (planner, cidr_partly_outside_broker_scope_is_refused)
{
    const char *text = "name: wide\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.0.128/25, 127.0.0.0/23]\n"
                       "    ports: \"22\"\n";
    char err[1024];
    s_plan_fails (text, "127.0.0.0/24", err, sizeof err);
    s_assert_contains (err, "targets[0] (line 3)");
    s_assert_contains (err, "127.0.0.0/23");
    s_assert_contains (err, "allowed scope");
}

Test (planner, target_outside_job_scope_is_refused)
{
    const char *text = "name: scoped\n"
                       "scope: [127.0.0.0/24]\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.0.5]\n"
                       "    ports: \"22\"\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.1.5]\n"
                       "    ports: \"22\"\n";
    char err[1024];
    //  127.0.1.5 is within the broker's scope but not the job's own.
    s_plan_fails (text, ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[1]");
    s_assert_contains (err, "line 7");
    s_assert_contains (err, "127.0.1.5");
    s_assert_contains (err, "job's scope");
}

Test (planner, target_inside_job_scope_is_planned)
{
    const char *text = "name: scoped\n"
                       "scope: [127.0.0.0/24, 127.0.5.0/24]\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.5.7, 127.0.0.0/30]\n"
                       "    ports: \"22\"\n";
    sw_plan_t *plan = s_plan_ok (text, ALLOWED);
    cr_assert_eq (sw_plan_total (plan), 5);
    s_shard_eq (plan, 0, "127.0.5.7", "22");
    s_shard_eq (plan, 4, "127.0.0.3", "22");
    sw_plan_destroy (&plan);
}

Test (planner, unknown_scanner_is_refused)
{
    const char *text = "name: udp\n"
                       "targets:\n"
                       "  - scanner: tcp\n"
                       "    hosts: [127.0.0.1]\n"
                       "    ports: \"22\"\n"
                       "  - scanner: udp\n"
                       "    hosts: [127.0.0.1]\n"
                       "    ports: \"53\"\n";
    char err[1024];
    s_plan_fails (text, ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[1]");
    s_assert_contains (err, "unknown scanner 'udp'");
    cr_assert_eq (sw_plan_knows_scanner ("tcp"), 1);
    cr_assert_eq (sw_plan_knows_scanner ("udp"), 0);
    cr_assert_eq (sw_plan_knows_scanner (""), 0);
    cr_assert_eq (sw_plan_knows_scanner ("TCP"), 0);
}

Test (planner, tcp_target_without_ports_is_refused)
{
    //  The parser lets a target omit ports (other scanners need none).
    char err[1024];
    sw_plan_t *plan = s_plan_target ("127.0.0.1", NULL, 256, err, sizeof err);
    cr_assert_null (plan);
    s_assert_contains (err, "targets[0] (line 3)");
    s_assert_contains (err, "ports");
}

Test (planner, bad_host_and_port_syntax_are_refused)
{
    char err[1024];
    s_plan_fails ("name: h\ntargets:\n  - scanner: tcp\n    hosts: [127.0.0.256]\n"
                  "    ports: \"22\"\n",
                  ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[0]");
    s_assert_contains (err, "hosts");
    s_plan_fails ("name: p\ntargets:\n  - scanner: tcp\n    hosts: [127.0.0.1]\n"
                  "    ports: \"22,70000\"\n",
                  ALLOWED, err, sizeof err);
    s_assert_contains (err, "targets[0]");
    s_assert_contains (err, "70000");
}

Test (planner, bad_job_scope_is_refused)
{
    char err[1024];
    s_plan_fails ("name: s\nscope: [127.0.0.1/24]\ntargets:\n  - scanner: tcp\n"
                  "    hosts: [127.0.0.1]\n    ports: \"22\"\n",
                  ALLOWED, err, sizeof err);
    s_assert_contains (err, "scope");
    s_assert_contains (err, "127.0.0.1/24");
}

//  Shard counts are summed in 64 bits: a job whose total would not fit (or
//  that is absurdly large) is refused rather than wrapped.
Test (planner, shard_count_overflow_is_refused)
{
    enum { NTARGETS = 17, NHOSTS = SW_JOBFILE_MAX_HOSTS };
    char **hosts = malloc (NHOSTS * sizeof *hosts);
    for (int i = 0; i < NHOSTS; i++)
        hosts[i] = "0.0.0.0/0";
    sw_job_target_t targets[NTARGETS];
    for (int i = 0; i < NTARGETS; i++)
        targets[i] = (sw_job_target_t){.scanner = "tcp",
                                       .hosts = hosts,
                                       .nhosts = NHOSTS,
                                       .ports = "1-65535",
                                       .shard_ports = 1,
                                       .line = 3 + 4 * i};
    sw_jobfile_t job = {.name = "huge", .targets = targets, .ntargets = NTARGETS};
    sw_hostlist_t *scope = s_hosts ("0.0.0.0/0");
    char err[1024] = "";
    sw_plan_t *plan = sw_plan_new (&job, scope, err, sizeof err);
    uint64_t total = plan ? sw_plan_total (plan) : 0;
    sw_plan_destroy (&plan);
    sw_hostlist_destroy (&scope);
    free (hosts);
    cr_assert_eq (total, 0, "accepted with a wrapped total of %lu shards", (unsigned long)total);
    cr_assert_neq (err[0], 0);
}

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

Test (planner, posture_groups_come_in_name_order_whatever_the_job_order)
{
    sw_plan_t *plan = s_plan_ok ("{name: p, targets: [{scanner: posture, files: ["
                                 "{name: z/b.yaml, hash: " HASH_A ", size: 1},"
                                 "{name: a/b.yaml, hash: " HASH_B ", size: 2},"
                                 "{name: a/a.yaml, hash: " HASH_A ", size: 1}]}]}",
                                 "127.0.0.0/8");
    cr_assert_eq (sw_plan_total (plan), 2);
    sw_shard_spec_t spec;
    cr_assert_eq (sw_plan_shard (plan, 0, &spec), 0);
    cr_assert_str_eq (spec.scanner, "posture");
    cr_assert_str_eq (spec.target, "files:a");
    cr_assert_str_eq (spec.kind, "files");
    cr_assert_eq (spec.nfiles, 2);
    cr_assert_str_eq (spec.files[0].name, "a/a.yaml");
    cr_assert_str_eq (spec.files[1].name, "a/b.yaml");
    cr_assert_eq (spec.files[1].size, 2);
    cr_assert_eq (sw_plan_shard (plan, 1, &spec), 0);
    cr_assert_str_eq (spec.target, "files:z");
    sw_plan_destroy (&plan);
}

Test (planner, posture_file_listed_twice_is_refused)
{
    char err[512];
    s_plan_fails ("{name: p, targets: [{scanner: posture, files: ["
                  "{name: a/x.yaml, hash: " HASH_A ", size: 1},"
                  "{name: a/x.yaml, hash: " HASH_B ", size: 1}]}]}",
                  "127.0.0.0/8", err, sizeof err);
    s_assert_contains (err, "file a/x.yaml is listed twice");
}

Test (planner, posture_target_without_uploaded_files_is_refused)
{
    char err[512];
    s_plan_fails ("{name: p, targets: [{scanner: posture, paths: [k8s]}]}", "127.0.0.0/8", err,
                  sizeof err);
    s_assert_contains (err, "sweepctl submit uploads");
}

//  Notes the first letter of each blob a plan names (once per letter).
static void s_note_blob (void *arg, const char *hash)
{
    char *seen = arg;
    if (!strchr (seen, hash[0]) && strlen (seen) < 2)
        strncat (seen, hash, 1);
}

//  Secrets file trees: runs of files in name order, cut by size (64 MiB)
//  and count; every file in exactly one shard.
Test (planner, secrets_files_go_in_runs_cut_by_size)
{
    char text[4096] = "{name: s, targets: [{scanner: secrets, files: [";
    for (int i = 0; i < 5; i++) {
        char entry[200];
        //  30 MiB each: two fit in a 64 MiB shard, a third does not
        snprintf (entry, sizeof entry, "%s{name: t/f%d.env, hash: " HASH_A ", size: %u}",
                  i ? "," : "", 4 - i, 30u << 20);
        strcat (text, entry);
    }
    strcat (text, "]}]}");
    sw_plan_t *plan = s_plan_ok (text, "127.0.0.0/8");
    cr_assert_eq (sw_plan_total (plan), 3);
    sw_shard_spec_t spec;
    const char *want[3][2] = {{"t/f0.env", "t/f1.env"}, {"t/f2.env", "t/f3.env"}, {"t/f4.env"}};
    for (uint64_t s = 0; s < 3; s++) {
        cr_assert_eq (sw_plan_shard (plan, s, &spec), 0);
        cr_assert_str_eq (spec.scanner, "secrets");
        cr_assert_str_eq (spec.kind, "files");
        cr_assert_eq (spec.nfiles, s < 2 ? 2u : 1u);
        for (size_t f = 0; f < spec.nfiles; f++)
            cr_assert_str_eq (spec.files[f].name, want[s][f]);
    }
    char seen[3] = "";
    sw_plan_blobs (plan, false, s_note_blob, seen);
    cr_assert (strchr (seen, 'a'), "the plan names HASH_A");
    cr_assert (!strchr (seen, 'b'), "the plan does not name HASH_B");
    sw_plan_destroy (&plan);
}

static void s_count_blob (void *arg, const char *hash)
{
    (void)hash;
    (*(int *)arg)++;
}

//  A history target: each repository in `shards` parts, "git:K/N", each
//  part carrying the packed repository.
Test (planner, secrets_history_is_cut_into_parts)
{
    sw_plan_t *plan =
        s_plan_ok ("{name: h, targets: [{scanner: secrets, history: true, shards: 3,"
                   " files: [{name: repo, hash: " HASH_B ", size: 100}]},"
                   "{scanner: posture, files: [{name: a.yaml, hash: " HASH_A ", size: 1}]}]}",
                   "127.0.0.0/8");
    cr_assert_eq (sw_plan_total (plan), 4);
    sw_shard_spec_t spec;
    for (uint64_t s = 0; s < 3; s++) {
        char kind[16];
        snprintf (kind, sizeof kind, "git:%u/3", (unsigned)s + 1);
        cr_assert_eq (sw_plan_shard (plan, s, &spec), 0);
        cr_assert_str_eq (spec.kind, kind);
        cr_assert_eq (spec.nfiles, 1);
        cr_assert_str_eq (spec.files[0].name, "repo");
        cr_assert_str_eq (spec.files[0].hash, HASH_B);
    }
    //  Only the secrets target's inputs are forgotten when the job ends
    int n = 0;
    sw_plan_blobs (plan, true, s_count_blob, &n);
    cr_assert_eq (n, 1);
    sw_plan_destroy (&plan);
}
