/*  sw_proto - node-channel and admin-channel codec. See sw_proto.h.

    Scalar body fields are described once in a table that drives both the
    encoder and the decoder, so the two cannot drift apart; the few fields
    that are lists or maps (scanners, labels, leases, findings) have their
    own small functions. */
#include "sw_proto.h"

#include <sodium.h>

#define BIT(c) (1u << (c))

static const char *s_cmd_names[SW_CMD_COUNT] = {
    [SW_CMD_READY] = "READY",
    [SW_CMD_CREDIT] = "CREDIT",
    [SW_CMD_SHARD] = "SHARD",
    [SW_CMD_HEARTBEAT] = "HEARTBEAT",
    [SW_CMD_FINDINGS] = "FINDINGS",
    [SW_CMD_DONE] = "DONE",
    [SW_CMD_FAILED] = "FAILED",
    [SW_CMD_ACK] = "ACK",
    [SW_CMD_DISCONNECT] = "DISCONNECT",
    [SW_CMD_FETCH] = "FETCH",
    [SW_CMD_BLOB] = "BLOB",
};

const char *sw_cmd_name (sw_cmd_t cmd)
{
    return cmd > SW_CMD_NONE && cmd < SW_CMD_COUNT ? s_cmd_names[cmd] : NULL;
}

typedef enum { F_STR, F_U32, F_U64, F_BOOL } field_type_t;

typedef struct {
    const char *key;
    field_type_t type;
    size_t offset;
    uint32_t required; //  commands that must carry it
    uint32_t optional; //  commands that may carry it
} field_t;

#define RELIABLE (BIT (SW_CMD_FINDINGS) | BIT (SW_CMD_DONE) | BIT (SW_CMD_FAILED))
#define RESULT   (BIT (SW_CMD_DONE) | BIT (SW_CMD_FAILED))

static const field_t s_fields[] = {
    {"version", F_U32, offsetof (sw_node_msg_t, version), BIT (SW_CMD_READY), 0},
    {"name", F_STR, offsetof (sw_node_msg_t, name), BIT (SW_CMD_READY), 0},
    {"capacity", F_U32, offsetof (sw_node_msg_t, capacity), BIT (SW_CMD_READY), 0},
    {"credit", F_U32, offsetof (sw_node_msg_t, credit),
     BIT (SW_CMD_READY) | BIT (SW_CMD_CREDIT) | RESULT, 0},
    {"draining", F_BOOL, offsetof (sw_node_msg_t, draining), 0, BIT (SW_CMD_CREDIT)},
    {"job", F_STR, offsetof (sw_node_msg_t, job), BIT (SW_CMD_SHARD) | RESULT, 0},
    {"shard", F_U64, offsetof (sw_node_msg_t, shard), BIT (SW_CMD_SHARD) | RESULT, 0},
    {"attempt", F_U32, offsetof (sw_node_msg_t, attempt), BIT (SW_CMD_SHARD) | RESULT, 0},
    {"lease_ms", F_U32, offsetof (sw_node_msg_t, lease_ms), BIT (SW_CMD_SHARD), 0},
    {"scanner", F_STR, offsetof (sw_node_msg_t, scanner), BIT (SW_CMD_SHARD), 0},
    {"target", F_STR, offsetof (sw_node_msg_t, target), BIT (SW_CMD_SHARD), 0},
    {"ports", F_STR, offsetof (sw_node_msg_t, ports), 0, BIT (SW_CMD_SHARD)},
    {"timeout_ms", F_U32, offsetof (sw_node_msg_t, timeout_ms), 0, BIT (SW_CMD_SHARD)},
    {"kind", F_STR, offsetof (sw_node_msg_t, kind), 0, BIT (SW_CMD_SHARD)},
    {"bundle", F_STR, offsetof (sw_node_msg_t, bundle), 0, BIT (SW_CMD_SHARD)},
    {"bundle_version", F_STR, offsetof (sw_node_msg_t, bundle_version), 0, BIT (SW_CMD_SHARD)},
    {"fp_key", F_STR, offsetof (sw_node_msg_t, fp_key), 0, BIT (SW_CMD_SHARD)},
    {"hash", F_STR, offsetof (sw_node_msg_t, hash), BIT (SW_CMD_FETCH) | BIT (SW_CMD_BLOB), 0},
    {"offset", F_U64, offsetof (sw_node_msg_t, offset), BIT (SW_CMD_FETCH) | BIT (SW_CMD_BLOB), 0},
    {"size", F_U64, offsetof (sw_node_msg_t, size), BIT (SW_CMD_BLOB), 0},
    {"seq", F_U64, offsetof (sw_node_msg_t, seq), RELIABLE | BIT (SW_CMD_ACK), 0},
    {"open", F_U64, offsetof (sw_node_msg_t, open), BIT (SW_CMD_DONE), 0},
    {"closed", F_U64, offsetof (sw_node_msg_t, closed), BIT (SW_CMD_DONE), 0},
    {"filtered", F_U64, offsetof (sw_node_msg_t, filtered), BIT (SW_CMD_DONE), 0},
    {"reason", F_STR, offsetof (sw_node_msg_t, reason), BIT (SW_CMD_FAILED),
     BIT (SW_CMD_DISCONNECT) | BIT (SW_CMD_BLOB)},
};
#define NFIELDS (sizeof s_fields / sizeof s_fields[0])

#define FIELD(msg, f, type) ((type *)((char *)(msg) + (f)->offset))

static void s_free_strv (char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free (v[i]);
    free (v);
}

void sw_node_msg_clear (sw_node_msg_t *msg)
{
    if (msg->fp_key)
        sodium_memzero (msg->fp_key, strlen (msg->fp_key));
    for (size_t i = 0; i < NFIELDS; i++)
        if (s_fields[i].type == F_STR)
            free (*FIELD (msg, &s_fields[i], char *));
    s_free_strv (msg->scanners, msg->nscanners);
    s_free_strv (msg->label_keys, msg->nlabels);
    s_free_strv (msg->label_values, msg->nlabels);
    for (size_t i = 0; msg->leases && i < msg->nleases; i++)
        free (msg->leases[i].job);
    free (msg->leases);
    for (size_t i = 0; msg->findings && i < msg->nfindings; i++)
        sw_finding_clear (&msg->findings[i]);
    free (msg->findings);
    for (size_t i = 0; msg->files && i < msg->nfiles; i++)
        free (msg->files[i].name);
    free (msg->files);
    free (msg->data);
    memset (msg, 0, sizeof *msg);
}

//  ---------------------------------------------------------------------
//  Packing helpers

void sw_packer_init (sw_packer_t *self)
{
    msgpack_sbuffer_init (&self->sbuf);
    msgpack_packer_init (&self->pk, &self->sbuf, msgpack_sbuffer_write);
}

void sw_packer_destroy (sw_packer_t *self)
{
    msgpack_sbuffer_destroy (&self->sbuf);
}

void sw_pack_str (msgpack_packer *pk, const char *s)
{
    size_t len = s ? strlen (s) : 0;
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s ? s : "", len);
}

void sw_pack_kv_str (msgpack_packer *pk, const char *key, const char *value)
{
    sw_pack_str (pk, key);
    sw_pack_str (pk, value);
}

void sw_pack_kv_uint (msgpack_packer *pk, const char *key, uint64_t value)
{
    sw_pack_str (pk, key);
    msgpack_pack_uint64 (pk, value);
}

void sw_pack_kv_int (msgpack_packer *pk, const char *key, int64_t value)
{
    sw_pack_str (pk, key);
    msgpack_pack_int64 (pk, value);
}

void sw_pack_kv_bool (msgpack_packer *pk, const char *key, bool value)
{
    sw_pack_str (pk, key);
    if (value)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
}

static void s_pack_opt_str (msgpack_packer *pk, const char *key, const char *value)
{
    sw_pack_kv_str (pk, key, value ? value : "");
}

void sw_finding_pack (msgpack_packer *pk, const sw_finding_t *f)
{
    msgpack_pack_map (pk,
                      12 + (f->bundle != NULL) + (f->references != NULL) + (f->compliance != NULL));
    sw_pack_kv_str (pk, "fp", f->fingerprint);
    s_pack_opt_str (pk, "job", f->job);
    sw_pack_kv_uint (pk, "shard", f->shard);
    s_pack_opt_str (pk, "scanner", f->scanner);
    s_pack_opt_str (pk, "rule", f->rule);
    sw_pack_kv_str (pk, "severity", sw_severity_name (f->severity));
    s_pack_opt_str (pk, "resource", f->resource);
    s_pack_opt_str (pk, "location", f->location);
    s_pack_opt_str (pk, "title", f->title);
    s_pack_opt_str (pk, "evidence", f->evidence);
    s_pack_opt_str (pk, "remediation", f->remediation);
    sw_pack_kv_int (pk, "first_seen", f->first_seen);
    if (f->bundle)
        sw_pack_kv_str (pk, "bundle", f->bundle);
    if (f->references)
        sw_pack_kv_str (pk, "references", f->references);
    if (f->compliance)
        sw_pack_kv_str (pk, "compliance", f->compliance);
}

//  ---------------------------------------------------------------------
//  Encoding

static bool s_text_ok (const char *s)
{
    return !s || strlen (s) <= SW_MAX_TEXT;
}

static bool s_finding_ok (const sw_finding_t *f)
{
    const char *texts[] = {f->job,      f->scanner,    f->rule,      f->resource,
                           f->location, f->title,      f->evidence,  f->remediation,
                           f->bundle,   f->references, f->compliance};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i] && strlen (texts[i]) > SW_MAX_FINDING_TEXT)
            return false;
    return true;
}

//  Every string the lists and maps of a message carry is within limits.
static bool s_extras_ok (const sw_node_msg_t *msg)
{
    for (size_t i = 0; i < msg->nscanners; i++)
        if (!s_text_ok (msg->scanners[i]))
            return false;
    for (size_t i = 0; i < msg->nlabels; i++)
        if (!s_text_ok (msg->label_keys[i]) || !s_text_ok (msg->label_values[i]))
            return false;
    for (size_t i = 0; i < msg->nleases; i++)
        if (!s_text_ok (msg->leases[i].job))
            return false;
    for (size_t i = 0; i < msg->nfindings; i++)
        if (!s_finding_ok (&msg->findings[i]))
            return false;
    for (size_t i = 0; i < msg->nfiles; i++)
        if (!msg->files[i].name || strlen (msg->files[i].name) > SW_MAX_PATH ||
            strlen (msg->files[i].hash) != SW_BLOB_HEX_LEN)
            return false;
    return msg->ndata <= SW_BLOB_CHUNK;
}

static size_t s_extra_pairs (const sw_node_msg_t *msg)
{
    switch (msg->cmd) {
    case SW_CMD_READY:
        return 2; //  scanners, labels
    case SW_CMD_HEARTBEAT:
        return 1; //  leases
    case SW_CMD_FINDINGS:
        return 1; //  findings
    case SW_CMD_SHARD:
        return msg->files ? 1 : 0; //  files (posture)
    case SW_CMD_BLOB:
        return 1; //  data
    default:
        return 0;
    }
}

static void s_pack_extras (msgpack_packer *pk, const sw_node_msg_t *msg)
{
    if (msg->cmd == SW_CMD_READY) {
        sw_pack_str (pk, "scanners");
        msgpack_pack_array (pk, msg->nscanners);
        for (size_t i = 0; i < msg->nscanners; i++)
            sw_pack_str (pk, msg->scanners[i]);
        sw_pack_str (pk, "labels");
        msgpack_pack_map (pk, msg->nlabels);
        for (size_t i = 0; i < msg->nlabels; i++)
            sw_pack_kv_str (pk, msg->label_keys[i], msg->label_values[i]);
    } else if (msg->cmd == SW_CMD_HEARTBEAT) {
        sw_pack_str (pk, "leases");
        msgpack_pack_array (pk, msg->nleases);
        for (size_t i = 0; i < msg->nleases; i++) {
            msgpack_pack_array (pk, 2);
            sw_pack_str (pk, msg->leases[i].job);
            msgpack_pack_uint64 (pk, msg->leases[i].shard);
        }
    } else if (msg->cmd == SW_CMD_FINDINGS) {
        sw_pack_str (pk, "findings");
        msgpack_pack_array (pk, msg->nfindings);
        for (size_t i = 0; i < msg->nfindings; i++)
            sw_finding_pack (pk, &msg->findings[i]);
    } else if (msg->cmd == SW_CMD_SHARD && msg->files) {
        sw_pack_str (pk, "files");
        msgpack_pack_array (pk, msg->nfiles);
        for (size_t i = 0; i < msg->nfiles; i++) {
            msgpack_pack_array (pk, 3);
            sw_pack_str (pk, msg->files[i].name);
            sw_pack_str (pk, msg->files[i].hash);
            msgpack_pack_uint64 (pk, msg->files[i].size);
        }
    } else if (msg->cmd == SW_CMD_BLOB) {
        sw_pack_str (pk, "data");
        msgpack_pack_bin (pk, msg->ndata);
        msgpack_pack_bin_body (pk, msg->data, msg->ndata);
    }
}

int sw_node_msg_encode_body (const sw_node_msg_t *msg, char **data, size_t *size)
{
    if (!sw_cmd_name (msg->cmd) || msg->nscanners > SW_MAX_SCANNERS ||
        msg->nlabels > SW_MAX_LABELS || msg->nleases > SW_MAX_LEASES ||
        msg->nfindings > SW_FINDINGS_BATCH || msg->nfiles > SW_MAX_SHARD_FILES ||
        !s_extras_ok (msg))
        return -1;
    uint32_t bit = BIT (msg->cmd);
    size_t pairs = s_extra_pairs (msg);
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields[i];
        if (f->required & bit)
            pairs++;
        else if ((f->optional & bit) && (f->type != F_STR || *FIELD (msg, f, char *)))
            pairs++;
        if (f->type == F_STR && !s_text_ok (*FIELD (msg, f, char *)))
            return -1;
    }
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, pairs);
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields[i];
        bool present = (f->required & bit) ||
                       ((f->optional & bit) && (f->type != F_STR || *FIELD (msg, f, char *)));
        if (!present)
            continue;
        switch (f->type) {
        case F_STR:
            s_pack_opt_str (&p.pk, f->key, *FIELD (msg, f, char *));
            break;
        case F_U32:
            sw_pack_kv_uint (&p.pk, f->key, *FIELD (msg, f, uint32_t));
            break;
        case F_U64:
            sw_pack_kv_uint (&p.pk, f->key, *FIELD (msg, f, uint64_t));
            break;
        case F_BOOL:
            sw_pack_kv_bool (&p.pk, f->key, *FIELD (msg, f, bool));
            break;
        }
    }
    s_pack_extras (&p.pk, msg);
    if (p.sbuf.size > SW_NODE_MAX_MSG - 256) {
        sw_packer_destroy (&p);
        return -1; //  would not fit the receiver's socket limit with its frames
    }
    *data = p.sbuf.data;
    *size = p.sbuf.size;
    return 0;
}

zmsg_t *sw_node_msg_encode (const sw_node_msg_t *msg)
{
    char *body;
    size_t size;
    if (sw_node_msg_encode_body (msg, &body, &size))
        return NULL;
    zmsg_t *zmsg = zmsg_new ();
    zmsg_addstr (zmsg, SW_SIG_NODE);
    zmsg_addstr (zmsg, sw_cmd_name (msg->cmd));
    zmsg_addmem (zmsg, body, size);
    free (body);
    return zmsg;
}

//  ---------------------------------------------------------------------
//  Decoding

static char *s_dup_text_max (const sw_mpv_t *v, size_t max)
{
    const char *s = sw_mpv_str (v);
    return s && v->len <= max ? strdup (s) : NULL;
}

static char *s_dup_text (const sw_mpv_t *v)
{
    const char *s = sw_mpv_str (v);
    return s && v->len <= SW_MAX_TEXT ? strdup (s) : NULL;
}

static int s_decode_strv (const sw_mpv_t *v, size_t max, char ***out, size_t *n)
{
    if (!v || v->type != SW_MPV_ARRAY || v->len > max)
        return -1;
    *out = calloc (v->len ? v->len : 1, sizeof (char *));
    *n = v->len;
    for (uint32_t i = 0; i < v->len; i++)
        if (!((*out)[i] = s_dup_text (&v->v.items[i])))
            return -1;
    return 0;
}

static int s_decode_labels (const sw_mpv_t *v, sw_node_msg_t *msg)
{
    if (!v)
        return 0; //  labels are optional
    if (v->type != SW_MPV_MAP || v->len > SW_MAX_LABELS)
        return -1;
    msg->label_keys = calloc (v->len ? v->len : 1, sizeof (char *));
    msg->label_values = calloc (v->len ? v->len : 1, sizeof (char *));
    msg->nlabels = v->len;
    for (uint32_t i = 0; i < v->len; i++) {
        msg->label_keys[i] = s_dup_text (&v->v.items[2 * i]);
        msg->label_values[i] = s_dup_text (&v->v.items[2 * i + 1]);
        if (!msg->label_keys[i] || !msg->label_values[i])
            return -1;
    }
    return 0;
}

static int s_decode_leases (const sw_mpv_t *v, sw_node_msg_t *msg)
{
    if (!v || v->type != SW_MPV_ARRAY || v->len > SW_MAX_LEASES)
        return -1;
    msg->leases = calloc (v->len ? v->len : 1, sizeof (sw_lease_ref_t));
    msg->nleases = v->len;
    for (uint32_t i = 0; i < v->len; i++) {
        const sw_mpv_t *pair = &v->v.items[i];
        if (pair->type != SW_MPV_ARRAY || pair->len != 2)
            return -1;
        if (!(msg->leases[i].job = s_dup_text (&pair->v.items[0])) ||
            sw_mpv_uint (&pair->v.items[1], UINT64_MAX, &msg->leases[i].shard))
            return -1;
    }
    return 0;
}

static int s_req_text (const sw_mpv_t *map, const char *key, char **out, char *err, size_t errlen)
{
    if (!(*out = s_dup_text_max (sw_mpv_get (map, key), SW_MAX_FINDING_TEXT))) {
        snprintf (err, errlen, "finding: '%s' missing, not UTF-8 text, or longer than %d bytes",
                  key, SW_MAX_FINDING_TEXT);
        return -1;
    }
    return 0;
}

//  Like s_req_text, for a key that may be absent (left NULL).
static int s_opt_text (const sw_mpv_t *map, const char *key, char **out, char *err, size_t errlen)
{
    *out = NULL;
    return sw_mpv_get (map, key) ? s_req_text (map, key, out, err, errlen) : 0;
}

int sw_finding_unpack (const sw_mpv_t *map, sw_finding_t *f, char *err, size_t errlen)
{
    memset (f, 0, sizeof *f);
    if (!map || map->type != SW_MPV_MAP) {
        snprintf (err, errlen, "finding: not a map");
        return -1;
    }
    const char *fp = sw_mpv_str (sw_mpv_get (map, "fp"));
    const char *sev = sw_mpv_str (sw_mpv_get (map, "severity"));
    const sw_mpv_t *seen = sw_mpv_get (map, "first_seen");
    if (!fp || strlen (fp) != SW_FP_HEX_LEN || strspn (fp, "0123456789abcdef") != SW_FP_HEX_LEN) {
        snprintf (err, errlen, "finding: 'fp' must be %d lower-case hex digits", SW_FP_HEX_LEN);
        return -1;
    }
    memcpy (f->fingerprint, fp, SW_FP_HEX_LEN + 1);
    if (!sev || sw_severity_parse (sev, &f->severity)) {
        snprintf (err, errlen, "finding: 'severity' missing or unknown");
        return -1;
    }
    if (sw_mpv_uint (sw_mpv_get (map, "shard"), UINT64_MAX, &f->shard)) {
        snprintf (err, errlen, "finding: 'shard' missing or not an unsigned integer");
        return -1;
    }
    if (seen && (seen->type == SW_MPV_UINT || seen->type == SW_MPV_INT))
        f->first_seen = seen->v.i;
    if (s_req_text (map, "job", &f->job, err, errlen) ||
        s_req_text (map, "scanner", &f->scanner, err, errlen) ||
        s_req_text (map, "rule", &f->rule, err, errlen) ||
        s_req_text (map, "resource", &f->resource, err, errlen) ||
        s_req_text (map, "location", &f->location, err, errlen) ||
        s_req_text (map, "title", &f->title, err, errlen) ||
        s_req_text (map, "evidence", &f->evidence, err, errlen) ||
        s_req_text (map, "remediation", &f->remediation, err, errlen) ||
        s_opt_text (map, "bundle", &f->bundle, err, errlen) ||
        s_opt_text (map, "references", &f->references, err, errlen) ||
        s_opt_text (map, "compliance", &f->compliance, err, errlen)) {
        sw_finding_clear (f);
        return -1;
    }
    return 0;
}

static int s_decode_findings (const sw_mpv_t *v, sw_node_msg_t *msg, char *err, size_t errlen)
{
    if (!v || v->type != SW_MPV_ARRAY || v->len > SW_FINDINGS_BATCH) {
        snprintf (err, errlen, "'findings' missing, not an array, or more than %d",
                  SW_FINDINGS_BATCH);
        return -1;
    }
    msg->findings = calloc (v->len ? v->len : 1, sizeof (sw_finding_t));
    for (uint32_t i = 0; i < v->len; i++) {
        if (sw_finding_unpack (&v->v.items[i], &msg->findings[i], err, errlen))
            return -1;
        msg->nfindings = i + 1;
    }
    return 0;
}

//  A posture shard's files: [name, hash, size] triples.
static int s_decode_files (const sw_mpv_t *v, sw_node_msg_t *msg)
{
    if (v->type != SW_MPV_ARRAY || v->len > SW_MAX_SHARD_FILES)
        return -1;
    msg->files = calloc (v->len ? v->len : 1, sizeof (sw_blobref_t));
    for (uint32_t i = 0; i < v->len; i++) {
        const sw_mpv_t *t = &v->v.items[i];
        if (t->type != SW_MPV_ARRAY || t->len != 3)
            return -1;
        const char *hash = sw_mpv_str (&t->v.items[1]);
        msg->files[i].name = s_dup_text_max (&t->v.items[0], SW_MAX_PATH);
        msg->nfiles = i + 1;
        if (!msg->files[i].name || !sw_blob_hash_valid (hash) ||
            sw_mpv_uint (&t->v.items[2], SW_BLOB_MAX_SIZE, &msg->files[i].size))
            return -1;
        memcpy (msg->files[i].hash, hash, SW_BLOB_HEX_LEN + 1);
    }
    return 0;
}

static int s_decode_field (const field_t *f, const sw_mpv_t *v, sw_node_msg_t *msg)
{
    uint64_t u;
    switch (f->type) {
    case F_STR:
        return (*FIELD (msg, f, char *) = s_dup_text (v)) ? 0 : -1;
    case F_U32:
        if (sw_mpv_uint (v, UINT32_MAX, &u))
            return -1;
        *FIELD (msg, f, uint32_t) = (uint32_t)u;
        return 0;
    case F_U64:
        return sw_mpv_uint (v, UINT64_MAX, FIELD (msg, f, uint64_t));
    case F_BOOL:
        if (v->type != SW_MPV_BOOL)
            return -1;
        *FIELD (msg, f, bool) = v->v.b;
        return 0;
    }
    return -1;
}

static int s_decode_extras (const sw_mpv_t *root, sw_node_msg_t *msg, char *err, size_t errlen)
{
    const char *cmd = sw_cmd_name (msg->cmd);
    if (msg->cmd == SW_CMD_READY) {
        if (s_decode_strv (sw_mpv_get (root, "scanners"), SW_MAX_SCANNERS, &msg->scanners,
                           &msg->nscanners)) {
            snprintf (err, errlen, "READY: 'scanners' must be an array of at most %d strings",
                      SW_MAX_SCANNERS);
            return -1;
        }
        if (s_decode_labels (sw_mpv_get (root, "labels"), msg)) {
            snprintf (err, errlen, "READY: 'labels' must be a map of at most %d strings",
                      SW_MAX_LABELS);
            return -1;
        }
    } else if (msg->cmd == SW_CMD_HEARTBEAT && sw_mpv_get (root, "leases")) {
        if (s_decode_leases (sw_mpv_get (root, "leases"), msg)) {
            snprintf (err, errlen, "%s: 'leases' must be at most %d [job, shard] pairs", cmd,
                      SW_MAX_LEASES);
            return -1;
        }
    } else if (msg->cmd == SW_CMD_SHARD && sw_mpv_get (root, "files")) {
        if (s_decode_files (sw_mpv_get (root, "files"), msg)) {
            snprintf (err, errlen,
                      "SHARD: 'files' must be at most %d [name, hash, size] triples with "
                      "64-hex hashes",
                      SW_MAX_SHARD_FILES);
            return -1;
        }
    } else if (msg->cmd == SW_CMD_BLOB) {
        const sw_mpv_t *data = sw_mpv_get (root, "data");
        if (!data || data->type != SW_MPV_BIN || data->len > SW_BLOB_CHUNK) {
            snprintf (err, errlen, "BLOB: 'data' must be binary of at most %d bytes",
                      SW_BLOB_CHUNK);
            return -1;
        }
        msg->ndata = data->len;
        msg->data = malloc (data->len ? data->len : 1);
        memcpy (msg->data, data->v.s, data->len);
    } else if (msg->cmd == SW_CMD_FINDINGS) {
        char why[200];
        if (s_decode_findings (sw_mpv_get (root, "findings"), msg, why, sizeof why)) {
            snprintf (err, errlen, "FINDINGS: %s", why);
            return -1;
        }
    }
    return 0;
}

int sw_node_msg_decode_body (sw_cmd_t cmd, const void *data, size_t size, sw_node_msg_t *msg,
                             char *err, size_t errlen)
{
    memset (msg, 0, sizeof *msg);
    if (!sw_cmd_name (cmd)) {
        snprintf (err, errlen, "unknown command %d", (int)cmd);
        return -1;
    }
    msg->cmd = cmd;
    sw_mpdoc_t doc;
    if (sw_mpdoc_decode (data, size, &doc, err, errlen))
        return -1;
    int rc = -1;
    const char *name = sw_cmd_name (cmd);
    if (doc.root->type != SW_MPV_MAP) {
        snprintf (err, errlen, "%s: body is not a map", name);
        goto cleanup;
    }
    uint32_t bit = BIT (cmd);
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_t *f = &s_fields[i];
        if (!((f->required | f->optional) & bit))
            continue;
        const sw_mpv_t *v = sw_mpv_get (doc.root, f->key);
        if (!v && (f->optional & bit))
            continue;
        if (!v) {
            snprintf (err, errlen, "%s: required field '%s' is missing", name, f->key);
            goto cleanup;
        }
        if (s_decode_field (f, v, msg)) {
            snprintf (err, errlen, "%s: field '%s' has the wrong type or is too long", name,
                      f->key);
            goto cleanup;
        }
    }
    if (s_decode_extras (doc.root, msg, err, errlen))
        goto cleanup;
    rc = 0;
cleanup:
    sw_mpdoc_free (&doc);
    if (rc)
        sw_node_msg_clear (msg);
    return rc;
}

static sw_cmd_t s_cmd_lookup (zframe_t *frame)
{
    for (int c = SW_CMD_NONE + 1; c < SW_CMD_COUNT; c++)
        if (zframe_streq (frame, s_cmd_names[c]))
            return (sw_cmd_t)c;
    return SW_CMD_NONE;
}

int sw_node_msg_decode (zmsg_t *zmsg, sw_node_msg_t *msg, char *err, size_t errlen)
{
    memset (msg, 0, sizeof *msg);
    if (zmsg_size (zmsg) != 3) {
        snprintf (err, errlen, "expected 3 frames (signature, command, body), got %zu",
                  zmsg_size (zmsg));
        return -1;
    }
    zframe_t *sig = zmsg_first (zmsg);
    zframe_t *cmdf = zmsg_next (zmsg);
    zframe_t *body = zmsg_next (zmsg);
    if (!zframe_streq (sig, SW_SIG_NODE)) {
        snprintf (err, errlen, "bad signature frame (%zu bytes), expected '%s'", zframe_size (sig),
                  SW_SIG_NODE);
        return -1;
    }
    sw_cmd_t cmd = s_cmd_lookup (cmdf);
    if (cmd == SW_CMD_NONE) {
        snprintf (err, errlen, "unknown command frame (%zu bytes)", zframe_size (cmdf));
        return -1;
    }
    return sw_node_msg_decode_body (cmd, zframe_data (body), zframe_size (body), msg, err, errlen);
}

//  ---------------------------------------------------------------------
//  Admin channel

zmsg_t *sw_admin_msg_new (const char *command, const msgpack_sbuffer *body)
{
    zmsg_t *zmsg = zmsg_new ();
    zmsg_addstr (zmsg, SW_SIG_ADMIN);
    zmsg_addstr (zmsg, command);
    zmsg_addmem (zmsg, body->data, body->size);
    return zmsg;
}

int sw_admin_msg_decode (zmsg_t *zmsg, char **command, sw_mpdoc_t *doc, char *err, size_t errlen)
{
    *command = NULL;
    doc->root = NULL;
    doc->mem = NULL;
    if (zmsg_size (zmsg) != 3) {
        snprintf (err, errlen, "expected 3 frames (signature, command, body), got %zu",
                  zmsg_size (zmsg));
        return -1;
    }
    zframe_t *sig = zmsg_first (zmsg);
    zframe_t *cmdf = zmsg_next (zmsg);
    zframe_t *body = zmsg_next (zmsg);
    if (!zframe_streq (sig, SW_SIG_ADMIN)) {
        snprintf (err, errlen, "bad signature frame, expected '%s'", SW_SIG_ADMIN);
        return -1;
    }
    size_t clen = zframe_size (cmdf);
    const byte *cdata = zframe_data (cmdf);
    if (clen == 0 || clen > 32) {
        snprintf (err, errlen, "command frame must be 1-32 bytes, got %zu", clen);
        return -1;
    }
    for (size_t i = 0; i < clen; i++)
        if (!(cdata[i] >= 'A' && cdata[i] <= 'Z') && cdata[i] != '-') {
            snprintf (err, errlen, "command frame must be upper-case ASCII");
            return -1;
        }
    char why[200];
    if (sw_mpdoc_decode (zframe_data (body), zframe_size (body), doc, why, sizeof why)) {
        snprintf (err, errlen, "body: %s", why);
        return -1;
    }
    if (doc->root->type != SW_MPV_MAP) {
        sw_mpdoc_free (doc);
        snprintf (err, errlen, "body is not a map");
        return -1;
    }
    *command = zframe_strdup (cmdf);
    return 0;
}

//  ---------------------------------------------------------------------
//  JSON output of value trees

void sw_text_sanitize (char *s, size_t max)
{
    size_t len = strlen (s);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--; //  do not split a character
        s[len] = 0;
    }
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            p[0] = p[1] = '?'; //  C1 controls (U+0080-U+009F), e.g. CSI
            p++;
        }
}

void sw_json_string (FILE *out, const char *s)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if (*p == '\t')
            fputs ("\\t", out);
        else if (*p == '\r')
            fputs ("\\r", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
}

static void s_indent (FILE *out, int indent)
{
    fputc ('\n', out);
    for (int i = 0; i < indent; i++)
        fputs ("  ", out);
}

void sw_mpv_print_json (FILE *out, const sw_mpv_t *v, int indent)
{
    switch (v->type) {
    case SW_MPV_NIL:
        fputs ("null", out);
        break;
    case SW_MPV_BOOL:
        fputs (v->v.b ? "true" : "false", out);
        break;
    case SW_MPV_INT:
        fprintf (out, "%lld", (long long)v->v.i);
        break;
    case SW_MPV_UINT:
        fprintf (out, "%llu", (unsigned long long)v->v.u);
        break;
    case SW_MPV_FLOAT:
        fprintf (out, "%.17g", v->v.f);
        break;
    case SW_MPV_STR:
    case SW_MPV_BIN:
        sw_json_string (out, v->v.s);
        break;
    case SW_MPV_ARRAY:
    case SW_MPV_MAP: {
        bool map = v->type == SW_MPV_MAP;
        fputc (map ? '{' : '[', out);
        for (uint32_t i = 0; i < v->len; i++) {
            s_indent (out, indent + 1);
            if (map) {
                const sw_mpv_t *k = &v->v.items[2 * i];
                if (k->type == SW_MPV_STR)
                    sw_json_string (out, k->v.s);
                else
                    fputs ("\"?\"", out);
                fputs (": ", out);
                sw_mpv_print_json (out, &v->v.items[2 * i + 1], indent + 1);
            } else
                sw_mpv_print_json (out, &v->v.items[i], indent + 1);
            if (i + 1 < v->len)
                fputc (',', out);
        }
        if (v->len)
            s_indent (out, indent);
        fputc (map ? '}' : ']', out);
        break;
    }
    }
}
