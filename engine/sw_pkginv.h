/*  sw_pkginv - package inventories: what is installed, where it was read.

    Each inventory file becomes (ecosystem, name, version, file, line)
    entries, with ecosystems named as OSV names them ("Debian", "Alpine",
    "npm", "PyPI", "Go", "crates.io", "Maven", ...). Formats: dpkg status
    files, apk installed databases, CycloneDX JSON and SPDX JSON SBOMs
    (ecosystem from each component's purl), npm package-lock.json (v2, v3),
    requirements.txt (pinned `==` lines; other lines are reported as
    unpinned), poetry.lock, Pipfile.lock, go.mod and go.sum, Cargo.lock.

    Inputs are untrusted: a malformed file is an error naming the file and
    line, and other files still load. */
#ifndef SW_PKGINV_H
#define SW_PKGINV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw_doc.h"

typedef struct {
    const char *ecosystem; //  OSV ecosystem name
    const char *name;
    const char *version; //  as the inventory wrote it; NULL when unpinned
    const char *file;
    uint32_t line; //  1-based, 0 when unknown (JSON)
} sw_pkg_t;

typedef struct {
    sw_arena_t *arena; //  every string of the set lives here
    sw_pkg_t *items;   //  malloc'd
    size_t n, cap;
} sw_pkgset_t;

sw_pkgset_t *sw_pkgset_new (void);
void sw_pkgset_destroy (sw_pkgset_t **self_p);

//  Adds a package (strings copied into the arena; version may be NULL).
void sw_pkgset_add (sw_pkgset_t *self, const char *ecosystem, const char *name, const char *version,
                    const char *file, uint32_t line);

//  The format of an inventory file, from its name and content: "dpkg",
//  "apk", "cyclonedx", "spdx", "npm-lock", "requirements", "poetry-lock",
//  "pipfile-lock", "go-mod", "go-sum", "cargo-lock", or NULL when it is
//  not one.
const char *sw_pkginv_format (const char *name, const char *data, size_t len);

//  Reads one inventory file into set. Returns the number of packages
//  added, or -1 with err like "app/poetry.lock:12: [[package]] without a
//  version" (packages read before the error stay in set).
long sw_pkginv_load (sw_pkgset_t *set, const char *name, const char *data, size_t len, char *err,
                     size_t errlen);

//  The OSV ecosystem of a purl type ("deb" -> "Debian", "apk" -> "Alpine",
//  "npm", "pypi" -> "PyPI", "golang" -> "Go", "cargo" -> "crates.io",
//  "maven" -> "Maven", "nuget" -> "NuGet", "gem" -> "RubyGems"), or NULL.
const char *sw_purl_ecosystem (const char *purl_type);

#endif
