/*  sw_netlocal - `sweepctl net HOST... --ports P`: the net scanner on this
    machine, no cluster needed. Same probes, same rules (those of type
    net.service in the rules folder), same findings as a net job; the
    targets must lie inside --scope (loopback only by default). */
#ifndef SW_NETLOCAL_H
#define SW_NETLOCAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *rules;       //  rules folder
    const char *ports;       //  port list, required
    const char *scope;       //  comma-separated CIDRs [127.0.0.0/8]
    const char *format;      //  table or json
    const char *fail_on;     //  severity gate, or NULL
    const char *output;      //  file, or NULL for stdout
    const char *ca_file;     //  trust store for certificate chains, or NULL
    int timeout_ms;          //  per connection and answer (0: defaults)
    const char *scan_method; //  auto, syn or connect [auto]
} sw_netlocal_opts_t;

//  Runs the scan over every address of the targets (addresses and CIDRs).
//  Returns 0, 1 when a finding reaches fail_on, 2 on a usage error.
int sw_netlocal_run (char **targets, size_t n, const sw_netlocal_opts_t *opts);

#endif
