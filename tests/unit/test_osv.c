/*  Tests for sw_osv: CVSS v3 base scores, the OSV range model evaluated
    exactly (every event kind, sorted events, enumerated versions), the
    ecosystems' schemes, alias merging, refused documents, query errors,
    Debian releases, and save/load giving the same answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_osv.h"

//  ---------------------------------------------------------------------
//  Helpers

#define MAX_HITS 16

typedef struct {
    char id[128];
    char aliases[512];
    char summary[256];
    char fixed[512];
    double score;
    sw_severity_t severity;
} hit_t;

typedef struct {
    hit_t hits[MAX_HITS];
    size_t n;
} hits_t;

static void s_collect (void *arg, const sw_osv_match_t *m)
{
    hits_t *hits = arg;
    cr_assert_lt (hits->n, MAX_HITS);
    hit_t *h = &hits->hits[hits->n++];
    snprintf (h->id, sizeof h->id, "%s", m->id);
    snprintf (h->aliases, sizeof h->aliases, "%s", m->aliases);
    snprintf (h->summary, sizeof h->summary, "%s", m->summary);
    snprintf (h->fixed, sizeof h->fixed, "%s", m->fixed);
    h->score = m->score;
    h->severity = m->severity;
}

static sw_osvdb_t *db;

static void s_setup (void)
{
    db = sw_osvdb_new ();
    cr_assert_not_null (db);
}

static void s_teardown (void)
{
    sw_osvdb_destroy (&db);
}

TestSuite (osv, .init = s_setup, .fini = s_teardown);

static void s_add (const char *json)
{
    char err[512] = "";
    int rc = sw_osvdb_add_json (db, "t.json", json, strlen (json), err, sizeof err);
    cr_assert_eq (rc, 1, "add returned %d: %s", rc, err);
}

//  Adds an advisory for one package with one range of one type.
static void s_add_range (const char *id, const char *eco, const char *name, const char *type,
                         const char *events)
{
    char json[4096];
    snprintf (json, sizeof json,
              "{\"id\": \"%s\", \"modified\": \"2024-01-01T00:00:00Z\", \"summary\": \"s %s\", "
              "\"affected\": [{\"package\": {\"ecosystem\": \"%s\", \"name\": \"%s\"}, "
              "\"ranges\": [{\"type\": \"%s\", \"events\": [%s]}]}]}",
              id, id, eco, name, type, events);
    s_add (json);
}

static long s_match_in (sw_osvdb_t *in, const char *eco, const char *name, const char *version,
                        hits_t *hits)
{
    char err[512] = "";
    memset (hits, 0, sizeof *hits);
    long n = sw_osvdb_match (in, eco, name, version, s_collect, hits, err, sizeof err);
    cr_assert_geq (n, 0, "match %s/%s@%s failed: %s", eco, name, version, err);
    cr_assert_eq ((size_t)n, hits->n);
    return n;
}

static long s_match (const char *eco, const char *name, const char *version, hits_t *hits)
{
    return s_match_in (db, eco, name, version, hits);
}

//  Asserts whether version of the package is affected (by anything).
static void s_affected (const char *eco, const char *name, const char *version, bool expected)
{
    hits_t hits;
    long n = s_match (eco, name, version, &hits);
    cr_assert_eq (n > 0, expected, "%s %s@%s: %ld matches, expected %s", eco, name, version, n,
                  expected ? "affected" : "not affected");
}

static void s_refused (const char *json, const char *expected)
{
    char err[512] = "";
    int rc = sw_osvdb_add_json (db, "bad.json", json, strlen (json), err, sizeof err);
    cr_assert_eq (rc, -1, "accepted: %s", json);
    cr_assert (strstr (err, expected), "error '%s' does not say '%s'", err, expected);
    cr_assert (strncmp (err, "bad.json: ", 10) == 0, "error '%s' does not name the document", err);
}

//  ---------------------------------------------------------------------
//  CVSS

static double s_score (const char *vector)
{
    double score = -2;
    char err[256] = "";
    cr_assert_eq (sw_cvss3_score (vector, &score, err, sizeof err), 0, "%s: %s", vector, err);
    return score;
}

Test (osv, cvss_known_vectors)
{
    struct {
        const char *vector;
        double score;
    } cases[] = {
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
        {"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
        {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", 0.0},
        {"AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
        {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
        {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5},
        {"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:N", 2.7},
        {"CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:L", 5.1},
        //  temporal and environmental metrics do not change the base score
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L", 9.8},
        //  order does not matter
        {"CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 9.8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double score = s_score (cases[i].vector);
        cr_assert_float_eq (score, cases[i].score, 1e-9, "%s: %.10g, expected %.1f",
                            cases[i].vector, score, cases[i].score);
    }
}

Test (osv, cvss_bad_vectors_refused)
{
    const char *bad[] = {
        "",
        "CVSS:3.1/",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          //  A missing
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      //  no such value
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",     //  trailing slash
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/Q:Z",  //  unknown metric
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", //  twice
        "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double score = -2;
        char err[256] = "";
        cr_assert_eq (sw_cvss3_score (bad[i], &score, err, sizeof err), -1, "accepted '%s'",
                      bad[i]);
        cr_assert (strstr (err, "CVSS vector"), "error '%s'", err);
    }
    char err[256];
    double score;
    cr_assert_eq (sw_cvss3_score (NULL, &score, err, sizeof err), -1);
}

Test (osv, cvss_severity)
{
    cr_assert_eq (sw_cvss_severity (0.0), SW_SEV_INFO);
    cr_assert_eq (sw_cvss_severity (0.1), SW_SEV_LOW);
    cr_assert_eq (sw_cvss_severity (3.9), SW_SEV_LOW);
    cr_assert_eq (sw_cvss_severity (4.0), SW_SEV_MEDIUM);
    cr_assert_eq (sw_cvss_severity (6.9), SW_SEV_MEDIUM);
    cr_assert_eq (sw_cvss_severity (7.0), SW_SEV_HIGH);
    cr_assert_eq (sw_cvss_severity (8.9), SW_SEV_HIGH);
    cr_assert_eq (sw_cvss_severity (9.0), SW_SEV_CRITICAL);
    cr_assert_eq (sw_cvss_severity (10.0), SW_SEV_CRITICAL);
}

//  ---------------------------------------------------------------------
//  Range events

Test (osv, introduced_only)
{
    s_add_range ("GHSA-aaaa-0001", "npm", "left", "SEMVER", "{\"introduced\": \"1.2.0\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "1.1.9", false);
    s_affected ("npm", "left", "1.2.0-rc.1", false); //  a pre-release is below its release
    s_affected ("npm", "left", "1.2.0", true);
    s_affected ("npm", "left", "99.0.0", true);
}

Test (osv, introduced_zero_and_fixed)
{
    s_add_range ("GHSA-aaaa-0002", "npm", "left", "SEMVER",
                 "{\"introduced\": \"0\"}, {\"fixed\": \"1.0.2\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "0.0.0", true);
    s_affected ("npm", "left", "0.0.1-alpha", true);
    s_affected ("npm", "left", "1.0.1", true);
    s_affected ("npm", "left", "1.0.2-beta.1", true);
    s_affected ("npm", "left", "1.0.2", false); //  exactly at fixed: not affected
    s_affected ("npm", "left", "1.0.3", false);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "1.0.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].id, "GHSA-aaaa-0002");
    cr_assert_str_eq (hits.hits[0].fixed, "1.0.2");
    cr_assert_str_eq (hits.hits[0].summary, "s GHSA-aaaa-0002");
    cr_assert_str_eq (hits.hits[0].aliases, "");
    cr_assert_eq (hits.hits[0].score, -1);
}

Test (osv, introduced_and_fixed)
{
    s_add_range ("GHSA-aaaa-0003", "npm", "left", "SEMVER",
                 "{\"introduced\": \"1.0.0\"}, {\"fixed\": \"1.4.0\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "0.9.9", false);
    s_affected ("npm", "left", "1.0.0", true); //  exactly at introduced: affected
    s_affected ("npm", "left", "1.3.99", true);
    s_affected ("npm", "left", "1.4.0", false);
    s_affected ("npm", "left", "1.4.0+build.7", false); //  build metadata is ignored
    s_affected ("npm", "left", "v1.2.0", true);         //  npm's leading v
}

Test (osv, introduced_and_last_affected)
{
    s_add_range ("GHSA-aaaa-0004", "npm", "left", "SEMVER",
                 "{\"introduced\": \"0\"}, {\"last_affected\": \"2.1.214\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "2.1.213", true);
    s_affected ("npm", "left", "2.1.214", true); //  exactly at last_affected: affected
    s_affected ("npm", "left", "2.1.215-rc.1", false);
    s_affected ("npm", "left", "2.1.215", false);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "1.0.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, ""); //  last_affected is not a fix
}

Test (osv, introduced_and_limit)
{
    s_add_range ("GHSA-aaaa-0005", "npm", "left", "SEMVER",
                 "{\"introduced\": \"1.0.0\"}, {\"limit\": \"2.0.0\"}");
    s_add_range ("GHSA-aaaa-0006", "npm", "right", "SEMVER",
                 "{\"introduced\": \"1.0.0\"}, {\"limit\": \"*\"}");
    //  Two limits: below either of them is inside.
    s_add_range ("GHSA-aaaa-0007", "npm", "up", "SEMVER",
                 "{\"introduced\": \"1.0.0\"}, {\"limit\": \"1.5.0\"}, {\"limit\": \"3.0.0\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "0.5.0", false);
    s_affected ("npm", "left", "1.0.0", true);
    s_affected ("npm", "left", "1.9.9", true);
    s_affected ("npm", "left", "2.0.0", false);
    s_affected ("npm", "left", "3.0.0", false);
    s_affected ("npm", "right", "0.9.0", false);
    s_affected ("npm", "right", "999.0.0", true); //  "*" is infinity
    s_affected ("npm", "up", "2.5.0", true);
    s_affected ("npm", "up", "3.0.0", false);
}

Test (osv, multiple_pairs_in_one_range)
{
    //  Written out of order: evaluation sorts the events first.
    s_add_range ("GHSA-aaaa-0008", "npm", "left", "SEMVER",
                 "{\"introduced\": \"3.0.0\"}, {\"fixed\": \"1.0.2\"}, {\"fixed\": \"3.2.5\"}, "
                 "{\"introduced\": \"1.0.0\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "0.9.0", false);
    s_affected ("npm", "left", "1.0.0", true);
    s_affected ("npm", "left", "1.0.1", true);
    s_affected ("npm", "left", "1.0.2", false);
    s_affected ("npm", "left", "2.9.9", false);
    s_affected ("npm", "left", "3.0.0", true);
    s_affected ("npm", "left", "3.2.4", true);
    s_affected ("npm", "left", "3.2.5", false);
    s_affected ("npm", "left", "4.0.0", false);
    //  The fixes offered are those above the version: 1.0.2 would be a
    //  downgrade from 3.1.0.
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "3.1.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "3.2.5");
    cr_assert_eq (s_match ("npm", "left", "1.0.1", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "1.0.2,3.2.5");
}

Test (osv, many_pairs_written_backwards)
{
    //  [k.0.0, k.1.0) for k = 1..25, listed last pair first.
    char events[4096] = "";
    for (int k = 25; k >= 1; k--) {
        char pair[128];
        snprintf (pair, sizeof pair, "%s{\"fixed\": \"%d.1.0\"}, {\"introduced\": \"%d.0.0\"}",
                  k == 25 ? "" : ", ", k, k);
        strcat (events, pair);
    }
    s_add_range ("GHSA-aaaa-0021", "npm", "left", "SEMVER", events);
    sw_osvdb_finish (db);
    for (int k = 1; k <= 25; k++) {
        char v[32];
        snprintf (v, sizeof v, "%d.0.5", k);
        s_affected ("npm", "left", v, true);
        snprintf (v, sizeof v, "%d.1.0", k);
        s_affected ("npm", "left", v, false);
        snprintf (v, sizeof v, "%d.9.0", k);
        s_affected ("npm", "left", v, false);
    }
    s_affected ("npm", "left", "0.9.0", false);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "24.0.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "24.1.0,25.1.0");
}

Test (osv, several_ranges_and_fixed_deduped)
{
    s_add ("{\"id\": \"GHSA-aaaa-0009\", \"modified\": \"2024-01-01T00:00:00Z\", "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left\"}, "
           "\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"1.0.0\"}, "
           "{\"fixed\": \"1.5.0\"}]}, {\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
           "\"1.2.0\"}, {\"fixed\": \"1.5.0\"}]}, {\"type\": \"GIT\", \"repo\": "
           "\"https://example.com/r\", \"events\": [{\"introduced\": \"abc\"}]}]}]}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "1.3.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "1.5.0");
    s_affected ("npm", "left", "0.1.0", false); //  the GIT range is not evaluated
}

Test (osv, versions_list_only)
{
    s_add ("{\"id\": \"PYSEC-2024-1\", \"modified\": \"2024-01-01T00:00:00Z\", "
           "\"details\": \"\\n  First line.\\nSecond line.\", "
           "\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"Foo_Bar\"}, "
           "\"versions\": [\"2.0\", \"1.0\", \"1.1rc1\", \"not a version!\"]}]}");
    sw_osvdb_finish (db);
    s_affected ("PyPI", "foo-bar", "1.0", true);
    s_affected ("PyPI", "foo-bar", "1.0.0", true); //  equal in PEP 440
    s_affected ("PyPI", "FOO.bar", "1.1rc1", true);
    s_affected ("PyPI", "foo-bar", "1.1.0rc1", true);
    s_affected ("PyPI", "foo-bar", "1.1", false);
    s_affected ("PyPI", "foo-bar", "2", true);
    s_affected ("PyPI", "foo-bar", "3.0", false);
    hits_t hits;
    cr_assert_eq (s_match ("PyPI", "foo_bar", "1.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].summary, "First line.");
    cr_assert_str_eq (hits.hits[0].fixed, "");
    cr_assert_eq (hits.hits[0].severity, SW_SEV_MEDIUM); //  neither score nor rating
}

Test (osv, ecosystem_vs_semver_ranges)
{
    //  ECOSYSTEM in PyPI compares with PEP 440: 1.0 == 1.0.0, rc before release.
    s_add_range ("PYSEC-2024-2", "PyPI", "pkg", "ECOSYSTEM",
                 "{\"introduced\": \"1.0\"}, {\"fixed\": \"2.0rc1\"}");
    //  SEMVER in npm: pre-releases order by semver precedence.
    s_add_range ("GHSA-aaaa-0010", "npm", "pkg", "SEMVER",
                 "{\"introduced\": \"1.0.0-alpha.2\"}, {\"fixed\": \"1.0.0-beta\"}");
    //  ECOSYSTEM in npm is npm's scheme, semver too.
    s_add_range ("GHSA-aaaa-0011", "npm", "eco", "ECOSYSTEM",
                 "{\"introduced\": \"2.0.0\"}, {\"fixed\": \"2.0.10\"}");
    sw_osvdb_finish (db);
    s_affected ("PyPI", "pkg", "0.9", false);
    s_affected ("PyPI", "pkg", "1.0.0", true);
    s_affected ("PyPI", "pkg", "1.99", true);
    s_affected ("PyPI", "pkg", "2.0b5", true);
    s_affected ("PyPI", "pkg", "2.0rc1", false);
    s_affected ("PyPI", "pkg", "2.0", false);
    s_affected ("npm", "pkg", "1.0.0-alpha.1", false);
    s_affected ("npm", "pkg", "1.0.0-alpha.2", true);
    s_affected ("npm", "pkg", "1.0.0-alpha.10", true); //  numeric identifiers numerically
    s_affected ("npm", "pkg", "1.0.0-alpha.beta", true);
    s_affected ("npm", "pkg", "1.0.0-beta", false);
    s_affected ("npm", "pkg", "1.0.0", false);
    s_affected ("npm", "eco", "2.0.9", true); //  2.0.9 < 2.0.10, not as strings
    s_affected ("npm", "eco", "2.0.10", false);
}

Test (osv, go_ranges)
{
    //  Go's OSV ranges are SEMVER without the 'v' that go.mod writes.
    s_add_range ("GO-2024-0001", "Go", "golang.org/x/net", "SEMVER",
                 "{\"introduced\": \"0\"}, {\"fixed\": \"0.17.0\"}");
    sw_osvdb_finish (db);
    s_affected ("Go", "golang.org/x/net", "v0.16.0", true);
    s_affected ("Go", "golang.org/x/net", "v0.0.0-20220314234659-1baeb1ce4c0b", true);
    s_affected ("Go", "golang.org/x/net", "v0.17.0", false);
    s_affected ("Go", "golang.org/x/net", "0.17.1", false);
    s_affected ("Go", "golang.org/x/Net", "v0.16.0", false); //  names are exact
}

Test (osv, equal_versions_keep_document_order)
{
    //  introduced and fixed at one version: an empty range.
    s_add_range ("GHSA-aaaa-0012", "npm", "left", "SEMVER",
                 "{\"introduced\": \"1.0.0\"}, {\"fixed\": \"1.0.0\"}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "1.0.0", false);
    s_affected ("npm", "left", "2.0.0", false);
}

Test (osv, unparsable_advisory_versions_skip_their_range)
{
    s_add ("{\"id\": \"GHSA-aaaa-0013\", \"modified\": \"2024-01-01T00:00:00Z\", "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left\"}, "
           "\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
           "{\"fixed\": \"1.x\"}]}, {\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
           "\"2.0.0\"}, {\"fixed\": \"2.1.0\"}]}], \"versions\": [\"junk\", \"5.0.0\"]}]}");
    sw_osvdb_finish (db);
    s_affected ("npm", "left", "0.5.0", false); //  its range was dropped, not guessed
    s_affected ("npm", "left", "2.0.5", true);
    s_affected ("npm", "left", "5.0.0", true);
    s_affected ("npm", "left", "6.0.0", false);
}

//  ---------------------------------------------------------------------
//  Documents

Test (osv, withdrawn_ignored)
{
    const char *json =
        "{\"id\": \"GHSA-aaaa-0014\", \"modified\": \"2024-01-01T00:00:00Z\", "
        "\"withdrawn\": \"2024-02-01T00:00:00Z\", \"affected\": [{\"package\": {\"ecosystem\": "
        "\"npm\", \"name\": \"left\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": "
        "[{\"introduced\": \"0\"}]}]}]}";
    char err[256] = "";
    cr_assert_eq (sw_osvdb_add_json (db, "w.json", json, strlen (json), err, sizeof err), 0);
    sw_osvdb_finish (db);
    cr_assert_eq (sw_osvdb_size (db), 0);
    s_affected ("npm", "left", "1.0.0", false);
}

Test (osv, aliases_merged)
{
    //  GitHub's advisory and the NVD's record of one vulnerability.
    s_add ("{\"id\": \"GHSA-xxxx-yyyy-zzzz\", \"modified\": \"2024-01-01T00:00:00Z\", "
           "\"aliases\": [\"CVE-2024-1000\"], \"summary\": \"Prototype pollution in left\", "
           "\"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
           "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N\"}], "
           "\"database_specific\": {\"severity\": \"MODERATE\"}, "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left\"}, "
           "\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
           "{\"fixed\": \"1.2.0\"}]}]}]}");
    s_add ("{\"id\": \"CVE-2024-1000\", \"modified\": \"2024-01-02T00:00:00Z\", "
           "\"aliases\": [\"GHSA-xxxx-yyyy-zzzz\"], \"summary\": \"NVD text\", "
           "\"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
           "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left\"}, "
           "\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
           "{\"fixed\": \"1.2.0\"}]}]}]}");
    //  A third record that only the CVE links: merged transitively.
    s_add ("{\"id\": \"DEBIAN-CVE-2024-1000\", \"modified\": \"2024-01-03T00:00:00Z\", "
           "\"upstream\": [\"CVE-2024-1000\"], \"aliases\": [\"CVE-2024-1000\"], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": "
           "\"node-left\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
           "[{\"introduced\": \"0\"}, {\"fixed\": \"1.2.0-1\"}]}]}]}");
    //  Unrelated.
    s_add_range ("GHSA-aaaa-0015", "npm", "left", "SEMVER",
                 "{\"introduced\": \"1.1.0\"}, {\"fixed\": \"1.1.5\"}");
    sw_osvdb_finish (db);
    cr_assert_eq (sw_osvdb_size (db), 2);
    cr_assert_eq (sw_osvdb_entries (db), 4);

    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "1.0.0", &hits), 1);
    hit_t *h = &hits.hits[0];
    cr_assert_str_eq (h->id, "GHSA-xxxx-yyyy-zzzz");
    cr_assert_str_eq (h->aliases, "CVE-2024-1000,DEBIAN-CVE-2024-1000");
    cr_assert_str_eq (h->summary, "Prototype pollution in left");
    cr_assert_float_eq (h->score, 9.8, 1e-9); //  the highest of the members
    cr_assert_eq (h->severity, SW_SEV_CRITICAL);
    cr_assert_str_eq (h->fixed, "1.2.0");

    cr_assert_eq (s_match ("npm", "left", "1.1.1", &hits), 2);
    cr_assert_str_eq (hits.hits[0].id, "GHSA-aaaa-0015");
    cr_assert_str_eq (hits.hits[1].id, "GHSA-xxxx-yyyy-zzzz");

    cr_assert_eq (s_match ("Debian:12", "node-left", "1.1.0-3", &hits), 1);
    cr_assert_str_eq (hits.hits[0].id, "GHSA-xxxx-yyyy-zzzz");
    cr_assert_str_eq (hits.hits[0].fixed, "1.2.0-1");
}

Test (osv, preferred_ids)
{
    //  PYSEC before CVE; CVE before other databases' ids.
    s_add ("{\"id\": \"CVE-2024-2000\", \"modified\": \"x\", \"aliases\": [\"PYSEC-2024-9\"], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"p\"}, "
           "\"versions\": [\"1.0\"]}]}");
    s_add ("{\"id\": \"OSV-2024-5\", \"modified\": \"x\", \"aliases\": [\"CVE-2024-3000\"], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"p\"}, "
           "\"versions\": [\"1.0\"]}]}");
    s_add ("{\"id\": \"OSV-2024-7\", \"modified\": \"x\", \"aliases\": [\"BIT-2\", \"BIT-10\"], "
           "\"database_specific\": {\"severity\": \"HIGH\"}, "
           "\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"p\"}, "
           "\"versions\": [\"1.0\"]}]}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("PyPI", "p", "1.0", &hits), 3);
    //  Reported in order of id.
    cr_assert_str_eq (hits.hits[0].id, "BIT-10");
    cr_assert_str_eq (hits.hits[0].aliases, "BIT-2,OSV-2024-7");
    cr_assert_eq (hits.hits[0].severity, SW_SEV_HIGH); //  the rating, without a score
    cr_assert_eq (hits.hits[0].score, -1);
    cr_assert_str_eq (hits.hits[1].id, "CVE-2024-3000");
    cr_assert_str_eq (hits.hits[1].aliases, "OSV-2024-5");
    cr_assert_str_eq (hits.hits[2].id, "PYSEC-2024-9");
    cr_assert_str_eq (hits.hits[2].aliases, "CVE-2024-2000");
}

Test (osv, summary_of_a_member_that_has_one)
{
    s_add ("{\"id\": \"GHSA-aaaa-0022\", \"modified\": \"x\", \"aliases\": [\"CVE-2024-5000\"], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, "
           "\"versions\": [\"1.0.0\"]}]}");
    s_add ("{\"id\": \"CVE-2024-5000\", \"modified\": \"x\", \"summary\": \"NVD text\\u001b[2J\"}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "a", "1.0.0", &hits), 1);
    cr_assert_str_eq (hits.hits[0].id, "GHSA-aaaa-0022");
    cr_assert_str_eq (hits.hits[0].summary, "NVD text?[2J"); //  control characters defused
}

Test (osv, same_id_twice_latest_wins)
{
    s_add ("{\"id\": \"GHSA-aaaa-0016\", \"modified\": \"2024-03-01T00:00:00Z\", "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, "
           "\"versions\": [\"2.0.0\"]}]}");
    s_add ("{\"id\": \"GHSA-aaaa-0016\", \"modified\": \"2024-01-01T00:00:00Z\", "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, "
           "\"versions\": [\"1.0.0\"]}]}");
    sw_osvdb_finish (db);
    cr_assert_eq (sw_osvdb_size (db), 1);
    s_affected ("npm", "a", "2.0.0", true);
    s_affected ("npm", "a", "1.0.0", false);
}

Test (osv, one_report_per_vulnerability)
{
    //  Two affected entries for one package both match: one callback, the
    //  fixes of both.
    s_add ("{\"id\": \"GHSA-aaaa-0017\", \"modified\": \"x\", \"affected\": ["
           "{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, \"ranges\": [{\"type\": "
           "\"SEMVER\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"1.0.5\"}]}]}, "
           "{\"package\": {\"ecosystem\": \"npm\", \"name\": \"a\"}, \"ranges\": [{\"type\": "
           "\"SEMVER\", \"events\": [{\"introduced\": \"1.0.0\"}, {\"fixed\": \"1.0.7\"}]}], "
           "\"versions\": [\"1.0.1\"]}]}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "a", "1.0.1", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "1.0.5,1.0.7");
}

Test (osv, invalid_documents_refused)
{
    s_refused ("{", "line 1");
    s_refused ("[]", "not a JSON object");
    s_refused ("{\"modified\": \"x\"}", "'id' is missing");
    s_refused ("{\"id\": \"bad id\", \"modified\": \"x\"}", "'id' is not an id");
    s_refused ("{\"id\": \"\", \"modified\": \"x\"}", "'id' is not an id");
    s_refused ("{\"id\": 5, \"modified\": \"x\"}", "'id' is not an id");
    s_refused ("{\"id\": \"A-1\"}", "'modified'");
    s_refused ("{\"id\": \"A-1\", \"modified\": 3}", "'modified'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"aliases\": \"CVE-1\"}",
               "'aliases' is not an array");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"aliases\": [\"ok\", 3]}", "'aliases[1]'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"summary\": 3}", "'summary'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": {}}", "'affected'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\"}}]}",
               "'affected[0].package.name'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{}, {\"package\": "
               "{\"name\": \"n\"}}]}",
               "'affected[1].package.ecosystem'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}, \"ranges\": [{\"type\": \"SEMVER\", "
               "\"events\": [{\"introduced\": \"0\"}, {\"fixd\": \"1.0.0\"}]}]}]}",
               "'affected[0].ranges[0].events[1]' has no introduced/fixed/last_affected/limit");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}}, {\"package\": {\"ecosystem\": "
               "\"npm\", \"name\": \"n\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": "
               "[{\"introduced\": \"0\", \"fixed\": \"1.0.0\"}]}]}]}",
               "'affected[1].ranges[0].events[0]' has both introduced and fixed");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}, \"ranges\": [{\"type\": \"RANGE\", "
               "\"events\": [{\"introduced\": \"0\"}]}]}]}",
               "'affected[0].ranges[0]' has unknown type 'RANGE'");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}, \"ranges\": [{\"type\": \"SEMVER\", "
               "\"events\": [{\"fixed\": \"1.0.0\"}]}]}]}",
               "'affected[0].ranges[0].events' has no introduced event");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}, \"ranges\": [{\"type\": \"SEMVER\"}]}]}",
               "'affected[0].ranges[0].events' is not a non-empty array");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"affected\": [{\"package\": "
               "{\"ecosystem\": \"npm\", \"name\": \"n\"}, \"versions\": [1]}]}",
               "'affected[0].versions[0]' is not a string");
    s_refused ("{\"id\": \"A-1\", \"modified\": \"x\", \"id\": \"A-2\"}", "duplicate");

    //  Refused documents leave nothing behind.
    sw_osvdb_finish (db);
    cr_assert_eq (sw_osvdb_size (db), 0);
    cr_assert_eq (sw_osvdb_entries (db), 0);
}

Test (osv, oversized_document_refused)
{
    size_t len = 8 * 1024 * 1024 + 1;
    char *big = malloc (len);
    cr_assert_not_null (big);
    memset (big, ' ', len);
    char err[256] = "";
    cr_assert_eq (sw_osvdb_add_json (db, "big.json", big, len, err, sizeof err), -1);
    cr_assert (strstr (err, "larger than 8 MiB"), "%s", err);
    free (big);
}

Test (osv, severity_sources)
{
    //  A per-package CVSS vector counts; an unscored vector is ignored.
    s_add ("{\"id\": \"GHSA-aaaa-0018\", \"modified\": \"x\", \"severity\": [{\"type\": "
           "\"CVSS_V3\", \"score\": \"garbage\"}, {\"type\": \"CVSS_V4\", \"score\": "
           "\"CVSS:4.0/AV:N\"}], \"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": "
           "\"a\"}, \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
           "\"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H\"}], \"versions\": [\"1.0.0\"]}]}");
    s_add ("{\"id\": \"GHSA-aaaa-0019\", \"modified\": \"x\", \"affected\": [{\"package\": "
           "{\"ecosystem\": \"npm\", \"name\": \"a\"}, \"database_specific\": {\"severity\": "
           "\"LOW\"}, \"versions\": [\"1.0.0\"]}]}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "a", "1.0.0", &hits), 2);
    cr_assert_float_eq (hits.hits[0].score, 5.5, 1e-9);
    cr_assert_eq (hits.hits[0].severity, SW_SEV_MEDIUM);
    cr_assert_eq (hits.hits[1].score, -1);
    cr_assert_eq (hits.hits[1].severity, SW_SEV_LOW);
}

//  ---------------------------------------------------------------------
//  Queries

Test (osv, query_errors)
{
    s_add_range ("GHSA-aaaa-0020", "npm", "left", "SEMVER", "{\"introduced\": \"0\"}");
    s_add_range ("MAVEN-1", "Maven", "org.x:y", "ECOSYSTEM", "{\"introduced\": \"0\"}");
    sw_osvdb_finish (db);
    char err[256] = "";
    cr_assert_eq (sw_osvdb_match (db, "Maven", "org.x:y", "1.0", s_collect, NULL, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "Maven") && strstr (err, "no known version scheme"), "%s", err);
    cr_assert_eq (sw_osvdb_match (db, "npm", "left", "1.x", s_collect, NULL, err, sizeof err), -1);
    cr_assert (strstr (err, "version '1.x' of npm package 'left' does not parse: "), "%s", err);
    //  Even for a package no advisory names.
    cr_assert_eq (sw_osvdb_match (db, "npm", "other", "", s_collect, NULL, err, sizeof err), -1);
    cr_assert_eq (
        sw_osvdb_match (db, "PyPI", "x", "not!a!version", s_collect, NULL, err, sizeof err), -1);
    hits_t hits;
    cr_assert_eq (s_match ("npm", "unknown", "1.0.0", &hits), 0);
}

Test (osv, not_finished)
{
    char err[256] = "";
    cr_assert_eq (sw_osvdb_match (db, "npm", "a", "1.0.0", s_collect, NULL, err, sizeof err), -1);
    sw_osvdb_finish (db);
    cr_assert_eq (sw_osvdb_add_json (db, "late.json", "{}", 2, err, sizeof err), -1);
}

Test (osv, debian_releases)
{
    s_add ("{\"id\": \"DSA-5000-1\", \"modified\": \"x\", \"aliases\": [\"CVE-2024-4000\"], "
           "\"affected\": ["
           "{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"3.0.11-1~deb12u2\"}]}]}, "
           "{\"package\": {\"ecosystem\": \"Debian:11\", \"name\": \"openssl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"1.1.1w-0+deb11u1\"}]}]}]}");
    //  An advisory without a release applies to every release.
    s_add_range ("DEBIAN-9", "Debian", "openssl", "ECOSYSTEM",
                 "{\"introduced\": \"1:0\"}, {\"fixed\": \"1:1.0\"}");
    sw_osvdb_finish (db);
    hits_t hits;
    cr_assert_eq (s_match ("Debian:12", "openssl", "3.0.11-1~deb12u1", &hits), 1);
    cr_assert_str_eq (hits.hits[0].id, "DSA-5000-1");
    cr_assert_str_eq (hits.hits[0].fixed, "3.0.11-1~deb12u2");
    cr_assert_eq (s_match ("Debian:12", "openssl", "3.0.11-1~deb12u2", &hits), 0);
    cr_assert_eq (s_match ("Debian:12", "openssl", "3.0.11-1", &hits), 0); //  ~ sorts before
    //  Debian 11's fix does not clear Debian 12, nor the other way round.
    cr_assert_eq (s_match ("Debian:11", "openssl", "1.1.1w-0+deb11u1", &hits), 0);
    cr_assert_eq (s_match ("Debian:11", "openssl", "1.1.1v-0+deb11u1", &hits), 1);
    cr_assert_eq (s_match ("Debian:10", "openssl", "1.1.1n-0+deb10u3", &hits), 0);
    //  Without a release: every release's entries, one report, both fixes.
    cr_assert_eq (s_match ("Debian", "openssl", "1.1.1n-0+deb10u3", &hits), 1);
    cr_assert_str_eq (hits.hits[0].fixed, "3.0.11-1~deb12u2,1.1.1w-0+deb11u1");
    cr_assert_eq (s_match ("Debian", "openssl", "3.0.11-1~deb12u2", &hits), 0);
    //  The release-less advisory, with epochs (1:0.9 is above every
    //  version without an epoch, so above the DSA's fixes).
    cr_assert_eq (s_match ("Debian:12", "openssl", "1:0.9", &hits), 1);
    cr_assert_str_eq (hits.hits[0].id, "DEBIAN-9");
    cr_assert_str_eq (hits.hits[0].fixed, "1:1.0");
    cr_assert_eq (s_match ("Debian:13", "openssl", "1:0.9", &hits), 1);
    cr_assert_eq (s_match ("Debian:13", "openssl", "0.9", &hits), 0);
}

Test (osv, apk_and_release_qualifiers)
{
    s_add_range ("ALPINE-CVE-1", "Alpine:v3.18", "musl", "ECOSYSTEM",
                 "{\"introduced\": \"0\"}, {\"fixed\": \"1.2.4-r1\"}");
    sw_osvdb_finish (db);
    s_affected ("Alpine:v3.18", "musl", "1.2.4-r0", true);
    s_affected ("Alpine:v3.18", "musl", "1.2.4-r1", false);
    s_affected ("Alpine", "musl", "1.2.3-r5", true);
    s_affected ("Alpine:v3.19", "musl", "1.2.3-r5", false);
    s_affected ("Alpine:v3.1", "musl", "1.2.3-r5", false); //  not a prefix match
}

//  ---------------------------------------------------------------------
//  Save and load

static const char *s_queries[][3] = {
    {"npm", "left", "1.0.0"},
    {"npm", "left", "1.1.1"},
    {"npm", "left", "1.2.0"},
    {"npm", "left", "2.5.0"},
    {"PyPI", "foo-bar", "1.0.0"},
    {"PyPI", "FOO_BAR", "1.1rc1"},
    {"PyPI", "foo-bar", "3"},
    {"Debian:12", "openssl", "3.0.11-1~deb12u1"},
    {"Debian", "openssl", "1.1.1a-1"},
    {"Go", "golang.org/x/net", "v0.16.0"},
    {"Go", "golang.org/x/net", "v0.18.0"},
};

static void s_fill_db (void)
{
    s_add ("{\"id\": \"GHSA-xxxx-yyyy-zzzz\", \"modified\": \"x\", \"aliases\": "
           "[\"CVE-2024-1000\"], \"summary\": \"Prototype pollution\", \"severity\": [{\"type\": "
           "\"CVSS_V3\", \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N\"}], "
           "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left\"}, "
           "\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
           "{\"fixed\": \"1.2.0\"}, {\"introduced\": \"2.0.0\"}, {\"last_affected\": "
           "\"2.5.0\"}, {\"limit\": \"*\"}]}]}]}");
    s_add (
        "{\"id\": \"CVE-2024-1000\", \"modified\": \"x\", \"aliases\": [\"GHSA-xxxx-yyyy-zzzz\"]}");
    s_add_range ("GHSA-aaaa-0015", "npm", "left", "SEMVER",
                 "{\"introduced\": \"1.1.0\"}, {\"fixed\": \"1.1.5\"}");
    s_add ("{\"id\": \"PYSEC-2024-1\", \"modified\": \"x\", \"database_specific\": "
           "{\"severity\": \"CRITICAL\"}, \"affected\": [{\"package\": {\"ecosystem\": "
           "\"PyPI\", \"name\": \"Foo.Bar\"}, \"versions\": [\"1.0\", \"1.1rc1\"]}]}");
    s_add ("{\"id\": \"DSA-5000-1\", \"modified\": \"x\", \"affected\": ["
           "{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"3.0.11-1~deb12u2\"}]}]}, "
           "{\"package\": {\"ecosystem\": \"Debian:11\", \"name\": \"openssl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"1.1.1w-0+deb11u1\"}]}]}]}");
    s_add_range ("GO-2024-0001", "Go", "golang.org/x/net", "SEMVER",
                 "{\"introduced\": \"0\"}, {\"fixed\": \"0.17.0\"}");
    s_add_range ("MAVEN-1", "Maven", "org.x:y", "ECOSYSTEM", "{\"introduced\": \"0\"}");
    sw_osvdb_finish (db);
}

static void s_assert_same (sw_osvdb_t *a, sw_osvdb_t *b)
{
    cr_assert_eq (sw_osvdb_size (a), sw_osvdb_size (b));
    cr_assert_eq (sw_osvdb_entries (a), sw_osvdb_entries (b));
    for (size_t q = 0; q < sizeof s_queries / sizeof s_queries[0]; q++) {
        hits_t ha, hb;
        long na = s_match_in (a, s_queries[q][0], s_queries[q][1], s_queries[q][2], &ha);
        long nb = s_match_in (b, s_queries[q][0], s_queries[q][1], s_queries[q][2], &hb);
        cr_assert_eq (na, nb, "query %zu", q);
        cr_assert_eq (memcmp (&ha, &hb, sizeof ha), 0, "query %zu differs", q);
    }
}

Test (osv, save_load_round_trip)
{
    s_fill_db ();
    hits_t hits;
    cr_assert_eq (s_match ("npm", "left", "2.5.0", &hits), 1);
    cr_assert_eq (s_match ("npm", "left", "1.1.1", &hits), 2);

    uint8_t *blob = NULL;
    size_t len = 0;
    cr_assert_eq (sw_osvdb_save (db, &blob, &len), 0);
    char err[256] = "";
    sw_osvdb_t *loaded = sw_osvdb_load (blob, len, err, sizeof err);
    cr_assert_not_null (loaded, "%s", err);
    s_assert_same (db, loaded);
    cr_assert_eq (
        sw_osvdb_match (loaded, "Maven", "org.x:y", "1", s_collect, NULL, err, sizeof err), -1);

    //  Saving what was loaded gives the same bytes.
    uint8_t *again = NULL;
    size_t again_len = 0;
    cr_assert_eq (sw_osvdb_save (loaded, &again, &again_len), 0);
    cr_assert_eq (again_len, len);
    cr_assert_eq (memcmp (again, blob, len), 0);
    free (again);
    sw_osvdb_destroy (&loaded);

    //  Every truncation is refused, as is a flipped header or trailing junk.
    for (size_t cut = 0; cut < len; cut++) {
        sw_osvdb_t *bad = sw_osvdb_load (blob, cut, err, sizeof err);
        cr_assert_null (bad, "loaded a blob cut at %zu of %zu", cut, len);
    }
    uint8_t *longer = malloc (len + 1);
    memcpy (longer, blob, len);
    longer[len] = 0xc0;
    cr_assert_null (sw_osvdb_load (longer, len + 1, err, sizeof err));
    cr_assert (strstr (err, "after the last record"), "%s", err);
    free (longer);
    cr_assert_null (sw_osvdb_load ((const uint8_t *)"\xc4\x01\x80", 3, err, sizeof err));
    cr_assert_null (sw_osvdb_load (NULL, 0, err, sizeof err));
    free (blob);
}

Test (osv, load_survives_corruption)
{
    s_fill_db ();
    uint8_t *blob = NULL;
    size_t len = 0;
    cr_assert_eq (sw_osvdb_save (db, &blob, &len), 0);
    //  Flip each byte: either refused or loaded and matchable, never a crash.
    uint8_t *copy = malloc (len);
    for (size_t i = 0; i < len; i++) {
        memcpy (copy, blob, len);
        copy[i] ^= 0x5a;
        char err[256];
        sw_osvdb_t *maybe = sw_osvdb_load (copy, len, err, sizeof err);
        if (maybe) {
            for (size_t q = 0; q < sizeof s_queries / sizeof s_queries[0]; q++)
                sw_osvdb_match (maybe, s_queries[q][0], s_queries[q][1], s_queries[q][2], s_collect,
                                &(hits_t){0}, err, sizeof err);
            sw_osvdb_destroy (&maybe);
        }
    }
    free (copy);
    free (blob);
}

//  ---------------------------------------------------------------------
//  Scale: 100,000 advisories, a 5,000-package inventory

static double s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_count (void *arg, const sw_osv_match_t *m)
{
    (void)m;
    (*(long *)arg)++;
}

Test (osv, scale, .timeout = 120)
{
    const char *ecos[] = {"npm", "PyPI", "Go", "Debian:12"};
    char json[2048];
    char err[256];
    double t0 = s_now ();
    for (int i = 0; i < 100000; i++) {
        int e = i % 4, pkg = (i / 4) % 20000;
        const char *eco = ecos[e];
        char name[64];
        if (e == 2)
            snprintf (name, sizeof name, "example.com/mod%d", pkg);
        else
            snprintf (name, sizeof name, "pkg%d", pkg);
        const char *ranges;
        char ev[512];
        if (e == 0)
            snprintf (ev, sizeof ev,
                      "{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"%d.0.0\"}, "
                      "{\"fixed\": \"%d.2.%d\"}]}",
                      i % 5, i % 5, i % 7);
        else if (e == 1)
            snprintf (ev, sizeof ev,
                      "{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
                      "{\"fixed\": \"%d.%d\"}]}], \"versions\": [\"0.1\", \"0.2\", \"1.0\", "
                      "\"1.1\", \"1.2\", \"2.0\", \"2.1\", \"2.2\", \"3.0\"",
                      i % 4, i % 10);
        else if (e == 2)
            snprintf (ev, sizeof ev,
                      "{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, "
                      "{\"fixed\": \"0.%d.0\"}]}",
                      i % 30);
        else
            snprintf (ev, sizeof ev,
                      "{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
                      "{\"fixed\": \"1.%d-1+deb12u1\"}]}",
                      i % 9);
        ranges = ev;
        int n =
            snprintf (json, sizeof json,
                      "{\"id\": \"GHSA-%06d\", \"modified\": \"x\", \"aliases\": "
                      "[\"CVE-2024-%d\"], \"summary\": \"s\", \"severity\": [{\"type\": "
                      "\"CVSS_V3\", \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}"
                      "], \"affected\": [{\"package\": {\"ecosystem\": \"%s\", \"name\": "
                      "\"%s\"}, \"ranges\": [%s]}]}",
                      i, i, eco, name, ranges);
        cr_assert_eq (sw_osvdb_add_json (db, "g.json", json, (size_t)n, err, sizeof err), 1, "%s",
                      err);
    }
    double t1 = s_now ();
    sw_osvdb_finish (db);
    double t2 = s_now ();
    cr_assert_eq (sw_osvdb_size (db), 100000);

    uint8_t *blob = NULL;
    size_t len = 0;
    cr_assert_eq (sw_osvdb_save (db, &blob, &len), 0);
    double t3 = s_now ();
    sw_osvdb_t *loaded = sw_osvdb_load (blob, len, err, sizeof err);
    double t4 = s_now ();
    cr_assert_not_null (loaded, "%s", err);
    cr_assert_eq (sw_osvdb_size (loaded), 100000);

    //  An inventory of 5,000 packages: most with advisories, some not.
    long matches = 0;
    double t5 = s_now ();
    for (int i = 0; i < 5000; i++) {
        int e = i % 4, pkg = (i * 7) % 25000;
        char name[64], version[64];
        if (e == 2)
            snprintf (name, sizeof name, "example.com/mod%d", pkg);
        else
            snprintf (name, sizeof name, "pkg%d", pkg);
        if (e == 0)
            snprintf (version, sizeof version, "%d.1.0", i % 6);
        else if (e == 1)
            snprintf (version, sizeof version, "%d.%d", i % 4, i % 3);
        else if (e == 2)
            snprintf (version, sizeof version, "v0.%d.1", i % 40);
        else
            snprintf (version, sizeof version, "1.%d-1", i % 12);
        long n =
            sw_osvdb_match (loaded, ecos[e], name, version, s_count, &matches, err, sizeof err);
        cr_assert_geq (n, 0, "%s", err);
    }
    double t6 = s_now ();
    fprintf (stderr,
             "osv scale: add %.0f ms, finish %.0f ms, save %.0f ms (%zu bytes), load %.0f ms, "
             "match 5k packages %.1f ms (%ld matches)\n",
             (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, len, (t4 - t3) * 1e3,
             (t6 - t5) * 1e3, matches);
    cr_assert_gt (matches, 0);
    free (blob);
    sw_osvdb_destroy (&loaded);
}
