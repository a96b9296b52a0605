/*  Tests for sw_bundle: the content key pair, signed rule bundles built
    from a rules folder, and every way a bundle can fail to verify. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sw_bundle.h"
#include "sw_probetab.h"
#include "sw_secrets.h"

static char s_dir[64];
static char err[1024];

static void s_setup (void)
{
    cr_assert_eq (sodium_init () < 0, 0);
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-bundle-test"));
    err[0] = 0;
}

static void s_teardown (void)
{
    sw_test_rmtree (s_dir);
}

TestSuite (bundle, .init = s_setup, .fini = s_teardown);

//  Writes text to s_dir/name (creating its folders).
static void s_write (const char *name, const char *text)
{
    cr_assert_eq (sw_test_write (s_dir, name, text), 0, "cannot write %s/%s", s_dir, name);
}

static const char *s_rule_a = "id: test.a\n"
                              "title: A is set\n"
                              "severity: high\n"
                              "description: d\n"
                              "remediation: r\n"
                              "resource_types: [t]\n"
                              "fail_if: {path: a, exists: true}\n";

static const char *s_rule_b = "id: test.b\n"
                              "title: B is set\n"
                              "severity: low\n"
                              "description: d\n"
                              "remediation: r\n"
                              "resource_types: [t]\n"
                              "fail_if: {path: b, eq: 1}\n";

//  Two valid rule files under s_dir/rules. Returns the rules folder.
static const char *s_rules_dir (void)
{
    static char rules[128];
    s_write ("rules/a.yaml", s_rule_a);
    s_write ("rules/b.yml", s_rule_b);
    snprintf (rules, sizeof rules, "%s/rules", s_dir);
    return rules;
}

static void s_keypair (uint8_t pk[crypto_sign_PUBLICKEYBYTES],
                       uint8_t sk[crypto_sign_SECRETKEYBYTES])
{
    cr_assert_eq (crypto_sign_keypair (pk, sk), 0);
}

//  Builds a bundle of the two test rules signed with sk.
static uint8_t *s_build (const uint8_t *sk, const char *version, size_t *len)
{
    uint8_t *out = NULL;
    int rc = sw_bundle_build (s_rules_dir (), version, sk, &out, len, err, sizeof err);
    cr_assert_eq (rc, 0, "build: %s", err);
    cr_assert_not_null (out);
    cr_assert_gt (*len, SW_BUNDLE_HEAD);
    return out;
}

//  Asserts that open and verify both refuse data with a message holding
//  `expected`.
static void s_refused (const uint8_t *data, size_t len, const uint8_t *pk, const char *expected,
                       const char *what)
{
    char version[SW_BUNDLE_VERSION_MAX + 1] = "";
    err[0] = 0;
    sw_ruleset_t *rules = sw_bundle_open (data, len, pk, version, err, sizeof err);
    if (rules)
        sw_ruleset_destroy (&rules);
    cr_assert_null (rules, "%s: open accepted it", what);
    cr_assert (strstr (err, expected), "%s: open said '%s', expected '%s'", what, err, expected);
    err[0] = 0;
    cr_assert_eq (sw_bundle_verify (data, len, pk, version, err, sizeof err), -1,
                  "%s: verify accepted it", what);
    cr_assert (strstr (err, expected), "%s: verify said '%s', expected '%s'", what, err, expected);
}

// -------------------------------------------------------------------------
//  Keys

Test (bundle, keygen_creates_a_private_secret_key_and_a_public_key)
{
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 0, "%s", err);
    char sec[128], pub[128];
    snprintf (sec, sizeof sec, "%s/content/bundle.key", s_dir);
    snprintf (pub, sizeof pub, "%s/content/bundle.pub", s_dir);
    struct stat st;
    cr_assert_eq (stat (sec, &st), 0, "no bundle.key");
    cr_assert_eq (st.st_mode & 0777, 0600, "bundle.key has mode %03o", st.st_mode & 0777);
    cr_assert_eq (stat (pub, &st), 0, "no bundle.pub");
    cr_assert (S_ISREG (st.st_mode));

    uint8_t sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES];
    cr_assert_eq (sw_bundle_read_key (sec, true, sk, sizeof sk, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_bundle_read_key (pub, false, pk, sizeof pk, err, sizeof err), 0, "%s", err);
    uint8_t derived[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_ed25519_sk_to_pk (derived, sk);
    cr_assert_eq (memcmp (derived, pk, sizeof pk), 0, "bundle.pub is not bundle.key's public key");
}

Test (bundle, keygen_refuses_to_overwrite_an_existing_key_pair)
{
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 0, "%s", err);
    char pub[128];
    snprintf (pub, sizeof pub, "%s/content/bundle.pub", s_dir);
    uint8_t before[crypto_sign_PUBLICKEYBYTES], after[crypto_sign_PUBLICKEYBYTES];
    cr_assert_eq (sw_bundle_read_key (pub, false, before, sizeof before, err, sizeof err), 0);
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 1);
    cr_assert_eq (sw_bundle_read_key (pub, false, after, sizeof after, err, sizeof err), 0);
    cr_assert_eq (memcmp (before, after, sizeof before), 0, "the public key was replaced");
}

Test (bundle, read_key_refuses_a_group_readable_secret_key)
{
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 0, "%s", err);
    char sec[128];
    snprintf (sec, sizeof sec, "%s/content/bundle.key", s_dir);
    cr_assert_eq (chmod (sec, 0640), 0);
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    err[0] = 0;
    cr_assert_eq (sw_bundle_read_key (sec, true, sk, sizeof sk, err, sizeof err), -1);
    cr_assert (strstr (err, sec), "message does not name the file: %s", err);
    cr_assert (strstr (err, "640"), "message does not give the mode: %s", err);
}

Test (bundle, read_key_refuses_a_file_that_is_not_a_hex_key)
{
    s_write ("short.pub", "abcd\n");
    char path[128];
    snprintf (path, sizeof path, "%s/short.pub", s_dir);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    cr_assert_eq (sw_bundle_read_key (path, false, pk, sizeof pk, err, sizeof err), -1);
    cr_assert (strstr (err, path), "%s", err);
}

// -------------------------------------------------------------------------
//  Build and open

Test (bundle, build_then_open_gives_the_rules_and_the_version)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, "v1.2.3", &len);
    cr_assert_eq (memcmp (data, SW_BUNDLE_MAGIC, 6), 0);

    char version[SW_BUNDLE_VERSION_MAX + 1] = "";
    sw_ruleset_t *rules = sw_bundle_open (data, len, pk, version, err, sizeof err);
    cr_assert_not_null (rules, "open: %s", err);
    cr_assert_eq (sw_ruleset_size (rules), 2);
    cr_assert_str_eq (version, "v1.2.3");
    cr_assert_not_null (sw_ruleset_find (rules, "test.a"));
    cr_assert_not_null (sw_ruleset_find (rules, "test.b"));
    cr_assert_str_eq (sw_rule_file (sw_ruleset_find (rules, "test.a")), "a.yaml",
                      "file names in a bundle are relative to the rules folder");
    sw_ruleset_destroy (&rules);

    version[0] = 0;
    cr_assert_eq (sw_bundle_verify (data, len, pk, version, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq (version, "v1.2.3");
    free (data);
}

Test (bundle, a_flipped_byte_in_the_body_fails_verification)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, "v1", &len);
    for (size_t i = SW_BUNDLE_HEAD; i < len; i++) {
        char what[64];
        snprintf (what, sizeof what, "body byte %zu of %zu", i, len);
        data[i] ^= 0x01;
        s_refused (data, len, pk, "signature does not verify", what);
        data[i] ^= 0x01;
    }
    free (data);
}

Test (bundle, a_flipped_byte_in_the_signature_fails_verification)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, "v1", &len);
    for (size_t i = 6; i < SW_BUNDLE_HEAD; i++) {
        char what[64];
        snprintf (what, sizeof what, "signature byte %zu", i - 6);
        data[i] ^= 0x80;
        s_refused (data, len, pk, "signature does not verify", what);
        data[i] ^= 0x80;
    }
    free (data);
}

Test (bundle, a_bundle_signed_by_another_key_fails_verification)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    s_keypair (other_pk, other_sk);
    size_t len;
    uint8_t *data = s_build (other_sk, "v1", &len);
    s_refused (data, len, pk, "signature does not verify", "signed by another key");
    free (data);
}

Test (bundle, wrong_magic_is_refused)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, "v1", &len);
    data[4] = '2'; //  "CSRB2\n"
    s_refused (data, len, pk, "not a rule bundle", "wrong magic");
    free (data);
}

Test (bundle, every_truncation_is_refused)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, "v1", &len);
    for (size_t cut = 0; cut < len; cut++) {
        //  An exact-size copy, so that a read past the end is caught.
        uint8_t *copy = malloc (cut ? cut : 1);
        memcpy (copy, data, cut);
        char what[64];
        snprintf (what, sizeof what, "first %zu of %zu bytes", cut, len);
        s_refused (copy, cut, pk, cut < SW_BUNDLE_HEAD ? "not a rule bundle" : "does not verify",
                   what);
        free (copy);
    }
    free (data);
}

Test (bundle, build_refuses_a_rules_folder_with_a_bad_rule)
{
    s_write ("rules/a.yaml", s_rule_a);
    s_write ("rules/z.yaml", "id: test.z\n"
                             "title: t\n"
                             "severity: high\n"
                             "description: d\n"
                             "remediation: r\n"
                             "resource_types: [t]\n"
                             "fail_if: {path: a, eqq: 1}\n");
    char rules[128];
    snprintf (rules, sizeof rules, "%s/rules", s_dir);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq (sw_bundle_build (rules, "v1", sk, &out, &len, err, sizeof err), -1);
    cr_assert_null (out);
    char where[128];
    snprintf (where, sizeof where, "z.yaml:7:");
    cr_assert (strstr (err, where), "error does not name file:line: %s", err);
    //  ...and a column after the line
    const char *col = strstr (err, where) + strlen (where);
    cr_assert (*col >= '1' && *col <= '9', "error has no column: %s", err);
    cr_assert (strstr (err, "eqq"), "%s", err);
}

Test (bundle, build_refuses_a_folder_without_rules)
{
    char empty[128];
    snprintf (empty, sizeof empty, "%s/empty", s_dir);
    cr_assert_eq (mkdir (empty, 0700), 0);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq (sw_bundle_build (empty, "v1", sk, &out, &len, err, sizeof err), -1);
    cr_assert_null (out);
    cr_assert (strstr (err, "no rule files"), "%s", err);
}

Test (bundle, build_refuses_a_version_over_the_limit)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    char version[SW_BUNDLE_VERSION_MAX + 2];
    memset (version, 'v', SW_BUNDLE_VERSION_MAX + 1);
    version[SW_BUNDLE_VERSION_MAX + 1] = 0;
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq (sw_bundle_build (s_rules_dir (), version, sk, &out, &len, err, sizeof err), -1);
    cr_assert_null (out);
    cr_assert (strstr (err, "longer than"), "%s", err);
}

Test (bundle, default_version_is_a_utc_stamp_and_12_hex_of_the_body)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *data = s_build (sk, NULL, &len);
    char version[SW_BUNDLE_VERSION_MAX + 1] = "";
    cr_assert_eq (sw_bundle_verify (data, len, pk, version, err, sizeof err), 0, "%s", err);
    cr_assert_eq (strlen (version), 27, "version '%s'", version);
    cr_assert_eq (strspn (version, "0123456789"), 14, "version '%s'", version);
    cr_assert_eq (version[14], '-', "version '%s'", version);
    cr_assert_eq (strspn (version + 15, "0123456789abcdef"), 12, "version '%s'", version);
    //  The stamp is the current UTC year (allowing for a run at midnight
    //  on New Year's Eve).
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    int year = atoi ((char[5]){version[0], version[1], version[2], version[3], 0});
    cr_assert (year == tm.tm_year + 1900 || year == tm.tm_year + 1899, "version '%s'", version);
    free (data);
}

Test (bundle, default_version_hash_part_depends_on_the_rules)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    char v1[SW_BUNDLE_VERSION_MAX + 1], v2[SW_BUNDLE_VERSION_MAX + 1];
    uint8_t *data = s_build (sk, NULL, &len);
    cr_assert_eq (sw_bundle_verify (data, len, pk, v1, err, sizeof err), 0, "%s", err);
    free (data);
    s_write ("rules/c.yaml", "id: test.c\ntitle: t\nseverity: low\ndescription: d\n"
                             "remediation: r\nresource_types: [t]\nfail_if: {path: c, eq: 1}\n");
    data = s_build (sk, NULL, &len);
    cr_assert_eq (sw_bundle_verify (data, len, pk, v2, err, sizeof err), 0, "%s", err);
    free (data);
    cr_assert_str_neq (v1 + 15, v2 + 15, "same hash part for different rules: %s %s", v1, v2);
}

// -------------------------------------------------------------------------
//  Secrets rules in the bundle

static const char *s_secret_rule = "id: test-token\n"
                                   "description: a test token\n"
                                   "severity: high\n"
                                   "pattern: \"\\\\b(tst_[a-z0-9]{12})\\\\b\"\n"
                                   "tests:\n"
                                   "  match: [\"t = tst_abcdefghijkl\"]\n"
                                   "  no_match: [\"t = tst_short\"]\n";

//  A rules folder's secrets/ travels in its bundle and is compiled from
//  there; posture loading ignores it; a bundle without one says so.
Test (bundle, secrets_rules_travel_in_the_bundle)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    uint8_t *plain = s_build (sk, "v1", &len);
    char version[SW_BUNDLE_VERSION_MAX + 1];
    struct _sw_secrets_t *none = sw_bundle_open_secrets (plain, len, pk, version, err, sizeof err);
    cr_assert_null (none);
    cr_assert (strstr (err, "holds no secrets rules"), "%s", err);
    free (plain);

    s_write ("rules/secrets/tokens.yaml", s_secret_rule);
    uint8_t *out = s_build (sk, "v2", &len);
    sw_ruleset_t *rules = sw_bundle_open (out, len, pk, version, err, sizeof err);
    cr_assert_not_null (rules, "%s", err);
    sw_ruleset_destroy (&rules);
    sw_secrets_t *set = sw_bundle_open_secrets (out, len, pk, version, err, sizeof err);
    cr_assert_not_null (set, "%s", err);
    cr_assert_eq (sw_secrets_count (set), 1);
    cr_assert_str_eq (sw_secrets_rule_id (set, 0), "test-token");
    cr_assert_str_eq (version, "v2");
    sw_secrets_destroy (&set);
    //  Tampered: refused before a rule is compiled
    out[len - 3] ^= 1;
    cr_assert_null (sw_bundle_open_secrets (out, len, pk, version, err, sizeof err));
    cr_assert (strstr (err, "signature does not verify"), "%s", err);
    free (out);

    //  A secrets rule whose own example fails is not signed at all
    s_write ("rules/secrets/tokens.yaml",
             "id: test-token\ndescription: d\nseverity: high\n"
             "pattern: \"\\\\b(tst_[a-z0-9]{12})\\\\b\"\n"
             "tests:\n  match: [\"t = tst_short\"]\n  no_match: [\"x\"]\n");
    uint8_t *bad = NULL;
    cr_assert_eq (sw_bundle_build (s_rules_dir (), "v3", sk, &bad, &len, err, sizeof err), -1);
    cr_assert (strstr (err, "rule example(s) fail"), "%s", err);
}

// -------------------------------------------------------------------------
//  The net scanner's probe table in the bundle

static const char *s_probes = "probes:\n"
                              "  - {name: \"null\", send: \"\"}\n"
                              "  - {name: http, send: \"GET /\\r\\n\\r\\n\", answer: http}\n"
                              "  - {name: quote, send: \"QUOTE\\r\\n\", ports: \"17\"}\n"
                              "matches:\n"
                              "  - {service: qotd, probe: quote, pattern: '^Q: (\\d+)', "
                              "version: 1, examples: ['Q: 42 => 42']}\n";

//  A rules folder's probes/net.yaml travels in its bundle (posture loading
//  ignores it); a bundle without one says so; a table that does not load
//  is not signed.
Test (bundle, probe_table_travels_in_the_bundle)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    s_keypair (pk, sk);
    size_t len;
    char version[SW_BUNDLE_VERSION_MAX + 1];
    uint8_t *plain = s_build (sk, "v1", &len);
    cr_assert_null (sw_bundle_open_probes (plain, len, pk, version, err, sizeof err));
    cr_assert (strstr (err, "holds no probe table"), "%s", err);
    free (plain);

    s_write ("rules/probes/net.yaml", s_probes);
    uint8_t *out = s_build (sk, "v2", &len);
    sw_ruleset_t *rules = sw_bundle_open (out, len, pk, version, err, sizeof err);
    cr_assert_not_null (rules, "%s", err);
    sw_ruleset_destroy (&rules);
    sw_probetab_t *tab = sw_bundle_open_probes (out, len, pk, version, err, sizeof err);
    cr_assert_not_null (tab, "%s", err);
    cr_assert_eq (sw_probetab_size (tab), 3);
    size_t order[4];
    sw_probetab_order (tab, 17, order, 4);
    cr_assert_str_eq (sw_probetab_probe (tab, order[0])->name, "quote");
    sw_ident_t id;
    cr_assert (sw_probetab_match (tab, "quote", "Q: 7\r\n", 6, &id));
    cr_assert_str_eq (id.service, "qotd");
    cr_assert_str_eq (id.version, "7");
    sw_probetab_destroy (&tab);
    out[len - 3] ^= 1;
    cr_assert_null (sw_bundle_open_probes (out, len, pk, version, err, sizeof err));
    cr_assert (strstr (err, "signature does not verify"), "%s", err);
    free (out);

    s_write ("rules/probes/net.yaml", "probes: []\nmatches: []\n");
    uint8_t *bad = NULL;
    cr_assert_eq (sw_bundle_build (s_rules_dir (), "v3", sk, &bad, &len, err, sizeof err), -1);
    cr_assert (strstr (err, "probes/net.yaml"), "%s", err);
}

//  keys init makes the fingerprint key, 0600, once.
Test (bundle, keygen_makes_a_private_fingerprint_key_once)
{
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 0, "%s", err);
    char fp[128];
    snprintf (fp, sizeof fp, "%s/content/fingerprint.key", s_dir);
    struct stat st;
    cr_assert_eq (stat (fp, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0600);
    uint8_t a[32], b[32];
    cr_assert_eq (sw_bundle_read_key (fp, true, a, sizeof a, err, sizeof err), 0, "%s", err);
    cr_assert_eq (sw_bundle_keygen (s_dir, err, sizeof err), 1);
    cr_assert_eq (sw_bundle_read_key (fp, true, b, sizeof b, err, sizeof err), 0, "%s", err);
    cr_assert_eq (memcmp (a, b, sizeof a), 0, "the fingerprint key changed");
}
