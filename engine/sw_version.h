/*  sw_version - version semantics of package ecosystems, each implemented
    from its specification (docs/versions.md).

    Schemes: Debian (epoch:upstream-revision, `~` before anything), Alpine
    apk, semantic versioning 2.0.0 (pre-release precedence, build metadata
    ignored; npm, crates.io, NuGet...), Go module versions (semver with a
    `v`, pseudo-versions, +incompatible) and PEP 440 (epochs, pre, post and
    dev releases, local versions, normalisation). A version that does not
    parse is an error that says so; nothing is ever guessed. */
#ifndef SW_VERSION_H
#define SW_VERSION_H

#include <stddef.h>

typedef enum {
    SW_VS_UNKNOWN = -1,
    SW_VS_DEBIAN = 0,
    SW_VS_APK,
    SW_VS_SEMVER,
    SW_VS_GO,
    SW_VS_PEP440,
    SW_VS_COUNT
} sw_vscheme_t;

//  The scheme of an OSV ecosystem name ("Debian", "Debian:12", "Ubuntu:22.04",
//  "Alpine:v3.18", "npm", "crates.io", "NuGet", "Go", "PyPI"), or
//  SW_VS_UNKNOWN.
sw_vscheme_t sw_vscheme_for (const char *ecosystem);

//  Name of a scheme ("debian", "apk", "semver", "go", "pep440").
const char *sw_vscheme_name (sw_vscheme_t scheme);

//  Compares a and b. Returns 0 with *cmp < 0, 0 or > 0, or -1 with err
//  naming the version that does not parse and why.
int sw_version_cmp (sw_vscheme_t scheme, const char *a, const char *b, int *cmp, char *err,
                    size_t errlen);

//  Returns 0 when v parses in scheme, else -1 with err.
int sw_version_check (sw_vscheme_t scheme, const char *v, char *err, size_t errlen);

//  The per-scheme comparators (sw_ver_deb.c, sw_ver_apk.c, sw_ver_semver.c,
//  sw_ver_pep440.c), same contract as sw_version_cmp.
int sw_ver_debian_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen);
int sw_ver_apk_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen);
int sw_ver_semver_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen);
int sw_ver_go_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen);
int sw_ver_pep440_cmp (const char *a, const char *b, int *cmp, char *err, size_t errlen);

#endif
