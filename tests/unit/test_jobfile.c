/*  Tests for sw_jobfile: valid YAML and JSON, defaults, and each kind of
    error with its line:column. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_jobfile.h"

static char err[512];

static sw_jobfile_t *s_parse (const char *text)
{
    err[0] = 0;
    return sw_jobfile_parse (text, strlen (text), "job.yaml", err, sizeof err);
}

//  Asserts that text is refused with exactly the message `expected`.
static void s_refused (const char *text, const char *expected)
{
    sw_jobfile_t *job = s_parse (text);
    if (job)
        sw_jobfile_destroy (&job);
    cr_assert_null (job, "accepted:\n%.200s", text);
    cr_assert_str_eq (err, expected, "\n     got: %s\nexpected: %s", err, expected);
}

static const char *s_minimal_target = "targets:\n"
                                      "  - scanner: tcp\n"
                                      "    hosts: [127.0.0.1]\n"
                                      "    ports: \"22\"\n";

//  Returns "name: j\n" + body + minimal targets, in a static buffer.
static const char *s_with (const char *body)
{
    static char text[4096];
    snprintf (text, sizeof text, "name: j\n%s%s", body, s_minimal_target);
    return text;
}

Test (jobfile, valid_yaml_fills_every_field)
{
    sw_jobfile_t *job = s_parse ("# weekly production sweep\n"
                                 "name: prod weekly-1.x_y\n"
                                 "scope: [127.0.0.0/8, 10.0.0.0/8]\n"
                                 "lease_ms: 20000\n"
                                 "max_attempts: 5\n"
                                 "targets:\n"
                                 "  - scanner: tcp\n"
                                 "    hosts: [127.0.0.2, 127.0.1.0/28]\n"
                                 "    ports: \"1-1024,5432,6379\"\n"
                                 "    shard_ports: 100\n"
                                 "  - scanner: tcp\n"
                                 "    hosts:\n"
                                 "      - 127.0.0.3\n"
                                 "    ports: 22\n");
    cr_assert_not_null (job, "%s", err);
    cr_assert_str_eq (job->name, "prod weekly-1.x_y");
    cr_assert_eq (job->nscope, 2);
    cr_assert_str_eq (job->scope[0], "127.0.0.0/8");
    cr_assert_str_eq (job->scope[1], "10.0.0.0/8");
    cr_assert_eq (job->lease_ms, 20000);
    cr_assert_eq (job->max_attempts, 5);
    cr_assert_eq (job->ntargets, 2);

    sw_job_target_t *t = &job->targets[0];
    cr_assert_str_eq (t->scanner, "tcp");
    cr_assert_eq (t->nhosts, 2);
    cr_assert_str_eq (t->hosts[0], "127.0.0.2");
    cr_assert_str_eq (t->hosts[1], "127.0.1.0/28");
    cr_assert_null (t->hosts[2], "host list is not NULL-terminated");
    cr_assert_str_eq (t->ports, "1-1024,5432,6379");
    cr_assert_eq (t->shard_ports, 100);
    cr_assert_eq (t->line, 7);

    t = &job->targets[1];
    cr_assert_eq (t->nhosts, 1);
    cr_assert_str_eq (t->hosts[0], "127.0.0.3");
    cr_assert_str_eq (t->ports, "22", "an integer port is kept as its text");
    cr_assert_eq (t->shard_ports, 256);
    cr_assert_eq (t->line, 11);
    sw_jobfile_destroy (&job);
    cr_assert_null (job);
    sw_jobfile_destroy (&job);
    sw_jobfile_destroy (NULL);
}

Test (jobfile, valid_json_parses_like_yaml)
{
    sw_jobfile_t *job =
        s_parse ("{\n"
                 "\t\"name\": \"nightly\",\n"
                 "\t\"scope\": [\"127.0.0.0/8\"],\n"
                 "\t\"lease_ms\": 1000,\n"
                 "\t\"max_attempts\": 20,\n"
                 "\t\"targets\": [\n"
                 "\t\t{\"scanner\": \"tcp\", \"hosts\": [\"127.0.0.1\", \"127.0.0.9\"],\n"
                 "\t\t \"ports\": \"80,443\", \"shard_ports\": 65535},\n"
                 "\t\t{\"scanner\": \"tcp\", \"hosts\": [\"::1\"], \"ports\": 8080}\n"
                 "\t]\n"
                 "}\n");
    cr_assert_not_null (job, "%s", err);
    cr_assert_str_eq (job->name, "nightly");
    cr_assert_eq (job->nscope, 1);
    cr_assert_eq (job->lease_ms, 1000);
    cr_assert_eq (job->max_attempts, 20);
    cr_assert_eq (job->ntargets, 2);
    cr_assert_eq (job->targets[0].nhosts, 2);
    cr_assert_str_eq (job->targets[0].hosts[1], "127.0.0.9");
    cr_assert_str_eq (job->targets[0].ports, "80,443");
    cr_assert_eq (job->targets[0].shard_ports, 65535);
    cr_assert_eq (job->targets[0].line, 7);
    cr_assert_str_eq (job->targets[1].hosts[0], "::1");
    cr_assert_str_eq (job->targets[1].ports, "8080");
    sw_jobfile_destroy (&job);
}

Test (jobfile, one_line_json_is_accepted)
{
    sw_jobfile_t *job = s_parse ("{\"name\":\"j\",\"targets\":[{\"scanner\":\"tcp\","
                                 "\"hosts\":[\"127.0.0.1\"],\"ports\":\"1-10\"}]}");
    cr_assert_not_null (job, "%s", err);
    cr_assert_str_eq (job->targets[0].ports, "1-10");
    cr_assert_eq (job->targets[0].line, 1);
    sw_jobfile_destroy (&job);
}

Test (jobfile, defaults_apply_when_optional_keys_are_absent)
{
    sw_jobfile_t *job = s_parse (s_with (""));
    cr_assert_not_null (job, "%s", err);
    cr_assert_eq (job->lease_ms, 10000);
    cr_assert_eq (job->max_attempts, 3);
    cr_assert_null (job->scope);
    cr_assert_eq (job->nscope, 0);
    cr_assert_eq (job->targets[0].shard_ports, 256);
    sw_jobfile_destroy (&job);
}

Test (jobfile, unknown_scanner_is_kept_and_needs_no_hosts_or_ports)
{
    sw_jobfile_t *job = s_parse ("name: j\n"
                                 "targets:\n"
                                 "  - scanner: s3-buckets\n"
                                 "  - scanner: future\n"
                                 "    hosts: [a.example]\n");
    cr_assert_not_null (job, "%s", err);
    cr_assert_str_eq (job->targets[0].scanner, "s3-buckets");
    cr_assert_null (job->targets[0].hosts);
    cr_assert_null (job->targets[0].ports);
    cr_assert_eq (job->targets[1].nhosts, 1);
    sw_jobfile_destroy (&job);
}

Test (jobfile, aliases_within_bound_are_expanded)
{
    sw_jobfile_t *job = s_parse ("name: j\n"
                                 "targets:\n"
                                 "  - scanner: tcp\n"
                                 "    hosts: &lab [127.0.0.2, 127.0.0.3]\n"
                                 "    ports: &web \"80,443\"\n"
                                 "  - scanner: tcp\n"
                                 "    hosts: *lab\n"
                                 "    ports: *web\n");
    cr_assert_not_null (job, "%s", err);
    cr_assert_eq (job->targets[1].nhosts, 2);
    cr_assert_str_eq (job->targets[1].hosts[1], "127.0.0.3");
    cr_assert_str_eq (job->targets[1].ports, "80,443");
    cr_assert_neq (job->targets[0].hosts[0], job->targets[1].hosts[0], "shared, not copied");
    sw_jobfile_destroy (&job);
}

Test (jobfile, only_len_bytes_are_read)
{
    const char *text = "name: j\n"
                       "targets: [{scanner: tcp, hosts: [h], ports: '1'}]\n"
                       "garbage: [";
    size_t len = strstr (text, "garbage") - text;
    sw_jobfile_t *job = sw_jobfile_parse (text, len, "job.yaml", err, sizeof err);
    cr_assert_not_null (job, "%s", err);
    sw_jobfile_destroy (&job);
}

Test (jobfile, unknown_keys_are_refused_with_position)
{
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [127.0.0.1]\n"
               "    ports: \"22\"\n"
               "  - scanner: tcp\n"
               "    prots: \"22\"\n",
               "job.yaml:7:5: targets[1]: unknown key 'prots'");
    s_refused ("nmae: j\n", "job.yaml:1:1: unknown key 'nmae'");
    s_refused (s_with ("lease: 5\n"), "job.yaml:2:1: unknown key 'lease'");
}

Test (jobfile, keys_shown_in_messages_are_sanitised)
{
    s_refused ("\"\\e[31mred\\x07\": 1\n", "job.yaml:1:1: unknown key '?[31mred?'");
    s_refused ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\n",
               "job.yaml:1:1: unknown key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

Test (jobfile, duplicate_keys_are_refused)
{
    s_refused ("name: a\nname: b\n", "job.yaml:2:1: duplicate key 'name'");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [a]\n"
               "    hosts: [b]\n",
               "job.yaml:5:5: targets[0]: duplicate key 'hosts'");
}

Test (jobfile, missing_required_keys_are_refused)
{
    s_refused (s_minimal_target, "job.yaml:1:1: missing required key 'name'");
    s_refused ("name: j\nlease_ms: 2000\n", "job.yaml:1:1: missing required key 'targets'");
    s_refused ("name: j\n"
               "targets:\n"
               "  - hosts: [a]\n",
               "job.yaml:3:5: targets[0]: missing required key 'scanner'");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    ports: 22\n",
               "job.yaml:3:5: targets[0]: missing required key 'hosts'");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [a]\n",
               "job.yaml:3:5: targets[0]: missing required key 'ports'");
}

Test (jobfile, wrong_types_are_refused)
{
    s_refused ("name: [a]\n", "job.yaml:1:7: name: expected a string, found a list");
    s_refused ("name:\n", "job.yaml:1:6: name: expected a string, found null");
    s_refused ("name: ~\n", "job.yaml:1:7: name: expected a string, found null");
    s_refused ("name: ''\n", "job.yaml:1:7: name: must not be empty");
    s_refused (s_with ("lease_ms: \"10000\"\n"), "job.yaml:2:11: lease_ms: expected an integer");
    s_refused (s_with ("lease_ms: 1.5e4\n"), "job.yaml:2:11: lease_ms: expected an integer");
    s_refused (s_with ("lease_ms: -1\n"), "job.yaml:2:11: lease_ms: expected an integer");
    s_refused (s_with ("scope: 127.0.0.0/8\n"),
               "job.yaml:2:8: scope: expected a list of strings, found a scalar");
    s_refused (s_with ("scope: [[127.0.0.0/8]]\n"),
               "job.yaml:2:9: scope[0]: expected a string, found a list");
    s_refused ("name: j\ntargets: {scanner: tcp}\n",
               "job.yaml:2:10: targets: expected a list of targets, found a mapping");
    s_refused ("name: j\ntargets: [tcp]\n",
               "job.yaml:2:11: targets[0]: expected a mapping, found a scalar");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: 127.0.0.1\n"
               "    ports: 22\n",
               "job.yaml:4:12: targets[0].hosts: expected a list of strings, found a scalar");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [127.0.0.1, {a: b}]\n"
               "    ports: 22\n",
               "job.yaml:4:24: targets[0].hosts[1]: expected a string, found a mapping");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [127.0.0.1]\n"
               "    ports: [22]\n",
               "job.yaml:5:12: targets[0].ports: expected a string, found a list");
    s_refused ("- name: j\n", "job.yaml:1:1: expected a mapping of job settings, found a list");
    s_refused ("[a]: 1\n", "job.yaml:1:1: expected a key, found a list");
    //  (!!str and the other default tags cannot be told from no tag at all)
    s_refused (s_with ("lease_ms: !!int 5000\n"),
               "job.yaml:2:11: lease_ms: explicit YAML tags are not supported");
    s_refused ("name: !local j\n", "job.yaml:1:7: name: explicit YAML tags are not supported");
    s_refused ("name: \"a\\0b\"\n", "job.yaml:1:7: name: contains a NUL character");
}

Test (jobfile, values_out_of_range_are_refused)
{
    s_refused (s_with ("lease_ms: 999\n"),
               "job.yaml:2:11: lease_ms: 999 is out of range 1000..600000");
    s_refused (s_with ("lease_ms: 600001\n"),
               "job.yaml:2:11: lease_ms: 600001 is out of range 1000..600000");
    s_refused (s_with ("lease_ms: 99999999999999999999\n"),
               "job.yaml:2:11: lease_ms: 99999999999999999999 is out of range 1000..600000");
    s_refused (s_with ("max_attempts: 0\n"),
               "job.yaml:2:15: max_attempts: 0 is out of range 1..20");
    s_refused (s_with ("max_attempts: 21\n"),
               "job.yaml:2:15: max_attempts: 21 is out of range 1..20");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: [a]\n"
               "    ports: 22\n"
               "    shard_ports: 65536\n",
               "job.yaml:6:18: targets[0].shard_ports: 65536 is out of range 1..65535");
    s_refused ("name: j\ntargets: []\n",
               "job.yaml:2:10: targets: must list 1..1024 targets, not 0");
    s_refused (s_with ("scope: []\n"), "job.yaml:2:8: scope: must list 1..1024 entries, not 0");
    s_refused ("name: j\n"
               "targets:\n"
               "  - scanner: tcp\n"
               "    hosts: []\n"
               "    ports: 22\n",
               "job.yaml:4:12: targets[0].hosts: must list 1..4096 entries, not 0");
}

Test (jobfile, names_are_checked)
{
    char text[512];
    s_refused ("name: a/b\n",
               "job.yaml:1:7: name: only letters, digits and '.', '_', '-', ' ' are allowed");
    snprintf (text, sizeof text, "name: %0129d\n", 0);
    s_refused (text, "job.yaml:1:7: name: longer than 128 characters");
    snprintf (text, sizeof text, "name: %0128d\n%s", 0, s_minimal_target);
    sw_jobfile_t *job = s_parse (text);
    cr_assert_not_null (job, "128 characters refused: %s", err);
    sw_jobfile_destroy (&job);
    s_refused ("name: j\ntargets: [{scanner: 'tc p'}]\n",
               "job.yaml:2:21: targets[0].scanner: only letters, digits and '.', '_', '-' are "
               "allowed");
}

static char *s_big_list (const char *head, size_t count, const char *tail)
{
    size_t size = strlen (head) + count * 12 + strlen (tail) + 16;
    char *text = malloc (size);
    cr_assert_not_null (text);
    char *p = text + sprintf (text, "%s", head);
    for (size_t i = 0; i < count; i++)
        p += sprintf (p, "%sh%zu", i ? "," : "", i);
    sprintf (p, "%s", tail);
    return text;
}

Test (jobfile, list_sizes_are_bounded)
{
    char *text = s_big_list ("name: j\ntargets: [{scanner: tcp, ports: 1, hosts: [", 4097, "]}]\n");
    s_refused (text, "job.yaml:2:43: targets[0].hosts: must list 1..4096 entries, not 4097");
    free (text);
    text = s_big_list ("name: j\ntargets: [{scanner: tcp, ports: 1, hosts: [", 4096, "]}]\n");
    sw_jobfile_t *job = s_parse (text);
    cr_assert_not_null (job, "%s", err);
    cr_assert_eq (job->targets[0].nhosts, 4096);
    cr_assert_str_eq (job->targets[0].hosts[4095], "h4095");
    sw_jobfile_destroy (&job);
    free (text);

    size_t size = 1025 * 16 + 64;
    text = malloc (size);
    char *p = text + sprintf (text, "name: j\ntargets: [");
    for (int i = 0; i < 1025; i++)
        p += sprintf (p, "%s{scanner: x}", i ? "," : "");
    sprintf (p, "]\n");
    s_refused (text, "job.yaml:2:10: targets: must list 1..1024 targets, not 1025");
    free (text);
}

Test (jobfile, syntax_errors_carry_libyaml_position)
{
    s_refused ("name: j\ntargets: [\n",
               "job.yaml:3:1: did not find expected node content while parsing a flow node");
    s_refused ("name: j\n  bad: indent\n",
               "job.yaml:2:6: mapping values are not allowed in this context");
    s_refused ("name: *nowhere\n", "job.yaml:1:7: found undefined alias");
}

Test (jobfile, reader_errors_are_located_from_their_offset)
{
    s_refused ("name: j\nx: a\001b\n", "job.yaml:2:5: control characters are not allowed");
    s_refused ("name: \xff\n", "job.yaml:1:7: invalid leading UTF-8 octet");
}

Test (jobfile, multi_document_streams_are_refused)
{
    s_refused ("name: a\n---\nname: b\n", "job.yaml:2:1: only one YAML document is allowed");
    s_refused ("---\nname: a\n...\n---\nname: b\n",
               "job.yaml:4:1: only one YAML document is allowed");
}

Test (jobfile, empty_input_is_refused)
{
    s_refused ("", "job.yaml:1:1: empty job file");
    s_refused ("# only a comment\n\n", "job.yaml:1:1: empty job file");
    sw_jobfile_t *job = sw_jobfile_parse (NULL, 0, NULL, err, sizeof err);
    cr_assert_null (job);
    cr_assert_str_eq (err, "<job>:1:1: empty job file");
}

Test (jobfile, nesting_is_bounded_at_16)
{
    char text[256];
    //  16 levels pass the limit and fail the schema; 17 hit the limit
    snprintf (text, sizeof text, "name: j\ntargets: %.15s1%.15s\n", "[[[[[[[[[[[[[[[[",
              "]]]]]]]]]]]]]]]]");
    s_refused (text, "job.yaml:2:11: targets[0]: expected a mapping, found a list");
    snprintf (text, sizeof text, "name: j\ntargets: %.16s1%.16s\n", "[[[[[[[[[[[[[[[[",
              "]]]]]]]]]]]]]]]]");
    s_refused (text, "job.yaml:2:25: nesting deeper than 16 levels");
    //  Deep enough to overflow a recursive composer, if one ran
    char *deep = malloc (200001);
    memset (deep, '[', 200000);
    deep[200000] = 0;
    s_refused (deep, "job.yaml:1:17: nesting deeper than 16 levels");
    free (deep);
}

Test (jobfile, aliases_and_anchors_are_bounded)
{
    //  Billion laughs: each level doubles, so without a bound this explodes
    char text[8192];
    char *p = text + sprintf (text, "a0: &a0 [x, x]\n");
    for (int i = 1; i <= 40; i++)
        p += sprintf (p, "a%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
    s_refused (text, "job.yaml:34:12: too many aliases");

    p = text;
    for (int i = 0; i < 65; i++)
        p += sprintf (p, "k%d: &x%d v\n", i, i);
    s_refused (text, "job.yaml:65:6: too many anchors");
}

Test (jobfile, alias_cycles_end_in_a_type_error)
{
    s_refused ("name: j\ntargets: &t [*t]\n",
               "job.yaml:2:10: targets[0]: expected a mapping, found a list");
    s_refused ("name: j\ntargets: [{scanner: tcp, ports: 1, hosts: &h [*h]}]\n",
               "job.yaml:2:43: targets[0].hosts[0]: expected a string, found a list");
}

Test (jobfile, text_over_the_limit_is_refused)
{
    size_t len = SW_JOBFILE_MAX_TEXT + 1;
    char *text = malloc (len);
    memset (text, '#', len);
    sw_jobfile_t *job = sw_jobfile_parse (text, len, "big.yaml", err, sizeof err);
    cr_assert_null (job);
    char expected[128];
    snprintf (expected, sizeof expected, "big.yaml: job file is %zu bytes; the limit is %d", len,
              SW_JOBFILE_MAX_TEXT);
    cr_assert_str_eq (err, expected);

    //  Exactly the limit is fine: a valid job padded with a comment
    const char *job_text = "name: j\ntargets: [{scanner: tcp, hosts: [h], ports: '1'}]\n#";
    memcpy (text, job_text, strlen (job_text));
    job = sw_jobfile_parse (text, len - 1, "big.yaml", err, sizeof err);
    cr_assert_not_null (job, "%s", err);
    sw_jobfile_destroy (&job);
    free (text);
}

Test (jobfile, errors_without_an_error_buffer_do_not_crash)
{
    cr_assert_null (sw_jobfile_parse ("nmae: x", 7, "job.yaml", NULL, 0));
    cr_assert_null (sw_jobfile_parse ("[", 1, NULL, NULL, 0));
}

Test (jobfile, history_belongs_to_secrets_targets_and_shards_to_histories)
{
    char why[512];
    const char *bad[][2] = {
        {"{name: a, targets: [{scanner: posture, paths: [x], history: true}]}",
         "'history' is for secrets targets"},
        {"{name: a, targets: [{scanner: secrets, paths: [x], shards: 2}]}",
         "'shards' needs 'history: true'"},
        {"{name: a, targets: [{scanner: secrets, paths: [x], history: true, shards: 0}]}",
         "shards"},
        {"{name: a, targets: [{scanner: secrets}]}", "a secrets target needs 'paths'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sw_jobfile_t *job = sw_jobfile_parse (bad[i][0], strlen (bad[i][0]), "j", why, sizeof why);
        cr_assert_null (job, "%s", bad[i][0]);
        cr_assert (strstr (why, bad[i][1]), "%s: %s", bad[i][0], why);
    }
    const char *good =
        "{name: a, targets: [{scanner: secrets, paths: [r], history: true, shards: 8}]}";
    sw_jobfile_t *job = sw_jobfile_parse (good, strlen (good), "j", why, sizeof why);
    cr_assert_not_null (job, "%s", why);
    cr_assert (job->targets[0].history);
    cr_assert_eq (job->targets[0].shards, 8);
    sw_jobfile_destroy (&job);
}
