/*  sw_store - LevelDB behind a small staged-batch API. See sw_store.h. */
#include "sw_store.h"

#include <leveldb/c.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sw_store_t {
    leveldb_t *db;
    leveldb_options_t *options;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *read;
    leveldb_writeoptions_t *sync_write;
    leveldb_writeoptions_t *async_write;
    struct sw_batch_t *staged; //  what sw_store_put/del stage for the next commit
    pthread_mutex_t lock;      //  guards the compactor's state below
    pthread_t compactor;       //  compactions (sw_store_compact) run here
    bool started;              //  compactor was started and not yet joined
    bool running;              //  ... and has not finished
    bool again;                //  another compaction was asked for meanwhile
    char *lo, *hi;             //  the range it compacts
};

struct sw_batch_t {
    leveldb_writebatch_t *batch;
    size_t size;
};

sw_batch_t *sw_batch_new (void)
{
    sw_batch_t *self = calloc (1, sizeof *self);
    if (self)
        self->batch = leveldb_writebatch_create ();
    return self;
}

void sw_batch_destroy (sw_batch_t **self_p)
{
    if (*self_p) {
        leveldb_writebatch_destroy ((*self_p)->batch);
        free (*self_p);
        *self_p = NULL;
    }
}

void sw_batch_put (sw_batch_t *self, const char *key, const void *value, size_t size)
{
    leveldb_writebatch_put (self->batch, key, strlen (key), value, size);
    self->size++;
}

void sw_batch_del (sw_batch_t *self, const char *key)
{
    leveldb_writebatch_delete (self->batch, key, strlen (key));
    self->size++;
}

size_t sw_batch_size (const sw_batch_t *self)
{
    return self->size;
}

int sw_store_write (sw_store_t *self, sw_batch_t *batch, bool durable, char *err, size_t errlen)
{
    if (batch->size == 0)
        return 0;
    char *lerr = NULL;
    leveldb_write (self->db, durable ? self->sync_write : self->async_write, batch->batch, &lerr);
    if (lerr) {
        snprintf (err, errlen, "store write failed: %s", lerr);
        leveldb_free (lerr);
        return -1;
    }
    return 0;
}

sw_store_t *sw_store_open (const char *path, char *err, size_t errlen)
{
    sw_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->options = leveldb_options_create ();
    leveldb_options_set_create_if_missing (self->options, 1);
    leveldb_options_set_paranoid_checks (self->options, 1);
    //  Bounded memory whatever the size of the store: a fixed block cache
    //  and a cap on open table files (each holds its index and filter in
    //  memory; too few and lookups reopen tables all the time).
    self->cache = leveldb_cache_create_lru (8 << 20);
    leveldb_options_set_cache (self->options, self->cache);
    leveldb_options_set_max_open_files (self->options, 512);
    //  Most lookups miss (is this finding new? is this blob here?): a bloom
    //  filter answers those without reading and decompressing a block.
    self->filter = leveldb_filterpolicy_create_bloom (10);
    leveldb_options_set_filter_policy (self->options, self->filter);
    char *lerr = NULL;
    self->db = leveldb_open (self->options, path, &lerr);
    if (!self->db) {
        snprintf (err, errlen, "cannot open store %s: %s", path, lerr ? lerr : "unknown error");
        leveldb_free (lerr);
        leveldb_options_destroy (self->options);
        leveldb_cache_destroy (self->cache);
        leveldb_filterpolicy_destroy (self->filter);
        free (self);
        return NULL;
    }
    self->read = leveldb_readoptions_create ();
    leveldb_readoptions_set_verify_checksums (self->read, 1);
    self->sync_write = leveldb_writeoptions_create ();
    leveldb_writeoptions_set_sync (self->sync_write, 1);
    self->async_write = leveldb_writeoptions_create ();
    self->staged = sw_batch_new ();
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

//  Compacts [lo, hi] until nobody asks again: each compaction flushes the
//  memtable and rewrites the files that overlap the range, so deleted
//  values leave the store's files.
static void *s_compact (void *arg)
{
    sw_store_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        self->again = false;
        pthread_mutex_unlock (&self->lock);
        //  A deleted value is dropped when a compaction merges it with its
        //  deletion. LevelDB's manual compaction rewrites only the levels
        //  above the deepest one holding the range, and the memtable flush
        //  it starts may put value and deletion into one table at that
        //  deepest level, out of its reach. So: twice, each time after
        //  writing a key (lo) in the range, whose flushed table overlaps
        //  that deepest table and so pulls it into the second compaction.
        for (int round = 0; round < 2; round++) {
            char *lerr = NULL;
            leveldb_put (self->db, self->async_write, self->lo, strlen (self->lo), "", 0, &lerr);
            leveldb_free (lerr);
            leveldb_compact_range (self->db, self->lo, strlen (self->lo), self->hi,
                                   strlen (self->hi));
        }
        pthread_mutex_lock (&self->lock);
        if (!self->again)
            break;
    }
    self->running = false;
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

void sw_store_compact (sw_store_t *self, const char *lo, const char *hi)
{
    pthread_mutex_lock (&self->lock);
    if (self->running) {
        //  Run once more when this round ends (the range stays the one
        //  the first request gave: callers ask for one range).
        self->again = true;
        pthread_mutex_unlock (&self->lock);
        return;
    }
    if (self->started)
        pthread_join (self->compactor, NULL); //  finished: it only returns now
    free (self->lo);
    free (self->hi);
    self->lo = strdup (lo);
    self->hi = strdup (hi);
    self->running = self->started =
        self->lo && self->hi && pthread_create (&self->compactor, NULL, s_compact, self) == 0;
    pthread_mutex_unlock (&self->lock);
}

void sw_store_compact_wait (sw_store_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool started = self->started;
    pthread_t compactor = self->compactor; //  read under the lock
    self->started = false;
    pthread_mutex_unlock (&self->lock);
    if (started)
        pthread_join (compactor, NULL);
}

void sw_store_destroy (sw_store_t **self_p)
{
    sw_store_t *self = *self_p;
    if (!self)
        return;
    sw_store_compact_wait (self);
    free (self->lo);
    free (self->hi);
    pthread_mutex_destroy (&self->lock);
    sw_batch_destroy (&self->staged);
    leveldb_writeoptions_destroy (self->sync_write);
    leveldb_writeoptions_destroy (self->async_write);
    leveldb_readoptions_destroy (self->read);
    leveldb_close (self->db);
    leveldb_options_destroy (self->options);
    leveldb_cache_destroy (self->cache);
    leveldb_filterpolicy_destroy (self->filter);
    free (self);
    *self_p = NULL;
}

void sw_store_put (sw_store_t *self, const char *key, const void *value, size_t size)
{
    sw_batch_put (self->staged, key, value, size);
}

void sw_store_del (sw_store_t *self, const char *key)
{
    sw_batch_del (self->staged, key);
}

size_t sw_store_pending (const sw_store_t *self)
{
    return sw_batch_size (self->staged);
}

int sw_store_commit (sw_store_t *self, bool durable, char *err, size_t errlen)
{
    if (sw_store_write (self, self->staged, durable, err, errlen))
        return -1; //  the batch stays staged, so a later commit can retry
    leveldb_writebatch_clear (self->staged->batch);
    self->staged->size = 0;
    return 0;
}

char *sw_store_get (sw_store_t *self, const char *key, size_t *size)
{
    char *lerr = NULL;
    size_t len = 0;
    char *value = leveldb_get (self->db, self->read, key, strlen (key), &len, &lerr);
    if (lerr) {
        leveldb_free (lerr);
        return NULL;
    }
    if (!value)
        return NULL;
    //  Copy into malloc memory with a NUL after it, so callers can free()
    //  it and treat text values as strings.
    char *copy = malloc (len + 1);
    if (copy) {
        memcpy (copy, value, len);
        copy[len] = 0;
        *size = len;
    }
    leveldb_free (value);
    return copy;
}

size_t sw_store_scan (sw_store_t *self, const char *prefix, const char *start, sw_store_fn *fn,
                      void *arg)
{
    size_t plen = strlen (prefix);
    size_t visited = 0;
    leveldb_iterator_t *it = leveldb_create_iterator (self->db, self->read);
    //  A start before the prefix would stop the scan at once; begin at
    //  whichever of the two comes later.
    const char *from = start && strcmp (start, prefix) > 0 ? start : prefix;
    for (leveldb_iter_seek (it, from, strlen (from)); leveldb_iter_valid (it);
         leveldb_iter_next (it)) {
        size_t klen, vlen;
        const char *key = leveldb_iter_key (it, &klen);
        if (klen < plen || memcmp (key, prefix, plen) != 0)
            break;
        const char *value = leveldb_iter_value (it, &vlen);
        visited++;
        if (fn && fn (arg, key, klen, value, vlen))
            break;
    }
    leveldb_iter_destroy (it);
    return visited;
}
