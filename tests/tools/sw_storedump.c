/*  sw-storedump - every key and value of a LevelDB store, decoded.

    Usage: sw-storedump DIR

    Writes each record as "key\tvalue\n", the bytes as stored (values may
    be binary). LevelDB compresses its table files, so a search of the raw
    files alone can miss a value; tests search this output as well. The
    store must not be open in another process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_store.h"

static int s_print (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    (void)arg;
    fwrite (key, 1, keylen, stdout);
    fputc ('\t', stdout);
    fwrite (value, 1, size, stdout);
    fputc ('\n', stdout);
    return 0;
}

int main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: sw-storedump DIR\n");
        return 2;
    }
    char err[512];
    sw_store_t *store = sw_store_open (argv[1], err, sizeof err);
    if (!store) {
        fprintf (stderr, "sw-storedump: %s\n", err);
        return 1;
    }
    size_t n = sw_store_scan (store, "", NULL, s_print, NULL);
    fprintf (stderr, "sw-storedump: %zu records\n", n);
    sw_store_destroy (&store);
    return 0;
}
