/*  sw_version - scheme dispatch for version comparison. */
#include "sw_version.h"

#include <stdio.h>
#include <string.h>

typedef int (cmp_fn) (const char *a, const char *b, int *cmp, char *err, size_t errlen);

static const struct {
    const char *name;
    cmp_fn *cmp;
} s_schemes[SW_VS_COUNT] = {
    [SW_VS_DEBIAN] = {"debian", sw_ver_debian_cmp}, [SW_VS_APK] = {"apk", sw_ver_apk_cmp},
    [SW_VS_SEMVER] = {"semver", sw_ver_semver_cmp}, [SW_VS_GO] = {"go", sw_ver_go_cmp},
    [SW_VS_PEP440] = {"pep440", sw_ver_pep440_cmp},
};

//  OSV ecosystems and their schemes; a prefix before ':' names a release
//  ("Debian:12", "Alpine:v3.18").
static const struct {
    const char *ecosystem;
    sw_vscheme_t scheme;
} s_ecosystems[] = {
    {"Debian", SW_VS_DEBIAN}, {"Ubuntu", SW_VS_DEBIAN},    {"Alpine", SW_VS_APK},
    {"npm", SW_VS_SEMVER},    {"crates.io", SW_VS_SEMVER}, {"NuGet", SW_VS_SEMVER},
    {"Hex", SW_VS_SEMVER},    {"Pub", SW_VS_SEMVER},       {"Go", SW_VS_GO},
    {"PyPI", SW_VS_PEP440},
};

sw_vscheme_t sw_vscheme_for (const char *ecosystem)
{
    if (!ecosystem)
        return SW_VS_UNKNOWN;
    size_t len = strcspn (ecosystem, ":");
    for (size_t i = 0; i < sizeof s_ecosystems / sizeof s_ecosystems[0]; i++)
        if (strlen (s_ecosystems[i].ecosystem) == len &&
            strncmp (ecosystem, s_ecosystems[i].ecosystem, len) == 0)
            return s_ecosystems[i].scheme;
    return SW_VS_UNKNOWN;
}

const char *sw_vscheme_name (sw_vscheme_t scheme)
{
    return scheme >= 0 && scheme < SW_VS_COUNT ? s_schemes[scheme].name : "unknown";
}

int sw_version_cmp (sw_vscheme_t scheme, const char *a, const char *b, int *cmp, char *err,
                    size_t errlen)
{
    if (scheme < 0 || scheme >= SW_VS_COUNT) {
        snprintf (err, errlen, "unknown version scheme");
        return -1;
    }
    return s_schemes[scheme].cmp (a, b, cmp, err, errlen);
}

int sw_version_check (sw_vscheme_t scheme, const char *v, char *err, size_t errlen)
{
    int cmp;
    return sw_version_cmp (scheme, v, v, &cmp, err, errlen);
}
