/*  sw_ver_pep440 - Python package versions per PEP 440 ("Version scheme"
    and "Normalization"):

        [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]

    parsed with every spelling the PEP's normalisation accepts (it is the
    PEP's own regular expression, Appendix B, walked by hand) and ordered
    as the PEP orders them. Numbers are digit strings compared after
    dropping leading zeros (PEP 440 normalises "01" to "1"), so any length
    orders correctly. */
#include "sw_version.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *p; //  digits; an empty number is an implicit 0
    size_t n;
} num_t;

typedef enum { PRE_NONE = 0, PRE_A, PRE_B, PRE_RC } pre_t;

typedef struct {
    num_t epoch;
    const char *rel, *rel_end; //  "N(.N)*"
    pre_t pre;
    num_t pre_n;
    bool post;
    num_t post_n;
    bool dev;
    num_t dev_n;
    const char *local, *local_end; //  after '+', or NULL
} pep_t;

static bool s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool s_is_alnum (char c)
{
    return s_is_digit (c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool s_is_sep (char c)
{
    return c == '.' || c == '-' || c == '_';
}

static bool s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char s_lower (char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

//  Length of the label at p (case-insensitive) among `labels`, which
//  lists each longer spelling before its prefixes ("preview" before
//  "pre"); 0 when none matches. *index is the matching entry.
static size_t s_label (const char *p, const char *end, const char *const *labels, size_t *index)
{
    for (size_t i = 0; labels[i]; i++) {
        size_t len = strlen (labels[i]), k = 0;
        while (k < len && p + k < end && s_lower (p[k]) == labels[i][k])
            k++;
        if (k == len) {
            *index = i;
            return len;
        }
    }
    return 0;
}

static num_t s_digits (const char **p, const char *end)
{
    num_t num = {*p, 0};
    while (*p < end && s_is_digit (**p))
        (*p)++;
    num.n = (size_t)(*p - num.p);
    return num;
}

//  Reads "[-_.]?LABEL[-_.]?N?" at *p, the shape shared by pre, post
//  (spelled out) and dev segments. Returns the label's index, or -1 and
//  leaves *p alone when there is none. Taking a separator after the label
//  even when no number follows is safe: every later segment's leading
//  separator is optional too.
static int s_segment (const char **p, const char *end, const char *const *labels, num_t *num)
{
    const char *q = *p;
    if (q < end && s_is_sep (*q))
        q++;
    size_t index, len = s_label (q, end, labels, &index);
    if (len == 0)
        return -1;
    q += len;
    if (q < end && s_is_sep (*q))
        q++;
    *num = s_digits (&q, end);
    *p = q;
    return (int)index;
}

static int s_fail (char *err, size_t errlen, const char *text, const char *why)
{
    snprintf (err, errlen, "bad pep440 version '%s': %s", text, why);
    return -1;
}

static int s_parse (const char *text, pep_t *v, char *err, size_t errlen)
{
    if (!text)
        return s_fail (err, errlen, "(null)", "no version");
    memset (v, 0, sizeof *v);
    const char *p = text, *end = text + strlen (text);
    while (p < end && s_is_space (*p))
        p++;
    while (end > p && s_is_space (end[-1]))
        end--;
    if (p == end)
        return s_fail (err, errlen, text, "empty version");
    if (*p == 'v' || *p == 'V')
        p++;

    //  An epoch is digits followed by '!'; otherwise they start the release
    const char *q = p;
    num_t num = s_digits (&q, end);
    if (num.n > 0 && q < end && *q == '!') {
        v->epoch = num;
        p = q + 1;
    }
    if (p == end || !s_is_digit (*p))
        return s_fail (err, errlen, text, "expected a release number");
    v->rel = p;
    while (true) {
        s_digits (&p, end);
        if (p + 1 < end && *p == '.' && s_is_digit (p[1]))
            p++;
        else
            break;
    }
    v->rel_end = p;

    //  Alternate spellings normalise to a, b and rc
    static const char *const pre_labels[] = {"preview", "pre", "alpha", "a", "beta",
                                             "b",       "rc",  "c",     NULL};
    static const pre_t pre_kinds[] = {PRE_RC, PRE_RC, PRE_A, PRE_A, PRE_B, PRE_B, PRE_RC, PRE_RC};
    int index = s_segment (&p, end, pre_labels, &v->pre_n);
    if (index >= 0)
        v->pre = pre_kinds[index];

    //  "1.0-1" is the implicit post-release 1.0.post1
    if (p + 1 < end && *p == '-' && s_is_digit (p[1])) {
        p++;
        v->post = true;
        v->post_n = s_digits (&p, end);
    } else {
        static const char *const post_labels[] = {"post", "rev", "r", NULL};
        v->post = s_segment (&p, end, post_labels, &v->post_n) >= 0;
    }
    static const char *const dev_labels[] = {"dev", NULL};
    v->dev = s_segment (&p, end, dev_labels, &v->dev_n) >= 0;

    //  Local version: alphanumeric segments joined by single separators
    if (p < end && *p == '+') {
        p++;
        v->local = p;
        while (true) {
            const char *start = p;
            while (p < end && s_is_alnum (*p))
                p++;
            if (p == start)
                return s_fail (err, errlen, text, "empty local version segment");
            if (p < end && s_is_sep (*p))
                p++;
            else
                break;
        }
        v->local_end = p;
    }
    if (p != end) {
        char why[96];
        snprintf (why, sizeof why, "unexpected '%.*s' at offset %zu",
                  (int)(end - p > 16 ? 16 : end - p), p, (size_t)(p - text));
        return s_fail (err, errlen, text, why);
    }
    return 0;
}

static int s_numcmp (num_t a, num_t b)
{
    while (a.n > 0 && a.p[0] == '0') {
        a.p++;
        a.n--;
    }
    while (b.n > 0 && b.p[0] == '0') {
        b.p++;
        b.n--;
    }
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    if (a.n == 0)
        return 0; //  an absent number has no pointer to hand to memcmp
    int c = memcmp (a.p, b.p, a.n);
    return (c > 0) - (c < 0);
}

//  Release segments compare component by component with the shorter one
//  padded with zeros, which is the PEP's "trailing zeros are ignored".
static int s_relcmp (const char *a, const char *aend, const char *b, const char *bend)
{
    while (a < aend || b < bend) {
        num_t an = s_digits (&a, aend), bn = s_digits (&b, bend);
        int c = s_numcmp (an, bn);
        if (c)
            return c;
        if (a < aend)
            a++; //  the '.'
        if (b < bend)
            b++;
    }
    return 0;
}

//  One local segment: numeric if all digits, else alphanumeric.
static const char *s_local_seg (const char *p, const char *end, size_t *len, bool *numeric)
{
    const char *start = p;
    *numeric = true;
    while (p < end && !s_is_sep (*p)) {
        *numeric = *numeric && s_is_digit (*p);
        p++;
    }
    *len = (size_t)(p - start);
    return start;
}

//  Local versions compare segment by segment: numeric ones numerically
//  and above alphanumeric ones, alphanumeric ones case-insensitively;
//  when all shared segments are equal the longer one wins.
static int s_localcmp (const char *a, const char *aend, const char *b, const char *bend)
{
    while (a < aend && b < bend) {
        size_t an, bn;
        bool anum, bnum;
        const char *as = s_local_seg (a, aend, &an, &anum);
        const char *bs = s_local_seg (b, bend, &bn, &bnum);
        int c = 0;
        if (anum && bnum)
            c = s_numcmp ((num_t){as, an}, (num_t){bs, bn});
        else if (anum != bnum)
            c = anum ? 1 : -1;
        else {
            for (size_t i = 0; i < an && i < bn && !c; i++)
                c = (unsigned char)s_lower (as[i]) - (unsigned char)s_lower (bs[i]);
            if (!c)
                c = (an > bn) - (an < bn);
        }
        if (c)
            return (c > 0) - (c < 0);
        a = as + an + (as + an < aend);
        b = bs + bn + (bs + bn < bend);
    }
    return (a < aend) - (b < bend);
}

//  Three-way compare of two optional values where "absent" sorts as
//  `absent` (-1: before any value, 1: after any value).
static int s_optcmp (bool ahas, num_t an, bool bhas, num_t bn, int absent)
{
    if (ahas && bhas)
        return s_numcmp (an, bn);
    if (ahas == bhas)
        return 0;
    return ahas ? -absent : absent;
}

static int s_cmp (const pep_t *a, const pep_t *b)
{
    int c = s_numcmp (a->epoch, b->epoch);
    if (c)
        return c;
    c = s_relcmp (a->rel, a->rel_end, b->rel, b->rel_end);
    if (c)
        return c;
    //  Pre-release rank: a bare dev release (1.0.dev1) comes before every
    //  pre-release of its release, a final or post release after them.
    int arank = a->pre ? 1 : (!a->post && a->dev) ? 0 : 2;
    int brank = b->pre ? 1 : (!b->post && b->dev) ? 0 : 2;
    if (arank != brank)
        return arank < brank ? -1 : 1;
    if (a->pre != b->pre)
        return a->pre < b->pre ? -1 : 1;
    if (a->pre && (c = s_numcmp (a->pre_n, b->pre_n)))
        return c;
    //  No post release sorts before any; no dev release sorts after any,
    //  which puts X.devN just before X
    if ((c = s_optcmp (a->post, a->post_n, b->post, b->post_n, -1)))
        return c;
    if ((c = s_optcmp (a->dev, a->dev_n, b->dev, b->dev_n, 1)))
        return c;
    //  A local version sorts after the same public version without one
    if (!a->local || !b->local)
        return (a->local != NULL) - (b->local != NULL);
    return s_localcmp (a->local, a->local_end, b->local, b->local_end);
}

int sw_ver_pep440_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
    pep_t va, vb;
    if (s_parse (a, &va, err, errlen) || s_parse (b, &vb, err, errlen))
        return -1;
    *cmp = s_cmp (&va, &vb);
    return 0;
}
