/*  Tests for sw_blobs: chunked uploads into the broker's store, hash
    checks, and reading complete blobs back. */
#include <criterion/criterion.h>

#include "sw_testutil.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_blobs.h"

static char s_dir[64];
static sw_store_t *s_store;
static sw_blobs_t *s_blobs;
static char err[512];

static void s_setup (void)
{
    cr_assert_eq (sodium_init () < 0, 0);
    cr_assert_not_null (sw_test_mkdtemp (s_dir, sizeof s_dir, "sw-blobs-test"));
    s_store = sw_store_open (s_dir, err, sizeof err);
    cr_assert_not_null (s_store, "open %s: %s", s_dir, err);
    s_blobs = sw_blobs_new (s_store);
    cr_assert_not_null (s_blobs);
    err[0] = 0;
}

static void s_teardown (void)
{
    sw_blobs_destroy (&s_blobs);
    sw_store_destroy (&s_store);
    sw_test_rmtree (s_dir);
}

TestSuite (blobs, .init = s_setup, .fini = s_teardown);

static void s_commit (void)
{
    char why[256] = "";
    cr_assert_eq (sw_store_commit (s_store, false, why, sizeof why), 0, "commit: %s", why);
}

//  size bytes of a pattern that differs from chunk to chunk.
static uint8_t *s_content (size_t size, uint8_t seed)
{
    uint8_t *data = malloc (size ? size : 1);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 31 + i / SW_BLOB_CHUNK * 7 + seed);
    return data;
}

#define BIG_SIZE (2 * SW_BLOB_CHUNK + 1000)

//  Sends data in SW_BLOB_CHUNK chunks, committing after each as the
//  broker does. Returns what the last put returned.
static int s_upload (const char *hash, const uint8_t *data, size_t size)
{
    int rc = 0;
    size_t offset = 0;
    do {
        size_t len = size - offset < SW_BLOB_CHUNK ? size - offset : SW_BLOB_CHUNK;
        rc = sw_blobs_put (s_blobs, hash, size, offset, data + offset, len, err, sizeof err);
        s_commit ();
        if (rc != 0)
            return rc;
        offset += len;
    } while (offset < size);
    return rc;
}

//  Number of committed chunk keys of a blob.
static size_t s_chunk_keys (const char *hash)
{
    char prefix[80];
    snprintf (prefix, sizeof prefix, "b/%s/", hash);
    return sw_store_scan (s_store, prefix, NULL, NULL, NULL);
}

Test (blobs, chunked_upload_is_readable_once_committed)
{
    uint8_t *data = s_content (BIG_SIZE, 1);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);

    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, data, SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, SW_BLOB_CHUNK, data + SW_BLOB_CHUNK,
                                SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 2 * SW_BLOB_CHUNK,
                                data + 2 * SW_BLOB_CHUNK, 1000, err, sizeof err),
                  1, "%s", err);
    uint64_t size = 0;
    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 0, "visible before the commit");
    s_commit ();

    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 1);
    cr_assert_eq (size, BIG_SIZE);

    size_t len = 0;
    uint64_t total = 0;
    uint8_t *chunk = sw_blobs_read (s_blobs, hash, 0, &len, &total);
    cr_assert_not_null (chunk);
    cr_assert_eq (len, SW_BLOB_CHUNK);
    cr_assert_eq (total, BIG_SIZE);
    cr_assert_eq (memcmp (chunk, data, len), 0);
    free (chunk);
    chunk = sw_blobs_read (s_blobs, hash, 2 * SW_BLOB_CHUNK, &len, &total);
    cr_assert_not_null (chunk);
    cr_assert_eq (len, 1000);
    cr_assert_eq (memcmp (chunk, data + 2 * SW_BLOB_CHUNK, len), 0);
    free (chunk);

    uint8_t *all = sw_blobs_read_all (s_blobs, hash, BIG_SIZE, &len);
    cr_assert_not_null (all);
    cr_assert_eq (len, BIG_SIZE);
    cr_assert_eq (memcmp (all, data, BIG_SIZE), 0);
    free (all);
    free (data);
}

Test (blobs, read_past_the_last_chunk_is_null)
{
    uint8_t *data = s_content (BIG_SIZE, 2);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    size_t len;
    uint64_t total;
    cr_assert_null (sw_blobs_read (s_blobs, hash, 3 * SW_BLOB_CHUNK, &len, &total));
    free (data);
}

Test (blobs, read_all_refuses_a_blob_over_max)
{
    uint8_t *data = s_content (BIG_SIZE, 3);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    size_t len;
    cr_assert_null (sw_blobs_read_all (s_blobs, hash, BIG_SIZE - 1, &len));
    free (data);
}

Test (blobs, content_that_does_not_match_its_name_is_refused_and_not_visible)
{
    uint8_t *data = s_content (BIG_SIZE, 4);
    uint8_t *other = s_content (BIG_SIZE, 5);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, other, BIG_SIZE), -1);
    cr_assert (strstr (err, "does not match"), "%s", err);
    uint64_t size;
    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 0);
    size_t len;
    uint64_t total;
    cr_assert_null (sw_blobs_read (s_blobs, hash, 0, &len, &total));
    cr_assert_null (sw_blobs_read_all (s_blobs, hash, SW_BLOB_MAX_SIZE, &len));
    cr_assert_eq (s_chunk_keys (hash), 0, "chunks of a refused upload are left in the store");
    free (data);
    free (other);
}

Test (blobs, a_refused_upload_can_be_sent_again_from_zero)
{
    uint8_t *data = s_content (BIG_SIZE, 6);
    uint8_t *other = s_content (BIG_SIZE, 7);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, other, BIG_SIZE), -1);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    size_t len;
    uint8_t *all = sw_blobs_read_all (s_blobs, hash, BIG_SIZE, &len);
    cr_assert_not_null (all);
    cr_assert_eq (memcmp (all, data, BIG_SIZE), 0);
    free (all);
    free (data);
    free (other);
}

Test (blobs, out_of_order_chunk_is_refused)
{
    uint8_t *data = s_content (BIG_SIZE, 8);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, data, SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 2 * SW_BLOB_CHUNK,
                                data + 2 * SW_BLOB_CHUNK, 1000, err, sizeof err),
                  -1, "a chunk was skipped");
    cr_assert (strstr (err, "out of order"), "%s", err);
    s_commit ();
    uint64_t size;
    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 0);
    free (data);
}

Test (blobs, a_chunk_without_a_start_is_refused)
{
    uint8_t *data = s_content (BIG_SIZE, 9);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, SW_BLOB_CHUNK, data + SW_BLOB_CHUNK,
                                SW_BLOB_CHUNK, err, sizeof err),
                  -1);
    cr_assert (strstr (err, "out of order"), "%s", err);
    free (data);
}

Test (blobs, a_chunk_that_changes_the_size_is_refused)
{
    uint8_t *data = s_content (BIG_SIZE, 10);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, data, SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE + 1, SW_BLOB_CHUNK, data + SW_BLOB_CHUNK,
                                SW_BLOB_CHUNK, err, sizeof err),
                  -1);
    free (data);
}

Test (blobs, restarting_at_offset_zero_starts_the_upload_again)
{
    uint8_t *data = s_content (BIG_SIZE, 11);
    uint8_t *junk = s_content (BIG_SIZE, 12);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    //  Two chunks of something else, then the real blob from the start.
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, junk, SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, SW_BLOB_CHUNK, junk + SW_BLOB_CHUNK,
                                SW_BLOB_CHUNK, err, sizeof err),
                  0, "%s", err);
    s_commit ();
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    size_t len;
    uint8_t *all = sw_blobs_read_all (s_blobs, hash, BIG_SIZE, &len);
    cr_assert_not_null (all);
    cr_assert_eq (len, BIG_SIZE);
    cr_assert_eq (memcmp (all, data, BIG_SIZE), 0);
    free (all);
    free (data);
    free (junk);
}

Test (blobs, empty_blob_is_one_empty_chunk)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("", 0, hash);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, 0, 0, "", 0, err, sizeof err), 1, "%s", err);
    s_commit ();
    uint64_t size = 99;
    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 1);
    cr_assert_eq (size, 0);
    size_t len = 99;
    uint64_t total = 99;
    void *chunk = sw_blobs_read (s_blobs, hash, 0, &len, &total);
    cr_assert_not_null (chunk);
    cr_assert_eq (len, 0);
    cr_assert_eq (total, 0);
    free (chunk);
    len = 99;
    void *all = sw_blobs_read_all (s_blobs, hash, 10, &len);
    cr_assert_not_null (all);
    cr_assert_eq (len, 0);
    free (all);
}

Test (blobs, a_blob_of_exactly_one_chunk_completes_on_its_only_chunk)
{
    uint8_t *data = s_content (SW_BLOB_CHUNK, 13);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, SW_BLOB_CHUNK, hash);
    cr_assert_eq (s_upload (hash, data, SW_BLOB_CHUNK), 1, "%s", err);
    size_t len;
    uint8_t *all = sw_blobs_read_all (s_blobs, hash, SW_BLOB_CHUNK, &len);
    cr_assert_not_null (all);
    cr_assert_eq (len, SW_BLOB_CHUNK);
    cr_assert_eq (memcmp (all, data, len), 0);
    free (all);
    free (data);
}

Test (blobs, invalid_hash_names_are_refused)
{
    char upper[SW_BLOB_HEX_LEN + 1], short_[SW_BLOB_HEX_LEN], long_[SW_BLOB_HEX_LEN + 2];
    char nonhex[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("x", 1, upper);
    memcpy (nonhex, upper, sizeof nonhex);
    memcpy (short_, upper, SW_BLOB_HEX_LEN - 1);
    short_[SW_BLOB_HEX_LEN - 1] = 0;
    snprintf (long_, sizeof long_, "%s0", upper);
    for (char *c = upper; *c; c++)
        *c = (char)(*c >= 'a' ? *c - 'a' + 'A' : *c);
    upper[0] = 'A'; //  at least one letter whatever the hash
    nonhex[10] = 'g';
    const char *bad[] = {upper, short_, long_, nonhex, "", "../../etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not (sw_blob_hash_valid (bad[i]), "'%s' accepted as a name", bad[i]);
        err[0] = 0;
        cr_assert_eq (sw_blobs_put (s_blobs, bad[i], 1, 0, "x", 1, err, sizeof err), -1,
                      "'%s' accepted by put", bad[i]);
        cr_assert (strstr (err, "64-hex"), "%s", err);
        uint64_t size;
        cr_assert_eq (sw_blobs_have (s_blobs, bad[i], &size), 0);
    }
    cr_assert_not (sw_blob_hash_valid (NULL));
    cr_assert_eq (sw_blobs_put (s_blobs, NULL, 1, 0, "x", 1, err, sizeof err), -1);
    cr_assert_eq (sw_store_pending (s_store), 0, "a refused put staged a write");
}

Test (blobs, read_at_an_unaligned_offset_is_null)
{
    uint8_t *data = s_content (BIG_SIZE, 14);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    size_t len;
    uint64_t total;
    cr_assert_null (sw_blobs_read (s_blobs, hash, 1, &len, &total));
    cr_assert_null (sw_blobs_read (s_blobs, hash, SW_BLOB_CHUNK + 17, &len, &total));
    cr_assert_null (sw_blobs_read (s_blobs, hash, SW_BLOB_CHUNK - 1, &len, &total));
    free (data);
}

Test (blobs, unaligned_or_oversized_chunks_are_refused)
{
    uint8_t *data = s_content (BIG_SIZE, 15);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (
        sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, data, SW_BLOB_CHUNK + 1, err, sizeof err), -1,
        "a chunk over SW_BLOB_CHUNK was taken");
    cr_assert_eq (sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, data, 100, err, sizeof err), -1,
                  "a short chunk that is not the last was taken");
    cr_assert_eq (sw_store_pending (s_store), 0);
    free (data);
}

Test (blobs, a_blob_over_the_size_limit_is_refused)
{
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash ("x", 1, hash);
    cr_assert_eq (
        sw_blobs_put (s_blobs, hash, (uint64_t)SW_BLOB_MAX_SIZE + 1, 0, "x", 1, err, sizeof err),
        -1);
    cr_assert (strstr (err, "size limit"), "%s", err);
}

Test (blobs, a_held_blob_survives_a_corrupt_upload_under_its_name)
{
    //  A blob is named by its content: once held, nothing sent under its
    //  name may change or remove what reads return.
    uint8_t *data = s_content (BIG_SIZE, 16);
    uint8_t *other = s_content (BIG_SIZE, 17);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    s_upload (hash, other, BIG_SIZE); //  refused or ignored, either way
    uint64_t size = 0;
    cr_assert_eq (sw_blobs_have (s_blobs, hash, &size), 1);
    cr_assert_eq (size, BIG_SIZE);
    size_t len = 0;
    uint8_t *all = sw_blobs_read_all (s_blobs, hash, BIG_SIZE, &len);
    cr_assert_not_null (all, "the held blob can no longer be read");
    cr_assert_eq (len, BIG_SIZE);
    cr_assert_eq (memcmp (all, data, BIG_SIZE), 0, "the held blob's content changed");
    free (all);
    free (data);
    free (other);
}

Test (blobs, a_held_blob_is_intact_while_a_corrupt_upload_is_in_progress)
{
    uint8_t *data = s_content (BIG_SIZE, 18);
    uint8_t *other = s_content (BIG_SIZE, 19);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, BIG_SIZE, hash);
    cr_assert_eq (s_upload (hash, data, BIG_SIZE), 1, "%s", err);
    //  One chunk of other content under the same name, committed as the
    //  broker commits each BLOB-PUT.
    sw_blobs_put (s_blobs, hash, BIG_SIZE, 0, other, SW_BLOB_CHUNK, err, sizeof err);
    s_commit ();
    size_t len = 0;
    uint64_t total = 0;
    uint8_t *chunk = sw_blobs_read (s_blobs, hash, 0, &len, &total);
    cr_assert_not_null (chunk);
    cr_assert_eq (len, SW_BLOB_CHUNK);
    cr_assert_eq (memcmp (chunk, data, SW_BLOB_CHUNK), 0,
                  "a node fetching the held blob now gets other bytes");
    free (chunk);
    free (data);
    free (other);
}

Test (blobs, a_retried_chunk_is_acknowledged_without_breaking_the_upload)
{
    size_t size = SW_BLOB_CHUNK + 100;
    uint8_t *data = s_content (size, 5);
    char hash[SW_BLOB_HEX_LEN + 1];
    sw_blob_hash (data, size, hash);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, size, 0, data, SW_BLOB_CHUNK, err, sizeof err), 0);
    //  The reply was lost: the client sends the same chunk again.
    cr_assert_eq (sw_blobs_put (s_blobs, hash, size, 0, data, SW_BLOB_CHUNK, err, sizeof err), 0,
                  "%s", err);
    cr_assert_eq (sw_blobs_put (s_blobs, hash, size, SW_BLOB_CHUNK, data + SW_BLOB_CHUNK, 100, err,
                                sizeof err),
                  1, "%s", err);
    s_commit ();
    //  The last chunk again, after completion: acknowledged as complete.
    cr_assert_eq (sw_blobs_put (s_blobs, hash, size, SW_BLOB_CHUNK, data + SW_BLOB_CHUNK, 100, err,
                                sizeof err),
                  1, "%s", err);
    size_t len;
    uint8_t *back = sw_blobs_read_all (s_blobs, hash, size, &len);
    cr_assert_not_null (back);
    cr_assert_eq (len, size);
    cr_assert_eq (memcmp (back, data, size), 0);
    free (back);
    free (data);
}
