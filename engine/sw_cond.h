/*  sw_cond - paths and condition trees of the rule language.

    A path picks values out of a document: dotted keys, `*` for every
    value of a map or array, `[*]` for every item of an array, `[N]` for
    one item, "quoted" keys for keys with dots or slashes, `$` for the
    resource's root and `@` for the current value. A condition combines
    comparisons on those values with all/any/not, iterates with each, and
    reaches other resources of the same shard with join. Grammar and
    semantics: docs/rules.md. */
#ifndef SW_COND_H
#define SW_COND_H

#include <stdbool.h>
#include <stddef.h>

#include "sw_resource.h"

typedef struct sw_path_t sw_path_t;
typedef struct sw_cond_t sw_cond_t;
typedef struct sw_eval_t sw_eval_t;

//  Compile-time state: where compiled conditions live and what to free.
typedef struct {
    sw_arena_t *arena;
    const char *file; //  names the rule file in messages
    void **codes;     //  compiled regexes, freed by sw_condc_release
    size_t ncodes, capcodes;
    size_t njoins; //  join nodes compiled so far (each gets a cache slot)
} sw_condc_t;

//  Frees the regexes a compiler state collected.
void sw_condc_release (sw_condc_t *self);

//  Compiles a path. NULL with err ("bad path 'a..b': empty key") on error.
sw_path_t *sw_path_compile (sw_arena_t *arena, const char *text, char *err, size_t errlen);

//  Text of a compiled path, as written.
const char *sw_path_text (const sw_path_t *path);

//  Compiles a condition node. NULL with err "file:line:col: ..." on error.
sw_cond_t *sw_cond_compile (sw_condc_t *cc, const sw_val_t *node, char *err, size_t errlen);

//  Creates evaluation state for one resource set (type index, join
//  caches sized for njoins join nodes). One per thread.
sw_eval_t *sw_eval_new (const sw_resset_t *set, size_t njoins);
void sw_eval_destroy (sw_eval_t **self_p);

//  Does cond hold for resource doc `root`?
bool sw_cond_eval (sw_eval_t *ev, const sw_cond_t *cond, const sw_val_t *root);

//  Compact JSON of the values path picks from root (an array when it picks
//  several), at most max bytes; malloc'd, "" when none.
char *sw_path_json (const sw_path_t *path, const sw_val_t *root, size_t max);

//  Parses an RFC 3339 date or date-time ("2026-01-31", "2026-01-31T10:00:00Z",
//  "...+02:00", fractions allowed). Returns 0 and sets *t, or -1.
int sw_parse_date (const char *s, int64_t *t);

#endif
