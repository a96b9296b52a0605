/*  sweep-broker - fronts the cluster: admin endpoint for sweepctl, node
    endpoint for sweep-nodes, the job store and the reducer.

    One thread runs the loop: receive what is waiting on both sockets,
    hand out shards to nodes with credit, make the round's changes durable
    with one store commit, then acknowledge. Sends to nodes never block
    (ROUTER_MANDATORY, zero send timeout): a failed send means the node is
    gone and its leases go back to the queue. */
#include <czmq.h>
#include <signal.h>
#include <inttypes.h>
#include <sodium.h>
#include <sys/stat.h>

#include "sw_blobs.h"
#include "sw_bundle.h"
#include "sw_secrets.h"
#include "sw_jobs.h"
#include "sw_keys.h"
#include "sw_opts.h"
#include "sw_proto.h"
#include "sw_zap.h"

#define ROUND_MAX_ADMIN 100                //  admin requests handled per round (first)
#define ROUND_MAX_MSGS  2000               //  node messages handled per round
#define ROUND_MAX_BYTES (16 * 1024 * 1024) //  node message bytes per round
#define PENDING_MAX     64                 //  unknown keys held for approval

//  A key that completed the CURVE handshake on the node endpoint but is on
//  no allow-list: a node asking to be enrolled. Held in memory only (the
//  node keeps asking), bounded, the least recently seen evicted first.
typedef struct {
    char key[41];
    char name[SW_KEYS_NAME_MAX + 1]; //  the name the node gives itself
    char address[64];
    time_t first_seen, last_seen;
    uint64_t attempts;
} pending_t;

typedef struct {
    char id[64];     //  routing id, hex
    char label[160]; //  "NAME/ROUTING": the node id used for leases
    zframe_t *routing;
    char key[41]; //  Z85 public key from the ZAP User-Id
    char name[SW_KEYS_NAME_MAX + 1];
    bool has_tcp;
    uint32_t capacity;
    uint32_t credit;
    bool draining;
    int64_t last_seen;
    uint64_t shards_done;
    uint64_t ack_seq; //  highest reliable seq processed, to acknowledge
    bool ack_due;
    zhash_t *labels;
} node_t;

//  A JOB request that asked to wait (wait_ms) for a running job: answered
//  when the job ends or the wait is over, whichever is first, so that a
//  console learns of the end at once without polling fast.
#define MAX_WAITERS 64
#define MAX_WAIT_MS 10000
typedef struct {
    zmsg_t *envelope; //  NULL: free
    char id[SW_JOB_ID_MAX];
    int64_t deadline;
} waiter_t;

typedef struct {
    //  settings
    char *keys_dir, *state_dir, *admin_bind, *node_bind, *scope_spec, *content_key, *enroll,
        *fingerprint_key;
    int heartbeat_ms, liveness, scan_timeout_ms;
    //  runtime
    zsock_t *admin;
    zsock_t *nodes_sock;
    zactor_t *zap;
    bool enroll_open;
    sw_store_t *store;
    sw_jobs_t *jobs;
    sw_blobs_t *blobs;
    uint8_t content_pk[crypto_sign_PUBLICKEYBYTES];
    bool have_content_key;
    char fp_hex[2 * SW_SECRETS_KEY_LEN + 1]; //  the fingerprint key secrets shards carry, or ""
    char *current[2]; //  current rule bundle and advisory database, "HASH VERSION", or NULL
    sw_hostlist_t *scope;
    zhashx_t *nodes;        //  routing id hex -> node_t
    sw_allow_t *node_keys;  //  Z85 -> name, allow-list of node keys
    sw_allow_t *admin_keys; //  Z85 -> name, allow-list of admin keys
    sw_allow_t *revoked;    //  the revocation log: keys never to enroll
    zhashx_t *pending;      //  Z85 -> pending_t, nodes asking to join
    int64_t started;
    int64_t next_tick;
    uint64_t malformed;
    waiter_t waiters[MAX_WAITERS]; //  JOB requests held until their job ends
} broker_t;

static void s_node_destroy (void **item)
{
    node_t *node = *item;
    if (node) {
        zframe_destroy (&node->routing);
        zhash_destroy (&node->labels);
        free (node);
        *item = NULL;
    }
}

//  ---------------------------------------------------------------------
//  Keys and allow-lists

//  Re-reads an allow-list directory when its modification time changed
//  (a key added or removed). Returns 0, or -1 if it cannot be read.
static int s_load_keys (sw_allow_t *list, const char *which)
{
    char err[512];
    int rc = sw_allow_refresh (list, err, sizeof err);
    if (rc < 0)
        zsys_error ("allow-list %s: %s", which, err);
    else if (rc > 0 && *err)
        zsys_error ("allow-list %s: %s (left out; fix or remove the file)", which, err);
    return rc < 0 ? -1 : 0;
}

static const char *s_peer_key (zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    const char *key = frame ? zframe_meta (frame, "User-Id") : NULL;
    return key && strlen (key) == 40 ? key : NULL;
}

//  ---------------------------------------------------------------------
//  Node channel

static int s_send_node (broker_t *self, node_t *node, sw_node_msg_t *msg);
static void s_load_content_key (broker_t *self);

//  Forgets a node session. A node that left or was revoked gives its
//  shards back at once; a node that merely went silent (or whose socket
//  failed) keeps its leases until they expire, so that a connection blip
//  does not cost every shard an attempt: if it comes back in time, its new
//  session takes them over.
static void s_node_lost (broker_t *self, node_t *node, const char *why, bool requeue)
{
    size_t held = sw_jobs_leases_of (self->jobs, node->label);
    if (requeue) {
        zsys_warning ("node %s (%s) removed: %s; requeueing %zu leased shards", node->name,
                      node->id, why, held);
        sw_jobs_node_lost (self->jobs, node->label, why);
    } else
        zsys_warning ("node %s (%s) removed: %s; its %zu leases run out unless it reconnects",
                      node->name, node->id, why, held);
    zhashx_delete (self->nodes, node->id);
}

static void s_disconnect (broker_t *self, zframe_t *routing, const char *reason)
{
    sw_node_msg_t msg = {.cmd = SW_CMD_DISCONNECT, .reason = (char *)reason};
    zmsg_t *zmsg = sw_node_msg_encode (&msg);
    zmsg_prepend (zmsg, &(zframe_t *){zframe_dup (routing)});
    if (zmsg_send (&zmsg, self->nodes_sock))
        zmsg_destroy (&zmsg);
}

//  ---------------------------------------------------------------------
//  Enrolment: nodes whose keys are on no allow-list

static void s_pending_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

static const char *s_time_text (time_t when, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r (&when, &tm);
    strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

//  A message from a key on no allow-list, let in because enrolment is
//  open. Its READY records (or refreshes) a pending entry under the name
//  the node gives itself; whatever it sent, the session is ended with a
//  reason that tells the node it waits for approval.
static void s_on_unknown (broker_t *self, zframe_t *routing, const char *key, zmsg_t *zmsg)
{
    char err[300];
    sw_allow_refresh (self->revoked, err, sizeof err);
    if (sw_allow_name (self->revoked, key)) {
        //  Revoked or rejected while its handshake was under way
        s_disconnect (self, routing, "key revoked");
        return;
    }
    if (sw_allow_name (self->admin_keys, key)) {
        zsys_warning ("node endpoint: key %.8s... is not a node key (an admin key); refused", key);
        s_disconnect (self, routing, "this key is not allowed on the node endpoint");
        return;
    }
    const char *address =
        zmsg_first (zmsg) ? zframe_meta (zmsg_first (zmsg), "Peer-Address") : NULL;
    sw_node_msg_t msg;
    if (sw_node_msg_decode (zmsg, &msg, err, sizeof err)) {
        self->malformed++;
        s_disconnect (self, routing, "not enrolled");
        return;
    }
    if (msg.cmd != SW_CMD_READY) {
        sw_node_msg_clear (&msg);
        s_disconnect (self, routing, "not enrolled; send READY to ask for approval");
        return;
    }
    if (!msg.name || !sw_keys_name_valid (msg.name)) {
        sw_node_msg_clear (&msg);
        s_disconnect (self, routing, "not enrolled: READY must carry a valid node name");
        return;
    }
    pending_t *entry = zhashx_lookup (self->pending, key);
    if (!entry) {
        if (zhashx_size (self->pending) >= PENDING_MAX) {
            pending_t *oldest = NULL;
            for (pending_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending))
                if (!oldest || p->last_seen < oldest->last_seen)
                    oldest = p;
            zsys_warning ("pending list full: forgetting %s (key %.8s...)", oldest->name,
                          oldest->key);
            zhashx_delete (self->pending, oldest->key);
        }
        entry = calloc (1, sizeof *entry);
        snprintf (entry->key, sizeof entry->key, "%s", key);
        entry->first_seen = time (NULL);
        zhashx_insert (self->pending, entry->key, entry);
    }
    bool renamed = strcmp (entry->name, msg.name) != 0;
    snprintf (entry->name, sizeof entry->name, "%s", msg.name);
    snprintf (entry->address, sizeof entry->address, "%s", address ? address : "?");
    entry->last_seen = time (NULL);
    entry->attempts++;
    if (renamed)
        zsys_notice ("node %s (key %s, from %s) asks to join; approve it with: "
                     "sweepctl nodes approve %s",
                     entry->name, entry->key, entry->address, entry->name);
    char reason[256];
    snprintf (reason, sizeof reason,
              "awaiting approval of key %.8s... as %s (sweepctl nodes approve %s)", key,
              entry->name, entry->name);
    s_disconnect (self, routing, reason);
    sw_node_msg_clear (&msg);
}

//  NODES-PENDING: the nodes waiting for approval, oldest first.
static void s_pack_pending (broker_t *self, msgpack_packer *pk)
{
    size_t n = zhashx_size (self->pending);
    pending_t **all = calloc (n ? n : 1, sizeof *all);
    size_t i = 0;
    for (pending_t *p = zhashx_first (self->pending); p && i < n; p = zhashx_next (self->pending))
        all[i++] = p;
    //  A handful of entries at most: insertion sort by first sight
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && all[b]->first_seen < all[b - 1]->first_seen; b--) {
            pending_t *t = all[b];
            all[b] = all[b - 1];
            all[b - 1] = t;
        }
    msgpack_pack_map (pk, 1);
    sw_pack_str (pk, "pending");
    msgpack_pack_array (pk, n);
    char when[32];
    for (i = 0; i < n; i++) {
        msgpack_pack_map (pk, 6);
        sw_pack_kv_str (pk, "name", all[i]->name);
        sw_pack_kv_str (pk, "key", all[i]->key);
        sw_pack_kv_str (pk, "address", all[i]->address);
        sw_pack_kv_str (pk, "first_seen", s_time_text (all[i]->first_seen, when, sizeof when));
        sw_pack_kv_str (pk, "last_seen", s_time_text (all[i]->last_seen, when, sizeof when));
        sw_pack_kv_uint (pk, "attempts", all[i]->attempts);
    }
    free (all);
}

//  Finds the one pending entry a NODES-APPROVE / NODES-REJECT names: by
//  name, narrowed by a key prefix when given. Two keys asking under one
//  name need the prefix; that is the point of showing keys.
static pending_t *s_pending_find (broker_t *self, const char *name, const char *key_prefix,
                                  char *err, size_t errlen)
{
    pending_t *found = NULL;
    size_t matches = 0;
    for (pending_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending))
        if (strcmp (p->name, name) == 0 &&
            (!key_prefix || strncmp (p->key, key_prefix, strlen (key_prefix)) == 0)) {
            found = p;
            matches++;
        }
    if (matches == 1)
        return found;
    if (matches == 0)
        snprintf (err, errlen, "no pending node named '%s'%s%s (see: sweepctl nodes pending)", name,
                  key_prefix ? " with a key starting " : "", key_prefix ? key_prefix : "");
    else
        snprintf (err, errlen,
                  "%zu pending nodes call themselves '%s': give --key with the start of the "
                  "one to choose (see: sweepctl nodes pending)",
                  matches, name);
    return NULL;
}

//  NODES-APPROVE {name, key?}: the pending node's public key goes into the
//  node allow-list under its name; it is let in when it next asks.
//  NODES-REJECT {name, key?}: its key goes into the revocation log, and
//  the handshake refuses it from then on.
static int s_enroll_decide (broker_t *self, const char *cmd, const sw_mpv_t *body,
                            msgpack_packer *pk, char *err, size_t errlen)
{
    const char *name = sw_mpv_str (sw_mpv_get (body, "name"));
    const char *key_prefix = sw_mpv_str (sw_mpv_get (body, "key"));
    bool approve = strcmp (cmd, "NODES-APPROVE") == 0;
    if (!name) {
        snprintf (err, errlen, "%s needs 'name'", cmd);
        return -1;
    }
    pending_t *entry = s_pending_find (self, name, key_prefix, err, errlen);
    if (!entry)
        return -1;
    const sw_mpv_t *replace = sw_mpv_get (body, "replace");
    bool rotate = replace && replace->type == SW_MPV_BOOL && replace->v.b;
    int rc = approve
                 ? sw_keys_approve (self->keys_dir, entry->name, entry->key, rotate, err, errlen)
                 : sw_keys_reject (self->keys_dir, entry->name, entry->key, err, errlen);
    if (rc)
        return -1;
    zsys_notice ("node %s (key %s) %s by an operator", entry->name, entry->key,
                 approve ? "approved" : "rejected");
    msgpack_pack_map (pk, 3);
    sw_pack_kv_str (pk, "name", entry->name);
    sw_pack_kv_str (pk, "key", entry->key);
    sw_pack_kv_str (pk, "state", approve ? "approved" : "rejected");
    zhashx_delete (self->pending, entry->key);
    if (approve)
        s_load_keys (self->node_keys, "nodes");
    return 0;
}

//  Returns 0, -1 when the peer cannot take it, -2 when msg cannot be
//  encoded (over a limit: the message's fault, not the peer's).
static int s_send_node (broker_t *self, node_t *node, sw_node_msg_t *msg)
{
    zmsg_t *zmsg = sw_node_msg_encode (msg);
    if (!zmsg)
        return -2;
    zframe_t *routing = zframe_dup (node->routing);
    zmsg_prepend (zmsg, &routing);
    if (zmsg_send (&zmsg, self->nodes_sock) == 0)
        return 0;
    zmsg_destroy (&zmsg);
    return -1;
}

//  One live session per key: a node that reconnected (new routing id)
//  takes over the shards its old session held, and the old session is
//  forgotten. This also bounds the broker's per-node state by the number of
//  node keys.
static void s_replace_older_sessions (broker_t *self, node_t *node)
{
    zlistx_t *older = zlistx_new ();
    for (node_t *n = zhashx_first (self->nodes); n; n = zhashx_next (self->nodes))
        if (n != node && strcmp (n->key, node->key) == 0)
            zlistx_add_end (older, n);
    for (node_t *n = zlistx_first (older); n; n = zlistx_next (older))
        zhashx_delete (self->nodes, n->id);
    zlistx_destroy (&older);
    //  Leases of earlier sessions, live or already forgotten, come along.
    size_t moved = sw_jobs_adopt (self->jobs, node->label);
    if (moved)
        zsys_info ("node %s (%s) took over %zu leases of its earlier session", node->name, node->id,
                   moved);
}

//  A node may hold at most SW_CREDIT_PER_SLOT shards per unit of
//  capacity, counting the ones it holds now: whatever credit it claims,
//  one node key cannot drain a job into its own leases.
static void s_clamp_credit (broker_t *self, node_t *node)
{
    size_t cap = (size_t)node->capacity * SW_CREDIT_PER_SLOT;
    size_t held = sw_jobs_leases_of (self->jobs, node->label);
    size_t room = held < cap ? cap - held : 0;
    if (node->credit > room)
        node->credit = (uint32_t)room;
}

static void s_on_ready (broker_t *self, zframe_t *routing, const char *id, const char *key,
                        sw_node_msg_t *msg)
{
    if (msg->version != SW_PROTO_VERSION) {
        char why[96];
        snprintf (why, sizeof why, "protocol version %u not supported (broker speaks %d)",
                  msg->version, SW_PROTO_VERSION);
        zsys_warning ("node %s: %s", sw_allow_name (self->node_keys, key), why);
        s_disconnect (self, routing, why);
        return;
    }
    node_t *node = zhashx_lookup (self->nodes, id);
    if (!node) {
        node = calloc (1, sizeof *node);
        snprintf (node->id, sizeof node->id, "%s", id);
        node->routing = zframe_dup (routing);
        zhashx_insert (self->nodes, node->id, node);
    }
    snprintf (node->key, sizeof node->key, "%s", key);
    const char *allowed_name = sw_allow_name (self->node_keys, key);
    //  The name comes from the allow-list, never from what the node says.
    snprintf (node->name, sizeof node->name, "%s", allowed_name ? allowed_name : "?");
    snprintf (node->label, sizeof node->label, "%s/%s", node->name, node->id);
    s_replace_older_sessions (self, node);
    node->has_tcp = false;
    for (size_t i = 0; i < msg->nscanners; i++)
        if (strcmp (msg->scanners[i], "tcp") == 0)
            node->has_tcp = true;
    node->capacity = msg->capacity < SW_MAX_CAPACITY ? msg->capacity : SW_MAX_CAPACITY;
    node->credit = msg->credit;
    node->draining = false;
    s_clamp_credit (self, node);
    zhash_destroy (&node->labels);
    node->labels = zhash_new ();
    zhash_autofree (node->labels);
    for (size_t i = 0; i < msg->nlabels; i++)
        zhash_insert (node->labels, msg->label_keys[i], msg->label_values[i]);
    zsys_info ("node %s ready (%s): capacity %u, credit %u, %zu scanners", node->name, node->id,
               node->capacity, node->credit, msg->nscanners);
}

//  Adds credit a node granted, without wrapping; the clamp follows.
static void s_add_credit (node_t *node, uint32_t credit)
{
    uint64_t sum = (uint64_t)node->credit + credit;
    node->credit = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

//  A node asks for a chunk of a blob (a posture input or a rule bundle):
//  answer with the chunk, or with an empty chunk and the reason.
static void s_on_fetch (broker_t *self, node_t *node, const sw_node_msg_t *msg)
{
    sw_node_msg_t reply = {.cmd = SW_CMD_BLOB, .hash = msg->hash, .offset = msg->offset};
    size_t len = 0;
    void *chunk = sw_blobs_read (self->blobs, msg->hash, msg->offset, &len, &reply.size);
    if (!chunk)
        reply.reason = "no such blob or chunk on the broker";
    reply.data = chunk;
    reply.ndata = len;
    if (s_send_node (self, node, &reply))
        zsys_warning ("node %s: blob chunk could not be sent", node->name);
    free (chunk);
}

static void s_on_node_message (broker_t *self, node_t *node, sw_node_msg_t *msg, int64_t now)
{
    size_t refused = 0;
    if (msg->reason)
        sw_text_sanitize (msg->reason, 200); //  it reaches logs and reports
    switch (msg->cmd) {
    case SW_CMD_CREDIT:
        s_add_credit (node, msg->credit);
        node->draining = msg->draining;
        if (node->draining)
            node->credit = 0;
        s_clamp_credit (self, node);
        break;
    case SW_CMD_HEARTBEAT:
        for (size_t i = 0; i < msg->nleases; i++)
            sw_jobs_renew (self->jobs, msg->leases[i].job, msg->leases[i].shard, node->label, now);
        break;
    case SW_CMD_FINDINGS:
        for (size_t i = 0; i < msg->nfindings; i++) {
            sw_finding_t *f = &msg->findings[i];
            //  The fingerprint is recomputed, never trusted from the wire,
            //  so a node cannot make two different findings collide.
            sw_finding_fingerprint (f);
            if (sw_jobs_finding (self->jobs, f, node->label) < 0)
                refused++;
        }
        if (refused)
            zsys_warning ("node %s: %zu findings refused (unknown job, a shard this node does "
                          "not hold, or more than a shard can have)",
                          node->name, refused);
        break;
    case SW_CMD_DONE:
        if (sw_jobs_done (self->jobs, msg->job, msg->shard, node->label, msg->open, msg->closed,
                          msg->filtered))
            node->shards_done++;
        if (!node->draining)
            s_add_credit (node, msg->credit);
        s_clamp_credit (self, node);
        break;
    case SW_CMD_FAILED:
        sw_jobs_failed (self->jobs, msg->job, msg->shard, msg->attempt, node->label, msg->reason);
        if (!node->draining)
            s_add_credit (node, msg->credit);
        s_clamp_credit (self, node);
        break;
    case SW_CMD_DISCONNECT:
        s_node_lost (self, node, msg->reason && *msg->reason ? msg->reason : "node left", true);
        return;
    case SW_CMD_FETCH:
        s_on_fetch (self, node, msg);
        return;
    default:
        zsys_warning ("node %s: unexpected %s dropped", node->name, sw_cmd_name (msg->cmd));
        return;
    }
    if (msg->cmd == SW_CMD_FINDINGS || msg->cmd == SW_CMD_DONE || msg->cmd == SW_CMD_FAILED) {
        if (msg->seq > node->ack_seq)
            node->ack_seq = msg->seq;
        node->ack_due = true;
    }
}

//  Handles one message from a node. Returns its size in bytes.
static size_t s_node_recv (broker_t *self, int64_t now)
{
    zmsg_t *zmsg = zmsg_recv (self->nodes_sock);
    if (!zmsg)
        return 0;
    size_t bytes = zmsg_content_size (zmsg);
    zframe_t *routing = zmsg_pop (zmsg);
    char *id = routing ? zframe_strhex (routing) : NULL;
    const char *key = s_peer_key (zmsg);
    sw_node_msg_t msg;
    char err[300];
    if (!routing || !id || strlen (id) >= 64)
        goto cleanup;
    if (!key || !sw_allow_name (self->node_keys, key)) {
        //  The ZAP handler let the key in because enrolment is open: the
        //  node's READY makes it pending; nothing else from it is read.
        if (key && self->enroll_open)
            s_on_unknown (self, routing, key, zmsg);
        else {
            zsys_warning ("node endpoint: key %.8s... is not a node key; message dropped",
                          key ? key : "(none)");
            s_disconnect (self, routing, "this key is not allowed on the node endpoint");
        }
        goto cleanup;
    }
    if (sw_node_msg_decode (zmsg, &msg, err, sizeof err)) {
        self->malformed++;
        node_t *known = zhashx_lookup (self->nodes, id);
        zsys_warning ("node %s: malformed message dropped: %s", known ? known->name : id, err);
        goto cleanup;
    }
    node_t *node = zhashx_lookup (self->nodes, id);
    if (msg.cmd == SW_CMD_READY)
        s_on_ready (self, routing, id, key, &msg);
    else if (!node)
        //  Most likely the broker restarted: the node must introduce
        //  itself again, then replay what we have not acknowledged.
        s_disconnect (self, routing, "unknown session; send READY");
    else if (strcmp (node->key, key) != 0)
        zsys_warning ("node %s: key changed within a session; message dropped", node->name);
    else {
        node->last_seen = now;
        s_on_node_message (self, node, &msg, now);
    }
    if ((node = zhashx_lookup (self->nodes, id)))
        node->last_seen = now;
    sw_node_msg_clear (&msg);
cleanup:
    zstr_free (&id);
    zframe_destroy (&routing);
    zmsg_destroy (&zmsg);
    return bytes;
}

//  Hands out shards round-robin to nodes that have credit.
static void s_dispatch (broker_t *self, int64_t now)
{
    bool progress = true;
    while (progress) {
        progress = false;
        zlistx_t *gone = NULL;
        for (node_t *node = zhashx_first (self->nodes); node; node = zhashx_next (self->nodes)) {
            if (!node->credit || node->draining || !node->has_tcp)
                continue;
            sw_grant_t grant;
            if (!sw_jobs_next (self->jobs, node->label, now, &grant)) {
                progress = false;
                break;
            }
            sw_node_msg_t msg = {.cmd = SW_CMD_SHARD,
                                 .job = grant.job,
                                 .shard = grant.shard,
                                 .attempt = grant.attempt,
                                 .lease_ms = grant.lease_ms,
                                 .scanner = (char *)grant.spec.scanner,
                                 .target = grant.spec.target,
                                 .ports = grant.spec.ports,
                                 .timeout_ms = (uint32_t)self->scan_timeout_ms,
                                 .kind = (char *)grant.spec.kind,
                                 .files = (sw_blobref_t *)grant.spec.files,
                                 .nfiles = grant.spec.nfiles,
                                 .bundle = (char *)grant.bundle,
                                 .bundle_version = (char *)grant.bundle_version};
            if (!grant.spec.kind)
                msg.kind = msg.bundle = msg.bundle_version = NULL;
            if (strcmp (grant.spec.scanner, "secrets") == 0)
                msg.fp_key = self->fp_hex; //  over CURVE only; never logged
            int sent = s_send_node (self, node, &msg);
            if (sent == -2) {
                sw_jobs_failed (self->jobs, grant.job, grant.shard, grant.attempt, node->label,
                                "shard does not fit in a SHARD message");
                continue;
            }
            if (sent) {
                //  Never sent, so not an attempt: back to the queue as it was.
                sw_jobs_release (self->jobs, grant.job, grant.shard);
                if (!gone)
                    gone = zlistx_new ();
                zlistx_add_end (gone, node);
                continue;
            }
            node->credit--;
            progress = true;
        }
        for (node_t *node = gone ? zlistx_first (gone) : NULL; node; node = zlistx_next (gone))
            s_node_lost (self, node, "send failed (peer gone or its queue full)", false);
        zlistx_destroy (&gone);
    }
}

static void s_send_acks (broker_t *self)
{
    for (node_t *node = zhashx_first (self->nodes); node; node = zhashx_next (self->nodes))
        if (node->ack_due) {
            sw_node_msg_t msg = {.cmd = SW_CMD_ACK, .seq = node->ack_seq};
            s_send_node (self, node, &msg);
            node->ack_due = false;
        }
}

//  Once per heartbeat: expire leases and silent nodes, apply revocations,
//  and tell every node we are alive.
static void s_tick (broker_t *self, int64_t now)
{
    sw_jobs_expire (self->jobs, now);
    s_load_keys (self->node_keys, "nodes");
    s_load_keys (self->admin_keys, "admins");
    zlistx_t *lost = zlistx_new ();
    zlistx_t *reasons = zlistx_new ();
    for (node_t *node = zhashx_first (self->nodes); node; node = zhashx_next (self->nodes)) {
        const char *why = NULL;
        if (!sw_allow_name (self->node_keys, node->key)) {
            why = "key revoked";
            s_disconnect (self, node->routing, why);
        } else if (now - node->last_seen > (int64_t)self->heartbeat_ms * self->liveness)
            why = "heartbeat expired";
        else {
            sw_node_msg_t hb = {.cmd = SW_CMD_HEARTBEAT};
            if (s_send_node (self, node, &hb))
                why = "send failed (peer gone or its queue full)";
        }
        if (why) {
            zlistx_add_end (lost, node);
            zlistx_add_end (reasons, (void *)why);
        }
    }
    const char *why = zlistx_first (reasons);
    for (node_t *node = zlistx_first (lost); node; node = zlistx_next (lost)) {
        //  Revoked: its work is not trusted to finish. Otherwise wait for
        //  the leases (or the node's return).
        s_node_lost (self, node, why, strcmp (why, "key revoked") == 0);
        why = zlistx_next (reasons);
    }
    zlistx_destroy (&lost);
    zlistx_destroy (&reasons);
}

//  ---------------------------------------------------------------------
//  Admin channel

static void s_admin_send (broker_t *self, zmsg_t *envelope, const char *status, sw_packer_t *r)
{
    zmsg_t *reply = sw_admin_msg_new (status, &r->sbuf);
    //  The envelope (routing id and empty delimiter) goes back in front.
    for (zframe_t *f = zmsg_last (envelope); f; f = zmsg_last (envelope)) {
        zmsg_remove (envelope, f);
        zmsg_prepend (reply, &f);
    }
    if (zmsg_send (&reply, self->admin))
        zmsg_destroy (&reply);
    sw_packer_destroy (r);
}

static void s_admin_error (broker_t *self, zmsg_t *envelope, const char *code, const char *text)
{
    sw_packer_t r;
    sw_packer_init (&r);
    msgpack_pack_map (&r.pk, 2);
    sw_pack_kv_str (&r.pk, "code", code);
    sw_pack_kv_str (&r.pk, "message", text);
    s_admin_send (self, envelope, "ERROR", &r);
}

static void s_pack_nodes (broker_t *self, msgpack_packer *pk, int64_t now)
{
    msgpack_pack_map (pk, 1);
    sw_pack_str (pk, "nodes");
    msgpack_pack_array (pk, zhashx_size (self->nodes));
    for (node_t *node = zhashx_first (self->nodes); node; node = zhashx_next (self->nodes)) {
        msgpack_pack_map (pk, 10);
        sw_pack_kv_str (pk, "name", node->name);
        sw_pack_kv_str (pk, "id", node->id);
        sw_pack_kv_str (pk, "key", node->key);
        sw_pack_kv_uint (pk, "capacity", node->capacity);
        sw_pack_kv_uint (pk, "credit", node->credit);
        sw_pack_kv_uint (pk, "leases", sw_jobs_leases_of (self->jobs, node->label));
        sw_pack_kv_uint (pk, "shards_done", node->shards_done);
        sw_pack_kv_bool (pk, "draining", node->draining);
        sw_pack_kv_uint (pk, "last_seen_ms", (uint64_t)(now - node->last_seen));
        sw_pack_str (pk, "labels");
        msgpack_pack_map (pk, zhash_size (node->labels));
        for (char *v = zhash_first (node->labels); v; v = zhash_next (node->labels))
            sw_pack_kv_str (pk, zhash_cursor (node->labels), v);
    }
}

static void s_pack_status (broker_t *self, msgpack_packer *pk, int64_t now)
{
    size_t running, total;
    sw_jobs_counts (self->jobs, &running, &total);
    msgpack_pack_map (pk, 7);
    sw_pack_kv_uint (pk, "protocol", SW_PROTO_VERSION);
    sw_pack_kv_uint (pk, "uptime_ms", (uint64_t)(now - self->started));
    sw_pack_kv_uint (pk, "nodes", zhashx_size (self->nodes));
    sw_pack_kv_uint (pk, "jobs_running", running);
    sw_pack_kv_uint (pk, "jobs_total", total);
    sw_pack_kv_str (pk, "scope", self->scope_spec);
    sw_pack_kv_uint (pk, "malformed_dropped", self->malformed);
}

//  BLOB-HAVE {hashes}: which of these blobs the broker lacks.
static int s_blob_have (broker_t *self, const sw_mpv_t *body, msgpack_packer *pk, char *err,
                        size_t errlen)
{
    const sw_mpv_t *hashes = sw_mpv_get (body, "hashes");
    if (!hashes || hashes->type != SW_MPV_ARRAY || hashes->len > 100000) {
        snprintf (err, errlen, "BLOB-HAVE needs 'hashes', a list of at most 100000");
        return -1;
    }
    size_t missing = 0;
    uint64_t size;
    for (uint32_t i = 0; i < hashes->len; i++)
        if (!sw_blobs_have (self->blobs, sw_mpv_str (&hashes->v.items[i]), &size))
            missing++;
    msgpack_pack_map (pk, 1);
    sw_pack_str (pk, "missing");
    msgpack_pack_array (pk, missing);
    for (uint32_t i = 0; i < hashes->len; i++) {
        const char *h = sw_mpv_str (&hashes->v.items[i]);
        if (!sw_blobs_have (self->blobs, h, &size))
            sw_pack_str (pk, h ? h : "");
    }
    return 0;
}

//  BLOB-PUT {hash, size, offset, data}: one chunk of an upload. Written
//  without an fsync: the SUBMIT that uses the blob commits durably, which
//  makes every earlier write of the store's log durable with it, and a
//  blob lost to a crash before that is refused at SUBMIT, not used.
static int s_blob_put (broker_t *self, const sw_mpv_t *body, msgpack_packer *pk, char *err,
                       size_t errlen)
{
    const char *hash = sw_mpv_str (sw_mpv_get (body, "hash"));
    const sw_mpv_t *data = sw_mpv_get (body, "data");
    uint64_t size, offset;
    if (!hash || !data || data->type != SW_MPV_BIN ||
        sw_mpv_uint (sw_mpv_get (body, "size"), UINT64_MAX, &size) ||
        sw_mpv_uint (sw_mpv_get (body, "offset"), UINT64_MAX, &offset)) {
        snprintf (err, errlen, "BLOB-PUT needs hash, size, offset and binary data");
        return -1;
    }
    int rc = sw_blobs_put (self->blobs, hash, size, offset, data->v.s, data->len, err, errlen);
    if (rc < 0 || sw_store_commit (self->store, false, err, errlen))
        return -1;
    msgpack_pack_map (pk, 1);
    sw_pack_kv_bool (pk, "complete", rc == 1);
    return 0;
}

//  The signed content a broker keeps current: rule bundles (posture) and
//  advisory databases (packages), each pushed as an uploaded blob.
typedef struct {
    const char *push, *show; //  admin commands
    const char *kind;        //  bundle kind
    const char *store_key;
    const char *noun; //  in log lines
} content_kind_t;

static const content_kind_t s_content[2] = {
    {"RULES-PUSH", "RULES", SW_BUNDLE_RULES, "c/rules", "rule bundle"},
    {"ADVISORIES-PUSH", "ADVISORIES", SW_BUNDLE_ADVISORIES, "c/advisories", "advisory database"},
};

//  RULES-PUSH / ADVISORIES-PUSH {hash}: makes an uploaded bundle current,
//  once its signature verifies against the content key and its kind is
//  the right one.
static int s_content_push (broker_t *self, int k, const sw_mpv_t *body, msgpack_packer *pk,
                           char *err, size_t errlen)
{
    const char *hash = sw_mpv_str (sw_mpv_get (body, "hash"));
    char version[SW_BUNDLE_VERSION_MAX + 1], why[256];
    if (!self->have_content_key) {
        snprintf (err, errlen, "the broker has no content key (%s): it cannot check bundles",
                  self->content_key);
        return -1;
    }
    size_t len;
    uint8_t *bundle = hash ? sw_blobs_read_all (self->blobs, hash, SW_BUNDLE_MAX, &len) : NULL;
    if (!bundle) {
        snprintf (err, errlen, "%s: no uploaded bundle with that hash", s_content[k].push);
        return -1;
    }
    int rc = sw_bundle_verify_kind (bundle, len, self->content_pk, s_content[k].kind, version, why,
                                    sizeof why);
    free (bundle);
    if (rc) {
        zsys_warning ("%s %.16s... refused: %s", s_content[k].noun, hash, why);
        snprintf (err, errlen, "%s", why);
        return -1;
    }
    //  An update is one more part of the current database: nodes keep the
    //  parts they have and fetch only the new one.
    bool update = k == 1 && sw_mpv_get (body, "update") &&
                  sw_mpv_get (body, "update")->type == SW_MPV_BOOL &&
                  sw_mpv_get (body, "update")->v.b;
    const char *base = self->current[k];
    size_t base_len = base ? strcspn (base, " ") : 0;
    if (update && !base) {
        snprintf (err, errlen, "an update needs a current database: import a full one first");
        return -1;
    }
    if (update && base_len > 63 * (SW_BLOB_HEX_LEN + 1)) {
        snprintf (err, errlen, "the database has 64 parts: import a full one to start again");
        return -1;
    }
    char *current = NULL;
    if ((update ? asprintf (&current, "%.*s+%s %s", (int)base_len, base, hash, version)
                : asprintf (&current, "%s %s", hash, version)) < 0)
        return -1;
    sw_store_put (self->store, s_content[k].store_key, current, strlen (current));
    if (sw_store_commit (self->store, true, err, errlen)) {
        free (current);
        return -1;
    }
    free (self->current[k]);
    self->current[k] = current;
    zsys_info ("%s %s is now current (%.16s...)", s_content[k].noun, version, hash);
    msgpack_pack_map (pk, 2);
    sw_pack_kv_str (pk, "version", version);
    sw_pack_kv_str (pk, "hash", hash);
    return 0;
}

//  RULES / ADVISORIES: the current bundle's version and hash (nil when none).
static void s_content_current (broker_t *self, int k, msgpack_packer *pk)
{
    const char *cur = self->current[k];
    const char *space = cur ? strchr (cur, ' ') : NULL;
    msgpack_pack_map (pk, 2);
    sw_pack_str (pk, "version");
    if (space)
        sw_pack_str (pk, space + 1);
    else
        msgpack_pack_nil (pk);
    sw_pack_str (pk, "hash");
    if (space) {
        msgpack_pack_str (pk, (size_t)(space - cur));
        msgpack_pack_str_body (pk, cur, (size_t)(space - cur));
    } else
        msgpack_pack_nil (pk);
}

//  The commands about content: blobs, rule bundles, advisory databases.
//  Returns 1 when cmd is not one of them; 0 with the reply packed; -1 with
//  err.
static int s_admin_content (broker_t *self, const char *cmd, const sw_mpv_t *body,
                            msgpack_packer *pk, char *err, size_t errlen)
{
    *err = 0;
    if (strcmp (cmd, "BLOB-HAVE") == 0)
        return s_blob_have (self, body, pk, err, errlen);
    if (strcmp (cmd, "BLOB-PUT") == 0)
        return s_blob_put (self, body, pk, err, errlen);
    for (int k = 0; k < 2; k++) {
        if (strcmp (cmd, s_content[k].push) == 0)
            return s_content_push (self, k, body, pk, err, errlen);
        if (strcmp (cmd, s_content[k].show) == 0) {
            s_content_current (self, k, pk);
            return 0;
        }
    }
    return 1;
}

//  Holds a JOB request for running job id when it asks to wait and a slot
//  is free (the envelope's frames move into the slot). Returns 0 if held,
//  -1 if it is to be answered now.
static int s_admin_wait (broker_t *self, zmsg_t *envelope, const char *id, const sw_mpv_t *wait,
                         int64_t now)
{
    uint64_t ms = 0;
    if (!wait || sw_mpv_uint (wait, MAX_WAIT_MS, &ms) || ms == 0 || strlen (id) >= SW_JOB_ID_MAX ||
        sw_jobs_running (self->jobs, id) != 1)
        return -1;
    for (size_t i = 0; i < MAX_WAITERS; i++) {
        waiter_t *w = &self->waiters[i];
        if (w->envelope)
            continue;
        w->envelope = zmsg_new ();
        for (zframe_t *f = zmsg_pop (envelope); f; f = zmsg_pop (envelope))
            zmsg_append (w->envelope, &f);
        snprintf (w->id, sizeof w->id, "%s", id);
        w->deadline = now + (int64_t)ms;
        return 0;
    }
    return -1;
}

//  Answers the held JOB requests whose job has ended or whose wait is
//  over (all of them when stopping). Returns the ms until the next wait
//  ends, or -1 if none is held.
static int64_t s_admin_waiters (broker_t *self, int64_t now, bool all)
{
    int64_t next = -1;
    for (size_t i = 0; i < MAX_WAITERS; i++) {
        waiter_t *w = &self->waiters[i];
        if (!w->envelope)
            continue;
        if (all || now >= w->deadline || sw_jobs_running (self->jobs, w->id) != 1) {
            sw_packer_t r;
            sw_packer_init (&r);
            if (sw_jobs_pack_progress (self->jobs, w->id, &r.pk) == 0)
                s_admin_send (self, w->envelope, "OK", &r);
            else
                sw_packer_destroy (&r);
            zmsg_destroy (&w->envelope);
        } else if (next < 0 || w->deadline - now < next)
            next = w->deadline - now;
    }
    return next;
}

static void s_admin_handle (broker_t *self, zmsg_t *envelope, const char *cmd, const sw_mpv_t *body,
                            int64_t now)
{
    sw_packer_t r;
    char err[1024];
    const char *id = sw_mpv_str (sw_mpv_get (body, "id"));
    sw_packer_init (&r);
    if (strcmp (cmd, "STATUS") == 0)
        s_pack_status (self, &r.pk, now);
    else if (strcmp (cmd, "NODES") == 0)
        s_pack_nodes (self, &r.pk, now);
    else if (strcmp (cmd, "JOBS") == 0)
        sw_jobs_pack_list (self->jobs, &r.pk);
    else if (strcmp (cmd, "JOB") == 0) {
        if (!id || sw_jobs_running (self->jobs, id) < 0)
            goto not_found;
        if (s_admin_wait (self, envelope, id, sw_mpv_get (body, "wait_ms"), now) == 0) {
            sw_packer_destroy (&r);
            return;
        }
        sw_jobs_pack_progress (self->jobs, id, &r.pk);
    } else if (strcmp (cmd, "FINDINGS") == 0) {
        uint64_t limit = 1000;
        if (sw_mpv_get (body, "limit"))
            sw_mpv_uint (sw_mpv_get (body, "limit"), 100000, &limit);
        if (!id || sw_jobs_pack_findings (self->jobs, id, (size_t)limit, &r.pk))
            goto not_found;
    } else if (strcmp (cmd, "SUBMIT") == 0) {
        const sw_mpv_t *text = sw_mpv_get (body, "text");
        const char *source = sw_mpv_str (sw_mpv_get (body, "source"));
        const char *token = sw_mpv_str (sw_mpv_get (body, "token"));
        char job_id[SW_JOB_ID_MAX];
        uint64_t total;
        if (!text || text->type != SW_MPV_STR) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "bad-request", "SUBMIT needs 'text' (the job file)");
            return;
        }
        if (sw_jobs_submit (
                self->jobs, text->v.s, text->len, source ? source : "job", token,
                &(sw_content_t){self->current[0], self->current[1], self->fp_hex[0] != 0}, job_id,
                &total, err, sizeof err)) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "invalid-job", err);
            return;
        }
        if (sw_jobs_commit (self->jobs, err, sizeof err)) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "internal", err);
            return;
        }
        msgpack_pack_map (&r.pk, 2);
        sw_pack_kv_str (&r.pk, "id", job_id);
        sw_pack_kv_uint (&r.pk, "total", total);
    } else if (strcmp (cmd, "REPORT") == 0) {
        const char *format = sw_mpv_str (sw_mpv_get (body, "format"));
        if (format && strcmp (format, "json") != 0) {
            snprintf (err, sizeof err,
                      "report format '%s' is not supported (this broker writes: json)", format);
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "bad-request", err);
            return;
        }
        size_t len;
        char *report = id ? sw_jobs_report_json (self->jobs, id, &len) : NULL;
        if (!report)
            goto not_found;
        msgpack_pack_map (&r.pk, 2);
        sw_pack_kv_str (&r.pk, "format", "json");
        sw_pack_str (&r.pk, "report");
        msgpack_pack_str (&r.pk, len);
        msgpack_pack_str_body (&r.pk, report, len);
        free (report);
    } else if (strcmp (cmd, "NODES-PENDING") == 0)
        s_pack_pending (self, &r.pk);
    else if (strcmp (cmd, "NODES-APPROVE") == 0 || strcmp (cmd, "NODES-REJECT") == 0) {
        if (s_enroll_decide (self, cmd, body, &r.pk, err, sizeof err)) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "conflict", err);
            return;
        }
    } else if (s_admin_content (self, cmd, body, &r.pk, err, sizeof err) != 1) {
        if (*err) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, "bad-request", err);
            return;
        }
    } else if (strcmp (cmd, "CANCEL") == 0) {
        int rc = id ? sw_jobs_cancel (self->jobs, id, err, sizeof err) : -1;
        if (rc == -1)
            goto not_found;
        if (rc == 0 && sw_jobs_commit (self->jobs, err, sizeof err))
            rc = -3;
        if (rc) {
            sw_packer_destroy (&r);
            s_admin_error (self, envelope, rc == -2 ? "conflict" : "internal", err);
            return;
        }
        msgpack_pack_map (&r.pk, 2);
        sw_pack_kv_str (&r.pk, "id", id);
        sw_pack_kv_str (&r.pk, "state", "cancelled");
    } else {
        snprintf (err, sizeof err, "unknown command '%s'", cmd);
        sw_packer_destroy (&r);
        s_admin_error (self, envelope, "bad-request", err);
        return;
    }
    s_admin_send (self, envelope, "OK", &r);
    return;
not_found:
    sw_packer_destroy (&r);
    snprintf (err, sizeof err, "no job '%s'", id ? id : "");
    s_admin_error (self, envelope, "not-found", err);
}

static void s_admin_recv (broker_t *self, int64_t now)
{
    zmsg_t *zmsg = zmsg_recv (self->admin);
    if (!zmsg)
        return;
    //  Envelope: routing id, then the REQ socket's empty delimiter.
    zmsg_t *envelope = zmsg_new ();
    zframe_t *frame;
    while ((frame = zmsg_pop (zmsg))) {
        bool delimiter = zframe_size (frame) == 0;
        zmsg_append (envelope, &frame);
        if (delimiter)
            break;
    }
    const char *key = s_peer_key (zmsg);
    char *cmd = NULL;
    sw_mpdoc_t doc = {0};
    char err[300];
    if (zmsg_size (envelope) != 2)
        ; //  not a REQ peer: nothing sensible to answer
    else if (!key || !sw_allow_name (self->admin_keys, key)) {
        zsys_warning ("admin endpoint: key %.8s... is not an admin key; refused",
                      key ? key : "(none)");
        s_admin_error (self, envelope, "forbidden",
                       "this key is not an admin key (it is not in the broker's allow/admins)");
    } else if (sw_admin_msg_decode (zmsg, &cmd, &doc, err, sizeof err)) {
        self->malformed++;
        zsys_warning ("admin request dropped: %s", err);
        s_admin_error (self, envelope, "bad-request", err);
    } else
        s_admin_handle (self, envelope, cmd, doc.root, now);
    free (cmd);
    sw_mpdoc_free (&doc);
    zmsg_destroy (&envelope);
    zmsg_destroy (&zmsg);
}

//  ---------------------------------------------------------------------
//  Set-up and loop

static zsock_t *s_router (zcert_t *cert, const char *endpoint, int maxmsg, const char *domain)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, domain);
    zsock_set_maxmsgsize (sock, maxmsg);
    zsock_set_router_mandatory (sock, 1);
    zsock_set_sndtimeo (sock, 0);
    //  Bounded queues: a peer that floods waits (or loses messages), the
    //  broker's memory does not grow.
    zsock_set_sndhwm (sock, 10000);
    zsock_set_rcvhwm (sock, 1000);
    zsock_set_linger (sock, 0);
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        zsys_error ("cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

static int s_write_endpoints (broker_t *self)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/endpoints", self->state_dir);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fprintf (file, "admin %s\nnode %s\n", zsock_endpoint (self->admin),
             zsock_endpoint (self->nodes_sock));
    fclose (file);
    return 0;
}

static int s_start (broker_t *self)
{
    char path[1024], err[1024];
    if (zsys_dir_create ("%s", self->state_dir)) {
        zsys_error ("cannot create state directory %s", self->state_dir);
        return -1;
    }
    chmod (self->state_dir, 0700);
    self->scope = sw_hostlist_new ();
    char *specs = strdup (self->scope_spec);
    for (char *save = NULL, *s = strtok_r (specs, ", ", &save); s; s = strtok_r (NULL, ", ", &save))
        if (sw_hostlist_add (self->scope, s, err, sizeof err)) {
            zsys_error ("--scope: %s", err);
            free (specs);
            return -1;
        }
    free (specs);
    if (strcmp (self->enroll, "open") != 0 && strcmp (self->enroll, "closed") != 0) {
        zsys_error ("--enroll: '%s' is neither 'open' nor 'closed'", self->enroll);
        return -1;
    }
    self->enroll_open = strcmp (self->enroll, "open") == 0;
    snprintf (path, sizeof path, "%s/allow/nodes", self->keys_dir);
    self->node_keys = sw_allow_new (path);
    snprintf (path, sizeof path, "%s/allow/admins", self->keys_dir);
    self->admin_keys = sw_allow_new (path);
    snprintf (path, sizeof path, "%s/allow/revoked.log", self->keys_dir);
    self->revoked = sw_allow_new_revoked (path);
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, s_pending_destroy);
    if (s_load_keys (self->node_keys, "nodes") || s_load_keys (self->admin_keys, "admins"))
        return -1;
    snprintf (path, sizeof path, "%s/broker/broker.crt", self->keys_dir);
    zcert_t *cert = sw_cert_load_secret (path, err, sizeof err);
    if (!cert) {
        zsys_error ("%s", err);
        return -1;
    }
    //  The ZAP handler must be running before anything binds, or the
    //  first connections would be let in unauthenticated.
    self->zap = sw_zap_new (&(sw_zap_args_t){self->keys_dir, self->enroll_open});
    if (!self->zap) {
        sw_cert_destroy (&cert);
        return -1;
    }
    self->admin = s_router (cert, self->admin_bind, SW_ADMIN_MAX_REQ, SW_ZAP_DOMAIN_ADMIN);
    self->nodes_sock = s_router (cert, self->node_bind, SW_NODE_MAX_MSG, SW_ZAP_DOMAIN_NODES);
    sw_cert_destroy (&cert);
    if (!self->admin || !self->nodes_sock)
        return -1;
    snprintf (path, sizeof path, "%s/store", self->state_dir);
    if (!(self->store = sw_store_open (path, err, sizeof err))) {
        zsys_error ("%s", err);
        return -1;
    }
    self->started = zclock_mono ();
    if (!(self->jobs = sw_jobs_new (self->store, self->scope, err, sizeof err))) {
        zsys_error ("job store: %s", err);
        return -1;
    }
    self->blobs = sw_blobs_new (self->store);
    sw_jobs_set_blobs (self->jobs, self->blobs);
    s_load_content_key (self);
    for (int k = 0; k < 2; k++) {
        size_t len;
        self->current[k] = sw_store_get (self->store, s_content[k].store_key, &len);
    }
    self->nodes = zhashx_new ();
    zhashx_set_destructor (self->nodes, s_node_destroy);
    if (s_write_endpoints (self))
        zsys_warning ("cannot write %s/endpoints", self->state_dir);
    zsys_info ("listening: admin %s, nodes %s; scope %s", zsock_endpoint (self->admin),
               zsock_endpoint (self->nodes_sock), self->scope_spec);
    return 0;
}

//  The content key checks rule bundles. Without one the broker runs, but
//  refuses bundles (so posture jobs).
static void s_load_content_key (broker_t *self)
{
    char path[1024], err[512];
    if (!self->content_key) {
        snprintf (path, sizeof path, "%s/content/bundle.pub", self->keys_dir);
        self->content_key = strdup (path);
    }
    self->have_content_key = sw_bundle_read_key (self->content_key, false, self->content_pk,
                                                 sizeof self->content_pk, err, sizeof err) == 0;
    if (!self->have_content_key)
        zsys_warning ("no content key (%s): rule bundles, and so posture jobs, are refused", err);
    //  The fingerprint key makes secrets findings comparable across files,
    //  runs and nodes; the broker hands it to nodes with secrets shards.
    if (!self->fingerprint_key) {
        snprintf (path, sizeof path, "%s/content/fingerprint.key", self->keys_dir);
        self->fingerprint_key = strdup (path);
    }
    uint8_t key[SW_SECRETS_KEY_LEN];
    if (sw_bundle_read_key (self->fingerprint_key, true, key, sizeof key, err, sizeof err) == 0)
        sodium_bin2hex (self->fp_hex, sizeof self->fp_hex, key, sizeof key);
    else
        zsys_warning ("no fingerprint key (%s): secrets jobs are refused", err);
    sodium_memzero (key, sizeof key);
}

static int s_run (broker_t *self)
{
    zpoller_t *poller = zpoller_new (self->admin, self->nodes_sock, NULL);
    self->next_tick = zclock_mono () + self->heartbeat_ms;
    int rc = 0;
    int64_t waiting = -1; //  ms until a held JOB request's wait ends
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        int timeout = (int)(self->next_tick > now ? self->next_tick - now : 0);
        if (waiting >= 0 && waiting < timeout)
            timeout = (int)waiting;
        zpoller_wait (poller, timeout);
        if (zpoller_terminated (poller))
            break;
        now = zclock_mono ();
        //  Admin requests first and on their own budget, so that no node
        //  traffic can starve the operator's console.
        for (int n = 0; n < ROUND_MAX_ADMIN && (zsock_events (self->admin) & ZMQ_POLLIN); n++)
            s_admin_recv (self, now);
        size_t bytes = 0;
        for (int n = 0; n < ROUND_MAX_MSGS && bytes < ROUND_MAX_BYTES &&
                        (zsock_events (self->nodes_sock) & ZMQ_POLLIN);
             n++)
            bytes += s_node_recv (self, now);
        if (now >= self->next_tick) {
            s_tick (self, now);
            self->next_tick = now + self->heartbeat_ms;
        }
        s_dispatch (self, now);
        char err[512];
        if (sw_jobs_commit (self->jobs, err, sizeof err)) {
            //  Without durable state nothing may be acknowledged.
            zsys_error ("%s; stopping", err);
            rc = 1;
            break;
        }
        s_send_acks (self);
        //  After the commit: a job reported ended is ended on disk
        waiting = s_admin_waiters (self, zclock_mono (), false);
    }
    s_admin_waiters (self, zclock_mono (), true);
    zpoller_destroy (&poller);
    return rc;
}

static void s_stop (broker_t *self)
{
    zhashx_destroy (&self->nodes);
    sw_jobs_destroy (&self->jobs);
    sw_blobs_destroy (&self->blobs);
    free (self->current[0]);
    free (self->current[1]);
    sw_store_destroy (&self->store);
    zsock_destroy (&self->admin);
    zsock_destroy (&self->nodes_sock);
    zactor_destroy (&self->zap);
    sw_allow_destroy (&self->node_keys);
    sw_allow_destroy (&self->admin_keys);
    sw_allow_destroy (&self->revoked);
    zhashx_destroy (&self->pending);
    sw_hostlist_destroy (&self->scope);
}

//  Static so that strings the option parser allocates stay reachable.
static broker_t s_broker = {.keys_dir = "keys",
                            .state_dir = "state/broker",
                            .admin_bind = "tcp://127.0.0.1:5700",
                            .node_bind = "tcp://127.0.0.1:5701",
                            .scope_spec = "127.0.0.0/8",
                            .enroll = "open",
                            .heartbeat_ms = 1000,
                            .liveness = 3,
                            .scan_timeout_ms = 1000};

int main (int argc, char **argv)
{
    broker_t *self = &s_broker;
    sw_opt_t opts[] = {
        {"keys", SW_OPT_STR, &self->keys_dir, 0, 0, "key directory (see keys/README.md) [keys]"},
        {"state", SW_OPT_STR, &self->state_dir, 0, 0, "state directory [state/broker]"},
        {"admin-bind", SW_OPT_STR, &self->admin_bind, 0, 0,
         "admin endpoint; port * picks a free one [tcp://127.0.0.1:5700]"},
        {"node-bind", SW_OPT_STR, &self->node_bind, 0, 0, "node endpoint [tcp://127.0.0.1:5701]"},
        {"scope", SW_OPT_STR, &self->scope_spec, 0, 0,
         "comma-separated CIDRs that network targets must fall in [127.0.0.0/8]"},
        {"heartbeat-ms", SW_OPT_INT, &self->heartbeat_ms, 50, 60000, "heartbeat interval [1000]"},
        {"liveness", SW_OPT_INT, &self->liveness, 2, 100,
         "heartbeats a node may miss before it is dropped [3]"},
        {"content-key", SW_OPT_STR, &self->content_key, 0, 0,
         "public key that rule bundles must be signed with [KEYS/content/bundle.pub]"},
        {"fingerprint-key", SW_OPT_STR, &self->fingerprint_key, 0, 0,
         "secret key (0600) that keys secrets findings' fingerprints "
         "[KEYS/content/fingerprint.key]"},
        {"scan-timeout-ms", SW_OPT_INT, &self->scan_timeout_ms, 10, 60000,
         "per-port connect timeout sent with tcp shards [1000]"},
        {"enroll", SW_OPT_STR, &self->enroll, 0, 0,
         "open: an unknown node key is held as pending until `sweepctl nodes approve`; "
         "closed: it is refused at the handshake [open]"},
        {NULL, 0, NULL, 0, 0, NULL}};
    char *positional[1];
    int npositional = 0;
    bool help;
    if (sw_opts_parse (opts, argc, argv, 1, positional, &npositional, &help))
        return 2;
    if (help) {
        printf ("Usage: sweep-broker [OPTIONS]\n\nRuns the cloudsweep broker: the admin endpoint "
                "for sweepctl, the node endpoint for sweep-node, the job store and the "
                "reducer.\nState (the job store, the endpoints file) lives in --state.\n\n");
        sw_opts_usage (opts);
        return 0;
    }
    if (sodium_init () < 0)
        return 1;
    //  Log lines go to stdout; a supervisor or a test reads them as they come.
    setvbuf (stdout, NULL, _IOLBF, 0);
    //  A peer that resets a connection must cost an error, not the process
    //  (OpenSSL writes without MSG_NOSIGNAL)
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_set_logident ("sweep-broker");
    zsys_set_linger (0);
    int rc = s_start (self) ? 1 : s_run (self);
    s_stop (self);
    sodium_memzero (self->fp_hex, sizeof self->fp_hex);
    zsys_info ("stopped");
    return rc;
}
