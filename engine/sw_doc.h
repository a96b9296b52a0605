/*  sw_doc - the document model every scanner's analysis works on.

    A document is a tree of values (null, bool, integer, real, string,
    array, map) that a loader read from JSON or YAML, or that a normalizer
    built. All values of one shard live in one arena: they are never freed
    one by one, subtrees may be shared (YAML aliases, joined resources),
    and the whole arena goes at once when the shard is done.

    Maps keep their keys in source order; lookups are linear, which is the
    fast path for the small maps of cloud inventories. */
#ifndef SW_DOC_H
#define SW_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sw_arena_t sw_arena_t;

//  Creates an arena. Returns NULL on allocation failure.
sw_arena_t *sw_arena_new (void);

//  Frees everything allocated from the arena and NULLs *self_p.
void sw_arena_destroy (sw_arena_t **self_p);

//  Allocates size zeroed bytes, aligned for any value. Aborts on
//  allocation failure (an arena holds parsed input, bounded by the loaders).
void *sw_arena_alloc (sw_arena_t *self, size_t size);

//  Copies len bytes of s and NUL-terminates the copy.
char *sw_arena_strndup (sw_arena_t *self, const char *s, size_t len);
char *sw_arena_strdup (sw_arena_t *self, const char *s);

//  printf into the arena.
char *sw_arena_printf (sw_arena_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Bytes allocated so far (for limits and benchmarks).
size_t sw_arena_used (const sw_arena_t *self);

typedef enum { SW_VNULL = 0, SW_VBOOL, SW_VINT, SW_VREAL, SW_VSTR, SW_VARR, SW_VMAP } sw_vtype_t;

typedef struct sw_val_t sw_val_t;

typedef struct {
    const char *key; //  NUL-terminated; keys never contain NUL
    sw_val_t *val;
} sw_kv_t;

struct sw_val_t {
    sw_vtype_t type;
    uint32_t line; //  1-based source line, 0 when unknown
    uint32_t col;  //  1-based source column, 0 when unknown
    union {
        bool b;
        int64_t i;
        double r;
        struct {
            const char *s; //  NUL-terminated; may also hold NULs (len counts)
            size_t len;
        } str;
        struct {
            sw_val_t **items;
            uint32_t n, cap;
        } arr;
        struct {
            sw_kv_t *kv;
            uint32_t n, cap;
        } map;
    };
};

//  Constructors. Strings are copied into the arena.
sw_val_t *sw_val_null (sw_arena_t *arena);
sw_val_t *sw_val_bool (sw_arena_t *arena, bool b);
sw_val_t *sw_val_int (sw_arena_t *arena, int64_t i);
sw_val_t *sw_val_real (sw_arena_t *arena, double r);
sw_val_t *sw_val_str (sw_arena_t *arena, const char *s);
sw_val_t *sw_val_strn (sw_arena_t *arena, const char *s, size_t len);
sw_val_t *sw_val_arr (sw_arena_t *arena);
sw_val_t *sw_val_map (sw_arena_t *arena);

//  Appends item to an array value.
void sw_val_push (sw_arena_t *arena, sw_val_t *arr, sw_val_t *item);

//  Sets key in a map value, replacing an existing entry of that key. The
//  key is copied.
void sw_val_set (sw_arena_t *arena, sw_val_t *map, const char *key, sw_val_t *val);

//  Appends key (borrowed: it must live in the arena) to a map without
//  looking for an existing entry: loaders of big maps know whether the key
//  can already be there, and a scan per key would make them quadratic.
void sw_val_append (sw_arena_t *arena, sw_val_t *map, const char *key, sw_val_t *val);

//  Value of a hex digit (either case), or -1.
int sw_hex_digit (char c);

//  Value of key in map, or NULL when map is not a map or lacks the key.
sw_val_t *sw_val_get (const sw_val_t *map, const char *key);

//  Follows a dotted path of plain keys ("Properties.BucketName"), no
//  wildcards (the rule engine has those). NULL when any step is missing.
sw_val_t *sw_val_dig (const sw_val_t *root, const char *dotted);

//  The string of a string value, or NULL for any other value.
const char *sw_val_cstr (const sw_val_t *v);

//  Number of items of an array or entries of a map, else 0.
uint32_t sw_val_count (const sw_val_t *v);

//  Writes v as compact JSON into a malloc'd string (NULL on failure), at
//  most max bytes (output is cut with "..." beyond). For evidence and tests.
char *sw_val_to_json (const sw_val_t *v, size_t max);

//  Deep equality of two values (maps compare as key sets, order ignored;
//  an integer equals a real of the same value).
bool sw_val_equal (const sw_val_t *a, const sw_val_t *b);

//  Type name for messages: "null", "bool", "int", "real", "string",
//  "array", "map".
const char *sw_vtype_name (sw_vtype_t type);

//  Writes "FILE:LINE:COL: message" into err, the position being AT's (0:0
//  when AT is NULL), for loaders that report problems in a document.
//  Returns -1.
int sw_val_error (char *err, size_t errlen, const char *file, const sw_val_t *at, const char *fmt,
                  ...) __attribute__ ((format (printf, 5, 6)));

#endif
