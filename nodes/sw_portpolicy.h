/*  sw_portpolicy - how bad it is that a TCP port is reachable.

    The answer is data, not code: one static table, documented in
    docs/port-policy.md, so that reviewing or changing a rating is a
    one-line diff that anyone can audit. */
#ifndef SW_PORTPOLICY_H
#define SW_PORTPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/sw_finding.h"

typedef struct {
    uint16_t port;        //  0 only in the default entry for unknown ports
    const char *service;  //  e.g. "redis"
    const char *category; //  e.g. "cache"; also the last part of the finding rule id
    sw_severity_t severity;
    const char *why; //  one sentence a report can print as the reason
} sw_port_policy_t;

//  Returns the policy entry for a port (never NULL: a default entry for unknown ports, with port
//  set 0, service "unknown", category "other", severity low).
const sw_port_policy_t *sw_port_policy_lookup (uint16_t port);

//  The whole table for documentation, sorted by ascending port (count in *n).
const sw_port_policy_t *sw_port_policy_table (size_t *n);

#endif
