/*  sw-osvbench: measures the packages scanner's two costs apart.

    Usage: sw-osvbench OSV_PATH INVENTORY [ROUNDS]
    Prints: advisories imported, import time, index size, index load time,
    packages in the inventory, matches, and the median time to match the
    whole inventory over ROUNDS rounds (a warm index, as on a node). */
#include <czmq.h>
#include <inttypes.h>

#include "sw_docload.h"
#include "sw_osv.h"
#include "sw_packages.h"
#include "sw_pkginv.h"

static void s_count (void *arg, const sw_osv_match_t *m)
{
    (void)m;
    (*(size_t *)arg)++;
}

static int s_cmp64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: sw-osvbench OSV_PATH INVENTORY [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi (argv[3]) : 20;
    char err[1024];
    size_t invalid = 0;
    int64_t t0 = zclock_usecs ();
    sw_osvdb_t *db = sw_osvdb_new ();
    long added = sw_packages_import (db, argv[1], false, &invalid, err, sizeof err);
    if (added < 0) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    sw_osvdb_finish (db);
    int64_t t1 = zclock_usecs ();
    uint8_t *blob;
    size_t blen;
    if (sw_osvdb_save (db, &blob, &blen))
        return 1;
    sw_osvdb_destroy (&db);
    int64_t t2 = zclock_usecs ();
    db = sw_osvdb_load (blob, blen, err, sizeof err);
    int64_t t3 = zclock_usecs ();
    if (!db) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    size_t len;
    char *inv = sw_file_read (argv[2], SW_DOC_MAX_BYTES, &len, err, sizeof err);
    sw_pkgset_t *set = sw_pkgset_new ();
    if (!inv || sw_pkginv_load (set, argv[2], inv, len, err, sizeof err) < 0) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    int64_t *times = calloc ((size_t)rounds, sizeof (int64_t));
    size_t matches = 0, errors = 0;
    for (int r = 0; r < rounds; r++) {
        size_t m = 0;
        errors = 0;
        int64_t s = zclock_usecs ();
        for (size_t i = 0; i < set->n; i++)
            if (set->items[i].version &&
                sw_osvdb_match (db, set->items[i].ecosystem, set->items[i].name,
                                set->items[i].version, s_count, &m, err, sizeof err) < 0)
                errors++;
        times[r] = zclock_usecs () - s;
        matches = m;
    }
    qsort (times, (size_t)rounds, sizeof (int64_t), s_cmp64);
    printf ("advisories %ld (invalid %zu), vulnerabilities %zu, import+index %.2f s, "
            "index %zu bytes, index load %.0f ms, packages %zu, matches %zu, unmatched %zu, "
            "match median %.2f ms (%.0f packages/s)\n",
            added, invalid, sw_osvdb_size (db), (double)(t1 - t0) / 1e6, blen,
            (double)(t3 - t2) / 1e3, set->n, matches, errors, (double)times[rounds / 2] / 1e3,
            (double)set->n * 1e6 / (double)(times[rounds / 2] ? times[rounds / 2] : 1));
    free (times);
    free (inv);
    free (blob);
    sw_pkgset_destroy (&set);
    sw_osvdb_destroy (&db);
    return 0;
}
