/*  sw_netprobe - what network services say, read.

    Pure functions over bytes, no sockets (the net scanner, nodes/
    sw_netscan.c, does the I/O): the SSH banner and key-exchange init, HTTP
    responses, and the TCP segments of a SYN scan (the probe table that
    says what to send to a port is data: sw_probetab). Every parser is bounded by the
    length it is given and checks each length field the bytes carry
    against what is left; an answer that does not parse is "not this
    service", never a crash. */
#ifndef SW_NETPROBE_H
#define SW_NETPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_NET_MAX_REPLY 16384 //  bytes kept of one answer
#define SW_SSH_NAMELIST  2048  //  bytes kept of one SSH name-list

// -------------------------------------------------------------------------
//  SSH (RFC 4253)

typedef struct {
    char proto[16];    //  "2.0" (or "1.99")
    char software[64]; //  "OpenSSH"
    char version[64];  //  "9.2p1"
    char comment[96];  //  "Debian-2+deb12u3"
} sw_ssh_banner_t;

//  Finds the identification line ("SSH-protoversion-softwareversion
//  [comments]", after any other lines a server may send first). Returns
//  the bytes up to and including its end of line, 0 when more bytes are
//  needed, -1 when these bytes are not an SSH server's.
long sw_ssh_banner_parse (const char *buf, size_t len, sw_ssh_banner_t *out);

typedef struct {
    char kex[SW_SSH_NAMELIST];
    char hostkey[SW_SSH_NAMELIST];
    char ciphers[SW_SSH_NAMELIST]; //  server to client (the lists usually match)
    char macs[SW_SSH_NAMELIST];
    char compression[256];
} sw_ssh_kexinit_t;

//  Reads the server's SSH_MSG_KEXINIT from an unencrypted binary packet
//  (uint32 packet_length, byte padding_length, payload, padding). Returns
//  the packet's length in bytes, 0 when more bytes are needed, -1 with
//  err when it is malformed or not a KEXINIT.
long sw_ssh_kexinit_parse (const uint8_t *buf, size_t len, sw_ssh_kexinit_t *out, char *err,
                           size_t errlen);

typedef enum { SW_SSH_OK = 0, SW_SSH_WARN, SW_SSH_FAIL } sw_ssh_level_t;

//  The policy's verdict on one algorithm of a list ("kex", "hostkey",
//  "cipher", "mac"), with its reason (docs/net.md has the policy).
sw_ssh_level_t sw_ssh_judge (const char *list, const char *name, const char **why);

// -------------------------------------------------------------------------
//  HTTP

typedef struct {
    int status;        //  100..599
    size_t header_len; //  through the blank line
    char server[128];  //  the Server header ("" when absent)
    char powered_by[128];
    char content_type[96];
    char title[128]; //  the HTML <title>, when the body has one
    bool hsts, csp, frame_options, content_type_options;
    bool www_authenticate;
    bool directory_listing; //  an index page ("Index of /", autoindex)
} sw_http_resp_t;

//  Parses an HTTP/1.x response (status line, headers, and what arrived of
//  the body). Returns 0, or -1 when the bytes are not an HTTP response.
int sw_http_parse (const char *buf, size_t len, sw_http_resp_t *out);

//  Copies the value of header NAME (case-insensitive) of the response in
//  buf into out. Returns true when present.
bool sw_http_header (const char *buf, size_t header_len, const char *name, char *out,
                     size_t outlen);

// -------------------------------------------------------------------------
//  TCP segments of a SYN scan (RFC 9293): the probe we send and the answer
//  we read, both in network byte order on the wire, host order here.

#define SW_TCP_SYN_LEN 24 //  20-byte header + the MSS option

//  Writes a SYN from src:sport to dst:dport with sequence number seq into
//  out, checksum included (over the pseudo-header of src and dst).
void sw_tcp_syn_build (uint8_t out[SW_TCP_SYN_LEN], uint32_t src, uint32_t dst, uint16_t sport,
                       uint16_t dport, uint32_t seq);

#define SW_TCP_FIN 0x01
#define SW_TCP_SYN 0x02
#define SW_TCP_RST 0x04
#define SW_TCP_ACK 0x10

typedef struct {
    uint32_t src, dst;     //  IPv4 addresses
    uint16_t sport, dport; //  the answering port is sport
    uint32_t seq, ack;
    uint8_t flags;
} sw_tcp_reply_t;

//  Reads an IPv4 packet carrying a TCP segment (what a raw IPPROTO_TCP
//  socket returns). Returns 0 and fills out, or -1 when the bytes are not
//  one whole, first-fragment IPv4 TCP packet whose header lengths fit
//  inside len.
int sw_tcp_reply_parse (const uint8_t *pkt, size_t len, sw_tcp_reply_t *out);

//  An ICMP destination-unreachable error about a TCP segment we sent: who
//  sent it, its code, and the start of our segment it quotes.
typedef struct {
    uint32_t from;         //  the router or host that answered
    uint8_t code;          //  0 net, 1 host, 3 port unreachable, 13 administratively filtered...
    uint32_t dst;          //  our segment's destination
    uint16_t sport, dport; //  ... its ports
    uint32_t seq;          //  ... and sequence number
} sw_icmp_unreach_t;

//  Reads an IPv4 packet carrying an ICMP destination unreachable (type 3)
//  that quotes an IPv4 TCP segment (RFC 792: the IP header and the first
//  8 bytes). Returns 0 and fills out, or -1 for anything else or anything
//  whose lengths do not fit inside len.
int sw_icmp_unreach_parse (const uint8_t *pkt, size_t len, sw_icmp_unreach_t *out);

//  A printable, bounded copy of a banner (control bytes as '.', at most
//  outlen - 1 bytes, cut at the first line end).
void sw_banner_clean (const char *buf, size_t len, char *out, size_t outlen);

#endif
