/*  libFuzzer harness for the wire decoders: the bounded MessagePack reader,
    every node-channel body decoder and the admin request decoder. A body
    that decodes must also re-encode and decode again. */
#include <stdio.h>

#include "sw_proto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[512];
    sw_cmd_t cmd = (sw_cmd_t)(1 + data[0] % (SW_CMD_COUNT - 1));
    sw_node_msg_t msg;
    if (sw_node_msg_decode_body (cmd, data + 1, size - 1, &msg, err, sizeof err) == 0) {
        char *body;
        size_t len;
        if (sw_node_msg_encode_body (&msg, &body, &len) == 0) {
            sw_node_msg_t again;
            if (sw_node_msg_decode_body (cmd, body, len, &again, err, sizeof err) != 0)
                __builtin_trap (); //  what we encode we must be able to read
            sw_node_msg_clear (&again);
            free (body);
        }
        sw_node_msg_clear (&msg);
    }
    sw_mpdoc_t doc;
    if (sw_mpdoc_decode (data + 1, size - 1, &doc, err, sizeof err) == 0) {
        FILE *null = fopen ("/dev/null", "w");
        if (null) {
            sw_mpv_print_json (null, doc.root, 0);
            fclose (null);
        }
        sw_mpdoc_free (&doc);
    }
    zmsg_t *zmsg = zmsg_new ();
    zmsg_addstr (zmsg, SW_SIG_ADMIN);
    zmsg_addmem (zmsg, data, size > 4 ? 4 : size);
    zmsg_addmem (zmsg, data + 1, size - 1);
    char *command;
    if (sw_admin_msg_decode (zmsg, &command, &doc, err, sizeof err) == 0) {
        free (command);
        sw_mpdoc_free (&doc);
    }
    zmsg_destroy (&zmsg);
    return 0;
}
