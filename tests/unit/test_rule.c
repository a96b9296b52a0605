/*  Tests for sw_rule and sw_cond: paths, every operator, quantifiers,
    each and join, rule validation errors with their positions, and the
    fixture runner. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sw_cond.h"
#include "sw_docload.h"
#include "sw_rule.h"

static char err[1024];

//  A rule over type "t" whose fail_if is `cond` (YAML flow text).
static sw_ruleset_t *s_rules (const char *cond)
{
    char text[4096];
    snprintf (text, sizeof text,
              "id: test.rule\ntitle: t\nseverity: high\ndescription: d\nremediation: r\n"
              "resource_types: [t]\nfail_if: %s\n",
              cond);
    sw_ruleset_t *rs = sw_ruleset_new ();
    err[0] = 0;
    cr_assert_eq (sw_ruleset_add_text (rs, "r.yaml", text, strlen (text), err, sizeof err), 0, "%s",
                  err);
    return rs;
}

static void s_count (void *arg, const sw_rule_t *rule, const sw_resource_t *res, const char *ev)
{
    (void)rule;
    (void)res;
    (void)ev;
    (*(int *)arg)++;
}

//  Findings of cond over the given resources ("type|{doc}" strings, YAML).
static int s_findings_n (const char *cond, const char **resources, size_t n)
{
    sw_ruleset_t *rs = s_rules (cond);
    sw_resset_t *set = sw_resset_new ();
    sw_parse_date ("2026-01-01T00:00:00Z", &set->now);
    for (size_t i = 0; i < n; i++) {
        const char *bar = strchr (resources[i], '|');
        char type[64], id[32];
        snprintf (type, sizeof type, "%.*s", (int)(bar - resources[i]), resources[i]);
        snprintf (id, sizeof id, "r%zu", i);
        sw_doclist_t docs = {0};
        cr_assert_eq (sw_doc_load (set->arena, "doc.yaml", bar + 1, strlen (bar + 1), SW_FMT_YAML,
                                   &docs, err, sizeof err),
                      0, "%s", err);
        sw_resset_add (set, type, NULL, id, "doc.yaml", 1, docs.docs[0]);
    }
    int found = 0;
    sw_ruleset_eval (rs, NULL, set, s_count, &found);
    sw_resset_destroy (&set);
    sw_ruleset_destroy (&rs);
    return found;
}

static bool s_holds (const char *cond, const char *doc)
{
    char res[2048];
    snprintf (res, sizeof res, "t|%s", doc);
    const char *list[] = {res};
    return s_findings_n (cond, list, 1) == 1;
}

static void s_refused (const char *text, const char *expected)
{
    sw_ruleset_t *rs = sw_ruleset_new ();
    err[0] = 0;
    cr_assert_eq (sw_ruleset_add_text (rs, "r.yaml", text, strlen (text), err, sizeof err), -1);
    cr_assert_str_eq (err, expected);
    cr_assert_eq (sw_ruleset_size (rs), 0);
    sw_ruleset_destroy (&rs);
}

#define RULE_HEAD                                                                                  \
    "id: x.y\ntitle: t\nseverity: low\ndescription: d\nremediation: r\nresource_types: [t]\n"

Test (path, compiles_each_segment_kind)
{
    sw_arena_t *a = sw_arena_new ();
    cr_assert_not_null (sw_path_compile (a, "a.b[*].c[2].*.\"x.y/z\"", err, sizeof err));
    cr_assert_not_null (sw_path_compile (a, "$.a", err, sizeof err));
    cr_assert_not_null (sw_path_compile (a, "@", err, sizeof err));
    cr_assert_null (sw_path_compile (a, "a..b", err, sizeof err));
    cr_assert_str_eq (err, "bad path 'a..b': empty key");
    cr_assert_null (sw_path_compile (a, "a[x]", err, sizeof err));
    cr_assert_null (sw_path_compile (a, "a[-1]", err, sizeof err));
    cr_assert_null (sw_path_compile (a, "", err, sizeof err));
    cr_assert_null (sw_path_compile (a, "a.\"b", err, sizeof err));
    sw_arena_destroy (&a);
}

Test (path, wildcards_reach_arrays_and_maps)
{
    const char *doc = "{a: [{b: 1}, {b: 2}], m: {x: {v: 5}, y: {v: 6}}, \"k.s\": 9}";
    cr_assert (s_holds ("{path: \"a[*].b\", eq: 2}", doc));
    cr_assert (s_holds ("{path: \"a[1].b\", eq: 2}", doc));
    cr_assert_not (s_holds ("{path: \"a[0].b\", eq: 2}", doc));
    cr_assert_not (s_holds ("{path: \"a[7].b\", exists: true}", doc));
    cr_assert (s_holds ("{path: m.*.v, eq: 6}", doc));
    cr_assert (s_holds ("{path: \"\\\"k.s\\\"\", eq: 9}", doc));
}

Test (path, null_counts_as_absent)
{
    cr_assert (s_holds ("{path: a, exists: false}", "{a: null}"));
    cr_assert (s_holds ("{path: a, exists: false}", "{b: 1}"));
    cr_assert (s_holds ("{path: a, exists: true}", "{a: 0}"));
}

Test (ops, comparisons_never_hold_on_missing_values)
{
    cr_assert_not (s_holds ("{path: a, ne: 1}", "{b: 1}"));
    cr_assert_not (s_holds ("{path: a, lt: 1}", "{b: 1}"));
    cr_assert (s_holds ("{path: a, ne: 1}", "{a: 2}"));
}

Test (ops, eq_does_not_convert_between_types)
{
    cr_assert (s_holds ("{path: a, eq: true}", "{a: true}"));
    cr_assert_not (s_holds ("{path: a, eq: true}", "{a: \"true\"}"));
    cr_assert (s_holds ("{path: a, eq: 1}", "{a: 1.0}"));
    cr_assert_not (s_holds ("{path: a, eq: \"80\"}", "{a: 80}"));
}

Test (ops, in_and_not_in)
{
    cr_assert (s_holds ("{path: a, in: [x, y]}", "{a: y}"));
    cr_assert_not (s_holds ("{path: a, in: [x, y]}", "{a: z}"));
    cr_assert (s_holds ("{path: a, not_in: [x, y]}", "{a: z}"));
}

Test (ops, contains_substring_or_item)
{
    cr_assert (s_holds ("{path: a, contains: ell}", "{a: hello}"));
    cr_assert (s_holds ("{path: a, contains: 3}", "{a: [1, 3]}"));
    cr_assert_not (s_holds ("{path: a, contains: 4}", "{a: [1, 3]}"));
}

Test (ops, prefix_suffix_and_regex)
{
    cr_assert (s_holds ("{path: a, starts_with: \"arn:aws:\"}", "{a: \"arn:aws:s3:::b\"}"));
    cr_assert (s_holds ("{path: a, ends_with: \":latest\"}", "{a: \"nginx:latest\"}"));
    cr_assert (s_holds ("{path: a, matches: \"(?i)^pass\"}", "{a: PASSWORD}"));
    cr_assert_not (s_holds ("{path: a, matches: \"^pass$\"}", "{a: password}"));
    cr_assert_not (s_holds ("{path: a, matches: \"1\"}", "{a: 1}"));
}

Test (ops, numbers_and_numeric_strings)
{
    cr_assert (s_holds ("{path: a, gt: 5}", "{a: 6}"));
    cr_assert (s_holds ("{path: a, ge: 6}", "{a: \"6\"}"));
    cr_assert (s_holds ("{path: a, lt: 7}", "{a: 6.5}"));
    cr_assert (s_holds ("{path: a, le: 6}", "{a: 6}"));
    cr_assert_not (s_holds ("{path: a, gt: 5}", "{a: \"six\"}"));
}

Test (ops, empty_values)
{
    cr_assert (s_holds ("{path: a, empty: true}", "{a: []}"));
    cr_assert (s_holds ("{path: a, empty: true}", "{a: \"\"}"));
    cr_assert (s_holds ("{path: a, empty: false}", "{a: {k: 1}}"));
    cr_assert_not (s_holds ("{path: a, empty: true}", "{a: 0}"));
}

Test (ops, date_age_from_reference_time)
{
    //  The reference time in s_findings_n is 2026-01-01T00:00:00Z.
    cr_assert (s_holds ("{path: a, older_than_days: 90}", "{a: \"2025-09-01T00:00:00Z\"}"));
    cr_assert_not (
        s_holds ("{path: a, older_than_days: 90}", "{a: \"2025-12-01T00:00:00+00:00\"}"));
    cr_assert (s_holds ("{path: a, newer_than_days: 45}", "{a: \"2025-12-01\"}"));
    cr_assert_not (s_holds ("{path: a, older_than_days: 1}", "{a: N/A}"));
}

Test (ops, cidr_containment_and_open_to_world)
{
    cr_assert (s_holds ("{path: a, open_to_world: true}", "{a: 0.0.0.0/0}"));
    cr_assert (s_holds ("{path: a, open_to_world: true}", "{a: \"::/0\"}"));
    cr_assert_not (s_holds ("{path: a, open_to_world: true}", "{a: 10.0.0.0/8}"));
    cr_assert (s_holds ("{path: a, cidr_in: [10.0.0.0/8]}", "{a: 10.1.2.0/24}"));
    cr_assert_not (s_holds ("{path: a, cidr_in: 10.0.0.0/8}", "{a: 0.0.0.0/0}"));
    cr_assert (s_holds ("{path: a, cidr_in: \"2001:db8::/32\"}", "{a: \"2001:db8:1::/48\"}"));
    cr_assert_not (s_holds ("{path: a, cidr_in: \"2001:db8::/32\"}", "{a: 10.0.0.1}"));
    cr_assert (s_holds ("{path: a, cidr_contains: 10.9.9.9}", "{a: 10.0.0.0/8}"));
}

Test (ops, value_types)
{
    cr_assert (s_holds ("{path: a, type: string}", "{a: x}"));
    cr_assert (s_holds ("{path: a, type: number}", "{a: 1.5}"));
    cr_assert (s_holds ("{path: a, type: map}", "{a: {}}"));
    cr_assert_not (s_holds ("{path: a, type: array}", "{a: x}"));
}

Test (cond, quantifiers_over_many_values)
{
    const char *doc = "{a: [1, 2, 3]}";
    cr_assert (s_holds ("{path: \"a[*]\", gt: 2}", doc));
    cr_assert_not (s_holds ("{path: \"a[*]\", gt: 2, quantifier: all}", doc));
    cr_assert (s_holds ("{path: \"a[*]\", gt: 0, quantifier: all}", doc));
    cr_assert (s_holds ("{path: \"a[*]\", gt: 5, quantifier: none}", doc));
}

Test (cond, all_any_not)
{
    const char *doc = "{a: 1, b: 2}";
    cr_assert (s_holds ("{all: [{path: a, eq: 1}, {path: b, eq: 2}]}", doc));
    cr_assert_not (s_holds ("{all: [{path: a, eq: 1}, {path: b, eq: 3}]}", doc));
    cr_assert (s_holds ("{any: [{path: a, eq: 9}, {path: b, eq: 2}]}", doc));
    cr_assert (s_holds ("{not: {path: a, eq: 9}}", doc));
}

Test (cond, each_scopes_paths_to_the_item)
{
    const char *doc = "{root: 1, cs: [{n: a, p: false}, {n: b, p: true}]}";
    cr_assert (s_holds ("{each: \"cs[*]\", some: {path: p, eq: true}}", doc));
    cr_assert_not (s_holds ("{each: \"cs[*]\", every: {path: p, eq: true}}", doc));
    cr_assert (s_holds ("{each: \"cs[*]\", none: {path: n, eq: c}}", doc));
    cr_assert (s_holds ("{each: \"cs[*]\", some: {path: $.root, eq: 1}}", doc));
    cr_assert (s_holds ("{each: \"missing[*]\", every: {path: p, eq: true}}", doc));
}

Test (cond, join_by_key_reaches_related_resources)
{
    const char *res[] = {"inst|{Groups: [{Id: sg-1}, {Id: sg-2}]}", "sg|{Id: sg-1, Open: false}",
                         "sg|{Id: sg-2, Open: true}", "sg|{Id: sg-3, Open: true}"};
    const char *cond = "{join: {type: sg, on: [{local: \"Groups[*].Id\", remote: Id}]}, some: "
                       "{path: Open, eq: true}}";
    //  Only the instance is of type "t"... so retype: rule applies to t.
    const char *typed[] = {"t|{Groups: [{Id: sg-1}, {Id: sg-2}]}", res[1], res[2], res[3]};
    cr_assert_eq (s_findings_n (cond, typed, 4), 1);
    const char *closed[] = {"t|{Groups: [{Id: sg-1}]}", res[1], res[2], res[3]};
    cr_assert_eq (s_findings_n (cond, closed, 4), 0);
    const char *none =
        "{join: {type: sg, on: [{local: \"Groups[*].Id\", remote: Id}]}, none: true}";
    const char *orphan[] = {"t|{Groups: [{Id: sg-9}]}", res[1]};
    cr_assert_eq (s_findings_n (none, orphan, 2), 1);
}

Test (cond, join_by_selector_matches_labels)
{
    const char *cond = "{join: {type: w, on: [{local: ns, remote: ns}], selector: {local: sel, "
                       "remote: labels}}, some: {path: host, eq: true}}";
    const char *hit[] = {"t|{ns: a, sel: {app: web}}",
                         "w|{ns: a, labels: {app: web, x: y}, host: true}"};
    cr_assert_eq (s_findings_n (cond, hit, 2), 1);
    const char *other_ns[] = {"t|{ns: a, sel: {app: web}}",
                              "w|{ns: b, labels: {app: web}, host: true}"};
    cr_assert_eq (s_findings_n (cond, other_ns, 2), 0);
    const char *no_sel[] = {"t|{ns: a}", "w|{ns: a, labels: {app: web}, host: true}"};
    cr_assert_eq (s_findings_n (cond, no_sel, 2), 0);
}

Test (validation, unknown_operator_names_file_line_col)
{
    s_refused (RULE_HEAD "fail_if: {path: a, eqq: 1}\n",
               "r.yaml:7:25: unknown operator or key 'eqq'");
}

Test (validation, unknown_rule_key)
{
    s_refused (RULE_HEAD "fail_if: {path: a, eq: 1}\nseverty: high\n",
               "r.yaml:8:10: unknown key 'severty' in a rule");
}

Test (validation, bad_path_and_regex_and_cidr)
{
    s_refused (RULE_HEAD "fail_if: {path: \"a..b\", eq: 1}\n",
               "r.yaml:7:17: bad path 'a..b': empty key");
    s_refused (RULE_HEAD "fail_if: {path: a, matches: \"(\"}\n",
               "r.yaml:7:29: bad regex at offset 1: missing closing parenthesis");
    s_refused (RULE_HEAD "fail_if: {path: a, cidr_in: [10.0.0.0/33]}\n",
               "r.yaml:7:30: not an IPv4 or IPv6 address or CIDR");
}

Test (validation, missing_required_key_and_two_operators)
{
    s_refused ("id: x.y\ntitle: t\nseverity: low\ndescription: d\nremediation: r\n"
               "fail_if: {path: a, eq: 1}\n",
               "r.yaml:1:1: rule x.y has no 'resource_types'");
    s_refused (RULE_HEAD "fail_if: {path: a, eq: 1, ne: 2}\n",
               "r.yaml:7:31: one operator per condition ('ne' is a second)");
}

Test (validation, duplicate_ids_are_refused)
{
    s_refused (RULE_HEAD "fail_if: {path: a, exists: true}\n---\n" RULE_HEAD
                         "fail_if: {path: a, exists: true}\n",
               "r.yaml:9:1: rule id 'x.y' is already used in r.yaml:1");
}

Test (validation, compliance_controls_must_be_strings)
{
    s_refused (RULE_HEAD "fail_if: {path: a, exists: true}\ncompliance: {CIS: 2.1}\n",
               "r.yaml:8:19: compliance controls must be quoted strings (\"2.1\", not 2.1)");
}

Test (fixtures, runner_counts_failures_and_lint_wants_both_kinds)
{
    const char *text =
        RULE_HEAD "fail_if: {path: a, eq: 1}\n"
                  "tests:\n"
                  "  - {name: ok, expect: pass, resources: [{type: t, doc: {a: 2}}]}\n"
                  "  - {name: wrong, expect: pass, resources: [{type: t, doc: {a: "
                  "1}}]}\n";
    sw_ruleset_t *rs = sw_ruleset_new ();
    cr_assert_eq (sw_ruleset_add_text (rs, "r.yaml", text, strlen (text), err, sizeof err), 0, "%s",
                  err);
    size_t ntests = 0;
    cr_assert_eq (sw_ruleset_test (rs, NULL, &ntests), 1);
    cr_assert_eq (ntests, 2);
    cr_assert_eq (sw_ruleset_lint (rs, NULL), 1);
    sw_ruleset_destroy (&rs);
}

Test (fixtures, documents_go_through_the_normalizers)
{
    const char *text =
        "id: k.priv\ntitle: t\nseverity: high\ndescription: d\nremediation: r\n"
        "resource_types: [k8s.workload]\n"
        "fail_if: {each: \"_pod.containers[*]\", some: {path: securityContext.privileged, eq: "
        "true}}\n"
        "tests:\n"
        "  - name: priv\n    expect: fail\n    documents:\n"
        "      - {apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: "
        "{spec: {containers: [{name: c, securityContext: {privileged: true}}]}}}}\n"
        "  - name: plain\n    expect: pass\n    documents:\n"
        "      - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: "
        "c}]}}\n";
    sw_ruleset_t *rs = sw_ruleset_new ();
    cr_assert_eq (sw_ruleset_add_text (rs, "r.yaml", text, strlen (text), err, sizeof err), 0, "%s",
                  err);
    size_t ntests = 0;
    cr_assert_eq (sw_ruleset_test (rs, stderr, &ntests), 0);
    cr_assert_eq (ntests, 2);
    cr_assert_eq (sw_ruleset_lint (rs, NULL), 0);
    sw_ruleset_destroy (&rs);
}

Test (dates, rfc3339_forms)
{
    int64_t t;
    cr_assert_eq (sw_parse_date ("1970-01-02", &t), 0);
    cr_assert_eq (t, 86400);
    cr_assert_eq (sw_parse_date ("1970-01-01T01:00:00+01:00", &t), 0);
    cr_assert_eq (t, 0);
    cr_assert_eq (sw_parse_date ("2026-11-26T10:00:00.123Z", &t), 0);
    cr_assert_eq (sw_parse_date ("2026-13-01", &t), -1);
    cr_assert_eq (sw_parse_date ("N/A", &t), -1);
    cr_assert_eq (sw_parse_date ("2026-01-01Tjunk", &t), -1);
}

Test (cond, join_compares_every_value_not_only_the_first_ones)
{
    //  The related group is the 100th of the instance's list.
    char inst[4096] = "t|{Groups: [";
    for (int i = 0; i < 100; i++)
        snprintf (inst + strlen (inst), sizeof inst - strlen (inst), "%s{Id: sg-%d}", i ? ", " : "",
                  i);
    strcat (inst, "]}");
    const char *res[] = {inst, "sg|{Id: sg-99, Open: true}"};
    //  The id pair twice: the first is the index, the second is checked
    //  value by value.
    const char *cond = "{join: {type: sg, on: [{local: \"Groups[*].Id\", remote: Id}, {local: "
                       "\"Groups[*].Id\", remote: Id}]}, some: {path: Open, eq: true}}";
    cr_assert_eq (s_findings_n (cond, res, 2), 1);
}

Test (doc, json_output_is_cut_on_a_character_boundary)
{
    sw_arena_t *a = sw_arena_new ();
    char text[64];
    for (int i = 0; i < 20; i++)
        memcpy (text + 2 * i, "\xc3\xa9", 2); //  é
    text[40] = 0;
    sw_val_t *v = sw_val_str (a, text);
    for (size_t max = 1; max < 44; max++) {
        char *json = sw_val_to_json (v, max);
        cr_assert_not_null (json);
        size_t len = strlen (json);
        //  Before the "..." there is never half of a two-byte character.
        const char *dots = strstr (json, "...");
        size_t body = dots ? (size_t)(dots - json) : len;
        size_t cont = 0;
        for (size_t i = 1; i < body; i++)
            cont += ((unsigned char)json[i] & 0xc0) == 0x80;
        size_t lead = 0;
        for (size_t i = 1; i < body; i++)
            lead += ((unsigned char)json[i] & 0xe0) == 0xc0;
        cr_assert_eq (cont, lead, "max %zu: %s", max, json);
        free (json);
    }
    sw_arena_destroy (&a);
}
