/*  Tests for sw_posture: grouping input files into shards (AWS snapshot
    regions, manifest folders, big folders cut into parts) and running one
    group's files against a rule set. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_planner.h"
#include "sw_posture.h"
#include "sw_proto.h"

// -------------------------------------------------------------------------
//  Grouping

static sw_group_t *s_groups;
static long s_ngroups;
static const char *const *s_names;

static void s_free_groups (void)
{
    sw_posture_groups_free (s_groups, s_ngroups > 0 ? (size_t)s_ngroups : 0);
    s_groups = NULL;
    s_ngroups = 0;
}

TestSuite (group, .fini = s_free_groups);

static long s_group (const char *const *names, size_t n)
{
    s_names = names;
    s_ngroups = sw_posture_group (names, n, &s_groups);
    cr_assert_geq (s_ngroups, 0);
    return s_ngroups;
}

//  The group called name, or fails.
static const sw_group_t *s_find (const char *name)
{
    for (long i = 0; i < s_ngroups; i++)
        if (strcmp (s_groups[i].name, name) == 0)
            return &s_groups[i];
    cr_assert_fail ("no group %s", name);
    return NULL;
}

static int s_cmpstr (const void *a, const void *b)
{
    return strcmp (*(const char *const *)a, *(const char *const *)b);
}

//  A group's member names, sorted and joined with spaces (membership
//  without regard to order).
static const char *s_members_set (const sw_group_t *g)
{
    static char out[4096];
    const char **v = calloc (g->n ? g->n : 1, sizeof (char *));
    for (size_t i = 0; i < g->n; i++)
        v[i] = s_names[g->members[i]];
    qsort (v, g->n, sizeof (char *), s_cmpstr);
    out[0] = 0;
    for (size_t i = 0; i < g->n; i++) {
        size_t used = strlen (out);
        snprintf (out + used, sizeof out - used, "%s%s", i ? " " : "", v[i]);
    }
    free (v);
    return out;
}

//  A group's member names in the order the group gives them.
static const char *s_members (const sw_group_t *g)
{
    static char out[4096];
    out[0] = 0;
    for (size_t i = 0; i < g->n; i++) {
        size_t used = strlen (out);
        snprintf (out + used, sizeof out - used, "%s%s", i ? " " : "", s_names[g->members[i]]);
    }
    return out;
}

//  All group names, joined with spaces.
static const char *s_group_names (void)
{
    static char out[4096];
    out[0] = 0;
    for (long i = 0; i < s_ngroups; i++) {
        size_t used = strlen (out);
        snprintf (out + used, sizeof out - used, "%s%s", i ? " " : "", s_groups[i].name);
    }
    return out;
}

static const char *const s_snapshot[] = {
    "acct/eu-west-1/ec2-describe-vpcs.json",
    "acct/global/iam-get-account-summary.json",
    "acct/global/s3-get-bucket-acl/logs.json",
    "acct/snapshot.json",
    "acct/sts-get-caller-identity.json",
    "acct/us-east-1/ec2-describe-instances.json",
    "acct/us-east-1/ec2-describe-snapshot-attribute/snap-1.json",
};
#define NSNAPSHOT (sizeof s_snapshot / sizeof s_snapshot[0])

Test (group, aws_snapshot_gives_one_group_per_region_folder)
{
    cr_assert_eq (s_group (s_snapshot, NSNAPSHOT), 3);
    cr_assert_str_eq (s_group_names (), "aws:acct/eu-west-1 aws:acct/global aws:acct/us-east-1");
    for (long i = 0; i < s_ngroups; i++)
        cr_assert_eq (s_groups[i].kind, SW_GROUP_AWS, "%s", s_groups[i].name);
}

Test (group, each_aws_group_has_the_snapshot_sts_and_snapshot_json)
{
    s_group (s_snapshot, NSNAPSHOT);
    cr_assert_str_eq (s_members_set (s_find ("aws:acct/eu-west-1")),
                      "acct/eu-west-1/ec2-describe-vpcs.json acct/snapshot.json "
                      "acct/sts-get-caller-identity.json");
    cr_assert_str_eq (s_members_set (s_find ("aws:acct/global")),
                      "acct/global/iam-get-account-summary.json "
                      "acct/global/s3-get-bucket-acl/logs.json acct/snapshot.json "
                      "acct/sts-get-caller-identity.json");
    cr_assert_str_eq (s_members_set (s_find ("aws:acct/us-east-1")),
                      "acct/snapshot.json acct/sts-get-caller-identity.json "
                      "acct/us-east-1/ec2-describe-instances.json "
                      "acct/us-east-1/ec2-describe-snapshot-attribute/snap-1.json");
}

Test (group, aws_snapshot_without_snapshot_json_joins_only_sts)
{
    const char *names[] = {"a/sts-get-caller-identity.json", "a/us-east-1/x-y.json"};
    cr_assert_eq (s_group (names, 2), 1);
    cr_assert_str_eq (s_members_set (s_find ("aws:a/us-east-1")),
                      "a/sts-get-caller-identity.json a/us-east-1/x-y.json");
}

Test (group, aws_snapshot_at_the_top_has_groups_named_for_regions)
{
    const char *names[] = {"snapshot.json", "sts-get-caller-identity.json", "global/iam-x.json",
                           "us-east-1/ec2-y.json"};
    cr_assert_eq (s_group (names, 4), 2);
    cr_assert_str_eq (s_group_names (), "aws:global aws:us-east-1");
    cr_assert_str_eq (s_members_set (s_find ("aws:us-east-1")),
                      "snapshot.json sts-get-caller-identity.json us-east-1/ec2-y.json");
}

Test (group, nested_snapshot_roots_each_own_their_regions)
{
    const char *names[] = {
        "org/a/b/sts-get-caller-identity.json",
        "org/a/b/us-east-1/ec2-inner.json",
        "org/a/snapshot.json",
        "org/a/sts-get-caller-identity.json",
        "org/a/us-east-1/ec2-outer.json",
    };
    cr_assert_eq (s_group (names, 5), 2, "groups: %s", s_group_names ());
    cr_assert_str_eq (s_group_names (), "aws:org/a/b/us-east-1 aws:org/a/us-east-1");
    cr_assert_str_eq (s_members_set (s_find ("aws:org/a/b/us-east-1")),
                      "org/a/b/sts-get-caller-identity.json org/a/b/us-east-1/ec2-inner.json");
    cr_assert_str_eq (s_members_set (s_find ("aws:org/a/us-east-1")),
                      "org/a/snapshot.json org/a/sts-get-caller-identity.json "
                      "org/a/us-east-1/ec2-outer.json");
}

Test (group, manifest_files_group_by_folder)
{
    const char *names[] = {
        "cfn/stack.template", "k8s/a.yaml",   "k8s/b.yml",
        "k8s/sub/c.yaml",     "tf/plan.json", "top.yaml",
    };
    cr_assert_eq (s_group (names, 6), 5);
    cr_assert_str_eq (s_group_names (), "files: files:cfn files:k8s files:k8s/sub files:tf");
    for (long i = 0; i < s_ngroups; i++)
        cr_assert_eq (s_groups[i].kind, SW_GROUP_FILES, "%s", s_groups[i].name);
    cr_assert_str_eq (s_members (s_find ("files:")), "top.yaml");
    cr_assert_str_eq (s_members (s_find ("files:k8s")), "k8s/a.yaml k8s/b.yml");
    cr_assert_str_eq (s_members (s_find ("files:k8s/sub")), "k8s/sub/c.yaml");
    cr_assert_str_eq (s_members (s_find ("files:cfn")), "cfn/stack.template");
}

Test (group, manifests_and_a_snapshot_side_by_side)
{
    const char *names[] = {"acct/sts-get-caller-identity.json", "acct/us-east-1/ec2-x.json",
                           "k8s/a.yaml"};
    cr_assert_eq (s_group (names, 3), 2);
    cr_assert_str_eq (s_group_names (), "aws:acct/us-east-1 files:k8s");
    cr_assert_eq (s_find ("aws:acct/us-east-1")->kind, SW_GROUP_AWS);
    cr_assert_eq (s_find ("files:k8s")->kind, SW_GROUP_FILES);
}

Test (group, non_input_extensions_are_left_out)
{
    const char *names[] = {
        "docs/notes.md",
        "k8s/README.md",
        "k8s/a.yaml",
        "k8s/notes.txt",
        "k8s/Makefile",
        "k8s/a.yaml.bak",
        "k8s/json",
        "acct/README.txt",
        "acct/us-east-1/x.md",
        "acct/sts-get-caller-identity.json",
    };
    cr_assert_eq (s_group (names, sizeof names / sizeof names[0]), 1, "groups: %s",
                  s_group_names ());
    cr_assert_str_eq (s_members (s_find ("files:k8s")), "k8s/a.yaml");
}

Test (group, no_input_files_give_no_groups)
{
    const char *names[] = {"a.txt", "b/c.md"};
    cr_assert_eq (s_group (names, 2), 0);
    cr_assert_eq (s_group (NULL, 0), 0);
}

//  n names "big/fNNNNN.yaml", in name order.
static const char **s_big_folder (size_t n)
{
    const char **names = calloc (n, sizeof (char *));
    for (size_t i = 0; i < n; i++) {
        char *name;
        cr_assert_geq (asprintf (&name, "big/f%05zu.yaml", i), 0);
        names[i] = name;
    }
    return names;
}

static void s_free_names (const char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free ((char *)names[i]);
    free (names);
}

Test (group, a_folder_of_max_files_is_one_group)
{
    size_t n = SW_POSTURE_GROUP_MAX_FILES;
    const char **names = s_big_folder (n);
    cr_assert_eq (s_group (names, n), 1);
    cr_assert_str_eq (s_groups[0].name, "files:big");
    cr_assert_eq (s_groups[0].n, n);
    s_free_groups ();
    s_free_names (names, n);
}

Test (group, a_folder_over_max_files_is_cut_into_numbered_parts)
{
    size_t n = 2 * SW_POSTURE_GROUP_MAX_FILES + 5;
    const char **names = s_big_folder (n);
    cr_assert_eq (s_group (names, n), 3);
    cr_assert_str_eq (s_group_names (), "files:big#0000 files:big#0001 files:big#0002");
    cr_assert_eq (s_groups[0].n, SW_POSTURE_GROUP_MAX_FILES);
    cr_assert_eq (s_groups[1].n, SW_POSTURE_GROUP_MAX_FILES);
    cr_assert_eq (s_groups[2].n, 5);
    //  Parts are consecutive runs of names.
    size_t expect = 0;
    for (long g = 0; g < s_ngroups; g++)
        for (size_t m = 0; m < s_groups[g].n; m++, expect++)
            cr_assert_eq (s_groups[g].members[m], expect, "group %ld member %zu", g, m);
    s_free_groups ();
    s_free_names (names, n);
}

Test (group, groups_sorted_and_members_in_name_order_whatever_the_input_order)
{
    const char *names[] = {
        "z/b.yaml", "a/c.yaml", "z/a.yaml", "m/x.json", "a/a.yaml", "a/b.yaml",
    };
    cr_assert_eq (s_group (names, 6), 3);
    cr_assert_str_eq (s_group_names (), "files:a files:m files:z");
    cr_assert_str_eq (s_members (s_find ("files:a")), "a/a.yaml a/b.yaml a/c.yaml");
    cr_assert_str_eq (s_members (s_find ("files:z")), "z/a.yaml z/b.yaml");
}

Test (group, aws_group_members_in_name_order)
{
    s_group (s_snapshot, NSNAPSHOT);
    cr_assert_str_eq (s_members (s_find ("aws:acct/us-east-1")),
                      "acct/snapshot.json acct/sts-get-caller-identity.json "
                      "acct/us-east-1/ec2-describe-instances.json "
                      "acct/us-east-1/ec2-describe-snapshot-attribute/snap-1.json");
}

Test (group, duplicate_snapshot_files_stay_within_the_group)
{
    //  A job may list a file twice; the snapshot's files must not be added
    //  beyond the room the group has for them.
    const char *names[] = {
        "a/snapshot.json",
        "a/sts-get-caller-identity.json",
        "a/sts-get-caller-identity.json",
        "a/us-east-1/ec2-x.json",
    };
    cr_assert_eq (s_group (names, 4), 1);
    const sw_group_t *g = s_find ("aws:a/us-east-1");
    cr_assert (strstr (s_members_set (g), "a/us-east-1/ec2-x.json"), "%s", s_members_set (g));
}

// -------------------------------------------------------------------------
//  Running a group

typedef struct {
    sw_finding_t items[16];
    size_t n;
} found_t;

static void s_collect (void *arg, const sw_finding_t *f)
{
    found_t *found = arg;
    cr_assert_lt (found->n, 16);
    cr_assert_eq (sw_finding_copy (&found->items[found->n++], f), 0);
}

static void s_found_clear (found_t *found)
{
    for (size_t i = 0; i < found->n; i++)
        sw_finding_clear (&found->items[i]);
    found->n = 0;
}

static const sw_finding_t *s_by_rule (const found_t *found, const char *rule)
{
    for (size_t i = 0; i < found->n; i++)
        if (strcmp (found->items[i].rule, rule) == 0)
            return &found->items[i];
    return NULL;
}

static const char *s_privileged_rule = "id: k8s.test.privileged\n"
                                       "title: Container runs privileged\n"
                                       "severity: high\n"
                                       "description: d\n"
                                       "remediation: Drop privileged.\n"
                                       "resource_types: [k8s.workload]\n"
                                       "fail_if:\n"
                                       "  path: _pod.containers[*].securityContext.privileged\n"
                                       "  eq: true\n"
                                       "evidence: _pod.containers[*].name\n";

//  A ConfigMap, then at line 6 a privileged Pod.
static const char *s_pod_yaml = "apiVersion: v1\n"
                                "kind: ConfigMap\n"
                                "metadata: {name: cfg, namespace: shop}\n"
                                "data: {a: b}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata:\n"
                                "  name: debug\n"
                                "  namespace: shop\n"
                                "spec:\n"
                                "  containers:\n"
                                "    - name: box\n"
                                "      securityContext: {privileged: true}\n";

static sw_ruleset_t *s_rules (void)
{
    char err[512] = "";
    sw_ruleset_t *rules = sw_ruleset_new ();
    cr_assert_not_null (rules);
    cr_assert_eq (sw_ruleset_add_text (rules, "test.yaml", s_privileged_rule,
                                       strlen (s_privileged_rule), err, sizeof err),
                  0, "%s", err);
    return rules;
}

static bool s_is_hex (const char *s, size_t n)
{
    return strlen (s) == n && strspn (s, "0123456789abcdef") == n;
}

Test (run, a_failing_rule_gives_a_posture_finding)
{
    sw_ruleset_t *rules = s_rules ();
    sw_input_file_t files[] = {{"k8s/pod.yaml", s_pod_yaml, strlen (s_pod_yaml)}};
    found_t found = {0};
    sw_posture_stats_t stats = {0};
    sw_posture_run (rules, SW_GROUP_FILES, files, 1, "20260101000000-0123456789ab", s_collect,
                    &found, &stats);
    cr_assert_eq (found.n, 1);
    const sw_finding_t *f = &found.items[0];
    cr_assert_str_eq (f->scanner, "posture");
    cr_assert_str_eq (f->rule, "k8s.test.privileged");
    cr_assert_eq (f->severity, SW_SEV_HIGH);
    cr_assert_str_eq (f->resource, "k8s:shop/Pod/debug");
    cr_assert_str_eq (f->location, "k8s/pod.yaml:6");
    cr_assert_str_eq (f->title, "Container runs privileged");
    cr_assert_str_eq (f->remediation, "Drop privileged.");
    cr_assert_not_null (f->bundle);
    cr_assert_str_eq (f->bundle, "20260101000000-0123456789ab");
    cr_assert (f->evidence && strstr (f->evidence, "box"), "evidence: %s", f->evidence);
    cr_assert (s_is_hex (f->fingerprint, SW_FP_HEX_LEN), "fingerprint '%s'", f->fingerprint);
    sw_finding_t again = {0};
    cr_assert_eq (sw_finding_copy (&again, f), 0);
    sw_finding_fingerprint (&again);
    cr_assert_str_eq (again.fingerprint, f->fingerprint, "fingerprint is not the finding's");
    sw_finding_clear (&again);

    cr_assert_eq (stats.files, 1);
    cr_assert_eq (stats.resources, 2);
    cr_assert_eq (stats.findings, 1);
    cr_assert_eq (stats.input_errors, 0);
    s_found_clear (&found);
    sw_ruleset_destroy (&rules);
}

Test (run, without_a_bundle_findings_have_none)
{
    sw_ruleset_t *rules = s_rules ();
    sw_input_file_t files[] = {{"k8s/pod.yaml", s_pod_yaml, strlen (s_pod_yaml)}};
    found_t found = {0};
    sw_posture_run (rules, SW_GROUP_FILES, files, 1, NULL, s_collect, &found, NULL);
    cr_assert_eq (found.n, 1);
    cr_assert_null (found.items[0].bundle);
    s_found_clear (&found);
    sw_ruleset_destroy (&rules);
}

Test (run, an_unparsable_file_gives_an_input_error_without_its_token)
{
    sw_ruleset_t *rules = s_rules ();
    static const char bad[] = "{\"apiVersion\": \"v1\", \"kind\": SECRETTOKEN}\n";
    sw_input_file_t files[] = {
        {"k8s/a-bad.json", bad, strlen (bad)},
        {"k8s/pod.yaml", s_pod_yaml, strlen (s_pod_yaml)},
    };
    found_t found = {0};
    sw_posture_stats_t stats = {0};
    sw_posture_run (rules, SW_GROUP_FILES, files, 2, "v1", s_collect, &found, &stats);
    cr_assert_eq (found.n, 2);

    const sw_finding_t *e = s_by_rule (&found, "posture.input-error");
    cr_assert_not_null (e, "no input-error finding");
    cr_assert_str_eq (e->scanner, "posture");
    cr_assert_str_eq (e->resource, "k8s/a-bad.json");
    cr_assert (strncmp (e->location, "k8s/a-bad.json:1:", 17) == 0, "location %s", e->location);
    cr_assert_str_eq (e->bundle, "v1");
    cr_assert (s_is_hex (e->fingerprint, SW_FP_HEX_LEN), "fingerprint '%s'", e->fingerprint);
    cr_assert (e->evidence && *e->evidence, "the input error says nothing");
    cr_assert_null (strstr (e->evidence, "SECRET"), "evidence quotes the file: %s", e->evidence);
    cr_assert_null (strstr (e->evidence, " near '"), "evidence: %s", e->evidence);

    const sw_finding_t *f = s_by_rule (&found, "k8s.test.privileged");
    cr_assert_not_null (f, "the good file's finding is missing");
    cr_assert_str_eq (f->location, "k8s/pod.yaml:6");
    cr_assert_eq (stats.files, 2);
    cr_assert_eq (stats.input_errors, 1);
    s_found_clear (&found);
    sw_ruleset_destroy (&rules);
}

Test (run, a_compliant_input_gives_no_findings)
{
    sw_ruleset_t *rules = s_rules ();
    static const char ok[] = "apiVersion: v1\n"
                             "kind: Pod\n"
                             "metadata: {name: fine}\n"
                             "spec:\n"
                             "  containers:\n"
                             "    - name: box\n"
                             "      securityContext: {privileged: false}\n";
    sw_input_file_t files[] = {{"ok.yaml", ok, strlen (ok)}};
    found_t found = {0};
    sw_posture_stats_t stats = {0};
    sw_posture_run (rules, SW_GROUP_FILES, files, 1, NULL, s_collect, &found, &stats);
    cr_assert_eq (found.n, 0);
    cr_assert_eq (stats.resources, 1);
    cr_assert_eq (stats.evaluations, 1);
    sw_ruleset_destroy (&rules);
}

// -------------------------------------------------------------------------
//  Groups as the broker plans and sends them

//  A posture job of one AWS snapshot whose us-east-1 folder holds n files.
static char *s_aws_job (size_t n)
{
    const char *hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    size_t cap = (n + 4) * 160 + 256;
    char *text = malloc (cap);
    size_t used = (size_t)snprintf (text, cap,
                                    "{\"name\": \"j\", \"targets\": [{\"scanner\": \"posture\", "
                                    "\"files\": [{\"name\": \"a/sts-get-caller-identity.json\", "
                                    "\"hash\": \"%s\", \"size\": 1}",
                                    hash);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf (text + used, cap - used,
                                  ", {\"name\": \"a/us-east-1/s3-x/b%05zu.json\", \"hash\": "
                                  "\"%s\", \"size\": 1}",
                                  i, hash);
    snprintf (text + used, cap - used, "]}]}");
    return text;
}

Test (plan, every_planned_posture_shard_can_be_sent)
{
    //  An AWS region is never cut, but a SHARD carries at most
    //  SW_MAX_SHARD_FILES files: a bigger region must be refused when the
    //  job is planned, or planned into shards that fit.
    char *text = s_aws_job (SW_MAX_SHARD_FILES);
    char err[1024] = "";
    sw_jobfile_t *job = sw_jobfile_parse (text, strlen (text), "job.json", err, sizeof err);
    free (text);
    cr_assert_not_null (job, "%s", err);
    sw_hostlist_t *allowed = sw_hostlist_new ();
    cr_assert_eq (sw_hostlist_add (allowed, "127.0.0.0/8", err, sizeof err), 0, "%s", err);
    sw_plan_t *plan = sw_plan_new (job, allowed, err, sizeof err);
    char unsendable[700] = "";
    for (uint64_t i = 0; plan && i < sw_plan_total (plan) && !*unsendable; i++) {
        sw_shard_spec_t spec;
        cr_assert_eq (sw_plan_shard (plan, i, &spec), 0);
        sw_node_msg_t msg = {.cmd = SW_CMD_SHARD,
                             .job = "job-000001",
                             .shard = i,
                             .attempt = 1,
                             .lease_ms = 10000,
                             .scanner = (char *)spec.scanner,
                             .target = spec.target,
                             .kind = (char *)spec.kind,
                             .files = (sw_blobref_t *)spec.files,
                             .nfiles = spec.nfiles};
        zmsg_t *z = sw_node_msg_encode (&msg);
        if (!z)
            snprintf (unsendable, sizeof unsendable, "shard %" PRIu64 " (%s, %zu files)", i,
                      spec.target, spec.nfiles);
        zmsg_destroy (&z);
    }
    sw_plan_destroy (&plan);
    sw_hostlist_destroy (&allowed);
    sw_jobfile_destroy (&job);
    cr_assert_eq (*unsendable, 0, "%s was planned but cannot be sent", unsendable);
}
