/*  sw_keys - certificate files and the key directory.

    The key directory holds every CURVE certificate of a deployment:

        DIR/broker/broker.crt          broker public cert        0644
        DIR/broker/broker.crt_secret   broker secret cert        0600
        DIR/allow/nodes/NAME.crt       allow-list: node public certs
        DIR/allow/admins/NAME.crt      allow-list: admin public certs
        DIR/allow/revoked.log          revocation log (see sw_keys_revoke)
        DIR/id/NAME.crt                a node's / admin's own public cert
        DIR/id/NAME.crt_secret         ... and its secret cert    0600
        DIR/id/NAME.crt.revoked        public cert of a revoked NAME

    The broker's zauth reads DIR/allow recursively; its role map comes from
    sw_keys_load_dir on DIR/allow/nodes and DIR/allow/admins. Certificates
    carry metadata name, role ("broker", "node", "admin") and created (UTC,
    ISO 8601). Functions that write files change the process umask for a
    moment, so they are not meant to run concurrently with other threads that
    create files. */
#ifndef SW_KEYS_H
#define SW_KEYS_H

#include <czmq.h>

//  Longest certificate name (names match [A-Za-z0-9][A-Za-z0-9._-]{0,63}).
#define SW_KEYS_NAME_MAX 64

//  Creates DIR (0700) and the layout above with a broker cert, `nodes` node
//  certs named node1..nodeN and one admin cert named "admin". Refuses (-1,
//  message) if DIR/broker/broker.crt already exists; on failure removes what
//  it created. Returns 0 or -1.
int sw_keys_init (const char *dir, int nodes, char *err, size_t errlen);

//  Creates a cert for NAME with role "node" or "admin": DIR/id/NAME.crt(+_secret)
//  and DIR/allow/<role>s/NAME.crt. Refuses an invalid name, an existing name
//  and a revoked name. Returns 0 or -1.
int sw_keys_add (const char *dir, const char *role, const char *name, char *err, size_t errlen);

//  Revokes NAME: removes DIR/allow/nodes/NAME.crt or DIR/allow/admins/NAME.crt,
//  appends NAME to DIR/allow/revoked.log, renames DIR/id/NAME.crt to
//  NAME.crt.revoked and deletes DIR/id/NAME.crt_secret. May sleep up to ~1 s so
//  that a running zauth is guaranteed to notice. Returns 0 or -1.
int sw_keys_revoke (const char *dir, const char *name, char *err, size_t errlen);

//  Returns true if NAME is a valid certificate name.
bool sw_keys_name_valid (const char *name);

//  Loads a full certificate from PATH_secret (PATH itself if it already ends in
//  "_secret"). Refuses a secret file that grants any group/other permission, is
//  not a regular file (symlinks included), is not owned by the effective uid, or
//  whose secret key does not match its public key. Returns NULL on error.
zcert_t *sw_cert_load_secret (const char *path, char *err, size_t errlen);

//  Loads a public certificate from PATH; refuses a file that holds a secret key.
//  Returns NULL on error.
zcert_t *sw_cert_load_public (const char *path, char *err, size_t errlen);

//  Wipes the secret key bytes held by the cert and destroys it; NULLs *cert_p.
void sw_cert_destroy (zcert_t **cert_p);

//  Loads every *.crt public cert directly in DIR into a zhash keyed by Z85
//  public key whose values are names (metadata "name", else the file name
//  without .crt; zhash_autofree is set). Returns NULL with a message if DIR
//  cannot be read. Invalid certificates, and every certificate whose name
//  or key another one also uses, are left out; err then describes the
//  first problem (it is empty when there was none).
zhash_t *sw_keys_load_dir (const char *dir, char *err, size_t errlen);

//  Reads the revocation log at PATH (DIR/allow/revoked.log) into a zhash
//  keyed by Z85 public key whose values are "ROLE NAME" (ROLE is node or
//  admin for a revocation, rejected for a key refused at enrolment,
//  replaced for a node's old key after a rotation). A missing
//  log is an empty list. Returns NULL with a message if PATH cannot be read;
//  damaged entries are skipped and err describes the first one.
zhash_t *sw_keys_load_revoked (const char *path, char *err, size_t errlen);

//  Approves a node the broker has seen but does not know: writes the public
//  certificate DIR/allow/nodes/NAME.crt (metadata name, role "node",
//  approved) for the Z85 key PUBLIC_TXT. Refuses an invalid name or key, a
//  name already listed or revoked, and a key already listed or in the
//  revocation log. With REPLACE, a node NAME already listed gets the new
//  key instead (a key rotation): its old key goes into the revocation log
//  as "replaced", and the name stays in use. The certificate appears whole
//  or not at all. Returns 0 or -1.
int sw_keys_approve (const char *dir, const char *name, const char *public_txt, bool replace,
                     char *err, size_t errlen);

//  Refuses a node key for good: appends it to the revocation log as
//  "rejected" under the name it gave, so the broker refuses its handshake
//  and sw_keys_approve refuses it. The name itself stays free. Returns 0
//  or -1.
int sw_keys_reject (const char *dir, const char *name, const char *public_txt, char *err,
                    size_t errlen);

//  An allow-list kept current: a directory of public certificates (as
//  sw_keys_load_dir reads it) or the revocation log, re-read only when its
//  modification time changes.
typedef struct _sw_allow_t sw_allow_t;

sw_allow_t *sw_allow_new (const char *dir);
sw_allow_t *sw_allow_new_revoked (const char *log_path);
void sw_allow_destroy (sw_allow_t **self_p);

//  Re-reads the list if it was never read or its modification time
//  changed. Returns 1 when it was (re)read, 0 when unchanged, -1 when it
//  cannot be read (the previous list stays). After a re-read, err describes
//  what was left out (empty when nothing was).
int sw_allow_refresh (sw_allow_t *self, char *err, size_t errlen);

//  The name listed for a Z85 public key, or NULL.
const char *sw_allow_name (sw_allow_t *self, const char *key);

#endif
