/*  sw_client - the admin console's connection to the broker: CURVE REQ
    with the Lazy Pirate pattern (wait up to a timeout, then drop the
    socket, open a new one and retry; a REQ socket cannot be reused after
    a lost reply). A socket that got its reply serves the next call, so
    a command of several requests pays for one CURVE handshake. */
#ifndef SW_CLIENT_H
#define SW_CLIENT_H

#include <czmq.h>
#include <msgpack.h>

#include "sw_mpv.h"

typedef struct sw_client_t sw_client_t;

//  Loads the admin certificate and the broker's public certificate.
//  Returns NULL with a message in err.
sw_client_t *sw_client_new (const char *endpoint, const char *broker_cert, const char *admin_cert,
                            int timeout_ms, int retries, char *err, size_t errlen);
void sw_client_destroy (sw_client_t **self_p);

//  Sends command with a packed body and waits for the reply. On success
//  returns 0 and the reply body in doc; *ok is false when the broker
//  answered ERROR (doc then holds code and message). Returns -1 when the
//  broker did not answer after every retry (err explains what to check).
int sw_client_call (sw_client_t *self, const char *command, const msgpack_sbuffer *body,
                    sw_mpdoc_t *doc, bool *ok, char *err, size_t errlen);

#endif
