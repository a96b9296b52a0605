/*  sw_docload - reads JSON and YAML files into documents.

    JSON goes through jansson, YAML through libyaml; neither is parsed by
    hand. YAML streams may hold several documents, anchors and aliases
    (shared, not copied, and charged to the node budget as if expanded, so
    an alias bomb is refused), merge keys (<<), and CloudFormation's
    short-form tags, which become their long form: `!Ref X` is
    {"Ref": "X"}, `!GetAtt a.b` is {"Fn::GetAtt": ["a", "b"]}, `!Sub s`
    is {"Fn::Sub": s}, and so on for every Fn:: short form.

    YAML scalars resolve as in YAML 1.2's core schema (null, true/false,
    integers, reals); quoted scalars are always strings.

    Input is untrusted: size, depth and node count are bounded, and every
    error names the file, line and column. */
#ifndef SW_DOCLOAD_H
#define SW_DOCLOAD_H

#include "sw_doc.h"

#define SW_DOC_MAX_BYTES (64u * 1024 * 1024) //  per file
#define SW_DOC_MAX_DEPTH 64
#define SW_DOC_MAX_NODES (8u * 1024 * 1024) //  per file, aliases expanded
#define SW_DOC_MAX_DOCS  100000             //  YAML documents per file

typedef enum { SW_FMT_AUTO = 0, SW_FMT_JSON, SW_FMT_YAML } sw_docfmt_t;

typedef struct {
    sw_val_t **docs;
    size_t n, cap;
} sw_doclist_t;

//  Parses len bytes named `name` into out (documents appended). fmt AUTO
//  picks JSON for a .json name or text starting with '{' or '[', else
//  YAML. On error returns -1 with err like
//  "k8s/app.yaml:12:7: mapping values are not allowed here"; documents
//  parsed before the error stay in out.
int sw_doc_load (sw_arena_t *arena, const char *name, const char *data, size_t len, sw_docfmt_t fmt,
                 sw_doclist_t *out, char *err, size_t errlen);

//  Reads a file from disk and parses it as sw_doc_load does.
int sw_doc_load_file (sw_arena_t *arena, const char *path, sw_docfmt_t fmt, sw_doclist_t *out,
                      char *err, size_t errlen);

//  Reads a whole regular file of at most max bytes into a malloc'd,
//  NUL-terminated buffer (*len bytes). NULL with err naming the path.
char *sw_file_read (const char *path, size_t max, size_t *len, char *err, size_t errlen);

//  Appends a document to a list (arena-allocated growth).
void sw_doclist_push (sw_arena_t *arena, sw_doclist_t *list, sw_val_t *doc);

#endif
