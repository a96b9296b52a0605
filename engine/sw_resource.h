/*  sw_resource - typed resource documents, the rule engine's input.

    Loaders give raw documents; normalizers (sw_inventory) turn them into
    resources: a type ("aws.s3.bucket", "k8s.Deployment",
    "cfn.AWS::S3::Bucket", "tf.aws_s3_bucket"), an optional second type
    that groups kinds ("k8s.workload"), a stable id, the file and line it
    came from, and the document rules look at.

    A resource set owns one arena for every value of its resources, and
    records the input errors met while loading (a bad file is reported and
    skipped; the others still load). */
#ifndef SW_RESOURCE_H
#define SW_RESOURCE_H

#include <stdarg.h>

#include "sw_doc.h"

typedef struct {
    const char *type;  //  e.g. "aws.s3.bucket"
    const char *type2; //  e.g. "k8s.workload", or NULL
    const char *id;    //  stable: same input gives the same id on any node
    const char *file;  //  input file name as the job named it
    uint32_t line;     //  1-based, 0 when unknown
    sw_val_t *doc;     //  a map
} sw_resource_t;

typedef struct {
    const char *file;
    uint32_t line, col;
    const char *message;
} sw_input_error_t;

typedef struct {
    sw_arena_t *arena;
    sw_resource_t *items; //  malloc'd
    size_t n, cap;
    sw_input_error_t *errors; //  malloc'd
    size_t nerrors, errcap;
    int64_t now; //  unix seconds that date-age conditions measure from
} sw_resset_t;

//  Creates an empty set whose reference time is now. NULL on failure.
sw_resset_t *sw_resset_new (void);
void sw_resset_destroy (sw_resset_t **self_p);

//  Adds a resource; strings are copied into the set's arena, doc is
//  borrowed (it must live in the same arena). Returns the new entry, valid
//  until the next add.
sw_resource_t *sw_resset_add (sw_resset_t *self, const char *type, const char *type2,
                              const char *id, const char *file, uint32_t line, sw_val_t *doc);

//  Records an input error: file, position (0 when unknown) and a message.
void sw_resset_error (sw_resset_t *self, const char *file, uint32_t line, uint32_t col,
                      const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));

//  Records an error already formatted as "file:line:col: message" by a
//  loader (file and position are split back out when present).
void sw_resset_error_text (sw_resset_t *self, const char *file, const char *text);

//  Sorts resources by (type, id) so that evaluation order, and so finding
//  order, do not depend on file order.
void sw_resset_sort (sw_resset_t *self);

#endif
