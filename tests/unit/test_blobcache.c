/*  Tests for sw_blobcache: fetches started once, chunks taken in order,
    the hash checked before a blob is used, and stalled fetches found. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw_blobcache.h"
#include "sw_blobref.h"

static char s_dir[64];
static char s_cache_dir[128];
static sw_blobcache_t *s_cache;
static char err[512];

static void s_setup (void)
{
    cr_assert_eq (sodium_init () < 0, 0);
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-blobcache-test"));
    snprintf (s_cache_dir, sizeof s_cache_dir, "%s/cache", s_dir);
    s_cache = sw_blobcache_new (s_cache_dir, err, sizeof err);
    cr_assert_not_null (s_cache, "%s", err);
    err[0] = 0;
}

static void s_teardown (void)
{
    sw_blobcache_destroy (&s_cache);
    sw_test_rmtree (s_dir);
}

TestSuite (blobcache, .init = s_setup, .fini = s_teardown);

static uint8_t *s_content (size_t size, uint8_t seed)
{
    uint8_t *data = malloc (size ? size : 1);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 13 + i / SW_BLOB_CHUNK + seed);
    return data;
}

#define BIG_SIZE (2 * SW_BLOB_CHUNK + 10)

static bool s_exists (const char *hash, const char *suffix)
{
    char path[256];
    snprintf (path, sizeof path, "%s/%s%s", s_cache_dir, hash, suffix);
    return access (path, F_OK) == 0;
}

//  Sends the chunk of data at offset (as the broker would cut it).
static sw_blob_step_t s_chunk (const char *hash, const uint8_t *data, size_t size, uint64_t offset,
                               int64_t now, uint64_t *next)
{
    size_t len = size - offset < SW_BLOB_CHUNK ? size - offset : SW_BLOB_CHUNK;
    return sw_blobcache_chunk (s_cache, hash, offset, size, data + offset, len, NULL, now, next,
                               err, sizeof err);
}

Test (blobcache, new_creates_a_private_directory)
{
    struct stat st;
    cr_assert_eq (stat (s_cache_dir, &st), 0);
    cr_assert (S_ISDIR (st.st_mode));
    cr_assert_eq (st.st_mode & 0777, 0700, "mode %03o", st.st_mode & 0777);
    cr_assert_str_eq (sw_blobcache_dir (s_cache), s_cache_dir);
}

Test (blobcache, want_is_true_once_then_false_while_in_progress)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("abc", 3, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1000));
    cr_assert_not (sw_blobcache_want (s_cache, hash, 1001));
    cr_assert_not (sw_blobcache_want (s_cache, hash, 5000));
    cr_assert_not (sw_blobcache_has (s_cache, hash));
}

Test (blobcache, want_refuses_names_that_are_not_hashes)
{
    cr_assert_not (sw_blobcache_want (s_cache, "../../etc/passwd", 0));
    cr_assert_not (sw_blobcache_want (s_cache, "abc", 0));
    cr_assert_not (sw_blobcache_want (s_cache, NULL, 0));
    char upper[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("abc", 3, upper);
    upper[0] = 'A';
    cr_assert_not (sw_blobcache_want (s_cache, upper, 0));
}

Test (blobcache, chunks_in_order_complete_the_blob)
{
    uint8_t *data = s_content (BIG_SIZE, 1);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1000));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 0, 1001, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (next, SW_BLOB_CHUNK);
    cr_assert_not (sw_blobcache_has (s_cache, hash), "usable before it is complete");
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 1002, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (next, 2 * SW_BLOB_CHUNK);
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 1003, &next), SW_BLOB_DONE, "%s", err);

    cr_assert (sw_blobcache_has (s_cache, hash));
    cr_assert_not (s_exists (hash, ".part"), "the .part file is left behind");
    cr_assert_not (sw_blobcache_want (s_cache, hash, 1004), "a cached blob is fetched again");

    char path[256];
    snprintf (path, sizeof path, "%s/%s", s_cache_dir, hash);
    FILE *f = fopen (path, "rb");
    cr_assert_not_null (f);
    uint8_t *back = malloc (BIG_SIZE + 1);
    size_t got = fread (back, 1, BIG_SIZE + 1, f);
    fclose (f);
    cr_assert_eq (got, BIG_SIZE);
    cr_assert_eq (memcmp (back, data, BIG_SIZE), 0);
    free (back);
    free (data);
}

Test (blobcache, empty_blob_completes_on_its_empty_chunk)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("", 0, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 77;
    cr_assert_eq (sw_blobcache_chunk (s_cache, hash, 0, 0, "", 0, NULL, 2, &next, err, sizeof err),
                  SW_BLOB_DONE, "%s", err);
    cr_assert (sw_blobcache_has (s_cache, hash));
}

Test (blobcache, a_chunk_with_a_reason_fails_the_fetch)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("abc", 3, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (sw_blobcache_chunk (s_cache, hash, 0, 0, NULL, 0, "no such blob", 2, &next, err,
                                      sizeof err),
                  SW_BLOB_FAILED);
    cr_assert (strstr (err, "no such blob"), "%s", err);
    cr_assert_not (sw_blobcache_has (s_cache, hash));
    cr_assert_not (s_exists (hash, ".part"), "the .part file is left behind");
    cr_assert (sw_blobcache_want (s_cache, hash, 3), "the failed fetch is still in progress");
}

Test (blobcache, a_wrong_final_hash_fails_and_leaves_no_file)
{
    uint8_t *data = s_content (BIG_SIZE, 2);
    uint8_t *other = s_content (BIG_SIZE, 3);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, other, BIG_SIZE, 0, 2, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (s_chunk (hash, other, BIG_SIZE, next, 3, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (s_chunk (hash, other, BIG_SIZE, next, 4, &next), SW_BLOB_FAILED);
    cr_assert (strstr (err, "hash mismatch"), "%s", err);
    cr_assert_not (sw_blobcache_has (s_cache, hash));
    cr_assert_not (s_exists (hash, ""), "a corrupt blob was kept");
    cr_assert_not (s_exists (hash, ".part"), "the .part file is left behind");
    cr_assert (sw_blobcache_want (s_cache, hash, 5), "the failed fetch is still in progress");
    free (data);
    free (other);
}

Test (blobcache, a_duplicate_chunk_is_ignored)
{
    uint8_t *data = s_content (BIG_SIZE, 4);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 0, 2, &next), SW_BLOB_MORE, "%s", err);
    uint64_t untouched = 12345;
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 0, 3, &untouched), SW_BLOB_IGNORED);
    cr_assert_eq (untouched, 12345);
    //  The fetch goes on as if it had not come.
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 4, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 5, &next), SW_BLOB_DONE, "%s", err);
    cr_assert (sw_blobcache_has (s_cache, hash));
    free (data);
}

Test (blobcache, a_chunk_ahead_of_the_fetch_is_ignored)
{
    uint8_t *data = s_content (BIG_SIZE, 5);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 2 * SW_BLOB_CHUNK, 2, &next), SW_BLOB_IGNORED);
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 0, 3, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 4, &next), SW_BLOB_MORE, "%s", err);
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, next, 5, &next), SW_BLOB_DONE, "%s", err);
    free (data);
}

Test (blobcache, a_chunk_after_the_blob_is_done_is_ignored)
{
    uint8_t *data = s_content (1000, 6);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, 1000, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, 1000, 0, 2, &next), SW_BLOB_DONE, "%s", err);
    cr_assert_eq (s_chunk (hash, data, 1000, 0, 3, &next), SW_BLOB_IGNORED);
    cr_assert (sw_blobcache_has (s_cache, hash), "a late chunk removed the blob");
    free (data);
}

Test (blobcache, a_chunk_of_a_blob_not_wanted_is_ignored)
{
    uint8_t *data = s_content (1000, 7);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, 1000, hash);
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, 1000, 0, 1, &next), SW_BLOB_IGNORED);
    cr_assert_eq (sw_blobcache_chunk (s_cache, hash, 0, 0, NULL, 0, "no such blob", 1, &next, err,
                                      sizeof err),
                  SW_BLOB_IGNORED, "a late refusal is not a failure");
    cr_assert_eq (sw_blobcache_chunk (s_cache, "not-a-hash", 0, 1000, data, 1000, NULL, 1, &next,
                                      err, sizeof err),
                  SW_BLOB_IGNORED);
    cr_assert_not (sw_blobcache_has (s_cache, hash));
    cr_assert_not (s_exists (hash, ""));
    free (data);
}

Test (blobcache, a_chunk_past_the_declared_size_fails)
{
    uint8_t *data = s_content (1000, 8);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, 1000, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1));
    uint64_t next = 0;
    cr_assert_eq (
        sw_blobcache_chunk (s_cache, hash, 0, 500, data, 1000, NULL, 2, &next, err, sizeof err),
        SW_BLOB_FAILED);
    cr_assert_not (s_exists (hash, ".part"));
    free (data);
}

typedef struct {
    int calls;
    char hash[SW_BLOB_HEX_LEN + 1];
    uint64_t offset;
} stalled_t;

static void s_on_stalled (void *arg, const char *hash, uint64_t offset)
{
    stalled_t *s = arg;
    s->calls++;
    snprintf (s->hash, sizeof s->hash, "%s", hash);
    s->offset = offset;
}

Test (blobcache, stalled_reports_fetches_without_progress)
{
    uint8_t *data = s_content (BIG_SIZE, 9);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1000));

    stalled_t s = {0};
    sw_blobcache_stalled (s_cache, 1500, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 0, "reported before the time was up");
    sw_blobcache_stalled (s_cache, 2001, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 1);
    cr_assert_str_eq (s.hash, hash);
    cr_assert_eq (s.offset, 0);
    //  Reported once per period, not on every call.
    sw_blobcache_stalled (s_cache, 2100, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 1, "reported again at once");

    //  A chunk is progress: the next report is a period after it, at the
    //  offset the fetch stands at.
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, BIG_SIZE, 0, 3000, &next), SW_BLOB_MORE, "%s", err);
    sw_blobcache_stalled (s_cache, 3500, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 1);
    sw_blobcache_stalled (s_cache, 4001, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 2);
    cr_assert_eq (s.offset, SW_BLOB_CHUNK);
    free (data);
}

Test (blobcache, stalled_forgets_finished_fetches)
{
    uint8_t *data = s_content (1000, 10);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, 1000, hash);
    cr_assert (sw_blobcache_want (s_cache, hash, 1000));
    uint64_t next = 0;
    cr_assert_eq (s_chunk (hash, data, 1000, 0, 1001, &next), SW_BLOB_DONE, "%s", err);
    stalled_t s = {0};
    sw_blobcache_stalled (s_cache, 100000, 1000, s_on_stalled, &s);
    cr_assert_eq (s.calls, 0);
    free (data);
}
