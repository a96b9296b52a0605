/*  sw_blobcache - the node's cache of blobs fetched from the broker. */
#include "sw_blobcache.h"

#include <czmq.h>
#include <sodium.h>

#include "sw_blobref.h"

typedef struct {
    crypto_generichash_state state;
    int fd;
    uint64_t offset, size;
    int64_t touched;
} fetch_t;

struct sw_blobcache_t {
    char *dir;
    zhashx_t *fetches; //  hash -> fetch_t
};

static void s_fetch_free (void **item)
{
    fetch_t *f = *item;
    if (f) {
        if (f->fd >= 0)
            close (f->fd);
        free (f);
        *item = NULL;
    }
}

sw_blobcache_t *sw_blobcache_new (const char *dir, char *err, size_t errlen)
{
    if (zsys_dir_create ("%s", dir) || chmod (dir, 0700)) {
        snprintf (err, errlen, "cannot create blob cache %s", dir);
        return NULL;
    }
    sw_blobcache_t *self = calloc (1, sizeof *self);
    self->dir = strdup (dir);
    self->fetches = zhashx_new ();
    zhashx_set_destructor (self->fetches, s_fetch_free);
    return self;
}

void sw_blobcache_destroy (sw_blobcache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->fetches);
    free ((*self_p)->dir);
    free (*self_p);
    *self_p = NULL;
}

const char *sw_blobcache_dir (const sw_blobcache_t *self)
{
    return self->dir;
}

void sw_blobcache_remove (sw_blobcache_t *self, const char *hash)
{
    char path[1200];
    if (!sw_blob_hash_valid (hash))
        return;
    snprintf (path, sizeof path, "%s/%s", self->dir, hash);
    unlink (path);
}

bool sw_blobcache_has (sw_blobcache_t *self, const char *hash)
{
    char path[1200];
    snprintf (path, sizeof path, "%s/%s", self->dir, hash);
    return sw_blob_hash_valid (hash) && access (path, F_OK) == 0;
}

bool sw_blobcache_want (sw_blobcache_t *self, const char *hash, int64_t now)
{
    if (!sw_blob_hash_valid (hash) || sw_blobcache_has (self, hash) ||
        zhashx_lookup (self->fetches, hash))
        return false;
    char path[1200];
    snprintf (path, sizeof path, "%s/%s.part", self->dir, hash);
    fetch_t *f = calloc (1, sizeof *f);
    f->fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    crypto_generichash_init (&f->state, NULL, 0, 32);
    f->touched = now;
    zhashx_insert (self->fetches, hash, f);
    return true;
}

//  The last chunk arrived: the file becomes the blob if its hash is its name.
static sw_blob_step_t s_finish (sw_blobcache_t *self, const char *hash, fetch_t *f, char *err,
                                size_t errlen)
{
    uint8_t bin[32];
    char hex[SW_BLOB_HEX_LEN + 1], part[1200], path[1200];
    crypto_generichash_final (&f->state, bin, sizeof bin);
    sodium_bin2hex (hex, sizeof hex, bin, sizeof bin);
    snprintf (part, sizeof part, "%s/%s.part", self->dir, hash);
    snprintf (path, sizeof path, "%s/%s", self->dir, hash);
    bool ok = strcmp (hex, hash) == 0 && fsync (f->fd) == 0 && rename (part, path) == 0;
    if (!ok) {
        snprintf (err, errlen,
                  "blob %.16s... arrived corrupt (hash mismatch) or could not be stored", hash);
        unlink (part);
    }
    zhashx_delete (self->fetches, hash);
    return ok ? SW_BLOB_DONE : SW_BLOB_FAILED;
}

sw_blob_step_t sw_blobcache_chunk (sw_blobcache_t *self, const char *hash, uint64_t offset,
                                   uint64_t size, const void *data, size_t len, const char *reason,
                                   int64_t now, uint64_t *next, char *err, size_t errlen)
{
    fetch_t *f = sw_blob_hash_valid (hash) ? zhashx_lookup (self->fetches, hash) : NULL;
    if (!f || offset != f->offset)
        return SW_BLOB_IGNORED;
    if (reason || f->fd < 0 || size > SW_BLOB_MAX_SIZE || offset + len > size ||
        (len == 0 && offset < size)) {
        snprintf (err, errlen, "blob %.16s...: %s", hash,
                  reason ? reason : "bad chunk or cannot write the cache");
        char part[1200];
        snprintf (part, sizeof part, "%s/%s.part", self->dir, hash);
        unlink (part);
        zhashx_delete (self->fetches, hash);
        return SW_BLOB_FAILED;
    }
    if (len && pwrite (f->fd, data, len, (off_t)offset) != (ssize_t)len) {
        snprintf (err, errlen, "blob %.16s...: cannot write the cache: %s", hash, strerror (errno));
        zhashx_delete (self->fetches, hash);
        return SW_BLOB_FAILED;
    }
    crypto_generichash_update (&f->state, data, len);
    f->offset += len;
    f->size = size;
    f->touched = now;
    if (f->offset == size)
        return s_finish (self, hash, f, err, errlen);
    *next = f->offset;
    return SW_BLOB_MORE;
}

void sw_blobcache_stalled (sw_blobcache_t *self, int64_t now, int64_t after_ms, sw_blobcache_fn *fn,
                           void *arg)
{
    for (fetch_t *f = zhashx_first (self->fetches); f; f = zhashx_next (self->fetches))
        if (now - f->touched > after_ms) {
            f->touched = now;
            fn (arg, zhashx_cursor (self->fetches), f->offset);
        }
}
