/*  sw-rawclient - a hostile node for the functional tests.

    Connects to the broker's node endpoint with a valid node certificate
    and sends malformed messages: truncated MessagePack, a huge declared
    array, wrong field types, an unknown command, a wrong frame count, a
    bad signature, deep nesting and an oversized message. The broker must
    log and drop each one and keep serving. Prints how many it sent. */
#include <czmq.h>
#include <sodium.h>

#include "sw_keys.h"
#include "sw_proto.h"

static void s_send3 (zsock_t *sock, const char *sig, const char *cmd, const void *body, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, sig);
    zmsg_addstr (msg, cmd);
    zmsg_addmem (msg, body, size);
    zmsg_send (&msg, sock);
}

int main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: sw-rawclient ENDPOINT BROKER_CERT NODE_CERT\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 1;
    char err[512];
    zcert_t *broker = sw_cert_load_public (argv[2], err, sizeof err);
    zcert_t *cert = sw_cert_load_secret (argv[3], err, sizeof err);
    if (!broker || !cert) {
        fprintf (stderr, "sw-rawclient: %s\n", err);
        return 1;
    }
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, zcert_public_txt (broker));
    zsock_set_linger (sock, 2000);
    zsock_connect (sock, "%s", argv[1]);
    int sent = 0;

    //  1. truncated MessagePack: a map of 3 pairs with one pair present
    const unsigned char truncated[] = {0x83, 0xa4, 'n', 'a', 'm', 'e', 0xa1};
    s_send3 (sock, SW_SIG_NODE, "READY", truncated, sizeof truncated), sent++;
    //  2. huge declared array (2^32-1 elements) in 5 bytes
    const unsigned char huge[] = {0x81, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff};
    s_send3 (sock, SW_SIG_NODE, "HEARTBEAT", huge, sizeof huge), sent++;
    //  3. wrong types: credit as a string, on a session that sent no READY
    const unsigned char wrong[] = {0x81, 0xa6, 'c', 'r', 'e', 'd', 'i', 't', 0xa3, 'l', 'o', 't'};
    s_send3 (sock, SW_SIG_NODE, "CREDIT", wrong, sizeof wrong), sent++;
    //  4. unknown command
    const unsigned char empty_map[] = {0x80};
    s_send3 (sock, SW_SIG_NODE, "EXPLODE", empty_map, sizeof empty_map), sent++;
    //  5. wrong frame count
    zstr_send (sock, SW_SIG_NODE), sent++;
    //  6. bad signature
    s_send3 (sock, "HTTP", "READY", empty_map, sizeof empty_map), sent++;
    //  7. nesting 100 deep
    unsigned char deep[101];
    for (int i = 0; i < 100; i++)
        deep[i] = 0x91; //  array of 1
    deep[100] = 0xc0;
    s_send3 (sock, SW_SIG_NODE, "HEARTBEAT", deep, sizeof deep), sent++;
    //  8. a READY whose scanners list holds a non-string
    const unsigned char bad_ready[] = {
        0x85, 0xa7, 'v',  'e',  'r', 's', 'i', 'o', 'n', 0x01, 0xa4, 'n',  'a',  'm', 'e', 0xa1,
        'x',  0xa8, 'c',  'a',  'p', 'a', 'c', 'i', 't', 'y',  0x01, 0xa6, 'c',  'r', 'e', 'd',
        'i',  't',  0x01, 0xa8, 's', 'c', 'a', 'n', 'n', 'e',  'r',  's',  0x91, 0x07};
    s_send3 (sock, SW_SIG_NODE, "READY", bad_ready, sizeof bad_ready), sent++;
    //  9. FINDINGS with a finding whose fingerprint is not hex
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 2);
    sw_pack_kv_uint (&p.pk, "seq", 1);
    sw_pack_str (&p.pk, "findings");
    msgpack_pack_array (&p.pk, 1);
    msgpack_pack_map (&p.pk, 1);
    sw_pack_kv_str (&p.pk, "fp", "not-hex-at-all");
    s_send3 (sock, SW_SIG_NODE, "FINDINGS", p.sbuf.data, p.sbuf.size), sent++;
    sw_packer_destroy (&p);
    //  10. over the socket's maximum message size: the broker's libzmq
    //  drops the connection; it must not take the broker down.
    size_t big = SW_NODE_MAX_MSG + 1024;
    char *blob = calloc (1, big);
    s_send3 (sock, SW_SIG_NODE, "FINDINGS", blob, big), sent++;
    free (blob);

    zsock_destroy (&sock); //  linger flushes what is queued
    zcert_destroy (&broker);
    sw_cert_destroy (&cert);
    printf ("sent %d malformed messages\n", sent);
    return 0;
}
