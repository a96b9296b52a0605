/*  sw_mpv - bounded MessagePack decoder into a read-only value tree.

    This is the only place where bytes from a peer become structured data,
    so every limit is enforced here: container counts are checked against
    the bytes remaining (each element needs at least one byte), nesting is
    limited to SW_MPV_MAX_DEPTH, the number of values is capped, and
    strings are copied out with their length and NUL-terminated. A
    malformed input yields an error message, never an assert or a crash.
    Encoding is done with msgpack-c's packer (see sw_proto). */
#ifndef SW_MPV_H
#define SW_MPV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_MPV_MAX_DEPTH  16
#define SW_MPV_MAX_VALUES (1u << 20)

typedef enum {
    SW_MPV_NIL = 0,
    SW_MPV_BOOL,
    SW_MPV_INT,  //  negative integer
    SW_MPV_UINT, //  non-negative integer
    SW_MPV_FLOAT,
    SW_MPV_STR,
    SW_MPV_BIN,
    SW_MPV_ARRAY,
    SW_MPV_MAP
} sw_mpv_type_t;

typedef struct sw_mpv_t sw_mpv_t;
struct sw_mpv_t {
    sw_mpv_type_t type;
    uint32_t len; //  bytes for STR/BIN, elements for ARRAY, pairs for MAP
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double f;
        const char *s;   //  STR/BIN: NUL-terminated copy of len bytes
        sw_mpv_t *items; //  ARRAY: len items; MAP: 2*len items, key then value
    } v;
};

//  A decoded document owns all of its values in one allocation.
typedef struct {
    sw_mpv_t *root;
    void *mem;
} sw_mpdoc_t;

//  Decodes exactly one MessagePack value filling all of data[0..size).
//  Returns 0 and fills doc, or -1 with a message in err (doc left empty).
int sw_mpdoc_decode (const void *data, size_t size, sw_mpdoc_t *doc, char *err, size_t errlen);

//  Frees what a document owns; safe on an empty or already freed doc.
void sw_mpdoc_free (sw_mpdoc_t *doc);

//  Returns the value stored under a string key in a MAP, or NULL when the
//  value is not a map or has no such key.
const sw_mpv_t *sw_mpv_get (const sw_mpv_t *map, const char *key);

//  Returns the text of a STR value that is well-formed UTF-8 without
//  embedded NULs, or NULL (so text from a peer is always valid in JSON).
const char *sw_mpv_str (const sw_mpv_t *value);

//  Stores an unsigned integer value in *out. Returns 0, or -1 when the value
//  is not a non-negative integer or exceeds max.
int sw_mpv_uint (const sw_mpv_t *value, uint64_t max, uint64_t *out);

#endif
