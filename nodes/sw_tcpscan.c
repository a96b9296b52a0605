/*  sw_tcpscan - TCP connect scan of one IPv4 host.

    A fixed pool of slots holds the connections in flight; a freed slot is
    refilled on the next loop turn, so the window slides instead of
    advancing in lock-step batches. Every slot carries its own deadline on
    the monotonic clock, so wall-clock jumps cannot stretch or cut a
    timeout. */
#include "sw_tcpscan.h"
#include "sw_synscan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_INFLIGHT 256
#define DEFAULT_TIMEOUT  1000

//  Longest single epoll wait, so that a cancel is seen within this delay
//  even while every connection in flight is waiting out a long timeout.
#define CANCEL_SLICE_MS 50

//  When out of descriptors or ephemeral ports with nothing in flight to
//  free them, we back off this long, this many times, before giving up:
//  the shortage is someone else's and may clear, but not forever.
#define STARVED_SLEEP_MS    20
#define STARVED_MAX_RETRIES 50

//  A connect can also fail later, asynchronously, for lack of local
//  resources; such ports are retried, at most this many times per scan.
#define ASYNC_MAX_RETRIES 1000

#define MAX_EVENTS 256

typedef struct {
    int fd; //  -1 when free
    uint16_t port;
    int64_t deadline;
} slot_t;

typedef struct {
    uint32_t addr;
    volatile int *cancel;
    sw_tcpscan_open_fn *on_open;
    void *arg;
    sw_tcpscan_stats_t *stats;
    char *err;
    size_t errlen;
    int epfd;
    int timeout_ms;
    slot_t *slots;
    int *free_slots; //  stack of free slot indices, so a start is O(1)
    int nfree;
    uint16_t *retry; //  ports to start again; never more than the window
    int nretry;
    int async_retries;
    int inflight;
} scan_t;

typedef enum {
    START_DONE,    //  started or classified at once; move to the next port
    START_STARVED, //  out of a resource; retry the same port later
    START_ABORTED, //  callback asked to stop
    START_FAILED   //  unrecoverable, err set
} start_t;

static void s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
}

const char *sw_port_state_name (sw_port_state_t s)
{
    switch (s) {
    case SW_PORT_OPEN:
        return "open";
    case SW_PORT_CLOSED:
        return "closed";
    case SW_PORT_FILTERED:
        return "filtered";
    }
    return "?";
}

int sw_tcpscan_is_self_connect (int fd)
{
    struct sockaddr_in local, peer;
    socklen_t llen = sizeof local, plen = sizeof peer;
    if (getsockname (fd, (struct sockaddr *)&local, &llen) != 0 ||
        getpeername (fd, (struct sockaddr *)&peer, &plen) != 0)
        return -1;
    if (local.sin_family != AF_INET || peer.sin_family != AF_INET)
        return 0;
    return local.sin_addr.s_addr == peer.sin_addr.s_addr && local.sin_port == peer.sin_port;
}

//  Closes with an RST when asked, so a fast scan of open ports does not
//  leave thousands of TIME_WAIT sockets holding ephemeral ports.
static void s_close_fd (int fd, int reset)
{
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close (fd);
}

//  Records a verdict; returns -1 if the open callback asked to abort.
static int s_record (scan_t *scan, uint16_t port, sw_port_state_t state)
{
    if (state == SW_PORT_OPEN) {
        scan->stats->open++;
        if (scan->on_open && scan->on_open (scan->arg, scan->addr, port) != 0)
            return -1;
    } else if (state == SW_PORT_CLOSED)
        scan->stats->closed++;
    else
        scan->stats->filtered++;
    return 0;
}

//  Maps a connect error to a verdict; -1 if the error says nothing about
//  the port (resource shortage or a bug) and must not be reported as one.
static int s_classify_errno (int error, sw_port_state_t *state)
{
    switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
        *state = SW_PORT_CLOSED;
        return 0;
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case ENONET:
    case EACCES: //  local firewall REJECT / broadcast
    case EPERM:  //  local firewall DROP
        *state = SW_PORT_FILTERED;
        return 0;
    default:
        return -1;
    }
}

static int s_is_starvation (int error)
{
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM ||
           error == EAGAIN || error == EADDRNOTAVAIL || error == ENOSPC;
}

//  Classifies a socket whose connect has completed (successfully or not)
//  and closes it. An odd error reported synchronously is our bug or our
//  system's and fails the scan; one that arrives later came from the
//  network (an unusual ICMP), and must not let a remote host abort us.
static int s_complete (scan_t *scan, int fd, uint16_t port, int error, int async,
                       sw_port_state_t *state)
{
    if (error == 0) {
        //  A connect to a free local port in the ephemeral range can pick
        //  that same port as its source and complete by simultaneous open:
        //  there is no listener, so it must not be reported open.
        int self = sw_tcpscan_is_self_connect (fd) == 1;
        *state = self ? SW_PORT_CLOSED : SW_PORT_OPEN;
        s_close_fd (fd, 1);
        return 0;
    }
    s_close_fd (fd, 0);
    if (s_classify_errno (error, state) != 0) {
        if (async) {
            *state = SW_PORT_FILTERED;
            return 0;
        }
        char addr[SW_IPV4_STRLEN];
        sw_ipv4_format (scan->addr, addr);
        s_err (scan->err, scan->errlen, "tcpscan: connect %s:%u: %s", addr, port, strerror (error));
        return -1;
    }
    return 0;
}

//  The process's scan method (sw_synscan_choose sets it).
static _Atomic int s_method = SW_TCPSCAN_CONNECT;

void sw_tcpscan_set_method (sw_tcpscan_method_t method)
{
    s_method = (int)method;
}

sw_tcpscan_method_t sw_tcpscan_method (void)
{
    return (sw_tcpscan_method_t)s_method;
}

//  The process's rate limit: a token bucket every scan of the process
//  (every worker of a node) draws from, connections or SYNs.
static pthread_mutex_t s_rate_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t s_rate; //  a second; 0: no limit
static double s_tokens;
static int64_t s_refilled;

void sw_tcpscan_set_rate (uint32_t per_second)
{
    pthread_mutex_lock (&s_rate_lock);
    s_rate = per_second;
    s_tokens = 0;
    s_refilled = 0;
    pthread_mutex_unlock (&s_rate_lock);
}

int sw_tcpscan_rate_take (int want, int64_t *wait)
{
    pthread_mutex_lock (&s_rate_lock);
    if (!s_rate) {
        pthread_mutex_unlock (&s_rate_lock);
        return want;
    }
    int64_t now = s_now_ms ();
    double burst = s_rate / 20.0 > 1 ? s_rate / 20.0 : 1; //  50 ms worth
    if (s_refilled)
        s_tokens += (double)(now - s_refilled) * s_rate / 1000.0;
    if (!s_refilled || s_tokens > burst)
        s_tokens = s_refilled ? burst : 1;
    s_refilled = now;
    int got = s_tokens >= want ? want : (int)s_tokens;
    s_tokens -= got;
    if (!got)
        *wait = (int64_t)((1 - s_tokens) * 1000 / s_rate) + 1;
    pthread_mutex_unlock (&s_rate_lock);
    return got;
}

static start_t s_start (scan_t *scan, uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (s_is_starvation (errno))
            return START_STARVED;
        s_err (scan->err, scan->errlen, "tcpscan: socket: %s", strerror (errno));
        return START_FAILED;
    }
    struct sockaddr_in sa;
    memset (&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl (scan->addr);
    sa.sin_port = htons (port);
    int error = 0;
    if (connect (fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        error = errno;
    if (error == EINPROGRESS) {
        int index = scan->nfree > 0 ? scan->free_slots[scan->nfree - 1] : -1;
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)index};
        if (index < 0 || epoll_ctl (scan->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            int ctl_error = index < 0 ? ENOSPC : errno;
            close (fd);
            if (s_is_starvation (ctl_error))
                return START_STARVED;
            s_err (scan->err, scan->errlen, "tcpscan: epoll_ctl: %s", strerror (ctl_error));
            return START_FAILED;
        }
        scan->nfree--;
        scan->slots[index].fd = fd;
        scan->slots[index].port = port;
        scan->slots[index].deadline = s_now_ms () + scan->timeout_ms;
        scan->inflight++;
        return START_DONE;
    }
    if (error != 0 && s_is_starvation (error)) {
        close (fd);
        return START_STARVED;
    }
    sw_port_state_t state;
    if (s_complete (scan, fd, port, error, 0, &state) != 0)
        return START_FAILED;
    return s_record (scan, port, state) == 0 ? START_DONE : START_ABORTED;
}

//  Finishes the connection in slot i with the socket's pending error.
static int s_finish_slot (scan_t *scan, int i, int *aborted)
{
    slot_t *slot = &scan->slots[i];
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt (slot->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
        error = errno;
    int fd = slot->fd;
    uint16_t port = slot->port;
    slot->fd = -1;
    scan->free_slots[scan->nfree++] = i;
    scan->inflight--;
    if (error != 0 && s_is_starvation (error)) {
        close (fd);
        if (++scan->async_retries > ASYNC_MAX_RETRIES) {
            s_err (scan->err, scan->errlen, "tcpscan: connect: %s, gave up after %d retries",
                   strerror (error), ASYNC_MAX_RETRIES);
            return -1;
        }
        scan->retry[scan->nretry++] = port;
        return 0;
    }
    sw_port_state_t state;
    s_complete (scan, fd, port, error, 1, &state);
    if (s_record (scan, port, state) != 0)
        *aborted = 1;
    return 0;
}

static int s_check_addr (uint32_t addr, char *err, size_t errlen)
{
    //  0.0.0.0/8 means "this host" to Linux connect(), and 224/4 and 240/4
    //  cannot carry TCP; refuse them instead of reporting nonsense.
    uint32_t top = addr >> 24;
    if (top == 0 || top >= 224) {
        char text[SW_IPV4_STRLEN];
        sw_ipv4_format (addr, text);
        s_err (err, errlen, "tcpscan: %s is not a unicast address", text);
        return -1;
    }
    return 0;
}

int sw_tcpscan_run (uint32_t addr, const sw_portlist_t *ports, const sw_tcpscan_opts_t *opts,
                    volatile int *cancel, sw_tcpscan_open_fn *on_open, void *arg,
                    sw_tcpscan_stats_t *stats, char *err, size_t errlen)
{
    sw_tcpscan_stats_t local_stats;
    if (!stats)
        stats = &local_stats;
    char no_err[1];
    if (!err || errlen == 0) {
        err = no_err;
        errlen = sizeof no_err;
    }
    memset (stats, 0, sizeof *stats);
    err[0] = '\0';
    uint32_t total = sw_portlist_count (ports);
    if (total == 0) {
        s_err (err, errlen, "tcpscan: empty port list");
        return -1;
    }
    if (s_check_addr (addr, err, errlen) != 0)
        return -1;
    if (sw_tcpscan_method () == SW_TCPSCAN_SYN)
        return sw_synscan_run (addr, ports, opts, cancel, on_open, arg, stats, err, errlen);

    int window = opts && opts->max_inflight > 0 ? opts->max_inflight : DEFAULT_INFLIGHT;
    if (window > SW_TCPSCAN_MAX_INFLIGHT)
        window = SW_TCPSCAN_MAX_INFLIGHT;
    if ((uint32_t)window > total)
        window = (int)total;

    scan_t scan = {
        .addr = addr,
        .cancel = cancel,
        .on_open = on_open,
        .arg = arg,
        .stats = stats,
        .err = err,
        .errlen = errlen,
        .epfd = -1,
        .timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT,
    };
    int rc = -1;
    scan.slots = malloc ((size_t)window * sizeof *scan.slots);
    scan.free_slots = malloc ((size_t)window * sizeof *scan.free_slots);
    scan.retry = malloc ((size_t)window * sizeof *scan.retry);
    if (!scan.slots || !scan.free_slots || !scan.retry) {
        s_err (err, errlen, "tcpscan: out of memory");
        goto done;
    }
    for (int i = 0; i < window; i++) {
        scan.slots[i].fd = -1;
        scan.free_slots[scan.nfree++] = window - 1 - i;
    }
    scan.epfd = epoll_create1 (EPOLL_CLOEXEC);
    if (scan.epfd < 0) {
        s_err (err, errlen, "tcpscan: epoll_create1: %s", strerror (errno));
        goto done;
    }

    struct epoll_event events[MAX_EVENTS];
    uint32_t next = 0;
    int starved_retries = 0;
    while (next < total || scan.nretry > 0 || scan.inflight > 0) {
        if (cancel && *cancel) {
            s_err (err, errlen, "tcpscan: cancelled");
            goto done;
        }
        int starved = 0;
        int64_t rate_wait = 0;
        int allowed = scan.inflight < window && (scan.nretry > 0 || next < total)
                          ? sw_tcpscan_rate_take (window - scan.inflight, &rate_wait)
                          : 0;
        //  Retries go first: that keeps nretry + inflight <= window
        while (allowed-- > 0 && scan.inflight < window && (scan.nretry > 0 || next < total)) {
            int retrying = scan.nretry > 0;
            uint16_t port = retrying ? scan.retry[scan.nretry - 1] : sw_portlist_nth (ports, next);
            start_t r = s_start (&scan, port);
            if (r == START_DONE) {
                if (retrying)
                    scan.nretry--;
                else
                    next++;
                starved_retries = 0;
            } else if (r == START_STARVED) {
                starved = 1;
                break;
            } else {
                if (r == START_ABORTED)
                    s_err (err, errlen, "tcpscan: aborted by callback");
                goto done;
            }
        }
        if (scan.inflight == 0) {
            if (rate_wait > 0 && !starved) {
                s_sleep_ms (rate_wait < CANCEL_SLICE_MS ? (int)rate_wait : CANCEL_SLICE_MS);
                continue;
            }
            if (starved) {
                //  Nothing of ours to wait for: the shortage is elsewhere
                if (++starved_retries > STARVED_MAX_RETRIES) {
                    s_err (err, errlen,
                           "tcpscan: out of sockets or local ports, gave up after %d retries",
                           STARVED_MAX_RETRIES);
                    goto done;
                }
                s_sleep_ms (STARVED_SLEEP_MS);
            }
            continue;
        }

        int64_t now = s_now_ms ();
        int64_t earliest = INT64_MAX;
        for (int i = 0; i < window; i++)
            if (scan.slots[i].fd >= 0 && scan.slots[i].deadline < earliest)
                earliest = scan.slots[i].deadline;
        int64_t wait = earliest - now;
        if (wait < 0)
            wait = 0;
        if (wait > CANCEL_SLICE_MS)
            wait = CANCEL_SLICE_MS;
        if (rate_wait > 0 && rate_wait < wait)
            wait = rate_wait; //  more to start once the next token comes
        int nev = epoll_wait (scan.epfd, events, MAX_EVENTS, (int)wait);
        if (nev < 0) {
            if (errno == EINTR)
                continue;
            s_err (err, errlen, "tcpscan: epoll_wait: %s", strerror (errno));
            goto done;
        }
        int aborted = 0;
        for (int e = 0; e < nev; e++) {
            int i = (int)events[e].data.u32;
            if (i < 0 || i >= window || scan.slots[i].fd < 0)
                continue;
            if (s_finish_slot (&scan, i, &aborted) != 0)
                goto done;
            if (aborted) {
                s_err (err, errlen, "tcpscan: aborted by callback");
                goto done;
            }
        }
        //  No answer by the deadline: the SYN or its reply was dropped
        now = s_now_ms ();
        for (int i = 0; i < window; i++) {
            slot_t *slot = &scan.slots[i];
            if (slot->fd >= 0 && slot->deadline <= now) {
                s_close_fd (slot->fd, 0);
                slot->fd = -1;
                scan.free_slots[scan.nfree++] = i;
                scan.inflight--;
                s_record (&scan, slot->port, SW_PORT_FILTERED);
            }
        }
    }
    rc = 0;

done:
    if (scan.slots)
        for (int i = 0; i < window; i++)
            if (scan.slots[i].fd >= 0)
                s_close_fd (scan.slots[i].fd, 0);
    if (scan.epfd >= 0)
        close (scan.epfd);
    free (scan.slots);
    free (scan.free_slots);
    free (scan.retry);
    return rc;
}
