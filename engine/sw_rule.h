/*  sw_rule - the rule language: YAML rules over resource documents.

    A rule names the resource types it applies to and a condition tree
    (fail_if) that holds when the resource is misconfigured; each resource
    for which it holds is one finding. docs/rules.md is the language
    reference. Rules are validated when loaded: an unknown key, operator,
    path syntax, regex or CIDR is an error naming the file, line and
    column. A rule set is immutable once loaded and may be evaluated from
    several threads at once (each evaluation keeps its own state). */
#ifndef SW_RULE_H
#define SW_RULE_H

#include <stddef.h>
#include <stdio.h>

#include "sw_finding.h"
#include "sw_resource.h"

typedef struct sw_rule_t sw_rule_t;
typedef struct sw_ruleset_t sw_ruleset_t;

//  Creates an empty rule set. NULL on allocation failure.
sw_ruleset_t *sw_ruleset_new (void);
void sw_ruleset_destroy (sw_ruleset_t **self_p);

//  Adds the rules of one rule file (a YAML stream, one rule a document).
//  `name` names the file in messages. On error returns -1 with err like
//  "rules/aws/s3.yaml:14:9: unknown operator 'eqq'"; rules of the file
//  that came before the error are not added.
int sw_ruleset_add_text (sw_ruleset_t *self, const char *name, const char *text, size_t len,
                         char *err, size_t errlen);

//  Lists the rule files under dir (*.yaml and *.yml, recursively, hidden
//  entries skipped) as malloc'd paths in name order. Returns the count, or
//  -1 with err. Free with sw_rules_files_free.
long sw_rules_files (const char *dir, char ***paths, char *err, size_t errlen);
void sw_rules_files_free (char **paths, long n);

//  Adds every *.yaml and *.yml file under dir (recursively, in name
//  order). Returns -1 at the first bad file, err saying what and where.
int sw_ruleset_add_dir (sw_ruleset_t *self, const char *dir, char *err, size_t errlen);

size_t sw_ruleset_size (const sw_ruleset_t *self);
const sw_rule_t *sw_ruleset_rule (const sw_ruleset_t *self, size_t index);
const sw_rule_t *sw_ruleset_find (const sw_ruleset_t *self, const char *id);

//  Rule metadata.
const char *sw_rule_id (const sw_rule_t *rule);
const char *sw_rule_title (const sw_rule_t *rule);
const char *sw_rule_description (const sw_rule_t *rule);
const char *sw_rule_remediation (const sw_rule_t *rule);
sw_severity_t sw_rule_severity (const sw_rule_t *rule);
const char *sw_rule_file (const sw_rule_t *rule);
//  References and compliance mappings, one per line ("CIS-AWS-1.5 2.1.1").
const char *sw_rule_references (const sw_rule_t *rule);
const char *sw_rule_compliance (const sw_rule_t *rule);

//  Called once per (rule, resource) that fails. evidence is compact JSON
//  of the rule's evidence path, or "" when it has none.
typedef void (sw_rule_emit_fn) (void *arg, const sw_rule_t *rule, const sw_resource_t *res,
                                const char *evidence);

//  Evaluates every rule (or only `only` when not NULL) against every
//  resource of set whose type the rule applies to. Resources are visited
//  in set order. Returns the number of evaluations made.
size_t sw_ruleset_eval (const sw_ruleset_t *self, const sw_rule_t *only, const sw_resset_t *set,
                        sw_rule_emit_fn *emit, void *arg);

//  Runs the fixtures of every rule (docs/rules.md, "Tests"). Writes one
//  line per failing fixture to out (may be NULL) and returns the number of
//  failures; *ntests gets the number of fixtures run.
size_t sw_ruleset_test (const sw_ruleset_t *self, FILE *out, size_t *ntests);

//  Checks what loading does not: every rule has at least one passing and
//  one failing fixture. Returns the number of problems, written to out.
size_t sw_ruleset_lint (const sw_ruleset_t *self, FILE *out);

#endif
