/*  sw_target - what a job may scan: port lists, host lists and scopes.

    Specs arrive from job files and network messages, so every parser here
    is bounded (spec length, item count) and fails with a message that names
    the offending item rather than guessing. IPv4 only for now. */
#ifndef SW_TARGET_H
#define SW_TARGET_H

#include <stddef.h>
#include <stdint.h>

//  Upper bounds on untrusted specs, so a hostile job cannot make us
//  allocate or loop without limit.
#define SW_PORTLIST_MAX_SPEC  65536 //  bytes
#define SW_PORTLIST_MAX_ITEMS 4096  //  comma-separated items
#define SW_HOSTLIST_MAX_SPEC  64    //  bytes in one host spec
#define SW_HOSTLIST_MAX_SPECS 65536 //  specs in one host list

//  Bytes needed by sw_ipv4_format, including the NUL.
#define SW_IPV4_STRLEN 16

typedef struct sw_portlist_t sw_portlist_t;

//  Parses "22,80,8000-8100" (whitespace around items allowed). Ports 1..65535. Ranges lo-hi with
//  lo<=hi. Result is sorted and merged (duplicates/overlaps removed). Empty spec, port 0, >65535,
//  bad syntax, more than 4096 comma items, or a spec longer than 64 KiB -> NULL and a message in
//  err such as "ports: item 3 '70000': port out of range 1-65535".
sw_portlist_t *sw_portlist_parse (const char *spec, char *err, size_t errlen);

//  Destroys a port list and sets *self_p to NULL; safe on NULL.
void sw_portlist_destroy (sw_portlist_t **self_p);

//  Number of distinct ports (0 for NULL).
uint32_t sw_portlist_count (const sw_portlist_t *self);

//  n-th port in ascending order, n < count (O(log ranges)); 0 if n is out of range.
uint16_t sw_portlist_nth (const sw_portlist_t *self, uint32_t n);

//  Writes ports with indices [first, first+count) as a canonical spec ("22,80,8000-8100") into
//  buf. Returns 0, or -1 if count is 0, the range is out of bounds or buf too small (buf is then
//  set to "" when buflen > 0).
int sw_portlist_slice_format (const sw_portlist_t *self, uint32_t first, uint32_t count, char *buf,
                              size_t buflen);

typedef struct sw_hostlist_t sw_hostlist_t;

//  Creates an empty host list, or NULL on allocation failure.
sw_hostlist_t *sw_hostlist_new (void);

//  Destroys a host list and sets *self_p to NULL; safe on NULL.
void sw_hostlist_destroy (sw_hostlist_t **self_p);

//  Adds "127.0.0.2" or "127.0.1.0/28" (IPv4 only, surrounding whitespace ignored). A CIDR with
//  host bits set is an error ("hosts: 127.0.0.1/24: host bits set, did you mean 127.0.0.0/24"),
//  as is IPv6 ("IPv6 targets are not supported yet"). Returns 0, or -1 with message in err.
int sw_hostlist_add (sw_hostlist_t *self, const char *spec, char *err, size_t errlen);

//  Total addresses: each spec's addresses are counted in order of addition, and an address
//  named by two specs is counted twice, so that index n is stable for the planner.
uint64_t sw_hostlist_count (const sw_hostlist_t *self);

//  Address (host byte order) at index n in the order of sw_hostlist_count; 0 if n >= count.
uint32_t sw_hostlist_nth (const sw_hostlist_t *self, uint64_t n);

//  Number of specs added so far.
size_t sw_hostlist_size (const sw_hostlist_t *self);

//  The i-th spec as added (trimmed), or NULL if i >= size.
const char *sw_hostlist_spec (const sw_hostlist_t *self, size_t i);

//  Returns 1 if every address of self lies inside the union of scope's ranges; else 0 and copies
//  the first offending spec of self into offender (NUL-terminated, truncated to len). An empty
//  self is within any scope. Fails closed: on allocation failure returns 0 with offender
//  "(out of memory)".
int sw_hostlist_within (const sw_hostlist_t *self, const sw_hostlist_t *scope, char *offender,
                        size_t len);

//  Formats a host-order IPv4 address into buf (at least SW_IPV4_STRLEN bytes).
void sw_ipv4_format (uint32_t addr, char *buf);

//  Parses a dotted quad strictly: four decimal octets 0..255, no leading zeros (inet_aton would
//  read "010" as octal), no signs, no whitespace or trailing junk. Returns 0 and sets *addr (host
//  order), or -1.
int sw_ipv4_parse (const char *text, uint32_t *addr);

#endif
