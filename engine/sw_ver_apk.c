/*  sw_ver_apk - Alpine package versions as apk-tools orders them
    (src/version.c of apk-tools 2.14 / 3.x, Gentoo-derived):

        digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}

    A version is a sequence of tokens, each of a kind that may only follow
    certain others; two versions are compared token by token while their
    kinds agree, and when the kinds first differ the kind decides (see
    s_tail). apk calls a version that does not tokenise "invalid" and still
    orders it somehow; we refuse it instead, since that order means nothing.

    One deliberate difference: apk reads numbers into 64 bits and silently
    wraps longer ones; we compare numbers of any length exactly, which gives
    apk's answer whenever apk's is meaningful. */
#include "sw_version.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  Token kinds in apk's order. The order is the semantics: a token may only
//  follow kinds up to a bound (s_next), and when two versions' kinds first
//  differ the lower kind is the greater version (s_tail).
typedef enum {
    TOKEN_INITIAL_DIGIT, //  the leading number, always numeric
    TOKEN_DIGIT,         //  .N
    TOKEN_LETTER,        //  one lower-case letter after a number
    TOKEN_SUFFIX,        //  _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg, _p
    TOKEN_SUFFIX_NO,     //  the number after a suffix
    TOKEN_COMMIT_HASH,   //  ~hex
    TOKEN_REVISION_NO,   //  -rN
    TOKEN_END,
    TOKEN_INVALID
} apk_token_kind_t;

//  Suffixes in precedence order; NONE (no suffix) is the pivot between
//  pre-releases and post-releases.
typedef enum {
    SUFFIX_INVALID,
    SUFFIX_ALPHA,
    SUFFIX_BETA,
    SUFFIX_PRE,
    SUFFIX_RC,
    SUFFIX_NONE,
    SUFFIX_CVS,
    SUFFIX_SVN,
    SUFFIX_GIT,
    SUFFIX_HG,
    SUFFIX_P
} apk_suffix_t;

static const char *s_suffix_names[] = {
    [SUFFIX_ALPHA] = "alpha", [SUFFIX_BETA] = "beta", [SUFFIX_PRE] = "pre",
    [SUFFIX_RC] = "rc",       [SUFFIX_CVS] = "cvs",   [SUFFIX_SVN] = "svn",
    [SUFFIX_GIT] = "git",     [SUFFIX_HG] = "hg",     [SUFFIX_P] = "p",
};

typedef struct {
    apk_token_kind_t kind;
    apk_suffix_t suffix;
    const char *value; //  the token's text, without its separator
    size_t len;
    const char *at;  //  where the token starts
    const char *p;   //  what is left of the version
    const char *why; //  for TOKEN_INVALID: what went wrong
} apk_token_t;

static bool s_isdigit (int c)
{
    return c >= '0' && c <= '9';
}

static bool s_islower (int c)
{
    return c >= 'a' && c <= 'z';
}

//  apk's hex digits are lower case only (APK_CTYPE_HEXDIGIT).
static bool s_ishex (int c)
{
    return s_isdigit (c) || (c >= 'a' && c <= 'f');
}

//  Takes a run of digits as the token's value; returns why when there is
//  none, else NULL.
static const char *s_digits (apk_token_t *t, const char *why)
{
    t->value = t->p;
    while (s_isdigit (*t->p))
        t->p++;
    t->len = (size_t)(t->p - t->value);
    return t->len ? NULL : why;
}

static void s_first (apk_token_t *t, const char *text)
{
    t->p = t->at = text;
    t->kind = TOKEN_INITIAL_DIGIT;
    t->suffix = SUFFIX_NONE;
    t->why = s_digits (t, "must start with a digit");
    if (t->why)
        t->kind = TOKEN_INVALID;
}

//  A suffix's rank from its name, or SUFFIX_INVALID.
static apk_suffix_t s_suffix (const char *name, size_t len)
{
    for (int i = SUFFIX_ALPHA; i <= SUFFIX_P; i++)
        if (s_suffix_names[i] && strlen (s_suffix_names[i]) == len &&
            memcmp (s_suffix_names[i], name, len) == 0)
            return (apk_suffix_t)i;
    return SUFFIX_INVALID;
}

//  apk's token_next(): the kind comes from the first character, and the
//  kind before it must allow it.
static void s_next (apk_token_t *t)
{
    const char *why = NULL;
    char c = *t->p;
    t->at = t->p;
    if (!c) {
        t->kind = TOKEN_END;
        return;
    }
    if (s_islower (c)) {
        if (t->kind > TOKEN_DIGIT)
            why = "a letter may only follow a number, and only one";
        else {
            t->value = t->p++;
            t->len = 1;
            t->kind = TOKEN_LETTER;
        }
    } else if (c == '.' || s_isdigit (c)) {
        if (c == '.' && t->kind > TOKEN_DIGIT)
            why = "'.' may only follow a number";
        else if (t->kind == TOKEN_INITIAL_DIGIT || t->kind == TOKEN_DIGIT) {
            if (c == '.')
                t->p++;
            t->kind = TOKEN_DIGIT;
            why = s_digits (t, "'.' must be followed by a number");
        } else if (t->kind == TOKEN_SUFFIX) {
            t->kind = TOKEN_SUFFIX_NO;
            why = s_digits (t, "misplaced number");
        } else
            why = "a number may not follow a letter";
    } else if (c == '_') {
        if (t->kind > TOKEN_SUFFIX_NO)
            why = "misplaced '_' suffix";
        else {
            t->value = ++t->p;
            while (s_islower (*t->p))
                t->p++;
            t->len = (size_t)(t->p - t->value);
            t->kind = TOKEN_SUFFIX;
            t->suffix = s_suffix (t->value, t->len);
            if (t->suffix == SUFFIX_INVALID)
                why = "unknown suffix (expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg "
                      "or _p)";
        }
    } else if (c == '~') {
        if (t->kind >= TOKEN_COMMIT_HASH)
            why = "misplaced '~' commit hash";
        else {
            t->value = ++t->p;
            while (s_ishex (*t->p))
                t->p++;
            t->len = (size_t)(t->p - t->value);
            t->kind = TOKEN_COMMIT_HASH;
            if (t->len == 0)
                why = "'~' must be followed by lower-case hex digits";
        }
    } else if (c == '-') {
        if (t->kind >= TOKEN_REVISION_NO)
            why = "nothing may follow the '-r' revision";
        else if (t->p[1] != 'r')
            why = "'-' must start a '-rN' revision";
        else {
            t->p += 2;
            t->kind = TOKEN_REVISION_NO;
            why = s_digits (t, "'-r' must be followed by a number");
        }
    } else
        why = "invalid character";
    if (why) {
        t->kind = TOKEN_INVALID;
        t->why = why;
    }
}

//  Validates the whole version, so that comparing never meets an invalid
//  token and we never report an order apk would make up.
static int s_check (const char *text, char *err, size_t errlen)
{
    if (!text) {
        snprintf (err, errlen, "bad apk version '(null)': no version given");
        return -1;
    }
    if (!*text) {
        snprintf (err, errlen, "bad apk version '': version string is empty");
        return -1;
    }
    apk_token_t t;
    for (s_first (&t, text); t.kind < TOKEN_END; s_next (&t))
        ;
    if (t.kind == TOKEN_INVALID) {
        snprintf (err, errlen, "bad apk version '%s': %s (at offset %zu)", text, t.why,
                  (size_t)(t.at - text));
        return -1;
    }
    return 0;
}

//  Numeric comparison of two digit runs of any length: drop leading zeros,
//  then the longer is greater, else the first differing digit decides.
static int s_numcmp (const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen && *a == '0')
        a++, alen--;
    while (blen && *b == '0')
        b++, blen--;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    int r = memcmp (a, b, alen);
    return r < 0 ? -1 : r > 0;
}

//  apk_blob_sort(): bytewise, a prefix sorting first.
static int s_strcmp (const char *a, size_t alen, const char *b, size_t blen)
{
    int r = memcmp (a, b, alen < blen ? alen : blen);
    if (r)
        return r < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

//  apk's token_cmp() for two tokens of the same kind.
static int s_token_cmp (const apk_token_t *a, const apk_token_t *b)
{
    switch (a->kind) {
    case TOKEN_DIGIT:
        //  A component after a dot with a leading zero makes apk compare as
        //  strings (Gentoo's rule, where such a component is a decimal
        //  fraction): 1.01 < 1.1, 1.0 < 1.00, 8.2.0015 < 8.2.002.
        if (a->value[0] == '0' || b->value[0] == '0')
            return s_strcmp (a->value, a->len, b->value, b->len);
        return s_numcmp (a->value, a->len, b->value, b->len);
    case TOKEN_INITIAL_DIGIT:
    case TOKEN_SUFFIX_NO:
    case TOKEN_REVISION_NO:
        return s_numcmp (a->value, a->len, b->value, b->len);
    case TOKEN_SUFFIX:
        return a->suffix < b->suffix ? -1 : a->suffix > b->suffix;
    default: //  letters and commit hashes
        return s_strcmp (a->value, a->len, b->value, b->len);
    }
}

//  The order when the kinds first differ, everything before being equal.
//  A pre-release suffix makes its version the lesser; otherwise the lower
//  kind is the greater version, so a version that goes on (lower than END)
//  beats one that stops: 1.0.1 > 1.0a > 1.0_p1 > 1.0-r1 > 1.0.
static int s_tail (const apk_token_t *a, const apk_token_t *b)
{
    if (a->kind == TOKEN_SUFFIX && a->suffix < SUFFIX_NONE)
        return -1;
    if (b->kind == TOKEN_SUFFIX && b->suffix < SUFFIX_NONE)
        return 1;
    if (a->kind > b->kind)
        return -1;
    if (b->kind > a->kind)
        return 1;
    return 0;
}

int sw_ver_apk_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
    if (s_check (a, err, errlen) || s_check (b, err, errlen))
        return -1;
    apk_token_t ta, tb;
    s_first (&ta, a);
    s_first (&tb, b);
    while (ta.kind == tb.kind && ta.kind < TOKEN_END) {
        int r = s_token_cmp (&ta, &tb);
        if (r) {
            *cmp = r;
            return 0;
        }
        s_next (&ta);
        s_next (&tb);
    }
    *cmp = ta.kind == tb.kind ? 0 : s_tail (&ta, &tb);
    return 0;
}
