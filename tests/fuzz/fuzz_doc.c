/*  libFuzzer harness for sw_doc_load.

    Each input is loaded as JSON, as YAML and with AUTO, each in a fresh
    arena, and every document is written back as JSON. Besides crashes,
    leaks and sanitizer reports, it checks the contract: a refusal names the
    source, and every accepted document respects the bounds (nesting depth,
    keys without NUL, strings terminated at their length). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_docload.h"

//  Walks a document with aliases expanded, up to a budget of values so a
//  large shared tree does not make one input take seconds.
static void s_check (const sw_val_t *v, int level, size_t *budget)
{
    if (!v || (*budget)-- == 0)
        return;
    if (v->type == SW_VSTR && v->str.s[v->str.len] != 0)
        abort ();
    if (v->type != SW_VARR && v->type != SW_VMAP)
        return;
    if (level + 1 > SW_DOC_MAX_DEPTH)
        abort ();
    for (uint32_t i = 0; i < sw_val_count (v); i++) {
        if (v->type == SW_VMAP) {
            if (!v->map.kv[i].key || !v->map.kv[i].val)
                abort ();
            s_check (v->map.kv[i].val, level + 1, budget);
        } else
            s_check (v->arr.items[i], level + 1, budget);
    }
}

static void s_load (const uint8_t *data, size_t size, sw_docfmt_t fmt)
{
    sw_arena_t *arena = sw_arena_new ();
    if (!arena)
        abort ();
    sw_doclist_t docs = {NULL, 0, 0};
    char err[256];
    err[0] = 0;
    int rc = sw_doc_load (arena, "fuzz", (const char *)data, size, fmt, &docs, err, sizeof err);
    if (rc != 0 && strncmp (err, "fuzz", 4) != 0)
        abort ();
    if (docs.n > SW_DOC_MAX_DOCS)
        abort ();
    size_t budget = 100000;
    for (size_t i = 0; i < docs.n; i++) {
        s_check (docs.docs[i], 0, &budget);
        char *json = sw_val_to_json (docs.docs[i], 64 * 1024);
        if (!json)
            abort ();
        free (json);
    }
    sw_arena_destroy (&arena);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_load (data, size, SW_FMT_JSON);
    s_load (data, size, SW_FMT_YAML);
    s_load (data, size, SW_FMT_AUTO);
    return 0;
}
