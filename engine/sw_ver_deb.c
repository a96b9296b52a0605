/*  sw_ver_deb - Debian package versions, Debian Policy 5.6.12 and
    deb-version(7): [epoch:]upstream_version[-debian_revision].

    Parsing follows dpkg's parseversion() and comparison its verrevcmp(),
    so that we order versions exactly as the package manager that installs
    them does. Where dpkg only warns (an upstream version that does not start
    with a digit) we accept, because dpkg then goes on to compare the version
    anyway; where it warns about characters that no version may contain we
    refuse, because ordering such a string would be a guess. */
#include "sw_version.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  A parsed version: pointers into the caller's string, not copies, so that
//  comparing needs no allocation. The revision ends at the string's end;
//  the upstream version ends at the last hyphen, or the end.
typedef struct {
    unsigned long epoch;
    const char *upstream;
    size_t upstream_len;
    const char *revision; //  "" when absent: dpkg compares it as empty
    size_t revision_len;
} deb_version_t;

//  ASCII classes, independent of the C locale (dpkg uses c_isdigit and
//  c_isalpha for the same reason).
static bool s_isdigit (int c)
{
    return c >= '0' && c <= '9';
}

static bool s_isalpha (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int s_fail (char *err, size_t errlen, const char *version, const char *why)
{
    snprintf (err, errlen, "bad debian version '%s': %s", version, why);
    return -1;
}

static int s_parse (const char *text, deb_version_t *v, char *err, size_t errlen)
{
    if (!text)
        return s_fail (err, errlen, "(null)", "no version given");
    if (!*text)
        return s_fail (err, errlen, text, "version string is empty");

    //  The epoch ends at the first colon; any later colon belongs to the
    //  upstream version, which may hold colons only when an epoch exists.
    const char *rest = text;
    v->epoch = 0;
    const char *colon = strchr (text, ':');
    if (colon) {
        if (colon == text)
            return s_fail (err, errlen, text, "epoch is empty");
        unsigned long epoch = 0;
        for (const char *p = text; p < colon; p++) {
            //  Stricter than dpkg's strtol, which would also take a sign:
            //  the policy says the epoch is an unsigned integer.
            if (!s_isdigit (*p))
                return s_fail (err, errlen, text, "epoch is not a number");
            epoch = epoch * 10 + (unsigned long)(*p - '0');
            //  dpkg keeps the epoch in an int and refuses what does not fit.
            if (epoch > INT_MAX)
                return s_fail (err, errlen, text, "epoch is too big");
        }
        if (!colon[1])
            return s_fail (err, errlen, text, "nothing after the epoch's colon");
        v->epoch = epoch;
        rest = colon + 1;
    }

    //  The revision starts after the last hyphen, so the upstream version
    //  may contain hyphens only when a revision is present.
    const char *hyphen = strrchr (rest, '-');
    size_t rest_len = strlen (rest);
    if (hyphen) {
        if (!hyphen[1])
            return s_fail (err, errlen, text, "revision is empty");
        v->upstream = rest;
        v->upstream_len = (size_t)(hyphen - rest);
        v->revision = hyphen + 1;
        v->revision_len = rest_len - v->upstream_len - 1;
    } else {
        v->upstream = rest;
        v->upstream_len = rest_len;
        v->revision = "";
        v->revision_len = 0;
    }
    if (v->upstream_len == 0)
        return s_fail (err, errlen, text, "upstream version is empty");

    //  The policy wants upstream versions to start with a digit, but dpkg
    //  only warns and compares them anyway; so do we (see the header).
    for (size_t i = 0; i < v->upstream_len; i++) {
        int c = (unsigned char)v->upstream[i];
        if (!s_isdigit (c) && !s_isalpha (c) && !strchr (".+~-:", c))
            return s_fail (err, errlen, text, "invalid character in upstream version");
    }
    for (size_t i = 0; i < v->revision_len; i++) {
        int c = (unsigned char)v->revision[i];
        if (!s_isdigit (c) && !s_isalpha (c) && !strchr (".+~", c))
            return s_fail (err, errlen, text, "invalid character in revision");
    }
    return 0;
}

//  dpkg's order(): the weight of one character of a non-digit part. Letters
//  sort before every other character, '~' before everything including the
//  end of the part, which (like a digit, where the part ends) weighs 0.
static int s_order (int c)
{
    if (s_isdigit (c))
        return 0;
    if (s_isalpha (c))
        return c;
    if (c == '~')
        return -1;
    if (c)
        return c + 256;
    return 0;
}

//  dpkg's verrevcmp() over two counted strings: alternating non-digit parts,
//  compared character by character with s_order, and digit parts, compared
//  as numbers of any length (leading zeros dropped, then the longer run of
//  digits is greater, else the first differing digit decides).
static int s_verrevcmp (const char *a, size_t alen, const char *b, size_t blen)
{
    const char *aend = a + alen, *bend = b + blen;
//  The character at p, or 0 past the end, as dpkg sees its C strings.
#define AT(p, end) ((p) < (end) ? (unsigned char)*(p) : 0)
    while (a < aend || b < bend) {
        while ((a < aend && !s_isdigit (AT (a, aend))) || (b < bend && !s_isdigit (AT (b, bend)))) {
            int ac = s_order (AT (a, aend));
            int bc = s_order (AT (b, bend));
            if (ac != bc)
                return ac < bc ? -1 : 1;
            //  Equal weights mean the same character, never the end of one
            //  string against a character of the other, so both advance.
            a++;
            b++;
        }
        while (AT (a, aend) == '0')
            a++;
        while (AT (b, bend) == '0')
            b++;
        int first_diff = 0;
        while (s_isdigit (AT (a, aend)) && s_isdigit (AT (b, bend))) {
            if (!first_diff)
                first_diff = AT (a, aend) - AT (b, bend);
            a++;
            b++;
        }
        if (s_isdigit (AT (a, aend)))
            return 1;
        if (s_isdigit (AT (b, bend)))
            return -1;
        if (first_diff)
            return first_diff < 0 ? -1 : 1;
    }
#undef AT
    return 0;
}

int sw_ver_debian_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
    deb_version_t va, vb;
    if (s_parse (a, &va, err, errlen) || s_parse (b, &vb, err, errlen))
        return -1;
    int r = 0;
    if (va.epoch != vb.epoch)
        r = va.epoch < vb.epoch ? -1 : 1;
    if (!r)
        r = s_verrevcmp (va.upstream, va.upstream_len, vb.upstream, vb.upstream_len);
    if (!r)
        r = s_verrevcmp (va.revision, va.revision_len, vb.revision, vb.revision_len);
    *cmp = r;
    return 0;
}
