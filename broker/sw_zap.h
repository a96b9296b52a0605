/*  sw_zap - the broker's ZAP handler (ZeroMQ RFC 27) for CURVE.

    It replaces zauth so that each endpoint admits only its own keys and so
    that a node can ask to be enrolled. The broker's sockets set their ZAP
    domain ("admin" or "nodes"). A key in the revocation log is refused on
    both. A key in DIR/allow/admins or DIR/allow/nodes is admitted on both
    (the broker checks the role of every message and answers a key at the
    wrong endpoint in words). An unknown key is refused, except on "nodes"
    while enrolment is open: the broker then holds it as pending, and it
    gets no work until an operator approves it. Any mechanism but CURVE is
    refused. The lists are re-read when they change on disk.

    The handler is a CZMQ actor; it must be started before the broker
    binds anything, and destroyed after its sockets. */
#ifndef SW_ZAP_H
#define SW_ZAP_H

#include <czmq.h>

#define SW_ZAP_DOMAIN_ADMIN "admin"
#define SW_ZAP_DOMAIN_NODES "nodes"

typedef struct {
    const char *keys_dir; //  the broker's key directory
    bool enroll;          //  admit unknown, unrevoked keys on "nodes"
} sw_zap_args_t;

//  Starts the handler. ARGS is read before this returns. Returns NULL if
//  the ZAP endpoint cannot be bound (another handler in this process).
zactor_t *sw_zap_new (const sw_zap_args_t *args);

//  The decision for one request, exposed for tests: 200 (admit) or 400.
//  Looks the key up in the lists the handler holds.
typedef struct _sw_zap_lists_t sw_zap_lists_t;
sw_zap_lists_t *sw_zap_lists_new (const char *keys_dir);
void sw_zap_lists_destroy (sw_zap_lists_t **self_p);
int sw_zap_decide (sw_zap_lists_t *lists, bool enroll, const char *domain, const char *mechanism,
                   const char *key, const char **why);

#endif
