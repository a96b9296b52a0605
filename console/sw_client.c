/*  sw_client - Lazy Pirate admin client. See sw_client.h. */
#include "sw_client.h"

#include "sw_keys.h"
#include "sw_proto.h"

struct sw_client_t {
    char *endpoint;
    char *broker_cert_path;
    char *admin_cert_path;
    char broker_pub[41];
    zcert_t *cert;
    int timeout_ms;
    int retries;
    zsock_t *sock; //  kept while it gets replies: one CURVE handshake, not one per call
};

sw_client_t *sw_client_new (const char *endpoint, const char *broker_cert, const char *admin_cert,
                            int timeout_ms, int retries, char *err, size_t errlen)
{
    zcert_t *broker = sw_cert_load_public (broker_cert, err, errlen);
    if (!broker)
        return NULL;
    zcert_t *cert = sw_cert_load_secret (admin_cert, err, errlen);
    if (!cert) {
        zcert_destroy (&broker);
        return NULL;
    }
    sw_client_t *self = calloc (1, sizeof *self);
    self->endpoint = strdup (endpoint);
    self->broker_cert_path = strdup (broker_cert);
    self->admin_cert_path = strdup (admin_cert);
    snprintf (self->broker_pub, sizeof self->broker_pub, "%s", zcert_public_txt (broker));
    zcert_destroy (&broker);
    self->cert = cert;
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    return self;
}

void sw_client_destroy (sw_client_t **self_p)
{
    sw_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->sock);
    sw_cert_destroy (&self->cert);
    free (self->endpoint);
    free (self->broker_cert_path);
    free (self->admin_cert_path);
    free (self);
    *self_p = NULL;
}

static zsock_t *s_socket (sw_client_t *self)
{
    zsock_t *sock = zsock_new (ZMQ_REQ);
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, self->broker_pub);
    zsock_set_linger (sock, 0);
    zsock_set_sndtimeo (sock, self->timeout_ms);
    if (zsock_connect (sock, "%s", self->endpoint) < 0) {
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

int sw_client_call (sw_client_t *self, const char *command, const msgpack_sbuffer *body,
                    sw_mpdoc_t *doc, bool *ok, char *err, size_t errlen)
{
    for (int attempt = 1; attempt <= self->retries; attempt++) {
        zsock_t *sock = self->sock ? self->sock : s_socket (self);
        self->sock = NULL;
        if (!sock) {
            snprintf (err, errlen, "cannot connect to '%s': %s", self->endpoint,
                      zmq_strerror (zmq_errno ()));
            return -1;
        }
        zmsg_t *request = sw_admin_msg_new (command, body);
        zmsg_send (&request, sock);
        zpoller_t *poller = zpoller_new (sock, NULL);
        void *ready = zpoller_wait (poller, self->timeout_ms);
        zpoller_destroy (&poller);
        if (ready) {
            zmsg_t *reply = zmsg_recv (sock);
            //  A REQ socket that got its reply is ready for the next call
            if (reply)
                self->sock = sock;
            else
                zsock_destroy (&sock);
            char *status = NULL;
            char why[300];
            int rc = reply ? sw_admin_msg_decode (reply, &status, doc, why, sizeof why) : -1;
            zmsg_destroy (&reply);
            if (rc) {
                snprintf (err, errlen, "malformed reply from the broker: %s",
                          reply ? why : "receive failed");
                return -1;
            }
            *ok = strcmp (status, "OK") == 0;
            free (status);
            return 0;
        }
        zsock_destroy (&sock);
        if (zsys_interrupted)
            break;
    }
    snprintf (err, errlen,
              "no reply from the broker at %s after %d attempts of %d ms.\n"
              "  Check that sweep-broker is running and listening there (it writes its "
              "endpoints to <state>/endpoints),\n"
              "  that %s is the broker's public certificate,\n"
              "  and that this admin key (%s) is in the broker's allow/admins directory:\n"
              "  CURVE drops connections from unknown keys without a reply.",
              self->endpoint, self->retries, self->timeout_ms, self->broker_cert_path,
              self->admin_cert_path);
    return -1;
}
