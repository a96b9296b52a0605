/*  sw_osv - an index of OSV advisories. See sw_osv.h for the contract.

    Everything an index holds lives in one pool of blocks, freed at once:
    an advisory is read into the pool, and a document that turns out to be
    invalid halfway rewinds the pool to where it started, so refused input
    costs nothing.

    Adding does the work that needs comparisons once: the events of each
    range are sorted by version (stable, so that equal versions keep the
    document's order) and an enumerated `versions` list is sorted too, so
    that matching walks a few events and binary-searches the list. A
    version inside an advisory that does not parse in its scheme makes its
    range (or that list item) unusable: it is dropped and counted, never
    guessed at.

    Ecosystems: a query ecosystem Q and an advisory ecosystem A match when
    they are equal, when A is Q with more release qualifiers (Q "Debian"
    matches A "Debian:12" and "Debian:11": a query without a release
    matches every release), or when Q is A with more qualifiers (A
    "Debian" without a release applies to Q "Debian:12"). The index is
    keyed by the ecosystem's base name (before the first ':') and the
    package name, so all of these meet in one bucket. Names compare
    exactly, except PyPI names, which are normalised per PEP 503 on both
    sides.

    The saved form is a sequence of MessagePack bin frames: a header map,
    then one map per vulnerability. Each frame is decoded on its own with
    the bounded reader (sw_mpv), so no single decode ever sees more than
    one record, whatever the size of the database. */
#include "sw_osv.h"

#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_mpv.h"
#include "sw_proto.h"
#include "sw_version.h"

#define OSV_MAX_DOC       (8u * 1024 * 1024) //  bytes of one OSV JSON document
#define OSV_MAX_ID        100
#define OSV_MAX_ECOSYSTEM 100
#define OSV_MAX_NAME      1000
#define OSV_MAX_SUMMARY   200
#define OSV_SAVE_FORMAT   "cloudsweep-osv"
#define OSV_SAVE_VERSION  1

//  Without a CVSS score or an ecosystem rating, a vulnerability is still
//  reported, in the middle of the scale rather than hidden at the bottom.
#define OSV_DEFAULT_SEVERITY SW_SEV_MEDIUM

//  ---------------------------------------------------------------------
//  Pool: bump allocation in blocks, with rewind to a mark.

#define POOL_BLOCK (256 * 1024)

typedef struct block_t {
    struct block_t *next;
    size_t size, used;
    char data[];
} block_t;

typedef struct {
    block_t *head;
} pool_t;

typedef struct {
    block_t *head;
    size_t used;
} pool_mark_t;

static void *s_palloc (pool_t *pool, size_t size, size_t align)
{
    block_t *b = pool->head;
    size_t at = 0;
    if (b) {
        uintptr_t p = (uintptr_t)(b->data + b->used);
        at = b->used + ((align - p % align) % align);
    }
    if (!b || at > b->size || b->size - at < size) {
        size_t cap = size + align > POOL_BLOCK ? size + align : POOL_BLOCK;
        block_t *nb = malloc (sizeof (block_t) + cap);
        if (!nb)
            abort (); //  an index is bounded by its input; out of memory is fatal
        nb->next = b;
        nb->size = cap;
        nb->used = 0;
        pool->head = b = nb;
        uintptr_t p = (uintptr_t)b->data;
        at = (align - p % align) % align;
    }
    b->used = at + size;
    return b->data + at;
}

static void *s_pcalloc (pool_t *pool, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    if (size && n > SIZE_MAX / size)
        abort ();
    void *p = s_palloc (pool, n * size, sizeof (void *));
    memset (p, 0, n * size);
    return p;
}

static char *s_pstrndup (pool_t *pool, const char *s, size_t len)
{
    char *p = s_palloc (pool, len + 1, 1);
    memcpy (p, s, len);
    p[len] = 0;
    return p;
}

static char *s_pstrdup (pool_t *pool, const char *s)
{
    return s_pstrndup (pool, s, strlen (s));
}

static pool_mark_t s_pool_mark (const pool_t *pool)
{
    return (pool_mark_t){pool->head, pool->head ? pool->head->used : 0};
}

static void s_pool_rewind (pool_t *pool, pool_mark_t mark)
{
    while (pool->head && pool->head != mark.head) {
        block_t *next = pool->head->next;
        free (pool->head);
        pool->head = next;
    }
    if (pool->head)
        pool->head->used = mark.used;
}

static void s_pool_free (pool_t *pool)
{
    s_pool_rewind (pool, (pool_mark_t){NULL, 0});
}

//  ---------------------------------------------------------------------
//  A growing string, for alias and fixed-version lists.

typedef struct {
    char *s;
    size_t len, cap;
} strbuf_t;

static void s_sb_add (strbuf_t *sb, const char *s, size_t len)
{
    if (sb->len + len + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 128;
        while (cap < sb->len + len + 1)
            cap *= 2;
        char *ns = realloc (sb->s, cap);
        if (!ns)
            abort ();
        sb->s = ns;
        sb->cap = cap;
    }
    memcpy (sb->s + sb->len, s, len);
    sb->len += len;
    sb->s[sb->len] = 0;
}

//  Fixed versions reported per match at most: enough for every release
//  line of a package, and it bounds the de-duplication below.
#define OSV_MAX_FIXED 32

//  Appends item to a comma-separated list unless it is there already or
//  the list is full.
static void s_sb_add_item (strbuf_t *sb, const char *item)
{
    size_t len = strlen (item), items = 0;
    for (const char *p = sb->s; p && *p; items++) {
        const char *end = strchr (p, ',');
        size_t n = end ? (size_t)(end - p) : strlen (p);
        if (n == len && memcmp (p, item, len) == 0)
            return;
        p = end ? end + 1 : p + n;
    }
    if (items >= OSV_MAX_FIXED)
        return;
    if (sb->len)
        s_sb_add (sb, ",", 1);
    s_sb_add (sb, item, len);
}

static const char *s_sb_str (const strbuf_t *sb)
{
    return sb->s ? sb->s : "";
}

//  ---------------------------------------------------------------------
//  Model

typedef enum { EV_INTRODUCED = 0, EV_FIXED, EV_LAST_AFFECTED, EV_LIMIT, EV_COUNT } ev_kind_t;

static const char *s_ev_names[EV_COUNT] = {"introduced", "fixed", "last_affected", "limit"};

typedef enum { RANGE_SEMVER = 0, RANGE_ECOSYSTEM, RANGE_COUNT } range_type_t;

static const char *s_range_names[RANGE_COUNT] = {"SEMVER", "ECOSYSTEM"};

typedef struct {
    const char *version;
    uint8_t kind;    //  ev_kind_t
    uint8_t special; //  introduced "0" (before everything) or a limit with '*' (infinity)
} event_t;

typedef struct {
    uint8_t type;    //  range_type_t
    event_t *events; //  introduced, fixed, last_affected, sorted by version
    uint32_t nevents;
    event_t *limits; //  limit events (no order needed)
    uint32_t nlimits;
} range_t;

typedef struct {
    const char *ecosystem;
    const char *name;
    const char *key; //  index key: base ecosystem, '\x1f', (normalised) name
    sw_vscheme_t scheme;
    range_t *ranges;
    uint32_t nranges;
    const char **versions;
    uint32_t nversions;
    bool sorted; //  versions are sorted in the scheme's order
} affected_t;

//  One document as added, before aliases are merged.
typedef struct {
    const char *id;
    const char *modified;
    const char *summary;
    const char **aliases;
    uint32_t naliases;
    double score;
    int rating; //  sw_severity_t from an ecosystem's rating, or -1
    affected_t *affected;
    uint32_t naffected;
    bool dropped; //  superseded by a later document with the same id
} advisory_t;

//  A vulnerability after merging.
typedef struct {
    const char *id;
    const char *aliases;
    const char *summary;
    double score;
    sw_severity_t severity;
    affected_t **affected;
    uint32_t naffected;
} vuln_t;

typedef struct {
    uint32_t vuln;
    const affected_t *affected;
} entry_t;

typedef struct {
    const char *key;
    uint64_t hash;
    uint32_t start, count;
} bucket_t;

struct sw_osvdb_t {
    pool_t pool;
    advisory_t *advs; //  until finish
    size_t nadvs, capadvs;
    bool finished;
    vuln_t *vulns;
    size_t nvulns;
    entry_t *entries; //  grouped by bucket, by vuln within a bucket
    size_t nentries;
    bucket_t *buckets;
    size_t nbuckets;
    //  Open addressing, bucket number + 1 per slot (0: free); a power of
    //  two slots, at most half used. Our own table rather than a zhashx,
    //  because a zhashx lookup writes to the table (it caches the last
    //  index) and matching must be safe from several threads at once.
    uint32_t *slots;
    size_t nslots;
    size_t skipped;   //  advisory versions that do not parse (ranges or list items dropped)
    const char **ids; //  every id and alias, sorted (sw_osvdb_index_ids), malloc'd
    size_t nids;
};

sw_osvdb_t *sw_osvdb_new (void)
{
    sw_osvdb_t *self = calloc (1, sizeof (sw_osvdb_t));
    return self;
}

void sw_osvdb_destroy (sw_osvdb_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_osvdb_t *self = *self_p;
    free (self->slots);
    free (self->advs);
    free (self->vulns);
    free (self->entries);
    free (self->buckets);
    free (self->ids);
    s_pool_free (&self->pool);
    free (self);
    *self_p = NULL;
}

static int s_strptr_cmp (const void *a, const void *b)
{
    return strcmp (*(const char *const *)a, *(const char *const *)b);
}

void sw_osvdb_index_ids (sw_osvdb_t *self)
{
    free (self->ids);
    self->ids = NULL;
    self->nids = 0;
    size_t cap = 0;
    for (size_t v = 0; v < self->nvulns; v++) {
        const char *ids[2] = {self->vulns[v].id, self->vulns[v].aliases};
        for (int k = 0; k < 2; k++)
            for (const char *p = ids[k]; p && *p;) {
                const char *comma = strchr (p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen (p);
                if (self->nids == cap) {
                    cap = cap ? cap * 2 : 64;
                    const char **grown = realloc (self->ids, cap * sizeof (char *));
                    if (!grown)
                        abort ();
                    self->ids = grown;
                }
                self->ids[self->nids++] = s_pstrndup (&self->pool, p, len);
                p = comma ? comma + 1 : NULL;
                if (k == 0)
                    break; //  an id is one word; aliases a list
            }
    }
    if (self->nids)
        qsort (self->ids, self->nids, sizeof (char *), s_strptr_cmp);
}

bool sw_osvdb_knows (const sw_osvdb_t *self, const char *id)
{
    return self->nids &&
           bsearch (&id, self->ids, self->nids, sizeof (char *), s_strptr_cmp) != NULL;
}

size_t sw_osvdb_size (const sw_osvdb_t *self)
{
    return self->finished ? self->nvulns : 0;
}

size_t sw_osvdb_entries (const sw_osvdb_t *self)
{
    return self->finished ? self->nentries : 0;
}

//  ---------------------------------------------------------------------
//  Names and keys

static bool s_valid_id (const char *s, size_t len)
{
    if (len == 0 || len > OSV_MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

static bool s_printable (const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static size_t s_eco_base_len (const char *ecosystem)
{
    return strcspn (ecosystem, ":");
}

static bool s_is_pypi (const char *ecosystem, size_t base_len)
{
    return base_len == 4 && memcmp (ecosystem, "PyPI", 4) == 0;
}

//  Writes the index key of (ecosystem, name) into buf (PEP 503 for PyPI:
//  lower case, runs of '-', '_', '.' become one '-'). Returns its length,
//  which may exceed cap (then buf holds a prefix only).
static size_t s_make_key (const char *ecosystem, const char *name, char *buf, size_t cap)
{
    size_t base = s_eco_base_len (ecosystem);
    bool pypi = s_is_pypi (ecosystem, base);
    size_t n = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 < cap)                                                                           \
            buf[n] = (c);                                                                          \
        n++;                                                                                       \
    } while (0)
    for (size_t i = 0; i < base; i++)
        PUT (ecosystem[i]);
    PUT ('\x1f');
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (pypi && (c == '-' || c == '_' || c == '.')) {
            while (p[1] == '-' || p[1] == '_' || p[1] == '.')
                p++;
            c = '-';
        } else if (pypi && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        PUT (c);
    }
#undef PUT
    if (cap)
        buf[n < cap ? n : cap - 1] = 0;
    return n;
}

static const char *s_pool_key (pool_t *pool, const char *ecosystem, const char *name)
{
    size_t len = s_make_key (ecosystem, name, NULL, 0);
    char *key = s_palloc (pool, len + 1, 1);
    s_make_key (ecosystem, name, key, len + 1);
    return key;
}

//  Does an advisory's ecosystem apply to a query's? (See the top.)
static bool s_eco_match (const char *query, const char *advisory)
{
    size_t q = strlen (query), a = strlen (advisory);
    if (q == a)
        return memcmp (query, advisory, q) == 0;
    if (q < a)
        return memcmp (query, advisory, q) == 0 && advisory[q] == ':';
    return memcmp (query, advisory, a) == 0 && query[a] == ':';
}

//  Rank of an id when choosing the preferred one of a group: the
//  databases of the packages' own ecosystems first, then CVE, then any.
static int s_id_rank (const char *id)
{
    static const char *prefixes[] = {"GHSA-", "PYSEC-", "GO-",   "RUSTSEC-",
                                     "DSA-",  "DLA-",   "DTSA-", "ALPINE-"};
    static const int ranks[] = {0, 1, 2, 3, 4, 4, 4, 5};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp (id, prefixes[i], strlen (prefixes[i])) == 0)
            return ranks[i];
    if (strncmp (id, "CVE-", 4) == 0)
        return 6;
    return 7;
}

static int s_id_prefer (const char *a, const char *b)
{
    int ra = s_id_rank (a), rb = s_id_rank (b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return strcmp (a, b);
}

//  ---------------------------------------------------------------------
//  CVSS v3

sw_severity_t sw_cvss_severity (double score)
{
    if (score < 0.1)
        return SW_SEV_INFO;
    if (score < 4.0)
        return SW_SEV_LOW;
    if (score < 7.0)
        return SW_SEV_MEDIUM;
    if (score < 9.0)
        return SW_SEV_HIGH;
    return SW_SEV_CRITICAL;
}

//  Roundup of CVSS v3.1 Appendix A, with integers so that floating point
//  noise (4.000000000000001) does not round up a whole tenth. x >= 0.
static double s_roundup (double x)
{
    long long i = (long long)(x * 100000.0 + 0.5);
    if (i % 10000 == 0)
        return (double)i / 100000.0;
    return (double)(i / 10000 + 1) / 10.0;
}

static double s_pow15 (double x)
{
    double r = 1;
    for (int i = 0; i < 15; i++)
        r *= x;
    return r;
}

//  Metrics of a v3 vector and the values each may take. Temporal and
//  environmental metrics are known (and checked) but do not change the
//  base score.
static const struct {
    const char *metric;
    const char *values;
} s_cvss_metrics[] = {
    {"AV", "NALP"}, {"AC", "LH"},    {"PR", "NLH"},  {"UI", "NR"},   {"S", "UC"},
    {"C", "HLN"},   {"I", "HLN"},    {"A", "HLN"},   {"E", "XUPFH"}, {"RL", "XOTWU"},
    {"RC", "XURC"}, {"CR", "XLMH"},  {"IR", "XLMH"}, {"AR", "XLMH"}, {"MAV", "XNALP"},
    {"MAC", "XLH"}, {"MPR", "XNLH"}, {"MUI", "XNR"}, {"MS", "XUC"},  {"MC", "XNLH"},
    {"MI", "XNLH"}, {"MA", "XNLH"},
};
#define CVSS_NMETRICS (sizeof s_cvss_metrics / sizeof s_cvss_metrics[0])
#define CVSS_NBASE    8

static int s_cvss_fail (char *err, size_t errlen, const char *vector, const char *fmt, ...)
{
    if (err && errlen) {
        char msg[128];
        va_list args;
        va_start (args, fmt);
        vsnprintf (msg, sizeof msg, fmt, args);
        va_end (args);
        snprintf (err, errlen, "CVSS vector '%.100s': %s", vector, msg);
    }
    return -1;
}

int sw_cvss3_score (const char *vector, double *score, char *err, size_t errlen)
{
    if (!vector)
        return s_cvss_fail (err, errlen, "", "no vector");
    if (strlen (vector) > 200)
        return s_cvss_fail (err, errlen, vector, "longer than 200 characters");
    const char *p = vector;
    if (strncmp (p, "CVSS:", 5) == 0) {
        if (strncmp (p, "CVSS:3.0/", 9) != 0 && strncmp (p, "CVSS:3.1/", 9) != 0)
            return s_cvss_fail (err, errlen, vector, "not a CVSS v3.0 or v3.1 vector");
        p += 9;
    }
    char value[CVSS_NMETRICS] = {0};
    while (true) {
        size_t len = strcspn (p, "/");
        const char *colon = memchr (p, ':', len);
        if (!colon || colon == p || (size_t)(colon - p) + 2 != len)
            return s_cvss_fail (err, errlen, vector, "'%.*s' is not METRIC:VALUE", (int)len, p);
        size_t mlen = (size_t)(colon - p);
        size_t m = 0;
        while (m < CVSS_NMETRICS && (strlen (s_cvss_metrics[m].metric) != mlen ||
                                     memcmp (s_cvss_metrics[m].metric, p, mlen) != 0))
            m++;
        if (m == CVSS_NMETRICS)
            return s_cvss_fail (err, errlen, vector, "unknown metric '%.*s'", (int)mlen, p);
        if (value[m])
            return s_cvss_fail (err, errlen, vector, "metric %s given twice",
                                s_cvss_metrics[m].metric);
        if (!colon[1] || !strchr (s_cvss_metrics[m].values, colon[1]))
            return s_cvss_fail (err, errlen, vector, "metric %s has no value '%c'",
                                s_cvss_metrics[m].metric, colon[1]);
        value[m] = colon[1];
        if (p[len] == 0)
            break;
        p += len + 1;
    }
    for (size_t m = 0; m < CVSS_NBASE; m++)
        if (!value[m])
            return s_cvss_fail (err, errlen, vector, "base metric %s is missing",
                                s_cvss_metrics[m].metric);

    //  Section 7.1 of the specification.
    char av = value[0], ac = value[1], pr = value[2], ui = value[3], s = value[4];
    bool changed = s == 'C';
    double w_av = av == 'N' ? 0.85 : av == 'A' ? 0.62 : av == 'L' ? 0.55 : 0.2;
    double w_ac = ac == 'L' ? 0.77 : 0.44;
    double w_pr = pr == 'N' ? 0.85 : pr == 'L' ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
    double w_ui = ui == 'N' ? 0.85 : 0.62;
    double cia[3];
    for (int i = 0; i < 3; i++) {
        char v = value[5 + i];
        cia[i] = v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0;
    }
    double iss = 1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2]);
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * s_pow15 (iss - 0.02) : 6.42 * iss;
    double exploitability = 8.22 * w_av * w_ac * w_pr * w_ui;
    double base;
    if (impact <= 0)
        base = 0;
    else if (changed)
        base = s_roundup ((impact + exploitability) * 1.08 < 10 ? (impact + exploitability) * 1.08
                                                                : 10);
    else
        base = s_roundup (impact + exploitability < 10 ? impact + exploitability : 10);
    *score = base;
    return 0;
}

//  ---------------------------------------------------------------------
//  Versions of an advisory: sorting events and lists at add time

static int s_event_cmp (sw_vscheme_t scheme, const event_t *a, const event_t *b, bool *failed)
{
    bool a0 = a->special, b0 = b->special; //  introduced "0" sorts first
    if (a0 || b0)
        return a0 && b0 ? 0 : a0 ? -1 : 1;
    int cmp = 0;
    char err[256];
    if (sw_version_cmp (scheme, a->version, b->version, &cmp, err, sizeof err)) {
        *failed = true;
        return 0;
    }
    return cmp;
}

//  Sorts events by version, stable so that equal versions keep the
//  document's order (an introduced and a fixed at one version make an
//  empty range, not everything above it). A bottom-up merge sort: ranges
//  are short, but one document may hold a range of any length. Returns -1
//  when a version does not compare.
static int s_sort_events (sw_vscheme_t scheme, event_t *events, uint32_t n)
{
    if (n < 2)
        return 0;
    event_t *tmp = malloc (n * sizeof (event_t));
    if (!tmp)
        abort ();
    bool failed = false;
    event_t *from = events, *to = tmp;
    for (uint32_t width = 1; width < n && !failed; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = mid + width < n ? mid + width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] =
                    s_event_cmp (scheme, &from[j], &from[i], &failed) < 0 ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        event_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != events)
        memcpy (events, from, n * sizeof (event_t));
    free (tmp);
    return failed ? -1 : 0;
}

static int s_version_qcmp (const void *a, const void *b, void *arg)
{
    sw_vscheme_t scheme = *(const sw_vscheme_t *)arg;
    int cmp = 0;
    char err[256];
    if (sw_version_cmp (scheme, *(const char *const *)a, *(const char *const *)b, &cmp, err,
                        sizeof err))
        return 0; //  not reached: every item was checked before sorting
    return cmp;
}

//  Drops list items that do not parse and sorts the rest. Lists from
//  osv.dev come sorted, so one pass of neighbour comparisons usually
//  settles it.
static void s_sort_versions (sw_osvdb_t *self, affected_t *aff)
{
    char err[256];
    int cmp = 0;
    bool sorted = true;
    for (uint32_t i = 1; i < aff->nversions && sorted; i++)
        if (sw_version_cmp (aff->scheme, aff->versions[i - 1], aff->versions[i], &cmp, err,
                            sizeof err) ||
            cmp > 0)
            sorted = false;
    if (aff->nversions == 1 && sw_version_check (aff->scheme, aff->versions[0], err, sizeof err))
        sorted = false;
    if (!sorted) {
        uint32_t kept = 0;
        for (uint32_t i = 0; i < aff->nversions; i++)
            if (sw_version_check (aff->scheme, aff->versions[i], err, sizeof err) == 0)
                aff->versions[kept++] = aff->versions[i];
            else
                self->skipped++;
        aff->nversions = kept;
        qsort_r ((void *)aff->versions, kept, sizeof (char *), s_version_qcmp, &aff->scheme);
    }
    aff->sorted = true;
}

static sw_vscheme_t s_range_scheme (const affected_t *aff, const range_t *range)
{
    if (range->type == RANGE_SEMVER)
        return aff->scheme == SW_VS_GO ? SW_VS_GO : SW_VS_SEMVER;
    return aff->scheme;
}

//  Prepares a range for matching. Returns -1 when one of its versions
//  does not parse in its scheme (the range is then dropped).
static int s_prepare_range (const affected_t *aff, range_t *range)
{
    sw_vscheme_t scheme = s_range_scheme (aff, range);
    if (scheme == SW_VS_UNKNOWN)
        return 0; //  kept as written; a query of this ecosystem is an error anyway
    char err[256];
    for (uint32_t i = 0; i < range->nevents; i++)
        if (!range->events[i].special &&
            sw_version_check (scheme, range->events[i].version, err, sizeof err))
            return -1;
    for (uint32_t i = 0; i < range->nlimits; i++)
        if (!range->limits[i].special &&
            sw_version_check (scheme, range->limits[i].version, err, sizeof err))
            return -1;
    return s_sort_events (scheme, range->events, range->nevents);
}

//  ---------------------------------------------------------------------
//  Adding a JSON document

typedef struct {
    sw_osvdb_t *self;
    const char *name;
    char *err;
    size_t errlen;
} ctx_t;

static int s_invalid (ctx_t *ctx, const char *fmt, ...)
{
    if (ctx->err && ctx->errlen) {
        char msg[512];
        va_list args;
        va_start (args, fmt);
        vsnprintf (msg, sizeof msg, fmt, args);
        va_end (args);
        snprintf (ctx->err, ctx->errlen, "%s: %s", ctx->name, msg);
    }
    return -1;
}

static int s_rating_parse (const char *s)
{
    if (strcasecmp (s, "CRITICAL") == 0)
        return SW_SEV_CRITICAL;
    if (strcasecmp (s, "HIGH") == 0)
        return SW_SEV_HIGH;
    if (strcasecmp (s, "MODERATE") == 0 || strcasecmp (s, "MEDIUM") == 0)
        return SW_SEV_MEDIUM;
    if (strcasecmp (s, "LOW") == 0)
        return SW_SEV_LOW;
    if (strcasecmp (s, "NEGLIGIBLE") == 0 || strcasecmp (s, "UNIMPORTANT") == 0)
        return SW_SEV_INFO;
    return -1;
}

//  A "severity" string inside a database_specific / ecosystem_specific
//  object (GitHub's rating); anything else there is the database's own.
static void s_read_rating (advisory_t *adv, json_t *obj)
{
    json_t *sev = json_is_object (obj) ? json_object_get (obj, "severity") : NULL;
    if (json_is_string (sev)) {
        int r = s_rating_parse (json_string_value (sev));
        if (r > adv->rating)
            adv->rating = r;
    }
}

//  A `severity` array (top level or per package). CVSS v3 vectors give a
//  score; Ubuntu's priorities a rating; other types (CVSS v2, v4) are
//  not scored here. A vector that does not score is ignored: severity
//  does not decide what is affected.
static int s_read_severity (ctx_t *ctx, advisory_t *adv, json_t *arr, const char *path)
{
    if (!arr)
        return 0;
    if (!json_is_array (arr))
        return s_invalid (ctx, "'%s' is not an array", path);
    size_t i;
    json_t *item;
    json_array_foreach (arr, i, item)
    {
        json_t *type = json_object_get (item, "type");
        json_t *score = json_object_get (item, "score");
        if (!json_is_object (item) || !json_is_string (type) || !json_is_string (score))
            return s_invalid (ctx, "'%s[%zu]' has no type and score strings", path, i);
        const char *t = json_string_value (type);
        double value;
        char err[256];
        if (strcmp (t, "CVSS_V3") == 0) {
            if (sw_cvss3_score (json_string_value (score), &value, err, sizeof err) == 0 &&
                value > adv->score)
                adv->score = value;
        } else if (strcmp (t, "Ubuntu") == 0) {
            int r = s_rating_parse (json_string_value (score));
            if (r > adv->rating)
                adv->rating = r;
        }
    }
    return 0;
}

static int s_read_range (ctx_t *ctx, json_t *jr, const char *path, range_t *range, bool *skip)
{
    pool_t *pool = &ctx->self->pool;
    if (!json_is_object (jr))
        return s_invalid (ctx, "'%s' is not an object", path);
    json_t *type = json_object_get (jr, "type");
    if (!json_is_string (type))
        return s_invalid (ctx, "'%s' has no type", path);
    const char *t = json_string_value (type);
    *skip = strcmp (t, "GIT") == 0; //  commits need the repository: not matched here
    if (strcmp (t, "SEMVER") == 0)
        range->type = RANGE_SEMVER;
    else if (strcmp (t, "ECOSYSTEM") == 0)
        range->type = RANGE_ECOSYSTEM;
    else if (!*skip)
        return s_invalid (ctx, "'%s' has unknown type '%.40s'", path, t);
    json_t *events = json_object_get (jr, "events");
    if (!json_is_array (events) || json_array_size (events) == 0)
        return s_invalid (ctx, "'%s.events' is not a non-empty array", path);
    if (*skip)
        return 0;
    size_t n = json_array_size (events);
    if (n > UINT32_MAX)
        return s_invalid (ctx, "'%s.events' is too long", path);
    event_t *all = s_pcalloc (pool, n, sizeof (event_t));
    uint32_t nlimits = 0;
    bool introduced = false;
    for (size_t i = 0; i < n; i++) {
        json_t *je = json_array_get (events, i);
        if (!json_is_object (je))
            return s_invalid (ctx, "'%s.events[%zu]' is not an object", path, i);
        int kind = -1;
        for (int k = 0; k < EV_COUNT; k++) {
            json_t *v = json_object_get (je, s_ev_names[k]);
            if (!v)
                continue;
            if (kind >= 0)
                return s_invalid (ctx, "'%s.events[%zu]' has both %s and %s", path, i,
                                  s_ev_names[kind], s_ev_names[k]);
            if (!json_is_string (v) || json_string_length (v) == 0)
                return s_invalid (ctx, "'%s.events[%zu].%s' is not a version string", path, i,
                                  s_ev_names[k]);
            kind = k;
            all[i].version = s_pstrndup (pool, json_string_value (v), json_string_length (v));
        }
        if (kind < 0)
            return s_invalid (ctx, "'%s.events[%zu]' has no introduced/fixed/last_affected/limit",
                              path, i);
        all[i].kind = (uint8_t)kind;
        if (kind == EV_INTRODUCED) {
            introduced = true;
            all[i].special = strcmp (all[i].version, "0") == 0;
        } else if (kind == EV_LIMIT) {
            nlimits++;
            all[i].special = strchr (all[i].version, '*') != NULL;
        }
    }
    if (!introduced)
        return s_invalid (ctx, "'%s.events' has no introduced event", path);
    range->nevents = (uint32_t)(n - nlimits);
    range->nlimits = nlimits;
    range->events = s_pcalloc (pool, range->nevents, sizeof (event_t));
    range->limits = s_pcalloc (pool, nlimits, sizeof (event_t));
    uint32_t ne = 0, nl = 0;
    for (size_t i = 0; i < n; i++)
        if (all[i].kind == EV_LIMIT)
            range->limits[nl++] = all[i];
        else
            range->events[ne++] = all[i];
    return 0;
}

static int s_read_affected (ctx_t *ctx, advisory_t *adv, json_t *ja, size_t index, affected_t *aff,
                            bool *skip)
{
    pool_t *pool = &ctx->self->pool;
    char path[64];
    snprintf (path, sizeof path, "affected[%zu]", index);
    if (!json_is_object (ja))
        return s_invalid (ctx, "'%s' is not an object", path);
    json_t *pkg = json_object_get (ja, "package");
    *skip = pkg == NULL; //  no package (a GIT-only entry): nothing to index
    if (*skip)
        return 0;
    if (!json_is_object (pkg))
        return s_invalid (ctx, "'%s.package' is not an object", path);
    json_t *eco = json_object_get (pkg, "ecosystem");
    json_t *name = json_object_get (pkg, "name");
    if (!json_is_string (eco) ||
        !s_printable (json_string_value (eco), json_string_length (eco), OSV_MAX_ECOSYSTEM))
        return s_invalid (ctx, "'%s.package.ecosystem' is not an ecosystem name", path);
    if (!json_is_string (name) ||
        !s_printable (json_string_value (name), json_string_length (name), OSV_MAX_NAME))
        return s_invalid (ctx, "'%s.package.name' is not a package name", path);
    aff->ecosystem = s_pstrndup (pool, json_string_value (eco), json_string_length (eco));
    aff->name = s_pstrndup (pool, json_string_value (name), json_string_length (name));
    aff->key = s_pool_key (pool, aff->ecosystem, aff->name);
    aff->scheme = sw_vscheme_for (aff->ecosystem);

    json_t *ranges = json_object_get (ja, "ranges");
    if (ranges && !json_is_array (ranges))
        return s_invalid (ctx, "'%s.ranges' is not an array", path);
    size_t nr = ranges ? json_array_size (ranges) : 0;
    if (nr > UINT32_MAX)
        return s_invalid (ctx, "'%s.ranges' is too long", path);
    aff->ranges = s_pcalloc (pool, nr, sizeof (range_t));
    for (size_t i = 0; i < nr; i++) {
        char rpath[128];
        snprintf (rpath, sizeof rpath, "%s.ranges[%zu]", path, i);
        bool skip_range = false;
        range_t *range = &aff->ranges[aff->nranges];
        if (s_read_range (ctx, json_array_get (ranges, i), rpath, range, &skip_range))
            return -1;
        if (skip_range)
            continue;
        if (s_prepare_range (aff, range)) {
            ctx->self->skipped++;
            continue;
        }
        aff->nranges++;
    }

    json_t *versions = json_object_get (ja, "versions");
    if (versions && !json_is_array (versions))
        return s_invalid (ctx, "'%s.versions' is not an array", path);
    size_t nv = versions ? json_array_size (versions) : 0;
    if (nv > UINT32_MAX)
        return s_invalid (ctx, "'%s.versions' is too long", path);
    aff->versions = s_pcalloc (pool, nv, sizeof (char *));
    for (size_t i = 0; i < nv; i++) {
        json_t *v = json_array_get (versions, i);
        if (!json_is_string (v))
            return s_invalid (ctx, "'%s.versions[%zu]' is not a string", path, i);
        aff->versions[aff->nversions++] =
            s_pstrndup (pool, json_string_value (v), json_string_length (v));
    }
    if (aff->scheme != SW_VS_UNKNOWN && aff->nversions)
        s_sort_versions (ctx->self, aff);

    char spath[96];
    snprintf (spath, sizeof spath, "%s.severity", path);
    if (s_read_severity (ctx, adv, json_object_get (ja, "severity"), spath))
        return -1;
    s_read_rating (adv, json_object_get (ja, "database_specific"));
    s_read_rating (adv, json_object_get (ja, "ecosystem_specific"));
    return 0;
}

//  The summary, or the first line of the details, cut and made safe for
//  reports and terminals.
static const char *s_read_summary (ctx_t *ctx, json_t *root)
{
    json_t *summary = json_object_get (root, "summary");
    json_t *details = json_object_get (root, "details");
    const char *text = "";
    size_t len = 0;
    if (json_is_string (summary) && json_string_length (summary) > 0) {
        text = json_string_value (summary);
        len = json_string_length (summary);
    } else if (json_is_string (details)) {
        text = json_string_value (details);
        text += strspn (text, " \t\r\n"); //  the first line with text
        len = strcspn (text, "\r\n");
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    char *copy =
        s_pstrndup (&ctx->self->pool, text, len < 4 * OSV_MAX_SUMMARY ? len : 4 * OSV_MAX_SUMMARY);
    sw_text_sanitize (copy, OSV_MAX_SUMMARY);
    return copy;
}

static int s_grow_advs (sw_osvdb_t *self)
{
    if (self->nadvs < self->capadvs)
        return 0;
    size_t cap = self->capadvs ? self->capadvs * 2 : 64;
    advisory_t *advs = realloc (self->advs, cap * sizeof (advisory_t));
    if (!advs)
        return -1;
    self->advs = advs;
    self->capadvs = cap;
    return 0;
}

static int s_read_doc (ctx_t *ctx, json_t *root, advisory_t *adv)
{
    pool_t *pool = &ctx->self->pool;
    if (!json_is_object (root))
        return s_invalid (ctx, "not a JSON object");
    json_t *id = json_object_get (root, "id");
    if (!id)
        return s_invalid (ctx, "'id' is missing");
    if (!json_is_string (id) || !s_valid_id (json_string_value (id), json_string_length (id)))
        return s_invalid (ctx, "'id' is not an id (1-%d of A-Z a-z 0-9 . _ : -)", OSV_MAX_ID);
    json_t *modified = json_object_get (root, "modified");
    if (!json_is_string (modified))
        return s_invalid (ctx, "'modified' is missing or not a string");
    if (json_object_get (root, "withdrawn"))
        return 0;
    adv->id = s_pstrndup (pool, json_string_value (id), json_string_length (id));
    adv->modified = s_pstrndup (pool, json_string_value (modified), json_string_length (modified));
    adv->score = -1;
    adv->rating = -1;

    json_t *aliases = json_object_get (root, "aliases");
    if (aliases && !json_is_array (aliases) && !json_is_null (aliases))
        return s_invalid (ctx, "'aliases' is not an array");
    size_t na = json_is_array (aliases) ? json_array_size (aliases) : 0;
    if (na > UINT32_MAX)
        return s_invalid (ctx, "'aliases' is too long");
    adv->aliases = s_pcalloc (pool, na, sizeof (char *));
    for (size_t i = 0; i < na; i++) {
        json_t *a = json_array_get (aliases, i);
        if (!json_is_string (a) || !s_valid_id (json_string_value (a), json_string_length (a)))
            return s_invalid (ctx, "'aliases[%zu]' is not an id", i);
        adv->aliases[adv->naliases++] =
            s_pstrndup (pool, json_string_value (a), json_string_length (a));
    }

    json_t *summary = json_object_get (root, "summary");
    if (summary && !json_is_string (summary))
        return s_invalid (ctx, "'summary' is not a string");
    json_t *details = json_object_get (root, "details");
    if (details && !json_is_string (details))
        return s_invalid (ctx, "'details' is not a string");
    adv->summary = s_read_summary (ctx, root);

    if (s_read_severity (ctx, adv, json_object_get (root, "severity"), "severity"))
        return -1;
    s_read_rating (adv, json_object_get (root, "database_specific"));

    json_t *affected = json_object_get (root, "affected");
    if (affected && !json_is_array (affected))
        return s_invalid (ctx, "'affected' is not an array");
    size_t n = affected ? json_array_size (affected) : 0;
    if (n > UINT32_MAX)
        return s_invalid (ctx, "'affected' is too long");
    adv->affected = s_pcalloc (pool, n, sizeof (affected_t));
    for (size_t i = 0; i < n; i++) {
        bool skip = false;
        if (s_read_affected (ctx, adv, json_array_get (affected, i), i,
                             &adv->affected[adv->naffected], &skip))
            return -1;
        if (!skip)
            adv->naffected++;
    }
    return 1;
}

int sw_osvdb_add_json (sw_osvdb_t *self, const char *name, const char *json, size_t len, char *err,
                       size_t errlen)
{
    ctx_t ctx = {self, name ? name : "osv", err, errlen};
    if (self->finished)
        return s_invalid (&ctx, "the index is already finished");
    if (!json)
        return s_invalid (&ctx, "no document");
    if (len > OSV_MAX_DOC)
        return s_invalid (&ctx, "document is larger than %u MiB", OSV_MAX_DOC / (1024 * 1024));
    json_error_t jerr;
    json_t *root = json_loadb (json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return s_invalid (&ctx, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    if (s_grow_advs (self)) {
        json_decref (root);
        return s_invalid (&ctx, "out of memory");
    }
    pool_mark_t mark = s_pool_mark (&self->pool);
    size_t skipped = self->skipped;
    advisory_t adv;
    memset (&adv, 0, sizeof adv);
    int rc = s_read_doc (&ctx, root, &adv);
    json_decref (root);
    if (rc == 1)
        self->advs[self->nadvs++] = adv;
    else {
        s_pool_rewind (&self->pool, mark); //  nothing of a refused document stays
        self->skipped = skipped;
    }
    return rc;
}

//  ---------------------------------------------------------------------
//  Finishing: merging aliases, building the index

static uint32_t s_find (uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void s_union (uint32_t *parent, uint32_t a, uint32_t b)
{
    a = s_find (parent, a);
    b = s_find (parent, b);
    if (a != b)
        parent[a < b ? b : a] = a < b ? a : b;
}

typedef struct {
    zhashx_t *map; //  id -> node + 1
    const char **names;
    uint32_t *parent;
    size_t n, cap;
} nodes_t;

static uint32_t s_node (nodes_t *nodes, const char *id)
{
    uintptr_t found = (uintptr_t)zhashx_lookup (nodes->map, id);
    if (found)
        return (uint32_t)(found - 1);
    if (nodes->n == nodes->cap) {
        nodes->cap = nodes->cap ? nodes->cap * 2 : 256;
        nodes->names = realloc (nodes->names, nodes->cap * sizeof (char *));
        nodes->parent = realloc (nodes->parent, nodes->cap * sizeof (uint32_t));
        if (!nodes->names || !nodes->parent)
            abort ();
    }
    uint32_t node = (uint32_t)nodes->n++;
    nodes->names[node] = id;
    nodes->parent[node] = node;
    zhashx_insert (nodes->map, id, (void *)(uintptr_t)(node + 1));
    return node;
}

static int s_str_qcmp (const void *a, const void *b)
{
    return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static int s_vuln_qcmp (const void *a, const void *b)
{
    return strcmp (((const vuln_t *)a)->id, ((const vuln_t *)b)->id);
}

static zhashx_t *s_borrowing_hash (void)
{
    zhashx_t *hash = zhashx_new ();
    if (!hash)
        abort ();
    zhashx_set_key_duplicator (hash, NULL); //  keys live in the pool
    zhashx_set_key_destructor (hash, NULL);
    return hash;
}

//  FNV-1a, 64 bits: keys are short and this is the whole cost of a lookup.
static uint64_t s_hash (const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

//  The slot of key: the one holding its bucket, or the free one where it
//  would go.
static size_t s_slot (const sw_osvdb_t *self, const char *key, uint64_t hash)
{
    size_t mask = self->nslots - 1;
    size_t at = (size_t)hash & mask;
    while (self->slots[at]) {
        const bucket_t *b = &self->buckets[self->slots[at] - 1];
        if (b->hash == hash && strcmp (b->key, key) == 0)
            break;
        at = (at + 1) & mask;
    }
    return at;
}

//  Builds the (ecosystem, package) index from the vulnerabilities.
static void s_build_index (sw_osvdb_t *self)
{
    free (self->slots);
    free (self->entries);
    free (self->buckets);
    self->nentries = 0;
    self->nbuckets = 0;
    for (size_t v = 0; v < self->nvulns; v++)
        self->nentries += self->vulns[v].naffected;
    size_t n = self->nentries ? self->nentries : 1;
    self->nslots = 16;
    while (self->nslots < 2 * n)
        self->nslots *= 2;
    self->slots = calloc (self->nslots, sizeof (uint32_t));
    self->entries = calloc (n, sizeof (entry_t));
    self->buckets = calloc (n, sizeof (bucket_t));
    uint32_t *bucket_of = calloc (n, sizeof (uint32_t));
    if (!self->slots || !self->entries || !self->buckets || !bucket_of)
        abort ();
    //  First pass: buckets and their sizes; second: place entries, in
    //  vulnerability order within each bucket.
    size_t e = 0;
    for (size_t v = 0; v < self->nvulns; v++)
        for (uint32_t a = 0; a < self->vulns[v].naffected; a++, e++) {
            const char *key = self->vulns[v].affected[a]->key;
            uint64_t hash = s_hash (key);
            size_t at = s_slot (self, key, hash);
            if (!self->slots[at]) {
                self->buckets[self->nbuckets] = (bucket_t){key, hash, 0, 0};
                self->slots[at] = (uint32_t)++self->nbuckets;
            }
            bucket_of[e] = self->slots[at] - 1;
            self->buckets[bucket_of[e]].count++;
        }
    size_t start = 0;
    for (size_t b = 0; b < self->nbuckets; b++) {
        self->buckets[b].start = (uint32_t)start;
        start += self->buckets[b].count;
        self->buckets[b].count = 0;
    }
    e = 0;
    for (size_t v = 0; v < self->nvulns; v++)
        for (uint32_t a = 0; a < self->vulns[v].naffected; a++, e++) {
            bucket_t *bk = &self->buckets[bucket_of[e]];
            self->entries[bk->start + bk->count++] =
                (entry_t){(uint32_t)v, self->vulns[v].affected[a]};
        }
    free (bucket_of);
}

static sw_severity_t s_severity (double score, int rating)
{
    if (score >= 0)
        return sw_cvss_severity (score);
    if (rating >= 0)
        return (sw_severity_t)rating;
    return OSV_DEFAULT_SEVERITY;
}

void sw_osvdb_finish (sw_osvdb_t *self)
{
    if (self->finished)
        return;
    self->finished = true;

    //  The same id twice (one database exported twice, or a record in two
    //  dumps): the latest modified wins, the later added on a tie.
    zhashx_t *by_id = s_borrowing_hash ();
    for (size_t i = 0; i < self->nadvs; i++) {
        advisory_t *adv = &self->advs[i];
        uintptr_t prev = (uintptr_t)zhashx_lookup (by_id, adv->id);
        if (prev) {
            advisory_t *old = &self->advs[prev - 1];
            if (strcmp (adv->modified, old->modified) >= 0) {
                old->dropped = true;
                zhashx_update (by_id, adv->id, (void *)(uintptr_t)(i + 1));
            } else
                adv->dropped = true;
        } else
            zhashx_insert (by_id, adv->id, (void *)(uintptr_t)(i + 1));
    }
    zhashx_destroy (&by_id);

    //  Union-find: an id and each of its aliases name one vulnerability.
    nodes_t nodes = {s_borrowing_hash (), NULL, NULL, 0, 0};
    for (size_t i = 0; i < self->nadvs; i++) {
        advisory_t *adv = &self->advs[i];
        if (adv->dropped)
            continue;
        uint32_t node = s_node (&nodes, adv->id);
        for (uint32_t a = 0; a < adv->naliases; a++)
            s_union (nodes.parent, node, s_node (&nodes, adv->aliases[a]));
    }
    uint32_t *group_of = malloc ((nodes.n ? nodes.n : 1) * sizeof (uint32_t));
    size_t ngroups = 0;
    if (!group_of)
        abort ();
    for (size_t n = 0; n < nodes.n; n++) {
        uint32_t root = s_find (nodes.parent, (uint32_t)n);
        //  Roots are the smallest node of their group, so they come first.
        group_of[n] = root == n ? (uint32_t)ngroups++ : group_of[root];
    }

    //  Members of each group (names and documents), as offsets into flat arrays.
    size_t *name_start = calloc (ngroups + 1, sizeof (size_t));
    size_t *doc_start = calloc (ngroups + 1, sizeof (size_t));
    const char **names = malloc ((nodes.n ? nodes.n : 1) * sizeof (char *));
    advisory_t **docs = malloc ((self->nadvs ? self->nadvs : 1) * sizeof (advisory_t *));
    self->vulns = calloc (ngroups ? ngroups : 1, sizeof (vuln_t));
    if (!name_start || !doc_start || !names || !docs || !self->vulns)
        abort ();
    for (size_t n = 0; n < nodes.n; n++)
        name_start[group_of[n] + 1]++;
    for (size_t i = 0; i < self->nadvs; i++)
        if (!self->advs[i].dropped)
            doc_start[group_of[s_find (nodes.parent, s_node (&nodes, self->advs[i].id))] + 1]++;
    for (size_t g = 0; g < ngroups; g++) {
        name_start[g + 1] += name_start[g];
        doc_start[g + 1] += doc_start[g];
    }
    size_t *fill = calloc (ngroups ? ngroups : 1, sizeof (size_t));
    if (!fill)
        abort ();
    for (size_t n = 0; n < nodes.n; n++) {
        uint32_t g = group_of[n];
        names[name_start[g] + fill[g]++] = nodes.names[n];
    }
    memset (fill, 0, (ngroups ? ngroups : 1) * sizeof (size_t));
    for (size_t i = 0; i < self->nadvs; i++)
        if (!self->advs[i].dropped) {
            uint32_t g = group_of[s_find (nodes.parent, s_node (&nodes, self->advs[i].id))];
            docs[doc_start[g] + fill[g]++] = &self->advs[i];
        }

    for (size_t g = 0; g < ngroups; g++) {
        vuln_t *vuln = &self->vulns[g];
        const char **gnames = names + name_start[g];
        size_t ngnames = name_start[g + 1] - name_start[g];
        size_t best = 0;
        for (size_t k = 1; k < ngnames; k++)
            if (s_id_prefer (gnames[k], gnames[best]) < 0)
                best = k;
        vuln->id = gnames[best];
        gnames[best] = gnames[ngnames - 1];
        qsort ((void *)gnames, ngnames - 1, sizeof (char *), s_str_qcmp);
        strbuf_t aliases = {0};
        for (size_t k = 0; k + 1 < ngnames; k++) {
            if (k)
                s_sb_add (&aliases, ",", 1);
            s_sb_add (&aliases, gnames[k], strlen (gnames[k]));
        }
        vuln->aliases = s_pstrdup (&self->pool, s_sb_str (&aliases));
        free (aliases.s);

        advisory_t **gdocs = docs + doc_start[g];
        size_t ngdocs = doc_start[g + 1] - doc_start[g];
        advisory_t *lead = gdocs[0];
        double score = -1;
        int rating = -1;
        size_t naffected = 0;
        for (size_t k = 0; k < ngdocs; k++) {
            //  The summary of the preferred document that has one.
            bool has = *gdocs[k]->summary, lead_has = *lead->summary;
            if (has != lead_has ? has : s_id_prefer (gdocs[k]->id, lead->id) < 0)
                lead = gdocs[k];
            if (gdocs[k]->score > score)
                score = gdocs[k]->score;
            if (gdocs[k]->rating > rating)
                rating = gdocs[k]->rating;
            naffected += gdocs[k]->naffected;
        }
        vuln->summary = lead->summary;
        vuln->score = score;
        vuln->severity = s_severity (score, rating);
        vuln->affected = s_pcalloc (&self->pool, naffected, sizeof (affected_t *));
        for (size_t k = 0; k < ngdocs; k++)
            for (uint32_t a = 0; a < gdocs[k]->naffected; a++)
                vuln->affected[vuln->naffected++] = &gdocs[k]->affected[a];
    }
    self->nvulns = ngroups;
    qsort (self->vulns, self->nvulns, sizeof (vuln_t), s_vuln_qcmp);

    free (fill);
    free (names);
    free (docs);
    free (name_start);
    free (doc_start);
    free (group_of);
    free (nodes.names);
    free (nodes.parent);
    zhashx_destroy (&nodes.map);
    free (self->advs);
    self->advs = NULL;
    self->nadvs = self->capadvs = 0;
    s_build_index (self);
}

//  ---------------------------------------------------------------------
//  Matching

//  Is version inside one range (OSV evaluation: limits, then the walk
//  over the sorted events)? Adds the range's fixed versions above version
//  to fixed. A comparison that fails (a version of this range that does
//  not parse, or the query's version in another scheme than the
//  ecosystem's) makes the range not match.
static bool s_in_range (const affected_t *aff, const range_t *range, const char *version,
                        strbuf_t *fixed)
{
    sw_vscheme_t scheme = s_range_scheme (aff, range);
    char err[256];
    int cmp = 0;
    if (range->nlimits) {
        bool below = false;
        for (uint32_t i = 0; i < range->nlimits && !below; i++) {
            if (range->limits[i].special)
                below = true;
            else if (sw_version_cmp (scheme, version, range->limits[i].version, &cmp, err,
                                     sizeof err))
                return false;
            else
                below = cmp < 0;
        }
        if (!below)
            return false;
    }
    bool vulnerable = false;
    uint32_t i = 0;
    for (; i < range->nevents; i++) {
        const event_t *e = &range->events[i];
        if (e->special) {
            vulnerable = true;
            continue;
        }
        if (sw_version_cmp (scheme, version, e->version, &cmp, err, sizeof err))
            return false;
        //  Events are sorted: once version is below one, it is below all
        //  that follow, and none of them can change the outcome.
        if (cmp < 0)
            break;
        if (e->kind == EV_INTRODUCED)
            vulnerable = true;
        else if (e->kind == EV_FIXED)
            vulnerable = false;
        else if (e->kind == EV_LAST_AFFECTED && cmp > 0)
            vulnerable = false;
    }
    if (vulnerable)
        for (; i < range->nevents; i++)
            if (range->events[i].kind == EV_FIXED)
                s_sb_add_item (fixed, range->events[i].version);
    return vulnerable;
}

static bool s_in_versions (const affected_t *aff, const char *version)
{
    char err[256];
    int cmp = 0;
    if (!aff->sorted) {
        for (uint32_t i = 0; i < aff->nversions; i++)
            if (sw_version_cmp (aff->scheme, version, aff->versions[i], &cmp, err, sizeof err) ==
                    0 &&
                cmp == 0)
                return true;
        return false;
    }
    uint32_t lo = 0, hi = aff->nversions;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sw_version_cmp (aff->scheme, version, aff->versions[mid], &cmp, err, sizeof err))
            return false;
        if (cmp == 0)
            return true;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

static bool s_affects (const affected_t *aff, const char *version, strbuf_t *fixed)
{
    bool hit = false;
    for (uint32_t r = 0; r < aff->nranges; r++)
        if (s_in_range (aff, &aff->ranges[r], version, fixed))
            hit = true;
    if (!hit && aff->nversions)
        hit = s_in_versions (aff, version);
    return hit;
}

long sw_osvdb_match (const sw_osvdb_t *self, const char *ecosystem, const char *name,
                     const char *version, sw_osv_match_fn *fn, void *arg, char *err, size_t errlen)
{
    char why[256];
    if (!self->finished) {
        snprintf (err, errlen, "the advisory index is not finished");
        return -1;
    }
    if (!ecosystem || !name || !version) {
        snprintf (err, errlen, "no ecosystem, name or version");
        return -1;
    }
    sw_vscheme_t scheme = sw_vscheme_for (ecosystem);
    if (scheme == SW_VS_UNKNOWN) {
        snprintf (err, errlen, "ecosystem '%.100s' of package '%.200s' has no known version scheme",
                  ecosystem, name);
        return -1;
    }
    if (sw_version_check (scheme, version, why, sizeof why)) {
        snprintf (err, errlen, "version '%.100s' of %.100s package '%.200s' does not parse: %s",
                  version, ecosystem, name, why);
        return -1;
    }
    char stack[512];
    char *key = stack;
    size_t len = s_make_key (ecosystem, name, stack, sizeof stack);
    if (len >= sizeof stack) {
        key = malloc (len + 1);
        if (!key) {
            snprintf (err, errlen, "out of memory");
            return -1;
        }
        s_make_key (ecosystem, name, key, len + 1);
    }
    uint32_t b = self->slots[s_slot (self, key, s_hash (key))];
    if (key != stack)
        free (key);
    if (!b)
        return 0;

    const bucket_t *bucket = &self->buckets[b - 1];
    const entry_t *entries = self->entries + bucket->start;
    long matches = 0;
    strbuf_t fixed = {0};
    for (uint32_t i = 0; i < bucket->count;) {
        uint32_t vuln = entries[i].vuln;
        bool hit = false;
        if (fixed.s)
            fixed.s[fixed.len = 0] = 0;
        //  Every entry of one vulnerability, so that it is reported once
        //  with the fixed versions of all of them.
        for (; i < bucket->count && entries[i].vuln == vuln; i++) {
            const affected_t *aff = entries[i].affected;
            if (s_eco_match (ecosystem, aff->ecosystem) && s_affects (aff, version, &fixed))
                hit = true;
        }
        if (!hit)
            continue;
        const vuln_t *v = &self->vulns[vuln];
        sw_osv_match_t match = {v->id,    v->aliases,  v->summary,
                                v->score, v->severity, s_sb_str (&fixed)};
        if (fn)
            fn (arg, &match);
        matches++;
    }
    free (fixed.s);
    return matches;
}

//  ---------------------------------------------------------------------
//  Saving and loading

static void s_pack_vuln (msgpack_packer *pk, const vuln_t *v)
{
    msgpack_pack_map (pk, 6);
    sw_pack_kv_str (pk, "id", v->id);
    sw_pack_kv_str (pk, "aliases", v->aliases);
    sw_pack_kv_str (pk, "summary", v->summary);
    sw_pack_str (pk, "score");
    msgpack_pack_double (pk, v->score);
    sw_pack_kv_uint (pk, "severity", (uint64_t)v->severity);
    sw_pack_str (pk, "affected");
    msgpack_pack_array (pk, v->naffected);
    for (uint32_t a = 0; a < v->naffected; a++) {
        const affected_t *aff = v->affected[a];
        msgpack_pack_map (pk, 5);
        sw_pack_kv_str (pk, "ecosystem", aff->ecosystem);
        sw_pack_kv_str (pk, "name", aff->name);
        sw_pack_kv_bool (pk, "sorted", aff->sorted);
        sw_pack_str (pk, "ranges");
        msgpack_pack_array (pk, aff->nranges);
        for (uint32_t r = 0; r < aff->nranges; r++) {
            const range_t *range = &aff->ranges[r];
            msgpack_pack_map (pk, 2);
            sw_pack_kv_str (pk, "type", s_range_names[range->type]);
            sw_pack_str (pk, "events");
            msgpack_pack_array (pk, range->nevents + range->nlimits);
            for (uint32_t e = 0; e < range->nevents + range->nlimits; e++) {
                const event_t *ev =
                    e < range->nevents ? &range->events[e] : &range->limits[e - range->nevents];
                msgpack_pack_array (pk, 2);
                msgpack_pack_uint8 (pk, ev->kind);
                sw_pack_str (pk, ev->version);
            }
        }
        sw_pack_str (pk, "versions");
        msgpack_pack_array (pk, aff->nversions);
        for (uint32_t i = 0; i < aff->nversions; i++)
            sw_pack_str (pk, aff->versions[i]);
    }
}

//  Appends the bytes of a record as one bin frame.
static void s_frame (msgpack_packer *out, const msgpack_sbuffer *record)
{
    msgpack_pack_bin (out, record->size);
    msgpack_pack_bin_body (out, record->data, record->size);
}

int sw_osvdb_save (const sw_osvdb_t *self, uint8_t **out, size_t *len)
{
    if (!self->finished || !out || !len)
        return -1;
    sw_packer_t blob, record;
    sw_packer_init (&blob);
    sw_packer_init (&record);
    msgpack_pack_map (&record.pk, 4);
    sw_pack_kv_str (&record.pk, "format", OSV_SAVE_FORMAT);
    sw_pack_kv_uint (&record.pk, "version", OSV_SAVE_VERSION);
    sw_pack_kv_uint (&record.pk, "vulns", self->nvulns);
    sw_pack_kv_uint (&record.pk, "entries", self->nentries);
    s_frame (&blob.pk, &record.sbuf);
    for (size_t v = 0; v < self->nvulns; v++) {
        msgpack_sbuffer_clear (&record.sbuf);
        s_pack_vuln (&record.pk, &self->vulns[v]);
        s_frame (&blob.pk, &record.sbuf);
    }
    sw_packer_destroy (&record);
    *len = blob.sbuf.size;
    *out = (uint8_t *)msgpack_sbuffer_release (&blob.sbuf);
    sw_packer_destroy (&blob);
    if (!*out) {
        *out = malloc (1); //  never happens: a header is always written
        *len = 0;
        return *out ? 0 : -1;
    }
    return 0;
}

typedef struct {
    sw_osvdb_t *self;
    size_t record;
    char *err;
    size_t errlen;
} loader_t;

static int s_load_fail (loader_t *ld, const char *fmt, ...)
{
    if (ld->err && ld->errlen) {
        char msg[256];
        va_list args;
        va_start (args, fmt);
        vsnprintf (msg, sizeof msg, fmt, args);
        va_end (args);
        snprintf (ld->err, ld->errlen, "advisory index, record %zu: %s", ld->record, msg);
    }
    return -1;
}

//  A string field that must be text (UTF-8, no NULs) within max bytes.
static const char *s_load_str (loader_t *ld, const sw_mpv_t *map, const char *key, size_t max,
                               bool empty_ok)
{
    const char *s = sw_mpv_str (sw_mpv_get (map, key));
    if (!s || strlen (s) > max || (!empty_ok && !*s)) {
        s_load_fail (ld, "'%s' is missing or not valid", key);
        return NULL;
    }
    return s_pstrdup (&ld->self->pool, s);
}

static const sw_mpv_t *s_load_array (loader_t *ld, const sw_mpv_t *map, const char *key)
{
    const sw_mpv_t *arr = sw_mpv_get (map, key);
    if (!arr || arr->type != SW_MPV_ARRAY) {
        s_load_fail (ld, "'%s' is not an array", key);
        return NULL;
    }
    return arr;
}

static int s_load_range (loader_t *ld, const sw_mpv_t *m, range_t *range)
{
    pool_t *pool = &ld->self->pool;
    const char *type = m->type == SW_MPV_MAP ? sw_mpv_str (sw_mpv_get (m, "type")) : NULL;
    if (type && strcmp (type, "SEMVER") == 0)
        range->type = RANGE_SEMVER;
    else if (type && strcmp (type, "ECOSYSTEM") == 0)
        range->type = RANGE_ECOSYSTEM;
    else
        return s_load_fail (ld, "a range has no valid type");
    const sw_mpv_t *events = s_load_array (ld, m, "events");
    if (!events)
        return -1;
    uint32_t nlimits = 0;
    for (uint32_t e = 0; e < events->len; e++) {
        const sw_mpv_t *ev = &events->v.items[e];
        uint64_t kind;
        if (ev->type != SW_MPV_ARRAY || ev->len != 2 ||
            sw_mpv_uint (&ev->v.items[0], EV_COUNT - 1, &kind) || !sw_mpv_str (&ev->v.items[1]) ||
            !ev->v.items[1].len)
            return s_load_fail (ld, "an event is not [kind, version]");
        nlimits += kind == EV_LIMIT;
    }
    range->nlimits = nlimits;
    range->nevents = events->len - nlimits;
    range->events = s_pcalloc (pool, range->nevents, sizeof (event_t));
    range->limits = s_pcalloc (pool, range->nlimits, sizeof (event_t));
    uint32_t ne = 0, nl = 0;
    for (uint32_t e = 0; e < events->len; e++) {
        const sw_mpv_t *ev = &events->v.items[e];
        event_t event = {s_pstrndup (pool, ev->v.items[1].v.s, ev->v.items[1].len),
                         (uint8_t)ev->v.items[0].v.u, 0};
        if (event.kind == EV_INTRODUCED)
            event.special = strcmp (event.version, "0") == 0;
        else if (event.kind == EV_LIMIT)
            event.special = strchr (event.version, '*') != NULL;
        if (event.kind == EV_LIMIT)
            range->limits[nl++] = event;
        else
            range->events[ne++] = event;
    }
    return 0;
}

static int s_load_affected (loader_t *ld, const sw_mpv_t *m, affected_t *aff)
{
    pool_t *pool = &ld->self->pool;
    if (m->type != SW_MPV_MAP)
        return s_load_fail (ld, "an affected entry is not a map");
    aff->ecosystem = s_load_str (ld, m, "ecosystem", OSV_MAX_ECOSYSTEM, false);
    aff->name = aff->ecosystem ? s_load_str (ld, m, "name", OSV_MAX_NAME, false) : NULL;
    if (!aff->name)
        return -1;
    if (!s_printable (aff->ecosystem, strlen (aff->ecosystem), OSV_MAX_ECOSYSTEM) ||
        !s_printable (aff->name, strlen (aff->name), OSV_MAX_NAME))
        return s_load_fail (ld, "an ecosystem or package name has control characters");
    aff->key = s_pool_key (pool, aff->ecosystem, aff->name);
    aff->scheme = sw_vscheme_for (aff->ecosystem);
    const sw_mpv_t *sorted = sw_mpv_get (m, "sorted");
    if (!sorted || sorted->type != SW_MPV_BOOL)
        return s_load_fail (ld, "'sorted' is not a boolean");
    //  Order is trusted, not re-checked (that would parse every version):
    //  a list out of order can only miss a match, never crash one.
    aff->sorted = sorted->v.b && aff->scheme != SW_VS_UNKNOWN;
    const sw_mpv_t *ranges = s_load_array (ld, m, "ranges");
    const sw_mpv_t *versions = ranges ? s_load_array (ld, m, "versions") : NULL;
    if (!versions)
        return -1;
    aff->ranges = s_pcalloc (pool, ranges->len, sizeof (range_t));
    for (uint32_t r = 0; r < ranges->len; r++)
        if (s_load_range (ld, &ranges->v.items[r], &aff->ranges[aff->nranges++]))
            return -1;
    aff->versions = s_pcalloc (pool, versions->len, sizeof (char *));
    for (uint32_t i = 0; i < versions->len; i++) {
        const char *s = sw_mpv_str (&versions->v.items[i]);
        if (!s)
            return s_load_fail (ld, "a version is not a string");
        aff->versions[aff->nversions++] = s_pstrndup (pool, s, versions->v.items[i].len);
    }
    return 0;
}

static int s_load_vuln (loader_t *ld, const sw_mpv_t *m, vuln_t *v)
{
    if (m->type != SW_MPV_MAP)
        return s_load_fail (ld, "not a map");
    v->id = s_load_str (ld, m, "id", OSV_MAX_ID, false);
    if (!v->id)
        return -1;
    if (!s_valid_id (v->id, strlen (v->id)))
        return s_load_fail (ld, "'id' is not an id");
    v->aliases = s_load_str (ld, m, "aliases", SW_MAX_TEXT * 64, true);
    char *summary =
        v->aliases ? (char *)s_load_str (ld, m, "summary", OSV_MAX_SUMMARY, true) : NULL;
    if (!summary)
        return -1;
    sw_text_sanitize (summary, OSV_MAX_SUMMARY);
    v->summary = summary;
    const sw_mpv_t *score = sw_mpv_get (m, "score");
    if (!score || score->type != SW_MPV_FLOAT ||
        !(score->v.f == -1 || (score->v.f >= 0 && score->v.f <= 10)))
        return s_load_fail (ld, "'score' is not -1 or 0-10");
    v->score = score->v.f;
    uint64_t sev;
    if (sw_mpv_uint (sw_mpv_get (m, "severity"), SW_SEV_COUNT - 1, &sev))
        return s_load_fail (ld, "'severity' is not a severity");
    v->severity = (sw_severity_t)sev;
    const sw_mpv_t *affected = s_load_array (ld, m, "affected");
    if (!affected)
        return -1;
    v->affected = s_pcalloc (&ld->self->pool, affected->len, sizeof (affected_t *));
    affected_t *all = s_pcalloc (&ld->self->pool, affected->len, sizeof (affected_t));
    for (uint32_t a = 0; a < affected->len; a++) {
        if (s_load_affected (ld, &affected->v.items[a], &all[a]))
            return -1;
        v->affected[v->naffected++] = &all[a];
    }
    return 0;
}

//  Reads the next bin frame at *pos. Returns 0 with its bytes, or -1.
static int s_next_frame (loader_t *ld, const uint8_t *data, size_t len, size_t *pos,
                         const uint8_t **frame, size_t *flen)
{
    size_t p = *pos;
    if (p >= len)
        return s_load_fail (ld, "truncated");
    uint8_t tag = data[p++];
    int n = tag == 0xc4 ? 1 : tag == 0xc5 ? 2 : tag == 0xc6 ? 4 : 0;
    if (!n)
        return s_load_fail (ld, "not a bin frame");
    if (len - p < (size_t)n)
        return s_load_fail (ld, "truncated frame header");
    size_t size = 0;
    for (int i = 0; i < n; i++)
        size = (size << 8) | data[p++];
    if (len - p < size)
        return s_load_fail (ld, "frame of %zu bytes, %zu left", size, len - p);
    *frame = data + p;
    *flen = size;
    *pos = p + size;
    return 0;
}

sw_osvdb_t *sw_osvdb_load (const uint8_t *data, size_t len, char *err, size_t errlen)
{
    sw_osvdb_t *self = sw_osvdb_new ();
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    loader_t ld = {self, 0, err, errlen};
    size_t pos = 0;
    const uint8_t *frame = NULL;
    size_t flen = 0;
    sw_mpdoc_t doc = {0};
    char why[256];
    uint64_t nvulns = 0, nentries = 0, version = 0;
    if (!data || s_next_frame (&ld, data, len, &pos, &frame, &flen))
        goto fail;
    if (sw_mpdoc_decode (frame, flen, &doc, why, sizeof why)) {
        s_load_fail (&ld, "%s", why);
        goto fail;
    }
    const char *format = sw_mpv_str (sw_mpv_get (doc.root, "format"));
    if (!format || strcmp (format, OSV_SAVE_FORMAT) != 0 ||
        sw_mpv_uint (sw_mpv_get (doc.root, "version"), UINT32_MAX, &version) ||
        version != OSV_SAVE_VERSION || sw_mpv_uint (sw_mpv_get (doc.root, "vulns"), len, &nvulns) ||
        sw_mpv_uint (sw_mpv_get (doc.root, "entries"), UINT32_MAX, &nentries)) {
        s_load_fail (&ld, "not an advisory index of version %d", OSV_SAVE_VERSION);
        goto fail;
    }
    sw_mpdoc_free (&doc);
    size_t cap = 0;
    for (ld.record = 1; ld.record <= nvulns; ld.record++) {
        if (s_next_frame (&ld, data, len, &pos, &frame, &flen))
            goto fail;
        //  Grown as records arrive: the header's count is not trusted
        //  with an allocation.
        if (self->nvulns == cap) {
            cap = cap ? cap * 2 : 1024;
            vuln_t *vulns = realloc (self->vulns, cap * sizeof (vuln_t));
            if (!vulns) {
                s_load_fail (&ld, "out of memory");
                goto fail;
            }
            self->vulns = vulns;
        }
        memset (&self->vulns[self->nvulns], 0, sizeof (vuln_t));
        if (sw_mpdoc_decode (frame, flen, &doc, why, sizeof why)) {
            s_load_fail (&ld, "%s", why);
            goto fail;
        }
        if (s_load_vuln (&ld, doc.root, &self->vulns[self->nvulns++]))
            goto fail;
        sw_mpdoc_free (&doc);
    }
    if (pos != len) {
        s_load_fail (&ld, "%zu bytes after the last record", len - pos);
        goto fail;
    }
    self->finished = true;
    s_build_index (self);
    if (self->nentries != nentries) {
        s_load_fail (&ld, "%zu entries where the header says %llu", self->nentries,
                     (unsigned long long)nentries);
        goto fail;
    }
    return self;
fail:
    sw_mpdoc_free (&doc);
    sw_osvdb_destroy (&self);
    return NULL;
}
