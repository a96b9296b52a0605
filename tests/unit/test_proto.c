/*  Codec: every node-channel message round-trips, every malformed case is
    rejected with a message, and the MessagePack reader enforces its
    bounds. */
#include <criterion/criterion.h>

#include "sw_proto.h"

static zmsg_t *s_frames (const char *sig, const char *cmd, const void *body, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, sig);
    zmsg_addstr (msg, cmd);
    zmsg_addmem (msg, body, size);
    return msg;
}

static void s_roundtrip (const sw_node_msg_t *in, sw_node_msg_t *out)
{
    zmsg_t *z = sw_node_msg_encode (in);
    cr_assert_not_null (z);
    char err[256] = "";
    int rc = sw_node_msg_decode (z, out, err, sizeof err);
    cr_assert_eq (rc, 0, "decode failed: %s", err);
    cr_assert_eq (out->cmd, in->cmd);
    zmsg_destroy (&z);
}

static int s_reject (zmsg_t *z, char *err, size_t errlen)
{
    sw_node_msg_t out;
    int rc = sw_node_msg_decode (z, &out, err, errlen);
    zmsg_destroy (&z);
    return rc;
}

Test (proto, ready_roundtrips_scanners_and_labels)
{
    char *scanners[] = {"tcp", "posture"};
    char *keys[] = {"zone"}, *values[] = {"eu-1"};
    sw_node_msg_t in = {.cmd = SW_CMD_READY,
                        .version = 1,
                        .name = "node7",
                        .scanners = scanners,
                        .nscanners = 2,
                        .capacity = 8,
                        .credit = 6,
                        .label_keys = keys,
                        .label_values = values,
                        .nlabels = 1};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.name, "node7");
    cr_assert_eq (out.version, 1);
    cr_assert_eq (out.capacity, 8);
    cr_assert_eq (out.credit, 6);
    cr_assert_eq (out.nscanners, 2);
    cr_assert_str_eq (out.scanners[1], "posture");
    cr_assert_eq (out.nlabels, 1);
    cr_assert_str_eq (out.label_keys[0], "zone");
    cr_assert_str_eq (out.label_values[0], "eu-1");
    sw_node_msg_clear (&out);
}

Test (proto, shard_roundtrips_lease_and_work)
{
    sw_node_msg_t in = {.cmd = SW_CMD_SHARD,
                        .job = "job-000001",
                        .shard = 1ull << 40,
                        .attempt = 2,
                        .lease_ms = 10000,
                        .scanner = "tcp",
                        .target = "127.0.0.2",
                        .ports = "1-1024,5432",
                        .timeout_ms = 500};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.job, "job-000001");
    cr_assert_eq (out.shard, 1ull << 40);
    cr_assert_eq (out.attempt, 2);
    cr_assert_eq (out.lease_ms, 10000);
    cr_assert_str_eq (out.target, "127.0.0.2");
    cr_assert_str_eq (out.ports, "1-1024,5432");
    cr_assert_eq (out.timeout_ms, 500);
    sw_node_msg_clear (&out);
}

Test (proto, heartbeat_roundtrips_leases)
{
    sw_lease_ref_t leases[] = {{"job-000001", 3}, {"job-000002", 99}};
    sw_node_msg_t in = {.cmd = SW_CMD_HEARTBEAT, .leases = leases, .nleases = 2};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_eq (out.nleases, 2);
    cr_assert_str_eq (out.leases[1].job, "job-000002");
    cr_assert_eq (out.leases[1].shard, 99);
    sw_node_msg_clear (&out);
}

static sw_finding_t s_finding (const char *resource, const char *location)
{
    sw_finding_t f = {.job = "job-000001",
                      .shard = 4,
                      .scanner = "tcp",
                      .rule = "tcp.exposed.cache",
                      .severity = SW_SEV_HIGH,
                      .resource = (char *)resource,
                      .location = (char *)location,
                      .title = "t",
                      .evidence = "e",
                      .remediation = "r",
                      .first_seen = 1700000000000};
    sw_finding_fingerprint (&f);
    return f;
}

Test (proto, findings_roundtrip_every_field)
{
    sw_finding_t fs[2] = {s_finding ("127.0.0.2", "tcp/6379"), s_finding ("127.0.0.3", "tcp/22")};
    sw_node_msg_t in = {.cmd = SW_CMD_FINDINGS, .seq = 17, .findings = fs, .nfindings = 2};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_eq (out.seq, 17);
    cr_assert_eq (out.nfindings, 2);
    sw_finding_t *f = &out.findings[0];
    cr_assert_str_eq (f->fingerprint, fs[0].fingerprint);
    cr_assert_str_eq (f->job, "job-000001");
    cr_assert_eq (f->shard, 4);
    cr_assert_str_eq (f->rule, "tcp.exposed.cache");
    cr_assert_eq (f->severity, SW_SEV_HIGH);
    cr_assert_str_eq (f->resource, "127.0.0.2");
    cr_assert_str_eq (f->location, "tcp/6379");
    cr_assert_eq (f->first_seen, 1700000000000);
    cr_assert_str_eq (out.findings[1].location, "tcp/22");
    sw_node_msg_clear (&out);
}

Test (proto, done_failed_ack_disconnect_roundtrip)
{
    sw_node_msg_t out;
    sw_node_msg_t done = {.cmd = SW_CMD_DONE,
                          .seq = 5,
                          .job = "j",
                          .shard = 7,
                          .attempt = 1,
                          .credit = 1,
                          .open = 3,
                          .closed = 250,
                          .filtered = 3};
    s_roundtrip (&done, &out);
    cr_assert (out.seq == 5 && out.shard == 7 && out.open == 3 && out.closed == 250 &&
               out.filtered == 3 && out.credit == 1);
    sw_node_msg_clear (&out);
    sw_node_msg_t failed = {.cmd = SW_CMD_FAILED,
                            .seq = 6,
                            .job = "j",
                            .shard = 8,
                            .attempt = 3,
                            .reason = "out of sockets"};
    s_roundtrip (&failed, &out);
    cr_assert_str_eq (out.reason, "out of sockets");
    sw_node_msg_clear (&out);
    sw_node_msg_t ack = {.cmd = SW_CMD_ACK, .seq = 1ull << 50};
    s_roundtrip (&ack, &out);
    cr_assert_eq (out.seq, 1ull << 50);
    sw_node_msg_clear (&out);
    sw_node_msg_t bye = {.cmd = SW_CMD_DISCONNECT, .reason = "drained"};
    s_roundtrip (&bye, &out);
    cr_assert_str_eq (out.reason, "drained");
    sw_node_msg_clear (&out);
    sw_node_msg_t credit = {.cmd = SW_CMD_CREDIT, .credit = 4, .draining = true};
    s_roundtrip (&credit, &out);
    cr_assert (out.credit == 4 && out.draining);
    sw_node_msg_clear (&out);
}

Test (proto, encoder_refuses_fields_over_limits)
{
    char *big = malloc (SW_MAX_TEXT + 2);
    memset (big, 'a', SW_MAX_TEXT + 1);
    big[SW_MAX_TEXT + 1] = 0;
    sw_node_msg_t msg = {.cmd = SW_CMD_DISCONNECT, .reason = big};
    cr_assert_null (sw_node_msg_encode (&msg));
    free (big);
    sw_node_msg_t many = {.cmd = SW_CMD_FINDINGS, .nfindings = SW_FINDINGS_BATCH + 1};
    cr_assert_null (sw_node_msg_encode (&many));
}

Test (proto, truncated_body_is_rejected)
{
    const unsigned char body[] = {0x83, 0xa4, 'n', 'a', 'm', 'e', 0xa1};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "READY", body, sizeof body), err, sizeof err),
                  -1);
    cr_assert (strstr (err, "truncated") || strstr (err, "declares"), "%s", err);
}

Test (proto, huge_declared_array_is_rejected_before_allocation)
{
    const unsigned char body[] = {0x81, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff};
    char err[256];
    cr_assert_eq (
        s_reject (s_frames (SW_SIG_NODE, "HEARTBEAT", body, sizeof body), err, sizeof err), -1);
    cr_assert (strstr (err, "declares 4294967295 items"), "%s", err);
}

Test (proto, huge_declared_map_is_rejected)
{
    const unsigned char body[] = {0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "ACK", body, sizeof body), err, sizeof err), -1);
    cr_assert (strstr (err, "declares"), "%s", err);
}

Test (proto, wrong_field_type_is_rejected)
{
    const unsigned char body[] = {0x81, 0xa6, 'c', 'r', 'e', 'd', 'i', 't', 0xa3, 'l', 'o', 't'};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "CREDIT", body, sizeof body), err, sizeof err),
                  -1);
    cr_assert (strstr (err, "'credit'") && strstr (err, "wrong type"), "%s", err);
}

Test (proto, missing_required_field_is_named)
{
    const unsigned char body[] = {0x80};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "ACK", body, sizeof body), err, sizeof err), -1);
    cr_assert (strstr (err, "'seq' is missing"), "%s", err);
}

Test (proto, unknown_command_is_rejected)
{
    const unsigned char body[] = {0x80};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "EXPLODE", body, 1), err, sizeof err), -1);
    cr_assert (strstr (err, "unknown command"), "%s", err);
}

Test (proto, wrong_signature_and_frame_count_are_rejected)
{
    const unsigned char body[] = {0x80};
    char err[256];
    cr_assert_eq (s_reject (s_frames ("SWN2", "ACK", body, 1), err, sizeof err), -1);
    cr_assert (strstr (err, "signature"), "%s", err);
    zmsg_t *two = zmsg_new ();
    zmsg_addstr (two, SW_SIG_NODE);
    zmsg_addstr (two, "ACK");
    cr_assert_eq (s_reject (two, err, sizeof err), -1);
    cr_assert (strstr (err, "expected 3 frames"), "%s", err);
}

Test (proto, body_that_is_not_a_map_is_rejected)
{
    const unsigned char body[] = {0x93, 1, 2, 3};
    char err[256];
    cr_assert_eq (s_reject (s_frames (SW_SIG_NODE, "ACK", body, sizeof body), err, sizeof err), -1);
    cr_assert (strstr (err, "not a map"), "%s", err);
}

Test (proto, finding_with_forged_fingerprint_is_rejected)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 2);
    sw_pack_kv_uint (&p.pk, "seq", 1);
    sw_pack_str (&p.pk, "findings");
    msgpack_pack_array (&p.pk, 1);
    msgpack_pack_map (&p.pk, 1);
    sw_pack_kv_str (&p.pk, "fp", "../../etc/passwd");
    char err[256];
    int rc =
        s_reject (s_frames (SW_SIG_NODE, "FINDINGS", p.sbuf.data, p.sbuf.size), err, sizeof err);
    sw_packer_destroy (&p);
    cr_assert_eq (rc, -1);
    cr_assert (strstr (err, "'fp'"), "%s", err);
}

Test (mpv, nesting_beyond_the_limit_is_rejected)
{
    unsigned char deep[SW_MPV_MAX_DEPTH + 2];
    memset (deep, 0x91, sizeof deep - 1);
    deep[sizeof deep - 1] = 0xc0;
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_mpdoc_decode (deep, sizeof deep, &doc, err, sizeof err), -1);
    cr_assert (strstr (err, "nesting"), "%s", err);
    //  one level less is fine
    cr_assert_eq (sw_mpdoc_decode (deep + 2, sizeof deep - 2, &doc, err, sizeof err), 0, "%s", err);
    sw_mpdoc_free (&doc);
}

Test (mpv, trailing_bytes_and_ext_types_are_rejected)
{
    const unsigned char trailing[] = {0x80, 0x00};
    const unsigned char ext[] = {0xd4, 0x01, 0x02};
    const unsigned char never[] = {0xc1};
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_mpdoc_decode (trailing, sizeof trailing, &doc, err, sizeof err), -1);
    cr_assert (strstr (err, "trailing"), "%s", err);
    cr_assert_eq (sw_mpdoc_decode (ext, sizeof ext, &doc, err, sizeof err), -1);
    cr_assert_eq (sw_mpdoc_decode (never, sizeof never, &doc, err, sizeof err), -1);
    cr_assert_eq (sw_mpdoc_decode (NULL, 0, &doc, err, sizeof err), -1);
}

Test (mpv, decodes_every_scalar_type)
{
    const unsigned char body[] = {0x99, 0xc0, 0xc3, 0xff, 0xd0, 0x80, 0xcf, 0x80, 0,    0,
                                  0,    0,    0,    0,    0,    0xcb, 0x3f, 0xf8, 0,    0,
                                  0,    0,    0,    0,    0xc4, 0x02, 0x00, 0x01, 0xa2, 'h',
                                  'i',  0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_mpdoc_decode (body, sizeof body, &doc, err, sizeof err), 0, "%s", err);
    const sw_mpv_t *a = doc.root->v.items;
    cr_assert_eq (doc.root->len, 9);
    cr_assert_eq (a[0].type, SW_MPV_NIL);
    cr_assert (a[1].type == SW_MPV_BOOL && a[1].v.b);
    cr_assert (a[2].type == SW_MPV_INT && a[2].v.i == -1);
    cr_assert (a[3].type == SW_MPV_INT && a[3].v.i == -128);
    cr_assert (a[4].type == SW_MPV_UINT && a[4].v.u == 1ull << 63);
    cr_assert (a[5].type == SW_MPV_FLOAT && a[5].v.f == 1.5);
    cr_assert (a[6].type == SW_MPV_BIN && a[6].len == 2 && a[6].v.s[1] == 1);
    cr_assert_str_eq (sw_mpv_str (&a[7]), "hi");
    cr_assert (a[8].type == SW_MPV_INT && a[8].v.i == -2);
    sw_mpdoc_free (&doc);
}

Test (mpv, string_with_embedded_nul_is_not_text)
{
    const unsigned char body[] = {0xa3, 'a', 0, 'b'};
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_mpdoc_decode (body, sizeof body, &doc, err, sizeof err), 0);
    cr_assert_null (sw_mpv_str (doc.root));
    sw_mpdoc_free (&doc);
}

Test (fingerprint, depends_on_what_was_found_not_when_or_where_from)
{
    sw_finding_t a = s_finding ("127.0.0.2", "tcp/22");
    sw_finding_t b = a;
    b.job = "job-000009";
    b.shard = 77;
    b.first_seen = 1;
    b.title = "other words";
    sw_finding_fingerprint (&b);
    cr_assert_str_eq (a.fingerprint, b.fingerprint);
    cr_assert_eq (strlen (a.fingerprint), SW_FP_HEX_LEN);
    sw_finding_t c = s_finding ("127.0.0.2", "tcp/23");
    cr_assert_str_neq (a.fingerprint, c.fingerprint);
}

Test (fingerprint, field_boundaries_matter)
{
    sw_finding_t a = s_finding ("127.0.0.2", "tcp/22");
    sw_finding_t b = a;
    a.resource = "ab";
    a.location = "c";
    b.resource = "a";
    b.location = "bc";
    sw_finding_fingerprint (&a);
    sw_finding_fingerprint (&b);
    cr_assert_str_neq (a.fingerprint, b.fingerprint);
}

Test (admin, decodes_request_and_rejects_bad_command_frames)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 1);
    sw_pack_kv_str (&p.pk, "id", "job-000001");
    zmsg_t *z = sw_admin_msg_new ("JOB", &p.sbuf);
    char *cmd;
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_admin_msg_decode (z, &cmd, &doc, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq (cmd, "JOB");
    cr_assert_str_eq (sw_mpv_str (sw_mpv_get (doc.root, "id")), "job-000001");
    free (cmd);
    sw_mpdoc_free (&doc);
    zmsg_destroy (&z);
    z = sw_admin_msg_new ("job;rm", &p.sbuf);
    cr_assert_eq (sw_admin_msg_decode (z, &cmd, &doc, err, sizeof err), -1);
    cr_assert (strstr (err, "upper-case"), "%s", err);
    zmsg_destroy (&z);
    sw_packer_destroy (&p);
}

Test (mpv, text_must_be_well_formed_utf8)
{
    const unsigned char good[] = {0xa5, 'c', 0xc3, 0xa9, 'f', 'e'}; //  "cafe" with e-acute
    const unsigned char bad[] = {0xa3, 'a', 0xff, 'b'};             //  0xff is never UTF-8
    const unsigned char overlong[] = {0xa3, 0xe0, 0x80, 0xaf};      //  overlong '/'
    const unsigned char surrogate[] = {0xa3, 0xed, 0xa0, 0x80};     //  U+D800
    const unsigned char cut[] = {0xa2, 'a', 0xe2};                  //  truncated sequence
    const unsigned char *cases[] = {bad, overlong, surrogate, cut};
    const size_t sizes[] = {sizeof bad, sizeof overlong, sizeof surrogate, sizeof cut};
    sw_mpdoc_t doc;
    char err[256];
    cr_assert_eq (sw_mpdoc_decode (good, sizeof good, &doc, err, sizeof err), 0);
    cr_assert_not_null (sw_mpv_str (doc.root));
    sw_mpdoc_free (&doc);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq (sw_mpdoc_decode (cases[i], sizes[i], &doc, err, sizeof err), 0);
        cr_assert_null (sw_mpv_str (doc.root), "case %zu accepted as text", i);
        sw_mpdoc_free (&doc);
    }
}

Test (proto, finding_text_over_its_limit_is_refused_both_ways)
{
    char *big = malloc (SW_MAX_FINDING_TEXT + 2);
    memset (big, 'a', SW_MAX_FINDING_TEXT + 1);
    big[SW_MAX_FINDING_TEXT + 1] = 0;
    sw_finding_t f = s_finding ("127.0.0.2", "tcp/22");
    f.title = big;
    sw_node_msg_t msg = {.cmd = SW_CMD_FINDINGS, .seq = 1, .findings = &f, .nfindings = 1};
    cr_assert_null (sw_node_msg_encode (&msg), "the encoder let an oversized title through");
    //  Hand-built: the decoder refuses it too.
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 2);
    sw_pack_kv_uint (&p.pk, "seq", 1);
    sw_pack_str (&p.pk, "findings");
    msgpack_pack_array (&p.pk, 1);
    f.title = big;
    sw_finding_pack (&p.pk, &f);
    char err[256];
    cr_assert_eq (
        s_reject (s_frames (SW_SIG_NODE, "FINDINGS", p.sbuf.data, p.sbuf.size), err, sizeof err),
        -1);
    cr_assert (strstr (err, "'title'"), "%s", err);
    sw_packer_destroy (&p);
    free (big);
}

Test (proto, encoder_refuses_oversized_labels)
{
    char *big = malloc (SW_MAX_TEXT + 2);
    memset (big, 'v', SW_MAX_TEXT + 1);
    big[SW_MAX_TEXT + 1] = 0;
    char *keys[] = {"zone"}, *values[] = {big};
    char *scanners[] = {"tcp"};
    sw_node_msg_t msg = {.cmd = SW_CMD_READY,
                         .version = 1,
                         .name = "n",
                         .scanners = scanners,
                         .nscanners = 1,
                         .capacity = 1,
                         .credit = 1,
                         .label_keys = keys,
                         .label_values = values,
                         .nlabels = 1};
    cr_assert_null (sw_node_msg_encode (&msg));
    free (big);
}

Test (text, sanitize_replaces_controls_and_cuts_at_a_character_boundary)
{
    char s[] = "a\x1b[2Jb\nc";
    sw_text_sanitize (s, 100);
    cr_assert_str_eq (s, "a?[2Jb?c");
    char c1[] = "x\xc2\x9b"
                "2Jy"; //  CSI as a C1 control
    sw_text_sanitize (c1, 100);
    cr_assert_str_eq (c1, "x??2Jy");
    char u[] = "ab\xc3\xa9z"; //  "ab" e-acute "z"
    sw_text_sanitize (u, 3);  //  would split the two-byte character
    cr_assert_str_eq (u, "ab");
}

// -------------------------------------------------------------------------
//  Posture on the node channel: FETCH, BLOB, and SHARD with files

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

Test (proto, fetch_roundtrips_hash_and_offset)
{
    sw_node_msg_t in = {.cmd = SW_CMD_FETCH, .hash = HASH_A, .offset = 3ull * SW_BLOB_CHUNK};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.hash, HASH_A);
    cr_assert_eq (out.offset, 3ull * SW_BLOB_CHUNK);
    cr_assert_null (out.data);
    cr_assert_null (out.reason);
    sw_node_msg_clear (&out);
}

Test (proto, blob_roundtrips_a_full_chunk)
{
    uint8_t *data = malloc (SW_BLOB_CHUNK);
    for (size_t i = 0; i < SW_BLOB_CHUNK; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    sw_node_msg_t in = {.cmd = SW_CMD_BLOB,
                        .hash = HASH_B,
                        .offset = SW_BLOB_CHUNK,
                        .size = 5ull * SW_BLOB_CHUNK + 1,
                        .data = data,
                        .ndata = SW_BLOB_CHUNK};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.hash, HASH_B);
    cr_assert_eq (out.offset, SW_BLOB_CHUNK);
    cr_assert_eq (out.size, 5ull * SW_BLOB_CHUNK + 1);
    cr_assert_eq (out.ndata, SW_BLOB_CHUNK);
    cr_assert_eq (memcmp (out.data, data, SW_BLOB_CHUNK), 0);
    cr_assert_null (out.reason, "a BLOB without a reason decoded with one");
    sw_node_msg_clear (&out);
    free (data);
}

Test (proto, blob_roundtrips_a_reason_and_no_data)
{
    sw_node_msg_t in = {.cmd = SW_CMD_BLOB, .hash = HASH_A, .reason = "no such blob"};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.hash, HASH_A);
    cr_assert_eq (out.offset, 0);
    cr_assert_eq (out.size, 0);
    cr_assert_eq (out.ndata, 0);
    cr_assert_str_eq (out.reason, "no such blob");
    sw_node_msg_clear (&out);
}

Test (proto, shard_roundtrips_posture_fields)
{
    sw_blobref_t files[] = {
        {"acct/sts-get-caller-identity.json", HASH_A, 120},
        {"acct/us-east-1/ec2-describe-instances.json", HASH_B, SW_BLOB_MAX_SIZE},
    };
    sw_node_msg_t in = {.cmd = SW_CMD_SHARD,
                        .job = "job-000002",
                        .shard = 3,
                        .attempt = 1,
                        .lease_ms = 60000,
                        .scanner = "posture",
                        .target = "aws:acct/us-east-1",
                        .kind = "aws",
                        .files = files,
                        .nfiles = 2,
                        .bundle = HASH_B,
                        .bundle_version = "20260101000000-0123456789ab"};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_str_eq (out.scanner, "posture");
    cr_assert_str_eq (out.target, "aws:acct/us-east-1");
    cr_assert_str_eq (out.kind, "aws");
    cr_assert_eq (out.nfiles, 2);
    cr_assert_str_eq (out.files[0].name, "acct/sts-get-caller-identity.json");
    cr_assert_str_eq (out.files[0].hash, HASH_A);
    cr_assert_eq (out.files[0].size, 120);
    cr_assert_str_eq (out.files[1].name, "acct/us-east-1/ec2-describe-instances.json");
    cr_assert_str_eq (out.files[1].hash, HASH_B);
    cr_assert_eq (out.files[1].size, SW_BLOB_MAX_SIZE);
    cr_assert_str_eq (out.bundle, HASH_B);
    cr_assert_str_eq (out.bundle_version, "20260101000000-0123456789ab");
    sw_node_msg_clear (&out);
}

Test (proto, tcp_shard_decodes_without_posture_fields)
{
    sw_node_msg_t in = {.cmd = SW_CMD_SHARD,
                        .job = "job-000001",
                        .shard = 1,
                        .attempt = 1,
                        .lease_ms = 1000,
                        .scanner = "tcp",
                        .target = "127.0.0.2",
                        .ports = "22"};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_null (out.files);
    cr_assert_eq (out.nfiles, 0);
    cr_assert_null (out.kind);
    cr_assert_null (out.bundle);
    cr_assert_null (out.bundle_version);
    sw_node_msg_clear (&out);
}

//  n files "dir/fNNNN.json" (names owned by the caller via s_free_files).
static sw_blobref_t *s_files (size_t n)
{
    sw_blobref_t *files = calloc (n, sizeof (sw_blobref_t));
    for (size_t i = 0; i < n; i++) {
        cr_assert_geq (asprintf (&files[i].name, "dir/f%04zu.json", i), 0);
        memcpy (files[i].hash, HASH_A, SW_BLOB_HEX_LEN + 1);
        files[i].size = i;
    }
    return files;
}

static void s_free_files (sw_blobref_t *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (files[i].name);
    free (files);
}

Test (proto, shard_with_max_files_roundtrips)
{
    sw_blobref_t *files = s_files (SW_MAX_SHARD_FILES);
    sw_node_msg_t in = {.cmd = SW_CMD_SHARD,
                        .job = "job-000001",
                        .shard = 0,
                        .attempt = 1,
                        .lease_ms = 1000,
                        .scanner = "posture",
                        .target = "files:dir",
                        .kind = "files",
                        .files = files,
                        .nfiles = SW_MAX_SHARD_FILES};
    sw_node_msg_t out;
    s_roundtrip (&in, &out);
    cr_assert_eq (out.nfiles, SW_MAX_SHARD_FILES);
    cr_assert_str_eq (out.files[SW_MAX_SHARD_FILES - 1].name, files[SW_MAX_SHARD_FILES - 1].name);
    cr_assert_eq (out.files[SW_MAX_SHARD_FILES - 1].size, SW_MAX_SHARD_FILES - 1);
    sw_node_msg_clear (&out);
    s_free_files (files, SW_MAX_SHARD_FILES);
}

Test (proto, encoder_refuses_posture_fields_over_limits)
{
    sw_blobref_t *files = s_files (SW_MAX_SHARD_FILES + 1);
    sw_node_msg_t shard = {.cmd = SW_CMD_SHARD,
                           .job = "job-000001",
                           .attempt = 1,
                           .lease_ms = 1000,
                           .scanner = "posture",
                           .target = "files:dir",
                           .files = files,
                           .nfiles = SW_MAX_SHARD_FILES + 1};
    cr_assert_null (sw_node_msg_encode (&shard), "more than SW_MAX_SHARD_FILES files encoded");
    shard.nfiles = 1;
    files[0].hash[10] = 0; //  a 10-character hash
    cr_assert_null (sw_node_msg_encode (&shard), "a short file hash encoded");
    s_free_files (files, SW_MAX_SHARD_FILES + 1);

    uint8_t *big = calloc (1, SW_BLOB_CHUNK + 1);
    sw_node_msg_t blob = {.cmd = SW_CMD_BLOB,
                          .hash = HASH_A,
                          .size = SW_BLOB_CHUNK + 1,
                          .data = big,
                          .ndata = SW_BLOB_CHUNK + 1};
    cr_assert_null (sw_node_msg_encode (&blob), "BLOB data over SW_BLOB_CHUNK encoded");
    free (big);
}

//  A SHARD body whose 'files' array the caller packs next (n entries).
static void s_shard_head (sw_packer_t *p, size_t n)
{
    msgpack_pack_map (&p->pk, 7);
    sw_pack_kv_str (&p->pk, "job", "job-000001");
    sw_pack_kv_uint (&p->pk, "shard", 0);
    sw_pack_kv_uint (&p->pk, "attempt", 1);
    sw_pack_kv_uint (&p->pk, "lease_ms", 1000);
    sw_pack_kv_str (&p->pk, "scanner", "posture");
    sw_pack_kv_str (&p->pk, "target", "files:dir");
    sw_pack_str (&p->pk, "files");
    msgpack_pack_array (&p->pk, n);
}

static void s_pack_file (sw_packer_t *p, const char *name, const char *hash, uint64_t size)
{
    msgpack_pack_array (&p->pk, 3);
    sw_pack_str (&p->pk, name);
    sw_pack_str (&p->pk, hash);
    msgpack_pack_uint64 (&p->pk, size);
}

//  Asserts that the SHARD body in p is refused for its files.
static void s_shard_refused (sw_packer_t *p, const char *what)
{
    char err[256] = "";
    int rc =
        s_reject (s_frames (SW_SIG_NODE, "SHARD", p->sbuf.data, p->sbuf.size), err, sizeof err);
    sw_packer_destroy (p);
    cr_assert_eq (rc, -1, "%s: accepted", what);
    cr_assert (strstr (err, "'files'"), "%s: %s", what, err);
}

Test (proto, decoder_accepts_a_hand_built_posture_shard)
{
    sw_packer_t p;
    sw_packer_init (&p);
    s_shard_head (&p, 1);
    s_pack_file (&p, "k8s/a.yaml", HASH_A, 10);
    sw_node_msg_t out;
    char err[256] = "";
    zmsg_t *z = s_frames (SW_SIG_NODE, "SHARD", p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
    cr_assert_eq (sw_node_msg_decode (z, &out, err, sizeof err), 0, "%s", err);
    zmsg_destroy (&z);
    cr_assert_eq (out.nfiles, 1);
    cr_assert_str_eq (out.files[0].name, "k8s/a.yaml");
    sw_node_msg_clear (&out);
}

Test (proto, decoder_refuses_a_file_with_a_bad_hash)
{
    const char *bad[] = {
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",  //  upper case
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",   //  63
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", // 65
        "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef",  //  not hex
        "../../../../etc/passwd",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sw_packer_t p;
        sw_packer_init (&p);
        s_shard_head (&p, 2);
        s_pack_file (&p, "k8s/a.yaml", HASH_A, 10);
        s_pack_file (&p, "k8s/b.yaml", bad[i], 10);
        s_shard_refused (&p, bad[i]);
    }
}

Test (proto, decoder_refuses_a_file_that_is_not_a_triple)
{
    sw_packer_t p;
    sw_packer_init (&p);
    s_shard_head (&p, 1);
    msgpack_pack_array (&p.pk, 2);
    sw_pack_str (&p.pk, "k8s/a.yaml");
    sw_pack_str (&p.pk, HASH_A);
    s_shard_refused (&p, "a pair");

    sw_packer_init (&p);
    s_shard_head (&p, 1);
    s_pack_file (&p, "k8s/a.yaml", HASH_A, (uint64_t)SW_BLOB_MAX_SIZE + 1);
    s_shard_refused (&p, "a size over SW_BLOB_MAX_SIZE");

    char name[SW_MAX_PATH + 2];
    memset (name, 'n', SW_MAX_PATH + 1);
    name[SW_MAX_PATH + 1] = 0;
    sw_packer_init (&p);
    s_shard_head (&p, 1);
    s_pack_file (&p, name, HASH_A, 1);
    s_shard_refused (&p, "a name over SW_MAX_PATH");
}

Test (proto, decoder_refuses_more_than_max_shard_files)
{
    sw_packer_t p;
    sw_packer_init (&p);
    s_shard_head (&p, SW_MAX_SHARD_FILES + 1);
    for (size_t i = 0; i < SW_MAX_SHARD_FILES + 1; i++) {
        char name[32];
        snprintf (name, sizeof name, "dir/f%04zu.json", i);
        s_pack_file (&p, name, HASH_A, 1);
    }
    s_shard_refused (&p, "SW_MAX_SHARD_FILES + 1 files");
}

//  A BLOB body with data of n bytes, as bin (or as str when as_str).
static zmsg_t *s_blob_frames (size_t n, bool as_str)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 4);
    sw_pack_kv_str (&p.pk, "hash", HASH_A);
    sw_pack_kv_uint (&p.pk, "offset", 0);
    sw_pack_kv_uint (&p.pk, "size", n);
    sw_pack_str (&p.pk, "data");
    char *data = calloc (1, n ? n : 1);
    memset (data, 'd', n);
    if (as_str) {
        msgpack_pack_str (&p.pk, n);
        msgpack_pack_str_body (&p.pk, data, n);
    } else {
        msgpack_pack_bin (&p.pk, n);
        msgpack_pack_bin_body (&p.pk, data, n);
    }
    free (data);
    zmsg_t *z = s_frames (SW_SIG_NODE, "BLOB", p.sbuf.data, p.sbuf.size);
    sw_packer_destroy (&p);
    return z;
}

Test (proto, decoder_refuses_blob_data_over_a_chunk)
{
    char err[256] = "";
    cr_assert_eq (s_reject (s_blob_frames (SW_BLOB_CHUNK + 1, false), err, sizeof err), -1);
    cr_assert (strstr (err, "'data'"), "%s", err);
    //  ...and takes a chunk of exactly SW_BLOB_CHUNK.
    zmsg_t *z = s_blob_frames (SW_BLOB_CHUNK, false);
    sw_node_msg_t out;
    cr_assert_eq (sw_node_msg_decode (z, &out, err, sizeof err), 0, "%s", err);
    zmsg_destroy (&z);
    cr_assert_eq (out.ndata, SW_BLOB_CHUNK);
    sw_node_msg_clear (&out);
}

Test (proto, decoder_refuses_blob_data_that_is_not_bin)
{
    char err[256] = "";
    cr_assert_eq (s_reject (s_blob_frames (10, true), err, sizeof err), -1);
    cr_assert (strstr (err, "'data'"), "%s", err);
}

Test (proto, decoder_refuses_fetch_without_a_hash)
{
    sw_packer_t p;
    sw_packer_init (&p);
    msgpack_pack_map (&p.pk, 1);
    sw_pack_kv_uint (&p.pk, "offset", 0);
    char err[256] = "";
    int rc = s_reject (s_frames (SW_SIG_NODE, "FETCH", p.sbuf.data, p.sbuf.size), err, sizeof err);
    sw_packer_destroy (&p);
    cr_assert_eq (rc, -1);
    cr_assert (strstr (err, "'hash'"), "%s", err);
}
