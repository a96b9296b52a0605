/*  libFuzzer harness for sw_pkginv_load.

    The first byte picks a file name, and so a format; the rest is the
    file. Two choices wrap the rest in a CycloneDX or SPDX envelope, so the
    fuzzer reaches component and purl handling without having to find the
    detection keys first. Besides crashes, leaks and sanitizer reports, it
    checks the contract: a refusal names the file, a load adds exactly the
    packages it counts, and every package has an ecosystem, a non-empty
    name and the file's name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_pkginv.h"

static const char *const s_names[] = {
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/pkg",
    "lib/apk/db/installed",
    "bom.json",
    "sbom.spdx.json",
    "app/package-lock.json",
    "requirements.txt",
    "poetry.lock",
    "Pipfile.lock",
    "go.mod",
    "go.sum",
    "Cargo.lock",
    "status",
    "installed",
    "bom.json",       //  wrapped as CycloneDX components
    "sbom.spdx.json", //  wrapped as SPDX packages
};

#define NNAMES (sizeof s_names / sizeof s_names[0])

static void s_check (const char *name, const uint8_t *data, size_t size)
{
    sw_pkgset_t *set = sw_pkgset_new ();
    if (!set)
        abort ();
    char err[256];
    long n = sw_pkginv_load (set, name, (const char *)data, size, err, sizeof err);
    if (n < 0) {
        if (n != -1 || strncmp (err, name, strlen (name)) != 0)
            abort ();
        for (const char *c = err; *c; c++)
            if ((unsigned char)*c < 0x20)
                abort ();
    } else if ((size_t)n != set->n)
        abort ();
    for (size_t i = 0; i < set->n; i++) {
        const sw_pkg_t *p = &set->items[i];
        if (!p->ecosystem || !*p->ecosystem || !p->name || !*p->name || !p->file ||
            strcmp (p->file, name) != 0 || (p->version && !*p->version))
            abort ();
    }
    sw_pkgset_destroy (&set);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t pick = data[0] % NNAMES;
    const char *name = s_names[pick];
    data++;
    size--;
    if (pick < NNAMES - 2) {
        s_check (name, data, size);
        return 0;
    }
    static const char *const heads[] = {"{\"bomFormat\":\"CycloneDX\",\"components\":",
                                        "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":"};
    const char *head = heads[pick - (NNAMES - 2)];
    size_t hlen = strlen (head);
    uint8_t *wrapped = malloc (hlen + size + 1);
    if (!wrapped)
        abort ();
    memcpy (wrapped, head, hlen);
    if (size)
        memcpy (wrapped + hlen, data, size);
    wrapped[hlen + size] = '}';
    s_check (name, wrapped, hlen + size + 1);
    free (wrapped);
    return 0;
}
