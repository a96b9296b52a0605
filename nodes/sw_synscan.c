/*  sw_synscan - TCP SYN scan of one IPv4 host, from a raw socket.

    Ports are sent in list order, in batches of one sendmmsg, as far as the
    window and the node's rate limit allow; answers are drained after every
    batch. Ports awaiting an answer sit in a ring in send order, so their
    deadlines are in order too and expiry only ever looks at the head. */
#include "sw_synscan.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sw_netprobe.h"

#define BATCH           64
#define CANCEL_SLICE_MS 50
#define TRIES           2 //  a SYN and one retransmission
#define RCVBUF          (4 << 20)
#define REPLY_MAX       128 //  bytes read of an answer: IP and TCP headers

enum { P_OUT = 0, P_TODO, P_WAIT, P_DONE }; //  a port's state; P_OUT: not in this scan

typedef struct {
    int64_t deadline;
    uint16_t port;
    uint8_t tries;
} wait_t;

typedef struct {
    uint32_t addr, src; //  host order
    uint16_t sport;
    uint64_t key;
    int raw, icmp, holder; //  icmp: -1 when it could not be opened (silence then tells)
    int timeout_ms, window;
    uint8_t *state; //  by port
    wait_t *ring;
    size_t cap, head, count;
    int pending; //  ports sent and not yet answered or given up
    sw_tcpscan_open_fn *on_open;
    void *arg;
    sw_tcpscan_stats_t *stats;
    int aborted;
    char *err;
    size_t errlen;
    //  the batch being built
    uint8_t pkt[BATCH][SW_TCP_SYN_LEN];
    int nbatch;
} syn_t;

//  The sequence number we send to port: keyed, so that an answer must have
//  seen our SYN to acknowledge it (splitmix64's finaliser as the mixer).
static uint32_t s_seq (const syn_t *self, uint16_t port)
{
    uint64_t z = self->key ^ ((uint64_t)self->addr << 16 | port);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)(z ^ (z >> 31));
}

bool sw_synscan_available (void)
{
    int fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return false;
    close (fd);
    return true;
}

int sw_synscan_choose (const char *name, char *err, size_t errlen)
{
    if (strcmp (name, "auto") != 0 && strcmp (name, "syn") != 0 && strcmp (name, "connect") != 0) {
        snprintf (err, errlen, "scan method '%.32s': expected auto, syn or connect", name);
        return -1;
    }
    bool raw = strcmp (name, "connect") != 0 && sw_synscan_available ();
    if (strcmp (name, "syn") == 0 && !raw) {
        snprintf (err, errlen,
                  "scan method syn: this process may not open a raw socket (it needs "
                  "CAP_NET_RAW; in a systemd unit: AmbientCapabilities=CAP_NET_RAW)");
        return -1;
    }
    sw_tcpscan_method_t method = raw ? SW_TCPSCAN_SYN : SW_TCPSCAN_CONNECT;
    sw_tcpscan_set_method (method);
    return (int)method;
}

//  The source address the kernel routes to addr from, which the checksum
//  covers and the raw socket is bound to.
static int s_source (syn_t *self)
{
    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons (9), .sin_addr.s_addr = htonl (self->addr)};
    socklen_t len = sizeof sa;
    if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname (fd, (struct sockaddr *)&sa, &len) != 0) {
        snprintf (self->err, self->errlen, "synscan: no route to the target: %s", strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    close (fd);
    self->src = ntohl (sa.sin_addr.s_addr);
    return 0;
}

//  Reserves a source port with a bound TCP socket that never listens: no
//  other program gets it while we scan, and the kernel answers each
//  SYN+ACK sent to it with a RST.
static int s_reserve_port (syn_t *self)
{
    self->holder = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    if (self->holder < 0 || bind (self->holder, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname (self->holder, (struct sockaddr *)&sa, &len) != 0) {
        snprintf (self->err, self->errlen, "synscan: reserving a source port: %s",
                  strerror (errno));
        return -1;
    }
    self->sport = ntohs (sa.sin_port);
    return 0;
}

//  The raw socket, bound to our source address, with a filter that lets
//  through only TCP from the target to the reserved port.
static int s_open_raw (syn_t *self)
{
    self->raw = socket (AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (self->raw < 0) {
        snprintf (self->err, self->errlen, "synscan: raw socket: %s%s", strerror (errno),
                  errno == EPERM ? " (a SYN scan needs CAP_NET_RAW; run the node with "
                                   "--scan-method connect, or grant the capability)"
                                 : "");
        return -1;
    }
    struct sock_filter code[] = {
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 12), //  source address
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, self->addr, 0, 3),
        BPF_STMT (BPF_LDX | BPF_B | BPF_MSH, 0), //  x = IP header length
        BPF_STMT (BPF_LD | BPF_H | BPF_IND, 2),  //  TCP destination port
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, self->sport, 1, 0),
        BPF_STMT (BPF_RET | BPF_K, 0),
        BPF_STMT (BPF_RET | BPF_K, 0xffff),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (self->src)};
    //  Connected to the target, the socket is not even handed the packets
    //  of other hosts (the kernel gives every raw socket that matches its
    //  own copy before any filter runs, and a node scans many at once)
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (self->addr)};
    if (setsockopt (self->raw, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0 ||
        bind (self->raw, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        connect (self->raw, (struct sockaddr *)&to, sizeof to) != 0) {
        snprintf (self->err, self->errlen, "synscan: raw socket set-up: %s", strerror (errno));
        return -1;
    }
    //  A large buffer rides out bursts of answers; without CAP_NET_ADMIN
    //  the kernel caps it and retransmission covers what overflows.
    int size = RCVBUF;
    if (setsockopt (self->raw, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt (self->raw, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return 0;
}

//  A second raw socket for the ICMP errors routers and firewalls send
//  about our SYNs (destination unreachable: filtered at once, as nmap
//  says, instead of after the timeout). It cannot be connected to the
//  target (the errors come from whoever dropped the SYN), so the filter
//  checks the segment they quote: to the target, from our port, with no
//  IP options (our SYNs have none).
static void s_open_icmp (syn_t *self)
{
    self->icmp = socket (AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (self->icmp < 0)
        return;
    struct sock_filter code[] = {
        BPF_STMT (BPF_LDX | BPF_B | BPF_MSH, 0), //  x = IP header length
        BPF_STMT (BPF_LD | BPF_B | BPF_IND, 0),  //  ICMP type
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 7),
        BPF_STMT (BPF_LD | BPF_B | BPF_IND, 8), //  quoted IP: version and length
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 5),
        BPF_STMT (BPF_LD | BPF_W | BPF_IND, 24), //  quoted destination
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, self->addr, 0, 3),
        BPF_STMT (BPF_LD | BPF_H | BPF_IND, 28), //  quoted source port
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, self->sport, 0, 1),
        BPF_STMT (BPF_RET | BPF_K, 0xffff),
        BPF_STMT (BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (setsockopt (self->icmp, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
        close (self->icmp);
        self->icmp = -1;
    }
}

static void s_record (syn_t *self, uint16_t port, sw_port_state_t verdict)
{
    self->state[port] = P_DONE;
    self->pending--;
    if (verdict == SW_PORT_OPEN) {
        self->stats->open++;
        if (self->on_open && self->on_open (self->arg, self->addr, port) != 0)
            self->aborted = 1;
    } else if (verdict == SW_PORT_CLOSED)
        self->stats->closed++;
    else
        self->stats->filtered++;
}

//  One packet from the TCP socket: an answer to one of our SYNs?
static void s_on_tcp (syn_t *self, const uint8_t *pkt, size_t len)
{
    sw_tcp_reply_t r;
    if (sw_tcp_reply_parse (pkt, len, &r) != 0 || r.src != self->addr || r.dport != self->sport ||
        self->state[r.sport] != P_WAIT || r.ack != s_seq (self, r.sport) + 1 ||
        !(r.flags & SW_TCP_ACK))
        return;
    if ((r.flags & (SW_TCP_SYN | SW_TCP_RST)) == SW_TCP_SYN)
        s_record (self, r.sport, SW_PORT_OPEN);
    else if (r.flags & SW_TCP_RST)
        s_record (self, r.sport, SW_PORT_CLOSED);
}

//  One packet from the ICMP socket: an error about one of our SYNs?
static void s_on_icmp (syn_t *self, const uint8_t *pkt, size_t len)
{
    sw_icmp_unreach_t u;
    if (sw_icmp_unreach_parse (pkt, len, &u) == 0 && u.dst == self->addr &&
        u.sport == self->sport && self->state[u.dport] == P_WAIT && u.seq == s_seq (self, u.dport))
        s_record (self, u.dport, SW_PORT_FILTERED);
}

//  Reads every packet queued on socket fd, handing each to on.
static int s_drain_fd (syn_t *self, int fd, void (*on) (syn_t *, const uint8_t *, size_t))
{
    uint8_t buf[BATCH][REPLY_MAX];
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){buf[i], REPLY_MAX};
            msg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
        }
        int n = recvmmsg (fd, msg, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        //  The kernel also reports an ICMP error about our traffic on the
        //  connected socket, as this call's error: reading it clears it,
        //  and the ICMP socket reads what it says
        if (n < 0 && errno != EBADF && errno != EFAULT && errno != EINVAL && errno != ENOTSOCK &&
            errno != ENOMEM)
            continue;
        if (n < 0) {
            snprintf (self->err, self->errlen, "synscan: recvmmsg: %s", strerror (errno));
            return -1;
        }
        for (int i = 0; i < n && !self->aborted; i++)
            on (self, buf[i], msg[i].msg_len);
        if (n < BATCH)
            return 0;
    }
}

//  Reads every answer and error queued.
static int s_drain (syn_t *self)
{
    return s_drain_fd (self, self->raw, s_on_tcp) ||
           (self->icmp >= 0 && s_drain_fd (self, self->icmp, s_on_icmp));
}

static void s_queue (syn_t *self, uint16_t port, uint8_t tries, int64_t now)
{
    sw_tcp_syn_build (self->pkt[self->nbatch], self->src, self->addr, self->sport, port,
                      s_seq (self, port));
    self->nbatch++;
    //  The first wait is half the timeout, the retransmission's the rest
    int half = self->timeout_ms / 2 > 0 ? self->timeout_ms / 2 : 1;
    wait_t *w = &self->ring[(self->head + self->count++) % self->cap];
    *w = (wait_t){now + (tries == 1 ? half : self->timeout_ms - half), port, tries};
    self->state[port] = P_WAIT;
}

//  Sends the batch. A SYN the kernel would not take (buffers full, a local
//  firewall) is treated as lost on the wire: retransmitted, then filtered.
static int s_flush (syn_t *self)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (self->addr)};
    struct iovec iov[BATCH];
    struct mmsghdr msg[BATCH];
    int sent = 0;
    for (int i = 0; i < self->nbatch; i++) {
        iov[i] = (struct iovec){self->pkt[i], SW_TCP_SYN_LEN};
        msg[i] = (struct mmsghdr){
            .msg_hdr = {
                .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    while (sent < self->nbatch) {
        int n = sendmmsg (self->raw, msg + sent, (unsigned)(self->nbatch - sent), 0);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != ENOBUFS && errno != EPERM && errno != EACCES &&
            errno != EHOSTUNREACH && errno != ENETUNREACH) {
            snprintf (self->err, self->errlen, "synscan: sendmmsg: %s", strerror (errno));
            return -1;
        }
        sent++; //  that one is lost; go on with the rest
    }
    self->nbatch = 0;
    return 0;
}

//  Pops the ports whose wait is over: queues retransmissions (as tokens
//  allow) and gives up on the rest. Returns the tokens used.
static int s_expire (syn_t *self, int64_t now, int tokens)
{
    int used = 0;
    while (self->count > 0 && self->nbatch < BATCH) {
        wait_t w = self->ring[self->head];
        if (self->state[w.port] == P_WAIT && w.deadline > now)
            break;
        if (self->state[w.port] == P_WAIT && w.tries < TRIES && used >= tokens)
            break;
        self->head = (self->head + 1) % self->cap;
        self->count--;
        if (self->state[w.port] != P_WAIT)
            continue; //  answered meanwhile
        if (w.tries < TRIES) {
            s_queue (self, w.port, (uint8_t)(w.tries + 1), now);
            used++;
        } else
            s_record (self, w.port, SW_PORT_FILTERED);
    }
    return used;
}

int sw_synscan_run (uint32_t addr, const sw_portlist_t *ports, const sw_tcpscan_opts_t *opts,
                    volatile int *cancel, sw_tcpscan_open_fn *on_open, void *arg,
                    sw_tcpscan_stats_t *stats, char *err, size_t errlen)
{
    uint32_t total = sw_portlist_count (ports);
    syn_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "synscan: out of memory");
        return -1;
    }
    *self = (syn_t){.addr = addr,
                    .raw = -1,
                    .icmp = -1,
                    .holder = -1,
                    .timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 1000,
                    .window = opts && opts->max_inflight > 0 ? opts->max_inflight : 256,
                    .cap = total,
                    .on_open = on_open,
                    .arg = arg,
                    .stats = stats,
                    .err = err,
                    .errlen = errlen};
    if (self->window > SW_TCPSCAN_MAX_INFLIGHT)
        self->window = SW_TCPSCAN_MAX_INFLIGHT;
    int rc = -1;
    self->state = calloc (65536, 1);
    self->ring = calloc (total, sizeof *self->ring);
    if (!self->state || !self->ring) {
        snprintf (err, errlen, "synscan: out of memory");
        goto done;
    }
    if (getrandom (&self->key, sizeof self->key, 0) != sizeof self->key) {
        snprintf (err, errlen, "synscan: getrandom: %s", strerror (errno));
        goto done;
    }
    //  What queued before the filter was attached may be anyone's: drained
    //  (the checks on each answer would drop it anyway)
    if (s_source (self) || s_reserve_port (self) || s_open_raw (self))
        goto done;
    s_open_icmp (self);
    if (s_drain (self))
        goto done;
    for (uint32_t i = 0; i < total; i++)
        self->state[sw_portlist_nth (ports, i)] = P_TODO;

    uint32_t next = 0;
    while (next < total || self->pending > 0) {
        if (cancel && *cancel) {
            snprintf (err, errlen, "tcpscan: cancelled");
            goto done;
        }
        int64_t now = zclock_mono (), rate_wait = 0;
        //  Tokens only for what can go now: new ports within the window,
        //  retransmissions that are due
        int want = 0;
        if (next < total && self->pending < self->window)
            want = self->window - self->pending < BATCH ? self->window - self->pending : BATCH;
        if (self->count > 0 && self->ring[self->head].deadline <= now)
            want = BATCH;
        int tokens = want ? sw_tcpscan_rate_take (want, &rate_wait) : 0;
        tokens -= s_expire (self, now, tokens);
        while (tokens > 0 && next < total && self->pending < self->window && self->nbatch < BATCH) {
            uint16_t port = sw_portlist_nth (ports, next++);
            if (self->state[port] != P_TODO)
                continue; //  listed twice
            s_queue (self, port, 1, now);
            self->pending++;
            tokens--;
        }
        //  Tokens taken and not used are lost: at most one batch's worth
        int sent = self->nbatch;
        if (sent && s_flush (self))
            goto done;
        if (s_drain (self))
            goto done;
        if (self->aborted) {
            snprintf (err, errlen, "tcpscan: aborted by callback");
            goto done;
        }
        if (sent == BATCH || (next >= total && self->pending == 0))
            continue;
        //  Nothing more to send now: wait for answers, the next deadline,
        //  the next token or a cancel, whichever is first.
        int64_t wait = CANCEL_SLICE_MS;
        if (self->count > 0) {
            int64_t d = self->ring[self->head].deadline - zclock_mono ();
            wait = d < wait ? d : wait;
        }
        if (rate_wait > 0 && rate_wait < wait)
            wait = rate_wait;
        if (next < total && self->pending < self->window && rate_wait == 0)
            continue; //  more to send and tokens to come
        struct pollfd pfd[2] = {{self->raw, POLLIN, 0}, {self->icmp, POLLIN, 0}};
        if (wait > 0 && poll (pfd, self->icmp >= 0 ? 2 : 1, (int)wait) < 0 && errno != EINTR) {
            snprintf (err, errlen, "synscan: poll: %s", strerror (errno));
            goto done;
        }
    }
    rc = 0;

done:
    if (self->raw >= 0)
        close (self->raw);
    if (self->icmp >= 0)
        close (self->icmp);
    if (self->holder >= 0)
        close (self->holder);
    free (self->state);
    free (self->ring);
    free (self);
    return rc;
}
