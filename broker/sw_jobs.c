/*  sw_jobs - jobs, shards, leases and the reducer. See sw_jobs.h.

    Store layout (keys are text, values MessagePack unless noted):
      m/next_job            next job number
      j/<job>               job record (state, counters, severity counts)
      t/<job>               job file text as submitted (raw bytes)
      s/<job>/<shard:016x>  finished shard: done or failed, node, attempts
      x/<job>/<shard:016x>  failed shard: target, ports, attempts, reason
      a/<job>/<shard:016x>  attempts so far of a shard waiting for a retry
      r/<token>             job id created by a SUBMIT carrying that token
      u/<job>               rule bundle of a posture job: "HASH VERSION" (text)
      v/<job>               advisory database of a packages job: "HASH VERSION" (text)
      f/<job>/<fingerprint> merged finding
*/
#include "sw_jobs.h"

#include <czmq.h>
#include <inttypes.h>

#include "sw_jobfile.h"
#include "sw_mpv.h"
#include "sw_proto.h"

typedef enum { JOB_RUNNING = 0, JOB_DONE, JOB_PARTIAL, JOB_CANCELLED, JOB_STATES } job_state_t;
static const char *s_state_names[JOB_STATES] = {"running", "done", "partial", "cancelled"};

typedef struct {
    char id[SW_JOB_ID_MAX];
    char *name;
    char *source;
    job_state_t state;
    sw_plan_t *plan; //  only while running
    char *bundle[2]; //  per content kind (posture rules, packages advisories): blob hash
    char *bundle_version[2];
    uint64_t total, cursor, done, failed, findings;
    uint64_t sev[SW_SEV_COUNT];
    int64_t created, finished;
    uint32_t lease_ms, max_attempts;
    zlist_t *requeue; //  lease keys waiting to run again (some may be stale)
    size_t queued;    //  leases in the queue now
    size_t leased;    //  shards out on a node now
    bool dirty;
} job_t;

typedef struct {
    char key[SW_JOB_ID_MAX + 24];
    job_t *job;
    uint64_t shard;
    uint32_t attempts;
    char node[160]; //  "NAME/SESSION" of the holder; empty while queued
    char last[160]; //  the previous holder, whose late result is still good
    int64_t expires;
    bool queued;
    bool attempts_saved; //  a/ record exists
    int64_t granted;     //  when the current holder got it
    uint32_t findings;   //  findings accepted for this shard
} lease_t;

struct sw_jobs_t {
    sw_store_t *store;
    const sw_hostlist_t *allowed;
    zhashx_t *jobs;    //  id -> job_t
    zlistx_t *order;   //  jobs in submission order (borrowed pointers)
    zhashx_t *leases;  //  key -> lease_t
    zhashx_t *held;    //  node -> size_t *, leases each node holds
    zhashx_t *pending; //  "job/fp" keys of findings staged but not committed
    uint64_t next_job;
    sw_blobs_t *blobs; //  borrowed; NULL: posture jobs are refused
    bool compact;      //  blobs were forgotten: compact them away after the commit
};

//  ---------------------------------------------------------------------
//  Records

static void s_job_destroy (void **item)
{
    job_t *job = *item;
    if (!job)
        return;
    free (job->name);
    free (job->source);
    for (int k = 0; k < 2; k++) {
        free (job->bundle[k]);
        free (job->bundle_version[k]);
    }
    sw_plan_destroy (&job->plan);
    zlist_destroy (&job->requeue);
    free (job);
    *item = NULL;
}

static void s_shard_key (char *buf, size_t len, char kind, const char *job, uint64_t shard)
{
    snprintf (buf, len, "%c/%s/%016" PRIx64, kind, job, shard);
}

static void s_job_save (sw_jobs_t *self, job_t *job)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 14);
    sw_pack_kv_str (&p.pk, "id", job->id);
    sw_pack_kv_str (&p.pk, "name", job->name);
    sw_pack_kv_str (&p.pk, "source", job->source);
    sw_pack_kv_str (&p.pk, "state", s_state_names[job->state]);
    sw_pack_kv_uint (&p.pk, "total", job->total);
    sw_pack_kv_uint (&p.pk, "cursor", job->cursor);
    sw_pack_kv_uint (&p.pk, "done", job->done);
    sw_pack_kv_uint (&p.pk, "failed", job->failed);
    sw_pack_kv_uint (&p.pk, "findings", job->findings);
    sw_pack_kv_int (&p.pk, "created", job->created);
    sw_pack_kv_int (&p.pk, "finished", job->finished);
    sw_pack_kv_uint (&p.pk, "lease_ms", job->lease_ms);
    sw_pack_kv_uint (&p.pk, "max_attempts", job->max_attempts);
    sw_pack_str (&p.pk, "sev");
    msgpack_pack_array (&p.pk, SW_SEV_COUNT);
    for (int i = 0; i < SW_SEV_COUNT; i++)
        msgpack_pack_uint64 (&p.pk, job->sev[i]);
    char key[64];
    snprintf (key, sizeof key, "j/%s", job->id);
    sw_store_put (self->store, key, p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
    job->dirty = false;
}

static int64_t s_int (const sw_mpv_t *v)
{
    return v && (v->type == SW_MPV_UINT || v->type == SW_MPV_INT) ? v->v.i : 0;
}

static job_t *s_job_load (const char *value, size_t size)
{
    sw_mpdoc_t doc;
    char err[200];
    if (sw_mpdoc_decode (value, size, &doc, err, sizeof err))
        return NULL;
    const sw_mpv_t *r = doc.root;
    const char *id = sw_mpv_str (sw_mpv_get (r, "id"));
    const char *state = sw_mpv_str (sw_mpv_get (r, "state"));
    job_t *job = NULL;
    if (!id || strlen (id) >= SW_JOB_ID_MAX || !state)
        goto done;
    job = calloc (1, sizeof *job);
    snprintf (job->id, sizeof job->id, "%s", id);
    const char *name = sw_mpv_str (sw_mpv_get (r, "name"));
    const char *source = sw_mpv_str (sw_mpv_get (r, "source"));
    job->name = strdup (name ? name : "");
    job->source = strdup (source ? source : "");
    for (int i = 0; i < JOB_STATES; i++)
        if (strcmp (state, s_state_names[i]) == 0)
            job->state = (job_state_t)i;
    job->total = (uint64_t)s_int (sw_mpv_get (r, "total"));
    job->cursor = (uint64_t)s_int (sw_mpv_get (r, "cursor"));
    job->done = (uint64_t)s_int (sw_mpv_get (r, "done"));
    job->failed = (uint64_t)s_int (sw_mpv_get (r, "failed"));
    job->findings = (uint64_t)s_int (sw_mpv_get (r, "findings"));
    job->created = s_int (sw_mpv_get (r, "created"));
    job->finished = s_int (sw_mpv_get (r, "finished"));
    job->lease_ms = (uint32_t)s_int (sw_mpv_get (r, "lease_ms"));
    job->max_attempts = (uint32_t)s_int (sw_mpv_get (r, "max_attempts"));
    const sw_mpv_t *sev = sw_mpv_get (r, "sev");
    for (uint32_t i = 0; sev && sev->type == SW_MPV_ARRAY && i < sev->len && i < SW_SEV_COUNT; i++)
        job->sev[i] = (uint64_t)s_int (&sev->v.items[i]);
    job->requeue = zlist_new ();
    zlist_autofree (job->requeue);
done:
    sw_mpdoc_free (&doc);
    return job;
}

//  ---------------------------------------------------------------------
//  Leases

static lease_t *s_lease_new (sw_jobs_t *self, job_t *job, uint64_t shard)
{
    lease_t *lease = calloc (1, sizeof *lease);
    snprintf (lease->key, sizeof lease->key, "%s#%" PRIu64, job->id, shard);
    lease->job = job;
    lease->shard = shard;
    zhashx_insert (self->leases, lease->key, lease);
    return lease;
}

//  The holder of a lease changes only through these two, which keep the
//  per-node and per-job counts exact.
static void s_hold (sw_jobs_t *self, lease_t *lease, const char *node, int64_t now)
{
    snprintf (lease->node, sizeof lease->node, "%s", node);
    lease->granted = now;
    lease->job->leased++;
    size_t *count = zhashx_lookup (self->held, node);
    if (!count) {
        count = calloc (1, sizeof *count);
        zhashx_insert (self->held, node, count);
    }
    (*count)++;
}

static void s_unhold (sw_jobs_t *self, lease_t *lease)
{
    if (!lease->node[0])
        return;
    size_t *count = zhashx_lookup (self->held, lease->node);
    if (count && --*count == 0)
        zhashx_delete (self->held, lease->node);
    lease->job->leased--;
    memcpy (lease->last, lease->node, sizeof lease->last);
    lease->node[0] = 0;
}

//  True when two node ids name the same node (the part before '/').
static bool s_same_node (const char *a, const char *b)
{
    size_t la = strcspn (a, "/"), lb = strcspn (b, "/");
    return la == lb && memcmp (a, b, la) == 0;
}

//  True when node may report on the lease: it holds it, or held it last
//  and the lease lapsed since (its late result is still a real result).
static bool s_reporter_ok (const lease_t *lease, const char *node)
{
    if (!lease->queued)
        return s_same_node (lease->node, node);
    return lease->last[0] && s_same_node (lease->last, node);
}

static void s_enqueue (sw_jobs_t *self, lease_t *lease, bool front)
{
    job_t *job = lease->job;
    s_unhold (self, lease);
    if (!lease->queued)
        job->queued++;
    lease->queued = true;
    if (front)
        zlist_push (job->requeue, lease->key);
    else
        zlist_append (job->requeue, lease->key);
}

static void s_queue (sw_jobs_t *self, lease_t *lease)
{
    s_enqueue (self, lease, false);
}

typedef struct {
    sw_jobs_t *self;
    zhashx_t *kept; //  blobs other running jobs name, and those already forgotten
    size_t forgotten;
} forget_t;

static void s_keep_blob (void *arg, const char *hash)
{
    zhashx_insert (((forget_t *)arg)->kept, hash, "");
}

static void s_forget_one (void *arg, const char *hash)
{
    forget_t *ctx = arg;
    if (zhashx_lookup (ctx->kept, hash))
        return; //  still needed, or done
    sw_blobs_forget (ctx->self->blobs, hash);
    zhashx_insert (ctx->kept, hash, "");
    ctx->forgotten++;
}

//  A job ended: the files a secrets job scanned (secrets in clear, by
//  their nature) leave the broker's store, unless a running job still
//  needs them; the store is compacted after the commit so that they
//  leave its files too.
static void s_job_ended (sw_jobs_t *self, job_t *job)
{
    forget_t ctx = {self, zhashx_new (), 0};
    if (self->blobs && job->plan) {
        //  One pass over the other running jobs, not one per blob
        for (job_t *other = zlistx_first (self->order); other; other = zlistx_next (self->order))
            if (other != job && other->state == JOB_RUNNING && other->plan)
                sw_plan_blobs (other->plan, false, s_keep_blob, &ctx);
        sw_plan_blobs (job->plan, true, s_forget_one, &ctx);
    }
    zhashx_destroy (&ctx.kept);
    if (ctx.forgotten) {
        self->compact = true;
        zsys_info ("job %s: %zu scanned input(s) of its secrets targets removed from the store",
                   job->id, ctx.forgotten);
    }
    sw_plan_destroy (&job->plan);
}

static void s_finish_if_complete (sw_jobs_t *self, job_t *job)
{
    if (job->state == JOB_RUNNING && job->done + job->failed == job->total) {
        job->state = job->failed ? JOB_PARTIAL : JOB_DONE;
        job->finished = zclock_time ();
        s_job_ended (self, job);
        zsys_info ("job %s %s: %" PRIu64 " shards done, %" PRIu64 " failed, %" PRIu64 " findings",
                   job->id, s_state_names[job->state], job->done, job->failed, job->findings);
    }
}

static void s_shard_record (sw_jobs_t *self, job_t *job, uint64_t shard, const char *state,
                            const char *node, uint32_t attempts, uint64_t open, uint64_t closed,
                            uint64_t filtered)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 6);
    sw_pack_kv_str (&p.pk, "state", state);
    sw_pack_kv_str (&p.pk, "node", node);
    sw_pack_kv_uint (&p.pk, "attempts", attempts);
    sw_pack_kv_uint (&p.pk, "open", open);
    sw_pack_kv_uint (&p.pk, "closed", closed);
    sw_pack_kv_uint (&p.pk, "filtered", filtered);
    char key[80];
    s_shard_key (key, sizeof key, 's', job->id, shard);
    sw_store_put (self->store, key, p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
}

//  Keeps the attempt count of a shard waiting for a retry, so a broker
//  restart does not hand a failing shard a fresh budget.
static void s_attempts_save (sw_jobs_t *self, lease_t *lease)
{
    char key[80], text[16];
    s_shard_key (key, sizeof key, 'a', lease->job->id, lease->shard);
    snprintf (text, sizeof text, "%u", lease->attempts);
    sw_store_put (self->store, key, text, strlen (text));
    lease->attempts_saved = true;
}

static void s_attempts_forget (sw_jobs_t *self, lease_t *lease)
{
    if (lease->attempts_saved) {
        char key[80];
        s_shard_key (key, sizeof key, 'a', lease->job->id, lease->shard);
        sw_store_del (self->store, key);
    }
}

//  Fails a shard for good, keeping what the report needs to say which.
static void s_shard_fail (sw_jobs_t *self, lease_t *lease, const char *reason)
{
    job_t *job = lease->job;
    sw_shard_spec_t spec = {0};
    if (job->plan)
        sw_plan_shard (job->plan, lease->shard, &spec);
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 4);
    sw_pack_kv_str (&p.pk, "target", spec.target);
    sw_pack_kv_str (&p.pk, "ports", spec.ports);
    sw_pack_kv_uint (&p.pk, "attempts", lease->attempts);
    sw_pack_kv_str (&p.pk, "reason", reason);
    char key[80];
    s_shard_key (key, sizeof key, 'x', job->id, lease->shard);
    sw_store_put (self->store, key, p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
    s_shard_record (self, job, lease->shard, "failed", lease->node, lease->attempts, 0, 0, 0);
    zsys_warning ("job %s shard %" PRIu64 " failed after %u attempts: %s", job->id, lease->shard,
                  lease->attempts, reason);
    s_unhold (self, lease);
    if (lease->queued)
        job->queued--;
    job->failed++;
    job->dirty = true;
    s_attempts_forget (self, lease);
    zhashx_delete (self->leases, lease->key);
    s_finish_if_complete (self, job);
}

//  A lease ended without a result: retry while attempts remain.
static void s_lease_lapse (sw_jobs_t *self, lease_t *lease, const char *reason)
{
    if (lease->attempts >= lease->job->max_attempts) {
        char why[600];
        snprintf (why, sizeof why, "%s (attempt %u of %u)", reason, lease->attempts,
                  lease->job->max_attempts);
        s_shard_fail (self, lease, why);
    } else {
        zsys_info ("job %s shard %" PRIu64 " requeued after attempt %u: %s", lease->job->id,
                   lease->shard, lease->attempts, reason);
        s_attempts_save (self, lease);
        s_queue (self, lease);
    }
}

//  ---------------------------------------------------------------------
//  Recovery

typedef struct {
    sw_jobs_t *self;
    job_t *job;
    uint64_t expect; //  next shard number not yet seen in s/<job>/
} gap_scan_t;

static void s_requeue_range (sw_jobs_t *self, job_t *job, uint64_t from, uint64_t to)
{
    for (uint64_t shard = from; shard < to; shard++) {
        lease_t *lease = s_lease_new (self, job, shard);
        char key[80];
        size_t size;
        s_shard_key (key, sizeof key, 'a', job->id, shard);
        char *saved = sw_store_get (self->store, key, &size);
        if (saved) {
            lease->attempts = (uint32_t)strtoul (saved, NULL, 10);
            lease->attempts_saved = true;
            free (saved);
        }
        s_queue (self, lease);
    }
}

//  The shard number at the end of a store key "k/<job>/<shard:016x>".
//  Store keys are not NUL-terminated: the digits are copied out first.
static uint64_t s_key_shard (const char *key, size_t keylen)
{
    const char *slash = memrchr (key, '/', keylen);
    if (!slash)
        return UINT64_MAX;
    size_t n = keylen - (size_t)(slash + 1 - key);
    char hex[17] = {0};
    memcpy (hex, slash + 1, n < 16 ? n : 16);
    return strtoull (hex, NULL, 16);
}

static int s_gap_visit (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    (void)value;
    (void)size;
    gap_scan_t *scan = arg;
    uint64_t shard = s_key_shard (key, keylen);
    if (shard >= scan->job->cursor)
        return 1;
    s_requeue_range (scan->self, scan->job, scan->expect, shard);
    scan->expect = shard + 1;
    return 0;
}

//  The content kinds a job may need: which scanner needs it, where the job
//  records it, and what tells an operator how to provide it.
static const struct {
    const char *scanner;
    const char *key;
    const char *missing;
} s_kinds[2] = {
    {"posture", "u", "rule bundle: push one with `sweepctl rules push DIR`"},
    {"packages", "v", "advisory database: import one with `sweepctl advisories import PATH`"},
};

static int s_kind_of (const char *scanner)
{
    if (scanner && (strcmp (scanner, "secrets") == 0 || strcmp (scanner, "net") == 0))
        return 0; //  the secrets and net rules travel in the rule bundle
    for (int k = 0; k < 2; k++)
        if (scanner && strcmp (scanner, s_kinds[k].scanner) == 0)
            return k;
    return -1;
}

//  Splits "HASH VERSION" into the job's bundle fields of kind k.
static void s_job_set_bundle (job_t *job, int k, const char *text)
{
    const char *space = strchr (text, ' ');
    job->bundle[k] = space ? strndup (text, (size_t)(space - text)) : strdup (text);
    job->bundle_version[k] = strdup (space ? space + 1 : "");
}

//  Every file of a posture or packages target must be a complete blob of
//  its size, and the job needs the content its scanners run on.
static int s_check_inputs (sw_jobs_t *self, const sw_jobfile_t *spec, const char *content[2],
                           bool fingerprint_key, bool needs[2], char *err, size_t errlen)
{
    needs[0] = needs[1] = false;
    const char *by[2] = {NULL, NULL};
    for (size_t i = 0; i < spec->ntargets; i++) {
        const sw_job_target_t *t = &spec->targets[i];
        int k = s_kind_of (t->scanner);
        if (k < 0)
            continue;
        if (strcmp (t->scanner, "secrets") == 0 && !fingerprint_key) {
            snprintf (err, errlen,
                      "the job has secrets targets and the broker has no fingerprint key "
                      "(`sweepctl keys init KEYS` makes KEYS/content/fingerprint.key)");
            return -1;
        }
        needs[k] = true;
        by[k] = by[k] ? by[k] : t->scanner;
        for (size_t f = 0; f < t->nfiles; f++) {
            uint64_t size = 0;
            if (!self->blobs || !sw_blobs_have (self->blobs, t->files[f].hash, &size) ||
                size != t->files[f].size) {
                snprintf (err, errlen,
                          "targets[%zu].files[%zu] (%s): blob %.16s... is not on the broker "
                          "(sweepctl submit uploads it)",
                          i, f, t->files[f].name, t->files[f].hash);
                return -1;
            }
        }
    }
    for (int k = 0; k < 2; k++)
        if (needs[k] && !content[k]) {
            snprintf (err, errlen, "the job has %s targets and the broker has no %s", by[k],
                      s_kinds[k].missing);
            return -1;
        }
    return 0;
}

void sw_jobs_set_blobs (sw_jobs_t *self, sw_blobs_t *blobs)
{
    self->blobs = blobs;
}

//  Puts back in the queue every shard below the cursor that has no
//  finished record: those were in flight when the broker stopped.
static int s_resume (sw_jobs_t *self, job_t *job, char *err, size_t errlen)
{
    char key[64];
    snprintf (key, sizeof key, "t/%s", job->id);
    size_t size;
    char *text = sw_store_get (self->store, key, &size);
    if (!text) {
        snprintf (err, errlen, "job %s: job file text missing from the store", job->id);
        return -1;
    }
    sw_jobfile_t *spec = sw_jobfile_parse (text, size, job->source, err, errlen);
    free (text);
    if (!spec)
        return -1;
    job->plan = sw_plan_new (spec, self->allowed, err, errlen);
    sw_jobfile_destroy (&spec);
    if (!job->plan)
        return -1;
    for (int k = 0; k < 2; k++) {
        snprintf (key, sizeof key, "%s/%s", s_kinds[k].key, job->id);
        char *bundle = sw_store_get (self->store, key, &size);
        if (bundle) {
            s_job_set_bundle (job, k, bundle);
            free (bundle);
        }
    }
    char prefix[64];
    snprintf (prefix, sizeof prefix, "s/%s/", job->id);
    gap_scan_t scan = {self, job, 0};
    sw_store_scan (self->store, prefix, NULL, s_gap_visit, &scan);
    s_requeue_range (self, job, scan.expect, job->cursor);
    zsys_info ("job %s resumed: %" PRIu64 "/%" PRIu64 " shards finished, %zu requeued", job->id,
               job->done + job->failed, job->total, zlist_size (job->requeue));
    return 0;
}

static int s_load_visit (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    (void)key;
    (void)keylen;
    sw_jobs_t *self = arg;
    job_t *job = s_job_load (value, size);
    if (!job) {
        zsys_error ("store: unreadable job record %.*s skipped", (int)keylen, key);
        return 0;
    }
    zhashx_insert (self->jobs, job->id, job);
    zlistx_add_end (self->order, job);
    return 0;
}

sw_jobs_t *sw_jobs_new (sw_store_t *store, const sw_hostlist_t *allowed, char *err, size_t errlen)
{
    sw_jobs_t *self = calloc (1, sizeof *self);
    self->store = store;
    self->allowed = allowed;
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_job_destroy);
    self->order = zlistx_new ();
    self->leases = zhashx_new ();
    zhashx_set_destructor (self->leases, (zhashx_destructor_fn *)zstr_free);
    self->pending = zhashx_new ();
    self->held = zhashx_new ();
    zhashx_set_destructor (self->held, (zhashx_destructor_fn *)zstr_free);
    size_t size;
    char *next = sw_store_get (store, "m/next_job", &size);
    self->next_job = next ? strtoull (next, NULL, 10) : 1;
    free (next);
    sw_store_scan (store, "j/", NULL, s_load_visit, self);
    //  Never reuse a job id, even if m/next_job could not be read.
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order)) {
        uint64_t number = strtoull (job->id + strcspn (job->id, "0123456789"), NULL, 10);
        if (number >= self->next_job)
            self->next_job = number + 1;
    }
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order)) {
        if (job->state != JOB_RUNNING)
            continue;
        char why[600];
        if (s_resume (self, job, why, sizeof why)) {
            //  The job can no longer be planned (e.g. the allowed scope
            //  shrank): it stops here, and says why in its log line.
            zsys_error ("job %s cannot resume: %s; marking it cancelled", job->id, why);
            job->state = JOB_CANCELLED;
            job->finished = zclock_time ();
            s_job_save (self, job);
        }
    }
    if (sw_store_commit (store, true, err, errlen)) {
        sw_jobs_destroy (&self);
        return NULL;
    }
    return self;
}

void sw_jobs_destroy (sw_jobs_t **self_p)
{
    sw_jobs_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->leases);
    zhashx_destroy (&self->pending);
    zhashx_destroy (&self->held);
    zlistx_destroy (&self->order);
    zhashx_destroy (&self->jobs);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Intake and dispatch

//  A submit token is short and plain, so it can be a store key.
static bool s_token_ok (const char *token)
{
    size_t len = strlen (token);
    return len >= 8 && len <= 64 && strspn (token, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

int sw_jobs_submit (sw_jobs_t *self, const char *text, size_t len, const char *source,
                    const char *token, const sw_content_t *content_in, char id[SW_JOB_ID_MAX],
                    uint64_t *total, char *err, size_t errlen)
{
    char token_key[80] = "";
    if (token) {
        if (!s_token_ok (token)) {
            snprintf (err, errlen, "submit token must be 8-64 characters of [a-z0-9-]");
            return -1;
        }
        snprintf (token_key, sizeof token_key, "r/%s", token);
        size_t size;
        char *known = sw_store_get (self->store, token_key, &size);
        job_t *job = known ? zhashx_lookup (self->jobs, known) : NULL;
        free (known);
        if (job) {
            memcpy (id, job->id, SW_JOB_ID_MAX);
            *total = job->total;
            return 0;
        }
    }
    sw_jobfile_t *spec = sw_jobfile_parse (text, len, source, err, errlen);
    if (!spec)
        return -1;
    char why[600];
    bool needs[2];
    const char *content[2] = {content_in ? content_in->rules : NULL,
                              content_in ? content_in->advisories : NULL};
    if (s_check_inputs (self, spec, content, content_in && content_in->fingerprint_key, needs, why,
                        sizeof why)) {
        snprintf (err, errlen, "%s: %s", source, why);
        sw_jobfile_destroy (&spec);
        return -1;
    }
    sw_plan_t *plan = sw_plan_new (spec, self->allowed, why, sizeof why);
    if (!plan) {
        snprintf (err, errlen, "%s: %s", source, why);
        sw_jobfile_destroy (&spec);
        return -1;
    }
    job_t *job = calloc (1, sizeof *job);
    snprintf (job->id, sizeof job->id, "job-%06" PRIu64, self->next_job++);
    job->name = strdup (spec->name);
    job->source = strdup (source);
    job->plan = plan;
    job->total = sw_plan_total (plan);
    job->created = zclock_time ();
    job->lease_ms = spec->lease_ms ? spec->lease_ms : 10000;
    job->max_attempts = spec->max_attempts ? spec->max_attempts : 3;
    job->requeue = zlist_new ();
    zlist_autofree (job->requeue);
    sw_jobfile_destroy (&spec);

    char key[64], next[32];
    snprintf (key, sizeof key, "t/%s", job->id);
    sw_store_put (self->store, key, text, len);
    snprintf (next, sizeof next, "%" PRIu64, self->next_job);
    sw_store_put (self->store, "m/next_job", next, strlen (next));
    if (*token_key)
        sw_store_put (self->store, token_key, job->id, strlen (job->id));
    for (int k = 0; k < 2; k++)
        if (needs[k]) {
            snprintf (key, sizeof key, "%s/%s", s_kinds[k].key, job->id);
            sw_store_put (self->store, key, content[k], strlen (content[k]));
            s_job_set_bundle (job, k, content[k]);
        }
    s_job_save (self, job);
    zhashx_insert (self->jobs, job->id, job);
    zlistx_add_end (self->order, job);
    memcpy (id, job->id, SW_JOB_ID_MAX);
    *total = job->total;
    zsys_info ("job %s '%s' accepted from %s: %" PRIu64 " shards", job->id, job->name, source,
               job->total);
    return 0;
}

static void s_grant (sw_jobs_t *self, lease_t *lease, const char *node, int64_t now,
                     sw_grant_t *out)
{
    job_t *job = lease->job;
    if (lease->queued)
        job->queued--;
    lease->queued = false;
    lease->attempts++;
    lease->findings = 0;
    s_hold (self, lease, node, now);
    lease->expires = now + job->lease_ms;
    memcpy (out->job, job->id, SW_JOB_ID_MAX);
    out->shard = lease->shard;
    out->attempt = lease->attempts;
    out->lease_ms = job->lease_ms;
    sw_plan_shard (job->plan, lease->shard, &out->spec);
    int k = s_kind_of (out->spec.scanner);
    out->bundle = k >= 0 ? job->bundle[k] : NULL;
    out->bundle_version = k >= 0 ? job->bundle_version[k] : NULL;
}

int sw_jobs_next (sw_jobs_t *self, const char *node, int64_t now, sw_grant_t *out)
{
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order)) {
        if (job->state != JOB_RUNNING)
            continue;
        char *key;
        while ((key = zlist_pop (job->requeue))) {
            lease_t *lease = zhashx_lookup (self->leases, key);
            free (key);
            if (lease && lease->queued) {
                s_grant (self, lease, node, now, out);
                return 1;
            }
        }
        if (job->cursor < job->total) {
            lease_t *lease = s_lease_new (self, job, job->cursor++);
            job->dirty = true;
            s_grant (self, lease, node, now, out);
            return 1;
        }
    }
    return 0;
}

static lease_t *s_lease_find (sw_jobs_t *self, const char *job, uint64_t shard)
{
    char key[SW_JOB_ID_MAX + 24];
    snprintf (key, sizeof key, "%s#%" PRIu64, job, shard);
    return zhashx_lookup (self->leases, key);
}

void sw_jobs_renew (sw_jobs_t *self, const char *job, uint64_t shard, const char *node, int64_t now)
{
    lease_t *lease = s_lease_find (self, job, shard);
    if (!lease || lease->queued || !s_same_node (lease->node, node))
        return;
    //  A shard may not be held forever, however faithfully it is renewed.
    if (now - lease->granted > (int64_t)lease->job->lease_ms * SW_LEASE_MAX_RENEWALS)
        return;
    if (strcmp (lease->node, node) != 0) {
        int64_t granted = lease->granted;
        s_unhold (self, lease);
        s_hold (self, lease, node, granted);
    }
    lease->expires = now + lease->job->lease_ms;
}

int sw_jobs_done (sw_jobs_t *self, const char *job_id, uint64_t shard, const char *node,
                  uint64_t open, uint64_t closed, uint64_t filtered)
{
    lease_t *lease = s_lease_find (self, job_id, shard);
    if (!lease || lease->job->state != JOB_RUNNING || !s_reporter_ok (lease, node))
        return 0;
    job_t *job = lease->job;
    //  A result is good whichever attempt produced it: the lease may have
    //  lapsed and the shard been queued again, but the work was done.
    s_shard_record (self, job, shard, "done", node, lease->attempts, open, closed, filtered);
    s_unhold (self, lease);
    if (lease->queued)
        job->queued--;
    job->done++;
    job->dirty = true;
    s_attempts_forget (self, lease);
    zhashx_delete (self->leases, lease->key);
    s_finish_if_complete (self, job);
    return 1;
}

int sw_jobs_failed (sw_jobs_t *self, const char *job, uint64_t shard, uint32_t attempt,
                    const char *node, const char *reason)
{
    lease_t *lease = s_lease_find (self, job, shard);
    if (!lease || lease->queued || lease->attempts != attempt || !s_same_node (lease->node, node) ||
        lease->job->state != JOB_RUNNING)
        return 0;
    char why[600];
    snprintf (why, sizeof why, "node %s: %s", node, reason);
    s_lease_lapse (self, lease, why);
    return 1;
}

void sw_jobs_release (sw_jobs_t *self, const char *job, uint64_t shard)
{
    lease_t *lease = s_lease_find (self, job, shard);
    if (!lease || lease->queued)
        return;
    lease->attempts--;
    //  The session that never got it is not a holder to remember.
    char last[sizeof lease->last];
    memcpy (last, lease->last, sizeof last);
    s_enqueue (self, lease, true);
    memcpy (lease->last, last, sizeof last);
}

size_t sw_jobs_adopt (sw_jobs_t *self, const char *node)
{
    size_t moved = 0;
    for (lease_t *lease = zhashx_first (self->leases); lease; lease = zhashx_next (self->leases))
        if (!lease->queued && s_same_node (lease->node, node) && strcmp (lease->node, node) != 0) {
            int64_t granted = lease->granted;
            s_unhold (self, lease);
            s_hold (self, lease, node, granted);
            moved++;
        }
    return moved;
}

void sw_jobs_node_lost (sw_jobs_t *self, const char *node, const char *why)
{
    zlistx_t *lost = zlistx_new ();
    for (lease_t *lease = zhashx_first (self->leases); lease; lease = zhashx_next (self->leases))
        if (!lease->queued && strcmp (lease->node, node) == 0)
            zlistx_add_end (lost, lease);
    char reason[300];
    snprintf (reason, sizeof reason, "node %s lost: %s", node, why);
    for (lease_t *lease = zlistx_first (lost); lease; lease = zlistx_next (lost))
        s_lease_lapse (self, lease, reason);
    zlistx_destroy (&lost);
}

void sw_jobs_expire (sw_jobs_t *self, int64_t now)
{
    zlistx_t *expired = zlistx_new ();
    for (lease_t *lease = zhashx_first (self->leases); lease; lease = zhashx_next (self->leases))
        if (!lease->queued && lease->expires <= now)
            zlistx_add_end (expired, lease);
    for (lease_t *lease = zlistx_first (expired); lease; lease = zlistx_next (expired)) {
        char reason[300];
        snprintf (reason, sizeof reason, "lease expired on node %s", lease->node);
        s_lease_lapse (self, lease, reason);
    }
    zlistx_destroy (&expired);
}

int sw_jobs_cancel (sw_jobs_t *self, const char *id, char *err, size_t errlen)
{
    job_t *job = zhashx_lookup (self->jobs, id);
    if (!job) {
        snprintf (err, errlen, "no job '%s'", id);
        return -1;
    }
    if (job->state == JOB_CANCELLED)
        return 0;
    if (job->state != JOB_RUNNING) {
        snprintf (err, errlen, "job %s already ended: %s", id, s_state_names[job->state]);
        return -2;
    }
    zlistx_t *mine = zlistx_new ();
    for (lease_t *lease = zhashx_first (self->leases); lease; lease = zhashx_next (self->leases))
        if (lease->job == job)
            zlistx_add_end (mine, lease->key);
    for (char *key = zlistx_first (mine); key; key = zlistx_next (mine)) {
        lease_t *lease = zhashx_lookup (self->leases, key);
        s_unhold (self, lease);
        s_attempts_forget (self, lease);
        zhashx_delete (self->leases, key);
    }
    zlistx_destroy (&mine);
    zlist_purge (job->requeue);
    job->leased = 0;
    job->queued = 0;
    job->state = JOB_CANCELLED;
    job->finished = zclock_time ();
    job->dirty = true;
    s_job_ended (self, job);
    zsys_info ("job %s cancelled", id);
    return 0;
}

//  ---------------------------------------------------------------------
//  Reducer

int sw_jobs_finding (sw_jobs_t *self, const sw_finding_t *f, const char *node)
{
    job_t *job = zhashx_lookup (self->jobs, f->job);
    if (!job)
        return -1;
    if (job->state != JOB_RUNNING)
        return 0; //  a late copy: the job's report is final
    //  Only the node that ran the shard may report on it, and no more than
    //  a shard can hold: a node key cannot write into other nodes' work.
    lease_t *lease = s_lease_find (self, f->job, f->shard);
    if (!lease || !s_reporter_ok (lease, node) || lease->findings >= SW_SHARD_FINDINGS_MAX)
        return -1;
    char key[SW_JOB_ID_MAX + SW_FP_HEX_LEN + 8];
    snprintf (key, sizeof key, "f/%s/%s", job->id, f->fingerprint);
    if (zhashx_lookup (self->pending, key))
        return 0;
    size_t size;
    char *known = sw_store_get (self->store, key, &size);
    if (known) {
        free (known);
        return 0;
    }
    sw_packer_t p;
    sw_packer_init (&p);
    sw_finding_pack (&p.pk, f);
    sw_store_put (self->store, key, p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
    zhashx_insert (self->pending, key, (void *)1);
    lease->findings++;
    job->findings++;
    job->sev[f->severity < SW_SEV_COUNT ? f->severity : SW_SEV_INFO]++;
    job->dirty = true;
    return 1;
}

int sw_jobs_commit (sw_jobs_t *self, char *err, size_t errlen)
{
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order))
        if (job->dirty)
            s_job_save (self, job);
    if (sw_store_commit (self->store, true, err, errlen))
        return -1;
    zhashx_purge (self->pending);
    if (self->compact)
        sw_store_compact (self->store, "B/", "b/\x7f"); //  every blob key
    self->compact = false;
    return 0;
}

//  ---------------------------------------------------------------------
//  Views

size_t sw_jobs_leases_of (sw_jobs_t *self, const char *node)
{
    size_t *count = zhashx_lookup (self->held, node);
    return count ? *count : 0;
}

void sw_jobs_counts (sw_jobs_t *self, size_t *running, size_t *total)
{
    *running = 0;
    *total = zlistx_size (self->order);
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order))
        if (job->state == JOB_RUNNING)
            (*running)++;
}

static void s_pack_sev (msgpack_packer *pk, const job_t *job)
{
    sw_pack_str (pk, "by_severity");
    msgpack_pack_map (pk, SW_SEV_COUNT);
    for (int i = SW_SEV_COUNT - 1; i >= 0; i--)
        sw_pack_kv_uint (pk, sw_severity_name ((sw_severity_t)i), job->sev[i]);
}

static void s_pack_job (msgpack_packer *pk, const job_t *job, bool detail)
{
    msgpack_pack_map (pk, detail ? 15 : 10);
    sw_pack_kv_str (pk, "id", job->id);
    sw_pack_kv_str (pk, "name", job->name);
    sw_pack_kv_str (pk, "state", s_state_names[job->state]);
    sw_pack_kv_uint (pk, "total", job->total);
    sw_pack_kv_uint (pk, "done", job->done);
    sw_pack_kv_uint (pk, "failed", job->failed);
    sw_pack_kv_uint (pk, "findings", job->findings);
    sw_pack_kv_int (pk, "created", job->created);
    sw_pack_kv_int (pk, "finished", job->finished);
    s_pack_sev (pk, job);
    if (detail) {
        sw_pack_kv_str (pk, "source", job->source);
        sw_pack_kv_uint (pk, "leased", job->leased);
        sw_pack_kv_uint (pk, "queued", job->queued);
        sw_pack_kv_uint (
            pk, "elapsed_ms",
            (uint64_t)((job->finished ? job->finished : zclock_time ()) - job->created));
        sw_pack_kv_bool (pk, "complete", job->state == JOB_DONE);
    }
}

void sw_jobs_pack_list (sw_jobs_t *self, msgpack_packer *pk)
{
    msgpack_pack_map (pk, 1);
    sw_pack_str (pk, "jobs");
    msgpack_pack_array (pk, zlistx_size (self->order));
    for (job_t *job = zlistx_first (self->order); job; job = zlistx_next (self->order))
        s_pack_job (pk, job, false);
}

int sw_jobs_running (sw_jobs_t *self, const char *id)
{
    job_t *job = zhashx_lookup (self->jobs, id);
    return job ? job->state == JOB_RUNNING : -1;
}

int sw_jobs_pack_progress (sw_jobs_t *self, const char *id, msgpack_packer *pk)
{
    job_t *job = zhashx_lookup (self->jobs, id);
    if (!job)
        return -1;
    s_pack_job (pk, job, true);
    return 0;
}

//  ---------------------------------------------------------------------
//  Report

typedef struct {
    zlistx_t *items; //  sw_finding_t *
} collect_t;

static int s_collect_finding (void *arg, const char *key, size_t keylen, const char *value,
                              size_t size)
{
    collect_t *c = arg;
    sw_mpdoc_t doc;
    char err[200];
    if (sw_mpdoc_decode (value, size, &doc, err, sizeof err) == 0) {
        sw_finding_t *f = calloc (1, sizeof *f);
        if (sw_finding_unpack (doc.root, f, err, sizeof err) == 0)
            zlistx_add_end (c->items, f);
        else
            free (f);
        sw_mpdoc_free (&doc);
    } else
        zsys_error ("store: unreadable finding %.*s: %s", (int)keylen, key, err);
    return 0;
}

//  Most severe first, then by resource and location, so reports of the
//  same findings read the same whatever order they arrived in.
static int s_failed_visit (void *arg, const char *key, size_t keylen, const char *value,
                           size_t size)
{
    FILE *out = ((void **)arg)[0];
    int *count = ((void **)arg)[1];
    sw_mpdoc_t doc;
    char err[200];
    if (sw_mpdoc_decode (value, size, &doc, err, sizeof err))
        return 0;
    uint64_t shard = s_key_shard (key, keylen);
    fprintf (out, "%s\n      {\"shard\": %" PRIu64 ", ", (*count)++ ? "," : "", shard);
    fputs ("\"target\": ", out);
    sw_json_string (out, sw_mpv_str (sw_mpv_get (doc.root, "target")) ?: "");
    fputs (", \"ports\": ", out);
    sw_json_string (out, sw_mpv_str (sw_mpv_get (doc.root, "ports")) ?: "");
    fprintf (out, ", \"attempts\": %" PRId64 ", \"reason\": ",
             s_int (sw_mpv_get (doc.root, "attempts")));
    sw_json_string (out, sw_mpv_str (sw_mpv_get (doc.root, "reason")) ?: "");
    fputs ("}", out);
    sw_mpdoc_free (&doc);
    return 0;
}

//  Adds a finished shard's port counts (its 's' record) to uint64_t[3].
static int s_ports_visit (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    (void)key;
    (void)keylen;
    uint64_t *sum = arg;
    sw_mpdoc_t doc;
    char err[200];
    if (sw_mpdoc_decode (value, size, &doc, err, sizeof err))
        return 0;
    const char *names[3] = {"open", "closed", "filtered"};
    for (int i = 0; i < 3; i++)
        sum[i] += (uint64_t)s_int (sw_mpv_get (doc.root, names[i]));
    sw_mpdoc_free (&doc);
    return 0;
}

//  Loads a job's findings from the store in report order. Returns the
//  count; *out is a malloc'd array the caller frees with s_findings_free.
static size_t s_findings_load (sw_jobs_t *self, const job_t *job, sw_finding_t **out)
{
    char prefix[64];
    collect_t c = {zlistx_new ()};
    snprintf (prefix, sizeof prefix, "f/%s/", job->id);
    sw_store_scan (self->store, prefix, NULL, s_collect_finding, &c);
    size_t n = zlistx_size (c.items), i = 0;
    sw_finding_t *sorted = calloc (n ? n : 1, sizeof *sorted);
    for (sw_finding_t *f = zlistx_first (c.items); f; f = zlistx_next (c.items)) {
        sorted[i++] = *f; //  the array takes over the strings
        free (f);
    }
    zlistx_destroy (&c.items);
    qsort (sorted, n, sizeof *sorted, sw_finding_order);
    *out = sorted;
    return n;
}

static void s_findings_free (sw_finding_t *findings, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sw_finding_clear (&findings[i]);
    free (findings);
}

int sw_jobs_pack_findings (sw_jobs_t *self, const char *id, size_t limit, msgpack_packer *pk)
{
    job_t *job = zhashx_lookup (self->jobs, id);
    if (!job)
        return -1;
    sw_finding_t *findings;
    size_t n = s_findings_load (self, job, &findings);
    size_t shown = n < limit ? n : limit;
    msgpack_pack_map (pk, 2);
    sw_pack_kv_uint (pk, "total", n);
    sw_pack_str (pk, "findings");
    msgpack_pack_array (pk, shown);
    for (size_t i = 0; i < shown; i++)
        sw_finding_pack (pk, &findings[i]);
    s_findings_free (findings, n);
    return 0;
}

char *sw_jobs_report_json (sw_jobs_t *self, const char *id, size_t *len)
{
    job_t *job = zhashx_lookup (self->jobs, id);
    if (!job)
        return NULL;
    char *text = NULL;
    FILE *out = open_memstream (&text, len);
    char created[32], finished[32], prefix[64];
    sw_iso_time (job->created, created, sizeof created);
    sw_iso_time (job->finished, finished, sizeof finished);

    fputs ("{\n  \"schema\": \"cloudsweep.report/1\",\n  \"job\": {\n", out);
    sw_json_kv (out, "    ", "id", job->id, true);
    sw_json_kv (out, "    ", "name", job->name, true);
    sw_json_kv (out, "    ", "source", job->source, true);
    sw_json_kv (out, "    ", "state", s_state_names[job->state], true);
    sw_json_kv (out, "    ", "created", created, true);
    sw_json_kv (out, "    ", "finished", finished, false);
    fprintf (out,
             "  },\n  \"coverage\": {\n    \"shards_total\": %" PRIu64
             ",\n    \"shards_done\": %" PRIu64 ",\n    \"shards_failed\": %" PRIu64
             ",\n    \"complete\": %s,\n    \"failed_shards\": [",
             job->total, job->done, job->failed, job->state == JOB_DONE ? "true" : "false");
    int nfailed = 0;
    void *args[2] = {out, &nfailed};
    snprintf (prefix, sizeof prefix, "x/%s/", job->id);
    sw_store_scan (self->store, prefix, NULL, s_failed_visit, args);
    //  What the port scans of the shards done saw (0 for other scanners)
    uint64_t ports[3] = {0};
    snprintf (prefix, sizeof prefix, "s/%s/", job->id);
    sw_store_scan (self->store, prefix, NULL, s_ports_visit, ports);
    fprintf (out,
             "%s],\n    \"ports\": {\"open\": %" PRIu64 ", \"closed\": %" PRIu64
             ", \"filtered\": %" PRIu64 "}\n  },\n  \"summary\": {\n    \"findings\": %" PRIu64
             ",\n    \"by_severity\": {",
             nfailed ? "\n    " : "", ports[0], ports[1], ports[2], job->findings);
    for (int i = SW_SEV_COUNT - 1; i >= 0; i--)
        fprintf (out, "\"%s\": %" PRIu64 "%s", sw_severity_name ((sw_severity_t)i), job->sev[i],
                 i ? ", " : "");
    fputs ("}\n  },\n  \"findings\": [\n", out);

    sw_finding_t *findings;
    size_t n = s_findings_load (self, job, &findings);
    for (size_t i = 0; i < n; i++)
        sw_finding_json (out, &findings[i], i + 1 == n);
    s_findings_free (findings, n);
    fputs ("  ]\n}\n", out);
    fclose (out);
    return text;
}
