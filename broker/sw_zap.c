/*  sw_zap - the broker's ZAP handler. */
#include "sw_zap.h"

#include "sw_keys.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct _sw_zap_lists_t {
    sw_allow_t *nodes, *admins, *revoked;
};

sw_zap_lists_t *sw_zap_lists_new (const char *keys_dir)
{
    sw_zap_lists_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    char path[1100];
    snprintf (path, sizeof path, "%s/allow/nodes", keys_dir);
    self->nodes = sw_allow_new (path);
    snprintf (path, sizeof path, "%s/allow/admins", keys_dir);
    self->admins = sw_allow_new (path);
    snprintf (path, sizeof path, "%s/allow/revoked.log", keys_dir);
    self->revoked = sw_allow_new_revoked (path);
    if (!self->nodes || !self->admins || !self->revoked)
        sw_zap_lists_destroy (&self);
    return self;
}

void sw_zap_lists_destroy (sw_zap_lists_t **self_p)
{
    if (self_p && *self_p) {
        sw_allow_destroy (&(*self_p)->nodes);
        sw_allow_destroy (&(*self_p)->admins);
        sw_allow_destroy (&(*self_p)->revoked);
        free (*self_p);
        *self_p = NULL;
    }
}

//  The broker logs what is wrong with the lists; here a list that cannot
//  be read keeps its previous contents, and one never read admits nobody.
static void s_refresh (sw_zap_lists_t *self)
{
    char err[256];
    sw_allow_refresh (self->nodes, err, sizeof err);
    sw_allow_refresh (self->admins, err, sizeof err);
    sw_allow_refresh (self->revoked, err, sizeof err);
}

int sw_zap_decide (sw_zap_lists_t *lists, bool enroll, const char *domain, const char *mechanism,
                   const char *key, const char **why)
{
    s_refresh (lists);
    *why = "OK";
    if (!mechanism || strcmp (mechanism, "CURVE") != 0 || !key) {
        *why = "only CURVE is accepted";
        return 400;
    }
    bool admin = domain && strcmp (domain, SW_ZAP_DOMAIN_ADMIN) == 0;
    bool nodes = domain && strcmp (domain, SW_ZAP_DOMAIN_NODES) == 0;
    if (admin || nodes) {
        if (sw_allow_name (lists->revoked, key)) {
            *why = "key revoked";
            return 400;
        }
        //  A known key of the other role gets in, to be told in words that
        //  it has the wrong endpoint (PROTOCOL.md 2.3)
        if (sw_allow_name (lists->admins, key) || sw_allow_name (lists->nodes, key))
            return 200;
        if (nodes && enroll)
            return 200;
        *why = "unknown key";
        return 400;
    }
    *why = "unknown domain";
    return 400;
}

typedef struct {
    char keys_dir[1024];
    bool enroll;
    int *bound; //  the creator's; written once, before the first signal
} zap_state_t;

//  Handles one request (RFC 27): version, request id, domain, address,
//  identity, mechanism, credentials. A malformed one is answered if it has
//  a request id to answer to, and otherwise dropped.
static void s_handle (zsock_t *handler, sw_zap_lists_t *lists, bool enroll)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credential = zmsg_pop (request);
    char key[41] = "";
    if (credential && zframe_size (credential) == 32)
        zmq_z85_encode (key, zframe_data (credential), 32);
    const char *why = "malformed request";
    int status = 400;
    if (version && strcmp (version, "1.0") == 0 && sequence && mechanism)
        status = sw_zap_decide (lists, enroll, domain, mechanism, *key ? key : NULL, &why);
    if (sequence) {
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, "1.0");
        zmsg_addstr (reply, sequence);
        zmsg_addstr (reply, status == 200 ? "200" : "400");
        zmsg_addstr (reply, why);
        zmsg_addstr (reply, status == 200 ? key : ""); //  User-Id: the key
        zmsg_addmem (reply, NULL, 0);                  //  no metadata
        zmsg_send (&reply, handler);
    }
    zframe_destroy (&credential);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zmsg_destroy (&request);
}

static void s_actor (zsock_t *pipe, void *arg)
{
    zap_state_t *state = arg;
    zsock_t *handler = zsock_new (ZMQ_REP);
    sw_zap_lists_t *lists = sw_zap_lists_new (state->keys_dir);
    *state->bound = handler && lists && zsock_bind (handler, ZAP_ENDPOINT) == 0;
    if (!*state->bound)
        zsys_error ("ZAP handler: cannot bind %s", ZAP_ENDPOINT);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == handler && handler)
            s_handle (handler, lists, state->enroll);
        else {
            //  $TERM from the pipe, or interrupted: either way, stop
            char *command = which ? zstr_recv (pipe) : NULL;
            bool term = !which || !command || strcmp (command, "$TERM") == 0;
            zstr_free (&command);
            if (term)
                break;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
    sw_zap_lists_destroy (&lists);
    free (state);
}

zactor_t *sw_zap_new (const sw_zap_args_t *args)
{
    zap_state_t *state = calloc (1, sizeof *state);
    if (!state)
        return NULL;
    snprintf (state->keys_dir, sizeof state->keys_dir, "%s", args->keys_dir);
    state->enroll = args->enroll;
    int bound = 0;
    state->bound = &bound;
    //  zactor_new returns once the actor has signalled, so bound is set
    zactor_t *actor = zactor_new (s_actor, state);
    if (actor && !bound)
        zactor_destroy (&actor);
    return actor;
}
