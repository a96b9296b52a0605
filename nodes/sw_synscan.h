/*  sw_synscan - TCP SYN scan of one IPv4 host, from a raw socket.

    Sends one SYN per port and reads the answers: SYN+ACK is open, RST is
    closed; an ICMP destination unreachable that quotes our SYN (a router
    or firewall that rejects), or silence after a retransmission, is
    filtered. The kernel answers
    a SYN+ACK with a RST itself (the source port is reserved by a bound
    socket that never listens), so no connection is ever opened on the
    target. An answer counts only if it comes from the target, to our
    reserved port, and acknowledges the keyed sequence number we sent to
    that port; anything else on the wire is ignored. Needs CAP_NET_RAW in
    the network namespace. Used through sw_tcpscan_run. */
#ifndef SW_SYNSCAN_H
#define SW_SYNSCAN_H

#include <stdbool.h>

#include "sw_tcpscan.h"

//  Same contract as sw_tcpscan_run; the window (max_inflight) bounds the
//  ports awaiting an answer, timeout_ms is the wait for a port's answer
//  (one retransmission at half of it).
int sw_synscan_run (uint32_t addr, const sw_portlist_t *ports, const sw_tcpscan_opts_t *opts,
                    volatile int *cancel, sw_tcpscan_open_fn *on_open, void *arg,
                    sw_tcpscan_stats_t *stats, char *err, size_t errlen);

//  Returns true if this process may open the raw socket a SYN scan needs.
bool sw_synscan_available (void);

//  Sets the scan method of this process's later scans from NAME: "syn",
//  "connect", or "auto" (syn when the process may open a raw socket).
//  Returns the method set, or -1 with err (an unknown name, or syn asked
//  for without the capability).
int sw_synscan_choose (const char *name, char *err, size_t errlen);

#endif
