/*  sw_packages - inventories matched against OSV advisories. */
#include "sw_packages.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_blobref.h"
#include "sw_docload.h"
#include "sw_files.h"
#include "sw_pkginv.h"

#define IMPORT_MAX_DOC (8u * 1024 * 1024) //  one advisory document

typedef struct {
    const char *db_version;
    sw_posture_emit_fn *emit;
    void *arg;
    const sw_pkg_t *pkg;
    sw_packages_stats_t *stats;
    const sw_osvdb_t *const *dbs; //  the database's parts, oldest first
    size_t ndbs;
    size_t part; //  the part being matched
} run_t;

//  Does a part newer than the one being matched hold this vulnerability
//  (its id or an alias)? Then the newer part has the last word on it.
static bool s_superseded (const run_t *run, const sw_osv_match_t *m)
{
    for (size_t q = run->part + 1; q < run->ndbs; q++) {
        if (sw_osvdb_knows (run->dbs[q], m->id))
            return true;
        for (const char *p = m->aliases; p && *p;) {
            const char *comma = strchr (p, ',');
            char alias[128];
            snprintf (alias, sizeof alias, "%.*s", comma ? (int)(comma - p) : (int)strlen (p), p);
            if (sw_osvdb_knows (run->dbs[q], alias))
                return true;
            p = comma ? comma + 1 : NULL;
        }
    }
    return false;
}

static char *s_location (const char *file, uint32_t line)
{
    char buf[1200];
    if (line)
        snprintf (buf, sizeof buf, "%s:%u", file, line);
    else
        snprintf (buf, sizeof buf, "%s", file);
    return sw_finding_text (buf);
}

//  Fills the fields every packages finding has, emits it and frees it.
static void s_emit (run_t *run, sw_finding_t *f, const char *file, uint32_t line)
{
    f->scanner = strdup ("packages");
    f->location = s_location (file, line);
    f->bundle = run->db_version ? strdup (run->db_version) : NULL;
    sw_finding_fingerprint (f);
    run->emit (run->arg, f);
    run->stats->findings++;
    sw_finding_clear (f);
}

static char *s_resource (const sw_pkg_t *p)
{
    char buf[1200];
    snprintf (buf, sizeof buf, "pkg:%s/%s@%s", p->ecosystem, p->name, p->version ? p->version : "");
    return sw_finding_text (buf);
}

static void s_on_match (void *arg, const sw_osv_match_t *m)
{
    run_t *run = arg;
    if (s_superseded (run, m))
        return;
    const sw_pkg_t *p = run->pkg;
    char title[600], evidence[1600], remediation[1200], refs[300], score[32] = "unknown";
    if (m->score >= 0)
        snprintf (score, sizeof score, "%.1f", m->score);
    snprintf (title, sizeof title, "%s %s: %s", p->name, p->version,
              m->summary && *m->summary ? m->summary : m->id);
    snprintf (evidence, sizeof evidence, "installed %s; aliases: %s; CVSS score %s; fixed in: %s",
              p->version, *m->aliases ? m->aliases : "none", score,
              *m->fixed ? m->fixed : "no fixed version known");
    if (*m->fixed)
        snprintf (remediation, sizeof remediation,
                  "Upgrade %s to a fixed version (%s) or later, then rebuild what ships it.",
                  p->name, m->fixed);
    else
        snprintf (remediation, sizeof remediation,
                  "No fixed version of %s is known: remove or replace it, or limit its exposure "
                  "until a fix is published.",
                  p->name);
    snprintf (refs, sizeof refs, "https://osv.dev/vulnerability/%s", m->id);
    sw_finding_t f = {.severity = m->severity};
    f.rule = sw_finding_text (m->id);
    f.resource = s_resource (p);
    f.title = sw_finding_text (title);
    f.evidence = sw_finding_text (evidence);
    f.remediation = sw_finding_text (remediation);
    f.references = strdup (refs);
    run->stats->matches++;
    s_emit (run, &f, p->file, p->line);
}

//  A finding about the input itself (severity info or low).
static void s_emit_note (run_t *run, const char *rule, sw_severity_t sev, const char *resource,
                         const char *file, uint32_t line, const char *title, const char *why,
                         const char *remediation)
{
    sw_finding_t f = {.severity = sev};
    f.rule = strdup (rule);
    f.resource = sw_finding_text (resource);
    f.title = strdup (title);
    f.evidence = sw_finding_text (why);
    f.remediation = strdup (remediation);
    s_emit (run, &f, file, line);
}

static void s_match_package (run_t *run, const sw_pkg_t *p)
{
    char err[512];
    run->pkg = p;
    run->stats->packages++;
    if (!p->version) {
        char *res = s_resource (p);
        s_emit_note (run, "packages.unpinned", SW_SEV_INFO, res, p->file, p->line,
                     "Requirement without a pinned version",
                     "no exact version: what gets installed, and so its advisories, is unknown",
                     "Pin the version (==) in a lock or requirements file so it can be audited.");
        free (res);
        return;
    }
    bool unknown = false;
    for (run->part = run->ndbs; run->part-- > 0 && !unknown;)
        unknown = sw_osvdb_match (run->dbs[run->part], p->ecosystem, p->name, p->version,
                                  s_on_match, run, err, sizeof err) < 0;
    if (unknown) {
        char *res = s_resource (p);
        s_emit_note (run, "packages.version-unknown", SW_SEV_INFO, res, p->file, p->line,
                     "Package version could not be compared", err,
                     "Nothing was guessed: check the version or the ecosystem by hand.");
        free (res);
    }
}

static bool s_is_os_release (const char *name)
{
    const char *slash = strrchr (name, '/');
    return strcmp (slash ? slash + 1 : name, "os-release") == 0;
}

bool sw_packages_wants (const char *name, const char *data, size_t len)
{
    return s_is_os_release (name) || sw_pkginv_format (name, data, len) != NULL;
}

//  The value of KEY=value (quotes dropped) in an os-release file, or "".
static void s_os_field (const sw_input_file_t *f, const char *key, char *out, size_t len)
{
    size_t kl = strlen (key);
    out[0] = 0;
    for (const char *p = f->data; p && p < f->data + f->len;) {
        const char *nl = memchr (p, '\n', (size_t)(f->data + f->len - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(f->data + f->len - p);
        if (ll > kl && strncmp (p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t vl = ll - kl - 1;
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                v++;
                vl -= 2;
            }
            snprintf (out, len, "%.*s", (int)vl, v);
            return;
        }
        p = nl ? nl + 1 : NULL;
    }
}

//  The release an os-release file beside the inventories names, as OSV
//  writes it in ecosystems ("Debian:12", "Ubuntu:22.04", "Alpine:v3.18"),
//  so that a host's packages meet only the advisories of its release.
//  Empty when there is no os-release or it names another distribution.
static void s_release (const sw_input_file_t *files, size_t n, char *deb, char *apk, size_t len)
{
    deb[0] = apk[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s_is_os_release (files[i].name))
            continue;
        char id[64], ver[64];
        s_os_field (&files[i], "ID", id, sizeof id);
        s_os_field (&files[i], "VERSION_ID", ver, sizeof ver);
        if (!*ver || strspn (ver, "0123456789.") != strlen (ver))
            continue;
        if (strcmp (id, "debian") == 0)
            snprintf (deb, len, "Debian:%s", ver);
        else if (strcmp (id, "ubuntu") == 0)
            snprintf (deb, len, "Ubuntu:%s", ver);
        else if (strcmp (id, "alpine") == 0) {
            const char *dot = strchr (ver, '.');
            const char *dot2 = dot ? strchr (dot + 1, '.') : NULL;
            snprintf (apk, len, "Alpine:v%.*s", dot2 ? (int)(dot2 - ver) : (int)strlen (ver), ver);
        }
    }
}

//  Qualifies the distribution packages of a set with the release.
static void s_apply_release (sw_pkgset_t *set, const char *deb, const char *apk)
{
    for (size_t k = 0; k < set->n; k++) {
        const char *eco = set->items[k].ecosystem;
        if (*deb && strcmp (eco, "Debian") == 0)
            set->items[k].ecosystem = sw_arena_strdup (set->arena, deb);
        else if (*apk && strcmp (eco, "Alpine") == 0)
            set->items[k].ecosystem = sw_arena_strdup (set->arena, apk);
    }
}

void sw_packages_run (const sw_osvdb_t *const *dbs, size_t ndbs, const sw_input_file_t *files,
                      size_t n, const char *db_version, sw_posture_emit_fn *emit, void *arg,
                      sw_packages_stats_t *stats)
{
    sw_packages_stats_t local = {0};
    run_t run = {db_version, emit, arg, NULL, stats ? stats : &local, dbs, ndbs, 0};
    char deb[80], apk[80];
    s_release (files, n, deb, apk, sizeof deb);
    for (size_t i = 0; i < n; i++) {
        if (s_is_os_release (files[i].name))
            continue;
        run.stats->files++;
        sw_pkgset_t *set = sw_pkgset_new ();
        char err[512] = "";
        long got = -1;
        if (!sw_pkginv_format (files[i].name, files[i].data, files[i].len))
            snprintf (err, sizeof err, "not a package inventory this scanner reads");
        else
            got = sw_pkginv_load (set, files[i].name, files[i].data, files[i].len, err, sizeof err);
        if (got < 0) {
            //  A parser's quote of the input stays out of the finding.
            char *near = strstr (err, " near '");
            if (near)
                *near = 0;
            run.stats->errors++;
            s_emit_note (&run, "packages.input-error", SW_SEV_LOW, files[i].name, files[i].name, 0,
                         "Inventory file could not be read", err,
                         "Fix the file or leave it out of the job; the other files were scanned.");
        }
        s_apply_release (set, deb, apk);
        for (size_t k = 0; k < set->n; k++)
            s_match_package (&run, &set->items[k]);
        sw_pkgset_destroy (&set);
    }
}

// -------------------------------------------------------------------------
//  Import

//  Adds one parsed advisory. A withdrawn one becomes a tombstone (its id
//  and aliases, nothing affected) when asked, so that an update can take
//  it back from older parts of a database.
static int s_add_object (sw_osvdb_t *db, const char *name, json_t *obj, bool tombstones,
                         size_t *invalid)
{
    char err[512];
    json_t *stone = NULL;
    if (tombstones && json_is_object (obj) && json_object_get (obj, "withdrawn")) {
        stone = json_object ();
        const char *keys[] = {"id", "modified", "aliases"};
        for (int k = 0; k < 3; k++)
            if (json_object_get (obj, keys[k]))
                json_object_set (stone, keys[k], json_object_get (obj, keys[k]));
        json_object_set_new (stone, "summary", json_string ("withdrawn"));
    }
    char *one = json_dumps (stone ? stone : obj, JSON_COMPACT);
    json_decref (stone);
    int rc = one ? sw_osvdb_add_json (db, name, one, strlen (one), err, sizeof err) : -1;
    if (rc < 0) {
        fprintf (stderr, "sweepctl: %s\n", one ? err : "out of memory");
        (*invalid)++;
    }
    free (one);
    return rc > 0;
}

//  Adds one JSON text: an advisory, or an array of them.
static long s_import_json (sw_osvdb_t *db, const char *name, const char *data, size_t len,
                           bool tombstones, size_t *invalid)
{
    char err[512];
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    if (!tombstones && (i == len || data[i] != '[')) {
        //  The common case, parsed once by the index itself.
        int rc = sw_osvdb_add_json (db, name, data, len, err, sizeof err);
        if (rc < 0) {
            fprintf (stderr, "sweepctl: %s\n", err);
            (*invalid)++;
        }
        return rc > 0 ? 1 : 0;
    }
    json_error_t jerr;
    json_t *doc = json_loadb (data, len, 0, &jerr);
    if (!doc) {
        fprintf (stderr, "sweepctl: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
        (*invalid)++;
        return 0;
    }
    long added = 0;
    if (json_is_array (doc))
        for (size_t k = 0; k < json_array_size (doc); k++)
            added += s_add_object (db, name, json_array_get (doc, k), tombstones, invalid);
    else
        added += s_add_object (db, name, doc, tombstones, invalid);
    json_decref (doc);
    return added;
}

//  Adds every *.json entry of a zip dump.
static long s_import_zip (sw_osvdb_t *db, const char *path, bool tombstones, size_t *invalid,
                          char *err, size_t errlen)
{
    struct archive *a = archive_read_new ();
    archive_read_support_format_zip (a);
    if (archive_read_open_filename (a, path, 65536) != ARCHIVE_OK) {
        snprintf (err, errlen, "%s: %s", path, archive_error_string (a));
        archive_read_free (a);
        return -1;
    }
    long added = 0;
    struct archive_entry *e;
    char *buf = malloc (IMPORT_MAX_DOC);
    while (buf && archive_read_next_header (a, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname (e);
        size_t nl = name ? strlen (name) : 0;
        if (nl < 5 || strcmp (name + nl - 5, ".json") != 0 ||
            archive_entry_size (e) > (la_int64_t)IMPORT_MAX_DOC)
            continue;
        la_ssize_t got = archive_read_data (a, buf, IMPORT_MAX_DOC);
        if (got < 0) {
            fprintf (stderr, "sweepctl: %s: %s: %s\n", path, name, archive_error_string (a));
            (*invalid)++;
            continue;
        }
        char label[1200];
        snprintf (label, sizeof label, "%s:%s", path, name);
        added += s_import_json (db, label, buf, (size_t)got, tombstones, invalid);
    }
    free (buf);
    archive_read_free (a);
    return added;
}

static bool s_is_import (const char *name)
{
    size_t len = strlen (name);
    return (len > 5 && strcmp (name + len - 5, ".json") == 0) ||
           (len > 4 && strcmp (name + len - 4, ".zip") == 0);
}

long sw_packages_import (sw_osvdb_t *db, const char *path, bool tombstones, size_t *invalid,
                         char *err, size_t errlen)
{
    sw_filelist_t list = {0};
    if (sw_filelist_add (&list, path, s_is_import, SW_BLOB_MAX_SIZE, 10000000, err, errlen)) {
        sw_filelist_clear (&list);
        return -1;
    }
    sw_filelist_finish (&list);
    long added = 0;
    for (size_t i = 0; i < list.n && added >= 0; i++) {
        const char *name = list.names[i];
        size_t len = strlen (name);
        if (len > 4 && strcmp (name + len - 4, ".zip") == 0) {
            long got = s_import_zip (db, name, tombstones, invalid, err, errlen);
            added = got < 0 ? -1 : added + got;
            continue;
        }
        char *data = sw_file_read (name, IMPORT_MAX_DOC * 8, &len, err, errlen);
        if (!data) {
            fprintf (stderr, "sweepctl: %s\n", err);
            (*invalid)++;
            continue;
        }
        added += s_import_json (db, name, data, len, tombstones, invalid);
        free (data);
    }
    sw_filelist_clear (&list);
    return added;
}
