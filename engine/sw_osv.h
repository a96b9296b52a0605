/*  sw_osv - an index of OSV advisories and the matching of packages.

    Advisories are OSV JSON documents (https://ossf.github.io/osv-schema/).
    Adding validates one: an id, `affected` entries naming a package
    (ecosystem, name) and ranges (SEMVER or ECOSYSTEM, events introduced,
    fixed, last_affected, limit) or explicit `versions`. Withdrawn
    advisories are ignored. After the last add, sw_osvdb_finish merges
    aliases (an advisory and its CVE / GHSA / PYSEC twins are one
    vulnerability, reported once per package under its preferred id) and
    builds the index by (ecosystem, package).

    Matching evaluates the OSV range model exactly, with the ecosystem's
    version scheme (sw_version); an unknown ecosystem or a version that
    does not parse is an error, never a guess. */
#ifndef SW_OSV_H
#define SW_OSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_finding.h"

typedef struct sw_osvdb_t sw_osvdb_t;

sw_osvdb_t *sw_osvdb_new (void);
void sw_osvdb_destroy (sw_osvdb_t **self_p);

//  Adds one OSV document (JSON text; name names it in messages). Returns 1
//  when added, 0 when ignored (withdrawn), -1 with err "NAME: what is
//  wrong" when invalid.
int sw_osvdb_add_json (sw_osvdb_t *self, const char *name, const char *json, size_t len, char *err,
                       size_t errlen);

//  Merges aliases and builds the index; call once, after the last add.
void sw_osvdb_finish (sw_osvdb_t *self);

//  Vulnerabilities (after merging) and (ecosystem, package) index entries.
size_t sw_osvdb_size (const sw_osvdb_t *self);
size_t sw_osvdb_entries (const sw_osvdb_t *self);

typedef struct {
    const char *id;      //  the preferred id (GHSA, PYSEC, GO, RUSTSEC... before CVE)
    const char *aliases; //  the other ids, comma-separated ("" when none)
    const char *summary;
    double score;           //  CVSS v3 base score, or -1 when unknown
    sw_severity_t severity; //  from the score, else from the ecosystem's rating
    const char *fixed;      //  versions that fix it for this package, comma-separated
} sw_osv_match_t;

typedef void (sw_osv_match_fn) (void *arg, const sw_osv_match_t *match);

//  Calls fn once per vulnerability that affects version of (ecosystem,
//  name). Returns the number of matches, or -1 with err when the ecosystem
//  has no known version scheme or the version does not parse.
long sw_osvdb_match (const sw_osvdb_t *self, const char *ecosystem, const char *name,
                     const char *version, sw_osv_match_fn *fn, void *arg, char *err, size_t errlen);

//  Builds the sorted list of every id and alias the index holds (call
//  after finish or load), for sw_osvdb_knows.
void sw_osvdb_index_ids (sw_osvdb_t *self);

//  Does the index hold a vulnerability with this id or alias? A newer
//  part of a database supersedes what older parts say about it.
bool sw_osvdb_knows (const sw_osvdb_t *self, const char *id);

//  Serialises the finished index (a MessagePack blob) and reads it back,
//  so that a broker builds it once and nodes load it fast.
int sw_osvdb_save (const sw_osvdb_t *self, uint8_t **out, size_t *len);
sw_osvdb_t *sw_osvdb_load (const uint8_t *data, size_t len, char *err, size_t errlen);

//  CVSS v3.0 / v3.1 base score of a vector ("CVSS:3.1/AV:N/AC:L/..."), per
//  the specification's formulas and rounding. Returns 0 with *score, or -1
//  with err.
int sw_cvss3_score (const char *vector, double *score, char *err, size_t errlen);

//  Severity of a CVSS score: 0 info (none), 0.1-3.9 low, 4-6.9 medium,
//  7-8.9 high, 9-10 critical.
sw_severity_t sw_cvss_severity (double score);

#endif
