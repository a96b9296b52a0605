/*  sw_netscan - the net scanner: what each open port of a host exposes.

    On top of the tcp scanner: for each open port it identifies the service
    with the probe table (engine/sw_netprobe.h: the protocol's own hello at
    once on well-known ports, else a short wait for a banner, then the
    other probes), and collects facts into a `net.service` document:
    address, port, service, product, version, banner, and as they apply
    TLS facts (protocol versions accepted, weak cipher classes, forward
    secrecy, the certificate), SSH facts (the key-exchange lists judged by
    the policy in docs/net.md, the authentication methods offered), HTTP
    facts (server, security headers, directory listing, well-known admin
    paths that answer) and auth facts (whether a data store or control
    plane answers a harmless read-only request without credentials). The
    rules in rules/net/ turn facts into findings, with the posture engine.

    Every wait is capped (opts); every request is read-only and listed in
    docs/net.md; ports are probed one at a time per host (a per-target
    concurrency of one). */
#ifndef SW_NETSCAN_H
#define SW_NETSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "sw_doc.h"
#include "sw_finding.h"
#include "sw_probetab.h"
#include "sw_rule.h"
#include "sw_target.h"

typedef struct {
    int connect_ms;              //  per connection [1000]
    int read_ms;                 //  per answer [800]
    int banner_ms;               //  for a service that speaks first [300]
    int port_budget_ms;          //  for all the identification probes of one port [4000]
    int per_target;              //  ports of one host probed at once [4]
    int max_inflight;            //  the port discovery's window [256]
    const char *ca_file;         //  trust store for certificate chains [the system's]
    const char *tls_name;        //  the name certificates must carry [the address]
    const sw_probetab_t *probes; //  what to send and how to read answers (needed to identify)
} sw_netscan_opts_t;

typedef struct {
    uint32_t open, closed, filtered, services, tls, evaluations;
} sw_netscan_stats_t;

//  Probes one open port and returns its facts (a map in arena).
sw_val_t *sw_netscan_port (sw_arena_t *arena, uint32_t addr, uint16_t port,
                           const sw_netscan_opts_t *opts, volatile int *cancel);

//  The facts of a certificate (an OpenSSL X509 *): names, dates, key,
//  signature, whether it is self-signed and names NAME (an address when
//  is_ip). A map in arena.
sw_val_t *sw_netscan_cert_facts (sw_arena_t *arena, const void *x509, const char *name, bool is_ip);

//  Called for each finding (the callee copies what it keeps).
typedef int (sw_netscan_emit_fn) (void *arg, const sw_finding_t *finding);

//  Finds the open ports of addr among ports, probes each, evaluates rules
//  (those of type net.service) on the facts and emits one finding per
//  (rule, port). facts_fn, when not NULL, gets each port's facts as
//  compact JSON (for `sweepctl net`). Returns 0, or -1 with err (cancelled,
//  or the port discovery failed).
typedef void (sw_netscan_facts_fn) (void *arg, const char *json);
int sw_netscan_run (const sw_ruleset_t *rules, const char *bundle_version, uint32_t addr,
                    const sw_portlist_t *ports, const sw_netscan_opts_t *opts, volatile int *cancel,
                    sw_netscan_emit_fn *emit, sw_netscan_facts_fn *facts, void *arg,
                    sw_netscan_stats_t *stats, char *err, size_t errlen);

#endif
