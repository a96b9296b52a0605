/*  sw_store - the durable key-value store under the broker's job state and
    the node's findings journal (LevelDB).

    Writes are staged in a batch and made durable together by
    sw_store_commit (one fsync per batch), which is how both processes
    group their durable writes. Reads see committed data only. */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sw_store_t sw_store_t;

//  Opens (creating if needed) the store in directory path.
//  Returns NULL with a message in err.
sw_store_t *sw_store_open (const char *path, char *err, size_t errlen);
void sw_store_destroy (sw_store_t **self_p);

//  Stages a put or delete in the current batch.
void sw_store_put (sw_store_t *self, const char *key, const void *value, size_t size);
void sw_store_del (sw_store_t *self, const char *key);

//  Number of writes staged since the last commit.
size_t sw_store_pending (const sw_store_t *self);

//  Writes the staged batch, durably (fsync) when durable is true. Returns
//  0, or -1 with err; on failure the batch is kept so a later commit can
//  retry.
int sw_store_commit (sw_store_t *self, bool durable, char *err, size_t errlen);

//  A batch of writes built apart from the store's own staged batch, so
//  that one thread can build it and another write it (LevelDB is safe
//  for concurrent writers).
typedef struct sw_batch_t sw_batch_t;
sw_batch_t *sw_batch_new (void);
void sw_batch_destroy (sw_batch_t **self_p);
void sw_batch_put (sw_batch_t *self, const char *key, const void *value, size_t size);
void sw_batch_del (sw_batch_t *self, const char *key);
size_t sw_batch_size (const sw_batch_t *self); //  writes in the batch

//  Writes batch (fsync when durable). Returns 0, or -1 with err.
int sw_store_write (sw_store_t *self, sw_batch_t *batch, bool durable, char *err, size_t errlen);

//  Reads a committed value. Returns a malloc'd buffer (free it) and its
//  size in *size, or NULL when absent.
char *sw_store_get (sw_store_t *self, const char *key, size_t *size);

//  Calls fn for each committed key that starts with prefix, in key order,
//  starting at the first key >= start (or at prefix when start is NULL).
//  Stops when fn returns nonzero. fn may be NULL to count keys. Returns the
//  number of keys visited.
typedef int (sw_store_fn) (void *arg, const char *key, size_t keylen, const char *value,
                           size_t size);
size_t sw_store_scan (sw_store_t *self, const char *prefix, const char *start, sw_store_fn *fn,
                      void *arg);

//  Compacts the keys in [lo, hi] on a thread of its own, so that what
//  was deleted there leaves the store's files (LevelDB otherwise keeps
//  deleted values on disk until a compaction happens to reach them).
//  Writes an empty value under lo (a marker the compaction needs).
//  Returns at once; a request while one runs makes it run once more.
//  sw_store_destroy waits for it.
void sw_store_compact (sw_store_t *self, const char *lo, const char *hi);

//  Waits for a compaction under way.
void sw_store_compact_wait (sw_store_t *self);

#endif
