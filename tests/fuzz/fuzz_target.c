/*  libFuzzer harness for the sw_target parsers, which read job files and
    network messages. Beyond crashes, it checks the invariants callers rely
    on: a parsed port list is sorted, non-empty and reformats to a spec that
    parses back to the same ports; a failed add leaves a host list as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sw_target.h"

static void s_check_ports (const char *spec)
{
    char err[256];
    sw_portlist_t *ports = sw_portlist_parse (spec, err, sizeof err);
    if (!ports) {
        if (!memchr (err, '\0', sizeof err) || strncmp (err, "ports: ", 7) != 0)
            abort ();
        return;
    }
    uint32_t count = sw_portlist_count (ports);
    if (count == 0 || count > 65535)
        abort ();
    uint16_t previous = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint16_t port = sw_portlist_nth (ports, i);
        if (port <= previous)
            abort ();
        previous = port;
    }
    //  The canonical spec of at most 65535 ports fits well within 512 KiB
    static char canon[1 << 19];
    if (sw_portlist_slice_format (ports, 0, count, canon, sizeof canon) != 0)
        abort ();
    sw_portlist_t *again = sw_portlist_parse (canon, err, sizeof err);
    if (!again || sw_portlist_count (again) != count)
        abort ();
    for (uint32_t i = 0; i < count; i++)
        if (sw_portlist_nth (again, i) != sw_portlist_nth (ports, i))
            abort ();
    sw_portlist_destroy (&again);
    sw_portlist_destroy (&ports);
}

static void s_check_hosts (const char *spec)
{
    sw_hostlist_t *hosts = sw_hostlist_new ();
    sw_hostlist_t *scope = sw_hostlist_new ();
    if (!hosts || !scope)
        abort ();
    char err[256];
    if (sw_hostlist_add (scope, "10.0.0.0/8", err, sizeof err) != 0)
        abort ();
    if (sw_hostlist_add (hosts, spec, err, sizeof err) == 0) {
        uint64_t count = sw_hostlist_count (hosts);
        if (count == 0 || count > (UINT64_C (1) << 32))
            abort ();
        uint32_t first = sw_hostlist_nth (hosts, 0);
        uint32_t last = sw_hostlist_nth (hosts, count - 1);
        if ((uint64_t)last - first + 1 != count)
            abort ();
        char offender[80];
        int within = sw_hostlist_within (hosts, scope, offender, sizeof offender);
        if (within != ((first >> 24) == 10 && (last >> 24) == 10))
            abort ();
    } else if (sw_hostlist_count (hosts) != 0 || strncmp (err, "hosts: ", 7) != 0)
        abort ();
    sw_hostlist_destroy (&hosts);
    sw_hostlist_destroy (&scope);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = '\0';
    s_check_ports (text);
    s_check_hosts (text);
    //  Exercise the strict address parser directly too
    uint32_t addr;
    if (sw_ipv4_parse (text, &addr) == 0) {
        char back[SW_IPV4_STRLEN];
        sw_ipv4_format (addr, back);
        if (strcmp (back, text) != 0)
            abort ();
    }
    free (text);
    return 0;
}
