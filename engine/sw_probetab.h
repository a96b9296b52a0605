/*  sw_probetab - the net scanner's probe table, loaded from data.

    What to send to an open port (probes) and how to tell services apart
    by their answers (matches), read from a YAML file (rules/probes/
    net.yaml documents the format) and checked as it loads: names, ports,
    payloads and patterns are bounded and compiled, every match names a
    probe of the table, and every example a match carries must be
    identified by it. A loaded table is read-only and may be shared by
    threads. */
#ifndef SW_PROBETAB_H
#define SW_PROBETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_PROBES_MAX       32   //  probes in one table
#define SW_MATCHES_MAX      256  //  matches in one table
#define SW_PROBE_PAYLOAD    1024 //  bytes of one payload
#define SW_PROBETAB_MAX_SRC (256 * 1024)

//  When a probe's answer is whole
typedef enum {
    SW_ANSWER_LINE = 0, //  at a line end
    SW_ANSWER_HTTP,     //  headers, then Content-Length bytes of body
    SW_ANSWER_BYTE,     //  one byte
    SW_ANSWER_MONGODB   //  the length the message starts with
} sw_answer_t;

typedef struct {
    const char *name;    //  "null" (waits for a banner), "http", "redis", ...
    const char *payload; //  what to send ("" waits; "%h" becomes the host)
    size_t len;          //  payload bytes (binary payloads hold NULs)
    sw_answer_t answer;
} sw_probe_t;

typedef struct {
    char service[32];
    char product[64];
    char version[64];
} sw_ident_t;

typedef struct _sw_probetab_t sw_probetab_t;

//  Loads a table from YAML text; name is what errors call it. Returns
//  NULL with err ("FILE:LINE:COL: what is wrong") on any fault.
sw_probetab_t *sw_probetab_load (const char *name, const char *text, size_t len, char *err,
                                 size_t errlen);

//  Where a rules folder holds its probe table.
#define SW_PROBETAB_FILE "probes/net.yaml"

//  Loads RULES/probes/net.yaml. NULL with err; *absent (when not NULL)
//  then says whether the folder simply has no probe table.
sw_probetab_t *sw_probetab_load_rules (const char *rules, bool *absent, char *err, size_t errlen);

void sw_probetab_destroy (sw_probetab_t **self_p);

size_t sw_probetab_size (const sw_probetab_t *self);    //  probes
size_t sw_probetab_matches (const sw_probetab_t *self); //  matches
const sw_probe_t *sw_probetab_probe (const sw_probetab_t *self, size_t i);

//  The probes to try on PORT, best first: its own ones, then the rest in
//  table order. Fills order with indexes (sw_probetab_probe); returns how
//  many (at most max).
size_t sw_probetab_order (const sw_probetab_t *self, uint16_t port, size_t order[], size_t max);

//  Matches an answer to probe PROBE against the table. Returns true and
//  fills out on the first match.
bool sw_probetab_match (const sw_probetab_t *self, const char *probe, const char *reply, size_t len,
                        sw_ident_t *out);

#endif
