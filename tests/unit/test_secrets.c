/*  Tests for sw_secrets: the shipped rules against their own true and
    false positives (per family), rule validation errors, one hit per
    secret however often the prefilter fires, keywords, entropy, allow
    lists, positions, masking and keyed fingerprints. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "sw_secrets.h"

static const uint8_t s_key[SW_SECRETS_KEY_LEN] = {1, 2, 3};

typedef struct {
    sw_secret_hit_t hits[64];
    int n;
} hits_t;

static int s_collect (void *arg, const sw_secret_hit_t *hit)
{
    hits_t *h = arg;
    if (h->n < 64)
        h->hits[h->n++] = *hit;
    return 0;
}

static sw_secrets_t *s_rules (const char *yaml)
{
    char err[512] = "";
    sw_secrets_t *set = sw_secrets_load_text ("t.yaml", yaml, strlen (yaml), err, sizeof err);
    cr_assert_not_null (set, "%s", err);
    return set;
}

static long s_scan (sw_secrets_t *set, const char *path, const char *text, hits_t *h)
{
    char err[256];
    sw_secrets_scratch_t *scratch = sw_secrets_scratch_new (set);
    cr_assert_not_null (scratch);
    memset (h, 0, sizeof *h);
    long n = sw_secrets_scan (set, scratch, path, text, strlen (text), s_key, s_collect, h, err,
                              sizeof err);
    cr_assert_geq (n, 0, "%s", err);
    sw_secrets_scratch_destroy (&scratch);
    return n;
}

//  The shipped rules, one family (file) at a time: every rule's `match`
//  examples found, its `no_match` examples not.
static void s_family (const char *file, size_t at_least)
{
    char path[128], err[512] = "";
    snprintf (path, sizeof path, "rules/secrets/%s", file);
    sw_secrets_t *set = sw_secrets_load (path, err, sizeof err);
    cr_assert_not_null (set, "%s", err);
    cr_assert_geq (sw_secrets_count (set), at_least, "%s: %zu rules", file, sw_secrets_count (set));
    int failures = sw_secrets_selftest (set, stderr, err, sizeof err);
    cr_assert_eq (failures, 0, "%s", err);
    sw_secrets_destroy (&set);
}

Test (secrets, cloud_rules)
{
    s_family ("cloud.yaml", 25);
}
Test (secrets, source_host_and_registry_rules)
{
    s_family ("vcs.yaml", 15);
}
Test (secrets, chat_payment_saas_rules)
{
    s_family ("saas.yaml", 30);
}
Test (secrets, private_key_and_jwt_rules)
{
    s_family ("keys.yaml", 8);
}
Test (secrets, connection_string_rules)
{
    s_family ("connections.yaml", 5);
}
Test (secrets, generic_rules)
{
    s_family ("generic.yaml", 3);
}

Test (secrets, all_rules_load_together_and_pass_their_examples)
{
    char err[512] = "";
    sw_secrets_t *set = sw_secrets_load ("rules/secrets", err, sizeof err);
    cr_assert_not_null (set, "%s", err);
    cr_assert_geq (sw_secrets_count (set), 80);
    //  Examples of one rule must not trip the others in unexpected ways:
    //  each is still found by its own rule with every rule compiled in.
    cr_assert_eq (sw_secrets_selftest (set, stderr, err, sizeof err), 0, "%s", err);
    sw_secrets_destroy (&set);
}

Test (secrets, validation_errors_name_file_line_and_column)
{
    struct {
        const char *yaml, *want;
    } cases[] = {
        {"id: a\ndescription: d\nseverity: high\npattern: x\nbogus: 1\ntests: {match: [x], "
         "no_match: [y]}\n",
         "t.yaml:5:8: unknown key 'bogus'"},
        {"id: a\ndescription: d\nseverity: urgent\npattern: x\ntests: {match: [x], no_match: "
         "[y]}\n",
         "t.yaml:3:11: severity 'urgent' is not one of"},
        {"id: a\ndescription: d\nseverity: high\npattern: 'x('\ntests: {match: [x], no_match: "
         "[y]}\n",
         "t.yaml:4:10: bad pattern at offset 2"},
        {"id: a\ndescription: d\nseverity: high\npattern: x\n", "rule a: 'tests' with 'match'"},
        {"id: A!\ndescription: d\nseverity: high\npattern: x\ntests: {match: [x], no_match: [y]}\n",
         "t.yaml:1:5: id 'A!'"},
        {"id: a\ndescription: d\nseverity: high\npattern: x\nkeywords: [Key]\ntests: {match: [x], "
         "no_match: [y]}\n",
         "keywords are matched caselessly"},
        {"id: a\ndescription: d\nseverity: high\npattern: (x)\nsecret_group: 2\ntests: {match: "
         "[x], no_match: [y]}\n",
         "secret_group must be 0..1"},
        {"id: a\ndescription: d\nseverity: high\npattern: x\ntests: {match: [x], no_match: [y]}\n"
         "---\nid: a\ndescription: d\nseverity: high\npattern: y\ntests: {match: [y], no_match: "
         "[x]}\n",
         "rule id 'a' already used at t.yaml:1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        sw_secrets_t *set =
            sw_secrets_load_text ("t.yaml", cases[i].yaml, strlen (cases[i].yaml), err, sizeof err);
        cr_assert_null (set, "case %zu loaded", i);
        cr_assert (strstr (err, cases[i].want), "case %zu: '%s' lacks '%s'", i, err, cases[i].want);
    }
}

Test (secrets, a_failing_example_is_reported_without_the_example)
{
    sw_secrets_t *set = s_rules ("id: a\ndescription: d\nseverity: high\npattern: 'tok_[0-9]{8}'\n"
                                 "tests: {match: [tok_12], no_match: [tok_12345678]}\n");
    char err[512] = "";
    cr_assert_eq (sw_secrets_selftest (set, NULL, err, sizeof err), 2);
    cr_assert (strstr (err, "rule a: match example 1 found nothing"), "%s", err);
    cr_assert_null (strstr (err, "tok_12"), "the example leaked into the message: %s", err);
    sw_secrets_destroy (&set);
}

Test (secrets, one_hit_per_secret_however_often_the_pattern_repeats)
{
    //  [A-Z0-9]{16,} ends a match at every character past the 16th: the
    //  prefilter fires 25 times on this token, the secret is reported once.
    sw_secrets_t *set =
        s_rules ("id: tok\ndescription: d\nseverity: high\npattern: "
                 "'\\b(TK[A-Z0-9]{16,})\\b'\ntests: {match: [TK0123456789ABCDEFGH], "
                 "no_match: [TK01]}\n");
    hits_t h;
    cr_assert_eq (s_scan (set, NULL, "a TK0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ b\n", &h), 1);
    cr_assert_eq (h.hits[0].length, 38);
    //  Two secrets on one line, one repeated on the next: three hits
    cr_assert_eq (
        s_scan (set, NULL, "x=TK0123456789ABCDEF y=TK9999999999999999\nz=TK0123456789ABCDEF\n", &h),
        3);
    cr_assert_eq (h.hits[2].line, 2);
    cr_assert_eq (h.hits[2].col, 3);
    //  The same secret twice has one fingerprint; another secret another one
    cr_assert_str_eq (h.hits[0].fingerprint, h.hits[2].fingerprint);
    cr_assert_str_neq (h.hits[0].fingerprint, h.hits[1].fingerprint);
    sw_secrets_destroy (&set);
}

Test (secrets, hits_carry_no_clear_secret)
{
    sw_secrets_t *set =
        s_rules ("id: tok\ndescription: d\nseverity: high\npattern: "
                 "'secret=(\\w{24})'\ntests: {match: [secret=abcdefghijklmnopqrstuvwx], "
                 "no_match: [secret=abc]}\n");
    hits_t h;
    const char *secret = "Zq8vL2mX9pR4tW7yK1nB5cH3";
    char text[128];
    snprintf (text, sizeof text, "line one\n  secret=%s\n", secret);
    cr_assert_eq (s_scan (set, NULL, text, &h), 1);
    const sw_secret_hit_t *hit = &h.hits[0];
    cr_assert_str_eq (hit->preview, "Zq8v********************");
    cr_assert_eq (hit->line, 2);
    cr_assert_eq (hit->col, 10);
    cr_assert_eq (hit->offset, 18);
    //  Nothing of the hit holds the secret beyond its first four characters
    cr_assert_null (memmem (hit, sizeof *hit, secret + 4, 8));
    //  The fingerprint is keyed: BLAKE2b-256(secret, key), not a plain hash
    uint8_t plain[32], keyed[32];
    char hex[65];
    crypto_generichash (plain, 32, (const uint8_t *)secret, strlen (secret), NULL, 0);
    crypto_generichash (keyed, 32, (const uint8_t *)secret, strlen (secret), s_key, sizeof s_key);
    sodium_bin2hex (hex, sizeof hex, keyed, 32);
    cr_assert_str_eq (hit->fingerprint, hex);
    sodium_bin2hex (hex, sizeof hex, plain, 32);
    cr_assert_str_neq (hit->fingerprint, hex);
    sw_secrets_destroy (&set);
}

Test (secrets, keywords_entropy_and_allow_lists_filter)
{
    sw_secrets_t *set = s_rules (
        "id: gen\ndescription: d\nseverity: medium\npattern: '=\\s*([A-Za-z0-9]{16,})'\n"
        "keywords: [token]\nentropy: 3.0\nallow: ['^EXAMPLE']\nallow_paths: ['(^|/)docs/']\n"
        "tests: {match: ['token = Zq8vL2mX9pR4tW7y'], no_match: ['name = Zq8vL2mX9pR4tW7y']}\n");
    hits_t h;
    cr_assert_eq (s_scan (set, "src/a.py", "token = Zq8vL2mX9pR4tW7y\n", &h), 1);
    cr_assert_eq (s_scan (set, "src/a.py", "other = Zq8vL2mX9pR4tW7y\n", &h), 0, "no keyword");
    cr_assert_eq (s_scan (set, "src/a.py", "token = aaaaaaaaaaaaaaaaaaaa\n", &h), 0, "low entropy");
    cr_assert_eq (s_scan (set, "src/a.py", "token = EXAMPLEpR4tW7yK1nB5c\n", &h), 0, "allowed");
    cr_assert_eq (s_scan (set, "docs/a.md", "token = Zq8vL2mX9pR4tW7y\n", &h), 0, "allowed path");
    cr_assert_eq (s_scan (set, NULL, "token = Zq8vL2mX9pR4tW7y\n", &h), 1);
    sw_secrets_destroy (&set);
}

Test (secrets, a_match_that_starts_far_before_the_hit_is_confirmed_in_its_window)
{
    //  The prefilter reports where a match ends; the confirming search
    //  looks back SW_SECRETS_WINDOW bytes for where it starts.
    sw_secrets_t *set = s_rules ("id: long\ndescription: d\nseverity: high\npattern: "
                                 "'BEGIN([a-z]{100,900})END'\ntests: {match: "
                                 "[BEGINabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghi"
                                 "jabcdefghijabcdefghijabcdefghijabcdefghijEND], "
                                 "no_match: [BEGINEND]}\n");
    char text[1200];
    memcpy (text, "BEGIN", 5);
    memset (text + 5, 'q', 800);
    memcpy (text + 805, "END\n", 5);
    hits_t h;
    cr_assert_eq (s_scan (set, NULL, text, &h), 1);
    cr_assert_eq (h.hits[0].length, 800);
    sw_secrets_destroy (&set);
}

Test (secrets, mask_entropy_and_binary_helpers)
{
    char out[SW_SECRETS_PREVIEW_MAX + 1];
    sw_secrets_mask ("abcdefgh", 8, out);
    cr_assert_str_eq (out, "********");
    sw_secrets_mask ("abcdefghijkl", 12, out);
    cr_assert_str_eq (out, "ab**********");
    sw_secrets_mask ("AKIAZ4DHQ7PLXW3JMN5RAKIAZ4DHQ7PLXW3JMN5R", 40, out);
    cr_assert_str_eq (out, "AKIA****************************");
    cr_assert_eq (strlen (out), SW_SECRETS_PREVIEW_MAX);
    cr_assert_float_eq (sw_secrets_entropy ("aaaa", 4), 0.0, 1e-9);
    cr_assert_float_eq (sw_secrets_entropy ("abcd", 4), 2.0, 1e-9);
    cr_assert (sw_secrets_is_binary ("a\0b", 3));
    cr_assert_not (sw_secrets_is_binary ("abc", 3));
}

Test (secrets, empty_and_unmatched_input)
{
    sw_secrets_t *set = s_rules ("id: a\ndescription: d\nseverity: high\npattern: 'tok_[0-9]{8}'\n"
                                 "tests: {match: [tok_12345678], no_match: [tok_12]}\n");
    hits_t h;
    cr_assert_eq (s_scan (set, NULL, "", &h), 0);
    cr_assert_eq (s_scan (set, NULL, "nothing here\n", &h), 0);
    sw_secrets_destroy (&set);
}

Test (secrets, a_generic_hit_yields_to_a_specific_one_on_the_same_secret)
{
    sw_secrets_t *set = s_rules (
        "id: specific\ndescription: d\nseverity: high\npattern: '\\b(tok_[0-9a-f]{16})\\b'\n"
        "tests: {match: [tok_0123456789abcdef], no_match: [tok_01]}\n---\n"
        "id: generic-key\ndescription: d\nseverity: medium\ngeneric: true\n"
        "pattern: 'key\\s*=\\s*(\\S{12,})'\n"
        "tests: {match: ['key = 0123456789abcdef'], no_match: ['key = short']}\n");
    hits_t h;
    //  Both rules match the one secret: reported once, by the specific rule
    cr_assert_eq (s_scan (set, NULL, "key = tok_0123456789abcdef\n", &h), 1);
    cr_assert_str_eq (h.hits[0].rule, "specific");
    //  Elsewhere the generic rule still reports what nothing else names
    cr_assert_eq (s_scan (set, NULL, "key = Zq8vL2mX9pR4tW7y\nx tok_0123456789abcdef\n", &h), 2);
    cr_assert_str_eq (h.hits[0].rule, "generic-key");
    cr_assert_str_eq (h.hits[1].rule, "specific");
    sw_secrets_destroy (&set);
}
