/*  sw_ver_semver - Semantic Versioning 2.0.0 precedence (semver.org §2,
    §9-§11) and Go module versions (go.dev/ref/mod#versions), which are
    semver with a `v`.

    Numbers are compared as digit strings (length, then bytes) so that
    identifiers longer than 64 bits still order correctly; semver forbids
    leading zeros in numeric identifiers, so no stripping is needed. */
#include "sw_version.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *core[3]; //  MAJOR, MINOR, PATCH digits
    size_t core_len[3];
    const char *pre; //  pre-release identifiers (after '-'), or NULL
    size_t pre_len;
} semver_t;

static bool s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool s_is_ident_char (char c)
{
    return s_is_digit (c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}

static int s_fail (char *err, size_t errlen, const char *scheme, const char *text, const char *why)
{
    snprintf (err, errlen, "bad %s version '%s': %s", scheme, text, why);
    return -1;
}

//  Reads the dot-separated identifiers at *p up to the first character
//  that is not part of one. Pre-release identifiers (pre) may not have
//  leading zeros when numeric (§9); build identifiers (§10) may.
static int s_idents (const char **p, bool pre, const char *scheme, const char *text, char *err,
                     size_t errlen)
{
    const char *what = pre ? "pre-release" : "build metadata";
    char why[96];
    while (true) {
        const char *start = *p;
        bool numeric = true;
        while (s_is_ident_char (**p)) {
            numeric = numeric && s_is_digit (**p);
            (*p)++;
        }
        size_t len = (size_t)(*p - start);
        if (len == 0) {
            snprintf (why, sizeof why, "empty %s identifier", what);
            return s_fail (err, errlen, scheme, text, why);
        }
        if (pre && numeric && len > 1 && start[0] == '0') {
            snprintf (why, sizeof why, "numeric %s identifier with a leading zero", what);
            return s_fail (err, errlen, scheme, text, why);
        }
        if (**p != '.')
            return 0;
        (*p)++;
    }
}

//  Parses text after an optional prefix character from `prefixes`.
static int s_parse (const char *text, const char *prefixes, const char *scheme, semver_t *v,
                    char *err, size_t errlen)
{
    if (!text)
        return s_fail (err, errlen, scheme, "(null)", "no version");
    if (!*text)
        return s_fail (err, errlen, scheme, text, "empty version");
    const char *p = text;
    if (strchr (prefixes, *p))
        p++;
    static const char *names[3] = {"MAJOR", "MINOR", "PATCH"};
    char why[96];
    for (int i = 0; i < 3; i++) {
        const char *start = p;
        while (s_is_digit (*p))
            p++;
        if (p == start) {
            snprintf (why, sizeof why, "expected a number for %s (MAJOR.MINOR.PATCH)", names[i]);
            return s_fail (err, errlen, scheme, text, why);
        }
        if (p - start > 1 && start[0] == '0') {
            snprintf (why, sizeof why, "%s has a leading zero", names[i]);
            return s_fail (err, errlen, scheme, text, why);
        }
        v->core[i] = start;
        v->core_len[i] = (size_t)(p - start);
        if (i < 2) {
            //  Fewer than three numbers ("1.0") is not semver, and
            //  padding it with zeros would be a guess
            if (*p != '.')
                return s_fail (err, errlen, scheme, text,
                               "expected three dot-separated numbers MAJOR.MINOR.PATCH");
            p++;
        }
    }
    v->pre = NULL;
    v->pre_len = 0;
    if (*p == '-') {
        p++;
        v->pre = p;
        if (s_idents (&p, true, scheme, text, err, errlen))
            return -1;
        v->pre_len = (size_t)(p - v->pre);
    }
    //  Build metadata is checked but plays no part in precedence (§10)
    if (*p == '+') {
        p++;
        if (s_idents (&p, false, scheme, text, err, errlen))
            return -1;
    }
    if (*p) {
        snprintf (why, sizeof why, "unexpected '%c' at offset %zu", *p, (size_t)(p - text));
        return s_fail (err, errlen, scheme, text, why);
    }
    return 0;
}

//  Digit strings without leading zeros: the longer is the larger.
static int s_numcmp (const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return alen < blen ? -1 : 1;
    int c = memcmp (a, b, alen);
    return (c > 0) - (c < 0);
}

//  ASCII order of two identifiers; a proper prefix sorts first.
static int s_lexcmp (const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp (a, b, alen < blen ? alen : blen);
    if (c)
        return (c > 0) - (c < 0);
    return (alen > blen) - (alen < blen);
}

static bool s_all_digits (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!s_is_digit (s[i]))
            return false;
    return true;
}

//  Pre-release precedence (§11.4): identifier by identifier, numeric
//  ones numerically and below alphanumeric ones, alphanumeric ones in
//  ASCII order; when all shared identifiers are equal the longer list
//  wins.
static int s_precmp (const char *a, size_t alen, const char *b, size_t blen)
{
    const char *aend = a + alen, *bend = b + blen;
    while (a < aend && b < bend) {
        const char *adot = memchr (a, '.', (size_t)(aend - a));
        const char *bdot = memchr (b, '.', (size_t)(bend - b));
        size_t an = (size_t)((adot ? adot : aend) - a);
        size_t bn = (size_t)((bdot ? bdot : bend) - b);
        bool anum = s_all_digits (a, an), bnum = s_all_digits (b, bn);
        int c;
        if (anum && bnum)
            c = s_numcmp (a, an, b, bn);
        else if (anum != bnum)
            c = anum ? -1 : 1;
        else
            c = s_lexcmp (a, an, b, bn);
        if (c)
            return c;
        a += an + (a + an < aend);
        b += bn + (b + bn < bend);
    }
    return (a < aend) - (b < bend);
}

static int s_cmp (const semver_t *a, const semver_t *b)
{
    for (int i = 0; i < 3; i++) {
        int c = s_numcmp (a->core[i], a->core_len[i], b->core[i], b->core_len[i]);
        if (c)
            return c;
    }
    //  A pre-release has lower precedence than its normal version (§11.3)
    if (!a->pre || !b->pre)
        return (a->pre == NULL) - (b->pre == NULL);
    return s_precmp (a->pre, a->pre_len, b->pre, b->pre_len);
}

static int s_compare (const char *a, const char *b, const char *prefixes, const char *scheme,
                      int *cmp, char *err, size_t errlen)
{
    semver_t va, vb;
    if (s_parse (a, prefixes, scheme, &va, err, errlen) ||
        s_parse (b, prefixes, scheme, &vb, err, errlen))
        return -1;
    *cmp = s_cmp (&va, &vb);
    return 0;
}

//  One leading 'v' or '=' is accepted and dropped, as npm's semver does
//  ("v1.2.3", "=1.2.3"); semver itself has no prefix, and nothing else is
//  loosened.
int sw_ver_semver_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
    return s_compare (a, b, "v=", "semver", cmp, err, errlen);
}

//  Go module versions are "v" + semver; OSV's Go ranges drop the 'v', so
//  it is optional here. Pseudo-versions (vX.0.0-yyyymmddhhmmss-abcdef...,
//  vX.Y.Z-pre.0.yyyy..., vX.Y.(Z+1)-0.yyyy...) are ordinary pre-releases
//  and Go orders them by plain semver precedence, which is what places
//  them after their base version and before the next release.
//  "+incompatible" is build metadata and so ignored. Go's shorthands
//  ("v1", "v1.2") are not canonical module versions and are refused.
int sw_ver_go_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
    return s_compare (a, b, "v", "go", cmp, err, errlen);
}
