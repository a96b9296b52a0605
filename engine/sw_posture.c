/*  sw_posture - grouping input files into shards and running one group. */
#include "sw_posture.h"

#include <stdlib.h>
#include <string.h>

#define STS_FILE      "sts-get-caller-identity.json"
#define SNAPSHOT_META "snapshot.json"

typedef struct {
    char *key;
    const char *name;
    size_t index;
    sw_group_kind_t kind;
} keyed_t;

static bool s_is_input (const char *name)
{
    static const char *exts[] = {".json", ".yaml", ".yml", ".template", NULL};
    size_t len = strlen (name);
    for (int i = 0; exts[i]; i++) {
        size_t el = strlen (exts[i]);
        if (len > el && strcmp (name + len - el, exts[i]) == 0)
            return true;
    }
    return false;
}

//  Names a package inventory may have (the content decides later).
static bool s_is_inventory (const char *name)
{
    static const char *names[] = {"status", "installed", "go.mod", "go.sum", "os-release", NULL};
    static const char *exts[] = {".json", ".lock", ".txt", NULL};
    const char *slash = strrchr (name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t len = strlen (base);
    for (int i = 0; names[i]; i++)
        if (strcmp (base, names[i]) == 0)
            return true;
    for (int i = 0; exts[i]; i++) {
        size_t el = strlen (exts[i]);
        if (len > el && strcmp (base + len - el, exts[i]) == 0)
            return true;
    }
    return false;
}

//  The folder of a name ("" for a bare name), malloc'd.
static char *s_dirname (const char *name)
{
    const char *slash = strrchr (name, '/');
    return slash ? strndup (name, (size_t)(slash - name)) : strdup ("");
}

//  Longest snapshot root that name lies under, or NULL.
static const char *s_root_of (const char *name, char **roots, size_t nroots)
{
    const char *best = NULL;
    for (size_t i = 0; i < nroots; i++) {
        size_t rl = strlen (roots[i]);
        bool under = rl == 0 || (strncmp (name, roots[i], rl) == 0 && name[rl] == '/');
        if (under && (!best || rl > strlen (best)))
            best = roots[i];
    }
    return best;
}

static int s_keyed_cmp (const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    int c = strcmp (x->key, y->key);
    if (!c)
        c = strcmp (x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

//  Gives each input file its group key.
static size_t s_keys (const char *const *names, size_t n, int inputs, char **roots, size_t nroots,
                      keyed_t *keyed)
{
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        bool wanted = ((inputs & SW_INPUTS_POSTURE) && s_is_input (names[i])) ||
                      ((inputs & SW_INPUTS_PACKAGES) && s_is_inventory (names[i]));
        if (!wanted)
            continue;
        const char *root = s_root_of (names[i], roots, nroots);
        if (root) {
            const char *rest = names[i] + strlen (root) + (*root ? 1 : 0);
            const char *slash = strchr (rest, '/');
            if (!slash)
                continue; //  sts and snapshot.json join every region below
            keyed[nk].kind = SW_GROUP_AWS;
            keyed[nk].key = NULL;
            if (asprintf (&keyed[nk].key, "aws:%s%s%.*s", root, *root ? "/" : "",
                          (int)(slash - rest), rest) < 0)
                abort ();
        } else {
            char *dir = s_dirname (names[i]);
            keyed[nk].kind = SW_GROUP_FILES;
            if (asprintf (&keyed[nk].key, "files:%s", dir) < 0)
                abort ();
            free (dir);
        }
        keyed[nk].name = names[i];
        keyed[nk++].index = i;
    }
    qsort (keyed, nk, sizeof (keyed_t), s_keyed_cmp);
    return nk;
}

static sw_group_t *s_group_add (sw_group_t **groups, size_t *ngroups, size_t *cap,
                                sw_group_kind_t kind, char *name, size_t maxmembers)
{
    if (*ngroups == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        sw_group_t *g = realloc (*groups, *cap * sizeof (sw_group_t));
        if (!g)
            abort ();
        *groups = g;
    }
    sw_group_t *g = &(*groups)[(*ngroups)++];
    g->kind = kind;
    g->name = name;
    g->n = 0;
    g->members = malloc (maxmembers * sizeof (size_t));
    if (!g->members)
        abort ();
    return g;
}

//  Adds a snapshot's sts and snapshot.json files to an AWS group.
static int s_name_cmp (const void *a, const void *b, void *names)
{
    const char *const *n = names;
    return strcmp (n[*(const size_t *)a], n[*(const size_t *)b]);
}

//  Adds a snapshot's sts and snapshot.json files to an AWS group (each
//  once, however often the names repeat), then puts members in name order.
static void s_add_meta (sw_group_t *g, const char *const *names, size_t n, const char *root)
{
    bool have_sts = false, have_meta = false;
    for (size_t i = 0; i < n; i++) {
        const char *dir_end = strrchr (names[i], '/');
        size_t dl = dir_end ? (size_t)(dir_end - names[i]) : 0;
        const char *base = dir_end ? dir_end + 1 : names[i];
        if (dl != strlen (root) || strncmp (names[i], root, dl) != 0)
            continue;
        bool *seen = strcmp (base, STS_FILE) == 0        ? &have_sts
                     : strcmp (base, SNAPSHOT_META) == 0 ? &have_meta
                                                         : NULL;
        if (seen && !*seen) {
            *seen = true;
            g->members[g->n++] = i;
        }
    }
    qsort_r (g->members, g->n, sizeof (size_t), s_name_cmp, (void *)names);
}

long sw_posture_group (const char *const *names, size_t n, sw_group_t **groups)
{
    return sw_posture_group_inputs (names, n, SW_INPUTS_POSTURE, groups);
}

long sw_posture_group_inputs (const char *const *names, size_t n, int inputs, sw_group_t **groups)
{
    *groups = NULL;
    char **roots = calloc (n ? n : 1, sizeof (char *));
    keyed_t *keyed = calloc (n ? n : 1, sizeof (keyed_t));
    if (!roots || !keyed) {
        free (roots);
        free (keyed);
        return -1;
    }
    size_t nroots = 0, ngroups = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr (names[i], '/');
        if (strcmp (slash ? slash + 1 : names[i], STS_FILE) == 0)
            roots[nroots++] = s_dirname (names[i]);
    }
    size_t nk = s_keys (names, n, inputs, roots, nroots, keyed);
    for (size_t i = 0; i < nk;) {
        size_t j = i;
        while (j < nk && strcmp (keyed[j].key, keyed[i].key) == 0)
            j++;
        //  A big manifest folder is cut into parts; an AWS region never is.
        size_t per = keyed[i].kind == SW_GROUP_AWS ? j - i : SW_POSTURE_GROUP_MAX_FILES;
        for (size_t part = 0, k = i; k < j; part++) {
            char *name = NULL;
            if ((part || j - i > per ? asprintf (&name, "%s#%04zu", keyed[i].key, part)
                                     : asprintf (&name, "%s", keyed[i].key)) < 0)
                abort ();
            sw_group_t *g = s_group_add (groups, &ngroups, &cap, keyed[i].kind, name, per + 2);
            for (; k < j && g->n < per; k++)
                g->members[g->n++] = keyed[k].index;
            if (g->kind == SW_GROUP_AWS) {
                const char *root = s_root_of (names[g->members[0]], roots, nroots);
                s_add_meta (g, names, n, root);
            }
        }
        i = j;
    }
    for (size_t i = 0; i < nk; i++)
        free (keyed[i].key);
    for (size_t i = 0; i < nroots; i++)
        free (roots[i]);
    free (keyed);
    free (roots);
    return (long)ngroups;
}

void sw_posture_groups_free (sw_group_t *groups, size_t ngroups)
{
    for (size_t i = 0; groups && i < ngroups; i++) {
        free (groups[i].name);
        free (groups[i].members);
    }
    free (groups);
}

// -------------------------------------------------------------------------
//  Running a group

typedef struct {
    const char *bundle;
    sw_posture_emit_fn *emit;
    void *arg;
    size_t findings;
} run_t;

static void s_emit (run_t *run, sw_finding_t *f)
{
    f->scanner = strdup ("posture");
    f->bundle = run->bundle ? strdup (run->bundle) : NULL;
    sw_finding_fingerprint (f);
    run->emit (run->arg, f);
    run->findings++;
    sw_finding_clear (f);
}

static void s_emit_rule (void *arg, const sw_rule_t *rule, const sw_resource_t *res,
                         const char *evidence)
{
    sw_finding_t f = {.severity = sw_rule_severity (rule)};
    char location[1100];
    if (res->line)
        snprintf (location, sizeof location, "%s:%u", res->file, res->line);
    else
        snprintf (location, sizeof location, "%s", res->file);
    f.rule = strdup (sw_rule_id (rule));
    f.resource = sw_finding_text (res->id);
    f.location = sw_finding_text (location);
    f.title = sw_finding_text (sw_rule_title (rule));
    f.evidence = sw_finding_text (evidence);
    f.remediation = sw_finding_text (sw_rule_remediation (rule));
    f.references = *sw_rule_references (rule) ? sw_finding_text (sw_rule_references (rule)) : NULL;
    f.compliance = *sw_rule_compliance (rule) ? sw_finding_text (sw_rule_compliance (rule)) : NULL;
    s_emit (arg, &f);
}

static void s_emit_input_error (run_t *run, const sw_input_error_t *e)
{
    sw_finding_t f = {.severity = SW_SEV_LOW};
    char location[1100], message[512];
    snprintf (location, sizeof location, "%s:%u:%u", e->file, e->line, e->col);
    //  A JSON parser quotes the token it choked on; that token could be
    //  anything from the file, so it stays out of the finding.
    snprintf (message, sizeof message, "%s", e->message);
    char *near = strstr (message, " near '");
    if (near)
        *near = 0;
    f.rule = strdup ("posture.input-error");
    f.resource = sw_finding_text (e->file);
    f.location = sw_finding_text (location);
    f.title = strdup ("Input file could not be read");
    f.evidence = sw_finding_text (message);
    f.remediation = strdup ("Fix the file (the evidence says what is wrong and where) or leave it "
                            "out of the job; the other files were scanned.");
    s_emit (run, &f);
}

void sw_posture_run (const sw_ruleset_t *rules, sw_group_kind_t kind, const sw_input_file_t *files,
                     size_t n, const char *bundle, sw_posture_emit_fn *emit, void *arg,
                     sw_posture_stats_t *stats)
{
    sw_resset_t *set = sw_resset_new ();
    if (!set)
        return;
    if (kind == SW_GROUP_AWS)
        sw_inventory_load_aws (set, files, n);
    else
        sw_inventory_load_files (set, files, n);
    sw_resset_sort (set);
    run_t run = {bundle, emit, arg, 0};
    for (size_t i = 0; i < set->nerrors; i++)
        s_emit_input_error (&run, &set->errors[i]);
    size_t evals = sw_ruleset_eval (rules, NULL, set, s_emit_rule, &run);
    if (stats) {
        stats->files += n;
        stats->resources += set->n;
        stats->evaluations += evals;
        stats->findings += run.findings;
        stats->input_errors += set->nerrors;
    }
    sw_resset_destroy (&set);
}
