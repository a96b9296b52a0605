/*  sw_tcpscan - TCP port scan of one IPv4 host.

    Two methods. The connect scan uses plain non-blocking connect() so that
    it needs no privileges, with a sliding window of connections in flight
    on epoll; a port that never answers costs one timeout, not one timeout
    per retry. The SYN scan (sw_synscan) sends bare SYN segments from a raw
    socket and reads the answers, which costs the kernel a fraction of a
    connection and needs CAP_NET_RAW. A process picks one for all its scans
    (sw_tcpscan_set_method); both give the same verdicts. */
#ifndef SW_TCPSCAN_H
#define SW_TCPSCAN_H

#include "../proto/sw_target.h"

typedef enum { SW_PORT_OPEN = 0, SW_PORT_CLOSED, SW_PORT_FILTERED } sw_port_state_t;

//  Hard ceiling on max_inflight: beyond this we only burn descriptors and
//  ephemeral ports without scanning faster.
#define SW_TCPSCAN_MAX_INFLIGHT 4096

typedef struct {
    int max_inflight; //  default 256 if <= 0, capped at SW_TCPSCAN_MAX_INFLIGHT
    int timeout_ms;   //  default 1000 if <= 0
} sw_tcpscan_opts_t;

typedef struct {
    uint32_t open, closed, filtered;
} sw_tcpscan_stats_t;

//  Called once per OPEN port, in any order. Return nonzero to abort the scan.
typedef int (sw_tcpscan_open_fn) (void *arg, uint32_t addr, uint16_t port);

//  Scans addr (host order) on every port of ports. Returns 0 when every port was classified
//  (stats filled), -1 on cancel/abort or an unrecoverable error (message in err; stats then hold
//  the ports classified so far). opts may be NULL for defaults.
int sw_tcpscan_run (uint32_t addr, const sw_portlist_t *ports, const sw_tcpscan_opts_t *opts,
                    volatile int *cancel, sw_tcpscan_open_fn *on_open, void *arg,
                    sw_tcpscan_stats_t *stats, char *err, size_t errlen);

//  Limits the connections every scan of this process starts to per_second
//  (0: no limit), shared by all threads: a node's rate limit.
void sw_tcpscan_set_rate (uint32_t per_second);

//  Takes up to want connections (or SYNs) from that limit and returns how
//  many it got; when none, *wait_ms says when the next one comes. For the
//  scan methods only.
int sw_tcpscan_rate_take (int want, int64_t *wait_ms);

typedef enum { SW_TCPSCAN_CONNECT = 0, SW_TCPSCAN_SYN } sw_tcpscan_method_t;

//  The method every later scan of this process uses [connect].
void sw_tcpscan_set_method (sw_tcpscan_method_t method);
sw_tcpscan_method_t sw_tcpscan_method (void);

//  Lower-case name of a port state ("open", "closed", "filtered"), "?" if out of range.
const char *sw_port_state_name (sw_port_state_t s);

//  Returns 1 if connected socket fd is connected to itself (a TCP simultaneous open, which is
//  what a connect to a free local port in the ephemeral range can turn into), 0 if not, -1 on
//  error.
int sw_tcpscan_is_self_connect (int fd);

#endif
