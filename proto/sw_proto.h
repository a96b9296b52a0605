/*  sw_proto - the cloudsweep wire protocol codec (see proto/PROTOCOL.md).

    A message is three frames after any routing envelope: a signature
    frame naming the channel and protocol version ("SWN1" between nodes and
    broker, "SWA1" between console and broker), a command frame (ASCII),
    and a body frame holding one MessagePack map. Node-channel messages
    decode into sw_node_msg_t; admin bodies are left as value trees
    (sw_mpv) because each admin reply has its own shape. */
#ifndef SW_PROTO_H
#define SW_PROTO_H

#include <czmq.h>
#include <msgpack.h>

#include "sw_blobref.h"
#include "sw_finding.h"
#include "sw_mpv.h"

#define SW_PROTO_VERSION 1
#define SW_SIG_NODE      "SWN1"
#define SW_SIG_ADMIN     "SWA1"
#define SW_NODE_MAX_MSG  (1024 * 1024) //  socket limit, node channel
#define SW_ADMIN_MAX_REQ                                                                           \
    (32 * 1024 * 1024)              //  socket limit, admin requests (a posture job lists its files)
#define SW_FINDINGS_BATCH     32    //  findings per FINDINGS message (fits 1 MiB)
#define SW_MAX_TEXT           32768 //  bytes in any one text field
#define SW_MAX_PATH           512   //  a file name in a posture shard
#define SW_MAX_SHARD_FINDINGS 65536 //  findings one shard may report
#define SW_MAX_SHARD_FILES    8192 //  files of a posture shard (the 1 MiB message is the real bound)
#define SW_MAX_FINDING_TEXT   2048 //  bytes in any one text field of a finding
#define SW_MAX_LABELS         32
#define SW_MAX_SCANNERS       32
#define SW_MAX_LEASES         4096 //  leases listed in one HEARTBEAT
#define SW_MAX_CAPACITY       256  //  capacity a node may declare
#define SW_CREDIT_PER_SLOT    4    //  shards a node may hold per unit of capacity

typedef enum {
    SW_CMD_NONE = 0,
    SW_CMD_READY,      //  node -> broker: I am here, with scanners and capacity
    SW_CMD_CREDIT,     //  node -> broker: I can take N more shards
    SW_CMD_SHARD,      //  broker -> node: run this shard under a lease
    SW_CMD_HEARTBEAT,  //  both ways; node's lists the leases it holds
    SW_CMD_FINDINGS,   //  node -> broker: a batch of findings (reliable)
    SW_CMD_DONE,       //  node -> broker: a shard finished (reliable)
    SW_CMD_FAILED,     //  node -> broker: a shard could not be run (reliable)
    SW_CMD_ACK,        //  broker -> node: reliable messages up to seq are durable
    SW_CMD_DISCONNECT, //  both ways: the session is over, with a reason
    SW_CMD_FETCH,      //  node -> broker: send me a chunk of this blob
    SW_CMD_BLOB,       //  broker -> node: a chunk of a blob (or why not)
    SW_CMD_COUNT
} sw_cmd_t;

//  Command frame text of a node-channel command, or NULL.
const char *sw_cmd_name (sw_cmd_t cmd);

typedef struct {
    char *job;
    uint64_t shard;
} sw_lease_ref_t;

//  One node-channel message. Which fields are meaningful depends on cmd;
//  PROTOCOL.md lists them per command. Strings are owned.
typedef struct {
    sw_cmd_t cmd;
    //  READY
    uint32_t version;
    char *name;
    char **scanners;
    size_t nscanners;
    uint32_t capacity;
    char **label_keys;
    char **label_values;
    size_t nlabels;
    //  READY, CREDIT, DONE, FAILED: shards the node can take now
    uint32_t credit;
    bool draining;
    //  SHARD, DONE, FAILED
    char *job;
    uint64_t shard;
    uint32_t attempt;
    //  SHARD
    uint32_t lease_ms;
    char *scanner;
    char *target;
    char *ports;
    uint32_t timeout_ms;
    //  SHARD (posture): group kind ("aws" or "files"), the files, and the
    //  rule bundle (blob hash and version) to evaluate them with
    char *kind;
    sw_blobref_t *files;
    size_t nfiles;
    char *bundle;
    char *bundle_version;
    //  SHARD (secrets): the deployment's fingerprint key, 64 hex digits
    //  (wiped when the message is cleared)
    char *fp_key;
    //  FETCH, BLOB
    char *hash;
    uint64_t offset;
    //  BLOB: total size of the blob, and this chunk (empty with a reason
    //  when the broker has no such blob)
    uint64_t size;
    uint8_t *data;
    size_t ndata;
    //  HEARTBEAT
    sw_lease_ref_t *leases;
    size_t nleases;
    //  FINDINGS, DONE, FAILED, ACK: sequence number of a reliable message
    uint64_t seq;
    //  FINDINGS
    sw_finding_t *findings;
    size_t nfindings;
    //  DONE
    uint64_t open, closed, filtered;
    //  FAILED, DISCONNECT
    char *reason;
} sw_node_msg_t;

//  Frees everything a message owns and zeroes it.
void sw_node_msg_clear (sw_node_msg_t *msg);

//  Encodes a node-channel message as [signature][command][body].
//  Returns a new zmsg, or NULL if a field breaks a protocol limit.
zmsg_t *sw_node_msg_encode (const sw_node_msg_t *msg);

//  Encodes only the body of a node-channel message (MessagePack map).
//  Returns 0 and a malloc'd buffer in *data, or -1.
int sw_node_msg_encode_body (const sw_node_msg_t *msg, char **data, size_t *size);

//  Decodes the frames of a node-channel message (routing envelope already
//  removed; the message is not modified). Returns 0, or -1 with a message
//  in err that says what was wrong; msg is then cleared.
int sw_node_msg_decode (zmsg_t *zmsg, sw_node_msg_t *msg, char *err, size_t errlen);

//  Decodes a node-channel body for a known command (used for journal
//  replay and by the decoder above).
int sw_node_msg_decode_body (sw_cmd_t cmd, const void *data, size_t size, sw_node_msg_t *msg,
                             char *err, size_t errlen);

//  Packs one finding as a MessagePack map (used in FINDINGS and in the
//  broker's store).
void sw_finding_pack (msgpack_packer *pk, const sw_finding_t *f);

//  Reads a finding from a decoded map. Returns 0, or -1 with err.
int sw_finding_unpack (const sw_mpv_t *map, sw_finding_t *f, char *err, size_t errlen);

//  A growing MessagePack buffer and the packer that writes into it.
typedef struct {
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
} sw_packer_t;

//  Starts an empty buffer. (A sw_packer_t must not be copied or moved
//  once initialised: the packer points at the buffer.)
void sw_packer_init (sw_packer_t *self);

//  Frees the buffer.
void sw_packer_destroy (sw_packer_t *self);

//  Helpers for building bodies with msgpack-c.
void sw_pack_str (msgpack_packer *pk, const char *s);
void sw_pack_kv_str (msgpack_packer *pk, const char *key, const char *value);
void sw_pack_kv_uint (msgpack_packer *pk, const char *key, uint64_t value);
void sw_pack_kv_int (msgpack_packer *pk, const char *key, int64_t value);
void sw_pack_kv_bool (msgpack_packer *pk, const char *key, bool value);

//  Builds an admin message [signature][command][body] from a packed body.
//  Takes the bytes of sbuf (copies them). Returns a new zmsg.
zmsg_t *sw_admin_msg_new (const char *command, const msgpack_sbuffer *body);

//  Checks an admin message's signature and command frame and decodes its
//  body. On success *command is a new string and doc holds the body.
//  Returns 0, or -1 with err.
int sw_admin_msg_decode (zmsg_t *zmsg, char **command, sw_mpdoc_t *doc, char *err, size_t errlen);

//  Writes a decoded value as JSON text to a file (for --json output).
void sw_mpv_print_json (FILE *out, const sw_mpv_t *value, int indent);

//  Makes untrusted text safe for a log line or a terminal, in place:
//  C0 and C1 control characters become '?', and the text is cut to at most
//  max bytes at a UTF-8 character boundary.
void sw_text_sanitize (char *s, size_t max);

//  Writes s as a JSON string literal (quoted, escaped) to out.
void sw_json_string (FILE *out, const char *s);

#endif
