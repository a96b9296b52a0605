/*  libFuzzer harness for sw_archive_walk, with small limits.

    Besides crashes, leaks and sanitizer reports, it checks the contract:
    every member path starts with the archive's name and "!/", no member
    exceeds the member limit, and what was unpacked never exceeds the total
    limit by more than one read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sw_archive.h"

static const sw_archive_limits_t s_limits = {1 << 16, 1 << 20};

static int s_check (void *arg, const char *path, const char *data, size_t len)
{
    (void)arg;
    (void)data;
    if (strncmp (path, "in.bin!/", 8) != 0 || len > s_limits.max_member)
        abort ();
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    sw_archive_stats_t stats;
    char err[512];
    sw_archive_is_archive ("in.bin", (const char *)data, size);
    sw_archive_walk ("in.bin", (const char *)data, size, &s_limits, s_check, NULL, &stats, err,
                     sizeof err);
    if (stats.unpacked > s_limits.max_total + (1 << 17))
        abort ();
    return 0;
}
