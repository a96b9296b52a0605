/*  Tests for the net scanner's probe table (sw_probetab): the table the
    repository ships (rules/probes/net.yaml) identifies captured answers,
    and tables written here with one fault each are refused with a message
    that says what and where. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sw_probetab.h"

static sw_probetab_t *s_tab;

static void s_load_shipped (void)
{
    char err[512];
    s_tab = sw_probetab_load_rules ("rules", NULL, err, sizeof err);
    cr_assert (s_tab, "%s", err);
}

static void s_unload (void)
{
    sw_probetab_destroy (&s_tab);
}

static const char *s_first (uint16_t port)
{
    size_t order[SW_PROBES_MAX];
    size_t n = sw_probetab_order (s_tab, port, order, SW_PROBES_MAX);
    cr_assert_eq (n, sw_probetab_size (s_tab), "every probe is in the order once");
    return sw_probetab_probe (s_tab, order[0])->name;
}

Test (probetab, order_puts_the_ports_own_probe_first, .init = s_load_shipped, .fini = s_unload)
{
    cr_assert_str_eq (s_first (6379), "redis");
    cr_assert_str_eq (s_first (443), "http");
    cr_assert_str_eq (s_first (2379), "etcd");
    cr_assert_str_eq (s_first (31337), "null", "unknown ports wait for a banner first");
    size_t order[2];
    cr_assert_eq (sw_probetab_order (s_tab, 6379, order, 2), 2, "at most max");
}

Test (probetab, payloads_are_read_as_text_and_hex, .init = s_load_shipped, .fini = s_unload)
{
    const sw_probe_t *pg = NULL, *mongo = NULL, *redis = NULL;
    for (size_t i = 0; i < sw_probetab_size (s_tab); i++) {
        const sw_probe_t *p = sw_probetab_probe (s_tab, i);
        if (!strcmp (p->name, "postgres"))
            pg = p;
        if (!strcmp (p->name, "mongodb"))
            mongo = p;
        if (!strcmp (p->name, "redis"))
            redis = p;
    }
    cr_assert (pg && mongo && redis);
    cr_assert_eq (pg->len, 8);
    cr_assert_arr_eq (pg->payload, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
    cr_assert_eq (pg->answer, SW_ANSWER_BYTE);
    //  A BSON message: its first four bytes are its own length
    cr_assert_eq (mongo->len, 52);
    cr_assert_eq ((uint8_t)mongo->payload[0], 52);
    cr_assert_eq (redis->len, 6);
    cr_assert_arr_eq (redis->payload, "PING\r\n", 6);
    cr_assert_eq (redis->answer, SW_ANSWER_LINE);
}

static void s_ident (const char *probe, const char *reply, size_t len, const char *service,
                     const char *product, const char *version)
{
    sw_ident_t id;
    cr_assert (sw_probetab_match (s_tab, probe, reply, len, &id), "%s: no match", service);
    cr_assert_str_eq (id.service, service);
    cr_assert_str_eq (id.product, product);
    cr_assert_str_eq (id.version, version);
}

Test (probetab, answers_are_identified, .init = s_load_shipped, .fini = s_unload)
{
    s_ident ("null", "SSH-2.0-OpenSSH_9.2p1 Debian\r\n", 30, "ssh", "OpenSSH", "9.2p1");
    s_ident ("redis", "+PONG\r\n", 7, "redis", "Redis", "");
    s_ident ("redis", "-NOAUTH Authentication required.\r\n", 34, "redis", "Redis", "");
    s_ident ("memcached", "VERSION 1.6.18\r\n", 16, "memcached", "memcached", "1.6.18");
    s_ident ("postgres", "N", 1, "postgresql", "PostgreSQL", "");
    const char mysql[] = "\x4a\x00\x00\x00\x0a"
                         "10.11.6-MariaDB-0+deb12u1\x00\x08\x00\x00\x00";
    s_ident ("null", mysql, sizeof mysql - 1, "mysql", "MariaDB", "10.11.6-MariaDB-0+deb12u1");
    const char mysql8[] = "\x4a\x00\x00\x00\x0a"
                          "8.0.36\x00\x08\x00\x00\x00";
    s_ident ("null", mysql8, sizeof mysql8 - 1, "mysql", "MySQL", "8.0.36");
    const char *ng = "HTTP/1.1 200 OK\r\nDate: x\r\nServer: nginx/1.22.1\r\n\r\n";
    s_ident ("http", ng, strlen (ng), "http", "nginx", "1.22.1");
    const char *etcd =
        "HTTP/1.0 200 OK\r\n\r\n{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}";
    s_ident ("etcd", etcd, strlen (etcd), "etcd", "etcd", "3.4.23");
    const char *es = "HTTP/1.1 200 OK\r\n\r\n{\"version\":{\"number\":\"8.11.1\"},\"tagline\":"
                     "\"You Know, for Search\"}";
    s_ident ("http", es, strlen (es), "elasticsearch", "Elasticsearch", "8.11.1");
    const char mongo[] = "\x40\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\xdd\x07\x00\x00"
                         "\x00\x00\x00\x00\x00 maxWireVersion";
    s_ident ("mongodb", mongo, sizeof mongo - 1, "mongodb", "MongoDB", "");
    sw_ident_t id;
    cr_assert (!sw_probetab_match (s_tab, "redis", "HTTP/1.1 400\r\n", 14, &id),
               "redis is not HTTP");
    cr_assert (!sw_probetab_match (s_tab, "null", "", 0, &id));
    cr_assert (!sw_probetab_match (s_tab, "nosuch", "+PONG\r\n", 7, &id));
}

//  A table with one probe list and one match list around the given lines
static void s_refused (const char *yaml, const char *want)
{
    char err[512] = "";
    sw_probetab_t *tab = sw_probetab_load ("t.yaml", yaml, strlen (yaml), err, sizeof err);
    cr_assert_null (tab, "accepted: %s", yaml);
    cr_assert (strstr (err, want), "error '%s' does not say '%s'", err, want);
}

#define PROBES                                                                                     \
    "probes:\n"                                                                                    \
    "  - {name: \"null\", send: \"\"}\n"                                                           \
    "  - {name: http, send: \"GET / HTTP/1.0\\r\\n\\r\\n\", answer: http}\n"

Test (probetab, faults_are_refused_with_what_and_where)
{
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: '(', version: 1}\n",
               "t.yaml:5:");
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: '('}\n",
               "missing closing parenthesis");
    s_refused (PROBES "matches:\n  - {service: x, probe: ftp, pattern: 'a'}\n",
               "t.yaml:5:25: no probe 'ftp' in the table");
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: 'a', version: 1}\n",
               "version must be a capture group of the pattern (1 to 0)");
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: 'a', colour: red}\n",
               "unknown key 'colour'");
    s_refused (PROBES "matches:\n  - {service: X!, probe: http, pattern: 'a'}\n",
               "'service' may hold only");
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: '^b', examples: [abc]}\n",
               "example 1 of this x match is not identified");
    s_refused (PROBES "matches:\n  - {service: x, probe: http, pattern: '^a(b)', version: 1, "
                      "examples: ['ab => c']}\n",
               "(version 'b', expected 'c')");
    s_refused (PROBES "  - {name: x, send_hex: \"0g\"}\nmatches: []\n", "'g', not a hex digit");
    s_refused (PROBES "  - {name: x, send_hex: \"012\"}\nmatches: []\n", "whole bytes");
    s_refused (PROBES "  - {name: x, send: a, send_hex: \"00\"}\nmatches: []\n",
               "needs one of 'send' and 'send_hex'");
    s_refused (PROBES "  - {name: http, send: a}\nmatches: []\n", "defined twice");
    s_refused (PROBES "  - {name: x, send: a, ports: \"1-2-3\"}\nmatches: []\n", "ports:");
    s_refused (PROBES "  - {name: x, send: a, answer: forever}\nmatches: []\n",
               "answer must be line");
    s_refused ("probes:\n  - {name: \"null\", send: \"x\"}\n  - {name: http, send: a}\nmatches: "
               "[]\n",
               "its payload must be empty");
    s_refused ("probes:\n  - {name: \"null\", send: \"\"}\nmatches: []\n",
               "must include 'null' and 'http'");
    s_refused ("probes: []\n", "needs 'probes' and 'matches'");
    s_refused ("probes: [\n", "t.yaml:");
    s_refused (PROBES "matches: []\nextra: 1\n", "unknown key 'extra'");
}

Test (probetab, an_earlier_match_that_takes_an_example_is_a_fault)
{
    //  The order of matches is part of the table: a general pattern above a
    //  specific one would hide it, and its examples say so
    s_refused (PROBES "matches:\n  - {service: http, probe: http, pattern: '^HTTP'}\n"
                      "  - {service: web, probe: http, pattern: '^HTTP.*nginx', examples: "
                      "['HTTP/1.1 200 nginx']}\n",
               "taken by another match");
}
