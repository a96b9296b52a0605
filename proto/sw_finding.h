/*  sw_finding - a security finding as it travels and is stored.

    Shared by the node (which produces findings), the broker (whose reducer
    merges them by fingerprint) and the console (which prints reports). */
#ifndef SW_FINDING_H
#define SW_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

typedef enum {
    SW_SEV_INFO = 0,
    SW_SEV_LOW,
    SW_SEV_MEDIUM,
    SW_SEV_HIGH,
    SW_SEV_CRITICAL,
    SW_SEV_COUNT
} sw_severity_t;

//  Lower-case name of a severity ("info" ... "critical").
const char *sw_severity_name (sw_severity_t sev);

//  Parses a severity name (case-insensitive). Returns 0 and sets *sev, or -1.
int sw_severity_parse (const char *name, sw_severity_t *sev);

//  Length of a fingerprint in hex characters (128-bit BLAKE2b).
#define SW_FP_HEX_LEN 32

typedef struct {
    char fingerprint[SW_FP_HEX_LEN + 1];
    char *job;      //  job id
    uint64_t shard; //  shard index that produced it
    char *scanner;  //  "tcp"
    char *rule;     //  rule id, e.g. "tcp.exposed.database"
    sw_severity_t severity;
    char *resource; //  what is affected, e.g. "127.0.0.2"
    char *location; //  where in the resource, e.g. "tcp/5432"
    char *title;
    char *evidence; //  redacted evidence
    char *remediation;
    int64_t first_seen; //  unix ms when a node first observed it
    char *bundle;       //  content-bundle version of the rules used, or NULL
    char *references;   //  one per line, or NULL
    char *compliance;   //  "FRAMEWORK control", one per line, or NULL
} sw_finding_t;

//  Computes the stable fingerprint of a finding from scanner, rule,
//  resource and location (the fields that say *what* was found, not when
//  or by whom), and stores it in self->fingerprint.
void sw_finding_fingerprint (sw_finding_t *self);

//  Frees the strings a finding owns and zeroes it.
void sw_finding_clear (sw_finding_t *self);

//  Deep-copies src into dst. Returns 0, or -1 on allocation failure.
int sw_finding_copy (sw_finding_t *dst, const sw_finding_t *src);

//  A malloc'd copy of s short enough for any text field of a finding on
//  the wire (at most 2,000 bytes), cut at a UTF-8 character boundary.
char *sw_finding_text (const char *s);

//  qsort order of reports: most severe first, then resource, location,
//  fingerprint.
int sw_finding_order (const void *a, const void *b);

//  Writes a finding as one member of a report's "findings" array (last:
//  no trailing comma).
void sw_finding_json (FILE *out, const sw_finding_t *f, bool last);

//  JSON helpers of the report writers: `"key": "value"` on its own line,
//  and unix ms as an ISO 8601 UTC time ("" for 0).
void sw_json_kv (FILE *out, const char *indent, const char *key, const char *value, bool comma);
void sw_iso_time (int64_t ms, char *buf, size_t len);

#endif
