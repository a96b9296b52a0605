/*  Unit tests for sw_store: staged batch, commit, get and prefix scans. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw_store.h"

static char s_dir[64];
static sw_store_t *s_store;

static void s_open (void)
{
    char err[256] = "";
    s_store = sw_store_open (s_dir, err, sizeof err);
    cr_assert_not_null (s_store, "open %s: %s", s_dir, err);
}

static void s_setup (void)
{
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-store-test"));
    s_open ();
}

static void s_teardown (void)
{
    sw_store_destroy (&s_store);
    sw_test_rmtree (s_dir);
}

static void s_commit (void)
{
    char err[256] = "";
    cr_assert_eq (sw_store_commit (s_store, true, err, sizeof err), 0, "commit: %s", err);
    cr_assert_eq (sw_store_pending (s_store), 0);
}

static void s_put (const char *key, const char *value)
{
    sw_store_put (s_store, key, value, strlen (value));
}

//  Asserts key holds exactly value (committed).
static void s_get_eq (const char *key, const char *value)
{
    size_t size = 0;
    char *got = sw_store_get (s_store, key, &size);
    cr_assert_not_null (got, "key %s missing", key);
    cr_assert_eq (size, strlen (value), "key %s: size %zu", key, size);
    cr_assert_eq (memcmp (got, value, size), 0, "key %s: value differs", key);
    cr_assert_eq (got[size], 0, "value must be NUL-terminated");
    free (got);
}

static void s_get_null (const char *key)
{
    size_t size = 12345;
    char *got = sw_store_get (s_store, key, &size);
    cr_assert_null (got, "key %s should be absent", key);
}

//  Collects visited keys (joined with spaces) and stops after `stop_after`
//  visits when that is nonzero.
typedef struct {
    char keys[1024];
    char values[1024];
    int calls;
    int stop_after;
} collect_t;

static int s_collect (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    collect_t *c = arg;
    size_t used = strlen (c->keys);
    snprintf (c->keys + used, sizeof c->keys - used, "%s%.*s", used ? " " : "", (int)keylen, key);
    used = strlen (c->values);
    snprintf (c->values + used, sizeof c->values - used, "%s%.*s", used ? " " : "", (int)size,
              value);
    c->calls++;
    return c->stop_after && c->calls >= c->stop_after;
}

TestSuite (store, .init = s_setup, .fini = s_teardown);

Test (store, get_of_missing_key_returns_null)
{
    s_get_null ("nothing/here");
    s_put ("a", "1");
    s_commit ();
    s_get_null ("b");
    s_get_null ("");
}

Test (store, put_is_invisible_until_commit)
{
    s_put ("k/1", "hello");
    cr_assert_eq (sw_store_pending (s_store), 1);
    s_get_null ("k/1");
    cr_assert_eq (sw_store_scan (s_store, "k/", NULL, NULL, NULL), 0,
                  "scan must not see staged writes");
    s_commit ();
    s_get_eq ("k/1", "hello");
    cr_assert_eq (sw_store_scan (s_store, "k/", NULL, NULL, NULL), 1);
}

Test (store, overwrite_is_invisible_until_commit)
{
    s_put ("k", "old");
    s_commit ();
    s_put ("k", "new");
    s_get_eq ("k", "old");
    s_commit ();
    s_get_eq ("k", "new");
}

Test (store, del_is_invisible_until_commit)
{
    s_put ("k/1", "v1");
    s_put ("k/2", "v2");
    s_commit ();
    sw_store_del (s_store, "k/1");
    cr_assert_eq (sw_store_pending (s_store), 1);
    s_get_eq ("k/1", "v1");
    cr_assert_eq (sw_store_scan (s_store, "k/", NULL, NULL, NULL), 2);
    s_commit ();
    s_get_null ("k/1");
    s_get_eq ("k/2", "v2");
    cr_assert_eq (sw_store_scan (s_store, "k/", NULL, NULL, NULL), 1);
}

Test (store, pending_counts_staged_puts_and_dels)
{
    cr_assert_eq (sw_store_pending (s_store), 0);
    s_put ("a", "1");
    s_put ("b", "2");
    sw_store_del (s_store, "c");
    cr_assert_eq (sw_store_pending (s_store), 3);
    s_commit ();
    cr_assert_eq (sw_store_pending (s_store), 0);
    //  An empty commit is fine and keeps the count at zero.
    s_commit ();
    s_get_eq ("a", "1");
    s_get_eq ("b", "2");
}

Test (store, put_then_del_in_one_batch_leaves_key_absent)
{
    s_put ("k", "v");
    sw_store_del (s_store, "k");
    s_commit ();
    s_get_null ("k");
}

Test (store, values_are_binary_safe)
{
    const char value[] = {'a', 0, 'b', (char)0xff, 0};
    sw_store_put (s_store, "bin", value, sizeof value);
    sw_store_put (s_store, "empty", "", 0);
    s_commit ();
    size_t size = 0;
    char *got = sw_store_get (s_store, "bin", &size);
    cr_assert_not_null (got);
    cr_assert_eq (size, sizeof value);
    cr_assert_eq (memcmp (got, value, sizeof value), 0);
    free (got);
    got = sw_store_get (s_store, "empty", &size);
    cr_assert_not_null (got, "an empty value is present, not absent");
    cr_assert_eq (size, 0);
    cr_assert_eq (got[0], 0);
    free (got);
}

Test (store, committed_data_survives_reopen_and_staged_data_does_not)
{
    s_put ("kept", "yes");
    s_commit ();
    s_put ("lost", "staged only");
    sw_store_del (s_store, "kept");
    sw_store_destroy (&s_store);
    cr_assert_null (s_store);
    s_open ();
    cr_assert_eq (sw_store_pending (s_store), 0);
    s_get_eq ("kept", "yes");
    s_get_null ("lost");
}

static void s_fill_scan_keys (void)
{
    //  Staged out of order, across neighbouring prefixes.
    s_put ("b/03", "three");
    s_put ("a/01", "a1");
    s_put ("b/01", "one");
    s_put ("c/01", "c1");
    s_put ("b/10", "ten");
    s_put ("b", "bare");
    s_put ("b/02", "two");
    s_put ("bz", "bz");
    s_commit ();
}

Test (store, scan_visits_only_prefix_keys_in_key_order)
{
    s_fill_scan_keys ();
    collect_t c = {0};
    cr_assert_eq (sw_store_scan (s_store, "b/", NULL, s_collect, &c), 4);
    cr_assert_str_eq (c.keys, "b/01 b/02 b/03 b/10");
    cr_assert_str_eq (c.values, "one two three ten");
    cr_assert_eq (c.calls, 4);
}

Test (store, scan_with_null_fn_counts_keys)
{
    s_fill_scan_keys ();
    cr_assert_eq (sw_store_scan (s_store, "b/", NULL, NULL, NULL), 4);
    cr_assert_eq (sw_store_scan (s_store, "a/", NULL, NULL, NULL), 1);
    cr_assert_eq (sw_store_scan (s_store, "d/", NULL, NULL, NULL), 0);
    cr_assert_eq (sw_store_scan (s_store, "", NULL, NULL, NULL), 8, "empty prefix visits all");
}

Test (store, scan_from_start_key_is_inclusive)
{
    s_fill_scan_keys ();
    collect_t c = {0};
    cr_assert_eq (sw_store_scan (s_store, "b/", "b/02", s_collect, &c), 3);
    cr_assert_str_eq (c.keys, "b/02 b/03 b/10");
}

Test (store, scan_from_start_between_keys_begins_at_next_key)
{
    s_fill_scan_keys ();
    collect_t c = {0};
    cr_assert_eq (sw_store_scan (s_store, "b/", "b/04", s_collect, &c), 1);
    cr_assert_str_eq (c.keys, "b/10");
    collect_t none = {0};
    cr_assert_eq (sw_store_scan (s_store, "b/", "b/99", s_collect, &none), 0);
    cr_assert_eq (none.calls, 0);
}

//  Regression: the scan used to seek to `start` and stop at the first key
//  lacking the prefix, so a start before the prefix visited nothing.
Test (store, scan_with_start_before_prefix_still_visits_prefix_keys)
{
    s_fill_scan_keys ();
    collect_t c = {0};
    cr_assert_eq (sw_store_scan (s_store, "b/", "a", s_collect, &c), 4, "visited: '%s'", c.keys);
    cr_assert_str_eq (c.keys, "b/01 b/02 b/03 b/10");
}

Test (store, scan_stops_when_fn_returns_nonzero)
{
    s_fill_scan_keys ();
    collect_t c = {.stop_after = 2};
    cr_assert_eq (sw_store_scan (s_store, "b/", NULL, s_collect, &c), 2,
                  "the key whose callback stopped the scan is counted");
    cr_assert_str_eq (c.keys, "b/01 b/02");
    collect_t first = {.stop_after = 1};
    cr_assert_eq (sw_store_scan (s_store, "b/", "b/03", s_collect, &first), 1);
    cr_assert_str_eq (first.keys, "b/03");
}

Test (store, scan_hex_shard_keys_sort_numerically)
{
    //  The job state keys shards as fixed-width hex; the scan must return
    //  them in numeric order.
    const unsigned long shards[] = {0x100, 0x2, 0xff, 0x10, 0x0, 0xabc};
    for (size_t i = 0; i < sizeof shards / sizeof shards[0]; i++) {
        char key[64];
        snprintf (key, sizeof key, "s/job-000001/%016lx", shards[i]);
        s_put (key, "x");
    }
    s_put ("s/job-000002/0000000000000001", "other job");
    s_commit ();
    collect_t c = {0};
    cr_assert_eq (sw_store_scan (s_store, "s/job-000001/", NULL, s_collect, &c), 6);
    cr_assert_str_eq (c.keys, "s/job-000001/0000000000000000 s/job-000001/0000000000000002 "
                              "s/job-000001/0000000000000010 s/job-000001/00000000000000ff "
                              "s/job-000001/0000000000000100 s/job-000001/0000000000000abc");
}

Test (store, open_fails_with_message_on_unusable_path)
{
    char path[128];
    snprintf (path, sizeof path, "%s/file", s_dir);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs ("not a directory", f);
    fclose (f);
    char sub[160];
    snprintf (sub, sizeof sub, "%s/db", path);
    char err[256] = "";
    sw_store_t *store = sw_store_open (sub, err, sizeof err);
    cr_assert_null (store);
    cr_assert (strstr (err, sub), "message '%s' should name the path", err);
}

//  Does any file of the store hold NEEDLE (in its raw bytes)?
static bool s_files_hold (const char *needle)
{
    char cmd[256];
    snprintf (cmd, sizeof cmd, "grep -rqF '%s' %s", needle, s_dir);
    return system (cmd) == 0;
}

//  Deleted values leave the store's files after a compaction: LevelDB
//  would otherwise keep them on disk (in its log and tables) until one
//  happens to reach them. Values are made incompressible-looking so that
//  a raw search finds them where they are (tables are compressed).
Test (store, a_compaction_removes_deleted_values_from_the_files)
{
    char value[64];
    snprintf (value, sizeof value, "AKIA%08x%08x", (unsigned)getpid (), 0x5eC7e7u);
    for (int round = 0; round < 3; round++) {
        char key[32];
        for (int i = 0; i < 50; i++) {
            snprintf (key, sizeof key, "b/%02d/%03d", round, i);
            s_put (key, value);
        }
        s_put ("j/other", "kept");
        s_commit ();
        cr_assert (s_files_hold (value), "round %d: the value is not on disk at all", round);
        for (int i = 0; i < 50; i++) {
            snprintf (key, sizeof key, "b/%02d/%03d", round, i);
            sw_store_del (s_store, key);
        }
        s_commit ();
        sw_store_compact (s_store, "B/", "b/\x7f");
        sw_store_compact_wait (s_store);
        cr_assert (!s_files_hold (value), "round %d: a deleted value is still on disk", round);
    }
    s_get_eq ("j/other", "kept");
    //  ... and after reopening (a close leaves the log to replay)
    sw_store_destroy (&s_store);
    s_open ();
    cr_assert (!s_files_hold (value));
    s_get_eq ("j/other", "kept");
}
