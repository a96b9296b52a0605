/*  Tests for the semver, Go and PEP 440 version comparators, written from
    their specifications: semver.org §9-§11 and its precedence example,
    go.dev/ref/mod#versions and its pseudo-version forms, PEP 440's
    ordering example and normalisation rules. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sw_version.h"

typedef int (cmp_fn) (const char *a, const char *b, int *cmp, char *err, size_t errlen);

static char err[512];

//  cmp of a and b, which must both parse.
static int s_cmp (cmp_fn *fn, const char *a, const char *b)
{
    int cmp = 99;
    err[0] = 0;
    cr_assert_eq (fn (a, b, &cmp, err, sizeof err), 0, "'%s' vs '%s': %s", a, b, err);
    cr_assert_neq (cmp, 99, "'%s' vs '%s': no result", a, b);
    return cmp;
}

//  Every pair of list, which is in strictly ascending order, both ways.
static void s_ascending (cmp_fn *fn, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq (s_cmp (fn, list[i], list[i]), 0, "'%s' == itself", list[i]);
        for (size_t j = i + 1; j < n; j++) {
            cr_expect_lt (s_cmp (fn, list[i], list[j]), 0, "'%s' < '%s'", list[i], list[j]);
            cr_expect_gt (s_cmp (fn, list[j], list[i]), 0, "'%s' > '%s'", list[j], list[i]);
        }
    }
}

static void s_equal (cmp_fn *fn, const char *a, const char *b)
{
    cr_expect_eq (s_cmp (fn, a, b), 0, "'%s' == '%s'", a, b);
    cr_expect_eq (s_cmp (fn, b, a), 0, "'%s' == '%s'", b, a);
}

//  v is refused in either position, and the error names it.
static void s_invalid (cmp_fn *fn, const char *v, const char *valid)
{
    int cmp = 99;
    err[0] = 0;
    cr_expect_eq (fn (v, valid, &cmp, err, sizeof err), -1, "'%s' accepted", v);
    cr_expect (strstr (err, v) != NULL, "error for '%s' does not name it: %s", v, err);
    cr_expect_eq (fn (valid, v, &cmp, err, sizeof err), -1, "'%s' accepted second", v);
    cr_expect_eq (cmp, 99, "'%s': cmp written on error", v);
}

#define ASCENDING(fn, ...)                                                                         \
    do {                                                                                           \
        static const char *const list_[] = {__VA_ARGS__};                                          \
        s_ascending (fn, list_, sizeof list_ / sizeof list_[0]);                                   \
    } while (0)

// -------------------------------------------------------------------------
//  Semantic Versioning 2.0.0

Test (semver, spec_precedence_example)
{
    //  semver.org §11.4, verbatim
    ASCENDING (sw_ver_semver_cmp, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0");
}

Test (semver, core_is_numeric)
{
    //  §11.2's example, then numbers that would sort wrongly as text
    ASCENDING (sw_ver_semver_cmp, "1.0.0", "2.0.0", "2.1.0", "2.1.1");
    ASCENDING (sw_ver_semver_cmp, "1.9.0", "1.10.0", "1.10.9", "1.10.10", "9.0.0", "10.0.0");
    ASCENDING (sw_ver_semver_cmp, "0.0.0", "0.0.1", "0.1.0", "1.0.0-0", "1.0.0");
}

Test (semver, prerelease_below_release)
{
    //  §11.3; and a later core wins over any pre-release
    ASCENDING (sw_ver_semver_cmp, "1.0.0-alpha", "1.0.0", "1.0.1-alpha", "1.0.1", "2.0.0-0");
    ASCENDING (sw_ver_semver_cmp, "1.0.0-zzz", "1.0.0", "1.0.1-0");
}

Test (semver, identifiers)
{
    //  Numeric identifiers are lower than alphanumeric ones, whatever
    //  their digits; "0A" has a letter, so it is alphanumeric (and may
    //  start with 0)
    ASCENDING (sw_ver_semver_cmp, "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-99", "1.0.0-0A",
               "1.0.0-1a", "1.0.0-a");
    //  ASCII order: '-' < digits < upper case < lower case
    ASCENDING (sw_ver_semver_cmp, "1.0.0--", "1.0.0-0-", "1.0.0-A", "1.0.0-Z", "1.0.0-a",
               "1.0.0-a-b", "1.0.0-ab", "1.0.0-b");
    //  A larger set of identifiers wins when the shared ones are equal
    ASCENDING (sw_ver_semver_cmp, "1.0.0-a", "1.0.0-a.0", "1.0.0-a.0.0", "1.0.0-a.1", "1.0.0-a.a");
    ASCENDING (sw_ver_semver_cmp, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha0");
}

Test (semver, build_metadata_ignored)
{
    s_equal (sw_ver_semver_cmp, "1.0.0+a", "1.0.0+b");
    s_equal (sw_ver_semver_cmp, "1.0.0+a", "1.0.0");
    s_equal (sw_ver_semver_cmp, "1.0.0-alpha+001", "1.0.0-alpha");
    s_equal (sw_ver_semver_cmp, "1.0.0+20130313144700", "1.0.0+21AF26D3----117B344092BD");
    s_equal (sw_ver_semver_cmp, "1.0.0-beta+exp.sha.5114f85", "1.0.0-beta+0.01");
    ASCENDING (sw_ver_semver_cmp, "1.0.0-beta+zzz", "1.0.0+000", "1.0.1+0");
}

Test (semver, big_numbers)
{
    //  Past 64 bits, compared as digit strings
    ASCENDING (sw_ver_semver_cmp, "18446744073709551615.0.0", "18446744073709551616.0.0",
               "99999999999999999999999999.0.0", "100000000000000000000000000.0.0");
    ASCENDING (sw_ver_semver_cmp, "1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000",
               "1.0.0-100000000000000000000000.1");
    s_equal (sw_ver_semver_cmp, "1.123456789012345678901234567890.0",
             "1.123456789012345678901234567890.0+b");
}

Test (semver, prefix)
{
    //  npm's single 'v' or '=' prefix is dropped
    s_equal (sw_ver_semver_cmp, "v1.2.3", "1.2.3");
    s_equal (sw_ver_semver_cmp, "=1.2.3", "1.2.3");
    s_equal (sw_ver_semver_cmp, "v1.2.3-rc.1+b", "=1.2.3-rc.1");
    cr_expect_lt (s_cmp (sw_ver_semver_cmp, "v1.2.3", "1.2.4"), 0);
}

Test (semver, invalid)
{
    const char *bad[] = {"",           "1",          "1.0",        "1.0.",
                         "1.0.0.0",    "01.0.0",     "1.01.0",     "1.0.01",
                         "00.0.0",     "1.0.0-01",   "1.0.0-a.00", "1.0.0-",
                         "1.0.0+",     "1.0.0-a..b", "1.0.0-a.",   "1.0.0-.a",
                         "1.0.0+a..b", "1.0.0+a.",   "1.0.0-a_b",  "1.0.0-a b",
                         "1.0.0+a+b",  "a.b.c",      "1.x.0",      "-1.0.0",
                         "+1.0.0",     " 1.0.0",     "1.0.0 ",     "vv1.0.0",
                         "v=1.0.0",    "V1.0.0",     "v",          "1.0.0-\xc3\xa9",
                         "1..0.0",     "1.0.0x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_invalid (sw_ver_semver_cmp, bad[i], "1.0.0");
}

Test (semver, valid_edge_forms)
{
    //  Accepted by the grammar even if unusual: zero pre-release, hyphens
    //  only, leading zeros in alphanumeric and build identifiers
    const char *good[] = {"0.0.0",        "1.0.0-0",     "1.0.0--",
                          "1.0.0-0A.00a", "1.0.0+00.01", "1.0.0-x-y-z.--"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect_eq (s_cmp (sw_ver_semver_cmp, good[i], good[i]), 0);
}

Test (semver, errors)
{
    int cmp = 99;
    cr_assert_eq (sw_ver_semver_cmp (NULL, "1.0.0", &cmp, err, sizeof err), -1);
    cr_assert_eq (sw_ver_semver_cmp ("1.0", "1.0.0", &cmp, err, sizeof err), -1);
    cr_expect (strstr (err, "semver") && strstr (err, "'1.0'") && strstr (err, "MAJOR.MINOR.PATCH"),
               "%s", err);
    cr_assert_eq (sw_ver_semver_cmp ("1.0.0", "1.0.0-01", &cmp, err, sizeof err), -1);
    cr_expect (strstr (err, "'1.0.0-01'") && strstr (err, "leading zero"), "%s", err);
    //  A short buffer truncates, never overflows
    char small[8];
    cr_assert_eq (sw_ver_semver_cmp ("x", "1.0.0", &cmp, small, sizeof small), -1);
    cr_expect_eq (strlen (small), sizeof small - 1);
}

// -------------------------------------------------------------------------
//  Go module versions

Test (go, v_optional)
{
    s_equal (sw_ver_go_cmp, "v1.2.3", "1.2.3");
    s_equal (sw_ver_go_cmp, "v1.2.3-pre", "1.2.3-pre");
    ASCENDING (sw_ver_go_cmp, "v0.9.9", "1.0.0-pre", "v1.0.0", "1.0.1", "v1.10.0", "v2.0.0");
}

Test (go, pseudo_versions)
{
    //  vX.0.0-yyyymmddhhmmss-abcdefabcdef: no base version
    ASCENDING (sw_ver_go_cmp, "v0.0.0-20190101000000-abcdefabcdef",
               "v0.0.0-20200101000000-abcdefabcdef", "v0.0.0-20200101000001-000000000000",
               "v0.1.0");
    //  vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef: after base vX.Y.Z, before
    //  vX.Y.(Z+1) and its other pre-releases
    ASCENDING (sw_ver_go_cmp, "v1.2.3", "v1.2.4-0.20190101000000-abcdefabcdef",
               "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-alpha", "v1.2.4");
    //  vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef: after base vX.Y.Z-pre
    ASCENDING (sw_ver_go_cmp, "v1.2.3-pre", "v1.2.3-pre.0.20190101000000-abcdefabcdef",
               "v1.2.3-pre.0.20200101000000-abcdefabcdef", "v1.2.3-pre.1", "v1.2.3");
    //  Without the 'v', as OSV writes them
    cr_expect_lt (s_cmp (sw_ver_go_cmp, "1.2.4-0.20190101000000-abcdefabcdef", "v1.2.4"), 0);
}

Test (go, incompatible)
{
    s_equal (sw_ver_go_cmp, "v2.0.0+incompatible", "v2.0.0");
    s_equal (sw_ver_go_cmp, "v2.3.4+incompatible", "2.3.4");
    ASCENDING (sw_ver_go_cmp, "v2.0.0-rc.1+incompatible", "v2.0.0+incompatible",
               "v2.0.1+incompatible", "v3.0.0");
}

Test (go, invalid)
{
    //  Shorthands and the npm '=' prefix are not module versions
    const char *bad[] = {"",        "v",      "v1",       "v1.2",           "=1.2.3",
                         "vv1.2.3", "V1.2.3", "v01.2.3",  "v1.2.3-01",      "v1.2.3-",
                         "v1.2.3+", "master", "daa7c041", "v1.2.3+dirty+x", "v1.2.3 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_invalid (sw_ver_go_cmp, bad[i], "v1.0.0");
    int cmp;
    cr_assert_eq (sw_ver_go_cmp ("v1.2", "v1.0.0", &cmp, err, sizeof err), -1);
    cr_expect (strstr (err, "bad go version 'v1.2'"), "%s", err);
}

// -------------------------------------------------------------------------
//  PEP 440

Test (pep440, spec_ordering_example)
{
    //  PEP 440, "Summary of permitted suffixes and relative ordering"
    ASCENDING (sw_ver_pep440_cmp, "1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456",
               "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
               "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
               "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1");
}

Test (pep440, normalisation)
{
    const char *eq[][2] = {{"1.0ALPHA1", "1.0a1"},
                           {"1.0-1", "1.0.post1"},
                           {"1.0", "1.0.0"},
                           {"v1.0", "1.0"},
                           {"V1.0", "1.0"},
                           {"1.0c1", "1.0rc1"},
                           {"1.0-dev", "1.0.dev0"},
                           {"1.0a", "1.0a0"},
                           {"1.0.post", "1.0.post0"},
                           {"1.0.dev", "1.0.dev0"},
                           {"1.0-alpha.1", "1.0a1"},
                           {"1.0_beta_2", "1.0b2"},
                           {"1.0.b2", "1.0b2"},
                           {"1.0PRE3", "1.0rc3"},
                           {"1.0-preview-4", "1.0rc4"},
                           {"1.0C", "1.0rc0"},
                           {"1.0-r4", "1.0.post4"},
                           {"1.0rev", "1.0.post0"},
                           {"1.0-post-2", "1.0.post2"},
                           {"1.0post2", "1.0.post2"},
                           {"1.0.DEV3", "1.0.dev3"},
                           {"1.0dev_3", "1.0.dev3"},
                           {"1.0a1-1", "1.0a1.post1"},
                           {"1.0-1-dev2", "1.0.post1.dev2"},
                           {" 1.0 \t\n", "1.0"},
                           {"01.00", "1.0"},
                           {"1.0.0.0.0", "1"},
                           {"0!1.0", "1.0"},
                           {"00!1.0", "1.0"},
                           {"1.0a01", "1.0a1"},
                           {"1.0+ubuntu-1", "1.0+ubuntu.1"},
                           {"1.0+ubuntu_1", "1.0+UBUNTU.1"},
                           {"1.0+01", "1.0+1"},
                           {"1.0+abc.05", "1.0+abc.5"},
                           {"v2!1.0-RC.1.POST.2.DEV.3", "2!1.0rc1.post2.dev3"}};
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++)
        s_equal (sw_ver_pep440_cmp, eq[i][0], eq[i][1]);
}

Test (pep440, epochs)
{
    cr_expect_gt (s_cmp (sw_ver_pep440_cmp, "1!1.0", "2.0"), 0);
    ASCENDING (sw_ver_pep440_cmp, "2013.10", "2014.04", "1!1.0.dev1", "1!1.0", "1!2.0", "2!0.1");
}

Test (pep440, release)
{
    //  Numeric, trailing zeros ignored, a longer non-zero release wins
    ASCENDING (sw_ver_pep440_cmp, "0.9", "1", "1.0.0.1", "1.0.1", "1.1", "1.9", "1.10", "1.10.0.1",
               "10");
}

Test (pep440, dev_pre_post)
{
    //  A bare dev release comes before every pre-release of its release,
    //  a dev release of a pre or post release just before that release
    ASCENDING (sw_ver_pep440_cmp, "1.0.dev0", "1.0.dev1", "1.0a0.dev0", "1.0a0", "1.0a0.post0.dev0",
               "1.0a0.post0", "1.0a1", "1.0b0", "1.0rc0", "1.0rc1.post1", "1.0", "1.0.post0.dev0",
               "1.0.post0", "1.0.post1.dev5", "1.0.post1", "1.0.1.dev0");
}

Test (pep440, local)
{
    //  Public version first; then segments: numeric above alphanumeric,
    //  numeric by value, alphanumeric case-insensitively, longer wins
    ASCENDING (sw_ver_pep440_cmp, "1.0", "1.0+0", "1.0+2", "1.0+10", "1.0+10.a", "1.0+10.0",
               "1.0.post1", "1.0.post1+a");
    ASCENDING (sw_ver_pep440_cmp, "1.0+1a", "1.0+1ab", "1.0+A", "1.0+a.1", "1.0+ab", "1.0+B",
               "1.0+b.b", "1.0+b.0", "1.0+9");
    cr_expect_lt (s_cmp (sw_ver_pep440_cmp, "1.0+zzz", "1.0.post0"), 0);
    cr_expect_lt (s_cmp (sw_ver_pep440_cmp, "1.0a1+zzz", "1.0a1.post0"), 0);
}

Test (pep440, big_numbers)
{
    ASCENDING (sw_ver_pep440_cmp, "1.18446744073709551615", "1.18446744073709551616",
               "1.99999999999999999999999999", "1.100000000000000000000000000",
               "99999999999999999999999999!0");
    s_equal (sw_ver_pep440_cmp, "1.0.000000000000000000000000000001", "1.0.1");
    s_equal (sw_ver_pep440_cmp, "1.0.post00000000000000000000000", "1.0.post0");
    ASCENDING (sw_ver_pep440_cmp, "1.0+99999999999999999999999", "1.0+100000000000000000000000");
}

Test (pep440, invalid)
{
    const char *bad[] = {"1.0.x",       "abc",         "",       "   ",          "v",
                         "1.0.",        ".1",          "1..0",   "1.0+",         "1.0+abc.",
                         "1.0+a..b",    "1.0+a b",     "1.0+a!", "1.0a1a2",      "1.0.dev1.post1",
                         "1.0.dev1a1",  "1.0.post1a1", "1.0-",   "1.0a1-",       "1.0-1-1",
                         "1.0.post1-1", "1!",          "!1.0",   "1!2!3",        "1.0 beta",
                         "1.0-final",   "1.0gamma",    "1.0.*",  "==1.0",        "vv1.0",
                         "1.0++a",      "1.0-+a",      "1.0 +a", "\xc3\xa9v1.0", "-1.0",
                         "1.0a.b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_invalid (sw_ver_pep440_cmp, bad[i], "1.0");
}

Test (pep440, errors)
{
    int cmp = 99;
    cr_assert_eq (sw_ver_pep440_cmp ("1.0", NULL, &cmp, err, sizeof err), -1);
    cr_assert_eq (sw_ver_pep440_cmp ("1.0.x", "1.0", &cmp, err, sizeof err), -1);
    cr_expect (strstr (err, "bad pep440 version '1.0.x'") && strstr (err, ".x"), "%s", err);
    cr_assert_eq (sw_ver_pep440_cmp ("1.0", "abc", &cmp, err, sizeof err), -1);
    cr_expect (strstr (err, "'abc'") && strstr (err, "release"), "%s", err);
}
