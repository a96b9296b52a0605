/*  Tests for the Debian and apk version comparators, written from their
    specifications: Debian Policy 5.6.12 with dpkg's verrevcmp, and
    apk-tools' version.c (with rows of its test/version.data). Ordering
    tables list versions in strictly increasing order and every pair is
    checked in both directions, so one table pins a whole total order. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sw_version.h"

typedef int (cmp_fn) (const char *a, const char *b, int *cmp, char *err, size_t errlen);

static char err[512];

//  The comparison of a and b, failing the test when either does not parse.
static int s_cmp (cmp_fn *fn, const char *a, const char *b)
{
    int cmp = 99;
    err[0] = 0;
    cr_assert_eq (fn (a, b, &cmp, err, sizeof err), 0, "'%s' vs '%s': %s", a, b, err);
    cr_assert (cmp == -1 || cmp == 0 || cmp == 1, "'%s' vs '%s' gave %d", a, b, cmp);
    return cmp;
}

//  Every pair of a strictly increasing list, both ways, and each version
//  against itself.
static void s_increasing (cmp_fn *fn, const char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq (s_cmp (fn, list[i], list[i]), 0, "'%s' != itself", list[i]);
        for (size_t j = i + 1; j < n; j++) {
            cr_expect_eq (s_cmp (fn, list[i], list[j]), -1, "expected '%s' < '%s'", list[i],
                          list[j]);
            cr_expect_eq (s_cmp (fn, list[j], list[i]), 1, "expected '%s' > '%s'", list[j],
                          list[i]);
        }
    }
}

static void s_equal (cmp_fn *fn, const char *a, const char *b)
{
    cr_expect_eq (s_cmp (fn, a, b), 0, "expected '%s' == '%s'", a, b);
    cr_expect_eq (s_cmp (fn, b, a), 0, "expected '%s' == '%s'", b, a);
}

//  v is refused on either side, with an error that names it and says why
//  (contains `why`).
static void s_refused (cmp_fn *fn, const char *v, const char *valid, const char *why)
{
    int cmp = 42;
    char name[300];
    snprintf (name, sizeof name, "'%s'", v ? v : "(null)");
    err[0] = 0;
    cr_expect_eq (fn (v, valid, &cmp, err, sizeof err), -1, "%s accepted", name);
    cr_expect (strstr (err, name), "error does not name %s: %s", name, err);
    cr_expect (strstr (err, why), "error for %s lacks '%s': %s", name, why, err);
    err[0] = 0;
    cr_expect_eq (fn (valid, v, &cmp, err, sizeof err), -1, "%s accepted as b", name);
    cr_expect (strstr (err, name), "error does not name %s: %s", name, err);
    cr_expect_eq (cmp, 42, "*cmp written on error");
}

#define N(list) (sizeof (list) / sizeof (list)[0])

// -------------------------------------------------------------------------
//  Debian

Test (ver_deb, ordering_table)
{
    //  Checked against `dpkg --compare-versions` (dpkg 1.21).
    const char *list[] = {
        "1.0~~", "1.0~~a",   "1.0~",    "1.0~rc1",  "1.0~rc2",    "1.0",   "1.0-0.1",
        "1.0-1", "1.0-1+b1", "1.0-1.1", "1.0-2",    "1.0-10",     "1.0A",  "1.0Z",
        "1.0a",  "1.0z",     "1.0+",    "1.0+dfsg", "1.0+dfsg-1", "1.0.0", "1.0.1",
        "1.1",   "1.2",      "1.10",    "2",        "1:0.1",      "1:1.0", "2:0",
    };
    s_increasing (sw_ver_debian_cmp, list, N (list));
}

Test (ver_deb, tilde_sorts_before_everything)
{
    //  '~' sorts before the end of the string, so a pre-release comes
    //  before its release and a double tilde before a single one.
    const char *list[] = {"1.0~~", "1.0~", "1.0"};
    s_increasing (sw_ver_debian_cmp, list, N (list));
    const char *rc[] = {"1.0~beta1", "1.0~rc1", "1.0~rc1+b1", "1.0"};
    s_increasing (sw_ver_debian_cmp, rc, N (rc));
    const char *rev[] = {"1.0-1~bpo1", "1.0-1", "1.0-1+deb12u1"};
    s_increasing (sw_ver_debian_cmp, rev, N (rev));
}

Test (ver_deb, letters_before_non_letters)
{
    //  In a non-digit part letters sort before non-letters; each group by
    //  ASCII (upper case first, then '+' < '-' < '.' < ':').
    const char *list[] = {"1.0A", "1.0a", "1.0+", "1.0."};
    s_increasing (sw_ver_debian_cmp, list, N (list));
    //  '-' in the upstream version needs a revision, ':' an epoch.
    const char *all[] = {"0:1.0A-1", "0:1.0a-1", "0:1.0+-1", "0:1.0--1", "0:1.0.-1", "0:1.0:-1"};
    s_increasing (sw_ver_debian_cmp, all, N (all));
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "1.0a", "1.0+"), -1);
}

Test (ver_deb, equalities)
{
    //  An absent revision compares like "0": the digit part of an empty
    //  string is zero (dpkg: 1.0 eq 1.0-0).
    s_equal (sw_ver_debian_cmp, "1.0", "1.0-0");
    s_equal (sw_ver_debian_cmp, "1.0-0", "1.0-00");
    //  An absent epoch is 0.
    s_equal (sw_ver_debian_cmp, "0:1.0", "1.0");
    s_equal (sw_ver_debian_cmp, "00:1.0-1", "1.0-1");
    //  Digit parts are numbers: leading zeros do not count.
    s_equal (sw_ver_debian_cmp, "1.00", "1.0");
    s_equal (sw_ver_debian_cmp, "01.0", "1.0");
    s_equal (sw_ver_debian_cmp, "1.0-01", "1.0-1");
    s_equal (sw_ver_debian_cmp, "1.000000000000000000000000000001", "1.1");
}

Test (ver_deb, empty_revision_is_not_every_zero)
{
    //  "" equals "0" but not "0.0": after the zero, the '.' of "0.0" is a
    //  non-letter, greater than the end of the string.
    const char *list[] = {"1.0", "1.0-0.0", "1.0-0.1"};
    s_increasing (sw_ver_debian_cmp, list, N (list));
    const char *dots[] = {"1.0", "1.0.0", "1.0.0.0"};
    s_increasing (sw_ver_debian_cmp, dots, N (dots));
}

Test (ver_deb, epoch_dominates)
{
    //  Any epoch beats any version with a smaller one.
    const char *list[] = {"99999.9-99", "1:0", "1:0.1~rc1", "1:0.1", "2:0~", "9:1", "10:0"};
    s_increasing (sw_ver_debian_cmp, list, N (list));
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "2147483647:1", "2147483646:9"), 1);
}

Test (ver_deb, revision_ordering)
{
    //  The revision only matters when the upstream versions are equal, and
    //  the upstream version ends at the LAST hyphen.
    const char *list[] = {"1.0-1", "1.0-1.1", "1.0-2", "1.0-2ubuntu1", "1.0-10", "1.0-a", "1.1-0"};
    s_increasing (sw_ver_debian_cmp, list, N (list));
    const char *hyphens[] = {"1.0-beta-1", "1.0-beta-2", "1.0-rc-1", "1.0.1-1"};
    s_increasing (sw_ver_debian_cmp, hyphens, N (hyphens));
    //  "1.0-beta-1" is upstream "1.0-beta" revision "1"; '-' is a
    //  non-letter, so it sorts after every letter of "1.0a".
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "1.0a-1", "1.0-beta-1"), -1);
}

Test (ver_deb, numbers_beyond_64_bits)
{
    const char *list[] = {
        "1.18446744073709551615",        "1.18446744073709551616", "1.99999999999999999999999999",
        "1.100000000000000000000000000", "18446744073709551616",
    };
    s_increasing (sw_ver_debian_cmp, list, N (list));
}

Test (ver_deb, non_digit_start_accepted)
{
    //  The policy wants a leading digit but dpkg only warns and compares;
    //  so do we: 'a' is a letter (> end), '~' below everything.
    const char *list[] = {"~1", "1", "a1", "b"};
    s_increasing (sw_ver_debian_cmp, list, N (list));
}

Test (ver_deb, debian_real_world)
{
    const char *list[] = {
        "2.36.1-8",    "2.36.1-8+deb11u1", "2.36.1-8+deb11u2", "2.38.1-5",
        "2.38.1-5+b1", "2.38.1-5+deb12u1", "1:2.38.1-5",       "1:2.38.1-5+deb12u2",
    };
    s_increasing (sw_ver_debian_cmp, list, N (list));
    const char *ubuntu[] = {"3.0.2-0ubuntu1", "3.0.2-0ubuntu1.10", "3.0.2-0ubuntu1.15", "3.0.2-1",
                            "3.0.13-0ubuntu3"};
    s_increasing (sw_ver_debian_cmp, ubuntu, N (ubuntu));
}

Test (ver_deb, invalid_refused)
{
    s_refused (sw_ver_debian_cmp, "", "1.0", "empty");
    s_refused (sw_ver_debian_cmp, "1:", "1.0", "nothing after");
    s_refused (sw_ver_debian_cmp, ":1", "1.0", "epoch is empty");
    s_refused (sw_ver_debian_cmp, "a:1.0", "1.0", "epoch is not a number");
    s_refused (sw_ver_debian_cmp, "-1:1.0", "1.0", "epoch is not a number");
    s_refused (sw_ver_debian_cmp, "+1:1.0", "1.0", "epoch is not a number");
    s_refused (sw_ver_debian_cmp, "1.0-1:2", "1.0", "epoch is not a number");
    s_refused (sw_ver_debian_cmp, "2147483648:1", "1.0", "epoch is too big");
    s_refused (sw_ver_debian_cmp, "99999999999999999999:1", "1.0", "epoch is too big");
    s_refused (sw_ver_debian_cmp, "1.0-", "1.0", "revision is empty");
    s_refused (sw_ver_debian_cmp, "1.0-1-", "1.0", "revision is empty");
    s_refused (sw_ver_debian_cmp, "-1", "1.0", "upstream version is empty");
    s_refused (sw_ver_debian_cmp, "1:-1", "1.0", "upstream version is empty");
    s_refused (sw_ver_debian_cmp, "1.0 beta", "1.0", "invalid character in upstream");
    s_refused (sw_ver_debian_cmp, " 1.0", "1.0", "invalid character in upstream");
    s_refused (sw_ver_debian_cmp, "1.0_1", "1.0", "invalid character in upstream");
    s_refused (sw_ver_debian_cmp, "1.0\xc3\xa9", "1.0", "invalid character in upstream");
    s_refused (sw_ver_debian_cmp, "1.0-a_b", "1.0", "invalid character in revision");
    s_refused (sw_ver_debian_cmp, "1:2.0-3:4", "1.0", "invalid character in revision");
    s_refused (sw_ver_debian_cmp, "1.0-1\n", "1.0", "invalid character in revision");
    s_refused (sw_ver_debian_cmp, NULL, "1.0", "no version");
}

Test (ver_deb, colons_and_hyphens_where_allowed)
{
    //  Colons in the upstream version need an epoch (the first colon ends
    //  it), hyphens a revision (the last hyphen starts it).
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "1:2:3", "1:2:4"), -1);
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "1:2:3-1", "1:2:3-0"), 1);
    cr_expect_eq (s_cmp (sw_ver_debian_cmp, "1.0-rc1-1", "1.0-1"), 1);
}

// -------------------------------------------------------------------------
//  apk

Test (ver_apk, ordering_table)
{
    const char *list[] = {
        "1.0_alpha",
        "1.0_alpha1",
        "1.0_alpha2",
        "1.0_alpha10",
        "1.0_beta",
        "1.0_pre",
        "1.0_pre1",
        "1.0_rc",
        "1.0_rc1",
        "1.0",
        "1.0-r1",
        "1.0-r2",
        "1.0-r10",
        "1.0~0a1",
        "1.0~0a1-r1",
        "1.0~0b",
        "1.0_cvs",
        "1.0_svn",
        "1.0_git",
        "1.0_hg",
        "1.0_p",
        "1.0_p1",
        "1.0_p1-r1",
        "1.0_p1_p1",
        "1.0_p2",
        "1.0a",
        "1.0a_p1",
        "1.0b",
        "1.0z",
        "1.0.0",
        "1.0.1",
        "1.0.9",
        "1.0.10",
        "1.01",
        "1.1",
        "1.2.3",
        "1.2.3_p1",
        "1.2.3a",
        "1.2.3.1",
        "1.2.9",
        "1.2.10",
        "2",
        "10",
        "18446744073709551616",
        "100000000000000000000",
    };
    s_increasing (sw_ver_apk_cmp, list, N (list));
}

Test (ver_apk, suffixes)
{
    //  Pre-release suffixes sort before the release, post-release ones
    //  after it; a suffix's number counts, and suffixes may be chained.
    const char *list[] = {"1.2.3_alpha", "1.2.3_beta", "1.2.3_pre", "1.2.3_rc1", "1.2.3",
                          "1.2.3_cvs",   "1.2.3_svn",  "1.2.3_git", "1.2.3_hg",  "1.2.3_p1"};
    s_increasing (sw_ver_apk_cmp, list, N (list));
    //  When the kinds of token differ, the kind decides: a post-release
    //  suffix (kind SUFFIX) outranks a suffix number (kind SUFFIX_NO), so
    //  _alpha_p1 > _alpha2, as apk has it.
    const char *chain[] = {"0.1.0_alpha_pre2", "0.1.0_alpha", "0.1.0_alpha2", "0.1.0_alpha_p1",
                           "0.1.0_beta"};
    s_increasing (sw_ver_apk_cmp, chain, N (chain));
    const char *num[] = {"1.0_git9", "1.0_git10", "1.0_git100", "1.0_git20240101"};
    s_increasing (sw_ver_apk_cmp, num, N (num));
}

Test (ver_apk, revision)
{
    //  -rN is the package revision: it comes last, after everything else
    //  about the version, and compares numerically.
    const char *list[] = {"1.0", "1.0-r0", "1.0-r1", "1.0-r9", "1.0-r10", "1.0_p1", "1.0.1-r0"};
    s_increasing (sw_ver_apk_cmp, list, N (list));
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "1.0_p1", "1.0-r1"), 1);
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "1.2.3_rc1-r5", "1.2.3"), -1);
}

Test (ver_apk, leading_zeros)
{
    //  After a dot, a component with a leading zero makes apk compare that
    //  component as a string (Gentoo's fractional rule); the first number
    //  is always numeric.
    const char *list[] = {"1.0", "1.0.1", "1.00", "1.001", "1.01", "1.010", "1.1", "1.09", "1.10"};
    s_increasing (sw_ver_apk_cmp, list, N (list) - 2);
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "1.09", "1.10"), -1);
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "1.1", "1.09"), 1);
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "8.2.0", "8.2.001"), -1);
    cr_expect_eq (s_cmp (sw_ver_apk_cmp, "8.2.0015", "8.2.002"), -1);
    s_equal (sw_ver_apk_cmp, "01", "1");
    s_equal (sw_ver_apk_cmp, "006.1", "6.1");
    s_equal (sw_ver_apk_cmp, "1.0-r01", "1.0-r1");
    s_equal (sw_ver_apk_cmp, "1.0_p01", "1.0_p1");
}

Test (ver_apk, numbers_beyond_64_bits)
{
    const char *list[] = {
        "1.18446744073709551615",    "1.18446744073709551616",
        "1.99999999999999999999999", "18446744073709551615",
        "18446744073709551616-r0",   "18446744073709551616-r18446744073709551616"};
    s_increasing (sw_ver_apk_cmp, list, N (list));
}

Test (ver_apk, upstream_rows)
{
    //  Rows of apk-tools' test/version.data.
    static const struct {
        const char *a, *op, *b;
    } rows[] = {
        {"2.34", ">", "0.1.0_alpha"},
        {"0.1.0_alpha2", ">", "0.1.0_alpha"},
        {"1.1", ">", "1.1_alpha1"},
        {"3.10.18-r1", ">", "2.3.0b-r1"},
        {"1.06-r6", "<", "006"},
        {"3.9.8-r5", ">", "2.01.01_alpha10"},
        {"1.39", ">", "1.00_beta2"},
        {"20060720", ">", "3.0.20060720"},
        {"0.7.18-r2", "<", "0.17-r6"},
        {"2.5.1-r8", "<", "2.5.1a-r1"},
        {"3.0.0-r2", "<", "021109-r3"},
        {"2.10.1", ">", "02.08.01b"},
        {"1.2.07.8", "<", "1.2.12.04"},
        {"1.07-r1", "<", "1.07.5"},
        {"0.59s-r11", "<", "0.65"},
        {"4.20", ">", "0.20070118"},
        {"0.20070118", "<", "0.20070207_rc1"},
        {"4.5_p1-r1", ">", "4.5_p1"},
        {"0.9.28.1", "<", "087-r1"},
        {"20040406-r1", ">", "2.12r-r4"},
        {"1.3_pre1-r1", "<", "1.3.2"},
        {"1.0.0_pre20191002222144-r0", "<", "1.0.0_pre20210530193627-r0"},
        {"6.0_pre1", "<", "6.0"},
        {"6.0_p1", ">", "6.0"},
        {"1.0~1234", "<", "1.0~2345"},
        {"1.0~1234-r1", "<", "1.0~2345-r0"},
        {"1.0~1234-r1", ">", "1.0~1234-r0"},
        {"2.16.1-r3", "=", "2.16.1-r3"},
    };
    for (size_t i = 0; i < N (rows); i++) {
        int want = rows[i].op[0] == '<' ? -1 : rows[i].op[0] == '>' ? 1 : 0;
        cr_expect_eq (s_cmp (sw_ver_apk_cmp, rows[i].a, rows[i].b), want, "%s %s %s", rows[i].a,
                      rows[i].op, rows[i].b);
        cr_expect_eq (s_cmp (sw_ver_apk_cmp, rows[i].b, rows[i].a), -want, "reverse of %s %s %s",
                      rows[i].a, rows[i].op, rows[i].b);
    }
}

Test (ver_apk, valid_forms)
{
    const char *valid[] = {"1",
                           "1.2",
                           "0.1_pre2",
                           "0.1_pre2~1234abcd",
                           "0.1_p1_pre2",
                           "0.1_alpha1_pre2",
                           "0.1_git20240101_pre1",
                           "1.2.3a-r0",
                           "1~abc",
                           "1.0_rc1~ff-r2"};
    for (size_t i = 0; i < N (valid); i++)
        cr_expect_eq (s_cmp (sw_ver_apk_cmp, valid[i], valid[i]), 0, "%s", valid[i]);
}

Test (ver_apk, invalid_refused)
{
    s_refused (sw_ver_apk_cmp, "", "1.0", "empty");
    s_refused (sw_ver_apk_cmp, NULL, "1.0", "no version");
    s_refused (sw_ver_apk_cmp, "a", "1.0", "must start with a digit");
    s_refused (sw_ver_apk_cmp, ".1", "1.0", "must start with a digit");
    s_refused (sw_ver_apk_cmp, "v1.0", "1.0", "must start with a digit");
    s_refused (sw_ver_apk_cmp, "_pre1", "1.0", "must start with a digit");
    s_refused (sw_ver_apk_cmp, "-r1", "1.0", "must start with a digit");
    s_refused (sw_ver_apk_cmp, "0.1bc", "1.0", "letter");
    s_refused (sw_ver_apk_cmp, "0.1a1", "1.0", "may not follow a letter");
    s_refused (sw_ver_apk_cmp, "0.1a.1", "1.0", "'.'");
    s_refused (sw_ver_apk_cmp, "1.", "1.0", "'.' must be followed by a number");
    s_refused (sw_ver_apk_cmp, "1..2", "1.0", "'.' must be followed by a number");
    s_refused (sw_ver_apk_cmp, "1.0A", "1.0", "invalid character");
    s_refused (sw_ver_apk_cmp, "1.0 ", "1.0", "invalid character");
    s_refused (sw_ver_apk_cmp, "0.1_foobar", "1.0", "unknown suffix");
    s_refused (sw_ver_apk_cmp, "0.1_", "1.0", "unknown suffix");
    s_refused (sw_ver_apk_cmp, "0.1__alpha", "1.0", "unknown suffix");
    s_refused (sw_ver_apk_cmp, "0.1_1_alpha", "1.0", "unknown suffix");
    s_refused (sw_ver_apk_cmp, "0.1_ALPHA", "1.0", "unknown suffix");
    s_refused (sw_ver_apk_cmp, "0.1_pre2~", "1.0", "hex");
    s_refused (sw_ver_apk_cmp, "0.1_pre2~1234xbcd", "1.0", "letter");
    s_refused (sw_ver_apk_cmp, "0.1_pre2~1234abcd_pre1", "1.0", "'_'");
    s_refused (sw_ver_apk_cmp, "0.1_pre2-r1~1234abcd", "1.0", "'~'");
    s_refused (sw_ver_apk_cmp, "1.0-1", "1.0", "'-rN'");
    s_refused (sw_ver_apk_cmp, "0.1-pre1.1", "1.0", "'-rN'");
    s_refused (sw_ver_apk_cmp, "0.1-r", "1.0", "'-r' must be followed by a number");
    s_refused (sw_ver_apk_cmp, "0.1-r2_pre1", "1.0", "'_'");
    s_refused (sw_ver_apk_cmp, "0.1-r2-r3", "1.0", "nothing may follow");
    s_refused (sw_ver_apk_cmp, "0.1-r2.1", "1.0", "'.'");
}
