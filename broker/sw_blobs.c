/*  sw_blobs - the broker's content-addressed blob store. */
#include "sw_blobs.h"

#include <czmq.h>
#include <sodium.h>

typedef struct {
    crypto_generichash_state state;
    uint64_t size, received;
    int64_t touched; //  monotonic ms of the last chunk
} upload_t;

#define UPLOAD_IDLE_MS 60000 //  an upload idle this long gives its slot up

struct sw_blobs_t {
    sw_store_t *store;
    zhashx_t *uploads; //  hash -> upload_t
};

static void s_upload_free (void **item)
{
    free (*item);
    *item = NULL;
}

sw_blobs_t *sw_blobs_new (sw_store_t *store)
{
    sw_blobs_t *self = calloc (1, sizeof (sw_blobs_t));
    if (!self)
        return NULL;
    self->store = store;
    self->uploads = zhashx_new ();
    zhashx_set_destructor (self->uploads, s_upload_free);
    return self;
}

void sw_blobs_destroy (sw_blobs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->uploads);
    free (*self_p);
    *self_p = NULL;
}

int sw_blobs_have (sw_blobs_t *self, const char *hash, uint64_t *size)
{
    char key[80];
    if (!sw_blob_hash_valid (hash))
        return 0;
    snprintf (key, sizeof key, "B/%s", hash);
    size_t len;
    char *value = sw_store_get (self->store, key, &len);
    if (!value)
        return 0;
    *size = strtoull (value, NULL, 10);
    free (value);
    return 1;
}

static int s_fail (char *err, size_t errlen, const char *what, const char *hash)
{
    snprintf (err, errlen, "blob %.16s...: %s", hash ? hash : "?", what);
    return -1;
}

//  Stages the deletion of a blob's chunks (total bytes of them).
static void s_delete_chunks (sw_blobs_t *self, const char *hash, uint64_t total)
{
    char key[80];
    for (uint64_t c = 0; c * SW_BLOB_CHUNK < total || c == 0; c++) {
        snprintf (key, sizeof key, "b/%s/%08" PRIx64, hash, c);
        sw_store_del (self->store, key);
    }
}

void sw_blobs_forget (sw_blobs_t *self, const char *hash)
{
    uint64_t size;
    if (!sw_blobs_have (self, hash, &size))
        return;
    char key[80];
    s_delete_chunks (self, hash, size);
    snprintf (key, sizeof key, "B/%s", hash);
    sw_store_del (self->store, key);
}

//  Finishes an upload: the hash of what arrived must be the blob's name.
static int s_finish (sw_blobs_t *self, const char *hash, upload_t *up, char *err, size_t errlen)
{
    uint8_t bin[32];
    char hex[SW_BLOB_HEX_LEN + 1], key[80], size[32];
    crypto_generichash_final (&up->state, bin, sizeof bin);
    sodium_bin2hex (hex, sizeof hex, bin, sizeof bin);
    uint64_t total = up->size;
    zhashx_delete (self->uploads, hash);
    if (strcmp (hex, hash) != 0) {
        s_delete_chunks (self, hash, total);
        return s_fail (err, errlen, "content does not match its hash; upload discarded", hash);
    }
    snprintf (key, sizeof key, "B/%s", hash);
    snprintf (size, sizeof size, "%" PRIu64, total);
    sw_store_put (self->store, key, size, strlen (size));
    return 1;
}

//  Forgets uploads nobody has continued for a while (a client that died).
static void s_evict_idle (sw_blobs_t *self)
{
    zlistx_t *idle = zlistx_new ();
    int64_t now = zclock_mono ();
    for (upload_t *up = zhashx_first (self->uploads); up; up = zhashx_next (self->uploads))
        if (now - up->touched > UPLOAD_IDLE_MS)
            zlistx_add_end (idle, (void *)zhashx_cursor (self->uploads));
    for (const char *key = zlistx_first (idle); key; key = zlistx_next (idle))
        zhashx_delete (self->uploads, key);
    zlistx_destroy (&idle);
}

int sw_blobs_put (sw_blobs_t *self, const char *hash, uint64_t size, uint64_t offset,
                  const void *data, size_t len, char *err, size_t errlen)
{
    if (!sw_blob_hash_valid (hash))
        return s_fail (err, errlen, "not a 64-hex BLAKE2b-256 name", hash);
    if (size > SW_BLOB_MAX_SIZE)
        return s_fail (err, errlen, "over the size limit", hash);
    if (len > SW_BLOB_CHUNK || offset % SW_BLOB_CHUNK ||
        (len < SW_BLOB_CHUNK && offset + len != size))
        return s_fail (err, errlen, "chunks are 256 KiB, in order, the last one short", hash);
    uint64_t have;
    if (sw_blobs_have (self, hash, &have))
        //  Already whole: a repeated upload must not overwrite good chunks.
        return have == size ? 1 : s_fail (err, errlen, "held with another size", hash);
    upload_t *up = zhashx_lookup (self->uploads, hash);
    if (offset == 0) {
        if (!up && zhashx_size (self->uploads) >= SW_BLOBS_MAX_UPLOADS)
            s_evict_idle (self);
        if (!up && zhashx_size (self->uploads) >= SW_BLOBS_MAX_UPLOADS)
            return s_fail (err, errlen, "too many uploads in progress", hash);
        if (!up) {
            up = calloc (1, sizeof (upload_t));
            zhashx_insert (self->uploads, hash, up);
        }
        crypto_generichash_init (&up->state, NULL, 0, 32);
        up->size = size;
        up->received = 0;
    }
    if (up && up->size == size && offset + len == up->received && len > 0)
        return 0; //  a client's retry of the chunk it sent last: already staged
    if (!up || up->received != offset || up->size != size || offset + len > size)
        return s_fail (err, errlen, "chunk out of order or size changed; start again at 0", hash);
    char key[80];
    snprintf (key, sizeof key, "b/%s/%08" PRIx64, hash, offset / SW_BLOB_CHUNK);
    sw_store_put (self->store, key, data, len);
    crypto_generichash_update (&up->state, data, len);
    up->received += len;
    up->touched = zclock_mono ();
    return up->received == size ? s_finish (self, hash, up, err, errlen) : 0;
}

void *sw_blobs_read (sw_blobs_t *self, const char *hash, uint64_t offset, size_t *len,
                     uint64_t *size)
{
    if (!sw_blobs_have (self, hash, size) || offset % SW_BLOB_CHUNK || offset > *size)
        return NULL;
    char key[80];
    snprintf (key, sizeof key, "b/%s/%08" PRIx64, hash, offset / SW_BLOB_CHUNK);
    if (*size == 0) {
        *len = 0;
        return calloc (1, 1);
    }
    return sw_store_get (self->store, key, len);
}

void *sw_blobs_read_all (sw_blobs_t *self, const char *hash, size_t max, size_t *len)
{
    uint64_t size;
    if (!sw_blobs_have (self, hash, &size) || size > max)
        return NULL;
    uint8_t *all = malloc (size ? size : 1);
    size_t got = 0;
    while (all && got < size) {
        size_t n;
        uint64_t total;
        void *chunk = sw_blobs_read (self, hash, got, &n, &total);
        if (!chunk || n == 0 || got + n > size) {
            free (chunk);
            free (all);
            return NULL;
        }
        memcpy (all + got, chunk, n);
        got += n;
        free (chunk);
    }
    *len = got;
    return all;
}
