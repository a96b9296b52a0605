/*  Unit tests for sw_target: port lists, host lists and scopes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sw_target.h"

static sw_portlist_t *s_parse_ok (const char *spec)
{
    char err[256] = "";
    sw_portlist_t *ports = sw_portlist_parse (spec, err, sizeof err);
    cr_assert_not_null (ports, "parse '%s' failed: %s", spec, err);
    return ports;
}

//  Parses spec expecting failure and checks the message contains want.
static void s_parse_fails (const char *spec, const char *want)
{
    char err[256] = "";
    sw_portlist_t *ports = sw_portlist_parse (spec, err, sizeof err);
    cr_assert_null (ports, "parse '%s' should fail", spec ? spec : "(null)");
    cr_assert (strstr (err, want), "parse '%s': message '%s' lacks '%s'", spec ? spec : "(null)",
               err, want);
}

static void s_format_eq (const sw_portlist_t *ports, uint32_t first, uint32_t count,
                         const char *want)
{
    char buf[512];
    cr_assert_eq (sw_portlist_slice_format (ports, first, count, buf, sizeof buf), 0);
    cr_assert_str_eq (buf, want);
}

Test (portlist, sorts_merges_and_formats_canonically)
{
    sw_portlist_t *ports = s_parse_ok (" 8000-8100 , 80,22\t, 81, 79-80,8050-8060 ");
    cr_assert_eq (sw_portlist_count (ports), 1 + 3 + 101);
    s_format_eq (ports, 0, sw_portlist_count (ports), "22,79-81,8000-8100");
    sw_portlist_destroy (&ports);
    cr_assert_null (ports);
}

Test (portlist, merges_adjacent_ranges_and_duplicates)
{
    sw_portlist_t *ports = s_parse_ok ("11-20,1-10,80,80,80,21");
    cr_assert_eq (sw_portlist_count (ports), 22);
    s_format_eq (ports, 0, 22, "1-21,80");
    sw_portlist_destroy (&ports);
}

Test (portlist, full_range_and_bounds)
{
    sw_portlist_t *ports = s_parse_ok ("1-65535");
    cr_assert_eq (sw_portlist_count (ports), 65535);
    cr_assert_eq (sw_portlist_nth (ports, 0), 1);
    cr_assert_eq (sw_portlist_nth (ports, 65534), 65535);
    cr_assert_eq (sw_portlist_nth (ports, 65535), 0, "out of range index must give 0");
    s_format_eq (ports, 0, 65535, "1-65535");
    sw_portlist_destroy (&ports);
}

Test (portlist, nth_matches_brute_force_expansion)
{
    const char *spec = "5,7,9-12,100,101,103-105,1000-1002,65535";
    const uint16_t expect[] = {5,   7,   9,   10,   11,   12,   100,  101,
                               103, 104, 105, 1000, 1001, 1002, 65535};
    sw_portlist_t *ports = s_parse_ok (spec);
    uint32_t n = sizeof expect / sizeof expect[0];
    cr_assert_eq (sw_portlist_count (ports), n);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq (sw_portlist_nth (ports, i), expect[i], "nth(%u)", i);
    sw_portlist_destroy (&ports);
}

Test (portlist, slice_format_cuts_inside_and_across_ranges)
{
    sw_portlist_t *ports = s_parse_ok ("22,80,8000-8100");
    s_format_eq (ports, 0, 1, "22");
    s_format_eq (ports, 1, 1, "80");
    s_format_eq (ports, 1, 3, "80,8000-8001");
    s_format_eq (ports, 2, 1, "8000");
    s_format_eq (ports, 12, 10, "8010-8019");
    s_format_eq (ports, 102, 1, "8100");
    s_format_eq (ports, 0, 103, "22,80,8000-8100");
    sw_portlist_destroy (&ports);
}

Test (portlist, slices_reassemble_to_the_whole_list)
{
    sw_portlist_t *ports = s_parse_ok ("1-3,10,20-29,100,200-202,300");
    uint32_t total = sw_portlist_count (ports);
    for (uint32_t shard = 1; shard <= total; shard++) {
        uint32_t index = 0;
        for (uint32_t first = 0; first < total; first += shard) {
            uint32_t count = total - first < shard ? total - first : shard;
            char buf[256];
            cr_assert_eq (sw_portlist_slice_format (ports, first, count, buf, sizeof buf), 0);
            sw_portlist_t *slice = s_parse_ok (buf);
            cr_assert_eq (sw_portlist_count (slice), count, "slice '%s'", buf);
            for (uint32_t i = 0; i < count; i++)
                cr_assert_eq (sw_portlist_nth (slice, i), sw_portlist_nth (ports, index++));
            sw_portlist_destroy (&slice);
        }
        cr_assert_eq (index, total);
    }
    sw_portlist_destroy (&ports);
}

Test (portlist, slice_format_rejects_bad_ranges_and_small_buffers)
{
    sw_portlist_t *ports = s_parse_ok ("22,80,8000-8100");
    char buf[64] = "junk";
    cr_assert_eq (sw_portlist_slice_format (ports, 0, 0, buf, sizeof buf), -1);
    cr_assert_str_eq (buf, "");
    cr_assert_eq (sw_portlist_slice_format (ports, 103, 1, buf, sizeof buf), -1);
    cr_assert_eq (sw_portlist_slice_format (ports, 100, 4, buf, sizeof buf), -1);
    cr_assert_eq (sw_portlist_slice_format (ports, 1, UINT32_MAX, buf, sizeof buf), -1,
                  "first + count must not wrap");
    cr_assert_eq (sw_portlist_slice_format (NULL, 0, 1, buf, sizeof buf), -1);
    //  "22,80,8000-8100" is 15 chars: 16 bytes fit exactly, 15 do not
    cr_assert_eq (sw_portlist_slice_format (ports, 0, 103, buf, 16), 0);
    cr_assert_str_eq (buf, "22,80,8000-8100");
    cr_assert_eq (sw_portlist_slice_format (ports, 0, 103, buf, 15), -1);
    cr_assert_str_eq (buf, "", "a failed format must not leave a partial spec");
    sw_portlist_destroy (&ports);
}

Test (portlist, rejects_out_of_range_ports_with_item_number)
{
    s_parse_fails ("22,80,70000", "ports: item 3 '70000': port out of range 1-65535");
    s_parse_fails ("0", "ports: item 1 '0': port out of range 1-65535");
    s_parse_fails ("65536", "port out of range");
    s_parse_fails ("99999999999999999999999", "port out of range");
    s_parse_fails ("0-10", "item 1 '0-10': port out of range");
    s_parse_fails ("10-65536", "item 1 '10-65536': port out of range");
}

Test (portlist, rejects_reversed_range)
{
    s_parse_fails ("22, 90-80", "ports: item 2 '90-80': range start 90 is above its end 80");
}

Test (portlist, rejects_bad_syntax)
{
    const char *bad[] = {"abc",     "80-",  "-80",   "+80", "80-90-100", "8 0",
                         "80 - 90", "0x50", "80;81", "1e3", "80-+90"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_parse_fails (bad[i], "expected a port or a range");
    s_parse_fails ("22,http", "ports: item 2 'http': expected a port or a range");
}

Test (portlist, rejects_empty_spec_and_empty_items)
{
    s_parse_fails ("", "ports: empty spec");
    s_parse_fails (" \t ", "ports: empty spec");
    s_parse_fails (NULL, "ports: no spec");
    s_parse_fails ("80,,81", "ports: item 2 '': empty item");
    s_parse_fails ("80,", "ports: item 2 '': empty item");
    s_parse_fails (",80", "ports: item 1 '': empty item");
    s_parse_fails ("80, ,81", "ports: item 2 '': empty item");
}

Test (portlist, limits_item_count_to_4096)
{
    size_t len = 4097 * 2;
    char *spec = malloc (len + 1);
    for (size_t i = 0; i < 4096; i++)
        memcpy (spec + 2 * i, "1,", 2);
    spec[4096 * 2 - 1] = '\0';
    sw_portlist_t *ports = s_parse_ok (spec);
    cr_assert_eq (sw_portlist_count (ports), 1);
    sw_portlist_destroy (&ports);
    spec[4096 * 2 - 1] = ',';
    spec[4096 * 2] = '1';
    spec[4096 * 2 + 1] = '\0';
    s_parse_fails (spec, "ports: 4097 items, at most 4096 allowed");
    free (spec);
}

Test (portlist, limits_spec_length_to_64_kib)
{
    char *spec = malloc (65538);
    memset (spec, ' ', 65537);
    spec[0] = '8';
    spec[1] = '0';
    spec[65536] = '\0';
    sw_portlist_t *ports = s_parse_ok (spec);
    cr_assert_eq (sw_portlist_nth (ports, 0), 80);
    sw_portlist_destroy (&ports);
    spec[65536] = ' ';
    spec[65537] = '\0';
    s_parse_fails (spec, "ports: spec longer than 65536 bytes");
    free (spec);
}

Test (portlist, error_quotes_are_bounded_and_sanitised)
{
    char spec[200];
    memset (spec, 'x', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    spec[1] = '\n';
    char err[512];
    cr_assert_null (sw_portlist_parse (spec, err, sizeof err));
    cr_assert_null (strchr (err, '\n'), "control characters must not reach the message");
    cr_assert (strstr (err, "'x?xxx"), "%s", err);
    cr_assert (strstr (err, "...'"), "long items are truncated: %s", err);
    cr_assert_lt (strlen (err), 120, "%s", err);
}

Test (portlist, tolerates_null_and_tiny_err_buffers)
{
    cr_assert_null (sw_portlist_parse ("x", NULL, 0));
    char err[8];
    cr_assert_null (sw_portlist_parse ("70000", err, sizeof err));
    cr_assert_str_eq (err, "ports: ");
    sw_portlist_destroy (NULL);
    sw_portlist_t *none = NULL;
    sw_portlist_destroy (&none);
    cr_assert_eq (sw_portlist_count (NULL), 0);
    cr_assert_eq (sw_portlist_nth (NULL, 0), 0);
}

//  --- IPv4 addresses ---

Test (ipv4, parses_and_formats_round_trip)
{
    const char *good[] = {"0.0.0.0", "255.255.255.255", "10.0.0.1", "192.168.100.200", "127.0.0.1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint32_t addr = 1;
        cr_assert_eq (sw_ipv4_parse (good[i], &addr), 0, "%s", good[i]);
        char buf[SW_IPV4_STRLEN];
        sw_ipv4_format (addr, buf);
        cr_assert_str_eq (buf, good[i]);
    }
    uint32_t addr;
    cr_assert_eq (sw_ipv4_parse ("10.1.2.3", &addr), 0);
    cr_assert_eq (addr, 0x0a010203u, "result is in host byte order");
}

Test (ipv4, rejects_ambiguous_and_malformed_text)
{
    const char *bad[] = {"",         "1.2.3",      "1.2.3.4.5", "1..2.3",   "1.2.3.",
                         ".1.2.3",   "256.0.0.1",  "1.2.3.256", "01.2.3.4", "1.2.3.04",
                         "1.2.3.00", "1234.1.1.1", "1.2.3.4 ",  " 1.2.3.4", "1.2.3.-4",
                         "1.2.3.+4", "0x1.2.3.4",  "1.2.3.4/",  "a.b.c.d",  "16909060"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t addr = 0xdeadbeef;
        cr_assert_eq (sw_ipv4_parse (bad[i], &addr), -1, "'%s' should be rejected", bad[i]);
        cr_assert_eq (addr, 0xdeadbeef, "'%s': output untouched on failure", bad[i]);
    }
    uint32_t addr;
    cr_assert_eq (sw_ipv4_parse (NULL, &addr), -1);
}

//  --- host lists ---

static void s_add_ok (sw_hostlist_t *hosts, const char *spec)
{
    char err[256] = "";
    cr_assert_eq (sw_hostlist_add (hosts, spec, err, sizeof err), 0, "add '%s': %s", spec, err);
}

static void s_add_fails (const char *spec, const char *want)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    char err[256] = "";
    cr_assert_eq (sw_hostlist_add (hosts, spec, err, sizeof err), -1, "add '%s' should fail",
                  spec ? spec : "(null)");
    cr_assert (strstr (err, want), "add '%s': message '%s' lacks '%s'", spec ? spec : "(null)", err,
               want);
    cr_assert_eq (sw_hostlist_count (hosts), 0, "a failed add must not change the list");
    cr_assert_eq (sw_hostlist_size (hosts), 0);
    sw_hostlist_destroy (&hosts);
}

static uint32_t s_addr (const char *text)
{
    uint32_t addr;
    cr_assert_eq (sw_ipv4_parse (text, &addr), 0, "%s", text);
    return addr;
}

Test (hostlist, single_address_and_cidr_count_and_index)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    s_add_ok (hosts, "127.0.0.2");
    s_add_ok (hosts, " 127.0.1.0/28\t");
    cr_assert_eq (sw_hostlist_count (hosts), 17);
    cr_assert_eq (sw_hostlist_nth (hosts, 0), s_addr ("127.0.0.2"));
    cr_assert_eq (sw_hostlist_nth (hosts, 1), s_addr ("127.0.1.0"));
    cr_assert_eq (sw_hostlist_nth (hosts, 16), s_addr ("127.0.1.15"));
    cr_assert_eq (sw_hostlist_nth (hosts, 17), 0);
    cr_assert_eq (sw_hostlist_size (hosts), 2);
    cr_assert_str_eq (sw_hostlist_spec (hosts, 1), "127.0.1.0/28", "spec kept, trimmed");
    cr_assert_null (sw_hostlist_spec (hosts, 2));
    sw_hostlist_destroy (&hosts);
    cr_assert_null (hosts);
}

Test (hostlist, keeps_order_of_addition_and_counts_overlaps_twice)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    s_add_ok (hosts, "10.0.0.8/30");
    s_add_ok (hosts, "10.0.0.1");
    s_add_ok (hosts, "10.0.0.9");
    cr_assert_eq (sw_hostlist_count (hosts), 6);
    const char *expect[] = {"10.0.0.8",  "10.0.0.9", "10.0.0.10",
                            "10.0.0.11", "10.0.0.1", "10.0.0.9"};
    for (uint64_t i = 0; i < 6; i++)
        cr_assert_eq (sw_hostlist_nth (hosts, i), s_addr (expect[i]), "nth(%u)", (unsigned)i);
    sw_hostlist_destroy (&hosts);
}

Test (hostlist, prefix_32_31_and_0_have_exact_uint64_counts)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    s_add_ok (hosts, "192.0.2.7/32");
    cr_assert_eq (sw_hostlist_count (hosts), 1);
    s_add_ok (hosts, "192.0.2.6/31");
    cr_assert_eq (sw_hostlist_count (hosts), 3);
    s_add_ok (hosts, "0.0.0.0/0");
    cr_assert_eq (sw_hostlist_count (hosts), 3 + (UINT64_C (1) << 32));
    s_add_ok (hosts, "0.0.0.0/0");
    cr_assert_eq (sw_hostlist_count (hosts), 3 + (UINT64_C (1) << 33));
    cr_assert_eq (sw_hostlist_nth (hosts, 2), s_addr ("192.0.2.7"));
    cr_assert_eq (sw_hostlist_nth (hosts, 3), 0);
    cr_assert_eq (sw_hostlist_nth (hosts, 2 + (UINT64_C (1) << 32)), UINT32_MAX);
    cr_assert_eq (sw_hostlist_nth (hosts, 3 + (UINT64_C (1) << 32)), 0);
    cr_assert_eq (sw_hostlist_nth (hosts, 3 + (UINT64_C (1) << 32) + 0x0a000001),
                  s_addr ("10.0.0.1"));
    cr_assert_eq (sw_hostlist_nth (hosts, 2 + (UINT64_C (1) << 33)), UINT32_MAX);
    sw_hostlist_destroy (&hosts);
}

Test (hostlist, rejects_host_bits_and_suggests_the_network)
{
    s_add_fails ("127.0.0.1/24", "hosts: 127.0.0.1/24: host bits set, did you mean 127.0.0.0/24");
    s_add_fails ("10.1.2.3/8", "did you mean 10.0.0.0/8");
    s_add_fails ("0.0.0.1/0", "did you mean 0.0.0.0/0");
    s_add_fails ("192.0.2.7/31", "did you mean 192.0.2.6/31");
}

Test (hostlist, rejects_ipv6)
{
    s_add_fails ("::1", "hosts: ::1: IPv6 targets are not supported yet");
    s_add_fails ("fe80::1/64", "IPv6 targets are not supported yet");
    s_add_fails ("::ffff:10.0.0.1", "IPv6 targets are not supported yet");
}

Test (hostlist, rejects_bad_prefix_lengths)
{
    const char *bad[] = {"10.0.0.0/33",  "10.0.0.0/",   "10.0.0.0/024",
                         "10.0.0.0/-1",  "10.0.0.0/+8", "10.0.0.0/8x",
                         "10.0.0.0/100", "10.0.0.0/ 8", "10.0.0.0/8/8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_add_fails (bad[i], "prefix length must be a number 0-32");
}

Test (hostlist, rejects_non_addresses)
{
    s_add_fails ("host.example", "hosts: host.example: not an IPv4 address or CIDR");
    s_add_fails ("10.0.0", "not an IPv4 address");
    s_add_fails ("10.0.0.256", "not an IPv4 address");
    s_add_fails ("010.0.0.1", "not an IPv4 address");
    s_add_fails ("10.0.0.1 10.0.0.2", "not an IPv4 address");
    s_add_fails ("10.0.0.0 /24", "not an IPv4 address");
    s_add_fails ("/24", "not an IPv4 address");
    s_add_fails ("", "hosts: empty spec");
    s_add_fails (" \t", "hosts: empty spec");
    s_add_fails (NULL, "hosts: no spec");
}

Test (hostlist, limits_spec_length)
{
    char spec[SW_HOSTLIST_MAX_SPEC + 2];
    memset (spec, ' ', sizeof spec);
    memcpy (spec, "10.0.0.1", 8);
    spec[SW_HOSTLIST_MAX_SPEC] = '\0';
    sw_hostlist_t *hosts = sw_hostlist_new ();
    s_add_ok (hosts, spec);
    sw_hostlist_destroy (&hosts);
    spec[SW_HOSTLIST_MAX_SPEC] = ' ';
    spec[SW_HOSTLIST_MAX_SPEC + 1] = '\0';
    s_add_fails (spec, "spec longer than 64 bytes");
}

Test (hostlist, limits_number_of_specs)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    char err[128];
    for (int i = 0; i < SW_HOSTLIST_MAX_SPECS; i++)
        cr_assert_eq (sw_hostlist_add (hosts, "10.0.0.1", err, sizeof err), 0);
    cr_assert_eq (sw_hostlist_add (hosts, "10.0.0.1", err, sizeof err), -1);
    cr_assert_str_eq (err, "hosts: more than 65536 specs");
    cr_assert_eq (sw_hostlist_count (hosts), SW_HOSTLIST_MAX_SPECS);
    cr_assert_eq (sw_hostlist_nth (hosts, SW_HOSTLIST_MAX_SPECS - 1), s_addr ("10.0.0.1"));
    sw_hostlist_destroy (&hosts);
}

static sw_hostlist_t *s_hosts (const char *specs[], size_t n)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    for (size_t i = 0; i < n; i++)
        s_add_ok (hosts, specs[i]);
    return hosts;
}

Test (hostlist, within_accepts_targets_inside_scope)
{
    const char *scope_specs[] = {"127.0.0.0/8", "10.0.0.0/24"};
    const char *target_specs[] = {"127.0.0.2", "127.0.1.0/28", "10.0.0.255", "10.0.0.0/24"};
    sw_hostlist_t *scope = s_hosts (scope_specs, 2);
    sw_hostlist_t *targets = s_hosts (target_specs, 4);
    char offender[64] = "junk";
    cr_assert_eq (sw_hostlist_within (targets, scope, offender, sizeof offender), 1);
    cr_assert_str_eq (offender, "");
    sw_hostlist_destroy (&scope);
    sw_hostlist_destroy (&targets);
}

Test (hostlist, within_names_the_first_offending_spec)
{
    const char *scope_specs[] = {"10.0.0.0/24"};
    const char *target_specs[] = {"10.0.0.5", "10.0.0.0/23", "192.0.2.1"};
    sw_hostlist_t *scope = s_hosts (scope_specs, 1);
    sw_hostlist_t *targets = s_hosts (target_specs, 3);
    char offender[64];
    cr_assert_eq (sw_hostlist_within (targets, scope, offender, sizeof offender), 0);
    cr_assert_str_eq (offender, "10.0.0.0/23", "partial overlap is out of scope");
    char tiny[5];
    cr_assert_eq (sw_hostlist_within (targets, scope, tiny, sizeof tiny), 0);
    cr_assert_str_eq (tiny, "10.0", "offender is truncated and NUL-terminated");
    cr_assert_eq (sw_hostlist_within (targets, scope, NULL, 0), 0);
    sw_hostlist_destroy (&scope);
    sw_hostlist_destroy (&targets);
}

Test (hostlist, within_uses_the_union_of_adjacent_scope_ranges)
{
    const char *scope_specs[] = {"10.0.1.0/25", "10.0.0.0/24", "10.0.1.128/25"};
    const char *target_specs[] = {"10.0.0.0/23"};
    sw_hostlist_t *scope = s_hosts (scope_specs, 3);
    sw_hostlist_t *targets = s_hosts (target_specs, 1);
    cr_assert_eq (sw_hostlist_within (targets, scope, NULL, 0), 1);
    sw_hostlist_destroy (&scope);

    //  A one-address gap in the union must be caught
    const char *gappy[] = {"10.0.0.0/24",   "10.0.1.0/25",   "10.0.1.128/26",
                           "10.0.1.192/27", "10.0.1.224/28", "10.0.1.240/29",
                           "10.0.1.248/30", "10.0.1.252/31", "10.0.1.254"};
    scope = s_hosts (gappy, 9);
    char offender[64];
    cr_assert_eq (sw_hostlist_within (targets, scope, offender, sizeof offender), 0);
    cr_assert_str_eq (offender, "10.0.0.0/23");
    s_add_ok (scope, "10.0.1.255");
    cr_assert_eq (sw_hostlist_within (targets, scope, offender, sizeof offender), 1);
    sw_hostlist_destroy (&scope);
    sw_hostlist_destroy (&targets);
}

Test (hostlist, within_edge_cases_empty_lists_and_whole_space)
{
    sw_hostlist_t *empty = sw_hostlist_new ();
    const char *all[] = {"0.0.0.0/0"};
    const char *top[] = {"255.255.255.255", "0.0.0.0"};
    sw_hostlist_t *world = s_hosts (all, 1);
    sw_hostlist_t *edges = s_hosts (top, 2);
    char offender[64];
    cr_assert_eq (sw_hostlist_within (empty, world, offender, sizeof offender), 1);
    cr_assert_eq (sw_hostlist_within (edges, world, offender, sizeof offender), 1);
    cr_assert_eq (sw_hostlist_within (edges, empty, offender, sizeof offender), 0);
    cr_assert_str_eq (offender, "255.255.255.255");
    cr_assert_eq (sw_hostlist_within (world, edges, offender, sizeof offender), 0);
    cr_assert_str_eq (offender, "0.0.0.0/0");
    sw_hostlist_destroy (&empty);
    sw_hostlist_destroy (&world);
    sw_hostlist_destroy (&edges);
    sw_hostlist_destroy (NULL);
}
