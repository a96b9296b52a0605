/*  sw_rule - rule files: loading, validation, evaluation, fixtures. */
#include "sw_rule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sw_cond.h"
#include "sw_docload.h"
#include "sw_files.h"
#include "sw_inventory.h"

#define RULE_EVIDENCE_MAX 512
#define RULES_MAX_FILES   10000
#define TEST_DEFAULT_NOW  "2026-01-01T00:00:00Z"

typedef struct {
    const char *name;
    bool expect_fail;
    const char *now;           //  NULL: TEST_DEFAULT_NOW
    const sw_val_t *resources; //  [{type, id, doc}], or
    const sw_val_t *documents; //  raw Kubernetes, CloudFormation or Terraform documents
    uint32_t line;
} rule_test_t;

struct sw_rule_t {
    const char *id, *title, *description, *remediation, *file;
    sw_severity_t severity;
    const char *references, *compliance;
    const char **types;
    size_t ntypes;
    sw_cond_t *cond;
    sw_path_t *evidence;
    rule_test_t *tests;
    size_t ntests;
    uint32_t line;
};

typedef struct {
    const char *type;
    const sw_rule_t **rules;
    size_t n, cap;
} typerules_t;

struct sw_ruleset_t {
    sw_arena_t *arena;
    sw_condc_t cc;
    sw_rule_t **rules;
    size_t n, cap;
    typerules_t *bytype;
    size_t ntypes, captypes;
};

sw_ruleset_t *sw_ruleset_new (void)
{
    sw_ruleset_t *self = calloc (1, sizeof (sw_ruleset_t));
    if (!self)
        return NULL;
    self->arena = sw_arena_new ();
    if (!self->arena) {
        free (self);
        return NULL;
    }
    self->cc.arena = self->arena;
    return self;
}

void sw_ruleset_destroy (sw_ruleset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_ruleset_t *self = *self_p;
    sw_condc_release (&self->cc);
    for (size_t i = 0; i < self->ntypes; i++)
        free (self->bytype[i].rules);
    free (self->bytype);
    free (self->rules);
    sw_arena_destroy (&self->arena);
    free (self);
    *self_p = NULL;
}

size_t sw_ruleset_size (const sw_ruleset_t *self)
{
    return self->n;
}

const sw_rule_t *sw_ruleset_rule (const sw_ruleset_t *self, size_t index)
{
    return index < self->n ? self->rules[index] : NULL;
}

const sw_rule_t *sw_ruleset_find (const sw_ruleset_t *self, const char *id)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->rules[i]->id, id) == 0)
            return self->rules[i];
    return NULL;
}

const char *sw_rule_id (const sw_rule_t *r)
{
    return r->id;
}
const char *sw_rule_title (const sw_rule_t *r)
{
    return r->title;
}
const char *sw_rule_description (const sw_rule_t *r)
{
    return r->description;
}
const char *sw_rule_remediation (const sw_rule_t *r)
{
    return r->remediation;
}
sw_severity_t sw_rule_severity (const sw_rule_t *r)
{
    return r->severity;
}
const char *sw_rule_file (const sw_rule_t *r)
{
    return r->file;
}
const char *sw_rule_references (const sw_rule_t *r)
{
    return r->references;
}
const char *sw_rule_compliance (const sw_rule_t *r)
{
    return r->compliance;
}

// -------------------------------------------------------------------------
//  Loading

typedef struct {
    sw_ruleset_t *set;
    const char *file;
    char *err;
    size_t errlen;
} loader_t;

//  A problem at a value of the file being loaded: "FILE:LINE:COL: ...".
#define s_err(ld, at, ...) sw_val_error ((ld)->err, (ld)->errlen, (ld)->file, (at), __VA_ARGS__)

static int s_text (loader_t *ld, const sw_val_t *v, const char *key, size_t max, const char **out)
{
    if (!v || v->type != SW_VSTR || v->str.len == 0)
        return s_err (ld, v, "'%s' must be a non-empty string", key);
    if (v->str.len > max || strlen (v->str.s) != v->str.len)
        return s_err (ld, v, "'%s' is longer than %zu bytes or holds a NUL", key, max);
    *out = v->str.s;
    return 0;
}

//  Joins a list of strings (or a single string) into lines.
static int s_lines (loader_t *ld, const sw_val_t *v, const char *key, const char **out)
{
    if (v->type != SW_VARR)
        return s_err (ld, v, "'%s' must be a list of strings", key);
    size_t len = 0;
    for (uint32_t i = 0; i < v->arr.n; i++) {
        const sw_val_t *item = v->arr.items[i];
        if (item->type != SW_VSTR || item->str.len == 0 || item->str.len > 1024 ||
            strchr (item->str.s, '\n'))
            return s_err (ld, item, "'%s' entries are one-line strings", key);
        len += item->str.len + 1;
    }
    char *text = sw_arena_alloc (ld->set->arena, len + 1), *p = text;
    for (uint32_t i = 0; i < v->arr.n; i++) {
        memcpy (p, v->arr.items[i]->str.s, v->arr.items[i]->str.len);
        p += v->arr.items[i]->str.len;
        *p++ = '\n';
    }
    if (p > text)
        p[-1] = 0;
    *out = text;
    return 0;
}

//  compliance: {FRAMEWORK: "control" | ["control", ...]} -> "FRAMEWORK control" lines.
static int s_compliance (loader_t *ld, const sw_val_t *v, const char **out)
{
    if (v->type != SW_VMAP)
        return s_err (ld, v, "'compliance' maps a framework to a control or a list of controls");
    sw_val_t *lines = sw_val_arr (ld->set->arena);
    for (uint32_t i = 0; i < v->map.n; i++) {
        const sw_val_t *c = v->map.kv[i].val;
        sw_val_t *const *items = c->type == SW_VARR ? c->arr.items : (sw_val_t *const *)&c;
        uint32_t n = c->type == SW_VARR ? c->arr.n : 1;
        for (uint32_t j = 0; j < n; j++) {
            if (items[j]->type != SW_VSTR)
                return s_err (ld, items[j],
                              "compliance controls must be quoted strings (\"2.1\", not 2.1)");
            sw_val_push (
                ld->set->arena, lines,
                sw_val_str (ld->set->arena, sw_arena_printf (ld->set->arena, "%s %s",
                                                             v->map.kv[i].key, items[j]->str.s)));
        }
    }
    return s_lines (ld, lines, "compliance", out);
}

static int s_types (loader_t *ld, sw_rule_t *r, const sw_val_t *v)
{
    if (v->type != SW_VARR || v->arr.n == 0 || v->arr.n > 64)
        return s_err (ld, v, "'resource_types' must be a list of 1 to 64 types");
    r->ntypes = v->arr.n;
    r->types = sw_arena_alloc (ld->set->arena, r->ntypes * sizeof (char *));
    for (uint32_t i = 0; i < v->arr.n; i++)
        if (s_text (ld, v->arr.items[i], "resource_types", 128, &r->types[i]))
            return -1;
    return 0;
}

static int s_test_resources (loader_t *ld, const sw_val_t *list)
{
    if (list->type != SW_VARR || list->arr.n == 0)
        return s_err (ld, list, "'resources' must be a non-empty list of {type, id, doc}");
    for (uint32_t i = 0; i < list->arr.n; i++) {
        const sw_val_t *r = list->arr.items[i];
        const char *s;
        if (r->type != SW_VMAP)
            return s_err (ld, r, "a test resource is a map {type, id, doc}");
        for (uint32_t k = 0; k < r->map.n; k++) {
            const char *key = r->map.kv[k].key;
            if (strcmp (key, "type") && strcmp (key, "id") && strcmp (key, "doc"))
                return s_err (ld, r->map.kv[k].val, "unknown key '%s' in a test resource", key);
        }
        if (s_text (ld, sw_val_get (r, "type"), "type", 128, &s))
            return -1;
        if (sw_val_get (r, "id") && s_text (ld, sw_val_get (r, "id"), "id", 1024, &s))
            return -1;
        const sw_val_t *doc = sw_val_get (r, "doc");
        if (!doc || doc->type != SW_VMAP)
            return s_err (ld, doc ? doc : r, "a test resource needs a 'doc' map");
    }
    return 0;
}

static int s_test_documents (loader_t *ld, const sw_val_t *list)
{
    if (list->type != SW_VARR || list->arr.n == 0)
        return s_err (ld, list, "'documents' must be a non-empty list");
    for (uint32_t i = 0; i < list->arr.n; i++)
        if (!sw_inventory_kind (list->arr.items[i]))
            return s_err (ld, list->arr.items[i],
                          "not a Kubernetes object, CloudFormation template or Terraform plan");
    return 0;
}

static int s_test (loader_t *ld, rule_test_t *t, const sw_val_t *v)
{
    if (v->type != SW_VMAP)
        return s_err (ld, v, "a test is a map {name, expect, resources | documents, now}");
    t->line = v->line;
    for (uint32_t i = 0; i < v->map.n; i++) {
        const char *k = v->map.kv[i].key;
        const sw_val_t *x = v->map.kv[i].val;
        const char *s;
        int64_t when;
        if (strcmp (k, "name") == 0) {
            if (s_text (ld, x, k, 256, &t->name))
                return -1;
        } else if (strcmp (k, "expect") == 0) {
            if (s_text (ld, x, k, 8, &s) || (strcmp (s, "pass") && strcmp (s, "fail")))
                return s_err (ld, x, "'expect' is pass or fail");
            t->expect_fail = s[0] == 'f';
        } else if (strcmp (k, "now") == 0) {
            if (s_text (ld, x, k, 64, &t->now) || sw_parse_date (t->now, &when))
                return s_err (ld, x, "'now' is an RFC 3339 date-time, quoted");
        } else if (strcmp (k, "resources") == 0) {
            if (s_test_resources (ld, x))
                return -1;
            t->resources = x;
        } else if (strcmp (k, "documents") == 0) {
            if (s_test_documents (ld, x))
                return -1;
            t->documents = x;
        } else
            return s_err (ld, x, "unknown key '%s' in a test", k);
    }
    if (!t->name || !sw_val_get (v, "expect") || !t->resources == !t->documents)
        return s_err (ld, v, "a test needs name, expect, and one of resources or documents");
    return 0;
}

static int s_tests (loader_t *ld, sw_rule_t *r, const sw_val_t *v)
{
    if (v->type != SW_VARR || v->arr.n == 0 || v->arr.n > 256)
        return s_err (ld, v, "'tests' must be a list of 1 to 256 tests");
    r->ntests = v->arr.n;
    r->tests = sw_arena_alloc (ld->set->arena, r->ntests * sizeof (rule_test_t));
    for (uint32_t i = 0; i < v->arr.n; i++)
        if (s_test (ld, &r->tests[i], v->arr.items[i]))
            return -1;
    return 0;
}

static int s_rule_id (loader_t *ld, const sw_val_t *v, const char **id)
{
    if (s_text (ld, v, "id", 128, id))
        return -1;
    for (const char *p = *id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
              *p == '_'))
            return s_err (ld, v, "rule ids use a-z, 0-9, '.', '-' and '_' ('%s')", *id);
    const sw_rule_t *other = sw_ruleset_find (ld->set, *id);
    if (other)
        return s_err (ld, v, "rule id '%s' is already used in %s:%u", *id, other->file,
                      other->line);
    return 0;
}

//  One key of a rule document.
static int s_rule_key (loader_t *ld, sw_rule_t *r, const char *k, const sw_val_t *v)
{
    if (strcmp (k, "id") == 0)
        return s_rule_id (ld, v, &r->id);
    if (strcmp (k, "title") == 0)
        return s_text (ld, v, k, 256, &r->title);
    if (strcmp (k, "description") == 0)
        return s_text (ld, v, k, 4096, &r->description);
    if (strcmp (k, "remediation") == 0)
        return s_text (ld, v, k, 4096, &r->remediation);
    if (strcmp (k, "severity") == 0) {
        const char *s;
        if (s_text (ld, v, k, 16, &s) || sw_severity_parse (s, &r->severity))
            return s_err (ld, v, "severity is info, low, medium, high or critical");
        return 0;
    }
    if (strcmp (k, "references") == 0)
        return s_lines (ld, v, k, &r->references);
    if (strcmp (k, "compliance") == 0)
        return s_compliance (ld, v, &r->compliance);
    if (strcmp (k, "resource_types") == 0)
        return s_types (ld, r, v);
    if (strcmp (k, "fail_if") == 0)
        return (r->cond = sw_cond_compile (&ld->set->cc, v, ld->err, ld->errlen)) ? 0 : -1;
    if (strcmp (k, "evidence") == 0) {
        char why[300];
        if (v->type != SW_VSTR)
            return s_err (ld, v, "'evidence' is a path");
        r->evidence = sw_path_compile (ld->set->arena, v->str.s, why, sizeof why);
        return r->evidence ? 0 : s_err (ld, v, "%s", why);
    }
    if (strcmp (k, "tests") == 0)
        return s_tests (ld, r, v);
    return s_err (ld, v, "unknown key '%s' in a rule", k);
}

static sw_rule_t *s_rule (loader_t *ld, const sw_val_t *doc)
{
    if (doc->type != SW_VMAP)
        return s_err (ld, doc, "a rule is a map"), NULL;
    sw_rule_t *r = sw_arena_alloc (ld->set->arena, sizeof (sw_rule_t));
    r->file = sw_arena_strdup (ld->set->arena, ld->file);
    r->line = doc->line;
    r->references = r->compliance = "";
    for (uint32_t i = 0; i < doc->map.n; i++)
        if (s_rule_key (ld, r, doc->map.kv[i].key, doc->map.kv[i].val))
            return NULL;
    static const char *required[] = {"id",          "title",          "severity", "description",
                                     "remediation", "resource_types", "fail_if"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!sw_val_get (doc, required[i]))
            return s_err (ld, doc, "rule %s has no '%s'", r->id ? r->id : "(no id)", required[i]),
                   NULL;
    return r;
}

static void s_index_rule (sw_ruleset_t *self, const sw_rule_t *r)
{
    for (size_t t = 0; t < r->ntypes; t++) {
        typerules_t *tr = NULL;
        for (size_t i = 0; i < self->ntypes && !tr; i++)
            if (strcmp (self->bytype[i].type, r->types[t]) == 0)
                tr = &self->bytype[i];
        if (!tr) {
            if (self->ntypes == self->captypes) {
                self->captypes = self->captypes ? self->captypes * 2 : 32;
                self->bytype = realloc (self->bytype, self->captypes * sizeof (typerules_t));
                if (!self->bytype)
                    abort ();
            }
            tr = &self->bytype[self->ntypes++];
            memset (tr, 0, sizeof *tr);
            tr->type = r->types[t];
        }
        if (tr->n == tr->cap) {
            tr->cap = tr->cap ? tr->cap * 2 : 8;
            tr->rules = realloc (tr->rules, tr->cap * sizeof (sw_rule_t *));
            if (!tr->rules)
                abort ();
        }
        tr->rules[tr->n++] = r;
    }
}

int sw_ruleset_add_text (sw_ruleset_t *self, const char *name, const char *text, size_t len,
                         char *err, size_t errlen)
{
    sw_doclist_t docs = {NULL, 0, 0};
    if (sw_doc_load (self->arena, name, text, len, SW_FMT_YAML, &docs, err, errlen))
        return -1;
    loader_t ld = {self, name, err, errlen};
    self->cc.file = name;
    sw_rule_t **added = calloc (docs.n ? docs.n : 1, sizeof (sw_rule_t *));
    if (!added)
        return -1;
    size_t nadded = 0;
    for (size_t i = 0; i < docs.n; i++) {
        sw_rule_t *r = s_rule (&ld, docs.docs[i]);
        if (!r) {
            free (added);
            return -1;
        }
        for (size_t j = 0; j < nadded; j++)
            if (strcmp (added[j]->id, r->id) == 0) {
                const sw_rule_t *first = added[j];
                free (added);
                return s_err (&ld, docs.docs[i], "rule id '%s' is already used in %s:%u", r->id,
                              first->file, first->line);
            }
        added[nadded++] = r;
    }
    if (self->n + nadded > self->cap) {
        size_t cap = (self->n + nadded) * 2;
        sw_rule_t **rules = realloc (self->rules, cap * sizeof (sw_rule_t *));
        if (!rules) {
            free (added);
            return -1;
        }
        self->rules = rules;
        self->cap = cap;
    }
    for (size_t i = 0; i < nadded; i++) {
        self->rules[self->n++] = added[i];
        s_index_rule (self, added[i]);
    }
    free (added);
    return 0;
}

static bool s_is_rule_file (const char *name)
{
    size_t len = strlen (name);
    return (len > 5 && strcmp (name + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp (name + len - 4, ".yml") == 0);
}

//  Whether path's parent folder is named folder.
static bool s_in_folder (const char *path, const char *folder)
{
    const char *base = strrchr (path, '/');
    size_t at = base ? (size_t)(base - path) : 0, fl = strlen (folder);
    return at >= fl && strncmp (path + at - fl, folder, fl) == 0 &&
           (at == fl || path[at - fl - 1] == '/');
}

long sw_rules_files (const char *dir, char ***paths, char *err, size_t errlen)
{
    sw_filelist_t list = {0};
    *paths = NULL;
    if (sw_filelist_add (&list, dir, s_is_rule_file, SW_DOC_MAX_BYTES, RULES_MAX_FILES, err,
                         errlen)) {
        sw_filelist_clear (&list);
        return -1;
    }
    if (list.n == 0) {
        snprintf (err, errlen, "%s: no rule files (*.yaml, *.yml)", dir);
        sw_filelist_clear (&list);
        return -1;
    }
    sw_filelist_finish (&list);
    //  A folder named secrets (rules/secrets/) holds the secrets
    //  detector's rules (sw_secrets), one named probes the net scanner's
    //  probe table (sw_probetab): languages of their own
    size_t kept = 0;
    for (size_t i = 0; i < list.n; i++) {
        if (s_in_folder (list.names[i], "secrets") || s_in_folder (list.names[i], "probes"))
            free (list.names[i]);
        else
            list.names[kept++] = list.names[i];
    }
    if (kept == 0) {
        snprintf (err, errlen, "%s: no rule files (*.yaml, *.yml)", dir);
        free (list.names);
        return -1;
    }
    *paths = list.names;
    return (long)kept;
}

void sw_rules_files_free (char **paths, long n)
{
    for (long i = 0; i < n; i++)
        free (paths[i]);
    free (paths);
}

int sw_ruleset_add_dir (sw_ruleset_t *self, const char *dir, char *err, size_t errlen)
{
    char **paths;
    long n = sw_rules_files (dir, &paths, err, errlen);
    int rc = n < 0 ? -1 : 0;
    for (long i = 0; i < n && rc == 0; i++) {
        size_t len;
        char *text = sw_file_read (paths[i], SW_DOC_MAX_BYTES, &len, err, errlen);
        rc = text ? sw_ruleset_add_text (self, paths[i], text, len, err, errlen) : -1;
        free (text);
    }
    sw_rules_files_free (paths, n);
    return rc;
}

// -------------------------------------------------------------------------
//  Evaluation

static const typerules_t *s_rules_for (const sw_ruleset_t *self, const char *type)
{
    for (size_t i = 0; type && i < self->ntypes; i++)
        if (strcmp (self->bytype[i].type, type) == 0)
            return &self->bytype[i];
    return NULL;
}

static bool s_rule_has_type (const sw_rule_t *r, const char *type)
{
    for (size_t i = 0; i < r->ntypes; i++)
        if (strcmp (r->types[i], type) == 0)
            return true;
    return false;
}

static size_t s_eval_rules (const typerules_t *tr, const sw_rule_t *only, const char *skip_type,
                            sw_eval_t *ev, const sw_resource_t *res, sw_rule_emit_fn *emit,
                            void *arg)
{
    size_t evals = 0;
    for (size_t k = 0; tr && k < tr->n; k++) {
        const sw_rule_t *r = tr->rules[k];
        if ((only && r != only) || (skip_type && s_rule_has_type (r, skip_type)))
            continue;
        evals++;
        if (!sw_cond_eval (ev, r->cond, res->doc))
            continue;
        char *evidence =
            r->evidence ? sw_path_json (r->evidence, res->doc, RULE_EVIDENCE_MAX) : NULL;
        emit (arg, r, res, evidence ? evidence : "");
        free (evidence);
    }
    return evals;
}

size_t sw_ruleset_eval (const sw_ruleset_t *self, const sw_rule_t *only, const sw_resset_t *set,
                        sw_rule_emit_fn *emit, void *arg)
{
    sw_eval_t *ev = sw_eval_new (set, self->cc.njoins);
    if (!ev)
        return 0;
    size_t evals = 0;
    const char *last_type = NULL;
    const typerules_t *tr = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const sw_resource_t *res = &set->items[i];
        if (!last_type || strcmp (last_type, res->type)) {
            tr = s_rules_for (self, res->type);
            last_type = res->type;
        }
        evals += s_eval_rules (tr, only, NULL, ev, res, emit, arg);
        if (res->type2)
            evals +=
                s_eval_rules (s_rules_for (self, res->type2), only, res->type, ev, res, emit, arg);
    }
    sw_eval_destroy (&ev);
    return evals;
}

// -------------------------------------------------------------------------
//  Fixtures

static void s_count_finding (void *arg, const sw_rule_t *rule, const sw_resource_t *res,
                             const char *evidence)
{
    (void)rule;
    (void)res;
    (void)evidence;
    (*(size_t *)arg)++;
}

//  Builds the resource set of one fixture.
static sw_resset_t *s_fixture_set (const sw_rule_t *r, const rule_test_t *t)
{
    sw_resset_t *set = sw_resset_new ();
    if (!set)
        return NULL;
    sw_parse_date (t->now ? t->now : TEST_DEFAULT_NOW, &set->now);
    char file[512];
    snprintf (file, sizeof file, "%s#%s", r->file, t->name);
    const sw_val_t *list = t->resources ? t->resources : t->documents;
    for (uint32_t i = 0; i < list->arr.n; i++) {
        sw_val_t *item = list->arr.items[i];
        if (t->documents) {
            const char *kind = sw_inventory_kind (item);
            if (strcmp (kind, "k8s") == 0)
                sw_inventory_add_k8s (set, file, item);
            else if (strcmp (kind, "cfn") == 0)
                sw_inventory_add_cfn (set, file, item);
            else
                sw_inventory_add_tf (set, file, item);
            continue;
        }
        char id[64];
        snprintf (id, sizeof id, "test/%u", i);
        const char *given = sw_val_cstr (sw_val_get (item, "id"));
        sw_resset_add (set, sw_val_cstr (sw_val_get (item, "type")), NULL, given ? given : id, file,
                       item->line, sw_val_get (item, "doc"));
    }
    sw_resset_sort (set);
    return set;
}

static bool s_run_fixture (const sw_ruleset_t *self, const sw_rule_t *r, const rule_test_t *t,
                           FILE *out)
{
    sw_resset_t *set = s_fixture_set (r, t);
    if (!set)
        return false;
    size_t found = 0;
    sw_ruleset_eval (self, r, set, s_count_finding, &found);
    bool ok = set->nerrors == 0 && (found > 0) == t->expect_fail;
    if (!ok && out) {
        if (set->nerrors)
            fprintf (out, "%s:%u: %s, test '%s': input error: %s\n", r->file, t->line, r->id,
                     t->name, set->errors[0].message);
        else
            fprintf (out, "%s:%u: %s, test '%s': expected %s, got %zu finding(s)\n", r->file,
                     t->line, r->id, t->name, t->expect_fail ? "a finding" : "none", found);
    }
    sw_resset_destroy (&set);
    return ok;
}

size_t sw_ruleset_test (const sw_ruleset_t *self, FILE *out, size_t *ntests)
{
    size_t failures = 0, runs = 0;
    for (size_t i = 0; i < self->n; i++)
        for (size_t j = 0; j < self->rules[i]->ntests; j++) {
            runs++;
            if (!s_run_fixture (self, self->rules[i], &self->rules[i]->tests[j], out))
                failures++;
        }
    if (ntests)
        *ntests = runs;
    return failures;
}

size_t sw_ruleset_lint (const sw_ruleset_t *self, FILE *out)
{
    size_t problems = 0;
    for (size_t i = 0; i < self->n; i++) {
        const sw_rule_t *r = self->rules[i];
        size_t pass = 0, fail = 0;
        for (size_t j = 0; j < r->ntests; j++)
            r->tests[j].expect_fail ? fail++ : pass++;
        if (pass == 0 || fail == 0) {
            problems++;
            if (out)
                fprintf (out, "%s:%u: %s: needs at least one passing and one failing test\n",
                         r->file, r->line, r->id);
        }
    }
    return problems;
}
