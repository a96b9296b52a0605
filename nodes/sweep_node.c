/*  sweep-node - a worker node: claims shards from the broker, runs them in
    worker threads, journals what they found before sending it, and
    replays whatever the broker has not acknowledged after a reconnect.

    The main thread owns the DEALER socket and does only quick work
    (messages, heartbeats, journal commits), so no scan can delay a
    heartbeat. Each worker is a CZMQ actor that runs one shard at a time.

    Results are grouped: whatever the workers finished during one turn of
    the loop is journaled in one batch, made durable with one fsync, and
    only then sent. The node takes up to four shards per worker so that a
    worker never waits a round trip for its next shard. */
#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>

#include "sw_keys.h"
#include "sw_blobcache.h"
#include "sw_bundle.h"
#include "sw_opts.h"
#include "sw_proto.h"
#include "sw_shard.h"
#include "sw_synscan.h"
#include "sw_tcpscan.h"
#include "sw_store.h"

#define MAX_WORKERS      SW_MAX_CAPACITY
#define PREFETCH         SW_CREDIT_PER_SLOT //  shards held per worker: one running, three waiting
#define PENDING_RETRY_MS 2000               //  how often a node awaiting approval asks again

//  A worker runs the shards queued to it in order; the next one already
//  waits in its pipe when the current one ends, so it never idles for a
//  round trip through the main thread.
typedef struct {
    zactor_t *actor;
    sw_shard_work_t *queue[PREFETCH]; //  queue[0] runs now
    int queued;
} worker_t;

typedef struct {
    //  settings
    char *broker, *broker_key, *cert_path, *state_dir, *name, *labels, *content_key, *host_root,
        *scan_method;
    int workers, heartbeat_ms, liveness, max_inflight, drain_timeout_ms, max_rate;
    sw_net_settings_t net; //  the net scanner's probe waits and trust store
    //  runtime
    zcert_t *cert;
    int64_t pending_said; //  when the node last logged that it awaits approval
    char broker_pub[41];
    zsock_t *dealer;
    uint64_t generation; //  bumped whenever dealer is replaced
    sw_store_t *journal;
    sw_batch_t *batch;  //  journal writes of this loop turn
    zlistx_t *outbox;   //  messages of this loop turn, sent once batch is durable
    zactor_t *writer;   //  the journal writer thread
    bool replay_failed; //  a replayed record could not be queued
    size_t commits;     //  batches handed to the writer, not yet written
    uint64_t next_seq;  //  seq of the next journal record
    uint64_t acked;     //  every seq up to this one is acknowledged (and deleted)
    worker_t worker[MAX_WORKERS];
    sw_rules_cache_t rules_cache[MAX_WORKERS];
    sw_blobcache_t *blobs; //  posture inputs and rule bundles
    zlistx_t *staged;      //  posture shards waiting for their blobs
    uint8_t content_pk[crypto_sign_PUBLICKEYBYTES];
    bool have_content_pk;
    int64_t broker_seen;
    uint64_t contact_epoch; //  bumped each time the broker is found silent
    int64_t next_heartbeat;
    int64_t reconnect_at; //  0 when connected
    int64_t ready_at;     //  when the last READY went out
    int backoff_ms;
    bool draining;
    int64_t drain_deadline;
} node_t;

static volatile sig_atomic_t s_signals = 0;
static volatile int s_cancel_scans = 0; //  set when stopping without a drain

static void s_on_signal (int sig)
{
    (void)sig;
    s_signals++;
}

//  ---------------------------------------------------------------------
//  Workers

//  The loop of the node's helper threads: take a pointer from the pipe
//  ("DO", item), run fn on it, and hand back what fn returns ("DONE",
//  result), until $TERM. Items are processed in the order they came.
typedef void *(s_task_fn)(void *ctx, void *item);

static void s_task_loop (zsock_t *pipe, s_task_fn *fn, void *ctx)
{
    zsock_signal (pipe, 0);
    while (true) {
        char *cmd = NULL;
        void *ptr = NULL;
        if (zsock_recv (pipe, "sp", &cmd, &ptr) || !cmd)
            break;
        bool term = strcmp (cmd, "$TERM") == 0;
        if (!term && strcmp (cmd, "DO") == 0)
            zsock_send (pipe, "sp", "DONE", fn (ctx, ptr));
        free (cmd);
        if (term)
            break;
    }
}

//  Receives one "DONE" from a helper thread's pipe. Returns its pointer,
//  or NULL.
static void *s_task_done (void *actor)
{
    char *cmd = NULL;
    void *ptr = NULL;
    if (zsock_recv (actor, "sp", &cmd, &ptr) || !cmd || strcmp (cmd, "DONE") != 0)
        ptr = NULL;
    free (cmd);
    return ptr;
}

static void *s_run_shard (void *ctx, void *item)
{
    ((sw_shard_work_t *)item)->cache = ctx;
    sw_shard_result_t *result = calloc (1, sizeof *result);
    sw_shard_run (item, &s_cancel_scans, result);
    return result;
}

static void s_worker (zsock_t *pipe, void *arg)
{
    s_task_loop (pipe, s_run_shard, arg);
    sw_rules_cache_clear (arg); //  the cache is this thread's
}

//  Shards this node holds: running or queued on a worker.
static size_t s_held (node_t *self)
{
    size_t n = 0;
    for (int i = 0; i < self->workers; i++)
        n += (size_t)self->worker[i].queued;
    return n + (self->staged ? zlistx_size (self->staged) : 0);
}

//  ---------------------------------------------------------------------
//  Journal: every reliable message is stored under o/<seq> before it is
//  sent, and deleted when the broker acknowledges its seq.

static void s_seq_key (char *buf, size_t len, uint64_t seq)
{
    snprintf (buf, len, "o/%016" PRIx64, seq);
}

static int s_last_seq (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    (void)value;
    (void)size;
    //  Only well-formed record keys count; anything else under o/ is left
    //  alone rather than read as seq 0.
    char hex[17] = {0};
    if (keylen != 18)
        return 0;
    memcpy (hex, key + 2, 16);
    if (strspn (hex, "0123456789abcdef") != 16)
        return 0;
    *(uint64_t *)arg = strtoull (hex, NULL, 16);
    return 0;
}

static int s_first_seq (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    uint64_t before = *(uint64_t *)arg;
    s_last_seq (arg, key, keylen, value, size);
    return *(uint64_t *)arg != before; //  the first record key is all we need
}

//  Sends msg now if there is a connection. Returns -1 if it could not be
//  queued on a live connection.
static int s_send (node_t *self, sw_node_msg_t *msg)
{
    if (!self->dealer)
        return 0; //  between connections: the journal keeps what matters
    zmsg_t *zmsg = sw_node_msg_encode (msg);
    if (!zmsg) {
        zsys_error ("cannot encode %s (a field exceeds a protocol limit)", sw_cmd_name (msg->cmd));
        return 0;
    }
    if (zmsg_send (&zmsg, self->dealer) == 0)
        return 0;
    zmsg_destroy (&zmsg);
    return -1;
}

//  Queues msg to be sent once the journal batch it belongs to is durable.
static void s_send_after_commit (node_t *self, sw_node_msg_t *msg)
{
    zmsg_t *zmsg = sw_node_msg_encode (msg);
    if (zmsg)
        zlistx_add_end (self->outbox, zmsg);
    else
        zsys_error ("cannot encode %s (a field exceeds a protocol limit)", sw_cmd_name (msg->cmd));
}

//  Stages msg in the journal with a new seq; the caller commits.
static void s_journal (node_t *self, sw_node_msg_t *msg)
{
    //  The seq is used up only by a record that exists: records stay dense.
    msg->seq = self->next_seq;
    char *body;
    size_t size;
    if (sw_node_msg_encode_body (msg, &body, &size)) {
        zsys_error ("cannot journal %s: a field exceeds a protocol limit; dropped",
                    sw_cmd_name (msg->cmd));
        return;
    }
    self->next_seq++;
    char *record = malloc (size + 1);
    record[0] = (char)msg->cmd;
    memcpy (record + 1, body, size);
    char key[32];
    s_seq_key (key, sizeof key, msg->seq);
    sw_batch_put (self->batch, key, record, size + 1);
    free (record);
    free (body);
}

static int s_replay_one (void *arg, const char *key, size_t keylen, const char *value, size_t size)
{
    node_t *self = arg;
    sw_node_msg_t msg;
    char err[256];
    //  Only the three reliable commands are ever journaled.
    sw_cmd_t cmd = size ? (sw_cmd_t)(unsigned char)value[0] : SW_CMD_NONE;
    bool reliable = cmd == SW_CMD_FINDINGS || cmd == SW_CMD_DONE || cmd == SW_CMD_FAILED;
    if (size < 2 || !reliable ||
        sw_node_msg_decode_body (cmd, value + 1, size - 1, &msg, err, sizeof err)) {
        zsys_error ("journal record %.*s unreadable, skipped", (int)keylen, key);
        return 0;
    }
    if (s_send (self, &msg))
        self->replay_failed = true;
    sw_node_msg_clear (&msg);
    return 0;
}

//  Deletes the records the broker acknowledged. Records are dense from
//  acked + 1 to next_seq - 1, so no scan is needed (scanning a LevelDB
//  queue from its head walks every tombstone and is quadratic).
static void s_on_ack (node_t *self, uint64_t seq)
{
    if (seq >= self->next_seq)
        seq = self->next_seq - 1;
    for (uint64_t s = self->acked + 1; s <= seq; s++) {
        char key[32];
        s_seq_key (key, sizeof key, s);
        sw_batch_del (self->batch, key);
    }
    if (seq > self->acked)
        self->acked = seq;
}

static uint64_t s_journal_count (node_t *self)
{
    return self->next_seq - 1 - self->acked;
}

static void s_schedule_reconnect (node_t *self, int64_t now)
{
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : 250;
    if (self->backoff_ms > 8000)
        self->backoff_ms = 8000;
    self->reconnect_at = now + self->backoff_ms;
}

static void s_close (node_t *self)
{
    zsock_destroy (&self->dealer);
    self->generation++;
}

//  ---------------------------------------------------------------------
//  Journal writer: a thread of its own makes batches durable, so an fsync
//  that takes long never delays a heartbeat. Batches are written in the
//  order they were handed over, and their messages sent in that order.

typedef struct {
    sw_batch_t *batch;
    zlistx_t *msgs; //  zmsg_t *, sent once the batch is written
    bool durable;
    int rc;
    char err[256];
} commit_t;

static void *s_write_commit (void *ctx, void *item)
{
    commit_t *commit = item;
    commit->rc =
        sw_store_write (ctx, commit->batch, commit->durable, commit->err, sizeof commit->err);
    return commit;
}

static void s_writer (zsock_t *pipe, void *arg)
{
    s_task_loop (pipe, s_write_commit, arg);
}

static void s_commit_destroy (commit_t **commit_p)
{
    commit_t *commit = *commit_p;
    if (!commit)
        return;
    zmsg_t *zmsg;
    while ((zmsg = zlistx_detach (commit->msgs, NULL)))
        zmsg_destroy (&zmsg);
    zlistx_destroy (&commit->msgs);
    sw_batch_destroy (&commit->batch);
    free (commit);
    *commit_p = NULL;
}

//  Hands the journal writes staged so far, and the messages that wait for
//  them, to the writer. One batch is in flight at a time: what arrives
//  meanwhile joins the next batch, so a slow fsync makes batches bigger,
//  not more numerous (group commit). Deletions alone (acknowledged
//  records) need no fsync: losing one only means a harmless replay.
static void s_flush (node_t *self)
{
    if (self->commits || (sw_batch_size (self->batch) == 0 && zlistx_size (self->outbox) == 0))
        return;
    commit_t *commit = calloc (1, sizeof *commit);
    commit->batch = self->batch;
    commit->msgs = self->outbox;
    commit->durable = zlistx_size (self->outbox) > 0;
    self->batch = sw_batch_new ();
    self->outbox = zlistx_new ();
    self->commits++;
    zsock_send (self->writer, "sp", "DO", commit);
}

//  A batch is durable: send what waited for it.
static void s_on_written (node_t *self, commit_t *commit)
{
    self->commits--;
    if (commit->rc) {
        //  Not durable, so not sent: the broker will requeue the shards.
        zsys_error ("journal: %s", commit->err);
        s_commit_destroy (&commit);
        return;
    }
    zmsg_t *zmsg;
    bool lost = false;
    while ((zmsg = zlistx_detach (commit->msgs, NULL))) {
        if (!self->dealer || zmsg_send (&zmsg, self->dealer)) {
            zmsg_destroy (&zmsg);
            lost = self->dealer != NULL;
        }
    }
    s_commit_destroy (&commit);
    if (lost) {
        //  Acks are cumulative: if a later message got through, the broker
        //  would acknowledge this one too. A new session replays the
        //  journal in order instead.
        zsys_warning ("send queue full; starting a new session to replay the journal");
        s_close (self);
        self->reconnect_at = zclock_mono ();
    }
}

static void s_collect_written (node_t *self, bool wait)
{
    while (self->commits && (wait || (zsock_events (self->writer) & ZMQ_POLLIN))) {
        commit_t *commit = s_task_done (self->writer);
        if (!commit)
            break; //  the writer is gone (interrupted): nothing more will come
        s_on_written (self, commit);
    }
}

//  Shards this node can take now: PREFETCH per worker, less what it holds.
static uint32_t s_free_credit (node_t *self)
{
    if (self->draining)
        return 0;
    int free_slots = self->workers * PREFETCH - (int)s_held (self);
    return free_slots > 0 ? (uint32_t)free_slots : 0;
}

//  Writes (and sends) everything staged, waiting for the writer.
static void s_flush_all (node_t *self)
{
    while (self->commits || sw_batch_size (self->batch) || zlistx_size (self->outbox)) {
        s_flush (self);
        s_collect_written (self, true);
    }
}

//  ---------------------------------------------------------------------
//  Session with the broker

static void s_send_ready (node_t *self)
{
    sw_node_msg_t msg = {.cmd = SW_CMD_READY,
                         .version = SW_PROTO_VERSION,
                         .name = self->name,
                         .scanners = (char **)sw_shard_scanners,
                         .capacity = (uint32_t)self->workers,
                         .credit = s_free_credit (self)};
    while (sw_shard_scanners[msg.nscanners])
        msg.nscanners++;
    char *keys[SW_MAX_LABELS], *values[SW_MAX_LABELS];
    char *labels = strdup (self->labels ? self->labels : "");
    for (char *save = NULL, *kv = strtok_r (labels, ",", &save); kv && msg.nlabels < SW_MAX_LABELS;
         kv = strtok_r (NULL, ",", &save)) {
        char *eq = strchr (kv, '=');
        if (!eq)
            continue;
        *eq = 0;
        keys[msg.nlabels] = kv;
        values[msg.nlabels++] = eq + 1;
    }
    msg.label_keys = keys;
    msg.label_values = values;
    s_send (self, &msg);
    free (labels);
    self->ready_at = zclock_mono ();
    //  Whatever the broker has not acknowledged goes again, in order.
    char from[32];
    s_seq_key (from, sizeof from, self->acked + 1);
    self->replay_failed = false;
    sw_store_scan (self->journal, "o/", from, s_replay_one, self);
    if (self->replay_failed) {
        //  A gap in the replay would be acknowledged over (acks are
        //  cumulative): start again on a new session, a little later.
        zsys_warning ("replay could not be queued whole; reconnecting");
        s_close (self);
        s_schedule_reconnect (self, zclock_mono ());
    }
}

static int s_connect (node_t *self)
{
    s_close (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    zcert_apply (self->cert, self->dealer);
    zsock_set_curve_serverkey (self->dealer, self->broker_pub);
    zsock_set_maxmsgsize (self->dealer, SW_NODE_MAX_MSG);
    zsock_set_linger (self->dealer, 0);
    //  Never block the main thread on a send: with no usable connection a
    //  DEALER would wait forever. What must not be lost is in the journal.
    zsock_set_sndtimeo (self->dealer, 0);
    zsock_set_reconnect_ivl (self->dealer, 100);
    zsock_set_reconnect_ivl_max (self->dealer, 5000);
    zsock_set_sndhwm (self->dealer, 100000);
    zsock_set_rcvhwm (self->dealer, 100000);
    if (zsock_connect (self->dealer, "%s", self->broker) < 0) {
        zsys_error ("cannot connect to %s: %s", self->broker, zmq_strerror (zmq_errno ()));
        return -1;
    }
    self->broker_seen = zclock_mono ();
    self->reconnect_at = 0;
    s_send_ready (self);
    return 0;
}

static void s_heartbeat (node_t *self)
{
    sw_lease_ref_t leases[MAX_WORKERS * PREFETCH];
    size_t n = 0;
    for (int i = 0; i < self->workers; i++)
        for (int q = 0; q < self->worker[i].queued; q++) {
            leases[n].job = self->worker[i].queue[q]->job;
            leases[n++].shard = self->worker[i].queue[q]->shard;
        }
    for (sw_shard_work_t *w = zlistx_first (self->staged); w && n < MAX_WORKERS * PREFETCH;
         w = zlistx_next (self->staged)) {
        leases[n].job = w->job;
        leases[n++].shard = w->shard;
    }
    sw_node_msg_t msg = {.cmd = SW_CMD_HEARTBEAT, .leases = leases, .nleases = n};
    s_send (self, &msg);
}

//  ---------------------------------------------------------------------
//  Shards

static void s_report (node_t *self, sw_shard_work_t *work, sw_shard_result_t *result);

//  The least busy worker with a free slot, or NULL.
static worker_t *s_free_worker (node_t *self)
{
    worker_t *w = NULL;
    for (int i = 0; i < self->workers; i++)
        if (self->worker[i].queued < PREFETCH && (!w || self->worker[i].queued < w->queued))
            w = &self->worker[i];
    return w;
}

static void s_assign (node_t *self, worker_t *w, sw_shard_work_t *work)
{
    (void)self;
    w->queue[w->queued++] = work;
    zsock_send (w->actor, "sp", "DO", work);
}

//  Asks for the first chunk of every blob a posture shard needs that the
//  cache lacks. Returns how many it still lacks.
//  A shard's bundle is one blob, or for an advisory database with updates
//  several joined by '+' (oldest first). Copies part i into hash; false
//  when there is no part i.
static bool s_bundle_part (const char *bundle, size_t i, char hash[SW_BLOB_HEX_LEN + 1])
{
    const char *p = bundle;
    for (; p && i > 0; i--) {
        p = strchr (p, '+');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        return false;
    size_t len = strcspn (p, "+");
    snprintf (hash, SW_BLOB_HEX_LEN + 1, "%.*s",
              (int)(len < SW_BLOB_HEX_LEN ? len : SW_BLOB_HEX_LEN + 1), p);
    return true;
}

//  Is every part of a bundle reference a blob name (at most 64 parts)?
static bool s_bundle_valid (const char *bundle)
{
    if (!bundle || !*bundle || strlen (bundle) > 64 * (SW_BLOB_HEX_LEN + 1))
        return false;
    for (const char *p = bundle; p;) {
        size_t len = strcspn (p, "+");
        if (len != SW_BLOB_HEX_LEN || strspn (p, "0123456789abcdef") < SW_BLOB_HEX_LEN)
            return false;
        p = p[len] ? p + len + 1 : NULL;
    }
    return true;
}

static size_t s_want_blobs (node_t *self, const sw_shard_work_t *work)
{
    size_t missing = 0;
    int64_t now = zclock_mono ();
    char part[SW_BLOB_HEX_LEN + 1];
    for (size_t i = 0; i < work->nfiles || s_bundle_part (work->bundle, i - work->nfiles, part);
         i++) {
        const char *hash = i < work->nfiles ? work->files[i].hash : part;
        if (sw_blobcache_has (self->blobs, hash))
            continue;
        missing++;
        if (sw_blobcache_want (self->blobs, hash, now)) {
            sw_node_msg_t fetch = {.cmd = SW_CMD_FETCH, .hash = (char *)hash, .offset = 0};
            s_send (self, &fetch);
        }
    }
    return missing;
}

static void s_on_shard (node_t *self, sw_node_msg_t *msg)
{
    worker_t *w = s_free_worker (self);
    if (!w || s_held (self) >= (size_t)self->workers * PREFETCH) {
        //  The broker sent more than our credit: refuse, it will requeue.
        zsys_warning ("shard %s/%" PRIu64 " beyond credit ignored", msg->job, msg->shard);
        return;
    }
    sw_shard_work_t *work = calloc (1, sizeof *work);
    work->job = msg->job;
    work->shard = msg->shard;
    work->attempt = msg->attempt;
    work->scanner = msg->scanner;
    work->target = msg->target;
    work->ports = msg->ports;
    work->timeout_ms = msg->timeout_ms;
    work->max_inflight = self->max_inflight;
    msg->job = msg->scanner = msg->target = msg->ports = NULL; //  moved
    work->host_root = self->host_root;
    work->node_name = self->name;
    work->epoch = self->contact_epoch;
    work->net = &self->net;
    if (msg->files ||
        (msg->kind && (strcmp (msg->kind, "host") == 0 || strcmp (msg->kind, "net") == 0))) {
        work->kind = msg->kind;
        work->files = msg->files;
        work->nfiles = msg->nfiles;
        work->bundle = msg->bundle;
        work->bundle_version = msg->bundle_version;
        work->blob_dir = sw_blobcache_dir (self->blobs);
        work->content_pk = self->have_content_pk ? self->content_pk : NULL;
        msg->kind = msg->bundle = msg->bundle_version = NULL;
        msg->files = NULL;
        msg->nfiles = 0;
        size_t keylen = 0;
        work->has_fp_key = msg->fp_key && strlen (msg->fp_key) == 2 * sizeof work->fp_key &&
                           sodium_hex2bin (work->fp_key, sizeof work->fp_key, msg->fp_key,
                                           strlen (msg->fp_key), NULL, &keylen, NULL) == 0 &&
                           keylen == sizeof work->fp_key;
        if (!s_bundle_valid (work->bundle)) {
            //  Nothing to fetch would ever arrive: fail now, not never.
            sw_shard_result_t *result = calloc (1, sizeof *result);
            snprintf (result->error, sizeof result->error,
                      "posture shard without a valid rule bundle reference");
            s_report (self, work, result);
            return;
        }
        if ((work->blobs_missing = s_want_blobs (self, work))) {
            zlistx_add_end (self->staged, work);
            return;
        }
    }
    s_assign (self, w, work);
}

//  Takes every staged shard out of the list, in order (the list is
//  rebuilt by the caller with what stays staged). Returns a malloc'd array.
static sw_shard_work_t **s_unstage (node_t *self, size_t *n)
{
    *n = zlistx_size (self->staged);
    sw_shard_work_t **items = calloc (*n ? *n : 1, sizeof *items);
    for (size_t i = 0; i < *n; i++)
        items[i] = zlistx_detach (self->staged, NULL);
    return items;
}

//  How often a shard names a blob (files with the same content share one).
static size_t s_uses (const sw_shard_work_t *work, const char *hash)
{
    size_t uses = 0;
    char part[SW_BLOB_HEX_LEN + 1];
    for (size_t i = 0; s_bundle_part (work->bundle, i, part); i++)
        uses += strcmp (part, hash) == 0;
    for (size_t i = 0; i < work->nfiles; i++)
        uses += strcmp (work->files[i].hash, hash) == 0;
    return uses;
}

//  A blob arrived: shards that needed it count it, and those that lack
//  nothing more go to a worker (without touching the disk for the others).
static void s_release_staged (node_t *self, const char *hash)
{
    size_t n;
    sw_shard_work_t **items = s_unstage (self, &n);
    for (size_t i = 0; i < n; i++) {
        size_t uses = hash ? s_uses (items[i], hash) : 0;
        items[i]->blobs_missing -= uses < items[i]->blobs_missing ? uses : items[i]->blobs_missing;
        worker_t *w = items[i]->blobs_missing == 0 ? s_free_worker (self) : NULL;
        if (w)
            s_assign (self, w, items[i]);
        else
            zlistx_add_end (self->staged, items[i]);
    }
    free (items);
}

//  How long the broker may be silent before contact counts as lost.
static int64_t s_gap (node_t *self)
{
    return (int64_t)self->heartbeat_ms * self->liveness;
}

//  A network scan that ran while this node could not hear its broker may
//  have run while it could not reach its targets either (one cut link
//  takes both): ports that timed out then are not evidence. Such a result
//  is not vouched for: the shard is reported failed, and runs again (here
//  or elsewhere). "While" means the broker was found silent since the
//  shard came (a gap in its heartbeats longer than liveness heartbeats,
//  noticed by the timer or by the message that ended it), or is silent
//  that long as the shard ends.
static bool s_result_untrusted (node_t *self, const sw_shard_work_t *work)
{
    if (!work->scanner ||
        (strcmp (work->scanner, "tcp") != 0 && strcmp (work->scanner, "net") != 0))
        return false; //  file scanners do not depend on the network
    return work->epoch != self->contact_epoch || zclock_mono () - self->broker_seen > s_gap (self);
}

//  A worker finished: its result goes out.
static void s_on_result (node_t *self, worker_t *w, sw_shard_result_t *result)
{
    assert (w->queued > 0);
    sw_shard_work_t *work = w->queue[0];
    memmove (w->queue, w->queue + 1, sizeof w->queue[0] * (size_t)--w->queued);
    if (!result->error[0] && s_result_untrusted (self, work)) {
        sw_shard_result_clear (result);
        snprintf (result->error, sizeof result->error,
                  "the broker was unreachable while this network scan ran (a link down?); "
                  "result discarded, to be run again");
    }
    s_report (self, work, result);
    if (zlistx_size (self->staged))
        s_release_staged (self, NULL); //  a slot is free for a shard that was waiting
}

//  A blob could not be fetched: every staged shard that needs it fails
//  with the reason (the broker retries it, perhaps elsewhere).
static void s_fail_staged (node_t *self, const char *hash, const char *why)
{
    size_t n;
    sw_shard_work_t **items = s_unstage (self, &n);
    for (size_t i = 0; i < n; i++) {
        sw_shard_work_t *work = items[i];
        bool needs = work->bundle && strstr (work->bundle, hash) != NULL;
        for (size_t f = 0; f < work->nfiles && !needs; f++)
            needs = strcmp (work->files[f].hash, hash) == 0;
        if (!needs) {
            zlistx_add_end (self->staged, work);
            continue;
        }
        sw_shard_result_t *result = calloc (1, sizeof *result);
        snprintf (result->error, sizeof result->error, "%s", why);
        s_report (self, work, result);
    }
    free (items);
}

static void s_on_blob (node_t *self, const sw_node_msg_t *msg)
{
    char err[300];
    uint64_t next = 0;
    sw_blob_step_t step =
        sw_blobcache_chunk (self->blobs, msg->hash, msg->offset, msg->size, msg->data, msg->ndata,
                            msg->reason, zclock_mono (), &next, err, sizeof err);
    if (step == SW_BLOB_MORE) {
        sw_node_msg_t fetch = {.cmd = SW_CMD_FETCH, .hash = msg->hash, .offset = next};
        s_send (self, &fetch);
    } else if (step == SW_BLOB_DONE)
        s_release_staged (self, msg->hash);
    else if (step == SW_BLOB_FAILED) {
        zsys_warning ("%s", err);
        s_fail_staged (self, msg->hash, err);
    }
}

static void s_refetch (void *arg, const char *hash, uint64_t offset)
{
    sw_node_msg_t fetch = {.cmd = SW_CMD_FETCH, .hash = (char *)hash, .offset = offset};
    s_send (arg, &fetch);
}

//  Does a shard still waiting or running here name the blob?
static bool s_blob_needed (node_t *self, const char *hash)
{
    for (sw_shard_work_t *w = zlistx_first (self->staged); w; w = zlistx_next (self->staged))
        if (s_uses (w, hash))
            return true;
    for (int i = 0; i < self->workers; i++)
        for (int q = 0; q < self->worker[i].queued; q++)
            if (s_uses (self->worker[i].queue[q], hash))
                return true;
    return false;
}

//  The files of a secrets shard hold the secrets in clear: they leave the
//  blob cache as soon as no shard here needs them.
static void s_drop_secret_inputs (node_t *self, const sw_shard_work_t *work)
{
    if (!work->scanner || strcmp (work->scanner, "secrets") != 0)
        return;
    for (size_t i = 0; i < work->nfiles; i++)
        if (!s_blob_needed (self, work->files[i].hash))
            sw_blobcache_remove (self->blobs, work->files[i].hash);
}

//  Journals a shard's findings and its result (one commit), then sends
//  them; frees work and result.
static void s_report (node_t *self, sw_shard_work_t *work, sw_shard_result_t *result)
{
    size_t nmsgs = (result->nfindings + SW_FINDINGS_BATCH - 1) / SW_FINDINGS_BATCH + 1;
    sw_node_msg_t *msgs = calloc (nmsgs, sizeof *msgs);
    size_t m = 0;
    for (size_t i = 0; i < result->nfindings; i += SW_FINDINGS_BATCH, m++) {
        msgs[m].cmd = SW_CMD_FINDINGS;
        msgs[m].findings = result->findings + i;
        msgs[m].nfindings =
            result->nfindings - i < SW_FINDINGS_BATCH ? result->nfindings - i : SW_FINDINGS_BATCH;
    }
    sw_node_msg_t *last = &msgs[m++];
    last->cmd = result->error[0] ? SW_CMD_FAILED : SW_CMD_DONE;
    last->job = work->job;
    last->shard = work->shard;
    last->attempt = work->attempt;
    last->open = result->open;
    last->closed = result->closed;
    last->filtered = result->filtered;
    last->reason = result->error[0] ? result->error : NULL;
    //  The journal copy carries no credit: a replay must not grant any.
    for (size_t i = 0; i < m; i++)
        s_journal (self, &msgs[i]);
    last->credit = self->draining ? 0 : 1;
    for (size_t i = 0; i < m; i++)
        s_send_after_commit (self, &msgs[i]);
    if (result->error[0])
        zsys_warning ("shard %s/%" PRIu64 " failed: %s", work->job, work->shard, result->error);
    free (msgs);
    sw_shard_result_clear (result);
    free (result);
    s_drop_secret_inputs (self, work);
    sw_shard_work_clear (work);
    free (work);
}

static void s_on_broker (node_t *self, int64_t now)
{
    zmsg_t *zmsg = zmsg_recv (self->dealer);
    if (!zmsg)
        return;
    if (now - self->broker_seen > s_gap (self))
        self->contact_epoch++; //  contact was lost, however briefly (s_result_untrusted)
    sw_node_msg_t msg;
    char err[300];
    if (sw_node_msg_decode (zmsg, &msg, err, sizeof err)) {
        zsys_warning ("malformed message from broker dropped: %s", err);
        zmsg_destroy (&zmsg);
        return;
    }
    zmsg_destroy (&zmsg);
    self->broker_seen = now;
    if (msg.cmd != SW_CMD_DISCONNECT)
        self->backoff_ms = 0;
    switch (msg.cmd) {
    case SW_CMD_SHARD:
        s_on_shard (self, &msg);
        break;
    case SW_CMD_ACK: {
        s_on_ack (self, msg.seq);
        break;
    }
    case SW_CMD_HEARTBEAT:
        break;
    case SW_CMD_BLOB:
        s_on_blob (self, &msg);
        break;
    case SW_CMD_DISCONNECT:
        if (msg.reason && strcmp (msg.reason, "unknown session; send READY") == 0) {
            //  Every message in flight when the broker restarted earns one
            //  of these; one READY (and one replay) per heartbeat will do.
            if (now - self->ready_at > self->heartbeat_ms) {
                zsys_info ("broker does not know this session (restarted?): sending READY");
                s_send_ready (self);
            }
        } else if (msg.reason && strncmp (msg.reason, "awaiting approval", 17) == 0) {
            //  Enrolment: ask again at a steady pace, so that the node is
            //  in soon after an operator approves it; say so once a minute.
            s_schedule_reconnect (self, now);
            if (self->backoff_ms > PENDING_RETRY_MS) {
                self->backoff_ms = PENDING_RETRY_MS;
                self->reconnect_at = now + self->backoff_ms;
            }
            if (now - self->pending_said >= 60000 || !self->pending_said) {
                zsys_notice ("broker: %s; asking again every %d ms", msg.reason, PENDING_RETRY_MS);
                self->pending_said = now;
            }
            s_close (self);
        } else {
            //  Stop talking on this connection; try again later, slower
            //  each time, in case an operator restores our key.
            s_schedule_reconnect (self, now);
            zsys_error ("broker closed the session: %s; retrying in %d ms",
                        msg.reason ? msg.reason : "", self->backoff_ms);
            s_close (self);
        }
        break;
    default:
        zsys_warning ("unexpected %s from broker dropped", sw_cmd_name (msg.cmd));
    }
    sw_node_msg_clear (&msg);
}

static void s_on_timer (node_t *self, int64_t now)
{
    if (self->reconnect_at && now >= self->reconnect_at) {
        zsys_info ("reconnecting to %s", self->broker);
        s_connect (self);
    } else if (!self->reconnect_at &&
               now - self->broker_seen > (int64_t)self->heartbeat_ms * self->liveness) {
        s_schedule_reconnect (self, now);
        self->contact_epoch++;
        zsys_warning ("broker silent for %" PRId64 " ms; reconnecting in %d ms",
                      now - self->broker_seen, self->backoff_ms);
    }
    if (now >= self->next_heartbeat) {
        if (self->dealer) {
            s_heartbeat (self);
            sw_blobcache_stalled (self->blobs, now, 2 * (int64_t)self->heartbeat_ms, s_refetch,
                                  self);
        }
        self->next_heartbeat = now + self->heartbeat_ms;
    }
}

//  ---------------------------------------------------------------------
//  Set-up, loop, drain

//  The content key verifies rule bundles. Default: content/bundle.pub in
//  the key directory that holds the broker's certificate.
static void s_load_content_key (node_t *self)
{
    char path[1024], err[512];
    if (!self->content_key) {
        char *dir = strdup (self->broker_key);
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr (dir, '/');
            if (slash)
                *slash = 0;
            else
                snprintf (dir, strlen (dir) + 1, "%s", strlen (dir) ? "." : "");
        }
        snprintf (path, sizeof path, "%s/content/bundle.pub", *dir ? dir : ".");
        free (dir);
        self->content_key = strdup (path);
    }
    self->have_content_pk = sw_bundle_read_key (self->content_key, false, self->content_pk,
                                                sizeof self->content_pk, err, sizeof err) == 0;
    if (!self->have_content_pk)
        zsys_warning ("no content key (%s): posture shards will be refused", err);
}

//  Picks the port scan method (sw_synscan_choose) and says which.
static int s_scan_method (node_t *self)
{
    char err[256];
    int method = sw_synscan_choose (self->scan_method, err, sizeof err);
    if (method < 0) {
        zsys_error ("%s", err);
        return -1;
    }
    zsys_info ("port scans use %s",
               method == SW_TCPSCAN_SYN ? "SYN segments from a raw socket" : "connect()");
    return 0;
}

static int s_start (node_t *self)
{
    char err[1024], path[1024];
    sw_tcpscan_set_rate ((uint32_t)self->max_rate);
    if (s_scan_method (self))
        return -1;
    if (!(self->cert = sw_cert_load_secret (self->cert_path, err, sizeof err))) {
        zsys_error ("%s", err);
        return -1;
    }
    zcert_t *broker = sw_cert_load_public (self->broker_key, err, sizeof err);
    if (!broker) {
        zsys_error ("%s", err);
        return -1;
    }
    snprintf (self->broker_pub, sizeof self->broker_pub, "%s", zcert_public_txt (broker));
    zcert_destroy (&broker);
    if (!self->name) {
        const char *meta = zcert_meta (self->cert, "name");
        self->name = strdup (meta ? meta : "node");
    }
    if (zsys_dir_create ("%s", self->state_dir)) {
        zsys_error ("cannot create state directory %s", self->state_dir);
        return -1;
    }
    chmod (self->state_dir, 0700);
    snprintf (path, sizeof path, "%s/journal", self->state_dir);
    if (!(self->journal = sw_store_open (path, err, sizeof err))) {
        zsys_error ("%s", err);
        return -1;
    }
    //  Acks are per session and cumulative, so seqs need only grow within
    //  this process, past whatever an earlier one left in the journal.
    uint64_t last = 0;
    uint64_t first = 0;
    sw_store_scan (self->journal, "o/", NULL, s_first_seq, &first);
    sw_store_scan (self->journal, "o/", NULL, s_last_seq, &last);
    self->next_seq = last + 1;
    self->acked = first ? first - 1 : last;
    uint64_t pending = s_journal_count (self);
    if (pending)
        zsys_info ("journal holds %" PRIu64 " unacknowledged messages; they will be replayed",
                   pending);
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    snprintf (path, sizeof path, "%s/blobs", self->state_dir);
    if (!(self->blobs = sw_blobcache_new (path, err, sizeof err))) {
        zsys_error ("%s", err);
        return -1;
    }
    self->staged = zlistx_new ();
    s_load_content_key (self);
    self->batch = sw_batch_new ();
    self->outbox = zlistx_new ();
    self->writer = zactor_new (s_writer, self->journal);
    for (int i = 0; i < self->workers; i++)
        self->worker[i].actor = zactor_new (s_worker, &self->rules_cache[i]);
    //  The operator compares this key with `sweepctl nodes pending` before
    //  approving the node (it is public; the secret stays in its 0600 file).
    zsys_info ("node %s: %d workers, broker %s, public key %s", self->name, self->workers,
               self->broker, zcert_public_txt (self->cert));
    return s_connect (self);
}

static void s_begin_drain (node_t *self)
{
    self->draining = true;
    self->drain_deadline = 0; //  starts when the last shard is done
    zsys_info ("draining: finishing %zu running shards, claiming no more", s_held (self));
    sw_node_msg_t msg = {.cmd = SW_CMD_CREDIT, .credit = 0, .draining = true};
    s_send (self, &msg);
}

//  Receives every result the workers have ready, without waiting.
static void s_collect_results (node_t *self)
{
    for (int i = 0; i < self->workers; i++) {
        zactor_t *actor = self->worker[i].actor;
        while (zsock_events (actor) & ZMQ_POLLIN) {
            sw_shard_result_t *result = s_task_done (actor);
            if (result)
                s_on_result (self, &self->worker[i], result);
        }
    }
}

static bool s_drained (node_t *self, int64_t now)
{
    if (!self->draining || s_held (self))
        return false;
    if (s_journal_count (self) == 0)
        return true;
    if (!self->drain_deadline)
        self->drain_deadline = now + self->drain_timeout_ms;
    if (now > self->drain_deadline) {
        zsys_warning ("drain: the broker did not acknowledge everything in time; the journal "
                      "keeps it for the next start");
        return true;
    }
    return false;
}

static int s_run (node_t *self)
{
    zpoller_t *poller = NULL;
    uint64_t polled = UINT64_MAX;
    self->next_heartbeat = zclock_mono ();
    while (true) {
        int64_t now = zclock_mono ();
        if (s_signals && !self->draining)
            s_begin_drain (self);
        if (s_signals > 1) {
            zsys_warning ("second signal: stopping without waiting");
            break;
        }
        if (s_drained (self, now))
            break;
        if (polled != self->generation) {
            //  The dealer is replaced on reconnect: poll the current one.
            zpoller_destroy (&poller);
            poller = zpoller_new (NULL);
            if (self->dealer)
                zpoller_add (poller, self->dealer);
            for (int i = 0; i < self->workers; i++)
                zpoller_add (poller, self->worker[i].actor);
            zpoller_add (poller, self->writer);
            polled = self->generation;
        }
        int64_t wake = self->next_heartbeat;
        if (self->reconnect_at && self->reconnect_at < wake)
            wake = self->reconnect_at;
        int timeout = wake > now ? (int)(wake - now) : 0;
        if (timeout > 100)
            timeout = 100; //  notice signals promptly
        zpoller_wait (poller, timeout);
        now = zclock_mono ();
        //  A bounded batch per turn: heartbeats and results must not wait
        //  behind a long queue of shards and blob chunks.
        for (int n = 0; n < 1000 && self->dealer && (zsock_events (self->dealer) & ZMQ_POLLIN); n++)
            s_on_broker (self, now);
        s_collect_results (self);
        s_collect_written (self, false);
        s_flush (self);
        s_on_timer (self, now);
    }
    zpoller_destroy (&poller);
    s_flush_all (self);
    if (self->dealer) {
        sw_node_msg_t bye = {.cmd = SW_CMD_DISCONNECT,
                             .reason = s_signals > 1 ? "stopped" : "drained"};
        s_send (self, &bye);
        zsock_set_linger (self->dealer, 500); //  let the goodbye leave
    }
    return 0;
}

static void s_stop (node_t *self)
{
    s_cancel_scans = 1; //  queued shards end at once; the broker requeues them
    for (int i = 0; i < self->workers; i++) {
        zactor_destroy (&self->worker[i].actor);
        for (int q = 0; q < self->worker[i].queued; q++) {
            sw_shard_work_clear (self->worker[i].queue[q]);
            free (self->worker[i].queue[q]);
        }
    }
    sw_shard_work_t *work;
    while (self->staged && (work = zlistx_detach (self->staged, NULL))) {
        sw_shard_work_clear (work);
        free (work);
    }
    zlistx_destroy (&self->staged);
    sw_blobcache_destroy (&self->blobs);
    if (self->writer) {
        //  What was staged is still written; its replies are collected so
        //  nothing is left behind in the writer's pipe.
        s_flush_all (self);
        zactor_destroy (&self->writer);
    }
    if (self->outbox) {
        zmsg_t *zmsg;
        while ((zmsg = zlistx_detach (self->outbox, NULL)))
            zmsg_destroy (&zmsg);
        zlistx_destroy (&self->outbox);
    }
    sw_batch_destroy (&self->batch);
    sw_store_destroy (&self->journal);
    s_close (self);
    sw_cert_destroy (&self->cert);
}

static node_t s_node = {
    .broker = "tcp://127.0.0.1:5701",
    .broker_key = "keys/broker/broker.crt",
    .cert_path = "keys/id/node1.crt",
    .state_dir = "state/node",
    .host_root = "/",
    .workers = 8,
    .heartbeat_ms = 1000,
    .liveness = 3,
    .max_inflight = 512,
    .drain_timeout_ms = 10000,
    .max_rate = 50000,
    .scan_method = "auto",
    .net = {.read_ms = 800, .banner_ms = 300, .port_budget_ms = 4000, .per_target = 4}};

int main (int argc, char **argv)
{
    node_t *self = &s_node;
    sw_opt_t opts[] = {
        {"broker", SW_OPT_STR, &self->broker, 0, 0, "broker node endpoint [tcp://127.0.0.1:5701]"},
        {"broker-key", SW_OPT_STR, &self->broker_key, 0, 0,
         "broker public certificate [keys/broker/broker.crt]"},
        {"cert", SW_OPT_STR, &self->cert_path, 0, 0,
         "this node's certificate; its _secret file must be mode 0600 [keys/id/node1.crt]"},
        {"state", SW_OPT_STR, &self->state_dir, 0, 0, "state directory (journal) [state/node]"},
        {"name", SW_OPT_STR, &self->name, 0, 0,
         "name in this node's own logs (the broker names nodes by their key) [from the "
         "certificate]"},
        {"labels", SW_OPT_STR, &self->labels, 0, 0, "labels as k=v,k=v (e.g. zone=eu-1)"},
        {"workers", SW_OPT_INT, &self->workers, 1, MAX_WORKERS,
         "shards run at once (the node's capacity) [8]"},
        {"max-inflight", SW_OPT_INT, &self->max_inflight, 1, 4096,
         "TCP connects in flight per worker [512]"},
        {"heartbeat-ms", SW_OPT_INT, &self->heartbeat_ms, 50, 60000, "heartbeat interval [1000]"},
        {"liveness", SW_OPT_INT, &self->liveness, 2, 100,
         "missed broker heartbeats before reconnecting [3]"},
        {"max-rate", SW_OPT_INT, &self->max_rate, 0, 10000000,
         "connections a second this node's scans may start, all workers together (0: no "
         "limit) [50000]"},
        {"scan-method", SW_OPT_STR, &self->scan_method, 0, 0,
         "how port scans find open ports: syn (bare SYN segments from a raw socket; needs "
         "CAP_NET_RAW), connect (no privileges), or auto (syn when the node may) [auto]"},
        {"net-read-ms", SW_OPT_INT, &self->net.read_ms, 10, 60000,
         "net scanner: how long to wait for a service's answer to a probe [800]"},
        {"net-banner-ms", SW_OPT_INT, &self->net.banner_ms, 10, 60000,
         "net scanner: how long to wait for a service that speaks first [300]"},
        {"net-port-budget-ms", SW_OPT_INT, &self->net.port_budget_ms, 100, 600000,
         "net scanner: how long all the identification probes of one port may take [4000]"},
        {"net-per-target", SW_OPT_INT, &self->net.per_target, 1, 64,
         "net scanner: ports of one host probed at once [4]"},
        {"tls-ca", SW_OPT_STR, &self->net.ca_file, 0, 0,
         "net scanner: CA certificates (PEM) that certificate chains are checked against "
         "[the system's]"},
        {"host-root", SW_OPT_STR, &self->host_root, 0, 0,
         "where this host's files are, for packages shards that inventory the host [/]"},
        {"content-key", SW_OPT_STR, &self->content_key, 0, 0,
         "public key rule bundles must be signed with [content/bundle.pub beside the broker "
         "key's folder]"},
        {"drain-timeout-ms", SW_OPT_INT, &self->drain_timeout_ms, 0, 3600000,
         "on SIGTERM, how long to wait for the broker's acks after the last shard [10000]"},
        {NULL, 0, NULL, 0, 0, NULL}};
    char *positional[1];
    int npositional = 0;
    bool help;
    if (sw_opts_parse (opts, argc, argv, 1, positional, &npositional, &help))
        return 2;
    if (help) {
        printf ("Usage: sweep-node [OPTIONS]\n\nRuns a cloudsweep worker node. SIGTERM drains: "
                "running shards finish, nothing new is claimed, then it exits 0.\n\n");
        sw_opts_usage (opts);
        return 0;
    }
    if (sodium_init () < 0)
        return 1;
    //  Log lines go to stdout; a supervisor or a test reads them as they come.
    setvbuf (stdout, NULL, _IOLBF, 0);
    zsys_handler_set (NULL);
    //  A peer that resets a connection must cost an error, not the process
    //  (OpenSSL writes without MSG_NOSIGNAL)
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_set_logident ("sweep-node");
    zsys_set_linger (0);
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    int rc = s_start (self) ? 1 : s_run (self);
    s_stop (self);
    zsys_info ("stopped");
    return rc;
}
