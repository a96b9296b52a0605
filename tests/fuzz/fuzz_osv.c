/*  libFuzzer harness for the OSV advisory index.

    The input is used three ways: as an OSV JSON document (added next to a
    fixed advisory that it may alias, then the index is finished, queried
    in every scheme, saved and loaded back, and must answer the same), as a
    saved index handed to the loader, and as a CVSS vector. Nothing may
    crash, leak or trip a sanitizer, whatever the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_osv.h"

static const char *s_fixed_doc =
    "{\"id\": \"GHSA-fuzz-0001\", \"modified\": \"2024-01-01T00:00:00Z\", \"aliases\": "
    "[\"CVE-2024-0001\"], \"summary\": \"fixed\", \"affected\": [{\"package\": {\"ecosystem\": "
    "\"npm\", \"name\": \"a\"}, \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": "
    "\"0\"}, {\"fixed\": \"1.2.3\"}]}], \"versions\": [\"2.0.0\"]}]}";

static const char *s_queries[][3] = {
    {"npm", "a", "1.0.0"},
    {"npm", "a", "2.0.0-rc.1"},
    {"PyPI", "a", "1.0"},
    {"PyPI", "A_b", "2.0rc1"},
    {"Go", "a", "v1.0.0"},
    {"Debian", "a", "1:1.0-1"},
    {"Debian:12", "a", "1.0-1~deb12u1"},
    {"Alpine:v3.18", "a", "1.0-r0"},
    {"crates.io", "a", "0.1.0"},
    {"Maven", "a", "1.0"},
};

typedef struct {
    size_t n;
    size_t bytes;
} tally_t;

static void s_tally (void *arg, const sw_osv_match_t *m)
{
    tally_t *t = arg;
    t->n++;
    t->bytes += strlen (m->id) + strlen (m->aliases) + strlen (m->summary) + strlen (m->fixed);
}

//  Queries db: the package names of the document are unknown, so the
//  fixed names are asked, plus a few the fuzzer may hit ("a" above).
static void s_query (sw_osvdb_t *db, tally_t *out)
{
    char err[512];
    for (size_t q = 0; q < sizeof s_queries / sizeof s_queries[0]; q++) {
        tally_t t = {0, 0};
        long n = sw_osvdb_match (db, s_queries[q][0], s_queries[q][1], s_queries[q][2], s_tally, &t,
                                 err, sizeof err);
        if (n >= 0 && (size_t)n != t.n)
            abort (); //  the count returned is the callbacks made
        out[q] = t;
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[512];
    //  As a document.
    sw_osvdb_t *db = sw_osvdb_new ();
    sw_osvdb_add_json (db, "fixed.json", s_fixed_doc, strlen (s_fixed_doc), err, sizeof err);
    sw_osvdb_add_json (db, "fuzz.json", (const char *)data, size, err, sizeof err);
    sw_osvdb_finish (db);
    tally_t before[sizeof s_queries / sizeof s_queries[0]];
    s_query (db, before);
    uint8_t *blob = NULL;
    size_t len = 0;
    if (sw_osvdb_save (db, &blob, &len) == 0) {
        sw_osvdb_t *loaded = sw_osvdb_load (blob, len, err, sizeof err);
        if (!loaded) {
            fprintf (stderr, "a saved index does not load: %s\n", err);
            abort ();
        }
        tally_t after[sizeof s_queries / sizeof s_queries[0]];
        s_query (loaded, after);
        if (memcmp (before, after, sizeof before) != 0)
            abort (); //  a loaded index answers as the one saved
        sw_osvdb_destroy (&loaded);
        free (blob);
    }
    sw_osvdb_destroy (&db);

    //  As a saved index.
    db = sw_osvdb_load (data, size, err, sizeof err);
    if (db) {
        tally_t ignored[sizeof s_queries / sizeof s_queries[0]];
        s_query (db, ignored);
        sw_osvdb_destroy (&db);
    }

    //  As a CVSS vector.
    char *vector = malloc (size + 1);
    if (vector) {
        memcpy (vector, data, size);
        vector[size] = 0;
        double score;
        if (sw_cvss3_score (vector, &score, err, sizeof err) == 0 && (score < 0 || score > 10))
            abort ();
        free (vector);
    }
    return 0;
}
