/*  sw_check - the posture scanner in-process, and rule linting/testing. */
#include "sw_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sw_docload.h"
#include "sw_packages.h"
#include "sw_pkginv.h"
#include "sw_posture.h"
#include "sw_probetab.h"
#include "sw_proto.h"

int sw_inputs_collect (sw_filelist_t *self, char *const *paths, size_t npaths, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < npaths; i++)
        if (sw_filelist_add (self, paths[i], NULL, SW_DOC_MAX_BYTES, SW_POSTURE_MAX_FILES, err,
                             errlen))
            return -1;
    sw_filelist_finish (self);
    return 0;
}

// -------------------------------------------------------------------------
//  check

typedef struct {
    sw_finding_t *items;
    size_t n, cap;
} findings_t;

static void s_keep (void *arg, const sw_finding_t *f)
{
    findings_t *fs = arg;
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 64;
        sw_finding_t *items = realloc (fs->items, fs->cap * sizeof (sw_finding_t));
        if (!items)
            abort ();
        fs->items = items;
    }
    if (sw_finding_copy (&fs->items[fs->n], f) == 0)
        fs->n++;
}

//  Runs one group: reads its files and evaluates them.
typedef struct {
    sw_posture_stats_t posture;
    sw_packages_stats_t packages;
} stats_t;

//  Runs one group: reads its files; package inventories go to the
//  packages scanner (when there is an advisory database), the rest to the
//  posture rules (when there are rules).
static void s_run_group (const sw_ruleset_t *rules, const sw_osvdb_t *db, const sw_filelist_t *in,
                         const sw_group_t *g, findings_t *out, stats_t *stats)
{
    sw_input_file_t *files = calloc (g->n ? g->n : 1, sizeof (sw_input_file_t));
    sw_input_file_t *inv = calloc (g->n ? g->n : 1, sizeof (sw_input_file_t));
    char **data = calloc (g->n ? g->n : 1, sizeof (char *));
    if (!files || !inv || !data)
        abort ();
    size_t nfiles = 0, ninv = 0;
    for (size_t i = 0; i < g->n; i++) {
        char err[512];
        sw_input_file_t f = {in->names[g->members[i]], NULL, 0};
        data[i] = sw_file_read (f.name, SW_DOC_MAX_BYTES, &f.len, err, sizeof err);
        f.data = data[i] ? data[i] : "";
        if (!data[i])
            fprintf (stderr, "sweepctl: %s\n", err);
        if (db && sw_packages_wants (f.name, f.data, f.len))
            inv[ninv++] = f;
        else
            files[nfiles++] = f;
    }
    if (rules && nfiles)
        sw_posture_run (rules, g->kind, files, nfiles, NULL, s_keep, out, &stats->posture);
    if (db && ninv)
        sw_packages_run (&db, 1, inv, ninv, NULL, s_keep, out, &stats->packages);
    free (inv);
    for (size_t i = 0; i < g->n; i++)
        free (data[i]);
    free (data);
    free (files);
}

//  Writes one group's findings (sorted) and forgets them, so that memory
//  is bounded by a group, not the estate.
typedef struct {
    FILE *out;
    bool json;
    size_t written;
    sw_severity_t worst;
} writer_t;

static void s_write_group (writer_t *w, findings_t *fs)
{
    if (fs->n)
        qsort (fs->items, fs->n, sizeof (sw_finding_t), sw_finding_order);
    for (size_t i = 0; i < fs->n; i++) {
        const sw_finding_t *f = &fs->items[i];
        if (w->json) {
            fputs (w->written ? ",\n" : "\n", w->out);
            sw_finding_json (w->out, f, true);
        } else
            fprintf (w->out, "%-8s  %-44s  %s (%s)\n", sw_severity_name (f->severity), f->rule,
                     f->resource, f->location);
        if (w->written == 0 || f->severity > w->worst)
            w->worst = f->severity;
        w->written++;
        sw_finding_clear (&fs->items[i]);
    }
    fs->n = 0;
}

static void s_write_head (writer_t *w)
{
    if (w->json)
        fputs ("{\n  \"schema\": \"cloudsweep.check/1\",\n  \"findings\": [", w->out);
    else
        fprintf (w->out, "%-8s  %-44s  %s\n", "SEVERITY", "RULE", "RESOURCE (LOCATION)");
}

static void s_write_tail (writer_t *w, const stats_t *st, size_t files, long groups)
{
    if (w->json)
        fprintf (w->out,
                 "\n  ],\n  \"summary\": {\"files\": %zu, \"groups\": %ld, \"resources\": %zu, "
                 "\"evaluations\": %zu, \"packages\": %zu, \"vulnerable\": %zu, \"findings\": "
                 "%zu, \"input_errors\": %zu}\n}\n",
                 files, groups, st->posture.resources, st->posture.evaluations,
                 st->packages.packages, st->packages.matches, w->written,
                 st->posture.input_errors + st->packages.errors);
}

static sw_ruleset_t *s_load_rules (const char *dir)
{
    char err[1024];
    sw_ruleset_t *rules = sw_ruleset_new ();
    if (rules && sw_ruleset_add_dir (rules, dir, err, sizeof err)) {
        fprintf (stderr, "sweepctl: %s\n", err);
        sw_ruleset_destroy (&rules);
    }
    return rules;
}

//  An advisory database from OSV files, folders or zip dumps.
static sw_osvdb_t *s_load_advisories (const char *path)
{
    char err[1024];
    size_t invalid = 0;
    sw_osvdb_t *db = sw_osvdb_new ();
    if (db && sw_packages_import (db, path, false, &invalid, err, sizeof err) < 0) {
        fprintf (stderr, "sweepctl: %s\n", err);
        sw_osvdb_destroy (&db);
        return NULL;
    }
    sw_osvdb_finish (db);
    if (invalid)
        fprintf (stderr, "sweepctl: %zu invalid advisories left out (see above)\n", invalid);
    return db;
}

int sw_check_run (char *const *paths, size_t npaths, const sw_check_opts_t *opts)
{
    const char *format = opts->format;
    bool json = format && strcmp (format, "json") == 0;
    if (format && !json && strcmp (format, "table")) {
        fprintf (stderr, "sweepctl: check --format is json or table\n");
        return 2;
    }
    sw_severity_t gate = SW_SEV_COUNT;
    if (opts->fail_on)
        sw_severity_parse (opts->fail_on, &gate);
    //  With advisories only, a missing default rules folder is no error.
    struct stat st;
    bool want_rules = !opts->advisories || opts->rules_given || stat (opts->rules_dir, &st) == 0;
    sw_ruleset_t *rules = want_rules ? s_load_rules (opts->rules_dir) : NULL;
    if (want_rules && !rules)
        return 2;
    sw_osvdb_t *db = opts->advisories ? s_load_advisories (opts->advisories) : NULL;
    if (opts->advisories && !db) {
        sw_ruleset_destroy (&rules);
        return 2;
    }
    const char *output = opts->output;
    sw_filelist_t in = {0};
    char err[1024];
    int rc = 2;
    findings_t fs = {0};
    stats_t stats = {0};
    sw_group_t *groups = NULL;
    long ngroups = 0;
    if (sw_inputs_collect (&in, paths, npaths, err, sizeof err)) {
        fprintf (stderr, "sweepctl: %s\n", err);
        goto cleanup;
    }
    FILE *out = output ? fopen (output, "w") : stdout;
    if (!out) {
        fprintf (stderr, "sweepctl: %s: %s\n", output, strerror (errno));
        goto cleanup;
    }
    writer_t w = {out, json, 0, SW_SEV_INFO};
    ngroups = sw_posture_group_inputs ((const char *const *)in.names, in.n,
                                       SW_INPUTS_POSTURE | (db ? SW_INPUTS_PACKAGES : 0), &groups);
    s_write_head (&w);
    for (long g = 0; g < ngroups; g++) {
        s_run_group (rules, db, &in, &groups[g], &fs, &stats);
        s_write_group (&w, &fs);
    }
    s_write_tail (&w, &stats, in.n, ngroups);
    if (out != stdout)
        fclose (out);
    fprintf (stderr, "sweepctl: %zu files, %ld groups, %zu resources, %zu packages, %zu findings\n",
             in.n, ngroups, stats.posture.resources, stats.packages.packages, w.written);
    rc = w.written && w.worst >= gate ? 1 : 0;
cleanup:
    for (size_t i = 0; i < fs.n; i++)
        sw_finding_clear (&fs.items[i]);
    free (fs.items);
    sw_posture_groups_free (groups, ngroups > 0 ? (size_t)ngroups : 0);
    sw_filelist_clear (&in);
    sw_ruleset_destroy (&rules);
    sw_osvdb_destroy (&db);
    return rc;
}

int sw_check_rules (const char *sub, const char *dir, bool json)
{
    bool test = strcmp (sub, "test") == 0;
    if (!test && strcmp (sub, "lint")) {
        fprintf (stderr, "sweepctl: usage: sweepctl rules lint DIR | test DIR\n");
        return 2;
    }
    sw_ruleset_t *rules = s_load_rules (dir);
    if (!rules)
        return 2;
    size_t ntests = 0;
    size_t problems =
        test ? sw_ruleset_test (rules, stderr, &ntests) : sw_ruleset_lint (rules, stderr);
    //  The net scanner's probe table, when the folder has one: it loads
    //  only if every pattern compiles and every example is identified
    char err[1024];
    bool absent;
    sw_probetab_t *tab = sw_probetab_load_rules (dir, &absent, err, sizeof err);
    if (!tab && !absent) {
        fprintf (stderr, "%s\n", err);
        problems++;
    } else if (tab && !json)
        printf ("%s/" SW_PROBETAB_FILE ": %zu probes, %zu matches, examples identified\n", dir,
                sw_probetab_size (tab), sw_probetab_matches (tab));
    sw_probetab_destroy (&tab);
    if (json)
        printf ("{\"rules\": %zu, \"tests\": %zu, \"problems\": %zu}\n", sw_ruleset_size (rules),
                ntests, problems);
    else if (test)
        printf ("%zu rules, %zu tests, %zu failed\n", sw_ruleset_size (rules), ntests, problems);
    else
        printf ("%zu rules, %zu problems\n", sw_ruleset_size (rules), problems);
    sw_ruleset_destroy (&rules);
    return problems ? 1 : 0;
}
