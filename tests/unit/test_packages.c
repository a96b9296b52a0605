/*  Tests for sw_packages: findings of matched packages, the release an
    os-release names, unpinned and unknown versions, unreadable files that
    leave the others scanned, and advisory import from JSON arrays. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sw_packages.h"
#include "sw_testutil.h"

static sw_osvdb_t *s_db;

typedef struct {
    char items[32][512];
    size_t n;
} seen_t;

static void s_keep (void *arg, const sw_finding_t *f)
{
    seen_t *s = arg;
    if (s->n < 32)
        snprintf (s->items[s->n++], sizeof s->items[0], "%s|%s|%s|%s|%s", f->rule, f->resource,
                  f->location, sw_severity_name (f->severity), f->evidence);
}

static void s_add (const char *json)
{
    char err[512];
    cr_assert_eq (sw_osvdb_add_json (s_db, "t.json", json, strlen (json), err, sizeof err), 1, "%s",
                  err);
}

static void s_setup (void)
{
    s_db = sw_osvdb_new ();
    s_add ("{\"id\": \"GHSA-0001\", \"modified\": \"2024-01-01T00:00:00Z\", \"aliases\": "
           "[\"CVE-1\"], \"summary\": \"bad\", \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
           "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}], \"affected\": [{\"package\": "
           "{\"ecosystem\": \"npm\", \"name\": \"left-pad\"}, \"ranges\": [{\"type\": \"SEMVER\", "
           "\"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"1.3.0\"}]}]}]}");
    s_add ("{\"id\": \"DEB-11\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": "
           "[{\"package\": {\"ecosystem\": \"Debian:11\", \"name\": \"curl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"9.0\"}]}]}]}");
    s_add ("{\"id\": \"DEB-12\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": "
           "[{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"curl\"}, \"ranges\": "
           "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": "
           "\"7.88.1-10\"}]}]}]}");
    sw_osvdb_finish (s_db);
}

static void s_teardown (void)
{
    sw_osvdb_destroy (&s_db);
}

TestSuite (packages, .init = s_setup, .fini = s_teardown);

static bool s_starts (const char *s, const char *prefix)
{
    return strncmp (s, prefix, strlen (prefix)) == 0;
}

static seen_t s_run (const sw_input_file_t *files, size_t n)
{
    seen_t seen = {.n = 0};
    sw_packages_stats_t stats = {0};
    sw_packages_run ((const sw_osvdb_t *const *)&s_db, 1, files, n, "db-1", s_keep, &seen, &stats);
    return seen;
}

static const char *s_lock = "{\"lockfileVersion\": 3, \"packages\": {\"\": {}, "
                            "\"node_modules/left-pad\": {\"version\": \"1.1.0\"}}}";

Test (packages, a_matched_package_is_one_finding_with_what_fixes_it)
{
    sw_input_file_t f = {"app/package-lock.json", s_lock, strlen (s_lock)};
    seen_t s = s_run (&f, 1);
    cr_assert_eq (s.n, 1);
    cr_assert (strstr (s.items[0], "GHSA-0001|pkg:npm/left-pad@1.1.0|app/package-lock.json|"
                                   "critical|installed 1.1.0; aliases: CVE-1; CVSS score 9.8; "
                                   "fixed in: 1.3.0") == s.items[0],
               "%s", s.items[0]);
}

static const char *s_status = "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-9\n";

Test (packages, an_os_release_confines_a_host_to_its_release)
{
    const char *osr = "ID=debian\nVERSION_ID=\"12\"\n";
    sw_input_file_t f[] = {{"h/status", s_status, strlen (s_status)},
                           {"h/os-release", osr, strlen (osr)}};
    seen_t s = s_run (f, 2);
    cr_assert_eq (s.n, 1, "%zu findings", s.n);
    cr_assert (s_starts (s.items[0], "DEB-12|pkg:Debian:12/curl@7.88.1-9|h/status:1|"), "%s",
               s.items[0]);
}

Test (packages, without_an_os_release_every_release_applies)
{
    sw_input_file_t f = {"h/status", s_status, strlen (s_status)};
    seen_t s = s_run (&f, 1);
    cr_assert_eq (s.n, 2, "%zu findings", s.n);
}

Test (packages, unpinned_and_unknown_versions_are_said_not_guessed)
{
    const char *req = "flask>=2.0\nrequests==2.31.0\n";
    const char *bom = "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"purl\": "
                      "\"pkg:maven/org.example/lib@1.0\"}, {\"purl\": \"pkg:npm/left-pad@1.x\"}]}";
    sw_input_file_t f[] = {{"py/requirements.txt", req, strlen (req)},
                           {"sbom/bom.json", bom, strlen (bom)}};
    seen_t s = s_run (f, 2);
    cr_assert_eq (s.n, 3, "%zu findings", s.n);
    cr_assert (
        s_starts (s.items[0], "packages.unpinned|pkg:PyPI/flask@|py/requirements.txt:1|info"), "%s",
        s.items[0]);
    cr_assert (s_starts (s.items[1], "packages.version-unknown|pkg:Maven/org.example:lib@1.0|"),
               "%s", s.items[1]);
    cr_assert (s_starts (s.items[2], "packages.version-unknown|pkg:npm/left-pad@1.x|"), "%s",
               s.items[2]);
}

Test (packages, an_unreadable_file_is_reported_and_the_others_still_scanned)
{
    const char *broken = "{\"lockfileVersion\": 3, \"packages\": {";
    sw_input_file_t f[] = {{"a/package-lock.json", broken, strlen (broken)},
                           {"b/package-lock.json", s_lock, strlen (s_lock)}};
    seen_t s = s_run (f, 2);
    cr_assert_eq (s.n, 2);
    cr_assert (
        s_starts (s.items[0], "packages.input-error|a/package-lock.json|a/package-lock.json|low|"),
        "%s", s.items[0]);
    cr_assert (s_starts (s.items[1], "GHSA-0001|"), "%s", s.items[1]);
}

Test (packages, import_reads_arrays_and_reports_invalid_advisories)
{
    char dir[64];
    cr_assert_not_null (sw_test_mkdtemp (dir, sizeof dir, "sw-pkg-test"));
    char path[128];
    snprintf (path, sizeof path, "%s/all.json", dir);
    FILE *f = fopen (path, "w");
    fputs (
        "[{\"id\": \"A-1\", \"modified\": \"2024-01-01T00:00:00Z\", \"affected\": [{\"package\": "
        "{\"ecosystem\": \"npm\", \"name\": \"x\"}, \"versions\": [\"1.0.0\"]}]},"
        " {\"id\": \"A-2\"}]",
        f);
    fclose (f);
    sw_osvdb_t *db = sw_osvdb_new ();
    size_t invalid = 0;
    char err[256];
    cr_assert_eq (sw_packages_import (db, dir, false, &invalid, err, sizeof err), 1, "%s", err);
    cr_assert_eq (invalid, 1);
    sw_osvdb_destroy (&db);
    sw_test_rmtree (dir);
}

Test (packages, a_newer_part_of_the_database_has_the_last_word)
{
    sw_input_file_t f = {"app/package-lock.json", s_lock, strlen (s_lock)};
    //  The update withdraws GHSA-0001 (a tombstone: its id, nothing
    //  affected) and adds a new advisory under the old one's alias.
    sw_osvdb_t *update = sw_osvdb_new ();
    char err[512];
    const char *stone = "{\"id\": \"GHSA-0001\", \"modified\": \"2024-06-01T00:00:00Z\"}";
    const char *fresh = "{\"id\": \"OSV-2\", \"modified\": \"2024-06-01T00:00:00Z\", \"affected\": "
                        "[{\"package\": {\"ecosystem\": \"npm\", \"name\": \"left-pad\"}, "
                        "\"versions\": [\"1.1.0\"]}]}";
    cr_assert_eq (sw_osvdb_add_json (update, "u.json", stone, strlen (stone), err, sizeof err), 1,
                  "%s", err);
    cr_assert_eq (sw_osvdb_add_json (update, "u.json", fresh, strlen (fresh), err, sizeof err), 1,
                  "%s", err);
    sw_osvdb_finish (update);
    sw_osvdb_index_ids (update);
    const sw_osvdb_t *parts[] = {s_db, update};
    seen_t seen = {.n = 0};
    sw_packages_run (parts, 2, &f, 1, "db-2", s_keep, &seen, NULL);
    cr_assert_eq (seen.n, 1, "%zu findings", seen.n);
    cr_assert (s_starts (seen.items[0], "OSV-2|pkg:npm/left-pad@1.1.0|"), "%s", seen.items[0]);
    //  Without the update, the old advisory stands.
    seen = s_run (&f, 1);
    cr_assert (s_starts (seen.items[0], "GHSA-0001|"), "%s", seen.items[0]);
    sw_osvdb_destroy (&update);
}
